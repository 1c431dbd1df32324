#!/bin/bash
# smtptool serve with swaks as the real client: STARTTLS verified with the
# generated root, AUTH PLAIN, LOGIN and CRAM-MD5 with the demo account, 535
# for a wrong password, and a message (a line starting with a dot, 8-bit
# UTF-8) found byte for byte in the Maildir behind one Received: line.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/serve
mkdir -p "$W"

# shellcheck disable=SC2119 # no options: the defaults
if ! serve_start; then
	t_fail "smtptool serve starts"
	exit 1
fi
t_ok "smtptool serve starts and says where it listens"
if [[ -n $SERVE_CA && -s $SERVE_CA &&
    $SERVE_CA == "$XDG_DATA_HOME/smtptool/tls/root.pem" ]]; then
	t_ok "the generated root is under \$XDG_DATA_HOME/smtptool/tls"
else
	echo "SERVE_CA=$SERVE_CA"
	cat "$SERVE_LOG"
	t_fail "the generated root is under \$XDG_DATA_HOME/smtptool/tls"
fi

# swaks NAME [ARGS...]: one bounded swaks run against the sandbox; its
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

# out_has NAME REGEX: swaks's output for NAME has a line matching REGEX.
out_has()
{
	grep -qE -- "$2" "$W/$1.out"
}

check_out()
{
	if out_has "$2" "$3"; then
		t_ok "$1"
	else
		echo "no line matches: $3"
		cat "$W/$2.out"
		t_fail "$1"
	fi
}

tls=(--tls --tls-verify --tls-ca-path "$SERVE_CA")

# --- STARTTLS, verified ------------------------------------------------------

# swaks 20201014 verifies the chain (no host name check): --tls-sni sends
# the leaf's name anyway.
swaks_run tls "${tls[@]}" --tls-sni sandbox.smtptool.test --quit-after TLS
if ((rc == 0)) && out_has tls '^=== TLS started with cipher' &&
    out_has tls 'TLS peer DN=.*CN=sandbox\.smtptool\.test'; then
	t_ok "STARTTLS verified with the generated root (swaks --tls-verify)"
else
	echo "swaks exit $rc"
	cat "$W/tls.out"
	t_fail "STARTTLS verified with the generated root (swaks --tls-verify)"
fi

# The system store does not know the sandbox's root: verification fails.
swaks_run tls_untrusted --tls --tls-verify --quit-after TLS
if ((rc != 0)) && ! out_has tls_untrusted '^=== TLS started'; then
	t_ok "without the generated root, verification fails"
else
	cat "$W/tls_untrusted.out"
	t_fail "without the generated root, verification fails"
fi

# openssl checks the names of the leaf, which swaks 20201014 cannot.
for name in sandbox.smtptool.test localhost 127.0.0.1 ::1; do
	if [[ $name == 127.0.0.1 || $name == ::1 ]]; then
		vopt=(-verify_ip "$name")
	else
		vopt=(-verify_hostname "$name")
	fi
	out=$(timeout 20 openssl s_client -starttls smtp -connect \
	    "127.0.0.1:$SERVE_PORT" -CAfile "$SERVE_CA" "${vopt[@]}" \
	    -verify_return_error -brief </dev/null 2>&1)
	if grep -q 'Verification: OK' <<<"$out"; then
		t_ok "the leaf verifies for $name (openssl)"
	else
		printf '%s\n' "$out"
		t_fail "the leaf verifies for $name (openssl)"
	fi
done
out=$(timeout 20 openssl s_client -starttls smtp -connect \
    "127.0.0.1:$SERVE_PORT" -CAfile "$SERVE_CA" \
    -verify_hostname mx.example.org -verify_return_error -brief \
    </dev/null 2>&1)
if ! grep -q 'Verification: OK' <<<"$out"; then
	t_ok "the leaf does not verify for another name (openssl)"
else
	printf '%s\n' "$out"
	t_fail "the leaf does not verify for another name (openssl)"
fi

# --- AUTH --------------------------------------------------------------------

for mech in PLAIN LOGIN CRAM-MD5; do
	swaks_run "auth-$mech" "${tls[@]}" --auth "$mech" \
	    --auth-user sandbox --auth-password sandbox --quit-after AUTH
	if ((rc == 0)) && out_has "auth-$mech" '^<~  235 2\.7\.0 '; then
		t_ok "AUTH $mech as sandbox/sandbox under TLS gets 235"
	else
		echo "swaks exit $rc"
		cat "$W/auth-$mech.out"
		t_fail "AUTH $mech as sandbox/sandbox under TLS gets 235"
	fi
	swaks_run "badauth-$mech" "${tls[@]}" --auth "$mech" \
	    --auth-user sandbox --auth-password wrong --quit-after AUTH
	if ((rc != 0)) && out_has "badauth-$mech" '^<~\*? +535 5\.7\.8 '; then
		t_ok "AUTH $mech with a wrong password gets 535 5.7.8"
	else
		echo "swaks exit $rc"
		cat "$W/badauth-$mech.out"
		t_fail "AUTH $mech with a wrong password gets 535 5.7.8"
	fi
done

# AUTH without TLS is allowed (documented in session/server.h).
swaks_run auth-plain-notls --auth PLAIN --auth-user sandbox \
    --auth-password sandbox --quit-after AUTH
check_out "AUTH PLAIN without TLS is allowed on the sandbox" \
    auth-plain-notls '^<-  235 2\.7\.0 '

# --- a message, byte for byte ------------------------------------------------

token=serve-$RANDOM$RANDOM$RANDOM
# swaks turns LF into CRLF, stuffs a "." that starts a line (not the first
# line's: keep that one plain), and ends the text with CRLF "." CRLF.  A
# file without a final newline is therefore sent as its lines, each with
# CRLF, and nothing else.  No "%" or backslash: swaks expands those.
printf '%s\n' \
    "From: Sender <sender@client.test>" \
    "To: <rcpt@example.test>" \
    "Subject: $token Grüße, 日本語" \
    "Message-ID: <$token@client.test>" \
    "MIME-Version: 1.0" \
    "Content-Type: text/plain; charset=utf-8" \
    "Content-Transfer-Encoding: 8bit" \
    "" \
    "A body line." \
    ".a line that starts with a dot" \
    "..two dots" \
    "." \
    " .not at the start" \
    "8-bit: Größe ½ €" \
    "" \
    "" \
    "$token last line" | head -c -1 >"$W/message.txt"
# What swaks sends after un-stuffing: the same lines with CRLF.
/usr/bin/python3 - "$W/message.txt" "$W/expected.eml" <<'EOF'
import sys
src = open(sys.argv[1], "rb").read()
want = src.replace(b"\n", b"\r\n") + b"\r\n"
open(sys.argv[2], "wb").write(want)
EOF

swaks_run deliver "${tls[@]}" --auth CRAM-MD5 --auth-user sandbox \
    --auth-password sandbox --data "$W/message.txt"
if ((rc == 0)) && out_has deliver '^<~  250 2\.0\.0 Ok: queued as '; then
	t_ok "swaks delivers a message over STARTTLS and AUTH"
else
	echo "swaks exit $rc"
	cat "$W/deliver.out"
	t_fail "swaks delivers a message over STARTTLS and AUTH"
fi
check_out "swaks stuffed the dotted lines" deliver \
    $'^ ~> \\.\\.a line that starts with a dot\r?$'
qid=$(sed -n 's/^<~  250 2\.0\.0 Ok: queued as \([^ ]*\)$/\1/p' \
    "$W/deliver.out" | tr -d '\r' | head -n 1)
f=$SERVE_MAILDIR/new/$qid
if [[ -n $qid && -f $f ]]; then
	t_ok "the queue id in the 250 is the Maildir file name in new/"
else
	echo "queue id '$qid'; new/ holds:"
	ls -l "$SERVE_MAILDIR/new"
	f=$(maildir_wait_token "$SERVE_MAILDIR" "$token" 1)
	t_fail "the queue id in the 250 is the Maildir file name in new/"
fi
if [[ -n $f && -f $f ]] && /usr/bin/python3 - "$f" "$W/expected.eml" <<'EOF'
import re, sys
got = open(sys.argv[1], "rb").read()
want = open(sys.argv[2], "rb").read()
lines = got.split(b"\r\n")
if not lines[0].startswith(b"Received: "):
    sys.exit("the file does not start with Received:")
# The Received: line, folded: continuation lines start with white space.
n = 1
while n < len(lines) and lines[n][:1] in (b" ", b"\t"):
    n += 1
received = b"\r\n".join(lines[:n]) + b"\r\n"
rest = got[len(received):]
if rest != want:
    sys.stderr.write("after the Received: line:\n%r\nwanted:\n%r\n" %
                     (rest[:400], want[:400]))
    sys.exit(1)
unfolded = re.sub(rb"\r\n[ \t]+", b" ", received)
if unfolded.count(b"\r\n") != 1 or b"\n" in unfolded[:-1] or \
        b"\r" in unfolded[:-2]:
    sys.exit("the Received: line is not one folded header line")
for want_part in (b"from client.test ([127.0.0.1])", b"by sandbox.smtptool.test",
                  b"with ESMTPSA", b"for <rcpt@example.test>"):
    if want_part not in unfolded:
        sys.exit("the Received: line lacks %r: %r" % (want_part, unfolded))
EOF
then
	t_ok "the Maildir file is one Received: line, then the bytes swaks sent, un-stuffed"
else
	t_fail "the Maildir file is one Received: line, then the bytes swaks sent, un-stuffed"
fi
if [[ -z $(ls -A "$SERVE_MAILDIR/tmp") ]]; then
	t_ok "nothing is left in the Maildir's tmp/"
else
	ls -l "$SERVE_MAILDIR/tmp"
	t_fail "nothing is left in the Maildir's tmp/"
fi

# The session's one log line.
if grep -qE 'client=127\.0\.0\.1:[0-9]+ helo=client\.test tls=yes auth=sandbox accepted=1 refused=0 rules=0 .*end=quit' \
    "$SERVE_LOG"; then
	t_ok "the sandbox logs the session in one line"
else
	cat "$SERVE_LOG"
	t_fail "the sandbox logs the session in one line"
fi
if [[ $(grep -c 'auth=' "$SERVE_LOG") -ge 7 ]] &&
    ! grep -qE 'wrong|d3Jvbmc|c2FuZGJveABzYW5kYm94AHdyb25n' "$SERVE_LOG"; then
	t_ok "the log never shows a password"
else
	t_fail "the log never shows a password"
fi

serve_stop "$SERVE_PORT"
t_done
