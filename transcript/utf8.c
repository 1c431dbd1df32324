/*
 * Strict UTF-8 decoding (RFC 3629): the shortest form only, no surrogates,
 * nothing above U+10FFFF.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

size_t
utf8_decode(const char *p, size_t len, uint32_t *cp)
{
	const unsigned char	*s = (const unsigned char *)p;
	unsigned char		 lo = 0x80, hi = 0xbf;
	uint32_t		 c;
	size_t			 n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;	/* continuation, C0/C1 overlong, F5-FF */
	if (len < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

bool
utf8_is_unsafe(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return true;
	if (cp == 0x061c)
		return true;
	if (cp >= 0x200b && cp <= 0x200f)	/* ZWSP, ZWNJ, ZWJ, LRM, RLM */
		return true;
	if (cp >= 0x2028 && cp <= 0x202e)	/* LS, PS, LRE...RLO */
		return true;
	if (cp >= 0x2060 && cp <= 0x206f)	/* WJ, invisible operators,
						   LRI...PDI, deprecated */
		return true;
	if (cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb))
		return true;		/* BOM, interlinear annotation */
	if (cp >= 0xe0000 && cp <= 0xe007f)	/* tags: hidden text */
		return true;
	return false;
}

bool
utf8_valid(const char *p, size_t len)
{
	uint32_t	cp;
	size_t		n;

	while (len > 0) {
		if ((n = utf8_decode(p, len, &cp)) == 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}
