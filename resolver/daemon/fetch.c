/*
 * fetch.c -- in-flight fetches: join, drive the resolution, cache, call back. See fetch.h.
 *
 * Life of a fetch: fetch_start puts it in the table and runs fetch_drive, which asks the
 * resolution for actions until one has to wait: an upstream query, or a sub-fetch this fetch
 * waits on. Whatever ends the wait feeds the resolution and drives it again. At DONE,
 * fetch_finish leaves the table (before any callback can start the same fetch again), stores
 * the answer, and tells the waiters: sub-fetch waiters are fed and driven in turn, clients
 * are called back.
 */
#include "daemon/fetch.h"

#include "dnssec/negcache.h"
#include "resolve/resolve.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FETCH_BUCKETS     4096
#define FETCH_MAX_WAITERS 512   /* queries joined to one fetch */
#define FETCH_MAX_CHASE   11    /* chase links one behind the other to complete a CNAME chain */
#define FETCH_MAX_NEST    6     /* fetches started for fetches started for ... a client's */
#define FETCH_DEADLINE_MS 10000 /* a client's fetch, and all it waits for, ends by then */
#define FETCH_MAX_SENT    32    /* queries sent for one name and the lookups it needs */

/*
 * The queries a fetch and the sub-fetches it starts for its lookups (NS addresses, DS and
 * DNSKEY) may still send, shared: each resolution has its own bound too, but NS names that
 * each cost a resolution would multiply it (NXNS, CVE-2020-12662), as Unbound's shared
 * target count prevents. A chase link (the next name of a CNAME chain) starts afresh, as a
 * restart does in Unbound; FETCH_MAX_CHASE bounds those.
 */
struct fetch_budget {
	unsigned refs;
	unsigned left;
};

/* The deadline of a chasing fetch; the handle outlives the fetch until its close callback. */
struct fetch_timer {
	uv_timer_t timer;
	struct fetch *f; /* NULL once the fetch is gone */
};

struct fetch {
	struct fetch *next; /* hash chain */
	struct fetch_table *t;
	struct state *state;     /* reference: the view and upstream lists live in it */
	const struct view *view; /* in state */
	struct resolve *r;
	struct upstream_query *uq;
	struct fetch *chase_sub;         /* the fetch that completes this one's chain */
	struct fetch_timer *chase_timer; /* bounds the wait for chase_sub, or NULL */
	struct fetch_timer *deadline;    /* ends f at deadline_ms while it waits, or NULL */
	unsigned chase_depth;        /* chase links before this fetch, on the longest way to it */
	struct fetch *waiting_on;    /* the sub-fetch whose answer this one waits for, or NULL */
	unsigned nest;               /* 0: a client's; else its starter's nest + 1 */
	struct fetch_budget *budget; /* shared with its starter or sub-fetches; NULL: own_left */
	unsigned own_left;           /* queries it may still send while it shares with none */
	bool iterating;              /* the query out is to authoritative servers */
	bool finishing;              /* done: its waiters are being told (fetch_finish) */
	uint64_t deadline_ms;        /* no SEND or LOOKUP after this: failed (EDE 22) */
	struct fetch_waiter *waiters;
	unsigned n_waiters;
	uint32_t hash;
	size_t key_len;
	uint8_t key[CACHE_KEY_MAX];
	max_align_t resolve_mem[]; /* r: resolve_size() bytes, in the fetch's allocation */
};

struct fetch_table {
	struct cache *cache;
	struct upstream_pool *pool;
	struct keycache *kc;
	struct negcache *nc;
	struct stats *stats;
	uv_loop_t *loop;
	size_t count;
	struct fetch *buckets[FETCH_BUCKETS];
};

struct fetch_table *fetch_table_new(struct cache *cache, struct upstream_pool *pool,
				    struct keycache *kc, struct negcache *nc, struct stats *stats)
{
	struct fetch_table *t = xcalloc(1, sizeof(*t));
	t->cache = cache;
	t->pool = pool;
	t->kc = kc;
	t->nc = nc;
	t->stats = stats;
	t->loop = upstream_pool_loop(pool);
	return t;
}

void fetch_table_free(struct fetch_table *t)
{
	free(t);
}

size_t fetch_table_count(const struct fetch_table *t)
{
	return t->count;
}

size_t fetch_max(const struct config *cfg)
{
	return (size_t)cfg->max_inflight * FETCH_MAX_PER_INFLIGHT;
}

static uint32_t fetch_hash(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a: short keys, and the table is bounded */
	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

static struct fetch *fetch_find(struct fetch_table *t, const uint8_t *key, size_t len,
				uint32_t hash)
{
	for (struct fetch *f = t->buckets[hash % FETCH_BUCKETS]; f; f = f->next)
		if (f->hash == hash && f->key_len == len && !memcmp(f->key, key, len))
			return f;
	return NULL;
}

static void fetch_unlink(struct fetch_table *t, struct fetch *f)
{
	struct fetch **pp = &t->buckets[f->hash % FETCH_BUCKETS];
	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = f->next;
		t->count--;
	}
}

static void fetch_timer_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void fetch_free(struct fetch *f)
{
	if (f->chase_timer) {
		f->chase_timer->f = NULL;
		uv_close((uv_handle_t *)&f->chase_timer->timer, fetch_timer_close_cb);
	}
	if (f->deadline) {
		f->deadline->f = NULL;
		uv_close((uv_handle_t *)&f->deadline->timer, fetch_timer_close_cb);
	}
	for (struct fetch_waiter *w = f->waiters, *next; w; w = next) {
		next = w->next; /* clients' waiters are theirs, and told before this */
		if (w->parent)
			free(w);
	}
	if (f->budget && --f->budget->refs == 0)
		free(f->budget);
	resolve_close(f->r);
	state_unref(f->state);
	free(f);
}

/* What f may still send (counted down by the upstream pool). */
static unsigned *fetch_left(struct fetch *f)
{
	return f->budget ? &f->budget->left : &f->own_left;
}

/* f's budget, for a sub-fetch to share: made when the first one starts (none is in flight). */
static struct fetch_budget *fetch_budget_share(struct fetch *f)
{
	if (!f->budget) {
		f->budget = xmalloc(sizeof(*f->budget));
		*f->budget = (struct fetch_budget){1, f->own_left};
	}
	f->budget->refs++;
	return f->budget;
}

static void fetch_add_waiter(struct fetch *f, struct fetch_waiter *w)
{
	w->next = f->waiters;
	f->waiters = w;
	f->n_waiters++;
}

static void fetch_drive(struct fetch *f);

/* Before a feed: the resolution's clocks are the loop's. */
static void fetch_tick(struct fetch *f)
{
	resolve_tick(f->r, time(NULL), uv_now(f->t->loop));
}

/* Would f, waiting for sub, wait for itself (sub waits, through those it waits for, for f)? */
static bool fetch_would_ring(const struct fetch *f, const struct fetch *sub)
{
	for (const struct fetch *g = sub; g; g = g->waiting_on)
		if (g == f)
			return true;
	return false;
}

/*
 * May f wait for sub to complete its chain? Not when sub waits, through the chases it started,
 * for f (f would wait for itself), nor when the links before f, f's link to sub and those after
 * sub would be more than FETCH_MAX_CHASE. A fetch a client started is at depth 0 however many
 * fetches come to wait for it, so linking pushes the depth down sub's chain; the walk is
 * bounded because no chain is ever longer than that.
 */
static bool fetch_chase_link(const struct fetch *f, struct fetch *sub)
{
	unsigned n = 0, d = f->chase_depth;
	for (const struct fetch *g = sub; g; g = g->chase_sub)
		if (g == f || ++n + f->chase_depth > FETCH_MAX_CHASE)
			return false;
	for (struct fetch *g = sub; g; g = g->chase_sub)
		if (g->chase_depth < ++d)
			g->chase_depth = d;
	return true;
}

/* Take the waiter that w matches (w itself, or the one of parent w->parent) off f's list;
 * returns it, or NULL when it is not there (told already). */
static struct fetch_waiter *fetch_drop_waiter(struct fetch *f, const struct fetch_waiter *w)
{
	for (struct fetch_waiter **pp = &f->waiters; *pp; pp = &(*pp)->next) {
		struct fetch_waiter *x = *pp;
		if (x == w || (w->parent && x->parent == w->parent)) {
			*pp = x->next;
			f->n_waiters--;
			return x;
		}
	}
	return NULL;
}

/* Take f's waiter off sub (f waits for one fetch at a time): sub no longer tells f. */
static void fetch_unwait(struct fetch *sub, struct fetch *f)
{
	struct fetch_waiter key = {.parent = f};
	free(fetch_drop_waiter(sub, &key));
}

/* f waited for the rest of its chain as long as for an upstream: it goes out as it is. */
static void fetch_chase_timeout_cb(uv_timer_t *timer)
{
	struct fetch_timer *ft = timer->data;
	struct fetch *f = ft->f;
	if (!f || !f->chase_sub)
		return;
	log_debug("fetch: the rest of a CNAME chain did not come in time; answered without it");
	fetch_unwait(f->chase_sub, f);
	f->chase_sub = NULL;
	f->waiting_on = NULL;
	fetch_tick(f);
	resolve_feed_lookup(f->r, -ETIMEDOUT, NULL);
	fetch_drive(f);
}

/* Start the deadline of f's wait for the rest of its chain. */
static void fetch_chase_arm(struct fetch *f)
{
	struct fetch_timer *ft = f->chase_timer;
	if (!ft) {
		ft = xcalloc(1, sizeof(*ft));
		uv_timer_init(f->t->loop, &ft->timer);
		ft->timer.data = ft;
		ft->f = f;
		f->chase_timer = ft;
	}
	uv_timer_start(&ft->timer, fetch_chase_timeout_cb, upstream_pool_deadline_ms(f->t->pool),
		       0);
}

static void fetch_expire(struct fetch *f);

/* f's deadline passed while it waits for a server or a sub-fetch: it ends now. */
static void fetch_deadline_cb(uv_timer_t *timer)
{
	struct fetch_timer *ft = timer->data;
	struct fetch *f = ft->f;
	if (!f)
		return;
	if (f->uq)
		upstream_cancel(f->uq);
	f->uq = NULL;
	if (f->waiting_on)
		fetch_unwait(f->waiting_on, f);
	f->waiting_on = f->chase_sub = NULL;
	fetch_expire(f);
}

/*
 * From the first query to an authoritative server or the first wait for a sub-fetch on, a
 * timer holds f to its deadline (a forwarded answer from the cache path needs none: its one
 * upstream query ends in time by itself).
 */
static void fetch_deadline_arm(struct fetch *f)
{
	if (f->deadline)
		return;
	uint64_t now = uv_now(f->t->loop);
	struct fetch_timer *ft = xcalloc(1, sizeof(*ft));
	uv_timer_init(f->t->loop, &ft->timer);
	ft->timer.data = ft;
	ft->f = f;
	f->deadline = ft;
	uv_timer_start(&ft->timer, fetch_deadline_cb,
		       f->deadline_ms > now ? f->deadline_ms - now : 0, 0);
}

/* Call w back with f's outcome: feed and drive a parent fetch, or tell a client. */
static void fetch_notify(const struct fetch_waiter *w, const struct resolve_done *d)
{
	if (!w->parent) {
		struct fetch_result res = {d->status, NULL, 0, d->sec, d->ede, d->ede_text};
		if (d->ans) {
			res.body = d->ans->body;
			res.len = d->ans->len;
		}
		w->cb(w->ud, &res);
		return;
	}
	struct fetch *parent = w->parent;
	parent->waiting_on = NULL;
	if (w->chase) {
		parent->chase_sub = NULL;
		uv_timer_stop(&parent->chase_timer->timer);
	}
	fetch_tick(parent);
	if (d->status == 0) {
		struct resolve_found found = {
		    d->ans->body, d->ans->len, d->ans->ttl_offs, d->ans->n_ttl, 0, d->ttl, d->sec};
		resolve_feed_lookup(parent->r, 0, &found);
	} else {
		resolve_feed_lookup(parent->r, d->status, NULL);
	}
	fetch_drive(parent);
}

/* DONE: leave the table, cache the answer, tell everyone, free. */
static void fetch_finish(struct fetch *f, const struct resolve_done *d)
{
	struct fetch_table *t = f->t;
	fetch_unlink(t, f);
	if (d->status == 0) {
		if (d->ttl > 0)
			cache_store(t->cache, f->key, f->key_len, d->ans->body, d->ans->len,
				    d->ans->ttl_offs, d->ans->n_ttl, d->ttl, d->ans->rcode, d->sec,
				    uv_now(t->loop));
		t->stats->dnssec[CACHE_SEC_STATUS(d->sec)]++;
		if (d->proof && f->state->cfg->aggressive_nsec)
			negcache_learn(t->nc, f->view->scope, d->proof, d->proof_len, time(NULL),
				       uv_now(t->loop));
	}
	/* One waiter at a time off the list: a client's goes with its request in the callback,
	 * and what a callback does (a TCP client's next query making room) may take another
	 * client's off the list (fetch_leave), which must not end f under this loop. */
	f->finishing = true;
	while (f->waiters) {
		struct fetch_waiter *w = f->waiters;
		f->waiters = w->next;
		f->n_waiters--;
		struct fetch_waiter *owned = w->parent ? w : NULL;
		fetch_notify(w, d);
		free(owned);
	}
	fetch_free(f);
}

static void fetch_upstream_cb(void *ud, int status, const uint8_t *reply, size_t len,
			      const struct addr *from)
{
	struct fetch *f = ud;
	f->uq = NULL;
	if (f->iterating)
		f->t->stats->auth[status == 0            ? STATS_AUTH_REPLY
				  : status == -ETIMEDOUT ? STATS_AUTH_TIMEOUT
							 : STATS_AUTH_ERROR]++;
	fetch_tick(f);
	resolve_feed_reply(f->r, status, reply, len, from);
	fetch_drive(f);
}

/* SEND: ask the upstream pool; 0, or a negative errno (the callback will not come). */
static int fetch_send(struct fetch *f, const struct resolve_send *s)
{
	struct upstream_question qn = {.lname = s->lname,
				       .lname_len = s->lname_len,
				       .qtype = s->qtype,
				       .qclass = s->qclass,
				       .do_bit = s->do_bit,
				       .cd = s->cd,
				       .rd = s->rd,
				       .tcp = s->tcp,
				       .use_0x20 = s->iterating && f->state->cfg->use_0x20,
				       .budget = fetch_left(f)};
	f->iterating = s->iterating;
	if (s->iterating)
		fetch_deadline_arm(f);
	return upstream_resolve(f->t->pool, s->servers, s->n_servers, &qn, fetch_upstream_cb, f,
				&f->uq);
}

static struct fetch *fetch_new(struct fetch_table *t, struct state *st, const struct view *v,
			       const struct fetch_question *q, uint32_t hash, struct fetch *parent,
			       bool chase);

/*
 * LOOKUP: from the cache, or by a sub-fetch whose waiter f becomes. Returns true when the
 * resolution was fed at once (found, or not to be had), false when f now waits.
 */
static bool fetch_lookup(struct fetch *f, const struct resolve_lookup *lk)
{
	struct fetch_table *t = f->t;
	uint8_t key[CACHE_KEY_MAX];
	struct cache_entry e;
	uint64_t now = uv_now(t->loop);
	size_t key_len =
	    cache_key_make(key, f->view->scope, lk->name, lk->name_len, lk->qtype, lk->qclass,
			   (lk->do_bit ? CACHE_KEY_DO : 0) | (lk->cd ? CACHE_KEY_CD : 0));
	if (lk->chase && f->chase_depth >= FETCH_MAX_CHASE) {
		resolve_feed_lookup(f->r, -ELOOP, NULL);
		return true;
	}
	if (cache_lookup(t->cache, key, key_len, now, &e)) {
		struct resolve_found found = {e.body,
					      e.body_len,
					      e.ttl_offs,
					      e.n_ttl,
					      (uint32_t)((now - e.stored_ms) / 1000),
					      (uint32_t)((e.expire_ms - now) / 1000),
					      e.sec};
		resolve_feed_lookup(f->r, 0, &found);
		return true;
	}
	uint32_t hash = fetch_hash(key, key_len);
	struct fetch *sub = fetch_find(t, key, key_len, hash);
	struct fetch_question q = {key, key_len, lk->name, lk->name_len, lk->qtype, lk->qclass};
	if (!sub && f->nest < FETCH_MAX_NEST)
		sub = fetch_new(t, f->state, f->view, &q, hash, f, lk->chase);
	if (!sub || sub->n_waiters >= FETCH_MAX_WAITERS || fetch_would_ring(f, sub) ||
	    (lk->chase && !fetch_chase_link(f, sub))) {
		/* a chase not followed leaves the answer as it is; a key not had fails */
		resolve_feed_lookup(f->r, lk->chase ? -ELOOP : -ENOENT, NULL);
		return true;
	}
	struct fetch_waiter *w = xcalloc(1, sizeof(*w));
	w->parent = f;
	w->chase = lk->chase;
	fetch_add_waiter(sub, w);
	f->waiting_on = sub;
	fetch_deadline_arm(f);
	if (lk->chase) {
		f->chase_sub = sub;
		fetch_chase_arm(f);
	}
	return false;
}

/* The resolution ran out of time: it ends here, whatever it would do next. */
static void fetch_expire(struct fetch *f)
{
	static const struct resolve_done expired = {-ETIMEDOUT,
						    NULL,
						    0,
						    0,
						    MSG_EDE_NO_REACHABLE_AUTHORITY,
						    "resolution took longer than 10 s"};
	log_debug("fetch: out of time (%u ms)", FETCH_DEADLINE_MS);
	fetch_finish(f, &expired);
}

static const struct resolve_done fetch_overspent = {
    -EDQUOT,
    NULL,
    0,
    0,
    MSG_EDE_NO_REACHABLE_AUTHORITY,
    "too many queries for one name (its NS and DNSSEC lookups included)"};

/*
 * Carry out the resolution's actions until it waits for something (true), or is done and
 * gone (false).
 */
static bool fetch_run(struct fetch *f)
{
	struct resolve_out out;
	for (;;) {
		enum resolve_action a = resolve_next(f->r, &out);
		if (a != RESOLVE_DONE && uv_now(f->t->loop) >= f->deadline_ms) {
			fetch_expire(f);
			return false;
		}
		switch (a) {
		case RESOLVE_SEND: {
			int r = fetch_send(f, &out.send);
			if (r == 0)
				return true;
			if (r == -EDQUOT) {
				fetch_finish(f, &fetch_overspent);
				return false;
			}
			resolve_feed_reply(f->r, -ENETUNREACH, NULL, 0, NULL);
			break;
		}
		case RESOLVE_LOOKUP:
			if (!fetch_lookup(f, &out.lookup))
				return true;
			break;
		case RESOLVE_DONE:
			fetch_finish(f, &out.done);
			return false;
		}
	}
}

static void fetch_drive(struct fetch *f)
{
	(void)fetch_run(f);
}

/*
 * A fetch for q (for parent's LOOKUP, or a client's: NULL), in the table and asking; NULL
 * when it cannot start (the table is full) or ended at once (no server to ask).
 */
static struct fetch *fetch_new(struct fetch_table *t, struct state *st, const struct view *v,
			       const struct fetch_question *q, uint32_t hash, struct fetch *parent,
			       bool chase)
{
	if (t->count >= fetch_max(st->cfg))
		return NULL;
	uint8_t flags = q->key[q->key_len - 1];
	uint64_t now = uv_now(t->loop);
	struct resolve_env env = {st, v, t->kc, time(NULL), now, t->cache};
	struct resolve_question rq = {q->lname,
				      q->lname_len,
				      q->qtype,
				      q->qclass,
				      (flags & CACHE_KEY_DO) != 0,
				      (flags & CACHE_KEY_CD) != 0};
	/* Not calloc: the key and the resolution's buffers are written before they are read. */
	struct fetch *f = xmalloc(sizeof(*f) + resolve_size());
	memset(f, 0, offsetof(struct fetch, key));
	f->t = t;
	f->view = v;
	f->nest = parent ? parent->nest + 1 : 0;
	f->deadline_ms = parent ? parent->deadline_ms : now + FETCH_DEADLINE_MS;
	if (parent && !chase)
		f->budget = fetch_budget_share(parent);
	else
		f->own_left = FETCH_MAX_SENT;
	f->r = (struct resolve *)f->resolve_mem;
	resolve_init(f->r, &env, &rq);
	f->state = state_ref(st);
	f->hash = hash;
	f->key_len = q->key_len;
	memcpy(f->key, q->key, q->key_len);
	f->next = t->buckets[hash % FETCH_BUCKETS];
	t->buckets[hash % FETCH_BUCKETS] = f;
	t->count++;
	/* In the table first: what it looks up may find it (and must not wait for it). A
	 * resolution that ends before it asks anything (no server it may ask) has no waiter. */
	return fetch_run(f) ? f : NULL;
}

int fetch_start(struct fetch_table *t, struct state *st, const struct view *v,
		const struct fetch_question *q, struct fetch_waiter *w, fetch_cb cb, void *ud)
{
	uint32_t hash = fetch_hash(q->key, q->key_len);
	struct fetch *f = fetch_find(t, q->key, q->key_len, hash);
	if (!f && t->count >= fetch_max(st->cfg))
		return -EBUSY;
	if (!f && !(f = fetch_new(t, st, v, q, hash, NULL, false)))
		return -ENOENT;
	if (f->n_waiters >= FETCH_MAX_WAITERS)
		return -ENOBUFS;
	*w = (struct fetch_waiter){.cb = cb, .ud = ud, .on = f};
	fetch_add_waiter(f, w);
	return 0;
}

/* When nobody waits for f any more it ends without a word, and so do the sub-fetches it alone
 * waited for (a chain at most FETCH_MAX_NEST + FETCH_MAX_CHASE long). Not while it is being
 * finished: fetch_finish frees it after telling the waiters it still has. */
static void fetch_abandon(struct fetch *f)
{
	if (f->n_waiters || f->finishing)
		return;
	struct fetch *sub = f->waiting_on;
	fetch_unlink(f->t, f);
	if (f->uq)
		upstream_cancel(f->uq);
	f->uq = NULL;
	if (sub) {
		fetch_unwait(sub, f);
		fetch_abandon(sub);
	}
	fetch_free(f);
}

void fetch_leave(struct fetch_waiter *w)
{
	struct fetch *f = w->on;
	(void)fetch_drop_waiter(f, w);
	fetch_abandon(f);
}

bool fetch_pending(struct fetch_table *t, const uint8_t *key, size_t key_len)
{
	return fetch_find(t, key, key_len, fetch_hash(key, key_len)) != NULL;
}

void fetch_cancel_all(struct fetch_table *t)
{
	struct fetch_result cancelled = {.status = -ECANCELED, .ede = -1};
	for (size_t i = 0; i < FETCH_BUCKETS; i++) {
		while (t->buckets[i]) {
			struct fetch *f = t->buckets[i];
			t->buckets[i] = f->next;
			t->count--;
			if (f->uq)
				upstream_cancel(f->uq);
			struct fetch_waiter *w = f->waiters, *next;
			f->waiters = NULL;
			for (; w; w = next) {
				next = w->next;
				if (w->parent)
					free(w);
				else
					w->cb(w->ud, &cancelled);
			}
			fetch_free(f);
		}
	}
}
