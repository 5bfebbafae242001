#!/usr/bin/env bash
# Override data. A zone file makes its view authoritative: AA, NXDOMAIN / NODATA with the SOA,
# $ORIGIN / $TTL / $INCLUDE, CNAME and wildcard. `records` are transparent: their exact name and
# type answer locally, any other type at that name and names below it go to the upstream
# (NSD), and override answers never leak into another view through the shared cache.
. "$(dirname "$0")/lib.sh"

# Upstream: NSD with example.test (the public truth).
{
	zone_soa example.test.
	cat <<'EOF'
www	IN A	192.0.2.1
www	IN AAAA	2001:db8::1
www	IN TXT	"from-nsd"
sub.www	IN A	192.0.2.2
other	IN A	192.0.2.3
EOF
} >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

mkdir -p zones/lan
cat >zones/lan/home.arpa.zone <<'EOF'
$TTL 600
$ORIGIN home.arpa.
@	IN SOA	ns.home.arpa. admin.home.arpa. 7 3600 600 86400 120
	IN NS	ns
ns	IN A	192.168.1.1
nas	IN A	192.168.1.10
nas	3600 IN TXT "network attached storage"
alias	IN CNAME nas
*.wild	IN A	192.168.1.99
$INCLUDE inc/hosts.inc
EOF
# A relative $INCLUDE is read from the including file's folder, whatever megdns's cwd is
# (megdns is started from / below).
mkdir -p zones/lan/inc
cat >zones/lan/inc/hosts.inc <<'EOF'
$ORIGIN lan.home.arpa.
tv	IN A	192.168.1.30
EOF

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    zones: [zones/lan/home.arpa.zone]
    records:
      - "www.example.test. 300 IN A 192.0.2.99"
      - "multi.example.test. 300 IN A 192.0.2.101"
      - "multi.example.test. 300 IN A 192.0.2.102"
      - "web.example.test. 300 IN CNAME other.example.test."
  - name: other
    match-clients: [127.0.0.3/32]
    records: ["unrelated.example.test. 300 IN A 192.0.2.200"]
EOF
MEGDNS_CWD=/ MEGDNS_READY_ARGS="-b 127.0.0.2" start_megdns "$T/megdns.yaml"

L=(-b 127.0.0.2)
dq "${L[@]}" nas.home.arpa. A
expect_status NOERROR "zone name nas.home.arpa"
expect_flag aa "zone answers are authoritative"
expect_answer "^nas\.home\.arpa\.[[:space:]]+600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.168\.1\.10" \
	"nas.home.arpa A with the \$TTL of the zone file"

dq "${L[@]}" nas.home.arpa. TXT
expect_answer '3600[[:space:]]+IN[[:space:]]+TXT[[:space:]]+"network attached storage"' "explicit TTL and TXT"

dq "${L[@]}" missing.home.arpa. A
expect_status NXDOMAIN "name not in the zone"
expect_flag aa "NXDOMAIN is authoritative"
expect_answer_count 0 "NXDOMAIN has no answer"
expect_section AUTHORITY "^home\.arpa\..*SOA.*ns\.home\.arpa\. admin\.home\.arpa\. 7 " "NXDOMAIN carries the zone's SOA"

dq "${L[@]}" nas.home.arpa. AAAA
expect_status NOERROR "NODATA: name exists, type does not"
expect_flag aa "NODATA is authoritative"
expect_answer_count 0 "NODATA has no answer"
expect_section AUTHORITY "^home\.arpa\..*SOA" "NODATA carries the zone's SOA"

dq "${L[@]}" home.arpa. SOA
expect_answer "SOA[[:space:]]+ns\.home\.arpa\. admin\.home\.arpa\. 7 3600 600 86400 120" "zone apex SOA"
expect_flag aa "apex SOA is authoritative"

dq "${L[@]}" home.arpa. NS
expect_answer "NS[[:space:]]+ns\.home\.arpa\." "zone apex NS"

dq "${L[@]}" tv.lan.home.arpa. A
expect_answer "192\.168\.1\.30" "record from the \$INCLUDE file (with its own \$ORIGIN)"

dq "${L[@]}" alias.home.arpa. A
expect_answer "^alias\.home\.arpa\..*CNAME[[:space:]]+nas\.home\.arpa\." "in-zone CNAME is returned"
expect_answer "^nas\.home\.arpa\..*A[[:space:]]+192\.168\.1\.10" "in-zone CNAME target is followed (A of nas)"

dq "${L[@]}" anything.wild.home.arpa. A
expect_answer "^anything\.wild\.home\.arpa\..*A[[:space:]]+192\.168\.1\.99" "wildcard *.wild.home.arpa expands"

dq "${L[@]}" deep.lan.home.arpa. A
expect_status NXDOMAIN "name under an included name that does not exist"

# Empty non-terminal: lan.home.arpa exists only because tv.lan.home.arpa does.
dq "${L[@]}" lan.home.arpa. A
expect_status NOERROR "empty non-terminal lan.home.arpa is NODATA, not NXDOMAIN"

# records: transparent overrides.
dq "${L[@]}" www.example.test. A
expect_answer "^www\.example\.test\..*A[[:space:]]+192\.0\.2\.99" "record override www.example.test A"
expect_answer_count 1 "only the override, not the upstream's A as well"
dq "${L[@]}" www.example.test. AAAA
expect_answer "2001:db8::1" "other type at the record's name is forwarded to NSD"
expect_noflag aa "a forwarded answer is not authoritative"
dq "${L[@]}" www.example.test. TXT
expect_answer '"from-nsd"' "TXT at the record's name comes from NSD"
dq "${L[@]}" sub.www.example.test. A
expect_answer "192\.0\.2\.2" "a name below the record is forwarded"
dq "${L[@]}" other.example.test. A
expect_answer "192\.0\.2\.3" "a sibling name is forwarded"

dq "${L[@]}" multi.example.test. A
expect_answer_count 2 "two records of one name and type in records form one RRset"
# README: "a CNAME record answers every type at its name". A resolver's client (a stub) needs
# the target's data too: the CNAME target other.example.test is resolved upstream.
dq "${L[@]}" web.example.test. A
expect_answer "^web\.example\.test\..*CNAME[[:space:]]+other\.example\.test\." "CNAME record answers A at its name"
expect_answer "^other\.example\.test\..*A[[:space:]]+192\.0\.2\.3\$" "the CNAME record's target is resolved (its A from NSD follows)"
dq "${L[@]}" web.example.test. TXT
expect_answer "CNAME[[:space:]]+other\.example\.test\." "CNAME record answers TXT at its name too"

# Split-horizon safety: the other view shares the cache scope but must see the public data.
dq -b 127.0.0.3 www.example.test. A
expect_answer "192\.0\.2\.1\$" "view other gets the upstream www.example.test, not lan's override"
expect_no_answer_match "192\.0\.2\.99" "the lan override did not leak into the other view"
dq -b 127.0.0.3 nas.home.arpa. A
expect_no_answer_match "192\.168\.1\.10" "lan zone data is not visible in view other"
dq -b 127.0.0.3 unrelated.example.test. A
expect_answer "192\.0\.2\.200" "view other's own record"
# ...and the other way round: the forwarded answer cached for 'other' does not hide lan's record.
dq "${L[@]}" www.example.test. A
expect_answer "192\.0\.2\.99" "lan still gets its override after the other view cached the public answer"

finish
