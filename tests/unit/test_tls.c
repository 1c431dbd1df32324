/*
 * Unit tests: tls.  Certificates are made here (tls_fixture.c), a GnuTLS
 * server runs over a socketpair, and the client side is our tls_conn.
 *
 * Not here, in tests/integration/46-tls-more.sh with real peers: OCSP
 * stapling (a response must be signed for this run's random keys, and
 * GnuTLS cannot make one: "openssl ocsp" does, tests/lib/certs.sh
 * certs_make_ocsp) and SSLKEYLOGFILE (GnuTLS reads it once per process,
 * and the server side of the pair would write to it too).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tls.h"
#include "tls_fixture.h"

/* Leaf 2024-01-01..2049-01-01 seen from FX_NOW (2026-01-01). */
#define LEAF_DAYS_LEFT	8401L
/* Expired 2011-01-01, seen from FX_NOW. */
#define EXPIRED_DAYS	5479L
/* Valid from 2090-01-01, seen from FX_NOW. */
#define FUTURE_DAYS	23376L

static struct tls_config
trusting_root(const struct fx_certs *fx)
{
	struct tls_config	cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = fx->ca_file;
	return cfg;
}

/* Connect to a server sending CHAIN, trusting the test root. */
static int
open_chain(struct fx_pair *p, const char *sni, gnutls_x509_crt_t a,
    gnutls_x509_crt_t b, gnutls_x509_crt_t c, gnutls_x509_privkey_t key)
{
	const struct fx_certs	*fx = fx_certs();
	struct tls_config	 cfg = trusting_root(fx);
	gnutls_x509_crt_t	 chain[3] = { a, b, c };
	unsigned		 n = c != NULL ? 3 : b != NULL ? 2 : 1;

	return fx_pair_open(p, &cfg, sni, chain, n, key, NULL);
}

static bool
has_reason(const struct tls_info *info, const char *text)
{
	size_t	i;

	for (i = 0; i < info->nreasons; i++) {
		if (strcmp(info->reasons[i], text) == 0)
			return true;
	}
	fprintf(stderr, "    missing reason \"%s\"; reasons:\n", text);
	for (i = 0; i < info->nreasons; i++)
		fprintf(stderr, "      \"%s\"\n", info->reasons[i]);
	return false;
}

/* "AB:CD:..." of N bytes. */
static bool
colon_hex(const char *s, size_t n, bool upper)
{
	size_t	i;

	if (strlen(s) != n * 3 - 1)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return false;
		} else if (!isxdigit((unsigned char)s[i]) ||
		    (upper ? islower((unsigned char)s[i]) :
		    isupper((unsigned char)s[i])))
			return false;
	}
	return true;
}

static void
test_tls_normalize_name(void)
{
	char	out[64];
	bool	ip;

	tls_normalize_name("[::1]", out, sizeof(out), &ip);
	EXPECT_STR(out, "::1");
	EXPECT(ip);
	tls_normalize_name("127.0.0.1", out, sizeof(out), &ip);
	EXPECT_STR(out, "127.0.0.1");
	EXPECT(ip);
	tls_normalize_name("mx.example.", out, sizeof(out), &ip);
	EXPECT_STR(out, "mx.example");
	EXPECT(!ip);
	tls_normalize_name("mx.example..", out, sizeof(out), &ip);
	EXPECT_STR(out, "mx.example.");
	tls_normalize_name("127.1", out, sizeof(out), &ip);
	EXPECT(!ip);
	tls_normalize_name("[mx", out, sizeof(out), &ip);
	EXPECT_STR(out, "[mx");
	tls_normalize_name(NULL, out, sizeof(out), &ip);
	EXPECT_STR(out, "");
	EXPECT(!ip);
	tls_normalize_name("long.example", out, 5, NULL);
	EXPECT_STR(out, "long");
}

static void
test_tls_problem_names(void)
{
	EXPECT_STR(tls_problem_name(TLS_P_EXPIRED), "expired");
	EXPECT_STR(tls_problem_name(TLS_P_SELF_SIGNED), "self-signed");
	EXPECT_STR(tls_problem_name(TLS_P_OTHER), "other");
	EXPECT(tls_problem_name(0) == NULL);
	EXPECT(tls_problem_name(TLS_P_EXPIRED | TLS_P_REVOKED) == NULL);
	EXPECT(tls_problem_name(0x1000) == NULL);
	EXPECT_STR(tls_problem_text(TLS_P_EXPIRED),
	    "the certificate has expired");
	EXPECT(tls_problem_text(0x1000) != NULL);
}

static void
test_tls_client_errors(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct tls_config	 cfg;
	struct tls_client	*c;
	char			*err = NULL, *junk;
	FILE			*f;

	ASSERT(fx != NULL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = "/nonexistent/ca.pem";
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT_STR(err, "cannot load CA file /nonexistent/ca.pem: No such "
	    "file or directory");
	free(err);
	err = NULL;

	junk = fx_path("junk.pem");
	ASSERT((f = fopen(junk, "w")) != NULL);
	fputs("not a certificate\n", f);
	fclose(f);
	cfg.ca_file = junk;
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT(err != NULL && strncmp(err, "cannot load CA file ", 20) == 0);
	free(err);
	err = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = fx->ca_file;
	cfg.priority = "NORMAL:+BOGUS:-VERS-TLS1.0";
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT(err != NULL && strncmp(err, "cannot parse --priority at "
	    "\"+BOGUS\": ", 37) == 0);
	free(err);
	err = NULL;

	/* Junk as certificate and key: GnuTLS reads the key first. */
	cfg.priority = NULL;
	cfg.cert_file = junk;
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT(err != NULL && strncmp(err, "cannot load client key ",
	    23) == 0 && strstr(err, ": no private key in it") != NULL);
	free(err);
	err = NULL;

	cfg.cert_file = NULL;
	cfg.crl_file = "/nonexistent/crl.pem";
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT_STR(err, "cannot load CRL file /nonexistent/crl.pem: No such "
	    "file or directory");
	free(err);
	err = NULL;

	cfg.crl_file = NULL;
	cfg.keylog_file = "/nonexistent/keys.log";
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT_STR(err, "cannot open key log file /nonexistent/keys.log: No "
	    "such file or directory");
	free(err);
	err = NULL;

	/* A good one, and NULL-safe frees. */
	cfg.keylog_file = NULL;
	cfg.priority = "NORMAL:-VERS-TLS1.0";
	EXPECT((c = tls_client_new(&cfg, &err)) != NULL);
	EXPECT(err == NULL);
	tls_client_free(c);
	tls_client_free(NULL);
	tls_conn_free(NULL);
	tls_info_free(NULL);
	free(junk);
}

static void
expect_leaf_fields(const struct fx_certs *fx, const struct tls_cert *c)
{
	static const char	*sans[] = { "DNS:mx.test.local",
	    "DNS:localhost", "IP:127.0.0.1", "IP:::1" };
	unsigned char		 buf[64], id[32];
	gnutls_pubkey_t		 pub;
	gnutls_datum_t		 spki = { NULL, 0 }, raw = { id, 32 },
				 b64 = { NULL, 0 };
	size_t			 size = sizeof(buf), i;
	char			*hex;

	EXPECT_STR(c->subject, "CN=mx.test.local");
	EXPECT_STR(c->issuer, "CN=Test Intermediate");
	EXPECT_STR(c->serial, "03");
	EXPECT_INT(c->not_before, 1704067200);		/* 2024-01-01 */
	EXPECT_INT(c->not_after, 2493072000);		/* 2049-01-01 */
	EXPECT_INT(c->days_left, LEAF_DAYS_LEFT);
	ASSERT(c->nsan == 4);
	for (i = 0; i < 4; i++)
		EXPECT_STR(c->san[i], sans[i]);
	EXPECT_STR(c->key_type, "ECDSA P-256");
	EXPECT_INT(c->key_bits, 256);
	EXPECT_STR(c->sig_alg, "ECDSA-SHA256");
	EXPECT(!c->is_ca);
	EXPECT_INT(c->path_len, -1);
	ASSERT(c->nku == 1);
	EXPECT_STR(c->key_usage[0], "digitalSignature");
	ASSERT(c->neku == 1);
	EXPECT_STR(c->eku[0], "serverAuth");
	EXPECT(!c->self_issued);
	EXPECT_INT(c->problems, 0);
	EXPECT(strncmp(c->pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);

	/* The fingerprint, as GnuTLS computes it, in colon hex. */
	EXPECT(colon_hex(c->sha256, 32, true));
	ASSERT(gnutls_x509_crt_get_fingerprint(fx->leaf, GNUTLS_DIG_SHA256,
	    buf, &size) == 0);
	hex = malloc(32 * 3);
	for (i = 0; i < 32; i++)
		snprintf(hex + i * 3, 4, i < 31 ? "%02X:" : "%02X", buf[i]);
	EXPECT_STR(c->sha256, hex);
	free(hex);

	/* pin-sha256: base64 of SHA-256 of the SubjectPublicKeyInfo. */
	EXPECT_INT(strlen(c->pin_sha256), 44);
	ASSERT(gnutls_pubkey_init(&pub) == 0);
	ASSERT(gnutls_pubkey_import_x509(pub, fx->leaf, 0) == 0);
	ASSERT(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) == 0);
	ASSERT(gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size,
	    id) == 0);
	ASSERT(gnutls_base64_encode2(&raw, &b64) == 0);
	EXPECT_MEM(c->pin_sha256, strlen(c->pin_sha256), b64.data, b64.size);
	gnutls_free(b64.data);
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
}

static void
test_tls_verified_chain(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	const struct tls_cert	*in;
	char			*s, *want, *pem;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->leaf, fx->inter, NULL,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(info->verified);
	EXPECT_INT(info->status, 0);
	EXPECT_INT(info->problems, 0);
	EXPECT_INT(info->nreasons, 0);
	EXPECT_STR(info->version, "TLS1.3");
	EXPECT(info->cipher[0] != '\0');
	EXPECT_STR(info->mac, "AEAD");
	EXPECT(info->group[0] != '\0');
	EXPECT_STR(info->kx, "");
	EXPECT(strncmp(info->desc, "(TLS1.3)", 8) == 0);
	EXPECT(!info->resumed);
	EXPECT_STR(info->name, "mx.test.local");
	EXPECT_STR(info->sni, "mx.test.local");
	EXPECT_STR(info->ocsp, "not stapled");
	ASSERT(info->nchain == 2);
	expect_leaf_fields(fx, &info->chain[0]);

	in = &info->chain[1];
	EXPECT_STR(in->subject, "CN=Test Intermediate");
	EXPECT_STR(in->issuer, "CN=Test Root");
	EXPECT(in->is_ca);
	EXPECT_INT(in->path_len, 0);
	ASSERT(in->nku == 2);
	EXPECT_STR(in->key_usage[0], "keyCertSign");
	EXPECT_STR(in->key_usage[1], "cRLSign");
	EXPECT_INT(in->neku, 0);
	EXPECT_INT(in->nsan, 0);
	EXPECT(strcmp(in->sha256, info->chain[0].sha256) != 0);

	s = tls_info_summary(info);
	if (asprintf(&want, "TLS1.3 %s %s, chain of 2, verified", info->cipher,
	    info->group) == -1)
		abort();
	EXPECT_STR(s, want);
	free(s);
	free(want);

	pem = tls_info_pem(info);
	if (asprintf(&want, "%s%s", info->chain[0].pem,
	    info->chain[1].pem) == -1)
		abort();
	EXPECT_STR(pem, want);
	free(pem);
	free(want);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_chain_of_3(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			*s;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->leaf, fx->inter, fx->root,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(info->verified);
	ASSERT(info->nchain == 3);
	EXPECT_STR(info->chain[2].subject, "CN=Test Root");
	EXPECT(info->chain[2].self_issued);
	EXPECT_INT(info->chain[2].problems, 0);
	s = tls_info_summary(info);
	EXPECT(strstr(s, ", chain of 3, verified") != NULL);
	free(s);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_missing_intermediate(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			*s;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->leaf, NULL, NULL,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->status, 0x42);
	EXPECT_INT(info->problems, TLS_P_UNKNOWN_ISSUER);
	ASSERT(info->nchain == 1);
	EXPECT_INT(info->chain[0].problems, TLS_P_UNKNOWN_ISSUER);
	EXPECT_INT(info->nreasons, 1);
	EXPECT(has_reason(info, "the chain does not lead to a trusted root: "
	    "the issuer CN=Test Intermediate of certificate 0 is unknown (was "
	    "the intermediate sent?)"));
	s = tls_info_summary(info);
	EXPECT(strstr(s, ", chain of 1, NOT verified: unknown-issuer") != NULL);
	free(s);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_untrusted_root(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_config	 cfg;
	struct tls_info		*info;
	gnutls_x509_crt_t	 chain[2] = { fx != NULL ? fx->leaf : NULL,
	    fx != NULL ? fx->inter : NULL };
	char			*other;
	FILE			*f;
	gnutls_datum_t		 d = { NULL, 0 };

	ASSERT(fx != NULL);
	/* Trust only the leaf's own self-signed stranger: the root is
	 * unknown. */
	other = fx_path("other.pem");
	ASSERT(gnutls_x509_crt_export2(fx->selfsigned, GNUTLS_X509_FMT_PEM,
	    &d) == 0);
	ASSERT((f = fopen(other, "w")) != NULL);
	fwrite(d.data, 1, d.size, f);
	fclose(f);
	gnutls_free(d.data);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = other;
	ASSERT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    NULL) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->problems, TLS_P_UNKNOWN_ISSUER);
	ASSERT(info->nchain == 2);
	EXPECT_INT(info->chain[0].problems, 0);
	EXPECT_INT(info->chain[1].problems, TLS_P_UNKNOWN_ISSUER);
	EXPECT(has_reason(info, "the chain does not lead to a trusted root: "
	    "the issuer CN=Test Root of certificate 1 is unknown (is the root "
	    "in the trust store?)"));
	tls_info_free(info);
	fx_pair_close(&p);
	free(other);
}

static void
test_tls_system_trust(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_config	 cfg;
	struct tls_info		*info;
	gnutls_x509_crt_t	 chain[2] = { fx != NULL ? fx->leaf : NULL,
	    fx != NULL ? fx->inter : NULL };

	ASSERT(fx != NULL);
	/* No CA file: the system store, read at the first connection, does
	 * not know the test root. */
	memset(&cfg, 0, sizeof(cfg));
	ASSERT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    NULL) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->problems, TLS_P_UNKNOWN_ISSUER);
	EXPECT_INT(info->chain[1].problems, TLS_P_UNKNOWN_ISSUER);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_name_mismatch(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			*s;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "wrong.test", fx->leaf, fx->inter, NULL,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "wrong.test", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->status, 0x4002);
	EXPECT_INT(info->problems, TLS_P_NAME_MISMATCH);
	EXPECT_INT(info->chain[0].problems, TLS_P_NAME_MISMATCH);
	EXPECT_INT(info->chain[1].problems, 0);
	EXPECT_INT(info->nreasons, 1);
	EXPECT(has_reason(info, "the certificate is for mx.test.local, "
	    "localhost, 127.0.0.1, ::1, not for wrong.test"));
	s = tls_info_summary(info);
	EXPECT(strstr(s, "NOT verified: name-mismatch") != NULL);
	free(s);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_ip_names(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "[::1]", fx->leaf, fx->inter, NULL,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "[::1]", FX_NOW);
	EXPECT(info->verified);
	EXPECT_STR(info->name, "::1");
	EXPECT(info->sni == NULL);		/* no SNI for an IP */
	tls_info_free(info);
	info = tls_inspect(p.conn, "127.0.0.1", FX_NOW);
	EXPECT(info->verified);
	tls_info_free(info);
	info = tls_inspect(p.conn, "mx.test.local.", FX_NOW);
	EXPECT(info->verified);
	EXPECT_STR(info->name, "mx.test.local");
	tls_info_free(info);
	info = tls_inspect(p.conn, "127.0.0.2", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->problems, TLS_P_NAME_MISMATCH);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_expired(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			 want[128];

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->expired, fx->inter, NULL,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->status, 0x402);
	EXPECT_INT(info->problems, TLS_P_EXPIRED);
	EXPECT_INT(info->chain[0].problems, TLS_P_EXPIRED);
	EXPECT_INT(info->chain[1].problems, 0);	/* not the issuer */
	EXPECT_INT(info->chain[0].days_left, -EXPIRED_DAYS);
	snprintf(want, sizeof(want), "certificate 0 (CN=old.test.local) "
	    "expired on 2011-01-01, %ld days ago", EXPIRED_DAYS);
	EXPECT(has_reason(info, want));
	EXPECT_INT(info->nreasons, 1);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_not_yet_valid(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			 want[128];

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->future, fx->inter, NULL,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->status, 0x202);
	EXPECT_INT(info->problems, TLS_P_NOT_YET_VALID);
	EXPECT_INT(info->chain[0].problems, TLS_P_NOT_YET_VALID);
	snprintf(want, sizeof(want), "certificate 0 (CN=future.test.local) is "
	    "not valid before 2090-01-01, in %ld days", FUTURE_DAYS);
	EXPECT(has_reason(info, want));
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_self_signed(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			*s, *want;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->selfsigned, NULL, NULL,
	    fx->self_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT(info->status & 0x40);
	EXPECT_INT(info->problems, TLS_P_EXPIRED | TLS_P_SELF_SIGNED);
	EXPECT(info->chain[0].self_issued);
	ASSERT(info->nreasons == 2);
	/* Trust first, then dates. */
	EXPECT_STR(info->reasons[0], "certificate 0 (CN=self.test.local) is "
	    "self-signed and not trusted");
	EXPECT(strncmp(info->reasons[1], "certificate 0 (CN=self.test.local) "
	    "expired on 2011-01-01", 54) == 0);
	s = tls_info_summary(info);
	if (asprintf(&want, "TLS1.3 %s %s, chain of 1, NOT verified: expired, "
	    "self-signed", info->cipher, info->group) == -1)
		abort();
	EXPECT_STR(s, want);
	free(s);
	free(want);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_client_purpose(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->client_only, fx->inter,
	    NULL, fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->status, 0x40002);
	EXPECT_INT(info->problems, TLS_P_BAD_PURPOSE);
	EXPECT_INT(info->chain[0].problems, TLS_P_BAD_PURPOSE);
	EXPECT(has_reason(info, "certificate 0 (CN=client.test.local) is not "
	    "for a TLS server: its extended key usage is clientAuth"));
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_not_ca(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->notca_leaf, fx->notca,
	    NULL, fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT(info->status & 0x80);
	EXPECT(info->problems & TLS_P_NOT_CA);
	EXPECT_INT(info->chain[0].problems & TLS_P_NOT_CA, 0);
	EXPECT(info->chain[1].problems & TLS_P_NOT_CA);
	EXPECT(has_reason(info, "certificate 1 (CN=Not A CA) issued "
	    "certificate 0 but is not a CA (no basic constraint CA:TRUE)"));
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_revoked(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_config	 cfg;
	struct tls_info		*info;
	gnutls_x509_crt_t	 chain[2] = { fx != NULL ? fx->leaf : NULL,
	    fx != NULL ? fx->inter : NULL };

	ASSERT(fx != NULL);
	cfg = trusting_root(fx);
	cfg.crl_file = fx->crl_file;
	ASSERT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    NULL) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT(info->status & 0x20);
	EXPECT_INT(info->problems, TLS_P_REVOKED);
	EXPECT_INT(info->chain[0].problems, 0);
	EXPECT_INT(info->chain[1].problems, TLS_P_REVOKED);
	EXPECT(has_reason(info, "certificate 1 (CN=Test Intermediate) is "
	    "revoked (by the CRL file)"));
	tls_info_free(info);
	fx_pair_close(&p);
}

/* Bytes the server sends, read by the client. */
static bool
server_says(struct fx_pair *p, const char *msg)
{
	char		 buf[256];
	size_t		 got = 0, n;
	enum tls_io	 io;
	char		*err = NULL;
	int		 i;

	if (gnutls_record_send(p->server, msg, strlen(msg)) !=
	    (ssize_t)strlen(msg))
		return false;
	for (i = 0; i < 20 && got < strlen(msg); i++) {
		io = tls_read(p->conn, buf + got, sizeof(buf) - got, &n, &err);
		if (io == TLS_IO_ERROR) {
			fprintf(stderr, "    tls_read: %s\n", err);
			free(err);
			return false;
		}
		if (io == TLS_IO_OK)
			got += n;
	}
	return got == strlen(msg) && memcmp(buf, msg, got) == 0;
}

static void
test_tls_io(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	char			 buf[64], *err = NULL, *big;
	size_t			 n;
	ssize_t			 r;
	enum tls_io		 io;
	int			 i;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->leaf, fx->inter, NULL,
	    fx->leaf_key) == 0);
	EXPECT_INT(tls_handshake(p.conn, &err), TLS_IO_OK);	/* again */
	EXPECT_INT(tls_read(p.conn, buf, sizeof(buf), &n, &err),
	    TLS_IO_WANT_READ);
	EXPECT_INT(n, 0);

	EXPECT_INT(tls_write(p.conn, "EHLO x\r\n", 8, &n, &err), TLS_IO_OK);
	EXPECT_INT(n, 8);
	for (i = 0, r = GNUTLS_E_AGAIN; i < 10 && r == GNUTLS_E_AGAIN; i++)
		r = gnutls_record_recv(p.server, buf, sizeof(buf));
	ASSERT(r == 8);
	EXPECT_MEM(buf, 8, "EHLO x\r\n", 8);

	EXPECT(server_says(&p, "250 ok\r\n"));
	/* Two records at once: the first read leaves one inside GnuTLS. */
	ASSERT(gnutls_record_send(p.server, "250-a\r\n", 7) == 7);
	ASSERT(gnutls_record_send(p.server, "250 b\r\n", 7) == 7);
	EXPECT_INT(tls_read(p.conn, buf, 4, &n, &err), TLS_IO_OK);
	EXPECT_INT(n, 4);
	EXPECT_INT(tls_pending(p.conn), 3);
	EXPECT_INT(tls_read(p.conn, buf, sizeof(buf), &n, &err), TLS_IO_OK);
	EXPECT_INT(n, 3);
	EXPECT_INT(tls_read(p.conn, buf, sizeof(buf), &n, &err), TLS_IO_OK);
	EXPECT_MEM(buf, n, "250 b\r\n", 7);
	EXPECT_INT(tls_pending(p.conn), 0);

	/* A full socket: WANT_WRITE, then the same bytes again. */
	big = calloc(1, 16384);
	ASSERT(big != NULL);
	for (i = 0, io = TLS_IO_OK; i < 1000 && io == TLS_IO_OK; i++)
		io = tls_write(p.conn, big, 16384, &n, &err);
	EXPECT_INT(io, TLS_IO_WANT_WRITE);
	EXPECT_INT(n, 0);
	do {
		r = gnutls_record_recv(p.server, big, 16384);
	} while (r > 0);
	EXPECT_INT(r, GNUTLS_E_AGAIN);
	EXPECT_INT(tls_write(p.conn, big, 16384, &n, &err), TLS_IO_OK);
	EXPECT_INT(n, 16384);
	do {
		r = gnutls_record_recv(p.server, big, 16384);
	} while (r > 0);
	free(big);

	/* Our close_notify reaches the server; its close_notify is EOF. */
	tls_bye(p.conn);
	for (i = 0, r = GNUTLS_E_AGAIN; i < 10 && r == GNUTLS_E_AGAIN; i++)
		r = gnutls_record_recv(p.server, buf, sizeof(buf));
	EXPECT_INT(r, 0);
	(void)gnutls_bye(p.server, GNUTLS_SHUT_WR);
	EXPECT_INT(tls_read(p.conn, buf, sizeof(buf), &n, &err), TLS_IO_EOF);
	EXPECT(err == NULL);
	fx_pair_close(&p);

	/* TCP closed without close_notify is EOF too. */
	ASSERT(open_chain(&p, "mx.test.local", fx->leaf, fx->inter, NULL,
	    fx->leaf_key) == 0);
	close(p.sfd);
	p.sfd = -1;
	EXPECT_INT(tls_read(p.conn, buf, sizeof(buf), &n, &err), TLS_IO_EOF);
	EXPECT(err == NULL);
	fx_pair_close(&p);
}

static void
test_tls_handshake_failure(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_config	 cfg;
	struct tls_info		*info;
	gnutls_x509_crt_t	 chain[2] = { fx != NULL ? fx->leaf : NULL,
	    fx != NULL ? fx->inter : NULL };

	ASSERT(fx != NULL);
	cfg = trusting_root(fx);
	cfg.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	EXPECT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.2") == -1);
	ASSERT(p.err != NULL);
	EXPECT(strncmp(p.err, "cannot complete TLS handshake: ", 31) == 0);
	EXPECT(strstr(p.err, "(alert: ") != NULL);
	/* Inspecting an unfinished session says so, and does not crash. */
	ASSERT(p.conn != NULL);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT_INT(info->problems, TLS_P_OTHER);
	EXPECT_INT(info->nchain, 0);
	tls_info_free(info);
	fx_pair_close(&p);
}

static void
test_tls_handshake_eof(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct tls_config	 cfg;
	struct tls_client	*c;
	struct tls_conn		*conn;
	char			*err = NULL, buf[4096];
	int			 sv[2], reset;

	ASSERT(fx != NULL);
	cfg = trusting_root(fx);
	ASSERT((c = tls_client_new(&cfg, &err)) != NULL);
	/* The server reads the ClientHello and closes: EOF. */
	for (reset = 0; reset < 2; reset++) {
		ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
		    sv) == 0);
		ASSERT((conn = tls_conn_new(c, sv[0], "mx.test.local",
		    &err)) != NULL);
		EXPECT_INT(tls_handshake(conn, &err), TLS_IO_WANT_READ);
		EXPECT_INT(tls_pending(conn), 0);
		if (!reset)
			EXPECT(read(sv[1], buf, sizeof(buf)) > 0);
		close(sv[1]);
		if (!reset) {
			EXPECT_INT(tls_handshake(conn, &err), TLS_IO_EOF);
			EXPECT(err == NULL);
		} else {
			/* Unread bytes at close: a reset, and its errno. */
			EXPECT_INT(tls_handshake(conn, &err), TLS_IO_ERROR);
			EXPECT_STR(err, "cannot complete TLS handshake: Error "
			    "in the pull function (Connection reset by peer)");
			free(err);
			err = NULL;
		}
		tls_bye(conn);		/* nothing to close: no crash */
		tls_conn_free(conn);
		close(sv[0]);
	}
	tls_client_free(c);
}

static size_t
count_lines(const char *path, const char *prefix, size_t hexlen)
{
	char	line[512];
	FILE	*f;
	size_t	n = 0, plen = strlen(prefix);

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, prefix, plen) == 0 && line[plen] == ' ' &&
		    strspn(line + plen + 1, "0123456789abcdef") == hexlen &&
		    line[plen + 1 + hexlen] == ' ')
			n++;
	}
	fclose(f);
	return n;
}

static void
test_tls13_keylog(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_config	 cfg;
	struct stat		 st;
	gnutls_x509_crt_t	 chain[2] = { fx != NULL ? fx->leaf : NULL,
	    fx != NULL ? fx->inter : NULL };
	char			*path;

	ASSERT(fx != NULL);
	path = fx_path("keys13.log");
	cfg = trusting_root(fx);
	cfg.keylog_file = path;
	ASSERT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    NULL) == 0);
	ASSERT(stat(path, &st) == 0);
	EXPECT_INT(st.st_mode & 0777, 0600);
	EXPECT_INT(count_lines(path, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 64), 1);
	EXPECT_INT(count_lines(path, "SERVER_HANDSHAKE_TRAFFIC_SECRET", 64), 1);
	EXPECT_INT(count_lines(path, "CLIENT_TRAFFIC_SECRET_0", 64), 1);
	EXPECT_INT(count_lines(path, "SERVER_TRAFFIC_SECRET_0", 64), 1);
	EXPECT_INT(count_lines(path, "EXPORTER_SECRET", 64), 1);
	fx_pair_close(&p);
	free(path);
}

static void
test_tls12_keylog_renegotiation(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_config	 cfg;
	struct tls_info		*info;
	gnutls_x509_crt_t	 chain[2] = { fx != NULL ? fx->leaf : NULL,
	    fx != NULL ? fx->inter : NULL };
	gnutls_datum_t		 crandom, srandom;
	char			*path, *want, buf[64], *err = NULL, *s;
	FILE			*f;
	size_t			 i, n;
	int			 r;

	ASSERT(fx != NULL);
	path = fx_path("keys12.log");
	cfg = trusting_root(fx);
	cfg.keylog_file = path;
	ASSERT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.2") == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT_STR(info->version, "TLS1.2");
	EXPECT_STR(info->kx, "ECDHE-ECDSA");
	EXPECT(info->verified);
	s = tls_info_summary(info);
	EXPECT(strncmp(s, "TLS1.2 ", 7) == 0);
	free(s);
	tls_info_free(info);

	/* One CLIENT_RANDOM line, with the random the server saw. */
	gnutls_session_get_random(p.server, &crandom, &srandom);
	want = malloc(crandom.size * 2 + 16);
	strcpy(want, "CLIENT_RANDOM ");
	for (i = 0; i < crandom.size; i++)
		snprintf(want + 14 + i * 2, 3, "%02x", crandom.data[i]);
	ASSERT((f = fopen(path, "r")) != NULL);
	n = 0;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		if (strncmp(buf, want, strlen(want) < 63 ? strlen(want) :
		    63) == 0)
			n++;
	}
	fclose(f);
	EXPECT_INT(n, 1);
	EXPECT_INT(count_lines(path, "CLIENT_RANDOM", 64), 1);
	free(want);

	/* The server asks to renegotiate: refused, and data goes on. */
	ASSERT(gnutls_rehandshake(p.server) == 0);
	EXPECT_INT(tls_read(p.conn, buf, sizeof(buf), &n, &err),
	    TLS_IO_WANT_READ);
	EXPECT(err == NULL);
	r = gnutls_handshake(p.server);
	EXPECT_INT(r, GNUTLS_E_WARNING_ALERT_RECEIVED);
	EXPECT_INT(gnutls_alert_get(p.server), GNUTLS_A_NO_RENEGOTIATION);
	EXPECT(server_says(&p, "250 still here\r\n"));
	fx_pair_close(&p);
	free(path);
}

static void
test_tls_summary_and_pem_edges(void)
{
	struct tls_info	 info;
	struct tls_cert	 certs[2];
	char		*s;

	memset(&info, 0, sizeof(info));
	memset(certs, 0, sizeof(certs));
	info.version = "TLS1.2";
	info.cipher = "AES-128-GCM";
	info.group = "";
	info.kx = "RSA";
	info.nchain = 2;
	info.chain = certs;
	certs[0].pem = "A\n";
	certs[1].pem = "B\n";
	info.problems = TLS_P_EXPIRED | TLS_P_NAME_MISMATCH;
	s = tls_info_summary(&info);
	EXPECT_STR(s, "TLS1.2 AES-128-GCM RSA, chain of 2, NOT verified: "
	    "expired, name-mismatch");
	free(s);
	s = tls_info_pem(&info);
	EXPECT_STR(s, "A\nB\n");
	free(s);
	s = tls_info_summary(NULL);
	EXPECT_STR(s, "");
	free(s);
}


/* An RSA-1024 leaf: the handshake completes, the verdict says weak-key. */
static void
test_tls_weak_key(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			*s;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->weak, fx->inter, NULL,
	    fx->weak_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	/* GnuTLS itself finds nothing: the key size is our own check. */
	EXPECT_INT(info->status, 0);
	EXPECT_INT(info->problems, TLS_P_WEAK_KEY);
	ASSERT(info->nchain == 2);
	EXPECT_STR(info->chain[0].key_type, "RSA");
	EXPECT_INT(info->chain[0].key_bits, 1024);
	EXPECT_INT(info->chain[0].problems, TLS_P_WEAK_KEY);
	EXPECT_INT(info->chain[1].problems, 0);
	EXPECT_INT(info->nreasons, 1);
	EXPECT(has_reason(info, "certificate 0 (CN=weak.test.local) has a weak "
	    "key: RSA of 1024 bits"));
	s = tls_info_summary(info);
	EXPECT(strstr(s, ", chain of 2, NOT verified: weak-key") != NULL);
	free(s);
	EXPECT_STR(tls_problem_name(TLS_P_WEAK_KEY), "weak-key");
	tls_info_free(info);
	fx_pair_close(&p);
}

/* A leaf signed with SHA-1: insecure-algorithm, on that certificate. */
static void
test_tls_insecure_algorithm(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_info		*info;
	char			*s;

	ASSERT(fx != NULL);
	ASSERT(open_chain(&p, "mx.test.local", fx->sha1, fx->inter, NULL,
	    fx->leaf_key) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT(!info->verified);
	EXPECT(info->status & GNUTLS_CERT_INSECURE_ALGORITHM);
	EXPECT_INT(info->problems, TLS_P_INSECURE_ALGO);
	ASSERT(info->nchain == 2);
	EXPECT_STR(info->chain[0].sig_alg, "ECDSA-SHA1");
	EXPECT_INT(info->chain[0].problems, TLS_P_INSECURE_ALGO);
	EXPECT_INT(info->chain[1].problems, 0);
	EXPECT_INT(info->nreasons, 1);
	EXPECT(has_reason(info, "certificate 0 (CN=sha1.test.local) is signed "
	    "with ECDSA-SHA1, an insecure algorithm"));
	s = tls_info_summary(info);
	EXPECT(strstr(s, "NOT verified: insecure-algorithm") != NULL);
	free(s);
	EXPECT_STR(tls_problem_name(TLS_P_INSECURE_ALGO), "insecure-algorithm");
	tls_info_free(info);
	fx_pair_close(&p);
}

/* The DER of the certificate the server got from the client, or NULL. */
static bool
server_got_cert(struct fx_pair *p, gnutls_x509_crt_t want)
{
	const gnutls_datum_t	*peers;
	gnutls_datum_t		 d = { NULL, 0 };
	unsigned		 n = 0;
	bool			 same;

	peers = gnutls_certificate_get_peers(p->server, &n);
	if (peers == NULL || n == 0)
		return false;
	if (gnutls_x509_crt_export2(want, GNUTLS_X509_FMT_DER, &d) < 0)
		return false;
	same = peers[0].size == d.size &&
	    memcmp(peers[0].data, d.data, d.size) == 0;
	gnutls_free(d.data);
	return same;
}

/* --cert/--key: the server that asks gets the certificate (and chain). */
static void
test_tls_client_cert(void)
{
	const struct fx_certs		*fx = fx_certs();
	const struct fx_server_opts	 ask = { .ask_cert = true };
	struct fx_pair			 p;
	struct tls_config		 cfg;
	const gnutls_datum_t		*peers;
	gnutls_x509_crt_t		 chain[2] = { fx != NULL ? fx->leaf :
	    NULL, fx != NULL ? fx->inter : NULL };
	unsigned			 n = 0;
	char				*both;
	FILE				*f, *in;
	int				 ch;

	ASSERT(fx != NULL);
	cfg = trusting_root(fx);
	cfg.cert_file = fx->client_cert_file;
	cfg.key_file = fx->client_key_file;
	ASSERT(fx_pair_open_with(&p, &cfg, "mx.test.local", chain, 2,
	    fx->leaf_key, NULL, &ask) == 0);
	EXPECT(server_got_cert(&p, fx->client_only));
	peers = gnutls_certificate_get_peers(p.server, &n);
	EXPECT(peers != NULL);
	EXPECT_INT(n, 2);		/* the intermediate came too */
	fx_pair_close(&p);

	/* TLS 1.2 too (the certificate goes in the handshake proper). */
	ASSERT(fx_pair_open_with(&p, &cfg, "mx.test.local", chain, 2,
	    fx->leaf_key, "NORMAL:-VERS-ALL:+VERS-TLS1.2", &ask) == 0);
	EXPECT(server_got_cert(&p, fx->client_only));
	fx_pair_close(&p);

	/* Key and certificate in one file, no --key. */
	both = fx_path("client-both.pem");
	ASSERT((f = fopen(both, "w")) != NULL);
	ASSERT((in = fopen(fx->client_key_file, "r")) != NULL);
	while ((ch = getc(in)) != EOF)
		putc(ch, f);
	fclose(in);
	ASSERT((in = fopen(fx->client_cert_file, "r")) != NULL);
	while ((ch = getc(in)) != EOF)
		putc(ch, f);
	fclose(in);
	fclose(f);
	cfg.cert_file = both;
	cfg.key_file = NULL;
	ASSERT(fx_pair_open_with(&p, &cfg, "mx.test.local", chain, 2,
	    fx->leaf_key, NULL, &ask) == 0);
	EXPECT(server_got_cert(&p, fx->client_only));
	fx_pair_close(&p);
	free(both);

	/* Without --cert the server that asks gets nothing. */
	cfg = trusting_root(fx);
	ASSERT(fx_pair_open_with(&p, &cfg, "mx.test.local", chain, 2,
	    fx->leaf_key, NULL, &ask) == 0);
	peers = gnutls_certificate_get_peers(p.server, &n);
	EXPECT(peers == NULL || n == 0);
	fx_pair_close(&p);
}

/* The messages of --cert and --key: "cannot <verb> <object>: <cause>". */
static void
test_tls_client_cert_errors(void)
{
	const struct fx_certs	*fx = fx_certs();
	struct tls_config	 cfg;
	struct tls_client	*c;
	char			*err = NULL, *want;

	ASSERT(fx != NULL);
	cfg = trusting_root(fx);
	cfg.cert_file = "/nonexistent/client.pem";
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT_STR(err, "cannot load client certificate "
	    "/nonexistent/client.pem: No such file or directory");
	free(err);
	err = NULL;

	cfg.cert_file = fx->client_cert_file;
	cfg.key_file = "/nonexistent/client.key";
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	EXPECT_STR(err, "cannot load client key /nonexistent/client.key: No "
	    "such file or directory");
	free(err);
	err = NULL;

	/* A certificate file without its key, and no --key. */
	cfg.key_file = NULL;
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	if (asprintf(&want, "cannot load client key %s: no private key in it "
	    "(--key names the key's file)", fx->client_cert_file) == -1)
		abort();
	EXPECT_STR(err, want);
	free(want);
	free(err);
	err = NULL;

	/* The key where the certificate should be. */
	cfg.cert_file = fx->client_key_file;
	cfg.key_file = fx->client_key_file;
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	if (asprintf(&want, "cannot load client certificate %s: no PEM "
	    "certificate in it", fx->client_key_file) == -1)
		abort();
	EXPECT_STR(err, want);
	free(want);
	free(err);
	err = NULL;

	/* A key that is not the certificate's. */
	cfg.cert_file = fx->ca_file;
	cfg.key_file = fx->client_key_file;
	EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
	if (asprintf(&want, "cannot load client certificate %s: The "
	    "certificate and the given key do not match", fx->ca_file) == -1)
		abort();
	EXPECT_STR(err, want);
	free(want);
	free(err);
	err = NULL;

	cfg.cert_file = fx->client_cert_file;
	EXPECT((c = tls_client_new(&cfg, &err)) != NULL);
	EXPECT(err == NULL);
	tls_client_free(c);
}

/* --priority: what it picks, and where a bad one is wrong. */
static void
test_tls_priority(void)
{
	static const struct {
		const char	*priority;
		const char	*want;
	} bad[] = {
		{ "NORMAL:+FOO-BAR:-VERS-TLS1.0", "cannot parse --priority at "
		    "\"+FOO-BAR\": The request is invalid" },
		{ "NORMAL:-VERS-TLS1.3:%NOPE", "cannot parse --priority at "
		    "\"%NOPE\": The request is invalid" },
		{ "BOGUS", "cannot parse --priority at \"BOGUS\": The request "
		    "is invalid" },
		{ "", "cannot parse --priority \"\": it is empty" },
		{ "NORMAL:", "cannot parse --priority \"NORMAL:\": an empty "
		    "element at character 8" },
		{ "NORMAL::-VERS-TLS1.0", "cannot parse --priority "
		    "\"NORMAL::-VERS-TLS1.0\": an empty element at character 8" },
		/* Well formed, but nothing left: no position to blame. */
		{ "NORMAL:-VERS-ALL", "cannot use --priority \"NORMAL:-VERS-ALL\": "
		    "No or insufficient priorities were set" },
	};
	const struct fx_certs	*fx = fx_certs();
	struct fx_pair		 p;
	struct tls_config	 cfg;
	struct tls_client	*c;
	struct tls_info		*info;
	gnutls_x509_crt_t	 chain[2] = { fx != NULL ? fx->leaf : NULL,
	    fx != NULL ? fx->inter : NULL };
	char			*err = NULL;
	size_t			 i;

	ASSERT(fx != NULL);
	cfg = trusting_root(fx);
	/* The server would take TLS 1.3: the client's string decides. */
	cfg.priority = "NORMAL:-VERS-TLS1.3";
	ASSERT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    NULL) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT_STR(info->version, "TLS1.2");
	EXPECT(info->verified);
	tls_info_free(info);
	fx_pair_close(&p);

	cfg.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-AES-256-GCM:"
	    "-CHACHA20-POLY1305:-AES-128-CCM";
	ASSERT(fx_pair_open(&p, &cfg, "mx.test.local", chain, 2, fx->leaf_key,
	    NULL) == 0);
	info = tls_inspect(p.conn, "mx.test.local", FX_NOW);
	EXPECT_STR(info->version, "TLS1.3");
	EXPECT_STR(info->cipher, "AES-128-GCM");
	tls_info_free(info);
	fx_pair_close(&p);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.priority = bad[i].priority;
		EXPECT((c = tls_client_new(&cfg, &err)) == NULL);
		EXPECT_STR(err, bad[i].want);
		free(err);
		err = NULL;
	}
}

TEST_LIST(tls_tests) = {
	TEST(test_tls_normalize_name),
	TEST(test_tls_problem_names),
	TEST(test_tls_client_errors),
	TEST(test_tls_verified_chain),
	TEST(test_tls_chain_of_3),
	TEST(test_tls_missing_intermediate),
	TEST(test_tls_untrusted_root),
	TEST(test_tls_system_trust),
	TEST(test_tls_name_mismatch),
	TEST(test_tls_ip_names),
	TEST(test_tls_expired),
	TEST(test_tls_not_yet_valid),
	TEST(test_tls_self_signed),
	TEST(test_tls_client_purpose),
	TEST(test_tls_not_ca),
	TEST(test_tls_revoked),
	TEST(test_tls_weak_key),
	TEST(test_tls_insecure_algorithm),
	TEST(test_tls_client_cert),
	TEST(test_tls_client_cert_errors),
	TEST(test_tls_priority),
	TEST(test_tls_io),
	TEST(test_tls_handshake_failure),
	TEST(test_tls_handshake_eof),
	TEST(test_tls13_keylog),
	TEST(test_tls12_keylog_renegotiation),
	TEST(test_tls_summary_and_pem_edges),
	TEST_END
};
