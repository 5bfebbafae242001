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
#include "fetch.h"
#include "localdata.h"
#include "log.h"
#include "msg.h"
#include "validate.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_TXT  16
#define TYPE_IXFR 251
#define TYPE_AXFR 252
#define TYPE_ANY  255
#define CLASS_IN  1
#define CLASS_CH  3

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

void request_reply(const struct server_client *c, const struct msg_query *q, const uint8_t *body,
		   size_t body_len, struct msg_finish_args *a, uint16_t server_udp)
{
	size_t cap = body_len + 512;
	uint8_t *out = malloc(cap);
	if (!out)
		abort();
	request_send(c, q, body, body_len, a, out, cap, server_udp);
	free(out);
}

void request_reply_error(const struct server_client *c, const struct msg_query *q,
			 enum msg_rcode rcode, int ede, const char *text, uint16_t server_udp)
{
	uint8_t body[MSG_HDR_LEN + MSG_MAX_NAME + 4], out[sizeof(body) + 512];
	size_t n = msg_error_body(q, rcode, body, sizeof(body));
	struct msg_finish_args a = {.ede = ede, .ede_text = text};
	if (rcode == MSG_BADVERS)
		a.ext_rcode = MSG_BADVERS >> 4;
	if (n)
		request_send(c, q, body, n, &a, out, sizeof(out), server_udp);
}

void request_reply_chain(const struct server_client *c, const struct msg_query *q,
			 const uint8_t *local, size_t local_len, const uint8_t *body,
			 size_t body_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t elapsed,
			 uint16_t server_udp)
{
	size_t cap = local_len + body_len + 512;
	uint8_t *joined = malloc(cap);
	if (!joined)
		abort();
	size_t n =
	    chase_splice(local, local_len, body, body_len, ttl_offs, n_ttl, elapsed, joined, cap);
	struct msg_finish_args a = {.ede = -1};
	if (n)
		request_reply(c, q, joined, n, &a, server_udp);
	else
		request_reply_error(c, q, MSG_SERVFAIL, MSG_EDE_OTHER,
				    "cannot join local CNAME and resolved answer", server_udp);
	free(joined);
}

/* Reply with an rcode and no records (and an EDE when ede >= 0). */
static void request_error(struct worker *w, const struct server_client *c,
			  const struct msg_query *q, enum msg_rcode rcode, int ede,
			  const char *text)
{
	request_reply_error(c, q, rcode, ede, text, w->state->cfg->edns_buffer_size);
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

static uint8_t request_key_flags(const struct msg_query *q)
{
	return (q->do_bit ? CACHE_KEY_DO : 0) | ((q->flags & MSG_CD) ? CACHE_KEY_CD : 0);
}

static bool request_from_cache(struct worker *w, const struct server_client *c,
			       const struct msg_query *q, const uint8_t *key, size_t key_len)
{
	struct cache_entry e;
	uint64_t now = worker_now(w);
	if (!cache_lookup(w->cache, key, key_len, now, &e))
		return false;
	uint8_t status = FETCH_SEC_STATUS(e.sec);
	if (status == VALIDATE_BOGUS) {
		request_error(w, c, q, MSG_SERVFAIL, FETCH_SEC_EDE(e.sec),
			      "DNSSEC validation failed");
		return true;
	}
	struct msg_finish_args a = {.ede = -1,
				    .ttl_offs = e.ttl_offs,
				    .n_ttl = e.n_ttl,
				    .elapsed = (uint32_t)((now - e.stored_ms) / 1000),
				    /* RFC 6840 5.7: AD for clients that set DO or AD */
				    .ad = status == VALIDATE_SECURE &&
					  (q->do_bit || (q->flags & MSG_AD))};
	request_send(c, q, e.body, e.body_len, &a, w->reply, sizeof(w->reply),
		     w->state->cfg->edns_buffer_size);
	return true;
}

/* A local answer ending in a CNAME to an outside name (see chase.h). */
struct request_chain {
	const uint8_t *body; /* the local answer */
	size_t body_len;
	uint8_t target[MSG_MAX_NAME];
	size_t target_len;
};

/* Resolve the target of a local CNAME chain (from the cache if possible) and answer both. */
static void request_chase(struct worker *w, const struct server_client *c,
			  const struct msg_query *q, const struct view *v,
			  const struct request_chain *chain)
{
	uint8_t key[CACHE_KEY_MAX];
	size_t key_len = cache_key_make(key, v->scope, chain->target, chain->target_len, q->qtype,
					q->qclass, request_key_flags(q));
	struct cache_entry e;
	uint64_t now = worker_now(w);
	uint16_t udp = w->state->cfg->edns_buffer_size;
	if (!cache_lookup(w->cache, key, key_len, now, &e)) {
		struct fetch_client fc = {
		    c, q, chain->target, chain->target_len, chain->body, chain->body_len};
		fetch_client(w, v, key, key_len, &fc);
	} else if (FETCH_SEC_STATUS(e.sec) == VALIDATE_BOGUS) {
		request_error(w, c, q, MSG_SERVFAIL, FETCH_SEC_EDE(e.sec),
			      "DNSSEC validation failed");
	} else {
		request_reply_chain(c, q, chain->body, chain->body_len, e.body, e.body_len,
				    e.ttl_offs, e.n_ttl, (uint32_t)((now - e.stored_ms) / 1000),
				    udp);
	}
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
	size_t key_len = cache_key_make(key, v->scope, q.lname, q.qname_len, q.qtype, q.qclass,
					request_key_flags(&q));
	if (request_from_cache(w, c, &q, key, key_len))
		return;
	struct fetch_client fc = {c, &q, q.lname, q.qname_len, NULL, 0};
	fetch_client(w, v, key, key_len, &fc);
}
