/*
 * Small helpers of tls/: allocation that cannot fail, formatted messages,
 * hex.  (tls/ includes only GnuTLS and libc, hence its own copies.)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_int.h"

static void
oom(size_t n)
{
	fprintf(stderr, "smtptool: cannot allocate %zu bytes\n", n);
	abort();
}

void *
tls_xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		oom(n);
	return p;
}

void *
tls_xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		oom(n * size);
	return p;
}

void *
tls_xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		oom(SIZE_MAX);
	if ((p = realloc(p, n * size == 0 ? 1 : n * size)) == NULL)
		oom(n * size);
	return p;
}

char *
tls_xstrndup(const char *s, size_t n)
{
	char	*p = tls_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
tls_xstrdup(const char *s)
{
	return tls_xstrndup(s, strlen(s));
}

static char *
xvasprintf(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		oom(strlen(fmt));
	return s;
}

char *
tls_xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

int
tls_seterr(char **errstr, const char *fmt, ...)
{
	va_list	ap;

	if (errstr == NULL)
		return -1;
	va_start(ap, fmt);
	*errstr = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

const char *
tls_strerror(int error, char *buf, size_t len)
{
	size_t	n;

	snprintf(buf, len, "%s", gnutls_strerror(error));
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	return buf;
}

char *
tls_hex(const unsigned char *p, size_t len, char sep, bool upper)
{
	const char	*digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char		*s, *o;
	size_t		 i;

	o = s = tls_xmalloc(len * 3 + 1);
	for (i = 0; i < len; i++) {
		if (sep != '\0' && i > 0)
			*o++ = sep;
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 0xf];
	}
	*o = '\0';
	return s;
}
