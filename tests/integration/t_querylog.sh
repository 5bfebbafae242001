#!/usr/bin/env bash
# server.query-log: true writes one stderr line per query,
#   megdns[PID]: query: CLIENT@PORT VIEW NAME TYPE udp|tcp RCODE local|cache|upstream|error LATENCYms
# with the client's real source port, its view ("-" when none), the answer's source and a
# latency that reflects a slow upstream. Off by default (no query lines); a reload turns it on
# and off.
. "$(dirname "$0")/lib.sh"

{ zone_soa example.test.; echo "www IN A 192.0.2.1"; } >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
start_fakedns slow 127.0.0.30 53 --mode delay --delay 0.4
start_fakedns hole 127.0.0.31 53 --mode drop

write_conf() { # QUERY-LOG-LINE (empty: key absent)
	cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53, "::1@53"]
  upstream-timeout: 500
$1
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
forward-zones:
  - name: slow.test.
    upstreams: [127.0.0.30@53]
  - name: hole.test.
    upstreams: [127.0.0.31@53]
views:
  - name: lan
    match-clients: [127.0.0.2/32, "::1"]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
  - name: guest
    match-clients: [127.0.0.3/32]
    records: ["nas.home.arpa. 300 IN A 192.168.2.10"]
EOF
}
# query_lines: megdns's query lines of this run.
query_lines() { tail -n +"$((${MEGDNS_LOG_MARK:-0} + 1))" "$MEGDNS_LOG" | grep -E '^megdns\[[0-9]+\]: query: '; }
# expect_qline REGEX DESC: exactly one query line of this run matches (after the prefix).
expect_qline() {
	local n
	n=$(query_lines | sed 's/^megdns\[[0-9]*\]: query: //' | grep -Ec -- "$1")
	if [ "$n" = 1 ]; then ok "$2"; else
		fail "$2: $n query lines match /$1/ (expected 1); query lines of this run:"
		query_lines | indent
	fi
}
LAT='[0-9]+\.[0-9]+ms'

# --- on -----------------------------------------------------------------------------------------
write_conf "  query-log: true"
MEGDNS_READY_ARGS="-b 127.0.0.2" start_megdns megdns.yaml
P=$MEGDNS_PID

dq -b 127.0.0.2#40101 nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "lan: local record"
dq -b 127.0.0.2#40102 www.example.test. A
dq -b 127.0.0.2#40103 www.example.test. A
dq -b 127.0.0.2#40104 nope.example.test. AAAA
dq -b 127.0.0.2#40105 +tcp nas.home.arpa. A
dq -b 127.0.0.3#40106 nas.home.arpa. A
dq -b 127.0.0.200#40107 nas.home.arpa. A
expect_status REFUSED "127.0.0.200 is in no view"
dq -b 127.0.0.2#40108 +time=4 www.slow.test. A
expect_answer '192\.0\.2\.53$' "www.slow.test from the slow upstream (0.4 s)"
dq -b 127.0.0.2#40109 +time=4 www.hole.test. A
expect_status SERVFAIL "www.hole.test: the upstream never answers"
dqs ::1 53 -b '::1#40110' nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "lan over IPv6"
sleep 0.2 # the log lines are written as the answers go out

expect_qline "^127\\.0\\.0\\.2@40101 lan nas\\.home\\.arpa\\. A udp NOERROR local $LAT\$" \
	"local answer: client@port, view, name, type, udp, NOERROR, local, latency"
expect_qline "^127\\.0\\.0\\.2@40102 lan www\\.example\\.test\\. A udp NOERROR upstream $LAT\$" "forwarded: source upstream"
expect_qline "^127\\.0\\.0\\.2@40103 lan www\\.example\\.test\\. A udp NOERROR cache $LAT\$" "repeated: source cache"
expect_qline "^127\\.0\\.0\\.2@40104 lan nope\\.example\\.test\\. AAAA udp NXDOMAIN upstream $LAT\$" "NXDOMAIN AAAA from upstream"
expect_qline "^127\\.0\\.0\\.2@40105 lan nas\\.home\\.arpa\\. A tcp NOERROR local $LAT\$" "over TCP: tcp"
expect_qline "^127\\.0\\.0\\.3@40106 guest nas\\.home\\.arpa\\. A udp NOERROR local $LAT\$" "the guest view is named"
expect_qline "^127\\.0\\.0\\.200@40107 - nas\\.home\\.arpa\\. A udp REFUSED " "a client in no view: view '-', REFUSED"
expect_qline "^127\\.0\\.0\\.2@40108 lan www\\.slow\\.test\\. A udp NOERROR upstream $LAT\$" "slow upstream: logged"
expect_qline "^127\\.0\\.0\\.2@40109 lan www\\.hole\\.test\\. A udp SERVFAIL (upstream|error) $LAT\$" \
	"upstream silent: SERVFAIL (source: the upstream that failed, or error)"
expect_qline "^(\\[::1\\]|::1)@40110 lan nas\\.home\\.arpa\\. A udp NOERROR local $LAT\$" "an IPv6 client"
pid_ok=$(query_lines | grep -vc "^megdns\\[$P\\]: ")
assert_eq "$pid_ok" 0 "every query line carries megdns's PID" "$(query_lines)"

ms() { query_lines | grep -E "@$1 " | sed -n 's/.* \([0-9.]*\)ms$/\1/p' | head -n1; }
slow=$(ms 40108)
assert_range "${slow%.*}" 380 3000 "the slow upstream's query shows its latency (ms)" "$(query_lines)"
fast=$(ms 40101)
assert_range "${fast%.*}" 0 200 "a local answer is fast (ms)" "$(query_lines)"

# Exactly one line per query (the readiness probe counts too).
before=$(query_lines | wc -l)
for i in $(seq 1 20); do dq -b 127.0.0.2 "n$i.home.arpa." A; done
for i in $(seq 1 5); do dq -b 127.0.0.2 +tcp nas.home.arpa. A; done
sleep 0.2
after=$(query_lines | wc -l)
assert_eq "$((after - before))" 25 "25 queries (20 UDP, 5 TCP): 25 query lines"
n=$(query_lines | grep -Eo ' n[0-9]+\.home\.arpa\. A udp ' | sort -u | wc -l)
assert_eq "$n" 20 "each of the 20 names once"

# A reload with query-log: false stops the lines; true again brings them back.
write_conf "  query-log: false"
megdns_hup
before=$(query_lines | wc -l)
dq -b 127.0.0.2 nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "answers after the reload"
sleep 0.2
assert_eq "$(($(query_lines | wc -l) - before))" 0 "after a reload with query-log: false no query line"
write_conf "  query-log: true"
megdns_hup
dq -b 127.0.0.2#40111 nas.home.arpa. A
sleep 0.2
expect_qline "^127\\.0\\.0\\.2@40111 lan nas\\.home\\.arpa\\. A udp NOERROR local $LAT\$" "a reload with query-log: true logs again"
stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "megdns exits 0"

# --- off by default -------------------------------------------------------------------------
write_conf ""
MEGDNS_READY_ARGS="-b 127.0.0.2" start_megdns megdns.yaml
dq -b 127.0.0.2 nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "without query-log: answers"
dq -b 127.0.0.2 www.example.test. A
dq -b 127.0.0.2 +tcp www.example.test. A
dq -b 127.0.0.200 nas.home.arpa. A
sleep 0.2
assert_eq "$(query_lines | wc -l)" 0 "query-log is off by default: no query lines" "$(tail -n +"$((MEGDNS_LOG_MARK + 1))" "$MEGDNS_LOG")"
expect_log 'ready' "the other log lines are still written"
finish
