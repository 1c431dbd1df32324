#!/bin/bash
# Composing and sending against the sandbox (smtptool serve): a MIME
# message with a UTF-8 subject, an HTML alternative and attachments, found
# in the Maildir byte for byte with attachments decoding to the files;
# AUTH with XOAUTH2 and OAUTHBEARER (and a wrong token's 334 then 535);
# BDAT chunks; DSN parameters seen by the server; REQUIRETLS; every
# end-of-data smuggling sequence arriving harmless; a raw DATA tagged;
# the Message-ID kept on a retry; no secret in any saved transcript.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/compose
mkdir -p "$W"
CHECK=$TESTS_ROOT/tests/lib/message_check.py

# shellcheck disable=SC2119 # no options: the defaults
if ! serve_start; then
	t_fail "smtptool serve starts"
	exit 1
fi

# run NAME [ARGS...]: smtptool against the sandbox, STARTTLS verified;
# JSON Lines in $W/NAME.json, stderr in $W/NAME.err, status in $rc.
run()
{
	local name=$1
	shift
	timeout 60 "$SMTPTOOL" --json --ca-file "$SERVE_CA" --helo client.test \
	    "$@" "127.0.0.1:$SERVE_PORT" </dev/null >"$W/$name.json" \
	    2>"$W/$name.err"
	rc=$?
}

# has NAME TEXT: the transcript of NAME holds TEXT.
has()
{
	grep -qF -- "$2" "$W/$1.json"
}

# --- a whole message: text, HTML, attachments, UTF-8 subject, XOAUTH2 ----
tok=tok-$RANDOM$RANDOM
printf 'Hello from the compose test %s\nline two, ünïcödé\n' "$tok" \
    >"$W/body.txt"
printf '<p>Hello <b>%s</b></p>\n' "$tok" >"$W/body.html"
head -c 5000 /dev/urandom >"$W/data.bin"
printf '%%PDF-1.4 not really\n' >"$W/report.pdf"
SMTPTOOL_PASSWORD=sandbox run full --auth XOAUTH2 --user sandbox \
    --from 'Ann Example <ann@example.org>' --to 'Bob <bob@example.net>' \
    --cc carl@example.net --bcc dee@example.net \
    --subject 'Grüße aus Köln, a test' --body "$W/body.txt" \
    --html "$W/body.html" --attach "$W/data.bin" --attach "$W/report.pdf" \
    --header 'X-Test: compose'
t_check "the whole dialog by itself: EHLO, STARTTLS, AUTH, MAIL..QUIT" \
    test "$rc" -eq 0
t_check "XOAUTH2 authenticates" has full '"text":"235 2.7.0'
t_check "the AUTH line is masked" has full '"text":"AUTH XOAUTH2 [masked]"'
t_check "PIPELINING: MAIL, RCPTs and DATA together" \
    has full 'MAIL, 3 RCPT and DATA go out together'
t_check "Bcc is in the envelope" has full 'RCPT TO:<dee@example.net>'
if f=$(maildir_wait_token "$SERVE_MAILDIR" "$tok" 10); then
	t_ok "the message is in the Maildir"
	"$PYTHON" "$CHECK" full "$W/full.json" "$f" --attach "$W/data.bin" \
	    --attach "$W/report.pdf" --subject 'Grüße aus Köln, a test' --html \
	    --body-has "$tok" --body-has 'ünïcödé'
	(($? == 0)) || t_failed=$((t_failed + 1))
	if grep -qi '^bcc:' "$f"; then
		t_fail "no Bcc header in the message"
	else
		t_ok "no Bcc header in the message"
	fi
	mid1=$(grep -m1 -i '^message-id:' "$f" | tr -d '\r')
else
	t_fail "the message is in the Maildir"
fi

# The same message retried keeps its Message-ID.
sleep 1.1
SMTPTOOL_PASSWORD=sandbox run again --auth XOAUTH2 --user sandbox \
    --from 'Ann Example <ann@example.org>' --to 'Bob <bob@example.net>' \
    --cc carl@example.net --bcc dee@example.net \
    --subject 'Grüße aus Köln, a test' --body "$W/body.txt" \
    --html "$W/body.html" --attach "$W/data.bin" --attach "$W/report.pdf" \
    --header 'X-Test: compose'
mid2=$(grep -ho '"text":"Message-ID: <[^>]*>' "$W/again.json" | head -1)
if [[ $rc -eq 0 && -n ${mid1-} && $mid2 == *"${mid1#*: }"* ]]; then
	t_ok "a retried message keeps its Message-ID"
else
	t_fail "a retried message keeps its Message-ID ($mid1 / $mid2)"
fi

# --- OAUTHBEARER, a wrong token, and no secret anywhere ------------------
SMTPTOOL_PASSWORD=sandbox run oauth --auth OAUTHBEARER --user sandbox \
    --record "$W/oauth.rec" --from a@example.org --to b@example.net
t_check "OAUTHBEARER authenticates and the message goes" test "$rc" -eq 0
SMTPTOOL_PASSWORD=not-the-token run badtok --auth OAUTHBEARER \
    --user sandbox --record "$W/badtok.rec" --from a@example.org \
    --to b@example.net
t_check "a wrong token: exit 24" test "$rc" -eq 24
t_check "its 334 error is shown decoded" has badtok \
    '334 decoded: \"{\"status\":\"invalid_token\"'
t_check "then 535" has badtok '"text":"535 5.7.8'
SMTPTOOL_PASSWORD=sandbox run badpw --auth LOGIN --user sandbox \
    --record "$W/login.rec" --from a@example.org --to b@example.net
t_check "LOGIN: each step shown decoded" has badpw '334 decoded: \"Username:\"'
leaked=0
for secret in sandbox not-the-token c2FuZGJveA AHNhbmRib3gAc2FuZGJveA \
    bm90LXRoZS10b2tlbg; do
	for f in "$W"/oauth.rec "$W"/badtok.rec "$W"/login.rec; do
		# "sandbox" is also the user and the server's name: look for
		# it as a secret only where a secret would be.
		if [[ $secret == sandbox ]]; then
			grep -q 'auth=Bearer sandbox' "$f" && leaked=1
		elif grep -qF -- "$secret" "$f"; then
			echo "leak: $secret in $f"
			leaked=1
		fi
	done
done
t_check "no secret in the saved transcripts" test "$leaked" -eq 0
SMTPTOOL_PASSWORD=sandbox run shown --auth PLAIN --user sandbox \
    --show-secrets --from a@example.org --to b@example.net
t_check "--show-secrets: the AUTH line as it was sent" \
    has shown '"text":"AUTH PLAIN AHNhbmRib3gAc2FuZGJveA=="' 

# --- BDAT, DSN, REQUIRETLS ----------------------------------------------
tok2=bdat-$RANDOM$RANDOM
head -c 6000 /dev/urandom | base64 >"$W/big.txt"
printf '%s\n' "$tok2" >>"$W/big.txt"
run bdat --starttls --from a@example.org --to b@example.net \
    --body "$W/big.txt" --bdat --chunk-size 2000 --dsn-ret HDRS \
    --dsn-envid 'env id+1' --dsn-notify success,failure --dsn-orcpt \
    --requiretls
t_check "BDAT: the dialog succeeds" test "$rc" -eq 0
t_check "BDAT chunks of 2000 bytes" has bdat '"text":"BDAT 2000"'
t_check "the last chunk says LAST" grep -qE '"text":"BDAT [0-9]+ LAST"' \
    "$W/bdat.json"
t_check "DSN on MAIL, seen by the server" \
    has bdat '250 2.1.0 Ok (RET=HDRS ENVID=env+20id+2B1 REQUIRETLS)'
t_check "DSN on RCPT, seen by the server" \
    has bdat '250 2.1.5 Ok (NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net)'
if f=$(maildir_wait_token "$SERVE_MAILDIR" "$tok2" 10); then
	"$PYTHON" "$CHECK" bdat "$W/bdat.json" "$f" --body-has "$tok2" \
	    >/dev/null 2>&1
	# The BDAT text is not stuffed: compare the body directly.
	if tr -d '\r' <"$f" | grep -qF "$tok2"; then
		t_ok "the BDAT message is in the Maildir"
	else
		t_fail "the BDAT message is in the Maildir"
	fi
else
	t_fail "the BDAT message is in the Maildir"
fi
run notls --from a@example.org --to b@example.net --requiretls
t_check "REQUIRETLS without TLS: refused before MAIL, exit 25" \
    test "$rc" -eq 25
t_check "  and said why" has notls 'REQUIRETLS: the session is not under TLS'
if has notls '"text":"MAIL FROM'; then
	t_fail "  and MAIL was never sent"
else
	t_ok "  and MAIL was never sent"
fi

# --- smuggling sequences in a body --------------------------------------
tok3=smug-$RANDOM$RANDOM
smuggle_body "$tok3" >"$W/smuggle.txt"
run smuggle --from a@example.org --to b@example.net --body "$W/smuggle.txt"
t_check "a body with every smuggling sequence is accepted" test "$rc" -eq 0
n=$(grep -c '"text":"250 2.0.0 Ok: queued' "$W/smuggle.json")
t_check "exactly one message is queued" test "$n" -eq 1
if f=$(maildir_wait_token "$SERVE_MAILDIR" "$tok3" 10); then
	if ! "$PYTHON" -c 'import re, sys
d = open(sys.argv[1], "rb").read()
sys.exit(1 if re.search(rb"(?<!\r)\n|\r(?!\n)", d) else 0)' "$f"; then
		t_fail "every line end arrives as CRLF"
	else
		t_ok "every line end arrives as CRLF"
	fi
	n=$(grep -c 'MAIL FROM:<.*@evil>' "$f")
	t_check "the smuggled commands are text of the message ($n of 6)" \
	    test "$n" -eq 6
	n=$(tr -d '\r' <"$f" | grep -cx '\.')
	t_check "each smuggled dot arrives as a \".\" line of text ($n of 6)" \
	    test "$n" -eq 6
else
	t_fail "the smuggling message is in the Maildir"
fi

# A raw DATA is tagged on every line, and the sandbox refuses its bare LF.
printf 'Subject: raw\n\nraw\n.\nMAIL FROM:<x@y>\n' >"$W/raw.txt"
cat >"$W/raw.script" <<-EOF2
EHLO client.test
MAIL FROM:<a@example.org>
RCPT TO:<b@example.net>
:expect 5xx
:data --raw $W/raw.txt
EOF2
timeout 30 "$SMTPTOOL" --batch "$W/raw.script" "127.0.0.1:$SERVE_PORT" \
    >"$W/raw.out" 2>&1
rc=$?
t_check "raw DATA: the script runs ($rc)" test "$rc" -eq 0
t_check "raw lines are tagged r->" grep -q ' r-> raw\\n$' "$W/raw.out"
t_check "the sandbox refuses the bare LF before the dot" \
    grep -q '<-  521 5.5.2' "$W/raw.out"

# An empty script with --from and --to: the whole dialog too.
printf '# nothing but a comment\n\n' >"$W/empty.script"
run empty --batch "$W/empty.script" --from a@example.org --to b@example.net
t_check "an empty script with --from/--to runs the whole dialog" \
    test "$rc" -eq 0
t_check "  and the message is queued" has empty '"text":"250 2.0.0 Ok: queued'

# --- what is refused -----------------------------------------------------
timeout 10 "$SMTPTOOL" --auth PLAIN --user u --password hunter2 \
    127.0.0.1:1 >"$W/pw.out" 2>&1
rc=$?
t_check "--password on the command line: refused (exit 1)" test "$rc" -eq 1
t_check "  with the reason" grep -q 'other users see it in ps' "$W/pw.out"
printf 'EHLO client.test\nAUTH PLAIN AHNhbmRib3gAc2FuZGJveA==\n' \
    >"$W/plain.script"
timeout 30 "$SMTPTOOL" --batch "$W/plain.script" "127.0.0.1:$SERVE_PORT" \
    >"$W/plain.out" 2>&1
rc=$?
t_check "a typed AUTH over plaintext is refused (exit 3)" test "$rc" -eq 3
t_check "  with the reason" grep -q 'cannot send AUTH over plaintext' \
    "$W/plain.out"
t_check "  and never sent" bash -c "! grep -q 'AHNhbmRib3g' '$W/plain.out'"

serve_stop
t_done
