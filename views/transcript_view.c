/*
 * The transcript pane.  Positions are (record, wrapped row of that record);
 * row counts are computed when needed from the sanitised display text, so
 * the view holds no copy of the model and follows a resize for free.
 */
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>
#include <pcre2.h>

#include "reply.h"
#include "sanitize.h"
#include "theme.h"
#include "transcript.h"
#include "transcript_view.h"
#include "view.h"

#define TV_TIME_WIDTH	7	/* "  0.004" */
#define TV_PREFIX	(TV_TIME_WIDTH + 1 + 3 + 1)	/* time marker text */
#define TV_NONE		SIZE_MAX

/* Per byte of the display text. */
#define TVF_ESCAPE	0x01
#define TVF_MATCH	0x02

/* Filter cache values. */
#define TVC_UNKNOWN	0
#define TVC_SHOWN	1
#define TVC_HIDDEN	2

struct tv_regex {
	char			*pattern;	/* NULL: none */
	pcre2_code		*code;
	pcre2_match_data	*md;
};

/* A record's display text: the sanitiser's output, byte flags beside it. */
struct tv_line {
	char		*s;
	unsigned char	*fl;
	size_t		 len, cap;
};

struct tv_pos {
	size_t	rec;
	int	row;
};

struct transcript_view {
	struct view		 v;		/* first */
	struct transcript	*t;
	struct tv_pos		 top;		/* when not following */
	bool			 follow;
	struct tv_regex		 search;
	struct tv_regex		 filter;
	size_t			 match;		/* current match, TV_NONE */
	unsigned char		*cache;		/* filter results per record */
	size_t			 ncache;
	struct tv_line		 line;
	const char		*notice;
};

static void	 tv_draw(struct view *);
static int	 tv_key(struct view *, int);
static void	 tv_free(struct view *);

static const struct view_ops tv_ops = {
	.name = "transcript",
	.draw = tv_draw,
	.key = tv_key,
	.resize = NULL,
	.free = tv_free,
};

static const char *tv_found_names[TV_FOUND_LAST] = {
	[TV_FOUND] = NULL,
	[TV_WRAPPED] = "search wrapped around",
	[TV_NOT_FOUND] = "pattern not found",
	[TV_NO_PATTERN] = "no search yet: / then a regex",
};

static void *
tv_xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL) {
		endwin();
		fprintf(stderr, "smtptool: cannot allocate %zu bytes\n", n);
		abort();
	}
	return p;
}

static char *
tv_xstrdup(const char *s)
{
	size_t	n = strlen(s) + 1;

	return memcpy(tv_xrealloc(NULL, n), s, n);
}

static char *
tv_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = tv_xrealloc(NULL, (size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Regexes. */

static void
tv_regex_clear(struct tv_regex *re)
{
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re->pattern);
	re->md = NULL;
	re->code = NULL;
	re->pattern = NULL;
}

/* Smartcase: an upper case letter (not escaped: \S, \W) makes it exact. */
static bool
tv_has_upper(const char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0')
				break;
			p++;
			continue;
		}
		if (isupper((unsigned char)*p))
			return true;
	}
	return false;
}

static int
tv_regex_compile(struct tv_regex *re, const char *pattern, char **errstr)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	uint32_t	 opts = PCRE2_UTF;
	pcre2_code	*code;
	int		 err;

	if (!tv_has_upper(pattern))
		opts |= PCRE2_CASELESS;
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts,
	    &err, &off, NULL);
	if (code == NULL) {
		if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", err);
		*errstr = tv_printf("cannot compile regex: %s at offset %zu",
		    (char *)msg, (size_t)off);
		return -1;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	tv_regex_clear(re);
	re->code = code;
	re->md = pcre2_match_data_create_from_pattern(code, NULL);
	re->pattern = tv_xstrdup(pattern);
	return 0;
}

/* Does the regex match S at or after START?  Sets *mstart, *mend. */
static bool
tv_regex_match(struct tv_regex *re, const char *s, size_t len, size_t start,
    size_t *mstart, size_t *mend)
{
	PCRE2_SIZE	*ov;
	int		 rc;

	if (re->code == NULL || start > len)
		return false;
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, 0, re->md,
	    NULL);
	if (rc < 0)
		return false;
	ov = pcre2_get_ovector_pointer(re->md);
	*mstart = ov[0];
	*mend = ov[1] < ov[0] ? ov[0] : ov[1];
	return true;
}

/* Display text. */

static void
tv_line_add(struct tv_line *l, const char *s, size_t n, unsigned char fl)
{
	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->s = tv_xrealloc(l->s, l->cap);
		l->fl = tv_xrealloc(l->fl, l->cap);
	}
	memcpy(l->s + l->len, s, n);
	memset(l->fl + l->len, fl, n);
	l->len += n;
	l->s[l->len] = '\0';
}

/* The sanitised display text of record I into tv->line. */
static const struct transcript_record *
tv_build(struct transcript_view *tv, size_t i)
{
	const struct transcript_record	*r;
	struct sanitize_piece		 piece;
	size_t				 off;

	tv->line.len = 0;
	tv_line_add(&tv->line, "", 0, 0);
	if ((r = transcript_get(tv->t, i)) == NULL)
		return NULL;
	for (off = 0; off < r->len; off += piece.consumed) {
		sanitize_next(r->bytes + off, r->len - off, &piece);
		tv_line_add(&tv->line, piece.s, piece.len,
		    piece.kind == SANITIZE_ESCAPE ? TVF_ESCAPE : 0);
	}
	return r;
}

/* Flag every match of the search in tv->line. */
static void
tv_mark_matches(struct transcript_view *tv)
{
	struct tv_line	*l = &tv->line;
	size_t		 at = 0, ms, me;

	while (tv_regex_match(&tv->search, l->s, l->len, at, &ms, &me)) {
		for (size_t k = ms; k < me; k++)
			l->fl[k] |= TVF_MATCH;
		if (me > at)
			at = me;
		else {
			/* An empty match: step over one character. */
			at = me + 1;
			while (at < l->len && (l->s[at] & 0xc0) == 0x80)
				at++;
		}
	}
}

static bool
tv_record_matches(struct transcript_view *tv, struct tv_regex *re, size_t i)
{
	size_t	ms, me;

	if (tv_build(tv, i) == NULL)
		return false;
	return tv_regex_match(re, tv->line.s, tv->line.len, 0, &ms, &me);
}

/* Filtering. */

static bool
tv_visible(struct transcript_view *tv, size_t i)
{
	size_t	n;

	if (i >= transcript_count(tv->t))
		return false;
	if (tv->filter.code == NULL)
		return true;
	if (i >= tv->ncache) {
		n = transcript_count(tv->t) + 256;
		tv->cache = tv_xrealloc(tv->cache, n);
		memset(tv->cache + tv->ncache, TVC_UNKNOWN, n - tv->ncache);
		tv->ncache = n;
	}
	if (tv->cache[i] == TVC_UNKNOWN)
		tv->cache[i] = tv_record_matches(tv, &tv->filter, i) ?
		    TVC_SHOWN : TVC_HIDDEN;
	return tv->cache[i] == TVC_SHOWN;
}

/* The first visible record at or after I, or TV_NONE. */
static size_t
tv_next_visible(struct transcript_view *tv, size_t i)
{
	size_t	n = transcript_count(tv->t);

	for (; i < n; i++)
		if (tv_visible(tv, i))
			return i;
	return TV_NONE;
}

/* The last visible record before I, or TV_NONE. */
static size_t
tv_prev_visible(struct transcript_view *tv, size_t i)
{
	size_t	n = transcript_count(tv->t);

	if (i > n)
		i = n;
	while (i-- > 0)
		if (tv_visible(tv, i))
			return i;
	return TV_NONE;
}

/* Layout and drawing. */

static int
tv_prefix(const struct transcript_view *tv)
{
	return tv->v.cols > 2 * TV_PREFIX ? TV_PREFIX : 0;
}

static enum theme_element
tv_element(const struct transcript_record *r)
{
	switch (r->kind) {
	case TRANSCRIPT_INFO:
		return THEME_INFO;
	case TRANSCRIPT_WARNING:
		return THEME_WARNING;
	case TRANSCRIPT_ERROR:
		return THEME_ERROR;
	case TRANSCRIPT_CLIENT:
		return THEME_CLIENT;
	case TRANSCRIPT_SERVER:
		return theme_reply(r->code);
	case TRANSCRIPT_SIMULATED:
		return THEME_SIMULATED;
	default:
		return THEME_NORMAL;
	}
}

/*
 * "12.3 ms" on the last line of a reply, or "".  EXPLAINED gets the same
 * with what a 3xx, 4xx or 5xx code means in front ("bad sequence of
 * commands  0.3 ms"), for people learning SMTP; it is shown when it fits.
 */
static void
tv_latency(const struct transcript_record *r, char *buf, size_t size,
    char *explained, size_t esize)
{
	buf[0] = explained[0] = '\0';
	if (!r->last || (r->kind != TRANSCRIPT_SERVER &&
	    r->kind != TRANSCRIPT_SIMULATED))
		return;
	if (r->latency_us < 0)
		;
	else if (r->latency_us < 1000000)
		snprintf(buf, size, "%.1f ms", (double)r->latency_us / 1e3);
	else
		snprintf(buf, size, "%.2f s", (double)r->latency_us / 1e6);
	if (r->code >= 300)
		snprintf(explained, esize, "%s%s%s", reply_explain(r->code),
		    buf[0] != '\0' ? "  " : "", buf);
	else
		snprintf(explained, esize, "%s", buf);
}

/* Columns of the word (up to a space) that starts at OFF. */
static int
tv_word_width(const struct tv_line *l, size_t off)
{
	size_t	n;
	int	w = 0, cw;

	for (; off < l->len && l->s[off] != ' '; off += n) {
		n = view_char(l->s + off, l->len - off, &cw);
		w += cw;
	}
	return w;
}

/*
 * Lay record I out in rows of the text column.  With DRAW, the rows from
 * SKIP on are drawn from screen row Y, at most MAX of them, and the number
 * drawn is returned; without, the number of rows the record takes.
 */
static int
tv_layout(struct transcript_view *tv, size_t i, bool draw, int skip, int y,
    int max)
{
	const struct transcript_record	*r;
	struct tv_line			*l = &tv->line;
	WINDOW				*w = tv->v.win;
	char				 lat[32], tbuf[32], expl[96];
	attr_t				 base, a;
	const char			*ann;
	size_t				 off, n, latlen, annlen;
	int				 prefix, tw, row = 0, col = 0, cw;
	int				 drawn = 0;

	if ((r = tv_build(tv, i)) == NULL)
		return 0;
	if (draw && tv->search.code != NULL)
		tv_mark_matches(tv);
	prefix = tv_prefix(tv);
	tw = tv->v.cols - prefix;
	if (tw < 1)
		tw = 1;
	tv_latency(r, lat, sizeof(lat), expl, sizeof(expl));
	latlen = strlen(lat);
	base = theme_attr(tv_element(r));

#define TV_ROW_VISIBLE	(draw && row >= skip && row - skip < max)
#define TV_ROW_Y	(y + row - skip)
	if (TV_ROW_VISIBLE && prefix > 0) {
		double	secs = (double)r->t_us / 1e6;

		snprintf(tbuf, sizeof(tbuf), "%7.3f", secs);
		if (strlen(tbuf) > TV_TIME_WIDTH)
			snprintf(tbuf, sizeof(tbuf), "%7.0f", secs);
		wattrset(w, theme_attr(THEME_TIME));
		mvwaddnstr(w, TV_ROW_Y, 0, tbuf, TV_TIME_WIDTH);
		wattrset(w, base | A_BOLD);
		mvwaddstr(w, TV_ROW_Y, TV_TIME_WIDTH + 1,
		    transcript_marker(r->kind, r->flags));
	}
	if (TV_ROW_VISIBLE)
		wmove(w, TV_ROW_Y, prefix);
	for (off = 0; off < l->len; off += n) {
		n = view_char(l->s + off, l->len - off, &cw);
		/* A word that does not fit starts the next row. */
		if (col > 0 && off > 0 && l->s[off - 1] == ' ' &&
		    l->s[off] != ' ') {
			int	ww = tv_word_width(l, off);

			if (col + ww > tw && ww <= tw / 2) {
				row++;
				col = 0;
				if (TV_ROW_VISIBLE)
					wmove(w, TV_ROW_Y, prefix);
			}
		}
		if (col + cw > tw && col > 0) {
			row++;
			col = 0;
			if (TV_ROW_VISIBLE)
				wmove(w, TV_ROW_Y, prefix);
		}
		if (TV_ROW_VISIBLE) {
			a = base;
			if (l->fl[off] & TVF_ESCAPE)
				a = theme_attr(THEME_ESCAPE);
			if (l->fl[off] & TVF_MATCH)
				a = theme_attr(THEME_MATCH);
			wattrset(w, a);
			waddnstr(w, l->s + off, (int)n);
		}
		col += cw;
	}
	/* The explanation too when it fits on the row, else the latency. */
	ann = lat;
	if (strlen(expl) > latlen && col + 2 + (int)strlen(expl) <= tw)
		ann = expl;
	annlen = strlen(ann);
	if (annlen > 0) {
		if (col + 1 + (int)annlen > tw) {
			row++;
			col = 0;
		}
		if (TV_ROW_VISIBLE) {
			wattrset(w, theme_attr(THEME_LATENCY));
			mvwaddnstr(w, TV_ROW_Y,
			    prefix + (tw > (int)annlen ? tw - (int)annlen : 0),
			    ann, tw);
		}
	}
	if (draw)
		for (int k = 0; k <= row; k++)
			if (k >= skip && k - skip < max)
				drawn++;
	wattrset(w, A_NORMAL);
#undef TV_ROW_VISIBLE
#undef TV_ROW_Y
	return draw ? drawn : row + 1;
}

static int
tv_rows(struct transcript_view *tv, size_t i)
{
	return tv_layout(tv, i, false, 0, 0, 0);
}

/* Move P down N rows over visible records; returns the rows moved. */
static int
tv_down(struct transcript_view *tv, struct tv_pos *p, int n)
{
	size_t	next;
	int	moved = 0, rows;

	while (moved < n) {
		rows = tv_rows(tv, p->rec);
		if (p->row + 1 < rows) {
			p->row++;
			moved++;
			continue;
		}
		if ((next = tv_next_visible(tv, p->rec + 1)) == TV_NONE)
			break;
		p->rec = next;
		p->row = 0;
		moved++;
	}
	return moved;
}

/* Move P up N rows; returns the rows moved. */
static int
tv_up(struct transcript_view *tv, struct tv_pos *p, int n)
{
	size_t	prev;
	int	moved = 0;

	while (moved < n) {
		if (p->row > 0) {
			p->row--;
			moved++;
			continue;
		}
		if ((prev = tv_prev_visible(tv, p->rec)) == TV_NONE)
			break;
		p->rec = prev;
		p->row = tv_rows(tv, prev) - 1;
		moved++;
	}
	return moved;
}

static int
tv_cmp(struct tv_pos a, struct tv_pos b)
{
	if (a.rec != b.rec)
		return a.rec < b.rec ? -1 : 1;
	return a.row < b.row ? -1 : a.row > b.row;
}

/* The top position that shows the last row at the bottom. */
static struct tv_pos
tv_bottom(struct transcript_view *tv)
{
	struct tv_pos	p = { TV_NONE, 0 };
	size_t		last;

	if ((last = tv_prev_visible(tv, SIZE_MAX)) == TV_NONE)
		return p;
	p.rec = last;
	p.row = tv_rows(tv, last) - 1;
	tv_up(tv, &p, tv->v.lines - 1);
	return p;
}

/* The top of the screen now (follow mode computes it). */
static struct tv_pos
tv_top(struct transcript_view *tv)
{
	struct tv_pos	p;
	int		rows;

	if (tv->follow)
		return tv_bottom(tv);
	p = tv->top;
	if (p.rec == TV_NONE || !tv_visible(tv, p.rec)) {
		p.rec = tv_next_visible(tv, p.rec == TV_NONE ? 0 : p.rec);
		p.row = 0;
		if (p.rec == TV_NONE)
			return tv_bottom(tv);
	}
	rows = tv_rows(tv, p.rec);
	if (p.row >= rows)
		p.row = rows - 1;
	return p;
}

/* Set the top, clamped to the end; reaching the end rejoins follow mode. */
static void
tv_set_top(struct transcript_view *tv, struct tv_pos p)
{
	struct tv_pos	bottom = tv_bottom(tv);

	if (bottom.rec == TV_NONE || tv_cmp(p, bottom) >= 0) {
		tv->follow = true;
		tv->top = bottom;
	} else {
		tv->follow = false;
		tv->top = p;
	}
	view_dirty(&tv->v);
}

static void
tv_draw(struct view *v)
{
	struct transcript_view	*tv = (struct transcript_view *)v;
	struct tv_pos		 p;
	static const char	 more[] = " -- more below: End or G follows -- ";
	int			 y = 0;

	werase(v->win);
	p = tv_top(tv);
	if (!tv->follow)
		tv->top = p;
	while (y < v->lines && p.rec != TV_NONE) {
		y += tv_layout(tv, p.rec, true, p.row, y, v->lines - y);
		p.rec = tv_next_visible(tv, p.rec + 1);
		p.row = 0;
	}
	if (!tv->follow && tv_cmp(tv->top, tv_bottom(tv)) < 0) {
		wattrset(v->win, theme_attr(THEME_MORE));
		mvwhline(v->win, v->lines - 1, 0, ' ', v->cols);
		mvwaddnstr(v->win, v->lines - 1,
		    v->cols > (int)sizeof(more) ? (v->cols -
		    (int)sizeof(more)) / 2 : 0, more, v->cols);
		wattrset(v->win, A_NORMAL);
	}
	wnoutrefresh(v->win);
}

/* Public scrolling. */

void
transcript_view_scroll(struct transcript_view *tv, int rows)
{
	struct tv_pos	p = tv_top(tv);

	if (p.rec == TV_NONE)
		return;
	if (rows < 0) {
		tv_up(tv, &p, -rows);
		tv->follow = false;
		tv->top = p;
		if (tv_cmp(p, tv_bottom(tv)) >= 0)
			tv->follow = true;
		view_dirty(&tv->v);
	} else {
		tv_down(tv, &p, rows);
		tv_set_top(tv, p);
	}
}

void
transcript_view_page(struct transcript_view *tv, int pages)
{
	int	page = tv->v.lines > 2 ? tv->v.lines - 1 : 1;

	transcript_view_scroll(tv, pages * page);
}

void
transcript_view_home(struct transcript_view *tv)
{
	struct tv_pos	p = { tv_next_visible(tv, 0), 0 };

	if (p.rec == TV_NONE)
		return;
	tv_set_top(tv, p);
}

void
transcript_view_end(struct transcript_view *tv)
{
	tv->follow = true;
	view_dirty(&tv->v);
}

void
transcript_view_set_follow(struct transcript_view *tv, bool on)
{
	if (!on && tv->follow)
		tv->top = tv_bottom(tv);
	tv->follow = on;
	view_dirty(&tv->v);
}

bool
transcript_view_following(const struct transcript_view *tv)
{
	return tv->follow;
}

void
transcript_view_appended(struct transcript_view *tv)
{
	view_dirty(&tv->v);
}

/* Search. */

/* Is all of record I on the screen that starts at TOP? */
static bool
tv_on_screen(struct transcript_view *tv, struct tv_pos top, size_t i)
{
	int	y = 0, rows;
	size_t	k;

	if (top.rec == TV_NONE || i < top.rec)
		return false;
	for (k = top.rec; k != TV_NONE && y < tv->v.lines;
	    k = tv_next_visible(tv, k + 1)) {
		rows = tv_rows(tv, k) - (k == top.rec ? top.row : 0);
		if (k == i)
			return (k != top.rec || top.row == 0) &&
			    y + rows <= tv->v.lines - (tv->follow ? 0 : 1);
		y += rows;
	}
	return false;
}

/* Scroll so that record I shows, near the top when the screen must move. */
static void
tv_show(struct transcript_view *tv, size_t i)
{
	struct tv_pos	p = { i, 0 };

	tv->match = i;
	view_dirty(&tv->v);
	if (tv_on_screen(tv, tv_top(tv), i))
		return;
	tv_up(tv, &p, tv->v.lines > 6 ? 2 : 0);
	tv_set_top(tv, p);
}

/* Find a visible match from FROM in direction DIR, wrapping around. */
static enum transcript_view_found
tv_find(struct transcript_view *tv, size_t from, int dir)
{
	size_t	n = transcript_count(tv->t), i, k;

	if (tv->search.code == NULL)
		return TV_NO_PATTERN;
	if (n == 0)
		return TV_NOT_FOUND;
	if (from >= n)
		from = dir > 0 ? 0 : n - 1;
	for (k = 0; k < n; k++) {
		if (dir > 0)
			i = (from + k) % n;
		else
			i = (from + n - k) % n;
		if (!tv_visible(tv, i) || !tv_record_matches(tv, &tv->search,
		    i))
			continue;
		tv_show(tv, i);
		if ((dir > 0 && i < from) || (dir < 0 && i > from))
			return TV_WRAPPED;
		return TV_FOUND;
	}
	tv->match = TV_NONE;
	return TV_NOT_FOUND;
}

int
transcript_view_search(struct transcript_view *tv, const char *pattern,
    enum transcript_view_found *found, char **errstr)
{
	struct tv_pos	top;

	if (pattern == NULL || *pattern == '\0') {
		*found = transcript_view_search_next(tv, 1);
		return 0;
	}
	if (tv_regex_compile(&tv->search, pattern, errstr) == -1)
		return -1;
	top = tv_top(tv);
	*found = tv_find(tv, top.rec == TV_NONE ? 0 : top.rec, 1);
	view_dirty(&tv->v);
	return 0;
}

enum transcript_view_found
transcript_view_search_next(struct transcript_view *tv, int dir)
{
	struct tv_pos	top;
	size_t		n = transcript_count(tv->t), from;

	if (tv->search.code == NULL)
		return TV_NO_PATTERN;
	if (tv->match != TV_NONE && tv->match < n)
		from = dir > 0 ? tv->match + 1 : tv->match + n - 1;
	else {
		top = tv_top(tv);
		from = top.rec == TV_NONE ? 0 : top.rec;
	}
	return tv_find(tv, n == 0 ? 0 : from % n, dir);
}

const char *
transcript_view_search_pattern(const struct transcript_view *tv)
{
	return tv->search.pattern;
}

const char *
transcript_view_found_name(enum transcript_view_found f)
{
	if ((int)f < 0 || f >= TV_FOUND_LAST)
		return NULL;
	return tv_found_names[f];
}

/* Filter. */

int
transcript_view_filter(struct transcript_view *tv, const char *pattern,
    char **errstr)
{
	struct tv_pos	top = tv_top(tv);

	if (pattern == NULL || *pattern == '\0')
		tv_regex_clear(&tv->filter);
	else if (tv_regex_compile(&tv->filter, pattern, errstr) == -1)
		return -1;
	free(tv->cache);
	tv->cache = NULL;
	tv->ncache = 0;
	if (!tv->follow) {
		/* Stay near the same place. */
		tv->top.rec = top.rec == TV_NONE ? TV_NONE :
		    tv_next_visible(tv, top.rec);
		tv->top.row = 0;
		if (tv->top.rec == TV_NONE)
			tv->follow = true;
	}
	if (tv->match != TV_NONE && !tv_visible(tv, tv->match))
		tv->match = TV_NONE;
	view_dirty(&tv->v);
	return 0;
}

const char *
transcript_view_filter_pattern(const struct transcript_view *tv)
{
	return tv->filter.pattern;
}

const char *
transcript_view_take_notice(struct transcript_view *tv)
{
	const char	*s = tv->notice;

	tv->notice = NULL;
	return s;
}

/* Keys when the pane has the focus. */
static int
tv_key(struct view *v, int key)
{
	struct transcript_view	*tv = (struct transcript_view *)v;
	int			 half = v->lines > 2 ? v->lines / 2 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
	case 'y':
		transcript_view_scroll(tv, -1);
		break;
	case KEY_DOWN:
	case 'j':
	case 'e':
		transcript_view_scroll(tv, 1);
		break;
	case KEY_PPAGE:
	case 'b':
	case 0x02:	/* Ctrl-B */
		transcript_view_page(tv, -1);
		break;
	case KEY_NPAGE:
	case ' ':
	case 0x06:	/* Ctrl-F */
		transcript_view_page(tv, 1);
		break;
	case 0x15:	/* Ctrl-U */
		transcript_view_scroll(tv, -half);
		break;
	case 0x04:	/* Ctrl-D */
		transcript_view_scroll(tv, half);
		break;
	case KEY_HOME:
	case 'g':
	case '<':
		transcript_view_home(tv);
		break;
	case KEY_END:
	case 'G':
	case '>':
		transcript_view_end(tv);
		break;
	case 'f':
	case 'F':
		transcript_view_set_follow(tv, !tv->follow);
		tv->notice = tv->follow ? "follow on" : "follow off";
		break;
	case 'n':
		tv->notice = transcript_view_found_name(
		    transcript_view_search_next(tv, 1));
		break;
	case 'N':
		tv->notice = transcript_view_found_name(
		    transcript_view_search_next(tv, -1));
		break;
	case '/':
		return VIEW_KEY_SEARCH;
	case '&':
		return VIEW_KEY_FILTER;
	case VIEW_KEY_ESC:
	case 'i':
	case 'q':
	case '\r':
	case '\n':
	case KEY_ENTER:
	case '\t':
		return VIEW_KEY_FOCUS_COMMAND;
	default:
		return VIEW_KEY_IGNORED;
	}
	return VIEW_KEY_HANDLED;
}

static void
tv_free(struct view *v)
{
	struct transcript_view	*tv = (struct transcript_view *)v;

	tv_regex_clear(&tv->search);
	tv_regex_clear(&tv->filter);
	free(tv->cache);
	free(tv->line.s);
	free(tv->line.fl);
	free(tv);
}

struct transcript_view *
transcript_view_new(struct transcript *t)
{
	struct transcript_view	*tv;

	tv = tv_xrealloc(NULL, sizeof(*tv));
	memset(tv, 0, sizeof(*tv));
	tv->v.ops = &tv_ops;
	tv->v.dirty = true;
	tv->t = t;
	tv->follow = true;
	tv->top.rec = TV_NONE;
	tv->match = TV_NONE;
	return tv;
}

struct view *
transcript_view_view(struct transcript_view *tv)
{
	return &tv->v;
}
