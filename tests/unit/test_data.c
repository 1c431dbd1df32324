/* Unit tests: DATA encoding. */
#include <stdint.h>

#include "data.h"
#include "harness.h"

static void
encode(const char *in, size_t len, const char *want)
{
	struct buf	b;

	buf_init(&b, 0);
	data_encode(&b, in, len);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), want, strlen(want));
	buf_free(&b);
}

static void
test_data_encode(void)
{
	encode("", 0, ".\r\n");
	encode("a\r\nb\r\n", 6, "a\r\nb\r\n.\r\n");
	encode("a\nb\n", 4, "a\r\nb\r\n.\r\n");
	encode("a\rb", 3, "a\r\nb\r\n.\r\n");
	encode("no end", 6, "no end\r\n.\r\n");
	encode(".\n..\n.x\n", 8, "..\r\n...\r\n..x\r\n.\r\n");
	encode("a\r\n\r\nb", 6, "a\r\n\r\nb\r\n.\r\n");
	encode("a\n\nb", 4, "a\r\n\r\nb\r\n.\r\n");
	encode("x\r\r\ny", 5, "x\r\n\r\ny\r\n.\r\n");
}

static void
test_data_line(void)
{
	struct buf	 b;
	const char	*out;

	buf_init(&b, 0);
	data_encode_line(&b, ".", 1);
	data_encode_line(&b, "text", 4);
	data_encode_line(&b, "", 0);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), "..\r\ntext\r\n\r\n", 12);
	buf_free(&b);
	EXPECT_INT(data_unstuff("..x", 3, &out), 2);
	EXPECT_MEM(out, 2, ".x", 2);
	EXPECT_INT(data_unstuff("x", 1, &out), 1);
}

/* Every "." between any mix of CR, LF and CRLF: a stuffed line. */
static void
test_data_smuggling(void)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		{ "a\n.\nb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\r.\rb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\r\n.\nb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\r\n.\rb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\n.\rb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\r.\nb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\r\n.\r\r\nb", "a\r\n..\r\n\r\nb\r\n.\r\n" },
		{ "a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n" },
		{ "a\r\n.\r\n", "a\r\n..\r\n.\r\n" },
		{ "a\n.\n", "a\r\n..\r\n.\r\n" },
		{ "a\r.\r", "a\r\n..\r\n.\r\n" },
		{ "a\r\n.", "a\r\n..\r\n.\r\n" },
		{ ".\r\n", "..\r\n.\r\n" },
		{ ".", "..\r\n.\r\n" },
		{ "\r.\r", "\r\n..\r\n.\r\n" },
		{ "\n\r.\n\r", "\r\n\r\n..\r\n\r\n.\r\n" },
		{ "a\r\n..\r\nb", "a\r\n...\r\nb\r\n.\r\n" },
	};
	struct buf	b;
	size_t		i, nul = 42;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_init(&b, 0);
		EXPECT(data_encode_checked(&b, t[i].in, strlen(t[i].in),
		    &nul) >= 1);
		EXPECT_MEM(buf_head(&b), buf_avail(&b), t[i].want,
		    strlen(t[i].want));
		buf_free(&b);
	}
	EXPECT_INT(nul, 42);
}

static void
test_data_checked(void)
{
	struct buf	b;
	size_t		nul = 0;

	buf_init(&b, 0);
	buf_add(&b, "x", 1);
	EXPECT_INT(data_encode_checked(&b, "ab\0c\n", 5, &nul), -1);
	EXPECT_INT(nul, 2);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), "x", 1);
	EXPECT_INT(data_encode_checked(&b, "\0", 1, &nul), -1);
	EXPECT_INT(nul, 0);
	EXPECT_INT(data_encode_checked(&b, ".a\n.b", 5, NULL), 2);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), "x..a\r\n..b\r\n.\r\n", 14);
	buf_free(&b);

	/* The buffer's maximum: all or nothing. */
	buf_init(&b, 8);
	EXPECT_INT(data_encode_checked(&b, "abcdef\n", 7, &nul), -1);
	EXPECT_INT(nul, SIZE_MAX);
	EXPECT_INT(buf_avail(&b), 0);
	EXPECT_INT(data_encode_checked(&b, "abc", 3, &nul), 0);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), "abc\r\n.\r\n", 8);
	buf_free(&b);
}

static void
normalize(const char *in, size_t len, const char *want)
{
	struct buf	b;
	size_t		nul;

	buf_init(&b, 0);
	EXPECT_INT(data_normalize(&b, in, len, &nul), 0);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), want, strlen(want));
	buf_free(&b);
}

static void
test_data_normalize(void)
{
	struct buf	b;
	size_t		nul = 0;

	normalize("", 0, "");
	normalize("a", 1, "a\r\n");
	normalize("a\nb\rc\r\nd", 8, "a\r\nb\r\nc\r\nd\r\n");
	normalize(".\n.\r", 4, ".\r\n.\r\n");
	normalize("\r\r\n\n", 4, "\r\n\r\n\r\n");
	buf_init(&b, 0);
	EXPECT_INT(data_normalize(&b, "abc\0", 4, &nul), -1);
	EXPECT_INT(nul, 3);
	EXPECT_INT(buf_avail(&b), 0);
	buf_free(&b);
}

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

/* The obvious normalisation, to compare with. */
static size_t
reference(const char *in, size_t len, char *out)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
			continue;
		if (in[i] == '\r' || in[i] == '\n') {
			out[n++] = '\r';
			out[n++] = '\n';
		} else
			out[n++] = in[i];
	}
	if (n > 0 && out[n - 1] != '\n') {
		out[n++] = '\r';
		out[n++] = '\n';
	}
	return n;
}

/*
 * Bodies of CR, LF, "." and "a": CRLF line ends only, no "." line before
 * the last, and unstuffing gives back the normalised body.
 */
static void
test_data_random(void)
{
	static const char	 alphabet[] = "\r\n.a";
	struct buf		 b, norm, back;
	uint64_t		 seed = 0xda7a;
	char			 in[48], want[sizeof(in) * 2 + 2];
	const char		*p, *line, *end;
	size_t			 i, len, n, wantlen, nul;
	int			 bad = 0;

	for (i = 0; i < 20000; i++) {
		len = rnd(&seed) % sizeof(in);
		for (n = 0; n < len; n++)
			in[n] = alphabet[rnd(&seed) % 4];
		buf_init(&b, 0);
		buf_init(&norm, 0);
		buf_init(&back, 0);
		if (data_encode_checked(&b, in, len, &nul) < 0 ||
		    data_normalize(&norm, in, len, &nul) != 0)
			bad++;
		p = buf_head(&b);
		end = p + buf_avail(&b);
		for (n = 0; n < buf_avail(&b); n++)
			if ((p[n] == '\r') != (n + 1 < buf_avail(&b) &&
			    p[n + 1] == '\n') ||
			    (p[n] == '\n' && (n == 0 || p[n - 1] != '\r')))
				bad++;
		/* Line by line up to the final ".". */
		while (p < end) {
			line = p;
			while (p < end && *p != '\r')
				p++;
			n = (size_t)(p - line);
			p += 2;
			if (p >= end) {
				if (n != 1 || line[0] != '.' || p != end)
					bad++;
				break;
			}
			if (n == 1 && line[0] == '.')
				bad++;
			n = data_unstuff(line, n, &line);
			buf_add(&back, line, n);
			buf_add(&back, "\r\n", 2);
		}
		wantlen = reference(in, len, want);
		if (buf_avail(&back) != wantlen ||
		    memcmp(buf_head(&back), want, wantlen) != 0 ||
		    buf_avail(&norm) != wantlen ||
		    memcmp(buf_head(&norm), want, wantlen) != 0)
			bad++;
		buf_free(&b);
		buf_free(&norm);
		buf_free(&back);
	}
	EXPECT_INT(bad, 0);
}

TEST_LIST(data_tests) = {
	TEST(test_data_encode),
	TEST(test_data_line),
	TEST(test_data_smuggling),
	TEST(test_data_checked),
	TEST(test_data_normalize),
	TEST(test_data_random),
	TEST_END
};
