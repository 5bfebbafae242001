#!/usr/bin/env bash
# SIGHUP reload: a changed zone file is served after the signal; a broken zone file or config
# is reported (file:line) and the old answers stay; a view added to the config takes effect;
# the cache survives every reload. A garbage config (the 2-byte file that made libfyaml spin,
# issue 8) fails the reload at once: megdns-control still answers and SIGTERM still works.
. "$(dirname "$0")/lib.sh"

{ zone_soa example.test.; echo "www IN A 192.0.2.1"; } >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
start_fakedns slow 127.0.0.30 53 --mode delay --delay 1.0

mkdir -p zones
write_home() { # ADDRESS [SERIAL]
	{
		zone_soa home.arpa. 300 3600 "${2:-1}"
		echo "nas IN A $1"
	} >zones/home.arpa.zone
}
write_home 192.168.1.10 1
cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
control: {socket: control.sock}
forward-zones:
  - name: slow.test.
    upstreams: [127.0.0.30@53]
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    zones: [zones/home.arpa.zone]
EOF
MEGDNS_READY_ARGS="-b 127.0.0.2" start_megdns megdns.yaml
L=(-b 127.0.0.2)

dq "${L[@]}" nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "initial zone answer"
dq "${L[@]}" www.example.test. A
expect_answer "192\.0\.2\.1\$" "forwarded name (now cached)"

# 1. Changed zone + SIGHUP -> new answer.
write_home 192.168.1.11 2
megdns_hup
got_new() { dq "${L[@]}" nas.home.arpa. A && dq_section ANSWER | grep -q '192\.168\.1\.11$'; }
wait_for 3 got_new
expect_answer "192\.168\.1\.11\$" "after editing the zone and SIGHUP the new address is served"
expect_log "reload" "the reload is logged"
expect_alive "after a good reload"

# 2. Broken zone + SIGHUP -> old answer kept, error with file:line logged.
{
	zone_soa home.arpa. 300 3600 3
	echo "nas IN A 192.168.1.12"
	echo "bad IN A 999.1.2.3" # line 7
} >zones/home.arpa.zone
lines_before=$(wc -l <"$MEGDNS_LOG")
megdns_hup
sleep 0.3
expect_alive "after a reload with a broken zone"
dq "${L[@]}" nas.home.arpa. A
expect_answer "192\.168\.1\.11\$" "broken zone: the previous answer (.11) is still served, not .12"
new_log=$(tail -n +"$((lines_before + 1))" "$MEGDNS_LOG")
assert_match "$new_log" "home\.arpa\.zone:7" "broken zone: the log names the file and line (home.arpa.zone:7)"
assert_match "$new_log" "error" "broken zone: logged as an error"

# 3. Broken YAML + SIGHUP -> old state kept, config error with file:line:col.
cp megdns.yaml megdns.yaml.good
write_home 192.168.1.13 4
cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: lan
    match-clients: [127.0.0.2/32
    zones: [zones/home.arpa.zone]
EOF
lines_before=$(wc -l <"$MEGDNS_LOG")
megdns_hup
sleep 0.3
expect_alive "after a reload with broken YAML"
dq "${L[@]}" nas.home.arpa. A
expect_answer "192\.168\.1\.11\$" "broken config: the previous state is still served"
new_log=$(tail -n +"$((lines_before + 1))" "$MEGDNS_LOG")
assert_match "$new_log" "megdns\.yaml:[0-9]+:[0-9]+:" "broken config: the log has megdns.yaml:LINE:COL"

# A config value error (not YAML syntax) is also refused.
sed 's|127.0.0.2/32|127.0.0.2/33|' megdns.yaml.good >megdns.yaml
lines_before=$(wc -l <"$MEGDNS_LOG")
megdns_hup
dq "${L[@]}" nas.home.arpa. A
expect_answer "192\.168\.1\.11\$" "bad prefix in the config: the previous state is still served"
new_log=$(tail -n +"$((lines_before + 1))" "$MEGDNS_LOG")
assert_match "$new_log" "megdns\.yaml:11:[0-9]+:" "bad prefix: the log has megdns.yaml:11:COL"

# 4. Fixed config with a new view -> both the zone change and the new view take effect.
cp megdns.yaml.good megdns.yaml
cat >>megdns.yaml <<'EOF'
  - name: guest
    match-clients: [127.0.0.3/32]
    records: ["nas.home.arpa. 60 IN A 10.0.0.3"]
    upstreams: [127.0.0.30@53]
EOF
dq -b 127.0.0.3 nas.home.arpa. A
expect_status REFUSED "before the reload 127.0.0.3 has no view"
megdns_hup
dq "${L[@]}" nas.home.arpa. A
expect_answer "192\.168\.1\.13\$" "fixed config: the pending zone change is now served"
dq -b 127.0.0.3 nas.home.arpa. A
expect_answer "10\.0\.0\.3\$" "a view added by the reload answers"
dq -b 127.0.0.3 CH TXT view.megdns.
expect_answer '"guest"' "the added view answers the view query"
dq +time=4 -b 127.0.0.3 www.example.test. A
expect_answer "192\.0\.2\.53\$" "the added view forwards to its own upstream (own cache scope)"

# 5. The cache survived all of this: with NSD gone the forwarded name is still answered.
stop_nsd up
dq "${L[@]}" www.example.test. A
expect_answer "192\.0\.2\.1\$" "cache survives reloads: www.example.test served with NSD stopped"
assert_range "$(dq_ttl ANSWER www.example.test. A)" 200 299 "its TTL kept counting down across reloads" "$DQ"

# 6. Reloads while queries wait upstream (1 s), and a burst of SIGHUPs: the queries are still
# answered, nothing crashes.
for i in 1 2 3 4 5; do
	dig +tries=1 +time=5 -p 53 @127.0.0.1 -b 127.0.0.2 "q$i.slow.test." A >"inflight$i.out" 2>&1 &
	track_pid $!
	inflight="${inflight:-} $!"
done
sleep 0.3
for i in $(seq 1 10); do
	kill -HUP "$MEGDNS_PID"
	sleep 0.05
done
# shellcheck disable=SC2086
wait $inflight
n=$(grep -l '192\.0\.2\.53' inflight*.out | wc -l)
assert_eq "$n" 5 "queries in flight across 10 reloads are all answered" "$(cat inflight1.out)"
dq "${L[@]}" nas.home.arpa. A
expect_answer "192\.168\.1\.13\$" "after the SIGHUP burst the current zone is served"

# 7. Issue 8: with the 2-byte config '%\xb4' the old parser (libfyaml) spun forever inside the
# main thread's SIGHUP handler: no control reply, SIGTERM ignored. The reload must fail at once.
printf '%%\xb4' >megdns.yaml
lines_before=$(wc -l <"$MEGDNS_LOG")
megdns_hup
new_log=$(tail -n +"$((lines_before + 1))" "$MEGDNS_LOG")
assert_match "$new_log" "reload failed.*megdns\.yaml:1:2: .*UTF-8" \
	"2-byte garbage config: the log has the error at megdns.yaml:1:2" "$new_log"
dq "${L[@]}" nas.home.arpa. A
expect_answer "192\.168\.1\.13\$" "2-byte garbage config: the previous state still answers"
ctl status
expect_ctl_rc 0 "2-byte garbage config: megdns-control status answers (main loop not stuck)"
expect_ctl_out '^config .*megdns\.yaml$' "2-byte garbage config: status shows the running config"

expect_alive "at the end"
stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "after the garbage reload SIGTERM still stops megdns with status 0" \
	"stopped after ${MEGDNS_STOP_MS} ms"
finish
