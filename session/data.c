/* Message text for DATA: see data.h. */
#include <stdint.h>
#include <string.h>

#include "data.h"

int
data_encode_line(struct buf *out, const char *line, size_t len)
{
	if (len > 0 && line[0] == '.' && buf_add(out, ".", 1) == -1)
		return -1;
	if (buf_add(out, line, len) == -1 || buf_add(out, "\r\n", 2) == -1)
		return -1;
	return 0;
}

/*
 * Every CR, LF and CRLF ends a line, so a "." between any mix of them is a
 * line of its own, and it is stuffed like any line that starts with ".".
 */
int
data_encode(struct buf *out, const char *body, size_t len)
{
	size_t	i = 0, start;
	int	stuffed = 0;

	while (i < len) {
		start = i;
		while (i < len && body[i] != '\r' && body[i] != '\n')
			i++;
		if (i - start > 0 && body[start] == '.')
			stuffed++;
		if (data_encode_line(out, body + start, i - start) == -1)
			return -1;
		/* One line end: CRLF, a bare LF or a bare CR. */
		if (i < len)
			i += body[i] == '\r' && i + 1 < len &&
			    body[i + 1] == '\n' ? 2 : 1;
	}
	if (buf_add(out, ".\r\n", 3) == -1)
		return -1;
	return stuffed;
}

/* -1 with *NUL_AT set when BODY holds a NUL. */
static int
find_nul(const char *body, size_t len, size_t *nul_at)
{
	const char	*p;

	if (len == 0 || (p = memchr(body, '\0', len)) == NULL)
		return 0;
	if (nul_at != NULL)
		*nul_at = (size_t)(p - body);
	return -1;
}

/*
 * Both writers go through a buffer of their own and append it at once, so
 * that OUT gets the whole text or nothing.
 */
int
data_encode_checked(struct buf *out, const char *body, size_t len,
    size_t *nul_at)
{
	struct buf	tmp;
	int		stuffed;

	if (find_nul(body, len, nul_at) == -1)
		return -1;
	buf_init(&tmp, 0);
	stuffed = data_encode(&tmp, body, len);
	if (stuffed != -1 &&
	    buf_add(out, buf_head(&tmp), buf_avail(&tmp)) == -1) {
		if (nul_at != NULL)
			*nul_at = SIZE_MAX;
		stuffed = -1;
	}
	buf_free(&tmp);
	return stuffed;
}

int
data_normalize(struct buf *out, const char *body, size_t len, size_t *nul_at)
{
	struct buf	tmp;
	size_t		i = 0, start;
	int		rc = 0;

	if (find_nul(body, len, nul_at) == -1)
		return -1;
	buf_init(&tmp, 0);
	while (i < len) {
		start = i;
		while (i < len && body[i] != '\r' && body[i] != '\n')
			i++;
		buf_add(&tmp, body + start, i - start);
		buf_add(&tmp, "\r\n", 2);
		if (i < len)
			i += body[i] == '\r' && i + 1 < len &&
			    body[i + 1] == '\n' ? 2 : 1;
	}
	if (buf_add(out, buf_head(&tmp), buf_avail(&tmp)) == -1) {
		if (nul_at != NULL)
			*nul_at = SIZE_MAX;
		rc = -1;
	}
	buf_free(&tmp);
	return rc;
}

size_t
data_unstuff(const char *line, size_t len, const char **out)
{
	if (len > 1 && line[0] == '.') {
		*out = line + 1;
		return len - 1;
	}
	*out = line;
	return len;
}
