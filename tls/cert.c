/*
 * One certificate as a plain struct tls_cert: names, dates, SANs, key,
 * signature, fingerprints, constraints, usages, PEM.  Every string is data
 * from the certificate, for the caller to sanitise.
 */
#include <arpa/inet.h>

#include <gnutls/abstract.h>

#include <stdlib.h>
#include <string.h>

#include "tls_int.h"

static char *
datum_str(gnutls_datum_t *d)
{
	char	*s;

	s = tls_xstrndup(d->data != NULL ? (const char *)d->data : "", d->size);
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

/* Bytes that may hold a NUL (a forged name): "\x00" shows it. */
static char *
bytes_str(const char *prefix, const unsigned char *p, size_t len)
{
	size_t	 plen = strlen(prefix), i, o;
	char	*s;

	s = tls_xmalloc(plen + len * 4 + 1);
	memcpy(s, prefix, plen);
	for (i = 0, o = plen; i < len; i++) {
		if (p[i] == '\0') {
			memcpy(s + o, "\\x00", 4);
			o += 4;
		} else
			s[o++] = (char)p[i];
	}
	s[o] = '\0';
	return s;
}

static void
push(char ***v, size_t *n, char *s)
{
	*v = tls_xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

static char *
base64(const unsigned char *p, size_t len)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char			*s, *o;
	size_t			 i;
	unsigned		 v;

	o = s = tls_xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (i < len) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return s;
}

static void
get_sans(struct tls_cert *tc, gnutls_x509_crt_t crt)
{
	unsigned char	*buf = NULL;
	char		 ip[INET6_ADDRSTRLEN];
	size_t		 size, cap = 0;
	unsigned	 seq, critical;
	int		 type;

	for (seq = 0; seq < 1024; seq++) {
		size = cap;
		type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf,
		    &size, &critical);
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			cap = size + 1;
			buf = tls_xreallocarray(buf, cap, 1);
			size = cap;
			type = gnutls_x509_crt_get_subject_alt_name(crt, seq,
			    buf, &size, &critical);
		}
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type < 0)
			continue;	/* unreadable: skip this one */
		switch (type) {
		case GNUTLS_SAN_DNSNAME:
			push(&tc->san, &tc->nsan, bytes_str("DNS:", buf, size));
			break;
		case GNUTLS_SAN_IPADDRESS:
			if ((size == 4 && inet_ntop(AF_INET, buf, ip,
			    sizeof(ip)) != NULL) || (size == 16 &&
			    inet_ntop(AF_INET6, buf, ip, sizeof(ip)) != NULL))
				push(&tc->san, &tc->nsan,
				    tls_xasprintf("IP:%s", ip));
			else {
				char	*hex = tls_hex(buf, size, ':', false);

				push(&tc->san, &tc->nsan,
				    tls_xasprintf("IP:%s", hex));
				free(hex);
			}
			break;
		case GNUTLS_SAN_RFC822NAME:
			push(&tc->san, &tc->nsan,
			    bytes_str("email:", buf, size));
			break;
		case GNUTLS_SAN_URI:
			push(&tc->san, &tc->nsan, bytes_str("URI:", buf, size));
			break;
		default:
			push(&tc->san, &tc->nsan,
			    tls_xasprintf("other:%d", type));
			break;
		}
	}
	free(buf);
}

/* "P-256" for SECP256R1, as people say it. */
static const char *
curve_name(gnutls_ecc_curve_t curve)
{
	static const struct {
		gnutls_ecc_curve_t	 curve;
		const char		*name;
	} nist[] = {
		{ GNUTLS_ECC_CURVE_SECP192R1, "P-192" },
		{ GNUTLS_ECC_CURVE_SECP224R1, "P-224" },
		{ GNUTLS_ECC_CURVE_SECP256R1, "P-256" },
		{ GNUTLS_ECC_CURVE_SECP384R1, "P-384" },
		{ GNUTLS_ECC_CURVE_SECP521R1, "P-521" },
	};
	const char	*name;
	size_t		 i;

	for (i = 0; i < sizeof(nist) / sizeof(nist[0]); i++) {
		if (nist[i].curve == curve)
			return nist[i].name;
	}
	name = gnutls_ecc_curve_get_name(curve);
	return name != NULL ? name : "unknown curve";
}

static void
get_key(struct tls_cert *tc, gnutls_x509_crt_t crt)
{
	gnutls_ecc_curve_t	 curve = GNUTLS_ECC_CURVE_INVALID;
	const char		*name;
	unsigned		 bits = 0;
	int			 pk;

	pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	tc->key_bits = bits;
	switch (pk) {
	case GNUTLS_PK_RSA:
		tc->key_type = tls_xstrdup("RSA");
		break;
	case GNUTLS_PK_RSA_PSS:
		tc->key_type = tls_xstrdup("RSA-PSS");
		break;
	case GNUTLS_PK_DSA:
		tc->key_type = tls_xstrdup("DSA");
		break;
	case GNUTLS_PK_ECDSA:
		if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL,
		    NULL) < 0)
			curve = GNUTLS_ECC_CURVE_INVALID;
		tc->key_type = tls_xasprintf("ECDSA %s", curve_name(curve));
		break;
	case GNUTLS_PK_EDDSA_ED25519:
		tc->key_type = tls_xstrdup("Ed25519");
		break;
	case GNUTLS_PK_EDDSA_ED448:
		tc->key_type = tls_xstrdup("Ed448");
		break;
	default:
		name = pk >= 0 ? gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) :
		    NULL;
		tc->key_type = tls_xstrdup(name != NULL ? name : "unknown");
		break;
	}
}

static void
get_sig(struct tls_cert *tc, gnutls_x509_crt_t crt)
{
	const char	*name = NULL;
	char		 oid[128];
	size_t		 size = sizeof(oid);
	int		 sig;

	sig = gnutls_x509_crt_get_signature_algorithm(crt);
	if (sig > 0)
		name = gnutls_sign_get_name((gnutls_sign_algorithm_t)sig);
	if (name != NULL)
		tc->sig_alg = tls_xstrdup(name);
	else if (gnutls_x509_crt_get_signature_oid(crt, oid, &size) == 0)
		tc->sig_alg = tls_xstrdup(oid);
	else
		tc->sig_alg = tls_xstrdup("unknown");
}

static void
get_digests(struct tls_cert *tc, gnutls_x509_crt_t crt)
{
	unsigned char	buf[64];
	size_t		size;

	size = sizeof(buf);
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, buf,
	    &size) == 0)
		tc->sha256 = tls_hex(buf, size, ':', true);
	else
		tc->sha256 = tls_xstrdup("");
	size = sizeof(buf);
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, buf,
	    &size) == 0)
		tc->pin_sha256 = base64(buf, size);
	else
		tc->pin_sha256 = tls_xstrdup("");
}

static void
get_usage(struct tls_cert *tc, gnutls_x509_crt_t crt)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} ku[] = {
		{ GNUTLS_KEY_DIGITAL_SIGNATURE, "digitalSignature" },
		{ GNUTLS_KEY_NON_REPUDIATION, "nonRepudiation" },
		{ GNUTLS_KEY_KEY_ENCIPHERMENT, "keyEncipherment" },
		{ GNUTLS_KEY_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ GNUTLS_KEY_KEY_AGREEMENT, "keyAgreement" },
		{ GNUTLS_KEY_KEY_CERT_SIGN, "keyCertSign" },
		{ GNUTLS_KEY_CRL_SIGN, "cRLSign" },
		{ GNUTLS_KEY_ENCIPHER_ONLY, "encipherOnly" },
		{ GNUTLS_KEY_DECIPHER_ONLY, "decipherOnly" },
	};
	static const struct {
		const char	*oid;
		const char	*name;
	} eku[] = {
		{ GNUTLS_KP_TLS_WWW_SERVER, "serverAuth" },
		{ GNUTLS_KP_TLS_WWW_CLIENT, "clientAuth" },
		{ GNUTLS_KP_CODE_SIGNING, "codeSigning" },
		{ GNUTLS_KP_EMAIL_PROTECTION, "emailProtection" },
		{ GNUTLS_KP_TIME_STAMPING, "timeStamping" },
		{ GNUTLS_KP_OCSP_SIGNING, "OCSPSigning" },
		{ GNUTLS_KP_ANY, "anyExtendedKeyUsage" },
	};
	unsigned	 usage, critical, ca, i, j;
	char		 oid[256];
	size_t		 size;
	int		 pathlen, r;

	r = gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca,
	    &pathlen);
	tc->is_ca = r >= 0 && ca != 0;
	tc->path_len = r >= 0 && ca != 0 && pathlen >= 0 ? pathlen : -1;
	if (gnutls_x509_crt_get_key_usage(crt, &usage, &critical) >= 0) {
		for (i = 0; i < sizeof(ku) / sizeof(ku[0]); i++) {
			if (usage & ku[i].bit)
				push(&tc->key_usage, &tc->nku,
				    tls_xstrdup(ku[i].name));
		}
	}
	for (i = 0; i < 256; i++) {
		size = sizeof(oid);
		r = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size,
		    &critical);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0)
			continue;
		for (j = 0; j < sizeof(eku) / sizeof(eku[0]); j++) {
			if (strcmp(oid, eku[j].oid) == 0)
				break;
		}
		push(&tc->eku, &tc->neku, tls_xstrdup(j < sizeof(eku) /
		    sizeof(eku[0]) ? eku[j].name : oid));
	}
}

static char *
get_serial(gnutls_x509_crt_t crt)
{
	unsigned char	buf[128];
	size_t		size = sizeof(buf);

	if (gnutls_x509_crt_get_serial(crt, buf, &size) < 0)
		return tls_xstrdup("");
	return tls_hex(buf, size, ':', false);
}

void
tls_cert_fill(struct tls_cert *tc, gnutls_x509_crt_t crt, time_t now)
{
	gnutls_datum_t	d = { NULL, 0 };

	memset(tc, 0, sizeof(*tc));
	tc->path_len = -1;
	tc->subject = gnutls_x509_crt_get_dn3(crt, &d, 0) == 0 ?
	    datum_str(&d) : tls_xstrdup("");
	tc->issuer = gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) == 0 ?
	    datum_str(&d) : tls_xstrdup("");
	tc->serial = get_serial(crt);
	tc->not_before = gnutls_x509_crt_get_activation_time(crt);
	tc->not_after = gnutls_x509_crt_get_expiration_time(crt);
	/* Whole days, rounded toward zero: -3 is "expired 3 days ago". */
	tc->days_left = (long)((tc->not_after - now) / 86400);
	get_sans(tc, crt);
	get_key(tc, crt);
	get_sig(tc, crt);
	get_digests(tc, crt);
	get_usage(tc, crt);
	tc->self_issued = gnutls_x509_crt_check_issuer(crt, crt) != 0;
	tc->pem = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) == 0 ?
	    datum_str(&d) : tls_xstrdup("");
}

static void
free_vec(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
tls_cert_clear(struct tls_cert *tc)
{
	free(tc->subject);
	free(tc->issuer);
	free(tc->serial);
	free_vec(tc->san, tc->nsan);
	free(tc->key_type);
	free(tc->sig_alg);
	free(tc->sha256);
	free(tc->pin_sha256);
	free_vec(tc->key_usage, tc->nku);
	free_vec(tc->eku, tc->neku);
	free(tc->pem);
	memset(tc, 0, sizeof(*tc));
}

char *
tls_cert_label(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t	 d = { NULL, 0 };
	char		 buf[256], *s;
	size_t		 size = sizeof(buf);
	int		 r;

	if (issuer)
		r = gnutls_x509_crt_get_issuer_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size);
	else
		r = gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &size);
	if (r == 0)
		return bytes_str("CN=", (unsigned char *)buf, strlen(buf));
	r = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) :
	    gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (r == 0 && d.size > 0)
		return datum_str(&d);
	gnutls_free(d.data);
	s = tls_xstrdup("an empty name");
	return s;
}

/*
 * The first element of a DER SEQUENCE (a certificate's TBSCertificate),
 * header included.  -1 when the bytes are not what they should be.
 */
static int
der_first(const unsigned char *p, size_t len, gnutls_datum_t *out)
{
	size_t	hdr, body, i, n;
	int	level;

	for (level = 0; level < 2; level++) {
		if (len < 2 || p[0] != 0x30)
			return -1;
		if (p[1] < 0x80) {
			hdr = 2;
			body = p[1];
		} else {
			n = p[1] & 0x7f;
			if (n == 0 || n > 4 || len < 2 + n)
				return -1;
			for (i = 0, body = 0; i < n; i++)
				body = body << 8 | p[2 + i];
			hdr = 2 + n;
		}
		if (body > len - hdr)
			return -1;
		if (level == 1) {
			out->data = (unsigned char *)p;
			out->size = (unsigned)(hdr + body);
			return 0;
		}
		p += hdr;
		len = body;
	}
	return -1;
}

bool
tls_cert_self_signed(gnutls_x509_crt_t crt)
{
	gnutls_datum_t	 der = { NULL, 0 }, tbs, sig;
	gnutls_pubkey_t	 pub = NULL;
	unsigned char	*buf = NULL;
	size_t		 size = 0;
	bool		 ok = false;
	int		 algo;

	if (gnutls_x509_crt_check_issuer(crt, crt) == 0)
		return false;
	algo = gnutls_x509_crt_get_signature_algorithm(crt);
	if (algo <= 0)
		return false;
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return false;
	if (der_first(der.data, der.size, &tbs) == -1)
		goto out;
	if (gnutls_x509_crt_get_signature(crt, NULL, &size) !=
	    GNUTLS_E_SHORT_MEMORY_BUFFER || size == 0)
		goto out;
	buf = tls_xmalloc(size);
	if (gnutls_x509_crt_get_signature(crt, (char *)buf, &size) < 0)
		goto out;
	sig.data = buf;
	sig.size = (unsigned)size;
	if (gnutls_pubkey_init(&pub) < 0) {
		pub = NULL;
		goto out;
	}
	if (gnutls_pubkey_import_x509(pub, crt, 0) < 0)
		goto out;
	/* Whether it signed itself, not whether that is secure. */
	ok = gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)algo,
	    GNUTLS_VERIFY_ALLOW_BROKEN, &tbs, &sig) >= 0;
out:
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	free(buf);
	gnutls_free(der.data);
	return ok;
}
