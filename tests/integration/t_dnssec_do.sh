#!/usr/bin/env bash
# DO bit: megdns passes DO upstream and returns DNSSEC records (RRSIG, NSEC) only to clients
# that set DO; DO and non-DO answers are cached apart. The zone is signed with ldns-signzone
# and served by NSD (megdns does not validate here; AD is never set without validation).
. "$(dirname "$0")/lib.sh"

{ zone_soa signed.test.; echo "www IN A 192.0.2.1"; } >signed.test.zone
key=$(ldns-keygen -a ECDSAP256SHA256 -k signed.test. 2>&1) || die "ldns-keygen: $key"
ldns-signzone -n -o signed.test. signed.test.zone "$key" >sign.out 2>&1 || die "ldns-signzone: $(cat sign.out)"
start_nsd up 127.0.0.10 53 signed.test.:signed.test.zone.signed
dqs 127.0.0.10 53 +norec +dnssec www.signed.test. A
expect_answer "RRSIG" "precondition: NSD returns RRSIG to a DO query"

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: all
    records: ["x.home.arpa. 60 IN A 192.168.1.1"]
EOF
start_megdns megdns.yaml

dq +dnssec www.signed.test. A
expect_answer "A[[:space:]]+192\.0\.2\.1\$" "DO query: the A record"
expect_answer "RRSIG[[:space:]]+A " "DO query: its RRSIG (DO passed upstream)"
expect_out "flags: do;" "DO query: the reply's OPT has DO"
expect_noflag ad "no AD without validation"

dq www.signed.test. A
expect_answer "192\.0\.2\.1\$" "non-DO query after a DO one"
expect_no_answer_match "RRSIG" "non-DO query: no RRSIG (not served from the DO cache entry)"

dq +dnssec nx.signed.test. A
expect_status NXDOMAIN "DO query for a missing name"
expect_section AUTHORITY "NSEC|RRSIG" "DO NXDOMAIN: NSEC/RRSIG in the authority section"
dq nx.signed.test. A
expect_status NXDOMAIN "non-DO query for the missing name"
if dq_section AUTHORITY | grep -Eq 'NSEC|RRSIG'; then
	fail "non-DO NXDOMAIN has DNSSEC records"
	show_dq
else
	ok "non-DO NXDOMAIN: no NSEC/RRSIG"
fi

# Non-DO first, then DO: the DO client must still get signatures.
dq signed.test. SOA
expect_no_answer_match "RRSIG" "non-DO SOA: no RRSIG"
dq +dnssec signed.test. SOA
expect_answer "RRSIG[[:space:]]+SOA " "DO query after a non-DO one for the same name: RRSIG present"

finish
