/*
 * upstream_impl.h -- what the two files of the upstream client share (not for other modules).
 *
 * upstream.c sends queries and handles their attempts; upstream_server.c keeps the pool's
 * table of servers: what each one's past replies say (servsel.h), found by address through a
 * hash, bounded by forgetting the least recently used idle server the config does not name.
 */
#ifndef MEGDNS_UPSTREAM_IMPL_H
#define MEGDNS_UPSTREAM_IMPL_H

#include "daemon/upstream.h"
#include "resolve/servsel.h"

#define UPSTREAM_UDP_BUF 4096

#define UPSTREAM_MAX_KNOWN                                                                         \
	4096 /* servers remembered; then the least recently used idle one goes                     \
	      */
#define UPSTREAM_BUCKETS 1024
#define UPSTREAM_NONE    UINT32_MAX

struct upstream_server {
	struct addr addr;
	struct servsel sel;
	uint64_t queries, timeouts, errors;
	uint64_t used_ms; /* last planned into a query */
	uint64_t fail_ms; /* its last failure (loop time), 0: none */
	int fail_err;     /* ... what it was: -ETIMEDOUT, -EREMOTEIO (an error rcode), ... */
	unsigned refs;    /* queries that plan it and attempts that ask it */
	bool configured;  /* named by the config (upstream_pool_know): never forgotten */
	uint32_t next;    /* hash chain */
};

struct upstream_try;

struct upstream_pool {
	uv_loop_t *loop;
	uint8_t rnd[1024];               /* getrandom output, consumed two bytes per query ID */
	uint8_t rxbuf[UPSTREAM_UDP_BUF]; /* every attempt's UDP replies land here */
	size_t rnd_used;
	struct upstream_server *servers;
	size_t n_servers, cap;
	uint32_t buckets[UPSTREAM_BUCKETS]; /* server indices by address hash */
	struct addr out4, out6; /* server.outgoing-addresses: source of each family, if set */
	bool has_out4, has_out6;
	uint32_t timeout_ms;
	uint16_t edns_size;
	size_t active;
	struct upstream_try *probes; /* probes outliving their query */
	bool stopping;               /* no more background probes */
};

/* Index of a's record in the pool, adding it when new (the array may move). */
size_t upstream_server_index(struct upstream_pool *p, const struct addr *a);

/* s failed (its fault: a timeout, garbage) with err: hold it down, and note it. */
void upstream_server_failed(struct upstream_pool *p, struct upstream_server *s, int err);

/* s answered with an error rcode (err -EREMOTEIO): no hold-down, but its last failure. */
void upstream_server_note(struct upstream_pool *p, struct upstream_server *s, int err);

#endif
