#!/usr/bin/env bash
# SIGTERM and SIGINT: megdns exits with status 0 within 2 s, also while queries wait on an
# upstream that never answers and TCP clients hold connections open; the port is free after.
. "$(dirname "$0")/lib.sh"

start_fakedns hole 127.0.0.30 53 --mode drop
cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, "::1@53"]
  upstream-timeout: 10000
  tcp-idle-timeout: 60
upstreams: [127.0.0.30@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: all
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
EOF

# load: 30 UDP and 5 TCP queries that cannot be answered soon, plus 5 idle TCP connections.
load() {
	local i
	for i in $(seq 1 30); do
		dig +tries=1 +time=15 -p 53 @127.0.0.1 "q$i.$1.example.test." A >/dev/null 2>&1 &
		track_pid $!
	done
	for i in $(seq 1 5); do
		dig +tcp +tries=1 +time=15 -p 53 @127.0.0.1 "t$i.$1.example.test." A >/dev/null 2>&1 &
		track_pid $!
	done
	python3 -c '
import socket, time
c = [socket.create_connection(("127.0.0.1", 53)) for _ in range(5)]
time.sleep(30)' >/dev/null 2>&1 &
	HOLDER=$!
	track_pid $HOLDER
	wait_for 5 in_flight "$1"
}
in_flight() { [ "$(grep -c "\.$1\.example\.test\." "$T/fakedns-hole.log")" -ge 30 ]; }

for sig in TERM INT; do
	start_megdns megdns.yaml
	dq nas.home.arpa. A
	expect_answer "192\.168\.1\.10" "SIG$sig round: megdns answers"
	load "${sig,,}"
	n=$(grep -c "\.${sig,,}\.example\.test\." "$T/fakedns-hole.log")
	assert_range "$n" 30 1000 "SIG$sig round: queries are in flight at the black-hole upstream"
	stop_megdns "$sig"
	assert_eq "$MEGDNS_RC" 0 "SIG$sig with queries in flight: exit status"
	assert_range "$MEGDNS_STOP_MS" 0 2000 "SIG$sig with queries in flight: gone within 2 s (ms)"
	stop_pid "$HOLDER" 1
	# The listening port is free again.
	if python3 -c '
import socket
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(fam, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 53))
        s.close()' 2>port.err; then
		ok "SIG$sig: port 53 is free after exit"
	else
		fail "SIG$sig: port 53 still in use after exit: $(cat port.err)"
	fi
done
expect_log "stop" "the stop is logged"

# An idle daemon stops at once.
start_megdns megdns.yaml
stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "SIGTERM when idle: exit status"
assert_range "$MEGDNS_STOP_MS" 0 1000 "SIGTERM when idle: gone within 1 s (ms)"

# SIGHUP does not stop it; SIGTERM afterwards still does.
start_megdns megdns.yaml
kill -HUP "$MEGDNS_PID"
sleep 0.5
expect_alive "after SIGHUP"
dq nas.home.arpa. A
expect_answer "192\.168\.1\.10" "answers after SIGHUP"
finish
