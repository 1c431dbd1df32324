/*
 * The rules engine at run time: events, counters in their scopes, the
 * PRNG, and the decision.  See rules.h; the parser is rules_parse.c.
 */
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "rules_int.h"
#include "xmalloc.h"

#define MAX_ADDR	255	/* bytes of a client address kept */

const char *const rules_event_names[RULES_EV_LAST] = {
	[RULES_EV_CONNECT] = "connect",
	[RULES_EV_BANNER] = "banner",
	[RULES_EV_HELO] = "helo",
	[RULES_EV_EHLO] = "ehlo",
	[RULES_EV_STARTTLS] = "starttls",
	[RULES_EV_AUTH] = "auth",
	[RULES_EV_MAIL] = "mail",
	[RULES_EV_RCPT] = "rcpt",
	[RULES_EV_DATA] = "data",
	[RULES_EV_DOT] = "dot",
	[RULES_EV_BDAT] = "bdat",
	[RULES_EV_RSET] = "rset",
	[RULES_EV_NOOP] = "noop",
	[RULES_EV_QUIT] = "quit",
	[RULES_EV_OTHER] = "other",
	[RULES_EV_ANY] = "any",
};

/* The event of each verb of command.h. */
static const enum rules_event verb_events[VERB_LAST] = {
	[VERB_UNKNOWN] = RULES_EV_OTHER,
	[VERB_EHLO] = RULES_EV_EHLO,
	[VERB_HELO] = RULES_EV_HELO,
	[VERB_LHLO] = RULES_EV_EHLO,
	[VERB_STARTTLS] = RULES_EV_STARTTLS,
	[VERB_AUTH] = RULES_EV_AUTH,
	[VERB_MAIL] = RULES_EV_MAIL,
	[VERB_RCPT] = RULES_EV_RCPT,
	[VERB_DATA] = RULES_EV_DATA,
	[VERB_BDAT] = RULES_EV_BDAT,
	[VERB_RSET] = RULES_EV_RSET,
	[VERB_NOOP] = RULES_EV_NOOP,
	[VERB_VRFY] = RULES_EV_OTHER,
	[VERB_EXPN] = RULES_EV_OTHER,
	[VERB_HELP] = RULES_EV_OTHER,
	[VERB_ETRN] = RULES_EV_OTHER,
	[VERB_QUIT] = RULES_EV_QUIT,
	[VERB_DOT] = RULES_EV_DOT,
	[VERB_BANNER] = RULES_EV_BANNER,
};

/* The default reply of "close" without "reply" (RFC 5321 3.8). */
#define CLOSE_CODE	421
#define CLOSE_ENHANCED	"4.7.0"
#define CLOSE_TEXT	"Service not available, closing transmission channel"

/* A block of counters (see rules_int.h): where its two parts are. */
struct block {
	struct rules_counter	*c;
	uint64_t		*t;
};

/* One client address the state remembers. */
struct client {
	struct client	*hnext;		/* hash chain */
	struct client	*newer;		/* the LRU list */
	struct client	*older;
	uint64_t	 hash;
	char		*addr;
	struct block	 b;
	/* the block, then the address, follow in the same allocation */
};

struct rules_state {
	const struct rules	*rules;
	uint64_t		 s[4];		/* xoshiro256** */
	void			*global;	/* the global block */
	struct block		 gb;
	struct client		**buckets;	/* NULL: no per-client rule */
	size_t			 nbuckets;	/* a power of two */
	struct client		*newest;
	struct client		*oldest;
	size_t			 nclients;
	size_t			 maxclients;
};

struct rules_conn {
	struct rules_state	*state;
	char			*addr;
	size_t			 addrlen;
	void			*mem;		/* the per-connection block */
	struct block		 b;
};

enum rules_event
rules_event_of_verb(const char *line, size_t len)
{
	enum command_verb	v;

	if (len == 1 && line[0] == '.')
		return RULES_EV_DOT;
	v = command_verb_of(line, len);
	return verb_events[v < VERB_LAST ? v : VERB_UNKNOWN];
}

static size_t
block_size(const struct rules_layout *l)
{
	return l->nslots * sizeof(struct rules_counter) +
	    l->ntimes * sizeof(uint64_t);
}

/* Point B into MEM (zeroed, block_size() bytes). */
static void
block_init(struct block *b, void *mem, const struct rules_layout *l)
{
	memset(mem, 0, block_size(l));
	b->c = mem;
	b->t = (uint64_t *)(b->c + l->nslots);
}

/* The PRNG: xoshiro256** (Blackman and Vigna), seeded by splitmix64. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
xoshiro_next(uint64_t *s)
{
	uint64_t	result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* A number in [0, 1) with 53 random bits. */
static double
prng_uniform(struct rules_state *st)
{
	return (double)(xoshiro_next(st->s) >> 11) * 0x1.0p-53;
}

struct rules_state *
rules_state_new(const struct rules *r, uint64_t seed)
{
	struct rules_state	*st;
	size_t			 per, i;

	st = xmalloc(sizeof(*st));
	memset(st, 0, sizeof(*st));
	st->rules = r;
	for (i = 0; i < 4; i++)
		st->s[i] = splitmix64(&seed);
	st->global = xmalloc(block_size(&r->layout[RULES_SCOPE_GLOBAL]));
	block_init(&st->gb, st->global, &r->layout[RULES_SCOPE_GLOBAL]);
	if (r->layout[RULES_SCOPE_CLIENT].nslots > 0) {
		per = sizeof(struct client) +
		    block_size(&r->layout[RULES_SCOPE_CLIENT]) + MAX_ADDR + 1;
		st->maxclients = RULES_CLIENT_BUDGET / per;
		if (st->maxclients > RULES_MAX_CLIENTS)
			st->maxclients = RULES_MAX_CLIENTS;
		if (st->maxclients < 1)
			st->maxclients = 1;
		for (st->nbuckets = 16; st->nbuckets < st->maxclients;
		    st->nbuckets *= 2)
			;
		st->buckets = xmalloc(st->nbuckets * sizeof(*st->buckets));
		memset(st->buckets, 0, st->nbuckets * sizeof(*st->buckets));
	}
	return st;
}

void
rules_state_free(struct rules_state *st)
{
	struct client	*c, *next;

	if (st == NULL)
		return;
	for (c = st->newest; c != NULL; c = next) {
		next = c->older;
		free(c);
	}
	free(st->buckets);
	free(st->global);
	free(st);
}

size_t
rules_state_clients(const struct rules_state *st)
{
	return st->nclients;
}

/* FNV-1a. */
static uint64_t
hash_addr(const char *s, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
lru_unlink(struct rules_state *st, struct client *c)
{
	if (c->newer != NULL)
		c->newer->older = c->older;
	else
		st->newest = c->older;
	if (c->older != NULL)
		c->older->newer = c->newer;
	else
		st->oldest = c->newer;
	c->newer = c->older = NULL;
}

static void
lru_push(struct rules_state *st, struct client *c)
{
	c->older = st->newest;
	c->newer = NULL;
	if (st->newest != NULL)
		st->newest->newer = c;
	st->newest = c;
	if (st->oldest == NULL)
		st->oldest = c;
}

/* Forget the least recently seen client. */
static void
evict_oldest(struct rules_state *st)
{
	struct client	*c = st->oldest, **pp;

	for (pp = &st->buckets[c->hash & (st->nbuckets - 1)]; *pp != c;
	    pp = &(*pp)->hnext)
		;
	*pp = c->hnext;
	lru_unlink(st, c);
	free(c);
	st->nclients--;
}

/* The counters of the connection's client, made when new; now the newest. */
static struct client *
client_get(struct rules_conn *conn)
{
	struct rules_state		*st = conn->state;
	const struct rules_layout	*l;
	struct client			*c;
	uint64_t			 h;
	size_t				 size;

	h = hash_addr(conn->addr, conn->addrlen);
	for (c = st->buckets[h & (st->nbuckets - 1)]; c != NULL; c = c->hnext)
		if (c->hash == h && strcmp(c->addr, conn->addr) == 0)
			break;
	if (c != NULL) {
		lru_unlink(st, c);
		lru_push(st, c);
		return c;
	}
	if (st->nclients >= st->maxclients)
		evict_oldest(st);
	l = &st->rules->layout[RULES_SCOPE_CLIENT];
	size = block_size(l);
	c = xmalloc(sizeof(*c) + size + conn->addrlen + 1);
	memset(c, 0, sizeof(*c));
	c->hash = h;
	block_init(&c->b, c + 1, l);
	c->addr = (char *)(c + 1) + size;
	memcpy(c->addr, conn->addr, conn->addrlen + 1);
	c->hnext = st->buckets[h & (st->nbuckets - 1)];
	st->buckets[h & (st->nbuckets - 1)] = c;
	lru_push(st, c);
	st->nclients++;
	return c;
}

struct rules_conn *
rules_conn_new(struct rules_state *st, const char *client_addr)
{
	const struct rules_layout	*l;
	struct rules_conn		*conn;
	size_t				 len;

	if (client_addr == NULL)
		client_addr = "";
	len = strnlen(client_addr, MAX_ADDR);
	conn = xmalloc(sizeof(*conn));
	conn->state = st;
	conn->addr = xstrndup(client_addr, len);
	conn->addrlen = len;
	l = &st->rules->layout[RULES_SCOPE_CONN];
	conn->mem = xmalloc(block_size(l));
	block_init(&conn->b, conn->mem, l);
	return conn;
}

void
rules_conn_free(struct rules_conn *conn)
{
	if (conn == NULL)
		return;
	free(conn->addr);
	free(conn->mem);
	free(conn);
}

static bool
event_matches(enum rules_event rule, enum rules_event ev)
{
	if (rule == RULES_EV_ANY)
		return ev != RULES_EV_CONNECT && ev != RULES_EV_BANNER &&
		    ev < RULES_EV_ANY;
	return rule == ev;
}

/* Count one match of a rule with a selector that counts; does it apply? */
static bool
count(const struct rules_rule *rule, struct block *b, uint64_t now)
{
	struct rules_counter	*c = &b->c[rule->slot];
	uint64_t		*t, cap, oldest;

	c->n++;
	switch (rule->sel) {
	case RULES_SEL_FIRST:
		return c->n <= rule->n;
	case RULES_SEL_NTH:
		return c->n == rule->n;
	case RULES_SEL_EVERY:
		return c->n % rule->n == 0;
	case RULES_SEL_AFTER:
		return c->n > rule->n;
	case RULES_SEL_RATE:
		/*
		 * The last N+1 times in a ring: more than N matches in the
		 * window when the ring is full and its oldest is in it.
		 */
		t = b->t + rule->times;
		cap = rule->n + 1;
		t[c->head] = now;
		c->head = (uint32_t)((c->head + 1) % cap);
		if (c->fill < cap)
			c->fill++;
		if (c->fill < cap)
			return false;
		oldest = t[c->head];
		return now < oldest || now - oldest < rule->window_us;
	default:
		abort();	/* bug: a selector that does not count */
	}
}

void
rules_match(struct rules_conn *conn, enum rules_event ev, const char *line,
    size_t len, uint64_t now_us, struct rules_action *out)
{
	struct rules_state	*st = conn->state;
	const struct rules	*r = st->rules;
	const struct rules_rule	*rule;
	struct client		*client = NULL;
	struct block		*b;
	size_t			 i;
	bool			 applies;
	int			 rc;

	memset(out, 0, sizeof(*out));
	if (line == NULL) {
		line = ev == RULES_EV_CONNECT ? conn->addr : "";
		len = ev == RULES_EV_CONNECT ? conn->addrlen : 0;
	}
	for (i = 0; i < r->n; i++) {
		rule = &r->v[i];
		if (!event_matches(rule->event, ev))
			continue;
		if (rule->re != NULL) {
			rc = pcre2_match(rule->re, (PCRE2_SPTR)line, len, 0, 0,
			    rule->md, r->mctx);
			if (rc < 0)
				continue;	/* no match, or a limit hit */
		}
		switch (rule->sel) {
		case RULES_SEL_ALWAYS:
			applies = true;
			break;
		case RULES_SEL_PROB:
			applies = prng_uniform(st) < rule->p;
			break;
		default:
			switch (rule->scope) {
			case RULES_SCOPE_CONN:
				b = &conn->b;
				break;
			case RULES_SCOPE_GLOBAL:
				b = &st->gb;
				break;
			default:
				if (client == NULL)
					client = client_get(conn);
				b = &client->b;
				break;
			}
			applies = count(rule, b, now_us);
			break;
		}
		if (!applies || out->matched)
			continue;
		out->matched = true;
		out->rule = i;
		out->line = rule->line;
		out->desc = rule->desc;
		out->code = rule->code;
		out->enhanced = rule->enhanced;
		out->text = rule->text != NULL ? rule->text : "";
		out->close = rule->close;
		out->drop = rule->drop;
		out->delay_us = rule->delay_us;
		out->tarpit_bps = rule->tarpit_bps;
		if (rule->close && rule->code == 0) {
			out->code = CLOSE_CODE;
			out->enhanced = CLOSE_ENHANCED;
			out->text = CLOSE_TEXT;
		}
	}
}
