# lib.sh -- helpers for the megdns integration tests (sourced by every t_*.sh).
#
# run.sh starts each test in a fresh folder $T inside a private network namespace, with the
# daemon at $MEGDNS. Everything a test starts is recorded in $T/pids and ended by PID in the
# EXIT trap (never by name). Assertions do not stop the test: they print "FAIL: ..." with
# the full dig output and the test exits 1 from `finish`. `die` stops at once.
#
# Addresses used by the tests (all on the namespace's loopback):
#   megdns   127.0.0.1@53 (+ ::1@53)        clients play views with dig -b 127.0.0.x
#   NSD      127.0.0.10, .11, .12 @53       Unbound 127.0.0.20@53 (+ .21)   fakedns 127.0.0.30@53
# shellcheck shell=bash
set -u

: "${T:=$(mktemp -d "${TMPDIR:-/tmp}/megdns-it.XXXXXX")}"
: "${IT_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
: "${MEGDNS:=/work/main/build/megdns}"
export PATH="$PATH:/usr/sbin:/sbin"
cd "$T" || exit 1

IT_FAILS=0
IT_CHECKS=0
MADDR=127.0.0.1 # where dq sends queries (megdns)
MPORT=53
MEGDNS_PID=
MEGDNS_LOG=$T/megdns.log
MEGDNS_RC=
declare -A NSD_PID=()
declare -A NSD_KIDS=()
IT_NETNS=() # network namespaces to delete at exit
IT_LINKS=() # links in the test's namespace to delete at exit

# --- reporting ------------------------------------------------------------------------------
note() { echo "# $*"; }
ok() {
	IT_CHECKS=$((IT_CHECKS + 1))
	echo "ok   $*"
}
fail() {
	IT_CHECKS=$((IT_CHECKS + 1))
	IT_FAILS=$((IT_FAILS + 1))
	echo "FAIL $*"
}
die() {
	echo "FATAL $*"
	IT_FAILS=$((IT_FAILS + 1))
	exit 1
}
indent() { sed 's/^/      > /'; }

# Show the last dig (or any) output after a failure.
show_dq() {
	echo "      command: $DQ_CMD"
	printf '%s\n' "$DQ" | indent
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- processes -----------------------------------------------------------------------------
track_pid() { echo "$1" >>"$T/pids"; }

# is_ours PID: the process lives in this test's network namespace or one of its peer
# namespaces, so it is one we started (guards against a recorded PID reused by another process).
is_ours() {
	local ns ino
	ino=$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) || return 1
	[ "$ino" = "$(stat -L -c %i /proc/self/ns/net)" ] && return 0
	for ns in "${IT_NETNS[@]}"; do
		[ "$ino" = "$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)" ] && return 0
	done
	return 1
}

# Ask PID to stop (TERM), give it `grace` seconds, then KILL. Waits until it is gone.
stop_pid() {
	local pid=$1 grace=${2:-3} i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < grace * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local rc=$? pid ns
	trap - EXIT
	if [ "$rc" -eq 0 ] && [ -z "${IT_FINISHED:-}" ]; then
		echo "FAIL the test script ended without reaching finish"
		rc=1
	fi
	if [ -f "$T/pids" ]; then
		# Newest first, so children recorded after their parent go before it.
		local live=()
		for pid in $(tac "$T/pids"); do
			is_ours "$pid" && live+=("$pid")
		done
		for pid in "${live[@]}"; do
			kill -TERM "$pid" 2>/dev/null
		done
		[ ${#live[@]} -gt 0 ] && sleep 0.2
		for pid in "${live[@]}"; do
			kill -0 "$pid" 2>/dev/null && { sleep 1; kill -KILL "$pid" 2>/dev/null; }
		done
	fi
	[ -n "${IT_RESOLV_MOUNTED:-}" ] && umount /etc/resolv.conf 2>/dev/null
	for ns in "${IT_LINKS[@]}"; do
		ip link del "$ns" 2>/dev/null
	done
	for ns in "${IT_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# fake_resolv_conf: bind-mount $T/resolv.conf over /etc/resolv.conf. Only inside run.sh's
# private mount namespace (the host's file is never touched); undone at exit. Write the
# contents to $T/resolv.conf (in place: `cat >`) before or after.
fake_resolv_conf() {
	[ -n "${MEGDNS_IT_INSIDE:-}" ] || die "fake_resolv_conf needs run.sh's private mount namespace"
	touch "$T/resolv.conf"
	mount --bind "$T/resolv.conf" /etc/resolv.conf || die "cannot bind-mount over /etc/resolv.conf"
	IT_RESOLV_MOUNTED=1
}

# --- zone files ------------------------------------------------------------------------------
# zone_soa ORIGIN [MINIMUM] [SOA_TTL] [SERIAL]: the first lines of a zone file (SOA, NS).
zone_soa() {
	local origin=$1 minimum=${2:-300} soattl=${3:-3600} serial=${4:-1}
	cat <<EOF
\$ORIGIN $origin
\$TTL 300
@	$soattl	IN	SOA	ns1.$origin hostmaster.$origin $serial 3600 600 86400 $minimum
@		IN	NS	ns1.$origin
ns1		IN	A	127.0.0.10
EOF
}

# --- DNSSEC: keys and signed zones (ldnsutils) ------------------------------------------------
# dnssec_key ZONE ALG [ksk]: a new key pair for ZONE in $T/keys (ldns-keygen; ALG is a name
# such as ECDSAP256SHA256, RSASHA256, ED25519); "ksk" sets the SEP flag (DNSKEY flags 257).
# Sets DNSSEC_KEY to the key's path without .key/.private (what ldns-signzone takes).
DNSSEC_KEY=
dnssec_key() {
	local zone=$1 alg=$2 role=${3:-} out args=(-a "$2")
	[ "$role" = ksk ] && args+=(-k)
	[[ $alg == RSA* ]] && args+=(-b 2048)
	mkdir -p "$T/keys"
	out=$(cd "$T/keys" && ldns-keygen "${args[@]}" "$zone" 2>&1) || die "ldns-keygen ${args[*]} $zone: $out"
	[ -f "$T/keys/$out.private" ] || die "ldns-keygen ${args[*]} $zone made no key: $out"
	DNSSEC_KEY=$T/keys/$out
}

# dnssec_ds KEY: the DS record (SHA-256 digest) of a key made by dnssec_key, as a zone-file line.
dnssec_ds() { ldns-key2ds -n -2 "$1.key"; }

# dnssec_sign ORIGIN FILE KEYS [LDNS-SIGNZONE OPTIONS...]: sign the zone file FILE with the keys
# (base names, space-separated; a KSK signs the DNSKEY set, a ZSK the rest, a lone key all) into
# FILE.signed. NSEC unless the options say -n. Without -i the signatures start an hour ago, so
# a fresh signature is never "not yet valid" by a second of clock granularity.
dnssec_sign() {
	local origin=$1 file=$2 keys=$3 out
	shift 3
	local opts=("$@")
	[[ " $* " == *" -i "* ]] || opts+=(-i "$(date -u -d '-1 hour' +%Y%m%d%H%M%S)")
	# shellcheck disable=SC2086
	out=$(ldns-signzone "${opts[@]}" -o "$origin" -f "$file.signed" "$file" $keys 2>&1) ||
		die "ldns-signzone ${opts[*]} -o $origin $file: $out"
}

# --- NSD ---------------------------------------------------------------------------------------
# start_nsd NAME ADDR PORT ZONE:FILE... -- an authoritative NSD serving the zone files.
start_nsd() {
	local name=$1 addr=$2 port=$3 z first="" i
	shift 3
	local d="$T/nsd-$name"
	mkdir -p "$d"
	{
		cat <<EOF
server:
	ip-address: $addr@$port
	port: $port
	do-ip4: yes
	do-ip6: $([[ $addr == *:* ]] && echo yes || echo no)
	username: ""
	chroot: ""
	zonesdir: "$d"
	pidfile: "$d/nsd.pid"
	xfrdfile: "$d/xfrd.state"
	xfrdir: "$d"
	zonelistfile: "$d/zone.list"
	database: ""
	logfile: "$d/nsd.log"
	server-count: 1
	verbosity: 1
	hide-version: yes
	reuseport: no
	refuse-any: no
	minimal-responses: no
	round-robin: no
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
EOF
		for z in "$@"; do
			local zname=${z%%:*} zfile=${z#*:}
			[[ $zfile == /* ]] || zfile="$T/$zfile"
			[ -n "$first" ] || first=$zname
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$zname" "$zfile"
		done
	} >"$d/nsd.conf"
	nsd-checkconf "$d/nsd.conf" >"$d/checkconf.out" 2>&1 ||
		die "nsd-checkconf $d/nsd.conf: $(cat "$d/checkconf.out")"
	nsd -d -c "$d/nsd.conf" >>"$d/nsd.out" 2>&1 &
	local pid=$!
	track_pid "$pid"
	NSD_PID[$name]=$pid
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || die "nsd $name exited: $(cat "$d/nsd.out" "$d/nsd.log" 2>/dev/null)"
		if dig +tries=1 +time=1 +norec -p "$port" "@$addr" "$first" SOA 2>/dev/null |
			grep -q 'status: NOERROR'; then
			# Its worker and xfrd children, so cleanup can end them by PID even after a KILL.
			NSD_KIDS[$name]=$(pgrep -P "$pid" | tr '\n' ' ')
			for z in ${NSD_KIDS[$name]}; do track_pid "$z"; done
			note "nsd $name up on $addr@$port (pid $pid)"
			return 0
		fi
		sleep 0.1
	done
	die "nsd $name on $addr@$port does not answer for $first: $(cat "$d/nsd.out" "$d/nsd.log" 2>/dev/null)"
}

stop_nsd() {
	local name=$1 k
	stop_pid "${NSD_PID[$name]}" 3
	for k in ${NSD_KIDS[$name]:-}; do stop_pid "$k" 1; done
	note "nsd $name stopped"
}

# --- Unbound -----------------------------------------------------------------------------------
# start_unbound NAME ADDR PORT: a recursive Unbound; extra `server:` lines come on stdin
# (root-hints:, stub-zone: clauses may follow them as they are printed as given).
start_unbound() {
	local name=$1 addr=$2 port=$3 i
	local d="$T/unbound-$name"
	mkdir -p "$d"
	{
		cat <<EOF
server:
	interface: $addr@$port
	port: $port
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	do-daemonize: no
	use-syslog: no
	logfile: ""
	verbosity: 1
	log-queries: yes
	num-threads: 1
	so-reuseport: no
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	access-control: ::1/128 allow
	do-not-query-localhost: no
	module-config: "iterator"
	qname-minimisation: no
	harden-referral-path: no
	outgoing-range: 64
	num-queries-per-thread: 32
	msg-cache-size: 1m
	rrset-cache-size: 1m
	key-cache-size: 1m
	neg-cache-size: 1m
	infra-cache-numhosts: 100
	trust-anchor-signaling: no
	root-key-sentinel: no
EOF
		cat
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$d/unbound.conf"
	unbound-checkconf "$d/unbound.conf" >"$d/checkconf.out" 2>&1 ||
		die "unbound-checkconf: $(cat "$d/checkconf.out")"
	unbound -d -c "$d/unbound.conf" >>"$d/unbound.log" 2>&1 &
	local pid=$!
	track_pid "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || die "unbound $name exited: $(cat "$d/unbound.log")"
		if dig +tries=1 +time=1 -p "$port" "@$addr" . SOA >/dev/null 2>&1; then
			note "unbound $name up on $addr@$port (pid $pid)"
			UNBOUND_PID=$pid
			return 0
		fi
		sleep 0.1
	done
	die "unbound $name does not answer: $(cat "$d/unbound.log")"
}

# --- a test CA for the TLS tests ---------------------------------------------------------------
# make_test_ca: ca.pem and ca.key in the test folder, valid two days.
make_test_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
		-out ca.pem -days 2 -subj "/CN=megdns test CA" 2>/dev/null || die "openssl could not make a CA"
}
# make_cert NAME CN: NAME.pem and NAME.key for CN (subjectAltName DNS:CN and IP:127.0.0.1),
# signed by the test CA.
make_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=$2" 2>/dev/null
	printf 'subjectAltName=DNS:%s,IP:127.0.0.1\n' "$2" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile "$1.ext" -out "$1.pem" 2>/dev/null || die "openssl could not sign $1"
}

# --- fakedns: a scripted upstream (see fakedns.py) ---------------------------------------------
# start_fakedns NAME ADDR PORT [fakedns.py options...]; its query log is $T/fakedns-NAME.log.
start_fakedns() {
	local name=$1 addr=$2 port=$3 i
	shift 3
	python3 "$IT_DIR/fakedns.py" --addr "$addr" --port "$port" --log "$T/fakedns-$name.log" \
		"$@" >>"$T/fakedns-$name.out" 2>&1 &
	local pid=$!
	track_pid "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || die "fakedns $name exited: $(cat "$T/fakedns-$name.out")"
		[ -f "$T/fakedns-$name.log" ] && grep -q '^ready' "$T/fakedns-$name.log" && {
			FAKEDNS_PID=$pid
			note "fakedns $name up on $addr@$port ($*)"
			return 0
		}
		sleep 0.1
	done
	die "fakedns $name did not start: $(cat "$T/fakedns-$name.out")"
}

# --- megdns ------------------------------------------------------------------------------------
# start_megdns CONFIG [ARGS...]: run the daemon in the background (stderr to $MEGDNS_LOG) and
# wait until it answers at $MADDR@$MPORT (any reply counts, REFUSED too).
# Set MEGDNS_READY_ARGS (extra dig args, e.g. "-b 127.0.0.2") to change the readiness probe.
start_megdns() {
	local conf=$1 i
	shift
	echo "=== megdns -c $conf $*" >>"$MEGDNS_LOG"
	MEGDNS_LOG_MARK=$(wc -l <"$MEGDNS_LOG") # expect_log looks at this run's lines only
	# MEGDNS_CWD: start it from another folder (relative paths must not depend on the cwd).
	# MEGDNS_NOFILE: run it under that open file limit (ulimit -n).
	(cd "${MEGDNS_CWD:-.}" && { [ -z "${MEGDNS_NOFILE:-}" ] || ulimit -n "$MEGDNS_NOFILE"; } &&
		exec "$MEGDNS" -c "$conf" "$@") >>"$MEGDNS_LOG" 2>&1 &
	MEGDNS_PID=$!
	track_pid "$MEGDNS_PID"
	for ((i = 0; i < 150; i++)); do
		if ! kill -0 "$MEGDNS_PID" 2>/dev/null; then
			wait "$MEGDNS_PID"
			local rc=$?
			MEGDNS_PID=
			die "megdns exited at start (status $rc); log:
$(indent <"$MEGDNS_LOG")"
		fi
		# shellcheck disable=SC2086
		if dig +tries=1 +time=1 -p "$MPORT" "@$MADDR" ${MEGDNS_READY_ARGS:-} \
			CH TXT view.megdns. >/dev/null 2>&1; then
			note "megdns up (pid $MEGDNS_PID, $MADDR@$MPORT)"
			return 0
		fi
		sleep 0.1
	done
	die "megdns does not answer on $MADDR@$MPORT; log:
$(indent <"$MEGDNS_LOG")"
}

# stop_megdns [SIGNAL]: signal the daemon (TERM), wait up to 5 s. Sets MEGDNS_RC (exit
# status, or "running" when it did not stop) and MEGDNS_STOP_MS (ms until it was gone).
stop_megdns() {
	local sig=${1:-TERM} t0 i
	MEGDNS_RC=
	[ -n "$MEGDNS_PID" ] || return 0
	t0=$(now_ms)
	kill -"$sig" "$MEGDNS_PID" 2>/dev/null
	for ((i = 0; i < 500; i++)); do
		kill -0 "$MEGDNS_PID" 2>/dev/null || break
		sleep 0.01
	done
	MEGDNS_STOP_MS=$(($(now_ms) - t0))
	if kill -0 "$MEGDNS_PID" 2>/dev/null; then
		MEGDNS_RC=running
		kill -KILL "$MEGDNS_PID" 2>/dev/null
		wait "$MEGDNS_PID" 2>/dev/null
	else
		wait "$MEGDNS_PID"
		MEGDNS_RC=$?
	fi
	MEGDNS_PID=
}

# megdns_hup: SIGHUP, then give the reload a moment (it is synchronous in the loop).
megdns_hup() {
	kill -HUP "$MEGDNS_PID"
	sleep 0.5
}

megdns_alive() { [ -n "$MEGDNS_PID" ] && kill -0 "$MEGDNS_PID" 2>/dev/null; }

expect_alive() {
	if megdns_alive; then ok "megdns still running ${1:-}"; else
		fail "megdns is not running any more ${1:-}; log:"
		indent <"$MEGDNS_LOG"
	fi
}

# --- megdns-control -----------------------------------------------------------------------
# ctl ARGS...: megdns-control -s $CTL_SOCK ARGS (bounded to 10 s); stdout in $CTL_OUT, stderr
# in $CTL_ERR, exit status in $CTL_RC. CTL_SOCK is where the tests' configs put control.socket.
MEGDNS_CONTROL=${MEGDNS_CONTROL:-$(dirname "$MEGDNS")/megdns-control}
CTL_SOCK=$T/control.sock
CTL_OUT=
CTL_ERR=
CTL_RC=0
CTL_CMD=
ctl() {
	CTL_CMD="megdns-control -s $CTL_SOCK $*"
	CTL_OUT=$(timeout 10 "$MEGDNS_CONTROL" -s "$CTL_SOCK" "$@" 2>"$T/ctl.stderr")
	CTL_RC=$?
	CTL_ERR=$(cat "$T/ctl.stderr")
}
# ctl_raw ARGS...: the same without -s (to test -c and the tool's own usage errors).
ctl_raw() {
	CTL_CMD="megdns-control $*"
	CTL_OUT=$(timeout 10 "$MEGDNS_CONTROL" "$@" 2>"$T/ctl.stderr")
	CTL_RC=$?
	CTL_ERR=$(cat "$T/ctl.stderr")
}
show_ctl() {
	echo "      command: $CTL_CMD (exit $CTL_RC)"
	[ -z "$CTL_OUT" ] || { echo "      stdout:"; printf '%s\n' "$CTL_OUT" | indent; }
	[ -z "$CTL_ERR" ] || { echo "      stderr:"; printf '%s\n' "$CTL_ERR" | indent; }
}
expect_ctl_rc() { # WANT DESC: the exit status of the last ctl
	if [ "$CTL_RC" = "$1" ]; then ok "$2 (exit $1)"; else
		fail "$2: expected exit $1, got $CTL_RC"
		show_ctl
	fi
}
expect_ctl_out() { # REGEX DESC: a line of the last ctl's stdout matches (extended)
	if printf '%s\n' "$CTL_OUT" | grep -Eq -- "$1"; then ok "$2"; else
		fail "$2: no stdout line matches /$1/"
		show_ctl
	fi
}
expect_ctl_no_out() { # REGEX DESC: no line of the last ctl's stdout matches
	if ! printf '%s\n' "$CTL_OUT" | grep -Eq -- "$1"; then ok "$2"; else
		fail "$2: a stdout line unexpectedly matches /$1/"
		show_ctl
	fi
}
expect_ctl_err() { # REGEX DESC: a line of the last ctl's stderr matches
	if printf '%s\n' "$CTL_ERR" | grep -Eq -- "$1"; then ok "$2"; else
		fail "$2: no stderr line matches /$1/"
		show_ctl
	fi
}
# ctl_block HEADER-REGEX: the lines of $CTL_OUT from the first line matching HEADER-REGEX up to
# the next line that is not indented (e.g. one view of `explain`, or its "cache" part).
ctl_block() {
	printf '%s\n' "$CTL_OUT" | awk -v re="$1" 'f && !/^[[:space:]]/ { exit } f { print } !f && $0 ~ re { f = 1; print }'
}
# ctl_value KEY: the value of "KEY VALUE" in the last ctl's stdout (stats).
ctl_value() { printf '%s\n' "$CTL_OUT" | awk -v k="$1" '$1 == k { print $2; exit }'; }

# --- dig -----------------------------------------------------------------------------------------
# dq [DIG ARGS...]: query megdns ($MADDR@$MPORT); output in $DQ, dig's status in $DQ_RC.
# dqs ADDR PORT [DIG ARGS...]: the same for any server.
DQ=
DQ_RC=0
DQ_CMD=
dqs() {
	local addr=$1 port=$2
	shift 2
	DQ_CMD="dig +tries=1 +time=2 -p $port @$addr $*"
	DQ=$(dig +tries=1 +time=2 -p "$port" "@$addr" "$@" 2>&1)
	DQ_RC=$?
}
dq() { dqs "$MADDR" "$MPORT" "$@"; }

# dqn NETNS ADDR PORT [DIG ARGS...]: like dqs, from inside another network namespace.
dqn() {
	local ns=$1 addr=$2 port=$3
	shift 3
	DQ_CMD="ip netns exec $ns dig +tries=1 +time=2 -p $port @$addr $*"
	DQ=$(ip netns exec "$ns" dig +tries=1 +time=2 -p "$port" "@$addr" "$@" 2>&1)
	DQ_RC=$?
}

# peer_netns NAME: a network namespace for a client on the other end of a veth pair (see
# veth_pair); deleted at exit.
peer_netns() {
	[ -n "${MEGDNS_IT_NETNS_PRIVATE:-}" ] || die "peer namespaces need run.sh's private /run/netns"
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || die "ip netns add $1 failed"
	IT_NETNS+=("$1")
	ip netns exec "$1" ip link set lo up
}

# veth_pair HOSTDEV HOSTADDR/LEN NETNS PEERDEV PEERADDR/LEN...: a veth pair, one end here with
# HOSTADDR, the other in NETNS with every PEERADDR given (IPv6 without DAD delay).
veth_pair() {
	local hdev=$1 haddr=$2 ns=$3 pdev=$4 a
	shift 4
	ip link del "$hdev" 2>/dev/null
	ip link add "$hdev" type veth peer name "$pdev" || die "ip link add $hdev failed"
	IT_LINKS+=("$hdev")
	ip link set "$pdev" netns "$ns" || die "moving $pdev to $ns failed"
	for a in $haddr; do
		if [[ $a == *:* ]]; then ip addr add "$a" dev "$hdev" nodad; else ip addr add "$a" dev "$hdev"; fi
	done
	ip link set "$hdev" up
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip netns exec "$ns" ip addr add "$a" dev "$pdev" nodad
		else
			ip netns exec "$ns" ip addr add "$a" dev "$pdev"
		fi
	done
	ip netns exec "$ns" ip link set "$pdev" up
}

# dig_short ARGS...: the +short answer of megdns (one record per line).
dig_short() { dig +tries=1 +time=2 -p "$MPORT" "@$MADDR" +short "$@" 2>&1; }

dq_status() { printf '%s\n' "$DQ" | sed -n 's/.*status: \([A-Z0-9]*\),.*/\1/p' | head -n1; }
dq_flags() { printf '%s\n' "$DQ" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' | head -n1; }
# dq_section ANSWER|AUTHORITY|ADDITIONAL: the records of that section.
dq_section() {
	printf '%s\n' "$DQ" | awk -v s=";; $1 SECTION:" '$0 == s { f = 1; next } f && /^$/ { exit } f'
}
# dq_count ANSWER|AUTHORITY|ADDITIONAL: the header count ("ANSWER: 2").
dq_count() { printf '%s\n' "$DQ" | sed -n "s/^;; flags:.* $1: \([0-9]*\).*/\1/p" | head -n1; }
# dq_ttl SECTION NAME TYPE: TTL of the first such record (names as dig prints them).
dq_ttl() { dq_section "$1" | awk -v n="$2" -v t="$3" 'tolower($1) == tolower(n) && $4 == t { print $2; exit }'; }

# --- assertions -------------------------------------------------------------------------------
# Each takes a description (what user-visible behaviour is checked) as its last argument.
expect_status() {
	local want=$1 desc=$2 got
	got=$(dq_status)
	if [ "$got" = "$want" ]; then ok "$desc (status $want)"; else
		fail "$desc: expected status $want, got '${got:-no reply}'"
		show_dq
	fi
}

expect_flag() {
	local f=$1 desc=$2
	if [[ " $(dq_flags) " == *" $f "* ]]; then ok "$desc (flag $f set)"; else
		fail "$desc: expected flag '$f' in '$(dq_flags)'"
		show_dq
	fi
}

expect_noflag() {
	local f=$1 desc=$2
	if [ -n "$(dq_flags)" ] && [[ " $(dq_flags) " != *" $f "* ]]; then ok "$desc (flag $f clear)"; else
		fail "$desc: expected no flag '$f' in '$(dq_flags)' (or no reply)"
		show_dq
	fi
}

# expect_answer REGEX DESC: a record of the answer section matches REGEX (extended).
expect_answer() {
	local re=$1 desc=$2
	if dq_section ANSWER | grep -Eiq -- "$re"; then ok "$desc"; else
		fail "$desc: no answer record matching /$re/"
		show_dq
	fi
}

expect_no_answer_match() {
	local re=$1 desc=$2
	if [ -n "$(dq_status)" ] && ! dq_section ANSWER | grep -Eiq -- "$re"; then ok "$desc"; else
		fail "$desc: an answer record matches /$re/ (or no reply)"
		show_dq
	fi
}

expect_answer_count() {
	local n=$1 desc=$2 got
	got=$(dq_count ANSWER)
	if [ "$got" = "$n" ]; then ok "$desc ($n answer records)"; else
		fail "$desc: expected ANSWER: $n, got '${got:-no reply}'"
		show_dq
	fi
}

# expect_section SECTION REGEX DESC
expect_section() {
	local sec=$1 re=$2 desc=$3
	if dq_section "$sec" | grep -Eiq -- "$re"; then ok "$desc"; else
		fail "$desc: no $sec record matching /$re/"
		show_dq
	fi
}

# expect_out REGEX DESC / expect_no_out REGEX DESC: anywhere in dig's output.
expect_out() {
	local re=$1 desc=$2
	if printf '%s\n' "$DQ" | grep -Eq -- "$re"; then ok "$desc"; else
		fail "$desc: dig output does not match /$re/"
		show_dq
	fi
}

expect_no_out() {
	local re=$1 desc=$2
	if ! printf '%s\n' "$DQ" | grep -Eq -- "$re"; then ok "$desc"; else
		fail "$desc: dig output unexpectedly matches /$re/"
		show_dq
	fi
}

expect_reply() {
	if [ "$DQ_RC" -eq 0 ] && [ -n "$(dq_status)" ]; then ok "$1 (got a reply)"; else
		fail "$1: no reply (dig exit $DQ_RC)"
		show_dq
	fi
}

expect_ede() { # CODE DESC: dig prints "; EDE: 18 (Prohibited)..."
	expect_out "EDE: $1( |\$)" "$2 (EDE $1)"
}

assert_eq() {
	local got=$1 want=$2 desc=$3
	if [ "$got" = "$want" ]; then ok "$desc (= $want)"; else
		fail "$desc: expected '$want', got '$got'"
		[ $# -ge 4 ] && printf '%s\n' "$4" | indent
	fi
}

assert_match() { # STRING REGEX DESC [CONTEXT]
	local s=$1 re=$2 desc=$3
	if printf '%s\n' "$s" | grep -Eq -- "$re"; then ok "$desc"; else
		fail "$desc: /$re/ not found in:"
		printf '%s\n' "$s" | indent
		[ $# -ge 4 ] && printf '%s\n' "$4" | indent
	fi
}

assert_no_match() { # STRING REGEX DESC
	local s=$1 re=$2 desc=$3
	if ! printf '%s\n' "$s" | grep -Eq -- "$re"; then ok "$desc"; else
		fail "$desc: /$re/ unexpectedly found in:"
		printf '%s\n' "$s" | indent
	fi
}

# assert_range VALUE MIN MAX DESC [CONTEXT]: integer MIN <= VALUE <= MAX.
assert_range() {
	local v=$1 lo=$2 hi=$3 desc=$4
	if [[ $v =~ ^-?[0-9]+$ ]] && [ "$v" -ge "$lo" ] && [ "$v" -le "$hi" ]; then
		ok "$desc ($v in [$lo, $hi])"
	else
		fail "$desc: expected a value in [$lo, $hi], got '$v'"
		[ $# -ge 5 ] && printf '%s\n' "$5" | indent
	fi
}

# log_has REGEX: a line of megdns's stderr since the last start_megdns matches.
log_has() {
	tail -n +"$((${MEGDNS_LOG_MARK:-0} + 1))" "$MEGDNS_LOG" | grep -Eq -- "$1"
}

# expect_log REGEX DESC: a line of megdns's stderr (since the last start_megdns) matches,
# within 3 s: megdns answers as soon as its workers listen, while the main thread may still
# be writing what it did at start (dropping privileges, say).
expect_log() {
	local re=$1 desc=$2
	if wait_for 3 log_has "$re"; then ok "$desc"; else
		fail "$desc: no megdns log line (of this run) matches /$re/; log:"
		tail -n +"$((${MEGDNS_LOG_MARK:-0} + 1))" "$MEGDNS_LOG" | indent
	fi
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds; false on timeout.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# --- the end of every test ------------------------------------------------------------------
# finish: stop megdns (it must exit 0 on SIGTERM), check its log for sanitizer reports and
# crashes, print the count and exit 1 when any check failed.
finish() {
	if [ -n "$MEGDNS_PID" ]; then
		if ! megdns_alive; then
			wait "$MEGDNS_PID"
			fail "megdns died during the test (status $?)"
			MEGDNS_PID=
		else
			stop_megdns TERM
			assert_eq "$MEGDNS_RC" 0 "megdns exits 0 on SIGTERM at the end of the test"
		fi
	fi
	if [ -f "$MEGDNS_LOG" ] && grep -Eq 'Sanitizer|runtime error:|SUMMARY:|Segmentation|Aborted' "$MEGDNS_LOG"; then
		fail "megdns log has a sanitizer report or crash:"
		indent <"$MEGDNS_LOG"
	fi
	echo "# $TEST_NAME: $((IT_CHECKS - IT_FAILS)) of $IT_CHECKS checks passed"
	IT_FINISHED=1
	[ "$IT_FAILS" -eq 0 ] || exit 1
	exit 0
}
: "${TEST_NAME:=$(basename "$0" .sh)}"
