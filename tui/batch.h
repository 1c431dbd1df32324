/* The batch mode: the engine without the screen, driven by a script. */
#ifndef BATCH_H
#define BATCH_H

#include <stdbool.h>

#include "client.h"
#include "compose.h"

struct batch_options {
	/*
	 * A file, or "-" for stdin; NULL (or an empty script) with a message
	 * to compose: the whole dialog by itself (EHLO, STARTTLS and AUTH
	 * when asked, MAIL, RCPT, DATA, QUIT), as swaks does.
	 */
	const char		*script;
	const char		*helo;		/* for that dialog's EHLO */
	const struct compose_options *compose;	/* --from, --to, ... */
	const char		*user;		/* --user, for :auth */
	const char		*password_file;	/* --password-file */
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
