#!/usr/bin/env bash
# The side listeners (metrics, control socket) cannot take the DNS service down: with megdns
# under a 256-file limit, 600 idle metrics connections and 100 idle control connections leave
# cache misses (UDP and TCP) answered; each listener holds at most 16 clients (the oldest still
# sending makes room, so a scrape and megdns-control still get through), and an idle client is
# closed after the 5 s request deadline. metrics.allow (default: loopback only) refuses other
# clients with 403, and a reload changes it.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || die "missing curl"
{
	zone_soa example.test.
	echo "* IN A 192.0.2.1"
} >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
peer_netns scraper
veth_pair mg0 10.99.0.1/24 scraper mgp 10.99.0.2/24

write_config() { # [ALLOW-LINE]
	cat >megdns.yaml <<CONF
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zone
control: {socket: control.sock}
metrics:
  listen: 0.0.0.0@9153
$1
views:
  - name: all
CONF
}
write_config ""
MEGDNS_NOFILE=256 start_megdns megdns.yaml

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
assert_eq "$(code http://127.0.0.1:9153/metrics)" 200 "default metrics.allow: a loopback client is served"
assert_eq "$(ip netns exec scraper curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	http://10.99.0.1:9153/metrics)" 403 "default metrics.allow: a client on the LAN side gets 403"

# 600 idle metrics clients and 100 idle control clients, held for 8 s.
python3 - "$T/control.sock" >flood.out 2>&1 <<'PY' &
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
conns = []
for i in range(600):
    conns.append(("metrics", socket.create_connection(("127.0.0.1", 9153), timeout=10)))
for i in range(100):
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(sys.argv[1])
    conns.append(("control", u))
print("opened %d" % len(conns), flush=True)
t0 = time.time()
closed_at = {}
while time.time() - t0 < 8 and len(closed_at) < len(conns):
    for i, (kind, s) in enumerate(conns):
        if i in closed_at:
            continue
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed_at[i] = time.time() - t0
        except BlockingIOError:
            pass
        except OSError:
            closed_at[i] = time.time() - t0
    if time.time() - t0 < 1.5:
        open_now = {k: sum(1 for i, (kk, _) in enumerate(conns) if kk == k and i not in closed_at)
                    for k in ("metrics", "control")}
    time.sleep(0.05)
print("held at 1.5 s: metrics %d control %d" % (open_now["metrics"], open_now["control"]))
print("still open after 8 s: %d" % (len(conns) - len(closed_at)))
print("last closed at %.1f s" % max(closed_at.values()))
PY
flood=$!
track_pid $flood
# Opening takes a while: the kernel drops SYNs while the 16-deep accept queue is full.
for _ in $(seq 300); do grep -q opened flood.out && break; sleep 0.1; done
note "$(head -n1 flood.out)"
dq miss1.example.test. A
expect_answer "192\.0\.2\.1\$" "a cache miss over UDP is answered during the flood"
dq +tcp miss2.example.test. A
expect_answer "192\.0\.2\.1\$" "a cache miss over TCP is answered during the flood"
assert_eq "$(code http://127.0.0.1:9153/metrics)" 200 "a scrape during the flood is served (the oldest idle client makes room)"
ctl status
expect_ctl_rc 0 "megdns-control status during the flood"
wait $flood
out=$(cat flood.out)
assert_match "$out" "held at 1.5 s: metrics ([0-9]|1[0-6]) control ([0-9]|1[0-6])\$" \
	"each listener holds at most 16 clients" "$out"
assert_match "$out" "still open after 8 s: 0" "every idle client is closed by the request deadline" "$out"
assert_match "$out" "last closed at [4-7]\.[0-9] s" "...about 5 s after it connected" "$out"
dq miss3.example.test. A
expect_answer "192\.0\.2\.1\$" "cache misses are answered after the flood"

# A scrape whose request is in is not closed for the idle connects accepted after it: with
# megdns stopped, the scrape connects and sends, then 16 idle clients fill the accept queue
# behind it; megdns accepts all 17 in one go before reading any (regression: the scrape was the
# oldest "still sending" client and was closed).
python3 - "$MEGDNS_PID" >burst.out 2>&1 <<'PY'
import os, signal, socket, sys, time
pid = int(sys.argv[1])
os.kill(pid, signal.SIGSTOP)
try:
    scrape = socket.socket()
    scrape.setblocking(False)
    scrape.connect_ex(("127.0.0.1", 9153))
    time.sleep(0.2)
    scrape.setblocking(True)
    scrape.sendall(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
    idle = []
    for i in range(16):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", 9153))
        idle.append(s)
    time.sleep(0.3)
finally:
    os.kill(pid, signal.SIGCONT)
scrape.settimeout(5)
try:
    print("status:", scrape.recv(64).split(b"\r\n")[0].decode())
except OSError as e:
    print("status: none (%s)" % e)
PY
assert_match "$(cat burst.out)" "status: HTTP/1.[01] 200" \
	"a scrape sent before a burst of idle connects is answered" "$(cat burst.out)"

# A full listener whose 16 clients have each sent a byte closes the oldest of them for a new
# scrape, never the newcomer (regression: the scrape, silent when accepted, was closed).
python3 - >partial.out 2>&1 <<'PY' &
import socket, time
conns = []
for i in range(16):
    s = socket.create_connection(("127.0.0.1", 9153), timeout=5)
    s.sendall(b"G")
    conns.append(s)
print("sent", flush=True)
time.sleep(4)
PY
partial=$!
track_pid $partial
for _ in $(seq 50); do grep -q sent partial.out && break; sleep 0.1; done
sleep 0.3
assert_eq "$(code http://127.0.0.1:9153/metrics)" 200 \
	"16 clients that each sent a byte: a new scrape is still served"
wait $partial

# metrics.allow follows a reload.
write_config "  allow: [10.99.0.0/24]"
megdns_hup
assert_eq "$(ip netns exec scraper curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	http://10.99.0.1:9153/metrics)" 200 "after a reload with metrics.allow [10.99.0.0/24] the LAN client is served"
assert_eq "$(code http://127.0.0.1:9153/metrics)" 403 "...and loopback, no longer listed, gets 403"
assert_match "$(curl -s --max-time 5 http://127.0.0.1:9153/metrics)" "metrics.allow does not include" \
	"the 403 says why"
expect_alive "after the floods"
finish
