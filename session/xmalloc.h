/*
 * Allocation that cannot fail (out of memory is fatal: there is nothing
 * sensible left to do), and the one way to hand back an error message.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/*
 * Set *ERRSTR (when ERRSTR is not NULL) to a new message, formatted; the
 * caller frees it.  Returns -1, so that "return seterr(...)" reads well.
 */
int	 seterr(char **errstr, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
