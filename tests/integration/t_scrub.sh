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
. "$(dirname "$0")/lib.sh"

[ -x "$MEGDNS_CONTROL" ] || die "no megdns-control at $MEGDNS_CONTROL"
start_fakedns up 127.0.0.30 53 --mode inject --ip 192.0.2.53
start_fakedns fz 127.0.0.31 53 --mode inject --ip 192.0.2.99 \
	--cname alias2.fz.test.=mail.bank.test. \
	--cname a.loop1.test.=b.loop2.test. --cname b.loop2.test.=a.loop1.test. \
	--bare-cname www.fz.test.=web.fz.test.

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
assert_match "$(cat cache.dump)" '036f6f620474657374' "the dump holds the a.oob.test entry"
assert_no_match "$(cat cache.dump)" '0462616e6b' "no bank.test name in the cache dump"
assert_no_match "$(cat cache.dump)" '046576696c' "no evil.test name in the cache dump"
assert_no_match "$(cat cache.dump)" '000406060606' "no 6.6.6.6 address in the cache dump"

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
finish
