/*
 * SASL for the sandbox server (RFC 4954): PLAIN (RFC 4616), LOGIN,
 * CRAM-MD5 (RFC 2195), XOAUTH2 (Google's) and OAUTHBEARER (RFC 7628),
 * checked against the sandbox users.  The bearer token of a sandbox user
 * is its password: "AUTH XOAUTH2" as alice takes the token "wonderland".
 * A wrong token (or an unknown user) gets the mechanism's error
 * challenge, a base64 JSON object, as the real servers send it:
 *
 *	XOAUTH2      {"status":"401","schemes":"bearer",
 *	              "scope":"https://mail.google.com/"}
 *	OAUTHBEARER  {"status":"invalid_token","schemes":"bearer"}
 *
 * and whatever line the client answers with (an empty one for XOAUTH2,
 * "AQ==", a lone ^A, for OAUTHBEARER: RFC 7628 3.2.3) gets the failure,
 * 535.  No I/O: a line in, a result and the next challenge out.  Every
 * decoded secret is wiped (explicit_bzero) before its memory is freed.
 * The mechanisms are enum sasl_mech, shared with the client (sasl.h).
 */
#ifndef SERVER_AUTH_H
#define SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "sasl.h"
#include "server.h"

enum server_sasl_result {
	SASL_CHALLENGE,	/* send "334 " and the base64 challenge in OUT */
	SASL_OK,	/* authenticated: the user's name in OUT */
	SASL_FAIL,	/* wrong user or password: 535 5.7.8 */
	SASL_CANCEL,	/* the client sent "*": 501 */
	SASL_MALFORMED,	/* not base64, or not the mechanism's form: 501 */
	SASL_RESULT_LAST
};

/* One exchange; zero it before the first use. */
struct server_sasl {
	enum sasl_mech		 mech;
	/*
	 * 1: the first response is awaited; 2: LOGIN's password, or, for
	 * XOAUTH2 and OAUTHBEARER, the line after the error challenge.
	 */
	int			 step;
	char			*user;		/* LOGIN: the name, until the
						 * password comes (wiped) */
	char			 challenge[160];	/* CRAM-MD5, plain text */
};

/*
 * Begin MECH.  IR is the initial response (HAS_IR false: none given; "="
 * is the empty one).  CHALLENGE is CRAM-MD5's "<random.time@host>" text
 * (ignored by the others).  OUT gets the base64 challenge or the user.
 */
enum server_sasl_result	 server_sasl_start(struct server_sasl *,
			    enum sasl_mech, bool has_ir, const char *ir,
			    size_t irlen, const char *challenge,
			    const struct server_user *, size_t nusers,
			    struct buf *out);
/* The client's answer to a 334: one line, without CRLF. */
enum server_sasl_result	 server_sasl_step(struct server_sasl *,
			    const char *line, size_t len,
			    const struct server_user *, size_t nusers,
			    struct buf *out);
/* Forget the exchange, wiping what it held. */
void			 server_sasl_clear(struct server_sasl *);

#endif
