/*
 * Unit tests: transcript/transcript.c and transcript/jsonl.c, the event log,
 * its native format and the JSON Lines export.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "transcript.h"
#include "utf8.h"

#define HEADER	"# smtptool-transcript 1\n"

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

/* Fragments that make the random strings interesting. */
static const char *const pieces[] = {
	"\\", "\\n", "\\z", "\\x0a", "\n", "\r", "\r\n", "\t", "\0", "\x1b[2J",
	"\x7f", "\xc2\x9b", "\xe2\x80\xae", "\xed\xa0\x80", "\xc0\xaf",
	"\xf0\x9f\x98\x80", "\xc3\xa9", "\xe6\x97\xa5", "\xe6\x97", "\xff",
	"EHLO ", "250-", " ",
};

/* A random byte string into S (at most SIZE bytes); its length. */
static size_t
random_bytes(uint64_t *seed, char *s, size_t size)
{
	const char	*piece;
	size_t		 len = 0, want, n;
	size_t		 npieces = sizeof(pieces) / sizeof(pieces[0]);

	want = rnd(seed) % size;
	while (len < want) {
		if (rnd(seed) % 3 != 0) {
			s[len++] = (char)(rnd(seed) & 0xff);
			continue;
		}
		piece = pieces[rnd(seed) % npieces];
		/* "\0" is one byte, not none. */
		n = piece[0] == '\0' ? 1 : strlen(piece);
		if (n > size - len)
			break;
		memcpy(s + len, piece, n);
		len += n;
	}
	return len;
}

/* No control byte, no DEL, valid UTF-8, no unsafe code point. */
static bool
terminal_safe(const char *s)
{
	uint32_t	cp;
	size_t		len = strlen(s), n;

	while (len > 0) {
		if ((n = utf8_decode(s, len, &cp)) == 0 || cp < 0x20 ||
		    cp == 0x7f || utf8_is_unsafe(cp))
			return false;
		s += n;
		len -= n;
	}
	return true;
}

static void
check_escape(int line, const char *in, size_t len, enum transcript_eol eol,
    const char *want)
{
	enum transcript_eol	 got_eol;
	char			*s, *out, *err = NULL;
	size_t			 outlen;

	s = transcript_escape(in, len, eol);
	if (strcmp(s, want) != 0)
		harness_fail(__FILE__, line, "escape: \"%s\" != \"%s\"", s,
		    want);
	if (transcript_unescape(s, strlen(s), &out, &outlen, &got_eol,
	    &err) == -1) {
		harness_fail(__FILE__, line, "unescape: %s", err);
		free(err);
	} else {
		if (outlen != len || memcmp(out, in, len) != 0 ||
		    got_eol != eol)
			harness_fail_mem(__FILE__, line, "round trip", out,
			    outlen, in, len);
		if (out[outlen] != '\0')
			harness_fail(__FILE__, line, "not NUL-terminated");
		free(out);
	}
	free(s);
}
#define ESC(in, eol, want) \
	check_escape(__LINE__, in, sizeof(in) - 1, TRANSCRIPT_EOL_##eol, want)

static void
test_transcript_escape(void)
{
	ESC("EHLO client.example", CRLF, "EHLO client.example");
	ESC("", CRLF, "");
	ESC("", LF, "\\n");
	ESC("", NONE, "\\z");
	ESC("250 ok", LF, "250 ok\\n");			/* bare LF */
	ESC("QUI", NONE, "QUI\\z");			/* no terminator */
	ESC("a\nb", CRLF, "a\\nb");
	ESC("abc\n", CRLF, "abc\\x0a");			/* not a bare LF */
	ESC("abc\n", LF, "abc\\n\\n");
	ESC("abc\n", NONE, "abc\\n\\z");
	ESC("a\0b", CRLF, "a\\x00b");
	ESC("\x1b[2J", CRLF, "\\x1b[2J");
	ESC("a\rb", CRLF, "a\\rb");
	ESC("a\r", NONE, "a\\r\\z");
	ESC("a\tb", CRLF, "a\\tb");
	ESC("\x7f", CRLF, "\\x7f");
	ESC("a\\b\\n", CRLF, "a\\\\b\\\\n");
	ESC("\\z", CRLF, "\\\\z");
	ESC("\xff\xfe", CRLF, "\\xff\\xfe");
	ESC("\xc0\xaf", CRLF, "\\xc0\\xaf");		/* overlong */
	ESC("\xe0\x80\xaf", CRLF, "\\xe0\\x80\\xaf");
	ESC("\xed\xa0\x80", CRLF, "\\xed\\xa0\\x80");	/* surrogate */
	ESC("\xc2\x9b", CRLF, "\\xc2\\x9b");		/* C1 */
	ESC("\xe2\x80\xae" "abc", CRLF, "\\xe2\\x80\\xae" "abc"); /* RLO */
	ESC("\xef\xbb\xbf", CRLF, "\\xef\\xbb\\xbf");	/* BOM */
	ESC("\xe6\x97", CRLF, "\\xe6\\x97");		/* truncated */
	ESC("caf\xc3\xa9", CRLF, "caf\xc3\xa9");
	ESC("\xe6\x97\xa5\xe6\x9c\xac", CRLF, "\xe6\x97\xa5\xe6\x9c\xac");
	ESC("\xf0\x9f\x98\x80", CRLF, "\xf0\x9f\x98\x80");
}

static void
check_unescape_error(int line, const char *in, const char *want)
{
	enum transcript_eol	 eol;
	char			*out = NULL, *err = NULL;
	size_t			 outlen;

	if (transcript_unescape(in, strlen(in), &out, &outlen, &eol,
	    &err) != -1) {
		harness_fail(__FILE__, line, "\"%s\" accepted", in);
		free(out);
		return;
	}
	if (err == NULL || strcmp(err, want) != 0)
		harness_fail(__FILE__, line, "error \"%s\" != \"%s\"",
		    err ? err : "(null)", want);
	free(err);
}
#define UNESC_ERR(in, why) check_unescape_error(__LINE__, in, \
	"cannot unescape transcript payload: " why)

static void
test_transcript_unescape(void)
{
	enum transcript_eol	 eol;
	char			*out, *err = NULL;
	size_t			 outlen;

	/* Upper-case hex is read too. */
	ASSERT(transcript_unescape("\\x1B\\xFf", 8, &out, &outlen, &eol,
	    &err) == 0);
	EXPECT_MEM(out, outlen, "\x1b\xff", 2);
	EXPECT_INT(eol, TRANSCRIPT_EOL_CRLF);
	free(out);

	UNESC_ERR("a\\qb", "bad escape \"\\q\"");
	UNESC_ERR("abc\\", "bad escape: \"\\\" at the end");
	UNESC_ERR("\\x4", "bad escape \"\\x4\"");
	UNESC_ERR("\\xg0", "bad escape \"\\xg0\"");
	UNESC_ERR("\\x\x1b" "0", "bad escape \"\\x\\x1b0\"");
	UNESC_ERR("\\zabc", "bad escape: \"\\z\" before the end");
	UNESC_ERR("\\z\\n", "bad escape: \"\\z\" before the end");
	UNESC_ERR("a\x01", "unescaped control byte 0x01");
	UNESC_ERR("a\r", "unescaped control byte 0x0d");
	UNESC_ERR("\\\x1b", "bad escape \"\\\\x1b\"");
}

/*
 * Every byte, every pair of bytes and many generated strings, under each
 * line ending: escaping gives terminal-safe text and unescaping gives back
 * the exact bytes.
 */
static void
test_transcript_escape_property(void)
{
	enum transcript_eol	 eol, got;
	uint64_t		 seed = 0x7ea5e1a7e5eedULL;
	size_t			 len, outlen, i;
	char			 in[96], *s, *out, *err;
	int			 unsafe = 0, lost = 0, n;

	for (i = 0; i < 65536 + 256 + 30000; i++) {
		if (i < 256) {
			in[0] = (char)i;
			len = 1;
		} else if (i < 256 + 65536) {
			in[0] = (char)((i - 256) >> 8);
			in[1] = (char)(i - 256);
			len = 2;
		} else
			len = random_bytes(&seed, in, sizeof(in));
		for (n = 0; n < TRANSCRIPT_EOL_LAST; n++) {
			eol = (enum transcript_eol)n;
			s = transcript_escape(in, len, eol);
			if (!terminal_safe(s))
				unsafe++;
			err = NULL;
			if (transcript_unescape(s, strlen(s), &out, &outlen,
			    &got, &err) == -1) {
				lost++;
				free(err);
			} else {
				if (outlen != len || got != eol ||
				    memcmp(out, in, len) != 0)
					lost++;
				free(out);
			}
			free(s);
		}
	}
	EXPECT_INT(unsafe, 0);
	EXPECT_INT(lost, 0);
}

static void
test_transcript_markers(void)
{
	EXPECT_STR(transcript_marker(TRANSCRIPT_INFO, 0), "===");
	EXPECT_STR(transcript_marker(TRANSCRIPT_WARNING, 0), "!!!");
	EXPECT_STR(transcript_marker(TRANSCRIPT_ERROR, 0), "***");
	EXPECT_STR(transcript_marker(TRANSCRIPT_CLIENT, 0), " ->");
	EXPECT_STR(transcript_marker(TRANSCRIPT_CLIENT, TRANSCRIPT_TLS),
	    " ~>");
	EXPECT_STR(transcript_marker(TRANSCRIPT_SERVER, 0), "<- ");
	EXPECT_STR(transcript_marker(TRANSCRIPT_SERVER, TRANSCRIPT_TLS),
	    "<~ ");
	EXPECT_STR(transcript_marker(TRANSCRIPT_SIMULATED, 0), "<! ");
	EXPECT_STR(transcript_kind_name(TRANSCRIPT_INFO), "info");
	EXPECT_STR(transcript_kind_name(TRANSCRIPT_WARNING), "warning");
	EXPECT_STR(transcript_kind_name(TRANSCRIPT_ERROR), "error");
	EXPECT_STR(transcript_kind_name(TRANSCRIPT_CLIENT), "client");
	EXPECT_STR(transcript_kind_name(TRANSCRIPT_SERVER), "server");
	EXPECT_STR(transcript_kind_name(TRANSCRIPT_SIMULATED), "simulated");
}

static struct transcript_record
mkrec(uint64_t t_us, enum transcript_kind kind, unsigned flags,
    const char *s, enum transcript_eol eol)
{
	struct transcript_record	r;

	memset(&r, 0, sizeof(r));
	r.t_us = t_us;
	r.kind = kind;
	r.flags = flags;
	r.eol = eol;
	r.latency_us = -1;
	r.bytes = s;
	r.len = strlen(s);
	return r;
}

static void
test_transcript_append_get(void)
{
	struct transcript		*t;
	struct transcript_record	 r;
	const struct transcript_record	*a, *b;
	char				 line[16], *err = NULL;
	int				 i;

	t = transcript_new();
	EXPECT_INT(transcript_count(t), 0);
	strcpy(line, "220 hi");
	r = mkrec(5, TRANSCRIPT_SERVER, TRANSCRIPT_TLS, line,
	    TRANSCRIPT_EOL_LF);
	r.code = 220;
	r.last = true;
	r.latency_us = 1234;
	EXPECT_INT(transcript_append(t, &r, &err), 0);
	/* The transcript holds a copy. */
	memset(line, 'X', sizeof(line));
	r = mkrec(6, TRANSCRIPT_CLIENT, 0, "", TRANSCRIPT_EOL_NONE);
	r.bytes = NULL;
	EXPECT_INT(transcript_append(t, &r, &err), 0);
	for (i = 0; i < 1000; i++)
		transcript_note(t, 7 + (uint64_t)i, TRANSCRIPT_INFO, "note %d",
		    i);
	ASSERT(transcript_count(t) == 1002);

	a = transcript_get(t, 0);
	b = transcript_get(t, 1);
	EXPECT_INT(a->t_us, 5);
	EXPECT_INT(a->kind, TRANSCRIPT_SERVER);
	EXPECT_INT(a->flags, TRANSCRIPT_TLS);
	EXPECT_INT(a->eol, TRANSCRIPT_EOL_LF);
	EXPECT_INT(a->code, 220);
	EXPECT(a->last);
	EXPECT_INT(a->latency_us, 1234);
	EXPECT_MEM(a->bytes, a->len, "220 hi", 6);
	EXPECT_INT(a->bytes[a->len], '\0');
	/* Two records at once, both valid. */
	EXPECT_INT(b->len, 0);
	EXPECT(b->bytes != NULL);
	EXPECT_INT(b->eol, TRANSCRIPT_EOL_NONE);
	EXPECT_MEM(a->bytes, a->len, "220 hi", 6);

	a = transcript_get(t, 1001);
	EXPECT_STR(a->bytes, "note 999");
	EXPECT_INT(a->t_us, 1006);
	EXPECT_INT(a->kind, TRANSCRIPT_INFO);
	EXPECT_INT(a->eol, TRANSCRIPT_EOL_CRLF);
	EXPECT_INT(a->code, 0);
	EXPECT_INT(a->latency_us, -1);
	transcript_free(t);
	transcript_free(NULL);
}

static void
test_transcript_start(void)
{
	struct transcript	*t;
	struct timespec		 ts = { 1796076000, 123456789 };

	t = transcript_new();
	EXPECT_STR(transcript_target(t), "");
	EXPECT_INT(transcript_start(t)->tv_sec, 0);
	transcript_set_start(t, &ts, "127.0.0.1:2525");
	EXPECT_INT(transcript_start(t)->tv_sec, 1796076000);
	EXPECT_INT(transcript_start(t)->tv_nsec, 123456789);
	EXPECT_STR(transcript_target(t), "127.0.0.1:2525");
	transcript_set_start(t, &ts, NULL);
	EXPECT_STR(transcript_target(t), "");
	transcript_free(t);
}

/* What a stdio writer made, as a string (caller frees). */
struct memfile {
	FILE	*fp;
	char	*s;
	size_t	 len;
};

static void
mem_open(struct memfile *m)
{
	m->s = NULL;
	m->len = 0;
	m->fp = open_memstream(&m->s, &m->len);
}

static char *
mem_close(struct memfile *m)
{
	fclose(m->fp);
	return m->s;
}

static void
test_transcript_write(void)
{
	struct transcript		*t;
	struct transcript_record	 r;
	struct timespec			 ts = { 1796076000, 999 };
	struct memfile			 m;
	char				*s;

	mem_open(&m);
	r = mkrec(4100, TRANSCRIPT_SERVER, 0, "220 sandbox ESMTP",
	    TRANSCRIPT_EOL_CRLF);
	EXPECT_INT(transcript_write_record(m.fp, &r), 0);
	r = mkrec(12345678901ULL, TRANSCRIPT_CLIENT, TRANSCRIPT_TLS,
	    "EHLO \x1b", TRANSCRIPT_EOL_LF);
	EXPECT_INT(transcript_write_record(m.fp, &r), 0);
	r = mkrec(1000000, TRANSCRIPT_SIMULATED, 0, "", TRANSCRIPT_EOL_CRLF);
	EXPECT_INT(transcript_write_record(m.fp, &r), 0);
	s = mem_close(&m);
	EXPECT_STR(s,
	    "0.004100 <-  220 sandbox ESMTP\n"
	    "12345.678901  ~> EHLO \\x1b\\n\n"
	    "1.000000 <!  \n");
	free(s);

	t = transcript_new();
	mem_open(&m);
	EXPECT_INT(transcript_write_header(m.fp, t), 0);
	s = mem_close(&m);
	EXPECT_STR(s, HEADER);
	free(s);
	transcript_set_start(t, &ts, "mx.example:25\x1b");
	mem_open(&m);
	EXPECT_INT(transcript_write_header(m.fp, t), 0);
	s = mem_close(&m);
	EXPECT_STR(s, HEADER
	    "# start 2026-11-30T22:00:00.000000Z target mx.example:25\\x1b\n");
	free(s);
	transcript_free(t);
}

/* Parse TEXT as a transcript named "t.txt" into T. */
static int
read_string(struct transcript *t, const char *text, size_t len, char **err)
{
	FILE	*fp;
	int	 rc;

	*err = NULL;
	if ((fp = fmemopen((void *)text, len, "r")) == NULL)
		return -2;
	rc = transcript_read(t, fp, "t.txt", err);
	fclose(fp);
	return rc;
}

static void
check_read_error(int line, const char *text, size_t len, const char *want)
{
	struct transcript	*t;
	char			*err;

	t = transcript_new();
	if (read_string(t, text, len, &err) != -1)
		harness_fail(__FILE__, line, "accepted");
	else if (err == NULL || strcmp(err, want) != 0)
		harness_fail(__FILE__, line, "error \"%s\" != \"%s\"",
		    err ? err : "(null)", want);
	EXPECT_INT(transcript_count(t), 0);
	free(err);
	transcript_free(t);
}
#define READ_ERR(text, want) check_read_error(__LINE__, text, \
	sizeof(text) - 1, "cannot read transcript t.txt: " want)

static void
test_transcript_read(void)
{
	static const char		 text[] = HEADER
	    "# start 2026-11-30T22:00:00.250000Z target 127.0.0.1:2525\n"
	    "# a comment\n"
	    "0.000000 === connected to 127.0.0.1:2525\n"
	    "0.004100 <-  220 sandbox.smtptool.test ESMTP\n"
	    "0.004300  -> EHLO client.example\n"
	    "0.005000 <-  250-sandbox.smtptool.test\n"
	    "0.005500 <-  250 STARTTLS\n"
	    "0.031000 === TLS 1.3\n"
	    "0.031200  ~> EHLO client.example\n"
	    "0.040000 <!  451 4.7.1 Greylisted (simulated)\n"
	    "1.000000  ~> MAIL FROM:<a@example.org>\n"
	    "1.000001  ~> RCPT TO:<b@example.org>\n"
	    "1.000100 <~  250 2.1.0 Ok\n"
	    "1.000200 <~  250 2.1.5 Ok\n"
	    "1.000300 <~  hello\n"
	    "1.000400 !!! \n"
	    "1.000500 *** closed";	/* no final newline */
	struct transcript		*t;
	const struct transcript_record	*r;
	char				*err;

	t = transcript_new();
	ASSERT(read_string(t, text, sizeof(text) - 1, &err) == 0);
	ASSERT(transcript_count(t) == 15);
	EXPECT_INT(transcript_start(t)->tv_sec, 1796076000);
	EXPECT_INT(transcript_start(t)->tv_nsec, 250000000);
	EXPECT_STR(transcript_target(t), "127.0.0.1:2525");

	r = transcript_get(t, 0);
	EXPECT_INT(r->kind, TRANSCRIPT_INFO);
	EXPECT_STR(r->bytes, "connected to 127.0.0.1:2525");
	EXPECT_INT(r->code, 0);
	EXPECT_INT(r->latency_us, -1);
	r = transcript_get(t, 1);		/* the banner: no command */
	EXPECT_INT(r->kind, TRANSCRIPT_SERVER);
	EXPECT_INT(r->t_us, 4100);
	EXPECT_INT(r->flags, 0);
	EXPECT_INT(r->code, 220);
	EXPECT(r->last);
	EXPECT_INT(r->latency_us, -1);
	r = transcript_get(t, 2);
	EXPECT_INT(r->kind, TRANSCRIPT_CLIENT);
	EXPECT_INT(r->code, 0);
	r = transcript_get(t, 3);
	EXPECT_INT(r->code, 250);
	EXPECT(!r->last);
	EXPECT_INT(r->latency_us, -1);
	r = transcript_get(t, 4);
	EXPECT_INT(r->code, 250);
	EXPECT(r->last);
	EXPECT_INT(r->latency_us, 1200);
	r = transcript_get(t, 6);
	EXPECT_INT(r->kind, TRANSCRIPT_CLIENT);
	EXPECT_INT(r->flags, TRANSCRIPT_TLS);
	r = transcript_get(t, 7);
	EXPECT_INT(r->kind, TRANSCRIPT_SIMULATED);
	EXPECT_INT(r->code, 451);
	EXPECT(r->last);
	EXPECT_INT(r->latency_us, 8800);
	/* Pipelined: the first reply follows the last command. */
	r = transcript_get(t, 10);
	EXPECT_INT(r->flags, TRANSCRIPT_TLS);
	EXPECT_INT(r->latency_us, 99);
	r = transcript_get(t, 11);
	EXPECT_INT(r->latency_us, -1);
	r = transcript_get(t, 12);
	EXPECT_INT(r->code, 0);
	EXPECT(!r->last);
	r = transcript_get(t, 13);
	EXPECT_INT(r->kind, TRANSCRIPT_WARNING);
	EXPECT_INT(r->len, 0);
	r = transcript_get(t, 14);
	EXPECT_INT(r->kind, TRANSCRIPT_ERROR);
	EXPECT_STR(r->bytes, "closed");
	EXPECT_INT(r->t_us, 1000500);
	transcript_free(t);
}

static void
test_transcript_read_errors(void)
{
	struct transcript	*t;
	char			*big, *err;
	size_t			 n, len;

	READ_ERR("", "line 1: empty file");
	READ_ERR("# smtptool-transcript 2\n",
	    "line 1: bad header: not \"# smtptool-transcript 1\"");
	READ_ERR("0.000000 === x\n",
	    "line 1: bad header: not \"# smtptool-transcript 1\"");
	READ_ERR(HEADER "0.000000 <<< x\n",
	    "line 2: unknown marker \"<<<\"");
	READ_ERR(HEADER "0.000000 <-\n", "line 2: unknown marker \"<-\"");
	READ_ERR(HEADER "0.000000 <-x220\n",
	    "line 2: unknown marker \"<-x\"");
	READ_ERR(HEADER "0.000000 ===x\n",
	    "line 2: no space after the marker");
	READ_ERR(HEADER "1.0 === x\n", "line 2: bad time \"1.0\"");
	READ_ERR(HEADER ".000000 === x\n", "line 2: bad time \".000000\"");
	READ_ERR(HEADER "1.0000001 === x\n",
	    "line 2: bad time \"1.0000001\"");
	READ_ERR(HEADER "99999999999999999999.000000 === x\n",
	    "line 2: bad time \"99999999999999999999.000000\"");
	READ_ERR(HEADER "\x1b[2J === x\n", "line 2: bad time \"\\x1b[2J\"");
	READ_ERR(HEADER "2.000000 === a\n# c\n1.500000 === b\n",
	    "line 4: time goes backwards: 1.500000 after 2.000000");
	READ_ERR(HEADER "0.000000 === a\\qb\n",
	    "line 2: bad escape \"\\q\"");
	READ_ERR(HEADER "0.000000 === a\r\n",
	    "line 2: unescaped control byte 0x0d");
	READ_ERR(HEADER "0.000000 === a\n\n0.1 === b\n", "line 3: empty line");
	READ_ERR(HEADER "# start 2026-02-30T00:00:00.000000Z\n",
	    "line 2: bad start time \"2026-02-30T00:00:00.000000Z\"");
	READ_ERR(HEADER "# start 2026-11-30 22:00:00Z\n",
	    "line 2: bad start time \"2026-11-30\"");
	READ_ERR(HEADER "# start 2026-11-30T22:00:00.000000Z host x\n",
	    "line 2: bad start line: \" host x\" after the time");
	READ_ERR(HEADER "# start 2026-11-30T22:00:00.000000Z target a\\x00\n",
	    "line 2: bad target");

	/* A line of 1 MiB is the most; one byte more is refused. */
	len = strlen(HEADER) + 1024 * 1024 + 2;
	big = malloc(len);
	ASSERT(big != NULL);
	memcpy(big, HEADER, strlen(HEADER));
	n = strlen(HEADER);
	memcpy(big + n, "0.000000 === ", 13);
	memset(big + n + 13, 'a', 1024 * 1024 - 13);
	big[len - 2] = '\n';
	t = transcript_new();
	EXPECT_INT(read_string(t, big, len - 1, &err), 0);
	EXPECT_INT(transcript_count(t), 1);
	EXPECT_INT(transcript_get(t, 0)->len, 1024 * 1024 - 13);
	transcript_free(t);
	big[len - 2] = 'a';
	big[len - 1] = '\n';
	t = transcript_new();
	EXPECT_INT(read_string(t, big, len, &err), -1);
	EXPECT_STR(err, "cannot read transcript t.txt: line 2: line longer "
	    "than 1048576 bytes");
	free(err);
	transcript_free(t);
	free(big);
}

/* A failed read leaves the transcript as it was. */
static void
test_transcript_read_rollback(void)
{
	static const char	 bad[] = HEADER
	    "# start 2030-01-01T00:00:00.000000Z target other\n"
	    "1.000000 <-  220 a\n"
	    "2.000000 <-  220 b\\\n";
	struct transcript	*t;
	struct timespec		 ts = { 1, 0 };
	char			*err;

	t = transcript_new();
	transcript_set_start(t, &ts, "mine");
	transcript_note(t, 0, TRANSCRIPT_INFO, "kept");
	EXPECT_INT(read_string(t, bad, sizeof(bad) - 1, &err), -1);
	EXPECT_STR(err, "cannot read transcript t.txt: line 4: bad escape: "
	    "\"\\\" at the end");
	free(err);
	EXPECT_INT(transcript_count(t), 1);
	EXPECT_STR(transcript_get(t, 0)->bytes, "kept");
	EXPECT_INT(transcript_start(t)->tv_sec, 1);
	EXPECT_STR(transcript_target(t), "mine");
	/* And the transcript still takes records. */
	transcript_note(t, 1, TRANSCRIPT_INFO, "more");
	EXPECT_INT(transcript_count(t), 2);
	EXPECT_STR(transcript_get(t, 1)->bytes, "more");
	transcript_free(t);
}

/* A private folder for files; its path, for the files and rmdir. */
static char tmpdir[64];

static bool
tmp_open(void)
{
	strcpy(tmpdir, "/tmp/smtptool-test-XXXXXX");
	return mkdtemp(tmpdir) != NULL;
}

static char *
tmp_path(const char *name)
{
	char	*s;

	if (asprintf(&s, "%s/%s", tmpdir, name) == -1)
		abort();
	return s;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*s = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	*len = 0;
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	n = getdelim(&s, &size, '\0', fp);
	fclose(fp);
	*len = n < 0 ? 0 : (size_t)n;
	if (s == NULL)
		s = calloc(1, 1);
	return s;
}

static void
expect_same(int line, const struct transcript *a, const struct transcript *b)
{
	const struct transcript_record	*x, *y;
	size_t				 i;
	int				 bad = 0;

	if (transcript_count(a) != transcript_count(b)) {
		harness_fail(__FILE__, line, "%zu records != %zu",
		    transcript_count(a), transcript_count(b));
		return;
	}
	for (i = 0; i < transcript_count(a); i++) {
		x = transcript_get(a, i);
		y = transcript_get(b, i);
		if (x->t_us != y->t_us || x->kind != y->kind ||
		    x->flags != y->flags || x->eol != y->eol ||
		    x->len != y->len || memcmp(x->bytes, y->bytes,
		    x->len) != 0) {
			if (bad++ < 5)
				harness_fail(__FILE__, line,
				    "record %zu differs", i);
		}
	}
}

/* Save a generated transcript, load it back: the same records. */
static void
test_transcript_save_load(void)
{
	struct transcript		*t, *u;
	struct transcript_record	 r;
	struct timespec			 ts = { 1796076000, 654321000 };
	uint64_t			 seed = 42, now = 0;
	char				 bytes[200], *path, *err = NULL;
	int				 i;

	ASSERT(tmp_open());
	path = tmp_path("t.txt");
	t = transcript_new();
	transcript_set_start(t, &ts, "mx \\ \x1b\xe2\x80\xae.example:25");
	for (i = 0; i < 5000; i++) {
		memset(&r, 0, sizeof(r));
		now += rnd(&seed) % 3 == 0 ? 0 : rnd(&seed) % 5000000;
		r.t_us = now;
		r.kind = (enum transcript_kind)(rnd(&seed) %
		    TRANSCRIPT_KIND_LAST);
		if (r.kind == TRANSCRIPT_CLIENT || r.kind == TRANSCRIPT_SERVER)
			r.flags = rnd(&seed) % 2 ? TRANSCRIPT_TLS : 0;
		r.eol = (enum transcript_eol)(rnd(&seed) % TRANSCRIPT_EOL_LAST);
		r.len = random_bytes(&seed, bytes, sizeof(bytes));
		r.bytes = bytes;
		r.latency_us = -1;
		transcript_append(t, &r, NULL);
	}
	/* Every single byte value, once each. */
	for (i = 0; i < 256; i++) {
		bytes[0] = (char)i;
		r = mkrec(now, TRANSCRIPT_SERVER, 0, "", TRANSCRIPT_EOL_CRLF);
		r.bytes = bytes;
		r.len = 1;
		transcript_append(t, &r, NULL);
	}
	if (transcript_save(t, path, &err) == -1) {
		harness_fail(__FILE__, __LINE__, "%s", err);
		free(err);
	}
	u = transcript_new();
	if (transcript_load(u, path, &err) == -1) {
		harness_fail(__FILE__, __LINE__, "%s", err);
		free(err);
	}
	expect_same(__LINE__, t, u);
	EXPECT_INT(transcript_start(u)->tv_sec, ts.tv_sec);
	EXPECT_INT(transcript_start(u)->tv_nsec, ts.tv_nsec);
	EXPECT_STR(transcript_target(u), transcript_target(t));
	transcript_free(u);
	transcript_free(t);

	u = transcript_new();
	EXPECT_INT(transcript_load(u, "/nonexistent/t.txt", &err), -1);
	transcript_free(u);
	EXPECT_STR(err, "cannot open transcript /nonexistent/t.txt: No such "
	    "file or directory");
	free(err);
	unlink(path);
	free(path);
	rmdir(tmpdir);
}

/*
 * The record file gets the header and the records held at once, then each
 * record as it comes.
 */
static void
test_transcript_record_to(void)
{
	struct transcript		*t, *u;
	struct transcript_record	 r;
	struct rlimit			 rl, small;
	char				*path, *s, *err = NULL, big[8192];
	size_t				 len;

	ASSERT(tmp_open());
	path = tmp_path("rec.txt");
	t = transcript_new();
	transcript_note(t, 0, TRANSCRIPT_INFO, "connected to %s", "x");
	EXPECT_INT(transcript_record_to(t, "/nonexistent/rec.txt", &err), -1);
	EXPECT_STR(err, "cannot open transcript /nonexistent/rec.txt: No such "
	    "file or directory");
	free(err);
	err = NULL;
	EXPECT_INT(transcript_record_to(t, path, &err), 0);
	s = slurp(path, &len);
	EXPECT_STR(s, HEADER "0.000000 === connected to x\n");
	free(s);
	r = mkrec(4100, TRANSCRIPT_SERVER, 0, "220 ready", TRANSCRIPT_EOL_LF);
	EXPECT_INT(transcript_append(t, &r, &err), 0);
	s = slurp(path, &len);
	EXPECT_STR(s, HEADER "0.000000 === connected to x\n"
	    "0.004100 <-  220 ready\\n\n");
	free(s);

	/* A write error: reported, and the record is still kept. */
	getrlimit(RLIMIT_FSIZE, &rl);
	signal(SIGXFSZ, SIG_IGN);
	small = rl;
	small.rlim_cur = 4096;
	setrlimit(RLIMIT_FSIZE, &small);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = mkrec(5000, TRANSCRIPT_CLIENT, 0, big, TRANSCRIPT_EOL_CRLF);
	EXPECT_INT(transcript_append(t, &r, &err), -1);
	setrlimit(RLIMIT_FSIZE, &rl);
	signal(SIGXFSZ, SIG_DFL);
	if (err == NULL || strncmp(err, "cannot write transcript ", 24) != 0 ||
	    strstr(err, "File too large") == NULL)
		harness_fail(__FILE__, __LINE__, "error \"%s\"",
		    err ? err : "(null)");
	free(err);
	err = NULL;
	EXPECT_INT(transcript_count(t), 3);
	EXPECT_INT(transcript_get(t, 2)->len, sizeof(big) - 1);
	transcript_record_to(t, NULL, &err);
	free(err);
	err = NULL;

	/* Attach again: the file is rewritten whole, and reads back. */
	EXPECT_INT(transcript_record_to(t, path, &err), 0);
	transcript_note(t, 6000, TRANSCRIPT_ERROR, "closed");
	u = transcript_new();
	EXPECT_INT(transcript_load(u, path, &err), 0);
	expect_same(__LINE__, t, u);
	transcript_free(u);
	EXPECT_INT(transcript_record_to(t, NULL, &err), 0);
	EXPECT_INT(transcript_record_to(t, NULL, &err), 0);
	transcript_note(t, 7000, TRANSCRIPT_INFO, "not recorded");
	s = slurp(path, &len);
	EXPECT(strstr(s, "closed\n") != NULL);
	EXPECT(strstr(s, "not recorded") == NULL);
	free(s);
	transcript_free(t);

	/* A loaded file goes to the record file too. */
	t = transcript_new();
	EXPECT_INT(transcript_record_to(t, path, &err), 0);
	s = tmp_path("in.txt");
	u = transcript_new();
	transcript_note(u, 10, TRANSCRIPT_WARNING, "loaded");
	EXPECT_INT(transcript_save(u, s, &err), 0);
	EXPECT_INT(transcript_load(t, s, &err), 0);
	transcript_free(u);
	unlink(s);
	free(s);
	transcript_free(t);		/* closes the record file */
	s = slurp(path, &len);
	EXPECT_STR(s, HEADER "0.000010 !!! loaded\n");
	free(s);

	unlink(path);
	free(path);
	rmdir(tmpdir);
}

static void
check_json(int line, const struct transcript_record *r, const char *want)
{
	struct memfile	 m;
	char		*s;

	mem_open(&m);
	if (transcript_write_jsonl_record(m.fp, r) != 0)
		harness_fail(__FILE__, line, "write failed");
	s = mem_close(&m);
	if (strcmp(s, want) != 0)
		harness_fail(__FILE__, line, "json:\n      %s      %s", s,
		    want);
	free(s);
}

static void
test_transcript_jsonl(void)
{
	struct transcript_record	r;

	r = mkrec(4100, TRANSCRIPT_SERVER, 0, "220 ready",
	    TRANSCRIPT_EOL_CRLF);
	r.code = 220;
	r.last = true;
	r.latency_us = 1200;
	check_json(__LINE__, &r, "{\"t\":0.004100,\"kind\":\"server\","
	    "\"tls\":false,\"text\":\"220 ready\",\"eol\":\"crlf\","
	    "\"code\":220,\"last\":true,\"latency\":0.001200}\n");

	r = mkrec(2000000, TRANSCRIPT_SERVER, TRANSCRIPT_TLS, "250-a",
	    TRANSCRIPT_EOL_CRLF);
	r.code = 250;
	check_json(__LINE__, &r, "{\"t\":2.000000,\"kind\":\"server\","
	    "\"tls\":true,\"text\":\"250-a\",\"eol\":\"crlf\","
	    "\"code\":250,\"last\":false}\n");

	r = mkrec(1000000, TRANSCRIPT_CLIENT, TRANSCRIPT_TLS,
	    "a\"b\\c\x1b\t\x7f\xe2\x80\xae\xc3\xa9", TRANSCRIPT_EOL_LF);
	r.code = 250;		/* not a reply: no code */
	check_json(__LINE__, &r, "{\"t\":1.000000,\"kind\":\"client\","
	    "\"tls\":true,\"text\":\"a\\\"b\\\\c\\u001b\\u0009\\u007f"
	    "\\u202e\xc3\xa9\",\"eol\":\"lf\"}\n");

	r = mkrec(0, TRANSCRIPT_SIMULATED, 0,
	    "x\xff\xc2\x9b\xe6\x97\xa5", TRANSCRIPT_EOL_NONE);
	check_json(__LINE__, &r, "{\"t\":0.000000,\"kind\":\"simulated\","
	    "\"tls\":false,\"text\":\"x\xef\xbf\xbd\\u009b\xe6\x97\xa5\","
	    "\"base64\":\"eP/Cm+aXpQ==\",\"eol\":\"none\"}\n");

	r = mkrec(0, TRANSCRIPT_INFO, 0, "\xff", TRANSCRIPT_EOL_CRLF);
	check_json(__LINE__, &r, "{\"t\":0.000000,\"kind\":\"info\","
	    "\"tls\":false,\"text\":\"\xef\xbf\xbd\",\"base64\":\"/w==\","
	    "\"eol\":\"crlf\"}\n");
	r = mkrec(0, TRANSCRIPT_INFO, 0, "\xff\xfe", TRANSCRIPT_EOL_CRLF);
	check_json(__LINE__, &r, "{\"t\":0.000000,\"kind\":\"info\","
	    "\"tls\":false,\"text\":\"\xef\xbf\xbd\xef\xbf\xbd\","
	    "\"base64\":\"//4=\",\"eol\":\"crlf\"}\n");
	r = mkrec(0, TRANSCRIPT_ERROR, 0, "\xff\xfe\xfd", TRANSCRIPT_EOL_CRLF);
	check_json(__LINE__, &r, "{\"t\":0.000000,\"kind\":\"error\","
	    "\"tls\":false,\"text\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
	    "\"base64\":\"//79\",\"eol\":\"crlf\"}\n");
	/* A tag character (hidden text) needs a surrogate pair. */
	r = mkrec(0, TRANSCRIPT_SERVER, 0, "a\xf3\xa0\x81\x81" "b",
	    TRANSCRIPT_EOL_CRLF);
	check_json(__LINE__, &r, "{\"t\":0.000000,\"kind\":\"server\","
	    "\"tls\":false,\"text\":\"a\\udb40\\udc41b\",\"eol\":\"crlf\"}\n");
	r = mkrec(0, TRANSCRIPT_WARNING, 0, "", TRANSCRIPT_EOL_CRLF);
	r.latency_us = 0;
	check_json(__LINE__, &r, "{\"t\":0.000000,\"kind\":\"warning\","
	    "\"tls\":false,\"text\":\"\",\"eol\":\"crlf\","
	    "\"latency\":0.000000}\n");
}

static void
test_transcript_export_jsonl(void)
{
	struct transcript	*t;
	char			*path, *s, *err = NULL;
	size_t			 len;

	ASSERT(tmp_open());
	path = tmp_path("t.jsonl");
	t = transcript_new();
	transcript_note(t, 1, TRANSCRIPT_INFO, "a");
	transcript_note(t, 2, TRANSCRIPT_ERROR, "b");
	EXPECT_INT(transcript_export_jsonl(t, path, &err), 0);
	s = slurp(path, &len);
	EXPECT_STR(s,
	    "{\"t\":0.000001,\"kind\":\"info\",\"tls\":false,\"text\":\"a\","
	    "\"eol\":\"crlf\"}\n"
	    "{\"t\":0.000002,\"kind\":\"error\",\"tls\":false,\"text\":\"b\","
	    "\"eol\":\"crlf\"}\n");
	free(s);
	EXPECT_INT(transcript_export_jsonl(t, "/nonexistent/t.jsonl", &err),
	    -1);
	EXPECT_STR(err, "cannot open /nonexistent/t.jsonl: No such file or "
	    "directory");
	free(err);
	transcript_free(t);
	unlink(path);
	free(path);
	rmdir(tmpdir);
}

TEST_LIST(transcript_tests) = {
	TEST(test_transcript_escape),
	TEST(test_transcript_unescape),
	TEST(test_transcript_escape_property),
	TEST(test_transcript_markers),
	TEST(test_transcript_append_get),
	TEST(test_transcript_start),
	TEST(test_transcript_write),
	TEST(test_transcript_read),
	TEST(test_transcript_read_errors),
	TEST(test_transcript_read_rollback),
	TEST(test_transcript_save_load),
	TEST(test_transcript_record_to),
	TEST(test_transcript_jsonl),
	TEST(test_transcript_export_jsonl),
	TEST_END
};
