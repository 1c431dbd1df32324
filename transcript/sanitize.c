/*
 * The one sanitiser between untrusted bytes and the terminal.  Widths come
 * from wcwidth(3), so the caller must have set a UTF-8 LC_CTYPE; in any
 * other locale every non-ASCII character is drawn as "<U+XXXX>", which is
 * safe if not pretty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "sanitize.h"
#include "utf8.h"

static void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL) {
		fprintf(stderr, "smtptool: cannot allocate %zu bytes\n", size);
		abort();
	}
	return p;
}

/*
 * The width of a printable character, or -1 when it must be escaped: an
 * invalid byte, an unsafe code point or a character the locale cannot show.
 */
static int
char_width(const char *p, size_t len, size_t *n)
{
	uint32_t	cp;
	int		w;

	if ((*n = utf8_decode(p, len, &cp)) == 0 || utf8_is_unsafe(cp))
		return -1;
	if (cp < 0x80)
		return 1;
	if ((w = wcwidth((wchar_t)cp)) < 0)
		return -1;
	return w;
}

static size_t
escape_one(const char *p, size_t len, struct sanitize_piece *piece)
{
	unsigned char	 c = (unsigned char)p[0];
	uint32_t	 cp;
	size_t		 n;
	int		 w;

	if ((n = utf8_decode(p, len, &cp)) == 0) {
		n = 1;
		w = snprintf(piece->buf, sizeof(piece->buf), "\\x%02x", c);
	} else if (cp < 0x20 || cp == 0x7f) {
		piece->buf[0] = '^';
		piece->buf[1] = cp == 0x7f ? '?' : (char)(cp + 0x40);
		piece->buf[2] = '\0';
		w = 2;
	} else
		w = snprintf(piece->buf, sizeof(piece->buf), "<U+%04X>",
		    (unsigned)cp);
	piece->kind = SANITIZE_ESCAPE;
	piece->s = piece->buf;
	piece->len = (size_t)w;
	piece->width = w;
	piece->consumed = n;
	return n;
}

size_t
sanitize_next(const char *p, size_t len, struct sanitize_piece *piece)
{
	size_t	off = 0, n;
	int	w, width = 0;

	while (off < len) {
		if ((w = char_width(p + off, len - off, &n)) < 0)
			break;
		width += w;
		off += n;
	}
	if (off == 0)
		return escape_one(p, len, piece);
	piece->kind = SANITIZE_TEXT;
	piece->s = p;
	piece->len = off;
	piece->width = width;
	piece->consumed = off;
	piece->buf[0] = '\0';
	return off;
}

char *
sanitize_string(const char *p, size_t len, int *width)
{
	struct sanitize_piece	 piece;
	size_t			 off, size = 0;
	char			*s, *q;
	int			 w = 0;

	/* Two passes: the first sizes the result. */
	for (off = 0; off < len; off += piece.consumed) {
		sanitize_next(p + off, len - off, &piece);
		size += piece.len;
	}
	q = s = xmalloc(size + 1);
	for (off = 0; off < len; off += piece.consumed) {
		sanitize_next(p + off, len - off, &piece);
		memcpy(q, piece.s, piece.len);
		q += piece.len;
		w += piece.width;
	}
	*q = '\0';
	if (width != NULL)
		*width = w;
	return s;
}
