/*
 * Message text for DATA, in one place: line endings normalised to CRLF
 * (bare LF and bare CR alike), lines starting with "." stuffed, a missing
 * final line end added, and the terminating "." line.
 */
#ifndef DATA_H
#define DATA_H

#include <stddef.h>

#include "buf.h"

/*
 * Encode a whole message body into OUT, ending with ".\r\n".  Returns the
 * number of lines stuffed.  -1 if OUT refuses the bytes (its maximum).
 */
int	data_encode(struct buf *out, const char *body, size_t len);

/* Encode one typed line (no terminator inside): stuffed, CRLF added. */
int	data_encode_line(struct buf *out, const char *line, size_t len);

/* Undo dot-stuffing of one received line: the line without its extra dot. */
size_t	data_unstuff(const char *line, size_t len, const char **out);

#endif
