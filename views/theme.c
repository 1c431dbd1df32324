/*
 * The colour and monochrome schemes: tables of elements.
 */
#include <curses.h>

#include "theme.h"

struct theme_entry {
	const char	*name;
	short		 fg, bg;	/* -1: the terminal's default */
	attr_t		 color_attr;	/* with the colour pair */
	attr_t		 mono_attr;	/* the monochrome scheme */
};

static const struct theme_entry theme_table[THEME_LAST] = {
	[THEME_NORMAL] =	{ "normal", -1, -1, A_NORMAL, A_NORMAL },
	[THEME_TIME] =		{ "time", -1, -1, A_DIM, A_DIM },
	[THEME_CLIENT] =	{ "client", COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[THEME_SERVER] =	{ "server", -1, -1, A_NORMAL, A_NORMAL },
	[THEME_REPLY_2XX] =	{ "reply-2xx", COLOR_GREEN, -1, A_NORMAL,
				  A_NORMAL },
	[THEME_REPLY_3XX] =	{ "reply-3xx", COLOR_BLUE, -1, A_BOLD,
				  A_NORMAL },
	[THEME_REPLY_4XX] =	{ "reply-4xx", COLOR_YELLOW, -1, A_BOLD,
				  A_BOLD },
	[THEME_REPLY_5XX] =	{ "reply-5xx", COLOR_RED, -1, A_BOLD,
				  A_BOLD | A_UNDERLINE },
	[THEME_INFO] =		{ "info", COLOR_MAGENTA, -1, A_NORMAL,
				  A_DIM },
	[THEME_WARNING] =	{ "warning", COLOR_YELLOW, -1, A_NORMAL,
				  A_BOLD },
	[THEME_ERROR] =		{ "error", COLOR_RED, -1, A_NORMAL,
				  A_BOLD | A_REVERSE },
	[THEME_SIMULATED] =	{ "simulated", COLOR_MAGENTA, -1, A_BOLD,
				  A_UNDERLINE },
	[THEME_ESCAPE] =	{ "escape", COLOR_WHITE, COLOR_RED, A_BOLD,
				  A_REVERSE },
	[THEME_MATCH] =		{ "match", COLOR_BLACK, COLOR_YELLOW, A_NORMAL,
				  A_REVERSE | A_UNDERLINE },
	[THEME_LATENCY] =	{ "latency", -1, -1, A_DIM, A_DIM },
	[THEME_MORE] =		{ "more", COLOR_BLACK, COLOR_CYAN, A_NORMAL,
				  A_REVERSE },
	[THEME_STATUS] =	{ "status", COLOR_WHITE, COLOR_BLUE, A_NORMAL,
				  A_REVERSE },
	[THEME_STATUS_DIM] =	{ "status-dim", COLOR_CYAN, COLOR_BLUE, A_DIM,
				  A_REVERSE | A_DIM },
	[THEME_STATUS_ALERT] =	{ "status-alert", COLOR_YELLOW, COLOR_BLUE,
				  A_BOLD, A_REVERSE | A_BOLD },
	[THEME_PROMPT] =	{ "prompt", -1, -1, A_BOLD, A_BOLD },
	[THEME_CONTROL] =	{ "control", -1, -1, A_REVERSE, A_REVERSE },
	[THEME_HELP] =		{ "help", COLOR_WHITE, COLOR_BLACK, A_NORMAL,
				  A_NORMAL },
	[THEME_HELP_TITLE] =	{ "help-title", COLOR_YELLOW, COLOR_BLACK,
				  A_BOLD, A_BOLD | A_UNDERLINE },
	[THEME_TLS_OK] =	{ "tls-ok", COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[THEME_TLS_BAD] =	{ "tls-bad", COLOR_RED, -1, A_BOLD,
				  A_BOLD | A_UNDERLINE },
	[THEME_TLS_HEADING] =	{ "tls-heading", -1, -1, A_BOLD,
				  A_BOLD },
	[THEME_TLS_TITLE] =	{ "tls-title", COLOR_BLACK, COLOR_CYAN,
				  A_NORMAL, A_REVERSE },
	[THEME_SELECTED] =	{ "selected", -1, -1, A_REVERSE, A_REVERSE },
	[THEME_STATUS_TLS_OK] =	{ "status-tls-ok", COLOR_BLACK, COLOR_GREEN,
				  A_NORMAL, A_REVERSE },
	[THEME_STATUS_TLS_BAD] = { "status-tls-bad", COLOR_WHITE, COLOR_RED,
				  A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE },
};

static bool	theme_use_color;
static attr_t	theme_attrs[THEME_LAST];

void
theme_init(bool color)
{
	const struct theme_entry	*e;
	short				 pair = 1, fg, bg;
	bool				 defaults = false;
	int				 i;

	theme_use_color = color && has_colors() && start_color() == OK;
	if (theme_use_color)
		defaults = use_default_colors() == OK;
	for (i = 0; i < THEME_LAST; i++) {
		e = &theme_table[i];
		if (!theme_use_color) {
			theme_attrs[i] = e->mono_attr;
			continue;
		}
		if (e->fg == -1 && e->bg == -1) {
			theme_attrs[i] = e->color_attr;
			continue;
		}
		fg = e->fg == -1 && !defaults ? COLOR_WHITE : e->fg;
		bg = e->bg == -1 && !defaults ? COLOR_BLACK : e->bg;
		if (pair >= COLOR_PAIRS || init_pair(pair, fg, bg) != OK) {
			theme_attrs[i] = e->mono_attr;
			continue;
		}
		theme_attrs[i] = e->color_attr | COLOR_PAIR(pair);
		pair++;
	}
}

bool
theme_color(void)
{
	return theme_use_color;
}

attr_t
theme_attr(enum theme_element e)
{
	if ((int)e < 0 || e >= THEME_LAST)
		return A_NORMAL;
	return theme_attrs[e];
}

enum theme_element
theme_reply(int code)
{
	switch (code / 100) {
	case 2:
		return THEME_REPLY_2XX;
	case 3:
		return THEME_REPLY_3XX;
	case 4:
		return THEME_REPLY_4XX;
	case 5:
		return THEME_REPLY_5XX;
	default:
		return THEME_SERVER;
	}
}

const char *
theme_name(enum theme_element e)
{
	if ((int)e < 0 || e >= THEME_LAST)
		return "?";
	return theme_table[e].name;
}
