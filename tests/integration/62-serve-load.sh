#!/bin/bash
# smtptool serve under load and when killed: smtp-source with 20 parallel
# sessions leaves exactly its messages in new/ and nothing in tmp/; then,
# with smtp-source and four recording clients (Python smtplib, each writing
# the queue id of every 250 it got, flushed at once) sending, the server is
# killed with SIGKILL in the middle: every message a client saw accepted
# must be in new/, whole.  A server started again on the same Maildir
# delivers.

. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/load
mkdir -p "$W"
MSGS=3000

# shellcheck disable=SC2119 # no options: the defaults
if ! serve_start; then
	t_fail "smtptool serve starts"
	exit 1
fi
md=$SERVE_MAILDIR

# count DIR: the files in DIR.
count()
{
	find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l
}

# --- smtp-source, 20 sessions ----------------------------------------------------

start_us=$(_now_us)
timeout 120 smtp-source -s 20 -m "$MSGS" -l 1000 -M client.test \
    -f a@x.test -t b@y.test "127.0.0.1:$SERVE_PORT" >"$W/source1.out" 2>&1
rc=$?
el=$(($(_now_us) - start_us))
printf '# smtp-source: %d messages in %d.%03d s\n' "$MSGS" \
    $((el / 1000000)) $((el / 1000 % 1000))
if ((rc == 0)); then
	t_ok "smtp-source -s 20 -m $MSGS -l 1000 finishes without an error"
else
	echo "smtp-source exit $rc"
	cat "$W/source1.out"
	tail -n 20 "$SERVE_LOG"
	t_fail "smtp-source -s 20 -m $MSGS -l 1000 finishes without an error"
fi
n=$(count "$md/new")
t_check "the Maildir holds exactly $MSGS messages in new/ (has $n)" \
    test "$n" = "$MSGS"
n=$(count "$md/tmp")
t_check "nothing is left in tmp/ (has $n)" test "$n" = 0
if "$PYTHON" - "$md/new" <<'EOF'
import os, sys
d = sys.argv[1]
bad = 0
for name in os.listdir(d):
    b = open(os.path.join(d, name), "rb").read()
    head, sep, body = b.partition(b"\r\n\r\n")
    # smtp-source -l 1000: 1000 bytes of payload (lines of 80 with their
    # CRLF), then the CRLF before the final ".".
    if not (b.startswith(b"Received: ") and sep and
            b"\r\nFrom: <a@x.test>\r\n" in head and
            len(body) == 1002 and body.endswith(b"X\r\n")):
        bad += 1
        if bad < 4:
            sys.stderr.write("%s: %r...%r\n" % (name, b[:200], b[-60:]))
sys.exit(1 if bad else 0)
EOF
then
	t_ok "every message is whole (headers, 1000 bytes of payload)"
else
	t_fail "every message is whole (headers, 1000 bytes of payload)"
fi
sessions=$(grep -c 'client=127\.0\.0\.1:[0-9]* helo=client\.test .*accepted=1 .*end=quit' \
    "$SERVE_LOG")
t_check "the log has one line a session ($sessions)" test "$sessions" = "$MSGS"

# --- SIGKILL in the middle -------------------------------------------------------

# Four clients that record "NAME WORKER SEQ" after each 250 (flushed at
# once) and stop at the first error; the message is a function of WORKER
# and SEQ, so the check can rebuild it.
cat >"$W/client.py" <<'EOF'
import smtplib, sys

def message(worker, seq):
    lines = [b"From: <w%d@client.test>" % worker,
             b"To: <rcpt@example.test>",
             b"Subject: durability %d %d" % (worker, seq),
             b"X-Seq: %d-%d" % (worker, seq),
             b""]
    for i in range(20):
        lines.append(b"%d-%d line %02d " % (worker, seq, i) + b"x" * 50)
    lines.append(b".a line that starts with a dot")
    lines.append(b"END %d-%d" % (worker, seq))
    return b"\r\n".join(lines) + b"\r\n"

if __name__ == "__main__":
    port, worker, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rec = open(out, "w")
    seq = 0
    try:
        while seq < 100000:
            s = smtplib.SMTP("127.0.0.1", port, "client.test", timeout=10)
            s.ehlo()
            for _ in range(10):
                seq += 1
                code, resp = s.mail("w%d@client.test" % worker)
                if code != 250:
                    raise Exception("MAIL: %d %r" % (code, resp))
                code, resp = s.rcpt("rcpt@example.test")
                if code != 250:
                    raise Exception("RCPT: %d %r" % (code, resp))
                code, resp = s.data(message(worker, seq))
                if code != 250:
                    raise Exception("DATA: %d %r" % (code, resp))
                name = resp.decode().rsplit(" ", 1)[1]
                rec.write("%s %d %d\n" % (name, worker, seq))
                rec.flush()
            s.quit()
    except Exception as e:
        sys.stderr.write("worker %d stops at message %d: %r\n" % (worker, seq, e))
EOF

before=$(count "$md/new")
timeout 120 smtp-source -s 20 -m 50000 -l 1000 -M client.test \
    -f a@x.test -t b@y.test "127.0.0.1:$SERVE_PORT" >"$W/source2.out" 2>&1 &
src_pid=$!
src_start=$(_record_pid "$src_pid")
cleanup_add "_stop_pid '$src_pid' '$src_start' 5"
wpids=()
for w in 1 2 3 4; do
	timeout 120 "$PYTHON" "$W/client.py" "$SERVE_PORT" "$w" \
	    "$W/rec-$w.txt" 2>"$W/client-$w.err" &
	wpids+=("$!")
	cleanup_add "_stop_pid '$!' '$(_record_pid "$!")' 5"
done

# Wait until a good number of messages arrived (bounded), then kill.
end=$(_deadline 30)
while :; do
	arrived=$(($(count "$md/new") - before))
	recorded=$(cat "$W"/rec-*.txt 2>/dev/null | wc -l)
	((arrived >= 1000 && recorded >= 200)) && break
	if (($(_now_us) > end)); then
		echo "only $arrived arrived, $recorded recorded after 30 s"
		break
	fi
	sleep 0.05
done
if serve_kill "$SERVE_PORT"; then
	t_ok "the server is killed with SIGKILL in the middle ($arrived arrived)"
else
	t_fail "the server is killed with SIGKILL in the middle"
fi
for p in "${wpids[@]}"; do
	wait "$p"
done
wait "$src_pid"
cat "$W"/client-*.err

recorded=$(cat "$W"/rec-*.txt | wc -l)
echo "# $recorded messages recorded as accepted by the clients;" \
    "$(count "$md/new") in new/, $(count "$md/tmp") in tmp/"
if ((recorded >= 100)); then
	t_ok "the clients recorded accepted messages ($recorded)"
else
	t_fail "the clients recorded accepted messages ($recorded)"
fi
if "$PYTHON" - "$md/new" "$W" "$W"/rec-*.txt <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[2])
from client import message
new = sys.argv[1]
missing = broken = 0
seen = set()
for rec in sys.argv[3:]:
    for line in open(rec):
        parts = line.split()
        if len(parts) != 3:
            # The last line may be cut short only if the client died:
            # it did not (it records after the 250, then flushes).
            sys.stderr.write("%s: a malformed record %r\n" % (rec, line))
            broken += 1
            continue
        name, worker, seq = parts[0], int(parts[1]), int(parts[2])
        seen.add(name)
        path = os.path.join(new, name)
        if not os.path.exists(path):
            missing += 1
            if missing < 5:
                sys.stderr.write("accepted but not in new/: %s\n" % name)
            continue
        got = open(path, "rb").read()
        want = message(worker, seq)
        head, sep, rest = got.partition(b"\r\nFrom: ")
        if not (got.startswith(b"Received: ") and b"From: " + rest == want
                and got.endswith(b"END %d-%d\r\n" % (worker, seq))):
            broken += 1
            if broken < 5:
                sys.stderr.write("not whole: %s (%d bytes)\n" % (name, len(got)))
print("%d recorded names checked, %d missing, %d not whole" %
      (len(seen), missing, broken))
sys.exit(1 if missing or broken else 0)
EOF
then
	t_ok "every message whose 250 a client recorded is in new/, whole"
else
	t_fail "every message whose 250 a client recorded is in new/, whole"
fi
# No half-written file in new/: each durability message there is whole.
if "$PYTHON" - "$md/new" "$W" <<'EOF'
import os, re, sys
sys.path.insert(0, sys.argv[2])
from client import message
bad = n = 0
for name in os.listdir(sys.argv[1]):
    got = open(os.path.join(sys.argv[1], name), "rb").read()
    m = re.search(rb"\r\nX-Seq: (\d+)-(\d+)\r\n", got)
    if not m:
        continue
    n += 1
    want = message(int(m.group(1)), int(m.group(2)))
    if not got.endswith(b"\r\n" + want) and not got.endswith(want):
        bad += 1
print("%d messages of the recording clients in new/, %d not whole" % (n, bad))
sys.exit(1 if bad else 0)
EOF
then
	t_ok "no message in new/ is half written"
else
	t_fail "no message in new/ is half written"
fi

# A new server on the same Maildir (tmp/ may hold leftovers) delivers.
if serve_start --maildir "$md"; then
	token=restart-$RANDOM$RANDOM
	timeout 30 swaks --server "127.0.0.1:$SERVE_PORT" --ehlo client.test \
	    --from a@client.test --to b@example.test \
	    --header "Subject: $token" </dev/null >"$W/restart.out" 2>&1
	if maildir_wait_token "$md" "$token" 5 >/dev/null; then
		t_ok "a server started again on the same Maildir delivers"
	else
		cat "$W/restart.out" "$SERVE_LOG"
		t_fail "a server started again on the same Maildir delivers"
	fi
	serve_stop "$SERVE_PORT"
else
	t_fail "a server started again on the same Maildir delivers"
fi
t_done
