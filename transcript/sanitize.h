/*
 * The one sanitiser between untrusted bytes and the terminal.  Every byte
 * from a server, a file or a certificate reaches the screen through it:
 * printable UTF-8 passes; control bytes are drawn as "^[" (DEL as "^?"),
 * bytes that are not valid UTF-8 (including raw C1 bytes) as "\x9b", and C1
 * code points, bidi and other invisible format controls as "<U+202E>".
 */
#ifndef SANITIZE_H
#define SANITIZE_H

#include <stddef.h>
#include <stdint.h>

enum sanitize_kind {
	SANITIZE_TEXT,		/* printable text: draw as it is */
	SANITIZE_ESCAPE,	/* a visible stand-in: draw highlighted */
};

struct sanitize_piece {
	enum sanitize_kind	 kind;
	const char		*s;	/* TEXT: into the input; ESCAPE: buf */
	size_t			 len;	/* bytes of s */
	int			 width;	/* terminal columns */
	size_t			 consumed; /* input bytes this piece stands for */
	char			 buf[16];
};

/*
 * The next piece of P (LEN > 0): a run of printable text, or one escape.
 * Returns the number of input bytes consumed (== piece->consumed).
 */
size_t	sanitize_next(const char *p, size_t len, struct sanitize_piece *);

/*
 * The whole display form as a new NUL-terminated string (allocated; the
 * caller frees); *width gets its columns when not NULL.
 */
char	*sanitize_string(const char *, size_t, int *width);

#endif
