#!/usr/bin/env bash
# megdns vs Unbound, side by side in one run: cache hits, cache misses, latency, memory and
# instructions per query, printed as one Markdown table (see contrib/bench/README.md).
#
#   bash contrib/bench/bench.sh [--quick] [--megdns PATH | --build DIR] [--out FILE] [--keep]
#                               [--edns] [--no-callgrind] [--time-limit SECS]
#
# Run as root (or where `unshare -r -n` works) on a machine with 2+ cores; the default run
# takes about 2 minutes and is ended after --time-limit (300) seconds; --quick about 50 s.
# It builds nothing and installs nothing: a missing tool or binary is reported with the
# command that provides it. Progress goes to stderr, the report to stdout (and --out FILE).
#
# Setup. The script re-executes itself in a private network namespace (`unshare -n`, then
# `ip link set lo up`): every packet stays on that namespace's loopback, port 53 is free, and
# the namespace goes away with the run. It stops only the processes it started, by PID.
# Inside, on 127.0.0.0/8:
#   NSD     127.0.0.2  authoritative for bench.test. (SOA, NS, n0..n199999 A; TTL 3600),
#                      minimal-responses (the answer only: both servers then send the
#                      same 47-byte answers; Unbound strips authority and additional
#                      records by default, megdns passes what its upstream sent)
#   megdns  127.0.0.3  upstreams: [NSD], one catch-all view, cache.size 64MiB,
#                      dnssec.validation: false (Unbound below runs no validator either)
#   Unbound 127.0.0.4  num-threads 1, forward-zone "." -> NSD, module-config "iterator",
#                      msg-cache 128m / rrset-cache 256m, access-control 127.0.0.0/8 allow,
#                      qname-minimisation off (megdns forwards whole names), local-zone
#                      "test." nodefault (else Unbound answers test. itself); else defaults
# In phases A-C and E each server runs one thread pinned to core 1 (taskset -c 1); dnsperf and
# NSD are pinned to core 0. Phase D (threads) pins nothing but NSD. Phases alternate megdns,
# Unbound, megdns, Unbound..., so a slow drift of the machine touches both. Nothing else
# should run meanwhile (the report shows the load average).
#
# Method, per server (one row of the table each):
#   A. Fresh start. RSS idle: VmRSS (/proc/PID/status) 1 s after the first answer.
#      Warm the 1,000 hit names (n0..n999, one pass), then `dnsperf -c 4 -q 200 -l 15`
#      replays them. Cache-hit QPS: dnsperf's "Queries per second". Server CPU share: delta
#      of utime+stime in /proc/PID/stat (all threads) across the dnsperf run, divided by
#      dnsperf's run time, in % of one core. Queries per server CPU-second: queries completed / server CPU seconds (the
#      same as QPS / CPU share). Then `dnsperf -Q 20000 -l 10 -v` replays the hit names at a
#      fixed 20,000 QPS; p50/p99 are the percentiles of the per-query latencies that -v
#      prints (dnsperf 2.10 has no histogram option); they include dnsperf's own delays.
#   B. Restart (cold cache). `dnsperf -c 4 -q 200 -n 1` sends 100,000 distinct names once,
#      each forwarded to NSD: cache-miss QPS. RSS 1 s later: RSS with 100,000 names cached.
#      A replay of the same names then checks they are still cached (notes: the NSD CPU
#      spent meanwhile; 0 ticks means every answer came from the cache).
#   C. Start under `valgrind --tool=callgrind`, warm the hit names, `callgrind_control -z`
#      (zero the counters), replay them 20 times with at most 20 queries outstanding
#      (20,000 queries; none may be lost), `callgrind_control -d` (dump). Instructions per
#      cache-hit query: the dump's Ir summary / queries completed. That counts user-space
#      instructions (server, libc, libuv/libevent, OpenSSL), not the kernel's. `perf stat -e
#      instructions` is not used: it counts nothing on many VMs, and callgrind's counts do
#      not vary with the load of a shared machine. Then, on the same process, the same count
#      for 10,000 names no phase asked before (n50000...), each a cache miss forwarded to NSD:
#      instructions per cache-miss query (the server's only; NSD's are not counted).
#   D. Threads (megdns 1, 2, Unbound 2, 1 threads; server and dnsperf not pinned). Start with
#      server.threads / num-threads T, warm the hit names over 16 sockets, then `dnsperf -T 2
#      -c 16 -q 100 -l 10`: QPS per wall-second, the server's CPU (all its threads, so up to
#      200 % of one core), queries per server CPU-second, and the ratio 2 threads / 1 thread
#      of the latter (1.00: a second thread answers as cheaply as the first, no contention).
#      The per-thread CPU (/proc/PID/task/*/stat) checks that both threads answered. The
#      issue's "2 threads answer >= 1.7x the queries per wall-second" cannot be shown here:
#      on 2 cores dnsperf needs about one core itself (see README.md).
#   E. megdns only, 1 thread, pinned. With cache.size 64KiB, fill with 100,000 distinct names
#      (dnsperf -c 4 -q 200): the RSS growth is the miss path's own memory, the fixed
#      overhead. Then with cache.size 4MiB: RSS idle, RSS after 100,000 distinct names (about
#      three times what fits), after 100,000 more; the growth is checked against 4 MiB +
#      1 MiB slack (loudly), and also less the fixed overhead. The last 10,000 names are then
#      replayed: NSD must spend no CPU (the cache still holds what fits).
# Figures vary about ±15 % between runs on a shared machine: compare within one run.
#
# Options:
#   --quick           smoke run: 3 s phases, 20,000 miss names, 2,000 callgrind queries
#                     (the cache-bound phase E still uses 100,000 names)
#   --megdns PATH     the megdns binary (default: BUILD/megdns)
#   --build DIR       a build folder holding megdns (default: <repo>/build)
#   --out FILE        also write the report to FILE
#   --keep            keep the work folder (configs, logs, dnsperf outputs)
#   --edns            dnsperf sends EDNS(0) (default: plain queries, like a libc stub)
#   --no-callgrind    skip the instructions row
#   --time-limit S    hard bound on the whole run in seconds (default 300)
# Build megdns first (Release is what the README reports):
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C
BUILD_HINT="cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build"

usage() {
	sed -n '/^# Options:/,/^# Build megdns/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	echo "  $BUILD_HINT"
}

ORIG_ARGS=("$@")
QUICK=0 MEGDNS="" BUILD="" OUT="" KEEP=0 EDNS=0 CALLGRIND=1 TIME_LIMIT=300
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--megdns) MEGDNS=${2:?--megdns needs a path}; shift ;;
	--megdns=*) MEGDNS=${1#*=} ;;
	--build) BUILD=${2:?--build needs a folder}; shift ;;
	--build=*) BUILD=${1#*=} ;;
	--out) OUT=${2:?--out needs a file}; shift ;;
	--out=*) OUT=${1#*=} ;;
	--keep) KEEP=1 ;;
	--edns) EDNS=1 ;;
	--no-callgrind) CALLGRIND=0 ;;
	--time-limit) TIME_LIMIT=${2:?--time-limit needs seconds}; shift ;;
	--time-limit=*) TIME_LIMIT=${1#*=} ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench: unknown argument: $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $TIME_LIMIT =~ ^[0-9]+$ ]] || { echo "bench: --time-limit takes seconds" >&2; exit 2; }
[ -n "$MEGDNS" ] || MEGDNS=${BUILD:-$ROOT/build}/megdns
[[ $MEGDNS == /* ]] || MEGDNS=$PWD/$MEGDNS
[ -z "$OUT" ] || [[ $OUT == /* ]] || OUT=$PWD/$OUT

log() { echo "bench: $(date +%T) $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# --- outside: check, then re-execute in a private network namespace -------------------------
if [ -z "${MEGDNS_BENCH_INSIDE:-}" ]; then
	missing=() pkgs=()
	need() { # need TOOL PACKAGE
		command -v "$1" >/dev/null 2>&1 && return
		missing+=("$1")
		[[ " ${pkgs[*]} " == *" $2 "* ]] || pkgs+=("$2")
	}
	need nsd nsd
	need nsd-checkconf nsd
	need unbound unbound
	need unbound-checkconf unbound
	need dnsperf dnsperf
	need dig bind9-dnsutils
	need taskset util-linux
	need unshare util-linux
	need ip iproute2
	need timeout coreutils
	need getconf libc-bin
	need awk mawk
	if [ "$CALLGRIND" = 1 ]; then
		need valgrind valgrind
		need callgrind_control valgrind
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		echo "bench: missing: ${missing[*]}" >&2
		echo "bench: install them with:  apt-get install -y ${pkgs[*]}" >&2
		exit 1
	fi
	if [ ! -x "$MEGDNS" ]; then
		echo "bench: no megdns binary at $MEGDNS; build it first (in $ROOT):" >&2
		echo "  $BUILD_HINT" >&2
		echo "or name one with --megdns PATH or --build DIR" >&2
		exit 1
	fi
	ns_args=(-n)
	[ "$(id -u)" -ne 0 ] && ns_args=(-r -n)
	unshare "${ns_args[@]}" true 2>/dev/null ||
		die "cannot create a network namespace (unshare ${ns_args[*]}): run as root"
	cmd="bash ${BASH_SOURCE[0]#"$ROOT"/}"
	[ ${#ORIG_ARGS[@]} -gt 0 ] && cmd+=" $(printf '%q ' "${ORIG_ARGS[@]}")"
	export MEGDNS_BENCH_INSIDE=1 MEGDNS_BENCH_CMD="${cmd% }"
	MEGDNS_BENCH_START=$(date +%s.%N)
	MEGDNS_BENCH_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
	awk '{ exit !($1 > 0.5) }' /proc/loadavg &&
		log "warning: load average ${MEGDNS_BENCH_LOAD%% *}: something else runs; figures will suffer"
	export MEGDNS_BENCH_START MEGDNS_BENCH_LOAD
	# timeout ends the namespace's shell (TERM) when the bound is reached, and passes on a
	# TERM sent to it; that shell's EXIT trap then stops what it started. timeout runs in a
	# process group of its own, so Ctrl-C reaches this shell, which passes it on as TERM.
	timeout -k 15 "$TIME_LIMIT" unshare "${ns_args[@]}" -- "$BASH" "${BASH_SOURCE[0]}" \
		"${ORIG_ARGS[@]}" &
	tpid=$!
	trap 'kill -TERM "$tpid" 2>/dev/null' INT TERM HUP
	wait "$tpid"
	rc=$?
	while kill -0 "$tpid" 2>/dev/null; do # wait was interrupted by a signal
		wait "$tpid"
		rc=$?
	done
	[ $rc -eq 124 ] && echo "bench: stopped after the --time-limit of ${TIME_LIMIT}s" >&2
	exit $rc
fi

# --- inside the private network namespace ----------------------------------------------------
ip link set lo up || die "cannot bring lo up in the namespace"

if [ "$QUICK" = 1 ]; then
	HIT_SECS=3 LAT_SECS=3 MISS_N=20000 CG_PASSES=2 CG_MISS_N=2000 MISS_LIMIT=60 SCALE_SECS=3
else
	HIT_SECS=15 LAT_SECS=10 MISS_N=100000 CG_PASSES=20 CG_MISS_N=10000 MISS_LIMIT=100 SCALE_SECS=10
fi
HIT_N=1000 ZONE_N=200000 LAT_QPS=20000
LOAD=(-c 4 -q 200) # enough outstanding queries to keep a one-thread server busy
# Thread scaling: one dnsperf with two threads, unpinned like the server. 16 sockets (source
# ports) so SO_REUSEPORT's hash of the client address spreads them over both server threads;
# 100 queries outstanding keep two server threads busy, while 400 overflow a server socket's
# receive buffer in dnsperf's first burst (each lost query then holds a slot for -t seconds).
SCALE_LOAD=(-T 2 -c 16 -q 100)
# Cache bound: megdns with a small cache, filled twice with 100,000 distinct names (about
# three times what fits), also in --quick (the check means nothing unless the cache overflows).
BOUND_SIZE_MIB=4 BOUND_SLACK_MIB=1 BOUND_N=100000 BOUND_REPLAY=10000
NSD_ADDR=127.0.0.2
declare -A ADDR=([megdns]=127.0.0.3 [unbound]=127.0.0.4)
SERVERS=(megdns unbound)
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
SCPU=1 CCPU=0
if [ "$NCPU" -lt 2 ]; then
	SCPU=0
	log "warning: one core only: server and dnsperf share it"
fi
DNSPERF_EXTRA=()
[ "$EDNS" = 1 ] && DNSPERF_EXTRA=(-e)

W=$(mktemp -d "${TMPDIR:-/tmp}/megdns-bench.XXXXXX") || die "cannot make a work folder"
STARTED=() # PIDs this run started and that may still run; stopped by PID at exit
OWN_NET=$(stat -L -c %i /proc/self/ns/net)
# ours PID: it runs in this run's network namespace (so a reused PID is never signalled).
ours() { [ "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" = "$OWN_NET" ]; }
forget() { # forget PID: it has ended
	local i
	for i in "${!STARTED[@]}"; do
		[ "${STARTED[i]}" = "$1" ] && unset 'STARTED[i]'
	done
}
cleanup() {
	local pid i live=() pids=("${STARTED[@]}")
	trap - EXIT
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do # newest first
		pid=${pids[i]}
		ours "$pid" && { kill -TERM "$pid" 2>/dev/null; live+=("$pid"); }
	done
	for pid in "${live[@]}"; do
		for ((i = 0; i < 40; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		ours "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	if [ "$KEEP" = 1 ]; then
		log "work folder kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# stop_pid PID: TERM, up to 5 s, then KILL; waits until it is gone.
stop_pid() {
	local pid=$1 i
	if ours "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		ours "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	forget "$pid"
	return 0
}

# cpu_ticks PID...: utime+stime of the processes (all their threads), in clock ticks.
cpu_ticks() {
	local pid sum=0 t
	for pid in "$@"; do
		t=$(user_sys "$pid" | awk '{ print $1 + $2 }')
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}
# user_sys PID: "utime stime" in clock ticks (fields after "(comm) ": utime 12, stime 13).
user_sys() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12, $13 }'; }
# task_ticks PID: "TID utime+stime" of each of its threads (/proc/PID/task/TID/stat).
task_ticks() {
	local t
	for t in /proc/"$1"/task/*; do
		sed 's/^.*) //' "$t/stat" 2>/dev/null | awk -v tid="${t##*/}" '{ print tid, $12 + $13 }'
	done
}
# udp_drops: datagrams the kernel dropped because a socket's receive buffer was full (this
# namespace's /proc/net/snmp, Udp RcvbufErrors).
udp_drops() {
	awk '$1 == "Udp:" { if (!k) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") k = i }
		else { print $k; exit } }' /proc/net/snmp
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# core_stat N: "busy total" jiffies of core N from /proc/stat; core_stat "" for all cores.
core_stat() {
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i;
		print t - $5 - $6, t }' /proc/stat
}
now() { date +%s.%N; }

# dp NAME ADDR DNSPERF-ARGS...: dnsperf on the client core (on any core when DP_CPU is set
# to ""); output in $W/NAME.out.
DP_CPU=$CCPU
dp() {
	local name=$1 addr=$2
	shift 2
	local pid rc pin=()
	[ -n "$DP_CPU" ] && pin=(taskset -c "$DP_CPU")
	# In the background, so that a TERM (time limit, Ctrl-C) is handled at once.
	"${pin[@]}" dnsperf -s "$addr" -p 53 "${DNSPERF_EXTRA[@]}" "$@" \
		>"$W/$name.out" 2>"$W/$name.err" &
	pid=$!
	STARTED+=("$pid")
	wait "$pid"
	rc=$?
	forget "$pid"
	return $rc
}
# dpv NAME FIELD: one figure of a dnsperf summary.
dpv() {
	local f=$W/$1.out
	case $2 in
	sent) awk '/^ *Queries sent:/ { print $3 }' "$f" ;;
	completed) awk '/^ *Queries completed:/ { print $3 }' "$f" ;;
	lost) awk '/^ *Queries lost:/ { print $3 }' "$f" ;;
	qps) awk '/^ *Queries per second:/ { printf "%.0f\n", $4 }' "$f" ;;
	runtime) awk '/^ *Run time \(s\):/ { print $4 }' "$f" ;;
	rcodes) sed -n 's/^ *Response codes: *//p' "$f" ;;
	rsize) sed -n 's/^ *Average packet size:.*response \([0-9]*\).*/\1/p' "$f" ;;
	esac
}

# wait_ready ADDR PID SECS: until ADDR answers bench.test. SOA (through NSD) with NOERROR.
wait_ready() {
	local addr=$1 pid=$2 secs=$3 end
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		dig +tries=1 +time=1 "@$addr" bench.test. SOA 2>/dev/null | grep -q 'status: NOERROR' &&
			return 0
		sleep 0.1
	done
	return 1
}

# --- data and configs --------------------------------------------------------------------------
awk -v n="$ZONE_N" -v ns="$NSD_ADDR" 'BEGIN {
	print "$ORIGIN bench.test.\n$TTL 3600"
	print "@\tIN\tSOA\tns1 hostmaster 1 3600 600 86400 3600"
	print "@\tIN\tNS\tns1\nns1\tIN\tA\t" ns
	for (i = 0; i < n; i++)
		printf "n%d\tIN\tA\t10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >"$W/bench.test.zone"
awk -v n="$HIT_N" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.bench.test. A\n", i }' >"$W/hit.txt"
awk -v n="$MISS_N" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.bench.test. A\n", 100000 + i }' \
	>"$W/miss.txt"
# Names no other phase asks (n50000...): every one a miss for the callgrind count of misses.
awk -v n="$CG_MISS_N" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.bench.test. A\n", 50000 + i }' \
	>"$W/cgmiss.txt"
awk -v n="$BOUND_N" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.bench.test. A\n", 100000 + i }' \
	>"$W/bound1.txt"
awk -v n="$BOUND_N" 'BEGIN { for (i = 0; i < n; i++) printf "n%d.bench.test. A\n", i }' \
	>"$W/bound2.txt"
tail -n "$BOUND_REPLAY" "$W/bound2.txt" >"$W/bound2.tail.txt"

cat >"$W/nsd.conf" <<EOF
server:
	ip-address: $NSD_ADDR
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$W"
	pidfile: "$W/nsd.pid"
	xfrdfile: "$W/xfrd.state"
	xfrdir: "$W"
	zonelistfile: "$W/zone.list"
	database: ""
	logfile: "$W/nsd.log"
	server-count: 1
	verbosity: 0
	minimal-responses: yes   # answer section only, as a recursive upstream would send
	hide-version: yes
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "bench.test."
	zonefile: "$W/bench.test.zone"
EOF

cat >"$W/megdns.yaml" <<EOF
# megdns side of the benchmark: forward everything to NSD, one catch-all view.
server:
  listen: [${ADDR[megdns]}@53]
  verbosity: 1
upstreams: [$NSD_ADDR@53]
cache:
  size: 64MiB
dnssec:
  validation: false   # Unbound runs module-config "iterator": no validator on either side
views:
  - name: all
EOF

cat >"$W/unbound.conf" <<EOF
# Unbound side of the benchmark: forward everything to NSD, one thread, no validator.
server:
	interface: ${ADDR[unbound]}
	port: 53
	do-ip6: no
	num-threads: 1
	username: ""
	chroot: ""
	directory: "$W"
	pidfile: "$W/unbound.pid"
	do-daemonize: no
	use-syslog: no
	logfile: ""
	verbosity: 1
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	qname-minimisation: no
	local-zone: "test." nodefault   # RFC 6761 default zone: forward it like megdns does
	msg-cache-size: 128m
	rrset-cache-size: 256m
remote-control:
	control-enable: no
forward-zone:
	name: "."
	forward-addr: $NSD_ADDR@53
EOF

# Variants: two threads (thread scaling), and megdns with a small cache (cache bound).
sed 's/^  verbosity: 1$/&\n  threads: 2/' "$W/megdns.yaml" >"$W/megdns-t2.yaml"
sed "s/^  size: 64MiB\$/  size: ${BOUND_SIZE_MIB}MiB/" "$W/megdns.yaml" >"$W/megdns-bound.yaml"
sed "s/^  size: 64MiB\$/  size: 64KiB/" "$W/megdns.yaml" >"$W/megdns-bound0.yaml"
sed 's/^\tnum-threads: 1$/\tnum-threads: 2/' "$W/unbound.conf" >"$W/unbound-t2.conf"
grep -q '^  threads: 2$' "$W/megdns-t2.yaml" && grep -q "^  size: ${BOUND_SIZE_MIB}MiB\$" \
	"$W/megdns-bound.yaml" && grep -q '^  size: 64KiB$' "$W/megdns-bound0.yaml" &&
	grep -q 'num-threads: 2' "$W/unbound-t2.conf" ||
	die "cannot derive the 2-thread and small-cache configs"

out=$(nsd-checkconf "$W/nsd.conf" 2>&1) || die "nsd-checkconf: $out"
for f in unbound.conf unbound-t2.conf; do
	out=$(unbound-checkconf "$W/$f" 2>&1) || die "unbound-checkconf $f: $out"
done
for f in megdns.yaml megdns-t2.yaml megdns-bound.yaml megdns-bound0.yaml; do
	out=$("$MEGDNS" -t -c "$W/$f" 2>&1) || die "megdns -t -c $f: $out"
done

# --- servers -----------------------------------------------------------------------------------
NSD_PIDS=()
start_nsd() {
	local pid kid
	taskset -c "$CCPU" nsd -d -c "$W/nsd.conf" >>"$W/nsd.out" 2>&1 &
	pid=$!
	STARTED+=("$pid")
	wait_ready "$NSD_ADDR" "$pid" 30 ||
		die "NSD does not answer: $(tail -n 5 "$W/nsd.out" "$W/nsd.log" 2>/dev/null)"
	NSD_PIDS=("$pid")
	for kid in $(pgrep -P "$pid"); do # its xfrd and server children, by parent PID
		STARTED+=("$kid")
		NSD_PIDS+=("$kid")
	done
}

SPID=
# start_server NAME [MODE]: sets SPID; returns 1 when it does not come up. MODE: none (the
# config of the table, pinned to core SCPU), callgrind (the same under valgrind), t1 / t2
# (1 or 2 threads, not pinned), bound / bound0 (megdns with cache.size BOUND_SIZE_MIB /
# 64KiB, pinned).
start_server() {
	local s=$1 mode=${2:-} wrap=(taskset -c "$SCPU") secs=10 conf
	case $s.$mode in
	megdns.t2) conf=$W/megdns-t2.yaml ;;
	megdns.bound) conf=$W/megdns-bound.yaml ;;
	megdns.bound0) conf=$W/megdns-bound0.yaml ;;
	megdns.*) conf=$W/megdns.yaml ;;
	unbound.t2) conf=$W/unbound-t2.conf ;;
	*) conf=$W/unbound.conf ;;
	esac
	case $mode in
	callgrind)
		wrap+=(valgrind --tool=callgrind --dump-instr=no "--callgrind-out-file=$W/cg.$s.%p")
		secs=60
		;;
	t1 | t2) wrap=() ;;
	esac
	# SO_REUSEPORT (both servers set it) would let a new server share the port with one still
	# running from an earlier phase, splitting the queries silently: nothing may answer yet.
	if dig +tries=1 +time=1 "@${ADDR[$s]}" bench.test. SOA 2>/dev/null | grep -q 'status:'; then
		note "$s${mode:+ ($mode)} not started: something still answers on ${ADDR[$s]}"
		return 1
	fi
	case $s in
	megdns) "${wrap[@]}" "$MEGDNS" -c "$conf" >>"$W/$s.log" 2>&1 & ;;
	unbound) "${wrap[@]}" unbound -d -c "$conf" >>"$W/$s.log" 2>&1 & ;;
	esac
	SPID=$!
	STARTED+=("$SPID")
	if ! wait_ready "${ADDR[$s]}" "$SPID" "$secs"; then
		note "$s did not answer after start${mode:+ ($mode)}: $(tail -n 3 "$W/$s.log" | tr '\n' ' ')"
		stop_pid "$SPID"
		return 1
	fi
	return 0
}
# alive NAME PHASE: the server is still running, else a note with its last log lines.
alive() {
	kill -0 "$SPID" 2>/dev/null && return 0
	wait "$SPID" 2>/dev/null
	note "**$1 exited during $2** (status $?): $(tail -n 3 "$W/$1.log" | tr '\n' ' ')"
	forget "$SPID"
	return 1
}

declare -A R=()
NOTES=()
note() { NOTES+=("$*"); log "note: $*"; }

# Phase A: idle RSS, cache-hit throughput and CPU, latency at fixed load.
phase_hits() {
	local s=$1 a=${ADDR[$1]} c0 c1 k0 k1 n u0 u1 y0 y1 p50 p99
	log "$s: start, warm $HIT_N names, hit run ${HIT_SECS}s"
	start_server "$s" || return
	sleep 1
	R[$s.rss_idle]=$(rss_kib "$SPID")
	dp "warm.$s" "$a" -d "$W/hit.txt" -n 1 -c 1 -q 50 -t 2
	n=$(dpv "warm.$s" completed)
	[ "${n:-0}" = "$HIT_N" ] || note "$s: warm-up answered ${n:-0} of $HIT_N ($(dpv "warm.$s" rcodes))"
	k0=$(core_stat "$CCPU")
	read -r u0 y0 < <(user_sys "$SPID")
	dp "hit.$s" "$a" -d "$W/hit.txt" -l "$HIT_SECS" "${LOAD[@]}" -t 2
	read -r u1 y1 < <(user_sys "$SPID")
	k1=$(core_stat "$CCPU")
	c0=$((u0 + y0)) c1=$((u1 + y1))
	R[$s.hit_user]=$(awk -v u=$((u1 - u0)) -v c=$((c1 - c0)) 'BEGIN { if (c > 0) printf "%.0f", 100 * u / c }')
	alive "$s" "the hit run" || return
	R[$s.hit_qps]=$(dpv "hit.$s" qps)
	# Over dnsperf's own run time (what its QPS divides by): the server idles before and after.
	R[$s.hit_cpu]=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v t="$(dpv "hit.$s" runtime)" \
		'BEGIN { if (t > 0) printf "%.1f", 100 * c / hz / t }')
	R[$s.hit_per_cpu]=$(awk -v q="$(dpv "hit.$s" completed)" -v c=$((c1 - c0)) -v hz="$CLK_TCK" \
		'BEGIN { if (c > 0) printf "%.0f", q / (c / hz) }')
	R[$s.client_busy]=$(echo "$k0 $k1" | awk '{ if ($4 > $2) printf "%.0f", 100 * ($3 - $1) / ($4 - $2) }')
	R[$s.hit_lost]=$(dpv "hit.$s" lost)
	R[$s.hit_rcodes]=$(dpv "hit.$s" rcodes)
	R[$s.rsize]=$(dpv "hit.$s" rsize)

	log "$s: ${LAT_QPS} QPS for ${LAT_SECS}s (latency)"
	dp "lat.$s" "$a" -d "$W/hit.txt" -l "$LAT_SECS" -Q "$LAT_QPS" "${LOAD[@]}" -t 2 -v
	alive "$s" "the latency run" || return
	R[$s.lat_qps]=$(dpv "lat.$s" qps)
	R[$s.lat_lost]=$(dpv "lat.$s" lost)
	# Per-query lines: "> RCODE NAME TYPE SECONDS"; lost queries have no latency.
	read -r p50 p99 < <(awk '$1 == ">" && $NF ~ /^[0-9.]+$/ { print $NF * 1e6 }' \
		"$W/lat.$s.out" | sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "- -"; exit }
			i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
			i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
			printf "%.0f %.0f\n", v[i50], v[i99] }')
	R[$s.p50]=$p50 R[$s.p99]=$p99
	stop_pid "$SPID"
}

# Phase B: cold cache, distinct names forwarded to NSD; RSS with them cached; replay check.
phase_misses() {
	local s=$1 a=${ADDR[$1]} c0 c1 n0 n1
	log "$s: restart, $MISS_N distinct names on a cold cache"
	start_server "$s" || return
	c0=$(cpu_ticks "$SPID")
	dp "miss.$s" "$a" -d "$W/miss.txt" -n 1 -l "$MISS_LIMIT" "${LOAD[@]}" -t 3
	c1=$(cpu_ticks "$SPID")
	alive "$s" "the miss run" || return
	R[$s.miss_qps]=$(dpv "miss.$s" qps)
	R[$s.miss_done]=$(dpv "miss.$s" completed)
	R[$s.miss_lost]=$(dpv "miss.$s" lost)
	R[$s.miss_rcodes]=$(dpv "miss.$s" rcodes)
	[ "${R[$s.miss_done]:-0}" = "$MISS_N" ] ||
		note "$s: the miss run answered ${R[$s.miss_done]:-0} of $MISS_N names within ${MISS_LIMIT}s"
	R[$s.miss_per_cpu]=$(awk -v q="${R[$s.miss_done]}" -v c=$((c1 - c0)) -v hz="$CLK_TCK" \
		'BEGIN { if (c > 0) printf "%.0f", q / (c / hz) }')
	sleep 1
	R[$s.rss_full]=$(rss_kib "$SPID")
	n0=$(cpu_ticks "${NSD_PIDS[@]}")
	dp "replay.$s" "$a" -d "$W/miss.txt" -n 1 -l 30 "${LOAD[@]}" -t 2
	n1=$(cpu_ticks "${NSD_PIDS[@]}")
	alive "$s" "the replay" || return
	R[$s.replay_qps]=$(dpv "replay.$s" qps)
	R[$s.replay_nsd]=$((n1 - n0))
	stop_pid "$SPID"
}

# Phase C: user-space instructions per cache-hit query under callgrind.
phase_callgrind() {
	local s=$1 a=${ADDR[$1]} n lost dump out n0 n1
	log "$s: callgrind, $((CG_PASSES * HIT_N)) cache-hit queries"
	start_server "$s" callgrind || return
	# Two passes: under valgrind dnsperf may give up on the first burst of a cold server
	# (Unbound and megdns alike); the second pass finds every name cached.
	dp "cgwarm.$s" "$a" -d "$W/hit.txt" -n 2 -c 1 -q 20 -t 5
	if ! out=$(callgrind_control -z "$SPID" 2>&1); then
		note "$s: callgrind_control -z failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
		stop_pid "$SPID"
		return
	fi
	n0=$(cpu_ticks "${NSD_PIDS[@]}")
	dp "cg.$s" "$a" -d "$W/hit.txt" -n "$CG_PASSES" -c 1 -q 20 -t 5
	n1=$(cpu_ticks "${NSD_PIDS[@]}")
	R[$s.cg_nsd]=$((n1 - n0))
	out=$(callgrind_control -d "$SPID" 2>&1) ||
		note "$s: callgrind_control -d failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	alive "$s" "the callgrind run" || return
	log "$s: callgrind, $CG_MISS_N cache-miss queries"
	phase_callgrind_miss "$s"
	stop_pid "$SPID"
	dump=$W/cg.$s.$SPID.1 # the first dump (the final one at exit has no suffix)
	n=$(dpv "cg.$s" completed)
	lost=$(dpv "cg.$s" lost)
	[ "${lost:-1}" = 0 ] || note "$s: ${lost:-?} queries lost under callgrind (figure is approximate)"
	[ -s "$dump" ] || { note "$s: no callgrind dump"; return; }
	R[$s.instr]=$(awk -v n="${n:-0}" '/^summary:/ { if (n > 0) printf "%.0f", $2 / n }' "$dump")
}

# The same count for cache misses: distinct names never asked before, each forwarded to NSD
# (only the server's own instructions are counted, not NSD's).
phase_callgrind_miss() {
	local s=$1 a=${ADDR[$1]} n lost dump out
	[ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null || return
	if ! out=$(callgrind_control -z "$SPID" 2>&1); then
		note "$s: callgrind_control -z failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
		return
	fi
	dp "cgmiss.$s" "$a" -d "$W/cgmiss.txt" -n 1 -c 1 -q 20 -t 5
	out=$(callgrind_control -d "$SPID" 2>&1) ||
		note "$s: callgrind_control -d failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	dump=$W/cg.$s.$SPID.2
	n=$(dpv "cgmiss.$s" completed)
	lost=$(dpv "cgmiss.$s" lost)
	[ "${lost:-1}" = 0 ] || note "$s: ${lost:-?} miss queries lost under callgrind (figure is approximate)"
	[ -s "$dump" ] || { note "$s: no callgrind dump of the misses"; return; }
	R[$s.instr_miss]=$(awk -v n="${n:-0}" '/^summary:/ { if (n > 0) printf "%.0f", $2 / n }' "$dump")
}

# Phase D: thread scaling. The server with T threads (T = 1 or 2) and dnsperf with two
# threads, nothing pinned: QPS per wall-second, the server's CPU summed over all its threads,
# queries per server CPU-second, how busy the whole machine was, and how the server's CPU was
# split between its threads (with 2 threads both must have answered).
phase_scale() {
	local s=$1 t=$2 a=${ADDR[$1]} k=$1.t$2 c0 c1 m0 m1 n0 n1 d0 d1
	log "$s: $t thread(s), not pinned: warm, hit run ${SCALE_SECS}s with dnsperf ${SCALE_LOAD[*]}"
	start_server "$s" "t$t" || return
	# Several sockets, so that every thread's cache shard sees the names (the rest are
	# fetched in the run: the NSD CPU in the checks shows how many).
	DP_CPU="" dp "swarm.$k" "$a" -d "$W/hit.txt" -n 2 -c 16 -q 50 -t 2
	n0=$(cpu_ticks "${NSD_PIDS[@]}")
	d0=$(udp_drops)
	m0=$(core_stat "")
	task_ticks "$SPID" >"$W/tasks0.$k"
	c0=$(cpu_ticks "$SPID")
	DP_CPU="" dp "scale.$k" "$a" -d "$W/hit.txt" -l "$SCALE_SECS" "${SCALE_LOAD[@]}" -t 2
	c1=$(cpu_ticks "$SPID")
	task_ticks "$SPID" >"$W/tasks1.$k"
	m1=$(core_stat "")
	d1=$(udp_drops)
	n1=$(cpu_ticks "${NSD_PIDS[@]}")
	alive "$s" "the $t-thread hit run" || return
	R[$k.qps]=$(dpv "scale.$k" qps)
	R[$k.lost]=$(dpv "scale.$k" lost)
	R[$k.rcodes]=$(dpv "scale.$k" rcodes)
	R[$k.nsd]=$((n1 - n0))
	R[$k.drops]=$((d1 - d0))
	R[$k.cpu]=$(awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v t="$(dpv "scale.$k" runtime)" \
		'BEGIN { if (t > 0) printf "%.1f", 100 * c / hz / t }')
	R[$k.per_cpu]=$(awk -v q="$(dpv "scale.$k" completed)" -v c=$((c1 - c0)) -v hz="$CLK_TCK" \
		'BEGIN { if (c > 0) printf "%.0f", q / (c / hz) }')
	# All cores: 100 % = every core busy (server, dnsperf, kernel).
	R[$k.busy]=$(echo "$m0 $m1" | awk '{ if ($4 > $2) printf "%.0f", 100 * ($3 - $1) / ($4 - $2) }')
	# The rest of the busy time (dnsperf, NSD, the kernel's own threads), in % of one core.
	R[$k.other]=$(echo "$m0 $m1" | awk -v c=$((c1 - c0)) -v n="$NCPU" '{
		if ($4 > $2) printf "%.0f", 100 * ($3 - $1 - c) / (($4 - $2) / n) }')
	# Per thread: each thread's share of the server's CPU, busiest first; the T busiest are
	# the workers (megdns: its main thread only handles signals; Unbound: the main thread
	# is worker 0). ok = each of them had at least 10 % (it answered its share of sockets).
	read -r "R[$k.ok]" "R[$k.split]" < <(awk 'NR == FNR { a[$1] = $2; next }
		{ d = $2 - ($1 in a ? a[$1] : 0); print (d > 0 ? d : 0) }' \
		"$W/tasks0.$k" "$W/tasks1.$k" | sort -rn | awk -v t="$t" '{ v[NR] = $1; sum += $1 }
		END {
			if (sum == 0) { print "0 no CPU used"; exit }
			ok = NR >= t; o = ""; rest = 0
			for (i = 1; i <= NR; i++) {
				if (i <= t) {
					if (v[i] < 0.1 * sum) ok = 0
					o = o (i > 1 ? " / " : "") sprintf("%.0f %%", 100 * v[i] / sum)
				} else
					rest += v[i]
			}
			printf "%d %s (other threads together: %.0f %%)\n", ok, o, 100 * rest / sum }')
	stop_pid "$SPID"
}

# Phase E: cache bound. megdns (1 thread, pinned) with the smallest cache.size (64KiB) is
# filled with 100,000 distinct names: its RSS growth is the miss path's own memory (buffers,
# allocator slack), the fixed overhead. Then megdns with cache.size BOUND_SIZE_MIB: RSS idle,
# after 100,000 distinct names, after 100,000 more (no creep); the last 10,000 names replayed
# must still be cached (the bound is not met by caching nothing).
phase_bound() {
	local a=${ADDR[megdns]} m f n0 n1
	for m in bound0 bound; do
		if [ $m = bound ]; then
			log "megdns: cache.size ${BOUND_SIZE_MIB}MiB, $BOUND_N + $BOUND_N distinct names"
		else
			log "megdns: cache.size 64KiB, $BOUND_N distinct names (fixed overhead)"
		fi
		start_server megdns "$m" || return
		sleep 1
		R[$m.idle]=$(rss_kib "$SPID")
		for f in bound1 bound2; do
			[ $m = bound0 ] && [ $f = bound2 ] && continue
			dp "$m.$f" "$a" -d "$W/$f.txt" -n 1 -l "$MISS_LIMIT" "${LOAD[@]}" -t 3
			alive megdns "the cache-bound fill ($m, $f)" || return
			sleep 1
			R[$m.rss.$f]=$(rss_kib "$SPID")
			R[$m.done.$f]=$(dpv "$m.$f" completed)
			R[$m.lost.$f]=$(dpv "$m.$f" lost)
		done
		if [ $m = bound ]; then
			n0=$(cpu_ticks "${NSD_PIDS[@]}")
			dp "bound.replay" "$a" -d "$W/bound2.tail.txt" -n 1 -l 30 "${LOAD[@]}" -t 2
			n1=$(cpu_ticks "${NSD_PIDS[@]}")
			alive megdns "the cache-bound replay" || return
			R[bound.replay_nsd]=$((n1 - n0))
			R[bound.replay_done]=$(dpv "bound.replay" completed)
		fi
		stop_pid "$SPID"
	done
}

# --- run ---------------------------------------------------------------------------------------
log "work folder $W; NSD on core $CCPU loads $ZONE_N names"
start_nsd
for s in "${SERVERS[@]}"; do phase_hits "$s"; done
for s in "${SERVERS[@]}"; do phase_misses "$s"; done
if [ "$NCPU" -ge 2 ]; then
	# megdns 1, 2 and Unbound 2, 1: each 2-thread run sits next to its 1-thread run and next
	# to the other server's 2-thread run.
	phase_scale megdns 1
	phase_scale megdns 2
	phase_scale unbound 2
	phase_scale unbound 1
else
	note "thread scaling skipped: one core only"
fi
phase_bound
if [ "$CALLGRIND" = 1 ]; then
	for s in "${SERVERS[@]}"; do phase_callgrind "$s"; done
fi
ELAPSED=$(awk -v s="$MEGDNS_BENCH_START" -v e="$(now)" 'BEGIN { printf "%.0f", e - s }')

# --- report ------------------------------------------------------------------------------------
group() { # 1234567 -> 1,234,567; anything else unchanged
	echo "$1" | awk '/^[0-9]+$/ { s = $0; o = ""; while (length(s) > 3) {
		o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
		print s o; next } { print }'
}
mib() { # KiB -> MiB; anything else unchanged
	[ -n "$1" ] && awk -v k="$1" 'BEGIN { if (k ~ /^-?[0-9.]+$/) printf "%.1f", k / 1024; else print k }'
}
ratio() {
	awk -v m="$1" -v u="$2" 'BEGIN { if (m ~ /^[0-9.]+$/ && u ~ /^[0-9.]+$/ && u > 0)
		printf "%.2f", m / u; else printf "n/a" }'
}
row() { # row LABEL MEGDNS UNBOUND [FORMAT: int|mib|plain]
	local m=${2:-} u=${3:-} fm fu
	case ${4:-int} in
	mib) fm=$(mib "$m") fu=$(mib "$u") ;;
	int) fm=$(group "$m") fu=$(group "$u") ;;
	*) fm=$m fu=$u ;;
	esac
	printf '| %s | %s | %s | %s |\n' "$1" "${fm:-n/a}" "${fu:-n/a}" "$(ratio "$m" "$u")"
}
version_of() {
	case $1 in
	megdns) "$MEGDNS" --version 2>&1 | head -n 1 ;;
	unbound) echo "Unbound $(unbound -V 2>&1 | sed -n 's/^Version //p' | head -n 1)" ;;
	nsd) nsd -v 2>&1 | head -n 1 ;;
	dnsperf) dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -n 1 ;;
	valgrind) valgrind --version 2>/dev/null ;;
	esac
}
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$MEGDNS")/CMakeCache.txt" 2>/dev/null)
grep -q '^MEGDNS_SANITIZE:BOOL=ON' "$(dirname "$MEGDNS")/CMakeCache.txt" 2>/dev/null &&
	build_type+=", ASan/UBSan (not a fair figure)"
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)

# The cache-bound line of the checks: the RSS growth against cache.size + slack, as it is
# (loud when over) and less the fixed overhead measured with the 64KiB cache.
bound_check() {
	local idle=${R[bound.idle]:-} g0 g1 g2 max lim
	if [ -z "$idle" ] || [ -z "${R[bound.rss.bound2]:-}" ] || [ -z "${R[bound0.rss.bound1]:-}" ]; then
		echo "- **megdns cache bound: not measured** (see the notes)"
		return
	fi
	g0=$((${R[bound0.rss.bound1]} - ${R[bound0.idle]})) # the fixed overhead
	g1=$((${R[bound.rss.bound1]} - idle)) g2=$((${R[bound.rss.bound2]} - idle))
	max=$((g1 > g2 ? g1 : g2)) lim=$(((BOUND_SIZE_MIB + BOUND_SLACK_MIB) * 1024))
	printf '%s' "- megdns cache bound (1 thread, fills with dnsperf ${LOAD[*]}): with cache.size ${BOUND_SIZE_MIB}MiB RSS idle" \
		" $(mib "$idle") MiB, **growth +$(mib $g1) MiB after $(group $BOUND_N) distinct names**, +$(mib $g2) MiB after" \
		" $(group $BOUND_N) more (answered $(group "${R[bound.done.bound1]:-?}") and $(group "${R[bound.done.bound2]:-?}")," \
		" lost ${R[bound.lost.bound1]:-?} and ${R[bound.lost.bound2]:-?}); fixed overhead +$(mib $g0) MiB (growth with" \
		" cache.size 64KiB after $(group $BOUND_N) names: the miss path's buffers for the queries in flight and" \
		" allocator slack). "
	if [ "$max" -le "$lim" ]; then
		printf '%s' "Growth ≤ ${BOUND_SIZE_MIB} MiB + ${BOUND_SLACK_MIB} MiB slack: OK."
	else
		printf '%s' "**FAIL: RSS grew $(mib $max) MiB, more than ${BOUND_SIZE_MIB} MiB + ${BOUND_SLACK_MIB} MiB slack**."
		log "FAIL: cache bound: RSS grew $(mib $max) MiB with cache.size ${BOUND_SIZE_MIB}MiB (limit $((BOUND_SIZE_MIB + BOUND_SLACK_MIB)) MiB)"
	fi
	if [ $((max - g0)) -le "$lim" ]; then
		printf '%s' " Less the fixed overhead $(mib $((max - g0))) MiB ≤ ${BOUND_SIZE_MIB} MiB + ${BOUND_SLACK_MIB} MiB: what the cache itself added stays within cache.size + slack."
	else
		printf '%s' " **FAIL: even less the fixed overhead $(mib $((max - g0))) MiB > ${BOUND_SIZE_MIB} MiB + ${BOUND_SLACK_MIB} MiB: cache.size is not a hard bound**."
	fi
	echo " The last $(group $BOUND_REPLAY) names replayed ($(group "${R[bound.replay_done]:-?}") answered) with ${R[bound.replay_nsd]:-?} NSD CPU ticks (0: still cached)."
}

report() {
	echo "### megdns vs Unbound ($([ "$QUICK" = 1 ] && echo "quick smoke run, not for publication" || echo "contrib/bench/bench.sh"))"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); whole run ${ELAPSED} s"
	echo "- machine: $NCPU cores, ${cpu_model:-unknown CPU}, $mem RAM, Linux $(uname -r); load average before the run: $MEGDNS_BENCH_LOAD"
	echo "- versions: $(version_of megdns) (${build_type:-build type unknown}: $MEGDNS), $(version_of unbound), $(version_of nsd), dnsperf $(version_of dnsperf)$([ "$CALLGRIND" = 1 ] && echo ", $(version_of valgrind)")"
	echo "- command: \`$MEGDNS_BENCH_CMD\`"
	echo "- setup: one server thread on core $SCPU, dnsperf and NSD on core $CCPU; both servers forward to NSD (bench.test., $(group $ZONE_N) names); megdns with \`dnssec: {validation: false}\`, Unbound with \`module-config: \"iterator\"\` (neither validates); queries $([ "$EDNS" = 1 ] && echo "with" || echo "without") EDNS; the thread rows pin nothing (server and dnsperf share all $NCPU cores); the cache.size ${BOUND_SIZE_MIB}MiB row is megdns alone (1 thread, pinned)"
	echo
	echo "| metric | megdns | unbound | megdns/unbound |"
	echo "|---|---:|---:|---:|"
	row "cache-hit QPS ($(group $HIT_N) names, dnsperf ${LOAD[*]}, ${HIT_SECS} s)" "${R[megdns.hit_qps]:-}" "${R[unbound.hit_qps]:-}"
	row "server CPU during the hit run (% of one core)" "${R[megdns.hit_cpu]:-}" "${R[unbound.hit_cpu]:-}" plain
	row "**queries per server CPU-second** (hits)" "${R[megdns.hit_per_cpu]:-}" "${R[unbound.hit_per_cpu]:-}"
	row "p50 latency at $(group $LAT_QPS) QPS, hits (µs)" "${R[megdns.p50]:-}" "${R[unbound.p50]:-}"
	row "p99 latency at $(group $LAT_QPS) QPS, hits (µs)" "${R[megdns.p99]:-}" "${R[unbound.p99]:-}"
	row "cache-miss QPS ($(group $MISS_N) distinct names, cold cache)" "${R[megdns.miss_qps]:-}" "${R[unbound.miss_qps]:-}"
	row "RSS idle (MiB)" "${R[megdns.rss_idle]:-}" "${R[unbound.rss_idle]:-}" mib
	row "RSS with $(group $MISS_N) names cached (MiB)" "${R[megdns.rss_full]:-}" "${R[unbound.rss_full]:-}" mib
	if [ "$CALLGRIND" = 1 ]; then
		row "instructions per cache-hit query (callgrind, user space)" "${R[megdns.instr]:-}" "${R[unbound.instr]:-}"
		row "instructions per cache-miss query (callgrind, the server's user space; $(group $CG_MISS_N) names)" "${R[megdns.instr_miss]:-}" "${R[unbound.instr_miss]:-}"
	fi
	if [ "$NCPU" -ge 2 ]; then
		row "cache-hit QPS, 1 thread, server and dnsperf not pinned (dnsperf ${SCALE_LOAD[*]}, ${SCALE_SECS} s)" "${R[megdns.t1.qps]:-}" "${R[unbound.t1.qps]:-}"
		row "cache-hit QPS, 2 threads, not pinned (same load; the cores are shared with dnsperf)" "${R[megdns.t2.qps]:-}" "${R[unbound.t2.qps]:-}"
		row "server CPU, 2 threads (% of one core, all threads summed)" "${R[megdns.t2.cpu]:-}" "${R[unbound.t2.cpu]:-}" plain
		row "queries per server CPU-second, 1 thread, not pinned" "${R[megdns.t1.per_cpu]:-}" "${R[unbound.t1.per_cpu]:-}"
		row "**queries per server CPU-second, 2 threads**" "${R[megdns.t2.per_cpu]:-}" "${R[unbound.t2.per_cpu]:-}"
		row "2 threads / 1 thread, queries per server CPU-second (1.00: each core as efficient as one thread alone)" \
			"$(ratio "${R[megdns.t2.per_cpu]:-}" "${R[megdns.t1.per_cpu]:-}")" \
			"$(ratio "${R[unbound.t2.per_cpu]:-}" "${R[unbound.t1.per_cpu]:-}")" plain
	fi
	row "RSS after $(group $BOUND_N) names with cache.size ${BOUND_SIZE_MIB}MiB (MiB)" "${R[bound.rss.bound1]:-}" "not run" mib
	echo
	echo "Higher is better for QPS and queries per CPU-second; lower for CPU, latency, RSS and instructions."
	echo "Runs vary about ±15 %: compare the two columns of one run, not figures of different runs."
	echo
	echo "Checks of this run:"
	local s
	for s in "${SERVERS[@]}"; do
		echo "- $s: hit run ${R[$s.hit_rcodes]:-n/a}, lost ${R[$s.hit_lost]:-n/a}, response ${R[$s.rsize]:-?} B, server CPU ${R[$s.hit_user]:-?} % user / rest kernel, load-generator core busy ${R[$s.client_busy]:-?} %;" \
			"latency run reached $(group "${R[$s.lat_qps]:-?}") QPS, lost ${R[$s.lat_lost]:-?};" \
			"miss run $(group "${R[$s.miss_done]:-?}") answered (${R[$s.miss_rcodes]:-n/a}), lost ${R[$s.miss_lost]:-?}, $(group "${R[$s.miss_per_cpu]:-?}") misses per server CPU-second;" \
			"replay of the miss names $(group "${R[$s.replay_qps]:-?}") QPS with ${R[$s.replay_nsd]:-?} NSD CPU ticks (0: all cached)$([ "$CALLGRIND" = 1 ] && echo "; NSD CPU ticks during the callgrind count: ${R[$s.cg_nsd]:-?}")"
	done
	if [ "$NCPU" -ge 2 ]; then
		for s in "${SERVERS[@]}"; do
			echo "- $s thread scaling (server and dnsperf ${SCALE_LOAD[*]} on any core): 1 thread $(group "${R[$s.t1.qps]:-?}") QPS at ${R[$s.t1.cpu]:-?} % server CPU," \
				"2 threads $(group "${R[$s.t2.qps]:-?}") QPS at ${R[$s.t2.cpu]:-?} % server CPU; wall QPS 2/1 threads $(ratio "${R[$s.t2.qps]:-}" "${R[$s.t1.qps]:-}")" \
				"(not the issue's 1.7× test: dnsperf shares the cores; all cores busy ${R[$s.t1.busy]:-?} % / ${R[$s.t2.busy]:-?} %, of which dnsperf and the rest ${R[$s.t1.other]:-?} % / ${R[$s.t2.other]:-?} % of one core);" \
				"per-thread CPU with 2 threads: ${R[$s.t2.split]:-?}$([ "${R[$s.t2.ok]:-0}" = 1 ] && echo ", both threads answered" || echo ", **NOT both threads answered (one got < 10 % of the server's CPU)**");" \
				"lost ${R[$s.t1.lost]:-?} / ${R[$s.t2.lost]:-?} (kernel receive-buffer drops ${R[$s.t1.drops]:-?} / ${R[$s.t2.drops]:-?}), ${R[$s.t2.rcodes]:-n/a}; NSD CPU ticks (misses after warming) ${R[$s.t1.nsd]:-?} / ${R[$s.t2.nsd]:-?}"
		done
	fi
	bound_check
	[ "${R[megdns.rsize]:-x}" = "${R[unbound.rsize]:-y}" ] ||
		echo "- **answers differ in size**: megdns ${R[megdns.rsize]:-?} B, Unbound ${R[unbound.rsize]:-?} B on average (dnsperf)"
	for s in "${NOTES[@]}"; do echo "- $s"; done
}

report_text=$(report)
echo "$report_text"
if [ -n "$OUT" ]; then
	echo "$report_text" >"$OUT" || log "cannot write $OUT"
fi
log "done in ${ELAPSED} s"
