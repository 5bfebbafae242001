#!/usr/bin/env bash
# Regression: a request pushed out (server.max-inflight) while the fetch it waits on is telling
# its waiters. Answering one waiter may run code that makes room: a TCP connection at its
# pipelining limit (64 queries in progress) reads its next query as soon as one is answered,
# inside the fetch's callback. When that query is a miss and the slots are over the bound (a
# reload lowered max-inflight), it pushes out the oldest low-priority request first: here a
# client already answered from stale data, still waiting on the same fetch as the refresh,
# and next in that fetch's list. fetch_finish must take its waiters one at a time (fetch.c):
# walking the list with a saved next pointer reads that freed request (a use-after-free that
# AddressSanitizer reports: this test fails so on the ASan build when the loop is naive).
#
#   fakedns 127.0.0.31  slow.test., answers after 4 s, TTL 1     fakedns 127.0.0.30  silent (".")
#   t=0    127.0.0.77 asks the expired a.slow.test.: it waits on the refresh, the fetch F
#   t=1.5  127.0.0.66 over TCP: 63 pipelined queries for the silent upstream, then one for
#          a.slow.test. (the newest waiter of F), then a 65th, held back by the limit
#   t=2.5  SIGHUP: max-inflight 256 -> 16
#   t=3    127.0.0.77 gets its stale answer (stale-client-timeout 3000): low priority on F now
#   t=4    F's answer: the TCP waiter first; its reply lets the 65th in; the 65th pushes out
#          127.0.0.77's request, the next waiter of F.
. "$(dirname "$0")/lib.sh"

start_fakedns silent 127.0.0.30 53 --mode drop
start_fakedns slow 127.0.0.31 53 --mode answer --ip 192.0.2.31 --ttl 1 --wait 4
conf() {
	cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
  max-inflight: $1
  upstream-timeout: 6000
upstreams: [127.0.0.30@53]
forward-zones:
  - {name: slow.test., upstreams: [127.0.0.31@53]}
dnssec: {validation: false}
cache: {prefetch: false, stale-client-timeout: 3000}
metrics: {listen: 127.0.0.1@9153}
views:
  - name: all
EOF
}
conf 256
start_megdns megdns.yaml
dq +time=8 a.slow.test. A
expect_answer "192\.0\.2\.31\$" "a.slow.test. is cached (TTL 1)"
sleep 1.5

# The clients; each writes "fresh stale busy other none" (counts of its replies).
python3 - "$IT_DIR" "$T" <<'EOF' &
import socket, struct, sys, threading, time
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply
out = sys.argv[2]

def tally(replies, sent):
    n = [0, 0, 0, 0]
    for r in replies:
        if r["rcode"] == 0 and r["an"] > 0:
            n[1 if 3 in r["ede"] else 0] += 1
        elif r["rcode"] == 2 and 23 in r["ede"]:
            n[2] += 1
        else:
            n[3] += 1
    return "%d %d %d %d %d" % (n[0], n[1], n[2], n[3], sent - len(replies))

def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.77", 0))
    s.sendto(build_query("a.slow.test.", qid=7), ("127.0.0.1", 53))
    replies = []
    s.settimeout(9)
    try:
        replies.append(parse_reply(s.recv(4096)))
    except socket.timeout:
        pass
    open(out + "/udp.result", "w").write(tally(replies, 1) + "\n")

def tcp():
    time.sleep(1.5)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.66", 0))
    s.connect(("127.0.0.1", 53))
    names = ["s%d.example." % i for i in range(63)] + ["a.slow.test.", "g.example."]
    frames = b""
    for i, name in enumerate(names):
        q = build_query(name, qid=1000 + i)
        frames += struct.pack("!H", len(q)) + q
    s.sendall(frames)
    replies, buf, end = [], b"", time.time() + 10
    while len(replies) < len(names) and time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            n = struct.unpack("!H", buf[:2])[0]
            replies.append(parse_reply(buf[2:2 + n]))
            buf = buf[2 + n:]
    open(out + "/tcp.result", "w").write(tally(replies, len(names)) + "\n")

th = [threading.Thread(target=udp), threading.Thread(target=tcp)]
for t in th:
    t.start()
for t in th:
    t.join()
EOF
clients=$!
track_pid "$clients"
sleep 2.5 # every query is in; 127.0.0.77's stale answer comes at 3 s, F's answer at 4 s
conf 16
megdns_hup
wait "$clients"

read -r u_ok u_stale u_busy u_other u_none <"$T/udp.result"
read -r t_ok t_stale t_busy t_other t_none <"$T/tcp.result"
note "udp: $u_ok fresh, $u_stale stale, $u_busy busy, $u_other other, $u_none none;" \
	"tcp: $t_ok fresh, $t_stale stale, $t_busy busy, $t_other other, $t_none none"
expect_alive "after a waiter was pushed out of the fetch that was telling it"
assert_eq "$u_stale" 1 "the UDP client got its stale answer (EDE 3) before the refresh ended"
assert_eq "$((t_ok + t_stale + t_busy + t_other)) $t_none" "65 0" "every TCP query got a reply"
assert_eq "$t_ok" 1 "...a.slow.test. the fresh answer"
assert_range "$t_busy" 1 64 "...and the 65th, read inside F's callback, pushed out requests (SERVFAIL EDE 23)"
metric() { curl -s "http://127.0.0.1:9153/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
inflight_zero() { [ "$(metric megdns_inflight)" = 0 ]; }
wait_for 10 inflight_zero || true
assert_eq "$(metric megdns_inflight)" 0 "every slot is free afterwards"
finish
