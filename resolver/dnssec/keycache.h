/*
 * keycache.h -- what the validator has learnt about zones: the key cache.
 *
 * Validating an answer needs the validated DNSKEYs of its zone, which takes a walk of DS and
 * DNSKEY lookups down from a trust anchor. Each step's outcome is kept here per name, as
 * Unbound's key cache does, so the next answer from the same zone costs no walk and no
 * crypto beyond its own signatures: SECURE (the zone's validated keys; for a name that proved
 * not to be a zone cut, the keys of the zone it belongs to), INSECURE (an unsigned delegation
 * or unsupported algorithms: everything below is unvalidated), BOGUS (the chain is broken;
 * kept briefly). Entries expire with the TTL of the records that proved them. One per loop.
 */
#ifndef MEGDNS_KEYCACHE_H
#define MEGDNS_KEYCACHE_H

#include <ldns/ldns.h>
#include <stdint.h>

enum keycache_state { KEYCACHE_SECURE, KEYCACHE_INSECURE, KEYCACHE_BOGUS };

struct keycache_entry {
	enum keycache_state state;
	ldns_rdf *zone;     /* the zone the keys belong to (SECURE) */
	ldns_rr_list *keys; /* SECURE: validated DNSKEYs; owned by the cache */
	int ede;            /* BOGUS: the Extended DNS Error to report */
	uint64_t expire_ms;
};

struct keycache;
struct sigcheck;

/* A cache of at most max_entries names. Never NULL. */
struct keycache *keycache_new(size_t max_entries);

/* Free it; NULL is a no-op. */
void keycache_free(struct keycache *kc);

/* The live entry for name (lower case), or NULL. Valid until the next keycache_put. */
const struct keycache_entry *keycache_get(struct keycache *kc, const ldns_rdf *name,
					  uint64_t now_ms);

/*
 * Record what is known about name. keys and zone are copied (either may be NULL).
 * ttl is in seconds.
 */
void keycache_put(struct keycache *kc, const ldns_rdf *name, enum keycache_state state,
		  const ldns_rdf *zone, const ldns_rr_list *keys, int ede, uint32_t ttl,
		  uint64_t now_ms);

/* The signature checker that goes with these keys (sigcheck.h): one per key cache. */
struct sigcheck *keycache_sigcheck(struct keycache *kc);

/* Forget everything (reload with other anchors). */
void keycache_clear(struct keycache *kc);

#endif
