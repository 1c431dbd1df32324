/*
 * The script language shared by --batch and the command pane: a line that
 * does not start with ":" is an SMTP command line sent as it is; a ":" line
 * drives the tool.  This module only parses; it does no I/O.
 */
#ifndef SCRIPT_H
#define SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum script_op {
	SCRIPT_SEND,		/* an SMTP line: text */
	SCRIPT_CONNECT,		/* :connect HOST[:PORT] */
	SCRIPT_DISCONNECT,	/* :disconnect */
	SCRIPT_STARTTLS,	/* :starttls */
	SCRIPT_DATA,		/* :data [--raw] FILE */
	SCRIPT_BDAT,		/* :bdat FILE [CHUNK] */
	SCRIPT_AUTH,		/* :auth MECH [USER] */
	SCRIPT_COMPOSE,		/* :compose [OPTIONS] */
	SCRIPT_EXPECT,		/* :expect CODE ("250", "5xx", "45x") */
	SCRIPT_SLEEP,		/* :sleep DURATION */
	SCRIPT_SAVE,		/* :save FILE */
	SCRIPT_EXPORT,		/* :export FILE (JSON Lines) */
	SCRIPT_FILTER,		/* :filter [REGEX] */
	SCRIPT_RULES,		/* :rules FILE|off */
	SCRIPT_HELP,		/* :help */
	SCRIPT_QUIT,		/* :quit */
	SCRIPT_COMMENT,		/* "#..." or an empty line in a script */
	SCRIPT_OP_LAST
};

struct script_cmd_info {
	enum script_op	 op;
	const char	*name;		/* "connect" */
	const char	*args;		/* "HOST[:PORT]" */
	int		 nargs;		/* -1: optional single argument */
	const char	*help;
};

extern const struct script_cmd_info script_table[SCRIPT_OP_LAST];

struct script_line {
	enum script_op	 op;
	const char	*arg;		/* into the parsed line, NUL-terminated */
	size_t		 arglen;
	char		 expect[4];	/* SCRIPT_EXPECT: three chars, 'x' any */
	uint64_t	 usec;		/* SCRIPT_SLEEP */
	const char	*arg2;		/* :auth USER, NULL when absent */
	bool		 raw;		/* :data --raw */
	size_t		 chunk;		/* :bdat CHUNK (0: one chunk) */
};

/*
 * Parse one line (modified in place: trailing blanks cut).  -1 with *errstr
 * for an unknown :command or a bad argument ("cannot parse :sleep: bad
 * duration \"5q\"").  In a script, blank lines and lines starting with '#'
 * are SCRIPT_COMMENT; the command pane passes them as SMTP lines
 * (SCRIPT_SEND), so it calls with script=0.
 */
int	script_parse(char *line, int script, struct script_line *,
	    char **errstr);
/* "5s", "250ms", "1.5", "2m": microseconds, or -1. */
int	script_duration(const char *, uint64_t *usec);
/* Does CODE match the pattern of an :expect ("5xx" matches 550)? */
int	script_expect_match(const char *pattern, int code);

#endif
