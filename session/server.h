/*
 * The sandbox server's protocol side: one engine a client connection, sans
 * I/O like the client engine.  It is fed the bytes the client sent and the
 * time; it emits events (to one callback) and bytes to send.  It never
 * reads a clock, a socket or a file: the front end (tui/) owns those, the
 * Maildir included, and answers the DELIVER event.
 *
 *	server_new()          one connection accepted
 *	server_open()         say hello: the banner, after the connect rules
 *	server_input()        bytes from the client
 *	server_output()       bytes to write; server_output_done() after
 *	server_want_input()   false: stop reading until output drains or a
 *	                      held reply goes out (back-pressure)
 *	server_deadline()     when server_tick() is due (0: none)
 *	server_tick()         time passes: a held (delayed) reply goes out,
 *	                      the idle timeout closes
 *	server_tls_started()  the handshake asked for by TLS_WANTED is done
 *	server_close()        the front end closed (EOF, error, TLS failure)
 *	server_deliver_done() a DELIVER answered "pending" is durable, or not
 *
 * A loop turn: poll (POLLIN when server_want_input(), POLLOUT when
 * server_output() has bytes, the timeout from server_deadline()); feed what
 * was read to server_input(); call server_tick() when the deadline passed;
 * write server_output() (at server_tarpit() bytes a second when not 0).
 * On a CLOSE event, write what is left in server_output() and close; on
 * TLS_WANTED, write what is left (the 220) and start the handshake.
 *
 * Times are microseconds on a monotonic clock chosen by the caller.
 *
 * What it speaks: ESMTP (RFC 5321) with PIPELINING, SIZE, 8BITMIME,
 * SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, DSN, STARTTLS, REQUIRETLS (RFC
 * 8689: offered, and its MAIL parameter known, under TLS only), AUTH PLAIN
 * LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER.  The bearer token of XOAUTH2 and
 * OAUTHBEARER is the sandbox user's password; a wrong one gets the JSON
 * error challenge, then 535 (session/server_auth.h).  Every 2xx/4xx/5xx
 * reply but the greeting and EHLO/HELO carries an enhanced status code
 * (RFC 2034); 334 and 354 do not.  As a teaching aid, the 250 to MAIL and
 * RCPT echoes the DSN and REQUIRETLS parameters it accepted, as received:
 * "250 2.1.0 Ok (RET=HDRS ENVID=abc)"; plain "Ok" when there were none.
 *
 * Decisions, documented here once:
 *  - The message handed over by DELIVER is the client's bytes after
 *    un-dot-stuffing, nothing added: no Received: line is prepended.  The
 *    front end may write server_received() (one whole header line) before
 *    it; it must not change anything else.
 *  - End of DATA is CRLF "." CRLF and nothing else (SMTP smuggling,
 *    CVE-2023-51764/5/6).  Only CRLF ends a line: a "." after a bare LF or
 *    a bare CR is text, and "\n.\r\n", "\r\n.\n", "\n.\n", "\r.\r" do not
 *    end the message.  With bare_lf = SERVER_BARE_LF_TEXT (the default,
 *    like Postfix's "smtpd_forbid_bare_newline = normalize" without the
 *    normalising) they stay in the message byte for byte, so a smuggling
 *    attempt is visible in the Maildir, and a DIAG event reports the first
 *    bare LF; commands ended by a bare LF are accepted.  With
 *    SERVER_BARE_LF_REJECT (Postfix 3.8.4's "= yes") a bare LF in a command
 *    or in message text is answered "521 5.5.2 Error: bare <LF> received"
 *    and the connection closes.  A leading "." is removed from a text line
 *    (RFC 5321 4.5.2) unless a bare CR or LF follows it: that dot is not
 *    stuffing, and stays.
 *  - AUTH works without TLS by default: the sandbox listens on loopback
 *    and its users are demo accounts.  auth_needs_tls hides AUTH from EHLO
 *    before STARTTLS and answers AUTH with 538 5.7.11.
 *  - A rule's delay holds the reply, not the work: the command takes
 *    effect at once (the message of a delayed "." is delivered before its
 *    250 goes out, as a slow server that did store it), and the commands
 *    pipelined behind it wait, unread, until the reply goes out.
 *  - BDAT whose size cannot be parsed is answered 501 5.5.4 and the
 *    connection closes: the chunk's bytes could not be told from commands.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SERVER_MAX_LINE		512		/* RFC 5321 4.5.3.1.4 */
#define SERVER_AUTH_LINE	12288		/* RFC 4954 4 */
#define SERVER_MAX_SIZE		(10 * 1024 * 1024)
#define SERVER_MAX_RCPT		100		/* RFC 5321 4.5.3.1.8 */
#define SERVER_IDLE_TIMEOUT	(300 * 1000000ULL) /* RFC 5321 4.5.3.2.7 */
/* Input held (unread) behind a delayed reply before the engine gives up. */
#define SERVER_INPUT_MAX	(256 * 1024)
/* Output queued above which server_want_input() says stop. */
#define SERVER_OUTPUT_HIGH	(64 * 1024)
#define SERVER_QUEUE_ID_MAX	64
#define SERVER_LOG_RULES	8	/* rule labels kept for the log */

/*
 * The rule events: the same meaning and order as DESIGN section 4 and
 * enum rules_event (the lead maps one onto the other).  The engine asks
 * the hook once a command with the command's own event, OTHER for VRFY,
 * EXPN, HELP, ETRN and unknown verbs; never ANY ("any" rules are the
 * hook's business).
 */
enum server_rule_event {
	SERVER_RULE_CONNECT,	/* line: config.client */
	SERVER_RULE_BANNER,	/* line: the greeting */
	SERVER_RULE_HELO,
	SERVER_RULE_EHLO,	/* EHLO and LHLO */
	SERVER_RULE_STARTTLS,
	SERVER_RULE_AUTH,	/* line: "AUTH MECH", never the credentials */
	SERVER_RULE_MAIL,
	SERVER_RULE_RCPT,
	SERVER_RULE_DATA,
	SERVER_RULE_DOT,	/* the end of the message: ".", or the BDAT
				 * LAST line when its BDAT asked nothing */
	SERVER_RULE_BDAT,	/* after the chunk's bytes are read */
	SERVER_RULE_RSET,
	SERVER_RULE_NOOP,
	SERVER_RULE_QUIT,
	SERVER_RULE_OTHER,
	SERVER_RULE_ANY,
	SERVER_RULE_LAST
};

extern const char *const server_rule_event_names[SERVER_RULE_LAST];

/*
 * What a rule says, filled by the hook (zeroed before each call).  Like a
 * rules_action: after delay (the reply held that long):
 *  - drop: close without a reply; the command has no effect;
 *  - code 200..599: "CODE [ENHANCED] TEXT" is the reply and the command
 *    is not processed (a 250 to RCPT does not add the recipient; a
 *    message ended by "." or BDAT LAST is not delivered; a BDAT chunk's
 *    transaction is dropped); 421 closes;
 *  - code 0 (or out of range): the normal answer;
 *  - close: close after the reply.
 * tarpit is a hint for the front end (server_tarpit()): once set, it holds
 * for the rest of the connection.  The strings need to live only until
 * the hook's caller returns (the reply is formatted at once).
 */
struct server_override {
	int		 code;		/* 200..599; 0: the normal answer */
	const char	*enhanced;	/* "4.7.1"; NULL or "": none */
	const char	*text;		/* NULL: "" */
	bool		 close;
	bool		 drop;
	uint64_t	 delay;		/* microseconds */
	uint32_t	 tarpit;	/* bytes a second, 0: full speed */
	const char	*label;		/* which rule, for the log; may be NULL */
};

/*
 * The rule hook: called before the engine answers each command, the
 * connection (CONNECT, then BANNER) and the end of a message (DOT).
 * Returns 1 when a rule fired (OUT filled), 0 when none did.
 */
typedef int (*server_rule_fn)(void *arg, int event, const char *line,
    size_t len, uint64_t now, struct server_override *out);

/*
 * A sandbox user.  The passwords are demo credentials, documented as
 * sandbox-only: they are compared in plaintext (CRAM-MD5 needs them so).
 * A user's password is also its bearer token (XOAUTH2, OAUTHBEARER).
 */
struct server_user {
	const char	*name;
	const char	*password;
};

enum server_bare_lf {
	SERVER_BARE_LF_TEXT,	/* kept as text, reported (the default) */
	SERVER_BARE_LF_REJECT,	/* 521 5.5.2 and close, as Postfix 3.8.4 */
	SERVER_BARE_LF_LAST
};

/*
 * The configuration, copied by server_new(); the strings and the users it
 * points to must outlive the server.  Zero means the default for numbers.
 */
struct server_config {
	const char		*hostname;	/* banner, EHLO; NULL: "localhost" */
	const char		*client;	/* peer address, for logs; may be NULL */
	/* Its address literal for Received: ("[192.0.2.1]", "[IPv6:::1]"). */
	const char		*client_literal;
	uint64_t		 max_size;	/* bytes; 0: SERVER_MAX_SIZE */
	size_t			 max_line;	/* with CRLF; 0: SERVER_MAX_LINE */
	size_t			 max_rcpt;	/* 0: SERVER_MAX_RCPT */
	uint64_t		 idle_timeout;	/* microseconds; 0: the default */
	bool			 starttls;	/* a certificate is there */
	bool			 auth_needs_tls;
	const struct server_user *users;
	size_t			 nusers;
	enum server_bare_lf	 bare_lf;
	/* Seeds the CRAM-MD5 challenges: the caller passes random bytes. */
	uint64_t		 seed;
	server_rule_fn		 rule;		/* NULL: no rules */
	void			*rule_arg;	/* per connection if rules need */
};

/* Why the connection ends. */
enum server_close {
	SERVER_CLOSE_QUIT,	/* QUIT answered */
	SERVER_CLOSE_RULE,	/* a rule said close, drop or 421 */
	SERVER_CLOSE_TIMEOUT,	/* idle timeout: 421 4.4.2 */
	SERVER_CLOSE_PROTOCOL,	/* bare LF (reject mode), BDAT syntax */
	SERVER_CLOSE_OVERFLOW,	/* too much input behind a held reply */
	SERVER_CLOSE_CLIENT,	/* the client closed (server_close) */
	SERVER_CLOSE_ERROR,	/* I/O or TLS failed (server_close) */
	SERVER_CLOSE_LAST
};

struct server_rcpt {
	char	*addr;		/* inside the <>, as received */
	char	*params;	/* the ESMTP parameters as received, or "" */
};

/* A transaction's envelope and the facts a Received: line needs. */
struct server_envelope {
	const char		*from;		/* "" for <> */
	const char		*from_params;	/* as received, or "" */
	size_t			 nrcpt;
	const struct server_rcpt *rcpt;
	const char		*helo;
	const char		*proto;		/* "ESMTPSA", "SMTP", ... */
	const char		*auth_user;	/* NULL: none */
	bool			 tls;
	bool			 smtputf8;
	bool			 eightbit;	/* BODY=8BITMIME */
	bool			 chunking;	/* sent with BDAT */
};

/* The end-of-session record (LOG event). */
struct server_summary {
	const char		*client;
	const char		*helo;		/* "" when none */
	bool			 tls;
	const char		*auth_user;	/* NULL: none */
	unsigned		 accepted;	/* messages stored */
	unsigned		 refused;	/* messages refused at the end */
	unsigned		 rules;		/* rules that fired */
	size_t			 nlabels;	/* the first SERVER_LOG_RULES */
	const char		*labels[SERVER_LOG_RULES];
	size_t			 injected;	/* bytes after STARTTLS dropped */
	bool			 bare_lf;	/* a bare LF was seen */
	enum server_close	 why;
	uint64_t		 duration;	/* microseconds */
};

enum server_event_type {
	SERVER_EV_IN,		/* a command line received (AUTH masked) */
	SERVER_EV_OUT,		/* a reply line queued in server_output()
				 * (a held reply: when it is released) */
	SERVER_EV_DIAG,		/* something worth a log line */
	SERVER_EV_RULE,		/* a rule fired */
	SERVER_EV_TLS_WANTED,	/* the 220 to STARTTLS is queued */
	SERVER_EV_DELIVER,	/* a message to store: return 0 or -1 */
	SERVER_EV_CLOSE,	/* write server_output(), then close */
	SERVER_EV_LOG,		/* the session is over: its one log line */
	SERVER_EV_LAST
};

/*
 * One event; only its type's fields are set; pointers are valid for the
 * call only.
 */
struct server_event {
	enum server_event_type	 type;
	uint64_t		 now;
	/* IN, OUT: the line without CRLF; DIAG, LOG: the text */
	const char		*line;
	size_t			 len;
	/* RULE: which event, what the rule said */
	enum server_rule_event	 rule_event;
	const struct server_override *override;
	/* TLS_WANTED: bytes pipelined after STARTTLS, discarded */
	size_t			 discarded;
	/*
	 * DELIVER: the envelope and the message; the callback stores it
	 * durably, may write a queue id, and returns 0 (250) or -1 (451), or
	 * 1: written but not yet durable (group commit): the reply and the
	 * commands behind it wait for server_deliver_done().
	 */
	const struct server_envelope *env;
	const char		*msg;
	size_t			 msglen;
	char			 queue_id[SERVER_QUEUE_ID_MAX];
	/* CLOSE, LOG */
	enum server_close	 why;
	const struct server_summary *summary;
};

/* The return value matters only for DELIVER. */
typedef int (*server_event_fn)(struct server_event *, void *);

struct server;

/* A new engine for one connection; CONFIG is copied (see above). */
struct server	*server_new(const struct server_config *, server_event_fn,
		    void *);
void		 server_free(struct server *);	/* NULL: no-op */

/* The connection is up (or TLS is, for implicit TLS): greet. */
void		 server_open(struct server *, uint64_t now);
/*
 * Bytes from the client.  Returns 0, or -1 once the session is over (a
 * CLOSE event was emitted, now or before).
 */
int		 server_input(struct server *, const void *, size_t,
		    uint64_t now);
/* The handshake is done: TLS from here, the client greets again. */
void		 server_tls_started(struct server *, uint64_t now);
/*
 * The message a DELIVER answered 1 for is durable (OK: 250 with the queue
 * id it gave) or lost (451); the commands pipelined behind it go on.
 */
void		 server_deliver_done(struct server *, uint64_t now, bool ok);
/* The front end closed the connection (CLIENT or ERROR): the log line. */
void		 server_close(struct server *, uint64_t now,
		    enum server_close why);

uint64_t	 server_deadline(const struct server *);
void		 server_tick(struct server *, uint64_t now);

size_t		 server_output(const struct server *, const char **);
void		 server_output_done(struct server *, size_t);
bool		 server_want_input(const struct server *);
/* Bytes a second the replies should be written at; 0: full speed. */
uint32_t	 server_tarpit(const struct server *);
bool		 server_closed(const struct server *);
bool		 server_tls(const struct server *);

/*
 * One Received: header line (RFC 5321 4.4) for a DELIVER event, folded,
 * CRLF-terminated, appended to OUT: the front end's to prepend or not
 * (call it in the callback, after writing ev->queue_id).  DATE is the RFC
 * 5322 date (the engine reads no clock).
 */
void		 server_received(const struct server *,
		    const struct server_event *, const char *date,
		    struct buf *out);

const char	*server_close_name(enum server_close);

#endif
