/*
 * Reading captures that smtptool did not write (see import.h): swaks
 * transcripts and the RFC style, turned into transcript records.
 *
 * The file is read line by line into a bounded buffer.  Its first 64 KiB
 * choose the format (by counting the lines that carry each format's
 * markers) and show whether it is text at all; the native format then
 * goes whole to transcript_read().
 *
 * swaks (20201014) prints every line behind a three-character marker and
 * a space: "===" information, "***" an error, " ->" / " ~>" a line sent
 * (plaintext / TLS), "**>" / "*~>" one sent unexpectedly, "<- " / "<~ " a
 * line received, "<**" / "<~*" a reply it did not expect (a 4xx or 5xx),
 * "  >" / "<  " a hex dump of one write / one read (--show-raw-text).
 * What it shows is nearly the bytes: the lines received lose every CR,
 * and the lines of a message text keep theirs (swaks shows the text split
 * at LF, so each line but the last ends with CR).  The hex dumps give the
 * exact bytes back: a write is dumped after the lines shown, a read before
 * them.  --show-time-lapse adds "=== response in 0.012s" before each reply
 * (whole seconds with "i"); the lapses are added up into the times.
 * --suppress-data shows a message text as one " -> 11 lines sent"; it
 * becomes a note (or, with a hex dump of it, the real lines).
 * --auth-plaintext shows AUTH lines decoded (not what was sent): a note
 * says so.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "import.h"
#include "tr_util.h"
#include "utf8.h"

#define IMPORT_WINDOW	(64 * 1024)	/* the bytes that choose the format */
#define NATIVE_HEADER	"# smtptool-transcript"
#define MAX_LAPSE_S	(100ULL * 365 * 86400)	/* beyond: not a lapse */

static const char *const format_names[TRANSCRIPT_FMT_LAST] = {
	"unknown", "native", "swaks", "rfc"
};

/* What a swaks marker introduces. */
enum swaks_line {
	SW_INFO,
	SW_ERROR,
	SW_WARNING,
	SW_CLIENT,
	SW_SERVER,
	SW_SENT_DUMP,
	SW_RECV_DUMP,
	SW_LAST
};

static const struct swaks_marker {
	const char	*marker;	/* three characters */
	enum swaks_line	 what;
	unsigned	 flags;
} swaks_markers[] = {
	{ "===", SW_INFO, 0 },
	{ "***", SW_ERROR, 0 },
	{ "???", SW_WARNING, 0 },	/* "something went unexpectedly" */
	{ " ->", SW_CLIENT, 0 },
	{ " ~>", SW_CLIENT, TRANSCRIPT_TLS },
	{ "**>", SW_CLIENT, 0 },
	{ "*~>", SW_CLIENT, TRANSCRIPT_TLS },
	{ "<- ", SW_SERVER, 0 },
	{ "<~ ", SW_SERVER, TRANSCRIPT_TLS },
	{ "<**", SW_SERVER, 0 },
	{ "<~*", SW_SERVER, TRANSCRIPT_TLS },
	{ "  >", SW_SENT_DUMP, 0 },
	{ "<  ", SW_RECV_DUMP, 0 },
};
#define NSWAKS_MARKERS	(sizeof(swaks_markers) / sizeof(swaks_markers[0]))

/* The file: the first bytes read ahead, then the stream. */
struct source {
	FILE		*fp;
	char		*win;
	size_t		 winlen;
	size_t		 pos;		/* in win */
	uint64_t	 total;		/* bytes read from fp */
	bool		 too_large;
	int		 error;		/* errno of a read error */
};

/* A client line shown by swaks, kept until its hex dump may follow. */
struct pending {
	size_t		 lineno;
	size_t		 off;		/* in importer.pbytes */
	size_t		 len;
	unsigned	 flags;
	bool		 cr;		/* shown with a CR at its end */
};

struct importer {
	struct transcript	*t;
	enum transcript_format	 fmt;
	struct import_result	*res;
	size_t			 lineno;
	bool			 crlf;		/* lines end in CRLF */
	size_t			 nproto;	/* client, server records */

	uint64_t		 now;		/* of the next record */
	bool			 timed;		/* time-lapse lines seen */

	/* Latency, as transcript_read() computes it. */
	bool			 have_cmd;
	uint64_t		 cmd_us;
	bool			 in_reply;
	bool			 reply_has_cmd;
	uint64_t		 reply_cmd_us;

	/* The dialog. */
	bool			 in_data;	/* after 354, before the dot */
	bool			 text_seen;	/* a line of message text */
	bool			 starttls;	/* STARTTLS awaits its reply */
	unsigned		 tls;		/* rfc: after STARTTLS's 220 */
	size_t			 indent;	/* rfc: of the last C:/S: */

	/* swaks */
	struct pending		*pend;
	size_t			 npend;
	size_t			 pendsize;
	struct tr_buf		 pbytes;
	struct tr_buf		 sent;		/* hex dump of a write */
	size_t			 sent_next;	/* offset of its next line */
	struct tr_buf		 recv;		/* hex dumps of reads */
	size_t			 recv_off;	/* consumed */
	size_t			 recv_next;
	bool			 dumps;		/* --show-raw-text */
	bool			 batch_cr;	/* a line held had a CR */
	bool			 auth_noted;
	char			*werr;		/* record file error */
};

/*
 * Without hex dumps, client lines are held only to see the end of their
 * group (a summary, the last line's CRLF): at most this many.
 */
#define MAX_HELD	1024





/* At most 40 bytes of P for a message, other than printable ASCII as '?'. */
static void
quote(char *dst, size_t size, const char *p, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len && n + 4 < size; i++) {
		if (n == 40) {
			memcpy(dst + n, "...", 3);
			n += 3;
			break;
		}
		dst[n++] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
	}
	dst[n] = '\0';
}

static bool
starts(const char *p, size_t len, const char *prefix)
{
	size_t	n = strlen(prefix);

	return len >= n && memcmp(p, prefix, n) == 0;
}

/* P is WORD, ASCII letters in any case. */
static bool
is_word(const char *p, size_t len, const char *word)
{
	size_t	i;
	char	c;

	if (len != strlen(word))
		return false;
	for (i = 0; i < len; i++) {
		c = p[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != word[i])
			return false;
	}
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The swaks marker at the start of a line, and where its payload begins:
 * after the marker and its space.  A marker alone ends a line whose
 * trailing space was lost; a marker that ends in a space may miss the
 * second one ("<- 250 ok" for "<-  250 ok").
 */
static const struct swaks_marker *
swaks_marker(const char *p, size_t len, size_t *skip)
{
	const struct swaks_marker	*m;
	size_t				 i;

	if (len < 3)
		return NULL;
	for (i = 0; i < NSWAKS_MARKERS; i++) {
		m = &swaks_markers[i];
		if (memcmp(p, m->marker, 3) != 0)
			continue;
		if (len == 3 || p[3] == ' ') {
			*skip = len == 3 ? 3 : 4;
			return m;
		}
		if (m->marker[2] == ' ') {
			*skip = 3;
			return m;
		}
	}
	return NULL;
}

/* "C:" or "S:" after blanks; where the payload begins (one space skipped). */
static int
rfc_prefix(const char *p, size_t len, size_t *indent, size_t *skip)
{
	size_t	i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (len - i < 2 || (p[i] != 'C' && p[i] != 'S') || p[i + 1] != ':')
		return 0;
	*indent = i;
	*skip = i + 2 < len && p[i + 2] == ' ' ? i + 3 : i + 2;
	return p[i];
}

const char *
import_format_name(enum transcript_format fmt)
{
	if ((unsigned)fmt >= TRANSCRIPT_FMT_LAST)
		return "unknown";
	return format_names[fmt];
}

enum transcript_format
import_detect(const char *p, size_t len)
{
	const struct swaks_marker	*m;
	const char			*end, *nl;
	size_t				 n, skip, indent;
	uint64_t			 swaks = 0, rfc = 0;

	if (len >= strlen(NATIVE_HEADER) &&
	    memcmp(p, NATIVE_HEADER, strlen(NATIVE_HEADER)) == 0 &&
	    (len == strlen(NATIVE_HEADER) ||
	    strchr(" \r\n", p[strlen(NATIVE_HEADER)]) != NULL))
		return TRANSCRIPT_FMT_NATIVE;
	if (len > IMPORT_WINDOW)
		len = IMPORT_WINDOW;
	for (end = p + len; p < end; p += n + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		/* Lines of the dialog count twice: "===" may be decoration. */
		if ((m = swaks_marker(p, n, &skip)) != NULL)
			swaks += m->what == SW_CLIENT || m->what == SW_SERVER ?
			    2 : 1;
		else if (rfc_prefix(p, n, &indent, &skip) != 0)
			rfc += 2;
	}
	if (swaks == 0 && rfc == 0)
		return TRANSCRIPT_FMT_UNKNOWN;
	return swaks >= rfc ? TRANSCRIPT_FMT_SWAKS : TRANSCRIPT_FMT_RFC;
}

/* A line of a capture of FMT that carries one of its markers. */
static bool
marked(const char *p, size_t len, enum transcript_format fmt)
{
	size_t	skip, indent;

	if (fmt == TRANSCRIPT_FMT_SWAKS)
		return swaks_marker(p, len, &skip) != NULL;
	if (fmt == TRANSCRIPT_FMT_RFC)
		return rfc_prefix(p, len, &indent, &skip) != 0;
	return false;
}

/*
 * Why the first bytes are not a text capture, or NULL.  A NUL byte that a
 * server sent shows in swaks's line of it, so NULs are refused only on
 * lines without a marker; otherwise a file is text unless a quarter of it
 * is control bytes and invalid UTF-8.
 */
static const char *
not_text(const char *p, size_t len, enum transcript_format fmt,
    size_t *lineno)
{
	const char	*q, *nl, *end = p + len;
	size_t		 n, i, line = 1, bad = 0;
	uint32_t	 cp;
	unsigned char	 c;

	for (q = p; q < end; q += n + 1, line++) {
		nl = memchr(q, '\n', (size_t)(end - q));
		n = nl != NULL ? (size_t)(nl - q) : (size_t)(end - q);
		if (memchr(q, '\0', n) != NULL && !marked(q, n, fmt)) {
			*lineno = line;
			return "a NUL byte";
		}
	}
	*lineno = 0;
	for (i = 0; i < len; i += n) {
		c = (unsigned char)p[i];
		n = 1;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\v' &&
			    c != '\f' && c != '\r' && c != '\033') || c == 0x7f)
				bad++;
		} else if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			/* A character cut by the end of the window is fine. */
			if (len - i >= 4)
				bad++;
			n = 1;
		}
	}
	if (bad > len / 4)
		return "mostly control bytes and invalid UTF-8";
	return NULL;
}

/*
 * From the first bytes of a swaks capture: whether its lines end in CRLF
 * (the file went through a converter), from the lines that swaks never
 * ends with a CR (all but the lines sent); whether it has hex dumps of
 * what was sent (--show-raw-text: they come after the lines they show).
 */
static void
window_swaks(const char *p, size_t len, bool *crlf, bool *dumps)
{
	const struct swaks_marker	*m;
	const char			*end = p + len, *nl;
	size_t				 n, skip, cr = 0, lf = 0;

	*dumps = false;
	for (; p < end; p += n + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		n = (size_t)(nl - p);
		m = swaks_marker(p, n, &skip);
		if (m != NULL && m->what == SW_SENT_DUMP)
			*dumps = true;
		if (m != NULL && (m->what == SW_CLIENT ||
		    m->what == SW_SENT_DUMP))
			continue;
		if (n > 0 && p[n - 1] == '\r')
			cr++;
		else
			lf++;
	}
	*crlf = cr > lf;
}

/*
 * Reading.
 */

static int
source_fill(struct source *s)
{
	size_t	n;

	s->win = tr_reallocarray(NULL, IMPORT_WINDOW, 1);
	while (s->winlen < IMPORT_WINDOW) {
		n = fread(s->win + s->winlen, 1, IMPORT_WINDOW - s->winlen,
		    s->fp);
		if (n == 0) {
			if (ferror(s->fp)) {
				s->error = errno != 0 ? errno : EIO;
				return -1;
			}
			break;
		}
		s->winlen += n;
	}
	s->total = s->winlen;
	return 0;
}

static int
source_getc(struct source *s)
{
	int	c;

	if (s->pos < s->winlen)
		return (unsigned char)s->win[s->pos++];
	if ((c = getc_unlocked(s->fp)) == EOF) {
		if (ferror(s->fp))
			s->error = errno != 0 ? errno : EIO;
		return EOF;
	}
	if (++s->total > IMPORT_MAX_FILE) {
		s->too_large = true;
		return EOF;
	}
	return c;
}

/* The stream transcript_read() reads: the window, then the rest. */
static ssize_t
source_read(void *cookie, char *buf, size_t size)
{
	struct source	*s = cookie;
	size_t		 n;

	if (s->pos < s->winlen) {
		n = s->winlen - s->pos < size ? s->winlen - s->pos : size;
		memcpy(buf, s->win + s->pos, n);
		s->pos += n;
		return (ssize_t)n;
	}
	if ((n = fread(buf, 1, size, s->fp)) == 0 && ferror(s->fp)) {
		errno = errno != 0 ? errno : EIO;
		return -1;
	}
	if ((s->total += n) > IMPORT_MAX_FILE) {
		errno = EFBIG;
		return -1;
	}
	return (ssize_t)n;
}

/*
 * One line into B, without its LF.  1 for a line (the last may lack its
 * LF), 0 at the end, -1 when longer than IMPORT_MAX_LINE (not read on),
 * -2 on a read error or past IMPORT_MAX_FILE.
 */
static int
read_line(struct source *s, struct tr_buf *b)
{
	int	c;
	char	ch;

	b->len = 0;
	while ((c = source_getc(s)) != EOF) {
		if (c == '\n')
			return 1;
		if (b->len == IMPORT_MAX_LINE)
			return -1;
		if (b->len < b->size)
			b->p[b->len++] = (char)c;
		else {
			ch = (char)c;
			tr_buf_add(b, &ch, 1);
		}
	}
	if (s->error != 0 || s->too_large)
		return -2;
	return b->len > 0 ? 1 : 0;
}

/*
 * Records.
 */

static void __attribute__((format(printf, 3, 4)))
issue(struct importer *im, size_t line, const char *fmt, ...)
{
	struct import_result	*res = im->res;
	struct import_issue	*is;
	va_list			 ap;

	if (res->nissues == IMPORT_MAX_ISSUES) {
		res->more_issues++;
		return;
	}
	if (res->issues == NULL)
		res->issues = tr_reallocarray(NULL, IMPORT_MAX_ISSUES,
		    sizeof(*res->issues));
	is = &res->issues[res->nissues++];
	is->line = line;
	va_start(ap, fmt);
	if (vasprintf(&is->what, fmt, ap) == -1)
		tr_fatal("cannot format issue: out of memory");
	va_end(ap);
}

/* Three digits, the first 2 to 5, as transcript_read() reads them. */
static void
reply_code(struct transcript_record *r)
{
	const char	*p = r->bytes;

	r->code = 0;
	r->last = false;
	if (r->len < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' ||
	    p[1] > '9' || p[2] < '0' || p[2] > '9')
		return;
	r->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	r->last = r->len == 3 || p[3] != '-';
}

/* The latency of a reply's last line, as transcript_read() has it. */
static void
latency(struct importer *im, struct transcript_record *r)
{
	if (r->kind == TRANSCRIPT_CLIENT) {
		im->have_cmd = true;
		im->cmd_us = r->t_us;
		return;
	}
	if (r->kind != TRANSCRIPT_SERVER || r->code == 0)
		return;
	if (!im->in_reply) {
		im->in_reply = true;
		im->reply_has_cmd = im->have_cmd;
		im->reply_cmd_us = im->cmd_us;
		im->have_cmd = false;
	}
	if (r->last) {
		if (im->reply_has_cmd && im->timed)
			r->latency_us = (int64_t)(r->t_us - im->reply_cmd_us);
		im->in_reply = false;
	}
}

/* The text of a 334 or an AUTH line as swaks --auth-plaintext shows it. */
static bool
auth_decoded(const struct transcript_record *r)
{
	size_t	i;
	char	c;

	if (r->kind == TRANSCRIPT_CLIENT)
		return r->len > 5 && is_word(r->bytes, 5, "AUTH ") &&
		    memmem(r->bytes, r->len, "\\0", 2) != NULL;
	if (r->code != 334 || r->len < 5)
		return false;
	for (i = 4; i < r->len; i++) {
		c = r->bytes[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '='))
			return true;
	}
	return false;
}

/* Follow the dialog: message text, STARTTLS. */
static void
dialog(struct importer *im, const struct transcript_record *r)
{
	if (r->kind == TRANSCRIPT_CLIENT) {
		if (im->in_data) {
			im->text_seen = true;
			if (r->len == 1 && r->bytes[0] == '.')
				im->in_data = false;
		} else if (is_word(r->bytes, r->len, "STARTTLS"))
			im->starttls = true;
		return;
	}
	if (r->kind != TRANSCRIPT_SERVER)
		return;
	im->in_data = false;
	if (r->code == 0 || !r->last)
		return;
	if (r->code == 354) {
		im->in_data = true;
		im->text_seen = false;
	}
	if (im->starttls && r->code == 220 && im->fmt == TRANSCRIPT_FMT_RFC)
		im->tls = TRANSCRIPT_TLS;
	im->starttls = false;
}

static void	note(struct importer *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
add(struct importer *im, enum transcript_kind kind, unsigned flags,
    const char *p, size_t len, enum transcript_eol eol)
{
	struct transcript_record	r;

	memset(&r, 0, sizeof(r));
	r.t_us = im->now;
	r.kind = kind;
	r.flags = flags;
	r.eol = eol;
	r.latency_us = -1;
	r.bytes = p;
	r.len = len;
	if (kind == TRANSCRIPT_SERVER)
		reply_code(&r);
	if (im->fmt == TRANSCRIPT_FMT_SWAKS && !im->auth_noted &&
	    (kind == TRANSCRIPT_CLIENT || kind == TRANSCRIPT_SERVER) &&
	    auth_decoded(&r)) {
		im->auth_noted = true;
		note(im, "swaks showed AUTH decoded (--auth-plaintext): these "
		    "AUTH lines are not the bytes sent");
	}
	latency(im, &r);
	/* Kept in memory even when an attached record file fails. */
	(void)transcript_append(im->t, &r, im->werr == NULL ? &im->werr :
	    NULL);
	dialog(im, &r);
	if (kind == TRANSCRIPT_CLIENT || kind == TRANSCRIPT_SERVER)
		im->nproto++;
}

static void __attribute__((format(printf, 2, 3)))
note(struct importer *im, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		tr_fatal("cannot format note: out of memory");
	add(im, TRANSCRIPT_INFO, 0, s, (size_t)n, TRANSCRIPT_EOL_CRLF);
	free(s);
}

/*
 * swaks.
 */

/*
 * A line of a hex dump: "0016: 4D 54 50 0D  0A ...   MTP..", up to 16
 * bytes in fixed columns, then the same bytes as text ('.' for what is
 * not printable).  -1 when it is not one.
 */
static int
parse_dump(const char *p, size_t len, size_t *offset, unsigned char *bytes,
    size_t *nbytes)
{
	size_t	i = 0, k, pos, base, off = 0;
	int	hi, lo;
	char	want;

	while (i < len && p[i] >= '0' && p[i] <= '9') {
		if (off > (SIZE_MAX - 9) / 10)
			return -1;
		off = off * 10 + (size_t)(p[i++] - '0');
	}
	if (i == 0 || i == len || p[i] != ':')
		return -1;
	base = i + 1;
	for (k = 0; k < 16; k++) {
		pos = base + (k / 4) * 13 + 1 + (k % 4) * 3;
		if (pos + 2 > len || p[pos] == ' ')
			break;
		if (p[pos - 1] != ' ' || (hi = hexval(p[pos])) == -1 ||
		    (lo = hexval(p[pos + 1])) == -1 ||
		    (pos + 2 < len && p[pos + 2] != ' '))
			return -1;
		bytes[k] = (unsigned char)(hi * 16 + lo);
	}
	if (k == 0)
		return -1;
	/* The text column, when the line goes that far. */
	pos = base + 4 * 13 + 3;
	if (len >= pos + k) {
		for (i = 0; i < k; i++) {
			want = bytes[i] >= 0x21 && bytes[i] <= 0x7e ?
			    (char)bytes[i] : '.';
			if (p[pos + i] != want)
				return -1;
		}
	}
	*offset = off;
	*nbytes = k;
	return 0;
}

static void
swaks_dump(struct importer *im, const char *p, size_t len, bool sent)
{
	unsigned char	 bytes[16];
	size_t		 off, n, *next = sent ? &im->sent_next :
			    &im->recv_next;
	char		 shown[48];

	if (parse_dump(p, len, &off, bytes, &n) == -1) {
		quote(shown, sizeof(shown), p, len);
		issue(im, im->lineno, "not a hex dump line: \"%s\"", shown);
		return;
	}
	if (off == 0)
		*next = 0;
	if (off != *next) {
		issue(im, im->lineno, "hex dump at %zu, %zu expected", off,
		    *next);
		return;
	}
	*next += n;
	tr_buf_add(sent ? &im->sent : &im->recv, bytes, n);
}

/* "N lines sent": a message text that swaks --suppress-data summed up. */
static bool
summary(const char *p, size_t len, size_t *lines)
{
	size_t	i = 0, n = 0;

	while (i < len && p[i] >= '0' && p[i] <= '9') {
		if (n > SIZE_MAX / 10 - 10)
			return false;
		n = n * 10 + (size_t)(p[i++] - '0');
	}
	if (i == 0 || len - i != strlen(" lines sent") ||
	    memcmp(p + i, " lines sent", len - i) != 0)
		return false;
	*lines = n;
	return true;
}

/* The next line of a hex dump at *P (before END): its length, its end. */
static size_t
segment(const char **p, const char *end, enum transcript_eol *eol)
{
	const char	*s = *p, *nl;
	size_t		 n;

	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL) {
		*p = end;
		*eol = TRANSCRIPT_EOL_NONE;
		return (size_t)(end - s);
	}
	*p = nl + 1;
	n = (size_t)(nl - s);
	if (n > 0 && s[n - 1] == '\r') {
		*eol = TRANSCRIPT_EOL_CRLF;
		return n - 1;
	}
	*eol = TRANSCRIPT_EOL_LF;
	return n;
}

/* A summed-up message text; its real lines when a hex dump has them. */
static void
swaks_summary(struct importer *im, const struct pending *pe, size_t lines)
{
	const char		*p = im->sent.p, *end = p + im->sent.len, *s;
	enum transcript_eol	 eol;
	size_t			 n = 0, len;

	if (im->sent.len > 0 && im->sent.p[im->sent.len - 1] == '\n') {
		for (s = p; s < end; s++)
			n += *s == '\n';
	}
	if (n != lines || n == 0) {
		note(im, "message text not shown: %zu lines sent (swaks "
		    "--suppress-data)", lines);
		im->in_data = false;
		return;
	}
	while (p < end) {
		s = p;
		len = segment(&p, end, &eol);
		add(im, TRANSCRIPT_CLIENT, pe->flags, s, len, eol);
	}
	im->in_data = false;
}

/*
 * The client lines held, out as records: with the exact bytes when a hex
 * dump of them came, otherwise as shown (a line of message text shown
 * without the CR the others have ended with a bare LF).
 */
static void
swaks_flush(struct importer *im)
{
	struct pending		*pe;
	const char		*sp = im->sent.p, *send = sp + im->sent.len;
	const char		*line, *seg;
	enum transcript_eol	 eol, segeol;
	size_t			 i, n, seglen;
	bool			 any_cr = false, mismatch = false;

	if (im->npend == 1 && im->in_data && !im->text_seen &&
	    summary(im->pbytes.p + im->pend[0].off, im->pend[0].len, &n)) {
		swaks_summary(im, &im->pend[0], n);
		goto done;
	}
	any_cr = im->batch_cr;
	for (i = 0; i + 1 < im->npend; i++)
		any_cr |= im->pend[i].cr;
	for (i = 0; i < im->npend; i++) {
		pe = &im->pend[i];
		line = im->pbytes.p + pe->off;
		eol = TRANSCRIPT_EOL_CRLF;
		if (im->in_data && any_cr && !pe->cr && i + 1 < im->npend)
			eol = TRANSCRIPT_EOL_LF;
		if (im->sent.len > 0) {
			seg = sp;
			seglen = sp < send ? segment(&sp, send, &segeol) : 0;
			if (seg < send && seglen == pe->len &&
			    memcmp(seg, line, seglen) == 0)
				eol = segeol;
			else if (!mismatch) {
				mismatch = true;
				issue(im, pe->lineno, "the hex dump of "
				    "what was sent differs from the line "
				    "shown (kept as shown)");
			}
		}
		add(im, TRANSCRIPT_CLIENT, pe->flags, line, pe->len, eol);
	}
done:
	im->npend = 0;
	im->pbytes.len = 0;
	im->sent.len = 0;
	im->batch_cr = false;
}

/*
 * A long group of lines without hex dumps (a message text): out with all
 * but the last, which alone may end the group.
 */
static void
swaks_release(struct importer *im)
{
	struct pending	last = im->pend[im->npend - 1];
	const char	*p;
	size_t		 i;

	for (i = 0; i + 1 < im->npend; i++)
		im->batch_cr |= im->pend[i].cr;
	for (i = 0; i + 1 < im->npend; i++) {
		p = im->pbytes.p + im->pend[i].off;
		add(im, TRANSCRIPT_CLIENT, im->pend[i].flags, p,
		    im->pend[i].len, im->in_data && im->batch_cr &&
		    !im->pend[i].cr ? TRANSCRIPT_EOL_LF : TRANSCRIPT_EOL_CRLF);
	}
	memmove(im->pbytes.p, im->pbytes.p + last.off, last.len);
	last.off = 0;
	im->pbytes.len = last.len;
	im->pend[0] = last;
	im->npend = 1;
}

static void
swaks_client(struct importer *im, const char *p, size_t len, unsigned flags)
{
	struct pending	*pe;

	if (im->sent.len > 0)
		swaks_flush(im);
	if (!im->dumps && im->npend > MAX_HELD)
		swaks_release(im);
	if (im->npend == im->pendsize) {
		im->pendsize = im->pendsize < 16 ? 16 :
		    im->pendsize + im->pendsize / 2;
		im->pend = tr_reallocarray(im->pend, im->pendsize,
		    sizeof(*im->pend));
	}
	pe = &im->pend[im->npend++];
	pe->lineno = im->lineno;
	pe->flags = flags;
	pe->cr = len > 0 && p[len - 1] == '\r';
	if (pe->cr)
		len--;
	pe->off = im->pbytes.len;
	pe->len = len;
	tr_buf_add(&im->pbytes, p, len);
}

/* SEG (a line of a hex dump of reads) is P as swaks shows it: no CR. */
static bool
same_but_cr(const char *seg, size_t seglen, const char *p, size_t len)
{
	size_t	i, j;

	for (i = j = 0; i < seglen; i++) {
		if (seg[i] == '\r')
			continue;
		if (j == len || seg[i] != p[j])
			return false;
		j++;
	}
	return j == len;
}

/*
 * A line received: with its exact bytes when the hex dumps of reads have
 * it next, or a few lines on (what lies before it was not shown: it goes).
 * When they do not have it, it is kept as shown and the dumps wait.
 */
#define RESYNC_LINES	64

static void
swaks_server(struct importer *im, const char *p, size_t len, unsigned flags)
{
	const char		*s, *end, *seg;
	enum transcript_eol	 eol;
	size_t			 seglen, tries;

	s = im->recv.p + im->recv_off;
	end = im->recv.p + im->recv.len;
	for (tries = 0; s < end && tries < RESYNC_LINES; tries++) {
		seg = s;
		seglen = segment(&s, end, &eol);
		if (!same_but_cr(seg, seglen, p, len))
			continue;
		im->recv_off = (size_t)(s - im->recv.p);
		if (im->recv_off == im->recv.len)
			im->recv_off = im->recv.len = 0;
		add(im, TRANSCRIPT_SERVER, flags, seg, seglen, eol);
		return;
	}
	if (im->recv_off < im->recv.len)
		issue(im, im->lineno, "the hex dump of what was received "
		    "differs from the line shown (kept as shown)");
	add(im, TRANSCRIPT_SERVER, flags, p, len, TRANSCRIPT_EOL_CRLF);
}

/* "response in 0.012s" (--show-time-lapse) or "response in 1s" ("i"). */
static bool
lapse(const char *p, size_t len, uint64_t *us)
{
	const char	*prefix = "response in ";
	uint64_t	 s = 0, frac = 0, scale = 100000;
	size_t		 i = strlen(prefix), start;

	if (!starts(p, len, prefix))
		return false;
	for (start = i; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		s = s * 10 + (uint64_t)(p[i] - '0');
		if (s > MAX_LAPSE_S)
			return false;
	}
	if (i == start)
		return false;
	if (i < len && p[i] == '.') {
		for (start = ++i; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
			frac += (uint64_t)(p[i] - '0') * scale;
			scale /= 10;
		}
		if (i == start)
			return false;
	}
	if (i + 1 != len || p[i] != 's')
		return false;
	*us = s * 1000000 + frac;
	return true;
}

static void
swaks_line(struct importer *im, const char *p, size_t len)
{
	const struct swaks_marker	*m;
	size_t				 skip;
	uint64_t			 us;
	char				 shown[48];

	if ((m = swaks_marker(p, len, &skip)) == NULL) {
		swaks_flush(im);
		if (len == 0)
			issue(im, im->lineno, "blank line");
		else {
			quote(shown, sizeof(shown), p, len < 4 ? len : 4);
			issue(im, im->lineno, "no swaks marker: \"%s\"", shown);
		}
		return;
	}
	if (m->what != SW_CLIENT && m->what != SW_SENT_DUMP)
		swaks_flush(im);
	p += skip;
	len -= skip;
	switch (m->what) {
	case SW_CLIENT:
		swaks_client(im, p, len, m->flags);
		break;
	case SW_SENT_DUMP:
		im->dumps = true;
		swaks_dump(im, p, len, true);
		break;
	case SW_RECV_DUMP:
		swaks_dump(im, p, len, false);
		break;
	case SW_SERVER:
		swaks_server(im, p, len, m->flags);
		break;
	case SW_INFO:
		if (lapse(p, len, &us)) {
			if (us > UINT64_MAX - im->now)
				us = UINT64_MAX - im->now;
			im->now += us;
			im->timed = true;
			break;
		}
		add(im, TRANSCRIPT_INFO, 0, p, len, TRANSCRIPT_EOL_CRLF);
		break;
	case SW_ERROR:
		/* swaks prints its deprecation warnings as errors. */
		add(im, starts(p, len, "DEPRECATION WARNING") ?
		    TRANSCRIPT_WARNING : TRANSCRIPT_ERROR, 0, p, len,
		    TRANSCRIPT_EOL_CRLF);
		break;
	case SW_WARNING:
		add(im, TRANSCRIPT_WARNING, 0, p, len, TRANSCRIPT_EOL_CRLF);
		break;
	default:
		tr_fatal("%s: bad marker %d", __func__, (int)m->what);
	}
}

/*
 * The RFC style: "C: EHLO bar.com", "S: 250 OK", indented or not.  A
 * bracketed aside ("C: <opens connection>", "C & S: <negotiate a TLS
 * session>") becomes a note.  Inside a message text, once a "C:" line of
 * it came, lines without a prefix go on with the text (an example that
 * writes only the first line of its message with "C:").  After STARTTLS
 * and its 220, the lines are marked TLS.
 */
static bool
aside(const char *p, size_t len)
{
	return len >= 3 && p[0] == '<' && p[len - 1] == '>' &&
	    memchr(p, ' ', len) != NULL;
}

static void
rfc_line(struct importer *im, const char *p, size_t len)
{
	size_t	indent, skip, i;
	char	shown[48];
	int	who;

	if ((who = rfc_prefix(p, len, &indent, &skip)) != 0) {
		im->indent = indent;
		if (!im->in_data && aside(p + skip, len - skip)) {
			add(im, TRANSCRIPT_INFO, 0, p + indent, len - indent,
			    TRANSCRIPT_EOL_CRLF);
			return;
		}
		add(im, who == 'C' ? TRANSCRIPT_CLIENT : TRANSCRIPT_SERVER,
		    im->tls, p + skip, len - skip, TRANSCRIPT_EOL_CRLF);
		return;
	}
	for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		continue;
	if (im->in_data && im->text_seen) {
		if (i > im->indent)
			i = im->indent;
		add(im, TRANSCRIPT_CLIENT, im->tls, p + i, len - i,
		    TRANSCRIPT_EOL_CRLF);
		return;
	}
	if (starts(p + i, len - i, "C & S:") ||
	    starts(p + i, len - i, "S & C:")) {
		add(im, TRANSCRIPT_INFO, 0, p + i, len - i,
		    TRANSCRIPT_EOL_CRLF);
		return;
	}
	if (i == len)
		issue(im, im->lineno, "blank line");
	else {
		quote(shown, sizeof(shown), p + i, len - i);
		issue(im, im->lineno, "no \"C:\" or \"S:\": \"%s\"", shown);
	}
}

/* Every line of a swaks or RFC-style capture into T. */
static int
import_text(struct transcript *t, struct source *src, const char *name,
    enum transcript_format fmt, struct import_result *res, char **errstr)
{
	struct importer	 im;
	struct tr_buf	 line = { NULL, 0, 0 };
	char		*why = NULL;
	size_t		 len;
	int		 rc;

	memset(&im, 0, sizeof(im));
	im.t = t;
	im.fmt = fmt;
	im.res = res;
	if (fmt == TRANSCRIPT_FMT_SWAKS)
		window_swaks(src->win, src->winlen, &im.crlf, &im.dumps);
	while ((rc = read_line(src, &line)) == 1) {
		im.lineno++;
		len = line.len;
		/* RFC style lines are all alike: any CR before LF goes. */
		if (len > 0 && line.p[len - 1] == '\r' &&
		    (im.crlf || fmt == TRANSCRIPT_FMT_RFC))
			len--;
		if (fmt == TRANSCRIPT_FMT_SWAKS)
			swaks_line(&im, line.p, len);
		else
			rfc_line(&im, line.p, len);
	}
	if (fmt == TRANSCRIPT_FMT_SWAKS)
		swaks_flush(&im);
	if (rc == -1) {
		tr_seterr(&why, "line %zu: longer than %d bytes", im.lineno + 1,
		    IMPORT_MAX_LINE);
	} else if (rc == -2 && src->too_large) {
		tr_seterr(&why, "larger than %llu bytes",
		    (unsigned long long)IMPORT_MAX_FILE);
	} else if (rc == -2) {
		tr_seterr(&why, "%s", strerror(src->error));
	} else if (im.nproto == 0) {
		tr_seterr(&why, "no SMTP dialog in it (%zu lines, none a line "
		    "sent or received)", im.lineno);
	}
	free(line.p);
	free(im.pend);
	free(im.pbytes.p);
	free(im.sent.p);
	free(im.recv.p);
	if (why != NULL) {
		tr_seterr(errstr, "cannot read capture %s: %s", name, why);
		free(why);
		free(im.werr);
		return -1;
	}
	if (im.werr != NULL) {
		if (errstr != NULL)
			*errstr = im.werr;
		else
			free(im.werr);
		return -1;
	}
	return 0;
}

int
import_stream(struct transcript *t, FILE *fp, const char *name,
    struct import_result *res, char **errstr)
{
	static const cookie_io_functions_t	 io = { source_read, NULL,
						    NULL, NULL };
	struct import_result			 scratch;
	struct source				 src;
	enum transcript_format			 fmt;
	const char				*why;
	size_t					 line;
	FILE					*cfp;
	int					 rc = -1;

	if (res == NULL)
		res = &scratch;
	memset(res, 0, sizeof(*res));
	memset(&src, 0, sizeof(src));
	src.fp = fp;
	if (source_fill(&src) == -1) {
		tr_seterr(errstr, "cannot read capture %s: %s", name,
		    strerror(src.error));
		goto out;
	}
	if (src.winlen == 0) {
		tr_seterr(errstr, "cannot read capture %s: empty file", name);
		goto out;
	}
	res->format = fmt = import_detect(src.win, src.winlen);
	if (fmt == TRANSCRIPT_FMT_NATIVE) {
		if ((cfp = fopencookie(&src, "r", io)) == NULL) {
			tr_seterr(errstr, "cannot read capture %s: %s", name,
			    strerror(errno));
			goto out;
		}
		rc = transcript_read(t, cfp, name, errstr);
		fclose(cfp);
		goto out;
	}
	if ((why = not_text(src.win, src.winlen, fmt, &line)) != NULL) {
		if (line != 0)
			tr_seterr(errstr, "cannot read capture %s: not a text "
			    "file (%s on line %zu)", name, why, line);
		else
			tr_seterr(errstr, "cannot read capture %s: not a text "
			    "file (%s)", name, why);
		goto out;
	}
	if (fmt == TRANSCRIPT_FMT_UNKNOWN) {
		tr_seterr(errstr, "cannot read capture %s: neither swaks output "
		    "(\" -> \", \"<-  \" lines), the RFC style (\"C: \", "
		    "\"S: \") nor a smtptool transcript", name);
		goto out;
	}
	rc = import_text(t, &src, name, fmt, res, errstr);
out:
	free(src.win);
	if (rc == -1 || res == &scratch) {
		fmt = res->format;
		import_result_free(res);
		res->format = fmt;
	}
	return rc;
}

int
import_capture(struct transcript *t, const char *path,
    struct import_result *res, char **errstr)
{
	struct stat	 st;
	FILE		*fp;
	int		 rc;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if ((fp = fopen(path, "re")) == NULL) {
		tr_seterr(errstr, "cannot open capture %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			tr_seterr(errstr, "cannot read capture %s: %s", path,
			    strerror(EISDIR));
			fclose(fp);
			return -1;
		}
		if (S_ISREG(st.st_mode) &&
		    (unsigned long long)st.st_size > IMPORT_MAX_FILE) {
			tr_seterr(errstr, "cannot read capture %s: larger than "
			    "%llu bytes", path,
			    (unsigned long long)IMPORT_MAX_FILE);
			fclose(fp);
			return -1;
		}
	}
	rc = import_stream(t, fp, path, res, errstr);
	fclose(fp);
	return rc;
}

void
import_result_free(struct import_result *res)
{
	size_t	i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nissues; i++)
		free(res->issues[i].what);
	free(res->issues);
	memset(res, 0, sizeof(*res));
}
