/*
 * The full-screen front end: curses start and stop, layout, focus, key
 * routing, the :commands of the command line, and the glue to the event
 * loop (a source for the tty, one for timers, signals through the loop's
 * self-pipe).  Views draw themselves into their windows; this file alone
 * calls doupdate(), once per loop turn.
 *
 * Layout: the transcript pane on top, the status bar, the command line.
 * The TLS inspector (F3) sits beside the transcript on a screen of
 * TUI_SPLIT_COLS columns or more, and takes the transcript's place on a
 * narrower one (at 80x24 half of 80 columns is too narrow for a DN or a
 * fingerprint, and half of 22 rows too short for the chain and a
 * certificate's fields; F3 gives the transcript back).
 *
 * Keys: the tty is read here (fd 0, one read of up to 4 KiB) into the
 * command view's byte queue.  A few keys are ours whichever pane has the
 * focus (tui_global_keys); with the focus on the command line every other
 * byte goes to readline; with the focus on the transcript or the TLS
 * inspector, decoded keys go to that view.  F6 (Ctrl-\) cycles the focus:
 * command line, transcript (when shown), TLS inspector (when shown).
 *
 * Replay (smtptool replay FILE, tui_options.replay): the same screen over
 * a capture read from a file, offline: no client, no sandbox, no TLS
 * pane.  The capture is stepped through with a replay (session/replay.h):
 * the transcript pane highlights the step that plays next, the status bar
 * says where the replay is, the keys of tui_replay_keys move the step
 * (with the focus on the transcript, where it starts).  The tool's notes
 * go to a transcript of their own shown above the capture, which stays as
 * it was read (:save writes it back).
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>

#include "client.h"
#include "command.h"
#include "command_view.h"
#include "compose.h"
#include "exitcode.h"
#include "help_view.h"
#include "import.h"
#include "loop.h"
#include "replay.h"
#include "replay_batch.h"
#include "replay_run.h"
#include "secret.h"
#include "reply.h"
#include "script.h"
#include "session.h"
#include "status_view.h"
#include "theme.h"
#include "tls.h"
#include "tls_view.h"
#include "transcript.h"
#include "transcript_view.h"
#include "tui.h"
#include "view.h"
#include "xmalloc.h"

#define TUI_ESC_HOLD_US		50000	/* a lone ESC waits this long */
#define TUI_QUIT_WAIT_US	2000000	/* for the reply to QUIT */
#define TUI_READ_SIZE		4096
#define TUI_SPLIT_COLS		100	/* the TLS pane beside, from here */
#define TUI_TLS_MIN_COLS	44	/* the TLS pane beside: at least */
#define TUI_LOG_MIN_COLS	50	/* and the transcript beside it */

/* Keys of ours beyond curses' codes. */
#define TUI_KEY_PASTE		(KEY_MAX + 1)	/* ESC [ 200 ~ */
#define TUI_KEY_OTHER		(KEY_MAX + 2)	/* a sequence we ignore */

#define TUI_CTRL(c)		((c) & 0x1f)

/* Escape sequences (normal and application cursor modes, xterm, linux). */
static const struct tui_keyseq {
	const char	*seq;
	int		 key;
} tui_keyseqs[] = {
	{ "\033[5~", KEY_PPAGE },
	{ "\033[6~", KEY_NPAGE },
	{ "\033OP", KEY_F(1) },
	{ "\033[11~", KEY_F(1) },
	{ "\033[[A", KEY_F(1) },
	{ "\033OR", KEY_F(3) },
	{ "\033[13~", KEY_F(3) },
	{ "\033[[C", KEY_F(3) },
	{ "\033OS", KEY_F(4) },
	{ "\033[14~", KEY_F(4) },
	{ "\033[[D", KEY_F(4) },
	{ "\033[17~", KEY_F(6) },
	{ "\033[A", KEY_UP },
	{ "\033OA", KEY_UP },
	{ "\033[B", KEY_DOWN },
	{ "\033OB", KEY_DOWN },
	{ "\033[C", KEY_RIGHT },
	{ "\033OC", KEY_RIGHT },
	{ "\033[D", KEY_LEFT },
	{ "\033OD", KEY_LEFT },
	{ "\033[H", KEY_HOME },
	{ "\033OH", KEY_HOME },
	{ "\033[1~", KEY_HOME },
	{ "\033[7~", KEY_HOME },
	{ "\033[F", KEY_END },
	{ "\033OF", KEY_END },
	{ "\033[4~", KEY_END },
	{ "\033[8~", KEY_END },
	{ "\033[3~", KEY_DC },
	{ "\033[2~", KEY_IC },
	{ "\033OM", KEY_ENTER },
	{ "\033[200~", TUI_KEY_PASTE },
};

/* Keys that act whichever pane has the focus. */
enum tui_action {
	TUI_ACT_NONE,
	TUI_ACT_PAGE_UP,
	TUI_ACT_PAGE_DOWN,
	TUI_ACT_HELP,
	TUI_ACT_TLS,
	TUI_ACT_RULES,
	TUI_ACT_FOCUS,
	TUI_ACT_REDRAW,
	TUI_ACT_CLEAR,
	TUI_ACT_SUSPEND,
};

static const struct tui_binding {
	int		 key;
	enum tui_action	 action;
} tui_global_keys[] = {
	{ KEY_PPAGE, TUI_ACT_PAGE_UP },
	{ KEY_NPAGE, TUI_ACT_PAGE_DOWN },
	{ KEY_F(1), TUI_ACT_HELP },
	{ KEY_F(3), TUI_ACT_TLS },
	{ KEY_F(4), TUI_ACT_RULES },
	{ KEY_F(6), TUI_ACT_FOCUS },
	{ TUI_CTRL('\\'), TUI_ACT_FOCUS },
	{ TUI_CTRL('L'), TUI_ACT_REDRAW },
	{ TUI_CTRL('C'), TUI_ACT_CLEAR },
	{ TUI_CTRL('Z'), TUI_ACT_SUSPEND },
};

/* What the help overlay says about keys (keep it beside the tables). */
static const struct view_key_help tui_key_help[] = {
	{ "F1, :help", "this help" },
	{ "F3", "show or hide the TLS inspector (and focus it)" },
	{ "F4", "simulated throttling (:rules FILE) on or off" },
	{ "F6, Ctrl-\\", "focus: command line -> transcript -> TLS pane" },
	{ "PgUp, PgDn", "scroll the transcript (or the TLS pane in its "
	    "place or focused)" },
	{ "Ctrl-L", "redraw the screen" },
	{ "Ctrl-C", "clear the command line (cancel /, & or a question)" },
	{ "Ctrl-D", "quit, on an empty command line" },
	{ "Ctrl-Z", "suspend; fg resumes" },
	{ "Tab", "complete SMTP verbs, :commands, file names" },
	{ "Up, Down, Ctrl-R", "history; Ctrl-R searches it" },
	{ "/REGEX", "search the transcript (then n, N)" },
	{ "&REGEX", "show only matching lines; & alone: all" },
	{ "Transcript pane", "(F6 to get there)" },
	{ "  Up, Down, j, k", "scroll a line" },
	{ "  PgUp, PgDn, b, Space", "scroll a page" },
	{ "  Home, g / End, G", "top / bottom (End and G follow again)" },
	{ "  f", "follow mode on or off" },
	{ "  / & n N", "search, filter, next, previous match" },
	{ "  Esc, i, q, Enter", "back to the command line" },
	{ "TLS inspector", "(F3; beside the transcript from 100 columns, "
	    "in its place on narrower screens)" },
	{ "  Up, Down, j, k, 0-9", "select a certificate of the chain" },
	{ "  PgUp, PgDn, b, Space", "scroll a page (y, e: a line)" },
	{ "  Home, g / End, G", "top / bottom" },
	{ "  w", "write the chain as PEM (asks for the file name)" },
	{ "  Esc, i, Enter", "back to the command line" },
	{ "  q", "hide the pane" },
};

/* Replay: keys for the transcript pane, before its own. */
enum tui_replay_action {
	TUI_RP_NONE,
	TUI_RP_STEP,		/* play the step */
	TUI_RP_FAILURE,		/* on to the next 4xx/5xx */
	TUI_RP_END,		/* play everything */
	TUI_RP_RESTART,
	TUI_RP_BACK,		/* one step back */
	TUI_RP_HERE,		/* the step on the screen is next */
	TUI_RP_QUIT,
};

static const struct tui_replay_binding {
	int			 key;
	enum tui_replay_action	 action;
} tui_replay_keys[] = {
	{ ' ', TUI_RP_STEP },
	{ '\r', TUI_RP_STEP },
	{ '\n', TUI_RP_STEP },
	{ KEY_ENTER, TUI_RP_STEP },
	{ 's', TUI_RP_STEP },
	{ KEY_RIGHT, TUI_RP_STEP },
	{ 'j', TUI_RP_STEP },
	{ 'c', TUI_RP_FAILURE },
	{ 'e', TUI_RP_END },
	{ KEY_END, TUI_RP_END },
	{ 'r', TUI_RP_RESTART },
	{ KEY_HOME, TUI_RP_RESTART },
	{ KEY_LEFT, TUI_RP_BACK },
	{ 'k', TUI_RP_BACK },
	{ '.', TUI_RP_HERE },
	{ 'q', TUI_RP_QUIT },
};

static const struct view_key_help tui_replay_key_help[] = {
	{ "Space, Enter, s, Right, j", "play the highlighted step" },
	{ "c", "continue to the next 4xx/5xx reply (or a step that got "
	    "none): it is then the highlighted step" },
	{ "e, End", "run to the end: the status bar says how it ended" },
	{ "r, Home", "restart from the first step" },
	{ "Left, k", "back one step" },
	{ ".", "the step of the search match (or at the top of the screen) "
	    "plays next" },
	{ "q, :quit", "leave" },
	{ "Up, Down, PgUp, PgDn", "scroll (the view stops following the "
	    "step)" },
	{ "b, Ctrl-U, Ctrl-D", "a page up, half a page up or down" },
	{ "g / G", "the top / the bottom of the capture" },
	{ "f", "follow the step again (or stop)" },
	{ "/ & n N", "search, filter, next, previous match" },
	{ ":", "a :command (:save, :export, :filter, :help, :quit)" },
	{ "Esc, i, Tab", "to the command line (F6, Ctrl-\\ come back)" },
	{ "F1, :help", "this help" },
	{ "Ctrl-L", "redraw the screen" },
	{ "Ctrl-C", "clear the command line (cancel / or &)" },
	{ "Ctrl-D", "quit, on an empty command line" },
	{ "Ctrl-Z", "suspend; fg resumes" },
};

/* Which pane has the focus. */
enum tui_focus {
	TUI_FOCUS_COMMAND,
	TUI_FOCUS_TRANSCRIPT,
	TUI_FOCUS_TLS,
	TUI_FOCUS_LAST
};

static const enum status_focus tui_status_focus[TUI_FOCUS_LAST] = {
	[TUI_FOCUS_COMMAND] = STATUS_FOCUS_COMMAND,
	[TUI_FOCUS_TRANSCRIPT] = STATUS_FOCUS_TRANSCRIPT,
	[TUI_FOCUS_TLS] = STATUS_FOCUS_TLS,
};

/* A line waiting to be handed to the client, in order. */
struct tui_line {
	char	*text;
	bool	 single;	/* typed alone, not part of a paste */
};

struct tui {
	const struct tui_options	*opts;
	struct loop			*loop;
	struct client_options		 copts;		/* opts->client, + */
	struct serve			*sandbox;	/* no target given */
	char				 sandbox_addr[64];
	char				*early[4];	/* its first notes */
	size_t				 nearly;
	struct transcript		*t;
	struct client			*client;
	SCREEN				*screen;

	struct transcript_view		*tv;
	struct status_view		*sv;
	struct help_view		*hv;
	struct command_view		*cv;
	struct tls_view			*tlsv;

	struct loop_source		 tty;
	struct loop_source		 timer;

	enum tui_focus			 focus;
	bool				 tls_shown;	/* F3 */
	/* After /, & or a question of the TLS pane: the focus goes back. */
	bool				 back;
	enum tui_focus			 back_to;
	bool				 quit;
	int				 exit_code;
	bool				 quitting;	/* QUIT sent */
	uint64_t			 quit_deadline;
	uint64_t			 input_at;	/* last tty read */
	uint64_t			 hold_until;	/* a held ESC */
	bool				 listing_shown;
	int				 cursor;	/* curs_set state */

	/* Lines entered, handed over one at a time (see tui_gated). */
	struct tui_line			*out;
	size_t				 nout, capout;
	bool				 drain;		/* try to hand some */
	bool				 wait_data;	/* DATA sent: wait */

	/* :auth MECH USER waits for the secret from the hidden prompt. */
	enum sasl_mech			 auth_mech;
	char				*auth_user;

	/* Replay: t is the capture; no client, no TLS pane. */
	bool				 replaying;
	struct replay			*rp;		/* NULL: no steps */
	struct transcript		*notes;		/* shown above t */
	size_t				 next;		/* plays next */
	const char			*rname;		/* the file's name */

	/*
	 * Replay --against: t is the live transcript, cap the capture, and
	 * the steps are sent by rr through the client.
	 */
	bool				 against;
	struct transcript		*cap;
	struct replay_run		*rr;
	struct secret			 sec;		/* a captured AUTH's */
	bool				 stop_on_fail;	/* c: to a failure */
	char				 aname[160];
};

/* For the exit path: curses must end once, whatever happens. */
static bool		 tui_curses_on;

/*
 * For a crash (SIGSEGV, SIGABRT, ...): the terminal modes from before
 * curses and the bytes that leave the screen, ready for a signal handler
 * (tcsetattr and write are async-signal-safe; endwin is not).
 */
static struct termios	 tui_saved_tio;
static bool		 tui_saved_tio_ok;
static char		 tui_crash_seq[256];
static size_t		 tui_crash_len;
static const int	 tui_crash_sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
			    SIGILL };

static void	tui_draw(struct tui *);
static void	tui_layout(struct tui *);
static void	tui_focus(struct tui *, enum tui_focus);

/* Curses on and off. */

static void
tui_end_curses(void)
{
	if (!tui_curses_on)
		return;
	tui_curses_on = false;
	command_view_paste(false);
	endwin();
}

static void
tui_atexit(void)
{
	tui_end_curses();
}

static void
tui_crash_handler(int sig)
{
	if (tui_curses_on) {
		if (tui_crash_len > 0 &&
		    write(STDOUT_FILENO, tui_crash_seq, tui_crash_len) == -1) {
			/* Nothing more to try. */
		}
		if (tui_saved_tio_ok)
			tcsetattr(STDIN_FILENO, TCSANOW, &tui_saved_tio);
	}
	/* SA_RESETHAND: the default action now. */
	raise(sig);
}

/* Add a terminfo string to the crash sequence. */
static void
tui_crash_add(const char *cap)
{
	const char	*v = tigetstr(cap);
	size_t		 n;

	if (v == NULL || v == (char *)-1)
		return;
	n = strlen(v);
	if (tui_crash_len + n >= sizeof(tui_crash_seq))
		return;
	memcpy(tui_crash_seq + tui_crash_len, v, n);
	tui_crash_len += n;
}

/* Set up the crash path, once curses knows the terminal. */
static void
tui_crash_setup(void)
{
	static const char	paste_off[] = "\033[?2004l";
	struct sigaction	sa;
	size_t			i;

	tui_crash_len = 0;
	memcpy(tui_crash_seq, paste_off, sizeof(paste_off) - 1);
	tui_crash_len = sizeof(paste_off) - 1;
	tui_crash_add("sgr0");
	tui_crash_add("cnorm");
	tui_crash_add("rmcup");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tui_crash_handler;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(tui_crash_sigs) / sizeof(tui_crash_sigs[0]);
	    i++)
		sigaction(tui_crash_sigs[i], &sa, NULL);
}

/* The TLS pane takes the transcript's place (a narrow screen)? */
static bool
tui_tls_replaces(const struct tui *t)
{
	return t->tls_shown && COLS < TUI_SPLIT_COLS;
}

/*
 * The panes above the status bar: the transcript alone; the transcript
 * and the TLS pane side by side; or the TLS pane alone (narrow screens).
 */
static void
tui_layout_panes(struct tui *t, int th, int cols)
{
	struct view	*tv = transcript_view_view(t->tv);
	struct view	*lv;
	int		 tw;

	if (t->tlsv == NULL) {
		/* A replay: the transcript alone. */
		tv->hidden = false;
		view_resize(tv, 0, 0, th, cols);
		return;
	}
	lv = tls_view_view(t->tlsv);
	tv->hidden = tui_tls_replaces(t);
	lv->hidden = !t->tls_shown;
	if (!t->tls_shown || tui_tls_replaces(t)) {
		view_resize(tv, 0, 0, th, cols);
		tls_view_set_border(t->tlsv, false);
		view_resize(lv, 0, 0, th, cols);
	} else {
		tw = cols * 2 / 5;
		if (tw < TUI_TLS_MIN_COLS)
			tw = TUI_TLS_MIN_COLS;
		if (cols - tw < TUI_LOG_MIN_COLS)
			tw = cols - TUI_LOG_MIN_COLS;
		view_resize(tv, 0, 0, th, cols - tw);
		tls_view_set_border(t->tlsv, true);
		view_resize(lv, 0, cols - tw, th, tw);
	}
	/* The focus never stays on a pane that is not shown. */
	if ((t->focus == TUI_FOCUS_TRANSCRIPT && tv->hidden) ||
	    (t->focus == TUI_FOCUS_TLS && lv->hidden))
		tui_focus(t, lv->hidden ? TUI_FOCUS_COMMAND : TUI_FOCUS_TLS);
	if (t->back && ((t->back_to == TUI_FOCUS_TRANSCRIPT && tv->hidden) ||
	    (t->back_to == TUI_FOCUS_TLS && lv->hidden)))
		t->back_to = lv->hidden ? TUI_FOCUS_COMMAND : TUI_FOCUS_TLS;
}

/* Geometry of every view for the current screen size. */
static void
tui_layout(struct tui *t)
{
	int	lines = LINES, cols = COLS, th;

	th = lines > 2 ? lines - 2 : 1;
	tui_layout_panes(t, th, cols);
	view_resize(status_view_view(t->sv), lines > 1 ? lines - 2 : 0, 0, 1,
	    cols);
	view_resize(command_view_view(t->cv), lines - 1, 0, 1, cols);
	keypad(command_view_view(t->cv)->win, FALSE);
	if (help_view_visible(t->hv))
		help_view_show(t->hv, lines, cols);
	view_dirty(command_view_listing(t->cv));
	command_view_screen_size(lines, cols);
}

static void
tui_redraw_all(struct tui *t)
{
	clearok(curscr, TRUE);
	view_dirty(transcript_view_view(t->tv));
	if (t->tlsv != NULL)
		view_dirty(tls_view_view(t->tlsv));
	view_dirty(status_view_view(t->sv));
	view_dirty(command_view_view(t->cv));
	view_dirty(help_view_view(t->hv));
	view_dirty(command_view_listing(t->cv));
}

static void
tui_resize(struct tui *t)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	tui_layout(t);
	tui_redraw_all(t);
}

/* Focus. */

static void
tui_focus(struct tui *t, enum tui_focus f)
{
	t->focus = f;
	status_view_set_focus(t->sv, tui_status_focus[f]);
	if (t->tlsv != NULL)
		tls_view_set_focus(t->tlsv, f == TUI_FOCUS_TLS);
	view_dirty(command_view_view(t->cv));
}

/* F6: command line -> transcript -> TLS pane -> command line (shown ones). */
static void
tui_focus_next(struct tui *t)
{
	enum tui_focus	f = t->focus;
	int		i;

	for (i = 0; i < TUI_FOCUS_LAST; i++) {
		f = (enum tui_focus)((f + 1) % TUI_FOCUS_LAST);
		if (f == TUI_FOCUS_TRANSCRIPT && tui_tls_replaces(t))
			continue;
		if (f == TUI_FOCUS_TLS && !t->tls_shown)
			continue;
		break;
	}
	tui_focus(t, f);
}

/* Go back to the pane a prompt (/, &, a file name) was asked from. */
static void
tui_focus_back(struct tui *t)
{
	if (t->back)
		tui_focus(t, t->back_to);
	t->back = false;
}

/* F3: show the TLS pane and focus it, or hide it. */
static void
tui_show_tls(struct tui *t, bool show)
{
	t->tls_shown = show;
	if (show)
		tui_focus(t, TUI_FOCUS_TLS);
	else if (t->focus == TUI_FOCUS_TLS)
		tui_focus(t, TUI_FOCUS_COMMAND);
	tui_layout(t);
}

static void
tui_help(struct tui *t, bool show)
{
	if (show)
		help_view_show(t->hv, LINES, COLS);
	else {
		help_view_hide(t->hv);
		/* What was under it. */
		view_dirty(transcript_view_view(t->tv));
		if (t->tlsv != NULL)
			view_dirty(tls_view_view(t->tlsv));
		view_dirty(status_view_view(t->sv));
	}
	view_dirty(command_view_view(t->cv));
}

/* Leaving. */

static void
tui_quit_now(struct tui *t, int code)
{
	t->quit = true;
	t->exit_code = code;
}

/* :quit, Ctrl-D: QUIT first when connected, then leave. */
static void
tui_request_quit(struct tui *t)
{
	struct session	*s;
	char		*err = NULL;

	if (t->replaying) {
		tui_quit_now(t, EXIT_OK);
		return;
	}
	s = client_session(t->client);
	if (t->quitting) {
		tui_quit_now(t, EXIT_OK);
		return;
	}
	if (client_state(t->client) != CLIENT_CONNECTED || s == NULL ||
	    session_phase(s) == PHASE_QUIT || session_phase(s) ==
	    PHASE_CLOSED) {
		tui_quit_now(t, EXIT_OK);
		return;
	}
	if (client_in_message(t->client)) {
		/* QUIT would be message text. */
		client_disconnect(t->client, "quit in the middle of a message");
		tui_quit_now(t, EXIT_OK);
		return;
	}
	if (client_send(t->client, "QUIT", 4, &err) == -1) {
		free(err);
		client_disconnect(t->client, NULL);
		tui_quit_now(t, EXIT_OK);
		return;
	}
	t->quitting = true;
	t->quit_deadline = loop_now() + TUI_QUIT_WAIT_US;
}

/*
 * The tool's own note: into the transcript through the client; in a
 * replay into the notes above the capture (the capture stays as it was
 * read), and in the status bar too since the screen may show the step
 * far below them.
 */
static void __attribute__((format(printf, 3, 4)))
tui_note(struct tui *t, enum transcript_kind kind, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	if (!t->replaying)
		client_note(t->client, kind, "%s", s);
	else {
		(void)transcript_note(t->notes, 0, kind, "%s", s);
		transcript_view_appended(t->tv);
		status_view_notice(t->sv, s);
	}
	free(s);
}

/* Note ERR (or FALLBACK when it is NULL) as an error; ERR is freed. */
static void
tui_note_error(struct tui *t, char *err, const char *fallback)
{
	tui_note(t, TRANSCRIPT_ERROR, "%s", err != NULL ? err : fallback);
	free(err);
}

/* Lines typed now are message text (never in a replay). */
static bool
tui_in_message(const struct tui *t)
{
	return t->client != NULL && client_in_message(t->client);
}

/* Search and filter. */

static void
tui_search(struct tui *t, const char *pattern)
{
	enum transcript_view_found	 found;
	char				*err = NULL;

	if (transcript_view_search(t->tv, pattern, &found, &err) == -1) {
		tui_note_error(t, err, "cannot compile regex");
		return;
	}
	status_view_notice(t->sv, transcript_view_found_name(found));
}

static void
tui_filter(struct tui *t, const char *pattern)
{
	char	*err = NULL;

	if (transcript_view_filter(t->tv, pattern, &err) == -1) {
		tui_note_error(t, err, "cannot compile regex");
		return;
	}
	view_dirty(status_view_view(t->sv));
}

/* Replay. */

static enum tui_replay_action
tui_replay_key(int key)
{
	size_t	i;

	for (i = 0; i < sizeof(tui_replay_keys) / sizeof(tui_replay_keys[0]);
	    i++)
		if (tui_replay_keys[i].key == key)
			return tui_replay_keys[i].action;
	return TUI_RP_NONE;
}

static size_t
tui_replay_count(const struct tui *t)
{
	return t->rp != NULL ? replay_count(t->rp) : 0;
}

/* STEP plays next (replay_count(): all played); the screen shows it. */
static void
tui_replay_goto(struct tui *t, size_t step)
{
	size_t	n = tui_replay_count(t);

	if (step > n)
		step = n;
	t->next = step;
	transcript_view_set_step(t->tv, step, true);
	status_view_replay_step(t->sv, step);
}

/* "failure: 550 5.1.1 to RCPT" for the status bar. */
static void
tui_replay_failure(struct tui *t, size_t step, char *buf, size_t size)
{
	const struct replay_step	*st = replay_get(t->rp, step);
	const char			*what = "a command";

	if (st == NULL) {
		buf[0] = '\0';
		return;
	}
	if (st->verb == VERB_BANNER)
		what = "the banner";
	else if (st->verb == VERB_DOT)
		what = "the message";
	else if (st->verb != VERB_UNKNOWN && command_table[st->verb].name !=
	    NULL)
		what = command_table[st->verb].name;
	if (st->code == 0)
		snprintf(buf, size, "failure: %s got no reply", what);
	else
		snprintf(buf, size, "failure: %d%s%s to %s", st->code,
		    st->enhanced[0] != '\0' ? " " : "", st->enhanced, what);
}

static void	tui_against_act(struct tui *, enum tui_replay_action);

static void
tui_replay_act(struct tui *t, enum tui_replay_action a)
{
	size_t	n = tui_replay_count(t), k, rec;
	char	buf[160];

	if (a == TUI_RP_QUIT) {
		tui_quit_now(t, EXIT_OK);
		return;
	}
	if (t->against && n > 0) {
		tui_against_act(t, a);
		return;
	}
	if (n == 0) {
		status_view_notice(t->sv, "nothing to step through: this "
		    "capture holds no SMTP dialog");
		return;
	}
	switch (a) {
	case TUI_RP_STEP:
		if (t->next >= n)
			status_view_notice(t->sv, "the end: r restarts");
		else
			tui_replay_goto(t, t->next + 1);
		break;
	case TUI_RP_FAILURE:
		if (t->next >= n) {
			status_view_notice(t->sv, "the end: r restarts");
			break;
		}
		k = replay_next_failure(t->rp, t->next + 1);
		tui_replay_goto(t, k);
		if (k >= n)
			status_view_notice(t->sv, "no 4xx/5xx after that "
			    "step: the end");
		else {
			tui_replay_failure(t, k, buf, sizeof(buf));
			status_view_notice(t->sv, buf);
		}
		break;
	case TUI_RP_END:
		tui_replay_goto(t, n);
		break;
	case TUI_RP_RESTART:
		tui_replay_goto(t, 0);
		break;
	case TUI_RP_BACK:
		if (t->next == 0)
			status_view_notice(t->sv, "the first step already");
		else
			tui_replay_goto(t, t->next - 1);
		break;
	case TUI_RP_HERE:
		rec = transcript_view_record_here(t->tv);
		if (rec == SIZE_MAX) {
			status_view_notice(t->sv, "no step on the screen");
			break;
		}
		k = replay_step_of(t->rp, rec);
		tui_replay_goto(t, k == REPLAY_NONE ? 0 : k);
		break;
	default:
		break;
	}
}

/*
 * A :command in a replay: true when it may run as usual (:save, :export,
 * :filter, :help, :quit), else a note says why not.
 */
static bool
tui_replay_colon(struct tui *t, const struct script_line *sl)
{
	switch (sl->op) {
	case SCRIPT_SAVE:
	case SCRIPT_EXPORT:
	case SCRIPT_FILTER:
	case SCRIPT_HELP:
	case SCRIPT_QUIT:
		return true;
	case SCRIPT_SEND:
	case SCRIPT_COMMENT:
		return false;
	default:
		tui_note(t, TRANSCRIPT_INFO, "replay is offline: :%s does "
		    "nothing here (smtptool replay FILE --against HOST re-runs "
		    "it live)", script_table[sl->op].name);
		return false;
	}
}

/*
 * Read the capture, before the screen starts (an error is on stderr), and
 * understand it; what could not be understood becomes the first notes.
 */
static int
tui_replay_load(struct tui *t)
{
	struct import_result	 res;
	const char		*path = t->opts->replay, *text, *slash;
	char			*err = NULL;
	size_t			 i, n, rec;

	memset(&res, 0, sizeof(res));
	if (t->against)
		t->cap = transcript_new();
	if (import_capture(t->against ? t->cap : t->t, path, &res,
	    &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err != NULL ? err :
		    "cannot read the capture");
		free(err);
		import_result_free(&res);
		return -1;
	}
	slash = strrchr(path, '/');
	t->rname = slash != NULL && slash[1] != '\0' ? slash + 1 : path;
	t->notes = transcript_new();
	for (i = 0; i < res.nissues; i++)
		(void)transcript_note(t->notes, 0, TRANSCRIPT_WARNING,
		    "line %zu not understood: %s", res.issues[i].line,
		    res.issues[i].what != NULL ? res.issues[i].what : "?");
	if (res.more_issues > 0)
		(void)transcript_note(t->notes, 0, TRANSCRIPT_WARNING,
		    "and %zu more line%s not understood", res.more_issues,
		    res.more_issues == 1 ? "" : "s");
	if ((t->rp = replay_new(t->against ? t->cap : t->t, &err)) == NULL) {
		(void)transcript_note(t->notes, 0, TRANSCRIPT_ERROR,
		    "nothing to step through: %s", err != NULL ? err :
		    "this capture holds no SMTP dialog");
		free(err);
	} else {
		n = replay_nnotes(t->rp);
		for (i = 0; i < n; i++)
			if ((text = replay_note(t->rp, i, &rec)) != NULL)
				(void)transcript_note(t->notes, 0,
				    TRANSCRIPT_WARNING, "%s", text);
	}
	/* What the capture says of itself ("# what: ..."). */
	n = transcript_comments(t->against ? t->cap : t->t, 0, &rec, &text);
	for (i = 0; i < n; i++) {
		transcript_comments(t->against ? t->cap : t->t, i, &rec, &text);
		if (strncmp(text, "# what:", 7) == 0)
			(void)transcript_note(t->notes, 0, TRANSCRIPT_INFO,
			    "the capture: %s", text + 7 + (text[7] == ' '));
	}
	n = tui_replay_count(t);
	if (t->against)
		(void)transcript_note(t->notes, 0, TRANSCRIPT_INFO, "replay "
		    "(%s, %zu steps) of %s against %s: each step is sent to "
		    "the server and its reply set beside the captured one.  "
		    "Space sends the next step, c runs to the next 4xx/5xx or "
		    "changed class, e to the end, r starts over; F1 help, q "
		    "quits", import_format_name(res.format), n, path,
		    t->opts->against);
	else
		(void)transcript_note(t->notes, 0, TRANSCRIPT_INFO, "replay "
		    "(%s, %zu record%s, %zu step%s) of %s, offline: nothing "
		    "is sent.  Space plays the highlighted step, c runs to the "
		    "next 4xx/5xx, e to the end, r restarts, Left goes back; "
		    "F1 help, q quits", import_format_name(res.format),
		    transcript_count(t->t), transcript_count(t->t) == 1 ? "" :
		    "s", n, n == 1 ? "" : "s", path);
	import_result_free(&res);
	return 0;
}

/* A step was compared with the capture: where the run is; stop at a
 * failure when c asked for it. */
static void
tui_against_compared(void *arg, size_t step, const struct replay_result *res)
{
	struct tui	*t = arg;
	char		 buf[160];

	t->next = step + 1;
	status_view_replay_step(t->sv, t->next);
	if (t->stop_on_fail && (res->diff == REPLAY_CLASS ||
	    (res->ran && res->code >= 400))) {
		t->stop_on_fail = false;
		replay_run_until(t->rr, step + 1);
		snprintf(buf, sizeof(buf), "step %zu: %d live (%s)", step + 1,
		    res->code, replay_diff_name(res->diff));
		status_view_notice(t->sv, buf);
	}
	view_dirty(status_view_view(t->sv));
}

static void
tui_against_finished(void *arg)
{
	struct tui	*t = arg;
	char		 buf[160];

	snprintf(buf, sizeof(buf), "done: %zu same, %zu text, %zu code, %zu "
	    "class changed; r starts over",
	    replay_run_count(t->rr, REPLAY_SAME),
	    replay_run_count(t->rr, REPLAY_TEXT),
	    replay_run_count(t->rr, REPLAY_CODE),
	    replay_run_count(t->rr, REPLAY_CLASS));
	status_view_notice(t->sv, buf);
}

/* A new run from the first step (r, and at the start). */
static void
tui_against_new(struct tui *t)
{
	struct replay_run_listener	l = {
		.compared = tui_against_compared,
		.finished = tui_against_finished,
	};
	struct replay_run_options	o = {
		.target = t->opts->against,
		.user = t->opts->user,
		.secret = t->sec.p,
		.secretlen = t->sec.len,
	};

	if (t->rr != NULL) {
		replay_run_free(t->rr);
		t->rr = NULL;
		if (client_state(t->client) != CLIENT_IDLE)
			client_disconnect(t->client, "starting over");
	}
	t->stop_on_fail = false;
	t->next = 0;
	if (t->rp != NULL)
		t->rr = replay_run_new(t->client, t->rp, &o, &l, t);
	status_view_replay_step(t->sv, 0);
}

static void
tui_against_act(struct tui *t, enum tui_replay_action a)
{
	size_t	n = tui_replay_count(t);

	if (t->rr == NULL)
		return;
	switch (a) {
	case TUI_RP_STEP:
		if (replay_run_finished(t->rr))
			status_view_notice(t->sv, "the end: r starts over");
		else if (replay_run_busy(t->rr))
			status_view_notice(t->sv, "waiting for the reply");
		else
			replay_run_until(t->rr, replay_run_position(t->rr) + 1);
		break;
	case TUI_RP_FAILURE:
		t->stop_on_fail = true;
		replay_run_until(t->rr, n);
		break;
	case TUI_RP_END:
		t->stop_on_fail = false;
		replay_run_until(t->rr, n);
		break;
	case TUI_RP_RESTART:
		tui_against_new(t);
		break;
	default:
		status_view_notice(t->sv, "a live run cannot go back: r starts "
		    "over");
		break;
	}
}

/*
 * Before the screen: a target that is not loopback is confirmed on the
 * terminal (unless --yes), and a captured AUTH gets its secret afresh.
 */
static int
tui_against_prepare(struct tui *t)
{
	char	*err = NULL, answer[16], prompt[300];
	size_t	 i;
	bool	 auth = false;
	int	 rc;
	FILE	*tty;

	rc = replay_target_local(t->opts->against, &err);
	if (rc == -1) {
		fprintf(stderr, "smtptool: %s\n", err);
		free(err);
		return -1;
	}
	if (rc == 0 && !t->opts->yes) {
		if ((tty = fopen("/dev/tty", "r+")) == NULL) {
			fprintf(stderr, "smtptool: cannot ask whether to send the "
			    "capture to %s: no terminal (--yes)\n",
			    t->opts->against);
			return -1;
		}
		fprintf(tty, "%s is not a loopback address: send the captured "
		    "commands (%zu steps, their messages too) there? [y/N] ",
		    t->opts->against, tui_replay_count(t));
		fflush(tty);
		if (fgets(answer, sizeof(answer), tty) == NULL ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			fclose(tty);
			fprintf(stderr, "smtptool: not sent\n");
			return -1;
		}
		fclose(tty);
	}
	for (i = 0; i < tui_replay_count(t); i++)
		if (replay_get(t->rp, i)->verb == VERB_AUTH)
			auth = true;
	if (auth) {
		if (t->opts->user == NULL) {
			fprintf(stderr, "smtptool: cannot re-run the capture's "
			    "AUTH: it needs --user (the secret is asked for "
			    "afresh, never taken from the file)\n");
			return -1;
		}
		snprintf(prompt, sizeof(prompt), "Password for %s: ",
		    t->opts->user);
		if (secret_get(&t->sec, t->opts->password_file, prompt, true,
		    &err) == -1) {
			fprintf(stderr, "smtptool: %s\n", err);
			free(err);
			return -1;
		}
	}
	return 0;
}

/* The screen exists: the cursor on the first step, the focus on it. */
static void
tui_replay_start(struct tui *t)
{
	if (t->against) {
		transcript_view_set_notes(t->tv, t->notes);
		snprintf(t->aname, sizeof(t->aname), "%s -> %s", t->rname,
		    t->opts->against);
		status_view_set_replay(t->sv, t->rp, t->cap, t->aname);
		help_view_set_replay(t->hv, true);
		tui_against_new(t);
		tui_focus(t, TUI_FOCUS_TRANSCRIPT);
		return;
	}
	transcript_view_set_notes(t->tv, t->notes);
	status_view_set_replay(t->sv, t->rp, t->t, t->rname);
	help_view_set_replay(t->hv, true);
	if (tui_replay_count(t) > 0) {
		transcript_view_set_replay(t->tv, t->rp);
		tui_replay_goto(t, 0);
	} else
		transcript_view_home(t->tv);
	tui_focus(t, TUI_FOCUS_TRANSCRIPT);
}

/* :commands. */

/* :auth MECH [USER]: ask for the secret, hidden. */
static void
tui_auth_ask(struct tui *t, const struct script_line *sl)
{
	enum sasl_mech	 mech = sasl_mech(sl->arg, strlen(sl->arg));
	const char	*user = sl->arg2 != NULL ? sl->arg2 : t->opts->user;
	char		 prompt[80], *err = NULL;

	if (mech == SASL_NONE) {
		client_note(t->client, TRANSCRIPT_ERROR, "cannot run :auth: "
		    "no mechanism \"%s\" (PLAIN, LOGIN, CRAM-MD5, XOAUTH2, "
		    "OAUTHBEARER)", sl->arg);
		return;
	}
	if (user == NULL) {
		client_note(t->client, TRANSCRIPT_ERROR, "cannot run :auth: "
		    "whose? :auth %s USER", sasl_mech_name(mech));
		return;
	}
	if (client_state(t->client) != CLIENT_CONNECTED) {
		client_note(t->client, TRANSCRIPT_ERROR, "cannot authenticate: "
		    "not connected");
		return;
	}
	if (session_auth_ready(client_session(t->client), &err) == -1) {
		tui_note_error(t, err, "cannot authenticate");
		return;
	}
	free(t->auth_user);
	t->auth_user = xstrdup(user);
	t->auth_mech = mech;
	snprintf(prompt, sizeof(prompt), "%s for %.40s: ",
	    mech == SASL_XOAUTH2 || mech == SASL_OAUTHBEARER ? "token" :
	    "password", user);
	t->back = true;
	t->back_to = t->focus;
	tui_focus(t, TUI_FOCUS_COMMAND);
	command_view_ask_secret(t->cv, prompt);
}

/* The secret was typed (NULL: cancelled): authenticate, then wipe it. */
static void
tui_auth_answer(struct tui *t, char *secret)
{
	char	*err = NULL;

	if (secret == NULL || t->auth_user == NULL) {
		client_note(t->client, TRANSCRIPT_INFO, ":auth cancelled");
	} else if (*secret == '\0') {
		client_note(t->client, TRANSCRIPT_ERROR, "cannot authenticate: "
		    "the password is empty");
	} else if (client_auth(t->client, t->auth_mech, t->auth_user, secret,
	    strlen(secret), &err) == -1)
		tui_note_error(t, err, "cannot authenticate");
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(t->auth_user);
	t->auth_user = NULL;
}

/* :compose OPTIONS (over the command line's --from, --to, ...). */
static void
tui_compose(struct tui *t, const char *args)
{
	struct compose_options	 co = { 0 };
	char			*err = NULL;

	if (compose_parse(&co, args, &err) == -1 ||
	    compose_send(t->client, &co, t->opts->helo, &err) == -1)
		tui_note_error(t, err, "cannot compose the message");
	compose_free(&co);
}

static void
tui_colon(struct tui *t, char *line)
{
	struct script_line	 sl;
	char			*err = NULL;
	int			 rc = 0;

	if (script_parse(line, 0, &sl, &err) == -1) {
		tui_note_error(t, err, "cannot parse the command");
		return;
	}
	if (t->replaying && !tui_replay_colon(t, &sl))
		return;
	switch (sl.op) {
	case SCRIPT_CONNECT:
		rc = client_connect(t->client, sl.arg, &err);
		break;
	case SCRIPT_DISCONNECT:
		if (client_state(t->client) == CLIENT_IDLE)
			client_note(t->client, TRANSCRIPT_INFO,
			    "not connected");
		else
			client_disconnect(t->client, NULL);
		t->wait_data = false;
		break;
	case SCRIPT_STARTTLS:
		/* Exactly like typing it. */
		rc = client_send(t->client, "STARTTLS", 8, &err);
		break;
	case SCRIPT_DATA:
		rc = client_send_file(t->client, sl.arg, sl.raw, &err);
		break;
	case SCRIPT_BDAT:
		rc = client_bdat_file(t->client, sl.arg, sl.chunk, &err);
		break;
	case SCRIPT_AUTH:
		tui_auth_ask(t, &sl);
		break;
	case SCRIPT_COMPOSE:
		tui_compose(t, sl.arg);
		break;
	case SCRIPT_EXPECT:
	case SCRIPT_SLEEP:
		client_note(t->client, TRANSCRIPT_INFO, ":%s is for scripts "
		    "(smtptool --batch FILE); here you see the replies as "
		    "they come", script_table[sl.op].name);
		break;
	case SCRIPT_SAVE:
		if ((rc = transcript_save(t->t, sl.arg, &err)) == 0)
			tui_note(t, TRANSCRIPT_INFO, "saved %zu records to %s",
			    transcript_count(t->t), sl.arg);
		break;
	case SCRIPT_EXPORT:
		if ((rc = transcript_export_jsonl(t->t, sl.arg, &err)) == 0)
			tui_note(t, TRANSCRIPT_INFO,
			    "exported %zu records to %s as JSON Lines",
			    transcript_count(t->t), sl.arg);
		break;
	case SCRIPT_FILTER:
		tui_filter(t, sl.arglen > 0 ? sl.arg : NULL);
		break;
	case SCRIPT_RULES:
		if (strcmp(sl.arg, "off") == 0) {
			client_set_rules(t->client, NULL, 0, NULL);
			client_note(t->client, TRANSCRIPT_INFO, "rules off");
		} else if ((rc = client_set_rules(t->client, sl.arg,
		    t->opts->seed, &err)) == 0)
			client_note(t->client, TRANSCRIPT_INFO, "rules on: %s "
			    "(F4 pauses them); a command a rule answers is not "
			    "sent, its reply shows as <!", sl.arg);
		view_dirty(status_view_view(t->sv));
		break;
	case SCRIPT_HELP:
		tui_help(t, true);
		break;
	case SCRIPT_QUIT:
		tui_request_quit(t);
		break;
	case SCRIPT_SEND:
	case SCRIPT_COMMENT:
	default:
		break;
	}
	if (rc == -1) {
		tui_note_error(t, err, "cannot run the command");
	}
}

/* Lines to the client. */

/*
 * Keep the next line out of the history?  An answer to a SASL challenge
 * is; an AUTH line goes in masked (command_view_history_add masks it).
 */
static bool
tui_secret(const struct tui *t)
{
	struct session	*s = t->client != NULL ? client_session(t->client) :
			    NULL;

	return s != NULL && session_wants_sasl_response(s);
}

/* Hand one line over: a :command, a search, or a line for the server. */
static void
tui_dispatch(struct tui *t, char *line)
{
	size_t	len = strlen(line);
	bool	message = tui_in_message(t);
	char	*err = NULL;

	if (!message) {
		if (line[0] == ':') {
			if (!tui_secret(t))
				command_view_history_add(t->cv, line);
			tui_colon(t, line);
			return;
		}
		if (line[0] == '/') {
			command_view_history_add(t->cv, line);
			tui_search(t, line + 1);
			return;
		}
		if (line[0] == '&') {
			command_view_history_add(t->cv, line);
			tui_filter(t, line[1] != '\0' ? line + 1 : NULL);
			return;
		}
		if (strspn(line, " \t") == len)
			return;		/* nothing typed */
		if (!tui_secret(t))
			command_view_history_add(t->cv, line);
	}
	if (t->replaying) {
		tui_note(t, TRANSCRIPT_INFO, "replay is offline: nothing is "
		    "sent (smtptool replay FILE --against HOST re-runs it "
		    "live)");
		return;
	}
	if (client_send(t->client, line, len, &err) == -1) {
		tui_note_error(t, err, "cannot send the line");
		return;
	}
	if (!message && command_verb_of(line, len) == VERB_DATA)
		t->wait_data = true;	/* the next lines may be text */
}

/*
 * Lines wait while the connection is being made, for the banner, and for
 * the answer to DATA (it decides whether the next line is message text).
 */
static bool
tui_gated(struct tui *t)
{
	struct session	*s;

	if (t->client == NULL)
		return false;	/* a replay: nothing waits */
	s = client_session(t->client);
	switch (client_state(t->client)) {
	case CLIENT_CONNECTING:
		return true;
	case CLIENT_CONNECTED:
		if (s == NULL)
			return false;
		if (session_phase(s) == PHASE_BANNER)
			return true;
		if (session_tls_wanted(s))
			return true;	/* the handshake comes first */
		if (t->wait_data && session_pending(s) > 0)
			return true;
		t->wait_data = false;
		return false;
	default:
		t->wait_data = false;
		return false;
	}
}

static void
tui_drain(struct tui *t)
{
	struct tui_line	l;

	t->drain = false;
	while (t->nout > 0 && !t->quit) {
		/* A :command typed alone does not wait (:disconnect). */
		if (tui_gated(t) && !(t->out[0].single &&
		    t->out[0].text[0] == ':' && !tui_in_message(t)))
			return;
		l = t->out[0];
		memmove(&t->out[0], &t->out[1], --t->nout * sizeof(t->out[0]));
		tui_dispatch(t, l.text);
		free(l.text);
	}
}

static void
tui_queue_line(struct tui *t, const char *p, size_t n, bool single)
{
	struct tui_line	*nl;
	char		*s;

	if (t->nout == t->capout) {
		t->capout = t->capout == 0 ? 16 : t->capout * 2;
		if ((nl = realloc(t->out, t->capout * sizeof(*nl))) == NULL) {
			t->capout = t->nout;
			return;
		}
		t->out = nl;
	}
	if ((s = strndup(p, n)) == NULL)
		return;
	t->out[t->nout].text = s;
	t->out[t->nout].single = single;
	t->nout++;
}

/* An entered line: a paste may hold several, each one a line. */
static void
tui_entered(struct tui *t, char *line)
{
	const char	*p = line, *e;
	size_t		 n, len = strlen(line);
	bool		 single = strpbrk(line, "\r\n") == NULL;

	while (p < line + len) {
		e = p + strcspn(p, "\r\n");
		n = (size_t)(e - p);
		tui_queue_line(t, p, n, single);
		if (*e == '\r' && e[1] == '\n')
			e++;
		p = *e != '\0' ? e + 1 : e;
	}
	if (len == 0)
		tui_queue_line(t, "", 0, true);
	tui_drain(t);
}

/* The chain as PEM. */

/* Write LEN bytes of S to PATH (created 0644, or truncated). */
static int
tui_write_file(const char *path, const char *s, size_t len, char **errstr)
{
	FILE	*f;
	int	 e;

	if ((f = fopen(path, "w")) == NULL)
		return seterr(errstr, "cannot write %s: %s", path,
		    strerror(errno));
	if (fwrite(s, 1, len, f) != len || fflush(f) != 0) {
		e = errno;
		fclose(f);
		return seterr(errstr, "cannot write %s: %s", path,
		    strerror(e));
	}
	if (fclose(f) != 0)
		return seterr(errstr, "cannot write %s: %s", path,
		    strerror(errno));
	return 0;
}

/* The answer to "write the chain to": a file name ("~/" is $HOME). */
static void
tui_write_chain(struct tui *t, char *answer)
{
	const struct tls_info	*info = client_tls_info(t->client);
	const char		*home = getenv("HOME");
	char			 path[PATH_MAX], msg[PATH_MAX + 64];
	char			*pem, *err = NULL;
	size_t			 n;

	answer += strspn(answer, " \t");
	for (n = strlen(answer); n > 0 && (answer[n - 1] == ' ' ||
	    answer[n - 1] == '\t'); n--)
		answer[n - 1] = '\0';
	if (answer[0] == '\0') {
		status_view_notice(t->sv, "no file name: nothing written");
		return;
	}
	if (strncmp(answer, "~/", 2) == 0 && home != NULL && home[0] != '\0')
		snprintf(path, sizeof(path), "%s/%s", home, answer + 2);
	else
		snprintf(path, sizeof(path), "%s", answer);
	if (info == NULL || info->nchain == 0) {
		client_note(t->client, TRANSCRIPT_ERROR,
		    "cannot write %s: no certificate chain (no TLS)", path);
		return;
	}
	pem = tls_info_pem(info);
	/* The pane says it too: the transcript may be hidden. */
	if (tui_write_file(path, pem != NULL ? pem : "", pem != NULL ?
	    strlen(pem) : 0, &err) == -1) {
		tls_view_message(t->tlsv, err != NULL ? err : "cannot write",
		    true);
		tui_note_error(t, err, "cannot write the chain");
	} else {
		client_note(t->client, TRANSCRIPT_INFO,
		    "wrote the chain (%zu certificate%s) to %s", info->nchain,
		    info->nchain == 1 ? "" : "s", path);
		snprintf(msg, sizeof(msg), "wrote the chain (%zu "
		    "certificate%s) to %s", info->nchain, info->nchain == 1 ?
		    "" : "s", path);
		tls_view_message(t->tlsv, msg, false);
	}
	free(pem);
}

/* w in the TLS pane: ask for the file, with a default from the name. */
static void
tui_ask_chain_file(struct tui *t)
{
	const char	*peer = client_peer(t->client);
	char		 host[256] = "", port[32], name[300], *err = NULL;

	if (peer != NULL && client_parse_target(peer, host, sizeof(host),
	    port, sizeof(port), &err) == -1) {
		free(err);
		host[0] = '\0';
	}
	tls_view_pem_name(client_tls_info(t->client), host, name,
	    sizeof(name));
	t->back = true;
	t->back_to = t->focus;
	tui_focus(t, TUI_FOCUS_COMMAND);
	command_view_ask(t->cv, "write the chain to: ", name);
}

/* Act on what readline delivered. */
static void
tui_take_lines(struct tui *t)
{
	enum command_view_input	 in;
	enum command_view_mode	 mode;
	char			*line, *nl;

	while ((in = command_view_take(t->cv, &line, &mode)) !=
	    CMD_INPUT_NONE) {
		if (mode == CMD_MODE_SECRET) {
			tui_auth_answer(t, line);
			tui_focus_back(t);
		} else if (mode == CMD_MODE_SEARCH || mode == CMD_MODE_FILTER ||
		    mode == CMD_MODE_ASK) {
			if (line != NULL) {
				/* One answer: the first line of a paste. */
				if ((nl = strpbrk(line, "\r\n")) != NULL)
					*nl = '\0';
				if (mode == CMD_MODE_SEARCH)
					tui_search(t, line);
				else if (mode == CMD_MODE_FILTER)
					tui_filter(t, line[0] != '\0' ? line :
					    NULL);
				else
					tui_write_chain(t, line);
			}
			tui_focus_back(t);
		} else if (in == CMD_INPUT_EOF)
			tui_request_quit(t);
		else
			tui_entered(t, line);
		free(line);
	}
}

/* Keys. */

enum tui_decoded {
	TUI_DEC_KEY,		/* *key, *used bytes */
	TUI_DEC_PARTIAL,	/* the start of a sequence: wait a little */
};

/* Decode the key at the head of the queue. */
static enum tui_decoded
tui_decode(const unsigned char *p, size_t n, int *key, size_t *used)
{
	size_t	i, len;
	bool	prefix = false;

	*key = p[0];
	*used = 1;
	if (p[0] != 0x1b)
		return TUI_DEC_KEY;
	for (i = 0; i < sizeof(tui_keyseqs) / sizeof(tui_keyseqs[0]); i++) {
		len = strlen(tui_keyseqs[i].seq);
		if (n >= len && memcmp(p, tui_keyseqs[i].seq, len) == 0) {
			*key = tui_keyseqs[i].key;
			*used = len;
			return TUI_DEC_KEY;
		}
		if (n < len && memcmp(p, tui_keyseqs[i].seq, n) == 0)
			prefix = true;
	}
	if (n == 1 || prefix)
		return TUI_DEC_PARTIAL;
	if (p[1] == '[') {
		/* CSI: parameters, intermediates, a final byte. */
		for (i = 2; i < n; i++) {
			if (p[i] >= 0x40 && p[i] <= 0x7e) {
				*key = TUI_KEY_OTHER;
				*used = i + 1;
				return TUI_DEC_KEY;
			}
			if (p[i] < 0x20 || p[i] > 0x7e)
				return TUI_DEC_KEY;	/* a lone ESC */
		}
		return TUI_DEC_PARTIAL;
	}
	if (p[1] == 'O') {
		if (n < 3)
			return TUI_DEC_PARTIAL;
		*key = TUI_KEY_OTHER;
		*used = 3;
	}
	return TUI_DEC_KEY;
}

static enum tui_action
tui_global(int key)
{
	size_t	i;

	for (i = 0; i < sizeof(tui_global_keys) / sizeof(tui_global_keys[0]);
	    i++)
		if (tui_global_keys[i].key == key)
			return tui_global_keys[i].action;
	return TUI_ACT_NONE;
}

/* Ctrl-Z: give the terminal back, stop, and take it again. */
static void
tui_suspend(struct tui *t)
{
	struct sigaction	sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTSTP, &sa, &old) == -1)
		return;
	if (old.sa_handler == SIG_IGN) {
		/* No job control here: stay. */
		sigaction(SIGTSTP, &old, NULL);
		status_view_notice(t->sv, "cannot suspend: no job control");
		return;
	}
	command_view_paste(false);
	endwin();
	kill(0, SIGTSTP);
	/* Continued. */
	sigaction(SIGTSTP, &old, NULL);
	command_view_paste(true);
	tui_resize(t);
}

static void
tui_act(struct tui *t, enum tui_action a)
{
	/* PgUp, PgDn: the TLS pane when focused or alone on the screen. */
	bool	tls = t->focus == TUI_FOCUS_TLS || tui_tls_replaces(t);

	switch (a) {
	case TUI_ACT_PAGE_UP:
		if (tls)
			tls_view_page(t->tlsv, -1);
		else
			transcript_view_page(t->tv, -1);
		view_dirty(status_view_view(t->sv));	/* SCROLL */
		break;
	case TUI_ACT_PAGE_DOWN:
		if (tls)
			tls_view_page(t->tlsv, 1);
		else
			transcript_view_page(t->tv, 1);
		view_dirty(status_view_view(t->sv));	/* SCROLL */
		break;
	case TUI_ACT_HELP:
		tui_help(t, true);
		break;
	case TUI_ACT_TLS:
		if (t->tlsv == NULL)
			status_view_notice(t->sv, "a replay has no TLS "
			    "inspector: the capture's TLS lines are in the "
			    "transcript");
		else
			tui_show_tls(t, !t->tls_shown);
		break;
	case TUI_ACT_RULES:
		if (t->replaying)
			status_view_notice(t->sv, "a replay has no rules: "
			    "nothing is sent");
		else if (client_rules(t->client) == NULL)
			client_note(t->client, TRANSCRIPT_INFO, "no rules "
			    "loaded: :rules FILE (examples in share/rules/)");
		else {
			client_rules_pause(t->client,
			    !client_rules_paused(t->client));
			client_note(t->client, TRANSCRIPT_INFO, "rules %s: %s",
			    client_rules_paused(t->client) ? "paused" : "on",
			    client_rules(t->client));
		}
		view_dirty(status_view_view(t->sv));
		break;
	case TUI_ACT_FOCUS:
		tui_focus_next(t);
		break;
	case TUI_ACT_REDRAW:
		tui_redraw_all(t);
		break;
	case TUI_ACT_CLEAR:
		if (t->quitting) {
			tui_quit_now(t, EXIT_OK);
			break;
		}
		if (command_view_mode(t->cv) == CMD_MODE_SECRET)
			tui_auth_answer(t, NULL);	/* :auth cancelled */
		command_view_clear_line(t->cv);
		tui_focus_back(t);
		break;
	case TUI_ACT_SUSPEND:
		tui_suspend(t);
		break;
	case TUI_ACT_NONE:
	default:
		break;
	}
}

/* A key for the transcript pane. */
static void
tui_transcript_key(struct tui *t, int key)
{
	enum tui_replay_action	 a;
	const char		*notice;
	int			 r;

	if (t->replaying && (a = tui_replay_key(key)) != TUI_RP_NONE) {
		tui_replay_act(t, a);
		view_dirty(status_view_view(t->sv));
		return;
	}
	r = view_key(transcript_view_view(t->tv), key);
	if ((notice = transcript_view_take_notice(t->tv)) != NULL)
		status_view_notice(t->sv, notice);
	if (r & (VIEW_KEY_SEARCH | VIEW_KEY_FILTER)) {
		tui_focus(t, TUI_FOCUS_COMMAND);
		t->back = true;
		t->back_to = TUI_FOCUS_TRANSCRIPT;
		command_view_set_mode(t->cv, r & VIEW_KEY_SEARCH ?
		    CMD_MODE_SEARCH : CMD_MODE_FILTER);
	} else if (r & VIEW_KEY_FOCUS_COMMAND)
		tui_focus(t, TUI_FOCUS_COMMAND);
	view_dirty(status_view_view(t->sv));
}

/* A key for the TLS pane. */
static void
tui_tls_key(struct tui *t, int key)
{
	const char	*notice;
	int		 r;

	r = view_key(tls_view_view(t->tlsv), key);
	if ((notice = tls_view_take_notice(t->tlsv)) != NULL)
		status_view_notice(t->sv, notice);
	if (r & TLS_VIEW_KEY_WRITE)
		tui_ask_chain_file(t);
	else if (r & VIEW_KEY_CLOSE)
		tui_show_tls(t, false);
	else if (r & VIEW_KEY_FOCUS_COMMAND)
		tui_focus(t, TUI_FOCUS_COMMAND);
	view_dirty(status_view_view(t->sv));
}

/* Handle the keys queued, until the queue is empty or an ESC is held. */
static void
tui_input(struct tui *t, uint64_t now)
{
	const unsigned char	*p;
	enum tui_action		 a;
	size_t			 n, used;
	int			 key, stuck = 0;

	t->hold_until = 0;
	while (!t->quit && (n = command_view_peek_input(&p)) > 0) {
		if (tui_decode(p, n, &key, &used) == TUI_DEC_PARTIAL) {
			if (now < t->input_at + TUI_ESC_HOLD_US) {
				t->hold_until = t->input_at + TUI_ESC_HOLD_US;
				return;
			}
			key = p[0];
			used = 1;
		}
		status_view_notice(t->sv, NULL);
		if (help_view_visible(t->hv)) {
			command_view_drop_input(used);
			if (key == TUI_CTRL('Z'))
				tui_suspend(t);
			else if (view_key(help_view_view(t->hv), key) &
			    VIEW_KEY_CLOSE)
				tui_help(t, false);
			continue;
		}
		if ((a = tui_global(key)) != TUI_ACT_NONE) {
			command_view_drop_input(used);
			tui_act(t, a);
			continue;
		}
		if (t->focus != TUI_FOCUS_COMMAND) {
			if (key == TUI_KEY_PASTE || (t->replaying &&
			    t->focus == TUI_FOCUS_TRANSCRIPT && key == ':')) {
				/*
				 * A paste is for the command line, and so
				 * is a :command typed in a replay's pane.
				 */
				tui_focus(t, TUI_FOCUS_COMMAND);
				continue;
			}
			command_view_drop_input(used);
			if (t->focus == TUI_FOCUS_TLS)
				tui_tls_key(t, key);
			else
				tui_transcript_key(t, key);
			continue;
		}
		command_view_feed(t->cv);
		tui_take_lines(t);
		/* Readline must take a byte now and then; never spin. */
		if (command_view_peek_input(&p) == n && ++stuck > 8) {
			command_view_drop_input(1);
			stuck = 0;
		} else if (command_view_peek_input(&p) != n)
			stuck = 0;
	}
}

/* Loop sources. */

static void
tui_tty_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct tui	*t = src->arg;
	unsigned char	 buf[TUI_READ_SIZE];
	ssize_t		 n;

	if (revents & POLLIN) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n > 0) {
			command_view_push_input(buf, (size_t)n);
			/* It may hold a secret typed at the hidden prompt. */
			explicit_bzero(buf, (size_t)n);
			t->input_at = now;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			/* The terminal is gone. */
			tui_quit_now(t, EXIT_OK);
			return;
		}
	} else if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		tui_quit_now(t, EXIT_OK);
		return;
	}
	tui_input(t, now);
}

static void
tui_timer_prepare(struct loop_source *src, uint64_t now)
{
	struct tui	*t = src->arg;
	uint64_t	 d = 0;

	(void)now;
	if (t->hold_until != 0)
		d = t->hold_until;
	if (t->quitting && (d == 0 || t->quit_deadline < d))
		d = t->quit_deadline;
	src->deadline = d;
	src->ready = t->drain && t->nout > 0 && !tui_gated(t);
}

static void
tui_timer_dispatch(struct loop_source *src, short revents, uint64_t now)
{
	struct tui	*t = src->arg;

	(void)revents;
	if (t->quitting && now >= t->quit_deadline) {
		tui_quit_now(t, EXIT_OK);
		return;
	}
	if (t->hold_until != 0 && now >= t->hold_until)
		tui_input(t, now);
	if (t->drain)
		tui_drain(t);
	tui_take_lines(t);
}

/* Signals, run from the loop (the handler only wrote to the pipe). */
static void
tui_on_signal(int sig, void *arg)
{
	struct tui	*t = arg;

	switch (sig) {
	case SIGWINCH:
		tui_resize(t);
		break;
	case SIGCONT:
		/* Stopped from outside: take the terminal again. */
		command_view_paste(true);
		tui_resize(t);
		break;
	default:
		tui_quit_now(t, 128 + sig);
		break;
	}
}

/* The client's news. */

static void
tui_on_event(void *arg, const struct session_event *ev)
{
	struct tui	*t = arg;

	if (t->rr != NULL)
		replay_run_event(t->rr, ev);
	switch (ev->type) {
	case SEV_T_PHASE:
		t->drain = true;
		break;
	case SEV_T_CAPS:
		command_view_set_caps(t->cv, ev->caps->known ? ev->caps : NULL);
		break;
	case SEV_T_REPLY:
	case SEV_T_CLOSE:
		t->drain = true;
		break;
	case SEV_T_TLS:
		/* The inspector shows the new model (or why there is none). */
		tls_view_tls_event(t->tlsv, ev->tls_ev);
		if (ev->tls_ev == TLS_UP && !t->tls_shown)
			status_view_notice(t->sv, ev->verified ?
			    "TLS is up: F3 shows the chain" :
			    "TLS is up, NOT verified: F3 says why");
		t->drain = true;
		break;
	default:
		break;
	}
	view_dirty(status_view_view(t->sv));
}

static void
tui_on_state(void *arg, enum client_state st)
{
	struct tui	*t = arg;

	if (t->rr != NULL)
		replay_run_state(t->rr, st);
	if (st == CLIENT_IDLE && t->quitting)
		tui_quit_now(t, EXIT_OK);
	tls_view_reset(t->tlsv);
	t->drain = true;
	view_dirty(status_view_view(t->sv));
}

static void
tui_on_record(void *arg, const struct transcript_record *r)
{
	struct tui	*t = arg;

	(void)r;
	transcript_view_appended(t->tv);
	view_dirty(status_view_view(t->sv));
}

/* Drawing: every dirty view, the command line last, one doupdate(). */
static void
tui_draw(struct tui *t)
{
	struct view	*tv = transcript_view_view(t->tv);
	struct view	*sv = status_view_view(t->sv);
	struct view	*cv = command_view_view(t->cv);
	struct view	*lv = command_view_listing(t->cv);
	struct view	*hv = help_view_view(t->hv);
	struct view	*lsv = t->tlsv != NULL ? tls_view_view(t->tlsv) : NULL;
	enum command_view_mode want;
	bool		 drew = false, below = false;
	int		 ll, cursor;

	/* The prompt follows the phase. */
	want = tui_in_message(t) ? CMD_MODE_MESSAGE : CMD_MODE_COMMAND;
	command_view_set_mode(t->cv, want);

	/* The completion listing sits over the bottom of the panes. */
	ll = command_view_listing_lines(t->cv, COLS, LINES - 2);
	if ((ll > 0) != t->listing_shown) {
		t->listing_shown = ll > 0;
		view_dirty(tv);
		if (lsv != NULL)
			view_dirty(lsv);
	}
	if (ll > 0 && lv->dirty)
		view_resize(lv, LINES - 2 - ll, 0, ll, COLS);

	if (view_draw(tv, false))
		drew = below = true;
	if (lsv != NULL && view_draw(lsv, false))
		drew = below = true;
	if (ll > 0 && view_draw(lv, below))
		drew = true;
	if (view_draw(sv, false))
		drew = below = true;
	if (view_draw(hv, below))
		drew = true;
	if (!drew && !cv->dirty)
		return;
	view_draw(cv, true);	/* last: it owns the cursor */
	cursor = t->focus == TUI_FOCUS_COMMAND && !help_view_visible(t->hv);
	if (cursor != t->cursor) {
		curs_set(cursor);
		t->cursor = cursor;
	}
	doupdate();
}

/* Start-up and the loop. */

static bool
tui_want_color(enum tui_color c)
{
	const char	*nc = getenv("NO_COLOR");

	switch (c) {
	case TUI_COLOR_NEVER:
		return false;
	case TUI_COLOR_ALWAYS:
		return true;
	default:
		return nc == NULL || nc[0] == '\0';
	}
}

static int
tui_start_curses(struct tui *t)
{
	tui_saved_tio_ok = tcgetattr(STDIN_FILENO, &tui_saved_tio) == 0;
	if ((t->screen = newterm(NULL, stdout, stdin)) == NULL) {
		fprintf(stderr, "smtptool: cannot start the screen: is TERM "
		    "(%s) right?\n", getenv("TERM") != NULL ? getenv("TERM") :
		    "unset");
		return -1;
	}
	set_term(t->screen);
	tui_curses_on = true;
	tui_crash_setup();
	raw();
	noecho();
	nonl();
	typeahead(-1);		/* never cut an update short: we read fd 0 */
	intrflush(stdscr, FALSE);
	t->cursor = 1;
	curs_set(1);
	theme_init(tui_want_color(t->opts->color));
	return 0;
}

static void
tui_free(struct tui *t)
{
	size_t	i;

	if (t->cv != NULL)
		command_view_stop(t->cv);
	tui_end_curses();
	replay_run_free(t->rr);
	t->rr = NULL;
	if (t->client != NULL)
		client_free(t->client);
	secret_clear(&t->sec);
	serve_stop(t->sandbox);
	for (i = 0; i < t->nearly; i++)
		free(t->early[i]);
	view_free(t->cv != NULL ? command_view_view(t->cv) : NULL);
	view_free(t->hv != NULL ? help_view_view(t->hv) : NULL);
	view_free(t->tlsv != NULL ? tls_view_view(t->tlsv) : NULL);
	view_free(t->sv != NULL ? status_view_view(t->sv) : NULL);
	view_free(t->tv != NULL ? transcript_view_view(t->tv) : NULL);
	if (t->screen != NULL) {
		delscreen(t->screen);
		t->screen = NULL;
	}
	/* The replay reads t: before it. */
	replay_free(t->rp);
	t->rp = NULL;
	if (t->t != NULL) {
		transcript_record_to(t->t, NULL, NULL);
		transcript_free(t->t);
	}
	if (t->notes != NULL)
		transcript_free(t->notes);
	if (t->cap != NULL)
		transcript_free(t->cap);
	for (i = 0; i < t->nout; i++)
		free(t->out[i].text);
	free(t->out);
	if (t->loop != NULL)
		loop_free(t->loop);
}

/* A line from the sandbox: into the transcript (kept until it exists). */
static void
tui_sandbox_log(void *arg, const char *line)
{
	struct tui	*t = arg;

	if (t->client != NULL && t->sv != NULL)
		client_note(t->client, TRANSCRIPT_INFO, "sandbox: %s", line);
	else if (t->nearly < sizeof(t->early) / sizeof(t->early[0]))
		t->early[t->nearly++] = xstrdup(line);
}

/* No target: the sandbox in our own loop, on a free loopback port. */
static void
tui_start_sandbox(struct tui *t)
{
	struct serve_options	 so = t->opts->serve;
	char			*err = NULL;

	if (so.listen == NULL)
		so.listen = "127.0.0.1:0";
	so.log = tui_sandbox_log;
	so.log_arg = t;
	t->sandbox = serve_start(t->loop, &so, t->sandbox_addr,
	    sizeof(t->sandbox_addr), &err);
	if (t->sandbox == NULL) {
		tui_sandbox_log(t, err != NULL ? err :
		    "cannot start the sandbox");
		free(err);
		return;
	}
	/* Its STARTTLS verifies: trust the root it made. */
	if (t->copts.tls.ca_file == NULL)
		t->copts.tls.ca_file = serve_ca_file(t->sandbox);
}

/* The live screen starts: the sandbox's notes, rules, the connection. */
static void
tui_start_live(struct tui *t)
{
	const struct tui_options	*opts = t->opts;
	char				*err = NULL;
	size_t				 i;

	for (i = 0; i < t->nearly; i++)
		client_note(t->client, TRANSCRIPT_INFO, "sandbox: %s",
		    t->early[i]);
	if (opts->rules != NULL) {
		if (client_set_rules(t->client, opts->rules, opts->seed,
		    &err) == -1) {
			tui_note_error(t, err, "cannot load rules");
			err = NULL;
		} else
			client_note(t->client, TRANSCRIPT_INFO, "rules on: %s "
			    "(F4 pauses them)", opts->rules);
	}
	if (opts->target != NULL) {
		if (client_connect(t->client, opts->target, &err) == -1) {
			tui_note_error(t, err, "cannot connect");
			err = NULL;
		}
	} else if (t->sandbox != NULL) {
		client_note(t->client, TRANSCRIPT_INFO, "this is smtptool's "
		    "built-in sandbox SMTP server on %s, for trying things "
		    "out: type EHLO me.example to begin; STARTTLS works "
		    "(verified), AUTH PLAIN/LOGIN/CRAM-MD5 with the demo "
		    "account %s/%s; messages go to %s.  :connect HOST talks "
		    "to a real server; :quit or Ctrl-D leaves",
		    t->sandbox_addr, SERVE_USER, SERVE_PASSWORD,
		    serve_maildir(t->sandbox) != NULL ?
		    serve_maildir(t->sandbox) : "nowhere (--discard)");
		if (client_connect(t->client, t->sandbox_addr, &err) == -1) {
			tui_note_error(t, err, "cannot connect");
			err = NULL;
		}
	} else
		client_note(t->client, TRANSCRIPT_INFO, "not connected: type "
		    ":connect HOST[:PORT] to connect; F1 or :help for help; "
		    ":quit or Ctrl-D to quit");
}

int
tui_run(const struct tui_options *opts)
{
	static const int	 sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGCONT,
				    SIGWINCH };
	static bool		 registered;
	struct tui		 tui, *t = &tui;
	struct client_listener	 listener = {
		.event = tui_on_event,
		.state = tui_on_state,
		.record = tui_on_record,
	};
	char			*err = NULL;
	size_t			 i;
	int			 code;

	memset(t, 0, sizeof(*t));
	t->opts = opts;
	t->replaying = opts->replay != NULL;
	t->against = t->replaying && opts->against != NULL;
	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);

	/* A replay's capture first: a file that cannot be read is exit 3. */
	t->t = transcript_new();
	if (t->replaying && tui_replay_load(t) == -1) {
		tui_free(t);
		return EXIT_SCRIPT;
	}
	if (t->against && tui_against_prepare(t) == -1) {
		tui_free(t);
		return EXIT_USAGE;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "smtptool: the full-screen mode needs a "
		    "terminal; use %s\n", t->replaying ?
		    "smtptool replay FILE --batch" :
		    "--batch FILE for scripts");
		tui_free(t);
		return EXIT_USAGE;
	}

	/* Signals before curses: ncurses keeps handlers it finds. */
	t->loop = loop_new();
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		loop_signal(t->loop, sigs[i], tui_on_signal, t);

	if (!t->replaying || t->against) {
		t->copts = opts->client;
		if (opts->target == NULL && opts->sandbox && !t->replaying)
			tui_start_sandbox(t);
		if (opts->record != NULL &&
		    transcript_record_to(t->t, opts->record, &err) == -1) {
			fprintf(stderr, "smtptool: %s\n", err != NULL ? err :
			    "cannot record the transcript");
			free(err);
			tui_free(t);
			return EXIT_SCRIPT;
		}
	}

	/* readline before curses: inputrc errors on the normal screen. */
	if (command_view_setup(STDIN_FILENO, &err) == -1) {
		fprintf(stderr, "smtptool: %s\n", err != NULL ? err :
		    "cannot set up readline");
		free(err);
		tui_free(t);
		return EXIT_USAGE;
	}

	if (!registered) {
		atexit(tui_atexit);
		registered = true;
	}
	if (tui_start_curses(t) == -1) {
		tui_free(t);
		return EXIT_USAGE;
	}
	t->tv = transcript_view_new(t->t);
	if (!t->replaying || t->against) {
		t->client = client_new(t->loop, t->t, &t->copts, &listener,
		    t);
		t->tlsv = tls_view_new(t->client);
	}
	t->sv = status_view_new(t->client, t->tv);
	if (t->replaying)
		t->hv = help_view_new(tui_replay_key_help,
		    sizeof(tui_replay_key_help) /
		    sizeof(tui_replay_key_help[0]));
	else
		t->hv = help_view_new(tui_key_help,
		    sizeof(tui_key_help) / sizeof(tui_key_help[0]));
	t->cv = command_view_new();
	if (t->sv == NULL || t->hv == NULL || t->cv == NULL) {
		tui_free(t);
		fprintf(stderr, "smtptool: cannot allocate the screen\n");
		return EXIT_USAGE;
	}
	tui_layout(t);
	command_view_paste(true);

	t->tty.fd = STDIN_FILENO;
	t->tty.events = POLLIN;
	t->tty.dispatch = tui_tty_dispatch;
	t->tty.arg = t;
	loop_add(t->loop, &t->tty);
	t->timer.fd = -1;
	t->timer.prepare = tui_timer_prepare;
	t->timer.dispatch = tui_timer_dispatch;
	t->timer.arg = t;
	loop_add(t->loop, &t->timer);

	if (t->replaying)
		tui_replay_start(t);
	else
		tui_start_live(t);

	while (!t->quit) {
		tui_draw(t);
		loop_once(t->loop, -1);
		if (t->rr != NULL)
			replay_run_poll(t->rr);
	}
	code = t->exit_code;
	tui_free(t);
	return code;
}
