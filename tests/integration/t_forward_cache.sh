#!/usr/bin/env bash
# Forwarding and the cache: answers from NSD, TTLs that count down, answers served from the
# cache once NSD is gone, min/max TTL clamps, forward-zones (longest suffix, label boundaries),
# and a view with its own upstreams that gets its own answers and its own cache scope.
. "$(dirname "$0")/lib.sh"

# NSD A (global upstream): example.test, with names that other servers answer differently.
{
	zone_soa example.test.
	cat <<'EOF'
www		IN A	192.0.2.1
www.corp	IN A	192.0.2.66
xcorp		IN A	192.0.2.77
long	86400	IN A	192.0.2.10
short	1	IN A	192.0.2.11
mixed	IN A	192.0.2.12
EOF
} >a.zone
# NSD B (forward zone corp.example.test.)
{ zone_soa corp.example.test.; echo "www IN A 198.51.100.1"; } >b.zone
# NSD C (the guest view's own upstream)
{
	zone_soa example.test.
	echo "www IN A 203.0.113.1"
	echo "www.corp IN A 203.0.113.66"
} >c.zone
start_nsd a 127.0.0.10 53 example.test.:a.zone
start_nsd b 127.0.0.11 53 corp.example.test.:b.zone
start_nsd c 127.0.0.12 53 example.test.:c.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
forward-zones:
  - name: example.test.
    upstreams: [127.0.0.10]
  - name: Corp.Example.Test
    upstreams: [127.0.0.11@53]
cache:
  size: 1MiB
  min-ttl: 10
  max-ttl: 3600
views:
  - name: guest
    match-clients: [127.0.0.3/32]
    upstreams: [127.0.0.12@53]
  - name: lan
    match-clients: [127.0.0.0/8]
    records: ["router.home.arpa. 300 IN A 192.168.1.1"]
EOF
start_megdns megdns.yaml

dq -b 127.0.0.2 www.example.test. A
expect_status NOERROR "forwarded www.example.test"
expect_answer "^www\.example\.test\.[[:space:]]+(300|299)[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.1\$" \
	"answer from NSD a with its TTL (300)"
expect_noflag aa "a forwarded answer is not authoritative"
expect_flag ra "recursion available"
expect_flag rd "RD echoed"
first_ttl=$(dq_ttl ANSWER www.example.test. A)

sleep 2.2
dq -b 127.0.0.2 www.example.test. A
ttl=$(dq_ttl ANSWER www.example.test. A)
assert_range "$ttl" $((first_ttl - 4)) $((first_ttl - 2)) \
	"the TTL counts down in the cache (first $first_ttl, 2.2 s later)" "$DQ"
expect_answer "192\.0\.2\.1\$" "cached answer unchanged"

dq -b 127.0.0.2 +norec www.example.test. A
expect_answer "192\.0\.2\.1\$" "RD=0 query for a cached name is answered from the cache"
expect_noflag rd "the cached answer carries this client's RD=0, not the stored flags"

# Clamps: 86400 -> max-ttl 3600; 1 -> min-ttl 10.
dq -b 127.0.0.2 long.example.test. A
assert_range "$(dq_ttl ANSWER long.example.test. A)" 3590 3600 "max-ttl clamps 86400 to 3600" "$DQ"
dq -b 127.0.0.2 short.example.test. A
assert_range "$(dq_ttl ANSWER short.example.test. A)" 8 10 "min-ttl raises a TTL of 1 to 10" "$DQ"

# Case: the answer comes back in the client's spelling, from the same cache entry.
dq -b 127.0.0.2 MiXeD.ExAmPlE.TeSt. A
expect_answer "^MiXeD\.ExAmPlE\.TeSt\..*192\.0\.2\.12" "0x20: the answer echoes the client's qname case"
dq -b 127.0.0.2 mixed.example.test. A
expect_answer "^mixed\.example\.test\..*192\.0\.2\.12" "lower-case query after a mixed-case one"

# forward-zones: longest suffix wins, on label boundaries.
dq -b 127.0.0.2 www.corp.example.test. A
expect_answer "198\.51\.100\.1" "www.corp.example.test goes to the corp.example.test. forwarder (NSD b)"
dq -b 127.0.0.2 WWW.CORP.EXAMPLE.TEST. A
expect_answer "198\.51\.100\.1" "forward-zone match is case-insensitive"
dq -b 127.0.0.2 xcorp.example.test. A
expect_answer "192\.0\.2\.77" "xcorp.example.test is not under corp.example.test (label boundary)"

# A view with its own upstreams: own answers, own cache scope, even under a forward zone.
dq -b 127.0.0.3 www.example.test. A
expect_answer "203\.0\.113\.1\$" "guest view uses its own upstream (NSD c), not lan's cached answer"
dq -b 127.0.0.3 www.corp.example.test. A
expect_answer "203\.0\.113\.66" "guest view's upstreams take precedence over forward-zones"
dq -b 127.0.0.2 www.example.test. A
expect_answer "192\.0\.2\.1\$" "lan still gets NSD a's answer after the guest view asked"

# NSD a goes away: the cached answers are still served (the TTLs have not run out).
stop_nsd a
dqs 127.0.0.10 53 +norec www.example.test. A
if [ "$DQ_RC" -ne 0 ] || [ -z "$(dq_status)" ]; then ok "NSD a no longer answers"; else
	fail "NSD a still answers: $DQ"
fi
dq -b 127.0.0.2 www.example.test. A
expect_status NOERROR "cached www.example.test with NSD a stopped"
expect_answer "192\.0\.2\.1\$" "cached answer served with NSD a stopped"
ttl=$(dq_ttl ANSWER www.example.test. A)
assert_range "$ttl" 250 $((first_ttl - 2)) "cached TTL is still counting down" "$DQ"
dq -b 127.0.0.2 mixed.example.test. A
expect_answer "192\.0\.2\.12" "another cached name served with NSD a stopped"
dq -b 127.0.0.2 www.corp.example.test. A
expect_answer "198\.51\.100\.1" "forward zone still answers (NSD b is up)"
dq -b 127.0.0.3 www.example.test. A
expect_answer "203\.0\.113\.1\$" "guest view still answers (NSD c is up)"

finish
