#!/usr/bin/env bash
# DHCP leases per view: a dnsmasq lease file and a Kea memfile CSV give HOST.lease-domain and
# its PTR; an expired lease, a released and a declined one are not answered; only the host's
# first label is taken; a lease that ends while megdns runs stops being answered; a changed
# lease file is read again by itself; a lease file that does not exist yet is a warning and
# is picked up once written; leases without lease-domain are FILE:LINE and exit 2.
. "$(dirname "$0")/lib.sh"

start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99
now=$(date +%s)
soon=$((now + 4)) later=$((now + 3600)) past=$((now - 60))
mkdir -p leases
cat >leases/dnsmasq.leases <<EOF2
$later aa:bb:cc:dd:ee:01 192.168.1.50 laptop 01:aa:bb:cc:dd:ee:01
$past aa:bb:cc:dd:ee:02 192.168.1.51 oldphone *
0 aa:bb:cc:dd:ee:03 192.168.1.52 Printer.evil.example *
$soon aa:bb:cc:dd:ee:04 192.168.1.53 brief *
$later aa:bb:cc:dd:ee:05 192.168.1.54 * *
this is no lease
duid 00:01:00:01:2c:5f:aa:bb:cc:dd:ee:ff
$later 1234 fd00::50 laptop 00:01:00:01
EOF2
cat >leases/kea.csv <<EOF2
address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id
10.100.0.20,aa:01,,3600,$later,1,0,0,tv,0,,0
10.100.0.20,aa:01,,3600,$later,1,0,0,tv2,0,,0
10.100.0.21,aa:02,,3600,$later,1,0,0,gone,0,,0
10.100.0.21,aa:02,,0,$later,1,0,0,gone,0,,0
10.100.0.22,aa:03,,3600,$later,1,0,0,declined,1,,0
EOF2
cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    leases: [leases/dnsmasq.leases]
    lease-domain: lan.home.arpa.
  - name: wg
    match-clients: [127.0.0.3/32]
    leases: [leases/kea.csv, leases/later.leases]
    lease-domain: wg.home.arpa
EOF2

"$MEGDNS" -t -c megdns.yaml >check.out 2>&1
assert_eq "$?" 0 "megdns -t accepts lease files with bad lines and one not written yet"
assert_match "$(cat check.out)" "dnsmasq.leases:6: warning: not a dnsmasq lease" "megdns -t names the bad lease line (FILE:LINE)"
assert_match "$(cat check.out)" "later.leases: warning: no such file yet" "megdns -t: a lease file not written yet is a warning"
start_megdns megdns.yaml

L="-b 127.0.0.2" W="-b 127.0.0.3"
dq $L laptop.lan.home.arpa. A
expect_answer "laptop\.lan\.home\.arpa\..*60.*A.*192\.168\.1\.50" "dnsmasq: a lease's name answers its address (TTL 60)"
expect_flag aa "lease answers are authoritative"
dq $L laptop.lan.home.arpa. AAAA
expect_answer "fd00::50" "dnsmasq: the DHCPv6 lease after the duid line"
dq $L -x 192.168.1.50
expect_answer "PTR.*laptop\.lan\.home\.arpa\." "dig -x of a lease's address gives its name"
dq $L oldphone.lan.home.arpa. A
expect_status NXDOMAIN "an expired lease is not answered (home.arpa. is a default zone)"
dq $L printer.lan.home.arpa. A
expect_answer "192\.168\.1\.52" "expiry 0: a lease that never ends; only the first label, lower case"
dq $L printer.evil.example. A
expect_answer "192\.0\.2\.99" "the client's own domain in its hostname is not taken"
dq $W laptop.lan.home.arpa. A
expect_status NXDOMAIN "another view does not see the lan view's leases"
dq $W tv2.wg.home.arpa. A
expect_answer "10\.100\.0\.20" "Kea: the last line of an address wins"
dq $W tv.wg.home.arpa. A
expect_status NXDOMAIN "Kea: the name an address had before is gone"
dq $W gone.wg.home.arpa. A
expect_status NXDOMAIN "Kea: a released lease (valid_lifetime 0) is not answered"
dq $W declined.wg.home.arpa. A
expect_status NXDOMAIN "Kea: a declined lease (state 1) is not answered"

dq $L brief.lan.home.arpa. A
expect_answer "192\.168\.1\.53" "a lease that ends soon is answered before it ends"
if wait_for 8 sh -c "dig +tries=1 +time=1 -b 127.0.0.2 @127.0.0.1 brief.lan.home.arpa. A | grep -q NXDOMAIN"; then
	ok "the lease that ended while megdns runs is no longer answered"
else fail "brief.lan.home.arpa. still answered after its lease ended"; show_dq; fi

# the DHCP server writes a new lease file (rename, as dnsmasq does) and the one not there yet
echo "$later aa:bb:cc:dd:ee:09 192.168.1.60 newbox *" >leases/dnsmasq.new && mv leases/dnsmasq.new leases/dnsmasq.leases
if wait_for 5 sh -c "dig +tries=1 +time=1 -b 127.0.0.2 @127.0.0.1 +short newbox.lan.home.arpa. A | grep -q 192.168.1.60"; then
	ok "a changed lease file is read again by itself"
else fail "newbox never answered after the lease file changed"; fi
expect_log "dnsmasq.leases changed: reloading" "the log says the lease file changed"
dq $L laptop.lan.home.arpa. A
expect_status NXDOMAIN "a lease gone from the new file is no longer answered"
echo "$later 5678 fd00::70 phone 00:01" >leases/later.leases
if wait_for 5 sh -c "dig +tries=1 +time=1 -b 127.0.0.3 @127.0.0.1 +short phone.wg.home.arpa. AAAA | grep -q fd00::70"; then
	ok "a lease file that did not exist is picked up once written"
else fail "phone.wg.home.arpa. never answered"; fi

# leases without lease-domain
cat >bad.yaml <<'EOF2'
views:
  - name: lan
    leases: [leases/dnsmasq.leases]
EOF2
"$MEGDNS" -t -c bad.yaml >bad.out 2>&1
assert_eq "$?" 2 "leases without lease-domain: exit 2"
assert_match "$(cat bad.out)" "bad.yaml:3:[0-9]+: .*no lease-domain" "leases without lease-domain: FILE:LINE says what is missing"
expect_alive
finish
