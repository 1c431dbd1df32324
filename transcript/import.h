/*
 * Reading captures that were not written by smtptool: swaks transcripts
 * (its "===", " ->", "<- ", " ~>", "<~ ", "<**", "**>", "***" markers,
 * with or without --show-raw-text hex dumps, with or without time-lapse
 * lines) and the RFC style ("C: EHLO x", "S: 250 ok").  The format is
 * chosen by content, never by the file's name; the native format goes to
 * transcript_read() as before.
 *
 * Real captures are messy: what can be understood is read, what cannot is
 * reported (file, line, why) as an issue and skipped.  A file is refused
 * only when it is not text at all, too large, has a gigantic line, or
 * holds nothing a dialog can be made of.  Bytes from the file are kept
 * as they are in the records; the transcript's writers escape them.
 */
#ifndef IMPORT_H
#define IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "transcript.h"

enum transcript_format {
	TRANSCRIPT_FMT_UNKNOWN,
	TRANSCRIPT_FMT_NATIVE,	/* "# smtptool-transcript 1" */
	TRANSCRIPT_FMT_SWAKS,
	TRANSCRIPT_FMT_RFC,	/* "C: ..." / "S: ..." */
	TRANSCRIPT_FMT_LAST
};

/* Limits: a capture of at most 4 GiB, lines of at most 1 MiB. */
#define IMPORT_MAX_FILE		(4ULL * 1024 * 1024 * 1024)
#define IMPORT_MAX_LINE		(1024 * 1024)

/* What could not be understood: a line of the file and why. */
struct import_issue {
	size_t	 line;		/* 1-based */
	char	*what;		/* "unknown marker \"<<<\"", allocated */
};

struct import_result {
	enum transcript_format	 format;
	struct import_issue	*issues;	/* at most IMPORT_MAX_ISSUES */
	size_t			 nissues;
	size_t			 more_issues;	/* not kept beyond the cap */
};
#define IMPORT_MAX_ISSUES	100

/* The format of a capture from its first bytes (up to 64 KiB suffice). */
enum transcript_format	 import_detect(const char *, size_t);
const char		*import_format_name(enum transcript_format);

/*
 * Read the capture PATH (any format above) into T, which should be empty.
 * -1 with *errstr ("cannot read capture FILE: line 12: ...") when it is
 * refused (T may then hold the records read before: free it), or when a
 * record file attached to T failed (the records are all in memory);
 * otherwise 0 and RES says the format and the issues (free with
 * import_result_free; RES may be NULL).  The native format is read with
 * transcript_read() (strict: its error refuses the file).  For swaks and
 * RFC captures the times are those of the time-lapse lines when there are
 * any, else 0; TLS comes from the markers (" ~>", "<~ "), in the RFC
 * style from STARTTLS and its 220.
 */
int			 import_capture(struct transcript *, const char *path,
			    struct import_result *, char **errstr);
/* The same from an open stream; NAME for the messages. */
int			 import_stream(struct transcript *, FILE *,
			    const char *name, struct import_result *,
			    char **errstr);
void			 import_result_free(struct import_result *);

#endif
