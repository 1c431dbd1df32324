/*
 * TLS under the engine, with GnuTLS: client credentials and trust, one
 * non-blocking session on a connected socket, and a plain model of the
 * session and the certificate chain, verified against the name the user
 * typed, for the views and reports.  No UI here: data only.
 *
 * A bad certificate never fails the handshake: the handshake completes,
 * then tls_inspect() verifies and says why (see NOTES-gnutls.md).
 */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct tls_config {
	const char	*ca_file;	/* trust this file; NULL: the system's */
	const char	*crl_file;	/* revocation list, or NULL */
	const char	*cert_file;	/* client certificate, or NULL */
	const char	*key_file;	/* its key (NULL: in cert_file) */
	const char	*priority;	/* GnuTLS priority string, or NULL */
	const char	*keylog_file;	/* NSS key log; NULL: SSLKEYLOGFILE */
};

/* Credentials and trust, shared by the connections of one run. */
struct tls_client;

/*
 * Load the credentials (the system trust store is read lazily, at the first
 * connection that needs it).  NULL with *errstr ("cannot load CA file
 * F: ...", "cannot parse --priority at \"X\": ...").
 */
struct tls_client	*tls_client_new(const struct tls_config *,
			    char **errstr);
void			 tls_client_free(struct tls_client *);

/* One TLS session on a connected, non-blocking socket. */
struct tls_conn;

enum tls_io {
	TLS_IO_OK,		/* done / some bytes moved */
	TLS_IO_WANT_READ,	/* call again when the socket is readable */
	TLS_IO_WANT_WRITE,	/* call again when the socket is writable */
	TLS_IO_EOF,		/* the peer closed (close_notify or TCP) */
	TLS_IO_ERROR,		/* fatal: *errstr says why */
};

/*
 * SNI is sent when SNI is not NULL and not an IP literal.  NULL with
 * *errstr on failure.
 */
struct tls_conn		*tls_conn_new(struct tls_client *, int fd,
			    const char *sni, char **errstr);
void			 tls_conn_free(struct tls_conn *);
/* Drive the handshake: OK when it is complete. */
enum tls_io		 tls_handshake(struct tls_conn *, char **errstr);
/* Decrypted bytes: OK with *got > 0. */
enum tls_io		 tls_read(struct tls_conn *, void *, size_t,
			    size_t *got, char **errstr);
/*
 * Encrypt and send: OK with *sent > 0.  After WANT_*, call again with the
 * same bytes (GnuTLS's rule).
 */
enum tls_io		 tls_write(struct tls_conn *, const void *, size_t,
			    size_t *sent, char **errstr);
/* Bytes decrypted and waiting inside GnuTLS (poll cannot see them). */
size_t			 tls_pending(struct tls_conn *);
/* Send close_notify without waiting for the peer's. */
void			 tls_bye(struct tls_conn *);

/* Problems of a certificate or a chain: bits. */
#define TLS_P_EXPIRED		0x0001
#define TLS_P_NOT_YET_VALID	0x0002
#define TLS_P_UNKNOWN_ISSUER	0x0004
#define TLS_P_SELF_SIGNED	0x0008
#define TLS_P_NAME_MISMATCH	0x0010
#define TLS_P_INSECURE_ALGO	0x0020
#define TLS_P_WEAK_KEY		0x0040
#define TLS_P_NOT_CA		0x0080
#define TLS_P_REVOKED		0x0100
#define TLS_P_OCSP		0x0200	/* a stapled OCSP reply says no */
#define TLS_P_BAD_PURPOSE	0x0400	/* not for a TLS server */
#define TLS_P_BAD_SIGNATURE	0x0800
#define TLS_P_OTHER		0x8000
#define TLS_P_NBITS		16

/* "expired", "not-yet-valid", ...: one word for a bit; NULL if none. */
const char	*tls_problem_name(unsigned bit);
/* "the certificate has expired": a phrase for a bit. */
const char	*tls_problem_text(unsigned bit);

struct tls_cert {
	char		*subject;	/* RFC 4514 */
	char		*issuer;
	char		*serial;	/* hex bytes, "01:a3:..." */
	time_t		 not_before;
	time_t		 not_after;
	long		 days_left;	/* to not_after, from the check */
	size_t		 nsan;
	char		**san;		/* "DNS:mx.example", "IP:::1" */
	char		*key_type;	/* "RSA", "ECDSA P-256", "Ed25519" */
	unsigned	 key_bits;
	char		*sig_alg;	/* "RSA-SHA256" */
	char		*sha256;	/* "AB:CD:..." */
	char		*pin_sha256;	/* base64 of the SHA-256 of the SPKI */
	bool		 is_ca;
	int		 path_len;	/* -1: none */
	size_t		 nku;
	char		**key_usage;	/* "digitalSignature", ... */
	size_t		 neku;
	char		**eku;		/* "serverAuth", or the OID */
	bool		 self_issued;	/* subject == issuer */
	unsigned	 problems;	/* TLS_P_* of this certificate */
	char		*pem;		/* the certificate as PEM */
};

struct tls_info {
	char		*version;	/* "TLS1.3" */
	char		*cipher;	/* "AES-256-GCM" */
	char		*mac;		/* "AEAD" */
	char		*group;		/* "X25519", "SECP256R1", or "" */
	char		*kx;		/* "ECDHE-RSA" (TLS 1.2), or "" */
	char		*desc;		/* gnutls_session_get_desc() */
	bool		 resumed;
	char		*name;		/* the name verified against */
	char		*sni;		/* the name sent, or NULL */
	size_t		 nchain;
	struct tls_cert	*chain;		/* as the server sent it */
	bool		 verified;
	unsigned	 status;	/* gnutls_certificate_status_t bits */
	unsigned	 problems;	/* TLS_P_* of the whole chain */
	size_t		 nreasons;
	char		**reasons;	/* sentences, most important first */
	char		*ocsp;		/* "not stapled", "good", "revoked"... */
};

/*
 * After the handshake: the session and chain, verified for NAME (what the
 * user typed: brackets and one trailing dot stripped; IP literals match IP
 * SANs) at time NOW.  Never NULL.  Every string comes from the certificate
 * as GnuTLS printed it: the caller sanitises before showing it.
 */
struct tls_info	*tls_inspect(struct tls_conn *, const char *name, time_t now);
void		 tls_info_free(struct tls_info *);
/* One line: "TLS1.3 AES-256-GCM X25519, chain of 3, verified". */
char		*tls_info_summary(const struct tls_info *);
/* The chain as PEM, for saving (allocated). */
char		*tls_info_pem(const struct tls_info *);

/*
 * Normalise a name for SNI and verification: strip [brackets] and one
 * trailing dot; *is_ip tells an IP literal (no SNI for those).
 */
void		 tls_normalize_name(const char *in, char *out, size_t outlen,
		    bool *is_ip);

#endif
