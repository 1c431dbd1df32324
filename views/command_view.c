/*
 * The command line: GNU readline in callback mode, fed from our own byte
 * queue and drawn by our own redisplay function.  The recipe and its
 * reasons are in shared/NOTES-readline.md.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>
#include <readline/history.h>
#include <readline/readline.h>

#include "caps.h"
#include "command.h"
#include "command_view.h"
#include "sasl.h"
#include "script.h"
#include "theme.h"
#include "view.h"

#define CV_HISTORY_MAX		1000
#define CV_PASTE_WAIT_MS	2000	/* then the end marker is made up */
#define CV_MAX_LINES		64	/* entered, not yet taken */
#define CV_SECRET_BUF		8192	/* readline's buffer while hidden */
#define CV_SECRET_PASTE_MAX	65536	/* a pasted secret is cut there */
#define CV_KEYMAP_DEPTH		16

/* The capabilities completion looks at (command_view_set_caps). */
enum cv_cap {
	CV_CAP_SIZE,
	CV_CAP_8BITMIME,
	CV_CAP_BINARYMIME,
	CV_CAP_SMTPUTF8,
	CV_CAP_DSN,
	CV_CAP_REQUIRETLS,
	CV_CAP_AUTH,
	CV_CAP_CHUNKING,
	CV_CAP_LAST
};

static const char *cv_cap_names[CV_CAP_LAST] = {
	[CV_CAP_SIZE] = "SIZE",
	[CV_CAP_8BITMIME] = "8BITMIME",
	[CV_CAP_BINARYMIME] = "BINARYMIME",
	[CV_CAP_SMTPUTF8] = "SMTPUTF8",
	[CV_CAP_DSN] = "DSN",
	[CV_CAP_REQUIRETLS] = "REQUIRETLS",
	[CV_CAP_AUTH] = "AUTH",
	[CV_CAP_CHUNKING] = "CHUNKING",
};

#define CV_CAP_BIT(c)	(1u << (c))

/* A parameter offered after the path of MAIL or RCPT. */
struct cv_param {
	enum command_verb	 verb;
	enum cv_cap		 need;
	const char		*text;
};

static const struct cv_param cv_params[] = {
	{ VERB_MAIL, CV_CAP_SIZE, "SIZE=" },
	{ VERB_MAIL, CV_CAP_8BITMIME, "BODY=8BITMIME" },
	{ VERB_MAIL, CV_CAP_BINARYMIME, "BODY=BINARYMIME" },
	{ VERB_MAIL, CV_CAP_SMTPUTF8, "SMTPUTF8" },
	{ VERB_MAIL, CV_CAP_DSN, "RET=FULL" },
	{ VERB_MAIL, CV_CAP_DSN, "RET=HDRS" },
	{ VERB_MAIL, CV_CAP_DSN, "ENVID=" },
	{ VERB_MAIL, CV_CAP_REQUIRETLS, "REQUIRETLS" },
	{ VERB_MAIL, CV_CAP_AUTH, "AUTH=<>" },
	{ VERB_RCPT, CV_CAP_DSN, "NOTIFY=SUCCESS,FAILURE,DELAY" },
	{ VERB_RCPT, CV_CAP_DSN, "NOTIFY=NEVER" },
	{ VERB_RCPT, CV_CAP_DSN, "ORCPT=rfc822;" },
};

/* The mechanisms offered when no capabilities are known. */
static const char *cv_default_mechs[] = {
	"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER",
};

/* What the view keeps of the capabilities. */
struct cv_caps {
	bool		  known;
	unsigned	  has;		/* CV_CAP_BIT() */
	char		**mechs;
	size_t		  nmechs;
};

/* The secret prompt's state (command_view_ask_secret). */
struct cv_secret {
	bool		  active;
	Keymap		  map;		/* ours, kept until cv_free */
	Keymap		  map_base;	/* what it was made from */
	Keymap		  saved_map;	/* to put back */
	HISTORY_STATE	 *history;	/* set aside while hidden */
	bool		  revert_all;	/* revert-all-at-newline before */
	int		  max_end;	/* the longest the line was */
};

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
	char			 prompt[96];	/* our copy, never rl_prompt */
	int			 hscroll;	/* columns scrolled off */
	/* SEARCH, FILTER: the line set aside */
	char			*saved_line;
	int			 saved_point;
	enum command_view_mode	 saved_mode;
	struct cv_caps		 caps;
	struct cv_secret	 secret;
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
	[CMD_MODE_SECRET] = "secret: ",
};

/* Modes that set the half-typed line aside and put it back after. */
static bool
cv_aside(enum command_view_mode m)
{
	return m == CMD_MODE_SEARCH || m == CMD_MODE_FILTER ||
	    m == CMD_MODE_ASK || m == CMD_MODE_SECRET;
}

static void	cv_draw(struct view *);
static void	cv_free(struct view *);
static void	cv_secret_end(struct command_view *);
static void	cv_secret_track(struct command_view *);
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

/*
 * The input queue.  It may hold a secret being typed: a byte is wiped
 * once consumed, and the queue never leaves a copy behind when it moves.
 */

void
command_view_push_input(const void *p, size_t n)
{
	unsigned char	*nq;
	size_t		 left;

	if (cv_g.off > 0 && cv_g.off == cv_g.len)
		cv_g.off = cv_g.len = 0;
	if (cv_g.len + n > cv_g.cap) {
		if (cv_g.off > 0) {
			left = cv_g.len - cv_g.off;
			memmove(cv_g.q, cv_g.q + cv_g.off, left);
			explicit_bzero(cv_g.q + left, cv_g.len - left);
			cv_g.len = left;
			cv_g.off = 0;
		}
		if (cv_g.len + n > cv_g.cap) {
			size_t	cap = (cv_g.len + n) * 2;

			/* Not realloc: it could leave the old bytes behind. */
			if ((nq = malloc(cap)) == NULL)
				return;	/* keys lost, nothing worse */
			if (cv_g.q != NULL) {
				memcpy(nq, cv_g.q, cv_g.len);
				explicit_bzero(cv_g.q, cv_g.cap);
				free(cv_g.q);
			}
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
	if (n == 0)
		return;
	explicit_bzero(cv_g.q + cv_g.off, n);
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
		explicit_bzero(buf, (size_t)n);
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

	/*
	 * A secret: readline copied it into LINE, the caller wipes that; the
	 * line buffer and the undo list are wiped here, before readline
	 * starts the next line.
	 */
	if (cv_g.cv != NULL && cv_g.cv->secret.active)
		cv_secret_end(cv_g.cv);
	if (cv_g.nentered == CV_MAX_LINES) {
		if (line != NULL)
			explicit_bzero(line, strlen(line));
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
		c = command_table[i].completion;
		/* BDAT only where CHUNKING is offered, or nothing is known. */
		if (command_table[i++].verb == VERB_BDAT && cv_g.cv != NULL &&
		    cv_g.cv->caps.known &&
		    !(cv_g.cv->caps.has & CV_CAP_BIT(CV_CAP_CHUNKING)))
			continue;
		if (c == NULL || c[0] == '\0' || strlen(c) < end ||
		    strncasecmp(c, rl_line_buffer, end) != 0)
			continue;
		return cv_match(c + start);
	}
	return NULL;
}

/*
 * Candidates for the word at the cursor (parameters, mechanisms): set by
 * cv_complete(), read by cv_gen_list().  A candidate matches when the word
 * typed so far (from cv_list.word) is a case-insensitive prefix of it.
 */
#define CV_LIST_MAX	32
static struct {
	const char	*items[CV_LIST_MAX];
	size_t		 n;
	size_t		 word;	/* where the word starts in the line */
} cv_list;

static void
cv_list_add(const char *item)
{
	if (item != NULL && cv_list.n < CV_LIST_MAX)
		cv_list.items[cv_list.n++] = item;
}

static char *
cv_gen_list(const char *text, int state)
{
	static size_t	 i;
	const char	*c;
	size_t		 end = (size_t)rl_point, start, len;

	if (state == 0)
		i = 0;
	len = end - cv_list.word;
	start = end - strlen(text);	/* readline's word, inside ours */
	while (i < cv_list.n) {
		c = cv_list.items[i++];
		if (strlen(c) < len || start < cv_list.word ||
		    strncasecmp(c, rl_line_buffer + cv_list.word, len) != 0)
			continue;
		return cv_match(c + (start - cv_list.word));
	}
	return NULL;
}

static bool
cv_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Where the word at the cursor starts: after the last blank before it. */
static size_t
cv_word_start(const char *line, size_t point)
{
	while (point > 0 && !cv_blank(line[point - 1]))
		point--;
	return point;
}

/*
 * Is the cursor in the first argument of VERB (matched case-insensitively
 * when ICASE) at the start of LINE?  "AUTH PL", ":auth "
 */
static bool
cv_first_arg(const char *line, size_t point, const char *verb, bool icase)
{
	size_t	i = 0, n = strlen(verb);

	while (i < point && cv_blank(line[i]))
		i++;
	if (point < i + n + 1 || (icase ? strncasecmp(line + i, verb, n) :
	    strncmp(line + i, verb, n)) != 0 || !cv_blank(line[i + n]))
		return false;
	for (i += n; i < point && cv_blank(line[i]); i++)
		continue;
	return cv_word_start(line, point) == i;
}

/*
 * Is the cursor on a word after the path of "MAIL FROM:" or "RCPT TO:"
 * (PREFIX), with a blank between them?  The path is <...>, or a word.
 */
static bool
cv_after_path(const char *line, size_t point, const char *prefix)
{
	const char	*close;
	size_t		 i = 0, n = strlen(prefix);

	while (i < point && cv_blank(line[i]))
		i++;
	if (point < i + n || strncasecmp(line + i, prefix, n) != 0)
		return false;
	for (i += n; i < point && cv_blank(line[i]); i++)
		continue;
	if (i < point && line[i] == '<') {
		if ((close = memchr(line + i, '>', point - i)) == NULL)
			return false;
		i = (size_t)(close - line) + 1;
	} else
		while (i < point && !cv_blank(line[i]))
			i++;
	return i < point && cv_blank(line[i]);
}

/* The mechanisms to offer: the advertised ones, or all we speak. */
static void
cv_list_mechs(const struct command_view *cv)
{
	size_t	i;

	if (!cv->caps.known) {
		for (i = 0; i < sizeof(cv_default_mechs) /
		    sizeof(cv_default_mechs[0]); i++)
			cv_list_add(cv_default_mechs[i]);
		return;
	}
	for (i = 0; i < cv->caps.nmechs; i++)
		cv_list_add(cv->caps.mechs[i]);
}

/* The parameters of VERB the server advertised. */
static void
cv_list_params(const struct command_view *cv, enum command_verb verb)
{
	size_t	i;

	if (!cv->caps.known)
		return;
	for (i = 0; i < sizeof(cv_params) / sizeof(cv_params[0]); i++)
		if (cv_params[i].verb == verb &&
		    (cv->caps.has & CV_CAP_BIT(cv_params[i].need)))
			cv_list_add(cv_params[i].text);
}

/* Where a word is completed from the capabilities. */
static const struct cv_context {
	const char		*start;		/* the line starts so */
	bool			 path;		/* after the path, or arg 1 */
	bool			 icase;
	enum command_verb	 params;	/* MAIL, RCPT; else mechanisms */
} cv_contexts[] = {
	{ "MAIL FROM:", true, true, VERB_MAIL },
	{ "RCPT TO:", true, true, VERB_RCPT },
	{ "AUTH", false, true, VERB_AUTH },
	{ ":auth", false, false, VERB_AUTH },
};

/*
 * The candidates for the word at the cursor when it is a parameter or a
 * mechanism; false when the line is none of those.
 */
static bool
cv_list_for(const struct command_view *cv, const char *line, size_t point)
{
	const struct cv_context	*c;
	size_t			 i;

	memset(&cv_list, 0, sizeof(cv_list));
	cv_list.word = cv_word_start(line, point);
	for (i = 0; i < sizeof(cv_contexts) / sizeof(cv_contexts[0]); i++) {
		c = &cv_contexts[i];
		if (c->path ? !cv_after_path(line, point, c->start) :
		    !cv_first_arg(line, point, c->start, c->icase))
			continue;
		if (c->params == VERB_AUTH)
			cv_list_mechs(cv);
		else
			cv_list_params(cv, c->params);
		return true;
	}
	return false;
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

/*
 * Words of the command line are separated by blanks only: "RET=F" and
 * "NOTIFY=SUCCESS,F" are one word (readline's default would cut at '=').
 */
static char *
cv_word_breaks(void)
{
	static char	blanks[] = " \t\n";

	if (cv_g.cv != NULL && cv_g.cv->mode == CMD_MODE_COMMAND)
		return blanks;
	return NULL;
}

/* A space after a single match that is a whole word ("SMTPUTF8 "). */
static void
cv_append_space(char **matches)
{
	size_t	n;

	if (matches == NULL || matches[0] == NULL || matches[1] != NULL)
		return;
	n = strlen(matches[0]);
	if (n > 0 && strchr("=;<,:", matches[0][n - 1]) == NULL)
		rl_completion_append_character = ' ';
}

static char **
cv_complete(const char *text, int start, int end)
{
	struct command_view	*cv = cv_g.cv;
	const char		*p;
	char			**m;
	int			 i;
	bool			 upper = false, lower = false;

	(void)end;
	rl_attempted_completion_over = 1;
	rl_completion_append_character = '\0';
	if (cv != NULL && cv->mode == CMD_MODE_ASK)
		return rl_completion_matches(text,
		    rl_filename_completion_function);
	if (cv == NULL || cv->mode != CMD_MODE_COMMAND)
		return NULL;	/* message text, a regex, a secret: nothing */
	for (i = 0; i < rl_point; i++) {
		if (isupper((unsigned char)rl_line_buffer[i]))
			upper = true;
		else if (islower((unsigned char)rl_line_buffer[i]))
			lower = true;
	}
	cv_lower = lower && !upper;
	/* A parameter of MAIL or RCPT, a mechanism of AUTH or :auth. */
	if (cv_list_for(cv, rl_line_buffer, (size_t)rl_point)) {
		if (cv_list.n == 0)
			return NULL;
		/* In the case of the word begun ("ret=" after "r"). */
		upper = lower = false;
		for (i = (int)cv_list.word; i < rl_point; i++) {
			if (isupper((unsigned char)rl_line_buffer[i]))
				upper = true;
			else if (islower((unsigned char)rl_line_buffer[i]))
				lower = true;
		}
		if (upper || lower)
			cv_lower = lower && !upper;
		m = rl_completion_matches(text, cv_gen_list);
		cv_append_space(m);
		return m;
	}
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

	/* A secret: nothing of it, not even its length. */
	if (cv->mode == CMD_MODE_SECRET) {
		wattrset(v->win, A_NORMAL);
		wmove(v->win, 0, pw < v->cols ? pw : v->cols - 1);
		wnoutrefresh(v->win);
		return;
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
	rl_completion_word_break_hook = cv_word_breaks;
	rl_completion_display_matches_hook = cv_display_matches;
	rl_variable_bind("enable-bracketed-paste", "on");
	/*
	 * An edited history entry goes back to what it was when a line is
	 * entered: the history holds only what command_view_history_add()
	 * put there (never a secret typed over a recalled line).
	 */
	rl_variable_bind("revert-all-at-newline", "on");
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

/*
 * Mask what the history holds before it is written: a file from an older
 * version, or an entry edited in place, may hold an AUTH initial response.
 */
static void
cv_history_mask(void)
{
	HIST_ENTRY	*h;
	char		*masked;
	int		 i;

	for (i = 0; i < history_length; i++) {
		h = history_get(history_base + i);
		if (h == NULL || h->line == NULL ||
		    !sasl_mask_auth_line(h->line, strlen(h->line), &masked))
			continue;
		if (strcmp(masked, h->line) != 0 &&
		    (h = replace_history_entry(i, masked, h->data)) != NULL) {
			explicit_bzero(h->line, strlen(h->line));
			free_history_entry(h);
			cv_g.history_changed = true;
		}
		free(masked);
	}
}

void
command_view_stop(struct command_view *cv)
{
	if (cv != NULL && cv->secret.active)
		cv_secret_end(cv);
	rl_callback_handler_remove();
	if (cv_g.history == NULL)
		return;
	cv_history_mask();
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
	if (cv->secret.active)
		cv_secret_track(cv);
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
	/* (Not when a new secret prompt came up before this was taken.) */
	if (cv_aside(e.mode) && cv->mode == e.mode &&
	    !(e.mode == CMD_MODE_SECRET && cv->secret.active))
		cv_restore(cv);
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
	/* A secret prompt is left only by Enter or a cancel. */
	if (cv->mode == CMD_MODE_SECRET && cv_aside(m))
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
	if (cv->mode == CMD_MODE_SECRET)
		return;		/* see command_view_ask_secret() */
	command_view_set_mode(cv, CMD_MODE_ASK);
	snprintf(cv->prompt, sizeof(cv->prompt), "%s", prompt);
	rl_set_prompt(cv->prompt);
	rl_replace_line(initial != NULL ? initial : "", 1);
	rl_point = rl_end;
	cv->hscroll = 0;
	view_dirty(&cv->v);
}

/*
 * The secret prompt.  What is typed stays in readline's line buffer only:
 * a keymap of our own keeps the editing keys and drops every command that
 * would copy the line elsewhere (kill ring, history, search, completion,
 * undo, macros); the history is swapped out so that nothing can be
 * recalled into or written over; the buffer is made large first so that
 * readline never reallocates it (and leaves a copy in freed memory); at
 * the end the buffer and the undo list are wiped.
 */

/* The history set aside while a secret is typed: readline sees none. */
static void
cv_history_hide(struct command_view *cv)
{
	HISTORY_STATE	empty;

	if (cv->secret.history != NULL ||
	    (cv->secret.history = history_get_history_state()) == NULL)
		return;
	memset(&empty, 0, sizeof(empty));
	empty.flags = cv->secret.history->flags;
	history_set_history_state(&empty);
}

static void
cv_history_show(struct command_view *cv)
{
	if (cv->secret.history == NULL)
		return;
	history_set_history_state(cv->secret.history);
	free(cv->secret.history);
	cv->secret.history = NULL;
}

/* Wipe the texts the undo list copied (deleted pieces), then free it. */
static void
cv_wipe_undo(void)
{
	UNDO_LIST	*u;

	for (u = rl_undo_list; u != NULL; u = u->next)
		if (u->text != NULL)
			explicit_bzero(u->text, strlen(u->text));
	rl_free_undo_list();
}

/* The longest the line has been: what cv_secret_end() wipes. */
static void
cv_secret_track(struct command_view *cv)
{
	if (rl_end > cv->secret.max_end)
		cv->secret.max_end = rl_end;
	/* Nothing to undo in a hidden line: no copies of deleted text. */
	if (rl_undo_list != NULL)
		cv_wipe_undo();
}

static int
cv_secret_ignore(int count, int key)
{
	(void)count;
	(void)key;
	return 0;
}

/* A key typed: not past the buffer made ready (it would move). */
static int
cv_secret_insert(int count, int key)
{
	if (rl_end + MB_LEN_MAX * (count > 0 ? count : 1) >= CV_SECRET_BUF)
		return 0;
	return rl_insert(count, key);
}

/* Enter: wipe the undo list before readline frees it, then accept. */
static int
cv_secret_accept(int count, int key)
{
	if (cv_g.cv != NULL)
		cv_secret_track(cv_g.cv);
	cv_wipe_undo();
	return rl_newline(count, key);
}

/* Delete [FROM, TO) without the kill ring; the cursor goes to FROM. */
static int
cv_secret_delete(int from, int to)
{
	if (from < 0)
		from = 0;
	if (to > rl_end)
		to = rl_end;
	if (from < to)
		rl_delete_text(from, to);
	rl_point = from <= rl_end ? from : rl_end;
	cv_wipe_undo();
	return 0;
}

/* Ctrl-U: to the start of the line. */
static int
cv_secret_erase_before(int count, int key)
{
	(void)count;
	(void)key;
	return cv_secret_delete(0, rl_point);
}

/* Ctrl-K: to the end of the line. */
static int
cv_secret_erase_after(int count, int key)
{
	int	point = rl_point;

	(void)count;
	(void)key;
	return cv_secret_delete(point, rl_end);
}

static int
cv_secret_erase_all(int count, int key)
{
	(void)count;
	(void)key;
	return cv_secret_delete(0, rl_end);
}

/* Ctrl-W, M-Backspace: the blank-separated word before the cursor. */
static int
cv_secret_erase_word_before(int count, int key)
{
	int	i = rl_point;

	(void)count;
	(void)key;
	while (i > 0 && cv_blank(rl_line_buffer[i - 1]))
		i--;
	while (i > 0 && !cv_blank(rl_line_buffer[i - 1]))
		i--;
	return cv_secret_delete(i, rl_point);
}

/* M-d: the word after the cursor. */
static int
cv_secret_erase_word_after(int count, int key)
{
	int	i = rl_point, point = rl_point;

	(void)count;
	(void)key;
	while (i < rl_end && cv_blank(rl_line_buffer[i]))
		i++;
	while (i < rl_end && !cv_blank(rl_line_buffer[i]))
		i++;
	return cv_secret_delete(point, i);
}

/*
 * A bracketed paste into the secret: read up to the end marker ourselves
 * (readline's paste leaves its copy in freed memory), drop CR, LF and NUL
 * (a secret is one line), insert, wipe.  A paste that would not fit in
 * the buffer made ready (CV_SECRET_BUF) is dropped: readline would move
 * the buffer and leave the old one unwiped.
 */
static int
cv_secret_paste(int count, int key)
{
	static const char	 end[] = "\033[201~";
	const size_t		 elen = sizeof(end) - 1;
	char			*buf;
	size_t			 len = 0, i, j;
	int			 c;

	(void)count;
	(void)key;
	if ((buf = malloc(CV_SECRET_PASTE_MAX + 1)) == NULL)
		return 0;
	cv_g.in_paste = true;
	for (;;) {
		if ((c = rl_read_key()) < 0)
			break;
		if (len == CV_SECRET_PASTE_MAX) {
			/* Too long: keep the tail, to find the end marker. */
			memmove(buf, buf + 1, len - 1);
			len--;
		}
		buf[len++] = (char)c;
		if (len >= elen && memcmp(buf + len - elen, end, elen) == 0) {
			len -= elen;
			break;
		}
	}
	cv_g.in_paste = false;
	for (i = j = 0; i < len; i++)
		if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != '\0')
			buf[j++] = buf[i];
	buf[j] = '\0';
	if (j > 0 && rl_end + (int)j < CV_SECRET_BUF)
		rl_insert_text(buf);
	explicit_bzero(buf, CV_SECRET_PASTE_MAX + 1);
	free(buf);
	if (cv_g.cv != NULL)
		cv_secret_track(cv_g.cv);
	return 0;
}

/* What a command becomes in the secret keymap. */
static rl_command_func_t *
cv_secret_func(rl_command_func_t *fn)
{
	static const struct {
		rl_command_func_t	*fn;
		rl_command_func_t	*as;
	} keep[] = {
		{ rl_insert, cv_secret_insert },
		{ rl_quoted_insert, rl_quoted_insert },
		{ rl_forward_char, rl_forward_char },
		{ rl_backward_char, rl_backward_char },
		{ rl_forward_byte, rl_forward_byte },
		{ rl_backward_byte, rl_backward_byte },
		{ rl_beg_of_line, rl_beg_of_line },
		{ rl_end_of_line, rl_end_of_line },
		{ rl_forward_word, rl_forward_word },
		{ rl_backward_word, rl_backward_word },
		{ rl_delete, rl_delete },
		{ rl_rubout, rl_rubout },
		{ rl_do_lowercase_version, rl_do_lowercase_version },
		{ rl_newline, cv_secret_accept },
		{ rl_unix_line_discard, cv_secret_erase_before },
		{ rl_backward_kill_line, cv_secret_erase_before },
		{ rl_kill_line, cv_secret_erase_after },
		{ rl_kill_full_line, cv_secret_erase_all },
		{ rl_unix_word_rubout, cv_secret_erase_word_before },
		{ rl_unix_filename_rubout, cv_secret_erase_word_before },
		{ rl_backward_kill_word, cv_secret_erase_word_before },
		{ rl_kill_word, cv_secret_erase_word_after },
		{ rl_bracketed_paste_begin, cv_secret_paste },
		{ cv_paste_begin, cv_secret_paste },
	};
	size_t	i;

	if (fn == NULL)
		return NULL;	/* unbound stays unbound */
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (keep[i].fn == fn)
			return keep[i].as;
	return cv_secret_ignore;
}

/* readline stores a sub-keymap in the function slot of its entry. */
static Keymap
cv_entry_keymap(const KEYMAP_ENTRY *e)
{
	return (Keymap)(uintptr_t)e->function;
}

static void
cv_keymap_free(Keymap map)
{
	int	i;

	if (map == NULL)
		return;
	for (i = 0; i < KEYMAP_SIZE; i++)
		if (map[i].type == ISKMAP)
			cv_keymap_free(cv_entry_keymap(&map[i]));
	free(map);	/* ours: never rl_free_keymap (NOTES-readline) */
}

/* A deep copy of BASE with every command through cv_secret_func(). */
static Keymap
cv_keymap_secret(Keymap base, int depth)
{
	Keymap	map, sub;
	int	i;

	if (depth > CV_KEYMAP_DEPTH ||
	    (map = calloc(KEYMAP_SIZE, sizeof(*map))) == NULL)
		return NULL;
	for (i = 0; i < KEYMAP_SIZE; i++) {
		map[i].type = ISFUNC;
		map[i].function = NULL;
		switch (base[i].type) {
		case ISFUNC:
			map[i].function = cv_secret_func(base[i].function);
			break;
		case ISKMAP:
			sub = cv_entry_keymap(&base[i]) == NULL ? NULL :
			    cv_keymap_secret(cv_entry_keymap(&base[i]),
			    depth + 1);
			if (sub == NULL) {
				map[i].function = cv_secret_ignore;
				break;
			}
			map[i].type = ISKMAP;
			map[i].function = (rl_command_func_t *)(uintptr_t)sub;
			break;
		default:	/* a macro: it could type anything */
			map[i].function = cv_secret_ignore;
			break;
		}
	}
	return map;
}

void
command_view_ask_secret(struct command_view *cv, const char *prompt)
{
	struct cv_secret	*sec = &cv->secret;
	Keymap			 base;
	const char		*v;

	rl_callback_sigcleanup();	/* leave a search, a half key */
	if (sec->active)
		cv_secret_end(cv);	/* asked again: start afresh */
	else
		command_view_set_mode(cv, CMD_MODE_SECRET);
	cv->mode = CMD_MODE_SECRET;	/* even from a search or an ask */
	cv_listing_clear(cv);
	rl_replace_line("", 1);
	rl_point = rl_mark = 0;
	rl_extend_line_buffer(CV_SECRET_BUF);

	/* The keymap: kept for the next time while made from the same. */
	base = rl_get_keymap();
	if (sec->map == NULL || sec->map_base != base) {
		cv_keymap_free(sec->map);
		sec->map = cv_keymap_secret(base, 0);
		sec->map_base = base;
	}
	sec->saved_map = base;
	if (sec->map != NULL)
		rl_set_keymap(sec->map);
	/* readline would copy the line to revert other lines: not now. */
	v = rl_variable_value("revert-all-at-newline");
	sec->revert_all = v != NULL && strcasecmp(v, "on") == 0;
	rl_variable_bind("revert-all-at-newline", "off");
	cv_history_hide(cv);
	sec->max_end = 0;
	sec->active = true;

	snprintf(cv->prompt, sizeof(cv->prompt), "%s", prompt != NULL ?
	    prompt : cv_prompts[CMD_MODE_SECRET]);
	rl_set_prompt(cv->prompt);
	cv->hscroll = 0;
	view_dirty(&cv->v);
}

/*
 * The secret is taken or cancelled: wipe the line buffer and the undo
 * list, put the keymap, the history and revert-all-at-newline back.  The
 * mode stays CMD_MODE_SECRET until the line is taken (or the cancel puts
 * the line set aside back).
 */
static void
cv_secret_end(struct command_view *cv)
{
	struct cv_secret	*sec = &cv->secret;
	int			 n;

	if (!sec->active)
		return;
	cv_wipe_undo();
	/* The buffer holds at least CV_SECRET_BUF + 1 bytes (extended). */
	n = CV_SECRET_BUF;
	if (sec->max_end > n)
		n = sec->max_end;
	if (rl_end > n)
		n = rl_end;
	if (rl_line_buffer != NULL)
		explicit_bzero(rl_line_buffer, (size_t)n);
	rl_point = rl_end = rl_mark = 0;
	if (sec->saved_map != NULL && rl_get_keymap() == sec->map)
		rl_set_keymap(sec->saved_map);
	sec->saved_map = NULL;
	rl_variable_bind("revert-all-at-newline", sec->revert_all ? "on" :
	    "off");
	cv_history_show(cv);
	sec->max_end = 0;
	sec->active = false;
	view_dirty(&cv->v);
}

/* Capabilities for completion. */

static void
cv_caps_clear(struct cv_caps *c)
{
	size_t	i;

	for (i = 0; i < c->nmechs; i++)
		free(c->mechs[i]);
	free(c->mechs);
	memset(c, 0, sizeof(*c));
}

/*
 * A mechanism name as RFC 4422 3.1 spells it (letters, digits, '-', '_',
 * at most 20): anything else a server sends is not offered.
 */
static bool
cv_mech_name(const char *s)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 20)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

void
command_view_set_caps(struct command_view *cv, const struct caps *caps)
{
	struct cv_caps	*c = &cv->caps;
	size_t		 i;
	int		 k;

	cv_caps_clear(c);
	if (caps == NULL || !caps->known)
		return;
	c->known = true;
	for (k = 0; k < CV_CAP_LAST; k++)
		if (caps_has(caps, cv_cap_names[k]))
			c->has |= CV_CAP_BIT(k);
	if (caps->nauth > 0)
		c->has |= CV_CAP_BIT(CV_CAP_AUTH);
	if (caps->nauth == 0)
		return;
	if ((c->mechs = calloc(caps->nauth, sizeof(*c->mechs))) == NULL)
		return;
	for (i = 0; i < caps->nauth && c->nmechs < CV_LIST_MAX; i++)
		if (cv_mech_name(caps->auth[i]) &&
		    (c->mechs[c->nmechs] = strdup(caps->auth[i])) != NULL)
			c->nmechs++;
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
	if (cv->secret.active)
		cv_secret_end(cv);	/* wiped before readline frees it */
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
	char		*masked = NULL;
	bool		 hidden = cv != NULL && cv->secret.history != NULL;
	int		 i;

	if (line == NULL || line[0] == '\0')
		return;
	/* "AUTH PLAIN <initial-response>": never the response. */
	if (sasl_mask_auth_line(line, strlen(line), &masked))
		line = masked;
	if (hidden)
		cv_history_show(cv);
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
	if (hidden)
		cv_history_hide(cv);
	free(masked);
}

static void
cv_free(struct view *v)
{
	struct command_view	*cv = (struct command_view *)v;

	cv_listing_clear(cv);
	if (cv->listing.v.win != NULL)
		delwin(cv->listing.v.win);
	if (cv->secret.active)
		cv_secret_end(cv);
	cv_keymap_free(cv->secret.map);
	cv_caps_clear(&cv->caps);
	free(cv->saved_line);
	if (cv_g.cv == cv)
		cv_g.cv = NULL;
	free(cv);
}
