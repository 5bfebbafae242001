#!/usr/bin/env bash
# IPv6 link-local addresses with a scope (fe80::1%vsc0) in listen, upstreams and match-clients,
# over a veth pair into a peer namespace: megdns listens on its link-local address, puts the
# peer fe80::2 in the single-address view and fe80::3 in the fe80::/64%vsc0 view, and forwards
# to an upstream on the peer's link-local address (with a port).
. "$(dirname "$0")/lib.sh"

PEER=megdns-scope-$$
peer_netns "$PEER"
ip link del vsc0 2>/dev/null
ip link add vsc0 type veth peer name vpsc0 || die "ip link add vsc0"
IT_LINKS+=(vsc0)
ip link set vsc0 addrgenmode none # only the addresses below, no DAD delay
ip link set vpsc0 netns "$PEER"
ip netns exec "$PEER" ip link set vpsc0 addrgenmode none
ip addr add fe80::1/64 dev vsc0 nodad
ip link set vsc0 up
ip netns exec "$PEER" ip addr add fe80::2/64 dev vpsc0 nodad
ip netns exec "$PEER" ip addr add fe80::3/64 dev vpsc0 nodad
ip netns exec "$PEER" ip link set vpsc0 up

# The upstream lives in the peer namespace on fe80::2, port 5300 (bound to that address, so
# its replies come from it: megdns rightly ignores replies from another address).
ip netns exec "$PEER" python3 "$IT_DIR/fakedns.py" --addr fe80::2%vpsc0 --port 5300 --log "$T/fakedns-peer.log" \
	--ip 192.0.2.66 >"$T/fakedns-peer.out" 2>&1 &
track_pid $!
wait_for 5 grep -q '^ready' "$T/fakedns-peer.log" || die "fakedns in the peer did not start: $(cat "$T/fakedns-peer.out")"

cat >megdns.yaml <<'EOF'
server:
  listen: ["fe80::1%vsc0@53", 127.0.0.1@53]
dnssec: {validation: false}
views:
  - name: ll-one
    match-clients: ["fe80::2%vsc0"]
    records: ["nas.home.arpa. 60 IN A 10.0.0.2"]
  - name: ll-net
    match-clients: ["fe80::/64%vsc0"]
    records: ["nas.home.arpa. 60 IN A 10.0.0.64"]
  - name: lo
    match-clients: [127.0.0.0/8]
    upstreams: ["fe80::2%vsc0@5300"]
EOF
start_megdns megdns.yaml

# peer_ask SRC QNAME [tcp]: a query from the peer's SRC (fe80::2 or ::3) to fe80::1%vpsc0.
peer_ask() {
	ip netns exec "$PEER" python3 - "$IT_DIR" "$@" <<'EOF' 2>&1
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply, recv_exact
src, qname = sys.argv[2], sys.argv[3]
tcp = len(sys.argv) > 4
idx = socket.if_nametoindex("vpsc0")
kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET6, kind)
s.settimeout(3)
s.bind((src, 0, 0, idx))
q = build_query(qname)
try:
    if tcp:
        s.connect(("fe80::1", 53, 0, idx))
        s.sendall(struct.pack("!H", len(q)) + q)
        r = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
    else:
        s.sendto(q, ("fe80::1", 53, 0, idx))
        r = s.recv(4096)
    p = parse_reply(r)
    print("rcode=%d answers=%s" % (p["rcode"], ",".join(socket.inet_ntoa(a[3]) for a in p["answers"] if a[1] == 1)))
except Exception as e:
    print("error: %s" % e)
EOF
}

out=$(peer_ask fe80::2 nas.home.arpa.)
assert_match "$out" "^rcode=0 answers=10\.0\.0\.2\$" "fe80::2 -> [fe80::1%vsc0]:53 (UDP): view ll-one (scoped listen + scoped client)"
out=$(peer_ask fe80::2 nas.home.arpa. tcp)
assert_match "$out" "^rcode=0 answers=10\.0\.0\.2\$" "fe80::2 over TCP: view ll-one"
out=$(peer_ask fe80::3 nas.home.arpa.)
assert_match "$out" "^rcode=0 answers=10\.0\.0\.64\$" "fe80::3: view ll-net (fe80::/64%vsc0)"

dq www.example.test. A
expect_answer "192\.0\.2\.66\$" "view lo forwards to the scoped upstream fe80::2%vsc0@5300"
assert_match "$(cat "$T/fakedns-peer.log")" "www\.example\.test\." "the peer's upstream saw the query"

finish
