/* Test certificates and a GnuTLS server for tests/unit/test_tls.c. */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tls_fixture.h"

struct spec {
	const char	*cn;
	time_t		 from, to;
	int		 ca;		/* -1: no basic constraints */
	int		 path_len;
	unsigned	 usage;
	const char	*purpose;	/* NULL: no extended key usage */
	bool		 sans;
	unsigned char	 serial;
	gnutls_digest_algorithm_t dig;	/* 0: SHA-256 */
};

static struct fx_certs	 fx;
static bool		 built, failed;
static char		*files[24];
static size_t		 nfiles;

static time_t
day(int y, int m, int d)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return timegm(&tm);
}

static gnutls_x509_privkey_t
genkey(gnutls_pk_algorithm_t pk, unsigned bits)
{
	gnutls_x509_privkey_t	key;

	if (gnutls_x509_privkey_init(&key) < 0)
		return NULL;
	if (gnutls_x509_privkey_generate2(key, pk, bits, 0, NULL, 0) < 0) {
		gnutls_x509_privkey_deinit(key);
		return NULL;
	}
	return key;
}

static gnutls_x509_privkey_t
newkey(void)
{
	return genkey(GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
}

static gnutls_x509_crt_t
make(const struct spec *sp, gnutls_x509_privkey_t key,
    gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key)
{
	static const unsigned char	 v4[4] = { 127, 0, 0, 1 };
	unsigned char			 v6[16] = { 0 }, id[64];
	gnutls_x509_crt_t		 crt;
	const char			*err;
	char				 dn[128];
	size_t				 idlen;
	int				 r = 0;

	v6[15] = 1;
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	snprintf(dn, sizeof(dn), "CN=%s", sp->cn);
	r |= gnutls_x509_crt_set_key(crt, key);
	r |= gnutls_x509_crt_set_version(crt, 3);
	r |= gnutls_x509_crt_set_dn(crt, dn, &err);
	r |= gnutls_x509_crt_set_serial(crt, &sp->serial, 1);
	r |= gnutls_x509_crt_set_activation_time(crt, sp->from);
	r |= gnutls_x509_crt_set_expiration_time(crt, sp->to);
	if (sp->ca >= 0)
		r |= gnutls_x509_crt_set_basic_constraints(crt,
		    (unsigned)sp->ca, sp->path_len);
	if (sp->usage != 0)
		r |= gnutls_x509_crt_set_key_usage(crt, sp->usage);
	if (sp->purpose != NULL)
		r |= gnutls_x509_crt_set_key_purpose_oid(crt, sp->purpose, 0);
	if (sp->sans) {
		r |= gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_DNSNAME, "mx.test.local", 13,
		    GNUTLS_FSAN_APPEND);
		r |= gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND);
		r |= gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_IPADDRESS, v4, 4, GNUTLS_FSAN_APPEND);
		r |= gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_IPADDRESS, v6, 16, GNUTLS_FSAN_APPEND);
	}
	idlen = sizeof(id);
	if (gnutls_x509_crt_get_key_id(crt, 0, id, &idlen) == 0)
		r |= gnutls_x509_crt_set_subject_key_id(crt, id, idlen);
	if (issuer != NULL) {
		idlen = sizeof(id);
		if (gnutls_x509_crt_get_subject_key_id(issuer, id, &idlen,
		    NULL) == 0)
			r |= gnutls_x509_crt_set_authority_key_id(crt, id,
			    idlen);
	}
	r |= gnutls_x509_crt_sign2(crt, issuer != NULL ? issuer : crt,
	    issuer_key != NULL ? issuer_key : key,
	    sp->dig != 0 ? sp->dig : GNUTLS_DIG_SHA256, 0);
	if (r != 0) {
		gnutls_x509_crt_deinit(crt);
		return NULL;
	}
	return crt;
}

char *
fx_path(const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s", fx.dir, name) == -1)
		abort();
	if (nfiles < sizeof(files) / sizeof(files[0]))
		files[nfiles++] = p;
	return strdup(p);
}

static int
write_file(const char *path, const gnutls_datum_t *d)
{
	FILE	*f;
	int	 r;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	r = fwrite(d->data, 1, d->size, f) == d->size ? 0 : -1;
	if (fclose(f) != 0)
		r = -1;
	return r;
}

/* The client certificate (client_only, then inter) and its key, PEM. */
static int
write_client_files(void)
{
	gnutls_datum_t	d = { NULL, 0 }, e = { NULL, 0 }, k = { NULL, 0 };
	FILE		*f;
	int		 r = -1;

	if (gnutls_x509_crt_export2(fx.client_only, GNUTLS_X509_FMT_PEM,
	    &d) < 0 || gnutls_x509_crt_export2(fx.inter, GNUTLS_X509_FMT_PEM,
	    &e) < 0 || gnutls_x509_privkey_export2(fx.leaf_key,
	    GNUTLS_X509_FMT_PEM, &k) < 0)
		goto out;
	if ((f = fopen(fx.client_cert_file, "w")) == NULL)
		goto out;
	r = fwrite(d.data, 1, d.size, f) == d.size &&
	    fwrite(e.data, 1, e.size, f) == e.size ? 0 : -1;
	if (fclose(f) != 0)
		r = -1;
	if (r == 0)
		r = write_file(fx.client_key_file, &k);
out:
	gnutls_free(d.data);
	gnutls_free(e.data);
	gnutls_free(k.data);
	return r;
}

static int
write_crl(void)
{
	gnutls_x509_crl_t	crl;
	gnutls_datum_t		d = { NULL, 0 };
	int			r = 0;

	if (gnutls_x509_crl_init(&crl) < 0)
		return -1;
	r |= gnutls_x509_crl_set_version(crl, 2);
	r |= gnutls_x509_crl_set_this_update(crl, day(2025, 1, 1));
	r |= gnutls_x509_crl_set_next_update(crl, day(2049, 1, 1));
	r |= gnutls_x509_crl_set_crt(crl, fx.inter, day(2025, 1, 1));
	r |= gnutls_x509_crl_sign2(crl, fx.root, fx.root_key,
	    GNUTLS_DIG_SHA256, 0);
	if (r == 0)
		r = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &d);
	if (r == 0)
		r = write_file(fx.crl_file, &d);
	gnutls_free(d.data);
	gnutls_x509_crl_deinit(crl);
	return r;
}

static void
cleanup(void)
{
	gnutls_x509_crt_t	*crts[] = { &fx.root, &fx.inter, &fx.leaf,
	    &fx.expired, &fx.future, &fx.selfsigned, &fx.client_only,
	    &fx.notca, &fx.notca_leaf, &fx.weak, &fx.sha1 };
	gnutls_x509_privkey_t	*keys[] = { &fx.root_key, &fx.int_key,
	    &fx.leaf_key, &fx.self_key, &fx.weak_key };
	size_t			 i;

	for (i = 0; i < nfiles; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	if (fx.dir != NULL)
		rmdir(fx.dir);
	for (i = 0; i < sizeof(crts) / sizeof(crts[0]); i++) {
		if (*crts[i] != NULL)
			gnutls_x509_crt_deinit(*crts[i]);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (*keys[i] != NULL)
			gnutls_x509_privkey_deinit(*keys[i]);
	}
	free(fx.dir);
	free(fx.ca_file);
	free(fx.crl_file);
	free(fx.client_cert_file);
	free(fx.client_key_file);
	memset(&fx, 0, sizeof(fx));
}

static int
build(void)
{
	const unsigned	 ca_usage = GNUTLS_KEY_KEY_CERT_SIGN |
	    GNUTLS_KEY_CRL_SIGN;
	const time_t	 from = day(2024, 1, 1), to = day(2049, 1, 1),
			 old = day(2010, 1, 1), old_end = day(2011, 1, 1);
	struct spec	 sp;
	gnutls_datum_t	 d = { NULL, 0 };
	char		 tmpl[] = "/tmp/smtptool-tls-XXXXXX";
	const char	*tmp = getenv("TMPDIR");
	int		 r;

	atexit(cleanup);
	if (tmp != NULL && *tmp != '\0' && strlen(tmp) < 200) {
		if (asprintf(&fx.dir, "%s/smtptool-tls-XXXXXX", tmp) == -1)
			abort();
	} else
		fx.dir = strdup(tmpl);
	if (mkdtemp(fx.dir) == NULL) {
		free(fx.dir);
		fx.dir = NULL;
		return -1;
	}
	fx.ca_file = fx_path("ca.pem");
	fx.crl_file = fx_path("crl.pem");
	fx.client_cert_file = fx_path("client.pem");
	fx.client_key_file = fx_path("client.key.pem");
	if ((fx.root_key = newkey()) == NULL ||
	    (fx.int_key = newkey()) == NULL ||
	    (fx.leaf_key = newkey()) == NULL ||
	    (fx.self_key = newkey()) == NULL)
		return -1;

	sp = (struct spec){ "Test Root", from, to, 1, -1, ca_usage, NULL,
	    false, 1, 0 };
	if ((fx.root = make(&sp, fx.root_key, NULL, NULL)) == NULL)
		return -1;
	sp = (struct spec){ "Test Intermediate", from, to, 1, 0, ca_usage,
	    NULL, false, 2, 0 };
	if ((fx.inter = make(&sp, fx.int_key, fx.root, fx.root_key)) == NULL)
		return -1;
	sp = (struct spec){ "mx.test.local", from, to, 0, -1,
	    GNUTLS_KEY_DIGITAL_SIGNATURE, GNUTLS_KP_TLS_WWW_SERVER, true, 3,
	    0 };
	if ((fx.leaf = make(&sp, fx.leaf_key, fx.inter, fx.int_key)) == NULL)
		return -1;
	sp.cn = "old.test.local";
	sp.from = old;
	sp.to = old_end;
	sp.serial = 4;
	if ((fx.expired = make(&sp, fx.leaf_key, fx.inter,
	    fx.int_key)) == NULL)
		return -1;
	sp.cn = "future.test.local";
	sp.from = day(2090, 1, 1);
	sp.to = day(2091, 1, 1);
	sp.serial = 5;
	if ((fx.future = make(&sp, fx.leaf_key, fx.inter,
	    fx.int_key)) == NULL)
		return -1;
	sp.cn = "self.test.local";
	sp.from = old;
	sp.to = old_end;
	sp.serial = 6;
	if ((fx.selfsigned = make(&sp, fx.self_key, NULL, NULL)) == NULL)
		return -1;
	sp.cn = "client.test.local";
	sp.from = from;
	sp.to = to;
	sp.purpose = GNUTLS_KP_TLS_WWW_CLIENT;
	sp.serial = 7;
	if ((fx.client_only = make(&sp, fx.leaf_key, fx.inter,
	    fx.int_key)) == NULL)
		return -1;
	sp = (struct spec){ "Not A CA", from, to, 0, -1,
	    GNUTLS_KEY_DIGITAL_SIGNATURE, NULL, false, 8, 0 };
	if ((fx.notca = make(&sp, fx.int_key, fx.root, fx.root_key)) == NULL)
		return -1;
	sp = (struct spec){ "mx.test.local", from, to, 0, -1,
	    GNUTLS_KEY_DIGITAL_SIGNATURE, GNUTLS_KP_TLS_WWW_SERVER, true, 9,
	    0 };
	if ((fx.notca_leaf = make(&sp, fx.leaf_key, fx.notca,
	    fx.int_key)) == NULL)
		return -1;
	/* RSA-1024 (about 10 ms to make), and SHA-1: notca_leaf's spec. */
	if ((fx.weak_key = genkey(GNUTLS_PK_RSA, 1024)) == NULL)
		return -1;
	sp.cn = "weak.test.local";
	sp.serial = 10;
	if ((fx.weak = make(&sp, fx.weak_key, fx.inter, fx.int_key)) == NULL)
		return -1;
	sp.cn = "sha1.test.local";
	sp.serial = 11;
	sp.dig = GNUTLS_DIG_SHA1;
	if ((fx.sha1 = make(&sp, fx.leaf_key, fx.inter, fx.int_key)) == NULL)
		return -1;

	if (gnutls_x509_crt_export2(fx.root, GNUTLS_X509_FMT_PEM, &d) < 0)
		return -1;
	r = write_file(fx.ca_file, &d);
	gnutls_free(d.data);
	if (r == -1 || write_crl() != 0 || write_client_files() != 0)
		return -1;
	return 0;
}

const struct fx_certs *
fx_certs(void)
{
	if (!built) {
		built = true;
		failed = build() == -1;
	}
	return failed ? NULL : &fx;
}

int
fx_pair_open(struct fx_pair *p, const struct tls_config *cfg,
    const char *sni, gnutls_x509_crt_t *chain, unsigned n,
    gnutls_x509_privkey_t key, const char *sprio)
{
	return fx_pair_open_with(p, cfg, sni, chain, n, key, sprio, NULL);
}

int
fx_pair_open_with(struct fx_pair *p, const struct tls_config *cfg,
    const char *sni, gnutls_x509_crt_t *chain, unsigned n,
    gnutls_x509_privkey_t key, const char *sprio,
    const struct fx_server_opts *so)
{
	int		 sv[2], i, r;
	bool		 cdone = false, sdone = false;
	enum tls_io	 io;

	memset(p, 0, sizeof(*p));
	p->cfd = p->sfd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		return -1;
	p->cfd = sv[0];
	p->sfd = sv[1];
	if (gnutls_certificate_allocate_credentials(&p->scred) < 0 ||
	    gnutls_certificate_set_x509_key(p->scred, chain, n, key) < 0 ||
	    gnutls_init(&p->server, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0)
		return -1;
	if (sprio != NULL)
		r = gnutls_priority_set_direct(p->server, sprio, NULL);
	else
		r = gnutls_set_default_priority(p->server);
	if (r < 0 || gnutls_credentials_set(p->server, GNUTLS_CRD_CERTIFICATE,
	    p->scred) < 0)
		return -1;
	if (so != NULL && so->ask_cert)
		gnutls_certificate_server_set_request(p->server,
		    GNUTLS_CERT_REQUEST);
	gnutls_transport_set_int(p->server, p->sfd);
	if ((p->client = tls_client_new(cfg, &p->err)) == NULL ||
	    (p->conn = tls_conn_new(p->client, p->cfd, sni, &p->err)) == NULL)
		return -1;
	for (i = 0; i < 100 && !(cdone && sdone); i++) {
		if (!cdone && p->err == NULL) {
			io = tls_handshake(p->conn, &p->err);
			cdone = io == TLS_IO_OK;
		}
		if (!sdone && p->serr == 0) {
			r = gnutls_handshake(p->server);
			if (r == 0)
				sdone = true;
			else if (gnutls_error_is_fatal(r)) {
				/* GnuTLS leaves the alert to us. */
				p->serr = r;
				(void)gnutls_alert_send_appropriate(p->server,
				    r);
			}
		}
		if ((p->err != NULL || cdone) && (p->serr != 0 || sdone) &&
		    !(cdone && sdone))
			break;
	}
	return cdone && sdone ? 0 : -1;
}

void
fx_pair_close(struct fx_pair *p)
{
	tls_conn_free(p->conn);
	tls_client_free(p->client);
	if (p->server != NULL)
		gnutls_deinit(p->server);
	if (p->scred != NULL)
		gnutls_certificate_free_credentials(p->scred);
	if (p->cfd != -1)
		close(p->cfd);
	if (p->sfd != -1)
		close(p->sfd);
	free(p->err);
	memset(p, 0, sizeof(*p));
	p->cfd = p->sfd = -1;
}
