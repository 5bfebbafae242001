#!/usr/bin/env bash
# A client that matches no view gets REFUSED with Extended DNS Error 18 (Prohibited), over UDP
# and TCP, IPv4 and IPv6, for every kind of query; a client that matches still gets answers.
. "$(dirname "$0")/lib.sh"

cat >megdns.yaml <<'EOF'
server:
  listen: [127.0.0.1@53, "::1@53"]
upstreams: [127.0.0.10@53]
dnssec: {validation: false}   # unsigned test zones; t_dnssec covers validation
views:
  - name: lan
    match-clients: [127.0.0.2/32]
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
EOF
MEGDNS_READY_ARGS="-b 127.0.0.2" start_megdns megdns.yaml

dq -b 127.0.0.2 nas.home.arpa. A
expect_answer "192\.168\.1\.10" "client 127.0.0.2 (view lan) is answered"

for src in 127.0.0.9 127.0.0.1 127.1.2.3; do
	dq -b "$src" nas.home.arpa. A
	expect_status REFUSED "client $src matches no view: nas.home.arpa A"
	expect_ede 18 "client $src: REFUSED carries EDE 18"
	expect_out "EDE: 18 \(Prohibited\)" "client $src: dig shows 'EDE: 18 (Prohibited)'"
	expect_answer_count 0 "client $src: REFUSED has no answer"
done

dq -b 127.0.0.9 +tcp nas.home.arpa. A
expect_status REFUSED "no view, over TCP"
expect_ede 18 "no view, over TCP"

dqs ::1 53 nas.home.arpa. A
expect_status REFUSED "IPv6 client ::1 matches no view"
expect_ede 18 "IPv6 client ::1"

dq -b 127.0.0.9 CH TXT view.megdns.
expect_status REFUSED "the view query from a client without a view"
expect_no_answer_match "TXT" "no view name disclosed to a client without a view"

dq -b 127.0.0.9 www.example.test. A
expect_status REFUSED "a forwardable name is not resolved for a client without a view"

dq -b 127.0.0.9 +noedns nas.home.arpa. A
expect_status REFUSED "no view, query without EDNS"
expect_no_out "OPT PSEUDOSECTION" "no OPT record in the reply to a query without EDNS"

finish
