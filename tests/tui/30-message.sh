#!/bin/bash
# Message mode: after DATA's 354 the prompt and the status bar change, each
# line typed is message text (dot-stuffed by the engine), a lone "." ends it
# and 250 comes back.  A pasted block is split into lines, each sent in
# order, waiting for 354 after DATA.  Message text stays out of the
# history, and AUTH lines go in masked.

. "$(dirname "$0")/tui-common.bash"

port=$(free_port) || exit 1
if ! postfix_start "$TESTS_TMP/postfix" "$port"; then
	t_fail "postfix starts"
	exit 1
fi
token=tui-typed-$RANDOM$RANDOM
token2=tui-pasted-$RANDOM$RANDOM

token3=tui-file-$RANDOM$RANDOM
printf 'Subject: %s\n\nfrom a file\n.starts with a dot\n' "$token3" \
    >"$TESTS_TMP/message.txt"
record=$TESTS_TMP/record.txt

tui_start_wrapped 80 24 "$SMTPTOOL" --record "$record" "127.0.0.1:$port"
tui_wait '<-  220 mx' 10 >/dev/null

send()
{
	tui_type "$1"
	tui_keys Enter
}

send 'EHLO client.test'
tui_wait '<-  250 CHUNKING' 10 >/dev/null
send 'MAIL FROM:<sender@example.org>'
tui_wait '<-  250 2\.1\.0 Ok' 10 >/dev/null
send 'RCPT TO:<alice@test.local>'
tui_wait '<-  250 2\.1\.5 Ok' 10 >/dev/null
send 'DATA'
t_check "DATA gets 354" tui_wait '<-  354 ' 10
t_check "message mode: the prompt changes" tui_wait '^data>' 5
t_check "message mode: the status bar says how to end" \
    tui_wait 'message: a lone \. ends it' 5
send "Subject: $token"
send ''
send 'hello from the TUI test'
send '.leading dot'
t_check "message text is sent as typed" tui_wait ' -> hello from the TUI' 5
t_check "a leading dot is stuffed" tui_wait ' -> \.\.leading dot' 5
send '.'
t_check "a lone . ends the message: 250" tui_wait '<-  250 2\.0\.0 Ok: queued' 10
t_check "the prompt is back" tui_wait '^smtp>' 5
if maildir_wait_token "$POSTFIX_MAILDIR" "$token" 20 >/dev/null; then
	t_ok "the typed message is delivered"
else
	t_fail "the typed message is delivered"
fi

# A pasted transaction: each line one command, message text after the 354.
tui_paste "MAIL FROM:<sender@example.org>
RCPT TO:<alice@test.local>
DATA
Subject: $token2

pasted body
.
"
t_check "a paste lands on the command line" tui_wait '^smtp> .*\^J' 5
tui_keys Enter
t_check "a paste: the message is queued" \
    poll_until 15 eval '[[ $(tui_screen | grep -c "250 2.0.0 Ok: queued") == 2 ]]'
t_check "a paste: the body went as message text" tui_wait ' -> pasted body' 5
if maildir_wait_token "$POSTFIX_MAILDIR" "$token2" 20 >/dev/null; then
	t_ok "the pasted message is delivered"
else
	t_fail "the pasted message is delivered"
fi

send 'MAIL FROM:<sender@example.org>'
send 'RCPT TO:<bob@test.local>'
send ":data $TESTS_TMP/message.txt"
t_check ":data FILE sends the file, dot-stuffed" \
    tui_wait ' -> \.\.starts with a dot' 10
queued()
{
	[[ $(grep -c '<-  250 2\.0\.0 Ok: queued' "$record") == "$1" ]]
}
t_check ":data FILE: the message is queued" poll_until 15 queued 3
if maildir_wait_token "$POSTFIX_MAILDIR" "$token3" 20 >/dev/null; then
	t_ok "the message from the file is delivered"
else
	t_fail "the message from the file is delivered"
fi

send 'AUTH PLAIN AGFsaWNlAHNlY3JldA=='
tui_wait '<-  5[0-9][0-9] ' 10 >/dev/null
send ':quit'
rc=$(tui_wait_exit 10)
t_check ":quit exits with 0" test "$rc" = 0
t_check "the terminal settings are as before" stty_unchanged

if grep -q '^# smtptool-transcript 1' "$record" &&
    grep -q ' -> hello from the TUI test$' "$record" &&
    grep -q '<-  221 ' "$record"; then
	t_ok "--record writes the transcript as it happens"
else
	cat "$record"
	t_fail "--record writes the transcript as it happens"
fi

hist=$XDG_STATE_HOME/smtptool/history
if [[ -f $hist ]] && grep -q '^MAIL FROM:<sender@example.org>$' "$hist" &&
    grep -q '^:quit$' "$hist"; then
	t_ok "commands go to the history"
else
	cat -A "$hist"
	t_fail "commands go to the history"
fi
if [[ -f $hist ]] && ! grep -qE 'hello from|Subject|pasted body|^\.$' "$hist"
then
	t_ok "message text stays out of the history"
else
	cat "$hist"
	t_fail "message text stays out of the history"
fi
if [[ -f $hist ]] && ! grep -q 'AGFsaWNlAHNlY3JldA' "$hist" &&
    grep -qx 'AUTH PLAIN \[masked\]' "$hist"; then
	t_ok "AUTH lines go in the history masked"
else
	t_fail "AUTH lines go in the history masked"
fi
if [[ $(grep -c '^MAIL FROM:<sender@example.org>$' "$hist") == 1 ]]; then
	t_ok "the history keeps one copy of a line"
else
	cat "$hist"
	t_fail "the history keeps one copy of a line"
fi
t_done
