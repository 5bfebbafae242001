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
