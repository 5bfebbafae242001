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

#include "util/addr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct state;
struct threads;

/* What to explain; the strings point into the argv given to explain_parse. */
struct explain_args {
	struct addr client;
	struct addr dest;
	bool has_dest;
	const char *ifname;
	const char *name;
	uint16_t qtype;
};

/*
 * argv: "explain" CLIENT [--interface IF] [--destination ADDR] NAME [TYPE]. Fills *a and
 * returns 0, or writes the usage to out and returns -EINVAL. Pure.
 */
int explain_parse(int argc, char **argv, struct explain_args *a, FILE *out);

/*
 * Write the explanation of a to out, for the serving state st (the cache is asked in every
 * worker of th). 0, or -EINVAL with the reason in out.
 */
int explain_run(struct state *st, struct threads *th, const struct explain_args *a, FILE *out);

#endif
