/* Passwords and tokens for AUTH: see secret.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "secret.h"
#include "xmalloc.h"

#define SECRET_MAX	16384	/* a long OAuth token fits */

void
secret_clear(struct secret *s)
{
	if (s->p != NULL) {
		explicit_bzero(s->p, s->len);
		free(s->p);
	}
	s->p = NULL;
	s->len = 0;
}

void
secret_take(struct secret *s, char *line)
{
	secret_clear(s);
	s->p = line;
	s->len = strlen(line);
}

/* Cut a final LF or CRLF. */
static void
chomp(struct secret *s)
{
	if (s->len > 0 && s->p[s->len - 1] == '\n')
		s->p[--s->len] = '\0';
	if (s->len > 0 && s->p[s->len - 1] == '\r')
		s->p[--s->len] = '\0';
}

static int
from_file(struct secret *s, const char *path, char **errstr)
{
	struct stat	 st;
	char		*nl;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		seterr(errstr, "cannot read the password file %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		close(fd);
		return seterr(errstr, "cannot use the password file %s: %s",
		    path, !S_ISREG(st.st_mode) ? "not a regular file" :
		    "others may read it (chmod 600)");
	}
	s->p = xmalloc(SECRET_MAX + 1);
	n = read(fd, s->p, SECRET_MAX);
	close(fd);
	if (n < 0) {
		secret_clear(s);
		return seterr(errstr, "cannot read the password file %s: %s",
		    path, strerror(errno));
	}
	s->len = (size_t)n;
	s->p[s->len] = '\0';
	if ((nl = memchr(s->p, '\n', s->len)) != NULL) {
		explicit_bzero(nl + 1, s->len - (size_t)(nl - s->p) - 1);
		s->len = (size_t)(nl - s->p) + 1;
		s->p[s->len] = '\0';
	}
	chomp(s);
	if (memchr(s->p, '\0', s->len) != NULL) {
		secret_clear(s);
		return seterr(errstr, "cannot use the password file %s: it "
		    "holds a NUL byte", path);
	}
	return 0;
}

static int
from_tty(struct secret *s, const char *prompt, char **errstr)
{
	struct termios	 old, quiet;
	ssize_t		 n;
	size_t		 len = 0;
	char		 c;
	int		 fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return seterr(errstr, "cannot ask for the password: no "
		    "terminal (%s); use SMTPTOOL_PASSWORD or --password-file",
		    strerror(errno));
	if (tcgetattr(fd, &old) == -1) {
		close(fd);
		return seterr(errstr, "cannot ask for the password: %s",
		    strerror(errno));
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)write(fd, prompt, strlen(prompt));
	tcsetattr(fd, TCSAFLUSH, &quiet);
	s->p = xmalloc(SECRET_MAX + 1);
	while ((n = read(fd, &c, 1)) == 1 && c != '\n') {
		if (len < SECRET_MAX)
			s->p[len++] = c;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)write(fd, "\n", 1);
	close(fd);
	c = 0;
	s->p[len] = '\0';
	s->len = len;
	chomp(s);
	if (n < 0) {
		secret_clear(s);
		return seterr(errstr, "cannot read the password: %s",
		    strerror(errno));
	}
	return 0;
}

int
secret_get(struct secret *s, const char *file, const char *prompt, bool ask,
    char **errstr)
{
	const char	*env = getenv("SMTPTOOL_PASSWORD");
	int		 rc;

	secret_clear(s);
	if (env != NULL && *env != '\0') {
		s->len = strlen(env);
		s->p = xstrndup(env, s->len);
		explicit_bzero((char *)env, s->len);
		unsetenv("SMTPTOOL_PASSWORD");
		return 0;
	}
	if (file != NULL)
		rc = from_file(s, file, errstr);
	else if (ask)
		rc = from_tty(s, prompt, errstr);
	else
		return seterr(errstr, "cannot authenticate: no password (set "
		    "SMTPTOOL_PASSWORD or use --password-file FILE)");
	if (rc == 0 && s->len == 0) {
		secret_clear(s);
		return seterr(errstr, "cannot authenticate: the password is "
		    "empty");
	}
	return rc;
}

const char *
secret_refused_option(const char *arg)
{
	static const char *const names[] = {
		"--password", "--pass", "--passwd", "--token", "--secret",
		"--auth-password", NULL,
	};
	size_t	i, n;

	for (i = 0; names[i] != NULL; i++) {
		n = strlen(names[i]);
		if (strncmp(arg, names[i], n) == 0 &&
		    (arg[n] == '\0' || arg[n] == '='))
			return "a password on the command line is refused: "
			    "other users see it in ps and it stays in the "
			    "shell's history.  Use the SMTPTOOL_PASSWORD "
			    "environment variable, --password-file FILE "
			    "(mode 600), or answer the prompt";
	}
	return NULL;
}
