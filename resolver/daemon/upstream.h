/*
 * upstream.h -- send one question to a list of upstream servers and get one checked reply.
 *
 * Each attempt uses a fresh UDP socket (random source port from the kernel) and a random ID;
 * a reply is accepted only from the server's address and port, with the same ID and question,
 * and well-formed throughout (msg_reply_check); anything else is ignored. A truncated reply is
 * a reply like any other (the caller asks again with tcp set: resolve.h); one too large for
 * the receive buffer ends the query with -EMSGSIZE. Attempts go to the servers best first
 * (servsel.h: by smoothed RTT, servers that failed recently last). When an attempt's retransmit
 * timeout (at most the pool's timeout_ms) passes, the next attempt is sent, but earlier ones keep
 * listening: the first acceptable reply to any of them answers the query, until the query's
 * deadline (UPSTREAM_DEADLINE_MS, or timeout_ms if longer) ends it with -ETIMEDOUT. A server
 * whose hold-down is over is probed alongside the best one rather than ahead of it, so a dead
 * server never makes a client wait. One pool belongs to one loop.
 *
 * A server named ADDR#NAME (upstream_pool_set_tls) is asked over TLS only (RFC 7858): its
 * attempts share one connection, pipelined, their replies matched by ID in any order; the
 * connection closes when nothing has waited on it for the idle time, is opened again when
 * needed or dead, and resumes the server's last TLS session. A failed handshake, a refused
 * certificate or a connection that dies fails the server's attempts like a timeout (hold-down,
 * the next server), with the reason in the log and in upstream_stats.
 */
#ifndef MEGDNS_UPSTREAM_H
#define MEGDNS_UPSTREAM_H

#include "util/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <uv.h>

struct upstream_pool;
struct upstream_query;

/* A query nobody answered ends this long after it started (ms); before clients give up. */
#define UPSTREAM_DEADLINE_MS 2500

/*
 * Result of a query: status 0 with the reply and the server it came from (both valid only
 * during the call), or -ETIMEDOUT when no server answered in time, or another negative errno
 * (refused, unreachable, only error replies) with reply and from NULL.
 */
typedef void (*upstream_cb)(void *ud, int status, const uint8_t *reply, size_t len,
			    const struct addr *from);

/*
 * A pool for loop; timeout_ms bounds the retransmit timeout of one attempt (a known server's
 * is derived from its RTT), edns_size is advertised upstream.
 */
struct upstream_pool *upstream_pool_new(uv_loop_t *loop, uint32_t timeout_ms, uint16_t edns_size);

/*
 * Shutting down: end the background probes (run the loop afterwards to close their handles)
 * and start no more.
 */
void upstream_pool_stop(struct upstream_pool *p);

/*
 * Free the pool; all its queries must have finished or been cancelled, and upstream_pool_stop
 * been called with the loop run since. NULL is a no-op.
 */
void upstream_pool_free(struct upstream_pool *p);

/* The loop the pool runs on. */
uv_loop_t *upstream_pool_loop(const struct upstream_pool *p);

/* Change the attempt timeout (reload). */
void upstream_pool_set_timeout(struct upstream_pool *p, uint32_t timeout_ms);

/* How long a query may take (ms): UPSTREAM_DEADLINE_MS, or the attempt timeout if longer. */
uint32_t upstream_pool_deadline_ms(const struct upstream_pool *p);

/* Description of one question to ask. */
struct upstream_question {
	const uint8_t *lname; /* lower-case wire, copied */
	size_t lname_len;
	uint16_t qtype;
	uint16_t qclass;
	bool do_bit;
	bool cd;
	bool rd;       /* recursion desired (upstreams); clear for authoritative servers */
	bool tcp;      /* over TCP from the start (a UDP reply was truncated) */
	bool use_0x20; /* randomise the qname's case, and accept only replies that keep it */
	/* Queries it may still send, counted down at each one sent (attempts, probe, retry
	 * without EDNS), maybe shared with others; at 0 no more start. NULL: no bound. */
	unsigned *budget;
};

/*
 * Ask the servers (servers[0..n), which must stay valid until the callback) the question.
 * On success returns 0, stores a handle in *out (for upstream_cancel) and will call cb exactly
 * once. On failure (n == 0, no memory, -EDQUOT: the budget is spent) returns a negative
 * errno and never calls cb.
 */
int upstream_resolve(struct upstream_pool *p, const struct addr *servers, size_t n,
		     const struct upstream_question *qn, upstream_cb cb, void *ud,
		     struct upstream_query **out);

/* Stop a query; its callback is not called. */
void upstream_cancel(struct upstream_query *q);

/*
 * Make a configured server known to the pool before its first use (status shows it). The
 * pool remembers other servers (authoritative ones, when iterating) as it meets them, up to
 * a bound, forgetting the least recently used idle one first; configured ones stay.
 */
void upstream_pool_know(struct upstream_pool *p, const struct addr *a);

/* Source addresses for the queries: the first of each family in a[0..n); n 0: the kernel's. */
void upstream_pool_set_outgoing(struct upstream_pool *p, const struct addr *a, size_t n);

/*
 * The servers reached over TLS: a[i] with its certificate checked for names[i] (NULL: plain
 * again), connections made with ctx (the pool takes a reference; a new one drops the kept
 * sessions). Servers not listed stay as they are; idle_ms: how long a connection with nothing
 * to wait for stays open (server.tcp-idle-timeout).
 */
void upstream_pool_set_tls(struct upstream_pool *p, SSL_CTX *ctx, const struct addr *a,
			   char *const *names, size_t n, uint32_t idle_ms);

/* A server's health, as status and the metrics show it. */
enum upstream_health {
	UPSTREAM_UNTRIED,   /* never asked, or never answered and never failed */
	UPSTREAM_UP,        /* answered since its last failure */
	UPSTREAM_FAILING,   /* failed since it last answered; its hold-down is over: asked again */
	UPSTREAM_HELD_DOWN, /* failed: asked only when nothing better is left, until held_ms */
	UPSTREAM_PROBING    /* failing, and a probe to it is out */
};

struct upstream_stats {
	struct addr addr;
	bool known; /* has answered */
	enum upstream_health health;
	unsigned fails;       /* failures since it last answered */
	uint64_t held_ms;     /* HELD_DOWN: ms of it left */
	uint64_t fail_age_ms; /* ms since its last failure; UINT64_MAX: it never failed */
	int fail_err;         /* that failure: a negative errno (-ETIMEDOUT, -EREMOTEIO, ...) */
	uint32_t srtt_us;     /* smoothed RTT */
	uint64_t queries;     /* attempts and probes sent */
	uint64_t timeouts;    /* attempts with no reply within their retransmit timeout */
	uint64_t errors;      /* attempts refused, unreachable or answered with an error rcode */
	const char *tls_name; /* DNS over TLS to this name (valid until the loop runs), or NULL */
	uint64_t tls_handshakes, tls_resumed; /* connections made, and of those, resumed */
	char tls_why[120];                    /* the last TLS failure: the certificate, ... */
};

/* Fill out[0..max) with the pool's configured servers; returns how many there are. */
size_t upstream_pool_stats(const struct upstream_pool *p, struct upstream_stats *out, size_t max);

/*
 * The slowest of the servers the pool met that the config does not name (failing first,
 * then by smoothed RTT) into out[0..max), max <= 16; *learned is how many it knows.
 */
size_t upstream_pool_slowest(const struct upstream_pool *p, struct upstream_stats *out, size_t max,
			     size_t *learned);

/* Number of queries in progress (for shutdown and stats). */
size_t upstream_pool_active(const struct upstream_pool *p);

#endif
