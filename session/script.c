/* The script language: see script.h. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "xmalloc.h"

const struct script_cmd_info script_table[SCRIPT_OP_LAST] = {
	[SCRIPT_SEND] = { SCRIPT_SEND, "", "", 0,
	    "a line without ':' is sent to the server as typed" },
	[SCRIPT_CONNECT] = { SCRIPT_CONNECT, "connect", "HOST[:PORT]", 1,
	    "connect to a server (port 25 unless given)" },
	[SCRIPT_DISCONNECT] = { SCRIPT_DISCONNECT, "disconnect", "", 0,
	    "close the connection at once, without QUIT" },
	[SCRIPT_STARTTLS] = { SCRIPT_STARTTLS, "starttls", "", 0,
	    "send STARTTLS; after the 220, the TLS handshake" },
	[SCRIPT_DATA] = { SCRIPT_DATA, "data", "[--raw] FILE", 1,
	    "send DATA, then FILE as the message (dot-stuffed, CRLF); "
	    "--raw: as it is, for testing servers" },
	[SCRIPT_BDAT] = { SCRIPT_BDAT, "bdat", "FILE [CHUNK]", 1,
	    "send FILE with BDAT (CHUNKING) in chunks of CHUNK bytes" },
	[SCRIPT_AUTH] = { SCRIPT_AUTH, "auth", "MECH [USER]", 1,
	    "authenticate (PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER); "
	    "the secret is asked for, hidden" },
	[SCRIPT_COMPOSE] = { SCRIPT_COMPOSE, "compose", "[OPTIONS]", -1,
	    "build a MIME message and send it: MAIL, RCPT, DATA "
	    "(--from --to --cc --bcc --subject --body --html --attach "
	    "--header ...)" },
	[SCRIPT_EXPECT] = { SCRIPT_EXPECT, "expect", "CODE", 1,
	    "the next reply must have CODE (250, 5xx, 45x)" },
	[SCRIPT_SLEEP] = { SCRIPT_SLEEP, "sleep", "DURATION", 1,
	    "wait (5s, 250ms, 1.5, 2m)" },
	[SCRIPT_SAVE] = { SCRIPT_SAVE, "save", "FILE", 1,
	    "write the transcript to FILE" },
	[SCRIPT_EXPORT] = { SCRIPT_EXPORT, "export", "FILE", 1,
	    "write the transcript to FILE as JSON Lines" },
	[SCRIPT_FILTER] = { SCRIPT_FILTER, "filter", "[REGEX]", -1,
	    "show only transcript lines matching REGEX; none: all" },
	[SCRIPT_RULES] = { SCRIPT_RULES, "rules", "FILE|off", 1,
	    "simulate throttling with FILE's rules (off: no more)" },
	[SCRIPT_HELP] = { SCRIPT_HELP, "help", "", 0,
	    "show the keys and commands" },
	[SCRIPT_QUIT] = { SCRIPT_QUIT, "quit", "", 0,
	    "send QUIT if connected, then leave" },
	[SCRIPT_COMMENT] = { SCRIPT_COMMENT, "", "", 0,
	    "# starts a comment line in a script" },
};

int
script_duration(const char *s, uint64_t *usec)
{
	char	*end;
	double	 v, mul = 1e6;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v) || v < 0)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mul = 1e6;
	else if (strcmp(end, "ms") == 0)
		mul = 1e3;
	else if (strcmp(end, "us") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0)
		mul = 60e6;
	else
		return -1;
	if (v * mul > 86400e6)	/* a day is plenty */
		return -1;
	*usec = (uint64_t)(v * mul + 0.5);
	return 0;
}

int
script_expect_match(const char *pattern, int code)
{
	char	digits[4];
	int	i;

	if (code < 100 || code > 999)
		return 0;
	snprintf(digits, sizeof(digits), "%d", code);
	for (i = 0; i < 3; i++)
		if (pattern[i] != 'x' && pattern[i] != digits[i])
			return 0;
	return 1;
}

static int
parse_expect(const char *arg, struct script_line *sl, char **errstr)
{
	int	i;

	if (strlen(arg) != 3 || arg[0] < '2' || arg[0] > '5')
		goto bad;
	for (i = 0; i < 3; i++) {
		char c = (char)tolower((unsigned char)arg[i]);

		if (!isdigit((unsigned char)c) && c != 'x')
			goto bad;
		if (c == 'x' && i < 2 && arg[i + 1] != 'x' &&
		    arg[i + 1] != 'X')
			goto bad;
		sl->expect[i] = c;
	}
	sl->expect[3] = '\0';
	return 0;
bad:
	return seterr(errstr, "cannot parse :expect: \"%s\" is not a reply "
	    "code (like 250, 5xx or 45x)", arg);
}

int
script_parse(char *line, int script, struct script_line *sl, char **errstr)
{
	size_t	 n = strlen(line), len;
	char	*name, *arg, *arg2, *end;
	int	 op;

	memset(sl, 0, sizeof(*sl));
	if (script) {
		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' ||
		    line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#') {
			sl->op = SCRIPT_COMMENT;
			return 0;
		}
	}
	if (line[0] != ':') {
		sl->op = SCRIPT_SEND;
		sl->arg = line;
		sl->arglen = n;
		return 0;
	}
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	name = line + 1;
	len = strcspn(name, " \t");
	arg = name + len;
	if (*arg != '\0')
		*arg++ = '\0';
	while (*arg == ' ' || *arg == '\t')
		arg++;
	for (op = 0; op < SCRIPT_OP_LAST; op++)
		if (script_table[op].name[0] != '\0' &&
		    strcmp(script_table[op].name, name) == 0)
			break;
	if (op == SCRIPT_OP_LAST)
		return seterr(errstr, "cannot run :%s: no such command (:help "
		    "lists them)", name);
	sl->op = (enum script_op)op;
	if (script_table[op].nargs == 1 && *arg == '\0')
		return seterr(errstr, "cannot run :%s: it needs %s", name,
		    script_table[op].args);
	if (script_table[op].nargs == 0 && *arg != '\0')
		return seterr(errstr, "cannot run :%s: it takes no argument",
		    name);
	sl->arg = arg;
	sl->arglen = strlen(arg);
	switch (sl->op) {
	case SCRIPT_EXPECT:
		return parse_expect(arg, sl, errstr);
	case SCRIPT_AUTH:
	case SCRIPT_BDAT:
		if ((arg2 = strpbrk(arg, " \t")) != NULL) {
			*arg2++ = '\0';
			arg2 += strspn(arg2, " \t");
			sl->arg2 = arg2;
			sl->arglen = strlen(arg);
		}
		if (sl->op == SCRIPT_BDAT && arg2 != NULL) {
			errno = 0;
			sl->chunk = strtoull(arg2, &end, 10);
			if (errno != 0 || *end != '\0' || sl->chunk == 0 ||
			    !isdigit((unsigned char)*arg2))
				return seterr(errstr, "cannot parse :bdat: "
				    "\"%s\" is not a chunk size in bytes",
				    arg2);
			sl->arg2 = NULL;
		} else if (sl->op == SCRIPT_AUTH && arg2 != NULL &&
		    strpbrk(arg2, " \t") != NULL)
			return seterr(errstr, "cannot parse :auth: MECH [USER] "
			    "(the secret is asked for, never typed here)");
		break;
	case SCRIPT_DATA:
		if (strncmp(arg, "--raw", 5) == 0 && (arg[5] == ' ' ||
		    arg[5] == '\t')) {
			sl->raw = true;
			arg += 5 + strspn(arg + 5, " \t");
			sl->arg = arg;
			sl->arglen = strlen(arg);
		} else if (strcmp(arg, "--raw") == 0)
			return seterr(errstr, "cannot run :data: --raw needs "
			    "FILE");
		break;
	case SCRIPT_SLEEP:
		if (script_duration(arg, &sl->usec) == -1)
			return seterr(errstr, "cannot parse :sleep: bad "
			    "duration \"%s\" (5s, 250ms, 1.5, 2m)", arg);
		break;
	default:
		break;
	}
	return 0;
}
