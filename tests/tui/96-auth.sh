#!/bin/bash
# AUTH on the screen, against the built-in sandbox: :auth refused over
# plaintext; after STARTTLS, :auth asks for the password with a hidden
# prompt (nothing typed is drawn) and authenticates; a typed AUTH PLAIN
# with its blob and a typed AUTH LOGIN answered by hand are masked on the
# screen, in :save's file and in the history file; each 334 is shown
# decoded.  The demo account is sandbox/sandbox, so the secrets looked for
# are the password's encodings: "c2FuZGJveA" (LOGIN) and
# "AHNhbmRib3gAc2FuZGJveA" (PLAIN).

. "$(dirname "$0")/tui-common.bash"

hist=$XDG_STATE_HOME/smtptool/history
saved=$TESTS_TMP/auth-saved.txt
rm -f "$hist" "$saved"

send()
{
	tui_type "$1"
	tui_keys Enter
}

no_secret_on_screen()
{
	! tui_screen | grep -q -e 'c2FuZGJveA' -e 'AHNhbmRib3gAc2FuZGJveA'
}

tui_start_wrapped 110 40 "$SMTPTOOL"
tui_wait '<-  220 sandbox' 10 >/dev/null
send 'EHLO client.test'
tui_wait '250 AUTH PLAIN' 10 >/dev/null
send ':auth PLAIN sandbox'
t_check ":auth over plaintext: refused with the reason" \
    tui_wait 'cannot send AUTH over plaintext' 5
send ':starttls'
t_check "STARTTLS verified" tui_wait 'TLS TLS1\.[23] .*verified' 10
send 'EHLO client.test'
t_check "EHLO again under TLS" tui_wait '<~  250 AUTH PLAIN' 10

send ':auth PLAIN sandbox'
t_check ":auth asks for the password" tui_wait 'password for sandbox:' 5
tui_type 'sandbox'
sleep 0.3
if tui_screen | grep 'password for sandbox:' | grep -q 'password for sandbox: *$'
then
	t_ok "what is typed at the hidden prompt is not drawn"
else
	tui_screen | tail -3
	t_fail "what is typed at the hidden prompt is not drawn"
fi
tui_keys Enter
t_check ":auth PLAIN: 235" tui_wait '<~  235 2\.7\.0' 10
t_check "the AUTH line shows masked" tui_wait '~> AUTH PLAIN \[masked\]' 5
t_check "no secret on the screen" no_secret_on_screen

# By hand, each on a new connection under TLS (one AUTH a session): AUTH
# PLAIN with its blob, then AUTH LOGIN step by step.
addr=$(tui_screen | grep -oE '^ *127\.0\.0\.1:[0-9]+' | tail -1 | tr -d ' ')
again()
{
	send ':disconnect'
	send ":connect $addr"
	tui_wait '<-  220 sandbox' 10 >/dev/null
	send 'EHLO again.test'
	tui_wait '<-  250 AUTH' 10 >/dev/null
	send ':starttls'
	tui_wait 'TLS TLS1' 10 >/dev/null
	send 'EHLO again.test'
	tui_wait '<~  250 AUTH' 10 >/dev/null
}
again
send 'AUTH PLAIN AHNhbmRib3gAc2FuZGJveA=='
t_check "a typed AUTH PLAIN gets 235" tui_wait '235 2\.7\.0.*$' 10
again
send 'AUTH LOGIN'
t_check "334 shown decoded: Username:" tui_wait '334 decoded: "Username:"' 10
send 'c2FuZGJveA=='
t_check "334 shown decoded: Password:" tui_wait '334 decoded: "Password:"' 10
send 'c2FuZGJveA=='
t_check "the typed answers show as [masked]" tui_wait '~> \[masked\]' 5
t_check "no secret on the screen after typing them" no_secret_on_screen

send ":save $saved"
tui_wait "saved [0-9]+ records" 5 >/dev/null
if [[ -s $saved ]] && ! grep -q -e 'c2FuZGJveA' -e 'AHNhbmRib3gAc2FuZGJveA' \
    "$saved"; then
	t_ok "no secret in the saved transcript"
else
	t_fail "no secret in the saved transcript"
fi
t_check "the saved transcript has the masked AUTH PLAIN" \
    grep -q 'AUTH PLAIN \[masked\]' "$saved"

send ':quit'
tui_wait_exit 10 >/dev/null

# --auth on the command line: STARTTLS and AUTH by themselves after the
# EHLO typed (the password from SMTPTOOL_PASSWORD, never the command line).
tui_stop
rm -f "$hist.auto"
tui_start_wrapped 110 40 env SMTPTOOL_PASSWORD=sandbox "$SMTPTOOL" \
    --auth CRAM-MD5 --user sandbox
tui_wait '<-  220 sandbox' 10 >/dev/null
send 'EHLO client.test'
t_check "--auth: STARTTLS by itself" tui_wait ' -> STARTTLS' 10
t_check "--auth: CRAM-MD5 by itself under TLS, 235" \
    tui_wait '<~  235 2\.7\.0' 10
t_check "--auth: the CRAM-MD5 answer is masked" tui_wait '~> \[masked\]' 5
send ':quit'
tui_wait_exit 10 >/dev/null
if [[ -f $hist ]] && ! grep -q -e 'c2FuZGJveA' -e 'AHNhbmRib3gAc2FuZGJveA' \
    -e '^sandbox$' "$hist"; then
	t_ok "no secret in the history file"
else
	cat "$hist"
	t_fail "no secret in the history file"
fi
t_check "the history keeps AUTH PLAIN masked" \
    grep -qx 'AUTH PLAIN \[masked\]' "$hist"
t_check "the history keeps :auth PLAIN sandbox" \
    grep -qx ':auth PLAIN sandbox' "$hist"
t_done
