/*
 * SASL for AUTH, the client side: see sasl.h.  The secret is kept in one
 * allocation; every buffer made from it (the raw exchange, its base64,
 * the CRAM-MD5 digest) is sized once, never grown (realloc would leave a
 * copy behind), and wiped before it is freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "sasl.h"
#include "xmalloc.h"

static const char *const mech_names[SASL_MECH_LAST] = {
	[SASL_NONE] = "",
	[SASL_PLAIN] = "PLAIN",
	[SASL_LOGIN] = "LOGIN",
	[SASL_CRAM_MD5] = "CRAM-MD5",
	[SASL_XOAUTH2] = "XOAUTH2",
	[SASL_OAUTHBEARER] = "OAUTHBEARER",
};

/* The longest decoded challenge kept for the reader, "..." included. */
#define CHALLENGE_SHOWN	200

struct sasl_client {
	enum sasl_mech	 mech;
	char		*user;
	char		*secret;	/* SECRETLEN bytes and a NUL */
	size_t		 secretlen;
	char		*host;		/* OAUTHBEARER's; NULL: none */
	int		 port;		/* OAUTHBEARER's; 0: none */
	bool		 sent;		/* the credentials went out */
	int		 steps;		/* 334s answered */
	bool		 done;		/* nothing more to answer */
};

enum sasl_mech
sasl_mech(const char *name, size_t len)
{
	size_t	m;

	for (m = SASL_PLAIN; m < SASL_MECH_LAST; m++)
		if (strlen(mech_names[m]) == len &&
		    strncasecmp(mech_names[m], name, len) == 0)
			return (enum sasl_mech)m;
	return SASL_NONE;
}

const char *
sasl_mech_name(enum sasl_mech m)
{
	return m < SASL_MECH_LAST ? mech_names[m] : "?";
}

void
sasl_wipe_free(char *s, size_t len)
{
	if (s == NULL)
		return;
	explicit_bzero(s, len);
	free(s);
}

/* --- base64 -------------------------------------------------------------- */

char *
sasl_base64_encode(const void *p, size_t len)
{
	gnutls_datum_t	 in, enc = { NULL, 0 };
	char		*s;

	if (len == 0)
		return xstrdup("");
	in.data = (unsigned char *)(uintptr_t)p;
	in.size = (unsigned)len;
	if (len > UINT32_MAX / 2 || gnutls_base64_encode2(&in, &enc) < 0) {
		fprintf(stderr, "smtptool: cannot encode %zu bytes in "
		    "base64\n", len);
		abort();
	}
	s = xstrndup((const char *)enc.data, enc.size);
	explicit_bzero(enc.data, enc.size);
	gnutls_free(enc.data);
	return s;
}

int
sasl_base64_decode(const char *p, size_t len, char **out, size_t *outlen)
{
	gnutls_datum_t	in, dec = { NULL, 0 };
	size_t		i;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0)
		return -1;
	/* GnuTLS skips white space: this is stricter. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '=') {
			if (i < len - 2 || (i == len - 2 && p[len - 1] != '='))
				return -1;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	if (len == 0) {
		*out = xstrdup("");
		return 0;
	}
	in.data = (unsigned char *)(uintptr_t)p;
	in.size = (unsigned)len;
	if (len > UINT32_MAX || gnutls_base64_decode2(&in, &dec) < 0)
		return -1;
	*out = xmalloc((size_t)dec.size + 1);
	memcpy(*out, dec.data, dec.size);
	(*out)[dec.size] = '\0';
	*outlen = dec.size;
	explicit_bzero(dec.data, dec.size);
	gnutls_free(dec.data);
	return 0;
}

/* --- the client ---------------------------------------------------------- */

struct sasl_client *
sasl_client_new(enum sasl_mech mech, const char *user, const char *secret,
    size_t secretlen, const char *host, int port, char **errstr)
{
	struct sasl_client	*c;
	bool			 bearer;
	const char		*what;

	if (mech <= SASL_NONE || mech >= SASL_MECH_LAST) {
		seterr(errstr, "cannot start AUTH: unknown mechanism");
		return NULL;
	}
	bearer = mech == SASL_XOAUTH2 || mech == SASL_OAUTHBEARER;
	what = bearer ? "token" : "password";
	if (user == NULL || *user == '\0') {
		seterr(errstr, "cannot start AUTH %s: no user name",
		    mech_names[mech]);
		return NULL;
	}
	if (secret == NULL && secretlen > 0) {
		seterr(errstr, "cannot start AUTH %s: no %s", mech_names[mech],
		    what);
		return NULL;
	}
	if (secretlen > 0 && memchr(secret, '\0', secretlen) != NULL) {
		seterr(errstr, "cannot start AUTH %s: the %s holds a NUL byte",
		    mech_names[mech], what);
		return NULL;
	}
	if (bearer && strchr(user, '\x01') != NULL) {
		seterr(errstr, "cannot start AUTH %s: the user name holds a "
		    "\\x01 byte", mech_names[mech]);
		return NULL;
	}
	if (bearer && secretlen > 0 &&
	    memchr(secret, '\x01', secretlen) != NULL) {
		seterr(errstr, "cannot start AUTH %s: the token holds a \\x01 "
		    "byte", mech_names[mech]);
		return NULL;
	}
	if (mech == SASL_OAUTHBEARER && host != NULL &&
	    strchr(host, '\x01') != NULL) {
		seterr(errstr, "cannot start AUTH %s: the host name holds a "
		    "\\x01 byte", mech_names[mech]);
		return NULL;
	}
	c = xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->mech = mech;
	c->user = xstrdup(user);
	c->secret = xmalloc(secretlen + 1);
	if (secretlen > 0)
		memcpy(c->secret, secret, secretlen);
	c->secret[secretlen] = '\0';
	c->secretlen = secretlen;
	if (host != NULL && *host != '\0')
		c->host = xstrdup(host);
	c->port = port > 0 && port <= 65535 ? port : 0;
	return c;
}

void
sasl_client_free(struct sasl_client *c)
{
	if (c == NULL)
		return;
	sasl_wipe_free(c->user, strlen(c->user));
	sasl_wipe_free(c->secret, c->secretlen);
	free(c->host);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

enum sasl_mech
sasl_client_mech(const struct sasl_client *c)
{
	return c->mech;
}

/* A buffer sized once: put() past its end is a bug. */
struct raw {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
put(struct raw *r, const void *p, size_t n)
{
	if (n > r->cap - r->len) {
		fprintf(stderr, "smtptool: %s: buffer too small\n", __func__);
		abort();
	}
	memcpy(r->p + r->len, p, n);
	r->len += n;
}

static void
puts_raw(struct raw *r, const char *s)
{
	put(r, s, strlen(s));
}

/* The base64 of R, which is wiped and freed. */
static char *
seal(struct raw *r)
{
	char	*s;

	s = sasl_base64_encode(r->p, r->len);
	sasl_wipe_free(r->p, r->cap);
	r->p = NULL;
	return s;
}

/* PLAIN: authzid (none) NUL authcid NUL passwd (RFC 4616 2). */
static char *
plain(const struct sasl_client *c)
{
	struct raw	r;
	size_t		ulen = strlen(c->user);

	r.cap = ulen + c->secretlen + 2;
	r.p = xmalloc(r.cap);
	r.len = 0;
	put(&r, "", 1);
	put(&r, c->user, ulen);
	put(&r, "", 1);
	put(&r, c->secret, c->secretlen);
	return seal(&r);
}

/* XOAUTH2: "user=" U ^A "auth=Bearer " T ^A ^A (Google's). */
static char *
xoauth2(const struct sasl_client *c)
{
	struct raw	r;
	size_t		ulen = strlen(c->user);

	r.cap = ulen + c->secretlen + 20;
	r.p = xmalloc(r.cap);
	r.len = 0;
	puts_raw(&r, "user=");
	put(&r, c->user, ulen);
	puts_raw(&r, "\x01" "auth=Bearer ");
	put(&r, c->secret, c->secretlen);
	puts_raw(&r, "\x01\x01");
	return seal(&r);
}

/*
 * OAUTHBEARER (RFC 7628 3.1): the GS2 header "n,a=" U "," with ',' and
 * '=' of the user as =2C and =3D (RFC 5801 4), then ^A, "host=" H ^A,
 * "port=" P ^A, "auth=Bearer " T ^A ^A.
 */
static char *
oauthbearer(const struct sasl_client *c)
{
	struct raw	 r;
	char		 port[16];
	const char	*u;
	size_t		 hlen = c->host != NULL ? strlen(c->host) : 0;

	snprintf(port, sizeof(port), "%d", c->port);
	r.cap = 3 * strlen(c->user) + hlen + strlen(port) + c->secretlen + 40;
	r.p = xmalloc(r.cap);
	r.len = 0;
	puts_raw(&r, "n,a=");
	for (u = c->user; *u != '\0'; u++) {
		if (*u == ',')
			puts_raw(&r, "=2C");
		else if (*u == '=')
			puts_raw(&r, "=3D");
		else
			put(&r, u, 1);
	}
	puts_raw(&r, ",\x01");
	if (c->host != NULL) {
		puts_raw(&r, "host=");
		put(&r, c->host, hlen);
		puts_raw(&r, "\x01");
	}
	if (c->port != 0) {
		puts_raw(&r, "port=");
		puts_raw(&r, port);
		puts_raw(&r, "\x01");
	}
	puts_raw(&r, "auth=Bearer ");
	put(&r, c->secret, c->secretlen);
	puts_raw(&r, "\x01\x01");
	return seal(&r);
}

/* CRAM-MD5: base64(user SP hex(HMAC-MD5(secret, challenge))) (RFC 2195). */
static int
cram_md5(const struct sasl_client *c, const char *challenge, size_t len,
    char **response, char **errstr)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[16];
	struct raw		 r;
	size_t			 i, ulen = strlen(c->user);
	int			 e;

	e = gnutls_hmac_fast(GNUTLS_MAC_MD5, c->secret, c->secretlen,
	    challenge, len, mac);
	if (e < 0) {
		explicit_bzero(mac, sizeof(mac));
		return seterr(errstr, "cannot compute the CRAM-MD5 digest: %s",
		    gnutls_strerror(e));
	}
	r.cap = ulen + 1 + 2 * sizeof(mac);
	r.p = xmalloc(r.cap);
	r.len = 0;
	put(&r, c->user, ulen);
	put(&r, " ", 1);
	for (i = 0; i < sizeof(mac); i++) {
		put(&r, &hex[mac[i] >> 4], 1);
		put(&r, &hex[mac[i] & 15], 1);
	}
	explicit_bzero(mac, sizeof(mac));
	*response = seal(&r);
	return 0;
}

/* The credentials in one message: PLAIN, XOAUTH2, OAUTHBEARER. */
static char *
credentials(const struct sasl_client *c)
{
	switch (c->mech) {
	case SASL_PLAIN:
		return plain(c);
	case SASL_XOAUTH2:
		return xoauth2(c);
	case SASL_OAUTHBEARER:
		return oauthbearer(c);
	default:
		return NULL;
	}
}

void
sasl_client_start(struct sasl_client *c, char **ir)
{
	*ir = credentials(c);
	if (*ir != NULL)
		c->sent = true;
}

int
sasl_client_step(struct sasl_client *c, const char *challenge, size_t len,
    char **response, const char **what, char **errstr)
{
	char	*dec;
	size_t	 declen;
	int	 rc = 0;

	*response = NULL;
	*what = NULL;
	if (sasl_base64_decode(challenge, len, &dec, &declen) == -1)
		return seterr(errstr, "cannot answer the 334: its challenge "
		    "is not base64");
	if (c->done)
		goto over;
	switch (c->mech) {
	case SASL_PLAIN:
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		if (!c->sent) {
			/* "AUTH MECH" without the initial response. */
			*response = credentials(c);
			*what = c->mech == SASL_PLAIN ?
			    "the user name and the password" :
			    "the user name and the token";
			c->sent = true;
		} else if (c->mech == SASL_XOAUTH2) {
			/* A JSON error: an empty line gets the 535. */
			*response = xstrdup("");
			*what = "an empty line (the server reported an error)";
			c->done = true;
		} else if (c->mech == SASL_OAUTHBEARER) {
			/* RFC 7628 3.2.3: a lone ^A gets the 535. */
			*response = xstrdup("AQ==");
			*what = "a lone \\x01 (the server reported an error)";
			c->done = true;
		} else
			goto over;
		break;
	case SASL_LOGIN:
		/* By order, not by the text: servers word them freely. */
		if (c->steps == 0) {
			*response = sasl_base64_encode(c->user,
			    strlen(c->user));
			*what = "the user name";
		} else {
			*response = sasl_base64_encode(c->secret,
			    c->secretlen);
			*what = "the password";
			c->done = true;
		}
		break;
	case SASL_CRAM_MD5:
		if (declen == 0) {
			rc = seterr(errstr, "cannot answer the CRAM-MD5 "
			    "challenge: it is empty");
			break;
		}
		if ((rc = cram_md5(c, dec, declen, response, errstr)) == 0)
			*what = "the user name and the CRAM-MD5 digest";
		c->done = true;
		break;
	default:
		goto over;
	}
	if (rc == 0)
		c->steps++;
	sasl_wipe_free(dec, declen);
	return rc;
over:
	sasl_wipe_free(dec, declen);
	return seterr(errstr, "cannot answer the 334: AUTH %s expects no "
	    "more challenges", mech_names[c->mech]);
}

/* --- for the reader ------------------------------------------------------ */

/* Byte C for the reader into P (5 bytes: a NUL may follow); its length. */
static size_t
shown(unsigned char c, char *p)
{
	if (c == '\\') {
		memcpy(p, "\\\\", 2);
		return 2;
	}
	if (c < 0x20 || c > 0x7e) {
		snprintf(p, 5, "\\x%02x", c);
		return 4;
	}
	*p = (char)c;
	return 1;
}

char *
sasl_decode_challenge(const char *b64, size_t len)
{
	char	*dec, *s, piece[5];
	size_t	 declen, i, n, total = 0, room = CHALLENGE_SHOWN;

	if (sasl_base64_decode(b64, len, &dec, &declen) == -1)
		return NULL;
	for (i = 0; i < declen; i++)
		total += shown((unsigned char)dec[i], piece);
	if (total > CHALLENGE_SHOWN)
		room -= 3;	/* for "..." */
	s = xmalloc(CHALLENGE_SHOWN + 1);
	for (i = n = 0; i < declen; i++) {
		size_t plen = shown((unsigned char)dec[i], piece);

		if (n + plen > room)
			break;
		memcpy(s + n, piece, plen);
		n += plen;
	}
	if (total > CHALLENGE_SHOWN) {
		memcpy(s + n, "...", 3);
		n += 3;
	}
	s[n] = '\0';
	sasl_wipe_free(dec, declen);
	return s;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

bool
sasl_mask_auth_line(const char *line, size_t len, char **masked)
{
	size_t	i = 0, end = len, mlen;

	*masked = NULL;
	while (end > 0 && (is_blank(line[end - 1]) || line[end - 1] == '\r' ||
	    line[end - 1] == '\n'))
		end--;
	while (i < end && is_blank(line[i]))
		i++;
	if (end - i < 5 || strncasecmp(line + i, "AUTH", 4) != 0 ||
	    !is_blank(line[i + 4]))
		return false;
	i += 4;
	while (i < end && is_blank(line[i]))
		i++;
	while (i < end && !is_blank(line[i]))
		i++;
	while (i < end && is_blank(line[i]))
		i++;
	if (i >= end)
		return false;	/* no mechanism, or no initial response */
	mlen = strlen(SASL_MASK);
	*masked = xmalloc(i + mlen + 1);
	memcpy(*masked, line, i);
	memcpy(*masked + i, SASL_MASK, mlen + 1);
	return true;
}
