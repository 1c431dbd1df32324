/* EHLO capabilities: see caps.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caps.h"
#include "xmalloc.h"

/* RFC 1870: SIZE is a decimal number; we refuse more than 20 digits. */
#define CAPS_SIZE_DIGITS	20

void
caps_init(struct caps *c)
{
	memset(c, 0, sizeof(*c));
}

void
caps_clear(struct caps *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		free(c->entries[i].keyword);
		free(c->entries[i].params);
	}
	free(c->entries);
	for (i = 0; i < c->nauth; i++)
		free(c->auth[i]);
	free(c->auth);
	free(c->domain);
	caps_init(c);
}

static void
add_auth(struct caps *c, const char *p)
{
	const char	*end;
	size_t		 i, n;
	char		*mech;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return;
		end = p;
		while (*end != '\0' && *end != ' ' && *end != '\t')
			end++;
		n = (size_t)(end - p);
		mech = xstrndup(p, n);
		for (i = 0; i < n; i++)
			mech[i] = toupper((unsigned char)mech[i]);
		for (i = 0; i < c->nauth; i++)
			if (strcmp(c->auth[i], mech) == 0)
				break;
		if (i < c->nauth)
			free(mech);
		else {
			c->auth = xrealloc(c->auth,
			    (c->nauth + 1) * sizeof(*c->auth));
			c->auth[c->nauth++] = mech;
		}
		p = end;
	}
}

/* SIZE [n]: 0 or absent means no fixed limit. */
static int
parse_size(struct caps *c, const char *params, char **warning)
{
	const char		*p = params;
	unsigned long long	 v;
	size_t			 n;

	if (*p == '\0') {
		c->size_known = true;
		c->size = 0;
		return 0;
	}
	n = strspn(p, "0123456789");
	if (n == 0 || p[n] != '\0') {
		return seterr(warning, "SIZE parameter \"%.40s\" is not a "
		    "number; kept as text", params);
	}
	errno = 0;
	v = strtoull(p, NULL, 10);
	if (n > CAPS_SIZE_DIGITS || errno == ERANGE) {
		return seterr(warning, "SIZE parameter \"%.40s\" is out of "
		    "range; kept as text", params);
	}
	c->size_known = true;
	c->size = v;
	return 0;
}

void
caps_parse(struct caps *c, const struct reply *r, char **warning)
{
	const char	*line, *sp;
	size_t		 i, k, n;
	char		*kw;

	*warning = NULL;
	caps_clear(c);
	c->known = true;
	if (r->nlines == 0)
		return;
	sp = strchr(r->text[0], ' ');
	c->domain = sp == NULL ? xstrdup(r->text[0]) :
	    xstrndup(r->text[0], (size_t)(sp - r->text[0]));
	c->entries = xmalloc(r->nlines * sizeof(*c->entries));
	for (i = 1; i < r->nlines; i++) {
		line = r->text[i];
		while (*line == ' ')
			line++;
		n = strcspn(line, " =");
		if (n == 0)
			continue;	/* smtp-sink's empty last line */
		kw = xstrndup(line, n);
		for (k = 0; k < n; k++)
			kw[k] = toupper((unsigned char)kw[k]);
		line += n;
		if (*line == ' ' || *line == '=')
			line++;
		c->entries[c->n].keyword = kw;
		c->entries[c->n].params = xstrdup(line);
		c->n++;
		if (strcmp(kw, "AUTH") == 0)
			add_auth(c, line);
		else if (strcmp(kw, "SIZE") == 0 && *warning == NULL)
			parse_size(c, line, warning);
	}
}

const struct caps_entry *
caps_find(const struct caps *c, const char *keyword)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		if (strcasecmp(c->entries[i].keyword, keyword) == 0)
			return &c->entries[i];
	return NULL;
}

bool
caps_has(const struct caps *c, const char *keyword)
{
	return caps_find(c, keyword) != NULL;
}

bool
caps_has_auth(const struct caps *c, const char *mech)
{
	size_t	i;

	for (i = 0; i < c->nauth; i++)
		if (strcasecmp(c->auth[i], mech) == 0)
			return true;
	return false;
}
