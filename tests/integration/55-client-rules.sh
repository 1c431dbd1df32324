#!/bin/bash
# The client simulates throttling (--rules, :rules): a command a rule
# answers is not sent (checked in Postfix's own log), its reply is marked
# "<! " in the transcript, and the batch mode treats it like a real reply
# (a 451 fails the script unless :expect says otherwise).

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/client-rules
mkdir -p "$W"

pf_port=$(free_port)
if ! postfix_start "$TESTS_TMP/postfix" "$pf_port"; then
	t_fail "postfix starts"
	exit 1
fi
pf=127.0.0.1:$POSTFIX_PORT

cat >"$W/grey.rules" <<'EOF2'
# greylisting for one address, as a client would meet it
rcpt /<nobody@test\.local>/i first 1 reply 451 4.7.1 Greylisted, try again later
mail /<slow@/ delay 1s; reply 450 4.7.0 Slow down
EOF2

run()
{
	local name=$1
	shift
	timeout 60 "$SMTPTOOL" --batch - "$@" >"$W/$name.out" \
	    2>"$W/$name.err"
	rc=$?
}

# A rule answers the first RCPT to nobody@: Postfix would have said 550.
run grey --rules "$W/grey.rules" "$pf" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
:expect 451
RCPT TO:<nobody@test.local>
RCPT TO:<alice@test.local>
QUIT
EOF2
t_check "--rules: the simulated 451 is the expected reply (exit $rc)" \
    test "$rc" = 0
t_check "the simulated reply is marked <! in the transcript" \
    grep -qE '^[0-9.]+ <!  451 4\.7\.1 Greylisted, try again later$' \
    "$W/grey.out"
t_check "the transcript says the command was not sent, and which rule" \
    grep -qE '=== not sent, a rule answers \(grey\.rules:2 rcpt .*\): RCPT TO:<nobody@test\.local>$' \
    "$W/grey.out"
if grep -qE ' -> RCPT TO:<nobody@test\.local>' "$W/grey.out"; then
	t_fail "no RCPT to nobody@ goes to the server"
else
	t_ok "no RCPT to nobody@ goes to the server"
fi
# Postfix logs every RCPT it refuses: nobody@ would be a 550 there.
sleep 0.2
if postfix_log | grep -q 'nobody@test\.local'; then
	postfix_log | grep 'nobody@test\.local'
	t_fail "Postfix's log never saw nobody@test.local"
else
	t_ok "Postfix's log never saw nobody@test.local"
fi

# first 1 counts per client: the retry (a new run) reaches Postfix... in a
# new process the counters start again, so within one script instead:
run retry --rules "$W/grey.rules" "$pf" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
:expect 451
RCPT TO:<nobody@test.local>
:expect 550
RCPT TO:<nobody@test.local>
EOF2
t_check "the retry is sent and gets Postfix's real 550 (exit $rc)" \
    test "$rc" = 0
t_check "the real 550 is a server line" \
    grep -qE '^[0-9.]+ <-  550 5\.1\.1 <nobody@test\.local>' "$W/retry.out"

# Without :expect a simulated 4xx fails the script like a real one.
run fail --rules "$W/grey.rules" "$pf" <<'EOF2'
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<nobody@test.local>
EOF2
t_check "a simulated 451 fails the script with the RCPT exit code ($rc)" \
    test "$rc" = 26
t_check "QUIT is sent after it" grep -qE '  -> QUIT$' "$W/fail.out"

# delay: the simulated reply is held.
start=$(date +%s%N)
run delay --rules "$W/grey.rules" "$pf" <<'EOF2'
EHLO client.test
:expect 450
MAIL FROM:<slow@client.test>
EOF2
ms=$((($(date +%s%N) - start) / 1000000))
t_check "a delay rule holds the simulated reply (${ms} ms, exit $rc)" \
    test "$rc" = 0 -a "$ms" -ge 1000

# :rules in a script, and :rules off.
run inline "$pf" <<EOF2
EHLO client.test
MAIL FROM:<a@client.test>
:rules $W/grey.rules
:expect 451
RCPT TO:<nobody@test.local>
:rules off
:expect 550
RCPT TO:<nobody@test.local>
EOF2
t_check ":rules FILE and :rules off in a script (exit $rc)" test "$rc" = 0

printf 'rcpt first 1 frist\n' >"$W/bad.rules"
run bad --rules "$W/bad.rules" "$pf" </dev/null
if [[ $rc == 1 ]] && grep -q 'cannot load rules .*bad.rules: line 1, column' \
    "$W/bad.err"; then
	t_ok "a broken rules file is refused with its line and column"
else
	cat "$W/bad.err"
	t_fail "a broken rules file is refused with its line and column ($rc)"
fi

t_done
