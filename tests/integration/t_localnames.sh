#!/usr/bin/env bash
# Local names per view: hosts files (every type of their names, bad lines skipped and shown by
# megdns -t), PTR made from the view's own A/AAAA (zones, records, hosts; a zone's own PTR
# wins), and the special-use names every view answers itself without asking upstream:
# localhost., invalid., onion., home.arpa., the RFC 6303 reverse zones. local-zones: forward
# and a forward zone inside a default zone hand it to the upstream again.
. "$(dirname "$0")/lib.sh"

start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99
ASKED=$T/fakedns-up.log
asked() { grep -c " $1 $2\$" "$ASKED"; } # how often the upstream saw NAME TYPE (numeric)

cat >lan.hosts <<'EOF2'
# written by a tool
192.168.1.20   printer.home.arpa printer  # the printer
fd00::20       printer.home.arpa
10.6.0.2 phone.pivpn
not-an-address host.home.arpa
192.168.1.21
EOF2
cat >wg.hosts <<'EOF2'
10.100.0.20 printer.home.arpa
EOF2
cat >home.arpa.zone <<'EOF2'
$ORIGIN home.arpa.
@    300 IN SOA ns.home.arpa. admin.home.arpa. 1 3600 600 86400 300
@    300 IN NS  ns.home.arpa.
ns   300 IN A   192.168.1.1
nas  300 IN A   192.168.1.10
nas  300 IN AAAA fd00::10
*.wild 300 IN A 192.168.1.99
EOF2
cat >rev.zone <<'EOF2'
$ORIGIN 1.168.192.in-addr.arpa.
@    300 IN SOA ns.home.arpa. admin.home.arpa. 1 3600 600 86400 300
@    300 IN NS  ns.home.arpa.
1    300 IN PTR router.home.arpa.
EOF2
cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53, "::1@53"]
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
forward-zones:
  - name: corp.home.arpa.
    upstreams: [127.0.0.30@53]
views:
  - name: lan
    match-clients: [127.0.0.2/32, "::1/128"]
    zones: [home.arpa.zone, rev.zone]
    hosts: [lan.hosts]
    records: ["tv.home.arpa. 300 IN A 192.168.1.30"]
  - name: wg
    match-clients: [127.0.0.3/32]
    hosts: [wg.hosts]
    local-zones: {168.192.in-addr.arpa.: forward, onion.: forward}
EOF2

"$MEGDNS" -t -c megdns.yaml >check.out 2>&1
rc=$?
assert_eq "$rc" 0 "megdns -t accepts hosts files with bad lines" "$(cat check.out)"
assert_match "$(cat check.out)" "lan.hosts:5: warning: not a hosts line" "megdns -t names the bad line (FILE:LINE)"
assert_match "$(cat check.out)" "lan.hosts:6: warning: not a hosts line" "megdns -t names an address without names"
start_megdns megdns.yaml

L="-b 127.0.0.2"
W="-b 127.0.0.3"
dq $L printer.home.arpa. A
expect_answer "printer\.home\.arpa\..*300.*A.*192\.168\.1\.20" "hosts: printer A in lan (TTL 300)"
expect_flag aa "hosts answers are authoritative"
dq $L printer.home.arpa. AAAA
expect_answer "fd00::20" "hosts: printer AAAA from a second line"
dq $L printer.home.arpa. MX
expect_status NOERROR "hosts: another type of a hosts name"
expect_answer_count 0 "hosts: NODATA for MX"
dq $L printer. A
expect_answer "192\.168\.1\.20" "hosts: an alias without a domain (printer.)"
dq $L phone.pivpn. A
expect_answer "10\.6\.0\.2" "hosts: a PiVPN peer"
dq $W printer.home.arpa. A
expect_answer "10\.100\.0\.20" "hosts per view: printer is the WireGuard address in wg"
dq $L host.home.arpa. A
expect_status NXDOMAIN "a bad hosts line is skipped (host.home.arpa is not in the zone)"

dq $L -x 192.168.1.10
expect_answer "PTR.*nas\.home\.arpa\." "PTR from the zone's A: dig -x 192.168.1.10 in lan"
expect_flag aa "a made-up PTR is authoritative"
dq $L -x fd00::10
expect_answer "PTR.*nas\.home\.arpa\." "PTR from the zone's AAAA"
dq $L -x 192.168.1.20
expect_answer "PTR.*printer\.home\.arpa\." "PTR from a hosts line"
expect_answer "PTR.*printer\." "PTR lists every name of the address"
dq $L -x 192.168.1.30
expect_answer "PTR.*tv\.home\.arpa\." "PTR from a records entry"
dq $L -x 192.168.1.1
expect_answer "PTR.*router\.home\.arpa\." "the reverse zone's own PTR wins"
expect_no_answer_match "ns\.home\.arpa" "no made-up PTR beside the zone's own"
dq $L -x 192.168.1.99
expect_status NXDOMAIN "no PTR from a wildcard's address (the reverse zone says NXDOMAIN)"
dq $L -x 192.168.1.77
expect_status NXDOMAIN "an address nobody has, in the view's reverse zone"
dq $W -x 192.168.1.10
expect_no_answer_match "nas\.home\.arpa" "PTR is per view: wg does not see lan's names"

# special-use names
dq $L localhost. A
expect_answer "127\.0\.0\.1" "localhost. A"
dq $L localhost. AAAA
expect_answer "::1" "localhost. AAAA"
dq $L foo.localhost. A
expect_answer "127\.0\.0\.1" "names below localhost. are loopback too (RFC 6761)"
dq $L -x 127.0.0.1
expect_answer "PTR.*localhost\." "dig -x 127.0.0.1 gives localhost."
dq $L -x ::1
expect_answer "PTR.*localhost\." "dig -x ::1 gives localhost."
for n in x.invalid. x.onion. 5.0.168.192.in-addr.arpa. 9.9.10.in-addr.arpa. \
	1.2.20.172.in-addr.arpa. 4.3.254.169.in-addr.arpa. 1.1.100.100.in-addr.arpa. \
	1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. \
	1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa.; do
	dq $L "$n" PTR
	expect_status NXDOMAIN "special-use name $n: NXDOMAIN"
	expect_section AUTHORITY "SOA.*localhost\. nobody\.invalid\." "$n: the default zone's SOA"
done
dq $L 168.192.in-addr.arpa. SOA
expect_answer "SOA.*localhost\. nobody\.invalid\." "the default zone's apex answers SOA"
dq $L other.home.arpa. A
expect_section AUTHORITY "SOA.*admin\.home\.arpa\." "the view's own home.arpa zone comes before the default"
dq $W other.home.arpa. A
expect_status NXDOMAIN "home.arpa. is local in wg too (NXDOMAIN)"
dq $L 1.1.8.8.in-addr.arpa. PTR
expect_status NOERROR "a public reverse name still goes upstream (its NODATA)"
for n in x.invalid. x.onion. 5.0.168.192.in-addr.arpa. localhost. foo.localhost.; do
	assert_eq "$(asked "$n" 12)$(asked "$n" 1)" 00 "special-use $n never reached the upstream"
done
assert_eq "$(asked 1.1.8.8.in-addr.arpa. 12)" 1 "the public reverse name reached the upstream"

# turned off per view, and forward zones
dq $W 5.0.168.192.in-addr.arpa. PTR
assert_eq "$(asked 5.0.168.192.in-addr.arpa. 12)" 1 "local-zones forward: wg resolves 168.192.in-addr.arpa names"
dq $W x.onion. A
expect_answer "192\.0\.2\.99" "local-zones forward: onion. resolved in wg"
dq $W 6.0.10.in-addr.arpa. PTR
expect_status NXDOMAIN "wg still answers the other default zones"
dq $W host.corp.home.arpa. A
expect_answer "192\.0\.2\.99" "a forward zone inside home.arpa. takes its names"
assert_eq "$(asked host.corp.home.arpa. 1)" 1 "host.corp.home.arpa went to the forward zone's upstream"

# a local-zones name that holds no default zone is an error
sed 's/onion.: forward/example.com.: forward/' megdns.yaml >bad.yaml
"$MEGDNS" -t -c bad.yaml >bad.out 2>&1
rc=$?
assert_eq "$rc" 2 "local-zones with no default zone: exit 2" "$(cat bad.out)"
assert_match "$(cat bad.out)" "bad.yaml:[0-9]+:[0-9]+: local-zones: example.com. holds no default local zone" "...with FILE:LINE:COL"
sed 's/lan.hosts/missing.hosts/' megdns.yaml >bad2.yaml
"$MEGDNS" -t -c bad2.yaml >bad2.out 2>&1
rc=$?
assert_eq "$rc" 2 "an unreadable hosts file: exit 2" "$(cat bad2.out)"
assert_match "$(cat bad2.out)" "bad2.yaml:[0-9]+:[0-9]+: hosts file .*missing.hosts: No such file" "...pointing at the config entry"

# DDR (RFC 9462): no encrypted listeners here, so no SVCB; resolver.arpa. never goes upstream
dq $L _dns.resolver.arpa. SVCB
expect_status NOERROR "DDR without encrypted listeners: NOERROR ..."
expect_answer_count 0 "... and no SVCB (NODATA)"
dq $L x.resolver.arpa. A
expect_status NXDOMAIN "resolver.arpa. is a default local zone"
assert_eq "$(grep -c 'resolver\.arpa' "$ASKED")" 0 "resolver.arpa. is never sent upstream"

finish
