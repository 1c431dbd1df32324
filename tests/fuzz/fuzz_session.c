/*
 * libFuzzer target: whatever a server sends, the engine must not crash,
 * leak or grow without bound.  The input is split at random points into
 * session_input() calls, with a few commands typed in between.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#include "session.h"

static void
ignore(const struct session_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const typed[] = { "EHLO fuzz", "MAIL FROM:<a@b>",
	    "RCPT TO:<c@d>", "DATA", "text", ".", "QUIT", "RSET",
	    "AUTH LOGIN", "dXNlcg==", "AUTH PLAIN AHVAAHA=", "*" };
	static const char *const rcpt[] = { "c@d", "e@f" };
	struct session_tx	 tx = { .from = "a@b", .rcpt = rcpt,
				    .nrcpt = 2, .body = "Subject: x\n\n.\n",
				    .len = 15, .ret = "HDRS", .notify = "NEVER",
				    .orcpt = true };
	struct session_config	 cfg = { .reply_timeout = 1000,
				    .helo_fallback = true,
				    .allow_plaintext_auth = true };
	struct session		*s = session_new(&cfg, ignore, NULL);
	const char		*p;
	uint64_t		 now = 1;
	size_t			 i = 0, n, k = 0;
	char			*err;

	session_open(s, now);
	while (i < size) {
		n = 1 + data[i] % 64;
		if (n > size - i)
			n = size - i;
		session_input(s, data + i, n, ++now);
		session_output_done(s, session_output(s, &p));
		err = NULL;
		/* Now and then an engine-driven AUTH, transaction or BDAT. */
		switch (data[i] % 16) {
		case 13:
			session_auth(s, (enum sasl_mech)(1 + data[i] % 5),
			    "user", "secret", 6, ++now, &err);
			break;
		case 14:
			tx.bdat = data[i] & 0x20;
			tx.chunk = data[i] % 7;
			session_send_tx(s, &tx, ++now, &err);
			break;
		case 15:
			session_bdat(s, "ab\r\ncd\n", 7, data[i] % 5, ++now,
			    &err);
			break;
		default:
			session_command(s, typed[k % 12],
			    strlen(typed[k % 12]), ++now, &err);
			break;
		}
		free(err);
		k++;
		i += n;
	}
	session_tick(s, now + 2000);
	session_eof(s, now + 3000);
	session_free(s);
	return 0;
}
