/*
 * fuzz_cachefile.c -- reading a cache dump (megdns-control load-cache) from any bytes.
 *
 * The input is the file. A read must end (no unbounded line), fail with "t.dump:LINE: ..." and
 * an empty list, or give entries that are what the cache would have made: a key of the
 * cache's layout, a body that walks to its last byte with one TTL offset per record, TTLs no
 * longer than the body's; storing them into a cache and looking each up must work.
 */
#include "dns/cache.h"
#include "resolve/cachefile.h"
#include "resolve/deleg.h"
#include "dns/msg.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static void fuzz_entry(const struct cachefile_entry *e)
{
	struct msg_walk w;
	struct msg_rr rr;
	size_t i = 0;
	int r;
	uint32_t max_ttl = 0;
	CHECK(e->key_len >= 7 && e->key_len <= CACHE_KEY_MAX && e->key[0] <= 64);
	CHECK(e->body_len >= MSG_HDR_LEN && e->ttl > 0);
	CHECK(msg_walk_init(&w, e->body, e->body_len) == 0);
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		CHECK(i < e->n_ttl && e->ttl_offs[i++] == rr.ttl_off);
		if (rr.ttl > max_ttl)
			max_ttl = rr.ttl;
	}
	CHECK(r == 0 && w.pos == e->body_len && i == e->n_ttl && i > 0);
	CHECK((msg_get16(e->body + 2) & 0xf) == e->rcode);
	CHECK(e->ttl <= max_ttl);                     /* the TTLs are counted down alike */
	if (e->key[e->key_len - 1] & CACHE_KEY_DELEG) /* a delegation, and only that */
		CHECK(deleg_only(e->body, e->body_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cachefile_list l;
	char err[256] = "";
	FILE *in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	/* the dump time is the input's header, loaded at a fixed time */
	int r = cachefile_read(in, "t.dump", 1000000, 1 << 20, &l, err, sizeof(err));
	fclose(in);
	if (r < 0) {
		CHECK(!strncmp(err, "t.dump:", 7) && l.head == NULL && l.count == 0);
		return 0;
	}
	size_t n = 0;
	for (const struct cachefile_entry *e = l.head; e; e = e->next, n++)
		fuzz_entry(e);
	CHECK(n == l.count && l.bytes <= 1 << 20);
	struct cache *c = cache_new(64 << 20);
	CHECK(cachefile_store(c, &l, 0) == l.count);
	for (const struct cachefile_entry *e = l.head; e; e = e->next) {
		struct cache_entry ce;
		CHECK(cache_lookup(c, e->key, e->key_len, 0, &ce));
	}
	cache_free(c);
	cachefile_list_free(&l);
	return 0;
}
