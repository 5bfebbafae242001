#!/usr/bin/env bash
# DNS over TLS to upstreams (ADDR@853#AUTH-NAME): Unbound as the DoT server, with a test CA
# made here with openssl and given to megdns as tls.ca-file. One kept connection carries many
# pipelined queries; it closes when idle and the next one resumes the TLS session; a server
# restarted is reconnected to. A certificate for another name and an expired one are refused:
# the query fails over to the next server (or SERVFAILs), never falls back to plain DNS, and
# the reason is in the log and in megdns-control status. Config errors are FILE:LINE, exit 2.
. "$(dirname "$0")/lib.sh"

start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99

make_test_ca
# sign NAME SAN-NAME [START END]: NAME.pem/NAME.key for SAN-NAME, signed by the test CA
mkdir -p cadb && : >cadb/index && echo 01 >cadb/serial
cat >ca.cnf <<'EOF2'
[ca]
default_ca = test
[test]
database = cadb/index
new_certs_dir = cadb
serial = cadb/serial
default_md = sha256
policy = any
x509_extensions = ext
default_days = 2
unique_subject = no
[any]
commonName = supplied
[ext]
subjectAltName = $ENV::SAN
EOF2
sign() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=$2" 2>/dev/null
	SAN="DNS:$2" openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
		${3:+-startdate "$3" -enddate "$4"} -in "$1.csr" -out "$1.pem" >"$1.ca.out" 2>&1 ||
		die "openssl ca: $(cat "$1.ca.out")"
}
sign good dot.test
sign wrong other.test
sign old dot.test 20200101000000Z 20200102000000Z

# dot_server NAME ADDR CERT: Unbound answering DoT on ADDR@853 with CERT, forwarding to fakedns
dot_server() {
	start_unbound "$1" "$2" 53 <<EOF2
	interface: $2@853
	tls-port: 853
	tls-service-pem: "$T/$3.pem"
	tls-service-key: "$T/$3.key"
	local-data: 'who.test. 60 IN TXT "$1"'
forward-zone:
	name: "."
	forward-addr: 127.0.0.30@53
EOF2
}
dot_server good 127.0.0.51 good
GOOD_PID=$UNBOUND_PID
dot_server wrong 127.0.0.52 wrong
dot_server old 127.0.0.53 old

cat >megdns.yaml <<EOF2
server:
  listen: [127.0.0.1@53]
  tcp-idle-timeout: 1
  query-log: true
tls:
  ca-file: ca.pem
upstreams: [127.0.0.51@853#dot.test]
forward-zones:
  - {name: wrong.example.net, upstreams: ["127.0.0.52@853#dot.test", "127.0.0.51#dot.test"]}
  - {name: old.example.net, upstreams: ["127.0.0.53#dot.test"]}
dnssec: {validation: false}
control: {socket: control.sock}
views: [{name: all}]
EOF2
start_megdns megdns.yaml

dq who.test. TXT
expect_answer '"good"' "a forwarded name is answered by the DoT server (ADDR@853#NAME, tls.ca-file)"
dq www.example.org. A
expect_answer "192\.0\.2\.99" "... and names it forwards on"
ctl status
expect_ctl_out "upstream 127\.0\.0\.51@853#dot\.test \(TLS, 1 handshakes, 0 resumed\): up" \
	"status: the server's TLS name, one handshake for both queries (the connection is kept)"

# pipelining: queries at once on the one connection, answered in any order
pids=
for i in $(seq 1 20); do
	dig +tries=1 +time=5 -p 53 @127.0.0.1 "n$i.example.org." A +short >"p$i.out" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
n=$(cat p*.out | grep -c '^192\.0\.2\.99$')
assert_eq "$n" 20 "20 queries at once: all answered"
ctl status
expect_ctl_out "127\.0\.0\.51@853#dot\.test \(TLS, 1 handshakes" "... over the same connection"
assert_match "$(cat "$T/unbound-good/unbound.log")" "n20\.example\.org\. A IN" "... which Unbound received over TLS"

# the connection closes when idle (tcp-idle-timeout 1 s); the next one resumes the session
sleep 2
dq idle.example.org. A
expect_answer "192\.0\.2\.99" "after the idle close, a new connection answers"
ctl status
expect_ctl_out "#dot\.test \(TLS, 2 handshakes, 1 resumed\)" "the second connection resumed the TLS session"

# a server restarted (the kept connection dies) is connected to again
stop_pid "$GOOD_PID"
dot_server good 127.0.0.51 good
GOOD_PID=$UNBOUND_PID
dq again.example.org. A
expect_answer "192\.0\.2\.99" "the server restarted: megdns connects again"

# a certificate for another name: refused, the next server answers, the reason is told
dq x.wrong.example.net. A
expect_answer "192\.0\.2\.99" "wrong name: the query fails over to the next server"
expect_log "upstream 127\.0\.0\.52@853#dot\.test: TLS certificate refused: hostname mismatch" \
	"wrong name: the log says why"
ctl status
expect_ctl_out "127\.0\.0\.52@853#dot\.test .*TLS certificate refused: hostname mismatch" \
	"wrong name: status says why"

# an expired certificate: refused, and with no other server, SERVFAIL (never plain DNS)
dq x.old.example.net. A
expect_status SERVFAIL "expired certificate: SERVFAIL, no plain fallback"
expect_log "upstream 127\.0\.0\.53@853#dot\.test: TLS certificate refused: certificate has expired" \
	"expired: the log says why"
ctl status
expect_ctl_out "127\.0\.0\.53@853#dot\.test .*certificate has expired" "expired: status says why"
assert_no_match "$(cat "$T/unbound-old/unbound.log")" "x\.old\.test" "the expired server got no query at all"

# without the test CA the system store does not know the server's issuer
sed 's/^  ca-file: ca.pem/  ca-file: good.pem/' megdns.yaml >megdns2.yaml
cp megdns2.yaml megdns.yaml
megdns_hup
dq nocache.example.org. A
expect_status SERVFAIL "another CA file at reload: the server's certificate no longer chains, SERVFAIL"
expect_log "127\.0\.0\.51@853#dot\.test: TLS certificate refused: (unable to get local issuer certificate|unable to verify)" \
	"... and the log says why"

# config errors
printf 'upstreams: ["127.0.0.1@853#"]\n' >bad1.yaml
"$MEGDNS" -t -c bad1.yaml >bad.out 2>&1
assert_eq "$?" 2 "an empty TLS name: exit 2"
assert_match "$(cat bad.out)" "bad1\.yaml:1:[0-9]+: .*after '#' comes the name" "... FILE:LINE and what is wrong"
printf 'upstreams: ["127.0.0.1@853#a.test"]\nforward-zones: [{name: x.test, upstreams: ["127.0.0.1@853"]}]\n' >bad2.yaml
"$MEGDNS" -t -c bad2.yaml >bad.out 2>&1
assert_eq "$?" 2 "one server written with and without a TLS name: exit 2"
assert_match "$(cat bad.out)" "bad2\.yaml:2:[0-9]+: .*reached one way" "... FILE:LINE and why"
printf 'tls: {ca-file: nowhere.pem}\nupstreams: ["127.0.0.1#a.test"]\n' >bad3.yaml
"$MEGDNS" -t -c bad3.yaml >bad.out 2>&1
assert_eq "$?" 2 "a CA file that cannot be read: exit 2"
assert_match "$(cat bad.out)" "bad3\.yaml:1:[0-9]+: tls.ca-file: .*nowhere\.pem" "... FILE:LINE and the file"
expect_alive
finish
