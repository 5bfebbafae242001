/*
 * test_cache.c -- unit tests for cache.c: key layout, round trip, key distinction, replace,
 * expiry, LRU order, the memory bound under load, -E2BIG, shrinking, clearing, and a random
 * stress against a small bound checked against a model of what was stored.
 */
#include "dns/cache.h"
#include "check_main.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dotted name to lower-case wire form; returns its length. */
static size_t wire(const char *name, uint8_t *out)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		out[n++] = (uint8_t)len;
		memcpy(out + n, name, len);
		n += len;
		name += len + (dot ? 1 : 0);
	}
	out[n++] = 0;
	return n;
}

static size_t key_for(uint8_t *key, const char *scope, const char *name, uint16_t qtype,
		      uint16_t qclass, uint8_t flags)
{
	uint8_t lname[256];
	size_t len = wire(name, lname);
	return cache_key_make(key, scope, lname, len, qtype, qclass, flags);
}

/* A key numbered i in the shared scope (names of varying length). */
static size_t key_num(uint8_t *key, unsigned i)
{
	char name[64];
	snprintf(name, sizeof(name), "h%u.example.org", i);
	return key_for(key, "", name, 1, 1, 0);
}

static void fill_body(uint8_t *body, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		body[i] = (uint8_t)(seed * 131u + i * 7u);
}

static int store_num(struct cache *c, unsigned i, size_t body_len, uint32_t ttl, uint64_t now)
{
	uint8_t key[CACHE_KEY_MAX], body[600];
	uint16_t offs[2] = {12, 30};
	size_t klen = key_num(key, i);

	fill_body(body, body_len, i);
	return cache_store(c, key, klen, body, body_len, offs, 2, ttl, 0, 0, now);
}

static bool has_num(struct cache *c, unsigned i, uint64_t now)
{
	uint8_t key[CACHE_KEY_MAX];
	struct cache_entry e;
	size_t klen = key_num(key, i);
	return cache_lookup(c, key, klen, now, &e);
}

START_TEST(test_key_layout)
{
	uint8_t key[CACHE_KEY_MAX];
	static const uint8_t want[] = {2,
				       'w',
				       'g',
				       3,
				       'n',
				       'a',
				       's',
				       4,
				       'h',
				       'o',
				       'm',
				       'e',
				       4,
				       'a',
				       'r',
				       'p',
				       'a',
				       0,
				       0x00,
				       0x1c,
				       0x00,
				       0x01,
				       CACHE_KEY_DO | CACHE_KEY_CD};
	size_t len = key_for(key, "wg", "nas.home.arpa", 28, 1, CACHE_KEY_DO | CACHE_KEY_CD);

	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(key, want, sizeof(want));

	/* Scope names are cut at 64 bytes; the length byte says 64. */
	char scope[100];
	memset(scope, 'v', sizeof(scope) - 1);
	scope[99] = 0;
	len = key_for(key, scope, "a", 1, 1, 0);
	ck_assert_uint_eq(key[0], 64);
	ck_assert_uint_eq(len, 1 + 64 + 3 + 5);
	ck_assert_uint_eq(key[65], 1);
	ck_assert_uint_eq(key[66], 'a');

	/* Longest possible key fits CACHE_KEY_MAX. */
	uint8_t lname[255];
	memset(lname, 1, sizeof(lname));
	len = cache_key_make(key, scope, lname, sizeof(lname), 1, 1, 0);
	ck_assert_uint_eq(len, CACHE_KEY_MAX);
}
END_TEST

START_TEST(test_round_trip)
{
	struct cache *c = cache_new(1 << 20);
	uint8_t key[CACHE_KEY_MAX], body[60];
	uint16_t offs[3] = {18, 34, 50};
	struct cache_entry e;
	/* An odd key length, so the TTL offsets follow a pad byte. */
	size_t klen = key_for(key, "", "abc", 1, 1, 0);

	ck_assert_uint_eq(klen % 2, 1);
	fill_body(body, sizeof(body), 9);
	ck_assert_int_eq(cache_store(c, key, klen, body, 60, offs, 3, 300, 3, 2, 1000), 0);
	memset(body, 0, sizeof(body)); /* the cache keeps its own copy */
	fill_body(body, sizeof(body), 9);
	ck_assert_uint_eq(cache_count(c), 1);
	ck_assert(cache_lookup(c, key, klen, 1500, &e));
	ck_assert_uint_eq(e.body_len, 60);
	ck_assert_mem_eq(e.body, body, 60);
	ck_assert_uint_eq(e.n_ttl, 3);
	ck_assert_uint_eq((uintptr_t)e.ttl_offs % _Alignof(uint16_t), 0);
	ck_assert_uint_eq(e.ttl_offs[0], 18);
	ck_assert_uint_eq(e.ttl_offs[1], 34);
	ck_assert_uint_eq(e.ttl_offs[2], 50);
	ck_assert_uint_eq(e.stored_ms, 1000);
	ck_assert_uint_eq(e.expire_ms, 301000);
	ck_assert_uint_eq(e.rcode, 3);
	ck_assert_uint_eq(e.sec, 2);

	/* Empty body and no TTL offsets are legal too. */
	klen = key_for(key, "", "abcd", 1, 1, 0);
	ck_assert_int_eq(cache_store(c, key, klen, NULL, 0, NULL, 0, 5, 2, 0, 0), 0);
	ck_assert(cache_lookup(c, key, klen, 10, &e));
	ck_assert_uint_eq(e.body_len, 0);
	ck_assert_uint_eq(e.n_ttl, 0);
	ck_assert_uint_eq(e.rcode, 2);
	ck_assert_uint_eq(cache_count(c), 2);
	ck_assert_uint_le(cache_bytes(c), 1 << 20);
	cache_free(c);
	cache_free(NULL);
}
END_TEST

/* Key number n of 144: every combination of scope, name, type, class and flags. */
static size_t key_combo(uint8_t *key, unsigned n)
{
	static const char *const scopes[] = {"", "lan", "wg"};
	static const char *const names[] = {"a.example", "b.example", "example"};
	static const uint16_t types[] = {1, 28};
	static const uint16_t classes[] = {1, 3};
	static const uint8_t flags[] = {0, CACHE_KEY_DO, CACHE_KEY_CD, CACHE_KEY_DO | CACHE_KEY_CD};

	return key_for(key, scopes[n % 3], names[n / 3 % 3], types[n / 9 % 2], classes[n / 18 % 2],
		       flags[n / 36 % 4]);
}

START_TEST(test_key_distinct)
{
	struct cache *c = cache_new(1 << 20);
	uint8_t key[CACHE_KEY_MAX], body[1];
	struct cache_entry e;

	for (unsigned n = 0; n < 144; n++) {
		size_t klen = key_combo(key, n);
		body[0] = (uint8_t)n;
		ck_assert_int_eq(cache_store(c, key, klen, body, 1, NULL, 0, 60, 0, 0, 0), 0);
	}
	ck_assert_uint_eq(cache_count(c), 144);
	for (unsigned n = 0; n < 144; n++) {
		size_t klen = key_combo(key, n);
		ck_assert(cache_lookup(c, key, klen, 1, &e));
		ck_assert_uint_eq(e.body_len, 1);
		ck_assert_uint_eq(e.body[0], n);
	}
	/* A scope that stored nothing sees nothing, even for a name cached elsewhere. */
	size_t klen = key_for(key, "guest", "a.example", 1, 1, 0);
	ck_assert(!cache_lookup(c, key, klen, 1, &e));
	cache_free(c);
}
END_TEST

START_TEST(test_replace)
{
	struct cache *c = cache_new(1 << 20), *fresh = cache_new(1 << 20);
	uint8_t key[CACHE_KEY_MAX], a[100], b[40];
	uint16_t offs = 20;
	struct cache_entry e;
	size_t klen = key_for(key, "lan", "www.example.com", 1, 1, 0);

	fill_body(a, sizeof(a), 1);
	fill_body(b, sizeof(b), 2);
	ck_assert_int_eq(cache_store(c, key, klen, a, 100, &offs, 1, 60, 0, 0, 0), 0);
	ck_assert_int_eq(cache_store(c, key, klen, b, 40, NULL, 0, 10, 3, 1, 500), 0);
	ck_assert_uint_eq(cache_count(c), 1);
	ck_assert(cache_lookup(c, key, klen, 600, &e));
	ck_assert_uint_eq(e.body_len, 40);
	ck_assert_mem_eq(e.body, b, 40);
	ck_assert_uint_eq(e.n_ttl, 0);
	ck_assert_uint_eq(e.rcode, 3);
	ck_assert_uint_eq(e.sec, 1);
	ck_assert_uint_eq(e.stored_ms, 500);
	ck_assert_uint_eq(e.expire_ms, 10500);

	/* The old entry's memory is released: same charge as storing only the new one. */
	ck_assert_int_eq(cache_store(fresh, key, klen, b, 40, NULL, 0, 10, 3, 1, 500), 0);
	ck_assert_uint_eq(cache_bytes(c), cache_bytes(fresh));
	cache_free(fresh);
	cache_free(c);
}
END_TEST

START_TEST(test_expiry)
{
	struct cache *c = cache_new(1 << 20);
	uint8_t key[CACHE_KEY_MAX], body[20] = {0};
	struct cache_entry e;
	size_t klen = key_for(key, "", "short.example", 1, 1, 0);

	ck_assert_int_eq(cache_store(c, key, klen, body, 20, NULL, 0, 10, 0, 0, 5000), 0);
	ck_assert(cache_lookup(c, key, klen, 14999, &e));
	ck_assert_uint_eq(e.expire_ms, 15000);
	ck_assert(!cache_lookup(c, key, klen, 15000, &e));
	ck_assert_uint_eq(cache_count(c), 0);
	ck_assert_uint_eq(cache_bytes(c), 0);
	/* Removed, not just hidden: an earlier clock does not bring it back. */
	ck_assert(!cache_lookup(c, key, klen, 14999, &e));

	/* TTL 0 is stale at once. */
	ck_assert_int_eq(cache_store(c, key, klen, body, 20, NULL, 0, 0, 0, 0, 7000), 0);
	ck_assert_uint_eq(cache_count(c), 1);
	ck_assert(!cache_lookup(c, key, klen, 7000, &e));
	ck_assert_uint_eq(cache_count(c), 0);
	cache_free(c);
}
END_TEST

/*
 * Serve-stale (RFC 8767): with a stale window, an expired entry is hidden from cache_lookup
 * but kept for cache_lookup_stale until the window ends; a bogus one is never kept; a fresh
 * store replaces it.
 */
START_TEST(test_stale_window)
{
	struct cache *c = cache_new(1 << 20);
	uint8_t key[CACHE_KEY_MAX], bogus_key[CACHE_KEY_MAX], body[20] = {0};
	struct cache_entry e;
	size_t klen = key_for(key, "", "stale.example", 1, 1, 0);
	size_t blen = key_for(bogus_key, "", "bogus.example", 1, 1, 0);
	cache_set_stale(c, 60000);
	ck_assert_int_eq(cache_store(c, key, klen, body, 20, NULL, 0, 10, 0, 0, 5000), 0);
	ck_assert_int_eq(cache_store(c, bogus_key, blen, body, 20, NULL, 0, 10, 0,
				     CACHE_SEC(CACHE_BOGUS, 6), 5000),
			 0);
	ck_assert(!cache_lookup_stale(c, key, klen, 14999, &e)); /* still fresh: not stale */
	ck_assert(!cache_lookup(c, key, klen, 15000, &e));
	ck_assert(cache_lookup_stale(c, key, klen, 15000, &e));
	ck_assert_uint_eq(e.expire_ms, 15000);
	ck_assert(!cache_lookup(c, bogus_key, blen, 15000, &e));
	ck_assert(!cache_lookup_stale(c, bogus_key, blen, 15000, &e));
	ck_assert_uint_eq(cache_count(c), 1); /* the bogus one is gone */
	ck_assert(cache_lookup_stale(c, key, klen, 74999, &e));
	ck_assert(!cache_lookup_stale(c, key, klen, 75000, &e));
	ck_assert_uint_eq(cache_count(c), 0);

	ck_assert_int_eq(cache_store(c, key, klen, body, 20, NULL, 0, 10, 0, 0, 5000), 0);
	ck_assert(cache_lookup_stale(c, key, klen, 20000, &e));
	ck_assert_int_eq(cache_store(c, key, klen, body, 20, NULL, 0, 10, 0, 0, 20000), 0);
	ck_assert(cache_lookup(c, key, klen, 20001, &e)); /* refreshed */
	ck_assert(!cache_lookup_stale(c, key, klen, 20001, &e));
	cache_free(c);
}
END_TEST

START_TEST(test_lru_exact)
{
	struct cache *c = cache_new(1 << 20);

	/* Equal-sized entries: keys h1..h5 share a length, bodies too. */
	for (unsigned i = 1; i <= 3; i++)
		ck_assert_int_eq(store_num(c, i, 60, 60, 0), 0);
	cache_set_limit(c, cache_bytes(c));
	ck_assert_uint_eq(cache_count(c), 3);

	ck_assert(has_num(c, 1, 1)); /* 1 becomes the most recent; 2 the least */
	ck_assert_int_eq(store_num(c, 4, 60, 60, 2), 0);
	ck_assert_uint_eq(cache_count(c), 3);
	ck_assert(!has_num(c, 2, 3));
	/* Oldest first: 3, 1, 4; touching them in this order leaves 3 the oldest again. */
	ck_assert(has_num(c, 3, 3));
	ck_assert(has_num(c, 1, 3));
	ck_assert(has_num(c, 4, 3));
	ck_assert_int_eq(store_num(c, 5, 60, 60, 4), 0);
	ck_assert(!has_num(c, 3, 5));
	ck_assert(has_num(c, 1, 5));
	ck_assert(has_num(c, 4, 5));
	ck_assert(has_num(c, 5, 5));
	ck_assert_uint_eq(cache_count(c), 3);
	cache_free(c);
}
END_TEST

START_TEST(test_lru_suffix)
{
	const size_t limit = 16 * 1024;
	const unsigned n = 2000, hot = 1000000;
	struct cache *c = cache_new(limit);

	ck_assert_int_eq(store_num(c, hot, 60, 3600, 0), 0);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(store_num(c, i, 60, 3600, i), 0);
		ck_assert_uint_le(cache_bytes(c), limit);
		ck_assert_msg(has_num(c, hot, i), "hot entry evicted at store %u", i);
	}
	/* LRU keeps exactly the newest entries: once one is present, all later ones are too. */
	unsigned first = 0;
	while (first < n && !has_num(c, first, n))
		first++;
	for (unsigned i = first; i < n; i++)
		ck_assert_msg(has_num(c, i, n), "entry %u missing, %u present", i, first);
	ck_assert_uint_gt(first, 0);
	ck_assert_uint_lt(first, n - 10);
	ck_assert_uint_eq(cache_count(c), n - first + 1);
	cache_free(c);
}
END_TEST

START_TEST(test_bound_many)
{
	const size_t limit = 64 * 1024;
	struct cache *c = cache_new(limit);

	for (unsigned i = 0; i < 20000; i++) {
		ck_assert_int_eq(store_num(c, i, (i * 37) % 500, 60, i), 0);
		ck_assert_uint_le(cache_bytes(c), limit);
		ck_assert_uint_gt(cache_count(c), 0);
		ck_assert(has_num(c, i, i));
	}
	ck_assert_uint_gt(cache_count(c), 100);
	cache_free(c);
}
END_TEST

START_TEST(test_many_entries)
{
	const unsigned n = 100000;
	struct cache *c = cache_new((size_t)64 << 20);

	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(store_num(c, i, 60, 3600, 0), 0);
	ck_assert_uint_eq(cache_count(c), n);
	for (unsigned i = 0; i < n; i++)
		ck_assert(has_num(c, i, 1));
	/* Memory target: a 60-byte answer costs well under 200 bytes with its share of index. */
	ck_assert_uint_lt(cache_bytes(c), (size_t)n * 200);
	cache_free(c);
}
END_TEST

START_TEST(test_e2big)
{
	struct cache *c = cache_new(1000);
	static uint8_t body[70000];
	uint8_t key[CACHE_KEY_MAX];
	struct cache_entry e;
	size_t klen = key_num(key, 1);

	ck_assert_int_eq(cache_store(c, key, klen, body, 2000, NULL, 0, 60, 0, 0, 0), -E2BIG);
	ck_assert_uint_eq(cache_count(c), 0);
	ck_assert_uint_eq(cache_bytes(c), 0);

	/* A refused replacement leaves the old answer and its neighbours alone. */
	ck_assert_int_eq(store_num(c, 2, 60, 60, 0), 0);
	ck_assert_int_eq(store_num(c, 1, 60, 60, 0), 0);
	ck_assert_int_eq(cache_store(c, key, klen, body, 990, NULL, 0, 60, 0, 0, 0), -E2BIG);
	ck_assert_uint_eq(cache_count(c), 2);
	ck_assert(cache_lookup(c, key, klen, 1, &e));
	ck_assert_uint_eq(e.body_len, 60);

	/* Lengths beyond uint16 are refused whatever the bound. */
	cache_set_limit(c, (size_t)1 << 30);
	ck_assert_int_eq(cache_store(c, key, klen, body, 70000, NULL, 0, 60, 0, 0, 0), -E2BIG);
	ck_assert_int_eq(cache_store(c, key, klen, body, 65535, NULL, 0, 60, 0, 0, 0), 0);
	cache_free(c);

	/* A zero bound stores nothing. */
	c = cache_new(0);
	ck_assert_int_eq(store_num(c, 1, 0, 60, 0), -E2BIG);
	ck_assert_uint_eq(cache_bytes(c), 0);
	ck_assert(!has_num(c, 1, 0));
	cache_free(c);
}
END_TEST

START_TEST(test_set_limit)
{
	struct cache *c = cache_new(1 << 20);
	const unsigned n = 3000;

	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(store_num(c, i, 60, 3600, 0), 0);
	ck_assert_uint_eq(cache_count(c), n);
	cache_set_limit(c, 32 * 1024);
	ck_assert_uint_le(cache_bytes(c), 32 * 1024);
	ck_assert_uint_gt(cache_count(c), 50);
	ck_assert_uint_lt(cache_count(c), n);
	ck_assert(has_num(c, n - 1, 1)); /* newest kept, oldest gone */
	ck_assert(!has_num(c, 0, 1));

	/* Even the bucket array gives way to a tiny bound. */
	cache_set_limit(c, 100);
	ck_assert_uint_le(cache_bytes(c), 100);
	cache_set_limit(c, 0);
	ck_assert_uint_eq(cache_count(c), 0);
	ck_assert_uint_eq(cache_bytes(c), 0);

	cache_set_limit(c, 1 << 20);
	ck_assert_int_eq(store_num(c, 7, 60, 60, 0), 0);
	ck_assert(has_num(c, 7, 1));
	cache_free(c);
}
END_TEST

START_TEST(test_clear)
{
	struct cache *c = cache_new(1 << 20);

	for (unsigned i = 0; i < 1000; i++)
		ck_assert_int_eq(store_num(c, i, 60, 60, 0), 0);
	ck_assert_uint_eq(cache_count(c), 1000);
	cache_clear(c);
	ck_assert_uint_eq(cache_count(c), 0);
	ck_assert_uint_eq(cache_bytes(c), 0);
	for (unsigned i = 0; i < 1000; i++)
		ck_assert(!has_num(c, i, 1));
	ck_assert_int_eq(store_num(c, 5, 60, 60, 0), 0);
	ck_assert(has_num(c, 5, 1));
	ck_assert_uint_eq(cache_count(c), 1);
	cache_free(c);
}
END_TEST

/* What the stress test last stored under each key, to check every hit against. */
struct model {
	unsigned version; /* 0: never stored */
	uint16_t body_len;
	uint16_t n_ttl;
	uint64_t stored_ms;
	uint32_t ttl;
};

#define STRESS_KEYS 700

static void stress_check_hit(const struct model *m, unsigned k, const struct cache_entry *e,
			     uint64_t now)
{
	uint8_t want[600];

	ck_assert_uint_ne(m->version, 0);
	ck_assert_uint_eq(e->body_len, m->body_len);
	fill_body(want, m->body_len, k * 100003u + m->version);
	ck_assert_mem_eq(e->body, want, m->body_len);
	ck_assert_uint_eq(e->n_ttl, m->n_ttl);
	for (unsigned i = 0; i < m->n_ttl; i++)
		ck_assert_uint_eq(e->ttl_offs[i], (uint16_t)(m->version + i));
	ck_assert_uint_eq(e->stored_ms, m->stored_ms);
	ck_assert_uint_eq(e->expire_ms, m->stored_ms + (uint64_t)m->ttl * 1000);
	ck_assert_uint_lt(now, e->expire_ms);
	ck_assert_uint_eq(e->rcode, k & 15);
	ck_assert_uint_eq(e->sec, m->version & 3);
}

static void stress_store(struct cache *c, size_t limit, struct model *models, unsigned k,
			 uint64_t now, unsigned *version)
{
	uint8_t key[CACHE_KEY_MAX], body[600];
	uint16_t offs[8];
	struct cache_entry e;
	size_t klen = key_num(key, k);
	unsigned v = ++*version;
	size_t body_len = (size_t)rand() % 400, n_ttl = (size_t)rand() % 9;
	uint32_t ttl = (uint32_t)rand() % 4;

	fill_body(body, body_len, k * 100003u + v);
	for (unsigned i = 0; i < n_ttl; i++)
		offs[i] = (uint16_t)(v + i);
	int rc = cache_store(c, key, klen, body, body_len, offs, n_ttl, ttl, (uint8_t)(k & 15),
			     (uint8_t)(v & 3), now);
	ck_assert_uint_le(cache_bytes(c), limit);
	if (rc == -E2BIG)
		return;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_gt(cache_count(c), 0);
	models[k] = (struct model){v, (uint16_t)body_len, (uint16_t)n_ttl, now, ttl};
	if (ttl) {
		ck_assert(cache_lookup(c, key, klen, now, &e));
		stress_check_hit(&models[k], k, &e, now);
	}
}

START_TEST(test_stress)
{
	static struct model models[STRESS_KEYS];
	struct cache *c = cache_new(4096);
	size_t limit = 4096;
	unsigned version = 0, hits = 0, stores = 0;
	uint64_t now = 1;

	srand(12345);
	for (unsigned op = 0; op < 200000; op++) {
		unsigned k = (unsigned)rand() % STRESS_KEYS;
		uint8_t key[CACHE_KEY_MAX];
		struct cache_entry e;
		size_t klen = key_num(key, k);

		now += (uint64_t)(rand() % 40);
		if (op % 20000 == 19999) {
			limit = 1000 + (size_t)rand() % 7000;
			cache_set_limit(c, limit);
		} else if (op % 50000 == 49999) {
			cache_clear(c);
		} else if (rand() % 2) {
			stress_store(c, limit, models, k, now, &version);
			stores++;
		} else if (cache_lookup(c, key, klen, now, &e)) {
			stress_check_hit(&models[k], k, &e, now);
			hits++;
		}
		ck_assert_uint_le(cache_bytes(c), limit);
	}
	ck_assert_uint_gt(stores, 90000);
	ck_assert_uint_gt(hits, 100);
	cache_free(c);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_key_layout);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_key_distinct);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_stale_window);
	tcase_add_test(tc, test_lru_exact);
	tcase_add_test(tc, test_lru_suffix);
	tcase_add_test(tc, test_bound_many);
	tcase_add_test(tc, test_many_entries);
	tcase_add_test(tc, test_e2big);
	tcase_add_test(tc, test_set_limit);
	tcase_add_test(tc, test_clear);
	tcase_add_test(tc, test_stress);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(cache_suite());
}
