/*
 * threads.h -- the process model: N workers, each a libuv loop on its own thread.
 *
 * Every worker owns its listeners (SO_REUSEPORT sockets on the same addresses, so the kernel
 * spreads clients across them), its cache shard (cache.size / N), its upstream pool and its
 * fetches: the query path takes no locks. The main thread only handles signals; it hands a
 * reloaded state to every worker and stops them through uv_async, the one thread-safe libuv
 * call, with the state pointer passed in an atomic slot.
 */
#ifndef MEGDNS_THREADS_H
#define MEGDNS_THREADS_H

#include "policy/state.h"

#include <stddef.h>

struct threads;

/*
 * Create cfg->threads workers serving state (each takes its own reference; the caller keeps
 * its own), open their listeners and start their threads. On error returns a negative errno
 * with err set and nothing running.
 */
int threads_start(struct threads **out, struct state *state, char *err, size_t errlen);

/* Hand a new state to every worker (each takes its reference). The caller keeps its own. */
void threads_set_state(struct threads *t, struct state *state);

/* Number of workers. */
size_t threads_count(const struct threads *t);

/*
 * Run fn(w, index, arg) in each worker's own thread, one worker after the other, and return
 * when all have run (a worker that does not answer within 2 s is skipped: -ETIMEDOUT). This is
 * how the control socket and the metrics read or change what only a worker may touch.
 */
struct worker;
int threads_each(struct threads *t, void (*fn)(struct worker *w, size_t index, void *arg),
		 void *arg);

/* Stop every worker (in-flight queries are dropped), wait for the threads and free all. */
void threads_stop(struct threads *t);

#endif
