#!/usr/bin/env bash
# Failover across upstreams: a first upstream on a closed port (ICMP port unreachable) costs
# no time; a black-hole first upstream costs one timeout and is then avoided, also after its
# hold-down (it is probed alongside the good server, not ahead of it); an upstream that
# REFUSES is skipped; when every upstream fails the client gets SERVFAIL with EDE 22 or 23,
# promptly. Each view has its own upstream list so one megdns covers all cases.
. "$(dirname "$0")/lib.sh"

{ zone_soa example.test.; for i in $(seq 1 12); do echo "n$i IN A 192.0.2.$i"; done; } >example.test.zone
{ zone_soa other.test.; echo "www IN A 198.51.100.1"; } >other.test.zone
start_nsd good 127.0.0.10 53 example.test.:example.test.zone
start_nsd refusing 127.0.0.11 53 other.test.:other.test.zone # REFUSED for example.test
start_fakedns hole 127.0.0.30 53 --mode drop

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
  upstream-timeout: 800
control: {socket: control.sock}
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: closed-first
    match-clients: [127.0.0.2/32]
    upstreams: [127.0.0.40@53, 127.0.0.10@53]
  - name: blackhole-first
    match-clients: [127.0.0.3/32]
    upstreams: [127.0.0.30@53, 127.0.0.10@53]
  - name: all-closed
    match-clients: [127.0.0.4/32]
    upstreams: [127.0.0.40@53, 127.0.0.41@5353]
  - name: all-blackhole
    match-clients: [127.0.0.5/32]
    upstreams: [127.0.0.30@53]
  - name: refused-first
    match-clients: [127.0.0.6/32]
    upstreams: [127.0.0.11@53, 127.0.0.10@53]
  - name: all-refused
    match-clients: [127.0.0.7/32]
    upstreams: [127.0.0.11@53]
  - name: default
    records: ["x.home.arpa. 60 IN A 192.168.1.1"]
EOF
start_megdns megdns.yaml

timed_dq() { # sets DQ_MS
	local t0
	t0=$(now_ms)
	dq "$@"
	DQ_MS=$(($(now_ms) - t0))
}

# 1. First upstream a closed port: the ICMP error fails over at once.
timed_dq -b 127.0.0.2 n1.example.test. A
expect_answer "192\.0\.2\.1\$" "closed first upstream: answer from the second"
assert_range "$DQ_MS" 0 999 "closed first upstream: answer in under 1 s (ms)" "$DQ"
timed_dq -b 127.0.0.2 n2.example.test. A
expect_answer "192\.0\.2\.2\$" "closed first upstream: next name"
assert_range "$DQ_MS" 0 999 "closed first upstream: next name in under 1 s (ms)" "$DQ"

# 2. First upstream a black hole: the first query may wait one timeout (800 ms)...
timed_dq +time=5 -b 127.0.0.3 n3.example.test. A
expect_answer "192\.0\.2\.3\$" "black-hole first upstream: answer from the second"
assert_range "$DQ_MS" 0 2500 "black-hole first upstream: answer within timeout + margin (ms)" "$DQ"
# ...after that megdns prefers the server that answers.
slow=0
times=""
for i in 4 5 6 7 8 9; do
	timed_dq +time=5 -b 127.0.0.3 "n$i.example.test." A
	expect_answer "192\.0\.2\.$i\$" "black-hole first upstream: n$i"
	times="$times ${DQ_MS}ms"
	[ "$DQ_MS" -ge 500 ] && slow=$((slow + 1))
done
assert_range "$slow" 0 1 "after one timeout the dead upstream is avoided (slow answers among 6:$times)"

# 2b. After the 10 s hold-down the black hole has still never answered: it must not rank ahead
# of the server that does. It is probed alongside it, so no client waits for it.
note "waiting out the 10 s hold-down of the black hole"
sleep 11
timed_dq +time=5 -b 127.0.0.3 n1.example.test. AAAA
expect_status NOERROR "after the hold-down: black-hole first upstream, NOERROR"
assert_range "$DQ_MS" 0 400 "after the hold-down: answered without waiting for the black hole (ms)" "$DQ"
assert_match "$(cat "$T/fakedns-hole.log")" " n1\.example\.test\. 28\$" \
	"after the hold-down the black hole was probed (alongside the good server)"
for i in 2 3 4; do
	timed_dq +time=5 -b 127.0.0.3 "n$i.example.test." AAAA
	assert_range "$DQ_MS" 0 400 "after the hold-down: n$i AAAA answered at once (ms)" "$DQ"
done
sleep 1 # the probe's own timeout (800 ms) has passed
ctl status
hole=$(printf '%s\n' "$CTL_OUT" | grep -F 'upstream 127.0.0.30@53:')
good=$(printf '%s\n' "$CTL_OUT" | grep -F 'upstream 127.0.0.10@53:')
asked=$(grep -c ' n[0-9]*\.example\.test\. ' "$T/fakedns-hole.log")
assert_match "$hole" "^ *upstream 127\.0\.0\.30@53: down, .* $asked queries, $asked timeouts, 0 errors\$" \
	"status: the black hole is down; every query it got ($asked) counted, all timed out" "$CTL_OUT"
assert_match "$good" "^ *upstream 127\.0\.0\.10@53: up, rtt [0-9]\.[0-9]+ ms, [0-9]+ queries, 0 timeouts" \
	"status: the good server is up with a small RTT and no timeouts" "$CTL_OUT"

# 3. An upstream answering REFUSED is not the last word when another upstream can answer.
dq -b 127.0.0.6 n10.example.test. A
expect_answer "192\.0\.2\.10\$" "REFUSED from the first upstream: answer from the second"

# 4. Every upstream closed: SERVFAIL with EDE 22/23, quickly.
timed_dq +time=6 -b 127.0.0.4 n11.example.test. A
expect_status SERVFAIL "all upstreams closed"
expect_out "EDE: (22|23)( |\$)" "all upstreams closed: EDE 22 (No Reachable Authority) or 23 (Network Error)"
assert_range "$DQ_MS" 0 3000 "all upstreams closed: SERVFAIL within 3 s (ms)" "$DQ"

# 5. The only upstream a black hole: SERVFAIL after the timeout(s), not never.
timed_dq +time=8 -b 127.0.0.5 n12.example.test. A
expect_status SERVFAIL "only upstream is a black hole"
expect_out "EDE: (22|23)( |\$)" "black hole: EDE 22 or 23"
assert_range "$DQ_MS" 0 6000 "black hole: SERVFAIL within 6 s (ms)" "$DQ"
n=$(grep -c 'n12.example.test' "$T/fakedns-hole.log")
assert_range "$n" 1 6 "the black hole was asked (and retried a bounded number of times)"

# 5b. The only upstream REFUSES: the client's resolver did not refuse it, so SERVFAIL (README:
# "When all fail the client gets SERVFAIL with EDE 22 or 23").
dq -b 127.0.0.7 n9.example.test. A
expect_status SERVFAIL "all upstreams REFUSE: SERVFAIL, not the upstream's REFUSED"
expect_out "EDE: (22|23)( |\$)" "all upstreams REFUSE: EDE 22 or 23"

# 6. The failure is not cached for long: with a working upstream list the name resolves.
dq -b 127.0.0.2 n12.example.test. A
expect_answer "192\.0\.2\.12\$" "another view resolves the name that failed elsewhere"

expect_alive "after the failover cases"
finish
