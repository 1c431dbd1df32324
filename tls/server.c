/*
 * The sandbox server's side of TLS: its certificate chain and key, the
 * priorities (GnuTLS's default minus TLS 1.0 and 1.1, as the client's),
 * session tickets, and one non-blocking server session on an accepted
 * socket.  The session is a struct tls_conn like the client's, so that
 * tls_handshake(), tls_read(), tls_write(), tls_pending() and tls_bye()
 * drive it unchanged; it asks for a client certificate (never requires
 * one) so that the log can show what a client sent.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_int.h"

/* Without a priority string: GnuTLS's default, minus TLS 1.0 and 1.1. */
#define STRICT_APPEND	"-VERS-TLS1.0:-VERS-TLS1.1"

struct tls_server {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t	 prio;
	gnutls_datum_t		 ticket_key;	/* session tickets */
};

static int
readable(const char *what, const char *path, char **errstr)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return tls_seterr(errstr, "cannot load %s %s: %s", what, path,
		    strerror(errno));
	close(fd);
	return 0;
}

static int
load_priority(struct tls_server *s, const char *priority, char **errstr)
{
	const char	*pos = NULL;
	char		 buf[128];
	size_t		 len;
	int		 r;

	if (priority == NULL) {
		r = gnutls_priority_init2(&s->prio, STRICT_APPEND, &pos,
		    GNUTLS_PRIORITY_INIT_DEF_APPEND);
		if (r < 0) {
			s->prio = NULL;
			return tls_seterr(errstr, "cannot set the default TLS "
			    "priorities: %s", tls_strerror(r, buf,
			    sizeof(buf)));
		}
		return 0;
	}
	r = gnutls_priority_init2(&s->prio, priority, &pos, 0);
	if (r >= 0)
		return 0;
	s->prio = NULL;
	if (pos == NULL || pos < priority ||
	    pos > priority + strlen(priority))
		return tls_seterr(errstr, "cannot parse TLS priority \"%s\": "
		    "%s", priority, tls_strerror(r, buf, sizeof(buf)));
	len = strcspn(pos, ":");
	if (len == 0)
		len = strlen(pos);
	return tls_seterr(errstr, "cannot parse TLS priority at \"%.*s\": %s",
	    (int)len, pos, tls_strerror(r, buf, sizeof(buf)));
}

struct tls_server *
tls_server_new(const char *chain_file, const char *key_file,
    const char *priority, char **errstr)
{
	struct tls_server	*s;
	char			 buf[128];
	int			 r;

	s = tls_xcalloc(1, sizeof(*s));
	if (readable("server certificate", chain_file, errstr) == -1 ||
	    readable("server key", key_file, errstr) == -1)
		goto fail;
	r = gnutls_certificate_allocate_credentials(&s->cred);
	if (r < 0) {
		s->cred = NULL;
		tls_seterr(errstr, "cannot allocate TLS credentials: %s",
		    tls_strerror(r, buf, sizeof(buf)));
		goto fail;
	}
	r = gnutls_certificate_set_x509_key_file2(s->cred, chain_file,
	    key_file, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		tls_seterr(errstr, "cannot load server certificate %s with "
		    "key %s: %s", chain_file, key_file, tls_strerror(r, buf,
		    sizeof(buf)));
		goto fail;
	}
	if (load_priority(s, priority, errstr) == -1)
		goto fail;
	r = gnutls_session_ticket_key_generate(&s->ticket_key);
	if (r < 0) {
		s->ticket_key.data = NULL;
		tls_seterr(errstr, "cannot make a TLS session ticket key: %s",
		    tls_strerror(r, buf, sizeof(buf)));
		goto fail;
	}
	return s;

fail:
	tls_server_free(s);
	return NULL;
}

void
tls_server_free(struct tls_server *s)
{
	if (s == NULL)
		return;
	if (s->cred != NULL)
		gnutls_certificate_free_credentials(s->cred);
	if (s->prio != NULL)
		gnutls_priority_deinit(s->prio);
	if (s->ticket_key.data != NULL) {
		explicit_bzero(s->ticket_key.data, s->ticket_key.size);
		gnutls_free(s->ticket_key.data);
	}
	free(s);
}

struct tls_conn *
tls_conn_new_server(struct tls_server *s, int fd, char **errstr)
{
	struct tls_conn	*conn;
	char		 buf[128];
	const char	*what;
	int		 one = 1, r;

	conn = tls_xcalloc(1, sizeof(*conn));
	conn->fd = fd;
	r = gnutls_init(&conn->session,
	    GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (r < 0) {
		conn->session = NULL;
		tls_seterr(errstr, "cannot start a TLS session: %s",
		    tls_strerror(r, buf, sizeof(buf)));
		goto fail;
	}
	gnutls_session_set_ptr(conn->session, conn);
	what = "set the TLS priorities";
	r = gnutls_priority_set(conn->session, s->prio);
	if (r >= 0) {
		what = "set the TLS credentials";
		r = gnutls_credentials_set(conn->session,
		    GNUTLS_CRD_CERTIFICATE, s->cred);
	}
	if (r >= 0) {
		what = "enable TLS session tickets";
		r = gnutls_session_ticket_enable_server(conn->session,
		    &s->ticket_key);
	}
	if (r < 0) {
		tls_seterr(errstr, "cannot %s: %s", what, tls_strerror(r, buf,
		    sizeof(buf)));
		goto fail;
	}
	/* Ask, never require: a client's certificate is only logged. */
	gnutls_certificate_server_set_request(conn->session,
	    GNUTLS_CERT_REQUEST);
	gnutls_transport_set_int(conn->session, fd);
	conn->tcp = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == 0;
	return conn;

fail:
	tls_conn_free(conn);
	return NULL;
}

char *
tls_conn_peer_subject(struct tls_conn *conn)
{
	const gnutls_datum_t	*peers;
	gnutls_x509_crt_t	 crt;
	gnutls_datum_t		 dn = { NULL, 0 };
	unsigned		 n = 0;
	char			*s = NULL;

	if (conn == NULL || !conn->done)
		return NULL;
	peers = gnutls_certificate_get_peers(conn->session, &n);
	if (peers == NULL || n == 0)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
		s = tls_xstrndup((const char *)dn.data, dn.size);
		gnutls_free(dn.data);
	}
	gnutls_x509_crt_deinit(crt);
	return s;
}

char *
tls_conn_desc(struct tls_conn *conn)
{
	char	*desc, *s;

	if (conn == NULL || !conn->done)
		return NULL;
	if ((desc = gnutls_session_get_desc(conn->session)) == NULL)
		return NULL;
	s = tls_xstrdup(desc);
	gnutls_free(desc);
	return s;
}
