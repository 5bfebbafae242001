#!/usr/bin/env bash
# A 1,000,000-name blocklist, generated (names of 2 to 4 labels, an hosts-format part and an
# Adblock part): megdns -t and the daemon load it, block its first and last names and the
# names below them, pass names next to them, and keep answering; the log counts every name.
# How fast and how small: contrib/bench/blocklist.sh (a benchmark, not this test).
. "$(dirname "$0")/lib.sh"

start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99
awk 'BEGIN {
	for (i = 0; i < 900000; i++) {
		k = i % 3
		if (k == 0) print "ads-" i ".com"
		else if (k == 1) print "t" i ".tracker-" (i % 977) ".net"
		else print "p" i ".cdn.stats-" (i % 31) ".io"
	}
}' >big.txt
awk 'BEGIN { for (i = 0; i < 50000; i++) print "0.0.0.0 host-" i ".example.org" }' >big-hosts.txt
awk 'BEGIN { for (i = 0; i < 50000; i++) print "||adb-" i ".example.net^" }' >big-adblock.txt
cat >megdns.yaml <<'EOF2'
server: {listen: [127.0.0.1@53]}
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
blocklists: [{name: big, files: [big.txt, big-hosts.txt, big-adblock.txt]}]
views: [{name: all, blocklists: [big]}]
EOF2
"$MEGDNS" -t -c megdns.yaml >check.out 2>&1
assert_eq "$?" 0 "megdns -t loads a 1,000,000-name list"
start_megdns megdns.yaml
expect_log "blocklist big: 1000000 names from 3 file\(s\) in [0-9.]+ s" "the log counts every name of the three files"
for n in ads-0.com t1.tracker-1.net p899999.cdn.stats-7.io host-49999.example.org adb-0.example.net; do
	dq "$n." A
	expect_status NXDOMAIN "$n is blocked"
	dq "www.$n." A
	expect_status NXDOMAIN "a name below $n is blocked"
done
dq ads-900000.com. A
expect_answer "192\.0\.2\.99" "the name after the last one passes"
dq tracker-1.net. A
expect_answer "192\.0\.2\.99" "a name above an entry passes"
dq example.org. A
expect_answer "192\.0\.2\.99" "the hosts part's domain passes"
expect_alive
finish
