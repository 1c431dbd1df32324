/* Unit tests: the rules engine (parsing, selectors, scopes, actions). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "rules.h"

#define SEC	1000000ULL	/* microseconds */

static struct rules *
parse(const char *text)
{
	struct rules	*r;
	char		*err = NULL;

	r = rules_parse(text, strlen(text), "rules", &err);
	if (r == NULL) {
		harness_fail(__FILE__, __LINE__, "parse: %s", err);
		free(err);
	}
	return r;
}

/* The parse error of TEXT, or "" when it parses; a static buffer. */
static const char *
parse_err(const char *text)
{
	static char	 buf[1024];
	struct rules	*r;
	char		*err = NULL;

	if ((r = rules_parse(text, strlen(text), "t.rules", &err)) != NULL) {
		rules_free(r);
		return "";
	}
	snprintf(buf, sizeof(buf), "%s", err != NULL ? err : "(null)");
	free(err);
	return buf;
}

/* Does a command line match (for the caller's event of the verb)? */
static bool
hit(struct rules_conn *c, const char *line, uint64_t now)
{
	struct rules_action	a;

	rules_match(c, rules_event_of_verb(line, strlen(line)), line,
	    strlen(line), now, &a);
	return a.matched;
}

static void
test_rules_event_of_verb(void)
{
	EXPECT_INT(rules_event_of_verb("EHLO x", 6), RULES_EV_EHLO);
	EXPECT_INT(rules_event_of_verb("ehlo", 4), RULES_EV_EHLO);
	EXPECT_INT(rules_event_of_verb("LHLO x", 6), RULES_EV_EHLO);
	EXPECT_INT(rules_event_of_verb("HELO x", 6), RULES_EV_HELO);
	EXPECT_INT(rules_event_of_verb("MAIL FROM:<a@b>", 15), RULES_EV_MAIL);
	EXPECT_INT(rules_event_of_verb("rcpt to:<a@b>", 13), RULES_EV_RCPT);
	EXPECT_INT(rules_event_of_verb("DATA", 4), RULES_EV_DATA);
	EXPECT_INT(rules_event_of_verb("BDAT 10 LAST", 12), RULES_EV_BDAT);
	EXPECT_INT(rules_event_of_verb("STARTTLS", 8), RULES_EV_STARTTLS);
	EXPECT_INT(rules_event_of_verb("AUTH PLAIN", 10), RULES_EV_AUTH);
	EXPECT_INT(rules_event_of_verb("RSET", 4), RULES_EV_RSET);
	EXPECT_INT(rules_event_of_verb("NOOP", 4), RULES_EV_NOOP);
	EXPECT_INT(rules_event_of_verb("QUIT", 4), RULES_EV_QUIT);
	EXPECT_INT(rules_event_of_verb(".", 1), RULES_EV_DOT);
	EXPECT_INT(rules_event_of_verb("VRFY x", 6), RULES_EV_OTHER);
	EXPECT_INT(rules_event_of_verb("MAILX", 5), RULES_EV_OTHER);
	EXPECT_INT(rules_event_of_verb("", 0), RULES_EV_OTHER);
	EXPECT_STR(rules_event_names[RULES_EV_CONNECT], "connect");
	EXPECT_STR(rules_event_names[RULES_EV_DOT], "dot");
	EXPECT_STR(rules_event_names[RULES_EV_ANY], "any");
}

/* Greylisting: the first RCPT of each client, across connections. */
static void
test_rules_greylisting(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*a1, *a2, *b1;
	struct rules_action	 act;
	const char		*rcpt = "RCPT TO:<u@example.org>";

	r = parse("# greylisting\n\n"
	    "rcpt first 1 reply 451 4.7.1 Greylisted, try again later\n");
	ASSERT(r != NULL);
	EXPECT_INT(rules_count(r), 1);
	st = rules_state_new(r, 1);
	a1 = rules_conn_new(st, "192.0.2.1");
	rules_match(a1, RULES_EV_RCPT, rcpt, strlen(rcpt), 0, &act);
	EXPECT(act.matched);
	EXPECT_INT(act.code, 451);
	EXPECT_STR(act.enhanced, "4.7.1");
	EXPECT_STR(act.text, "Greylisted, try again later");
	EXPECT_INT(act.line, 3);
	EXPECT_INT(act.rule, 0);
	EXPECT(!act.close && !act.drop);
	EXPECT_INT(act.delay_us, 0);
	EXPECT_STR(act.desc, "rules:3 rcpt first 1 -> 451 4.7.1");
	rules_match(a1, RULES_EV_MAIL, "MAIL FROM:<>", 12, 1, &act);
	EXPECT(!act.matched);
	rules_conn_free(a1);

	/* The retry from the same client, in a new connection, passes. */
	a2 = rules_conn_new(st, "192.0.2.1");
	EXPECT(!hit(a2, rcpt, 300 * SEC));
	EXPECT(!hit(a2, rcpt, 301 * SEC));
	/* Another client is greylisted on its first RCPT. */
	b1 = rules_conn_new(st, "198.51.100.7");
	EXPECT(hit(b1, rcpt, 302 * SEC));
	EXPECT(!hit(b1, rcpt, 303 * SEC));
	EXPECT_INT(rules_state_clients(st), 2);
	rules_conn_free(a2);
	rules_conn_free(b1);
	rules_state_free(st);
	rules_free(r);
}

static void
test_rules_first_nth_after(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	struct rules_action	 a;
	int			 i, got[8];

	r = parse("mail first 2 reply 451 first\n"
	    "rcpt nth 3 reply 452 nth\n"
	    "data after 2 reply 554 after\n");
	ASSERT(r != NULL);
	st = rules_state_new(r, 1);
	c = rules_conn_new(st, "c");
	for (i = 0; i < 5; i++) {
		rules_match(c, RULES_EV_MAIL, "MAIL FROM:<>", 12, 0, &a);
		got[i] = a.matched ? a.code : 0;
	}
	EXPECT_INT(got[0], 451);
	EXPECT_INT(got[1], 451);
	EXPECT_INT(got[2], 0);
	EXPECT_INT(got[4], 0);
	for (i = 0; i < 5; i++)
		got[i] = hit(c, "RCPT TO:<a@b>", 0);
	EXPECT(!got[0] && !got[1] && got[2] && !got[3] && !got[4]);
	for (i = 0; i < 5; i++)
		got[i] = hit(c, "DATA", 0);
	EXPECT(!got[0] && !got[1] && got[2] && got[3] && got[4]);
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

/* every 3 per connection: matches 3, 6; a new connection starts again. */
static void
test_rules_every_per_connection(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c1, *c2;
	struct rules_action	 a;
	char			 seq[8];
	int			 i;

	r = parse("mail every 3 per connection reply 421 4.7.0 Too many "
	    "messages; close\n");
	ASSERT(r != NULL);
	EXPECT_STR(rules_describe(r, 0),
	    "rules:1 mail every 3 per connection -> 421 4.7.0, close");
	st = rules_state_new(r, 1);
	c1 = rules_conn_new(st, "192.0.2.1");
	for (i = 0; i < 7; i++)
		seq[i] = hit(c1, "MAIL FROM:<a@b>", (uint64_t)i) ? 'x' : '.';
	seq[7] = '\0';
	EXPECT_STR(seq, "..x..x.");
	/* Same client, new connection: from zero. */
	c2 = rules_conn_new(st, "192.0.2.1");
	EXPECT(!hit(c2, "MAIL FROM:<a@b>", 10));
	EXPECT(!hit(c2, "MAIL FROM:<a@b>", 11));
	rules_match(c2, RULES_EV_MAIL, "MAIL FROM:<a@b>", 15, 12, &a);
	EXPECT(a.matched && a.close && a.code == 421);
	EXPECT_STR(a.text, "Too many messages");
	/* The first connection kept its own count (7 so far: 8 next). */
	EXPECT(!hit(c1, "MAIL FROM:<a@b>", 13));
	EXPECT(hit(c1, "MAIL FROM:<a@b>", 14));
	/* Per-connection rules need no client table. */
	EXPECT_INT(rules_state_clients(st), 0);
	rules_conn_free(c1);
	rules_conn_free(c2);
	rules_state_free(st);
	rules_free(r);
}

/* global: every connection of every client counts together. */
static void
test_rules_global_scope(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*a, *b;

	r = parse("helo nth 2 global reply 554 second\n"
	    "ehlo nth 2 per client reply 554 second\n");
	ASSERT(r != NULL);
	EXPECT_STR(rules_describe(r, 0), "rules:1 helo nth 2 global -> 554");
	EXPECT_STR(rules_describe(r, 1), "rules:2 ehlo nth 2 -> 554");
	st = rules_state_new(r, 1);
	a = rules_conn_new(st, "192.0.2.1");
	b = rules_conn_new(st, "192.0.2.2");
	EXPECT(!hit(a, "HELO a", 0));
	EXPECT(hit(b, "HELO b", 0));
	EXPECT(!hit(a, "HELO a", 0));
	EXPECT(!hit(a, "EHLO a", 0));
	EXPECT(!hit(b, "EHLO b", 0));
	EXPECT(hit(b, "EHLO b", 0));
	rules_conn_free(a);
	rules_conn_free(b);
	rules_state_free(st);
	rules_free(r);
}

/* rate 10/60s: the 11th event within any 60 s, sliding. */
static void
test_rules_rate_sliding(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c, *d;
	struct rules_action	 a;
	int			 i;

	r = parse("connect rate 10/60s reply 421 4.7.0 Rate limit exceeded; "
	    "close\n");
	ASSERT(r != NULL);
	EXPECT_STR(rules_describe(r, 0),
	    "rules:1 connect rate 10/1m -> 421 4.7.0, close");
	st = rules_state_new(r, 7);
	/* Connections at 0, 1, ..., 9 s: ten, none limited. */
	for (i = 0; i < 10; i++) {
		c = rules_conn_new(st, "192.0.2.1");
		rules_match(c, RULES_EV_CONNECT, NULL, 0, (uint64_t)i * SEC,
		    &a);
		EXPECT(!a.matched);
		rules_conn_free(c);
	}
	/* The 11th within the window, at 10 s, is. */
	c = rules_conn_new(st, "192.0.2.1");
	rules_match(c, RULES_EV_CONNECT, NULL, 0, 10 * SEC, &a);
	EXPECT(a.matched && a.code == 421 && a.close);
	rules_conn_free(c);
	/* Another client is not. */
	d = rules_conn_new(st, "192.0.2.2");
	rules_match(d, RULES_EV_CONNECT, NULL, 0, 10 * SEC, &a);
	EXPECT(!a.matched);
	rules_conn_free(d);
	/*
	 * At 61 s the events at 0 and 1 s are out (exactly 60 s old no
	 * longer counts): 2..10 and now make 10, not more.
	 */
	c = rules_conn_new(st, "192.0.2.1");
	rules_match(c, RULES_EV_CONNECT, NULL, 0, 61 * SEC, &a);
	EXPECT(!a.matched);
	/* At 61.5 s: 2..10, 61 and 61.5 make 11. */
	rules_match(c, RULES_EV_CONNECT, NULL, 0, 61 * SEC + SEC / 2, &a);
	EXPECT(a.matched);
	/* After a quiet window everything is forgotten. */
	rules_match(c, RULES_EV_CONNECT, NULL, 0, 200 * SEC, &a);
	EXPECT(!a.matched);
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

/* A steady rate under the limit never trips; a burst does. */
static void
test_rules_rate_steady_and_burst(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	int			 i, hits = 0;

	r = parse("rcpt rate 2/1s per connection reply 450 4.7.1 Slow down\n");
	ASSERT(r != NULL);
	st = rules_state_new(r, 7);
	c = rules_conn_new(st, NULL);
	/* One every 500 ms: two in any second, never three. */
	for (i = 0; i < 20; i++)
		hits += hit(c, "RCPT TO:<a@b>", (uint64_t)i * SEC / 2);
	EXPECT_INT(hits, 0);
	/* Three within 2 ms: the third is limited. */
	EXPECT(!hit(c, "RCPT TO:<a@b>", 100 * SEC));
	EXPECT(!hit(c, "RCPT TO:<a@b>", 100 * SEC + 1000));
	EXPECT(hit(c, "RCPT TO:<a@b>", 100 * SEC + 2000));
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

static void
prob_run(uint64_t seed, char *out, int n)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	int			 i;

	r = parse("data prob 0.5 reply 451 4.3.0 Temporary failure\n");
	if (r == NULL)
		return;
	st = rules_state_new(r, seed);
	c = rules_conn_new(st, "x");
	for (i = 0; i < n; i++)
		out[i] = hit(c, "DATA", 0) ? '1' : '0';
	out[n] = '\0';
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

static void
test_rules_prob_reproducible(void)
{
	char	a[65], b[65], c[65];

	prob_run(42, a, 64);
	prob_run(42, b, 64);
	prob_run(43, c, 64);
	EXPECT_STR(a, b);
	EXPECT(strcmp(a, c) != 0);
	/* Not all the same either. */
	EXPECT(strchr(a, '0') != NULL && strchr(a, '1') != NULL);
}

static void
test_rules_prob_rate(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	struct rules_action	 act;
	int			 i, n02 = 0, n0 = 0, n1 = 0;

	r = parse("mail prob 0.2 reply 451 4.3.0 Try later\n"
	    "rcpt prob 0 reply 550 never\n"
	    "data prob 1 reply 550 always\n");
	ASSERT(r != NULL);
	EXPECT_STR(rules_describe(r, 0), "rules:1 mail prob 0.2 -> 451 4.3.0");
	st = rules_state_new(r, 2026);
	c = rules_conn_new(st, "x");
	for (i = 0; i < 10000; i++) {
		rules_match(c, RULES_EV_MAIL, "MAIL FROM:<>", 12, 0, &act);
		n02 += act.matched;
		n0 += hit(c, "RCPT TO:<a@b>", 0);
		n1 += hit(c, "DATA", 0);
	}
	/* 2000 expected, sd 40: 5 sd either side. */
	EXPECT(n02 > 1800 && n02 < 2200);
	EXPECT_INT(n0, 0);
	EXPECT_INT(n1, 10000);
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

static void
test_rules_actions(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	struct rules_action	 a;

	r = parse("data delay 3s; reply 451 4.3.0 Temporary failure\n"
	    "ehlo drop\n"
	    "quit close\n"
	    "rcpt tarpit 20/s\n"
	    "banner delay 250ms\n"
	    "helo reply 250 Fine \\; really  ; tarpit 5; delay 1.5\n"
	    "noop reply 250\n"
	    "rset delay 2m; drop\n");
	ASSERT(r != NULL);
	EXPECT_INT(rules_count(r), 8);
	st = rules_state_new(r, 1);
	c = rules_conn_new(st, "x");

	rules_match(c, RULES_EV_DATA, "DATA", 4, 0, &a);
	EXPECT(a.matched && a.code == 451 && !a.close && !a.drop);
	EXPECT_INT(a.delay_us, 3 * SEC);
	EXPECT_STR(a.enhanced, "4.3.0");
	EXPECT_STR(a.text, "Temporary failure");
	EXPECT_STR(a.desc, "rules:1 data -> delay 3s, 451 4.3.0");

	rules_match(c, RULES_EV_EHLO, "EHLO x", 6, 0, &a);
	EXPECT(a.matched && a.drop && a.code == 0 && !a.close);
	EXPECT_STR(a.desc, "rules:2 ehlo -> drop");

	/* close alone: the default 421. */
	rules_match(c, RULES_EV_QUIT, "QUIT", 4, 0, &a);
	EXPECT(a.matched && a.close && a.code == 421);
	EXPECT_STR(a.enhanced, "4.7.0");
	EXPECT_STR(a.text,
	    "Service not available, closing transmission channel");
	EXPECT_STR(a.desc, "rules:3 quit -> close");

	/* tarpit alone: the real reply, slowly. */
	rules_match(c, RULES_EV_RCPT, "RCPT TO:<a@b>", 13, 0, &a);
	EXPECT(a.matched && a.code == 0 && a.tarpit_bps == 20);
	EXPECT_STR(a.desc, "rules:4 rcpt -> tarpit 20/s");

	rules_match(c, RULES_EV_BANNER, "220 hi", 6, 0, &a);
	EXPECT(a.matched && a.code == 0);
	EXPECT_INT(a.delay_us, 250000);
	EXPECT_STR(a.desc, "rules:5 banner -> delay 250ms");

	rules_match(c, RULES_EV_HELO, "HELO x", 6, 0, &a);
	EXPECT(a.matched && a.code == 250 && a.tarpit_bps == 5);
	EXPECT_STR(a.enhanced, "");
	EXPECT_STR(a.text, "Fine ; really");
	EXPECT_INT(a.delay_us, 1500000);

	rules_match(c, RULES_EV_NOOP, "NOOP", 4, 0, &a);
	EXPECT(a.matched && a.code == 250);
	EXPECT_STR(a.text, "");

	rules_match(c, RULES_EV_RSET, "RSET", 4, 0, &a);
	EXPECT(a.matched && a.drop);
	EXPECT_INT(a.delay_us, 120 * SEC);

	/* No rule for MAIL. */
	rules_match(c, RULES_EV_MAIL, "MAIL FROM:<>", 12, 0, &a);
	EXPECT(!a.matched && a.code == 0 && a.desc == NULL);
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

/*
 * The first rule that applies decides, but every rule whose event and
 * regex match counts: rule 2 sees the second RCPT as its second even
 * though rule 1 decided it.
 */
static void
test_rules_order_and_counting(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	struct rules_action	 a;
	int			 codes[4], i;

	r = parse("rcpt first 2 reply 451 one\n"
	    "rcpt nth 2 reply 452 two\n"
	    "rcpt nth 3 reply 453 three\n"
	    "any reply 250 any\n");
	ASSERT(r != NULL);
	st = rules_state_new(r, 1);
	c = rules_conn_new(st, "x");
	for (i = 0; i < 4; i++) {
		rules_match(c, RULES_EV_RCPT, "RCPT TO:<a@b>", 13, 0, &a);
		codes[i] = a.code;
	}
	EXPECT_INT(codes[0], 451);
	EXPECT_INT(codes[1], 451);
	EXPECT_INT(codes[2], 453);
	EXPECT_INT(codes[3], 250);
	/* any matches commands, not the connection or the banner. */
	rules_match(c, RULES_EV_CONNECT, NULL, 0, 0, &a);
	EXPECT(!a.matched);
	rules_match(c, RULES_EV_BANNER, "220 x", 5, 0, &a);
	EXPECT(!a.matched);
	rules_match(c, RULES_EV_DOT, ".", 1, 0, &a);
	EXPECT(a.matched && a.line == 4);
	rules_match(c, RULES_EV_OTHER, "VRFY x", 6, 0, &a);
	EXPECT(a.matched && a.line == 4);
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

static void
test_rules_regex(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c, *lan;
	struct rules_action	 a;

	r = parse("rcpt /@example\\.org>$/i first 2 reply 451 4.7.1 Grey\n"
	    "mail /^mail from:<>/ reply 550 5.7.1 case-sensitive\n"
	    "mail / ^ MAIL \\s+ FROM: < a\\/b @ /x reply 550 5.1.8 slash\n"
	    "connect /^10\\./ reply 554 5.7.1 Not from the LAN; close\n"
	    "ehlo // reply 250 empty regex\n");
	ASSERT(r != NULL);
	EXPECT_STR(rules_describe(r, 0),
	    "rules:1 rcpt /@example\\.org>$/i first 2 -> 451 4.7.1");
	st = rules_state_new(r, 1);
	c = rules_conn_new(st, "192.0.2.1");
	EXPECT(hit(c, "RCPT TO:<u@EXAMPLE.ORG>", 0));
	EXPECT(!hit(c, "RCPT TO:<u@example.org> NOTIFY=NEVER", 0));
	EXPECT(!hit(c, "RCPT TO:<u@example.net>", 0));
	/* Only matching lines count: this is the second. */
	EXPECT(hit(c, "RCPT TO:<v@example.org>", 0));
	EXPECT(!hit(c, "RCPT TO:<w@example.org>", 0));
	/* Without i, case matters. */
	EXPECT(!hit(c, "MAIL FROM:<>", 0));
	EXPECT(hit(c, "mail from:<>", 0));
	/* x: blanks ignored; \/ is a slash. */
	rules_match(c, RULES_EV_MAIL, "MAIL FROM:<a/b@c>", 17, 0, &a);
	EXPECT(a.matched && a.code == 550);
	EXPECT_STR(a.enhanced, "5.1.8");
	EXPECT(!hit(c, "MAIL FROM:<ab@c>", 0));
	EXPECT(hit(c, "EHLO x", 0));
	/* connect with no line: the regex sees the client address. */
	rules_match(c, RULES_EV_CONNECT, NULL, 0, 0, &a);
	EXPECT(!a.matched);
	lan = rules_conn_new(st, "10.1.2.3");
	rules_match(lan, RULES_EV_CONNECT, NULL, 0, 0, &a);
	EXPECT(a.matched && a.code == 554 && a.close);
	rules_conn_free(lan);
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

/* A catastrophic regex on a hostile line does not hang: no match. */
static void
test_rules_regex_limit(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	char			 line[4096];

	r = parse("rcpt /^(a+)+$/ reply 550 never\n");
	ASSERT(r != NULL);
	st = rules_state_new(r, 1);
	c = rules_conn_new(st, "x");
	memset(line, 'a', sizeof(line) - 2);
	line[sizeof(line) - 2] = 'b';
	line[sizeof(line) - 1] = '\0';
	EXPECT(!hit(c, line, 0));
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

static void
test_rules_parse_errors(void)
{
	EXPECT_STR(parse_err("# the file\n"
	    "rcpt first 1 reply 451 x\n"
	    "rcpt /@x\\.org/i  frist 1 reply 451 4.7.1 Greylisted\n"),
	    "cannot load rules t.rules: line 3, column 18: expected a selector "
	    "(first, nth, every, after, prob, rate) or an action (reply, "
	    "close, drop, delay, tarpit), got \"frist\"");
	EXPECT_STR(parse_err("rcp reply 250 x"),
	    "cannot load rules t.rules: line 1, column 1: expected an event "
	    "(connect, banner, helo, ehlo, starttls, auth, mail, rcpt, data, "
	    "dot, bdat, rset, noop, quit, other, any), got \"rcp\"");
	EXPECT_STR(parse_err("\n  mail /a(b/ reply 250 x"),
	    "cannot load rules t.rules: line 2, column 12: bad regex: "
	    "missing closing parenthesis");
	EXPECT_STR(parse_err("mail /a*+*/ reply 250 x"),
	    "cannot load rules t.rules: line 1, column 10: bad regex: "
	    "quantifier does not follow a repeatable item");
	EXPECT_STR(parse_err("mail /a\\/ reply 250 x"),
	    "cannot load rules t.rules: line 1, column 6: regex: no closing "
	    "\"/\" (a / inside the regex is written \\/)");
	EXPECT_STR(parse_err("mail /a/ig reply 250 x"),
	    "cannot load rules t.rules: line 1, column 10: regex: unknown "
	    "flag \"g\" (i: caseless, x: extended)");
	EXPECT_STR(parse_err("mail reply 45 x"),
	    "cannot load rules t.rules: line 1, column 12: reply: expected a "
	    "three-digit code from 200 to 559, got \"45\"");
	EXPECT_STR(parse_err("mail reply 650 x"),
	    "cannot load rules t.rules: line 1, column 12: reply: expected a "
	    "three-digit code from 200 to 559, got \"650\"");
	EXPECT_STR(parse_err("mail reply 470 x"),
	    "cannot load rules t.rules: line 1, column 12: reply: expected a "
	    "three-digit code from 200 to 559, got \"470\"");
	EXPECT_STR(parse_err("mail reply 451 5.7.1 Greylisted"),
	    "cannot load rules t.rules: line 1, column 16: reply: the "
	    "enhanced code 5.7.1 is of class 5, the reply code 451 needs "
	    "4.x.x");
	EXPECT_STR(parse_err("mail reply 354 3.0.0 go on"),
	    "cannot load rules t.rules: line 1, column 16: reply: the class "
	    "of an enhanced status code is 2, 4 or 5, got \"3.0.0\"");
	EXPECT_STR(parse_err("mail reply 451 4.7 x"),
	    "cannot load rules t.rules: line 1, column 16: reply: expected an "
	    "enhanced status code X.Y.Z (4.7.1), got \"4.7\"");
	EXPECT_STR(parse_err("mail reply 451 4.7.1234 x"),
	    "cannot load rules t.rules: line 1, column 16: reply: expected an "
	    "enhanced status code X.Y.Z (4.7.1), got \"4.7.1234\"");
	EXPECT_STR(parse_err("mail close now"),
	    "cannot load rules t.rules: line 1, column 12: expected \";\" or "
	    "the end of the line after close, got \"now\"");
	EXPECT_STR(parse_err("mail first 0 close"),
	    "cannot load rules t.rules: line 1, column 12: first: expected a "
	    "whole number from 1 to 1000000000, got \"0\"");
	EXPECT_STR(parse_err("mail every 1000000001 close"),
	    "cannot load rules t.rules: line 1, column 12: every: expected a "
	    "whole number from 1 to 1000000000, got \"1000000001\"");
	EXPECT_STR(parse_err("mail after -1 close"),
	    "cannot load rules t.rules: line 1, column 12: after: expected a "
	    "whole number from 1 to 1000000000, got \"-1\"");
	EXPECT_STR(parse_err("mail nth close"),
	    "cannot load rules t.rules: line 1, column 10: nth: expected a "
	    "whole number from 1 to 1000000000, got \"close\"");
	EXPECT_STR(parse_err("mail prob 1.5 close"),
	    "cannot load rules t.rules: line 1, column 11: prob: expected a "
	    "probability from 0 to 1 (0.2), got \"1.5\"");
	EXPECT_STR(parse_err("mail prob nan close"),
	    "cannot load rules t.rules: line 1, column 11: prob: expected a "
	    "probability from 0 to 1 (0.2), got \"nan\"");
	EXPECT_STR(parse_err("mail prob 0.5 per connection close"),
	    "cannot load rules t.rules: line 1, column 15: prob counts "
	    "nothing: it takes no scope");
	EXPECT_STR(parse_err("mail prob 0.5 first 2 close"),
	    "cannot load rules t.rules: line 1, column 15: expected an action "
	    "(reply, close, drop, delay, tarpit), got \"first\"");
	EXPECT_STR(parse_err("mail rate 10 close"),
	    "cannot load rules t.rules: line 1, column 11: rate: expected "
	    "N/WINDOW (10/60s), got \"10\"");
	EXPECT_STR(parse_err("mail rate 1001/60s close"),
	    "cannot load rules t.rules: line 1, column 11: rate: expected a "
	    "number of events from 1 to 1000, got \"1001\"");
	EXPECT_STR(parse_err("mail rate 10/60q close"),
	    "cannot load rules t.rules: line 1, column 14: rate: expected a "
	    "window longer than 0 (60s, 500ms, 1.5, 2m, 1h), got \"60q\"");
	EXPECT_STR(parse_err("mail rate 10/0s close"),
	    "cannot load rules t.rules: line 1, column 14: rate: expected a "
	    "window longer than 0 (60s, 500ms, 1.5, 2m, 1h), got \"0s\"");
	EXPECT_STR(parse_err("mail first 1 per host close"),
	    "cannot load rules t.rules: line 1, column 18: expected \"client\" "
	    "or \"connection\" after \"per\", got \"host\"");
	EXPECT_STR(parse_err("mail first 1 globl close"),
	    "cannot load rules t.rules: line 1, column 14: expected a scope "
	    "(per client, per connection, global) or an action (reply, "
	    "close, drop, delay, tarpit), got \"globl\"");
	EXPECT_STR(parse_err("mail first 1"),
	    "cannot load rules t.rules: line 1, column 13: expected a scope "
	    "(per client, per connection, global) or an action (reply, "
	    "close, drop, delay, tarpit), got the end of the line");
	EXPECT_STR(parse_err("mail"),
	    "cannot load rules t.rules: line 1, column 5: expected a selector "
	    "(first, nth, every, after, prob, rate) or an action (reply, "
	    "close, drop, delay, tarpit), got the end of the line");
	EXPECT_STR(parse_err("mail close;"),
	    "cannot load rules t.rules: line 1, column 12: expected an action "
	    "(reply, close, drop, delay, tarpit), got the end of the line");
	EXPECT_STR(parse_err("mail close; ; drop"),
	    "cannot load rules t.rules: line 1, column 13: expected an action "
	    "(reply, close, drop, delay, tarpit), got \";\"");
	EXPECT_STR(parse_err("mail delay 5q"),
	    "cannot load rules t.rules: line 1, column 12: delay: expected a "
	    "duration (3s, 250ms, 1.5, 2m, 1h), got \"5q\"");
	EXPECT_STR(parse_err("mail tarpit 0/s"),
	    "cannot load rules t.rules: line 1, column 13: tarpit: expected "
	    "bytes a second from 1 to 1000000 (20/s), got \"0/s\"");
	EXPECT_STR(parse_err("mail reply 451 x; drop"),
	    "cannot load rules t.rules: line 1, column 19: drop closes "
	    "without a reply: it cannot go with reply, close or tarpit");
	EXPECT_STR(parse_err("mail drop; close"),
	    "cannot load rules t.rules: line 1, column 12: drop closes "
	    "without a reply: it cannot go with reply, close or tarpit");
	EXPECT_STR(parse_err("mail reply 451 x; reply 452 y"),
	    "cannot load rules t.rules: line 1, column 19: reply: given twice "
	    "in one rule");
	EXPECT_STR(parse_err("mail reply 451 a\033[2Jb"),
	    "cannot load rules t.rules: line 1, column 17: a control "
	    "character (0x1b); a regex can say \\x1b");
	EXPECT_STR(parse_err("mail drop\nrcpt /a\rb/ drop\r\n"),
	    "cannot load rules t.rules: line 2, column 8: a control "
	    "character (0x0d); a regex can say \\x0d");
	EXPECT_STR(parse_err("mail per client close"),
	    "cannot load rules t.rules: line 1, column 6: expected a selector "
	    "(first, nth, every, after, prob, rate) or an action (reply, "
	    "close, drop, delay, tarpit), got \"per\"");
}

/* The example of DESIGN.md section 4 loads as it is written there. */
static void
test_rules_design_example(void)
{
	struct rules	*r;

	r = parse("# event  [/regex/flags]        selector        action\n"
	    "rcpt     /@example\\.org>$/i    first 2         reply 451 4.7.1 "
	    "Greylisted, try again later\n"
	    "mail                           every 3         reply 421 4.7.0 "
	    "Too many messages; close\n"
	    "rcpt                           after 100       reply 452 4.5.3 "
	    "Too many recipients\n"
	    "data                           prob 0.2        delay 3s; reply "
	    "451 4.3.0 Temporary failure\n"
	    "connect                        rate 10/60s     reply 421 4.7.0 "
	    "Rate limit exceeded; close\n"
	    "ehlo                                           drop\n");
	ASSERT(r != NULL);
	EXPECT_INT(rules_count(r), 6);
	EXPECT_STR(rules_describe(r, 0),
	    "rules:2 rcpt /@example\\.org>$/i first 2 -> 451 4.7.1");
	EXPECT_STR(rules_describe(r, 3),
	    "rules:5 data prob 0.2 -> delay 3s, 451 4.3.0");
	EXPECT_STR(rules_describe(r, 5), "rules:7 ehlo -> drop");
	rules_free(r);
}

static void
test_rules_parse_limits(void)
{
	struct rules	*r;
	char		*text, *err = NULL;
	size_t		 i, len;

	/* A NUL byte. */
	r = rules_parse("mail drop\nrcpt\0drop\n", 20, "t", &err);
	EXPECT(r == NULL);
	EXPECT_STR(err, "cannot load rules t: line 2, column 5: a NUL byte");
	free(err);
	err = NULL;

	/* Too large. */
	len = RULES_MAX_FILE + 1;
	text = malloc(len);
	ASSERT(text != NULL);
	memset(text, '\n', len);
	r = rules_parse(text, len, "big", &err);
	EXPECT(r == NULL);
	EXPECT_STR(err, "cannot load rules big: larger than 1048576 bytes");
	free(err);
	err = NULL;

	/* Exactly the cap of rules, then one more. */
	for (i = 0, len = 0; i < RULES_MAX_RULES + 1; i++) {
		memcpy(text + len, "noop drop\n", 10);
		len += 10;
	}
	r = rules_parse(text, len - 10, "many", &err);
	EXPECT(r != NULL);
	if (r != NULL)
		EXPECT_INT(rules_count(r), RULES_MAX_RULES);
	rules_free(r);
	r = rules_parse(text, len, "many", &err);
	EXPECT(r == NULL);
	EXPECT_STR(err, "cannot load rules many: line 10001, column 1: more "
	    "than 10000 rules");
	free(err);
	free(text);

	/* CRLF lines, blanks, comments, keywords in capitals, empty file. */
	r = parse("  # a comment\r\n\r\n\tRCPT FIRST 1 PER CONNECTION REPLY "
	    "451 4.7.1 Grey  \r\nmail drop");
	ASSERT(r != NULL);
	EXPECT_INT(rules_count(r), 2);
	EXPECT_STR(rules_describe(r, 0),
	    "rules:3 rcpt first 1 per connection -> 451 4.7.1");
	EXPECT_STR(rules_describe(r, 1), "rules:4 mail -> drop");
	rules_free(r);
	r = parse("");
	ASSERT(r != NULL);
	EXPECT_INT(rules_count(r), 0);
	rules_free(r);

	/* A file that is not there. */
	err = NULL;
	r = rules_load("tests/unit/no-such.rules", &err);
	EXPECT(r == NULL);
	EXPECT_STR(err, "cannot load rules tests/unit/no-such.rules: No such "
	    "file or directory");
	free(err);
}

/* Every example in share/rules/ loads (tests run from the source tree). */
static void
test_rules_examples(void)
{
	static const char *const want[] = { "greylisting.rules",
	    "message-limit.rules", "rate-limit.rules", "slow-server.rules",
	    "flaky-server.rules" };
	struct rules	*r;
	struct dirent	*de;
	DIR		*d;
	char		 path[512], *err;
	size_t		 n, i, found = 0;
	int		 total = 0;

	d = opendir("share/rules");
	ASSERT(d != NULL);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 7 || strcmp(de->d_name + n - 6, ".rules") != 0)
			continue;
		snprintf(path, sizeof(path), "share/rules/%s", de->d_name);
		err = NULL;
		r = rules_load(path, &err);
		if (r == NULL) {
			harness_fail(__FILE__, __LINE__, "%s", err);
			free(err);
			continue;
		}
		EXPECT(rules_count(r) > 0);
		rules_free(r);
		total++;
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (strcmp(de->d_name, want[i]) == 0)
				found++;
	}
	closedir(d);
	EXPECT_INT(found, sizeof(want) / sizeof(want[0]));
	EXPECT(total >= 5);
}

/* The example greylisting file behaves as its comments say. */
static void
test_rules_example_greylisting(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	struct rules_action	 a;
	char			*err = NULL;

	r = rules_load("share/rules/greylisting.rules", &err);
	ASSERT(r != NULL);
	st = rules_state_new(r, 1);
	c = rules_conn_new(st, "192.0.2.9");
	rules_match(c, RULES_EV_RCPT, "RCPT TO:<a@b>", 13, 0, &a);
	EXPECT(a.matched && a.code == 451);
	EXPECT(strncmp(a.desc, "greylisting.rules:", 18) == 0);
	rules_conn_free(c);
	c = rules_conn_new(st, "192.0.2.9");
	EXPECT(!hit(c, "RCPT TO:<a@b>", 600 * SEC));
	rules_conn_free(c);
	rules_state_free(st);
	rules_free(r);
}

/* Many client addresses: the table stays capped, oldest forgotten. */
static void
test_rules_memory_bounded(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	char			 addr[64];
	int			 i;

	r = parse("rcpt first 1 reply 451 4.7.1 Greylisted\n");
	ASSERT(r != NULL);
	st = rules_state_new(r, 1);
	/* "keep" is seen first, then 4095 others: the table is full. */
	c = rules_conn_new(st, "keep");
	EXPECT(hit(c, "RCPT TO:<a@b>", 0));
	rules_conn_free(c);
	for (i = 0; i < RULES_MAX_CLIENTS - 1; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
		c = rules_conn_new(st, addr);
		EXPECT(hit(c, "RCPT TO:<a@b>", 0));
		rules_conn_free(c);
	}
	EXPECT_INT(rules_state_clients(st), RULES_MAX_CLIENTS);
	/* Seeing "keep" again makes it the newest. */
	c = rules_conn_new(st, "keep");
	EXPECT(!hit(c, "RCPT TO:<a@b>", 1));
	rules_conn_free(c);
	/* Many more addresses: never more than the cap. */
	for (i = 0; i < 3 * RULES_MAX_CLIENTS; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		c = rules_conn_new(st, addr);
		EXPECT(hit(c, "RCPT TO:<a@b>", 2));
		rules_conn_free(c);
		if (i == 0) {
			/* The oldest (10.0.0.0) went; "keep" stays. */
			c = rules_conn_new(st, "keep");
			EXPECT(!hit(c, "RCPT TO:<a@b>", 3));
			rules_conn_free(c);
			c = rules_conn_new(st, "10.0.0.1");
			EXPECT(!hit(c, "RCPT TO:<a@b>", 3));
			rules_conn_free(c);
			c = rules_conn_new(st, "10.0.0.0");
			EXPECT(hit(c, "RCPT TO:<a@b>", 3));
			rules_conn_free(c);
		}
	}
	EXPECT_INT(rules_state_clients(st), RULES_MAX_CLIENTS);
	/* An over-long address is cut, not refused. */
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	c = rules_conn_new(st, addr);
	EXPECT(hit(c, "RCPT TO:<a@b>", 4));
	rules_conn_free(c);
	EXPECT_INT(rules_state_clients(st), RULES_MAX_CLIENTS);
	rules_state_free(st);
	rules_free(r);
}

/* Rate rules with a big N: the client table shrinks to fit its budget. */
static void
test_rules_memory_budget(void)
{
	struct rules		*r;
	struct rules_state	*st;
	struct rules_conn	*c;
	char			 addr[32];
	int			 i;

	r = parse("rcpt rate 1000/1h reply 450 a\n"
	    "mail rate 1000/1h reply 450 b\n"
	    "data rate 1000/1h reply 450 c\n");
	ASSERT(r != NULL);
	st = rules_state_new(r, 1);
	for (i = 0; i < RULES_MAX_CLIENTS; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		c = rules_conn_new(st, addr);
		EXPECT(!hit(c, "RCPT TO:<a@b>", 0));
		rules_conn_free(c);
	}
	/* 3 x 1001 times of 8 bytes a client: about 24 KiB each. */
	EXPECT(rules_state_clients(st) * 3 * 1001 * 8 <= RULES_CLIENT_BUDGET);
	EXPECT(rules_state_clients(st) > 100);
	rules_state_free(st);
	rules_free(r);
}

TEST_LIST(rules_tests) = {
	TEST(test_rules_event_of_verb),
	TEST(test_rules_greylisting),
	TEST(test_rules_first_nth_after),
	TEST(test_rules_every_per_connection),
	TEST(test_rules_global_scope),
	TEST(test_rules_rate_sliding),
	TEST(test_rules_rate_steady_and_burst),
	TEST(test_rules_prob_reproducible),
	TEST(test_rules_prob_rate),
	TEST(test_rules_actions),
	TEST(test_rules_order_and_counting),
	TEST(test_rules_regex),
	TEST(test_rules_regex_limit),
	TEST(test_rules_parse_errors),
	TEST(test_rules_design_example),
	TEST(test_rules_parse_limits),
	TEST(test_rules_examples),
	TEST(test_rules_example_greylisting),
	TEST(test_rules_memory_bounded),
	TEST(test_rules_memory_budget),
	TEST_END
};
