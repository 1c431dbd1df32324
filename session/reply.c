/* The SMTP reply parser: see reply.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "xmalloc.h"

struct reply_parser {
	struct reply	 reply;		/* being built, or complete */
	size_t		 cap;		/* of reply.text */
	size_t		 bytes;		/* in the reply so far */
	bool		 partial;	/* a '-' line was seen */
	bool		 done;		/* reply is complete */
};

static void
reply_clear(struct reply_parser *rp)
{
	size_t	i;

	for (i = 0; i < rp->reply.nlines; i++)
		free(rp->reply.text[i]);
	rp->reply.nlines = 0;
	rp->reply.code = 0;
	rp->reply.enhanced[0] = '\0';
	rp->bytes = 0;
	rp->partial = false;
	rp->done = false;
}

struct reply_parser *
reply_parser_new(void)
{
	struct reply_parser	*rp;

	rp = xrealloc(NULL, sizeof(*rp));
	memset(rp, 0, sizeof(*rp));
	return rp;
}

void
reply_parser_free(struct reply_parser *rp)
{
	if (rp == NULL)
		return;
	reply_clear(rp);
	free(rp->reply.text);
	free(rp);
}

void
reply_parser_reset(struct reply_parser *rp)
{
	reply_clear(rp);
}

int
reply_line_code(const char *p, size_t len, bool *last)
{
	if (len < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' ||
	    !isdigit((unsigned char)p[2]))
		return 0;
	if (len > 3 && p[3] != ' ' && p[3] != '-')
		return 0;
	if (last != NULL)
		*last = len == 3 || p[3] == ' ';
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* Digits at P: 1 to MAX of them; returns how many, 0 if out of bounds. */
static size_t
digits(const char *p, size_t len, size_t max)
{
	size_t	n = 0;

	while (n < len && n <= max && isdigit((unsigned char)p[n]))
		n++;
	return n >= 1 && n <= max ? n : 0;
}

size_t
reply_enhanced(const char *p, size_t len, char *out)
{
	size_t	i = 0, n;

	/* class "." subject "." detail: 2/4/5, 1-3 digits, 1-3 digits */
	if (len < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return 0;
	i = 2;
	if ((n = digits(p + i, len - i, 3)) == 0)
		return 0;
	i += n;
	if (i >= len || p[i] != '.')
		return 0;
	i++;
	if ((n = digits(p + i, len - i, 3)) == 0)
		return 0;
	i += n;
	if (i < len && p[i] != ' ')
		return 0;
	memcpy(out, p, i);
	out[i] = '\0';
	return i;
}

static enum reply_status __attribute__((format(printf, 3, 4)))
fail(struct reply_parser *rp, char **errstr, const char *fmt, ...)
{
	va_list	ap;

	if (errstr != NULL) {
		va_start(ap, fmt);
		if (vasprintf(errstr, fmt, ap) == -1)
			*errstr = NULL;
		va_end(ap);
	}
	reply_clear(rp);
	return REPLY_ERROR;
}

enum reply_status
reply_parser_push(struct reply_parser *rp, const char *line, size_t len,
    char **errstr)
{
	const char	*text;
	size_t		 tlen;
	bool		 last;
	int		 code;

	if (rp->done)
		reply_clear(rp);
	if (len > REPLY_MAX_LINE)
		return fail(rp, errstr, "reply line of %zu bytes is longer than "
		    "the limit of %d", len, REPLY_MAX_LINE);
	if ((code = reply_line_code(line, len, &last)) == 0)
		return fail(rp, errstr, "reply line %zu does not start with a "
		    "reply code (three digits, the first 2 to 5)",
		    rp->reply.nlines + 1);
	if (rp->reply.nlines > 0 && code != rp->reply.code)
		return fail(rp, errstr, "reply line has code %d, the first "
		    "line had %d", code, rp->reply.code);
	if (rp->reply.nlines + 1 > REPLY_MAX_LINES)
		return fail(rp, errstr, "reply has more than %d lines",
		    REPLY_MAX_LINES);
	if (rp->bytes + len > REPLY_MAX_BYTES)
		return fail(rp, errstr, "reply is longer than %d bytes",
		    REPLY_MAX_BYTES);

	text = len > 4 ? line + 4 : "";
	tlen = len > 4 ? len - 4 : 0;
	if (rp->reply.nlines == rp->cap) {
		rp->cap = rp->cap == 0 ? 8 : rp->cap * 2;
		rp->reply.text = xrealloc(rp->reply.text,
		    rp->cap * sizeof(*rp->reply.text));
	}
	rp->reply.text[rp->reply.nlines] = xrealloc(NULL, tlen + 1);
	memcpy(rp->reply.text[rp->reply.nlines], text, tlen);
	rp->reply.text[rp->reply.nlines][tlen] = '\0';
	if (rp->reply.nlines == 0) {
		rp->reply.code = code;
		reply_enhanced(text, tlen, rp->reply.enhanced);
	}
	rp->reply.nlines++;
	rp->bytes += len;
	if (!last) {
		rp->partial = true;
		return REPLY_MORE;
	}
	rp->partial = false;
	rp->done = true;
	return REPLY_DONE;
}

const struct reply *
reply_parser_reply(const struct reply_parser *rp)
{
	return rp->done ? &rp->reply : NULL;
}

bool
reply_parser_partial(const struct reply_parser *rp)
{
	return rp->partial;
}

/* What each reply code means (RFC 5321 4.2.2-4.2.3 and common use). */
static const struct {
	int		 code;
	const char	*text;
} explain[] = {
	{ 211, "system status" },
	{ 214, "help message" },
	{ 220, "service ready: the greeting" },
	{ 221, "closing the connection" },
	{ 235, "authentication succeeded" },
	{ 250, "requested action okay, completed" },
	{ 251, "user not local; will forward" },
	{ 252, "cannot verify the user, but will try delivery" },
	{ 334, "authentication challenge: send the next response" },
	{ 354, "start message input; end with <CRLF>.<CRLF>" },
	{ 421, "service not available, closing the connection" },
	{ 432, "a password transition is needed" },
	{ 450, "mailbox unavailable for now (busy, greylisted, blocked)" },
	{ 451, "local error in processing: try again later" },
	{ 452, "insufficient storage, or too many recipients" },
	{ 454, "temporary authentication or TLS failure" },
	{ 455, "server unable to accommodate parameters" },
	{ 500, "syntax error, command unrecognised" },
	{ 501, "syntax error in parameters or arguments" },
	{ 502, "command not implemented" },
	{ 503, "bad sequence of commands" },
	{ 504, "command parameter not implemented" },
	{ 521, "this host does not accept mail" },
	{ 523, "the message is larger than the server accepts" },
	{ 530, "authentication required (or STARTTLS first)" },
	{ 534, "authentication mechanism is too weak" },
	{ 535, "authentication credentials invalid" },
	{ 538, "encryption required for this authentication mechanism" },
	{ 550, "mailbox unavailable (no such user, or policy rejection)" },
	{ 551, "user not local; try another path" },
	{ 552, "exceeded storage allocation (message too large)" },
	{ 553, "mailbox name not allowed" },
	{ 554, "transaction failed (or relay denied, or no service)" },
	{ 555, "MAIL or RCPT parameters not recognised" },
};

const char *
reply_explain(int code)
{
	size_t	i;

	for (i = 0; i < sizeof(explain) / sizeof(explain[0]); i++)
		if (explain[i].code == code)
			return explain[i].text;
	switch (code / 100) {
	case 2:
		return "success";
	case 3:
		return "intermediate: send more";
	case 4:
		return "temporary failure: try again later";
	case 5:
		return "permanent failure";
	}
	return "not a valid reply code";
}
