/* Unit tests: the reply parser. */
#include <stdlib.h>

#include "harness.h"
#include "reply.h"

static enum reply_status
push(struct reply_parser *rp, const char *line, char **err)
{
	return reply_parser_push(rp, line, strlen(line), err);
}

static void
test_reply_single(void)
{
	struct reply_parser	*rp = reply_parser_new();
	const struct reply	*r;
	char			*err = NULL;

	ASSERT(push(rp, "220 mx.test.local ESMTP Postfix", &err) ==
	    REPLY_DONE);
	r = reply_parser_reply(rp);
	ASSERT(r != NULL);
	EXPECT_INT(r->code, 220);
	EXPECT_INT(r->nlines, 1);
	EXPECT_STR(r->text[0], "mx.test.local ESMTP Postfix");
	EXPECT_STR(r->enhanced, "");
	reply_parser_free(rp);
}

static void
test_reply_multiline(void)
{
	struct reply_parser	*rp = reply_parser_new();
	const struct reply	*r;
	char			*err = NULL;

	EXPECT_INT(push(rp, "250-mx.test.local", &err), REPLY_MORE);
	EXPECT(reply_parser_partial(rp));
	EXPECT_INT(push(rp, "250-PIPELINING", &err), REPLY_MORE);
	EXPECT_INT(push(rp, "250 SIZE 10240000", &err), REPLY_DONE);
	r = reply_parser_reply(rp);
	ASSERT(r != NULL);
	EXPECT_INT(r->nlines, 3);
	EXPECT_STR(r->text[2], "SIZE 10240000");
	EXPECT(!reply_parser_partial(rp));
	/* The next reply starts afresh. */
	EXPECT_INT(push(rp, "221 2.0.0 Bye", &err), REPLY_DONE);
	r = reply_parser_reply(rp);
	EXPECT_INT(r->nlines, 1);
	EXPECT_STR(r->enhanced, "2.0.0");
	reply_parser_free(rp);
}

static void
test_reply_smtp_sink_empty_last(void)
{
	struct reply_parser	*rp = reply_parser_new();
	const struct reply	*r;
	char			*err = NULL;

	EXPECT_INT(push(rp, "250-smtp-sink", &err), REPLY_MORE);
	EXPECT_INT(push(rp, "250 ", &err), REPLY_DONE);
	r = reply_parser_reply(rp);
	ASSERT(r != NULL);
	EXPECT_STR(r->text[1], "");
	/* A bare code is a last line too. */
	EXPECT_INT(push(rp, "250", &err), REPLY_DONE);
	reply_parser_free(rp);
}

static void
test_reply_errors(void)
{
	struct reply_parser	*rp = reply_parser_new();
	char			*err = NULL;

	EXPECT_INT(push(rp, "250-first", &err), REPLY_MORE);
	EXPECT_INT(push(rp, "251 second", &err), REPLY_ERROR);
	ASSERT(err != NULL);
	EXPECT(strstr(err, "251") != NULL && strstr(err, "250") != NULL);
	free(err);
	err = NULL;
	EXPECT_INT(push(rp, "hello", &err), REPLY_ERROR);
	free(err);
	err = NULL;
	EXPECT_INT(push(rp, "650 bad class", &err), REPLY_ERROR);
	free(err);
	err = NULL;
	EXPECT_INT(push(rp, "260 bad second digit", &err), REPLY_ERROR);
	free(err);
	err = NULL;
	EXPECT_INT(push(rp, "250x", &err), REPLY_ERROR);
	free(err);
	err = NULL;
	EXPECT_INT(push(rp, "25", &err), REPLY_ERROR);
	free(err);
	reply_parser_free(rp);
}

static void
test_reply_caps(void)
{
	struct reply_parser	*rp = reply_parser_new();
	char			*err = NULL, big[REPLY_MAX_LINE + 10];
	int			 i;
	enum reply_status	 st = REPLY_MORE;

	memset(big, 'a', sizeof(big));
	memcpy(big, "250 ", 4);
	EXPECT_INT(reply_parser_push(rp, big, sizeof(big), &err),
	    REPLY_ERROR);
	free(err);
	err = NULL;
	for (i = 0; i < REPLY_MAX_LINES + 5 && st == REPLY_MORE; i++)
		st = push(rp, "250-again", &err);
	EXPECT_INT(st, REPLY_ERROR);
	EXPECT_INT(i, REPLY_MAX_LINES + 1);
	free(err);
	err = NULL;
	/* Bytes per reply: 20 lines of 4000 bytes pass the line cap. */
	memset(big, 'b', sizeof(big));
	memcpy(big, "250-", 4);
	st = REPLY_MORE;
	for (i = 0; i < 20 && st == REPLY_MORE; i++)
		st = reply_parser_push(rp, big, 4000, &err);
	EXPECT_INT(st, REPLY_ERROR);
	ASSERT(err != NULL);
	EXPECT(strstr(err, "bytes") != NULL);
	free(err);
	reply_parser_free(rp);
}

static void
test_reply_enhanced(void)
{
	char	out[16];

	EXPECT_INT(reply_enhanced("4.7.1 Greylisted", 16, out), 5);
	EXPECT_STR(out, "4.7.1");
	EXPECT_INT(reply_enhanced("5.1.1", 5, out), 5);
	EXPECT_INT(reply_enhanced("2.0.0Ok", 7, out), 0);
	EXPECT_INT(reply_enhanced("3.0.0 x", 7, out), 0);
	EXPECT_INT(reply_enhanced("5.1234.1 x", 10, out), 0);
	EXPECT_INT(reply_enhanced("5.123.123 x", 11, out), 9);
	EXPECT_INT(reply_enhanced("Ok", 2, out), 0);
}

static void
test_reply_line_code(void)
{
	bool	last;

	EXPECT_INT(reply_line_code("250-x", 5, &last), 250);
	EXPECT(!last);
	EXPECT_INT(reply_line_code("354 go", 6, &last), 354);
	EXPECT(last);
	EXPECT_INT(reply_line_code("199 x", 5, &last), 0);
	EXPECT_INT(reply_line_code("2500", 4, &last), 0);
	EXPECT(strstr(reply_explain(451), "later") != NULL);
	EXPECT(strstr(reply_explain(599), "permanent") != NULL);
}

TEST_LIST(reply_tests) = {
	TEST(test_reply_single),
	TEST(test_reply_multiline),
	TEST(test_reply_smtp_sink_empty_last),
	TEST(test_reply_errors),
	TEST(test_reply_caps),
	TEST(test_reply_enhanced),
	TEST(test_reply_line_code),
	TEST_END
};
