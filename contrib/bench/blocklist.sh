#!/usr/bin/env bash
# A 1,000,000-name blocklist, megdns and Unbound side by side in one run: how long it takes
# to load, how much memory it holds, and what a lookup adds to a cache hit. One Markdown
# table (contrib/bench/README.md).
#
#   bash contrib/bench/blocklist.sh [--megdns PATH | --build DIR] [--names N] [--out FILE]
#                                   [--keep] [--time-limit SECS]
#
# Run as root (or where `unshare -r -n` works). It builds and installs nothing; the default
# run takes about 2 minutes and is ended after --time-limit (600) seconds.
#
# The list: N (1,000,000) distinct generated names, one per line, of 2 to 5 labels as real
# lists mix them ("ads-123.tracker-45.com" and the like, 28 characters on average), made by
# a fixed-seed generator.
#   megdns   blocklists: [{name: ads, files: [list]}] used by its one view, validation off,
#            one thread; the same config without the list for the baseline.
#   Unbound  the same names as `local-zone: "NAME." always_nxdomain` (Unbound's way to
#            block a name and the names below it), module-config "iterator", one thread.
# Rows (each server started twice, without and with the list, in a private namespace):
#   load       seconds from start until the server answers (with list) minus the same
#              without it; megdns also logs its own load time, shown in brackets
#   memory     VmRSS with the list minus VmRSS without (MiB), after 200 queries
#   lookup     instructions a query spends in megdns's blocklist step (request_blocked,
#              inclusive, per call), from callgrind over 20,000 cache hits of 1,000 names on
#              no list, with a 100,000-name list (valgrind; not a timing)
#   added      the whole pipeline per cache hit (request_pipeline inclusive, per call), the
#              same run with the list minus one without: what the list adds to a hit
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEGDNS=$ROOT/build/megdns NAMES=1000000 OUT= KEEP=0 TIME_LIMIT=600
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--megdns) MEGDNS=$2 && shift ;;
	--build) MEGDNS=$2/megdns && shift ;;
	--names) NAMES=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	--keep) KEEP=1 ;;
	--time-limit) TIME_LIMIT=$2 && shift ;;
	*) sed -n '2,26p' "${BASH_SOURCE[0]}" >&2 && exit 2 ;;
	esac
	shift
done
log() { echo "bench: $(date +%T) $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
. "$ROOT/contrib/bench/netns.sh"

if [ -z "${MEGDNS_BENCH_INSIDE:-}" ]; then
	for t in unbound dnsperf dig python3 unshare ip timeout valgrind callgrind_annotate; do
		command -v "$t" >/dev/null 2>&1 ||
			die "missing $t: apt-get install -y unbound dnsperf bind9-dnsutils python3 util-linux iproute2 valgrind"
	done
	[ -x "$MEGDNS" ] || die "no megdns binary at $MEGDNS"
	bench_netns "${BASH_SOURCE[0]}" "$TIME_LIMIT" "${ORIG_ARGS[@]}"
fi

bench_inside blbench

gen_list() { # N FILE
	python3 - "$1" "$2" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
r = random.Random(13)
w1 = ["ads", "track", "pixel", "stats", "metrics", "beacon", "cdn", "click", "promo", "tag"]
w2 = ["tracker", "analytics", "adserver", "counter", "media", "partner", "sync", "banner"]
tlds = ["com", "net", "org", "io", "info", "biz", "de", "ru"]
seen = set()
with open(path, "w") as f:
    while len(seen) < n:
        k = r.choices([2, 3, 4, 5], [25, 45, 20, 10])[0]  # labels, as real lists mix them
        labels = ["%s-%d" % (r.choice(w1), r.randrange(100000))]
        labels += ["%s-%d" % (r.choice(w2), r.randrange(1000)) for _ in range(k - 2)]
        name = ".".join(labels + [r.choice(tlds)])
        if name not in seen:
            seen.add(name)
            f.write(name + "\n")
PY
}

log "generating $NAMES names"
gen_list "$NAMES" "$W/list.txt"
avg=$(awk '{ s += length($0) } END { printf "%.1f", s / NR }' "$W/list.txt")
log "list: $(wc -l <"$W/list.txt") names, $(du -m "$W/list.txt" | cut -f1) MB, average $avg characters"
awk '{ printf "local-zone: \"%s.\" always_nxdomain\n", $0 }' "$W/list.txt" >"$W/unbound-list.conf"

wait_answer() { # ADDR: seconds until it answers (up to 120 s)
	local t0 i
	t0=$(date +%s.%N)
	for ((i = 0; i < 2400; i++)); do
		dig +tries=1 +time=1 @"$1" -p 53 localhost A >/dev/null 2>&1 && break
		sleep 0.05
	done
	python3 -c "import sys; print('%.2f' % ($(date +%s.%N) - $t0))"
}

warm() { # ADDR: 200 queries, the memory is what a serving resolver holds
	for i in $(seq 1 200); do echo "q$i.example.org A"; done >"$W/q.txt"
	dnsperf -s "$1" -d "$W/q.txt" -n 1 -t 1 >/dev/null 2>&1
}

run_megdns() { # WITH(0/1): prints "SECONDS RSS_KIB LOGGED_S"
	local with=$1 pid t rss
	{
		echo "server: {listen: [127.0.0.3@53], threads: 1}"
		echo "upstreams: [127.0.0.9@53]"
		echo "dnssec: {validation: false}"
		echo "control: {socket: \"\"}"
		[ "$with" = 1 ] && echo "blocklists: [{name: ads, files: [$W/list.txt]}]"
		echo "views: [{name: all$([ "$with" = 1 ] && echo ', blocklists: [ads]')}]"
	} >"$W/megdns-$with.yaml"
	"$MEGDNS" -c "$W/megdns-$with.yaml" 2>"$W/megdns-$with.log" &
	pid=$!
	STARTED+=("$pid")
	t=$(wait_answer 127.0.0.3)
	warm 127.0.0.3
	rss=$(rss_kib "$pid")
	stop_pid "$pid"
	logged=$(sed -n 's/.*blocklist ads: .* in \([0-9.]*\) s.*/\1/p' "$W/megdns-$with.log")
	echo "$t $rss ${logged:--}"
}

run_unbound() { # WITH(0/1): prints "SECONDS RSS_KIB"
	local with=$1 pid t rss
	cat >"$W/unbound-$with.conf" <<EOF2
server:
	interface: 127.0.0.4
	port: 53
	do-daemonize: no
	use-syslog: no
	logfile: ""
	chroot: ""
	username: ""
	pidfile: ""
	directory: "$W"
	num-threads: 1
	module-config: "iterator"
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
$([ "$with" = 1 ] && echo "	include: \"$W/unbound-list.conf\"")
forward-zone:
	name: "."
	forward-addr: 127.0.0.9
EOF2
	unbound -c "$W/unbound-$with.conf" 2>"$W/unbound-$with.log" &
	pid=$!
	STARTED+=("$pid")
	t=$(wait_answer 127.0.0.4)
	warm 127.0.0.4
	rss=$(rss_kib "$pid")
	stop_pid "$pid"
	echo "$t $rss"
}

bench_responder 127.0.0.9

log "megdns without, then with the list"
read -r m0_t m0_rss _ < <(run_megdns 0)
read -r m1_t m1_rss m1_logged < <(run_megdns 1)
log "unbound without, then with the list"
read -r u0_t u0_rss < <(run_unbound 0)
read -r u1_t u1_rss < <(run_unbound 1)

# instructions per lookup (callgrind), the same cache hits with a 100,000-name list and without
head -n 100000 "$W/list.txt" >"$W/list100k.txt"
# 1,000 names on no list, as varied as the names a house asks for (the filter keys on a
# name's last bytes, so one name alone would measure luck)
python3 - "$W/hits.txt" <<'PY'
import random, sys
r = random.Random(7)
words = ["mail", "news", "shop", "cloud", "video", "maps", "photos", "music", "api", "www"]
sites = ["example", "weather", "football", "recipes", "bank", "school", "garden", "travel"]
kinds = ["daily", "online", "hub", "world", "central", "now", "plus", "direct", "zone", "base"]
tlds = ["com", "net", "org", "de", "io", "co.uk", "fr", "nl"]
names = set()
while len(names) < 1000:
    names.add("%s.%s%s.%s" % (r.choice(words), r.choice(sites), r.choice(kinds), r.choice(tlds)))
with open(sys.argv[1], "w") as f:
    for name in sorted(names):
        f.write(name + " A\n")
PY
per_call() { # OUT FUNCTION: inclusive Ir per call, over every call site
	callgrind_annotate --inclusive=yes --tree=calling "$1" 2>/dev/null | awk -v f="$2" '
		$0 ~ "> +[^ ]*:" f " \\(" {
			ir = $1; gsub(",", "", ir); n = $0; sub(/.*\(/, "", n); sub(/x\).*/, "", n)
			gsub(",", "", n); s += ir; c += n }
		END { if (c) printf "%d", s / c }'
}
callgrind_hits() { # WITH(0/1): prints "BLOCKED_PER_CALL PIPELINE_PER_CALL"
	local with=$1 pid
	{
		echo "server: {listen: [127.0.0.3@53], threads: 1}"
		echo "upstreams: [127.0.0.9@53]"
		echo "dnssec: {validation: false}"
		echo "control: {socket: \"\"}"
		[ "$with" = 1 ] && echo "blocklists: [{name: ads, files: [$W/list100k.txt]}]"
		echo "views: [{name: all$([ "$with" = 1 ] && echo ', blocklists: [ads]')}]"
	} >"$W/megdns-cg$with.yaml"
	valgrind --tool=callgrind --callgrind-out-file="$W/cg$with.out" "$MEGDNS" \
		-c "$W/megdns-cg$with.yaml" 2>"$W/cg$with.log" &
	pid=$!
	STARTED+=("$pid")
	wait_answer 127.0.0.3 >/dev/null
	dnsperf -s 127.0.0.3 -d "$W/hits.txt" -n 1 -t 5 >/dev/null 2>&1 # into the cache
	dnsperf -s 127.0.0.3 -d "$W/hits.txt" -n 20 -t 5 >"$W/cg$with-dnsperf.txt" 2>&1
	stop_pid "$pid"
	local b p
	b=$(per_call "$W/cg$with.out" request_blocked)
	p=$(per_call "$W/cg$with.out" request_pipeline)
	echo "${b:--} ${p:--}"
}
log "callgrind: 20,000 cache hits without, then with a 100,000-name list"
read -r _ hit0 < <(callgrind_hits 0)
read -r lookup hit1 < <(callgrind_hits 1)
added=$([ -n "$hit0" ] && [ -n "$hit1" ] && echo $((hit1 - hit0)))

ratio() { python3 -c "a, b = float('$1'), float('$2'); print('%.2f' % (a / b) if b > 0 else '-')"; }
mib() { python3 -c "print('%.1f' % (($1 - $2) / 1024.0))"; }
m_load=$(python3 -c "print('%.2f' % ($m1_t - $m0_t))")
u_load=$(python3 -c "print('%.2f' % ($u1_t - $u0_t))")
m_mem=$(mib "$m1_rss" "$m0_rss")
u_mem=$(mib "$u1_rss" "$u0_rss")
{
	echo "| $NAMES-name blocklist (average $avg characters) | megdns | Unbound | megdns / Unbound |"
	echo "|---|---:|---:|---:|"
	echo "| load: time to first answer, with list minus without (s) | $m_load (logged $m1_logged) | $u_load | $(ratio "$m_load" "$u_load") |"
	echo "| memory: RSS with list minus without (MiB) | $m_mem | $u_mem | $(ratio "$m_mem" "$u_mem") |"
	echo "| lookup: instructions a cache hit spends in the blocklist step (callgrind, 100,000 names) | ${lookup:--} | - | - |"
	echo "| a cache hit through the whole pipeline, with the list minus without (instructions) | ${added:--} (${hit1:--} - ${hit0:--}) | - | - |"
} | tee "${OUT:-/dev/null}"
