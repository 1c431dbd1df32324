# shellcheck shell=bash
#
# tests/lib/tmux.sh: drive a full-screen program in a private tmux server.
#
#	. "$(dirname "$0")/../lib/tmux.sh"	(also loads peers.sh)
#
#   tui_start COLS ROWS CMD [ARGS...]  start CMD in a COLSxROWS pane, no
#                                      status line; TERM in the pane is
#                                      $TUI_TERM (default tmux-256color)
#   tui_keys KEY...                    tmux send-keys (Enter, C-c, Up, F1...)
#   tui_type TEXT                      type TEXT literally (send-keys -l)
#   tui_screen                         the screen as text (capture-pane -p)
#   tui_screen_color                   the same with SGR escapes (-e)
#   tui_wait REGEX SECONDS             poll until a screen line matches the
#                                      extended REGEX; on timeout print the
#                                      screen to stderr and return 1
#   tui_wait_gone REGEX SECONDS        poll until no line matches
#   tui_wait_exit SECONDS              wait until CMD has ended; print its exit
#                                      status (return 1 on timeout)
#   tui_resize COLS ROWS               resize the window (CMD gets SIGWINCH)
#   tui_stop                           kill the server (done at exit anyway)
#
# The server's socket is $TESTS_TMP/tmux.sock and it reads no configuration
# (-f /dev/null).  CMD's exit status is written by a wrapper shell, since tmux
# may record none; the pane then stays as CMD left it.

if [[ -n ${_TMUX_SH_LOADED-} ]]; then
	return 0
fi
_TMUX_SH_LOADED=1

. "$(dirname "${BASH_SOURCE[0]}")/peers.sh"

unset TMUX TMUX_PANE

TUI_SOCK=$TESTS_TMP/tmux.sock
TUI_STATUS=$TESTS_TMP/tui.status
TUI_TARGET=tui:0.0
if [[ -z ${TUI_TERM-} ]]; then
	if infocmp tmux-256color >/dev/null 2>&1; then
		TUI_TERM=tmux-256color
	else
		TUI_TERM='screen-256color'
	fi
fi
_tui_started=0

_tmux()
{
	tmux -S "$TUI_SOCK" -f /dev/null "$@"
}

tui_start()
{
	local cols=$1 rows=$2 wrapper=$TESTS_TMP/tui-run.sh
	shift 2
	if (($# == 0)); then
		printf 'usage: tui_start COLS ROWS CMD [ARGS...]\n' >&2
		return 2
	fi
	if ((_tui_started)); then
		tui_stop
	fi
	rm -f "$TUI_STATUS" "$TUI_STATUS.tmp"
	# The wrapper runs CMD, writes its status, then keeps the pane (and
	# the screen CMD left) until tui_stop.
	{
		printf '#!/bin/bash\n'
		# Not default-terminal: tmux 3.3a dies when that (or
		# window-size) is set before the first session exists.
		printf 'export TERM=%q\n' "$TUI_TERM"
		printf '%q ' "$@"
		printf '\nprintf "%%s\\n" "$?" >%q && mv %q %q\n' \
		    "$TUI_STATUS.tmp" "$TUI_STATUS.tmp" "$TUI_STATUS"
		printf 'exec sleep 86400\n'
	} >"$wrapper"
	# Options first, in the same client command, so they hold from the
	# very first frame.
	if ! _tmux start-server \; \
	    set-option -g status off \; \
	    set-option -g remain-on-exit on \; \
	    set-option -g default-size "${cols}x$rows" \; \
	    set-option -g escape-time 0 \; \
	    new-session -d -s tui -x "$cols" -y "$rows" \
	    "exec bash $(printf %q "$wrapper")"; then
		printf 'tui_start: tmux failed to start\n' >&2
		return 1
	fi
	_tui_started=1
	cleanup_add tui_stop
	_record_pid "$(_tmux display-message -p -t tui '#{pid}')" >/dev/null
}

tui_keys()
{
	_tmux send-keys -t "$TUI_TARGET" "$@"
}

tui_type()
{
	_tmux send-keys -t "$TUI_TARGET" -l -- "$*"
}

tui_screen()
{
	_tmux capture-pane -p -t "$TUI_TARGET"
}

tui_screen_color()
{
	_tmux capture-pane -p -e -t "$TUI_TARGET"
}

# _tui_wait MODE REGEX SECONDS: MODE "match" or "gone".
_tui_wait()
{
	local mode=$1 re=$2 secs=${3:-10} end screen found why='' exited=0
	end=$(_deadline "$secs")
	while :; do
		# Once the program has exited the screen no longer changes:
		# one more look, then give up at once.
		[[ -s $TUI_STATUS ]] && exited=1
		if ! screen=$(tui_screen 2>&1); then
			why="tmux is not running"
		fi
		found=0
		grep -qE -- "$re" <<<"$screen" && found=1
		if [[ $mode == match && $found == 1 ]] ||
		    [[ $mode == gone && $found == 0 ]]; then
			return 0
		fi
		if [[ -z $why ]] && ((exited)); then
			why="the program has exited"
		fi
		if [[ -n $why ]] || (($(_now_us) > end)); then
			{
				printf 'tui_wait: /%s/ %s after %ss%s; the screen:\n' \
				    "$re" \
				    "$([[ $mode == match ]] && echo "not seen" ||
				    echo "still there")" "$secs" "${why:+ ($why)}"
				printf '%s\n' "$screen" | sed 's/^/  |/'
				if [[ -s $TUI_STATUS ]]; then
					printf '  (the program exited with %s)\n' \
					    "$(<"$TUI_STATUS")"
				fi
			} >&2
			return 1
		fi
		sleep 0.02
	done
}

tui_wait()
{
	_tui_wait match "$@"
}

tui_wait_gone()
{
	_tui_wait gone "$@"
}

tui_wait_exit()
{
	local secs=${1:-10} end
	end=$(_deadline "$secs")
	while [[ ! -s $TUI_STATUS ]]; do
		if (($(_now_us) > end)); then
			printf 'tui_wait_exit: still running after %ss\n' \
			    "$secs" >&2
			return 1
		fi
		sleep 0.02
	done
	cat "$TUI_STATUS"
}

tui_resize()
{
	_tmux resize-window -t tui -x "$1" -y "$2"
}

tui_stop()
{
	if ((_tui_started)); then
		_tmux kill-server 2>/dev/null
		_tui_started=0
	fi
	rm -f "$TUI_SOCK"
}
