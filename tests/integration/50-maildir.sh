#!/bin/bash
# The sandbox server's Maildir writer (tui/maildir.c) through a small
# driver built here (tests/lib/maildir_driver.c): 1000 deliveries give 1000
# distinct files in new/ with the bytes given, nothing in tmp/, the
# Maildir names; two processes at once; empty and large messages; and the
# errors: a read-only parent, a read-only tmp/, a write that fails (the
# file size limit) leaving nothing behind.

# shellcheck source=../lib/peers.sh
. "$(dirname "$0")/../lib/peers.sh"

W=$TESTS_TMP/maildir
mkdir -p "$W"
chmod 755 "$W"
DRV=$W/maildir_driver
CC=${CC:-cc}

# With ASan and UBSan where the compiler has them.
src=("$TESTS_ROOT/tests/lib/maildir_driver.c" "$TESTS_ROOT/tui/maildir.c"
    "$TESTS_ROOT/session/xmalloc.c")
flags=(-std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE -g -O1
    -I"$TESTS_ROOT/tui" -I"$TESTS_ROOT/session")
if "$CC" "${flags[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer \
    -o "$DRV" "${src[@]}" 2>"$W/cc.err" ||
    "$CC" "${flags[@]}" -o "$DRV" "${src[@]}" 2>"$W/cc.err"; then
	t_ok "the maildir driver builds"
else
	cat "$W/cc.err"
	t_fail "the maildir driver builds"
	exit 1
fi

# A message with CRLF, bare LF, NUL, 8-bit bytes and no final newline.
MSG=$W/msg
{
	printf 'From: a@sandbox.test\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\n'
	for i in $(seq 1 200); do
		printf 'line %d \xc3\xa9\x00\xff bare\n crlf\r\n' "$i"
	done
	printf 'no final newline'
} >"$MSG"

# deliver NAME DIR FILE COUNT [-r]: ids in $W/NAME.ids, stderr in
# $W/NAME.err, exit status in $rc.
deliver()
{
	local name=$1 dir=$2 file=$3 count=$4 opt=()
	[[ ${5-} == -r ]] && opt=(-r)
	timeout 120 "$DRV" "${opt[@]}" "$dir" "$file" "$count" \
	    >"$W/$name.ids" 2>"$W/$name.err"
	rc=$?
}

# 1000 deliveries.
M=$W/box
deliver many "$M" "$MSG" 1000
if ((rc == 0)); then
	t_ok "1000 deliveries succeed"
else
	cat "$W/many.err"
	t_fail "1000 deliveries succeed (exit $rc)"
fi
n_ids=$(sort -u "$W/many.ids" | wc -l)
n_new=$(find "$M/new" -type f | wc -l)
t_check "1000 distinct ids ($n_ids)" test "$n_ids" -eq 1000
t_check "1000 files in new/ ($n_new)" test "$n_new" -eq 1000
t_check "the ids are the names in new/" \
    diff <(sort "$W/many.ids") <(find "$M/new" -type f -printf '%f\n' | sort)
t_check "nothing left in tmp/" test -z "$(ls -A "$M/tmp")"
t_check "cur/ exists" test -d "$M/cur"
modes=$(stat -c %a "$M" "$M/tmp" "$M/new" "$M/cur" | sort -u)
t_check "the maildir is mode 0700 ($modes)" test "$modes" = 700
want=$(sha256sum <"$MSG" | cut -d' ' -f1)
got=$(cd "$M/new" && sha256sum -- * | cut -d' ' -f1 | sort -u)
t_check "every message holds the bytes given" test "$got" = "$want"
first=$(head -n 1 "$W/many.ids")
t_check "cmp of the first message" cmp -s "$MSG" "$M/new/$first"
host_re=$(hostname | sed 's/[][\.*^$/]/\\&/g; s/:/\\\\072/g')
if grep -qvE "^[0-9]+\.M[0-9]{6}P[0-9]+Q[0-9]+\.$host_re\$" "$W/many.ids"
then
	grep -vE "^[0-9]+\.M[0-9]{6}P[0-9]+Q[0-9]+\." "$W/many.ids" | head -3
	t_fail "names are SECONDS.MUSECPPIDQCOUNT.HOST"
else
	t_ok "names are SECONDS.MUSECPPIDQCOUNT.HOST ($first)"
fi

# Two processes at once.
P=$W/parallel
timeout 120 "$DRV" "$P" "$MSG" 500 >"$W/p1.ids" 2>"$W/p1.err" &
p1=$!
timeout 120 "$DRV" "$P" "$MSG" 500 >"$W/p2.ids" 2>"$W/p2.err" &
p2=$!
wait "$p1"
rc1=$?
wait "$p2"
rc2=$?
n_new=$(find "$P/new" -type f | wc -l)
n_ids=$(sort -u "$W/p1.ids" "$W/p2.ids" | wc -l)
if ((rc1 == 0 && rc2 == 0 && n_new == 1000 && n_ids == 1000)); then
	t_ok "two processes: 1000 distinct messages"
else
	cat "$W/p1.err" "$W/p2.err"
	t_fail "two processes: 1000 distinct messages (exit $rc1 $rc2, \
$n_new files, $n_ids ids)"
fi

# Empty and large messages.
: >"$W/empty"
head -c 3000000 /dev/urandom >"$W/large"
deliver empty "$M" "$W/empty" 1
t_check "an empty message" cmp -s "$W/empty" "$M/new/$(cat "$W/empty.ids")"
deliver large "$M" "$W/large" 1
t_check "a 3 MB message" cmp -s "$W/large" "$M/new/$(cat "$W/large.ids")"

# The errors.  Permissions do not stop root: as root, the driver runs as
# nobody on a tree that nobody owns.
as_user=()
if ((EUID == 0)); then
	if command -v setpriv >/dev/null; then
		as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	else
		as_user=(none)
	fi
fi
E=$W/errors
mkdir -p "$E/ro"
chmod 755 "$E"
[[ ${as_user[0]-} == setpriv ]] && chown -R 65534:65534 "$E"
if [[ ${as_user[0]-} == none ]]; then
	t_skip "a read-only parent" "root without setpriv"
	t_skip "a read-only tmp/" "root without setpriv"
else
	chmod 555 "$E/ro"
	"${as_user[@]}" "$DRV" "$E/ro/box" "$MSG" 1 >"$W/ro.ids" \
	    2>"$W/ro.err"
	rc=$?
	want="cannot create maildir $E/ro/box: Permission denied"
	if ((rc == 1)) && [[ $(cat "$W/ro.err") == "$want" ]]; then
		t_ok "a read-only parent: $want"
	else
		cat "$W/ro.err"
		t_fail "a read-only parent (exit $rc)"
	fi

	# tmp/ made read-only after maildir_open.
	"${as_user[@]}" "$DRV" -r "$E/box" "$MSG" 1 >"$W/rotmp.ids" \
	    2>"$W/rotmp.err"
	rc=$?
	re="^cannot write message to $E/box/tmp/[0-9]+\.M[0-9]{6}P[0-9]+Q1\..+: \
Permission denied\$"
	if ((rc == 1)) && grep -qE "$re" "$W/rotmp.err"; then
		t_ok "a read-only tmp/: $(cat "$W/rotmp.err")"
	else
		cat "$W/rotmp.err"
		t_fail "a read-only tmp/ (exit $rc)"
	fi
	t_check "a read-only tmp/: nothing in new/" \
	    test -z "$(ls -A "$E/box/new")"

	# A maildir_open on a read-only tmp/ fails early.
	"${as_user[@]}" "$DRV" "$E/box" "$MSG" 1 >"$W/rotmp2.ids" \
	    2>"$W/rotmp2.err"
	rc=$?
	want="cannot use maildir $E/box/tmp: Permission denied"
	if ((rc == 1)) && [[ $(cat "$W/rotmp2.err") == "$want" ]]; then
		t_ok "a read-only tmp/ at open: $want"
	else
		cat "$W/rotmp2.err"
		t_fail "a read-only tmp/ at open (exit $rc)"
	fi
fi

# A write that fails half-way (the file size limit: 8 KB): the temp file
# is removed, nothing reaches new/.
F=$W/fsize
(
	trap '' XFSZ
	ulimit -f 8
	exec "$DRV" "$F" "$W/large" 1
) >"$W/fsize.ids" 2>"$W/fsize.err"
rc=$?
re="^cannot write message to $F/tmp/[0-9]+\.M[0-9]{6}P[0-9]+Q1\..+: File too \
large\$"
if ((rc == 1)) && grep -qE "$re" "$W/fsize.err"; then
	t_ok "a failed write: $(cat "$W/fsize.err")"
else
	cat "$W/fsize.err"
	t_fail "a failed write (exit $rc)"
fi
t_check "a failed write: nothing left in tmp/" test -z "$(ls -A "$F/tmp")"
t_check "a failed write: nothing in new/" test -z "$(ls -A "$F/new")"

# The host name's '/' and ':' are escaped (a private UTS namespace).
if ((EUID == 0)) && unshare -u true 2>/dev/null; then
	# hostname(1) refuses such a name; the kernel takes it.
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -u sh -c 'printf a/b:c >/proc/sys/kernel/hostname &&
	    exec "$1" "$2" "$3" 1' sh \
	    "$DRV" "$W/hostbox" "$MSG" >"$W/host.ids" 2>"$W/host.err"
	id=$(cat "$W/host.ids")
	if [[ $id == *'.a\057b\072c' && -f $W/hostbox/new/$id ]]; then
		t_ok "the host name is escaped ($id)"
	else
		cat "$W/host.err"
		t_fail "the host name is escaped ($id)"
	fi
else
	t_skip "the host name is escaped" "needs root and unshare -u"
fi

t_done
