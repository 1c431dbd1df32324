/*
 * The SMTP reply parser (RFC 5321 4.2): pushed one line at a time, it
 * assembles multi-line replies, checks three digits (first 2-5, second 0-5),
 * the separator, the same code on every line, and caps on lines and bytes
 * per reply; it splits out enhanced status codes (RFC 3463, "4.7.1").
 * It does no I/O.
 */
#ifndef REPLY_H
#define REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define REPLY_MAX_LINE		4096	/* bytes in one reply line */
#define REPLY_MAX_LINES		512	/* lines in one reply */
#define REPLY_MAX_BYTES		65536	/* bytes in one reply */

struct reply {
	int		 code;		/* 200..599 */
	char		 enhanced[16];	/* "4.7.1", "" when absent */
	size_t		 nlines;
	char		**text;		/* each line's text after "NNN-"/"NNN " */
};

struct reply_parser;

struct reply_parser	*reply_parser_new(void);
void			 reply_parser_free(struct reply_parser *);
/* Forget any partial reply (new connection). */
void			 reply_parser_reset(struct reply_parser *);

enum reply_status {
	REPLY_MORE,	/* the line belongs to an unfinished reply */
	REPLY_DONE,	/* the reply is complete: reply_parser_reply() */
	REPLY_ERROR,	/* the line breaks the protocol: *errstr says how */
};

/*
 * Push one line (without its terminator).  On REPLY_ERROR *errstr is an
 * allocated message ("reply line 2 has code 451, the first had 250") and the
 * parser is reset.
 */
enum reply_status	 reply_parser_push(struct reply_parser *, const char *,
			    size_t, char **errstr);
/* The reply completed by the last push; valid until the next push. */
const struct reply	*reply_parser_reply(const struct reply_parser *);
/* True while a multi-line reply is unfinished. */
bool			 reply_parser_partial(const struct reply_parser *);

/*
 * Parse the code at the start of a line: returns the code (200..599) and sets
 * *last (separator ' ' or end of line), or 0 when the line has none.
 */
int			 reply_line_code(const char *, size_t, bool *last);
/*
 * The enhanced status code at the start of TEXT ("4.7.1 Greylisted"):
 * copied into OUT (size >= 16) and its length returned, 0 when absent.
 */
size_t			 reply_enhanced(const char *, size_t, char *out);
/* A short explanation of a reply code, for people learning SMTP. */
const char		*reply_explain(int code);

#endif
