#!/bin/bash
# The batch mode against real servers: a private Postfix (delivery, 550,
# 554, :expect, :data with dot-stuffing, IPv6), aiosmtpd (421 at MAIL),
# smtp-sink (its EHLO reply, HELO fallback, timeouts), and the exit codes.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/batch
mkdir -p "$W"

# run NAME TARGET [OPTIONS...] < SCRIPT: the transcript in $W/NAME.out, the
# exit status in $rc; every run is bounded.
run()
{
	local name=$1 target=$2
	shift 2
	timeout 60 "$SMTPTOOL" --batch - "$@" "$target" >"$W/$name.out" \
	    2>"$W/$name.err"
	rc=$?
}

# expect_rc NAME WANT: the last run exited with WANT.
expect_rc()
{
	if [[ $rc == "$2" ]]; then
		t_ok "$1 (exit $rc)"
	else
		printf 'exit %s, want %s\n' "$rc" "$2"
		cat "$W/$3.out" "$W/$3.err" 2>/dev/null
		t_fail "$1"
	fi
}

# has NAME REGEX: the transcript of run NAME has a line matching REGEX.
has()
{
	grep -qE -- "$2" "$W/$1.out"
}

check_has()
{
	if has "$2" "$3"; then
		t_ok "$1"
	else
		echo "no line matches: $3"
		cat "$W/$2.out"
		t_fail "$1"
	fi
}

# --- Postfix -----------------------------------------------------------------

pf_port=$(free_port)
if ! postfix_start "$TESTS_TMP/postfix" "$pf_port"; then
	t_fail "postfix starts"
	exit 1
fi
pf=127.0.0.1:$POSTFIX_PORT

token=batch-$RANDOM$RANDOM$RANDOM
run deliver "$pf" --record "$W/deliver.rec" <<EOF2
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<alice@test.local>
DATA
Subject: $token

.a line that starts with a dot
body $token
.
QUIT
EOF2
expect_rc "a message sent with --batch is accepted by Postfix" 0 deliver
if f=$(maildir_wait_token "$POSTFIX_MAILDIR/alice" "$token" 20); then
	t_ok "the message arrives in Postfix's Maildir"
	if grep -qx '\.a line that starts with a dot' "$f"; then
		t_ok "a typed line starting with a dot arrives unchanged"
	else
		cat "$f"
		t_fail "a typed line starting with a dot arrives unchanged"
	fi
else
	t_fail "the message arrives in Postfix's Maildir"
fi
check_has "the transcript shows the stuffed line as sent" deliver \
    '^[0-9]+\.[0-9]{6}  -> \.\.a line that starts with a dot$'
check_has "the transcript shows Postfix's queued reply" deliver \
    '^[0-9]+\.[0-9]{6} <-  250 2\.0\.0 Ok: queued'
if cmp -s "$W/deliver.out" "$W/deliver.rec"; then
	t_ok "--record writes the same transcript as stdout"
else
	diff "$W/deliver.out" "$W/deliver.rec"
	t_fail "--record writes the same transcript as stdout"
fi
if head -n 1 "$W/deliver.out" | grep -qx '# smtptool-transcript 1' &&
    sed -n 2p "$W/deliver.out" | grep -qE "^# start [0-9T:.-]+Z target $pf\$"
then
	t_ok "the transcript starts with its header"
else
	head -n 2 "$W/deliver.out"
	t_fail "the transcript starts with its header"
fi

run unknown "$pf" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<nobody@test.local>
DATA
EOF2
expect_rc "550 for an unknown user gives the RCPT exit code" 26 unknown
check_has "the 550 5.1.1 is in the transcript" unknown \
    ' <-  550 5\.1\.1 <nobody@test\.local>'
check_has "QUIT is sent after the failure" unknown '  -> QUIT$'
if has unknown '  -> DATA$'; then
	t_fail "no command of the script runs after the failure"
else
	t_ok "no command of the script runs after the failure"
fi

run relay "$pf" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<x@example.com>
EOF2
expect_rc "554 relay denied gives the RCPT exit code" 26 relay
check_has "the 554 5.7.1 is in the transcript" relay \
    ' <-  554 5\.7\.1 .*Relay access denied'

run expect_ok "$pf" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
:expect 550
RCPT TO:<nobody@test.local>
:expect 5xx
RCPT TO:<x@example.com>
RCPT TO:<bob@test.local>
RSET
EOF2
expect_rc ":expect makes a 550 the expected reply" 0 expect_ok

run expect_bad "$pf" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
:expect 4xx
RCPT TO:<nobody@test.local>
EOF2
expect_rc ":expect fails the script on another reply" 26 expect_bad
check_has "the failure names what was expected" expect_bad \
    '^[0-9.]+ \*\*\* RCPT: expected 4xx, got 550 \(exit 26\)$'

token=file-$RANDOM$RANDOM
printf 'Subject: %s\n\n.\n..two\nbare\rcr\nlast line without end' "$token" \
    >"$W/msg.txt"
run datafile "$pf" <<EOF2
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<bob@test.local>
:data $W/msg.txt
EOF2
expect_rc ":data FILE sends a message" 0 datafile
if f=$(maildir_wait_token "$POSTFIX_MAILDIR/bob" "$token" 20); then
	body=$(sed -n '/^$/,$p' "$f" | tail -n +2)
	want=$(printf '.\n..two\nbare\ncr\nlast line without end')
	if [[ $body == "$want" ]]; then
		t_ok ":data FILE arrives with dots and line ends intact"
	else
		printf 'got:\n%s\nwant:\n%s\n' "$body" "$want"
		t_fail ":data FILE arrives with dots and line ends intact"
	fi
else
	t_fail ":data FILE arrives in the Maildir"
fi

if [[ $POSTFIX_IPV6 == 1 ]]; then
	run v6 "[::1]:$POSTFIX_PORT" <<<'EHLO client.test'
	expect_rc "IPv6 literal target [::1]:PORT" 0 v6
	check_has "the transcript names the IPv6 peer" v6 \
	    "connected to \[::1\]:$POSTFIX_PORT"
else
	t_skip "IPv6 literal target" "no ::1 on this machine"
fi

if getent hosts localhost | grep -q '^127\.0\.0\.1'; then
	run byname "localhost:$POSTFIX_PORT" -4 <<<'EHLO client.test'
	expect_rc "a host name target (localhost:PORT) resolves" 0 byname
	check_has "the name resolved to the loopback address" byname \
	    "connected to 127\.0\.0\.1:$POSTFIX_PORT"
else
	t_skip "a host name target" "localhost does not resolve to 127.0.0.1"
fi

run family "$pf" -6 <<<'EHLO client.test'
expect_rc "-6 with an IPv4 literal cannot connect" 2 family
check_has "the cause is named" family "cannot resolve 127\.0\.0\.1"

run json "$pf" --json <<<'EHLO client.test'
if [[ $rc == 0 ]] && "$PYTHON" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert any(r["kind"] == "server" and r.get("code") == 250 for r in recs)
assert all("t" in r and "text" in r for r in recs)
' "$W/json.out"; then
	t_ok "--json prints valid JSON Lines"
else
	cat "$W/json.out"
	t_fail "--json prints valid JSON Lines"
fi

# --- aiosmtpd ------------------------------------------------------------------

ai_port=$(free_port)
if aiosmtpd_start "$ai_port" 421-at-mail; then
	start=$(date +%s)
	run ai421 "127.0.0.1:$ai_port" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<alice@test.local>
EOF2
	expect_rc "aiosmtpd's 421 at MAIL gives the MAIL exit code" 25 ai421
	check_has "the 421 is in the transcript" ai421 ' <-  421 4\.7\.0'
	check_has "the session ends cleanly" ai421 '=== connection closed$'
	if (($(date +%s) - start < 10)); then
		t_ok "the 421 ends the session at once"
	else
		t_fail "the 421 ends the session at once"
	fi
else
	t_fail "aiosmtpd starts"
fi

# --- smtp-sink ------------------------------------------------------------------

sk_port=$(free_port)
if smtp_sink_start "$sk_port"; then
	run sink "127.0.0.1:$sk_port" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<b@client.test>
DATA
Subject: sink

.
EOF2
	expect_rc "smtp-sink's EHLO reply with its empty last line parses" 0 sink
	check_has "the empty 250 line is in the transcript" sink ' <-  250 $'
else
	t_fail "smtp-sink starts"
fi

sk2=$(free_port)
if smtp_sink_start "$sk2" -f ehlo; then
	run helo "127.0.0.1:$sk2" <<<'EHLO client.test'
	expect_rc "EHLO refused with 500 falls back to HELO" 0 helo
	check_has "HELO is sent with the same name" helo '  -> HELO client\.test$'
fi

sk3=$(free_port)
if smtp_sink_start "$sk3" -W mail:5; then
	run slow "127.0.0.1:$sk3" --timeout 1 <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
EOF2
	expect_rc "no reply within --timeout gives exit 5" 5 slow
	check_has "the timeout is explained" slow \
	    '\*\*\* no reply to MAIL FROM:<a@client\.test> within 1\.0 s'
fi

# --- the tool's own failures --------------------------------------------------

dead=$(free_port)
run refused "127.0.0.1:$dead" <<<'EHLO client.test'
expect_rc "a refused connection gives exit 2" 2 refused
check_has "the cause is in the transcript" refused \
    "cannot connect to 127\.0\.0\.1:$dead: Connection refused"

run badscript "$pf" <<<':frobnicate now'
expect_rc "an unknown :command gives exit 3 before connecting" 3 badscript
if grep -q 'line 1: cannot run :frobnicate' "$W/badscript.err" &&
    ! [[ -s $W/badscript.out ]]; then
	t_ok "the script error names the line and connects nowhere"
else
	cat "$W/badscript.err" "$W/badscript.out"
	t_fail "the script error names the line and connects nowhere"
fi

timeout 10 "$SMTPTOOL" --batch - --timeout 5q "$pf" </dev/null \
    >/dev/null 2>"$W/usage.err"
rc=$?
if [[ $rc == 1 ]] && grep -q 'cannot parse --timeout' "$W/usage.err"; then
	t_ok "a bad option gives exit 1 and says why"
else
	t_fail "a bad option gives exit 1 and says why (exit $rc)"
fi

timeout 10 "$SMTPTOOL" --batch /nonexistent/script "$pf" >/dev/null \
    2>"$W/noscript.err"
rc=$?
if [[ $rc == 3 ]] && grep -q 'cannot read script /nonexistent/script' \
    "$W/noscript.err"; then
	t_ok "a missing script gives exit 3"
else
	t_fail "a missing script gives exit 3 (exit $rc)"
fi

t_done
