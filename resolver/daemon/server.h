/*
 * server.h -- listeners: UDP and TCP on every configured address.
 *
 * UDP sockets are plain sockets driven by uv_poll and recvmsg, because libuv's UDP API does not
 * report IP_PKTINFO / IPV6_PKTINFO: with them megdns learns the local address and the arrival
 * interface of every datagram, so views can match interfaces even on a wildcard (0.0.0.0, ::)
 * listener, and replies leave from the address the client sent to. TCP follows RFC 7766:
 * two-byte length framing, pipelined queries answered as they complete (out of order), an
 * idle timeout and a connection limit. A TCP connection knows its interface from the local
 * address the connection was accepted on.
 */
#ifndef MEGDNS_SERVER_H
#define MEGDNS_SERVER_H

#include "conf/config.h"

#include <stddef.h>
#include <uv.h>

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct server;
struct server_udp;
struct server_tcp;

/* Where a query came from and how to answer it. Copied by requests that outlive a callback. */
struct server_client {
	struct server_udp *udp; /* set for UDP */
	struct server_tcp *tcp; /* set for TCP */
	struct sockaddr_storage peer;
	struct sockaddr_storage local; /* destination address of the query */
	bool has_local;
	unsigned ifindex;         /* arrival interface, 0 if unknown */
	char ifname[IF_NAMESIZE]; /* its name, "" if unknown */
	/* A PROXY listener's client: peer and local are the addresses its header carried, and
	 * UDP replies go to the proxy (via) from the address it wrote to (via_local). */
	bool proxied;
	struct sockaddr_storage via, via_local;
	int32_t stream; /* DNS over HTTPS: the HTTP/2 stream the query came on (else 0) */
};

/* How c's query came: "udp", "tcp", "tls" (DoT) or "https" (DoH), for the query log. */
const char *server_client_transport(const struct server_client *c);

/*
 * Before any worker opens its listeners: fail with -EADDRINUSE (err set) when something
 * already listens on one of cfg's addresses, since SO_REUSEPORT would otherwise let megdns
 * share the port with it silently.
 */
int server_probe(const struct config *cfg, char *err, size_t errlen);

/*
 * A query packet from c (valid during the call only; copy c to answer later). The server
 * hands every frame up this way and never looks inside.
 */
typedef void (*server_query_cb)(void *ud, const struct server_client *c, const uint8_t *pkt,
				size_t len);

/*
 * Open UDP and TCP listeners on every cfg->listen and cfg->proxy_listen address on loop; each
 * query received is passed to query_cb(ud, ...). On a PROXY listener a datagram or connection
 * from outside proxy-protocol.from, or without a well-formed header, is dropped or closed and
 * counted in rejected[0] or rejected[1]. On error returns a negative errno with err set
 * ("listen 127.0.0.1@53: Address already in use"), and nothing stays open.
 */
int server_open(uv_loop_t *loop, const struct config *cfg, server_query_cb query_cb, void *ud,
		uint64_t *rejected, struct server **out, char *err, size_t errlen);

/* The server.tls and server.https contexts new DoT and DoH connections are made from (the
 * state's; NULL: none). */
struct ssl_ctx_st;
void server_set_tls(struct server *s, struct ssl_ctx_st *tls, struct ssl_ctx_st *https);

/* Apply reloadable settings (TCP idle timeout, connection limit, proxy-protocol.from). */
void server_configure(struct server *s, const struct config *cfg);

/* Stop listening, close every connection; the server frees itself once libuv is done. */
void server_close(struct server *s);

/* Send a reply to c (UDP datagram or TCP frame). Dropped if the connection is gone. */
void server_send(const struct server_client *c, const uint8_t *pkt, size_t len);

/* The largest reply c may get: its EDNS size over UDP, 65535 over TCP. */
uint16_t server_max_reply(const struct server_client *c, uint16_t client_udp_size);

/* Keep c's TCP connection (if any) alive for a query that completes later; and let go. */
void server_client_hold(const struct server_client *c);
void server_client_release(const struct server_client *c);

#endif
