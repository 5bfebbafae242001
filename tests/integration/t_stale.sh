#!/usr/bin/env bash
# Serve-stale (RFC 8767, cache.serve-stale, on by default): once an answer has expired, a
# client still gets it (TTL cache.stale-answer-ttl, EDE 3) when the upstream is down (at once)
# or frozen (after cache.stale-client-timeout); negative answers too; the refresh that goes
# on replaces the stale data as soon as the upstream is back; data older than
# cache.stale-max-age is not served; serve-stale: false turns it off. The query log and the
# metrics count stale answers.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || die "missing curl"
zone() { # ADDRESS: example.test. with short TTLs (2 s, negative 2 s)
	{
		zone_soa example.test. 2 2
		echo "www 2 IN A $1"
	} >example.test.zone
}
zone 192.0.2.1
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

conf() { # SERVE-STALE
	cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
  query-log: true
  upstream-timeout: 500
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # an unsigned test zone
cache:
  serve-stale: $1
  stale-max-age: 12
control: {socket: $CTL_SOCK}
metrics: {listen: 127.0.0.1@9153}
views:
  - name: all
    records: ["alias.home.arpa. 300 IN CNAME www.example.test."]
EOF
}
conf true
start_megdns megdns.yaml

# An upstream that refuses a name (NSD, for a zone it does not serve) answered: it stays
# up, but status shows the error rcode as its last failure.
dq elsewhere.test. A
expect_status SERVFAIL "a name the upstream refuses: SERVFAIL"
ctl status
expect_ctl_out "^  upstream 127\.0\.0\.10@53: up \(last failure [0-9.]+ s ago: an error rcode" \
	"status: the upstream is up, its last failure an error rcode (regression: not shown)"
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "a fresh answer"
assert_range "$(dq_ttl ANSWER www.example.test. A)" 0 2 "...with its own TTL" "$DQ"
dq nx.example.test. A
expect_status NXDOMAIN "a fresh NXDOMAIN"
t_stored=$(now_ms)

# The upstream stops: a refused connection fails at once, and so is answered at once.
stop_nsd up
sleep 2.5
t0=$(now_ms)
dq +time=5 www.example.test. A
ms=$(($(now_ms) - t0))
expect_answer "192\.0\.2\.1\$" "upstream down, the answer expired: the stale answer"
assert_eq "$(dq_ttl ANSWER www.example.test. A)" 30 "...with TTL stale-answer-ttl (30)" "$DQ"
expect_ede 3 "...and EDE 3 (Stale Answer)"
assert_range "$ms" 0 1900 "...within the client timeout (ms)" "$DQ"
dq +time=5 alias.home.arpa. A
expect_answer "192\.0\.2\.1\$" "a local CNAME to the expired name: the stale answer behind it"
assert_eq "$(dq_ttl ANSWER www.example.test. A)" 30 "...its TTL stale-answer-ttl (regression: the stored TTL)" "$DQ"
expect_ede 3 "...and EDE 3 (regression: none)"
dq +time=5 nx.example.test. A
expect_status NXDOMAIN "a stale NXDOMAIN"
expect_ede 3 "...EDE 3 too"
expect_log " www\.example\.test\. A udp NOERROR stale " "the query log says the answer was stale"
ctl status
note "$(printf '%s\n' "$CTL_OUT" | grep ' upstream ')"
expect_ctl_out "^  upstream 127\.0\.0\.10@53: down, (held down for [0-9.]+ s|asked again|probing) \([1-9][0-9]* failures since its last reply; last failure [0-9.]+ s ago: [^)]+\), rtt" \
	"status: the upstream is down, with its failures and the last one"
metrics=$(curl -s "http://127.0.0.1:9153/metrics" 2>&1)
assert_match "$metrics" '^megdns_upstream_last_failure_age_seconds\{upstream="127\.0\.0\.10@53"\} [0-9.]+$' \
	"metrics: the age of the upstream's last failure" "$(printf '%s\n' "$metrics" | grep upstream_)"

# Back, with the zone now saying 192.0.2.2: fresh data as soon as megdns asks it again
# (the server was marked down; its hold-down ends and the refresh replaces the stale data).
zone 192.0.2.2
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
t0=$(now_ms)
fresh=""
while [ $(($(now_ms) - t0)) -lt 8000 ]; do
	dq www.example.test. A
	if printf '%s\n' "$DQ" | grep -q "192\.0\.2\.2\$" && ! printf '%s\n' "$DQ" | grep -q "EDE: 3"; then
		fresh=$(($(now_ms) - t0))
		break
	fi
	sleep 0.2
done
assert_range "${fresh:-none}" 0 8000 "upstream back: the fresh answer replaces the stale one (ms)" "$DQ"
ctl status
note "$(printf '%s\n' "$CTL_OUT" | grep ' upstream ')"
expect_ctl_out "^  upstream 127\.0\.0\.10@53: up \(last failure [0-9.]+ s ago: [^)]+\), rtt" \
	"status: the upstream is up again, its last failure still shown"
metrics=$(curl -s "http://127.0.0.1:9153/metrics" 2>&1)
assert_match "$metrics" '^megdns_upstream_up\{upstream="127\.0\.0\.10@53"\} 1$' "metrics: megdns_upstream_up 1" \
	"$(printf '%s\n' "$metrics" | grep upstream_up)"

# A frozen upstream: nothing comes back, the client gets the stale answer after 1.8 s.
sleep 2.5
frozen=$(pgrep -f "$T/nsd-up/nsd.conf" | tr '\n' ' ') # the NSD and every child it has now
kill -STOP $frozen
sent() { curl -s "http://127.0.0.1:9153/metrics" | awk -F' ' '/^megdns_upstream_queries_total\{upstream="127\.0\.0\.10@53"\}/ { print $2 }'; }
before=$(sent)
par=()
for i in 1 2 3 4; do
	dig +tries=1 +time=5 -p "$MPORT" "@$MADDR" www.example.test. A >"par$i.out" 2>&1 &
	par+=($!)
done
t0=$(now_ms)
dq +time=5 www.example.test. A
ms=$(($(now_ms) - t0))
wait "${par[@]}"
assert_eq "$(grep -l 'EDE: 3' par?.out | wc -l)" 4 "four more clients asking at once get the stale answer too"
assert_range "$(($(sent) - before))" 1 4 "...and the five share one refresh (its 3 attempts and a probe at most; five would send 15)" \
	"$(curl -s http://127.0.0.1:9153/metrics | grep upstream_queries)"
expect_answer "192\.0\.2\.2\$" "upstream frozen, the answer expired: the stale answer"
expect_ede 3 "...EDE 3"
# The client's clock includes starting five digs at once; megdns's own is in the query log.
assert_range "$ms" 1700 4000 "...after stale-client-timeout, 1800 ms (ms, as the client sees it)" "$DQ"
expect_log " www\.example\.test\. A udp NOERROR stale 18[0-9][0-9]\.[0-9]+ms" \
	"...answered 1.8 s after it arrived (the query log's latency)"
kill -CONT $frozen
sleep 0.5
dq www.example.test. A
expect_answer "192\.0\.2\.2\$" "thawed: the refresh that waited is in the cache"
expect_no_out "EDE: 3" "...fresh, not stale"

metrics=$(curl -s "http://127.0.0.1:9153/metrics" 2>&1)
assert_match "$metrics" '^megdns_answers_total\{view="all",source="stale"\} [3-9]$' \
	"metrics count the stale answers" "$(printf '%s\n' "$metrics" | grep answers_total)"

# Past stale-max-age (12 s after the NXDOMAIN expired): SERVFAIL, not data that old.
stop_nsd up
left=$((t_stored + 2000 + 12500 - $(now_ms)))
[ "$left" -gt 0 ] && sleep "$(awk -v ms="$left" 'BEGIN { printf "%.1f", ms / 1000 }')"
dq +time=5 nx.example.test. A
expect_status SERVFAIL "past stale-max-age: SERVFAIL"

# serve-stale: false: an expired answer is not served.
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
conf false
megdns_hup
dq www.example.test. A
expect_answer "192\.0\.2\.2\$" "serve-stale: false: a fresh answer"
stop_nsd up
sleep 2.5
dq +time=5 www.example.test. A
expect_status SERVFAIL "serve-stale: false: upstream down, the answer expired: SERVFAIL"
expect_alive "at the end"
finish
