/* The one byte buffer: see buf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

size_t
buf_avail(const struct buf *b)
{
	return b->len - b->off;
}

const char *
buf_head(const struct buf *b)
{
	return b->data == NULL ? "" : b->data + b->off;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n > buf_avail(b))
		n = buf_avail(b);
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

/* Make room for N more bytes (plus a NUL); -1 past the maximum. */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need, cap;
	char	*p;

	if (b->max != 0 && buf_avail(b) + n > b->max)
		return -1;
	if (b->off > 0 && b->len + n + 1 > b->cap) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap < 256 ? 256 : b->cap;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		fprintf(stderr, "smtptool: cannot allocate %zu bytes\n", cap);
		abort();
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_getline(struct buf *b, size_t maxline, const char **line, size_t *len,
    enum buf_eol *eol)
{
	const char	*p, *nl;
	size_t		 avail = buf_avail(b), n;

	if (avail == 0)
		return 0;
	p = b->data + b->off;
	if ((nl = memchr(p, '\n', avail)) == NULL)
		return avail > maxline ? -1 : 0;
	n = (size_t)(nl - p);
	if (n > maxline)
		return -1;
	*line = p;
	if (n > 0 && p[n - 1] == '\r') {
		*len = n - 1;
		*eol = BUF_EOL_CRLF;
	} else {
		*len = n;
		*eol = BUF_EOL_LF;
	}
	b->off += n + 1;
	/* The line stays valid: nothing moves until the next add. */
	return 1;
}
