#!/usr/bin/env bash
# contrib/blocklists/megdns-fetch-lists: each "NAME URL" line becomes DIR/NAME.txt (curl,
# here from file:// URLs: no network); a failed download keeps the old list and the exit
# status says so; a bad name is refused; megdns, watching the folder, loads the new list.
. "$(dirname "$0")/lib.sh"

FETCH=$IT_DIR/../../contrib/blocklists/megdns-fetch-lists
printf 'first.test\n' >src-ads.txt
printf '0.0.0.0 evil.test\n' >src-hosts.txt
mkdir lists
cat >lists.conf <<EOF2
# lists for megdns
ads file://$T/src-ads.txt
hosts file://$T/src-hosts.txt
EOF2
"$FETCH" lists.conf lists >fetch.out 2>&1
assert_eq "$?" 0 "the script fetches every list"
assert_eq "$(cat lists/ads.txt)" "first.test" "NAME URL becomes DIR/NAME.txt"
assert_match "$(cat fetch.out)" "ads: 1 lines from file://" "the script says what it fetched"

start_fakedns up 127.0.0.30 53 --mode answer --ip 192.0.2.99
cat >megdns.yaml <<'EOF2'
server: {listen: [127.0.0.1@53]}
upstreams: [127.0.0.30@53]
dnssec: {validation: false}
blocklists: [{name: ads, files: [lists/ads.txt, lists/hosts.txt]}]
views: [{name: all, blocklists: [ads]}]
EOF2
start_megdns megdns.yaml
dq first.test. A
expect_status NXDOMAIN "the fetched list blocks"

printf 'second.test\n' >src-ads.txt
"$FETCH" lists.conf lists >/dev/null 2>&1
if wait_for 5 sh -c "dig +tries=1 +time=1 @127.0.0.1 second.test. A | grep -q NXDOMAIN"; then
	ok "a list fetched again is loaded by megdns by itself"
else fail "second.test never blocked after the fetch"; fi

echo "ads file://$T/no-such-file" >lists.conf
echo "bad/name file://$T/src-ads.txt" >>lists.conf
"$FETCH" lists.conf lists >fetch2.out 2>&1
assert_eq "$?" 1 "a failed download: exit 1"
assert_eq "$(cat lists/ads.txt)" "second.test" "a failed download keeps the old list"
assert_match "$(cat fetch2.out)" "ads: download failed, the old list stays" "the failure is said"
assert_match "$(cat fetch2.out)" "bad list name 'bad/name'" "a list name with a slash is refused"
assert_eq "$(ls -A lists | grep -c '^\.')" 0 "no temporary file is left behind"
expect_alive
finish
