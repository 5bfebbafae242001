/*
 * upstream.h -- send one question to a list of upstream servers and get one checked reply.
 *
 * Each attempt uses a fresh UDP socket (random source port from the kernel) and a random ID;
 * a reply is accepted only from the server's address and port, with the same ID and question,
 * and well-formed throughout; anything else is ignored. A truncated reply is retried over TCP
 * to the same server. Attempts fail over across the servers, best first: the pool keeps a
 * smoothed RTT per server (RFC 6298 style) and puts servers that recently timed out or
 * refused last, probing them again after a hold-down. One pool belongs to one loop.
 */
#ifndef MEGDNS_UPSTREAM_H
#define MEGDNS_UPSTREAM_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct upstream_pool;
struct upstream_query;

/*
 * Result of a query: status 0 with the reply (valid only during the call), or -ETIMEDOUT when
 * no server answered in time, or another negative errno (refused, unreachable, only error
 * replies) with reply NULL.
 */
typedef void (*upstream_cb)(void *ud, int status, const uint8_t *reply, size_t len);

/* A pool for loop; timeout_ms bounds one attempt, edns_size is advertised upstream. */
struct upstream_pool *upstream_pool_new(uv_loop_t *loop, uint32_t timeout_ms, uint16_t edns_size);

/* Free the pool; all its queries must have finished or been cancelled. NULL is a no-op. */
void upstream_pool_free(struct upstream_pool *p);

/* Change the attempt timeout (reload). */
void upstream_pool_set_timeout(struct upstream_pool *p, uint32_t timeout_ms);

/* Description of one question to ask. */
struct upstream_question {
	const uint8_t *lname; /* lower-case wire, copied */
	size_t lname_len;
	uint16_t qtype;
	uint16_t qclass;
	bool do_bit;
	bool cd;
};

/*
 * Ask the servers (servers[0..n), which must stay valid until the callback) the question.
 * On success returns 0, stores a handle in *out (for upstream_cancel) and will call cb exactly
 * once. On failure (n == 0, no memory) returns a negative errno and never calls cb.
 */
int upstream_resolve(struct upstream_pool *p, const struct addr *servers, size_t n,
		     const struct upstream_question *qn, upstream_cb cb, void *ud,
		     struct upstream_query **out);

/* Stop a query; its callback is not called. */
void upstream_cancel(struct upstream_query *q);

/* Make a configured server known to the pool before its first use (status shows it). */
void upstream_pool_know(struct upstream_pool *p, const struct addr *a);

/* What the pool knows of one server, for status and metrics. */
struct upstream_stats {
	struct addr addr;
	bool known;        /* has answered */
	bool down;         /* in hold-down after timeouts or errors */
	uint32_t srtt_us;  /* smoothed RTT */
	uint64_t queries;  /* attempts sent */
	uint64_t timeouts; /* attempts that timed out */
	uint64_t errors;   /* attempts refused, unreachable or answered with an error rcode */
};

/* Fill out[0..max) with the pool's servers; returns how many there are. */
size_t upstream_pool_stats(const struct upstream_pool *p, struct upstream_stats *out, size_t max);

/* Number of queries in progress (for shutdown and stats). */
size_t upstream_pool_active(const struct upstream_pool *p);

#endif
