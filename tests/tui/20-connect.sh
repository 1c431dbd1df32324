#!/bin/bash
# With no target the TUI opens unconnected and says how to connect and quit;
# :connect, :disconnect and :connect again work without a restart; Ctrl-D
# on an empty line quits (after QUIT).

. "$(dirname "$0")/tui-common.bash"

port=$(free_port) || exit 1
if ! postfix_start "$TESTS_TMP/postfix" "$port"; then
	t_fail "postfix starts"
	exit 1
fi

tui_start_wrapped 80 24 "$SMTPTOOL" --no-sandbox
t_check "unconnected: the first note says how to connect" \
    tui_wait '^ +0\.[0-9]+ === not connected: type :connect HOST\[:PORT\]' 5
t_check "unconnected: the note says how to quit" tui_wait ':quit or' 5
t_check "unconnected: the status bar says so" tui_wait '^ not connected ' 5

tui_type 'NOOP'
tui_keys Enter
t_check "a line with no connection is an error note" \
    tui_wait '\*\*\* cannot send "NOOP": not connected' 5

tui_type ":connect 127.0.0.1:$port"
tui_keys Enter
t_check ":connect reaches the server" tui_wait '<-  220 mx\.test\.local' 10
t_check ":connect: the status bar shows the peer" \
    tui_wait "^ 127\.0\.0\.1:$port +hello" 5

tui_type ":connect 127.0.0.1:$port"
tui_keys Enter
t_check ":connect while connected is refused" \
    tui_wait '\*\*\* cannot connect to .*already connected' 5

tui_type ':disconnect'
tui_keys Enter
t_check ":disconnect closes" tui_wait '=== disconnected' 5
t_check ":disconnect: the status bar says not connected" \
    tui_wait '^ not connected ' 5

tui_type ":connect 127.0.0.1:$port"
tui_keys Enter
banners()
{
	[[ $(tui_screen | grep -c '<-  220 mx') == "$1" ]]
}
if poll_until 10 banners 2; then
	t_ok ":connect again works"
else
	tui_screen
	t_fail ":connect again works"
fi
tui_type 'EHLO again.test'
tui_keys Enter
t_check "the new connection talks" tui_wait '<-  250 CHUNKING' 10

tui_type ':bogus'
tui_keys Enter
t_check "an unknown :command is an error note" \
    tui_wait '\*\*\* cannot run :bogus: no such command' 5
tui_type ':sleep 1s'
tui_keys Enter
t_check ":sleep says it is for scripts" tui_wait ':sleep is for scripts' 5

tui_type ":save $TESTS_TMP/saved.txt"
tui_keys Enter
if tui_wait '=== saved [0-9]+ records to' 5 &&
    grep -q '^# smtptool-transcript 1' "$TESTS_TMP/saved.txt" &&
    grep -q '<-  250 CHUNKING' "$TESTS_TMP/saved.txt"; then
	t_ok ":save writes the transcript"
else
	t_fail ":save writes the transcript"
fi

tui_type ":export $TESTS_TMP/export.jsonl"
tui_keys Enter
if tui_wait '=== exported [0-9]+ records to' 5 &&
    grep -q '"text":"250 CHUNKING"' "$TESTS_TMP/export.jsonl"; then
	t_ok ":export writes JSON Lines"
else
	head -3 "$TESTS_TMP/export.jsonl"
	t_fail ":export writes JSON Lines"
fi

tui_keys C-d
rc=$(tui_wait_exit 10)
t_check "Ctrl-D on an empty line quits with 0" test "$rc" = 0
t_check "the terminal settings are as before" stty_unchanged
t_done
