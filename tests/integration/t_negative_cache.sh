#!/usr/bin/env bash
# Negative caching (RFC 2308): NXDOMAIN and NODATA from NSD are cached for min(SOA TTL, SOA
# MINIMUM), the SOA's TTL counts down, and both are still answered after NSD stops.
. "$(dirname "$0")/lib.sh"

# SOA TTL 3600, MINIMUM 60 -> negative TTL 60. neg2.test: SOA TTL 30 < MINIMUM 900 -> 30.
{ zone_soa example.test. 60 3600; echo "www IN A 192.0.2.1"; } >example.test.zone
{ zone_soa neg2.test. 900 30; echo "www IN A 192.0.2.2"; } >neg2.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone neg2.test.:neg2.test.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: all
    records: ["placeholder.home.arpa. 300 IN A 192.168.1.1"]
EOF
start_megdns megdns.yaml

dq nx.example.test. A
expect_status NXDOMAIN "NXDOMAIN from NSD"
expect_section AUTHORITY "^example\.test\..*SOA" "NXDOMAIN carries the SOA"
nx_ttl=$(dq_ttl AUTHORITY example.test. SOA)
assert_range "$nx_ttl" 58 60 "the SOA TTL of a negative answer is min(SOA TTL, MINIMUM) = 60" "$DQ"

dq www.example.test. TXT
expect_status NOERROR "NODATA from NSD"
expect_answer_count 0 "NODATA has no answer"
expect_section AUTHORITY "^example\.test\..*SOA" "NODATA carries the SOA"
nd_ttl=$(dq_ttl AUTHORITY example.test. SOA)

dq nx.neg2.test. A
expect_status NXDOMAIN "NXDOMAIN in neg2.test"
assert_range "$(dq_ttl AUTHORITY neg2.test. SOA)" 28 30 "negative TTL is the SOA's TTL when it is below MINIMUM" "$DQ"

sleep 2.2
dq nx.example.test. A
expect_status NXDOMAIN "NXDOMAIN again (cached)"
assert_range "$(dq_ttl AUTHORITY example.test. SOA)" $((nx_ttl - 4)) $((nx_ttl - 2)) \
	"the negative answer's SOA TTL counts down" "$DQ"

stop_nsd up

dq nx.example.test. A
expect_status NXDOMAIN "cached NXDOMAIN served with NSD stopped"
expect_section AUTHORITY "^example\.test\..*SOA" "cached NXDOMAIN still has the SOA"
dq NX.Example.TEST. A
expect_status NXDOMAIN "cached NXDOMAIN for a differently-cased query"
dq www.example.test. TXT
expect_status NOERROR "cached NODATA served with NSD stopped"
expect_answer_count 0 "cached NODATA has no answer"
assert_range "$(dq_ttl AUTHORITY example.test. SOA)" 50 $((nd_ttl - 2)) "cached NODATA TTL counts down" "$DQ"
dq nx2.example.test. A
expect_status SERVFAIL "a name never asked before cannot be answered with NSD down (no aggressive NSEC use)"

finish
