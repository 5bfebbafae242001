#!/usr/bin/env bash
# A private, unsigned zone forwarded to a local server (NSD standing in for the router that
# serves example.test. or lan.), with validation on, as a newcomer sets it up: the answers are
# bogus because the chain of trust from the root cannot prove the zone unsigned. The log says
# which type (by name), where the chain broke, and warns once about the forward zone with
# the two fixes; explain says where it broke. `forward-zones[].dnssec: false` fixes it, and the
# reload that sets it drops the cached SERVFAIL at once (no flush), and back.
. "$(dirname "$0")/lib.sh"

{ zone_soa example.test.; echo "www IN A 192.0.2.1"; echo "mail IN A 192.0.2.2"; for i in 1 2 3 4 5 6; do echo "h$i IN A 192.0.2.1$i"; done; } >example.test.zone
start_nsd priv 127.0.0.10 53 example.test.:example.test.zone

# The router is the only upstream too: it refuses the root's DNSKEY, as an offline Pi's would.
conf() { # DNSSEC-LINE-OF-THE-FORWARD-ZONE
	cat >megdns.yaml <<YAML
server:
  listen: [127.0.0.1@53]
  threads: 2
upstreams: [127.0.0.10@53]
forward-zones:
  - name: example.test.
    upstreams: [127.0.0.10@53]
$1
control: {socket: control.sock}
views:
  - name: lan
    match-clients: [127.0.0.0/8]
YAML
}
conf ""
start_megdns megdns.yaml
dq www.example.test. A
expect_status SERVFAIL "private zone, validation on: SERVFAIL"
expect_ede 9 "private zone: the DNSKEY could not be had"
expect_log "validation: www\.example\.test\. A is bogus \(EDE 9\): chain of trust broken at \.: no DNSKEY" \
	"the log names the type (A, not 1) and where the chain broke"
expect_log "no DNSKEY that its DS \(or the trust anchor\) vouches for could be had \(the upstreams gave no usable DNSKEY for the root: .*dnssec\.validation: false\)" \
	"no root DNSKEY at all: the log says the upstreams drop DNSSEC, and the fix"
expect_log "warning: forward zone example\.test\.: its answers fail DNSSEC validation.*set \`dnssec: false\` on its forward-zones entry or list it in dnssec\.insecure-domains" \
	"one warning names the forward zone and the two fixes"
dq mail.example.test. A
expect_status SERVFAIL "a second name of the zone: SERVFAIL too"
for i in 1 2 3 4 5 6; do dq "h$i.example.test." A; done # over both worker threads
n=$(grep -c "warning: forward zone example\.test\." "$MEGDNS_LOG")
assert_eq "$n" 1 "the forward zone warning is logged once (2 threads, 8 names), not per query" "$(cat "$MEGDNS_LOG")"

ctl explain 127.0.0.1 www.example.test. A
expect_ctl_out "DNSSEC bogus \(EDE 9\)" "explain: the cached answer is bogus"
expect_ctl_out "the chain of trust broke at \. \(EDE 9\)" "explain: where the chain of trust broke"
expect_ctl_out "forward zone example\.test\.: if it is private.*dnssec: false" "explain: the fix"

# megdns -t knows the key and checks its value.
conf "    dnssec: false"
out=$(timeout 10 "$MEGDNS" -t -c megdns.yaml 2>&1)
assert_eq "$?" 0 "megdns -t accepts forward-zones[].dnssec: false" "$out"
conf "    dnssec: perhaps"
out=$(timeout 10 "$MEGDNS" -t -c megdns.yaml 2>&1)
assert_eq "$?" 2 "megdns -t refuses forward-zones[].dnssec: perhaps" "$out"
assert_match "$out" "^megdns\.yaml:8:13: " "a bad dnssec value: FILE:LINE:COL" "$out"

# The fix, by reload: the SERVFAIL cached a moment ago is not served any more.
conf "    dnssec: false"
megdns_hup
expect_log "reloaded" "reload with dnssec: false"
expect_log "DNSSEC settings changed: dropped the [1-9][0-9]* cached answer\(s\) they decided" \
	"the reload that changes DNSSEC settings drops the outcomes they decided"
dq www.example.test. A
expect_status NOERROR "after the reload: www.example.test resolves without a flush"
expect_answer "192\.0\.2\.1\$" "after the reload: the private zone's address"
expect_noflag ad "a zone with dnssec: false is not validated: no AD"
ctl explain 127.0.0.1 www.example.test. A
expect_ctl_out "dnssec: not validated \(dnssec\.insecure-domains, a forward zone with dnssec: false" \
	"explain: the forward zone is not validated"

# insecure-domains does the same; and a reload back to validation drops the insecure
# answer again (it would otherwise be served for its TTL without validation).
conf ""
megdns_hup
dq www.example.test. A
expect_status SERVFAIL "validation back on: SERVFAIL again at once, not the cached insecure answer"
sed -i 's/^control:/dnssec: {insecure-domains: [example.test.]}\ncontrol:/' megdns.yaml
megdns_hup
dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "dnssec.insecure-domains: the private zone resolves after the reload"
# A reload that does not touch DNSSEC keeps the cache (a cached answer stays cached).
n_before=$(grep -c "DNSSEC settings changed" "$MEGDNS_LOG")
megdns_hup
n_after=$(grep -c "DNSSEC settings changed" "$MEGDNS_LOG")
assert_eq "$n_after" "$n_before" "a reload without DNSSEC changes drops nothing"
stop_megdns
finish
