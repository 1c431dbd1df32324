/*
 * The transcript: an append-only, timestamped log of everything that happened
 * in a session (every protocol line exchanged, and the tool's own
 * information, warnings and errors), with the native file format of
 * DESIGN.md section 3 and a JSON Lines export.
 *
 * A record holds the bytes of one protocol line without its terminator, and
 * says how the line ended (CRLF, a bare LF, or nothing at all when the
 * connection closed in the middle of a line), so that writing and reading
 * back gives every byte that crossed the wire.
 *
 * The native format, one record a line:
 *
 *	# smtptool-transcript 1
 *	# start 2026-11-30T22:00:00.000000Z target 127.0.0.1:2525
 *	0.000000 === connected to 127.0.0.1:2525
 *	0.004100 <-  220 sandbox.smtptool.test ESMTP
 *	0.004300  -> EHLO client.example
 *
 * "SECONDS MARKER PAYLOAD": seconds since the start with microseconds, a
 * three-character marker, one space, the escaped payload.  Markers: "==="
 * information, "!!!" warning, "***" error, " ->" / "<- " client / server in
 * plaintext, " ~>" / "<~ " client / server under TLS, "<! " a simulated reply,
 * "r->" / "r~>" a client line sent raw (not normalised, not dot-stuffed).
 * Escapes: "\\" "\r" "\n" "\t" "\xHH"; a payload that ends with "\n" ended
 * with a bare LF (no CRLF follows); one that ends with "\z" had no terminator;
 * otherwise CRLF is implied.  Every byte that is not printable ASCII or a
 * printable, non-bidi, non-C1 UTF-8 character is escaped, so the file can be
 * shown on a terminal as it is.  Lines that start with "#" are comments;
 * a "# start" comment carries the absolute start and the target.
 */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum transcript_kind {
	TRANSCRIPT_INFO,	/* "===" the tool's information */
	TRANSCRIPT_WARNING,	/* "!!!" the tool's warning */
	TRANSCRIPT_ERROR,	/* "***" the tool's error */
	TRANSCRIPT_CLIENT,	/* " ->" (" ~>" with TRANSCRIPT_TLS) */
	TRANSCRIPT_SERVER,	/* "<- " ("<~ " with TRANSCRIPT_TLS) */
	TRANSCRIPT_SIMULATED,	/* "<! " a reply the tool simulated */
	TRANSCRIPT_KIND_LAST
};

/* How a protocol line ended. */
enum transcript_eol {
	TRANSCRIPT_EOL_CRLF,	/* CRLF (implied in the file) */
	TRANSCRIPT_EOL_LF,	/* a bare LF: "\n" at the end of the payload */
	TRANSCRIPT_EOL_NONE,	/* no terminator: "\z" at the end */
	TRANSCRIPT_EOL_LAST
};

/* Record flags. */
#define TRANSCRIPT_TLS		0x01	/* exchanged inside TLS */
/*
 * A client line sent as it is, not normalised (:data --raw, for testing
 * what a server does with broken input): marker "r->" ("r~>" under TLS).
 */
#define TRANSCRIPT_RAW		0x02

struct transcript_record {
	uint64_t		 t_us;	/* microseconds since the start */
	enum transcript_kind	 kind;
	enum transcript_eol	 eol;
	unsigned		 flags;
	/*
	 * For server lines: the reply code of the line (0 when the line does
	 * not start with one), whether it is the last line of its reply, and
	 * on that last line the time since the command it answers was sent
	 * (-1 when unknown).  Set by the caller when appending; the reader
	 * fills code and last from the text and leaves latency at -1 unless
	 * the records let it compute it (last client line before the reply).
	 */
	int			 code;
	bool			 last;
	int64_t			 latency_us;
	const char		*bytes;	/* the line without its terminator */
	size_t			 len;
};

struct transcript;

/* A new, empty transcript; never NULL (aborts when out of memory). */
struct transcript	*transcript_new(void);
void			 transcript_free(struct transcript *);

/* The absolute start time and the target named in the header. */
void			 transcript_set_start(struct transcript *,
			    const struct timespec *, const char *target);
const struct timespec	*transcript_start(const struct transcript *);
const char		*transcript_target(const struct transcript *);

/*
 * Append a copy of the record (the bytes are copied into the transcript's
 * own storage).  Records must come in time order.  If a record file is
 * attached, the record is written and flushed there too; a write error is
 * returned as -1 with *errstr (allocated, caller frees) and the record is
 * still kept in memory.
 */
int			 transcript_append(struct transcript *,
			    const struct transcript_record *, char **errstr);
/* Convenience: append a formatted INFO/WARNING/ERROR line. */
int			 transcript_note(struct transcript *, uint64_t t_us,
			    enum transcript_kind, const char *fmt, ...)
			    __attribute__((format(printf, 4, 5)));

/*
 * Comment lines ("# what: a greylisting 451 from aiosmtpd") of a file that
 * was read, kept in place so that writing it back loses nothing; one added
 * by a program goes before the next record.  At most
 * TRANSCRIPT_MAX_COMMENTS are kept.  transcript_comments() returns their
 * count and, for I below it, where the I-th goes and its text.
 */
#define TRANSCRIPT_MAX_COMMENTS	10000
void			 transcript_comment(struct transcript *,
			    const char *line, size_t len);
size_t			 transcript_comments(const struct transcript *,
			    size_t i, size_t *before, const char **text);

size_t			 transcript_count(const struct transcript *);
/* Record I; the pointer and its bytes stay valid until the next append. */
const struct transcript_record *transcript_get(const struct transcript *,
			    size_t);

/*
 * Attach a file that receives every record as it is appended (--record):
 * the header is written at once, then each record already held, then each
 * new one, flushed line by line.  Returns -1 with *errstr when the file
 * cannot be opened.  NULL detaches (and closes) it.
 */
int			 transcript_record_to(struct transcript *,
			    const char *path, char **errstr);

/* The native format. */
int			 transcript_write_header(FILE *,
			    const struct transcript *);
int			 transcript_write_record(FILE *,
			    const struct transcript_record *);
/* The whole transcript to a file; -1 with *errstr on failure. */
int			 transcript_save(const struct transcript *,
			    const char *path, char **errstr);
/*
 * Read a native transcript and append its records.  A malformed file is
 * refused: -1 with *errstr naming the file, the line and what was wrong
 * ("cannot read transcript FILE: line 12: unknown marker \"<<<\"").
 */
int			 transcript_load(struct transcript *,
			    const char *path, char **errstr);
int			 transcript_read(struct transcript *, FILE *,
			    const char *name, char **errstr);

/*
 * JSON Lines: one object a record, e.g.
 * {"t":0.004100,"kind":"server","tls":false,"text":"220 ready","eol":"crlf",
 *  "code":220,"last":true,"latency":0.001200}
 * "text" is the line as valid UTF-8 JSON; when the bytes are not valid UTF-8
 * the object also has "base64" with the exact bytes.
 */
int			 transcript_write_jsonl_record(FILE *,
			    const struct transcript_record *);
int			 transcript_export_jsonl(const struct transcript *,
			    const char *path, char **errstr);

/*
 * LEN bytes as a JSON string (quotes included): control and unsafe code
 * points escaped, invalid UTF-8 as U+FFFD.  Returns whether the bytes were
 * valid UTF-8.
 */
bool			 transcript_json_string(FILE *, const char *, size_t);

/* The three-character marker of a record ("<- ", " ~>", ...). */
const char		*transcript_marker(enum transcript_kind, unsigned flags);
const char		*transcript_kind_name(enum transcript_kind);

/*
 * Escape LEN bytes for the native format into a new NUL-terminated string
 * (allocated; the caller frees).  EOL decides the ending ("\n", "\z").
 */
char			*transcript_escape(const char *, size_t,
			    enum transcript_eol);
/*
 * Undo transcript_escape: decode a payload into a new buffer (*out, *outlen;
 * allocated, NUL-terminated for convenience) and its line ending.  -1 with
 * *errstr on a bad escape.
 */
int			 transcript_unescape(const char *, size_t, char **out,
			    size_t *outlen, enum transcript_eol *,
			    char **errstr);

#endif
