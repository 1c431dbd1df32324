#!/bin/sh
#
# share/deps.sh build|test|bench: install the Debian packages smtptool needs
# to build, to run its tests, or to run its benchmark.  Prints nothing and
# exits 0 when they are all there already.  As root it installs what is
# missing (no services started, Postfix left unconfigured); otherwise it
# prints the apt-get command to run and exits 1.

set -u

build_pkgs="libncurses-dev libgnutls28-dev libreadline-dev libpcre2-dev
	pkg-config gcc make"
# sasl2-bin (saslpasswd2), libsasl2-modules (PLAIN LOGIN CRAM-MD5) and
# libsasl2-modules-db (the sasldb auxprop plugin) give the private Postfix of
# tests/lib/peers.sh its AUTH; swaks needs the three Perl modules for TLS,
# IPv6 and SASL.
test_pkgs="$build_pkgs postfix sasl2-bin libsasl2-modules libsasl2-modules-db
	swaks libnet-ssleay-perl libio-socket-inet6-perl libauthen-sasl-perl
	python3 python3-aiosmtpd gnutls-bin openssl tmux iproute2 util-linux
	procps ncurses-base dnsmasq bind9-dnsutils"
# time: /usr/bin/time, for the peak RSS in the replay benchmark.
bench_pkgs="$test_pkgs hyperfine time"

case ${1-} in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
bench) want=$bench_pkgs ;;
*)
	echo "usage: sh share/deps.sh build|test|bench" >&2
	exit 2
	;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	echo "deps.sh: not a Debian system; make sure these are installed:" \
	    $want >&2
	exit 0
fi

# One dpkg-query for all: the installed ones print "NAME ii".
# shellcheck disable=SC2086,SC2016
installed=" $(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $want \
    2>/dev/null | awk '$2 ~ /^ii/ { printf "%s ", $1 }')"
missing=
for p in $want; do
	case $installed in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
missing=${missing# }

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages; install them with:" >&2
	echo "sudo apt-get install -y --no-install-recommends $missing"
	exit 1
fi

echo "deps.sh: installing $missing" >&2

# Keep services from starting while installing: a policy-rc.d of our own,
# only if there is none, removed afterwards.
policy=/usr/sbin/policy-rc.d
ours=
# shellcheck disable=SC2317
cleanup()
{
	if [ -n "$ours" ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ ! -e "$policy" ]; then
	ours=1
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi

# Postfix writes no system configuration: the tests run private instances.
echo 'postfix postfix/main_mailer_type select No configuration' |
    debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
apt_opts="-o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0"
# shellcheck disable=SC2086
if ! apt-get $apt_opts -q update >&2; then
	echo "deps.sh: apt-get update failed, trying once more" >&2
	sleep 5
	apt-get $apt_opts -q update >&2 || exit 1
fi
# shellcheck disable=SC2086
apt-get $apt_opts -q install -y --no-install-recommends $missing >&2 ||
    exit 1
exit 0
