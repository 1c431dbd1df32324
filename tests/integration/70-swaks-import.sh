#!/bin/bash
# swaks captures read by smtptool: real swaks transcripts recorded live
# against aiosmtpd and against the sandbox (smtptool serve, STARTTLS and
# AUTH), in several modes (plain, --show-raw-text hex dumps,
# --show-time-lapse, --pipeline, --suppress-data, STARTTLS, AUTH PLAIN and
# LOGIN), then written back by "smtptool replay FILE --batch --save OUT"
# as native transcripts.  In the native copy the lines sent are exactly
# the ones swaks shows sending, the lines received exactly the ones it
# shows receiving, TLS where swaks says TLS; the dialog is EHLO 250, MAIL
# 250, RCPT 250, DATA 354, the message, 250, QUIT 221; the times add up
# the time lapses; a CRLF copy of a capture and its RFC-style ("C:"/"S:")
# rewrite read the same.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/swaks-import
mkdir -p "$W"

# cap NAME PORT [ARGS...]: one bounded swaks run, its transcript (stdout
# and stderr, as a user would save it) in $W/NAME.swaks, status in $rc.
cap()
{
	local name=$1 port=$2
	shift 2
	timeout 30 swaks --server "127.0.0.1:$port" --helo client.test \
	    --from sender@client.test --to rcpt@example.test "$@" \
	    </dev/null >"$W/$name.swaks" 2>&1
	rc=$?
}

# import NAME: the native copy of $W/NAME.swaks in $W/NAME.native, replay's
# stderr in $W/NAME.err, its status in $rc.
import()
{
	timeout 30 "$SMTPTOOL" replay "$W/$1.swaks" --batch \
	    --save "$W/$1.native" >"$W/$1.out" 2>"$W/$1.err"
	rc=$?
}

# What swaks shows and what the native copy holds, one payload a line.
swaks_sent()
{
	sed -n 's/^ [-~]> //p; s/^\*[*~]> //p' "$1" | tr -d '\r'
}
swaks_received()
{
	sed -E -n 's/^<(- |~ |\*\*|~\*) //p' "$1"
}
native_sent()
{
	sed -E -n 's/^[0-9]+\.[0-9]{6} [ r][-~]> //p' "$1"
}
native_received()
{
	sed -E -n 's/^[0-9]+\.[0-9]{6} <[-~]  //p' "$1"
}
# The markers of the lines exchanged: P plaintext, T TLS, in order.
swaks_tls()
{
	sed -E -n 's/^( [-~]>|\*[*~]>|<[-~] |<\*\*|<~\*) .*/\1/p' "$1" |
	    sed 's/.*~.*/T/; s/^[^T]*$/P/' | tr -d '\n'
}
native_tls()
{
	sed -E -n 's/^[0-9]+\.[0-9]{6} ( [-~]>|<[-~] ) .*/\1/p' "$1" |
	    sed 's/.*~.*/T/; s/^[^T]*$/P/' | tr -d '\n'
}

# dialog FILE: the commands (a message text as "(message)", an answer to
# a 334 as "(answer)") and the codes of the last reply lines, in order,
# from a native transcript.
dialog()
{
	awk '
	function payload() {
		s = $0
		sub(/^[0-9]+\.[0-9]+ .../, "", s)
		sub(/^ /, "", s)
		return s
	}
	/^[0-9]+\.[0-9]+ [ r][-~]> / {
		p = payload()
		if (text) {
			if (p == ".") {
				text = 0
				cmds = cmds " (message)"
			}
			next
		}
		split(p, w, " ")
		v = toupper(w[1])
		sub(/:.*/, "", v)
		cmds = cmds " " (last == "334" ? "(answer)" : v)
		next
	}
	/^[0-9]+\.[0-9]+ <[-~]  / {
		p = payload()
		if (p ~ /^[2-5][0-9][0-9]( |$)/) {
			last = substr(p, 1, 3)
			codes = codes " " last
			text = last == "354"
		}
	}
	END { print substr(cmds, 2) " |" codes }
	' "$1"
}

# check NAME WANT_DIALOG: the native copy of NAME against its swaks run.
check()
{
	local name=$1 want=$2 got
	if ! [[ -s $W/$name.native ]]; then
		cat "$W/$name.err"
		t_fail "$name: replay --save writes the native copy"
		return
	fi
	if diff <(swaks_sent "$W/$name.swaks") \
	    <(native_sent "$W/$name.native") >"$W/$name.diff"; then
		t_ok "$name: the lines sent are swaks's, byte for byte"
	else
		cat "$W/$name.diff"
		t_fail "$name: the lines sent are swaks's, byte for byte"
	fi
	if diff <(swaks_received "$W/$name.swaks") \
	    <(native_received "$W/$name.native") >"$W/$name.diff"; then
		t_ok "$name: the lines received are swaks's, byte for byte"
	else
		cat "$W/$name.diff"
		t_fail "$name: the lines received are swaks's, byte for byte"
	fi
	if [[ $(swaks_tls "$W/$name.swaks") == "$(native_tls \
	    "$W/$name.native")" ]]; then
		t_ok "$name: TLS on exactly the lines swaks marks TLS"
	else
		swaks_tls "$W/$name.swaks"; echo
		native_tls "$W/$name.native"; echo
		t_fail "$name: TLS on exactly the lines swaks marks TLS"
	fi
	got=$(dialog "$W/$name.native")
	if [[ $got == "$want" ]]; then
		t_ok "$name: the dialog is $want"
	else
		echo "got:  $got"
		echo "want: $want"
		cat "$W/$name.native"
		t_fail "$name: the dialog is $want"
	fi
}

plain_dialog='EHLO MAIL RCPT DATA (message) QUIT | 220 250 250 250 354 250 221'
tls_dialog='EHLO STARTTLS EHLO MAIL RCPT DATA (message) QUIT |'
tls_dialog+=' 220 250 220 250 250 250 354 250 221'
plain_auth_dialog='EHLO STARTTLS EHLO AUTH MAIL RCPT DATA (message) QUIT |'
plain_auth_dialog+=' 220 250 220 250 235 250 250 354 250 221'
login_dialog='EHLO STARTTLS EHLO AUTH (answer) (answer) MAIL RCPT DATA'
login_dialog+=' (message) QUIT |'
login_dialog+=' 220 250 220 250 334 334 235 250 250 354 250 221'

# --- aiosmtpd ----------------------------------------------------------------

ai_port=$(free_port)
if ! aiosmtpd_start "$ai_port" ok; then
	t_fail "aiosmtpd starts"
	exit 1
fi

while read -r name args; do
	# shellcheck disable=SC2086 # ARGS are words
	cap "ai-$name" "$AIOSMTPD_PORT" $args
	if ((rc != 0)); then
		cat "$W/ai-$name.swaks"
		t_fail "ai-$name: swaks $args sends a message (exit $rc)"
		continue
	fi
	import "ai-$name"
	if ((rc == 0)) && ! [[ -s $W/ai-$name.err ]]; then
		t_ok "ai-$name: replay reads it, every line understood"
	else
		cat "$W/ai-$name.err"
		t_fail "ai-$name: replay reads it, every line understood" \
		    "(exit $rc)"
	fi
	check "ai-$name" "$plain_dialog"
done <<'EOF2'
plain
raw --show-raw-text
lapse --show-time-lapse
pipeline --pipeline
all --pipeline --show-raw-text --show-time-lapse
EOF2

# The times are the lapses added up (thousandths: exact in microseconds).
name=ai-lapse
sum=$(sed -n 's/^=== response in \([0-9]*\)\.\([0-9]*\)s$/\1\2/p' \
    "$W/$name.swaks" | awk '{ s += $1 } END { printf "%d", s * 1000 }')
last=$(sed -E -n 's/^([0-9]+)\.([0-9]{6}) .*/\1\2/p' "$W/$name.native" |
    tail -n 1)
sorted=$(sed -E -n 's/^([0-9]+\.[0-9]{6}) .*/\1/p' "$W/$name.native" |
    sort -n -c 2>&1 && echo sorted)
if [[ -n $sum && $((10#$last)) -eq $sum && $sorted == sorted ]] &&
    ! grep -q 'response in' "$W/$name.native"; then
	t_ok "$name: the times add up the time lapses ($sum us)"
else
	echo "sum $sum last $last $sorted"
	t_fail "$name: the times add up the time lapses"
fi

# With the hex dumps, the exact bytes: every line ended with CRLF.
if ! grep -qE '\\(n|z|r)$' "$W/ai-raw.native" &&
    ! grep -q '0000:' "$W/ai-raw.native"; then
	t_ok "ai-raw: the hex dumps give CRLF lines and are not records"
else
	t_fail "ai-raw: the hex dumps give CRLF lines and are not records"
fi

# --suppress-data: the message text is a note, not made-up lines.
cap ai-suppress "$AIOSMTPD_PORT" --suppress-data
import ai-suppress
if [[ -s $W/ai-suppress.native ]] &&
    grep -qE '^[0-9.]+ === message text not shown: [0-9]+ lines sent' \
    "$W/ai-suppress.native" &&
    ! grep -qE '^[0-9.]+  -> [0-9]+ lines sent' "$W/ai-suppress.native"
then
	t_ok "ai-suppress: the summed-up message text is a note"
else
	cat "$W/ai-suppress.err" "$W/ai-suppress.native"
	t_fail "ai-suppress: the summed-up message text is a note"
fi
if [[ $(dialog "$W/ai-suppress.native") == \
    'EHLO MAIL RCPT DATA QUIT | 220 250 250 250 354 250 221' ]]; then
	t_ok "ai-suppress: the dialog around it"
else
	dialog "$W/ai-suppress.native"
	t_fail "ai-suppress: the dialog around it"
fi
# ... and with the hex dump of it, the real lines come back.
cap ai-suppress-raw "$AIOSMTPD_PORT" --suppress-data --show-raw-text
import ai-suppress-raw
if [[ -s $W/ai-suppress-raw.native ]] &&
    grep -qE '^[0-9.]+  -> X-Mailer: swaks' "$W/ai-suppress-raw.native"; then
	t_ok "ai-suppress-raw: the message text is taken from the hex dump"
else
	cat "$W/ai-suppress-raw.err" "$W/ai-suppress-raw.native"
	t_fail "ai-suppress-raw: the message text is taken from the hex dump"
fi
if [[ $(dialog "$W/ai-suppress-raw.native") == "$plain_dialog" ]]; then
	t_ok "ai-suppress-raw: the dialog is $plain_dialog"
else
	dialog "$W/ai-suppress-raw.native"
	t_fail "ai-suppress-raw: the dialog is $plain_dialog"
fi

# A 5xx (greylisting: 451 to RCPT) is a reply like any other.
aiosmtpd_stop "$AIOSMTPD_PORT"
grey_port=$(free_port)
if aiosmtpd_start "$grey_port" greylist; then
	cap ai-greylist "$AIOSMTPD_PORT"
	import ai-greylist
	if grep -qE '^[0-9.]+ <-  451 4\.7\.1 ' "$W/ai-greylist.native" &&
	    [[ $(dialog "$W/ai-greylist.native") == \
	    'EHLO MAIL RCPT QUIT | 220 250 250 451 221' ]]; then
		t_ok "ai-greylist: swaks's <** 451 is the server's reply"
	else
		cat "$W/ai-greylist.swaks" "$W/ai-greylist.native"
		t_fail "ai-greylist: swaks's <** 451 is the server's reply"
	fi
	aiosmtpd_stop "$AIOSMTPD_PORT"
else
	t_fail "aiosmtpd starts in greylist mode"
fi

# --- the sandbox: STARTTLS and AUTH ------------------------------------------

# shellcheck disable=SC2119 # no options: the defaults
if ! serve_start; then
	t_fail "smtptool serve starts"
	exit 1
fi

while read -r name want args; do
	# shellcheck disable=SC2086 # ARGS are words
	cap "sb-$name" "$SERVE_PORT" --tls $args
	if ((rc != 0)); then
		cat "$W/sb-$name.swaks"
		t_fail "sb-$name: swaks --tls $args sends a message (exit $rc)"
		continue
	fi
	import "sb-$name"
	if ((rc == 0)) && ! [[ -s $W/sb-$name.err ]]; then
		t_ok "sb-$name: replay reads it, every line understood"
	else
		cat "$W/sb-$name.err"
		t_fail "sb-$name: replay reads it, every line understood" \
		    "(exit $rc)"
	fi
	check "sb-$name" "${!want}"
done <<'EOF2'
tls tls_dialog
tls-all tls_dialog --pipeline --show-raw-text --show-time-lapse
auth-plain plain_auth_dialog --auth PLAIN -au sandbox -ap sandbox
auth-login login_dialog --auth LOGIN -au sandbox -ap sandbox --show-raw-text
EOF2
# The AUTH dialogs have their 235 (LOGIN: two 334 first).
for name in sb-auth-plain sb-auth-login; do
	if grep -qE '^[0-9.]+ <~  235 2\.7\.0 ' "$W/$name.native"; then
		t_ok "$name: AUTH and its 235 under TLS"
	else
		t_fail "$name: AUTH and its 235 under TLS"
	fi
done

# A wrong password: <~* 535 and swaks's own *** error.
cap sb-auth-bad "$SERVE_PORT" --tls --auth LOGIN --auth-user sandbox \
    --auth-password wrong
import sb-auth-bad
if grep -qE '^[0-9.]+ <~  535 5\.7\.8 ' "$W/sb-auth-bad.native" &&
    grep -qE '^[0-9.]+ \*\*\* No authentication type succeeded' \
    "$W/sb-auth-bad.native"; then
	t_ok "sb-auth-bad: the 535 under TLS and swaks's error"
else
	cat "$W/sb-auth-bad.swaks" "$W/sb-auth-bad.native"
	t_fail "sb-auth-bad: the 535 under TLS and swaks's error"
fi

# --- the same captures as CRLF files and in the RFC style --------------------

for name in ai-all sb-tls-all; do
	sed 's/$/\r/' "$W/$name.swaks" >"$W/$name-crlf.swaks"
	import "$name-crlf"
	if cmp -s "$W/$name.native" "$W/$name-crlf.native"; then
		t_ok "$name: its CRLF copy reads the same"
	else
		diff "$W/$name.native" "$W/$name-crlf.native" | head -20
		t_fail "$name: its CRLF copy reads the same"
	fi
done
for name in ai-plain sb-tls; do
	# swaks's lines as "C: " and "S: " lines, TLS left to STARTTLS.
	sed -E -n 's/^ [-~]> (.*)\r?$/C: \1/p; s/^<(- |~ |\*\*|~\*) /S: /p' \
	    "$W/$name.swaks" | tr -d '\r' >"$W/$name-rfc.swaks"
	import "$name-rfc"
	if [[ $rc == 0 && -s $W/$name-rfc.native ]] &&
	    diff <(grep -E '^[0-9.]+ (<[-~] | [-~]>) ' "$W/$name.native") \
	    <(grep -v '^#' "$W/$name-rfc.native") >"$W/$name-rfc.diff"; then
		t_ok "$name: its RFC-style rewrite reads the same (TLS too)"
	else
		cat "$W/$name-rfc.err" "$W/$name-rfc.diff"
		t_fail "$name: its RFC-style rewrite reads the same (TLS too)"
	fi
done

t_done
