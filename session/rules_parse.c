/*
 * The rules file: reading, parsing (with the line and column of the first
 * error), describing, freeing.  See rules.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_int.h"
#include "script.h"
#include "xmalloc.h"

#define MATCH_LIMIT	1000000	/* PCRE2 steps for one line */
#define DEPTH_LIMIT	10000	/* PCRE2 backtracking depth (interpreter) */

#define EXPECT_SELECTOR	"a selector (first, nth, every, after, prob, rate)"
#define EXPECT_SCOPE	"a scope (per client, per connection, global)"
#define EXPECT_ACTION	"an action (reply, close, drop, delay, tarpit)"

enum rules_act {
	ACT_REPLY,
	ACT_CLOSE,
	ACT_DROP,
	ACT_DELAY,
	ACT_TARPIT,
	ACT_LAST
};

static const char *const sel_names[RULES_SEL_LAST] = {
	[RULES_SEL_ALWAYS] = "",
	[RULES_SEL_FIRST] = "first",
	[RULES_SEL_NTH] = "nth",
	[RULES_SEL_EVERY] = "every",
	[RULES_SEL_AFTER] = "after",
	[RULES_SEL_PROB] = "prob",
	[RULES_SEL_RATE] = "rate",
};

static const char *const scope_names[RULES_SCOPE_LAST] = {
	[RULES_SCOPE_CLIENT] = "per client",
	[RULES_SCOPE_CONN] = "per connection",
	[RULES_SCOPE_GLOBAL] = "global",
};

static const char *const act_names[ACT_LAST] = {
	[ACT_REPLY] = "reply",
	[ACT_CLOSE] = "close",
	[ACT_DROP] = "drop",
	[ACT_DELAY] = "delay",
	[ACT_TARPIT] = "tarpit",
};

/* One line being parsed. */
struct parser {
	const char	 *name;
	char		**errstr;
	unsigned	  lineno;
	const char	 *s;		/* the line, without its end */
	size_t		  len;
	size_t		  pos;
};

/* A word of the line: a run of bytes other than blanks and ';'. */
struct tok {
	size_t		 at;
	size_t		 len;
};

/* A growing string, for descriptions. */
struct str {
	char		*s;
	size_t		 len;
	size_t		 cap;
};

static void
str_add(struct str *d, const char *p, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		d->cap = (d->len + n + 1) * 2;
		d->s = xrealloc(d->s, d->cap);
	}
	memcpy(d->s + d->len, p, n);
	d->len += n;
	d->s[d->len] = '\0';
}

static void
str_addf(struct str *d, const char *fmt, ...)
{
	char	buf[128];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		str_add(d, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

static int
perr(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "cannot load rules NAME: line L, column C: MESSAGE"; returns -1. */
static int
perr(struct parser *p, size_t at, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return seterr(p->errstr, "cannot load rules %s: line %u, column %zu: "
	    "%s", p->name, p->lineno, at + 1, msg);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
skip_blanks(struct parser *p)
{
	while (p->pos < p->len && is_blank(p->s[p->pos]))
		p->pos++;
}

static struct tok
next_tok(struct parser *p)
{
	struct tok	t;

	skip_blanks(p);
	t.at = p->pos;
	while (p->pos < p->len && !is_blank(p->s[p->pos]) &&
	    p->s[p->pos] != ';')
		p->pos++;
	t.len = p->pos - t.at;
	return t;
}

/* Look at the next word without taking it. */
static struct tok
peek_tok(struct parser *p)
{
	size_t		save = p->pos;
	struct tok	t = next_tok(p);

	p->pos = save;
	return t;
}

static bool
tok_is(const struct parser *p, struct tok t, const char *word)
{
	return t.len == strlen(word) &&
	    strncasecmp(p->s + t.at, word, t.len) == 0;
}

/* The index of T in a table of N words, or -1. */
static int
tok_find(const struct parser *p, struct tok t, const char *const *table,
    int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (table[i][0] != '\0' && tok_is(p, t, table[i]))
			return i;
	return -1;
}

/* How a message names what it found: "\"frist\"" or "the end of the line". */
static const char *
got(const struct parser *p, struct tok t, char *buf, size_t size)
{
	size_t		i, o = 0;
	unsigned char	c;

	if (t.len == 0) {
		if (t.at >= p->len)
			return "the end of the line";
		snprintf(buf, size, "\"%c\"", p->s[t.at]);
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < t.len && i < 40 && o + 8 < size; i++) {
		c = (unsigned char)p->s[t.at + i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	if (i < t.len && o + 5 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* A whole number 0..MAX of digits only, or -1. */
static int
parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * A duration word: script_duration()'s ("3s", "250ms", "1.5", "2m") and
 * hours ("1h"), at most a day.
 */
static int
parse_duration(const char *s, size_t len, uint64_t *usec)
{
	char	buf[32];
	bool	hours = false;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (len > 1 && (buf[len - 1] == 'h' || buf[len - 1] == 'H')) {
		buf[len - 1] = 'm';	/* hours are 60 times as many minutes */
		hours = true;
	}
	if (script_duration(buf, usec) == -1)
		return -1;
	if (hours) {
		if (*usec > 86400000000ULL / 60)
			return -1;
		*usec *= 60;
	}
	return 0;
}

/* "3s", "250ms", "2m", "1500us": the shortest exact way to write it. */
static void
str_duration(struct str *d, uint64_t us)
{
	unsigned long long	v = (unsigned long long)us;

	if (v != 0 && v % 3600000000ULL == 0)
		str_addf(d, "%lluh", v / 3600000000ULL);
	else if (v != 0 && v % 60000000 == 0)
		str_addf(d, "%llum", v / 60000000);
	else if (v % 1000000 == 0)
		str_addf(d, "%llus", v / 1000000);
	else if (v % 1000 == 0)
		str_addf(d, "%llums", v / 1000);
	else
		str_addf(d, "%lluus", v);
}

/* /REGEX/FLAGS at p->pos (on the '/'): compiled into the rule. */
static int
parse_regex(struct parser *p, struct rules_rule *rule)
{
	size_t		 open = p->pos, i, end;
	uint32_t	 opts = 0;
	int		 err;
	PCRE2_SIZE	 off;
	PCRE2_UCHAR	 msg[256];
	char		 c;

	for (i = open + 1; i < p->len && p->s[i] != '/'; i++)
		if (p->s[i] == '\\' && i + 1 < p->len)
			i++;
	if (i >= p->len)
		return perr(p, open, "regex: no closing \"/\" (a / inside the "
		    "regex is written \\/)");
	end = i;
	for (i = end + 1; i < p->len && !is_blank(p->s[i]) && p->s[i] != ';';
	    i++) {
		c = p->s[i];
		if (c == 'i')
			opts |= PCRE2_CASELESS;
		else if (c == 'x')
			opts |= PCRE2_EXTENDED;
		else {
			struct tok	t = { i, 1 };
			char		buf[64];

			return perr(p, i, "regex: unknown flag %s (i: caseless, "
			    "x: extended)", got(p, t, buf, sizeof(buf)));
		}
	}
	p->pos = i;
	rule->re = pcre2_compile((PCRE2_SPTR)(p->s + open + 1), end - open - 1,
	    opts, &err, &off, NULL);
	if (rule->re == NULL) {
		if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", err);
		return perr(p, open + 1 + off, "bad regex: %s", (char *)msg);
	}
	(void)pcre2_jit_compile(rule->re, PCRE2_JIT_COMPLETE);
	rule->md = pcre2_match_data_create_from_pattern(rule->re, NULL);
	if (rule->md == NULL)
		return perr(p, open, "regex: out of memory");
	return 0;
}

/* The argument of a selector, and its scope. */
static int
parse_selector(struct parser *p, struct rules_rule *rule)
{
	struct tok	 t = next_tok(p), w;
	const char	*name = sel_names[rule->sel], *slash;
	char		 buf[64], dbuf[32];
	uint64_t	 n;
	size_t		 i;

	switch (rule->sel) {
	case RULES_SEL_FIRST:
	case RULES_SEL_NTH:
	case RULES_SEL_EVERY:
	case RULES_SEL_AFTER:
		if (parse_uint(p->s + t.at, t.len, RULES_MAX_COUNT,
		    &rule->n) == -1 || rule->n == 0)
			return perr(p, t.at, "%s: expected a whole number from "
			    "1 to %d, got %s", name, RULES_MAX_COUNT,
			    got(p, t, buf, sizeof(buf)));
		break;
	case RULES_SEL_PROB:
		for (i = 0, n = 0; i < t.len; i++) {
			if (isdigit((unsigned char)p->s[t.at + i]))
				n++;
			else if (p->s[t.at + i] != '.')
				break;
		}
		if (t.len == 0 || i < t.len || n == 0 ||
		    t.len >= sizeof(dbuf))
			return perr(p, t.at, "prob: expected a probability "
			    "from 0 to 1 (0.2), got %s",
			    got(p, t, buf, sizeof(buf)));
		memcpy(dbuf, p->s + t.at, t.len);
		dbuf[t.len] = '\0';
		rule->p = strtod(dbuf, NULL);
		if (!(rule->p >= 0 && rule->p <= 1))
			return perr(p, t.at, "prob: expected a probability "
			    "from 0 to 1 (0.2), got %s",
			    got(p, t, buf, sizeof(buf)));
		break;
	case RULES_SEL_RATE:
		slash = t.len ? memchr(p->s + t.at, '/', t.len) : NULL;
		if (slash == NULL)
			return perr(p, t.at, "rate: expected N/WINDOW (10/60s), "
			    "got %s", got(p, t, buf, sizeof(buf)));
		w.at = t.at;
		w.len = (size_t)(slash - (p->s + t.at));
		if (parse_uint(p->s + w.at, w.len, RULES_MAX_RATE,
		    &rule->n) == -1 || rule->n == 0)
			return perr(p, w.at, "rate: expected a number of events "
			    "from 1 to %d, got %s", RULES_MAX_RATE,
			    got(p, w, buf, sizeof(buf)));
		w.at += w.len + 1;
		w.len = t.len - w.len - 1;
		if (parse_duration(p->s + w.at, w.len, &rule->window_us) ==
		    -1 || rule->window_us == 0)
			return perr(p, w.at, "rate: expected a window longer "
			    "than 0 (60s, 500ms, 1.5, 2m, 1h), got %s",
			    got(p, w, buf, sizeof(buf)));
		break;
	default:
		abort();	/* bug: not a selector with an argument */
	}

	/* The scope. */
	t = w = peek_tok(p);
	if (tok_is(p, t, "global")) {
		rule->scope = RULES_SCOPE_GLOBAL;
	} else if (tok_is(p, t, "per")) {
		next_tok(p);
		t = peek_tok(p);
		if (tok_is(p, t, "client"))
			rule->scope = RULES_SCOPE_CLIENT;
		else if (tok_is(p, t, "connection"))
			rule->scope = RULES_SCOPE_CONN;
		else
			return perr(p, t.at, "expected \"client\" or "
			    "\"connection\" after \"per\", got %s",
			    got(p, t, buf, sizeof(buf)));
	} else
		return 0;
	if (rule->sel == RULES_SEL_PROB)
		return perr(p, w.at, "prob counts nothing: it takes no scope");
	next_tok(p);
	return 0;
}

/* reply CODE [X.Y.Z] TEXT, after the word "reply". */
static int
parse_reply(struct parser *p, struct rules_rule *rule)
{
	struct tok	 t = next_tok(p);
	const char	*s = p->s + t.at;
	char		 buf[64];
	struct str	 text = { NULL, 0, 0 };
	size_t		 i, a, b;
	char		 c;

	if (t.len != 3 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    s[0] < '2' || s[0] > '5' || s[1] > '5')
		return perr(p, t.at, "reply: expected a three-digit code from "
		    "200 to 559, got %s", got(p, t, buf, sizeof(buf)));
	rule->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');

	/* An enhanced status code: a word that starts "D.". */
	skip_blanks(p);
	if (p->pos + 1 < p->len && isdigit((unsigned char)p->s[p->pos]) &&
	    p->s[p->pos + 1] == '.') {
		t = next_tok(p);
		s = p->s + t.at;
		for (i = 2, a = 0; i < t.len && isdigit((unsigned char)s[i]);
		    i++)
			a++;
		if (i < t.len && s[i] == '.')
			i++;
		for (b = 0; i < t.len && isdigit((unsigned char)s[i]); i++)
			b++;
		if (i != t.len || a < 1 || a > 3 || b < 1 || b > 3 ||
		    s[2 + a] != '.' || t.len >= sizeof(rule->enhanced))
			return perr(p, t.at, "reply: expected an enhanced "
			    "status code X.Y.Z (4.7.1), got %s",
			    got(p, t, buf, sizeof(buf)));
		if (s[0] != '2' && s[0] != '4' && s[0] != '5')
			return perr(p, t.at, "reply: the class of an enhanced "
			    "status code is 2, 4 or 5, got %s",
			    got(p, t, buf, sizeof(buf)));
		if (s[0] - '0' != rule->code / 100)
			return perr(p, t.at, "reply: the enhanced code %.*s is "
			    "of class %c, the reply code %d needs %d.x.x",
			    (int)t.len, s, s[0], rule->code, rule->code / 100);
		memcpy(rule->enhanced, s, t.len);
		rule->enhanced[t.len] = '\0';
	}

	/* The text: up to a ';' that is not written "\;". */
	skip_blanks(p);
	str_add(&text, "", 0);
	for (; p->pos < p->len && p->s[p->pos] != ';'; p->pos++) {
		c = p->s[p->pos];
		if (c == '\\' && p->pos + 1 < p->len &&
		    p->s[p->pos + 1] == ';')
			c = p->s[++p->pos];
		str_add(&text, &c, 1);
	}
	while (text.len > 0 && is_blank(text.s[text.len - 1]))
		text.s[--text.len] = '\0';
	if (text.len > RULES_MAX_TEXT) {
		free(text.s);
		return perr(p, p->pos, "reply: the text is longer than %d "
		    "bytes", RULES_MAX_TEXT);
	}
	rule->text = text.s;
	return 0;
}

/* ACTION[; ACTION...] to the end of the line. */
static int
parse_actions(struct parser *p, struct rules_rule *rule)
{
	struct tok	 t, kw;
	bool		 seen[ACT_LAST] = { false };
	char		 buf[64];
	uint64_t	 v;
	int		 a;

	for (;;) {
		kw = next_tok(p);
		if ((a = tok_find(p, kw, act_names, ACT_LAST)) == -1)
			return perr(p, kw.at, "expected %s, got %s",
			    EXPECT_ACTION, got(p, kw, buf, sizeof(buf)));
		if (seen[a])
			return perr(p, kw.at, "%s: given twice in one rule",
			    act_names[a]);
		seen[a] = true;
		if ((a == ACT_DROP && (seen[ACT_REPLY] || seen[ACT_CLOSE] ||
		    seen[ACT_TARPIT])) || (seen[ACT_DROP] && (a == ACT_REPLY ||
		    a == ACT_CLOSE || a == ACT_TARPIT)))
			return perr(p, kw.at, "drop closes without a reply: "
			    "it cannot go with reply, close or tarpit");
		switch (a) {
		case ACT_REPLY:
			if (parse_reply(p, rule) == -1)
				return -1;
			break;
		case ACT_CLOSE:
			rule->close = true;
			break;
		case ACT_DROP:
			rule->drop = true;
			break;
		case ACT_DELAY:
			t = next_tok(p);
			if (parse_duration(p->s + t.at, t.len,
			    &rule->delay_us) == -1)
				return perr(p, t.at, "delay: expected a "
				    "duration (3s, 250ms, 1.5, 2m, 1h), got %s",
				    got(p, t, buf, sizeof(buf)));
			break;
		case ACT_TARPIT:
			t = next_tok(p);
			v = t.len;
			if (v > 2 && strncasecmp(p->s + t.at + v - 2, "/s",
			    2) == 0)
				v -= 2;
			if (parse_uint(p->s + t.at, v, RULES_MAX_TARPIT,
			    &v) == -1 || v == 0)
				return perr(p, t.at, "tarpit: expected bytes a "
				    "second from 1 to %d (20/s), got %s",
				    RULES_MAX_TARPIT,
				    got(p, t, buf, sizeof(buf)));
			rule->tarpit_bps = (uint32_t)v;
			break;
		}
		skip_blanks(p);
		if (p->pos >= p->len)
			return 0;
		if (p->s[p->pos] != ';') {
			t = next_tok(p);
			return perr(p, t.at, "expected \";\" or the end of the "
			    "line after %s, got %s", act_names[a],
			    got(p, t, buf, sizeof(buf)));
		}
		p->pos++;
	}
}

/* The description for logs: see rules_describe() in rules.h. */
static char *
describe(const char *name, const struct parser *p, size_t re_at,
    size_t re_len, const struct rules_rule *rule)
{
	struct str	 d = { NULL, 0, 0 };
	const char	*base = strrchr(name, '/');
	const char	*sep = " ";

	str_addf(&d, "%s:%u %s", base != NULL && base[1] != '\0' ? base + 1 :
	    name, rule->line, rules_event_names[rule->event]);
	if (re_len > 0) {
		str_add(&d, " ", 1);
		str_add(&d, p->s + re_at, re_len);
	}
	switch (rule->sel) {
	case RULES_SEL_ALWAYS:
		break;
	case RULES_SEL_PROB:
		str_addf(&d, " prob %g", rule->p);
		break;
	case RULES_SEL_RATE:
		str_addf(&d, " rate %llu/", (unsigned long long)rule->n);
		str_duration(&d, rule->window_us);
		break;
	default:
		str_addf(&d, " %s %llu", sel_names[rule->sel],
		    (unsigned long long)rule->n);
		break;
	}
	if (rule->scope != RULES_SCOPE_CLIENT)
		str_addf(&d, " %s", scope_names[rule->scope]);
	str_add(&d, " ->", 3);
	if (rule->delay_us != 0 || (rule->code == 0 && !rule->close &&
	    !rule->drop && rule->tarpit_bps == 0)) {
		str_add(&d, " delay ", 7);
		str_duration(&d, rule->delay_us);
		sep = ", ";
	}
	if (rule->tarpit_bps != 0) {
		str_addf(&d, "%starpit %lu/s", sep,
		    (unsigned long)rule->tarpit_bps);
		sep = ", ";
	}
	if (rule->drop) {
		str_addf(&d, "%sdrop", sep);
		sep = ", ";
	}
	if (rule->code != 0) {
		str_addf(&d, "%s%d%s%s", sep, rule->code,
		    rule->enhanced[0] != '\0' ? " " : "", rule->enhanced);
		sep = ", ";
	}
	if (rule->close)
		str_addf(&d, "%sclose", sep);
	return d.s;
}

static void
rule_clear(struct rules_rule *rule)
{
	pcre2_match_data_free(rule->md);
	pcre2_code_free(rule->re);
	free(rule->text);
	free(rule->desc);
	memset(rule, 0, sizeof(*rule));
}

/* One line: 1 with a rule, 0 for a blank or comment line, -1 on error. */
static int
parse_line(struct parser *p, struct rules_rule *rule)
{
	struct tok	t;
	char		buf[64];
	size_t		re_at = 0, re_len = 0;
	int		i;

	memset(rule, 0, sizeof(*rule));
	rule->line = p->lineno;
	skip_blanks(p);
	if (p->pos >= p->len || p->s[p->pos] == '#')
		return 0;

	t = next_tok(p);
	if ((i = tok_find(p, t, rules_event_names, RULES_EV_LAST)) == -1)
		return perr(p, t.at, "expected an event (connect, banner, helo, "
		    "ehlo, starttls, auth, mail, rcpt, data, dot, bdat, rset, "
		    "noop, quit, other, any), got %s",
		    got(p, t, buf, sizeof(buf)));
	rule->event = (enum rules_event)i;

	skip_blanks(p);
	if (p->pos < p->len && p->s[p->pos] == '/') {
		re_at = p->pos;
		if (parse_regex(p, rule) == -1)
			return -1;
		re_len = p->pos - re_at;
	}

	t = peek_tok(p);
	if ((i = tok_find(p, t, sel_names, RULES_SEL_LAST)) != -1) {
		next_tok(p);
		rule->sel = (enum rules_sel)i;
		if (parse_selector(p, rule) == -1)
			return -1;
		t = peek_tok(p);
		if (tok_find(p, t, act_names, ACT_LAST) == -1)
			return perr(p, t.at, "expected %s%s, got %s",
			    rule->sel == RULES_SEL_PROB ? "" : EXPECT_SCOPE
			    " or ", EXPECT_ACTION,
			    got(p, t, buf, sizeof(buf)));
	} else if (tok_find(p, t, act_names, ACT_LAST) == -1)
		return perr(p, t.at, "expected %s or %s, got %s",
		    EXPECT_SELECTOR, EXPECT_ACTION, got(p, t, buf, sizeof(buf)));

	if (parse_actions(p, rule) == -1)
		return -1;
	rule->desc = describe(p->name, p, re_at, re_len, rule);
	return 1;
}

/* Give each counting rule its counter in its scope's block. */
static void
lay_out(struct rules *r)
{
	struct rules_rule	*rule;
	struct rules_layout	*l;
	size_t			 i;

	for (i = 0; i < r->n; i++) {
		rule = &r->v[i];
		if (!RULES_SEL_COUNTS(rule->sel))
			continue;
		l = &r->layout[rule->scope];
		rule->slot = l->nslots++;
		if (rule->sel == RULES_SEL_RATE) {
			rule->times = l->ntimes;
			l->ntimes += rule->n + 1;
		}
	}
}

struct rules *
rules_parse(const char *text, size_t len, const char *name, char **errstr)
{
	struct rules		*r;
	struct rules_rule	 rule;
	struct parser		 p;
	const char		*nl, *nul;
	size_t			 start, next, i, cap = 0;
	unsigned char		 c = 0;
	int			 rc;

	if (name == NULL)
		name = "(rules)";
	if (len > RULES_MAX_FILE) {
		seterr(errstr, "cannot load rules %s: larger than %d bytes",
		    name, RULES_MAX_FILE);
		return NULL;
	}
	r = xmalloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.errstr = errstr;

	for (start = 0; start < len; start = next) {
		p.lineno++;
		p.s = text + start;
		nl = memchr(p.s, '\n', len - start);
		p.len = nl != NULL ? (size_t)(nl - p.s) : len - start;
		next = start + p.len + 1;
		p.pos = 0;
		if ((nul = memchr(p.s, '\0', p.len)) != NULL) {
			perr(&p, (size_t)(nul - p.s), "a NUL byte");
			goto fail;
		}
		if (p.len > 0 && p.s[p.len - 1] == '\r')
			p.len--;
		for (i = 0; i < p.len; i++) {
			c = (unsigned char)p.s[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				break;
		}
		if (i < p.len) {
			perr(&p, i, "a control character (0x%02x); a regex "
			    "can say \\x%02x", c, c);
			goto fail;
		}
		if ((rc = parse_line(&p, &rule)) == -1) {
			rule_clear(&rule);
			goto fail;
		}
		if (rc == 0)
			continue;
		if (r->n == RULES_MAX_RULES) {
			rule_clear(&rule);
			perr(&p, 0, "more than %d rules", RULES_MAX_RULES);
			goto fail;
		}
		if (r->n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			r->v = xrealloc(r->v, cap * sizeof(*r->v));
		}
		r->v[r->n++] = rule;
	}
	lay_out(r);
	if ((r->mctx = pcre2_match_context_create(NULL)) == NULL) {
		seterr(errstr, "cannot load rules %s: out of memory", name);
		goto fail;
	}
	pcre2_set_match_limit(r->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, DEPTH_LIMIT);
	return r;

fail:
	rules_free(r);
	return NULL;
}

struct rules *
rules_load(const char *path, char **errstr)
{
	struct rules	*r;
	FILE		*f;
	char		*text;
	size_t		 len = 0, n;
	int		 saved;

	if ((f = fopen(path, "rb")) == NULL) {
		seterr(errstr, "cannot load rules %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	text = xmalloc(RULES_MAX_FILE + 1);
	while ((n = fread(text + len, 1, RULES_MAX_FILE + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		saved = errno;
		fclose(f);
		free(text);
		seterr(errstr, "cannot load rules %s: %s", path,
		    strerror(saved));
		return NULL;
	}
	fclose(f);
	r = rules_parse(text, len, path, errstr);
	free(text);
	return r;
}

void
rules_free(struct rules *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		rule_clear(&r->v[i]);
	free(r->v);
	pcre2_match_context_free(r->mctx);
	free(r->name);
	free(r);
}

size_t
rules_count(const struct rules *r)
{
	return r->n;
}

const char *
rules_describe(const struct rules *r, size_t i)
{
	if (i >= r->n)
		abort();	/* bug: no such rule */
	return r->v[i].desc;
}
