/* Message text for DATA: see data.h. */
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
