/* Unit tests: DATA encoding. */
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

TEST_LIST(data_tests) = {
	TEST(test_data_encode),
	TEST(test_data_line),
	TEST_END
};
