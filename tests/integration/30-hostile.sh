#!/bin/bash
# A hostile server of our own (tests/peers/hostile.py), for behaviour no real
# server shows: escape sequences and invalid bytes, garbage, mixed codes, an
# endless line, an endless reply, silence.  The tool must end each session
# with a clear error and its exit code, in bounded time, and never let a
# control byte reach standard output raw.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/hostile
mkdir -p "$W"

# hostile_start MODE: a hostile server on a free port; sets $hport.
hostile_start()
{
	local pid start
	hport=$(free_port)
	"$PYTHON" "$TESTS_ROOT/tests/peers/hostile.py" --port "$hport" \
	    --mode "$1" >"$W/server-$1.log" 2>&1 </dev/null &
	pid=$!
	start=$(_record_pid "$pid")
	printf '%s %s\n' "$pid" "$start" >"$W/hostile-$1.pid"
	cleanup_add "_pidfile_stop '$W/hostile-$1.pid'"
	wait_port 127.0.0.1 "$hport" 10
}

# run MODE [OPTIONS...] < SCRIPT: $W/MODE.out, $rc, $secs.
run()
{
	local mode=$1 t0
	shift
	t0=$(date +%s)
	timeout 60 "$SMTPTOOL" --batch - "$@" "127.0.0.1:$hport" \
	    >"$W/$mode.out" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
}

# verdict NAME MODE WANT_RC REGEX
verdict()
{
	if [[ $rc == "$3" ]] && grep -qE -- "$4" "$W/$2.out"; then
		t_ok "$1 (exit $rc, ${secs}s)"
	else
		echo "exit $rc, want $3; want a line matching: $4"
		head -c 4000 "$W/$2.out"
		t_fail "$1"
	fi
}

hostile_start escape
run escape <<<'EHLO client.test'
verdict "escape sequences in a banner are shown escaped" escape 0 \
    '<-  220-\\x1b\[2J\\x1b\]0;pwned\\x07 hello \\x9b31m$'
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$W/escape.out" ||
    LC_ALL=C grep -qP '[\x80-\xff]' "$W/escape.out"; then
	LC_ALL=C grep -nP '[\x00-\x08\x0b-\x1f\x7f-\xff]' "$W/escape.out" |
	    cat -v
	t_fail "no control, C1, bidi or invalid byte reaches stdout raw"
else
	t_ok "no control, C1, bidi or invalid byte reaches stdout raw"
fi
grep -qF '\xe2\x80\xae' "$W/escape.out" &&
    grep -qF '\xc2\x9b' "$W/escape.out" &&
    grep -qF '\xff\xfe utf8 \x00 nul' "$W/escape.out"
t_check "bidi, C1, invalid UTF-8 and NUL are escaped losslessly" test $? = 0

hostile_start garbage
run garbage <<<'EHLO client.test'
verdict "a banner that is not a reply ends the session" garbage 4 \
    '\*\*\* cannot parse the server.s reply: reply line 1 does not start'

hostile_start mixed
run mixed <<<'EHLO client.test'
verdict "a reply whose lines carry different codes ends the session" mixed 4 \
    'code 250, the first line had 220'

hostile_start longline
run longline <<<'EHLO client.test'
verdict "an endless line is cut at the line limit" longline 4 \
    'a line is longer than 4096 bytes'
((secs < 20))
t_check "the endless line does not keep the tool reading" test $? = 0

hostile_start flood
run flood <<<'EHLO client.test'
verdict "an endless reply is cut at the line count limit" flood 4 \
    'reply has more than 512 lines'

hostile_start silent
run silent --timeout 1 <<<'EHLO client.test'
verdict "a silent server times out waiting for the banner" silent 5 \
    'no banner from the server within 1\.0 s'

t_done
