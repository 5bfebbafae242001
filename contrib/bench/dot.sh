#!/usr/bin/env bash
# DNS over TLS and HTTPS, megdns and Unbound side by side in one run: cache-hit QPS over DoT
# and DoH (dnsperf -m dot / -m doh, a few long-lived connections), new TLS connections per
# second, and the memory of idle TLS connections. One Markdown table.
#
#   bash contrib/bench/dot.sh [--megdns PATH | --build DIR] [--seconds S] [--idle N]
#                             [--out FILE] [--keep] [--time-limit SECS]
#
# Run as root (or where `unshare -r -n` works), in a private network namespace; it builds and
# installs nothing, and is ended after --time-limit (300) seconds.
#   setup    a test CA and a server certificate made with openssl; a Python UDP server on
#            127.0.0.9 answers every A query (192.0.2.1, TTL 3600), so repeats are hits
#   megdns   server.tls on 127.0.0.3@853, server.https on @443, one thread, validation off
#   Unbound  tls-port 853 and https-port 443 with the same certificate on 127.0.0.4, one
#            thread, forwarding to 127.0.0.9, module-config "iterator"
# Rows:
#   hits     dnsperf -m dot -c 4 over 1,000 names (warmed), S (10) seconds: answers/s
#   doh      the same with dnsperf -m doh (HTTP/2, GET)
#   conns    new TLS connections per second: openssl s_time -new for S seconds (a full
#            handshake each, one client: its own share of the CPU is in the figure too)
#   idle     VmRSS after N (1,000) idle TLS connections minus before, per connection (KiB);
#            the same for DoH connections that sent the HTTP/2 preface and SETTINGS
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MEGDNS=$ROOT/build/megdns SECONDS_RUN=10 IDLE=1000 OUT= KEEP=0 TIME_LIMIT=300
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--megdns) MEGDNS=$2 && shift ;;
	--build) MEGDNS=$2/megdns && shift ;;
	--seconds) SECONDS_RUN=$2 && shift ;;
	--idle) IDLE=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	--keep) KEEP=1 ;;
	--time-limit) TIME_LIMIT=$2 && shift ;;
	*) sed -n '2,21p' "${BASH_SOURCE[0]}" >&2 && exit 2 ;;
	esac
	shift
done
MEGDNS=$(realpath "$MEGDNS" 2>/dev/null || echo "$MEGDNS") # the run works in its folder
log() { echo "bench: $(date +%T) $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
. "$ROOT/contrib/bench/netns.sh"

if [ -z "${MEGDNS_BENCH_INSIDE:-}" ]; then
	for t in unbound dnsperf openssl python3 unshare ip timeout; do
		command -v "$t" >/dev/null 2>&1 ||
			die "missing $t: apt-get install -y unbound dnsperf openssl python3 util-linux iproute2"
	done
	[ -x "$MEGDNS" ] || die "no megdns binary at $MEGDNS"
	bench_netns "${BASH_SOURCE[0]}" "$TIME_LIMIT" "${ORIG_ARGS[@]}"
fi

bench_inside dotbench
cd "$W" || die "no work folder"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
	-out server.csr -subj "/CN=dns.test" 2>/dev/null
printf 'subjectAltName=DNS:dns.test,IP:127.0.0.3,IP:127.0.0.4\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile server.ext -out server.pem 2>/dev/null || die "openssl could not make a certificate"

bench_responder 127.0.0.9

for i in $(seq 1 1000); do echo "n$i.example.org A"; done >names.txt
cat >megdns.yaml <<EOF2
server:
  listen: [127.0.0.3@53]
  threads: 1
  tcp-max-connections: 4096
  tcp-idle-timeout: 60
  tls: {listen: [127.0.0.3@853], certificate: $W/server.pem, key: $W/server.key}
  https: {listen: [127.0.0.3@443]}
upstreams: [127.0.0.9@53]
dnssec: {validation: false}
control: {socket: ""}
views: [{name: all}]
EOF2
cat >unbound.conf <<EOF2
server:
	interface: 127.0.0.4@53
	interface: 127.0.0.4@853
	interface: 127.0.0.4@443
	tls-port: 853
	https-port: 443
	tls-service-key: "$W/server.key"
	tls-service-pem: "$W/server.pem"
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
	incoming-num-tcp: 4096
	tcp-idle-timeout: 60000
forward-zone:
	name: "."
	forward-addr: 127.0.0.9
EOF2
ulimit -n 16384

wait_dot() { # ADDR PID: until it answers over DoT (20 s)
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$2" 2>/dev/null || die "the server at $1 exited: $(tail -3 ./*.log)"
		echo "n1.example.org A" | dnsperf -m dot -s "$1" -p 853 -n 1 -t 1 2>/dev/null |
			grep -q "Queries completed: *1 " && return 0
		sleep 0.1
	done
	die "$1 does not answer over DoT"
}
qps() { awk '/Queries per second/ { printf "%d", $4 }'; }

idle_kib() { # PID ADDR N PORT: KiB of VmRSS per idle TLS connection (443: HTTP/2 begun)
	local pid=$1 before after
	before=$(rss_kib "$pid")
	python3 - "$2" "$3" "$4" >idle.out 2>&1 <<'PY' &
import socket, ssl, sys, time
addr, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.check_hostname = False
ctx.set_alpn_protocols(["h2"] if port == 443 else ["dot"])
conns = []
for i in range(n):
    s = socket.create_connection((addr, port), timeout=5)
    c = ctx.wrap_socket(s, server_hostname="dns.test")
    if port == 443:  # the client preface and an empty SETTINGS: the server's session exists
        c.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0\0\0\4\0\0\0\0\0")
    conns.append(c)
print("open", len(conns), flush=True)
time.sleep(8)
PY
	local py=$!
	STARTED+=("$py")
	for ((i = 0; i < 150; i++)); do grep -q "^open" idle.out 2>/dev/null && break; sleep 0.1; done
	sleep 1
	after=$(rss_kib "$pid")
	wait "$py" 2>/dev/null
	python3 -c "print('%.1f' % (($after - $before) / float($3)))"
}

run_one() { # NAME PID ADDR: prints "HITS DOH CONNS IDLE"
	local addr=$3 hits doh conns idle idle_h2
	wait_dot "$addr" "$2"
	dnsperf -m dot -s "$addr" -p 853 -d names.txt -n 1 -c 4 >/dev/null 2>&1 # warm the cache
	hits=$(dnsperf -m dot -s "$addr" -p 853 -d names.txt -l "$SECONDS_RUN" -c 4 -q 400 2>&1 | qps)
	doh=$(dnsperf -m doh -s "$addr" -p 443 -d names.txt -l "$SECONDS_RUN" -c 4 -q 400 2>&1 | qps)
	conns=$(timeout $((SECONDS_RUN + 20)) openssl s_time -connect "$addr:853" -new \
		-time "$SECONDS_RUN" 2>/dev/null |
		awk '/connections in .* real seconds/ { printf "%d", $1 / $4 }')
	idle=$(idle_kib "$2" "$addr" "$IDLE" 853)
	idle_h2=$(idle_kib "$2" "$addr" "$IDLE" 443)
	echo "$hits $doh $conns $idle $idle_h2"
}

log "megdns"
"$MEGDNS" -c megdns.yaml 2>megdns.log &
MPID=$!
STARTED+=("$MPID")
read -r m_hits m_doh m_conns m_idle m_idle_h2 < <(run_one megdns "$MPID" 127.0.0.3)
stop_pid "$MPID"
log "unbound"
unbound -c unbound.conf 2>unbound.log &
UPID=$!
STARTED+=("$UPID")
read -r u_hits u_doh u_conns u_idle u_idle_h2 < <(run_one unbound "$UPID" 127.0.0.4)
stop_pid "$UPID"

ratio() { python3 -c "a, b = float('${1:-0}'), float('${2:-0}'); print('%.2f' % (a / b) if b > 0 else '-')"; }
{
	echo "| DNS over TLS and HTTPS | megdns | Unbound | megdns / Unbound |"
	echo "|---|---:|---:|---:|"
	echo "| cache hits over DoT, 4 connections (answers/s) | ${m_hits:--} | ${u_hits:--} | $(ratio "$m_hits" "$u_hits") |"
	echo "| cache hits over DoH (HTTP/2), 4 connections (answers/s) | ${m_doh:--} | ${u_doh:--} | $(ratio "$m_doh" "$u_doh") |"
	echo "| new TLS connections, full handshakes (per s, openssl s_time -new) | ${m_conns:--} | ${u_conns:--} | $(ratio "$m_conns" "$u_conns") |"
	echo "| RSS per idle TLS connection, $IDLE open (KiB) | ${m_idle:--} | ${u_idle:--} | $(ratio "$m_idle" "$u_idle") |"
	echo "| RSS per idle DoH connection (HTTP/2 begun), $IDLE open (KiB) | ${m_idle_h2:--} | ${u_idle_h2:--} | $(ratio "$m_idle_h2" "$u_idle_h2") |"
} | tee "${OUT:-/dev/null}"
