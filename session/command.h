/*
 * SMTP commands: the verb table (what each verb is, which step of the
 * dialog it belongs to, what it needs before it) and the one builder that
 * turns a command into bytes on the wire.
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <stddef.h>

#include "buf.h"

/* The steps of a dialog a failure is blamed on (exit codes follow them). */
enum command_step {
	STEP_CONNECT,
	STEP_BANNER,
	STEP_HELLO,	/* EHLO, HELO, LHLO */
	STEP_STARTTLS,
	STEP_AUTH,
	STEP_MAIL,
	STEP_RCPT,
	STEP_DATA,	/* DATA, BDAT and the message itself */
	STEP_QUIT,
	STEP_OTHER,	/* RSET, NOOP, VRFY, EXPN, HELP, ETRN, unknown */
	STEP_LAST
};

enum command_verb {
	VERB_UNKNOWN,
	VERB_EHLO,
	VERB_HELO,
	VERB_LHLO,
	VERB_STARTTLS,
	VERB_AUTH,
	VERB_MAIL,
	VERB_RCPT,
	VERB_DATA,
	VERB_BDAT,
	VERB_RSET,
	VERB_NOOP,
	VERB_VRFY,
	VERB_EXPN,
	VERB_HELP,
	VERB_ETRN,
	VERB_QUIT,
	VERB_DOT,	/* the end of message text: not typed as a verb */
	VERB_BANNER,	/* the greeting: not a command */
	VERB_LAST
};

struct command_info {
	enum command_verb	 verb;
	const char		*name;		/* "MAIL" */
	const char		*completion;	/* "MAIL FROM:<" */
	enum command_step	 step;
	const char		*syntax;	/* "MAIL FROM:<address> [params]" */
	const char		*help;		/* one line for people learning */
};

/* The table, indexed by verb; VERB_LAST entries. */
extern const struct command_info command_table[VERB_LAST];

/* The verb of a typed line (case-insensitive, up to the first space). */
enum command_verb	 command_verb_of(const char *line, size_t len);
const struct command_info *command_info(enum command_verb);
const char		*command_step_name(enum command_step);

/*
 * Append "LINE\r\n" to OUT.  A CR, LF or NUL inside the line is refused:
 * -1 with *errstr (allocated) and nothing appended.  ARG may be NULL; when
 * given, "VERB ARG" is built.
 */
int			 command_build(struct buf *out, const char *verb,
			    const char *arg, size_t arglen, char **errstr);
/* The same check alone: -1 with *errstr when LINE holds CR, LF or NUL. */
int			 command_check(const char *line, size_t len,
			    char **errstr);

#endif
