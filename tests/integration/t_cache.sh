#!/usr/bin/env bash
# Cache lifetime and bound: entries expire with their TTL (the next query goes upstream and sees
# new data); a flood of distinct names in a small cache (cache.size: 256KiB) evicts old
# entries instead of growing without bound, and megdns keeps answering throughout.
. "$(dirname "$0")/lib.sh"

write_zone() { # ADDRESS-OF-short
	{
		zone_soa example.test.
		echo "short 2 IN A $1"
		echo "www IN A 192.0.2.1"
		echo "*.bulk IN A 192.0.2.5"
	} >example.test.zone
}
write_zone 192.0.2.21
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
cache:
  size: 256KiB
views:
  - name: all
    records: ["x.home.arpa. 60 IN A 192.168.1.1"]
EOF
start_megdns megdns.yaml

# 1. Expiry: short.example.test has TTL 2.
dq short.example.test. A
expect_answer "192\.0\.2\.21\$" "short-TTL name, first answer"
stop_nsd up
write_zone 192.0.2.22
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
dq short.example.test. A
expect_answer "192\.0\.2\.21\$" "within its TTL the cached answer is served (NSD has new data)"
ttl=$(dq_ttl ANSWER short.example.test. A)
assert_range "$ttl" 0 2 "the cached TTL is at most 2" "$DQ"
sleep 2.5
dq short.example.test. A
expect_answer "192\.0\.2\.22\$" "after the TTL ran out the new data is fetched"

# 2. Flood: 20000 distinct names through a 256 KiB cache.
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$MEGDNS_PID/status"; }
flood() { # FIRST LAST: query n$FIRST..n$LAST.bulk.example.test, 200 in flight at most
	python3 - "$IT_DIR" "$1" "$2" <<'EOF'
import select, socket, sys, time
sys.path.insert(0, sys.argv[1])
from fakedns import build_query, parse_reply
first, last = int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 53))
pending, ok, bad, i = {}, 0, 0, first
deadline = time.time() + 40
while (i <= last or pending) and time.time() < deadline:
    while i <= last and len(pending) < 200:
        qid = i & 0xFFFF
        s.send(build_query("n%d.bulk.example.test." % i, qid=qid))
        pending[qid] = time.time()
        i += 1
    r, _, _ = select.select([s], [], [], 0.5)
    if r:
        p = parse_reply(s.recv(4096))
        if pending.pop(p["id"], None) is not None:
            ok += p["rcode"] == 0 and len(p["answers"]) == 1
            bad += not (p["rcode"] == 0 and len(p["answers"]) == 1)
    else:  # nothing for 0.5 s: forget the lost ones
        now = time.time()
        for k in [k for k, t in pending.items() if now - t > 2]:
            pending.pop(k)
            bad += 1
print("answered %d, bad or lost %d" % (ok, bad))
EOF
}
rss0=$(rss)
out=$(flood 1 5000)
assert_match "$out" "^answered (49[5-9][0-9]|5000), " "5000 distinct names answered (at most 1% lost)"
rss1=$(rss)
out=$(flood 5001 20000)
assert_match "$out" "^answered (14[89][0-9][0-9]|15000), " "15000 more distinct names answered (at most 1% lost)"
rss2=$(rss)
note "RSS: start ${rss0} kB, after 5000 names ${rss1} kB, after 20000 names ${rss2} kB"
if ldd "$MEGDNS" 2>/dev/null | grep -q 'libasan'; then
	note "sanitizer build: RSS bound not checked (ASan keeps freed memory in quarantine)"
else
	assert_range $((rss2 - rss1)) -100000 4096 \
		"memory stays bounded: RSS grew by at most 4 MiB from 5000 to 20000 names (kB)"
fi
expect_alive "after the flood"

# Eviction is visible: with NSD gone, the first names are no longer cached, the last ones are.
stop_nsd up
dq n1.bulk.example.test. A
expect_status SERVFAIL "an early name was evicted (NSD stopped: cannot be answered any more)"
dq n20000.bulk.example.test. A
expect_answer "192\.0\.2\.5\$" "the most recent name is still cached"
dq x.home.arpa. A
expect_answer "192\.168\.1\.1\$" "override data unaffected by the flood"

finish
