/*
 * The status bar.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curses.h>

#include "caps.h"
#include "client.h"
#include "command.h"
#include "replay.h"
#include "reply.h"
#include "sanitize.h"
#include "session.h"
#include "status_view.h"
#include "theme.h"
#include "tls.h"
#include "transcript_view.h"
#include "view.h"

/* From this width the status bar lists what the server advertised. */
#define SV_CAPS_WIDE	100
#define SV_CAPS_MAX	64	/* items listed at most */
#define SV_NAME_MIN	20	/* a replay's file name: columns kept */
#define SV_NAME_BAR	100	/* from this width */

/* The keywords listed first, in this order; then the others as sent. */
static const char *sv_caps_first[] = {
	"PIPELINING", "SIZE", "8BITMIME", "BINARYMIME", "SMTPUTF8",
	"CHUNKING", "DSN", "REQUIRETLS", "STARTTLS", "AUTH",
};

struct status_view {
	struct view		 v;	/* first */
	struct client		*client;
	struct transcript_view	*tv;
	enum status_focus	 focus;
	char			 notice[160];
	/* Replay mode. */
	bool			 replay;
	const struct replay	*rp;		/* NULL: no steps */
	const struct transcript	*rt;
	const char		*rname;
	size_t			 rnext;		/* the step that plays next */
	struct replay_summary	 rsum;		/* computed once */
};

/* Draws pieces left to right up to a limit (W NULL: only measures). */
struct status_pen {
	WINDOW	*w;
	int	 col;
	int	 limit;
};

static const char *sv_focus_names[STATUS_FOCUS_LAST] = {
	[STATUS_FOCUS_COMMAND] = " [cmd]",
	[STATUS_FOCUS_TRANSCRIPT] = " [log]",
	[STATUS_FOCUS_TLS] = " [tls]",
};

static void	sv_draw(struct view *);
static void	sv_free(struct view *);

static const struct view_ops sv_ops = {
	.name = "status",
	.draw = sv_draw,
	.key = NULL,
	.resize = NULL,
	.free = sv_free,
};

/* Put LEN bytes of S (sanitised first) with ATTR; false at the limit. */
static bool
sv_putn(struct status_pen *pen, attr_t attr, const char *s, size_t len)
{
	struct sanitize_piece	 piece;
	size_t			 off, n;
	int			 w;

	if (pen->w != NULL)
		wattrset(pen->w, attr);
	for (off = 0; off < len; off += piece.consumed) {
		sanitize_next(s + off, len - off, &piece);
		if (pen->col + piece.width <= pen->limit) {
			if (pen->w != NULL)
				mvwaddnstr(pen->w, 0, pen->col, piece.s,
				    (int)piece.len);
			pen->col += piece.width;
			continue;
		}
		/* Cut: as much as fits, then "~" in the last column. */
		if (piece.kind == SANITIZE_TEXT) {
			mbstate_t	ps;
			wchar_t		wc;

			memset(&ps, 0, sizeof(ps));
			for (n = 0; n < piece.len;) {
				size_t	k = mbrtowc(&wc, piece.s + n,
				    piece.len - n, &ps);

				if (k == 0 || k > piece.len - n)
					break;
				w = wcwidth(wc);
				if (w < 0)
					w = 1;
				if (pen->col + w > pen->limit - 1)
					break;
				if (pen->w != NULL)
					mvwaddnstr(pen->w, 0, pen->col,
					    piece.s + n, (int)k);
				pen->col += w;
				n += k;
			}
		}
		if (pen->col < pen->limit && pen->w != NULL)
			mvwaddstr(pen->w, 0, pen->col, "~");
		pen->col = pen->limit;
		return false;
	}
	return true;
}

/* Put S (sanitised first) with ATTR; false once the limit is reached. */
static bool
sv_put(struct status_pen *pen, attr_t attr, const char *s)
{
	return sv_putn(pen, attr, s, strlen(s));
}

void
status_view_format_size(unsigned long long n, char *buf, size_t size)
{
	static const struct {
		double		 unit;
		const char	*suffix;
	} units[] = { { 1e9, "G" }, { 1e6, "M" }, { 1e3, "K" } };
	double	v;
	size_t	i;

	if (n == 0) {
		buf[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if ((double)n < units[i].unit)
			continue;
		v = (double)n / units[i].unit;
		snprintf(buf, size, v < 10 ? "%.1f%s" : "%.0f%s", v,
		    units[i].suffix);
		return;
	}
	snprintf(buf, size, "%llu", n);
}

/*
 * The capabilities: present ones normal, absent ones dimmed; under TLS
 * (TLS) without STARTTLS.
 */
static void
sv_caps(struct status_pen *pen, const struct caps *caps, bool tls)
{
	attr_t	on = theme_attr(THEME_STATUS);
	attr_t	off = theme_attr(THEME_STATUS_DIM);
	bool	known = caps != NULL && caps->known;
	char	buf[64];
	size_t	i;

	if (!sv_put(pen, known && caps_has(caps, "PIPELINING") ? on : off,
	    "PIPE") || !sv_put(pen, on, " "))
		return;
	if (known && caps->size_known) {
		status_view_format_size(caps->size, buf, sizeof(buf));
		if (!sv_put(pen, on, "SIZE") || (buf[0] != '\0' &&
		    (!sv_put(pen, on, "=") || !sv_put(pen, on, buf))))
			return;
	} else if (!sv_put(pen, known && caps_has(caps, "SIZE") ? on : off,
	    "SIZE"))
		return;
	/* STARTTLS offered; under TLS the TLS state says more. */
	if (!tls && (!sv_put(pen, on, " ") || !sv_put(pen, known &&
	    caps_has(caps, "STARTTLS") ? on : off, "TLS")))
		return;
	if (!sv_put(pen, on, " "))
		return;
	if (!known || (caps->nauth == 0 && !caps_has(caps, "AUTH"))) {
		sv_put(pen, off, "AUTH");
		return;
	}
	if (!sv_put(pen, on, "AUTH"))
		return;
	for (i = 0; i < caps->nauth; i++)
		if (!sv_put(pen, on, i == 0 ? ":" : ",") ||
		    !sv_put(pen, on, caps->auth[i]))
			return;
}

/* One item of the advertised list: "SIZE=10M", "AUTH:PLAIN,LOGIN", "DSN". */
static char *
sv_caps_item(const struct caps *caps, const char *keyword)
{
	char	 size[32], *s = NULL, *t;
	size_t	 i;

	if (strcmp(keyword, "SIZE") == 0 && caps->size_known &&
	    caps->size > 0) {
		status_view_format_size(caps->size, size, sizeof(size));
		if (asprintf(&s, "SIZE=%s", size) == -1)
			return NULL;
		return s;
	}
	if (strcmp(keyword, "AUTH") != 0 || caps->nauth == 0)
		return strdup(keyword);
	if ((s = strdup("AUTH")) == NULL)
		return NULL;
	for (i = 0; i < caps->nauth; i++) {
		if (asprintf(&t, "%s%s%s", s, i == 0 ? ":" : ",",
		    caps->auth[i]) == -1)
			break;
		free(s);
		s = t;
	}
	return s;
}

/*
 * The list of what the server advertised, the usual extensions first:
 * "PIPELINING SIZE=10M 8BITMIME SMTPUTF8 CHUNKING DSN STARTTLS
 * AUTH:PLAIN,LOGIN ENHANCEDSTATUSCODES ...", whole items only, then an
 * ellipsis where the room ends.  Server text goes through the sanitiser.
 */
static void
sv_caps_list(struct status_pen *pen, const struct caps *caps)
{
	attr_t		 on = theme_attr(THEME_STATUS);
	const char	*ell = MB_CUR_MAX > 1 ? "\u2026" : "...";
	const char	*kw[SV_CAPS_MAX];
	char		*item, *shown;
	size_t		 n = 0, i, j, nfirst;
	int		 w, room, ellw = MB_CUR_MAX > 1 ? 1 : 3;
	bool		 seen;

	nfirst = sizeof(sv_caps_first) / sizeof(sv_caps_first[0]);
	for (i = 0; i < nfirst; i++)
		if (caps_has(caps, sv_caps_first[i]) ||
		    (strcmp(sv_caps_first[i], "AUTH") == 0 && caps->nauth > 0))
			kw[n++] = sv_caps_first[i];
	for (i = 0; i < caps->n && n < SV_CAPS_MAX; i++) {
		seen = false;
		for (j = 0; j < n && !seen; j++)
			seen = strcasecmp(kw[j], caps->entries[i].keyword) == 0;
		if (!seen)
			kw[n++] = caps->entries[i].keyword;
	}
	for (i = 0; i < n; i++) {
		if ((item = sv_caps_item(caps, kw[i])) == NULL)
			return;
		if ((shown = sanitize_string(item, strlen(item), &w)) == NULL) {
			free(item);
			return;
		}
		free(shown);
		room = pen->limit - pen->col - (i > 0 ? 1 : 0);
		if (w + (i + 1 < n ? 1 + ellw : 0) <= room) {
			if (i > 0)
				sv_put(pen, on, " ");
			sv_put(pen, on, item);
			free(item);
			continue;
		}
		/* The first one is cut ("~"), a later one becomes "...". */
		if (i == 0)
			sv_put(pen, on, item);
		else if (room >= ellw) {
			sv_put(pen, on, " ");
			sv_put(pen, on, ell);
		}
		free(item);
		return;
	}
}

/*
 * The TLS state of a connection into BUF (with its attribute in *ATTR):
 * "TLS1.3 ok" or "TLS1.3 !cert" once the handshake is done (words, so that
 * it reads without colour), "TLS..." while it runs, "plain" before; ""
 * when not connected.
 */
static void
sv_tls(struct client *c, char *buf, size_t size, attr_t *attr)
{
	struct session		*s = client_session(c);
	const struct tls_info	*info = client_tls_info(c);
	const char		*v;

	buf[0] = '\0';
	*attr = theme_attr(THEME_STATUS);
	if (s == NULL || client_state(c) != CLIENT_CONNECTED)
		return;
	if (session_tls(s) && info != NULL) {
		v = info->version != NULL && info->version[0] != '\0' ?
		    info->version : "TLS";
		snprintf(buf, size, "%.16s %s", v, info->verified ? "ok" :
		    "!cert");
		*attr = theme_attr(info->verified ? THEME_STATUS_TLS_OK :
		    THEME_STATUS_TLS_BAD);
	} else if (session_tls(s)) {
		snprintf(buf, size, "TLS");
		*attr = theme_attr(THEME_STATUS_TLS_OK);
	} else if (session_tls_wanted(s)) {
		snprintf(buf, size, "TLS...");
		*attr = theme_attr(THEME_STATUS_ALERT);
	} else
		snprintf(buf, size, "plain");
}

/* Replay. */

/* " · " where the locale can show it. */
static const char *
sv_sep(void)
{
	return MB_CUR_MAX > 1 ? " \u00b7 " : " - ";
}

/* What a step is called in the summary: "RCPT", "the banner", a word. */
static void
sv_step_name(const struct status_view *sv, const struct replay_step *st,
    char *buf, size_t size)
{
	const struct transcript_record	*r;
	const char			*sp;
	size_t				 n;

	switch (st->verb) {
	case VERB_BANNER:
		snprintf(buf, size, "the banner");
		return;
	case VERB_DOT:
		snprintf(buf, size, "the message (end of data)");
		return;
	case VERB_UNKNOWN:
		r = transcript_get(sv->rt, st->rec);
		if (r == NULL || r->len == 0)
			break;
		sp = memchr(r->bytes, ' ', r->len);
		n = sp != NULL ? (size_t)(sp - r->bytes) : r->len;
		/* The bar sanitises it. */
		snprintf(buf, size, "%.*s", (int)(n > 16 ? 16 : n), r->bytes);
		return;
	default:
		if ((int)st->verb >= 0 && st->verb < VERB_LAST &&
		    command_table[st->verb].name != NULL) {
			snprintf(buf, size, "%s", command_table[st->verb].name);
			return;
		}
		break;
	}
	snprintf(buf, size, "a command");
}

/* Where the capture ended: its first failure, or that there was none. */
static void
sv_replay_end(const struct status_view *sv, char *buf, size_t size)
{
	const struct replay_summary	*sum = &sv->rsum;
	const struct replay_step	*st;
	char				 name[64];

	if (sum->first_failure != REPLAY_NONE &&
	    (st = replay_get(sv->rp, sum->first_failure)) != NULL) {
		sv_step_name(sv, st, name, sizeof(name));
		if (st->code == 0)
			snprintf(buf, size, "end: no reply to %s (step %zu)",
			    name, sum->first_failure + 1);
		else
			snprintf(buf, size, "end: %d%s%s at %s (step %zu)",
			    st->code, st->enhanced[0] != '\0' ? " " : "",
			    st->enhanced, name, sum->first_failure + 1);
		return;
	}
	snprintf(buf, size, "end: no failure, %zu message%s accepted%s",
	    sum->messages, sum->messages == 1 ? "" : "s", sum->quit ? "" :
	    sum->closed_early ? ", closed early" : ", no QUIT");
}

/* "next: RCPT TO:<x@y>" (the capture's bytes, sanitised). */
static void
sv_replay_next(struct status_pen *pen, const struct status_view *sv,
    const struct replay_step *st)
{
	const struct transcript_record	*r;
	attr_t				 norm = theme_attr(THEME_STATUS);
	char				 buf[64];

	if (!sv_put(pen, norm, "next: "))
		return;
	if (st->verb == VERB_DOT) {
		snprintf(buf, sizeof(buf), "message text (%zu line%s)",
		    st->text_lines, st->text_lines == 1 ? "" : "s");
		sv_put(pen, norm, buf);
		return;
	}
	if (st->verb == VERB_BANNER && !sv_put(pen, norm, "banner "))
		return;
	if ((r = transcript_get(sv->rt, st->rec)) != NULL)
		sv_putn(pen, norm | A_BOLD, r->bytes, r->len);
}

/* The left of the bar in a replay: where it is (PEN may only measure). */
static void
sv_replay_left(struct status_view *sv, struct status_pen *pen)
{
	const struct replay_step	*st;
	attr_t				 norm = theme_attr(THEME_STATUS);
	attr_t				 alert = theme_attr(THEME_STATUS_ALERT);
	char				 buf[160];
	size_t				 n = 0;

	if (sv->rp != NULL)
		n = replay_count(sv->rp);
	if (!sv_put(pen, norm, " ") || !sv_put(pen, alert, "REPLAY "))
		return;
	if (n == 0) {
		sv_put(pen, alert, sv->notice[0] != '\0' ? sv->notice :
		    "no steps: this capture holds no SMTP dialog");
		return;
	}
	if (sv->rnext < n && (st = replay_get(sv->rp, sv->rnext)) != NULL) {
		snprintf(buf, sizeof(buf), "step %zu/%zu", sv->rnext + 1, n);
		if (!sv_put(pen, norm | A_BOLD, buf) ||
		    !sv_put(pen, norm, sv_sep()) ||
		    !sv_put(pen, norm, "phase ") ||
		    !sv_put(pen, norm, session_phase_name(st->phase)) ||
		    !sv_put(pen, norm, sv_sep()))
			return;
		if (sv->notice[0] != '\0')
			sv_put(pen, alert, sv->notice);
		else
			sv_replay_next(pen, sv, st);
		return;
	}
	snprintf(buf, sizeof(buf), "%zu/%zu played", n, n);
	if (!sv_put(pen, norm | A_BOLD, buf) || !sv_put(pen, norm, sv_sep()))
		return;
	if (sv->notice[0] != '\0')
		sv_put(pen, alert, sv->notice);
	else {
		sv_replay_end(sv, buf, sizeof(buf));
		sv_put(pen, alert, buf);
	}
}

/*
 * Replay: the left as above, then the file's name, then the right as in a
 * live session.  The name has what the left leaves, and at least a sixth
 * of the bar (at most SV_NAME_MIN columns, cut with "~") on a bar of
 * SV_NAME_BAR columns or more.
 */
static void
sv_draw_replay(struct status_view *sv)
{
	struct view			*v = &sv->v;
	struct status_pen		 pen = { NULL, 0, v->cols };
	const char			*filter;
	attr_t				 norm = theme_attr(THEME_STATUS);
	char				 right[160];
	int				 rw, nw = 0, left, room, keep;

	wbkgdset(v->win, ' ' | norm);
	werase(v->win);

	/* Right: focus, follow, filter. */
	filter = transcript_view_filter_pattern(sv->tv);
	snprintf(right, sizeof(right), "%s%s%s%s ",
	    sv_focus_names[sv->focus],
	    transcript_view_following(sv->tv) ? " follow" : " SCROLL",
	    filter != NULL ? " filter:" : "", filter != NULL ? filter : "");
	free(sanitize_string(right, strlen(right), &rw));
	if (rw > v->cols / 2)
		rw = v->cols / 2;	/* a long filter: cut */

	/* How much the left wants, then the name. */
	pen.limit = v->cols - rw;
	sv_replay_left(sv, &pen);
	left = pen.col;
	if (sv->rname != NULL) {
		free(sanitize_string(sv->rname, strlen(sv->rname), &nw));
		nw++;			/* a space before it */
		room = v->cols - rw - left - 1;
		keep = v->cols / 6 < SV_NAME_MIN ? v->cols / 6 : SV_NAME_MIN;
		if (room < keep && v->cols >= SV_NAME_BAR)
			room = keep;
		if (nw > room)
			nw = room >= 8 ? room : 0;
	}

	pen.w = v->win;
	pen.col = 0;
	pen.limit = v->cols - rw - nw;
	sv_replay_left(sv, &pen);
	if (nw > 0) {
		pen.col = v->cols - rw - nw;
		pen.limit = v->cols - rw;
		if (sv_put(&pen, norm, " "))
			sv_put(&pen, norm, sv->rname);
	}
	pen.col = v->cols - rw;
	pen.limit = v->cols;
	sv_put(&pen, norm, right);
	wattrset(v->win, A_NORMAL);
	wnoutrefresh(v->win);
}

void
status_view_set_replay(struct status_view *sv, const struct replay *rp,
    const struct transcript *t, const char *name)
{
	sv->replay = true;
	sv->rp = rp;
	sv->rt = t;
	sv->rname = name;
	sv->rnext = 0;
	/* Once: the summary may walk the whole capture. */
	memset(&sv->rsum, 0, sizeof(sv->rsum));
	sv->rsum.first_failure = REPLAY_NONE;
	if (rp != NULL)
		replay_summary(rp, &sv->rsum);
	view_dirty(&sv->v);
}

void
status_view_replay_step(struct status_view *sv, size_t next)
{
	if (sv->rnext != next)
		view_dirty(&sv->v);
	sv->rnext = next;
}

static void
sv_draw(struct view *v)
{
	struct status_view	*sv = (struct status_view *)v;
	struct status_pen	 pen = { v->win, 0, v->cols };
	struct session		*s;
	const struct reply	*last;
	const char		*filter, *target;
	attr_t			 norm = theme_attr(THEME_STATUS);
	attr_t			 alert = theme_attr(THEME_STATUS_ALERT);
	enum session_phase	 phase = PHASE_IDLE;
	char			 right[160], buf[96], tls[32];
	attr_t			 tls_attr;
	int64_t			 lat;
	int			 rw, tw;

	if (sv->replay) {
		sv_draw_replay(sv);
		return;
	}
	s = client_session(sv->client);
	wbkgdset(v->win, ' ' | norm);
	werase(v->win);

	/* Right: focus, follow, filter. */
	filter = transcript_view_filter_pattern(sv->tv);
	snprintf(right, sizeof(right), "%s%s%s%s%s ",
	    client_rules(sv->client) == NULL ? "" :
	    client_rules_paused(sv->client) ? " rules:paused" : " RULES",
	    sv_focus_names[sv->focus],
	    transcript_view_following(sv->tv) ? " follow" : " SCROLL",
	    filter != NULL ? " filter:" : "", filter != NULL ? filter : "");
	free(sanitize_string(right, strlen(right), &rw));
	/* The TLS state first on the right: never cut. */
	sv_tls(sv->client, tls, sizeof(tls), &tls_attr);
	tw = tls[0] != '\0' ? 1 + (int)strlen(tls) : 0;
	if (rw > v->cols / 2)
		rw = v->cols / 2;	/* a long filter: cut */
	rw += tw;
	pen.limit = v->cols - rw;

	/* Left: target, phase, last reply, capabilities (or the notice). */
	if (!sv_put(&pen, norm, " "))
		goto right;
	switch (client_state(sv->client)) {
	case CLIENT_CONNECTING:
		target = client_target(sv->client);
		if (!sv_put(&pen, alert, "connecting ") ||
		    !sv_put(&pen, norm, target != NULL ? target : "?"))
			goto right;
		break;
	case CLIENT_CONNECTED:
		target = client_peer(sv->client);
		if (target == NULL)
			target = client_target(sv->client);
		if (!sv_put(&pen, norm | A_BOLD, target != NULL ? target :
		    "?"))
			goto right;
		break;
	default:
		if (!sv_put(&pen, alert, "not connected"))
			goto right;
		break;
	}
	if (s != NULL) {
		phase = session_phase(s);
		if (!sv_put(&pen, norm, "  ") ||
		    !sv_put(&pen, norm, session_phase_name(phase)))
			goto right;
		if ((last = session_last_reply(s, &lat)) != NULL) {
			if (lat >= 0)
				snprintf(buf, sizeof(buf), "%d%s %.1fms",
				    last->code, session_last_simulated(s) ?
				    " (simulated)" : "", (double)lat / 1e3);
			else
				snprintf(buf, sizeof(buf), "%d%s", last->code,
				    session_last_simulated(s) ?
				    " (simulated)" : "");
			if (!sv_put(&pen, norm, "  ") || !sv_put(&pen,
			    last->code >= 400 ? alert : norm, buf))
				goto right;
		}
	}
	if (!sv_put(&pen, norm, "  "))
		goto right;
	if (sv->notice[0] != '\0')
		sv_put(&pen, alert, sv->notice);
	else if (phase == PHASE_DATA)
		sv_put(&pen, alert, "message: a lone . ends it");
	else if (v->cols >= SV_CAPS_WIDE && s != NULL &&
	    session_caps(s) != NULL && session_caps(s)->known)
		sv_caps_list(&pen, session_caps(s));
	else
		sv_caps(&pen, s != NULL ? session_caps(s) : NULL,
		    s != NULL && session_tls(s));
right:
	pen.col = v->cols - rw;
	pen.limit = v->cols;
	if (tw > 0 && (!sv_put(&pen, norm, " ") ||
	    !sv_put(&pen, tls_attr, tls)))
		goto done;
	sv_put(&pen, norm, right);
done:
	wattrset(v->win, A_NORMAL);
	wnoutrefresh(v->win);
}

void
status_view_set_focus(struct status_view *sv, enum status_focus focus)
{
	if ((int)focus < 0 || focus >= STATUS_FOCUS_LAST)
		focus = STATUS_FOCUS_COMMAND;
	if (sv->focus != focus)
		view_dirty(&sv->v);
	sv->focus = focus;
}

void
status_view_notice(struct status_view *sv, const char *notice)
{
	const char	*n = notice != NULL ? notice : "";

	if (strcmp(sv->notice, n) == 0)
		return;
	snprintf(sv->notice, sizeof(sv->notice), "%s", n);
	view_dirty(&sv->v);
}

static void
sv_free(struct view *v)
{
	free(v);
}

struct status_view *
status_view_new(struct client *c, struct transcript_view *tv)
{
	struct status_view	*sv;

	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		return NULL;
	sv->v.ops = &sv_ops;
	sv->v.dirty = true;
	sv->client = c;
	sv->tv = tv;
	return sv;
}

struct view *
status_view_view(struct status_view *sv)
{
	return &sv->v;
}
