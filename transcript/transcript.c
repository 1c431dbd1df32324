/*
 * The transcript: records in memory, the native file format (writer and
 * strict reader) and the live record file (--record).
 *
 * Storage is two growable arrays and nothing else: the records, and one
 * arena that holds the bytes of every record (each followed by a NUL, for
 * the convenience of callers).  A record keeps the offset of its bytes;
 * transcript_get turns it into a pointer, which is why pointers stay valid
 * only until the next append (the arena may move).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "transcript.h"
#include "tr_util.h"
#include "utf8.h"

#define TRANSCRIPT_HEADER	"# smtptool-transcript 1"
#define TRANSCRIPT_START	"# start "
#define TRANSCRIPT_MAX_LINE	(1024 * 1024)	/* bytes, without the LF */

struct rec {
	struct transcript_record r;	/* r.bytes set by transcript_get */
	size_t			 off;	/* of the bytes in the arena */
};

struct transcript {
	struct rec	*recs;
	size_t		 nrecs;
	size_t		 recsize;
	struct tr_buf	 arena;

	struct timespec	 start;
	bool		 has_start;
	char		*target;

	FILE		*rec_fp;	/* --record */
	char		*rec_path;

	/* "#" lines of a file read, kept to be written back in place. */
	struct comment {
		size_t	 before;	/* the record they precede */
		char	*text;		/* the whole line, "#" included */
	}		*comments;
	size_t		 ncomments;
};

static const char *const kind_names[TRANSCRIPT_KIND_LAST] = {
	"info", "warning", "error", "client", "server", "simulated"
};
static const char *const plain_markers[TRANSCRIPT_KIND_LAST] = {
	"===", "!!!", "***", " ->", "<- ", "<! "
};
static const char *const tls_markers[TRANSCRIPT_KIND_LAST] = {
	"===", "!!!", "***", " ~>", "<~ ", "<! "
};






static const char *
cause(int error)
{
	return error != 0 ? strerror(error) : "write error";
}

/* Room for N more bytes: grow by half again, at least to N. */



/* Printable ASCII as is, any other byte as "\xHH": for messages. */
static void
show(char *dst, size_t size, const char *p, size_t len)
{
	size_t	i, n = 0;
	int	w;

	dst[0] = '\0';
	for (i = 0; i < len && n + 8 < size; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			dst[n++] = p[i];
			dst[n] = '\0';
		} else {
			w = snprintf(dst + n, size - n, "\\x%02x",
			    (unsigned char)p[i]);
			n += (size_t)w;
		}
	}
	if (i < len)
		snprintf(dst + n, size - n, "...");
}

struct transcript *
transcript_new(void)
{
	struct transcript	*t;

	t = tr_malloc(sizeof(*t));
	memset(t, 0, sizeof(*t));
	return t;
}

void
transcript_free(struct transcript *t)
{
	if (t == NULL)
		return;
	if (t->rec_fp != NULL)
		fclose(t->rec_fp);
	free(t->rec_path);
	free(t->target);
	free(t->arena.p);
	free(t->recs);
	for (size_t i = 0; i < t->ncomments; i++)
		free(t->comments[i].text);
	free(t->comments);
	free(t);
}

void
transcript_comment(struct transcript *t, const char *line, size_t len)
{
	struct comment	*c;
	size_t		 i, nbs = 0;

	if (t->ncomments == TRANSCRIPT_MAX_COMMENTS)
		return;
	t->comments = tr_reallocarray(t->comments, t->ncomments + 1,
	    sizeof(*t->comments));
	c = &t->comments[t->ncomments++];
	c->before = t->nrecs;
	/*
	 * Kept as it is when a terminal may show it (the escaper only doubled
	 * its backslashes), else escaped like a payload.
	 */
	c->text = transcript_escape(line, len, TRANSCRIPT_EOL_CRLF);
	for (i = 0; i < len; i++)
		nbs += line[i] == '\\';
	if (strlen(c->text) == len + nbs) {
		free(c->text);
		c->text = tr_malloc(len + 1);
		memcpy(c->text, line, len);
		c->text[len] = '\0';
	}
}

size_t
transcript_comments(const struct transcript *t, size_t i, size_t *before,
    const char **text)
{
	if (i < t->ncomments) {
		*before = t->comments[i].before;
		*text = t->comments[i].text;
	}
	return t->ncomments;
}

void
transcript_set_start(struct transcript *t, const struct timespec *ts,
    const char *target)
{
	if (ts != NULL)
		t->start = *ts;
	else
		memset(&t->start, 0, sizeof(t->start));
	t->has_start = true;
	free(t->target);
	t->target = target != NULL ? tr_strdup(target) : NULL;
}

const struct timespec *
transcript_start(const struct transcript *t)
{
	return &t->start;
}

/* Never NULL: "" when the header named no target. */
const char *
transcript_target(const struct transcript *t)
{
	return t->target != NULL ? t->target : "";
}

const char *
transcript_kind_name(enum transcript_kind kind)
{
	if ((unsigned)kind >= TRANSCRIPT_KIND_LAST)
		tr_fatal("%s: bad kind %d", __func__, (int)kind);
	return kind_names[kind];
}

/* The TLS flag shows in client and server markers only; RAW in client. */
const char *
transcript_marker(enum transcript_kind kind, unsigned flags)
{
	if ((unsigned)kind >= TRANSCRIPT_KIND_LAST)
		tr_fatal("%s: bad kind %d", __func__, (int)kind);
	if (kind == TRANSCRIPT_CLIENT && (flags & TRANSCRIPT_RAW))
		return (flags & TRANSCRIPT_TLS) ? "r~>" : "r->";
	return (flags & TRANSCRIPT_TLS) ? tls_markers[kind] :
	    plain_markers[kind];
}

/*
 * Escaping.  Printable ASCII and printable UTF-8 characters pass; "\\",
 * "\r", "\n", "\t" and "\xHH" stand for the rest, byte by byte.  The last
 * escape may say how the line ended ("\n" a bare LF, "\z" nothing); so a
 * line that ends in CRLF but whose bytes end with an LF writes that LF as
 * "\x0a", which keeps every byte sequence distinct.
 */
static void
escape_into(struct tr_buf *b, const char *p, size_t len, enum transcript_eol eol)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 c;
	uint32_t		 cp;
	size_t			 i, n;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '\\')
			tr_buf_add(b, "\\\\", 2);
		else if (c >= 0x20 && c < 0x7f)
			tr_buf_addc(b, (char)c);
		else if (c == '\r')
			tr_buf_add(b, "\\r", 2);
		else if (c == '\t')
			tr_buf_add(b, "\\t", 2);
		else if (c == '\n' && (i + 1 < len ||
		    eol != TRANSCRIPT_EOL_CRLF))
			tr_buf_add(b, "\\n", 2);
		else if (c >= 0x80 && (n = utf8_decode(p + i, len - i,
		    &cp)) != 0 && !utf8_is_unsafe(cp)) {
			tr_buf_add(b, p + i, n);
			i += n - 1;
		} else {
			tr_buf_add(b, "\\x", 2);
			tr_buf_addc(b, hex[c >> 4]);
			tr_buf_addc(b, hex[c & 0xf]);
		}
	}
	if (eol == TRANSCRIPT_EOL_LF)
		tr_buf_add(b, "\\n", 2);
	else if (eol == TRANSCRIPT_EOL_NONE)
		tr_buf_add(b, "\\z", 2);
}

char *
transcript_escape(const char *p, size_t len, enum transcript_eol eol)
{
	struct tr_buf	b = { NULL, 0, 0 };

	if ((unsigned)eol >= TRANSCRIPT_EOL_LAST)
		tr_fatal("%s: bad eol %d", __func__, (int)eol);
	escape_into(&b, p, len, eol);
	tr_buf_addc(&b, '\0');
	return b.p;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode a payload onto the end of B.  -1 with the reason in WHY (SIZE
 * bytes) on a bad escape or a raw control byte; B may then hold part of
 * the payload.
 */
static int
unescape_into(struct tr_buf *b, const char *p, size_t len,
    enum transcript_eol *eol, char *why, size_t size)
{
	char	shown[32];
	size_t	i, n;
	int	hi, lo;

	*eol = TRANSCRIPT_EOL_CRLF;
	for (i = 0; i < len; i += 2) {
		/* A run of plain bytes at once. */
		for (n = i; n < len && p[n] != '\\'; n++) {
			if ((unsigned char)p[n] < 0x20 || p[n] == 0x7f) {
				snprintf(why, size, "unescaped control byte "
				    "0x%02x", (unsigned char)p[n]);
				return -1;
			}
		}
		tr_buf_add(b, p + i, n - i);
		if ((i = n) == len)
			break;
		if (i + 1 == len) {
			snprintf(why, size, "bad escape: \"\\\" at the end");
			return -1;
		}
		switch (p[i + 1]) {
		case '\\':
			tr_buf_addc(b, '\\');
			break;
		case 'r':
			tr_buf_addc(b, '\r');
			break;
		case 't':
			tr_buf_addc(b, '\t');
			break;
		case 'n':
			if (i + 2 == len)
				*eol = TRANSCRIPT_EOL_LF;
			else
				tr_buf_addc(b, '\n');
			break;
		case 'z':
			if (i + 2 != len) {
				snprintf(why, size, "bad escape: \"\\z\" "
				    "before the end");
				return -1;
			}
			*eol = TRANSCRIPT_EOL_NONE;
			break;
		case 'x':
			if (i + 3 >= len || (hi = hexval(p[i + 2])) == -1 ||
			    (lo = hexval(p[i + 3])) == -1) {
				n = len - i < 4 ? len - i : 4;
				show(shown, sizeof(shown), p + i, n);
				snprintf(why, size, "bad escape \"%s\"",
				    shown);
				return -1;
			}
			tr_buf_addc(b, (char)(hi << 4 | lo));
			i += 2;
			break;
		default:
			show(shown, sizeof(shown), p + i, 2);
			snprintf(why, size, "bad escape \"%s\"", shown);
			return -1;
		}
	}
	return 0;
}

int
transcript_unescape(const char *p, size_t len, char **out, size_t *outlen,
    enum transcript_eol *eol, char **errstr)
{
	struct tr_buf	b = { NULL, 0, 0 };
	char		why[128];

	if (unescape_into(&b, p, len, eol, why, sizeof(why)) == -1) {
		free(b.p);
		tr_seterr(errstr, "cannot unescape transcript payload: %s", why);
		return -1;
	}
	tr_buf_addc(&b, '\0');
	*out = b.p;
	*outlen = b.len - 1;
	return 0;
}

/* Store a record whose bytes are already at the end of the arena. */
static void
store(struct transcript *t, const struct transcript_record *r, size_t off)
{
	struct rec	*rec;

	tr_buf_addc(&t->arena, '\0');
	if (t->nrecs == t->recsize) {
		t->recsize = t->recsize < 64 ? 64 : t->recsize + t->recsize / 2;
		t->recs = tr_reallocarray(t->recs, t->recsize, sizeof(*t->recs));
	}
	rec = &t->recs[t->nrecs++];
	rec->r = *r;
	rec->r.bytes = NULL;
	rec->r.flags &= TRANSCRIPT_TLS | TRANSCRIPT_RAW;
	rec->off = off;
}

size_t
transcript_count(const struct transcript *t)
{
	return t->nrecs;
}

const struct transcript_record *
transcript_get(const struct transcript *t, size_t i)
{
	struct rec	*rec;

	if (i >= t->nrecs)
		tr_fatal("%s: record %zu of %zu", __func__, i, t->nrecs);
	rec = &t->recs[i];
	rec->r.bytes = t->arena.p + rec->off;
	return &rec->r;
}

static int
write_time(FILE *fp, uint64_t t_us)
{
	return fprintf(fp, "%" PRIu64 ".%06" PRIu64, t_us / 1000000,
	    t_us % 1000000);
}

int
transcript_write_header(FILE *fp, const struct transcript *t)
{
	struct tm	 tm;
	char		*target;
	int		 rc = 0;

	if (fprintf(fp, "%s\n", TRANSCRIPT_HEADER) < 0)
		return -1;
	if (!t->has_start)
		return 0;
	/* The reader wants a four-digit year: leave out any other. */
	if (gmtime_r(&t->start.tv_sec, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return 0;
	if (fprintf(fp, "%s%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    TRANSCRIPT_START, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)(t->start.tv_nsec / 1000 % 1000000)) < 0)
		return -1;
	if (t->target != NULL && *t->target != '\0') {
		target = transcript_escape(t->target, strlen(t->target),
		    TRANSCRIPT_EOL_CRLF);
		if (fprintf(fp, " target %s", target) < 0)
			rc = -1;
		free(target);
	}
	if (fputc('\n', fp) == EOF)
		rc = -1;
	return rc;
}

int
transcript_write_record(FILE *fp, const struct transcript_record *r)
{
	char	*s;
	int	 rc = 0;

	s = transcript_escape(r->bytes, r->len, r->eol);
	if (write_time(fp, r->t_us) < 0 ||
	    fprintf(fp, " %s %s\n", transcript_marker(r->kind, r->flags),
	    s) < 0)
		rc = -1;
	free(s);
	return rc;
}

/* Header, the comments in place and every record; -1 with errno set. */
static int
write_all(FILE *fp, const struct transcript *t)
{
	size_t	i, c = 0;

	if (transcript_write_header(fp, t) == -1)
		return -1;
	for (i = 0; i <= t->nrecs; i++) {
		for (; c < t->ncomments && t->comments[c].before == i; c++)
			if (fprintf(fp, "%s\n", t->comments[c].text) < 0)
				return -1;
		if (i < t->nrecs &&
		    transcript_write_record(fp, transcript_get(t, i)) == -1)
			return -1;
	}
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

/* Transcripts may hold mail and masked-or-not credentials: mode 0600. */
static FILE *
open_write(const char *path)
{
	FILE	*fp;
	int	 fd, error;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return NULL;
	if ((fp = fdopen(fd, "w")) == NULL) {
		error = errno;
		close(fd);
		errno = error;
	}
	return fp;
}

int
transcript_save(const struct transcript *t, const char *path, char **errstr)
{
	FILE	*fp;
	int	 error;

	if ((fp = open_write(path)) == NULL) {
		tr_seterr(errstr, "cannot open transcript %s: %s", path,
		    strerror(errno));
		return -1;
	}
	errno = 0;
	if (write_all(fp, t) == -1) {
		error = errno;
		fclose(fp);
		tr_seterr(errstr, "cannot write transcript %s: %s", path,
		    cause(error));
		return -1;
	}
	if (fclose(fp) == EOF) {
		tr_seterr(errstr, "cannot write transcript %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Write and flush one record to the record file, if any. */
static int
record_one(struct transcript *t, size_t i, char **errstr)
{
	int	error;

	if (t->rec_fp == NULL)
		return 0;
	errno = 0;
	if (transcript_write_record(t->rec_fp, transcript_get(t, i)) == -1 ||
	    fflush(t->rec_fp) == EOF) {
		error = errno;
		clearerr(t->rec_fp);
		tr_seterr(errstr, "cannot write transcript %s: %s", t->rec_path,
		    cause(error));
		return -1;
	}
	return 0;
}

int
transcript_record_to(struct transcript *t, const char *path, char **errstr)
{
	FILE	*fp;
	int	 error;

	if (path == NULL) {
		if (t->rec_fp == NULL)
			return 0;
		error = fclose(t->rec_fp) == EOF ? errno : 0;
		t->rec_fp = NULL;
		if (error != 0) {
			tr_seterr(errstr, "cannot close transcript %s: %s",
			    t->rec_path, strerror(error));
		}
		free(t->rec_path);
		t->rec_path = NULL;
		return error != 0 ? -1 : 0;
	}
	if ((fp = open_write(path)) == NULL) {
		tr_seterr(errstr, "cannot open transcript %s: %s", path,
		    strerror(errno));
		return -1;
	}
	errno = 0;
	if (write_all(fp, t) == -1) {
		error = errno;
		fclose(fp);
		tr_seterr(errstr, "cannot write transcript %s: %s", path,
		    cause(error));
		return -1;
	}
	if (t->rec_fp != NULL)
		fclose(t->rec_fp);
	free(t->rec_path);
	t->rec_fp = fp;
	t->rec_path = tr_strdup(path);
	return 0;
}

int
transcript_append(struct transcript *t, const struct transcript_record *r,
    char **errstr)
{
	size_t	off = t->arena.len;

	if ((unsigned)r->kind >= TRANSCRIPT_KIND_LAST ||
	    (unsigned)r->eol >= TRANSCRIPT_EOL_LAST)
		tr_fatal("%s: bad kind %d or eol %d", __func__, (int)r->kind,
		    (int)r->eol);
	tr_buf_add(&t->arena, r->bytes, r->len);
	store(t, r, off);
	return record_one(t, t->nrecs - 1, errstr);
}

int
transcript_note(struct transcript *t, uint64_t t_us, enum transcript_kind kind,
    const char *fmt, ...)
{
	struct transcript_record	 r;
	va_list				 ap;
	char				*s;
	int				 n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		tr_fatal("cannot format note: out of memory");
	memset(&r, 0, sizeof(r));
	r.t_us = t_us;
	r.kind = kind;
	r.eol = TRANSCRIPT_EOL_CRLF;
	r.code = 0;
	r.last = false;
	r.latency_us = -1;
	r.bytes = s;
	r.len = (size_t)n;
	rc = transcript_append(t, &r, NULL);
	free(s);
	return rc;
}

/*
 * The reader.
 */

struct reader {
	struct transcript	*t;
	const char		*name;
	size_t			 lineno;
	uint64_t		 prev_us;

	bool			 has_start;
	struct timespec		 start;
	char			*target;

	/* Latency: the last client line, and the one the reply answers. */
	bool			 have_cmd;
	uint64_t		 cmd_us;
	bool			 in_reply;
	bool			 reply_has_cmd;
	uint64_t		 reply_cmd_us;
};

/*
 * One line into B, without its LF.  Returns 1 for a line (the last may lack
 * its LF), 0 at the end of the file, -1 when the line is too long and -2 on
 * a read error.
 */
static int
read_line(FILE *fp, struct tr_buf *b)
{
	int	c;

	b->len = 0;
	while ((c = getc_unlocked(fp)) != EOF) {
		if (c == '\n')
			return 1;
		if (b->len == TRANSCRIPT_MAX_LINE)
			return -1;
		tr_buf_addc(b, (char)c);
	}
	if (ferror(fp))
		return -2;
	return b->len > 0 ? 1 : 0;
}

static bool
digits(const char *p, size_t n, int *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

/* "2026-11-30T22:00:00.000000Z", exactly. */
static bool
parse_iso(const char *p, size_t len, struct timespec *ts)
{
	struct tm	tm, chk;
	time_t		sec;
	int		year, mon, mday, hour, min, s, us;

	if (len != 27 || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
	    p[13] != ':' || p[16] != ':' || p[19] != '.' || p[26] != 'Z')
		return false;
	if (!digits(p, 4, &year) || !digits(p + 5, 2, &mon) ||
	    !digits(p + 8, 2, &mday) || !digits(p + 11, 2, &hour) ||
	    !digits(p + 14, 2, &min) || !digits(p + 17, 2, &s) ||
	    !digits(p + 20, 6, &us))
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = s;
	if ((sec = timegm(&tm)) == (time_t)-1 && (year != 1969 || s != 59))
		return false;
	/* timegm normalises 30 February: refuse what changed. */
	if (gmtime_r(&sec, &chk) == NULL || chk.tm_year != year - 1900 ||
	    chk.tm_mon != mon - 1 || chk.tm_mday != mday ||
	    chk.tm_hour != hour || chk.tm_min != min || chk.tm_sec != s)
		return false;
	ts->tv_sec = sec;
	ts->tv_nsec = (long)us * 1000;
	return true;
}

/* "# start ISO8601Z[ target TARGET]" */
static int
parse_start(struct reader *rd, const char *p, size_t len, char *why,
    size_t size)
{
	enum transcript_eol	 eol;
	struct tr_buf		 b = { NULL, 0, 0 };
	size_t			 n, skip = strlen(TRANSCRIPT_START);
	char			 shown[48];

	p += skip;
	len -= skip;
	n = memchr(p, ' ', len) != NULL ?
	    (size_t)((const char *)memchr(p, ' ', len) - p) : len;
	if (!parse_iso(p, n, &rd->start)) {
		show(shown, sizeof(shown), p, n);
		snprintf(why, size, "bad start time \"%s\"", shown);
		return -1;
	}
	rd->has_start = true;
	free(rd->target);
	rd->target = NULL;
	if (n == len)
		return 0;
	p += n;
	len -= n;
	if (len < 8 || memcmp(p, " target ", 8) != 0) {
		show(shown, sizeof(shown), p, len);
		snprintf(why, size, "bad start line: \"%s\" after the time",
		    shown);
		return -1;
	}
	if (unescape_into(&b, p + 8, len - 8, &eol, why, size) == -1) {
		free(b.p);
		return -1;
	}
	if (eol != TRANSCRIPT_EOL_CRLF || memchr(b.p, '\0', b.len) != NULL) {
		free(b.p);
		snprintf(why, size, "bad target");
		return -1;
	}
	tr_buf_addc(&b, '\0');
	rd->target = b.p;
	return 0;
}

/* "SECONDS.MICROS " */
static int
parse_time(const char *p, size_t len, uint64_t *us, size_t *used)
{
	uint64_t	sec = 0, frac = 0;
	size_t		i = 0, j;

	while (i < len && p[i] >= '0' && p[i] <= '9') {
		if (sec > (UINT64_MAX / 1000000 - 1) / 10)
			return -1;
		sec = sec * 10 + (uint64_t)(p[i++] - '0');
	}
	if (i == 0 || i == len || p[i++] != '.')
		return -1;
	for (j = 0; j < 6; j++, i++) {
		if (i == len || p[i] < '0' || p[i] > '9')
			return -1;
		frac = frac * 10 + (uint64_t)(p[i] - '0');
	}
	if (i == len || p[i++] != ' ')
		return -1;
	*us = sec * 1000000 + frac;
	*used = i;
	return 0;
}

/* Three digits, the first 2 to 5, at the start of a reply line. */
static void
reply_code(struct transcript_record *r, const char *p)
{
	r->code = 0;
	r->last = false;
	if (r->len < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' ||
	    p[1] > '9' || p[2] < '0' || p[2] > '9')
		return;
	r->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	r->last = r->len == 3 || p[3] != '-';
}

/*
 * The latency of a reply: on its last line, the time since the last client
 * line before its first line, if one came after the previous reply began.
 */
static void
latency(struct reader *rd, struct transcript_record *r)
{
	switch (r->kind) {
	case TRANSCRIPT_CLIENT:
		rd->have_cmd = true;
		rd->cmd_us = r->t_us;
		break;
	case TRANSCRIPT_SERVER:
	case TRANSCRIPT_SIMULATED:
		if (r->code == 0)
			break;
		if (!rd->in_reply) {
			rd->in_reply = true;
			rd->reply_has_cmd = rd->have_cmd;
			rd->reply_cmd_us = rd->cmd_us;
			rd->have_cmd = false;
		}
		if (r->last) {
			if (rd->reply_has_cmd)
				r->latency_us = (int64_t)(r->t_us -
				    rd->reply_cmd_us);
			rd->in_reply = false;
		}
		break;
	default:
		break;
	}
}

static int
parse_record(struct reader *rd, const char *p, size_t len, char *why,
    size_t size)
{
	struct transcript		*t = rd->t;
	struct transcript_record	 r;
	enum transcript_kind		 kind;
	size_t				 i, off;
	char				 shown[48], prev[32];
	unsigned			 flags = 0;

	memset(&r, 0, sizeof(r));
	if (parse_time(p, len, &r.t_us, &i) == -1) {
		off = memchr(p, ' ', len) != NULL ?
		    (size_t)((const char *)memchr(p, ' ', len) - p) : len;
		show(shown, sizeof(shown), p, off);
		snprintf(why, size, "bad time \"%s\"", shown);
		return -1;
	}
	if (r.t_us < rd->prev_us) {
		snprintf(prev, sizeof(prev), "%" PRIu64 ".%06" PRIu64,
		    rd->prev_us / 1000000, rd->prev_us % 1000000);
		snprintf(why, size, "time goes backwards: %.*s after %s",
		    (int)(i - 1), p, prev);
		return -1;
	}
	rd->prev_us = r.t_us;
	p += i;
	len -= i;

	for (kind = 0; kind < TRANSCRIPT_KIND_LAST; kind++) {
		if (len >= 3 && memcmp(p, plain_markers[kind], 3) == 0) {
			flags = 0;
			break;
		}
		if (len >= 3 && memcmp(p, tls_markers[kind], 3) == 0) {
			flags = TRANSCRIPT_TLS;
			break;
		}
	}
	if (kind == TRANSCRIPT_KIND_LAST && len >= 3 &&
	    (memcmp(p, "r->", 3) == 0 || memcmp(p, "r~>", 3) == 0)) {
		kind = TRANSCRIPT_CLIENT;
		flags = TRANSCRIPT_RAW | (p[1] == '~' ? TRANSCRIPT_TLS : 0);
	}
	if (kind == TRANSCRIPT_KIND_LAST) {
		show(shown, sizeof(shown), p, len < 3 ? len : 3);
		snprintf(why, size, "unknown marker \"%s\"", shown);
		return -1;
	}
	if (kind != TRANSCRIPT_CLIENT && kind != TRANSCRIPT_SERVER)
		flags = 0;
	else if (kind == TRANSCRIPT_SERVER)
		flags &= TRANSCRIPT_TLS;
	if (len > 3 && p[3] != ' ') {
		snprintf(why, size, "no space after the marker");
		return -1;
	}
	p += 3;
	len -= 3;
	if (len > 0) {
		p++;
		len--;
	}

	off = t->arena.len;
	if (unescape_into(&t->arena, p, len, &r.eol, why, size) == -1)
		return -1;
	r.kind = kind;
	r.flags = flags;
	r.len = t->arena.len - off;
	r.latency_us = -1;
	if (kind == TRANSCRIPT_SERVER || kind == TRANSCRIPT_SIMULATED)
		reply_code(&r, t->arena.p + off);
	latency(rd, &r);
	store(t, &r, off);
	return 0;
}

/* Let go of the memory growth left unused. */
static void
trim(struct transcript *t)
{
	void	*p;

	if (t->arena.len > 0 && t->arena.len < t->arena.size &&
	    (p = realloc(t->arena.p, t->arena.len)) != NULL) {
		t->arena.p = p;
		t->arena.size = t->arena.len;
	}
	if (t->nrecs > 0 && t->nrecs < t->recsize &&
	    (p = realloc(t->recs, t->nrecs * sizeof(*t->recs))) != NULL) {
		t->recs = p;
		t->recsize = t->nrecs;
	}
}

/* A read that failed leaves no comment behind. */
static void
drop_comments(struct transcript *t, size_t keep)
{
	while (t->ncomments > keep)
		free(t->comments[--t->ncomments].text);
}

int
transcript_read(struct transcript *t, FILE *fp, const char *name,
    char **errstr)
{
	struct reader	 rd;
	struct tr_buf	 line = { NULL, 0, 0 };
	size_t		 nrecs = t->nrecs, used = t->arena.len, i;
	size_t		 ncomments = t->ncomments;
	char		 why[160];
	int		 rc;

	memset(&rd, 0, sizeof(rd));
	rd.t = t;
	rd.name = name;
	why[0] = '\0';
	for (;;) {
		rd.lineno++;
		if ((rc = read_line(fp, &line)) == 0) {
			if (rd.lineno == 1)
				snprintf(why, sizeof(why), "empty file");
			break;
		}
		if (rc == -1) {
			snprintf(why, sizeof(why), "line longer than %d bytes",
			    TRANSCRIPT_MAX_LINE);
			break;
		}
		if (rc == -2) {
			free(line.p);
			free(rd.target);
			t->nrecs = nrecs;
			t->arena.len = used;
			drop_comments(t, ncomments);
			tr_seterr(errstr, "cannot read transcript %s: %s", name,
			    strerror(errno));
			return -1;
		}
		if (rd.lineno == 1) {
			if (line.len != strlen(TRANSCRIPT_HEADER) ||
			    memcmp(line.p, TRANSCRIPT_HEADER, line.len) != 0) {
				snprintf(why, sizeof(why), "bad header: not "
				    "\"%s\"", TRANSCRIPT_HEADER);
				break;
			}
			continue;
		}
		if (line.len == 0) {
			snprintf(why, sizeof(why), "empty line");
			break;
		}
		if (line.p[0] == '#') {
			if (line.len >= strlen(TRANSCRIPT_START) &&
			    memcmp(line.p, TRANSCRIPT_START,
			    strlen(TRANSCRIPT_START)) == 0) {
				if (parse_start(&rd, line.p, line.len, why,
				    sizeof(why)) == -1)
					break;
			} else
				transcript_comment(t, line.p, line.len);
			continue;
		}
		if (parse_record(&rd, line.p, line.len, why,
		    sizeof(why)) == -1)
			break;
	}
	free(line.p);
	if (why[0] != '\0') {
		free(rd.target);
		t->nrecs = nrecs;
		t->arena.len = used;
		drop_comments(t, ncomments);
		tr_seterr(errstr, "cannot read transcript %s: line %zu: %s", name,
		    rd.lineno, why);
		return -1;
	}
	if (rd.has_start) {
		t->start = rd.start;
		t->has_start = true;
		free(t->target);
		t->target = rd.target;
	}
	trim(t);
	for (i = nrecs; i < t->nrecs; i++) {
		if (record_one(t, i, errstr) == -1)
			return -1;
	}
	return 0;
}

int
transcript_load(struct transcript *t, const char *path, char **errstr)
{
	FILE	*fp;
	int	 rc;

	if ((fp = fopen(path, "re")) == NULL) {
		tr_seterr(errstr, "cannot open transcript %s: %s", path,
		    strerror(errno));
		return -1;
	}
	rc = transcript_read(t, fp, path, errstr);
	fclose(fp);
	return rc;
}
