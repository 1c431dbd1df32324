/* Unit tests: transcript/utf8.c, strict UTF-8 decoding. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "utf8.h"

/* A reference encoder, for the exhaustive test. */
static size_t
encode(uint32_t cp, char *s)
{
	if (cp < 0x80) {
		s[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		s[0] = (char)(0xc0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		s[0] = (char)(0xe0 | cp >> 12);
		s[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	s[0] = (char)(0xf0 | cp >> 18);
	s[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	s[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	s[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static size_t
decode_str(const char *s, uint32_t *cp)
{
	*cp = 0xdeadbeef;
	return utf8_decode(s, strlen(s), cp);
}

static void
test_utf8_decode_valid(void)
{
	uint32_t	cp;

	EXPECT_INT(decode_str("A", &cp), 1);
	EXPECT_INT(cp, 'A');
	EXPECT_INT(utf8_decode("\0", 1, &cp), 1);
	EXPECT_INT(cp, 0);
	EXPECT_INT(decode_str("\xc3\xa9", &cp), 2);		/* é */
	EXPECT_INT(cp, 0xe9);
	EXPECT_INT(decode_str("\xe6\x97\xa5", &cp), 3);	/* 日 */
	EXPECT_INT(cp, 0x65e5);
	EXPECT_INT(decode_str("\xf0\x9f\x98\x80", &cp), 4);
	EXPECT_INT(cp, 0x1f600);
	/* Boundaries of each length and around the surrogates. */
	EXPECT_INT(decode_str("\xc2\x80", &cp), 2);
	EXPECT_INT(cp, 0x80);
	EXPECT_INT(decode_str("\xdf\xbf", &cp), 2);
	EXPECT_INT(cp, 0x7ff);
	EXPECT_INT(decode_str("\xe0\xa0\x80", &cp), 3);
	EXPECT_INT(cp, 0x800);
	EXPECT_INT(decode_str("\xed\x9f\xbf", &cp), 3);
	EXPECT_INT(cp, 0xd7ff);
	EXPECT_INT(decode_str("\xee\x80\x80", &cp), 3);
	EXPECT_INT(cp, 0xe000);
	EXPECT_INT(decode_str("\xef\xbf\xbf", &cp), 3);
	EXPECT_INT(cp, 0xffff);
	EXPECT_INT(decode_str("\xf0\x90\x80\x80", &cp), 4);
	EXPECT_INT(cp, 0x10000);
	EXPECT_INT(decode_str("\xf4\x8f\xbf\xbf", &cp), 4);
	EXPECT_INT(cp, 0x10ffff);
	/* Only the first character counts. */
	EXPECT_INT(decode_str("\xc3\xa9\xff", &cp), 2);
}

static void
test_utf8_decode_invalid(void)
{
	static const char *const bad[] = {
		"\x80", "\xbf",			/* stray continuation */
		"\xc0\x80", "\xc1\xbf",		/* overlong 2 */
		"\xe0\x80\x80", "\xe0\x9f\xbf",	/* overlong 3 */
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", /* overlong 4 */
		"\xed\xa0\x80", "\xed\xbf\xbf",	/* surrogates */
		"\xf4\x90\x80\x80",		/* above U+10FFFF */
		"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xc3", "\xe6\x97", "\xf0\x9f\x98", /* truncated */
		"\xc3\x41", "\xe6\x41\xa5", "\xe6\x97\x41", /* bad follower */
		"\xf0\x9f\x98\xc3",
	};
	uint32_t	cp;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (decode_str(bad[i], &cp) != 0)
			harness_fail(__FILE__, __LINE__, "bad[%zu] decoded", i);
	}
	/* LEN cuts a valid character short. */
	EXPECT_INT(utf8_decode("\xc3\xa9", 1, &cp), 0);
	EXPECT_INT(utf8_decode("\xf0\x9f\x98\x80", 3, &cp), 0);
	EXPECT_INT(utf8_decode("", 0, &cp), 0);
}

/* Every code point round-trips; every surrogate is refused. */
static void
test_utf8_decode_every_code_point(void)
{
	uint32_t	cp, got;
	size_t		n;
	char		s[4];
	int		bad = 0;

	for (cp = 0; cp <= 0x10ffff; cp++) {
		n = encode(cp, s);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			if (utf8_decode(s, n, &got) != 0)
				bad++;
			continue;
		}
		if (utf8_decode(s, n, &got) != n || got != cp)
			bad++;
		if (n > 1 && utf8_decode(s, n - 1, &got) != 0)
			bad++;
	}
	EXPECT_INT(bad, 0);
}

/* Every two-byte string against the rules written out. */
static void
test_utf8_decode_every_pair(void)
{
	unsigned	a, b;
	uint32_t	cp;
	size_t		n, want;
	char		s[2];
	int		bad = 0;

	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			s[0] = (char)a;
			s[1] = (char)b;
			n = utf8_decode(s, 2, &cp);
			if (a < 0x80)
				want = 1;
			else if (a >= 0xc2 && a <= 0xdf && b >= 0x80 &&
			    b <= 0xbf)
				want = 2;
			else
				want = 0;
			if (n != want)
				bad++;
		}
	}
	EXPECT_INT(bad, 0);
}

static void
test_utf8_is_unsafe(void)
{
	static const uint32_t	unsafe[] = {
		0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b,
		0x9f, 0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028,
		0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067,
		0x2068, 0x2069, 0xfeff, 0x2060, 0x2064, 0x206a, 0x206f,
		0xfff9, 0xfffb, 0xe0000, 0xe0041, 0xe007f,
	};
	static const uint32_t	safe[] = {
		0x20, 0x41, 0x7e, 0xa0, 0xe9, 0x061b, 0x061d, 0x200a, 0x2010,
		0x2027, 0x202f, 0x205f, 0x2070, 0x65e5, 0xfefe, 0xff00,
		0xfff8, 0xfffc, 0x1f600, 0xe0080, 0x10ffff,
	};
	size_t			i;

	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		if (!utf8_is_unsafe(unsafe[i]))
			harness_fail(__FILE__, __LINE__, "U+%04X is safe",
			    (unsigned)unsafe[i]);
	}
	for (i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
		if (utf8_is_unsafe(safe[i]))
			harness_fail(__FILE__, __LINE__, "U+%04X is unsafe",
			    (unsigned)safe[i]);
	}
}

static void
test_utf8_valid(void)
{
	EXPECT(utf8_valid("", 0));
	EXPECT(utf8_valid("abc", 3));
	EXPECT(utf8_valid("a\0b", 3));
	EXPECT(utf8_valid("\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac", 8));
	EXPECT(utf8_valid("\xe2\x80\xae", 3));	/* valid, if unsafe */
	EXPECT(!utf8_valid("\xc3", 1));
	EXPECT(!utf8_valid("a\x80" "b", 3));
	EXPECT(!utf8_valid("\xed\xa0\x80", 3));
	EXPECT(!utf8_valid("\xc0\xaf", 2));
	EXPECT(!utf8_valid("ok\xe6\x97", 4));
}

TEST_LIST(utf8_tests) = {
	TEST(test_utf8_decode_valid),
	TEST(test_utf8_decode_invalid),
	TEST(test_utf8_decode_every_code_point),
	TEST(test_utf8_decode_every_pair),
	TEST(test_utf8_is_unsafe),
	TEST(test_utf8_valid),
	TEST_END
};
