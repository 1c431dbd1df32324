# shellcheck shell=bash
#
# tests/lib/certs.sh: certificate fixtures for the TLS tests, made with
# certtool (gnutls-bin).
#
#	. "$(dirname "$0")/../lib/certs.sh"
#	certs_make DIR
#
# ECDSA P-256 keys (a few ms each; RSA-2048 would take 100 ms or more) and
# FIXED dates, never "now": the machines' clocks may read any year, so the
# valid certificates run from 2024-01-01 to 2049-12-31 and the bad ones sit
# far outside that.
#
# In DIR:
#   root.pem root.key.pem      the trust anchor ("smtptool test root")
#   inter.pem inter.key.pem    an intermediate CA signed by root, path_len 0
#   crl.pem                    a CRL from root that revokes inter (so every
#                              chain through inter is revoked; GnuTLS drops
#                              a CRL it cannot verify against the trust
#                              anchors, so one from inter would be ignored)
#   client.*                   a leaf from inter for TLS www CLIENT only
#
# and for NAME in valid expired notyet selfsigned wronghost nointer:
#   NAME.leaf.pem              the server certificate
#   NAME.key.pem               its key
#   NAME.chain.pem             what the server sends: leaf [+ inter]
#   NAME.postfix.pem           key + leaf [+ inter], one file for Postfix's
#                              smtpd_tls_chain_files
#
#   valid      mx.test.local; SANs DNS mx.test.local, DNS localhost,
#              IP 127.0.0.1, IP ::1; signed by inter; 2024-01-01..2049-12-31
#   expired    the same names, 2010-01-01..2011-12-31
#   notyet     the same names, 2090-01-01..2091-12-31
#   selfsigned the same names, signed by its own key (its own root)
#   wronghost  SAN DNS wrong.test.local only
#   nointer    valid's leaf and key; the chain WITHOUT the intermediate
#
# and, made the same way but outside CERTS_FIXTURES (Postfix's OpenSSL
# refuses to load them at its default security level; tests serve them
# with gnutls-serv):
#   weak       valid's names and dates, an RSA-1024 key, signed by inter
#   sha1       valid's names, dates and kind of key, signed by inter with
#              ECDSA-SHA1 (certtool --hash SHA1)
#
# Also exports CERTS_DIR=DIR.  certs_make takes about 0.1 s.
#
#	certs_make_ocsp DIR
#
# (after certs_make DIR; needs openssl) makes OCSP responses for valid's
# leaf with "openssl ocsp" as a responder, signed by inter (the issuer),
# for a server to staple.  They run from NOW (this machine's clock: GnuTLS
# checks a staple against it) for 7 days:
#   ocsp-good.der      status good
#   ocsp-revoked.der   status revoked (since 2024-06-01)
#   ocsp-badsig.der    status good, but signed by the selfsigned fixture,
#                      which neither issued the leaf nor is trusted: not
#                      valid (one signed by root would pass: GnuTLS takes
#                      any trust anchor as a trusted responder)

if [[ -n ${_CERTS_SH_LOADED-} ]]; then
	return 0
fi
_CERTS_SH_LOADED=1

CERTS_FIXTURES="valid expired notyet selfsigned wronghost nointer"
CERTS_VALID_FROM="2024-01-01 00:00:00"
CERTS_VALID_TO="2049-12-31 23:59:59"

_certs_log()
{
	printf 'certs: %s\n' "$*" >&2
}

# _certtool ARGS...: certtool, quiet unless it fails.
_certtool()
{
	local out
	if ! out=$(timeout 30 certtool "$@" 2>&1); then
		_certs_log "certtool $* failed:"
		printf '%s\n' "$out" >&2
		return 1
	fi
}

# _certs_key FILE [rsa1024]: a new ECDSA P-256 key (or RSA-1024).
_certs_key()
{
	if [[ ${2-} == rsa1024 ]]; then
		_certtool --generate-privkey --key-type=rsa --bits=1024 \
		    --no-text --outfile "$1"
		return
	fi
	_certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
	    --no-text --outfile "$1"
}

# _certs_template FILE CN SERIAL FROM TO KIND [SAN...]: KIND is ca, inter,
# server or client; SANs are "dns:NAME" or "ip:ADDR".
_certs_template()
{
	local file=$1 cn=$2 serial=$3 from=$4 to=$5 kind=$6 san
	shift 6
	{
		printf 'cn = "%s"\n' "$cn"
		printf 'organization = "smtptool tests"\n'
		printf 'serial = %s\n' "$serial"
		printf 'activation_date = "%s"\n' "$from"
		printf 'expiration_date = "%s"\n' "$to"
		case $kind in
		ca)
			printf 'ca\ncert_signing_key\ncrl_signing_key\n'
			;;
		inter)
			printf 'ca\npath_len = 0\ncert_signing_key\n'
			printf 'crl_signing_key\n'
			;;
		server)
			printf 'signing_key\ntls_www_server\n'
			;;
		client)
			printf 'signing_key\ntls_www_client\n'
			;;
		esac
		for san in "$@"; do
			case $san in
			dns:*) printf 'dns_name = "%s"\n' "${san#dns:}" ;;
			ip:*) printf 'ip_address = "%s"\n' "${san#ip:}" ;;
			esac
		done
	} >"$file"
}

# _certs_leaf DIR NAME SERIAL FROM TO KIND SAN...: NAME.key.pem and
# NAME.leaf.pem signed by inter (NAME weak: an RSA-1024 key; NAME sha1:
# signed with SHA-1).
_certs_leaf()
{
	local dir=$1 name=$2 serial=$3 from=$4 to=$5 kind=$6 cn
	local -a hash=()
	shift 6
	cn=mx.test.local
	[[ $name == wronghost ]] && cn=wrong.test.local
	[[ $kind == client ]] && cn=client.test.local
	[[ $name == sha1 ]] && hash=(--hash SHA1)
	_certs_template "$dir/.tmpl/$name" "$cn" "$serial" "$from" "$to" \
	    "$kind" "$@" || return 1
	_certs_key "$dir/$name.key.pem" \
	    "$([[ $name == weak ]] && echo rsa1024)" || return 1
	_certtool --generate-certificate --no-text "${hash[@]}" \
	    --load-privkey "$dir/$name.key.pem" \
	    --load-ca-certificate "$dir/inter.pem" \
	    --load-ca-privkey "$dir/inter.key.pem" \
	    --template "$dir/.tmpl/$name" --outfile "$dir/$name.leaf.pem"
}

# certs_make DIR: make every fixture in DIR (created if need be).
certs_make()
{
	local dir=$1 sans name pids=() pid rc=0
	if [[ -z $dir ]]; then
		_certs_log "usage: certs_make DIR"
		return 2
	fi
	if ! command -v certtool >/dev/null; then
		_certs_log "certtool is missing (sh share/deps.sh test)"
		return 1
	fi
	mkdir -p "$dir/.tmpl" || return 1
	dir=$(cd "$dir" && pwd)
	chmod 755 "$dir"		# Postfix's users read the fixtures
	sans=(dns:mx.test.local dns:localhost ip:127.0.0.1 ip:::1)

	# The root and the intermediate.
	_certs_template "$dir/.tmpl/root" "smtptool test root" 0x01 \
	    "$CERTS_VALID_FROM" "$CERTS_VALID_TO" ca || return 1
	_certs_key "$dir/root.key.pem" || return 1
	_certtool --generate-self-signed --no-text \
	    --load-privkey "$dir/root.key.pem" \
	    --template "$dir/.tmpl/root" --outfile "$dir/root.pem" || return 1
	_certs_template "$dir/.tmpl/inter" "smtptool test intermediate" 0x02 \
	    "$CERTS_VALID_FROM" "$CERTS_VALID_TO" inter || return 1
	_certs_key "$dir/inter.key.pem" || return 1
	_certtool --generate-certificate --no-text \
	    --load-privkey "$dir/inter.key.pem" \
	    --load-ca-certificate "$dir/root.pem" \
	    --load-ca-privkey "$dir/root.key.pem" \
	    --template "$dir/.tmpl/inter" --outfile "$dir/inter.pem" ||
	    return 1

	# The leaves, in parallel (two cores halve the time).
	_certs_leaf "$dir" valid 0x1001 "$CERTS_VALID_FROM" \
	    "$CERTS_VALID_TO" server "${sans[@]}" &
	pids+=($!)
	_certs_leaf "$dir" expired 0x1002 "2010-01-01 00:00:00" \
	    "2011-12-31 23:59:59" server "${sans[@]}" &
	pids+=($!)
	_certs_leaf "$dir" notyet 0x1003 "2090-01-01 00:00:00" \
	    "2091-12-31 23:59:59" server "${sans[@]}" &
	pids+=($!)
	_certs_leaf "$dir" wronghost 0x1004 "$CERTS_VALID_FROM" \
	    "$CERTS_VALID_TO" server dns:wrong.test.local &
	pids+=($!)
	_certs_leaf "$dir" client 0x1005 "$CERTS_VALID_FROM" \
	    "$CERTS_VALID_TO" client dns:client.test.local &
	pids+=($!)
	_certs_leaf "$dir" weak 0x1006 "$CERTS_VALID_FROM" \
	    "$CERTS_VALID_TO" server "${sans[@]}" &
	pids+=($!)
	_certs_leaf "$dir" sha1 0x1007 "$CERTS_VALID_FROM" \
	    "$CERTS_VALID_TO" server "${sans[@]}" &
	pids+=($!)
	{
		_certs_template "$dir/.tmpl/selfsigned" mx.test.local 0x2001 \
		    "$CERTS_VALID_FROM" "$CERTS_VALID_TO" server "${sans[@]}" &&
		_certs_key "$dir/selfsigned.key.pem" &&
		_certtool --generate-self-signed --no-text \
		    --load-privkey "$dir/selfsigned.key.pem" \
		    --template "$dir/.tmpl/selfsigned" \
		    --outfile "$dir/selfsigned.leaf.pem"
	} &
	pids+=($!)
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	((rc == 0)) || return 1

	# nointer: valid's leaf and key.
	cp "$dir/valid.leaf.pem" "$dir/nointer.leaf.pem" &&
	cp "$dir/valid.key.pem" "$dir/nointer.key.pem" || return 1

	# The chains as sent, and Postfix's one-file form (key first).
	for name in valid expired notyet wronghost client weak sha1; do
		cat "$dir/$name.leaf.pem" "$dir/inter.pem" >"$dir/$name.chain.pem"
	done
	for name in selfsigned nointer; do
		cp "$dir/$name.leaf.pem" "$dir/$name.chain.pem"
	done
	for name in $CERTS_FIXTURES client weak sha1; do
		cat "$dir/$name.key.pem" "$dir/$name.chain.pem" \
		    >"$dir/$name.postfix.pem" || return 1
	done

	# A CRL from the root that revokes the intermediate.
	{
		printf 'crl_number = 1\n'
		printf 'crl_this_update_date = "%s"\n' "$CERTS_VALID_FROM"
		printf 'crl_next_update_date = "%s"\n' "$CERTS_VALID_TO"
		printf 'crl_revocation_date = "%s"\n' "2024-06-01 00:00:00"
	} >"$dir/.tmpl/crl"
	_certtool --generate-crl --no-text \
	    --load-ca-privkey "$dir/root.key.pem" \
	    --load-ca-certificate "$dir/root.pem" \
	    --load-certificate "$dir/inter.pem" \
	    --template "$dir/.tmpl/crl" --outfile "$dir/crl.pem" || return 1

	# Readable by Postfix's smtpd whoever loads them (test keys only).
	chmod 644 "$dir"/*.pem
	rm -rf "$dir/.tmpl"
	export CERTS_DIR=$dir
}

# _certs_ocsp DIR STATUS SIGNER OUT: one OCSP response for valid's leaf
# (serial 0x1001), STATUS good or revoked, signed by SIGNER (inter, or
# selfsigned: its files are SIGNER[.leaf].pem and SIGNER.key.pem).
_certs_ocsp()
{
	local dir=$1 status=$2 signer=$3 out=$4 idx line rc=0 text crt
	crt=$dir/$signer.pem
	[[ -r $crt ]] || crt=$dir/$signer.leaf.pem
	idx=$dir/.ocsp-$$-$RANDOM
	mkdir -p "$idx" || return 1
	# The CA database "openssl ocsp -index" reads: status, expiry,
	# revocation date, serial (hex), file, subject.
	if [[ $status == revoked ]]; then
		line=$'R\t491231235959Z\t240601000000Z\t1001\tunknown\t'
	else
		line=$'V\t491231235959Z\t\t1001\tunknown\t'
	fi
	printf '%s/O=smtptool tests/CN=mx.test.local\n' "$line" >"$idx/index"
	if ! text=$(timeout 30 openssl ocsp -index "$idx/index" \
	    -CA "$dir/inter.pem" -rsigner "$crt" \
	    -rkey "$dir/$signer.key.pem" -issuer "$dir/inter.pem" \
	    -cert "$dir/valid.leaf.pem" -no_nonce -ndays 7 \
	    -respout "$out" 2>&1) || [[ ! -s $out ]]; then
		_certs_log "openssl ocsp ($status, by $signer) failed:"
		printf '%s\n' "$text" >&2
		rc=1
	fi
	rm -rf "$idx"
	return "$rc"
}

# certs_make_ocsp DIR: see the top of this file.
certs_make_ocsp()
{
	local dir=$1
	if [[ -z $dir || ! -r $dir/valid.leaf.pem ]]; then
		_certs_log "usage: certs_make_ocsp DIR (after certs_make DIR)"
		return 2
	fi
	if ! command -v openssl >/dev/null; then
		_certs_log "openssl is missing (sh share/deps.sh test)"
		return 1
	fi
	_certs_ocsp "$dir" good inter "$dir/ocsp-good.der" &&
	_certs_ocsp "$dir" revoked inter "$dir/ocsp-revoked.der" &&
	_certs_ocsp "$dir" good selfsigned "$dir/ocsp-badsig.der" &&
	chmod 644 "$dir"/ocsp-*.der
}

# The checks of "smtptool certs" shared by the TLS tests; the caller sets
# W (its work folder), C (the fixtures of certs_make) and CHECK
# (tests/lib/tls_report_check.py).

# certs_run NAME [OPTIONS...] TARGET: "smtptool certs" into $W/NAME.out
# (stderr $W/NAME.err); the exit status in $rc, the seconds in $secs.
# Environment assignments go before: VAR=x certs_run ...
certs_run()
{
	local name=$1 t
	shift
	t=$(_now_us)
	timeout 60 "$SMTPTOOL" certs "$@" >"$W/$name.out" 2>"$W/$name.err" \
	    </dev/null
	rc=$?
	secs=$(( ($(_now_us) - t) / 1000 ))
	secs=$((secs / 1000)).$(printf '%03d' $((secs % 1000)))
}

# certs_check LABEL FIXTURE TARGET NAME VERIFIED WANT_RC PROBLEMS ALLOW
#     CERT_PROBLEMS_JSON [SESSION_VERSION [MODE]] -- OPTIONS...
# Runs certs with OPTIONS TARGET twice (text, --json) and checks both
# reports against FIXTURE's chain file.
certs_check()
{
	local label=$1 fixture=$2 target=$3 name=$4 verified=$5 want=$6
	local problems=$7 allow=$8 certp=$9 sv=${10-} mode=${11-} fmt spec
	local -a opts
	shift 11
	[[ ${1-} == -- ]] && shift
	opts=("$@")
	for fmt in text json; do
		if [[ $fmt == json ]]; then
			certs_run "$label.$fmt" --json "${opts[@]}" "$target"
		else
			certs_run "$label.$fmt" "${opts[@]}" "$target"
		fi
		spec=$("$PYTHON" -c '
import json, sys
a = sys.argv[1:]
print(json.dumps({
    "label": a[0], "fmt": a[1], "out": a[2], "rc": int(a[3]),
    "want_rc": int(a[4]), "chain_file": a[5], "name": a[6],
    "target": a[7], "verified": a[8] == "1",
    "problems": [p for p in a[9].split(",") if p],
    "allow": [p for p in a[10].split(",") if p],
    "cert_problems": json.loads(a[11] or "{}"),
    "session_version": a[12] or None, "mode": a[13] or None}))
' "$label" "$fmt" "$W/$label.$fmt.out" "$rc" "$want" \
		    "$C/$fixture.chain.pem" "$name" "$target" "$verified" \
		    "$problems" "$allow" "$certp" "$sv" "$mode")
		"$PYTHON" "$CHECK" "$spec"
		t_failed=$((t_failed + $?))
		if [[ -s $W/$label.$fmt.err ]]; then
			sed "s/^/# $label.$fmt stderr: /" "$W/$label.$fmt.err" |
			    head -n 5
		fi
	done
}
