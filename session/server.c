/*
 * The sandbox server's protocol side: see server.h.  Input is read in one
 * of five modes (command lines, the rest of a line too long, SASL lines,
 * DATA text, BDAT bytes); each command builds its reply in `cur`, and
 * commit() sends it at once or holds it for a rule's delay.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "server.h"
#include "server_auth.h"
#include "xmalloc.h"

enum mode {
	MODE_CMD,	/* command lines */
	MODE_SKIP,	/* the rest of a line too long, unread */
	MODE_AUTH,	/* SASL responses after a 334 */
	MODE_DATA,	/* message text after the 354 */
	MODE_BDAT,	/* a chunk's bytes */
};

/* Where the DATA scanner is; only CRLF ends a line. */
enum dstate {
	D_BOL,		/* at the start of a line */
	D_DOT,		/* "." at the start of a line */
	D_DOTCR,	/* ".\r" at the start of a line */
	D_MID,		/* inside a line */
	D_CR,		/* a CR inside a line, not yet stored */
};

/* A BDAT after a negative greeting: its chunk is read, then 503. */
#define BDAT_REFUSED	1

#define AFTER_CLOSE	0x1	/* close once the reply is out */
#define AFTER_TLS	0x2	/* the handshake once the 220 is out */

struct server {
	struct server_config	 cfg;
	server_event_fn		 fn;
	void			*arg;
	const char		*host;

	bool			 opened;
	bool			 closed;
	bool			 tls;
	bool			 tls_wanted;
	bool			 refused;	/* a negative greeting */
	enum mode		 mode;
	enum mode		 skip_from;	/* the mode a long line came in */
	struct buf		 in;
	struct buf		 out;
	struct buf		 cur;		/* the reply being built */
	unsigned		 after;
	enum server_close	 why;
	bool			 held;
	uint64_t		 held_until;
	uint64_t		 idle_since;
	/* DELIVER answered "pending": the reply waits for deliver_done */
	bool			 deliver_pending;
	uint64_t		 pending_delay;
	char			 pending_id[SERVER_QUEUE_ID_MAX];
	uint64_t		 started;
	uint32_t		 tarpit;
	uint64_t		 rng;

	/* The greeting and AUTH. */
	bool			 greeted;
	bool			 esmtp;
	char			 helo[256];
	char			*auth_user;
	struct server_sasl	 sasl;

	/* The transaction. */
	bool			 mail;
	char			*from;
	char			*from_params;
	struct server_rcpt	*rcpt;
	size_t			 nrcpt;
	size_t			 caprcpt;
	bool			 smtputf8;
	bool			 eightbit;
	bool			 chunking;	/* a BDAT was accepted */
	struct buf		 msg;
	uint64_t		 msgsize;	/* counted, stored or not */
	bool			 oversize;
	enum dstate		 dstate;
	uint64_t		 bdat_size;
	uint64_t		 bdat_left;
	bool			 bdat_last;
	int			 bdat_error;	/* 503, 554 or BDAT_REFUSED */
	char			 bdat_line[64];

	/* For the log. */
	bool			 bare_lf;	/* a bare LF was seen */
	bool			 bare_lf_seen;	/* in this scan */
	unsigned		 accepted;
	unsigned		 refused_msgs;
	unsigned		 rules;
	size_t			 nlabels;
	char			*labels[SERVER_LOG_RULES];
	size_t			 injected;
};

const char *const server_rule_event_names[SERVER_RULE_LAST] = {
	[SERVER_RULE_CONNECT] = "connect",
	[SERVER_RULE_BANNER] = "banner",
	[SERVER_RULE_HELO] = "helo",
	[SERVER_RULE_EHLO] = "ehlo",
	[SERVER_RULE_STARTTLS] = "starttls",
	[SERVER_RULE_AUTH] = "auth",
	[SERVER_RULE_MAIL] = "mail",
	[SERVER_RULE_RCPT] = "rcpt",
	[SERVER_RULE_DATA] = "data",
	[SERVER_RULE_DOT] = "dot",
	[SERVER_RULE_BDAT] = "bdat",
	[SERVER_RULE_RSET] = "rset",
	[SERVER_RULE_NOOP] = "noop",
	[SERVER_RULE_QUIT] = "quit",
	[SERVER_RULE_OTHER] = "other",
	[SERVER_RULE_ANY] = "any",
};

static const char *const close_names[SERVER_CLOSE_LAST] = {
	[SERVER_CLOSE_QUIT] = "quit",
	[SERVER_CLOSE_RULE] = "rule",
	[SERVER_CLOSE_TIMEOUT] = "timeout",
	[SERVER_CLOSE_PROTOCOL] = "protocol",
	[SERVER_CLOSE_OVERFLOW] = "overflow",
	[SERVER_CLOSE_CLIENT] = "client",
	[SERVER_CLOSE_ERROR] = "error",
};

/* The rule event of each verb. */
static const enum server_rule_event verb_events[VERB_LAST] = {
	[VERB_UNKNOWN] = SERVER_RULE_OTHER,
	[VERB_EHLO] = SERVER_RULE_EHLO,
	[VERB_HELO] = SERVER_RULE_HELO,
	[VERB_LHLO] = SERVER_RULE_EHLO,
	[VERB_STARTTLS] = SERVER_RULE_STARTTLS,
	[VERB_AUTH] = SERVER_RULE_AUTH,
	[VERB_MAIL] = SERVER_RULE_MAIL,
	[VERB_RCPT] = SERVER_RULE_RCPT,
	[VERB_DATA] = SERVER_RULE_DATA,
	[VERB_BDAT] = SERVER_RULE_BDAT,
	[VERB_RSET] = SERVER_RULE_RSET,
	[VERB_NOOP] = SERVER_RULE_NOOP,
	[VERB_VRFY] = SERVER_RULE_OTHER,
	[VERB_EXPN] = SERVER_RULE_OTHER,
	[VERB_HELP] = SERVER_RULE_OTHER,
	[VERB_ETRN] = SERVER_RULE_OTHER,
	[VERB_QUIT] = SERVER_RULE_QUIT,
	[VERB_DOT] = SERVER_RULE_DOT,
	[VERB_BANNER] = SERVER_RULE_BANNER,
};

const char *
server_close_name(enum server_close c)
{
	return c < SERVER_CLOSE_LAST ? close_names[c] : "?";
}

static void process(struct server *, uint64_t);

/* --- events and replies ------------------------------------------------ */

static int
emit(struct server *s, struct server_event *ev, uint64_t now)
{
	ev->now = now;
	return s->fn(ev, s->arg);
}

static void __attribute__((format(printf, 3, 4)))
diag(struct server *s, uint64_t now, const char *fmt, ...)
{
	struct server_event	 ev = { .type = SERVER_EV_DIAG };
	va_list			 ap;
	char			*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	ev.line = msg != NULL ? msg : "(out of memory)";
	ev.len = strlen(ev.line);
	emit(s, &ev, now);
	free(msg);
}

/* Close once the reply is out; the first reason given stands. */
static void
set_close(struct server *s, enum server_close why)
{
	if (!(s->after & AFTER_CLOSE))
		s->why = why;
	s->after |= AFTER_CLOSE;
}

/*
 * Append one reply line to the reply being built: "CODE ENH TEXT", or
 * "CODE-..." when MORE lines follow.  ENH may be NULL or "".  CR, LF and
 * NUL in the text (a rule's, say) end it.  421 closes (RFC 5321 3.8).
 */
static void __attribute__((format(printf, 5, 6)))
reply_line(struct server *s, int code, bool more, const char *enh,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	size_t	 n;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	va_end(ap);
	n = text != NULL ? strcspn(text, "\r\n") : 0;
	buf_printf(&s->cur, "%03d%c", code, more ? '-' : ' ');
	if (enh != NULL && *enh != '\0')
		buf_printf(&s->cur, "%s%s", enh, n > 0 ? " " : "");
	buf_add(&s->cur, text != NULL ? text : "", n);
	buf_add(&s->cur, "\r\n", 2);
	free(text);
	if (code == 421)
		set_close(s, SERVER_CLOSE_RULE);
}

#define reply(s, code, enh, ...) reply_line(s, code, false, enh, __VA_ARGS__)

/* The session is over: CLOSE (unless the front end closed), then LOG. */
static void finish(struct server *, enum server_close, bool, uint64_t);

static void
want_tls(struct server *s, uint64_t now)
{
	struct server_event	ev = { .type = SERVER_EV_TLS_WANTED };
	size_t			n = buf_avail(&s->in);

	s->tls_wanted = true;
	if (n > 0) {
		diag(s, now, "%zu bytes pipelined after STARTTLS: discarded, "
		    "never parsed (RFC 3207 4.2, CVE-2011-0411)", n);
		s->injected += n;
		buf_reset(&s->in);
	}
	ev.discarded = n;
	emit(s, &ev, now);
}

/* The reply goes out: OUT events, then what comes after it. */
static void
release(struct server *s, uint64_t now)
{
	struct server_event	 ev = { .type = SERVER_EV_OUT };
	const char		*p = buf_head(&s->cur), *nl;
	size_t			 len = buf_avail(&s->cur);

	buf_add(&s->out, p, len);
	while (len > 0 && (nl = memchr(p, '\n', len)) != NULL) {
		ev.line = p;
		ev.len = (size_t)(nl - p) - 1;
		emit(s, &ev, now);
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	buf_reset(&s->cur);
	s->held = false;
	s->idle_since = now;
	if (s->after & AFTER_TLS) {
		s->after &= ~AFTER_TLS;
		want_tls(s, now);
	}
	if (s->after & AFTER_CLOSE) {
		s->after = 0;
		finish(s, s->why, true, now);
	}
}

/* The reply is complete: out now, or held for a rule's delay. */
static void
commit(struct server *s, uint64_t now, const struct server_override *ov)
{
	if (ov != NULL && ov->close)
		set_close(s, SERVER_CLOSE_RULE);
	if (s->deliver_pending) {
		/* server_deliver_done() writes the reply and goes on. */
		s->held = true;
		s->held_until = 0;
		s->pending_delay = ov != NULL ? ov->delay : 0;
		return;
	}
	if (ov != NULL && ov->delay > 0) {
		s->held = true;
		s->held_until = now + ov->delay;
		return;
	}
	release(s, now);
}

/*
 * Ask the rule hook about EVENT.  True when a rule fired: OV is filled,
 * the RULE event emitted, the log told.
 */
static bool
ask(struct server *s, enum server_rule_event event, const char *line,
    size_t len, uint64_t now, struct server_override *ov)
{
	struct server_event	ev = { .type = SERVER_EV_RULE };

	memset(ov, 0, sizeof(*ov));
	if (s->cfg.rule == NULL || s->cfg.rule(s->cfg.rule_arg, (int)event,
	    line, len, now, ov) != 1) {
		memset(ov, 0, sizeof(*ov));
		return false;
	}
	s->rules++;
	if (s->nlabels < SERVER_LOG_RULES)
		s->labels[s->nlabels++] = xstrdup(ov->label != NULL ?
		    ov->label : server_rule_event_names[event]);
	if (ov->tarpit != 0)
		s->tarpit = ov->tarpit;
	ev.rule_event = event;
	ev.override = ov;
	emit(s, &ev, now);
	return true;
}

/*
 * A rule's drop or reply stands for the normal answer: build and commit
 * it, and say so (the caller then does nothing else).
 */
static bool
overridden(struct server *s, const struct server_override *ov, uint64_t now)
{
	if (ov->drop) {
		buf_reset(&s->cur);
		set_close(s, SERVER_CLOSE_RULE);
		commit(s, now, ov);
		return true;
	}
	if (ov->code < 200 || ov->code > 599)
		return false;
	reply(s, ov->code, ov->enhanced, "%s", ov->text != NULL ?
	    ov->text : "");
	commit(s, now, ov);
	return true;
}

/* --- the transaction ---------------------------------------------------- */

static void
tx_reset(struct server *s)
{
	size_t	i;

	free(s->from);
	free(s->from_params);
	s->from = s->from_params = NULL;
	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpt[i].addr);
		free(s->rcpt[i].params);
	}
	s->nrcpt = 0;
	s->mail = s->smtputf8 = s->eightbit = s->chunking = false;
	buf_free(&s->msg);
	s->msgsize = 0;
	s->oversize = false;
}

/* Message bytes: stored up to the maximum, counted beyond it. */
static void
store(struct server *s, const char *p, size_t n)
{
	s->msgsize += n;
	if (s->oversize)
		return;
	if (s->msgsize > s->cfg.max_size) {
		s->oversize = true;
		buf_free(&s->msg);
		return;
	}
	buf_add(&s->msg, p, n);
}

static const char *
proto(const struct server *s)
{
	static const char *const names[] = {
		"SMTP", "ESMTP", "ESMTPA", "ESMTPS", "ESMTPSA",
		"UTF8SMTP", "UTF8SMTPA", "UTF8SMTPS", "UTF8SMTPSA",
	};
	size_t	i;

	if (!s->esmtp)
		return names[0];
	i = 1 + (s->auth_user != NULL ? 1 : 0) + (s->tls ? 2 : 0);
	return names[s->smtputf8 ? i + 4 : i];
}

/* The end of a message (DATA "." or BDAT LAST): store it, answer. */
static void	stored(struct server *, char *);
static void	refused(struct server *);
static void	process(struct server *, uint64_t);

static void
end_message(struct server *s, uint64_t now)
{
	struct server_event	ev = { .type = SERVER_EV_DELIVER };
	struct server_envelope	env;

	if (s->oversize) {
		reply(s, 552, "5.3.4", "Message size exceeds fixed maximum "
		    "message size (%llu bytes)",
		    (unsigned long long)s->cfg.max_size);
		s->refused_msgs++;
		tx_reset(s);
		return;
	}
	memset(&env, 0, sizeof(env));
	env.from = s->from;
	env.from_params = s->from_params;
	env.nrcpt = s->nrcpt;
	env.rcpt = s->rcpt;
	env.helo = s->helo;
	env.proto = proto(s);
	env.auth_user = s->auth_user;
	env.tls = s->tls;
	env.smtputf8 = s->smtputf8;
	env.eightbit = s->eightbit;
	env.chunking = s->chunking;
	ev.env = &env;
	ev.msg = buf_head(&s->msg);
	ev.msglen = buf_avail(&s->msg);
	switch (emit(s, &ev, now)) {
	case 0:
		stored(s, ev.queue_id);
		break;
	case 1:
		/* Written, not yet durable: the reply waits (commit()). */
		s->deliver_pending = true;
		memcpy(s->pending_id, ev.queue_id, sizeof(s->pending_id));
		break;
	default:
		refused(s);
		break;
	}
	tx_reset(s);
}

static void
stored(struct server *s, char *id)
{
	id[SERVER_QUEUE_ID_MAX - 1] = '\0';
	id[strcspn(id, "\r\n")] = '\0';
	if (id[0] != '\0')
		reply(s, 250, "2.0.0", "Ok: queued as %s", id);
	else
		reply(s, 250, "2.0.0", "Ok: queued");
	s->accepted++;
}

static void
refused(struct server *s)
{
	reply(s, 451, "4.3.0", "Error: cannot store the message, try again "
	    "later");
	s->refused_msgs++;
}

void
server_deliver_done(struct server *s, uint64_t now, bool ok)
{
	if (!s->deliver_pending || s->closed)
		return;
	s->deliver_pending = false;
	if (ok)
		stored(s, s->pending_id);
	else
		refused(s);
	if (s->pending_delay > 0) {
		s->held_until = now + s->pending_delay;
		s->pending_delay = 0;
		return;		/* a rule's delay, from now */
	}
	release(s, now);
	process(s, now);
}

/* --- syntax ---------------------------------------------------------- */

/* An upper-case hex digit, as xtext wants (RFC 3461 4). */
static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static bool
is_xtext(const char *p, size_t len)
{
	size_t	i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '+') {
			if (i + 2 >= len || !is_hex(p[i + 1]) ||
			    !is_hex(p[i + 2]))
				return false;
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return false;
	}
	return true;
}

static bool
is_atom_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c >= 0x80) ||
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * A mailbox as in RFC 5321 4.1.2 (with RFC 6531's UTF-8 when UTF8): an
 * optional source route (ignored, RFC 5321 C), a dot-string or quoted
 * local part, "@", a domain or an address literal.  *NONASCII tells
 * whether a byte above 127 was seen.
 */
static bool
is_mailbox(const char *p, size_t len, bool *nonascii)
{
	const char	*colon;
	size_t		 i = 0, local, j;
	bool		 dot = true;

	*nonascii = false;
	for (j = 0; j < len; j++)
		if ((unsigned char)p[j] >= 0x80)
			*nonascii = true;
	if (len > 0 && p[0] == '@') {
		if ((colon = memchr(p, ':', len)) == NULL)
			return false;
		len -= (size_t)(colon - p) + 1;
		p = colon + 1;
	}
	if (len == 0 || len > 254)
		return false;
	if (p[0] == '"') {
		for (i = 1; i < len && p[i] != '"'; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c == '\\') {
				if (++i >= len || (unsigned char)p[i] < 32 ||
				    p[i] == 127)
					return false;
			} else if (c < 32 || c == 127)
				return false;
		}
		if (i >= len)
			return false;
		i++;
	} else {
		for (; i < len && p[i] != '@'; i++) {
			if (p[i] == '.') {
				if (dot)
					return false;
				dot = true;
			} else if (is_atom_char((unsigned char)p[i]))
				dot = false;
			else
				return false;
		}
		if (dot)
			return false;
	}
	local = i;
	if (local > 64 || i >= len || p[i] != '@')
		return false;
	p += i + 1;
	len -= i + 1;
	if (len == 0)
		return false;
	if (p[0] == '[') {
		if (p[len - 1] != ']' || len < 3)
			return false;
		for (i = 1; i < len - 1; i++)
			if ((unsigned char)p[i] <= 32 || p[i] == 127 ||
			    p[i] == '[' || p[i] == ']' || p[i] == '\\')
				return false;
		return true;
	}
	dot = true;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (dot)
				return false;
			dot = true;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c >= 0x80)
			dot = false;
		else
			return false;
	}
	return !dot;
}

/*
 * "MAIL FROM:" / "RCPT TO:" (KW is " FROM:" or " TO:", after the verb):
 * the path inside <> and the parameters after it.  A space after the
 * colon is tolerated, as most servers do.  -1 on a syntax error.
 */
static int
split_path(const char *line, size_t len, const char *kw, const char **addr,
    size_t *alen, const char **params, size_t *plen)
{
	size_t	i = 4, kwl = strlen(kw);
	bool	quoted = false;

	if (len < i + kwl || strncasecmp(line + i, kw, kwl) != 0)
		return -1;
	i += kwl;
	while (i < len && line[i] == ' ')
		i++;
	if (i >= len || line[i] != '<')
		return -1;
	*addr = line + ++i;
	for (; i < len; i++) {
		if (quoted && line[i] == '\\')
			i++;
		else if (line[i] == '"')
			quoted = !quoted;
		else if (!quoted && line[i] == '>')
			break;
	}
	if (i >= len)
		return -1;
	*alen = (size_t)(line + i - *addr);
	i++;
	if (i < len && line[i] != ' ')
		return -1;
	while (i < len && line[i] == ' ')
		i++;
	while (len > i && line[len - 1] == ' ')
		len--;
	*params = line + i;
	*plen = len - i;
	return 0;
}

/* Parameters known to MAIL and RCPT, for the duplicate check. */
enum param {
	P_SIZE,
	P_BODY,
	P_SMTPUTF8,
	P_RET,
	P_ENVID,
	P_AUTH,
	P_NOTIFY,
	P_ORCPT,
	P_REQUIRETLS,	/* RFC 8689: MAIL, under TLS only */
	P_LAST
};

static const char *const param_names[P_LAST] = {
	"SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH", "NOTIFY", "ORCPT",
	"REQUIRETLS",
};

/*
 * Echoed in the 250 to MAIL and RCPT, to show they arrived: DSN's (RFC
 * 3461) and REQUIRETLS.  A value is shown up to ECHO_VALUE bytes.
 */
static const bool param_echo[P_LAST] = {
	[P_RET] = true,
	[P_ENVID] = true,
	[P_NOTIFY] = true,
	[P_ORCPT] = true,
	[P_REQUIRETLS] = true,
};
#define ECHO_VALUE	200

static bool
is_word(const char *v, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(v, w, n) == 0;
}

static bool
is_notify(const char *v, size_t n)
{
	size_t	i = 0, j;

	if (is_word(v, n, "NEVER"))
		return true;
	while (i < n) {
		for (j = i; j < n && v[j] != ','; j++)
			;
		if (!is_word(v + i, j - i, "SUCCESS") &&
		    !is_word(v + i, j - i, "FAILURE") &&
		    !is_word(v + i, j - i, "DELAY"))
			return false;
		if (j == n - 1)
			return false;
		i = j + 1;
	}
	return n > 0;
}

static bool
is_orcpt(const char *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n && v[i] != ';'; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			return false;
	return i > 0 && i < n && is_xtext(v + i + 1, n - i - 1) &&
	    n - i - 1 <= 500;
}

/*
 * Check the parameters of MAIL (RCPT false) or RCPT; on a problem, reply
 * and return -1.  SIZE and the MAIL flags are set in the transaction only
 * by the caller on success: here into *size, *utf8, *eightbit.  The
 * parameters to echo go to ECHO, "KEY=value" separated by spaces.
 */
static int
check_params(struct server *s, bool rcpt, const char *p, size_t len,
    uint64_t *size, bool *utf8, bool *eightbit, struct buf *echo)
{
	unsigned	 seen = 0;
	size_t		 i = 0, j, k, vlen;
	const char	*v;
	int		 n;

	*size = 0;
	*utf8 = *eightbit = false;
	if (len > 0 && !s->esmtp) {
		reply(s, 555, "5.5.4", "ESMTP parameters need EHLO, not HELO");
		return -1;
	}
	while (i < len) {
		for (j = i; j < len && p[j] != ' '; j++)
			;
		for (k = i; k < j && p[k] != '='; k++)
			;
		v = k < j ? p + k + 1 : NULL;
		vlen = k < j ? j - k - 1 : 0;
		for (n = 0; n < P_LAST; n++)
			if (is_word(p + i, k - i, param_names[n]))
				break;
		/* Not offered outside TLS: unknown there (RFC 8689 2). */
		if (n == P_REQUIRETLS && !s->tls)
			n = P_LAST;
		if (n == P_LAST || (rcpt != (n == P_NOTIFY || n == P_ORCPT))) {
			reply(s, 555, "5.5.4", "Unsupported parameter %.*s",
			    (int)(k - i > 40 ? 40 : k - i), p + i);
			return -1;
		}
		if (seen & (1U << n)) {
			reply(s, 501, "5.5.4", "Duplicate %s parameter",
			    param_names[n]);
			return -1;
		}
		seen |= 1U << n;
		switch (n) {
		case P_SMTPUTF8:
			if (v != NULL)
				goto bad;
			*utf8 = true;
			break;
		case P_SIZE:
			if (v == NULL || vlen == 0 || vlen > 20)
				goto bad;
			for (k = 0; k < vlen; k++) {
				if (v[k] < '0' || v[k] > '9')
					goto bad;
				if (*size > (UINT64_MAX - 9) / 10)
					*size = UINT64_MAX;
				else
					*size = *size * 10 +
					    (uint64_t)(v[k] - '0');
			}
			break;
		case P_BODY:
			if (v != NULL && is_word(v, vlen, "8BITMIME"))
				*eightbit = true;
			else if (v == NULL || !is_word(v, vlen, "7BIT"))
				goto bad;
			break;
		case P_RET:
			if (v == NULL || (!is_word(v, vlen, "FULL") &&
			    !is_word(v, vlen, "HDRS")))
				goto bad;
			break;
		case P_ENVID:
			if (v == NULL || vlen > 100 || !is_xtext(v, vlen))
				goto bad;
			break;
		case P_AUTH:
			if (v == NULL || (!is_word(v, vlen, "<>") &&
			    !is_xtext(v, vlen)))
				goto bad;
			break;
		case P_NOTIFY:
			if (v == NULL || !is_notify(v, vlen))
				goto bad;
			break;
		case P_ORCPT:
			if (v == NULL || !is_orcpt(v, vlen))
				goto bad;
			break;
		case P_REQUIRETLS:
			if (v != NULL)
				goto bad;
			break;
		}
		if (param_echo[n]) {
			buf_printf(echo, "%s%s", buf_avail(echo) > 0 ? " " : "",
			    param_names[n]);
			if (v != NULL && vlen > ECHO_VALUE)
				buf_printf(echo, "=%.*s...", ECHO_VALUE, v);
			else if (v != NULL)
				buf_printf(echo, "=%.*s", (int)vlen, v);
		}
		i = j;
		while (i < len && p[i] == ' ')
			i++;
		continue;
bad:
		reply(s, 501, "5.5.4", "Bad %s parameter syntax",
		    param_names[n]);
		return -1;
	}
	return 0;
}

/* --- commands --------------------------------------------------------- */

/* The argument after the verb and one space, spaces trimmed. */
static const char *
argument(const char *line, size_t len, size_t *alen)
{
	size_t	i = 0;

	while (i < len && line[i] != ' ')
		i++;
	while (i < len && line[i] == ' ')
		i++;
	while (len > i && line[len - 1] == ' ')
		len--;
	*alen = len - i;
	return line + i;
}

static void
cmd_hello(struct server *s, enum command_verb v, const char *line,
    size_t len)
{
	const char	*arg;
	size_t		 n, i;
	const char	*caps[12];
	char		 size[32];
	size_t		 ncaps = 0;

	arg = argument(line, len, &n);
	for (i = 0; i < n && arg[i] != ' '; i++)
		if ((unsigned char)arg[i] < 33 || arg[i] == 127)
			break;
	if (n == 0 || (i < n && arg[i] != ' ') || i >= sizeof(s->helo)) {
		reply(s, 501, "5.5.4", "Syntax: %s hostname",
		    v == VERB_EHLO ? "EHLO" : "HELO");
		return;
	}
	/* RFC 5321 4.1.4: a new greeting ends any transaction. */
	tx_reset(s);
	memcpy(s->helo, arg, i);
	s->helo[i] = '\0';
	s->greeted = true;
	s->esmtp = v == VERB_EHLO;
	if (v == VERB_HELO) {
		reply(s, 250, NULL, "%s", s->host);
		return;
	}
	snprintf(size, sizeof(size), "SIZE %llu",
	    (unsigned long long)s->cfg.max_size);
	caps[ncaps++] = "PIPELINING";
	caps[ncaps++] = size;
	caps[ncaps++] = "8BITMIME";
	caps[ncaps++] = "SMTPUTF8";
	caps[ncaps++] = "ENHANCEDSTATUSCODES";
	caps[ncaps++] = "CHUNKING";
	caps[ncaps++] = "DSN";
	if (s->tls)
		caps[ncaps++] = "REQUIRETLS";
	if (s->cfg.starttls && !s->tls)
		caps[ncaps++] = "STARTTLS";
	if (!s->cfg.auth_needs_tls || s->tls)
		caps[ncaps++] = "AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER";
	reply_line(s, 250, true, NULL, "%s", s->host);
	for (i = 0; i < ncaps; i++)
		reply_line(s, 250, i + 1 < ncaps, NULL, "%s", caps[i]);
}

static void
cmd_starttls(struct server *s, size_t len)
{
	if (!s->cfg.starttls)
		reply(s, 502, "5.5.1", "STARTTLS not available");
	else if (s->tls)
		reply(s, 503, "5.5.1", "TLS already active");
	else if (len != 8)
		reply(s, 501, "5.5.4", "Syntax: STARTTLS");
	else if (s->mail)
		reply(s, 503, "5.5.1", "MAIL transaction in progress");
	else {
		reply(s, 220, "2.0.0", "Ready to start TLS");
		s->after |= AFTER_TLS;
	}
}

static uint64_t
next_random(struct server *s)
{
	uint64_t	z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A SASL result as a reply; back to commands unless a 334 was sent. */
static void
auth_result(struct server *s, enum server_sasl_result r, struct buf *b)
{
	s->mode = MODE_CMD;
	switch (r) {
	case SASL_CHALLENGE:
		reply(s, 334, NULL, "%.*s", (int)buf_avail(b), buf_head(b));
		s->mode = MODE_AUTH;
		return;
	case SASL_OK:
		s->auth_user = xstrndup(buf_head(b), buf_avail(b));
		reply(s, 235, "2.7.0", "Authentication successful");
		break;
	case SASL_FAIL:
		reply(s, 535, "5.7.8", "Authentication credentials invalid");
		break;
	case SASL_CANCEL:
		reply(s, 501, "5.7.0", "Authentication cancelled");
		break;
	default:
		reply(s, 501, "5.5.2", "Cannot decode the response");
		break;
	}
	server_sasl_clear(&s->sasl);
}

static void
cmd_auth(struct server *s, const char *line, size_t len, uint64_t now)
{
	enum sasl_mech		 mech;
	enum server_sasl_result	 r;
	const char		*arg, *ir = NULL;
	char			 challenge[160];
	size_t			 n, m, irlen = 0;
	struct buf		 b;

	if (!s->greeted || !s->esmtp) {
		reply(s, 503, "5.5.1", "Send EHLO first");
		return;
	}
	if (s->auth_user != NULL) {
		reply(s, 503, "5.5.1", "Already authenticated");
		return;
	}
	if (s->mail) {
		reply(s, 503, "5.5.1", "MAIL transaction in progress");
		return;
	}
	if (s->cfg.auth_needs_tls && !s->tls) {
		reply(s, 538, "5.7.11", "Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	arg = argument(line, len, &n);
	for (m = 0; m < n && arg[m] != ' '; m++)
		;
	if (m < n) {
		for (ir = arg + m; *ir == ' '; ir++)
			;
		irlen = n - (size_t)(ir - arg);
		if (memchr(ir, ' ', irlen) != NULL) {
			reply(s, 501, "5.5.4", "Syntax: AUTH mechanism "
			    "[initial-response]");
			return;
		}
	}
	if (m == 0) {
		reply(s, 501, "5.5.4", "Syntax: AUTH mechanism "
		    "[initial-response]");
		return;
	}
	if ((mech = sasl_mech(arg, m)) == SASL_NONE) {
		reply(s, 504, "5.5.4", "Unrecognized authentication type");
		return;
	}
	snprintf(challenge, sizeof(challenge), "<%llu.%llu@%s>",
	    (unsigned long long)(next_random(s) % 10000000000ULL),
	    (unsigned long long)now, s->host);
	buf_init(&b, 0);
	r = server_sasl_start(&s->sasl, mech, ir != NULL, ir, irlen,
	    challenge, s->cfg.users, s->cfg.nusers, &b);
	auth_result(s, r, &b);
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
}

static void
auth_line(struct server *s, const char *line, size_t len)
{
	enum server_sasl_result	r;
	struct buf		b;

	buf_init(&b, 0);
	r = server_sasl_step(&s->sasl, line, len, s->cfg.users,
	    s->cfg.nusers, &b);
	auth_result(s, r, &b);
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
}

/* "250 ENH Ok", and the parameters echoed: "Ok (RET=HDRS ENVID=x)". */
static void
reply_ok(struct server *s, const char *enh, const struct buf *echo)
{
	if (buf_avail(echo) == 0)
		reply(s, 250, enh, "Ok");
	else
		reply(s, 250, enh, "Ok (%.*s)", (int)buf_avail(echo),
		    buf_head(echo));
}

static void
cmd_mail(struct server *s, const char *line, size_t len)
{
	const char	*addr, *params;
	size_t		 alen, plen;
	uint64_t	 size;
	bool		 utf8, eightbit, nonascii;
	struct buf	 echo;

	if (!s->greeted) {
		reply(s, 503, "5.5.1", "Send EHLO/HELO first");
		return;
	}
	if (s->mail) {
		reply(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (split_path(line, len, " FROM:", &addr, &alen, &params,
	    &plen) == -1) {
		reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address> "
		    "[parameters]");
		return;
	}
	buf_init(&echo, 0);
	if (check_params(s, false, params, plen, &size, &utf8,
	    &eightbit, &echo) == -1)
		goto out;
	if (alen > 0 && !is_mailbox(addr, alen, &nonascii)) {
		reply(s, 501, "5.1.7", "Bad sender address syntax");
		goto out;
	}
	if (alen > 0 && nonascii && !utf8) {
		reply(s, 553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
		goto out;
	}
	if (size > s->cfg.max_size) {
		reply(s, 552, "5.3.4", "Message size exceeds fixed maximum "
		    "message size (%llu bytes)",
		    (unsigned long long)s->cfg.max_size);
		goto out;
	}
	tx_reset(s);
	s->mail = true;
	s->from = xstrndup(addr, alen);
	s->from_params = xstrndup(params, plen);
	s->smtputf8 = utf8;
	s->eightbit = eightbit;
	reply_ok(s, "2.1.0", &echo);
out:
	buf_free(&echo);
}

static void
cmd_rcpt(struct server *s, const char *line, size_t len)
{
	const char	*addr, *params;
	size_t		 alen, plen;
	uint64_t	 size;
	bool		 utf8, eightbit, nonascii = false;
	struct buf	 echo;

	if (!s->mail) {
		reply(s, 503, "5.5.1", "Need MAIL command");
		return;
	}
	if (split_path(line, len, " TO:", &addr, &alen, &params,
	    &plen) == -1) {
		reply(s, 501, "5.5.4", "Syntax: RCPT TO:<address> "
		    "[parameters]");
		return;
	}
	buf_init(&echo, 0);
	if (check_params(s, true, params, plen, &size, &utf8,
	    &eightbit, &echo) == -1)
		goto out;
	if (!is_word(addr, alen, "postmaster") &&
	    !is_mailbox(addr, alen, &nonascii)) {
		reply(s, 501, "5.1.3", "Bad recipient address syntax");
		goto out;
	}
	if (nonascii && !s->smtputf8) {
		reply(s, 553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
		goto out;
	}
	if (s->nrcpt >= s->cfg.max_rcpt) {
		reply(s, 452, "4.5.3", "Too many recipients");
		goto out;
	}
	if (s->nrcpt == s->caprcpt) {
		s->caprcpt = s->caprcpt == 0 ? 8 : s->caprcpt * 2;
		s->rcpt = xrealloc(s->rcpt, s->caprcpt * sizeof(*s->rcpt));
	}
	s->rcpt[s->nrcpt].addr = xstrndup(addr, alen);
	s->rcpt[s->nrcpt].params = xstrndup(params, plen);
	s->nrcpt++;
	reply_ok(s, "2.1.5", &echo);
out:
	buf_free(&echo);
}

static void
cmd_data(struct server *s, size_t len)
{
	if (len != 4)
		reply(s, 501, "5.5.4", "Syntax: DATA");
	else if (!s->mail)
		reply(s, 503, "5.5.1", "Need MAIL command");
	else if (s->chunking)
		reply(s, 503, "5.5.1", "DATA after BDAT: send RSET first");
	else if (s->nrcpt == 0)
		reply(s, 554, "5.5.1", "No valid recipients");
	else {
		reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
		buf_free(&s->msg);
		s->msgsize = 0;
		s->oversize = false;
		s->dstate = D_BOL;
		s->mode = MODE_DATA;
	}
}

/*
 * BDAT SIZE [LAST]: the reply waits for the chunk.  -1 when the size
 * cannot be parsed (501, and the connection closes).
 */
static int
cmd_bdat(struct server *s, const char *line, size_t len)
{
	const char	*arg;
	size_t		 n, i;
	uint64_t	 size = 0;

	arg = argument(line, len, &n);
	for (i = 0; i < n && arg[i] >= '0' && arg[i] <= '9'; i++) {
		if (i >= 19)
			goto bad;
		size = size * 10 + (uint64_t)(arg[i] - '0');
	}
	if (i == 0)
		goto bad;
	s->bdat_last = false;
	if (i < n) {
		if (arg[i] != ' ')
			goto bad;
		while (i < n && arg[i] == ' ')
			i++;
		if (!is_word(arg + i, n - i, "LAST"))
			goto bad;
		s->bdat_last = true;
	}
	s->bdat_left = s->bdat_size = size;
	s->bdat_error = s->refused ? BDAT_REFUSED : !s->mail ? 503 :
	    s->nrcpt == 0 ? 554 : 0;
	if (s->bdat_error == 0 && !s->chunking) {
		s->chunking = true;
		buf_free(&s->msg);
		s->msgsize = 0;
		s->oversize = false;
	}
	n = len < sizeof(s->bdat_line) - 1 ? len : sizeof(s->bdat_line) - 1;
	memcpy(s->bdat_line, line, n);
	s->bdat_line[n] = '\0';
	s->mode = MODE_BDAT;
	return 0;
bad:
	reply(s, 501, "5.5.4", "Syntax: BDAT size [LAST]; the chunk's size "
	    "is unknown, closing");
	set_close(s, SERVER_CLOSE_PROTOCOL);
	return -1;
}

/* The chunk is in: ask the rules, answer. */
static void
bdat_done(struct server *s, uint64_t now)
{
	struct server_override	 ov;
	const char		*line = s->bdat_line;
	size_t			 len = strlen(line);
	bool			 fired;

	s->mode = MODE_CMD;
	fired = ask(s, SERVER_RULE_BDAT, line, len, now, &ov);
	if (!fired && s->bdat_last && s->bdat_error == 0)
		fired = ask(s, SERVER_RULE_DOT, line, len, now, &ov);
	if (fired && (ov.drop || (ov.code >= 200 && ov.code <= 599))) {
		/* A chunk answered by a rule ends its transaction. */
		if (s->bdat_error == 0)
			tx_reset(s);
		overridden(s, &ov, now);
		return;
	}
	if (s->bdat_error == BDAT_REFUSED)
		reply(s, 503, "5.5.1", "No service here; QUIT");
	else if (s->bdat_error == 503)
		reply(s, 503, "5.5.1", "Need MAIL command");
	else if (s->bdat_error != 0)
		reply(s, 554, "5.5.1", "No valid recipients");
	else if (s->oversize || s->bdat_last)
		end_message(s, now);
	else
		reply(s, 250, "2.0.0", "%llu octets received",
		    (unsigned long long)s->bdat_size);
	commit(s, now, fired ? &ov : NULL);
}

/* One command line, complete. */
static void
command(struct server *s, const char *line, size_t len, uint64_t now)
{
	struct server_event	 ev = { .type = SERVER_EV_IN };
	struct server_override	 ov;
	enum command_verb	 v;
	size_t			 rlen = len, n;
	const char		*arg;
	bool			 fired;

	v = command_verb_of(line, len);
	if (v == VERB_AUTH) {
		/* The rules and the log see "AUTH MECH", no credential. */
		arg = argument(line, len, &n);
		rlen = (size_t)(arg - line);
		while (rlen < len && line[rlen] != ' ')
			rlen++;
	}
	ev.line = line;
	ev.len = rlen;
	emit(s, &ev, now);
	/*
	 * BDAT first: its chunk must be read whatever the answer (never as
	 * commands), and the rules are asked once the chunk is in.
	 */
	if (v == VERB_BDAT) {
		if (cmd_bdat(s, line, len) == -1)
			commit(s, now, NULL);
		return;
	}
	if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len)) {
		reply(s, 500, "5.5.2", "Invalid character in command");
		commit(s, now, NULL);
		return;
	}
	fired = ask(s, verb_events[v], line, rlen, now, &ov);
	if (fired && overridden(s, &ov, now))
		return;
	if (s->refused && v != VERB_QUIT) {
		reply(s, 503, "5.5.1", "No service here; QUIT");
		commit(s, now, fired ? &ov : NULL);
		return;
	}
	switch (v) {
	case VERB_EHLO:
	case VERB_HELO:
		cmd_hello(s, v, line, len);
		break;
	case VERB_STARTTLS:
		cmd_starttls(s, len);
		break;
	case VERB_AUTH:
		cmd_auth(s, line, len, now);
		break;
	case VERB_MAIL:
		cmd_mail(s, line, len);
		break;
	case VERB_RCPT:
		cmd_rcpt(s, line, len);
		break;
	case VERB_DATA:
		cmd_data(s, len);
		break;
	case VERB_RSET:
		if (len != 4) {
			reply(s, 501, "5.5.4", "Syntax: RSET");
			break;
		}
		tx_reset(s);
		reply(s, 250, "2.0.0", "Ok");
		break;
	case VERB_NOOP:
		reply(s, 250, "2.0.0", "Ok");
		break;
	case VERB_VRFY:
		argument(line, len, &n);
		if (n == 0)
			reply(s, 501, "5.5.4", "Syntax: VRFY address");
		else
			reply(s, 252, "2.0.0", "Cannot VRFY user; send mail "
			    "and delivery will be attempted");
		break;
	case VERB_EXPN:
	case VERB_ETRN:
		reply(s, 502, "5.5.1", "%s not implemented",
		    command_info(v)->name);
		break;
	case VERB_HELP:
		reply(s, 214, "2.0.0", "Commands: EHLO HELO STARTTLS AUTH "
		    "MAIL RCPT DATA BDAT RSET NOOP VRFY HELP QUIT");
		break;
	case VERB_QUIT:
		reply(s, 221, "2.0.0", "Bye");
		set_close(s, SERVER_CLOSE_QUIT);
		break;
	default:
		reply(s, 500, "5.5.1", "Command unrecognized");
		break;
	}
	commit(s, now, fired ? &ov : NULL);
}

/* --- input ---------------------------------------------------------- */

/*
 * A bare LF (in WHERE): reported once and accepted, or, in reject mode,
 * 521 and close.  True when the connection is closing.
 */
static bool
bare_lf(struct server *s, uint64_t now, const char *where)
{
	bool	told = s->bare_lf;

	s->bare_lf = true;
	if (s->cfg.bare_lf == SERVER_BARE_LF_REJECT) {
		diag(s, now, "bare LF in %s: rejected (521), closing", where);
		buf_reset(&s->cur);
		set_close(s, SERVER_CLOSE_PROTOCOL);
		reply(s, 521, "5.5.2", "Error: bare <LF> received");
		commit(s, now, NULL);
		return true;
	}
	if (!told)
		diag(s, now, "bare LF in %s: kept as it is, and only "
		    "CRLF.CRLF ends a message (RFC 5321 2.3.8; SMTP "
		    "smuggling); further ones are not reported", where);
	return false;
}

/* A line longer than the limit ended: 500, and any SASL exchange too. */
static void
too_long(struct server *s, uint64_t now)
{
	if (s->mode == MODE_AUTH)
		server_sasl_clear(&s->sasl);
	s->mode = MODE_CMD;
	reply(s, 500, "5.5.2", "Line too long");
	commit(s, now, NULL);
}

/* The rest of a line too long: dropped unread, up to its LF. */
static bool
read_skip(struct server *s, uint64_t now)
{
	const char	*head = buf_head(&s->in), *nl;
	size_t		 avail = buf_avail(&s->in);

	if ((nl = memchr(head, '\n', avail)) == NULL) {
		buf_consume(&s->in, avail);
		return false;
	}
	buf_consume(&s->in, (size_t)(nl - head) + 1);
	s->mode = s->skip_from;
	too_long(s, now);
	return true;
}

/* Wipe a line that held a credential, in our own input buffer. */
static void
wipe_line(const char *line, size_t len)
{
	explicit_bzero((char *)(uintptr_t)line, len);
}

/* One command line, or one SASL response. */
static bool
read_line(struct server *s, uint64_t now)
{
	struct server_event	 ev = { .type = SERVER_EV_IN };
	const char		*head = buf_head(&s->in), *line, *nl;
	size_t			 avail = buf_avail(&s->in), len, limit;
	enum buf_eol		 eol;
	enum command_verb	 v;
	int			 r;

	/*
	 * AUTH lines may be longer (RFC 4954 4); nothing else is.  The
	 * limits count the CRLF; buf_getline's counts the CR.
	 */
	limit = s->cfg.max_line;
	if (s->mode == MODE_AUTH ||
	    (avail >= 4 && strncasecmp(head, "AUTH", 4) == 0))
		limit = SERVER_AUTH_LINE;
	r = buf_getline(&s->in, limit - 1, &line, &len, &eol);
	if (r == 0)
		return false;
	if (r == -1) {
		if ((nl = memchr(head, '\n', avail)) != NULL) {
			buf_consume(&s->in, (size_t)(nl - head) + 1);
			too_long(s, now);
		} else {
			buf_consume(&s->in, avail);
			s->skip_from = s->mode;
			s->mode = MODE_SKIP;
		}
		return true;
	}
	v = s->mode == MODE_AUTH ? VERB_AUTH : command_verb_of(line, len);
	if (eol == BUF_EOL_LF && bare_lf(s, now, "a command line")) {
		if (v == VERB_AUTH)
			wipe_line(line, len);
		return true;
	}
	if (len > limit - 2) {
		if (v == VERB_AUTH)
			wipe_line(line, len);
		too_long(s, now);
		return true;
	}
	if (s->mode == MODE_AUTH) {
		ev.line = len == 1 && line[0] == '*' ? "*" : "***";
		ev.len = strlen(ev.line);
		emit(s, &ev, now);
		auth_line(s, line, len);
		wipe_line(line, len);
		commit(s, now, NULL);
		return true;
	}
	if (len > s->cfg.max_line - 2 && v != VERB_AUTH)
		too_long(s, now);
	else
		command(s, line, len, now);
	if (v == VERB_AUTH)
		wipe_line(line, len);
	return true;
}

/*
 * Message text: stored un-dot-stuffed until CRLF "." CRLF, the only end.
 * Returns 1 at the end, 0 when all of P was taken, -1 at a bare LF in
 * reject mode; *USED says how much of P was taken.
 */
static int
data_scan(struct server *s, const char *p, size_t n, size_t *used)
{
	size_t	i = 0, j;

	while (i < n) {
		switch (s->dstate) {
		case D_BOL:
			if (p[i] == '.') {
				s->dstate = D_DOT;
				i++;
			} else
				s->dstate = D_MID;
			break;
		case D_DOT:
			if (p[i] == '\r') {
				s->dstate = D_DOTCR;
				i++;
			} else {
				/* A dot before a bare LF is not stuffing. */
				if (p[i] == '\n')
					store(s, ".", 1);
				s->dstate = D_MID;
			}
			break;
		case D_DOTCR:
			if (p[i] == '\n') {
				*used = i + 1;
				return 1;
			}
			/* ".\r" and no LF: the dot stays, the CR waits. */
			store(s, ".", 1);
			s->dstate = D_CR;
			break;
		case D_MID:
			for (j = i; j < n && p[j] != '\r' && p[j] != '\n'; j++)
				;
			store(s, p + i, j - i);
			i = j;
			if (i == n)
				break;
			if (p[i] == '\r')
				s->dstate = D_CR;
			else {
				if (s->cfg.bare_lf == SERVER_BARE_LF_REJECT) {
					*used = i + 1;
					return -1;
				}
				s->bare_lf_seen = true;
				store(s, "\n", 1);
			}
			i++;
			break;
		case D_CR:
			if (p[i] == '\n') {
				store(s, "\r\n", 2);
				s->dstate = D_BOL;
				i++;
			} else {
				/* A bare CR: text. */
				store(s, "\r", 1);
				s->dstate = D_MID;
			}
			break;
		}
	}
	*used = n;
	return 0;
}

static bool
read_data(struct server *s, uint64_t now)
{
	struct server_override	ov;
	size_t			used = 0;
	bool			fired;
	int			r;

	s->bare_lf_seen = false;
	r = data_scan(s, buf_head(&s->in), buf_avail(&s->in), &used);
	buf_consume(&s->in, used);
	if (s->bare_lf_seen)
		bare_lf(s, now, "message text");
	if (r == 0)
		return false;
	if (r == -1) {
		s->refused_msgs++;
		bare_lf(s, now, "message text");
		return true;
	}
	s->mode = MODE_CMD;
	fired = ask(s, SERVER_RULE_DOT, ".", 1, now, &ov);
	if (fired && (ov.drop || (ov.code >= 200 && ov.code <= 599))) {
		s->refused_msgs++;
		tx_reset(s);
		overridden(s, &ov, now);
		return true;
	}
	end_message(s, now);
	commit(s, now, fired ? &ov : NULL);
	return true;
}

static bool
read_bdat(struct server *s, uint64_t now)
{
	size_t	n = buf_avail(&s->in);

	if (n > s->bdat_left)
		n = (size_t)s->bdat_left;
	if (s->bdat_error == 0)
		store(s, buf_head(&s->in), n);
	buf_consume(&s->in, n);
	s->bdat_left -= n;
	if (s->bdat_left > 0)
		return false;
	bdat_done(s, now);
	return true;
}

static void
process(struct server *s, uint64_t now)
{
	bool	more = true;

	while (more && !s->closed && !s->held && !s->tls_wanted) {
		switch (s->mode) {
		case MODE_CMD:
		case MODE_AUTH:
			more = read_line(s, now);
			break;
		case MODE_SKIP:
			more = read_skip(s, now);
			break;
		case MODE_DATA:
			more = read_data(s, now);
			break;
		case MODE_BDAT:
			more = read_bdat(s, now);
			break;
		}
	}
}

/* --- the connection ---------------------------------------------------- */

static void
finish(struct server *s, enum server_close why, bool event, uint64_t now)
{
	struct server_event	 ev = { .type = SERVER_EV_CLOSE };
	struct server_summary	 sum;
	struct buf		 b;
	size_t			 i;

	if (s->closed)
		return;
	s->closed = true;
	s->held = false;
	s->mode = MODE_CMD;
	s->after = 0;
	buf_reset(&s->in);
	buf_reset(&s->cur);
	tx_reset(s);
	server_sasl_clear(&s->sasl);
	ev.why = why;
	if (event)
		emit(s, &ev, now);

	memset(&sum, 0, sizeof(sum));
	sum.client = s->cfg.client != NULL ? s->cfg.client : "";
	sum.helo = s->helo;
	sum.tls = s->tls;
	sum.auth_user = s->auth_user;
	sum.accepted = s->accepted;
	sum.refused = s->refused_msgs;
	sum.rules = s->rules;
	sum.nlabels = s->nlabels;
	for (i = 0; i < s->nlabels; i++)
		sum.labels[i] = s->labels[i];
	sum.injected = s->injected;
	sum.bare_lf = s->bare_lf;
	sum.why = why;
	sum.duration = now > s->started ? now - s->started : 0;

	buf_init(&b, 0);
	buf_printf(&b, "client=%s helo=%s tls=%s auth=%s accepted=%u "
	    "refused=%u rules=%u", *sum.client != '\0' ? sum.client : "-",
	    *sum.helo != '\0' ? sum.helo : "-", sum.tls ? "yes" : "no",
	    sum.auth_user != NULL ? sum.auth_user : "-", sum.accepted,
	    sum.refused, sum.rules);
	for (i = 0; i < sum.nlabels; i++)
		buf_printf(&b, "%s%s", i == 0 ? " (" : "; ", sum.labels[i]);
	if (sum.nlabels > 0)
		buf_printf(&b, "%s)", sum.rules > sum.nlabels ? "; ..." : "");
	if (sum.injected > 0)
		buf_printf(&b, " injected=%zu", sum.injected);
	if (sum.bare_lf)
		buf_printf(&b, " bare-lf=yes");
	buf_printf(&b, " end=%s duration=%.3fs", server_close_name(why),
	    (double)sum.duration / 1e6);
	memset(&ev, 0, sizeof(ev));
	ev.type = SERVER_EV_LOG;
	ev.line = buf_head(&b);
	ev.len = buf_avail(&b);
	ev.why = why;
	ev.summary = &sum;
	emit(s, &ev, now);
	buf_free(&b);
}

struct server *
server_new(const struct server_config *cfg, server_event_fn fn, void *arg)
{
	struct server	*s;

	s = xmalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->fn = fn;
	s->arg = arg;
	s->host = cfg->hostname != NULL ? cfg->hostname : "localhost";
	if (s->cfg.max_size == 0)
		s->cfg.max_size = SERVER_MAX_SIZE;
	if (s->cfg.max_line == 0)
		s->cfg.max_line = SERVER_MAX_LINE;
	if (s->cfg.max_line < 16)
		s->cfg.max_line = 16;
	if (s->cfg.max_rcpt == 0)
		s->cfg.max_rcpt = SERVER_MAX_RCPT;
	if (s->cfg.idle_timeout == 0)
		s->cfg.idle_timeout = SERVER_IDLE_TIMEOUT;
	if (s->cfg.bare_lf >= SERVER_BARE_LF_LAST)
		s->cfg.bare_lf = SERVER_BARE_LF_TEXT;
	s->rng = cfg->seed;
	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	buf_init(&s->cur, 0);
	buf_init(&s->msg, 0);
	return s;
}

void
server_free(struct server *s)
{
	size_t	i;

	if (s == NULL)
		return;
	tx_reset(s);
	free(s->rcpt);
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->cur);
	for (i = 0; i < s->nlabels; i++)
		free(s->labels[i]);
	if (s->auth_user != NULL)
		free(s->auth_user);
	server_sasl_clear(&s->sasl);
	free(s);
}

void
server_open(struct server *s, uint64_t now)
{
	struct server_override	 ov, ob;
	const char		*client;
	char			 banner[300];
	bool			 fired;

	if (s->opened || s->closed)
		return;
	s->opened = true;
	s->started = s->idle_since = now;
	snprintf(banner, sizeof(banner), "%s ESMTP smtptool sandbox",
	    s->host);
	client = s->cfg.client != NULL ? s->cfg.client : "";
	fired = ask(s, SERVER_RULE_CONNECT, client, strlen(client), now, &ov);
	if ((!fired || (!ov.drop && ov.code == 0)) &&
	    ask(s, SERVER_RULE_BANNER, banner, strlen(banner), now, &ob)) {
		if (fired) {
			ob.delay += ov.delay;
			ob.close = ob.close || ov.close;
		}
		ov = ob;
		fired = true;
	}
	if (fired && !ov.drop && ov.code >= 400 && ov.code <= 599)
		s->refused = true;
	if (!fired || !overridden(s, &ov, now)) {
		reply(s, 220, NULL, "%s", banner);
		commit(s, now, fired ? &ov : NULL);
	}
	process(s, now);
}

int
server_input(struct server *s, const void *p, size_t len, uint64_t now)
{
	if (s->closed)
		return -1;
	if (len == 0)
		return 0;
	if (s->tls_wanted) {
		diag(s, now, "%zu bytes arrived after the 220 to STARTTLS "
		    "and before the handshake: discarded", len);
		s->injected += len;
		return 0;
	}
	s->idle_since = now;
	if ((s->held || !s->opened) &&
	    buf_avail(&s->in) + len > SERVER_INPUT_MAX) {
		diag(s, now, "more than %d bytes of input wait behind a held "
		    "reply: closing", SERVER_INPUT_MAX);
		buf_reset(&s->in);
		if (s->held)
			release(s, now);
		if (!s->closed) {
			set_close(s, SERVER_CLOSE_OVERFLOW);
			reply(s, 421, "4.7.0", "%s Too much pipelined input, "
			    "closing", s->host);
			release(s, now);
		}
		return -1;
	}
	buf_add(&s->in, p, len);
	if (s->opened)
		process(s, now);
	return s->closed ? -1 : 0;
}

void
server_tls_started(struct server *s, uint64_t now)
{
	if (s->closed)
		return;
	s->tls = true;
	s->tls_wanted = false;
	/* RFC 3207 4.2: forget everything learned in plaintext. */
	s->greeted = s->esmtp = false;
	s->helo[0] = '\0';
	tx_reset(s);
	if (s->auth_user != NULL) {
		explicit_bzero(s->auth_user, strlen(s->auth_user));
		free(s->auth_user);
		s->auth_user = NULL;
	}
	server_sasl_clear(&s->sasl);
	s->mode = MODE_CMD;
	buf_reset(&s->in);
	s->idle_since = now;
}

void
server_close(struct server *s, uint64_t now, enum server_close why)
{
	finish(s, why, false, now);
}

uint64_t
server_deadline(const struct server *s)
{
	if (s->closed || !s->opened || s->tls_wanted)
		return 0;
	if (s->held && s->deliver_pending)
		return 0;	/* our own disk, not the client's pace */
	if (s->held)
		return s->held_until;
	return s->idle_since + s->cfg.idle_timeout;
}

void
server_tick(struct server *s, uint64_t now)
{
	uint64_t	dl = server_deadline(s);

	if (dl == 0 || now < dl || s->deliver_pending)
		return;
	if (s->held) {
		release(s, now);
		process(s, now);
		return;
	}
	diag(s, now, "no input for %.0f s: closing",
	    (double)s->cfg.idle_timeout / 1e6);
	buf_reset(&s->cur);
	set_close(s, SERVER_CLOSE_TIMEOUT);
	reply(s, 421, "4.4.2", "%s Error: timeout exceeded", s->host);
	release(s, now);
}

size_t
server_output(const struct server *s, const char **p)
{
	*p = buf_head(&s->out);
	return buf_avail(&s->out);
}

void
server_output_done(struct server *s, size_t n)
{
	buf_consume(&s->out, n);
}

bool
server_want_input(const struct server *s)
{
	return !s->closed && !s->held && !s->tls_wanted &&
	    buf_avail(&s->out) < SERVER_OUTPUT_HIGH;
}

uint32_t
server_tarpit(const struct server *s)
{
	return s->tarpit;
}

bool
server_closed(const struct server *s)
{
	return s->closed;
}

bool
server_tls(const struct server *s)
{
	return s->tls;
}

void
server_received(const struct server *s, const struct server_event *ev,
    const char *date, struct buf *out)
{
	const struct server_envelope	*env = ev->env;

	buf_printf(out, "Received: from %s (%s)\r\n\tby %s (smtptool "
	    "sandbox) with %s", *env->helo != '\0' ? env->helo : "unknown",
	    s->cfg.client_literal != NULL ? s->cfg.client_literal :
	    s->cfg.client != NULL ? s->cfg.client : "unknown", s->host,
	    env->proto);
	if (ev->queue_id[0] != '\0')
		buf_printf(out, " id %s", ev->queue_id);
	if (env->nrcpt == 1)
		buf_printf(out, "\r\n\tfor <%s>", env->rcpt[0].addr);
	buf_printf(out, ";\r\n\t%s\r\n", date);
}
