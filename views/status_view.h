/*
 * The status bar: one line between the transcript and the command line.
 * Left: the target (or "not connected"), the phase, the last reply code and
 * its latency, and the capabilities the server advertised.  Below 100
 * columns (or before EHLO) these are four indicators, dimmed when absent:
 * "PIPE SIZE=10M TLS AUTH:PLAIN,LOGIN".  From 100 columns, once an EHLO
 * was answered, the whole list, usual extensions first and whole items
 * only, an ellipsis where the room ends: "PIPELINING SIZE=10M 8BITMIME
 * SMTPUTF8 CHUNKING DSN STARTTLS AUTH:PLAIN,LOGIN ENHANCEDSTATUSCODES ...".
 * Right, never cut: the TLS
 * state and verdict ("TLS1.3 ok", "TLS1.3 !cert", "TLS..." during the
 * handshake, "plain"), the focus, follow mode and the filter.  A notice
 * (search wrapped, pattern not found, ...) takes the place of the
 * capabilities until the next key.  Every server byte goes through the
 * sanitiser.
 *
 * Replay (smtptool replay FILE): no connection; left, the step-through
 * ("REPLAY step 3/12 · phase rcpt · next: RCPT TO:<x@y>", at the end what
 * the capture came to: "REPLAY 6/6 played · end: 550 5.1.1 at RCPT (step
 * 4)"), a notice in place of "next:"; right, the capture's file name (cut
 * first), the focus, follow and the filter.
 */
#ifndef STATUS_VIEW_H
#define STATUS_VIEW_H

#include <stdbool.h>

#include "client.h"
#include "replay.h"
#include "transcript.h"
#include "transcript_view.h"
#include "view.h"

struct status_view;

/*
 * The models are borrowed: the caller keeps them alive.  The client may
 * be NULL in replay mode only.
 */
struct status_view	*status_view_new(struct client *,
			    struct transcript_view *);
struct view		*status_view_view(struct status_view *);

/* Which pane has the focus. */
enum status_focus {
	STATUS_FOCUS_COMMAND,		/* "[cmd]" */
	STATUS_FOCUS_TRANSCRIPT,	/* "[log]" */
	STATUS_FOCUS_TLS,		/* "[tls]" */
	STATUS_FOCUS_LAST
};
void	status_view_set_focus(struct status_view *, enum status_focus);
/* A notice to show until the next one; NULL clears it.  Copied. */
void	status_view_notice(struct status_view *, const char *);

/*
 * Replay mode: R steps through the capture T read from NAME (all
 * borrowed; R NULL: a capture without steps).  The step that plays next
 * starts at 0.
 */
void	status_view_set_replay(struct status_view *, const struct replay *,
	    const struct transcript *, const char *name);
/* The step that plays next; replay_count() when everything was played. */
void	status_view_replay_step(struct status_view *, size_t next);

/* "10M" for a SIZE limit of 10240000 bytes (decimal units); "" for 0. */
void	status_view_format_size(unsigned long long, char *buf, size_t size);

#endif
