/* SASL for the sandbox server: see server_auth.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "server_auth.h"
#include "xmalloc.h"

/* base64("Username:") and base64("Password:"), as every server sends. */
#define LOGIN_USER	"VXNlcm5hbWU6"
#define LOGIN_PASS	"UGFzc3dvcmQ6"

/* The error challenges of a wrong token, as Gmail and RFC 7628 3.2.2. */
#define XOAUTH2_ERROR	"{\"status\":\"401\",\"schemes\":\"bearer\"," \
			"\"scope\":\"https://mail.google.com/\"}"
#define BEARER_ERROR	"{\"status\":\"invalid_token\"," \
			"\"schemes\":\"bearer\"}"

void
server_sasl_clear(struct server_sasl *x)
{
	if (x->user != NULL) {
		explicit_bzero(x->user, strlen(x->user));
		free(x->user);
	}
	explicit_bzero(x, sizeof(*x));
}

/* A decoded response: wiped and freed with wipe(). */
struct secret {
	unsigned char	*data;
	size_t		 len;
};

static void
wipe(struct secret *d)
{
	sasl_wipe_free((char *)d->data, d->len);
	d->data = NULL;
	d->len = 0;
}

/* Strict base64: 0 with D set ("" is the empty response), or -1. */
static int
decode(const char *p, size_t len, struct secret *d)
{
	char	*out;

	d->data = NULL;
	d->len = 0;
	if (sasl_base64_decode(p, len, &out, &d->len) == -1)
		return -1;
	d->data = (unsigned char *)out;
	return 0;
}

static void
encode(const void *p, size_t len, struct buf *out)
{
	char	*enc;

	enc = sasl_base64_encode(p, len);
	buf_addstr(out, enc);
	free(enc);
}

/* Equal without an early exit on the first difference. */
static bool
same(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char	*x = a, *y = b;
	unsigned char		 d = 0;
	size_t			 i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static const struct server_user *
find_user(const struct server_user *users, size_t n, const void *name,
    size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (users[i].name != NULL &&
		    same(users[i].name, strlen(users[i].name), name, len))
			return &users[i];
	return NULL;
}

static enum server_sasl_result
check(const struct server_user *users, size_t n, const void *name,
    size_t nlen, const void *pass, size_t plen, struct buf *out)
{
	const struct server_user	*u;

	u = find_user(users, n, name, nlen);
	if (u == NULL || u->password == NULL ||
	    !same(u->password, strlen(u->password), pass, plen))
		return SASL_FAIL;
	buf_addstr(out, u->name);
	return SASL_OK;
}

/* PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616 2). */
static enum server_sasl_result
plain(const struct secret *d, const struct server_user *users, size_t n,
    struct buf *out)
{
	const unsigned char	*p = d->data, *nul1, *nul2, *end;

	if (d->len == 0)
		return SASL_MALFORMED;
	end = p + d->len;
	if ((nul1 = memchr(p, '\0', d->len)) == NULL ||
	    (nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1))) == NULL ||
	    memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)) != NULL ||
	    nul2 == nul1 + 1)
		return SASL_MALFORMED;
	/* Acting for another user is not offered. */
	if (nul1 != p && !same(p, (size_t)(nul1 - p), nul1 + 1,
	    (size_t)(nul2 - nul1 - 1)))
		return SASL_FAIL;
	return check(users, n, nul1 + 1, (size_t)(nul2 - nul1 - 1), nul2 + 1,
	    (size_t)(end - nul2 - 1), out);
}

/* CRAM-MD5: "user SP hex(HMAC-MD5(password, challenge))" (RFC 2195). */
static enum server_sasl_result
cram(const struct server_sasl *x, const struct secret *d,
    const struct server_user *users, size_t n, struct buf *out)
{
	const struct server_user	*u;
	const unsigned char		*sp;
	unsigned char			 mac[16];
	char				 hex[33], got[33];
	size_t				 i, nlen;

	if (d->len == 0 || (sp = memrchr(d->data, ' ', d->len)) == NULL ||
	    d->len - (size_t)(sp - d->data) - 1 != 32)
		return SASL_MALFORMED;
	nlen = (size_t)(sp - d->data);
	for (i = 0; i < 32; i++) {
		unsigned char c = sp[1 + i];

		if (c >= 'A' && c <= 'F')
			c = (unsigned char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return SASL_MALFORMED;
		got[i] = (char)c;
	}
	got[32] = '\0';
	u = find_user(users, n, d->data, nlen);
	if (u == NULL || u->password == NULL)
		return SASL_FAIL;
	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, u->password,
	    strlen(u->password), x->challenge, strlen(x->challenge),
	    mac) < 0)
		return SASL_FAIL;
	for (i = 0; i < 16; i++) {
		hex[2 * i] = "0123456789abcdef"[mac[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
	}
	hex[32] = '\0';
	explicit_bzero(mac, sizeof(mac));
	if (!same(hex, 32, got, 32)) {
		explicit_bzero(hex, sizeof(hex));
		return SASL_FAIL;
	}
	explicit_bzero(hex, sizeof(hex));
	buf_addstr(out, u->name);
	return SASL_OK;
}

/*
 * The key-value pairs of XOAUTH2 and OAUTHBEARER: (key "=" value ^A)*
 * ^A, all of P.  *USER (XOAUTH2's user=) and *TOKEN (what follows
 * "auth=Bearer ") point into P.  -1 when malformed.
 */
static int
kvpairs(const unsigned char *p, size_t len, const unsigned char **user,
    size_t *ulen, const unsigned char **token, size_t *tlen)
{
	const unsigned char	*end, *eq, *v;
	size_t			 klen, vlen;

	*user = *token = NULL;
	*ulen = *tlen = 0;
	if (len == 0 || p[len - 1] != 0x01)
		return -1;
	len--;
	while (len > 0) {
		if ((end = memchr(p, 0x01, len)) == NULL ||
		    (eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    eq == p)
			return -1;
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = (size_t)(end - v);
		if (klen == 4 && memcmp(p, "user", 4) == 0) {
			if (*user != NULL)
				return -1;
			*user = v;
			*ulen = vlen;
		} else if (klen == 4 && memcmp(p, "auth", 4) == 0) {
			/* The scheme is case-insensitive (RFC 6750 2.1). */
			if (*token != NULL || vlen < 7 ||
			    strncasecmp((const char *)v, "Bearer ", 7) != 0)
				return -1;
			for (v += 7, vlen -= 7; vlen > 0 && *v == ' '; vlen--)
				v++;
			*token = v;
			*tlen = vlen;
		}
		len -= (size_t)(end - p) + 1;
		p = end + 1;
	}
	return *token != NULL && *tlen > 0 ? 0 : -1;
}

/* The user whose password is the token: found by name, or by token. */
static const struct server_user *
bearer_user(const struct server_user *users, size_t n, const void *name,
    size_t nlen, const void *token, size_t tlen)
{
	const struct server_user	*u = NULL;
	size_t				 i;

	if (name != NULL)
		u = find_user(users, n, name, nlen);
	else
		for (i = 0; i < n && u == NULL; i++)
			if (users[i].name != NULL &&
			    users[i].password != NULL &&
			    same(users[i].password, strlen(users[i].password),
			    token, tlen))
				u = &users[i];
	if (u == NULL || u->password == NULL ||
	    !same(u->password, strlen(u->password), token, tlen))
		return NULL;
	return u;
}

/*
 * XOAUTH2: "user=" U ^A "auth=Bearer " T ^A ^A.  A wrong token: the
 * JSON error challenge, and step 2.
 */
static enum server_sasl_result
xoauth2(struct server_sasl *x, const struct secret *d,
    const struct server_user *users, size_t n, struct buf *out)
{
	const struct server_user	*u;
	const unsigned char		*user, *token;
	size_t				 ulen, tlen;

	if (kvpairs(d->data, d->len, &user, &ulen, &token, &tlen) == -1 ||
	    user == NULL || ulen == 0)
		return SASL_MALFORMED;
	if ((u = bearer_user(users, n, user, ulen, token, tlen)) == NULL) {
		encode(XOAUTH2_ERROR, strlen(XOAUTH2_ERROR), out);
		x->step = 2;
		return SASL_CHALLENGE;
	}
	buf_addstr(out, u->name);
	return SASL_OK;
}

/*
 * OAUTHBEARER (RFC 7628 3.1): the GS2 header ("n," or "y,", then "a="
 * the user with =2C and =3D for ',' and '=', or nothing, then ","), ^A,
 * the key-value pairs.  Without a= the user is the one the token is the
 * password of.  Channel binding ("p=") is not offered.
 */
static enum server_sasl_result
oauthbearer(struct server_sasl *x, const struct secret *d,
    const struct server_user *users, size_t n, struct buf *out)
{
	const struct server_user	*u;
	const unsigned char		*p = d->data, *end = p + d->len;
	const unsigned char		*user, *token;
	char				 name[256];
	size_t				 ulen, tlen, nlen = 0;
	bool				 authzid = false;

	if (d->len < 4 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',')
		return SASL_MALFORMED;
	p += 2;
	if (end - p >= 2 && p[0] == 'a' && p[1] == '=') {
		authzid = true;
		for (p += 2; p < end && *p != ','; p++) {
			if (nlen == sizeof(name) || *p == 0x01 || *p == '\0')
				return SASL_MALFORMED;
			if (*p != '=') {
				name[nlen++] = (char)*p;
				continue;
			}
			if (end - p < 3 || !((p[1] == '2' && p[2] == 'C') ||
			    (p[1] == '3' && p[2] == 'D')))
				return SASL_MALFORMED;
			name[nlen++] = p[2] == 'D' ? '=' : ',';
			p += 2;
		}
		if (nlen == 0)
			return SASL_MALFORMED;
	}
	if (end - p < 2 || p[0] != ',' || p[1] != 0x01)
		return SASL_MALFORMED;
	p += 2;
	if (kvpairs(p, (size_t)(end - p), &user, &ulen, &token, &tlen) == -1)
		return SASL_MALFORMED;
	u = bearer_user(users, n, authzid ? name : NULL, nlen, token, tlen);
	if (u == NULL) {
		encode(BEARER_ERROR, strlen(BEARER_ERROR), out);
		x->step = 2;
		return SASL_CHALLENGE;
	}
	buf_addstr(out, u->name);
	return SASL_OK;
}

/* One decoded response at the exchange's current step. */
static enum server_sasl_result
answer(struct server_sasl *x, const struct secret *d,
    const struct server_user *users, size_t n, struct buf *out)
{
	switch (x->mech) {
	case SASL_PLAIN:
		return plain(d, users, n, out);
	case SASL_LOGIN:
		if (x->step == 1) {
			if (d->len == 0 || memchr(d->data, '\0', d->len))
				return SASL_MALFORMED;
			x->user = xstrndup((const char *)d->data, d->len);
			x->step = 2;
			buf_addstr(out, LOGIN_PASS);
			return SASL_CHALLENGE;
		}
		return check(users, n, x->user, strlen(x->user), d->data,
		    d->len, out);
	case SASL_CRAM_MD5:
		return cram(x, d, users, n, out);
	case SASL_XOAUTH2:
		return xoauth2(x, d, users, n, out);
	case SASL_OAUTHBEARER:
		return oauthbearer(x, d, users, n, out);
	default:
		return SASL_MALFORMED;
	}
}

enum server_sasl_result
server_sasl_start(struct server_sasl *x, enum sasl_mech mech,
    bool has_ir, const char *ir, size_t irlen, const char *challenge,
    const struct server_user *users, size_t n, struct buf *out)
{
	server_sasl_clear(x);
	x->mech = mech;
	x->step = 1;
	switch (mech) {
	case SASL_PLAIN:
	case SASL_XOAUTH2:
	case SASL_OAUTHBEARER:
		if (!has_ir) {
			/* The empty challenge: "334 ". */
			return SASL_CHALLENGE;
		}
		break;
	case SASL_LOGIN:
		if (!has_ir) {
			buf_addstr(out, LOGIN_USER);
			return SASL_CHALLENGE;
		}
		break;
	case SASL_CRAM_MD5:
		if (has_ir)
			return SASL_MALFORMED;
		snprintf(x->challenge, sizeof(x->challenge), "%s",
		    challenge != NULL ? challenge : "");
		encode(x->challenge, strlen(x->challenge), out);
		return SASL_CHALLENGE;
	default:
		return SASL_MALFORMED;
	}
	/* "=" is the empty initial response (RFC 4954 4). */
	if (irlen == 1 && ir[0] == '=')
		irlen = 0;
	else if (irlen == 0)
		return SASL_MALFORMED;
	return server_sasl_step(x, ir, irlen, users, n, out);
}

enum server_sasl_result
server_sasl_step(struct server_sasl *x, const char *line, size_t len,
    const struct server_user *users, size_t n, struct buf *out)
{
	struct secret		d;
	enum server_sasl_result	r;

	/* After an error challenge any line gets the failure. */
	if ((x->mech == SASL_XOAUTH2 || x->mech == SASL_OAUTHBEARER) &&
	    x->step == 2)
		return SASL_FAIL;
	if (len == 1 && line[0] == '*')
		return SASL_CANCEL;
	if (decode(line, len, &d) == -1)
		return SASL_MALFORMED;
	r = answer(x, &d, users, n, out);
	wipe(&d);
	return r;
}
