/*
 * The sandbox SMTP server: listeners and connections in the one event
 * loop, the protocol engine (session/server.h) for each connection, TLS
 * with a generated chain, the rules engine, and delivery to a Maildir.
 * `smtptool serve` runs it alone; the TUI with no target runs it inside
 * its own loop and talks to it.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct serve_options {
	const char	*listen;	/* ADDR:PORT; port 0: a free one */
	const char	*hostname;	/* NULL: "sandbox.smtptool.test" */
	const char	*rules;		/* a rules file, or NULL */
	const char	*maildir;	/* NULL: the data directory's */
	bool		 discard;	/* accept and forget (load tests) */
	uint64_t	 max_size;	/* 0: the engine's default */
	size_t		 max_clients;	/* 0: SERVE_MAX_CLIENTS */
	uint64_t	 idle_timeout;	/* 0: the engine's default */
	uint64_t	 seed;		/* rules' prob, CRAM-MD5 challenges */
	bool		 seed_set;
	/* One line a session, and notices; NULL: standard error. */
	void		(*log)(void *, const char *);
	void		*log_arg;
};

#define SERVE_MAX_CLIENTS	256

/* The sandbox's demo account, documented as such. */
#define SERVE_USER		"sandbox"
#define SERVE_PASSWORD		"sandbox"

struct serve;

/*
 * Start listening inside LOOP.  ADDR gets the address actually bound
 * ("127.0.0.1:40123").  NULL with *errstr ("cannot listen on ...: ...").
 */
struct serve	*serve_start(struct loop *, const struct serve_options *,
		    char *addr, size_t addrlen, char **errstr);
/* Close the listener and every connection. */
void		 serve_stop(struct serve *);
/* The trust anchor clients can pass to --ca-file, or NULL without TLS. */
const char	*serve_ca_file(const struct serve *);
/* The Maildir messages go to, or NULL with --discard. */
const char	*serve_maildir(const struct serve *);

/* smtptool serve: run until SIGINT or SIGTERM; the exit code. */
int		 serve_run(const struct serve_options *);

#endif
