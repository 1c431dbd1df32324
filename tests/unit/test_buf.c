/* Unit tests: the byte buffer and its line splitter. */
#include <stdlib.h>

#include "buf.h"
#include "harness.h"

static void
test_buf_lines(void)
{
	struct buf	 b;
	const char	*line;
	size_t		 len;
	enum buf_eol	 eol;

	buf_init(&b, 0);
	buf_addstr(&b, "220 hi\r\n250 bare\nrest");
	ASSERT(buf_getline(&b, 100, &line, &len, &eol) == 1);
	EXPECT_MEM(line, len, "220 hi", 6);
	EXPECT_INT(eol, BUF_EOL_CRLF);
	ASSERT(buf_getline(&b, 100, &line, &len, &eol) == 1);
	EXPECT_MEM(line, len, "250 bare", 8);
	EXPECT_INT(eol, BUF_EOL_LF);
	EXPECT_INT(buf_getline(&b, 100, &line, &len, &eol), 0);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), "rest", 4);
	buf_addstr(&b, "\r\n");
	ASSERT(buf_getline(&b, 100, &line, &len, &eol) == 1);
	EXPECT_MEM(line, len, "rest", 4);
	EXPECT_INT(buf_avail(&b), 0);
	buf_free(&b);
}

static void
test_buf_line_too_long(void)
{
	struct buf	 b;
	const char	*line;
	size_t		 len;
	enum buf_eol	 eol;
	char		 big[300];

	memset(big, 'x', sizeof(big));
	buf_init(&b, 0);
	buf_add(&b, big, sizeof(big));
	EXPECT_INT(buf_getline(&b, 256, &line, &len, &eol), -1);
	buf_reset(&b);
	buf_add(&b, big, 200);
	EXPECT_INT(buf_getline(&b, 256, &line, &len, &eol), 0);
	buf_add(&b, big, 100);
	buf_add(&b, "\n", 1);
	EXPECT_INT(buf_getline(&b, 256, &line, &len, &eol), -1);
	buf_free(&b);
}

static void
test_buf_max(void)
{
	struct buf	b;

	buf_init(&b, 10);
	EXPECT_INT(buf_add(&b, "0123456789", 10), 0);
	EXPECT_INT(buf_add(&b, "x", 1), -1);
	EXPECT_INT(buf_avail(&b), 10);
	buf_consume(&b, 5);
	EXPECT_INT(buf_add(&b, "abcde", 5), 0);
	EXPECT_MEM(buf_head(&b), buf_avail(&b), "56789abcde", 10);
	EXPECT_INT(buf_printf(&b, "%d", 1), -1);
	buf_free(&b);
}

TEST_LIST(buf_tests) = {
	TEST(test_buf_lines),
	TEST(test_buf_line_too_long),
	TEST(test_buf_max),
	TEST_END
};
