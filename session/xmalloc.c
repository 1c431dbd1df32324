/* Allocation that cannot fail, and error messages: see xmalloc.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void
oom(size_t n)
{
	fprintf(stderr, "smtptool: cannot allocate %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		oom(n);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		oom(n);
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

int
seterr(char **errstr, const char *fmt, ...)
{
	va_list	ap;

	if (errstr == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(errstr, fmt, ap) == -1)
		oom(strlen(fmt));
	va_end(ap);
	return -1;
}
