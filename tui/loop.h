/*
 * The one event loop: a poll() over file descriptors, deadlines on
 * CLOCK_MONOTONIC and signals turned into events through a self-pipe.
 *
 * A source is a struct the owner keeps (embedded in its own state).  Before
 * each poll the loop calls every source's prepare(), which sets fd/events
 * and deadline for this turn and may set `ready` when it holds data poll
 * cannot see (GnuTLS's buffer, a queued key); then dispatch() is called for
 * sources whose fd is ready, whose deadline passed, or that said `ready`
 * (revents 0 for the last two).
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

struct loop_source {
	int	 fd;		/* -1: none this turn */
	short	 events;	/* POLLIN, POLLOUT */
	uint64_t deadline;	/* loop_now() microseconds; 0: none */
	bool	 ready;		/* dispatch without waiting */
	void	(*prepare)(struct loop_source *, uint64_t now);	/* may be NULL */
	void	(*dispatch)(struct loop_source *, short revents, uint64_t now);
	void	*arg;
	/* private */
	struct loop_source *next;
	long	 pidx;		/* its pollfd this turn, -1: none */
};

struct loop	*loop_new(void);
void		 loop_free(struct loop *);
/* Microseconds on CLOCK_MONOTONIC. */
uint64_t	 loop_now(void);
/*
 * Add or remove a source; safe to call from dispatch(), and a removed source
 * may be freed at once.
 */
void		 loop_add(struct loop *, struct loop_source *);
void		 loop_remove(struct loop *, struct loop_source *);
/*
 * Catch SIG (SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGCONT, ...): the handler
 * only writes to the self-pipe; FN runs from the loop.  Install before
 * curses starts (ncurses keeps handlers it finds in place).
 */
int		 loop_signal(struct loop *, int sig, void (*fn)(int, void *),
		    void *);
/* Back to the default disposition (before suspending, say). */
void		 loop_signal_default(struct loop *, int sig);
/* One turn: prepare, poll (at most MAX_WAIT_MS, -1: no limit), dispatch. */
void		 loop_once(struct loop *, int max_wait_ms);

#endif
