/*
 * explain.h -- megdns-control explain: why a client gets the answer it gets.
 *
 * For a client address (and optionally the interface and local address the query would
 * arrive on) and a name, explain walks the same steps as the pipeline and says what each one
 * decides: which view matches and by which criterion (and why earlier views do not), whether
 * the view's override data answers (with the records), whether each worker's cache holds the
 * answer and with which DNSSEC status, and which upstreams would be asked and by which rule.
 * It changes nothing.
 */
#ifndef MEGDNS_EXPLAIN_H
#define MEGDNS_EXPLAIN_H

#include "control.h"

#include <stdio.h>

/* argv: "explain" CLIENT [--interface IF] [--destination ADDR] NAME [TYPE]. 0 or -1. */
int explain_run(const struct control_host *h, int argc, char **argv, FILE *out);

#endif
