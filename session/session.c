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
#include "sasl.h"
#include "session.h"
#include "xmalloc.h"

/* RFC 4954 4: an AUTH line, or an answer, is at most 12288 octets. */
#define AUTH_MAX_LINE	12288

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

	char			*body;		/* the encoded message, "." */
	size_t			 bodylen;	/* included, sent after 354 */
	bool			 body_raw;	/* session_message_raw() */
	bool			 body_tx;	/* session_send_tx(): sent only
						 * if a RCPT was accepted */

	/* AUTH: the exchange the engine drives, or a typed one. */
	struct sasl_client	*sasl;
	bool			 auth_typed;	/* a typed AUTH awaits */
	bool			 sasl_cont;	/* next typed line answers 334 */
	bool			 auth_tried;	/* --auth, on this connection */
	struct secret {
		char		*p;
		size_t		 len;
	}			*secrets;	/* masked wherever they show */
	size_t			 nsecrets;

	/* Commands waiting their turn (no PIPELINING). */
	struct queued {
		enum command_verb verb;
		char		*line;
		char		*payload;	/* a BDAT chunk */
		size_t		 paylen;
		bool		 tx;		/* session_send_tx() */
	}			*queue;
	size_t			 nqueue;
	size_t			 qhead;
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
static void	auth_end(struct session *);
static void	queue_clear(struct session *);
static int	queue_pop_send(struct session *, uint64_t, char **);
static int	command_out(struct session *, enum command_verb,
		    const char *, size_t, const char *, size_t, uint64_t,
		    char **);

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
	auth_end(s);
	queue_clear(s);
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
	auth_end(s);
	queue_clear(s);
	free(s->queue);
	free(s->secrets);
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
	c->pipelined = s->npending > 1 && verb != VERB_AUTH &&
	    verb != VERB_DOT;
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
	s->auth_tried = false;
	auth_end(s);
	queue_clear(s);
	s->phase = PHASE_IDLE;
	push_pending(s, VERB_BANNER, "(banner)", 8, now);
	set_phase(s, PHASE_BANNER, now);
}

/* Queue bytes already built as one SENT line each; RAW: not normalised. */
static void
send_lines_flags(struct session *s, const char *p, size_t len, bool message,
    bool raw, uint64_t now)
{
	struct session_event	 ev = { .type = SEV_T_SENT };
	const char		*nl;
	size_t			 n;

	buf_add(&s->out, p, len);
	ev.raw = raw;
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl == NULL ? len : (size_t)(nl - p) + 1;
		ev.line = p;
		ev.len = n >= 2 && nl != NULL ? n - 2 : n;
		ev.eol = nl != NULL ? BUF_EOL_CRLF : BUF_EOL_NONE;
		ev.in_message = message;
		if (raw) {
			/* A raw line ends where its LF is, whatever precedes. */
			ev.len = nl != NULL ? n - 1 : n;
			ev.eol = nl == NULL ? BUF_EOL_NONE :
			    ev.len > 0 && p[ev.len - 1] == '\r' ?
			    BUF_EOL_CRLF : BUF_EOL_LF;
			if (ev.eol == BUF_EOL_CRLF)
				ev.len--;
		}
		emit(s, &ev, now);
		p += n;
		len -= n;
	}
}

static void
send_lines(struct session *s, const char *p, size_t len, bool message,
    uint64_t now)
{
	send_lines_flags(s, p, len, message, false, now);
}

/* Remember a secret, to mask it wherever it shows. */
static void
secret_add(struct session *s, const char *p, size_t len)
{
	if (len < 3)
		return;		/* "=", "*": masking them would garble text */
	s->secrets = xrealloc(s->secrets, (s->nsecrets + 1) *
	    sizeof(*s->secrets));
	s->secrets[s->nsecrets].p = xstrndup(p, len);
	s->secrets[s->nsecrets].len = len;
	s->nsecrets++;
}

static void
secrets_wipe(struct session *s)
{
	size_t	i;

	for (i = 0; i < s->nsecrets; i++)
		sasl_wipe_free(s->secrets[i].p, s->secrets[i].len);
	s->nsecrets = 0;
}

/*
 * LINE with every secret in it replaced by SASL_MASK: allocated into *out,
 * or 0 when it holds none.
 */
static int
mask_secrets(const struct session *s, const char *line, size_t len,
    char **out, size_t *outlen)
{
	struct buf	 b;
	const char	*hit, *best;
	size_t		 i, bestlen, at = 0;
	bool		 any = false;

	if (s->nsecrets == 0 || s->cfg.show_secrets)
		return 0;
	buf_init(&b, 0);
	for (;;) {
		best = NULL;
		bestlen = 0;
		for (i = 0; i < s->nsecrets; i++) {
			hit = memmem(line + at, len - at, s->secrets[i].p,
			    s->secrets[i].len);
			if (hit != NULL && (best == NULL || hit < best ||
			    (hit == best && s->secrets[i].len > bestlen))) {
				best = hit;
				bestlen = s->secrets[i].len;
			}
		}
		if (best == NULL)
			break;
		any = true;
		buf_add(&b, line + at, (size_t)(best - (line + at)));
		buf_addstr(&b, SASL_MASK);
		at = (size_t)(best - line) + bestlen;
	}
	if (!any) {
		buf_free(&b);
		return 0;
	}
	buf_add(&b, line + at, len - at);
	*outlen = buf_avail(&b);
	*out = xstrndup(buf_head(&b), *outlen);
	explicit_bzero((void *)buf_head(&b), buf_avail(&b));
	buf_free(&b);
	return 1;
}

/*
 * Send the bytes of one line holding a secret (CRLF added); the transcript
 * gets SHOWN instead (unless show_secrets).
 */
static void
send_secret(struct session *s, const char *line, size_t len,
    const char *shown, uint64_t now)
{
	struct session_event	ev = { .type = SEV_T_SENT };

	buf_add(&s->out, line, len);
	buf_add(&s->out, "\r\n", 2);
	if (s->cfg.show_secrets) {
		ev.line = line;
		ev.len = len;
	} else {
		ev.line = shown;
		ev.len = strlen(shown);
		ev.masked = true;
	}
	ev.eol = BUF_EOL_CRLF;
	emit(s, &ev, now);
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
		size_t	 n = strlen(r->text[i]) + 1, mlen;
		char	*m;

		if (mask_secrets(s, r->text[i], n - 1, &m, &mlen) == 1) {
			s->last.text[i] = m;
			continue;
		}
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
	if (!s->rcpt_ok && s->body_tx) {
		/* RFC 2920 3.1: no recipient, yet a 354: end it at once. */
		diag(s, now, SEV_WARNING, "data", "354 came although no "
		    "recipient was accepted: the message is not sent, only "
		    "the \".\" that ends it");
		send_lines(s, ".\r\n", 3, true, now);
	} else if (s->body_raw) {
		diag(s, now, SEV_WARNING, "data", "the message goes out raw "
		    "(r-> lines): not normalised, not dot-stuffed");
		send_lines_flags(s, s->body, s->bodylen, true, true, now);
	} else
		send_lines(s, s->body, s->bodylen, true, now);
	free(s->body);
	s->body = NULL;
	/* The last line is the ".": it waits for the final reply. */
	push_pending(s, VERB_DOT, ".", 1, now);
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

static void
auth_event(struct session *s, enum session_auth what, uint64_t now)
{
	struct session_event	ev = { .type = SEV_T_AUTH };

	ev.auth_ev = what;
	emit(s, &ev, now);
}

/* --auth could not even start: say why, and let the front end decide. */
static void
auth_refused(struct session *s, uint64_t now, const char *why)
{
	diag(s, now, SEV_ERROR, "auth", "%s", why);
	auth_event(s, AUTH_REFUSED, now);
}

/* --auth: authenticate now, once a connection. */
static void
auto_auth(struct session *s, uint64_t now)
{
	char	*err = NULL;

	if (s->cfg.auth_mech == SASL_NONE || s->auth_tried)
		return;
	s->auth_tried = true;
	if (s->caps.known && s->caps.nauth == 0) {
		auth_refused(s, now, "cannot authenticate: the server does "
		    "not advertise AUTH here");
		return;
	}
	if (session_auth(s, s->cfg.auth_mech, s->cfg.auth_user,
	    s->cfg.auth_secret, s->cfg.auth_secretlen, now, &err) == -1) {
		auth_refused(s, now, err);
		free(err);
	}
}

/* After a greeting: STARTTLS by ourselves, AUTH, or give up without. */
static void
after_ehlo(struct session *s, uint64_t now)
{
	char	*err = NULL;

	if (s->tls) {
		auto_auth(s, now);
		return;
	}
	if (s->cfg.starttls && !s->starttls_sent &&
	    caps_has(&s->caps, "STARTTLS")) {
		s->starttls_sent = true;
		if (session_command(s, "STARTTLS", 8, now, &err) == -1)
			free(err);
		return;
	}
	if (s->cfg.require_tls && !caps_has(&s->caps, "STARTTLS")) {
		tls_missing(s, now, "the server does not offer STARTTLS");
		return;
	}
	if (s->cfg.auth_mech != SASL_NONE && !s->auth_tried &&
	    !s->cfg.allow_plaintext_auth) {
		s->auth_tried = true;
		auth_refused(s, now, s->cfg.starttls ? "cannot authenticate: "
		    "the server does not offer STARTTLS, and AUTH over "
		    "plaintext would send the secret readable "
		    "(--allow-plaintext-auth to do it anyway)" :
		    "cannot authenticate: the connection is not under TLS "
		    "and AUTH would send the secret readable; use --starttls "
		    "or --tls (or --allow-plaintext-auth)");
		return;
	}
	auto_auth(s, now);
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

/* A DATA sent whose 354 has not come yet. */
static bool
data_awaits_354(const struct session *s)
{
	size_t	i;

	for (i = 0; i < s->npending; i++)
		if (s->pending[i].verb == VERB_DATA)
			return true;
	return false;
}

/* The exchange is over: the mechanism and every secret wiped. */
static void
auth_end(struct session *s)
{
	sasl_client_free(s->sasl);
	s->sasl = NULL;
	s->auth_typed = s->sasl_cont = false;
	secrets_wipe(s);
}

/* A reply to AUTH or to an answer: 334 goes on, anything else ends it. */
static void
auth_reply(struct session *s, const struct reply *r, uint64_t now)
{
	const char	*text = r->nlines > 0 ? r->text[0] : "";
	const char	*what = NULL;
	char		*shown, *resp = NULL, *err = NULL;

	if (r->code == 334 && (s->sasl != NULL || s->auth_typed)) {
		shown = sasl_decode_challenge(text, strlen(text));
		if (shown != NULL)
			diag(s, now, SEV_INFO, "auth", "334 decoded: \"%s\"",
			    shown);
		else
			diag(s, now, SEV_WARNING, "auth", "the 334 challenge "
			    "is not base64");
		free(shown);
		if (s->sasl == NULL) {
			s->sasl_cont = true;
			diag(s, now, SEV_INFO, "auth", "the next line typed "
			    "is the answer, in base64 (masked), or \"*\" to "
			    "cancel");
			return;
		}
		if (sasl_client_step(s->sasl, text, strlen(text), &resp,
		    &what, &err) == -1) {
			diag(s, now, SEV_ERROR, "auth", "%s: cancelling with "
			    "\"*\"", err);
			free(err);
			send_lines(s, "*\r\n", 3, false, now);
			push_pending(s, VERB_AUTH, "* (cancel AUTH)", 15, now);
			return;
		}
		secret_add(s, resp, strlen(resp));
		send_secret(s, resp, strlen(resp), *resp == '\0' ? "" :
		    SASL_MASK, now);
		push_pending(s, VERB_AUTH, "(AUTH answer)", 13, now);
		diag(s, now, SEV_INFO, "auth", "sent %s%s", what != NULL ?
		    what : "the answer", *resp != '\0' &&
		    !s->cfg.show_secrets ? " (masked)" : "");
		sasl_wipe_free(resp, strlen(resp));
		return;
	}
	if (r->code == 235) {
		diag(s, now, SEV_INFO, "auth", "authenticated");
		auth_end(s);
		auth_event(s, AUTH_OK, now);
		return;
	}
	if (r->code == 334)
		return;		/* not ours: a typed answer without AUTH */
	auth_end(s);
	auth_event(s, AUTH_FAILED, now);
}

/*
 * The next queued command, once nothing is awaited.  A failed MAIL ends
 * the transaction; no accepted RCPT keeps the message back.
 */
static void
queue_next(struct session *s, const struct session_cmd *c, int code,
    uint64_t now)
{
	struct queued	*q;
	char		*err = NULL;

	if (s->qhead >= s->nqueue || s->npending > 0 ||
	    s->phase == PHASE_CLOSED)
		return;
	q = &s->queue[s->qhead];
	if (c != NULL && code / 100 != 2 && code != 354 &&
	    (c->verb == VERB_MAIL || c->verb == VERB_BDAT ||
	    c->verb == VERB_DATA || c->verb == VERB_DOT)) {
		diag(s, now, SEV_INFO, "transaction", "%s failed: the rest "
		    "of the transaction is not sent", c->text);
		queue_clear(s);
		return;
	}
	if ((q->verb == VERB_DATA || q->verb == VERB_BDAT) && q->tx &&
	    !s->rcpt_ok) {
		diag(s, now, SEV_INFO, "transaction", "no recipient was "
		    "accepted: the message is not sent");
		queue_clear(s);
		return;
	}
	if (queue_pop_send(s, now, &err) == -1) {
		diag(s, now, SEV_ERROR, "transaction", "%s", err);
		free(err);
	}
}

/* Send the head of the queue at once. */
static int
queue_pop_send(struct session *s, uint64_t now, char **errstr)
{
	struct queued	*q = &s->queue[s->qhead++];
	int		 rc;

	rc = command_out(s, q->verb, q->line, strlen(q->line), q->payload,
	    q->paylen, now, errstr);
	free(q->line);
	free(q->payload);
	q->line = q->payload = NULL;
	if (rc == -1)
		queue_clear(s);
	else if (s->qhead == s->nqueue)
		s->nqueue = s->qhead = 0;
	return rc;
}

static void
queue_clear(struct session *s)
{
	size_t	i;

	for (i = s->qhead; i < s->nqueue; i++) {
		free(s->queue[i].line);
		free(s->queue[i].payload);
	}
	s->nqueue = s->qhead = 0;
	if (s->body != NULL && !data_awaits_354(s)) {
		free(s->body);
		s->body = NULL;
	}
}

static void
queue_add(struct session *s, enum command_verb v, const char *line,
    const char *payload, size_t paylen)
{
	struct queued	*q;

	s->queue = xrealloc(s->queue, (s->nqueue + 1) * sizeof(*s->queue));
	q = &s->queue[s->nqueue++];
	q->verb = v;
	q->line = xstrdup(line);
	q->payload = NULL;
	q->paylen = paylen;
	q->tx = false;
	if (payload != NULL) {
		q->payload = xmalloc(paylen + 1);
		memcpy(q->payload, payload, paylen);
	}
}

static void	handle_reply1(struct session *, const struct reply *,
		    uint64_t, struct session_cmd *, bool *);

static void
handle_reply(struct session *s, const struct reply *r, uint64_t now)
{
	struct session_cmd	cmd;
	bool			had = false;

	handle_reply1(s, r, now, &cmd, &had);
	if (s->nqueue > s->qhead)
		queue_next(s, had ? &cmd : NULL, r->code, now);
}

static void
handle_reply1(struct session *s, const struct reply *r, uint64_t now,
    struct session_cmd *out, bool *had)
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
		*out = cmd;
		*had = true;
	}
	ev.reply = r;
	ev.cmd = c;
	ev.latency = c != NULL ? (int64_t)(now - c->sent) : -1;
	save_last(s, r, ev.latency);
	s->last_sim = c != NULL && c->simulated;
	emit(s, &ev, now);
	/* Pipelined: say which command this reply answers. */
	if (c != NULL && c->verb != VERB_BANNER && (c->pipelined ||
	    (s->npending > 0 && s->pending[0].pipelined)))
		diag(s, now, SEV_INFO, "pipelining", "%d answers %s", code,
		    c->text);

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
		if (c->verb == VERB_DOT || code / 100 != 2 ||
		    strstr(c->text, " LAST") != NULL) {
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
	case VERB_AUTH:
		auth_reply(s, r, now);
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
	char			*err = NULL, *masked = NULL;
	size_t			 mlen;
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
	if (mask_secrets(s, line, len, &masked, &mlen) == 1) {
		ev.line = masked;
		ev.len = mlen;
		ev.masked = true;
		diag(s, now, SEV_WARNING, "auth", "the server echoes a "
		    "secret back: masked");
	}
	emit(s, &ev, now);
	free(masked);
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

/* AUTH over plaintext, or in the middle of an exchange. */
static int
refuse_auth(const struct session *s, char **errstr)
{
	if (s->sasl != NULL || s->auth_typed)
		return seterr(errstr, "cannot start AUTH: another AUTH "
		    "exchange is under way");
	if (!s->tls && !s->cfg.allow_plaintext_auth)
		return seterr(errstr, "cannot send AUTH over plaintext: the "
		    "secret would cross the network readable by anyone on "
		    "the path; use STARTTLS first (:starttls), or "
		    "--allow-plaintext-auth on a network you trust");
	return 0;
}

/*
 * Send one command (and, for BDAT, its chunk), unless a rule answers it.
 * SHOWN is what the transcript gets when the line holds a secret.
 */
static int
command_send(struct session *s, enum command_verb v, const char *line,
    size_t len, const char *shown, const char *payload, size_t paylen,
    uint64_t now, char **errstr)
{
	struct buf	 b;
	const char	*arg, *label = shown != NULL ? shown : line;
	size_t		 n, labellen = shown != NULL ? strlen(shown) : len;

	if (refuse_for_tls(s, v, errstr) == -1)
		return -1;
	check_order(s, v, now);
	if (s->cfg.simulate != NULL) {
		struct session_sim	sim;

		memset(&sim, 0, sizeof(sim));
		if (s->cfg.simulate(s->cfg.simulate_arg, v, label, labellen,
		    now, &sim) == 1 && (sim.code != 0 || sim.drop)) {
			simulate_reply(s, v, label, labellen, now, &sim);
			return 0;
		}
	}
	if (shown != NULL) {
		send_secret(s, line, len, shown, now);
	} else {
		buf_init(&b, 0);
		if (command_build(&b, line, NULL, 0, errstr) == -1) {
			buf_free(&b);
			return -1;
		}
		send_lines(s, buf_head(&b), buf_avail(&b), false, now);
		buf_free(&b);
	}
	if (payload != NULL && paylen > 0)
		send_lines(s, payload, paylen, true, now);
	project(s, v);
	push_pending(s, v, label, labellen, now);
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

static int
command_out(struct session *s, enum command_verb v, const char *line,
    size_t len, const char *payload, size_t paylen, uint64_t now,
    char **errstr)
{
	return command_send(s, v, line, len, NULL, payload, paylen, now,
	    errstr);
}

/* The typed answer to a 334: masked, and the exchange goes on. */
static int
sasl_answer(struct session *s, const char *line, size_t len, uint64_t now,
    char **errstr)
{
	bool	cancel = len == 1 && line[0] == '*';

	if (len > AUTH_MAX_LINE)
		return seterr(errstr, "cannot send the AUTH answer: longer "
		    "than %d bytes (RFC 4954)", AUTH_MAX_LINE);
	s->sasl_cont = false;
	if (!cancel)
		secret_add(s, line, len);
	send_secret(s, line, len, cancel || len == 0 ? (cancel ? "*" : "") :
	    SASL_MASK, now);
	push_pending(s, VERB_AUTH, cancel ? "* (cancel AUTH)" :
	    "(AUTH answer)", cancel ? 15 : 13, now);
	return 0;
}

int
session_command(struct session *s, const char *line, size_t len,
    uint64_t now, char **errstr)
{
	enum command_verb	 v;
	char			*masked = NULL;
	int			 rc;

	if (s->phase == PHASE_IDLE || s->phase == PHASE_CLOSED)
		return seterr(errstr, "cannot send \"%.*s\": not connected",
		    (int)(len > 40 ? 40 : len), line);
	if (session_in_message(s))
		return message_line(s, line, len, now, errstr);
	if (command_check(line, len, errstr) == -1)
		return -1;
	if (s->sasl_cont)
		return sasl_answer(s, line, len, now, errstr);
	if (data_awaits_354(s) || s->body != NULL)
		return seterr(errstr, "cannot send \"%.*s\" now: DATA awaits "
		    "its 354, and what follows it would be taken as message "
		    "text", (int)(len > 40 ? 40 : len), line);
	v = command_verb_of(line, len);
	if (v != VERB_AUTH)
		return command_send(s, v, line, len, NULL, NULL, 0, now,
		    errstr);
	if (refuse_auth(s, errstr) == -1)
		return -1;
	if (len > AUTH_MAX_LINE)
		return seterr(errstr, "cannot send AUTH: longer than %d bytes "
		    "(RFC 4954)", AUTH_MAX_LINE);
	if (sasl_mask_auth_line(line, len, &masked)) {
		const char *ir = memrchr(line, ' ', len) + 1;

		secret_add(s, ir, len - (size_t)(ir - line));
	}
	s->auth_typed = true;
	rc = command_send(s, v, line, len, masked, NULL, 0, now, errstr);
	if (rc == -1 || session_phase(s) == PHASE_CLOSED)
		auth_end(s);
	free(masked);
	return rc;
}

bool
session_wants_sasl_response(const struct session *s)
{
	return s->sasl_cont;
}

int
session_auth_ready(const struct session *s, char **errstr)
{
	if (s->phase == PHASE_IDLE || s->phase == PHASE_CLOSED)
		return seterr(errstr, "cannot authenticate: not connected");
	if (s->phase != PHASE_GREETED || s->npending > 0 ||
	    s->nqueue > s->qhead || s->tls_wanted)
		return seterr(errstr, "cannot authenticate now: %s",
		    s->phase < PHASE_GREETED ? "send EHLO first" :
		    s->phase > PHASE_GREETED ? "a mail transaction is open "
		    "(RSET first)" : "wait for the replies awaited");
	return refuse_auth(s, errstr);
}

int
session_auth(struct session *s, enum sasl_mech mech, const char *user,
    const char *secret, size_t secretlen, uint64_t now, char **errstr)
{
	struct buf	 b;
	char		*ir = NULL, shown[64];
	const char	*name = sasl_mech_name(mech);
	int		 rc;

	if (mech == SASL_NONE || mech >= SASL_MECH_LAST)
		return seterr(errstr, "cannot authenticate: no such "
		    "mechanism (PLAIN, LOGIN, CRAM-MD5, XOAUTH2, "
		    "OAUTHBEARER)");
	if (session_auth_ready(s, errstr) == -1)
		return -1;
	if (s->caps.known && !caps_has_auth(&s->caps, name))
		diag(s, now, SEV_WARNING, "auth", "the server does not "
		    "advertise AUTH %s: trying it all the same", name);
	s->sasl = sasl_client_new(mech, user, secret, secretlen,
	    s->cfg.auth_host, s->cfg.auth_port, errstr);
	if (s->sasl == NULL)
		return -1;
	sasl_client_start(s->sasl, &ir);
	buf_init(&b, 0);
	buf_printf(&b, "AUTH %s%s%s", name, ir != NULL ? " " : "",
	    ir != NULL ? ir : "");
	snprintf(shown, sizeof(shown), "AUTH %s%s", name, ir != NULL ?
	    " " SASL_MASK : "");
	if (buf_avail(&b) > AUTH_MAX_LINE) {
		rc = seterr(errstr, "cannot authenticate: the AUTH line would "
		    "be longer than %d bytes (RFC 4954)", AUTH_MAX_LINE);
	} else {
		if (ir != NULL)
			secret_add(s, ir, strlen(ir));
		if (secretlen >= 4)
			secret_add(s, secret, secretlen);
		diag(s, now, SEV_INFO, "auth", "AUTH %s as \"%s\"%s", name,
		    user != NULL ? user : "", ir != NULL ?
		    ": the initial response carries the credentials" : "");
		rc = command_send(s, VERB_AUTH, buf_head(&b), buf_avail(&b),
		    ir != NULL ? shown : NULL, NULL, 0, now, errstr);
	}
	explicit_bzero((void *)buf_head(&b), buf_avail(&b));
	buf_free(&b);
	if (ir != NULL)
		sasl_wipe_free(ir, strlen(ir));
	if (rc == -1)
		auth_end(s);
	return rc;
}

/*
 * RFC 5322 2.1.1: a line is at most 998 octets.  A longer one is sent as
 * it is (never cut), with a warning: :compose folds such lines with
 * quoted-printable.
 */
static void
long_lines(struct session *s, const char *p, size_t len, uint64_t now)
{
	const char	*nl, *end = p + len;
	size_t		 n = 0, first = 0, line = 0;

	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > 999) {	/* 998 and the CR */
			if (n++ == 0)
				first = line;
		}
		p = nl + 1;
	}
	if (n > 0)
		diag(s, now, SEV_WARNING, "data", "%zu line%s longer than 998 "
		    "octets (the first is line %zu): sent whole, but servers "
		    "may refuse or cut them (RFC 5322 2.1.1); :compose folds "
		    "long lines with quoted-printable", n, n == 1 ? " is" :
		    "s are", first);
}

/* Can a message start now? */
static int
message_ready(const struct session *s, char **errstr)
{
	if (s->phase == PHASE_IDLE || s->phase == PHASE_CLOSED)
		return seterr(errstr, "cannot send the message: not "
		    "connected");
	if (session_in_message(s))
		return seterr(errstr, "cannot send the message: message text "
		    "is already being typed; end it with a lone \".\"");
	if (s->body != NULL || s->nqueue > s->qhead)
		return seterr(errstr, "cannot send the message: another one "
		    "is on its way");
	return 0;
}

int
session_message(struct session *s, const char *body, size_t len,
    uint64_t now, char **errstr)
{
	struct buf	b;
	size_t		nul;

	if (message_ready(s, errstr) == -1)
		return -1;
	buf_init(&b, 0);
	if (data_encode_checked(&b, body, len, &nul) == -1) {
		buf_free(&b);
		return seterr(errstr, "cannot send the message: it holds a "
		    "NUL byte at offset %zu", nul);
	}
	if (session_command(s, "DATA", 4, now, errstr) == -1) {
		buf_free(&b);
		return -1;
	}
	long_lines(s, buf_head(&b), buf_avail(&b), now);
	s->bodylen = buf_avail(&b);
	s->body = xstrndup(buf_head(&b), s->bodylen);
	s->body_raw = s->body_tx = false;
	buf_free(&b);
	return 0;
}

int
session_message_raw(struct session *s, const char *body, size_t len,
    uint64_t now, char **errstr)
{
	bool	crlf = len >= 2 && body[len - 2] == '\r' &&
		    body[len - 1] == '\n';

	if (message_ready(s, errstr) == -1)
		return -1;
	if (session_command(s, "DATA", 4, now, errstr) == -1)
		return -1;
	s->body = xmalloc(len + 6);
	memcpy(s->body, body, len);
	memcpy(s->body + len, crlf ? ".\r\n" : "\r\n.\r\n", crlf ? 3 : 5);
	s->bodylen = len + (crlf ? 3 : 5);
	s->body_raw = true;
	s->body_tx = false;
	return 0;
}

static bool
ascii(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return false;
	return true;
}

/* RFC 3461 4: xtext, for ENVID and ORCPT. */
static void
xtext(struct buf *b, const char *p)
{
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			buf_printf(b, "+%02X", c);
		else
			buf_add(b, p, 1);
	}
}

/* A chunk end that does not split a CRLF. */
static size_t
chunk_end(const char *p, size_t len, size_t at, size_t chunk)
{
	size_t	end = chunk == 0 || len - at <= chunk ? len : at + chunk;

	if (end < len && end > at + 1 && p[end - 1] == '\r' && p[end] == '\n')
		end++;
	return end;
}

/* BDAT commands for BODY (normalised): sent now, or queued. */
static int
bdat_out(struct session *s, const char *p, size_t len, size_t chunk,
    bool queue, uint64_t now, char **errstr)
{
	char	line[64];
	size_t	at = 0, end;

	do {
		end = chunk_end(p, len, at, chunk);
		snprintf(line, sizeof(line), "BDAT %zu%s", end - at,
		    end == len ? " LAST" : "");
		if (queue)
			queue_add(s, VERB_BDAT, line, p + at, end - at);
		else if (command_out(s, VERB_BDAT, line, strlen(line), p + at,
		    end - at, now, errstr) == -1)
			return -1;
		at = end;
	} while (at < len);
	return 0;
}

int
session_bdat(struct session *s, const char *body, size_t len, size_t chunk,
    uint64_t now, char **errstr)
{
	struct buf	b;
	size_t		nul;
	bool		pipe;
	int		rc;

	if (message_ready(s, errstr) == -1)
		return -1;
	if (s->caps.known && !caps_has(&s->caps, "CHUNKING"))
		diag(s, now, SEV_WARNING, "order", "BDAT, and the server did "
		    "not advertise CHUNKING");
	buf_init(&b, 0);
	if (data_normalize(&b, body, len, &nul) == -1) {
		buf_free(&b);
		return seterr(errstr, "cannot send the message: it holds a "
		    "NUL byte at offset %zu", nul);
	}
	pipe = caps_has(&s->caps, "PIPELINING");
	if (pipe)
		rc = bdat_out(s, buf_head(&b), buf_avail(&b), chunk, false,
		    now, errstr);
	else {
		/* One chunk now (if nothing is awaited), the rest queued. */
		rc = bdat_out(s, buf_head(&b), buf_avail(&b), chunk, true,
		    now, errstr);
		if (rc == 0 && s->npending == 0)
			rc = queue_pop_send(s, now, errstr);
	}
	buf_free(&b);
	return rc;
}

int
session_bdat_chunk(struct session *s, const char *data, size_t len,
    bool last, uint64_t now, char **errstr)
{
	char	line[64];

	if (message_ready(s, errstr) == -1)
		return -1;
	snprintf(line, sizeof(line), "BDAT %zu%s", len, last ? " LAST" : "");
	return command_out(s, VERB_BDAT, line, strlen(line), data, len, now,
	    errstr);
}

size_t
session_queued(const struct session *s)
{
	return s->nqueue - s->qhead;
}

int
session_send_tx(struct session *s, const struct session_tx *tx,
    uint64_t now, char **errstr)
{
	struct buf	 b, mail, rcpt;
	size_t		 i, nul, size;
	bool		 pipe, dsn, ok = true;
	int		 rc = 0;

	if (message_ready(s, errstr) == -1)
		return -1;
	if (s->phase != PHASE_GREETED || s->npending > 0)
		return seterr(errstr, "cannot send the message: %s",
		    s->phase < PHASE_GREETED ? "send EHLO first" :
		    s->phase > PHASE_GREETED ? "a mail transaction is open "
		    "(RSET first)" : "wait for the replies awaited");
	if (tx->from == NULL || tx->nrcpt == 0)
		return seterr(errstr, "cannot send the message: it needs a "
		    "sender and at least one recipient");
	if (tx->bdat && s->caps.known && !caps_has(&s->caps, "CHUNKING"))
		return seterr(errstr, "cannot send the message with BDAT: the "
		    "server does not advertise CHUNKING");
	if (tx->eightbit && !caps_has(&s->caps, "8BITMIME"))
		return seterr(errstr, "cannot send the message: it holds "
		    "8-bit text and the server does not advertise 8BITMIME");
	if (tx->smtputf8 && !caps_has(&s->caps, "SMTPUTF8"))
		return seterr(errstr, "cannot send the message: it needs "
		    "SMTPUTF8 (UTF-8 addresses or headers) and the server "
		    "does not advertise it");
	if (tx->requiretls && (!s->tls || !caps_has(&s->caps, "REQUIRETLS")))
		return seterr(errstr, "cannot send the message with "
		    "REQUIRETLS: %s", !s->tls ? "the session is not under "
		    "TLS" : "the server does not advertise REQUIRETLS");
	buf_init(&b, 0);
	rc = tx->bdat ? data_normalize(&b, tx->body, tx->len, &nul) :
	    data_encode_checked(&b, tx->body, tx->len, &nul);
	if (rc == -1) {
		buf_free(&b);
		return seterr(errstr, "cannot send the message: it holds a "
		    "NUL byte at offset %zu", nul);
	}
	rc = 0;
	size = buf_avail(&b) - (tx->bdat ? 0 : 3);
	if (s->caps.size_known && s->caps.size > 0 && size > s->caps.size) {
		buf_free(&b);
		return seterr(errstr, "cannot send the message: it is %zu "
		    "bytes and the server takes at most %llu (SIZE)", size,
		    (unsigned long long)s->caps.size);
	}
	dsn = caps_has(&s->caps, "DSN");
	if (!dsn && (tx->ret != NULL || tx->envid != NULL ||
	    tx->notify != NULL || tx->orcpt))
		diag(s, now, SEV_WARNING, "dsn", "the server does not "
		    "advertise DSN: RET, ENVID, NOTIFY and ORCPT are left out");

	buf_init(&mail, 0);
	buf_printf(&mail, "MAIL FROM:<%s>", tx->from);
	if (caps_has(&s->caps, "SIZE"))
		buf_printf(&mail, " SIZE=%zu", size);
	if (tx->eightbit)
		buf_addstr(&mail, " BODY=8BITMIME");
	if (tx->smtputf8)
		buf_addstr(&mail, " SMTPUTF8");
	if (dsn && tx->ret != NULL)
		buf_printf(&mail, " RET=%s", tx->ret);
	if (dsn && tx->envid != NULL) {
		buf_addstr(&mail, " ENVID=");
		xtext(&mail, tx->envid);
	}
	if (tx->requiretls)
		buf_addstr(&mail, " REQUIRETLS");
	buf_add(&mail, "", 1);
	if (command_check(buf_head(&mail), strlen(buf_head(&mail)),
	    errstr) == -1)
		ok = false;
	for (i = 0; ok && i < tx->nrcpt; i++) {
		char	*e = NULL;

		if (command_check(tx->rcpt[i], strlen(tx->rcpt[i]), &e) == -1) {
			rc = seterr(errstr, "cannot send the message: recipient "
			    "%zu: %s", i + 1, e);
			free(e);
			ok = false;
		}
	}
	if (!ok) {
		buf_free(&mail);
		buf_free(&b);
		return -1;
	}

	pipe = caps_has(&s->caps, "PIPELINING");
	if (pipe)
		diag(s, now, SEV_INFO, "pipelining", "the server advertises "
		    "PIPELINING: MAIL, %zu RCPT and %s go out together",
		    tx->nrcpt, tx->bdat ? "BDAT" : "DATA");
	queue_add(s, VERB_MAIL, buf_head(&mail), NULL, 0);
	buf_init(&rcpt, 0);
	for (i = 0; i < tx->nrcpt; i++) {
		buf_reset(&rcpt);
		buf_printf(&rcpt, "RCPT TO:<%s>", tx->rcpt[i]);
		if (dsn && tx->notify != NULL)
			buf_printf(&rcpt, " NOTIFY=%s", tx->notify);
		if (dsn && tx->orcpt) {
			/* RFC 6533: utf-8 only for an address that is. */
			buf_addstr(&rcpt, !ascii(tx->rcpt[i]) ?
			    " ORCPT=utf-8;" : " ORCPT=rfc822;");
			xtext(&rcpt, tx->rcpt[i]);
		}
		buf_add(&rcpt, "", 1);
		queue_add(s, VERB_RCPT, buf_head(&rcpt), NULL, 0);
	}
	buf_free(&rcpt);
	if (tx->bdat)
		rc = bdat_out(s, buf_head(&b), buf_avail(&b), tx->chunk, true,
		    now, errstr);
	else {
		queue_add(s, VERB_DATA, "DATA", NULL, 0);
		s->bodylen = buf_avail(&b);
		s->body = xstrndup(buf_head(&b), s->bodylen);
		s->body_raw = false;
	}
	buf_free(&mail);
	buf_free(&b);
	for (i = s->qhead; i < s->nqueue; i++)
		s->queue[i].tx = true;
	s->body_tx = !tx->bdat;
	/* With PIPELINING all of it now, else MAIL now, the rest in turn. */
	while (rc == 0 && s->nqueue > s->qhead && s->phase != PHASE_CLOSED) {
		rc = queue_pop_send(s, now, errstr);
		if (!pipe)
			break;
	}
	return rc;
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
	    s->body == NULL && !s->tls_wanted && s->qhead >= s->nqueue;
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
