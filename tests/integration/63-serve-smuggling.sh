#!/bin/bash
# The sandbox refuses SMTP smuggling: a bare LF (or CR) next to the final
# dot never ends the message; the bare LF is answered 521 5.5.2 and the
# connection closes, as Postfix's smtpd_forbid_bare_newline = yes does, and
# nothing of the attempt is delivered.  (A raw socket client: no real client
# sends these bytes on purpose.)

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/smuggling
mkdir -p "$W"

if ! serve_start --maildir "$W/maildir"; then
	t_fail "smtptool serve starts"
	exit 1
fi

# smuggle NAME PAYLOAD: one DATA with PAYLOAD in it; the server's replies in
# $W/NAME.out.
smuggle()
{
	timeout 20 "$PYTHON" - "$SERVE_PORT" "$2" >"$W/$1.out" 2>&1 <<'EOF2'
import socket, sys
port, payload = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        l = f.readline()
        if not l:
            return lines
        lines.append(l.decode(errors="replace").rstrip("\r\n"))
        if l[3:4] != b"-":
            return lines
print("\n".join(reply()))
for cmd in (b"EHLO smuggler.test", b"MAIL FROM:<a@smuggler.test>",
            b"RCPT TO:<b@sandbox.test>", b"DATA"):
    s.sendall(cmd + b"\r\n")
    print("\n".join(reply()))
s.sendall(payload)
try:
    while True:
        r = reply()
        if not r:
            print("EOF")
            break
        print("\n".join(r))
except socket.timeout:
    print("TIMEOUT")
EOF2
}

for p in 'Subject: a\r\n\r\nbody\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<b@sandbox.test>\r\nDATA\r\nevil\r\n.\r\n' \
    'Subject: b\r\n\r\nbody\r\n.\nMAIL FROM:<evil@x>\r\n' \
    'Subject: c\r\n\r\nbody\n.\nMAIL FROM:<evil@x>\r\n'; do
	n=$((n + 1))
	smuggle "p$n" "$p"
	if grep -q '^521 5\.5\.2' "$W/p$n.out" && grep -q '^EOF$' "$W/p$n.out" &&
	    ! grep -q 'queued' "$W/p$n.out"; then
		t_ok "smuggling payload $n: 521 5.5.2 and the connection closes"
	else
		cat "$W/p$n.out"
		t_fail "smuggling payload $n: 521 5.5.2 and the connection closes"
	fi
done
if [[ -z $(find "$W/maildir/new" -type f 2>/dev/null) ]]; then
	t_ok "nothing of the attempts was delivered"
else
	t_fail "nothing of the attempts was delivered"
fi
grep -q 'bare-lf=yes' "$SERVE_LOG"
t_check "the session log says a bare LF was seen" test $? = 0

t_done
