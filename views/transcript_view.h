/*
 * The transcript pane: renders the records of a transcript (the model,
 * which it only reads) with time, marker and text, every byte through the
 * sanitiser, coloured by meaning; long lines wrap.  The view keeps only its
 * scroll position, follow mode, and the search and filter regexes (PCRE2,
 * matched against the sanitised display text of a record).
 *
 * For a replay (smtptool replay FILE) it also draws a cursor: the step
 * that plays next highlighted, what was played before it as usual, what
 * comes after it dimmed; and the tool's own notes in a transcript of their
 * own above the capture, which stays as it was read.
 */
#ifndef TRANSCRIPT_VIEW_H
#define TRANSCRIPT_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "replay.h"
#include "transcript.h"
#include "view.h"

struct transcript_view;

/* A new view of T (borrowed: the caller keeps and frees it). */
struct transcript_view	*transcript_view_new(struct transcript *t);
/* The view object (ops, window, dirty flag); freed by view_free(). */
struct view		*transcript_view_view(struct transcript_view *);

/* Records were appended to the transcript: redraw (and follow). */
void	transcript_view_appended(struct transcript_view *);

/*
 * Draw the records of NOTES (borrowed; NULL: none) above those of the
 * transcript: the tool's messages about a capture that must not go into
 * it.  Notes may be appended at any time (then call
 * transcript_view_appended): the screen stays where it was.
 */
void	transcript_view_set_notes(struct transcript_view *,
	    struct transcript *);

/*
 * The replay cursor.  R (borrowed; NULL: none, the pane of a live
 * session) is the replay of this view's transcript; STEP the step that
 * plays next, replay_count() when everything was played.  The records of
 * that step (its client line, its reply, as replay_step_of() says) are
 * drawn in reverse video with a mark in a left margin, those of the steps
 * before it as usual, the rest dimmed.  The view follows the step,
 * scrolling as little as it can to keep it on the screen with some context,
 * until the person scrolls or searches away (transcript_view_following()
 * then says false; f follows again); SHOW follows it again at once (a key
 * that moves the step).  Drawing costs a binary search a record shown:
 * nothing walks the whole transcript.
 */
void	transcript_view_set_replay(struct transcript_view *,
	    const struct replay *);
void	transcript_view_set_step(struct transcript_view *, size_t step,
	    bool show);

/*
 * The record of the transcript (its own index) the person is looking at:
 * the search match when it is on the screen, else the first record of the
 * transcript on the screen; SIZE_MAX when the screen shows notes only.
 */
size_t	transcript_view_record_here(struct transcript_view *);

/* Scrolling; any scroll up leaves follow mode, reaching the end rejoins it. */
void	transcript_view_scroll(struct transcript_view *, int rows);
void	transcript_view_page(struct transcript_view *, int pages);
void	transcript_view_home(struct transcript_view *);
/* The end, and follow mode on. */
void	transcript_view_end(struct transcript_view *);
void	transcript_view_set_follow(struct transcript_view *, bool);
/* Following the end; with a replay cursor, following the step. */
bool	transcript_view_following(const struct transcript_view *);

enum transcript_view_found {
	TV_FOUND,		/* the screen shows the match */
	TV_WRAPPED,		/* found after wrapping around */
	TV_NOT_FOUND,
	TV_NO_PATTERN,		/* n/N without a search */
	TV_FOUND_LAST
};

/*
 * Search for PATTERN (a PCRE2 regex; caseless when it has no upper case
 * letter): the first matching record from the top of the screen on,
 * wrapping around; matches are highlighted.  -1 with *errstr (allocated,
 * "cannot compile regex: <why> at offset N") when it does not compile.
 * An empty PATTERN repeats the last search.
 */
int	transcript_view_search(struct transcript_view *, const char *pattern,
	    enum transcript_view_found *, char **errstr);
/* The next (DIR > 0) or previous (DIR < 0) matching record. */
enum transcript_view_found transcript_view_search_next(
	    struct transcript_view *, int dir);
/* The current search pattern, or NULL. */
const char *transcript_view_search_pattern(const struct transcript_view *);

/*
 * Show only the records whose display text matches PATTERN; NULL or ""
 * shows every record again.  -1 with *errstr as for a search.
 */
int	transcript_view_filter(struct transcript_view *, const char *pattern,
	    char **errstr);
/* The filter pattern, or NULL when none. */
const char *transcript_view_filter_pattern(const struct transcript_view *);

/*
 * A short notice for the status bar left by the last key ("search
 * wrapped", "pattern not found"), or NULL; reading it clears it.
 */
const char *transcript_view_take_notice(struct transcript_view *);

/* Words for a found result ("pattern not found"), NULL for TV_FOUND. */
const char *transcript_view_found_name(enum transcript_view_found);

#endif
