#!/usr/bin/env bash
# Sockets per upstream query are bounded. Three upstreams answer fast (megdns learns short
# RTTs, so its retransmit timeouts are ~150 ms), then all three go silent: one query then
# keeps its earlier attempts listening until the 2.5 s deadline, but never more than three
# sockets at once (an outage must not cost 2n+1 fds per query).
. "$(dirname "$0")/lib.sh"

for i in 0 1 2; do start_fakedns "up$i" "127.0.0.4$i" 53 --mode answer; done
pids=$(cat "$T/pids")
cat >megdns.yaml <<'CONF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.40@53, 127.0.0.41@53, 127.0.0.42@53]
dnssec: {validation: false}
views:
  - name: all
CONF
start_megdns megdns.yaml
for n in $(seq 1 12); do dq "warm$n.example." A >/dev/null; done
expect_answer "192\.0\.2\.53\$" "the upstreams answer (RTTs learnt)"
for p in $pids; do stop_pid "$p" 1; done
for i in 0 1 2; do start_fakedns "down$i" "127.0.0.4$i" 53 --mode drop; done

sockets() { find "/proc/$MEGDNS_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
base=$(sockets)
t0=$(now_ms)
dig +tries=1 +time=4 -p "$MPORT" "@$MADDR" silent.example. A >dig.out 2>&1 &
digpid=$!
max=0
while kill -0 "$digpid" 2>/dev/null; do
	n=$(($(sockets) - base))
	[ "$n" -gt "$max" ] && max=$n
	sleep 0.02
done
note "query to three silent upstreams: at most $max extra sockets, answered after $(($(now_ms) - t0)) ms"
assert_range "$max" 1 3 "one query to three silent upstreams holds at most 3 sockets at once"
assert_match "$(cat dig.out)" "status: SERVFAIL" "...and gets SERVFAIL at its deadline" "$(cat dig.out)"
expect_alive "after the outage"
finish
