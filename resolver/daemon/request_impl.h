/*
 * request_impl.h -- what the files of the query pipeline share (request.c, request_local.c);
 * not for use outside them.
 */
#ifndef MEGDNS_REQUEST_IMPL_H
#define MEGDNS_REQUEST_IMPL_H

#include "daemon/request.h"

#define CLASS_IN 1
#define CLASS_CH 3

/* Who is being answered: the client, its query, its view's stats slot, when it arrived. */
struct request_who {
	const struct server_client *c;
	const struct msg_query *q;
	unsigned slot;      /* stats slot of its view (0: none) */
	uint64_t start_ns;  /* uv_hrtime() when the query arrived */
	const uint8_t *pkt; /* the query as received (for the queue) */
	size_t pkt_len;
	const char *list; /* blocked: the blocklist's name, for the query log */
};

/*
 * Every answer ends here: count it and, with server.query-log, log one line for it.
 * reply is the finished packet (its rcode is what the client saw).
 */
void request_done(struct request_ctx *ctx, const struct request_who *who, enum stats_source source,
		  const uint8_t *reply, size_t len);

/* Turn body into the reply for who and send it; out has room for body_len + 512. */
void request_send(struct request_ctx *ctx, const struct request_who *who, enum stats_source source,
		  const uint8_t *body, size_t body_len, struct msg_finish_args *a, uint8_t *out,
		  size_t cap);

/* Reply with an rcode and no records, with an Extended DNS Error when ede >= 0. */
void request_reply_error(struct request_ctx *ctx, const struct request_who *who,
			 enum stats_source source, enum msg_rcode rcode, int ede, const char *text);

/* Answers megdns makes itself (request_local.c); each returns true when it answered. */

/*
 * A resolved answer with a private address: NODATA with EDE 15 unless the client's view
 * lets the name have one (rebind.h). The view is chosen again: a fetch may outlast a reload.
 */
bool request_rebind(struct request_ctx *ctx, const struct request_who *who);
bool request_chaos(struct request_ctx *ctx, const struct request_who *who, const struct view *v);
bool request_blocked(struct request_ctx *ctx, struct request_who *who, const struct view *v);
bool request_special(struct request_ctx *ctx, const struct request_who *who, const struct view *v);

#endif
