#!/usr/bin/env bash
# Blocklists change on disk while megdns serves: a list renamed over the old one (as a nightly
# download does) or rewritten in place is loaded again by itself within seconds, with dnsperf
# running the whole time and losing no query; a list that cannot be read keeps the old one
# serving and the log says why; a change to one file keeps the other lists (not read again).
. "$(dirname "$0")/lib.sh"

start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99
mkdir lists
printf 'one.test\n' >lists/ads.txt
printf '0.0.0.0 other.test\n' >lists/other.txt
cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
control: {socket: ""}
blocklists:
  - name: ads
    files: [lists/ads.txt]
  - name: other
    files: [lists/other.txt]
views:
  - name: lan
    blocklists: [ads, other]
EOF2
start_megdns megdns.yaml
expect_log "blocklist ads: 1 names from 1 file\(s\) in [0-9.]+ s" "the list's load is logged with its count"

blocked() { dq "$1" A; [ "$(dq_status)" = NXDOMAIN ]; }
wait_blocked() { # NAME: until megdns blocks NAME (up to 5 s)
	local i
	for ((i = 0; i < 50; i++)); do blocked "$1" && return 0; sleep 0.1; done
	return 1
}

for i in $(seq 1 200); do echo "name$i.example. A"; done >queries.txt
dnsperf -s 127.0.0.1 -p 53 -d queries.txt -l 8 -Q 2000 -c 4 -t 2 >dnsperf.out 2>&1 &
PERF=$!
track_pid "$PERF"
sleep 1

# 1: a new file renamed over the old one
printf 'two.test\n# new\n' >lists/ads.new && mv lists/ads.new lists/ads.txt
if wait_blocked two.test; then ok "a list renamed over the old one is loaded again by itself"; else fail "two.test never blocked after the rename"; show_dq; fi
dq one.test A
expect_answer "192\.0\.2\.99" "the name gone from the new list is resolved again"
expect_log "lists/ads.txt changed: reloading" "the log says which file changed"

# 2: rewritten in place
printf 'three.test\n' >lists/ads.txt
if wait_blocked three.test; then ok "a list rewritten in place is loaded again"; else fail "three.test never blocked"; show_dq; fi

# 3: a list that cannot be read keeps the old one serving
rm lists/ads.txt
sleep 1.5
expect_log "reload failed, still serving the previous configuration: .*ads.txt: No such file" "a missing list: the log says why"
dq three.test A
expect_status NXDOMAIN "a list that fails to load keeps the old one serving"
printf 'four.test\n' >lists/ads.txt
if wait_blocked four.test; then ok "the list is back once the file is"; else fail "four.test never blocked"; fi

# other lists are kept, not read again, when one file changes
n_other=$(grep -c "blocklist other:" "$MEGDNS_LOG")
assert_eq "$n_other" 1 "the unchanged list 'other' was read once in all these reloads"
dq other.test A
expect_status NXDOMAIN "the kept list still blocks"

wait "$PERF"
lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' dnsperf.out)
sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' dnsperf.out)
assert_eq "${lost:-none}" 0 "dnsperf lost no query while lists were swapped (${sent:-?} sent)" "$(cat dnsperf.out)"
assert_range "${sent:-0}" 10000 100000 "dnsperf kept sending the whole time"
expect_alive "megdns is alive after the list changes"
finish
