/*
 * smtptool replay FILE --batch: the capture as the engine understood it,
 * step by step (phase, command, parsed reply, enhanced code, latency), and
 * where it failed; with --against HOST, the live re-run and a table of
 * what changed.  The screen's step-through is in tui.c.
 */
#ifndef REPLAY_BATCH_H
#define REPLAY_BATCH_H

#include <stdbool.h>

#include "client.h"
#include "import.h"
#include "replay.h"

struct replay_options {
	const char		*file;
	const char		*against;	/* NULL: offline */
	const char		*save;		/* --save OUT: native copy */
	const char		*record;	/* --record: the live run */
	bool			 json;		/* JSON Lines */
	bool			 yes;		/* --yes: not loopback, sure */
	const char		*user;		/* for a captured AUTH */
	const char		*password_file;
	struct client_options	 client;
};

/* The exit code: see the man page (REPLAY). */
int	replay_batch(const struct replay_options *);

/*
 * Load a capture of any known format into T; its issues are written to
 * stderr (batch) or returned in RES (the screen).  -1 with *errstr.
 */
int	replay_load(struct transcript *, const char *path,
	    struct import_result *, char **errstr);

/*
 * Is TARGET's host a loopback address (every address it resolves to)?
 * 1 yes, 0 no, -1 with *errstr when it cannot be resolved.
 */
int	replay_target_local(const char *target, char **errstr);

#endif
