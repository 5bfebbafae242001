#!/usr/bin/env bash
# megdns vs Unbound resolving from the root, side by side in one run, cold caches, DNSSEC
# validation on: resolved names per second, queries sent to authoritative servers per name,
# p50 / p95 resolution time, RSS after the run. One Markdown table (contrib/bench/README.md).
#
#   bash contrib/bench/recursion.sh [--megdns PATH | --build DIR] [--zones N] [--names N]
#                                   [--rounds N] [--out FILE] [--keep] [--time-limit SECS]
#
# Run as root (or where `unshare -r -n` works) on a machine with 2+ cores. It builds and
# installs nothing. The default run (1,000 zones, 10,000 names, 2 rounds) takes 2-3 minutes,
# most of it signing the zones; it is ended after --time-limit (900) seconds.
#
# The fake internet, built in a private network namespace (every packet stays on its
# loopback): a signed root on NSD 127.0.1.1, a signed test. on NSD 127.0.1.2 delegating N
# signed zones z0.test. .. z(N-1).test. (ECDSA P-256, one key each, NSEC; DS in test.) to
# ns.zI.test. at 127.0.1.3, where a third NSD serves them all; each zone has www0..www(K-1)
# A records. The question list is every wwwJ.zI.test. A once (N x K names), shuffled with a
# fixed seed so the zones are interleaved. Both resolvers get the root hints (127.0.1.1) and
# the root's DS as trust anchor, one thread pinned to core 1, a cold cache, qname
# minimisation on (both defaults); dnsperf on core 0 sends each name once with 100 queries
# outstanding (-n 1 -q 100, timeout 10 s). Per server and round:
#   resolved names per second  NOERROR answers / dnsperf's run time
#   queries per name           the three NSDs' num.queries (nsd-control stats, reset before
#                              each run) / names sent: every query the resolver sent, priming,
#                              referrals, DS and DNSKEY included
#   p50 / p95                  of dnsperf -v's per-query latencies (ms)
#   RSS after                  VmRSS of the server after the run
#   CPU                        utime+stime of the server over the run (s)
# Rounds alternate megdns, Unbound, megdns, Unbound; the table shows the mean of the rounds.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEGDNS=$ROOT/build/megdns ZONES=1000 NAMES=10000 ROUNDS=2 OUT= KEEP=0 TIME_LIMIT=900
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--megdns) MEGDNS=$2 && shift ;;
	--build) MEGDNS=$2/megdns && shift ;;
	--zones) ZONES=$2 && shift ;;
	--names) NAMES=$2 && shift ;;
	--rounds) ROUNDS=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	--keep) KEEP=1 ;;
	--time-limit) TIME_LIMIT=$2 && shift ;;
	*) sed -n '2,30p' "${BASH_SOURCE[0]}" >&2 && exit 2 ;;
	esac
	shift
done
log() { echo "bench: $(date +%T) $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
. "$ROOT/contrib/bench/netns.sh"

if [ -z "${MEGDNS_BENCH_INSIDE:-}" ]; then
	for t in nsd nsd-control unbound dnsperf dig ldns-keygen ldns-signzone ldns-key2ds taskset \
		unshare ip timeout; do
		command -v "$t" >/dev/null 2>&1 ||
			die "missing $t: apt-get install -y nsd unbound dnsperf bind9-dnsutils ldnsutils util-linux iproute2"
	done
	[ -x "$MEGDNS" ] || die "no megdns binary at $MEGDNS (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build)"
	bench_netns "${BASH_SOURCE[0]}" "$TIME_LIMIT" "${ORIG_ARGS[@]}"
fi

# --- inside the private network namespace -----------------------------------------------------
bench_inside rbench
ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
PER_ZONE=$(((NAMES + ZONES - 1) / ZONES))
SIGN_FROM=$(date -u -d '-1 hour' +%Y%m%d%H%M%S)
SIGN_TO=$(date -u -d '+30 days' +%Y%m%d%H%M%S)

# --- the signed tree ----------------------------------------------------------------------------
# sign ORIGIN FILE: one ECDSA P-256 key (SEP flag) signs FILE into FILE.signed; prints its DS.
mkdir -p "$W/keys" "$W/zones"
cat >"$W/sign.sh" <<'EOF'
#!/usr/bin/env bash
# sign.sh W ORIGIN FILE FROM TO: key, signed zone, DS line into FILE.ds
set -e
w=$1 origin=$2 file=$3
key=$(cd "$w/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$origin")
ldns-signzone -i "$4" -e "$5" -o "$origin" -f "$file.signed" "$file" "$w/keys/$key"
ldns-key2ds -n -2 "$w/keys/$key.key" >"$file.ds"
cp "$w/keys/$key.key" "$file.key"
EOF
chmod +x "$W/sign.sh"
log "writing and signing $ZONES zones with $PER_ZONE names each"
for ((i = 0; i < ZONES; i++)); do
	{
		printf '$ORIGIN z%d.test.\n$TTL 3600\n@ IN SOA ns h 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.1.3\n' "$i"
		for ((k = 0; k < PER_ZONE; k++)); do
			printf 'www%d IN A 10.%d.%d.%d\n' "$k" $((i / 256 % 256)) $((i % 256)) $((k % 256))
		done
	} >"$W/zones/z$i.zone"
done
seq 0 $((ZONES - 1)) | xargs -P 2 -I{} "$W/sign.sh" "$W" "z{}.test." "$W/zones/z{}.zone" \
	"$SIGN_FROM" "$SIGN_TO" 2>"$W/sign.err" || die "signing the leaves: $(tail -n 3 "$W/sign.err")"
{
	printf '$ORIGIN test.\n$TTL 86400\n@ IN SOA ns.nic h 1 3600 600 86400 300\n@ IN NS ns.nic\nns.nic IN A 127.0.1.2\n'
	for ((i = 0; i < ZONES; i++)); do
		printf 'z%d IN NS ns.z%d\nns.z%d IN A 127.0.1.3\n' "$i" "$i" "$i"
		cat "$W/zones/z$i.zone.ds"
	done
} >"$W/zones/test.zone"
"$W/sign.sh" "$W" test. "$W/zones/test.zone" "$SIGN_FROM" "$SIGN_TO" 2>>"$W/sign.err" ||
	die "signing test."
{
	printf '$TTL 518400\n. IN SOA a.root. h.root. 1 3600 600 86400 300\n. IN NS a.root.\na.root. IN A 127.0.1.1\n'
	printf 'test. 172800 IN NS ns.nic.test.\nns.nic.test. 172800 IN A 127.0.1.2\n'
	cat "$W/zones/test.zone.ds"
} >"$W/zones/root.zone"
"$W/sign.sh" "$W" . "$W/zones/root.zone" "$SIGN_FROM" "$SIGN_TO" 2>>"$W/sign.err" ||
	die "signing the root"
cp "$W/zones/root.zone.ds" "$W/root.key"
printf '. 3600000 IN NS a.root.\na.root. 3600000 IN A 127.0.1.1\n' >"$W/root.hints"

# The question list: every name once, shuffled (fixed seed).
for ((i = 0; i < ZONES; i++)); do
	for ((k = 0; k < PER_ZONE; k++)); do echo "www$k.z$i.test. A"; done
done | head -n "$NAMES" | awk 'BEGIN { srand(11) } { print rand() "\t" $0 }' | sort -k1,1 |
	cut -f2- >"$W/names.txt"
NAMES=$(wc -l <"$W/names.txt")

# --- the servers --------------------------------------------------------------------------------
NSDS=(root tld leaves)
declare -A NSD_ADDR=([root]=127.0.1.1 [tld]=127.0.1.2 [leaves]=127.0.1.3)
start_nsd() { # NAME ZONE:FILE...
	local n=$1 z d=$W/nsd-$1 i
	shift
	mkdir -p "$d"
	{
		printf 'server:\n\tip-address: %s\n\tusername: ""\n\tchroot: ""\n\tzonesdir: "%s"\n' "${NSD_ADDR[$n]}" "$d"
		printf '\tpidfile: "%s/nsd.pid"\n\txfrdfile: "%s/xfrd.state"\n\tzonelistfile: "%s/zone.list"\n' "$d" "$d" "$d"
		printf '\tdatabase: ""\n\tlogfile: "%s/nsd.log"\n\tserver-count: 1\n\tverbosity: 0\n' "$d"
		printf '\trrl-ratelimit: 0\n\trefuse-any: no\n'
		printf 'remote-control:\n\tcontrol-enable: yes\n\tcontrol-interface: %s/nsd.ctl\n' "$d"
		for z in "$@"; do printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "${z%%:*}" "${z#*:}"; done
	} >"$d/nsd.conf"
	taskset -c 0 nsd -d -c "$d/nsd.conf" >>"$d/nsd.out" 2>&1 &
	STARTED+=($!)
	for ((i = 0; i < 300; i++)); do
		dig +tries=1 +time=1 +norec "@${NSD_ADDR[$n]}" "${1%%:*}" SOA 2>/dev/null | grep -q NOERROR && return 0
		sleep 0.1
	done
	die "NSD $n does not answer: $(tail -n 3 "$d/nsd.out" "$d/nsd.log" 2>/dev/null)"
}
nsd_queries() { # the queries the three NSDs answered since their last reset (resets them)
	local n sum=0 q
	for n in "${NSDS[@]}"; do
		q=$(nsd-control -c "$W/nsd-$n/nsd.conf" stats 2>/dev/null | sed -n 's/^num.queries=//p')
		sum=$((sum + ${q:-0}))
	done
	echo "$sum"
}
leaves=()
for ((i = 0; i < ZONES; i++)); do leaves+=("z$i.test.:$W/zones/z$i.zone.signed"); done
log "starting NSD (root, test., $ZONES leaves)"
start_nsd root ".:$W/zones/root.zone.signed"
start_nsd tld "test.:$W/zones/test.zone.signed"
start_nsd leaves "${leaves[@]}"

declare -A ADDR=([megdns]=127.0.0.3 [unbound]=127.0.0.4)
cat >"$W/megdns.yaml" <<EOF
server:
  listen: [127.0.0.3@53]
  threads: 1
  verbosity: 1
recursion:
  root-hints: $W/root.hints
  query-localhost: true
cache:
  size: 256MiB
dnssec:
  validation: true
  trust-anchor-file: $W/root.key
control:
  socket: $W/megdns.sock
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
	root-hints: "$W/root.hints"
	trust-anchor-file: "$W/root.key"
	module-config: "validator iterator"
	msg-cache-size: 128m
	rrset-cache-size: 256m
	key-cache-size: 64m
	so-reuseport: no
	val-log-level: 0
	local-zone: "test." nodefault
EOF
unbound-checkconf "$W/unbound.conf" >/dev/null 2>&1 || die "unbound-checkconf: $(unbound-checkconf "$W/unbound.conf" 2>&1)"
"$MEGDNS" -t -c "$W/megdns.yaml" >/dev/null 2>&1 || die "megdns -t: $("$MEGDNS" -t -c "$W/megdns.yaml" 2>&1)"

# run NAME ROUND: one cold run; results into R[NAME.ROUND.*].
declare -A R=()
run() {
	local s=$1 r=$2 pid a=${ADDR[$1]} i t0 t1 out=$W/dp.$1.$2
	nsd_queries >/dev/null
	case $s in
	megdns) taskset -c 1 "$MEGDNS" -c "$W/megdns.yaml" >>"$W/megdns.log" 2>&1 & ;;
	unbound) taskset -c 1 unbound -d -c "$W/unbound.conf" >>"$W/unbound.log" 2>&1 & ;;
	esac
	pid=$!
	STARTED+=("$pid")
	for ((i = 0; i < 100; i++)); do # a question neither resolves: CHAOS, their own
		dig +tries=1 +time=1 "@$a" CH TXT "$([ "$s" = megdns ] && echo view.megdns. || echo id.server.)" 2>/dev/null |
			grep -q 'status:' && break
		sleep 0.1
	done
	[ "$(nsd_queries)" = 0 ] || log "warning: $s queried the NSDs before the run"
	log "$s round $r: $NAMES names, cold"
	t0=$(ticks "$pid")
	taskset -c 0 dnsperf -s "$a" -d "$W/names.txt" -n 1 -c 4 -q 100 -t 10 -v >"$out" 2>&1
	t1=$(ticks "$pid")
	R[$s.$r.auth]=$(nsd_queries)
	R[$s.$r.rss]=$(rss_kib "$pid")
	R[$s.$r.cpu]=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
	local rt noerror
	rt=$(awk '/^ *Run time \(s\):/ { print $4 }' "$out")
	noerror=$(awk '$1 == ">" && $2 == "NOERROR"' "$out" | wc -l)
	R[$s.$r.ok]=$noerror
	R[$s.$r.fail]=$(awk '$1 == ">" && $2 != "NOERROR"' "$out" | wc -l)
	R[$s.$r.lost]=$(awk '/^ *Queries lost:/ { print $3 }' "$out")
	R[$s.$r.rate]=$(awk -v n="$noerror" -v t="$rt" 'BEGIN { if (t > 0) printf "%.0f", n / t }')
	read -r R[$s.$r.p50] R[$s.$r.p95] < <(awk '$1 == ">" && $NF ~ /^[0-9.]+$/ { print $NF * 1e3 }' "$out" |
		sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "- -"; exit }
			i = int(NR * 0.5); if (i < NR * 0.5) i++; j = int(NR * 0.95); if (j < NR * 0.95) j++
			printf "%.2f %.2f\n", v[i], v[j] }')
	R[$s.$r.ad]=no
	dig +tries=1 +time=2 +dnssec "@$a" www0.z0.test. A 2>/dev/null | grep -q '^;; flags:.* ad[ ;]' &&
		R[$s.$r.ad]=yes
	if [ "$s" = megdns ]; then
		R[$s.$r.own]=$("$ROOT/build/megdns-control" -s "$W/megdns.sock" stats 2>/dev/null |
			awk '$1 ~ /^authoritative\./ { n += $2 } END { print n + 0 }')
	fi
	stop_pid "$pid"
}
for ((r = 1; r <= ROUNDS; r++)); do
	run megdns "$r"
	run unbound "$r"
done

# --- the report ------------------------------------------------------------------------------------
mean() { # KEY: the mean over the rounds of megdns or unbound's KEY (e.g. megdns rate)
	local s=$1 k=$2 r vals=""
	for ((r = 1; r <= ROUNDS; r++)); do vals+="${R[$s.$r.$k]:-} "; done
	echo "$vals" | awk -v d="${3:-0}" '{ n = 0; t = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { t += $i; n++ }
		if (n) printf "%.*f\n", d, t / n; else print "n/a" }'
}
ratio() { awk -v m="$1" -v u="$2" 'BEGIN { if (m ~ /^[0-9.]+$/ && u ~ /^[0-9.]+$/ && u > 0) printf "%.2f", m / u; else print "n/a" }'; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
qpn() { awk -v q="$(mean "$1" auth)" -v n="$NAMES" 'BEGIN { if (q ~ /^[0-9.]+$/) printf "%.2f", q / n; else print "n/a" }'; }
{
	echo "### Resolving from the root: megdns vs Unbound, cold cache, validating"
	echo
	echo "$ZONES signed zones (ECDSA P-256, NSEC) under a signed test. and root on three NSDs; $NAMES distinct names, each once, 100 outstanding; one server thread each; mean of $ROUNDS round(s)."
	echo
	echo "| | megdns | Unbound | megdns / Unbound |"
	echo "|---|---:|---:|---:|"
	row "resolved names per second" "$(mean megdns rate)" "$(mean unbound rate)"
	row "queries to authoritative servers per name" "$(qpn megdns)" "$(qpn unbound)"
	row "p50 resolution time (ms)" "$(mean megdns p50 2)" "$(mean unbound p50 2)"
	row "p95 resolution time (ms)" "$(mean megdns p95 2)" "$(mean unbound p95 2)"
	row "RSS after the run (MiB)" "$(awk -v k="$(mean megdns rss)" 'BEGIN { printf "%.1f", k / 1024 }')" \
		"$(awk -v k="$(mean unbound rss)" 'BEGIN { printf "%.1f", k / 1024 }')"
	row "server CPU over the run (s)" "$(mean megdns cpu 2)" "$(mean unbound cpu 2)"
	row "answers other than NOERROR" "$(mean megdns fail)" "$(mean unbound fail)"
	row "queries lost (no answer in 10 s)" "$(mean megdns lost)" "$(mean unbound lost)"
	echo
	echo "Validated (AD set on a sample answer, last round): megdns ${R[megdns.$ROUNDS.ad]:-?}, Unbound ${R[unbound.$ROUNDS.ad]:-?}."
	echo "megdns counted $(mean megdns own) queries to authoritative servers itself (megdns-control stats); the NSDs counted $(mean megdns auth)."
	echo "$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); $("$MEGDNS" --version 2>&1 | head -n 1), Unbound $(unbound -V 2>&1 | sed -n 's/^Version //p' | head -n 1), $(nsd -v 2>&1 | head -n 1)."
} | tee "${OUT:-/dev/null}"
