/*
 * Unit tests: the session engine.  Golden style: bytes and lines in, the
 * events written out as text and compared exactly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "session.h"

struct trace {
	char	text[8192];
	size_t	len;
	int	closes;
};

static void
add(struct trace *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add(struct trace *t, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(t->text + t->len, sizeof(t->text) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
	if (t->len >= sizeof(t->text))
		t->len = sizeof(t->text) - 1;
}

static void
record(const struct session_event *ev, void *arg)
{
	struct trace	*t = arg;

	switch (ev->type) {
	case SEV_T_SENT:
		add(t, "> %.*s%s\n", (int)ev->len, ev->line,
		    ev->in_message ? " [text]" : "");
		break;
	case SEV_T_RECEIVED:
		add(t, "%s %.*s%s\n", ev->simulated ? "<!" : "<",
		    (int)ev->len, ev->line,
		    ev->eol == 1 ? " [LF]" : ev->eol == 2 ? " [none]" : "");
		break;
	case SEV_T_REPLY:
		add(t, "reply %d %s to %s latency %lld\n", ev->reply->code,
		    ev->reply->enhanced[0] ? ev->reply->enhanced : "-",
		    ev->cmd ? command_info(ev->cmd->verb)->name : "nothing",
		    (long long)ev->latency);
		break;
	case SEV_T_PHASE:
		add(t, "phase %s -> %s\n", session_phase_name(ev->from),
		    session_phase_name(ev->to));
		break;
	case SEV_T_CAPS:
		add(t, "caps %s\n", ev->caps->known ? "known" : "forgotten");
		break;
	case SEV_T_DIAG:
		add(t, "%s %s: %s\n", session_severity_name(ev->severity),
		    ev->category, ev->message);
		break;
	case SEV_T_CLOSE:
		add(t, "close %s\n", session_close_name(ev->why));
		t->closes++;
		break;
	case SEV_T_TLS:
		add(t, "tls %s verified %d discarded %zu\n",
		    ev->tls_ev == TLS_WANTED ? "wanted" : ev->tls_ev == TLS_UP ?
		    "up" : ev->tls_ev == TLS_FAILED ? "failed" : "missing",
		    ev->verified, ev->discarded);
		break;
	default:
		break;
	}
}

static struct session *
start_cfg(struct trace *t, const struct session_config *cfg)
{
	struct session	*s;

	memset(t, 0, sizeof(*t));
	s = session_new(cfg, record, t);
	session_open(s, 1000);
	return s;
}

static struct session *
start(struct trace *t, uint64_t timeout)
{
	struct session_config	cfg = { .reply_timeout = timeout,
				    .helo_fallback = true };
	struct session		*s;

	memset(t, 0, sizeof(*t));
	s = session_new(&cfg, record, t);
	session_open(s, 1000);
	return s;
}

static void
in(struct session *s, const char *bytes, uint64_t now)
{
	session_input(s, bytes, strlen(bytes), now);
}

static int
cmd(struct session *s, const char *line, uint64_t now)
{
	char	*err = NULL;
	int	 rc;

	rc = session_command(s, line, strlen(line), now, &err);
	free(err);
	return rc;
}

static void
output(struct session *s, const char *want)
{
	const char	*p;
	size_t		 n = session_output(s, &p);

	EXPECT_MEM(p, n, want, strlen(want));
	session_output_done(s, n);
}

static void
test_session_dialog(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 mx ESMTP\r\n", 2000);
	cmd(s, "EHLO me", 3000);
	output(s, "EHLO me\r\n");
	in(s, "250-mx\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", 4500);
	cmd(s, "MAIL FROM:<a@b>", 5000);
	in(s, "250 2.1.0 Ok\r\n", 5100);
	cmd(s, "RCPT TO:<c@d>", 6000);
	in(s, "250 2.1.5 Ok\r\n", 6100);
	cmd(s, "DATA", 7000);
	in(s, "354 go\r\n", 7100);
	EXPECT_INT(session_phase(s), PHASE_DATA);
	EXPECT(session_in_message(s));
	cmd(s, "Subject: x", 7200);
	cmd(s, ".hidden", 7300);
	cmd(s, ".", 7400);
	EXPECT(!session_in_message(s));
	output(s, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
	    "Subject: x\r\n..hidden\r\n.\r\n");
	in(s, "250 2.0.0 queued\r\n", 8000);
	cmd(s, "QUIT", 9000);
	in(s, "221 bye\r\n", 9500);
	EXPECT_STR(t.text,
	    "phase not connected -> banner\n"
	    "< 220 mx ESMTP\n"
	    "reply 220 - to (banner) latency 1000\n"
	    "phase banner -> hello\n"
	    "> EHLO me\n"
	    "< 250-mx\n"
	    "< 250-PIPELINING\n"
	    "< 250 SIZE 1000\n"
	    "reply 250 - to EHLO latency 1500\n"
	    "caps known\n"
	    "phase hello -> greeted\n"
	    "> MAIL FROM:<a@b>\n"
	    "< 250 2.1.0 Ok\n"
	    "reply 250 2.1.0 to MAIL latency 100\n"
	    "phase greeted -> mail\n"
	    "> RCPT TO:<c@d>\n"
	    "< 250 2.1.5 Ok\n"
	    "reply 250 2.1.5 to RCPT latency 100\n"
	    "phase mail -> rcpt\n"
	    "> DATA\n"
	    "< 354 go\n"
	    "reply 354 - to DATA latency 100\n"
	    "phase rcpt -> data\n"
	    "> Subject: x [text]\n"
	    "> ..hidden [text]\n"
	    "> . [text]\n"
	    "< 250 2.0.0 queued\n"
	    "reply 250 2.0.0 to . latency 600\n"
	    "phase data -> greeted\n"
	    "> QUIT\n"
	    "phase greeted -> quit\n"
	    "< 221 bye\n"
	    "reply 221 - to QUIT latency 500\n"
	    "phase quit -> closed\n"
	    "close quit\n");
	EXPECT(session_caps(s)->size == 1000);
	session_free(s);
}

static void
test_session_out_of_order_warns_but_sends(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 mx\r\n", 2000);
	t.len = 0;
	t.text[0] = '\0';
	EXPECT_INT(cmd(s, "RCPT TO:<x@y>", 3000), 0);
	output(s, "RCPT TO:<x@y>\r\n");
	in(s, "503 5.5.1 Error: need MAIL command\r\n", 3100);
	EXPECT(strstr(t.text, "warning order: RCPT before an accepted MAIL")
	    != NULL);
	EXPECT(strstr(t.text, "reply 503 5.5.1 to RCPT") != NULL);
	EXPECT_INT(session_phase(s), PHASE_HELLO);
	session_free(s);
}

static void
test_session_refuses_crlf_inside(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);
	char		*err = NULL;
	const char	*p;

	in(s, "220 mx\r\n", 2000);
	EXPECT_INT(session_command(s, "NOOP\r\nQUIT", 10, 3000, &err), -1);
	EXPECT(err != NULL);
	free(err);
	EXPECT_INT(session_output(s, &p), 0);
	session_free(s);
}

static void
test_session_helo_fallback(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 old\r\n", 2000);
	cmd(s, "EHLO me.test", 3000);
	output(s, "EHLO me.test\r\n");
	in(s, "502 5.5.2 Error: command not recognized\r\n", 3100);
	output(s, "HELO me.test\r\n");
	in(s, "250 old\r\n", 3200);
	EXPECT_INT(session_phase(s), PHASE_GREETED);
	EXPECT(!session_caps(s)->known);
	EXPECT(strstr(t.text, "falling back to HELO") != NULL);
	session_free(s);
}

static void
test_session_bare_lf_and_caps_relearned(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 mx\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250-mx\n250 STARTTLS\n", 3100);
	EXPECT(caps_has(session_caps(s), "STARTTLS"));
	EXPECT(strstr(t.text, "< 220 mx [LF]") != NULL);
	/* Reported once. */
	EXPECT(strstr(t.text, "bare LF") != NULL);
	EXPECT(strstr(strstr(t.text, "bare LF") + 1, "bare LF") == NULL);
	cmd(s, "EHLO b", 4000);
	EXPECT(!caps_has(session_caps(s), "STARTTLS"));
	in(s, "250-mx\r\n250 CHUNKING\r\n", 4100);
	EXPECT(caps_has(session_caps(s), "CHUNKING"));
	EXPECT(!caps_has(session_caps(s), "STARTTLS"));
	session_free(s);
}

static void
test_session_smtp_sink_ehlo(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 smtp-sink ESMTP\r\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250-smtp-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250-AUTH PLAIN LOGIN\r\n250 \r\n", 3100);
	EXPECT_INT(session_phase(s), PHASE_GREETED);
	EXPECT(caps_has(session_caps(s), "PIPELINING"));
	EXPECT(caps_has_auth(session_caps(s), "LOGIN"));
	EXPECT_INT(t.closes, 0);
	session_free(s);
}

static void
test_session_protocol_errors_end_session(void)
{
	struct trace	 t;
	struct session	*s;
	char		 big[5000];

	s = start(&t, 0);
	in(s, "220-mx\r\n221 other\r\n", 2000);
	EXPECT_INT(session_phase(s), PHASE_CLOSED);
	EXPECT(strstr(t.text, "close protocol error") != NULL);
	session_free(s);

	s = start(&t, 0);
	memset(big, 'A', sizeof(big));
	EXPECT_INT(session_input(s, big, sizeof(big), 2000), -1);
	EXPECT(strstr(t.text, "longer than") != NULL);
	EXPECT_INT(t.closes, 1);
	session_free(s);

	s = start(&t, 0);
	in(s, "\x1b[2J hello\r\n", 2000);
	EXPECT(strstr(t.text, "does not start with a reply code") != NULL);
	EXPECT_INT(session_phase(s), PHASE_CLOSED);
	session_free(s);
}

static void
test_session_timeout(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 5000000);

	EXPECT_INT(session_deadline(s), 1000 + 5000000);
	session_tick(s, 4000000);
	EXPECT_INT(session_phase(s), PHASE_BANNER);
	session_tick(s, 5001000);
	EXPECT_INT(session_phase(s), PHASE_CLOSED);
	EXPECT(strstr(t.text, "close timeout") != NULL);
	EXPECT_INT(session_deadline(s), 0);
	session_free(s);
}

static void
test_session_421_and_eof(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250 mx\r\n", 3100);
	cmd(s, "MAIL FROM:<a@b>", 4000);
	in(s, "421 4.7.0 Too busy, closing\r\n", 4100);
	EXPECT_INT(session_phase(s), PHASE_CLOSED);
	EXPECT(strstr(t.text, "reply 421 4.7.0 to MAIL") != NULL);
	EXPECT(strstr(t.text, "close closed by the server") != NULL);
	EXPECT_INT(t.closes, 1);
	session_eof(s, 5000);
	EXPECT_INT(t.closes, 1);
	session_free(s);

	s = start(&t, 0);
	in(s, "220 mx\r\n250 partial", 2000);
	cmd(s, "NOOP", 2500);
	session_eof(s, 3000);
	EXPECT(strstr(t.text, "< 250 partial [none]") != NULL);
	EXPECT(strstr(t.text, "closed the connection while the reply to "
	    "NOOP") != NULL);
	session_free(s);
}

static void
test_session_message_file(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);
	char		*err = NULL;

	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250 mx\r\n", 3100);
	cmd(s, "MAIL FROM:<a@b>", 4000);
	in(s, "250 ok\r\n", 4100);
	cmd(s, "RCPT TO:<c@d>", 4200);
	in(s, "250 ok\r\n", 4300);
	output(s, "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
	EXPECT_INT(session_message(s, "a\n.b\nc", 6, 5000, &err), 0);
	output(s, "DATA\r\n");
	EXPECT(!session_idle(s));
	in(s, "354 go\r\n", 5100);
	output(s, "a\r\n..b\r\nc\r\n.\r\n");
	in(s, "250 queued\r\n", 5200);
	EXPECT(session_idle(s));
	EXPECT_INT(session_phase(s), PHASE_GREETED);
	EXPECT(strstr(t.text, "> ..b [text]\n") != NULL);
	session_free(s);
}

static void
test_session_pipelining_warning(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250 mx\r\n", 3100);
	cmd(s, "MAIL FROM:<a@b>", 4000);
	cmd(s, "RCPT TO:<c@d>", 4001);
	EXPECT(strstr(t.text, "did not advertise PIPELINING") != NULL);
	EXPECT_INT(session_pending(s), 2);
	in(s, "250 ok\r\n250 ok\r\n", 4100);
	EXPECT_INT(session_phase(s), PHASE_RCPT);
	EXPECT_INT(session_pending(s), 0);
	session_free(s);
}

static void
test_session_unsolicited_and_early_talker(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	cmd(s, "EHLO early", 1500);
	EXPECT(strstr(t.text, "before the banner") != NULL);
	in(s, "220 mx\r\n250 mx\r\n", 2000);
	EXPECT_INT(session_phase(s), PHASE_GREETED);
	in(s, "250 what\r\n", 2100);
	EXPECT(strstr(t.text, "when no command was waiting") != NULL);
	session_free(s);
}

static void
test_session_starttls_injection(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);
	char		*err = NULL;

	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250-mx\r\n250 STARTTLS\r\n", 3100);
	cmd(s, "STARTTLS", 4000);
	output(s, "EHLO a\r\nSTARTTLS\r\n");
	in(s, "220 go ahead\r\n250-FORGED\r\n250 FORGED\r\n", 4100);
	EXPECT(strstr(t.text, "tls wanted verified 0 discarded 24\n") != NULL);
	EXPECT(strstr(t.text, "< 250-FORGED") == NULL);
	EXPECT(strstr(t.text, "< 250 FORGED") == NULL);
	EXPECT(strstr(t.text, "STARTTLS injection") != NULL);
	EXPECT(session_tls_wanted(s));
	EXPECT(!session_idle(s));
	/* Nothing goes out, nothing is parsed, until the handshake. */
	EXPECT_INT(session_command(s, "NOOP", 4, 4200, &err), -1);
	free(err);
	in(s, "250 more\r\n", 4300);
	EXPECT(strstr(t.text, "< 250 more") == NULL);
	session_tls_started(s, 5000, true, "TLS1.3 test", NULL, 0);
	EXPECT(session_tls(s));
	EXPECT(!caps_has(session_caps(s), "STARTTLS"));
	EXPECT_INT(session_phase(s), PHASE_HELLO);
	EXPECT(strstr(t.text, "send EHLO again") != NULL);
	/* No STARTTLS inside TLS. */
	EXPECT_INT(session_command(s, "STARTTLS", 8, 5100, &err), -1);
	EXPECT(err != NULL && strstr(err, "already under TLS") != NULL);
	free(err);
	session_free(s);
}

static void
test_session_starttls_auto(void)
{
	struct session_config	 cfg = { .starttls = true };
	struct trace		 t;
	struct session		*s = start_cfg(&t, &cfg);

	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO me", 3000);
	in(s, "250-mx\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n", 3100);
	output(s, "EHLO me\r\nSTARTTLS\r\n");
	in(s, "220 ready\r\n", 3200);
	EXPECT(session_tls_wanted(s));
	session_tls_started(s, 4000, true, "TLS1.3 test", NULL, 0);
	output(s, "EHLO me\r\n");
	EXPECT(strstr(t.text, "> EHLO me\n") != NULL);
	in(s, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n", 4100);
	EXPECT(caps_has_auth(session_caps(s), "LOGIN"));
	EXPECT_INT(session_phase(s), PHASE_GREETED);
	EXPECT(strstr(t.text, "tls up verified 1") != NULL);
	session_free(s);
}

static void
test_session_require_tls(void)
{
	struct session_config	 cfg = { .require_tls = true };
	struct trace		 t;
	struct session		*s = start_cfg(&t, &cfg);
	char			*err = NULL;

	in(s, "220 mx\r\n", 2000);
	EXPECT_INT(session_command(s, "MAIL FROM:<a@b>", 15, 2500, &err), -1);
	EXPECT(err != NULL && strstr(err, "--require-tls") != NULL);
	free(err);
	cmd(s, "EHLO me", 3000);
	in(s, "250-mx\r\n250 PIPELINING\r\n", 3100);
	output(s, "EHLO me\r\nQUIT\r\n");
	EXPECT(strstr(t.text, "does not offer STARTTLS: sending QUIT") !=
	    NULL);
	EXPECT(strstr(t.text, "tls missing verified 0") != NULL);
	session_free(s);

	/* Refused, or a certificate that does not verify. */
	s = start_cfg(&t, &cfg);
	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO me", 3000);
	in(s, "250-mx\r\n250 STARTTLS\r\n", 3100);
	cmd(s, "STARTTLS", 3200);
	in(s, "454 4.7.0 TLS not available\r\n", 3300);
	EXPECT(strstr(t.text, "refused STARTTLS: sending QUIT") != NULL);
	session_free(s);

	s = start_cfg(&t, &cfg);
	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO me", 3000);
	in(s, "250-mx\r\n250 STARTTLS\r\n", 3100);
	cmd(s, "STARTTLS", 3200);
	in(s, "220 go\r\n", 3300);
	{
		char	*why[] = { "certificate not verified for x: "
			    "certificate 0 (CN=x) expired" };

		session_tls_started(s, 4000, false, "TLS1.3 x, NOT verified",
		    why, 1);
	}
	EXPECT(strstr(t.text, "warning tls: certificate not verified for x: "
	    "certificate 0 (CN=x) expired\n") != NULL);
	EXPECT(strstr(t.text, "did not verify: sending QUIT") != NULL);
	EXPECT_INT(session_command(s, "MAIL FROM:<a@b>", 15, 4100, &err), -1);
	free(err);
	EXPECT_INT(session_phase(s), PHASE_QUIT);
	session_free(s);
}

static void
test_session_tls_failed(void)
{
	struct trace	 t;
	struct session	*s = start(&t, 0);

	in(s, "220 mx\r\n", 2000);
	cmd(s, "STARTTLS", 3000);
	in(s, "220 go\r\n", 3100);
	session_tls_failed(s, 3200, "cannot complete TLS handshake: boom");
	EXPECT(strstr(t.text, "no fallback to plaintext") != NULL);
	EXPECT(strstr(t.text, "close TLS failed") != NULL);
	EXPECT_INT(session_phase(s), PHASE_CLOSED);
	session_free(s);
}

/* A rule set of the test's own: RCPT to nobody@ gets a 451 after 2 s;
 * MAIL from drop@ is dropped; QUIT gets a 421. */
static int
fake_rules(void *arg, enum command_verb v, const char *line, size_t len,
    uint64_t now, struct session_sim *out)
{
	(void)arg;
	(void)now;
	if (v == VERB_RCPT && memmem(line, len, "nobody@", 7) != NULL) {
		out->code = 451;
		out->enhanced = "4.7.1";
		out->text = "Greylisted";
		out->delay = 2000000;
		out->label = "test:1";
		return 1;
	}
	if (v == VERB_MAIL && memmem(line, len, "drop@", 5) != NULL) {
		out->drop = true;
		return 1;
	}
	return 0;
}

static void
test_session_simulated_replies(void)
{
	struct session_config	 cfg = { .simulate = fake_rules };
	struct trace		 t;
	struct session		*s = start_cfg(&t, &cfg);

	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250 mx\r\n", 3100);
	cmd(s, "MAIL FROM:<a@b>", 4000);
	in(s, "250 ok\r\n", 4100);
	output(s, "EHLO a\r\nMAIL FROM:<a@b>\r\n");
	cmd(s, "RCPT TO:<nobody@x>", 5000);
	output(s, "");		/* not sent */
	EXPECT(strstr(t.text, "not sent, a rule answers (test:1)") != NULL);
	EXPECT(!session_idle(s));
	EXPECT_INT(session_deadline(s), 5000 + 2000000);
	session_tick(s, 1000000);
	EXPECT(strstr(t.text, "<! 451") == NULL);
	session_tick(s, 2005000);
	EXPECT(strstr(t.text, "<! 451 4.7.1 Greylisted\n") != NULL);
	EXPECT(strstr(t.text, "reply 451 4.7.1 to RCPT latency 2000000") !=
	    NULL);
	EXPECT(session_last_simulated(s));
	EXPECT_INT(session_phase(s), PHASE_MAIL);
	/* A real command after it, then a real reply. */
	cmd(s, "RCPT TO:<ok@x>", 2006000);
	output(s, "RCPT TO:<ok@x>\r\n");
	in(s, "250 ok\r\n", 2007000);
	EXPECT(!session_last_simulated(s));
	EXPECT_INT(session_phase(s), PHASE_RCPT);
	session_free(s);

	/* Pipelined behind a held simulated reply: FIFO order kept. */
	s = start_cfg(&t, &cfg);
	in(s, "220 mx\r\n", 2000);
	cmd(s, "EHLO a", 3000);
	in(s, "250-mx\r\n250 PIPELINING\r\n", 3100);
	cmd(s, "MAIL FROM:<a@b>", 4000);
	cmd(s, "RCPT TO:<nobody@x>", 4001);
	cmd(s, "RCPT TO:<ok@x>", 4002);
	in(s, "250 ok\r\n250 ok\r\n", 4100);
	EXPECT(strstr(t.text, "reply 250 - to MAIL") <
	    strstr(t.text, "reply 451 4.7.1 to RCPT"));
	EXPECT(strstr(t.text, "reply 451 4.7.1 to RCPT") <
	    strstr(t.text, "reply 250 - to RCPT"));
	session_free(s);

	/* drop: as if the server closed. */
	s = start_cfg(&t, &cfg);
	in(s, "220 mx\r\n", 2000);
	cmd(s, "MAIL FROM:<drop@b>", 3000);
	EXPECT_INT(session_phase(s), PHASE_CLOSED);
	EXPECT(strstr(t.text, "close closed by the server") != NULL);
	session_free(s);
}

TEST_LIST(session_tests) = {
	TEST(test_session_simulated_replies),
	TEST(test_session_starttls_injection),
	TEST(test_session_starttls_auto),
	TEST(test_session_require_tls),
	TEST(test_session_tls_failed),
	TEST(test_session_dialog),
	TEST(test_session_out_of_order_warns_but_sends),
	TEST(test_session_refuses_crlf_inside),
	TEST(test_session_helo_fallback),
	TEST(test_session_bare_lf_and_caps_relearned),
	TEST(test_session_smtp_sink_ehlo),
	TEST(test_session_protocol_errors_end_session),
	TEST(test_session_timeout),
	TEST(test_session_421_and_eof),
	TEST(test_session_message_file),
	TEST(test_session_pipelining_warning),
	TEST(test_session_unsolicited_and_early_talker),
	TEST_END
};
