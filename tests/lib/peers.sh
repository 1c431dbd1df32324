# shellcheck shell=bash
#
# tests/lib/peers.sh: real SMTP peers on loopback for the integration tests.
#
#	. "$(dirname "$0")/../lib/peers.sh"
#
# Everything binds 127.0.0.1 (and ::1 where said), every wait has a deadline,
# every stop kills only the PIDs its own start recorded, and everything a
# start creates is undone by the EXIT trap this file installs (add your own
# steps with cleanup_add; do not replace the trap).
#
# Test output: print "ok NAME", "not ok NAME" or "skip NAME: reason" on
# stdout (t_ok, t_fail, t_skip, t_check); tests/run counts them.  Anything
# else on stdout or stderr is log.
#
# Peers:
#   free_port                        print a free TCP port on 127.0.0.1
#   wait_port HOST PORT SECONDS      wait until HOST:PORT accepts a connection
#   postfix_start DIR PORT           private Postfix; exports POSTFIX_DIR,
#                                    POSTFIX_PORT, POSTFIX_MAILDIR,
#                                    POSTFIX_IPV6 (1 if [::1]:PORT too)
#   postfix_stop DIR                 postfix_log [DIR]
#   smuggle_body TOKEN               a body with every smuggling sequence
#   maildir_wait_token DIR TOKEN SECONDS
#                                    print the file under DIR/**/new/ that holds
#                                    TOKEN, waiting for it to arrive
#   aiosmtpd_start PORT MODE [ARGS]  tests/peers/aiosmtpd_server.py; MODE is
#                                    ok, 421-at-mail or greylist; exports
#                                    AIOSMTPD_PORT, AIOSMTPD_PID.  ARGS
#                                    (any mode; see the server's --help):
#                                    --outdir DIR: each message to DIR/N.eml
#                                      (X-Peer-Mail-From:, X-Peer-Rcpt-To:
#                                      lines, then the data bytes exactly as
#                                      received, UTF-8 addresses included)
#                                    --cert CHAIN --key KEY: offer STARTTLS
#                                      (e.g. $C/valid.chain.pem and
#                                      $C/valid.key.pem of certs_make)
#                                    --auth: AUTH PLAIN LOGIN CRAM-MD5 under
#                                      TLS only (needs --cert/--key) for
#                                      alice or alice@test.local /
#                                      alice-secret-1 and bob or
#                                      bob@test.local / 'b0b pass!' (the
#                                      users of postfix_auth_start); bad
#                                      ones get 535 5.7.8; --user NAME:PASS
#                                      (repeatable) replaces them
#                                    --auth-without-tls: AUTH offered and
#                                      accepted in plaintext too
#                                    --auth-required: 530 until AUTH
#                                    SMTPUTF8 is offered by default (UTF-8
#                                      addresses accepted, with or without
#                                      the MAIL parameter); --no-smtputf8
#                                      hides it
#                                    The log $TESTS_TMP/aiosmtpd-PORT.log
#                                    has "AUTH MECH ok|failed for 'USER'"
#                                    and "message N from <ADDR> options
#                                    [...] auth USER|- tls yes|no" lines
#   aiosmtpd_stop [PORT]
#   smtp_sink_start PORT [ARGS]      /usr/sbin/smtp-sink; exports
#                                    SMTP_SINK_PORT, SMTP_SINK_PID
#   smtp_sink_stop [PORT]
#   postfix_tls_start DIR CERTDIR    private Postfix with one STARTTLS port
#                                    per fixture of tests/lib/certs.sh
#                                    (certs_make CERTDIR first), an
#                                    implicit-TLS port and a plain one;
#                                    exports PF_TLS_PORT_<fixture>
#                                    (valid expired notyet selfsigned
#                                    wronghost nointer client),
#                                    PF_TLS_PORT_implicit, PF_TLS_PORT_tls12
#                                    (valid, TLS 1.2 at most), PF_PLAIN_PORT
#                                    (no STARTTLS), PF_TLS_IPV6 (1: valid,
#                                    implicit and plain on [::1] too) and
#                                    the variables of postfix_start; with
#                                    PF_TLS_WELLKNOWN=1 also 25, 587
#                                    (STARTTLS) and 465 (implicit) when free:
#                                    PF_TLS_PORT_25, _587, _465
#   postfix_tls_stop DIR             the same as postfix_stop
#   postfix_auth_start DIR CERTDIR   private Postfix with Cyrus SASL AUTH
#                                    (a sasldb of its own in DIR/etc/sasl;
#                                    certs_make CERTDIR first; valid's
#                                    chain is served).  Users, both in the
#                                    realm test.local, both with Maildirs:
#                                      PF_AUTH_USER=alice@test.local
#                                      PF_AUTH_PASS=alice-secret-1
#                                      PF_AUTH_USER2=bob (bob@test.local
#                                        works too)
#                                      PF_AUTH_PASS2='b0b pass!'
#                                    Mechanisms: PLAIN LOGIN CRAM-MD5; a
#                                    wrong password gets 535 5.7.8.  Ports
#                                    (all 127.0.0.1 only; PIPELINING, SIZE,
#                                    8BITMIME, SMTPUTF8... as Postfix has):
#                                      PF_AUTH_PORT: submission-like:
#                                        STARTTLS required (MAIL before it
#                                        gets 530 5.7.0), AUTH offered only
#                                        after STARTTLS, RCPT needs AUTH
#                                        (554 5.7.1 <RCPT>: Recipient
#                                        address rejected: Access denied
#                                        without), authenticated mail to
#                                        alice@/bob@test.local reaches the
#                                        Maildirs (POSTFIX_MAILDIR)
#                                      PF_AUTH_IMPLICIT_PORT: the same over
#                                        implicit TLS (465-like)
#                                      PF_AUTH_NOTLS_PORT: no TLS at all,
#                                        AUTH offered in plaintext, RCPT
#                                        needs AUTH
#                                      PF_SMALL_PORT: message_size_limit
#                                        PF_AUTH_SMALL_LIMIT (20000; EHLO
#                                        says SIZE 20000), STARTTLS
#                                        optional, no AUTH needed for
#                                        alice@/bob@; a bigger message gets
#                                        "552 5.3.4 Error: message file too
#                                        big" after the final dot (MAIL
#                                        SIZE=N over it: 552 5.3.4 at MAIL)
#                                      PF_AUTH_PLAIN_PORT: postfix_start's
#                                        port (no TLS, no AUTH; also [::1]
#                                        when POSTFIX_IPV6=1)
#                                    Also exports PF_AUTH_SASLDB (the
#                                    sasldb file), PF_AUTH_CERTS and the
#                                    variables of postfix_start
#   postfix_auth_stop DIR            the same as postfix_stop
#   hostile_peer_start MODE [ARGS]   tests/peers/hostile.py on a free
#                                    port; exports HOSTILE_PORT; its log
#                                    is $TESTS_TMP/hostile-PORT.log
#   hostile_peer_stop [PORT]
#   serve_start [ARGS]               smtptool serve on a free port of
#                                    127.0.0.1 (unless ARGS hold --listen),
#                                    delivering to a Maildir of its own
#                                    (unless ARGS hold --maildir or
#                                    --discard); exports SERVE_PORT,
#                                    SERVE_ADDR (127.0.0.1), SERVE_PID,
#                                    SERVE_LOG (its stderr),
#                                    SERVE_MAILDIR ("" with --discard) and
#                                    SERVE_CA (the generated root.pem, ""
#                                    when STARTTLS is off)
#   serve_stop [PORT]                SIGTERM, then SIGKILL after 10 s
#   serve_kill [PORT]                SIGKILL at once (durability tests)
#
# Variables a test may set before postfix_start: POSTFIX_MAIN_EXTRA (lines
# appended to main.cf) and POSTFIX_MASTER_EXTRA (lines appended to master.cf),
# e.g. a TLS or SASL service.

if [[ -n ${_PEERS_SH_LOADED-} ]]; then
	return 0
fi
_PEERS_SH_LOADED=1

PYTHON=/usr/bin/python3		# Debian's, the one with aiosmtpd
TESTS_ROOT=${TESTS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export TESTS_ROOT

# ---------------------------------------------------------------------------
# Cleanup: one EXIT trap runs the registered steps, last registered first.

_cleanup_steps=()

# cleanup_add STRING: run STRING (with eval) when the script ends.
cleanup_add()
{
	_cleanup_steps+=("$*")
}

cleanup_run()
{
	local i
	for ((i = ${#_cleanup_steps[@]} - 1; i >= 0; i--)); do
		eval "${_cleanup_steps[i]}" || true
	done
	_cleanup_steps=()
}

_peers_on_exit()
{
	local rc=$?
	trap - EXIT
	cleanup_run
	exit "$rc"
}
trap _peers_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# ---------------------------------------------------------------------------
# The environment of a test run (tests/run sets all of it; a script run on its
# own gets the same defaults).

if [[ -z ${TESTS_TMP-} ]]; then
	TESTS_TMP=$(mktemp -d /tmp/smtptool-test.XXXXXX) || exit 1
	chmod 755 "$TESTS_TMP"		# Postfix's users walk through it
	cleanup_add "rm -rf '$TESTS_TMP'"
fi
export TESTS_TMP
export SMTPTOOL=${SMTPTOOL:-$TESTS_ROOT/build/smtptool}
export INPUTRC=${INPUTRC:-/dev/null}
export LC_ALL=${LC_ALL:-C.UTF-8}
export TERM=${TERM:-xterm-256color}
if [[ -z ${TESTS_RUNNER-} ]]; then
	export XDG_STATE_HOME=$TESTS_TMP/xdg/state
	export XDG_DATA_HOME=$TESTS_TMP/xdg/data
	export XDG_CONFIG_HOME=$TESTS_TMP/xdg/config
	mkdir -p "$XDG_STATE_HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
fi

# ---------------------------------------------------------------------------
# TAP-like results.

t_failed=0

t_ok()
{
	printf 'ok %s\n' "$*"
}

t_fail()
{
	printf 'not ok %s\n' "$*"
	t_failed=$((t_failed + 1))
}

# t_skip NAME REASON
t_skip()
{
	printf 'skip %s: %s\n' "$1" "${2:-skipped}"
}

# t_check NAME COMMAND...: ok when COMMAND succeeds.
t_check()
{
	local name=$1
	shift
	if "$@"; then
		t_ok "$name"
	else
		t_fail "$name"
	fi
}

# t_done: the script's exit status (0 when nothing failed).
t_done()
{
	[[ $t_failed -eq 0 ]]
}

# ---------------------------------------------------------------------------
# Helpers.

_peers_log()
{
	printf 'peers: %s\n' "$*" >&2
}

# Monotonic enough for deadlines: microseconds of wall time.
_now_us()
{
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s\n' "$((10#$t))"
}

# _deadline SECONDS: print the deadline (µs) SECONDS from now (may be "0.5").
_deadline()
{
	local s=$1 whole frac
	whole=${s%%.*}
	frac=0
	if [[ $s == *.* ]]; then
		frac=${s#*.}000000
		frac=$((10#${frac:0:6}))
	fi
	printf '%s\n' "$(($(_now_us) + 10#${whole:-0} * 1000000 + frac))"
}

_is_loopback()
{
	case $1 in
	127.*|::1|localhost) return 0 ;;
	*) return 1 ;;
	esac
}

# _proc_starttime PID: the start time of PID (field 22 of /proc/PID/stat).
_proc_starttime()
{
	local stat rest
	stat=$(<"/proc/$1/stat") 2>/dev/null || return 1
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	printf '%s\n' "${20}"
}

# _pid_alive PID [STARTTIME]: PID runs (not a zombie) and, if given, is the
# process that started at STARTTIME (not a reused PID).
_pid_alive()
{
	local pid=$1 start=${2-} state
	[[ -r /proc/$pid/status ]] || return 1
	state=$(awk '/^State:/ { print $2; exit }' "/proc/$pid/status" \
	    2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]] || return 1
	if [[ -n $start ]]; then
		[[ $(_proc_starttime "$pid" 2>/dev/null) == "$start" ]] ||
		    return 1
	fi
	return 0
}

# _record_pid PID: remember PID (and its start time) so that tests/run can
# end it if the script dies before its cleanup.
_record_pid()
{
	local start
	start=$(_proc_starttime "$1" 2>/dev/null) || return 0
	if [[ -n ${TESTS_PIDS_FILE-} ]]; then
		printf '%s %s\n' "$1" "$start" >>"$TESTS_PIDS_FILE"
	fi
	printf '%s\n' "$start"
}

# _stop_pid PID STARTTIME SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
_stop_pid()
{
	local pid=$1 start=$2 secs=${3:-10} end
	_pid_alive "$pid" "$start" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	end=$(_deadline "$secs")
	while _pid_alive "$pid" "$start"; do
		if (($(_now_us) > end)); then
			_peers_log "pid $pid ignored SIGTERM for ${secs}s, killing"
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.02
	done
	# Reap it if it is our child; say nothing about how it ended.
	{ wait "$pid"; } 2>/dev/null
	return 0
}

# _pidfile_stop FILE: stop the process FILE names ("PID STARTTIME").
_pidfile_stop()
{
	local file=$1 pid start
	[[ -f $file ]] || return 0
	read -r pid start <"$file" || true
	rm -f "$file"
	[[ -n $pid ]] || return 0
	_stop_pid "$pid" "$start" 10
}

# ---------------------------------------------------------------------------
# Ports.

_given_ports=" "

# free_port: a TCP port free on 127.0.0.1 (and on ::1 where that exists),
# never the same twice in one script.
free_port()
{
	local port i
	for ((i = 0; i < 20; i++)); do
		port=$("$PYTHON" -c '
import errno, socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
try:
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind(("::1", port))
    s6.close()
except OSError as e:
    if e.errno == errno.EADDRINUSE:
        port = 0
s.close()
print(port)
') || return 1
		if [[ $port != 0 && $_given_ports != *" $port "* ]]; then
			_given_ports+="$port "
			printf '%s\n' "$port"
			return 0
		fi
	done
	_peers_log "free_port: no free port found"
	return 1
}

# ipv6_loopback: true when ::1 can be bound here.
ipv6_loopback()
{
	"$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(("::1", 0))
' 2>/dev/null
}

# wait_port HOST PORT SECONDS: wait until HOST:PORT accepts a TCP connection.
wait_port()
{
	local host=$1 port=$2 secs=${3:-10} end
	if ! _is_loopback "$host"; then
		_peers_log "wait_port: $host is not a loopback address"
		return 2
	fi
	end=$(_deadline "$secs")
	while :; do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
			return 0
		fi
		if (($(_now_us) > end)); then
			_peers_log "wait_port: nothing listens on $host port $port" \
			    "after ${secs}s"
			return 1
		fi
		sleep 0.02
	done
}

# ---------------------------------------------------------------------------
# Postfix: a private instance under DIR.
#
#   DIR/etc   config_directory (main.cf, master.cf, vmailbox)
#   DIR/spool queue_directory    DIR/data data_directory
#   DIR/mail  virtual mailboxes: DIR/mail/alice/new/..., DIR/mail/bob/...
#   DIR/log/maillog
#
# Domain test.local: alice@ and bob@ exist, any other user gets 550 5.1.1;
# mail for any other domain gets 554 5.7.1 Relay access denied (mynetworks
# holds no loopback address); nothing ever leaves (default_transport=error).

POSTFIX_VUID=65534		# nobody: owns the Maildirs
POSTFIX_VGID=65534

postfix_start()
{
	local dir=$1 port=$2 v6=0 pid start end
	if [[ -z $dir || -z $port ]]; then
		_peers_log "usage: postfix_start DIR PORT"
		return 2
	fi
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)		# postfix -c needs an absolute path
	if [[ -f $dir/.master-pid ]]; then
		_peers_log "postfix_start: $dir is already running"
		return 1
	fi
	mkdir -p "$dir"/{etc,spool,data,mail,log} || return 1
	chmod 755 "$dir" "$dir/etc" "$dir/spool" "$dir/log"
	chown postfix: "$dir/data"
	chmod 700 "$dir/data"
	chown "$POSTFIX_VUID:$POSTFIX_VGID" "$dir/mail"
	chmod 755 "$dir/mail"
	ipv6_loopback && v6=1

	cat >"$dir/etc/vmailbox" <<-'EOF'
	alice@test.local	alice/
	bob@test.local		bob/
	EOF

	cat >"$dir/etc/main.cf" <<-EOF
	# Written by tests/lib/peers.sh postfix_start.
	compatibility_level = 3.6
	queue_directory = $dir/spool
	data_directory = $dir/data
	maillog_file = $dir/log/maillog
	maillog_file_prefixes = $dir/log
	inet_interfaces = loopback-only
	inet_protocols = $( ((v6)) && echo all || echo ipv4)
	myhostname = mx.test.local
	mydomain = test.local
	myorigin = \$myhostname
	mydestination =
	mynetworks = 192.0.2.1/32
	relay_domains =
	alias_maps =
	alias_database =
	local_recipient_maps =
	append_dot_mydomain = no
	biff = no
	smtpd_banner = \$myhostname ESMTP Postfix (test)
	smtpd_peername_lookup = no
	smtpd_error_sleep_time = 0
	smtpd_soft_error_limit = 100
	smtpd_hard_error_limit = 200
	smtpd_delay_reject = yes
	smtpd_client_restrictions =
	smtpd_helo_restrictions =
	smtpd_sender_restrictions =
	smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
	smtpd_recipient_restrictions =
	smtpd_reject_unlisted_recipient = yes
	unknown_virtual_mailbox_reject_code = 550
	default_transport = error:nothing leaves this test instance
	relay_transport = error:nothing leaves this test instance
	smtp_dns_support_level = disabled
	virtual_mailbox_domains = test.local
	virtual_mailbox_base = $dir/mail
	virtual_mailbox_maps = texthash:$dir/etc/vmailbox
	virtual_minimum_uid = 100
	virtual_uid_maps = static:$POSTFIX_VUID
	virtual_gid_maps = static:$POSTFIX_VGID
	virtual_alias_maps =
	queue_run_delay = 10s
	minimal_backoff_time = 10s
	maximal_backoff_time = 60s
	EOF
	if [[ -n ${POSTFIX_MAIN_EXTRA-} ]]; then
		printf '%s\n' "$POSTFIX_MAIN_EXTRA" >>"$dir/etc/main.cf"
	fi

	{
		echo "# Written by tests/lib/peers.sh postfix_start; no chroot."
		echo "127.0.0.1:$port inet n - n - - smtpd"
		((v6)) && echo "[::1]:$port inet n - n - - smtpd"
		cat <<-'EOF'
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		proxywrite unix -       -       n       -       1       proxymap
		smtp      unix  -       -       n       -       -       smtp
		relay     unix  -       -       n       -       -       smtp
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		virtual   unix  -       n       n       -       -       virtual
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
		EOF
		if [[ -n ${POSTFIX_MASTER_EXTRA-} ]]; then
			printf '%s\n' "$POSTFIX_MASTER_EXTRA"
		fi
	} >"$dir/etc/master.cf"

	if ! timeout 60 postfix -c "$dir/etc" check >"$dir/log/check.out" 2>&1
	then
		_peers_log "postfix check failed:"
		cat "$dir/log/check.out" >&2
		return 1
	fi
	if ! timeout 60 postfix -c "$dir/etc" start >"$dir/log/start.out" 2>&1
	then
		_peers_log "postfix start failed:"
		cat "$dir/log/start.out" "$dir/log/maillog" >&2 2>/dev/null
		return 1
	fi
	# The master writes its PID; remember it with its start time.
	end=$(_deadline 10)
	pid=
	while :; do
		if [[ -s $dir/spool/pid/master.pid ]]; then
			read -r pid <"$dir/spool/pid/master.pid"
			[[ -n $pid ]] && _pid_alive "$pid" && break
		fi
		if (($(_now_us) > end)); then
			_peers_log "postfix master did not write its pid"
			cat "$dir/log/maillog" >&2 2>/dev/null
			return 1
		fi
		sleep 0.02
	done
	start=$(_record_pid "$pid")
	printf '%s %s\n' "$pid" "$start" >"$dir/.master-pid"
	cleanup_add "postfix_stop '$dir'"

	if ! wait_port 127.0.0.1 "$port" 20 ||
	    { ((v6)) && ! wait_port ::1 "$port" 5; }; then
		postfix_log "$dir" >&2
		postfix_stop "$dir"
		return 1
	fi
	export POSTFIX_DIR=$dir POSTFIX_PORT=$port POSTFIX_MAILDIR=$dir/mail
	export POSTFIX_IPV6=$v6
}

# postfix_stop DIR: stop the instance postfix_start DIR started (idempotent).
postfix_stop()
{
	local dir=${1:-${POSTFIX_DIR-}} pid start
	[[ -n $dir && -f $dir/.master-pid ]] || return 0
	read -r pid start <"$dir/.master-pid" || true
	timeout 30 postfix -c "$dir/etc" stop >>"$dir/log/stop.out" 2>&1
	_stop_pid "$pid" "$start" 15
	rm -f "$dir/.master-pid"
}

# postfix_log [DIR]: print the instance's maillog.
postfix_log()
{
	local dir=${1:-${POSTFIX_DIR-}}
	cat "$dir/log/maillog" 2>/dev/null
}

# postfix_queue_empty [DIR]: true when nothing waits in the queue.
postfix_queue_empty()
{
	local dir=${1:-${POSTFIX_DIR-}}
	[[ -z $(postqueue -c "$dir/etc" -j 2>/dev/null) ]]
}

# smuggle_body TOKEN: a message body holding TOKEN and every end-of-data
# smuggling sequence (a "." between any mix of CR, LF and CRLF), each
# followed by a "MAIL FROM:<...@evil>" line, on standard output: six dots,
# six smuggled commands; it ends without a line end.
smuggle_body()
{
	printf 'first %s\n' "$1"
	printf 'a\n.\nMAIL FROM:<lf@evil>\n'
	printf 'b\r.\rMAIL FROM:<cr@evil>\r'
	printf 'c\r\n.\nMAIL FROM:<crlf-lf@evil>\r\n'
	printf 'd\n.\r\nMAIL FROM:<lf-crlf@evil>\r\n'
	printf 'e\r\n.\rMAIL FROM:<crlf-cr@evil>\r\n'
	printf 'f\r.\nMAIL FROM:<cr-lf@evil>\n'
	printf 'last line without end'
}

# maildir_wait_token DIR TOKEN SECONDS: wait until a message file under a
# new/ folder below DIR holds TOKEN; print its path.
maildir_wait_token()
{
	local dir=$1 token=$2 secs=${3:-10} end f
	end=$(_deadline "$secs")
	while :; do
		f=$(find "$dir" -path '*/new/*' -type f \
		    -exec grep -lF -e "$token" {} + 2>/dev/null | head -n 1)
		if [[ -n $f ]]; then
			printf '%s\n' "$f"
			return 0
		fi
		if (($(_now_us) > end)); then
			_peers_log "maildir_wait_token: '$token' not in $dir" \
			    "after ${secs}s"
			return 1
		fi
		sleep 0.05
	done
}

# ---------------------------------------------------------------------------
# aiosmtpd: tests/peers/aiosmtpd_server.py on 127.0.0.1:PORT.

# aiosmtpd_start PORT MODE [ARGS...]: ARGS go to the server (see its --help).
# Its log is $TESTS_TMP/aiosmtpd-PORT.log.
aiosmtpd_start()
{
	local port=$1 mode=${2:-ok} pid start log
	shift 2 || shift $#
	log=$TESTS_TMP/aiosmtpd-$port.log
	"$PYTHON" "$TESTS_ROOT/tests/peers/aiosmtpd_server.py" \
	    --port "$port" --mode "$mode" "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	start=$(_record_pid "$pid")
	printf '%s %s\n' "$pid" "$start" >"$TESTS_TMP/aiosmtpd-$port.pid"
	cleanup_add "aiosmtpd_stop '$port'"
	if ! wait_port 127.0.0.1 "$port" 20; then
		cat "$log" >&2
		aiosmtpd_stop "$port"
		return 1
	fi
	export AIOSMTPD_PORT=$port AIOSMTPD_PID=$pid
}

# aiosmtpd_stop [PORT]
aiosmtpd_stop()
{
	_pidfile_stop "$TESTS_TMP/aiosmtpd-${1:-${AIOSMTPD_PORT-}}.pid"
}

# ---------------------------------------------------------------------------
# smtp-sink (from the postfix package).

# smtp_sink_start PORT [ARGS...]: /usr/sbin/smtp-sink on 127.0.0.1:PORT with
# hostname sink.test.local; ARGS (e.g. -r RCPT -b "451 4.7.1 Later") come
# before the address and may override -h.  Its log is
# $TESTS_TMP/smtp-sink-PORT.log.
smtp_sink_start()
{
	local port=$1 pid start log user=()
	shift
	log=$TESTS_TMP/smtp-sink-$port.log
	# As root smtp-sink refuses to run without -u.
	((EUID == 0)) && user=(-u postfix)
	/usr/sbin/smtp-sink "${user[@]}" -h sink.test.local "$@" \
	    "127.0.0.1:$port" 256 </dev/null >"$log" 2>&1 &
	pid=$!
	start=$(_record_pid "$pid")
	printf '%s %s\n' "$pid" "$start" >"$TESTS_TMP/smtp-sink-$port.pid"
	cleanup_add "smtp_sink_stop '$port'"
	if ! wait_port 127.0.0.1 "$port" 10; then
		cat "$log" >&2
		smtp_sink_stop "$port"
		return 1
	fi
	export SMTP_SINK_PORT=$port SMTP_SINK_PID=$pid
}

# smtp_sink_stop [PORT]
smtp_sink_stop()
{
	_pidfile_stop "$TESTS_TMP/smtp-sink-${1:-${SMTP_SINK_PORT-}}.pid"
}

# ---------------------------------------------------------------------------
# Postfix with TLS: one smtpd service per certificate fixture.

# _port_bindable PORT: nothing listens on 127.0.0.1:PORT and we may bind it.
_port_bindable()
{
	"$PYTHON" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
' "$1" 2>/dev/null
}

# postfix_tls_start DIR CERTDIR: see the top of this file.  CERTDIR holds
# what certs_make made.  POSTFIX_MASTER_EXTRA, if set, is kept (and comes
# after the TLS services).
postfix_tls_start()
{
	local dir=$1 certs=$2 plain name port v6=0 extra="" wk
	local -a p
	local -a fixtures=(valid expired notyet selfsigned wronghost nointer
	    client)
	local -a ports=()
	if [[ -z $dir || -z $certs ]]; then
		_peers_log "usage: postfix_tls_start DIR CERTDIR"
		return 2
	fi
	certs=$(cd "$certs" && pwd) || return 1
	for name in "${fixtures[@]}"; do
		if [[ ! -r $certs/$name.postfix.pem ]]; then
			_peers_log "postfix_tls_start: no $certs/$name.postfix.pem" \
			    "(certs_make $certs first)"
			return 1
		fi
	done
	ipv6_loopback && v6=1
	plain=$(free_port) || return 1

	# svc ADDR PORT OPTIONS...: one smtpd line of master.cf.
	_pf_svc()
	{
		local addr=$1 port=$2 o
		shift 2
		printf '%s:%s inet n - n - - smtpd\n' "$addr" "$port"
		for o in "$@"; do
			printf '  -o %s\n' "$o"
		done
	}
	for name in "${fixtures[@]}"; do
		port=$(free_port) || return 1
		printf -v "PF_TLS_PORT_$name" '%s' "$port"
		export "PF_TLS_PORT_$name"
		ports+=("$port")
		extra+=$(_pf_svc 127.0.0.1 "$port" \
		    smtpd_tls_security_level=may \
		    "smtpd_tls_chain_files=$certs/$name.postfix.pem")$'\n'
		if [[ $name == valid ]] && ((v6)); then
			extra+=$(_pf_svc '[::1]' "$port" \
			    smtpd_tls_security_level=may \
			    "smtpd_tls_chain_files=$certs/$name.postfix.pem")$'\n'
		fi
	done
	port=$(free_port) || return 1
	export PF_TLS_PORT_implicit=$port
	ports+=("$port")
	extra+=$(_pf_svc 127.0.0.1 "$port" smtpd_tls_wrappermode=yes \
	    smtpd_tls_security_level=encrypt \
	    "smtpd_tls_chain_files=$certs/valid.postfix.pem")$'\n'
	if ((v6)); then
		extra+=$(_pf_svc '[::1]' "$port" smtpd_tls_wrappermode=yes \
		    smtpd_tls_security_level=encrypt \
		    "smtpd_tls_chain_files=$certs/valid.postfix.pem")$'\n'
	fi
	port=$(free_port) || return 1
	export PF_TLS_PORT_tls12=$port
	ports+=("$port")
	extra+=$(_pf_svc 127.0.0.1 "$port" smtpd_tls_security_level=may \
	    'smtpd_tls_protocols=<=TLSv1.2' \
	    "smtpd_tls_chain_files=$certs/valid.postfix.pem")$'\n'
	unset PF_TLS_PORT_25 PF_TLS_PORT_465 PF_TLS_PORT_587
	if [[ ${PF_TLS_WELLKNOWN-} == 1 ]]; then
		for wk in 25 587 465; do
			_port_bindable "$wk" || continue
			[[ $_given_ports == *" $wk "* ]] && continue
			_given_ports+="$wk "
			printf -v "PF_TLS_PORT_$wk" '%s' "$wk"
			export "PF_TLS_PORT_$wk"
			ports+=("$wk")
			p=(smtpd_tls_security_level=may)
			[[ $wk == 465 ]] && p=(smtpd_tls_wrappermode=yes
			    smtpd_tls_security_level=encrypt)
			extra+=$(_pf_svc 127.0.0.1 "$wk" "${p[@]}" \
			    "smtpd_tls_chain_files=$certs/valid.postfix.pem")$'\n'
		done
	fi
	unset -f _pf_svc

	# The main port (postfix_start's) has no TLS at all: PF_PLAIN_PORT.
	if ! POSTFIX_MASTER_EXTRA="$extra${POSTFIX_MASTER_EXTRA-}" \
	    POSTFIX_MAIN_EXTRA="smtpd_tls_loglevel = 1
${POSTFIX_MAIN_EXTRA-}" postfix_start "$dir" "$plain"; then
		return 1
	fi
	for port in "${ports[@]}"; do
		if ! wait_port 127.0.0.1 "$port" 10; then
			postfix_log "$POSTFIX_DIR" >&2
			return 1
		fi
	done
	export PF_PLAIN_PORT=$plain PF_TLS_IPV6=$v6 PF_TLS_CERTS=$certs
}

# postfix_tls_stop DIR
postfix_tls_stop()
{
	postfix_stop "$@"
}

# ---------------------------------------------------------------------------
# Postfix with SASL AUTH: Cyrus SASL reading a sasldb of the instance's own
# (DIR/etc/sasl/sasldb2, made with saslpasswd2 -f), no saslauthd, no Dovecot.
#
#   DIR/etc/sasl/smtpd.conf
#                        Cyrus's configuration for the application "smtpd"
#                        (smtpd_sasl_path).  It must be in the folder "sasl"
#                        of config_directory: Debian's Postfix looks there
#                        (then in /usr/lib/sasl) and ignores
#                        cyrus_sasl_config_path, which is set to the same
#                        folder for an upstream Postfix
#   DIR/etc/sasl/sasldb2 the users (Berkeley DB); root:postfix 0640: smtpd
#                        runs as "postfix" and reads it (no chroot here).
#                        Without sasldb_path Cyrus would read /etc/sasldb2
#
# The users live in the realm test.local (smtpd_sasl_local_domain), so
# "bob" and "bob@test.local" are the same login.  Authenticated clients may
# relay (smtpd_relay_restrictions), but nothing leaves: mail for alice@ and
# bob@test.local goes to their Maildirs as with postfix_start, anything else
# to the error transport.

PF_AUTH_USER=alice@test.local
PF_AUTH_PASS=alice-secret-1
PF_AUTH_USER2=bob
PF_AUTH_PASS2='b0b pass!'
PF_AUTH_SMALL_LIMIT=20000

# _pf_saslpasswd DB USER PASSWORD: add USER@test.local to the sasldb DB.
_pf_saslpasswd()
{
	local out
	# -p reads the password from stdin (no prompt): never on the command
	# line.
	if ! out=$(printf '%s' "$3" |
	    timeout 30 saslpasswd2 -f "$1" -p -c -u test.local "$2" 2>&1); then
		_peers_log "saslpasswd2 -f $1 -u test.local $2 failed:"
		printf '%s\n' "$out" >&2
		return 1
	fi
}

# postfix_auth_start DIR CERTDIR: see the top of this file.  CERTDIR holds
# what certs_make made (valid.postfix.pem is served).  POSTFIX_MAIN_EXTRA and
# POSTFIX_MASTER_EXTRA, if set, are kept (and come after these settings).
postfix_auth_start()
{
	local dir=$1 certs=$2 chain sasl plain port extra=""
	local -a ports=()
	if [[ -z $dir || -z $certs ]]; then
		_peers_log "usage: postfix_auth_start DIR CERTDIR"
		return 2
	fi
	certs=$(cd "$certs" && pwd) || return 1
	chain=$certs/valid.postfix.pem
	if [[ ! -r $chain ]]; then
		_peers_log "postfix_auth_start: no $chain (certs_make $certs first)"
		return 1
	fi
	if ! command -v saslpasswd2 >/dev/null; then
		_peers_log "saslpasswd2 is missing (sh share/deps.sh test)"
		return 1
	fi
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd)
	if [[ -f $dir/.master-pid ]]; then
		_peers_log "postfix_auth_start: $dir is already running"
		return 1
	fi
	sasl=$dir/etc/sasl
	mkdir -p "$sasl" || return 1
	chmod 755 "$dir" "$dir/etc" "$sasl"
	rm -f "$sasl/sasldb2"
	_pf_saslpasswd "$sasl/sasldb2" "${PF_AUTH_USER%@test.local}" \
	    "$PF_AUTH_PASS" || return 1
	_pf_saslpasswd "$sasl/sasldb2" "${PF_AUTH_USER2%@test.local}" \
	    "$PF_AUTH_PASS2" || return 1
	chown root:postfix "$sasl/sasldb2" && chmod 640 "$sasl/sasldb2" ||
	    return 1
	cat >"$sasl/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: PLAIN LOGIN CRAM-MD5
	sasldb_path: $sasl/sasldb2
	EOF
	chmod 644 "$sasl/smtpd.conf"

	plain=$(free_port) || return 1

	# svc PORT OPTIONS...: one smtpd line of master.cf on 127.0.0.1.
	_pf_auth_svc()
	{
		local port=$1 o
		shift
		printf '127.0.0.1:%s inet n - n - - smtpd\n' "$port"
		for o in "$@"; do
			printf '  -o %s\n' "$o"
		done
	}
	# Submission-like: STARTTLS required, AUTH only under TLS, and only
	# authenticated clients get a RCPT accepted.
	port=$(free_port) || return 1
	export PF_AUTH_PORT=$port
	ports+=("$port")
	extra+=$(_pf_auth_svc "$port" smtpd_tls_security_level=encrypt \
	    "smtpd_tls_chain_files=$chain" smtpd_sasl_auth_enable=yes \
	    smtpd_tls_auth_only=yes \
	    smtpd_relay_restrictions=permit_sasl_authenticated,reject)$'\n'
	# The same behind implicit TLS (465-like).
	port=$(free_port) || return 1
	export PF_AUTH_IMPLICIT_PORT=$port
	ports+=("$port")
	extra+=$(_pf_auth_svc "$port" smtpd_tls_wrappermode=yes \
	    smtpd_tls_security_level=encrypt \
	    "smtpd_tls_chain_files=$chain" smtpd_sasl_auth_enable=yes \
	    smtpd_tls_auth_only=yes \
	    smtpd_relay_restrictions=permit_sasl_authenticated,reject)$'\n'
	# AUTH in plaintext (no STARTTLS at all): for clients that must refuse
	# to send credentials unencrypted.
	port=$(free_port) || return 1
	export PF_AUTH_NOTLS_PORT=$port
	ports+=("$port")
	extra+=$(_pf_auth_svc "$port" smtpd_tls_security_level=none \
	    smtpd_sasl_auth_enable=yes smtpd_tls_auth_only=no \
	    smtpd_relay_restrictions=permit_sasl_authenticated,reject)$'\n'
	# A small message_size_limit (EHLO says SIZE 20000), STARTTLS
	# optional, no AUTH; delivers to alice@ and bob@ like postfix_start.
	port=$(free_port) || return 1
	export PF_SMALL_PORT=$port
	ports+=("$port")
	extra+=$(_pf_auth_svc "$port" smtpd_tls_security_level=may \
	    "smtpd_tls_chain_files=$chain" \
	    "message_size_limit=$PF_AUTH_SMALL_LIMIT")$'\n'
	unset -f _pf_auth_svc

	# The main port (postfix_start's): no TLS, no AUTH.
	if ! POSTFIX_MASTER_EXTRA="$extra${POSTFIX_MASTER_EXTRA-}" \
	    POSTFIX_MAIN_EXTRA="smtpd_tls_loglevel = 1
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $sasl
smtpd_sasl_local_domain = test.local
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = no
broken_sasl_auth_clients = no
${POSTFIX_MAIN_EXTRA-}" postfix_start "$dir" "$plain"; then
		return 1
	fi
	for port in "${ports[@]}"; do
		if ! wait_port 127.0.0.1 "$port" 10; then
			postfix_log "$POSTFIX_DIR" >&2
			return 1
		fi
	done
	export PF_AUTH_PLAIN_PORT=$plain PF_AUTH_CERTS=$certs
	export PF_AUTH_SASLDB=$sasl/sasldb2
	export PF_AUTH_USER PF_AUTH_PASS PF_AUTH_USER2 PF_AUTH_PASS2
	export PF_AUTH_SMALL_LIMIT
}

# postfix_auth_stop DIR
postfix_auth_stop()
{
	postfix_stop "$@"
}

# ---------------------------------------------------------------------------
# tests/peers/hostile.py.

# hostile_peer_start MODE [ARGS...]: ARGS go to hostile.py (e.g. --cert F
# --key F for starttls-inject).  Exports HOSTILE_PORT.
hostile_peer_start()
{
	local mode=$1 port pid start log
	shift
	port=$(free_port) || return 1
	log=$TESTS_TMP/hostile-$port.log
	"$PYTHON" "$TESTS_ROOT/tests/peers/hostile.py" --port "$port" \
	    --mode "$mode" "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	start=$(_record_pid "$pid")
	printf '%s %s\n' "$pid" "$start" >"$TESTS_TMP/hostile-$port.pid"
	cleanup_add "hostile_peer_stop '$port'"
	if ! wait_port 127.0.0.1 "$port" 10; then
		cat "$log" >&2
		hostile_peer_stop "$port"
		return 1
	fi
	export HOSTILE_PORT=$port
}

# hostile_peer_stop [PORT]
hostile_peer_stop()
{
	_pidfile_stop "$TESTS_TMP/hostile-${1:-${HOSTILE_PORT-}}.pid"
}

# ---------------------------------------------------------------------------
# smtptool serve: the sandbox SMTP server.

_serve_seq=0

# serve_start [ARGS...]: see the top of this file.  It waits (at most 20 s)
# for the "listening on ADDR" line and reads the port from it.  Each
# instance has its own log $TESTS_TMP/serve-N.log and Maildir
# $TESTS_TMP/serve-N.maildir; several may run at once (serve_stop PORT).
serve_start()
{
	local seq pid start log pidfile maildir="" line addr port end a prev=""
	local listen=1 md=1 ca=""
	local -a extra=()
	_serve_seq=$((_serve_seq + 1))
	seq=$_serve_seq
	for a in "$@"; do
		[[ $prev == --maildir ]] && maildir=$a
		case $a in
		--listen|--listen=*) listen=0 ;;
		--discard) md=0 ;;
		--maildir) md=0 ;;
		--maildir=*) md=0; maildir=${a#--maildir=} ;;
		esac
		prev=$a
	done
	((listen)) && extra+=(--listen 127.0.0.1:0)
	if ((md)); then
		maildir=$TESTS_TMP/serve-$seq.maildir
		extra+=(--maildir "$maildir")
	fi
	log=$TESTS_TMP/serve-$seq.log
	pidfile=$TESTS_TMP/serve-$seq.pid
	"$SMTPTOOL" serve "${extra[@]}" "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	start=$(_record_pid "$pid")
	printf '%s %s\n' "$pid" "$start" >"$pidfile"
	cleanup_add "_pidfile_stop '$pidfile'"
	end=$(_deadline 20)
	addr=
	while :; do
		line=$(grep -m 1 -E 'listening on ' "$log" 2>/dev/null)
		if [[ $line =~ listening\ on\ (\[[^]]*\]|[^\ ]+):([0-9]+) ]]
		then
			addr=${BASH_REMATCH[1]}
			port=${BASH_REMATCH[2]}
			break
		fi
		if ! _pid_alive "$pid" "$start" || (($(_now_us) > end)); then
			_peers_log "serve_start: no \"listening on\" line from" \
			    "smtptool serve $*:"
			cat "$log" >&2
			_pidfile_stop "$pidfile"
			return 1
		fi
		sleep 0.02
	done
	# With STARTTLS on, the next line names the trust anchor.
	if [[ $line == *"STARTTLS on"* ]]; then
		while :; do
			ca=$(sed -n 's/.*clients verify with --ca-file //p' \
			    "$log" 2>/dev/null | head -n 1)
			[[ -n $ca ]] && break
			if (($(_now_us) > end)); then
				_peers_log "serve_start: no --ca-file line"
				cat "$log" >&2
				_pidfile_stop "$pidfile"
				return 1
			fi
			sleep 0.02
		done
	fi
	printf '%s\n' "$pidfile" >"$TESTS_TMP/serve-port-$port"
	export SERVE_PORT=$port SERVE_ADDR=$addr SERVE_PID=$pid SERVE_LOG=$log
	export SERVE_MAILDIR=$maildir SERVE_CA=$ca
}

# serve_stop [PORT]: stop the instance listening on PORT (default:
# $SERVE_PORT), SIGTERM first (idempotent).
serve_stop()
{
	local port=${1:-${SERVE_PORT-}} ref
	ref=$TESTS_TMP/serve-port-$port
	[[ -n $port && -f $ref ]] || return 0
	_pidfile_stop "$(<"$ref")"
}

# serve_kill [PORT]: SIGKILL the instance at once and wait (at most 10 s)
# until it is gone.
serve_kill()
{
	local port=${1:-${SERVE_PORT-}} ref file pid start end
	ref=$TESTS_TMP/serve-port-$port
	[[ -n $port && -f $ref ]] || return 1
	file=$(<"$ref")
	[[ -f $file ]] || return 1
	read -r pid start <"$file" || return 1
	rm -f "$file"
	_pid_alive "$pid" "$start" || return 1
	kill -KILL "$pid" 2>/dev/null
	end=$(_deadline 10)
	while _pid_alive "$pid" "$start"; do
		(($(_now_us) > end)) && return 1
		sleep 0.01
	done
	{ wait "$pid"; } 2>/dev/null
	return 0
}
