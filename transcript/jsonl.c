/*
 * The JSON Lines export: one object a record.  "text" is always valid UTF-8
 * and safe on a terminal (controls, C1, bidi and invisible format characters
 * as \u escapes); a byte that is not valid UTF-8 becomes U+FFFD there, and
 * the object then carries the exact bytes in "base64".
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
#include <unistd.h>

#include "transcript.h"
#include "tr_util.h"
#include "utf8.h"

static const char *const eol_names[TRANSCRIPT_EOL_LAST] = {
	"crlf", "lf", "none"
};


bool
transcript_json_string(FILE *fp, const char *p, size_t len)
{
	bool		valid = true;
	uint32_t	cp;
	size_t		i, n;

	putc('"', fp);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			fputs("\xef\xbf\xbd", fp);	/* U+FFFD */
			valid = false;
			n = 1;
		} else if (cp == '"' || cp == '\\') {
			putc('\\', fp);
			putc((int)cp, fp);
		} else if (utf8_is_unsafe(cp) && cp > 0xffff) {
			/* A surrogate pair (the tag characters). */
			cp -= 0x10000;
			fprintf(fp, "\\u%04" PRIx32 "\\u%04" PRIx32,
			    0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else if (utf8_is_unsafe(cp)) {
			fprintf(fp, "\\u%04" PRIx32, cp);
		} else
			fwrite(p + i, 1, n, fp);
	}
	putc('"', fp);
	return valid;
}

static void
write_base64(FILE *fp, const char *p, size_t len)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = (const unsigned char *)p;
	uint32_t		 v;
	size_t			 i;

	putc('"', fp);
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		putc(b64[v >> 18], fp);
		putc(b64[v >> 12 & 0x3f], fp);
		putc(b64[v >> 6 & 0x3f], fp);
		putc(b64[v & 0x3f], fp);
	}
	if (len - i == 1) {
		v = (uint32_t)s[i] << 16;
		putc(b64[v >> 18], fp);
		putc(b64[v >> 12 & 0x3f], fp);
		fputs("==", fp);
	} else if (len - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		putc(b64[v >> 18], fp);
		putc(b64[v >> 12 & 0x3f], fp);
		putc(b64[v >> 6 & 0x3f], fp);
		putc('=', fp);
	}
	putc('"', fp);
}

int
transcript_write_jsonl_record(FILE *fp, const struct transcript_record *r)
{
	if ((unsigned)r->eol >= TRANSCRIPT_EOL_LAST) {
		fprintf(stderr, "smtptool: %s: bad eol %d\n", __func__,
		    (int)r->eol);
		abort();
	}
	fprintf(fp, "{\"t\":%" PRIu64 ".%06" PRIu64 ",\"kind\":\"%s\","
	    "\"tls\":%s,\"text\":", r->t_us / 1000000, r->t_us % 1000000,
	    transcript_kind_name(r->kind),
	    (r->flags & TRANSCRIPT_TLS) ? "true" : "false");
	if (!transcript_json_string(fp, r->bytes, r->len)) {
		fputs(",\"base64\":", fp);
		write_base64(fp, r->bytes, r->len);
	}
	fprintf(fp, ",\"eol\":\"%s\"", eol_names[r->eol]);
	if (r->flags & TRANSCRIPT_RAW)
		fputs(",\"raw\":true", fp);
	if ((r->kind == TRANSCRIPT_SERVER || r->kind == TRANSCRIPT_SIMULATED) &&
	    r->code != 0)
		fprintf(fp, ",\"code\":%d,\"last\":%s", r->code,
		    r->last ? "true" : "false");
	if (r->latency_us >= 0)
		fprintf(fp, ",\"latency\":%" PRId64 ".%06" PRId64,
		    r->latency_us / 1000000, r->latency_us % 1000000);
	fputs("}\n", fp);
	return ferror(fp) ? -1 : 0;
}

int
transcript_export_jsonl(const struct transcript *t, const char *path,
    char **errstr)
{
	FILE	*fp;
	size_t	 i, n = transcript_count(t);
	int	 fd, error;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		error = errno;
		if (fd != -1)
			close(fd);
		tr_seterr(errstr, "cannot open %s: %s", path, strerror(error));
		return -1;
	}
	errno = 0;
	for (i = 0; i < n; i++) {
		if (transcript_write_jsonl_record(fp,
		    transcript_get(t, i)) == -1)
			break;
	}
	if (i < n || fflush(fp) == EOF) {
		error = errno;
		fclose(fp);
		tr_seterr(errstr, "cannot write %s: %s", path,
		    error != 0 ? strerror(error) : "write error");
		return -1;
	}
	if (fclose(fp) == EOF) {
		tr_seterr(errstr, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
