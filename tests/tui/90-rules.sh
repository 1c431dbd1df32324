#!/bin/bash
# Simulated throttling on the screen: --rules on a bare smtptool (its own
# sandbox), a command a rule answers is not sent, its reply is drawn with
# the <! marker in its own colour and "(simulated)" is in the status bar;
# F4 pauses the rules (the same command then reaches the server); :rules
# off turns them off.

. "$(dirname "$0")/tui-common.bash"

rules=$TESTS_TMP/grey.rules
printf '%s\n' 'rcpt /<nobody@/ reply 451 4.7.1 Greylisted, try again later' \
    >"$rules"

tui_start_wrapped 100 30 "$SMTPTOOL" --rules "$rules"
t_check "the sandbox greets" tui_wait '<-  220 sandbox\.smtptool\.test' 15
t_check "the rules are said to be on" tui_wait 'rules on: .*grey\.rules' 5

send()
{
	tui_type "$1"
	tui_keys Enter
}

send 'EHLO client.test'
tui_wait '<-  250 AUTH' 10 >/dev/null
send 'MAIL FROM:<a@client.test>'
tui_wait '<-  250 2\.1\.0' 10 >/dev/null
send 'RCPT TO:<nobody@sandbox.test>'
t_check "the rule's reply is drawn with the <! marker" \
    tui_wait '<!  451 4\.7\.1 Greylisted, try again later' 10
t_check "the transcript says the command was not sent" \
    tui_wait 'not sent, a rule answers' 5
if tui_screen | grep -q ' -> RCPT TO:<nobody@'; then
	t_fail "the RCPT is not sent"
else
	t_ok "the RCPT is not sent"
fi
t_check "the status bar says the reply was simulated" \
    tui_wait '451 \(simulated\)' 5
t_check "the status bar says rules are on" tui_wait ' RULES ' 5
line=$(tui_screen_color | grep -a '451 4\.7\.1 Greylisted' | head -n 1)
if [[ $line == *$'\e['*35m* ]]; then
	t_ok "the simulated reply has its own colour (magenta)"
else
	printf '%q\n' "$line"
	t_fail "the simulated reply has its own colour (magenta)"
fi

tui_keys F4
t_check "F4 pauses the rules" tui_wait 'rules paused' 5
t_check "the status bar says they are paused" tui_wait 'rules:paused' 5
send 'RCPT TO:<nobody@sandbox.test>'
t_check "paused, the RCPT reaches the server" \
    tui_wait ' -> RCPT TO:<nobody@sandbox\.test>' 10
t_check "and the server's own reply comes back" tui_wait '<-  250 2\.1\.5' 10

send ':rules off'
t_check ":rules off" tui_wait '=== rules off' 5
send ':quit'
t_check ":quit leaves with 0" test "$(tui_wait_exit 10)" = 0

t_done
