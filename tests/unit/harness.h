/*
 * A tiny unit-test harness.  Each test file defines test functions and lists
 * them with TEST_LIST; tests/unit/main.c runs every list and prints
 * "N passed, N failed".  A test passes when none of its EXPECT_* failed;
 * ASSERT_* also returns from the test at once.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdio.h>
#include <string.h>

struct harness_test {
	const char	*name;
	void		(*fn)(void);
};

extern int	harness_failures;	/* failures in the current test */

void	harness_fail(const char *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	harness_fail_mem(const char *, int, const char *, const void *,
	    size_t, const void *, size_t);

#define EXPECT(c) do {							\
	if (!(c))							\
		harness_fail(__FILE__, __LINE__, "%s", #c);		\
} while (0)
#define ASSERT(c) do {							\
	if (!(c)) {							\
		harness_fail(__FILE__, __LINE__, "%s", #c);		\
		return;							\
	}								\
} while (0)
#define EXPECT_INT(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		harness_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", \
		    #a, #b, _a, _b);					\
} while (0)
#define EXPECT_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)		\
		harness_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
		    #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");	\
} while (0)
#define EXPECT_MEM(a, alen, b, blen) do {				\
	const void *_a = (a), *_b = (b);				\
	size_t _al = (alen), _bl = (blen);				\
	if (_al != _bl || memcmp(_a, _b, _al) != 0)			\
		harness_fail_mem(__FILE__, __LINE__, #a, _a, _al, _b, _bl); \
} while (0)

#define TEST_LIST(list) const struct harness_test list[]
#define TEST(fn) { #fn, fn }
#define TEST_END { NULL, NULL }

#endif
