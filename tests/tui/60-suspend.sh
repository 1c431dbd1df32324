#!/bin/bash
# Ctrl-Z from an interactive shell: the shell prompt comes back with the
# terminal sane, fg brings the screen back as it was, and :quit leaves the
# terminal settings exactly as before the program started.

. "$(dirname "$0")/tui-common.bash"

before=$TESTS_TMP/stty.shell-before
during=$TESTS_TMP/stty.shell-suspended
after=$TESTS_TMP/stty.shell-after

tui_start 80 24 env PS1='$ ' bash --norc --noprofile -i
tui_wait '^\$' 10 >/dev/null
tui_type "stty -a >'$before'; \"\$SMTPTOOL\" --no-sandbox"
tui_keys Enter
t_check "the program starts" tui_wait 'not connected: type :connect' 10
tui_type 'NOOP typed before suspending'
tui_keys C-z
t_check "Ctrl-Z gives the shell back" tui_wait 'Stopped' 10
tui_type "stty -a >'$during'"
tui_keys Enter
if poll_until 5 test -s "$during" && cmp -s "$before" "$during"; then
	t_ok "the terminal is sane while suspended"
else
	diff "$before" "$during"
	t_fail "the terminal is sane while suspended"
fi
tui_type 'fg'
tui_keys Enter
t_check "fg brings the screen back" tui_wait 'not connected: type :connect' 10
t_check "the half-typed line is still there" \
    tui_wait '^smtp> NOOP typed before suspending' 5
tui_keys C-c
tui_type ':quit'
tui_keys Enter
t_check "the shell prompt is back" tui_wait '^\$ *$' 10
tui_type "stty -a >'$after'"
tui_keys Enter
if poll_until 5 test -s "$after" && cmp -s "$before" "$after"; then
	t_ok "the terminal settings are as before"
else
	diff "$before" "$after"
	t_fail "the terminal settings are as before"
fi
t_done
