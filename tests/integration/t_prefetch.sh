#!/usr/bin/env bash
# Prefetch (cache.prefetch, on by default): a cache hit in the last 10 % of an answer's TTL
# starts one refresh in the background, visible in the upstream's query log before the answer
# expires, so the next client after expiry is still answered from the cache; a hit earlier
# starts none; prefetch: false turns it off. The metric counts prefetches.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || die "missing curl"
start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.1 --ttl 6
asked() { grep -c " $1\. 1\$" "$T/fakedns-up.log"; } # A queries the upstream got for NAME

conf() { # PREFETCH
	cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
  query-log: true
upstreams: [127.0.0.30@53]
dnssec: {validation: false}   # an unsigned fake upstream
cache: {prefetch: $1}
control: {socket: $CTL_SOCK}
metrics: {listen: 127.0.0.1@9153}
views:
  - name: all
EOF
}
conf true
start_megdns megdns.yaml

t0=$(now_ms)
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "a first answer (TTL 6)"
at() { # MS: sleep until MS after t0
	local left=$(($1 - ($(now_ms) - t0)))
	[ "$left" -gt 0 ] && sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"
	return 0
}
at 1000
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "a hit at 1 s"
sleep 0.3
assert_eq "$(asked www.example.test)" 1 "...early in its TTL: no refresh" "$(cat fakedns-up.log)"
at 5600
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "a hit at 5.6 s, in the last 10 % of the TTL"
sleep 0.2
assert_eq "$(asked www.example.test)" 2 "...refreshes it from the upstream before it expires" \
	"$(cat fakedns-up.log)"
dq www.example.test. A
sleep 0.2
assert_eq "$(asked www.example.test)" 2 "...once: the next hit in the window finds it fresh" \
	"$(cat fakedns-up.log)"
at 6600
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "after the first TTL ran out: still answered"
assert_range "$(dq_ttl ANSWER www.example.test. A)" 4 6 "...from the refreshed entry (TTL counted from the refresh)" "$DQ"
assert_eq "$(asked www.example.test)" 2 "...with no query to the upstream" "$(cat fakedns-up.log)"
expect_log " www\.example\.test\. A udp NOERROR cache " "the query log shows the hit from the cache"
metrics=$(curl -s "http://127.0.0.1:9153/metrics" 2>&1)
assert_match "$metrics" '^megdns_prefetches_total 1$' "metrics count one prefetch" \
	"$(printf '%s\n' "$metrics" | grep prefetch)"

# prefetch: false: the same hit in the window starts nothing.
conf false
megdns_hup
t0=$(now_ms)
dq mail.example.test. A
expect_answer "192\.0\.2\.1\$" "prefetch: false: a first answer"
at 5600
dq mail.example.test. A
sleep 0.3
assert_eq "$(asked mail.example.test)" 1 "prefetch: false: a hit in the last 10 % refreshes nothing" \
	"$(cat fakedns-up.log)"
expect_alive "at the end"
finish
