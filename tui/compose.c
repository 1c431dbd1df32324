/* Composing and sending a message from options: see compose.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "compose.h"
#include "mime.h"
#include "xmalloc.h"

#define COMPOSE_MAX_ATTACH	64

const char *const compose_option_names[] = {
	"from", "to", "cc", "bcc", "subject", "body", "html", "attach",
	"header", "dsn-ret", "dsn-envid", "dsn-notify", "dsn-orcpt",
	"requiretls", "bdat", "chunk-size", NULL,
};

/* Options that take no argument. */
static bool
is_flag(const char *name)
{
	return strcmp(name, "dsn-orcpt") == 0 ||
	    strcmp(name, "requiretls") == 0 || strcmp(name, "bdat") == 0;
}

static void
push(char ***v, size_t *n, const char *s, size_t len)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
}

/* "a@b, C <c@d>": each address, blanks around it cut. */
static int
push_list(char ***v, size_t *n, const char *name, const char *arg,
    char **errstr)
{
	const char	*p = arg, *end;
	size_t		 len;

	while (*p != '\0') {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0)
			return seterr(errstr, "cannot parse --%s: an empty "
			    "address in \"%s\"", name, arg);
		push(v, n, p, len);
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

static void
set(char **dst, const char *arg)
{
	free(*dst);
	*dst = xstrdup(arg);
}

int
compose_option(struct compose_options *o, const char *name, const char *arg,
    char **errstr)
{
	char	*end;

	if (strcmp(name, "from") == 0)
		set(&o->from, arg);
	else if (strcmp(name, "to") == 0)
		return push_list(&o->to, &o->nto, name, arg, errstr) == -1 ?
		    -1 : 1;
	else if (strcmp(name, "cc") == 0)
		return push_list(&o->cc, &o->ncc, name, arg, errstr) == -1 ?
		    -1 : 1;
	else if (strcmp(name, "bcc") == 0)
		return push_list(&o->bcc, &o->nbcc, name, arg, errstr) == -1 ?
		    -1 : 1;
	else if (strcmp(name, "subject") == 0)
		set(&o->subject, arg);
	else if (strcmp(name, "body") == 0)
		set(&o->body, arg);
	else if (strcmp(name, "html") == 0)
		set(&o->html, arg);
	else if (strcmp(name, "attach") == 0) {
		if (o->natt == COMPOSE_MAX_ATTACH)
			return seterr(errstr, "cannot attach %s: %d "
			    "attachments at most", arg, COMPOSE_MAX_ATTACH);
		push(&o->attach, &o->natt, arg, strlen(arg));
	} else if (strcmp(name, "header") == 0) {
		const char *colon = strchr(arg, ':');

		if (colon == NULL || colon == arg ||
		    strcspn(arg, " \t") < (size_t)(colon - arg))
			return seterr(errstr, "cannot parse --header: \"%s\" is "
			    "not \"Name: value\"", arg);
		push(&o->headers, &o->nheaders, arg, strlen(arg));
	} else if (strcmp(name, "dsn-ret") == 0) {
		if (strcasecmp(arg, "FULL") != 0 &&
		    strcasecmp(arg, "HDRS") != 0)
			return seterr(errstr, "cannot parse --dsn-ret: \"%s\" "
			    "is not FULL or HDRS", arg);
		set(&o->ret, arg);
		for (end = o->ret; *end != '\0'; end++)
			*end = (char)toupper((unsigned char)*end);
	} else if (strcmp(name, "dsn-envid") == 0) {
		if (strlen(arg) > 100)
			return seterr(errstr, "cannot parse --dsn-envid: "
			    "longer than 100 characters (RFC 3461)");
		set(&o->envid, arg);
	} else if (strcmp(name, "dsn-notify") == 0) {
		char	*copy = xstrdup(arg), *tok, *save = NULL;
		bool	 never = false, other = false;

		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			for (end = tok; *end != '\0'; end++)
				*end = (char)toupper((unsigned char)*end);
			if (strcmp(tok, "NEVER") == 0)
				never = true;
			else if (strcmp(tok, "SUCCESS") == 0 ||
			    strcmp(tok, "FAILURE") == 0 ||
			    strcmp(tok, "DELAY") == 0)
				other = true;
			else {
				free(copy);
				return seterr(errstr, "cannot parse "
				    "--dsn-notify: \"%s\" is not NEVER or a "
				    "list of SUCCESS, FAILURE, DELAY", arg);
			}
		}
		free(copy);
		if (never == other)
			return seterr(errstr, "cannot parse --dsn-notify: "
			    "\"%s\": NEVER alone, or SUCCESS, FAILURE, DELAY",
			    arg);
		set(&o->notify, arg);
		for (end = o->notify; *end != '\0'; end++)
			*end = (char)toupper((unsigned char)*end);
	} else if (strcmp(name, "dsn-orcpt") == 0)
		o->orcpt = true;
	else if (strcmp(name, "requiretls") == 0)
		o->requiretls = true;
	else if (strcmp(name, "bdat") == 0)
		o->bdat = true;
	else if (strcmp(name, "chunk-size") == 0) {
		errno = 0;
		o->chunk = strtoull(arg, &end, 10);
		if (errno != 0 || *end != '\0' || o->chunk == 0 ||
		    !isdigit((unsigned char)*arg))
			return seterr(errstr, "cannot parse --chunk-size: "
			    "\"%s\" is not a size in bytes", arg);
	} else
		return 0;
	return 1;
}

/* Split ARGS like a shell does with quotes and backslashes. */
static int
split(const char *args, char ***argv, size_t *argc, char **errstr)
{
	struct buf	 w;
	const char	*p = args;
	char		 q;
	bool		 in = false;

	buf_init(&w, 0);
	for (;;) {
		if (*p == '\0' || ((*p == ' ' || *p == '\t'))) {
			if (in) {
				push(argv, argc, buf_head(&w), buf_avail(&w));
				buf_reset(&w);
				in = false;
			}
			if (*p == '\0')
				break;
			p++;
			continue;
		}
		in = true;
		if (*p == '\'' || *p == '"') {
			q = *p++;
			while (*p != '\0' && *p != q) {
				if (q == '"' && *p == '\\' && p[1] != '\0')
					p++;
				buf_add(&w, p++, 1);
			}
			if (*p == '\0') {
				buf_free(&w);
				return seterr(errstr, "cannot parse :compose: "
				    "a quote is not closed");
			}
			p++;
			continue;
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		buf_add(&w, p++, 1);
	}
	buf_free(&w);
	return 0;
}

int
compose_parse(struct compose_options *o, const char *args, char **errstr)
{
	char	**argv = NULL, *name, *eq, *e = NULL;
	size_t	  argc = 0, i;
	int	  rc = 0, r;

	if (split(args, &argv, &argc, errstr) == -1)
		return -1;
	for (i = 0; i < argc && rc == 0; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			rc = seterr(errstr, "cannot parse :compose: \"%s\" is "
			    "not an option (--from, --to, ...)", argv[i]);
			break;
		}
		name = argv[i] + 2;
		eq = strchr(name, '=');
		if (eq != NULL)
			*eq++ = '\0';
		if (!is_flag(name) && eq == NULL) {
			if (i + 1 == argc) {
				rc = seterr(errstr, "cannot parse :compose: "
				    "--%s needs a value", name);
				break;
			}
			eq = argv[++i];
		}
		r = compose_option(o, name, eq, &e);
		if (r == 0)
			rc = seterr(errstr, "cannot parse :compose: no option "
			    "--%s", name);
		else if (r == -1) {
			rc = seterr(errstr, "%s", e);
			free(e);
		}
	}
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	return rc;
}

static void
dup_list(char ***dst, size_t *nd, char *const *src, size_t ns)
{
	size_t	i;

	if (*nd > 0)
		return;
	for (i = 0; i < ns; i++)
		push(dst, nd, src[i], strlen(src[i]));
}

static void
dup_str(char **dst, const char *src)
{
	if (*dst == NULL && src != NULL)
		*dst = xstrdup(src);
}

void
compose_merge(struct compose_options *d, const struct compose_options *s)
{
	dup_str(&d->from, s->from);
	dup_list(&d->to, &d->nto, s->to, s->nto);
	dup_list(&d->cc, &d->ncc, s->cc, s->ncc);
	dup_list(&d->bcc, &d->nbcc, s->bcc, s->nbcc);
	dup_str(&d->subject, s->subject);
	dup_str(&d->body, s->body);
	dup_str(&d->html, s->html);
	dup_list(&d->attach, &d->natt, s->attach, s->natt);
	dup_list(&d->headers, &d->nheaders, s->headers, s->nheaders);
	dup_str(&d->ret, s->ret);
	dup_str(&d->envid, s->envid);
	dup_str(&d->notify, s->notify);
	d->orcpt |= s->orcpt;
	d->requiretls |= s->requiretls;
	d->bdat |= s->bdat;
	if (d->chunk == 0)
		d->chunk = s->chunk;
}

bool
compose_wanted(const struct compose_options *o)
{
	return o->from != NULL || o->nto > 0 || o->ncc > 0 || o->nbcc > 0;
}

static void
free_list(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
compose_free(struct compose_options *o)
{
	free(o->from);
	free_list(o->to, o->nto);
	free_list(o->cc, o->ncc);
	free_list(o->bcc, o->nbcc);
	free(o->subject);
	free(o->body);
	free(o->html);
	free_list(o->attach, o->natt);
	free_list(o->headers, o->nheaders);
	free(o->ret);
	free(o->envid);
	free(o->notify);
	memset(o, 0, sizeof(*o));
}

static const char default_body[] =
    "This is a test message sent by smtptool.\n";

int
compose_send(struct client *c, const struct compose_options *o,
    const char *hostname, char **errstr)
{
	struct session		*s = client_session(c);
	const struct caps	*caps;
	struct mime_message	 m;
	struct mime_info	 info;
	struct mime_attachment	 att[COMPOSE_MAX_ATTACH];
	struct session_tx	 tx;
	struct buf		 out;
	struct tm		 tm;
	char			*text = NULL, *html = NULL, **rcpt = NULL;
	char			*files[COMPOSE_MAX_ATTACH];
	const char		*addr, *slash;
	size_t			 textlen = 0, htmllen = 0, i, n, nrcpt = 0;
	time_t			 now = time(NULL);
	int			 rc = -1;

	if (client_state(c) != CLIENT_CONNECTED || s == NULL)
		return seterr(errstr, "cannot send the message: not connected");
	if (o->from == NULL || o->nto + o->ncc + o->nbcc == 0)
		return seterr(errstr, "cannot compose the message: it needs "
		    "--from and --to (or --cc, --bcc)");
	if (o->nto == 0)
		return seterr(errstr, "cannot compose the message: it needs "
		    "--to (Cc and Bcc alone would leave To empty)");
	caps = session_caps(s);
	memset(files, 0, sizeof(files));
	if (o->body != NULL &&
	    client_read_file(o->body, &text, &textlen, errstr) == -1)
		goto out;
	if (o->html != NULL &&
	    client_read_file(o->html, &html, &htmllen, errstr) == -1)
		goto out;
	for (i = 0; i < o->natt; i++) {
		if (client_read_file(o->attach[i], &files[i], &n,
		    errstr) == -1)
			goto out;
		slash = strrchr(o->attach[i], '/');
		att[i].name = slash != NULL ? slash + 1 : o->attach[i];
		att[i].data = (const unsigned char *)files[i];
		att[i].len = n;
		att[i].type = NULL;
	}
	memset(&m, 0, sizeof(m));
	m.from = o->from;
	m.to = (const char *const *)o->to;
	m.nto = o->nto;
	m.cc = (const char *const *)o->cc;
	m.ncc = o->ncc;
	m.subject = o->subject != NULL ? o->subject : "smtptool test";
	if (text == NULL && html == NULL) {
		m.text = default_body;
		m.textlen = sizeof(default_body) - 1;
	} else {
		m.text = text;
		m.textlen = textlen;
	}
	m.html = html;
	m.htmllen = htmllen;
	m.att = att;
	m.natt = o->natt;
	m.headers = (const char *const *)o->headers;
	m.nheaders = o->nheaders;
	m.date = (int64_t)now;
	if (localtime_r(&now, &tm) != NULL)
		m.tzoff = (int)(tm.tm_gmtoff / 60);
	m.utf8 = caps_has(caps, "SMTPUTF8");
	m.hostname = hostname;
	buf_init(&out, 0);
	if (mime_build(&m, &out, &info, errstr) == -1) {
		buf_free(&out);
		goto out;
	}

	/* The envelope: To, Cc and Bcc, each address once. */
	for (i = 0; i < o->nto + o->ncc + o->nbcc; i++) {
		const char *v = i < o->nto ? o->to[i] : i < o->nto + o->ncc ?
		    o->cc[i - o->nto] : o->bcc[i - o->nto - o->ncc];

		addr = mime_addr_spec(v, &n);
		rcpt = xrealloc(rcpt, (nrcpt + 1) * sizeof(*rcpt));
		rcpt[nrcpt++] = xstrndup(addr, n);
	}
	memset(&tx, 0, sizeof(tx));
	addr = mime_addr_spec(o->from, &n);
	tx.from = xstrndup(addr, n);
	tx.rcpt = (const char *const *)rcpt;
	tx.nrcpt = nrcpt;
	tx.body = buf_head(&out);
	tx.len = buf_avail(&out);
	tx.smtputf8 = info.needs_utf8;
	tx.eightbit = info.eightbit;
	tx.ret = o->ret;
	tx.envid = o->envid;
	tx.notify = o->notify;
	tx.orcpt = o->orcpt;
	tx.requiretls = o->requiretls;
	tx.bdat = o->bdat;
	tx.chunk = o->chunk;
	client_note(c, TRANSCRIPT_INFO, "composed a message of %zu bytes "
	    "for %zu recipient%s: Message-ID %s%s%s", info.size, nrcpt,
	    nrcpt == 1 ? "" : "s", info.message_id, o->natt > 0 ?
	    ", with attachments" : "", tx.smtputf8 ? ", SMTPUTF8" : "");
	rc = client_send_tx(c, &tx, errstr);
	free((char *)tx.from);
	for (i = 0; i < nrcpt; i++)
		free(rcpt[i]);
	free(rcpt);
	buf_free(&out);
out:
	free(text);
	free(html);
	for (i = 0; i < o->natt; i++)
		free(files[i]);
	return rc;
}
