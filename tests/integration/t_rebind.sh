#!/usr/bin/env bash
# Rebinding protection: names from outside that point to private, loopback or link-local
# addresses get NODATA with EDE 15, from the first answer and from the cache alike; public
# addresses pass; a mixed answer is stripped whole; a CNAME into a private address too.
# Exempt: private-domains, a forward zone, the view's own names, a view with
# rebind-protection: false. The query log and metrics count it; explain says why; a cache
# saved and loaded across a restart keeps stripping.
. "$(dirname "$0")/lib.sh"

{
	zone_soa example.test.
	echo "public IN A 192.0.2.1"
	echo "router IN A 192.168.1.1"
	echo "ten IN A 10.0.0.5"
	echo "cgn IN A 172.20.1.1"
	echo "loop IN A 127.0.0.1"
	echo "zero IN A 0.0.0.0"
	echo "link IN A 169.254.10.1"
	echo "ula IN AAAA fd00::1"
	echo "ll IN AAAA fe80::1"
	echo "mapped IN AAAA ::ffff:192.168.1.1"
	echo "v6 IN AAAA 2001:db8::1"
	echo "mixed IN A 192.0.2.2"
	echo "mixed IN A 10.1.1.1"
	echo "alias IN CNAME router"
	echo "nas.corp IN A 10.20.0.5"
	echo "nas.home IN A 10.30.0.5"
	echo "nas.own IN AAAA fd00::99"
} >example.test.zone
{ zone_soa lan.test.; echo "nas IN A 192.168.1.10"; } >lan.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone lan.test.:lan.test.zone

cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53]
  query-log: true
upstreams: [127.0.0.10@53]
dnssec: {validation: false}
forward-zones:
  - name: lan.test.
    upstreams: [127.0.0.10@53]
control: {socket: control.sock}
cache: {file: cache.db}
metrics: {listen: 127.0.0.1@9153}
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    private-domains: [corp.example.test, home.example.test.]
    records: ["nas.own.example.test. 300 IN A 192.168.1.99"]
  - name: open
    match-clients: [127.0.0.3/32]
    rebind-protection: false
EOF2
start_megdns megdns.yaml

L="-b 127.0.0.2" O="-b 127.0.0.3"
for n in router ten cgn loop zero link; do
	dq $L $n.example.test. A
	expect_status NOERROR "$n: a private IPv4 address from upstream: NOERROR ..."
	expect_answer_count 0 "$n: ... with no address (NODATA)"
	expect_ede 15 "$n: EDE 15 (Blocked)"
done
for n in ula ll mapped; do
	dq $L $n.example.test. AAAA
	expect_answer_count 0 "$n: a private IPv6 address from upstream is stripped"
done
dq $L router.example.test. A
expect_out "rebinding protection" "the EDE text says why"
expect_answer_count 0 "the second time (from the cache) it is stripped too"
dq $L public.example.test. A
expect_answer "192\.0\.2\.1" "a public address passes"
expect_no_out "EDE" "a public address has no EDE"
dq $L v6.example.test. AAAA
expect_answer "2001:db8::1" "a public IPv6 address passes"
dq $L mixed.example.test. A
expect_answer_count 0 "an answer with one private address among public ones is stripped whole"
dq $L alias.example.test. A
expect_answer_count 0 "a CNAME to a name with a private address is stripped"
dq $L nas.corp.example.test. A
expect_answer "10\.20\.0\.5" "private-domains: the name's private address is allowed"
dq $L nas.home.example.test. A
expect_answer "10\.30\.0\.5" "private-domains: an entry with its final dot too"
dq $L nas.lan.test. A
expect_answer "192\.168\.1\.10" "a forward zone's private address is allowed"
dq $L nas.own.example.test. AAAA
expect_answer "fd00::99" "the view's own name (a record's other type from upstream) is allowed"
dq $O router.example.test. A
expect_answer "192\.168\.1\.1" "rebind-protection: false: the same cached answer passes in that view"

expect_log "127\.0\.0\.2.* router\.example\.test\. A .*rebind" "the query log shows the source rebind"
m=$(curl -s http://127.0.0.1:9153/metrics)
assert_match "$m" 'megdns_answers_total\{view="lan",source="rebind"\} 1[0-9]' "metrics count the stripped answers per view"
ctl explain 127.0.0.2 router.example.test
expect_ctl_out "^rebinding protection: an answer from outside with a private address" "explain: the name is protected"
ctl explain 127.0.0.2 nas.corp.example.test
expect_ctl_out "under private-domains corp\.example\.test\." "explain: private-domains"
ctl explain 127.0.0.2 nas.lan.test
expect_ctl_out "the forward zone lan\.test\. serves it" "explain: a forward zone"
ctl explain 127.0.0.3 router.example.test
expect_ctl_out "rebind-protection is off in view 'open'" "explain: the view turned it off"

# a cache saved at stop and loaded at start keeps the mark: the records carry it
stop_nsd up
stop_megdns
start_megdns megdns.yaml
dq $O router.example.test. A
expect_answer "192\.168\.1\.1" "after a restart with NSD stopped, the answer comes from the saved cache"
dq $L router.example.test. A
expect_answer_count 0 "... and the view with rebinding protection still gets it stripped"
expect_ede 15 "... with EDE 15"
expect_alive
finish
