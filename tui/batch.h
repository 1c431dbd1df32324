/* The batch mode: the engine without the screen, driven by a script. */
#ifndef BATCH_H
#define BATCH_H

#include <stdbool.h>

#include "client.h"

struct batch_options {
	const char		*script;	/* a file, or "-" for stdin */
	const char		*target;	/* NULL: the script connects */
	struct client_options	 client;
	const char		*record;	/* --record FILE, or NULL */
	const char		*rules;		/* --rules FILE, or NULL */
	uint64_t		 seed;		/* for the rules' prob */
	bool			 json;		/* JSON Lines on stdout */
};

/* Run the script; returns the exit code (exitcode.h). */
int	batch_run(const struct batch_options *);

#endif
