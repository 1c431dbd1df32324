/*
 * The command line: GNU readline in callback mode, fed from our own byte
 * queue and drawn by our own redisplay function.  The recipe and its
 * reasons are in shared/NOTES-readline.md.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "command.h"
#include "command_view.h"
#include "script.h"
#include "theme.h"
#include "view.h"

#define CV_HISTORY_MAX		1000
#define CV_PASTE_WAIT_MS	2000	/* then the end marker is made up */
#define CV_MAX_LINES		64	/* entered, not yet taken */

struct cv_listing {
	struct view	 v;	/* first */
	char		**items;
	int		 n;
	int		 width;	/* the widest item */
};

struct command_view {
	struct view		 v;	/* first */
	struct cv_listing	 listing;
	enum command_view_mode	 mode;
	char			 prompt[32];	/* our copy, never rl_prompt */
	int			 hscroll;	/* columns scrolled off */
	/* SEARCH, FILTER: the line set aside */
	char			*saved_line;
	int			 saved_point;
	enum command_view_mode	 saved_mode;
};

/* One entered line, or EOF. */
struct cv_entered {
	char			*line;	/* NULL: EOF */
	enum command_view_mode	 mode;
};

/* readline is global, and so is its input. */
static struct {
	int			 fd;
	unsigned char		*q;
	size_t			 off, len, cap;
	bool			 in_paste;
	bool			 hangup;
	struct cv_entered	 entered[CV_MAX_LINES];
	size_t			 nentered;
	char			*history;	/* the file, or NULL */
	bool			 history_changed;
	FILE			*out;		/* rl_outstream: /dev/null */
	struct command_view	*cv;
} cv_g = { .fd = 0 };

static const char *cv_prompts[CMD_MODE_LAST] = {
	[CMD_MODE_COMMAND] = "smtp> ",
	[CMD_MODE_MESSAGE] = "data> ",
	[CMD_MODE_SEARCH] = "/",
	[CMD_MODE_FILTER] = "&",
	[CMD_MODE_ASK] = "? ",
};

/* Modes that set the half-typed line aside and put it back after. */
static bool
cv_aside(enum command_view_mode m)
{
	return m == CMD_MODE_SEARCH || m == CMD_MODE_FILTER ||
	    m == CMD_MODE_ASK;
}

static void	cv_draw(struct view *);
static void	cv_free(struct view *);
static void	cv_listing_draw(struct view *);
static void	cv_listing_clear(struct command_view *);

static const struct view_ops cv_ops = {
	.name = "command",
	.draw = cv_draw,
	.key = NULL,
	.resize = NULL,
	.free = cv_free,
};

static const struct view_ops cv_listing_ops = {
	.name = "completions",
	.draw = cv_listing_draw,
	.key = NULL,
	.resize = NULL,
	.free = NULL,
};

const char *
command_view_prompt(enum command_view_mode m)
{
	return (int)m >= 0 && m < CMD_MODE_LAST ? cv_prompts[m] : "> ";
}

/* The input queue. */

void
command_view_push_input(const void *p, size_t n)
{
	unsigned char	*nq;

	if (cv_g.off > 0 && cv_g.off == cv_g.len)
		cv_g.off = cv_g.len = 0;
	if (cv_g.len + n > cv_g.cap) {
		if (cv_g.off > 0) {
			memmove(cv_g.q, cv_g.q + cv_g.off, cv_g.len - cv_g.off);
			cv_g.len -= cv_g.off;
			cv_g.off = 0;
		}
		if (cv_g.len + n > cv_g.cap) {
			size_t	cap = (cv_g.len + n) * 2;

			if ((nq = realloc(cv_g.q, cap)) == NULL)
				return;	/* keys lost, nothing worse */
			cv_g.q = nq;
			cv_g.cap = cap;
		}
	}
	memcpy(cv_g.q + cv_g.len, p, n);
	cv_g.len += n;
}

size_t
command_view_peek_input(const unsigned char **p)
{
	*p = cv_g.q + cv_g.off;
	return cv_g.len - cv_g.off;
}

void
command_view_drop_input(size_t n)
{
	if (n > cv_g.len - cv_g.off)
		n = cv_g.len - cv_g.off;
	cv_g.off += n;
	if (cv_g.off == cv_g.len)
		cv_g.off = cv_g.len = 0;
}

/* Read what the tty has, waiting at most TIMEOUT ms; 0 on a timeout. */
static int
cv_read_tty(int timeout)
{
	struct pollfd	pfd = { .fd = cv_g.fd, .events = POLLIN };
	unsigned char	buf[4096];
	ssize_t		n;
	int		rc;

	for (;;) {
		rc = poll(&pfd, 1, timeout);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return 0;
		n = read(cv_g.fd, buf, sizeof(buf));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			cv_g.hangup = true;
			return -1;
		}
		command_view_push_input(buf, (size_t)n);
		return 1;
	}
}

/* rl_getc_function: the queue; when empty, readline reads a paste body. */
static int
cv_getc(FILE *f)
{
	static const char	end[] = "\033[201~";
	int			c, rc;

	(void)f;
	for (;;) {
		if (cv_g.len > cv_g.off) {
			c = cv_g.q[cv_g.off];
			command_view_drop_input(1);
			return c;
		}
		rc = cv_read_tty(cv_g.in_paste ? CV_PASTE_WAIT_MS : -1);
		if (rc == 0 && cv_g.in_paste) {
			/* The end marker never came: make it up. */
			command_view_push_input(end, sizeof(end) - 1);
		} else if (rc == -1) {
			if (cv_g.in_paste)
				command_view_push_input(end, sizeof(end) - 1);
			else
				return EOF;
		}
	}
}

/* rl_input_available_hook: the truth about the queue. */
static int
cv_available(void)
{
	unsigned char	c;

	if (cv_g.len == cv_g.off)
		return 0;
	c = cv_g.q[cv_g.off];
	/* Ctrl-C and Ctrl-Z are ours: readline must not wait for them. */
	return c != 0x03 && c != 0x1a;
}

/* Bracketed paste: the body is read synchronously through cv_getc. */
static int
cv_paste_begin(int count, int key)
{
	int	rc;

	cv_g.in_paste = true;
	rc = rl_bracketed_paste_begin(count, key);
	cv_g.in_paste = false;
	return rc;
}

/* Ctrl-X Ctrl-R: re-read inputrc with its errors kept off the screen. */
static int
cv_reread_inputrc(int count, int key)
{
	int	saved, devnull, rc;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	if (devnull != -1) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	rc = rl_re_read_init_file(count, key);
	fflush(stderr);
	if (saved != -1) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	return rc;
}

static void
cv_redisplay(void)
{
	if (cv_g.cv != NULL)
		view_dirty(&cv_g.cv->v);
}

/* The line handler: queue it; the TUI acts once readline returned. */
static void
cv_on_line(char *line)
{
	struct cv_entered	*e;

	if (cv_g.nentered == CV_MAX_LINES) {
		free(line);
		return;
	}
	e = &cv_g.entered[cv_g.nentered++];
	e->line = line;
	e->mode = cv_g.cv != NULL ? cv_g.cv->mode : CMD_MODE_COMMAND;
}

/* Completion. */

static bool	cv_lower;	/* the person types in lower case */

/* Copy S, lower-cased when the person types so. */
static char *
cv_match(const char *s)
{
	char	*m, *p;

	if ((m = strdup(s)) == NULL)
		return NULL;
	if (cv_lower)
		for (p = m; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	return m;
}

/*
 * SMTP verbs: a completion string matches when the line up to the cursor
 * is a case-insensitive prefix of it; the match is its part from the start
 * of the word being completed ("MAIL FR" + Tab gives "FROM:<").
 */
static char *
cv_gen_verb(const char *text, int state)
{
	static size_t	 i;
	const char	*c;
	size_t		 start, end = (size_t)rl_point;

	(void)text;
	if (state == 0)
		i = 0;
	start = end - strlen(text);
	while (i < VERB_LAST) {
		c = command_table[i++].completion;
		if (c == NULL || c[0] == '\0' || strlen(c) < end ||
		    strncasecmp(c, rl_line_buffer, end) != 0)
			continue;
		return cv_match(c + start);
	}
	return NULL;
}

/* :commands: ":connect " (a space when it takes an argument). */
static char *
cv_gen_script(const char *text, int state)
{
	static size_t	 i;
	const struct script_cmd_info *sc;
	char		 buf[64];
	size_t		 len = strlen(text);

	if (state == 0)
		i = 0;
	while (i < SCRIPT_OP_LAST) {
		sc = &script_table[i++];
		if (sc->name == NULL || sc->name[0] == '\0')
			continue;
		snprintf(buf, sizeof(buf), ":%s%s", sc->name,
		    sc->nargs != 0 ? " " : "");
		if (strncasecmp(buf, text, len) == 0)
			return cv_match(buf);
	}
	return NULL;
}

static char **
cv_complete(const char *text, int start, int end)
{
	struct command_view	*cv = cv_g.cv;
	const char		*p;
	int			 i;
	bool			 upper = false, lower = false;

	(void)end;
	rl_attempted_completion_over = 1;
	rl_completion_append_character = '\0';
	if (cv != NULL && cv->mode == CMD_MODE_ASK)
		return rl_completion_matches(text,
		    rl_filename_completion_function);
	if (cv == NULL || cv->mode != CMD_MODE_COMMAND)
		return NULL;	/* message text, a regex: nothing to offer */
	for (i = 0; i < rl_point; i++) {
		if (isupper((unsigned char)rl_line_buffer[i]))
			upper = true;
		else if (islower((unsigned char)rl_line_buffer[i]))
			lower = true;
	}
	cv_lower = lower && !upper;
	for (p = rl_line_buffer; *p == ' '; p++)
		continue;
	if (*p == ':') {
		if (start == (int)(p - rl_line_buffer))
			return rl_completion_matches(text, cv_gen_script);
		/* The argument of :data, :save, :export: a file name. */
		if (strncmp(p, ":data ", 6) == 0 ||
		    strncmp(p, ":save ", 6) == 0 ||
		    strncmp(p, ":export ", 8) == 0) {
			rl_completion_append_character = ' ';
			return rl_completion_matches(text,
			    rl_filename_completion_function);
		}
		return NULL;
	}
	if (*p == '/' || *p == '&' || p != rl_line_buffer)
		return NULL;
	return rl_completion_matches(text, cv_gen_verb);
}

/* The listing readline would print: drawn inside curses instead. */
static void
cv_display_matches(char **matches, int num, int max)
{
	struct command_view	*cv = cv_g.cv;
	struct cv_listing	*l;
	int			 i;

	if (cv == NULL)
		return;
	l = &cv->listing;
	cv_listing_clear(cv);
	if ((l->items = calloc((size_t)num, sizeof(*l->items))) == NULL)
		return;
	for (i = 0; i < num; i++)
		if ((l->items[l->n] = strdup(matches[i + 1])) != NULL)
			l->n++;
	l->width = max;
	l->v.hidden = l->n == 0;
	view_dirty(&l->v);
	rl_forced_update_display();
}

static void
cv_listing_clear(struct command_view *cv)
{
	struct cv_listing	*l = &cv->listing;
	int			 i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
	if (!l->v.hidden) {
		l->v.hidden = true;
		view_dirty(&l->v);
	}
}

static int
cv_listing_columns(const struct cv_listing *l, int cols)
{
	int	per = (cols - 2) / (l->width + 2);

	return per < 1 ? 1 : per;
}

int
command_view_listing_lines(struct command_view *cv, int cols, int max)
{
	struct cv_listing	*l = &cv->listing;
	int			 per, rows;

	if (l->v.hidden || l->n == 0)
		return 0;
	per = cv_listing_columns(l, cols);
	rows = (l->n + per - 1) / per + 2;	/* a border above and below */
	return rows > max ? max : rows;
}

static void
cv_listing_draw(struct view *v)
{
	struct cv_listing	*l = (struct cv_listing *)v;
	int			 per, rows, i, r, c, inner = v->lines - 2;
	char			 more[48];

	wbkgdset(v->win, ' ' | theme_attr(THEME_HELP));
	werase(v->win);
	wattrset(v->win, theme_attr(THEME_HELP));
	box(v->win, 0, 0);
	wattrset(v->win, theme_attr(THEME_HELP_TITLE));
	mvwaddstr(v->win, 0, 2, " completions ");
	per = cv_listing_columns(l, v->cols);
	rows = (l->n + per - 1) / per;
	wattrset(v->win, theme_attr(THEME_HELP));
	for (i = 0; i < l->n; i++) {
		/* Down the columns, like readline. */
		r = i % rows;
		c = i / rows;
		if (r >= inner)
			continue;
		mvwaddnstr(v->win, 1 + r, 1 + c * (l->width + 2),
		    l->items[i], v->cols - 2 - c * (l->width + 2));
	}
	if (rows > inner && inner > 0) {
		snprintf(more, sizeof(more), " %d more ",
		    l->n - inner * per);
		wattrset(v->win, theme_attr(THEME_HELP_TITLE));
		mvwaddstr(v->win, v->lines - 1, 2, more);
	}
	wattrset(v->win, A_NORMAL);
	wnoutrefresh(v->win);
}

/* Drawing the line. */

/* One cell of the line: a character, or a visible stand-in. */
struct cv_cell {
	const char	*s;
	int		 len;		/* bytes of s */
	int		 width;
	int		 consumed;	/* bytes of the line */
	bool		 control;
	char		 buf[16];
};

static void
cv_cell(const char *p, size_t len, struct cv_cell *c)
{
	mbstate_t	ps;
	wchar_t		wc;
	size_t		n;
	int		w;

	memset(&ps, 0, sizeof(ps));
	memset(c, 0, sizeof(*c));
	n = mbrtowc(&wc, p, len, &ps);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		snprintf(c->buf, sizeof(c->buf), "\\x%02x",
		    (unsigned char)p[0]);
		c->s = c->buf;
		c->len = c->width = 4;
		c->consumed = 1;
		c->control = true;
		return;
	}
	c->consumed = (int)n;
	if (wc < 0x20 || wc == 0x7f) {
		c->buf[0] = '^';
		c->buf[1] = wc == 0x7f ? '?' : (char)(wc + 0x40);
		c->s = c->buf;
		c->len = c->width = 2;
		c->control = true;
		return;
	}
	if ((w = wcwidth(wc)) < 0 || (wc >= 0x80 && wc < 0xa0)) {
		c->len = c->width = snprintf(c->buf, sizeof(c->buf),
		    "<U+%04X>", (unsigned)wc);
		c->s = c->buf;
		c->control = true;
		return;
	}
	c->s = p;
	c->len = (int)n;
	c->width = w;
}

/* Columns of P[0..len) as drawn. */
static int
cv_width(const char *p, size_t len)
{
	struct cv_cell	c;
	size_t		off;
	int		w = 0;

	for (off = 0; off < len; off += (size_t)c.consumed) {
		cv_cell(p + off, len - off, &c);
		w += c.width;
	}
	return w;
}

/* The prompt without readline's \001...\002 invisible spans. */
static void
cv_prompt_text(char *out, size_t size)
{
	const char	*p = rl_display_prompt != NULL ? rl_display_prompt : "";
	size_t		 n = 0;
	bool		 hidden = false;

	for (; *p != '\0' && n + 1 < size; p++) {
		if (*p == RL_PROMPT_START_IGNORE)
			hidden = true;
		else if (*p == RL_PROMPT_END_IGNORE)
			hidden = false;
		else if (!hidden)
			out[n++] = *p;
	}
	out[n] = '\0';
}

static void
cv_draw(struct view *v)
{
	struct command_view	*cv = (struct command_view *)v;
	struct cv_cell		 c;
	char			 prompt[256];
	const char		*line = rl_line_buffer != NULL ?
				    rl_line_buffer : "";
	size_t			 end = rl_end > 0 ? (size_t)rl_end : 0;
	size_t			 point = rl_point > 0 ? (size_t)rl_point : 0;
	size_t			 off, plen;
	int			 pw, avail, cursor, total, col, x, left;

	werase(v->win);
	cv_prompt_text(prompt, sizeof(prompt));
	plen = strlen(prompt);
	if (point > end)
		point = end;

	/* The prompt (cut to half the width when longer). */
	wattrset(v->win, theme_attr(THEME_PROMPT));
	wmove(v->win, 0, 0);
	for (off = 0, pw = 0; off < plen; off += (size_t)c.consumed) {
		cv_cell(prompt + off, plen - off, &c);
		if (pw + c.width > v->cols / 2)
			break;
		waddnstr(v->win, c.s, c.len);
		pw += c.width;
	}

	/* The line, scrolled so that the cursor shows. */
	avail = v->cols - pw - 1;	/* the last column stays free */
	if (avail < 1)
		avail = 1;
	cursor = cv_width(line, point);
	total = cv_width(line, end);
	if (total < avail)
		cv->hscroll = 0;
	else if (cursor < cv->hscroll + 1 && cv->hscroll > 0)
		cv->hscroll = cursor - avail / 3 > 0 ? cursor - avail / 3 : 0;
	else if (cursor >= cv->hscroll + avail - 1)
		cv->hscroll = cursor - avail + 1 + avail / 3;
	if (cv->hscroll < 0)
		cv->hscroll = 0;
	left = cv->hscroll;
	col = 0;
	for (off = 0; off < end; off += (size_t)c.consumed) {
		cv_cell(line + off, end - off, &c);
		x = col - left;
		col += c.width;
		if (x < 0 || x + c.width > avail)
			continue;
		wattrset(v->win, c.control ? theme_attr(THEME_CONTROL) :
		    A_NORMAL);
		mvwaddnstr(v->win, 0, pw + x, c.s, c.len);
	}
	wattrset(v->win, theme_attr(THEME_CONTROL));
	if (left > 0)
		mvwaddstr(v->win, 0, pw, "<");
	if (total - left > avail)
		mvwaddstr(v->win, 0, pw + avail - 1, ">");
	wattrset(v->win, A_NORMAL);
	x = pw + cursor - left;
	wmove(v->win, 0, x < v->cols ? x : v->cols - 1);
	wnoutrefresh(v->win);
}

/* Set-up. */

static char *
cv_history_path(void)
{
	const char	*state = getenv("XDG_STATE_HOME");
	const char	*home = getenv("HOME");
	char		*dir, *path, *p;
	size_t		 n;

	if (state != NULL && state[0] == '/') {
		n = strlen(state) + sizeof("/smtptool");
		if ((dir = malloc(n)) == NULL)
			return NULL;
		snprintf(dir, n, "%s/smtptool", state);
	} else if (home != NULL && home[0] == '/') {
		n = strlen(home) + sizeof("/.local/state/smtptool");
		if ((dir = malloc(n)) == NULL)
			return NULL;
		snprintf(dir, n, "%s/.local/state/smtptool", home);
	} else
		return NULL;
	/* mkdir -p, private. */
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(dir, 0700);
		*p = '/';
	}
	(void)mkdir(dir, 0700);
	n = strlen(dir) + sizeof("/history");
	if ((path = malloc(n)) != NULL)
		snprintf(path, n, "%s/history", dir);
	free(dir);
	return path;
}

int
command_view_setup(int fd, char **errstr)
{
	cv_g.fd = fd;
	if ((cv_g.out = fopen("/dev/null", "w")) == NULL) {
		if (asprintf(errstr, "cannot open /dev/null: %s",
		    strerror(errno)) == -1)
			*errstr = NULL;
		return -1;
	}
	rl_readline_name = "smtptool";
	rl_change_environment = 0;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_prep_term_function = NULL;
	rl_deprep_term_function = NULL;
	rl_instream = stdin;
	rl_outstream = cv_g.out;
	rl_getc_function = cv_getc;
	rl_input_available_hook = cv_available;
	rl_redisplay_function = cv_redisplay;
	rl_attempted_completion_function = cv_complete;
	rl_completion_display_matches_hook = cv_display_matches;
	rl_variable_bind("enable-bracketed-paste", "on");
	if (rl_initialize() != 0) {
		if (asprintf(errstr, "cannot initialise readline") == -1)
			*errstr = NULL;
		return -1;
	}
	using_history();
	stifle_history(CV_HISTORY_MAX);
	if ((cv_g.history = cv_history_path()) != NULL)
		(void)read_history(cv_g.history);
	/*
	 * The history position past the end: readline reverts and rewrites
	 * the entry at the position when a line is accepted.
	 */
	using_history();
	return 0;
}

/* Keys readline does not know without terminfo (see NOTES-readline). */
static void
cv_bind_keys(void)
{
	static const struct {
		const char		*seq;
		rl_command_func_t	*fn;
	} keys[] = {
		{ "\033[1~", rl_beg_of_line },
		{ "\033[7~", rl_beg_of_line },
		{ "\033[H", rl_beg_of_line },
		{ "\033OH", rl_beg_of_line },
		{ "\033[4~", rl_end_of_line },
		{ "\033[8~", rl_end_of_line },
		{ "\033[F", rl_end_of_line },
		{ "\033OF", rl_end_of_line },
		{ "\033[3~", rl_delete },
		{ "\033[2~", rl_overwrite_mode },
	};
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		rl_bind_keyseq_if_unbound(keys[i].seq, keys[i].fn);
	rl_bind_keyseq("\033[200~", cv_paste_begin);
	rl_bind_keyseq("\\C-x\\C-r", cv_reread_inputrc);
}

struct command_view *
command_view_new(void)
{
	struct command_view	*cv;

	if ((cv = calloc(1, sizeof(*cv))) == NULL)
		return NULL;
	cv->v.ops = &cv_ops;
	cv->v.dirty = true;
	cv->listing.v.ops = &cv_listing_ops;
	cv->listing.v.hidden = true;
	cv->mode = CMD_MODE_COMMAND;
	snprintf(cv->prompt, sizeof(cv->prompt), "%s",
	    cv_prompts[CMD_MODE_COMMAND]);
	cv_g.cv = cv;
	cv_bind_keys();
	rl_callback_handler_install(cv->prompt, cv_on_line);
	return cv;
}

struct view *
command_view_view(struct command_view *cv)
{
	return &cv->v;
}

struct view *
command_view_listing(struct command_view *cv)
{
	return &cv->listing.v;
}

void
command_view_stop(struct command_view *cv)
{
	(void)cv;
	rl_callback_handler_remove();
	if (cv_g.history == NULL)
		return;
	if (cv_g.history_changed)
		(void)write_history(cv_g.history);
	cv_g.history_changed = false;
}

void
command_view_screen_size(int lines, int cols)
{
	rl_set_screen_size(lines, cols);
}

void
command_view_paste(bool on)
{
	static const char	on_seq[] = "\033[?2004h";
	static const char	off_seq[] = "\033[?2004l";
	const char		*s = on ? on_seq : off_seq;
	size_t			 n = on ? sizeof(on_seq) - 1 :
				    sizeof(off_seq) - 1;
	ssize_t			 w;

	while (n > 0) {
		w = write(STDOUT_FILENO, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void
command_view_feed(struct command_view *cv)
{
	if (cv_g.len == cv_g.off)
		return;
	cv_listing_clear(cv);
	rl_callback_read_char();
	if (cv_g.hangup && cv_g.nentered < CV_MAX_LINES) {
		cv_g.entered[cv_g.nentered].line = NULL;
		cv_g.entered[cv_g.nentered++].mode = cv->mode;
		cv_g.hangup = false;
	}
}

/* Put the line set aside back (after a search or filter prompt). */
static void
cv_restore(struct command_view *cv)
{
	cv->mode = cv->saved_mode;
	snprintf(cv->prompt, sizeof(cv->prompt), "%s",
	    cv_prompts[cv->mode]);
	rl_set_prompt(cv->prompt);
	if (cv->saved_line != NULL) {
		rl_replace_line(cv->saved_line, 1);
		rl_point = cv->saved_point <= rl_end ? cv->saved_point : rl_end;
		free(cv->saved_line);
		cv->saved_line = NULL;
	}
	view_dirty(&cv->v);
}

enum command_view_input
command_view_take(struct command_view *cv, char **line,
    enum command_view_mode *mode)
{
	struct cv_entered	e;

	*line = NULL;
	if (cv_g.nentered == 0)
		return CMD_INPUT_NONE;
	e = cv_g.entered[0];
	memmove(&cv_g.entered[0], &cv_g.entered[1],
	    (--cv_g.nentered) * sizeof(cv_g.entered[0]));
	*mode = e.mode;
	if (cv_aside(e.mode)) {
		if (cv->mode == e.mode)
			cv_restore(cv);
	}
	if (e.line == NULL)
		return CMD_INPUT_EOF;
	*line = e.line;
	return CMD_INPUT_LINE;
}

void
command_view_set_mode(struct command_view *cv, enum command_view_mode m)
{
	if ((int)m < 0 || m >= CMD_MODE_LAST || m == cv->mode)
		return;
	if (cv_aside(m)) {
		if (!cv_aside(cv->mode)) {
			free(cv->saved_line);
			cv->saved_line = strdup(rl_line_buffer != NULL ?
			    rl_line_buffer : "");
			cv->saved_point = rl_point;
			cv->saved_mode = cv->mode;
		}
		rl_replace_line("", 1);
		rl_point = 0;
	} else if (cv_aside(cv->mode)) {
		/* Leaving a prompt by a phase change: keep the aside line. */
		cv->saved_mode = m;
		return;
	}
	cv->mode = m;
	snprintf(cv->prompt, sizeof(cv->prompt), "%s", cv_prompts[m]);
	rl_set_prompt(cv->prompt);
	view_dirty(&cv->v);
}

void
command_view_ask(struct command_view *cv, const char *prompt,
    const char *initial)
{
	command_view_set_mode(cv, CMD_MODE_ASK);
	snprintf(cv->prompt, sizeof(cv->prompt), "%s", prompt);
	rl_set_prompt(cv->prompt);
	rl_replace_line(initial != NULL ? initial : "", 1);
	rl_point = rl_end;
	cv->hscroll = 0;
	view_dirty(&cv->v);
}

enum command_view_mode
command_view_mode(const struct command_view *cv)
{
	return cv->mode;
}

void
command_view_clear_line(struct command_view *cv)
{
	char	*back = NULL;
	int	 point = 0;

	rl_callback_sigcleanup();
	rl_free_line_state();
	rl_callback_handler_remove();
	cv_listing_clear(cv);
	if (cv_aside(cv->mode)) {
		/* Cancel the prompt, and put the line set aside back. */
		back = cv->saved_line;
		point = cv->saved_point;
		cv->saved_line = NULL;
		cv->mode = cv->saved_mode;
		snprintf(cv->prompt, sizeof(cv->prompt), "%s",
		    cv_prompts[cv->mode]);
	}
	rl_callback_handler_install(cv->prompt, cv_on_line);
	if (back != NULL) {
		rl_replace_line(back, 1);
		rl_point = point <= rl_end ? point : rl_end;
		free(back);
	}
	cv->hscroll = 0;
	view_dirty(&cv->v);
}

void
command_view_history_add(struct command_view *cv, const char *line)
{
	HIST_ENTRY	*h;
	int		 i;

	(void)cv;
	if (line == NULL || line[0] == '\0')
		return;
	/* An older copy goes: the line moves to the end. */
	for (i = history_length - 1; i >= 0; i--) {
		h = history_get(history_base + i);
		if (h == NULL || strcmp(h->line, line) != 0)
			continue;
		if ((h = remove_history(i)) != NULL)
			free_history_entry(h);
	}
	add_history(line);
	using_history();	/* see command_view_setup() */
	cv_g.history_changed = true;
}

static void
cv_free(struct view *v)
{
	struct command_view	*cv = (struct command_view *)v;

	cv_listing_clear(cv);
	if (cv->listing.v.win != NULL)
		delwin(cv->listing.v.win);
	free(cv->saved_line);
	if (cv_g.cv == cv)
		cv_g.cv = NULL;
	free(cv);
}
