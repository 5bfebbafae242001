#!/usr/bin/env bash
# sd_notify without systemd: megdns runs with NOTIFY_SOCKET set to a unix datagram socket the
# test binds (python3, recording every datagram with the sender's PID from SCM_CREDENTIALS and
# the receive time on CLOCK_MONOTONIC). Expected: READY=1 once the sockets are bound (a query
# sent at once is answered), RELOADING=1 then READY=1 around SIGHUP, megdns-control reload and
# a failed reload, STOPPING=1 on SIGTERM; every datagram from megdns's main PID with a
# MONOTONIC_USEC= line close to the receive time. An abstract socket (@name) works too; a
# NOTIFY_SOCKET nobody listens on does not stop megdns from serving.
. "$(dirname "$0")/lib.sh"

# notify_listen PATH LOG: record datagrams sent to PATH ("@name": abstract) into LOG as
#   msg PID RECV_USEC <payload with newlines shown as |>
notify_listen() {
	python3 - "$1" "$2" <<'PY' &
import os, socket, struct, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + path[1:] if path.startswith("@") else path)
out = open(log, "a", buffering=1)
out.write("listening\n")
end = time.monotonic() + 100
s.settimeout(1)
while time.monotonic() < end:
    try:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    except socket.timeout:
        continue
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    pid = -1
    for level, kind, blob in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", blob[:12])[0]
    out.write("msg %d %d %s\n" % (pid, now, data.decode("utf-8", "replace").replace("\n", "|")))
PY
	NOTIFY_LISTENER=$!
	track_pid "$NOTIFY_LISTENER"
	wait_for 5 grep -q '^listening' "$2" 2>/dev/null || die "the notify listener did not start"
}
NLOG=$T/notify.log
# states: the payloads' state lines received so far, in order, one per line (MONOTONIC_USEC dropped).
states() { sed -n 's/^msg [-0-9]* [0-9]* //p' "$NLOG" | tr '|' '\n' | grep -v '^MONOTONIC_USEC=' | grep -v '^$'; }
n_states() { states | wc -l; }
# expect_states_after N "A B ..." DESC: the states after the first N are exactly A B ...
expect_states_after() {
	local got
	wait_for 3 test "$(n_states)" -ge "$(($1 + $(wc -w <<<"$2")))"
	got=$(states | tail -n +"$(($1 + 1))" | tr '\n' ' ')
	if [ "$got" = "$2 " ]; then ok "$3 ($2)"; else
		fail "$3: expected '$2', got '$got'; all datagrams:"
		indent <"$NLOG"
	fi
}

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
  threads: 2
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
control: {socket: control.sock}
views:
  - name: lan
    zones: [home.arpa.zone]
EOF
write_home() { { zone_soa home.arpa. 300 3600 "$2"; echo "nas IN A $1"; [ $# -lt 3 ] || echo "$3"; } >home.arpa.zone; }
write_home 192.168.1.10 1

notify_listen "$T/notify.sock" "$NLOG"

# Start by hand (not start_megdns): wait for READY=1 only, then query at once.
echo "=== megdns -c megdns.yaml (NOTIFY_SOCKET=$T/notify.sock)" >>"$MEGDNS_LOG"
MEGDNS_LOG_MARK=$(wc -l <"$MEGDNS_LOG")
NOTIFY_SOCKET=$T/notify.sock "$MEGDNS" -c megdns.yaml >>"$MEGDNS_LOG" 2>&1 &
MEGDNS_PID=$!
track_pid "$MEGDNS_PID"
if wait_for 10 grep -q 'READY=1' "$NLOG"; then ok "READY=1 arrives after the start"; else
	fail "no READY=1 within 10 s; datagrams:"
	indent <"$NLOG"
	indent <"$MEGDNS_LOG"
	die "cannot go on without READY=1"
fi
dig +tries=1 +time=1 -p 53 @127.0.0.1 nas.home.arpa. A >"$T/first.out" 2>&1
DQ=$(cat "$T/first.out")
DQ_CMD="dig +tries=1 +time=1 @127.0.0.1 nas.home.arpa. A (right after READY=1)"
expect_answer '192\.168\.1\.10$' "a query sent as soon as READY=1 arrived is answered (sockets bound before READY)"
expect_states_after 0 "READY=1" "the first and only datagram at start is READY=1"

# Every datagram: sent by megdns's main PID, with MONOTONIC_USEC= near the receive time.
check_datagrams() {
	local pid recv mono payload bad=0
	while read -r _ pid recv payload; do
		mono=$(tr '|' '\n' <<<"$payload" | sed -n 's/^MONOTONIC_USEC=\([0-9]*\)$/\1/p')
		if [ "$pid" != "$MEGDNS_PID" ]; then
			bad=1
			echo "      datagram from PID $pid, not megdns's main PID $MEGDNS_PID: $payload"
		fi
		if [ -z "$mono" ]; then
			bad=1
			echo "      datagram without a MONOTONIC_USEC= line: $payload"
		elif [ $((recv - mono)) -lt 0 ] || [ $((recv - mono)) -gt 2000000 ]; then
			bad=1
			echo "      MONOTONIC_USEC=$mono but received at $recv (CLOCK_MONOTONIC): $payload"
		fi
	done < <(grep '^msg ' "$NLOG")
	if [ "$bad" = 0 ]; then ok "$1"; else fail "$1"; fi
}
check_datagrams "READY=1: from megdns's main PID, with MONOTONIC_USEC= of the send time"

# SIGHUP: RELOADING=1, then READY=1 once the new state serves.
write_home 192.168.1.11 2
n=$(n_states)
kill -HUP "$MEGDNS_PID"
expect_states_after "$n" "RELOADING=1 READY=1" "SIGHUP: RELOADING=1 then READY=1"
dq nas.home.arpa. A
expect_answer '192\.168\.1\.11$' "after READY=1 the reloaded zone is served"

# megdns-control reload: the same.
write_home 192.168.1.12 3
n=$(n_states)
ctl reload
expect_ctl_rc 0 "megdns-control reload"
expect_states_after "$n" "RELOADING=1 READY=1" "megdns-control reload: RELOADING=1 then READY=1"

# A failed reload still ends with READY=1 (the old state serves on).
write_home 192.168.1.13 4 "bad IN A 999.1.2.3"
n=$(n_states)
ctl reload
expect_ctl_rc 1 "a reload with a broken zone fails"
expect_states_after "$n" "RELOADING=1 READY=1" "failed reload: RELOADING=1 then READY=1 (still serving)"
dq nas.home.arpa. A
expect_answer '192\.168\.1\.12$' "after the failed reload the old zone serves"
write_home 192.168.1.12 5

# SIGTERM: STOPPING=1 is the last datagram; megdns exits 0.
n=$(n_states)
stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "megdns exits 0 on SIGTERM"
sleep 0.2
expect_states_after "$n" "STOPPING=1" "SIGTERM: STOPPING=1, and nothing after it"
MEGDNS_PID=$(sed -n 's/^msg \([0-9]*\) .*READY=1.*/\1/p' "$NLOG" | head -n1) # for check_datagrams
check_datagrams "every datagram came from megdns's main PID with a MONOTONIC_USEC= line"
MEGDNS_PID=

# An abstract socket name (@...), as systemd may pass.
ABS=@megdns-it-notify-$$
notify_listen "$ABS" "$T/notify-abstract.log"
NOTIFY_SOCKET=$ABS start_megdns megdns.yaml
if wait_for 5 grep -q 'READY=1' "$T/notify-abstract.log"; then ok "READY=1 over an abstract NOTIFY_SOCKET ($ABS)"; else
	fail "no READY=1 over the abstract socket $ABS"
	indent <"$T/notify-abstract.log"
fi
stop_megdns TERM
wait_for 3 grep -q 'STOPPING=1' "$T/notify-abstract.log"
assert_match "$(cat "$T/notify-abstract.log")" 'STOPPING=1' "STOPPING=1 over the abstract socket"

# NOTIFY_SOCKET naming a socket nobody listens on: megdns starts, serves and stops anyway.
NOTIFY_SOCKET=$T/nobody-listens.sock start_megdns megdns.yaml
dq nas.home.arpa. A
expect_answer '192\.168\.1\.12$' "NOTIFY_SOCKET without a listener: megdns serves anyway"
kill -HUP "$MEGDNS_PID"
sleep 0.3
expect_alive "after SIGHUP with an unreachable NOTIFY_SOCKET"
finish
