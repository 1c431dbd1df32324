/*
 * Credentials and trust shared by the connections of one run: the CA file
 * (or the system store, read lazily at the first connection), a CRL file, a
 * client certificate, the priority string, and the NSS key log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_int.h"

/* Without --priority: GnuTLS's default, minus TLS 1.0 and 1.1. */
#define STRICT_APPEND	"-VERS-TLS1.0:-VERS-TLS1.1"

static int
readable(const char *what, const char *path, char **errstr)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return tls_seterr(errstr, "cannot load %s %s: %s", what, path,
		    strerror(errno));
	close(fd);
	return 0;
}

static int
load_ca(struct tls_client *c, const char *path, char **errstr)
{
	char	buf[128];
	int	r;

	if (readable("CA file", path, errstr) == -1)
		return -1;
	r = gnutls_certificate_set_x509_trust_file(c->cred, path,
	    GNUTLS_X509_FMT_PEM);
	if (r <= 0) {
		/* Maybe one DER certificate. */
		if (gnutls_certificate_set_x509_trust_file(c->cred, path,
		    GNUTLS_X509_FMT_DER) > 0)
			r = 1;
	}
	if (r < 0)
		return tls_seterr(errstr, "cannot load CA file %s: %s", path,
		    tls_strerror(r, buf, sizeof(buf)));
	if (r == 0)
		return tls_seterr(errstr, "cannot load CA file %s: no "
		    "certificate in it", path);
	c->ntrusted += r;
	return 0;
}

static int
load_crl(struct tls_client *c, const char *path, char **errstr)
{
	gnutls_datum_t	data = { NULL, 0 };
	char		buf[128];
	int		r;

	if (readable("CRL file", path, errstr) == -1)
		return -1;
	r = gnutls_certificate_set_x509_crl_file(c->cred, path,
	    GNUTLS_X509_FMT_PEM);
	if (r < 0)
		return tls_seterr(errstr, "cannot load CRL file %s: %s", path,
		    tls_strerror(r, buf, sizeof(buf)));
	if (r == 0)
		return tls_seterr(errstr, "cannot load CRL file %s: no CRL "
		    "in it", path);
	/* Our own copy, to say which certificate a CRL revokes. */
	if (gnutls_load_file(path, &data) == 0) {
		if (gnutls_x509_crl_list_import2(&c->crls, &c->ncrls, &data,
		    GNUTLS_X509_FMT_PEM, 0) < 0) {
			c->crls = NULL;
			c->ncrls = 0;
		}
		gnutls_free(data.data);
	}
	return 0;
}

static int
load_cert(struct tls_client *c, const char *cert, const char *key,
    char **errstr)
{
	char	buf[128];
	int	r;

	if (readable("client certificate", cert, errstr) == -1)
		return -1;
	if (key != NULL && readable("client key", key, errstr) == -1)
		return -1;
	r = gnutls_certificate_set_x509_key_file2(c->cred, cert,
	    key != NULL ? key : cert, GNUTLS_X509_FMT_PEM, NULL, 0);
	/*
	 * GnuTLS reads the key first: "requested data not available" means
	 * no key in that file (a certificate without its key, say).
	 */
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return tls_seterr(errstr, "cannot load client key %s: no "
		    "private key in it%s", key != NULL ? key : cert,
		    key != NULL ? "" : " (--key names the key's file)");
	if (r == GNUTLS_E_BASE64_DECODING_ERROR)
		return tls_seterr(errstr, "cannot load client certificate "
		    "%s: no PEM certificate in it", cert);
	if (r < 0)
		return tls_seterr(errstr, "cannot load client certificate "
		    "%s: %s", cert, tls_strerror(r, buf, sizeof(buf)));
	return 0;
}

static int
load_priority(struct tls_client *c, const char *priority, char **errstr)
{
	const char	*pos = NULL;
	char		 buf[128];
	size_t		 len;
	int		 r;

	if (priority == NULL) {
		r = gnutls_priority_init2(&c->prio, STRICT_APPEND, &pos,
		    GNUTLS_PRIORITY_INIT_DEF_APPEND);
		if (r < 0) {
			c->prio = NULL;
			return tls_seterr(errstr, "cannot set the default TLS "
			    "priorities: %s", tls_strerror(r, buf,
			    sizeof(buf)));
		}
		return 0;
	}
	r = gnutls_priority_init2(&c->prio, priority, &pos, 0);
	if (r >= 0)
		return 0;
	c->prio = NULL;
	if (priority[0] == '\0')
		return tls_seterr(errstr, "cannot parse --priority \"\": it is "
		    "empty");
	/*
	 * Only a syntax error has a position: otherwise (no versions or no
	 * ciphers left, say) GnuTLS points at the start, which is not at
	 * fault.
	 */
	if (r != GNUTLS_E_INVALID_REQUEST || pos == NULL || pos < priority ||
	    pos > priority + strlen(priority))
		return tls_seterr(errstr, "cannot use --priority \"%s\": %s",
		    priority, tls_strerror(r, buf, sizeof(buf)));
	/* The element at fault, up to the next separator. */
	len = strcspn(pos, ":");
	if (len == 0)
		return tls_seterr(errstr, "cannot parse --priority \"%s\": an "
		    "empty element at character %zu", priority,
		    (size_t)(pos - priority) + 1);
	return tls_seterr(errstr, "cannot parse --priority at \"%.*s\": %s",
	    (int)len, pos, tls_strerror(r, buf, sizeof(buf)));
}

static int
open_keylog(struct tls_client *c, const char *path, char **errstr)
{
	c->keylog_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	    O_NOCTTY, 0600);
	if (c->keylog_fd == -1)
		return tls_seterr(errstr, "cannot open key log file %s: %s",
		    path, strerror(errno));
	return 0;
}

struct tls_client *
tls_client_new(const struct tls_config *cfg, char **errstr)
{
	static const struct tls_config	 none;
	struct tls_client		*c;
	char				 buf[128];
	int				 r;

	if (cfg == NULL)
		cfg = &none;
	c = tls_xcalloc(1, sizeof(*c));
	c->keylog_fd = -1;
	r = gnutls_certificate_allocate_credentials(&c->cred);
	if (r < 0) {
		c->cred = NULL;
		tls_seterr(errstr, "cannot allocate TLS credentials: %s",
		    tls_strerror(r, buf, sizeof(buf)));
		goto fail;
	}
	if (cfg->ca_file != NULL) {
		if (load_ca(c, cfg->ca_file, errstr) == -1)
			goto fail;
	} else
		c->want_system = true;
	if (cfg->crl_file != NULL && load_crl(c, cfg->crl_file, errstr) == -1)
		goto fail;
	if (cfg->cert_file != NULL &&
	    load_cert(c, cfg->cert_file, cfg->key_file, errstr) == -1)
		goto fail;
	if (load_priority(c, cfg->priority, errstr) == -1)
		goto fail;
	if (cfg->keylog_file != NULL &&
	    open_keylog(c, cfg->keylog_file, errstr) == -1)
		goto fail;
	return c;

fail:
	tls_client_free(c);
	return NULL;
}

void
tls_client_free(struct tls_client *c)
{
	unsigned	i;

	if (c == NULL)
		return;
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	if (c->prio != NULL)
		gnutls_priority_deinit(c->prio);
	for (i = 0; i < c->ncrls; i++)
		gnutls_x509_crl_deinit(c->crls[i]);
	gnutls_free(c->crls);
	if (c->keylog_fd != -1)
		close(c->keylog_fd);
	free(c->trust_err);
	free(c);
}

/* The system store, once, when the first connection needs it. */
static void
load_system_trust(struct tls_client *c)
{
	char	buf[128];
	int	r;

	if (!c->want_system || c->system_tried)
		return;
	c->system_tried = true;
	r = gnutls_certificate_set_x509_system_trust(c->cred);
	if (r < 0)
		c->trust_err = tls_xasprintf("cannot load the system trust "
		    "store: %s", tls_strerror(r, buf, sizeof(buf)));
	else
		c->ntrusted += r;
}

/*
 * One NSS key log line, "LABEL <client random> <secret>", appended with one
 * write(2).  The secret is wiped from our copy.
 */
static int
keylog_write(gnutls_session_t s, const char *label,
    const gnutls_datum_t *secret)
{
	struct tls_conn	*conn = gnutls_session_get_ptr(s);
	gnutls_datum_t	 crandom, srandom;
	char		*rnd, *sec, *line;
	size_t		 len, off;
	ssize_t		 n;

	if (conn == NULL || conn->client->keylog_fd == -1)
		return 0;
	gnutls_session_get_random(s, &crandom, &srandom);
	rnd = tls_hex(crandom.data, crandom.size, '\0', false);
	sec = tls_hex(secret->data, secret->size, '\0', false);
	line = tls_xasprintf("%s %s %s\n", label, rnd, sec);
	len = strlen(line);
	for (off = 0; off < len; off += (size_t)n) {
		n = write(conn->client->keylog_fd, line + off, len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	explicit_bzero(sec, strlen(sec));
	explicit_bzero(line, len);
	free(rnd);
	free(sec);
	free(line);
	/* SSLKEYLOGFILE, when set, still gets its copy. */
	if (conn->keylog_next != NULL)
		return conn->keylog_next(s, label, secret);
	return 0;
}

int
tls_client_prepare(struct tls_client *c, gnutls_session_t s, char **errstr)
{
	struct tls_conn	*conn;
	char		 buf[128];
	int		 r;

	load_system_trust(c);
	if ((r = gnutls_priority_set(s, c->prio)) < 0)
		return tls_seterr(errstr, "cannot set the TLS priorities: %s",
		    tls_strerror(r, buf, sizeof(buf)));
	r = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred);
	if (r < 0)
		return tls_seterr(errstr, "cannot set the TLS credentials: %s",
		    tls_strerror(r, buf, sizeof(buf)));
	/* Without --keylog, GnuTLS's own SSLKEYLOGFILE writer stays. */
	if (c->keylog_fd != -1) {
		conn = gnutls_session_get_ptr(s);
		conn->keylog_next = gnutls_session_get_keylog_function(s);
		gnutls_session_set_keylog_function(s, keylog_write);
	}
	return 0;
}
