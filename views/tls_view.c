/*
 * The TLS inspector pane.  Each draw builds a small document from the
 * model (lines of sanitised display text, an attribute per byte), lays it
 * out for the pane's width (long lines wrap at spaces, or after ',' and
 * ':' in long values, with a hanging indent) and draws the rows from the
 * scroll position.  The view holds no copy of the model between draws.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include <curses.h>

#include "client.h"
#include "sanitize.h"
#include "session.h"
#include "theme.h"
#include "tls.h"
#include "tls_view.h"
#include "view.h"
#include "xmalloc.h"

#define TLV_LABEL	16	/* "  ext key usage ": the label column */
#define TLV_NONE	SIZE_MAX

/* One line of the document: display text and an attribute per byte. */
struct tlv_line {
	char	*s;
	attr_t	*a;
	size_t	 len, cap;
	int	 indent;	/* columns of the rows it wraps into */
	bool	 selected;	/* the selected certificate's list line */
};

struct tls_view {
	struct view	 v;		/* first */
	struct client	*client;
	size_t		 sel;		/* the selected certificate */
	int		 top;		/* the first document row shown */
	int		 rows;		/* document rows at the last draw */
	int		 sel_row;	/* the selected line's row, or -1 */
	bool		 show_sel;	/* scroll the selection into view */
	bool		 border;	/* a vertical line on the left */
	bool		 focus;
	bool		 have_ev;	/* a SEV_T_TLS event came */
	enum session_tls last_ev;
	const char	*notice;
	char		*message;	/* on top until the next key */
	bool		 message_error;
	struct tlv_line	*lines;
	size_t		 n, cap;
};

static void	tlv_draw(struct view *);
static int	tlv_key(struct view *, int);
static void	tlv_free(struct view *);

static const struct view_ops tlv_ops = {
	.name = "tls",
	.draw = tlv_draw,
	.key = tlv_key,
	.resize = NULL,
	.free = tlv_free,
};

/* The document. */

static void
tlv_clear(struct tls_view *tv)
{
	size_t	i;

	for (i = 0; i < tv->n; i++) {
		free(tv->lines[i].s);
		free(tv->lines[i].a);
	}
	tv->n = 0;
}

/* Start a new line whose continuation rows are indented INDENT columns. */
static struct tlv_line *
tlv_line(struct tls_view *tv, int indent)
{
	struct tlv_line	*l;

	if (tv->n == tv->cap) {
		tv->cap = tv->cap == 0 ? 32 : tv->cap * 2;
		tv->lines = xrealloc(tv->lines, tv->cap * sizeof(*tv->lines));
	}
	l = &tv->lines[tv->n++];
	memset(l, 0, sizeof(*l));
	l->indent = indent;
	return l;
}

/* The line being built (one is started when there is none). */
static struct tlv_line *
tlv_cur(struct tls_view *tv)
{
	return tv->n > 0 ? &tv->lines[tv->n - 1] : tlv_line(tv, 0);
}

static void
tlv_add(struct tlv_line *l, const char *s, size_t n, attr_t attr)
{
	size_t	i;

	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->s = xrealloc(l->s, l->cap);
		l->a = xrealloc(l->a, l->cap * sizeof(*l->a));
	}
	memcpy(l->s + l->len, s, n);
	for (i = 0; i < n; i++)
		l->a[l->len + i] = attr;
	l->len += n;
	l->s[l->len] = '\0';
}

/*
 * Append S to the current line with ATTR, through the sanitiser: its
 * stand-ins for what may not reach the terminal are highlighted.  Every
 * string goes this way, ours and the certificate's alike.
 */
static void
tlv_put(struct tls_view *tv, attr_t attr, const char *s)
{
	struct tlv_line		*l = tlv_cur(tv);
	struct sanitize_piece	 p;
	size_t			 off, len;

	if (s == NULL)
		return;
	len = strlen(s);
	for (off = 0; off < len; off += p.consumed) {
		sanitize_next(s + off, len - off, &p);
		tlv_add(l, p.s, p.len, p.kind == SANITIZE_ESCAPE ?
		    theme_attr(THEME_ESCAPE) : attr);
	}
}

static void
tlv_putf(struct tls_view *tv, attr_t attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
tlv_putf(struct tls_view *tv, attr_t attr, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tlv_put(tv, attr, buf);
}

/* A "  label         value" line; the value wraps under itself. */
static void
tlv_field(struct tls_view *tv, const char *label, attr_t attr,
    const char *value)
{
	tlv_line(tv, TLV_LABEL);
	tlv_putf(tv, theme_attr(THEME_NORMAL), "  %-*s", TLV_LABEL - 2,
	    label);
	tlv_put(tv, attr, value != NULL && value[0] != '\0' ? value : "-");
}

/* A field whose value is a list: "a, b, c" ("-" when empty). */
static void
tlv_field_list(struct tls_view *tv, const char *label, char **v, size_t n)
{
	attr_t	norm = theme_attr(THEME_NORMAL);
	size_t	i;

	tlv_field(tv, label, norm, n == 0 ? "-" : v[0]);
	for (i = 1; i < n; i++) {
		tlv_put(tv, norm, ", ");
		tlv_put(tv, norm, v[i]);
	}
}

/* Helpers for the model. */

char *
tls_view_subject_cn(const char *subject)
{
	const char	*p;
	char		*out;
	size_t		 n = 0;

	if (subject == NULL)
		return xstrdup("");
	for (p = subject; *p != '\0'; p++) {
		/* An RDN starts the string, or follows an unescaped , or +. */
		if (p != subject && p[-1] != ',' && p[-1] != '+')
			continue;
		if (p != subject && p - 2 >= subject && p[-2] == '\\')
			continue;
		if ((p[0] == 'C' || p[0] == 'c') && (p[1] == 'N' ||
		    p[1] == 'n') && p[2] == '=')
			break;
	}
	if (*p == '\0')
		return xstrdup(subject);
	out = xmalloc(strlen(p) + 1);
	for (p += 3; *p != '\0' && *p != ',' && *p != '+'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}

void
tls_view_pem_name(const struct tls_info *info, const char *host, char *buf,
    size_t size)
{
	const char	*name = NULL;
	char		 clean[128];
	size_t		 i, n = 0;

	if (info != NULL && info->name != NULL && info->name[0] != '\0')
		name = info->name;
	else if (host != NULL && host[0] != '\0')
		name = host;
	if (name == NULL)
		name = "server";
	for (i = 0; name[i] != '\0' && n + 1 < sizeof(clean); i++) {
		char	c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')
			clean[n++] = c;
		else
			clean[n++] = '_';
	}
	clean[n] = '\0';
	snprintf(buf, size, "chain-%s.pem", clean);
}

/* "2026-11-30 22:00:00 UTC" */
static void
tlv_time(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

/* The problem names of BITS, ", " between them, with ATTR. */
static void
tlv_problem_names(struct tls_view *tv, attr_t attr, unsigned bits)
{
	const char	*name;
	unsigned	 i;
	bool		 first = true;

	for (i = 0; i < TLS_P_NBITS; i++) {
		if (!(bits & (1u << i)) ||
		    (name = tls_problem_name(1u << i)) == NULL)
			continue;
		tlv_putf(tv, attr, "%s%s", first ? "" : ", ", name);
		first = false;
	}
}

/* What a certificate is in the chain. */
static const char *
tlv_role(const struct tls_info *info, size_t i)
{
	const struct tls_cert	*c = &info->chain[i];

	if (i == 0)
		return "leaf";
	if (c->self_issued)
		return "root";
	return c->is_ca ? "intermediate" : "not a CA";
}

/* Building. */

/* No TLS session to show: say why, and how to get one. */
static void
tlv_build_none(struct tls_view *tv)
{
	attr_t	norm = theme_attr(THEME_NORMAL);

	tlv_line(tv, 0);
	if (tv->have_ev && tv->last_ev == TLS_WANTED &&
	    client_state(tv->client) == CLIENT_CONNECTED) {
		tlv_put(tv, theme_attr(THEME_TLS_HEADING),
		    "TLS handshake under way...");
		return;
	}
	if (tv->have_ev && (tv->last_ev == TLS_FAILED ||
	    tv->last_ev == TLS_MISSING)) {
		tlv_put(tv, theme_attr(THEME_TLS_BAD), tv->last_ev ==
		    TLS_FAILED ? "the TLS handshake failed" :
		    "no verified TLS (--require-tls)");
		tlv_put(tv, norm, ": the transcript says why.");
		tlv_line(tv, 0);
	}
	if (client_state(tv->client) != CLIENT_CONNECTED) {
		tlv_put(tv, norm, "not connected.");
		tlv_line(tv, 0);
	}
	tlv_line(tv, 2);
	tlv_put(tv, norm, "no TLS yet: type STARTTLS or :starttls after "
	    "EHLO, or connect with --tls");
}

/* The verdict, its problem names and reasons. */
static void
tlv_build_verdict(struct tls_view *tv, const struct tls_info *info)
{
	attr_t	norm = theme_attr(THEME_NORMAL);
	attr_t	bad = theme_attr(THEME_TLS_BAD);
	size_t	i;

	tlv_line(tv, 2);
	if (info->verified) {
		tlv_put(tv, theme_attr(THEME_TLS_OK), "VERIFIED");
		tlv_put(tv, norm, " for ");
		tlv_put(tv, norm, info->name);
	} else {
		tlv_put(tv, bad, "NOT VERIFIED");
		tlv_put(tv, norm, " for ");
		tlv_put(tv, norm, info->name);
		if (info->problems != 0) {
			tlv_put(tv, norm, ": ");
			tlv_problem_names(tv, bad, info->problems);
		}
	}
	for (i = 0; i < info->nreasons; i++) {
		tlv_line(tv, 4);
		tlv_put(tv, norm, "  - ");
		tlv_put(tv, norm, info->reasons[i]);
	}
}

/* The session: version, cipher, group, resumed; SNI and OCSP. */
static void
tlv_build_session(struct tls_view *tv, const struct tls_info *info)
{
	attr_t		 norm = theme_attr(THEME_NORMAL);
	const char	*kx;

	tlv_field(tv, "session", norm, info->version);
	tlv_put(tv, norm, "  ");
	tlv_put(tv, norm, info->cipher);
	if (info->mac != NULL && info->mac[0] != '\0' &&
	    strcmp(info->mac, "AEAD") != 0) {
		tlv_put(tv, norm, " ");
		tlv_put(tv, norm, info->mac);
	}
	kx = info->group != NULL && info->group[0] != '\0' ? info->group :
	    info->kx;
	if (kx != NULL && kx[0] != '\0') {
		tlv_put(tv, norm, "  ");
		tlv_put(tv, norm, kx);
	}
	tlv_put(tv, norm, info->resumed ? "  resumed" : "  new session");
	if (client_state(tv->client) != CLIENT_CONNECTED)
		tlv_put(tv, norm, "  (connection closed)");
	tlv_field(tv, "SNI", norm, info->sni != NULL ? info->sni :
	    "none sent");
	tlv_put(tv, norm, "   OCSP ");
	tlv_put(tv, norm, info->ocsp != NULL ? info->ocsp : "-");
}

/* The chain as a list: one line a certificate. */
static void
tlv_build_chain(struct tls_view *tv, const struct tls_info *info)
{
	const struct tls_cert	*c;
	attr_t			 norm = theme_attr(THEME_NORMAL);
	char			*cn;
	size_t			 i;

	tlv_line(tv, 0);
	tlv_line(tv, 0);
	if (info->nchain == 0) {
		tlv_put(tv, theme_attr(THEME_TLS_BAD),
		    "the server sent no certificate");
		return;
	}
	tlv_putf(tv, theme_attr(THEME_TLS_HEADING), "chain of %zu, as sent",
	    info->nchain);
	tlv_put(tv, norm, info->nchain > 1 ? " (Up/Down select)" : "");
	for (i = 0; i < info->nchain; i++) {
		c = &info->chain[i];
		tlv_line(tv, 7)->selected = i == tv->sel;
		tlv_putf(tv, norm, "%s%2zu  ", i == tv->sel ? ">" : " ", i);
		cn = tls_view_subject_cn(c->subject);
		tlv_put(tv, norm | A_BOLD, cn);
		free(cn);
		if (c->days_left >= 0)
			tlv_putf(tv, norm, "  %ldd left", c->days_left);
		else
			tlv_putf(tv, norm, "  ended %ldd ago", -c->days_left);
		if (c->is_ca)
			tlv_put(tv, norm, "  CA");
		if (c->problems != 0) {
			tlv_put(tv, norm, "  ");
			tlv_problem_names(tv, theme_attr(THEME_TLS_BAD),
			    c->problems);
		}
	}
}

/* The fields of certificate I. */
static void
tlv_build_cert(struct tls_view *tv, const struct tls_info *info, size_t i)
{
	const struct tls_cert	*c = &info->chain[i];
	attr_t			 norm = theme_attr(THEME_NORMAL);
	attr_t			 bad = theme_attr(THEME_TLS_BAD);
	char			 buf[128], when[64];
	unsigned		 b;
	bool			 first = true;

	tlv_line(tv, 0);
	tlv_line(tv, 0);
	tlv_putf(tv, theme_attr(THEME_TLS_HEADING), "certificate %zu (%s)",
	    i, tlv_role(info, i));
	tlv_field(tv, "subject", norm, c->subject);
	tlv_field(tv, "issuer", norm, c->issuer);
	tlv_field(tv, "serial", norm, c->serial);
	tlv_time(c->not_before, when, sizeof(when));
	tlv_field(tv, "not before", c->problems & TLS_P_NOT_YET_VALID ? bad :
	    norm, when);
	tlv_time(c->not_after, when, sizeof(when));
	tlv_field(tv, "not after", c->problems & TLS_P_EXPIRED ? bad : norm,
	    when);
	if (c->days_left >= 0)
		tlv_putf(tv, norm, " (%ld days left)", c->days_left);
	else
		tlv_putf(tv, bad, " (expired %ld days ago)", -c->days_left);
	tlv_field_list(tv, "SANs", c->san, c->nsan);
	if (c->key_bits > 0)
		snprintf(buf, sizeof(buf), ", %u bits", c->key_bits);
	else
		buf[0] = '\0';
	tlv_field(tv, "key", c->problems & TLS_P_WEAK_KEY ? bad : norm,
	    c->key_type);
	tlv_put(tv, c->problems & TLS_P_WEAK_KEY ? bad : norm, buf);
	tlv_field(tv, "signature", c->problems & TLS_P_INSECURE_ALGO ? bad :
	    norm, c->sig_alg);
	tlv_field(tv, "SHA-256", norm, c->sha256);
	tlv_field(tv, "pin-sha256", norm, c->pin_sha256);
	if (!c->is_ca)
		snprintf(buf, sizeof(buf), "no");
	else if (c->path_len < 0)
		snprintf(buf, sizeof(buf), "yes, no path length limit");
	else
		snprintf(buf, sizeof(buf), "yes, path length %d", c->path_len);
	tlv_field(tv, "CA", norm, buf);
	tlv_field_list(tv, "key usage", c->key_usage, c->nku);
	tlv_field_list(tv, "ext key usage", c->eku, c->neku);
	if (c->problems == 0) {
		tlv_field(tv, "problems", norm, "none");
		return;
	}
	for (b = 0; b < TLS_P_NBITS; b++) {
		if (!(c->problems & (1u << b)))
			continue;
		tlv_field(tv, first ? "problems" : "", bad,
		    tls_problem_name(1u << b));
		tlv_put(tv, norm, ": ");
		tlv_put(tv, norm, tls_problem_text(1u << b));
		first = false;
	}
}

/* The whole document for the model as it is now. */
static void
tlv_build(struct tls_view *tv)
{
	const struct tls_info	*info = client_tls_info(tv->client);

	tlv_clear(tv);
	if (tv->message != NULL) {
		tlv_line(tv, 2);
		tlv_put(tv, theme_attr(tv->message_error ? THEME_TLS_BAD :
		    THEME_TLS_HEADING), tv->message);
		tlv_line(tv, 0);
	}
	if (info == NULL) {
		tlv_build_none(tv);
		return;
	}
	if (info->nchain > 0 && tv->sel >= info->nchain)
		tv->sel = info->nchain - 1;
	tlv_build_verdict(tv, info);
	tlv_build_session(tv, info);
	tlv_build_chain(tv, info);
	if (info->nchain > 0)
		tlv_build_cert(tv, info, tv->sel);
}

/* Layout and drawing. */

/* The first column and the width of the text. */
static int
tlv_x0(const struct tls_view *tv)
{
	return tv->border ? 2 : 1;
}

static int
tlv_width(const struct tls_view *tv)
{
	int	w = tv->v.cols - tlv_x0(tv);

	return w < 1 ? 1 : w;
}

/* Rows of the body (below the title row). */
static int
tlv_body(const struct tls_view *tv)
{
	return tv->v.lines > 1 ? tv->v.lines - 1 : 1;
}

/*
 * Columns of the word at OFF: up to a space, or with PART up to just
 * after a ',' or ':' (where a word longer than a row may break).
 */
static int
tlv_word(const struct tlv_line *l, size_t off, bool part)
{
	size_t	n;
	int	w = 0, cw;

	for (; off < l->len && l->s[off] != ' '; off += n) {
		n = view_char(l->s + off, l->len - off, &cw);
		w += cw;
		if (part && (l->s[off] == ',' || l->s[off] == ':'))
			break;
	}
	return w;
}

/* Document row ROW is on the screen: its window row, or -1. */
static int
tlv_screen_row(const struct tls_view *tv, int row)
{
	if (row < tv->top || row - tv->top >= tlv_body(tv))
		return -1;
	return 1 + row - tv->top;
}

/* A selected row: the whole width in the selection's attribute. */
static void
tlv_fill(struct tls_view *tv, int row, bool selected)
{
	int	y = tlv_screen_row(tv, row);

	if (!selected || y < 0)
		return;
	wattrset(tv->v.win, theme_attr(THEME_SELECTED));
	mvwhline(tv->v.win, y, tlv_x0(tv) - 1, ' ', tlv_width(tv) + 1);
}

/*
 * Lay line L out from document row ROW0; with DRAW, draw the rows that
 * are on the screen.  Returns the rows it takes.
 */
static int
tlv_layout(struct tls_view *tv, const struct tlv_line *l, int row0,
    bool draw)
{
	attr_t	sel = l->selected ? theme_attr(THEME_SELECTED) : 0;
	size_t	off, n;
	int	width = tlv_width(tv), x0 = tlv_x0(tv), row = 0, col = 0;
	int	indent = l->indent < width / 2 ? l->indent : 0, cw, ww, y;
	bool	start, longword = false;

	if (draw)
		tlv_fill(tv, row0, l->selected);
	for (off = 0; off < l->len; off += n) {
		n = view_char(l->s + off, l->len - off, &cw);
		/*
		 * A word that does not fit starts the next row; one longer
		 * than a row (a DN, a fingerprint) breaks after a ',' or ':'.
		 */
		start = l->s[off] != ' ' && (off == 0 || l->s[off - 1] == ' ');
		if (start)
			longword = tlv_word(l, off, false) > width - indent;
		if (col > indent && l->s[off] != ' ' && (start || (longword &&
		    (l->s[off - 1] == ',' || l->s[off - 1] == ':')))) {
			ww = tlv_word(l, off, longword);
			if (col + ww > width) {
				row++;
				col = indent;
				if (draw)
					tlv_fill(tv, row0 + row, l->selected);
			}
		}
		if (col + cw > width && col > 0) {
			if (l->s[off] == ' ')
				continue;	/* at the edge: dropped */
			row++;
			col = indent;
			if (draw)
				tlv_fill(tv, row0 + row, l->selected);
		}
		if (draw && (y = tlv_screen_row(tv, row0 + row)) >= 0) {
			wattrset(tv->v.win, l->a[off] | sel);
			mvwaddnstr(tv->v.win, y, x0 + col, l->s + off, (int)n);
		}
		col += cw;
	}
	return row + 1;
}

static void
tlv_clamp(struct tls_view *tv)
{
	int	max = tv->rows - tlv_body(tv);

	if (tv->top > max)
		tv->top = max;
	if (tv->top < 0)
		tv->top = 0;
}

/* The title row: the pane's name and its keys, as many as fit. */
static void
tlv_title(struct tls_view *tv)
{
	static const char	*hints[] = {
		" Up/Down select  w write PEM  Esc back  F3 hide ",
		" w write PEM  F3 hide ",
		" F3 hide ",
		"",
	};
	const char		*title = " TLS inspector";
	attr_t			 a = theme_attr(THEME_TLS_TITLE);
	int			 x = tv->border ? 1 : 0, w = tv->v.cols - x;
	size_t			 i;

	if (tv->focus)
		a |= A_BOLD;
	wattrset(tv->v.win, a);
	mvwhline(tv->v.win, 0, x, ' ', w);
	mvwaddnstr(tv->v.win, 0, x, title, w);
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		int	hw = (int)strlen(hints[i]);

		if (hw + (int)strlen(title) + 1 <= w) {
			mvwaddstr(tv->v.win, 0, x + w - hw, hints[i]);
			break;
		}
	}
}

static void
tlv_draw(struct view *v)
{
	struct tls_view	*tv = (struct tls_view *)v;
	static const char more[] = " -- more below: PgDn -- ";
	size_t		 i;
	int		 row, body = tlv_body(tv);

	werase(v->win);
	if (tv->border) {
		wattrset(v->win, theme_attr(THEME_NORMAL));
		mvwvline(v->win, 0, 0, ACS_VLINE, v->lines);
	}
	tlv_title(tv);
	tlv_build(tv);

	/* Count the rows, find the selection, then scroll. */
	tv->sel_row = -1;
	for (i = 0, row = 0; i < tv->n; i++) {
		if (tv->lines[i].selected)
			tv->sel_row = row;
		row += tlv_layout(tv, &tv->lines[i], row, false);
	}
	tv->rows = row;
	if (tv->show_sel && tv->sel_row >= 0) {
		if (tv->sel_row < tv->top)
			tv->top = tv->sel_row;
		else if (tv->sel_row >= tv->top + body)
			tv->top = tv->sel_row - body + 1;
	}
	tv->show_sel = false;
	tlv_clamp(tv);

	for (i = 0, row = 0; i < tv->n && row < tv->top + body; i++)
		row += tlv_layout(tv, &tv->lines[i], row, true);
	if (tv->top + body < tv->rows && v->lines > 2) {
		wattrset(v->win, theme_attr(THEME_MORE));
		mvwhline(v->win, v->lines - 1, tlv_x0(tv) - 1, ' ',
		    tlv_width(tv) + 1);
		mvwaddnstr(v->win, v->lines - 1, tlv_x0(tv) - 1 +
		    (tlv_width(tv) > (int)sizeof(more) ? (tlv_width(tv) -
		    (int)sizeof(more)) / 2 : 0), more, tlv_width(tv));
	}
	wattrset(v->win, A_NORMAL);
	wnoutrefresh(v->win);
}

/* Public. */

void
tls_view_scroll(struct tls_view *tv, int rows)
{
	tv->top += rows;
	tlv_clamp(tv);
	view_dirty(&tv->v);
}

void
tls_view_page(struct tls_view *tv, int pages)
{
	int	page = tlv_body(tv) > 2 ? tlv_body(tv) - 1 : 1;

	tls_view_scroll(tv, pages * page);
}

size_t
tls_view_selected(const struct tls_view *tv)
{
	return tv->sel;
}

void
tls_view_tls_event(struct tls_view *tv, enum session_tls ev)
{
	tv->have_ev = true;
	tv->last_ev = ev;
	if (ev == TLS_UP) {
		tv->sel = 0;
		tv->top = 0;
	}
	view_dirty(&tv->v);
}

void
tls_view_reset(struct tls_view *tv)
{
	if (client_tls_info(tv->client) == NULL) {
		tv->sel = 0;
		tv->top = 0;
	}
	if (client_state(tv->client) == CLIENT_CONNECTING)
		tv->have_ev = false;
	view_dirty(&tv->v);
}

void
tls_view_set_border(struct tls_view *tv, bool left)
{
	tv->border = left;
	view_dirty(&tv->v);
}

void
tls_view_set_focus(struct tls_view *tv, bool focus)
{
	if (tv->focus != focus)
		view_dirty(&tv->v);
	tv->focus = focus;
}

void
tls_view_message(struct tls_view *tv, const char *msg, bool error)
{
	free(tv->message);
	tv->message = msg != NULL ? xstrdup(msg) : NULL;
	tv->message_error = error;
	if (msg != NULL)
		tv->top = 0;
	view_dirty(&tv->v);
}

const char *
tls_view_take_notice(struct tls_view *tv)
{
	const char	*s = tv->notice;

	tv->notice = NULL;
	return s;
}

/* Select certificate I (clamped to the chain). */
static void
tlv_select(struct tls_view *tv, long i)
{
	const struct tls_info	*info = client_tls_info(tv->client);

	if (info == NULL || info->nchain == 0) {
		tv->notice = "no certificate chain yet";
		return;
	}
	if (i < 0)
		i = 0;
	if ((size_t)i >= info->nchain)
		i = (long)info->nchain - 1;
	tv->sel = (size_t)i;
	tv->show_sel = true;
	view_dirty(&tv->v);
}

static int
tlv_key(struct view *v, int key)
{
	struct tls_view		*tv = (struct tls_view *)v;
	const struct tls_info	*info;
	int			 half = tlv_body(tv) > 2 ? tlv_body(tv) / 2 : 1;

	if (tv->message != NULL)
		tls_view_message(tv, NULL, false);
	switch (key) {
	case KEY_UP:
	case 'k':
		tlv_select(tv, (long)tv->sel - 1);
		break;
	case KEY_DOWN:
	case 'j':
		tlv_select(tv, (long)tv->sel + 1);
		break;
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		tlv_select(tv, key - '0');
		break;
	case 'y':
	case 0x19:	/* Ctrl-Y */
		tls_view_scroll(tv, -1);
		break;
	case 'e':
	case 0x05:	/* Ctrl-E */
		tls_view_scroll(tv, 1);
		break;
	case KEY_PPAGE:
	case 'b':
	case 0x02:	/* Ctrl-B */
		tls_view_page(tv, -1);
		break;
	case KEY_NPAGE:
	case ' ':
	case 0x06:	/* Ctrl-F */
		tls_view_page(tv, 1);
		break;
	case 0x15:	/* Ctrl-U */
		tls_view_scroll(tv, -half);
		break;
	case 0x04:	/* Ctrl-D */
		tls_view_scroll(tv, half);
		break;
	case KEY_HOME:
	case 'g':
	case '<':
		tls_view_scroll(tv, -tv->rows);
		break;
	case KEY_END:
	case 'G':
	case '>':
		tls_view_scroll(tv, tv->rows);
		break;
	case 'w':
		info = client_tls_info(tv->client);
		if (info == NULL || info->nchain == 0) {
			tv->notice = "no certificate chain to write yet";
			break;
		}
		return TLS_VIEW_KEY_WRITE;
	case 'q':
		return VIEW_KEY_CLOSE;
	case VIEW_KEY_ESC:
	case 'i':
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
tlv_free(struct view *v)
{
	struct tls_view	*tv = (struct tls_view *)v;

	tlv_clear(tv);
	free(tv->lines);
	free(tv->message);
	free(tv);
}

struct tls_view *
tls_view_new(struct client *c)
{
	struct tls_view	*tv;

	tv = xmalloc(sizeof(*tv));
	memset(tv, 0, sizeof(*tv));
	tv->v.ops = &tlv_ops;
	tv->v.hidden = true;
	tv->client = c;
	tv->sel_row = -1;
	return tv;
}

struct view *
tls_view_view(struct tls_view *tv)
{
	return &tv->v;
}
