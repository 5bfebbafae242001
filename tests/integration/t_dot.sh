#!/usr/bin/env bash
# DNS over TLS listeners (server.tls): kdig +tls verifying megdns's certificate against a
# test CA made here with openssl, the views by source address as on port 53, pipelined
# queries on one connection, Unbound as a DoT client (forward-tls-upstream), ALPN, TLS
# garbage and a stalled handshake closed while others are served, a new certificate at
# reload, and a key that does not fit its certificate refused at start (FILE:LINE, exit 2).
. "$(dirname "$0")/lib.sh"

command -v kdig >/dev/null || die "kdig is missing: apt-get install -y knot-dnsutils"
start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99

make_test_ca
make_cert one dns.test
make_cert two dns2.test
cp one.pem server.pem && cp one.key server.key

cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53]
  tcp-idle-timeout: 2
  tls:
    listen: [127.0.0.1@853]
    certificate: server.pem
    key: server.key
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
control: {socket: control.sock}
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
  - name: other
    records: ["nas.home.arpa. 300 IN A 10.100.0.20"]
EOF2
start_megdns megdns.yaml

kd() { DQ=$(timeout 10 kdig +retry=0 +timeout=3 +tls-ca="$T/ca.pem" +tls-hostname=dns.test -p 853 @127.0.0.1 "$@" 2>&1); }
kd -b 127.0.0.2 nas.home.arpa. A
assert_match "$DQ" "TLS session \(TLS1\.[23]\)" "kdig +tls: a TLS session, the certificate checked against the test CA"
assert_match "$DQ" "nas\.home\.arpa\..*A.*192\.168\.1\.10" "DoT: the client's view by source address (lan)"
kd -b 127.0.0.3 nas.home.arpa. A
assert_match "$DQ" "10\.100\.0\.20" "DoT: another source, another view"
kd example.org. A
assert_match "$DQ" "192\.0\.2\.99" "DoT: a forwarded name"
kd +keepopen nas.home.arpa. A example.org. A www.example.org. A
assert_eq "$(printf '%s\n' "$DQ" | grep -c 'status: NOERROR')" 3 "three queries on one kept-open TLS connection"

# DDR (RFC 9462): the plain listener names the encrypted one
dq _dns.resolver.arpa. SVCB
expect_answer 'SVCB.*1 dns\.test\. alpn="dot" port=853 ipv4hint=127\.0\.0\.1' "DDR: _dns.resolver.arpa. SVCB names the DoT listener (target, alpn, port, hint)"
expect_flag aa "DDR answers are authoritative"
kd _dns.resolver.arpa. SVCB
assert_match "$DQ" 'alpn=dot|alpn="dot"|SVCB' "DDR over DoT too"

# ALPN: a client that offers only h2 gets no DoT
out=$(echo | timeout 5 openssl s_client -connect 127.0.0.1:853 -alpn h2 2>&1)
assert_match "$out" "no application protocol|alert|errno|Cipher is \(NONE\)" "a client offering ALPN h2 only is refused"
out=$(echo | timeout 5 openssl s_client -connect 127.0.0.1:853 -alpn dot 2>&1)
assert_match "$out" "ALPN protocol: dot" "ALPN dot is chosen"

# Unbound forwarding to megdns over TLS
start_unbound cli 127.0.0.40 53 <<EOF2
	tls-cert-bundle: "$T/ca.pem"
forward-zone:
	name: "."
	forward-tls-upstream: yes
	forward-addr: 127.0.0.1@853#dns.test
EOF2
dqs 127.0.0.40 53 www.example.net. A
expect_answer "192\.0\.2\.99" "Unbound as a DoT client of megdns"

# garbage and a stalled handshake cost only their own connection
garbage=$(python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 853), timeout=3)
s.sendall(b"\x16\x03\x01\x00\x05hello" + bytes(range(256)) * 4)
try:
    print("closed" if not s.recv(4096) or not s.recv(4096) else "open")
except Exception as e:
    print("closed")')
assert_eq "$garbage" "closed" "TLS garbage: the connection is closed"
python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 853), timeout=6)
t = time.time()
try:
    d = s.recv(1)
    print("closed %.1f" % (time.time() - t))
except Exception:
    print("open")' >stall.out &
STALL=$!
track_pid "$STALL"
sleep 0.5
kd nas.home.arpa. A
assert_match "$DQ" "status: NOERROR" "others are served while a handshake stalls"
wait "$STALL"
assert_match "$(cat stall.out)" "^closed [12]\.[0-9]" "a handshake that does not come is closed after the deadline (2 s here)"

# a new certificate at reload: new connections get it
cp two.pem server.pem && cp two.key server.key
megdns_hup
wait_for 5 sh -c "echo | openssl s_client -connect 127.0.0.1:853 2>/dev/null | grep -q 'CN = dns2.test'" &&
	ok "after a reload new connections get the new certificate" || fail "the certificate did not change at reload"
kd +tls-hostname=dns2.test nas.home.arpa. A
assert_match "$DQ" "status: NOERROR" "DoT keeps answering with the new certificate"

# a key that does not fit its certificate
cat >bad.yaml <<'EOF2'
server:
  listen: [127.0.0.1@5399]
  tls: {listen: [127.0.0.1@8853], certificate: one.pem, key: two.key}
views: [{name: all}]
EOF2
"$MEGDNS" -t -c bad.yaml >bad.out 2>&1
assert_eq "$?" 2 "a key that does not fit the certificate: exit 2"
assert_match "$(cat bad.out)" "bad.yaml:3:[0-9]+: tls: .*two.key: not the PEM private key of .*one.pem" "... with FILE:LINE and why"
expect_alive
finish
