/*
 * The command line: GNU readline through its callback interface, drawn
 * inside curses (see shared/NOTES-readline.md).  readline is global state,
 * so there is one command view.  The TUI owns the terminal and feeds
 * bytes: it pushes what it read from the tty into the view's input queue
 * (the queue rl_getc_function reads), decodes its own keys from the head
 * of the queue, and calls command_view_feed() for the rest.  Lines the
 * person entered are queued and taken with command_view_take() once
 * readline has returned, so that no action ever runs inside readline.
 */
#ifndef COMMAND_VIEW_H
#define COMMAND_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

/* What the command line is asking for. */
enum command_view_mode {
	CMD_MODE_COMMAND,	/* SMTP lines and :commands ("smtp> ") */
	CMD_MODE_MESSAGE,	/* message text after a 354 ("data> ") */
	CMD_MODE_SEARCH,	/* a search regex ("/"): the line is put back */
	CMD_MODE_FILTER,	/* a filter regex ("&"): the line is put back */
	CMD_MODE_ASK,		/* an answer (command_view_ask): put back too */
	CMD_MODE_SECRET,	/* a secret (command_view_ask_secret): put back */
	CMD_MODE_LAST
};

/* What command_view_take() found. */
enum command_view_input {
	CMD_INPUT_NONE,
	CMD_INPUT_LINE,		/* *line (allocated; the caller frees) */
	CMD_INPUT_EOF,		/* Ctrl-D on an empty line, or the tty hung up */
};

struct caps;
struct command_view;

/*
 * Before curses starts: readline's variables, rl_initialize() (inputrc
 * errors land on the normal screen) and the history file.  FD is the tty
 * (0).  -1 with *errstr (allocated) when readline cannot be set up.
 */
int	command_view_setup(int fd, char **errstr);

/* After curses started: the view, the key bindings, the line handler. */
struct command_view	*command_view_new(void);
struct view		*command_view_view(struct command_view *);
/* The completion listing: an overlay above the command line. */
struct view		*command_view_listing(struct command_view *);
/*
 * Lines the listing wants on a screen COLS wide (0 when hidden), at most
 * MAX; the caller places it with view_resize().
 */
int	command_view_listing_lines(struct command_view *, int cols, int max);
/* Remove the line handler and write the history. */
void	command_view_stop(struct command_view *);

/* The screen size changed (readline is told). */
void	command_view_screen_size(int lines, int cols);
/* Bracketed paste on or off: writes ESC[?2004h / ESC[?2004l to fd 1. */
void	command_view_paste(bool on);

/* The input queue. */
void	command_view_push_input(const void *, size_t);
/* The bytes queued (a pointer to the head), and their count. */
size_t	command_view_peek_input(const unsigned char **);
void	command_view_drop_input(size_t);
/* Give readline the next key from the queue (it may read several bytes). */
void	command_view_feed(struct command_view *);
/* Take an entered line; *mode gets the mode it was entered in. */
enum command_view_input command_view_take(struct command_view *,
	    char **line, enum command_view_mode *mode);

/*
 * Ask for one answer (a file name, ...) with PROMPT (at most 95 bytes kept)
 * and the line prefilled with INITIAL (may be NULL), the cursor at its end.
 * Like a search, the half-typed line is set aside and put back once the
 * answer is entered (taken with mode CMD_MODE_ASK) or cancelled (Ctrl-C).
 * Tab completes file names.
 */
void	command_view_ask(struct command_view *, const char *prompt,
	    const char *initial);

/*
 * Ask for a secret (a password, a token) with PROMPT (at most 95 bytes
 * kept; NULL: "secret: ").  Like command_view_ask() the half-typed line is
 * set aside and put back once the answer is entered (taken with mode
 * CMD_MODE_SECRET; the caller wipes the returned line with explicit_bzero
 * before freeing it) or cancelled (Ctrl-C, command_view_clear_line(): no
 * line is taken, the caller learns it from its own Ctrl-C).  Ctrl-D on an
 * empty line is taken as CMD_INPUT_EOF with mode CMD_MODE_SECRET (the line
 * set aside is back): treat it as a cancel, not a quit.
 *
 * What is typed is never drawn (not even as '*': its length would show),
 * never reaches the history, the kill ring or the completion: a keymap of
 * its own keeps the editing keys (motion, Backspace, Delete, Ctrl-U/K/W
 * and M-d deleting without the kill ring, bracketed paste, which drops CR
 * and LF) and turns every other command (yank, history, search,
 * completion, undo, macros) into nothing; the history is swapped out
 * meanwhile.  The queued key bytes are wiped once consumed, and readline's
 * line buffer (made 8 KiB first so that it never moves) and undo list are
 * wiped once the line is taken or cancelled.  While the secret prompt is
 * up, switching to SEARCH, FILTER or ASK (and command_view_ask()) is
 * refused: check command_view_mode().
 */
void	command_view_ask_secret(struct command_view *, const char *prompt);

/*
 * The capabilities the server advertised, for completion: NULL (or caps
 * not known) when none are known.  The view copies what it needs (the
 * keywords it completes for, the AUTH mechanisms); CAPS may be freed or
 * changed right after.  Call it on every change (EHLO, STARTTLS, a new
 * connection).
 *
 * With caps: after "MAIL FROM:<path> " Tab offers SIZE= (SIZE),
 * BODY=8BITMIME (8BITMIME), BODY=BINARYMIME (BINARYMIME), SMTPUTF8,
 * RET=FULL RET=HDRS ENVID= (DSN), REQUIRETLS, AUTH=<> (AUTH); after
 * "RCPT TO:<path> " NOTIFY=SUCCESS,FAILURE,DELAY NOTIFY=NEVER
 * ORCPT=rfc822; (DSN); after "AUTH " and ":auth " the advertised
 * mechanisms.  The verb BDAT is offered only with CHUNKING.  Without caps:
 * no parameter, BDAT offered, and for AUTH and :auth the mechanisms
 * smtptool speaks (PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER).  A parameter
 * already on the line is offered again (a debugging tool may repeat one
 * on purpose).
 */
void	command_view_set_caps(struct command_view *, const struct caps *);

/*
 * Switch modes.  SEARCH, FILTER (and ASK, SECRET) keep the half-typed line
 * aside and put it back once the regex is entered or cancelled; COMMAND
 * and MESSAGE change the prompt only.
 */
void	command_view_set_mode(struct command_view *, enum command_view_mode);
enum command_view_mode command_view_mode(const struct command_view *);
/* Ctrl-C: clear the line (and cancel a search or filter prompt). */
void	command_view_clear_line(struct command_view *);
/*
 * Add a line to the history (kept at 1000 lines); an older copy of the
 * same line is removed, so the history holds each line once.  "AUTH
 * <mech> <initial-response>" is stored as "AUTH <mech> [masked]"
 * (sasl_mask_auth_line()); the history file written by
 * command_view_stop() is masked the same way.
 */
void	command_view_history_add(struct command_view *, const char *);

/* The prompt of a mode ("smtp> "). */
const char *command_view_prompt(enum command_view_mode);

#endif
