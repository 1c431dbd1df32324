/*
 * The session engine: see session.h.  One function enters a phase, one
 * handles a reply; the command table says what each verb needs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "data.h"
#include "session.h"
#include "xmalloc.h"

struct session {
	struct session_config	 cfg;
	session_event_fn	 fn;
	void			*arg;

	enum session_phase	 phase;
	bool			 tls;		/* lines are under TLS */
	bool			 tls_wanted;	/* 220 to STARTTLS, no TLS yet */
	bool			 verified;	/* the certificate verified */
	bool			 starttls_sent;	/* by ourselves (config) */
	bool			 tls_missing;	/* --require-tls gave up */
	struct buf		 in;
	struct buf		 out;
	struct reply_parser	*rp;
	struct caps		 caps;

	struct session_cmd	*pending;	/* FIFO of awaited replies */
	size_t			 npending;
	size_t			 cappending;
	uint64_t		 wait_since;	/* for the reply timeout */

	char			*body;		/* session_message() text */
	size_t			 bodylen;
	bool			 rcpt_ok;	/* a RCPT accepted */
	/* Where the dialog will be if the pipelined commands succeed. */
	enum session_phase	 projected;
	bool			 projected_rcpt;
	bool			 bare_lf_told;
	char			 hello_arg[256];

	/* The simulated replies of the pending commands marked so, in order. */
	struct sim {
		char		 line[600];
		uint64_t	 due;
		bool		 close;
	}			*sims;
	size_t			 nsims;
	size_t			 capsims;
	bool			 last_sim;

	struct reply		 last;		/* a copy of the last reply */
	size_t			 lastcap;
	int64_t			 last_latency;
};

static void	project(struct session *, enum command_verb);
static void	deliver_sims(struct session *, uint64_t, bool);

static const char *const phase_names[PHASE_LAST] = {
	[PHASE_IDLE] = "not connected",
	[PHASE_BANNER] = "banner",
	[PHASE_HELLO] = "hello",
	[PHASE_GREETED] = "greeted",
	[PHASE_MAIL] = "mail",
	[PHASE_RCPT] = "rcpt",
	[PHASE_DATA] = "data",
	[PHASE_QUIT] = "quit",
	[PHASE_CLOSED] = "closed",
};

static const char *const close_names[CLOSE_LAST] = {
	[CLOSE_QUIT] = "quit",
	[CLOSE_SERVER] = "closed by the server",
	[CLOSE_PROTOCOL] = "protocol error",
	[CLOSE_TIMEOUT] = "timeout",
	[CLOSE_LOCAL] = "closed locally",
	[CLOSE_TLS] = "TLS failed",
};

static const char *const severity_names[SEV_LAST] = {
	[SEV_INFO] = "info",
	[SEV_WARNING] = "warning",
	[SEV_ERROR] = "error",
};

const char *
session_phase_name(enum session_phase p)
{
	return p < PHASE_LAST ? phase_names[p] : "?";
}

const char *
session_close_name(enum session_close c)
{
	return c < CLOSE_LAST ? close_names[c] : "?";
}

const char *
session_severity_name(enum session_severity s)
{
	return s < SEV_LAST ? severity_names[s] : "?";
}

static void
emit(struct session *s, struct session_event *ev, uint64_t now)
{
	ev->now = now;
	ev->tls = s->tls;
	s->fn(ev, s->arg);
}

static void __attribute__((format(printf, 5, 6)))
diag(struct session *s, uint64_t now, enum session_severity sev,
    const char *category, const char *fmt, ...)
{
	struct session_event	 ev = { .type = SEV_T_DIAG };
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	ev.severity = sev;
	ev.category = category;
	ev.message = msg != NULL ? msg : "(out of memory)";
	emit(s, &ev, now);
	free(msg);
}

static void
set_phase(struct session *s, enum session_phase to, uint64_t now)
{
	struct session_event	ev = { .type = SEV_T_PHASE };

	if (s->phase == to)
		return;
	ev.from = s->phase;
	ev.to = to;
	s->phase = to;
	emit(s, &ev, now);
}

/* The connection is over: one CLOSE event, then PHASE_CLOSED. */
static void
finish(struct session *s, enum session_close why, uint64_t now)
{
	struct session_event	ev = { .type = SEV_T_CLOSE };

	if (s->phase == PHASE_CLOSED || s->phase == PHASE_IDLE)
		return;
	s->npending = 0;
	s->nsims = 0;
	free(s->body);
	s->body = NULL;
	ev.why = why;
	set_phase(s, PHASE_CLOSED, now);
	emit(s, &ev, now);
}

static void
caps_event(struct session *s, uint64_t now)
{
	struct session_event	ev = { .type = SEV_T_CAPS };

	ev.caps = &s->caps;
	emit(s, &ev, now);
}

struct session *
session_new(const struct session_config *cfg, session_event_fn fn, void *arg)
{
	struct session	*s;

	s = xrealloc(NULL, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->fn = fn;
	s->arg = arg;
	s->phase = PHASE_IDLE;
	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	s->rp = reply_parser_new();
	caps_init(&s->caps);
	s->last_latency = -1;
	return s;
}

static void
last_clear(struct session *s)
{
	size_t	i;

	for (i = 0; i < s->last.nlines; i++)
		free(s->last.text[i]);
	s->last.nlines = 0;
	s->last.code = 0;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	buf_free(&s->in);
	buf_free(&s->out);
	reply_parser_free(s->rp);
	caps_clear(&s->caps);
	free(s->pending);
	free(s->sims);
	free(s->body);
	last_clear(s);
	free(s->last.text);
	free(s);
}

static struct session_cmd *
push_pending(struct session *s, enum command_verb verb, const char *text,
    size_t len, uint64_t now)
{
	struct session_cmd	*c;

	if (s->npending == s->cappending) {
		s->cappending = s->cappending == 0 ? 8 : s->cappending * 2;
		s->pending = xrealloc(s->pending,
		    s->cappending * sizeof(*s->pending));
	}
	if (s->npending == 0)
		s->wait_since = now;
	c = &s->pending[s->npending++];
	c->verb = verb;
	c->step = command_info(verb)->step;
	c->sent = now;
	c->simulated = false;
	if (len >= sizeof(c->text))
		len = sizeof(c->text) - 1;
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	return c;
}

void
session_open(struct session *s, uint64_t now)
{
	buf_reset(&s->in);
	buf_reset(&s->out);
	reply_parser_reset(s->rp);
	caps_clear(&s->caps);
	last_clear(s);
	s->last_latency = -1;
	s->npending = 0;
	s->nsims = 0;
	s->last_sim = false;
	s->rcpt_ok = false;
	s->bare_lf_told = false;
	s->tls = s->tls_wanted = s->verified = false;
	s->starttls_sent = s->tls_missing = false;
	s->phase = PHASE_IDLE;
	push_pending(s, VERB_BANNER, "(banner)", 8, now);
	set_phase(s, PHASE_BANNER, now);
}

/* Queue bytes already built in B as one SENT line each. */
static void
send_lines(struct session *s, const char *p, size_t len, bool message,
    uint64_t now)
{
	struct session_event	 ev = { .type = SEV_T_SENT };
	const char		*nl;
	size_t			 n;

	buf_add(&s->out, p, len);
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl == NULL ? len : (size_t)(nl - p) + 1;
		ev.line = p;
		ev.len = n >= 2 && nl != NULL ? n - 2 : n;
		ev.eol = nl != NULL ? BUF_EOL_CRLF : BUF_EOL_NONE;
		ev.in_message = message;
		emit(s, &ev, now);
		p += n;
		len -= n;
	}
}

static void
save_last(struct session *s, const struct reply *r, int64_t latency)
{
	size_t	i;

	last_clear(s);
	if (r->nlines > s->lastcap) {
		s->lastcap = r->nlines;
		s->last.text = xrealloc(s->last.text,
		    s->lastcap * sizeof(*s->last.text));
	}
	for (i = 0; i < r->nlines; i++) {
		size_t n = strlen(r->text[i]) + 1;

		s->last.text[i] = xrealloc(NULL, n);
		memcpy(s->last.text[i], r->text[i], n);
	}
	s->last.nlines = r->nlines;
	s->last.code = r->code;
	memcpy(s->last.enhanced, r->enhanced, sizeof(s->last.enhanced));
	s->last_latency = latency;
}

/* Send the message of session_message() after the 354. */
static void
send_body(struct session *s, uint64_t now)
{
	struct buf	b;

	buf_init(&b, 0);
	data_encode(&b, s->body, s->bodylen);
	free(s->body);
	s->body = NULL;
	/* The last line is the ".": it waits for the final reply. */
	send_lines(s, buf_head(&b), buf_avail(&b), true, now);
	push_pending(s, VERB_DOT, ".", 1, now);
	buf_free(&b);
}

static void
tls_event(struct session *s, enum session_tls what, size_t discarded,
    uint64_t now)
{
	struct session_event	ev = { .type = SEV_T_TLS };

	ev.tls_ev = what;
	ev.verified = s->verified;
	ev.discarded = discarded;
	emit(s, &ev, now);
}

/* Bytes after the 220 to STARTTLS: reported, discarded, never parsed. */
static void
discard_injected(struct session *s, const char *p, size_t len, uint64_t now)
{
	if (len == 0)
		return;
	diag(s, now, SEV_ERROR, "tls", "%zu bytes arrived after the 220 to "
	    "STARTTLS and before the TLS handshake: discarded, never parsed "
	    "(a STARTTLS injection?): \"%.*s%s\"", len,
	    (int)(len > 120 ? 120 : len), p, len > 120 ? "..." : "");
}

/* --require-tls and no verified TLS: say why, and leave. */
static void
tls_missing(struct session *s, uint64_t now, const char *why)
{
	char	*err = NULL;

	if (s->tls_missing || s->phase >= PHASE_QUIT)
		return;
	s->tls_missing = true;
	diag(s, now, SEV_ERROR, "tls", "TLS is required (--require-tls) and "
	    "%s: sending QUIT", why);
	tls_event(s, TLS_MISSING, 0, now);
	if (session_command(s, "QUIT", 4, now, &err) == -1)
		free(err);
}

/* The 220 to STARTTLS: the front end must start the handshake now. */
static void
want_tls(struct session *s, uint64_t now)
{
	size_t	n = buf_avail(&s->in);

	s->tls_wanted = true;
	if (n > 0) {
		discard_injected(s, buf_head(&s->in), n, now);
		buf_reset(&s->in);
	}
	tls_event(s, TLS_WANTED, n, now);
}

/* After a greeting: STARTTLS by ourselves, or give up without it. */
static void
after_ehlo(struct session *s, uint64_t now)
{
	char	*err = NULL;

	if (s->tls)
		return;
	if (s->cfg.starttls && !s->starttls_sent &&
	    caps_has(&s->caps, "STARTTLS")) {
		s->starttls_sent = true;
		if (session_command(s, "STARTTLS", 8, now, &err) == -1)
			free(err);
		return;
	}
	if (s->cfg.require_tls && !caps_has(&s->caps, "STARTTLS"))
		tls_missing(s, now, "the server does not offer STARTTLS");
}

void
session_tls_started(struct session *s, uint64_t now, bool verified,
    const char *summary, char *const *reasons, size_t nreasons)
{
	char	*err = NULL, line[300];
	size_t	 i;

	if (s->phase == PHASE_CLOSED || s->phase == PHASE_IDLE)
		return;
	s->tls = true;
	s->tls_wanted = false;
	s->verified = verified;
	diag(s, now, verified ? SEV_INFO : SEV_WARNING, "tls", "TLS %s",
	    summary);
	for (i = 0; i < nreasons; i++)
		diag(s, now, SEV_WARNING, "tls", "%s", reasons[i]);
	if (s->phase != PHASE_BANNER) {
		/* RFC 3207 4.2: forget what was learned in plaintext. */
		caps_clear(&s->caps);
		caps_event(s, now);
		s->rcpt_ok = false;
		set_phase(s, PHASE_HELLO, now);
	}
	if (s->cfg.require_tls && !verified) {
		tls_event(s, TLS_UP, 0, now);
		tls_missing(s, now, "the certificate did not verify");
		return;
	}
	if (s->phase == PHASE_HELLO && s->cfg.starttls) {
		snprintf(line, sizeof(line), "EHLO %s", s->hello_arg);
		if (session_command(s, line, strlen(line), now, &err) == -1) {
			diag(s, now, SEV_ERROR, "tls", "%s", err);
			free(err);
		}
	} else if (s->phase == PHASE_HELLO)
		diag(s, now, SEV_INFO, "tls", "TLS is up and the capabilities "
		    "learned before are forgotten: send EHLO again");
	tls_event(s, TLS_UP, 0, now);
}

void
session_tls_failed(struct session *s, uint64_t now, const char *why)
{
	if (s->phase == PHASE_CLOSED || s->phase == PHASE_IDLE)
		return;
	s->tls_wanted = false;
	diag(s, now, SEV_ERROR, "tls", "%s; no fallback to plaintext", why);
	tls_event(s, TLS_FAILED, 0, now);
	finish(s, CLOSE_TLS, now);
}

bool
session_tls(const struct session *s)
{
	return s->tls;
}

bool
session_tls_wanted(const struct session *s)
{
	return s->tls_wanted;
}

static void
handle_reply(struct session *s, const struct reply *r, uint64_t now)
{
	struct session_event	 ev = { .type = SEV_T_REPLY };
	struct session_cmd	 cmd, *c = NULL;
	char			*warning;
	int			 code = r->code;

	if (s->npending > 0) {
		cmd = s->pending[0];
		c = &cmd;
		memmove(s->pending, s->pending + 1,
		    (s->npending - 1) * sizeof(*s->pending));
		s->npending--;
		s->wait_since = now;
	}
	ev.reply = r;
	ev.cmd = c;
	ev.latency = c != NULL ? (int64_t)(now - c->sent) : -1;
	save_last(s, r, ev.latency);
	s->last_sim = c != NULL && c->simulated;
	emit(s, &ev, now);

	if (c == NULL && code != 421)
		diag(s, now, SEV_WARNING, "protocol", "reply %d arrived "
		    "when no command was waiting for one", code);
	if (code == 421) {
		diag(s, now, SEV_INFO, "connection", "the server is closing "
		    "the connection (421)");
		finish(s, CLOSE_SERVER, now);
		return;
	}
	if (c == NULL)
		return;

	switch (c->verb) {
	case VERB_BANNER:
		if (code / 100 == 2)
			set_phase(s, PHASE_HELLO, now);
		else
			diag(s, now, SEV_WARNING, "banner", "the server "
			    "greets with %d: it will refuse mail on this "
			    "connection; QUIT is the polite answer", code);
		break;
	case VERB_EHLO:
	case VERB_LHLO:
		if (code == 250) {
			caps_parse(&s->caps, r, &warning);
			if (warning != NULL) {
				diag(s, now, SEV_WARNING, "protocol", "%s",
				    warning);
				free(warning);
			}
			caps_event(s, now);
			s->rcpt_ok = false;
			set_phase(s, PHASE_GREETED, now);
			after_ehlo(s, now);
		} else if ((code == 500 || code == 502) &&
		    s->cfg.helo_fallback && c->verb == VERB_EHLO) {
			char	*err = NULL, line[300];

			diag(s, now, SEV_INFO, "hello", "EHLO refused with "
			    "%d: falling back to HELO", code);
			snprintf(line, sizeof(line), "HELO %s", s->hello_arg);
			if (session_command(s, line, strlen(line), now,
			    &err) == -1) {
				diag(s, now, SEV_ERROR, "hello", "%s", err);
				free(err);
			}
		}
		break;
	case VERB_HELO:
		if (code == 250) {
			s->rcpt_ok = false;
			set_phase(s, PHASE_GREETED, now);
			after_ehlo(s, now);
		}
		break;
	case VERB_MAIL:
		if (code / 100 == 2) {
			s->rcpt_ok = false;
			set_phase(s, PHASE_MAIL, now);
		}
		break;
	case VERB_RCPT:
		if (code / 100 == 2) {
			s->rcpt_ok = true;
			set_phase(s, PHASE_RCPT, now);
		}
		break;
	case VERB_DATA:
		if (code == 354) {
			set_phase(s, PHASE_DATA, now);
			if (s->body != NULL)
				send_body(s, now);
		} else if (s->body != NULL) {
			diag(s, now, SEV_INFO, "data", "DATA got %d, not "
			    "354: the message was not sent", code);
			free(s->body);
			s->body = NULL;
		}
		break;
	case VERB_DOT:
	case VERB_BDAT:
		/* Accepted or not, the transaction is over. */
		if (c->verb == VERB_DOT || code / 100 != 2) {
			s->rcpt_ok = false;
			set_phase(s, s->phase >= PHASE_GREETED &&
			    s->phase <= PHASE_DATA ? PHASE_GREETED :
			    s->phase, now);
		}
		break;
	case VERB_RSET:
		if (code / 100 == 2 && s->phase >= PHASE_GREETED &&
		    s->phase <= PHASE_DATA) {
			s->rcpt_ok = false;
			set_phase(s, PHASE_GREETED, now);
		}
		break;
	case VERB_STARTTLS:
		if (code == 220)
			want_tls(s, now);
		else if (s->cfg.require_tls)
			tls_missing(s, now, "the server refused STARTTLS");
		break;
	case VERB_QUIT:
		finish(s, CLOSE_QUIT, now);
		break;
	default:
		break;
	}
}

/*
 * Hand out the simulated replies at the head of the queue that are due (or
 * all of them, with FORCE: a real reply is next).
 */
static void
deliver_sims(struct session *s, uint64_t now, bool force)
{
	struct session_event	 ev = { .type = SEV_T_RECEIVED };
	struct reply		 r;
	struct sim		 sim;
	char			*text;
	bool			 last;

	while (s->npending > 0 && s->pending[0].simulated && s->nsims > 0 &&
	    (force || now >= s->sims[0].due) && s->phase != PHASE_CLOSED) {
		sim = s->sims[0];
		memmove(s->sims, s->sims + 1, (s->nsims - 1) * sizeof(*s->sims));
		s->nsims--;
		ev.line = sim.line;
		ev.len = strlen(sim.line);
		ev.eol = BUF_EOL_CRLF;
		ev.code = reply_line_code(ev.line, ev.len, &last);
		ev.last = true;
		ev.simulated = true;
		ev.latency = (int64_t)(now - s->pending[0].sent);
		emit(s, &ev, now);
		memset(&r, 0, sizeof(r));
		r.code = ev.code;
		text = ev.len > 4 ? sim.line + 4 : (char *)"";
		reply_enhanced(text, strlen(text), r.enhanced);
		r.nlines = 1;
		r.text = &text;
		handle_reply(s, &r, now);
		if (sim.close && s->phase != PHASE_CLOSED) {
			diag(s, now, SEV_INFO, "rules", "(simulated) the "
			    "server closes the connection");
			finish(s, CLOSE_SERVER, now);
		}
	}
}

/* A rule answers this command: it is not sent. */
static void
simulate_reply(struct session *s, enum command_verb v, const char *line,
    size_t len, uint64_t now, const struct session_sim *sim)
{
	struct session_cmd	*c;
	struct sim		*q;

	diag(s, now, SEV_INFO, "rules", "not sent, a rule answers (%s): "
	    "%.*s", sim->label != NULL ? sim->label : "rules",
	    (int)(len > 60 ? 60 : len), line);
	if (sim->drop) {
		diag(s, now, SEV_INFO, "rules", "(simulated) the server "
		    "closes the connection without a reply");
		finish(s, CLOSE_SERVER, now);
		return;
	}
	project(s, v);
	c = push_pending(s, v, line, len, now);
	c->simulated = true;
	if (s->nsims == s->capsims) {
		s->capsims = s->capsims == 0 ? 4 : s->capsims * 2;
		s->sims = xrealloc(s->sims, s->capsims * sizeof(*s->sims));
	}
	q = &s->sims[s->nsims++];
	snprintf(q->line, sizeof(q->line), "%03d%s%s%s%s", sim->code,
	    sim->enhanced != NULL && *sim->enhanced != '\0' ? " " : "",
	    sim->enhanced != NULL ? sim->enhanced : "",
	    sim->text != NULL && *sim->text != '\0' ? " " : "",
	    sim->text != NULL ? sim->text : "");
	q->due = now + sim->delay;
	q->close = sim->close || sim->code == 421;
	deliver_sims(s, now, false);
}

static int
handle_line(struct session *s, const char *line, size_t len,
    enum buf_eol eol, uint64_t now)
{
	struct session_event	 ev = { .type = SEV_T_RECEIVED };
	enum reply_status	 st;
	char			*err = NULL;
	bool			 last = false;

	/* A real reply comes after the simulated ones still held. */
	deliver_sims(s, now, true);
	if (s->phase == PHASE_CLOSED)
		return -1;
	ev.line = line;
	ev.len = len;
	ev.eol = eol;
	ev.code = reply_line_code(line, len, &last);
	ev.last = ev.code != 0 && last;
	ev.latency = ev.last && s->npending > 0 ?
	    (int64_t)(now - s->pending[0].sent) : -1;
	emit(s, &ev, now);
	s->wait_since = now;
	if (eol == BUF_EOL_LF && !s->bare_lf_told) {
		s->bare_lf_told = true;
		diag(s, now, SEV_WARNING, "protocol", "the server ended a "
		    "line with a bare LF, not CRLF (RFC 5321 2.3.8); "
		    "accepted, and further ones are not reported");
	}
	st = reply_parser_push(s->rp, line, len, &err);
	switch (st) {
	case REPLY_MORE:
		return 0;
	case REPLY_DONE:
		handle_reply(s, reply_parser_reply(s->rp), now);
		return 0;
	case REPLY_ERROR:
		break;
	}
	diag(s, now, SEV_ERROR, "protocol", "cannot parse the server's "
	    "reply: %s", err != NULL ? err : "out of memory");
	free(err);
	finish(s, CLOSE_PROTOCOL, now);
	return -1;
}

int
session_input(struct session *s, const void *p, size_t len, uint64_t now)
{
	const char	*line;
	size_t		 n;
	enum buf_eol	 eol;
	int		 r;

	if (s->phase == PHASE_CLOSED || s->phase == PHASE_IDLE)
		return -1;
	if (s->tls_wanted) {
		discard_injected(s, p, len, now);
		return 0;
	}
	buf_add(&s->in, p, len);
	while (s->phase != PHASE_CLOSED && !s->tls_wanted) {
		r = buf_getline(&s->in, REPLY_MAX_LINE + 2, &line, &n, &eol);
		if (r == 0)
			break;
		if (r == -1) {
			diag(s, now, SEV_ERROR, "protocol", "cannot parse the "
			    "server's reply: a line is longer than %d bytes",
			    REPLY_MAX_LINE);
			finish(s, CLOSE_PROTOCOL, now);
			return -1;
		}
		if (handle_line(s, line, n, eol, now) == -1)
			return -1;
	}
	if (s->phase == PHASE_CLOSED)
		return -1;
	return 0;
}

void
session_eof(struct session *s, uint64_t now)
{
	struct session_event	ev = { .type = SEV_T_RECEIVED };

	if (s->phase == PHASE_CLOSED || s->phase == PHASE_IDLE)
		return;
	if (buf_avail(&s->in) > 0) {
		ev.line = buf_head(&s->in);
		ev.len = buf_avail(&s->in);
		ev.eol = BUF_EOL_NONE;
		ev.code = reply_line_code(ev.line, ev.len, NULL);
		ev.latency = -1;
		emit(s, &ev, now);
		diag(s, now, SEV_WARNING, "protocol", "the connection closed "
		    "in the middle of a line");
		buf_reset(&s->in);
	}
	if (s->phase == PHASE_QUIT) {
		finish(s, CLOSE_QUIT, now);
		return;
	}
	if (s->npending > 0)
		diag(s, now, SEV_ERROR, "connection", "the server closed the "
		    "connection while the reply to %s was awaited",
		    s->pending[0].text);
	else
		diag(s, now, SEV_ERROR, "connection", "the server closed the "
		    "connection");
	finish(s, CLOSE_SERVER, now);
}

void
session_close(struct session *s, uint64_t now)
{
	finish(s, CLOSE_LOCAL, now);
}

/* Warn, without blocking, about a command sent out of order. */
static void
check_order(struct session *s, enum command_verb v, uint64_t now)
{
	const char		*name = command_info(v)->name;
	const char		*why = NULL;
	enum session_phase	 phase = s->phase;
	bool			 rcpt_ok = s->rcpt_ok;

	/* Pipelined: judge by where the earlier commands will lead. */
	if (s->npending > 0 && s->phase >= PHASE_HELLO) {
		phase = s->projected;
		rcpt_ok = s->projected_rcpt;
	}

	if (s->phase == PHASE_QUIT) {
		diag(s, now, SEV_WARNING, "order", "%s after QUIT: the "
		    "session is ending", name);
		return;
	}
	if (s->phase == PHASE_BANNER && s->npending > 0) {
		diag(s, now, SEV_WARNING, "order", "%s before the banner: "
		    "many servers drop clients that talk first", name);
		return;
	}
	switch (v) {
	case VERB_MAIL:
		if (phase == PHASE_HELLO)
			why = "MAIL before EHLO/HELO: the server will likely "
			    "answer 503";
		else if (phase == PHASE_MAIL || phase == PHASE_RCPT)
			why = "MAIL inside a transaction: send RSET first";
		break;
	case VERB_RCPT:
		if (phase != PHASE_MAIL && phase != PHASE_RCPT)
			why = "RCPT before an accepted MAIL: the server will "
			    "likely answer 503";
		break;
	case VERB_DATA:
	case VERB_BDAT:
		if (phase != PHASE_RCPT || !rcpt_ok)
			why = "DATA before an accepted RCPT: the server will "
			    "likely answer 503 or 554";
		break;
	case VERB_STARTTLS:
		if (s->caps.known && !caps_has(&s->caps, "STARTTLS"))
			why = "STARTTLS was not advertised by the server";
		else if (phase > PHASE_GREETED)
			why = "STARTTLS inside a transaction";
		break;
	case VERB_AUTH:
		if (s->caps.known && s->caps.nauth == 0)
			why = "AUTH was not advertised by the server";
		else if (phase > PHASE_GREETED)
			why = "AUTH inside a transaction";
		break;
	default:
		break;
	}
	if (why != NULL) {
		diag(s, now, SEV_WARNING, "order", "%s", why);
		return;
	}
	if (s->npending > 0 && s->caps.known &&
	    !caps_has(&s->caps, "PIPELINING"))
		diag(s, now, SEV_WARNING, "pipelining", "%s sent before the "
		    "previous reply, and the server did not advertise "
		    "PIPELINING", name);
}

/* Where a command leads if it succeeds, for the checks of the next one. */
static void
project(struct session *s, enum command_verb v)
{
	if (s->npending == 0) {
		s->projected = s->phase;
		s->projected_rcpt = s->rcpt_ok;
	}
	switch (v) {
	case VERB_EHLO:
	case VERB_HELO:
	case VERB_LHLO:
	case VERB_RSET:
		s->projected = PHASE_GREETED;
		s->projected_rcpt = false;
		break;
	case VERB_MAIL:
		s->projected = PHASE_MAIL;
		s->projected_rcpt = false;
		break;
	case VERB_RCPT:
		s->projected = PHASE_RCPT;
		s->projected_rcpt = true;
		break;
	case VERB_DATA:
		s->projected = PHASE_DATA;
		break;
	default:
		break;
	}
}

/* One line of message text, or the "." that ends it. */
static int
message_line(struct session *s, const char *line, size_t len, uint64_t now,
    char **errstr)
{
	struct buf	b;

	if (command_check(line, len, errstr) == -1)
		return -1;
	buf_init(&b, 0);
	if (len == 1 && line[0] == '.') {
		buf_add(&b, ".\r\n", 3);
		send_lines(s, buf_head(&b), buf_avail(&b), true, now);
		push_pending(s, VERB_DOT, ".", 1, now);
	} else {
		data_encode_line(&b, line, len);
		send_lines(s, buf_head(&b), buf_avail(&b), true, now);
	}
	buf_free(&b);
	return 0;
}

static bool
dot_pending(const struct session *s)
{
	size_t	i;

	for (i = 0; i < s->npending; i++)
		if (s->pending[i].verb == VERB_DOT)
			return true;
	return false;
}

/* What TLS forbids now: STARTTLS inside TLS, plaintext with --require-tls. */
static int
refuse_for_tls(const struct session *s, enum command_verb v, char **errstr)
{
	const char	*name = command_info(v)->name;

	if (s->tls_wanted)
		return seterr(errstr, "cannot send %s: the TLS handshake is "
		    "under way", *name != '\0' ? name : "that");
	if (v == VERB_STARTTLS && s->tls)
		return seterr(errstr, "cannot send STARTTLS: the session is "
		    "already under TLS");
	if (!s->cfg.require_tls || (s->tls && s->verified))
		return 0;
	switch (v) {
	case VERB_EHLO:
	case VERB_HELO:
	case VERB_LHLO:
	case VERB_STARTTLS:
	case VERB_NOOP:
	case VERB_RSET:
	case VERB_QUIT:
		return 0;
	default:
		return seterr(errstr, "cannot send %s: TLS is required "
		    "(--require-tls) and the session is not under verified TLS",
		    *name != '\0' ? name : "that command");
	}
}

bool
session_in_message(const struct session *s)
{
	return s->phase == PHASE_DATA && !dot_pending(s);
}

int
session_command(struct session *s, const char *line, size_t len,
    uint64_t now, char **errstr)
{
	enum command_verb	 v;
	struct buf		 b;
	const char		*arg;
	size_t			 n;

	if (s->phase == PHASE_IDLE || s->phase == PHASE_CLOSED)
		return seterr(errstr, "cannot send \"%.*s\": not connected",
		    (int)(len > 40 ? 40 : len), line);
	if (session_in_message(s))
		return message_line(s, line, len, now, errstr);
	if (command_check(line, len, errstr) == -1)
		return -1;
	v = command_verb_of(line, len);
	if (refuse_for_tls(s, v, errstr) == -1)
		return -1;
	check_order(s, v, now);
	if (s->cfg.simulate != NULL) {
		struct session_sim	sim;

		memset(&sim, 0, sizeof(sim));
		if (s->cfg.simulate(s->cfg.simulate_arg, v, line, len, now,
		    &sim) == 1 && (sim.code != 0 || sim.drop)) {
			simulate_reply(s, v, line, len, now, &sim);
			return 0;
		}
	}
	buf_init(&b, 0);
	if (command_build(&b, line, NULL, 0, errstr) == -1) {
		buf_free(&b);
		return -1;
	}
	send_lines(s, buf_head(&b), buf_avail(&b), false, now);
	buf_free(&b);
	project(s, v);
	push_pending(s, v, line, len, now);
	switch (v) {
	case VERB_EHLO:
	case VERB_HELO:
	case VERB_LHLO:
		arg = memchr(line, ' ', len);
		n = arg == NULL ? 0 : len - (size_t)(arg - line) - 1;
		if (n >= sizeof(s->hello_arg))
			n = sizeof(s->hello_arg) - 1;
		memcpy(s->hello_arg, arg == NULL ? "" : arg + 1, n);
		s->hello_arg[n] = '\0';
		if (s->caps.known || s->caps.n > 0) {
			caps_clear(&s->caps);
			caps_event(s, now);
		}
		break;
	case VERB_QUIT:
		set_phase(s, PHASE_QUIT, now);
		break;
	default:
		break;
	}
	return 0;
}

int
session_message(struct session *s, const char *body, size_t len,
    uint64_t now, char **errstr)
{
	if (session_in_message(s))
		return seterr(errstr, "cannot send the message: message text "
		    "is already being typed; end it with a lone \".\"");
	if (s->body != NULL)
		return seterr(errstr, "cannot send the message: another one "
		    "waits for its 354");
	if (session_command(s, "DATA", 4, now, errstr) == -1)
		return -1;
	s->body = xrealloc(NULL, len);
	memcpy(s->body, body, len);
	s->bodylen = len;
	return 0;
}

uint64_t
session_deadline(const struct session *s)
{
	if (s->npending > 0 && s->pending[0].simulated && s->nsims > 0 &&
	    s->phase != PHASE_CLOSED)
		return s->sims[0].due;
	if (s->cfg.reply_timeout == 0 || s->npending == 0 ||
	    s->phase == PHASE_CLOSED || s->phase == PHASE_IDLE)
		return 0;
	return s->wait_since + s->cfg.reply_timeout;
}

void
session_tick(struct session *s, uint64_t now)
{
	uint64_t	dl = session_deadline(s);

	if (dl == 0 || now < dl)
		return;
	if (s->npending > 0 && s->pending[0].simulated) {
		deliver_sims(s, now, false);
		return;
	}
	if (s->pending[0].verb == VERB_BANNER)
		diag(s, now, SEV_ERROR, "timeout", "no banner from the server "
		    "within %.1f s (--timeout)",
		    (double)s->cfg.reply_timeout / 1e6);
	else
		diag(s, now, SEV_ERROR, "timeout", "no reply to %s within "
		    "%.1f s (--timeout)", s->pending[0].text,
		    (double)s->cfg.reply_timeout / 1e6);
	finish(s, CLOSE_TIMEOUT, now);
}

size_t
session_output(const struct session *s, const char **p)
{
	*p = buf_head(&s->out);
	return buf_avail(&s->out);
}

void
session_output_done(struct session *s, size_t n)
{
	buf_consume(&s->out, n);
}

enum session_phase
session_phase(const struct session *s)
{
	return s->phase;
}

const struct caps *
session_caps(const struct session *s)
{
	return &s->caps;
}

size_t
session_pending(const struct session *s)
{
	return s->npending;
}

bool
session_idle(const struct session *s)
{
	return s->npending == 0 && buf_avail(&s->out) == 0 &&
	    s->body == NULL && !s->tls_wanted;
}

bool
session_last_simulated(const struct session *s)
{
	return s->last_sim;
}

const struct reply *
session_last_reply(const struct session *s, int64_t *latency)
{
	if (latency != NULL)
		*latency = s->last_latency;
	return s->last.code != 0 ? &s->last : NULL;
}
