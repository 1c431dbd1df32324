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

/*
 * The one DATA writer every send goes through (session_message, :data,
 * :compose): like data_encode, and a NUL in BODY is refused: -1 with
 * *nul_at set to its offset and nothing appended.  Every end-of-data
 * smuggling sequence (a "." between any mix of CR, LF and CRLF) becomes a
 * stuffed ".." line between CRLFs, so it can never end the message early.
 * Returns the number of lines stuffed.  When OUT refuses the bytes (its
 * maximum), -1 too with *nul_at set to SIZE_MAX, and nothing appended.
 * NUL_AT may be NULL.
 */
int	data_encode_checked(struct buf *out, const char *body, size_t len,
	    size_t *nul_at);

/*
 * For BDAT (RFC 3030): line ends normalised to CRLF and a final CRLF added,
 * no dot-stuffing (BDAT counts bytes).  An empty BODY stays empty.
 * Returns 0; -1 for a NUL or OUT's maximum, as above.
 */
int	data_normalize(struct buf *out, const char *body, size_t len,
	    size_t *nul_at);

/* Undo dot-stuffing of one received line: the line without its extra dot. */
size_t	data_unstuff(const char *line, size_t len, const char **out);

#endif
