#!/bin/bash
# What the server advertised, in the status bar and in completion, against
# the built-in sandbox at 120x30: before EHLO the verb BDAT is offered
# (nothing is known); after EHLO the status bar lists PIPELINING, SIZE in
# human units, 8BITMIME, SMTPUTF8, CHUNKING, DSN... (and falls back to the
# four indicators below 100 columns); Tab after "MAIL FROM:<a@b> " lists
# the MAIL parameters the sandbox advertised and no other (no REQUIRETLS
# before TLS, no BINARYMIME), after "RCPT TO:<c@d> " the DSN ones, after
# "AUTH " the mechanisms; BDAT is offered (CHUNKING).  The hidden prompt of
# :auth is tested with :auth itself.

. "$(dirname "$0")/tui-common.bash"

cols=120
rows=30

# The status bar: the line above the command line.
status_line()
{
	tui_screen | sed -n "$((rows - 1))p"
}

status_matches()
{
	status_line | grep -qE -- "$1"
}

# The command line as drawn (the last line; capture-pane drops trailing
# blanks, so a completion's space is checked by typing after it).
command_line()
{
	tui_screen | sed -n "${rows}p"
}

command_matches()
{
	command_line | grep -qE -- "$1"
}

# Clear the command line (and the listing with it).
clear_line()
{
	tui_keys C-c
	poll_until 5 command_matches '^smtp> *$'
}

tui_start_wrapped "$cols" "$rows" "$SMTPTOOL"
t_check "a bare smtptool connects to its sandbox" \
    tui_wait '<-  220 sandbox\.smtptool\.test ESMTP' 10

# Nothing known yet: BDAT is offered, MAIL parameters are not.
tui_type 'BD'
tui_keys Tab
tui_type '1'
t_check "before EHLO: BDAT is offered as a verb" \
    poll_until 5 command_matches '^smtp> BDAT 1$'
clear_line

tui_type 'EHLO client.test'
tui_keys Enter
t_check "EHLO: the sandbox's capabilities" \
    tui_wait '<-  250 AUTH PLAIN LOGIN' 10
if poll_until 5 status_matches \
    'greeted +250 [0-9.]+ms +PIPELINING SIZE=[0-9.]+[KMG] 8BITMIME SMTPUTF8 CHUNKING DSN '
then
	t_ok "the status bar lists what was advertised (SIZE in human units)"
else
	status_line
	t_fail "the status bar lists what was advertised (SIZE in human units)"
fi
if status_line | grep -qE '(AUTH:PLAIN,LOGIN[^ ]*|…) +plain \[cmd\] follow *$'
then
	t_ok "the list ends whole (or with an ellipsis) before the TLS state"
else
	status_line
	t_fail "the list ends whole (or with an ellipsis) before the TLS state"
fi

tui_resize 90 "$rows"
if poll_until 5 status_matches 'PIPE SIZE=[0-9.]+[KMG] TLS AUTH:PLAIN'
then
	t_ok "below 100 columns: the four indicators"
else
	status_line
	t_fail "below 100 columns: the four indicators"
fi
tui_resize "$cols" "$rows"
poll_until 5 status_matches 'PIPELINING SIZE=' >/dev/null

# MAIL: the parameters of what was advertised.
tui_type 'MAIL FROM:<a@b> '
tui_keys Tab Tab
t_check "Tab Tab after MAIL FROM:<a@b> lists the completions" \
    tui_wait ' completions ' 5
listing=$(tui_screen)
missing=
for p in 'SIZE=' 'BODY=8BITMIME' 'SMTPUTF8' 'RET=FULL' 'RET=HDRS' 'ENVID=' \
    'AUTH=<>'; do
	grep -qF -- "$p " <<<"$listing" || missing+=" $p"
done
if [[ -z $missing ]]; then
	t_ok "SIZE=, BODY=8BITMIME, SMTPUTF8, RET=, ENVID=, AUTH=<> are offered"
else
	printf '%s\n' "$listing"
	t_fail "SIZE=, BODY=8BITMIME, SMTPUTF8, RET=, ENVID=, AUTH=<> are offered (missing:$missing)"
fi
if ! grep -qE 'REQUIRETLS|BINARYMIME|NOTIFY=' <<<"$listing"; then
	t_ok "what was not advertised (REQUIRETLS, BINARYMIME) is not offered"
else
	printf '%s\n' "$listing"
	t_fail "what was not advertised (REQUIRETLS, BINARYMIME) is not offered"
fi
tui_type 'SI'
tui_keys Tab
t_check "SI + Tab completes SIZE=" \
    poll_until 5 command_matches '^smtp> MAIL FROM:<a@b> SIZE=$'
tui_type '1000 r'
tui_keys Tab
t_check "another parameter: r + Tab gives ret= (the case typed)" \
    poll_until 5 command_matches '^smtp> MAIL FROM:<a@b> SIZE=1000 ret=$'
tui_type 'f'
tui_keys Tab
tui_type 'x'
t_check "ret=f + Tab completes ret=full and a space" \
    poll_until 5 command_matches '^smtp> MAIL FROM:<a@b> SIZE=1000 ret=full x$'
clear_line

# RCPT: DSN.
tui_type 'RCPT TO:<c@d> '
tui_keys Tab Tab
t_check "Tab Tab after RCPT TO:<c@d> lists the completions" \
    tui_wait ' completions ' 5
listing=$(tui_screen)
if grep -qF 'NOTIFY=SUCCESS,FAILURE,DELAY' <<<"$listing" &&
    grep -qF 'NOTIFY=NEVER' <<<"$listing" &&
    grep -qF 'ORCPT=rfc822;' <<<"$listing"; then
	t_ok "RCPT: NOTIFY= and ORCPT= are offered (DSN)"
else
	printf '%s\n' "$listing"
	t_fail "RCPT: NOTIFY= and ORCPT= are offered (DSN)"
fi
clear_line

# AUTH: the mechanisms.
tui_type 'AUTH '
tui_keys Tab Tab
t_check "Tab Tab after AUTH lists the completions" tui_wait ' completions ' 5
listing=$(tui_screen)
if grep -qE 'PLAIN +.*LOGIN|LOGIN +.*PLAIN' <<<"$listing" &&
    grep -qF 'CRAM-MD5' <<<"$listing"; then
	t_ok "AUTH: the advertised mechanisms are offered"
else
	printf '%s\n' "$listing"
	t_fail "AUTH: the advertised mechanisms are offered"
fi
tui_type 'CR'
tui_keys Tab
tui_type 'x'
t_check "AUTH CR + Tab completes CRAM-MD5 and a space" \
    poll_until 5 command_matches '^smtp> AUTH CRAM-MD5 x$'
clear_line

# BDAT: CHUNKING is advertised.
tui_type 'BD'
tui_keys Tab
tui_type '1'
t_check "BDAT is offered (CHUNKING)" \
    poll_until 5 command_matches '^smtp> BDAT 1$'
clear_line

tui_type ':quit'
tui_keys Enter
rc=$(tui_wait_exit 10)
t_check ":quit exits with 0" test "$rc" = 0
t_check "the terminal settings are as before" stty_unchanged
t_done
