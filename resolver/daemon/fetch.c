/*
 * fetch.c -- in-flight fetches: join, ask upstream, validate, cache, answer. See fetch.h.
 *
 * Life of a fetch: fetch_start puts it in the table and starts the upstream query; the reply
 * is prepared (OPT removed, TTLs clamped, cache lifetime worked out); when validating, the
 * validation asks for DS/DNSKEY RRsets, each served from the cache or by a sub-fetch whose
 * waiter is this fetch; fetch_finish then leaves the table (before any callback can start the
 * same fetch again), stores the answer and answers the waiters. Sub-fetches never validate
 * (they carry CD), so a validation can never wait on itself.
 *
 * A chase (a fetch waiting for the fetch of its chain's target) must end too: the fetches
 * waiting for one another form chains, never a ring (fetch_chase_link walks the whole chain
 * before linking), no chain is longer than FETCH_MAX_CHASE links however its fetches were
 * started, and a fetch waits for the rest of its chain no longer than for an upstream reply
 * (chase_timer). Whatever ends a fetch answers each of its waiters once.
 */
#include "daemon/fetch.h"

#include "resolve/answer.h"
#include "resolve/cache.h"
#include "policy/chase.h"
#include "util/log.h"
#include "daemon/request.h"
#include "daemon/upstream.h"
#include "dnssec/validate.h"
#include "daemon/worker.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FETCH_BUCKETS     4096
#define FETCH_MAX_WAITERS 512 /* queries joined to one fetch */
#define FETCH_BOGUS_TTL   60  /* seconds a bogus answer is remembered */
#define FETCH_MAX_CHASE   8   /* chase links one behind the other to complete a CNAME chain */
#define TYPE_DS           43
#define CLASS_IN          1

/*
 * Someone waiting for a fetch: a client, or (parent set) another fetch: its validation needs
 * a DS/DNSKEY RRset, or (chase) its answer's chain continues at this fetch's name.
 */
struct fetch_waiter {
	struct fetch_waiter *next;
	struct fetch *parent;
	bool chase;
	struct server_client client;
	struct msg_query q;
	unsigned slot;     /* stats slot of the client's view */
	uint64_t start_ns; /* when the client's query arrived */
	uint8_t *prefix;   /* a local CNAME chain to put before the answer, or NULL */
	size_t prefix_len;
};

/* The deadline of a chasing fetch; the handle outlives the fetch until its close callback. */
struct fetch_timer {
	uv_timer_t timer;
	struct fetch *f; /* NULL once the fetch is gone */
};

struct fetch {
	struct fetch *next; /* hash chain */
	struct worker *w;
	struct state *state;     /* reference: the view and upstream list live in it */
	const struct view *view; /* in state */
	struct upstream_query *uq;
	struct validation *val;
	struct answer *ans;      /* while validating, or while chasing: the chain's first part */
	struct fetch *chase_sub; /* the fetch that completes ans's chain */
	struct fetch_timer *chase_timer; /* bounds the wait for chase_sub, or NULL */
	uint8_t chase_sec;               /* the validation outcome of ans */
	unsigned chase_depth; /* chase links before this fetch, on the longest way to it */
	struct fetch_waiter *waiters;
	unsigned n_waiters;
	bool do_bit, cd, validate;
	uint16_t qtype, qclass;
	size_t lname_len;
	uint8_t lname[MSG_MAX_NAME];
	size_t zone_len;
	uint8_t zone[MSG_MAX_NAME]; /* the upstreams' bailiwick (see scrub.h) */
	struct forward_set fs;      /* the upstreams asked (in state) */
	uint32_t hash;
	size_t key_len;
	uint8_t key[CACHE_KEY_MAX];
};

struct fetch_table {
	size_t count;
	struct fetch *buckets[FETCH_BUCKETS];
};

struct fetch_table *fetch_table_new(void)
{
	struct fetch_table *t = xcalloc(1, sizeof(*t));
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

static void fetch_waiter_free(struct fetch_waiter *r)
{
	if (!r->parent)
		server_client_release(&r->client);
	free(r->prefix);
	free(r);
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
	for (struct fetch_waiter *r = f->waiters, *next; r; r = next) {
		next = r->next;
		fetch_waiter_free(r);
	}
	validation_free(f->val);
	answer_free(f->ans);
	state_unref(f->state);
	free(f);
}

static void fetch_add_waiter(struct fetch *f, struct fetch_waiter *r)
{
	r->next = f->waiters;
	f->waiters = r;
	f->n_waiters++;
}

static struct answer_policy fetch_policy(const struct fetch *f)
{
	struct answer_policy p = {f->state->cfg->cache_min_ttl, f->state->cfg->cache_max_ttl};
	return p;
}

/* Answer one client waiter with ans (sec: the validation outcome). */
static void fetch_answer_client(struct fetch *f, struct fetch_waiter *r, const struct answer *ans,
				uint8_t sec)
{
	struct request_who who = {&r->client, &r->q, r->slot, r->start_ns};
	struct msg_finish_args a = {.ede = -1};
	if (CACHE_SEC_STATUS(sec) == VALIDATE_BOGUS) {
		request_reply_error(f->w, &who, STATS_UPSTREAM, MSG_SERVFAIL, CACHE_SEC_EDE(sec),
				    "DNSSEC validation failed");
	} else if (r->prefix) {
		request_reply_chain(f->w, &who, STATS_UPSTREAM, r->prefix, r->prefix_len, ans->body,
				    ans->len, NULL, 0, 0);
	} else {
		a.ad = CACHE_SEC_STATUS(sec) == VALIDATE_SECURE &&
		       (r->q.do_bit || (r->q.flags & MSG_AD));
		request_reply(f->w, &who, STATS_UPSTREAM, ans->body, ans->len, &a);
	}
}

static void fetch_validate_run(struct fetch *f);
static void fetch_finish(struct fetch *f, struct answer *ans, uint8_t sec);
static struct fetch *fetch_start(struct worker *w, const struct view *v, const uint8_t *key,
				 size_t key_len, uint32_t hash, const uint8_t *lname,
				 size_t lname_len, uint16_t qtype, uint16_t qclass);

/* The outcome of an answer made of two validated parts: the weaker one. */
static uint8_t fetch_sec_join(uint8_t a, uint8_t b)
{
	unsigned sa = CACHE_SEC_STATUS(a), sb = CACHE_SEC_STATUS(b);
	if (sa == VALIDATE_BOGUS || sb == VALIDATE_BOGUS)
		return sa == VALIDATE_BOGUS ? a : b;
	if (sa == VALIDATE_UNCHECKED || sb == VALIDATE_UNCHECKED)
		return CACHE_SEC(VALIDATE_UNCHECKED, -1);
	if (sa == VALIDATE_INSECURE || sb == VALIDATE_INSECURE)
		return CACHE_SEC(VALIDATE_INSECURE, -1);
	return CACHE_SEC(VALIDATE_SECURE, -1);
}

/* first's chain continued by the answer records of rest (TTLs at offs lowered by elapsed). */
static struct answer *fetch_join(const struct fetch *f, const struct answer *first,
				 const uint8_t *rest, size_t rest_len, const uint16_t *offs,
				 size_t n_offs, uint32_t elapsed)
{
	size_t cap = MSG_MAX_UDP; /* a longer join is refused (chase_splice) */
	uint8_t *tmp = xcalloc(1, cap);
	size_t n =
	    chase_splice(first->body, first->len, rest, rest_len, offs, n_offs, elapsed, tmp, cap);
	struct answer_policy pol = fetch_policy(f);
	struct answer *joined = n ? answer_prepare(&pol, NULL, tmp, n) : NULL;
	free(tmp);
	return joined;
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

static void fetch_chase_done(struct fetch *f, const struct answer *rest, uint8_t rest_sec);

/* Take f's chase waiter off sub: sub no longer completes f's chain. */
static void fetch_unwait(struct fetch *sub, const struct fetch *f)
{
	for (struct fetch_waiter **pp = &sub->waiters; *pp; pp = &(*pp)->next) {
		struct fetch_waiter *r = *pp;
		if (r->chase && r->parent == f) {
			*pp = r->next;
			sub->n_waiters--;
			fetch_waiter_free(r);
			return;
		}
	}
}

/* f waited for the rest of its chain as long as for an upstream: it goes out as it is. */
static void fetch_chase_timeout_cb(uv_timer_t *t)
{
	struct fetch_timer *ft = t->data;
	struct fetch *f = ft->f;
	if (!f || !f->chase_sub)
		return;
	log_debug("fetch: the rest of a CNAME chain did not come in time; answered without it");
	fetch_unwait(f->chase_sub, f);
	fetch_chase_done(f, NULL, 0);
}

/* Start the deadline of f's wait for the rest of its chain. */
static void fetch_chase_arm(struct fetch *f)
{
	struct fetch_timer *ft = f->chase_timer;
	if (!ft) {
		ft = xcalloc(1, sizeof(*ft));
		uv_timer_init(f->w->loop, &ft->timer);
		ft->timer.data = ft;
		ft->f = f;
		f->chase_timer = ft;
	}
	uv_timer_start(&ft->timer, fetch_chase_timeout_cb, upstream_pool_deadline_ms(f->w->pool),
		       0);
}

/*
 * The chain of ans left the bailiwick of f's upstreams at ans->target, whose records were
 * scrubbed (scrub.h): complete it from the cache or with a fetch of the target, through the
 * upstreams that serve that name, as a stub resolver will not. Returns false when it cannot
 * be done (f then finishes with ans as it is); true when ans was consumed.
 */
static bool fetch_chase(struct fetch *f, struct answer *ans, uint8_t sec)
{
	struct worker *w = f->w;
	uint8_t key[CACHE_KEY_MAX];
	struct cache_entry e;
	if (f->chase_depth >= FETCH_MAX_CHASE || CACHE_SEC_STATUS(sec) == VALIDATE_BOGUS)
		return false;
	size_t key_len = cache_key_make(key, f->view->scope, ans->target, ans->target_len, f->qtype,
					f->qclass, f->key[f->key_len - 1]);
	uint64_t now = worker_now(w);
	if (cache_lookup(w->cache, key, key_len, now, &e)) {
		struct answer *joined = fetch_join(f, ans, e.body, e.body_len, e.ttl_offs, e.n_ttl,
						   (uint32_t)((now - e.stored_ms) / 1000));
		if (!joined)
			return false;
		answer_free(ans);
		fetch_finish(f, joined, fetch_sec_join(sec, e.sec));
		return true;
	}
	uint32_t hash = fetch_hash(key, key_len);
	struct fetch *sub = fetch_find(w->fetches, key, key_len, hash);
	if (!sub)
		sub = fetch_start(w, f->view, key, key_len, hash, ans->target, ans->target_len,
				  f->qtype, f->qclass);
	if (!sub || sub->n_waiters >= FETCH_MAX_WAITERS || !fetch_chase_link(f, sub))
		return false;
	struct fetch_waiter *r = xcalloc(1, sizeof(*r));
	r->parent = f;
	r->chase = true;
	fetch_add_waiter(sub, r);
	f->ans = ans;
	f->chase_sec = sec;
	f->chase_sub = sub;
	fetch_chase_arm(f);
	return true;
}

/*
 * The fetch f chased for is done: finish f with the joined chain (rest NULL: it failed or took
 * too long). A chain cut short that way is answered as far as it goes but not cached, nor is
 * a join with a rest that may not be cached: the next query may get all of it.
 */
static void fetch_chase_done(struct fetch *f, const struct answer *rest, uint8_t rest_sec)
{
	struct answer *first = f->ans, *joined = NULL;
	uint8_t sec = f->chase_sec;
	f->ans = NULL;
	f->chase_sub = NULL;
	if (f->chase_timer)
		uv_timer_stop(&f->chase_timer->timer);
	if (rest)
		joined = fetch_join(f, first, rest->body, rest->len, NULL, 0, 0);
	if (joined) {
		answer_free(first);
		if (!rest->ttl)
			joined->ttl = 0;
		fetch_finish(f, joined, fetch_sec_join(sec, rest_sec));
		return;
	}
	first->target_len = 0; /* no second try: answer with the chain as far as it goes */
	first->ttl = 0;
	fetch_finish(f, first, sec);
}

/* Done: leave the table, cache ans, answer everyone, free. ans is consumed. */
static void fetch_finish(struct fetch *f, struct answer *ans, uint8_t sec)
{
	struct worker *w = f->w;
	if (ans->target_len && fetch_chase(f, ans, sec))
		return; /* f finishes when the rest of the chain is in */
	fetch_unlink(w->fetches, f);
	if (f->validate && !f->do_bit) {
		struct answer_policy pol = fetch_policy(f);
		struct answer *stripped = answer_strip(&pol, ans, f->qtype);
		if (stripped) {
			answer_free(ans);
			ans = stripped;
		}
	}
	uint32_t ttl = ans->ttl;
	if (CACHE_SEC_STATUS(sec) == VALIDATE_BOGUS && ttl > FETCH_BOGUS_TTL)
		ttl = FETCH_BOGUS_TTL;
	if (ttl > 0)
		cache_store(w->cache, f->key, f->key_len, ans->body, ans->len, ans->ttl_offs,
			    ans->n_ttl, ttl, ans->rcode, sec, worker_now(w));
	w->stats.dnssec[CACHE_SEC_STATUS(sec)]++;
	for (struct fetch_waiter *r = f->waiters; r; r = r->next) {
		if (r->chase) {
			fetch_chase_done(r->parent, ans, sec);
		} else if (r->parent) {
			validation_feed(r->parent->val, ans->body, ans->len);
			fetch_validate_run(r->parent);
		} else {
			fetch_answer_client(f, r, ans, sec);
		}
	}
	answer_free(ans);
	fetch_free(f);
}

/* Nothing usable came back: SERVFAIL to clients, "no reply" to validations. */
static void fetch_fail(struct fetch *f, int status)
{
	int ede = status == -ETIMEDOUT ? MSG_EDE_NO_REACHABLE_AUTHORITY : MSG_EDE_NETWORK_ERROR;
	const char *text = status == -ETIMEDOUT ? "upstream timed out" : "upstream failed";
	fetch_unlink(f->w->fetches, f);
	log_debug("fetch failed: %s", strerror(-status));
	for (struct fetch_waiter *r = f->waiters; r; r = r->next) {
		if (r->chase) {
			fetch_chase_done(r->parent, NULL, 0);
		} else if (r->parent) {
			validation_feed(r->parent->val, NULL, 0);
			fetch_validate_run(r->parent);
		} else {
			struct request_who who = {&r->client, &r->q, r->slot, r->start_ns};
			request_reply_error(f->w, &who, STATS_UPSTREAM, MSG_SERVFAIL, ede, text);
		}
	}
	fetch_free(f);
}

/* A debug line for what the scrubber removed (an upstream adding records is worth a look). */
static void fetch_log_scrub(const struct fetch *f, const struct answer *ans)
{
	char name[MSG_MAX_NAME * 4 + 1];
	if (!log_enabled(LOG_DEBUG))
		return;
	msg_name_to_str(f->lname, f->lname_len, name, sizeof(name));
	log_debug("scrub: %u record(s) in the reply for %s %s did not answer it (dropped)",
		  ans->dropped, name, msg_type_str(f->qtype));
}

/* scrub.h: is name, inside f's bailiwick, one that other upstreams serve? */
static bool fetch_elsewhere_cb(const void *ud, const uint8_t *name, size_t len)
{
	const struct fetch *f = ud;
	return forward_elsewhere(&f->state->fwd, f->view, &f->fs, f->zone, f->zone_len, name, len);
}

static void fetch_upstream_cb(void *ud, int status, const uint8_t *reply, size_t len)
{
	struct fetch *f = ud;
	f->uq = NULL;
	struct answer_policy pol = fetch_policy(f);
	struct scrub_question sq = {.lname = f->lname,
				    .lname_len = f->lname_len,
				    .qtype = f->qtype,
				    .qclass = f->qclass,
				    .zone = f->zone,
				    .zone_len = f->zone_len};
	if (f->state->fwd.n_zones) { /* else nothing is cut out of any bailiwick */
		sq.elsewhere = fetch_elsewhere_cb;
		sq.elsewhere_ud = f;
	}
	struct answer *ans = status == 0 ? answer_prepare(&pol, &sq, reply, len) : NULL;
	if (!ans) {
		fetch_fail(f, status < 0 ? status : -EBADMSG);
		return;
	}
	if (ans->dropped)
		fetch_log_scrub(f, ans);
	if (!f->validate) {
		fetch_finish(f, ans, CACHE_SEC(VALIDATE_UNCHECKED, -1));
		return;
	}
	struct worker *w = f->w;
	f->ans = ans;
	f->val = validation_new(f->state->anchors, w->keycache, ans->body, ans->len, time(NULL),
				worker_now(w));
	fetch_validate_run(f);
}

/*
 * The bailiwick of upstreams chosen by fs. A DS record lives in the parent zone, so the reply
 * to a DS query for a forward zone's apex comes from the zone above it.
 */
static void fetch_bailiwick(struct fetch *f, const struct forward_set *fs)
{
	const uint8_t *zone = fs->zone;
	size_t len = fs->zone_len;
	if (f->qtype == TYPE_DS && len > 1 && len == f->lname_len && !memcmp(zone, f->lname, len)) {
		len -= 1u + zone[0];
		zone += 1u + zone[0];
	}
	memcpy(f->zone, zone, len);
	f->zone_len = len;
}

/*
 * A fetch for key (in the scope of view v) of lname/qtype/qclass with the key's DO/CD flags,
 * in the table and asking upstream; or NULL when it cannot start (no upstreams, too busy).
 */
static struct fetch *fetch_start(struct worker *w, const struct view *v, const uint8_t *key,
				 size_t key_len, uint32_t hash, const uint8_t *lname,
				 size_t lname_len, uint16_t qtype, uint16_t qclass)
{
	struct fetch_table *t = w->fetches;
	if (t->count >= FETCH_MAX)
		return NULL;
	struct fetch *f = xcalloc(1, sizeof(*f));
	f->w = w;
	f->view = v;
	f->do_bit = (key[key_len - 1] & CACHE_KEY_DO) != 0;
	f->cd = (key[key_len - 1] & CACHE_KEY_CD) != 0;
	f->validate = w->state->anchors && !f->cd;
	f->qtype = qtype;
	f->qclass = qclass;
	f->lname_len = lname_len;
	memcpy(f->lname, lname, lname_len);
	f->hash = hash;
	f->key_len = key_len;
	memcpy(f->key, key, key_len);
	/* A validating fetch needs the signatures (DO) and the data even if bogus (CD). */
	struct upstream_question qn = {
	    f->lname, lname_len, qtype, qclass, f->do_bit || f->validate, f->cd || f->validate};
	struct forward_set fs = forward_lookup(&w->state->fwd, v, lname, lname_len);
	fetch_bailiwick(f, &fs);
	f->fs = fs;
	if (upstream_resolve(w->pool, fs.addrs, fs.n, &qn, fetch_upstream_cb, f, &f->uq) < 0) {
		free(f);
		return NULL;
	}
	f->state = state_ref(w->state);
	f->next = t->buckets[hash % FETCH_BUCKETS];
	t->buckets[hash % FETCH_BUCKETS] = f;
	t->count++;
	return f;
}

/* The validation of f needs need: from the cache (then true) or from a sub-fetch. */
static bool fetch_sub(struct fetch *f, const struct validate_need *need)
{
	struct worker *w = f->w;
	uint8_t key[CACHE_KEY_MAX];
	size_t key_len = cache_key_make(key, f->view->scope, need->name, need->name_len, need->type,
					CLASS_IN, CACHE_KEY_DO | CACHE_KEY_CD);
	struct cache_entry e;
	if (cache_lookup(w->cache, key, key_len, worker_now(w), &e)) {
		validation_feed(f->val, e.body, e.body_len);
		return true;
	}
	uint32_t hash = fetch_hash(key, key_len);
	struct fetch *sub = fetch_find(w->fetches, key, key_len, hash);
	if (!sub)
		sub = fetch_start(w, f->view, key, key_len, hash, need->name, need->name_len,
				  need->type, CLASS_IN);
	if (!sub) {
		validation_feed(f->val, NULL, 0);
		return true;
	}
	struct fetch_waiter *r = xcalloc(1, sizeof(*r));
	r->parent = f;
	fetch_add_waiter(sub, r);
	return false;
}

/* Has the forward zone f was sent to been warned about under its config? Marks it if not. */
static bool fetch_warned(const struct fetch *f)
{
	const struct forward *fw = &f->state->fwd;
	size_t i = 0;
	while (i < fw->n_zones && fw->zones[i].upstreams != f->fs.addrs)
		i++; /* each forward zone owns its upstream list */
	return state_warned_unprovable(f->state, i);
}

/*
 * Say why f's answer is bogus, with the type's name. When the chain broke at or above the
 * forward zone the question went to, the zone is most likely private (an NSD or the router
 * serving lan. or example.test. unsigned): warn once, with the two fixes.
 */
static void fetch_log_bogus(struct fetch *f, int ede)
{
	char name[MSG_MAX_NAME * 4 + 1], zone[sizeof(name)];
	msg_name_to_str(f->lname, f->lname_len, name, sizeof(name));
	/* No root DNSKEY at all: the upstreams strip or refuse DNSSEC, whatever the name. */
	bool no_root = ede == MSG_EDE_DNSKEY_MISSING &&
		       validation_broken_above(f->val, (const uint8_t *)"", 1);
	log_info("validation: %s %s is bogus (EDE %d): %s%s", name, msg_type_str(f->qtype), ede,
		 validation_why(f->val),
		 no_root
		     ? " (the upstreams gave no usable DNSKEY for the root: they drop or refuse "
		       "DNSSEC records; use upstreams that pass them on, or dnssec.validation: "
		       "false)"
		     : "");
	if (f->fs.zone_len <= 1 || !validation_broken_above(f->val, f->fs.zone, f->fs.zone_len) ||
	    fetch_warned(f))
		return;
	msg_name_to_str(f->fs.zone, f->fs.zone_len, zone, sizeof(zone));
	log_warn("forward zone %s: its answers fail DNSSEC validation because the chain of trust "
		 "from the root cannot prove it (%s). If %s is a private zone (not delegated in "
		 "the public DNS), set `dnssec: false` on its forward-zones entry or list it in "
		 "dnssec.insecure-domains",
		 zone, validation_why(f->val), zone);
}

/* Advance f's validation until it needs a sub-fetch in flight, or finish f. */
static void fetch_validate_run(struct fetch *f)
{
	struct validate_need need;
	while (validation_step(f->val, &need) == VALIDATE_NEED)
		if (!fetch_sub(f, &need))
			return;
	int ede;
	enum validate_status st = validation_result(f->val, &ede);
	struct answer *ans = f->ans;
	f->ans = NULL;
	if (st == VALIDATE_BOGUS)
		fetch_log_bogus(f, ede);
	fetch_finish(f, ans, CACHE_SEC(st, ede));
}

void fetch_client(struct worker *w, const struct view *v, const uint8_t *key, size_t key_len,
		  const struct fetch_client *fc)
{
	uint32_t hash = fetch_hash(key, key_len);
	struct fetch *f = fetch_find(w->fetches, key, key_len, hash);
	if (!f)
		f = fetch_start(w, v, key, key_len, hash, fc->lname, fc->lname_len,
				fc->who->q->qtype, fc->who->q->qclass);
	if (!f) {
		request_reply_error(w, fc->who, STATS_ERROR, MSG_SERVFAIL,
				    MSG_EDE_NO_REACHABLE_AUTHORITY, "no upstream to ask");
		return;
	}
	if (f->n_waiters >= FETCH_MAX_WAITERS)
		return; /* drop: the client retries, by then the answer is cached */
	struct fetch_waiter *r = xcalloc(1, sizeof(*r));
	r->client = *fc->who->c;
	r->q = *fc->who->q;
	r->slot = fc->who->slot;
	r->start_ns = fc->who->start_ns;
	if (fc->prefix) {
		r->prefix = xmalloc(fc->prefix_len);
		memcpy(r->prefix, fc->prefix, fc->prefix_len);
		r->prefix_len = fc->prefix_len;
	}
	server_client_hold(fc->who->c);
	fetch_add_waiter(f, r);
}

void fetch_cancel_all(struct worker *w)
{
	struct fetch_table *t = w->fetches;
	for (size_t i = 0; i < FETCH_BUCKETS; i++) {
		while (t->buckets[i]) {
			struct fetch *f = t->buckets[i];
			t->buckets[i] = f->next;
			t->count--;
			if (f->uq)
				upstream_cancel(f->uq);
			fetch_free(f);
		}
	}
}
