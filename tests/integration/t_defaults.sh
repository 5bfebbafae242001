#!/usr/bin/env bash
# Out-of-the-box behaviour: the shipped config/megdns.yaml with the README's dig examples, and
# forwarding to /etc/resolv.conf's nameservers when no upstreams are configured, skipping
# megdns's own listen addresses (so a resolv.conf pointing at megdns itself cannot loop).
# /etc/resolv.conf is replaced by a bind mount inside run.sh's private mount namespace.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$IT_DIR/../.." && pwd)
{ zone_soa example.test.; echo "www IN A 192.0.2.1"; } >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
fake_resolv_conf

# 1. The shipped default config, as the README shows it (port 5353).
printf 'nameserver 127.0.0.10\n' >"$T/resolv.conf"
timeout 10 "$MEGDNS" -t -c "$REPO/config/megdns.yaml" >check.out 2>&1
assert_eq "$?" 0 "megdns -t -c config/megdns.yaml" "$(cat check.out)"
timeout 10 "$MEGDNS" -t -c "$REPO/config/example.yaml" >check.out 2>&1
assert_eq "$?" 0 "megdns -t -c config/example.yaml" "$(cat check.out)"
MPORT=5353
MEGDNS_CWD=/ start_megdns "$REPO/config/megdns.yaml"
expect_log "forwarding to the 1 nameserver" "default config: forwards to resolv.conf's nameserver"
dq nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "README: dig @127.0.0.1 -p 5353 nas.home.arpa -> 192.168.1.10 (lan)"
dq -b 127.0.0.2 nas.home.arpa. A
expect_answer "10\.100\.0\.10\$" "README: dig -b 127.0.0.2 nas.home.arpa -> 10.100.0.10 (wg)"
dq CH TXT view.megdns.
expect_answer '"lan"' "README: CH TXT view.megdns. -> lan"
dqs ::1 5353 CH TXT view.megdns.
expect_answer '"lan"' "::1 is in view lan too"
dq +norec nas.home.arpa. A
expect_flag aa "README: aa for override zones"
dq nope.home.arpa. A
expect_status NXDOMAIN "README: nope.home.arpa -> NXDOMAIN"
expect_section AUTHORITY "SOA" "README: NXDOMAIN + SOA"
dq files.home.arpa. A
expect_answer "CNAME[[:space:]]+nas\.home\.arpa\." "zone comment: files is a CNAME"
expect_answer "^nas\.home\.arpa\..*192\.168\.1\.10\$" "zone comment: the CNAME is followed in the zone"
dq printer.home.arpa. A
expect_answer "192\.168\.1\.20\$" "README zone: printer from lan-extra.inc"
dq -b 127.0.0.2 printer.home.arpa. A
expect_status NXDOMAIN "wg view: printer is LAN-only (NXDOMAIN)"
# The shipped config validates against the real root, which this namespace cannot reach:
# +cd shows the data forwarded from resolv.conf's nameserver, unvalidated.
dq +cd www.example.test. A
expect_answer "192\.0\.2\.1\$" "a forwarded name resolves via resolv.conf's nameserver (+cd)"
# The config's comment: "build/megdns-control -c config/megdns.yaml status" (contrib/run.sh
# builds megdns-control beside megdns; it finds the socket through the config).
out=$(cd "$REPO" && timeout 10 "$MEGDNS_CONTROL" -c config/megdns.yaml status 2>&1)
assert_eq "$?" 0 "default config: megdns-control -c config/megdns.yaml status works" "$out"
assert_match "$out" "lan" "megdns-control status on the default config lists the views" "$out"
stop_megdns
assert_eq "$MEGDNS_RC" 0 "default config: exit 0 on SIGTERM"
MPORT=53

# The README's first command, contrib/run.sh, builds megdns-control as well as megdns (the
# default config's comment tells the user to run it). Run on a copy of contrib/ with cmake
# replaced by a recorder and a stand-in build/megdns, so no real build happens here.
mkdir -p quick/shim
cp -r "$REPO/contrib" quick/
cat >quick/shim/cmake <<'SH'
#!/bin/sh
echo "cmake $*" >>"$QUICK_LOG"
mkdir -p build && printf '#!/bin/sh\necho "megdns started: $*"\n' >build/megdns && chmod +x build/megdns
SH
chmod +x quick/shim/cmake
out=$(cd quick && QUICK_LOG="$T/quick.log" PATH="$T/quick/shim:$PATH" timeout 60 bash contrib/run.sh 2>&1)
assert_eq "$?" 0 "contrib/run.sh (cmake recorded) runs to its end" "$out"
assert_match "$(cat quick.log)" "^cmake --build build .*--target megdns megdns-control" \
	"contrib/run.sh builds megdns-control beside megdns" "$(cat quick.log)"
assert_match "$out" "megdns started: -c config/megdns.yaml" "contrib/run.sh then starts megdns on the default config" "$out"

cfg() { # LISTEN-LIST
	cat >megdns.yaml <<EOF
server:
  listen: $1
dnssec: {validation: false}
views:
  - name: all
    records: ["x.home.arpa. 60 IN A 192.168.1.1"]
EOF
}
timed_dq() {
	local t0
	t0=$(now_ms)
	dq "$@"
	DQ_MS=$(($(now_ms) - t0))
}

# 2. resolv.conf lists megdns's own addresses first: they are skipped.
printf 'nameserver 127.0.0.1\nnameserver ::1\nnameserver 127.0.0.10\n' >"$T/resolv.conf"
cfg '[127.0.0.1@53, "::1@53"]'
start_megdns megdns.yaml
expect_log "forwarding to the 1 nameserver" "own listen addresses (127.0.0.1, ::1) skipped from resolv.conf"
timed_dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "resolved via the remaining nameserver"
assert_range "$DQ_MS" 0 500 "no detour through megdns itself (ms)" "$DQ"
stop_megdns

# 3. A wildcard listener: every local address on that port is megdns itself, not only loopback.
# (NSD moves to ::1, as 0.0.0.0@53 cannot be bound while NSD holds 127.0.0.10@53.)
stop_nsd up
start_nsd up6 ::1 53 example.test.:example.test.zone
ip addr add 10.55.0.1/32 dev lo
printf 'nameserver 127.0.0.53\nnameserver 10.55.0.1\nnameserver ::1\n' >"$T/resolv.conf"
cfg '[0.0.0.0@53]'
start_megdns megdns.yaml
expect_log "forwarding to the 1 nameserver" "0.0.0.0@53: 127.0.0.53 and the local 10.55.0.1 are megdns itself and skipped"
timed_dq www.example.test. A
expect_answer "192\.0\.2\.1\$" "wildcard listener: resolved via ::1"
assert_range "$DQ_MS" 0 500 "wildcard listener: answered without first querying itself (ms)" "$DQ"
stop_megdns
ip addr del 10.55.0.1/32 dev lo
stop_nsd up6

# 4. resolv.conf names only megdns itself: no loop, a prompt SERVFAIL, the daemon stays fine.
printf 'nameserver 127.0.0.1\n' >"$T/resolv.conf"
cfg '[127.0.0.1@53]'
start_megdns megdns.yaml
timed_dq +time=5 www.example.test. A
expect_status SERVFAIL "resolv.conf only points at megdns: SERVFAIL"
assert_range "$DQ_MS" 0 3000 "...promptly (ms)" "$DQ"
dq x.home.arpa. A
expect_answer "192\.168\.1\.1\$" "override data still served"
expect_alive "with no usable upstream"

finish
