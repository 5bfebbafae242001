/*
 * keycache.c -- validated zone keys and proven-insecure points. See keycache.h.
 *
 * A small chained hash table. It is bounded by entry count; when full, the entries of one
 * bucket are dropped (cheap, and any of them can be re-learnt with a few lookups).
 */
#include "dnssec/keycache.h"

#include "dnssec/sigcheck.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define KEYCACHE_BUCKETS 1024

struct keycache_node {
	struct keycache_node *next;
	ldns_rdf *name;
	struct keycache_entry e;
};

struct keycache {
	struct keycache_node *buckets[KEYCACHE_BUCKETS];
	size_t count, max;
	unsigned victim;     /* next bucket to empty when full */
	struct sigcheck *sc; /* the keys' OpenSSL objects */
};

static unsigned keycache_hash(const ldns_rdf *name)
{
	const uint8_t *p = ldns_rdf_data(name);
	unsigned h = 5381;
	for (size_t i = 0; i < ldns_rdf_size(name); i++)
		h = h * 33 + p[i];
	return h % KEYCACHE_BUCKETS;
}

static void keycache_node_free(struct keycache_node *n)
{
	ldns_rdf_deep_free(n->name);
	ldns_rdf_deep_free(n->e.zone);
	ldns_rr_list_deep_free(n->e.keys);
	free(n);
}

struct keycache *keycache_new(size_t max_entries)
{
	struct keycache *kc = xcalloc(1, sizeof(*kc));
	kc->max = max_entries;
	kc->sc = sigcheck_new();
	return kc;
}

void keycache_clear(struct keycache *kc)
{
	for (size_t i = 0; i < KEYCACHE_BUCKETS; i++) {
		while (kc->buckets[i]) {
			struct keycache_node *n = kc->buckets[i];
			kc->buckets[i] = n->next;
			keycache_node_free(n);
		}
	}
	kc->count = 0;
}

void keycache_free(struct keycache *kc)
{
	if (!kc)
		return;
	keycache_clear(kc);
	sigcheck_free(kc->sc);
	free(kc);
}

struct sigcheck *keycache_sigcheck(struct keycache *kc)
{
	return kc->sc;
}

static struct keycache_node **keycache_slot(struct keycache *kc, const ldns_rdf *name)
{
	struct keycache_node **pp = &kc->buckets[keycache_hash(name)];
	while (*pp && ldns_rdf_compare((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

const struct keycache_entry *keycache_get(struct keycache *kc, const ldns_rdf *name,
					  uint64_t now_ms)
{
	struct keycache_node **pp = keycache_slot(kc, name);
	if (!*pp)
		return NULL;
	if ((*pp)->e.expire_ms <= now_ms) {
		struct keycache_node *n = *pp;
		*pp = n->next;
		keycache_node_free(n);
		kc->count--;
		return NULL;
	}
	return &(*pp)->e;
}

/* Make room by dropping whole buckets, round robin. */
static void keycache_evict(struct keycache *kc)
{
	while (kc->count >= kc->max && kc->count > 0) {
		struct keycache_node **b = &kc->buckets[kc->victim++ % KEYCACHE_BUCKETS];
		while (*b) {
			struct keycache_node *n = *b;
			*b = n->next;
			keycache_node_free(n);
			kc->count--;
		}
	}
}

void keycache_put(struct keycache *kc, const ldns_rdf *name, enum keycache_state state,
		  const ldns_rdf *zone, const ldns_rr_list *keys, int ede, uint32_t ttl,
		  uint64_t now_ms)
{
	struct keycache_node **pp = keycache_slot(kc, name);
	if (*pp) {
		struct keycache_node *old = *pp;
		*pp = old->next;
		keycache_node_free(old);
		kc->count--;
	}
	keycache_evict(kc);
	struct keycache_node *n = xcalloc(1, sizeof(*n));
	n->name = ldns_rdf_clone(name);
	n->e.state = state;
	n->e.zone = zone ? ldns_rdf_clone(zone) : NULL;
	n->e.keys = keys ? ldns_rr_list_clone(keys) : NULL;
	n->e.ede = ede;
	n->e.expire_ms = now_ms + (uint64_t)ttl * 1000;
	pp = &kc->buckets[keycache_hash(name)];
	n->next = *pp;
	*pp = n;
	kc->count++;
}
