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

/*
 * The sandbox server's side (server.c).  Credentials from CHAIN_FILE (PEM:
 * the leaf, then the intermediates) and KEY_FILE (PEM), PRIORITY a GnuTLS
 * priority string or NULL (GnuTLS's default minus TLS 1.0 and 1.1), and a
 * session ticket key of its own.  NULL with *errstr ("cannot load server
 * certificate F with key K: ...", "cannot parse TLS priority at ...").
 */
struct tls_server;

struct tls_server	*tls_server_new(const char *chain_file,
			    const char *key_file, const char *priority,
			    char **errstr);
/* Free it after the last tls_conn made from it. */
void			 tls_server_free(struct tls_server *);
/*
 * One server session on an accepted, non-blocking socket: tls_handshake(),
 * tls_read(), tls_write(), tls_pending(), tls_bye() and tls_conn_free()
 * work on it as on a client's.  It asks the client for a certificate and
 * never requires one.  Not for tls_inspect(), which verifies a server.
 * NULL with *errstr.
 */
struct tls_conn		*tls_conn_new_server(struct tls_server *, int fd,
			    char **errstr);
/*
 * After the handshake: the subject (RFC 4514) of the certificate the peer
 * sent, unverified, or NULL when it sent none.  Allocated; unsanitised.
 */
char			*tls_conn_peer_subject(struct tls_conn *);
/*
 * After the handshake: "(TLS1.3)-(ECDHE-SECP256R1)-(ECDSA-SECP256R1-SHA256)-
 * (AES-256-GCM)", as GnuTLS says it; NULL before.  Allocated.
 */
char			*tls_conn_desc(struct tls_conn *);

/*
 * Sandbox certificates (gencert.c): in DIR (created, with its missing
 * parents, mode 0700) an ECDSA P-256 root "smtptool sandbox root", an
 * intermediate (CA, path length 0) and a leaf for serverAuth whose SANs are
 * NAMES (host names or IP literals, N of them), localhost, 127.0.0.1 and
 * ::1; valid from a day ago for 825 days; random serials.  Written as
 * DIR/root.pem (what users pass to --ca-file), DIR/chain.pem (leaf, then
 * intermediate) and DIR/key.pem (the leaf's key, PKCS#8, mode 0600), each
 * through a synced temp file and a rename.  The CA keys are not kept: a
 * new set has a new root.  0, or -1 with *errstr.
 */
int	tls_gencert(const char *dir, const char *const *names, size_t n,
	    char **errstr);
/*
 * Keep the files in DIR when they parse, the key is the leaf's, the chain
 * leads to root.pem, the leaf serves NAMES, localhost, 127.0.0.1 and ::1,
 * and every certificate has more than 30 days left: 0.  Otherwise make a
 * new set (tls_gencert) and return 1 with *errstr saying why ("new sandbox
 * certificates in DIR: the leaf certificate expires in 12 days"), for the
 * log; the caller frees it.  A file that does not parse may be the user's: it is
 * renamed to FILE.bad (or FILE.bad.1, ...; nothing is replaced) first, and
 * the message says so.  A file that cannot be read (EACCES, ...) is an
 * error, and nothing is touched.  DIR/.lock (flock) keeps two programs
 * from mixing their sets.  -1 with *errstr.
 */
int	tls_gencert_ensure(const char *dir, const char *const *names,
	    size_t n, char **errstr);

#endif
