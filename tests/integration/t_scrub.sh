#!/usr/bin/env bash
# Scrubbing forwarded answers (issue 8, defect 7): an upstream that adds records nobody asked
# about -- www.bank.test A 6.6.6.6 in the answer, bank.test NS ns.evil.test in the authority,
# glue for ns.evil.test -- must not get them to the client or into the cache, while what does
# concern the question (its A record, the NS of its zone and that NS's glue) is kept.
#
#   fakedns 127.0.0.30  the global upstream, --mode inject --ip 192.0.2.53
#   fakedns 127.0.0.31  upstream of the forward zone fz.test., --mode inject --ip 192.0.2.99
#
# For a name in fz.test. the bailiwick is fz.test.: alias.fz.test. CNAME www.bank.test. keeps
# its CNAME, but the upstream's www.bank.test. A 6.6.6.6 is outside what it was asked about;
# megdns resolves www.bank.test. through the upstream that serves it (the global one) instead.
# Two forward zones whose CNAMEs point at each other (a.loop1.test. <-> b.loop2.test.) get the
# chain as far as it goes, at once: a chase never waits for itself.
#
#   fakedns 127.0.0.32  upstream of corp.example. and corp.example.com., --mode answer 192.0.2.77
#   fakedns 127.0.0.33  upstream of example.com., --mode inject
#   fakedns 127.0.0.34  upstream of p.test., 127.0.0.35 of q.test.: bare CNAMEs in a ring
#   fakedns 127.0.0.36  upstream of s1.test., 127.0.0.37 of s2.test.: a chain, 2 s per reply
#
# A name inside another forward zone is outside the bailiwick of every other upstream, the
# global one (root bailiwick) and a forward zone above it (example.com. over corp.example.com.)
# included: their records for it are dropped and the name is asked of its own upstream.
# Ten CNAMEs in a ring across p.test. and q.test., all asked at once (each fetch started by a
# client, so none knows how deep it is in a chase): every client gets an answer. A chain
# whose links take 2 s each is answered as far as it got when its chase has waited as long
# as for an upstream (2.5 s), not after 8 s, and that part answer is not cached.
. "$(dirname "$0")/lib.sh"

[ -x "$MEGDNS_CONTROL" ] || die "no megdns-control at $MEGDNS_CONTROL"
start_fakedns up 127.0.0.30 53 --mode inject --ip 192.0.2.53 \
	--cname a.evil.test.=secret.corp.example.
start_fakedns fz 127.0.0.31 53 --mode inject --ip 192.0.2.99 \
	--cname alias2.fz.test.=mail.bank.test. \
	--cname a.loop1.test.=b.loop2.test. --cname b.loop2.test.=a.loop1.test. \
	--bare-cname www.fz.test.=web.fz.test.
start_fakedns corp 127.0.0.32 53 --mode answer --ip 192.0.2.77
start_fakedns ex 127.0.0.33 53 --mode inject --ip 192.0.2.88 \
	--cname web.example.com.=x.corp.example.com.
# The ring: nI.p.test. CNAME n(I+1).q.test., nI.q.test. CNAME n(I+1).p.test., n10 -> n1.
ring_p=() ring_q=()
for i in 1 3 5 7 9; do ring_p+=(--bare-cname "n$i.p.test.=n$((i + 1)).q.test."); done
for i in 2 4 6 8; do ring_q+=(--bare-cname "n$i.q.test.=n$((i + 1)).p.test."); done
ring_q+=(--bare-cname n10.q.test.=n1.p.test.)
start_fakedns p 127.0.0.34 53 --mode inject --wait 0.5 "${ring_p[@]}"
start_fakedns q 127.0.0.35 53 --mode inject --wait 0.5 "${ring_q[@]}"
start_fakedns s1 127.0.0.36 53 --mode inject --wait 2 --ip 192.0.2.36 \
	--bare-cname a.s1.test.=b.s2.test. --bare-cname c.s1.test.=d.s2.test. \
	--bare-cname e.s1.test.=f.s2.test.
start_fakedns s2 127.0.0.37 53 --mode inject --wait 2 --ip 192.0.2.37 \
	--bare-cname b.s2.test.=c.s1.test.

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.30@53]
forward-zones:
  - name: fz.test.
    upstreams: [127.0.0.31@53]
  - name: loop1.test.
    upstreams: [127.0.0.31@53]
  - name: loop2.test.
    upstreams: [127.0.0.31@53]
  - name: corp.example.
    upstreams: [127.0.0.32@53]
  - name: example.com.
    upstreams: [127.0.0.33@53]
  - name: corp.example.com.
    upstreams: [127.0.0.32@53]
  - name: p.test.
    upstreams: [127.0.0.34@53]
  - name: q.test.
    upstreams: [127.0.0.35@53]
  - name: s1.test.
    upstreams: [127.0.0.36@53]
  - name: s2.test.
    upstreams: [127.0.0.37@53]
dnssec: {validation: false}
control: {socket: control.sock}
views:
  - name: lan
    match-clients: [127.0.0.0/8]
EOF
start_megdns megdns.yaml
asked() { grep -c " $2\. 1\$" "$T/fakedns-$1.log"; } # how often fakedns NAME was asked NAME A

# The upstream really sends the poison (so the checks below can fail).
dqs 127.0.0.30 53 a.oob.test. A
expect_answer '^www\.bank\.test\..*6\.6\.6\.6$' "fakedns injects www.bank.test A 6.6.6.6 (test premise)"

for round in miss hit; do
	dq a.oob.test. A
	expect_status NOERROR "a.oob.test ($round)"
	expect_answer '^a\.oob\.test\.[[:space:]].*A[[:space:]]+192\.0\.2\.53$' "a.oob.test A 192.0.2.53 ($round)"
	expect_answer_count 1 "only the question's record in the answer section ($round)"
	expect_no_out '6\.6\.6\.6' "no record with 6.6.6.6 reaches the client ($round)"
	expect_no_out 'bank\.test' "nothing about bank.test reaches the client ($round)"
	expect_no_out 'evil\.test' "no glue for ns.evil.test reaches the client ($round)"
	expect_section AUTHORITY '^oob\.test\..*NS[[:space:]]+ns\.oob\.test\.$' \
		"the NS of the question's zone is kept ($round)"
	expect_section ADDITIONAL '^ns\.oob\.test\..*A[[:space:]]+192\.0\.2\.54$' \
		"the glue of that NS is kept ($round)"
done
assert_eq "$(asked up a.oob.test)" 2 "a.oob.test asked upstream once by megdns (plus the premise check)"

# The cache holds the scrubbed answer: nothing of bank.test or evil.test in the dump.
ctl dump-cache "$T/cache.dump"
expect_ctl_rc 0 "dump-cache"
# 6oob4test = 036f6f620474657374, 4bank4test = 0462616e6b0474657374, 4evil = 046576696c,
# 6.6.6.6 = 06060606 (as rdata: length 0004 then the address).
assert_match "$(cat cache.dump)" '^\$ENTRY a\.oob\.test\. A ' "the dump holds the a.oob.test entry"
assert_no_match "$(cat cache.dump)" 'bank\.test' "no bank.test name in the cache dump"
assert_no_match "$(cat cache.dump)" 'evil\.test' "no evil.test name in the cache dump"
assert_no_match "$(cat cache.dump)" '6\.6\.6\.6' "no 6.6.6.6 address in the cache dump"

# www.bank.test afterwards: asked upstream, not answered from the poison.
dq www.bank.test. A
expect_answer '^www\.bank\.test\..*A[[:space:]]+192\.0\.2\.53$' "www.bank.test gets the upstream's own answer"
expect_no_out '6\.6\.6\.6' "www.bank.test is not answered with the injected 6.6.6.6"
assert_eq "$(asked up www.bank.test)" 1 "www.bank.test was asked upstream"

# A forward zone's upstream is trusted for fz.test. only.
dq web.fz.test. A
expect_answer '^web\.fz\.test\..*A[[:space:]]+192\.0\.2\.99$' "web.fz.test from the fz.test upstream"
expect_answer_count 1 "web.fz.test: only its own record"
expect_section AUTHORITY '^fz\.test\..*NS[[:space:]]+ns\.fz\.test\.$' "fz.test NS kept (in the bailiwick)"
expect_no_out 'bank\.test|evil\.test|6\.6\.6\.6' "web.fz.test: no injected record"
# An upstream that answers www.fz.test. with a CNAME it does not follow (as an authoritative
# server does for a target elsewhere): megdns resolves the target and answers both.
dq www.fz.test. A
expect_answer '^www\.fz\.test\..*CNAME[[:space:]]+web\.fz\.test\.$' "www.fz.test: the upstream's CNAME"
expect_answer '^web\.fz\.test\..*A[[:space:]]+192\.0\.2\.99$' "www.fz.test: the CNAME's target resolved too"

# The CNAME's target is not cached yet: megdns fetches it from the global upstream.
dq alias2.fz.test. A
expect_answer '^alias2\.fz\.test\..*CNAME[[:space:]]+mail\.bank\.test\.$' "alias2.fz.test keeps its CNAME"
expect_answer '^mail\.bank\.test\..*A[[:space:]]+192\.0\.2\.53$' \
	"mail.bank.test is fetched from the upstream that serves it"
expect_no_out '6\.6\.6\.6' "alias2.fz.test: the fz.test upstream's address for mail.bank.test is not used"
assert_eq "$(asked up mail.bank.test)" 1 "the global upstream was asked for mail.bank.test"
# ... and once www.bank.test is cached, from there.
dq alias.fz.test. A
expect_answer '^alias\.fz\.test\..*CNAME[[:space:]]+www\.bank\.test\.$' "alias.fz.test keeps its CNAME"
expect_answer '^www\.bank\.test\..*A[[:space:]]+192\.0\.2\.53$' \
	"the CNAME target is resolved through the upstream that serves it"
expect_no_out '6\.6\.6\.6' "the fz.test upstream's address for www.bank.test is not used"
dq alias.fz.test. A
expect_answer '^www\.bank\.test\..*A[[:space:]]+192\.0\.2\.53$' "alias.fz.test from the cache: the same"
expect_no_out '6\.6\.6\.6' "alias.fz.test from the cache: no injected address"
assert_eq "$(asked up www.bank.test)" 1 "www.bank.test came from the cache for the chase (asked once)"

t0=$(now_ms)
dq a.loop1.test. A
expect_status NOERROR "a.loop1.test: CNAMEs that point at each other across forward zones"
expect_answer '^a\.loop1\.test\..*CNAME[[:space:]]+b\.loop2\.test\.$' "the first link"
expect_answer '^b\.loop2\.test\..*CNAME[[:space:]]+a\.loop1\.test\.$' "the second link (from the other zone's upstream)"
expect_no_out '6\.6\.6\.6' "the loop: no injected address"
assert_range "$(($(now_ms) - t0))" 0 1500 "the loop is answered at once (ms)"
expect_alive "after the CNAME loop"

# The global upstream answers a.evil.test. with "CNAME secret.corp.example." and its own
# "secret.corp.example. A 6.6.6.6"; corp.example. is forwarded elsewhere.
dqs 127.0.0.30 53 a.evil.test. A
expect_answer '^secret\.corp\.example\..*6\.6\.6\.6$' "the global upstream claims secret.corp.example (test premise)"
for round in miss hit; do
	dq a.evil.test. A
	expect_answer '^a\.evil\.test\..*CNAME[[:space:]]+secret\.corp\.example\.$' "a.evil.test: the CNAME ($round)"
	expect_answer '^secret\.corp\.example\..*A[[:space:]]+192\.0\.2\.77$' \
		"secret.corp.example comes from the corp.example upstream ($round)"
	expect_no_out '6\.6\.6\.6' "a.evil.test: not the global upstream's address ($round)"
done
assert_eq "$(asked corp secret.corp.example)" 1 "the corp.example upstream was asked for secret.corp.example"
# A forward zone's upstream is not trusted for a forward zone below it either.
dq web.example.com. A
expect_answer '^web\.example\.com\..*CNAME[[:space:]]+x\.corp\.example\.com\.$' "web.example.com: the CNAME"
expect_answer '^x\.corp\.example\.com\..*A[[:space:]]+192\.0\.2\.77$' \
	"x.corp.example.com comes from the corp.example.com upstream, not example.com's"
expect_no_out '6\.6\.6\.6' "web.example.com: not example.com's address for x.corp.example.com"
assert_eq "$(asked corp x.corp.example.com)" 1 "the corp.example.com upstream was asked for x.corp.example.com"
ctl dump-cache "$T/cache2.dump"
expect_ctl_rc 0 "dump-cache after the forward-zone chases"
assert_match "$(cat cache2.dump)" '^\$ENTRY a\.evil\.test\. ' "the dump holds the a.evil.test entry"
assert_no_match "$(cat cache2.dump)" '6\.6\.6\.6' "no 6.6.6.6 address in the cache dump"

# The ring, all ten names at once (some over TCP): every client is answered, quickly.
t0=$(now_ms)
pids=()
for i in 1 2 3 4 5 6 7 8 9 10; do
	z=q tcp=+notcp
	[ $((i % 2)) -eq 1 ] && z=p
	[ $((i % 3)) -eq 0 ] && tcp=+tcp
	dig +tries=1 +time=6 $tcp -p 53 @127.0.0.1 "n$i.$z.test." A >"ring.$i" 2>&1 &
	pids+=($!)
	track_pid $!
done
wait "${pids[@]}"
ring_ms=$(($(now_ms) - t0))
answered=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q 'status: ' "ring.$i" && answered=$((answered + 1))
done
assert_eq "$answered" 10 "all ten queries of the CNAME ring are answered" "$(cat ring.*)"
assert_range "$ring_ms" 0 4000 "the ring is answered within 4 s (ms)"
DQ=$(cat ring.1)
expect_answer '^n1\.p\.test\..*CNAME[[:space:]]+n2\.q\.test\.$' "n1.p.test: the chain starts at the question"
dq +tcp n5.p.test. A
expect_reply "n5.p.test asked again over TCP after the ring"
dq web.fz.test. A
expect_status NOERROR "megdns still answers other names after the ring"
expect_alive "after the CNAME ring"

# The slow chain a.s1 -> b.s2 -> c.s1 -> d.s2 (A 192.0.2.37): 8 s to follow it all.
t0=$(now_ms)
DQ=$(dig +tries=1 +time=7 -p 53 @127.0.0.1 a.s1.test. A 2>&1)
DQ_CMD="dig +tries=1 +time=7 -p 53 @127.0.0.1 a.s1.test. A"
slow_ms=$(($(now_ms) - t0))
expect_status NOERROR "a slow chain: answered"
assert_range "$slow_ms" 0 6000 "a slow chain is answered before the client gives up (ms)"
expect_answer '^a\.s1\.test\..*CNAME[[:space:]]+b\.s2\.test\.$' "a slow chain: as far as it got"
sleep 4 # the chases still running finish and cache their parts
t0=$(now_ms)
DQ=$(dig +tries=1 +time=7 -p 53 @127.0.0.1 a.s1.test. A 2>&1)
slow_ms=$(($(now_ms) - t0))
expect_answer '^d\.s2\.test\..*A[[:space:]]+192\.0\.2\.37$' \
	"the slow chain asked again: whole (the part answer was not cached)"
assert_range "$slow_ms" 0 6000 "the slow chain asked again: in time (ms)"
expect_alive "after the slow chain"
# Stopping while a fetch waits for the rest of its chain (e.s1 -> f.s2, asked at 2 s): the
# deadline's timer is closed with the fetch (finish: exit 0, no sanitizer report, no leak).
dig +tries=1 +time=1 -p 53 @127.0.0.1 e.s1.test. A >/dev/null 2>&1 &
track_pid $!
sleep 2.7
finish
