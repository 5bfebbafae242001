# netns.sh -- what recursion.sh and overload.sh share (sourced): run in a private network
# namespace, a work folder, and stopping only the processes the run started.
#
#   bench_netns SCRIPT TIME_LIMIT ARGS...   outside: re-execute SCRIPT ARGS in a new network
#                                           namespace (unshare -n, or -r -n when not root),
#                                           ended after TIME_LIMIT seconds; never returns.
#                                           Inside: returns at once.
#   bench_inside NAME                       inside: lo up, the work folder $W (megdns-NAME.*),
#                                           removed at exit unless KEEP=1; every PID added to
#                                           STARTED is stopped at exit, if it is in this
#                                           namespace (never a process of the host)
#   stop_pid PID, rss_kib PID
#   bench_responder ADDR                    inside: a UDP server on ADDR@53 answering every A
#                                           query with 192.0.2.1 for an hour (repeats are
#                                           cache hits), the question only otherwise
# The caller defines log and die.
# shellcheck shell=bash
bench_netns() {
	local script=$1 limit=$2 ns_args=(-n)
	shift 2
	[ -n "${MEGDNS_BENCH_INSIDE:-}" ] && return 0
	[ "$(id -u)" -ne 0 ] && ns_args=(-r -n)
	export MEGDNS_BENCH_INSIDE=1
	exec timeout -k 15 "$limit" unshare "${ns_args[@]}" -- "$BASH" "$script" "$@"
}

bench_inside() {
	ip link set lo up || die "cannot bring lo up"
	W=$(mktemp -d "${TMPDIR:-/tmp}/megdns-$1.XXXXXX") || die "no work folder"
	STARTED=()
	OWN_NET=$(stat -L -c %i /proc/self/ns/net)
	trap bench_cleanup EXIT
	trap 'exit 143' TERM INT HUP
}

bench_ours() { [ "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" = "$OWN_NET" ]; }

bench_cleanup() {
	local pid
	trap - EXIT
	for pid in "${STARTED[@]}"; do bench_ours "$pid" && kill -TERM "$pid" 2>/dev/null; done
	sleep 0.3
	for pid in "${STARTED[@]}"; do bench_ours "$pid" && kill -KILL "$pid" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then log "work folder kept: $W"; else rm -rf "$W"; fi
}

stop_pid() {
	local i
	bench_ours "$1" && kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	bench_ours "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

bench_responder() {
	python3 - "$1" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    d, a = s.recvfrom(4096)
    i = 12
    while i < len(d) and d[i]:
        i += d[i] + 1
    q = d[12:i + 5]  # the question only: no OPT
    is_a = q[-4:] == b"\0\1\0\1"
    rr = b"\xc0\x0c\0\1\0\1\0\0\x0e\x10\0\4\xc0\0\2\1" if is_a else b""
    s.sendto(d[:2] + b"\x81\x80" + d[4:6] + (b"\0\1" if is_a else b"\0\0") + b"\0\0\0\0"
             + q + rr, a)
PY
	STARTED+=($!)
}
