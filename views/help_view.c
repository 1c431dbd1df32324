/*
 * The help overlay.  Its text is laid out for the window's width each time
 * it is shown, from the tables of keys, :commands and SMTP verbs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "command.h"
#include "help_view.h"
#include "script.h"
#include "theme.h"
#include "view.h"

#define HELP_MAX_COLS	100

struct help_line {
	char	*text;
	bool	 title;
};

struct help_view {
	struct view			 v;	/* first */
	const struct view_key_help	*keys;
	size_t				 nkeys;
	bool				 replay;
	struct help_line		*lines;
	size_t				 n, cap;
	int				 top;	/* first line shown */
};

static void	hv_draw(struct view *);
static int	hv_key(struct view *, int);
static void	hv_free(struct view *);

static const struct view_ops hv_ops = {
	.name = "help",
	.draw = hv_draw,
	.key = hv_key,
	.resize = NULL,
	.free = hv_free,
};

static void
hv_clear(struct help_view *hv)
{
	size_t	i;

	for (i = 0; i < hv->n; i++)
		free(hv->lines[i].text);
	hv->n = 0;
}

static void
hv_add(struct help_view *hv, bool title, const char *fmt, ...)
{
	struct help_line	*l;
	va_list			 ap;
	char			 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (hv->n == hv->cap) {
		hv->cap = hv->cap == 0 ? 64 : hv->cap * 2;
		if ((l = realloc(hv->lines, hv->cap * sizeof(*l))) == NULL) {
			hv->cap = hv->n;
			return;
		}
		hv->lines = l;
	}
	l = &hv->lines[hv->n];
	if ((l->text = strdup(buf)) == NULL)
		return;
	l->title = title;
	hv->n++;
}

/*
 * "  NAME  HELP" on one line when it fits in WIDTH; else NAME alone, then
 * HELP indented and wrapped at spaces over as many lines as it needs.
 */
static void
hv_entry(struct help_view *hv, int width, int namew, const char *name,
    const char *help)
{
	int		 nw = (int)strlen(name) > namew ? (int)strlen(name) :
			    namew;
	int		 avail = width - 6 > 10 ? width - 6 : 10, n;
	const char	*p, *sp;

	if (help == NULL)
		help = "";
	if (2 + nw + 2 + (int)strlen(help) <= width) {
		hv_add(hv, false, "  %-*s  %s", namew, name, help);
		return;
	}
	hv_add(hv, false, "  %s", name);
	for (p = help; *p != '\0'; p += n) {
		p += strspn(p, " ");
		n = (int)strlen(p);
		if (n > avail) {
			/* The last space that leaves a piece that fits. */
			for (sp = p + avail; sp > p && *sp != ' '; sp--)
				continue;
			n = sp > p ? (int)(sp - p) : avail;
		}
		if (n > 0)
			hv_add(hv, false, "      %.*s", n, p);
	}
}

/* TEXT wrapped at spaces, indented by two. */
static void
hv_para(struct help_view *hv, int width, const char *text)
{
	int		 avail = width - 2 > 10 ? width - 2 : 10, n;
	const char	*p, *sp;

	for (p = text; *p != '\0'; p += n) {
		p += strspn(p, " ");
		n = (int)strlen(p);
		if (n > avail) {
			for (sp = p + avail; sp > p && *sp != ' '; sp--)
				continue;
			n = sp > p ? (int)(sp - p) : avail;
		}
		if (n > 0)
			hv_add(hv, false, "  %.*s", n, p);
	}
}

/* The :commands a replay takes: nothing that would talk to a server. */
static bool
hv_offline(enum script_op op)
{
	static const enum script_op	ops[] = { SCRIPT_SAVE, SCRIPT_EXPORT,
					    SCRIPT_FILTER, SCRIPT_HELP,
					    SCRIPT_QUIT };
	size_t				i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i] == op)
			return true;
	return false;
}

static void
hv_build(struct help_view *hv, int width)
{
	const struct script_cmd_info	*sc;
	const struct command_info	*ci;
	char				 name[128];
	size_t				 i;

	hv_clear(hv);
	hv_add(hv, true, "Keys");
	for (i = 0; i < hv->nkeys; i++)
		hv_entry(hv, width, 20, hv->keys[i].keys, hv->keys[i].help);
	hv_add(hv, false, "%s", "");
	hv_add(hv, true, hv->replay ? "Commands of the tool that work in a "
	    "replay (a line starting with :)" :
	    "Commands of the tool (a line starting with :)");
	for (i = 0; i < SCRIPT_OP_LAST; i++) {
		sc = &script_table[i];
		if (sc->name == NULL || sc->name[0] == '\0')
			continue;
		if (hv->replay && !hv_offline(sc->op))
			continue;
		snprintf(name, sizeof(name), ":%s%s%s", sc->name,
		    sc->args != NULL && sc->args[0] != '\0' ? " " : "",
		    sc->args != NULL ? sc->args : "");
		hv_entry(hv, width, 20, name, sc->help);
	}
	hv_add(hv, false, "%s", "");
	if (hv->replay) {
		hv_add(hv, true, "A replay is offline");
		hv_para(hv, width, "Nothing is sent: SMTP lines typed "
		    "in the command line only get a note.  The transcript "
		    "shows the whole capture: what was played as usual, the "
		    "next step highlighted (a mark in the margin), the rest "
		    "dimmed.  smtptool replay FILE --against HOST re-runs it "
		    "live.");
		hv_add(hv, false, "%s", "  :save FILE writes the capture (in "
		    "the native format), without the notes above it.");
		hv_add(hv, false, "%s", "  /REGEX searches, &REGEX filters "
		    "(& alone clears); Tab completes.");
		return;
	}
	hv_add(hv, true, "SMTP commands (sent as typed, CRLF added)");
	for (i = 0; i < VERB_LAST; i++) {
		ci = &command_table[i];
		if (ci->name == NULL || ci->verb == VERB_UNKNOWN ||
		    ci->verb == VERB_DOT || ci->verb == VERB_BANNER)
			continue;
		hv_entry(hv, width, 20, ci->syntax != NULL ? ci->syntax :
		    ci->name, ci->help);
	}
	hv_add(hv, false, "%s", "");
	hv_add(hv, false, "%s", "  After a 354 reply every line typed is "
	    "message text; a lone . ends it.");
	hv_add(hv, false, "%s", "  /REGEX searches, &REGEX filters "
	    "(& alone clears); Tab completes.");
}

/* The inner size the window can show. */
static int
hv_inner(const struct help_view *hv)
{
	return hv->v.lines > 2 ? hv->v.lines - 2 : 1;
}

static void
hv_clamp(struct help_view *hv)
{
	int	max = (int)hv->n - hv_inner(hv);

	if (hv->top > max)
		hv->top = max;
	if (hv->top < 0)
		hv->top = 0;
}

void
help_view_set_replay(struct help_view *hv, bool on)
{
	hv->replay = on;
	view_dirty(&hv->v);
}

void
help_view_show(struct help_view *hv, int lines, int cols)
{
	int	w, h;

	w = cols - 2 > HELP_MAX_COLS ? HELP_MAX_COLS : cols - 2;
	if (w < 20)
		w = cols;
	hv_build(hv, w - 2);
	h = (int)hv->n + 2;
	if (h > lines - 2)
		h = lines - 2 > 3 ? lines - 2 : lines;
	(void)view_place(&hv->v, (lines - h) / 2, (cols - w) / 2, h, w);
	hv->v.hidden = false;
	hv_clamp(hv);
}

void
help_view_hide(struct help_view *hv)
{
	hv->v.hidden = true;
	hv->top = 0;
}

bool
help_view_visible(const struct help_view *hv)
{
	return !hv->v.hidden;
}

static void
hv_draw(struct view *v)
{
	struct help_view	*hv = (struct help_view *)v;
	int			 inner = hv_inner(hv), i, cols = v->cols - 2;
	char			 title[80];

	wbkgdset(v->win, ' ' | theme_attr(THEME_HELP));
	werase(v->win);
	wattrset(v->win, theme_attr(THEME_HELP));
	box(v->win, 0, 0);
	snprintf(title, sizeof(title), " smtptool help: %s ",
	    (int)hv->n > inner ? "arrows scroll, any other key closes" :
	    "any key closes");
	wattrset(v->win, theme_attr(THEME_HELP_TITLE));
	mvwaddnstr(v->win, 0, 2, title, cols - 2 > 0 ? cols - 2 : 0);
	for (i = 0; i < inner && hv->top + i < (int)hv->n; i++) {
		struct help_line	*l = &hv->lines[hv->top + i];

		wattrset(v->win, theme_attr(l->title ? THEME_HELP_TITLE :
		    THEME_HELP));
		mvwaddnstr(v->win, 1 + i, 1, l->text, cols);
	}
	if ((int)hv->n > inner) {
		snprintf(title, sizeof(title), " %d-%d of %zu ", hv->top + 1,
		    hv->top + i, hv->n);
		wattrset(v->win, theme_attr(THEME_HELP_TITLE));
		mvwaddnstr(v->win, v->lines - 1, v->cols - 2 -
		    (int)strlen(title) > 0 ? v->cols - 2 - (int)strlen(title) :
		    0, title, cols);
	}
	wattrset(v->win, A_NORMAL);
	wnoutrefresh(v->win);
}

static int
hv_key(struct view *v, int key)
{
	struct help_view	*hv = (struct help_view *)v;
	int			 page = hv_inner(hv) > 1 ? hv_inner(hv) - 1 : 1;

	if ((int)hv->n <= hv_inner(hv))
		return VIEW_KEY_CLOSE;
	switch (key) {
	case KEY_UP:
	case 'k':
		hv->top--;
		break;
	case KEY_DOWN:
	case 'j':
		hv->top++;
		break;
	case KEY_PPAGE:
	case 'b':
		hv->top -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		hv->top += page;
		break;
	case KEY_HOME:
	case 'g':
		hv->top = 0;
		break;
	case KEY_END:
	case 'G':
		hv->top = (int)hv->n;
		break;
	default:
		return VIEW_KEY_CLOSE;
	}
	hv_clamp(hv);
	view_dirty(v);
	return VIEW_KEY_HANDLED;
}

static void
hv_free(struct view *v)
{
	struct help_view	*hv = (struct help_view *)v;

	hv_clear(hv);
	free(hv->lines);
	free(hv);
}

struct help_view *
help_view_new(const struct view_key_help *keys, size_t nkeys)
{
	struct help_view	*hv;

	if ((hv = calloc(1, sizeof(*hv))) == NULL)
		return NULL;
	hv->v.ops = &hv_ops;
	hv->v.hidden = true;
	hv->keys = keys;
	hv->nkeys = nkeys;
	return hv;
}

struct view *
help_view_view(struct help_view *hv)
{
	return &hv->v;
}
