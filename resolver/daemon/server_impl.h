/*
 * server_impl.h -- what the three files of the listeners share (not for other modules).
 *
 * server.c owns struct server and opens, configures and closes it; server_udp.c reads and
 * answers datagrams (recvmmsg/sendmmsg batches, IP_PKTINFO); server_tcp.c runs the stream
 * connections (RFC 7766 framing, pipelining, idle deadline, connection limit). The server
 * is freed by server_maybe_free once every handle and connection is gone.
 */
#ifndef MEGDNS_SERVER_IMPL_H
#define MEGDNS_SERVER_IMPL_H

#include "daemon/server.h"
#include "dns/doh.h"
#include "dns/framer.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define SERVER_UDP_BATCH   32   /* datagrams per recvmmsg/sendmmsg */
#define SERVER_UDP_ROUNDS  4    /* recvmmsg calls per readable event, then others get a turn */
#define SERVER_UDP_RX      4096 /* larger queries arrive cut (MSG_TRUNC) and are dropped */
#define SERVER_UDP_TX      4096 /* larger replies are sent on their own */
#define SERVER_UDP_RCVBUF  (4 << 20)
#define SERVER_TCP_PENDING 64          /* pipelined queries in progress per connection */
#define SERVER_DOH_STREAMS 100         /* HTTP/2 streams open per DoH connection (as Unbound) */
#define SERVER_TCP_WQ_MAX  (1u << 20)  /* bytes queued to a slow reader before we give up */
#define SERVER_PROXY_MAX   1024        /* bytes of a PROXY header (v2 TLVs included) taken on TCP */
#define SERVER_TLS_BUF     (16u << 10) /* ciphertext read at once (one TLS record) */
#define SERVER_TLS_HS_MS   5000        /* a TLS handshake must be done by then */
#define SERVER_IFCACHE     32
#define SERVER_IFCACHE_MS  2000

struct server_udp {
	struct server *srv;
	uv_poll_t poll;
	int fd;
	bool wildcard;
	bool proxy; /* every datagram starts with a PROXY v2 header */
	struct addr addr;
};

enum server_tcp_kind {
	SERVER_TCP_PLAIN, /* DNS over TCP (RFC 7766) */
	SERVER_TCP_TLS,   /* server.tls: DNS over TLS (RFC 7858) */
	SERVER_TCP_HTTPS  /* server.https: DNS over HTTPS (RFC 8484) on HTTP/2 over TLS */
};

struct server_tcp_listener {
	struct server *srv;
	uv_tcp_t handle;
	bool proxy; /* every connection starts with a PROXY v1 or v2 header */
	enum server_tcp_kind kind;
};

struct server_tcp {
	struct server *srv;
	uv_tcp_t handle;
	uv_timer_t idle; /* the connection's one deadline (server_tcp_arm) */
	uv_shutdown_t shutdown;
	struct server_client client;
	struct framer in;
	uint64_t frame_start; /* loop ms: first byte of the incomplete frame held */
	uint64_t last_active; /* loop ms: accepted, or last query taken or answer sent */
	unsigned pending;     /* queries not answered yet (each holds the connection) */
	unsigned handles;     /* open libuv handles */
	bool closing, reading;
	bool incomplete;      /* an incomplete frame is held */
	bool eof;             /* the client has sent all it will (half-close) */
	bool shutting;        /* answers written, FIN on its way */
	bool proxy_wait;      /* a PROXY listener's connection before its header */
	SSL *ssl;             /* DNS over TLS (server_tls.c), or NULL */
	bool handshaken;      /* ... its handshake is done */
	bool tls_batch;       /* ... answers are being made inside a read: written at its end */
	uint64_t accepted_at; /* loop ms: the handshake's deadline runs from here */
	struct doh *doh;      /* DNS over HTTPS (server_https.c): the plaintext is HTTP/2 */
	bool doh_in;          /* ... nghttp2 is reading it (answers made now are sent after) */
	struct server_tcp *prev, *next;
};

union server_ctl {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) * 2];
};

/*
 * Datagrams read with one recvmmsg and the replies made while handling them, sent with one
 * sendmmsg: on a busy resolver the system calls, not the lookups, are the cost of a query.
 */
struct server_batch {
	struct mmsghdr rx[SERVER_UDP_BATCH];
	struct iovec rx_iov[SERVER_UDP_BATCH];
	struct sockaddr_storage rx_peer[SERVER_UDP_BATCH];
	union server_ctl rx_ctl[SERVER_UDP_BATCH];
	uint8_t rx_buf[SERVER_UDP_BATCH][SERVER_UDP_RX];
	struct server_udp *tx_sock; /* the socket the queued replies go out on (NULL: none) */
	unsigned n_tx;
	struct mmsghdr tx[SERVER_UDP_BATCH];
	struct iovec tx_iov[SERVER_UDP_BATCH];
	struct sockaddr_storage tx_peer[SERVER_UDP_BATCH];
	union server_ctl tx_ctl[SERVER_UDP_BATCH];
	uint8_t tx_buf[SERVER_UDP_BATCH][SERVER_UDP_TX];
};

struct server_ifname {
	unsigned index;
	uint64_t at;
	char name[IF_NAMESIZE];
};

struct server {
	uv_loop_t *loop;
	server_query_cb query_cb; /* every query packet goes up through it */
	void *query_ud;
	struct server_udp *udp;
	size_t n_udp;
	struct server_tcp_listener *tcp;
	size_t n_tcp;
	struct server_tcp *conns; /* connections not yet freed, for closing them all */
	unsigned n_conns;
	unsigned n_open;       /* of them, not closing: what tcp-max-connections limits */
	unsigned open_handles; /* listener handles not yet closed */
	uint32_t tcp_idle_ms;
	uint32_t tcp_max;
	bool closing;
	struct server_ifname ifcache[SERVER_IFCACHE];
	struct server_batch *batch;
	uv_check_t flush;          /* sends replies queued during a loop iteration */
	struct prefix *proxy_from; /* proxy-protocol.from: who may send PROXY headers */
	size_t n_proxy_from;
	uint64_t *rejected; /* [0] PROXY senders not in from, [1] bad headers */
	SSL_CTX *tls_ctx;   /* the state's server.tls context, or NULL */
	SSL_CTX *https_ctx; /* ... server.https's */
	char *https_path;   /* server.https.path */
	uint8_t *tls_buf;   /* ciphertext as libuv reads it, SERVER_TLS_BUF bytes */
};

/* May the proxy at sa send PROXY headers (proxy-protocol.from)? */
bool server_proxy_allowed(const struct server *s, const struct sockaddr_storage *sa);

struct proxy_header;
/* c came through a proxy: it is the client h names (a LOCAL header: the proxy itself). */
void server_client_proxied(struct server_client *c, const struct proxy_header *h);

/* server.c */
/* A bound, non-blocking socket for a listen address (UDP or TCP); fd or a negative errno. */
int server_socket(const struct addr *a, int type);
/* Free s once it is closing and nothing of it is open any more. */
void server_maybe_free(struct server *s);

/* server_udp.c */
/* Open a UDP listener on a (s->udp has room); 0 or a negative errno with err set. */
int server_udp_open(struct server *s, const struct addr *a, bool proxy, char *err, size_t errlen);
/* Queue (or send) the reply pkt to the UDP client c. */
void server_udp_send(const struct server_client *c, const uint8_t *pkt, size_t len);
/* Close u's handle and socket. */
void server_udp_close(struct server_udp *u);
/* The loop's check phase: send the replies queued in this iteration. */
void server_udp_flush_check_cb(uv_check_t *check);

/* server_tcp.c */
/* Open a TCP listener on a (s->tcp has room); 0 or a negative errno with err set. */
int server_tcp_listen(struct server *s, const struct addr *a, bool proxy, enum server_tcp_kind kind,
		      char *err, size_t errlen);
/* Close listener l. */
void server_tcp_listener_close(struct server_tcp_listener *l);
/* Send one frame on t; a connection that cannot take it is closed. */
void server_tcp_send(struct server_tcp *t, const uint8_t *pkt, size_t len);
/* Close t (it is freed when its handles are closed and no query holds it). */
void server_tcp_close(struct server_tcp *t);
/* A query on t is answered later / has been answered. */
void server_tcp_hold(struct server_tcp *t);
void server_tcp_release(struct server_tcp *t);

/* A write of a connection: the request and the bytes it sends; server_tcp_write_cb frees it. */
struct server_write {
	uv_write_t req;
	uint8_t data[];
};
void server_tcp_write_cb(uv_write_t *req, int status);

/* server_tls.c */
/* Make t a TLS connection of ctx (server-side); false when OpenSSL cannot. */
bool server_tls_start(struct server_tcp *t, SSL_CTX *ctx);
/* Ciphertext read: plaintext into t->in. 1: go on, 0: the client closed TLS, -1: closed. */
int server_tls_input(struct server_tcp *t, const uint8_t *data, size_t len);
/*
 * Encrypt and send a whole frame (length prefix included). While t->tls_batch is set (a read
 * being handled) the ciphertext waits: server_tls_batch_end sends it all with one write.
 */
void server_tls_send(struct server_tcp *t, const uint8_t *frame, size_t len);
void server_tls_batch_end(struct server_tcp *t);
bool server_tls_flush(struct server_tcp *t);

/* server_https.c */
/* Make TLS connection t a DoH one; false without memory. */
bool server_https_start(struct server_tcp *t);
/* The plaintext held in t->in is HTTP/2: requests go up as queries. False: t was closed. */
bool server_https_input(struct server_tcp *t);
/* The answer to the query of stream (server_send with client.stream set). */
void server_https_send(struct server_tcp *t, int32_t stream, const uint8_t *pkt, size_t len);

#endif
