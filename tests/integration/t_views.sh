#!/usr/bin/env bash
# Views: the same name gets a different answer depending on the client's source address, the
# local address it queried, or both; CHAOS TXT view.megdns. names the view; the view query can
# be turned off.
. "$(dirname "$0")/lib.sh"

mkdir -p zones/lan zones/wg zones/dest
{ zone_soa home.arpa.; echo "nas IN A 192.168.1.10"; echo "printer IN A 192.168.1.20"; } >zones/lan/home.arpa.zone
{ zone_soa home.arpa.; echo "nas IN A 10.100.0.20"; } >zones/wg/home.arpa.zone
{ zone_soa home.arpa.; echo "nas IN A 172.16.0.53"; } >zones/dest/home.arpa.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, 127.0.0.53@53, "::1@53"]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    zones: [zones/lan/home.arpa.zone]
  - name: wg
    match-clients: [127.0.0.3/32]
    zones: [zones/wg/home.arpa.zone]
  - name: both
    match-clients: [127.0.0.4/32]
    match-destinations: [127.0.0.1/32]
    records: ["nas.home.arpa. 60 IN A 192.0.2.4"]
  - name: dest
    match-destinations: [127.0.0.53/32]
    zones: [zones/dest/home.arpa.zone]
  - name: net
    match-clients: [127.0.1.0/24, 127.0.2.0/25]
    records: ["nas.home.arpa. 60 IN A 192.0.2.1"]
  - name: six
    match-clients: ["::1/128"]
    records: ["nas.home.arpa. 60 IN AAAA fd00::20", "nas.home.arpa. 60 IN A 192.0.2.6"]
EOF

start_megdns megdns.yaml

# client source -> (server address, expected view, expected nas.home.arpa A)
check_view() {
	local src=$1 srv=$2 view=$3 a=$4
	dqs "$srv" 53 -b "$src" CH TXT view.megdns.
	expect_status NOERROR "CH TXT view.megdns. from $src to $srv"
	expect_answer "view\.megdns\.[[:space:]].*CH[[:space:]]+TXT[[:space:]]+\"$view\"" \
		"client $src -> $srv is in view '$view'"
	dqs "$srv" 53 -b "$src" nas.home.arpa. A
	expect_answer "^nas\.home\.arpa\..*[[:space:]]A[[:space:]]+$a\$" \
		"view '$view': nas.home.arpa A is $a for $src -> $srv"
	expect_answer_count 1 "view '$view': exactly one A record for nas.home.arpa"
}

check_view 127.0.0.2 127.0.0.1 lan 192.168.1.10
check_view 127.0.0.3 127.0.0.1 wg 10.100.0.20
check_view 127.0.0.4 127.0.0.1 both 192.0.2.4
check_view 127.0.0.4 127.0.0.53 dest 172.16.0.53 # same client, other local address
check_view 127.0.0.9 127.0.0.53 dest 172.16.0.53
check_view 127.0.1.77 127.0.0.1 net 192.0.2.1
check_view 127.0.2.126 127.0.0.1 net 192.0.2.1
check_view ::1 ::1 six 192.0.2.6

# Zone data of the lan view is not visible in the wg view.
dqs 127.0.0.1 53 -b 127.0.0.2 printer.home.arpa. A
expect_answer "192\.168\.1\.20" "lan view answers printer.home.arpa"
dqs 127.0.0.1 53 -b 127.0.0.3 printer.home.arpa. A
expect_status NXDOMAIN "wg view: printer.home.arpa (only in the lan zone) is NXDOMAIN"

# Names are case-insensitive; the reply echoes the client's spelling.
dqs 127.0.0.1 53 -b 127.0.0.2 NaS.HoMe.ArPa. A
expect_answer "192\.168\.1\.10" "mixed-case NaS.HoMe.ArPa answered from the lan zone"
expect_out "^;NaS\.HoMe\.ArPa\." "question section keeps the client's case"

# The same per view over TCP.
dqs 127.0.0.1 53 -b 127.0.0.3 +tcp nas.home.arpa. A
expect_answer "10\.100\.0\.20" "wg view over TCP"
dqs 127.0.0.1 53 -b 127.0.0.2 +tcp CH TXT view.megdns.
expect_answer '"lan"' "view query over TCP names lan"
dqs ::1 53 +tcp nas.home.arpa. AAAA
expect_answer "fd00::20" "IPv6 client over TCP gets the six view's AAAA"

# Outside every prefix: 127.0.2.128 is not in 127.0.2.0/25 and no other view takes it.
dqs 127.0.0.1 53 -b 127.0.2.128 nas.home.arpa. A
expect_status REFUSED "127.0.2.128 (outside 127.0.2.0/25) matches no view"

# server.view-query: false turns the CHAOS query off (restart with the changed config).
stop_megdns
assert_eq "$MEGDNS_RC" 0 "megdns exits 0 on SIGTERM"
sed -i 's/^server:$/server:\n  view-query: false/' megdns.yaml
start_megdns megdns.yaml
dqs 127.0.0.1 53 -b 127.0.0.2 CH TXT view.megdns.
expect_reply "view query with view-query: false"
expect_no_answer_match '"lan"' "view-query: false: the view name is not disclosed"
dqs 127.0.0.1 53 -b 127.0.0.2 nas.home.arpa. A
expect_answer "192\.168\.1\.10" "view-query: false: views still work"

finish
