/* Helpers shared by the views: see view.h. */
#include <string.h>
#include <wchar.h>

#include "view.h"

size_t
view_char(const char *p, size_t len, int *width)
{
	mbstate_t	ps;
	wchar_t		wc;
	size_t		n;
	int		w;

	memset(&ps, 0, sizeof(ps));
	n = mbrtowc(&wc, p, len, &ps);
	if (n == 0 || n > len) {
		*width = 1;
		return 1;
	}
	w = wcwidth(wc);
	*width = w < 0 ? 1 : w;
	return n;
}
