/* SASL for the sandbox server: see server_auth.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "server_auth.h"
#include "xmalloc.h"

static const char *const mech_names[SASL_MECH_LAST] = {
	[SASL_NONE] = "",
	[SASL_PLAIN] = "PLAIN",
	[SASL_LOGIN] = "LOGIN",
	[SASL_CRAM_MD5] = "CRAM-MD5",
};

/* base64("Username:") and base64("Password:"), as every server sends. */
#define LOGIN_USER	"VXNlcm5hbWU6"
#define LOGIN_PASS	"UGFzc3dvcmQ6"

enum server_sasl_mech
server_sasl_mech(const char *name, size_t len)
{
	size_t	m;

	for (m = SASL_PLAIN; m < SASL_MECH_LAST; m++)
		if (strlen(mech_names[m]) == len &&
		    strncasecmp(mech_names[m], name, len) == 0)
			return (enum server_sasl_mech)m;
	return SASL_NONE;
}

const char *
server_sasl_mech_name(enum server_sasl_mech m)
{
	return m < SASL_MECH_LAST ? mech_names[m] : "?";
}

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
	if (d->data != NULL) {
		explicit_bzero(d->data, d->len);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->len = 0;
}

/*
 * Strict base64 (RFC 4648 alphabet, padded, no white space): 0 with D
 * set (an empty line is the empty response), -1 when malformed.
 */
static int
decode(const char *p, size_t len, struct secret *d)
{
	gnutls_datum_t	in, out = { NULL, 0 };
	size_t		i;

	d->data = NULL;
	d->len = 0;
	if (len == 0)
		return 0;
	if (len % 4 != 0)
		return -1;
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
	in.data = (unsigned char *)(uintptr_t)p;
	in.size = (unsigned)len;
	if (gnutls_base64_decode2(&in, &out) < 0)
		return -1;
	d->data = out.data;
	d->len = out.size;
	return 0;
}

static void
encode(const void *p, size_t len, struct buf *out)
{
	gnutls_datum_t	in, enc = { NULL, 0 };

	in.data = (unsigned char *)(uintptr_t)p;
	in.size = (unsigned)len;
	if (len > 0 && gnutls_base64_encode2(&in, &enc) == 0) {
		buf_add(out, enc.data, enc.size);
		gnutls_free(enc.data);
	}
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
	default:
		return SASL_MALFORMED;
	}
}

enum server_sasl_result
server_sasl_start(struct server_sasl *x, enum server_sasl_mech mech,
    bool has_ir, const char *ir, size_t irlen, const char *challenge,
    const struct server_user *users, size_t n, struct buf *out)
{
	server_sasl_clear(x);
	x->mech = mech;
	x->step = 1;
	switch (mech) {
	case SASL_PLAIN:
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

	if (len == 1 && line[0] == '*')
		return SASL_CANCEL;
	if (decode(line, len, &d) == -1)
		return SASL_MALFORMED;
	r = answer(x, &d, users, n, out);
	wipe(&d);
	return r;
}
