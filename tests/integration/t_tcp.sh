#!/usr/bin/env bash
# TCP and truncation: dig +tcp works (v4, v6); an RRset larger than 1232 bytes makes NSD
# truncate over UDP, megdns retries upstream over TCP and has the whole answer for TCP clients
# while UDP clients with small buffers get TC; pipelined TCP queries are answered out of order;
# idle connections time out; an incomplete query must arrive within the idle timeout of its
# first byte; a full table makes room by closing the longest idle connection; a client that
# half-closes after its query still gets the answer (RFC 7766 6.2.4).
. "$(dirname "$0")/lib.sh"

# 12 TXT records of 200 bytes: ~2.5 KB, more than any UDP answer size here.
{
	zone_soa example.test.
	echo "www IN A 192.0.2.1"
	for i in $(seq -w 1 12); do
		printf 'big IN TXT "%s-%s"\n' "$i" "$(printf 'x%.0s' $(seq 1 196))"
		printf 'big2 IN TXT "%s-%s"\n' "$i" "$(printf 'y%.0s' $(seq 1 196))"
	done
	# 2000 A records in one RRset (~32 KB, more records than megdns tracks TTLs for).
	for i in $(seq 0 1999); do echo "huge IN A 198.18.$((i / 250)).$((i % 250))"; done
} >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
dqs 127.0.0.10 53 +norec +bufsize=1232 +notcp +ignore big.example.test. TXT
expect_flag tc "precondition: NSD itself truncates big.example.test TXT over UDP"

start_fakedns slow 127.0.0.30 53 --mode delay --delay 1.5
start_fakedns half 127.0.0.31 53 --mode delay --delay 0.5 --ip 192.0.2.77
start_fakedns pipe 127.0.0.32 53 --mode delay --delay 2.2 --ip 192.0.2.78

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, "::1@53"]
  tcp-idle-timeout: 2
  tcp-max-connections: 8
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
forward-zones:
  - name: slow.test.
    upstreams: [127.0.0.30@53]
  - name: half.test.
    upstreams: [127.0.0.31@53]
  - name: pipe.test.
    upstreams: [127.0.0.32@53]
views:
  - name: all
    records: ["fast.home.arpa. 300 IN A 192.168.1.1"]
EOF
start_megdns megdns.yaml

dq +tcp www.example.test. A
expect_answer "192\.0\.2\.1\$" "dig +tcp, a forwarded name"
dqs ::1 53 +tcp www.example.test. A
expect_answer "192\.0\.2\.1\$" "dig +tcp over IPv6"
dq +tcp fast.home.arpa. A
expect_answer "192\.168\.1\.1\$" "dig +tcp, override data"

# First contact with big.example.test is a small-buffer UDP query: megdns must fetch the full
# RRset upstream (UDP gets TC from NSD -> TCP), cache it, and tell this client TC.
dq +bufsize=512 +notcp +ignore big.example.test. TXT
expect_status NOERROR "big TXT over UDP with a 512-byte buffer"
expect_flag tc "big TXT over UDP with a 512-byte buffer is truncated"
dq +tcp big.example.test. TXT
expect_status NOERROR "big TXT over TCP"
expect_noflag tc "big TXT over TCP is not truncated"
expect_answer_count 12 "big TXT over TCP has all 12 records (upstream was retried over TCP)"
expect_answer '"07-xxxx' "the records are intact"
dq +noedns +notcp +ignore big.example.test. TXT
expect_flag tc "big TXT to a client without EDNS (512 bytes) is truncated"
dq big.example.test. TXT
expect_answer_count 12 "plain dig (UDP 1232, then TCP on TC) gets the whole answer"
expect_out "Truncated, retrying in TCP mode" "dig saw TC over UDP and retried over TCP"

dq +tcp huge.example.test. A
expect_answer_count 2000 "an RRset of 2000 A records (~32 KB) arrives whole over TCP"
dq +tcp huge.example.test. A
expect_answer_count 2000 "...and again"

# Another big name, first asked over TCP.
dq +tcp big2.example.test. TXT
expect_answer_count 12 "big2 TXT, first asked over TCP"
dq +bufsize=1232 +notcp +ignore big2.example.test. TXT
expect_flag tc "big2 TXT over UDP with 1232 bytes is truncated"

# Pipelining (RFC 7766): a slow query (1.5 s upstream) then two local ones on one connection;
# the local answers must not wait behind the slow one, and every reply matches its query.
out=$(python3 - "$IT_DIR" <<'EOF' 2>&1
import sys, time
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply, tcp_exchange
qs = [build_query("slow1.slow.test.", qid=1001), build_query("fast.home.arpa.", qid=1002),
      build_query("www.example.test.", qid=1003)]
t0 = time.time()
replies = tcp_exchange("127.0.0.1", 53, qs, timeout=5)
for r in replies:
    p = parse_reply(r)
    print("reply id=%d rcode=%d an=%d" % (p["id"], p["rcode"], len(p["answers"])))
print("order=" + ",".join(str(parse_reply(r)["id"]) for r in replies))
print("elapsed=%.2f" % (time.time() - t0))
EOF
)
assert_match "$out" "^order=(1002,1003|1003,1002),1001$" "pipelined TCP: fast answers come before the slow one"
assert_match "$out" "reply id=1001 rcode=0 an=1" "pipelined TCP: the slow query is answered too"
assert_match "$out" "reply id=1002 rcode=0 an=1" "pipelined TCP: id 1002 answered"
assert_match "$out" "reply id=1003 rcode=0 an=1" "pipelined TCP: id 1003 answered"

# A query dribbled one byte at a time, and 100 queries pipelined on one connection.
out=$(python3 - "$IT_DIR" <<'EOF' 2>&1
import socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply, recv_exact
q = build_query("fast.home.arpa.", qid=4242)
s = socket.create_connection(("127.0.0.1", 53), timeout=5)
for b in struct.pack("!H", len(q)) + q:
    s.send(bytes([b]))
    time.sleep(0.01)
n = struct.unpack("!H", recv_exact(s, 2))[0]
p = parse_reply(recv_exact(s, n))
print("dribble id=%d rcode=%d an=%d" % (p["id"], p["rcode"], len(p["answers"])))
qs = [build_query(("fast.home.arpa." if i % 2 else "www.example.test."), qid=5000 + i)
      for i in range(100)]
s.sendall(b"".join(struct.pack("!H", len(x)) + x for x in qs))
ids = set()
try:
    for _ in qs:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
        p = parse_reply(recv_exact(s, n))
        if p["rcode"] == 0 and len(p["answers"]) == 1:
            ids.add(p["id"])
except Exception as e:
    print("error", e)
print("pipelined100 answered=%d" % len(ids))
EOF
)
assert_match "$out" "dribble id=4242 rcode=0 an=1" "TCP query sent one byte at a time is answered" "$out"
assert_match "$out" "pipelined100 answered=100" "100 queries pipelined on one connection all answered" "$out"

# A client that goes away while its query waits upstream: megdns must not trip over the
# answer arriving for a closed connection.
python3 - "$IT_DIR" <<'EOF' >gone.out 2>&1
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from fakedns import build_query
for i in range(5):
    s = socket.create_connection(("127.0.0.1", 53), timeout=2)
    q = build_query("gone%d.slow.test." % i)
    s.sendall(struct.pack("!H", len(q)) + q)
    if i % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
print("done")
EOF
sleep 2 # the slow upstream answers after 1.5 s
expect_alive "after TCP clients left with queries in flight"
dq +tcp fast.home.arpa. A
expect_answer "192\.168\.1\.1\$" "TCP still works after clients left early"

# Half-close: the client sends its query and shuts its sending side at once; the answer (a
# cache miss, 0.5 s upstream) must still come before megdns closes.
out=$(python3 - "$IT_DIR" <<'EOF' 2>&1
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply, recv_exact
for i, name in enumerate(["a.half.test.", "b.half.test."]):
    s = socket.create_connection(("127.0.0.1", 53), timeout=5)
    q = build_query(name, qid=700 + i)
    s.sendall(struct.pack("!H", len(q)) + q)
    s.shutdown(socket.SHUT_WR)
    try:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
        p = parse_reply(recv_exact(s, n))
        print("half id=%d rcode=%d an=%d" % (p["id"], p["rcode"], len(p["answers"])))
        print("then %r" % s.recv(10))
    except Exception as e:
        print("half %s: no answer (%s)" % (name, e))
EOF
)
assert_match "$out" "half id=700 rcode=0 an=1" "a query followed by SHUT_WR is answered (cache miss)" "$out"
assert_match "$out" "half id=701 rcode=0 an=1" "...and a second such client too" "$out"
assert_match "$out" "then b''" "after the answer megdns closes the connection (EOF)" "$out"

# Half-close after a query and one stray byte (a frame that can never be whole): the stray
# byte is dropped, and the query is still answered though its answer takes 2.2 s upstream,
# longer than tcp-idle-timeout (2 s).
out=$(python3 - "$IT_DIR" <<'EOF' 2>&1
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply, recv_exact
s = socket.create_connection(("127.0.0.1", 53), timeout=5)
q = build_query("stray.pipe.test.", qid=702)
s.sendall(struct.pack("!H", len(q)) + q + b"\x00")
s.shutdown(socket.SHUT_WR)
try:
    n = struct.unpack("!H", recv_exact(s, 2))[0]
    p = parse_reply(recv_exact(s, n))
    print("half id=%d rcode=%d an=%d" % (p["id"], p["rcode"], len(p["answers"])))
except Exception as e:
    print("no answer (%s)" % e)
EOF
)
assert_match "$out" "half id=702 rcode=0 an=1" "a query, a stray byte, then SHUT_WR: the query is answered" "$out"

# Past the pipelining limit (64 in progress): 64 queries and the first bytes of a 65th in one
# write, answers 2.2 s away upstream, longer than tcp-idle-timeout (2 s). megdns stops reading
# at 64 with part of the 65th read; that frame cannot be finished while megdns does not read,
# so it must not count against the client. The rest of it follows after 2.5 s.
out=$(python3 - "$IT_DIR" <<'EOF' 2>&1
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply, recv_exact
s = socket.create_connection(("127.0.0.1", 53), timeout=8)
qs = [build_query("p%d.pipe.test." % i, qid=9000 + i) for i in range(65)]
wire = b"".join(struct.pack("!H", len(x)) + x for x in qs)
cut = len(wire) - len(qs[-1]) + 3
s.sendall(wire[:cut])
import time
time.sleep(2.5)
try:
    s.sendall(wire[cut:])
except OSError as e:
    print("send error", e)
got = 0
try:
    for _ in qs:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
        p = parse_reply(recv_exact(s, n))
        got += p["rcode"] == 0 and len(p["answers"]) == 1
except Exception as e:
    print("error", e)
print("pipelined65 answered=%d" % got)
EOF
)
assert_match "$out" "pipelined65 answered=65" "65 pipelined slow queries (limit 64, part of the 65th read; answers after the idle timeout) all answered" "$out"

# Idle timeout: a connection that sends nothing is closed after about tcp-idle-timeout (2 s).
out=$(python3 - <<'EOF' 2>&1
import socket, time
s = socket.create_connection(("127.0.0.1", 53), timeout=8)
t0 = time.time()
try:
    data = s.recv(10)
    print("closed after %.1f s (%r)" % (time.time() - t0, data))
except socket.timeout:
    print("still open after 8 s")
except ConnectionResetError:
    print("closed after %.1f s (reset)" % (time.time() - t0))
EOF
)
assert_match "$out" "^closed after [1-4]\.[0-9] s" "an idle TCP connection is closed after ~2 s"

# Trickling: 8 clients (the limit) each send one byte of a query every 0.5 s, never finishing
# it. Each byte is activity, but the frame must be whole within tcp-idle-timeout (2 s) of its
# first byte: every one is closed after about 2 s, not kept forever.
out=$(python3 - <<'EOF' 2>&1
import socket, threading, time
res = []
def trickle(i):
    s = socket.create_connection(("127.0.0.1", 53), timeout=1)
    t0 = time.time()
    try:
        for k in range(16):  # up to 8 s
            s.send(b"\x00" if k == 0 else b"\x01")
            time.sleep(0.5)
            s.settimeout(0.01)
            try:
                if s.recv(10) == b"":
                    res.append("closed after %.1f s" % (time.time() - t0)); return
            except socket.timeout:
                pass
    except OSError as e:
        res.append("closed after %.1f s (%s)" % (time.time() - t0, e.__class__.__name__)); return
    res.append("still open after %.1f s" % (time.time() - t0))
ts = [threading.Thread(target=trickle, args=(i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(sorted(res)))
print("closed in time: %d" % sum(1 for r in res if r.startswith("closed after") and float(r.split()[2]) < 4))
EOF
)
assert_match "$out" "closed in time: 8" "8 trickling clients are each closed ~2 s after their first byte" "$out"

# A burst of 60 connections in one go (limit 8): every one megdns cannot keep is closed, and
# the rest once idle; none may be left open and unanswered (an fd leaked on megdns's side).
out=$(python3 - <<'EOF' 2>&1
import socket, time
conns = []
for i in range(60):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", 53))
    conns.append(c)
time.sleep(4.5)  # past tcp-idle-timeout (2 s)
closed = 0
for c in conns:
    try:
        closed += c.recv(1) == b""
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print("burst closed=%d" % closed)
EOF
)
assert_match "$out" "burst closed=60" "a burst of 60 connections (limit 8): all are closed by megdns, none left hanging" "$out"

# Connection limit: 20 idle connections (limit 8) must not lock TCP clients out for good.
python3 - <<'EOF' >conns.out 2>&1 &
import socket, time
conns = []
for i in range(20):
    try:
        conns.append(socket.create_connection(("127.0.0.1", 53), timeout=2))
    except OSError as e:
        print("connect %d: %s" % (i, e))
print("opened %d" % len(conns), flush=True)
time.sleep(6)
EOF
holder=$!
track_pid $holder
sleep 0.5
dq +tcp fast.home.arpa. A
expect_answer "192\.168\.1\.1\$" "dig +tcp while 20 idle connections hold the table (limit 8): the longest idle one makes room"
sleep 3 # past the idle timeout: the idle connections are gone from megdns's side
dq +tcp fast.home.arpa. A
expect_answer "192\.168\.1\.1\$" "TCP works again once idle connections timed out (limit 8, 20 opened)"
stop_pid $holder 1
dq +tcp www.example.test. A
expect_answer "192\.0\.2\.1\$" "TCP works after the idle clients went away"
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "UDP works throughout"

finish
