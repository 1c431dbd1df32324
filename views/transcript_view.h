/*
 * The transcript pane: renders the records of a transcript (the model,
 * which it only reads) with time, marker and text, every byte through the
 * sanitiser, coloured by meaning; long lines wrap.  The view keeps only its
 * scroll position, follow mode, and the search and filter regexes (PCRE2,
 * matched against the sanitised display text of a record).
 */
#ifndef TRANSCRIPT_VIEW_H
#define TRANSCRIPT_VIEW_H

#include <stdbool.h>

#include "transcript.h"
#include "view.h"

struct transcript_view;

/* A new view of T (borrowed: the caller keeps and frees it). */
struct transcript_view	*transcript_view_new(struct transcript *t);
/* The view object (ops, window, dirty flag); freed by view_free(). */
struct view		*transcript_view_view(struct transcript_view *);

/* Records were appended to the transcript: redraw (and follow). */
void	transcript_view_appended(struct transcript_view *);

/* Scrolling; any scroll up leaves follow mode, reaching the end rejoins it. */
void	transcript_view_scroll(struct transcript_view *, int rows);
void	transcript_view_page(struct transcript_view *, int pages);
void	transcript_view_home(struct transcript_view *);
/* The end, and follow mode on. */
void	transcript_view_end(struct transcript_view *);
void	transcript_view_set_follow(struct transcript_view *, bool);
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
