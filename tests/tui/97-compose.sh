#!/bin/bash
# Composing on the screen, against the built-in sandbox: :compose with
# quoted options sends a MIME message (MAIL, RCPT and DATA pipelined, each
# reply matched to its command), :bdat sends a file in chunks with LAST,
# and both land in the sandbox's Maildir.

. "$(dirname "$0")/tui-common.bash"

md=$XDG_DATA_HOME/smtptool/maildir
tok=tui-compose-$RANDOM$RANDOM
tok2=tui-bdat-$RANDOM$RANDOM
printf 'Subject: %s\n\nsent with BDAT\n' "$tok2" >"$TESTS_TMP/bdat.txt"

send()
{
	tui_type "$1"
	tui_keys Enter
}

tui_start_wrapped 120 40 "$SMTPTOOL"
tui_wait '<-  220 sandbox' 10 >/dev/null
send 'EHLO client.test'
tui_wait '250 AUTH PLAIN' 10 >/dev/null
send ":compose --from 'Ann <ann@example.org>' --to bob@example.net --subject \"$tok here\""
t_check ":compose: MAIL, RCPT and DATA pipelined" \
    tui_wait 'MAIL, 1 RCPT and DATA go out together' 10
t_check ":compose: each reply matched to its command" \
    tui_wait '=== 250 answers RCPT TO:<bob@example\.net>' 10
t_check ":compose: the message is queued" \
    tui_wait '<-  250 2\.0\.0 Ok: queued' 10
if maildir_wait_token "$md" "$tok here" 10 >/dev/null; then
	t_ok ":compose: the message is in the sandbox's Maildir"
else
	t_fail ":compose: the message is in the sandbox's Maildir"
fi

send 'MAIL FROM:<ann@example.org>'
send 'RCPT TO:<bob@example.net>'
tui_wait '250 2\.1\.5 Ok' 10 >/dev/null
send ":bdat $TESTS_TMP/bdat.txt 16"
t_check ":bdat: chunks of 16 bytes" tui_wait ' -> BDAT 16$' 10
t_check ":bdat: the last with LAST" tui_wait ' -> BDAT [0-9]+ LAST' 10
if maildir_wait_token "$md" "$tok2" 10 >/dev/null; then
	t_ok ":bdat: the message is in the sandbox's Maildir"
else
	t_fail ":bdat: the message is in the sandbox's Maildir"
fi
send ':quit'
tui_wait_exit 10 >/dev/null
t_done
