#!/usr/bin/env bash
# DNSSEC validation (issue 3) against a private signed DNS tree built at test time (ldnsutils):
#
#   NSD 127.0.0.10  "."      one ECDSA P-256 key, NSEC; its DS is megdns's trust anchor (root.key)
#   NSD 127.0.0.11  "test."  KSK + ZSK, ECDSA P-256, NSEC; delegates the leaves to ns.test.
#   NSD 127.0.0.12  the leaves (one key each unless said; ECDSA P-256 unless said):
#     secure.test.      KSK + ZSK, NSEC: www A, a TXT, *.wild A, alias CNAME www.nsec3.test.,
#                       txtonly (TXT only), to-insecure / to-bogus CNAMEs into other leaves,
#                       dname DNAME nsec3.test., www.lab A and *.wc.lab A (lab.secure.test. is
#                       megdns's forward zone: a forward zone inside a zone, not at its apex)
#     nsec3.test.       RSASHA256, NSEC3 (0 extra iterations, no salt): www A, txtonly, *.wild A
#     ed.test.          ED25519 (algorithm 15)
#     insecure.test.    unsigned, no DS in test.                    -> insecure, no AD
#     nokey.test.       the DS in test. is of another key           -> SERVFAIL, EDE 9
#     altered.test.     www's A changed after signing               -> SERVFAIL, EDE 6
#     expired.test.     signatures expired in 2020                  -> SERVFAIL, EDE 7
#     future.test.      inception two days ahead                    -> SERVFAIL, EDE 8
#     unsigned.test.    DS in test., zone served unsigned           -> SERVFAIL, EDE 10 (or 9)
#     manyiter.test.    NSEC3 with 200 iterations (RFC 9276)        -> NXDOMAIN without AD
#     unknownalg.test.  signed; its only DS has algorithm 100       -> insecure, no AD
#     stripped.test.    signed, then www's RRSIG deleted            -> SERVFAIL, EDE 10 (or 6)
#     neg.test.         expired like expired.test., but listed in dnssec.insecure-domains
#
# A NON-validating Unbound (module-config "iterator", 127.0.0.20) recurses from that root and is
# megdns's only upstream, so forged and broken data really reaches megdns. With
# MEGDNS_DNSSEC_ITERATE=1 (t_recursion_dnssec.sh) megdns has no upstreams and resolves from
# that root itself (issue 11): DS records from the parent side, DNSKEYs from the child, the
# same verdicts and EDE codes; only lab.secure.test. is still forwarded to the Unbound. A validating Unbound
# (127.0.0.21, same root hints and anchor) is the reference: its verdicts show that the tree is
# what each megdns check assumes, so a megdns failure below is a megdns bug, not a test bug.
. "$(dirname "$0")/lib.sh"

for tool in ldns-keygen ldns-signzone ldns-key2ds; do
	command -v "$tool" >/dev/null 2>&1 || die "missing $tool (Debian package ldnsutils)"
done

NS_ROOT=127.0.0.10
NS_TLD=127.0.0.11
NS_LEAF=127.0.0.12
UB=127.0.0.20  # non-validating Unbound: megdns's upstream
REF=127.0.0.21 # validating Unbound: the reference
stamp() { date -u -d "$1" +%Y%m%d%H%M%S; }

# --- the tree ----------------------------------------------------------------------------------
mkdir -p zones
LEAVES=()   # ZONE:FILE for the leaf NSD
DELEG=""    # NS and DS records for test.

# leaf_zone ORIGIN RECORD...: zones/ORIGINzone with SOA, NS and the records.
leaf_zone() {
	local origin=$1
	shift
	{
		# shellcheck disable=SC2016
		printf '$ORIGIN %s\n$TTL 300\n' "$origin"
		printf '@ IN SOA ns.test. hostmaster.%s 1 3600 600 86400 300\n@ IN NS ns.test.\n' "$origin"
		printf '%s\n' "$@"
	} >"zones/${origin}zone"
}
# delegate ORIGIN FILE [DS...]: test. delegates ORIGIN (with these DS records); the leaf NSD serves FILE.
delegate() {
	local origin=$1 file=$2
	shift 2
	LEAVES+=("$origin:$file")
	DELEG+="$origin IN NS ns.test."$'\n'
	[ $# -gt 0 ] && DELEG+="$(printf '%s\n' "$@")"$'\n'
	return 0
}
# signed_leaf ORIGIN ALG [LDNS-SIGNZONE OPTIONS...]: one key (SEP flag) signs the leaf's zone
# file; LEAF_KEY is that key, LEAF_DS its DS record.
signed_leaf() {
	local origin=$1 alg=$2
	shift 2
	dnssec_key "$origin" "$alg" ksk
	LEAF_KEY=$DNSSEC_KEY
	dnssec_sign "$origin" "zones/${origin}zone" "$LEAF_KEY" "$@"
	LEAF_DS=$(dnssec_ds "$LEAF_KEY")
	[ -n "$LEAF_DS" ] || die "ldns-key2ds gave no DS for $LEAF_KEY"
}

leaf_zone secure.test. "www IN A 192.0.2.1" 'a IN TXT "secure text"' "*.wild IN A 192.0.2.2" \
	"alias IN CNAME www.nsec3.test." 'txtonly IN TXT "only a TXT here"' \
	"to-insecure IN CNAME www.insecure.test." "to-bogus IN CNAME www.altered.test." \
	"dname IN DNAME nsec3.test." "www.lab IN A 192.0.2.16" "*.wc.lab IN A 192.0.2.17"
dnssec_key secure.test. ECDSAP256SHA256 ksk
ksk=$DNSSEC_KEY
dnssec_key secure.test. ECDSAP256SHA256
dnssec_sign secure.test. zones/secure.test.zone "$ksk $DNSSEC_KEY"
delegate secure.test. zones/secure.test.zone.signed "$(dnssec_ds "$ksk")"

leaf_zone nsec3.test. "www IN A 192.0.2.3" 'txtonly IN TXT "only a TXT here"' "*.wild IN A 192.0.2.13"
signed_leaf nsec3.test. RSASHA256 -n -t 0
delegate nsec3.test. zones/nsec3.test.zone.signed "$LEAF_DS"

leaf_zone ed.test. "www IN A 192.0.2.4"
signed_leaf ed.test. ED25519
delegate ed.test. zones/ed.test.zone.signed "$LEAF_DS"

leaf_zone insecure.test. "www IN A 192.0.2.5"
delegate insecure.test. zones/insecure.test.zone

leaf_zone nokey.test. "www IN A 192.0.2.6"
signed_leaf nokey.test. ECDSAP256SHA256
dnssec_key nokey.test. ECDSAP256SHA256 ksk # never published: the parent's DS is of this key
delegate nokey.test. zones/nokey.test.zone.signed "$(dnssec_ds "$DNSSEC_KEY")"

leaf_zone altered.test. "www IN A 192.0.2.7"
signed_leaf altered.test. ECDSAP256SHA256
sed -i -E 's/^(www\.altered\.test\.[[:space:]].*[[:space:]]A[[:space:]]+)192\.0\.2\.7[[:space:]]*$/\1192.0.2.77/' \
	zones/altered.test.zone.signed
grep -Eq '[[:space:]]A[[:space:]]+192\.0\.2\.77' zones/altered.test.zone.signed ||
	die "could not alter www.altered.test in: $(cat zones/altered.test.zone.signed)"
delegate altered.test. zones/altered.test.zone.signed "$LEAF_DS"

leaf_zone expired.test. "www IN A 192.0.2.8"
signed_leaf expired.test. ECDSAP256SHA256 -i 20191201000000 -e 20200101000000
delegate expired.test. zones/expired.test.zone.signed "$LEAF_DS"

leaf_zone future.test. "www IN A 192.0.2.9"
signed_leaf future.test. ECDSAP256SHA256 -i "$(stamp '+2 days')" -e "$(stamp '+30 days')"
delegate future.test. zones/future.test.zone.signed "$LEAF_DS"

leaf_zone unsigned.test. "www IN A 192.0.2.10"
dnssec_key unsigned.test. ECDSAP256SHA256 ksk
delegate unsigned.test. zones/unsigned.test.zone "$(dnssec_ds "$DNSSEC_KEY")"

leaf_zone manyiter.test. "www IN A 192.0.2.11"
signed_leaf manyiter.test. ECDSAP256SHA256 -n -t 200
delegate manyiter.test. zones/manyiter.test.zone.signed "$LEAF_DS"

leaf_zone unknownalg.test. "www IN A 192.0.2.12"
signed_leaf unknownalg.test. ECDSAP256SHA256
delegate unknownalg.test. zones/unknownalg.test.zone.signed \
	"unknownalg.test. 300 IN DS 4711 100 2 $(printf 'no such algorithm' | sha256sum | cut -c1-64)"

leaf_zone stripped.test. "www IN A 192.0.2.15"
signed_leaf stripped.test. ECDSAP256SHA256
sed -i -E '/^www\.stripped\.test\.[[:space:]].*[[:space:]]RRSIG[[:space:]]+A[[:space:]]/d' zones/stripped.test.zone.signed
if ! grep -Eq '^www\.stripped\.test\..*RRSIG[[:space:]]+NSEC' zones/stripped.test.zone.signed ||
	grep -Eq '^www\.stripped\.test\..*RRSIG[[:space:]]+A[[:space:]]' zones/stripped.test.zone.signed; then
	die "could not strip the RRSIG of www.stripped.test in: $(cat zones/stripped.test.zone.signed)"
fi
delegate stripped.test. zones/stripped.test.zone.signed "$LEAF_DS"

leaf_zone neg.test. "www IN A 192.0.2.14"
signed_leaf neg.test. ECDSAP256SHA256 -i 20191201000000 -e 20200101000000
delegate neg.test. zones/neg.test.zone.signed "$LEAF_DS"

{
	cat <<EOF
\$ORIGIN test.
\$TTL 300
@	IN SOA	ns1.test. hostmaster.test. 1 3600 600 86400 300
@	IN NS	ns1.test.
ns1	IN A	$NS_TLD
ns	IN A	$NS_LEAF
EOF
	printf '%s' "$DELEG"
} >zones/test.zone
dnssec_key test. ECDSAP256SHA256 ksk
ksk=$DNSSEC_KEY
dnssec_key test. ECDSAP256SHA256
dnssec_sign test. zones/test.zone "$ksk $DNSSEC_KEY"

{
	cat <<EOF
\$ORIGIN .
\$TTL 3600
.	IN SOA	a.root-servers. hostmaster.root-servers. 1 3600 600 86400 300
.	IN NS	a.root-servers.
a.root-servers.	IN A	$NS_ROOT
test.	IN NS	ns1.test.
ns1.test.	IN A	$NS_TLD
EOF
	dnssec_ds "$ksk"
} >zones/root.zone
dnssec_key . ECDSAP256SHA256 ksk
ROOT_KEY=$DNSSEC_KEY
dnssec_sign . zones/root.zone "$ROOT_KEY"
dnssec_ds "$ROOT_KEY" >root.key
grep -q 'IN[[:space:]]DS' root.key || die "no root DS: $(cat root.key)"

start_nsd root "$NS_ROOT" 53 .:zones/root.zone.signed
start_nsd tld "$NS_TLD" 53 test.:zones/test.zone.signed
start_nsd leaves "$NS_LEAF" 53 "${LEAVES[@]}"

printf '.\t3600000\tIN\tNS\ta.root-servers.\na.root-servers.\t3600000\tIN\tA\t%s\n' "$NS_ROOT" >root.hints
start_unbound rec "$UB" 53 <<EOF
	root-hints: "$T/root.hints"
	local-zone: "test." nodefault
EOF
start_unbound ref "$REF" 53 <<EOF
	module-config: "validator iterator"
	root-hints: "$T/root.hints"
	trust-anchor-file: "$T/root.key"
	local-zone: "test." nodefault
	ede: yes
	val-log-level: 2
EOF

# --- preconditions: the upstream passes everything on, the reference validator agrees --------
dqs "$UB" 53 +dnssec www.secure.test. A
expect_answer "RRSIG[[:space:]]+A " "precondition: the iterator-only Unbound returns RRSIGs to DO queries"
dqs "$UB" 53 www.altered.test. A
expect_answer "192\.0\.2\.77\$" "precondition: the iterator-only Unbound passes the altered record on"

# ref NAME TYPE STATUS ad|noad [EDE]: the reference validator's verdict (EDE only noted).
ref() {
	local name=$1 type=$2 status=$3 ad=$4 ede
	dqs "$REF" 53 +dnssec "$name" "$type"
	expect_status "$status" "reference Unbound: $name $type"
	if [ "$ad" = ad ]; then expect_flag ad "reference Unbound: $name $type"; else
		expect_noflag ad "reference Unbound: $name $type"
	fi
	ede=$(printf '%s\n' "$DQ" | sed -n 's/^; EDE: \([0-9]*\).*/\1/p' | head -n1)
	[ -n "$ede" ] && note "reference Unbound: $name $type -> EDE $ede"
	return 0
}
ref www.secure.test. A NOERROR ad
ref nx.secure.test. A NXDOMAIN ad
ref nx.lab.secure.test. A NXDOMAIN ad
ref foo.wc.lab.secure.test. A NOERROR ad
ref txtonly.secure.test. A NOERROR ad
ref foo.wild.secure.test. A NOERROR ad
ref alias.secure.test. A NOERROR ad
ref www.dname.secure.test. A NOERROR ad
ref WwW.SeCuRe.TeSt. A NOERROR ad
ref nx.insecure.test. A NXDOMAIN noad
ref www.nsec3.test. A NOERROR ad
ref nx.nsec3.test. A NXDOMAIN ad
ref txtonly.nsec3.test. A NOERROR ad
ref www.ed.test. A NOERROR ad
ref www.insecure.test. A NOERROR noad
ref www.unknownalg.test. A NOERROR noad
ref nx.manyiter.test. A NXDOMAIN noad
for z in nokey altered expired future unsigned stripped neg; do
	ref "www.$z.test." A SERVFAIL noad
done

# --- megdns -t ---------------------------------------------------------------------------------
# run_check CONFIG: sets RC and ERR (stdout and stderr).
run_check() {
	timeout 10 "$MEGDNS" -t -c "$1" >check.out 2>&1
	RC=$?
	ERR=$(cat check.out)
}
mkdir -p cfg
cp root.key cfg/root.key
sed -n '/DNSKEY/p' "$ROOT_KEY.key" >cfg/root-dnskey.key
ITERATE=${MEGDNS_DNSSEC_ITERATE:-}
if [ -n "$ITERATE" ]; then
	SOURCE="recursion:
  root-hints: root.hints
  query-localhost: true
control: {socket: $CTL_SOCK}"
	cp root.hints cfg/
else
	SOURCE="upstreams: [$UB@53]"
fi
cat >megdns.yaml <<EOF
server:
  listen: [127.0.0.1@53]
$SOURCE
forward-zones:
  - name: lab.secure.test.
    upstreams: [$UB@53]
dnssec:
  validation: true
  trust-anchor-file: root.key
  insecure-domains: [neg.test.]
views:
  - name: all
    zones: [home.arpa.zone]
EOF
{ zone_soa home.arpa.; echo "nas IN A 192.168.1.10"; } >home.arpa.zone
cp home.arpa.zone cfg/
sed 's/root\.key/root-dnskey.key/' megdns.yaml >cfg/dnskey.yaml
printf 'upstreams: [%s@53]\ndnssec:\n  validation: true\n  trust-anchor-file: missing.key\n' "$UB" >cfg/missing.yaml
printf 'dnssec:\n  validation: true\n  bogus-key: 1\n' >cfg/unknown.yaml
printf 'dnssec:\n  validation: false\n' >cfg/off.yaml

run_check megdns.yaml
assert_eq "$RC" 0 "-t accepts dnssec: validation, trust-anchor-file (DS), insecure-domains" "$ERR"
run_check cfg/dnskey.yaml
assert_eq "$RC" 0 "-t accepts a trust-anchor-file with the root DNSKEY" "$ERR"
run_check cfg/off.yaml
assert_eq "$RC" 0 "-t accepts dnssec: {validation: false}" "$ERR"
run_check cfg/missing.yaml
assert_eq "$RC" 2 "-t rejects a missing trust-anchor-file with exit 2" "$ERR"
assert_match "$ERR" "^cfg/missing\.yaml:4:[0-9]+: [^ ]" "missing trust-anchor-file: cfg/missing.yaml:4:COL: <message>"
run_check cfg/unknown.yaml
assert_eq "$RC" 2 "-t rejects an unknown key under dnssec: with exit 2" "$ERR"
assert_match "$ERR" "^cfg/unknown\.yaml:3:3: [^ ]" "unknown dnssec key: cfg/unknown.yaml:3:3: <message>"

# --- megdns validating --------------------------------------------------------------------------
# From another cwd: the trust anchor and zone paths are relative to the config's folder.
MEGDNS_CWD=/ start_megdns "$T/megdns.yaml"

# q DIG ARGS...: dq, but give up when megdns stops answering (keeps a broken daemon bounded).
NOREPLY=0
q() {
	dq "$@"
	if [ -n "$(dq_status)" ]; then NOREPLY=0; else
		NOREPLY=$((NOREPLY + 1))
		[ "$NOREPLY" -ge 4 ] && { show_dq; die "megdns gave no reply to 4 queries in a row"; }
	fi
	return 0
}
# ub_count NAME: how often the upstream was asked for NAME A; iterating, how many queries
# megdns sent to authoritative servers at all (either stays the same on a cache hit).
ub_count() {
	if [ -z "$ITERATE" ]; then grep -c "$1 A IN" "$T/unbound-rec/unbound.log"; return; fi
	ctl stats
	echo $(($(ctl_value authoritative.reply) + $(ctl_value authoritative.timeout) + $(ctl_value authoritative.error)))
}
# bogus NAME EDE DESC: SERVFAIL, the EDE, no data.
bogus() {
	local name=$1 ede=$2 desc=$3
	q +dnssec "$name" A
	expect_status SERVFAIL "$desc: $name A"
	expect_ede "$ede" "$desc: $name A"
	expect_no_answer_match "192\.0\.2\." "$desc: no data for $name"
}

# AD only when the client asked for it (RFC 6840 5.7); the second query comes from the cache.
q +dnssec +noadflag www.secure.test. A
expect_status NOERROR "secure (DO, no AD bit): www.secure.test"
expect_answer "192\.0\.2\.1\$" "secure (DO): the A record"
expect_answer "RRSIG[[:space:]]+A " "secure (DO): its RRSIG"
expect_flag ad "secure, client set DO: www.secure.test"
n1=$(ub_count www.secure.test.)
q +dnssec +noadflag www.secure.test. A
expect_flag ad "secure, asked again (cache hit): www.secure.test"
expect_answer "192\.0\.2\.1\$" "secure, asked again: the A record"
assert_eq "$(ub_count www.secure.test.)" "$n1" "the second secure query is served from megdns's cache (Unbound not asked again)" \
	"$(cat "$T/unbound-rec/unbound.log")"
q +adflag +nodnssec www.secure.test. A
expect_flag ad "secure, client set AD without DO: www.secure.test"
expect_no_answer_match "RRSIG" "secure, AD without DO: no RRSIG"
q +noadflag +nodnssec www.secure.test. A
expect_status NOERROR "secure, neither DO nor AD: www.secure.test"
expect_noflag ad "secure, neither DO nor AD: www.secure.test"
q +dnssec a.secure.test. TXT
expect_flag ad "secure TXT: a.secure.test"
q +dnssec +tcp www.secure.test. A
expect_flag ad "secure over TCP: www.secure.test"
q +dnssec WwW.SeCuRe.TeSt. A
expect_answer "192\.0\.2\.1\$" "mixed-case query: the A record"
expect_flag ad "mixed-case query (canonical form for the signature check): WwW.SeCuRe.TeSt"
q +dnssec secure.test. DNSKEY
expect_answer "DNSKEY[[:space:]]+257 " "DNSKEY query: the keys"
expect_flag ad "DNSKEY query: secure.test DNSKEY"
q +dnssec secure.test. DS
expect_answer "DS[[:space:]]+[0-9]+ 13 2 " "DS query: the DS from test."
expect_flag ad "DS query: secure.test DS"
q +dnssec test. SOA
expect_flag ad "the TLD itself: test. SOA"

# Denial of existence: NSEC (secure.test) and NSEC3 (nsec3.test).
q +dnssec nx.secure.test. A
expect_status NXDOMAIN "NSEC NXDOMAIN: nx.secure.test"
expect_flag ad "NSEC NXDOMAIN: nx.secure.test"
q +dnssec txtonly.secure.test. A
expect_status NOERROR "NSEC NODATA: txtonly.secure.test A"
expect_answer_count 0 "NSEC NODATA: txtonly.secure.test A"
expect_flag ad "NSEC NODATA: txtonly.secure.test A"
q +dnssec www.nsec3.test. A
expect_answer "192\.0\.2\.3\$" "NSEC3 zone (RSASHA256): www.nsec3.test"
expect_flag ad "NSEC3 zone (RSASHA256): www.nsec3.test"
q +dnssec nx.nsec3.test. A
expect_status NXDOMAIN "NSEC3 NXDOMAIN: nx.nsec3.test"
expect_flag ad "NSEC3 NXDOMAIN: nx.nsec3.test"
q +dnssec txtonly.nsec3.test. A
expect_status NOERROR "NSEC3 NODATA: txtonly.nsec3.test A"
expect_answer_count 0 "NSEC3 NODATA: txtonly.nsec3.test A"
expect_flag ad "NSEC3 NODATA: txtonly.nsec3.test A"

# Wildcards (the proof that no closer name exists comes with the answer).
q +dnssec foo.wild.secure.test. A
expect_answer "foo\.wild\.secure\.test\..*192\.0\.2\.2\$" "NSEC wildcard: foo.wild.secure.test"
expect_flag ad "NSEC wildcard: foo.wild.secure.test"
q +dnssec foo.wild.nsec3.test. A
expect_answer "foo\.wild\.nsec3\.test\..*192\.0\.2\.13\$" "NSEC3 wildcard: foo.wild.nsec3.test"
expect_flag ad "NSEC3 wildcard: foo.wild.nsec3.test"

# A forward zone below its zone's apex: the SOA and NSEC records of secure.test. are the
# proof of lab.secure.test.'s negative and wildcard answers, and the negative one is cached.
q +dnssec nx.lab.secure.test. A
expect_status NXDOMAIN "NXDOMAIN in a forward zone below the apex: nx.lab.secure.test"
expect_flag ad "NXDOMAIN in a forward zone below the apex: proven by secure.test's NSECs"
expect_section AUTHORITY '^secure\.test\..*SOA' "nx.lab.secure.test: the SOA of secure.test is kept"
expect_section AUTHORITY 'NSEC[[:space:]]' "nx.lab.secure.test: the NSEC records are kept"
n1=$(ub_count nx.lab.secure.test.)
t1=$(dq_ttl AUTHORITY secure.test. SOA)
sleep 1.1
q +dnssec nx.lab.secure.test. A
expect_status NXDOMAIN "nx.lab.secure.test asked again"
expect_flag ad "nx.lab.secure.test asked again"
assert_eq "$(ub_count nx.lab.secure.test.)" "$n1" "the negative answer below the apex is served from megdns's cache" \
	"$(cat "$T/unbound-rec/unbound.log")"
assert_range "$(dq_ttl AUTHORITY secure.test. SOA)" 1 "$((${t1:-1} - 1))" "the cached SOA's TTL counts down"
q +dnssec foo.wc.lab.secure.test. A
expect_answer "foo\.wc\.lab\.secure\.test\..*192\.0\.2\.17\$" "wildcard in a forward zone below the apex: the A"
expect_flag ad "wildcard in a forward zone below the apex: proven by secure.test's NSEC"

# CNAME chains across zones.
q +dnssec alias.secure.test. A
expect_answer "CNAME[[:space:]]+www\.nsec3\.test\." "secure -> secure CNAME: alias.secure.test"
expect_answer "192\.0\.2\.3\$" "secure -> secure CNAME: the target's A"
expect_flag ad "secure -> secure CNAME (secure.test -> nsec3.test): alias.secure.test"
q +dnssec www.dname.secure.test. A
expect_answer "DNAME[[:space:]]+nsec3\.test\." "secure DNAME: the DNAME record"
expect_answer "192\.0\.2\.3\$" "secure DNAME: the target's A"
expect_flag ad "secure DNAME (synthesised CNAME unsigned): www.dname.secure.test"
q +dnssec to-insecure.secure.test. A
expect_status NOERROR "secure -> insecure CNAME: to-insecure.secure.test"
expect_answer "192\.0\.2\.5\$" "secure -> insecure CNAME: the target's A"
expect_noflag ad "secure -> insecure CNAME: to-insecure.secure.test"
q +dnssec to-bogus.secure.test. A
expect_status SERVFAIL "secure -> bogus CNAME: to-bogus.secure.test"
expect_no_answer_match "192\.0\.2\.77" "secure -> bogus CNAME: no forged data"

# Algorithms.
q +dnssec www.ed.test. A
expect_answer "192\.0\.2\.4\$" "ED25519 zone: www.ed.test"
expect_flag ad "ED25519 zone: www.ed.test"

# Insecure: no DS (proven by NSEC in test.), unknown DS algorithm, NSEC3 iterations over 150.
q +dnssec www.insecure.test. A
expect_status NOERROR "insecure delegation: www.insecure.test"
expect_answer "192\.0\.2\.5\$" "insecure delegation: the A record"
expect_noflag ad "insecure delegation: www.insecure.test"
q +dnssec nx.insecure.test. A
expect_status NXDOMAIN "insecure NXDOMAIN: nx.insecure.test"
expect_noflag ad "insecure NXDOMAIN: nx.insecure.test"
q +dnssec www.unknownalg.test. A
expect_status NOERROR "DS with unknown algorithm 100 only: www.unknownalg.test"
expect_answer "192\.0\.2\.12\$" "DS with unknown algorithm: the A record"
expect_noflag ad "DS with unknown algorithm (insecure, not bogus): www.unknownalg.test"
q +dnssec nx.manyiter.test. A
expect_status NXDOMAIN "NSEC3 with 200 iterations (RFC 9276): nx.manyiter.test"
expect_noflag ad "NSEC3 with 200 iterations: insecure, no AD"

# Bogus: SERVFAIL with the Extended DNS Error of the failure.
bogus www.nokey.test. 9 "DS matches no DNSKEY (DNSKEY Missing)"
bogus www.altered.test. 6 "record altered after signing (DNSSEC Bogus)"
n1=$(ub_count www.altered.test.)
bogus www.altered.test. 6 "bogus asked again (cached bogus)"
assert_eq "$(ub_count www.altered.test.)" "$n1" "the second bogus query is answered from megdns's cache (Unbound not asked again)" \
	"$(cat "$T/unbound-rec/unbound.log")"
q +cd www.altered.test. A
expect_status NOERROR "+cd on a bogus name: www.altered.test"
expect_answer "192\.0\.2\.77\$" "+cd on a bogus name: the (altered) data"
expect_noflag ad "+cd on a bogus name: no AD"
# CD first, then without CD: the unvalidated data must not be served as valid.
q +cd +dnssec www.expired.test. A
expect_status NOERROR "+cd on an expired name: www.expired.test"
expect_answer "192\.0\.2\.8\$" "+cd on an expired name: the data"
expect_noflag ad "+cd on an expired name: no AD"
bogus www.expired.test. 7 "expired signatures after a +cd query (Signature Expired)"
bogus www.future.test. 8 "inception in the future (Signature Not Yet Valid)"
q +dnssec www.unsigned.test. A
expect_status SERVFAIL "DS in the parent, zone served unsigned: www.unsigned.test"
expect_no_answer_match "192\.0\.2\." "unsigned zone under a DS: no data"
if printf '%s\n' "$DQ" | grep -Eq 'EDE: 10( |$)'; then ok "unsigned zone under a DS: EDE 10 (RRSIGs Missing)"
elif printf '%s\n' "$DQ" | grep -Eq 'EDE: 9( |$)'; then ok "unsigned zone under a DS: EDE 9 (DNSKEY Missing; 10 preferred)"
else
	fail "unsigned zone under a DS: expected EDE 10 (or 9)"
	show_dq
fi

q +dnssec www.stripped.test. A
expect_status SERVFAIL "a signed zone with one RRSIG removed: www.stripped.test"
expect_no_answer_match "192\.0\.2\." "stripped RRSIG: no data"
if printf '%s\n' "$DQ" | grep -Eq 'EDE: 10( |$)'; then ok "stripped RRSIG: EDE 10 (RRSIGs Missing)"
elif printf '%s\n' "$DQ" | grep -Eq 'EDE: 6( |$)'; then ok "stripped RRSIG: EDE 6 (DNSSEC Bogus; 10 preferred)"
else
	fail "stripped RRSIG: expected EDE 10 (or 6)"
	show_dq
fi

# Negative trust anchor: neg.test. is bogus (see the reference) but not validated.
q +dnssec www.neg.test. A
expect_status NOERROR "insecure-domains (negative trust anchor): www.neg.test"
expect_answer "192\.0\.2\.14\$" "insecure-domains: the A record"
expect_noflag ad "insecure-domains: no AD"

# Overrides are local data: never validated, never AD.
q +dnssec nas.home.arpa. A
expect_status NOERROR "override zone with DO: nas.home.arpa"
expect_answer "192\.168\.1\.10\$" "override zone: the local record"
expect_flag aa "override zone: authoritative"
expect_noflag ad "override zone with DO and AD bit: no AD"

stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "the validating megdns exits 0 on SIGTERM"

# --- validation off --------------------------------------------------------------------------
cat >megdns-off.yaml <<EOF
server:
  listen: [127.0.0.1@53]
upstreams: [$UB@53]
dnssec: {validation: false}
views:
  - name: all
    zones: [home.arpa.zone]
EOF
start_megdns megdns-off.yaml
NOREPLY=0
q +dnssec www.altered.test. A
expect_status NOERROR "validation: false: the bogus name www.altered.test"
expect_answer "192\.0\.2\.77\$" "validation: false: the altered data"
expect_noflag ad "validation: false: no AD"
q +dnssec www.secure.test. A
expect_status NOERROR "validation: false: www.secure.test"
expect_noflag ad "validation: false: no AD on a signed answer either"

finish
