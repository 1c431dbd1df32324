/*
 * Composing and sending a message from options, as swaks does: --from,
 * --to, --cc, --bcc, --subject, --body FILE, --html FILE, --attach FILE,
 * --header 'Name: value' and the envelope's extensions (DSN, REQUIRETLS,
 * BDAT).  The same options come from the command line (batch) and from
 * ":compose OPTIONS" in the command pane or a script.  The message itself
 * is built by session/mime.c once the server's capabilities are known
 * (SMTPUTF8 decides how non-ASCII headers go out).
 */
#ifndef COMPOSE_H
#define COMPOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"

struct compose_options {
	char		*from;
	char		**to, **cc, **bcc;
	size_t		 nto, ncc, nbcc;
	char		*subject;
	char		*body;		/* a file */
	char		*html;		/* a file */
	char		**attach;	/* files */
	size_t		 natt;
	char		**headers;
	size_t		 nheaders;
	char		*ret, *envid, *notify;
	bool		 orcpt;
	bool		 requiretls;
	bool		 bdat;
	size_t		 chunk;
};

/*
 * One option, by its long name without "--" ("from", "to", ...) and its
 * argument (NULL for a flag).  Returns 1 when NAME is a compose option
 * (taken), 0 when it is not, -1 with *errstr for a bad argument.
 * Recipient options take comma-separated lists.
 */
int	compose_option(struct compose_options *, const char *name,
	    const char *arg, char **errstr);
/* ":compose --from a@b --to 'C <c@d>' ...": shell-like quoting. */
int	compose_parse(struct compose_options *, const char *args,
	    char **errstr);
/* Fill what is unset in DST from SRC (the command line's defaults). */
void	compose_merge(struct compose_options *dst,
	    const struct compose_options *src);
bool	compose_wanted(const struct compose_options *);
void	compose_free(struct compose_options *);

/*
 * Read the files, build the message for the current session's
 * capabilities and start the transaction (session_send_tx).  HOSTNAME is
 * the Message-ID's right side when From has no domain.  -1 with *errstr.
 */
int	compose_send(struct client *, const struct compose_options *,
	    const char *hostname, char **errstr);

/* The long options main() hands to compose_option, for getopt_long. */
extern const char *const compose_option_names[];

#endif
