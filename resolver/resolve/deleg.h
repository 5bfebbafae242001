/*
 * deleg.h -- delegations in the answer cache: the infrastructure cache of iteration.
 *
 * What an iterating resolver learns on the way down (which zone cuts exist, their NS names,
 * the glue that came with them) is kept as one cache entry per zone cut, under the cut's
 * name, type NS and the key flag CACHE_KEY_DELEG, so no client question ever reads one. The
 * entry's body is a referral message megdns writes itself from what iterate_classify kept:
 * the question (cut, NS), the NS records in the authority section and the in-bailiwick glue
 * in the additional section, all with the smallest NS TTL. So the delegations share the
 * answer cache's bound (`cache.size`), expire with their NS TTL, show in dump-cache and are
 * saved with it, and a delegation's glue can serve no other delegation: it lives inside it.
 * The closest cut of a name is found by looking its names up deepest first (deleg_closest);
 * the second name of a zone then costs one query. No I/O.
 */
#ifndef MEGDNS_DELEG_H
#define MEGDNS_DELEG_H

#include "dns/cache.h"
#include "resolve/iterate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The key of the delegation at zone (lower-case wire) in cache scope. */
size_t deleg_key(uint8_t *out, const char *scope, const uint8_t *zone, size_t zone_len);

/*
 * Write ref as a referral body (msg.h format) into out (cap bytes) with its TTL fields'
 * offsets in ttl_offs (room for max); returns the length, or 0 when it does not fit.
 */
size_t deleg_encode(const struct iterate_referral *ref, uint8_t *out, size_t cap,
		    uint16_t *ttl_offs, size_t max, size_t *n_ttl);

/* Read a body of deleg_encode's back into *ref; false when it is not one. */
bool deleg_decode(const uint8_t *body, size_t len, struct iterate_referral *ref);

/*
 * Is body a delegation and nothing more: a question (zone, NS), no answer, NS records of the
 * zone in the authority section, and in the additional section only A/AAAA records of those
 * NS names? (A dump read back must not plant other records: cachefile.c.)
 */
bool deleg_only(const uint8_t *body, size_t len);

/* Store ref as the delegation of its zone, for ref->ttl seconds. 0 or a negative errno. */
int deleg_store(struct cache *c, const char *scope, const struct iterate_referral *ref,
		uint64_t now_ms);

/*
 * The deepest delegation cached at or above name (lower-case wire) into *ref, searching from
 * `from` labels up (0: name itself; 1: its parent, for a DS). False when none is cached, not
 * even the root's.
 */
bool deleg_closest(struct cache *c, const char *scope, const uint8_t *name, size_t name_len,
		   unsigned from, uint64_t now_ms, struct iterate_referral *ref);

#endif
