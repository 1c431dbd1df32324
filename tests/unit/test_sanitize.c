/* Unit tests: transcript/sanitize.c, the bytes-to-terminal sanitiser. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sanitize.h"
#include "utf8.h"

static void
utf8_locale(void)
{
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		harness_fail(__FILE__, __LINE__, "no C.UTF-8 locale");
}

/* sanitize_string and its width, compared with WANT and WIDTH. */
static void
check(int line, const char *in, size_t len, const char *want, int width)
{
	char	*s;
	int	 w = -1;

	s = sanitize_string(in, len, &w);
	if (strcmp(s, want) != 0)
		harness_fail(__FILE__, line, "sanitize: \"%s\" != \"%s\"", s,
		    want);
	if (w != width)
		harness_fail(__FILE__, line, "width %d != %d", w, width);
	free(s);
}
#define CHECK(in, want, width) \
	check(__LINE__, in, sizeof(in) - 1, want, width)

static void
test_sanitize_text(void)
{
	struct sanitize_piece	p;
	const char		*in = "hello world";

	utf8_locale();
	EXPECT_INT(sanitize_next(in, strlen(in), &p), 11);
	EXPECT_INT(p.kind, SANITIZE_TEXT);
	EXPECT(p.s == in);
	EXPECT_INT(p.len, 11);
	EXPECT_INT(p.width, 11);
	EXPECT_INT(p.consumed, 11);
	CHECK("hello world", "hello world", 11);
	CHECK("", "", 0);
}

static void
test_sanitize_escape_sequence(void)
{
	struct sanitize_piece	p;
	const char		*in = "\x1b[2J";

	utf8_locale();
	EXPECT_INT(sanitize_next(in, 4, &p), 1);
	EXPECT_INT(p.kind, SANITIZE_ESCAPE);
	EXPECT_MEM(p.s, p.len, "^[", 2);
	EXPECT(p.s == p.buf);
	EXPECT_INT(p.width, 2);
	EXPECT_INT(p.consumed, 1);
	EXPECT_INT(sanitize_next(in + 1, 3, &p), 3);
	EXPECT_INT(p.kind, SANITIZE_TEXT);
	EXPECT_MEM(p.s, p.len, "[2J", 3);
	EXPECT_INT(p.width, 3);
	CHECK("\x1b[2J", "^[[2J", 5);
}

static void
test_sanitize_controls(void)
{
	utf8_locale();
	CHECK("\0", "^@", 2);
	CHECK("\x7f", "^?", 2);
	CHECK("\t", "^I", 2);
	CHECK("a\r\nb", "a^M^Jb", 6);
	CHECK("\x1f", "^_", 2);
}

static void
test_sanitize_invalid_bytes(void)
{
	struct sanitize_piece	p;

	utf8_locale();
	EXPECT_INT(sanitize_next("\x9b", 1, &p), 1);
	EXPECT_INT(p.kind, SANITIZE_ESCAPE);
	EXPECT_MEM(p.s, p.len, "\\x9b", 4);
	EXPECT_INT(p.width, 4);
	CHECK("\x9b", "\\x9b", 4);
	CHECK("\xff\xfe", "\\xff\\xfe", 8);
	CHECK("\xc0\xaf", "\\xc0\\xaf", 8);		/* overlong */
	CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80", 12);	/* surrogate */
	CHECK("\xe6\x97", "\\xe6\\x97", 8);		/* truncated */
	CHECK("ok\xe6\x97" "ok", "ok\\xe6\\x97ok", 12);
}

static void
test_sanitize_code_points(void)
{
	struct sanitize_piece	p;

	utf8_locale();
	EXPECT_INT(sanitize_next("\xc2\x9b" "x", 3, &p), 2);
	EXPECT_INT(p.kind, SANITIZE_ESCAPE);
	EXPECT_MEM(p.s, p.len, "<U+009B>", 8);
	EXPECT_INT(p.width, 8);
	EXPECT_INT(p.consumed, 2);
	CHECK("\xc2\x9b", "<U+009B>", 8);
	CHECK("abc\xe2\x80\xae" "cba", "abc<U+202E>cba", 14);
	CHECK("\xe2\x80\x8b", "<U+200B>", 8);
	CHECK("\xef\xbb\xbf", "<U+FEFF>", 8);
	CHECK("\xd8\x9c", "<U+061C>", 8);
	/* Valid, but the locale says unprintable (unassigned). */
	CHECK("\xcd\xb8", "<U+0378>", 8);
	CHECK("\xf4\x8f\xbf\xbf", "<U+10FFFF>", 10);
}

static void
test_sanitize_wide(void)
{
	struct sanitize_piece	p;

	utf8_locale();
	EXPECT_INT(sanitize_next("\xc3\xa9", 2, &p), 2);
	EXPECT_INT(p.kind, SANITIZE_TEXT);
	EXPECT_INT(p.width, 1);
	EXPECT_INT(sanitize_next("\xe6\x97\xa5", 3, &p), 3);
	EXPECT_INT(p.kind, SANITIZE_TEXT);
	EXPECT_INT(p.width, 2);
	CHECK("caf\xc3\xa9", "caf\xc3\xa9", 4);
	CHECK("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac", 4);
	CHECK("e\xcc\x81", "e\xcc\x81", 1);		/* combining */
	CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 2);
}

/* A text run ends at the first byte that needs an escape. */
static void
test_sanitize_runs(void)
{
	struct sanitize_piece	 p;
	const char		*in = "ab\xc3\xa9\x1b" "cd\xff";
	size_t			 n, off = 0;

	utf8_locale();
	n = sanitize_next(in + off, 8 - off, &p);
	EXPECT_INT(n, 4);
	EXPECT_INT(p.kind, SANITIZE_TEXT);
	EXPECT_INT(p.width, 3);
	off += n;
	n = sanitize_next(in + off, 8 - off, &p);
	EXPECT_INT(n, 1);
	EXPECT_INT(p.kind, SANITIZE_ESCAPE);
	off += n;
	n = sanitize_next(in + off, 8 - off, &p);
	EXPECT_INT(n, 2);
	EXPECT_INT(p.kind, SANITIZE_TEXT);
	off += n;
	n = sanitize_next(in + off, 8 - off, &p);
	EXPECT_INT(n, 1);
	EXPECT_MEM(p.s, p.len, "\\xff", 4);
	EXPECT_INT(off + n, 8);
}

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

/* Whatever comes in, what goes out is safe and accounts for every byte. */
static void
test_sanitize_random(void)
{
	struct sanitize_piece	 p;
	uint64_t		 seed = 0x5eed;
	uint32_t		 cp;
	size_t			 len, off, i, n, total;
	char			 in[64], *s;
	int			 w, sum, bad = 0;

	utf8_locale();
	for (i = 0; i < 20000; i++) {
		len = rnd(&seed) % sizeof(in);
		for (n = 0; n < len; n++)
			in[n] = (char)(rnd(&seed) & 0xff);
		sum = 0;
		for (off = 0, total = 0; off < len; off += n) {
			n = sanitize_next(in + off, len - off, &p);
			if (n == 0 || n != p.consumed || n > len - off) {
				bad++;
				break;
			}
			total += n;
			sum += p.width;
		}
		s = sanitize_string(in, len, &w);
		if (w != sum)
			bad++;
		if (!utf8_valid(s, strlen(s)))
			bad++;
		for (off = 0; s[off] != '\0'; off += n) {
			n = utf8_decode(s + off, strlen(s + off), &cp);
			if (n == 0 || utf8_is_unsafe(cp)) {
				bad++;
				break;
			}
		}
		free(s);
	}
	EXPECT_INT(bad, 0);
}

TEST_LIST(sanitize_tests) = {
	TEST(test_sanitize_text),
	TEST(test_sanitize_escape_sequence),
	TEST(test_sanitize_controls),
	TEST(test_sanitize_invalid_bytes),
	TEST(test_sanitize_code_points),
	TEST(test_sanitize_wide),
	TEST(test_sanitize_runs),
	TEST(test_sanitize_random),
	TEST_END
};
