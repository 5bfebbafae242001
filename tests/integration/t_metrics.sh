#!/usr/bin/env bash
# Prometheus metrics on metrics.listen (127.0.0.1@9153), scraped with curl after a known set of
# queries from two views: query, type, rcode and answer-source counters per view, cache hits and
# misses, the latency histogram, cache size, per-upstream counters. Every line of a per-query
# metric carries view="..."; the text parses as the Prometheus exposition format; other paths
# get 404. The counters agree with `megdns-control stats`.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || die "missing curl"
{
	zone_soa example.test.
	echo "www IN A 192.0.2.1"
	echo "other IN A 192.0.2.2"
} >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

MPORT_METRICS=9153
cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
control: {socket: control.sock}
metrics: {listen: 127.0.0.1@$MPORT_METRICS}
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
  - name: guest
    match-clients: [127.0.0.3/32]
    records: ["nas.home.arpa. 300 IN A 192.168.2.10"]
EOF
# The readiness probe (from 127.0.0.1) is in no view: the lan and guest counts start at 0.
start_megdns megdns.yaml
expect_log "info: listening on 127\.0\.0\.1@$MPORT_METRICS \\(metrics" "the metrics listener is logged at start like the DNS listeners"

URL=http://127.0.0.1:$MPORT_METRICS/metrics
SCRAPE=
scrape() { # into $SCRAPE; headers in $T/headers
	SCRAPE=$(curl -s --max-time 5 -D "$T/headers" "$1")
	CURL_RC=$?
}
# metric 'NAME{LABELS}': the value of that exact sample line.
metric() { printf '%s\n' "$SCRAPE" | awk -v k="$1" '$1 == k { print $2; found = 1; exit } END { if (!found) print "missing" }'; }
expect_metric() { # 'NAME{LABELS}' VALUE DESC
	local got
	got=$(metric "$1")
	if [ "$got" = "$2" ]; then ok "$3 ($1 = $2)"; else
		fail "$3: expected $1 $2, got '$got'; the scrape's lines for ${1%%\{*}:"
		printf '%s\n' "$SCRAPE" | grep -F "${1%%\{*}" | indent
	fi
}

scrape "$URL"
assert_eq "$CURL_RC" 0 "curl reaches the metrics listener"
assert_match "$(head -n1 "$T/headers")" '^HTTP/1\.[01] 200' "GET /metrics: 200" "$(cat "$T/headers")"
assert_match "$(cat "$T/headers")" '^Content-Type: text/plain; version=0\.0\.4' "the Prometheus text content type"
expect_metric 'megdns_queries_total{view="lan",protocol="udp"}' 0 "no lan query yet"

# lan (127.0.0.2): 4 over UDP, 1 over TCP.
dq -b 127.0.0.2 nas.home.arpa. A            # local
dq -b 127.0.0.2 www.example.test. A         # upstream
expect_answer '192\.0\.2\.1$' "lan: www.example.test"
dq -b 127.0.0.2 www.example.test. A         # cache
dq -b 127.0.0.2 nope.example.test. AAAA     # upstream, NXDOMAIN
expect_status NXDOMAIN "lan: nope.example.test"
dq -b 127.0.0.2 +tcp nas.home.arpa. A       # local, TCP
expect_answer '192\.168\.1\.10$' "lan over TCP: its record"
# guest (127.0.0.3): 3 over UDP.
dq -b 127.0.0.3 nas.home.arpa. A            # local
expect_answer '192\.168\.2\.10$' "guest: its record"
dq -b 127.0.0.3 www.example.test. A         # cache (shared scope)
dq -b 127.0.0.3 other.example.test. MX      # upstream, NOERROR/NODATA
# no view (127.0.0.200): REFUSED
dq -b 127.0.0.200 nas.home.arpa. A
expect_status REFUSED "a client in no view"

scrape "$URL"
expect_metric 'megdns_queries_total{view="lan",protocol="udp"}' 4 "lan UDP queries"
expect_metric 'megdns_queries_total{view="lan",protocol="tcp"}' 1 "lan TCP queries"
expect_metric 'megdns_queries_total{view="guest",protocol="udp"}' 3 "guest UDP queries"
expect_metric 'megdns_queries_total{view="guest",protocol="tcp"}' 0 "guest TCP queries"
expect_metric 'megdns_queries_by_type_total{view="lan",type="A"}' 4 "lan A queries"
expect_metric 'megdns_queries_by_type_total{view="lan",type="AAAA"}' 1 "lan AAAA queries"
expect_metric 'megdns_queries_by_type_total{view="guest",type="MX"}' 1 "guest MX queries"
expect_metric 'megdns_responses_total{view="lan",rcode="NOERROR"}' 4 "lan NOERROR responses"
expect_metric 'megdns_responses_total{view="lan",rcode="NXDOMAIN"}' 1 "lan NXDOMAIN responses"
expect_metric 'megdns_responses_total{view="guest",rcode="NOERROR"}' 3 "guest NOERROR responses"
expect_metric 'megdns_answers_total{view="lan",source="local"}' 2 "lan answers from local data"
expect_metric 'megdns_answers_total{view="lan",source="cache"}' 1 "lan answers from the cache"
expect_metric 'megdns_answers_total{view="lan",source="upstream"}' 2 "lan answers from upstream"
expect_metric 'megdns_answers_total{view="lan",source="error"}' 0 "lan error answers"
expect_metric 'megdns_answers_total{view="guest",source="local"}' 1 "guest answers from local data"
expect_metric 'megdns_answers_total{view="guest",source="cache"}' 1 "guest answers from the cache"
expect_metric 'megdns_answers_total{view="guest",source="upstream"}' 1 "guest answers from upstream"
expect_metric 'megdns_authoritative_queries_total{outcome="reply"}' 0 "forwarding: no query to authoritative servers (replies)"
expect_metric 'megdns_authoritative_queries_total{outcome="timeout"}' 0 "forwarding: no query to authoritative servers (timeouts)"
expect_metric 'megdns_cache_hits_total{view="lan"}' 1 "lan cache hits"
expect_metric 'megdns_cache_misses_total{view="lan"}' 2 "lan cache misses"
expect_metric 'megdns_cache_hits_total{view="guest"}' 1 "guest cache hits"
expect_metric 'megdns_query_duration_seconds_count{view="lan"}' 5 "lan latency histogram: count"
expect_metric 'megdns_query_duration_seconds_bucket{view="lan",le="+Inf"}' 5 "lan latency histogram: +Inf bucket"
expect_metric 'megdns_query_duration_seconds_count{view="guest"}' 3 "guest latency histogram: count"
expect_metric 'megdns_cache_entries' 3 "cache entries: www A, nope AAAA, other MX"
expect_metric 'megdns_upstream_queries_total{upstream="127.0.0.10@53"}' 3 "upstream queries to NSD"
expect_metric 'megdns_upstream_timeouts_total{upstream="127.0.0.10@53"}' 0 "upstream timeouts"
refused=$(metric 'megdns_responses_total{view="-",rcode="REFUSED"}')
assert_range "$refused" 1 10 "the refused client is counted under view \"-\"" "$(printf '%s\n' "$SCRAPE" | grep 'view="-"')"
assert_range "$(metric 'megdns_cache_bytes')" 1 100000000 "megdns_cache_bytes is set"
rtt=$(metric 'megdns_upstream_rtt_seconds{upstream="127.0.0.10@53"}')
assert_match "$rtt" '^[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$' "megdns_upstream_rtt_seconds for NSD is a number"

# The histogram: buckets with le, cumulative (never decreasing), ending in +Inf; a sum.
buckets=$(printf '%s\n' "$SCRAPE" | grep '^megdns_query_duration_seconds_bucket{view="lan",')
assert_range "$(printf '%s\n' "$buckets" | wc -l)" 3 40 "the lan histogram has several buckets" "$buckets"
mono=$(printf '%s\n' "$buckets" | awk '{ if ($2 < prev) bad = 1; prev = $2 } END { print bad ? "decreasing" : "cumulative" }')
assert_eq "$mono" cumulative "the lan bucket counts never decrease" "$buckets"
assert_match "$(printf '%s\n' "$buckets" | tail -n1)" 'le="\+Inf"' "the last lan bucket is +Inf"
assert_match "$SCRAPE" '^megdns_query_duration_seconds_sum\{view="lan"\} [0-9.e-]+$' "the lan histogram has a sum"
assert_match "$SCRAPE" '^# TYPE megdns_query_duration_seconds histogram$' "the histogram is typed histogram"

# Every per-query metric line carries a view label.
PERQ='^(megdns_queries_total|megdns_queries_by_type_total|megdns_responses_total|megdns_answers_total|megdns_cache_hits_total|megdns_cache_misses_total|megdns_query_duration_seconds(_bucket|_sum|_count)?)[{ ]'
n_perq=$(printf '%s\n' "$SCRAPE" | grep -Ec "$PERQ")
assert_range "$n_perq" 30 100000 "the scrape has per-query metric lines"
noview=$(printf '%s\n' "$SCRAPE" | grep -E "$PERQ" | grep -Ev '\{(.*,)?view="[^"]*"')
assert_eq "$noview" "" "every per-query metric line carries view=\"...\""
for m in megdns_queries_total megdns_queries_by_type_total megdns_responses_total megdns_answers_total \
	megdns_cache_hits_total megdns_cache_misses_total megdns_query_duration_seconds; do
	views=$(printf '%s\n' "$SCRAPE" | grep -E "^${m}(_count)?\{" | sed -n 's/.*view="\([^"]*\)".*/\1/p' | sort -u | tr '\n' ' ')
	assert_match "$views" 'guest .*lan |lan .*guest ' "$m has lines for both views ($views)"
done

# The exposition format: each line a comment or NAME{LABELS} VALUE; HELP and TYPE per family.
bad=$(printf '%s\n' "$SCRAPE" | grep -Ev '^# (HELP|TYPE) [a-z_]+ .+$' |
	grep -Ev '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? (-?[0-9.]+([eE][-+]?[0-9]+)?|NaN|\+Inf)$')
assert_eq "$bad" "" "every line of the scrape is valid Prometheus text"
for fam in $(printf '%s\n' "$SCRAPE" | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p'); do
	grep -q "^# HELP $fam " <<<"$SCRAPE" || fail "metric family $fam has TYPE but no HELP"
done
dups=$(printf '%s\n' "$SCRAPE" | grep -v '^#' | awk '{ print $1 }' | sort | uniq -d)
assert_eq "$dups" "" "no sample appears twice"
# Each family's HELP says what it counts (timeouts and errors are not "attempts").
help_of() { sed -n "s/^# HELP $1 //p" <<<"$SCRAPE"; }
assert_match "$(help_of megdns_upstream_timeouts_total)" '[Tt]ime' "HELP of megdns_upstream_timeouts_total describes timeouts"
assert_match "$(help_of megdns_upstream_errors_total)" '[Ee]rror|[Ff]ail' "HELP of megdns_upstream_errors_total describes errors"

# The same numbers through the control socket.
ctl stats
assert_eq "$(ctl_value view.lan.queries.udp)/$(ctl_value view.guest.queries.udp)" "4/3" \
	"megdns-control stats agrees (lan/guest UDP queries)" "$CTL_OUT"
assert_eq "$(ctl_value cache.entries)" "$(metric megdns_cache_entries)" "stats cache.entries = megdns_cache_entries"

# Other paths and methods.
code=$(curl -s -o "$T/body404" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$MPORT_METRICS/")
assert_eq "$code" 404 "GET / is 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$MPORT_METRICS/metricsx")
assert_eq "$code" 404 "GET /metricsx is 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -d x "$URL")
assert_range "$code" 400 499 "POST /metrics is refused with a 4xx"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL?x=1")
assert_eq "$code" 200 "GET /metrics?x=1 (a query string, as some scrapers add) is 200"
# Counters only grow.
dq -b 127.0.0.2 nas.home.arpa. A
scrape "$URL"
expect_metric 'megdns_queries_total{view="lan",protocol="udp"}' 5 "one more lan query is counted"

# A client that connects and sends only part of a request does not block other scrapes, nor
# the daemon's stop: SIGTERM ends megdns within 2 s (status 0) while it is still connected.
# (The helper waits for $T/go, then finishes its request and prints the reply it gets.)
hold_metrics() {
	python3 - "$MPORT_METRICS" "$T/go" "$1" >"$T/holder.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.send(sys.argv[3].encode())
for _ in range(80):  # at most 8 s
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
s.settimeout(2)
try:
    s.send(b"GET /metrics HTTP/1.0\r\n\r\n")
    print("reply:", s.recv(100))
except OSError as e:
    print("error:", e)
PY
	HOLDER=$!
	track_pid "$HOLDER"
	sleep 0.3
}
rm -f "$T/go"
hold_metrics "GET /metr"
scrape "$URL"
assert_eq "$CURL_RC" 0 "a scrape succeeds while another client holds a half-sent request"
stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "SIGTERM with a metrics client half-way through its request: megdns exits 0"
assert_range "$MEGDNS_STOP_MS" 0 2000 "... and within 2 s"
touch "$T/go"
wait "$HOLDER" 2>/dev/null

# The same with a connected client that has sent nothing yet, and then sends its request after
# the SIGTERM: megdns stops, and never crashes.
start_megdns megdns.yaml
rm -f "$T/go"
hold_metrics ""
kill -TERM "$MEGDNS_PID"
sleep 0.5
touch "$T/go"
wait "$HOLDER" 2>/dev/null
stop_megdns TERM # waits for the exit (or KILLs after 5 s)
if [ "$MEGDNS_RC" = 0 ]; then ok "SIGTERM with an idle metrics client, request sent after it: megdns exits 0"; else
	fail "SIGTERM with an idle metrics client, request sent after it: megdns status $MEGDNS_RC (139 = SIGSEGV; 'running' = did not stop)"
	indent <"$T/holder.out"
fi
finish
