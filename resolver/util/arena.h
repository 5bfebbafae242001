/*
 * arena.h -- request-scoped bump allocator.
 *
 * Everything one client query needs for its lifetime (packet copies, answer buffers, parse
 * scratch) is carved from its arena and released at once when the request ends, the way
 * Unbound's regional and Knot's mempool work. The first block lives inside the arena struct,
 * so a small request touches malloc not at all; larger requests chain extra blocks.
 * Out of memory aborts: memory is bounded by the config, not by error paths.
 */
#ifndef MEGDNS_ARENA_H
#define MEGDNS_ARENA_H

#include <stddef.h>

#define ARENA_INLINE_SIZE 2048

struct arena_block;

struct arena {
	char *cur;                 /* next free byte in the current block */
	char *end;                 /* end of the current block */
	struct arena_block *extra; /* malloc'd blocks, newest first */
	_Alignas(16) char first[ARENA_INLINE_SIZE];
};

/* Prepare an embedded arena. */
void arena_init(struct arena *a);

/* Release every block; the arena may be reused after arena_init. */
void arena_close(struct arena *a);

/* Allocate len bytes aligned to 16. Never returns NULL (aborts on OOM). */
void *arena_alloc(struct arena *a, size_t len);

/* Copy len bytes into the arena. */
void *arena_memdup(struct arena *a, const void *p, size_t len);

#endif
