#!/usr/bin/env bash
# Out-of-the-box behaviour: the shipped config/megdns.yaml with the README's dig examples. It
# has no upstreams, so names that are not local data are resolved from the root with the
# built-in hints; this test runs in run.sh's private network namespace, where the real root
# servers cannot be reached (no packet leaves the machine): such names get a prompt SERVFAIL,
# and an idle megdns sends nothing at all.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$IT_DIR/../.." && pwd)

# 1. The shipped default config, as the README shows it (port 5353).
timeout 10 "$MEGDNS" -t -c "$REPO/config/megdns.yaml" >check.out 2>&1
assert_eq "$?" 0 "megdns -t -c config/megdns.yaml" "$(cat check.out)"
timeout 10 "$MEGDNS" -t -c "$REPO/config/example.yaml" >check.out 2>&1
assert_eq "$?" 0 "megdns -t -c config/example.yaml" "$(cat check.out)"
MPORT=5353
MEGDNS_CWD=/ start_megdns "$REPO/config/megdns.yaml"
expect_log "no upstreams configured: resolving from the root \(built-in hints, 13 servers\)" \
	"default config: resolves from the root with the built-in hints"
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
# Local data costs no query: an idle megdns (and one serving only local names) sends
# nothing, not at start either (RFC 8109 priming waits for the first name that needs it).
ctl_raw -c "$REPO/config/megdns.yaml" stats
for k in reply timeout error; do
	assert_eq "$(ctl_value "authoritative.$k")" 0 "local names only: no query to authoritative servers ($k)" "$CTL_OUT"
done
# A name from the root: the root servers cannot be reached from this namespace, so a prompt
# SERVFAIL with EDE 22 (No Reachable Authority), not a hang.
t0=$(now_ms)
dq +time=5 www.example.com. A
expect_status SERVFAIL "an unreachable root: SERVFAIL"
expect_ede 22 "an unreachable root: EDE 22"
assert_range "$(($(now_ms) - t0))" 0 3000 "an unreachable root: answered promptly (ms)" "$DQ"
ctl_raw -c "$REPO/config/megdns.yaml" stats
assert_match "$(ctl_value authoritative.error)" "^[1-9]" "the priming query was tried (an error: no route)" "$CTL_OUT"
dq nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "local data still answers"
# The config's comment: "build/megdns-control -c config/megdns.yaml status" (contrib/run.sh
# builds megdns-control beside megdns; it finds the socket through the config).
out=$(cd "$REPO" && timeout 10 "$MEGDNS_CONTROL" -c config/megdns.yaml status 2>&1)
assert_eq "$?" 0 "default config: megdns-control -c config/megdns.yaml status works" "$out"
assert_match "$out" "lan" "megdns-control status on the default config lists the views" "$out"
assert_match "$out" "recursion from the root \(built-in hints, 13 servers\)" "status says names are resolved from the root" "$out"
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

finish
