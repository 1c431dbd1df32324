/*
 * Where a password or token for AUTH comes from: never the command line.
 * In order: the SMTPTOOL_PASSWORD environment variable (removed from the
 * environment once read, so that children do not inherit it), a file
 * (--password-file: its first line), or a prompt on the terminal with
 * echo off.  Every copy is wiped (explicit_bzero) before it is freed.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stdbool.h>
#include <stddef.h>

struct secret {
	char	*p;	/* NUL-terminated; NULL: none */
	size_t	 len;
};

/*
 * Get the secret for USER: from the environment, FILE (may be NULL), or
 * with PROMPT on /dev/tty when ASK.  -1 with *errstr (allocated): the file
 * cannot be read or is readable by others, there is no terminal to ask
 * on, or the secret is empty.
 */
int	secret_get(struct secret *, const char *file, const char *prompt,
	    bool ask, char **errstr);
/* Wipe and free. */
void	secret_clear(struct secret *);
/* Take a line the TUI read with its hidden prompt (the string is taken). */
void	secret_take(struct secret *, char *line);

/*
 * A command-line option that would carry a secret (--password, --pass,
 * --token, -p...): the explanation to print, or NULL when ARG is not one.
 */
const char *secret_refused_option(const char *arg);

#endif
