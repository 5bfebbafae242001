/*
 * stats.h -- per-worker counters: queries, answers, cache, latency, DNSSEC; per view.
 *
 * Each worker counts into its own struct stats with plain increments (one thread writes it);
 * the main thread reads them only inside a worker job (threads.c), so no atomics are needed
 * on the query path. Counters are kept per view *name* in slots that are never reused, so a
 * reload that keeps a view keeps its counts; the view index of the current state maps to its
 * slot. Slot 0 is "-", queries that matched no view.
 */
#ifndef MEGDNS_STATS_H
#define MEGDNS_STATS_H

#include "policy/view.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum stats_source {
	STATS_LOCAL,
	STATS_CACHE,
	STATS_UPSTREAM,
	STATS_ERROR,
	STATS_STALE,   /* expired data, served as RFC 8767 allows */
	STATS_NSEC,    /* NXDOMAIN/NODATA proven by validated NSEC held (RFC 8198) */
	STATS_BLOCKED, /* a name of one of the view's blocklists */
	STATS_REBIND,  /* an upstream answer with a private address, stripped (rebind.h) */
	STATS_N_SOURCES
};

/* What became of a query to authoritative servers (iterating): a reply, none, an error. */
enum stats_auth { STATS_AUTH_REPLY, STATS_AUTH_TIMEOUT, STATS_AUTH_ERROR, STATS_N_AUTH };

#define STATS_N_TYPES   15 /* A, AAAA, ... and "other" */
#define STATS_N_RCODES  7  /* NOERROR .. REFUSED and "other" */
#define STATS_N_BUCKETS 10 /* latency histogram buckets (last is +Inf) */

/* A counter by name: a view's blocked queries per list. */
struct stats_count {
	char *name;
	uint64_t n;
};

struct stats_view {
	char *name;
	struct stats_count *blocked; /* per blocklist name, added as lists block */
	size_t n_blocked;
	uint64_t queries[2]; /* UDP, TCP */
	uint64_t qtype[STATS_N_TYPES];
	uint64_t rcode[STATS_N_RCODES];
	uint64_t source[STATS_N_SOURCES];
	uint64_t latency[STATS_N_BUCKETS]; /* non-cumulative counts */
	uint64_t latency_sum_us;
};

struct stats {
	struct stats_view *views; /* slots; 0 = no view */
	size_t n_views;
	unsigned *slot_of; /* current state's view index -> slot */
	size_t n_slot_of;
	uint64_t dnssec[4];          /* by validate_status: unchecked, insecure, secure, bogus */
	uint64_t auth[STATS_N_AUTH]; /* queries to authoritative servers, by outcome */
	uint64_t prefetches;         /* refreshes started by a hit near expiry (cache.prefetch) */
	uint64_t busy; /* misses answered SERVFAIL to make room (server.max-inflight) */
	uint64_t
	    proxy_rejected[2]; /* PROXY listeners: [0] a sender not in from, [1] a bad header */
};

/* Bucket upper bounds in microseconds, for the exposition (the last is +Inf). */
extern const uint64_t stats_bucket_us[STATS_N_BUCKETS];

void stats_init(struct stats *s);
void stats_close(struct stats *s);

/* Map the views of a (new) view set to slots, adding slots for new names. */
void stats_set_views(struct stats *s, const struct view_set *vs);

/* The slot of view v of the current view set vs (0 for NULL). */
unsigned stats_slot(const struct stats *s, const struct view_set *vs, const struct view *v);

/* Count one answered query. */
void stats_answer(struct stats *s, unsigned slot, bool tcp, uint16_t qtype, unsigned rcode,
		  enum stats_source source, uint64_t latency_us);

/* Count a query of view slot blocked by the list named list. */
void stats_blocked(struct stats *s, unsigned slot, const char *list);

/* Add every counter of src into dst (slots matched by name). */
void stats_add(struct stats *dst, const struct stats *src);

/* Zero every counter (names stay). */
void stats_reset(struct stats *s);

/* Names for labels. */
const char *stats_type_name(size_t i);
const char *stats_rcode_name(size_t i);
const char *stats_source_name(size_t i);
const char *stats_auth_name(size_t i);

/* Write "name value" lines for megdns-control stats. */
void stats_print(const struct stats *s, FILE *out);

#endif
