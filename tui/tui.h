/* The full-screen front end. */
#ifndef TUI_H
#define TUI_H

#include "client.h"
#include "serve.h"

enum tui_color {
	TUI_COLOR_AUTO,
	TUI_COLOR_ALWAYS,
	TUI_COLOR_NEVER,
};

struct tui_options {
	const char		*target;	/* NULL: start unconnected */
	struct client_options	 client;
	enum tui_color		 color;
	const char		*record;	/* --record FILE, or NULL */
	const char		*rules;		/* --rules FILE, or NULL */
	uint64_t		 seed;		/* for the rules' prob */
	/* With no target: start the sandbox in the loop and talk to it. */
	bool			 sandbox;
	struct serve_options	 serve;
	const char		*helo;		/* the default EHLO name */
	const char		*user;		/* --user, for :auth */
	const char		*password_file;	/* --password-file */
	const char		*replay;	/* a capture to step through */
	const char		*against;	/* --against HOST[:PORT] */
	bool			 yes;		/* --yes: not loopback, sure */
};

/*
 * Run the TUI until :quit; returns the process exit code.  With REPLAY:
 * the capture is read before the screen starts (EXIT_SCRIPT and a message
 * on stderr when it cannot be), then stepped through offline.
 */
int	tui_run(const struct tui_options *);

#endif
