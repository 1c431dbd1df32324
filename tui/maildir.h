/*
 * The sandbox server's Maildir: nothing acknowledged is ever lost.  A
 * message is written to DIR/tmp/NAME (O_EXCL), synced, renamed into
 * DIR/new/NAME, and DIR/new is synced; only then does maildir_deliver()
 * return 0, and only then may the server say 250.
 *
 * NAME follows the Maildir convention (cr.yp.to/proto/maildir.html):
 * "SECONDS.MMICROSECONDSPPIDQCOUNT.HOST", e.g.
 * "1767225600.M123456P4242Q7.mx", with '/' and ':' in HOST written as
 * "\057" and "\072".  It doubles as the queue id of the 250 reply.
 */
#ifndef MAILDIR_H
#define MAILDIR_H

#include <stddef.h>

/* Room for a NAME and its NUL. */
#define MAILDIR_ID_MAX	384

struct maildir {
	char		*dir;
	int		 tmp_fd;	/* DIR/tmp, open */
	int		 new_fd;	/* DIR/new, open */
	char		*host;		/* escaped */
	unsigned long	 count;		/* names made by this process */
};

/*
 * Create DIR (and its missing parents), DIR/tmp, DIR/new and DIR/cur, mode
 * 0700 where they are new, and check that DIR/tmp and DIR/new are
 * writable.  0, or -1 with *errstr ("cannot create maildir DIR/tmp: ...",
 * "cannot use maildir DIR/tmp: ...") and MD closed.
 */
int	maildir_open(struct maildir *md, const char *dir, char **errstr);
/*
 * Store LEN bytes, exactly, as one new message.  0 with the NAME in ID
 * (IDLEN bytes, MAILDIR_ID_MAX is enough; ID may be NULL); -1 with
 * *errstr and nothing left behind in tmp/ or new/: "cannot write message
 * to DIR/tmp/NAME: ...", "cannot move message DIR/tmp/NAME into DIR/new:
 * ...", "cannot sync directory DIR/new: ...".
 */
int	maildir_deliver(struct maildir *md, const void *bytes, size_t len,
	    char *id, size_t idlen, char **errstr);
/*
 * The same, but the rename into new/ is not yet synced: the message is in
 * new/ and must not be acknowledged before maildir_sync() returns 0 (group
 * commit: one directory sync for every message of a loop turn).
 */
int	maildir_deliver_nosync(struct maildir *md, const void *bytes,
	    size_t len, char *id, size_t idlen, char **errstr);
/*
 * Sync DIR/new: the messages moved there since are on disk.  -1 with
 * *errstr: the caller unlinks them (maildir_forget) and refuses them.
 */
int	maildir_sync(struct maildir *md, char **errstr);
/* Remove a message whose sync failed (not acknowledged: the client retries). */
void	maildir_forget(struct maildir *md, const char *id);
/* After maildir_open (either outcome); again is a no-op. */
void	maildir_close(struct maildir *md);

#endif
