/* smtptool replay FILE --batch [--against HOST]: see replay_batch.h. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "loop.h"
#include "replay_batch.h"
#include "replay_run.h"
#include "reply.h"
#include "secret.h"
#include "xmalloc.h"

int
replay_load(struct transcript *t, const char *path, struct import_result *res,
    char **errstr)
{
	return import_capture(t, path, res, errstr);
}

int
replay_target_local(const char *target, char **errstr)
{
	struct addrinfo		 hints, *ai, *p;
	char			 host[256], port[32];
	int			 rc, local = 1;

	if (client_parse_target(target, host, sizeof(host), port,
	    sizeof(port), errstr) == -1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return seterr(errstr, "cannot resolve %s: %s", host,
		    gai_strerror(rc));
	for (p = ai; p != NULL; p = p->ai_next) {
		if (p->ai_family == AF_INET) {
			const struct sockaddr_in *s4 = (void *)p->ai_addr;

			if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
				local = 0;
		} else if (p->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (void *)p->ai_addr;

			if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
				local = 0;
		} else
			local = 0;
	}
	freeaddrinfo(ai);
	return local;
}

/* LEN bytes, escaped for a terminal and cut to MAX characters. */
static void
shown(FILE *fp, const char *p, size_t len, size_t max)
{
	char	*e = transcript_escape(p, len, TRANSCRIPT_EOL_CRLF);
	size_t	 n = strlen(e);

	if (n > max)
		fprintf(fp, "%.*s...", (int)(max - 3), e);
	else
		fputs(e, fp);
	free(e);
}

/* A step's command as the reader sees it. */
static void
step_command(FILE *fp, const struct replay *r, size_t i, size_t max)
{
	const struct replay_step	*s = replay_get(r, i);
	const struct transcript_record	*rec;

	if (s->verb == VERB_BANNER)
		fputs("(banner)", fp);
	else if (s->verb == VERB_DOT)
		fprintf(fp, "(message, %zu line%s)", s->text_lines,
		    s->text_lines == 1 ? "" : "s");
	else {
		rec = transcript_get(replay_transcript(r), s->rec);
		shown(fp, rec->bytes, rec->len, max);
	}
}

/* A step's reply: its last line (code, enhanced code, text). */
static void
step_reply(FILE *fp, const struct replay *r, size_t i, size_t max)
{
	const struct replay_step	*s = replay_get(r, i);
	const struct transcript_record	*rec;

	if (s->code == 0) {
		fputs("(no reply: the connection ended)", fp);
		return;
	}
	rec = transcript_get(replay_transcript(r), s->reply_last);
	shown(fp, rec->bytes, rec->len, max);
}

/* The width step_command() will print (its escaped text is ASCII). */
static size_t
ftell_width(const struct replay *r, size_t i, size_t max)
{
	char	*p = NULL;
	size_t	 n = 0;
	FILE	*fp = open_memstream(&p, &n);

	if (fp == NULL)
		return max;
	step_command(fp, r, i, max);
	fclose(fp);
	free(p);
	return n;
}

static void
json_string(FILE *fp, const char *p, size_t len)
{
	transcript_json_string(fp, p, len);
}

static void
print_json(const struct replay *r, const struct replay_summary *sum)
{
	const struct transcript	*t = replay_transcript(r);
	size_t			 i;

	for (i = 0; i < replay_count(r); i++) {
		const struct replay_step *s = replay_get(r, i);
		const struct transcript_record *rec;

		printf("{\"step\":%zu,\"verb\":\"%s\",\"phase\":\"%s\","
		    "\"command\":", i + 1, s->verb == VERB_BANNER ? "banner" :
		    s->verb == VERB_DOT ? "message" :
		    command_info(s->verb)->name, session_phase_name(s->phase));
		if (s->verb == VERB_BANNER || s->verb == VERB_DOT)
			fputs("null", stdout);
		else {
			rec = transcript_get(t, s->rec);
			json_string(stdout, rec->bytes, rec->len);
		}
		printf(",\"code\":%d,\"enhanced\":\"%s\",\"reply\":", s->code,
		    s->enhanced);
		if (s->code == 0)
			fputs("null", stdout);
		else {
			rec = transcript_get(t, s->reply_last);
			json_string(stdout, rec->bytes, rec->len);
		}
		printf(",\"reply_lines\":%zu", s->code == 0 ? 0 :
		    s->reply_last - s->reply + 1);
		if (s->latency >= 0)
			printf(",\"latency\":%lld.%06lld",
			    (long long)(s->latency / 1000000),
			    (long long)(s->latency % 1000000));
		printf(",\"tls\":%s,\"pipelined\":%s,\"masked\":%s",
		    s->tls ? "true" : "false",
		    s->pipelined ? "true" : "false",
		    s->masked ? "true" : "false");
		if (s->verb == VERB_DOT)
			printf(",\"text_lines\":%zu", s->text_lines);
		puts("}");
	}
	printf("{\"summary\":{\"steps\":%zu,\"failed_at\":", sum->steps);
	if (sum->first_failure == REPLAY_NONE)
		fputs("null", stdout);
	else
		printf("%zu", sum->first_failure + 1);
	printf(",\"messages\":%zu,\"quit\":%s,\"closed_early\":%s,"
	    "\"client_error\":", sum->messages, sum->quit ? "true" : "false",
	    sum->closed_early ? "true" : "false");
	if (sum->client_error == REPLAY_NONE)
		fputs("null", stdout);
	else {
		const struct transcript_record *e = transcript_get(t,
		    sum->client_error);

		transcript_json_string(stdout, e->bytes, e->len);
	}
	fputs("}}\n", stdout);
}

static void
print_text(const struct replay *r, const struct replay_summary *sum,
    const char *file)
{
	const struct replay_step *s;
	size_t			 i, n, rec, col;
	const char		*note;

	printf("# %s: %zu records, %zu steps\n", file,
	    transcript_count(replay_transcript(r)), replay_count(r));
	/* What the capture says of itself ("# what: ..."). */
	n = transcript_comments(replay_transcript(r), 0, &rec, &note);
	for (i = 0; i < n; i++) {
		transcript_comments(replay_transcript(r), i, &rec, &note);
		if (strncmp(note, "# what:", 7) == 0)
			printf("%s\n", note);
	}
	for (i = 0; i < replay_nnotes(r); i++) {
		note = replay_note(r, i, &rec);
		printf("# note: %s\n", note);
	}
	printf("%5s  %-8s %-40s  %s\n", "step", "phase", "command",
	    "reply (latency)");
	for (i = 0; i < replay_count(r); i++) {
		s = replay_get(r, i);
		printf("%5zu  %-8s ", i + 1, session_phase_name(s->phase));
		col = ftell_width(r, i, 40);
		step_command(stdout, r, i, 40);
		printf("%*s  ", col < 40 ? (int)(40 - col) : 0, "");
		step_reply(stdout, r, i, 70);
		if (s->latency >= 0)
			printf(" (%.1f ms)", (double)s->latency / 1000);
		if (s->tls)
			fputs(" [TLS]", stdout);
		if (s->pipelined)
			fputs(" [pipelined]", stdout);
		if (s->code >= 400)
			printf("  <- %s", reply_explain(s->code));
		putchar('\n');
	}
	if (sum->first_failure == REPLAY_NONE && sum->client_error != REPLAY_NONE) {
		const struct transcript_record *e = transcript_get(
		    replay_transcript(r), sum->client_error);

		printf("summary: no reply failed, but the client gave up "
		    "(record %zu): ", sum->client_error + 1);
		shown(stdout, e->bytes, e->len, 160);
		printf("; %zu message%s accepted\n", sum->messages,
		    sum->messages == 1 ? "" : "s");
	} else if (sum->first_failure == REPLAY_NONE)
		printf("summary: no step failed; %zu message%s accepted%s\n",
		    sum->messages, sum->messages == 1 ? "" : "s",
		    sum->quit ? "; ended with QUIT" : "");
	else {
		s = replay_get(r, sum->first_failure);
		printf("summary: failed at step %zu (", sum->first_failure + 1);
		step_command(stdout, r, sum->first_failure, 60);
		fputs("): ", stdout);
		step_reply(stdout, r, sum->first_failure, 100);
		if (s->code != 0)
			printf(" (%s)", reply_explain(s->code));
		printf("; %zu message%s accepted%s\n", sum->messages,
		    sum->messages == 1 ? "" : "s", sum->quit ?
		    "; ended with QUIT" : "");
	}
}

/* The exit code of an offline replay: the step the capture failed at. */
static int
offline_exit(const struct replay *r, const struct replay_summary *sum)
{
	const struct replay_step	*s;

	if (sum->first_failure == REPLAY_NONE &&
	    sum->client_error != REPLAY_NONE) {
		const struct transcript_record *e = transcript_get(
		    replay_transcript(r), sum->client_error);

		/* Our own words: TLS and certificates have their codes. */
		if (memmem(e->bytes, e->len, "certificate", 11) != NULL)
			return EXIT_CERT;
		if (memmem(e->bytes, e->len, "TLS", 3) != NULL)
			return EXIT_TLS;
		return EXIT_OTHER;
	}
	if (sum->first_failure == REPLAY_NONE)
		return EXIT_OK;
	s = replay_get(r, sum->first_failure);
	if (s->verb == VERB_BANNER)
		return EXIT_BANNER;
	if (s->verb == VERB_DOT)
		return EXIT_DATA;
	return exit_code_of(command_info(s->verb)->step);
}

/* --- the live re-run ---------------------------------------------------- */

struct live {
	const struct replay_options	*o;
	struct loop			*loop;
	struct transcript		*t;
	struct client			*c;
	struct replay_run		*rr;
	const struct replay		*r;
	bool				 header;
	bool				 connect_failed;
};

static void
live_record(void *arg, const struct transcript_record *rec)
{
	struct live	*lv = arg;

	if (lv->o->json) {
		transcript_write_jsonl_record(stdout, rec);
	} else {
		if (!lv->header) {
			transcript_write_header(stdout, lv->t);
			lv->header = true;
		}
		transcript_write_record(stdout, rec);
	}
	fflush(stdout);
}

static void
live_event(void *arg, const struct session_event *ev)
{
	struct live	*lv = arg;

	if (lv->rr != NULL)
		replay_run_event(lv->rr, ev);
}

static void
live_state(void *arg, enum client_state st)
{
	struct live	*lv = arg;

	if (lv->rr != NULL)
		replay_run_state(lv->rr, st);
}

static bool
has_auth(const struct replay *r)
{
	size_t	i;

	for (i = 0; i < replay_count(r); i++)
		if (replay_get(r, i)->verb == VERB_AUTH)
			return true;
	return false;
}

/* The table: each step, what the capture had, what came now. */
static void
print_table(struct live *lv)
{
	const struct replay		*r = lv->r;
	const struct replay_result	*res;
	size_t				 i, w;
	FILE				*fp = lv->o->json ? stderr : stdout;

	fprintf(fp, "#\n# %5s  %-36s %-5s %-5s %s\n", "step", "command",
	    "was", "now", "verdict");
	for (i = 0; i < replay_count(r); i++) {
		res = replay_run_result(lv->rr, i);
		fprintf(fp, "# %5zu  ", i + 1);
		w = ftell_width(r, i, 36);
		step_command(fp, r, i, 36);
		fprintf(fp, "%*s %-5d ", w < 36 ? (int)(36 - w) : 0, "",
		    replay_get(r, i)->code);
		if (res->skipped)
			fputs("-     (part of the next step's exchange, or not "
			    "sent)\n", fp);
		else if (!res->ran)
			fprintf(fp, "-     %s\n", replay_get(r, i)->code == 0 ?
			    "same (no reply)" : "not run (class changed)");
		else
			fprintf(fp, "%-5d %s\n", res->code,
			    replay_diff_name(res->diff));
	}
	fprintf(fp, "# %zu same, %zu text changed, %zu code changed, %zu "
	    "class changed\n", replay_run_count(lv->rr, REPLAY_SAME),
	    replay_run_count(lv->rr, REPLAY_TEXT),
	    replay_run_count(lv->rr, REPLAY_CODE),
	    replay_run_count(lv->rr, REPLAY_CLASS));
}

static int
against(const struct replay_options *o, const struct replay *r)
{
	struct live			 lv;
	struct client_listener		 l = {
		.event = live_event,
		.state = live_state,
		.record = live_record,
	};
	struct replay_run_options	 ro = { .target = o->against };
	struct secret			 sec = { 0 };
	char				*err = NULL, prompt[300];
	int				 rc, exit = EXIT_OK;

	if (!o->yes) {
		rc = replay_target_local(o->against, &err);
		if (rc == -1) {
			fprintf(stderr, "smtptool: %s\n", err);
			free(err);
			return EXIT_CONNECT;
		}
		if (rc == 0) {
			fprintf(stderr, "smtptool: cannot re-run the capture "
			    "against %s without confirmation: it is not a "
			    "loopback address, and the capture's commands "
			    "(its messages too) would be sent there; add "
			    "--yes to confirm\n", o->against);
			return EXIT_USAGE;
		}
	}
	if (has_auth(r)) {
		if (o->user == NULL) {
			fprintf(stderr, "smtptool: cannot re-run the capture's "
			    "AUTH: it needs --user (the secret is asked for "
			    "afresh, never taken from the file)\n");
			return EXIT_USAGE;
		}
		snprintf(prompt, sizeof(prompt), "Password for %s: ", o->user);
		if (secret_get(&sec, o->password_file, prompt, true,
		    &err) == -1) {
			fprintf(stderr, "smtptool: %s\n", err);
			free(err);
			return EXIT_USAGE;
		}
		ro.user = o->user;
		ro.secret = sec.p;
		ro.secretlen = sec.len;
	}
	memset(&lv, 0, sizeof(lv));
	lv.o = o;
	lv.r = r;
	lv.loop = loop_new();
	lv.t = transcript_new();
	lv.c = client_new(lv.loop, lv.t, &o->client, &l, &lv);
	transcript_set_start(lv.t, transcript_start(lv.t), o->against);
	if (o->record != NULL &&
	    transcript_record_to(lv.t, o->record, &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err);
		free(err);
		exit = EXIT_USAGE;
		goto out;
	}
	client_note(lv.c, TRANSCRIPT_INFO, "re-running %s (%zu steps) against "
	    "%s", o->file, replay_count(r), o->against);
	lv.rr = replay_run_new(lv.c, r, &ro, NULL, NULL);
	replay_run_until(lv.rr, replay_count(r));
	while (!replay_run_finished(lv.rr) ||
	    client_state(lv.c) != CLIENT_IDLE) {
		if (replay_run_finished(lv.rr) &&
		    client_state(lv.c) == CLIENT_CONNECTED) {
			struct session *s = client_session(lv.c);

			if (session_phase(s) != PHASE_QUIT &&
			    session_phase(s) != PHASE_CLOSED &&
			    session_idle(s)) {
				if (client_send(lv.c, "QUIT", 4, &err) == -1) {
					free(err);
					err = NULL;
					client_disconnect(lv.c, NULL);
				}
			}
		}
		loop_once(lv.loop, -1);
		replay_run_poll(lv.rr);
	}
	print_table(&lv);
	if (replay_run_result(lv.rr, 0) != NULL &&
	    !replay_run_result(lv.rr, 0)->ran)
		exit = EXIT_CONNECT;
	else if (replay_run_count(lv.rr, REPLAY_CLASS) > 0)
		exit = EXIT_REPLAY_CLASS;
out:
	replay_run_free(lv.rr);
	client_free(lv.c);
	transcript_free(lv.t);
	loop_free(lv.loop);
	secret_clear(&sec);
	return exit;
}

int
replay_batch(const struct replay_options *o)
{
	struct transcript	*t = transcript_new();
	struct import_result	 res;
	struct replay_summary	 sum;
	struct replay		*r = NULL;
	char			*err = NULL;
	size_t			 i;
	int			 exit;

	memset(&res, 0, sizeof(res));
	if (replay_load(t, o->file, &res, &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err);
		free(err);
		transcript_free(t);
		return EXIT_SCRIPT;
	}
	for (i = 0; i < res.nissues; i++)
		fprintf(stderr, "smtptool: %s: line %zu not understood: %s\n",
		    o->file, res.issues[i].line, res.issues[i].what);
	if (res.more_issues > 0)
		fprintf(stderr, "smtptool: %s: %zu more lines not "
		    "understood\n", o->file, res.more_issues);
	if (o->save != NULL && transcript_save(t, o->save, &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err);
		free(err);
		exit = EXIT_SCRIPT;
		goto out;
	}
	if ((r = replay_new(t, &err)) == NULL) {
		fprintf(stderr, "smtptool: %s: %s\n", o->file, err);
		free(err);
		exit = EXIT_SCRIPT;
		goto out;
	}
	if (o->against != NULL)
		exit = against(o, r);
	else {
		replay_summary(r, &sum);
		if (o->json)
			print_json(r, &sum);
		else
			print_text(r, &sum, o->file);
		exit = offline_exit(r, &sum);
	}
out:
	replay_free(r);
	import_result_free(&res);
	transcript_free(t);
	return exit;
}
