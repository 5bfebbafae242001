/*
 * request.c -- the query pipeline. See request.h and docs/ARCHITECTURE.md.
 *
 * Two halves. request_handle runs inside the receive callback and answers whatever it can
 * from the worker's scratch buffers: errors, REFUSED for clients without a view, the CHAOS
 * view query, override data, cache hits. A miss becomes a `struct request` waiting on a
 * `struct fetch`, keyed like the cache; the fetch owns the upstream query and a reference to
 * the state it started under. When the reply arrives the fetch is first removed from the
 * table (so a query arriving during the callbacks starts afresh), stored in the cache, and
 * then every waiter gets its own copy with its ID, qname case and EDNS.
 */
#include "request.h"

#include "cache.h"
#include "chase.h"
#include "localdata.h"
#include "log.h"
#include "msg.h"
#include "upstream.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REQUEST_BUCKETS     4096
#define REQUEST_MAX_FETCHES 4096 /* bound on upstream work in flight per worker */
#define REQUEST_MAX_WAITERS 512  /* queries joined to one fetch */
#define TYPE_SOA            6
#define TYPE_TXT            16
#define TYPE_OPT            41
#define TYPE_IXFR           251
#define TYPE_AXFR           252
#define TYPE_ANY            255
#define CLASS_IN            1
#define CLASS_CH            3

/* A client query waiting for a fetch. */
struct request {
	struct request *next;
	struct server_client client;
	struct msg_query q;
	uint8_t *prefix; /* a local CNAME chain to put before the fetched answer, or NULL */
	size_t prefix_len;
};

struct fetch {
	struct fetch *next; /* hash chain */
	struct worker *w;
	struct state *state; /* reference: the view and upstream list live in it */
	struct upstream_query *uq;
	struct request *waiters;
	unsigned n_waiters;
	uint32_t hash;
	size_t key_len;
	uint8_t key[CACHE_KEY_MAX];
};

struct request_fetches {
	size_t count;
	struct fetch *buckets[REQUEST_BUCKETS];
};

struct request_fetches *request_fetches_new(void)
{
	struct request_fetches *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	return t;
}

void request_fetches_free(struct request_fetches *t)
{
	free(t);
}

size_t request_fetches_count(const struct request_fetches *t)
{
	return t->count;
}

static uint32_t request_hash(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a: keys are short and this table is not exposed long */
	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

static struct fetch *request_fetch_find(struct request_fetches *t, const uint8_t *key, size_t len,
					uint32_t hash)
{
	for (struct fetch *f = t->buckets[hash % REQUEST_BUCKETS]; f; f = f->next)
		if (f->hash == hash && f->key_len == len && !memcmp(f->key, key, len))
			return f;
	return NULL;
}

static void request_fetch_unlink(struct request_fetches *t, struct fetch *f)
{
	struct fetch **pp = &t->buckets[f->hash % REQUEST_BUCKETS];
	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	t->count--;
}

/* Turn body into q's reply and send it to c; out has room for body_len + 512. */
static void request_send(const struct server_client *c, const struct msg_query *q,
			 const uint8_t *body, size_t body_len, struct msg_finish_args *a,
			 uint8_t *out, size_t cap, uint16_t server_udp)
{
	a->q = q;
	/* Over UDP, the smaller of the client's and our buffer: large answers go over TCP rather
	 * than as fragments (RFC 9715). */
	uint16_t udp = q->udp_size < server_udp ? q->udp_size : server_udp;
	a->max_size = server_max_reply(c, udp);
	a->server_udp = server_udp;
	size_t n = msg_finish(body, body_len, a, out, cap);
	if (n)
		server_send(c, out, n);
}

/* Reply with an rcode and no records (and an EDE when ede >= 0). */
static void request_error(struct worker *w, const struct server_client *c,
			  const struct msg_query *q, enum msg_rcode rcode, int ede,
			  const char *text)
{
	size_t n = msg_error_body(q, rcode, w->body, sizeof(w->body));
	struct msg_finish_args a = {.ede = ede, .ede_text = text};
	if (rcode == MSG_BADVERS)
		a.ext_rcode = MSG_BADVERS >> 4;
	if (n)
		request_send(c, q, w->body, n, &a, w->reply, sizeof(w->reply),
			     w->state->cfg->edns_buffer_size);
}

/* CHAOS TXT view.megdns.: the name of the client's view, so users can check views with dig. */
static bool request_chaos(struct worker *w, const struct server_client *c,
			  const struct msg_query *q, const struct view *v)
{
	static const uint8_t name[] = "\4view\6megdns";
	if (q->qclass != CLASS_CH || q->qname_len != sizeof(name) ||
	    memcmp(q->lname, name, sizeof(name)) || !w->state->cfg->view_query ||
	    (q->qtype != TYPE_TXT && q->qtype != TYPE_ANY))
		return false;
	size_t n = msg_error_body(q, MSG_NOERROR, w->body, sizeof(w->body));
	size_t vlen = strlen(v->cfg->name);
	if (vlen > 255)
		vlen = 255;
	uint8_t *p = w->body + n;
	msg_put16(p, 0xc000 | MSG_HDR_LEN); /* owner: the question name */
	msg_put16(p + 2, TYPE_TXT);
	msg_put16(p + 4, CLASS_CH);
	msg_put32(p + 6, 0);
	msg_put16(p + 10, (uint16_t)(vlen + 1));
	p[12] = (uint8_t)vlen;
	memcpy(p + 13, v->cfg->name, vlen);
	n += 13 + vlen;
	msg_put16(w->body + 2, msg_get16(w->body + 2) | MSG_AA);
	msg_put16(w->body + 6, 1);
	struct msg_finish_args a = {.ede = -1};
	request_send(c, q, w->body, n, &a, w->reply, sizeof(w->reply),
		     w->state->cfg->edns_buffer_size);
	return true;
}

static bool request_from_cache(struct worker *w, const struct server_client *c,
			       const struct msg_query *q, const uint8_t *key, size_t key_len)
{
	struct cache_entry e;
	uint64_t now = worker_now(w);
	if (!cache_lookup(w->cache, key, key_len, now, &e))
		return false;
	struct msg_finish_args a = {.ede = -1,
				    .ttl_offs = e.ttl_offs,
				    .n_ttl = e.n_ttl,
				    .elapsed = (uint32_t)((now - e.stored_ms) / 1000)};
	request_send(c, q, e.body, e.body_len, &a, w->reply, sizeof(w->reply),
		     w->state->cfg->edns_buffer_size);
	return true;
}

static void request_fetch_cb(void *ud, int status, const uint8_t *reply, size_t len);

/* A local answer ending in a CNAME to an outside name (see chase.h). */
struct request_chain {
	const uint8_t *body; /* the local answer */
	size_t body_len;
	uint8_t target[MSG_MAX_NAME];
	size_t target_len;
};

static void *request_memdup(const void *p, size_t len)
{
	void *q = malloc(len);
	if (!q)
		abort();
	return memcpy(q, p, len);
}

/* Queue q behind the fetch for key, starting one if none is in flight. */
static void request_fetch(struct worker *w, const struct server_client *c,
			  const struct msg_query *q, const struct view *v, const uint8_t *key,
			  size_t key_len, const struct request_chain *chain)
{
	const uint8_t *lname = chain ? chain->target : q->lname;
	size_t lname_len = chain ? chain->target_len : q->qname_len;
	struct request_fetches *t = w->fetches;
	uint32_t hash = request_hash(key, key_len);
	struct fetch *f = request_fetch_find(t, key, key_len, hash);
	if (!f) {
		if (t->count >= REQUEST_MAX_FETCHES) {
			request_error(w, c, q, MSG_SERVFAIL, MSG_EDE_OTHER, "resolver busy");
			return;
		}
		struct forward_set fs = forward_lookup(&w->state->fwd, v, lname, lname_len);
		f = calloc(1, sizeof(*f));
		if (!f)
			abort();
		struct upstream_question qn = {q->lname,  q->qname_len, q->qtype,
					       q->qclass, q->do_bit,    (q->flags & MSG_CD) != 0};
		if (upstream_resolve(w->pool, fs.addrs, fs.n, &qn, request_fetch_cb, f, &f->uq) <
		    0) {
			free(f);
			request_error(w, c, q, MSG_SERVFAIL, MSG_EDE_NO_REACHABLE_AUTHORITY,
				      "no upstream servers configured");
			return;
		}
		f->w = w;
		f->state = state_ref(w->state);
		f->hash = hash;
		f->key_len = key_len;
		memcpy(f->key, key, key_len);
		f->next = t->buckets[hash % REQUEST_BUCKETS];
		t->buckets[hash % REQUEST_BUCKETS] = f;
		t->count++;
	} else if (f->n_waiters >= REQUEST_MAX_WAITERS) {
		return; /* drop: the client retries, by then the answer is cached */
	}
	struct request *r = malloc(sizeof(*r));
	if (!r)
		abort();
	r->client = *c;
	r->q = *q;
	r->prefix = chain ? request_memdup(chain->body, chain->body_len) : NULL;
	r->prefix_len = chain ? chain->body_len : 0;
	r->next = f->waiters;
	f->waiters = r;
	f->n_waiters++;
	server_client_hold(c);
}

/* An upstream reply made ready for the cache: a body with clamped TTLs and their offsets. */
struct request_answer {
	uint8_t *body;
	size_t len;
	uint16_t ttl_offs[MSG_MAX_TTL_RR];
	size_t n_ttl;
	uint32_t ttl; /* cache lifetime; 0 = do not cache */
	uint8_t rcode;
};

static uint32_t request_clamp(const struct config *cfg, uint32_t ttl)
{
	if (ttl > cfg->cache_max_ttl)
		ttl = cfg->cache_max_ttl;
	return ttl < cfg->cache_min_ttl ? cfg->cache_min_ttl : ttl;
}

/*
 * Copy reply into ans->body (sized for it) without its OPT record, clamp every TTL, and work
 * out how long it may be cached: the smallest TTL for data, the SOA rule of RFC 2308 section 5
 * for NXDOMAIN and NODATA. Returns 0 or -EBADMSG.
 */
static int request_prepare(const struct config *cfg, const uint8_t *reply, size_t len,
			   struct request_answer *ans)
{
	memcpy(ans->body, reply, len);
	ans->len = len;
	uint8_t *b = ans->body;
	struct msg_walk w;
	struct msg_rr rr;
	uint32_t min_ttl = UINT32_MAX, neg_ttl = 0;
	size_t soa_off = 0;
	bool overflow = false;
	int r;
	msg_walk_init(&w, b, len); /* upstream.c checked the whole message already */
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		if (rr.type == TYPE_OPT) {
			if (rr.end != len) /* cutting it out elsewhere would break compression */
				return -EBADMSG;
			ans->len = rr.owner;
			msg_put16(b + 10, (uint16_t)(msg_get16(b + 10) - 1));
			break;
		}
		uint32_t ttl = request_clamp(cfg, rr.ttl);
		msg_put32(b + rr.ttl_off, ttl);
		if (ttl < min_ttl)
			min_ttl = ttl;
		if (rr.type == TYPE_SOA && rr.section == 2 && rr.rdlen >= 22 && !soa_off) {
			uint32_t minimum = msg_get32(b + rr.end - 4);
			neg_ttl = request_clamp(cfg, ttl < minimum ? ttl : minimum);
			soa_off = rr.ttl_off;
		}
		if (ans->n_ttl < MSG_MAX_TTL_RR)
			ans->ttl_offs[ans->n_ttl++] = (uint16_t)rr.ttl_off;
		else
			overflow = true;
	}
	if (r < 0)
		return -EBADMSG;
	uint16_t flags = msg_get16(b + 2);
	ans->rcode = flags & 0xf;
	/* We are not the authority, and AD is ours to set only after validating. */
	msg_put16(b + 2, (uint16_t)((flags & ~(MSG_AA | MSG_AD)) | MSG_RA));
	bool negative = ans->rcode == MSG_NXDOMAIN || msg_get16(b + 6) == 0;
	if (negative && soa_off)
		msg_put32(b + soa_off, neg_ttl);
	ans->ttl = overflow ? 0 : negative ? neg_ttl : (min_ttl == UINT32_MAX ? 0 : min_ttl);
	return 0;
}

/* Release a waiter: its connection, its memory. */
static void request_free(struct request *r)
{
	server_client_release(&r->client);
	free(r->prefix);
	free(r);
}

/* Send the answer to a chased CNAME: local chain + resolved body; SERVFAIL if unusable. */
static void request_send_chain(struct worker *w, const struct server_client *c,
			       const struct msg_query *q, const uint8_t *local, size_t local_len,
			       const uint8_t *body, size_t body_len, const uint16_t *ttl_offs,
			       size_t n_ttl, uint32_t elapsed)
{
	size_t cap = local_len + body_len + 512;
	uint8_t *joined = malloc(cap), *out = malloc(cap + 512);
	if (!joined || !out)
		abort();
	size_t n =
	    chase_splice(local, local_len, body, body_len, ttl_offs, n_ttl, elapsed, joined, cap);
	struct msg_finish_args a = {.ede = -1};
	if (n == 0) {
		n = msg_error_body(q, MSG_SERVFAIL, joined, cap);
		a.ede = MSG_EDE_OTHER;
		a.ede_text = "cannot join local CNAME and resolved answer";
	}
	request_send(c, q, joined, n, &a, out, cap + 512, w->state->cfg->edns_buffer_size);
	free(joined);
	free(out);
}

/* Cache the reply and answer every waiter; -EBADMSG (nothing done) if it is unusable. */
static int request_fetch_answer(struct fetch *f, const uint8_t *reply, size_t len)
{
	struct worker *w = f->w;
	const struct config *cfg = f->state->cfg;
	struct request_answer *ans = malloc(sizeof(*ans) + 2 * len + 512);
	if (!ans)
		abort();
	ans->body = (uint8_t *)(ans + 1);
	ans->n_ttl = 0;
	uint8_t *out = ans->body + len;
	if (request_prepare(cfg, reply, len, ans) < 0) {
		free(ans);
		return -EBADMSG;
	}
	if (ans->ttl > 0)
		cache_store(w->cache, f->key, f->key_len, ans->body, ans->len, ans->ttl_offs,
			    ans->n_ttl, ans->ttl, ans->rcode, 0, worker_now(w));
	for (struct request *r = f->waiters, *next; r; r = next) {
		next = r->next;
		struct msg_finish_args a = {.ede = -1};
		if (r->prefix)
			request_send_chain(w, &r->client, &r->q, r->prefix, r->prefix_len,
					   ans->body, ans->len, NULL, 0, 0);
		else
			request_send(&r->client, &r->q, ans->body, ans->len, &a, out, len + 512,
				     cfg->edns_buffer_size);
		request_free(r);
	}
	free(ans);
	return 0;
}

static void request_fetch_fail(struct fetch *f, int status)
{
	uint8_t body[MSG_HDR_LEN + MSG_MAX_NAME + 4], out[sizeof(body) + 512];
	int ede = status == -ETIMEDOUT ? MSG_EDE_NO_REACHABLE_AUTHORITY : MSG_EDE_NETWORK_ERROR;
	const char *text = status == -ETIMEDOUT ? "upstream timed out" : "upstream failed";
	for (struct request *r = f->waiters, *next; r; r = next) {
		next = r->next;
		size_t n = msg_error_body(&r->q, MSG_SERVFAIL, body, sizeof(body));
		struct msg_finish_args a = {.ede = ede, .ede_text = text};
		request_send(&r->client, &r->q, body, n, &a, out, sizeof(out),
			     f->state->cfg->edns_buffer_size);
		request_free(r);
	}
}

static void request_fetch_cb(void *ud, int status, const uint8_t *reply, size_t len)
{
	struct fetch *f = ud;
	/* Leave the table before any callback below can start the same fetch again. */
	request_fetch_unlink(f->w->fetches, f);
	if (status == 0)
		status = request_fetch_answer(f, reply, len);
	if (status < 0) {
		log_debug("fetch failed: %s", strerror(-status));
		request_fetch_fail(f, status);
	}
	state_unref(f->state);
	free(f);
}

/* Resolve the target of a local CNAME chain (from the cache if possible) and answer both. */
static void request_chase(struct worker *w, const struct server_client *c,
			  const struct msg_query *q, const struct view *v,
			  const struct request_chain *chain)
{
	uint8_t key[CACHE_KEY_MAX];
	uint8_t flags = (q->do_bit ? CACHE_KEY_DO : 0) | ((q->flags & MSG_CD) ? CACHE_KEY_CD : 0);
	size_t key_len = cache_key_make(key, v->scope, chain->target, chain->target_len, q->qtype,
					q->qclass, flags);
	struct cache_entry e;
	uint64_t now = worker_now(w);
	if (cache_lookup(w->cache, key, key_len, now, &e)) {
		request_send_chain(w, c, q, chain->body, chain->body_len, e.body, e.body_len,
				   e.ttl_offs, e.n_ttl, (uint32_t)((now - e.stored_ms) / 1000));
		return;
	}
	request_fetch(w, c, q, v, key, key_len, chain);
}

/* Intake: reply to packets that are not a plain query; true when q is one to resolve. */
static bool request_intake(struct worker *w, const struct server_client *c, const uint8_t *pkt,
			   size_t len, struct msg_query *q)
{
	switch (msg_parse_query(pkt, len, q)) {
	case MSG_PARSE_OK:
		return true;
	case MSG_PARSE_DROP:
		return false;
	case MSG_PARSE_FORMERR:
		request_error(w, c, q, MSG_FORMERR, -1, NULL);
		return false;
	case MSG_PARSE_NOTIMP:
		request_error(w, c, q, MSG_NOTIMP, -1, NULL);
		return false;
	case MSG_PARSE_BADVERS:
		request_error(w, c, q, MSG_BADVERS, -1, NULL);
		return false;
	}
	return false;
}

void request_handle(struct worker *w, const struct server_client *c, const uint8_t *pkt, size_t len)
{
	struct msg_query q;
	if (w->stopping || !request_intake(w, c, pkt, len, &q))
		return;
	struct state *st = w->state;
	const struct view *v = view_select(&st->views, (const struct sockaddr *)&c->peer,
					   c->has_local ? (const struct sockaddr *)&c->local : NULL,
					   c->ifname[0] ? c->ifname : NULL);
	if (!v) {
		request_error(w, c, &q, MSG_REFUSED, MSG_EDE_PROHIBITED, "no view for this client");
		return;
	}
	if (request_chaos(w, c, &q, v))
		return;
	size_t n = localdata_answer(v->local, &q, w->body, sizeof(w->body));
	struct request_chain chain = {w->body, n};
	if (n && chase_target(w->body, n, &q, chain.target, &chain.target_len)) {
		request_chase(w, c, &q, v, &chain);
		return;
	}
	if (n) {
		struct msg_finish_args a = {.ede = -1};
		request_send(c, &q, w->body, n, &a, w->reply, sizeof(w->reply),
			     st->cfg->edns_buffer_size);
		return;
	}
	if (q.qclass != CLASS_IN || q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR) {
		request_error(w, c, &q, MSG_REFUSED, -1, NULL);
		return;
	}
	uint8_t key[CACHE_KEY_MAX];
	uint8_t flags = (q.do_bit ? CACHE_KEY_DO : 0) | ((q.flags & MSG_CD) ? CACHE_KEY_CD : 0);
	size_t key_len =
	    cache_key_make(key, v->scope, q.lname, q.qname_len, q.qtype, q.qclass, flags);
	if (request_from_cache(w, c, &q, key, key_len))
		return;
	request_fetch(w, c, &q, v, key, key_len, NULL);
}

void request_cancel_all(struct worker *w)
{
	struct request_fetches *t = w->fetches;
	for (size_t i = 0; i < REQUEST_BUCKETS; i++) {
		while (t->buckets[i]) {
			struct fetch *f = t->buckets[i];
			t->buckets[i] = f->next;
			t->count--;
			upstream_cancel(f->uq);
			for (struct request *r = f->waiters, *next; r; r = next) {
				next = r->next;
				request_free(r);
			}
			state_unref(f->state);
			free(f);
		}
	}
}
