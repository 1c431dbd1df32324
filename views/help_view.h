/*
 * The help overlay (F1, :help): a centred window listing the keys, the
 * :commands (script_table) and the SMTP verbs (command_table); for a
 * replay, the keys and the :commands that work offline.  Arrows,
 * PgUp/PgDn, Home/End scroll it when it does not fit; any other key closes
 * it.
 */
#ifndef HELP_VIEW_H
#define HELP_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

struct help_view;

/* KEYS (NKEYS entries) is borrowed: a const table of the caller's. */
struct help_view	*help_view_new(const struct view_key_help *keys,
			    size_t nkeys);
struct view		*help_view_view(struct help_view *);

/*
 * Replay mode (smtptool replay FILE): only the :commands that work
 * offline, no SMTP verbs (nothing is sent).
 */
void	help_view_set_replay(struct help_view *, bool);

/* Show it centred on a screen of LINES x COLS (also after a resize). */
void	help_view_show(struct help_view *, int lines, int cols);
void	help_view_hide(struct help_view *);
bool	help_view_visible(const struct help_view *);

#endif
