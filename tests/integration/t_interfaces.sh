#!/usr/bin/env bash
# match-interfaces on a wildcard listener (0.0.0.0): a peer in another network namespace,
# reaching megdns over a veth pair, is put in the view of the interface its query arrived on
# (UDP via IP_PKTINFO, TCP via the accepting socket's local address); loopback clients get the
# lan view; a second veth interface with an interface+client view shows both criteria apply.
. "$(dirname "$0")/lib.sh"

PEER=megdns-peer-$$
peer_netns "$PEER"
veth_pair vwg0 10.100.0.1/24 "$PEER" vpeer0 10.100.0.2/24
veth_pair vlan2 10.200.0.1/24 "$PEER" vpeer2 10.200.0.2/24 10.200.0.3/24
ip netns exec "$PEER" ping -c1 -W2 10.100.0.1 >/dev/null 2>&1 || true # (ping may be absent)

mkdir -p zones
{ zone_soa home.arpa.; echo "nas IN A 192.168.1.10"; } >zones/lan.zone
{ zone_soa home.arpa.; echo "nas IN A 10.100.0.20"; } >zones/wg.zone
{ zone_soa example.test.; echo "www IN A 192.0.2.1"; } >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [0.0.0.0@5353]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: wg
    match-interfaces: [vwg0]
    zones: [zones/wg.zone]
  - name: dest53
    match-destinations: [127.0.0.53/32]
    records: ["nas.home.arpa. 60 IN A 192.0.2.53"]
  - name: lan
    match-clients: [127.0.0.0/8]
    zones: [zones/lan.zone]
  - name: iface-and-client
    match-interfaces: [vlan2]
    match-clients: [10.200.0.3/32]
    records: ["nas.home.arpa. 60 IN A 10.200.0.30"]
EOF
MPORT=5353
start_megdns megdns.yaml

# The peer, over vwg0: view wg, UDP and TCP.
dqn "$PEER" 10.100.0.1 5353 nas.home.arpa. A
expect_answer "10\.100\.0\.20\$" "peer via vwg0 (UDP): wg view answer"
expect_flag aa "peer via vwg0: authoritative from the wg zone"
dqn "$PEER" 10.100.0.1 5353 +tcp nas.home.arpa. A
expect_answer "10\.100\.0\.20\$" "peer via vwg0 (TCP): wg view answer"
dqn "$PEER" 10.100.0.1 5353 CH TXT view.megdns.
expect_answer '"wg"' "peer via vwg0: view query says wg"
dqn "$PEER" 10.100.0.1 5353 +tcp CH TXT view.megdns.
expect_answer '"wg"' "peer via vwg0 over TCP: view query says wg"
dqn "$PEER" 10.100.0.1 5353 www.example.test. A
expect_answer "192\.0\.2\.1\$" "peer via vwg0: forwarded names resolve"

# Loopback clients: view lan.
dq nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "loopback client: lan view answer"
dq +tcp nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "loopback client over TCP: lan view answer"
dq -b 127.0.0.2 CH TXT view.megdns.
expect_answer '"lan"' "loopback client: view query says lan"

# match-destinations on the wildcard socket: the local address comes from IP_PKTINFO, and the
# reply must leave from it (dig rejects a reply from another address).
dqs 127.0.0.53 5353 nas.home.arpa. A
expect_answer "192\.0\.2\.53\$" "query to 127.0.0.53 on 0.0.0.0 (UDP): match-destinations view"
expect_no_out "unexpected source" "the UDP reply comes from 127.0.0.53"
dqs 127.0.0.53 5353 +tcp nas.home.arpa. A
expect_answer "192\.0\.2\.53\$" "query to 127.0.0.53 on 0.0.0.0 (TCP): match-destinations view"

# Over vlan2 both criteria must hold: 10.200.0.3 matches, 10.200.0.2 does not.
dqn "$PEER" 10.200.0.1 5353 -b 10.200.0.3 nas.home.arpa. A
expect_answer "10\.200\.0\.30\$" "peer 10.200.0.3 via vlan2 (UDP): interface+client view"
dqn "$PEER" 10.200.0.1 5353 -b 10.200.0.3 +tcp nas.home.arpa. A
expect_answer "10\.200\.0\.30\$" "peer 10.200.0.3 via vlan2 (TCP): interface+client view"
dqn "$PEER" 10.200.0.1 5353 -b 10.200.0.2 nas.home.arpa. A
expect_status REFUSED "peer 10.200.0.2 via vlan2 (UDP): no view (client criterion fails)"
expect_ede 18 "peer 10.200.0.2 via vlan2"
dqn "$PEER" 10.200.0.1 5353 -b 10.200.0.2 +tcp nas.home.arpa. A
expect_status REFUSED "peer 10.200.0.2 via vlan2 (TCP): no view"

# (Not checked: a query from this namespace to 10.100.0.1 travels over lo, but Linux reports
# the interface owning the destination address (vwg0) in IP_PKTINFO for local traffic, so such
# a client is legitimately seen as arriving on vwg0.)

finish
