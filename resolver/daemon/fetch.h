/*
 * fetch.h -- answers that have to be fetched: joining, upstream, validation, caching.
 *
 * A cache miss becomes a fetch keyed like the cache; identical misses in flight join it. A
 * fetch asks the upstreams, validates the reply (DNSSEC, through sub-fetches for DS and
 * DNSKEY that go through this same table and the cache), stores it, and answers every waiter:
 * clients (each with its own ID, qname case, EDNS, AD) and sub-fetches of validations.
 * A fetch holds a reference to the state it started under.
 */
#ifndef MEGDNS_FETCH_H
#define MEGDNS_FETCH_H

#include "dns/msg.h"
#include "daemon/request.h"
#include "daemon/server.h"
#include "policy/view.h"

#include <stddef.h>
#include <stdint.h>

struct worker;
struct fetch_table;

#define FETCH_MAX 4096 /* bound on upstream queries in flight per worker (one socket each) */

/* The table of in-flight fetches of one worker. Never NULL. */
struct fetch_table *fetch_table_new(void);

/* Free the table; it must be empty (see fetch_cancel_all). NULL is a no-op. */
void fetch_table_free(struct fetch_table *t);

/* Number of fetches in progress. */
size_t fetch_table_count(const struct fetch_table *t);

/* What a client waits for: its query, and for a chased local CNAME the local part. */
struct fetch_client {
	const struct request_who *who;
	const uint8_t *lname; /* the name to fetch: q's, or the CNAME target */
	size_t lname_len;
	const uint8_t *prefix; /* local CNAME chain to put in front, or NULL */
	size_t prefix_len;
};

/*
 * Queue a client behind the fetch for key (the cache key of view v's scope), starting one if
 * none is in flight. The client is answered later (or at once with SERVFAIL when nothing can
 * be started).
 */
void fetch_client(struct worker *w, const struct view *v, const uint8_t *key, size_t key_len,
		  const struct fetch_client *fc);

/* Shutdown: cancel every fetch and drop whoever waits on it. */
void fetch_cancel_all(struct worker *w);

#endif
