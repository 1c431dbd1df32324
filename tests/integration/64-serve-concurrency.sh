#!/bin/bash
# Many clients in one event loop: a delayed or tarpitted connection never
# slows another one.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/concurrency
mkdir -p "$W"
cat >"$W/slow.rules" <<'EOF2'
ehlo /slow\.test/ delay 3s
ehlo /tar\.test/  tarpit 40/s
EOF2

if ! serve_start --discard --rules "$W/slow.rules"; then
	t_fail "smtptool serve starts"
	exit 1
fi

# client NAME HELO: a batch session in the background; its pid in $pid.
client()
{
	printf 'EHLO %s\nQUIT\n' "$2" |
	    timeout 60 "$SMTPTOOL" --batch - "127.0.0.1:$SERVE_PORT" \
	    >"$W/$1.out" 2>&1 &
	pid=$!
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

for kind in slow tar; do
	t0=$(now_ms)
	client "$kind" "$kind.test"
	held=$pid
	# The held session is connected and waiting before the other starts.
	for _ in $(seq 100); do
		grep -q ' -> EHLO' "$W/$kind.out" 2>/dev/null && break
		sleep 0.05
	done
	t1=$(now_ms)
	client "fast-$kind" fast.test
	wait "$pid"
	rc=$?
	t2=$(now_ms)
	fast=$((t2 - t1))
	if [[ $rc == 0 ]] && ((fast < 1500)) && kill -0 "$held" 2>/dev/null; then
		t_ok "a $kind connection does not slow another (${fast} ms while it waits)"
	else
		cat "$W/fast-$kind.out"
		t_fail "a $kind connection does not slow another (${fast} ms, exit $rc)"
	fi
	wait "$held"
	rc=$?
	t3=$(now_ms)
	if [[ $rc == 0 ]] && (($(( t3 - t0 )) >= 2500)); then
		t_ok "the $kind connection itself took $((t3 - t0)) ms, and succeeded"
	else
		cat "$W/$kind.out"
		t_fail "the $kind connection itself was held (took $((t3 - t0)) ms, exit $rc)"
	fi
done

# --max-clients: the connection over the limit gets 421 at once.
serve_stop
if serve_start --discard --max-clients 2; then
	exec 7<>"/dev/tcp/127.0.0.1/$SERVE_PORT" 8<>"/dev/tcp/127.0.0.1/$SERVE_PORT"
	read -r -t 5 b7 <&7
	read -r -t 5 b8 <&8
	out=$(printf 'QUIT\r\n' | timeout 10 "$PYTHON" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(s.recv(200).decode(errors="replace").strip())
' "$SERVE_PORT")
	exec 7>&- 8>&-
	if [[ $b7 == 220* && $b8 == 220* && $out == "421 4.7.0"* ]]; then
		t_ok "--max-clients 2: the third connection gets 421 4.7.0"
	else
		printf '%s\n%s\n%s\n' "$b7" "$b8" "$out"
		t_fail "--max-clients 2: the third connection gets 421 4.7.0"
	fi
else
	t_fail "smtptool serve --max-clients starts"
fi

t_done
