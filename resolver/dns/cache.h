/*
 * cache.h -- bounded answer cache keyed by (cache scope, qname, qtype, qclass, DO/CD).
 *
 * Entries hold the upstream reply in wire form (a msg.h "body") together with the offsets of
 * its TTL fields, so a hit is a hash lookup plus a copy with the TTLs patched on the way out:
 * no allocation, no ldns_pkt. The key is opaque bytes built by the caller (cache_key_make);
 * it carries the scope name, so views with their own upstreams never see each other's data.
 * Memory is bounded: every entry is charged its full malloc'd size and the least recently
 * used entries are evicted to stay within max_bytes. One cache belongs to one thread/loop.
 */
#ifndef MEGDNS_CACHE_H
#define MEGDNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_MAX (1 + 64 + 255 + 5) /* scope len, scope, name, type, class, flags */

/* Key flag bits. */
#define CACHE_KEY_DO    0x01
#define CACHE_KEY_CD    0x02
#define CACHE_KEY_DELEG 0x04 /* a zone cut's delegation (resolve/deleg.h), never a client's */

struct cache;

/* The DNSSEC status of an entry (dnssec/validate.h decides it, with the same values). */
enum cache_status {
	CACHE_UNCHECKED = 0, /* not validated (validation off, CD) */
	CACHE_INSECURE = 1,  /* provably unsigned, or under a negative trust anchor */
	CACHE_SECURE = 2,    /* validated up to a trust anchor: AD for DO/AD clients */
	CACHE_BOGUS = 3,     /* failed validation: SERVFAIL for clients without CD */
};

/*
 * The "sec" byte of an entry: its enum cache_status in the low 2 bits, for a bogus answer
 * its RFC 8914 code (6..12) in the 4 bits above them, and CACHE_SEC_PRIVATE when its answer
 * holds a private address (msg_answer_private: rebinding protection looks at it).
 */
#define CACHE_SEC(status, ede) ((uint8_t)((status) | ((ede) >= 0 ? (ede) << 2 : 0)))
#define CACHE_SEC_STATUS(sec)  ((sec)&3)
#define CACHE_SEC_EDE(sec)     (((sec) >> 2) & 15)
#define CACHE_SEC_PRIVATE      0x80

/* A cached reply as seen by a reader; valid until the next call that modifies the cache. */
struct cache_entry {
	const uint8_t *body; /* reply body, msg.h format */
	uint16_t body_len;
	const uint16_t *ttl_offs; /* offsets of TTL fields in body */
	uint16_t n_ttl;
	uint64_t stored_ms; /* when it was stored (caller's clock) */
	uint64_t expire_ms; /* when it stops being served */
	uint8_t rcode;
	uint8_t sec; /* DNSSEC outcome, CACHE_SEC layout (0 = not validated) */
};

/* A new cache bounded to max_bytes of memory (entries and index). Never NULL. */
struct cache *cache_new(size_t max_bytes);

/* Free the cache and all entries; NULL is a no-op. */
void cache_free(struct cache *c);

/* Change the bound (reload); evicts at once if over it. */
void cache_set_limit(struct cache *c, size_t max_bytes);

/*
 * Keep expired entries stale_ms longer for cache_lookup_stale (RFC 8767 serve-stale; 0, the
 * default: an expired entry is gone at its next lookup). Bogus entries are never kept.
 */
void cache_set_stale(struct cache *c, uint64_t stale_ms);

/*
 * Build a key into out (CACHE_KEY_MAX bytes): scope is the view name for views with their own
 * upstreams, "" for the shared scope; lname the lower-case wire qname. Returns its length.
 */
size_t cache_key_make(uint8_t *out, const char *scope, const uint8_t *lname, size_t lname_len,
		      uint16_t qtype, uint16_t qclass, uint8_t flags);

/*
 * Look a key up. On a live hit fill *e, mark the entry recently used and return true.
 * An expired entry is removed (unless the stale window keeps it) and false returned.
 */
bool cache_lookup(struct cache *c, const uint8_t *key, size_t key_len, uint64_t now_ms,
		  struct cache_entry *e);

/*
 * An entry that expired less than the stale window ago (and is not bogus): fill *e and
 * return true; it is not marked used, so the LRU order forgets unused stale data first.
 */
bool cache_lookup_stale(struct cache *c, const uint8_t *key, size_t key_len, uint64_t now_ms,
			struct cache_entry *e);

/*
 * Store (replacing any entry under the same key) a body with its TTL offsets; it expires
 * ttl seconds after now_ms. The data is copied. Returns 0, or -E2BIG when a single entry
 * would exceed the bound (nothing stored).
 */
int cache_store(struct cache *c, const uint8_t *key, size_t key_len, const uint8_t *body,
		size_t body_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t ttl,
		uint8_t rcode, uint8_t sec, uint64_t now_ms);

/* Call cb for every live or expired entry, most recently used first. cb must not modify c. */
void cache_walk(struct cache *c,
		void (*cb)(void *ud, const uint8_t *key, size_t key_len,
			   const struct cache_entry *e),
		void *ud);

/* Remove every entry whose key match() accepts; returns how many. */
size_t cache_remove_if(struct cache *c, bool (*match)(void *ud, const uint8_t *key, size_t key_len),
		       void *ud);

/* Remove every entry. */
void cache_clear(struct cache *c);

/* Number of entries and bytes charged against the bound. */
size_t cache_count(const struct cache *c);
size_t cache_bytes(const struct cache *c);

#endif
