#!/usr/bin/env bash
# Aggressive use of validated NSEC (RFC 8198, dnssec.aggressive-nsec, on by default): after one
# secure NXDOMAIN or NODATA, the names and types its NSEC records cover are answered by megdns
# alone, with AD, NSEC records for DO clients and none for others; the upstream's query log
# shows nothing was asked. Names the records do not cover, CD queries, and everything with
# aggressive-nsec: false still go upstream.
#
#   NSD     127.0.0.40  signed.test., ECDSA P-256, NSEC: a, c, x.ent (ent is empty), m;
#                       n3.test., the same names, NSEC3 (0 iterations, no opt-out)
#   fakedns 127.0.0.41  --mode proxy in front of the NSD: the log of what megdns asks
#   megdns  forward-zones signed.test. and n3.test. -> 127.0.0.41, their KSKs as trust anchors
. "$(dirname "$0")/lib.sh"

for tool in ldns-keygen ldns-signzone ldns-key2ds curl; do
	command -v "$tool" >/dev/null 2>&1 || die "missing $tool"
done
mkdir -p zones
{
	zone_soa signed.test. 300
	printf 'a IN A 192.0.2.1\nc IN A 192.0.2.3\nx.ent IN A 192.0.2.5\nm IN A 192.0.2.13\n'
} >zones/signed.zone
dnssec_key signed.test. ECDSAP256SHA256 ksk
dnssec_sign signed.test. zones/signed.zone "$DNSSEC_KEY"
cp "$DNSSEC_KEY.key" signed.key
{
	zone_soa n3.test. 300
	printf 'a IN A 192.0.2.1\nc IN A 192.0.2.3\nx.ent IN A 192.0.2.5\nm IN A 192.0.2.13\n'
} >zones/n3.zone
dnssec_key n3.test. ECDSAP256SHA256 ksk
dnssec_sign n3.test. zones/n3.zone "$DNSSEC_KEY" -n -t 0
cat "$DNSSEC_KEY.key" >>signed.key
start_nsd auth 127.0.0.40 53 signed.test.:zones/signed.zone.signed n3.test.:zones/n3.zone.signed
start_fakedns log 127.0.0.41 53 --mode proxy --upstream 127.0.0.40@53
QLOG=$T/fakedns-log.log

write_config() {
	cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
  query-log: true
forward-zones:
  - {name: signed.test., upstreams: [127.0.0.41@53]}
  - {name: n3.test., upstreams: [127.0.0.41@53]}
dnssec:
  trust-anchor-file: signed.key
  aggressive-nsec: $1
cache: {prefetch: false}
metrics: {listen: 127.0.0.1@9153}
control: {socket: $CTL_SOCK}
views:
  - name: all
EOF
}
write_config true
start_megdns megdns.yaml

asked() { grep -c " $1 " "$QLOG" || true; }
asked_type() { grep -Ec " $1 $2( |\$)" "$QLOG" || true; } # NAME TYPE-NUMBER
metric() { curl -s "http://127.0.0.1:9153/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# --- one NXDOMAIN from upstream teaches the range a..c and the wildcard's denial ------------
dq +dnssec b.signed.test. A
expect_status NXDOMAIN "b.signed.test. does not exist"
expect_flag ad "...validated (AD)"
assert_eq "$(asked b.signed.test.)" 1 "...asked upstream once"

dq +dnssec bb.signed.test. A
expect_status NXDOMAIN "bb.signed.test. (between a and c) is NXDOMAIN too"
expect_flag ad "...with AD"
expect_section AUTHORITY "a\.signed\.test\..*NSEC.*c\.signed\.test\." "...the covering NSEC for a DO client"
expect_section AUTHORITY "RRSIG.*NSEC" "...and its signature"
assert_eq "$(asked bb.signed.test.)" 0 "...and the upstream was never asked for it"
expect_log "127\.0\.0\.1@[0-9]+ all bb\.signed\.test\. A udp NXDOMAIN nsec " \
	"the query log says where the answer came from (nsec)"

dq bz.signed.test. AAAA
expect_status NXDOMAIN "a client without DO gets the NXDOMAIN as well"
assert_no_match "$(dq_section AUTHORITY)" "NSEC|RRSIG" "...without NSEC or RRSIG records"
expect_section AUTHORITY "signed\.test\..*SOA" "...with the SOA"
assert_eq "$(asked bz.signed.test.)" 0 "...not asked upstream"

dq +dnssec q.b.signed.test. TXT
expect_status NXDOMAIN "a name below a non-existent one: the same proof"
assert_eq "$(asked q.b.signed.test.)" 0 "...not asked upstream"

# --- names the records do not cover go upstream -----------------------------------------------
dq +dnssec n.signed.test. A
expect_status NXDOMAIN "n.signed.test. (after m, not covered yet) is NXDOMAIN"
assert_eq "$(asked n.signed.test.)" 1 "...from upstream"
dq +dnssec a.signed.test. A
expect_answer "192\.0\.2\.1\$" "a.signed.test. exists and is answered"

# --- NODATA -----------------------------------------------------------------------------------
# The NSEC at a (a -> c, types A RRSIG NSEC) came with b's NXDOMAIN: it denies every other
# type at a.
dq +dnssec a.signed.test. TXT
expect_status NOERROR "a.signed.test. TXT: NODATA"
expect_flag ad "...with AD"
expect_answer_count 0 "...no answer"
expect_section AUTHORITY "^a\.signed\.test\..*NSEC" "...the NSEC at a for a DO client"
dq a.signed.test. MX
expect_status NOERROR "a.signed.test. MX: NODATA too"
expect_answer_count 0 "...no answer"
assert_eq "$(asked a.signed.test.)" 1 "...neither asked upstream (only the A was)"
# ent.signed.test. exists (x.ent is below it): the NSEC c -> x.ent must not make it NXDOMAIN.
dq +dnssec c.signed.test. AAAA
expect_status NOERROR "c.signed.test. AAAA: NODATA (from upstream: teaches c -> x.ent)"
dq +dnssec ent.signed.test. A
expect_status NOERROR "ent.signed.test., an empty non-terminal, is NODATA, not NXDOMAIN"
expect_answer_count 0 "...no answer"
assert_eq "$(asked ent.signed.test.)" 0 "...made from the NSEC c -> x.ent, not asked upstream"

# --- what is never answered so ----------------------------------------------------------------
dq +dnssec +cd bc.signed.test. A
expect_status NXDOMAIN "a CD query for a covered name is NXDOMAIN"
assert_eq "$(asked bc.signed.test.)" 1 "...but resolved upstream: CD clients validate themselves"

# --- NSEC3 (no opt-out, 0 iterations): the closest encloser proof --------------------------
# hash NAME: its NSEC3 hash in n3.test.; range NAME: the zone's hash at or before it (wrapping).
hash() { ldns-nsec3-hash -t 0 "$1" | tr -d . | tr 'A-Z' 'a-z'; }
HASHES=$(awk '$4 == "NSEC3" { print tolower(substr($1, 1, 32)) }' zones/n3.zone.signed | sort -u)
range() {
	local h r
	h=$(hash "$1")
	r=$(printf '%s\n' "$HASHES" | awk -v h="$h" '$1 <= h { r = $1 } END { print r }')
	[ -n "$r" ] || r=$(printf '%s\n' "$HASHES" | tail -n1)
	echo "$r"
}
dq +dnssec b.n3.test. A
expect_status NXDOMAIN "b.n3.test. (NSEC3 zone) is NXDOMAIN"
expect_flag ad "...with AD"
assert_eq "$(asked b.n3.test.)" 1 "...asked upstream"
# a name whose hash falls in b's range: the same three records prove it
same=
for ((i = 0; i < 200; i++)); do
	[ "$(range "q$i.n3.test.")" = "$(range b.n3.test.)" ] && same=q$i.n3.test. && break
done
[ -n "$same" ] || die "no name hashes into b.n3.test.'s range"
dq +dnssec "$same" A
expect_status NXDOMAIN "$same (its hash in b's range) is NXDOMAIN"
expect_flag ad "...with AD"
expect_section AUTHORITY "NSEC3" "...with the NSEC3 records"
assert_eq "$(asked "$same")" 0 "...made from the NSEC3 records held, not asked upstream"
# NODATA at a name whose NSEC3 is held: the apex (the encloser of b)
dq +dnssec n3.test. TXT
expect_status NOERROR "n3.test. TXT: NODATA from the apex's NSEC3"
expect_answer_count 0 "...no answer"
assert_eq "$(asked_type n3.test. 16)" 0 "...not asked upstream (megdns asked n3.test. DNSKEY only)"
other=
for ((i = 0; i < 200; i++)); do
	r=$(range "r$i.n3.test.")
	[ "$r" != "$(range b.n3.test.)" ] && [ "$r" != "$(range '*.n3.test.')" ] && other=r$i.n3.test. && break
done
dq +dnssec "$other" A
expect_status NXDOMAIN "$other (hash in a range not held) is NXDOMAIN"
assert_eq "$(asked "$other")" 1 "...from upstream"

assert_range "$(curl -s http://127.0.0.1:9153/metrics | awk '$1 ~ /^megdns_answers_total\{.*source="nsec"/ { n += $2 } END { print n + 0 }')" \
	8 8 'megdns_answers_total{source="nsec"} counts the answers made from NSEC'

# --- aggressive-nsec: false -------------------------------------------------------------------
stop_megdns
write_config false
start_megdns megdns.yaml
dq +dnssec b.signed.test. A
expect_status NXDOMAIN "aggressive-nsec: false: b.signed.test. NXDOMAIN"
dq +dnssec bd.signed.test. A
expect_status NXDOMAIN "...bd.signed.test. too"
assert_eq "$(asked bd.signed.test.)" 1 "...but asked upstream"
expect_alive "at the end"
finish
