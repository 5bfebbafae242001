/*
 * request.h -- the query pipeline: one client query from packet to reply.
 *
 * request.c is the only file that knows the order of the steps (DESIGN.md "How a query
 * flows"): intake checks, view selection, the CHAOS view query, the view's override data,
 * the cache of the view's scope, and finally a fetch from the upstreams. Everything up to the
 * cache answers within the receive callback without allocating; only a cache miss creates
 * state, and identical misses of one scope share a single fetch.
 */
#ifndef MEGDNS_REQUEST_H
#define MEGDNS_REQUEST_H

#include "server.h"

#include <stddef.h>
#include <stdint.h>

struct worker;
struct request_fetches;

/* The table of in-flight fetches of one worker. Never NULL. */
struct request_fetches *request_fetches_new(void);

/* Free the table; it must be empty (see request_cancel_all). NULL is a no-op. */
void request_fetches_free(struct request_fetches *t);

/* Answer (now or later) one query packet that arrived from client c on worker w. */
void request_handle(struct worker *w, const struct server_client *c, const uint8_t *pkt,
		    size_t len);

/* Shutdown: cancel every fetch and drop the queries waiting on it. */
void request_cancel_all(struct worker *w);

/* Number of fetches in progress. */
size_t request_fetches_count(const struct request_fetches *t);

#endif
