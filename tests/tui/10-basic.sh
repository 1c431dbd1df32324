#!/bin/bash
# The TUI against a private Postfix in tmux at 80x24: EHLO and its coloured
# 250 lines, the status bar, search (highlight, jump, n, invalid regex),
# filter, focus, resize and back, :quit with the terminal as it was.

. "$(dirname "$0")/tui-common.bash"

port=$(free_port) || exit 1
if ! postfix_start "$TESTS_TMP/postfix" "$port"; then
	t_fail "postfix starts"
	exit 1
fi

tui_start_wrapped 80 24 "$SMTPTOOL" "127.0.0.1:$port"
t_check "the banner shows" tui_wait '<-  220 mx\.test\.local ESMTP' 10

tui_type 'EHLO client.test'
tui_keys Enter
t_check "the EHLO reply shows" tui_wait '<-  250 CHUNKING' 10
t_check "the last line of a reply shows its latency" \
    tui_wait '250 CHUNKING +[0-9]+\.[0-9] ms' 5

line=$(screen_line '250-PIPELINING')
if grep -qE $'\x1b''\[([0-9]*;)*(32|92|38;5;(2|10|34|40|46|70|76|82))m' \
    <<<"$line"; then
	t_ok "250 lines are green"
else
	printf '%s\n' "$line" | cat -v
	t_fail "250 lines are green"
fi
line=$(screen_line ' -> EHLO client.test')
if grep -qE "$(sgr_color_re)" <<<"$line" &&
    ! grep -qE $'\x1b''\[([0-9]*;)*32m' <<<"$line"; then
	t_ok "client lines have another colour"
else
	printf '%s\n' "$line" | cat -v
	t_fail "client lines have another colour"
fi
t_check "the status bar shows target, phase, reply and capabilities" \
    tui_wait "127\.0\.0\.1:$port +greeted +250 [0-9.]+ms +PIPE SIZE=10M" 5

# Enough lines that the EHLO reply scrolls off the top.
for i in $(seq 1 12); do
	tui_type "NOOP $i"
	tui_keys Enter
done
t_check "the NOOPs are answered" tui_wait ' -> NOOP 12' 10
tui_wait '^ +[0-9.]+ <-  250 2\.0\.0 Ok.*ms$' 10 >/dev/null
tui_wait_gone '250-PIPELINING' 5 >/dev/null

tui_type '/pipelin'
tui_keys Enter
t_check "a search jumps to the match" tui_wait '250-PIPELINING' 5
line=$(screen_line '250-PIPELINING')
if grep -qE $'\x1b''\[([0-9]*;)*(43|103|7)m'PIPELIN <<<"$line"; then
	t_ok "the match is highlighted"
else
	printf '%s\n' "$line" | cat -v
	t_fail "the match is highlighted"
fi
t_check "scrolled back: more below" tui_wait 'more below' 5
t_check "scrolled back: the status bar says so" tui_wait 'SCROLL' 5
tui_keys F6
t_check "F6 moves the focus to the transcript" tui_wait '\[log\]' 5
tui_keys n
t_check "n with one match wraps" tui_wait 'search wrapped' 5
tui_keys G
t_check "G follows again" tui_wait_gone 'more below' 5
t_check "G follows again (status)" tui_wait '\[log\] follow' 5
tui_keys Escape
t_check "Esc gives the focus back" tui_wait '\[cmd\] follow' 5

tui_keys 'C-\'
t_check "Ctrl-\\ moves the focus too" tui_wait '\[log\] follow' 5
tui_keys g
t_check "g goes to the top" tui_wait '=== connected to' 5
tui_keys /
t_check "/ in the transcript pane prompts for a regex" tui_wait '^/$' 5
tui_type 'noop 1[01]$'
tui_keys Enter
t_check "the search from the pane finds NOOP 10" tui_wait ' -> NOOP 10' 5
t_check "the focus is back on the transcript" tui_wait '\[log\]' 5
t_check "the command line prompt is back" tui_wait '^smtp>' 5
tui_keys n
t_check "n finds the next match" tui_wait 'NOOP 11' 5
tui_keys 'C-\'
t_check "Ctrl-\\ gives the focus back" tui_wait '\[cmd\]' 5
tui_keys End
t_check "End follows again" tui_wait '\[cmd\] follow' 5

tui_type '/a(b'
tui_keys Enter
t_check "a bad regex is an error note" tui_wait \
    '\*\*\* cannot compile regex: missing closing parenthesis at offset 3' 5

tui_type '&pipelining|size'
tui_keys Enter
t_check "the filter shows in the status bar" \
    tui_wait 'filter:pipelining\|size' 5
if tui_wait_gone '250-ETRN' 5 && tui_wait '250-SIZE 10240000' 1 &&
    tui_wait '250-PIPELINING' 1; then
	t_ok "the filter shows only matching lines"
else
	t_fail "the filter shows only matching lines"
fi
tui_type ':filter'
tui_keys Enter
if tui_wait '250 2\.0\.0 Ok' 5 && tui_wait_gone 'filter:' 5; then
	t_ok ":filter alone shows every line again"
else
	t_fail ":filter alone shows every line again"
fi
tui_type ':filter ETRN'
tui_keys Enter
t_check ":filter REGEX filters" tui_wait 'filter:ETRN' 5
tui_type '&'
tui_keys Enter
t_check "& alone clears the filter" tui_wait_gone 'filter:' 5

# The column where the status bar's "[cmd]" starts on line ROW.
cmd_column()
{
	local line
	line=$(tui_screen | sed -n "$1p")
	[[ $line == *'[cmd]'* ]] || { echo -1; return; }
	line=${line%%\[cmd\]*}
	echo "${#line}"
}

# screen_is ROWS CMDCOL: the screen has ROWS lines, the command line is the
# last, and the status bar above it has "[cmd]" at column CMDCOL.
screen_is()
{
	[[ $(tui_screen | wc -l) == "$1" ]] &&
	    tui_screen | sed -n "$1p" | grep -q '^smtp>' &&
	    [[ $(cmd_column $(($1 - 1))) == "$2" ]]
}

tui_resize 100 30
if poll_until 5 screen_is 30 87; then
	t_ok "resized to 100x30: status bar and command line move"
else
	tui_screen | cat -A | head -40
	t_fail "resized to 100x30: status bar and command line move"
fi
tui_resize 80 24
if poll_until 5 screen_is 24 67; then
	t_ok "resized back to 80x24"
else
	tui_screen | cat -A
	t_fail "resized back to 80x24"
fi

tui_type 'VRFY'
tui_keys C-c
t_check "Ctrl-C clears the line" tui_wait '^smtp>$' 5
tui_type 'EH'
tui_keys Tab
t_check "Tab completes an SMTP verb" tui_wait '^smtp> EHLO$' 5
tui_keys C-c
tui_type ':di'
tui_keys Tab
t_check "Tab completes a :command" tui_wait '^smtp> :disconnect$' 5
tui_keys C-c

tui_type 'OOP'
tui_keys Home
tui_type 'N'
tui_keys End
tui_type ' home-end'
t_check "Home and End work in the command line" \
    tui_wait '^smtp> NOOP home-end$' 5
tui_keys C-c

long="NOOP $(printf 'x%.0s' $(seq 1 100))END"
tui_type "$long"
t_check "a long command line scrolls sideways with a marker" \
    tui_wait '^smtp> <x+END$' 5
tui_keys Enter
t_check "a long transcript line wraps under its text" \
    tui_wait '^ {12}x+END$' 5

tui_keys C-r
tui_type 'EHL'
t_check "Ctrl-R searches the history" \
    tui_wait "reverse-i-search.*EHL.*EHLO client\.test" 5
tui_keys Right
t_check "an arrow after Ctrl-R ends the search, nothing inserted" \
    tui_wait '^smtp> EHLO client\.test$' 5
tui_keys C-c

tui_keys F1
t_check "F1 shows the help" tui_wait 'smtptool help' 5
tui_keys NPage
t_check "PgDn scrolls the help to the :commands" \
    tui_wait ':connect HOST\[:PORT\]' 5
tui_keys x
t_check "any key closes the help" tui_wait_gone 'smtptool help' 5

tui_type ':quit'
tui_keys Enter
rc=$(tui_wait_exit 10)
t_check ":quit exits with 0" test "$rc" = 0
t_check "the terminal settings are as before" stty_unchanged
if grep -q 'QUIT' "$POSTFIX_DIR/log/maillog" ||
    grep -qE 'disconnect from .* quit=1' "$POSTFIX_DIR/log/maillog"; then
	t_ok ":quit sends QUIT"
else
	grep 'disconnect from' "$POSTFIX_DIR/log/maillog"
	t_fail ":quit sends QUIT"
fi
t_done
