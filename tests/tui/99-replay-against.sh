#!/bin/bash
# smtptool replay FILE --against HOST on the screen: a capture made against
# the sandbox re-run against a sandbox that greylists.  c runs the steps
# live and stops at the RCPT that now gets 451: its line "*** step 4: the
# capture had 250 ..." is drawn in the error colour and the status bar says
# the class changed; e runs to the end and the status bar counts what
# changed; r starts over on a new connection.  A target that is not
# loopback is confirmed on the terminal first.

. "$(dirname "$0")/tui-common.bash"

W=$TESTS_TMP/against
mkdir -p "$W"

# shellcheck disable=SC2119 # no options: the defaults
serve_start
plain=$SERVE_PORT
cat >"$W/d.smtp" <<'EOF2'
EHLO client.test
MAIL FROM:<a@example.org>
RCPT TO:<b@example.net>
DATA
Subject: against

hello
.
QUIT
EOF2
timeout 30 "$SMTPTOOL" --batch "$W/d.smtp" --record "$W/cap.transcript" \
    "127.0.0.1:$plain" >/dev/null 2>&1
t_check "the capture is made" test -s "$W/cap.transcript"
serve_start --rules "$TESTS_ROOT/share/rules/greylisting.rules"
grey=$SERVE_PORT

tui_start_wrapped 120 30 "$SMTPTOOL" replay "$W/cap.transcript" \
    --against "127.0.0.1:$grey"
t_check "the screen says what it will do" \
    tui_wait "against 127\.0\.0\.1:$grey: each step is sent" 10
t_check "the status bar shows the first step" \
    tui_wait 'REPLAY step 1/7' 5
tui_keys c
t_check "c stops at the RCPT that changed class" \
    tui_wait 'step 4: 451 live \(class changed\)' 10
t_check "the live 451 is on the screen" tui_wait '<-  451 4\.7\.1' 5
if line=$(screen_line '\*\*\* step 4: the capture had 250 2\.1\.5') &&
    grep -qE "$(sgr_color_re)" <<<"$line"; then
	t_ok "the changed class is drawn as an error, in colour"
else
	printf '%s\n' "${line-}" | cat -v
	t_fail "the changed class is drawn as an error, in colour"
fi
tui_keys e
t_check "e runs to the end and counts what changed" \
    tui_wait 'done: [0-9]+ same, [0-9]+ text, [0-9]+ code, [1-9][0-9]* class changed' 10
tui_keys r
t_check "r starts over" tui_wait 'REPLAY step 1/7' 10
tui_keys ' '
t_check "  and Space connects again: the banner is step 1" \
    tui_wait 'REPLAY step 2/7' 10
tui_keys q
rc=$(tui_wait_exit 10)
t_check "q leaves (exit $rc)" test "$rc" = 0
tui_stop

# A target that is not loopback: asked on the terminal before anything is
# sent (192.0.2.1 is never connected to: the answer is no).
tui_start_wrapped 120 30 "$SMTPTOOL" replay "$W/cap.transcript" \
    --against 192.0.2.1:25
t_check "a target that is not loopback is confirmed first" \
    tui_wait '192\.0\.2\.1:25 is not a loopback address: send the captured commands \(7 steps' 10
tui_type n
tui_keys Enter
t_check "  and no is no: nothing is sent" tui_wait 'smtptool: not sent' 10
rc=$(tui_wait_exit 10)
t_check "  exit 1 ($rc)" test "$rc" = 1
serve_stop "$grey"
serve_stop "$plain"
t_done
