/* Strict UTF-8 decoding shared by the sanitiser and the transcript format. */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode one code point at P (LEN > 0).  Returns its length in bytes (1-4)
 * and sets *cp, or 0 when the bytes are not valid UTF-8 (truncated,
 * overlong, surrogate, above U+10FFFF, stray continuation byte).
 */
size_t	utf8_decode(const char *p, size_t len, uint32_t *cp);

/*
 * True for code points a terminal must not receive as they are: C0 and C1
 * controls, DEL, bidi controls (U+061C, U+200E-200F, U+202A-202E,
 * U+2066-2069) and other invisible format characters (U+200B-200D,
 * U+2028-2029, U+2060-206F, U+FEFF, U+FFF9-FFFB, and the tags
 * U+E0000-E007F that can hide text).
 */
bool	utf8_is_unsafe(uint32_t cp);

/* True when all LEN bytes are valid UTF-8. */
bool	utf8_valid(const char *, size_t);

#endif
