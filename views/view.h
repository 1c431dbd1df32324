/*
 * Views: the panes of the TUI as objects with an ops table.  A view renders
 * a model into its own curses window and turns keys into actions; it never
 * calls doupdate(): it marks itself dirty, and tui.c draws every dirty view
 * (wnoutrefresh) and calls doupdate() once per loop turn.
 */
#ifndef VIEW_H
#define VIEW_H

#include <stdbool.h>

#include <curses.h>

/* What a key handler did with a key: result bits for the caller. */
#define VIEW_KEY_IGNORED	0x00	/* not ours: the caller may act */
#define VIEW_KEY_HANDLED	0x01	/* consumed */
#define VIEW_KEY_FOCUS_COMMAND	0x02	/* give the focus to the command line */
#define VIEW_KEY_SEARCH		0x04	/* prompt for a search regex */
#define VIEW_KEY_FILTER		0x08	/* prompt for a filter regex */
#define VIEW_KEY_CLOSE		0x10	/* an overlay wants to be closed */

/* Keys of our own beyond curses' KEY_* codes (tui.c decodes the bytes). */
#define VIEW_KEY_ESC		0x1b

struct view;

struct view_ops {
	const char	*name;
	/* Render into v->win and wnoutrefresh() it; never doupdate(). */
	void	(*draw)(struct view *);
	/* A key (a byte 0-255 or a curses KEY_* code): VIEW_KEY_* bits. */
	int	(*key)(struct view *, int);
	/*
	 * New geometry; NULL means view_place() alone (a new window of that
	 * size).  A view with its own needs calls view_place() itself.
	 */
	void	(*resize)(struct view *, int y, int x, int lines, int cols);
	/* Free the view (and its window).  NULL: nothing beyond the window. */
	void	(*free)(struct view *);
};

/* Embedded first in each concrete view. */
struct view {
	const struct view_ops	*ops;
	WINDOW			*win;	/* NULL until placed */
	int			 y, x, lines, cols;
	bool			 dirty;
	bool			 hidden;
};

/* Key help shown by the help overlay: "F6, Ctrl-\" and what it does. */
struct view_key_help {
	const char	*keys;
	const char	*help;
};

/* Ask for a redraw at the end of this loop turn. */
static inline void
view_dirty(struct view *v)
{
	v->dirty = true;
}

/*
 * (Re)create the view's window at the given place (at least 1x1) and mark
 * it dirty.  Returns -1 when curses cannot make the window.
 */
static inline int
view_place(struct view *v, int y, int x, int lines, int cols)
{
	if (lines < 1)
		lines = 1;
	if (cols < 1)
		cols = 1;
	if (v->win != NULL)
		delwin(v->win);
	v->y = y;
	v->x = x;
	v->lines = lines;
	v->cols = cols;
	v->win = newwin(lines, cols, y, x);
	v->dirty = true;
	return v->win == NULL ? -1 : 0;
}

/* Give the view new geometry through its ops. */
static inline void
view_resize(struct view *v, int y, int x, int lines, int cols)
{
	if (v->ops->resize != NULL)
		v->ops->resize(v, y, x, lines, cols);
	else
		(void)view_place(v, y, x, lines, cols);
}

/* Draw the view when dirty (or FORCE) and visible; true when it drew. */
static inline bool
view_draw(struct view *v, bool force)
{
	if (v->hidden || v->win == NULL || (!v->dirty && !force))
		return false;
	v->ops->draw(v);
	v->dirty = false;
	return true;
}

/* Pass a key to the view: VIEW_KEY_* bits. */
static inline int
view_key(struct view *v, int key)
{
	if (v->ops->key == NULL)
		return VIEW_KEY_IGNORED;
	return v->ops->key(v, key);
}

/*
 * The bytes and terminal columns of the character at P (LEN > 0), for
 * laying out text the sanitiser already made printable: an invalid or
 * zero-width sequence counts one byte, one column.
 */
size_t	view_char(const char *p, size_t len, int *width);

/* Free a view and its window; NULL is a no-op. */
static inline void
view_free(struct view *v)
{
	WINDOW	*w;

	if (v == NULL)
		return;
	w = v->win;
	v->win = NULL;
	if (v->ops->free != NULL)
		v->ops->free(v);
	if (w != NULL)
		delwin(w);
}

#endif
