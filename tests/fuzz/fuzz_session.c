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
	    "RCPT TO:<c@d>", "DATA", "text", ".", "QUIT", "RSET" };
	struct session_config	 cfg = { .reply_timeout = 1000,
				    .helo_fallback = true };
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
		session_command(s, typed[k % 8], strlen(typed[k % 8]), ++now,
		    &err);
		free(err);
		k++;
		i += n;
	}
	session_tick(s, now + 2000);
	session_eof(s, now + 3000);
	session_free(s);
	return 0;
}
