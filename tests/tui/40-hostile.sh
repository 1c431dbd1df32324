#!/bin/bash
# A hostile server's escape sequences never reach the terminal: the banner
# "220 ESC[2J ESC]0;pwned BEL ..." is drawn as ^[[2J^[]0;pwned^G, the title
# does not change, the screen is not cleared, and no such byte is in what
# the program wrote to the terminal (tmux pipe-pane).  Server text in the
# status bar (AUTH mechanisms) goes through the sanitiser too.

. "$(dirname "$0")/tui-common.bash"

port=$(free_port) || exit 1
"$PYTHON" - "$port" >"$TESTS_TMP/hostile.log" 2>&1 </dev/null <<'PY' &
import socket, socketserver, sys

BANNER = (b"220 \x1b[2J\x1b]0;pwned\x07 hi \x9b31m \xe2\x80\xae rev\r\n")
EHLO = (b"250-hostile.test\r\n"
        b"250-AUTH PLAIN \x1b]0;pwned2\x07X\r\n"
        b"250 PIPELINING\r\n")

class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(BANNER)
        for line in self.rfile:
            verb = line[:4].upper()
            if verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(EHLO if verb == b"EHLO" else b"250 ok\r\n")

class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pid=$!
start=$(_record_pid "$pid")
cleanup_add "_stop_pid $pid '$start' 5"
wait_port 127.0.0.1 "$port" 10 || { t_fail "the hostile server starts"; exit 1; }

raw=$TESTS_TMP/raw-output
tui_start_wrapped 100 24 "$SMTPTOOL" --no-sandbox
tui_wait 'not connected' 5 >/dev/null
title_before=$(tui_title)
_tmux pipe-pane -o -t "$TUI_TARGET" "cat >>'$raw'"
tui_type ":connect 127.0.0.1:$port"
tui_keys Enter
t_check "the banner is drawn with its escapes visible" \
    tui_wait '<-  220 \^\[\[2J\^\[\]0;pwned\^G hi \\x9b31m <U\+202E> rev' 10
line=$(screen_line '<-  220 ')
if grep -qE $'\x1b''\[[0-9;]*m\^\[' <<<"$line"; then
	t_ok "the stand-ins are highlighted"
else
	printf '%s\n' "$line" | cat -v
	t_fail "the stand-ins are highlighted"
fi
t_check "the screen was not cleared" tui_wait '=== connected to 127\.0\.0\.1' 5
tui_type 'EHLO client.test'
tui_keys Enter
t_check "the EHLO reply is drawn escaped" \
    tui_wait '250-AUTH PLAIN \^\[\]0;pwned2\^GX' 10
t_check "the status bar shows server text escaped" \
    tui_wait 'AUTH:PLAIN,\^\[\]0;PWNED2\^GX' 5
t_check "the title did not change" test "$(tui_title)" = "$title_before"
_tmux pipe-pane -t "$TUI_TARGET"
if [[ -s $raw ]] && ! LC_ALL=C grep -qaF $'\x1b]0;pwned' "$raw" &&
    ! LC_ALL=C grep -qaF $'\x1b]0;PWNED' "$raw" &&
    ! LC_ALL=C grep -qaP '\x9b|\xe2\x80\xae|\x07' "$raw"; then
	t_ok "no escape sequence from the server reached the terminal"
else
	LC_ALL=C grep -aobP '\x1b\]|\x9b|\xe2\x80\xae|\x07' "$raw" | head
	t_fail "no escape sequence from the server reached the terminal"
fi

tui_type ':quit'
tui_keys Enter
rc=$(tui_wait_exit 10)
t_check ":quit exits with 0" test "$rc" = 0
t_check "the terminal settings are as before" stty_unchanged
t_done
