#!/usr/bin/env bash
# Dual-stack wildcard listeners (0.0.0.0 and :: on the same port, the usual way to run megdns on
# a router): both bind, match-interfaces works for IPv6 peers over a veth pair (UDP via
# IPV6_RECVPKTINFO, TCP via the local address), IPv6 match-clients for ::1, IPv4 as before.
. "$(dirname "$0")/lib.sh"

PEER=megdns-peer6-$$
peer_netns "$PEER"
veth_pair vwg6 "10.100.0.1/24 fd00:100::1/64" "$PEER" vpeer6 10.100.0.2/24 fd00:100::2/64

mkdir -p zones
{ zone_soa home.arpa.; echo "nas IN A 192.168.1.10"; echo "nas IN AAAA fd00:1::10"; } >zones/lan.zone
{ zone_soa home.arpa.; echo "nas IN A 10.100.0.20"; echo "nas IN AAAA fd00:100::20"; } >zones/wg.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [0.0.0.0@5353, "::@5353"]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: wg
    match-interfaces: [vwg6]
    zones: [zones/wg.zone]
  - name: lan
    match-clients: [127.0.0.0/8, "::1/128"]
    zones: [zones/lan.zone]
EOF
MPORT=5353
start_megdns megdns.yaml
expect_alive "with both 0.0.0.0@5353 and ::@5353"

dqn "$PEER" fd00:100::1 5353 nas.home.arpa. AAAA
expect_answer "fd00:100::20\$" "IPv6 peer via vwg6 (UDP): wg view"
dqn "$PEER" fd00:100::1 5353 +tcp nas.home.arpa. AAAA
expect_answer "fd00:100::20\$" "IPv6 peer via vwg6 (TCP): wg view"
dqn "$PEER" fd00:100::1 5353 CH TXT view.megdns.
expect_answer '"wg"' "IPv6 peer via vwg6: view query says wg"
dqn "$PEER" 10.100.0.1 5353 nas.home.arpa. A
expect_answer "10\.100\.0\.20\$" "IPv4 peer via vwg6 (UDP): wg view"
dqn "$PEER" 10.100.0.1 5353 +tcp nas.home.arpa. A
expect_answer "10\.100\.0\.20\$" "IPv4 peer via vwg6 (TCP): wg view"

dqs ::1 5353 nas.home.arpa. AAAA
expect_answer "fd00:1::10\$" "::1 client (UDP): lan view"
dqs ::1 5353 +tcp nas.home.arpa. AAAA
expect_answer "fd00:1::10\$" "::1 client (TCP): lan view"
dqs 127.0.0.1 5353 nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "127.0.0.1 client: lan view"

finish
