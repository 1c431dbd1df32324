/*
 * The one byte buffer: a growable array with a read position, in-place line
 * splitting and a hard maximum, so that a peer that never sends a newline
 * cannot make us grow without bound.
 */
#ifndef BUF_H
#define BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 off;	/* first unread byte */
	size_t	 len;	/* end of the data */
	size_t	 cap;
	size_t	 max;	/* 0: no limit */
};

/* Line endings found by buf_getline. */
enum buf_eol {
	BUF_EOL_CRLF,
	BUF_EOL_LF,	/* a bare LF */
	BUF_EOL_NONE,	/* no terminator (buf_getline_final only) */
};

void	buf_init(struct buf *, size_t max);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);
/* Bytes not yet read. */
size_t	buf_avail(const struct buf *);
const char *buf_head(const struct buf *);
void	buf_consume(struct buf *, size_t);
/* Append; -1 when the buffer would exceed its maximum (nothing added). */
int	buf_add(struct buf *, const void *, size_t);
int	buf_addstr(struct buf *, const char *);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * The next complete line: *line points into the buffer (valid until the next
 * change), *len excludes the terminator, *eol says which one it was.
 * Returns 1 for a line, 0 when no complete line is there, -1 when the
 * pending bytes already exceed MAXLINE without a newline (line too long).
 */
int	buf_getline(struct buf *, size_t maxline, const char **line,
	    size_t *len, enum buf_eol *eol);

#endif
