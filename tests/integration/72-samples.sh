#!/bin/bash
# The sample transcripts of share/transcripts/: record.sh records them all
# again into a temporary folder, from the real peers it starts and stops
# itself (as on a clean machine); each fresh sample shows its failure at
# the step it is about; each is read and written back byte for byte by
# the native reader (build/unit-tests samples with SAMPLES_DIR); and the
# checked-in samples are the ones record.sh makes now (same files, same
# "# what:" lines, same client lines).

# shellcheck source=../lib/peers.sh
. "$(dirname "$0")/../lib/peers.sh"

SAMPLES=$TESTS_ROOT/share/transcripts
OUT=$TESTS_TMP/samples
NAMES="greylisting-451 throttling-421 unknown-user-550 relay-denied-554
auth-failed-535 message-too-large-552 tls-expired-certificate"
# The wrong password of the auth-failed sample, as record.sh sends it.
WRONG=not-alices-password

if OUTDIR=$OUT timeout -k 10 240 bash "$SAMPLES/record.sh" \
    >"$TESTS_TMP/record.out" 2>"$TESTS_TMP/record.err"; then
	t_ok "record.sh records the samples (OUTDIR)"
else
	sed 's/^/#   /' "$TESTS_TMP/record.out" "$TESTS_TMP/record.err" |
	    tail -n 60
	t_fail "record.sh records the samples (OUTDIR)"
	exit 1
fi

# has NAME ERE: a line of the fresh sample NAME matches ERE.
has()
{
	grep -qE -- "$2" "$OUT/$1.transcript"
}

# hasnt NAME FIXED: no line of the fresh sample NAME holds FIXED.
hasnt()
{
	! grep -qF -- "$2" "$OUT/$1.transcript"
}

# answered NAME REPLY: the client line the first server line starting with
# REPLY answers (the last client line before it; "(banner)" when none).
answered()
{
	awk -v reply="$2" '
	/^[0-9]+\.[0-9]+ / {
		marker = substr($0, index($0, " ") + 1, 3)
		payload = substr($0, index($0, " ") + 5)
		if (marker == " ->" || marker == " ~>")
			last = payload
		else if ((marker == "<- " || marker == "<~ ") &&
		    index(payload, reply) == 1) {
			print last == "" ? "(banner)" : last
			exit
		}
	}' "$OUT/$1.transcript"
}

# at NAME REPLY WANT: REPLY answers the client line WANT (a glob).
at()
{
	local got
	got=$(answered "$1" "$2")
	# shellcheck disable=SC2053
	if [[ -n $got && $got == $3 ]]; then
		return 0
	fi
	echo "# $1: \"$2\" answers \"$got\", not \"$3\""
	return 1
}

for name in $NAMES; do
	f=$OUT/$name.transcript
	if [[ ! -f $f ]]; then
		t_fail "$name: recorded"
		continue
	fi
	t_check "$name: a neutral target on the \"# start\" line" \
	    grep -qE '^# start [0-9T:.-]+Z target mx\.test\.local:25$' \
	    <(sed -n 2p "$f")
	t_check "$name: \"# what:\" on the line after it" \
	    grep -qE '^# what: .{20,}' <(sed -n 3p "$f")
	t_check "$name: no random port left" \
	    bash -c "! grep -E '127\\.0\\.0\\.1:([0-9]+)' '$f' |
		grep -vE '127\\.0\\.0\\.1:25\$'"
done

n=greylisting-451
t_check "$n: 451 4.7.1 at RCPT" at $n '451 4.7.1 ' 'RCPT TO:<*>'
t_check "$n: a plaintext server line" has $n \
    '^[0-9.]+ <-  451 4\.7\.1 Greylisted'
t_check "$n: smtptool stops at RCPT" has $n \
    '^[0-9.]+ \*\*\* RCPT failed with 451 \(exit 26\)$'
t_check "$n: and says QUIT" has $n '^[0-9.]+  -> QUIT$'

n=throttling-421
t_check "$n: 421 4.7.0 instead of the greeting" at $n '421 4.7.0 ' '(banner)'
t_check "$n: Postfix's rate limit" has $n \
    '<-  421 4\.7\.0 mx\.test\.local Error: too many connections from'
t_check "$n: no 220" hasnt $n ' <-  220 '
t_check "$n: the server hangs up" has $n '=== connection closed$'

n=unknown-user-550
t_check "$n: 550 5.1.1 at RCPT" at $n '550 5.1.1 ' 'RCPT TO:<nobody@test.local>'
t_check "$n: User unknown" has $n \
    '<-  550 5\.1\.1 <nobody@test\.local>: Recipient address rejected: User unknown'
t_check "$n: smtptool stops at RCPT" has $n 'RCPT failed with 550 \(exit 26\)'

n=relay-denied-554
t_check "$n: 554 5.7.1 at RCPT" at $n '554 5.7.1 ' 'RCPT TO:<someone@example.org>'
t_check "$n: Relay access denied" has $n \
    '<-  554 5\.7\.1 <someone@example\.org>: Relay access denied$'

n=auth-failed-535
t_check "$n: STARTTLS, verified" has $n \
    '=== TLS TLS1\.[23] .*, verified$'
t_check "$n: AUTH PLAIN masked, under TLS" has $n \
    '^[0-9.]+  ~> AUTH PLAIN \[masked\]$'
t_check "$n: 535 5.7.8 answers it" at $n '535 5.7.8 ' 'AUTH PLAIN \[masked\]'
t_check "$n: under TLS" has $n '^[0-9.]+ <~  535 5\.7\.8 '
t_check "$n: smtptool stops at AUTH" has $n 'AUTH failed with 535 \(exit 24\)'
t_check "$n: no MAIL after it" hasnt $n 'MAIL FROM'
t_check "record.sh sends the wrong password this test knows" \
    grep -qF "SMTPTOOL_PASSWORD=$WRONG " "$SAMPLES/record.sh"
leaked=0
for s in "$WRONG" "$(printf '%s' "$WRONG" | base64 -w0)" \
    "$(printf '\0alice@test.local\0%s' "$WRONG" | base64 -w0)"; do
	hasnt $n "$s" || leaked=1
done
t_check "$n: no secret in it (plain or base64)" test "$leaked" -eq 0

n=message-too-large-552
t_check "$n: EHLO says SIZE 2048" has $n '<-  250-SIZE 2048$'
t_check "$n: MAIL without SIZE=" has $n \
    '^[0-9.]+  -> MAIL FROM:<sender@client\.example>$'
t_check "$n: the message text went out" has $n '^[0-9.]+  -> --b1--$'
t_check "$n: 552 5.3.4 after the final dot" at $n '552 5.3.4 ' '.'
t_check "$n: smtptool stops at the dot" has $n \
    'DATA failed with 552 \(exit 27\)'

n=tls-expired-certificate
t_check "$n: STARTTLS accepted" at $n '220 2.0.0 ' 'STARTTLS'
t_check "$n: a warning: not verified, expired" has $n \
    '^[0-9.]+ !!! TLS TLS1\.[23] .*NOT verified: .*expired'
t_check "$n: a warning with the certificate and its date" has $n \
    '^[0-9.]+ !!! certificate not verified for mx\.test\.local: .*expired on 2011-12-31'
t_check "$n: --require-tls: an error, then QUIT under TLS" has $n \
    '^[0-9.]+ \*\*\* TLS is required \(--require-tls\)'
t_check "$n: QUIT under TLS" has $n '^[0-9.]+  ~> QUIT$'
t_check "$n: no MAIL" hasnt $n 'MAIL FROM'

# The fresh samples through the native reader and writer.
if [[ -x $TESTS_ROOT/build/unit-tests ]]; then
	if SAMPLES_DIR=$OUT "$TESTS_ROOT/build/unit-tests" test_samples \
	    >"$TESTS_TMP/unit.out" 2>&1; then
		t_ok "the fresh samples are read and written back losslessly"
	else
		sed 's/^/#   /' "$TESTS_TMP/unit.out"
		t_fail "the fresh samples are read and written back losslessly"
	fi
else
	t_skip "the fresh samples through the reader" \
	    "no build/unit-tests (make unit-tests)"
fi

# The checked-in samples: the same files, what lines and client lines.
# shellcheck disable=SC2012
fresh=$(cd "$OUT" && ls -- *.transcript | sort)
# shellcheck disable=SC2012
kept=$(cd "$SAMPLES" && ls -- *.transcript 2>/dev/null | sort)
t_check "the checked-in samples are the files record.sh writes" \
    test "$fresh" == "$kept"
# client FILE: its "# what:" line and its client lines without the times.
client()
{
	sed -nE -e '/^# what: /p' -e 's/^[0-9]+\.[0-9]+ ( ->| ~>|r->|r~>) /\1 /p' \
	    "$1"
}
for name in $NAMES; do
	[[ -f $SAMPLES/$name.transcript && -f $OUT/$name.transcript ]] ||
	    continue
	if diff <(client "$SAMPLES/$name.transcript") \
	    <(client "$OUT/$name.transcript") >"$TESTS_TMP/diff" 2>&1; then
		t_ok "$name: checked in as record.sh records it now"
	else
		sed 's/^/#   /' "$TESTS_TMP/diff" | head -n 20
		t_fail "$name: checked in as record.sh records it now" \
		    "(run share/transcripts/record.sh)"
	fi
done
t_done
