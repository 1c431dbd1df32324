/*
 * One non-blocking TLS client session on a connected socket: handshake,
 * records in and out, close_notify.  A bad certificate does not fail the
 * handshake (no gnutls_session_set_verify_cert): tls_inspect() verifies
 * afterwards.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tls_int.h"

/* Non-fatal errors (warning alerts, a refused renegotiation) in a row
 * before we return and let poll() decide. */
#define MAX_RETRIES	16

struct tls_conn *
tls_conn_new(struct tls_client *c, int fd, const char *sni, char **errstr)
{
	struct tls_conn	*conn;
	char		*name, buf[128];
	bool		 is_ip;
	int		 one = 1, r;

	conn = tls_xcalloc(1, sizeof(*conn));
	conn->client = c;
	conn->fd = fd;
	r = gnutls_init(&conn->session,
	    GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (r < 0) {
		conn->session = NULL;
		tls_seterr(errstr, "cannot start a TLS session: %s",
		    tls_strerror(r, buf, sizeof(buf)));
		goto fail;
	}
	gnutls_session_set_ptr(conn->session, conn);
	if (tls_client_prepare(c, conn->session, errstr) == -1)
		goto fail;
	if (sni != NULL) {
		name = tls_xmalloc(strlen(sni) + 1);
		tls_normalize_name(sni, name, strlen(sni) + 1, &is_ip);
		/* Only host names: not IPs, not what cannot be a name. */
		if (!is_ip && name[0] != '\0' && strchr(name, ':') == NULL) {
			r = gnutls_server_name_set(conn->session,
			    GNUTLS_NAME_DNS, name, strlen(name));
			if (r < 0) {
				tls_seterr(errstr, "cannot set the TLS server "
				    "name %s: %s", name, tls_strerror(r, buf,
				    sizeof(buf)));
				free(name);
				goto fail;
			}
			conn->sni = name;
		} else
			free(name);
	}
	gnutls_transport_set_int(conn->session, fd);
	/* Fails on what is not TCP (a socketpair in the tests): fine. */
	conn->tcp = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == 0;
	return conn;

fail:
	tls_conn_free(conn);
	return NULL;
}

void
tls_conn_free(struct tls_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->session != NULL)
		gnutls_deinit(conn->session);
	free(conn->sni);
	free(conn);
}

/*
 * Linux clears TCP_QUICKACK as it goes: re-arm it before every read, or the
 * ACK of a TLS 1.3 session ticket waits 40 ms and so does the server.
 */
static void
quickack(struct tls_conn *conn)
{
#ifdef TCP_QUICKACK
	int	one = 1;

	if (conn->tcp)
		(void)setsockopt(conn->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
#else
	(void)conn;
#endif
}

static enum tls_io
direction(struct tls_conn *conn)
{
	return gnutls_record_get_direction(conn->session) == 1 ?
	    TLS_IO_WANT_WRITE : TLS_IO_WANT_READ;
}

/*
 * "<cause> (alert: <name>)" when the peer sent an alert, "<cause> (<errno
 * text>)" when the socket failed.  Call it before errno changes.
 */
static int
fail(struct tls_conn *conn, int r, char **errstr, const char *what)
{
	const char	*alert = NULL;
	char		 buf[128];
	int		 saved = errno;

	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    r == GNUTLS_E_WARNING_ALERT_RECEIVED)
		alert = gnutls_alert_get_name(gnutls_alert_get(conn->session));
	if (alert != NULL)
		return tls_seterr(errstr, "cannot %s: %s (alert: %s)", what,
		    tls_strerror(r, buf, sizeof(buf)), alert);
	if ((r == GNUTLS_E_PULL_ERROR || r == GNUTLS_E_PUSH_ERROR) &&
	    saved != 0)
		return tls_seterr(errstr, "cannot %s: %s (%s)", what,
		    tls_strerror(r, buf, sizeof(buf)), strerror(saved));
	return tls_seterr(errstr, "cannot %s: %s", what,
	    tls_strerror(r, buf, sizeof(buf)));
}

enum tls_io
tls_handshake(struct tls_conn *conn, char **errstr)
{
	int	r, tries;

	if (conn->done)
		return TLS_IO_OK;
	for (tries = 0;; tries++) {
		quickack(conn);
		r = gnutls_handshake(conn->session);
		if (r == GNUTLS_E_SUCCESS) {
			conn->done = true;
			return TLS_IO_OK;
		}
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			return direction(conn);
		if (r == GNUTLS_E_PREMATURE_TERMINATION)
			return TLS_IO_EOF;	/* TCP closed */
		/* A warning alert, say: go on. */
		if (!gnutls_error_is_fatal(r) && tries < MAX_RETRIES)
			continue;
		fail(conn, r, errstr, "complete TLS handshake");
		return TLS_IO_ERROR;
	}
}

/*
 * Refuse a TLS 1.2 renegotiation with a warning alert.  When the alert
 * cannot go out at once it stays queued in GnuTLS and must be flushed
 * before any other record is sent.
 */
static enum tls_io
refuse_renegotiation(struct tls_conn *conn, char **errstr)
{
	int	r;

	r = gnutls_alert_send(conn->session, GNUTLS_AL_WARNING,
	    GNUTLS_A_NO_RENEGOTIATION);
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		conn->alert_pending = true;
		return direction(conn);
	}
	conn->alert_pending = false;
	if (r < 0) {
		fail(conn, r, errstr, "refuse TLS renegotiation");
		return TLS_IO_ERROR;
	}
	return TLS_IO_OK;
}

enum tls_io
tls_read(struct tls_conn *conn, void *buf, size_t len, size_t *got,
    char **errstr)
{
	enum tls_io	io;
	ssize_t		r;
	int		tries;

	*got = 0;
	if (conn->alert_pending &&
	    (io = refuse_renegotiation(conn, errstr)) != TLS_IO_OK)
		return io;
	for (tries = 0;; tries++) {
		quickack(conn);
		r = gnutls_record_recv(conn->session, buf, len);
		if (r > 0) {
			*got = (size_t)r;
			return TLS_IO_OK;
		}
		switch (r) {
		case 0:				/* close_notify */
		case GNUTLS_E_PREMATURE_TERMINATION:
			return TLS_IO_EOF;
		case GNUTLS_E_AGAIN:
		case GNUTLS_E_INTERRUPTED:
			return direction(conn);
		case GNUTLS_E_REHANDSHAKE:
			if ((io = refuse_renegotiation(conn, errstr)) !=
			    TLS_IO_OK)
				return io;
			if (tries < MAX_RETRIES)
				continue;
			return TLS_IO_WANT_READ;
		}
		if (!gnutls_error_is_fatal((int)r)) {
			if (tries < MAX_RETRIES)
				continue;
			return TLS_IO_WANT_READ;
		}
		fail(conn, (int)r, errstr, "receive TLS data");
		return TLS_IO_ERROR;
	}
}

enum tls_io
tls_write(struct tls_conn *conn, const void *buf, size_t len, size_t *sent,
    char **errstr)
{
	enum tls_io	io;
	ssize_t		r;

	*sent = 0;
	if (conn->alert_pending &&
	    (io = refuse_renegotiation(conn, errstr)) != TLS_IO_OK)
		return io;
	r = gnutls_record_send(conn->session, buf, len);
	if (r > 0) {
		*sent = (size_t)r;
		return TLS_IO_OK;
	}
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return direction(conn);
	if (r == 0)
		return TLS_IO_OK;	/* nothing to send */
	fail(conn, (int)r, errstr, "send TLS data");
	return TLS_IO_ERROR;
}

size_t
tls_pending(struct tls_conn *conn)
{
	if (conn == NULL || !conn->done)
		return 0;
	return gnutls_record_check_pending(conn->session);
}

void
tls_bye(struct tls_conn *conn)
{
	if (conn == NULL || !conn->done)
		return;
	/* GNUTLS_E_AGAIN: the rest of close_notify is not worth a wait. */
	(void)gnutls_bye(conn->session, GNUTLS_SHUT_WR);
}
