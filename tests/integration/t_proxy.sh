#!/usr/bin/env bash
# The real client through a proxy: server.proxy-protocol listeners take the client's address
# from a PROXY header. haproxy (send-proxy-v2, send-proxy) carries dig's TCP queries, a small
# sender writes PROXY v2 datagrams; the carried address picks the view and shows in the query
# log. A header from a sender outside proxy-protocol.from, a datagram or connection without a
# header, and a malformed one are dropped or closed and counted; a LOCAL header (haproxy's
# health check) stands for the proxy itself; the plain listener ignores PROXY bytes.
. "$(dirname "$0")/lib.sh"

command -v haproxy >/dev/null || die "haproxy is missing: apt-get install -y haproxy"
start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99
cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53]
  query-log: true
  proxy-protocol:
    listen: [127.0.0.1@5301]
    from: [127.0.0.1/32]
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
control: {socket: control.sock}
metrics: {listen: 127.0.0.1@9153}
views:
  - name: lan
    match-clients: [192.168.1.0/24]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
  - name: wg
    match-clients: [10.100.0.0/24]
    records: ["nas.home.arpa. 300 IN A 10.100.0.20"]
  - name: local
    match-clients: [127.0.0.0/8]
    records: ["nas.home.arpa. 300 IN A 127.0.0.99"]
EOF2
start_megdns megdns.yaml

# haproxy on loopback: two frontends carry TCP to the PROXY listener, v2 and v1
cat >haproxy.cfg <<EOF2
global
	maxconn 100
defaults
	mode tcp
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend v2
	bind 127.0.0.50:5300
	default_backend megdns_v2
frontend v1
	bind 127.0.0.51:5300
	default_backend megdns_v1
backend megdns_v2
	server m 127.0.0.1:5301 send-proxy-v2
backend megdns_v1
	server m 127.0.0.1:5301 send-proxy
EOF2
haproxy -f haproxy.cfg -db >haproxy.log 2>&1 &
track_pid $!
wait_for 5 sh -c "ss -ltn | grep -q 127.0.0.51:5300" || die "haproxy did not start: $(cat haproxy.log)"

# dig from a source address that names the view, through haproxy (it adds the header)
via() { DQ=$(dig +tries=1 +time=2 +tcp -b "$1" -p 5300 "@$2" nas.home.arpa. A 2>&1); }
lo_addr() { ip addr add "$1/32" dev lo 2>/dev/null || true; }
lo_addr 192.168.1.70
lo_addr 10.100.0.7
via 192.168.1.70 127.0.0.50
expect_answer "192\.168\.1\.10" "haproxy PROXY v2 over TCP: the carried client picks view lan"
via 10.100.0.7 127.0.0.50
expect_answer "10\.100\.0\.20" "haproxy PROXY v2: another client, view wg"
via 192.168.1.70 127.0.0.51
expect_answer "192\.168\.1\.10" "haproxy PROXY v1 over TCP: the carried client picks view lan"
expect_log "192\.168\.1\.70.* nas\.home\.arpa\. A" "the query log shows the carried client, not the proxy"

# UDP: a small sender writes PROXY v2 datagrams (as frp does) from 127.0.0.1
udp() { # SRC-IP [bad|local|none]: prints the answer's first A address, or "-"
	python3 - "$1" "${2:-}" <<'PY'
import socket, struct, sys
src, how = sys.argv[1], sys.argv[2]
q = bytes.fromhex("beef01000001000000000000036e617304686f6d6504617270610000010001")
sig = b"\r\n\r\n\x00\r\nQUIT\n"
addrs = socket.inet_aton(src) + socket.inet_aton("203.0.113.5") + struct.pack(">HH", 40000, 53)
hdr = sig + b"\x21\x12" + struct.pack(">H", len(addrs)) + addrs
if how == "bad":
    hdr = sig + b"\x31\x12" + struct.pack(">H", len(addrs)) + addrs  # version 3
elif how == "local":
    hdr = sig + b"\x20\x00\x00\x00"
elif how == "none":
    hdr = b""
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(1.5)
s.sendto(hdr + q, ("127.0.0.1", 5301))
try:
    d = s.recv(4096)
    print(".".join(str(b) for b in d[-4:]))
except socket.timeout:
    print("-")
PY
}
assert_eq "$(udp 192.168.1.70)" "192.168.1.10" "PROXY v2 over UDP: the carried client picks view lan"
assert_eq "$(udp 10.100.0.9)" "10.100.0.20" "PROXY v2 over UDP: view wg"
assert_eq "$(udp 192.168.1.70 local)" "127.0.0.99" "a LOCAL header: the proxy itself is the client"
assert_eq "$(udp 192.168.1.70 bad)" "-" "a malformed header: the datagram is dropped"
assert_eq "$(udp 192.168.1.70 none)" "-" "no header on a PROXY listener: dropped"
# the plain listener takes no header: a PROXY datagram there is no query
dq -b 127.0.0.1 nas.home.arpa. A
expect_answer "127\.0\.0\.99" "the plain listener's clients are who they are"

# a sender outside proxy-protocol.from: its header is not believed, nothing is answered
lo_addr 127.0.0.77
out=$(dig +tries=1 +time=1 +tcp -b 127.0.0.77 -p 5301 @127.0.0.1 nas.home.arpa. A 2>&1)
assert_match "$out" "communications error|connection reset|timed out|end of file|no servers" "TCP from outside proxy-protocol.from is closed"
tcp_raw() { # BYTES (a Python literal): what megdns sends back before it closes ("closed N")
	python3 - "$1" <<'PY'
import ast, socket, sys
s = socket.create_connection(("127.0.0.1", 5301), timeout=3)
s.sendall(ast.literal_eval(sys.argv[1]))
got = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
    print("closed", len(got))
except socket.timeout:
    print("open", len(got))
PY
}
assert_eq "$(tcp_raw "b'GET / HTTP/1.0\\r\\n\\r\\n'")" "closed 0" "TCP with no PROXY header is closed without an answer"
assert_eq "$(tcp_raw "b'PROXY TCP4 1.2.3.4\\r\\n'")" "closed 0" "TCP with a malformed v1 header is closed"

m=$(curl -s http://127.0.0.1:9153/metrics)
assert_match "$m" 'megdns_proxy_rejected_total\{reason="sender"\} [1-9]' "metrics count headers from senders outside from"
assert_match "$m" 'megdns_proxy_rejected_total\{reason="header"\} [3-9]' "metrics count missing and malformed headers"
assert_match "$m" 'megdns_queries_total\{view="lan"' "the carried clients are counted in their view"

ctl explain 192.168.1.70 nas.home.arpa
expect_ctl_out "^through the PROXY listener\(s\) 127\.0\.0\.1@5301, a query is this client when its PROXY header names it \(senders: 127\.0\.0\.1/32\)" "explain says how a proxied query becomes this client"
expect_ctl_out "view lan:" "explain: the carried address's view"

# proxy-protocol without from is refused at start
cat >bad.yaml <<'EOF2'
server:
  proxy-protocol:
    listen: [127.0.0.1@5302]
views: [{name: all}]
EOF2
"$MEGDNS" -t -c bad.yaml >bad.out 2>&1
assert_eq "$?" 2 "proxy-protocol without from: exit 2"
assert_match "$(cat bad.out)" "bad.yaml:3:[0-9]+: proxy-protocol needs 'from'" "proxy-protocol without from: FILE:LINE says why"
expect_alive
finish
