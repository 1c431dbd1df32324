#!/bin/bash
# smtptool serve --rules against real clients: greylisting (swaks: 451
# 4.7.1 at the first RCPT, 250 on the retry from the same address, a new
# address greylisted again), "mail every 3 per connection ... 421 ...
# close" (smtptool --batch, then a raw socket that sees the server close),
# and a connection rate limit per client (the 4th connection in a minute
# gets 421; another client address does not).

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/rules
mkdir -p "$W"

# swaks_run NAME [ARGS...]: one bounded swaks run against $SERVE_PORT; its
# output in $W/NAME.out, its exit status in $rc.
swaks_run()
{
	local name=$1
	shift
	timeout 30 swaks --server "127.0.0.1:$SERVE_PORT" --ehlo client.test \
	    --from sender@client.test --to rcpt@example.test "$@" \
	    </dev/null >"$W/$name.out" 2>&1
	rc=$?
}

out_has()
{
	grep -qE -- "$2" "$W/$1.out"
}

# check_swaks TEST NAME REGEX: swaks's output NAME has a line matching REGEX.
check_swaks()
{
	if out_has "$2" "$3"; then
		t_ok "$1"
	else
		echo "swaks exit $rc; no line matches: $3"
		cat "$W/$2.out"
		t_fail "$1"
	fi
}

# 127.0.0.2 is a loopback address of its own on Linux: another client.
other=127.0.0.2
have_other=0
if "$PYTHON" -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' \
    2>/dev/null; then
	have_other=1
fi

# --- greylisting ---------------------------------------------------------------

if ! serve_start --rules "$TESTS_ROOT/share/rules/greylisting.rules"; then
	t_fail "smtptool serve starts with greylisting.rules"
	exit 1
fi
token=grey-$RANDOM$RANDOM
swaks_run grey1 --header "Subject: $token"
if ((rc != 0)) && out_has grey1 '^<\*\* +451 4\.7\.1 '; then
	t_ok "greylisting: the first RCPT gets 451 4.7.1"
else
	echo "swaks exit $rc"
	cat "$W/grey1.out"
	t_fail "greylisting: the first RCPT gets 451 4.7.1"
fi
swaks_run grey2 --header "Subject: $token"
if ((rc == 0)) && out_has grey2 '^<-  250 2\.1\.5 ' &&
    out_has grey2 '^<-  250 2\.0\.0 Ok: queued as '; then
	t_ok "greylisting: the retry from the same client is accepted"
else
	echo "swaks exit $rc"
	cat "$W/grey2.out"
	t_fail "greylisting: the retry from the same client is accepted"
fi
n=$(grep -lF "$token" "$SERVE_MAILDIR"/new/* 2>/dev/null | wc -l)
t_check "greylisting: exactly the retried message is in the Maildir" \
    test "$n" = 1
if ((have_other)); then
	swaks_run grey3 --local-interface "$other"
	check_swaks "greylisting: a new client address is greylisted on its first RCPT" \
	    grey3 '^<\*\* +451 4\.7\.1 '
else
	t_skip "greylisting: a new client address" "cannot bind $other"
fi
if grep -qE 'rules=1 \(greylisting\.rules:[0-9]+ rcpt first 1 -> 451 4\.7\.1\)' \
    "$SERVE_LOG"; then
	t_ok "greylisting: the session log names the rule that fired"
else
	cat "$SERVE_LOG"
	t_fail "greylisting: the session log names the rule that fired"
fi
serve_stop "$SERVE_PORT"

# --- 421 and close on the third MAIL of a connection ---------------------------

cat >"$W/every3.rules" <<'EOF'
# The third MAIL of each connection (and the 6th, ...): 421, then close.
mail every 3 per connection reply 421 4.7.0 Too many messages in one connection; close
EOF
if ! serve_start --rules "$W/every3.rules"; then
	t_fail "smtptool serve starts with every3.rules"
	exit 1
fi
{
	echo "EHLO client.test"
	for i in 1 2 3; do
		echo "MAIL FROM:<sender@client.test>"
		echo "RCPT TO:<rcpt@example.test>"
		echo "DATA"
		echo "Subject: message $i"
		echo ""
		echo "body $i"
		echo "."
	done
	echo "QUIT"
} >"$W/every3.smtp"
timeout 30 "$SMTPTOOL" --batch "$W/every3.smtp" "127.0.0.1:$SERVE_PORT" \
    >"$W/every3.out" 2>"$W/every3.err"
rc=$?
if [[ $(grep -c '<-  250 2\.0\.0 Ok: queued as ' "$W/every3.out") == 2 ]] &&
    grep -qE '^[0-9.]+ <-  421 4\.7\.0 Too many messages in one connection$' \
    "$W/every3.out" && ((rc != 0)); then
	t_ok "every 3: two messages go through, the third MAIL gets 421 (smtptool --batch)"
else
	echo "exit $rc"
	cat "$W/every3.out" "$W/every3.err"
	t_fail "every 3: two messages go through, the third MAIL gets 421 (smtptool --batch)"
fi
if ! grep -q ' -> RCPT' <(sed -n '/<-  421 /,$p' "$W/every3.out"); then
	t_ok "every 3: nothing is sent after the 421"
else
	cat "$W/every3.out"
	t_fail "every 3: nothing is sent after the 421"
fi
# A raw client: after the 421 the server closes; the next read is EOF.
if "$PYTHON" - "$SERVE_PORT" >"$W/every3-raw.out" 2>&1 <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")

def reply():
    lines = []
    while True:
        line = f.readline()
        if not line:
            sys.exit("EOF while waiting for a reply, after %r" % lines)
        lines.append(line)
        if line[3:4] != b"-":
            return lines

def cmd(c):
    s.sendall(c + b"\r\n")
    r = reply()
    print(c, r)
    return r

reply()
cmd(b"EHLO raw.test")
for i in range(2):
    assert cmd(b"MAIL FROM:<a@client.test>")[-1].startswith(b"250 ")
    assert cmd(b"RCPT TO:<b@example.test>")[-1].startswith(b"250 ")
    assert cmd(b"DATA")[-1].startswith(b"354 ")
    assert cmd(b"Subject: raw\r\n\r\nraw body\r\n.")[-1].startswith(b"250 ")
r = cmd(b"MAIL FROM:<a@client.test>")
assert r[-1].startswith(b"421 4.7.0 "), r
rest = f.read()          # EOF within the timeout, or socket.timeout
assert rest == b"", rest
print("closed after the 421")
EOF
then
	t_ok "every 3: the server closes the connection after the 421"
else
	cat "$W/every3-raw.out"
	t_fail "every 3: the server closes the connection after the 421"
fi
if [[ $(grep -c 'accepted=2 refused=0 rules=1 (every3\.rules:2 mail every 3 per connection -> 421 4\.7\.0, close) end=rule' \
    "$SERVE_LOG") == 2 ]]; then
	t_ok "every 3: each session is logged with end=rule"
else
	cat "$SERVE_LOG"
	t_fail "every 3: each session is logged with end=rule"
fi
n=$(find "$SERVE_MAILDIR/new" -type f | wc -l)
t_check "every 3: the Maildir holds the 4 accepted messages" test "$n" = 4
serve_stop "$SERVE_PORT"

# --- a connection rate limit per client ------------------------------------------

cat >"$W/rate.rules" <<'EOF'
connect rate 3/60s per client reply 421 4.7.0 Too many connections, slow down; close
EOF
if ! serve_start --rules "$W/rate.rules"; then
	t_fail "smtptool serve starts with rate.rules"
	exit 1
fi
good=0
for i in 1 2 3; do
	swaks_run "rate$i" --quit-after CONNECT
	((rc == 0)) && out_has "rate$i" '^<-  220 ' && good=$((good + 1))
done
if ((good == 3)); then
	t_ok "rate 3/60s: three connections in a row are greeted"
else
	cat "$W"/rate[123].out
	t_fail "rate 3/60s: three connections in a row are greeted"
fi
swaks_run rate4 --quit-after CONNECT
if ((rc != 0)) && out_has rate4 '^<\*\* +421 4\.7\.0 Too many connections'
then
	t_ok "rate 3/60s: the 4th connection within the minute gets 421"
else
	echo "swaks exit $rc"
	cat "$W/rate4.out"
	t_fail "rate 3/60s: the 4th connection within the minute gets 421"
fi
swaks_run rate5 --quit-after CONNECT
check_swaks "rate 3/60s: and so does the 5th" rate5 '^<\*\* +421 4\.7\.0 '
if ((have_other)); then
	swaks_run rate-other --quit-after CONNECT --local-interface "$other"
	if ((rc == 0)) && out_has rate-other '^<-  220 '; then
		t_ok "rate 3/60s: another client address is greeted (per client)"
	else
		cat "$W/rate-other.out"
		t_fail "rate 3/60s: another client address is greeted (per client)"
	fi
else
	t_skip "rate 3/60s: another client address" "cannot bind $other"
fi
serve_stop "$SERVE_PORT"

t_done
