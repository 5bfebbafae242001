#!/usr/bin/env bash
# cache.file: the cache survives a restart. Written at SIGTERM (atomically: FILE.tmp, then
# renamed; mode 0600) and every cache.save-interval, loaded at start with its TTLs counted down
# by the time megdns was stopped, so with the upstream down a restarted megdns still answers.
# A truncated or foreign file is logged and ignored: megdns starts with an empty cache.
. "$(dirname "$0")/lib.sh"

{
	zone_soa example.test.
	echo "www 300 IN A 192.0.2.1"
} >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # an unsigned test zone
cache:
  file: cache.db              # relative to this file's folder
  save-interval: 10
views:
  - name: all
EOF
start_megdns megdns.yaml
expect_log "cache\.file: .*/cache\.db does not exist yet: starting with an empty cache" \
	"the first start: no file yet, an empty cache"
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "an answer from the upstream"
stop_megdns
expect_log "cache\.file: saved [1-9][0-9]* entries to .*/cache\.db \(at stop\)" "SIGTERM saves the cache"
assert_eq "$(stat -c %a cache.db 2>&1)" 600 "the file is mode 0600"
assert_eq "$(ls cache.db.tmp 2>/dev/null | wc -l)" 0 "no temporary file is left behind"

# The upstream is gone; the restarted megdns answers from the saved cache.
stop_nsd up
sleep 2
start_megdns megdns.yaml
expect_log "cache\.file: loaded [1-9][0-9]* entries from .*/cache\.db" "the next start loads it"
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "after a restart with the upstream down: answered from the saved cache"
assert_range "$(dq_ttl ANSWER www.example.test. A)" 250 298 \
	"...its TTL counted down across the restart" "$DQ"

# Every save-interval (10 s) the file is written again.
expect_log_within() { # SECONDS REGEX DESC
	if wait_for "$1" log_has "$2"; then ok "$3"; else fail "$3: no log line matches /$2/"; fi
}
expect_log_within 12 "cache\.file: saved [1-9][0-9]* entries .*every cache\.save-interval" \
	"the cache is saved every save-interval"
stop_megdns

# A file cut short in its last record (a disk that filled up, say): logged, ignored, megdns
# serves on.
assert_match "$(cat cache.db)" "192\.0\.2\.1" "the saved file holds the answer" "$(cat cache.db)"
head -c "$(($(stat -c %s cache.db) - 6))" cache.db >cache.half && mv cache.half cache.db
start_megdns megdns.yaml
expect_log "cache\.file: .*cache\.db.*starting with an empty cache" "a truncated file is logged and ignored"
dq www.example.test. A
expect_status SERVFAIL "...megdns serves with an empty cache (the upstream is down: SERVFAIL)"
stop_megdns

printf 'this is not a megdns cache\n' >cache.db
start_megdns megdns.yaml
expect_log "cache\.file: .*cache\.db.*starting with an empty cache" "a foreign file is logged and ignored"
expect_alive "after the bad files"
finish
