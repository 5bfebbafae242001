#!/usr/bin/env bash
# IP_FREEBIND / IPV6_FREEBIND: megdns is configured to listen on 10.77.0.1@53 and fd77::1@53,
# addresses that do not exist yet (like wg0's before WireGuard is up), plus 127.0.0.1. It starts
# and serves loopback; then a veth link to a peer namespace appears with those addresses, and
# the peer's queries over UDP and TCP are answered -- in the view of that interface -- without
# restarting megdns. Removing and re-adding the address needs no restart either.
. "$(dirname "$0")/lib.sh"

PEER=megdns-fb-$$
ip -4 addr show | grep -q '10\.77\.0\.1/' && die "10.77.0.1 already exists in the test namespace"

mkdir -p zones
{ zone_soa home.arpa.; echo "nas IN A 192.168.1.10"; } >zones/lan.zone
{ zone_soa home.arpa.; echo "nas IN A 10.77.0.20"; } >zones/wg.zone
cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, 10.77.0.1@53, "fd77::1@53"]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
control: {socket: control.sock}
views:
  - name: wg                        # the link does not exist yet either
    match-interfaces: [vfb0]
    match-clients: [10.77.0.0/24, "fd77::/64"]
    zones: [zones/wg.zone]
  - name: lan
    match-clients: [127.0.0.0/8]
    zones: [zones/lan.zone]
EOF
start_megdns megdns.yaml
PID0=$MEGDNS_PID
expect_log 'listening on 10\.77\.0\.1@53' "megdns listens on 10.77.0.1 although the address does not exist"
expect_log 'listening on \[?fd77::1\]?@53' "megdns listens on fd77::1 although the address does not exist"
expect_alive "with listen addresses that do not exist yet"
dq nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "loopback is served meanwhile (lan)"
bound=$(ss -Hlnu 2>/dev/null | awk '{ print $4 }' | grep -c '^10\.77\.0\.1:53$')
assert_eq "$bound" 1 "ss: a UDP socket is bound to 10.77.0.1:53 before the address exists"
bound=$(ss -Hlnt 2>/dev/null | awk '{ print $4 }' | grep -c '^10\.77\.0\.1:53$')
assert_eq "$bound" 1 "ss: a TCP socket listens on 10.77.0.1:53 before the address exists"

# Now the link comes up: host end vfb0 with the listen addresses, peer end in its namespace.
peer_netns "$PEER"
veth_pair vfb0 "10.77.0.1/24 fd77::1/64" "$PEER" vfbp 10.77.0.2/24 fd77::2/64
# The IPv6 peer address may need a moment (nodad is set, but the link comes up async).
wait_for 5 dqn "$PEER" 10.77.0.1 53 +tries=1 +time=1 CH TXT view.megdns. ||
	note "no reply over the veth yet after 5 s"

dqn "$PEER" 10.77.0.1 53 nas.home.arpa. A
expect_answer '10\.77\.0\.20$' "the peer's UDP query to 10.77.0.1 is answered (wg view), no restart"
expect_flag aa "... authoritative from the wg zone"
dqn "$PEER" 10.77.0.1 53 +tcp nas.home.arpa. A
expect_answer '10\.77\.0\.20$' "the peer's TCP query to 10.77.0.1 is answered"
dqn "$PEER" 10.77.0.1 53 CH TXT view.megdns.
expect_answer '"wg"' "the peer lands in the wg view (interface vfb0 + client 10.77.0.0/24)"
wait_for 5 dqn "$PEER" fd77::1 53 +tries=1 +time=1 CH TXT view.megdns. || true
dqn "$PEER" fd77::1 53 nas.home.arpa. A
expect_answer '10\.77\.0\.20$' "the peer's UDP query to fd77::1 is answered"
dqn "$PEER" fd77::1 53 +tcp nas.home.arpa. A
expect_answer '10\.77\.0\.20$' "the peer's TCP query to fd77::1 is answered"
assert_eq "$MEGDNS_PID" "$PID0" "the same megdns process (no restart)"
n=$(grep -c 'megdns 0.1.0 ready\|ready, ' "$MEGDNS_LOG")
assert_eq "$n" 1 "megdns started once (one 'ready' line in its log)"
dq nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "loopback still gets the lan view"

# The address goes away (wg0 down) and comes back: answered again, still no restart.
ip addr del 10.77.0.1/24 dev vfb0
dqn "$PEER" 10.77.0.1 53 +time=1 nas.home.arpa. A
expect_no_out 'status: ' "with the address removed the peer gets no answer"
ip addr add 10.77.0.1/24 dev vfb0
wait_for 5 dqn "$PEER" 10.77.0.1 53 +tries=1 +time=1 CH TXT view.megdns. || true
dqn "$PEER" 10.77.0.1 53 nas.home.arpa. A
expect_answer '10\.77\.0\.20$' "the address re-added: answered again without a restart"
dqn "$PEER" 10.77.0.1 53 +tcp nas.home.arpa. A
expect_answer '10\.77\.0\.20$' "... over TCP too"
assert_eq "$MEGDNS_PID" "$PID0" "still the same megdns process"

# explain agrees about the peer.
ctl explain 10.77.0.2 --interface vfb0 nas.home.arpa
expect_ctl_out '^local data of view wg answers' "explain 10.77.0.2 --interface vfb0: the wg view"
expect_alive "at the end"
finish
