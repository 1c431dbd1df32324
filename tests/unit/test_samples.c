/*
 * Unit tests: the sample transcripts of share/transcripts/ (real failed SMTP
 * sessions, recorded by share/transcripts/record.sh).  Every sample is read
 * by the native reader and written back by transcript_save byte for byte,
 * its "# what:" comment included, and says what it shows on the line after
 * "# start".
 *
 * The unit tests run from the top of the tree (tests/run, make check); the
 * environment variable SAMPLES_DIR names another folder of samples
 * (tests/integration/72-samples.sh checks a fresh recording with it).
 */
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "transcript.h"

#define SAMPLES_DEFAULT	"share/transcripts"
#define WHAT		"# what: "

/* The samples that must be there (more may be). */
static const char *const required[] = {
	"greylisting-451",
	"throttling-421",
	"unknown-user-550",
	"relay-denied-554",
	"auth-failed-535",
	"tls-expired-certificate",
	"message-too-large-552",
};

static const char *
samples_dir(void)
{
	const char	*d = getenv("SAMPLES_DIR");

	return d != NULL && *d != '\0' ? d : SAMPLES_DEFAULT;
}

/* The folder's *.transcript files into G; false (a failure) when none. */
static bool
samples_glob(glob_t *g)
{
	char	pattern[4096];
	int	rc;

	snprintf(pattern, sizeof(pattern), "%s/*.transcript", samples_dir());
	rc = glob(pattern, 0, NULL, g);
	if (rc != 0) {
		harness_fail(__FILE__, __LINE__, "no sample matches %s "
		    "(the unit tests run from the top of the tree)", pattern);
		globfree(g);
		return false;
	}
	return true;
}

/* The whole of PATH (NUL-terminated for convenience), or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*p = NULL;
	size_t	 size = 0, n;

	*len = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (*len + 4096 + 1 > size) {
			size = size == 0 ? 8192 : size * 2;
			p = realloc(p, size);
			if (p == NULL)
				abort();
		}
		n = fread(p + *len, 1, size - *len - 1, fp);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		fclose(fp);
		free(p);
		return NULL;
	}
	fclose(fp);
	p[*len] = '\0';
	return p;
}

static void
test_samples_present(void)
{
	char	path[4096];
	size_t	i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.transcript", samples_dir(),
		    required[i]);
		if (access(path, R_OK) != 0)
			harness_fail(__FILE__, __LINE__, "%s: %s", path,
			    strerror(errno));
	}
}

/* Every sample read and written back losslessly. */
static void
test_samples_lossless(void)
{
	glob_t			 g;
	struct transcript	*t;
	char			 dir[] = "/tmp/smtptool-samples-XXXXXX";
	char			 out[sizeof(dir) + 32];
	char			*orig, *back, *err;
	size_t			 i, olen, blen;

	if (!samples_glob(&g))
		return;
	ASSERT(mkdtemp(dir) != NULL);
	snprintf(out, sizeof(out), "%s/back.transcript", dir);
	for (i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];

		orig = slurp(path, &olen);
		if (orig == NULL) {
			harness_fail(__FILE__, __LINE__, "cannot read %s: %s",
			    path, strerror(errno));
			continue;
		}
		t = transcript_new();
		err = NULL;
		if (transcript_load(t, path, &err) == -1) {
			harness_fail(__FILE__, __LINE__, "%s", err);
			free(err);
			transcript_free(t);
			free(orig);
			continue;
		}
		if (transcript_count(t) == 0)
			harness_fail(__FILE__, __LINE__, "%s: no record", path);
		if (transcript_start(t) == NULL ||
		    transcript_target(t) == NULL)
			harness_fail(__FILE__, __LINE__, "%s: no \"# start\" "
			    "line with a target", path);
		err = NULL;
		if (transcript_save(t, out, &err) == -1) {
			harness_fail(__FILE__, __LINE__, "%s", err);
			free(err);
		} else if ((back = slurp(out, &blen)) == NULL) {
			harness_fail(__FILE__, __LINE__, "cannot read %s: %s",
			    out, strerror(errno));
		} else {
			if (blen != olen || memcmp(orig, back, olen) != 0)
				harness_fail(__FILE__, __LINE__, "%s is not "
				    "written back as it was read", path);
			EXPECT_MEM(back, blen, orig, olen);
			free(back);
		}
		unlink(out);
		transcript_free(t);
		free(orig);
	}
	rmdir(dir);
	globfree(&g);
}

/* Each says what it shows, on the line after "# start". */
static void
test_samples_what(void)
{
	glob_t			 g;
	struct transcript	*t;
	const char		*text;
	char			*p, *l2, *l3, *end, *err;
	size_t			 i, len, before, n, c, whats;

	if (!samples_glob(&g))
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];

		if ((p = slurp(path, &len)) == NULL) {
			harness_fail(__FILE__, __LINE__, "cannot read %s: %s",
			    path, strerror(errno));
			continue;
		}
		/* The file: header, "# start", "# what: ...". */
		l2 = strchr(p, '\n');
		l3 = l2 != NULL ? strchr(l2 + 1, '\n') : NULL;
		end = l3 != NULL ? strchr(l3 + 1, '\n') : NULL;
		if (l3 == NULL || end == NULL ||
		    strncmp(l2 + 1, "# start ", 8) != 0 ||
		    strncmp(l3 + 1, WHAT, strlen(WHAT)) != 0)
			harness_fail(__FILE__, __LINE__, "%s: line 3 is not "
			    "\"" WHAT "...\" after the \"# start\" line", path);
		else if (end - (l3 + 1) < (long)strlen(WHAT) + 20)
			harness_fail(__FILE__, __LINE__, "%s: the " WHAT
			    "line says too little", path);
		free(p);

		/* The reader: one "# what:" comment, before record 0. */
		t = transcript_new();
		err = NULL;
		if (transcript_load(t, path, &err) == -1) {
			harness_fail(__FILE__, __LINE__, "%s", err);
			free(err);
			transcript_free(t);
			continue;
		}
		n = transcript_comments(t, 0, &before, &text);
		whats = 0;
		for (c = 0; c < n; c++) {
			transcript_comments(t, c, &before, &text);
			if (strncmp(text, WHAT, strlen(WHAT)) != 0)
				continue;
			whats++;
			if (before != 0)
				harness_fail(__FILE__, __LINE__, "%s: the "
				    WHAT "line is not before the first "
				    "record", path);
		}
		if (whats != 1)
			harness_fail(__FILE__, __LINE__, "%s: %zu \"" WHAT
			    "\" comments, not 1", path, whats);
		transcript_free(t);
	}
	globfree(&g);
}

TEST_LIST(samples_tests) = {
	TEST(test_samples_present),
	TEST(test_samples_lossless),
	TEST(test_samples_what),
	TEST_END
};
