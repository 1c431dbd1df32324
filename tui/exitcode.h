/*
 * The exit codes, in the manner of swaks: 0 success, small numbers for the
 * tool's own failures, 2x for the step of the dialog that failed.  The
 * table is in the man page and the README.
 */
#ifndef EXITCODE_H
#define EXITCODE_H

#include "command.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,		/* bad option or argument */
	EXIT_CONNECT = 2,	/* cannot resolve or connect */
	EXIT_SCRIPT = 3,	/* cannot read or parse the script, or a file */
	EXIT_PROTOCOL = 4,	/* the server broke the protocol */
	EXIT_TIMEOUT = 5,	/* no reply within --timeout */
	EXIT_TLS = 6,		/* TLS could not be established */
	EXIT_CERT = 7,		/* the certificate did not verify */
	EXIT_BANNER = 21,	/* the greeting was not 2xx */
	EXIT_HELLO = 22,	/* EHLO/HELO failed */
	EXIT_STARTTLS = 23,	/* STARTTLS failed */
	EXIT_AUTH = 24,		/* AUTH failed */
	EXIT_MAIL = 25,		/* MAIL failed */
	EXIT_RCPT = 26,		/* RCPT failed */
	EXIT_DATA = 27,		/* DATA or the message failed */
	EXIT_QUIT = 28,		/* QUIT failed */
	EXIT_OTHER = 29,	/* another command failed (RSET, VRFY, ...) */
	EXIT_REPLAY_CLASS = 30,	/* replay --against: a reply changed class */
};

/* The exit code that names a failed step. */
static inline int
exit_code_of(enum command_step step)
{
	static const int codes[STEP_LAST] = {
		[STEP_CONNECT] = EXIT_CONNECT,
		[STEP_BANNER] = EXIT_BANNER,
		[STEP_HELLO] = EXIT_HELLO,
		[STEP_STARTTLS] = EXIT_STARTTLS,
		[STEP_AUTH] = EXIT_AUTH,
		[STEP_MAIL] = EXIT_MAIL,
		[STEP_RCPT] = EXIT_RCPT,
		[STEP_DATA] = EXIT_DATA,
		[STEP_QUIT] = EXIT_QUIT,
		[STEP_OTHER] = EXIT_OTHER,
	};

	return step < STEP_LAST ? codes[step] : EXIT_OTHER;
}

#endif
