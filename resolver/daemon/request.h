/*
 * request.h -- the query pipeline: one client query from packet to reply.
 *
 * request.c is the only file that knows the order of the steps (DESIGN.md "How a query
 * flows") and the only one that answers clients: intake checks, view selection, the CHAOS
 * view query, the view's override data, the cache of the view's scope, and finally a fetch
 * (fetch.h). Everything up to the cache answers within the receive callback without
 * allocating; a miss becomes one request object per waiting client, which holds the client's
 * TCP connection until fetch.c calls it back. Those requests are bounded by
 * server.max-inflight, shared fairly among clients (util/inflight.h). The reply policy (bogus ->
 * SERVFAIL with its EDE, AD for DO/AD clients, a local CNAME chain in front) is applied in one
 * place for the cache and for fetches alike.
 */
#ifndef MEGDNS_REQUEST_H
#define MEGDNS_REQUEST_H

#include "daemon/fetch.h"
#include "daemon/server.h"
#include "daemon/stats.h"
#include "dns/cache.h"
#include "dns/msg.h"
#include "policy/state.h"
#include "util/inflight.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* What the pipeline works with: one per loop, owned by the worker, which fills it in. */
struct request_ctx {
	uv_loop_t *loop;
	struct state *state; /* the current state; the worker holds the reference */
	struct cache *cache;
	struct fetch_table *fetches;
	struct stats *stats;
	struct inflight *inflight; /* the requests waiting on fetches, per client */
	struct inflight *queue;    /* misses waiting for a slot (request.c), per client */
	struct negcache *negcache; /* validated NSEC ranges: answers without a fetch */
	uv_idle_t queue_idle;      /* starts queued misses once slots free */
	bool queue_idle_on;        /* queue_idle is initialised */
	uint64_t starts_ms;        /* uv_now of the iteration that started ... */
	unsigned starts;           /* ... this many fetches */
	bool stopping;             /* shutting down: queries are dropped */
	/* Scratch for answers built and sent within one callback (the cache-hit path). */
	uint8_t body[MSG_MAX_UDP];
	uint8_t reply[MSG_MAX_UDP + 512];
};

/*
 * server.h's query callback, ud a struct request_ctx: answer one query packet that arrived
 * from client c (now, or once its fetch is done).
 */
void request_query_cb(void *ud, const struct server_client *c, const uint8_t *pkt, size_t len);

/* Set up ctx for loop with the worker's parts; the scratch buffers are left as they are. */
void request_ctx_init(struct request_ctx *ctx, uv_loop_t *loop, struct state *state,
		      struct cache *cache, struct fetch_table *fetches, struct stats *stats);

/* Shutting down: drop the queued misses unanswered (requests on fetches end with them). */
void request_ctx_stop(struct request_ctx *ctx);

/* Free what ctx owns, after request_ctx_stop and the loop's last run, or before any query. */
void request_ctx_free(struct request_ctx *ctx);

#endif
