/* SMTP commands: see command.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "xmalloc.h"

const struct command_info command_table[VERB_LAST] = {
	[VERB_UNKNOWN] = { VERB_UNKNOWN, "", "", STEP_OTHER, "",
	    "not a command smtptool knows; sent as typed" },
	[VERB_EHLO] = { VERB_EHLO, "EHLO", "EHLO ", STEP_HELLO,
	    "EHLO domain", "greet the server and ask for its extensions" },
	[VERB_HELO] = { VERB_HELO, "HELO", "HELO ", STEP_HELLO,
	    "HELO domain", "greet the server the old way (no extensions)" },
	[VERB_LHLO] = { VERB_LHLO, "LHLO", "LHLO ", STEP_HELLO,
	    "LHLO domain", "greet an LMTP server" },
	[VERB_STARTTLS] = { VERB_STARTTLS, "STARTTLS", "STARTTLS",
	    STEP_STARTTLS, "STARTTLS", "ask to switch the connection to TLS" },
	[VERB_AUTH] = { VERB_AUTH, "AUTH", "AUTH ", STEP_AUTH,
	    "AUTH mechanism [initial-response]", "authenticate" },
	[VERB_MAIL] = { VERB_MAIL, "MAIL", "MAIL FROM:<", STEP_MAIL,
	    "MAIL FROM:<address> [parameters]",
	    "start a message: the envelope sender" },
	[VERB_RCPT] = { VERB_RCPT, "RCPT", "RCPT TO:<", STEP_RCPT,
	    "RCPT TO:<address> [parameters]", "add an envelope recipient" },
	[VERB_DATA] = { VERB_DATA, "DATA", "DATA", STEP_DATA, "DATA",
	    "send the message text next; a lone . ends it" },
	[VERB_BDAT] = { VERB_BDAT, "BDAT", "BDAT ", STEP_DATA,
	    "BDAT size [LAST]", "send a chunk of the message (CHUNKING)" },
	[VERB_RSET] = { VERB_RSET, "RSET", "RSET", STEP_OTHER, "RSET",
	    "abandon the current message" },
	[VERB_NOOP] = { VERB_NOOP, "NOOP", "NOOP", STEP_OTHER, "NOOP",
	    "do nothing: is the server still there?" },
	[VERB_VRFY] = { VERB_VRFY, "VRFY", "VRFY ", STEP_OTHER,
	    "VRFY address", "ask whether an address exists" },
	[VERB_EXPN] = { VERB_EXPN, "EXPN", "EXPN ", STEP_OTHER,
	    "EXPN list", "ask for the members of a list" },
	[VERB_HELP] = { VERB_HELP, "HELP", "HELP", STEP_OTHER, "HELP [topic]",
	    "ask the server for help" },
	[VERB_ETRN] = { VERB_ETRN, "ETRN", "ETRN ", STEP_OTHER,
	    "ETRN domain", "ask the server to flush its queue for a domain" },
	[VERB_QUIT] = { VERB_QUIT, "QUIT", "QUIT", STEP_QUIT, "QUIT",
	    "end the session" },
	[VERB_DOT] = { VERB_DOT, ".", "", STEP_DATA, ".",
	    "the end of the message text" },
	[VERB_BANNER] = { VERB_BANNER, "(banner)", "", STEP_BANNER, "",
	    "the server's greeting" },
};

static const char *const step_names[STEP_LAST] = {
	[STEP_CONNECT] = "connect",
	[STEP_BANNER] = "banner",
	[STEP_HELLO] = "EHLO/HELO",
	[STEP_STARTTLS] = "STARTTLS",
	[STEP_AUTH] = "AUTH",
	[STEP_MAIL] = "MAIL",
	[STEP_RCPT] = "RCPT",
	[STEP_DATA] = "DATA",
	[STEP_QUIT] = "QUIT",
	[STEP_OTHER] = "command",
};

enum command_verb
command_verb_of(const char *line, size_t len)
{
	size_t	n, v;

	n = 0;
	while (n < len && line[n] != ' ')
		n++;
	for (v = VERB_EHLO; v <= VERB_QUIT; v++) {
		if (strlen(command_table[v].name) == n &&
		    strncasecmp(command_table[v].name, line, n) == 0)
			return (enum command_verb)v;
	}
	return VERB_UNKNOWN;
}

const struct command_info *
command_info(enum command_verb v)
{
	return &command_table[v < VERB_LAST ? v : VERB_UNKNOWN];
}

const char *
command_step_name(enum command_step s)
{
	return s < STEP_LAST ? step_names[s] : "?";
}

int
command_check(const char *line, size_t len, char **errstr)
{
	size_t		 i;
	const char	*what;

	for (i = 0; i < len; i++) {
		switch (line[i]) {
		case '\r':
			what = "a CR";
			break;
		case '\n':
			what = "an LF";
			break;
		case '\0':
			what = "a NUL";
			break;
		default:
			continue;
		}
		return seterr(errstr, "cannot send command: it holds %s at "
		    "byte %zu (one command a line; CRLF is added)", what,
		    i + 1);
	}
	return 0;
}

int
command_build(struct buf *out, const char *verb, const char *arg,
    size_t arglen, char **errstr)
{
	size_t	 vlen = strlen(verb), n;
	char	*line;

	if (command_check(verb, vlen, errstr) == -1)
		return -1;
	if (arg != NULL && command_check(arg, arglen, errstr) == -1)
		return -1;
	n = vlen + (arg != NULL ? 1 + arglen : 0) + 2;
	line = xmalloc(n);
	memcpy(line, verb, vlen);
	if (arg != NULL) {
		line[vlen] = ' ';
		memcpy(line + vlen + 1, arg, arglen);
	}
	memcpy(line + n - 2, "\r\n", 2);
	if (buf_add(out, line, n) == -1) {
		free(line);
		return seterr(errstr, "cannot send command: the output buffer "
		    "is full");
	}
	free(line);
	return 0;
}
