/*
 * After the handshake: the session and the chain as the server sent it, as
 * plain structs, verified for the name the user typed, with one sentence a
 * problem naming the certificate at fault.
 *
 * GnuTLS gives the verdict for the whole chain (gnutls_certificate_verify_
 * peers); the blame is ours: dates against NOW (GnuTLS blames an issuer's
 * expiry on its child), issuer pairs checked with time checks off, the top
 * of the path self-signed or with an unknown issuer, name and purpose on the
 * leaf, CRLs, the OCSP staple.
 */
#include <gnutls/ocsp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_int.h"

/* Most important first. */
static const unsigned rank_order[] = {
	TLS_P_REVOKED, TLS_P_OCSP, TLS_P_UNKNOWN_ISSUER, TLS_P_SELF_SIGNED,
	TLS_P_BAD_SIGNATURE, TLS_P_NAME_MISMATCH, TLS_P_EXPIRED,
	TLS_P_NOT_YET_VALID, TLS_P_NOT_CA, TLS_P_BAD_PURPOSE,
	TLS_P_INSECURE_ALGO, TLS_P_WEAK_KEY, TLS_P_OTHER,
};

/* Names listed in a name-mismatch sentence before "and N more". */
#define MAX_NAMES	10

struct reason {
	unsigned	 rank;
	size_t		 seq;
	char		*text;
};

struct check {
	struct tls_info		*info;
	struct tls_client	*client;
	gnutls_session_t	 session;
	time_t			 now;
	size_t			 n;
	gnutls_x509_crt_t	*crt;		/* NULL: cannot be parsed */
	int			*issuer;	/* index in the chain, or -1 */
	bool			*selfsig;
	char			**label;	/* "certificate 0 (CN=x)" */
	struct reason		*reasons;
	size_t			 nreasons;
	bool			 ocsp_revoked;
};

static unsigned
rank_of(unsigned bit)
{
	unsigned	i;

	for (i = 0; i < sizeof(rank_order) / sizeof(rank_order[0]); i++) {
		if (rank_order[i] == bit)
			return i;
	}
	return i;
}

/*
 * A problem BIT of certificate CERT (-1: of the chain), and its sentence.
 * BIT 0 adds a sentence of the rank of RANKBIT without a problem bit.
 */
static void __attribute__((format(printf, 5, 6)))
add(struct check *ck, unsigned bit, unsigned rankbit, int cert,
    const char *fmt, ...)
{
	struct reason	*r;
	va_list		 ap;
	char		*text;

	if (cert >= 0)
		ck->info->chain[cert].problems |= bit;
	ck->info->problems |= bit;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		abort();
	ck->reasons = tls_xreallocarray(ck->reasons, ck->nreasons + 1,
	    sizeof(*ck->reasons));
	r = &ck->reasons[ck->nreasons];
	r->rank = rank_of(bit != 0 ? bit : rankbit);
	r->seq = ck->nreasons++;
	r->text = text;
}

#define PROBLEM(ck, bit, cert, ...) add(ck, bit, bit, cert, __VA_ARGS__)
#define NOTE(ck, rankbit, ...) add(ck, 0, rankbit, -1, __VA_ARGS__)

static int
reason_cmp(const void *a, const void *b)
{
	const struct reason	*ra = a, *rb = b;

	if (ra->rank != rb->rank)
		return ra->rank < rb->rank ? -1 : 1;
	return ra->seq < rb->seq ? -1 : ra->seq > rb->seq;
}

static void
date(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
}

static void
days(long n, char *buf, size_t len)
{
	if (n == 0)
		snprintf(buf, len, "less than a day");
	else
		snprintf(buf, len, "%ld day%s", n, n == 1 ? "" : "s");
}

static bool
has(char **v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return true;
	}
	return false;
}

static char *
join(char **v, size_t n, size_t skip, size_t max)
{
	char	*s = tls_xstrdup(""), *t;
	size_t	 i, shown = 0;

	for (i = 0; i < n; i++) {
		if (shown == max) {
			t = tls_xasprintf("%s, and %zu more", s, n - i);
			free(s);
			return t;
		}
		t = tls_xasprintf("%s%s%s", s, shown > 0 ? ", " : "",
		    v[i] + (strlen(v[i]) >= skip ? skip : 0));
		free(s);
		s = t;
		shown++;
	}
	return s;
}

/* Facts of each certificate, whatever GnuTLS says: dates, key, algorithm. */
static void
check_each(struct check *ck)
{
	struct tls_cert	*tc;
	char		 when[32], count[32];
	size_t		 i, j;
	unsigned	 bits;
	int		 sig;

	for (i = 0; i < ck->n; i++) {
		tc = &ck->info->chain[i];
		ck->issuer[i] = -1;
		if (ck->crt[i] == NULL) {
			PROBLEM(ck, TLS_P_OTHER, (int)i, "%s cannot be parsed",
			    ck->label[i]);
			continue;
		}
		if (ck->now > tc->not_after) {
			date(tc->not_after, when, sizeof(when));
			days((ck->now - tc->not_after) / 86400, count,
			    sizeof(count));
			PROBLEM(ck, TLS_P_EXPIRED, (int)i, "%s expired on %s, "
			    "%s ago", ck->label[i], when, count);
		}
		if (ck->now < tc->not_before) {
			date(tc->not_before, when, sizeof(when));
			days((tc->not_before - ck->now) / 86400, count,
			    sizeof(count));
			PROBLEM(ck, TLS_P_NOT_YET_VALID, (int)i, "%s is not "
			    "valid before %s, in %s", ck->label[i], when,
			    count);
		}
		bits = tc->key_bits;
		if (bits > 0 && (((strcmp(tc->key_type, "RSA") == 0 ||
		    strcmp(tc->key_type, "RSA-PSS") == 0 ||
		    strcmp(tc->key_type, "DSA") == 0) && bits < 2048) ||
		    (strncmp(tc->key_type, "ECDSA", 5) == 0 && bits < 224)))
			PROBLEM(ck, TLS_P_WEAK_KEY, (int)i, "%s has a weak key: "
			    "%s of %u bits", ck->label[i], tc->key_type, bits);
		ck->selfsig[i] = tc->self_issued &&
		    tls_cert_self_signed(ck->crt[i]);
		sig = gnutls_x509_crt_get_signature_algorithm(ck->crt[i]);
		/* A root's signature on itself proves nothing: skip it. */
		if (!ck->selfsig[i] && sig > 0 &&
		    !gnutls_sign_is_secure2((gnutls_sign_algorithm_t)sig,
		    GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS))
			PROBLEM(ck, TLS_P_INSECURE_ALGO, (int)i, "%s is signed "
			    "with %s, an insecure algorithm", ck->label[i],
			    tc->sig_alg);
		/* Its issuer among the certificates sent, if any. */
		if (tc->self_issued)
			continue;
		for (j = 0; j < ck->n; j++) {
			if (j != i && ck->crt[j] != NULL &&
			    gnutls_x509_crt_check_issuer(ck->crt[i],
			    ck->crt[j]) != 0 &&
			    !gnutls_x509_crt_equals(ck->crt[i], ck->crt[j])) {
				ck->issuer[i] = (int)j;
				break;
			}
		}
	}
}

/* The last certificate of the path from the leaf through the chain sent. */
static size_t
path_top(struct check *ck)
{
	size_t	p = 0, steps;

	for (steps = 0; steps < ck->n && ck->issuer[p] >= 0; steps++)
		p = (size_t)ck->issuer[p];
	return p;
}

static void
check_trust(struct check *ck)
{
	struct tls_client	*c = ck->client;
	size_t			 top = path_top(ck);
	char			*issuer;

	if (ck->crt[top] == NULL)
		return;
	if (ck->selfsig[top]) {
		PROBLEM(ck, TLS_P_SELF_SIGNED, (int)top, "%s is self-signed "
		    "and not trusted", ck->label[top]);
	} else {
		issuer = tls_cert_label(ck->crt[top], true);
		PROBLEM(ck, TLS_P_UNKNOWN_ISSUER, (int)top, "the chain does "
		    "not lead to a trusted root: the issuer %s of certificate "
		    "%zu is unknown (%s)", issuer, top,
		    ck->info->chain[top].is_ca ? "is the root in the trust "
		    "store?" : "was the intermediate sent?");
		free(issuer);
	}
	if (c->ntrusted == 0)
		NOTE(ck, TLS_P_UNKNOWN_ISSUER, "no trusted certificates are "
		    "loaded%s%s", c->trust_err != NULL ? ": " : "",
		    c->trust_err != NULL ? c->trust_err : "");
}

/* Each certificate against the one sent as its issuer, dates aside. */
static void
check_pairs(struct check *ck, unsigned status)
{
	const unsigned	 flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_CRL_CHECKS | GNUTLS_VERIFY_ALLOW_BROKEN;
	struct tls_cert	*is;
	unsigned	 st, usage, critical;
	size_t		 i, j;

	/* Only to blame what GnuTLS found: nothing to do on a good chain. */
	if ((status & (GNUTLS_CERT_SIGNATURE_FAILURE |
	    GNUTLS_CERT_SIGNER_NOT_CA)) == 0)
		return;
	for (i = 0; i < ck->n; i++) {
		if (ck->issuer[i] < 0)
			continue;
		j = (size_t)ck->issuer[i];
		if (gnutls_x509_crt_verify(ck->crt[i], &ck->crt[j], 1, flags,
		    &st) < 0)
			continue;
		if ((status & GNUTLS_CERT_SIGNATURE_FAILURE) &&
		    (st & GNUTLS_CERT_SIGNATURE_FAILURE))
			PROBLEM(ck, TLS_P_BAD_SIGNATURE, (int)i, "the signature "
			    "on %s does not verify with the key of its issuer, "
			    "%s", ck->label[i], ck->label[j]);
		if ((status & GNUTLS_CERT_SIGNER_NOT_CA) &&
		    (st & GNUTLS_CERT_SIGNER_NOT_CA)) {
			is = &ck->info->chain[j];
			if (!is->is_ca)
				PROBLEM(ck, TLS_P_NOT_CA, (int)j, "%s issued "
				    "certificate %zu but is not a CA (no "
				    "basic constraint CA:TRUE)", ck->label[j],
				    i);
			else if (gnutls_x509_crt_get_key_usage(ck->crt[j],
			    &usage, &critical) >= 0 &&
			    !(usage & GNUTLS_KEY_KEY_CERT_SIGN))
				PROBLEM(ck, TLS_P_NOT_CA, (int)j, "%s issued "
				    "certificate %zu but its key usage lacks "
				    "keyCertSign", ck->label[j], i);
			else
				PROBLEM(ck, TLS_P_NOT_CA, (int)j, "%s issued "
				    "certificate %zu but may not issue "
				    "certificates", ck->label[j], i);
		}
	}
}

static void
check_name(struct check *ck)
{
	struct tls_cert	*leaf = &ck->info->chain[0];
	char		**names = NULL, *list, *cn;
	size_t		 n = 0, i;

	for (i = 0; i < leaf->nsan; i++) {
		if (strncmp(leaf->san[i], "DNS:", 4) == 0 ||
		    strncmp(leaf->san[i], "IP:", 3) == 0) {
			names = tls_xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = strchr(leaf->san[i], ':') + 1;
		}
	}
	if (n > 0) {
		list = join(names, n, 0, MAX_NAMES);
		PROBLEM(ck, TLS_P_NAME_MISMATCH, 0, "the certificate is for "
		    "%s, not for %s", list, ck->info->name);
		free(list);
	} else if (ck->crt[0] != NULL) {
		cn = tls_cert_label(ck->crt[0], false);
		PROBLEM(ck, TLS_P_NAME_MISMATCH, 0, "the certificate names no "
		    "host (no subjectAltName; its subject is %s), not %s", cn,
		    ck->info->name);
		free(cn);
	} else
		PROBLEM(ck, TLS_P_NAME_MISMATCH, 0, "the certificate is not "
		    "for %s", ck->info->name);
	free(names);
}

static void
check_purpose(struct check *ck)
{
	struct tls_cert	*tc;
	char		*list;
	size_t		 p, steps;
	bool		 blamed = false;

	for (p = 0, steps = 0; steps < ck->n; steps++) {
		tc = &ck->info->chain[p];
		if (tc->neku > 0 && !has(tc->eku, tc->neku, "serverAuth") &&
		    !has(tc->eku, tc->neku, "anyExtendedKeyUsage")) {
			list = join(tc->eku, tc->neku, 0, MAX_NAMES);
			PROBLEM(ck, TLS_P_BAD_PURPOSE, (int)p, "%s is not for "
			    "a TLS server: its extended key usage is %s",
			    ck->label[p], list);
			free(list);
			blamed = true;
		}
		if (ck->issuer[p] < 0)
			break;
		p = (size_t)ck->issuer[p];
	}
	if (!blamed)
		PROBLEM(ck, TLS_P_BAD_PURPOSE, 0, "%s is not for a TLS server",
		    ck->label[0]);
}

static void
check_revoked(struct check *ck)
{
	struct tls_client	*c = ck->client;
	size_t			 i;
	bool			 blamed = false;

	if (ck->ocsp_revoked) {
		PROBLEM(ck, TLS_P_REVOKED, 0, "%s is revoked, says the OCSP "
		    "response the server stapled", ck->label[0]);
		ck->info->problems |= TLS_P_OCSP;
		blamed = true;
	}
	for (i = 0; i < ck->n && c->ncrls > 0; i++) {
		if (ck->crt[i] != NULL &&
		    gnutls_x509_crt_check_revocation(ck->crt[i], c->crls,
		    c->ncrls) == 1) {
			PROBLEM(ck, TLS_P_REVOKED, (int)i, "%s is revoked (by "
			    "the CRL file)", ck->label[i]);
			blamed = true;
		}
	}
	if (!blamed)
		PROBLEM(ck, TLS_P_REVOKED, -1, "a certificate of the chain is "
		    "revoked");
}

/* What GnuTLS found that no certificate sent explains. */
static bool
blamed(struct check *ck, unsigned bits)
{
	size_t	i;

	for (i = 0; i < ck->n; i++) {
		if (ck->info->chain[i].problems & bits)
			return true;
	}
	return false;
}

/* GnuTLS's own sentences for what we have no words for. */
static void
other(struct check *ck, unsigned status)
{
	static const char	 lead[] = "The certificate is NOT trusted. ";
	gnutls_datum_t		 out = { NULL, 0 };
	const char		*text;
	size_t			 len;

	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) < 0 || out.data == NULL) {
		PROBLEM(ck, TLS_P_OTHER, -1, "the verification failed (status "
		    "0x%x)", status);
		return;
	}
	text = (const char *)out.data;
	len = out.size;
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\0'))
		len--;
	if (len > sizeof(lead) - 1 &&
	    strncmp(text, lead, sizeof(lead) - 1) == 0) {
		text += sizeof(lead) - 1;
		len -= sizeof(lead) - 1;
	}
	PROBLEM(ck, TLS_P_OTHER, -1, "%.*s", (int)len, text);
	gnutls_free(out.data);
}

static void
check_status(struct check *ck, unsigned status)
{
	const unsigned	 handled = GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOKED |
	    GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA |
	    GNUTLS_CERT_INSECURE_ALGORITHM | GNUTLS_CERT_NOT_ACTIVATED |
	    GNUTLS_CERT_EXPIRED | GNUTLS_CERT_SIGNATURE_FAILURE |
	    GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_PURPOSE_MISMATCH |
	    GNUTLS_CERT_MISSING_OCSP_STATUS | GNUTLS_CERT_INVALID_OCSP_STATUS;
	unsigned	 rest;

	if (status & GNUTLS_CERT_REVOKED)
		check_revoked(ck);
	if (status & GNUTLS_CERT_INVALID_OCSP_STATUS)
		PROBLEM(ck, TLS_P_OCSP, -1, "the OCSP response the server "
		    "stapled is not valid");
	if (status & GNUTLS_CERT_MISSING_OCSP_STATUS)
		PROBLEM(ck, TLS_P_OCSP, -1, "the certificate requires a stapled "
		    "OCSP response (must-staple) and none came");
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		check_trust(ck);
	check_pairs(ck, status);
	if ((status & GNUTLS_CERT_SIGNATURE_FAILURE) &&
	    !blamed(ck, TLS_P_BAD_SIGNATURE))
		PROBLEM(ck, TLS_P_BAD_SIGNATURE, -1, "a signature in the chain "
		    "does not verify");
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		check_name(ck);
	if ((status & GNUTLS_CERT_EXPIRED) && !blamed(ck, TLS_P_EXPIRED))
		PROBLEM(ck, TLS_P_EXPIRED, -1, "a certificate the server did "
		    "not send has expired (a trusted root?)");
	if ((status & GNUTLS_CERT_NOT_ACTIVATED) &&
	    !blamed(ck, TLS_P_NOT_YET_VALID))
		PROBLEM(ck, TLS_P_NOT_YET_VALID, -1, "a certificate the server "
		    "did not send is not valid yet (a trusted root?)");
	if ((status & GNUTLS_CERT_SIGNER_NOT_CA) && !blamed(ck, TLS_P_NOT_CA))
		PROBLEM(ck, TLS_P_NOT_CA, -1, "a certificate of the chain "
		    "issued another but is not a CA");
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		check_purpose(ck);
	if ((status & GNUTLS_CERT_INSECURE_ALGORITHM) &&
	    !blamed(ck, TLS_P_INSECURE_ALGO | TLS_P_WEAK_KEY))
		PROBLEM(ck, TLS_P_INSECURE_ALGO, -1, "the chain uses an "
		    "algorithm or a key size GnuTLS deems insecure");
	rest = status & ~handled;
	/* GnuTLS adds "constraints" to a signer that is not a CA. */
	if (blamed(ck, TLS_P_NOT_CA))
		rest &= ~GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE;
	if (rest != 0 || (status != 0 && ck->info->problems == 0))
		other(ck, rest != 0 ? rest | GNUTLS_CERT_INVALID : status);
}

/* "not stapled", "good", "revoked", "unknown", "invalid", ... */
static char *
ocsp_state(struct check *ck, unsigned status)
{
	gnutls_ocsp_resp_t	 resp;
	gnutls_datum_t		 raw = { NULL, 0 }, nh = { NULL, 0 },
				 kh = { NULL, 0 }, serial = { NULL, 0 };
	gnutls_digest_algorithm_t dig;
	time_t			 this_update, next_update, rev_time;
	unsigned		 cert_status = GNUTLS_OCSP_CERT_UNKNOWN, why;
	bool			 parsed = false;

	if (!gnutls_ocsp_status_request_is_checked(ck->session,
	    GNUTLS_OCSP_SR_IS_AVAIL))
		return tls_xstrdup(status & GNUTLS_CERT_MISSING_OCSP_STATUS ?
		    "missing (must-staple)" : "not stapled");
	if (gnutls_ocsp_status_request_get(ck->session, &raw) == 0 &&
	    gnutls_ocsp_resp_init(&resp) == 0) {
		if (gnutls_ocsp_resp_import(resp, &raw) == 0 &&
		    gnutls_ocsp_resp_get_single(resp, 0, &dig, &nh, &kh,
		    &serial, &cert_status, &this_update, &next_update,
		    &rev_time, &why) == 0)
			parsed = true;
		gnutls_free(nh.data);
		gnutls_free(kh.data);
		gnutls_free(serial.data);
		gnutls_ocsp_resp_deinit(resp);
	}
	if (parsed && cert_status == GNUTLS_OCSP_CERT_REVOKED) {
		ck->ocsp_revoked = (status & GNUTLS_CERT_REVOKED) != 0;
		return tls_xstrdup("revoked");
	}
	if (status & GNUTLS_CERT_INVALID_OCSP_STATUS)
		return tls_xstrdup("invalid");
	if (gnutls_ocsp_status_request_is_checked(ck->session, 0))
		return tls_xstrdup("good");
	if (!parsed)
		return tls_xstrdup("unreadable");
	return tls_xstrdup(cert_status == GNUTLS_OCSP_CERT_UNKNOWN ?
	    "unknown" : "not checked");
}

static char *
name_or_empty(const char *s)
{
	return tls_xstrdup(s != NULL ? s : "");
}

static void
session_fields(struct tls_info *info, gnutls_session_t s)
{
	gnutls_protocol_t	 version = gnutls_protocol_get_version(s);
	char			*desc;
	int			 group;

	info->version = name_or_empty(gnutls_protocol_get_name(version));
	info->cipher = name_or_empty(gnutls_cipher_get_name(
	    gnutls_cipher_get(s)));
	info->mac = name_or_empty(gnutls_mac_get_name(gnutls_mac_get(s)));
	group = gnutls_group_get(s);
	info->group = name_or_empty(group > 0 ? gnutls_group_get_name(
	    (gnutls_group_t)group) : NULL);
	/* Under TLS 1.3 gnutls_kx_get() names a kx that is not used. */
	info->kx = name_or_empty(version == GNUTLS_TLS1_3 ? NULL :
	    gnutls_kx_get_name(gnutls_kx_get(s)));
	if ((desc = gnutls_session_get_desc(s)) != NULL) {
		info->desc = tls_xstrdup(desc);
		gnutls_free(desc);
	} else
		info->desc = tls_xstrdup("");
	info->resumed = gnutls_session_is_resumed(s) != 0;
}

static void
empty_session(struct tls_info *info)
{
	info->version = tls_xstrdup("");
	info->cipher = tls_xstrdup("");
	info->mac = tls_xstrdup("");
	info->group = tls_xstrdup("");
	info->kx = tls_xstrdup("");
	info->desc = tls_xstrdup("");
}

static void
verify(struct check *ck)
{
	struct tls_info		*info = ck->info;
	gnutls_typed_vdata_st	 data[2];
	unsigned		 ndata = 0, status = 0;
	char			 buf[128];
	int			 r;

	if (info->name[0] != '\0') {
		data[ndata].type = GNUTLS_DT_DNS_HOSTNAME;
		data[ndata].data = (unsigned char *)info->name;
		data[ndata++].size = 0;
	}
	data[ndata].type = GNUTLS_DT_KEY_PURPOSE_OID;
	data[ndata].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	data[ndata++].size = 0;
	r = gnutls_certificate_verify_peers(ck->session, data, ndata, &status);
	info->ocsp = ocsp_state(ck, r == 0 ? status : 0);
	check_each(ck);
	if (r < 0) {
		info->status = GNUTLS_CERT_INVALID;
		if (ck->n == 0)
			PROBLEM(ck, TLS_P_OTHER, -1, "the server sent no "
			    "certificate");
		else
			PROBLEM(ck, TLS_P_OTHER, -1, "cannot verify the "
			    "certificate: %s", tls_strerror(r, buf,
			    sizeof(buf)));
		return;
	}
	info->status = status;
	check_status(ck, status);
}

static void
finish_reasons(struct check *ck)
{
	size_t	i;

	if (ck->nreasons > 1)
		qsort(ck->reasons, ck->nreasons, sizeof(*ck->reasons),
		    reason_cmp);
	ck->info->reasons = tls_xcalloc(ck->nreasons, sizeof(char *));
	for (i = 0; i < ck->nreasons; i++)
		ck->info->reasons[i] = ck->reasons[i].text;
	ck->info->nreasons = ck->nreasons;
	free(ck->reasons);
	ck->reasons = NULL;
}

struct tls_info *
tls_inspect(struct tls_conn *conn, const char *name, time_t now)
{
	struct check		 ck;
	struct tls_info		*info;
	const gnutls_datum_t	*peers;
	unsigned		 npeers = 0;
	size_t			 i, len;
	char			*label;

	info = tls_xcalloc(1, sizeof(*info));
	len = name != NULL ? strlen(name) : 0;
	info->name = tls_xmalloc(len + 1);
	tls_normalize_name(name, info->name, len + 1, NULL);
	info->sni = conn != NULL && conn->sni != NULL ?
	    tls_xstrdup(conn->sni) : NULL;
	memset(&ck, 0, sizeof(ck));
	ck.info = info;
	ck.now = now;
	if (conn == NULL || !conn->done) {
		empty_session(info);
		info->ocsp = tls_xstrdup("not stapled");
		info->status = GNUTLS_CERT_INVALID;
		PROBLEM(&ck, TLS_P_OTHER, -1, "the TLS handshake is not "
		    "complete");
		finish_reasons(&ck);
		return info;
	}
	ck.client = conn->client;
	ck.session = conn->session;
	session_fields(info, conn->session);

	peers = gnutls_certificate_get_peers(conn->session, &npeers);
	if (peers == NULL)
		npeers = 0;
	ck.n = info->nchain = npeers;
	info->chain = tls_xcalloc(npeers, sizeof(*info->chain));
	ck.crt = tls_xcalloc(npeers, sizeof(*ck.crt));
	ck.issuer = tls_xcalloc(npeers, sizeof(*ck.issuer));
	ck.selfsig = tls_xcalloc(npeers, sizeof(*ck.selfsig));
	ck.label = tls_xcalloc(npeers, sizeof(*ck.label));
	for (i = 0; i < npeers; i++) {
		if (gnutls_x509_crt_init(&ck.crt[i]) < 0 ||
		    gnutls_x509_crt_import(ck.crt[i], &peers[i],
		    GNUTLS_X509_FMT_DER) < 0) {
			if (ck.crt[i] != NULL)
				gnutls_x509_crt_deinit(ck.crt[i]);
			ck.crt[i] = NULL;
			memset(&info->chain[i], 0, sizeof(info->chain[i]));
			info->chain[i].subject = tls_xstrdup("");
			info->chain[i].issuer = tls_xstrdup("");
			info->chain[i].serial = tls_xstrdup("");
			info->chain[i].key_type = tls_xstrdup("");
			info->chain[i].sig_alg = tls_xstrdup("");
			info->chain[i].sha256 = tls_xstrdup("");
			info->chain[i].pin_sha256 = tls_xstrdup("");
			info->chain[i].pem = tls_xstrdup("");
			info->chain[i].path_len = -1;
			ck.label[i] = tls_xasprintf("certificate %zu", i);
			continue;
		}
		tls_cert_fill(&info->chain[i], ck.crt[i], now);
		label = tls_cert_label(ck.crt[i], false);
		ck.label[i] = tls_xasprintf("certificate %zu (%s)", i, label);
		free(label);
	}
	verify(&ck);
	info->verified = info->status == 0 && info->problems == 0;
	finish_reasons(&ck);

	for (i = 0; i < npeers; i++) {
		if (ck.crt[i] != NULL)
			gnutls_x509_crt_deinit(ck.crt[i]);
		free(ck.label[i]);
	}
	free(ck.crt);
	free(ck.issuer);
	free(ck.selfsig);
	free(ck.label);
	return info;
}

void
tls_info_free(struct tls_info *info)
{
	size_t	i;

	if (info == NULL)
		return;
	free(info->version);
	free(info->cipher);
	free(info->mac);
	free(info->group);
	free(info->kx);
	free(info->desc);
	free(info->name);
	free(info->sni);
	for (i = 0; i < info->nchain; i++)
		tls_cert_clear(&info->chain[i]);
	free(info->chain);
	for (i = 0; i < info->nreasons; i++)
		free(info->reasons[i]);
	free(info->reasons);
	free(info->ocsp);
	free(info);
}

/* Words separated by one space, none at the ends. */
static void
squeeze(char *s)
{
	char	*o = s, *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == ' ' && (o == s || o[-1] == ' '))
			continue;
		*o++ = *p;
	}
	if (o > s && o[-1] == ' ')
		o--;
	*o = '\0';
}

char *
tls_info_summary(const struct tls_info *info)
{
	const char	*algo, *pname;
	char		*problems, *session, *t, *s;
	unsigned	 bit;

	if (info == NULL)
		return tls_xstrdup("");
	algo = info->group != NULL && info->group[0] != '\0' ? info->group :
	    info->kx != NULL ? info->kx : "";
	problems = tls_xstrdup("");
	for (bit = 1; bit != 0 && bit < 1U << TLS_P_NBITS; bit <<= 1) {
		if (!(info->problems & bit) ||
		    (pname = tls_problem_name(bit)) == NULL)
			continue;
		t = tls_xasprintf("%s%s%s", problems,
		    problems[0] != '\0' ? ", " : ": ", pname);
		free(problems);
		problems = t;
	}
	session = tls_xasprintf("%s %s %s", info->version != NULL ?
	    info->version : "", info->cipher != NULL ? info->cipher : "", algo);
	squeeze(session);
	s = tls_xasprintf("%s, chain of %zu, %s%s", session[0] != '\0' ?
	    session : "no TLS session", info->nchain, info->verified ?
	    "verified" : "NOT verified", info->verified ? "" : problems);
	free(session);
	free(problems);
	return s;
}

char *
tls_info_pem(const struct tls_info *info)
{
	size_t	 i, len = 0, n;
	char	*s;

	if (info == NULL)
		return tls_xstrdup("");
	for (i = 0; i < info->nchain; i++)
		len += info->chain[i].pem != NULL ?
		    strlen(info->chain[i].pem) : 0;
	s = tls_xmalloc(len + 1);
	len = 0;
	for (i = 0; i < info->nchain; i++) {
		if (info->chain[i].pem == NULL)
			continue;
		n = strlen(info->chain[i].pem);
		memcpy(s + len, info->chain[i].pem, n);
		len += n;
	}
	s[len] = '\0';
	return s;
}
