/*
 * fetch.h -- the driver of resolutions: join, send, look up, cache, call back.
 *
 * A cache miss becomes a fetch keyed like the cache; identical misses in flight join it as
 * waiters. A fetch drives one resolution (resolve.h) and does what it asks: SEND through the
 * upstream pool, LOOKUP from the cache or by a sub-fetch in this same table (whose waiter is
 * the fetch), DONE into the cache; then it calls every waiter back with the result. It knows
 * no clients, connections or reply policy: what a client gets is request.c's business.
 *
 * Fetches waiting for one another must end: sub-fetches for DS/DNSKEY carry CD and never
 * validate, so a validation never waits on itself; fetches that chase a chain form chains,
 * never a ring (the whole chain is walked before linking), no chain is longer than
 * FETCH_MAX_CHASE links, and a fetch waits for the rest of its chain no longer than for an
 * upstream reply. Whatever ends a fetch calls each of its waiters once. A fetch holds a
 * reference to the state it started under.
 */
#ifndef MEGDNS_FETCH_H
#define MEGDNS_FETCH_H

#include "daemon/stats.h"
#include "daemon/upstream.h"
#include "dns/cache.h"
#include "dnssec/keycache.h"
#include "policy/state.h"
#include "policy/view.h"

#include <stddef.h>
#include <stdint.h>

struct fetch_table;
struct negcache;

/* Bound on fetches in flight per table (one upstream query each), sub-fetches included: the
 * requests waiting on them are bounded by server.max-inflight (request.c), and each may
 * need a few lookups of its own. */
#define FETCH_MAX_PER_INFLIGHT 2

/* The bound on a table's fetches under cfg: server.max-inflight x FETCH_MAX_PER_INFLIGHT. */
size_t fetch_max(const struct config *cfg);

/*
 * The table of in-flight fetches of one loop, over the loop's cache, upstream pool, key
 * cache and NSEC ranges (fed with every secure denial, dnssec.aggressive-nsec), counting
 * DNSSEC outcomes in stats; all five must outlive it. Never NULL.
 */
struct fetch_table *fetch_table_new(struct cache *cache, struct upstream_pool *pool,
				    struct keycache *kc, struct negcache *nc, struct stats *stats);

/* Free the table; it must be empty (see fetch_cancel_all). NULL is a no-op. */
void fetch_table_free(struct fetch_table *t);

/* Number of fetches in progress. */
size_t fetch_table_count(const struct fetch_table *t);

/* What a waiter is told, once. Pointers are valid during the callback only. */
struct fetch_result {
	int status;          /* 0; -ECANCELED at shutdown; else a failure (see ede) */
	const uint8_t *body; /* status 0: the answer, msg.h format, as cached */
	size_t len;
	uint8_t sec;          /* its DNSSEC outcome, CACHE_SEC layout */
	int ede;              /* failure: RFC 8914 code */
	const char *ede_text; /* and its text */
};

typedef void (*fetch_cb)(void *ud, const struct fetch_result *res);

/* The question: the cache key (of the view's scope, with the DO/CD flags) and its parts. */
struct fetch_question {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *lname; /* lower-case wire */
	size_t lname_len;
	uint16_t qtype, qclass;
};

/*
 * A place in a fetch's list of waiters. A client's is storage of the caller's (in its request
 * object, so a miss costs no allocation for it), filled in and used by fetch.c alone, which
 * lets go of it when it calls back; those of sub-fetches fetch.c allocates itself.
 */
struct fetch_waiter {
	struct fetch_waiter *next;
	fetch_cb cb; /* a client: called once */
	void *ud;
	struct fetch *parent; /* or the fetch whose LOOKUP this is */
	struct fetch *on;     /* a client's: the fetch it waits on (for fetch_leave) */
	bool chase;           /* the parent's chain continues at this fetch's name */
};

/*
 * Wait in w (the caller's until cb runs) for the answer to q in view v of state st, joining
 * the fetch in flight for the same key or starting one. Returns 0, and cb(ud, result) is
 * called once, later (never from within this call); or, without ever calling cb, -ENOENT
 * when no upstream serves the name, -EBUSY when the table is full, -ENOBUFS when the fetch
 * has as many waiters as it takes.
 */
int fetch_start(struct fetch_table *t, struct state *st, const struct view *v,
		const struct fetch_question *q, struct fetch_waiter *w, fetch_cb cb, void *ud);

/*
 * A client's waiter w gives up waiting (the request gave way under overload): it is never
 * called back. A fetch nobody waits for any more ends, with the sub-fetches only it waited
 * for, and what it sent is cancelled. Also from within a callback of w's fetch: a fetch
 * telling its waiters ends only when it has told them all.
 */
void fetch_leave(struct fetch_waiter *w);

/* Shutdown: end every fetch; each waiter is called back with -ECANCELED. */
void fetch_cancel_all(struct fetch_table *t);

/* Is a fetch for key in flight? */
bool fetch_pending(struct fetch_table *t, const uint8_t *key, size_t key_len);

#endif
