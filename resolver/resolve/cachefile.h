/*
 * cachefile.h -- the cache dump format of megdns-control dump-cache / load-cache.
 *
 * Zone-file presentation format, as unbound-control dump_cache writes, so a dump can be read,
 * grepped and diffed:
 *   megdns-cache 2 DUMP-TIME                    (header: wall-clock seconds)
 *   ; comments and blank lines
 *   $ENTRY NAME TYPE ttl=LEFT scope=shared|view:NAME flags=-|do|cd|do,cd rcode=NOERROR
 *          dnssec=unchecked|insecure|secure|bogus[:EDE] hdr=0xFLAGS      (one line)
 *   www.example.org. 297 IN A 192.0.2.1          (answer records)
 *   $AUTHORITY                                   (then authority records, if any)
 *   $ADDITIONAL                                  (then additional records, if any)
 * One $ENTRY per cached answer: its question, the seconds it still lives, the view scope and
 * DO/CD flags of its cache key, its rcode, DNSSEC status and header flags word. Records are
 * written with their TTLs already counted down to the dump time; a load counts them down
 * further by the time since the dump and skips entries that expired meanwhile, so expiry
 * times are kept across a restart. Every worker loads the whole file into its shard.
 *
 * A dump may have been edited, truncated or written by someone else, and what it holds is
 * served as if it came from the upstreams, so a load checks every entry as strictly as the
 * cache itself would have made it: each field of $ENTRY present once and valid (a scope of at
 * most 64 view-name characters, a type that is cached, a validation status with an EDE only
 * for a bogus answer, ttl at most 2^31-1 and no longer than its longest record TTL); every
 * record parses with absolute names; the message built from them is a reply (QR, opcode
 * QUERY) with that rcode, NOERROR or NXDOMAIN, without TC, AA or OPT, at most MSG_MAX_TTL_RR
 * records, each of which the scrubber keeps for that question. And a load is all or nothing:
 * every entry is read and checked into a list first, and only a file without a bad line
 * reaches the cache. Errors are "FILE:LINE: ..." at the bad record, or at the $ENTRY line of
 * an entry that is wrong as a whole.
 */
#ifndef MEGDNS_CACHEFILE_H
#define MEGDNS_CACHEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct cache;

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

/* Append cache c's live entries at time now_ms of its clock; returns how many were written. */
size_t cachefile_dump(struct cache *c, uint64_t now_ms, FILE *out);

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
 * Load path into cache c (now_ms: c's clock; max_bytes: cache.size, the bound of what is
 * read), all or nothing. Returns 0 and counts in *loaded / *expired, or a negative errno
 * with "PATH:LINE: what is wrong" (or "PATH: reason") in err.
 */
int cachefile_load(struct cache *c, uint64_t now_ms, size_t max_bytes, const char *path, time_t now,
		   size_t *loaded, size_t *expired, char *err, size_t errlen);

#endif
