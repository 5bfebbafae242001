#!/usr/bin/env bash
# megdns vs Unbound under a storm of cache misses to a silent upstream, side by side in one
# run: are another client's cache hits still answered, and how fast? One Markdown table
# (contrib/bench/README.md).
#
#   bash contrib/bench/overload.sh [--megdns PATH | --build DIR] [--seconds N] [--out FILE]
#                                  [--keep] [--time-limit SECS]
#
# Run as root (or where `unshare -r -n` works) on a machine with 2+ cores. It builds and
# installs nothing; the default run (a 30 s storm per server) takes about 80 s and is ended
# after --time-limit (300) seconds.
#
# Setup, in a private network namespace (every packet stays on its loopback):
#   silent  127.0.0.9   a UDP socket that is bound and never read: the upstream for ".",
#                       which answers nothing (no ICMP either)
#   NSD     127.0.0.2   hits.test. with h0..h99 A (TTL 3600): the forward zone of the hits
#   megdns  127.0.0.3   upstreams [127.0.0.9], forward-zones hits.test. -> NSD, defaults
#                       otherwise (server.max-inflight 4096, serve-stale on, cache 64 MiB),
#                       validation off, one thread pinned to core 1
#   Unbound 127.0.0.4   forward-zone "." -> 127.0.0.9 and hits.test. -> NSD, serve-expired
#                       yes, module-config "iterator", one thread pinned to core 1, other
#                       settings default (num-queries-per-thread, jostle-timeout, caches)
# Per server: start, warm the 100 hit names from 127.0.0.66, then the storm: dnsperf from
# 127.0.0.55 (core 0) sends distinct random names (every one a miss) for N seconds as fast
# as answers let it (-c 8 -q 10000 -t 5: more outstanding than max-inflight, and waiting
# longer than a miss takes to fail), while a second dnsperf from 127.0.0.66 (core 0)
# asks the hit names at 100 queries per second (-Q 100 -t 1) from 1 s after the storm's
# start to 1 s before its end. Rows:
#   hits answered          the hit client's answered share (dnsperf: completed / sent)
#   hit p50 / p99          of dnsperf -v's per-query latencies (ms); unanswered have none
#   storm answered / s     answers the storm got per second (SERVFAIL mostly)
#   storm lost             storm queries with no answer within 5 s (share of sent)
#   RSS idle / max         VmRSS before the storm, and the largest sampled each 0.5 s
# The two servers run one after the other; compare within one run.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEGDNS=$ROOT/build/megdns SECONDS_STORM=30 OUT= KEEP=0 TIME_LIMIT=300
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--megdns) MEGDNS=$2 && shift ;;
	--build) MEGDNS=$2/megdns && shift ;;
	--seconds) SECONDS_STORM=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	--keep) KEEP=1 ;;
	--time-limit) TIME_LIMIT=$2 && shift ;;
	*) sed -n '2,31p' "${BASH_SOURCE[0]}" >&2 && exit 2 ;;
	esac
	shift
done
log() { echo "bench: $(date +%T) $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
. "$ROOT/contrib/bench/netns.sh"

if [ -z "${MEGDNS_BENCH_INSIDE:-}" ]; then
	for t in nsd unbound dnsperf dig python3 taskset unshare ip timeout; do
		command -v "$t" >/dev/null 2>&1 ||
			die "missing $t: apt-get install -y nsd unbound dnsperf bind9-dnsutils python3 util-linux iproute2"
	done
	[ -x "$MEGDNS" ] || die "no megdns binary at $MEGDNS (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build)"
	[ "$SECONDS_STORM" -ge 5 ] 2>/dev/null || die "--seconds must be 5 or more"
	bench_netns "${BASH_SOURCE[0]}" "$TIME_LIMIT" "${ORIG_ARGS[@]}"
fi

# --- inside the private network namespace -----------------------------------------------------
bench_inside obench

# --- the servers -----------------------------------------------------------------------------
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.9", 53))
time.sleep(100000)' &
STARTED+=($!)

mkdir -p "$W/nsd"
{
	printf '$ORIGIN hits.test.\n$TTL 3600\n@ IN SOA ns h 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.2\n'
	for ((i = 0; i < 100; i++)); do printf 'h%d IN A 10.0.0.%d\n' "$i" "$i"; done
} >"$W/nsd/hits.zone"
cat >"$W/nsd/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.2
	username: ""
	chroot: ""
	zonesdir: "$W/nsd"
	pidfile: "$W/nsd/nsd.pid"
	xfrdfile: "$W/nsd/xfrd.state"
	zonelistfile: "$W/nsd/zone.list"
	database: ""
	logfile: "$W/nsd/nsd.log"
	server-count: 1
	verbosity: 0
zone:
	name: "hits.test."
	zonefile: "$W/nsd/hits.zone"
EOF
taskset -c 0 nsd -d -c "$W/nsd/nsd.conf" >>"$W/nsd/nsd.out" 2>&1 &
STARTED+=($!)
for ((i = 0; i < 100; i++)); do
	dig +tries=1 +time=1 +norec @127.0.0.2 hits.test. SOA 2>/dev/null | grep -q NOERROR && break
	sleep 0.1
done

declare -A ADDR=([megdns]=127.0.0.3 [unbound]=127.0.0.4)
cat >"$W/megdns.yaml" <<EOF
server:
  listen: [127.0.0.3@53]
  verbosity: 1
upstreams: [127.0.0.9@53]
forward-zones:
  - {name: hits.test., upstreams: [127.0.0.2@53]}
dnssec: {validation: false}
control: {socket: $W/megdns.sock}
views:
  - name: all
    match-clients: [127.0.0.0/8]
EOF
cat >"$W/unbound.conf" <<EOF
server:
	interface: 127.0.0.4
	port: 53
	num-threads: 1
	username: ""
	chroot: ""
	directory: "$W"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 0
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	serve-expired: yes
	so-reuseport: no
	local-zone: "test." nodefault
forward-zone:
	name: "hits.test."
	forward-addr: 127.0.0.2
forward-zone:
	name: "."
	forward-addr: 127.0.0.9
EOF
unbound-checkconf "$W/unbound.conf" >/dev/null 2>&1 || die "unbound-checkconf: $(unbound-checkconf "$W/unbound.conf" 2>&1)"
"$MEGDNS" -t -c "$W/megdns.yaml" >/dev/null 2>&1 || die "megdns -t: $("$MEGDNS" -t -c "$W/megdns.yaml" 2>&1)"

for ((i = 0; i < 100; i++)); do echo "h$i.hits.test. A"; done >"$W/hits.txt"
# Distinct names, more than the storm can send: none is ever asked twice.
awk 'BEGIN { srand(7); for (i = 0; i < 3000000; i++) printf "s%d-%d.storm.example. A\n", i, int(rand() * 1e9) }' >"$W/storm.txt"

# run NAME: one storm; results into R[NAME.*].
declare -A R=()
run() {
	local s=$1 pid a=${ADDR[$1]} i storm hit sampler
	case $s in
	megdns) taskset -c 1 "$MEGDNS" -c "$W/megdns.yaml" >>"$W/megdns.log" 2>&1 & ;;
	unbound) taskset -c 1 unbound -d -c "$W/unbound.conf" >>"$W/unbound.log" 2>&1 & ;;
	esac
	pid=$!
	STARTED+=("$pid")
	for ((i = 0; i < 100; i++)); do
		dig +tries=1 +time=1 -b 127.0.0.66 "@$a" h0.hits.test. A 2>/dev/null | grep -q 'status: NOERROR' && break
		sleep 0.1
	done
	for ((i = 1; i < 100; i++)); do dig +tries=1 +time=1 -b 127.0.0.66 "@$a" "h$i.hits.test." A >/dev/null 2>&1; done
	sleep 1
	R[$s.rss0]=$(rss_kib "$pid")
	log "$s: ${SECONDS_STORM} s storm of misses, hits at 100 QPS alongside"
	(while kill -0 "$pid" 2>/dev/null; do rss_kib "$pid"; sleep 0.5; done) >"$W/rss.$s" &
	sampler=$!
	taskset -c 0 dnsperf -s "$a" -a 127.0.0.55 -d "$W/storm.txt" -l "$SECONDS_STORM" -c 8 -q 10000 -t 5 \
		>"$W/storm.$s.out" 2>&1 &
	storm=$!
	sleep 1
	taskset -c 0 dnsperf -s "$a" -a 127.0.0.66 -d "$W/hits.txt" -l $((SECONDS_STORM - 2)) -Q 100 -t 1 -v \
		>"$W/hit.$s.out" 2>&1 &
	hit=$!
	wait "$hit" "$storm"
	R[$s.rssmax]=$(sort -n "$W/rss.$s" | tail -n 1)
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	kill -0 "$pid" 2>/dev/null || log "$s died during the storm"
	local sent done_ rt
	sent=$(awk '/^ *Queries sent:/ { print $3 }' "$W/hit.$s.out")
	done_=$(awk '/^ *Queries completed:/ { print $3 }' "$W/hit.$s.out")
	R[$s.hit_sent]=$sent R[$s.hit_done]=$done_
	R[$s.hit_share]=$(awk -v d="$done_" -v n="$sent" 'BEGIN { if (n > 0) printf "%.1f", 100 * d / n; else print "n/a" }')
	read -r R[$s.p50] R[$s.p99] < <(awk '$1 == ">" && $NF ~ /^[0-9.]+$/ { print $NF * 1e3 }' "$W/hit.$s.out" |
		sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "n/a n/a"; exit }
			i = int(NR * 0.5); if (i < NR * 0.5) i++; j = int(NR * 0.99); if (j < NR * 0.99) j++
			printf "%.2f %.2f\n", v[i], v[j] }')
	rt=$(awk '/^ *Run time \(s\):/ { print $4 }' "$W/storm.$s.out")
	R[$s.storm_sent]=$(awk '/^ *Queries sent:/ { print $3 }' "$W/storm.$s.out")
	R[$s.storm_done]=$(awk '/^ *Queries completed:/ { print $3 }' "$W/storm.$s.out")
	R[$s.storm_rate]=$(awk -v n="${R[$s.storm_done]:-0}" -v t="$rt" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "n/a" }')
	R[$s.storm_lost]=$(awk -v d="${R[$s.storm_done]:-0}" -v n="${R[$s.storm_sent]:-0}" \
		'BEGIN { if (n > 0) printf "%.1f", 100 * (n - d) / n; else print "n/a" }')
	stop_pid "$pid"
}
run megdns
run unbound

# --- the report --------------------------------------------------------------------------------
ratio() { awk -v m="$1" -v u="$2" 'BEGIN { if (m ~ /^[0-9.]+$/ && u ~ /^[0-9.]+$/ && u > 0) printf "%.2f", m / u; else print "n/a" }'; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
mib() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k / 1024; else print "n/a" }'; }
{
	echo "### Overload: a ${SECONDS_STORM} s storm of cache misses to a silent upstream, megdns vs Unbound"
	echo
	echo "The storm: dnsperf -c 8 -q 10000 -t 5, distinct names, from 127.0.0.55. Alongside, another client (127.0.0.66) asks 100 cached names at 100 QPS. One server thread each, pinned; megdns with its defaults (max-inflight 4096, serve-stale), Unbound with serve-expired and its defaults."
	echo
	echo "| | megdns | Unbound | megdns / Unbound |"
	echo "|---|---:|---:|---:|"
	row "other client's hits answered (%)" "${R[megdns.hit_share]}" "${R[unbound.hit_share]}"
	row "... answered / sent" "${R[megdns.hit_done]:-?}" "${R[unbound.hit_done]:-?}"
	echo "| ... sent | ${R[megdns.hit_sent]:-?} | ${R[unbound.hit_sent]:-?} | |"
	row "hit p50 (ms)" "${R[megdns.p50]}" "${R[unbound.p50]}"
	row "hit p99 (ms)" "${R[megdns.p99]}" "${R[unbound.p99]}"
	row "storm answers per second" "${R[megdns.storm_rate]}" "${R[unbound.storm_rate]}"
	row "storm queries unanswered within 5 s (%)" "${R[megdns.storm_lost]}" "${R[unbound.storm_lost]}"
	row "RSS before the storm (MiB)" "$(mib "${R[megdns.rss0]:-}")" "$(mib "${R[unbound.rss0]:-}")"
	row "RSS, largest during the storm (MiB)" "$(mib "${R[megdns.rssmax]:-}")" "$(mib "${R[unbound.rssmax]:-}")"
	echo
	echo "$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $("$MEGDNS" --version 2>&1 | head -n 1), Unbound $(unbound -V 2>&1 | sed -n 's/^Version //p' | head -n 1), $(dnsperf -h 2>&1 | sed -n 's/^DNS Performance Testing Tool//p' | head -n 1 | xargs)."
} | tee "${OUT:-/dev/null}"
