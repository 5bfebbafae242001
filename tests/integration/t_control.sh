#!/usr/bin/env bash
# megdns-control against a running megdns, on the README's LAN + WireGuard views (plus a view
# picked by destination address): status, explain (which view and which criterion, override
# data, cache entry with its DNSSEC status, upstream rule; a client with no view), stats and
# stats --reset, flush (all, one name, a subtree: the name is then fetched from the upstream
# again), reload (a changed zone is served at once; a broken zone or config exits 1 with the
# error and the old answers stay; cache entries survive), an unknown command, no daemon.
#
#   NSD 127.0.0.10  "." signed (ECDSA), its DS is the trust anchor: www.signed.test (secure) and
#                   bogus.signed.test (A changed after signing -> bogus)
#   NSD 127.0.0.11  example.test. (unsigned; an insecure-domain), forward zone
#   fakedns .30     flush.test. (answers every A with 192.0.2.53 and logs every query)
. "$(dirname "$0")/lib.sh"

[ -x "$MEGDNS_CONTROL" ] || die "no megdns-control at $MEGDNS_CONTROL"
for tool in ldns-keygen ldns-signzone ldns-key2ds; do
	command -v "$tool" >/dev/null 2>&1 || die "missing $tool (Debian package ldnsutils)"
done

# --- upstreams -------------------------------------------------------------------------------
cat >root.zone <<'EOF'
$ORIGIN .
$TTL 300
.			IN SOA	ns.root. hostmaster.root. 1 3600 600 86400 300
.			IN NS	ns.root.
ns.root.		IN A	127.0.0.10
www.signed.test.	IN A	192.0.2.99
bogus.signed.test.	IN A	192.0.2.98
EOF
dnssec_key . ECDSAP256SHA256 ksk
dnssec_sign . root.zone "$DNSSEC_KEY"
dnssec_ds "$DNSSEC_KEY" >root.key
# Forge bogus.signed.test after signing: its RRSIG no longer matches.
sed -i -E 's/^(bogus\.signed\.test\.[[:space:]].*[[:space:]]A[[:space:]]+)192\.0\.2\.98$/\1192.0.2.97/' root.zone.signed
grep -q '192\.0\.2\.97$' root.zone.signed || die "could not alter bogus.signed.test in root.zone.signed"
start_nsd root 127.0.0.10 53 .:root.zone.signed

{ zone_soa example.test.; echo "www IN A 192.0.2.1"; } >example.test.zone
start_nsd ex 127.0.0.11 53 example.test.:example.test.zone
start_fakedns flush 127.0.0.30 53 --mode answer --ip 192.0.2.53

# --- megdns ----------------------------------------------------------------------------------
mkdir -p zones/lan zones/wg
write_lan() { # ADDRESS SERIAL [EXTRA LINE]
	{
		zone_soa home.arpa. 300 3600 "$2"
		echo "nas IN A $1"
		[ $# -lt 3 ] || echo "$3"
	} >zones/lan/home.arpa.zone
}
write_lan 192.168.1.10 1
{ zone_soa home.arpa.; echo "nas IN A 10.100.0.20"; } >zones/wg/home.arpa.zone
cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, 127.0.0.53@53]
upstreams: [127.0.0.10@53]
dnssec:
  validation: true
  trust-anchor-file: root.key
  insecure-domains: [example.test., flush.test.]
forward-zones:
  - name: example.test.
    upstreams: [127.0.0.11@53]
  - name: flush.test.
    upstreams: [127.0.0.30@53]
control: {socket: control.sock}
views:
  - name: wg                       # queries arriving on wg0, from the tunnel network
    match-interfaces: [wg0]
    match-clients: [10.100.0.0/24]
    zones: [zones/wg/home.arpa.zone]
  - name: guest                    # queries sent to 127.0.0.53
    match-destinations: [127.0.0.53/32]
    records: ["nas.home.arpa. 60 IN A 192.0.2.80"]
  - name: lan
    match-clients: [192.168.1.0/24, "fd00::/8", 127.0.0.0/25, "::1"]
    zones: [zones/lan/home.arpa.zone]
EOF
cp megdns.yaml megdns.yaml.good
start_megdns megdns.yaml
L=(-b 127.0.0.2)

mode=$(stat -c %a "$CTL_SOCK" 2>&1)
assert_eq "$mode" 660 "the control socket (control.socket, relative to the config folder) has mode 0660"

# --- status ----------------------------------------------------------------------------------
note "status"
ctl status
expect_ctl_rc 0 "status"
expect_ctl_out "^version $($MEGDNS --version | awk '{ print $2 }')\$" "status: the version megdns --version prints"
expect_ctl_out '^uptime [0-9]+s$' "status: uptime"
expect_ctl_out '^config .*megdns\.yaml$' "status: the config file"
expect_ctl_out '^threads 1$' "status: 1 worker thread"
expect_ctl_out '^dnssec validating$' "status: DNSSEC validation on"
expect_ctl_out '^view wg: 1 client prefixes, 1 interfaces, 0 destinations, 1 zones, 0 records, shared upstreams$' \
	"status: view wg with its criteria and zone"
expect_ctl_out '^view guest: 0 client prefixes, 0 interfaces, 1 destinations, 0 zones, 1 records, shared upstreams$' \
	"status: view guest"
expect_ctl_out '^view lan: 4 client prefixes, 0 interfaces, 0 destinations, 1 zones, 0 records, shared upstreams$' \
	"status: view lan"
views_order=$(printf '%s\n' "$CTL_OUT" | sed -n 's/^view \([a-z]*\):.*/\1/p' | tr '\n' ' ')
assert_eq "$views_order" "wg guest lan " "status: views in config order"
expect_ctl_out '^worker 0: cache [0-9]+ entries \([0-9]+ delegations\), [0-9]+ bytes' "status: the worker's cache line"

# --- explain: which view and why ---------------------------------------------------------------
note "explain"
ctl explain 192.168.1.50 --interface eth0 nas.home.arpa
expect_ctl_rc 0 "explain for a LAN client"
wg=$(ctl_block '^view wg:')
assert_match "$wg" 'match-clients: no entry matches' "LAN client: wg's match-clients does not match"
assert_match "$wg" 'match-interfaces: not listed' "LAN client on eth0: wg's match-interfaces does not list eth0"
assert_match "$wg" '=> does not match' "LAN client: wg does not match"
guest=$(ctl_block '^view guest:')
assert_match "$guest" 'match-destinations: no --destination given' "LAN client: guest needs a destination"
assert_match "$guest" '=> does not match' "LAN client: guest does not match"
lan=$(ctl_block '^view lan:')
assert_match "$lan" 'match-clients: 192\.168\.1\.0/24 matches' "LAN client: lan matches by the 192.168.1.0/24 prefix"
assert_match "$lan" '=> MATCHES \(first match wins\)' "LAN client: lan is the view"
expect_ctl_out '^local data of view lan answers' "LAN client: lan's local data answers"
expect_ctl_out 'authoritative \(aa\)' "LAN client: from a zone, so authoritative"
expect_ctl_out '^[[:space:]]+nas\.home\.arpa\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.168\.1\.10$' \
	"LAN client: the record it gets (192.168.1.10)"
dq "${L[@]}" nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "a real LAN query gets what explain said"

ctl explain 10.100.0.20 --interface wg0 nas.home.arpa A
expect_ctl_rc 0 "explain for a WireGuard client"
expect_ctl_out '^client 10\.100\.0\.20.* on interface wg0' "WireGuard client: the client and interface are repeated"
wg=$(ctl_block '^view wg:')
assert_match "$wg" 'match-clients: 10\.100\.0\.0/24 matches' "WireGuard client: wg's match-clients matches 10.100.0.0/24"
assert_match "$wg" 'match-interfaces: wg0' "WireGuard client: wg's match-interfaces matches wg0"
assert_match "$wg" '=> MATCHES \(first match wins\)' "WireGuard client: wg is the view"
expect_ctl_no_out '^view (guest|lan):' "WireGuard client: the views after the first match are not considered"
expect_ctl_out '^local data of view wg answers' "WireGuard client: wg's zone answers"
expect_ctl_out 'nas\.home\.arpa\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.100\.0\.20$' \
	"WireGuard client: the tunnel address (10.100.0.20)"

ctl explain 10.100.0.20 nas.home.arpa
expect_ctl_rc 0 "explain for a tunnel address without --interface"
expect_ctl_out 'match-interfaces: no --interface given' "tunnel address, no interface: explain says the interface is missing"
expect_ctl_out '^no view matches: the client gets REFUSED with EDE 18' "tunnel address not on wg0: no view"

ctl explain 203.0.113.9 nas.home.arpa
expect_ctl_rc 0 "explain for a client in no view"
n=$(printf '%s\n' "$CTL_OUT" | grep -c '=> does not match')
assert_eq "$n" 3 "client in no view: each of the 3 views says 'does not match'" "$CTL_OUT"
expect_ctl_out '^no view matches: the client gets REFUSED with EDE 18' "client in no view: REFUSED with EDE 18"
expect_ctl_no_out '^(local data|cache|upstream)' "client in no view: nothing about answers"
# The same for a client that really sends a query (127.0.0.200 is outside 127.0.0.0/25).
ctl explain 127.0.0.200 nas.home.arpa
expect_ctl_out '^no view matches' "explain 127.0.0.200: no view"
dq -b 127.0.0.200 nas.home.arpa. A
expect_status REFUSED "a real query from 127.0.0.200 is refused, as explain said"
expect_ede 18 "a real query from 127.0.0.200"

ctl explain 127.0.0.2 --destination 127.0.0.53 nas.home.arpa
expect_ctl_rc 0 "explain with --destination"
guest=$(ctl_block '^view guest:')
assert_match "$guest" 'match-destinations: 127\.0\.0\.53/32 matches' "--destination 127.0.0.53: guest matches by destination"
assert_match "$guest" '=> MATCHES' "--destination 127.0.0.53: guest is the view"
expect_ctl_out 'nas\.home\.arpa\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.80$' "--destination: the guest record"
dqs 127.0.0.53 53 "${L[@]}" nas.home.arpa. A
expect_answer '192\.0\.2\.80$' "a real query to 127.0.0.53 gets the guest record, as explain said"
if printf '%s\n' "$CTL_OUT" | grep -q 'authoritative (aa)'; then
	expect_flag aa "explain says the guest record is authoritative: so is the real answer"
else
	expect_noflag aa "explain says the guest record is not authoritative: neither is the real answer"
fi

ctl explain fd00::5 nas.home.arpa AAAA
expect_ctl_rc 0 "explain for an IPv6 LAN client, type AAAA"
expect_ctl_out 'match-clients: fd00::/8 matches' "IPv6 client: lan matches by fd00::/8"
expect_ctl_out '^local data of view lan answers' "IPv6 client: lan's zone answers"
expect_ctl_out 'rcode NOERROR' "AAAA for a name with only A: NOERROR ..."
expect_ctl_out '\(authority\) home\.arpa\.[[:space:]].*SOA' "... NODATA with the zone's SOA"

# --- explain: cache, upstream rule, DNSSEC status ------------------------------------------------
ctl explain 127.0.0.2 www.example.test
expect_ctl_rc 0 "explain of a forwarded name"
expect_ctl_out "^local data: the view's zones, records and hosts do not cover this name" "forwarded name: no local data"
expect_ctl_out '^cache \(scope shared\):' "forwarded name: the cache scope"
expect_ctl_out '^[[:space:]]+worker 0: not cached for plain queries$' "forwarded name before any query: not cached"
expect_ctl_out '^upstream: a forward-zones entry \(longest suffix\): 127\.0\.0\.11@53' "forwarded name: the forward zone's upstream"
expect_ctl_out '^dnssec: not validated \(dnssec\.insecure-domains' "forwarded name: an insecure-domain is not validated"
dq "${L[@]}" www.example.test. A
expect_answer '192\.0\.2\.1$' "www.example.test from NSD ex"
ctl explain 127.0.0.2 www.example.test
expect_ctl_out '^[[:space:]]+worker 0: cached for plain queries, (29[0-9]|300) s left, DNSSEC insecure$' \
	"after a query: cached, TTL left, DNSSEC insecure (an insecure-domain)"
ctl explain 127.0.0.2 www.example.test AAAA
expect_ctl_out '^[[:space:]]+worker 0: not cached for plain queries$' "the cached A does not make AAAA cached"

ctl explain 127.0.0.2 www.signed.test
expect_ctl_out '^upstream: the global upstreams: 127\.0\.0\.10@53' "signed name: the global upstreams"
expect_ctl_out '^dnssec: validated from the trust anchor down' "signed name: validated from the anchor"
expect_ctl_out '^[[:space:]]+worker 0: not cached for plain queries$' "signed name before any query: not cached"
dq "${L[@]}" +adflag www.signed.test. A
expect_answer '192\.0\.2\.99$' "www.signed.test answered"
expect_flag ad "www.signed.test validated (AD)"
ctl explain 127.0.0.2 www.signed.test
expect_ctl_out '^[[:space:]]+worker 0: cached for plain queries, (29[0-9]|300) s left, DNSSEC secure$' "explain: the cached signed name is DNSSEC secure"

dq "${L[@]}" bogus.signed.test. A
expect_status SERVFAIL "bogus.signed.test (altered after signing)"
ctl explain 127.0.0.2 bogus.signed.test
expect_ctl_out '^[[:space:]]+worker 0: cached for plain queries, [0-9]+ s left, DNSSEC bogus \(EDE [0-9]+\): the client gets SERVFAIL$' \
	"explain: the bogus answer is cached as bogus, the client gets SERVFAIL"

ctl status
expect_ctl_out '^  upstream 127\.0\.0\.10@53: up, rtt [0-9.]+ ms, [1-9][0-9]* queries, 0 timeouts, 0 errors$' \
	"status after queries: the root upstream is up with its RTT"
expect_ctl_out '^  upstream 127\.0\.0\.11@53: up, rtt [0-9.]+ ms, [1-9][0-9]* queries' "status: the forward zone's upstream"
expect_ctl_out '^worker 0: cache [1-9][0-9]* entries \([0-9]+ delegations\), [1-9][0-9]* bytes' "status: cache entries counted"

# --- stats ---------------------------------------------------------------------------------------
note "stats"
ctl stats --reset
expect_ctl_rc 0 "stats --reset"
assert_range "$(ctl_value view.lan.queries.udp)" 5 1000 "stats --reset prints the counters before zeroing them (lan udp)" "$CTL_OUT"
ctl stats
expect_ctl_rc 0 "stats"
assert_eq "$(ctl_value view.lan.queries.udp)" 0 "after --reset: view.lan.queries.udp" "$CTL_OUT"
assert_eq "$(ctl_value view.lan.answer.upstream)" 0 "after --reset: view.lan.answer.upstream" "$CTL_OUT"
assert_range "$(ctl_value cache.entries)" 1 1000 "--reset does not empty the cache (cache.entries)" "$CTL_OUT"
dq "${L[@]}" nas.home.arpa. A             # lan, udp, local
dq "${L[@]}" www.example.test. A          # lan, udp, cache
dq "${L[@]}" +tcp new.flush.test. A       # lan, tcp, upstream
dq "${L[@]}" nope.home.arpa. AAAA         # lan, udp, local NXDOMAIN
dqs 127.0.0.53 53 "${L[@]}" nas.home.arpa. A # guest, udp, local
dq -b 127.0.0.200 nas.home.arpa. A        # no view: REFUSED
ctl stats
c() { ctl_value "$1"; }
assert_eq "$(c view.lan.queries.udp)/$(c view.lan.queries.tcp)" 3/1 "stats: lan queries udp/tcp" "$CTL_OUT"
assert_eq "$(c view.lan.answer.local)/$(c view.lan.answer.cache)/$(c view.lan.answer.upstream)" 2/1/1 \
	"stats: lan answers local/cache/upstream" "$CTL_OUT"
assert_eq "$(c view.lan.rcode.NOERROR)/$(c view.lan.rcode.NXDOMAIN)" 3/1 "stats: lan rcodes NOERROR/NXDOMAIN" "$CTL_OUT"
assert_eq "$(c view.lan.type.A)/$(c view.lan.type.AAAA)" 3/1 "stats: lan types A/AAAA" "$CTL_OUT"
assert_eq "$(c view.guest.queries.udp)/$(c view.guest.answer.local)" 1/1 "stats: guest 1 query, answered locally" "$CTL_OUT"
assert_eq "$(c view.wg.queries.udp)" 0 "stats: no wg query" "$CTL_OUT"
assert_eq "$(c view.-.queries.udp)" 1 "stats: the refused client counts under view '-'" "$CTL_OUT"
assert_match "$CTL_OUT" '^dnssec\.secure [0-9]+$' "stats: DNSSEC outcomes"
ctl stats --bogus
assert_range "$CTL_RC" 1 2 "stats with a wrong option fails"
expect_ctl_err 'usage: stats' "stats --bogus: the usage on stderr"

# --- flush ---------------------------------------------------------------------------------------
note "flush"
asked() { grep -c " $1\. 1\$" "$T/fakedns-flush.log"; } # how often fakedns got NAME A
for n in a.flush.test b.flush.test sub.flush.test x.sub.flush.test y.sub.flush.test; do
	dq "${L[@]}" "$n." A
	expect_answer '192\.0\.2\.53$' "$n forwarded to fakedns"
	dq "${L[@]}" "$n." A
done
assert_eq "$(asked a.flush.test)/$(asked x.sub.flush.test)" 1/1 "each name asked upstream once (then cached)" "$(cat "$T/fakedns-flush.log")"

ctl flush a.flush.test
expect_ctl_rc 0 "flush one name"
expect_ctl_out '^flushed 1 cache entries$' "flush a.flush.test: 1 entry"
for n in a.flush.test b.flush.test sub.flush.test x.sub.flush.test; do dq "${L[@]}" "$n." A; done
assert_eq "$(asked a.flush.test)" 2 "after flush a.flush.test it is asked upstream again"
assert_eq "$(asked b.flush.test)/$(asked sub.flush.test)/$(asked x.sub.flush.test)" 1/1/1 \
	"the other names stay cached"

ctl flush Sub.Flush.Test. --below
expect_ctl_rc 0 "flush a subtree"
expect_ctl_out '^flushed 3 cache entries$' "flush Sub.Flush.Test. --below (any case, trailing dot): 3 entries"
for n in b.flush.test sub.flush.test x.sub.flush.test y.sub.flush.test; do dq "${L[@]}" "$n." A; done
assert_eq "$(asked sub.flush.test)/$(asked x.sub.flush.test)/$(asked y.sub.flush.test)" 2/2/2 \
	"after flush --below the name and everything below it are asked again"
assert_eq "$(asked b.flush.test)" 1 "a sibling outside the subtree stays cached"

ctl flush WWW.Example.Test
expect_ctl_out '^flushed 1 cache entries$' "flush of a name in other case (WWW.Example.Test)"
ctl flush nothing.flush.test
expect_ctl_rc 0 "flush of a name not in the cache"
expect_ctl_out '^flushed 0 cache entries$' "flush of a name not cached: 0 entries"
ctl flush 'bad..name'
expect_ctl_rc 1 "flush of a malformed name"
expect_ctl_err 'not a domain name' "flush bad..name: the reason"
ctl flush --below
expect_ctl_rc 1 "flush --below without a name is an error (not a flush of the name '--below.')"
ctl flush $(seq 1 20)
expect_ctl_rc 1 "a command of more than 16 words is an error, not cut short"
expect_ctl_err 'more than 16 words' "...and says so"

dq "${L[@]}" www.example.test. A
expect_answer '192\.0\.2\.1$' "www.example.test cached again"
stop_nsd ex
dq "${L[@]}" www.example.test. A
expect_answer '192\.0\.2\.1$' "with NSD ex stopped www.example.test is still served (cache)"
ctl flush
expect_ctl_rc 0 "flush all"
expect_ctl_out '^flushed [1-9][0-9]* cache entries$' "flush all: the number of entries"
dq "${L[@]}" www.example.test. A
expect_status SERVFAIL "after flush all, www.example.test needs NSD ex, which is stopped"
dq "${L[@]}" b.flush.test. A
assert_eq "$(asked b.flush.test)" 2 "after flush all, b.flush.test is asked upstream again"
ctl status
expect_ctl_out '^worker 0: cache [0-9]+ entries' "status after flush all"
start_nsd ex 127.0.0.11 53 example.test.:example.test.zone

# --- reload --------------------------------------------------------------------------------------
note "reload"
dq "${L[@]}" www.example.test. A
expect_answer '192\.0\.2\.1$' "www.example.test cached before the reloads"
ttl0=$(dq_ttl ANSWER www.example.test. A)
write_lan 192.168.1.11 2
ctl reload
expect_ctl_rc 0 "reload"
expect_ctl_out '^reloaded .*megdns\.yaml$' "reload: says which config it loaded"
dq "${L[@]}" nas.home.arpa. A
expect_answer '192\.168\.1\.11$' "the edited zone is served as soon as reload returns"
expect_log 'reloaded' "the reload is logged"

write_lan 192.168.1.12 3 "bad IN A 999.1.2.3" # line 7
ctl reload
expect_ctl_rc 1 "reload with a broken zone"
expect_ctl_err 'reload failed, still serving the previous configuration' "broken zone: the failure on stderr"
expect_ctl_err 'home\.arpa\.zone:7' "broken zone: file and line (home.arpa.zone:7)"
assert_eq "$CTL_OUT" "" "broken zone: nothing on stdout"
expect_alive "after a failed reload"
dq "${L[@]}" nas.home.arpa. A
expect_answer '192\.168\.1\.11$' "broken zone: the previous answer (.11) is still served"

write_lan 192.168.1.11 4
sed 's|127.0.0.0/25|127.0.0.0/33|' megdns.yaml.good >megdns.yaml
ctl reload
expect_ctl_rc 1 "reload with a bad config value"
expect_ctl_err 'megdns\.yaml:[0-9]+:[0-9]+:' "bad config: megdns.yaml:LINE:COL on stderr"
dq "${L[@]}" nas.home.arpa. A
expect_answer '192\.168\.1\.11$' "bad config: the previous state still serves"
cp megdns.yaml.good megdns.yaml

stop_nsd ex
sleep 1.2 # so the TTL visibly counts down
ctl reload
expect_ctl_rc 0 "reload with the config fixed"
dq "${L[@]}" www.example.test. A
expect_answer '192\.0\.2\.1$' "reloads keep the cache: www.example.test answered with NSD ex stopped"
assert_range "$(dq_ttl ANSWER www.example.test. A)" 1 $((ttl0 - 1)) "its TTL kept counting down" "$DQ"
ctl explain 127.0.0.2 www.example.test
expect_ctl_out '^[[:space:]]+worker 0: cached for plain queries, [0-9]+ s left' "explain after the reloads: still cached"

# --- errors ------------------------------------------------------------------------------------
note "errors"
ctl frobnicate
expect_ctl_rc 2 "an unknown command is a usage error (exit 2)"
expect_ctl_err "unknown command 'frobnicate'" "unknown command: named on stderr"
assert_eq "$CTL_OUT" "" "unknown command: nothing on stdout"
ctl explain 127.0.0.2
assert_range "$CTL_RC" 1 2 "explain without a name fails"
expect_ctl_err '^usage: explain' "explain without a name: usage on stderr"
ctl load-cache "$T/no-such-file"
expect_ctl_rc 1 "load-cache of a missing file"
expect_ctl_err 'no-such-file: No such file' "load-cache of a missing file: the reason"
ctl_raw
expect_ctl_rc 2 "megdns-control without a command"
expect_ctl_err '^Usage: megdns-control' "no command: usage on stderr"
ctl_raw -c "$T/megdns.yaml" status
expect_ctl_rc 0 "-c CONFIG finds control.socket (relative to the config's folder)"
expect_ctl_out '^version ' "-c CONFIG: status"
CTL_CMD="(cd / && megdns-control -c $T/megdns.yaml status)"
CTL_OUT=$(cd / && timeout 10 "$MEGDNS_CONTROL" -c "$T/megdns.yaml" status 2>&1)
CTL_RC=$?
expect_ctl_rc 0 "-c CONFIG from another folder"
ctl_raw -s "$T/nobody-here.sock" status
expect_ctl_rc 2 "no daemon on that socket"
expect_ctl_err 'is megdns running\?' "no daemon: says so on stderr"

expect_alive "before stopping"
# A megdns-control client that has connected but not sent its command yet (it waits for $T/go,
# then sends "status" and prints the reply) must not keep megdns from stopping, nor crash it.
hold_control() {
	python3 - "$CTL_SOCK" "$T/go" >"$T/holder.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for _ in range(80):  # at most 8 s
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
s.settimeout(2)
try:
    s.send(b"status\n")
    print("reply:", s.recv(100))
except OSError as e:
    print("error:", e)
PY
	HOLDER=$!
	track_pid "$HOLDER"
	sleep 0.3
}
rm -f "$T/go"
hold_control
stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "megdns exits 0 on SIGTERM while a control client is connected"
assert_range "$MEGDNS_STOP_MS" 0 2000 "... and within 2 s"
touch "$T/go"
wait "$HOLDER" 2>/dev/null
if [ -e "$CTL_SOCK" ]; then fail "the control socket is left behind after megdns stopped"; else ok "the control socket is removed when megdns stops"; fi
ctl status
expect_ctl_rc 2 "status with megdns stopped"
expect_ctl_err 'is megdns running\?' "megdns stopped: the tool says so"

start_megdns megdns.yaml
rm -f "$T/go"
hold_control
kill -TERM "$MEGDNS_PID"
sleep 0.5
touch "$T/go" # the command arrives after the SIGTERM
wait "$HOLDER" 2>/dev/null
stop_megdns TERM # waits for the exit (or KILLs after 5 s)
if [ "$MEGDNS_RC" = 0 ]; then ok "a control command sent after SIGTERM: megdns exits 0"; else
	fail "a control command sent after SIGTERM: megdns status $MEGDNS_RC (139 = SIGSEGV; 'running' = did not stop)"
	indent <"$T/holder.out"
fi

# control.socket: "" disables the socket.
sed 's|control: {socket: control.sock}|control: {socket: ""}|' megdns.yaml.good >nosock.yaml
start_nsd ex 127.0.0.11 53 example.test.:example.test.zone
start_megdns nosock.yaml
if [ -e "$CTL_SOCK" ]; then fail "control.socket \"\" still created $CTL_SOCK"; else ok "control.socket \"\": no socket"; fi
ctl status
expect_ctl_rc 2 "control.socket \"\": megdns-control cannot connect"
finish
