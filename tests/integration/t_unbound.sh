#!/usr/bin/env bash
# megdns in front of a real recursive resolver: Unbound iterates from a private root (NSD on
# 127.0.0.10 serving ".", delegating test. to NSD on 127.0.0.11), megdns forwards to Unbound
# and caches; per-view overrides still win over what the recursion finds.
. "$(dirname "$0")/lib.sh"

cat >root.zone <<'EOF'
$TTL 3600
.		IN SOA	a.root-servers.test. admin.root-servers.test. 1 3600 600 86400 300
.		IN NS	a.root-servers.test.
a.root-servers.test.	IN A	127.0.0.10
test.		IN NS	ns.test-servers.net.
ns.test-servers.net.	IN A	127.0.0.11
EOF
cat >test.zone <<'EOF'
$ORIGIN test.
$TTL 600
@ IN SOA ns.test-servers.net. admin.test. 1 3600 600 86400 60
@ IN NS ns.test-servers.net.
www.example IN A 192.0.2.80
alias.example IN CNAME www.example
nas.home IN A 198.51.100.80
EOF
start_nsd root 127.0.0.10 53 .:root.zone
start_nsd tld 127.0.0.11 53 test.:test.zone

printf '.\t3600000\tIN\tNS\ta.root-servers.test.\na.root-servers.test.\t3600000\tIN\tA\t127.0.0.10\n' >root.hints
start_unbound rec 127.0.0.20 53 <<EOF
	root-hints: "$T/root.hints"
	local-zone: "test." nodefault
EOF

dqs 127.0.0.20 53 nas.home.test. A
expect_answer "198\.51\.100\.80\$" "precondition: Unbound resolves nas.home.test from the private root"

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.20@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: lan
    records: ["nas.home.test. 300 IN A 192.168.1.10"]
EOF
start_megdns megdns.yaml

dq www.example.test. A
expect_answer "192\.0\.2\.80\$" "megdns -> Unbound -> root -> test.: www.example.test"
expect_flag ra "recursion available"
dq alias.example.test. A
expect_answer "CNAME[[:space:]]+www\.example\.test\." "CNAME from the recursion"
expect_answer "192\.0\.2\.80\$" "CNAME chain resolved by Unbound, passed on whole"
dq nx.example.test. A
expect_status NXDOMAIN "NXDOMAIN through Unbound"
expect_section AUTHORITY "SOA" "NXDOMAIN through Unbound has the SOA"
dq nas.home.test. A
expect_answer "192\.168\.1\.10\$" "the view's record overrides the recursion's answer (198.51.100.80)"
dq +tcp www.example.test. A
expect_answer "192\.0\.2\.80\$" "TCP client, cached answer"

# Cached in megdns: Unbound sees each name once.
dq www.example.test. A
n=$(grep -c 'www.example.test. A IN' "$T/unbound-rec/unbound.log")
assert_eq "$n" 1 "repeated queries are answered from megdns's cache (Unbound asked once)" "$(cat "$T/unbound-rec/unbound.log")"

finish
