/*
 * Inside tls/: the two handles and the helpers the files of the module
 * share.  Nothing outside tls/ includes this (tls.h is the contract).
 */
#ifndef TLS_INT_H
#define TLS_INT_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

struct tls_client {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t	 prio;
	bool			 want_system;	/* no CA file: system store */
	bool			 system_tried;	/* loaded (or failed) once */
	int			 ntrusted;	/* CA certificates loaded */
	char			*trust_err;	/* why the system store failed */
	gnutls_x509_crl_t	*crls;		/* the CRL file, for blame */
	unsigned		 ncrls;
	int			 keylog_fd;	/* -1: GnuTLS's own handling */
};

struct tls_conn {
	struct tls_client	*client;
	gnutls_session_t	 session;
	int			 fd;
	bool			 tcp;		/* TCP_QUICKACK applies */
	bool			 done;		/* handshake complete */
	bool			 alert_pending;	/* no_renegotiation queued */
	char			*sni;		/* the name sent, or NULL */
	gnutls_keylog_func	 keylog_next;	/* SSLKEYLOGFILE's writer */
};

/*
 * client.c: the per-session part of the credentials (trust, priority, key
 * log) for a session whose pointer (gnutls_session_set_ptr) is its struct
 * tls_conn.  -1 with *errstr.
 */
int	 tls_client_prepare(struct tls_client *, gnutls_session_t,
	    char **errstr);

/* cert.c: the plain model of one certificate. */
void	 tls_cert_fill(struct tls_cert *, gnutls_x509_crt_t, time_t now);
void	 tls_cert_clear(struct tls_cert *);
/* "CN=..." of the subject (or issuer), or the whole DN; allocated. */
char	*tls_cert_label(gnutls_x509_crt_t, bool issuer);
/* Subject == issuer and the signature verifies with its own key. */
bool	 tls_cert_self_signed(gnutls_x509_crt_t);

/* util.c: allocation that cannot fail (out of memory aborts), messages. */
void	*tls_xmalloc(size_t);
void	*tls_xcalloc(size_t, size_t);
void	*tls_xreallocarray(void *, size_t, size_t);
char	*tls_xstrdup(const char *);
char	*tls_xstrndup(const char *, size_t);
char	*tls_xasprintf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/* Set *errstr (when errstr is not NULL); returns -1. */
int	 tls_seterr(char **errstr, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* gnutls_strerror() without its final full stop, for "...: cause". */
const char *tls_strerror(int, char *, size_t);
/* Bytes as "ab:cd:..." (upper: "AB:CD:..."), or plain hex with sep 0. */
char	*tls_hex(const unsigned char *, size_t, char sep, bool upper);

/* gencert.c: tls_gencert() and tls_gencert_ensure() at NOW (the tests'). */
int	 tls_gencert_at(const char *dir, const char *const *names, size_t n,
	    time_t now, char **errstr);
int	 tls_gencert_ensure_at(const char *dir, const char *const *names,
	    size_t n, time_t now, char **errstr);

#endif
