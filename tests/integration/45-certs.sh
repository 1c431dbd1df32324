#!/bin/bash
# shellcheck disable=SC2154 # PF_TLS_PORT_* come from postfix_tls_start
# "smtptool certs" against a private Postfix serving each certificate
# fixture of tests/lib/certs.sh: for each, the verdict, the exit code, the
# problem names, a reason that names the problem, and every field of every
# certificate cross-checked with "certtool -i --infile" on the same files,
# in the text report and in --json (tests/lib/tls_report_check.py).  Then
# the modes (--tls, ports 25/465/587), IPv6, names, and the failures (no
# STARTTLS, a failed handshake, refused, timeout).

# shellcheck source=../lib/peers.sh
. "$(dirname "$0")/../lib/peers.sh"
# shellcheck source=../lib/certs.sh
. "$TESTS_ROOT/tests/lib/certs.sh"

W=$TESTS_TMP/certs-test
mkdir -p "$W"
C=$TESTS_TMP/fixtures
CHECK=$TESTS_ROOT/tests/lib/tls_report_check.py

t0=$EPOCHREALTIME
if ! certs_make "$C"; then
	t_fail "certs_make makes the fixtures"
	exit 1
fi
ms=$(( ($(_now_us) - ${t0//[!0-9]/}) / 1000 ))
if ((ms < 2000)); then
	t_ok "certs_make makes the fixtures (${ms} ms)"
else
	t_fail "certs_make makes the fixtures in under 2 s (${ms} ms)"
fi

# Ports 25, 465 and 587 where we may bind them (a private network
# namespace under tests/run).
export PF_TLS_WELLKNOWN=1
if ! postfix_tls_start "$TESTS_TMP/postfix" "$C"; then
	t_fail "postfix starts with TLS"
	exit 1
fi

if [[ ! -x $SMTPTOOL ]]; then
	t_fail "$SMTPTOOL exists"
	exit 1
fi


CA=(--ca-file "$C/root.pem")
SNI=(--sni mx.test.local)
pf=127.0.0.1

# --- one run per fixture ------------------------------------------------------
#     label        fixture   target                         name            ok rc problems        allow           per certificate

certs_check valid        valid     "$pf:$PF_TLS_PORT_valid"       mx.test.local   1 0 "" "" \
    '{"0": [], "1": []}' "" starttls -- --starttls "${CA[@]}" "${SNI[@]}"

# Postfix logs what the client did: EHLO, STARTTLS, (EHLO,) QUIT, nothing
# else.
rx='disconnect from .*\[127\.0\.0\.1\] ehlo=[12] starttls=1 quit=1 commands=[34]$'
end=$(_deadline 5)
until grep -qE -- "$rx" "$POSTFIX_DIR/log/maillog" 2>/dev/null; do
	(($(_now_us) > end)) && break
	sleep 0.05
done
if grep -qE -- "$rx" "$POSTFIX_DIR/log/maillog"; then
	t_ok "certs says EHLO, STARTTLS and QUIT, nothing else (Postfix's log)"
else
	grep 'disconnect from' "$POSTFIX_DIR/log/maillog" | sed 's/^/#   /'
	t_fail "certs says EHLO, STARTTLS and QUIT, nothing else (Postfix's log)"
fi

certs_check valid-ip     valid     "$pf:$PF_TLS_PORT_valid"       127.0.0.1       1 0 "" "" \
    '{"0": [], "1": []}' "" starttls -- "${CA[@]}"
certs_check expired      expired   "$pf:$PF_TLS_PORT_expired"     mx.test.local   0 7 expired "" \
    '{"0": ["expired"], "1": []}' "" starttls -- --starttls "${CA[@]}" "${SNI[@]}"
certs_check notyet       notyet    "$pf:$PF_TLS_PORT_notyet"      mx.test.local   0 7 not-yet-valid "" \
    '{"0": ["not-yet-valid"], "1": []}' "" "" -- "${CA[@]}" "${SNI[@]}"
certs_check selfsigned   selfsigned "$pf:$PF_TLS_PORT_selfsigned" mx.test.local   0 7 self-signed unknown-issuer \
    '{}' "" "" -- "${CA[@]}" "${SNI[@]}"
certs_check wronghost    wronghost "$pf:$PF_TLS_PORT_wronghost"   mx.test.local   0 7 name-mismatch "" \
    '{"1": []}' "" "" -- "${CA[@]}" "${SNI[@]}"
certs_check wronghost-ip wronghost "$pf:$PF_TLS_PORT_wronghost"   127.0.0.1       0 7 name-mismatch "" \
    '{"1": []}' "" "" -- "${CA[@]}"
certs_check nointer      nointer   "$pf:$PF_TLS_PORT_nointer"     mx.test.local   0 7 unknown-issuer "" \
    '{}' "" "" -- "${CA[@]}" "${SNI[@]}"
certs_check clientonly   client    "$pf:$PF_TLS_PORT_client"      client.test.local 0 7 bad-purpose "" \
    '{"1": []}' "" "" -- "${CA[@]}" --sni client.test.local
certs_check revoked      valid     "$pf:$PF_TLS_PORT_valid"       mx.test.local   0 7 revoked "" \
    '{"0": []}' "" "" -- "${CA[@]}" "${SNI[@]}" --crl-file "$C/crl.pem"
certs_check untrusted    valid     "$pf:$PF_TLS_PORT_valid"       mx.test.local   0 7 unknown-issuer "" \
    '{}' "" "" -- "${SNI[@]}"
certs_check wrongsni     valid     "$pf:$PF_TLS_PORT_valid"       wrong.test.local 0 7 name-mismatch "" \
    '{"1": []}' "" "" -- "${CA[@]}" --sni wrong.test.local
certs_check implicit     valid     "$pf:$PF_TLS_PORT_implicit"    mx.test.local   1 0 "" "" \
    '{"0": [], "1": []}' "" tls -- --tls "${CA[@]}" "${SNI[@]}"
certs_check tls12        valid     "$pf:$PF_TLS_PORT_tls12"       mx.test.local   1 0 "" "" \
    '{"0": [], "1": []}' TLS1.2 starttls -- "${CA[@]}" "${SNI[@]}"

if [[ $PF_TLS_IPV6 == 1 ]]; then
	certs_check ipv6 valid "[::1]:$PF_TLS_PORT_valid" ::1 1 0 "" "" \
	    '{"0": [], "1": []}' "" starttls -- "${CA[@]}"
	certs_check ipv6-implicit valid "[::1]:$PF_TLS_PORT_implicit" ::1 1 0 "" "" \
	    '{}' "" tls -- --tls "${CA[@]}"
else
	t_skip "certs over IPv6" "no ::1 here"
fi
if getent hosts localhost | grep -q '^127\.0\.0\.1'; then
	certs_check localhost valid "localhost:$PF_TLS_PORT_valid" localhost 1 0 "" "" \
	    '{}' "" "" -- -4 "${CA[@]}"
else
	t_skip "certs localhost:PORT" "localhost does not resolve to 127.0.0.1"
fi

# --- the mode follows the port --------------------------------------------------

# mode_of NAME: the "mode" of the JSON report $W/NAME.out.
mode_of()
{
	"$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["mode"])' \
	    "$W/$1.out" 2>/dev/null
}

for p in 465 587 25; do
	v=PF_TLS_PORT_$p
	if [[ -z ${!v-} ]]; then
		t_skip "certs on port $p" "port $p is taken or not ours to bind"
		continue
	fi
	want=starttls
	[[ $p == 465 ]] && want=tls
	target=$pf:$p
	[[ $p == 25 ]] && target=$pf
	certs_run "port$p" --json "${CA[@]}" "${SNI[@]}" "$target"
	m=$(mode_of "port$p")
	if [[ $rc == 0 && $m == "$want" ]]; then
		t_ok "certs $target: $want is implied (exit 0)"
	else
		cat "$W/port$p.out" "$W/port$p.err"
		t_fail "certs $target: $want is implied (exit $rc, mode $m)"
	fi
done

# --- failures -----------------------------------------------------------------

# fails LABEL WANT_RC REGEX [OPTIONS...] TARGET: exit WANT_RC and a line of
# stdout or stderr matching REGEX (case-insensitive; "" for any).
fails()
{
	local label=$1 want=$2 rx=$3
	shift 3
	certs_run "$label" "$@"
	if [[ $rc == "$want" ]] && { [[ -z $rx ]] ||
	    cat "$W/$label.out" "$W/$label.err" | grep -qiE -- "$rx"; }; then
		t_ok "certs $label: exit $rc (${secs}s)"
	else
		echo "# exit $rc, want $want; want a line matching /$rx/:"
		cat "$W/$label.out" "$W/$label.err" | head -n 20 | sed 's/^/#   /'
		t_fail "certs $label: exit $want"
	fi
}

fails no-starttls 6 'STARTTLS' "${CA[@]}" "$pf:$PF_PLAIN_PORT"
fails no-starttls-forced 6 'STARTTLS' --starttls "${CA[@]}" "$pf:$PF_PLAIN_PORT"
fails tls-on-starttls-port 6 'handshake|TLS' --tls "${CA[@]}" \
    "$pf:$PF_TLS_PORT_valid"
dead=$(free_port)
fails refused 2 'refused' "${CA[@]}" "$pf:$dead"
fails family 2 '' -6 "${CA[@]}" "$pf:$PF_TLS_PORT_valid"
fails badopt 1 '' --frobnicate "$pf:$PF_TLS_PORT_valid"
if hostile_peer_start silent; then
	fails timeout 5 '' --timeout 1 "${CA[@]}" "$pf:$HOSTILE_PORT"
	if [[ $rc == 5 ]] && ((${secs%.*} < 5)); then
		t_ok "certs --timeout 1 gives up in about a second (${secs}s)"
	else
		t_fail "certs --timeout 1 gives up in about a second (${secs}s)"
	fi
	hostile_peer_stop "$HOSTILE_PORT"
else
	t_fail "hostile.py silent starts"
fi

t_done
