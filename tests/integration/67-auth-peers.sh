#!/bin/bash
# smtptool's AUTH, composing and extensions against real servers: the
# private Postfix with Cyrus SASL (sasldb users), AUTH PLAIN, LOGIN and
# CRAM-MD5 over STARTTLS by --auth, each message found in the Maildir byte
# for byte with its attachment decoding to the file; a wrong password's
# 535 (exit 24); PIPELINING (MAIL, RCPT and DATA in one go, each reply
# matched to its command); a message over Postfix's SIZE refused before
# MAIL; no secret in any transcript.  Then aiosmtpd: AUTH under STARTTLS
# and SMTPUTF8 (a UTF-8 address and subject), byte for byte.

. "$(dirname "$0")/../lib/peers.sh"
. "$TESTS_ROOT/tests/lib/certs.sh"

W=$TESTS_TMP/auth-peers
mkdir -p "$W"
C=$TESTS_TMP/fixtures
CHECK=$TESTS_ROOT/tests/lib/message_check.py

if ! certs_make "$C"; then
	t_fail "certs_make makes the fixtures"
	exit 1
fi
if ! postfix_auth_start "$TESTS_TMP/postfix" "$C"; then
	t_fail "postfix_auth_start starts Postfix with SASL"
	exit 1
fi

# st NAME PORT [ARGS...]: smtptool at 127.0.0.1:PORT verifying the test
# chain for mx.test.local; JSON Lines in $W/NAME.json, the native
# transcript in $W/NAME.rec, status in $rc.
st()
{
	local name=$1 port=$2
	shift 2
	timeout 60 "$SMTPTOOL" --json --record "$W/$name.rec" \
	    --ca-file "$C/root.pem" --sni mx.test.local --helo client.test \
	    "$@" "127.0.0.1:$port" </dev/null >"$W/$name.json" 2>"$W/$name.err"
	rc=$?
}

has()
{
	grep -qF -- "$2" "$W/$1.json"
}

show()
{
	sed 's/^/#   /' "$W/$1.rec" | tail -n 40
	sed 's/^/#   /' "$W/$1.err"
}

printf 'a small attachment\n' >"$W/note.txt"
head -c 4000 /dev/urandom >"$W/blob.bin"

# mech user password: each authenticates by itself after STARTTLS.
while read -r mech user pass; do
	tok=tok-$mech-$RANDOM$RANDOM
	printf 'Hello %s\n.dot line\n' "$tok" >"$W/body-$mech.txt"
	name=pf-$mech
	SMTPTOOL_PASSWORD=$pass st "$name" "$PF_AUTH_PORT" --auth "$mech" \
	    --user "$user" --from "a@client.test" --to alice@test.local \
	    --subject "AUTH $mech" --body "$W/body-$mech.txt" \
	    --attach "$W/blob.bin"
	if ((rc == 0)) && has "$name" '"text":"235 2.7.0' &&
	    has "$name" "\"text\":\"AUTH $mech"; then
		t_ok "postfix: --auth $mech as $user over STARTTLS"
	else
		show "$name"
		t_fail "postfix: --auth $mech as $user over STARTTLS (exit $rc)"
	fi
	if f=$(maildir_wait_token "$POSTFIX_MAILDIR/alice" "$tok" 20); then
		"$PYTHON" "$CHECK" "postfix $mech" "$W/$name.json" "$f" \
		    --attach "$W/blob.bin" --subject "AUTH $mech" \
		    --body-has "$tok" --body-has '.dot line'
		(($? == 0)) || t_failed=$((t_failed + 1))
	else
		t_fail "postfix $mech: the message is in alice's Maildir"
	fi
done <<EOF2
PLAIN $PF_AUTH_USER $PF_AUTH_PASS
LOGIN $PF_AUTH_USER $PF_AUTH_PASS
CRAM-MD5 $PF_AUTH_USER $PF_AUTH_PASS
EOF2

# bob's password has a space and a "!"; from a file (mode 600).
printf '%s\n' "$PF_AUTH_PASS2" >"$W/pw"
chmod 600 "$W/pw"
st pf-file "$PF_AUTH_PORT" --auth LOGIN --user "$PF_AUTH_USER2" \
    --password-file "$W/pw" --from b@client.test --to bob@test.local
t_check "postfix: --password-file (a password with a space)" test "$rc" -eq 0
chmod 644 "$W/pw"
st pf-file644 "$PF_AUTH_PORT" --auth LOGIN --user "$PF_AUTH_USER2" \
    --password-file "$W/pw" --from b@client.test --to bob@test.local
t_check "a password file others may read is refused (exit 1)" \
    test "$rc" -eq 1
t_check "  with the reason" grep -q 'others may read it' "$W/pf-file644.err"

SMTPTOOL_PASSWORD=wrong-password st pf-wrong "$PF_AUTH_PORT" --auth PLAIN \
    --user "$PF_AUTH_USER" --from a@client.test --to alice@test.local
t_check "postfix: a wrong password gets 535, exit 24" test "$rc" -eq 24
t_check "  535 in the transcript" has pf-wrong '"text":"535 5.7.8'
t_check "  and no MAIL after it" bash -c "! grep -q 'MAIL FROM' '$W/pf-wrong.json'"

# PIPELINING: MAIL, both RCPTs and DATA at the same instant, then each reply
# matched to its command (the second RCPT is refused: nobody@).
SMTPTOOL_PASSWORD=$PF_AUTH_PASS st pf-pipe "$PF_AUTH_PORT" --auth PLAIN \
    --user "$PF_AUTH_USER" --from a@client.test \
    --to alice@test.local,nobody@test.local
t_check "pipelined: said so" has pf-pipe 'MAIL, 2 RCPT and DATA go out together'
if "$PYTHON" - "$W/pf-pipe.json" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
c = [r for r in recs if r["kind"] == "client"]
i = next(k for k, r in enumerate(c) if r["text"].startswith("MAIL FROM"))
batch = c[i:i + 4]
ok = ([r["text"].split(":")[0].split(" ")[0] for r in batch] ==
      ["MAIL", "RCPT", "RCPT", "DATA"] and len({r["t"] for r in batch}) == 1)
sys.exit(0 if ok else 1)
PY
then
	t_ok "pipelined: MAIL, RCPT, RCPT, DATA written at the same instant"
else
	show pf-pipe
	t_fail "pipelined: MAIL, RCPT, RCPT, DATA written at the same instant"
fi
t_check "pipelined: the refusal is matched to its RCPT" \
    grep -qE '"text":"5[0-9][0-9] answers RCPT TO:<nobody@test.local>' \
    "$W/pf-pipe.json"
t_check "pipelined: the refused RCPT fails the run (exit 26)" \
    test "$rc" -eq 26
t_check "pipelined: the message still went to alice" \
    has pf-pipe '"text":"250 2.0.0 Ok: queued'

# Over SIZE: refused before MAIL (Postfix's SIZE 20000).
head -c 30000 /dev/urandom | base64 >"$W/big.txt"
st pf-size "$PF_SMALL_PORT" --from a@client.test --to alice@test.local \
    --body "$W/big.txt"
t_check "over SIZE: refused before sending, exit 25" test "$rc" -eq 25
t_check "  with the sizes" grep -q 'the server takes at most 20000 (SIZE)' \
    "$W/pf-size.rec"
t_check "  and MAIL never sent" bash -c "! grep -q 'MAIL FROM' '$W/pf-size.rec'"

# Every end-of-data smuggling sequence in a body reaches Postfix as text.
tok=smug-$RANDOM$RANDOM
smuggle_body "$tok" >"$W/smuggle.txt"
SMTPTOOL_PASSWORD=$PF_AUTH_PASS st pf-smuggle "$PF_AUTH_PORT" --auth PLAIN \
    --user "$PF_AUTH_USER" --from a@client.test --to alice@test.local \
    --body "$W/smuggle.txt"
t_check "postfix: a body with every smuggling sequence is accepted once" \
    test "$rc" -eq 0 -a "$(grep -c '250 2.0.0 Ok: queued' "$W/pf-smuggle.json")" -eq 1
if f=$(maildir_wait_token "$POSTFIX_MAILDIR/alice" "$tok" 20); then
	n=$(grep -c 'MAIL FROM:<.*@evil>' "$f")
	m=$(grep -cx '\.' "$f")
	t_check "postfix: the 6 smuggled commands and dots arrive as text ($n, $m)" \
	    test "$n" -eq 6 -a "$m" -eq 6
else
	t_fail "postfix: the smuggling message is in alice's Maildir"
fi

leaked=0
for f in "$W"/pf-*.rec "$W"/pf-*.json; do
	if grep -qF -e "$PF_AUTH_PASS" -e "$PF_AUTH_PASS2" -e wrong-password \
	    -e "$(printf '\0%s\0%s' "$PF_AUTH_USER" "$PF_AUTH_PASS" |
	    base64 -w0)" -e "$(printf '%s' "$PF_AUTH_PASS" | base64 -w0)" \
	    "$f"; then
		echo "# a secret in $f"
		leaked=1
	fi
done
t_check "no secret in any transcript" test "$leaked" -eq 0
postfix_auth_stop "$POSTFIX_DIR"

# --- aiosmtpd: AUTH under STARTTLS, SMTPUTF8 ------------------------------
ai_port=$(free_port)
if aiosmtpd_start "$ai_port" ok --auth --cert "$C/valid.chain.pem" \
    --key "$C/valid.key.pem" --outdir "$W/ai"; then
	tok=utf8-$RANDOM$RANDOM
	printf 'Grüße %s\n' "$tok" >"$W/utf8.txt"
	SMTPTOOL_PASSWORD=alice-secret-1 st ai "$AIOSMTPD_PORT" --auth PLAIN \
	    --user alice --from 'Jörg <jörg@tëst.local>' --to 'ålice@test.local' \
	    --subject 'Ünïcödé' --body "$W/utf8.txt"
	t_check "aiosmtpd: AUTH PLAIN and a UTF-8 message (exit $rc)" \
	    test "$rc" -eq 0
	t_check "aiosmtpd: MAIL with SMTPUTF8" \
	    grep -q 'MAIL FROM:<jörg@tëst.local> SIZE=[0-9]* BODY=8BITMIME SMTPUTF8\|MAIL FROM:<jörg@tëst.local> BODY=8BITMIME SMTPUTF8' \
	    "$W/ai.rec"
	f=$(grep -l "$tok" "$W"/ai/*.eml 2>/dev/null | head -1)
	if [[ -n $f ]]; then
		"$PYTHON" "$CHECK" aiosmtpd "$W/ai.json" "$f" --subject 'Ünïcödé' \
		    --body-has "$tok"
		(($? == 0)) || t_failed=$((t_failed + 1))
	else
		t_fail "aiosmtpd: the message is stored"
	fi
	aiosmtpd_stop
else
	t_fail "aiosmtpd starts with --auth and STARTTLS"
fi
t_done
