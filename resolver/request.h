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

#include "msg.h"
#include "server.h"

#include <stddef.h>
#include <stdint.h>

struct worker;

/* Answer one query packet that arrived from client c on worker w (now or via a fetch). */
void request_handle(struct worker *w, const struct server_client *c, const uint8_t *pkt,
		    size_t len);

/*
 * Send body (msg.h format) to c as the reply to q, finished per a (ID, case, TTLs, EDNS, AD,
 * truncation); server_udp is our EDNS buffer size.
 */
void request_reply(const struct server_client *c, const struct msg_query *q, const uint8_t *body,
		   size_t body_len, struct msg_finish_args *a, uint16_t server_udp);

/* Reply to q with an rcode and no records, with an Extended DNS Error when ede >= 0. */
void request_reply_error(const struct server_client *c, const struct msg_query *q,
			 enum msg_rcode rcode, int ede, const char *text, uint16_t server_udp);

/*
 * Reply to q with a local CNAME chain (local, a body) followed by the resolved answer body
 * (whose TTLs at ttl_offs are lowered by elapsed); SERVFAIL if the two cannot be joined.
 */
void request_reply_chain(const struct server_client *c, const struct msg_query *q,
			 const uint8_t *local, size_t local_len, const uint8_t *body,
			 size_t body_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t elapsed,
			 uint16_t server_udp);

#endif
