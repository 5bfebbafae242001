/*
 * request.c -- the query pipeline. See request.h and docs/ARCHITECTURE.md.
 *
 * request_query_cb runs inside the receive callback and answers whatever it can from the
 * loop's scratch buffers: errors, REFUSED for clients without a view, the CHAOS view query,
 * override data, cache hits. A miss becomes a struct request waiting on a fetch, answered in
 * request_fetched_cb. Every answer, now or later, passes request_done: the statistics and the
 * query log see each query exactly once.
 *
 * Serve-stale (RFC 8767): a miss whose answer is in the cache but expired (within
 * cache.stale-max-age) still waits on a fetch, the refresh, joined as any other. If the fetch
 * fails, or has not answered within cache.stale-client-timeout, the client gets the stale
 * answer (TTL cache.stale-answer-ttl, EDE 3) and the request stays on the fetch, answered,
 * until the refresh ends and stores the fresh answer.
 *
 * Fair overload: every request waiting on a fetch holds a slot of ctx->inflight, under its
 * client's address; prefetches and answered stale requests hold low-priority ones. With
 * server.max-inflight slots taken, a new miss first makes room: the oldest low-priority
 * request leaves its fetch silently, else the oldest request of the client holding the most
 * is answered SERVFAIL (EDE 23, "resolver busy"). A fetch nobody waits for any more ends, so
 * the upstream queries in flight stay bounded too. Hits and local data take no slot.
 * When the newcomer is itself of the heaviest client, pushing out its own oldest would cost
 * an upstream query ended and another begun per packet of a flood, and that work, not the
 * hits, is what filled the socket's queue: such a miss waits in ctx->queue instead (bounded;
 * when full, its oldest entry of the client queueing most is answered SERVFAIL), and queued
 * misses start as slots free.
 */
#include "daemon/request.h"
#include "daemon/request_impl.h"

#include "dnssec/anchor.h"
#include "dnssec/negcache.h"
#include "policy/chase.h"
#include "policy/forward.h"
#include "policy/localdata.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_IXFR 251
#define TYPE_AXFR 252

/*
 * The queue holds up to max-inflight / REQUEST_QUEUE_SHARE misses. The heaviest client starts
 * at most REQUEST_START_BUDGET fetches per loop iteration (per millisecond, at most), the rest
 * queue: when a burst of slots frees, refilling them all at once would keep the loop from the
 * socket for a hundred milliseconds and the hits behind it waiting.
 */
#define REQUEST_QUEUE_SHARE  8
#define REQUEST_START_BUDGET 64

/* A client waiting for a fetch. It holds the client's TCP connection until answered. */
struct request {
	struct fetch_waiter wait;      /* its place among the fetch's waiters */
	struct inflight_slot inflight; /* its slot in ctx->inflight */
	struct request_ctx *ctx;
	struct server_client c;
	struct msg_query q;
	unsigned slot;
	uint64_t start_ns;
	uint8_t *prefix; /* a local CNAME chain to put before the answer, or NULL */
	size_t prefix_len;
	uv_timer_t
	    *stale_timer; /* stale-client-timeout, or NULL: no stale answer to fall back on */
	bool answered;    /* with stale data (or a prefetch): the fetch goes on as the refresh */
	bool released;    /* ... and the client's connection is let go already */
	size_t key_len;
	uint8_t key[]; /* the cache key (for the stale answer), when there is one */
};

/*
 * A miss that found every slot taken, with no one lighter to push out: it waits in
 * ctx->queue, as the packet it came in, until a slot frees. It costs no upstream query.
 */
struct request_queued {
	struct inflight_slot slot; /* in ctx->queue, under its client */
	struct server_client c;
	struct msg_query q;
	unsigned stats_slot;
	uint64_t start_ns;
	size_t len;
	uint8_t pkt[];
};

/* Has this loop iteration started its budget of fetches already? (uv_now stays the same
 * within one iteration.) */
static bool request_over_budget(struct request_ctx *ctx)
{
	uint64_t now = uv_now(ctx->loop);
	if (now != ctx->starts_ms) {
		ctx->starts_ms = now;
		ctx->starts = 0;
	}
	return ctx->starts >= REQUEST_START_BUDGET;
}

/* What was resolved for a client: from the cache (TTLs lowered by elapsed) or a fetch. */
struct request_data {
	const uint8_t *body;
	size_t len;
	const uint16_t *ttl_offs;
	size_t n_ttl;
	uint32_t elapsed;
	uint8_t sec;        /* CACHE_SEC layout */
	uint32_t stale_ttl; /* > 0: expired data, sent with this TTL and EDE 3 */
};

/* The client a waiting request answers. */
static inline struct request_who request_who_of(const struct request *rq)
{
	return (struct request_who){&rq->c, &rq->q, rq->slot, rq->start_ns, NULL, 0, NULL};
}

/* Are server.max-inflight slots taken (or more, after a reload lowered it)? */
static inline bool request_full(const struct request_ctx *ctx)
{
	return inflight_count(ctx->inflight) >= ctx->state->cfg->max_inflight;
}

/*
 * Every answer ends here: count it and, with server.query-log, log one line for it.
 * reply is the finished packet (its rcode is what the client saw).
 */
void request_done(struct request_ctx *ctx, const struct request_who *who, enum stats_source source,
		  const uint8_t *reply, size_t len)
{
	unsigned rcode = len >= MSG_HDR_LEN ? (reply[3] & 0xf) : MSG_SERVFAIL;
	uint64_t us = (uv_hrtime() - who->start_ns) / 1000;
	struct stats *st = ctx->stats;
	stats_answer(st, who->slot, who->c->tcp != NULL, who->q->qtype, rcode, source, us);
	if (!ctx->state->cfg->query_log)
		return;
	char client[ADDR_STRLEN], name[MSG_MAX_NAME * 4 + 1];
	struct addr a;
	addr_from_sockaddr(&a, (const struct sockaddr *)&who->c->peer, sizeof(who->c->peer));
	msg_name_to_str(who->q->qname, who->q->qname_len, name, sizeof(name));
	log_tagged("query", "%s %s %s %s %s %s %s %.3fms%s%s",
		   addr_format(&a, client, sizeof(client)),
		   st->views[who->slot < st->n_views ? who->slot : 0].name, name,
		   msg_type_str(who->q->qtype), server_client_transport(who->c),
		   stats_rcode_name(rcode < STATS_N_RCODES - 1 ? rcode : STATS_N_RCODES - 1),
		   stats_source_name(source), (double)us / 1000.0, who->list ? " list=" : "",
		   who->list ? who->list : "");
}

/* Turn body into the reply for who and send it; out has room for body_len + 512. */
void request_send(struct request_ctx *ctx, const struct request_who *who, enum stats_source source,
		  const uint8_t *body, size_t body_len, struct msg_finish_args *a, uint8_t *out,
		  size_t cap)
{
	const struct msg_query *q = who->q;
	uint16_t server_udp = ctx->state->cfg->edns_buffer_size;
	a->q = q;
	/* Over UDP, the smaller of the client's and our buffer: large answers go over TCP rather
	 * than as fragments (RFC 9715). */
	uint16_t udp = q->udp_size < server_udp ? q->udp_size : server_udp;
	a->max_size = server_max_reply(who->c, udp);
	a->server_udp = server_udp;
	size_t n = msg_finish(body, body_len, a, out, cap);
	if (n)
		server_send(who->c, out, n);
	request_done(ctx, who, source, out, n);
}

/* Reply with an rcode and no records, with an Extended DNS Error when ede >= 0. */
void request_reply_error(struct request_ctx *ctx, const struct request_who *who,
			 enum stats_source source, enum msg_rcode rcode, int ede, const char *text)
{
	uint8_t body[MSG_HDR_LEN + MSG_MAX_NAME + 4], out[sizeof(body) + 512];
	size_t n = msg_error_body(who->q, rcode, body, sizeof(body));
	struct msg_finish_args a = {.ede = ede, .ede_text = text};
	if (rcode == MSG_BADVERS)
		a.ext_rcode = MSG_BADVERS >> 4;
	if (n)
		request_send(ctx, who, source, body, n, &a, out, sizeof(out));
}

/* Reply with the local CNAME chain followed by the resolved answer d. */
static void request_reply_chain(struct request_ctx *ctx, const struct request_who *who,
				enum stats_source source, const uint8_t *local, size_t local_len,
				const struct request_data *d)
{
	size_t cap = local_len + d->len + 512;
	uint8_t *joined = xmalloc(cap), *out = NULL, *stale = NULL;
	const uint8_t *body = d->body;
	if (d->stale_ttl) { /* the resolved part's TTLs become stale-answer-ttl before the join */
		stale = xmalloc(d->len);
		memcpy(stale, d->body, d->len);
		for (size_t i = 0; i < d->n_ttl; i++)
			msg_put32(stale + d->ttl_offs[i], d->stale_ttl);
		body = stale;
	}
	size_t n = chase_splice(local, local_len, body, d->len, d->ttl_offs, d->n_ttl,
				d->stale_ttl ? 0 : d->elapsed, joined, cap);
	free(stale);
	struct msg_finish_args a = {.ede = d->stale_ttl ? MSG_EDE_STALE_ANSWER : -1};
	if (n) {
		out = xmalloc(n + 512);
		request_send(ctx, who, source, joined, n, &a, out, n + 512);
	} else {
		request_reply_error(ctx, who, source, MSG_SERVFAIL, MSG_EDE_OTHER,
				    "cannot join local CNAME and resolved answer");
	}
	free(out);
	free(joined);
}

/*
 * The reply policy, for everything resolved (cache hit or fetch): a bogus answer is SERVFAIL
 * with its EDE; a local CNAME chain goes in front; AD when secure, for clients that set DO or
 * AD (RFC 6840 5.7).
 */
static inline void request_answer(struct request_ctx *ctx, const struct request_who *who,
				  enum stats_source source, const struct request_data *d,
				  const uint8_t *prefix, size_t prefix_len)
{
	const struct msg_query *q = who->q;
	uint8_t status = CACHE_SEC_STATUS(d->sec);
	if (status == CACHE_BOGUS) {
		request_reply_error(ctx, who, source, MSG_SERVFAIL, CACHE_SEC_EDE(d->sec),
				    "DNSSEC validation failed");
		return;
	}
	if ((d->sec & CACHE_SEC_PRIVATE) && request_rebind(ctx, who))
		return;
	if (prefix) {
		request_reply_chain(ctx, who, source, prefix, prefix_len, d);
		return;
	}
	struct msg_finish_args a = {.ede = d->stale_ttl ? MSG_EDE_STALE_ANSWER : -1,
				    .ttl_offs = d->ttl_offs,
				    .n_ttl = d->n_ttl,
				    .elapsed = d->elapsed,
				    .stale_ttl = d->stale_ttl,
				    .ad = status == CACHE_SECURE &&
					  (q->do_bit || (q->flags & MSG_AD))};
	request_send(ctx, who, source, d->body, d->len, &a, ctx->reply, sizeof(ctx->reply));
}

static void request_timer_close_cb(uv_handle_t *h)
{
	free(h);
}

static void request_queue_cb(uv_idle_t *idle);

/* A slot is free: queued misses start from an idle callback, outside the one freeing it. */
static void request_queue_wake(struct request_ctx *ctx)
{
	if (ctx->stopping || !inflight_count(ctx->queue))
		return;
	if (!ctx->queue_idle_on) {
		uv_idle_init(ctx->loop, &ctx->queue_idle);
		ctx->queue_idle.data = ctx;
		ctx->queue_idle_on = true;
	}
	uv_idle_start(&ctx->queue_idle, request_queue_cb);
}

static void request_free(struct request *rq)
{
	inflight_remove(rq->ctx->inflight, &rq->inflight);
	request_queue_wake(rq->ctx);
	if (rq->stale_timer)
		uv_close((uv_handle_t *)rq->stale_timer, request_timer_close_cb);
	if (!rq->released)
		server_client_release(&rq->c);
	free(rq->prefix);
	free(rq);
}

/* Answer rq from the stale entry under its key, if it is still there. */
static bool request_answer_stale(struct request *rq)
{
	struct request_ctx *ctx = rq->ctx;
	struct cache_entry e;
	if (!cache_lookup_stale(ctx->cache, rq->key, rq->key_len, uv_now(ctx->loop), &e))
		return false;
	struct request_who who = request_who_of(rq);
	struct request_data d = {
	    e.body, e.body_len, e.ttl_offs, e.n_ttl, 0, e.sec, ctx->state->cfg->stale_answer_ttl};
	request_answer(ctx, &who, STATS_STALE, &d, rq->prefix, rq->prefix_len);
	rq->answered = true;
	inflight_demote(ctx->inflight, &rq->inflight); /* only the refresh is left */
	/* Answered: its TCP connection need not wait for the refresh (pipelining slots, FIN). */
	server_client_release(&rq->c);
	rq->released = true;
	return true;
}

/* No fresh answer within stale-client-timeout: the stale one now, the refresh goes on. */
static void request_stale_timeout_cb(uv_timer_t *t)
{
	struct request *rq = t->data;
	if (!rq->answered)
		(void)request_answer_stale(rq);
}

/* fetch.h: the fetch rq waited for is done. */
static void request_fetched_cb(void *ud, const struct fetch_result *res)
{
	struct request *rq = ud;
	struct request_who who = request_who_of(rq);
	struct request_data d = {res->body, res->len, NULL, 0, 0, res->sec, 0};
	if (rq->answered || (res->status != 0 && res->status != -ECANCELED && rq->stale_timer &&
			     request_answer_stale(rq)))
		; /* the client has its (stale) answer: this was the refresh */
	else if (res->status == 0)
		request_answer(rq->ctx, &who, STATS_UPSTREAM, &d, rq->prefix, rq->prefix_len);
	else if (res->status != -ECANCELED)
		request_reply_error(rq->ctx, &who, STATS_UPSTREAM, MSG_SERVFAIL, res->ede,
				    res->ede_text);
	request_free(rq);
}

/* rq has stale data to fall back on: answer from it after stale-client-timeout (0: now). */
static void request_stale_arm(struct request *rq)
{
	rq->stale_timer = xmalloc(sizeof(*rq->stale_timer));
	uv_timer_init(rq->ctx->loop, rq->stale_timer);
	rq->stale_timer->data = rq;
	uint32_t ms = rq->ctx->state->cfg->stale_client_timeout;
	if (ms == 0)
		(void)request_answer_stale(rq);
	else
		uv_timer_start(rq->stale_timer, request_stale_timeout_cb, ms, 0);
}

/* A request object of ctx for who (NULL: a prefetch, already "answered"), in ctx->inflight;
 * key_len: room for the cache key of stale data, or 0. */
static struct request *request_new(struct request_ctx *ctx, const struct request_who *who,
				   size_t key_len)
{
	struct request *rq = xmalloc(sizeof(*rq) + key_len);
	memset(rq, 0, sizeof(*rq));
	rq->ctx = ctx;
	if (who) {
		rq->c = *who->c;
		rq->q = *who->q;
		rq->slot = who->slot;
		rq->start_ns = who->start_ns;
		server_client_hold(&rq->c);
	} else {
		rq->answered = rq->released = true;
	}
	inflight_add(ctx->inflight, &rq->inflight,
		     who ? (const struct sockaddr *)&who->c->peer : NULL);
	return rq;
}

/* server.max-inflight is reached: the request inflight.h names gives way to a new miss. */
static void request_give_way(struct request_ctx *ctx)
{
	struct inflight_slot *s = inflight_victim(ctx->inflight);
	struct request *rq = (struct request *)((char *)s - offsetof(struct request, inflight));
	fetch_leave(&rq->wait);
	if (!rq->answered) {
		struct request_who who = request_who_of(rq);
		request_reply_error(ctx, &who, STATS_ERROR, MSG_SERVFAIL, MSG_EDE_NETWORK_ERROR,
				    "resolver busy");
		ctx->stats->busy++;
	}
	request_free(rq);
}

static void request_queued_free(struct request_ctx *ctx, struct request_queued *qd)
{
	inflight_remove(ctx->queue, &qd->slot);
	server_client_release(&qd->c);
	free(qd);
}

static inline struct request_queued *request_queued_of(struct inflight_slot *s)
{
	return (struct request_queued *)((char *)s - offsetof(struct request_queued, slot));
}

/*
 * With every slot taken, should who's miss wait in the queue? Yes when pushing out the
 * victim would only trade one miss of the heaviest client for another of (as good as) the
 * heaviest: that SERVFAIL, an upstream query ended and another begun, per packet of a flood,
 * is what slowed everyone's hits. A lighter client's miss, or one that a prefetch or
 * refresh can make room for, takes its slot at once.
 */
static bool request_should_queue(const struct request_ctx *ctx, const struct request_who *who)
{
	struct inflight_slot *s = inflight_victim(ctx->inflight);
	if (!s || !s->client || !who->pkt)
		return false;
	const struct request *v =
	    (const struct request *)((const char *)s - offsetof(struct request, inflight));
	size_t heaviest = inflight_count_of(ctx->inflight, (const struct sockaddr *)&v->c.peer);
	size_t mine = inflight_count_of(ctx->inflight, (const struct sockaddr *)&who->c->peer);
	return mine + 1 >= heaviest;
}

/*
 * Queue who's miss. A full queue first answers its oldest entry of the client queueing the
 * most SERVFAIL (EDE 23, "resolver busy"): one reply, no upstream work.
 */
static void request_enqueue(struct request_ctx *ctx, const struct request_who *who)
{
	size_t bound = ctx->state->cfg->max_inflight / REQUEST_QUEUE_SHARE + 1;
	while (inflight_count(ctx->queue) >= bound) {
		struct request_queued *old = request_queued_of(inflight_victim(ctx->queue));
		struct request_who ow = {&old->c, &old->q, old->stats_slot, old->start_ns, NULL, 0};
		request_reply_error(ctx, &ow, STATS_ERROR, MSG_SERVFAIL, MSG_EDE_NETWORK_ERROR,
				    "resolver busy");
		ctx->stats->busy++;
		request_queued_free(ctx, old);
	}
	struct request_queued *qd = xmalloc(sizeof(*qd) + who->pkt_len);
	qd->c = *who->c;
	server_client_hold(&qd->c);
	qd->q = *who->q;
	qd->stats_slot = who->slot;
	qd->start_ns = who->start_ns;
	qd->len = who->pkt_len;
	memcpy(qd->pkt, who->pkt, who->pkt_len);
	inflight_add(ctx->queue, &qd->slot, (const struct sockaddr *)&qd->c.peer);
	request_queue_wake(ctx); /* queued for the budget, slots may be free */
}

static void request_pipeline(struct request_ctx *ctx, const struct server_client *c,
			     const uint8_t *pkt, size_t len, uint64_t start_ns);

/*
 * Slots are free: start queued misses, the heaviest client's oldest first, through the whole
 * pipeline again (the view may have been reloaded; the answer may be cached by now).
 */
static void request_queue_cb(uv_idle_t *idle)
{
	struct request_ctx *ctx = idle->data;
	while (!ctx->stopping && !request_full(ctx) && !request_over_budget(ctx)) {
		struct inflight_slot *s = inflight_victim(ctx->queue);
		if (!s)
			break;
		struct request_queued *qd = request_queued_of(s);
		inflight_remove(ctx->queue, s);
		request_pipeline(ctx, &qd->c, qd->pkt, qd->len, qd->start_ns);
		server_client_release(&qd->c);
		free(qd);
	}
	if (ctx->stopping || !inflight_count(ctx->queue) || request_full(ctx))
		uv_idle_stop(idle);
}

/*
 * A miss: wait for a fetch of lname (key: its cache key) as a request object of its own;
 * stale: an expired answer is there to fall back on.
 */
static void request_fetch(struct request_ctx *ctx, const struct request_who *who,
			  const struct view *v, const struct fetch_question *fq,
			  const uint8_t *prefix, size_t prefix_len, bool stale)
{
	/* while: a reload may have lowered the bound under what is in flight */
	while (request_full(ctx))
		request_give_way(ctx);
	ctx->starts++;
	/* The key is kept only when there is stale data to answer from. */
	struct request *rq = request_new(ctx, who, stale ? fq->key_len : 0);
	if (stale) {
		memcpy(rq->key, fq->key, fq->key_len);
		rq->key_len = fq->key_len;
	}
	if (prefix) {
		rq->prefix = xmalloc(prefix_len);
		memcpy(rq->prefix, prefix, prefix_len);
		rq->prefix_len = prefix_len;
	}
	int r = fetch_start(ctx->fetches, ctx->state, v, fq, &rq->wait, request_fetched_cb, rq);
	if (r == 0) {
		if (stale)
			request_stale_arm(rq);
		return;
	}
	if (stale && request_answer_stale(rq))
		; /* whatever kept it from waiting, the stale answer is there */
	else if (r == -EBUSY || r == -ENOENT)
		request_reply_error(
		    ctx, who, STATS_ERROR, MSG_SERVFAIL, MSG_EDE_NO_REACHABLE_AUTHORITY,
		    r == -EBUSY ? "too many resolutions in flight" : "no server to ask");
	/* -ENOBUFS: too many waiting already; dropped, the client retries (then it is cached) */
	request_free(rq);
}

static uint8_t request_key_flags(const struct msg_query *q)
{
	return (q->do_bit ? CACHE_KEY_DO : 0) | ((q->flags & MSG_CD) ? CACHE_KEY_CD : 0);
}

/*
 * A hit in the last 10 % of the entry's TTL (Unbound's rule) starts one refresh in the
 * background, so a popular name is renewed before it expires instead of missing: a request
 * that is answered already, in a low-priority slot, and only when one is free. Out of line
 * (as request_miss): the hit path stays as short as it was.
 */
static __attribute__((noinline)) void request_prefetch(struct request_ctx *ctx,
						       const struct view *v,
						       const struct cache_entry *e,
						       const struct fetch_question *fq)
{
	if (CACHE_SEC_STATUS(e->sec) == CACHE_BOGUS || request_full(ctx) ||
	    fetch_pending(ctx->fetches, fq->key, fq->key_len))
		return;
	/* low priority: it never pushes out a client's miss, and gives way to any */
	struct request *rq = request_new(ctx, NULL, 0);
	if (fetch_start(ctx->fetches, ctx->state, v, fq, &rq->wait, request_fetched_cb, rq) == 0)
		ctx->stats->prefetches++;
	else
		request_free(rq);
}

#define REQUEST_NSEC_MAX 4096 /* room for an answer made from NSEC records held */

/*
 * dnssec.aggressive-nsec (RFC 8198): does what the negcache holds prove NXDOMAIN or NODATA
 * for the miss? Then it is answered now, SECURE, and nothing is asked. Only for questions that
 * would be validated: not with CD, not under a negative trust anchor, and only from zones at
 * or below the forward zone the name goes to (a private forward zone's names may exist where
 * the public parent's NSEC says none do).
 */
static bool request_aggressive(struct request_ctx *ctx, const struct request_who *who,
			       const struct view *v, const struct fetch_question *fq,
			       const uint8_t *prefix, size_t prefix_len, uint64_t now)
{
	const struct state *st = ctx->state;
	if (!st->cfg->aggressive_nsec || !st->anchors || (who->q->flags & MSG_CD) ||
	    !negcache_count(ctx->negcache))
		return false;
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)fq->lname_len, fq->lname);
	bool nta = !name || anchor_is_insecure(st->anchors, name);
	ldns_rdf_deep_free(name);
	if (nta)
		return false;
	struct forward_set fs = forward_lookup(&st->fwd, v, fq->lname, fq->lname_len);
	struct negcache_question nq = {v->scope,      fs.zone,   fs.zone_len, fq->lname,
				       fq->lname_len, fq->qtype, fq->qclass,  who->q->do_bit};
	uint8_t body[REQUEST_NSEC_MAX];
	size_t n = negcache_answer(ctx->negcache, &nq, now, body, sizeof(body));
	if (!n)
		return false;
	struct request_data d = {body, n, NULL, 0, 0, CACHE_SEC(CACHE_SECURE, -1), 0};
	request_answer(ctx, who, STATS_NSEC, &d, prefix, prefix_len);
	return true;
}

/* A miss: a fetch, which may refresh stale data to fall back on (cache.serve-stale). */
static __attribute__((noinline)) void
request_miss(struct request_ctx *ctx, const struct request_who *who, const struct view *v,
	     const struct fetch_question *fq, const uint8_t *prefix, size_t prefix_len,
	     uint64_t now)
{
	if (request_aggressive(ctx, who, v, fq, prefix, prefix_len, now))
		return;
	if ((request_full(ctx) || request_over_budget(ctx)) && request_should_queue(ctx, who)) {
		request_enqueue(ctx, who);
		return;
	}
	struct cache_entry e;
	bool stale = ctx->state->cfg->serve_stale &&
		     cache_lookup_stale(ctx->cache, fq->key, fq->key_len, now, &e);
	request_fetch(ctx, who, v, fq, prefix, prefix_len, stale);
}

/* Resolve lname (q's name, or a local chain's target) from the cache, else with a fetch. */
static inline void request_resolve(struct request_ctx *ctx, const struct request_who *who,
				   const struct view *v, const uint8_t *lname, size_t lname_len,
				   const uint8_t *prefix, size_t prefix_len)
{
	const struct msg_query *q = who->q;
	uint8_t key[CACHE_KEY_MAX];
	size_t key_len = cache_key_make(key, v->scope, lname, lname_len, q->qtype, q->qclass,
					request_key_flags(q));
	struct cache_entry e;
	uint64_t now = uv_now(ctx->loop);
	if (cache_lookup(ctx->cache, key, key_len, now, &e)) {
		struct request_data d = {
		    e.body, e.body_len, e.ttl_offs, e.n_ttl, (uint32_t)((now - e.stored_ms) / 1000),
		    e.sec};
		request_answer(ctx, who, STATS_CACHE, &d, prefix, prefix_len);
		if (ctx->state->cfg->prefetch &&
		    (e.expire_ms - now) * 10 <= e.expire_ms - e.stored_ms) {
			struct fetch_question fq = {key,       key_len,  lname,
						    lname_len, q->qtype, q->qclass};
			request_prefetch(ctx, v, &e, &fq);
		}
		return;
	}
	struct fetch_question fq = {key, key_len, lname, lname_len, q->qtype, q->qclass};
	request_miss(ctx, who, v, &fq, prefix, prefix_len, now);
}

/* Intake: reply to packets that are not a plain query; true when q is one to resolve. */
static bool request_intake(struct request_ctx *ctx, const struct request_who *who,
			   const uint8_t *pkt, size_t len, struct msg_query *q)
{
	switch (msg_parse_query(pkt, len, q)) {
	case MSG_PARSE_OK:
		return true;
	case MSG_PARSE_DROP:
		return false;
	case MSG_PARSE_FORMERR:
		request_reply_error(ctx, who, STATS_ERROR, MSG_FORMERR, -1, NULL);
		return false;
	case MSG_PARSE_NOTIMP:
		request_reply_error(ctx, who, STATS_ERROR, MSG_NOTIMP, -1, NULL);
		return false;
	case MSG_PARSE_BADVERS:
		request_reply_error(ctx, who, STATS_ERROR, MSG_BADVERS, -1, NULL);
		return false;
	}
	return false;
}

/* The pipeline, in order, for a query that arrived at start_ns. */
static void request_pipeline(struct request_ctx *ctx, const struct server_client *c,
			     const uint8_t *pkt, size_t len, uint64_t start_ns)
{
	struct msg_query q;
	struct request_who who = {c, &q, 0, start_ns, pkt, len, NULL};
	if (ctx->stopping || !request_intake(ctx, &who, pkt, len, &q))
		return;
	struct state *st = ctx->state;
	const struct view *v = view_select(&st->views, (const struct sockaddr *)&c->peer,
					   c->has_local ? (const struct sockaddr *)&c->local : NULL,
					   c->ifname[0] ? c->ifname : NULL);
	if (!v) {
		request_reply_error(ctx, &who, STATS_ERROR, MSG_REFUSED, MSG_EDE_PROHIBITED,
				    "no view for this client");
		return;
	}
	who.slot = stats_slot(ctx->stats, &st->views, v);
	if (request_chaos(ctx, &who, v))
		return;
	size_t n = localdata_answer(v->local, &q, ctx->body, sizeof(ctx->body));
	uint8_t target[MSG_MAX_NAME];
	size_t target_len;
	if (n && chase_target(ctx->body, n, &q, target, &target_len)) {
		request_resolve(ctx, &who, v, target, target_len, ctx->body, n);
		return;
	}
	if (n) {
		struct msg_finish_args a = {.ede = -1};
		request_send(ctx, &who, STATS_LOCAL, ctx->body, n, &a, ctx->reply,
			     sizeof(ctx->reply));
		return;
	}
	if (v->n_lists && request_blocked(ctx, &who, v))
		return;
	if (request_special(ctx, &who, v))
		return;
	if (q.qclass != CLASS_IN || q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR) {
		request_reply_error(ctx, &who, STATS_ERROR, MSG_REFUSED, -1, NULL);
		return;
	}
	request_resolve(ctx, &who, v, q.lname, q.qname_len, NULL, 0);
}

void request_query_cb(void *ud, const struct server_client *c, const uint8_t *pkt, size_t len)
{
	request_pipeline(ud, c, pkt, len, uv_hrtime());
}

void request_ctx_init(struct request_ctx *ctx, uv_loop_t *loop, struct state *state,
		      struct cache *cache, struct fetch_table *fetches, struct stats *stats)
{
	memset(ctx, 0, offsetof(struct request_ctx, body));
	ctx->loop = loop;
	ctx->state = state;
	ctx->cache = cache;
	ctx->fetches = fetches;
	ctx->stats = stats;
	ctx->inflight = inflight_new();
	ctx->queue = inflight_new();
}

void request_ctx_stop(struct request_ctx *ctx)
{
	ctx->stopping = true;
	struct inflight_slot *s;
	while ((s = inflight_victim(ctx->queue)))
		request_queued_free(ctx, request_queued_of(s));
	if (ctx->queue_idle_on)
		uv_close((uv_handle_t *)&ctx->queue_idle, NULL);
	ctx->queue_idle_on = false;
}

void request_ctx_free(struct request_ctx *ctx)
{
	inflight_free(ctx->inflight);
	inflight_free(ctx->queue);
}
