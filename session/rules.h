/*
 * The rules engine: simulated throttling (greylisting, rate limits, 421,
 * slow and flaky servers).  The client asks it before sending a command (a
 * command that matches is not sent; the rule's reply is shown instead) and
 * the sandbox server asks it before answering one (the rule's reply is sent
 * to the real client).  It does no I/O but rules_load()'s one read of the
 * file, and it never reads a clock: the caller passes the time.
 *
 * A rules file (DESIGN section 4, the man page's RULES section) holds one
 * rule a line; blank lines and lines whose first non-blank is "#" are
 * skipped:
 *
 *	EVENT [/REGEX/FLAGS] [SELECTOR [SCOPE]] ACTION[; ACTION...]
 *
 *	rcpt /@example\.org>$/i first 1 reply 451 4.7.1 Greylisted
 *	connect rate 10/60s global reply 421 4.7.0 Slow down; close
 *
 * How rules_match() decides, for one event:
 *  1. Every rule is tried in file order.  A rule "matches" when its event is
 *     the event (a rule for "any" matches every command event, not connect
 *     and not banner) and its regex, if any, matches LINE.
 *  2. For EVERY matching rule, even after an earlier one has decided, the
 *     rule's counter in its scope advances (so the match just made is
 *     number 1, 2, 3, ...), a "prob" rule draws one number from the PRNG
 *     and a "rate" rule records the time.  The counting therefore does not
 *     depend on the other rules.
 *  3. The selector then says whether the rule applies to this match:
 *	(none)		always
 *	first N		matches 1..N
 *	nth N		match N only
 *	every N		matches N, 2N, 3N, ...
 *	after N		matches N+1 onwards
 *	prob P		with probability P (0..1), from the state's PRNG
 *	rate N/WINDOW	when more than N matches (this one included) happened
 *			in the last WINDOW: the (N+1)th match within any
 *			sliding WINDOW, and each one after it; a match exactly
 *			WINDOW old no longer counts
 *  4. The first rule in file order that matches and applies decides: its
 *     actions fill the result.  None: the result says matched = false.
 *
 * Scopes (after a counting selector; prob and "always" count nothing):
 * "per client" (the default) counts per client address across connections,
 * "per connection" counts within one rules_conn, "global" counts every
 * connection together.  The state remembers at most RULES_MAX_CLIENTS
 * client addresses (fewer when the rules need more than RULES_CLIENT_BUDGET
 * bytes for each); past that the least recently seen client is forgotten,
 * and starts again from zero (a greylisted client is greylisted again).
 *
 * Ownership: rules outlive every state made from them, a state outlives its
 * connections.  Nothing here is thread-safe (one match buffer a regex).
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_MAX_FILE		(1024 * 1024)	/* bytes in a rules file */
#define RULES_MAX_RULES		10000		/* rules in a file */
#define RULES_MAX_COUNT		1000000000	/* N of first/nth/every/after */
#define RULES_MAX_RATE		1000		/* N of rate N/WINDOW */
#define RULES_MAX_TARPIT	1000000		/* tarpit bytes a second */
#define RULES_MAX_TEXT		512		/* bytes of a reply's text */
#define RULES_MAX_CLIENTS	4096		/* client addresses remembered */
#define RULES_CLIENT_BUDGET	(16 * 1024 * 1024) /* their counters, bytes */

enum rules_event {
	RULES_EV_CONNECT,	/* the connection opened (caller's call) */
	RULES_EV_BANNER,	/* the greeting is due (caller's call) */
	RULES_EV_HELO,
	RULES_EV_EHLO,		/* EHLO and LHLO */
	RULES_EV_STARTTLS,
	RULES_EV_AUTH,
	RULES_EV_MAIL,
	RULES_EV_RCPT,
	RULES_EV_DATA,
	RULES_EV_DOT,		/* the "." that ends DATA text */
	RULES_EV_BDAT,
	RULES_EV_RSET,
	RULES_EV_NOOP,
	RULES_EV_QUIT,
	RULES_EV_OTHER,		/* VRFY, EXPN, HELP, ETRN, unknown verbs */
	RULES_EV_ANY,		/* in a rule only: every command event */
	RULES_EV_LAST
};

/* "connect", "banner", ..., "other", "any"; indexed by the enum. */
extern const char *const rules_event_names[RULES_EV_LAST];

/*
 * The event of a command line: its verb, case-insensitive ("ehlo x" and
 * "LHLO x" give RULES_EV_EHLO, "VRFY x" and "FOO" give RULES_EV_OTHER); a
 * line that is exactly "." gives RULES_EV_DOT.  Never RULES_EV_CONNECT,
 * RULES_EV_BANNER or RULES_EV_ANY: the caller knows when those happen.
 */
enum rules_event	 rules_event_of_verb(const char *line, size_t len);

struct rules;
struct rules_state;
struct rules_conn;

/*
 * Parse a rules file held in TEXT (LEN bytes, NUL bytes refused).  NAME
 * names it in messages and descriptions.  NULL with *errstr (allocated) on
 * the first error: "cannot load rules NAME: line 3, column 18: expected a
 * selector (...) or an action (...), got \"frist\"".  Columns count bytes
 * from 1.  An empty file is valid (no rule ever matches).
 */
struct rules		*rules_parse(const char *text, size_t len,
			    const char *name, char **errstr);
/*
 * Read and parse the file at PATH (at most RULES_MAX_FILE bytes).  NULL
 * with *errstr: "cannot load rules PATH: No such file or directory", or
 * rules_parse()'s message.
 */
struct rules		*rules_load(const char *path, char **errstr);
void			 rules_free(struct rules *);	/* NULL: no-op */
size_t			 rules_count(const struct rules *);
/*
 * One rule in one line, for logs: "greylisting.rules:12 rcpt
 * /@example\.org>$/i first 1 -> 451 4.7.1" (NAME's last component, the
 * line, the event, the regex, the selector and a scope other than the
 * default, then the actions without the reply text).  I < rules_count();
 * the string lives as long as the rules.
 */
const char		*rules_describe(const struct rules *, size_t i);

/*
 * The counters and the PRNG (xoshiro256**, seeded through splitmix64 from
 * SEED: the same rules, seed and events give the same decisions).
 */
struct rules_state	*rules_state_new(const struct rules *, uint64_t seed);
void			 rules_state_free(struct rules_state *);
/* How many client addresses the state remembers now (<= the cap). */
size_t			 rules_state_clients(const struct rules_state *);

/*
 * One connection.  CLIENT_ADDR keys the per-client counters (the sandbox
 * passes the peer's address without its port; the client passes its
 * target); NULL is "".  It is copied (at most 255 bytes).
 */
struct rules_conn	*rules_conn_new(struct rules_state *,
			    const char *client_addr);
void			 rules_conn_free(struct rules_conn *);

/*
 * What the deciding rule says.  When matched is false, everything else is
 * zero: the command goes on as usual.  Otherwise, in this order:
 *  - wait delay_us first (the command's processing, or the reply, is held);
 *  - drop: close the connection without a reply (code is 0);
 *  - code != 0: the simulated reply "CODE [ENHANCED] TEXT" stands for the
 *    real one (the client does not send the command; the server does not
 *    process it), sent at tarpit_bps bytes a second when not 0;
 *  - code == 0 (a rule with only delay and/or tarpit): the command is
 *    processed as usual and its real reply is sent at tarpit_bps;
 *  - close: close the connection after the reply.  A rule with "close" and
 *    no "reply" gets the reply "421 4.7.0 Service not available, closing
 *    transmission channel".
 * The strings live as long as the rules.
 */
struct rules_action {
	bool		 matched;
	size_t		 rule;		/* index, for rules_describe() */
	unsigned	 line;		/* its line in the file */
	const char	*desc;		/* rules_describe() of it */
	int		 code;		/* 200..599, 0: no simulated reply */
	const char	*enhanced;	/* "4.7.1", "" when none */
	const char	*text;		/* may be "" */
	bool		 close;
	bool		 drop;
	uint64_t	 delay_us;
	uint32_t	 tarpit_bps;	/* 0: at full speed */
};

/*
 * Decide for one event at NOW_US (microseconds, any monotonic clock; the
 * caller's).  LINE (LEN bytes, no CRLF) is what the regexes see: the
 * command line as received or typed, the final "." for RULES_EV_DOT, the
 * greeting for RULES_EV_BANNER; NULL is the client address for
 * RULES_EV_CONNECT and "" otherwise.  Call it once per event: counters
 * advance (see the top of this file).  A regex that fails at run time
 * (PCRE2's match limit) does not match.
 */
void			 rules_match(struct rules_conn *, enum rules_event,
			    const char *line, size_t len, uint64_t now_us,
			    struct rules_action *out);

#endif
