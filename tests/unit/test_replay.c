/*
 * Unit tests: replay's understanding of a capture (steps, pipelined
 * replies, message text, AUTH answers, STARTTLS, BDAT chunks, a second
 * session, replies to nothing) and the comparison of replies.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "replay.h"

/* Build a capture from "MARKER payload" lines, 1 ms apart. */
static struct transcript *
capture(const char *const *lines)
{
	struct transcript	*t = transcript_new();
	struct transcript_record r;
	size_t			 i;
	char			*err = NULL;

	for (i = 0; lines[i] != NULL; i++) {
		memset(&r, 0, sizeof(r));
		r.t_us = i * 1000;
		r.latency_us = -1;
		r.eol = TRANSCRIPT_EOL_CRLF;
		switch (lines[i][0]) {
		case 'C':
			r.kind = TRANSCRIPT_CLIENT;
			break;
		case 'S':
			r.kind = TRANSCRIPT_SERVER;
			break;
		case 'c':
			r.kind = TRANSCRIPT_CLIENT;
			r.flags = TRANSCRIPT_TLS;
			break;
		case 's':
			r.kind = TRANSCRIPT_SERVER;
			r.flags = TRANSCRIPT_TLS;
			break;
		default:
			r.kind = TRANSCRIPT_INFO;
			break;
		}
		r.bytes = lines[i] + 2;
		r.len = strlen(r.bytes);
		if (transcript_append(t, &r, &err) == -1)
			free(err);
	}
	return t;
}

static void
test_replay_dialog(void)
{
	static const char *const lines[] = {
		"I connected to 127.0.0.1:25",
		"S 220 mx ESMTP",
		"C EHLO me",
		"S 250-mx",
		"S 250-PIPELINING",
		"S 250 STARTTLS",
		"C STARTTLS",
		"S 220 go",
		"I TLS TLS1.3 ...",
		"c EHLO me",
		"s 250-mx",
		"s 250 AUTH PLAIN",
		"c AUTH LOGIN",
		"s 334 VXNlcm5hbWU6",
		"c [masked]",
		"s 334 UGFzc3dvcmQ6",
		"c [masked]",
		"s 235 2.7.0 ok",
		"c MAIL FROM:<a@b>",
		"c RCPT TO:<x@y>",
		"c RCPT TO:<nobody@y>",
		"c DATA",
		"s 250 2.1.0 ok",
		"s 250 2.1.5 ok",
		"s 550 5.1.1 unknown",
		"s 354 go",
		"c Subject: hi",
		"c ",
		"c ..dot",
		"c .",
		"s 250 2.0.0 queued",
		"c QUIT",
		"s 221 bye",
		NULL,
	};
	struct transcript	*t = capture(lines);
	struct replay		*r;
	struct replay_summary	 sum;
	const struct replay_step *s;
	char			*err = NULL, *out;
	size_t			 len;

	r = replay_new(t, &err);
	ASSERT(r != NULL);
	EXPECT_INT(replay_count(r), 13);
	s = replay_get(r, 0);
	EXPECT_INT(s->verb, VERB_BANNER);
	EXPECT_INT(s->code, 220);
	EXPECT_INT(s->phase, PHASE_HELLO);
	s = replay_get(r, 2);
	EXPECT_INT(s->verb, VERB_STARTTLS);
	EXPECT(s->tls_after);
	s = replay_get(r, 4);
	EXPECT_INT(s->verb, VERB_AUTH);
	EXPECT_INT(s->code, 334);
	s = replay_get(r, 5);
	EXPECT_INT(s->verb, VERB_AUTH);	/* the answer to a 334 */
	EXPECT(s->masked);
	EXPECT_INT(replay_get(r, 6)->code, 235);
	s = replay_get(r, 9);
	EXPECT_INT(s->verb, VERB_RCPT);
	EXPECT_INT(s->code, 550);
	EXPECT(strcmp(s->enhanced, "5.1.1") == 0);
	EXPECT(s->pipelined);
	EXPECT_INT(s->latency, 4000);
	s = replay_get(r, 11);
	EXPECT_INT(s->verb, VERB_DOT);
	EXPECT_INT(s->text_lines, 3);
	EXPECT_INT(s->code, 250);
	EXPECT_INT(s->phase, PHASE_GREETED);
	replay_command(r, 11, &out, &len);
	EXPECT(strcmp(out, "Subject: hi\r\n\r\n.dot\r\n") == 0);
	free(out);
	EXPECT_INT(replay_get(r, 12)->phase, PHASE_CLOSED);
	EXPECT_INT(replay_next_failure(r, 0), 9);
	EXPECT_INT(replay_next_failure(r, 10), 13);
	EXPECT_INT(replay_step_of(r, 0), REPLAY_NONE);
	EXPECT_INT(replay_step_of(r, 1), 0);
	EXPECT_INT(replay_step_of(r, 27), 11);
	replay_summary(r, &sum);
	EXPECT_INT(sum.first_failure, 9);
	EXPECT_INT(sum.messages, 1);
	EXPECT(sum.quit);
	EXPECT(!sum.closed_early);
	replay_free(r);
	transcript_free(t);
}

static void
test_replay_messy(void)
{
	static const char *const lines[] = {
		"S 220 mx",
		"S 250 to nothing",
		"C EHLO me",
		"S 250 mx",
		"C BDAT 10 LAST",
		"C 0123",
		"C 4567",
		"S 250 ok",
		"C MAIL FROM:<a@b>",
		"I connected to 127.0.0.1:25",
		"S 421 4.7.0 busy",
		"C NOOP",
		NULL,
	};
	struct transcript	*t = capture(lines);
	struct replay		*r;
	char			*err = NULL;

	r = replay_new(t, &err);
	ASSERT(r != NULL);
	EXPECT_INT(replay_nnotes(r), 1);
	EXPECT(strstr(replay_note(r, 0, NULL), "reply 250 to nothing") !=
	    NULL);
	EXPECT_INT(replay_get(r, 2)->verb, VERB_BDAT);
	EXPECT_INT(replay_get(r, 2)->text_lines, 2);
	EXPECT_INT(replay_get(r, 2)->code, 250);
	{
		char	*data;
		size_t	 len;
		bool	 last;

		replay_bdat_data(r, 2, &data, &len, &last);
		EXPECT(last);
		EXPECT(len == 12 && memcmp(data, "0123\r\n4567\r\n", 12) == 0);
		free(data);
	}
	/* MAIL got no reply; the new session's banner is 421. */
	EXPECT_INT(replay_get(r, 3)->verb, VERB_MAIL);
	EXPECT_INT(replay_get(r, 3)->code, 421);
	EXPECT_INT(replay_count(r), 5);
	EXPECT_INT(replay_get(r, 4)->code, 0);
	replay_free(r);
	transcript_free(t);

	/* A message whose text the capture did not show (swaks -ndf... or
	 * --suppress-data): the 250 after the 354 answers it. */
	{
		static const char *const quiet[] = {
			"S 220 mx",
			"C DATA",
			"S 354 go",
			"I message text not shown: 11 lines sent",
			"S 250 queued",
			"C QUIT",
			"S 221 bye",
			NULL,
		};

		t = capture(quiet);
		r = replay_new(t, &err);
		ASSERT(r != NULL);
		EXPECT_INT(replay_nnotes(r), 0);
		EXPECT_INT(replay_count(r), 4);
		EXPECT_INT(replay_get(r, 2)->verb, VERB_DOT);
		EXPECT_INT(replay_get(r, 2)->text_lines, 0);
		EXPECT_INT(replay_get(r, 2)->code, 250);
		EXPECT_INT(replay_get(r, 3)->code, 221);
		replay_free(r);
		transcript_free(t);
	}

	/* Nothing of a dialog. */
	{
		static const char *const none[] = { "I hello", NULL };

		t = capture(none);
		EXPECT(replay_new(t, &err) == NULL);
		EXPECT(err != NULL && strstr(err, "no line") != NULL);
		free(err);
		transcript_free(t);
	}
}

static void
test_replay_compare(void)
{
	EXPECT_INT(replay_compare(250, "ok", 250, "ok"), REPLAY_SAME);
	EXPECT_INT(replay_compare(250, "ok", 250, "fine"), REPLAY_TEXT);
	EXPECT_INT(replay_compare(250, "ok", 251, "ok"), REPLAY_CODE);
	EXPECT_INT(replay_compare(250, "ok", 451, "later"), REPLAY_CLASS);
	EXPECT(strcmp(replay_diff_name(REPLAY_CLASS), "class changed") == 0);
}

TEST_LIST(replay_tests) = {
	TEST(test_replay_dialog),
	TEST(test_replay_messy),
	TEST(test_replay_compare),
	TEST_END
};
