/*
 * worker.c -- one loop's resources: create, reload, stop. See worker.h.
 */
#include "daemon/worker.h"

#include "dnssec/anchor.h"
#include "dns/cache.h"
#include "daemon/fetch.h"
#include "dnssec/keycache.h"
#include "dnssec/negcache.h"
#include "util/log.h"
#include "daemon/server.h"
#include "daemon/upstream.h"
#include "util/xalloc.h"

#include <stdlib.h>

#define WORKER_KEYCACHE 8192  /* zones whose DNSSEC state is remembered */
#define WORKER_NEGCACHE 65536 /* NSEC records kept for aggressive answers (RFC 8198) */
#define WORKER_NEG_TTL  3600  /* ... each at most an hour, as Unbound's negative TTL cap */

/* Each worker has its own cache: cache.size is shared out between them. */
static size_t worker_cache_share(const struct config *cfg)
{
	return (size_t)(cfg->cache_size / (cfg->threads ? cfg->threads : 1));
}

/* Tell the upstream pool every server the state names, so status lists them from the start. */
static void worker_know_upstreams(struct worker *w, const struct state *s)
{
	for (size_t i = 0; i < s->fwd.n_defaults; i++)
		upstream_pool_know(w->pool, &s->fwd.defaults[i]);
	for (size_t i = 0; i < s->fwd.n_zones; i++)
		for (size_t j = 0; j < s->fwd.zones[i].n_upstreams; j++)
			upstream_pool_know(w->pool, &s->fwd.zones[i].upstreams[j]);
	for (size_t i = 0; i < s->views.n_views; i++)
		for (size_t j = 0; j < s->views.views[i].cfg->n_upstreams; j++)
			upstream_pool_know(w->pool, &s->views.views[i].cfg->upstreams[j]);
	/* Which of them are DNS over TLS (ADDR#NAME), and which are plain (again). */
	upstream_pool_set_tls(w->pool, s->tls_client, s->cfg->upstream_addrs, s->cfg->tls_names,
			      s->cfg->n_upstream_addrs, s->cfg->tcp_idle_timeout_ms);
}

/* cache.serve-stale: how long expired answers are kept for it. */
static void worker_set_stale(struct cache *c, const struct config *cfg)
{
	cache_set_stale(c, cfg->serve_stale ? (uint64_t)cfg->stale_max_age * 1000 : 0);
}

int worker_new(uv_loop_t *loop, struct state *state, struct worker **out, char *err, size_t errlen)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	const struct config *cfg = state->cfg;
	w->loop = loop;
	w->cache = cache_new(worker_cache_share(cfg));
	worker_set_stale(w->cache, cfg);
	w->pool = upstream_pool_new(loop, cfg->upstream_timeout_ms, cfg->edns_buffer_size);
	upstream_pool_set_outgoing(w->pool, cfg->outgoing, cfg->n_outgoing);
	w->keycache = keycache_new(WORKER_KEYCACHE);
	w->negcache = negcache_new(WORKER_NEGCACHE, WORKER_NEG_TTL);
	w->fetches = fetch_table_new(w->cache, w->pool, w->keycache, w->negcache, &w->stats);
	w->state = state;
	worker_know_upstreams(w, state);
	stats_init(&w->stats);
	stats_set_views(&w->stats, &state->views);
	request_ctx_init(&w->rq, loop, state, w->cache, w->fetches, &w->stats);
	w->rq.negcache = w->negcache;
	int r = server_open(loop, cfg, request_query_cb, &w->rq, w->stats.proxy_rejected,
			    &w->server, err, errlen);
	if (r < 0) {
		w->state = NULL;
		worker_free(w);
		return r;
	}
	server_set_tls(w->server, state->tls, state->https);
	*out = w;
	return 0;
}

/* An entry a client without CD gets: validated (or not) by the settings of its time. */
static bool worker_decided_entry(void *ud, const uint8_t *key, size_t key_len)
{
	(void)ud;
	return !(key[key_len - 1] & CACHE_KEY_CD);
}

void worker_set_state(struct worker *w, struct state *state)
{
	const struct config *cfg = state->cfg;
	/* Other trust anchors, negative trust anchors or validation on/off may decide cached
	 * answers differently (a SERVFAIL for a private zone that is now insecure): drop what
	 * they decided. CD entries are the raw data and stay. */
	if (w->state && !anchor_set_same(w->state->anchors, state->anchors)) {
		size_t n = cache_remove_if(w->cache, worker_decided_entry, NULL);
		negcache_clear(w->negcache);
		log_info("DNSSEC settings changed: dropped the %zu cached answer(s) they decided",
			 n);
	}
	cache_set_limit(w->cache, worker_cache_share(cfg));
	worker_set_stale(w->cache, cfg);
	upstream_pool_set_timeout(w->pool, cfg->upstream_timeout_ms);
	upstream_pool_set_outgoing(w->pool, cfg->outgoing, cfg->n_outgoing);
	server_configure(w->server, cfg);
	server_set_tls(w->server, state->tls, state->https);
	keycache_clear(w->keycache);
	stats_set_views(&w->stats, &state->views);
	worker_know_upstreams(w, state);
	state_unref(w->state);
	w->state = state;
	w->rq.state = state;
}

void worker_stop(struct worker *w)
{
	if (w->rq.stopping)
		return;
	request_ctx_stop(&w->rq);
	fetch_cancel_all(w->fetches);
	upstream_pool_stop(w->pool);
	server_close(w->server);
	w->server = NULL;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	fetch_table_free(w->fetches);
	request_ctx_free(&w->rq);
	keycache_free(w->keycache);
	negcache_free(w->negcache);
	upstream_pool_free(w->pool);
	cache_free(w->cache);
	stats_close(&w->stats);
	state_unref(w->state);
	free(w);
}
