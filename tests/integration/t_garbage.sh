#!/usr/bin/env bash
# Hostile input: random bytes, short headers, bad names, compression loops, bad EDNS, responses
# and huge TCP length prefixes at the UDP and TCP ports. megdns must stay up and keep
# answering; specific malformed queries get FORMERR / NOTIMP / BADVERS (or are dropped), and
# packets with QR set are never answered.
. "$(dirname "$0")/lib.sh"

{ zone_soa example.test.; echo "www IN A 192.0.2.1"; } >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, "::1@53"]
  tcp-idle-timeout: 3
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: all
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
EOF
start_megdns megdns.yaml

dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "precondition: a normal query works"

# --- specific malformed queries: each must get the right rcode (or, where noted, nothing) --
out=$(timeout 60 python3 - "$IT_DIR" <<'EOF' 2>&1
import struct, sys
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply, udp_exchange, tcp_exchange, encode_name

A = ("127.0.0.1", 53)
def ask(label, pkt, proto="udp"):
    if proto == "udp":
        r = udp_exchange(A[0], A[1], pkt, timeout=1.0)
    else:
        rs = tcp_exchange(A[0], A[1], [pkt], timeout=2.0)
        r = rs[0] if rs else None
    if r is None:
        print("%s: noreply" % label)
        return
    try:
        p = parse_reply(r)
    except Exception as e:
        print("%s: unparsable reply %r (%s)" % (label, r[:40], e))
        return
    qid = struct.unpack("!H", pkt[:2])[0] if len(pkt) >= 2 else -1
    print("%s: rcode=%d qr=%d opcode=%d idok=%d an=%d ede=%s" % (label, p["rcode"], p["qr"],
          p["opcode"], p["id"] == qid, p["an"], p["ede"]))

for proto in ("udp", "tcp"):
    ask(proto + " qdcount2", build_query("www.example.test.", qid=0x1111, qdcount=2,
        extra=encode_name("nas.home.arpa.") + struct.pack("!HH", 1, 1)), proto)
    ask(proto + " qdcount0", struct.pack("!HHHHHH", 0x2222, 0x0100, 0, 0, 0, 0), proto)
    ask(proto + " opcode5", build_query("www.example.test.", qid=0x3333, opcode=5), proto)
    ask(proto + " opcode2", build_query("www.example.test.", qid=0x3334, opcode=2), proto)
    ask(proto + " ednsv1", build_query("www.example.test.", qid=0x4444, edns_version=1), proto)
    ask(proto + " twoopt", build_query("www.example.test.", qid=0x5555, arcount=2,
        extra=b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)), proto)
    ask(proto + " arcount-lies", build_query("www.example.test.", qid=0x6666, edns=False,
        arcount=3), proto)
    ask(proto + " ancount", build_query("www.example.test.", qid=0x6667)[:4]
        + b"\0\1\0\1" + build_query("www.example.test.", qid=0x6667)[8:], proto)
    ask(proto + " qname-trunc", struct.pack("!HHHHHH", 0x7777, 0x0100, 1, 0, 0, 0)
        + b"\3www\7exam", proto)
    ask(proto + " qtype-missing", struct.pack("!HHHHHH", 0x7778, 0x0100, 1, 0, 0, 0)
        + encode_name("www.example.test.") + b"\0", proto)
    ask(proto + " qname-pointer-loop", struct.pack("!HHHHHH", 0x8888, 0x0100, 1, 0, 0, 0)
        + b"\xc0\x0c" + struct.pack("!HH", 1, 1), proto)
    ask(proto + " label-0x40", struct.pack("!HHHHHH", 0x8889, 0x0100, 1, 0, 0, 0)
        + b"\x41abc\0" + struct.pack("!HH", 1, 1), proto)
    ask(proto + " name-too-long", struct.pack("!HHHHHH", 0x9999, 0x0100, 1, 0, 0, 0)
        + (b"\x3f" + b"a" * 63) * 5 + b"\0" + struct.pack("!HH", 1, 1), proto)
    ask(proto + " trailing-junk", build_query("www.example.test.", qid=0xaaaa) + b"JUNK", proto)
    ask(proto + " response", build_query("www.example.test.", qid=0xbbbb, flags=0x8100), proto)
    ask(proto + " good", build_query("www.example.test.", qid=0xcccc), proto)
EOF
)
printf '%s\n' "$out" | indent
line() { printf '%s\n' "$out" | grep "^$1:" | head -n1; }
for p in udp tcp; do
	assert_match "$(line "$p qdcount2")" "rcode=1 qr=1 .*idok=1" "$p: QDCOUNT=2 -> FORMERR" "$out"
	assert_match "$(line "$p qdcount0")" "rcode=1 qr=1 .*idok=1|noreply" "$p: QDCOUNT=0 -> FORMERR or dropped"
	assert_match "$(line "$p opcode5")" "rcode=4 qr=1 opcode=5 idok=1" "$p: opcode 5 (UPDATE) -> NOTIMP" "$out"
	assert_match "$(line "$p opcode2")" "rcode=4 qr=1 opcode=2 idok=1" "$p: opcode 2 (STATUS) -> NOTIMP" "$out"
	assert_match "$(line "$p ednsv1")" "rcode=16 qr=1 .*idok=1" "$p: EDNS version 1 -> BADVERS (16)" "$out"
	assert_match "$(line "$p twoopt")" "rcode=1 qr=1|noreply" "$p: two OPT records -> FORMERR or dropped"
	assert_match "$(line "$p arcount-lies")" "rcode=1 qr=1|noreply" "$p: ARCOUNT beyond the packet -> FORMERR or dropped"
	assert_match "$(line "$p ancount")" "rcode=1 qr=1|noreply" "$p: a query with ANCOUNT=1 -> FORMERR or dropped"
	assert_match "$(line "$p qname-trunc")" "rcode=1 qr=1|noreply" "$p: truncated qname -> FORMERR or dropped"
	assert_match "$(line "$p qtype-missing")" "rcode=1 qr=1|noreply" "$p: missing qtype/qclass -> FORMERR or dropped"
	assert_match "$(line "$p qname-pointer-loop")" "rcode=1 qr=1|noreply" "$p: compression loop in the qname -> FORMERR or dropped"
	assert_match "$(line "$p label-0x40")" "rcode=1 qr=1|noreply" "$p: obsolete label type -> FORMERR or dropped"
	assert_match "$(line "$p name-too-long")" "rcode=1 qr=1|noreply" "$p: name > 255 octets -> FORMERR or dropped"
	assert_match "$(line "$p trailing-junk")" "rcode=(0|1) qr=1|noreply" "$p: trailing junk -> answer, FORMERR or drop"
	assert_match "$(line "$p response")" "noreply" "$p: a packet with QR set is never answered" "$out"
	assert_match "$(line "$p good")" "rcode=0 qr=1 opcode=0 idok=1 an=1" "$p: a good hand-made query right after" "$out"
done

# The same through dig where dig can express it.
dq +opcode=5 www.example.test. A
expect_status NOTIMP "dig +opcode=5 (UPDATE)"
dq +edns=1 +noednsnegotiation www.example.test. A
expect_status BADVERS "dig +edns=1"

# --- volume of garbage, UDP and TCP, v4 and v6 ---------------------------------------------
out=$(timeout 90 python3 - "$IT_DIR" <<'EOF' 2>&1
import os, random, socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from fakedns import build_query

random.seed(1234)
targets = [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)]
sent = 0
for host, fam in targets:
    u = socket.socket(fam, socket.SOCK_DGRAM)
    base = build_query("www.example.test.")
    for i in range(3000):
        kind = i % 6
        if kind == 0:
            pkt = os.urandom(random.randint(0, 600))
        elif kind == 1:
            pkt = os.urandom(random.randint(0, 12))
        elif kind == 2:  # a valid query with random bytes flipped
            b = bytearray(base)
            for _ in range(random.randint(1, 6)):
                b[random.randrange(len(b))] = random.randrange(256)
            pkt = bytes(b)
        elif kind == 3:  # a valid header, random body
            pkt = struct.pack("!HHHHHH", i, 0x0100, random.randint(0, 3), random.randint(0, 3),
                              random.randint(0, 3), random.randint(0, 3)) + os.urandom(random.randint(0, 300))
        elif kind == 4:  # pointers everywhere
            pkt = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 1) + bytes(
                random.choice([0xc0, 0x0c, 0x00, 0x29, 0x3f, 0xff]) for _ in range(random.randint(1, 80)))
        else:  # truncated valid query
            pkt = base[:random.randint(0, len(base) - 1)]
        try:
            u.sendto(pkt, (host, 53))
            sent += 1
        except OSError:
            pass
        if i % 200 == 0:
            time.sleep(0.01)
    u.close()

    # TCP: junk streams, huge / zero / tiny length prefixes, half-sent frames, abrupt resets.
    streams = [struct.pack("!H", 65535) + os.urandom(100), struct.pack("!H", 65535),
               struct.pack("!H", 0) * 10, struct.pack("!H", 1) + b"x", struct.pack("!H", 5) + b"abcde",
               b"\x00", os.urandom(5000), struct.pack("!H", 12) + os.urandom(12),
               struct.pack("!H", 40) + base[:20]]
    for j in range(60):
        data = streams[j % len(streams)]
        try:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.settimeout(2)
            s.connect((host, 53))
            s.sendall(data)
            if j % 3 == 0:  # reset instead of a clean close
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            sent += 1
        except OSError as e:
            print("tcp %s %d: %s" % (host, j, e))
    # A valid frame announced, only half of it sent, connection kept open a moment.
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.connect((host, 53))
    s.sendall(struct.pack("!H", len(base)) + base[: len(base) // 2])
    time.sleep(0.2)
    s.close()
print("sent %d garbage packets/streams" % sent)
EOF
)
note "$out"
assert_match "$out" "^sent [0-9]+ garbage" "the garbage was sent"
sleep 0.5
expect_alive "after the garbage"

dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "UDP query works after the garbage"
dq +tcp www.example.test. A
expect_answer "192\.0\.2\.1\$" "TCP query works after the garbage"
dqs ::1 53 nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "IPv6 UDP query works after the garbage"
dqs ::1 53 +tcp nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "IPv6 TCP query works after the garbage"

finish
