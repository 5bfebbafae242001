/*
 * cache.c -- bounded answer cache, see cache.h.
 *
 * Each entry is one malloc block: a small header, the key, the TTL offsets and the body, so a
 * hit touches one allocation and its charge against the bound is what malloc really spent.
 * Entries sit in a chained hash table and on an LRU list whose tail is evicted first. The
 * table is keyed with SipHash-1-3 under a per-cache random key: clients choose qnames, and a
 * fixed hash would let them pile every name into one chain. The bucket array doubles when the
 * load passes 1, is charged too, and is held to a quarter of the bound so entries keep room.
 */
#include "dns/cache.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define CACHE_SCOPE_MAX 64

struct cache_link {
	struct cache_link *prev;
	struct cache_link *next;
};

struct cache_node {
	struct cache_link lru;    /* first member: a link pointer is its node pointer */
	struct cache_node *hnext; /* hash chain */
	uint64_t expire_ms;
	uint32_t ttl; /* seconds; stored_ms is expire_ms - ttl * 1000, so it needs no field */
	uint16_t key_len;
	uint16_t body_len;
	uint16_t n_ttl;
	uint8_t rcode;
	uint8_t sec;
	uint8_t data[]; /* key, one pad byte if its length is odd, uint16 TTL offsets, body */
};

_Static_assert(offsetof(struct cache_node, lru) == 0, "lru link must come first");
_Static_assert(offsetof(struct cache_node, data) % _Alignof(uint16_t) == 0 &&
		   _Alignof(struct cache_node) % _Alignof(uint16_t) == 0,
	       "TTL offsets after an even-padded key must be aligned");

struct cache {
	struct cache_node **tab;
	size_t mask;      /* buckets - 1; a power of two */
	size_t count;     /* entries */
	size_t bytes;     /* entries plus tab_bytes: what the bound limits */
	size_t tab_bytes; /* the heap bucket array; the inline bucket costs nothing extra */
	size_t max;
	uint64_t stale_ms;      /* how long expired entries are kept (cache_set_stale) */
	uint64_t k0, k1;        /* SipHash key */
	struct cache_link lru;  /* next is the most recently used entry */
	struct cache_node *one; /* the bucket of a one-bucket table, so no table needs malloc */
};

/*
 * What a block of len bytes costs: glibc's chunk (len plus its size word, 16-byte granules,
 * 32 at least), or more if the allocator reports more. Predicted before malloc so eviction can
 * make room first, checked after it so another allocator cannot push us past the bound.
 */
static size_t cache_charge_est(size_t len)
{
	size_t chunk = (len + sizeof(size_t) + 15) & ~(size_t)15;
	return chunk < 32 ? 32 : chunk;
}

static size_t cache_charge(void *p, size_t len)
{
	size_t est = cache_charge_est(len);
	size_t real = malloc_usable_size(p) + sizeof(size_t);
	return real > est ? real : est;
}

#define CACHE_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void cache_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = CACHE_ROTL(v[1], 13) ^ v[0];
	v[0] = CACHE_ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = CACHE_ROTL(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = CACHE_ROTL(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = CACHE_ROTL(v[1], 17) ^ v[2];
	v[2] = CACHE_ROTL(v[2], 32);
}

/* SipHash-1-3 (words read in host order: the value only has to be unpredictable). */
static uint32_t cache_hash(const struct cache *c, const uint8_t *p, size_t len)
{
	uint64_t v[4] = {c->k0 ^ 0x736f6d6570736575ULL, c->k1 ^ 0x646f72616e646f6dULL,
			 c->k0 ^ 0x6c7967656e657261ULL, c->k1 ^ 0x7465646279746573ULL};
	const uint8_t *end = p + (len & ~(size_t)7);
	uint64_t m, b = (uint64_t)len << 56;

	for (; p != end; p += 8) {
		memcpy(&m, p, sizeof(m));
		v[3] ^= m;
		cache_sipround(v);
		v[0] ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v[3] ^= b;
	cache_sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	cache_sipround(v);
	cache_sipround(v);
	cache_sipround(v);
	return (uint32_t)(v[0] ^ v[1] ^ v[2] ^ v[3]);
}

static void cache_seed(struct cache *c)
{
	uint64_t k[2];
	ssize_t got;

	/* Never wait for entropy: a resolver started early at boot would hold up the boot. */
	do {
		got = getrandom(k, sizeof(k), GRND_NONBLOCK);
	} while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(k)) {
		/* Still a working cache; only its resistance to chosen-collision floods is weaker.
		 */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		log_warn("cache: getrandom failed, hash key is guessable");
		k[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
		k[1] = (uint64_t)(uintptr_t)c * 0xbf58476d1ce4e5b9ULL ^ (uint64_t)clock();
	}
	c->k0 = k[0];
	c->k1 = k[1];
}

static size_t cache_node_size(size_t key_len, size_t body_len, size_t n_ttl)
{
	/* From data, not sizeof: the struct's tail padding is where the key starts. */
	return offsetof(struct cache_node, data) + ((key_len + 1) & ~(size_t)1) +
	       n_ttl * sizeof(uint16_t) + body_len;
}

static uint16_t *cache_node_offs(struct cache_node *n)
{
	return (uint16_t *)(void *)(n->data + ((n->key_len + 1u) & ~1u));
}

static uint8_t *cache_node_body(struct cache_node *n)
{
	return (uint8_t *)(cache_node_offs(n) + n->n_ttl);
}

static void cache_lru_unlink(struct cache_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
}

static void cache_lru_push(struct cache *c, struct cache_link *l)
{
	l->prev = &c->lru;
	l->next = c->lru.next;
	c->lru.next->prev = l;
	c->lru.next = l;
}

/* The slot that points at the entry for key, or the empty slot ending its chain. */
static struct cache_node **cache_slot(struct cache *c, uint32_t h, const uint8_t *key,
				      size_t key_len)
{
	struct cache_node **pp = &c->tab[h & c->mask];

	for (; *pp; pp = &(*pp)->hnext) {
		const struct cache_node *n = *pp;
		if (n->key_len == key_len && memcmp(n->data, key, key_len) == 0)
			break;
	}
	return pp;
}

/* Unlink and free the entry *pp points at. */
static void cache_drop(struct cache *c, struct cache_node **pp)
{
	struct cache_node *n = *pp;

	*pp = n->hnext;
	cache_lru_unlink(&n->lru);
	c->bytes -= cache_charge(n, cache_node_size(n->key_len, n->body_len, n->n_ttl));
	c->count--;
	free(n);
}

/* Evict least recently used entries until bytes <= limit, never touching keep. */
static void cache_evict(struct cache *c, size_t limit, const struct cache_node *keep)
{
	while (c->bytes > limit && c->lru.prev != &c->lru) {
		struct cache_node *n = (struct cache_node *)(void *)c->lru.prev, **pp;
		if (n == keep)
			return;
		/* Recomputing the hash here beats storing it: this is once per eviction. */
		pp = &c->tab[cache_hash(c, n->data, n->key_len) & c->mask];
		while (*pp != n)
			pp = &(*pp)->hnext;
		cache_drop(c, pp);
	}
}

/* Move every entry into a table of nb buckets (a power of two). */
static void cache_resize(struct cache *c, size_t nb)
{
	struct cache_node **tab = &c->one, **old = c->tab;
	size_t old_nb = c->mask + 1, charge = 0;

	if (nb > 1) {
		tab = xcalloc(nb, sizeof(*tab));
		charge = cache_charge(tab, nb * sizeof(*tab));
	} else {
		c->one = NULL; /* only reached from a larger heap table */
	}
	for (size_t i = 0; i < old_nb; i++) {
		struct cache_node *n = old[i], *next;
		for (; n; n = next) {
			uint32_t h = cache_hash(c, n->data, n->key_len);
			struct cache_node **slot = &tab[h & (nb - 1)];
			next = n->hnext;
			n->hnext = *slot;
			*slot = n;
		}
	}
	if (old != &c->one)
		free(old);
	c->tab = tab;
	c->mask = nb - 1;
	c->bytes = c->bytes - c->tab_bytes + charge;
	c->tab_bytes = charge;
}

/* The largest table the bound allows: short chains without starving the entries. */
static bool cache_tab_fits(const struct cache *c, size_t nb)
{
	return nb * sizeof(struct cache_node *) <= c->max / 4;
}

/*
 * Double the table before an entry of charge need goes in, evicting to pay for it: once
 * the cache is full nothing else would ever let the table catch up with the entry count.
 */
static void cache_grow(struct cache *c, size_t need)
{
	size_t nb = (c->mask + 1) * 2;
	size_t est = cache_charge_est(nb * sizeof(struct cache_node *));

	if (!cache_tab_fits(c, nb) || est > c->max - need)
		return;
	cache_evict(c, c->max - need - est + c->tab_bytes, NULL);
	cache_resize(c, nb);
}

struct cache *cache_new(size_t max_bytes)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	c->tab = &c->one;
	c->max = max_bytes;
	c->lru.prev = c->lru.next = &c->lru;
	cache_seed(c);
	return c;
}

void cache_clear(struct cache *c)
{
	struct cache_link *l = c->lru.next;

	while (l != &c->lru) {
		struct cache_link *next = l->next;
		free(l);
		l = next;
	}
	c->lru.prev = c->lru.next = &c->lru;
	if (c->tab != &c->one)
		free(c->tab);
	c->tab = &c->one;
	c->one = NULL;
	c->mask = 0;
	c->count = c->bytes = c->tab_bytes = 0;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	cache_clear(c);
	free(c);
}

void cache_set_limit(struct cache *c, size_t max_bytes)
{
	size_t nb = c->mask + 1;

	c->max = max_bytes;
	while (nb > 1 && !cache_tab_fits(c, nb))
		nb /= 2;
	if (nb != c->mask + 1)
		cache_resize(c, nb);
	cache_evict(c, max_bytes, NULL);
}

size_t cache_key_make(uint8_t *out, const char *scope, const uint8_t *lname, size_t lname_len,
		      uint16_t qtype, uint16_t qclass, uint8_t flags)
{
	size_t slen = scope ? strnlen(scope, CACHE_SCOPE_MAX) : 0;
	uint8_t *p = out;

	/* A wire name is at most 255 bytes; more would overrun out, never a real key. */
	if (lname_len > 255)
		lname_len = 255;
	*p++ = (uint8_t)slen; /* the length keeps (scope, name) pairs from running together */
	memcpy(p, scope, slen);
	p += slen;
	memcpy(p, lname, lname_len);
	p += lname_len;
	*p++ = (uint8_t)(qtype >> 8);
	*p++ = (uint8_t)qtype;
	*p++ = (uint8_t)(qclass >> 8);
	*p++ = (uint8_t)qclass;
	*p++ = flags;
	return (size_t)(p - out);
}

static void cache_entry_of(struct cache_node *n, struct cache_entry *e)
{
	e->ttl_offs = cache_node_offs(n);
	e->n_ttl = n->n_ttl;
	e->body = cache_node_body(n);
	e->body_len = n->body_len;
	e->expire_ms = n->expire_ms;
	e->stored_ms = n->expire_ms - (uint64_t)n->ttl * 1000;
	e->rcode = n->rcode;
	e->sec = n->sec;
}

void cache_set_stale(struct cache *c, uint64_t stale_ms)
{
	c->stale_ms = stale_ms;
}

/* Is the expired n still within the stale window? */
static bool cache_keeps_stale(const struct cache *c, const struct cache_node *n, uint64_t now_ms)
{
	return CACHE_SEC_STATUS(n->sec) != CACHE_BOGUS && now_ms - n->expire_ms < c->stale_ms;
}

bool cache_lookup_stale(struct cache *c, const uint8_t *key, size_t key_len, uint64_t now_ms,
			struct cache_entry *e)
{
	struct cache_node **pp = cache_slot(c, cache_hash(c, key, key_len), key, key_len);
	struct cache_node *n = *pp;
	if (!n || now_ms < n->expire_ms)
		return false;
	if (!cache_keeps_stale(c, n, now_ms)) {
		cache_drop(c, pp);
		return false;
	}
	cache_entry_of(n, e);
	return true;
}

bool cache_lookup(struct cache *c, const uint8_t *key, size_t key_len, uint64_t now_ms,
		  struct cache_entry *e)
{
	struct cache_node **pp = cache_slot(c, cache_hash(c, key, key_len), key, key_len);
	struct cache_node *n = *pp;

	if (!n)
		return false;
	if (now_ms >= n->expire_ms) {
		if (!cache_keeps_stale(c, n, now_ms))
			cache_drop(c, pp);
		return false;
	}
	if (c->lru.next != &n->lru) {
		cache_lru_unlink(&n->lru);
		cache_lru_push(c, &n->lru);
	}
	cache_entry_of(n, e);
	return true;
}

static struct cache_node *cache_node_new(size_t size, const uint8_t *key, size_t key_len,
					 const uint8_t *body, size_t body_len,
					 const uint16_t *ttl_offs, size_t n_ttl)
{
	struct cache_node *n = xmalloc(size);

	n->key_len = (uint16_t)key_len;
	n->body_len = (uint16_t)body_len;
	n->n_ttl = (uint16_t)n_ttl;
	memcpy(n->data, key, key_len);
	if (n_ttl)
		memcpy(cache_node_offs(n), ttl_offs, n_ttl * sizeof(uint16_t));
	if (body_len)
		memcpy(cache_node_body(n), body, body_len);
	return n;
}

int cache_store(struct cache *c, const uint8_t *key, size_t key_len, const uint8_t *body,
		size_t body_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t ttl,
		uint8_t rcode, uint8_t sec, uint64_t now_ms)
{
	if (key_len > UINT16_MAX || body_len > UINT16_MAX || n_ttl > UINT16_MAX)
		return -E2BIG;
	size_t size = cache_node_size(key_len, body_len, n_ttl);
	size_t need = cache_charge_est(size);
	/* Checked before anything changes, so a refused store leaves the old answer in place. */
	if (c->tab_bytes > c->max || need > c->max - c->tab_bytes)
		return -E2BIG;

	uint32_t h = cache_hash(c, key, key_len);
	struct cache_node **pp = cache_slot(c, h, key, key_len);
	if (*pp)
		cache_drop(c, pp);
	if (c->count > c->mask)
		cache_grow(c, need);
	cache_evict(c, c->max - need, NULL);

	struct cache_node *n = cache_node_new(size, key, key_len, body, body_len, ttl_offs, n_ttl);
	n->expire_ms = now_ms + (uint64_t)ttl * 1000;
	n->ttl = ttl;
	n->rcode = rcode;
	n->sec = sec;
	pp = &c->tab[h & c->mask];
	n->hnext = *pp;
	*pp = n;
	cache_lru_push(c, &n->lru);
	c->count++;
	c->bytes += cache_charge(n, size);
	if (c->bytes > c->max) {
		/*
		 * Only when malloc gave more than predicted: make room around the new entry,
		 * or give it up (the entry it replaced is gone either way).
		 */
		cache_evict(c, c->max, n);
		if (c->bytes > c->max) {
			cache_drop(c, &c->tab[h & c->mask]);
			return -E2BIG;
		}
	}
	return 0;
}

size_t cache_count(const struct cache *c)
{
	return c->count;
}

size_t cache_bytes(const struct cache *c)
{
	return c->bytes;
}

void cache_walk(struct cache *c,
		void (*cb)(void *ud, const uint8_t *key, size_t key_len,
			   const struct cache_entry *e),
		void *ud)
{
	for (struct cache_link *l = c->lru.next; l != &c->lru; l = l->next) {
		struct cache_node *n = (struct cache_node *)(void *)l;
		struct cache_entry e;
		cache_entry_of(n, &e);
		cb(ud, n->data, n->key_len, &e);
	}
}

size_t cache_remove_if(struct cache *c, bool (*match)(void *ud, const uint8_t *key, size_t key_len),
		       void *ud)
{
	size_t removed = 0;
	struct cache_link *l = c->lru.next;
	while (l != &c->lru) {
		struct cache_node *n = (struct cache_node *)(void *)l, **pp;
		l = l->next;
		if (!match(ud, n->data, n->key_len))
			continue;
		pp = &c->tab[cache_hash(c, n->data, n->key_len) & c->mask];
		while (*pp != n)
			pp = &(*pp)->hnext;
		cache_drop(c, pp);
		removed++;
	}
	return removed;
}
