/*
 * Unit tests: the sandbox server engine.  Golden style: bytes in, the
 * bytes the server writes compared exactly; events kept as text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "harness.h"
#include "sasl.h"
#include "server.h"
#include "session.h"

/* One scripted rule: fires for EVENT while TIMES is not 0 (-1: always). */
struct script_rule {
	int			 event;
	int			 times;
	struct server_override	 ov;
};

struct t {
	struct server		*s;
	char			 out[65536];	/* every byte written */
	size_t			 outlen;
	size_t			 seen;		/* returned by io() so far */
	char			 fresh[65536];
	char			 log[16384];	/* events as text */
	size_t			 loglen;
	char			 logline[1024];
	int			 deliver_rc;
	int			 delivered;
	char			 msg[65536];
	size_t			 msglen;
	char			 env[2048];
	int			 closes;
	enum server_close	 why;
	int			 tls_wanted;
	size_t			 discarded;
	struct script_rule	*rules;
	size_t			 nrules;
	int			 rule_calls;
};

static void
add(struct t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(struct t *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(t->log + t->loglen, sizeof(t->log) - t->loglen, fmt,
	    ap);
	va_end(ap);
	if (n > 0)
		t->loglen += (size_t)n;
	if (t->loglen >= sizeof(t->log))
		t->loglen = sizeof(t->log) - 1;
}

static int
on_event(struct server_event *ev, void *arg)
{
	struct t	*t = arg;
	size_t		 i;
	int		 n;

	switch (ev->type) {
	case SERVER_EV_IN:
		add(t, "in %.*s\n", (int)ev->len, ev->line);
		break;
	case SERVER_EV_OUT:
		break;
	case SERVER_EV_DIAG:
		add(t, "diag %.*s\n", (int)ev->len, ev->line);
		break;
	case SERVER_EV_RULE:
		add(t, "rule %s\n", server_rule_event_names[ev->rule_event]);
		break;
	case SERVER_EV_TLS_WANTED:
		t->tls_wanted++;
		t->discarded = ev->discarded;
		add(t, "tls wanted discarded %zu\n", ev->discarded);
		break;
	case SERVER_EV_DELIVER:
		t->delivered++;
		if (ev->msglen <= sizeof(t->msg)) {
			memcpy(t->msg, ev->msg, ev->msglen);
			t->msglen = ev->msglen;
		}
		n = snprintf(t->env, sizeof(t->env), "from=<%s>%s%s",
		    ev->env->from, *ev->env->from_params ? " " : "",
		    ev->env->from_params);
		for (i = 0; i < ev->env->nrcpt && n > 0 &&
		    (size_t)n < sizeof(t->env); i++)
			n += snprintf(t->env + n, sizeof(t->env) - (size_t)n,
			    " to=<%s>%s%s", ev->env->rcpt[i].addr,
			    *ev->env->rcpt[i].params ? " " : "",
			    ev->env->rcpt[i].params);
		if (n > 0 && (size_t)n < sizeof(t->env))
			snprintf(t->env + n, sizeof(t->env) - (size_t)n,
			    " helo=%s proto=%s%s", ev->env->helo,
			    ev->env->proto, ev->env->chunking ? " bdat" : "");
		if (t->deliver_rc >= 0)
			snprintf(ev->queue_id, sizeof(ev->queue_id), "Q%d",
			    t->delivered);
		add(t, "deliver %zu bytes\n", ev->msglen);
		return t->deliver_rc;
	case SERVER_EV_CLOSE:
		t->closes++;
		t->why = ev->why;
		add(t, "close %s\n", server_close_name(ev->why));
		break;
	case SERVER_EV_LOG:
		snprintf(t->logline, sizeof(t->logline), "%.*s",
		    (int)ev->len, ev->line);
		add(t, "log\n");
		break;
	default:
		break;
	}
	return 0;
}

static int
script(void *arg, int event, const char *line, size_t len, uint64_t now,
    struct server_override *out)
{
	struct t	*t = arg;
	size_t		 i;

	(void)line;
	(void)len;
	(void)now;
	t->rule_calls++;
	for (i = 0; i < t->nrules; i++) {
		if (t->rules[i].event != event || t->rules[i].times == 0)
			continue;
		if (t->rules[i].times > 0)
			t->rules[i].times--;
		*out = t->rules[i].ov;
		return 1;
	}
	return 0;
}

static const struct server_user users[] = {
	{ "alice", "wonderland" },
	{ "bob", "builder" },
};

static struct server_config
config(void)
{
	struct server_config	c;

	memset(&c, 0, sizeof(c));
	c.hostname = "sandbox.test";
	c.client = "127.0.0.1";
	c.max_size = 1000;
	c.max_rcpt = 3;
	c.idle_timeout = 60 * 1000000ULL;
	c.starttls = true;
	c.users = users;
	c.nusers = 2;
	c.seed = 42;
	return c;
}

/* Bytes written since the last call, NUL-terminated. */
static const char *
fresh(struct t *t)
{
	const char	*p;
	size_t		 n;

	n = server_output(t->s, &p);
	if (n > 0 && t->outlen + n < sizeof(t->out)) {
		memcpy(t->out + t->outlen, p, n);
		t->outlen += n;
	}
	server_output_done(t->s, n);
	n = t->outlen - t->seen;
	memcpy(t->fresh, t->out + t->seen, n);
	t->fresh[n] = '\0';
	t->seen = t->outlen;
	return t->fresh;
}

static void
start_cfg(struct t *t, struct server_config *c)
{
	memset(t, 0, sizeof(*t));
	if (c->rule != NULL)
		c->rule_arg = t;
	t->s = server_new(c, on_event, t);
	server_open(t->s, 1000);
}

static void
start(struct t *t)
{
	struct server_config	c = config();

	start_cfg(t, &c);
}

/* Feed BYTES (LEN of them) at NOW; the bytes written in answer. */
static const char *
io_len(struct t *t, const char *bytes, size_t len, uint64_t now)
{
	server_input(t->s, bytes, len, now);
	return fresh(t);
}

static const char *
io(struct t *t, const char *bytes, uint64_t now)
{
	return io_len(t, bytes, strlen(bytes), now);
}

#define EHLO_REPLY							\
	"250-sandbox.test\r\n"						\
	"250-PIPELINING\r\n"						\
	"250-SIZE 1000\r\n"						\
	"250-8BITMIME\r\n"						\
	"250-SMTPUTF8\r\n"						\
	"250-ENHANCEDSTATUSCODES\r\n"					\
	"250-CHUNKING\r\n"						\
	"250-DSN\r\n"							\
	"250-STARTTLS\r\n"						\
	"250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\r\n"

/* Greeted, a transaction open with one recipient. */
static void
to_rcpt(struct t *t)
{
	fresh(t);
	io(t, "EHLO client.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\n", 2000);
}

static void
test_server_dialog(void)
{
	struct t	t;

	start(&t);
	EXPECT_STR(fresh(&t), "220 sandbox.test ESMTP smtptool sandbox\r\n");
	EXPECT_STR(io(&t, "EHLO client.test\r\n", 2000), EHLO_REPLY);
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> SIZE=12\r\n", 3000),
	    "250 2.1.0 Ok\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test>\r\n", 4000),
	    "250 2.1.5 Ok\r\n");
	EXPECT_STR(io(&t, "DATA\r\n", 5000),
	    "354 End data with <CR><LF>.<CR><LF>\r\n");
	EXPECT_STR(io(&t, "Subject: hi\r\n\r\nbody\r\n", 6000), "");
	EXPECT_STR(io(&t, ".\r\n", 7000), "250 2.0.0 Ok: queued as Q1\r\n");
	EXPECT_INT(t.delivered, 1);
	EXPECT_MEM(t.msg, t.msglen, "Subject: hi\r\n\r\nbody\r\n", 21);
	EXPECT_STR(t.env, "from=<a@b.test> SIZE=12 to=<c@d.test> "
	    "helo=client.test proto=ESMTP");
	EXPECT_STR(io(&t, "QUIT\r\n", 8000), "221 2.0.0 Bye\r\n");
	EXPECT_INT(t.closes, 1);
	EXPECT_INT(t.why, SERVER_CLOSE_QUIT);
	EXPECT(server_closed(t.s));
	EXPECT_STR(t.logline, "client=127.0.0.1 helo=client.test tls=no "
	    "auth=- accepted=1 refused=0 rules=0 end=quit duration=0.007s");
	EXPECT_STR(t.log, "in EHLO client.test\n"
	    "in MAIL FROM:<a@b.test> SIZE=12\n"
	    "in RCPT TO:<c@d.test>\n"
	    "in DATA\n"
	    "deliver 21 bytes\n"
	    "in QUIT\n"
	    "close quit\n"
	    "log\n");
	EXPECT_INT(server_input(t.s, "NOOP\r\n", 6, 9000), -1);
	server_free(t.s);
}

static void
test_server_pipelining(void)
{
	struct t	t;

	start(&t);
	fresh(&t);
	/* One read, many commands: answered in order, in one batch. */
	EXPECT_STR(io(&t, "EHLO c\r\nMAIL FROM:<> BODY=8BITMIME\r\n"
	    "RCPT TO:<x@y.test>\r\nRCPT TO:<postmaster>\r\nDATA\r\n", 2000),
	    EHLO_REPLY "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n");
	EXPECT_STR(io(&t, "a\r\n.\r\nNOOP\r\nRSET\r\nQUIT\r\n", 3000),
	    "250 2.0.0 Ok: queued as Q1\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
	    "221 2.0.0 Bye\r\n");
	EXPECT_STR(t.env, "from=<> BODY=8BITMIME to=<x@y.test> "
	    "to=<postmaster> helo=c proto=ESMTP");
	EXPECT_MEM(t.msg, t.msglen, "a\r\n", 3);
	server_free(t.s);
}

/* Send a whole DATA text; returns what the end got. */
static const char *
message(struct t *t, const char *text, size_t len)
{
	to_rcpt(t);
	io(t, "DATA\r\n", 3000);
	return io_len(t, text, len, 4000);
}

static void
test_server_dot_unstuffing(void)
{
	static const char	in[] = "..leading\r\n.x\r\n..\r\n...\r\n"
				    "mid.dle\r\n.\r\n";
	static const char	want[] = ".leading\r\nx\r\n.\r\n..\r\n"
				    "mid.dle\r\n";
	struct t		t;
	size_t			i;

	start(&t);
	EXPECT_STR(message(&t, in, sizeof(in) - 1),
	    "250 2.0.0 Ok: queued as Q1\r\n");
	EXPECT_MEM(t.msg, t.msglen, want, sizeof(want) - 1);
	server_free(t.s);

	/* The same, a byte at a time: the scanner keeps its state. */
	start(&t);
	to_rcpt(&t);
	io(&t, "DATA\r\n", 3000);
	for (i = 0; i < sizeof(in) - 1; i++)
		io_len(&t, in + i, 1, 4000);
	EXPECT_STR(t.fresh, "250 2.0.0 Ok: queued as Q1\r\n");
	EXPECT_MEM(t.msg, t.msglen, want, sizeof(want) - 1);
	server_free(t.s);

	/* An empty message; a last line without CRLF before the dot. */
	start(&t);
	EXPECT_STR(message(&t, ".\r\n", 3), "250 2.0.0 Ok: queued as Q1\r\n");
	EXPECT_INT(t.msglen, 0);
	server_free(t.s);
}

static void
test_server_smuggling(void)
{
	/* Each must NOT end the message: the smuggled MAIL stays text. */
	static const char *const payloads[] = {
		"\n.\r\n", "\r\n.\n", "\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n",
	};
	char		 in[256], want[256];
	struct t	 t;
	size_t		 i;
	int		 n, w;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		n = snprintf(in, sizeof(in), "Subject: x\r\n\r\nhi%s"
		    "MAIL FROM:<evil@x.test>\r\nRCPT TO:<v@y.test>\r\nDATA\r\n"
		    "smuggled\r\n.\r\n", payloads[i]);
		w = snprintf(want, sizeof(want), "Subject: x\r\n\r\nhi%s"
		    "MAIL FROM:<evil@x.test>\r\nRCPT TO:<v@y.test>\r\nDATA\r\n"
		    "smuggled\r\n", payloads[i]);
		start(&t);
		EXPECT_STR(message(&t, in, (size_t)n),
		    "250 2.0.0 Ok: queued as Q1\r\n");
		EXPECT_INT(t.delivered, 1);
		EXPECT_MEM(t.msg, t.msglen, want, (size_t)w);
		server_free(t.s);
	}
	/* "\r\n.\n" keeps its dot: it is no stuffing. */
	start(&t);
	message(&t, "a\r\n.\nb\r\n.\r\n", 11);
	EXPECT_MEM(t.msg, t.msglen, "a\r\n.\nb\r\n", 8);
	EXPECT(strstr(t.log, "diag bare LF in message text") != NULL);
	server_close(t.s, 5000, SERVER_CLOSE_CLIENT);
	EXPECT_INT(t.closes, 0);
	EXPECT(strstr(t.logline, "bare-lf=yes end=client") != NULL);
	server_free(t.s);

	/* Reject mode: Postfix 3.8.4's smtpd_forbid_bare_newline = yes. */
	{
		struct server_config	c = config();

		c.bare_lf = SERVER_BARE_LF_REJECT;
		start_cfg(&t, &c);
		to_rcpt(&t);
		io(&t, "DATA\r\n", 3000);
		EXPECT_STR(io(&t, "hi\n.\r\nMAIL FROM:<evil@x.test>\r\n", 4000),
		    "521 5.5.2 Error: bare <LF> received\r\n");
		EXPECT_INT(t.delivered, 0);
		EXPECT_INT(t.why, SERVER_CLOSE_PROTOCOL);
		EXPECT(server_closed(t.s));
		server_free(t.s);

		start_cfg(&t, &c);
		fresh(&t);
		EXPECT_STR(io(&t, "EHLO x\n", 2000),
		    "521 5.5.2 Error: bare <LF> received\r\n");
		server_free(t.s);
	}
	/* Text mode: a command ended by a bare LF is served. */
	start(&t);
	fresh(&t);
	EXPECT_STR(io(&t, "NOOP\n", 2000), "250 2.0.0 Ok\r\n");
	EXPECT(strstr(t.log, "diag bare LF in a command line") != NULL);
	server_free(t.s);
}

static void
test_server_bdat(void)
{
	struct t	t;

	start(&t);
	to_rcpt(&t);
	/* Exact counts, no dot-stuffing: ".\r\n" inside is data. */
	EXPECT_STR(io(&t, "BDAT 8\r\n.\r\n..\r\nx", 3000),
	    "250 2.0.0 8 octets received\r\n");
	EXPECT_STR(io(&t, "BDAT 3 LAST\r\nyz\n", 3100),
	    "250 2.0.0 Ok: queued as Q1\r\n");
	EXPECT_MEM(t.msg, t.msglen, ".\r\n..\r\nxyz\n", 11);
	EXPECT(strstr(t.env, " bdat") != NULL);
	/* A chunk split over reads, pipelined with the next command. */
	io(&t, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n", 3200);
	EXPECT_STR(io(&t, "BDAT 5 LAST\r\nab", 3300), "");
	EXPECT_STR(io(&t, "cdeNOOP\r\n", 3400),
	    "250 2.0.0 Ok: queued as Q2\r\n250 2.0.0 Ok\r\n");
	EXPECT_MEM(t.msg, t.msglen, "abcde", 5);
	/* BDAT 0 LAST: an empty message. */
	io(&t, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n", 3500);
	EXPECT_STR(io(&t, "BDAT 0 LAST\r\n", 3600),
	    "250 2.0.0 Ok: queued as Q3\r\n");
	EXPECT_INT(t.msglen, 0);
	/* No transaction: the bytes are read all the same, then 503. */
	EXPECT_STR(io(&t, "BDAT 6\r\nQUIT\r\nNOOP\r\n", 3700),
	    "503 5.5.1 Need MAIL command\r\n250 2.0.0 Ok\r\n");
	/* No recipient: 554. */
	io(&t, "MAIL FROM:<a@b.test>\r\n", 3800);
	EXPECT_STR(io(&t, "BDAT 2 LAST\r\nxx", 3900),
	    "554 5.5.1 No valid recipients\r\n");
	/* DATA after BDAT: refused. */
	io(&t, "RCPT TO:<c@d.test>\r\n", 4000);
	EXPECT_STR(io(&t, "BDAT 1\r\nzDATA\r\n", 4100),
	    "250 2.0.0 1 octets received\r\n"
	    "503 5.5.1 DATA after BDAT: send RSET first\r\n");
	EXPECT_INT(t.delivered, 3);
	/* A size that cannot be read: 501 and close. */
	EXPECT_STR(io(&t, "BDAT x\r\nQUIT\r\n", 4200),
	    "501 5.5.4 Syntax: BDAT size [LAST]; the chunk's size is "
	    "unknown, closing\r\n");
	EXPECT_INT(t.why, SERVER_CLOSE_PROTOCOL);
	server_free(t.s);
}

static void
test_server_size_limits(void)
{
	char		 big[1200];
	struct t	 t;

	memset(big, 'x', sizeof(big));
	start(&t);
	fresh(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> SIZE=1001\r\n", 2100),
	    "552 5.3.4 Message size exceeds fixed maximum message size "
	    "(1000 bytes)\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> SIZE=99999999999999999999"
	    "\r\n", 2200), "552 5.3.4 Message size exceeds fixed maximum "
	    "message size (1000 bytes)\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> SIZE=1000\r\n", 2300),
	    "250 2.1.0 Ok\r\n");
	io(&t, "RCPT TO:<c@d.test>\r\nDATA\r\n", 2400);
	/* Counted and discarded past the maximum; 552 at the end. */
	io_len(&t, big, sizeof(big), 2500);
	EXPECT_STR(io(&t, "\r\n.\r\n", 2600), "552 5.3.4 Message size "
	    "exceeds fixed maximum message size (1000 bytes)\r\n");
	EXPECT_INT(t.delivered, 0);
	/* The transaction is over. */
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test>\r\n", 2700),
	    "503 5.5.1 Need MAIL command\r\n");
	/* BDAT: the chunk that goes past the maximum gets 552. */
	io(&t, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n", 2800);
	io(&t, "BDAT 600\r\n", 2900);
	EXPECT_STR(io_len(&t, big, 600, 3000),
	    "250 2.0.0 600 octets received\r\n");
	io(&t, "BDAT 600\r\n", 3100);
	EXPECT_STR(io_len(&t, big, 600, 3200), "552 5.3.4 Message size "
	    "exceeds fixed maximum message size (1000 bytes)\r\n");
	EXPECT_STR(io(&t, "BDAT 1 LAST\r\nx", 3300),
	    "503 5.5.1 Need MAIL command\r\n");
	EXPECT_INT(t.delivered, 0);
	server_close(t.s, 3400, SERVER_CLOSE_ERROR);
	EXPECT(strstr(t.logline, "refused=2") != NULL);
	server_free(t.s);
}

static void
test_server_line_too_long(void)
{
	char		 line[2000];
	struct t	 t;

	start(&t);
	fresh(&t);
	/* 510 bytes and CRLF: the longest line RFC 5321 allows. */
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'a', 505);
	memcpy(line + 510, "\r\n", 2);
	EXPECT_STR(io_len(&t, line, 512, 2000), "250 2.0.0 Ok\r\n");
	/* One more byte: 500, once. */
	memset(line + 5, 'a', 506);
	memcpy(line + 511, "\r\n", 2);
	EXPECT_STR(io_len(&t, line, 513, 2100), "500 5.5.2 Line too long\r\n");
	/* Split over reads: the rest is dropped unread, 500 at its end. */
	memset(line, 'b', sizeof(line));
	EXPECT_STR(io_len(&t, line, 1500, 2200), "");
	EXPECT_STR(io_len(&t, line, 1500, 2300), "");
	EXPECT_STR(io(&t, "bbb\r\nNOOP\r\n", 2400),
	    "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
	/* AUTH lines may be longer (RFC 4954), and still fail cleanly. */
	io(&t, "EHLO c\r\n", 2500);
	memcpy(line, "AUTH PLAIN ", 11);
	memset(line + 11, 'A', 988);
	memcpy(line + 999, "\r\n", 2);
	EXPECT_STR(io_len(&t, line, 1001, 2600),
	    "501 5.5.2 Cannot decode the response\r\n");
	server_free(t.s);
}

static void
b64(const char *p, size_t len, char *out, size_t outsize)
{
	gnutls_datum_t	in = { (unsigned char *)(uintptr_t)p,
			    (unsigned)len }, enc = { NULL, 0 };

	ASSERT(gnutls_base64_encode2(&in, &enc) == 0);
	snprintf(out, outsize, "%.*s", (int)enc.size, enc.data);
	gnutls_free(enc.data);
}

static void
test_server_auth_plain(void)
{
	char		 cmd[256], enc[128];
	struct t	 t;

	start(&t);
	fresh(&t);
	EXPECT_STR(io(&t, "AUTH PLAIN\r\n", 1500),
	    "503 5.5.1 Send EHLO first\r\n");
	io(&t, "EHLO c\r\n", 2000);
	/* A wrong password. */
	b64("\0alice\0wrong", 12, enc, sizeof(enc));
	snprintf(cmd, sizeof(cmd), "AUTH PLAIN %s\r\n", enc);
	EXPECT_STR(io(&t, cmd, 2100),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	/* Not base64; an unknown mechanism; cancelled. */
	EXPECT_STR(io(&t, "AUTH PLAIN %%%%\r\n", 2200),
	    "501 5.5.2 Cannot decode the response\r\n");
	EXPECT_STR(io(&t, "AUTH GSSAPI\r\n", 2300),
	    "504 5.5.4 Unrecognized authentication type\r\n");
	EXPECT_STR(io(&t, "AUTH PLAIN\r\n", 2400), "334 \r\n");
	EXPECT_STR(io(&t, "*\r\n", 2500),
	    "501 5.7.0 Authentication cancelled\r\n");
	/* The empty challenge, then the right answer. */
	EXPECT_STR(io(&t, "AUTH PLAIN\r\n", 2600), "334 \r\n");
	b64("\0alice\0wonderland", 17, enc, sizeof(enc));
	snprintf(cmd, sizeof(cmd), "%s\r\n", enc);
	EXPECT_STR(io(&t, cmd, 2700), "235 2.7.0 Authentication successful\r\n");
	EXPECT_STR(io(&t, "AUTH PLAIN\r\n", 2800),
	    "503 5.5.1 Already authenticated\r\n");
	/* The log never shows a credential. */
	EXPECT(strstr(t.log, enc) == NULL);
	EXPECT(strstr(t.log, "in AUTH PLAIN\n") != NULL);
	EXPECT(strstr(t.log, "in ***\n") != NULL);
	to_rcpt(&t);
	io(&t, "DATA\r\nx\r\n.\r\n", 3000);
	EXPECT(strstr(t.env, "proto=ESMTPA") != NULL);
	io(&t, "QUIT\r\n", 3100);
	EXPECT(strstr(t.logline, "auth=alice") != NULL);
	server_free(t.s);

	/* An initial response, authzid equal to the user. */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	b64("bob\0bob\0builder", 15, enc, sizeof(enc));
	snprintf(cmd, sizeof(cmd), "AUTH PLAIN %s\r\n", enc);
	EXPECT_STR(io(&t, cmd, 2100), "235 2.7.0 Authentication successful\r\n");
	server_free(t.s);

	/* Acting for someone else is refused. */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	b64("alice\0bob\0builder", 17, enc, sizeof(enc));
	snprintf(cmd, sizeof(cmd), "AUTH PLAIN %s\r\n", enc);
	EXPECT_STR(io(&t, cmd, 2100),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	server_free(t.s);
}

static void
test_server_auth_login(void)
{
	struct t	t;

	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "AUTH LOGIN\r\n", 2100), "334 VXNlcm5hbWU6\r\n");
	EXPECT_STR(io(&t, "Ym9i\r\n", 2200), "334 UGFzc3dvcmQ6\r\n");
	EXPECT_STR(io(&t, "bm9wZQ==\r\n", 2300),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	/* The user name as an initial response. */
	EXPECT_STR(io(&t, "AUTH LOGIN Ym9i\r\n", 2400), "334 UGFzc3dvcmQ6\r\n");
	EXPECT_STR(io(&t, "YnVpbGRlcg==\r\n", 2500),
	    "235 2.7.0 Authentication successful\r\n");
	EXPECT(strstr(t.log, "YnVpbGRlcg") == NULL);
	server_free(t.s);

	/* Cancelled at the password. */
	start(&t);
	io(&t, "EHLO c\r\nAUTH LOGIN\r\nYm9i\r\n", 2000);
	EXPECT_STR(io(&t, "*\r\n", 2100),
	    "501 5.7.0 Authentication cancelled\r\n");
	server_free(t.s);
}

static void
cram_response(const char *reply, const char *user, const char *pass,
    char *out, size_t outsize)
{
	gnutls_datum_t	 in, dec = { NULL, 0 };
	unsigned char	 mac[16];
	char		 text[256];
	size_t		 i, n;

	in.data = (unsigned char *)(uintptr_t)(reply + 4);
	in.size = (unsigned)(strlen(reply) - 6);
	ASSERT(gnutls_base64_decode2(&in, &dec) == 0);
	ASSERT(gnutls_hmac_fast(GNUTLS_MAC_MD5, pass, strlen(pass), dec.data,
	    dec.size, mac) == 0);
	n = (size_t)snprintf(text, sizeof(text), "%s ", user);
	for (i = 0; i < 16; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x",
		    mac[i]);
	gnutls_free(dec.data);
	b64(text, n, out, outsize);
}

static void
test_server_auth_cram_md5(void)
{
	char		 resp[256], line[300];
	const char	*r;
	struct t	 t;

	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	r = io(&t, "AUTH CRAM-MD5\r\n", 2100);
	ASSERT(strncmp(r, "334 ", 4) == 0);
	{
		/* "<random.time@host>" */
		gnutls_datum_t	in = { (unsigned char *)(uintptr_t)(r + 4),
				    (unsigned)(strlen(r) - 6) }, dec;

		ASSERT(gnutls_base64_decode2(&in, &dec) == 0);
		EXPECT(dec.size > 20 && dec.data[0] == '<');
		EXPECT(memmem(dec.data, dec.size, ".2100@sandbox.test>",
		    19) != NULL);
		gnutls_free(dec.data);
	}
	cram_response(r, "alice", "wrong", resp, sizeof(resp));
	snprintf(line, sizeof(line), "%s\r\n", resp);
	EXPECT_STR(io(&t, line, 2200),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	r = io(&t, "AUTH CRAM-MD5\r\n", 2300);
	cram_response(r, "alice", "wonderland", resp, sizeof(resp));
	snprintf(line, sizeof(line), "%s\r\n", resp);
	EXPECT_STR(io(&t, line, 2400),
	    "235 2.7.0 Authentication successful\r\n");
	server_free(t.s);

	/* Two connections with the same seed and time: the same challenge;
	 * an initial response is refused. */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "AUTH CRAM-MD5 abcd\r\n", 2100),
	    "501 5.5.2 Cannot decode the response\r\n");
	server_free(t.s);
}

static void
test_server_auth_needs_tls(void)
{
	struct server_config	c = config();
	struct t		t;
	const char		*r;

	c.auth_needs_tls = true;
	start_cfg(&t, &c);
	fresh(&t);
	r = io(&t, "EHLO c\r\n", 2000);
	EXPECT(strstr(r, "AUTH") == NULL);
	EXPECT(strstr(r, "250 STARTTLS\r\n") != NULL);
	EXPECT_STR(io(&t, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n", 2100),
	    "538 5.7.11 Encryption required for requested authentication "
	    "mechanism\r\n");
	io(&t, "STARTTLS\r\n", 2200);
	server_tls_started(t.s, 2300);
	r = io(&t, "EHLO c\r\n", 2400);
	EXPECT(strstr(r, "250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 "
	    "OAUTHBEARER\r\n") != NULL);
	EXPECT(strstr(r, "STARTTLS") == NULL);
	EXPECT_STR(io(&t, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n", 2500),
	    "235 2.7.0 Authentication successful\r\n");
	server_free(t.s);
}

/* base64 of the error challenges (server_auth.h). */
#define XOAUTH2_ERROR_B64						\
	"eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRw" \
	"czovL21haWwuZ29vZ2xlLmNvbS8ifQ=="
#define BEARER_ERROR_B64						\
	"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciJ9"

static void
test_server_auth_xoauth2(void)
{
	struct t	t;

	/* "user=alice^Aauth=Bearer wonderland^A^A": the password. */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB3b25kZXJ"
	    "sYW5kAQE=\r\n", 2100), "235 2.7.0 Authentication successful\r\n");
	EXPECT(strstr(t.log, "in AUTH XOAUTH2\n") != NULL);
	EXPECT(strstr(t.log, "dXNlcj1") == NULL);
	io(&t, "QUIT\r\n", 2200);
	EXPECT(strstr(t.logline, "auth=alice") != NULL);
	server_free(t.s);

	/* A wrong token: the JSON error, then 535 whatever comes. */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB3cm9uZw"
	    "EB\r\n", 2100), "334 " XOAUTH2_ERROR_B64 "\r\n");
	EXPECT_STR(io(&t, "\r\n", 2200),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	/* Without an initial response: the empty challenge first. */
	EXPECT_STR(io(&t, "AUTH xoauth2\r\n", 2300), "334 \r\n");
	EXPECT_STR(io(&t, "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB3cm9uZwEB\r\n", 2400),
	    "334 " XOAUTH2_ERROR_B64 "\r\n");
	EXPECT_STR(io(&t, "*\r\n", 2500),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	/* Not the form: no auth=. */
	EXPECT_STR(io(&t, "AUTH XOAUTH2 dXNlcj1hbGljZQEB\r\n", 2600),
	    "501 5.5.2 Cannot decode the response\r\n");
	EXPECT_STR(io(&t, "AUTH XOAUTH2\r\n", 2700), "334 \r\n");
	EXPECT_STR(io(&t, "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB3b25kZXJsYW5kAQE="
	    "\r\n", 2800), "235 2.7.0 Authentication successful\r\n");
	server_free(t.s);
}

static void
test_server_auth_oauthbearer(void)
{
	struct t	t;

	/* RFC 7628 3.1, with host= and port=. */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "AUTH OAUTHBEARER bixhPWFsaWNlLAFob3N0PXNhbmRib3gudGV"
	    "zdAFwb3J0PTU4NwFhdXRoPUJlYXJlciB3b25kZXJsYW5kAQE=\r\n", 2100),
	    "235 2.7.0 Authentication successful\r\n");
	io(&t, "QUIT\r\n", 2200);
	EXPECT(strstr(t.logline, "auth=alice") != NULL);
	server_free(t.s);

	/* No a=: the user is the one the token belongs to. */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "AUTH OAUTHBEARER biwsAWF1dGg9QmVhcmVyIGJ1aWxkZXIBAQ="
	    "=\r\n", 2100), "235 2.7.0 Authentication successful\r\n");
	io(&t, "QUIT\r\n", 2200);
	EXPECT(strstr(t.logline, "auth=bob") != NULL);
	server_free(t.s);

	/* A wrong token: the error, the client's ^A, 535 (RFC 7628 3.2.3). */
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_STR(io(&t, "AUTH OAUTHBEARER bixhPWFsaWNlLAFhdXRoPUJlYXJlciB3cm9"
	    "uZwEB\r\n", 2100), "334 " BEARER_ERROR_B64 "\r\n");
	EXPECT_STR(io(&t, "AQ==\r\n", 2200),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	/* A user with escapes ("al=ice,"), unknown: the error too. */
	EXPECT_STR(io(&t, "AUTH OAUTHBEARER bixhPWFsPTNEaWNlPTJDLAFhdXRoPUJlYXJ"
	    "lciB3b25kZXJsYW5kAQE=\r\n", 2300), "334 " BEARER_ERROR_B64 "\r\n");
	EXPECT_STR(io(&t, "AQ==\r\n", 2400),
	    "535 5.7.8 Authentication credentials invalid\r\n");
	/* "n,a=al=2Dice,...": a bad escape; "p=..." channel binding. */
	EXPECT_STR(io(&t, "AUTH OAUTHBEARER bixhPWFsPTJEaWNlLAFhdXRoPUJlYXJlciB"
	    "3b25kZXJsYW5kAQE=\r\n", 2500),
	    "501 5.5.2 Cannot decode the response\r\n");
	EXPECT_STR(io(&t, "AUTH OAUTHBEARER cD10bHMtdW5pcXVlLCwBYXV0aD1CZWFyZXI"
	    "geAEB\r\n", 2600), "501 5.5.2 Cannot decode the response\r\n");
	/* The empty challenge first, then the right token. */
	EXPECT_STR(io(&t, "AUTH OAUTHBEARER\r\n", 2700), "334 \r\n");
	EXPECT_STR(io(&t, "bixhPWFsaWNlLAFob3N0PXNhbmRib3gudGVzdAFwb3J0PTU4NwFh"
	    "dXRoPUJlYXJlciB3b25kZXJsYW5kAQE=\r\n", 2800),
	    "235 2.7.0 Authentication successful\r\n");
	server_free(t.s);
}

/*
 * Our client (session/sasl.c) against our server, each mechanism: the
 * final reply code, 0 when the exchange broke.
 */
static int
sasl_pair(enum sasl_mech mech, const char *user, const char *secret)
{
	struct sasl_client	*c;
	struct t		 t;
	char			 line[1024], *ir, *resp, *err = NULL;
	const char		*r, *what;
	int			 code = 0, i;

	c = sasl_client_new(mech, user, secret, strlen(secret),
	    "sandbox.test", 587, &err);
	if (c == NULL) {
		free(err);
		return 0;
	}
	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	sasl_client_start(c, &ir);
	snprintf(line, sizeof(line), "AUTH %s%s%s\r\n", sasl_mech_name(mech),
	    ir != NULL ? " " : "", ir != NULL ? ir : "");
	sasl_wipe_free(ir, ir != NULL ? strlen(ir) : 0);
	r = io(&t, line, 2100);
	for (i = 0; i < 4 && strncmp(r, "334 ", 4) == 0; i++) {
		if (sasl_client_step(c, r + 4, strlen(r) - 6, &resp, &what,
		    &err) == -1) {
			free(err);
			r = "";
			break;
		}
		snprintf(line, sizeof(line), "%s\r\n", resp);
		sasl_wipe_free(resp, strlen(resp));
		r = io(&t, line, 2200);
	}
	if (strlen(r) >= 3)
		code = atoi(r);
	explicit_bzero(line, sizeof(line));
	sasl_client_free(c);
	server_free(t.s);
	return code;
}

static void
test_server_auth_sasl_client(void)
{
	enum sasl_mech	m;

	for (m = SASL_PLAIN; m < SASL_MECH_LAST; m++) {
		EXPECT_INT(sasl_pair(m, "alice", "wonderland"), 235);
		EXPECT_INT(sasl_pair(m, "bob", "builder"), 235);
		EXPECT_INT(sasl_pair(m, "alice", "builder"), 535);
		EXPECT_INT(sasl_pair(m, "carol", "x"), 535);
	}
}

static void
test_server_requiretls(void)
{
	struct t	 t;
	const char	*r;

	start(&t);
	fresh(&t);
	r = io(&t, "EHLO c\r\n", 2000);
	EXPECT(strstr(r, "REQUIRETLS") == NULL);
	/* Not offered: an unknown parameter (RFC 5321 4.1.1.11). */
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> REQUIRETLS\r\n", 2100),
	    "555 5.5.4 Unsupported parameter REQUIRETLS\r\n");
	io(&t, "STARTTLS\r\n", 2200);
	server_tls_started(t.s, 2300);
	r = io(&t, "EHLO c\r\n", 2400);
	EXPECT_STR(r, "250-sandbox.test\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 1000\r\n"
	    "250-8BITMIME\r\n"
	    "250-SMTPUTF8\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-CHUNKING\r\n"
	    "250-DSN\r\n"
	    "250-REQUIRETLS\r\n"
	    "250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> REQUIRETLS=yes\r\n", 2500),
	    "501 5.5.4 Bad REQUIRETLS parameter syntax\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> requiretls\r\n", 2600),
	    "250 2.1.0 Ok (REQUIRETLS)\r\n");
	/* A MAIL parameter, not a RCPT one. */
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test> REQUIRETLS\r\n", 2700),
	    "555 5.5.4 Unsupported parameter REQUIRETLS\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test>\r\n", 2800), "250 2.1.5 Ok\r\n");
	io(&t, "DATA\r\nx\r\n.\r\n", 2900);
	EXPECT(strstr(t.env, "from=<a@b.test> requiretls ") != NULL);
	server_free(t.s);
}

static void
test_server_param_echo(void)
{
	char		 cmd[700], want[700], orcpt[520];
	struct t	 t;

	start(&t);
	io(&t, "EHLO c\r\n", 2000);
	fresh(&t);
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> SIZE=10 BODY=8BITMIME\r\n",
	    2100), "250 2.1.0 Ok\r\n");
	io(&t, "RSET\r\n", 2200);
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> RET=HDRS ENVID=abc\r\n", 2300),
	    "250 2.1.0 Ok (RET=HDRS ENVID=abc)\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;bob@example.org\r\n", 2400), "250 2.1.5 Ok "
	    "(NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org)\r\n");
	/* As received, in the order received. */
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test> orcpt=rfc822;c@d.test "
	    "notify=never\r\n", 2500),
	    "250 2.1.5 Ok (ORCPT=rfc822;c@d.test NOTIFY=never)\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<e@d.test>\r\n", 2600), "250 2.1.5 Ok\r\n");
	io(&t, "RSET\r\n", 2700);
	/* A long ORCPT is cut: the reply stays under 512 bytes. */
	io(&t, "MAIL FROM:<a@b.test>\r\n", 2800);
	memset(orcpt, 'x', 470);
	orcpt[470] = '\0';
	snprintf(cmd, sizeof(cmd), "RCPT TO:<c@d.test> ORCPT=rfc822;%s\r\n",
	    orcpt);
	snprintf(want, sizeof(want), "250 2.1.5 Ok (ORCPT=rfc822;%.193s...)"
	    "\r\n", orcpt);
	EXPECT_STR(io(&t, cmd, 2900), want);
	server_free(t.s);
}

static void
test_server_starttls(void)
{
	struct t	t;

	start(&t);
	fresh(&t);
	io(&t, "EHLO c\r\n", 2000);
	/* Pipelined after STARTTLS: never parsed (CVE-2011-0411). */
	EXPECT_STR(io(&t, "STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n", 2100),
	    "220 2.0.0 Ready to start TLS\r\n");
	EXPECT_INT(t.tls_wanted, 1);
	EXPECT_INT(t.discarded, 25);
	EXPECT(!server_want_input(t.s));
	EXPECT_INT(server_deadline(t.s), 0);
	EXPECT(strstr(t.log, "in MAIL") == NULL);
	EXPECT(strstr(t.log, "25 bytes pipelined after STARTTLS") != NULL);
	/* Plaintext before the handshake (a front end's slip): dropped. */
	EXPECT_INT(server_input(t.s, "NOOP\r\n", 6, 2150), 0);
	EXPECT_STR(fresh(&t), "");
	server_tls_started(t.s, 2200);
	EXPECT(server_tls(t.s));
	/* Everything learned in plaintext is forgotten. */
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test>\r\n", 2300),
	    "503 5.5.1 Send EHLO/HELO first\r\n");
	io(&t, "EHLO c\r\n", 2400);
	EXPECT_STR(io(&t, "STARTTLS\r\n", 2500),
	    "503 5.5.1 TLS already active\r\n");
	io(&t, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n", 2600);
	io(&t, "DATA\r\nx\r\n.\r\nQUIT\r\n", 2700);
	EXPECT(strstr(t.env, "proto=ESMTPS") != NULL);
	EXPECT(strstr(t.logline, "tls=yes") != NULL);
	EXPECT(strstr(t.logline, "injected=31") != NULL);
	server_free(t.s);

	/* Not available: 502, and not advertised. */
	{
		struct server_config	c = config();
		const char		*r;

		c.starttls = false;
		start_cfg(&t, &c);
		r = io(&t, "EHLO c\r\n", 2000);
		EXPECT(strstr(r, "STARTTLS") == NULL);
		EXPECT_STR(io(&t, "STARTTLS\r\n", 2100),
		    "502 5.5.1 STARTTLS not available\r\n");
		EXPECT_INT(t.tls_wanted, 0);
		server_free(t.s);
	}
}

static void
test_server_rules(void)
{
	struct script_rule	 rules[] = {
		{ SERVER_RULE_RCPT, 1, { .code = 451, .enhanced = "4.7.1",
		    .text = "Greylisted, try again later",
		    .label = "grey" } },
		{ SERVER_RULE_NOOP, 1, { .delay = 5000000,
		    .tarpit = 100 } },
		{ SERVER_RULE_RSET, 1, { .drop = true } },
	};
	struct server_config	 c = config();
	struct t		 t;

	c.rule = script;
	start_cfg(&t, &c);
	t.rules = rules;
	t.nrules = 3;
	fresh(&t);
	io(&t, "EHLO c\r\nMAIL FROM:<a@b.test>\r\n", 2000);
	/* A reply in place of the real one: the recipient is not added. */
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test>\r\nDATA\r\n", 2100),
	    "451 4.7.1 Greylisted, try again later\r\n"
	    "554 5.5.1 No valid recipients\r\n");
	/* A delay holds the reply and what was pipelined behind it. */
	EXPECT_STR(io(&t, "NOOP\r\nRCPT TO:<c@d.test>\r\n", 3000), "");
	EXPECT_INT(server_deadline(t.s), 5003000);
	EXPECT(!server_want_input(t.s));
	EXPECT_INT(server_tarpit(t.s), 100);
	EXPECT_STR(io(&t, "HELP\r\n", 4000), "");
	server_tick(t.s, 5002999);
	EXPECT_STR(fresh(&t), "");
	server_tick(t.s, 5003000);
	EXPECT_STR(fresh(&t), "250 2.0.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "214 2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT "
	    "RSET NOOP VRFY HELP QUIT\r\n");
	EXPECT(server_want_input(t.s));
	/* Drop: closed without a reply. */
	EXPECT_STR(io(&t, "RSET\r\nNOOP\r\n", 6000000), "");
	EXPECT(server_closed(t.s));
	EXPECT_INT(t.why, SERVER_CLOSE_RULE);
	EXPECT(strstr(t.logline, "rules=3 (grey; noop; rset)") != NULL);
	server_free(t.s);
}

static void
test_server_rules_connect_and_dot(void)
{
	struct script_rule	 r1[] = {
		{ SERVER_RULE_CONNECT, -1, { .code = 421, .enhanced = "4.7.0",
		    .text = "Rate limit exceeded" } },
	};
	struct script_rule	 r2[] = {
		{ SERVER_RULE_BANNER, -1, { .code = 554, .enhanced = "5.7.1",
		    .text = "No SMTP service here" } },
	};
	struct script_rule	 r3[] = {
		{ SERVER_RULE_DOT, 1, { .code = 451, .enhanced = "4.3.0",
		    .text = "Temporary failure", .delay = 3000000 } },
		{ SERVER_RULE_MAIL, 1, { .close = true } },
		{ SERVER_RULE_BANNER, 1, { .delay = 1000 } },
	};
	struct server_config	 c = config();
	struct t		 t;

	c.rule = script;
	/* The rule hook is asked at server_open: set the script first. */
	memset(&t, 0, sizeof(t));
	c.rule_arg = &t;
	t.rules = r1;
	t.nrules = 1;
	t.s = server_new(&c, on_event, &t);
	server_open(t.s, 1000);
	EXPECT_STR(fresh(&t), "421 4.7.0 Rate limit exceeded\r\n");
	EXPECT(server_closed(t.s));
	server_free(t.s);

	memset(&t, 0, sizeof(t));
	t.rules = r2;
	t.nrules = 1;
	t.s = server_new(&c, on_event, &t);
	server_open(t.s, 1000);
	EXPECT_STR(fresh(&t), "554 5.7.1 No SMTP service here\r\n");
	/* A BDAT's chunk is read even so: "QUIT" in it is data. */
	EXPECT_STR(io(&t, "EHLO c\r\nBDAT 6\r\nQUIT\r\nQUIT\r\n", 2000),
	    "503 5.5.1 No service here; QUIT\r\n"
	    "503 5.5.1 No service here; QUIT\r\n221 2.0.0 Bye\r\n");
	server_free(t.s);

	/* A held banner; a delayed, refused end of data; close after MAIL. */
	memset(&t, 0, sizeof(t));
	t.rules = r3;
	t.nrules = 3;
	t.s = server_new(&c, on_event, &t);
	server_open(t.s, 1000);
	EXPECT_STR(io(&t, "EHLO c\r\n", 1500), "");
	server_tick(t.s, 2000);
	EXPECT_STR(fresh(&t), "220 sandbox.test ESMTP smtptool sandbox\r\n"
	    EHLO_REPLY);
	t.rules[1].times = 0;	/* MAIL: not yet */
	io(&t, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n",
	    3000);
	EXPECT_STR(io(&t, "x\r\n.\r\n", 4000), "");
	EXPECT_INT(t.delivered, 0);
	server_tick(t.s, 3004000);
	EXPECT_STR(fresh(&t), "451 4.3.0 Temporary failure\r\n");
	t.rules[1].times = 1;
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test>\r\nNOOP\r\n", 3005000),
	    "250 2.1.0 Ok\r\n");
	EXPECT(server_closed(t.s));
	EXPECT_INT(t.why, SERVER_CLOSE_RULE);
	EXPECT(strstr(t.logline, "refused=1") != NULL);
	server_free(t.s);
}

static void
test_server_rules_bdat(void)
{
	struct script_rule	 rules[] = {
		{ SERVER_RULE_BDAT, 1, { .code = 452, .enhanced = "4.3.1",
		    .text = "Out of storage" } },
		{ SERVER_RULE_DOT, 1, { .code = 554, .enhanced = "5.7.1",
		    .text = "Rejected" } },
	};
	struct server_config	 c = config();
	struct t		 t;
	int			 calls;

	c.rule = script;
	start_cfg(&t, &c);
	t.rules = rules;
	t.nrules = 2;
	to_rcpt(&t);
	/* Asked once, after the chunk; the transaction is over. */
	calls = t.rule_calls;
	EXPECT_STR(io(&t, "BDAT 4 LAST\r\nRSET", 3000),
	    "452 4.3.1 Out of storage\r\n");
	EXPECT_INT(t.rule_calls, calls + 1);
	EXPECT_STR(io(&t, "BDAT 1 LAST\r\nx", 3100),
	    "503 5.5.1 Need MAIL command\r\n");
	/* BDAT LAST asks "bdat", then "dot" when "bdat" said nothing. */
	io(&t, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n", 3200);
	calls = t.rule_calls;
	EXPECT_STR(io(&t, "BDAT 1 LAST\r\nx", 3300),
	    "554 5.7.1 Rejected\r\n");
	EXPECT_INT(t.rule_calls, calls + 2);
	EXPECT_INT(t.delivered, 0);
	server_free(t.s);
}

static void
test_server_idle_timeout(void)
{
	struct t	t;

	start(&t);
	fresh(&t);
	EXPECT_INT(server_deadline(t.s), 1000 + 60000000);
	io(&t, "EHLO c\r\n", 2000);
	EXPECT_INT(server_deadline(t.s), 2000 + 60000000);
	server_tick(t.s, 60001999);
	EXPECT_STR(fresh(&t), "");
	server_tick(t.s, 60002000);
	EXPECT_STR(fresh(&t), "421 4.4.2 sandbox.test Error: timeout "
	    "exceeded\r\n");
	EXPECT_INT(t.why, SERVER_CLOSE_TIMEOUT);
	EXPECT_INT(server_deadline(t.s), 0);
	EXPECT(strstr(t.logline, "end=timeout") != NULL);
	server_free(t.s);
}

/* Group commit: DELIVER says "pending"; the reply and what is pipelined
 * behind it wait for server_deliver_done(). */
static void
test_server_deliver_pending(void)
{
	struct t	t;

	start(&t);
	t.deliver_rc = 1;
	EXPECT_STR(message(&t, "x\r\n.\r\nNOOP\r\n", 12), "");
	EXPECT(!server_want_input(t.s));
	EXPECT_INT(server_deadline(t.s), 0);
	server_deliver_done(t.s, 5000, true);
	EXPECT_STR(fresh(&t), "250 2.0.0 Ok: queued as Q1\r\n"
	    "250 2.0.0 Ok\r\n");
	EXPECT(server_want_input(t.s));
	/* A second message whose store fails at the sync. */
	EXPECT_STR(message(&t, "y\r\n.\r\n", 6), "");
	server_deliver_done(t.s, 6000, false);
	EXPECT_STR(fresh(&t), "451 4.3.0 Error: cannot store the message, "
	    "try again later\r\n");
	io(&t, "QUIT\r\n", 7000);
	EXPECT(strstr(t.logline, "accepted=1 refused=1") != NULL);
	server_free(t.s);
}

static void
test_server_deliver_fails(void)
{
	struct t	t;

	start(&t);
	t.deliver_rc = -1;
	EXPECT_STR(message(&t, "x\r\n.\r\n", 6), "451 4.3.0 Error: cannot "
	    "store the message, try again later\r\n");
	EXPECT_INT(t.delivered, 1);
	/* The transaction is over either way. */
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test>\r\n", 5000),
	    "503 5.5.1 Need MAIL command\r\n");
	io(&t, "QUIT\r\n", 6000);
	EXPECT(strstr(t.logline, "accepted=0 refused=1") != NULL);
	server_free(t.s);
}

static void
test_server_errors(void)
{
	struct t	t;

	start(&t);
	fresh(&t);
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test>\r\n", 2000),
	    "503 5.5.1 Send EHLO/HELO first\r\n");
	EXPECT_STR(io(&t, "FOO bar\r\n", 2000),
	    "500 5.5.1 Command unrecognized\r\n");
	EXPECT_STR(io(&t, "\r\n", 2000), "500 5.5.1 Command unrecognized\r\n");
	EXPECT_STR(io(&t, "EHLO\r\n", 2000), "501 5.5.4 Syntax: EHLO "
	    "hostname\r\n");
	EXPECT_STR(io(&t, "HELO c\r\n", 2000), "250 sandbox.test\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> SIZE=1\r\n", 2000),
	    "555 5.5.4 ESMTP parameters need EHLO, not HELO\r\n");
	EXPECT_STR(io(&t, "ehlo c\r\n", 2000), EHLO_REPLY);
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test>\r\n", 2000),
	    "503 5.5.1 Need MAIL command\r\n");
	EXPECT_STR(io(&t, "DATA\r\n", 2000), "503 5.5.1 Need MAIL command\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:a@b.test\r\n", 2000),
	    "501 5.5.4 Syntax: MAIL FROM:<address> [parameters]\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a b@c>\r\n", 2000),
	    "501 5.1.7 Bad sender address syntax\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> FOO=1\r\n", 2000),
	    "555 5.5.4 Unsupported parameter FOO\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> NOTIFY=NEVER\r\n", 2000),
	    "555 5.5.4 Unsupported parameter NOTIFY\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> BODY=BINARYMIME\r\n", 2000),
	    "501 5.5.4 Bad BODY parameter syntax\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> RET=FULL RET=HDRS\r\n", 2000),
	    "501 5.5.4 Duplicate RET parameter\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test> ENVID=a+2\r\n", 2000),
	    "501 5.5.4 Bad ENVID parameter syntax\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<j\xc3\xb6@b.test>\r\n", 2000),
	    "553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n");
	EXPECT_STR(io(&t, "MAIL FROM: <a@b.test> RET=HDRS ENVID=x+2Ay "
	    "SMTPUTF8 BODY=8BITMIME AUTH=<>\r\n", 2000),
	    "250 2.1.0 Ok (RET=HDRS ENVID=x+2Ay)\r\n");
	EXPECT_STR(io(&t, "MAIL FROM:<a@b.test>\r\n", 2000),
	    "503 5.5.1 Nested MAIL command\r\n");
	EXPECT_STR(io(&t, "AUTH PLAIN\r\n", 2000),
	    "503 5.5.1 MAIL transaction in progress\r\n");
	EXPECT_STR(io(&t, "STARTTLS\r\n", 2000),
	    "503 5.5.1 MAIL transaction in progress\r\n");
	EXPECT_STR(io(&t, "DATA\r\n", 2000), "554 5.5.1 No valid recipients\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<>\r\n", 2000),
	    "501 5.1.3 Bad recipient address syntax\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test> NOTIFY=NEVER,DELAY\r\n", 2000),
	    "501 5.5.4 Bad NOTIFY parameter syntax\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<c@d.test> SIZE=1\r\n", 2000),
	    "555 5.5.4 Unsupported parameter SIZE\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<1@d.test> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;1@d.test\r\n", 2000),
	    "250 2.1.5 Ok (NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;1@d.test)\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<\xc3\xbc@d.test>\r\n", 2000),
	    "250 2.1.5 Ok\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<\"q u\"@[127.0.0.1]>\r\n", 2000),
	    "250 2.1.5 Ok\r\n");
	EXPECT_STR(io(&t, "RCPT TO:<4@d.test>\r\n", 2000),
	    "452 4.5.3 Too many recipients\r\n");
	EXPECT_STR(io(&t, "VRFY x\r\n", 2000), "252 2.0.0 Cannot VRFY user; "
	    "send mail and delivery will be attempted\r\n");
	EXPECT_STR(io(&t, "EXPN x\r\n", 2000), "502 5.5.1 EXPN not "
	    "implemented\r\n");
	EXPECT_STR(io(&t, "RSET x\r\n", 2000), "501 5.5.4 Syntax: RSET\r\n");
	EXPECT_STR(io(&t, "DATA x\r\n", 2000), "501 5.5.4 Syntax: DATA\r\n");
	EXPECT_STR(io_len(&t, "NOOP\0x\r\n", 8, 2000),
	    "500 5.5.2 Invalid character in command\r\n");
	EXPECT_STR(io(&t, "RSET\r\nDATA\r\n", 2000),
	    "250 2.0.0 Ok\r\n503 5.5.1 Need MAIL command\r\n");
	server_free(t.s);
}

static void
test_server_received(void)
{
	struct server_event	 ev;
	struct server_envelope	 env;
	struct server_rcpt	 r = { "c@d.test", "" };
	struct buf		 b;
	struct t		 t;

	start(&t);
	memset(&ev, 0, sizeof(ev));
	memset(&env, 0, sizeof(env));
	env.helo = "client.test";
	env.proto = "ESMTPSA";
	env.nrcpt = 1;
	env.rcpt = &r;
	ev.env = &env;
	strcpy(ev.queue_id, "Q1");
	buf_init(&b, 0);
	server_received(t.s, &ev, "Mon, 30 Nov 2026 22:00:00 +0000", &b);
	EXPECT_STR(buf_head(&b), "Received: from client.test (127.0.0.1)\r\n"
	    "\tby sandbox.test (smtptool sandbox) with ESMTPSA id Q1\r\n"
	    "\tfor <c@d.test>;\r\n\tMon, 30 Nov 2026 22:00:00 +0000\r\n");
	buf_free(&b);
	server_free(t.s);
}

static void
test_server_overflow(void)
{
	struct script_rule	 rules[] = {
		{ SERVER_RULE_NOOP, 1, { .delay = 1000000 } },
	};
	struct server_config	 c = config();
	static char		 junk[SERVER_INPUT_MAX];
	struct t		 t;

	c.rule = script;
	start_cfg(&t, &c);
	t.rules = rules;
	t.nrules = 1;
	fresh(&t);
	io(&t, "NOOP\r\n", 2000);
	memset(junk, 'x', sizeof(junk));
	EXPECT_INT(server_input(t.s, junk, sizeof(junk), 3000), 0);
	EXPECT_INT(server_input(t.s, "y", 1, 4000), -1);
	EXPECT_STR(fresh(&t), "250 2.0.0 Ok\r\n421 4.7.0 sandbox.test Too "
	    "much pipelined input, closing\r\n");
	EXPECT_INT(t.why, SERVER_CLOSE_OVERFLOW);
	server_free(t.s);
}

/* --- the client engine against the server engine ----------------------- */

struct pair {
	struct session	*c;
	struct t	 t;
	int		 replies;
	int		 last_code;
};

static void
client_event(const struct session_event *ev, void *arg)
{
	struct pair	*p = arg;

	if (ev->type == SEV_T_REPLY) {
		p->replies++;
		p->last_code = ev->reply->code;
	}
}

/* Move bytes both ways until neither side has any to give. */
static void
pump(struct pair *p, uint64_t now)
{
	const char	*b;
	size_t		 n;
	bool		 moved = true;

	while (moved) {
		moved = false;
		if ((n = server_output(p->t.s, &b)) > 0) {
			session_input(p->c, b, n, now);
			server_output_done(p->t.s, n);
			moved = true;
		}
		if ((n = session_output(p->c, &b)) > 0) {
			server_input(p->t.s, b, n, now);
			session_output_done(p->c, n);
			moved = true;
		}
	}
}

static int
send_cmd(struct pair *p, const char *line, uint64_t now)
{
	char	*err = NULL;
	int	 rc;

	rc = session_command(p->c, line, strlen(line), now, &err);
	free(err);
	pump(p, now);
	return rc;
}

static void
test_server_with_client_engine(void)
{
	static const char	 body[] = "Subject: both ends\n\n.hidden dot\n"
				    "..two\n.\nlast line";
	static const char	 want[] = "Subject: both ends\r\n\r\n"
				    ".hidden dot\r\n..two\r\n.\r\nlast line\r\n";
	struct session_config	 scfg = { .reply_timeout = 0 };
	struct server_config	 c = config();
	struct pair		 p;
	const struct caps	*caps;
	char			*err = NULL;

	memset(&p, 0, sizeof(p));
	p.c = session_new(&scfg, client_event, &p);
	p.t.s = server_new(&c, on_event, &p.t);
	session_open(p.c, 1000);
	server_open(p.t.s, 1000);
	pump(&p, 1000);
	EXPECT_INT(session_phase(p.c), PHASE_HELLO);
	send_cmd(&p, "EHLO client.test", 2000);
	EXPECT_INT(session_phase(p.c), PHASE_GREETED);
	caps = session_caps(p.c);
	EXPECT(caps->known);
	EXPECT(caps->size_known && caps->size == 1000);
	EXPECT(caps_has(caps, "PIPELINING"));
	EXPECT(caps_has(caps, "CHUNKING"));
	EXPECT(caps_has_auth(caps, "CRAM-MD5"));
	/* Pipelined by the client, answered in order by the server. */
	session_command(p.c, "MAIL FROM:<a@b.test>", 20, 3000, &err);
	session_command(p.c, "RCPT TO:<c@d.test>", 18, 3000, &err);
	free(err);
	EXPECT_INT(session_pending(p.c), 2);
	pump(&p, 3000);
	EXPECT_INT(session_pending(p.c), 0);
	EXPECT_INT(session_phase(p.c), PHASE_RCPT);
	/* A whole message: the client stuffs, the server unstuffs. */
	EXPECT_INT(session_message(p.c, body, sizeof(body) - 1, 4000, &err),
	    0);
	pump(&p, 4000);
	EXPECT_INT(p.t.delivered, 1);
	EXPECT_MEM(p.t.msg, p.t.msglen, want, sizeof(want) - 1);
	EXPECT_INT(p.last_code, 250);
	EXPECT_INT(session_phase(p.c), PHASE_GREETED);
	/* Typed message text, line by line. */
	send_cmd(&p, "MAIL FROM:<a@b.test>", 5000);
	send_cmd(&p, "RCPT TO:<c@d.test>", 5000);
	send_cmd(&p, "DATA", 5000);
	EXPECT(session_in_message(p.c));
	send_cmd(&p, ".starts with a dot", 5000);
	send_cmd(&p, ".", 5000);
	EXPECT_INT(p.t.delivered, 2);
	EXPECT_MEM(p.t.msg, p.t.msglen, ".starts with a dot\r\n", 20);
	/* An error reply, then QUIT: both sides close. */
	send_cmd(&p, "RCPT TO:<c@d.test>", 6000);
	EXPECT_INT(p.last_code, 503);
	send_cmd(&p, "QUIT", 7000);
	EXPECT_INT(session_phase(p.c), PHASE_CLOSED);
	EXPECT(server_closed(p.t.s));
	EXPECT_INT(p.t.why, SERVER_CLOSE_QUIT);
	server_free(p.t.s);
	session_free(p.c);
}

TEST_LIST(server_tests) = {
	TEST(test_server_dialog),
	TEST(test_server_pipelining),
	TEST(test_server_dot_unstuffing),
	TEST(test_server_smuggling),
	TEST(test_server_bdat),
	TEST(test_server_size_limits),
	TEST(test_server_line_too_long),
	TEST(test_server_auth_plain),
	TEST(test_server_auth_login),
	TEST(test_server_auth_cram_md5),
	TEST(test_server_auth_needs_tls),
	TEST(test_server_auth_xoauth2),
	TEST(test_server_auth_oauthbearer),
	TEST(test_server_auth_sasl_client),
	TEST(test_server_requiretls),
	TEST(test_server_param_echo),
	TEST(test_server_starttls),
	TEST(test_server_rules),
	TEST(test_server_rules_connect_and_dot),
	TEST(test_server_rules_bdat),
	TEST(test_server_idle_timeout),
	TEST(test_server_deliver_pending),
	TEST(test_server_deliver_fails),
	TEST(test_server_errors),
	TEST(test_server_received),
	TEST(test_server_overflow),
	TEST(test_server_with_client_engine),
	TEST_END
};
