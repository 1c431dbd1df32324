/*
 * Certificates made in the test with GnuTLS's x509 API (ECDSA P-256: a few
 * ms), and a GnuTLS server over a socketpair facing our tls_conn.
 */
#ifndef TLS_FIXTURE_H
#define TLS_FIXTURE_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

/* Built once, freed at exit with their temp files. */
struct fx_certs {
	gnutls_x509_privkey_t	 root_key, int_key, leaf_key, self_key;
	gnutls_x509_privkey_t	 weak_key;	/* RSA-1024 */
	gnutls_x509_crt_t	 root;		/* CN=Test Root */
	gnutls_x509_crt_t	 inter;		/* CN=Test Intermediate, CA, 0 */
	gnutls_x509_crt_t	 leaf;		/* CN=mx.test.local */
	gnutls_x509_crt_t	 expired;	/* 2010..2011, by inter */
	gnutls_x509_crt_t	 future;	/* 2090..2091, by inter */
	gnutls_x509_crt_t	 selfsigned;	/* 2010..2011, by itself */
	gnutls_x509_crt_t	 client_only;	/* clientAuth, by inter */
	gnutls_x509_crt_t	 notca;		/* CN=Not A CA, by root */
	gnutls_x509_crt_t	 notca_leaf;	/* by notca (int_key) */
	gnutls_x509_crt_t	 weak;		/* weak.test.local, weak_key */
	gnutls_x509_crt_t	 sha1;		/* sha1.test.local, ECDSA-SHA1
						   by inter */
	char			*dir;		/* temp directory */
	char			*ca_file;	/* the root, PEM */
	char			*crl_file;	/* the root revokes inter */
	char			*client_cert_file; /* client_only + inter, PEM */
	char			*client_key_file;  /* its key (leaf_key), PEM */
};

/* NOW for tls_inspect in the tests: 2026-01-01T00:00:00Z. */
#define FX_NOW	((time_t)1767225600)

const struct fx_certs	*fx_certs(void);
/* A new path in the temp directory (allocated). */
char			*fx_path(const char *name);

struct fx_pair {
	int				 cfd, sfd;
	gnutls_certificate_credentials_t scred;
	gnutls_session_t		 server;
	struct tls_client		*client;
	struct tls_conn			*conn;
	char				*err;	/* the client's error */
	int				 serr;	/* the server's, or 0 */
};

/*
 * A socketpair, a server sending CHAIN (N certificates) with KEY under
 * SPRIO (NULL: GnuTLS's default), our client with CFG and SNI, both
 * handshakes stepped in turn.  0 when both completed.
 */
int	fx_pair_open(struct fx_pair *, const struct tls_config *,
	    const char *sni, gnutls_x509_crt_t *chain, unsigned n,
	    gnutls_x509_privkey_t key, const char *sprio);
/* What the server does beyond sending its chain. */
struct fx_server_opts {
	bool	ask_cert;	/* ask for a client certificate (optional) */
};

/* fx_pair_open, with SO (NULL: none). */
int	fx_pair_open_with(struct fx_pair *, const struct tls_config *,
	    const char *sni, gnutls_x509_crt_t *chain, unsigned n,
	    gnutls_x509_privkey_t key, const char *sprio,
	    const struct fx_server_opts *so);
void	fx_pair_close(struct fx_pair *);

#endif
