/*
 * The transcript pane.  Positions are (record, wrapped row of that record);
 * row counts are computed when needed from the sanitised display text, so
 * the view holds no copy of the model and follows a resize for free.
 *
 * With notes (a replay's own messages) the records are numbered notes
 * first, then the transcript's: "virtual" indices, used by every position
 * the view keeps (top, match, filter cache); the replay cursor is kept in
 * the transcript's own indices.  When notes are appended, tv_sync() shifts
 * what the view keeps, so the screen stays put.
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

#include "replay.h"
#include "reply.h"
#include "sanitize.h"
#include "theme.h"
#include "transcript.h"
#include "transcript_view.h"
#include "view.h"

#define TV_TIME_WIDTH	7	/* "  0.004" */
#define TV_PREFIX	(TV_TIME_WIDTH + 1 + 3 + 1)	/* time marker text */
#define TV_MARGIN	2	/* a replay: the cursor's mark and a space */
#define TV_NONE		SIZE_MAX
#define TV_CONTEXT	2	/* rows kept above a step or a match shown */
#define TV_AHEAD	3	/* rows kept below a step shown */
#define TV_PIPELINE_MAX	64	/* steps looked back for a pipelined reply */

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

/* How a record relates to the replay cursor. */
enum tv_mark {
	TVM_PLAIN,		/* no cursor, a note, or played */
	TVM_NEXT,		/* the step that plays next */
	TVM_AFTER,		/* after it: dimmed */
};

struct transcript_view {
	struct view		 v;		/* first */
	struct transcript	*t;
	struct transcript	*notes;		/* drawn above, or NULL */
	size_t			 nnotes;	/* as far as tv_sync knows */
	/* The replay cursor: the step that plays next, its records. */
	const struct replay	*rp;		/* NULL: none */
	bool			 cur_on;	/* rp != NULL */
	size_t			 step;
	size_t			 cur_first, cur_end;	/* of t */
	bool			 cur_follow;	/* keep the step shown */
	bool			 reveal;	/* show it at the next draw */
	int			 drawn_lines, drawn_cols;
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
static void	 tv_reveal(struct transcript_view *);
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

/* Records: the notes, then the transcript's (virtual indices). */

static size_t
tv_count(const struct transcript_view *tv)
{
	return tv->nnotes + transcript_count(tv->t);
}

static const struct transcript_record *
tv_get(const struct transcript_view *tv, size_t i)
{
	if (i < tv->nnotes)
		return transcript_get(tv->notes, i);
	return transcript_get(tv->t, i - tv->nnotes);
}

/*
 * Notes were appended: what the view keeps in virtual indices moves down
 * with the transcript's records (a note is rare: the filter cache is
 * shifted, not recomputed).
 */
static void
tv_sync(struct transcript_view *tv)
{
	size_t	n = tv->notes != NULL ? transcript_count(tv->notes) : 0;
	size_t	old = tv->nnotes, k;

	if (n == old)
		return;
	if (n < old) {
		/* Notes never go away; be safe anyway. */
		tv->nnotes = n;
		tv->top.rec = TV_NONE;
		tv->top.row = 0;
		tv->match = TV_NONE;
		free(tv->cache);
		tv->cache = NULL;
		tv->ncache = 0;
		view_dirty(&tv->v);
		return;
	}
	k = n - old;
	tv->nnotes = n;
	tv->reveal = true;
	if (tv->top.rec != TV_NONE && tv->top.rec >= old)
		tv->top.rec += k;
	if (tv->match != TV_NONE && tv->match >= old)
		tv->match += k;
	if (tv->ncache > old) {
		tv->cache = tv_xrealloc(tv->cache, tv->ncache + k);
		memmove(tv->cache + old + k, tv->cache + old,
		    tv->ncache - old);
		memset(tv->cache + old, TVC_UNKNOWN, k);
		tv->ncache += k;
	}
	view_dirty(&tv->v);
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
	if ((r = tv_get(tv, i)) == NULL)
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

/* Is every byte printable ASCII (its display text is itself)? */
static bool
tv_plain(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/*
 * Does the display text of record I match?  A line of printable ASCII is
 * matched as it is (the sanitiser would copy it): most lines of a big
 * capture, searched without building anything.
 */
static bool
tv_record_matches(struct transcript_view *tv, struct tv_regex *re, size_t i)
{
	const struct transcript_record	*r;
	size_t				 ms, me;

	if ((r = tv_get(tv, i)) == NULL)
		return false;
	if (r->len > 0 && tv_plain(r->bytes, r->len))
		return tv_regex_match(re, r->bytes, r->len, 0, &ms, &me);
	if (tv_build(tv, i) == NULL)
		return false;
	return tv_regex_match(re, tv->line.s, tv->line.len, 0, &ms, &me);
}

/* Filtering. */

static bool
tv_visible(struct transcript_view *tv, size_t i)
{
	size_t	n;

	if (i >= tv_count(tv))
		return false;
	if (tv->filter.code == NULL)
		return true;
	if (i >= tv->ncache) {
		n = tv_count(tv) + 256;
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
	size_t	n = tv_count(tv);

	for (; i < n; i++)
		if (tv_visible(tv, i))
			return i;
	return TV_NONE;
}

/* The last visible record before I, or TV_NONE. */
static size_t
tv_prev_visible(struct transcript_view *tv, size_t i)
{
	size_t	n = tv_count(tv);

	if (i > n)
		i = n;
	while (i-- > 0)
		if (tv_visible(tv, i))
			return i;
	return TV_NONE;
}

/* Layout and drawing. */

/* The columns before the text: a margin (replay), time and marker. */
static int
tv_prefix(const struct transcript_view *tv)
{
	int	margin = tv->cur_on ? TV_MARGIN : 0;

	return tv->v.cols > 2 * (TV_PREFIX + margin) ? TV_PREFIX + margin : 0;
}

/*
 * The step record R (of the transcript) belongs to: replay_step_of() (a
 * binary search: the last step that starts at or before R), or, for a
 * reply to pipelined commands, the earlier step whose reply it is (a few
 * steps back at most: those whose records reach past R).
 */
static size_t
tv_step_of(const struct transcript_view *tv, size_t r)
{
	const struct replay_step	*st;
	size_t				 s, k;
	int				 i;

	if ((s = replay_step_of(tv->rp, r)) == REPLAY_NONE)
		return REPLAY_NONE;
	if ((st = replay_get(tv->rp, s)) == NULL || st->rec == r)
		return s;
	for (k = s, i = 0; i < TV_PIPELINE_MAX; k--, i++) {
		if ((st = replay_get(tv->rp, k)) == NULL || st->end <= r)
			break;
		if (st->reply != REPLAY_NONE && st->reply <= r &&
		    r <= st->reply_last)
			return k;
		if (k == 0)
			break;
	}
	return s;
}

/*
 * Record I (virtual) and the replay cursor: the step it belongs to before,
 * at or after the one that plays next.  A record of no step (before the
 * first) goes with what was played.
 */
static enum tv_mark
tv_mark_of(const struct transcript_view *tv, size_t i)
{
	size_t	s;

	if (!tv->cur_on || i < tv->nnotes ||
	    tv->step >= replay_count(tv->rp))
		return TVM_PLAIN;
	if ((s = tv_step_of(tv, i - tv->nnotes)) == REPLAY_NONE ||
	    s < tv->step)
		return TVM_PLAIN;
	return s == tv->step ? TVM_NEXT : TVM_AFTER;
}

/* What the mark adds to every attribute of a record. */
static attr_t
tv_mark_attr(enum tv_mark m)
{
	switch (m) {
	case TVM_NEXT:
		return A_REVERSE | A_BOLD;
	case TVM_AFTER:
		return A_DIM;
	default:
		return A_NORMAL;
	}
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
 * Start screen row Y for a record: a row of the step that plays next is
 * reverse video from edge to edge.
 */
static void
tv_row_start(struct transcript_view *tv, int y, int prefix, enum tv_mark m)
{
	if (m == TVM_NEXT)
		mvwhline(tv->v.win, y, 0, ' ' | tv_mark_attr(m), tv->v.cols);
	wmove(tv->v.win, y, prefix);
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
	attr_t				 base, a, extra;
	const char			*ann;
	enum tv_mark			 mark;
	size_t				 off, n, latlen, annlen;
	int				 prefix, margin, tw, row = 0, col = 0;
	int				 cw, drawn = 0;

	if ((r = tv_build(tv, i)) == NULL)
		return 0;
	if (draw && tv->search.code != NULL)
		tv_mark_matches(tv);
	prefix = tv_prefix(tv);
	margin = prefix > 0 && tv->cur_on ? TV_MARGIN : 0;
	tw = tv->v.cols - prefix;
	if (tw < 1)
		tw = 1;
	tv_latency(r, lat, sizeof(lat), expl, sizeof(expl));
	latlen = strlen(lat);
	mark = draw ? tv_mark_of(tv, i) : TVM_PLAIN;
	extra = tv_mark_attr(mark);
	base = theme_attr(tv_element(r)) | extra;

#define TV_ROW_VISIBLE	(draw && row >= skip && row - skip < max)
#define TV_ROW_Y	(y + row - skip)
	if (TV_ROW_VISIBLE)
		tv_row_start(tv, TV_ROW_Y, prefix, mark);
	if (TV_ROW_VISIBLE && prefix > 0) {
		double	secs = (double)r->t_us / 1e6;

		if (mark == TVM_NEXT) {
			wattrset(w, extra);
			mvwaddstr(w, TV_ROW_Y, 0, MB_CUR_MAX > 1 ? "\u25b6" :
			    ">");
		}
		snprintf(tbuf, sizeof(tbuf), "%7.3f", secs);
		if (strlen(tbuf) > TV_TIME_WIDTH)
			snprintf(tbuf, sizeof(tbuf), "%7.0f", secs);
		wattrset(w, mark == TVM_NEXT ? extra :
		    theme_attr(THEME_TIME) | extra);
		mvwaddnstr(w, TV_ROW_Y, margin, tbuf, TV_TIME_WIDTH);
		wattrset(w, base | (mark == TVM_AFTER ? 0 : A_BOLD));
		mvwaddstr(w, TV_ROW_Y, margin + TV_TIME_WIDTH + 1,
		    transcript_marker(r->kind, r->flags));
		wmove(w, TV_ROW_Y, prefix);
	}
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
					tv_row_start(tv, TV_ROW_Y, prefix,
					    mark);
			}
		}
		if (col + cw > tw && col > 0) {
			row++;
			col = 0;
			if (TV_ROW_VISIBLE)
				tv_row_start(tv, TV_ROW_Y, prefix, mark);
		}
		if (TV_ROW_VISIBLE) {
			a = base;
			if (l->fl[off] & TVF_ESCAPE)
				a = theme_attr(THEME_ESCAPE) | extra;
			if (l->fl[off] & TVF_MATCH)
				a = theme_attr(THEME_MATCH) | extra;
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
			if (TV_ROW_VISIBLE)
				tv_row_start(tv, TV_ROW_Y, prefix, mark);
		}
		if (TV_ROW_VISIBLE) {
			wattrset(w, mark == TVM_NEXT ? extra :
			    theme_attr(THEME_LATENCY) | extra);
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

	tv_sync(tv);
	/*
	 * A resize, a filter or notes may have moved the step: show it
	 * again (only then: with a filter that hides it, finding what to
	 * show may walk far).
	 */
	if (v->lines != tv->drawn_lines || v->cols != tv->drawn_cols)
		tv->reveal = true;
	tv->drawn_lines = v->lines;
	tv->drawn_cols = v->cols;
	if (tv->cur_on && tv->cur_follow && tv->reveal)
		tv_reveal(tv);
	tv->reveal = false;
	werase(v->win);
	p = tv_top(tv);
	if (!tv->follow)
		tv->top = p;
	while (y < v->lines && p.rec != TV_NONE) {
		y += tv_layout(tv, p.rec, true, p.row, y, v->lines - y);
		p.rec = tv_next_visible(tv, p.rec + 1);
		p.row = 0;
	}
	/* A replay has its cursor and the status bar instead. */
	if (!tv->follow && !tv->cur_on && tv_cmp(tv->top, tv_bottom(tv)) < 0) {
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
	struct tv_pos	p;

	tv_sync(tv);
	/* The person looks elsewhere: the step no longer pulls the view. */
	tv->cur_follow = false;
	p = tv_top(tv);
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
	struct tv_pos	p;

	tv_sync(tv);
	tv->cur_follow = false;
	p.rec = tv_next_visible(tv, 0);
	p.row = 0;
	if (p.rec == TV_NONE)
		return;
	tv_set_top(tv, p);
}

void
transcript_view_end(struct transcript_view *tv)
{
	tv->cur_follow = false;
	tv->follow = true;
	view_dirty(&tv->v);
}

void
transcript_view_set_follow(struct transcript_view *tv, bool on)
{
	tv_sync(tv);
	if (tv->cur_on) {
		/* Follow the step, not the end. */
		tv->cur_follow = on;
		if (on)
			tv_reveal(tv);
		view_dirty(&tv->v);
		return;
	}
	if (!on && tv->follow)
		tv->top = tv_bottom(tv);
	tv->follow = on;
	view_dirty(&tv->v);
}

bool
transcript_view_following(const struct transcript_view *tv)
{
	return tv->cur_on ? tv->cur_follow : tv->follow;
}

void
transcript_view_appended(struct transcript_view *tv)
{
	tv_sync(tv);
	view_dirty(&tv->v);
}

void
transcript_view_set_notes(struct transcript_view *tv, struct transcript *notes)
{
	tv->notes = notes;
	tv->nnotes = 0;
	tv->top.rec = TV_NONE;
	tv->top.row = 0;
	tv->match = TV_NONE;
	free(tv->cache);
	tv->cache = NULL;
	tv->ncache = 0;
	tv_sync(tv);
	view_dirty(&tv->v);
}

/* Search. */

/* The rows the text may use: the "more below" line takes the last. */
static int
tv_usable(const struct transcript_view *tv)
{
	return tv->v.lines - (tv->follow || tv->cur_on ? 0 : 1);
}

/*
 * Are all of the visible records FIRST..LAST (virtual, both visible) on
 * the screen that starts at TOP?  O(screen).
 */
static bool
tv_range_on_screen(struct transcript_view *tv, struct tv_pos top,
    size_t first, size_t last)
{
	int	y = 0, avail = tv_usable(tv);
	size_t	k;

	if (top.rec == TV_NONE || first < top.rec ||
	    (first == top.rec && top.row > 0))
		return false;
	for (k = top.rec; k != TV_NONE && y < avail;
	    k = tv_next_visible(tv, k + 1)) {
		y += tv_rows(tv, k) - (k == top.rec ? top.row : 0);
		if (k == last)
			return y <= avail;
		if (k > last)
			break;
	}
	return false;
}

/* Is all of record I on the screen that starts at TOP? */
static bool
tv_on_screen(struct transcript_view *tv, struct tv_pos top, size_t i)
{
	return tv_range_on_screen(tv, top, i, i);
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
	/* Elsewhere than the replay's step: stay there. */
	tv->cur_follow = false;
	tv_up(tv, &p, tv->v.lines > 6 ? TV_CONTEXT : 0);
	tv_set_top(tv, p);
}

/* The first visible record in [FROM, TO) (virtual), or TV_NONE. */
static size_t
tv_first_visible_in(struct transcript_view *tv, size_t from, size_t to)
{
	for (; from < to; from++)
		if (tv_visible(tv, from))
			return from;
	return TV_NONE;
}

/*
 * Scroll as little as possible so that the replay's step shows: with
 * TV_CONTEXT rows above it when it is above the screen, with TV_AHEAD
 * rows of what follows when it is below; its start when it is taller than
 * the screen.  Everything played: the end.  A step the filter hides
 * entirely: the first record shown after it.
 */
static void
tv_reveal(struct transcript_view *tv)
{
	struct tv_pos	top, p, start;
	size_t		n = transcript_count(tv->t), a, b, first, last, k;
	int		ctx = tv->v.lines > 6 ? TV_CONTEXT : 0;
	int		ahead = tv->v.lines > 10 ? TV_AHEAD : 0;

	if (!tv->cur_on)
		return;
	if (tv->cur_first >= n) {
		if (!tv->follow) {
			tv->follow = true;
			view_dirty(&tv->v);
		}
		return;
	}
	a = tv->nnotes + tv->cur_first;
	b = tv->nnotes + (tv->cur_end > n ? n : tv->cur_end);
	if ((first = tv_first_visible_in(tv, a, b)) == TV_NONE) {
		if ((first = tv_next_visible(tv, b)) == TV_NONE)
			return;
		last = first;
	} else {
		/* The last visible record of the step (steps are short). */
		last = first;
		for (k = first + 1; k < b; k++)
			if (tv_visible(tv, k))
				last = k;
	}
	top = tv_top(tv);
	if (tv_range_on_screen(tv, top, first, last))
		return;
	start.rec = first;
	start.row = 0;
	if (top.rec == TV_NONE || tv_cmp(start, top) < 0) {
		/* Above: its start near the top. */
		p = start;
		tv_up(tv, &p, ctx);
		tv_set_top(tv, p);
		return;
	}
	/* Below: its end (and a little of what follows) at the bottom. */
	p.rec = last;
	p.row = tv_rows(tv, last) - 1;
	tv_down(tv, &p, ahead);
	tv_up(tv, &p, tv->v.lines - 1);
	if (tv_cmp(p, start) > 0)
		p = start;	/* taller than the screen */
	tv_set_top(tv, p);
}

void
transcript_view_set_replay(struct transcript_view *tv,
    const struct replay *rp)
{
	tv_sync(tv);
	tv->rp = rp;
	tv->cur_on = rp != NULL;
	tv->cur_follow = tv->cur_on;
	if (tv->cur_on && tv->follow) {
		/* From the top (the notes), down to the step if need be. */
		tv->top.rec = tv_next_visible(tv, 0);
		tv->top.row = 0;
		tv->follow = tv->top.rec == TV_NONE;
	}
	transcript_view_set_step(tv, 0, true);
}

void
transcript_view_set_step(struct transcript_view *tv, size_t step, bool show)
{
	const struct replay_step	*st;
	size_t				 n = transcript_count(tv->t);

	tv_sync(tv);
	view_dirty(&tv->v);
	if (!tv->cur_on)
		return;
	tv->step = step;
	if ((st = replay_get(tv->rp, step)) != NULL) {
		tv->cur_first = st->rec;
		tv->cur_end = st->end > st->rec ? st->end : st->rec + 1;
	} else
		tv->cur_first = tv->cur_end = n;	/* all played */
	if (show)
		tv->cur_follow = true;
	if (tv->cur_follow)
		tv_reveal(tv);
}

size_t
transcript_view_record_here(struct transcript_view *tv)
{
	struct tv_pos	top;
	size_t		k;
	int		y;

	tv_sync(tv);
	top = tv_top(tv);
	if (tv->match != TV_NONE && tv->match >= tv->nnotes &&
	    tv_on_screen(tv, top, tv->match))
		return tv->match - tv->nnotes;
	if (top.rec == TV_NONE)
		return SIZE_MAX;
	if (top.rec >= tv->nnotes)
		return top.rec - tv->nnotes;
	/* Notes at the top: the first record after them, if on the screen. */
	y = tv_rows(tv, top.rec) - top.row;
	for (k = tv_next_visible(tv, top.rec + 1); k != TV_NONE &&
	    y < tv_usable(tv); k = tv_next_visible(tv, k + 1)) {
		if (k >= tv->nnotes)
			return k - tv->nnotes;
		y += tv_rows(tv, k);
	}
	return SIZE_MAX;
}

/* Find a visible match from FROM in direction DIR, wrapping around. */
static enum transcript_view_found
tv_find(struct transcript_view *tv, size_t from, int dir)
{
	size_t	n = tv_count(tv), i, k;

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

	tv_sync(tv);
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
	size_t		n, from;

	tv_sync(tv);
	n = tv_count(tv);
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
	struct tv_pos	top;

	tv_sync(tv);
	top = tv_top(tv);
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
	tv->reveal = true;
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
		transcript_view_set_follow(tv, !transcript_view_following(tv));
		if (tv->cur_on)
			tv->notice = tv->cur_follow ? "following the step" :
			    "follow off";
		else
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
