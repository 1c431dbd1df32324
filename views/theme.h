/*
 * Colours named by meaning.  Views ask for theme_attr(THEME_...) and never
 * name a colour; a scheme is a table of elements.  The monochrome scheme
 * (NO_COLOR, --color never, a terminal without colours) still tells
 * direction and status apart through the markers, bold, underline and
 * reverse video.
 */
#ifndef THEME_H
#define THEME_H

#include <stdbool.h>

#include <curses.h>

enum theme_element {
	THEME_NORMAL,
	THEME_TIME,		/* the seconds column */
	THEME_CLIENT,		/* lines we sent */
	THEME_SERVER,		/* a server line without a reply code */
	THEME_REPLY_2XX,
	THEME_REPLY_3XX,
	THEME_REPLY_4XX,
	THEME_REPLY_5XX,
	THEME_INFO,		/* "===" */
	THEME_WARNING,		/* "!!!" */
	THEME_ERROR,		/* "***" */
	THEME_SIMULATED,	/* "<! " */
	THEME_ESCAPE,		/* a sanitiser stand-in ("^[", "\x9b") */
	THEME_MATCH,		/* a search match */
	THEME_LATENCY,		/* "12.3 ms" after a reply */
	THEME_MORE,		/* "-- more below --" */
	THEME_STATUS,		/* the status bar */
	THEME_STATUS_DIM,	/* a capability the server did not offer */
	THEME_STATUS_ALERT,	/* a 4xx/5xx code, message mode, a notice */
	THEME_PROMPT,		/* the command line's prompt */
	THEME_CONTROL,		/* a control byte typed in the command line */
	THEME_HELP,		/* the help overlay */
	THEME_HELP_TITLE,
	THEME_TLS_OK,		/* "VERIFIED" in the TLS inspector */
	THEME_TLS_BAD,		/* "NOT VERIFIED", a certificate's problems */
	THEME_TLS_HEADING,	/* a heading of the TLS inspector */
	THEME_TLS_TITLE,	/* the TLS inspector's title row */
	THEME_SELECTED,		/* the selected row of a list */
	THEME_STATUS_TLS_OK,	/* "TLS1.3 ok" in the status bar */
	THEME_STATUS_TLS_BAD,	/* "TLS1.3 !cert" in the status bar */
	THEME_LAST
};

/*
 * Choose the scheme once curses has started: colours when COLOR is true
 * and the terminal has them, monochrome otherwise.
 */
void	theme_init(bool color);
/* True when the colour scheme is in use. */
bool	theme_color(void);
/* The attributes (colour pair included) of an element. */
attr_t	theme_attr(enum theme_element);
/* The element for a reply code: 2xx..5xx, THEME_SERVER when none. */
enum theme_element theme_reply(int code);
/* The element's name ("reply-2xx"), for themes and tests. */
const char *theme_name(enum theme_element);

#endif
