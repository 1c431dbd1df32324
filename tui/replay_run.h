/*
 * A live re-run of a capture (smtptool replay FILE --against HOST): the
 * captured client commands are sent, in order, one at a time, through a
 * client of our own, and each live reply is set beside the captured one
 * (same, text changed, code changed, class changed) in the transcript.
 * STARTTLS goes where the capture had it; a message is re-sent from its
 * captured text (dot-stuffing undone, then done again by the engine);
 * AUTH runs again with the mechanism of the capture and a secret asked
 * for afresh, never taken from the file.  Used by the batch mode and the
 * screen alike: the front end forwards the client's events.
 */
#ifndef REPLAY_RUN_H
#define REPLAY_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "replay.h"

struct replay_run_options {
	const char	*target;	/* HOST[:PORT] */
	const char	*user;		/* for a captured AUTH */
	const char	*secret;	/* its secret (borrowed), or NULL */
	size_t		 secretlen;
};

/* What became of a step. */
struct replay_result {
	bool		 ran;		/* sent, and a reply came */
	bool		 skipped;	/* not sent (see the transcript) */
	int		 code;		/* the live code */
	enum replay_diff diff;
};

struct replay_run_listener {
	/* A step was compared (or found not run). */
	void	(*compared)(void *, size_t step, const struct replay_result *);
	/* Nothing more will be sent: the end, or the connection is gone. */
	void	(*finished)(void *);
};

struct replay_run;

struct replay_run *replay_run_new(struct client *, const struct replay *,
		    const struct replay_run_options *,
		    const struct replay_run_listener *, void *);
void		 replay_run_free(struct replay_run *);

/* Send steps until step UNTIL (exclusive; replay_count(): all of them). */
void		 replay_run_until(struct replay_run *, size_t until);
/* The client's news, forwarded by the front end. */
void		 replay_run_event(struct replay_run *,
		    const struct session_event *);
void		 replay_run_state(struct replay_run *, enum client_state);
/* After each loop turn: send what can be sent. */
void		 replay_run_poll(struct replay_run *);

/* The next step to send, and whether one awaits its live reply. */
size_t		 replay_run_position(const struct replay_run *);
bool		 replay_run_busy(const struct replay_run *);
bool		 replay_run_finished(const struct replay_run *);
const struct replay_result *replay_run_result(const struct replay_run *,
		    size_t step);
/* How many steps changed class, code, text. */
size_t		 replay_run_count(const struct replay_run *, enum replay_diff);

#endif
