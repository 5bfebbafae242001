#!/usr/bin/env bash
# server.user: started as root, megdns binds port 53 and then becomes that user (every thread,
# its groups, no capabilities left); it still answers on port 53 over UDP and TCP, forwards,
# reloads (SIGHUP and megdns-control); a user that does not exist stops it at start with a
# message. Needs real root with uid "nobody" mapped (skipped in an `unshare -r` run).
. "$(dirname "$0")/lib.sh"

NOBODY_UID=$(getent passwd nobody | cut -d: -f3)
NOBODY_GID=$(getent passwd nobody | cut -d: -f4)
[ -n "$NOBODY_UID" ] || die "no user nobody in the passwd database"
mapped=$(awk -v u="$NOBODY_UID" '$1 <= u && u < $1 + $3 { print "yes" }' /proc/self/uid_map)
if [ "$(id -u)" -ne 0 ] || [ "$mapped" != yes ]; then
	echo "SKIP: needs root with uid $NOBODY_UID mapped (uid_map: $(tr -s ' ' </proc/self/uid_map))"
	finish
fi
# The dropped daemon must read its config and zones on reload: the test folder is 0700.
chmod 755 "$T"

{ zone_soa example.test.; echo "www IN A 192.0.2.1"; } >example.test.zone
start_nsd up 127.0.0.10 53 example.test.:example.test.zone
mkdir -p zones
write_home() { { zone_soa home.arpa. 300 3600 "$2"; echo "nas IN A $1"; } >zones/home.arpa.zone; }
write_home 192.168.1.10 1
cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, "::1@53"]
  threads: 2
  user: nobody
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
control: {socket: control.sock}
views:
  - name: lan
    match-clients: [127.0.0.0/8, "::1"]
    zones: [zones/home.arpa.zone]
EOF
start_megdns megdns.yaml
expect_log "running as user nobody \\(uid $NOBODY_UID\\)" "the log says megdns became nobody"

user=$(ps -o user= -p "$MEGDNS_PID" | tr -d ' ')
assert_match "$user" "^(nobody|$NOBODY_UID)\$" "ps: megdns runs as nobody"
status=$(cat "/proc/$MEGDNS_PID/status")
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$status")
assert_eq "$uids" "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" "/proc/PID/status Uid (real, effective, saved, fs)"
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' <<<"$status")
assert_eq "$gids" "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" "/proc/PID/status Gid: nobody's group"
groups=$(awk '/^Groups:/ { $1 = ""; print }' <<<"$status")
assert_no_match " $groups " ' 0 ' "root's group is not kept among the supplementary groups ($groups)"
assert_eq "$(awk '/^CapEff:/ { print $2 }' <<<"$status")" 0000000000000000 "no effective capabilities left"
assert_eq "$(awk '/^CapPrm:/ { print $2 }' <<<"$status")" 0000000000000000 "no permitted capabilities left"
bad=0
for task in /proc/"$MEGDNS_PID"/task/*; do
	u=$(awk '/^Uid:/ { print $3 }' "$task/status")
	[ "$u" = "$NOBODY_UID" ] || { bad=$((bad + 1)); echo "      task $(basename "$task") has euid $u"; }
done
assert_eq "$bad" 0 "every thread (2 workers + main) runs as nobody"

dq -b 127.0.0.2 nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "as nobody it still answers on port 53 (UDP)"
dq -b 127.0.0.2 +tcp nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "as nobody it still answers on port 53 (TCP)"
dqs ::1 53 nas.home.arpa. A
expect_answer '192\.168\.1\.10$' "as nobody it still answers on [::1]:53"
dq -b 127.0.0.2 www.example.test. A
expect_answer '192\.0\.2\.1$' "as nobody it forwards to NSD (new upstream sockets)"

write_home 192.168.1.11 2
megdns_hup
dq -b 127.0.0.2 nas.home.arpa. A
expect_answer '192\.168\.1\.11$' "SIGHUP as nobody: the edited zone is served"
write_home 192.168.1.12 3
ctl reload
expect_ctl_rc 0 "megdns-control reload (root client, daemon as nobody)"
dq -b 127.0.0.2 nas.home.arpa. A
expect_answer '192\.168\.1\.12$' "megdns-control reload as nobody: the edited zone is served"
ctl status
expect_ctl_rc 0 "megdns-control status"
assert_eq "$(awk '/^Uid:/ { print $3 }' "/proc/$MEGDNS_PID/status")" "$NOBODY_UID" "still nobody after the reloads"

# A zone nobody may not read: the reload fails, with the reason, and the old zone stays.
chmod 600 zones/home.arpa.zone
ctl reload
expect_ctl_rc 1 "reload of a zone file that nobody cannot read"
expect_ctl_err 'home\.arpa\.zone.*([Pp]ermission denied|cannot|open)' "unreadable zone: the file and reason"
dq -b 127.0.0.2 nas.home.arpa. A
expect_answer '192\.168\.1\.12$' "unreadable zone: the previous zone still serves"
chmod 644 zones/home.arpa.zone

stop_megdns TERM
assert_eq "$MEGDNS_RC" 0 "megdns (as nobody) exits 0 on SIGTERM"
dq nas.home.arpa. A
expect_no_out 'status: ' "port 53 is free after the stop"

# server.user that does not exist: exit non-zero at start, with a message, nothing listening.
sed 's/user: nobody/user: megdns-no-such-user/' megdns.yaml >nouser.yaml
out=$(timeout 10 "$MEGDNS" -c nouser.yaml 2>&1)
rc=$?
assert_range "$rc" 1 123 "server.user that does not exist: megdns exits non-zero" "$out"
assert_match "$out" "megdns-no-such-user" "server.user that does not exist: the message names the user"
assert_match "$out" "no such user" "server.user that does not exist: says there is no such user"
dq nas.home.arpa. A
expect_no_out 'status: ' "after that failed start nothing answers on port 53"

# Port 53 without root: the bare "Permission denied" used to read like a file problem.
out=$(timeout 10 setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
	"$MEGDNS" -c nouser.yaml 2>&1)
rc=$?
assert_range "$rc" 1 123 "port 53 as nobody (no capability): megdns exits non-zero" "$out"
assert_match "$out" "listen udp 127\.0\.0\.1@53: Permission denied \(a port below 1024 needs root or CAP_NET_BIND_SERVICE.*port above 1023\)" \
	"port 53 without root: the message says root, CAP_NET_BIND_SERVICE or a port above 1023" "$out"

# A control socket in a folder that does not exist (/run/megdns before systemd made it):
# libuv calls it "permission denied"; the log says the folder is missing.
sed -e 's|socket: control.sock|socket: no-such-dir/control.sock|' \
	megdns.yaml >nodir.yaml
start_megdns nodir.yaml
expect_log "control socket .*no-such-dir/control\.sock: the folder .*no-such-dir does not exist" \
	"control socket in a missing folder: the log says the folder does not exist"
stop_megdns TERM
finish
