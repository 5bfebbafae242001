#!/usr/bin/env bash
# megdns-control dump-cache / load-cache: a warm cache across a restart. Names are cached from
# NSD, the cache is dumped, megdns and NSD are stopped, megdns starts again (cold: SERVFAIL),
# the dump is loaded, and the names are answered from it -- with TTLs smaller by the time that
# passed, in every worker (2 threads) -- while an entry that expired in between is not loaded.
# Bad files and paths are errors (exit 1) that leave the daemon running, and a file with one
# bad line loads nothing at all.
. "$(dirname "$0")/lib.sh"

[ -x "$MEGDNS_CONTROL" ] || die "no megdns-control at $MEGDNS_CONTROL"
{
	zone_soa example.test.
	echo "www IN A 192.0.2.1"
	echo "short 2 IN A 192.0.2.2"
	echo "alias IN CNAME www"
} >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
  threads: 2
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
control: {socket: control.sock}
views:
  - name: lan
    match-clients: [127.0.0.0/8]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
EOF
start_megdns megdns.yaml

# Several queries each (fresh source ports): the two workers each cache what they fetch.
for i in 1 2 3 4; do
	dq www.example.test. A
	dq nope.example.test. A
	dq alias.example.test. A
done
dq www.example.test. A
expect_answer '192\.0\.2\.1$' "www.example.test from NSD"
ttl_before=$(dq_ttl ANSWER www.example.test. A)
dq nope.example.test. A
expect_status NXDOMAIN "nope.example.test: NXDOMAIN from NSD"
dq alias.example.test. A
expect_answer 'CNAME[[:space:]]+www\.example\.test\.$' "alias.example.test: a CNAME from NSD"
dq short.example.test. A
expect_answer '192\.0\.2\.2$' "short.example.test (TTL 2) from NSD"
t_dump=$(date +%s)

ctl dump-cache "$T/cache.dump"
expect_ctl_rc 0 "dump-cache"
expect_ctl_out "^dumped [0-9]+ entries to $T/cache\\.dump\$" "dump-cache says how many entries it wrote where"
dumped=$(printf '%s\n' "$CTL_OUT" | sed -n 's/^dumped \([0-9]*\) entries.*/\1/p')
assert_range "$dumped" 4 8 "dump-cache wrote www, nope, alias and short (once or once per worker)" "$CTL_OUT"
if [ -s cache.dump ]; then ok "the dump file exists"; else fail "no dump file $T/cache.dump"; fi
entries=$(grep -c '^\$ENTRY ' cache.dump)
assert_eq "$entries" "$dumped" "the file has one \$ENTRY line per entry" "$(cat cache.dump)"
assert_match "$(head -n1 cache.dump)" '^megdns-cache 2 [0-9]+$' "the dump starts with its header line"
# Zone-file presentation format, as unbound-control dump_cache writes it.
assert_match "$(cat cache.dump)" '^\$ENTRY short\.example\.test\. A ttl=[0-9]+ scope=shared flags=- rcode=NOERROR dnssec=unchecked hdr=0x8180$' \
	"short.example.test's entry line: question, seconds left, scope, flags, rcode, DNSSEC status" "$(cat cache.dump)"
assert_match "$(cat cache.dump)" $'^www\\.example\\.test\\.\t[0-9]+\tIN\tA\t192\\.0\\.2\\.1$' \
	"the records are zone-file lines with the TTL left" "$(cat cache.dump)"
assert_match "$(cat cache.dump)" '^\$ENTRY nope\.example\.test\. A .*rcode=NXDOMAIN' "the negative answer is dumped with its rcode"
assert_match "$(cat cache.dump)" $'^\\$AUTHORITY\nexample\\.test\\.\t[0-9]+\tIN\tSOA' "the negative answer's SOA in its authority section"
assert_no_match "$(grep -v '^;' cache.dump)" '^[0-9a-f]{40,}|[[:space:]][0-9a-f]{40,}' "no hex wire format in the dump"

ctl dump-cache /nonexistent-dir/cache.dump
expect_ctl_rc 1 "dump-cache to a folder that does not exist"
expect_ctl_err '/nonexistent-dir/cache\.dump: No such file or directory' "dump-cache error: path and reason"

stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "megdns exits 0 before the restart"
stop_nsd up
sleep 2.5 # short.example.test (TTL 2) expires; the others lose at least 2 s

start_megdns megdns.yaml
dq www.example.test. A
expect_status SERVFAIL "after the restart, before load-cache: cold cache and NSD stopped"

ctl load-cache "$T/cache.dump"
expect_ctl_rc 0 "load-cache"
expect_ctl_out "^loaded [0-9]+ entries \\([1-9][0-9]* expired since the dump\\) from $T/cache\\.dump into each of 2 worker\\(s\\)\$" \
	"load-cache reports the loaded entries, the expired ones and the 2 workers"
loaded=$(printf '%s\n' "$CTL_OUT" | sed -n 's/^loaded \([0-9]*\) entries.*/\1/p')
assert_range "$loaded" 3 $((dumped - 1)) "fewer entries loaded than dumped (short.example.test expired)" "$CTL_OUT"
elapsed=$(($(date +%s) - t_dump))

all=0
for i in $(seq 1 10); do
	dq www.example.test. A
	dq_section ANSWER | grep -q '192\.0\.2\.1$' && all=$((all + 1))
done
assert_eq "$all" 10 "www.example.test answered from the loaded cache in every worker (10 queries, NSD stopped)" "$DQ"
ttl_after=$(dq_ttl ANSWER www.example.test. A)
assert_range "$ttl_after" $((ttl_before - elapsed - 2)) $((ttl_before - 2)) \
	"the loaded TTL is smaller by the time since the dump (before $ttl_before, $elapsed s later)" "$DQ"
expect_noflag aa "the loaded answer is still a cached (non-authoritative) one"
dq nope.example.test. A
expect_status NXDOMAIN "the negative answer is loaded too"
dq alias.example.test. A
expect_answer 'CNAME[[:space:]]+www\.example\.test\.$' "the CNAME answer is loaded"
expect_answer '192\.0\.2\.1$' "the CNAME answer has its target"
dq short.example.test. A
expect_status SERVFAIL "short.example.test expired between dump and load: not loaded (NSD stopped, SERVFAIL)"
ctl explain 127.0.0.2 www.example.test
expect_ctl_out '^[[:space:]]+worker 0: cached for plain queries, [0-9]+ s left' "explain: worker 0 holds the loaded entry"
expect_ctl_out '^[[:space:]]+worker 1: cached for plain queries, [0-9]+ s left' "explain: worker 1 holds the loaded entry"

# Bad input: a file that is not a dump, a damaged entry, a missing file. megdns keeps running.
echo "hello" >garbage.dump
ctl load-cache "$T/garbage.dump"
expect_ctl_rc 1 "load-cache of a file that is not a dump"
expect_ctl_err 'garbage\.dump:1: not a megdns cache dump' "not a dump: file:1 and the reason"
{ head -n1 cache.dump; echo "\$ENTRY www.example.test. A ttl=zz"; } >damaged.dump
ctl load-cache "$T/damaged.dump"
expect_ctl_rc 1 "load-cache of a damaged dump"
expect_ctl_err 'damaged\.dump:2: not a cache entry: ttl is not a number' "damaged entry: file:2 and the reason"
# All or nothing (issue 8 defect 8): a bad 3rd line after a good www.example.test entry line.
www_line=$(grep '^\$ENTRY www\.example\.test\. A ' cache.dump | head -n1)
assert_match "$www_line" '^\$ENTRY www\.example\.test\. A ttl=' "the dump has an entry for www.example.test"
{
	head -n1 cache.dump
	echo "$www_line"
	printf 'www.example.test.\t300\tIN\tA\t192.0.2.300\n'
	tail -n +2 cache.dump
} >bad3.dump
ctl flush
ctl load-cache "$T/bad3.dump"
expect_ctl_rc 1 "load-cache of a dump whose 3rd line is bad"
expect_ctl_err 'bad3\.dump:3: not a cache entry: not a record' "bad 3rd line: file:3 and what is wrong"
served=0
for i in $(seq 1 10); do
	dq www.example.test. A
	[ "$(dq_status)" = SERVFAIL ] || served=$((served + 1))
done
assert_eq "$served" 0 "nothing of a bad dump is served, not even the good line before the bad one (10 queries, NSD stopped)" "$DQ"
ctl status
expect_ctl_out '^worker 0: cache 0 entries' "the cache is still empty after the failed load"
# A scope longer than any view name the cache keeps (64 bytes).
long=$(printf 'v%.0s' $(seq 1 65))
{ head -n1 cache.dump; echo "$www_line" | sed "s/scope=shared/scope=view:$long/"; echo "www.example.test. 300 IN A 192.0.2.1"; } >scope.dump
ctl load-cache "$T/scope.dump"
expect_ctl_rc 1 "load-cache of an entry with a 65-byte scope"
expect_ctl_err 'scope\.dump:2: not a cache entry: scope is not' "the bad scope: file:2 and the reason"
# An entry whose records answer another question than its $ENTRY (planted data).
{ head -n1 cache.dump; echo "$www_line"; echo "evil.example.org. 300 IN A 192.0.2.66"; } >mismatch.dump
ctl load-cache "$T/mismatch.dump"
expect_ctl_rc 1 "load-cache of an entry whose records are for another name"
expect_ctl_err 'mismatch\.dump:2: not a cache entry: body has 1 record\(s\) that do not concern its question' \
	"the mismatched entry: file:2 (its \$ENTRY) and the reason"
# The hex format of before is not read any more: it says what it wants.
printf 'megdns-cache 1 %s\n' "$(date +%s)" >v1.dump
ctl load-cache "$T/v1.dump"
expect_ctl_rc 1 "load-cache of a dump in the old hex format"
expect_ctl_err "v1\.dump:1: not a megdns cache dump \(want 'megdns-cache 2 TIME'\)" "old format: what the header must be"
served=0
for i in $(seq 1 10); do
	dq www.example.test. A
	[ "$(dq_status)" = SERVFAIL ] || served=$((served + 1))
done
assert_eq "$served" 0 "no entry of the rejected files is served (10 queries)" "$DQ"
ctl load-cache "$T/cache.dump"
expect_ctl_rc 0 "the good dump still loads"
ctl load-cache "$T/missing.dump"
expect_ctl_rc 1 "load-cache of a missing file"
expect_ctl_err 'missing\.dump: No such file or directory' "missing file: path and reason"
expect_alive "after the bad load-cache commands"
dq www.example.test. A
expect_answer '192\.0\.2\.1$' "the loaded entries are still served"

# A dump written long ago: every entry has expired.
sed "1s/.*/megdns-cache 2 $(($(date +%s) - 100000))/" cache.dump >old.dump
ctl flush
ctl load-cache "$T/old.dump"
expect_ctl_rc 0 "load-cache of an old dump"
expect_ctl_out '^loaded 0 entries \([0-9]+ expired since the dump\)' "an old dump: every entry expired, none loaded"
dq www.example.test. A
expect_status SERVFAIL "nothing from the old dump is served"
finish
