#!/bin/bash
# shellcheck disable=SC2154 # PF_TLS_PORT_* come from postfix_tls_start
# More of TLS, against real peers on loopback (45-certs.sh has the basic
# verdicts):
#   - a weak key (RSA-1024 leaf) and an insecure algorithm (leaf signed with
#     SHA-1), served by Postfix: the handshake completes, the verdict says
#     weak-key / insecure-algorithm with a reason naming the key size / the
#     algorithm;
#   - a client certificate (--cert/--key) to a Postfix service with
#     smtpd_tls_ask_ccert = yes: Postfix's log shows the certificate's
#     fingerprint; --key without --cert, missing and keyless files;
#   - --priority: NORMAL:-VERS-TLS1.3 gives TLS 1.2; a broken string gives an
#     error naming where it is broken;
#   - SSLKEYLOGFILE without --keylog writes a key log (and with --keylog both
#     files get the lines);
#   - OCSP stapling: gnutls-serv --ocsp-response with responses made by
#     "openssl ocsp" (certs_make_ocsp): good, revoked, not valid, none.
#     gnutls-serv binds every address and cannot be told otherwise, so it
#     runs only in a private network namespace holding nothing but "lo"
#     (tests/run gives each script one as root); elsewhere it is skipped.

# shellcheck source=../lib/peers.sh
. "$(dirname "$0")/../lib/peers.sh"
# shellcheck source=../lib/certs.sh
. "$TESTS_ROOT/tests/lib/certs.sh"

W=$TESTS_TMP/tls-more
mkdir -p "$W"
C=$TESTS_TMP/fixtures
CHECK=$TESTS_ROOT/tests/lib/tls_report_check.py

if ! certs_make "$C"; then
	t_fail "certs_make makes the fixtures"
	exit 1
fi
t_ok "certs_make makes the weak and sha1 fixtures too"
if certs_make_ocsp "$C"; then
	t_ok "certs_make_ocsp makes the OCSP responses"
	have_ocsp=1
else
	t_fail "certs_make_ocsp makes the OCSP responses"
	have_ocsp=0
fi
if [[ ! -x $SMTPTOOL ]]; then
	t_fail "$SMTPTOOL exists"
	exit 1
fi

# The fixtures are what they claim (certtool reads them back).
if certtool -i --infile "$C/weak.leaf.pem" 2>/dev/null |
    grep -q 'Modulus (bits 1024)'; then
	t_ok "weak.leaf.pem has an RSA-1024 key"
else
	t_fail "weak.leaf.pem has an RSA-1024 key"
fi
if certtool -i --infile "$C/sha1.leaf.pem" 2>/dev/null |
    grep -q 'Signature Algorithm: ECDSA-SHA1'; then
	t_ok "sha1.leaf.pem is signed with ECDSA-SHA1"
else
	t_fail "sha1.leaf.pem is signed with ECDSA-SHA1"
fi

# Postfix: the ports of postfix_tls_start, and three more.
P_WEAK=$(free_port) && P_SHA1=$(free_port) && P_CCERT=$(free_port) ||
    exit 1
POSTFIX_MASTER_EXTRA="127.0.0.1:$P_WEAK inet n - n - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/weak.postfix.pem
127.0.0.1:$P_SHA1 inet n - n - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_tls_chain_files=$C/sha1.postfix.pem
127.0.0.1:$P_CCERT inet n - n - - smtpd
  -o smtpd_tls_security_level=may
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_CAfile=$C/root.pem
  -o smtpd_tls_loglevel=2
  -o smtpd_tls_chain_files=$C/valid.postfix.pem"
export POSTFIX_MASTER_EXTRA
if ! postfix_tls_start "$TESTS_TMP/postfix" "$C"; then
	t_fail "postfix starts with TLS"
	exit 1
fi
for p in "$P_WEAK" "$P_SHA1" "$P_CCERT"; do
	if ! wait_port 127.0.0.1 "$p" 10; then
		t_fail "postfix listens on $p"
		exit 1
	fi
done
LOG=$POSTFIX_DIR/log/maillog

pf=127.0.0.1
CA=(--ca-file "$C/root.pem")
SNI=(--sni mx.test.local)


show()
{
	sed 's/^/#   /' "$W/$1.out" "$W/$1.err" | head -n 40
}

# json NAME EXPR: EXPR (Python, on the JSON report d) of $W/NAME.out.
json()
{
	"$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$W/$1.out" "$2" 2>/dev/null
}


# has NAME REGEX WHAT: ok when a line of $W/NAME.out matches REGEX.
has()
{
	if grep -qE -- "$2" "$W/$1.out"; then
		t_ok "$3"
	else
		show "$1"
		t_fail "$3"
	fi
}

# log_wait REGEX SECONDS: wait for a line of Postfix's log matching REGEX.
log_wait()
{
	local end
	end=$(_deadline "${2:-5}")
	until grep -qE -- "$1" "$LOG" 2>/dev/null; do
		(($(_now_us) > end)) && return 1
		sleep 0.05
	done
}

# --- 1. a weak key --------------------------------------------------------------

# Whether the handshake completes is up to the two ends: here GnuTLS's
# default priorities and Postfix's OpenSSL both take an RSA-1024 key (the
# log says so), so the verdict must say it.
# (Not through check: tls_report_check.py reads only ECDSA P-256 keys from
# certtool, so the fields are checked here.)
certs_run weak.text "${CA[@]}" "${SNI[@]}" "$pf:$P_WEAK"
wrc=$rc
certs_run weak.json --json "${CA[@]}" "${SNI[@]}" "$pf:$P_WEAK"
if [[ $wrc == 7 && $rc == 7 ]]; then
	t_ok "weak key: exit 7 (the certificate did not verify), text and JSON"
else
	show weak.text
	t_fail "weak key: exit 7, text and JSON (exit $wrc, $rc)"
fi
has weak.text '^verdict +NOT verified for mx\.test\.local: weak-key$' \
    "weak key: the verdict says weak-key and nothing else"
has weak.text '^  - certificate 0 \(CN=mx\.test\.local\) has a weak key: RSA of 1024 bits$' \
    "weak key: the reason names the certificate, the key and its size"
has weak.text '^    key +RSA, 1024 bits$' "weak key: the key line says RSA, 1024 bits"
fpr=$(openssl x509 -in "$C/weak.leaf.pem" -noout -fingerprint -sha256 |
    sed 's/^.*=//')
want="weak-key|False|RSA|1024|weak-key||$fpr"
got=$(json weak.json '"|".join([",".join(d["problems"]), str(d["verified"]), d["chain"][0]["key_type"], str(d["chain"][0]["key_bits"]), ",".join(d["chain"][0]["problems"]), ",".join(d["chain"][1]["problems"]), d["chain"][0]["sha256"]])')
if [[ $got == "$want" ]]; then
	t_ok "weak key: JSON problems, key RSA 1024, the leaf's fingerprint"
else
	show weak.json
	t_fail "weak key: JSON (got \"$got\", want \"$want\")"
fi
if log_wait 'TLS connection established from .*server-signature RSA-PSS \(1024 bits\)' 5
then
	t_ok "weak key: Postfix completed the handshake with its RSA-1024 key"
else
	t_fail "weak key: Postfix completed the handshake with its RSA-1024 key"
fi

# --- 2. an insecure algorithm -----------------------------------------------------

certs_check sha1 sha1 "$pf:$P_SHA1" mx.test.local 0 7 insecure-algorithm "" \
    '{"0": ["insecure-algorithm"], "1": []}' "" starttls -- "${CA[@]}" "${SNI[@]}"
has sha1.text '^  - certificate 0 \(CN=mx\.test\.local\) is signed with ECDSA-SHA1, an insecure algorithm$' \
    "SHA-1: the reason names the certificate and the algorithm"
if [[ $(json sha1.json '"|".join(d["problems"]) + " " + d["chain"][0]["signature"] + " " + str(d["verified"])') == "insecure-algorithm ECDSA-SHA1 False" ]]; then
	t_ok "SHA-1: JSON problems [insecure-algorithm], signature ECDSA-SHA1"
else
	show sha1.json
	t_fail "SHA-1: JSON problems [insecure-algorithm], signature ECDSA-SHA1"
fi

# --- 4. a client certificate ------------------------------------------------------

# Postfix (smtpd_tls_loglevel 2) logs the client certificate it got: its
# subject, its SHA-256 fingerprint, and "Trusted" when it verifies against
# smtpd_tls_CAfile; without one, "Anonymous".
fpr=$(openssl x509 -in "$C/client.leaf.pem" -noout -fingerprint -sha256 |
    sed 's/^.*=//')
certs_run ccert "${CA[@]}" "${SNI[@]}" --cert "$C/client.chain.pem" \
    --key "$C/client.key.pem" "$pf:$P_CCERT"
if [[ $rc == 0 ]]; then
	t_ok "certs --cert --key: exit 0 against a server that asks"
else
	show ccert
	t_fail "certs --cert --key: exit 0 against a server that asks (exit $rc)"
fi
if log_wait "fingerprint=$fpr" 5; then
	t_ok "Postfix got the client certificate (its fingerprint is logged)"
else
	grep -iE 'tls|cert' "$LOG" | tail -n 8 | sed 's/^/#   /'
	t_fail "Postfix got the client certificate (fingerprint $fpr)"
fi
if log_wait 'subject_CN=client\.test\.local' 1 &&
    log_wait 'Trusted TLS connection established from .*client-signature ECDSA' 1
then
	t_ok "Postfix: a trusted client certificate, CN client.test.local"
else
	t_fail "Postfix: a trusted client certificate, CN client.test.local"
fi

# The same from the batch mode, with the key in the certificate's file.
cat "$C/client.key.pem" "$C/client.chain.pem" >"$W/client-both.pem"
printf 'EHLO client.test\nQUIT\n' >"$W/script"
n1=$(grep -c "fingerprint=$fpr" "$LOG")
timeout 60 "$SMTPTOOL" --batch "$W/script" --starttls "${CA[@]}" "${SNI[@]}" \
    --cert "$W/client-both.pem" "$pf:$P_CCERT" >"$W/ccert-batch.out" \
    2>"$W/ccert-batch.err" </dev/null
rc=$?
end=$(_deadline 5)
while (($(grep -c "fingerprint=$fpr" "$LOG") <= n1)) && (($(_now_us) < end)); do
	sleep 0.05
done
if [[ $rc == 0 ]] && (($(grep -c "fingerprint=$fpr" "$LOG") > n1)); then
	t_ok "batch --cert (key in the same file): Postfix got the certificate"
else
	show ccert-batch
	t_fail "batch --cert (key in the same file): Postfix got the certificate (exit $rc)"
fi

# Without --cert: Postfix asks, gets nothing, says Anonymous.
n2=$(grep -c 'Anonymous TLS connection established from' "$LOG")
certs_run noccert "${CA[@]}" "${SNI[@]}" "$pf:$P_CCERT"
end=$(_deadline 5)
while (($(grep -c 'Anonymous TLS connection established from' "$LOG") <= n2)) &&
    (($(_now_us) < end)); do
	sleep 0.05
done
if [[ $rc == 0 ]] &&
    (($(grep -c 'Anonymous TLS connection established from' "$LOG") > n2)); then
	t_ok "without --cert the server that asks gets no certificate"
else
	t_fail "without --cert the server that asks gets no certificate (exit $rc)"
fi

# fails LABEL WANT_RC REGEX [OPTIONS...] TARGET: certs exits WANT_RC and
# stderr has a line matching REGEX (extended, case-sensitive).
fails()
{
	local label=$1 want=$2 rx=$3
	shift 3
	certs_run "$label" "$@"
	if [[ $rc == "$want" ]] && grep -qE -- "$rx" "$W/$label.err"; then
		t_ok "certs $label: exit $rc, $(head -n 1 "$W/$label.err")"
	else
		echo "# exit $rc, want $want; want a line matching /$rx/:"
		show "$label"
		t_fail "certs $label: exit $want"
	fi
}

fails key-without-cert 1 '^smtptool: --key needs --cert$' "${CA[@]}" \
    --key "$C/client.key.pem" "$pf:$P_CCERT"
# Files named on the command line are loaded before connecting: exit 1, with
# the error as "cannot <verb> <object>: <cause>".
fails cert-missing 1 '^smtptool: cannot load client certificate /nonexistent/client\.pem: No such file or directory' \
    "${CA[@]}" --cert /nonexistent/client.pem --key "$C/client.key.pem" \
    "$pf:$P_CCERT"
fails key-missing 1 '^smtptool: cannot load client key /nonexistent/client\.key: No such file or directory' \
    "${CA[@]}" --cert "$C/client.chain.pem" --key /nonexistent/client.key \
    "$pf:$P_CCERT"
fails cert-without-key 1 "^smtptool: cannot load client key $C/client\\.chain\\.pem: no private key in it" \
    "${CA[@]}" --cert "$C/client.chain.pem" "$pf:$P_CCERT"
fails key-mismatch 1 "^smtptool: cannot load client certificate $C/client\\.chain\\.pem: The certificate and the given key do not match" \
    "${CA[@]}" --cert "$C/client.chain.pem" --key "$C/valid.key.pem" \
    "$pf:$P_CCERT"

# --- 5. --priority ------------------------------------------------------------------

certs_check prio12 valid "$pf:$PF_TLS_PORT_valid" mx.test.local 1 0 "" "" \
    '{"0": [], "1": []}' TLS1.2 starttls -- "${CA[@]}" "${SNI[@]}" \
    --priority NORMAL:-VERS-TLS1.3
has prio12.text '^session +TLS1\.2 ' "--priority NORMAL:-VERS-TLS1.3: the session line says TLS1.2"
if [[ $(json prio12.json 'd["session"]["version"]') == TLS1.2 ]]; then
	t_ok "--priority NORMAL:-VERS-TLS1.3: JSON session.version TLS1.2"
else
	t_fail "--priority NORMAL:-VERS-TLS1.3: JSON session.version TLS1.2"
fi
# Without it, the same server gives TLS 1.3: the option made the difference.
certs_run prio-none --json "${CA[@]}" "${SNI[@]}" "$pf:$PF_TLS_PORT_valid"
if [[ $(json prio-none 'd["session"]["version"]') == TLS1.3 ]]; then
	t_ok "without --priority the same server gives TLS1.3"
else
	t_fail "without --priority the same server gives TLS1.3"
fi
fails prio-bad 1 '^smtptool: cannot parse --priority at "\+FOO-BAR": ' \
    "${CA[@]}" --priority 'NORMAL:+FOO-BAR:-VERS-TLS1.0' "$pf:$PF_TLS_PORT_valid"
fails prio-empty-element 1 '^smtptool: cannot parse --priority "NORMAL::-VERS-TLS1\.0": an empty element at character 8' \
    "${CA[@]}" --priority 'NORMAL::-VERS-TLS1.0' "$pf:$PF_TLS_PORT_valid"
fails prio-nothing-left 1 '^smtptool: cannot use --priority "NORMAL:-VERS-ALL": ' \
    "${CA[@]}" --priority 'NORMAL:-VERS-ALL' "$pf:$PF_TLS_PORT_valid"

# --- 6. SSLKEYLOGFILE ---------------------------------------------------------------

# keylog_ok FILE TLS: FILE holds NSS key log lines for one session, all for
# the same client random: five for TLS 1.3, CLIENT_RANDOM for TLS 1.2.
keylog_ok()
{
	"$PYTHON" - "$1" "$2" <<'EOF'
import re, sys
path, version = sys.argv[1], sys.argv[2]
try:
    lines = open(path).read().splitlines()
except OSError:
    sys.exit(1)
rx = re.compile(r"^([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]{64,96})$")
m = [rx.match(l) for l in lines]
if not lines or not all(m):
    sys.exit(1)
labels = sorted(x.group(1) for x in m)
want = sorted(["CLIENT_HANDSHAKE_TRAFFIC_SECRET",
               "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
               "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"]) \
    if version == "TLS1.3" else ["CLIENT_RANDOM"]
sys.exit(0 if labels == want and len({x.group(2) for x in m}) == 1 else 1)
EOF
}

SSLKEYLOGFILE=$W/env13.log certs_run keylog13 "${CA[@]}" "${SNI[@]}" \
    "$pf:$PF_TLS_PORT_valid"
if [[ $rc == 0 ]] && keylog_ok "$W/env13.log" TLS1.3; then
	t_ok "SSLKEYLOGFILE alone: certs writes the five TLS 1.3 secrets"
else
	cut -c1-60 "$W/env13.log" 2>/dev/null | sed 's/^/#   /'
	t_fail "SSLKEYLOGFILE alone: certs writes the five TLS 1.3 secrets (exit $rc)"
fi
SSLKEYLOGFILE=$W/env12.log certs_run keylog12 "${CA[@]}" "${SNI[@]}" \
    --priority NORMAL:-VERS-TLS1.3 "$pf:$PF_TLS_PORT_valid"
if [[ $rc == 0 ]] && keylog_ok "$W/env12.log" TLS1.2; then
	t_ok "SSLKEYLOGFILE alone: TLS 1.2 gives one CLIENT_RANDOM line"
else
	cut -c1-60 "$W/env12.log" 2>/dev/null | sed 's/^/#   /'
	t_fail "SSLKEYLOGFILE alone: TLS 1.2 gives one CLIENT_RANDOM line (exit $rc)"
fi
SSLKEYLOGFILE=$W/envbatch.log timeout 60 "$SMTPTOOL" --batch "$W/script" \
    --starttls "${CA[@]}" "${SNI[@]}" "$pf:$PF_TLS_PORT_valid" \
    >"$W/keylog-batch.out" 2>"$W/keylog-batch.err" </dev/null
rc=$?
if [[ $rc == 0 ]] && keylog_ok "$W/envbatch.log" TLS1.3; then
	t_ok "SSLKEYLOGFILE alone: the batch mode writes a key log"
else
	show keylog-batch
	t_fail "SSLKEYLOGFILE alone: the batch mode writes a key log (exit $rc)"
fi
# Both: --keylog gets the lines, and SSLKEYLOGFILE still gets its copy.
SSLKEYLOGFILE=$W/both-env.log certs_run keylog-both "${CA[@]}" "${SNI[@]}" \
    --keylog "$W/both-opt.log" "$pf:$PF_TLS_PORT_valid"
if [[ $rc == 0 ]] && keylog_ok "$W/both-opt.log" TLS1.3 &&
    keylog_ok "$W/both-env.log" TLS1.3 &&
    cmp -s <(sort "$W/both-opt.log") <(sort "$W/both-env.log"); then
	t_ok "--keylog with SSLKEYLOGFILE: both files get the same lines"
else
	t_fail "--keylog with SSLKEYLOGFILE: both files get the same lines (exit $rc)"
fi
# --- 3. OCSP stapling ---------------------------------------------------------------

# only_lo: this network namespace has no interface but lo.
only_lo()
{
	[[ $(awk 'NR > 2 { sub(/:.*/, "", $1); if ($1 != "lo") print $1 }' \
	    /proc/net/dev) == "" ]]
}

# gserv_start NAME ARGS...: gnutls-serv serving valid's chain with ARGS on
# a free port; exports GSERV_PORT; its log is $W/gserv-NAME.log.
gserv_start()
{
	local name=$1 port pid start
	shift
	port=$(free_port) || return 1
	gnutls-serv --quiet --port "$port" \
	    --x509certfile "$C/valid.chain.pem" \
	    --x509keyfile "$C/valid.key.pem" "$@" \
	    </dev/null >"$W/gserv-$name.log" 2>&1 &
	pid=$!
	start=$(_record_pid "$pid")
	printf '%s %s\n' "$pid" "$start" >"$W/gserv-$name.pid"
	cleanup_add "_pidfile_stop '$W/gserv-$name.pid'"
	if ! wait_port 127.0.0.1 "$port" 10; then
		sed 's/^/#   /' "$W/gserv-$name.log"
		_pidfile_stop "$W/gserv-$name.pid"
		return 1
	fi
	GSERV_PORT=$port
}

# ocsp LABEL RESPONSE WANT_OCSP WANT_RC PROBLEMS [OPTIONS...]: certs --tls
# (gnutls-serv speaks TLS at once, and certs needs no banner: it reports
# once the handshake is done) against gnutls-serv stapling RESPONSE ("" for
# none), in text and JSON.
ocsp()
{
	local label=$1 resp=$2 want=$3 wantrc=$4 problems=$5 got
	local -a sargs=()
	shift 5
	[[ -n $resp ]] && sargs=(--ocsp-response "$C/$resp"
	    --ignore-ocsp-response-errors)
	if ! gserv_start "$label" "${sargs[@]}"; then
		t_fail "gnutls-serv starts ($label)"
		return
	fi
	certs_run "ocsp-$label.text" --tls "${CA[@]}" "${SNI[@]}" "$@" \
	    "$pf:$GSERV_PORT"
	if [[ $rc == "$wantrc" ]] &&
	    grep -qx "OCSP        $want" "$W/ocsp-$label.text.out"; then
		t_ok "OCSP $label: the OCSP line says $want, exit $rc"
	else
		show "ocsp-$label.text"
		t_fail "OCSP $label: the OCSP line says $want, exit $wantrc (exit $rc)"
	fi
	certs_run "ocsp-$label.json" --json --tls "${CA[@]}" "${SNI[@]}" "$@" \
	    "$pf:$GSERV_PORT"
	got=$(json "ocsp-$label.json" 'd["ocsp"] + " " + str(d["verified"]) + " " + ",".join(d["problems"])')
	if [[ $rc == "$wantrc" && $got == "$want $( ((wantrc == 0)) && echo True || echo False) $problems" ]]
	then
		t_ok "OCSP $label: JSON ocsp \"$want\", problems [${problems}]"
	else
		show "ocsp-$label.json"
		t_fail "OCSP $label: JSON ocsp \"$want\", problems [${problems}] (got \"$got\", exit $rc)"
	fi
	_pidfile_stop "$W/gserv-$label.pid"
}

if ((!have_ocsp)); then
	t_skip "OCSP stapling" "no OCSP responses (certs_make_ocsp failed)"
elif ! command -v gnutls-serv >/dev/null; then
	t_fail "gnutls-serv is installed (sh share/deps.sh test)"
elif ! only_lo; then
	t_skip "OCSP stapling" "gnutls-serv binds every address: run under tests/run (a private network namespace)"
else
	ocsp none "" "not stapled" 0 ""
	ocsp good ocsp-good.der good 0 ""
	ocsp revoked ocsp-revoked.der revoked 7 "revoked,ocsp"
	has ocsp-revoked.text '^  - certificate 0 \(CN=mx\.test\.local\) is revoked, says the OCSP response the server stapled$' \
	    "OCSP revoked: the reason blames the leaf and the staple"
	has ocsp-revoked.text '^verdict +NOT verified for mx\.test\.local: revoked, ocsp$' \
	    "OCSP revoked: the verdict says revoked, ocsp"
	ocsp revoked12 ocsp-revoked.der revoked 7 "revoked,ocsp" \
	    --priority NORMAL:-VERS-TLS1.3
	has ocsp-revoked12.text '^session +TLS1\.2 ' "OCSP revoked12: under TLS 1.2"
	ocsp badsig ocsp-badsig.der invalid 7 "ocsp"
	has ocsp-badsig.text '^  - the OCSP response the server stapled is not valid$' \
	    "OCSP badsig: the reason says the staple is not valid"
fi

t_done
