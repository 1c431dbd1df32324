#!/bin/bash
# shellcheck disable=SC2154 # PF_* come from postfix_auth_start
# The AUTH and SMTPUTF8 peers of tests/lib/peers.sh work, checked with swaks
# alone (the tests of smtptool's own AUTH client rely on them):
# postfix_auth_start (Cyrus SASL with a sasldb of its own: PLAIN, LOGIN and
# CRAM-MD5 under STARTTLS and implicit TLS, delivery to the Maildirs, 535 for
# a wrong password, no AUTH before STARTTLS, the plaintext-AUTH port, the
# small message_size_limit port) and aiosmtpd_server.py's --auth, --cert and
# SMTPUTF8 (a UTF-8 envelope and 8-bit data stored byte for byte).

# shellcheck source=../lib/peers.sh
. "$(dirname "$0")/../lib/peers.sh"
# shellcheck source=../lib/certs.sh
. "$TESTS_ROOT/tests/lib/certs.sh"

W=$TESTS_TMP/auth
mkdir -p "$W"
C=$TESTS_TMP/fixtures

# sw NAME SERVER [SWAKS ARGS...]: one swaks run, bounded; its transcript in
# $W/NAME.out, its exit status in $rc.
sw()
{
	local name=$1 server=$2
	shift 2
	timeout 30 swaks --server "$server" --ehlo client.test \
	    --from a@client.test --timeout 10 "$@" >"$W/$name.out" 2>&1 \
	    </dev/null
	rc=$?
}

# reply NAME REGEX: a server reply line (plaintext or TLS, good or bad)
# matches REGEX (anchored after the "<- " / "<~ " / "<** " / "<~* " mark).
reply()
{
	sed -n 's/^<[-~*][*]\{0,1\} \{1,2\}//p' "$W/$1.out" | grep -qE -- "^$2"
}

# said NAME REGEX: a line of swaks's own (*** ...) matches REGEX.
said()
{
	grep -E '^\*\*\* ' "$W/$1.out" | grep -qE -- "$2"
}

# plain_reply NAME REGEX: a plaintext (before TLS) reply line matches REGEX.
plain_reply()
{
	sed -n 's/^<[-*][*]\{0,1\} \{1,2\}//p' "$W/$1.out" | grep -qE -- "^$2"
}

# tls_reply NAME REGEX: a reply line under TLS matches REGEX.
tls_reply()
{
	sed -n 's/^<~[*]\{0,1\} \{1,2\}//p' "$W/$1.out" | grep -qE -- "^$2"
}

show()
{
	sed 's/^/#   /' "$W/$1.out" | head -n 60
}

# verdict NAME WHAT: ok when the status before it is 0, else show NAME.
verdict()
{
	local st=$?
	if ((st == 0)); then
		t_ok "$2"
	else
		show "$1"
		t_fail "$2"
	fi
}

token()
{
	printf 'tok-%s-%s%s%s\n' "$1" "$RANDOM" "$RANDOM" "$RANDOM"
}

if ! certs_make "$C"; then
	t_fail "certs_make makes the fixtures"
	exit 1
fi

# --- Postfix with Cyrus SASL ------------------------------------------------

if ! postfix_auth_start "$TESTS_TMP/postfix" "$C"; then
	t_fail "postfix_auth_start starts Postfix with SASL"
	exit 1
fi
t_ok "postfix_auth_start starts Postfix with SASL (auth $PF_AUTH_PORT," \
    "implicit $PF_AUTH_IMPLICIT_PORT, notls $PF_AUTH_NOTLS_PORT," \
    "small $PF_SMALL_PORT)"
pf=127.0.0.1:$PF_AUTH_PORT

# Before STARTTLS: STARTTLS and PIPELINING, no AUTH; after it: AUTH.
sw ehlo "$pf" --to alice@test.local -tls --quit-after HELO
plain_reply ehlo '250[- ]STARTTLS$' && plain_reply ehlo '250[- ]PIPELINING$' &&
    ! plain_reply ehlo '250[- ]AUTH' &&
    tls_reply ehlo '250[- ]AUTH PLAIN LOGIN CRAM-MD5$' &&
    tls_reply ehlo '250[- ]PIPELINING$'
verdict ehlo "postfix auth port: AUTH PLAIN LOGIN CRAM-MD5 only after STARTTLS"

sw noauth-plain "$pf" --to alice@test.local --auth PLAIN \
    --auth-user "$PF_AUTH_USER" --auth-password "$PF_AUTH_PASS"
((rc != 0)) && said noauth-plain 'Host did not advertise authentication' &&
    ! reply noauth-plain '235'
verdict noauth-plain "postfix auth port: swaks --auth without STARTTLS finds no AUTH"

sw notls-mail "$pf" --to alice@test.local
reply notls-mail '530 5\.7\.0 Must issue a STARTTLS command first'
verdict notls-mail "postfix auth port: MAIL before STARTTLS gets 530 5.7.0"

sw unauth "$pf" --to alice@test.local -tls
reply unauth '554 5\.7\.1 <alice@test\.local>: Recipient address rejected'
verdict unauth "postfix auth port: RCPT without AUTH gets 554 5.7.1"

# mech user password recipient: each delivered under STARTTLS.
while read -r mech user rcpt; do
	pass=$PF_AUTH_PASS
	[[ $user == bob* ]] && pass=$PF_AUTH_PASS2
	tok=$(token "$mech")
	name=pf-$mech-${user%%@*}
	sw "$name" "$pf" --to "$rcpt" -tls --auth "$mech" --auth-user "$user" \
	    --auth-password "$pass" --header "Subject: $tok"
	box=$POSTFIX_MAILDIR/${rcpt%%@*}
	((rc == 0)) && tls_reply "$name" '235 2\.7\.0 Authentication successful' &&
	    tls_reply "$name" '250 2\.0\.0 Ok: queued' &&
	    maildir_wait_token "$box" "$tok" 20 >/dev/null
	verdict "$name" "postfix: AUTH $mech as $user over STARTTLS, delivered to $rcpt"
done <<EOF
PLAIN $PF_AUTH_USER alice@test.local
LOGIN $PF_AUTH_USER alice@test.local
CRAM-MD5 $PF_AUTH_USER alice@test.local
PLAIN $PF_AUTH_USER2 bob@test.local
LOGIN bob@test.local bob@test.local
CRAM-MD5 $PF_AUTH_USER2 bob@test.local
EOF

for mech in PLAIN LOGIN CRAM-MD5; do
	sw "pf-bad-$mech" "$pf" --to alice@test.local -tls --auth "$mech" \
	    --auth-user "$PF_AUTH_USER" --auth-password "wrong-$PF_AUTH_PASS"
	((rc != 0)) && tls_reply "pf-bad-$mech" '535 5\.7\.8 ' &&
	    ! reply "pf-bad-$mech" '235'
	verdict "pf-bad-$mech" "postfix: a wrong password with $mech gets 535 5.7.8"
done
sw pf-nouser "$pf" --to alice@test.local -tls --auth PLAIN \
    --auth-user nobody@test.local --auth-password "$PF_AUTH_PASS"
((rc != 0)) && tls_reply pf-nouser '535 5\.7\.8 '
verdict pf-nouser "postfix: an unknown user gets 535 5.7.8"

tok=$(token implicit)
sw implicit "127.0.0.1:$PF_AUTH_IMPLICIT_PORT" --to alice@test.local \
    --tls-on-connect --auth PLAIN --auth-user "$PF_AUTH_USER" \
    --auth-password "$PF_AUTH_PASS" --header "Subject: $tok"
((rc == 0)) && tls_reply implicit '220 ' &&
    tls_reply implicit '235 2\.7\.0 ' &&
    maildir_wait_token "$POSTFIX_MAILDIR/alice" "$tok" 20 >/dev/null
verdict implicit "postfix: AUTH PLAIN over implicit TLS, delivered"

tok=$(token notls)
sw notls "127.0.0.1:$PF_AUTH_NOTLS_PORT" --to bob@test.local --auth LOGIN \
    --auth-user "$PF_AUTH_USER2" --auth-password "$PF_AUTH_PASS2" \
    --header "Subject: $tok"
((rc == 0)) && plain_reply notls '250[- ]AUTH PLAIN LOGIN CRAM-MD5$' &&
    ! plain_reply notls '250[- ]STARTTLS' &&
    plain_reply notls '235 2\.7\.0 ' &&
    maildir_wait_token "$POSTFIX_MAILDIR/bob" "$tok" 20 >/dev/null
verdict notls "postfix notls port: AUTH offered and accepted in plaintext"

# The small port: SIZE 20000; 30 kB refused with 552 after the data,
# 1 kB delivered.
big=$(for ((i = 0; i < 400; i++)); do printf '%075d\n' "$i"; done)
sw small-big "127.0.0.1:$PF_SMALL_PORT" --to alice@test.local --body "$big"
plain_reply small-big '250[- ]SIZE 20000$' &&
    plain_reply small-big '250[- ]PIPELINING$' &&
    plain_reply small-big '354 ' &&
    plain_reply small-big '552 5\.3\.4 '
verdict small-big "postfix small port: SIZE 20000, a ${#big}-byte body gets 552 5.3.4"
tok=$(token small)
sw small-ok "127.0.0.1:$PF_SMALL_PORT" --to bob@test.local \
    --header "Subject: $tok" --body "${big:0:1000}"
((rc == 0)) && plain_reply small-ok '250 2\.0\.0 Ok: queued' &&
    maildir_wait_token "$POSTFIX_MAILDIR/bob" "$tok" 20 >/dev/null
verdict small-ok "postfix small port: a 1000-byte body is delivered"

# The sasldb is the instance's own and smtpd (user postfix) reads it.
if [[ $PF_AUTH_SASLDB == "$POSTFIX_DIR"/* ]] &&
    su -s /bin/sh postfix -c "test -r '$PF_AUTH_SASLDB'" 2>/dev/null; then
	t_ok "the sasldb is under the instance and readable by postfix"
else
	stat -c "%A %U:%G %n" "$PF_AUTH_SASLDB" 2>&1 | sed 's/^/#   /'
	t_fail "the sasldb is under the instance and readable by postfix"
fi
if grep -qE 'SASL authentication problem|unable to open Berkeley db' \
    "$POSTFIX_DIR/log/maillog"; then
	grep -E 'SASL' "$POSTFIX_DIR/log/maillog" | sed 's/^/#   /' | head
	t_fail "Postfix logged no SASL set-up problem"
else
	t_ok "Postfix logged no SASL set-up problem"
fi
postfix_auth_stop "$POSTFIX_DIR"

# --- aiosmtpd: AUTH under STARTTLS, SMTPUTF8 --------------------------------

TLSARGS=(--cert "$C/valid.chain.pem" --key "$C/valid.key.pem")
ai_port=$(free_port)
if aiosmtpd_start "$ai_port" ok --auth "${TLSARGS[@]}" --outdir "$W/ai"; then
	ai=127.0.0.1:$AIOSMTPD_PORT
	sw ai-ehlo "$ai" --to x@test.local -tls --quit-after HELO
	plain_reply ai-ehlo '250[- ]STARTTLS$' &&
	    plain_reply ai-ehlo '250[- ]SMTPUTF8$' &&
	    ! plain_reply ai-ehlo '250[- ]AUTH' &&
	    tls_reply ai-ehlo '250[- ]AUTH CRAM-MD5 LOGIN PLAIN$' &&
	    tls_reply ai-ehlo '250[- ]SMTPUTF8$'
	verdict ai-ehlo "aiosmtpd --auth: SMTPUTF8; AUTH CRAM-MD5 LOGIN PLAIN only after STARTTLS"

	sw ai-notls "$ai" --to x@test.local --auth PLAIN --auth-user alice \
	    --auth-password alice-secret-1
	((rc != 0)) && said ai-notls 'Host did not advertise authentication'
	verdict ai-notls "aiosmtpd --auth: swaks --auth without STARTTLS finds no AUTH"

	for mech in PLAIN LOGIN CRAM-MD5; do
		for up in alice:alice-secret-1 'bob@test.local:b0b pass!'; do
			user=${up%%:*}
			sw "ai-$mech-$user" "$ai" --to x@test.local -tls \
			    --auth "$mech" --auth-user "$user" \
			    --auth-password "${up#*:}"
			((rc == 0)) &&
			    tls_reply "ai-$mech-$user" '235 2\.7\.0 ' &&
			    tls_reply "ai-$mech-$user" '250 2\.0\.0 OK: queued'
			verdict "ai-$mech-$user" "aiosmtpd: AUTH $mech as $user over STARTTLS"
		done
		sw "ai-bad-$mech" "$ai" --to x@test.local -tls --auth "$mech" \
		    --auth-user alice --auth-password wrong
		((rc != 0)) && tls_reply "ai-bad-$mech" '535 5\.7\.8 '
		verdict "ai-bad-$mech" "aiosmtpd: a wrong password with $mech gets 535 5.7.8"
	done
	if grep -q "AUTH CRAM-MD5 ok for 'alice'" \
	    "$TESTS_TMP/aiosmtpd-$ai_port.log" &&
	    grep -qE "message [0-9]+ from <a@client\.test> .* auth alice tls yes" \
	    "$TESTS_TMP/aiosmtpd-$ai_port.log"; then
		t_ok "aiosmtpd logs the AUTH and the authenticated message"
	else
		sed 's/^/#   /' "$TESTS_TMP/aiosmtpd-$ai_port.log" | tail -n 20
		t_fail "aiosmtpd logs the AUTH and the authenticated message"
	fi

	# A UTF-8 envelope and 8-bit data (not even UTF-8: \xff\xfe), stored
	# byte for byte; swaks adds the CRLF before the final dot.
	printf 'Subject: h\xc3\xa9\r\nFrom: <\xc3\xa5lice@t\xc3\xabst.local>\r\n\r\nbody \xff\xfe bytes\r\n.dot\r\nlast' \
	    >"$W/utf8.msg"
	before=$(find "$W/ai" -name '*.eml' | wc -l)
	sw ai-utf8 "$ai" --from 'ålice@tëst.local' --to 'jörg@test.local' \
	    -tls --auth PLAIN --auth-user alice --auth-password alice-secret-1 \
	    --data "@$W/utf8.msg"
	n=$((before + 1))
	if ((rc == 0)) && tls_reply ai-utf8 '250 2\.0\.0 OK: queued as '"$n" &&
	    "$PYTHON" - "$W/ai/$n.eml" "$W/utf8.msg" <<'EOF'
import sys
got = open(sys.argv[1], "rb").read()
want = ("X-Peer-Mail-From: ålice@tëst.local\r\n"
        "X-Peer-Rcpt-To: jörg@test.local\r\n").encode("utf-8") + \
    open(sys.argv[2], "rb").read() + b"\r\n"
if got != want:
    print("# got  %r\n# want %r" % (got, want))
    sys.exit(1)
EOF
	then
		t_ok "aiosmtpd accepts a UTF-8 envelope and stores it and 8-bit data byte for byte"
	else
		show ai-utf8
		t_fail "aiosmtpd accepts a UTF-8 envelope and stores it and 8-bit data byte for byte"
	fi
	aiosmtpd_stop "$ai_port"
else
	t_fail "aiosmtpd --auth --cert --key starts"
fi

# --auth-without-tls: AUTH in plaintext.
ai_port=$(free_port)
if aiosmtpd_start "$ai_port" ok --auth --auth-without-tls; then
	sw ai-plain "127.0.0.1:$ai_port" --to x@test.local --auth CRAM-MD5 \
	    --auth-user bob --auth-password 'b0b pass!'
	((rc == 0)) && plain_reply ai-plain '250[- ]AUTH CRAM-MD5 LOGIN PLAIN$' &&
	    ! plain_reply ai-plain '250[- ]STARTTLS' &&
	    plain_reply ai-plain '235 2\.7\.0 '
	verdict ai-plain "aiosmtpd --auth --auth-without-tls: AUTH CRAM-MD5 in plaintext"
	aiosmtpd_stop "$ai_port"
else
	t_fail "aiosmtpd --auth --auth-without-tls starts"
fi

# --auth-required: 530 to MAIL without AUTH.
ai_port=$(free_port)
if aiosmtpd_start "$ai_port" ok --auth --auth-required "${TLSARGS[@]}"; then
	sw ai-req "127.0.0.1:$ai_port" --to x@test.local -tls
	((rc != 0)) && tls_reply ai-req '530 '
	verdict ai-req "aiosmtpd --auth-required: MAIL without AUTH gets 530"
	aiosmtpd_stop "$ai_port"
else
	t_fail "aiosmtpd --auth --auth-required starts"
fi

# STARTTLS without --auth: no AUTH offered even under TLS; --no-smtputf8:
# no SMTPUTF8 and a UTF-8 address is refused.
ai_port=$(free_port)
if aiosmtpd_start "$ai_port" ok --no-smtputf8 "${TLSARGS[@]}"; then
	sw ai-noauth "127.0.0.1:$ai_port" --to x@test.local -tls
	((rc == 0)) && tls_reply ai-noauth '250 HELP$' &&
	    ! reply ai-noauth '250[- ]AUTH' && ! reply ai-noauth '250[- ]SMTPUTF8' &&
	    tls_reply ai-noauth '250 2\.0\.0 OK: queued'
	verdict ai-noauth "aiosmtpd --cert without --auth: neither AUTH nor (--no-smtputf8) SMTPUTF8"
	sw ai-noutf8 "127.0.0.1:$ai_port" --to 'jörg@test.local' -tls
	((rc != 0)) && tls_reply ai-noutf8 '500 '
	verdict ai-noutf8 "aiosmtpd --no-smtputf8: a UTF-8 address gets 500"
	aiosmtpd_stop "$ai_port"
else
	t_fail "aiosmtpd --no-smtputf8 --cert --key starts"
fi

t_done
