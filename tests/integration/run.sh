#!/usr/bin/env bash
# Integration tests: megdns against real NSD/Unbound (and a small scripted server) on loopback.
#
#   tests/integration/run.sh [BUILD_DIR] [TEST...]      e.g.  run.sh build t_views t_tcp
#
# The suite re-executes itself inside new network and mount namespaces (`unshare -n -m`): only
# a private loopback exists there, so port 53 is free and no packet can leave the machine.
# Every tests/integration/t_*.sh (or each TEST named) then runs in a fresh temporary folder,
# bounded by IT_TIMEOUT seconds (default 120). Prints PASS/FAIL per test, the log of each
# failure, and "integration: N passed, M failed"; exits non-zero when any test failed.
set -uo pipefail

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$IT_DIR/../.." && pwd)

if [ -z "${MEGDNS_IT_INSIDE:-}" ]; then
	for tool in unshare ip dig nsd unbound python3 timeout; do
		command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
		command -v "$tool" >/dev/null 2>&1 || { echo "integration: missing tool: $tool" >&2; exit 1; }
	done
	ns_args=(-n -m --propagation private)
	[ "$(id -u)" -ne 0 ] && ns_args=(-r "${ns_args[@]}")
	MEGDNS_IT_INSIDE=1 exec unshare "${ns_args[@]}" -- "$BASH" "${BASH_SOURCE[0]}" "$@"
	echo "integration: cannot create a network namespace (unshare -n)" >&2
	exit 1
fi

# --- inside the private namespaces ----------------------------------------------------------
ip link set lo up || { echo "integration: cannot bring lo up" >&2; exit 1; }
# `ip netns add` (t_interfaces) keeps its handles under /run/netns: give it a private folder.
# Only when that worked may tests (and the backstop below) create and remove namespaces.
mkdir -p /run/netns 2>/dev/null && mount -t tmpfs -o size=1m megdns-it /run/netns 2>/dev/null &&
	export MEGDNS_IT_NETNS_PRIVATE=1
# IPv6 loopback must work: the listeners and some tests use ::1.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' && break
	sleep 0.2
done
if ! ip -6 addr show dev lo | grep -q '::1/128'; then
	sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 2>/dev/null
	ip -6 addr add ::1/128 dev lo 2>/dev/null
fi
ip -6 addr show dev lo | grep -q '::1/128' || echo "integration: warning: no ::1 in the namespace" >&2

BUILD_DIR=/work/main/build
[ -d "$ROOT/build" ] && BUILD_DIR="$ROOT/build"
if [ $# -gt 0 ] && [ -d "$1" ]; then
	BUILD_DIR=$1
	shift
fi
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
export MEGDNS="$BUILD_DIR/megdns"
if [ ! -x "$MEGDNS" ]; then
	echo "integration: no megdns binary at $MEGDNS (build it first)" >&2
	exit 1
fi
export IT_DIR
export PATH="$PATH:/usr/sbin:/sbin"
IT_TIMEOUT=${IT_TIMEOUT:-120}

tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		t=${t%.sh}
		t=${t##*/}
		[ -f "$IT_DIR/$t.sh" ] || { echo "integration: no such test: $t" >&2; exit 1; }
		tests+=("$t")
	done
else
	for f in "$IT_DIR"/t_*.sh; do
		tests+=("$(basename "$f" .sh)")
	done
fi

echo "integration: ${#tests[@]} test(s), megdns=$MEGDNS, timeout ${IT_TIMEOUT}s each"
passed=0
failed=0
failed_names=()
suite_start=$(date +%s)
for t in "${tests[@]}"; do
	work=$(mktemp -d "${TMPDIR:-/tmp}/megdns-it.$t.XXXXXX")
	start=$(date +%s.%N)
	# timeout makes the test a process group of its own and ends that whole group on expiry.
	( cd "$work" && T="$work" TEST_NAME="$t" exec timeout -k 5 "$IT_TIMEOUT" \
		"$BASH" "$IT_DIR/$t.sh" ) >"$work/test.log" 2>&1
	rc=$?
	# Backstop: anything the test recorded as started and that still runs in this namespace
	# is ended by PID; peer namespaces left by a killed test are emptied and removed.
	if [ -f "$work/pids" ]; then
		own_net=$(stat -L -c %i /proc/self/ns/net)
		while read -r pid; do
			[ -n "$pid" ] && [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$own_net" ] &&
				kill -KILL "$pid" 2>/dev/null
		done <"$work/pids"
	fi
	[ -n "${MEGDNS_IT_NETNS_PRIVATE:-}" ] && for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		checks=$(sed -n 's/^# .*: \([0-9]*\) of [0-9]* checks passed$/\1/p' "$work/test.log" | tail -n1)
		printf 'PASS  %-22s %6ss  %4s checks\n' "$t" "$secs" "${checks:-?}"
		[ -n "${IT_KEEP:-}" ] || rm -rf "$work"
	else
		failed=$((failed + 1))
		failed_names+=("$t")
		why="exit $rc"
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && why="timed out after ${IT_TIMEOUT}s"
		printf 'FAIL  %-22s %6ss  (%s)\n' "$t" "$secs" "$why"
		sed 's/^/    | /' "$work/test.log"
		for f in "$work"/megdns*.log; do
			[ -s "$f" ] || continue
			echo "    | --- last lines of $(basename "$f"):"
			tail -n 25 "$f" | sed 's/^/    | /'
		done
		echo "    | (files kept in $work)"
	fi
done
elapsed=$(($(date +%s) - suite_start))
[ $failed -gt 0 ] && echo "integration: failed: ${failed_names[*]}"
echo "integration: $passed passed, $failed failed (${elapsed}s)"
[ $failed -eq 0 ]
