/*
 * A driver for tests/integration/50-maildir.sh, built by that script with
 * tui/maildir.c and session/xmalloc.c alone.
 *
 *	maildir_driver [-r] DIR FILE COUNT
 *
 * Opens the Maildir DIR, delivers the bytes of FILE COUNT times and prints
 * each queue id on a line of its own.  With -r, DIR/tmp is made read-only
 * between maildir_open and the first delivery.  On an error, prints the
 * message on stderr and exits 1.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir.h"
#include "xmalloc.h"

static unsigned char *
read_all(const char *path, size_t *len)
{
	unsigned char	*buf = NULL;
	size_t		 cap = 0, n;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(2);
	}
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		if ((n = fread(buf + *len, 1, cap - *len, f)) == 0)
			break;
		*len += n;
	}
	if (ferror(f)) {
		perror(path);
		exit(2);
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	struct maildir	 md;
	unsigned char	*bytes;
	char		 id[MAILDIR_ID_MAX], *err = NULL, *tmp;
	size_t		 len;
	long		 i, count;
	int		 readonly = 0;

	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		readonly = 1;
		argc--;
		argv++;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: maildir_driver [-r] DIR FILE COUNT\n");
		return 2;
	}
	bytes = read_all(argv[2], &len);
	count = strtol(argv[3], NULL, 10);
	if (maildir_open(&md, argv[1], &err) == -1) {
		fprintf(stderr, "%s\n", err);
		free(err);
		free(bytes);
		return 1;
	}
	if (readonly) {
		tmp = xmalloc(strlen(argv[1]) + 5);
		sprintf(tmp, "%s/tmp", argv[1]);
		if (chmod(tmp, 0500) == -1) {
			perror(tmp);
			return 2;
		}
		free(tmp);
	}
	for (i = 0; i < count; i++) {
		if (maildir_deliver(&md, bytes, len, id, sizeof(id),
		    &err) == -1) {
			fprintf(stderr, "%s\n", err);
			free(err);
			maildir_close(&md);
			free(bytes);
			return 1;
		}
		printf("%s\n", id);
	}
	maildir_close(&md);
	maildir_close(&md);
	free(bytes);
	return fflush(stdout) == 0 ? 0 : 1;
}
