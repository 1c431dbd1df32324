#!/bin/bash
# The TLS inspector against a private Postfix with one STARTTLS port per
# certificate fixture (tests/lib/certs.sh), at 80x24 where the pane takes
# the transcript's place, and at 120x30 where it sits beside it:
#   - before any TLS the pane says so, and the status bar says "plain";
#   - :starttls on the valid fixture: the status bar says "TLS1.3 ok"
#     (green), lines after the handshake show "<~ ", the pane (F3) says
#     VERIFIED (green) with a chain of 2 and CN=mx.test.local; the leaf's
#     SHA-256 is the one certtool reads; Down selects the intermediate;
#   - w writes the chain as PEM (a prompt with a default name), certtool
#     reads it, the transcript says so; a bad path is "cannot write F: ...";
#   - STARTTLS typed on the expired fixture: NOT VERIFIED and "expired" in
#     red, the status bar "!cert";
#   - NO_COLOR: the verdict is still words.

. "$(dirname "$0")/tui-common.bash"
. "$(dirname "$0")/../lib/certs.sh"

certs=$TESTS_TMP/certs
if ! certs_make "$certs"; then
	t_fail "the certificate fixtures are made"
	exit 1
fi
if ! postfix_tls_start "$TESTS_TMP/postfix" "$certs"; then
	t_fail "postfix with TLS starts"
	exit 1
fi
# The chain is written to the current folder by default.
work=$TESTS_TMP/work
mkdir -p "$work" && cd "$work" || exit 1

# The leaf's SHA-256 as certtool prints it: lower case, no colons.
leaf_sha256=$(certtool -i --infile "$certs/valid.leaf.pem" |
    sed -n 's/^[[:space:]]*sha256:\([0-9a-f]*\)$/\1/p' | head -n 1)

# The SHA-256 field of the pane, its wrapped rows joined: lower case.
pane_sha256()
{
	tui_screen | awk '
		/SHA-256/ {
			on = 1; sub(/.*SHA-256[ ]+/, ""); printf "%s", $0; next
		}
		on && /^ +([0-9A-F][0-9A-F]:?)+ *$/ { printf "%s", $0; next }
		{ on = 0 }' | tr -d ' :' | tr 'A-F' 'a-f'
}

sha_matches()
{
	[[ -n $leaf_sha256 && $(pane_sha256) == "$leaf_sha256" ]]
}

# A screen line (with escapes) matching RE is drawn in COLOR (an SGR
# number: 31 red, 32 green) somewhere before TEXT.
colored()
{
	local re=$1 color=$2 text=$3 line
	line=$(screen_line "$re") || return 1
	local sgr=$'\x1b''\[([0-9]*;)*'"$color"'(;[0-9]*)*m'
	local any=$'([^\x1b]|\x1b\\[[0-9;]*m)*'
	grep -qE "$sgr$any$text" <<<"$line" ||
	    { printf '%s\n' "$line" | cat -v >&2; return 1; }
}

# The focus on the command line (Esc from a pane), then :quit.
quit()
{
	if ! tui_screen | grep -q '\[cmd\]'; then
		tui_keys Escape
		tui_wait '\[cmd\]' 5 >/dev/null
	fi
	tui_type ':quit'
	tui_keys Enter
	tui_wait_exit 10 >/dev/null
}

# --- The valid fixture, at 80x24. -----------------------------------------

tui_start_wrapped 80 24 "$SMTPTOOL" --ca-file "$certs/root.pem" \
    --sni mx.test.local "127.0.0.1:$PF_TLS_PORT_valid"
t_check "valid: the banner shows" tui_wait '<-  220 mx\.test\.local' 10
t_check "valid: before TLS the status bar says plain" \
    tui_wait '^ 127\.0\.0\.1:[0-9]+ .* plain ' 5

tui_keys F3
t_check "F3 before any TLS: the pane says there is no TLS yet" \
    tui_wait 'no TLS yet: type STARTTLS or :starttls after EHLO, or' 5
t_check "F3 gives the pane the focus" tui_wait '\[tls\]' 5
tui_keys F3
t_check "F3 again hides the pane (the transcript is back)" \
    tui_wait '<-  220 mx\.test\.local' 5

tui_type 'EHLO client.test'
tui_keys Enter
t_check "valid: EHLO offers STARTTLS" tui_wait '<-  250-STARTTLS' 10
tui_type ':starttls'
tui_keys Enter
t_check "valid: :starttls sends STARTTLS" tui_wait ' -> STARTTLS' 10
t_check "valid: the handshake ends in the transcript" \
    tui_wait '=== TLS.*verified' 10
t_check "valid: the status bar says TLS1.3 ok" \
    tui_wait '^ 127\.0\.0\.1:[0-9]+ .* TLS1\.3 ok ' 5
t_check "valid: \"TLS1.3 ok\" is green" colored ' TLS1\.3 ok ' \
    '(32|42|38;5;(2|10)|48;5;(2|10))' 'TLS1\.3 ok'

tui_type 'EHLO client.test'
tui_keys Enter
t_check "valid: lines after the handshake show ~>" \
    tui_wait '^ +[0-9.]+  ~> EHLO client\.test' 10
t_check "valid: replies after the handshake show <~" \
    tui_wait '^ +[0-9.]+ <~  250 ' 10

tui_keys F3
t_check "valid: the pane says VERIFIED" \
    tui_wait '^ VERIFIED for mx\.test\.local' 5
t_check "valid: VERIFIED is green" colored '^ VERIFIED for' \
    '(32|92|38;5;(2|10))' 'VERIFIED'
t_check "valid: the session line" \
    tui_wait 'session +TLS1\.3 +[A-Z0-9-]+ ' 5
t_check "valid: a chain of 2" tui_wait 'chain of 2, as sent' 5
t_check "valid: the leaf is selected and named" \
    tui_wait '^ > 0  mx\.test\.local +[0-9]+d left' 5
t_check "valid: the leaf's subject is CN=mx.test.local" \
    tui_wait 'subject +CN=mx\.test\.local' 5
t_check "valid: the leaf's SANs" \
    tui_wait 'SANs +DNS:mx\.test\.local, DNS:localhost, IP:127\.0\.0\.1' 5
if poll_until 5 sha_matches; then
	t_ok "valid: the leaf's SHA-256 is the one certtool reads"
else
	printf 'certtool: %s\npane:     %s\n' "$leaf_sha256" "$(pane_sha256)"
	tui_screen
	t_fail "valid: the leaf's SHA-256 is the one certtool reads"
fi

tui_keys Down
t_check "Down selects the intermediate" \
    tui_wait 'certificate 1 \(intermediate\)' 5
t_check "the intermediate's subject" \
    tui_wait 'subject +CN=smtptool test intermediate' 5
tui_keys k
t_check "k selects the leaf again" tui_wait 'certificate 0 \(leaf\)' 5

tui_keys w
t_check "w asks for a file, with a default name" \
    tui_wait '^write the chain to: chain-mx\.test\.local\.pem' 5
tui_keys Enter
if tui_wait '^ wrote the chain \(2 certificates\) to chain-mx' 5 &&
    [[ $(grep -c 'BEGIN CERTIFICATE' "$work/chain-mx.test.local.pem" \
    2>/dev/null) == 2 ]] &&
    certtool -i --infile "$work/chain-mx.test.local.pem" |
    grep -q 'Subject: .*CN=mx\.test\.local'; then
	t_ok "w writes the chain of 2 as PEM that certtool reads"
else
	ls -l "$work" >&2
	t_fail "w writes the chain of 2 as PEM that certtool reads"
fi
t_check "after the prompt the focus is back on the pane" \
    tui_wait '\[tls\]' 5

beside()
{
	local screen
	screen=$(tui_screen)
	grep -qE '<~  250 CHUNKING.*│' <<<"$screen" &&
	    grep -qE '│ +TLS inspector' <<<"$screen" &&
	    grep -qE '│ VERIFIED for mx\.test\.local' <<<"$screen"
}
tui_resize 120 30
if poll_until 5 beside; then
	t_ok "at 120 columns the pane sits beside the transcript"
else
	tui_screen
	t_fail "at 120 columns the pane sits beside the transcript"
fi
tui_resize 80 24
t_check "back at 80 columns the pane takes the transcript's place" \
    tui_wait '^ VERIFIED for mx\.test\.local' 5

tui_keys Escape
t_check "Esc gives the focus back to the command line" \
    tui_wait '\[cmd\]' 5
tui_keys F3
t_check "the transcript notes the chain written" \
    tui_wait '=== wrote the chain \(2 certificates\) to chain-mx\.test' 5
quit
t_check "valid: the terminal settings are as before" stty_unchanged

# --- The expired fixture: STARTTLS typed. ---------------------------------

tui_start_wrapped 80 24 "$SMTPTOOL" --ca-file "$certs/root.pem" \
    --sni mx.test.local "127.0.0.1:$PF_TLS_PORT_expired"
t_check "expired: the banner shows" tui_wait '<-  220 mx\.test\.local' 10
tui_type 'EHLO client.test'
tui_keys Enter
tui_wait '<-  250-STARTTLS' 10 >/dev/null
tui_type 'STARTTLS'
tui_keys Enter
t_check "expired: the handshake ends in the transcript" \
    tui_wait '=== TLS.*' 10
t_check "expired: the status bar says !cert" \
    tui_wait '^ 127\.0\.0\.1:[0-9]+ .* TLS1\.3 !cert ' 10
tui_keys F3
t_check "expired: the pane says NOT VERIFIED ... expired" \
    tui_wait '^ NOT VERIFIED for mx\.test\.local: .*expired' 5
t_check "expired: NOT VERIFIED is red" colored '^ NOT VERIFIED' \
    '(31|91|38;5;(1|9))' 'NOT VERIFIED'
t_check "expired: the leaf is marked expired in the list" \
    tui_wait '^ > 0  mx\.test\.local +ended [0-9]+d ago .*expired' 5

tui_keys w
tui_wait '^write the chain to: ' 5 >/dev/null
tui_keys C-u
tui_type "$TESTS_TMP/expired-chain.pem"
tui_keys Enter
if tui_wait 'wrote the chain' 5 &&
    certtool -i --infile "$TESTS_TMP/expired-chain.pem" |
    grep -q 'Not After: .*2011'; then
	t_ok "expired: w writes a PEM file that certtool reads"
else
	t_fail "expired: w writes a PEM file that certtool reads"
fi
tui_keys w
tui_wait '^write the chain to: ' 5 >/dev/null
tui_keys C-u
tui_type "no/such/dir/x.pem"
tui_keys Enter
t_check "expired: a bad path: the pane says cannot write FILE: cause" \
    tui_wait '^ cannot write no/such/dir/x\.pem: No such file' 5
tui_keys q
t_check "q hides the pane" tui_wait '\[cmd\]' 5
t_check "expired: a bad path says cannot write FILE: cause" \
    tui_wait '\*\*\* cannot write no/such/dir/x\.pem: No such file' 5
quit

# --- NO_COLOR: words, not only colour. ------------------------------------

tui_start_wrapped 80 24 env NO_COLOR=1 "$SMTPTOOL" \
    --ca-file "$certs/root.pem" --sni mx.test.local \
    "127.0.0.1:$PF_TLS_PORT_expired"
tui_wait '<-  220 mx\.test\.local' 10 >/dev/null
tui_type 'EHLO client.test'
tui_keys Enter
tui_wait '<-  250-STARTTLS' 10 >/dev/null
tui_type ':starttls'
tui_keys Enter
tui_wait '^ 127\.0\.0\.1:[0-9]+ .* TLS1\.3 !cert ' 10 >/dev/null
tui_keys F3
if tui_wait '^ NOT VERIFIED for mx\.test\.local: .*expired' 5 &&
    ! screen_line '^ NOT VERIFIED' | grep -qE "$(sgr_color_re)"; then
	t_ok "NO_COLOR: the verdict is words, without colour"
else
	screen_line '^ NOT VERIFIED' | cat -v
	t_fail "NO_COLOR: the verdict is words, without colour"
fi
quit

t_done
