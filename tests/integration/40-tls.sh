#!/bin/bash
# shellcheck disable=SC2154 # PF_TLS_PORT_* come from postfix_tls_start
# TLS in the batch mode against a private Postfix serving the fixtures of
# tests/lib/certs.sh: STARTTLS (the exchange, "=== TLS ...", the ~> and <~
# records, EHLO again), a bad certificate without and with --require-tls,
# implicit TLS, --require-tls against a server without STARTTLS, bytes
# injected after the 220 to STARTTLS (hostile.py), and --keylog.
# "smtptool certs" is tested in 45-certs.sh.

# shellcheck source=../lib/peers.sh
. "$(dirname "$0")/../lib/peers.sh"
# shellcheck source=../lib/certs.sh
. "$TESTS_ROOT/tests/lib/certs.sh"

W=$TESTS_TMP/tls
mkdir -p "$W"
C=$TESTS_TMP/fixtures

if ! certs_make "$C"; then
	t_fail "certs_make makes the fixtures"
	exit 1
fi
if ! postfix_tls_start "$TESTS_TMP/postfix" "$C"; then
	t_fail "postfix starts with TLS"
	exit 1
fi
if [[ ! -x $SMTPTOOL ]]; then
	t_fail "$SMTPTOOL exists"
	exit 1
fi

pf=127.0.0.1
CA=(--ca-file "$C/root.pem")

cat >"$W/script" <<'EOF'
EHLO client.test
MAIL FROM:<a@client.test>
RCPT TO:<alice@test.local>
QUIT
EOF

# run NAME [OPTIONS...] TARGET: the batch script; the transcript in
# $W/NAME.out, stderr in $W/NAME.err, the exit status in $rc, the time in
# $secs.  Every run is bounded.
run()
{
	local name=$1 t
	shift
	t=$(_now_us)
	timeout 60 "$SMTPTOOL" --batch "$W/script" "$@" >"$W/$name.out" \
	    2>"$W/$name.err" </dev/null
	rc=$?
	t=$((($(_now_us) - t) / 1000))
	secs=$((t / 1000)).$(printf '%03d' $((t % 1000)))
}

show()
{
	sed 's/^/#   /' "$W/$1.out" "$W/$1.err" | head -n 60
}

# The records of a transcript line: TIME MARKER TEXT.
T='^[0-9]+\.[0-9]{6}'
C_PLAIN="$T  -> "
S_PLAIN="$T <-  "
C_TLS="$T  ~> "
S_TLS="$T <~  "

# first NAME REGEX: the number of the first line matching REGEX (0: none).
first()
{
	local n
	n=$(grep -nE -m 1 -- "$2" "$W/$1.out" | cut -d: -f1)
	printf '%s\n' "${n:-0}"
}

# count NAME REGEX: how many lines match.
count()
{
	grep -cE -- "$2" "$W/$1.out"
}

# expect NAME WHAT CONDITION...: ok when the shell test CONDITION holds;
# otherwise show the transcript.
expect()
{
	local name=$1 what=$2
	shift 2
	if "$@"; then
		t_ok "$what"
	else
		show "$name"
		t_fail "$what"
	fi
}

# cmd && cmd; verdict NAME WHAT: ok when the status before it is 0.
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

has()
{
	grep -qE -- "$2" "$W/$1.out"
}

hasnt()
{
	! grep -qE -- "$2" "$W/$1.out"
}

# maillog_wait REGEX SECONDS: Postfix logged a line matching REGEX.
maillog_wait()
{
	local end
	end=$(_deadline "$2")
	until grep -qE -- "$1" "$POSTFIX_DIR/log/maillog" 2>/dev/null; do
		if (($(_now_us) > end)); then
			grep -E 'disconnect from' "$POSTFIX_DIR/log/maillog" |
			    sed 's/^/#   /'
			return 1
		fi
		sleep 0.05
	done
}

# --- STARTTLS with a valid chain ----------------------------------------------

run starttls --starttls "${CA[@]}" "$pf:$PF_TLS_PORT_valid"
expect starttls "STARTTLS to Postfix, verified (exit $rc, ${secs}s)" \
    test "$rc" = 0
n_st=$(first starttls "$C_PLAIN"'STARTTLS$')
n_220=$(first starttls "$S_PLAIN"'220 2\.0\.0 Ready to start TLS$')
n_tls=$(first starttls "$T"' === TLS TLS1\.[23] [^ ].*, chain of 2, verified$')
n_c1=$(first starttls "$C_TLS")
n_s1=$(first starttls "$S_TLS")
expect starttls "the transcript has STARTTLS, its 220, then === TLS ... verified" \
    test "$n_st" -gt 0 -a "$n_220" -gt "$n_st" -a "$n_tls" -gt "$n_220"
expect starttls "the TLS records (~>, <~) come after the === TLS line" \
    test "$n_c1" -gt "$n_tls" -a "$n_s1" -gt "$n_tls"
# stamp NAME LINE: the time field of line LINE of the transcript.
stamp()
{
	sed -n "${2}p" "$W/$1.out" | cut -d' ' -f1
}
t_220=$(stamp starttls "$n_220")
t_tls=$(stamp starttls "$n_tls")
"$PYTHON" -c 'import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))' \
    "${t_220:-0}" "${t_tls:-0}"
verdict starttls "the === TLS line is stamped when the handshake ended ($t_tls > $t_220)"
last_plain=$(grep -nE -- "($C_PLAIN|$S_PLAIN)" "$W/starttls.out" |
    tail -n 1 | cut -d: -f1)
expect starttls "no plaintext record after the handshake" \
    test "${last_plain:-0}" -lt "$n_tls"
expect starttls "EHLO is sent again right after the handshake" \
    test "$(first starttls "$C_TLS")" = \
    "$(first starttls "$C_TLS"'EHLO client\.test$')"
expect starttls "one EHLO in plaintext, one under TLS" \
    test "$(count starttls "$C_PLAIN"'EHLO client\.test$')" = 1 -a \
    "$(count starttls "$C_TLS"'EHLO client\.test$')" = 1
has starttls "$S_TLS"'250[- ]' && hasnt starttls "$S_TLS"'250[- ]STARTTLS'
verdict starttls "the capabilities are relearned: a 250 reply under TLS without STARTTLS"
has starttls "$C_TLS"'MAIL FROM:<a@client\.test>$' &&
    has starttls "$S_TLS"'250 2\.1\.0' &&
    has starttls "$C_TLS"'RCPT TO:<alice@test\.local>$' &&
    has starttls "$S_TLS"'250 2\.1\.5' &&
    has starttls "$C_TLS"'QUIT$' &&
    has starttls "$S_TLS"'221 '
verdict starttls "MAIL, RCPT and QUIT go under TLS and succeed"
expect starttls "nothing of the envelope goes in plaintext" \
    hasnt starttls "$C_PLAIN"'(MAIL|RCPT)'
if maillog_wait 'disconnect from .* ehlo=2 starttls=1 mail=1 rcpt=1 quit=1 commands=6$' 5
then
	t_ok "Postfix saw EHLO, STARTTLS, EHLO, MAIL, RCPT, QUIT"
else
	t_fail "Postfix saw EHLO, STARTTLS, EHLO, MAIL, RCPT, QUIT"
fi

run starttls-json --json --starttls "${CA[@]}" "$pf:$PF_TLS_PORT_valid"
if [[ $rc == 0 ]] && "$PYTHON" -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert all("t" in r and "text" in r for r in recs)
assert any("STARTTLS" in r["text"] for r in recs)
assert any(r["text"].startswith("MAIL FROM:") for r in recs)
' "$W/starttls-json.out"; then
	t_ok "--json with STARTTLS prints valid JSON Lines"
else
	show starttls-json
	t_fail "--json with STARTTLS prints valid JSON Lines (exit $rc)"
fi

if [[ $PF_TLS_IPV6 == 1 ]]; then
	run v6 --starttls "${CA[@]}" "[::1]:$PF_TLS_PORT_valid"
	[[ $rc == 0 ]] && has v6 "$T"' === TLS .*, verified$'
	verdict v6 "STARTTLS over IPv6, verified for ::1 (exit $rc)"
else
	t_skip "STARTTLS over IPv6" "no ::1 here"
fi

# --- a bad certificate: a warning, and the dialog goes on -----------------------

run expired --starttls "${CA[@]}" "$pf:$PF_TLS_PORT_expired"
expect expired "expired chain without --require-tls: exit 0" test "$rc" = 0
expect expired "a !!! line says the certificate is not verified, and why" \
    has expired "$T"' !!! certificate not verified for 127\.0\.0\.1: .*expire'
expect expired "the === TLS line does not say verified" \
    hasnt expired "$T"' === TLS .*, verified$'
has expired "$C_TLS"'MAIL FROM:' && has expired "$C_TLS"'RCPT TO:'
verdict expired "the dialog goes on under TLS"

run wronghost --starttls "${CA[@]}" "$pf:$PF_TLS_PORT_wronghost"
[[ $rc == 0 ]] &&
    has wronghost "$T"' !!! certificate not verified for 127\.0\.0\.1: ' &&
    has wronghost "$C_TLS"'MAIL FROM:'
verdict wronghost "wrong host: !!! not verified for 127.0.0.1, the dialog goes on (exit $rc)"

# --- --require-tls ------------------------------------------------------------------

run req-expired --starttls --require-tls "${CA[@]}" "$pf:$PF_TLS_PORT_expired"
expect req-expired "--require-tls with an expired chain: exit 7" \
    test "$rc" = 7
n_tls=$(first req-expired "$T"' (===|!!!) TLS TLS1\.[23] ')
n_q=$(first req-expired "$C_TLS"'QUIT$')
expect req-expired "QUIT right after the handshake" \
    test "$n_tls" -gt 0 -a "$(first req-expired "$C_TLS")" = "$n_q" -a \
    "$n_q" -gt "$n_tls"
expect req-expired "no MAIL and no RCPT sent" \
    hasnt req-expired "($C_PLAIN|$C_TLS)(MAIL|RCPT)"

run req-plain --require-tls "${CA[@]}" "$pf:$PF_PLAIN_PORT"
expect req-plain "--require-tls against a server without STARTTLS: exit 6" \
    test "$rc" = 6
has req-plain "$C_PLAIN"'QUIT$' &&
    hasnt req-plain "($C_PLAIN|$C_TLS)(MAIL|RCPT)"
verdict req-plain "it says QUIT in plaintext and sends no MAIL"
expect req-plain "an error line names STARTTLS" \
    has req-plain "$T"' (\*\*\*|!!!) .*STARTTLS'

run req-plain2 --starttls --require-tls "${CA[@]}" "$pf:$PF_PLAIN_PORT"
[[ $rc == 6 ]] && hasnt req-plain2 "($C_PLAIN|$C_TLS)(MAIL|RCPT)"
verdict req-plain2 "--starttls --require-tls without STARTTLS: exit 6, no MAIL (exit $rc)"

run req-valid --starttls --require-tls "${CA[@]}" "$pf:$PF_TLS_PORT_valid"
[[ $rc == 0 ]] && has req-valid "$C_TLS"'MAIL FROM:'
verdict req-valid "--require-tls with a valid chain: MAIL under TLS, exit 0 (exit $rc)"

# --- implicit TLS ------------------------------------------------------------------

run implicit --tls "${CA[@]}" "$pf:$PF_TLS_PORT_implicit"
expect implicit "--tls on the implicit-TLS port: exit 0" test "$rc" = 0
n_tls=$(first implicit "$T"' === TLS TLS1\.[23] [^ ].*, chain of 2, verified$')
expect implicit "=== TLS ... verified comes before the banner" \
    test "$n_tls" -gt 0 -a "$(first implicit "$S_TLS"'220 ')" -gt "$n_tls"
t_conn=$(stamp implicit "$(first implicit "$T"' === connected to ')")
t_tls=$(stamp implicit "$n_tls")
"$PYTHON" -c 'import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))' \
    "${t_conn:-0}" "${t_tls:-0}"
verdict implicit "the === TLS line is stamped when the handshake ended ($t_tls > $t_conn)"
has implicit "$S_TLS"'220 ' && hasnt implicit "($C_PLAIN|$S_PLAIN)"
verdict implicit "the banner arrives as <~ and nothing is plaintext"
hasnt implicit 'STARTTLS$' &&
    [[ $(count implicit "$C_TLS"'EHLO client\.test$') == 1 ]]
verdict implicit "no STARTTLS, one EHLO"
if maillog_wait 'disconnect from .* ehlo=1 mail=1 rcpt=1 quit=1 commands=4$' 5
then
	t_ok "Postfix saw EHLO, MAIL, RCPT, QUIT over implicit TLS"
else
	t_fail "Postfix saw EHLO, MAIL, RCPT, QUIT over implicit TLS"
fi

# --- STARTTLS injection (CVE-2011-0411 class) ---------------------------------------

if hostile_peer_start starttls-inject --cert "$C/valid.chain.pem" \
    --key "$C/valid.key.pem" --log "$W/inject-server.log"; then
	run inject --starttls "${CA[@]}" "$pf:$HOSTILE_PORT"
	echo "# injection: exit $rc in ${secs}s"
	if grep -E -- "$T"' (\*\*\*|!!!) ' "$W/inject.out" |
	    grep -i 'discard' | grep -qiE '220|STARTTLS'; then
		t_ok "bytes after the 220 to STARTTLS are reported as discarded"
	else
		show inject
		t_fail "bytes after the 220 to STARTTLS are reported as discarded"
	fi
	expect inject "the forged 250 FORGED is never a server record" \
	    hasnt inject "($S_PLAIN|$S_TLS).*FORGED"
	expect inject "the run ends in bounded time (${secs}s)" \
	    test "${secs%.*}" -lt 30
	hostile_peer_stop "$HOSTILE_PORT"
else
	t_fail "hostile.py starttls-inject starts"
fi

# --- --keylog -------------------------------------------------------------------------

# keylog_check FILE TLSVERSION: NSS key log lines for one session.
keylog_check()
{
	"$PYTHON" - "$@" <<'EOF'
import re, sys
path, version = sys.argv[1], sys.argv[2]
lines = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
assert lines, "empty key log"
for l in lines:
    assert len(l) == 3 and re.fullmatch(r"[0-9a-fA-F]{64}", l[1]) and \
        re.fullmatch(r"[0-9a-fA-F]{32,}", l[2]), l
labels = {l[0] for l in lines}
if version == "1.3":
    want = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"}
    assert want <= labels, labels
    assert len({l[1] for l in lines}) == 1, "one session, one client random"
else:
    assert "CLIENT_RANDOM" in labels and \
        all(len(l[2]) == 96 for l in lines if l[0] == "CLIENT_RANDOM"), lines
EOF
}

run keylog13 --starttls "${CA[@]}" --keylog "$W/k13.log" \
    "$pf:$PF_TLS_PORT_valid"
if [[ $rc == 0 ]] && keylog_check "$W/k13.log" 1.3; then
	t_ok "--keylog writes the TLS 1.3 secrets (NSS format)"
else
	sed 's/^/#   /' "$W/k13.log" 2>/dev/null
	show keylog13
	t_fail "--keylog writes the TLS 1.3 secrets (NSS format) (exit $rc)"
fi

run keylog12 --starttls "${CA[@]}" --keylog "$W/k12.log" \
    "$pf:$PF_TLS_PORT_tls12"
if [[ $rc == 0 ]] && has keylog12 "$T"' === TLS TLS1\.2 ' &&
    keylog_check "$W/k12.log" 1.2; then
	t_ok "--keylog writes CLIENT_RANDOM for TLS 1.2"
else
	sed 's/^/#   /' "$W/k12.log" 2>/dev/null
	show keylog12
	t_fail "--keylog writes CLIENT_RANDOM for TLS 1.2 (exit $rc)"
fi

# The secrets are the real ones: the same as the server's own key log.
if hostile_peer_start starttls --cert "$C/valid.chain.pem" \
    --key "$C/valid.key.pem" --keylog "$W/server-keys.log"; then
	run keylog-srv --starttls "${CA[@]}" --keylog "$W/client-keys.log" \
	    "$pf:$HOSTILE_PORT"
	if [[ $rc == 0 ]] && "$PYTHON" -c '
import sys
def keys(p):
    return {tuple(l.split()) for l in open(p) if l.strip() and l[0] != "#"}
c, s = keys(sys.argv[1]), keys(sys.argv[2])
assert c and c <= s, (c, s)
' "$W/client-keys.log" "$W/server-keys.log"; then
		t_ok "--keylog secrets match the server's"
	else
		sed 's/^/#   client: /' "$W/client-keys.log" 2>/dev/null
		sed 's/^/#   server: /' "$W/server-keys.log" 2>/dev/null
		show keylog-srv
		t_fail "--keylog secrets match the server's (exit $rc)"
	fi
	hostile_peer_stop "$HOSTILE_PORT"
else
	t_fail "hostile.py starttls starts"
fi

SSLKEYLOGFILE=$W/env-keys.log run keylog-env --starttls "${CA[@]}" \
    "$pf:$PF_TLS_PORT_valid"
if [[ $rc == 0 ]] && keylog_check "$W/env-keys.log" 1.3; then
	t_ok "SSLKEYLOGFILE without --keylog is honoured"
else
	t_fail "SSLKEYLOGFILE without --keylog is honoured (exit $rc)"
fi

t_done
