/*
 * Inside the rules engine: the parsed rules, shared by rules_parse.c (which
 * builds them) and rules.c (which matches them).  Nothing else includes
 * this; rules.h is the contract.
 */
#ifndef RULES_INT_H
#define RULES_INT_H

#include <pcre2.h>

#include "rules.h"

enum rules_sel {
	RULES_SEL_ALWAYS,
	RULES_SEL_FIRST,
	RULES_SEL_NTH,
	RULES_SEL_EVERY,
	RULES_SEL_AFTER,
	RULES_SEL_PROB,
	RULES_SEL_RATE,
	RULES_SEL_LAST
};

enum rules_scope {
	RULES_SCOPE_CLIENT,	/* the default */
	RULES_SCOPE_CONN,
	RULES_SCOPE_GLOBAL,
	RULES_SCOPE_LAST
};

struct rules_rule {
	unsigned		 line;
	enum rules_event	 event;
	pcre2_code		*re;		/* NULL: no regex */
	pcre2_match_data	*md;
	enum rules_sel		 sel;
	enum rules_scope	 scope;
	uint64_t		 n;		/* N of the selector */
	double			 p;		/* prob P */
	uint64_t		 window_us;	/* rate N/WINDOW */
	size_t			 slot;		/* its counter in its scope */
	size_t			 times;		/* rate: its N+1 times there */
	int			 code;		/* 0: no reply */
	char			 enhanced[16];
	char			*text;
	bool			 close;
	bool			 drop;
	uint64_t		 delay_us;
	uint32_t		 tarpit_bps;
	char			*desc;
};

/*
 * The counters of one scope are one block: a struct rules_counter for each
 * counting rule of the scope, then the times of its rate rules.
 */
struct rules_layout {
	size_t			 nslots;
	size_t			 ntimes;
};

struct rules_counter {
	uint64_t		 n;		/* matches counted */
	uint32_t		 head;		/* rate: next time to write */
	uint32_t		 fill;		/* rate: times held */
};

struct rules {
	char			*name;
	struct rules_rule	*v;
	size_t			 n;
	struct rules_layout	 layout[RULES_SCOPE_LAST];
	pcre2_match_context	*mctx;		/* the match limits */
};

/* Does a rule's selector count (so that it needs a counter)? */
#define RULES_SEL_COUNTS(s) ((s) != RULES_SEL_ALWAYS && (s) != RULES_SEL_PROB)

#endif
