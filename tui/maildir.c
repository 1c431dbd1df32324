/* The sandbox server's Maildir: see maildir.h. */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildir.h"
#include "xmalloc.h"

#define HOST_MAX	64	/* bytes of the host name used */
#define NAME_TRIES	100	/* names tried when one exists already */

static const char *const subdirs[] = { "tmp", "new", "cur" };

/* The host name, with '/' and ':' as "\057" and "\072" (Maildir's way). */
static char *
escaped_host(void)
{
	char	host[HOST_MAX + 1], *out, *o;
	size_t	i;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[HOST_MAX] = '\0';
	o = out = xmalloc(strlen(host) * 4 + 1);
	for (i = 0; host[i] != '\0'; i++) {
		if (host[i] == '/' || host[i] == ':') {
			sprintf(o, "\\%03o", (unsigned char)host[i]);
			o += 4;
		} else
			*o++ = host[i];
	}
	*o = '\0';
	return out;
}

/* DIR and its missing parents. */
static int
make_parents(const char *dir, char **errstr)
{
	char	*p, *s, c;

	p = xstrdup(dir);
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			seterr(errstr, "cannot create maildir %s: %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return 0;
}

/* DIR/SUB, open for *at() calls, and writable by us. */
static int
open_sub(int dfd, const char *dir, const char *sub, char **errstr)
{
	int	fd;

	if ((fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return seterr(errstr, "cannot open maildir %s/%s: %s", dir,
		    sub, strerror(errno));
	if (faccessat(dfd, sub, W_OK | X_OK, AT_EACCESS) == -1) {
		seterr(errstr, "cannot use maildir %s/%s: %s", dir, sub,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
maildir_open(struct maildir *md, const char *dir, char **errstr)
{
	size_t	i;
	int	dfd, saved;

	memset(md, 0, sizeof(*md));
	md->tmp_fd = md->new_fd = -1;
	if (dir == NULL || dir[0] == '\0')
		return seterr(errstr, "cannot create maildir \"\": no name");
	if (make_parents(dir, errstr) == -1)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return seterr(errstr, "cannot open maildir %s: %s", dir,
		    strerror(errno));
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (mkdirat(dfd, subdirs[i], 0700) == -1 && errno != EEXIST) {
			saved = errno;
			close(dfd);
			return seterr(errstr, "cannot create maildir %s/%s: %s",
			    dir, subdirs[i], strerror(saved));
		}
	}
	if ((md->tmp_fd = open_sub(dfd, dir, "tmp", errstr)) == -1 ||
	    (md->new_fd = open_sub(dfd, dir, "new", errstr)) == -1) {
		close(dfd);
		maildir_close(md);
		return -1;
	}
	close(dfd);
	md->dir = xstrdup(dir);
	md->host = escaped_host();
	return 0;
}

void
maildir_close(struct maildir *md)
{
	if (md->tmp_fd != -1)
		close(md->tmp_fd);
	if (md->new_fd != -1)
		close(md->new_fd);
	free(md->dir);
	free(md->host);
	memset(md, 0, sizeof(*md));
	md->tmp_fd = md->new_fd = -1;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const unsigned char	*b = p;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, b, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int	deliver(struct maildir *, const void *, size_t, char *, size_t,
		    bool, char **);

/* A new name, and DIR/tmp/NAME created with O_EXCL: its fd, or -1. */
static int
create_tmp(struct maildir *md, char *name, size_t len)
{
	struct timeval	tv;
	int		fd, tries;

	for (tries = 0;; tries++) {
		gettimeofday(&tv, NULL);
		snprintf(name, len, "%lld.M%06ldP%ldQ%lu.%s",
		    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
		    ++md->count, md->host);
		fd = openat(md->tmp_fd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
		if (fd != -1 || errno != EEXIST || tries == NAME_TRIES)
			return fd;
	}
}

int
maildir_deliver(struct maildir *md, const void *bytes, size_t len,
    char *id, size_t idlen, char **errstr)
{
	return deliver(md, bytes, len, id, idlen, true, errstr);
}

int
maildir_deliver_nosync(struct maildir *md, const void *bytes, size_t len,
    char *id, size_t idlen, char **errstr)
{
	return deliver(md, bytes, len, id, idlen, false, errstr);
}

int
maildir_sync(struct maildir *md, char **errstr)
{
	/* Some file systems cannot sync a directory (EINVAL): nothing to do. */
	if (fsync(md->new_fd) == -1 && errno != EINVAL)
		return seterr(errstr, "cannot sync directory %s/new: %s",
		    md->dir, strerror(errno));
	return 0;
}

void
maildir_forget(struct maildir *md, const char *id)
{
	(void)unlinkat(md->new_fd, id, 0);
}

static int
deliver(struct maildir *md, const void *bytes, size_t len, char *id,
    size_t idlen, bool sync_dir, char **errstr)
{
	char	name[MAILDIR_ID_MAX];
	int	fd, saved;

	if (md->dir == NULL)
		return seterr(errstr, "cannot write message: the maildir is "
		    "not open");
	if ((fd = create_tmp(md, name, sizeof(name))) == -1)
		return seterr(errstr, "cannot write message to %s/tmp/%s: %s",
		    md->dir, name, strerror(errno));
	if (write_all(fd, bytes, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		goto fail_tmp;
	}
	if (close(fd) == -1) {
		saved = errno;
		goto fail_tmp;
	}
	if (renameat(md->tmp_fd, name, md->new_fd, name) == -1) {
		saved = errno;
		(void)unlinkat(md->tmp_fd, name, 0);
		return seterr(errstr, "cannot move message %s/tmp/%s into "
		    "%s/new: %s", md->dir, name, md->dir, strerror(saved));
	}
	/* Some file systems cannot sync a directory (EINVAL): nothing to do. */
	if (sync_dir && fsync(md->new_fd) == -1 && errno != EINVAL) {
		saved = errno;
		/* Not known to be safe: not delivered, the client retries. */
		(void)unlinkat(md->new_fd, name, 0);
		return seterr(errstr, "cannot sync directory %s/new: %s",
		    md->dir, strerror(saved));
	}
	if (id != NULL && idlen > 0)
		snprintf(id, idlen, "%s", name);
	return 0;

fail_tmp:
	(void)unlinkat(md->tmp_fd, name, 0);
	return seterr(errstr, "cannot write message to %s/tmp/%s: %s",
	    md->dir, name, strerror(saved));
}
