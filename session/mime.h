/*
 * Composing a message (RFC 5322, MIME RFC 2045-2049): the headers, a text
 * body, an HTML alternative, attachments in base64 with a content type
 * from the file name, non-ASCII header text encoded as RFC 2047 words, or
 * kept as UTF-8 when the server advertised SMTPUTF8 (RFC 6532).  Pure: the
 * caller reads the files and the clock and passes bytes and the time.
 *
 * The result has CRLF line ends, no line longer than 998 octets (long
 * lines of the text are folded by quoted-printable, never cut), no NUL and
 * no bare CR or LF, so it goes through data_encode() unchanged but for
 * dot-stuffing.
 */
#ifndef MIME_H
#define MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct mime_attachment {
	const char		*name;	/* the file name shown (no directory) */
	const unsigned char	*data;
	size_t			 len;
	const char		*type;	/* NULL: mime_type_of(name) */
};
/*
 * Attachments go as base64 in lines of 76, the name as name= and
 * filename= (RFC 2231 when not ASCII).  A message/rfc822 one goes as it
 * is (line ends made CRLF), 7bit, or 8bit under SMTPUTF8, as RFC 2046
 * wants; when it cannot (a NUL, a line over 998, 8-bit text without
 * SMTPUTF8) it goes as base64 application/octet-stream, or base64 of the
 * TYPE given.
 */

struct mime_message {
	const char		*from;	/* "Name <a@example.org>" or "a@b" */
	const char *const	*to;	/* each "Name <addr>" or "addr" */
	size_t			 nto;
	const char *const	*cc;
	size_t			 ncc;
	/* Bcc is envelope only: it never appears in the message. */
	const char		*subject;	/* NULL: none */
	const char		*text;		/* the text body; NULL: none */
	size_t			 textlen;
	const char		*html;		/* an HTML alternative; NULL */
	size_t			 htmllen;
	const struct mime_attachment *att;
	size_t			 natt;
	/*
	 * Extra "Name: value" lines, in order.  One named Date, Message-ID,
	 * From, To, Cc, Subject, MIME-Version, Content-Type or
	 * Content-Transfer-Encoding replaces the generated header of that
	 * name; others are added after them, as given (Bcc is dropped).
	 * From, To, Cc, Reply-To, Sender and Subject are rendered like the
	 * generated ones; other non-ASCII values become RFC 2047 words
	 * unless UTF8.  An extra From or To stands for M->from or M->to.
	 */
	const char *const	*headers;
	size_t			 nheaders;
	int64_t			 date;		/* seconds since the epoch */
	int			 tzoff;		/* the local offset, minutes */
	/* SMTPUTF8 advertised: header text stays UTF-8 (RFC 6532). */
	bool			 utf8;
	/* The right side of the Message-ID when From has no domain. */
	const char		*hostname;
};

/* What mime_build() made. */
struct mime_info {
	char		 message_id[128];	/* "<...@...>", without CRLF */
	bool		 eightbit;	/* holds 8-bit bytes (UTF-8 headers) */
	bool		 needs_utf8;	/* an address or header needs SMTPUTF8 */
	size_t		 size;		/* bytes appended to OUT */
};

/*
 * Append the whole message to OUT.  The Message-ID is derived from a hash
 * of everything but the Date, so the same message retried keeps its ID.
 * -1 with *errstr (allocated) for what cannot make a valid message: a
 * header line without "Name:", a CR, LF or NUL inside a header or an
 * address, no From, no recipient in To.
 */
int		 mime_build(const struct mime_message *, struct buf *out,
		    struct mime_info *, char **errstr);

/* The content type for a file name ("report.pdf" -> "application/pdf"),
 * "application/octet-stream" when unknown. */
const char	*mime_type_of(const char *name);

/*
 * One header's unstructured text as RFC 2047 encoded words where it needs
 * them (UTF-8, B or Q, whichever is shorter), folded so that no line with
 * NAME exceeds 78 octets; ASCII text is folded only.  "NAME: " and the
 * text are appended to OUT, without the final CRLF.
 */
void		 mime_encode_header(struct buf *out, const char *name,
		    const char *value, size_t len);

/* The address inside "Name <addr>", or the whole string; *len set. */
const char	*mime_addr_spec(const char *mailbox, size_t *len);

#endif
