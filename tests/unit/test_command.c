/* Unit tests: the command table and builder. */
#include <stdlib.h>

#include "command.h"
#include "harness.h"

static void
test_command_build(void)
{
	struct buf	 b;
	char		*err = NULL;

	buf_init(&b, 0);
	EXPECT_INT(command_build(&b, "EHLO", "client.test", 11, &err), 0);
	EXPECT_INT(command_build(&b, "QUIT", NULL, 0, &err), 0);
	EXPECT_MEM(buf_head(&b), buf_avail(&b),
	    "EHLO client.test\r\nQUIT\r\n", 24);
	buf_free(&b);
}

static void
test_command_refuses(void)
{
	struct buf	 b;
	char		*err = NULL;

	buf_init(&b, 0);
	EXPECT_INT(command_build(&b, "MAIL", "FROM:<a>\r\nRCPT TO:<b>", 21,
	    &err), -1);
	ASSERT(err != NULL);
	EXPECT(strstr(err, "CR") != NULL);
	free(err);
	err = NULL;
	EXPECT_INT(command_build(&b, "NOOP", "a\nb", 3, &err), -1);
	EXPECT(err != NULL && strstr(err, "LF") != NULL);
	free(err);
	err = NULL;
	EXPECT_INT(command_build(&b, "NOOP", "a\0b", 3, &err), -1);
	EXPECT(err != NULL && strstr(err, "NUL") != NULL);
	free(err);
	err = NULL;
	EXPECT_INT(command_build(&b, "NO\rOP", NULL, 0, &err), -1);
	free(err);
	EXPECT_INT(buf_avail(&b), 0);
	buf_free(&b);
}

static void
test_command_verbs(void)
{
	EXPECT_INT(command_verb_of("ehlo x", 6), VERB_EHLO);
	EXPECT_INT(command_verb_of("MAIL FROM:<a>", 13), VERB_MAIL);
	EXPECT_INT(command_verb_of("Rcpt To:<a>", 11), VERB_RCPT);
	EXPECT_INT(command_verb_of("QUIT", 4), VERB_QUIT);
	EXPECT_INT(command_verb_of("QUITX", 5), VERB_UNKNOWN);
	EXPECT_INT(command_verb_of("", 0), VERB_UNKNOWN);
	EXPECT_INT(command_info(VERB_RCPT)->step, STEP_RCPT);
	EXPECT_INT(command_info(VERB_DOT)->step, STEP_DATA);
	EXPECT_STR(command_step_name(STEP_HELLO), "EHLO/HELO");
	EXPECT_STR(command_table[VERB_MAIL].completion, "MAIL FROM:<");
}

TEST_LIST(command_tests) = {
	TEST(test_command_build),
	TEST(test_command_refuses),
	TEST(test_command_verbs),
	TEST_END
};
