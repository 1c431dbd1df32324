/* Unit tests: EHLO capabilities. */
#include <stdlib.h>

#include "caps.h"
#include "harness.h"

static void
parse(struct caps *c, char **lines, size_t n, char **warning)
{
	struct reply	r = { .code = 250, .nlines = n, .text = lines };

	caps_parse(c, &r, warning);
}

static void
test_caps_basic(void)
{
	char		*lines[] = { "mx.test.local Hello", "pipelining",
			    "SIZE 10240000", "Auth plain LOGIN cram-md5",
			    "AUTH=LOGIN", "8BITMIME", "STARTTLS",
			    "X-CUSTOM some text", "" };
	struct caps	 c;
	char		*w = NULL;

	caps_init(&c);
	parse(&c, lines, 9, &w);
	EXPECT(w == NULL);
	EXPECT(c.known);
	EXPECT_STR(c.domain, "mx.test.local");
	EXPECT(caps_has(&c, "PIPELINING"));
	EXPECT(caps_has(&c, "starttls"));
	EXPECT(c.size_known);
	EXPECT_INT(c.size, 10240000);
	EXPECT_INT(c.nauth, 3);
	EXPECT(caps_has_auth(&c, "CRAM-MD5"));
	EXPECT(caps_has_auth(&c, "plain"));
	EXPECT_STR(caps_find(&c, "x-custom")->params, "some text");
	EXPECT(!caps_has(&c, "CHUNKING"));
	caps_clear(&c);
	EXPECT(!c.known);
	EXPECT(!caps_has(&c, "PIPELINING"));
	EXPECT_INT(c.nauth, 0);
}

static void
test_caps_size_range(void)
{
	char		*bad[] = { "mx", "SIZE lots" };
	char		*huge[] = { "mx", "SIZE 999999999999999999999999" };
	char		*none[] = { "mx", "SIZE" };
	struct caps	 c;
	char		*w = NULL;

	caps_init(&c);
	parse(&c, bad, 2, &w);
	ASSERT(w != NULL);
	EXPECT(strstr(w, "not a number") != NULL);
	EXPECT(!c.size_known);
	EXPECT(caps_has(&c, "SIZE"));
	free(w);
	parse(&c, huge, 2, &w);
	ASSERT(w != NULL);
	EXPECT(strstr(w, "out of range") != NULL);
	EXPECT(!c.size_known);
	free(w);
	parse(&c, none, 2, &w);
	EXPECT(w == NULL);
	EXPECT(c.size_known);
	EXPECT_INT(c.size, 0);
	caps_clear(&c);
}

TEST_LIST(caps_tests) = {
	TEST(test_caps_basic),
	TEST(test_caps_size_range),
	TEST_END
};
