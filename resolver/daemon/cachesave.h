/*
 * cachesave.h -- every worker's cache to a file and back: megdns-control dump-cache and
 * load-cache, and cache.file, the cache that survives a restart.
 *
 * The file is resolve/cachefile.h's format: a header with the wall-clock time of the dump, one
 * line per entry with the TTL it had left. Loading counts that time down, so what expired
 * while megdns was stopped is not loaded, and each worker takes what fits its share of
 * cache.size. With cache.file set, the main thread loads the file at start (a missing file is
 * a first start; a corrupt or foreign one is logged and ignored: megdns starts with an empty
 * cache), writes it every cache.save-interval seconds and once more at SIGTERM. A write goes
 * to FILE.tmp first and is renamed over FILE once complete and synced, so a power cut leaves
 * the old file or the new one, never half of one. Main thread only.
 */
#ifndef MEGDNS_CACHESAVE_H
#define MEGDNS_CACHESAVE_H

#include "conf/config.h"
#include "daemon/threads.h"

#include <stddef.h>
#include <stdio.h>
#include <uv.h>

/* Write the header and every worker's live entries to out; returns the entries written. */
size_t cachesave_dump(struct threads *t, FILE *out);

/*
 * Load path into every worker's cache (each takes the whole file, within its share). 0, or a
 * negative errno with why set (FILE:LINE: what is wrong, or why it cannot be read).
 */
int cachesave_load(struct threads *t, const char *path, size_t *loaded, size_t *expired, char *why,
		   size_t len);

/* Write the dump to path atomically (path.tmp, fsync, rename); 0 or a negative errno. */
int cachesave_write(struct threads *t, const char *path, size_t *count, char *why, size_t len);

/* cache.file: load it now and save it every cache.save-interval; NULL when cfg has none. */
struct cachesave;
struct cachesave *cachesave_start(uv_loop_t *loop, struct threads *t, const struct config *cfg);

/* A reload: the file and interval of cfg (none: stop saving; s may be NULL, then it starts). */
struct cachesave *cachesave_configure(struct cachesave *s, uv_loop_t *loop, struct threads *t,
				      const struct config *cfg);

/* Save once more (at SIGTERM, before the workers stop) and free s; NULL is a no-op. */
void cachesave_stop(struct cachesave *s);

#endif
