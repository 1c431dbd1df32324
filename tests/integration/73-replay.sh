#!/bin/bash
# smtptool replay: a capture made against aiosmtpd (which accepts every
# recipient) re-run against Postfix (which knows only alice@ and bob@)
# flags exactly the replies that differ: the RCPT for nobody@ changes
# class (250 -> 550), the rest at most changes text, and the exit status
# says so (30).  Offline, --batch prints the dialog and where it failed;
# --save writes the capture back byte for byte; a masked AUTH is re-run
# with a secret asked afresh; a target that is not loopback needs --yes;
# broken captures (binary, truncated, one gigantic line) get clear errors.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/replay
mkdir -p "$W"

ai_port=$(free_port)
if ! aiosmtpd_start "$ai_port" ok; then
	t_fail "aiosmtpd starts"
	exit 1
fi
cat >"$W/dialog.smtp" <<'EOF2'
EHLO client.test
MAIL FROM:<sender@client.test>
RCPT TO:<alice@test.local>
RCPT TO:<nobody@test.local>
DATA
Subject: replay test

a line
..a stuffed line
.
QUIT
EOF2
timeout 30 "$SMTPTOOL" --batch "$W/dialog.smtp" --record "$W/cap.transcript" \
    "127.0.0.1:$AIOSMTPD_PORT" >"$W/cap.out" 2>&1
t_check "the capture against aiosmtpd is made" test $? -eq 0
aiosmtpd_stop

# Offline.
timeout 30 "$SMTPTOOL" replay "$W/cap.transcript" --batch >"$W/off.out" 2>&1
rc=$?
t_check "offline: a capture that did not fail exits 0" test "$rc" -eq 0
t_check "offline: the steps with their phases" \
    grep -qE '^ +5  rcpt +RCPT TO:<nobody@test.local> +250' "$W/off.out"
t_check "offline: the message step" \
    grep -qE '^ +7  greeted +\(message, 4 lines\) +250' "$W/off.out"
t_check "offline: the summary" \
    grep -q '^summary: no step failed; 1 message accepted; ended with QUIT' \
    "$W/off.out"
timeout 30 "$SMTPTOOL" replay "$W/cap.transcript" --batch --save \
    "$W/copy.transcript" >/dev/null 2>&1
t_check "--save writes the capture back byte for byte" \
    cmp -s "$W/cap.transcript" "$W/copy.transcript"

# Live, against Postfix.
if ! postfix_start "$TESTS_TMP/postfix" "$(free_port)"; then
	t_fail "postfix starts"
	exit 1
fi
timeout 60 "$SMTPTOOL" replay "$W/cap.transcript" --batch \
    --against "127.0.0.1:$POSTFIX_PORT" >"$W/live.out" 2>&1
rc=$?
t_check "against Postfix: a class changed, exit 30" test "$rc" -eq 30
t_check "the RCPT for nobody@ changed class" \
    grep -qE '^# +5  RCPT TO:<nobody@test.local> +250 +550 +class changed' \
    "$W/live.out"
n=$(grep -cE '^# +[0-9]+  .* class changed$' "$W/live.out")
t_check "and only it ($n)" test "$n" -eq 1
t_check "the message went to alice" \
    grep -qE '^# +7  \(message, 4 lines\) +250 +250 +text changed' \
    "$W/live.out"
t_check "each live reply is set beside the captured one" \
    grep -q '=== step 4: the capture had 250 2.1.5 OK (text changed)' \
    "$W/live.out"
t_check "  in red when the class changed" \
    grep -q '\*\*\* step 5: the capture had 250 .*(class changed)' \
    "$W/live.out"
if f=$(maildir_wait_token "$POSTFIX_MAILDIR" 'a stuffed line' 20); then
	if grep -qx '\.\.a stuffed line' "$f"; then
		t_ok "the message is re-sent with correct dot-stuffing"
	else
		t_fail "the message is re-sent with correct dot-stuffing"
	fi
else
	t_fail "the re-sent message reaches alice's Maildir"
fi

# A target that is not loopback: refused without --yes, nothing sent.
timeout 10 "$SMTPTOOL" replay "$W/cap.transcript" --batch \
    --against 192.0.2.1:25 >"$W/far.out" 2>&1
rc=$?
t_check "a non-loopback target needs --yes (exit 1)" test "$rc" -eq 1
t_check "  and says why" grep -q 'not a loopback address.*--yes' "$W/far.out"

# A masked AUTH: the secret is asked afresh, never taken from the file.
# shellcheck disable=SC2119 # no options: the defaults
serve_start
SMTPTOOL_PASSWORD=sandbox timeout 30 "$SMTPTOOL" --auth PLAIN --user sandbox \
    --ca-file "$SERVE_CA" --from a@example.org --to b@example.net \
    --record "$W/auth.transcript" "127.0.0.1:$SERVE_PORT" >/dev/null 2>&1
t_check "a capture with AUTH is made (masked)" \
    grep -q 'AUTH PLAIN \[masked\]' "$W/auth.transcript"
timeout 30 "$SMTPTOOL" replay "$W/auth.transcript" --batch --ca-file \
    "$SERVE_CA" --against "127.0.0.1:$SERVE_PORT" </dev/null \
    >"$W/auth-nouser.out" 2>&1
rc=$?
t_check "re-running AUTH without --user: exit 1, said why" \
    test "$rc" -eq 1 -a -n "$(grep 'needs --user' "$W/auth-nouser.out")"
SMTPTOOL_PASSWORD=sandbox timeout 30 "$SMTPTOOL" replay \
    "$W/auth.transcript" --batch --ca-file "$SERVE_CA" --user sandbox \
    --against "127.0.0.1:$SERVE_PORT" >"$W/auth.out" 2>&1
rc=$?
t_check "re-running AUTH with the secret asked afresh: exit 0 ($rc)" \
    test "$rc" -eq 0
t_check "  235 again" \
    grep -qE '^# +[0-9]+  AUTH PLAIN \[masked\] +235 +235 +same' \
    "$W/auth.out"
t_check "  and STARTTLS where the capture had it" \
    grep -qE '^# +[0-9]+  STARTTLS +220 +220 +same' "$W/auth.out"
if grep -q 'AHNhbmRib3gAc2FuZGJveA' "$W/auth.out"; then
	t_fail "  and no secret in its output"
else
	t_ok "  and no secret in its output"
fi

# BDAT chunks are re-sent byte for byte, each compared.
head -c 3000 /dev/urandom | base64 >"$W/bdat-body.txt"
timeout 30 "$SMTPTOOL" --from a@example.org --to b@example.net --bdat \
    --chunk-size 1000 --body "$W/bdat-body.txt" \
    --record "$W/bdat.transcript" "127.0.0.1:$SERVE_PORT" >/dev/null 2>&1
t_check "a capture with BDAT chunks is made" \
    grep -q 'BDAT [0-9]* LAST' "$W/bdat.transcript"
timeout 30 "$SMTPTOOL" replay "$W/bdat.transcript" --batch \
    --against "127.0.0.1:$SERVE_PORT" >"$W/bdat.out" 2>&1
rc=$?
t_check "re-running BDAT: exit 0 ($rc)" test "$rc" -eq 0
n=$(grep -cE '^# +[0-9]+  BDAT [0-9]+( LAST)? +250 +250 +(same|text changed)' \
    "$W/bdat.out")
m=$(grep -c ' -> BDAT ' "$W/bdat.transcript")
t_check "  each of the $m chunks compared ($n)" test "$n" -eq "$m" -a "$m" -ge 4
serve_stop

# Broken captures.
head -c 3000 /dev/urandom >"$W/binary.transcript"
timeout 10 "$SMTPTOOL" replay "$W/binary.transcript" --batch \
    >"$W/binary.out" 2>&1
rc=$?
t_check "a binary file: exit 3" test "$rc" -eq 3
t_check "  with a clear error" grep -q '^smtptool: cannot read' "$W/binary.out"
head -c 700 "$W/cap.transcript" >"$W/truncated.transcript"
timeout 10 "$SMTPTOOL" replay "$W/truncated.transcript" --batch \
    >"$W/trunc.out" 2>&1
rc=$?
t_check "a truncated capture is read as far as it goes (rc $rc)" \
    test "$rc" -eq 0 -o "$rc" -eq 3
{
	head -n 3 "$W/cap.transcript"
	printf '0.100000 <-  250 '
	head -c 3000000 /dev/zero | tr '\0' 'x'
	printf '\n'
} >"$W/huge.transcript"
timeout 20 "$SMTPTOOL" replay "$W/huge.transcript" --batch \
    >"$W/huge.out" 2>&1
rc=$?
t_check "a gigantic line: exit 3, no hang" test "$rc" -eq 3
t_check "  with a clear error" grep -q 'line .*longer than' "$W/huge.out"
if LC_ALL=C grep -q $'\x1b' "$W"/*.out; then
	t_fail "no escape byte from a capture reaches the output"
else
	t_ok "no escape byte from a capture reaches the output"
fi
t_done
