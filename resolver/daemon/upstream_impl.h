/*
 * upstream_impl.h -- what the files of the upstream client share (not for other modules).
 *
 * upstream.c sends queries and handles their attempts; upstream_server.c keeps the pool's
 * table of servers: what each one's past replies say (servsel.h), found by address through a
 * hash, bounded by forgetting the least recently used idle server the config does not name;
 * upstream_tls.c carries the attempts to DNS-over-TLS servers on one kept connection each.
 */
#ifndef MEGDNS_UPSTREAM_IMPL_H
#define MEGDNS_UPSTREAM_IMPL_H

#include "daemon/upstream.h"
#include "dns/msg.h"
#include "resolve/servsel.h"

#include <openssl/ssl.h>

#define UPSTREAM_UDP_BUF 4096

#define UPSTREAM_MAX_KNOWN                                                                         \
	4096 /* servers remembered; then the least recently used idle one goes                     \
	      */
#define UPSTREAM_BUCKETS 1024
#define UPSTREAM_NONE    UINT32_MAX

struct upstream_conn;

/* What a DNS-over-TLS server (ADDR#NAME) has besides a plain one; allocated: slots stay put. */
struct upstream_tls {
	char *name;           /* its certificate must be valid for this name */
	SSL_SESSION *session; /* the newest one it gave (tls.h), resumed by the next connection */
	struct upstream_conn *conn; /* the connection new attempts use, NULL: none open */
	uint64_t handshakes, resumed;
	char why[120]; /* the last TLS failure, for status: "certificate verify failed: ..." */
};

struct upstream_server {
	struct addr addr;
	struct upstream_tls *tls; /* NULL: plain DNS */
	struct servsel sel;
	uint64_t queries, timeouts, errors;
	uint64_t used_ms; /* last planned into a query */
	uint64_t fail_ms; /* its last failure (loop time), 0: none */
	int fail_err;     /* ... what it was: -ETIMEDOUT, -EREMOTEIO (an error rcode), ... */
	unsigned refs;    /* queries that plan it and attempts that ask it */
	bool configured;  /* named by the config (upstream_pool_know): never forgotten */
	uint32_t next;    /* hash chain */
};

struct upstream_try {
	struct upstream_query *q;  /* NULL once detached */
	struct upstream_try *next; /* in q->tries while attached, else in pool->probes */
	struct upstream_pool *pool;
	size_t srv; /* pool index */
	uv_timer_t timer;
	uv_udp_t udp;
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	unsigned open; /* handles not yet closed */
	bool has_udp, has_tcp;
	bool tls_sent;  /* ... and written to it (else it waits for the handshake) */
	bool tls_again; /* sent again once already, on a new connection: the old one died */
	bool closing;   /* ended: callbacks still delivered (connect, write) are ignored */
	bool probe;     /* sent alongside the best server to learn whether this one is back */
	bool stale;     /* its retransmit timeout fired; it still listens until the deadline */
	uint8_t exact; /* 0x20: the reply's qname must be the query's, byte for byte (its length) */
	bool plain;    /* sent without EDNS: the server answered FORMERR to it */
	uint16_t id;
	int err; /* a send error reported through the timer */
	uint64_t sent_ns;
	size_t qlen;
	struct upstream_conn *tconn; /* on its server's TLS connection, in its list of tries */
	struct upstream_try *cprev, *cnext; /* in tconn's list */
	/* length, query, and room for EDNS padding to a block of 128 (RFC 8467) over TLS */
	uint8_t qbuf[2 + 384];
	uint8_t *rbuf; /* TCP only: malloc'd 2 + 65535 */
	size_t rlen;
};

/* Plain or padded query wire size a qbuf holds at most: what msg_build_query may fill. */
#define UPSTREAM_QUERY_MAX (MSG_HDR_LEN + MSG_MAX_NAME + 4 + 11)

struct upstream_pool {
	uv_loop_t *loop;
	uint8_t rnd[1024];               /* getrandom output, consumed two bytes per query ID */
	uint8_t rxbuf[UPSTREAM_UDP_BUF]; /* every attempt's UDP replies land here */
	size_t rnd_used;
	struct upstream_server *servers;
	size_t n_servers, cap;
	uint32_t buckets[UPSTREAM_BUCKETS]; /* server indices by address hash */
	struct addr out4, out6; /* server.outgoing-addresses: source of each family, if set */
	bool has_out4, has_out6;
	uint32_t timeout_ms;
	uint16_t edns_size;
	size_t active;
	struct upstream_try *probes; /* probes outliving their query */
	SSL_CTX *tls_ctx;            /* for the TLS servers' connections (a reference) */
	struct upstream_conn *conns; /* every TLS connection open (retired ones too) */
	uint32_t idle_ms;            /* a TLS connection with nothing to wait for closes then */
	bool stopping;               /* no more background probes */
};

/* Index of a's record in the pool, adding it when new (the array may move). */
size_t upstream_server_index(struct upstream_pool *p, const struct addr *a);

/* s failed (its fault: a timeout, garbage) with err: hold it down, and note it. */
void upstream_server_failed(struct upstream_pool *p, struct upstream_server *s, int err);

/* s answered with an error rcode (err -EREMOTEIO): no hold-down, but its last failure. */
void upstream_server_note(struct upstream_pool *p, struct upstream_server *s, int err);

/* The ID for the next query: unpredictable (upstream.c). */
uint16_t upstream_random_id(struct upstream_pool *p);

/* The server's sockaddr (the scope index looked up now), and our source for its family, or
 * NULL for the kernel's choice (upstream.c). */
void upstream_sockaddr(const struct addr *a, struct sockaddr_storage *ss);
const struct addr *upstream_source(const struct upstream_pool *p, int family);

/* What a try learns (upstream.c): a reply over a stream, or a failure. */
void upstream_on_reply(struct upstream_try *t, const uint8_t *pkt, size_t len, bool tcp);
void upstream_try_failed(struct upstream_try *t, int err, bool server_fault);

/*
 * Send t's query over its server's TLS connection, opening one if none is open (the query
 * waits for the handshake); 0 or a negative errno. The reply or the connection's failure
 * reaches t through the two functions above.
 */
int upstream_tls_send(struct upstream_try *t);

/* t ends: a reply to it is ignored from now on. */
void upstream_tls_forget(struct upstream_try *t);

/* Server i becomes a TLS one for name (NULL: plain again); its connection goes. */
void upstream_tls_set(struct upstream_pool *p, size_t i, const char *name);

/* Every TLS connection finishes what waits on it and closes; new tries open new ones. */
void upstream_tls_retire_all(struct upstream_pool *p);

/* Close every TLS connection (shutting down), and free what the servers hold for TLS. */
void upstream_tls_close_all(struct upstream_pool *p);
void upstream_tls_free(struct upstream_pool *p);

#endif
