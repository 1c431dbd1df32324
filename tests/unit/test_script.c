/* Unit tests: the script language. */
#include <stdlib.h>

#include "harness.h"
#include "script.h"

static void
test_script_lines(void)
{
	struct script_line	 sl;
	char			 a[] = "EHLO me", b[] = ":connect 127.0.0.1:25  ",
				 c[] = "# comment", d[] = "", e[] = ":quit";
	char			*err = NULL;

	EXPECT_INT(script_parse(a, 1, &sl, &err), 0);
	EXPECT_INT(sl.op, SCRIPT_SEND);
	EXPECT_STR(sl.arg, "EHLO me");
	EXPECT_INT(script_parse(b, 1, &sl, &err), 0);
	EXPECT_INT(sl.op, SCRIPT_CONNECT);
	EXPECT_STR(sl.arg, "127.0.0.1:25");
	EXPECT_INT(script_parse(c, 1, &sl, &err), 0);
	EXPECT_INT(sl.op, SCRIPT_COMMENT);
	EXPECT_INT(script_parse(d, 1, &sl, &err), 0);
	EXPECT_INT(sl.op, SCRIPT_COMMENT);
	EXPECT_INT(script_parse(e, 1, &sl, &err), 0);
	EXPECT_INT(sl.op, SCRIPT_QUIT);
}

static void
test_script_pane_keeps_blank_lines(void)
{
	struct script_line	sl;
	char			a[] = "", b[] = "# not a comment";
	char			*err = NULL;

	EXPECT_INT(script_parse(a, 0, &sl, &err), 0);
	EXPECT_INT(sl.op, SCRIPT_SEND);
	EXPECT_INT(script_parse(b, 0, &sl, &err), 0);
	EXPECT_INT(sl.op, SCRIPT_SEND);
}

static void
test_script_errors(void)
{
	struct script_line	 sl;
	char			 a[] = ":nosuch x", b[] = ":connect",
				 c[] = ":quit now", d[] = ":sleep 5q",
				 e[] = ":expect 25", f[] = ":expect 650";
	char			*err = NULL;

	EXPECT_INT(script_parse(a, 1, &sl, &err), -1);
	EXPECT(err != NULL && strstr(err, ":nosuch") != NULL);
	free(err);
	EXPECT_INT(script_parse(b, 1, &sl, &err), -1);
	EXPECT(err != NULL && strstr(err, "HOST") != NULL);
	free(err);
	EXPECT_INT(script_parse(c, 1, &sl, &err), -1);
	free(err);
	EXPECT_INT(script_parse(d, 1, &sl, &err), -1);
	EXPECT(err != NULL && strstr(err, "5q") != NULL);
	free(err);
	EXPECT_INT(script_parse(e, 1, &sl, &err), -1);
	free(err);
	EXPECT_INT(script_parse(f, 1, &sl, &err), -1);
	free(err);
}

static void
test_script_expect_sleep(void)
{
	struct script_line	 sl;
	char			 a[] = ":expect 5XX", b[] = ":sleep 250ms";
	char			*err = NULL;
	uint64_t		 us;

	EXPECT_INT(script_parse(a, 1, &sl, &err), 0);
	EXPECT_STR(sl.expect, "5xx");
	EXPECT(script_expect_match(sl.expect, 550));
	EXPECT(!script_expect_match(sl.expect, 450));
	EXPECT(script_expect_match("45x", 451));
	EXPECT(!script_expect_match("45x", 421));
	EXPECT(script_expect_match("250", 250));
	EXPECT_INT(script_parse(b, 1, &sl, &err), 0);
	EXPECT_INT(sl.usec, 250000);
	EXPECT_INT(script_duration("1.5", &us), 0);
	EXPECT_INT(us, 1500000);
	EXPECT_INT(script_duration("2m", &us), 0);
	EXPECT_INT(us, 120000000);
	EXPECT_INT(script_duration("-1", &us), -1);
	EXPECT_INT(script_duration("", &us), -1);
	EXPECT_INT(script_duration("nan", &us), -1);
	EXPECT_INT(script_duration("2d", &us), -1);
}

TEST_LIST(script_tests) = {
	TEST(test_script_lines),
	TEST(test_script_pane_keeps_blank_lines),
	TEST(test_script_errors),
	TEST(test_script_expect_sleep),
	TEST_END
};
