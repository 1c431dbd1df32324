/*
 * The client: a socket, the session engine and the transcript, glued in the
 * event loop.  See client.h.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "rules.h"
#include "xmalloc.h"

#define CLIENT_READ_SIZE	16384
#define CLIENT_MAX_FILE		(64 * 1024 * 1024)	/* :data FILE */

struct client {
	struct loop			*loop;
	struct transcript		*t;
	struct client_options		 opts;
	struct client_listener		 l;
	void				*arg;

	struct loop_source		 src;
	enum client_state		 state;
	struct session			*s;
	int				 fd;
	uint64_t			 base;		/* loop_now() at t=0 */
	uint64_t			 last_t;	/* of the last record */

	struct addrinfo			*ai;		/* resolved addresses */
	struct addrinfo			*cur;		/* being tried */
	uint64_t			 connect_deadline;
	bool				 close_wanted;	/* the engine said so */

	char				*target;	/* as typed */
	char				 peer[INET6_ADDRSTRLEN + 8];

	/* TLS: credentials for the run, the session of this connection. */
	struct tls_client		*tlsc;
	struct tls_conn			*tc;
	struct tls_info			*info;
	enum {
		CTLS_NONE,
		CTLS_HANDSHAKE,
		CTLS_ACTIVE,
	}				 tls;
	bool				 tls_start;	/* the engine asked */
	short				 tls_events;	/* what GnuTLS waits for */
	size_t				 wlen;		/* a write to repeat */
	uint64_t			 hs_deadline;
	char				 name[256];	/* verified against */
	bool				 name_is_ip;

	/* Simulated throttling. */
	struct rules			*rules;
	struct rules_state		*rstate;
	struct rules_conn		*rconn;
	char				*rules_path;
	bool				 rules_paused;
	char				 host[256];	/* counts per client */
};

static void	client_dispatch(struct loop_source *, short, uint64_t);
static void	client_prepare(struct loop_source *, uint64_t);
static void	client_try_next(struct client *, uint64_t);

static void
set_state(struct client *c, enum client_state st)
{
	if (c->state == st)
		return;
	c->state = st;
	if (c->l.state != NULL)
		c->l.state(c->arg, st);
}

uint64_t
client_elapsed(const struct client *c)
{
	uint64_t	now = loop_now();

	return now > c->base ? now - c->base : 0;
}

static uint64_t
rel(const struct client *c, uint64_t now)
{
	return now > c->base ? now - c->base : 0;
}

static void
append(struct client *c, struct transcript_record *r)
{
	char	*err = NULL;

	/* Records in time order, whichever clock reading they carry. */
	if (r->t_us < c->last_t)
		r->t_us = c->last_t;
	c->last_t = r->t_us;
	if (transcript_append(c->t, r, &err) == -1) {
		char	*why = err;

		transcript_record_to(c->t, NULL, NULL);
		transcript_note(c->t, r->t_us, TRANSCRIPT_ERROR, "%s; "
		    "recording stopped", why != NULL ? why :
		    "cannot write the transcript");
		free(why);
	}
	if (c->l.record != NULL)
		c->l.record(c->arg, transcript_get(c->t,
		    transcript_count(c->t) - 1));
}

static void
vnote(struct client *c, uint64_t t_us, enum transcript_kind kind,
    const char *fmt, va_list ap)
{
	struct transcript_record	 r = { 0 };
	char				*msg;

	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	r.t_us = t_us;
	r.kind = kind;
	r.eol = TRANSCRIPT_EOL_CRLF;
	r.latency_us = -1;
	r.bytes = msg;
	r.len = strlen(msg);
	append(c, &r);
	free(msg);
}

static void __attribute__((format(printf, 4, 5)))
note_at(struct client *c, uint64_t t_us, enum transcript_kind kind,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vnote(c, t_us, kind, fmt, ap);
	va_end(ap);
}

void
client_note(struct client *c, enum transcript_kind kind, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vnote(c, client_elapsed(c), kind, fmt, ap);
	va_end(ap);
}

static enum transcript_eol
eol_of(int eol)
{
	switch (eol) {
	case BUF_EOL_LF:
		return TRANSCRIPT_EOL_LF;
	case BUF_EOL_NONE:
		return TRANSCRIPT_EOL_NONE;
	default:
		return TRANSCRIPT_EOL_CRLF;
	}
}

static void
close_socket(struct client *c)
{
	if (c->tc != NULL) {
		if (c->tls == CTLS_ACTIVE)
			tls_bye(c->tc);
		tls_conn_free(c->tc);
		c->tc = NULL;
	}
	c->tls = CTLS_NONE;
	c->tls_start = false;
	c->wlen = 0;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	loop_remove(c->loop, &c->src);
	if (c->ai != NULL) {
		freeaddrinfo(c->ai);
		c->ai = c->cur = NULL;
	}
	c->close_wanted = false;
	set_state(c, CLIENT_IDLE);
}

/* Every engine event: into the transcript, then to the front end. */
static void
on_event(const struct session_event *ev, void *arg)
{
	struct client			*c = arg;
	struct transcript_record	 r = { 0 };
	static const enum transcript_kind sev_kind[SEV_LAST] = {
		[SEV_INFO] = TRANSCRIPT_INFO,
		[SEV_WARNING] = TRANSCRIPT_WARNING,
		[SEV_ERROR] = TRANSCRIPT_ERROR,
	};

	r.t_us = rel(c, ev->now);
	r.latency_us = -1;
	switch (ev->type) {
	case SEV_T_SENT:
	case SEV_T_RECEIVED:
		r.kind = ev->type == SEV_T_SENT ? TRANSCRIPT_CLIENT :
		    TRANSCRIPT_SERVER;
		r.flags = (ev->tls ? TRANSCRIPT_TLS : 0) |
		    (ev->raw ? TRANSCRIPT_RAW : 0);
		r.eol = eol_of(ev->eol);
		r.bytes = ev->line;
		r.len = ev->len;
		if (ev->type == SEV_T_RECEIVED) {
			r.code = ev->code;
			r.last = ev->last;
			r.latency_us = ev->latency;
			if (ev->simulated)
				r.kind = TRANSCRIPT_SIMULATED;
		}
		append(c, &r);
		break;
	case SEV_T_DIAG:
		r.kind = sev_kind[ev->severity];
		r.eol = TRANSCRIPT_EOL_CRLF;
		r.bytes = ev->message;
		r.len = strlen(ev->message);
		append(c, &r);
		break;
	case SEV_T_CLOSE:
		c->close_wanted = true;
		break;
	case SEV_T_TLS:
		if (ev->tls_ev == TLS_WANTED)
			c->tls_start = true;
		break;
	default:
		break;
	}
	if (c->l.event != NULL)
		c->l.event(c->arg, ev);
}

/* The engine asks before each command: does a rule answer it? */
static int
client_simulate(void *arg, enum command_verb v, const char *line,
    size_t len, uint64_t now, struct session_sim *out)
{
	struct client		*c = arg;
	struct rules_action	 act;

	(void)v;
	if (c->rconn == NULL || c->rules_paused)
		return 0;
	rules_match(c->rconn, rules_event_of_verb(line, len), line, len, now,
	    &act);
	if (!act.matched)
		return 0;
	out->code = act.code;
	out->enhanced = act.enhanced;
	out->text = act.text;
	out->close = act.close;
	out->drop = act.drop;
	out->delay = act.delay_us;
	out->label = act.desc;
	return 1;
}

int
client_set_rules(struct client *c, const char *path, uint64_t seed,
    char **errstr)
{
	struct rules	*r = NULL;

	if (path != NULL && (r = rules_load(path, errstr)) == NULL)
		return -1;
	rules_conn_free(c->rconn);
	rules_state_free(c->rstate);
	rules_free(c->rules);
	free(c->rules_path);
	c->rconn = NULL;
	c->rstate = NULL;
	c->rules = r;
	c->rules_path = path != NULL ? xstrdup(path) : NULL;
	c->rules_paused = false;
	if (r != NULL) {
		c->rstate = rules_state_new(r, seed);
		if (c->state != CLIENT_IDLE)
			c->rconn = rules_conn_new(c->rstate, c->host);
	}
	return 0;
}

const char *
client_rules(const struct client *c)
{
	return c->rules_path;
}

void
client_rules_pause(struct client *c, bool paused)
{
	c->rules_paused = paused;
}

bool
client_rules_paused(const struct client *c)
{
	return c->rules_paused;
}

struct client *
client_new(struct loop *loop, struct transcript *t,
    const struct client_options *opts, const struct client_listener *l,
    void *arg)
{
	struct client	*c;
	struct timespec	 ts;

	c = xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->t = t;
	c->opts = *opts;
	if (l != NULL)
		c->l = *l;
	c->arg = arg;
	c->fd = -1;
	c->src.fd = -1;
	c->src.prepare = client_prepare;
	c->src.dispatch = client_dispatch;
	c->src.arg = c;
	c->base = loop_now();
	clock_gettime(CLOCK_REALTIME, &ts);
	transcript_set_start(t, &ts, NULL);
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	close_socket(c);
	session_free(c->s);
	rules_conn_free(c->rconn);
	rules_state_free(c->rstate);
	rules_free(c->rules);
	free(c->rules_path);
	tls_info_free(c->info);
	tls_client_free(c->tlsc);
	free(c->target);
	free(c);
}

int
client_parse_target(const char *target, char *host, size_t hostlen,
    char *port, size_t portlen, char **errstr)
{
	const char	*p, *h = target, *pt = "25";
	size_t		 hl;

	if (*target == '[') {
		if ((p = strchr(target, ']')) == NULL)
			goto bad;
		h = target + 1;
		hl = (size_t)(p - h);
		if (p[1] == ':')
			pt = p + 2;
		else if (p[1] != '\0')
			goto bad;
	} else if ((p = strchr(target, ':')) != NULL &&
	    strchr(p + 1, ':') == NULL) {
		hl = (size_t)(p - target);
		pt = p + 1;
	} else
		hl = strlen(target);	/* a name, or a bare IPv6 literal */
	if (hl == 0 || hl >= hostlen || *pt == '\0' ||
	    strlen(pt) >= portlen || strspn(pt, "0123456789"
	    "abcdefghijklmnopqrstuvwxyz-") != strlen(pt))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, pt);
	if (strspn(pt, "0123456789") == strlen(pt) &&
	    (atoi(pt) < 1 || atoi(pt) > 65535 || strlen(pt) > 5))
		goto bad;
	return 0;
bad:
	seterr(errstr, "cannot parse target \"%s\": expected HOST, "
	    "HOST:PORT or [IPv6]:PORT", target);
	return -1;
}

int
client_connect(struct client *c, const char *target, char **errstr)
{
	struct addrinfo	 hints;
	char		 host[256], port[32];
	int		 rc;
	uint64_t	 now = loop_now();

	if (c->state != CLIENT_IDLE) {
		seterr(errstr, "cannot connect to %s: already "
		    "connected to %s (:disconnect first)", target,
		    c->target);
		return -1;
	}
	if (client_parse_target(target, host, sizeof(host), port,
	    sizeof(port), errstr) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = c->opts.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &c->ai);
	if (rc == EAI_NONAME || rc == EAI_SERVICE) {
		/* A name: the resolver (blocking, bounded by its own
		 * timeouts in resolv.conf). */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, port, &hints, &c->ai);
	}
	if (rc != 0) {
		c->ai = NULL;
		seterr(errstr, "cannot resolve %s: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	free(c->target);
	c->target = xstrdup(target);
	tls_normalize_name(c->opts.sni != NULL ? c->opts.sni : host, c->name,
	    sizeof(c->name), &c->name_is_ip);
	tls_info_free(c->info);
	c->info = NULL;
	if (transcript_target(c->t) == NULL || *transcript_target(c->t) == '\0')
		transcript_set_start(c->t, transcript_start(c->t), target);
	session_free(c->s);
	c->s = session_new(&(struct session_config){
	    .reply_timeout = c->opts.reply_timeout,
	    .helo_fallback = true,
	    .starttls = c->opts.starttls,
	    .require_tls = c->opts.require_tls,
	    .allow_plaintext_auth = c->opts.allow_plaintext_auth,
	    .show_secrets = c->opts.show_secrets,
	    .auth_mech = c->opts.auth_mech,
	    .auth_user = c->opts.auth_user,
	    .auth_secret = c->opts.auth_secret,
	    .auth_secretlen = c->opts.auth_secretlen,
	    .auth_host = c->name,
	    .auth_port = atoi(port),
	    .simulate = client_simulate,
	    .simulate_arg = c }, on_event, c);
	snprintf(c->host, sizeof(c->host), "%s", host);
	rules_conn_free(c->rconn);
	c->rconn = c->rstate != NULL ? rules_conn_new(c->rstate, c->host) :
	    NULL;
	c->cur = NULL;
	set_state(c, CLIENT_CONNECTING);
	loop_add(c->loop, &c->src);
	client_try_next(c, now);
	return 0;
}

static void
addr_name(const struct addrinfo *ai, char *out, size_t len)
{
	char	host[INET6_ADDRSTRLEN];
	int	port;

	if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (void *)ai->ai_addr;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(out, len, "[%s]:%d", host, port);
	} else {
		const struct sockaddr_in *s4 = (void *)ai->ai_addr;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(out, len, "%s:%d", host, port);
	}
}

/* The handshake is done: inspect, verify, tell the engine. */
static void
tls_up(struct client *c, uint64_t now)
{
	char	*summary, **reasons;
	size_t	 i;

	c->tls = CTLS_ACTIVE;
	c->tls_events = 0;
	tls_info_free(c->info);
	c->info = tls_inspect(c->tc, c->name, time(NULL));
	summary = tls_info_summary(c->info);
	reasons = xmalloc((c->info->nreasons + 1) * sizeof(*reasons));
	for (i = 0; i < c->info->nreasons; i++)
		if (asprintf(&reasons[i], "certificate not verified for %s: %s",
		    c->name, c->info->reasons[i]) == -1)
			reasons[i] = xstrdup(c->info->reasons[i]);
	session_tls_started(c->s, now, c->info->verified, summary, reasons,
	    c->info->nreasons);
	for (i = 0; i < c->info->nreasons; i++)
		free(reasons[i]);
	free(reasons);
	free(summary);
}

static void
handshake_step(struct client *c)
{
	char		*err = NULL;
	enum tls_io	 io;
	uint64_t	 now;

	/* The whole handshake may complete in one call: stamp it after. */
	io = tls_handshake(c->tc, &err);
	now = loop_now();
	switch (io) {
	case TLS_IO_OK:
		tls_up(c, now);
		return;
	case TLS_IO_WANT_READ:
		c->tls_events = POLLIN;
		return;
	case TLS_IO_WANT_WRITE:
		c->tls_events = POLLOUT;
		return;
	case TLS_IO_EOF:
		session_tls_failed(c->s, now, "cannot complete TLS handshake: "
		    "the server closed the connection");
		return;
	case TLS_IO_ERROR:
		session_tls_failed(c->s, now, err != NULL ? err :
		    "cannot complete TLS handshake");
		free(err);
		return;
	}
}

/* The engine saw the 220 to STARTTLS, or implicit TLS: shake hands. */
static void
start_tls(struct client *c, uint64_t now)
{
	const char	*sni;
	char		*err = NULL;

	c->tls_start = false;
	if (c->tlsc == NULL &&
	    (c->tlsc = tls_client_new(&c->opts.tls, &err)) == NULL) {
		session_tls_failed(c->s, now, err);
		free(err);
		return;
	}
	sni = c->opts.sni != NULL || !c->name_is_ip ? c->name : NULL;
	if ((c->tc = tls_conn_new(c->tlsc, c->fd, sni, &err)) == NULL) {
		session_tls_failed(c->s, now, err);
		free(err);
		return;
	}
	note_at(c, rel(c, now), TRANSCRIPT_INFO, "TLS handshake%s%s%s",
	    sni != NULL ? " (SNI " : " (no SNI: the target is an IP address",
	    sni != NULL ? sni : "", ")");
	c->tls = CTLS_HANDSHAKE;
	c->hs_deadline = now + c->opts.connect_timeout;
	handshake_step(c);
}

static void
connected(struct client *c, uint64_t now)
{
	int	one = 1;

	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(c->ai);
	c->ai = c->cur = NULL;
	c->connect_deadline = 0;
	note_at(c, rel(c, now), TRANSCRIPT_INFO, "connected to %s", c->peer);
	set_state(c, CLIENT_CONNECTED);
	session_open(c->s, now);
	if (c->opts.implicit_tls) {
		c->tls_start = true;
		start_tls(c, now);
	}
}

/* Try the next resolved address, or give up. */
static void
client_try_next(struct client *c, uint64_t now)
{
	for (;;) {
		c->cur = c->cur == NULL ? c->ai : c->cur->ai_next;
		if (c->cur == NULL) {
			if (c->ai != NULL && c->ai->ai_next != NULL)
				client_note(c, TRANSCRIPT_ERROR, "cannot "
				    "connect to %s: no address left to try",
				    c->target);
			close_socket(c);
			return;
		}
		addr_name(c->cur, c->peer, sizeof(c->peer));
		c->fd = socket(c->cur->ai_family, c->cur->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, c->cur->ai_protocol);
		if (c->fd == -1) {
			client_note(c, TRANSCRIPT_ERROR, "cannot connect to "
			    "%s: %s", c->peer, strerror(errno));
			continue;
		}
		client_note(c, TRANSCRIPT_INFO, "connecting to %s", c->peer);
		if (connect(c->fd, c->cur->ai_addr, c->cur->ai_addrlen) == 0) {
			connected(c, now);
			return;
		}
		if (errno == EINPROGRESS) {
			c->connect_deadline = now + c->opts.connect_timeout;
			return;
		}
		client_note(c, TRANSCRIPT_ERROR, "cannot connect to %s: %s",
		    c->peer, strerror(errno));
		close(c->fd);
		c->fd = -1;
	}
}

void
client_disconnect(struct client *c, const char *why)
{
	if (c->state == CLIENT_IDLE)
		return;
	if (c->s != NULL)
		session_close(c->s, loop_now());
	client_note(c, TRANSCRIPT_INFO, "disconnected%s%s",
	    why != NULL ? ": " : "", why != NULL ? why : "");
	close_socket(c);
}

int
client_send(struct client *c, const char *line, size_t len, char **errstr)
{
	if (c->state != CLIENT_CONNECTED || c->s == NULL) {
		seterr(errstr, "cannot send \"%.*s\": not connected "
		    "(:connect HOST[:PORT] first)", (int)(len > 40 ? 40 : len),
		    line);
		return -1;
	}
	return session_command(c->s, line, len, loop_now(), errstr);
}

int
client_read_file(const char *path, char **p, size_t *len, char **errstr)
{
	struct stat	 st;
	char		*body;
	size_t		 n;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		seterr(errstr, "cannot read %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CLIENT_MAX_FILE) {
		seterr(errstr, "cannot read %s: %s", path,
		    S_ISREG(st.st_mode) ? "larger than 64 MiB" :
		    "not a regular file");
		close(fd);
		return -1;
	}
	body = xmalloc((size_t)st.st_size + 1);
	n = 0;
	while (n < (size_t)st.st_size &&
	    (r = read(fd, body + n, (size_t)st.st_size - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			seterr(errstr, "cannot read %s: %s", path,
			    strerror(errno));
			free(body);
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	body[n] = '\0';
	*p = body;
	*len = n;
	return 0;
}

static int
not_connected(const struct client *c, const char *what, char **errstr)
{
	if (c->state == CLIENT_CONNECTED && c->s != NULL)
		return 0;
	return seterr(errstr, "cannot %s: not connected (:connect "
	    "HOST[:PORT] first)", what);
}

int
client_send_file(struct client *c, const char *path, bool raw,
    char **errstr)
{
	char	*body;
	size_t	 n;
	int	 rc;

	if (not_connected(c, "send the message", errstr) == -1 ||
	    client_read_file(path, &body, &n, errstr) == -1)
		return -1;
	rc = raw ? session_message_raw(c->s, body, n, loop_now(), errstr) :
	    session_message(c->s, body, n, loop_now(), errstr);
	free(body);
	return rc;
}

int
client_bdat_file(struct client *c, const char *path, size_t chunk,
    char **errstr)
{
	char	*body;
	size_t	 n;
	int	 rc;

	if (not_connected(c, "send BDAT", errstr) == -1 ||
	    client_read_file(path, &body, &n, errstr) == -1)
		return -1;
	rc = session_bdat(c->s, body, n, chunk, loop_now(), errstr);
	free(body);
	return rc;
}

int
client_send_tx(struct client *c, const struct session_tx *tx, char **errstr)
{
	if (not_connected(c, "send the message", errstr) == -1)
		return -1;
	return session_send_tx(c->s, tx, loop_now(), errstr);
}

int
client_auth(struct client *c, enum sasl_mech mech, const char *user,
    const char *secret, size_t len, char **errstr)
{
	if (not_connected(c, "authenticate", errstr) == -1)
		return -1;
	return session_auth(c->s, mech, user, secret, len, loop_now(),
	    errstr);
}

static void
client_prepare(struct loop_source *src, uint64_t now)
{
	struct client	*c = src->arg;
	const char	*p;
	uint64_t	 dl;

	(void)now;
	src->fd = c->fd;
	src->events = 0;
	src->deadline = 0;
	if (c->state == CLIENT_CONNECTING) {
		src->events = POLLOUT;
		src->deadline = c->connect_deadline;
		return;
	}
	if (c->state != CLIENT_CONNECTED)
		return;
	if ((dl = session_deadline(c->s)) != 0)
		src->deadline = dl;
	switch (c->tls) {
	case CTLS_HANDSHAKE:
		src->events = c->tls_events;
		if (src->deadline == 0 || c->hs_deadline < src->deadline)
			src->deadline = c->hs_deadline;
		return;
	case CTLS_ACTIVE:
		/* Decrypted bytes inside GnuTLS: poll cannot see them. */
		if (tls_pending(c->tc) > 0)
			src->ready = true;
		src->events = POLLIN;
		if (c->wlen > 0)
			src->events |= c->tls_events;
		else if (session_output(c->s, &p) > 0)
			src->events |= POLLOUT;
		return;
	case CTLS_NONE:
		break;
	}
	src->events = POLLIN;
	if (session_output(c->s, &p) > 0)
		src->events |= POLLOUT;
}

static void
connect_dispatch(struct client *c, short revents, uint64_t now)
{
	socklen_t	len;
	int		err = 0;

	if (revents == 0) {
		if (now < c->connect_deadline)
			return;
		client_note(c, TRANSCRIPT_ERROR, "cannot connect to %s: no "
		    "answer within %.1f s (--connect-timeout)", c->peer,
		    (double)c->opts.connect_timeout / 1e6);
	} else {
		len = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err == 0) {
			connected(c, now);
			return;
		}
		client_note(c, TRANSCRIPT_ERROR, "cannot connect to %s: %s",
		    c->peer, strerror(err));
	}
	close(c->fd);
	c->fd = -1;
	client_try_next(c, now);
}

/* Plaintext I/O. */
static void
plain_io(struct client *c, short revents, uint64_t now)
{
	char		 buf[CLIENT_READ_SIZE];
	const char	*p;
	size_t		 n;
	ssize_t		 r;

	if (revents & POLLOUT) {
		n = session_output(c->s, &p);
		r = send(c->fd, p, n, MSG_NOSIGNAL);
		if (r > 0)
			session_output_done(c->s, (size_t)r);
		else if (r == -1 && errno != EAGAIN && errno != EINTR) {
			client_note(c, TRANSCRIPT_ERROR, "cannot send to %s: "
			    "%s", c->peer, strerror(errno));
			session_eof(c->s, now);
			return;
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR) && !c->close_wanted &&
	    !c->tls_start) {
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r > 0)
			session_input(c->s, buf, (size_t)r, now);
		else if (r == 0)
			session_eof(c->s, now);
		else if (errno != EAGAIN && errno != EINTR) {
			client_note(c, TRANSCRIPT_ERROR, "cannot read from "
			    "%s: %s", c->peer, strerror(errno));
			session_eof(c->s, now);
		}
	}
}

/* I/O inside TLS. */
static void
tls_io(struct client *c, short revents, uint64_t now)
{
	char		 buf[CLIENT_READ_SIZE];
	const char	*p;
	char		*err = NULL;
	size_t		 n, done;
	enum tls_io	 r;

	n = c->wlen > 0 ? c->wlen : session_output(c->s, &p);
	if (n > 0 && (revents & (POLLOUT | POLLIN)) != 0) {
		session_output(c->s, &p);
		switch (tls_write(c->tc, p, n, &done, &err)) {
		case TLS_IO_OK:
			c->wlen = 0;
			session_output_done(c->s, done);
			break;
		case TLS_IO_WANT_READ:
		case TLS_IO_WANT_WRITE:
			/* GnuTLS wants the same bytes again. */
			c->wlen = n;
			c->tls_events = POLLIN | POLLOUT;
			break;
		case TLS_IO_EOF:
		case TLS_IO_ERROR:
			client_note(c, TRANSCRIPT_ERROR, "cannot send to %s: "
			    "%s", c->peer, err != NULL ? err : "TLS error");
			free(err);
			session_eof(c->s, now);
			return;
		}
	}
	while (c->tls == CTLS_ACTIVE && !c->close_wanted &&
	    ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 ||
	    tls_pending(c->tc) > 0)) {
		r = tls_read(c->tc, buf, sizeof(buf), &done, &err);
		if (r == TLS_IO_OK) {
			session_input(c->s, buf, done, now);
			revents = 0;	/* more only if GnuTLS holds some */
			continue;
		}
		if (r == TLS_IO_EOF)
			session_eof(c->s, now);
		else if (r == TLS_IO_ERROR) {
			client_note(c, TRANSCRIPT_ERROR, "cannot read from "
			    "%s: %s", c->peer, err != NULL ? err :
			    "TLS error");
			free(err);
			session_eof(c->s, now);
		}
		break;
	}
}

static void
client_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct client	*c = src->arg;
	const char	*p;
	size_t		 n;

	if (c->state == CLIENT_CONNECTING) {
		connect_dispatch(c, revents, now);
		return;
	}
	if (c->state != CLIENT_CONNECTED)
		return;
	switch (c->tls) {
	case CTLS_NONE:
		plain_io(c, revents, now);
		break;
	case CTLS_HANDSHAKE:
		if (revents != 0)
			handshake_step(c);
		else if (now >= c->hs_deadline)
			session_tls_failed(c->s, now, "cannot complete TLS "
			    "handshake: no answer within the connect timeout");
		break;
	case CTLS_ACTIVE:
		tls_io(c, revents, now);
		break;
	}
	if (c->tls_start && !c->close_wanted)
		start_tls(c, now);
	if (revents == 0)
		session_tick(c->s, now);
	if (c->close_wanted) {
		/* Whatever the engine still queued goes out first. */
		n = session_output(c->s, &p);
		if (n > 0 && c->tls == CTLS_NONE)
			(void)send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		else if (n > 0 && c->tls == CTLS_ACTIVE)
			(void)tls_write(c->tc, p, n, &n, NULL);
		client_note(c, TRANSCRIPT_INFO, "connection closed");
		close_socket(c);
	}
}

enum client_state
client_state(const struct client *c)
{
	return c->state;
}

const char *
client_target(const struct client *c)
{
	return c->target;
}

const char *
client_peer(const struct client *c)
{
	return c->state == CLIENT_IDLE && c->s == NULL ? NULL : c->peer;
}

struct session *
client_session(const struct client *c)
{
	return c->s;
}

const struct tls_info *
client_tls_info(const struct client *c)
{
	return c->info;
}

bool
client_flushed(const struct client *c)
{
	const char	*p;

	return c->s == NULL || (session_output(c->s, &p) == 0 &&
	    c->wlen == 0);
}

bool
client_in_message(const struct client *c)
{
	return c->state == CLIENT_CONNECTED && c->s != NULL &&
	    session_in_message(c->s);
}

struct transcript *
client_transcript(const struct client *c)
{
	return c->t;
}
