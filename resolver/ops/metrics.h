/*
 * metrics.h -- Prometheus text exposition on an HTTP listener (metrics.listen).
 *
 * A deliberately small HTTP/1.0 responder in the main thread's loop: it answers GET /metrics
 * with counters summed over the workers (gathered in their own threads, see threads_each)
 * and closes the connection; anything else gets 404. Every per-query metric carries the view
 * label. Off unless metrics.listen is set; bind it to loopback or a management network.
 */
#ifndef MEGDNS_METRICS_H
#define MEGDNS_METRICS_H

#include "ops/control.h"

#include <stdio.h>
#include <uv.h>

struct metrics;

/* Listen on addr in loop; 0 or a negative errno with err set. */
int metrics_open(struct metrics **out, uv_loop_t *loop, const struct addr *addr,
		 const struct control_host *host, char *err, size_t errlen);

/* Stop listening; NULL is a no-op. */
void metrics_close(struct metrics *m);

/* Write the exposition text (also used by tests). */
void metrics_write(const struct control_host *host, FILE *out);

/*
 * Where a request head ends (after its empty line): its length, or 0 while incomplete.
 * buf is NUL-terminated at len.
 */
size_t metrics_request_end(const char *buf, size_t len);

enum metrics_req {
	METRICS_REQ_GET,      /* GET /metrics (a query string allowed): the scrape */
	METRICS_REQ_OTHER,    /* another method or path: 404 */
	METRICS_REQ_TOO_LONG, /* no end of head within the request limit: 431 */
};

/* What the request head req (NUL-terminated; whole: its end arrived) asks for. Pure. */
enum metrics_req metrics_request_kind(const char *req, bool whole);

#endif
