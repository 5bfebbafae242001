/*
 * request.c -- the query pipeline. See request.h and docs/ARCHITECTURE.md.
 *
 * request_handle runs inside the receive callback and answers whatever it can from the
 * worker's scratch buffers: errors, REFUSED for clients without a view, the CHAOS view
 * query, override data, cache hits. A miss goes to fetch.c, which answers later through the
 * request_reply functions. Every answer, now or later, passes request_done: the statistics
 * and the query log see each query exactly once.
 */
#include "daemon/request.h"

#include "resolve/cache.h"
#include "policy/chase.h"
#include "daemon/fetch.h"
#include "policy/localdata.h"
#include "util/log.h"
#include "dns/msg.h"
#include "daemon/stats.h"
#include "dnssec/validate.h"
#include "daemon/worker.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_TXT  16
#define TYPE_IXFR 251
#define TYPE_AXFR 252
#define TYPE_ANY  255
#define CLASS_IN  1
#define CLASS_CH  3

/*
 * Every answer ends here: count it and, with server.query-log, log one line for it.
 * reply is the finished packet (its rcode is what the client saw).
 */
static void request_done(struct worker *w, const struct request_who *who, enum stats_source source,
			 const uint8_t *reply, size_t len)
{
	unsigned rcode = len >= MSG_HDR_LEN ? (reply[3] & 0xf) : MSG_SERVFAIL;
	uint64_t us = (uv_hrtime() - who->start_ns) / 1000;
	stats_answer(&w->stats, who->slot, who->c->tcp != NULL, who->q->qtype, rcode, source, us);
	if (!w->state->cfg->query_log)
		return;
	char client[ADDR_STRLEN], name[MSG_MAX_NAME * 4 + 1];
	struct addr a;
	addr_from_sockaddr(&a, (const struct sockaddr *)&who->c->peer, sizeof(who->c->peer));
	msg_name_to_str(who->q->qname, who->q->qname_len, name, sizeof(name));
	log_tagged("query", "%s %s %s %s %s %s %s %.3fms", addr_format(&a, client, sizeof(client)),
		   w->stats.views[who->slot < w->stats.n_views ? who->slot : 0].name, name,
		   msg_type_str(who->q->qtype), who->c->tcp ? "tcp" : "udp",
		   stats_rcode_name(rcode < STATS_N_RCODES - 1 ? rcode : STATS_N_RCODES - 1),
		   stats_source_name(source), (double)us / 1000.0);
}

/* Turn body into the reply for who and send it; out has room for body_len + 512. */
static void request_send(struct worker *w, const struct request_who *who, enum stats_source source,
			 const uint8_t *body, size_t body_len, struct msg_finish_args *a,
			 uint8_t *out, size_t cap)
{
	const struct msg_query *q = who->q;
	uint16_t server_udp = w->state->cfg->edns_buffer_size;
	a->q = q;
	/* Over UDP, the smaller of the client's and our buffer: large answers go over TCP rather
	 * than as fragments (RFC 9715). */
	uint16_t udp = q->udp_size < server_udp ? q->udp_size : server_udp;
	a->max_size = server_max_reply(who->c, udp);
	a->server_udp = server_udp;
	size_t n = msg_finish(body, body_len, a, out, cap);
	if (n)
		server_send(who->c, out, n);
	request_done(w, who, source, out, n);
}

void request_reply(struct worker *w, const struct request_who *who, enum stats_source source,
		   const uint8_t *body, size_t body_len, struct msg_finish_args *a)
{
	size_t cap = body_len + 512;
	uint8_t *out = xmalloc(cap);
	request_send(w, who, source, body, body_len, a, out, cap);
	free(out);
}

void request_reply_error(struct worker *w, const struct request_who *who, enum stats_source source,
			 enum msg_rcode rcode, int ede, const char *text)
{
	uint8_t body[MSG_HDR_LEN + MSG_MAX_NAME + 4], out[sizeof(body) + 512];
	size_t n = msg_error_body(who->q, rcode, body, sizeof(body));
	struct msg_finish_args a = {.ede = ede, .ede_text = text};
	if (rcode == MSG_BADVERS)
		a.ext_rcode = MSG_BADVERS >> 4;
	if (n)
		request_send(w, who, source, body, n, &a, out, sizeof(out));
}

void request_reply_chain(struct worker *w, const struct request_who *who, enum stats_source source,
			 const uint8_t *local, size_t local_len, const uint8_t *body,
			 size_t body_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t elapsed)
{
	size_t cap = local_len + body_len + 512;
	uint8_t *joined = xmalloc(cap);
	size_t n =
	    chase_splice(local, local_len, body, body_len, ttl_offs, n_ttl, elapsed, joined, cap);
	struct msg_finish_args a = {.ede = -1};
	if (n)
		request_reply(w, who, source, joined, n, &a);
	else
		request_reply_error(w, who, source, MSG_SERVFAIL, MSG_EDE_OTHER,
				    "cannot join local CNAME and resolved answer");
	free(joined);
}

/* CHAOS TXT view.megdns.: the name of the client's view, so users can check views with dig. */
static bool request_chaos(struct worker *w, const struct request_who *who, const struct view *v)
{
	static const uint8_t name[] = "\4view\6megdns";
	const struct msg_query *q = who->q;
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
	request_send(w, who, STATS_LOCAL, w->body, n, &a, w->reply, sizeof(w->reply));
	return true;
}

static uint8_t request_key_flags(const struct msg_query *q)
{
	return (q->do_bit ? CACHE_KEY_DO : 0) | ((q->flags & MSG_CD) ? CACHE_KEY_CD : 0);
}

static bool request_from_cache(struct worker *w, const struct request_who *who, const uint8_t *key,
			       size_t key_len)
{
	struct cache_entry e;
	uint64_t now = worker_now(w);
	const struct msg_query *q = who->q;
	if (!cache_lookup(w->cache, key, key_len, now, &e))
		return false;
	uint8_t status = CACHE_SEC_STATUS(e.sec);
	if (status == VALIDATE_BOGUS) {
		request_reply_error(w, who, STATS_CACHE, MSG_SERVFAIL, CACHE_SEC_EDE(e.sec),
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
	request_send(w, who, STATS_CACHE, e.body, e.body_len, &a, w->reply, sizeof(w->reply));
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
static void request_chase(struct worker *w, const struct request_who *who, const struct view *v,
			  const struct request_chain *chain)
{
	const struct msg_query *q = who->q;
	uint8_t key[CACHE_KEY_MAX];
	size_t key_len = cache_key_make(key, v->scope, chain->target, chain->target_len, q->qtype,
					q->qclass, request_key_flags(q));
	struct cache_entry e;
	uint64_t now = worker_now(w);
	if (!cache_lookup(w->cache, key, key_len, now, &e)) {
		struct fetch_client fc = {who, chain->target, chain->target_len, chain->body,
					  chain->body_len};
		fetch_client(w, v, key, key_len, &fc);
	} else if (CACHE_SEC_STATUS(e.sec) == VALIDATE_BOGUS) {
		request_reply_error(w, who, STATS_CACHE, MSG_SERVFAIL, CACHE_SEC_EDE(e.sec),
				    "DNSSEC validation failed");
	} else {
		request_reply_chain(w, who, STATS_CACHE, chain->body, chain->body_len, e.body,
				    e.body_len, e.ttl_offs, e.n_ttl,
				    (uint32_t)((now - e.stored_ms) / 1000));
	}
}

/* Intake: reply to packets that are not a plain query; true when q is one to resolve. */
static bool request_intake(struct worker *w, const struct request_who *who, const uint8_t *pkt,
			   size_t len, struct msg_query *q)
{
	switch (msg_parse_query(pkt, len, q)) {
	case MSG_PARSE_OK:
		return true;
	case MSG_PARSE_DROP:
		return false;
	case MSG_PARSE_FORMERR:
		request_reply_error(w, who, STATS_ERROR, MSG_FORMERR, -1, NULL);
		return false;
	case MSG_PARSE_NOTIMP:
		request_reply_error(w, who, STATS_ERROR, MSG_NOTIMP, -1, NULL);
		return false;
	case MSG_PARSE_BADVERS:
		request_reply_error(w, who, STATS_ERROR, MSG_BADVERS, -1, NULL);
		return false;
	}
	return false;
}

void request_handle(struct worker *w, const struct server_client *c, const uint8_t *pkt, size_t len)
{
	struct msg_query q;
	struct request_who who = {c, &q, 0, uv_hrtime()};
	if (w->stopping || !request_intake(w, &who, pkt, len, &q))
		return;
	struct state *st = w->state;
	const struct view *v = view_select(&st->views, (const struct sockaddr *)&c->peer,
					   c->has_local ? (const struct sockaddr *)&c->local : NULL,
					   c->ifname[0] ? c->ifname : NULL);
	if (!v) {
		request_reply_error(w, &who, STATS_ERROR, MSG_REFUSED, MSG_EDE_PROHIBITED,
				    "no view for this client");
		return;
	}
	who.slot = stats_slot(&w->stats, &st->views, v);
	if (request_chaos(w, &who, v))
		return;
	size_t n = localdata_answer(v->local, &q, w->body, sizeof(w->body));
	struct request_chain chain = {w->body, n};
	if (n && chase_target(w->body, n, &q, chain.target, &chain.target_len)) {
		request_chase(w, &who, v, &chain);
		return;
	}
	if (n) {
		struct msg_finish_args a = {.ede = -1};
		request_send(w, &who, STATS_LOCAL, w->body, n, &a, w->reply, sizeof(w->reply));
		return;
	}
	if (q.qclass != CLASS_IN || q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR) {
		request_reply_error(w, &who, STATS_ERROR, MSG_REFUSED, -1, NULL);
		return;
	}
	uint8_t key[CACHE_KEY_MAX];
	size_t key_len = cache_key_make(key, v->scope, q.lname, q.qname_len, q.qtype, q.qclass,
					request_key_flags(&q));
	if (request_from_cache(w, &who, key, key_len))
		return;
	struct fetch_client fc = {&who, q.lname, q.qname_len, NULL, 0};
	fetch_client(w, v, key, key_len, &fc);
}
