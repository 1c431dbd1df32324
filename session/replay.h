/*
 * Replay: a captured dialog (a transcript: native, or imported from swaks
 * or the RFC style) understood step by step, sans I/O.  A step is one
 * client command (or the banner, or a whole message text up to its final
 * dot) with the reply the server gave it; pipelined commands get their
 * replies in order, as on the wire.  The phases follow the session
 * engine's (banner, hello, greeted, mail, rcpt, data, quit, closed) and the
 * replies are parsed by its reply parser (codes, enhanced codes).
 *
 * Steps refer to the capture's records by index: nothing is copied, so a
 * capture of a million lines costs its transcript and one small struct a
 * step.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "command.h"
#include "session.h"
#include "transcript.h"

#define REPLAY_NONE	((size_t)-1)

struct replay_step {
	size_t			 rec;		/* its client line (banner: the
						 * first line of the reply) */
	size_t			 end;		/* one past its last record:
						 * reply lines, notes */
	size_t			 reply;		/* first reply line, or
						 * REPLAY_NONE (no reply) */
	size_t			 reply_last;	/* last reply line */
	size_t			 text_lines;	/* message text: its lines */
	enum command_verb	 verb;		/* VERB_BANNER, VERB_DOT for a
						 * message text, VERB_AUTH for
						 * an answer to a 334 */
	enum session_phase	 phase;		/* after the reply */
	int			 code;		/* 0: no reply */
	char			 enhanced[16];	/* "5.1.1" or "" */
	int64_t			 latency;	/* microseconds, -1 unknown */
	bool			 tls;		/* sent under TLS */
	bool			 masked;	/* a masked secret ([masked]) */
	bool			 pipelined;	/* sent before an earlier reply */
	bool			 tls_after;	/* TLS started after its reply */
};

/* Where the capture ended, for the summary. */
struct replay_summary {
	size_t		 steps;
	size_t		 first_failure;	/* the first 4xx/5xx step, or
					 * REPLAY_NONE */
	bool		 quit;		/* ended with QUIT and its reply */
	bool		 closed_early;	/* a step got no reply */
	size_t		 messages;	/* messages accepted (2xx to a dot) */
	size_t		 client_error;	/* the first "***" record of the
					 * client (TLS not verified...), or
					 * REPLAY_NONE */
};

struct replay;

/*
 * Understand the capture T (borrowed: it must outlive the replay).  Never
 * fails on a messy capture: what cannot be understood becomes a note
 * (replay_notes).  NULL with *errstr only when T holds no protocol line.
 */
struct replay	*replay_new(const struct transcript *, char **errstr);
void		 replay_free(struct replay *);

/* The capture it reads. */
const struct transcript *replay_transcript(const struct replay *);
size_t		 replay_count(const struct replay *);
const struct replay_step *replay_get(const struct replay *, size_t);
/* The first step at or after FROM whose reply is 4xx or 5xx, or whose
 * reply never came; replay_count() when none. */
size_t		 replay_next_failure(const struct replay *, size_t from);
/* The step a record belongs to (binary search), or REPLAY_NONE. */
size_t		 replay_step_of(const struct replay *, size_t rec);
void		 replay_summary(const struct replay *, struct replay_summary *);

/* What the reading noticed: "record 12: reply 250 to nothing". */
size_t		 replay_nnotes(const struct replay *);
const char	*replay_note(const struct replay *, size_t, size_t *rec);

/*
 * The client line of a step as it would be sent again (the record's bytes,
 * dot-stuffing of message text undone and lines joined with CRLF for a
 * message step): allocated into *out, *len.  A masked step gives the line
 * with "[masked]" in it: never send that.
 */
void		 replay_command(const struct replay *, size_t step,
		    char **out, size_t *len);

/*
 * The data of a BDAT step, byte for byte as captured (each line with the
 * line end it had): allocated into *out, *len; *last tells whether the
 * command said LAST.
 */
void		 replay_bdat_data(const struct replay *, size_t step,
		    char **out, size_t *len, bool *last);

/*
 * How a live reply compares with the captured one (--against).
 */
enum replay_diff {
	REPLAY_SAME,		/* same code, same text */
	REPLAY_TEXT,		/* same code, other text */
	REPLAY_CODE,		/* another code of the same class */
	REPLAY_CLASS,		/* another class: 2xx became 4xx ... */
	REPLAY_DIFF_LAST
};
enum replay_diff replay_compare(int code_was, const char *text_was,
		    int code_now, const char *text_now);
const char	*replay_diff_name(enum replay_diff);

#endif
