/*
 * request.h -- the query pipeline: one client query from packet to reply.
 *
 * request.c is the only file that knows the order of the steps (DESIGN.md "How a query
 * flows"): intake checks, view selection, the CHAOS view query, the view's override data,
 * the cache of the view's scope, and finally a fetch from the upstreams. Everything up to the
 * cache answers within the receive callback without allocating; a miss is handed to fetch.c,
 * which answers through the request_reply functions below.
 */
#ifndef MEGDNS_REQUEST_H
#define MEGDNS_REQUEST_H

#include "dns/msg.h"
#include "daemon/server.h"
#include "daemon/stats.h"

#include <stddef.h>
#include <stdint.h>

struct worker;

/* Answer one query packet that arrived from client c on worker w (now or via a fetch). */
void request_handle(struct worker *w, const struct server_client *c, const uint8_t *pkt,
		    size_t len);

/* Who is being answered: the client, its query, its view's stats slot, when it arrived. */
struct request_who {
	const struct server_client *c;
	const struct msg_query *q;
	unsigned slot;     /* stats slot of its view (0: none) */
	uint64_t start_ns; /* uv_hrtime() when the query arrived */
};

/*
 * Send body (msg.h format) to who as the reply to its query, finished per a (ID, case, TTLs,
 * EDNS, AD, truncation), and count it under source.
 */
void request_reply(struct worker *w, const struct request_who *who, enum stats_source source,
		   const uint8_t *body, size_t body_len, struct msg_finish_args *a);

/* Reply with an rcode and no records, with an Extended DNS Error when ede >= 0. */
void request_reply_error(struct worker *w, const struct request_who *who, enum stats_source source,
			 enum msg_rcode rcode, int ede, const char *text);

/*
 * Reply with a local CNAME chain (local, a body) followed by the resolved answer body (whose
 * TTLs at ttl_offs are lowered by elapsed); SERVFAIL if the two cannot be joined.
 */
void request_reply_chain(struct worker *w, const struct request_who *who, enum stats_source source,
			 const uint8_t *local, size_t local_len, const uint8_t *body,
			 size_t body_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t elapsed);

#endif
