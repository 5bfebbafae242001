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
lines=$(($(wc -l <cache.dump) - 1))
assert_eq "$lines" "$dumped" "the file has one line per entry after its header" "$(cat cache.dump)"
assert_match "$(head -n1 cache.dump)" '^megdns-cache 1 [0-9]+$' "the dump starts with its header line"
# Keys hold the wire name: 5short7example4test = 0573686f7274076578616d706c650474657374.
assert_match "$(cat cache.dump)" ' 00?0573686f7274076578616d706c650474657374' "short.example.test is in the dump"

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
{ head -n1 cache.dump; echo "300 0 0 zz"; } >damaged.dump
ctl load-cache "$T/damaged.dump"
expect_ctl_rc 1 "load-cache of a damaged dump"
expect_ctl_err 'damaged\.dump:2: not a cache entry' "damaged entry: file:2 and the reason"
# All or nothing (issue 8 defect 8): a bad 3rd line after a good www.example.test entry.
www_key=0003777777076578616d706c650474657374000001000100 # scope "", www.example.test A IN, no flags
www_line=$(grep " $www_key " cache.dump | head -n1)
assert_match "$www_line" "^[0-9]+ 0 0 $www_key [0-9a-f]+\$" "the dump has a line for www.example.test"
{
	head -n1 cache.dump
	echo "$www_line"
	echo "$www_line" | sed 's/^[0-9]*/x/'
	tail -n +2 cache.dump
} >bad3.dump
ctl flush
ctl load-cache "$T/bad3.dump"
expect_ctl_rc 1 "load-cache of a dump whose 3rd line is bad"
expect_ctl_err 'bad3\.dump:3: not a cache entry: TTL-LEFT' "bad 3rd line: file:3 and what is wrong"
served=0
for i in $(seq 1 10); do
	dq www.example.test. A
	[ "$(dq_status)" = SERVFAIL ] || served=$((served + 1))
done
assert_eq "$served" 0 "nothing of a bad dump is served, not even the good line before the bad one (10 queries, NSD stopped)" "$DQ"
ctl status
expect_ctl_out '^worker 0: cache 0 entries' "the cache is still empty after the failed load"
# A key that claims 255 bytes of scope but holds 1 (then the name, type, class, flags).
echo "$www_line" | sed "s/ $www_key / ff61${www_key#00} /" >scope.body
{ head -n1 cache.dump; cat scope.body; } >scope.dump
ctl load-cache "$T/scope.dump"
expect_ctl_rc 1 "load-cache of an entry whose key claims 255 bytes of scope"
expect_ctl_err 'scope\.dump:2: not a cache entry: key claims 255 bytes of scope' "the bad key: file:2 and the reason"
# An entry whose body answers another question than its key.
other=$(grep -v " $www_key " cache.dump | sed -n '2p' | awk '{ print $5 }')
echo "$www_line" | awk -v b="$other" '{ $5 = b; print }' >mismatch.body
{ head -n1 cache.dump; cat mismatch.body; } >mismatch.dump
ctl load-cache "$T/mismatch.dump"
expect_ctl_rc 1 "load-cache of an entry whose body is for another name"
expect_ctl_err 'mismatch\.dump:2: not a cache entry: (body answers another question|body has rcode)' \
	"the mismatched entry: file:2 and the reason"
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
sed "1s/.*/megdns-cache 1 $(($(date +%s) - 100000))/" cache.dump >old.dump
ctl flush
ctl load-cache "$T/old.dump"
expect_ctl_rc 0 "load-cache of an old dump"
expect_ctl_out '^loaded 0 entries \([0-9]+ expired since the dump\)' "an old dump: every entry expired, none loaded"
dq www.example.test. A
expect_status SERVFAIL "nothing from the old dump is served"
finish
