/*
 * upstream_server.c -- the upstream pool's table of servers. See upstream_impl.h.
 */
#include "daemon/upstream_impl.h"

#include "util/xalloc.h"

#include <netinet/in.h>
#include <string.h>

static uint32_t upstream_addr_hash(const struct addr *a)
{
	const uint8_t *b = (const uint8_t *)&a->ss;
	size_t len =
	    a->ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h % UPSTREAM_BUCKETS;
}

/* Take server i off its hash chain. */
static void upstream_server_unhash(struct upstream_pool *p, size_t i)
{
	uint32_t *pp = &p->buckets[upstream_addr_hash(&p->servers[i].addr)];
	while (*pp != UPSTREAM_NONE && *pp != i)
		pp = &p->servers[*pp].next;
	if (*pp == i)
		*pp = p->servers[i].next;
}

/*
 * A slot for a new server: a new one while fewer than UPSTREAM_MAX_KNOWN are known, else the
 * least recently used one that is idle and not configured (what it learned is forgotten).
 */
static size_t upstream_server_slot(struct upstream_pool *p)
{
	size_t victim = SIZE_MAX;
	if (p->n_servers >= UPSTREAM_MAX_KNOWN)
		for (size_t i = 0; i < p->n_servers; i++) {
			const struct upstream_server *s = &p->servers[i];
			if (!s->configured && !s->refs &&
			    (victim == SIZE_MAX || s->used_ms < p->servers[victim].used_ms))
				victim = i;
		}
	if (victim != SIZE_MAX) {
		upstream_server_unhash(p, victim);
		return victim;
	}
	if (p->n_servers == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->servers = xrealloc(p->servers, p->cap * sizeof(*p->servers));
	}
	return p->n_servers++;
}

/* Index of a's record in the pool, adding it when new. */
size_t upstream_server_index(struct upstream_pool *p, const struct addr *a)
{
	uint32_t h = upstream_addr_hash(a);
	for (uint32_t i = p->buckets[h]; i != UPSTREAM_NONE; i = p->servers[i].next)
		if (addr_equal(&p->servers[i].addr, a) &&
		    !strcmp(p->servers[i].addr.ifname, a->ifname))
			return i;
	size_t i = upstream_server_slot(p);
	struct upstream_server *s = &p->servers[i];
	memset(s, 0, sizeof(*s));
	s->addr = *a;
	s->next = p->buckets[h];
	p->buckets[h] = (uint32_t)i;
	return i;
}

void upstream_pool_know(struct upstream_pool *p, const struct addr *a)
{
	size_t i = upstream_server_index(p, a); /* first: it may move the array */
	p->servers[i].configured = true;
}

void upstream_pool_set_tls(struct upstream_pool *p, SSL_CTX *ctx, const struct addr *a,
			   char *const *names, size_t n, uint32_t idle_ms)
{
	p->idle_ms = idle_ms;
	if (ctx != p->tls_ctx) { /* other CAs: a kept session must not skip their check */
		for (size_t i = 0; i < p->n_servers; i++)
			if (p->servers[i].tls && p->servers[i].tls->session) {
				SSL_SESSION_free(p->servers[i].tls->session);
				p->servers[i].tls->session = NULL;
			}
		upstream_tls_retire_all(p); /* made under the old CAs: new ones are checked anew */
		if (ctx)
			SSL_CTX_up_ref(ctx);
		SSL_CTX_free(p->tls_ctx);
		p->tls_ctx = ctx;
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = upstream_server_index(p, &a[i]);
		p->servers[j].configured = true;
		upstream_tls_set(p, j, names[i]);
	}
}

static enum upstream_health upstream_health_of(const struct servsel *sel, uint64_t now)
{
	if (!sel->fails)
		return sel->known ? UPSTREAM_UP : UPSTREAM_UNTRIED;
	if (sel->probing)
		return UPSTREAM_PROBING;
	return sel->down_until > now ? UPSTREAM_HELD_DOWN : UPSTREAM_FAILING;
}

static struct upstream_stats upstream_stats_of(const struct upstream_server *s, uint64_t now)
{
	struct upstream_stats u = {.addr = s->addr,
				   .known = s->sel.known,
				   .health = upstream_health_of(&s->sel, now),
				   .fails = s->sel.fails,
				   .fail_age_ms = s->fail_ms ? now - s->fail_ms : UINT64_MAX,
				   .fail_err = s->fail_err,
				   .srtt_us = s->sel.srtt_us,
				   .queries = s->queries,
				   .timeouts = s->timeouts,
				   .errors = s->errors};
	if (u.health == UPSTREAM_HELD_DOWN)
		u.held_ms = s->sel.down_until - now;
	if (s->tls) {
		u.tls_name = s->tls->name;
		u.tls_handshakes = s->tls->handshakes;
		u.tls_resumed = s->tls->resumed;
		memcpy(u.tls_why, s->tls->why, sizeof(u.tls_why));
	}
	return u;
}

void upstream_server_note(struct upstream_pool *p, struct upstream_server *s, int err)
{
	uint64_t now = uv_now(p->loop);
	s->fail_ms = now ? now : 1;
	s->fail_err = err;
}

void upstream_server_failed(struct upstream_pool *p, struct upstream_server *s, int err)
{
	servsel_failed(&s->sel, uv_now(p->loop));
	upstream_server_note(p, s, err);
}

size_t upstream_pool_stats(const struct upstream_pool *p, struct upstream_stats *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_servers; i++)
		if (p->servers[i].configured && n++ < max)
			out[n - 1] = upstream_stats_of(&p->servers[i], uv_now(p->loop));
	return n;
}

/* Is a slower than b for the list of the slowest: failing first, then by smoothed RTT. */
static bool upstream_slower(const struct upstream_server *a, const struct upstream_server *b)
{
	if ((a->sel.fails > 0) != (b->sel.fails > 0))
		return a->sel.fails > 0;
	return a->sel.srtt_us > b->sel.srtt_us;
}

size_t upstream_pool_slowest(const struct upstream_pool *p, struct upstream_stats *out, size_t max,
			     size_t *learned)
{
	const struct upstream_server *top[16];
	size_t n = 0;
	*learned = 0;
	max = max < 16 ? max : 16;
	for (size_t i = 0; i < p->n_servers; i++) {
		const struct upstream_server *s = &p->servers[i];
		if (s->configured || !s->queries)
			continue;
		(*learned)++;
		size_t j;
		if (n < max)
			j = n++;
		else if (max && upstream_slower(s, top[max - 1]))
			j = max - 1;
		else
			continue;
		for (; j > 0 && upstream_slower(s, top[j - 1]); j--)
			top[j] = top[j - 1];
		top[j] = s;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = upstream_stats_of(top[i], uv_now(p->loop));
	return n;
}
