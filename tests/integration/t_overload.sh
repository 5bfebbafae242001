#!/usr/bin/env bash
# Fair overload (server.max-inflight): misses in flight are bounded; when all slots are taken,
# a new miss of the client holding the most waits in a small queue (max-inflight / 8 + 1), and
# over that the oldest queued miss of the client queueing the most is answered SERVFAIL with
# EDE 23 "resolver busy"; another client's new miss pushes out the heaviest client's oldest in
# flight. So a device flooding random names to a silent upstream pushes out only its own
# misses: another client's slow miss still gets its real answer, its new misses get in, its
# cache hits and the view's local data are answered at once. Metrics and the query log show
# it; after the flood the slots and the queue are free again.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || die "missing curl"
start_fakedns silent 127.0.0.30 53 --mode drop
start_fakedns slow 127.0.0.31 53 --mode answer --ip 192.0.2.31 --wait 6
start_fakedns fast 127.0.0.32 53 --mode answer --ip 192.0.2.32
cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
  query-log: true
  max-inflight: 16
  upstream-timeout: 8000      # a miss to the silent upstream waits 8 s
upstreams: [127.0.0.30@53]
forward-zones:
  - {name: slow.test., upstreams: [127.0.0.31@53]}
  - {name: fast.test., upstreams: [127.0.0.32@53]}
dnssec: {validation: false}   # unsigned fake upstreams
cache: {prefetch: false}
control: {socket: $CTL_SOCK}
metrics: {listen: 127.0.0.1@9153}
views:
  - name: all
    records: ["printer.home.arpa. 300 A 192.168.1.20"]
EOF
start_megdns megdns.yaml

metric() { curl -s "http://127.0.0.1:9153/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# flood FIRST COUNT: COUNT misses for flood-N.example. from 127.0.0.55 as fast as it can
# send, then the replies it got within 1.5 s: "servfail busy / other / none".
flood() {
	python3 - "$IT_DIR" "$1" "$2" <<'EOF'
import socket, sys, time
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply
first, count = int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.55", 0))
for i in range(first, first + count):
    s.sendto(build_query("flood-%d.example." % i, qid=i & 0xffff), ("127.0.0.1", 53))
busy = other = 0
end = time.time() + 1.5
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try:
        r = parse_reply(s.recv(4096))
    except socket.timeout:
        break
    if r["rcode"] == 2 and 23 in r["ede"]:
        busy += 1
    else:
        other += 1
print(busy, other, count - busy - other)
EOF
}

dq -b 127.0.0.66 www.fast.test. A
expect_answer "192\.0\.2\.32\$" "another client fills the cache with www.fast.test"

# The other client's miss to the slow zone (answered after 6 s) goes in first...
DQS=$T/slow.out
dig +tries=1 +time=10 -b 127.0.0.66 @127.0.0.1 a.slow.test. A >"$DQS" 2>&1 &
slow_pid=$!
sleep 0.3
# ... then the flood: 16 slots, the first flooded miss pushes out nothing of the other client.
# 15 take the free slots, the newest 3 wait in the queue, the 82 between are answered.
read -r busy other none <<<"$(flood 0 100)"
assert_eq "$busy" 82 "100 flooded misses, 16 slots, a queue of 3: the 82 that did not fit were answered SERVFAIL EDE 23 at once" \
	"busy $busy other $other unanswered $none"
assert_eq "$none" 18 "...and the 15 oldest (in flight) and the 3 newest (queued) still wait"
assert_eq "$(metric megdns_inflight)" 16 "megdns_inflight shows every slot taken"
assert_eq "$(metric megdns_queued)" 3 "megdns_queued shows the queue full"
assert_eq "$(metric megdns_busy_total)" 82 "megdns_busy_total counts the 82"
expect_log "127\.0\.0\.55@[0-9]+ all flood-15\.example\. A udp SERVFAIL error " \
	"the query log shows the flooder's oldest queued miss answered SERVFAIL"
assert_no_match "$(grep ' flood-14\.example\. ' "$MEGDNS_LOG")" "SERVFAIL" \
	"...and none in flight: pushing out its own would only trade an upstream query for another"

t0=$(now_ms)
dq -b 127.0.0.66 www.fast.test. A
expect_answer "192\.0\.2\.32\$" "during the flood, the other client's cache hit is answered"
dq -b 127.0.0.66 printer.home.arpa. A
expect_answer "192\.168\.1\.20\$" "...and so is the view's local data"
assert_range "$(($(now_ms) - t0))" 0 1000 "...at once (ms for both)"
# A new miss of the other client gets in: the flooder, holding the most, gives way.
dig +tries=1 +time=10 -b 127.0.0.66 @127.0.0.1 b.slow.test. A >"$T/slow2.out" 2>&1 &
slow2_pid=$!
sleep 0.3
read -r busy other none <<<"$(flood 100 50)"
# One of the flooder's 15 in flight gave way to b.slow.test (its reply went to the first
# flood's closed socket); these 50 queue, pushing out the 3 queued of the first flood and then
# their own oldest: 47 answered, the newest 3 queued.
assert_eq "$busy" 47 "50 more flooded misses: again only the flooder's own oldest give way" \
	"busy $busy other $other unanswered $none"
assert_eq "$(metric megdns_busy_total)" 133 "megdns_busy_total: 82 + 1 + 50"
expect_log "127\.0\.0\.55@[0-9]+ all flood-0\.example\. A udp SERVFAIL error " \
	"the flooder's oldest in flight was the one that made room for the other client"

wait "$slow_pid"
assert_match "$(cat "$DQS")" "a\.slow\.test\..*A.*192\.0\.2\.31" \
	"the other client's first slow miss got its real answer, after the whole flood" "$(cat "$DQS")"
wait "$slow2_pid"
assert_match "$(cat "$T/slow2.out")" "b\.slow\.test\..*A.*192\.0\.2\.31" \
	"...and so did the one it sent during the flood" "$(cat "$T/slow2.out")"
assert_no_match "$(grep ' 127\.0\.0\.66@' "$MEGDNS_LOG")" "SERVFAIL" \
	"the other client got no SERVFAIL at all"

# The 14 in flight time out at 8 s, then the 3 queued start and time out 8 s later.
inflight_zero() { [ "$(metric megdns_inflight)" = 0 ] && [ "$(metric megdns_queued)" = 0 ]; }
wait_for 20 inflight_zero || true
assert_eq "$(metric megdns_inflight) $(metric megdns_queued)" "0 0" \
	"after the upstream timeouts every slot is free again, the queue empty"
expect_log "127\.0\.0\.55@[0-9]+ all flood-149\.example\. A udp SERVFAIL upstream " \
	"the newest queued miss did get its turn at the upstream (and its timeout)"
dq -b 127.0.0.55 c.fast.test. A
expect_answer "192\.0\.2\.32\$" "the flooder is served normally afterwards"
expect_alive "at the end"
# Stopping with misses in flight and queued frees them all (ASan's leak check sees it).
read -r busy other none <<<"$(flood 200 30)"
assert_eq "$(metric megdns_queued)" 3 "a last flood fills the queue again" "busy $busy none $none"
stop_megdns
assert_eq "$MEGDNS_RC" 0 "SIGTERM with misses in flight and queued: a clean exit"
finish
