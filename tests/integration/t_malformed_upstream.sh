#!/usr/bin/env bash
# Malformed records from an upstream: a CNAME with empty rdata (found by fuzz_validate) once
# aborted megdns inside ldns, and without validation it would have been relayed to clients,
# who cannot parse it. A reply with a record cut short is no usable reply: SERVFAIL with
# EDE 23 (Network Error), with validation on and off, and megdns keeps serving.
. "$(dirname "$0")/lib.sh"

start_fakedns cut 127.0.0.30 53 --mode emptycname
for validation in true false; do
	cat >megdns.yaml <<CONF
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.30@53]
dnssec: {validation: $validation}
views:
  - name: all
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
CONF
	start_megdns megdns.yaml
	dq www.example.org. A
	expect_status SERVFAIL "validation $validation: a CNAME without rdata from the upstream is refused"
	expect_ede 23 "validation $validation: the reply says the upstream failed"
	expect_no_answer_match "CNAME" "validation $validation: the cut record never reaches the client"
	expect_alive "after the malformed upstream answer (validation $validation)"
	dq nas.home.arpa. A
	expect_answer "192\.168\.1\.10\$" "validation $validation: local data still answered afterwards"
	dq mail.example.org. MX
	expect_status SERVFAIL "validation $validation: a second malformed answer (another name and type) is refused too"
	expect_alive "after the second malformed answer (validation $validation)"
	stop_megdns
	assert_eq "$MEGDNS_RC" 0 "validation $validation: megdns exits 0 on SIGTERM"
done

finish
