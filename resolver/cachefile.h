/*
 * cachefile.h -- the cache dump format of megdns-control dump-cache / load-cache.
 *
 * Text, one entry per line, so a dump can be read and diffed:
 *   megdns-cache 1 DUMP-TIME                     (header: wall-clock seconds)
 *   TTL-LEFT RCODE SEC KEY-HEX BODY-HEX          (one per entry, single spaces)
 * Bodies are written with their TTLs already counted down to the dump time; a load counts
 * them down further by the time since the dump and skips entries that expired meanwhile, so
 * expiry times are kept across a restart. Every worker loads the whole file into its shard.
 *
 * A dump may have been edited, truncated or written by someone else, and what it holds is
 * served as if it came from the upstreams, so a load checks every field as strictly as the
 * cache itself would have made it: the key has the structure cache_key_make gives it (scope
 * length and a view name's characters, a lower-case wire name that ends exactly before
 * type, class IN and the DO/CD flags, no type that is never cached); RCODE is the body's;
 * SEC is a validation status with an EDE only for a bogus answer; TTL-LEFT is at most 2^31-1
 * and no longer than the body's longest TTL; the body is a reply (QR, opcode QUERY) to exactly
 * the key's question that walks to its last byte, without OPT record, with at most
 * MSG_MAX_TTL_RR records. And a load is all or nothing: every line is read and checked into
 * a list first, and only a file without a bad line reaches the cache.
 */
#ifndef MEGDNS_CACHEFILE_H
#define MEGDNS_CACHEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct cache;
struct worker;

/* One entry read from a dump, ready for cache_store. */
struct cachefile_entry {
	struct cachefile_entry *next;
	uint32_t ttl; /* seconds it still lives (counted down to the load) */
	uint8_t rcode, sec;
	uint16_t key_len, body_len, n_ttl;
	uint8_t *key, *body; /* in this allocation */
	uint16_t *ttl_offs;
};

/* The entries of one dump, last line first (so the first line is stored last: most recent). */
struct cachefile_list {
	struct cachefile_entry *head;
	size_t count;   /* entries in the list */
	size_t expired; /* good lines whose entry expired since the dump */
	size_t skipped; /* good lines left out: the list had reached its byte bound */
	size_t bytes;   /* key and body bytes in the list */
};

/* Write the header line. */
void cachefile_header(FILE *out, time_t now);

/* Append worker w's live entries; returns how many were written. */
size_t cachefile_dump(struct worker *w, FILE *out);

/*
 * Read a whole dump from in (name is what errors call it) at wall-clock time now into *out,
 * keeping entries of at most max_bytes of keys and bodies (the rest would not fit a cache of
 * that size). Returns 0, or -EINVAL with "NAME:LINE: what is wrong" in err and *out empty.
 */
int cachefile_read(FILE *in, const char *name, time_t now, size_t max_bytes,
		   struct cachefile_list *out, char *err, size_t errlen);

/* Store every entry of l into c (now_ms: c's clock); returns how many were stored. */
size_t cachefile_store(struct cache *c, const struct cachefile_list *l, uint64_t now_ms);

/* Free the entries of l and empty it. */
void cachefile_list_free(struct cachefile_list *l);

/*
 * Load path into w's cache, all or nothing. Returns 0 and counts in *loaded / *expired, or
 * a negative errno with "PATH:LINE: what is wrong" (or "PATH: reason") in err.
 */
int cachefile_load(struct worker *w, const char *path, time_t now, size_t *loaded, size_t *expired,
		   char *err, size_t errlen);

#endif
