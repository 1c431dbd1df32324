/*
 * The batch mode: reads a script, drives the client, prints the transcript
 * as it goes and returns an exit code that names the step that failed.
 *
 * Each script line waits until the previous one is answered.  By default a
 * 4xx or 5xx reply fails the script: QUIT is sent and the exit code names
 * that step.  ":expect CODE" makes the next reply the expected one instead.
 * After a 354, lines are message text until a lone ".", as in SMTP itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "compose.h"
#include "exitcode.h"
#include "script.h"
#include "secret.h"
#include "xmalloc.h"

#define BATCH_MAX_SCRIPT	(16 * 1024 * 1024)

struct batch {
	const struct batch_options	*o;
	struct loop			*loop;
	struct transcript		*t;
	struct client			*c;
	struct loop_source		 src;	/* :sleep */

	char				**lines;
	size_t				 nlines;
	size_t				 next;

	int				 exit;
	bool				 failed;
	bool				 done;		/* script finished */
	bool				 quitting;	/* our QUIT is out */
	bool				 connected_once;
	bool				 header;
	bool				 data_file;	/* :data awaits 354 */
	char				 expect[4];	/* for the next reply */
	bool				 expect_set;
	enum command_step		 step;	/* of the last command */
	uint64_t			 sleep_until;
};

static void __attribute__((format(printf, 3, 4)))
fail(struct batch *b, int code, const char *fmt, ...)
{
	va_list	ap;
	char	*msg;

	if (b->failed)
		return;
	b->failed = true;
	b->exit = code;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) != -1) {
		client_note(b->c, TRANSCRIPT_ERROR, "%s (exit %d)", msg, code);
		free(msg);
	}
	va_end(ap);
}

static void
on_record(void *arg, const struct transcript_record *r)
{
	struct batch	*b = arg;

	if (b->o->json)
		transcript_write_jsonl_record(stdout, r);
	else {
		if (!b->header) {
			transcript_write_header(stdout, b->t);
			b->header = true;
		}
		transcript_write_record(stdout, r);
	}
	fflush(stdout);
}

static void
on_reply(struct batch *b, const struct session_event *ev)
{
	const struct session_cmd	*cmd = ev->cmd;
	int				 code = ev->reply->code;
	bool				 ok;

	if (cmd == NULL)
		return;		/* unsolicited: a 421 ends in on_close */
	if (cmd->verb == VERB_QUIT && b->quitting)
		return;
	if (cmd->verb == VERB_BANNER) {
		if (code / 100 != 2)
			fail(b, EXIT_BANNER, "the server greets with %d", code);
		return;
	}
	if (cmd->verb == VERB_EHLO && (code == 500 || code == 502))
		return;		/* the engine falls back to HELO */
	if (cmd->verb == VERB_STARTTLS && code != 220 &&
	    b->o->client.require_tls)
		return;		/* the engine gives up: TLS_MISSING */
	if (cmd->verb == VERB_DATA && b->data_file) {
		b->data_file = false;
		if (code != 354)
			fail(b, EXIT_DATA, "DATA got %d, not 354", code);
		return;
	}
	if (b->expect_set) {
		b->expect_set = false;
		ok = script_expect_match(b->expect, code);
		if (!ok)
			fail(b, exit_code_of(cmd->step), "%s: expected %s, "
			    "got %d", command_step_name(cmd->step), b->expect,
			    code);
		return;
	}
	if (code >= 400)
		fail(b, exit_code_of(cmd->step), "%s failed with %d",
		    command_step_name(cmd->step), code);
}

static void
on_event(void *arg, const struct session_event *ev)
{
	struct batch	*b = arg;

	switch (ev->type) {
	case SEV_T_SENT:
		break;
	case SEV_T_REPLY:
		on_reply(b, ev);
		break;
	case SEV_T_TLS:
		if (ev->tls_ev == TLS_FAILED)
			fail(b, EXIT_TLS, "TLS could not be established");
		else if (ev->tls_ev == TLS_MISSING) {
			b->quitting = true;	/* the engine sent QUIT */
			if (session_tls(client_session(b->c)) && !ev->verified)
				fail(b, EXIT_CERT, "the certificate did not "
				    "verify, and TLS is required");
			else
				fail(b, EXIT_TLS, "TLS is required and could "
				    "not be had");
		}
		break;
	case SEV_T_AUTH:
		if (ev->auth_ev == AUTH_REFUSED)
			fail(b, EXIT_AUTH, "AUTH was not attempted");
		break;
	case SEV_T_CLOSE:
		if (ev->why == CLOSE_TIMEOUT)
			fail(b, EXIT_TIMEOUT, "no reply in time");
		else if (ev->why == CLOSE_PROTOCOL)
			fail(b, EXIT_PROTOCOL, "the server broke the protocol");
		else if (ev->why == CLOSE_TLS)
			fail(b, EXIT_TLS, "TLS could not be established");
		else if (ev->why == CLOSE_SERVER && !b->quitting)
			fail(b, exit_code_of(b->step), "the server closed the "
			    "connection during %s", command_step_name(b->step));
		break;
	default:
		break;
	}
}

static void
on_state(void *arg, enum client_state st)
{
	struct batch	*b = arg;

	if (st == CLIENT_CONNECTED) {
		b->connected_once = true;
		b->step = STEP_BANNER;
	} else if (st == CLIENT_IDLE && !b->connected_once)
		fail(b, EXIT_CONNECT, "cannot connect to %s",
		    client_target(b->c));
}

static void
sleep_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct batch	*b = src->arg;

	(void)revents;
	if (now >= b->sleep_until) {
		b->sleep_until = 0;
		src->deadline = 0;
		loop_remove(b->loop, src);
	}
}

/*
 * No script, or an empty one, and a message to send: the whole dialog by
 * itself (STARTTLS and AUTH come from the engine after the EHLO).
 */
static int
auto_dialog(struct batch *b)
{
	char	hello[300];
	size_t	i;

	for (i = 0; i < b->nlines; i++)
		free(b->lines[i]);
	snprintf(hello, sizeof(hello), "EHLO %s", b->o->helo);
	b->lines = xrealloc(b->lines, 2 * sizeof(*b->lines));
	b->nlines = 0;
	b->lines[b->nlines++] = xstrdup(hello);
	b->lines[b->nlines++] = xstrdup(":compose");
	return 0;
}

/* Read the whole script, one string a line. */
static int
read_script(struct batch *b)
{
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0, total = 0;
	ssize_t		 n;
	const char	*name = b->o->script;

	if (name == NULL)
		return auto_dialog(b);
	if (strcmp(name, "-") == 0)
		f = stdin;
	else if ((f = fopen(name, "r")) == NULL) {
		fprintf(stderr, "smtptool: cannot read script %s: %s\n", name,
		    strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		total += (size_t)n;
		if (total > BATCH_MAX_SCRIPT) {
			fprintf(stderr, "smtptool: cannot read script %s: "
			    "larger than 16 MiB\n", name);
			free(line);
			if (f != stdin)
				fclose(f);
			return -1;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (memchr(line, '\0', (size_t)n) != NULL) {
			fprintf(stderr, "smtptool: cannot read script %s: "
			    "line %zu holds a NUL byte\n", name,
			    b->nlines + 1);
			free(line);
			if (f != stdin)
				fclose(f);
			return -1;
		}
		b->lines = xrealloc(b->lines, (b->nlines + 1) *
		    sizeof(*b->lines));
		b->lines[b->nlines++] = xstrdup(line);
	}
	free(line);
	if (ferror(f)) {
		fprintf(stderr, "smtptool: cannot read script %s: %s\n", name,
		    strerror(errno));
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

/* A script with nothing but comments and blank lines. */
static bool
script_empty(const struct batch *b)
{
	size_t	i;

	for (i = 0; i < b->nlines; i++)
		if (b->lines[i][strspn(b->lines[i], " \t")] != '\0' &&
		    b->lines[i][0] != '#')
			return false;
	return true;
}

/*
 * Check every line before connecting; lines after a DATA up to a lone "."
 * are message text.
 */
static int
check_script(struct batch *b)
{
	struct script_line	 sl;
	size_t			 i;
	bool			 text = false;
	char			*copy, *err = NULL;

	for (i = 0; i < b->nlines; i++) {
		if (text) {
			if (strcmp(b->lines[i], ".") == 0)
				text = false;
			continue;
		}
		copy = xstrdup(b->lines[i]);
		if (script_parse(copy, 1, &sl, &err) == -1) {
			fprintf(stderr, "smtptool: %s, line %zu: %s\n",
			    b->o->script, i + 1, err);
			free(err);
			free(copy);
			return -1;
		}
		if (sl.op == SCRIPT_SEND &&
		    command_verb_of(sl.arg, sl.arglen) == VERB_DATA)
			text = true;
		free(copy);
	}
	return 0;
}

static void
send_line(struct batch *b, const char *line, size_t len)
{
	char	*err = NULL;
	enum command_verb v = command_verb_of(line, len);

	if (!client_in_message(b->c))
		b->step = command_info(v)->step;
	else if (len == 1 && line[0] == '.')
		b->step = STEP_DATA;
	if (v == VERB_QUIT && !client_in_message(b->c))
		b->quitting = true;
	if (client_send(b->c, line, len, &err) == -1) {
		fail(b, EXIT_SCRIPT, "%s", err);
		free(err);
	}
}

/* :auth MECH [USER]: the secret from --auth's, the environment, a file
 * or the terminal, never from the script. */
static void
run_auth(struct batch *b, const struct script_line *sl)
{
	struct secret	 sec = { 0 };
	enum sasl_mech	 mech = sasl_mech(sl->arg, strlen(sl->arg));
	const char	*user = sl->arg2 != NULL ? sl->arg2 : b->o->user;
	char		*err = NULL, prompt[300];
	int		 rc;

	b->step = STEP_AUTH;
	if (mech == SASL_NONE) {
		fail(b, EXIT_SCRIPT, "cannot run :auth: no mechanism \"%s\" "
		    "(PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER)", sl->arg);
		return;
	}
	if (user == NULL) {
		fail(b, EXIT_SCRIPT, "cannot run :auth: no user (:auth MECH "
		    "USER, or --user)");
		return;
	}
	if (b->o->client.auth_secret != NULL)
		rc = client_auth(b->c, mech, user, b->o->client.auth_secret,
		    b->o->client.auth_secretlen, &err);
	else {
		snprintf(prompt, sizeof(prompt), "%s for %s: ",
		    mech == SASL_XOAUTH2 || mech == SASL_OAUTHBEARER ?
		    "Token" : "Password", user);
		rc = secret_get(&sec, b->o->password_file, prompt, true, &err);
		if (rc == 0)
			rc = client_auth(b->c, mech, user, sec.p, sec.len,
			    &err);
		secret_clear(&sec);
	}
	if (rc == -1) {
		fail(b, EXIT_AUTH, "%s", err);
		free(err);
	}
}

/* :compose [OPTIONS], over the command line's --from, --to, ... */
static void
run_compose(struct batch *b, const char *args)
{
	struct compose_options	 co = { 0 };
	char			*err = NULL;

	b->step = STEP_MAIL;
	if (compose_parse(&co, args, &err) == -1) {
		fail(b, EXIT_SCRIPT, "%s", err);
		free(err);
		compose_free(&co);
		return;
	}
	if (b->o->compose != NULL)
		compose_merge(&co, b->o->compose);
	if (compose_send(b->c, &co, b->o->helo, &err) == -1) {
		fail(b, EXIT_MAIL, "%s", err);
		free(err);
	}
	compose_free(&co);
}

/* Run one script line. */
static void
run_line(struct batch *b, char *line)
{
	struct script_line	 sl;
	char			*err = NULL;

	if (client_in_message(b->c)) {
		send_line(b, line, strlen(line));
		return;
	}
	if (script_parse(line, 1, &sl, &err) == -1) {
		fail(b, EXIT_SCRIPT, "%s", err);
		free(err);
		return;
	}
	switch (sl.op) {
	case SCRIPT_COMMENT:
		break;
	case SCRIPT_SEND:
		send_line(b, sl.arg, sl.arglen);
		break;
	case SCRIPT_CONNECT:
		if (client_connect(b->c, sl.arg, &err) == -1) {
			fail(b, EXIT_CONNECT, "%s", err);
			free(err);
		}
		break;
	case SCRIPT_DISCONNECT:
		client_disconnect(b->c, ":disconnect");
		break;
	case SCRIPT_STARTTLS:
		send_line(b, "STARTTLS", 8);
		break;
	case SCRIPT_DATA:
		b->step = STEP_DATA;
		if (client_send_file(b->c, sl.arg, sl.raw, &err) == -1) {
			fail(b, EXIT_SCRIPT, "%s", err);
			free(err);
		} else
			b->data_file = true;
		break;
	case SCRIPT_BDAT:
		b->step = STEP_DATA;
		if (client_bdat_file(b->c, sl.arg, sl.chunk, &err) == -1) {
			fail(b, EXIT_SCRIPT, "%s", err);
			free(err);
		}
		break;
	case SCRIPT_AUTH:
		run_auth(b, &sl);
		break;
	case SCRIPT_COMPOSE:
		run_compose(b, sl.arg);
		break;
	case SCRIPT_EXPECT:
		memcpy(b->expect, sl.expect, sizeof(b->expect));
		b->expect_set = true;
		break;
	case SCRIPT_SLEEP:
		b->sleep_until = loop_now() + sl.usec;
		b->src.deadline = b->sleep_until;
		loop_add(b->loop, &b->src);
		break;
	case SCRIPT_SAVE:
		if (transcript_save(b->t, sl.arg, &err) == -1) {
			fail(b, EXIT_SCRIPT, "%s", err);
			free(err);
		}
		break;
	case SCRIPT_EXPORT:
		if (transcript_export_jsonl(b->t, sl.arg, &err) == -1) {
			fail(b, EXIT_SCRIPT, "%s", err);
			free(err);
		}
		break;
	case SCRIPT_QUIT:
		b->done = true;
		break;
	case SCRIPT_RULES:
		if (client_set_rules(b->c, strcmp(sl.arg, "off") == 0 ? NULL :
		    sl.arg, b->o->seed, &err) == -1) {
			fail(b, EXIT_SCRIPT, "%s", err);
			free(err);
		}
		break;
	case SCRIPT_FILTER:
	case SCRIPT_HELP:
		client_note(b->c, TRANSCRIPT_WARNING, ":%s does nothing in "
		    "batch mode", script_table[sl.op].name);
		break;
	case SCRIPT_OP_LAST:
		break;
	}
}

/* Run script lines while nothing is awaited. */
static void
step(struct batch *b)
{
	struct session	*s;

	while (!b->done && !b->failed) {
		if (b->sleep_until != 0)
			return;
		if (client_state(b->c) == CLIENT_CONNECTING)
			return;
		s = client_session(b->c);
		if (client_state(b->c) == CLIENT_CONNECTED &&
		    (!session_idle(s) || session_phase(s) == PHASE_BANNER))
			return;
		if (b->next >= b->nlines) {
			b->done = true;
			break;
		}
		run_line(b, b->lines[b->next++]);
	}
	/* Finished or failed: leave politely, once the replies are in. */
	s = client_session(b->c);
	if (client_state(b->c) == CLIENT_CONNECTED && !b->quitting &&
	    session_phase(s) != PHASE_QUIT) {
		char	*err = NULL;

		if (!session_idle(s) && !session_in_message(s) &&
		    session_phase(s) != PHASE_BANNER)
			return;
		b->quitting = true;
		if (session_in_message(s))
			client_disconnect(b->c, "the script ended inside "
			    "message text");
		else if (client_send(b->c, "QUIT", 4, &err) == -1) {
			free(err);
			client_disconnect(b->c, NULL);
		}
	}
}

int
batch_run(const struct batch_options *o)
{
	struct batch			 b;
	struct client_listener		 l = {
		.event = on_event,
		.state = on_state,
		.record = on_record,
	};
	char				*err = NULL;
	size_t				 i;

	memset(&b, 0, sizeof(b));
	b.o = o;
	b.exit = EXIT_OK;
	if (read_script(&b) == -1 || check_script(&b) == -1 ||
	    (o->script != NULL && o->compose != NULL &&
	    compose_wanted(o->compose) && script_empty(&b) &&
	    auto_dialog(&b) == -1)) {
		for (i = 0; i < b.nlines; i++)
			free(b.lines[i]);
		free(b.lines);
		return EXIT_SCRIPT;
	}
	b.loop = loop_new();
	b.t = transcript_new();
	b.c = client_new(b.loop, b.t, &o->client, &l, &b);
	b.src.fd = -1;
	b.src.dispatch = sleep_dispatch;
	b.src.arg = &b;
	/* The header names the target: set it before recording starts. */
	if (o->target != NULL)
		transcript_set_start(b.t, transcript_start(b.t), o->target);
	if (o->record != NULL &&
	    transcript_record_to(b.t, o->record, &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err);
		free(err);
		b.exit = EXIT_USAGE;
		goto out;
	}
	if (o->rules != NULL &&
	    client_set_rules(b.c, o->rules, o->seed, &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err);
		free(err);
		b.exit = EXIT_USAGE;
		goto out;
	}
	if (o->target != NULL && client_connect(b.c, o->target, &err) == -1) {
		client_note(b.c, TRANSCRIPT_ERROR, "%s (exit %d)", err,
		    EXIT_CONNECT);
		free(err);
		b.exit = EXIT_CONNECT;
		goto out;
	}
	for (;;) {
		step(&b);
		if ((b.done || b.failed) &&
		    client_state(b.c) == CLIENT_IDLE)
			break;
		loop_once(b.loop, -1);
	}
out:
	client_free(b.c);
	transcript_free(b.t);
	loop_free(b.loop);
	for (i = 0; i < b.nlines; i++)
		free(b.lines[i]);
	free(b.lines);
	return b.exit;
}
