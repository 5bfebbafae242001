#!/usr/bin/env bash
# DNSSEC validation while resolving from the root (issue 11): t_dnssec.sh's signed tree and
# every one of its verdicts, with megdns iterating from the private root itself instead of
# forwarding to an iterator-only Unbound.
MEGDNS_DNSSEC_ITERATE=1
. "$(dirname "$0")/t_dnssec.sh"
