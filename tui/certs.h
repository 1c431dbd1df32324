/* smtptool certs: the TLS session and certificate chain of a server. */
#ifndef CERTS_H
#define CERTS_H

#include <stdbool.h>

#include "client.h"

enum certs_mode {
	CERTS_AUTO,		/* --tls on port 465, STARTTLS otherwise */
	CERTS_STARTTLS,
	CERTS_TLS,
};

struct certs_options {
	const char		*target;
	const char		*helo;		/* the EHLO name */
	enum certs_mode		 mode;
	struct client_options	 client;
	bool			 json;
	bool			 verbose;	/* the transcript on stderr */
};

/*
 * Connect, do STARTTLS or implicit TLS, QUIT, print the report; returns the
 * exit code: 0 when the chain verifies for the name, EXIT_CERT when it
 * does not, EXIT_TLS when TLS cannot be had, or the step that failed.
 */
int	certs_run(const struct certs_options *);

#endif
