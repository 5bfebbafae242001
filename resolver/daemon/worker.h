/*
 * worker.h -- one event loop and everything it owns.
 *
 * A worker is the unit of the process model: one libuv loop on one thread with its own
 * listeners, cache, upstream pool and table of in-flight fetches, sharing no mutable state
 * with other workers. It serves from a reference to the current immutable state; reload hands
 * it a new state (the cache stays, only its bound follows the new config).
 */
#ifndef MEGDNS_WORKER_H
#define MEGDNS_WORKER_H

#include "daemon/request.h"
#include "dns/msg.h"
#include "policy/state.h"
#include "daemon/stats.h"

#include <stdbool.h>
#include <uv.h>

struct cache;
struct upstream_pool;
struct server;
struct fetch_table;
struct keycache;

struct worker {
	uv_loop_t *loop;
	struct state *state; /* one reference held */
	struct cache *cache;
	struct upstream_pool *pool;
	struct server *server;
	struct fetch_table *fetches;
	struct keycache *keycache; /* DNSSEC: validated zone keys */
	struct negcache *negcache; /* DNSSEC: validated NSEC ranges (RFC 8198) */
	struct stats stats;        /* counters, read by the main thread only through worker jobs */
	struct request_ctx rq;     /* what the query pipeline works with (points at the above) */
};

/*
 * Create a worker on loop serving state (the worker takes over the caller's reference) and
 * open its listeners. On error returns a negative errno with err set, and the caller keeps
 * its reference.
 */
int worker_new(uv_loop_t *loop, struct state *state, struct worker **out, char *err, size_t errlen);

/* Switch to a new state (takes over the reference); in-flight queries finish on the old. */
void worker_set_state(struct worker *w, struct state *state);

/* Stop accepting, drop in-flight queries and close every handle; the loop then ends. */
void worker_stop(struct worker *w);

/* Free a stopped worker after its loop has finished. NULL is a no-op. */
void worker_free(struct worker *w);

/* Milliseconds on the loop's clock (cache times). */
static inline uint64_t worker_now(const struct worker *w)
{
	return uv_now(w->loop);
}

#endif
