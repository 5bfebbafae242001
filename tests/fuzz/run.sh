#!/usr/bin/env bash
# tests/fuzz/run.sh -- build the libFuzzer targets and run them: the fuzz smoke test of CI and
# the long runs alike.
#
# Usage: tests/fuzz/run.sh [-m] [-k] [-j N] SECONDS [TARGET...]
#
# Configures and builds the fuzz build (Debian's clang, ASan + UBSan, libFuzzer coverage on
# megdns_core as well as on the target) in build-fuzz, then runs every tests/fuzz/fuzz_*.c (or
# the TARGETs named, as fuzz_query or query) for SECONDS each, N at a time (default 2, the
# most this project allows itself). Each target fuzzes a scratch copy of its seed corpus
# tests/fuzz/corpus/<name without fuzz_> (none: it starts empty), so the repository's corpus
# is not touched, with -timeout=5 -rss_limit_mb=2048 and leak detection on.
#   -m    merge new inputs that add coverage back into tests/fuzz/corpus/<name> (libFuzzer
#         -merge=1; only for targets that ran clean), to commit as better seeds
#   -k    keep the scratch corpora (they are deleted otherwise)
#   -j N  targets run at once (1 or 2)
# Environment: FUZZ_BUILD (build folder, default build-fuzz), FUZZ_OUT (results folder,
# default a new /tmp/megdns-fuzz.XXXXXX), CC (default clang).
#
# Prints one row per target: seconds, execs, exec/s, cov (edges), ft (features), corpus size
# (units/bytes), crashes, leaks, timeouts, OOMs (a target stops at its first one, so these
# are 0 or 1). The results folder (printed) holds each
# target's log and its crash/leak/timeout/oom artefacts (reproduce one with
# `build-fuzz/tests/fuzz/fuzz_X ARTEFACT`). Exits 0 when every target ran clean and reached
# its coverage minimum (table below, so a blind build -- library not instrumented -- fails),
# 1 otherwise, 2 when it could not build or was called wrongly.
set -uo pipefail
cd "$(dirname "$0")/../.."

# Minimum coverage (libFuzzer "cov", edges) per target; targets not listed need 50. Each is
# below what its seeds alone reach (so a slow machine passes) and far above the 2-6 edges of
# a build whose library is not instrumented. fuzz_reply's whole code (msg_walk) is 54 edges.
min_cov() {
	case $1 in
	fuzz_chase) echo 60 ;;    # seeds 62, 5 s ~104
	fuzz_config) echo 180 ;;  # seeds 202, 5 s ~300
	fuzz_query) echo 60 ;;    # seeds 68, 5 s ~94
	fuzz_reply) echo 40 ;;    # seeds 26, 5 s ~54
	fuzz_validate) echo 230 ;; # seeds 256, 5 s ~310
	fuzz_zone) echo 220 ;;    # seeds 253, 5 s ~265
	fuzz_tcp) echo 60 ;;      # 15 s ~101
	fuzz_oplisten) echo 80 ;; # 15 s ~140
	fuzz_upstream) echo 60 ;; # 60 s ~115
	fuzz_negcache) echo 80 ;; # seeds 96, 30 s ~140
	fuzz_lists) echo 250 ;;   # 30 s ~595
	fuzz_proxy) echo 80 ;;    # 30 s ~159
	fuzz_tls) echo 20 ;;      # 30 s ~26: tlsframe.c only, OpenSSL is not instrumented
	fuzz_doh) echo 40 ;;      # doh.c only, nghttp2 is not instrumented
	*) echo 50 ;;
	esac
}

usage() {
	sed -n '4,18s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

merge=0 keep=0 par=2
while getopts "mkj:" opt; do
	case $opt in
	m) merge=1 ;;
	k) keep=1 ;;
	j) par=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
secs=$1
shift
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || usage
[[ $par =~ ^[12]$ ]] || usage

targets=()
if [ $# -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
else
	for t in "$@"; do
		t=fuzz_${t#fuzz_}
		[ -f "tests/fuzz/$t.c" ] || { echo "run.sh: no target $t (tests/fuzz/$t.c)" >&2; exit 2; }
		targets+=("$t")
	done
fi

build=${FUZZ_BUILD:-build-fuzz}
echo "=== fuzz: building ${targets[*]} in $build"
# The compiler by full path, as the cache keeps it. A folder configured with another compiler
# has its cache reset by CMake, which then drops the other -D options: configure once more.
cc=$(command -v "${CC:-clang}") || { echo "run.sh: no ${CC:-clang} (contrib/deps.sh)" >&2; exit 2; }
for pass in 1 2; do
	if ! cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DMEGDNS_FUZZ=ON -DMEGDNS_SANITIZE=ON \
		-DMEGDNS_TESTS=OFF >"$build.cmake.log" 2>&1; then
		cat "$build.cmake.log" >&2
		exit 2
	fi
	grep -q '^MEGDNS_FUZZ:BOOL=ON' "$build/CMakeCache.txt" && break
done
rm -f "$build.cmake.log"
if ! cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null; then
	echo "run.sh: build failed" >&2
	exit 2
fi

out=${FUZZ_OUT:-$(mktemp -d /tmp/megdns-fuzz.XXXXXX)}
mkdir -p "$out"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer

# Fuzz one target in $out/<target>: scratch corpus, artefacts, log, wall seconds and exit code.
run_one() {
	local t=$1 d=$out/$1 seed=tests/fuzz/corpus/${1#fuzz_}
	local bin
	bin=$(realpath "$build/tests/fuzz/$t")
	rm -rf "$d"
	mkdir -p "$d/corpus" "$d/artifacts"
	[ -d "$seed" ] && cp -r "$seed/." "$d/corpus/"
	local start=$SECONDS rc=0
	# The outer timeout only catches a fuzzer that stops honouring -max_total_time.
	(cd "$d" && exec timeout -k 10 $((secs * 2 + 60)) "$bin" -max_total_time="$secs" \
		-timeout=5 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
		-artifact_prefix="$d/artifacts/" "$d/corpus" >"$d/log" 2>&1) || rc=$?
	echo $((SECONDS - start)) >"$d/seconds"
	echo "$rc" >"$d/rc"
}

echo "=== fuzz: ${#targets[@]} targets, ${secs}s each, $par at a time; results in $out"
running=0
for t in "${targets[@]}"; do
	if [ "$running" -ge "$par" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait

# The last value of a libFuzzer status field ("cov: 94") in a log, or 0.
field() {
	grep -Eo "$1: [0-9]+(/[0-9]+[KMG]?b)?" "$2" | tail -n 1 | sed "s/^$1: //" || true
}

count() { # artefacts of one kind
	find "$2" -maxdepth 1 -name "$1-*" | wc -l
}

status=0
printf '%-16s %5s %10s %8s %6s %6s %14s %7s %5s %8s %4s  %s\n' target secs execs exec/s cov ft \
	corpus crashes leaks timeouts ooms result
for t in "${targets[@]}"; do
	d=$out/$t log=$out/$t/log
	rc=$(cat "$d/rc")
	cov=$(field cov "$log") ft=$(field ft "$log") corp=$(field corp "$log")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	crash=$(count crash "$d/artifacts") leak=$(count leak "$d/artifacts")
	tmo=$(count timeout "$d/artifacts") oom=$(count oom "$d/artifacts")
	# An exit without an artefact: killed by the outer timeout, or died before fuzzing.
	if [ "$rc" -ne 0 ] && [ $((crash + leak + tmo + oom)) -eq 0 ]; then
		case $rc in 124 | 137) tmo=1 ;; *) crash=1 ;; esac
	fi
	why=""
	[ $((crash + leak + tmo + oom)) -gt 0 ] && why="FAIL (artefacts in $d/artifacts)"
	[ -z "$why" ] && [ "${cov:-0}" -lt "$(min_cov "$t")" ] && why="FAIL: cov < $(min_cov "$t")"
	[ -n "$why" ] && status=1
	printf '%-16s %5s %10s %8s %6s %6s %14s %7s %5s %8s %4s  %s\n' "$t" "$(cat "$d/seconds")" \
		"${execs:-?}" "${rate:-?}" "${cov:-0}" "${ft:-0}" "${corp:-0}" "$crash" "$leak" "$tmo" \
		"$oom" "${why:-ok}"
	if [ $merge -eq 1 ] && [ -z "$why" ]; then
		seed=tests/fuzz/corpus/${t#fuzz_}
		mkdir -p "$seed"
		before=$(find "$seed" -type f | wc -l)
		"$build/tests/fuzz/$t" -merge=1 -timeout=5 -rss_limit_mb=2048 "$seed" "$d/corpus" \
			>"$d/merge.log" 2>&1 || echo "run.sh: merge of $t failed, see $d/merge.log" >&2
		echo "    merged into $seed: $(($(find "$seed" -type f | wc -l) - before)) new inputs"
	fi
	[ $keep -eq 1 ] || rm -rf "$d/corpus"
done
echo "=== fuzz: logs and artefacts in $out"
[ $status -eq 0 ] && echo "=== fuzz: all targets clean" || echo "=== fuzz: FAILED"
exit $status
