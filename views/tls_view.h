/*
 * The TLS inspector pane: renders the plain model of the current TLS
 * session (client_tls_info(): struct tls_info, which it only reads, anew
 * at every draw) as the verdict (words and colour), its reasons, the
 * session line, the chain as a list (one line a certificate) and the
 * fields of the selected certificate.  Every string from the model goes
 * through the sanitiser: a certificate is server-controlled data.  The
 * view keeps only the selection, the scroll position and what the last
 * handshake event said.
 *
 * Keys with the focus: Up/Down/j/k (or 0-9) select a certificate;
 * PgUp/PgDn/b/Space, Ctrl-U/Ctrl-D, y/e, Home/g, End/G scroll; w asks to
 * write the chain as PEM (TLS_VIEW_KEY_WRITE); q hides the pane
 * (VIEW_KEY_CLOSE); Esc, i, Enter, Tab give the focus back to the command
 * line.
 */
#ifndef TLS_VIEW_H
#define TLS_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "session.h"
#include "view.h"

/* A key result beyond view.h's: write the chain as PEM (ask a file). */
#define TLS_VIEW_KEY_WRITE	0x100

struct tls_view;

/* A new, hidden view of C's TLS model (borrowed: the caller keeps it). */
struct tls_view	*tls_view_new(struct client *c);
/* The view object (ops, window, dirty flag); freed by view_free(). */
struct view	*tls_view_view(struct tls_view *);

/*
 * A SEV_T_TLS event of the engine (TLS_WANTED, TLS_UP, TLS_FAILED,
 * TLS_MISSING): remembered for the "no TLS" text; redraw.
 */
void	tls_view_tls_event(struct tls_view *, enum session_tls);
/*
 * The connection changed (a new one, or it closed): the model may be new
 * or gone; the selection goes back to the leaf.
 */
void	tls_view_reset(struct tls_view *);

/* The sides of the pane: a border on the left when it sits beside. */
void	tls_view_set_border(struct tls_view *, bool left);
/* The pane has the focus (its title row says so). */
void	tls_view_set_focus(struct tls_view *, bool focus);
/* Scroll by ROWS / by PAGES pages (negative: up). */
void	tls_view_scroll(struct tls_view *, int rows);
void	tls_view_page(struct tls_view *, int pages);
/* The selected certificate (0: the leaf). */
size_t	tls_view_selected(const struct tls_view *);

/*
 * A message shown on top of the pane until its next key (the result of
 * writing the chain: the transcript may be hidden); ERROR draws it as a
 * problem.  Copied; NULL clears it.
 */
void	tls_view_message(struct tls_view *, const char *, bool error);

/*
 * A short notice for the status bar left by the last key ("no chain to
 * write yet"), or NULL; reading it clears it.
 */
const char *tls_view_take_notice(struct tls_view *);

/*
 * A default file name for the chain of INFO: "chain-NAME.pem", NAME being
 * the name verified against, else HOST (the peer without its port), with
 * every byte but [A-Za-z0-9._-] made "_".  Never longer than SIZE-1.
 */
void	tls_view_pem_name(const struct tls_info *, const char *host,
	    char *buf, size_t size);

/*
 * The CN of an RFC 4514 subject ("CN=mx.example,O=Example" gives
 * "mx.example"; escapes undone), or the whole subject when it has none;
 * allocated, the caller frees.  Not sanitised.
 */
char	*tls_view_subject_cn(const char *subject);

#endif
