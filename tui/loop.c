/* The one event loop: see loop.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_NSIG	65

struct loop_sig {
	void	(*fn)(int, void *);
	void	*arg;
};

struct loop {
	struct loop_source	*sources;
	struct loop_source	 sigsrc;
	struct loop_sig		 sigs[LOOP_NSIG];
	struct pollfd		*pfd;
	size_t			 npfd;
	struct loop_source	**snap;		/* dispatch's own list */
	size_t			 nsnap;
};

/* The self-pipe: the only thing a signal handler touches. */
static int	loop_sigpipe[2] = { -1, -1 };

uint64_t
loop_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
loop_handler(int sig)
{
	unsigned char	c = (unsigned char)sig;
	int		saved = errno;

	if (write(loop_sigpipe[1], &c, 1) == -1) {
		/* The pipe is full: the signal is already pending. */
	}
	errno = saved;
}

static void
loop_sig_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct loop	*l = src->arg;
	unsigned char	 buf[64];
	ssize_t		 n, i;

	(void)revents;
	(void)now;
	while ((n = read(loop_sigpipe[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] < LOOP_NSIG && l->sigs[buf[i]].fn != NULL)
				l->sigs[buf[i]].fn(buf[i], l->sigs[buf[i]].arg);
		}
	}
}

struct loop *
loop_new(void)
{
	struct loop	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		abort();
	if (loop_sigpipe[0] == -1) {
		if (pipe2(loop_sigpipe, O_CLOEXEC | O_NONBLOCK) == -1) {
			fprintf(stderr, "smtptool: cannot create pipe: %s\n",
			    strerror(errno));
			exit(1);
		}
	}
	l->sigsrc.fd = loop_sigpipe[0];
	l->sigsrc.events = POLLIN;
	l->sigsrc.dispatch = loop_sig_dispatch;
	l->sigsrc.arg = l;
	loop_add(l, &l->sigsrc);
	return l;
}

void
loop_free(struct loop *l)
{
	int	sig;

	if (l == NULL)
		return;
	for (sig = 1; sig < LOOP_NSIG; sig++)
		if (l->sigs[sig].fn != NULL)
			loop_signal_default(l, sig);
	free(l->pfd);
	free(l->snap);
	free(l);
}

/* Is SRC still in the loop (dispatch may have removed or freed it)? */
static bool
loop_has(const struct loop *l, const struct loop_source *src)
{
	const struct loop_source	*s;

	for (s = l->sources; s != NULL; s = s->next)
		if (s == src)
			return true;
	return false;
}

void
loop_add(struct loop *l, struct loop_source *src)
{
	if (loop_has(l, src))
		return;
	src->next = l->sources;
	l->sources = src;
}

void
loop_remove(struct loop *l, struct loop_source *src)
{
	struct loop_source	**pp;

	for (pp = &l->sources; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == src) {
			*pp = src->next;
			src->next = NULL;
			return;
		}
	}
}

int
loop_signal(struct loop *l, int sig, void (*fn)(int, void *), void *arg)
{
	struct sigaction	sa;

	if (sig <= 0 || sig >= LOOP_NSIG)
		return -1;
	l->sigs[sig].fn = fn;
	l->sigs[sig].arg = arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(sig, &sa, NULL);
}

void
loop_signal_default(struct loop *l, int sig)
{
	if (sig <= 0 || sig >= LOOP_NSIG)
		return;
	l->sigs[sig].fn = NULL;
	signal(sig, SIG_DFL);
}

void
loop_once(struct loop *l, int max_wait_ms)
{
	struct loop_source	*s;
	uint64_t		 now = loop_now(), next = 0;
	size_t			 n = 0, i, nsnap = 0, nsrc = 0, k;
	bool			 ready = false;
	int			 timeout, r;

	for (s = l->sources; s != NULL; s = s->next) {
		if (s->prepare != NULL)
			s->prepare(s, now);
		if (s->ready)
			ready = true;
		if (s->deadline != 0 && (next == 0 || s->deadline < next))
			next = s->deadline;
		if (s->fd >= 0 && s->events != 0)
			n++;
		nsrc++;
	}
	if (n > l->npfd) {
		l->pfd = realloc(l->pfd, n * sizeof(*l->pfd));
		if (l->pfd == NULL)
			abort();
		l->npfd = n;
	}
	i = 0;
	for (s = l->sources; s != NULL; s = s->next) {
		s->pidx = -1;
		if (s->fd < 0 || s->events == 0)
			continue;
		s->pidx = (long)i;
		l->pfd[i].fd = s->fd;
		l->pfd[i].events = s->events;
		l->pfd[i].revents = 0;
		i++;
	}
	timeout = max_wait_ms;
	if (ready)
		timeout = 0;
	else if (next != 0) {
		uint64_t ms = next > now ? (next - now + 999) / 1000 : 0;

		if (timeout < 0 || ms < (uint64_t)timeout)
			timeout = (int)ms;
	}
	r = poll(l->pfd, n, timeout);
	if (r == -1 && errno != EINTR) {
		fprintf(stderr, "smtptool: cannot poll: %s\n", strerror(errno));
		abort();
	}
	now = loop_now();
	/* A snapshot: dispatch may add, remove or free sources. */
	if (nsrc > l->nsnap) {
		l->snap = realloc(l->snap, nsrc * sizeof(*l->snap));
		if (l->snap == NULL)
			abort();
		l->nsnap = nsrc;
	}
	for (s = l->sources; s != NULL && nsnap < nsrc; s = s->next)
		l->snap[nsnap++] = s;
	for (k = 0; k < nsnap; k++) {
		short	revents = 0;

		s = l->snap[k];
		if (!loop_has(l, s))
			continue;
		if (r > 0 && s->pidx >= 0 && (size_t)s->pidx < n)
			revents = l->pfd[s->pidx].revents;
		if (revents != 0 || s->ready ||
		    (s->deadline != 0 && now >= s->deadline)) {
			s->ready = false;
			s->dispatch(s, revents, now);
		}
	}
}
