/*
 * The client: one SMTP connection driven by the session engine, with the
 * socket, name resolution, connect timeout and the transcript.  The TUI
 * and the batch mode both sit on it.  Every event of the engine is appended
 * to the transcript before the front end hears of it.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "session.h"
#include "tls.h"
#include "transcript.h"

struct client_options {
	uint64_t	 connect_timeout;	/* microseconds */
	uint64_t	 reply_timeout;		/* microseconds */
	int		 family;		/* AF_UNSPEC, AF_INET, AF_INET6 */
	struct tls_config tls;			/* --ca-file, ... */
	bool		 implicit_tls;		/* --tls */
	bool		 starttls;		/* --starttls */
	bool		 require_tls;		/* --require-tls */
	const char	*sni;			/* --sni: sent and verified */
	bool		 allow_plaintext_auth;	/* --allow-plaintext-auth */
	bool		 show_secrets;		/* --show-secrets */
	/*
	 * --auth MECH --user NAME: authenticate by ourselves (see
	 * session_config).  The secret is borrowed: the caller keeps it
	 * until client_free() and wipes it.
	 */
	enum sasl_mech	 auth_mech;
	const char	*auth_user;
	const char	*auth_secret;
	size_t		 auth_secretlen;
};

enum client_state {
	CLIENT_IDLE,		/* no connection */
	CLIENT_CONNECTING,	/* resolving or connecting */
	CLIENT_CONNECTED,
	CLIENT_STATE_LAST
};

struct client_listener {
	/* Every engine event, after the transcript has it.  May be NULL. */
	void	(*event)(void *, const struct session_event *);
	/* The connection state changed.  May be NULL. */
	void	(*state)(void *, enum client_state);
	/* A record was added to the transcript.  May be NULL. */
	void	(*record)(void *, const struct transcript_record *);
};

struct client;

/*
 * TRANSCRIPT is borrowed: the caller keeps and frees it.  The TLS
 * credentials (opts->tls) are loaded at the first handshake; an error then
 * ends that connection with a clear message.
 */
struct client	*client_new(struct loop *, struct transcript *,
		    const struct client_options *,
		    const struct client_listener *, void *arg);
void		 client_free(struct client *);

/*
 * Parse TARGET (HOST, HOST:PORT, [v6]:PORT, an IP literal; port 25 when
 * none), resolve it and start connecting.  -1 with *errstr for a target that
 * cannot be parsed or resolved, or when already connected; a connection
 * that fails later is reported in the transcript and through state().
 */
int		 client_connect(struct client *, const char *target,
		    char **errstr);
/* Close the connection at once (no QUIT); WHY goes in the transcript. */
void		 client_disconnect(struct client *, const char *why);
/* A typed line: see session_command(). */
int		 client_send(struct client *, const char *, size_t,
		    char **errstr);
/*
 * :data FILE: DATA, then the file's text once 354 arrives (RAW: as it is,
 * see session_message_raw).
 */
int		 client_send_file(struct client *, const char *path,
		    bool raw, char **errstr);
/* :bdat FILE [CHUNK]: see session_bdat(). */
int		 client_bdat_file(struct client *, const char *path,
		    size_t chunk, char **errstr);
/* A whole transaction: see session_send_tx(). */
int		 client_send_tx(struct client *, const struct session_tx *,
		    char **errstr);
/* :auth MECH USER with the secret given: see session_auth(). */
int		 client_auth(struct client *, enum sasl_mech, const char *user,
		    const char *secret, size_t len, char **errstr);
/*
 * Read a whole regular file of at most 64 MiB into *p (allocated, NUL
 * added) and *len.  -1 with *errstr.
 */
int		 client_read_file(const char *path, char **p, size_t *len,
		    char **errstr);
/* Note the tool's own information/warning/error in the transcript. */
void		 client_note(struct client *, enum transcript_kind,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

enum client_state client_state(const struct client *);
/* The target as typed and as connected ("127.0.0.1:2525"), or NULL. */
const char	*client_target(const struct client *);
const char	*client_peer(const struct client *);
/* The engine of the current (or last) connection; NULL before any. */
struct session	*client_session(const struct client *);
struct transcript *client_transcript(const struct client *);
/*
 * The TLS session and chain of the current connection, verified for the
 * target's name (or --sni); NULL before a handshake.  Valid until the next
 * connection.
 */
const struct tls_info *client_tls_info(const struct client *);
/*
 * Simulated throttling: load the rules file PATH (NULL: rules off); a
 * command a rule answers is not sent and its reply is marked simulated.
 * Counters live across connections (greylisting's retry passes).  SEED
 * makes prob reproducible.  -1 with *errstr for a broken file (the rules
 * in force stay).
 */
int		 client_set_rules(struct client *, const char *path,
		    uint64_t seed, char **errstr);
/* The rules file in force, or NULL; paused rules answer nothing. */
const char	*client_rules(const struct client *);
void		 client_rules_pause(struct client *, bool);
bool		 client_rules_paused(const struct client *);
/* Everything the engine queued has been written to the socket (or TLS). */
bool		 client_flushed(const struct client *);
/* Connected, and lines typed now are message text (session_in_message). */
bool		 client_in_message(const struct client *);
/* Microseconds since the transcript's start. */
uint64_t	 client_elapsed(const struct client *);

/*
 * Split a target into host and port ("[::1]:2525", "mx.example:587",
 * "127.0.0.1", "::1").  HOST gets at most HOSTLEN-1 bytes.  -1 with
 * *errstr when it cannot be parsed.
 */
int		 client_parse_target(const char *, char *host, size_t hostlen,
		    char *port, size_t portlen, char **errstr);

#endif
