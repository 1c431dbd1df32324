#!/bin/bash
# NO_COLOR (and --color never) give no colour at all, yet the monochrome
# scheme still tells direction and status apart: markers, bold, reverse.
# --color always wins over NO_COLOR.

. "$(dirname "$0")/tui-common.bash"

port=$(free_port) || exit 1
if ! postfix_start "$TESTS_TMP/postfix" "$port"; then
	t_fail "postfix starts"
	exit 1
fi

# session NAME ENV... -- ARGS...: run a short session, leave the screen.
session()
{
	local name=$1
	shift
	tui_start_wrapped 80 24 env "$@" "127.0.0.1:$port"
	if ! tui_wait '<-  220 mx' 10 >/dev/null; then
		t_fail "$name: the banner shows"
		return 1
	fi
	tui_type 'EHLO client.test'
	tui_keys Enter
	tui_wait '<-  250 CHUNKING' 10 >/dev/null
	tui_type 'RCPT TO:<nobody@test.local>'
	tui_keys Enter
	tui_wait '<-  503 ' 10 >/dev/null
	tui_type '/chunk'
	tui_keys Enter
	tui_wait 'CHUNKING' 10 >/dev/null
	screen=$(tui_screen_color)
}

quit()
{
	tui_type ':quit'
	tui_keys Enter
	tui_wait_exit 10 >/dev/null
}

for how in "NO_COLOR=1" "--color never"; do
	if [[ $how == NO_COLOR=1 ]]; then
		session "$how" NO_COLOR=1 "$SMTPTOOL" || continue
	else
		session "$how" -u NO_COLOR "$SMTPTOOL" --color never || continue
	fi
	if grep -qE "$(sgr_color_re)" <<<"$screen"; then
		grep -E "$(sgr_color_re)" <<<"$screen" | head -3 | cat -v
		t_fail "$how: no colour SGR on the screen"
	else
		t_ok "$how: no colour SGR on the screen"
	fi
	if grep -qE $'\x1b''\[([0-9]*;)*7(;[0-9]*)*m.*127\.0\.0\.1' <<<"$screen"; then
		t_ok "$how: the status bar is in reverse video"
	else
		t_fail "$how: the status bar is in reverse video"
	fi
	line=$(screen_line '<-  503 ')
	if grep -qE $'\x1b''\[([0-9]*;)*1(;[0-9]*)*m' <<<"$line"; then
		t_ok "$how: a 5xx reply is bold"
	else
		printf '%s\n' "$line" | cat -v
		t_fail "$how: a 5xx reply is bold"
	fi
	line=$(screen_line '250 CHUNKING')
	if grep -qE $'\x1b''\[([0-9]*;)*(7|4)(;[0-9]*)*m' <<<"$line"; then
		t_ok "$how: a search match still shows"
	else
		printf '%s\n' "$line" | cat -v
		t_fail "$how: a search match still shows"
	fi
	quit
	t_check "$how: the terminal settings are as before" stty_unchanged
done

session "--color always" NO_COLOR=1 "$SMTPTOOL" --color always &&
    t_check "--color always wins over NO_COLOR" \
    grep -qE "$(sgr_color_re)" <<<"$screen"
quit
t_done
