#!/bin/bash
# The peers the other tests rely on work, checked with swaks alone: a private
# Postfix delivers to alice, refuses nobody@ (550) and relaying (554);
# aiosmtpd's 421-at-mail and greylist modes; smtp-sink answers EHLO.

. "$(dirname "$0")/../lib/peers.sh"

# swaks_to PORT RCPT [SWAKS ARGS...]: one message; its transcript on stdout.
swaks_to()
{
	local server=$1 rcpt=$2
	shift 2
	timeout 30 swaks --server "$server" --ehlo client.test \
	    --from a@client.test --to "$rcpt" --timeout 10 "$@" 2>&1
}

# has_reply TRANSCRIPT REGEX: the server's reply lines match REGEX.
has_reply()
{
	grep -E '^<(-|\*\*) ' <<<"$1" | grep -qE -- "$2"
}

# --- Postfix -----------------------------------------------------------------

pf_port=$(free_port)
if postfix_start "$TESTS_TMP/postfix" "$pf_port"; then
	t_ok "postfix starts on 127.0.0.1:$pf_port"

	token=token-$RANDOM$RANDOM$RANDOM
	out=$(swaks_to "127.0.0.1:$POSTFIX_PORT" alice@test.local \
	    --header "Subject: $token" --body "body $token")
	if has_reply "$out" '^<-  250 2\.0\.0 Ok: queued' &&
	    f=$(maildir_wait_token "$POSTFIX_MAILDIR/alice" "$token" 20); then
		t_ok "postfix delivers to alice@test.local (${f#"$TESTS_TMP"/})"
	else
		printf '%s\n' "$out"
		postfix_log
		t_fail "postfix delivers to alice@test.local"
	fi

	out=$(swaks_to "127.0.0.1:$POSTFIX_PORT" nobody@test.local)
	if has_reply "$out" '^<\*\* 550 5\.1\.1 <nobody@test\.local>'; then
		t_ok "postfix rejects nobody@test.local with 550 5.1.1"
	else
		printf '%s\n' "$out"
		t_fail "postfix rejects nobody@test.local with 550 5.1.1"
	fi

	out=$(swaks_to "127.0.0.1:$POSTFIX_PORT" x@example.com)
	if has_reply "$out" '^<\*\* 554 5\.7\.1 .*Relay access denied'; then
		t_ok "postfix refuses to relay for 127.0.0.1 (554 5.7.1)"
	else
		printf '%s\n' "$out"
		t_fail "postfix refuses to relay for 127.0.0.1 (554 5.7.1)"
	fi

	if [[ $POSTFIX_IPV6 == 1 ]]; then
		token=token6-$RANDOM$RANDOM$RANDOM
		out=$(swaks_to "::1:$POSTFIX_PORT" bob@test.local \
		    --header "Subject: $token")
		if has_reply "$out" '^<-  250 ' &&
		    maildir_wait_token "$POSTFIX_MAILDIR/bob" "$token" 20 \
		    >/dev/null; then
			t_ok "postfix delivers to bob@test.local over [::1]"
		else
			printf '%s\n' "$out"
			t_fail "postfix delivers to bob@test.local over [::1]"
		fi
	else
		t_skip "postfix over [::1]" "no IPv6 loopback here"
	fi
	postfix_stop "$POSTFIX_DIR"
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$pf_port") 2>/dev/null; then
		t_ok "postfix_stop stops the instance"
	else
		t_fail "postfix_stop stops the instance"
	fi
else
	t_fail "postfix starts on 127.0.0.1:$pf_port"
fi

# --- aiosmtpd ----------------------------------------------------------------

ai_port=$(free_port)
if aiosmtpd_start "$ai_port" 421-at-mail; then
	out=$(swaks_to "127.0.0.1:$AIOSMTPD_PORT" x@test.local)
	if has_reply "$out" '^<\*\* 421 4\.7\.0 Too busy, closing'; then
		t_ok "aiosmtpd 421-at-mail replies 421 to MAIL"
	else
		printf '%s\n' "$out"
		t_fail "aiosmtpd 421-at-mail replies 421 to MAIL"
	fi
	aiosmtpd_stop "$ai_port"
else
	t_fail "aiosmtpd 421-at-mail starts"
fi

ai_port=$(free_port)
if aiosmtpd_start "$ai_port" greylist --outdir "$TESTS_TMP/grey"; then
	out=$(swaks_to "127.0.0.1:$AIOSMTPD_PORT" g@test.local)
	out2=$(swaks_to "127.0.0.1:$AIOSMTPD_PORT" g@test.local)
	if has_reply "$out" '^<\*\* 451 4\.7\.1 ' &&
	    has_reply "$out2" '^<-  250 2\.0\.0 ' &&
	    [[ -f $TESTS_TMP/grey/1.eml ]]; then
		t_ok "aiosmtpd greylist: 451 first, 250 on retry"
	else
		printf '%s\n%s\n' "$out" "$out2"
		t_fail "aiosmtpd greylist: 451 first, 250 on retry"
	fi
	aiosmtpd_stop "$ai_port"
else
	t_fail "aiosmtpd greylist starts"
fi

# --- smtp-sink ---------------------------------------------------------------

sink_port=$(free_port)
if smtp_sink_start "$sink_port"; then
	out=$(swaks_to "127.0.0.1:$SMTP_SINK_PORT" b@test.local \
	    --quit-after EHLO)
	if has_reply "$out" '^<-  250-sink\.test\.local' &&
	    has_reply "$out" '^<-  250-PIPELINING'; then
		t_ok "smtp-sink answers EHLO"
	else
		printf '%s\n' "$out"
		t_fail "smtp-sink answers EHLO"
	fi
	smtp_sink_stop "$sink_port"
else
	t_fail "smtp-sink starts"
fi

t_done
