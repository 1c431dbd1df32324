/*
 * The unit-test runner: runs every test list, prints one line a failure and
 * a closing "N passed, N failed".  With an argument, runs only the tests
 * whose name contains it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

int	harness_failures;

void
harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	harness_failures++;
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
dump(const char *what, const unsigned char *p, size_t len)
{
	size_t	i;

	fprintf(stderr, "      %s (%zu): \"", what, len);
	for (i = 0; i < len && i < 200; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			fputc(p[i], stderr);
		else
			fprintf(stderr, "\\x%02x", p[i]);
	}
	fprintf(stderr, "%s\"\n", i < len ? "..." : "");
}

void
harness_fail_mem(const char *file, int line, const char *expr, const void *a,
    size_t alen, const void *b, size_t blen)
{
	harness_fail(file, line, "%s differs", expr);
	dump("got", a, alen);
	dump("want", b, blen);
}

/* Every test file's list, named in tests/unit/lists.h. */
#define LIST(name) extern const struct harness_test name[];
#include "lists.h"
#undef LIST

static const struct harness_test *const lists[] = {
#define LIST(name) name,
#include "lists.h"
#undef LIST
};

int
main(int argc, char **argv)
{
	const struct harness_test	*t;
	size_t				 i;
	int				 passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		for (t = lists[i]; t->name != NULL; t++) {
			if (argc > 1 && strstr(t->name, argv[1]) == NULL)
				continue;
			harness_failures = 0;
			t->fn();
			if (harness_failures == 0) {
				passed++;
				printf("ok %s\n", t->name);
			} else {
				failed++;
				printf("not ok %s\n", t->name);
			}
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
