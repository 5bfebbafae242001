/*
 * cachefile.h -- the cache dump format of megdns-control dump-cache / load-cache.
 *
 * Text, one entry per line, so a dump can be read and diffed:
 *   megdns-cache 1 DUMP-TIME                     (header: wall-clock seconds)
 *   TTL-LEFT RCODE SEC KEY-HEX BODY-HEX          (one per entry)
 * Bodies are written with their TTLs already counted down to the dump time; a load counts
 * them down further by the time since the dump and skips entries that expired meanwhile, so
 * expiry times are kept across a restart. Every worker loads the whole file into its shard.
 */
#ifndef MEGDNS_CACHEFILE_H
#define MEGDNS_CACHEFILE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct worker;

/* Write the header line. */
void cachefile_header(FILE *out, time_t now);

/* Append worker w's live entries; returns how many were written. */
size_t cachefile_dump(struct worker *w, FILE *out);

/*
 * Load path into w's cache. Returns 0 and counts in *loaded / *expired, or a negative errno
 * with "PATH:LINE: what is wrong" in err.
 */
int cachefile_load(struct worker *w, const char *path, time_t now, size_t *loaded, size_t *expired,
		   char *err, size_t errlen);

#endif
