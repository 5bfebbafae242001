#!/usr/bin/env bash
# Malformed records from an upstream reach the validator: a CNAME with empty rdata (found by
# fuzz_validate) aborted megdns inside ldns. The answer must be SERVFAIL with EDE 6 (DNSSEC
# Bogus: a malformed message cannot be validated), and megdns must keep serving.
. "$(dirname "$0")/lib.sh"

start_fakedns cut 127.0.0.30 53 --mode emptycname
cat >megdns.yaml <<'CONF'
server:
  listen: [127.0.0.1@53]
upstreams: [127.0.0.30@53]
dnssec: {validation: true}    # the built-in root anchor; the answer fails before any key fetch
views:
  - name: all
    records: ["nas.home.arpa. 300 IN A 192.168.1.10"]
CONF
start_megdns megdns.yaml

dq www.example.org. A
expect_status SERVFAIL "a CNAME without rdata from the upstream is refused"
expect_ede 6 "the reply says why: the answer is bogus"
expect_alive "after the malformed upstream answer"
dq nas.home.arpa. A
expect_answer "192\.168\.1\.10\$" "local data still answered afterwards"
dq mail.example.org. MX
expect_status SERVFAIL "a second malformed answer (another name and type) is refused too"
expect_alive "after the second malformed answer"

finish
