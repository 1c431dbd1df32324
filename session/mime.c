/* Composing a message: see mime.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "data.h"
#include "mime.h"
#include "xmalloc.h"

#define MIME_LINE_SOFT	78	/* RFC 5322 2.1.1: a line should not exceed */
#define MIME_LINE_HARD	998	/* ... and must not */
#define MIME_WORD_MAX	75	/* RFC 2047 2: an encoded word */
#define MIME_WORD_MIN	30	/* the least room worth a first word */
#define MIME_WORD_WRAP	12	/* "=?UTF-8?B?" and "?=" */
#define MIME_QP_LINE	76	/* RFC 2045 6.7 (5) */
#define MIME_B64_BYTES	57	/* bytes a 76-column base64 line */
#define MIME_LONG_WORD	900	/* a longer header word is encoded */
#define MIME_PARAM_MIN	20	/* an RFC 2231 section's least value */
#define MIME_ADDR_MAX	900	/* an address must fit on a line */
#define MIME_DOMAIN_MAX	90	/* the Message-ID's right side */
#define MIME_ID_HEX	16	/* hash bytes in the Message-ID */
#define MIME_BND_HEX	12	/* hash bytes in a boundary */

#define MIME_ERR	"cannot compose the message: "

static const char	hexdigits[] = "0123456789ABCDEF";
static const char	hexlower[] = "0123456789abcdef";
static const char	b64digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * The headers we generate, in their order.  An extra header of one of
 * these names takes its place.
 */
enum mime_hdr {
	MIME_H_DATE,
	MIME_H_FROM,
	MIME_H_TO,
	MIME_H_CC,
	MIME_H_SUBJECT,
	MIME_H_MESSAGE_ID,
	MIME_H_MIME_VERSION,
	MIME_H_CONTENT_TYPE,
	MIME_H_CTE,
	MIME_H_LAST
};

static const char *const mime_hdr_names[MIME_H_LAST] = {
	[MIME_H_DATE] = "Date",
	[MIME_H_FROM] = "From",
	[MIME_H_TO] = "To",
	[MIME_H_CC] = "Cc",
	[MIME_H_SUBJECT] = "Subject",
	[MIME_H_MESSAGE_ID] = "Message-ID",
	[MIME_H_MIME_VERSION] = "MIME-Version",
	[MIME_H_CONTENT_TYPE] = "Content-Type",
	[MIME_H_CTE] = "Content-Transfer-Encoding",
};

/* Extra headers whose value is an address list, rendered like To. */
static const char *const mime_addr_headers[] = {
	"From", "To", "Cc", "Reply-To", "Sender",
};

/* Content types by file name extension, sorted for bsearch. */
struct mime_ext {
	const char	*ext;
	const char	*type;
};

static const struct mime_ext mime_exts[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "avi", "video/x-msvideo" },
	{ "bmp", "image/bmp" },
	{ "bz2", "application/x-bzip2" },
	{ "css", "text/css" },
	{ "csv", "text/csv" },
	{ "doc", "application/msword" },
	{ "docx", "application/"
	    "vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "eml", "message/rfc822" },
	{ "epub", "application/epub+zip" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "heic", "image/heic" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "ics", "text/calendar" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "log", "text/plain" },
	{ "m4a", "audio/mp4" },
	{ "md", "text/markdown" },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "p7s", "application/pkcs7-signature" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/"
	    "vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "rar", "application/vnd.rar" },
	{ "rtf", "application/rtf" },
	{ "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tgz", "application/gzip" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "txt", "text/plain" },
	{ "vcf", "text/vcard" },
	{ "wav", "audio/wav" },
	{ "webm", "video/webm" },
	{ "webp", "image/webp" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/"
	    "vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "xml", "application/xml" },
	{ "xz", "application/x-xz" },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

/* One composition. */
struct mime_ctx {
	const struct mime_message *m;
	char		**errstr;
	bool		  hdr8;		/* raw UTF-8 in a header */
	char		  date[64];
	char		  domain[MIME_DOMAIN_MAX + 1];
	unsigned char	  digest[32];
};

/* A body part: its header lines (each with CRLF) and its body. */
struct mime_part {
	struct buf	ct;	/* Content-Type */
	struct buf	cte;	/* Content-Transfer-Encoding */
	struct buf	disp;	/* Content-Disposition */
	struct buf	body;
	bool		is_multi;
};

/* A header being written: where it goes and the column reached. */
struct hdr {
	struct buf	*out;
	size_t		 col;
	size_t		 ntok;
};

enum ew_mode {
	EW_B,
	EW_Q,
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
has8bit(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* The length of the UTF-8 character at S; 1 for a byte that starts none. */
static size_t
u8_len(const unsigned char *s, size_t len)
{
	size_t	n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 1;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n > len)
		return 1;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_wsp(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_wsp((*s)[*len - 1]))
		(*len)--;
}

/* "a CR", "a LF" or "a NUL" when S holds one; NULL otherwise. */
static const char *
bad_char(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r')
			return "a CR";
		if (s[i] == '\n')
			return "a LF";
		if (s[i] == '\0')
			return "a NUL";
	}
	return NULL;
}

static void
b64_encode(struct buf *out, const unsigned char *s, size_t len)
{
	char		q[4];
	uint32_t	v;
	size_t		i;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		q[0] = b64digits[v >> 18];
		q[1] = b64digits[(v >> 12) & 63];
		q[2] = b64digits[(v >> 6) & 63];
		q[3] = b64digits[v & 63];
		buf_add(out, q, 4);
	}
	if (i < len) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)s[i + 1] << 8;
		q[0] = b64digits[v >> 18];
		q[1] = b64digits[(v >> 12) & 63];
		q[2] = i + 1 < len ? b64digits[(v >> 6) & 63] : '=';
		q[3] = '=';
		buf_add(out, q, 4);
	}
}

/* Base64 in lines of 76 columns, CRLF between them, none after the last. */
static void
b64_lines(struct buf *out, const unsigned char *s, size_t len)
{
	size_t	i, n;

	for (i = 0; i < len; i += n) {
		n = len - i < MIME_B64_BYTES ? len - i : MIME_B64_BYTES;
		if (i > 0)
			buf_add(out, "\r\n", 2);
		b64_encode(out, s + i, n);
	}
}

/*
 * Header writing.  A header is "Name:" and tokens, each after one space
 * or, when the line would pass 78 octets, after a fold (CRLF SP).  The
 * first token stays on the name's line.
 */
static void
hdr_start(struct hdr *h, struct buf *out, const char *name, size_t namelen)
{
	h->out = out;
	buf_add(out, name, namelen);
	buf_add(out, ":", 1);
	h->col = namelen + 1;
	h->ntok = 0;
}

/* One token; RESERVE more octets (a ";" or ",") follow it on its line. */
static void
hdr_token(struct hdr *h, const char *tok, size_t len, size_t reserve)
{
	if (h->ntok > 0 && h->col + 1 + len + reserve > MIME_LINE_SOFT) {
		buf_add(h->out, "\r\n ", 3);
		h->col = 1;
	} else {
		buf_add(h->out, " ", 1);
		h->col++;
	}
	buf_add(h->out, tok, len);
	h->col += len;
	h->ntok++;
}

/* Bytes glued to the last token. */
static void
hdr_glue(struct hdr *h, const char *s, size_t len)
{
	buf_add(h->out, s, len);
	h->col += len;
}

/*
 * Text as it is, folded before a run of white space where a line would
 * pass 78 octets.  -1, and nothing written, when a word is too long for
 * a line of 998.
 */
static int
hdr_text(struct hdr *h, const char *s, size_t len)
{
	size_t	i, ws, first = 0;

	for (i = 0; i < len; ) {
		ws = i;
		while (i < len && is_wsp(s[i]))
			i++;
		while (i < len && !is_wsp(s[i]))
			i++;
		if (ws == 0)
			first = i;
		if (i - ws > MIME_LONG_WORD)
			return -1;
	}
	if (h->col + 1 + first > MIME_LONG_WORD)
		return -1;

	buf_add(h->out, " ", 1);
	h->col++;
	for (i = 0; i < len; ) {
		ws = i;
		while (i < len && is_wsp(s[i]))
			i++;
		while (i < len && !is_wsp(s[i]))
			i++;
		/* Never a fold first, nor one that leaves a blank line. */
		if (ws > 0 && i > ws && !is_wsp(s[i - 1]) &&
		    h->col + (i - ws) > MIME_LINE_SOFT) {
			buf_add(h->out, "\r\n", 2);
			h->col = 0;
		}
		buf_add(h->out, s + ws, i - ws);
		h->col += i - ws;
	}
	h->ntok++;
	return 0;
}

static bool
q_literal(unsigned char c)
{
	/* RFC 2047 5 (3): the characters allowed in a phrase too. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/';
}

static size_t
q_len(const unsigned char *s, size_t n)
{
	size_t	i, len = 0;

	for (i = 0; i < n; i++)
		len += q_literal(s[i]) || s[i] == ' ' ? 1 : 3;
	return len;
}

/*
 * S as RFC 2047 encoded words in MODE, each at most 75 octets (less for
 * a first word on the name's line), never splitting a UTF-8 character.
 */
static void
hdr_words_mode(struct hdr *h, const unsigned char *s, size_t len,
    enum ew_mode mode, size_t reserve)
{
	struct buf	w;
	size_t		i, j, n, c, max, room;

	buf_init(&w, 0);
	for (i = 0; i < len; i = j) {
		max = MIME_WORD_MAX;
		if (h->ntok == 0 && h->col + 1 < MIME_LINE_SOFT) {
			room = MIME_LINE_SOFT - h->col - 1;
			if (room < max && room >= MIME_WORD_MIN)
				max = room;
		}
		max -= MIME_WORD_WRAP;
		if (mode == EW_B)
			max = max / 4 * 3;	/* bytes */
		for (j = i, n = 0; j < len; j += c) {
			c = u8_len(s + j, len - j);
			n += mode == EW_B ? c : q_len(s + j, c);
			if (n > max && j > i)
				break;
		}
		buf_reset(&w);
		buf_addstr(&w, mode == EW_B ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (mode == EW_B)
			b64_encode(&w, s + i, j - i);
		else {
			for (n = i; n < j; n++) {
				if (s[n] == ' ')
					buf_add(&w, "_", 1);
				else if (q_literal(s[n]))
					buf_add(&w, s + n, 1);
				else
					buf_printf(&w, "=%c%c",
					    hexdigits[s[n] >> 4],
					    hexdigits[s[n] & 15]);
			}
		}
		buf_add(&w, "?=", 2);
		hdr_token(h, buf_head(&w), buf_avail(&w),
		    j < len ? 0 : reserve);
	}
	buf_free(&w);
}

/* Encoded words, B or Q, whichever is shorter. */
static void
hdr_words(struct hdr *h, const char *s, size_t len, size_t reserve)
{
	struct buf	bb, bq;
	struct hdr	hb = *h, hq = *h;

	buf_init(&bb, 0);
	buf_init(&bq, 0);
	hb.out = &bb;
	hq.out = &bq;
	hdr_words_mode(&hb, (const unsigned char *)s, len, EW_B, reserve);
	hdr_words_mode(&hq, (const unsigned char *)s, len, EW_Q, reserve);
	if (buf_avail(&bb) < buf_avail(&bq)) {
		buf_add(h->out, buf_head(&bb), buf_avail(&bb));
		h->col = hb.col;
		h->ntok = hb.ntok;
	} else {
		buf_add(h->out, buf_head(&bq), buf_avail(&bq));
		h->col = hq.col;
		h->ntok = hq.ntok;
	}
	buf_free(&bb);
	buf_free(&bq);
}

/* Unstructured text (Subject): raw when it may be, else encoded words. */
static void
hdr_unstructured(struct hdr *h, const char *s, size_t len, bool utf8,
    bool *hdr8)
{
	bool	eight = has8bit(s, len);

	if ((eight && !utf8) || hdr_text(h, s, len) == -1) {
		hdr_words(h, s, len, 0);
		return;
	}
	if (eight && hdr8 != NULL)
		*hdr8 = true;
}

void
mime_encode_header(struct buf *out, const char *name, const char *value,
    size_t len)
{
	struct hdr	h;

	hdr_start(&h, out, name, strlen(name));
	hdr_unstructured(&h, value, len, false, NULL);
}

/*
 * Addresses.  A mailbox is "addr", "<addr>", "Name <addr>" or
 * "\"Name\" <addr>"; the "<" is the first outside a quoted string.
 */
struct mbox {
	const char	*name;
	size_t		 namelen;
	const char	*addr;
	size_t		 addrlen;
};

/* The first C outside a quoted string in S, or LEN. */
static size_t
find_unquoted(const char *s, size_t len, char c)
{
	size_t	i;
	bool	quoted = false;

	for (i = 0; i < len; i++) {
		if (quoted && s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == c)
			return i;
	}
	return len;
}

const char *
mime_addr_spec(const char *mailbox, size_t *len)
{
	const char	*s = mailbox;
	size_t		 n = strlen(mailbox), lt, gt;

	lt = find_unquoted(s, n, '<');
	if (lt < n) {
		s += lt + 1;
		n -= lt + 1;
		for (gt = 0; gt < n && s[gt] != '>'; gt++)
			;
		n = gt;
	}
	trim(&s, &n);
	*len = n;
	return s;
}

static int
parse_mailbox(struct mime_ctx *x, const char *s, size_t len, const char *what,
    struct mbox *mb)
{
	size_t	lt, gt;

	memset(mb, 0, sizeof(*mb));
	lt = find_unquoted(s, len, '<');
	if (lt < len) {
		mb->name = s;
		mb->namelen = lt;
		trim(&mb->name, &mb->namelen);
		for (gt = lt + 1; gt < len && s[gt] != '>'; gt++)
			;
		if (gt == len)
			return seterr(x->errstr, MIME_ERR "%s \"%.*s\" lacks "
			    "a closing \">\"", what, (int)len, s);
		mb->addr = s + lt + 1;
		mb->addrlen = gt - lt - 1;
		for (gt++; gt < len; gt++)
			if (!is_wsp(s[gt]))
				return seterr(x->errstr, MIME_ERR "%s \"%.*s\" "
				    "has text after \">\"", what, (int)len, s);
	} else {
		mb->addr = s;
		mb->addrlen = len;
	}
	trim(&mb->addr, &mb->addrlen);
	if (mb->addrlen == 0)
		return seterr(x->errstr, MIME_ERR "%s \"%.*s\" has no address",
		    what, (int)len, s);
	if (mb->addrlen > MIME_ADDR_MAX)
		return seterr(x->errstr, MIME_ERR "%s is longer than %d octets",
		    what, MIME_ADDR_MAX);
	if (has8bit(mb->addr, mb->addrlen) && !x->m->utf8)
		return seterr(x->errstr, MIME_ERR "address %.*s is not ASCII "
		    "and the server does not advertise SMTPUTF8",
		    (int)mb->addrlen, mb->addr);
	return 0;
}

static bool
is_special(unsigned char c)
{
	return c < 0x20 || c == 0x7f || strchr("()<>[]:;@\\,.\"", c) != NULL;
}

/* One mailbox; LAST: no comma after it. */
static void
render_mailbox(struct mime_ctx *x, struct hdr *h, const struct mbox *mb,
    bool last)
{
	struct buf	 name, tok;
	const char	*s;
	size_t		 i, n, w, reserve = last ? 0 : 1;
	bool		 quote = false;

	if (has8bit(mb->addr, mb->addrlen))
		x->hdr8 = true;
	if (mb->namelen == 0) {
		hdr_token(h, mb->addr, mb->addrlen, reserve);
		goto done;
	}

	/* The display name without its quotes, then as it will be sent. */
	buf_init(&name, 0);
	buf_init(&tok, 0);
	s = mb->name;
	n = mb->namelen;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		quote = true;
		for (i = 1; i + 1 < n; i++) {
			if (s[i] == '\\' && i + 2 < n)
				i++;
			buf_add(&name, s + i, 1);
		}
	} else
		buf_add(&name, s, n);
	s = buf_head(&name);
	n = buf_avail(&name);
	for (i = 0; i < n; i++)
		if (is_special((unsigned char)s[i]))
			quote = true;

	if ((has8bit(s, n) && !x->m->utf8) || n > MIME_LONG_WORD)
		hdr_words(h, s, n, 0);
	else if (quote) {
		buf_add(&tok, "\"", 1);
		for (i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				buf_add(&tok, "\\", 1);
			buf_add(&tok, s + i, 1);
		}
		buf_add(&tok, "\"", 1);
		hdr_token(h, buf_head(&tok), buf_avail(&tok), 0);
	} else {
		for (i = 0; i < n; i = w) {
			while (i < n && is_wsp(s[i]))
				i++;
			for (w = i; w < n && !is_wsp(s[w]); w++)
				;
			if (w > i)
				hdr_token(h, s + i, w - i, 0);
		}
	}
	if (has8bit(s, n) && x->m->utf8)
		x->hdr8 = true;
	buf_reset(&tok);
	buf_printf(&tok, "<%.*s>", (int)mb->addrlen, mb->addr);
	hdr_token(h, buf_head(&tok), buf_avail(&tok), reserve);
	buf_free(&name);
	buf_free(&tok);
done:
	if (!last)
		hdr_glue(h, ",", 1);
}

/* A comma-separated list: the items outside quotes and angle brackets. */
static int
render_addr_list(struct mime_ctx *x, struct hdr *h, const char *s,
    size_t len, const char *what)
{
	struct mbox	 mb;
	size_t		 i, start, nitems = 0, item;
	bool		 quoted = false;
	int		 angle = 0;
	const char	*p;
	size_t		 n;
	struct {
		const char	*s;
		size_t		 len;
	}		*items = NULL;

	for (i = start = 0; i <= len; i++) {
		if (i < len && quoted && s[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (i < len && s[i] == '"')
			quoted = !quoted;
		else if (i < len && !quoted && s[i] == '<')
			angle++;
		else if (i < len && !quoted && s[i] == '>' && angle > 0)
			angle--;
		else if (i == len || (!quoted && angle == 0 && s[i] == ',')) {
			p = s + start;
			n = i - start;
			trim(&p, &n);
			if (n > 0) {
				items = xrealloc(items,
				    (nitems + 1) * sizeof(*items));
				items[nitems].s = p;
				items[nitems++].len = n;
			}
			start = i + 1;
		}
	}
	for (item = 0; item < nitems; item++) {
		if (parse_mailbox(x, items[item].s, items[item].len, what,
		    &mb) == -1) {
			free(items);
			return -1;
		}
		render_mailbox(x, h, &mb, item + 1 == nitems);
	}
	free(items);
	return 0;
}

/* RFC 2231 7: what an extended value holds as it is. */
static bool
attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

/*
 * A parameter: name="value" when it may be quoted, else RFC 2231
 * (name*=utf-8''%XX...), in sections (name*0*=...) when it is long.
 * LAST: no ";" after it.
 */

static void
render_param(struct mime_ctx *x, struct hdr *h, const char *pname,
    const char *v, size_t len, bool last)
{
	struct buf	 val, tok;
	const char	*s;
	size_t		 i, c, w, n, room, sect = 0, reserve = last ? 0 : 1;
	bool		 ctl = false, eight = has8bit(v, len), rfc2231;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			ctl = true;
	rfc2231 = ctl || (eight && !x->m->utf8);
	if (eight && !rfc2231)
		x->hdr8 = true;

	/* The value, quoted or %-encoded, then cut into sections. */
	buf_init(&val, 0);
	buf_init(&tok, 0);
	for (i = 0; i < len; i++) {
		if (!rfc2231) {
			if (v[i] == '"' || v[i] == '\\')
				buf_add(&val, "\\", 1);
			buf_add(&val, v + i, 1);
		} else if (attr_char((unsigned char)v[i]))
			buf_add(&val, v + i, 1);
		else
			buf_printf(&val, "%%%c%c",
			    hexdigits[(unsigned char)v[i] >> 4],
			    hexdigits[(unsigned char)v[i] & 15]);
	}
	s = buf_head(&val);
	n = buf_avail(&val);
	if (strlen(pname) + n + 12 <= MIME_LINE_SOFT - 2) {
		if (rfc2231)
			buf_printf(&tok, "%s*=utf-8''%.*s", pname, (int)n, s);
		else
			buf_printf(&tok, "%s=\"%.*s\"", pname, (int)n, s);
		hdr_token(h, buf_head(&tok), buf_avail(&tok), reserve);
		if (!last)
			hdr_glue(h, ";", 1);
		goto done;
	}
	for (i = 0; i < n; i += c, sect++) {
		/*
		 * " name*10*=" and ";" around a section on a line of its
		 * own, "utf-8''" before the first; whole %XX, escapes and
		 * UTF-8 characters in it.
		 */
		room = MIME_LINE_SOFT - strlen(pname) - 8 -
		    (sect == 0 ? 7 : 0);
		if (room < MIME_PARAM_MIN || room > MIME_LINE_SOFT)
			room = MIME_PARAM_MIN;
		for (c = 0; i + c < n; ) {
			if (rfc2231 && s[i + c] == '%')
				w = 3;
			else if (s[i + c] == '\\')
				w = 2;
			else
				w = u8_len((const unsigned char *)s + i + c,
				    n - i - c);
			if (c > 0 && c + w > room)
				break;
			c += w;
		}
		buf_reset(&tok);
		if (rfc2231)
			buf_printf(&tok, "%s*%zu*=%s%.*s", pname, sect,
			    sect == 0 ? "utf-8''" : "", (int)c, s + i);
		else
			buf_printf(&tok, "%s*%zu=\"%.*s\"", pname, sect,
			    (int)c, s + i);
		hdr_token(h, buf_head(&tok), buf_avail(&tok),
		    i + c < n ? 1 : reserve);
		if (i + c < n || !last)
			hdr_glue(h, ";", 1);
	}
done:
	buf_free(&val);
	buf_free(&tok);
}

/*
 * Bodies.  Quoted-printable (RFC 2045 6.7) of text with CRLF line ends:
 * lines of at most 76 octets with soft breaks, "=" and 8-bit bytes as
 * =XX, white space at a line end encoded, and also "." and "From " at the
 * start of a line, which some transports treat specially.  Does the octet
 * at S, COL octets into a line with LEFT octets left, need =XX?
 */
static bool
qp_escape(const char *s, size_t left, size_t col)
{
	unsigned char	c = (unsigned char)s[0];

	if (c == '=' || c > 126 || (c < 33 && !is_wsp(c)))
		return true;
	if (is_wsp(c) && left == 1)
		return true;
	return col == 0 && (c == '.' ||
	    (left >= 5 && memcmp(s, "From ", 5) == 0));
}

static void
qp_encode(struct buf *out, const char *s, size_t len)
{
	size_t		i, end, col, rl;
	char		rep[3];
	unsigned char	c;

	for (i = 0; i < len; ) {
		for (end = i; end < len && s[end] != '\r'; end++)
			;
		for (col = 0; i < end; i++) {
			c = (unsigned char)s[i];
			/* The last octet of a line needs no room for "=". */
			rl = qp_escape(s + i, end - i, col) ? 3 : 1;
			if (col + rl > (i + 1 == end ? MIME_QP_LINE :
			    MIME_QP_LINE - 1)) {
				buf_add(out, "=\r\n", 3);
				col = 0;
				rl = qp_escape(s + i, end - i, col) ? 3 : 1;
			}
			if (rl == 1)
				rep[0] = (char)c;
			else {
				rep[0] = '=';
				rep[1] = hexdigits[c >> 4];
				rep[2] = hexdigits[c & 15];
			}
			buf_add(out, rep, rl);
			col += rl;
		}
		if (end < len) {
			buf_add(out, "\r\n", 2);
			i = end + 2;
		}
	}
}

/* The longest line of S (CRLF line ends), in octets. */
static size_t
longest_line(const char *s, size_t len)
{
	size_t	i, start = 0, max = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			if (i - start > max)
				max = i - start;
			start = i + 1;
		}
	}
	return len - start > max ? len - start : max;
}

static void
part_init(struct mime_part *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->ct, 0);
	buf_init(&p->cte, 0);
	buf_init(&p->disp, 0);
	buf_init(&p->body, 0);
}

static void
part_free(struct mime_part *p)
{
	buf_free(&p->ct);
	buf_free(&p->cte);
	buf_free(&p->disp);
	buf_free(&p->body);
}

/*
 * A Content-Type line: TYPE, then the parameter PNAME="VALUE" if any, or
 * PNAME=VALUE when BARE.
 */
static void
part_type(struct mime_ctx *x, struct mime_part *p, const char *type,
    const char *pname, const char *value, size_t len, bool bare)
{
	struct hdr	 h;
	char		*tok;
	size_t		 n;

	hdr_start(&h, &p->ct, "Content-Type", strlen("Content-Type"));
	hdr_token(&h, type, strlen(type), pname != NULL ? 1 : 0);
	if (pname != NULL && bare) {
		hdr_glue(&h, ";", 1);
		tok = xmalloc(strlen(pname) + len + 2);
		n = (size_t)snprintf(tok, strlen(pname) + len + 2, "%s=%.*s",
		    pname, (int)len, value);
		hdr_token(&h, tok, n, 0);
		free(tok);
	} else if (pname != NULL) {
		hdr_glue(&h, ";", 1);
		render_param(x, &h, pname, value, len, true);
	}
	buf_add(&p->ct, "\r\n", 2);
}

/* The text or the HTML: 7bit, 8bit (SMTPUTF8) or quoted-printable. */
static int
text_part(struct mime_ctx *x, struct mime_part *p, const char *type,
    const char *s, size_t len, const char *what)
{
	struct buf	 norm;
	const char	*t, *cte;
	size_t		 n, nul = 0;
	bool		 eight;

	buf_init(&norm, 0);
	if (data_normalize(&norm, s, len, &nul) == -1) {
		buf_free(&norm);
		return seterr(x->errstr, MIME_ERR "the %s has a NUL at offset "
		    "%zu", what, nul);
	}
	t = buf_head(&norm);
	n = buf_avail(&norm);
	eight = has8bit(t, n);
	if (longest_line(t, n) > MIME_LINE_HARD || (eight && !x->m->utf8))
		cte = "quoted-printable";
	else
		cte = eight ? "8bit" : "7bit";
	part_type(x, p, type, "charset", eight ? "utf-8" : "us-ascii",
	    eight ? 5 : 8, true);
	buf_printf(&p->cte, "Content-Transfer-Encoding: %s\r\n", cte);
	if (cte[0] == 'q')
		qp_encode(&p->body, t, n);
	else
		buf_add(&p->body, t, n);
	buf_free(&norm);
	return 0;
}

/*
 * RFC 2046 5.2.1: a message/rfc822 body is 7bit, 8bit or binary, never
 * base64.  Its lines end in CRLF (a file on disk often has bare LFs);
 * 8-bit text goes as 8bit when SMTPUTF8 (and so 8BITMIME) is there.  -1
 * when it cannot go so (a NUL, a line longer than 998 octets, 8-bit text
 * without SMTPUTF8).
 */
static int
message_body(struct mime_ctx *x, struct mime_part *p,
    const struct mime_attachment *a)
{
	struct buf	 norm;
	const char	*t;
	size_t		 n, nul;
	bool		 eight;
	int		 rc = -1;

	buf_init(&norm, 0);
	if (data_normalize(&norm, (const char *)a->data, a->len, &nul) == 0) {
		t = buf_head(&norm);
		n = buf_avail(&norm);
		eight = has8bit(t, n);
		if (longest_line(t, n) <= MIME_LINE_HARD &&
		    (!eight || x->m->utf8)) {
			buf_printf(&p->cte, "Content-Transfer-Encoding: %s\r\n",
			    eight ? "8bit" : "7bit");
			buf_add(&p->body, t, n);
			rc = 0;
		}
	}
	buf_free(&norm);
	return rc;
}

static int
attachment_part(struct mime_ctx *x, struct mime_part *p,
    const struct mime_attachment *a, size_t idx)
{
	struct hdr	 h;
	const char	*type, *why;
	size_t		 namelen = a->name != NULL ? strlen(a->name) : 0;
	bool		 message;

	if ((why = bad_char(a->name, namelen)) != NULL)
		return seterr(x->errstr, MIME_ERR "the name of attachment %zu "
		    "contains %s", idx + 1, why);
	if (a->type != NULL && a->type[0] != '\0') {
		type = a->type;
		if ((why = bad_char(type, strlen(type))) != NULL ||
		    has8bit(type, strlen(type)) || strchr(type, '/') == NULL)
			return seterr(x->errstr, MIME_ERR "the content type "
			    "\"%s\" of attachment %zu is not type/subtype",
			    type, idx + 1);
	} else
		type = mime_type_of(a->name != NULL ? a->name : "");

	/*
	 * A message that cannot go as it is goes as base64: as octets when
	 * its type came from its name, as the type given if one was.
	 */
	message = strncasecmp(type, "message/", 8) == 0;
	if (message && message_body(x, p, a) == -1) {
		message = false;
		if (a->type == NULL || a->type[0] == '\0')
			type = "application/octet-stream";
	}
	if (!message) {
		buf_addstr(&p->cte, "Content-Transfer-Encoding: base64\r\n");
		b64_lines(&p->body, a->data, a->len);
	}

	part_type(x, p, type, namelen > 0 ? "name" : NULL, a->name, namelen,
	    false);
	hdr_start(&h, &p->disp, "Content-Disposition",
	    strlen("Content-Disposition"));
	hdr_token(&h, "attachment", 10, namelen > 0 ? 1 : 0);
	if (namelen > 0) {
		hdr_glue(&h, ";", 1);
		render_param(x, &h, "filename", a->name, namelen, true);
	}
	buf_add(&p->disp, "\r\n", 2);
	return 0;
}

/* A part as it goes inside a multipart: headers, blank line, body. */
static void
part_append(struct buf *out, const struct mime_part *p)
{
	buf_add(out, buf_head(&p->ct), buf_avail(&p->ct));
	buf_add(out, buf_head(&p->disp), buf_avail(&p->disp));
	buf_add(out, buf_head(&p->cte), buf_avail(&p->cte));
	buf_add(out, "\r\n", 2);
	buf_add(out, buf_head(&p->body), buf_avail(&p->body));
}

/* A multipart of PARTS: its Content-Type into P->ct, its body. */
static void
multipart(struct mime_ctx *x, struct mime_part *p, const char *subtype,
    const char *boundary, struct mime_part *const *parts, size_t n)
{
	struct buf	type;
	size_t		i;

	buf_init(&type, 0);
	buf_printf(&type, "multipart/%s", subtype);
	part_type(x, p, buf_head(&type), "boundary", boundary,
	    strlen(boundary), false);
	buf_free(&type);
	for (i = 0; i < n; i++) {
		buf_printf(&p->body, "--%s\r\n", boundary);
		part_append(&p->body, parts[i]);
		buf_add(&p->body, "\r\n", 2);
	}
	buf_printf(&p->body, "--%s--", boundary);
	p->is_multi = true;
}

static bool
part_holds(const struct mime_part *p, const char *s)
{
	const struct buf	*b[] = { &p->ct, &p->cte, &p->disp, &p->body };
	size_t			 i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (memmem(buf_head(b[i]), buf_avail(b[i]), s,
		    strlen(s)) != NULL)
			return true;
	return false;
}

/*
 * A boundary from the hash, "=_smtptool_<hex>_SUFFIX": the same message
 * gets the same boundaries.  "=_" never occurs in quoted-printable or
 * base64; for text sent as it is, another is derived until none of the
 * parts holds it.
 */
static void
make_boundary(struct mime_ctx *x, char *dst, size_t sz, const char *suffix,
    struct mime_part *const *parts, size_t n)
{
	unsigned char	seed[sizeof(x->digest) + 4], d[32];
	const unsigned char *h = x->digest + MIME_ID_HEX;
	uint32_t	attempt;
	size_t		i, len;

	for (attempt = 0;; attempt++) {
		if (attempt > 0) {
			memcpy(seed, x->digest, sizeof(x->digest));
			for (i = 0; i < 4; i++)
				seed[sizeof(x->digest) + i] =
				    (unsigned char)(attempt >> (24 - 8 * i));
			gnutls_hash_fast(GNUTLS_DIG_SHA256, seed, sizeof(seed),
			    d);
			h = d;
		}
		len = (size_t)snprintf(dst, sz, "=_smtptool_");
		for (i = 0; i < MIME_BND_HEX && len + 2 < sz; i++) {
			dst[len++] = hexlower[h[i] >> 4];
			dst[len++] = hexlower[h[i] & 15];
		}
		snprintf(dst + len, sz - len, "_%s", suffix);
		for (i = 0; i < n; i++)
			if (part_holds(parts[i], dst))
				break;
		if (i == n)
			return;
	}
}

static void
hash_count(gnutls_hash_hd_t hd, size_t n)
{
	unsigned char	b[8];
	uint64_t	v = n;
	int		i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	gnutls_hash(hd, b, sizeof(b));
}

static void
hash_field(gnutls_hash_hd_t hd, const void *p, size_t len)
{
	/* NULL (no subject) differs from "" by a length no field has. */
	hash_count(hd, p == NULL ? SIZE_MAX : len);
	if (p != NULL && len > 0)
		gnutls_hash(hd, p, len);
}

static void
hash_str(gnutls_hash_hd_t hd, const char *s)
{
	hash_field(hd, s, s != NULL ? strlen(s) : 0);
}

static int
hdr_is(const char *line, const char *name)
{
	size_t	n = strlen(name);

	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/*
 * The Message-ID and the boundaries: a hash of every field but the Date,
 * each after its length, so that two messages never hash alike because
 * a field's end moved.
 */
static int
message_hash(struct mime_ctx *x)
{
	const struct mime_message	*m = x->m;
	const struct mime_attachment	*a;
	gnutls_hash_hd_t		 hd;
	size_t				 i;
	int				 rc;

	if ((rc = gnutls_hash_init(&hd, GNUTLS_DIG_SHA256)) < 0)
		return seterr(x->errstr, MIME_ERR "cannot hash it: %s",
		    gnutls_strerror(rc));
	hash_str(hd, m->from);
	hash_count(hd, m->nto);
	for (i = 0; i < m->nto; i++)
		hash_str(hd, m->to[i]);
	hash_count(hd, m->ncc);
	for (i = 0; i < m->ncc; i++)
		hash_str(hd, m->cc[i]);
	hash_str(hd, m->subject);
	hash_field(hd, m->text, m->textlen);
	hash_field(hd, m->html, m->htmllen);
	hash_count(hd, m->natt);
	for (i = 0; i < m->natt; i++) {
		a = &m->att[i];
		hash_str(hd, a->name);
		hash_str(hd, a->type != NULL ? a->type :
		    mime_type_of(a->name != NULL ? a->name : ""));
		hash_field(hd, a->data != NULL ? a->data : (const void *)"",
		    a->len);
	}
	for (i = 0; i < m->nheaders; i++)
		if (!hdr_is(m->headers[i], "Date"))
			hash_str(hd, m->headers[i]);
	gnutls_hash_deinit(hd, x->digest);
	return 0;
}

/* A Message-ID right side: no space, no "<>@" nor controls. */
static bool
good_domain(struct mime_ctx *x, const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > MIME_DOMAIN_MAX ||
	    (has8bit(s, len) && !x->m->utf8))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
		    strchr("<>@\"\\()[],;:", s[i]) != NULL)
			return false;
	return true;
}

static void
message_domain(struct mime_ctx *x, const char *from)
{
	const char	*addr, *at;
	size_t		 len = 0;

	if (from != NULL) {
		addr = mime_addr_spec(from, &len);
		for (at = addr + len; at > addr && at[-1] != '@'; at--)
			;
		if (at > addr && good_domain(x, at, len - (size_t)(at - addr))) {
			snprintf(x->domain, sizeof(x->domain), "%.*s",
			    (int)(len - (size_t)(at - addr)), at);
			return;
		}
	}
	if (x->m->hostname != NULL &&
	    good_domain(x, x->m->hostname, strlen(x->m->hostname)))
		snprintf(x->domain, sizeof(x->domain), "%s", x->m->hostname);
	else
		snprintf(x->domain, sizeof(x->domain), "smtptool.invalid");
}

/* RFC 5322 3.3: "Tue, 01 Dec 2026 00:57:08 +0000". */
static int
format_date(struct mime_ctx *x)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm	tm;
	time_t		t;
	int		off = x->m->tzoff, a = off < 0 ? -off : off;

	if (off <= -24 * 60 || off >= 24 * 60)
		return seterr(x->errstr, MIME_ERR "the time zone offset %d "
		    "minutes is out of range", off);
	/* Years 1900 to 9999. */
	if (x->m->date < -2208988800LL || x->m->date > 253402300799LL)
		return seterr(x->errstr, MIME_ERR "the date %lld is out of "
		    "range", (long long)x->m->date);
	t = (time_t)(x->m->date + (int64_t)off * 60);
	if (gmtime_r(&t, &tm) == NULL)
		return seterr(x->errstr, MIME_ERR "the date %lld is out of "
		    "range", (long long)x->m->date);
	snprintf(x->date, sizeof(x->date),
	    "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', a / 60, a % 60);
	return 0;
}

/* The length of an extra header's name, 0 when it has none. */
static size_t
header_name(const char *line)
{
	size_t	i;

	for (i = 0; line[i] != '\0' && line[i] != ':'; i++)
		if ((unsigned char)line[i] <= 32 || line[i] == 127)
			return 0;
	return line[i] == ':' ? i : 0;
}

static int
check_inputs(struct mime_ctx *x)
{
	const struct mime_message	*m = x->m;
	const char			*why;
	size_t				 i;
	bool				 from = m->from != NULL &&
					    m->from[0] != '\0', to = m->nto > 0;

	if (m->from != NULL && (why = bad_char(m->from,
	    strlen(m->from))) != NULL)
		return seterr(x->errstr, MIME_ERR "the From address contains "
		    "%s", why);
	for (i = 0; i < m->nto; i++)
		if ((why = bad_char(m->to[i], strlen(m->to[i]))) != NULL)
			return seterr(x->errstr, MIME_ERR "To address %zu "
			    "contains %s", i + 1, why);
	for (i = 0; i < m->ncc; i++)
		if ((why = bad_char(m->cc[i], strlen(m->cc[i]))) != NULL)
			return seterr(x->errstr, MIME_ERR "Cc address %zu "
			    "contains %s", i + 1, why);
	if (m->subject != NULL && (why = bad_char(m->subject,
	    strlen(m->subject))) != NULL)
		return seterr(x->errstr, MIME_ERR "the Subject contains %s",
		    why);
	for (i = 0; i < m->nheaders; i++) {
		if ((why = bad_char(m->headers[i],
		    strlen(m->headers[i]))) != NULL)
			return seterr(x->errstr, MIME_ERR "header %zu "
			    "contains %s", i + 1, why);
		if (header_name(m->headers[i]) == 0)
			return seterr(x->errstr, MIME_ERR "header %zu "
			    "(\"%.40s\") is not \"Name: value\"", i + 1,
			    m->headers[i]);
		if (hdr_is(m->headers[i], "From"))
			from = true;
		if (hdr_is(m->headers[i], "To"))
			to = true;
	}
	if (!from)
		return seterr(x->errstr, MIME_ERR "no From address");
	if (!to)
		return seterr(x->errstr, MIME_ERR "no To recipient");
	return 0;
}

/* A generated header; 1 when there is none (no Cc, no Subject). */
static int
render_generated(struct mime_ctx *x, struct buf *out, enum mime_hdr which,
    struct mime_info *info, const struct mime_part *top)
{
	const struct mime_message	*m = x->m;
	const char *const		*list;
	struct hdr			 h;
	struct mbox			 mb;
	size_t				 i, n;
	const char			*name = mime_hdr_names[which];

	switch (which) {
	case MIME_H_DATE:
		buf_printf(out, "Date: %s", x->date);
		break;
	case MIME_H_FROM:
		if (m->from == NULL || m->from[0] == '\0')
			return 1;
		hdr_start(&h, out, name, strlen(name));
		if (parse_mailbox(x, m->from, strlen(m->from), "the From "
		    "address", &mb) == -1)
			return -1;
		render_mailbox(x, &h, &mb, true);
		break;
	case MIME_H_TO:
	case MIME_H_CC:
		list = which == MIME_H_TO ? m->to : m->cc;
		n = which == MIME_H_TO ? m->nto : m->ncc;
		if (n == 0)
			return 1;
		hdr_start(&h, out, name, strlen(name));
		for (i = 0; i < n; i++) {
			if (parse_mailbox(x, list[i], strlen(list[i]),
			    which == MIME_H_TO ? "a To address" :
			    "a Cc address", &mb) == -1)
				return -1;
			render_mailbox(x, &h, &mb, i + 1 == n);
		}
		break;
	case MIME_H_SUBJECT:
		if (m->subject == NULL)
			return 1;
		hdr_start(&h, out, name, strlen(name));
		hdr_unstructured(&h, m->subject, strlen(m->subject), m->utf8,
		    &x->hdr8);
		break;
	case MIME_H_MESSAGE_ID:
		buf_printf(out, "Message-ID: %s", info->message_id);
		break;
	case MIME_H_MIME_VERSION:
		buf_addstr(out, "MIME-Version: 1.0");
		break;
	case MIME_H_CONTENT_TYPE:
		/* Parts' header lines carry their CRLF. */
		buf_add(out, buf_head(&top->ct), buf_avail(&top->ct) - 2);
		break;
	case MIME_H_CTE:
		if (buf_avail(&top->cte) == 0)
			return 1;
		buf_add(out, buf_head(&top->cte), buf_avail(&top->cte) - 2);
		break;
	default:
		abort();
	}
	buf_add(out, "\r\n", 2);
	return 0;
}

/*
 * An extra header: an address list or the Subject rendered like ours,
 * anything else as it is when it fits on a line of 998 octets (folded if
 * not), non-ASCII text encoded unless SMTPUTF8 allows it.
 */
static int
render_extra(struct mime_ctx *x, struct buf *out, const char *line,
    size_t idx, struct mime_info *info)
{
	const struct mime_message	*m = x->m;
	struct hdr			 h;
	const char			*v;
	size_t				 namelen = header_name(line), vlen, i;
	bool				 addr = false, eight;
	char				 what[64];

	v = line + namelen + 1;
	vlen = strlen(v);
	trim(&v, &vlen);
	eight = has8bit(v, vlen);
	for (i = 0; i < sizeof(mime_addr_headers) /
	    sizeof(mime_addr_headers[0]); i++)
		if (hdr_is(line, mime_addr_headers[i]))
			addr = true;
	if (hdr_is(line, "Message-ID"))
		snprintf(info->message_id, sizeof(info->message_id), "%.*s",
		    (int)vlen, v);
	if (!addr && !hdr_is(line, "Subject") && (!eight || m->utf8) &&
	    strlen(line) <= MIME_LINE_HARD) {
		/* As it was given. */
		if (eight)
			x->hdr8 = true;
		buf_addstr(out, line);
		buf_add(out, "\r\n", 2);
		return 0;
	}

	hdr_start(&h, out, line, namelen);
	if (addr) {
		snprintf(what, sizeof(what), "an address in header %zu",
		    idx + 1);
		if (render_addr_list(x, &h, v, vlen, what) == -1)
			return -1;
	} else if (hdr_is(line, "Subject") || (eight && !m->utf8))
		hdr_unstructured(&h, v, vlen, m->utf8, &x->hdr8);
	else if (hdr_text(&h, v, vlen) == -1)
		return seterr(x->errstr, MIME_ERR "header %zu has a word too "
		    "long for a line of %d octets", idx + 1, MIME_LINE_HARD);
	else if (eight)
		x->hdr8 = true;
	buf_add(out, "\r\n", 2);
	return 0;
}

static int
render_headers(struct mime_ctx *x, struct buf *out, struct mime_info *info,
    const struct mime_part *top)
{
	const struct mime_message	*m = x->m;
	size_t				 i;
	int				 which, found;
	bool				*used;

	used = xmalloc(m->nheaders + 1);
	memset(used, 0, m->nheaders + 1);
	for (which = 0; which < MIME_H_LAST; which++) {
		found = 0;
		for (i = 0; i < m->nheaders; i++) {
			if (!hdr_is(m->headers[i], mime_hdr_names[which]))
				continue;
			used[i] = true;
			found = 1;
			if (render_extra(x, out, m->headers[i], i, info) == -1)
				goto fail;
		}
		if (!found && render_generated(x, out, which, info, top) == -1)
			goto fail;
	}
	/* Bcc is envelope only, even as an extra header. */
	for (i = 0; i < m->nheaders; i++)
		if (!used[i] && !hdr_is(m->headers[i], "Bcc") &&
		    render_extra(x, out, m->headers[i], i, info) == -1)
			goto fail;
	free(used);
	return 0;
fail:
	free(used);
	return -1;
}

int
mime_build(const struct mime_message *m, struct buf *out,
    struct mime_info *info, char **errstr)
{
	struct mime_ctx		 x;
	struct mime_part	 text, html, alt, mixed, *atts = NULL, *top;
	struct mime_part	*leaves[3], **mixparts = NULL;
	struct buf		 msg;
	char			 altb[64], mixb[64];
	const char		*from;
	size_t			 i, nleaves = 0, nmix = 0;
	int			 rc = -1;
	bool			 has_text, has_html;

	memset(&x, 0, sizeof(x));
	x.m = m;
	x.errstr = errstr;
	memset(info, 0, sizeof(*info));
	part_init(&text);
	part_init(&html);
	part_init(&alt);
	part_init(&mixed);
	buf_init(&msg, 0);

	if (check_inputs(&x) == -1 || format_date(&x) == -1 ||
	    message_hash(&x) == -1)
		goto out;
	from = m->from;
	for (i = 0; (from == NULL || from[0] == '\0') && i < m->nheaders; i++)
		if (hdr_is(m->headers[i], "From"))
			from = m->headers[i] + 5;
	message_domain(&x, from);
	snprintf(info->message_id, sizeof(info->message_id), "<");
	for (i = 0; i < MIME_ID_HEX; i++)
		snprintf(info->message_id + 1 + 2 * i, 3, "%02x",
		    x.digest[i]);
	snprintf(info->message_id + 1 + 2 * MIME_ID_HEX,
	    sizeof(info->message_id) - 1 - 2 * MIME_ID_HEX, "@%s>", x.domain);

	/* The leaves. */
	has_text = m->text != NULL;
	has_html = m->html != NULL;
	if (has_text || (!has_html && m->natt == 0)) {
		if (text_part(&x, &text, "text/plain", m->text != NULL ?
		    m->text : "", m->textlen, "text") == -1)
			goto out;
		leaves[nleaves++] = &text;
		has_text = true;
	}
	if (has_html) {
		if (text_part(&x, &html, "text/html", m->html, m->htmllen,
		    "HTML") == -1)
			goto out;
		leaves[nleaves++] = &html;
	}
	if (m->natt > 0) {
		atts = xmalloc(m->natt * sizeof(*atts));
		for (i = 0; i < m->natt; i++)
			part_init(&atts[i]);
		for (i = 0; i < m->natt; i++)
			if (attachment_part(&x, &atts[i], &m->att[i], i) == -1)
				goto out;
	}

	/* The structure. */
	top = nleaves > 0 ? leaves[0] : NULL;
	if (has_text && has_html) {
		make_boundary(&x, altb, sizeof(altb), "alt", leaves, nleaves);
		multipart(&x, &alt, "alternative", altb, leaves, nleaves);
		top = &alt;
	}
	if (m->natt > 0) {
		mixparts = xmalloc((m->natt + 3) * sizeof(*mixparts));
		for (i = 0; i < nleaves; i++)
			mixparts[i] = leaves[i];
		for (i = 0; i < m->natt; i++)
			mixparts[nleaves + i] = &atts[i];
		make_boundary(&x, mixb, sizeof(mixb), "mix", mixparts,
		    nleaves + m->natt);
		if (top != NULL)
			mixparts[nmix++] = top;
		for (i = 0; i < m->natt; i++)
			mixparts[nmix++] = &atts[i];
		multipart(&x, &mixed, "mixed", mixb, mixparts, nmix);
		top = &mixed;
	}

	if (render_headers(&x, &msg, info, top) == -1)
		goto out;
	buf_add(&msg, "\r\n", 2);
	buf_add(&msg, buf_head(&top->body), buf_avail(&top->body));
	if (top->is_multi)
		buf_add(&msg, "\r\n", 2);

	info->size = buf_avail(&msg);
	info->eightbit = has8bit(buf_head(&msg), buf_avail(&msg));
	info->needs_utf8 = x.hdr8;
	if (buf_add(out, buf_head(&msg), buf_avail(&msg)) == -1) {
		seterr(errstr, MIME_ERR "it is larger than the buffer's "
		    "maximum");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		info->size = 0;
	part_free(&text);
	part_free(&html);
	part_free(&alt);
	part_free(&mixed);
	if (atts != NULL)
		for (i = 0; i < m->natt; i++)
			part_free(&atts[i]);
	free(atts);
	free(mixparts);
	buf_free(&msg);
	return rc;
}

static int
ext_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct mime_ext *)elem)->ext);
}

const char *
mime_type_of(const char *name)
{
	const struct mime_ext	*e;
	const char		*dot, *slash;

	if (name == NULL)
		return "application/octet-stream";
	if ((slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	if ((dot = strrchr(name, '.')) == NULL || dot == name)
		return "application/octet-stream";
	e = bsearch(dot + 1, mime_exts, sizeof(mime_exts) /
	    sizeof(mime_exts[0]), sizeof(mime_exts[0]), ext_cmp);
	return e != NULL ? e->type : "application/octet-stream";
}
