/*
 * libFuzzer target: any capture (swaks, RFC style, native, or garbage)
 * gives records or an error, never a crash or a hang.  A capture that is
 * read has a line sent or received, times that never go back, at most
 * IMPORT_MAX_ISSUES issues with line numbers inside the file, and writes
 * out as a native transcript that reads back to the same records; and
 * replay understands it without reading outside it.
 *
 * Seeds: the real captures of tests/import/ (cp them into the corpus).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "replay.h"
#include "transcript.h"

/* Replay over whatever was read: every index it gives is inside. */
static void
check_replay(const struct transcript *t)
{
	struct replay			*r;
	struct replay_summary		 sum;
	const struct replay_step	*s;
	char				*err = NULL, *cmd;
	size_t				 i, n = transcript_count(t), len;

	if ((r = replay_new(t, &err)) == NULL) {
		free(err);
		return;
	}
	for (i = 0; i < replay_count(r); i++) {
		s = replay_get(r, i);
		if (s->rec >= n || s->end > n || (s->reply != REPLAY_NONE &&
		    (s->reply > s->reply_last || s->reply_last >= n)))
			abort();
		if (i > 0 && s->rec < replay_get(r, i - 1)->rec)
			abort();
		replay_command(r, i, &cmd, &len);
		free(cmd);
	}
	for (i = 0; i < n; i += 1 + n / 16)
		if (replay_step_of(r, i) != REPLAY_NONE &&
		    replay_step_of(r, i) >= replay_count(r))
			abort();
	(void)replay_next_failure(r, 0);
	replay_summary(r, &sum);
	replay_free(r);
}

static void
check(const struct transcript *t, const struct import_result *res,
    size_t lines)
{
	const struct transcript_record	*a, *b;
	struct transcript		*u;
	FILE				*out;
	char				*buf = NULL, *err = NULL;
	size_t				 len = 0, i, proto = 0;
	uint64_t			 prev = 0;

	if (res->nissues > IMPORT_MAX_ISSUES)
		abort();
	for (i = 0; i < res->nissues; i++) {
		if (res->issues[i].line == 0 || res->issues[i].line > lines ||
		    res->issues[i].what == NULL)
			abort();
	}
	for (i = 0; i < transcript_count(t); i++) {
		a = transcript_get(t, i);
		if (a->t_us < prev)
			abort();
		prev = a->t_us;
		proto += a->kind == TRANSCRIPT_CLIENT ||
		    a->kind == TRANSCRIPT_SERVER;
	}
	if (res->format != TRANSCRIPT_FMT_NATIVE && proto == 0)
		abort();

	out = open_memstream(&buf, &len);
	transcript_write_header(out, t);
	for (i = 0; i < transcript_count(t); i++)
		transcript_write_record(out, transcript_get(t, i));
	fclose(out);
	u = transcript_new();
	out = fmemopen(buf, len, "r");
	if (transcript_read(u, out, "again", &err) != 0 ||
	    transcript_count(u) != transcript_count(t))
		abort();
	for (i = 0; i < transcript_count(t); i++) {
		a = transcript_get(t, i);
		b = transcript_get(u, i);
		if (a->len != b->len || a->eol != b->eol ||
		    a->kind != b->kind || a->t_us != b->t_us ||
		    a->flags != b->flags || a->code != b->code ||
		    a->last != b->last ||
		    memcmp(a->bytes, b->bytes, a->len) != 0)
			abort();
	}
	fclose(out);
	transcript_free(u);
	free(buf);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript	*t = transcript_new();
	struct import_result	 res;
	FILE			*f;
	char			*err = NULL;
	size_t			 i, lines = 1;

	(void)import_detect((const char *)data, size);
	if (size == 0 || (f = fmemopen((void *)data, size, "r")) == NULL) {
		transcript_free(t);
		return 0;
	}
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (import_stream(t, f, "fuzz", &res, &err) == 0) {
		check(t, &res, lines);
		check_replay(t);
		import_result_free(&res);
	} else if (err == NULL || res.issues != NULL)
		abort();
	free(err);
	fclose(f);
	transcript_free(t);
	return 0;
}
