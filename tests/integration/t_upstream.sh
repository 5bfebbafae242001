#!/usr/bin/env bash
# The upstream client against a scripted server (fakedns.py): forged replies (wrong ID, wrong
# question, wrong source port) are ignored; every upstream query has a random source port and
# ID; identical queries in flight go upstream once; TC over UDP makes megdns ask over TCP; an
# upstream slower than one attempt (2 s) still answers, because earlier attempts keep listening;
# a silent upstream gives SERVFAIL + EDE 22 within 3 s, before a stub resolver gives up.
. "$(dirname "$0")/lib.sh"

start_fakedns spoof 127.0.0.30 53 --mode spoof --delay 0.3 --ip 192.0.2.30
start_fakedns slow 127.0.0.31 53 --mode delay --delay 1.0 --ip 192.0.2.31
start_fakedns tc 127.0.0.32 53 --mode tc --ip 192.0.2.32
start_fakedns plain 127.0.0.33 53 --mode answer --ip 192.0.2.33
start_fakedns late 127.0.0.34 53 --mode delay --delay 2 --ip 192.0.2.34
start_fakedns silent 127.0.0.35 53 --mode drop
start_fakedns mute 127.0.0.36 53 --mode drop

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.33@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
forward-zones:
  - name: spoof.test.
    upstreams: [127.0.0.30@53]
  - name: slow.test.
    upstreams: [127.0.0.31@53]
  - name: tc.test.
    upstreams: [127.0.0.32@53]
  - name: late.test.
    upstreams: [127.0.0.34@53]
  - name: silent.test.
    upstreams: [127.0.0.35@53]
  - name: probe.test.
    upstreams: [127.0.0.36@53, 127.0.0.33@53]
views:
  - name: all
    records: ["x.home.arpa. 60 IN A 192.168.1.1"]
EOF
start_megdns megdns.yaml

# 1. Forged replies arrive first (all with 6.6.6.6); only the real one may be used.
for i in 1 2 3; do
	dq +time=4 "www$i.spoof.test." A
	expect_answer "192\.0\.2\.30\$" "spoofed replies ignored, real answer used (www$i.spoof.test)"
	expect_no_answer_match "6\.6\.6\.6" "no forged data in the answer (www$i.spoof.test)"
done
dq www1.spoof.test. A
expect_no_answer_match "6\.6\.6\.6" "no forged data in the cache"

# 2. Random source ports and IDs: 20 different names through the plain upstream.
for i in $(seq 1 20); do dig +tries=1 +time=2 -p 53 @127.0.0.1 "r$i.plain.test." A >/dev/null 2>&1; done
ports=$(grep -E ' r[0-9]+\.plain\.test\. ' "$T/fakedns-plain.log" | awk '$2 == "udp" { print $3 }' | sort -u | wc -l)
ids=$(grep -E ' r[0-9]+\.plain\.test\. ' "$T/fakedns-plain.log" | awk '$2 == "udp" { print $4 }' | sort -u | wc -l)
assert_range "$ports" 15 100 "20 upstream queries used (nearly) 20 different source ports" "$(cat "$T/fakedns-plain.log")"
assert_range "$ids" 18 100 "20 upstream queries used (nearly) 20 different IDs" "$(cat "$T/fakedns-plain.log")"
seq_ids=$(grep -E ' r[0-9]+\.plain\.test\. ' "$T/fakedns-plain.log" | awk '$2 == "udp" { print $4 }' |
	awk 'NR > 1 && ($1 == prev + 1) { n++ } { prev = $1 } END { print n + 0 }')
assert_range "$seq_ids" 0 3 "upstream IDs are not sequential"

# 3. Ten identical queries at once while the upstream takes 1 s: one upstream query.
for i in $(seq 1 10); do
	dig +tries=1 +time=4 -p 53 @127.0.0.1 same.slow.test. A >"dup$i.out" 2>&1 &
	pids="${pids:-} $!"
done
# shellcheck disable=SC2086
wait $pids
answered=$(grep -l '192\.0\.2\.31' dup*.out | wc -l)
assert_eq "$answered" 10 "all 10 concurrent identical queries answered" "$(cat dup1.out)"
n=$(grep -c ' same\.slow\.test\. ' "$T/fakedns-slow.log")
assert_eq "$n" 1 "10 identical in-flight queries went upstream once" "$(cat "$T/fakedns-slow.log")"

# Different qtypes are different queries.
dig +tries=1 +time=4 -p 53 @127.0.0.1 other.slow.test. A >/dev/null 2>&1 &
a=$!
dig +tries=1 +time=4 -p 53 @127.0.0.1 other.slow.test. AAAA >/dev/null 2>&1 &
b=$!
wait $a $b
n=$(grep -c ' other\.slow\.test\. ' "$T/fakedns-slow.log")
assert_eq "$n" 2 "A and AAAA for the same name are separate upstream queries" "$(cat "$T/fakedns-slow.log")"

# 4. Truncated over UDP -> megdns retries over TCP and returns the full answer.
dq www.tc.test. A
expect_answer "192\.0\.2\.32\$" "TC from the upstream: answer fetched over TCP"
expect_noflag tc "the client's reply is not truncated"
assert_match "$(cat "$T/fakedns-tc.log")" "^q tcp [0-9]+ [0-9]+ www\.tc\.test\. 1" "megdns asked over TCP after TC"

# 5. The only upstream answers every query after 2 s, longer than one attempt (upstream-timeout
# 1500 ms): the retransmission does not discard the first attempt, whose reply is used.
t0=$(now_ms)
dq +time=5 www.late.test. A
ms=$(($(now_ms) - t0))
expect_status NOERROR "2 s upstream (attempt timeout 1.5 s): NOERROR"
expect_answer "192\.0\.2\.34\$" "2 s upstream: the late reply to the first attempt answers the client"
assert_range "$ms" 1900 2900 "2 s upstream: answered when the first reply came (ms)"
n=$(grep -c ' www\.late\.test\. ' "$T/fakedns-late.log")
assert_range "$n" 1 2 "2 s upstream: asked at most twice (one retransmission)" "$(cat "$T/fakedns-late.log")"

# 6. The only upstream never answers: SERVFAIL with EDE 22 (No Reachable Authority) within 3 s,
# while dig (and glibc, 5 s) still waits for it.
t0=$(now_ms)
dq +time=5 www.silent.test. A
ms=$(($(now_ms) - t0))
expect_status SERVFAIL "silent upstream: SERVFAIL"
expect_out "EDE: 22( |\$)" "silent upstream: EDE 22 (No Reachable Authority)"
assert_range "$ms" 0 2999 "silent upstream: SERVFAIL in under 3 s (ms)"

# 7. A server never asked yet (127.0.0.36, silent) listed before one that answers (.33): it is
# probed alongside the known server instead of ahead of it, and the probe, still waiting for
# its reply when megdns is told to stop, neither delays the exit nor leaks.
t0=$(now_ms)
dq +time=5 www.probe.test. A
ms=$(($(now_ms) - t0))
expect_answer "192\.0\.2\.33\$" "untried silent server listed first: answer from the known one"
assert_range "$ms" 0 500 "untried silent server listed first: no wait for it (ms)"
assert_match "$(cat "$T/fakedns-mute.log")" " www\.probe\.test\. 1\$" "the untried server was probed alongside"
stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "SIGTERM with a probe in flight: megdns exits 0"
assert_range "$MEGDNS_STOP_MS" 0 1000 "SIGTERM with a probe in flight: megdns is gone at once (ms)"

finish
