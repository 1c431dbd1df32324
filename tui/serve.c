/*
 * The sandbox SMTP server's front end: see serve.h.  Sockets, TLS, timers
 * and files are here; the protocol is session/server.c, the throttling
 * session/rules.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "exitcode.h"
#include "maildir.h"
#include "rules.h"
#include "serve.h"
#include "server.h"
#include "tls.h"
#include "xmalloc.h"

#define SERVE_READ_SIZE		16384
#define SERVE_HOSTNAME		"sandbox.smtptool.test"

struct sconn;

struct serve {
	struct serve_options	 o;
	struct loop		*loop;
	struct loop_source	 lsrc;		/* the listener */
	int			 lfd;
	char			 addr[INET6_ADDRSTRLEN + 8];
	struct sconn		*conns;
	size_t			 nconns;
	struct rules		*rules;
	struct rules_state	*rstate;
	struct tls_server	*tls;
	char			*tls_dir;
	char			*ca_file;
	struct maildir		 md;
	bool			 md_open;
	struct loop_source	 syncsrc;	/* group commit, log flush */
	size_t			 nsync;
	bool			 log_dirty;
	char			*maildir;
	uint64_t		 seed;
	struct server_user	 users[1];
};

struct sconn {
	struct serve		*sv;
	struct sconn		*next;
	struct loop_source	 src;
	int			 fd;
	char			 peer[INET6_ADDRSTRLEN + 8];
	char			 host[INET6_ADDRSTRLEN];
	char			 literal[INET6_ADDRSTRLEN + 8];
	struct server		*srv;
	struct rules_conn	*rc;
	struct tls_conn		*tc;
	enum {
		SC_PLAIN,
		SC_HANDSHAKE,
		SC_TLS,
	}			 tls;
	bool			 tls_start;
	short			 tls_events;
	size_t			 wlen;		/* a TLS write to repeat */
	uint64_t		 next_write;	/* tarpit pacing */
	bool			 closing;
	bool			 sync_pending;	/* a message awaits the sync */
	char			 sync_id[SERVER_QUEUE_ID_MAX];
};

static void __attribute__((format(printf, 2, 3)))
slog(struct serve *sv, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		return;
	if (sv->o.log != NULL)
		sv->o.log(sv->o.log_arg, line);
	else {
		/* Buffered; flushed once a loop turn (sync_prepare). */
		fprintf(stderr, "smtptool serve: %s\n", line);
		sv->log_dirty = true;
	}
	free(line);
}

/* $XDG_DATA_HOME/smtptool/SUB, or ~/.local/share/smtptool/SUB. */
static char *
data_path(const char *sub)
{
	const char	*base = getenv("XDG_DATA_HOME"), *home;
	char		*p;

	if (base != NULL && *base == '/') {
		if (asprintf(&p, "%s/smtptool/%s", base, sub) == -1)
			abort();
	} else {
		home = getenv("HOME");
		if (asprintf(&p, "%s/.local/share/smtptool/%s",
		    home != NULL ? home : "/tmp", sub) == -1)
			abort();
	}
	return p;
}

/* mkdir -p, mode 0700 for what it creates. */
static int
mkdirs(const char *path)
{
	char	*p = xstrdup(path), *s;
	int	 rc = 0;

	for (s = p + 1; rc == 0 && *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) == -1 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

/* Mapping the engine's rule events onto the rules engine's. */
static const enum rules_event rule_event_map[SERVER_RULE_LAST] = {
	[SERVER_RULE_CONNECT] = RULES_EV_CONNECT,
	[SERVER_RULE_BANNER] = RULES_EV_BANNER,
	[SERVER_RULE_HELO] = RULES_EV_HELO,
	[SERVER_RULE_EHLO] = RULES_EV_EHLO,
	[SERVER_RULE_STARTTLS] = RULES_EV_STARTTLS,
	[SERVER_RULE_AUTH] = RULES_EV_AUTH,
	[SERVER_RULE_MAIL] = RULES_EV_MAIL,
	[SERVER_RULE_RCPT] = RULES_EV_RCPT,
	[SERVER_RULE_DATA] = RULES_EV_DATA,
	[SERVER_RULE_DOT] = RULES_EV_DOT,
	[SERVER_RULE_BDAT] = RULES_EV_BDAT,
	[SERVER_RULE_RSET] = RULES_EV_RSET,
	[SERVER_RULE_NOOP] = RULES_EV_NOOP,
	[SERVER_RULE_QUIT] = RULES_EV_QUIT,
	[SERVER_RULE_OTHER] = RULES_EV_OTHER,
	[SERVER_RULE_ANY] = RULES_EV_ANY,
};

static int
on_rule(void *arg, int event, const char *line, size_t len, uint64_t now,
    struct server_override *out)
{
	struct sconn		*sc = arg;
	struct rules_action	 act;

	if (sc->rc == NULL || event < 0 || event >= SERVER_RULE_LAST)
		return 0;
	rules_match(sc->rc, rule_event_map[event], line, len, now, &act);
	if (!act.matched)
		return 0;
	out->code = act.code;
	out->enhanced = act.enhanced;
	out->text = act.text;
	out->close = act.close;
	out->drop = act.drop;
	out->delay = act.delay_us;
	out->tarpit = act.tarpit_bps;
	out->label = act.desc;
	return 1;
}

/* Store a message: Received: line, then the client's bytes, durably. */
static int
deliver(struct sconn *sc, struct server_event *ev)
{
	struct serve	*sv = sc->sv;
	struct buf	 b;
	struct tm	 tm;
	time_t		 t = time(NULL);
	char		 date[64], *err = NULL;
	int		 rc;

	if (sv->o.discard) {
		snprintf(ev->queue_id, sizeof(ev->queue_id), "discarded");
		return 0;
	}
	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_init(&b, 0);
	server_received(sc->srv, ev, date, &b);
	buf_add(&b, ev->msg, ev->msglen);
	rc = maildir_deliver_nosync(&sv->md, buf_head(&b), buf_avail(&b),
	    ev->queue_id, sizeof(ev->queue_id), &err);
	buf_free(&b);
	if (rc == -1) {
		slog(sv, "%s", err != NULL ? err : "cannot store a message");
		free(err);
		return -1;
	}
	/* In new/, not yet durable: the 250 waits for the next sync. */
	sc->sync_pending = true;
	snprintf(sc->sync_id, sizeof(sc->sync_id), "%s", ev->queue_id);
	sv->nsync++;
	return 1;
}

/*
 * Group commit: one sync of new/ for every message of the turn, then their
 * 250s (or, when the sync fails, the messages are removed and refused).
 */
static void
sync_prepare(struct loop_source *src, uint64_t now)
{
	struct serve	*sv = src->arg;

	(void)now;
	if (sv->log_dirty) {
		fflush(stderr);
		sv->log_dirty = false;
	}
	src->ready = sv->nsync > 0;
}

static void
sync_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct serve	*sv = src->arg;
	struct sconn	*sc;
	char		*err = NULL;
	int		 rc;

	(void)revents;
	if (sv->nsync == 0)
		return;
	rc = maildir_sync(&sv->md, &err);
	if (rc == -1) {
		slog(sv, "%s", err != NULL ? err : "cannot sync the maildir");
		free(err);
	}
	sv->nsync = 0;
	for (sc = sv->conns; sc != NULL; sc = sc->next) {
		if (!sc->sync_pending)
			continue;
		sc->sync_pending = false;
		if (rc == -1)
			maildir_forget(&sv->md, sc->sync_id);
		server_deliver_done(sc->srv, now, rc == 0);
	}
}

static int
on_server(struct server_event *ev, void *arg)
{
	struct sconn	*sc = arg;

	switch (ev->type) {
	case SERVER_EV_DELIVER:
		return deliver(sc, ev);
	case SERVER_EV_TLS_WANTED:
		sc->tls_start = true;
		break;
	case SERVER_EV_CLOSE:
		sc->closing = true;
		break;
	case SERVER_EV_LOG:
	case SERVER_EV_DIAG:
		slog(sc->sv, "%.*s", (int)ev->len, ev->line);
		break;
	default:
		break;
	}
	return 0;
}

static void
sconn_free(struct sconn *sc)
{
	struct serve	*sv = sc->sv;
	struct sconn	**pp;

	for (pp = &sv->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == sc) {
			*pp = sc->next;
			break;
		}
	sv->nconns--;
	if (sc->sync_pending)
		sv->nsync--;	/* never acknowledged: the client retries */
	loop_remove(sv->loop, &sc->src);
	if (sc->tc != NULL) {
		if (sc->tls == SC_TLS)
			tls_bye(sc->tc);
		tls_conn_free(sc->tc);
	}
	if (sc->fd != -1)
		close(sc->fd);
	server_free(sc->srv);
	rules_conn_free(sc->rc);
	free(sc);
}

/* The engine is done, or the socket failed: flush what we can, close. */
static void
sconn_close(struct sconn *sc, uint64_t now, enum server_close why)
{
	const char	*p;
	size_t		 n, done;

	if (!server_closed(sc->srv))
		server_close(sc->srv, now, why);
	n = server_output(sc->srv, &p);
	if (n > 0 && sc->tls == SC_PLAIN)
		(void)send(sc->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	else if (n > 0 && sc->tls == SC_TLS)
		(void)tls_write(sc->tc, p, n, &done, NULL);
	sconn_free(sc);
}

static void
sconn_start_tls(struct sconn *sc)
{
	char	*err = NULL;

	sc->tls_start = false;
	if (sc->sv->tls == NULL ||
	    (sc->tc = tls_conn_new_server(sc->sv->tls, sc->fd, &err)) == NULL) {
		slog(sc->sv, "%s: %s", sc->peer, err != NULL ? err :
		    "cannot start TLS");
		free(err);
		sc->closing = true;
		return;
	}
	sc->tls = SC_HANDSHAKE;
	sc->tls_events = POLLIN;
}

static void
sconn_handshake(struct sconn *sc, uint64_t now)
{
	char	*err = NULL;

	switch (tls_handshake(sc->tc, &err)) {
	case TLS_IO_OK:
		sc->tls = SC_TLS;
		sc->tls_events = 0;
		server_tls_started(sc->srv, loop_now());
		break;
	case TLS_IO_WANT_READ:
		sc->tls_events = POLLIN;
		break;
	case TLS_IO_WANT_WRITE:
		sc->tls_events = POLLOUT;
		break;
	case TLS_IO_EOF:
	case TLS_IO_ERROR:
		slog(sc->sv, "%s: %s", sc->peer, err != NULL ? err :
		    "the client closed during the TLS handshake");
		free(err);
		server_close(sc->srv, now, SERVER_CLOSE_ERROR);
		sc->closing = true;
		break;
	}
}

/* How many bytes the tarpit lets out now (0: wait). */
static size_t
tarpit_allow(struct sconn *sc, size_t n, uint64_t now)
{
	uint32_t	bps = server_tarpit(sc->srv);
	size_t		chunk;

	if (bps == 0)
		return n;
	if (now < sc->next_write)
		return 0;
	chunk = bps / 10 > 0 ? bps / 10 : 1;
	if (chunk > n)
		chunk = n;
	sc->next_write = now + (uint64_t)chunk * 1000000 / bps;
	return chunk;
}

static void
sconn_write(struct sconn *sc, uint64_t now)
{
	const char	*p;
	size_t		 n, done;
	ssize_t		 r;
	char		*err = NULL;

	n = sc->wlen > 0 ? sc->wlen : server_output(sc->srv, &p);
	server_output(sc->srv, &p);
	if (n == 0)
		return;
	if (sc->wlen == 0 && (n = tarpit_allow(sc, n, now)) == 0)
		return;
	if (sc->tls == SC_PLAIN) {
		r = send(sc->fd, p, n, MSG_NOSIGNAL);
		if (r > 0)
			server_output_done(sc->srv, (size_t)r);
		else if (r == -1 && errno != EAGAIN && errno != EINTR) {
			server_close(sc->srv, now, SERVER_CLOSE_ERROR);
			sc->closing = true;
		}
		return;
	}
	switch (tls_write(sc->tc, p, n, &done, &err)) {
	case TLS_IO_OK:
		sc->wlen = 0;
		server_output_done(sc->srv, done);
		break;
	case TLS_IO_WANT_READ:
	case TLS_IO_WANT_WRITE:
		sc->wlen = n;
		break;
	case TLS_IO_EOF:
	case TLS_IO_ERROR:
		free(err);
		server_close(sc->srv, now, SERVER_CLOSE_ERROR);
		sc->closing = true;
		break;
	}
}

static void
sconn_read(struct sconn *sc, uint64_t now)
{
	char		 buf[SERVE_READ_SIZE];
	char		*err = NULL;
	size_t		 got;
	ssize_t		 r;
	enum tls_io	 io;

	if (sc->tls == SC_PLAIN) {
		r = recv(sc->fd, buf, sizeof(buf), 0);
		if (r > 0)
			server_input(sc->srv, buf, (size_t)r, now);
		else if (r == 0) {
			server_close(sc->srv, now, SERVER_CLOSE_CLIENT);
			sc->closing = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			server_close(sc->srv, now, SERVER_CLOSE_ERROR);
			sc->closing = true;
		}
		return;
	}
	do {
		io = tls_read(sc->tc, buf, sizeof(buf), &got, &err);
		if (io == TLS_IO_OK)
			server_input(sc->srv, buf, got, now);
		else if (io == TLS_IO_EOF || io == TLS_IO_ERROR) {
			free(err);
			err = NULL;
			server_close(sc->srv, now, io == TLS_IO_EOF ?
			    SERVER_CLOSE_CLIENT : SERVER_CLOSE_ERROR);
			sc->closing = true;
		}
	} while (io == TLS_IO_OK && !sc->closing && !sc->tls_start &&
	    server_want_input(sc->srv) && tls_pending(sc->tc) > 0);
}

static void
sconn_prepare(struct loop_source *src, uint64_t now)
{
	struct sconn	*sc = src->arg;
	const char	*p;
	uint64_t	 dl;

	(void)now;
	src->fd = sc->fd;
	src->events = 0;
	src->deadline = server_deadline(sc->srv);
	if (sc->closing || sc->tls_start) {
		src->ready = true;
		return;
	}
	if (sc->tls == SC_HANDSHAKE) {
		src->events = sc->tls_events;
		return;
	}
	if (server_want_input(sc->srv))
		src->events |= POLLIN;
	if (sc->wlen > 0 || server_output(sc->srv, &p) > 0) {
		if (server_tarpit(sc->srv) != 0 && sc->next_write > now &&
		    sc->wlen == 0) {
			dl = sc->next_write;
			if (src->deadline == 0 || dl < src->deadline)
				src->deadline = dl;
		} else
			src->events |= POLLOUT;
	}
	if (sc->tls == SC_TLS && server_want_input(sc->srv) &&
	    tls_pending(sc->tc) > 0)
		src->ready = true;
}

static void
sconn_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct sconn	*sc = src->arg;
	const char	*p;

	if (sc->tls == SC_HANDSHAKE) {
		if (revents != 0)
			sconn_handshake(sc, now);
	} else {
		if (revents & POLLOUT || (revents == 0 &&
		    server_tarpit(sc->srv) != 0))
			sconn_write(sc, now);
		if ((revents & (POLLIN | POLLHUP | POLLERR) ||
		    (sc->tls == SC_TLS && tls_pending(sc->tc) > 0)) &&
		    !sc->closing && server_want_input(sc->srv))
			sconn_read(sc, now);
	}
	if (server_deadline(sc->srv) != 0 && now >= server_deadline(sc->srv))
		server_tick(sc->srv, now);
	if (sc->tls_start && !sc->closing) {
		/* The 220 goes out in plaintext first. */
		while (server_output(sc->srv, &p) > 0 && !sc->closing) {
			ssize_t r = send(sc->fd, p, server_output(sc->srv, &p),
			    MSG_NOSIGNAL);

			if (r <= 0)
				break;
			server_output_done(sc->srv, (size_t)r);
		}
		sconn_start_tls(sc);
	}
	if (sc->closing)
		sconn_close(sc, now, SERVER_CLOSE_ERROR);
}

static void
accept_one(struct serve *sv, int fd, const struct sockaddr_storage *ss,
    uint64_t now)
{
	struct server_config	 cfg;
	struct sconn		*sc;
	int			 one = 1, port;

	if (sv->nconns >= (sv->o.max_clients != 0 ? sv->o.max_clients :
	    SERVE_MAX_CLIENTS)) {
		static const char busy[] = "421 4.7.0 Too many connections, "
		    "try again later\r\n";

		(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL |
		    MSG_DONTWAIT);
		close(fd);
		slog(sv, "refused a connection: %zu clients already",
		    sv->nconns);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sc = xmalloc(sizeof(*sc));
	memset(sc, 0, sizeof(*sc));
	sc->sv = sv;
	sc->fd = fd;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, sc->host,
		    sizeof(sc->host));
		port = ntohs(s6->sin6_port);
		snprintf(sc->peer, sizeof(sc->peer), "[%s]:%d", sc->host,
		    port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, sc->host, sizeof(sc->host));
		port = ntohs(s4->sin_port);
		snprintf(sc->peer, sizeof(sc->peer), "%s:%d", sc->host, port);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = sv->o.hostname != NULL ? sv->o.hostname :
	    SERVE_HOSTNAME;
	cfg.client = sc->peer;
	snprintf(sc->literal, sizeof(sc->literal), "[%s%s]",
	    ss->ss_family == AF_INET6 ? "IPv6:" : "", sc->host);
	cfg.client_literal = sc->literal;
	cfg.max_size = sv->o.max_size;
	cfg.idle_timeout = sv->o.idle_timeout;
	cfg.starttls = sv->tls != NULL;
	/* Against SMTP smuggling, as Postfix's smtpd_forbid_bare_newline. */
	cfg.bare_lf = SERVER_BARE_LF_REJECT;
	cfg.users = sv->users;
	cfg.nusers = 1;
	cfg.seed = sv->seed ^ (now * 0x9e3779b97f4a7c15ULL);
	if (sv->rstate != NULL) {
		sc->rc = rules_conn_new(sv->rstate, sc->host);
		cfg.rule = on_rule;
		cfg.rule_arg = sc;
	}
	sc->srv = server_new(&cfg, on_server, sc);
	sc->src.fd = fd;
	sc->src.prepare = sconn_prepare;
	sc->src.dispatch = sconn_dispatch;
	sc->src.arg = sc;
	sc->next = sv->conns;
	sv->conns = sc;
	sv->nconns++;
	loop_add(sv->loop, &sc->src);
	server_open(sc->srv, now);
}

static void
listen_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct serve		*sv = src->arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, n;

	(void)revents;
	for (n = 0; n < 64; n++) {
		len = sizeof(ss);
		fd = accept4(sv->lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				slog(sv, "cannot accept a connection: %s",
				    strerror(errno));
			return;
		}
		accept_one(sv, fd, &ss, now);
	}
}

static bool
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr);
	return false;
}

static int
open_listener(struct serve *sv, const char *listen_on, char **errstr)
{
	struct addrinfo		 hints, *ai = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 host[256], port[32], name[INET6_ADDRSTRLEN];
	int			 one = 1, rc;

	char			*copy;
	size_t			 n = strlen(listen_on);

	/* Port 0 (any free port) is fine to listen on, not to connect to. */
	copy = xstrdup(listen_on);
	if (n >= 2 && strcmp(listen_on + n - 2, ":0") == 0)
		copy[n - 1] = '1';
	rc = client_parse_target(copy, host, sizeof(host), port,
	    sizeof(port), errstr);
	free(copy);
	if (rc == -1)
		return -1;
	if (n >= 2 && strcmp(listen_on + n - 2, ":0") == 0)
		strcpy(port, "0");
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return seterr(errstr, "cannot listen on %s: %s", listen_on,
		    gai_strerror(rc));
	if (!is_loopback(ai->ai_addr))
		slog(sv, "warning: listening on %s, which is not a loopback "
		    "address: the sandbox and its demo account are reachable "
		    "from other machines", listen_on);
	sv->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (sv->lfd == -1 ||
	    setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(sv->lfd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(sv->lfd, 128) == -1 ||
	    getsockname(sv->lfd, (struct sockaddr *)&ss, &len) == -1) {
		seterr(errstr, "cannot listen on %s: %s", listen_on,
		    strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, name, sizeof(name));
		snprintf(sv->addr, sizeof(sv->addr), "[%s]:%d", name,
		    ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, name, sizeof(name));
		snprintf(sv->addr, sizeof(sv->addr), "%s:%d", name,
		    ntohs(s4->sin_port));
	}
	return 0;
}

/* The generated chain; without it the sandbox runs without STARTTLS. */
static void
open_tls(struct serve *sv)
{
	const char	*names[2];
	char		*err = NULL, *chain, *key;
	char		 host[256], port[32];
	struct in6_addr	 a6;
	size_t		 n = 1;
	int		 rc;

	names[0] = sv->o.hostname != NULL ? sv->o.hostname : SERVE_HOSTNAME;
	/* The listen name too, when it is a name (the IPs are always in). */
	if (sv->o.listen != NULL && client_parse_target(sv->o.listen, host,
	    sizeof(host), port, sizeof(port), &err) == 0 &&
	    inet_pton(AF_INET, host, &a6) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1 &&
	    strcmp(host, names[0]) != 0)
		names[n++] = host;
	free(err);
	err = NULL;
	sv->tls_dir = data_path("tls");
	if (mkdirs(sv->tls_dir) == -1) {
		slog(sv, "cannot create %s: %s; STARTTLS is off", sv->tls_dir,
		    strerror(errno));
		return;
	}
	rc = tls_gencert_ensure(sv->tls_dir, names, n, &err);
	if (rc == -1) {
		slog(sv, "%s; STARTTLS is off", err != NULL ? err :
		    "cannot make the sandbox certificates");
		free(err);
		return;
	}
	if (rc == 1 && err != NULL)
		slog(sv, "%s", err);
	free(err);
	err = NULL;
	if (asprintf(&chain, "%s/chain.pem", sv->tls_dir) == -1 ||
	    asprintf(&key, "%s/key.pem", sv->tls_dir) == -1)
		abort();
	sv->tls = tls_server_new(chain, key, NULL, &err);
	if (sv->tls == NULL) {
		slog(sv, "%s; STARTTLS is off", err != NULL ? err :
		    "cannot load the sandbox certificates");
		free(err);
	} else if (asprintf(&sv->ca_file, "%s/root.pem", sv->tls_dir) == -1)
		abort();
	free(chain);
	free(key);
}

struct serve *
serve_start(struct loop *loop, const struct serve_options *o, char *addr,
    size_t addrlen, char **errstr)
{
	struct serve	*sv;

	sv = xmalloc(sizeof(*sv));
	memset(sv, 0, sizeof(*sv));
	sv->o = *o;
	sv->loop = loop;
	sv->lfd = -1;
	sv->users[0].name = SERVE_USER;
	sv->users[0].password = SERVE_PASSWORD;
	if (o->seed_set)
		sv->seed = o->seed;
	else {
		struct timespec	ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sv->seed = (uint64_t)ts.tv_sec * 1000000007ULL ^
		    (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}
	if (o->rules != NULL) {
		if ((sv->rules = rules_load(o->rules, errstr)) == NULL)
			goto fail;
		sv->rstate = rules_state_new(sv->rules, sv->seed);
	}
	if (!o->discard) {
		sv->maildir = o->maildir != NULL ? xstrdup(o->maildir) :
		    data_path("maildir");
		if (mkdirs(sv->maildir) == -1) {
			seterr(errstr, "cannot create %s: %s", sv->maildir,
			    strerror(errno));
			goto fail;
		}
		if (maildir_open(&sv->md, sv->maildir, errstr) == -1)
			goto fail;
		sv->md_open = true;
	}
	if (open_listener(sv, o->listen != NULL ? o->listen :
	    "127.0.0.1:2525", errstr) == -1)
		goto fail;
	open_tls(sv);
	sv->syncsrc.fd = -1;
	sv->syncsrc.prepare = sync_prepare;
	sv->syncsrc.dispatch = sync_dispatch;
	sv->syncsrc.arg = sv;
	loop_add(loop, &sv->syncsrc);
	sv->lsrc.fd = sv->lfd;
	sv->lsrc.events = POLLIN;
	sv->lsrc.dispatch = listen_dispatch;
	sv->lsrc.arg = sv;
	loop_add(loop, &sv->lsrc);
	if (addr != NULL)
		snprintf(addr, addrlen, "%s", sv->addr);
	return sv;
fail:
	serve_stop(sv);
	return NULL;
}

void
serve_stop(struct serve *sv)
{
	if (sv == NULL)
		return;
	while (sv->conns != NULL)
		sconn_close(sv->conns, loop_now(), SERVER_CLOSE_ERROR);
	loop_remove(sv->loop, &sv->lsrc);
	loop_remove(sv->loop, &sv->syncsrc);
	if (sv->lfd != -1)
		close(sv->lfd);
	if (sv->md_open)
		maildir_close(&sv->md);
	rules_state_free(sv->rstate);
	rules_free(sv->rules);
	tls_server_free(sv->tls);
	free(sv->tls_dir);
	free(sv->ca_file);
	free(sv->maildir);
	free(sv);
}

const char *
serve_ca_file(const struct serve *sv)
{
	return sv->ca_file;
}

const char *
serve_maildir(const struct serve *sv)
{
	return sv->maildir;
}

static volatile sig_atomic_t	serve_quit;

static void
on_signal(int sig, void *arg)
{
	(void)sig;
	(void)arg;
	serve_quit = 1;
}

int
serve_run(const struct serve_options *o)
{
	static char	 logbuf[65536];
	struct loop	*loop = loop_new();
	struct serve	*sv;
	char		 addr[INET6_ADDRSTRLEN + 8], *err = NULL;

	/* One write a loop turn for the session lines, not one a line. */
	setvbuf(stderr, logbuf, _IOFBF, sizeof(logbuf));
	loop_signal(loop, SIGINT, on_signal, NULL);
	loop_signal(loop, SIGTERM, on_signal, NULL);
	if ((sv = serve_start(loop, o, addr, sizeof(addr), &err)) == NULL) {
		fprintf(stderr, "smtptool: %s\n", err != NULL ? err :
		    "cannot start the sandbox");
		free(err);
		loop_free(loop);
		return EXIT_USAGE;
	}
	slog(sv, "listening on %s (ESMTP, STARTTLS %s, AUTH PLAIN LOGIN "
	    "CRAM-MD5 XOAUTH2 OAUTHBEARER as %s/%s), %s%s%s", addr, sv->tls != NULL ? "on" :
	    "off", SERVE_USER, SERVE_PASSWORD, sv->maildir != NULL ?
	    "delivering to " : "discarding messages", sv->maildir != NULL ?
	    sv->maildir : "", sv->rules != NULL ? ", with rules" : "");
	if (sv->ca_file != NULL)
		slog(sv, "clients verify with --ca-file %s", sv->ca_file);
	while (!serve_quit)
		loop_once(loop, -1);
	slog(sv, "stopping");
	serve_stop(sv);
	loop_free(loop);
	fflush(stderr);
	setvbuf(stderr, NULL, _IONBF, 0);
	return EXIT_OK;
}
