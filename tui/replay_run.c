/* A live re-run of a capture: see replay_run.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "replay_run.h"
#include "sasl.h"
#include "xmalloc.h"

struct replay_run {
	struct client			*c;
	const struct replay		*r;
	const struct transcript		*cap;
	struct replay_run_options	 o;
	struct replay_run_listener	 l;
	void				*arg;

	struct replay_result		*res;
	size_t				 next;		/* the next to send */
	size_t				 until;
	size_t				 waiting;	/* awaits a reply */
	size_t				 then;		/* the message, after
							 * DATA's 354 */
	bool				 connecting;
	bool				 finished;
	size_t				 counts[REPLAY_DIFF_LAST];
};

struct replay_run *
replay_run_new(struct client *c, const struct replay *r,
    const struct replay_run_options *o, const struct replay_run_listener *l,
    void *arg)
{
	struct replay_run	*rr;

	rr = xmalloc(sizeof(*rr));
	memset(rr, 0, sizeof(*rr));
	rr->c = c;
	rr->r = r;
	rr->cap = replay_transcript(r);
	rr->o = *o;
	if (l != NULL)
		rr->l = *l;
	rr->arg = arg;
	rr->res = xmalloc((replay_count(r) + 1) * sizeof(*rr->res));
	memset(rr->res, 0, (replay_count(r) + 1) * sizeof(*rr->res));
	rr->waiting = rr->then = REPLAY_NONE;
	return rr;
}

void
replay_run_free(struct replay_run *rr)
{
	if (rr == NULL)
		return;
	free(rr->res);
	free(rr);
}

/* The captured reply's text, its lines joined with "\n" (allocated). */
static char *
captured_text(const struct replay_run *rr, const struct replay_step *s)
{
	struct buf	 b;
	size_t		 i;
	char		*out;

	buf_init(&b, 0);
	if (s->reply != REPLAY_NONE) {
		for (i = s->reply; i <= s->reply_last; i++) {
			const struct transcript_record *rec =
			    transcript_get(rr->cap, i);

			if (rec->kind != TRANSCRIPT_SERVER &&
			    rec->kind != TRANSCRIPT_SIMULATED)
				continue;
			if (buf_avail(&b) > 0)
				buf_add(&b, "\n", 1);
			if (rec->len > 4)
				buf_add(&b, rec->bytes + 4, rec->len - 4);
		}
	}
	buf_add(&b, "", 1);
	out = xstrdup(buf_head(&b));
	buf_free(&b);
	return out;
}

static char *
live_text(const struct reply *rep)
{
	struct buf	 b;
	size_t		 i;
	char		*out;

	buf_init(&b, 0);
	for (i = 0; i < rep->nlines; i++) {
		if (i > 0)
			buf_add(&b, "\n", 1);
		buf_addstr(&b, rep->text[i]);
	}
	buf_add(&b, "", 1);
	out = xstrdup(buf_head(&b));
	buf_free(&b);
	return out;
}

static void
compared(struct replay_run *rr, size_t i, const struct reply *rep)
{
	const struct replay_step	*s = replay_get(rr->r, i);
	struct replay_result		*res = &rr->res[i];
	char				*was, *now;
	static const enum transcript_kind kinds[REPLAY_DIFF_LAST] = {
		[REPLAY_SAME] = TRANSCRIPT_INFO,
		[REPLAY_TEXT] = TRANSCRIPT_INFO,
		[REPLAY_CODE] = TRANSCRIPT_WARNING,
		[REPLAY_CLASS] = TRANSCRIPT_ERROR,
	};

	was = captured_text(rr, s);
	if (rep != NULL) {
		now = live_text(rep);
		res->ran = true;
		res->code = rep->code;
		res->diff = replay_compare(s->code, was, rep->code, now);
		free(now);
	} else {
		res->ran = false;
		res->code = 0;
		res->diff = s->code == 0 ? REPLAY_SAME : REPLAY_CLASS;
	}
	rr->counts[res->diff]++;
	if (s->code == 0)
		client_note(rr->c, kinds[res->diff], "step %zu: the capture had "
		    "no reply here (%s)", i + 1, replay_diff_name(res->diff));
	else {
		/* A multi-line reply: its last line, and how many more. */
		const char *last = strrchr(was, '\n');
		size_t more = s->reply_last - s->reply;

		client_note(rr->c, kinds[res->diff], "step %zu: the capture had "
		    "%d %.200s%s (%s)", i + 1, s->code, last != NULL ?
		    last + 1 : was, more > 0 ? " (and the lines before it)" :
		    "", rep == NULL ? "not run here" :
		    replay_diff_name(res->diff));
	}
	free(was);
	if (rr->l.compared != NULL)
		rr->l.compared(rr->arg, i, res);
}

static void
finish(struct replay_run *rr)
{
	size_t	i, n = replay_count(rr->r);

	if (rr->finished)
		return;
	rr->finished = true;
	/* What was not run is compared as such. */
	for (i = rr->next; i < n && i < rr->until; i++)
		if (!rr->res[i].ran && !rr->res[i].skipped)
			compared(rr, i, NULL);
	rr->next = n;
	if (rr->l.finished != NULL)
		rr->l.finished(rr->arg);
}

void
replay_run_until(struct replay_run *rr, size_t until)
{
	size_t	n = replay_count(rr->r);

	rr->until = until > n ? n : until;
	replay_run_poll(rr);
}

/* The AUTH step I and its captured answers: the last of them. */
static size_t
auth_end(const struct replay_run *rr, size_t i)
{
	size_t	n = replay_count(rr->r);

	while (i + 1 < n && replay_get(rr->r, i + 1)->verb == VERB_AUTH &&
	    replay_get(rr->r, i)->code == 334)
		i++;
	return i;
}

static void
skip(struct replay_run *rr, size_t i, const char *why)
{
	rr->res[i].skipped = true;
	client_note(rr->c, TRANSCRIPT_WARNING, "step %zu: not sent: %s",
	    i + 1, why);
}

/* Send step NEXT; sets waiting.  Returns -1 when it could not be sent. */
static int
send_step(struct replay_run *rr)
{
	const struct replay_step	*s = replay_get(rr->r, rr->next);
	const struct replay_step	*m;
	struct session			*ses = client_session(rr->c);
	char				*line = NULL, *err = NULL, *sp;
	size_t				 len, i = rr->next, last;
	enum sasl_mech			 mech;
	int				 rc = 0;

	switch (s->verb) {
	case VERB_BANNER:
		if (client_state(rr->c) != CLIENT_IDLE) {
			/* A second session of the capture: a new connection. */
			client_disconnect(rr->c, "the capture starts a new "
			    "session");
		}
		rr->connecting = true;
		if (client_connect(rr->c, rr->o.target, &err) == -1) {
			client_note(rr->c, TRANSCRIPT_ERROR, "%s", err);
			free(err);
			return -1;
		}
		rr->waiting = i;
		return 0;
	case VERB_AUTH:
		last = auth_end(rr, i);
		replay_command(rr->r, i, &line, &len);
		sp = memchr(line, ' ', len);
		mech = sp == NULL ? SASL_NONE : sasl_mech(sp + 1,
		    strcspn(sp + 1, " "));
		if (sp == NULL || mech == SASL_NONE) {
			skip(rr, i, "an answer to a 334 without its AUTH");
			free(line);
			rr->next++;
			return 0;
		}
		free(line);
		if (rr->o.user == NULL || rr->o.secret == NULL) {
			client_note(rr->c, TRANSCRIPT_ERROR, "step %zu: cannot "
			    "re-run AUTH %s: no user or secret (--user, and "
			    "SMTPTOOL_PASSWORD, --password-file or the "
			    "prompt); the capture's secret is never sent",
			    i + 1, sasl_mech_name(mech));
			return -1;
		}
		/*
		 * The engine drives the whole exchange: the AUTH line and the
		 * captured answers are not compared one by one, its final
		 * reply is (with the capture's last step of the exchange).
		 */
		for (; i < last; i++)
			rr->res[i].skipped = true;
		if (client_auth(rr->c, mech, rr->o.user, rr->o.secret,
		    rr->o.secretlen, &err) == -1) {
			client_note(rr->c, TRANSCRIPT_ERROR, "step %zu: %s",
			    rr->next + 1, err);
			free(err);
			return -1;
		}
		rr->waiting = last;
		return 0;
	case VERB_DATA:
		m = replay_get(rr->r, i + 1);
		if (s->code == 354 && m != NULL && m->verb == VERB_DOT) {
			replay_command(rr->r, i + 1, &line, &len);
			rc = session_message(ses, line, len, loop_now(), &err);
			free(line);
			if (rc == 0) {
				rr->waiting = i;
				rr->then = i + 1;
				return 0;
			}
			client_note(rr->c, TRANSCRIPT_ERROR, "step %zu: %s",
			    i + 1, err);
			free(err);
			return -1;
		}
		break;
	case VERB_DOT:
		skip(rr, i, "message text without its DATA");
		rr->next++;
		return 0;
	case VERB_BDAT: {
		bool	last;

		/* The chunk exactly as captured: BDAT counts bytes. */
		replay_bdat_data(rr->r, i, &line, &len, &last);
		rc = session_bdat_chunk(ses, line, len, last, loop_now(),
		    &err);
		free(line);
		if (rc == -1) {
			client_note(rr->c, TRANSCRIPT_ERROR, "step %zu: %s",
			    i + 1, err);
			free(err);
			return -1;
		}
		rr->waiting = i;
		return 0;
	}
	default:
		break;
	}
	if (s->masked) {
		skip(rr, i, "it holds a masked secret");
		rr->next++;
		return 0;
	}
	replay_command(rr->r, i, &line, &len);
	rc = client_send(rr->c, line, len, &err);
	free(line);
	if (rc == -1) {
		client_note(rr->c, TRANSCRIPT_ERROR, "step %zu: %s", i + 1,
		    err);
		free(err);
		return -1;
	}
	rr->waiting = i;
	return 0;
}

void
replay_run_poll(struct replay_run *rr)
{
	struct session	*s;

	while (!rr->finished && rr->waiting == REPLAY_NONE &&
	    rr->next < rr->until) {
		s = client_session(rr->c);
		if (replay_get(rr->r, rr->next)->verb != VERB_BANNER) {
			if (client_state(rr->c) != CLIENT_CONNECTED ||
			    session_phase(s) == PHASE_CLOSED) {
				finish(rr);
				return;
			}
			if (!session_idle(s))
				return;
		}
		if (send_step(rr) == -1) {
			finish(rr);
			return;
		}
	}
	if (!rr->finished && rr->waiting == REPLAY_NONE &&
	    rr->next >= replay_count(rr->r))
		finish(rr);
}

void
replay_run_event(struct replay_run *rr, const struct session_event *ev)
{
	size_t	w = rr->waiting;

	if (ev->type == SEV_T_CLOSE) {
		if (w != REPLAY_NONE) {
			rr->waiting = REPLAY_NONE;
			if (!rr->res[w].ran)
				compared(rr, w, NULL);
			rr->next = w + 1;
		}
		/* A QUIT step ends a session; another may follow. */
		if (rr->next < replay_count(rr->r) &&
		    replay_get(rr->r, rr->next)->verb == VERB_BANNER)
			return;
		finish(rr);
		return;
	}
	if (ev->type != SEV_T_REPLY || ev->cmd == NULL || w == REPLAY_NONE)
		return;
	/* 334s of an AUTH exchange the engine drives: not ours to compare. */
	if (ev->cmd->verb == VERB_AUTH && ev->reply->code == 334)
		return;
	if (ev->cmd->verb == VERB_BANNER)
		rr->connecting = false;
	compared(rr, w, ev->reply);
	rr->waiting = REPLAY_NONE;
	rr->next = w + 1;
	if (rr->then != REPLAY_NONE) {
		if (ev->reply->code == 354) {
			rr->waiting = rr->then;
		} else {
			compared(rr, rr->then, NULL);
			rr->next = rr->then + 1;
		}
		rr->then = REPLAY_NONE;
	}
}

void
replay_run_state(struct replay_run *rr, enum client_state st)
{
	size_t	w = rr->waiting;

	if (st == CLIENT_IDLE && rr->connecting && w != REPLAY_NONE &&
	    replay_get(rr->r, w)->verb == VERB_BANNER) {
		/* The connection failed. */
		rr->connecting = false;
		rr->waiting = REPLAY_NONE;
		compared(rr, w, NULL);
		rr->next = w + 1;
		finish(rr);
	}
}

size_t
replay_run_position(const struct replay_run *rr)
{
	return rr->next;
}

bool
replay_run_busy(const struct replay_run *rr)
{
	return rr->waiting != REPLAY_NONE;
}

bool
replay_run_finished(const struct replay_run *rr)
{
	return rr->finished;
}

const struct replay_result *
replay_run_result(const struct replay_run *rr, size_t step)
{
	return step < replay_count(rr->r) ? &rr->res[step] : NULL;
}

size_t
replay_run_count(const struct replay_run *rr, enum replay_diff d)
{
	return d < REPLAY_DIFF_LAST ? rr->counts[d] : 0;
}
