#!/usr/bin/env bash
# Blocklists per view: every format (hosts, domains, Adblock, RPZ), names below a listed one,
# allow entries winning, block-answer nxdomain / null / refused with EDE 15 naming the list,
# garbage lines skipped and shown by megdns -t with FILE:LINE, megdns_blocked_total, the
# query log, and explain.
. "$(dirname "$0")/lib.sh"

start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99
ASKED=$T/fakedns-up.log
asked() { grep -c " $1 1\$" "$ASKED"; }

cat >hosts.txt <<'EOF2'
# Steven Black style header
127.0.0.1 localhost
::1 localhost ip6-localhost
0.0.0.0 0.0.0.0
0.0.0.0 ads.hosts.test
127.0.0.1 track.hosts.test   # comment
:: six.hosts.test
192.168.1.5 nas.hosts.test
EOF2
cat >domains.txt <<'EOF2'
# one per line
doubleclick.domains.test
*.wild.domains.test
Mixed.Case.Domains.Test.
this line is garbage
another garbage line here
EOF2
cat >adblock.txt <<'EOF2'
[Adblock Plus 2.0]
! comment
||ads.adblock.test^
||third.adblock.test^$third-party
@@||good.ads.adblock.test^
example.adblock.test##.banner
/banner/*/img
EOF2
cat >rpz.zone <<'EOF2'
$ORIGIN rpz.local.
$TTL 300
@ IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 300
  IN NS localhost.
nx.rpz.test CNAME .
*.nx.rpz.test CNAME .
nodata.rpz.test CNAME *.
pass.nx.rpz.test CNAME rpz-passthru.
garden.rpz.test A 10.9.9.9
garden.rpz.test TXT "walled garden"
drop.rpz.test CNAME rpz-drop.
32.1.2.0.192.rpz-ip CNAME .
EOF2
cat >allow.txt <<'EOF2'
ok.doubleclick.domains.test
EOF2
cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53]
  query-log: true
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
control: {socket: ctl.sock}
metrics: {listen: 127.0.0.1@9153}
blocklists:
  - name: ads
    files: [hosts.txt, domains.txt, adblock.txt]
    allow: [allow.txt]
  - name: policy
    files: [rpz.zone]
views:
  - name: kids
    match-clients: [127.0.0.2/32]
    blocklists: [ads, policy]
  - name: tv
    match-clients: [127.0.0.3/32]
    blocklists: [ads]
    block-answer: null
  - name: guest
    match-clients: [127.0.0.4/32]
    blocklists: [ads]
    block-answer: refused
  - name: adults
    match-clients: [127.0.0.5/32]
EOF2

"$MEGDNS" -t -c megdns.yaml >check.out 2>&1
rc=$?
assert_eq "$rc" 0 "megdns -t: garbage lines are warnings, not errors" "$(cat check.out)"
assert_match "$(cat check.out)" "domains.txt:5: warning: not a domain, hosts line or Adblock rule, skipped" "megdns -t shows the garbage line with FILE:LINE"
assert_match "$(cat check.out)" "domains.txt:6: warning:" "...and the next one"
assert_no_match "$(cat check.out)" "adblock.txt:[0-9]+: warning" "Adblock rules megdns skips are no garbage"
start_megdns megdns.yaml

K="-b 127.0.0.2"
for n in ads.hosts.test track.hosts.test six.hosts.test doubleclick.domains.test \
	x.y.doubleclick.domains.test a.wild.domains.test mixed.case.domains.test \
	ads.adblock.test www.ads.adblock.test; do
	dq $K "$n" A
	expect_status NXDOMAIN "kids: $n is blocked"
	expect_ede 15 "kids: $n carries EDE 15 (Blocked)"
	expect_out "blocked by list ads" "kids: $n: the EDE text names the list"
done
for n in nas.hosts.test wild.domains.test third.adblock.test good.ads.adblock.test \
	x.good.ads.adblock.test ok.doubleclick.domains.test localhost.hosts.test; do
	dq $K "$n" A
	expect_answer "192\.0\.2\.99" "kids: $n is not blocked (resolved upstream)"
done
assert_eq "$(asked ads.hosts.test.)$(asked doubleclick.domains.test.)" 00 "blocked names never reach the upstream"

# RPZ
dq $K nx.rpz.test A
expect_status NXDOMAIN "RPZ CNAME . : NXDOMAIN"
expect_out "blocked by list policy" "RPZ: EDE text names the list policy"
dq $K a.nx.rpz.test A
expect_status NXDOMAIN "RPZ *.name: the names below"
dq $K pass.nx.rpz.test A
expect_answer "192\.0\.2\.99" "RPZ passthru wins over *.nx.rpz.test"
dq $K nodata.rpz.test A
expect_status NOERROR "RPZ CNAME *. : NODATA"
expect_answer_count 0 "RPZ NODATA has no answer"
dq $K x.nodata.rpz.test A
expect_answer "192\.0\.2\.99" "RPZ: an exact trigger does not match the names below it"
dq $K garden.rpz.test A
expect_answer "10\.9\.9\.9" "RPZ local data: A"
dq $K garden.rpz.test TXT
expect_answer "walled garden" "RPZ local data: TXT"
dq $K drop.rpz.test A
assert_match "$DQ" "timed out|no servers could be reached" "RPZ rpz-drop: no reply"

# block-answer per view
dq -b 127.0.0.3 ads.hosts.test A
expect_answer "ads\.hosts\.test\..*300.*A.*0\.0\.0\.0" "tv (null): A 0.0.0.0"
expect_ede 15 "tv (null): EDE 15"
dq -b 127.0.0.3 ads.hosts.test AAAA
expect_answer "AAAA.*::$" "tv (null): AAAA ::"
dq -b 127.0.0.3 ads.hosts.test MX
expect_status NOERROR "tv (null): other types NODATA"
dq -b 127.0.0.4 ads.hosts.test A
expect_status REFUSED "guest (refused): REFUSED"
expect_ede 15 "guest (refused): EDE 15"
dq -b 127.0.0.5 ads.hosts.test A
expect_answer "192\.0\.2\.99" "adults (no blocklists): resolved"

# how users see why
expect_log "query: 127\.0\.0\.2@[0-9]+ kids ads\.hosts\.test\. A udp NXDOMAIN blocked [0-9.]+ms list=ads" "the query log says blocked and the list"
m=$(curl -s http://127.0.0.1:9153/metrics)
assert_match "$m" 'megdns_blocked_total\{view="kids",list="ads"\} 9$' "megdns_blocked_total counts kids/ads" "$(printf '%s\n' "$m" | grep blocked)"
assert_match "$m" 'megdns_blocked_total\{view="kids",list="policy"\} [1-9]' "megdns_blocked_total counts kids/policy"
assert_match "$m" 'megdns_blocked_total\{view="tv",list="ads"\} 3$' "megdns_blocked_total counts tv/ads"
assert_match "$m" 'megdns_answers_total\{view="kids",source="blocked"\} [1-9]' "answers_total has source blocked"

CTL_SOCK=$T/ctl.sock
ctl explain 127.0.0.2 x.doubleclick.domains.test
expect_ctl_out "^blocklist ads: entry doubleclick\.domains\.test\. at .*/domains\.txt:2: blocks it" "explain names the list, entry, file and line"
expect_ctl_out "^blocked by list ads: the client gets NXDOMAIN with EDE 15" "explain says what the client gets"
ctl explain 127.0.0.3 ads.hosts.test
expect_ctl_out "hosts\.txt:5: blocks it" "explain: a hosts-format entry's line"
expect_ctl_out "gets 0\.0\.0\.0 / :: \(null\)" "explain: the view's block-answer"
ctl explain 127.0.0.2 ok.doubleclick.domains.test
expect_ctl_out "^blocklist ads: entry ok\.doubleclick\.domains\.test\. at .*/allow\.txt:1: allows it" "explain: the allow entry"
expect_ctl_out "^an allow entry wins: not blocked" "explain: allow wins"
ctl explain 127.0.0.2 garden.rpz.test
expect_ctl_out "gets the list's local data \(RPZ\)" "explain: RPZ local data"
ctl explain 127.0.0.2 www.example.com
expect_ctl_out "^blocklists: no entry of the view's 2 list\(s\) matches" "explain: a name no list has"
ctl explain 127.0.0.2 1.1.168.192.in-addr.arpa PTR
expect_ctl_out "^default local zone 168\.192\.in-addr\.arpa\. answers" "explain: the default local zone"

finish
