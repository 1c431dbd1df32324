/*
 * EHLO capabilities (RFC 5321 4.1.1.1): keywords are case-insensitive, SIZE
 * gets a number with a range check, AUTH a list of mechanisms; everything
 * else is kept as text.
 */
#ifndef CAPS_H
#define CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reply.h"

struct caps_entry {
	char	*keyword;	/* upper-cased */
	char	*params;	/* the rest of the line, may be "" */
};

struct caps {
	bool			 known;		/* an EHLO 250 was parsed */
	char			*domain;	/* the first line's domain */
	size_t			 n;
	struct caps_entry	*entries;
	bool			 size_known;
	uint64_t		 size;		/* SIZE value, 0: no limit */
	size_t			 nauth;
	char			**auth;		/* AUTH mechanisms, upper-cased */
};

void	caps_init(struct caps *);
/* Forget everything (a new EHLO, STARTTLS). */
void	caps_clear(struct caps *);
/*
 * Learn from a 250 reply to EHLO; problems (a SIZE that is not a number or
 * out of range) are returned as one allocated warning in *warning (NULL
 * when none), and the entry is still kept as text.
 */
void	caps_parse(struct caps *, const struct reply *, char **warning);
const struct caps_entry *caps_find(const struct caps *, const char *keyword);
bool	caps_has(const struct caps *, const char *keyword);
bool	caps_has_auth(const struct caps *, const char *mech);

#endif
