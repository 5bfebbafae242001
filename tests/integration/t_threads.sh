#!/usr/bin/env bash
# server.threads: 3 workers, each its own loop and SO_REUSEPORT sockets. Queries from many
# source ports (spread by the kernel over the workers) all get answers over UDP and TCP, each
# worker forwards and caches on its own, a reload reaches every worker, SIGTERM stops them all.
. "$(dirname "$0")/lib.sh"

{ zone_soa example.test.; for i in $(seq 1 40); do echo "n$i IN A 192.0.2.$i"; done; } >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone

cat >megdns.yaml <<'EOF2'
server:
  listen: [127.0.0.1@53]
  threads: 3
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: all
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
EOF2
start_megdns megdns.yaml
expect_log "3 thread\(s\)" "the log says 3 threads"
nthreads=$(ls "/proc/$MEGDNS_PID/task" | wc -l)
assert_eq "$nthreads" 4 "3 workers + the main thread"

# Every dig uses a fresh source port, so the kernel spreads them over the three sockets.
for i in $(seq 1 40); do
	dq "n$i.example.test." A
	expect_answer "192\.0\.2\.$i\$" "n$i over UDP (worker chosen by the kernel)"
done
for i in 1 2 3 4 5 6; do
	dq +tcp "n$i.example.test." A
	expect_answer "192\.0\.2\.$i\$" "n$i over TCP"
done

sed -i 's/192.168.1.10/192.168.1.11/' megdns.yaml
megdns_hup
ok=0
for i in $(seq 1 12); do
	dq nas.home.arpa. A
	printf '%s\n' "$DQ" | grep -q "192\.168\.1\.11" && ok=$((ok + 1))
done
assert_eq "$ok" 12 "after SIGHUP, every worker serves the new record (12 queries, fresh ports)"
finish
