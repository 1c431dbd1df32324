/* Private helpers of transcript/: see tr_util.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_util.h"

void
tr_fatal(const char *fmt, ...)
{
	va_list	ap;

	fputs("smtptool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *
tr_reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		tr_fatal("cannot allocate %zu * %zu bytes: too large", n, size);
	if ((p = realloc(p, n * size == 0 ? 1 : n * size)) == NULL)
		tr_fatal("cannot allocate %zu bytes: out of memory", n * size);
	return p;
}

void *
tr_malloc(size_t size)
{
	return tr_reallocarray(NULL, 1, size);
}

char *
tr_strdup(const char *s)
{
	size_t	n = strlen(s) + 1;

	return memcpy(tr_malloc(n), s, n);
}

void
tr_seterr(char **errstr, const char *fmt, ...)
{
	va_list	ap;

	if (errstr == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(errstr, fmt, ap) == -1)
		tr_fatal("cannot format message: out of memory");
	va_end(ap);
}

void
tr_buf_reserve(struct tr_buf *b, size_t n)
{
	size_t	want;

	if (n <= b->size - b->len)
		return;
	if (n > SIZE_MAX - b->len)
		tr_fatal("%s: %zu + %zu bytes", __func__, b->len, n);
	want = b->size + b->size / 2;
	if (want < b->len + n)
		want = b->len + n;
	if (want < 256)
		want = 256;
	b->p = tr_reallocarray(b->p, want, 1);
	b->size = want;
}

void
tr_buf_add(struct tr_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	tr_buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
tr_buf_addc(struct tr_buf *b, char c)
{
	tr_buf_reserve(b, 1);
	b->p[b->len++] = c;
}
