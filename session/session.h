/*
 * The session engine: the client side of an SMTP dialog, sans I/O.  It is
 * fed the bytes the server sent, the lines the person or script typed and
 * the current time; it emits events (to one callback given at creation) and
 * bytes to send.  It never reads a clock, a socket or a terminal, so the
 * TUI, the batch mode, replay and the tests all drive the same code.
 *
 *	session_open()        the transport is up: the banner is awaited
 *	session_input()       bytes from the server
 *	session_command()     a line typed (an SMTP command, or message text
 *	                      after a 354)
 *	session_message()     DATA, then a whole message once 354 arrives
 *	session_tick()        time passes: reply timeouts
 *	session_output()      bytes to write; session_output_done() after
 *	session_eof()         the server closed the connection
 *
 * Times are microseconds on a monotonic clock chosen by the caller.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "command.h"
#include "reply.h"
#include "sasl.h"

enum session_phase {
	PHASE_IDLE,	/* no connection */
	PHASE_BANNER,	/* connected, waiting for the greeting */
	PHASE_HELLO,	/* greeted by the server: EHLO or HELO next */
	PHASE_GREETED,	/* EHLO/HELO accepted: MAIL next */
	PHASE_MAIL,	/* MAIL accepted: RCPT next */
	PHASE_RCPT,	/* a RCPT accepted: more RCPT or DATA */
	PHASE_DATA,	/* 354 received: message text, "." ends it */
	PHASE_QUIT,	/* QUIT sent */
	PHASE_CLOSED,	/* the connection is over */
	PHASE_LAST
};

enum session_severity {
	SEV_INFO,
	SEV_WARNING,
	SEV_ERROR,
	SEV_LAST
};

/* Why the engine wants the connection closed, or saw it close. */
enum session_close {
	CLOSE_QUIT,		/* after QUIT (whatever the reply) */
	CLOSE_SERVER,		/* 421, or the server closed on its own */
	CLOSE_PROTOCOL,		/* the server broke the protocol */
	CLOSE_TIMEOUT,		/* no reply in time */
	CLOSE_LOCAL,		/* the user or the program closed it */
	CLOSE_TLS,		/* the TLS handshake failed */
	CLOSE_LAST
};

enum session_event_type {
	SEV_T_SENT,	/* a line queued for the server */
	SEV_T_RECEIVED,	/* a line from the server */
	SEV_T_REPLY,	/* a complete reply */
	SEV_T_PHASE,	/* the phase changed */
	SEV_T_CAPS,	/* capabilities learned, or forgotten */
	SEV_T_DIAG,	/* a diagnostic from the engine */
	SEV_T_CLOSE,	/* close the connection (or it closed) */
	SEV_T_TLS,	/* TLS: wanted, up, failed, or required and missing */
	SEV_T_AUTH,	/* AUTH: authenticated, refused, or not attempted */
	SEV_T_LAST
};

/* What a SEV_T_TLS event says. */
enum session_tls {
	TLS_WANTED,	/* 220 to STARTTLS: the front end starts the handshake */
	TLS_UP,		/* the handshake is done (session_tls_started) */
	TLS_FAILED,	/* the handshake failed (session_tls_failed) */
	TLS_MISSING,	/* --require-tls: no verified TLS; QUIT is sent */
	TLS_EV_LAST
};

/* What a SEV_T_AUTH event says. */
enum session_auth {
	AUTH_OK,	/* 235 */
	AUTH_FAILED,	/* the server refused (4xx/5xx), or the exchange broke */
	AUTH_REFUSED,	/* not attempted: plaintext, not advertised, ... */
	AUTH_EV_LAST
};

/* A command whose reply is awaited. */
struct session_cmd {
	enum command_verb	 verb;
	enum command_step	 step;
	uint64_t		 sent;		/* when it was queued */
	char			 text[64];	/* the line, cut, for messages */
	bool			 simulated;	/* not sent: a rule answers */
	bool			 pipelined;	/* sent before an earlier
						 * reply came */
};

/*
 * What a throttling rule (session/rules.h, mapped by the front end) says
 * about a command about to be sent: a simulated reply stands for the
 * server's (the command is not sent), held DELAY microseconds; CLOSE after
 * it; or DROP: as if the server closed the connection without a reply.
 */
struct session_sim {
	int		 code;		/* 200..599; 0 with !drop: no effect */
	const char	*enhanced;	/* "4.7.1", or NULL/"" */
	const char	*text;
	bool		 close;
	bool		 drop;
	uint64_t	 delay;
	const char	*label;		/* the rule, for the transcript */
};

/* Returns 1 when a rule answers LINE (OUT filled), else 0. */
typedef int (*session_simulate_fn)(void *arg, enum command_verb,
    const char *line, size_t len, uint64_t now, struct session_sim *out);

/*
 * One event.  Only the fields of its type are set; pointers are valid for
 * the call only.
 */
struct session_event {
	enum session_event_type	 type;
	uint64_t		 now;
	/* SENT, RECEIVED: the line without terminator */
	const char		*line;
	size_t			 len;
	int			 eol;		/* enum buf_eol */
	bool			 tls;
	bool			 in_message;	/* SENT: message text */
	bool			 raw;		/* SENT: not normalised */
	bool			 masked;	/* SENT, RECEIVED: a secret in
						 * the line was masked */
	/* RECEIVED: the code on this line, and whether it ends a reply;
	 * simulated: a rule's reply, not the server's */
	int			 code;
	bool			 last;
	bool			 simulated;
	/* REPLY (cmd NULL for an unsolicited reply); RECEIVED last line */
	const struct reply	*reply;
	const struct session_cmd *cmd;
	int64_t			 latency;	/* -1 unknown */
	/* PHASE */
	enum session_phase	 from, to;
	/* CAPS */
	const struct caps	*caps;
	/* DIAG */
	enum session_severity	 severity;
	const char		*category;	/* "order", "protocol", ... */
	const char		*message;
	/* CLOSE */
	enum session_close	 why;
	/* TLS; `verified` for TLS_UP and TLS_MISSING; `discarded` bytes that
	 * arrived after the 220 to STARTTLS (TLS_WANTED) */
	enum session_tls	 tls_ev;
	bool			 verified;
	size_t			 discarded;
	/* AUTH */
	enum session_auth	 auth_ev;
};

typedef void (*session_event_fn)(const struct session_event *, void *);

struct session_config {
	uint64_t	 reply_timeout;	/* microseconds; 0: none */
	bool		 helo_fallback;	/* HELO when EHLO gets 500/502 */
	/*
	 * --starttls: after the first EHLO that advertises STARTTLS, send it,
	 * and after the handshake send EHLO again, by ourselves.
	 */
	bool		 starttls;
	/*
	 * --require-tls: when STARTTLS is missing, refused or fails, or the
	 * certificate does not verify, send QUIT (TLS_MISSING event), and
	 * refuse every command but EHLO, HELO, STARTTLS, NOOP, RSET and QUIT
	 * outside verified TLS.
	 */
	bool		 require_tls;
	/*
	 * AUTH over a connection that is not under TLS is refused unless
	 * this is set (--allow-plaintext-auth); a typed AUTH line too.
	 */
	bool		 allow_plaintext_auth;
	/*
	 * --show-secrets: SENT events carry AUTH secrets as they are, not
	 * masked.  Off by default: the transcript never holds them.
	 */
	bool		 show_secrets;
	/*
	 * --auth: authenticate by ourselves after the EHLO that follows
	 * STARTTLS (or the first EHLO under implicit TLS, or with
	 * allow_plaintext_auth the first EHLO).  AUTH_SECRET is borrowed: it
	 * must live as long as the engine (the front end wipes it).
	 */
	enum sasl_mech	 auth_mech;	/* SASL_NONE: no --auth */
	const char	*auth_user;
	const char	*auth_secret;
	size_t		 auth_secretlen;
	const char	*auth_host;	/* OAUTHBEARER host= (NULL: none) */
	int		 auth_port;
	/* Simulated throttling: asked before each command is sent. */
	session_simulate_fn simulate;
	void		*simulate_arg;
};

/* The defaults of DESIGN section 2. */
#define SESSION_CONNECT_TIMEOUT	(10 * 1000000ULL)
#define SESSION_REPLY_TIMEOUT	(30 * 1000000ULL)

struct session;

/* A new engine; CONFIG is copied. */
struct session	*session_new(const struct session_config *, session_event_fn,
		    void *);
void		 session_free(struct session *);

/* The transport is connected: wait for the banner. */
void		 session_open(struct session *, uint64_t now);
/*
 * Bytes from the server.  Returns 0, or -1 once the session ended (a
 * protocol error: a CLOSE event was emitted).
 */
int		 session_input(struct session *, const void *, size_t,
		    uint64_t now);
/* The server closed the connection (EOF or reset). */
void		 session_eof(struct session *, uint64_t now);
/* The front end closed the connection itself. */
void		 session_close(struct session *, uint64_t now);

/*
 * A line typed by a person or read from a script, without terminator.
 * Outside message mode it is sent as an SMTP command with CRLF added, after
 * a warning when it is out of order; in message mode (PHASE_DATA) it is one
 * line of message text, dot-stuffed, and a lone "." ends the message.
 * Returns -1 with *errstr (allocated) when the line cannot be sent (CR, LF
 * or NUL inside; not connected).
 */
int		 session_command(struct session *, const char *, size_t,
		    uint64_t now, char **errstr);
/*
 * Send DATA and, once the server answers 354, the whole BODY (copied):
 * line ends normalised, dot-stuffed, the final ".".  -1 with *errstr.
 */
int		 session_message(struct session *, const char *body,
		    size_t len, uint64_t now, char **errstr);

/*
 * Send DATA and the message as it is, with no normalisation nor stuffing
 * (for testing servers: every line is a SENT event with raw set), then
 * CRLF "." CRLF (a CRLF first when the body does not end with one).
 */
int		 session_message_raw(struct session *, const char *body,
		    size_t len, uint64_t now, char **errstr);

/*
 * AUTH with MECH as USER (SECRET is copied into the mechanism and wiped
 * once the exchange ends).  Every step is shown decoded for the reader as
 * an info line; every secret sent is masked in the SENT events (unless
 * show_secrets), and masked in the server's lines too if it echoes one.
 * -1 with *errstr when it cannot start: not connected, not greeted, under
 * plaintext without allow_plaintext_auth, another exchange under way.
 */
int		 session_auth(struct session *, enum sasl_mech,
		    const char *user, const char *secret, size_t secretlen,
		    uint64_t now, char **errstr);
/*
 * A typed AUTH got a 334: the next line typed is the SASL answer (base64,
 * or "*" to cancel), masked in the transcript; a front end must not keep
 * it in its history.
 */
bool		 session_wants_sasl_response(const struct session *);
/* Could session_auth() start now?  -1 with *errstr saying why not. */
int		 session_auth_ready(const struct session *, char **errstr);

/* One mail transaction (session_send_tx). */
struct session_tx {
	const char		*from;		/* the reverse-path, no <> */
	const char *const	*rcpt;		/* forward-paths, no <> */
	size_t			 nrcpt;
	const char		*body;		/* the message (RFC 5322) */
	size_t			 len;
	bool			 eightbit;	/* BODY=8BITMIME wanted */
	bool			 smtputf8;	/* SMTPUTF8 wanted */
	/* DSN (RFC 3461): sent only when the server advertised DSN. */
	const char		*ret;		/* "FULL", "HDRS" or NULL */
	const char		*envid;		/* xtext-encoded by the engine */
	const char		*notify;	/* "SUCCESS,FAILURE", "NEVER" */
	bool			 orcpt;		/* ORCPT=rfc822;ADDR each */
	bool			 requiretls;	/* RFC 8689 */
	bool			 bdat;		/* CHUNKING: BDAT, not DATA */
	size_t			 chunk;		/* BDAT chunk size; 0: one */
};

/*
 * MAIL FROM (with SIZE= when the server advertised SIZE, BODY=8BITMIME,
 * SMTPUTF8, the DSN parameters, REQUIRETLS), each RCPT TO, then DATA and
 * the message (or BDAT chunks).  With PIPELINING they go out together;
 * without it one by one as the replies come.  Refused before anything is
 * sent (-1 with *errstr) when the message is larger than the server's
 * SIZE, needs 8BITMIME, SMTPUTF8 or REQUIRETLS it did not advertise (or
 * REQUIRETLS outside TLS), holds a NUL, or BDAT without CHUNKING.
 */
int		 session_send_tx(struct session *, const struct session_tx *,
		    uint64_t now, char **errstr);
/*
 * BDAT (RFC 3030): the message with line ends normalised and no stuffing,
 * in chunks of CHUNK bytes (0: one), the last with LAST, each with its
 * exact byte count.  Pipelined when the server advertised PIPELINING.
 */
int		 session_bdat(struct session *, const char *body, size_t len,
		    size_t chunk, uint64_t now, char **errstr);
/*
 * One BDAT chunk sent exactly as given ("BDAT LEN" or "BDAT LEN LAST", then
 * the LEN bytes, not normalised): for re-sending a captured chunk.
 */
int		 session_bdat_chunk(struct session *, const char *data,
		    size_t len, bool last, uint64_t now, char **errstr);
/* Commands queued by session_send_tx or session_bdat, not yet sent. */
size_t		 session_queued(const struct session *);

/*
 * The handshake the engine asked for (TLS_WANTED), or implicit TLS right
 * after session_open(), is complete: lines are now under TLS, capabilities
 * are forgotten and, with config.starttls, EHLO is sent again.  VERIFIED
 * says whether the certificate verified for the name; SUMMARY is one line
 * for the transcript ("TLS1.3 AES-256-GCM X25519, chain of 2, verified"),
 * REASONS why it did not verify (each a warning after it, as it is).
 */
void		 session_tls_started(struct session *, uint64_t now,
		    bool verified, const char *summary,
		    char *const *reasons, size_t nreasons);
/* The handshake failed: the session ends (never back to plaintext). */
void		 session_tls_failed(struct session *, uint64_t now,
		    const char *why);
/* Lines are exchanged under TLS. */
bool		 session_tls(const struct session *);
/* A handshake is wanted or under way (TLS_WANTED, not yet started). */
bool		 session_tls_wanted(const struct session *);

/* Time passes: may time out the awaited reply. */
void		 session_tick(struct session *, uint64_t now);
/* When session_tick must be called next (0: no deadline). */
uint64_t	 session_deadline(const struct session *);

/* Bytes waiting to be written; call session_output_done with the count. */
size_t		 session_output(const struct session *, const char **);
void		 session_output_done(struct session *, size_t);

enum session_phase session_phase(const struct session *);
const char	*session_phase_name(enum session_phase);
const struct caps *session_caps(const struct session *);
/* Replies awaited (pipelined commands count one each). */
size_t		 session_pending(const struct session *);
/*
 * Message mode: a 354 came and the "." that ends the text is not sent yet,
 * so session_command() takes lines as message text.
 */
bool		 session_in_message(const struct session *);
/* Nothing awaited, nothing to write, not sending a message. */
bool		 session_idle(const struct session *);
/* Whether the last reply was simulated by a rule. */
bool		 session_last_simulated(const struct session *);
/* The last complete reply, or NULL; its latency (-1 unknown). */
const struct reply *session_last_reply(const struct session *,
		    int64_t *latency);

const char	*session_close_name(enum session_close);
const char	*session_severity_name(enum session_severity);

#endif
