/*
 * inflight.c -- entries in flight per client; the heaviest client at hand. See inflight.h.
 *
 * Each client has a queue of its entries, oldest first, and sits in the list of clients that
 * hold as many entries as it does (by_count[n]); max is the largest n with a client. An entry
 * added or removed moves its client one list up or down, so the heaviest client is the head
 * of by_count[max] at any time, as in an O(1) LFU cache. A client with no entry left is freed.
 */
#include "util/inflight.h"

#include "util/xalloc.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define INFLIGHT_BUCKETS 1024 /* client hash chains; clients are at most the entries */
#define INFLIGHT_KEY_LEN 17   /* family byte and up to 16 address bytes */

struct inflight_queue {
	struct inflight_slot *head, *tail;
	size_t n;
};

struct inflight_client {
	struct inflight_client *hnext;       /* hash chain */
	struct inflight_client *prev, *next; /* among the clients holding as many entries */
	struct inflight_queue q;
	uint32_t hash;
	uint8_t key[INFLIGHT_KEY_LEN];
};

struct inflight {
	size_t count;
	struct inflight_queue low;
	struct inflight_client **by_count; /* [n]: the clients holding n entries ([0] unused) */
	size_t by_count_cap;
	size_t max;    /* the largest n with a client in by_count[n]; 0: none */
	uint32_t seed; /* so that chosen addresses cannot all fall into one chain */
	struct inflight_client *buckets[INFLIGHT_BUCKETS];
};

struct inflight *inflight_new(void)
{
	struct inflight *t = xcalloc(1, sizeof(*t));
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint32_t)(uintptr_t)t;
	return t;
}

void inflight_free(struct inflight *t)
{
	if (!t)
		return;
	free(t->by_count);
	free(t);
}

size_t inflight_count(const struct inflight *t)
{
	return t->count;
}

/* The client key of an address: IPv4 (also when IPv4-mapped) or the IPv6 address. */
static void inflight_key(const struct sockaddr *sa, uint8_t key[INFLIGHT_KEY_LEN])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memset(key, 0, INFLIGHT_KEY_LEN);
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof(mapped))) {
			key[0] = 6;
			memcpy(key + 1, a, 16);
			return;
		}
		key[0] = 4;
		memcpy(key + 1, a + 12, 4);
	} else {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

static uint32_t inflight_hash(const struct inflight *t, const uint8_t *key)
{
	uint32_t h = 2166136261u ^ t->seed;
	for (size_t i = 0; i < INFLIGHT_KEY_LEN; i++)
		h = (h ^ key[i]) * 16777619u;
	return h ^ (h >> 15);
}

static struct inflight_client *inflight_find(const struct inflight *t, const uint8_t *key,
					     uint32_t hash)
{
	for (struct inflight_client *c = t->buckets[hash % INFLIGHT_BUCKETS]; c; c = c->hnext)
		if (c->hash == hash && !memcmp(c->key, key, INFLIGHT_KEY_LEN))
			return c;
	return NULL;
}

size_t inflight_count_of(const struct inflight *t, const struct sockaddr *peer)
{
	if (!peer)
		return t->low.n;
	uint8_t key[INFLIGHT_KEY_LEN];
	inflight_key(peer, key);
	const struct inflight_client *c = inflight_find(t, key, inflight_hash(t, key));
	return c ? c->q.n : 0;
}

static void inflight_queue_push(struct inflight_queue *q, struct inflight_slot *s)
{
	s->next = NULL;
	s->prev = q->tail;
	if (q->tail)
		q->tail->next = s;
	else
		q->head = s;
	q->tail = s;
	q->n++;
}

static void inflight_queue_unlink(struct inflight_queue *q, struct inflight_slot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		q->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		q->tail = s->prev;
	q->n--;
}

/* Put c, which holds n > 0 entries, into by_count[n]. */
static void inflight_rank(struct inflight *t, struct inflight_client *c, size_t n)
{
	if (n >= t->by_count_cap) {
		size_t cap = t->by_count_cap ? t->by_count_cap * 2 : 64;
		while (cap <= n)
			cap *= 2;
		t->by_count = xrealloc(t->by_count, cap * sizeof(*t->by_count));
		memset(t->by_count + t->by_count_cap, 0,
		       (cap - t->by_count_cap) * sizeof(*t->by_count));
		t->by_count_cap = cap;
	}
	c->prev = NULL;
	c->next = t->by_count[n];
	if (c->next)
		c->next->prev = c;
	t->by_count[n] = c;
	if (n > t->max)
		t->max = n;
}

/* Take c out of by_count[n], n its entries. */
static void inflight_unrank(struct inflight *t, struct inflight_client *c, size_t n)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->by_count[n] = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static struct inflight_client *inflight_client_get(struct inflight *t, const struct sockaddr *sa)
{
	uint8_t key[INFLIGHT_KEY_LEN];
	inflight_key(sa, key);
	uint32_t hash = inflight_hash(t, key);
	struct inflight_client *c = inflight_find(t, key, hash);
	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->hash = hash;
	memcpy(c->key, key, INFLIGHT_KEY_LEN);
	c->hnext = t->buckets[hash % INFLIGHT_BUCKETS];
	t->buckets[hash % INFLIGHT_BUCKETS] = c;
	return c;
}

static void inflight_client_free(struct inflight *t, struct inflight_client *c)
{
	struct inflight_client **pp = &t->buckets[c->hash % INFLIGHT_BUCKETS];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	free(c);
}

void inflight_add(struct inflight *t, struct inflight_slot *s, const struct sockaddr *peer)
{
	t->count++;
	s->client = NULL;
	if (!peer) {
		inflight_queue_push(&t->low, s);
		return;
	}
	struct inflight_client *c = inflight_client_get(t, peer);
	if (c->q.n)
		inflight_unrank(t, c, c->q.n);
	inflight_queue_push(&c->q, s);
	inflight_rank(t, c, c->q.n);
	s->client = c;
}

void inflight_remove(struct inflight *t, struct inflight_slot *s)
{
	struct inflight_client *c = s->client;
	t->count--;
	if (!c) {
		inflight_queue_unlink(&t->low, s);
		return;
	}
	inflight_unrank(t, c, c->q.n);
	inflight_queue_unlink(&c->q, s);
	if (c->q.n)
		inflight_rank(t, c, c->q.n);
	else
		inflight_client_free(t, c);
	while (t->max && !t->by_count[t->max])
		t->max--;
}

void inflight_demote(struct inflight *t, struct inflight_slot *s)
{
	if (!s->client)
		return;
	inflight_remove(t, s);
	inflight_add(t, s, NULL);
}

struct inflight_slot *inflight_victim(const struct inflight *t)
{
	if (t->low.head)
		return t->low.head;
	return t->max ? t->by_count[t->max]->q.head : NULL;
}
