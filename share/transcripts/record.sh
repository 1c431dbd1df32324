#!/bin/bash
# shellcheck disable=SC2154 # PF_* come from postfix_auth_start/_tls_start
#
# share/transcripts/record.sh [OUTDIR]: (re)record the sample transcripts of
# this folder: real failed SMTP sessions between smtptool and the real
# servers its tests use (a private Postfix, aiosmtpd), all on loopback.
#
# How to run it, from the top of a source tree, on Debian as root (Postfix's
# private instance needs root to start; nothing is installed or configured
# system-wide, no service is started, nothing listens beyond 127.0.0.1/::1):
#
#	sh share/deps.sh test		# the peers: postfix, sasl2-bin,
#					# python3-aiosmtpd, gnutls-bin...
#	make				# build/smtptool
#	bash share/transcripts/record.sh
#
# It writes NAME.transcript for each sample into OUTDIR (the argument, else
# the environment variable OUTDIR, else this folder), replacing what was
# there; tests/integration/72-samples.sh runs it into a temporary folder.
# It takes under 10 seconds.  Where "unshare -n" works (root) it runs in a
# network namespace of its own with only "lo", so that nothing can leave
# the machine; RECORD_NETNS=0 turns that off.  SMTPTOOL names another
# binary (default: build/smtptool of this tree).
#
# Each peer is started by tests/lib/peers.sh (its starts and waits are
# bounded, each stop ends only the PIDs its start recorded, and everything
# is stopped and removed when the script ends, however it ends); every
# smtptool run is bounded by --connect-timeout, --timeout and timeout(1).
#
# What is changed in a recording before it is written:
#   - the "# start" line names the target "mx.test.local:25" instead of
#     127.0.0.1 and the random port of the run, and the "connecting to" and
#     "connected to" lines say 127.0.0.1:25 instead of that port: as a run
#     of "smtptool mx.test.local" resolving to 127.0.0.1 would record, so
#     that recording again changes only the times;
#   - a comment line "# what: ..." follows the "# start" line.
# Everything else is as smtptool wrote it (the file stays a valid native
# transcript: tests/unit/test_samples.c reads each sample and writes it
# back byte for byte).  The start time and the delays are those of the run.
#
# The samples (README in this folder lists them too):
#   greylisting-451          aiosmtpd --mode greylist: 451 4.7.1 at RCPT
#   throttling-421           Postfix's connection rate limit (anvil): 421
#                            4.7.0 instead of the greeting
#   unknown-user-550         Postfix: 550 5.1.1 at RCPT, no such user
#   relay-denied-554         Postfix: 554 5.7.1 Relay access denied at RCPT
#   auth-failed-535          Postfix + Cyrus SASL, STARTTLS then AUTH PLAIN
#                            with a wrong password: 535 5.7.8, [masked]
#   message-too-large-552    Postfix with a 2048-byte message_size_limit: a
#                            message sent without MAIL SIZE= gets 552 5.3.4
#                            after the final dot
#   tls-expired-certificate  Postfix serving the expired fixture of
#                            tests/lib/certs.sh; --require-tls: QUIT

set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 1
root=$(cd "$here/../.." && pwd) || exit 1

# A network namespace of our own, before anything is started or created.
if [[ ${RECORD_NETNS-1} == 1 && -z ${_RECORD_IN_NETNS-} ]] &&
    ((EUID == 0)) && unshare -n sh -c 'ip link set lo up' >/dev/null 2>&1
then
	export _RECORD_IN_NETNS=1
	# shellcheck disable=SC2016
	exec unshare -n sh -c 'ip link set lo up && exec bash "$0" "$@"' \
	    "$here/record.sh" "$@"
fi

log()
{
	printf 'record.sh: %s\n' "$*" >&2
}

if (($# > 1)); then
	echo "usage: bash share/transcripts/record.sh [OUTDIR]" >&2
	exit 2
fi
outdir=${1:-${OUTDIR:-$here}}
if ((EUID != 0)); then
	log "run me as root (the private Postfix needs it)"
	exit 1
fi
for cmd in postfix saslpasswd2 certtool timeout /usr/bin/python3; do
	if ! command -v "$cmd" >/dev/null; then
		log "$cmd is missing: sh share/deps.sh test installs the peers"
		exit 1
	fi
done
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	log "aiosmtpd is missing: sh share/deps.sh test installs the peers"
	exit 1
fi
mkdir -p "$outdir" && outdir=$(cd "$outdir" && pwd) || exit 1

# shellcheck source=../../tests/lib/peers.sh
. "$root/tests/lib/peers.sh"
# shellcheck source=../../tests/lib/certs.sh
. "$root/tests/lib/certs.sh"

if [[ ! -x $SMTPTOOL ]]; then
	log "no $SMTPTOOL: run make first"
	exit 1
fi

W=$(mktemp -d "$TESTS_TMP/record-samples.XXXXXX") || exit 1
chmod 755 "$W"			# Postfix's users walk through it
cleanup_add "rm -rf '$W'"
C=$W/certs

TARGET=mx.test.local:25		# the neutral target of every sample

# session NAME EXIT PORT DIALOG [OPTIONS...]: smtptool --batch DIALOG (the
# text of a script) against 127.0.0.1:PORT, the transcript in $W/NAME.raw;
# fails unless smtptool exits with EXIT (the code of the failing step).
session()
{
	local name=$1 want=$2 port=$3 dialog=$4 rc
	shift 4
	printf '%s\n' "$dialog" >"$W/$name.script"
	rm -f "$W/$name.raw"
	timeout -k 5 60 "$SMTPTOOL" --batch "$W/$name.script" \
	    --connect-timeout 10s --timeout 30s --record "$W/$name.raw" "$@" \
	    "127.0.0.1:$port" </dev/null >"$W/$name.out" 2>"$W/$name.err"
	rc=$?
	if ((rc != want)); then
		log "$name: smtptool exited with $rc, not $want:"
		cat "$W/$name.out" "$W/$name.err" >&2
		return 1
	fi
}

# sample NAME PORT WHAT: write $W/NAME.raw as OUTDIR/NAME.transcript, the
# target made neutral and "# what: WHAT" after the "# start" line.
sample()
{
	local name=$1 port=$2 what=$3 out=$outdir/$1.transcript
	if [[ $what == *[[:cntrl:]]* ]]; then
		log "$name: the what line has a control character"
		return 1
	fi
	if ! PORT=$port TARGET=$TARGET WHAT=$what awk '
	BEGIN {
		port = ENVIRON["PORT"]
		note = "^[0-9]+\\.[0-9][0-9][0-9][0-9][0-9][0-9] === " \
		    "(connecting|connected) to 127\\.0\\.0\\.1:" port "$"
	}
	NR == 1 && $0 != "# smtptool-transcript 1" { exit 1 }
	NR == 2 {
		if ($0 !~ "^# start [^ ]+ target 127\\.0\\.0\\.1:" port "$")
			exit 1
		sub(/ target .*/, " target " ENVIRON["TARGET"])
		print
		print "# what: " ENVIRON["WHAT"]
		started = 1
		next
	}
	$0 ~ note { sub(":" port "$", ":25") }
	{ print }
	END { if (!started) exit 1 }
	' "$W/$name.raw" >"$W/$name.transcript"; then
		log "$name: $W/$name.raw is not the transcript expected:"
		cat "$W/$name.raw" >&2
		return 1
	fi
	mv -f "$W/$name.transcript" "$out" || return 1
	chmod 644 "$out"
	log "wrote $out"
}

fail()
{
	log "$*"
	exit 1
}

certs_make "$C" || fail "certs_make failed"

# --- aiosmtpd: greylisting ----------------------------------------------------
port=$(free_port) || fail "no free port"
aiosmtpd_start "$port" greylist --hostname mx.test.local ||
    fail "aiosmtpd does not start"
session greylisting-451 26 "$port" 'EHLO client.example
MAIL FROM:<sender@client.example>
RCPT TO:<alice@test.local>' || exit 1
sample greylisting-451 "$port" "aiosmtpd in greylisting mode answers the \
first RCPT TO of a new (client, sender, recipient) triplet with 451 4.7.1, \
a temporary failure: a good client keeps the message and tries again later \
(smtptool stops at the 4xx, exit 26)." || exit 1
aiosmtpd_stop "$port"

# --- Postfix with SASL: user, relay, AUTH, size, rate limit ------------------
# Two services of our own besides postfix_auth_start's: a connection rate
# limit of 2 a minute (anvil's default anvil_rate_time_unit; 127.0.0.1 is
# not in mynetworks, so not exempt) and a 2048-byte message size limit (so that the message of the
# sample stays short).  Nothing probes them before the samples: a probe
# would count as a connection.
rate_port=$(free_port) || fail "no free port"
small_port=$(free_port) || fail "no free port"
POSTFIX_MASTER_EXTRA="127.0.0.1:$rate_port inet n - n - - smtpd
  -o smtpd_client_connection_rate_limit=2
127.0.0.1:$small_port inet n - n - - smtpd
  -o message_size_limit=2048" postfix_auth_start "$W/postfix" "$C" ||
    fail "Postfix with SASL does not start"

session unknown-user-550 26 "$PF_AUTH_PLAIN_PORT" 'EHLO client.example
MAIL FROM:<sender@client.example>
RCPT TO:<nobody@test.local>' || exit 1
sample unknown-user-550 "$PF_AUTH_PLAIN_PORT" "Postfix refuses RCPT TO an \
address its domain does not have with 550 5.1.1 (User unknown in virtual \
mailbox table), a permanent failure (smtptool stops, exit 26)." || exit 1

session relay-denied-554 26 "$PF_AUTH_PLAIN_PORT" 'EHLO client.example
MAIL FROM:<sender@client.example>
RCPT TO:<someone@example.org>' || exit 1
sample relay-denied-554 "$PF_AUTH_PLAIN_PORT" "Postfix refuses RCPT TO a \
domain it does not serve from a client that did not authenticate with \
554 5.7.1 Relay access denied (smtptool stops, exit 26)." || exit 1

# The password is wrong on purpose; smtptool masks what carries it.
SMTPTOOL_PASSWORD=not-alices-password session auth-failed-535 24 \
    "$PF_AUTH_PORT" 'EHLO client.example
STARTTLS
EHLO client.example
:auth PLAIN alice@test.local
MAIL FROM:<alice@test.local>
RCPT TO:<bob@test.local>' --ca-file "$C/root.pem" --sni mx.test.local ||
    exit 1
sample auth-failed-535 "$PF_AUTH_PORT" "On a submission port that wants \
STARTTLS first, Postfix (Cyrus SASL) refuses AUTH PLAIN with a wrong \
password with 535 5.7.8; the line that carries the credentials is shown \
as [masked] (smtptool stops, exit 24)." || exit 1

# A 3 KB message with a small "attachment", sent by a client that does not
# announce its size: no SIZE= on MAIL, so Postfix can only refuse it after
# the final dot.
{
	printf 'From: <sender@client.example>\n'
	printf 'To: <alice@test.local>\n'
	printf 'Subject: the monthly report\n'
	printf 'Date: Mon, 01 Jan 2024 09:00:00 +0000\n'
	printf 'Message-ID: <report-2024-01@client.example>\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="b1"\n'
	printf '\n'
	printf -- '--b1\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n'
	printf '\n'
	printf 'Hello Alice, the report is attached.\n'
	printf '\n'
	printf -- '--b1\n'
	printf 'Content-Type: text/csv; name="report.csv"\n'
	printf 'Content-Disposition: attachment; filename="report.csv"\n'
	printf 'Content-Transfer-Encoding: base64\n'
	printf '\n'
	awk 'BEGIN { print "day,messages,bytes"
	    for (m = 1; m <= 3; m++) for (d = 1; d <= 28; d++) {
		n = 900 + (m * 31 + d) * 37 % 200
		printf "2024-%02d-%02d,%d,%d\n", m, d, n, n * 5120 } }' |
	    base64 -w 76
	printf -- '--b1--\n'
} >"$W/report.eml"
session message-too-large-552 27 "$small_port" "EHLO client.example
MAIL FROM:<sender@client.example>
RCPT TO:<alice@test.local>
:data $W/report.eml" || exit 1
sample message-too-large-552 "$small_port" "Postfix with a \
message_size_limit of 2048 bytes (EHLO says SIZE 2048) gets a larger \
message from a client that did not announce its size (no SIZE= on MAIL) \
and refuses it after the final dot with 552 5.3.4 (smtptool stops, exit \
27)." || exit 1

# Two connections, then the third within the minute: refused.
for i in 1 2; do
	session rate-$i 0 "$rate_port" 'EHLO client.example
QUIT' || exit 1
done
session throttling-421 21 "$rate_port" 'EHLO client.example' || exit 1
sample throttling-421 "$rate_port" "Postfix with a connection rate limit \
(smtpd_client_connection_rate_limit = 2 a minute) answers the third \
connection from the same client within the minute with 421 4.7.0 instead \
of the 220 greeting and hangs up (smtptool exit 21)." || exit 1

postfix_auth_stop "$W/postfix"

# --- Postfix with the TLS fixtures: the expired certificate -------------------
postfix_tls_start "$W/postfix-tls" "$C" ||
    fail "Postfix with the TLS fixtures does not start"
session tls-expired-certificate 7 "$PF_TLS_PORT_expired" 'EHLO client.example
MAIL FROM:<sender@client.example>
RCPT TO:<alice@test.local>' --starttls --require-tls \
    --ca-file "$C/root.pem" --sni mx.test.local || exit 1
sample tls-expired-certificate "$PF_TLS_PORT_expired" "Postfix serves a \
certificate that expired at the end of 2011: after STARTTLS the chain \
does not verify (expired), and with --require-tls smtptool sends QUIT \
before any MAIL (exit 7)." || exit 1
postfix_tls_stop "$W/postfix-tls"

log "done: 7 samples in $outdir"
