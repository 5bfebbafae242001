#!/usr/bin/env bash
# Resolving from the root (issue 11): a fake DNS internet on loopback inside run.sh's private
# namespace -- NSD for the root, test., net. and the leaf zones, each on its own address so
# that megdns follows real referrals -- and scripted servers (fakedns.py) for what NSD will not
# do: a lame server, a silent one, one that truncates, a hostile one adding records outside its
# zone, and the target zone of an NXNS attack. The root and test. servers sit behind logging
# relays (fakedns --mode proxy) so the queries megdns sends can be counted and read.
. "$(dirname "$0")/lib.sh"

# --- the fake internet ----------------------------------------------------------------------
cat >root.zone <<'EOF'
$TTL 86400
.	IN SOA a.root.test. admin.root.test. 1 3600 600 86400 300
.	IN NS a.root.test.
a.root.test.	IN A 127.0.1.1
test.	IN NS ns.nic.test.
ns.nic.test.	IN A 127.0.1.2
net.	IN NS ns.nic.net.
ns.nic.net.	IN A 127.0.1.3
EOF
{
	cat <<'EOF'
$ORIGIN test.
$TTL 3600
@	IN SOA ns.nic.test. admin.test. 1 3600 600 86400 300
@	IN NS ns.nic.test.
ns.nic	IN A 127.0.1.2
a.root	IN A 127.0.1.1
example	IN NS ns1.example
ns1.example	IN A 127.0.1.4
bank	IN NS ns1.bank
ns1.bank	IN A 127.0.1.4
glueless	IN NS ns.provider.net.
lame	IN NS ns1.lame
lame	IN NS ns2.lame
ns1.lame	IN A 127.0.1.5
ns2.lame	IN A 127.0.1.4
hostile	IN NS ns.hostile
ns.hostile	IN A 127.0.1.6
tc	IN NS ns.tc
ns.tc	IN A 127.0.1.7
dead	IN NS ns.dead
ns.dead	IN A 127.0.1.8
self	IN NS ns.self
noedns	IN NS ns.noedns
ns.noedns	IN A 127.0.1.10
src	IN NS ns.src
ns.src	IN A 127.0.1.11
garbage	IN NS ns.garbage
ns.garbage	IN A 127.0.1.12
EOF
	for i in 1 2 3 4 5; do echo "tarpit	IN NS ns$i.tarpit-ns.net."; done
	for i in $(seq 0 99); do echo "nxns	IN NS ns$i.nxns.net."; done
	# Each NS name 22 labels below deep.net, on its own branch: resolving one costs ~22 queries.
	for i in $(seq 0 9); do echo "deepns	IN NS ns.$(seq -s. -f 'l%g' 1 20).d$i.deep.net."; done
} >test.zone
cat >net.zone <<'EOF'
$ORIGIN net.
$TTL 3600
@	IN SOA ns.nic.net. admin.net. 1 3600 600 86400 300
@	IN NS ns.nic.net.
ns.nic	IN A 127.0.1.3
ns.provider	IN A 127.0.1.4
nxns	IN NS ns.nxns
ns.nxns	IN A 127.0.1.9
tarpit-ns	IN NS ns.tarpit-ns
deep	IN NS ns.deep
ns.deep	IN A 127.0.1.13
ns.tarpit-ns	IN A 127.0.1.8
EOF
leaf() { # ZONE RECORDS...
	local z=$1
	shift
	printf '$ORIGIN %s\n$TTL 300\n@ IN SOA ns1.%s admin.%s 1 3600 600 86400 60\n@ IN NS ns1.%s\n' "$z" "$z" "$z" "$z"
	printf '%s\n' "$@"
}
leaf example.test. "ns1 IN A 127.0.1.4" "www IN A 192.0.2.1" "mail IN A 192.0.2.11" \
	"www2 IN A 192.0.2.12" "alias IN CNAME www.glueless.test." "loop IN CNAME loop.glueless.test." \
	>example.zone
leaf glueless.test. "www IN A 192.0.2.2" "loop IN CNAME loop.example.test." >glueless.zone
leaf bank.test. "ns1 IN A 127.0.1.4" "www IN A 192.0.2.77" >bank.zone
leaf lame.test. "ns1 IN A 127.0.1.5" "ns2 IN A 127.0.1.4" "www IN A 192.0.2.3" >lame.zone

start_nsd root 127.0.2.1 53 .:root.zone
start_nsd test 127.0.2.2 53 test.:test.zone
start_nsd net 127.0.1.3 53 net.:net.zone
start_nsd leaf 127.0.1.4 53 example.test.:example.zone glueless.test.:glueless.zone \
	bank.test.:bank.zone lame.test.:lame.zone
start_fakedns root 127.0.1.1 53 --mode proxy --upstream 127.0.2.1@53
start_fakedns test 127.0.1.2 53 --mode proxy --upstream 127.0.2.2@53
start_fakedns lame 127.0.1.5 53 --mode answer --lame --ip 203.0.113.5
start_fakedns hostile 127.0.1.6 53 --mode inject --aa --ip 192.0.2.66
start_fakedns tc 127.0.1.7 53 --mode tc --ip 192.0.2.7
start_fakedns dead 127.0.1.8 53 --mode drop
start_fakedns nxns 127.0.1.9 53 --mode nxdomain
start_fakedns noedns 127.0.1.10 53 --mode noedns --ip 192.0.2.10
start_fakedns src 127.0.1.11 53 --mode answer --ip 192.0.2.11 --log-peer
start_fakedns garbage 127.0.1.12 53 --mode emptycname
start_fakedns deep 127.0.1.13 53 --mode deeper --ip 127.0.1.13

printf '.\t3600000\tIN\tNS\ta.root.test.\na.root.test.\t3600000\tIN\tA\t127.0.1.1\n' >root.hints
conf() { # QMIN [0X20 [OUTGOING [UPSTREAM-TIMEOUT]]]
	cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
  outgoing-addresses: [${3:-}]
  upstream-timeout: ${4:-1500}
recursion:
  root-hints: root.hints
  query-localhost: true      # the fake internet is on loopback
  qname-minimisation: $1
  use-0x20: ${2:-false}
dnssec: {validation: false}  # unsigned zones; t_recursion_dnssec validates
control: {socket: $CTL_SOCK}
metrics: {listen: 127.0.0.1@9153}
views:
  - name: lan
    match-clients: [127.0.0.0/8]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
EOF
}
logged() { grep -c "^q " "$T/fakedns-$1.log"; } # queries a server was sent
conf true
start_megdns megdns.yaml
expect_log "resolving from the root \(.*root.hints, 1 servers\)" "no upstreams: resolving from the root, from the configured hints"

# --- an idle megdns sends nothing; local data never leaves -----------------------------------
sleep 1
dq nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "local data answers"
assert_eq "$(logged root)" 0 "idle and local names only: nothing sent to the root (no priming yet)" "$(cat fakedns-root.log)"

# --- referrals, priming, qname minimisation, the delegation cache -----------------------------
dq www.example.test. A
expect_status NOERROR "www.example.test: resolved from the root"
expect_answer "192\.0\.2\.1\$" "www.example.test: root -> test. -> example.test."
expect_flag ra "recursive answers set RA"
expect_noflag aa "...and not AA"
assert_match "$(cat fakedns-root.log)" "^q udp [0-9]+ [0-9]+ \. 2\$" "priming: '. NS' to the hints first (RFC 8109)" "$(cat fakedns-root.log)"
assert_match "$(cat fakedns-root.log)" "^q udp [0-9]+ [0-9]+ test\. 1\$" "qname minimisation: the root is asked only for test." "$(cat fakedns-root.log)"
assert_no_match "$(cat fakedns-root.log fakedns-test.log)" "www\.example" "qname minimisation: neither root nor test. sees www.example.test" "$(cat fakedns-root.log fakedns-test.log)"
assert_match "$(cat fakedns-test.log)" "^q udp [0-9]+ [0-9]+ example\.test\. 1\$" "qname minimisation: test. is asked for example.test." "$(cat fakedns-test.log)"
root_n=$(logged root) test_n=$(logged test)
dq mail.example.test. A
expect_answer "192\.0\.2\.11\$" "mail.example.test resolves"
assert_eq "$(logged root)/$(logged test)" "$root_n/$test_n" "the second name of a zone: no query to the root or test. (delegation cached)" "$(cat fakedns-root.log fakedns-test.log)"
dq nope.example.test. A
expect_status NXDOMAIN "an authoritative NXDOMAIN"
expect_section AUTHORITY "SOA" "NXDOMAIN with the zone's SOA"

# --- glueless NS names, CNAME across zones, loops ---------------------------------------------
dq www.glueless.test. A
expect_answer "192\.0\.2\.2\$" "a glueless delegation: its NS name (ns.provider.net) is resolved first"
dq alias.example.test. A
expect_answer "CNAME[[:space:]]+www\.glueless\.test\.\$" "CNAME across zones: the CNAME"
expect_answer "^www\.glueless\.test\..*192\.0\.2\.2\$" "CNAME across zones: the target resolved from its own servers"
t0=$(now_ms)
dq +time=12 loop.example.test. A
expect_answer "CNAME[[:space:]]+loop\.glueless\.test\.\$" "a CNAME loop across zones: answered as far as it goes"
assert_range "$(($(now_ms) - t0))" 0 3000 "a CNAME loop: no wait for itself (ms)" "$DQ"

# --- broken servers ----------------------------------------------------------------------------
for i in 1 2 3; do
	dq www.lame.test. A
	expect_answer "192\.0\.2\.3\$" "a lame server (no AA) beside a good one: the good one's answer ($i)"
done
expect_no_answer_match "203\.0\.113\.5" "the lame server's non-authoritative data is never used"
dq www.tc.test. A
expect_answer "192\.0\.2\.7\$" "a truncated UDP reply: asked again over TCP"
assert_match "$(cat fakedns-tc.log)" "^q tcp .*www\.tc\.test\. 1\$" "the TCP query reached the server" "$(cat fakedns-tc.log)"
t0=$(now_ms)
dq +time=12 www.dead.test. A
expect_status SERVFAIL "a server that never answers: SERVFAIL"
expect_ede 22 "a server that never answers: EDE 22 (No Reachable Authority)"
assert_range "$(($(now_ms) - t0))" 0 4000 "a server that never answers: bounded time (ms)" "$DQ"
dq www.noedns.test. A
expect_answer "192\.0\.2\.10\$" "a server that answers FORMERR to EDNS: asked again without it"
assert_eq "$(logged noedns)" 2 "...once with EDNS (FORMERR), once without" "$(cat fakedns-noedns.log)"
t0=$(now_ms)
dq +time=5 www.garbage.test. A
expect_status SERVFAIL "a server whose answer does not parse (a CNAME cut short): SERVFAIL"
expect_ede 22 "...EDE 22: no server of the zone answered usefully"
assert_range "$(($(now_ms) - t0))" 0 1000 "...at once, without waiting for a timeout (ms)" "$DQ"
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "after the garbage: what was cached still answers"
dq +time=5 www.self.test. A
expect_status SERVFAIL "a delegation to an in-zone NS name without glue: SERVFAIL"

# --- a hostile server: records outside its zone are dropped, never cached ----------------------
dq www.hostile.test. A
expect_answer "^www\.hostile\.test\..*192\.0\.2\.66\$" "the hostile server's own answer"
expect_no_answer_match "6\.6\.6\.6" "its out-of-zone records are not passed on"
dq www.bank.test. A
expect_answer "192\.0\.2\.77\$" "a later query for www.bank.test gets the real address"
expect_no_answer_match "6\.6\.6\.6" "...never the hostile server's"

# --- NXNS: a delegation to 100 glueless NS names ------------------------------------------------
t0=$(now_ms)
dq +time=12 www.nxns.test. A
expect_status SERVFAIL "100 glueless NS names that do not exist: SERVFAIL"
assert_range "$(($(now_ms) - t0))" 0 10500 "...in bounded time (ms)" "$DQ"
assert_range "$(logged nxns)" 1 10 "at most 5 NS names looked up (A, then AAAA): queries to their zone" "$(cat fakedns-nxns.log)"

# A delegation whose NS names each lead down a long referral chain: every lookup is a
# resolution of its own, and all of them share the client query's budget of 32 queries
# (regression: each had its 32, and one query cost over a hundred).
t0=$(now_ms)
dq +time=12 www.deepns.test. A
expect_status SERVFAIL "NS names down 22-label referral chains: SERVFAIL"
expect_ede 22 "...EDE 22"
assert_range "$(($(now_ms) - t0))" 0 10500 "...in bounded time (ms)" "$DQ"
assert_range "$(logged deep)" 1 32 "...and one client query sends at most 32 queries, its NS lookups' included" \
	"$(tail -n 40 fakedns-deep.log)"

# --- metrics, status, explain -------------------------------------------------------------------
ctl stats
assert_match "$(ctl_value authoritative.reply)" "^[1-9]" "stats count the replies of authoritative servers" "$CTL_OUT"
assert_match "$(ctl_value authoritative.timeout)" "^[1-9]" "...and their timeouts" "$CTL_OUT"
metrics=$(curl -s "http://127.0.0.1:9153/metrics" 2>&1)
assert_match "$metrics" '^megdns_authoritative_queries_total\{outcome="reply"\} [1-9][0-9]*$' "metrics: queries to authoritative servers that got a reply" "$metrics"
assert_match "$metrics" '^megdns_authoritative_queries_total\{outcome="timeout"\} [1-9][0-9]*$' "metrics: ...and those that timed out" "$metrics"
ctl status
expect_ctl_out "^recursion from the root \(.*root\.hints, 1 servers\)" "status: resolving from the root"
expect_ctl_out "^worker 0: cache [0-9]+ entries \([1-9][0-9]* delegations\)" "status: delegations cached"
expect_ctl_out "authoritative servers: [1-9][0-9]* known, the slowest:" "status: the slowest authoritative servers"
expect_ctl_out "server 127\.0\.1\.8@53: down" "status: the silent server is down"
ctl explain 127.0.0.1 mail.example.test A
expect_ctl_out "resolved from the root, iteratively" "explain: a name no upstream serves is resolved from the root"
expect_ctl_out "worker 0: zone cut example\.test\. \([0-9]+ s left\), 1 NS: ns1\.example\.test\.;" \
	"explain: the zone cut whose servers answered the cached name"
ctl explain 127.0.0.1 www.nowhere-tld A
expect_ctl_out "worker 0: zone cut \. \([0-9]+ s left\), 1 NS: a\.root\.test\.;" "explain: an uncached TLD starts at the root"

# --- qname minimisation off: the full name goes to every server ---------------------------------
conf false
megdns_hup
ctl flush
dq www2.example.test. A
expect_answer "192\.0\.2\.12\$" "qname-minimisation: false: resolves"
assert_match "$(cat fakedns-test.log)" "^q udp [0-9]+ [0-9]+ www2\.example\.test\. 1\$" "qname-minimisation: false: test. sees the full name" "$(cat fakedns-test.log)"

# --- 0x20 and source addresses --------------------------------------------------------------------
conf false true 127.0.0.99
megdns_hup
ctl flush
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "use-0x20: true: resolves (NSD keeps the case of the question)"
assert_match "$(grep -c -E '^q udp [0-9]+ [0-9]+ [^ ]*[A-Z]' fakedns-test.log)" "^[1-9]" "use-0x20: the names sent have letters in upper case" "$(cat fakedns-test.log)"
dq www.src.test. A
expect_answer "192\.0\.2\.11\$" "outgoing-addresses: resolves"
assert_match "$(tail -n1 fakedns-src.log)" " from 127\.0\.0\.99\$" "outgoing-addresses: queries leave from 127.0.0.99" "$(cat fakedns-src.log)"
assert_no_match "$(cat fakedns-*.log)" "home\.arpa" "override names are never sent to any server" ""

# --- a delegation whose NS names all sit behind a silent server: the 10 s bound ---------------
# Each query to the silent server waits 4 s (upstream-timeout): the fetch is still waiting
# when its 10 s are over, and its timer ends it then, not at the end of that wait (12 s).
conf false false "" 4000
megdns_hup
t0=$(now_ms)
dq +time=15 www.tarpit.test. A
ms=$(($(now_ms) - t0))
expect_status SERVFAIL "5 glueless NS names behind a silent server: SERVFAIL"
expect_ede 22 "...EDE 22"
assert_range "$ms" 9500 11000 "...after 10 s, the bound of one client query (ms)" "$DQ"
expect_alive "after the tarpit"

expect_alive "after the fake internet's worst"

finish
