#!/bin/bash
# smtptool with no target opens on its built-in sandbox: a first note says
# so, a message typed by hand (EHLO, MAIL, RCPT, DATA, text, ".") gets
# "250 ... queued as NAME", the sandbox's session note says accepted=1, and
# the message is $XDG_DATA_HOME/smtptool/maildir/new/NAME, byte for byte.
# Started again, the sandbox's note is the very first line, and STARTTLS
# verifies against the generated root.

. "$(dirname "$0")/tui-common.bash"

md=$XDG_DATA_HOME/smtptool/maildir
token=tui-sandbox-$RANDOM$RANDOM

send()
{
	tui_type "$1"
	tui_keys Enter
}

# The first "===" note of the screen that is not about new certificates
# (the first start makes them and says so).
first_note()
{
	tui_screen | grep -E '^ *[0-9]+\.[0-9]+ === ' |
	    grep -v -e 'sandbox certificates' -e '^ *[0-9.]+ === *there were' |
	    head -n 1
}

tui_start_wrapped 100 40 "$SMTPTOOL"
t_check "a bare smtptool connects to its sandbox and is greeted" \
    tui_wait '<-  220 sandbox\.smtptool\.test ESMTP' 10
if first_note | grep -q "=== this is smtptool's built-in sandbox SMTP server"
then
	t_ok "the first note says this is the built-in sandbox"
else
	tui_screen
	t_fail "the first note says this is the built-in sandbox"
fi
t_check "the note names the demo account" tui_wait 'sandbox/sandbox' 2

send 'EHLO client.test'
t_check "EHLO: the sandbox's capabilities" \
    tui_wait '<-  250 AUTH PLAIN LOGIN CRAM-MD5' 10
send 'MAIL FROM:<sender@client.test>'
t_check "MAIL gets 250 2.1.0" tui_wait '<-  250 2\.1\.0 Ok' 10
send 'RCPT TO:<rcpt@example.test>'
t_check "RCPT gets 250 2.1.5" tui_wait '<-  250 2\.1\.5 Ok' 10
send 'DATA'
t_check "DATA gets 354" tui_wait '<-  354 ' 10
tui_wait '^data>' 5 >/dev/null
send "Subject: $token"
send ''
send 'typed by hand, Grüße'
send '.leading dot'
t_check "a leading dot is stuffed" tui_wait ' -> \.\.leading dot' 5
send '.'
if tui_wait '<-  250 2\.0\.0 Ok: queued as [^ ]+' 10; then
	t_ok "the lone . gets 250 queued as NAME"
else
	t_fail "the lone . gets 250 queued as NAME"
fi
qid=$(tui_screen | sed -n 's/.*<-  250 2\.0\.0 Ok: queued as \([^ ]*\).*/\1/p' |
    head -n 1)
send 'QUIT'
t_check "QUIT: the sandbox's session note says accepted=1" \
    tui_wait '=== sandbox: client=127\.0\.0\.1:[0-9]+ helo=client\.test .*accepted=1' 10
t_check "QUIT gets 221" tui_wait '<-  221 ' 10

f=$md/new/$qid
if [[ -n $qid && -f $f ]]; then
	t_ok "the message is in \$XDG_DATA_HOME/smtptool/maildir/new/ as NAME"
else
	echo "queue id '$qid'"
	find "$XDG_DATA_HOME" -ls
	t_fail "the message is in \$XDG_DATA_HOME/smtptool/maildir/new/ as NAME"
fi
if [[ -f $f ]] && "$PYTHON" - "$f" "$token" <<'EOF'
import sys
got = open(sys.argv[1], "rb").read()
want = ("Subject: %s\r\n\r\ntyped by hand, Grüße\r\n.leading dot\r\n" %
        sys.argv[2]).encode()
lines = got.split(b"\r\n")
n = 1
while n < len(lines) and lines[n][:1] in (b" ", b"\t"):
    n += 1
rest = b"\r\n".join(lines[n:])
if not got.startswith(b"Received: ") or rest != want:
    sys.exit("got %r" % got)
EOF
then
	t_ok "the file is a Received: line and the text as typed, un-stuffed"
else
	t_fail "the file is a Received: line and the text as typed, un-stuffed"
fi

send ':quit'
rc=$(tui_wait_exit 10)
t_check ":quit exits with 0" test "$rc" = 0
t_check "the terminal settings are as before" stty_unchanged

# Again: the certificates exist now; the sandbox's note comes first.
tui_start_wrapped 100 40 "$SMTPTOOL"
tui_wait '<-  220 sandbox\.smtptool\.test' 10 >/dev/null
if tui_screen | grep -E '=== ' | head -n 1 |
    grep -q "=== this is smtptool's built-in sandbox"; then
	t_ok "started again, the sandbox's note is the first line"
else
	tui_screen
	t_fail "started again, the sandbox's note is the first line"
fi
send 'EHLO client.test'
tui_wait '<-  250 AUTH ' 10 >/dev/null
send 'STARTTLS'
t_check "STARTTLS in the sandbox: the chain verifies" \
    tui_wait '=== TLS TLS1\.[23] .*verified' 10
send 'EHLO client.test'
send 'AUTH PLAIN AHNhbmRib3gAc2FuZGJveA=='
t_check "AUTH PLAIN as sandbox/sandbox under TLS: 235" \
    tui_wait '<~  235 2\.7\.0 ' 10
send ':quit'
rc=$(tui_wait_exit 10)
t_check ":quit exits with 0 again" test "$rc" = 0
n=$(find "$md/new" -type f | wc -l)
t_check "the Maildir holds the one message" test "$n" = 1
t_done
