/*
 * Private helpers of transcript/, which depends on nothing of session/:
 * allocation that aborts with a message when memory runs out, error
 * strings, and a growing byte buffer.
 */
#ifndef TR_UTIL_H
#define TR_UTIL_H

#include <stddef.h>

struct tr_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

void	 tr_fatal(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
/* N * SIZE bytes (at least one), or abort. */
void	*tr_reallocarray(void *, size_t n, size_t size);
void	*tr_malloc(size_t);
char	*tr_strdup(const char *);
/* *ERRSTR (allocated) from FMT; nothing when ERRSTR is NULL. */
void	 tr_seterr(char **errstr, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Room for N more bytes; append; append one byte. */
void	 tr_buf_reserve(struct tr_buf *, size_t n);
void	 tr_buf_add(struct tr_buf *, const void *, size_t);
void	 tr_buf_addc(struct tr_buf *, char);

#endif
