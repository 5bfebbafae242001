#!/usr/bin/env bash
# Second README command: the whole test suite. Builds megdns twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), and for each build runs the Check unit tests
# (ctest) and the integration tests (real NSD/Unbound on loopback inside a private network
# namespace). Then the fuzz smoke test: every libFuzzer target built with clang and run for 5 s
# (tests/fuzz/run.sh), failing on a crash, leak, timeout or too little coverage.
# Exits non-zero when any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
contrib/deps.sh || exit 1
jobs=$(nproc)
status=0

run_build() { # name, cmake args...
	local dir=$1
	shift
	echo "=== build $dir"
	cmake -S . -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j"$jobs" >/dev/null || return 1
	echo "=== unit tests ($dir)"
	(cd "$dir" && ctest --output-on-failure) || return 1
	echo "=== integration tests ($dir)"
	tests/integration/run.sh "$dir" || return 1
}

run_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_build build-asan -DCMAKE_BUILD_TYPE=Debug -DMEGDNS_SANITIZE=ON || status=1
echo "=== fuzz smoke"
tests/fuzz/run.sh 5 || status=1

[ $status -eq 0 ] && echo "ALL TESTS PASSED" || echo "SOME TESTS FAILED"
exit $status
