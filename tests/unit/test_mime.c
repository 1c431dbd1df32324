/* Unit tests: session/mime.c, composing a message. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "mime.h"
#include "xmalloc.h"

#define DATE	1764547200	/* Mon, 01 Dec 2025 00:00:00 +0000 */

static const char *const one_to[] = { "Bob <bob@example.net>" };

static void
message_init(struct mime_message *m)
{
	memset(m, 0, sizeof(*m));
	m->from = "Alice Example <alice@example.org>";
	m->to = one_to;
	m->nto = 1;
	m->subject = "Hello";
	m->text = "Hello, world.\n";
	m->textlen = strlen(m->text);
	m->date = DATE;
}

/*
 * What every message must be: CRLF line ends only, no line longer than
 * 998 octets, no NUL.  Returns the number of faults.
 */
static int
check_lines(const char *s, size_t len)
{
	size_t	i, col = 0;
	int	bad = 0;

	if (len < 2 || s[len - 2] != '\r' || s[len - 1] != '\n')
		bad++;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			bad++;
		if (s[i] == '\r') {
			if (i + 1 == len || s[i + 1] != '\n')
				bad++;
			else
				i++;
			col = 0;
		} else if (s[i] == '\n') {
			bad++;
		} else if (++col > 998)
			bad++;
	}
	return bad;
}

/* Compose M into a new string; NULL with *ERR on failure. */
static char *
build(const struct mime_message *m, struct mime_info *info, char **err)
{
	struct buf	 b;
	char		*s;

	*err = NULL;
	buf_init(&b, 0);
	if (mime_build(m, &b, info, err) == -1) {
		EXPECT_INT(buf_avail(&b), 0);
		buf_free(&b);
		return NULL;
	}
	EXPECT_INT(info->size, buf_avail(&b));
	EXPECT_INT(check_lines(buf_head(&b), buf_avail(&b)), 0);
	s = xstrndup(buf_head(&b), buf_avail(&b));
	buf_free(&b);
	return s;
}

static char *
build_ok(const struct mime_message *m, struct mime_info *info)
{
	char	*err, *s;

	s = build(m, info, &err);
	if (s == NULL) {
		harness_fail(__FILE__, __LINE__, "mime_build: %s", err);
		free(err);
		return xstrdup("");
	}
	return s;
}

/* The value of header NAME (unfolded, first one), or NULL. */
static char *
header(const char *msg, const char *name)
{
	const char	*p = msg, *end;
	size_t		 n = strlen(name);
	struct buf	 b;
	char		*s;

	end = strstr(msg, "\r\n\r\n");
	while (p != NULL && p < end) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			buf_init(&b, 0);
			for (;;) {
				if (p[0] == '\r' && p[1] == '\n' &&
				    (p[2] == ' ' || p[2] == '\t'))
					p += 2;
				else if (p[0] == '\r')
					break;
				else
					buf_add(&b, p++, 1);
			}
			s = xstrdup(buf_head(&b));
			buf_free(&b);
			return s;
		}
		if ((p = strstr(p, "\r\n")) != NULL)
			p += 2;
	}
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A tiny base64 decoder: -1 on anything but the alphabet, "=" and CRLF. */
static int
b64_decode(const char *s, size_t len, struct buf *out)
{
	static const char	 digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*d;
	uint32_t		 v = 0;
	size_t			 i;
	int			 n = 0, pad = 0;
	unsigned char		 c;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			v <<= 6;
		} else if (pad > 0 || (d = strchr(digits, s[i])) == NULL ||
		    s[i] == '\0')
			return -1;
		else
			v = v << 6 | (uint32_t)(d - digits);
		if (++n == 4) {
			c = (unsigned char)(v >> 16);
			buf_add(out, &c, 1);
			c = (unsigned char)(v >> 8);
			if (pad < 2)
				buf_add(out, &c, 1);
			c = (unsigned char)v;
			if (pad < 1)
				buf_add(out, &c, 1);
			n = 0;
			v = 0;
		}
	}
	return n == 0 ? 0 : -1;
}

/* A tiny quoted-printable decoder (RFC 2045 6.7). */
static int
qp_decode(const char *s, size_t len, struct buf *out)
{
	size_t	i;
	char	c;
	int	h, l;

	for (i = 0; i < len; i++) {
		if (s[i] != '=') {
			buf_add(out, s + i, 1);
			continue;
		}
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (i + 2 >= len || (h = hexval(s[i + 1])) == -1 ||
		    (l = hexval(s[i + 2])) == -1)
			return -1;
		c = (char)(h << 4 | l);
		buf_add(out, &c, 1);
		i += 2;
	}
	return 0;
}

/*
 * RFC 2047 words separated by folding white space, decoded and joined;
 * -1 for text that is not such words.
 */
static int
ew_decode(const char *s, struct buf *out)
{
	const char	*end;
	char		 mode, c;
	size_t		 i;
	int		 h, l;

	for (;;) {
		while (*s == ' ' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '\0')
			return 0;
		if (strncmp(s, "=?UTF-8?", 8) != 0)
			return -1;
		mode = s[8];
		if ((mode != 'B' && mode != 'Q') || s[9] != '?')
			return -1;
		s += 10;
		if ((end = strstr(s, "?=")) == NULL)
			return -1;
		if (mode == 'B' && b64_decode(s, (size_t)(end - s), out) == -1)
			return -1;
		for (i = 0; mode == 'Q' && s + i < end; i++) {
			if (s[i] == '_')
				c = ' ';
			else if (s[i] == '=') {
				if ((h = hexval(s[i + 1])) == -1 ||
				    (l = hexval(s[i + 2])) == -1)
					return -1;
				c = (char)(h << 4 | l);
				i += 2;
			} else
				c = s[i];
			buf_add(out, &c, 1);
		}
		s = end + 2;
	}
}

/* S holds whole UTF-8 characters: no sequence cut at either end. */
static bool
utf8_whole(const char *s, size_t len)
{
	size_t		i, n, k;
	unsigned char	c;

	for (i = 0; i < len; i += n) {
		c = (unsigned char)s[i];
		n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 :
		    c >= 0xc0 ? 2 : 0;
		if (n == 0 || i + n > len)
			return false;
		for (k = 1; k < n; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* The body of the part with header line HDR (CRLF...), up to "\r\n--". */
static bool
part_body(const char *msg, const char *hdr, const char **body, size_t *len)
{
	const char	*p, *end;

	if ((p = strstr(msg, hdr)) == NULL ||
	    (p = strstr(p, "\r\n\r\n")) == NULL)
		return false;
	p += 4;
	if ((end = strstr(p, "\r\n--")) == NULL)
		end = p + strlen(p);
	*body = p;
	*len = (size_t)(end - p);
	return true;
}

static void
test_mime_golden(void)
{
	struct mime_message	 m;
	struct mime_info	 info;
	char			*s;
	const char		*want =
	    "Date: Mon, 01 Dec 2025 00:00:00 +0000\r\n"
	    "From: Alice Example <alice@example.org>\r\n"
	    "To: Bob <bob@example.net>\r\n"
	    "Subject: Hello\r\n"
	    "Message-ID: <a1160dd42b640565402bf554f2d4e77e@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "Hello, world.\r\n";

	message_init(&m);
	s = build_ok(&m, &info);
	EXPECT_STR(s, want);
	EXPECT_STR(info.message_id,
	    "<a1160dd42b640565402bf554f2d4e77e@example.org>");
	EXPECT(!info.eightbit);
	EXPECT(!info.needs_utf8);
	free(s);
}

static void
test_mime_date(void)
{
	struct mime_message	 m;
	struct mime_info	 info;
	char			*s, *d, *err;

	message_init(&m);
	m.tzoff = -300;
	s = build_ok(&m, &info);
	d = header(s, "Date");
	EXPECT_STR(d, "Sun, 30 Nov 2025 19:00:00 -0500");
	free(d);
	free(s);
	m.tzoff = 330;
	m.date = 1772323199;	/* the end of February 2026 */
	s = build_ok(&m, &info);
	d = header(s, "Date");
	EXPECT_STR(d, "Sun, 01 Mar 2026 05:29:59 +0530");
	free(d);
	free(s);
	m.tzoff = 24 * 60;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT(err != NULL && strstr(err, "time zone offset") != NULL);
	free(err);
}

static void
test_mime_rfc2047(void)
{
	struct buf	 b, d;
	const char	*grusse = "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln";
	const char	*p, *w;
	char		*long_subject, *word;
	size_t		 i, col;

	buf_init(&b, 0);
	buf_init(&d, 0);
	mime_encode_header(&b, "Subject", grusse, strlen(grusse));
	EXPECT_STR(buf_head(&b),
	    "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=");
	EXPECT_INT(ew_decode(buf_head(&b) + 9, &d), 0);
	EXPECT_STR(buf_head(&d), grusse);

	/* Q when it is shorter. */
	buf_reset(&b);
	buf_reset(&d);
	mime_encode_header(&b, "Subject", "caf\xc3\xa9 au lait", 13);
	EXPECT_STR(buf_head(&b), "Subject: =?UTF-8?Q?caf=C3=A9_au_lait?=");

	/* Long text: folded, words of 75 at most, whole characters. */
	long_subject = xmalloc(40 * strlen(grusse) + 1);
	long_subject[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(long_subject, grusse);
	buf_reset(&b);
	buf_reset(&d);
	mime_encode_header(&b, "Subject", long_subject, strlen(long_subject));
	for (p = buf_head(&b), col = 0; *p != '\0'; p++) {
		if (*p == '\r') {
			EXPECT(p[1] == '\n' && p[2] == ' ');
			EXPECT(col <= 78);
			col = 0;
			p++;
		} else
			col++;
	}
	EXPECT(col <= 78);
	EXPECT_INT(ew_decode(buf_head(&b) + 9, &d), 0);
	EXPECT_STR(buf_head(&d), long_subject);
	for (w = strstr(buf_head(&b), "=?"); w != NULL;
	    w = strstr(w + 2, "=?")) {
		p = strstr(w, "?=");
		ASSERT(p != NULL);
		EXPECT(p + 2 - w <= 75);
		/* Each word decodes to whole characters on its own. */
		buf_reset(&d);
		word = xstrndup(w, (size_t)(p + 2 - w));
		EXPECT_INT(ew_decode(word, &d), 0);
		EXPECT(buf_avail(&d) > 0);
		EXPECT(utf8_whole(buf_head(&d), buf_avail(&d)));
		free(word);
		w = p;
	}
	free(long_subject);
	buf_free(&b);
	buf_free(&d);
}

/* A display name: only the name is encoded, the <addr> stays. */
static void
test_mime_display_name(void)
{
	static const char *const to[] = {
	    "J\xc3\xbcrgen M\xc3\xbcller <j@example.net>",
	    "\"Doe, Jane\" <jane@example.net>",
	    "Doe, John <john@example.net>",
	    "plain@example.net",
	};
	struct mime_message	 m;
	struct mime_info	 info;
	char			*s, *h;

	message_init(&m);
	m.to = to;
	m.nto = 4;
	s = build_ok(&m, &info);
	h = header(s, "To");
	EXPECT_STR(h, "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <j@example.net>, "
	    "\"Doe, Jane\" <jane@example.net>, "
	    "\"Doe, John\" <john@example.net>, plain@example.net");
	EXPECT(!info.eightbit);
	free(h);
	free(s);
}

static void
test_mime_fold(void)
{
	struct mime_message	 m;
	struct mime_info	 info;
	struct buf		 b;
	char			*s, *h;
	const char		*subject = "This subject is long enough "
	    "that it has to be folded at least once, and maybe twice, since a line "
	    "should not be longer than seventy-eight octets, says RFC 5322";
	const char		*p, *end;

	message_init(&m);
	m.subject = subject;
	s = build_ok(&m, &info);
	h = header(s, "Subject");
	EXPECT_STR(h, subject);
	p = strstr(s, "Subject:");
	ASSERT(p != NULL);
	end = strstr(p, "\r\nMessage-ID:");
	ASSERT(end != NULL);
	EXPECT(strstr(p, "\r\n ") < end);	/* folded */
	for (; p < end; p = strstr(p, "\r\n") + 2)
		EXPECT(strstr(p, "\r\n") - p <= 78);
	free(h);
	free(s);

	/* As the header encoder sees it: ASCII folded only. */
	buf_init(&b, 0);
	mime_encode_header(&b, "Subject", "short", 5);
	EXPECT_STR(buf_head(&b), "Subject: short");
	buf_free(&b);
}

static void
test_mime_qp(void)
{
	struct mime_message	 m;
	struct mime_info	 info;
	struct buf		 d, want;
	static char		 line[2001];
	char			*s;
	const char		*body, *p, *nl;
	size_t			 i, len;

	/* 2000 octets: letters, "=", a space, "." and 8-bit bytes. */
	for (i = 0; i < 2000; i++)
		line[i] = "ab=c d.\xc3\xa9xyz"[i % 12];
	line[1999] = ' ';
	line[2000] = '\0';
	message_init(&m);
	m.text = line;
	m.textlen = 2000;
	s = build_ok(&m, &info);
	EXPECT(strstr(s, "Content-Transfer-Encoding: quoted-printable\r\n"));
	EXPECT(strstr(s, "charset=utf-8\r\n"));
	ASSERT(part_body(s, "Content-Transfer-Encoding", &body, &len));
	for (p = body; p < body + len; p = nl + 2) {
		nl = strstr(p, "\r\n");
		ASSERT(nl != NULL);
		EXPECT(nl - p <= 76);
		EXPECT(*p != '.');
		EXPECT(nl[-1] != ' ');
	}
	buf_init(&d, 0);
	buf_init(&want, 0);
	EXPECT_INT(qp_decode(body, len, &d), 0);
	buf_add(&want, line, 2000);
	buf_add(&want, "\r\n", 2);
	EXPECT_MEM(buf_head(&d), buf_avail(&d), buf_head(&want),
	    buf_avail(&want));
	free(s);

	/* An ASCII line too long for 7bit, "." and "From " lines. */
	memset(line, 'x', 1500);
	memcpy(line + 1500, "\n.\nFrom me\n", 12);
	m.text = line;
	m.textlen = strlen(line);
	s = build_ok(&m, &info);
	EXPECT(strstr(s, "charset=us-ascii\r\n"));
	EXPECT(strstr(s, "\r\n=2E\r\n=46rom me\r\n"));
	ASSERT(part_body(s, "Content-Transfer-Encoding", &body, &len));
	buf_reset(&d);
	buf_reset(&want);
	EXPECT_INT(qp_decode(body, len, &d), 0);
	buf_add(&want, line, 1500);
	buf_addstr(&want, "\r\n.\r\nFrom me\r\n");
	EXPECT_MEM(buf_head(&d), buf_avail(&d), buf_head(&want),
	    buf_avail(&want));
	buf_free(&d);
	buf_free(&want);
	free(s);
}

static void
test_mime_attachment(void)
{
	static unsigned char	 data[3000];
	struct mime_attachment	 att[2] = {
		{ "report.pdf", data, sizeof(data), NULL },
		{ "Gr\xc3\xbc\xc3\x9f" "e.txt", (const unsigned char *)"x", 1,
		    NULL },
	};
	struct mime_message	 m;
	struct mime_info	 info;
	struct buf		 d;
	char			*s;
	const char		*body, *p, *nl;
	size_t			 i, len;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	message_init(&m);
	m.att = att;
	m.natt = 2;
	s = build_ok(&m, &info);
	EXPECT(strstr(s, "\r\nContent-Type: multipart/mixed;"));
	EXPECT(strstr(s, "\r\nContent-Type: application/pdf; "
	    "name=\"report.pdf\"\r\n"
	    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"));
	EXPECT(strstr(s, "\r\nContent-Type: text/plain; "
	    "name*=utf-8''Gr%C3%BC%C3%9Fe.txt\r\n"
	    "Content-Disposition: attachment; "
	    "filename*=utf-8''Gr%C3%BC%C3%9Fe.txt\r\n"));
	ASSERT(part_body(s, "filename=\"report.pdf\"", &body, &len));
	for (p = body; p < body + len; p = nl + 2) {
		if ((nl = strstr(p, "\r\n")) > body + len)
			nl = body + len;
		EXPECT(nl - p <= 76);
	}
	buf_init(&d, 0);
	EXPECT_INT(b64_decode(body, len, &d), 0);
	EXPECT_MEM(buf_head(&d), buf_avail(&d), data, sizeof(data));
	buf_free(&d);
	EXPECT(!info.eightbit);
	free(s);
}

static void
test_mime_message_id(void)
{
	struct mime_message	 m;
	struct mime_info	 a, b;
	char			*s1, *s2;

	message_init(&m);
	s1 = build_ok(&m, &a);
	m.date = DATE + 3600;
	m.tzoff = 120;
	s2 = build_ok(&m, &b);
	EXPECT_STR(a.message_id, b.message_id);
	EXPECT(strcmp(s1, s2) != 0);
	free(s2);
	m.text = "Hello, world!\n";
	s2 = build_ok(&m, &b);
	EXPECT(strcmp(a.message_id, b.message_id) != 0);
	free(s2);
	EXPECT_INT(strlen(a.message_id), 1 + 32 + 1 + 11 + 1);

	/* The fields' boundaries count: "ab"+"c" is not "a"+"bc". */
	message_init(&m);
	m.subject = "ab";
	m.text = "c";
	m.textlen = 1;
	s2 = build_ok(&m, &a);
	free(s2);
	m.subject = "a";
	m.text = "bc";
	m.textlen = 2;
	s2 = build_ok(&m, &b);
	free(s2);
	EXPECT(strcmp(a.message_id, b.message_id) != 0);

	/* The right side: From's domain, else the host name, else ours. */
	m.from = "alice";
	m.hostname = "client.example.com";
	s2 = build_ok(&m, &b);
	EXPECT(strstr(b.message_id, "@client.example.com>") != NULL);
	free(s2);
	m.hostname = NULL;
	s2 = build_ok(&m, &b);
	EXPECT(strstr(b.message_id, "@smtptool.invalid>") != NULL);
	free(s2);
	free(s1);
}

static void
test_mime_extra_headers(void)
{
	static const char *const hdrs[] = {
		"X-Mailer: test",
		"date: Fri, 13 Mar 2026 13:13:13 +0100",
		"Message-ID: <fixed@example.org>",
		"Bcc: hidden@example.org",
		"Reply-To: Help <help@example.org>",
	};
	struct mime_message	 m;
	struct mime_info	 info;
	char			*s;

	message_init(&m);
	m.headers = hdrs;
	m.nheaders = 5;
	s = build_ok(&m, &info);
	EXPECT_STR(info.message_id, "<fixed@example.org>");
	EXPECT(strncmp(s, "date: Fri, 13 Mar 2026 13:13:13 +0100\r\n"
	    "From: ", 45) == 0);
	EXPECT(strstr(s, "\r\nSubject: Hello\r\n"
	    "Message-ID: <fixed@example.org>\r\nMIME-Version: 1.0\r\n"));
	EXPECT(strstr(s, "Content-Transfer-Encoding: 7bit\r\n"
	    "X-Mailer: test\r\nReply-To: Help <help@example.org>\r\n\r\n"));
	EXPECT(strstr(s, "Date: Mon") == NULL);
	EXPECT(strstr(s, "\r\nMessage-ID: <8") == NULL);
	EXPECT(strstr(s, "hidden") == NULL);
	EXPECT(strstr(s, "Bcc") == NULL);
	free(s);
}

static void
test_mime_structure(void)
{
	static const char *const cc[] = { "carol@example.com" };
	struct mime_attachment	 att = { "a.bin", (const unsigned char *)
	    "\0\1\2", 3, NULL };
	struct mime_message	 m;
	struct mime_info	 info;
	char			*s, *ct, *bnd, want[128];
	const char		*p;
	int			 n;

	/* Text and HTML: an alternative. */
	message_init(&m);
	m.cc = cc;
	m.ncc = 1;
	m.html = "<p>Hello</p>\n";
	m.htmllen = strlen(m.html);
	s = build_ok(&m, &info);
	EXPECT(strstr(s, "\r\nCc: carol@example.com\r\n"));
	ct = header(s, "Content-Type");
	EXPECT(ct != NULL && strncmp(ct, "multipart/alternative; boundary=\"",
	    33) == 0);
	EXPECT(strstr(s, "Content-Type: text/plain; charset=us-ascii\r\n"));
	EXPECT(strstr(s, "Content-Type: text/html; charset=us-ascii\r\n"));
	EXPECT(strstr(s, "\r\nContent-Transfer-Encoding") == NULL ||
	    strstr(s, "\r\nContent-Transfer-Encoding") >
	    strstr(s, "\r\n\r\n"));
	free(ct);
	free(s);

	/* Only HTML: text/html itself. */
	m.text = NULL;
	m.textlen = 0;
	s = build_ok(&m, &info);
	ct = header(s, "Content-Type");
	EXPECT_STR(ct, "text/html; charset=us-ascii");
	free(ct);
	free(s);

	/* Nothing: an empty text. */
	m.html = NULL;
	m.htmllen = 0;
	s = build_ok(&m, &info);
	ct = header(s, "Content-Type");
	EXPECT_STR(ct, "text/plain; charset=us-ascii");
	EXPECT(strstr(s, "Content-Transfer-Encoding: 7bit\r\n\r\n") + 35 ==
	    s + strlen(s));
	free(ct);
	free(s);

	/* Only an attachment; text, HTML and an attachment. */
	m.att = &att;
	m.natt = 1;
	s = build_ok(&m, &info);
	ct = header(s, "Content-Type");
	EXPECT(ct != NULL && strncmp(ct, "multipart/mixed;", 16) == 0);
	EXPECT(strstr(s, "text/plain") == NULL);
	EXPECT(strstr(s, "\r\n\r\nAAEC\r\n--") != NULL);
	free(ct);
	free(s);

	/* The boundaries occur only as delimiters. */
	m.text = "--=_smtptool_\n--\n";
	m.textlen = strlen(m.text);
	m.html = "<p>x</p>";
	m.htmllen = strlen(m.html);
	s = build_ok(&m, &info);
	ct = header(s, "Content-Type");
	ASSERT(ct != NULL && (bnd = strstr(ct, "boundary=\"")) != NULL);
	bnd += 10;
	*strchr(bnd, '"') = '\0';
	for (p = s, n = 0; (p = strstr(p, bnd)) != NULL; p++, n++)
		EXPECT(p[-1] == '"' || (p[-2] == '-' && p[-3] == '\n'));
	EXPECT_INT(n, 4);	/* the parameter, 2 delimiters, the close */
	snprintf(want, sizeof(want), "\r\n--%s--\r\n", bnd);
	EXPECT(strstr(s, want) == s + strlen(s) - strlen(want));
	EXPECT(strstr(s, "\r\n--=_smtptool_\r\n--\r\n"));
	free(ct);
	free(s);
}

static void
test_mime_errors(void)
{
	static const char *const cr_to[] = { "bob@example.net\r\nBcc: x" };
	static const char *const utf8_to[] = { "j\xc3\xbcrgen@example.net" };
	static const char *const bad_hdr[] = { "no colon here" };
	static const char *const open_to[] = { "Bob <bob@example.net" };
	struct mime_message	 m;
	struct mime_info	 info;
	char			*err;

	message_init(&m);
	m.from = NULL;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: no From address");
	free(err);

	message_init(&m);
	m.nto = 0;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: no To recipient");
	free(err);

	message_init(&m);
	m.subject = "Hello\rBcc: x";
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: the Subject contains "
	    "a CR");
	free(err);

	message_init(&m);
	m.to = cr_to;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: To address 1 contains "
	    "a CR");
	free(err);

	message_init(&m);
	m.text = "Hello\0world";
	m.textlen = 11;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: the text has a NUL at "
	    "offset 5");
	free(err);

	message_init(&m);
	m.headers = bad_hdr;
	m.nheaders = 1;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: header 1 "
	    "(\"no colon here\") is not \"Name: value\"");
	free(err);

	message_init(&m);
	m.to = utf8_to;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: address "
	    "j\xc3\xbcrgen@example.net is not ASCII and the server does not "
	    "advertise SMTPUTF8");
	free(err);

	message_init(&m);
	m.to = open_to;
	EXPECT(build(&m, &info, &err) == NULL);
	EXPECT_STR(err, "cannot compose the message: a To address "
	    "\"Bob <bob@example.net\" lacks a closing \">\"");
	free(err);
}

static void
test_mime_utf8(void)
{
	static const char *const to[] = {
	    "J\xc3\xbcrgen <j\xc3\xbcrgen@example.net>",
	};
	struct mime_message	 m;
	struct mime_info	 info;
	char			*s;

	message_init(&m);
	m.subject = "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln";
	m.text = "Sch\xc3\xb6n.\n";
	m.textlen = strlen(m.text);
	m.to = to;
	m.utf8 = true;
	s = build_ok(&m, &info);
	EXPECT(strstr(s, "\r\nSubject: Gr\xc3\xbc\xc3\x9f" "e aus "
	    "K\xc3\xb6ln\r\n"));
	EXPECT(strstr(s, "\r\nTo: J\xc3\xbcrgen "
	    "<j\xc3\xbcrgen@example.net>\r\n"));
	EXPECT(strstr(s, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\nSch\xc3\xb6n.\r\n"));
	EXPECT(strstr(s, "=?") == NULL);
	EXPECT(info.eightbit);
	EXPECT(info.needs_utf8);
	free(s);

	/* ASCII headers, an 8-bit body: 8BITMIME, not SMTPUTF8. */
	message_init(&m);
	m.text = "Sch\xc3\xb6n.\n";
	m.textlen = strlen(m.text);
	m.utf8 = true;
	s = build_ok(&m, &info);
	EXPECT(info.eightbit);
	EXPECT(!info.needs_utf8);
	free(s);
}

static void
test_mime_type_of(void)
{
	EXPECT_STR(mime_type_of("report.pdf"), "application/pdf");
	EXPECT_STR(mime_type_of("PHOTO.JPG"), "image/jpeg");
	EXPECT_STR(mime_type_of("a.jpeg"), "image/jpeg");
	EXPECT_STR(mime_type_of("x.tar.gz"), "application/gzip");
	EXPECT_STR(mime_type_of("logo.svg"), "image/svg+xml");
	EXPECT_STR(mime_type_of("mail.eml"), "message/rfc822");
	EXPECT_STR(mime_type_of("invite.ics"), "text/calendar");
	EXPECT_STR(mime_type_of("page.htm"), "text/html");
	EXPECT_STR(mime_type_of("data.csv"), "text/csv");
	EXPECT_STR(mime_type_of("sheet.xlsx"), "application/"
	    "vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	EXPECT_STR(mime_type_of("README"), "application/octet-stream");
	EXPECT_STR(mime_type_of(".profile"), "application/octet-stream");
	EXPECT_STR(mime_type_of("a.unknown"), "application/octet-stream");
	EXPECT_STR(mime_type_of("dir.d/file"), "application/octet-stream");
}

static void
test_mime_addr_spec(void)
{
	const char	*a;
	size_t		 n;

	a = mime_addr_spec("Bob <bob@example.net>", &n);
	EXPECT_MEM(a, n, "bob@example.net", 15);
	a = mime_addr_spec("  bob@example.net ", &n);
	EXPECT_MEM(a, n, "bob@example.net", 15);
	a = mime_addr_spec("\"a <b>\" <c@d>", &n);
	EXPECT_MEM(a, n, "c@d", 3);
}

TEST_LIST(mime_tests) = {
	TEST(test_mime_golden),
	TEST(test_mime_date),
	TEST(test_mime_rfc2047),
	TEST(test_mime_display_name),
	TEST(test_mime_fold),
	TEST(test_mime_qp),
	TEST(test_mime_attachment),
	TEST(test_mime_message_id),
	TEST(test_mime_extra_headers),
	TEST(test_mime_structure),
	TEST(test_mime_errors),
	TEST(test_mime_utf8),
	TEST(test_mime_type_of),
	TEST(test_mime_addr_spec),
	TEST_END
};
