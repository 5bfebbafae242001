#!/usr/bin/env bash
# DNS over HTTPS listeners (server.https, RFC 8484 over HTTP/2): kdig +https with POST and GET,
# the views by source address, curl --doh-url resolving a name for a real HTTP request, the
# refusals (400, 404, 405, 413, 415), cache-control from the answer's TTL, 100 requests
# multiplexed on one connection under the 64-stream limit, HTTP/2 garbage closed while others
# are served, DDR naming the DoH endpoint (alpn h2, dohpath), and config errors.
. "$(dirname "$0")/lib.sh"

command -v kdig >/dev/null || die "kdig is missing: apt-get install -y knot-dnsutils"
start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99

make_test_ca
make_cert server dns.test

cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53, 127.0.0.5@53]
  tcp-idle-timeout: 3
  query-log: true
  tls:
    listen: [127.0.0.1@853, 127.0.0.5@8853]
    certificate: server.pem
    key: server.key
  https:
    listen: [127.0.0.1@443]
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
control: {socket: control.sock}
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
  - name: other
    records: ["nas.home.arpa. 300 IN A 10.100.0.20", "web.home.arpa. 120 IN A 127.0.0.1"]
EOF2
start_megdns megdns.yaml

kh() { DQ=$(timeout 10 kdig +retry=0 +timeout=3 +https +tls-ca="$T/ca.pem" +tls-hostname=dns.test -p 443 @127.0.0.1 "$@" 2>&1); }
kh -b 127.0.0.2 nas.home.arpa. A
assert_match "$DQ" "HTTPS session \(HTTP/2-POST\)|HTTP/2" "kdig +https: an HTTP/2 session, the certificate checked against the test CA"
assert_match "$DQ" "nas\.home\.arpa\..*A.*192\.168\.1\.10" "DoH POST: the client's view by source address (lan)"
kh -b 127.0.0.3 +https-get nas.home.arpa. A
assert_match "$DQ" "nas\.home\.arpa\..*A.*10\.100\.0\.20" "DoH GET: another source, another view"
kh www.example.org. A
assert_match "$DQ" "192\.0\.2\.99" "DoH: a forwarded name"
expect_log "query: 127\.0\.0\.1@[0-9]+ other www\.example\.org\. A https NOERROR" \
	"the query log names the transport: https"
DQ=$(timeout 10 kdig +retry=0 +timeout=3 +tls +tls-ca="$T/ca.pem" +tls-hostname=dns.test -p 853 @127.0.0.1 tls.example.org. A 2>&1)
expect_log "query: 127\.0\.0\.1@[0-9]+ other tls\.example\.org\. A tls NOERROR" "... and tls for DoT"

# curl resolves a name over DoH, then fetches the page it points to (on loopback)
mkdir -p web && echo "hello from the web" >web/hello.txt
python3 -m http.server 8080 --bind 127.0.0.1 --directory web >web.log 2>&1 &
track_pid $!
wait_for 5 sh -c "curl -s http://127.0.0.1:8080/hello.txt >/dev/null" || die "http.server did not start"
CURL=(curl -s --max-time 5 --cacert "$T/ca.pem" --resolve dns.test:443:127.0.0.1)
out=$("${CURL[@]}" --doh-url https://dns.test/dns-query http://web.home.arpa:8080/hello.txt 2>&1)
assert_eq "$out" "hello from the web" "curl --doh-url: the name resolved over DoH, the page fetched"

# refusals, and the answer's headers
q=$(python3 -c '
import base64, struct
name = b"".join(bytes([len(l)]) + l for l in b"web.home.arpa".split(b".")) + b"\0"
msg = struct.pack(">HHHHHH", 0, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1)
print(base64.urlsafe_b64encode(msg).decode().rstrip("="))')
code() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }
hdrs=$("${CURL[@]}" -D - -o answer.bin "https://dns.test/dns-query?dns=$q")
assert_match "$hdrs" "HTTP/2 200" "GET ?dns=: 200"
assert_match "$hdrs" "content-type: application/dns-message" "... application/dns-message"
assert_match "$hdrs" "cache-control: max-age=120" "... cache-control max-age is the answer's TTL"
assert_eq "$(od -An -tx1 -j2 -N2 answer.bin | tr -d ' ')" "8580" "... a DNS answer (QR AA RD RA, NOERROR)"
assert_eq "$(code "https://dns.test/dns-query?dns=AAAB")" 400 "a message shorter than a header: 400"
assert_eq "$(code "https://dns.test/dns-query")" 400 "GET without dns=: 400"
assert_eq "$(code "https://dns.test/dns-query?dns=a*b")" 400 "bad base64url: 400"
assert_eq "$(code "https://dns.test/other?dns=$q")" 404 "another path: 404"
assert_eq "$(code -X PUT --data-binary @answer.bin "https://dns.test/dns-query")" 405 "PUT: 405"
assert_eq "$(code -H 'content-type: text/plain' --data-binary @answer.bin https://dns.test/dns-query)" 415 \
	"POST of another content type: 415"
head -c 70000 /dev/zero >big.bin
assert_eq "$(code -H 'content-type: application/dns-message' --data-binary @big.bin https://dns.test/dns-query)" 413 \
	"POST of more than 65535 bytes: 413"

# 100 requests multiplexed by curl (at most 64 streams open at once on a connection)
urls=()
for i in $(seq 1 100); do urls+=(-o "par$i.bin" "https://dns.test/dns-query?dns=$q"); done
"${CURL[@]}" --parallel --parallel-max 100 --http2 -w '%{http_code} %{num_connects}\n' "${urls[@]}" >par.out
assert_eq "$(grep -c '^200' par.out)" 100 "100 requests multiplexed over HTTP/2: all answered 200"

# HTTP/2 garbage after the handshake: that connection closes, others are served
garbage=$(python3 -c '
import socket, ssl
ctx = ssl.create_default_context(cafile="ca.pem")
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", 443), timeout=3), server_hostname="dns.test")
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\xff" * 64)
got = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
    print("closed", b"\x07" in got)  # frame type 7: GOAWAY
except Exception as e:
    print("open", e)')
assert_match "$garbage" "^closed True" "HTTP/2 garbage: GOAWAY, and the connection is closed"
kh nas.home.arpa. A
assert_match "$DQ" "10\.100\.0\.20" "after HTTP/2 garbage on another connection, DoH answers"

# DDR names both encrypted endpoints
dq _dns.resolver.arpa. SVCB
expect_answer 'SVCB.*1 dns\.test\. alpn="dot" port=853' "DDR: the DoT endpoint"
expect_answer 'SVCB.*2 dns\.test\. alpn="h2" port=443 ipv4hint=127\.0\.0\.1 (dohpath|key7)="/dns-query\{\?dns\}"' \
	"DDR: the DoH endpoint with alpn h2 and dohpath"
expect_answer_count 2 "DDR via 127.0.0.1: the listeners at that address only (not 127.0.0.5@8853)"
dqs 127.0.0.5 53 _dns.resolver.arpa. SVCB
expect_answer 'SVCB.*1 dns\.test\. alpn="dot" port=8853 ipv4hint=127\.0\.0\.5' \
	"DDR via 127.0.0.5: the DoT listener at that address"
expect_answer 'SVCB.*2 dns\.test\. alpn="h2" port=443 ipv4hint=127\.0\.0\.1' \
	"... and, with no DoH listener there, the others"
expect_answer_count 2 "... two records"

# config errors
cat >bad1.yaml <<'EOF2'
server:
  listen: [127.0.0.1@5399]
  https: {listen: [127.0.0.1@8443]}
EOF2
"$MEGDNS" -t -c bad1.yaml >bad.out 2>&1
assert_eq "$?" 2 "https without a certificate (its own or server.tls's): exit 2"
assert_match "$(cat bad.out)" "bad1\.yaml:3:[0-9]+: https needs a 'certificate'" "... FILE:LINE and why"
cat >bad2.yaml <<'EOF2'
server:
  https: {listen: [127.0.0.1@8443], path: dns-query, certificate: server.pem, key: server.key}
EOF2
"$MEGDNS" -t -c bad2.yaml >bad.out 2>&1
assert_eq "$?" 2 "a path that is not absolute: exit 2"
assert_match "$(cat bad.out)" "bad2\.yaml:2:[0-9]+: https.path must be an absolute URL path" "... FILE:LINE and why"
# a second megdns cannot take the DoH port (SO_REUSEPORT would let it share it silently)
cat >second.yaml <<'EOF2'
server:
  listen: [127.0.0.1@5399]
  https: {listen: [127.0.0.1@443], certificate: server.pem, key: server.key}
control: {socket: ""}
views: [{name: all}]
EOF2
timeout 5 "$MEGDNS" -c second.yaml >second.out 2>&1
rc=$?
assert_match "$rc" "^[12]$" "a second megdns on the same DoH port exits at start"
assert_match "$(cat second.out)" "listen tcp 127\.0\.0\.1@443: address already in use" "... saying why"
expect_alive
finish
