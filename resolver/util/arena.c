/*
 * arena.c -- request-scoped bump allocator, see arena.h.
 */
#include "util/arena.h"
#include "util/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
	struct arena_block *next;
	_Alignas(16) char data[];
};

#define ARENA_BLOCK_SIZE 8192

static size_t align16(size_t n)
{
	return (n + 15u) & ~(size_t)15u;
}

void arena_init(struct arena *a)
{
	a->cur = a->first;
	a->end = a->first + sizeof(a->first);
	a->extra = NULL;
}

void arena_close(struct arena *a)
{
	struct arena_block *b = a->extra;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->extra = NULL;
	a->cur = a->end = NULL;
}

void *arena_alloc(struct arena *a, size_t len)
{
	len = align16(len ? len : 1);
	if ((size_t)(a->end - a->cur) < len) {
		size_t size = len > ARENA_BLOCK_SIZE ? len : ARENA_BLOCK_SIZE;
		struct arena_block *b = xmalloc(sizeof(*b) + size);
		b->next = a->extra;
		a->extra = b;
		a->cur = b->data;
		a->end = b->data + size;
	}
	void *p = a->cur;
	a->cur += len;
	return p;
}

void *arena_memdup(struct arena *a, const void *p, size_t len)
{
	void *q = arena_alloc(a, len);
	memcpy(q, p, len);
	return q;
}
