# shellcheck shell=bash
#
# tests/tui/tui-common.bash: helpers shared by the TUI tests (sourced; not a
# test itself, hence not *.sh).
#
#   tui_start_wrapped COLS ROWS CMD [ARGS...]
#                          tui_start, with a shell that writes `stty -a`
#                          to $TESTS_TMP/stty.before and stty.after around
#                          CMD, and keeps CMD's exit status
#   stty_unchanged         the terminal settings after equal those before
#   screen_line REGEX      the first screen line (with SGR escapes) matching
#                          REGEX (on the text without escapes)
#   sgr_color_re           an ERE matching an SGR sequence that sets a colour
#   tui_title              the pane's title (OSC 0/2 would change it)

. "$(dirname "${BASH_SOURCE[0]}")/../lib/tmux.sh"

tui_start_wrapped()
{
	local cols=$1 rows=$2 inner=$TESTS_TMP/tui-inner.sh
	shift 2
	rm -f "$TESTS_TMP/stty.before" "$TESTS_TMP/stty.after"
	{
		printf '#!/bin/bash\n'
		printf 'stty -a >%q\n' "$TESTS_TMP/stty.before"
		printf '%q ' "$@"
		printf '\nrc=$?\n'
		printf 'stty -a >%q\n' "$TESTS_TMP/stty.after"
		printf 'exit "$rc"\n'
	} >"$inner"
	tui_start "$cols" "$rows" bash "$inner"
}

stty_unchanged()
{
	if [[ ! -s $TESTS_TMP/stty.before || ! -s $TESTS_TMP/stty.after ]]
	then
		echo "stty_unchanged: no stty -a record" >&2
		return 1
	fi
	if ! cmp -s "$TESTS_TMP/stty.before" "$TESTS_TMP/stty.after"; then
		diff "$TESTS_TMP/stty.before" "$TESTS_TMP/stty.after" >&2
		return 1
	fi
}

# The screen with escapes, one line at a time, the line whose plain text
# matches REGEX.
screen_line()
{
	local re=$1 line plain
	while IFS= read -r line; do
		plain=$(sed $'s/\x1b\\[[0-9;:]*m//g' <<<"$line")
		if grep -qE -- "$re" <<<"$plain"; then
			printf '%s\n' "$line"
			return 0
		fi
	done < <(tui_screen_color)
	return 1
}

# SGR parameters that set a foreground or background colour: 30-37, 39 is a
# reset, 38;..., 40-47, 48;..., 90-97, 100-107.
sgr_color_re()
{
	printf '%s' $'\x1b''\[([0-9]*;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])([;:][0-9;:]*)?m'
}

tui_title()
{
	_tmux display-message -p -t "$TUI_TARGET" '#{pane_title}'
}

# tui_paste TEXT: paste TEXT as a terminal would (bracketed when the program
# asked for it).
tui_paste()
{
	_tmux set-buffer -b tuitest -- "$1"
	_tmux paste-buffer -p -r -d -b tuitest -t "$TUI_TARGET"
}

# poll_until SECONDS COMMAND...: run COMMAND until it succeeds, or fail once
# SECONDS have passed.
poll_until()
{
	local secs=$1 end
	shift
	end=$(_deadline "$secs")
	until "$@"; do
		if (($(_now_us) > end)); then
			return 1
		fi
		sleep 0.02
	done
}
