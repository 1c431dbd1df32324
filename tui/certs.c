/*
 * smtptool certs: connect, get TLS (STARTTLS after EHLO, or implicit),
 * say QUIT, and report the session and the chain as the server sent it,
 * verified for the name typed.  Text for people, --json for programs.
 * Every string from a certificate goes through the sanitiser in text, and
 * through the JSON string writer in JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs.h"
#include "exitcode.h"
#include "sanitize.h"
#include "xmalloc.h"

struct certs {
	const struct certs_options	*o;
	struct loop			*loop;
	struct transcript		*t;
	struct client			*c;
	bool				 implicit;
	int				 exit;		/* -1: none yet */
	bool				 quit_sent;
};

static void
fail(struct certs *k, int code)
{
	if (k->exit == -1)
		k->exit = code;
}

static void
quit(struct certs *k)
{
	char	*err = NULL;

	if (k->quit_sent || client_state(k->c) != CLIENT_CONNECTED)
		return;
	k->quit_sent = true;
	if (client_send(k->c, "QUIT", 4, &err) == -1) {
		free(err);
		client_disconnect(k->c, NULL);
	}
}

static void
on_event(void *arg, const struct session_event *ev)
{
	struct certs	*k = arg;
	char		 line[300], *err = NULL;

	switch (ev->type) {
	case SEV_T_REPLY:
		if (ev->cmd == NULL)
			break;
		if (ev->cmd->verb == VERB_BANNER) {
			if (ev->reply->code / 100 != 2) {
				fail(k, EXIT_BANNER);
				quit(k);
			} else if (k->implicit)
				quit(k);
			else {
				snprintf(line, sizeof(line), "EHLO %s",
				    k->o->helo);
				if (client_send(k->c, line, strlen(line),
				    &err) == -1) {
					free(err);
					fail(k, EXIT_HELLO);
				}
			}
		} else if ((ev->cmd->verb == VERB_EHLO ||
		    ev->cmd->verb == VERB_HELO) && ev->reply->code / 100 != 2 &&
		    !(ev->cmd->verb == VERB_EHLO && (ev->reply->code == 500 ||
		    ev->reply->code == 502))) {
			fail(k, EXIT_HELLO);
			quit(k);
		}
		break;
	case SEV_T_CAPS:
		/*
		 * STARTTLS by hand rather than with --starttls: no EHLO after
		 * the handshake, the report does not need it.  Without it,
		 * --require-tls gives up by itself.
		 */
		if (ev->caps->known && !ev->tls &&
		    caps_has(ev->caps, "STARTTLS") &&
		    client_send(k->c, "STARTTLS", 8, &err) == -1) {
			free(err);
			fail(k, EXIT_TLS);
		}
		break;
	case SEV_T_TLS:
		if (ev->tls_ev == TLS_UP)
			quit(k);
		else if (ev->tls_ev == TLS_FAILED)
			fail(k, EXIT_TLS);
		else if (ev->tls_ev == TLS_MISSING)
			fail(k, client_tls_info(k->c) != NULL ? EXIT_CERT :
			    EXIT_TLS);
		break;
	case SEV_T_CLOSE:
		if (ev->why == CLOSE_TIMEOUT)
			fail(k, EXIT_TIMEOUT);
		else if (ev->why == CLOSE_PROTOCOL)
			fail(k, EXIT_PROTOCOL);
		break;
	default:
		break;
	}
}

static void
on_state(void *arg, enum client_state st)
{
	struct certs	*k = arg;

	if (st == CLIENT_IDLE && client_session(k->c) != NULL &&
	    session_phase(client_session(k->c)) == PHASE_IDLE)
		fail(k, EXIT_CONNECT);
}

/* The tool's errors on stderr; with --verbose the whole transcript. */
static void
on_record(void *arg, const struct transcript_record *r)
{
	struct certs	*k = arg;
	char		*s;

	if (k->o->verbose)
		transcript_write_record(stderr, r);
	else if (r->kind == TRANSCRIPT_ERROR) {
		s = sanitize_string(r->bytes, r->len, NULL);
		fprintf(stderr, "smtptool: %s\n", s);
		free(s);
	}
}

/* A string from a certificate, safe for a terminal. */
static void
put(FILE *fp, const char *s)
{
	char	*safe = sanitize_string(s, strlen(s), NULL);

	fputs(safe, fp);
	free(safe);
}

static void
put_list(FILE *fp, char *const *v, size_t n, const char *none)
{
	size_t	i;

	if (n == 0)
		fputs(none, fp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", fp);
		put(fp, v[i]);
	}
}

static void
put_problems(FILE *fp, unsigned problems)
{
	unsigned	bit;
	bool		first = true;

	if (problems == 0) {
		fputs("none", fp);
		return;
	}
	for (bit = 1; bit != 0 && bit <= TLS_P_OTHER; bit <<= 1) {
		if ((problems & bit) == 0 || tls_problem_name(bit) == NULL)
			continue;
		fprintf(fp, "%s%s", first ? "" : ", ", tls_problem_name(bit));
		first = false;
	}
}

static void
put_time(FILE *fp, time_t t, bool iso)
{
	struct tm	tm;
	char		buf[40];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), iso ? "%Y-%m-%dT%H:%M:%SZ" :
	    "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs(buf, fp);
}

static const char *
mode_name(const struct certs *k)
{
	return k->implicit ? "tls" : "starttls";
}

static void
report_text(const struct certs *k, const struct tls_info *in, FILE *fp)
{
	const struct tls_cert	*c;
	size_t			 i;

	fprintf(fp, "%-12s", "target");
	put(fp, k->o->target);
	fprintf(fp, " (%s)\n", k->implicit ? "implicit TLS" : "STARTTLS");
	fprintf(fp, "%-12s%s for ", "verdict", in->verified ? "verified" :
	    "NOT verified");
	put(fp, in->name);
	if (!in->verified) {
		fputs(": ", fp);
		put_problems(fp, in->problems);
	}
	fprintf(fp, "\n%-12s", "session");
	put(fp, in->version);
	fputc(' ', fp);
	put(fp, in->cipher);
	if (in->group != NULL && *in->group != '\0') {
		fputc(' ', fp);
		put(fp, in->group);
	} else if (in->kx != NULL && *in->kx != '\0') {
		fputc(' ', fp);
		put(fp, in->kx);
	}
	fprintf(fp, "%s\n", in->resumed ? " (resumed)" : "");
	fprintf(fp, "%-12s%zu certificate%s as sent\n", "chain", in->nchain,
	    in->nchain == 1 ? "" : "s");
	fprintf(fp, "%-12s", "OCSP");
	put(fp, in->ocsp != NULL ? in->ocsp : "not stapled");
	fputc('\n', fp);
	for (i = 0; i < in->nchain; i++) {
		c = &in->chain[i];
		fprintf(fp, "\n[%zu] ", i);
		put(fp, c->subject);
		fprintf(fp, "\n    %-12s", "issuer");
		put(fp, c->issuer);
		fprintf(fp, "\n    %-12s", "serial");
		put(fp, c->serial);
		fprintf(fp, "\n    %-12s", "valid");
		put_time(fp, c->not_before, false);
		fputs(" to ", fp);
		put_time(fp, c->not_after, false);
		if (c->days_left >= 0)
			fprintf(fp, " (%ld days left)", c->days_left);
		else
			fprintf(fp, " (expired %ld days ago)", -c->days_left);
		fprintf(fp, "\n    %-12s", "SANs");
		put_list(fp, c->san, c->nsan, "none");
		fprintf(fp, "\n    %-12s", "key");
		put(fp, c->key_type);
		fprintf(fp, ", %u bits", c->key_bits);
		fprintf(fp, "\n    %-12s", "signature");
		put(fp, c->sig_alg);
		fprintf(fp, "\n    %-12s", "SHA-256");
		put(fp, c->sha256);
		fprintf(fp, "\n    %-12s", "pin-sha256");
		put(fp, c->pin_sha256);
		fprintf(fp, "\n    %-12s", "CA");
		if (c->is_ca && c->path_len >= 0)
			fprintf(fp, "yes, path length %d", c->path_len);
		else
			fputs(c->is_ca ? "yes" : "no", fp);
		fprintf(fp, "\n    %-12s", "key usage");
		put_list(fp, c->key_usage, c->nku, "none");
		fprintf(fp, "\n    %-12s", "ext. usage");
		put_list(fp, c->eku, c->neku, "none");
		fprintf(fp, "\n    %-12s", "problems");
		put_problems(fp, c->problems);
		fputc('\n', fp);
	}
	if (in->nreasons > 0) {
		fputs("\nreasons:\n", fp);
		for (i = 0; i < in->nreasons; i++) {
			fputs("  - ", fp);
			put(fp, in->reasons[i]);
			fputc('\n', fp);
		}
	}
}

static void
json_str(FILE *fp, const char *s)
{
	if (s == NULL)
		fputs("null", fp);
	else
		transcript_json_string(fp, s, strlen(s));
}

static void
json_list(FILE *fp, char *const *v, size_t n)
{
	size_t	i;

	fputc('[', fp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', fp);
		json_str(fp, v[i]);
	}
	fputc(']', fp);
}

static void
json_problems(FILE *fp, unsigned problems)
{
	unsigned	bit;
	bool		first = true;

	fputc('[', fp);
	for (bit = 1; bit != 0 && bit <= TLS_P_OTHER; bit <<= 1) {
		if ((problems & bit) == 0 || tls_problem_name(bit) == NULL)
			continue;
		fprintf(fp, "%s\"%s\"", first ? "" : ",",
		    tls_problem_name(bit));
		first = false;
	}
	fputc(']', fp);
}

static void
report_json(const struct certs *k, const struct tls_info *in, FILE *fp)
{
	const struct tls_cert	*c;
	size_t			 i;

	fputs("{\"target\":", fp);
	json_str(fp, k->o->target);
	fprintf(fp, ",\"mode\":\"%s\",\"name\":", mode_name(k));
	json_str(fp, in->name);
	fprintf(fp, ",\"verified\":%s,\"problems\":", in->verified ? "true" :
	    "false");
	json_problems(fp, in->problems);
	fputs(",\"reasons\":", fp);
	json_list(fp, in->reasons, in->nreasons);
	fputs(",\"ocsp\":", fp);
	json_str(fp, in->ocsp);
	fputs(",\"session\":{\"version\":", fp);
	json_str(fp, in->version);
	fputs(",\"cipher\":", fp);
	json_str(fp, in->cipher);
	fputs(",\"mac\":", fp);
	json_str(fp, in->mac);
	fputs(",\"group\":", fp);
	json_str(fp, in->group);
	fputs(",\"kx\":", fp);
	json_str(fp, in->kx);
	fprintf(fp, ",\"resumed\":%s,\"description\":", in->resumed ? "true" :
	    "false");
	json_str(fp, in->desc);
	fputs("},\"chain\":[", fp);
	for (i = 0; i < in->nchain; i++) {
		c = &in->chain[i];
		fputs(i > 0 ? ",{\"subject\":" : "{\"subject\":", fp);
		json_str(fp, c->subject);
		fputs(",\"issuer\":", fp);
		json_str(fp, c->issuer);
		fputs(",\"serial\":", fp);
		json_str(fp, c->serial);
		fputs(",\"not_before\":\"", fp);
		put_time(fp, c->not_before, true);
		fputs("\",\"not_after\":\"", fp);
		put_time(fp, c->not_after, true);
		fprintf(fp, "\",\"days_left\":%ld,\"san\":", c->days_left);
		json_list(fp, c->san, c->nsan);
		fputs(",\"key_type\":", fp);
		json_str(fp, c->key_type);
		fprintf(fp, ",\"key_bits\":%u,\"signature\":", c->key_bits);
		json_str(fp, c->sig_alg);
		fputs(",\"sha256\":", fp);
		json_str(fp, c->sha256);
		fputs(",\"pin_sha256\":", fp);
		json_str(fp, c->pin_sha256);
		fprintf(fp, ",\"ca\":%s,\"path_len\":", c->is_ca ? "true" :
		    "false");
		if (c->path_len >= 0)
			fprintf(fp, "%d", c->path_len);
		else
			fputs("null", fp);
		fputs(",\"key_usage\":", fp);
		json_list(fp, c->key_usage, c->nku);
		fputs(",\"ext_key_usage\":", fp);
		json_list(fp, c->eku, c->neku);
		fputs(",\"problems\":", fp);
		json_problems(fp, c->problems);
		fputc('}', fp);
	}
	fputs("]}\n", fp);
}

/* 465 (smtps, submissions) means implicit TLS. */
static bool
implicit_port(const char *target)
{
	char	host[256], port[32], *err = NULL;

	if (client_parse_target(target, host, sizeof(host), port,
	    sizeof(port), &err) == -1) {
		free(err);
		return false;
	}
	return strcmp(port, "465") == 0 || strcmp(port, "smtps") == 0 ||
	    strcmp(port, "submissions") == 0;
}

int
certs_run(const struct certs_options *o)
{
	struct certs			 k = { .o = o, .exit = -1 };
	struct client_listener		 l = {
		.event = on_event,
		.state = on_state,
		.record = on_record,
	};
	struct client_options		 copt = o->client;
	const struct tls_info		*in;
	char				*err = NULL;

	k.implicit = o->mode == CERTS_TLS ||
	    (o->mode == CERTS_AUTO && implicit_port(o->target));
	copt.implicit_tls = k.implicit;
	copt.starttls = false;		/* STARTTLS by hand, see on_event */
	copt.require_tls = true;	/* QUIT at once when TLS is not had */
	k.loop = loop_new();
	k.t = transcript_new();
	k.c = client_new(k.loop, k.t, &copt, &l, &k);
	if (client_connect(k.c, o->target, &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err);
		free(err);
		k.exit = EXIT_CONNECT;
		goto out;
	}
	while (client_state(k.c) != CLIENT_IDLE) {
		loop_once(k.loop, -1);
		/*
		 * Once QUIT is out, the report has all it needs: close
		 * (close_notify, FIN) without waiting for the 221.
		 */
		if (k.quit_sent && client_tls_info(k.c) != NULL &&
		    client_state(k.c) == CLIENT_CONNECTED &&
		    client_flushed(k.c))
			client_disconnect(k.c, "QUIT sent; not waiting for "
			    "the reply");
	}
	if ((in = client_tls_info(k.c)) != NULL) {
		if (o->json)
			report_json(&k, in, stdout);
		else
			report_text(&k, in, stdout);
		fflush(stdout);
		if (k.exit == -1 || k.exit == EXIT_CERT)
			k.exit = in->verified ? EXIT_OK : EXIT_CERT;
	} else if (k.exit == -1)
		k.exit = EXIT_TLS;
out:
	client_free(k.c);
	transcript_free(k.t);
	loop_free(k.loop);
	return k.exit;
}
