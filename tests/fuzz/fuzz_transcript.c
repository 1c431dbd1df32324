/*
 * libFuzzer target: a broken transcript file gives an error, never a crash;
 * a file that reads writes back and reads again to the same records.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transcript	*t = transcript_new(), *u;
	FILE			*f;
	char			*err = NULL, *buf = NULL;
	size_t			 len = 0, i;

	if ((f = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	if (transcript_read(t, f, "fuzz", &err) == 0) {
		FILE	*out = open_memstream(&buf, &len);
		const struct transcript_record *a, *b;

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
			    memcmp(a->bytes, b->bytes, a->len) != 0)
				abort();
		}
		fclose(out);
		transcript_free(u);
		free(buf);
	}
	free(err);
	fclose(f);
	transcript_free(t);
	return 0;
}
