/*
 * Unit tests: the engine's AUTH exchanges (masking, decoding, refusals),
 * whole transactions (PIPELINING or not, SIZE, DSN, REQUIRETLS), BDAT and
 * raw DATA.  The trace holds what the transcript would get; the bytes on
 * the wire are read with session_output().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "session.h"

struct tr {
	char	text[16384];
	size_t	len;
	int	auth[AUTH_EV_LAST];
};

static void
tr_add(struct tr *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tr_add(struct tr *t, const char *fmt, ...)
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
tr_record(const struct session_event *ev, void *arg)
{
	struct tr	*t = arg;

	switch (ev->type) {
	case SEV_T_SENT:
		tr_add(t, "> %.*s%s%s\n", (int)ev->len, ev->line,
		    ev->raw ? " [raw]" : "", ev->masked ? " [m]" : "");
		break;
	case SEV_T_RECEIVED:
		tr_add(t, "< %.*s\n", (int)ev->len, ev->line);
		break;
	case SEV_T_DIAG:
		tr_add(t, "%s %s: %s\n", session_severity_name(ev->severity),
		    ev->category, ev->message);
		break;
	case SEV_T_AUTH:
		t->auth[ev->auth_ev]++;
		tr_add(t, "auth event %d\n", (int)ev->auth_ev);
		break;
	default:
		break;
	}
}

/* The bytes written since the last call, as a string (static). */
static const char *
wire(struct session *s)
{
	static char	 out[16384];
	const char	*p;
	size_t		 n = session_output(s, &p);

	if (n >= sizeof(out))
		n = sizeof(out) - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	session_output_done(s, session_output(s, &p));
	return out;
}

static void
feed(struct session *s, const char *bytes)
{
	session_input(s, bytes, strlen(bytes), 5000);
}

/* Connected, greeted, EHLO answered with CAPS ("250-x\r\n250 Y\r\n"). */
static struct session *
greeted(struct tr *t, struct session_config *cfg, const char *caps)
{
	struct session	*s;
	char		*err = NULL;

	memset(t, 0, sizeof(*t));
	s = session_new(cfg, tr_record, t);
	session_open(s, 1000);
	feed(s, "220 mx ESMTP\r\n");
	if (session_command(s, "EHLO me", 7, 2000, &err) == -1)
		free(err);
	feed(s, caps);
	wire(s);
	return s;
}

/* The end of a case: on a failure the trace helps; then free. */
static void
done(struct session *s, const struct tr *t)
{
	if (harness_failures > 0)
		fprintf(stderr, "trace:\n%s\n", t->text);
	session_free(s);
}

static void
test_auth_plain_masked(void)
{
	struct session_config	 cfg = { .allow_plaintext_auth = true };
	struct tr		 t;
	struct session		*s;
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
	ASSERT(session_auth(s, SASL_PLAIN, "bob", "hunter22", 8, 3000,
	    &err) == 0);
	EXPECT(strcmp(wire(s), "AUTH PLAIN AGJvYgBodW50ZXIyMg==\r\n") == 0);
	EXPECT(strstr(t.text, "> AUTH PLAIN [masked] [m]") != NULL);
	/* The server echoes the blob and the password: masked. */
	feed(s, "235 2.7.0 ok AGJvYgBodW50ZXIyMg== hunter22\r\n");
	EXPECT(strstr(t.text, "AGJvYg") == NULL);
	EXPECT(strstr(t.text, "hunter22") == NULL);
	EXPECT(strstr(t.text, "< 235 2.7.0 ok [masked] [masked]") != NULL);
	EXPECT_INT(t.auth[AUTH_OK], 1);
	done(s, &t);
}

static void
test_auth_login_steps_decoded(void)
{
	struct session_config	 cfg = { .allow_plaintext_auth = true };
	struct tr		 t;
	struct session		*s;
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250 AUTH LOGIN\r\n");
	ASSERT(session_auth(s, SASL_LOGIN, "bob", "hunter22", 8, 3000,
	    &err) == 0);
	EXPECT(strcmp(wire(s), "AUTH LOGIN\r\n") == 0);
	feed(s, "334 VXNlcm5hbWU6\r\n");
	EXPECT(strstr(t.text, "334 decoded: \"Username:\"") != NULL);
	EXPECT(strcmp(wire(s), "Ym9i\r\n") == 0);
	feed(s, "334 UGFzc3dvcmQ6\r\n");
	EXPECT(strstr(t.text, "334 decoded: \"Password:\"") != NULL);
	EXPECT(strcmp(wire(s), "aHVudGVyMjI=\r\n") == 0);
	feed(s, "535 5.7.8 no aHVudGVyMjI=\r\n");
	EXPECT(strstr(t.text, "aHVudGVy") == NULL);
	EXPECT(strstr(t.text, "Ym9i") == NULL);
	EXPECT_INT(t.auth[AUTH_FAILED], 1);
	/* Once over, the secrets are forgotten: nothing more is masked. */
	feed(s, "250 ok\r\n");
	done(s, &t);
}

static void
test_auth_plaintext_refused(void)
{
	struct session_config	 cfg = { 0 };
	struct tr		 t;
	struct session		*s;
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250 AUTH PLAIN\r\n");
	EXPECT(session_auth(s, SASL_PLAIN, "bob", "pw", 2, 3000, &err) == -1);
	ASSERT(err != NULL);
	EXPECT(strstr(err, "cannot send AUTH over plaintext") != NULL);
	free(err);
	err = NULL;
	EXPECT(session_command(s, "AUTH PLAIN AGJvYgBwdw==", 22, 3000,
	    &err) == -1);
	free(err);
	EXPECT(strcmp(wire(s), "") == 0);
	/* Under TLS it goes. */
	session_tls_started(s, 3500, true, "TLS1.3", NULL, 0);
	feed(s, "");
	err = NULL;
	EXPECT(session_command(s, "EHLO me", 7, 3600, &err) == 0);
	feed(s, "250-mx\r\n250 AUTH PLAIN\r\n");
	wire(s);
	EXPECT(session_command(s, "AUTH PLAIN AGJvYgBwdw==", 23, 3700,
	    &err) == 0);
	EXPECT(strcmp(wire(s), "AUTH PLAIN AGJvYgBwdw==\r\n") == 0);
	EXPECT(strstr(t.text, "> AUTH PLAIN [masked]") != NULL);
	done(s, &t);
}

static void
test_auth_typed_login(void)
{
	struct session_config	 cfg = { .allow_plaintext_auth = true };
	struct tr		 t;
	struct session		*s;
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250 AUTH LOGIN\r\n");
	ASSERT(session_command(s, "AUTH LOGIN", 10, 3000, &err) == 0);
	EXPECT(!session_wants_sasl_response(s));
	feed(s, "334 VXNlcm5hbWU6\r\n");
	EXPECT(session_wants_sasl_response(s));
	EXPECT(strstr(t.text, "\"Username:\"") != NULL);
	wire(s);
	ASSERT(session_command(s, "Ym9i", 4, 3100, &err) == 0);
	EXPECT(strcmp(wire(s), "Ym9i\r\n") == 0);
	EXPECT(strstr(t.text, "> [masked] [m]") != NULL);
	EXPECT(strstr(t.text, "Ym9i") == NULL);
	feed(s, "334 UGFzc3dvcmQ6\r\n");
	ASSERT(session_command(s, "*", 1, 3200, &err) == 0);
	EXPECT(strcmp(wire(s), "*\r\n") == 0);
	feed(s, "501 5.7.0 cancelled\r\n");
	EXPECT(!session_wants_sasl_response(s));
	EXPECT_INT(t.auth[AUTH_FAILED], 1);
	done(s, &t);
}

static void
test_auth_auto_after_starttls(void)
{
	struct session_config	 cfg = {
		.starttls = true,
		.auth_mech = SASL_PLAIN,
		.auth_user = "bob",
		.auth_secret = "hunter22",
		.auth_secretlen = 8,
	};
	struct tr		 t;
	struct session		*s;

	s = greeted(&t, &cfg, "250-mx\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n");
	EXPECT(strstr(t.text, "> STARTTLS") != NULL);
	feed(s, "220 go\r\n");
	session_tls_started(s, 4000, true, "TLS1.3", NULL, 0);
	EXPECT(strcmp(wire(s), "EHLO me\r\n") == 0);
	feed(s, "250-mx\r\n250 AUTH PLAIN\r\n");
	EXPECT(strcmp(wire(s), "AUTH PLAIN AGJvYgBodW50ZXIyMg==\r\n") == 0);
	feed(s, "235 ok\r\n");
	EXPECT_INT(t.auth[AUTH_OK], 1);
	done(s, &t);

	/* No STARTTLS offered: AUTH is not attempted over plaintext. */
	s = greeted(&t, &cfg, "250-mx\r\n250 AUTH PLAIN\r\n");
	EXPECT_INT(t.auth[AUTH_REFUSED], 1);
	EXPECT(strcmp(wire(s), "") == 0);
	done(s, &t);
}

static void
test_tx_pipelined_dsn(void)
{
	struct session_config	 cfg = { 0 };
	struct tr		 t;
	struct session		*s;
	const char		*rcpt[] = { "c@d", "e+x@f" };
	struct session_tx	 tx = {
		.from = "a@b", .rcpt = rcpt, .nrcpt = 2,
		.body = "Subject: x\n\n.hi\n", .len = 16,
		.ret = "HDRS", .envid = "x+y", .notify = "SUCCESS",
		.orcpt = true,
	};
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250 DSN\r\n");
	EXPECT(session_send_tx(s, &tx, 3000, &err) == 0);
	EXPECT(strcmp(wire(s), "MAIL FROM:<a@b> SIZE=20 RET=HDRS "
	    "ENVID=x+2By\r\nRCPT TO:<c@d> NOTIFY=SUCCESS ORCPT=rfc822;c@d\r\n"
	    "RCPT TO:<e+x@f> NOTIFY=SUCCESS ORCPT=rfc822;e+2Bx@f\r\n"
	    "DATA\r\n") == 0);
	EXPECT(!session_idle(s));
	feed(s, "250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n");
	EXPECT(strcmp(wire(s), "Subject: x\r\n\r\n..hi\r\n.\r\n") == 0);
	feed(s, "250 queued\r\n");
	EXPECT(session_idle(s));
	EXPECT_INT(session_phase(s), PHASE_GREETED);
	done(s, &t);
}

static void
test_tx_one_by_one(void)
{
	struct session_config	 cfg = { 0 };
	struct tr		 t;
	struct session		*s;
	const char		*rcpt[] = { "c@d" };
	struct session_tx	 tx = {
		.from = "a@b", .rcpt = rcpt, .nrcpt = 1,
		.body = "x", .len = 1, .ret = "FULL",
	};
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250 8BITMIME\r\n");
	ASSERT(session_send_tx(s, &tx, 3000, &err) == 0);
	EXPECT(strcmp(wire(s), "MAIL FROM:<a@b>\r\n") == 0);
	EXPECT(strstr(t.text, "does not advertise DSN") != NULL);
	feed(s, "250 ok\r\n");
	EXPECT(strcmp(wire(s), "RCPT TO:<c@d>\r\n") == 0);
	feed(s, "550 unknown user\r\n");
	/* No recipient: no DATA, nothing more. */
	EXPECT(strcmp(wire(s), "") == 0);
	EXPECT(strstr(t.text, "no recipient was accepted") != NULL);
	EXPECT(session_idle(s));
	done(s, &t);

	/* A refused MAIL ends it there. */
	s = greeted(&t, &cfg, "250-mx\r\n250 8BITMIME\r\n");
	ASSERT(session_send_tx(s, &tx, 3000, &err) == 0);
	wire(s);
	feed(s, "451 later\r\n");
	EXPECT(strcmp(wire(s), "") == 0);
	EXPECT(session_idle(s));
	done(s, &t);
}

static void
test_tx_refused_before_sending(void)
{
	struct session_config	 cfg = { 0 };
	struct tr		 t;
	struct session		*s;
	const char		*rcpt[] = { "c@d" };
	struct session_tx	 tx = {
		.from = "a@b", .rcpt = rcpt, .nrcpt = 1,
		.body = "0123456789abcdef", .len = 16,
	};
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250 SIZE 10\r\n");
	EXPECT(session_send_tx(s, &tx, 3000, &err) == -1);
	ASSERT(err != NULL);
	EXPECT(strstr(err, "at most 10 (SIZE)") != NULL);
	free(err);
	err = NULL;
	tx.len = 3;
	tx.smtputf8 = true;
	EXPECT(session_send_tx(s, &tx, 3000, &err) == -1);
	EXPECT(err != NULL && strstr(err, "SMTPUTF8") != NULL);
	free(err);
	err = NULL;
	tx.smtputf8 = false;
	tx.requiretls = true;
	EXPECT(session_send_tx(s, &tx, 3000, &err) == -1);
	EXPECT(err != NULL && strstr(err, "REQUIRETLS") != NULL);
	free(err);
	err = NULL;
	tx.requiretls = false;
	tx.body = "a\0b";
	EXPECT(session_send_tx(s, &tx, 3000, &err) == -1);
	EXPECT(err != NULL && strstr(err, "NUL byte at offset 1") != NULL);
	free(err);
	EXPECT(strcmp(wire(s), "") == 0);
	done(s, &t);
}

static void
test_bdat_chunks(void)
{
	struct session_config	 cfg = { 0 };
	struct tr		 t;
	struct session		*s;
	char			*err = NULL;

	s = greeted(&t, &cfg, "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
	ASSERT(session_bdat(s, "abc\ndef\n", 8, 5, 3000, &err) == 0);
	EXPECT(strcmp(wire(s), "BDAT 5\r\nabc\r\nBDAT 5 LAST\r\ndef\r\n") ==
	    0);
	feed(s, "250 ok\r\n250 ok\r\n");
	EXPECT(session_idle(s));
	done(s, &t);

	/* Without PIPELINING: one chunk a reply; no CRLF split. */
	s = greeted(&t, &cfg, "250-mx\r\n250 CHUNKING\r\n");
	ASSERT(session_bdat(s, "ab\r\ncd", 6, 4, 3000, &err) == 0);
	EXPECT(strcmp(wire(s), "BDAT 4\r\nab\r\n") == 0);
	feed(s, "250 ok\r\n");
	EXPECT(strcmp(wire(s), "BDAT 4 LAST\r\ncd\r\n") == 0);
	feed(s, "250 ok\r\n");
	EXPECT(session_idle(s));
	done(s, &t);
}

static void
test_data_raw_and_nul(void)
{
	struct session_config	 cfg = { 0 };
	struct tr		 t;
	struct session		*s;
	char			*err = NULL;

	s = greeted(&t, &cfg, "250 mx\r\n");
	EXPECT(session_message(s, "ab\0", 3, 3000, &err) == -1);
	EXPECT(err != NULL && strstr(err, "offset 2") != NULL);
	free(err);
	err = NULL;
	ASSERT(session_message_raw(s, "a\n.\nb", 5, 3000, &err) == 0);
	EXPECT(strcmp(wire(s), "DATA\r\n") == 0);
	feed(s, "354 go\r\n");
	EXPECT(strcmp(wire(s), "a\n.\nb\r\n.\r\n") == 0);
	EXPECT(strstr(t.text, "> a [raw]") != NULL);
	EXPECT(strstr(t.text, "> . [raw]") != NULL);
	done(s, &t);

	/* Normal DATA: the smuggled dot is stuffed. */
	s = greeted(&t, &cfg, "250 mx\r\n");
	ASSERT(session_message(s, "a\n.\nb\r.\rc", 9, 3000, &err) == 0);
	feed(s, "354 go\r\n");
	wire(s);
	EXPECT(strstr(t.text, "> .. ") == NULL);
	done(s, &t);
}

TEST_LIST(session_auth_tests) = {
	TEST(test_auth_plain_masked),
	TEST(test_auth_login_steps_decoded),
	TEST(test_auth_plaintext_refused),
	TEST(test_auth_typed_login),
	TEST(test_auth_auto_after_starttls),
	TEST(test_tx_pipelined_dsn),
	TEST(test_tx_one_by_one),
	TEST(test_tx_refused_before_sending),
	TEST(test_bdat_chunks),
	TEST(test_data_raw_and_nul),
	TEST_END
};
