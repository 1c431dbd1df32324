#!/bin/bash
# smtptool replay FILE: a capture stepped through on the screen, offline.
# The step that plays next is highlighted (reverse video, a mark in the
# margin), what follows it dimmed; Space plays a step, c runs to the next
# 4xx/5xx, e to the end, r restarts, Left goes back; the status bar says
# where the replay is and how the capture ended.  A STARTTLS capture shows
# its TLS lines; escape sequences and invalid UTF-8 in a capture go
# through the sanitiser; a swaks capture's odd line is a note; a capture
# with no dialog says so; a missing file is exit 3 before the screen.

. "$(dirname "$0")/tui-common.bash"

cap=$TESTS_TMP/rcpt-550.transcript
cat >"$cap" <<'EOF'
# smtptool-transcript 1
# start 2026-12-01T10:00:00.000000Z target mx.test.local:25
0.000100 === connected to 127.0.0.1:25
0.000400 <-  220 mx.test.local ESMTP Postfix (test)
0.000500  -> EHLO client.example
0.004000 <-  250-mx.test.local
0.004000 <-  250-PIPELINING
0.004000 <-  250-ENHANCEDSTATUSCODES
0.004000 <-  250 CHUNKING
0.004100  -> MAIL FROM:<sender@client.example>
0.012000 <-  250 2.1.0 Ok
0.012100  -> RCPT TO:<nobody@test.local>
0.013000 <-  550 5.1.1 <nobody@test.local>: Recipient address rejected: User unknown
0.013100  -> RSET
0.014000 <-  250 2.0.0 Ok
0.014100  -> QUIT
0.018000 <-  221 2.0.0 Bye
0.018100 === connection closed
EOF

# The attributes (bold, dim, reverse) of the first character the regex
# REGEX matches on the screen, "plain" for none: capture-pane -e writes an
# attribute when it changes, even from one line to the next, so the state
# is followed from the top.
attrs_at()
{
	tui_screen_color | "$PYTHON" -c '
import re, sys
pat = re.compile(sys.argv[1])
sgr = re.compile(r"\x1b\[([0-9;:]*)m")
state = set()
for line in sys.stdin.read().split("\n"):
    chars = []
    pos = 0
    while pos < len(line):
        m = sgr.match(line, pos)
        if m:
            ps = m.group(1).split(";") if m.group(1) else ["0"]
            i = 0
            while i < len(ps):
                p = int(ps[i].split(":")[0] or 0)
                if p in (38, 48) and i + 1 < len(ps):
                    i += 3 if ps[i + 1] == "5" else 5
                    continue
                if p == 0:
                    state.clear()
                elif p in (1, 2, 7):
                    state.add({1: "bold", 2: "dim", 7: "reverse"}[p])
                elif p == 22:
                    state -= {"bold", "dim"}
                elif p == 27:
                    state.discard("reverse")
                i += 1
            pos = m.end()
            continue
        chars.append((line[pos], " ".join(sorted(state)) or "plain"))
        pos += 1
    m = pat.search("".join(c for c, _ in chars))
    if m:
        print(chars[m.start()][1])
        sys.exit(0)
sys.exit(1)
' "$1"
}
# reversed REGEX: drawn in reverse video (the step that plays next).
reversed()
{
	local a
	a=$(attrs_at "$1") && [[ " $a " == *" reverse "* ]]
}
# dimmed REGEX: dim, not reverse (after the step).
dimmed()
{
	local a
	a=$(attrs_at "$1") && [[ " $a " == *" dim "* &&
	    " $a " != *" reverse "* ]]
}
# plain REGEX: neither (played, or no step at all).
plain()
{
	local a
	a=$(attrs_at "$1") && [[ " $a " != *" dim "* &&
	    " $a " != *" reverse "* ]]
}

# --- the failure dialog --------------------------------------------------

tui_start_wrapped 80 24 "$SMTPTOOL" replay "$cap"
t_check "the replay starts at step 1 of 6" \
    tui_wait 'REPLAY step 1/6 · phase hello · next: banner 220' 10
t_check "the capture's notes say what it is" \
    tui_wait '=== replay \(native, 16 records, 6 steps\) of ' 5
t_check "the whole capture is shown" tui_wait ' -> QUIT' 5
t_check "the focus is on the transcript" tui_wait '\[log\] follow' 5
if reversed '220 mx\.test\.local' &&
    screen_line '<-  220 mx\.test\.local' | grep -qE '(▶|>) +0\.000'; then
	t_ok "the first step (the banner) is highlighted, marked"
else
	screen_line '<-  220 mx\.test\.local' | cat -v
	t_fail "the first step (the banner) is highlighted, marked"
fi
if dimmed 'EHLO client\.example' && dimmed '(?<=-> )QUIT' &&
    dimmed '221 2\.0\.0 Bye'; then
	t_ok "what comes after the step is dimmed"
else
	tui_screen_color | cat -v
	t_fail "what comes after the step is dimmed"
fi
t_check "what comes before the step is drawn as usual" \
    plain 'connected to 127'

tui_keys Space
t_check "Space plays the banner: step 2/6, EHLO next" \
    tui_wait 'REPLAY step 2/6 · phase greeted · next: EHLO client\.example' 5
t_check "the EHLO step is highlighted" reversed 'EHLO client\.example'
t_check "its reply is highlighted with it" reversed '250 CHUNKING'
t_check "the banner is now drawn as usual" plain '220 mx\.test'
t_check "MAIL is still dimmed" dimmed 'MAIL FROM'

tui_keys c
t_check "c stops at the RCPT that got 550 (status)" \
    tui_wait 'REPLAY step 4/6 · phase .* · failure: 550 5\.1\.1 to RCPT' 5
t_check "the RCPT line is highlighted" reversed 'RCPT TO:<nobody'
t_check "its 550 is highlighted" reversed '550 5\.1\.1'
t_check "MAIL, played, is drawn as usual" plain 'MAIL FROM'
t_check "RSET is dimmed" dimmed 'RSET'

tui_keys Left
t_check "Left goes back a step (MAIL next)" \
    tui_wait 'REPLAY step 3/6 .* next: MAIL FROM:<sender@' 5
tui_keys j
t_check "j plays one step" tui_wait 'REPLAY step 4/6 .* next: RCPT TO:' 5
tui_keys k
t_check "k goes back one" tui_wait 'REPLAY step 3/6' 5
tui_keys Right
t_check "Right plays one" tui_wait 'REPLAY step 4/6' 5
tui_keys Enter
t_check "Enter plays one" tui_wait 'REPLAY step 5/6 .* next: RSET' 5

tui_keys e
t_check "e runs to the end: the summary in the status bar" \
    tui_wait 'REPLAY 6/6 played · end: 550 5\.1\.1 at RCPT \(step 4\)' 5
if ! tui_screen_color | grep -q $'\x1b''\[\([0-9]*;\)*7m' &&
    plain '(?<=-> )QUIT' && plain '221 2\.0\.0 Bye'; then
	t_ok "at the end nothing is highlighted nor dimmed"
else
	tui_screen_color | cat -v | head -30
	t_fail "at the end nothing is highlighted nor dimmed"
fi
tui_keys Space
t_check "Space at the end says so" tui_wait 'the end: r restarts' 5
tui_keys r
t_check "r restarts (step 1/6)" tui_wait 'REPLAY step 1/6' 5
t_check "the banner is highlighted again" reversed '220 mx\.test'
tui_keys End
t_check "End runs to the end" tui_wait 'REPLAY 6/6 played' 5
tui_keys Home
t_check "Home restarts" tui_wait 'REPLAY step 1/6' 5
tui_keys Left
t_check "Left on the first step says so" \
    tui_wait 'the first step already' 5

# Search and scrolling still work; the view stops following the step.
tui_keys /
t_check "/ prompts for a search" tui_wait '^/$' 5
tui_type 'unknown$'
tui_keys Enter
t_check "the search finds the 550" tui_wait '550 5\.1\.1 <nobody' 5
line=$(screen_line 'unknown +[0-9.]+ ms')
if grep -qE $'\x1b''\[([0-9]*;)*(43|103|7)m'unknown <<<"$line"; then
	t_ok "the match is highlighted"
else
	printf '%s\n' "$line" | cat -v
	t_fail "the match is highlighted"
fi
tui_keys .
t_check ". makes the step of the match the next one" \
    tui_wait 'REPLAY step 4/6' 5
tui_keys Up
t_check "scrolling leaves the step (SCROLL)" tui_wait '\[log\] SCROLL' 5
tui_keys f
t_check "f follows the step again" tui_wait '\[log\] follow' 5
tui_keys '&'
tui_type 'RCPT|RSET'
tui_keys Enter
t_check "a filter shows in the status bar" tui_wait 'filter:RCPT\|RSET' 5
t_check "the filter hides other lines" tui_wait_gone ' -> MAIL FROM' 5
tui_type ':filter'
tui_keys Enter
t_check ":filter alone shows every line again" tui_wait ' -> MAIL FROM' 5

# The command line: :commands work, SMTP lines are not sent.
tui_keys Escape
t_check "Esc gives the focus to the command line" tui_wait '\[cmd\]' 5
tui_type 'EHLO me.example'
tui_keys Enter
t_check "an SMTP line gets a note: nothing is sent" \
    tui_wait 'replay is offline: nothing is sent \(smtptool replay FILE' 5
tui_type ':connect 127.0.0.1:9'
tui_keys Enter
t_check ":connect is refused offline" \
    tui_wait 'replay is offline: :connect does nothing here' 5
tui_type ":save $TESTS_TMP/saved.transcript"
tui_keys Enter
t_check ":save writes the capture" tui_wait 'saved 16 records to' 5
t_check "the capture saved is the capture read (no notes in it)" \
    cmp -s "$cap" "$TESTS_TMP/saved.transcript"
tui_keys F6
t_check "F6 brings the focus back to the transcript" tui_wait '\[log\]' 5
tui_keys F1
t_check "F1 lists the replay's keys" \
    tui_wait 'continue to the next 4xx/5xx reply' 5
tui_keys NPage
t_check "the help says a replay is offline" tui_wait 'A replay is offline' 5
t_check "it lists the :commands that work offline" tui_wait ':save FILE' 5
t_check "it lists no SMTP verb" tui_wait_gone 'MAIL FROM:<address>' 1
tui_keys x
t_check "a key closes the help" tui_wait_gone 'smtptool help' 5

tui_keys q
rc=$(tui_wait_exit 10)
t_check "q leaves with 0" test "$rc" = 0
t_check "the terminal settings are as before" stty_unchanged

# --- STARTTLS, a message ------------------------------------------------

tls=$TESTS_TMP/starttls.transcript
cat >"$tls" <<'EOF'
# smtptool-transcript 1
# start 2026-12-01T10:00:00.000000Z target mx.test.local:25
0.000100 === connected to 127.0.0.1:25
0.000400 <-  220 mx.test.local ESMTP
0.000500  -> EHLO client.example
0.001000 <-  250-mx.test.local
0.001000 <-  250-STARTTLS
0.001000 <-  250 PIPELINING
0.001100  -> STARTTLS
0.001200 <-  220 2.0.0 Ready to start TLS
0.001200 === TLS handshake (SNI mx.test.local)
0.003000 === TLS TLS1.3 AES-256-GCM X25519, chain of 2, verified
0.003100  ~> EHLO client.example
0.003300 <~  250-mx.test.local
0.003300 <~  250 PIPELINING
0.003400  ~> MAIL FROM:<a@client.example>
0.003600 <~  250 2.1.0 Ok
0.003700  ~> RCPT TO:<b@test.local>
0.003900 <~  250 2.1.5 Ok
0.004000  ~> DATA
0.004200 <~  354 End data with <CR><LF>.<CR><LF>
0.004300  ~> Subject: hi
0.004300  ~> 
0.004300  ~> hello
0.004300  ~> .
0.009000 <~  250 2.0.0 Ok: queued as 4XYZ
0.009100  ~> QUIT
0.009300 <~  221 2.0.0 Bye
EOF
tui_start_wrapped 80 24 "$SMTPTOOL" replay "$tls"
t_check "a STARTTLS capture opens" tui_wait 'REPLAY step 1/9' 10
t_check "its TLS lines are shown as captured" \
    tui_wait '=== TLS TLS1\.3 AES-256-GCM X25519, chain of 2, verified' 5
t_check "the lines under TLS have their marker" \
    tui_wait ' ~> EHLO client\.example' 5
tui_keys Space Space
t_check "STARTTLS is next" tui_wait 'REPLAY step 3/9 .* next: STARTTLS' 5
tui_keys Space
t_check "after STARTTLS: EHLO again" tui_wait 'REPLAY step 4/9 .* next: EHLO' 5
t_check "the EHLO under TLS is highlighted" reversed '(?<=~> )EHLO client'
t_check "the one before TLS is not" plain '(?<=-> )EHLO client'
tui_keys Space Space Space Space
t_check "the message text is a step" \
    tui_wait 'REPLAY step 8/9 .* next: message text' 5
t_check "its lines are highlighted" reversed '(?<=~> )hello'
t_check "and its reply" reversed '250 2\.0\.0 Ok: queued'
t_check "QUIT after it is dimmed" dimmed '(?<=~> )QUIT'
tui_keys c
t_check "c without a failure runs to the end" \
    tui_wait 'no 4xx/5xx after that step: the end' 5
tui_keys x
t_check "the summary: no failure, a message accepted" \
    tui_wait 'REPLAY 9/9 played · end: no failure, 1 message accepted' 5
tui_keys Escape
tui_type ':quit'
tui_keys Enter
rc=$(tui_wait_exit 10)
t_check ":quit leaves with 0" test "$rc" = 0
t_check "the terminal settings are as before (:quit)" stty_unchanged

# --- hostile bytes, a swaks capture, no steps ---------------------------

hostile=$TESTS_TMP/hostile.transcript
cat >"$hostile" <<'EOF'
# smtptool-transcript 1
0.000100 <-  220 \x1b[2J\x1b]0;pwned\x07 hi \xff\xfe \x9b31m end
0.000200  -> EHLO client.example
0.000300 <-  250 ok
EOF
raw=$TESTS_TMP/raw-output
tui_start_wrapped 100 24 "$SMTPTOOL" replay "$hostile"
_tmux pipe-pane -o -t "$TUI_TARGET" "cat >>'$raw'"
title_before=$(tui_title)
t_check "a capture with escapes opens" tui_wait 'REPLAY step 1/' 10
tui_keys C-l
t_check "its escapes and invalid bytes are drawn as stand-ins" \
    tui_wait '<-  220 \^\[\[2J\^\[\]0;pwned\^G hi \\xff\\xfe \\x9b31m end' 5
t_check "the status bar sanitises the step too" \
    tui_wait 'next: banner 220 \^\[\[2J\^\[\]0;pwned' 5
t_check "the screen was not cleared" tui_wait ' -> EHLO client\.example' 5
tui_keys q
tui_wait_exit 10 >/dev/null
if [[ -s $raw ]] && ! grep -qaF $'\x1b]0;pwned' "$raw" &&
    ! grep -qaF $'\x1b[2J' "$raw" && ! LC_ALL=C grep -qaP '\xff\xfe' "$raw"
then
	t_ok "no byte of the capture reached the terminal raw"
else
	t_fail "no byte of the capture reached the terminal raw"
fi
t_check "the title did not change" test "$(tui_title)" = "$title_before"

swaks=$TESTS_TMP/swaks.txt
cat >"$swaks" <<'EOF'
=== Trying 127.0.0.1:25...
=== Connected to 127.0.0.1.
<-  220 mx.test ESMTP
 -> EHLO client.test
<-  250 mx.test
 -> MAIL FROM:<a@client.test>
<-  250 2.1.0 Ok
%%% a line swaks never wrote
 -> QUIT
<-  221 2.0.0 Bye
EOF
tui_start_wrapped 80 24 "$SMTPTOOL" replay "$swaks"
t_check "a swaks capture opens" tui_wait 'REPLAY step 1/4' 10
t_check "its line not understood is the first note" \
    tui_wait '^ +[0-9.]+ !!! line 8 not understood' 5
tui_keys q
tui_wait_exit 10 >/dev/null

empty=$TESTS_TMP/nothing.transcript
cat >"$empty" <<'EOF'
# smtptool-transcript 1
0.000100 === connecting to 127.0.0.1:25
0.000200 *** cannot connect to 127.0.0.1:25: Connection refused
EOF
tui_start_wrapped 80 24 "$SMTPTOOL" replay "$empty"
t_check "a capture without a dialog says there is nothing to step through" \
    tui_wait 'REPLAY no steps: this capture holds no SMTP dialog' 10
t_check "... in a note too" tui_wait '\*\*\* nothing to step through' 5
t_check "... and shows what it holds" tui_wait 'Connection refused' 5
tui_keys Space
t_check "Space says so" tui_wait 'nothing to step through: this capture' 5
tui_keys q
rc=$(tui_wait_exit 10)
t_check "q leaves it with 0" test "$rc" = 0

# --- a missing file -----------------------------------------------------

"$SMTPTOOL" replay "$TESTS_TMP/missing.transcript" \
    >"$TESTS_TMP/missing.out" 2>"$TESTS_TMP/missing.err" </dev/null
rc=$?
t_check "a missing capture: exit 3" test "$rc" = 3
re='^smtptool: cannot (read|open) capture .*missing\.transcript: No such file'
if grep -qE "$re" "$TESTS_TMP/missing.err"; then
	t_ok "a missing capture: the message on stderr"
else
	cat "$TESTS_TMP/missing.err"
	t_fail "a missing capture: the message on stderr"
fi
t_check "a missing capture: nothing on stdout (no screen)" \
    test ! -s "$TESTS_TMP/missing.out"

tui_start_wrapped 80 24 "$SMTPTOOL" replay "$TESTS_TMP/missing.transcript"
rc=$(tui_wait_exit 10)
t_check "a missing capture on a terminal: exit 3 too" test "$rc" = 3
t_check "... the terminal untouched" stty_unchanged
t_done
