/*
 * Replay: a capture understood step by step; see replay.h.  One pass over
 * the records: client lines open steps (FIFO, as pipelining wants), server
 * lines go through the reply parser and complete the oldest open step, and
 * the phase follows the verbs and codes as the session engine's does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "replay.h"
#include "reply.h"
#include "xmalloc.h"

#define REPLAY_MAX_NOTES	1000

struct note {
	size_t	 rec;
	char	*text;
};

struct replay {
	const struct transcript	*t;
	struct replay_step	*steps;
	size_t			 n, cap;
	struct note		*notes;
	size_t			 nnotes;
	size_t			 more_notes;
};

/* The reading: what is awaited, where the dialog is. */
struct reader {
	struct replay		*r;
	struct reply_parser	*rp;
	size_t			*fifo;		/* steps awaiting a reply */
	size_t			 head, tail, capfifo;
	size_t			*sent;		/* the record each was sent at */
	enum session_phase	 phase;
	bool			 banner;	/* seen (or being read) */
	bool			 in_message;	/* after 354, before "." */
	size_t			 msg;		/* the message step, or NONE */
	bool			 sasl;		/* after a 334 to AUTH */
	uint64_t		 bdat_left;	/* chunk bytes still to come */
	size_t			 bdat;		/* their step */
	size_t			 reply_first;	/* first line of this reply */
	bool			 rcpt_ok;
	bool			 timed;		/* the capture has times */
};

static void __attribute__((format(printf, 3, 4)))
note(struct replay *r, size_t rec, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (r->nnotes == REPLAY_MAX_NOTES) {
		r->more_notes++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	r->notes = xrealloc(r->notes, (r->nnotes + 1) * sizeof(*r->notes));
	r->notes[r->nnotes].rec = rec;
	r->notes[r->nnotes++].text = s;
}

static size_t
new_step(struct reader *rd, enum command_verb verb, size_t rec, bool tls)
{
	struct replay		*r = rd->r;
	struct replay_step	*s;

	if (r->n == r->cap) {
		r->cap = r->cap < 64 ? 64 : r->cap + r->cap / 2;
		r->steps = xrealloc(r->steps, r->cap * sizeof(*r->steps));
	}
	s = &r->steps[r->n];
	memset(s, 0, sizeof(*s));
	s->rec = rec;
	s->end = rec + 1;
	s->reply = s->reply_last = REPLAY_NONE;
	s->verb = verb;
	s->phase = rd->phase;
	s->latency = -1;
	s->tls = tls;
	return r->n++;
}

static void
await(struct reader *rd, size_t step, size_t sent)
{
	if (rd->tail == rd->capfifo) {
		if (rd->head > 0) {
			memmove(rd->fifo, rd->fifo + rd->head,
			    (rd->tail - rd->head) * sizeof(*rd->fifo));
			memmove(rd->sent, rd->sent + rd->head,
			    (rd->tail - rd->head) * sizeof(*rd->sent));
			rd->tail -= rd->head;
			rd->head = 0;
		}
		if (rd->tail == rd->capfifo) {
			rd->capfifo = rd->capfifo == 0 ? 16 : rd->capfifo * 2;
			rd->fifo = xrealloc(rd->fifo, rd->capfifo *
			    sizeof(*rd->fifo));
			rd->sent = xrealloc(rd->sent, rd->capfifo *
			    sizeof(*rd->sent));
		}
	}
	rd->r->steps[step].pipelined = rd->tail > rd->head;
	rd->fifo[rd->tail] = step;
	rd->sent[rd->tail++] = sent;
}

/* "BDAT n LAST": the last chunk. */
static bool
bdat_last(const struct replay *r, const struct replay_step *s)
{
	const struct transcript_record *rec = transcript_get(r->t, s->rec);

	return memmem(rec->bytes, rec->len, " LAST", 5) != NULL;
}

/* The phase a reply leads to, as the session engine moves. */
static void
advance(struct reader *rd, struct replay_step *s, int code)
{
	bool	in_tx = rd->phase >= PHASE_GREETED && rd->phase <= PHASE_DATA;

	if (code == 421) {
		rd->phase = PHASE_CLOSED;
		return;
	}
	switch (s->verb) {
	case VERB_BANNER:
		if (code / 100 == 2)
			rd->phase = PHASE_HELLO;
		break;
	case VERB_EHLO:
	case VERB_HELO:
	case VERB_LHLO:
		if (code == 250) {
			rd->phase = PHASE_GREETED;
			rd->rcpt_ok = false;
		}
		break;
	case VERB_STARTTLS:
		if (code == 220) {
			s->tls_after = true;
			rd->phase = PHASE_HELLO;
		}
		break;
	case VERB_MAIL:
		if (code / 100 == 2) {
			rd->phase = PHASE_MAIL;
			rd->rcpt_ok = false;
		}
		break;
	case VERB_RCPT:
		if (code / 100 == 2) {
			rd->phase = PHASE_RCPT;
			rd->rcpt_ok = true;
		}
		break;
	case VERB_DATA:
		if (code == 354) {
			rd->phase = PHASE_DATA;
			rd->in_message = true;
			rd->msg = REPLAY_NONE;
		}
		break;
	case VERB_DOT:
		if (in_tx)
			rd->phase = PHASE_GREETED;
		break;
	case VERB_BDAT:
		if (in_tx && (code / 100 != 2 || bdat_last(rd->r, s)))
			rd->phase = PHASE_GREETED;
		break;
	case VERB_RSET:
		if (code / 100 == 2 && in_tx)
			rd->phase = PHASE_GREETED;
		break;
	case VERB_AUTH:
		if (code == 334)
			rd->sasl = true;
		break;
	case VERB_QUIT:
		rd->phase = PHASE_CLOSED;
		break;
	default:
		break;
	}
}

/* A complete reply: it answers the oldest open step. */
static void
replied(struct reader *rd, const struct reply *rep, size_t last)
{
	struct replay		*r = rd->r;
	struct replay_step	*s;
	size_t			 idx, sent;

	if (rd->head == rd->tail) {
		note(r, rd->reply_first, "record %zu: reply %d to nothing",
		    rd->reply_first + 1, rep->code);
		if (r->n > 0 && r->steps[r->n - 1].end < last + 1)
			r->steps[r->n - 1].end = last + 1;
		return;
	}
	idx = rd->fifo[rd->head];
	sent = rd->sent[rd->head++];
	s = &r->steps[idx];
	s->reply = rd->reply_first;
	s->reply_last = last;
	s->code = rep->code;
	memcpy(s->enhanced, rep->enhanced, sizeof(s->enhanced));
	s->latency = rd->timed ? (int64_t)(transcript_get(r->t, last)->t_us -
	    transcript_get(r->t, sent)->t_us) : -1;
	if (s->end < last + 1)
		s->end = last + 1;
	advance(rd, s, rep->code);
	s->phase = rd->phase;
}

static void
server_line(struct reader *rd, const struct transcript_record *rec, size_t i)
{
	enum reply_status	 st;
	char			*err = NULL;

	if (!reply_parser_partial(rd->rp)) {
		rd->reply_first = i;
		/*
		 * A reply while message text was expected: the capture did not
		 * show the text (swaks --suppress-data) or its dot; this reply
		 * answers the message.
		 */
		if (rd->in_message) {
			if (rd->msg == REPLAY_NONE)
				rd->msg = new_step(rd, VERB_DOT, i,
				    rec->flags & TRANSCRIPT_TLS);
			rd->in_message = false;
			await(rd, rd->msg, i);
			rd->r->steps[rd->msg].pipelined = false;
			rd->msg = REPLAY_NONE;
		}
		/* The greeting opens its own step. */
		if (!rd->banner && rd->head == rd->tail) {
			/* Its latency counts from the "connected" note. */
			rd->banner = true;
			await(rd, new_step(rd, VERB_BANNER, i,
			    rec->flags & TRANSCRIPT_TLS), i > 0 &&
			    transcript_get(rd->r->t, i - 1)->kind ==
			    TRANSCRIPT_INFO ? i - 1 : i);
		}
	}
	st = reply_parser_push(rd->rp, rec->bytes, rec->len, &err);
	if (st == REPLY_DONE)
		replied(rd, reply_parser_reply(rd->rp), i);
	else if (st == REPLY_ERROR) {
		note(rd->r, i, "record %zu: %s", i + 1, err != NULL ? err :
		    "not a reply line");
		free(err);
	}
}

/* Message text after a 354, or the chunk of a BDAT. */
static bool
text_line(struct reader *rd, const struct transcript_record *rec, size_t i)
{
	struct replay_step	*s;
	uint64_t		 n;

	if (rd->bdat_left > 0) {
		s = &rd->r->steps[rd->bdat];
		s->text_lines++;
		s->end = i + 1;
		n = rec->len + (rec->eol == TRANSCRIPT_EOL_CRLF ? 2 :
		    rec->eol == TRANSCRIPT_EOL_LF ? 1 : 0);
		rd->bdat_left -= n > rd->bdat_left ? rd->bdat_left : n;
		return true;
	}
	if (!rd->in_message)
		return false;
	if (rd->msg == REPLAY_NONE)
		rd->msg = new_step(rd, VERB_DOT, i, rec->flags & TRANSCRIPT_TLS);
	s = &rd->r->steps[rd->msg];
	s->end = i + 1;
	if (rec->len == 1 && rec->bytes[0] == '.') {
		rd->in_message = false;
		await(rd, rd->msg, i);
		s->pipelined = false;
		rd->msg = REPLAY_NONE;
	} else
		s->text_lines++;
	return true;
}

static void
client_line(struct reader *rd, const struct transcript_record *rec, size_t i)
{
	struct replay_step	*s;
	enum command_verb	 verb;
	size_t			 idx;
	char			*end;

	if (text_line(rd, rec, i))
		return;
	verb = rd->sasl ? VERB_AUTH : command_verb_of(rec->bytes, rec->len);
	rd->sasl = false;
	idx = new_step(rd, verb, i, rec->flags & TRANSCRIPT_TLS);
	s = &rd->r->steps[idx];
	s->masked = memmem(rec->bytes, rec->len, SASL_MASK,
	    strlen(SASL_MASK)) != NULL;
	await(rd, idx, i);
	if (verb == VERB_BDAT && rec->len > 5) {
		/* "BDAT n [LAST]": n bytes of data follow as lines. */
		rd->bdat_left = strtoull(rec->bytes + 5, &end, 10);
		rd->bdat = idx;
	}
}

struct replay *
replay_new(const struct transcript *t, char **errstr)
{
	struct replay	*r;
	struct reader	 rd;
	const struct transcript_record *rec;
	size_t		 i, n = transcript_count(t);
	bool		 protocol = false;

	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->t = t;
	memset(&rd, 0, sizeof(rd));
	rd.r = r;
	rd.rp = reply_parser_new();
	rd.phase = PHASE_BANNER;
	rd.msg = REPLAY_NONE;
	/* Times only grow: a capture without them is all zeros. */
	rd.timed = n > 0 && transcript_get(t, n - 1)->t_us > 0;
	for (i = 0; i < n; i++) {
		rec = transcript_get(t, i);
		switch (rec->kind) {
		case TRANSCRIPT_CLIENT:
			protocol = true;
			client_line(&rd, rec, i);
			break;
		case TRANSCRIPT_SERVER:
		case TRANSCRIPT_SIMULATED:
			protocol = true;
			server_line(&rd, rec, i);
			break;
		default:
			/* A "connected" note after a close: a new session. */
			if (rec->kind == TRANSCRIPT_INFO && rec->len > 13 &&
			    memcmp(rec->bytes, "connected to ", 13) == 0 &&
			    i > 0) {
				rd.banner = false;
				rd.phase = PHASE_BANNER;
				rd.in_message = rd.sasl = false;
				rd.bdat_left = 0;
				reply_parser_reset(rd.rp);
			}
			break;
		}
	}
	for (; rd.head < rd.tail; rd.head++)
		r->steps[rd.fifo[rd.head]].phase = PHASE_CLOSED;
	reply_parser_free(rd.rp);
	free(rd.fifo);
	free(rd.sent);
	if (!protocol) {
		replay_free(r);
		seterr(errstr, "cannot replay the capture: it holds no line "
		    "of an SMTP dialog");
		return NULL;
	}
	return r;
}

void
replay_free(struct replay *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i].text);
	free(r->notes);
	free(r->steps);
	free(r);
}

const struct transcript *
replay_transcript(const struct replay *r)
{
	return r->t;
}

size_t
replay_count(const struct replay *r)
{
	return r->n;
}

const struct replay_step *
replay_get(const struct replay *r, size_t i)
{
	return i < r->n ? &r->steps[i] : NULL;
}

size_t
replay_next_failure(const struct replay *r, size_t from)
{
	size_t	i;

	for (i = from; i < r->n; i++)
		if (r->steps[i].code >= 400 || r->steps[i].code == 0)
			return i;
	return r->n;
}

size_t
replay_step_of(const struct replay *r, size_t rec)
{
	size_t	lo = 0, hi = r->n, mid;

	if (r->n == 0 || rec < r->steps[0].rec)
		return REPLAY_NONE;
	/* The last step that starts at or before REC. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (r->steps[mid].rec <= rec)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void
replay_summary(const struct replay *r, struct replay_summary *sum)
{
	size_t	i;

	memset(sum, 0, sizeof(*sum));
	sum->steps = r->n;
	sum->first_failure = REPLAY_NONE;
	for (i = 0; i < r->n; i++) {
		const struct replay_step *s = &r->steps[i];

		if (sum->first_failure == REPLAY_NONE &&
		    (s->code >= 400 || s->code == 0))
			sum->first_failure = i;
		if (s->code == 0)
			sum->closed_early = true;
		if (s->code / 100 == 2 && (s->verb == VERB_DOT ||
		    (s->verb == VERB_BDAT && bdat_last(r, s))))
			sum->messages++;
	}
	sum->quit = r->n > 0 && r->steps[r->n - 1].verb == VERB_QUIT &&
	    r->steps[r->n - 1].code != 0;
	sum->client_error = REPLAY_NONE;
	for (i = 0; i < transcript_count(r->t); i++)
		if (transcript_get(r->t, i)->kind == TRANSCRIPT_ERROR) {
			sum->client_error = i;
			break;
		}
}

size_t
replay_nnotes(const struct replay *r)
{
	return r->nnotes;
}

const char *
replay_note(const struct replay *r, size_t i, size_t *rec)
{
	if (i >= r->nnotes)
		return NULL;
	if (rec != NULL)
		*rec = r->notes[i].rec;
	return r->notes[i].text;
}

void
replay_command(const struct replay *r, size_t step, char **out, size_t *len)
{
	const struct replay_step	*s = &r->steps[step];
	const struct transcript_record	*rec;
	struct buf			 b;
	const char			*p;
	size_t				 i, n;

	buf_init(&b, 0);
	if (s->verb != VERB_DOT) {
		rec = transcript_get(r->t, s->rec);
		buf_add(&b, rec->bytes, rec->len);
	} else {
		/* The text lines, unstuffed, each with CRLF; not the dot. */
		for (i = s->rec; i < s->end; i++) {
			rec = transcript_get(r->t, i);
			if (rec->kind != TRANSCRIPT_CLIENT)
				continue;
			/* Text is stuffed: a lone "." is the end. */
			if (rec->len == 1 && rec->bytes[0] == '.')
				break;
			n = data_unstuff(rec->bytes, rec->len, &p);
			buf_add(&b, p, n);
			buf_add(&b, "\r\n", 2);
		}
	}
	*len = buf_avail(&b);
	*out = xmalloc(*len + 1);
	memcpy(*out, buf_head(&b), *len);
	(*out)[*len] = '\0';
	buf_free(&b);
}

void
replay_bdat_data(const struct replay *r, size_t step, char **out,
    size_t *len, bool *last)
{
	const struct replay_step	*s = &r->steps[step];
	const struct transcript_record	*rec;
	struct buf			 b;
	size_t				 i, n = 0;

	buf_init(&b, 0);
	*last = bdat_last(r, s);
	/* Its data: the first text_lines client lines after the command. */
	for (i = s->rec + 1; i < s->end && n < s->text_lines; i++) {
		rec = transcript_get(r->t, i);
		if (rec->kind != TRANSCRIPT_CLIENT)
			continue;
		n++;
		buf_add(&b, rec->bytes, rec->len);
		if (rec->eol == TRANSCRIPT_EOL_CRLF)
			buf_add(&b, "\r\n", 2);
		else if (rec->eol == TRANSCRIPT_EOL_LF)
			buf_add(&b, "\n", 1);
	}
	*len = buf_avail(&b);
	*out = xmalloc(*len + 1);
	memcpy(*out, buf_head(&b), *len);
	(*out)[*len] = '\0';
	buf_free(&b);
}

enum replay_diff
replay_compare(int code_was, const char *text_was, int code_now,
    const char *text_now)
{
	if (code_was / 100 != code_now / 100)
		return REPLAY_CLASS;
	if (code_was != code_now)
		return REPLAY_CODE;
	if (strcmp(text_was != NULL ? text_was : "",
	    text_now != NULL ? text_now : "") != 0)
		return REPLAY_TEXT;
	return REPLAY_SAME;
}

const char *
replay_diff_name(enum replay_diff d)
{
	static const char *const names[REPLAY_DIFF_LAST] = {
		[REPLAY_SAME] = "same",
		[REPLAY_TEXT] = "text changed",
		[REPLAY_CODE] = "code changed",
		[REPLAY_CLASS] = "class changed",
	};

	return d < REPLAY_DIFF_LAST ? names[d] : "?";
}
