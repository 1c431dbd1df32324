/*
 * SASL for AUTH (RFC 4954), the client side, sans I/O: PLAIN (RFC 4616),
 * LOGIN, CRAM-MD5 (RFC 2195), XOAUTH2 (Google's) and OAUTHBEARER
 * (RFC 7628).  A mechanism is given the user and the secret (password or
 * token) once; it answers each 334 challenge with the next base64 line.
 * Every copy of the secret it makes is wiped (explicit_bzero) before its
 * memory is freed.  The mechanism names are shared with the sandbox
 * server (session/server_auth.h).
 */
#ifndef SASL_H
#define SASL_H

#include <stdbool.h>
#include <stddef.h>

enum sasl_mech {
	SASL_NONE,
	SASL_PLAIN,
	SASL_LOGIN,
	SASL_CRAM_MD5,
	SASL_XOAUTH2,
	SASL_OAUTHBEARER,
	SASL_MECH_LAST
};

/* What the transcript shows instead of a secret. */
#define SASL_MASK	"[masked]"

/* The mechanism named NAME (case-insensitive), or SASL_NONE. */
enum sasl_mech	 sasl_mech(const char *name, size_t len);
const char	*sasl_mech_name(enum sasl_mech);

struct sasl_client;

/*
 * A client for MECH.  USER may be NULL or "" only where the mechanism does
 * not need one (none does: NULL is refused for all five).  SECRET (SECRETLEN
 * bytes, not NUL-terminated, may hold any byte but NUL) is copied.  HOST and
 * PORT are OAUTHBEARER's host= and port= (HOST NULL or "": left out; PORT
 * 0 or out of 1..65535: left out).  NULL with *errstr when the arguments
 * cannot make a valid exchange (no user, a NUL in the secret, a \x01 in
 * the user, token or host of XOAUTH2 and OAUTHBEARER).  An empty secret
 * is sent as it is: seeing a server refuse it may be the point.
 */
struct sasl_client *sasl_client_new(enum sasl_mech, const char *user,
		    const char *secret, size_t secretlen, const char *host,
		    int port, char **errstr);
/* Wipe and free. */
void		 sasl_client_free(struct sasl_client *);
enum sasl_mech	 sasl_client_mech(const struct sasl_client *);

/*
 * The initial response, base64, to send as "AUTH MECH IR" (RFC 4954 4):
 * allocated into *ir ("=" for an empty one), or *ir NULL when the mechanism
 * waits for the server's first challenge (LOGIN, CRAM-MD5).  The caller
 * frees it with sasl_wipe_free(*ir, strlen(*ir)).  When the initial
 * response is not sent ("AUTH PLAIN" alone), the first 334 gets it.
 */
void		 sasl_client_start(struct sasl_client *, char **ir);
/*
 * The answer to a 334: CHALLENGE is the text after "334 " (base64).
 * *response gets the base64 line to send (allocated; may be "" for
 * XOAUTH2's empty answer to an error).  *what gets what it carries, for the
 * reader: "the user name", "the password", "the CRAM-MD5 digest", "an empty
 * line (the server reported an error)"... (static).  -1 with *errstr when
 * the challenge is not base64 or the mechanism expects no more (LOGIN
 * after the password, CRAM-MD5 after its digest, PLAIN after the
 * credentials, XOAUTH2 and OAUTHBEARER after their answer to an error).
 * The caller frees *response with sasl_wipe_free(*response,
 * strlen(*response)).
 */
int		 sasl_client_step(struct sasl_client *, const char *challenge,
		    size_t len, char **response, const char **what,
		    char **errstr);

/*
 * A challenge decoded for the reader: "Username:", "<1896.6@host>", or
 * XOAUTH2's JSON, with every unprintable byte escaped (\xHH) and a
 * backslash doubled, at most 200 bytes kept, the last three "..." when
 * it was cut (allocated).  NULL when it is not base64.
 */
char		*sasl_decode_challenge(const char *b64, size_t len);

/*
 * Strict base64 (RFC 4648: its alphabet, padding, no white space; "" is
 * the empty string): 0 and *out (allocated, *outlen bytes and a NUL
 * after them; it may hold a secret: sasl_wipe_free(*out, *outlen)), or -1
 * (*out NULL) when B64 is not base64.  The sandbox server uses it too.
 */
int		 sasl_base64_decode(const char *b64, size_t len, char **out,
		    size_t *outlen);
/* LEN bytes of P in base64, allocated, NUL-terminated ("" for none). */
char		*sasl_base64_encode(const void *p, size_t len);

/*
 * A typed line that carries a secret, masked for the transcript and the
 * history: "AUTH PLAIN AGJvYgBz..." -> "AUTH PLAIN [masked]" (the
 * mechanism kept, the initial response masked).  Returns true and sets
 * *masked (allocated) when LINE is AUTH with an initial response ("="
 * included; the verb in any case, blanks around the words); false (and
 * *masked NULL) otherwise.
 */
bool		 sasl_mask_auth_line(const char *line, size_t len,
		    char **masked);

/* Wipe LEN bytes of S, then free it (NULL is fine). */
void		 sasl_wipe_free(char *s, size_t len);

#endif
