/*
 * server.c -- the listeners as a whole: sockets, open, configure, close, send. See server.h.
 *
 * Ownership: the worker owns the server; the server owns its listeners (server_udp.c,
 * server_tcp.c) and connections. A TCP connection is also referenced by every query still
 * being answered on it, so it is freed only when it is closed and the last such query has let
 * go; the server itself once its last handle and connection are gone.
 */
#include "daemon/server_impl.h"
#include "dns/proxy.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

void server_maybe_free(struct server *s)
{
	if (s->closing && s->open_handles == 0 && s->n_conns == 0) {
		free(s->udp);
		free(s->tcp);
		free(s->batch);
		free(s->proxy_from);
		free(s->tls_buf);
		free(s->https_path);
		free(s);
	}
}

static void server_check_close_cb(uv_handle_t *h)
{
	struct server *s = h->data;
	s->open_handles--;
	server_maybe_free(s);
}

/* A bound, non-blocking socket for a listen address (UDP or TCP); fd or a negative errno. */
int server_socket(const struct addr *a, int type)
{
	int family = a->ss.ss_family, one = 1;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Bind addresses that do not exist yet (wg0 comes up after megdns): IP_FREEBIND works
	 * for both families. Queries arrive as soon as the address appears. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		/* Room for bursts: a full receive buffer drops queries silently. As root the
		 * kernel's rmem_max does not apply (FORCE); otherwise it caps the request. */
		int rcvbuf = SERVER_UDP_RCVBUF;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	struct sockaddr_storage ss = a->ss;
	if (family == AF_INET6 && a->ifname[0])
		((struct sockaddr_in6 *)&ss)->sin6_scope_id = if_nametoindex(a->ifname);
	if (bind(fd, (struct sockaddr *)&ss, a->len) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

void server_send(const struct server_client *c, const uint8_t *pkt, size_t len)
{
	if (c->tcp && c->stream)
		server_https_send(c->tcp, c->stream, pkt, len);
	else if (c->tcp)
		server_tcp_send(c->tcp, pkt, len);
	else if (c->udp && !c->udp->srv->closing)
		server_udp_send(c, pkt, len);
}

const char *server_client_transport(const struct server_client *c)
{
	if (!c->tcp)
		return "udp";
	return c->stream ? "https" : c->tcp->ssl ? "tls" : "tcp";
}

uint16_t server_max_reply(const struct server_client *c, uint16_t client_udp_size)
{
	return c->tcp ? 65535 : client_udp_size;
}

void server_client_hold(const struct server_client *c)
{
	if (c->tcp)
		server_tcp_hold(c->tcp);
}

void server_client_release(const struct server_client *c)
{
	if (c->tcp)
		server_tcp_release(c->tcp);
}

void server_configure(struct server *s, const struct config *cfg)
{
	s->tcp_idle_ms = cfg->tcp_idle_timeout_ms;
	s->tcp_max = cfg->tcp_max_connections;
	free(s->proxy_from); /* the config may go before the server: a copy */
	s->proxy_from = xcalloc(cfg->n_proxy_from + 1, sizeof(*s->proxy_from));
	if (cfg->n_proxy_from)
		memcpy(s->proxy_from, cfg->proxy_from, cfg->n_proxy_from * sizeof(*s->proxy_from));
	s->n_proxy_from = cfg->n_proxy_from;
	free(s->https_path);
	s->https_path = xstrdup(cfg->https_path);
}

void server_client_proxied(struct server_client *c, const struct proxy_header *h)
{
	c->proxied = true;
	c->via = c->peer;
	c->via_local = c->local;
	if (!h->local) {
		c->peer = h->src;
		c->local = h->dst;
	}
}

void server_set_tls(struct server *s, SSL_CTX *tls, SSL_CTX *https)
{
	s->tls_ctx = tls; /* open connections keep a reference to the one they were made from */
	s->https_ctx = https;
}

bool server_proxy_allowed(const struct server *s, const struct sockaddr_storage *sa)
{
	for (size_t i = 0; i < s->n_proxy_from; i++)
		if (prefix_match(&s->proxy_from[i], (const struct sockaddr *)sa, NULL))
			return true;
	return false;
}

/* Does something listen on a (type) already? -EADDRINUSE with err set, else 0. */
static int server_probe_one(const struct addr *a, int type, char *err, size_t errlen)
{
	int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0), one = 1, r = 0;
	if (fd < 0)
		return 0;
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 && errno == EADDRINUSE)
		r = -EADDRINUSE;
	close(fd);
	if (r < 0) {
		char buf[ADDR_STRLEN];
		snprintf(err, errlen,
			 "listen %s %s: address already in use (another megdns or DNS server?)",
			 type == SOCK_DGRAM ? "udp" : "tcp", addr_format(a, buf, sizeof(buf)));
	}
	return r;
}

int server_probe(const struct config *cfg, char *err, size_t errlen)
{
	/* Listeners use SO_REUSEPORT so the workers can share a port, which would also let a
	 * second megdns join silently and take part of the traffic. A socket without the
	 * option cannot bind where anyone listens: try one per address first. */
	int r = 0;
	for (size_t i = 0; i < cfg->n_listen + cfg->n_proxy_listen && r == 0; i++) {
		const struct addr *a =
		    i < cfg->n_listen ? &cfg->listen[i] : &cfg->proxy_listen[i - cfg->n_listen];
		r = server_probe_one(a, SOCK_DGRAM, err, errlen);
		if (r == 0)
			r = server_probe_one(a, SOCK_STREAM, err, errlen);
	}
	for (size_t i = 0; i < cfg->n_tls_listen && r == 0; i++)
		r = server_probe_one(&cfg->tls_listen[i], SOCK_STREAM, err, errlen);
	for (size_t i = 0; i < cfg->n_https_listen && r == 0; i++)
		r = server_probe_one(&cfg->https_listen[i], SOCK_STREAM, err, errlen);
	return r;
}

int server_open(uv_loop_t *loop, const struct config *cfg, server_query_cb query_cb, void *ud,
		uint64_t *rejected, struct server **out, char *err, size_t errlen)
{
	struct server *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->query_cb = query_cb;
	s->query_ud = ud;
	s->rejected = rejected;
	s->batch = xcalloc(1, sizeof(*s->batch));
	size_t n = cfg->n_listen + cfg->n_proxy_listen;
	s->udp = xcalloc(n + 1, sizeof(*s->udp));
	s->tcp = xcalloc(n + cfg->n_tls_listen + cfg->n_https_listen + 1, sizeof(*s->tcp));
	s->tls_buf = xmalloc(SERVER_TLS_BUF);
	for (unsigned i = 0; i < SERVER_UDP_BATCH; i++) {
		s->batch->rx_iov[i] = (struct iovec){s->batch->rx_buf[i], SERVER_UDP_RX};
		s->batch->rx[i].msg_hdr.msg_iov = &s->batch->rx_iov[i];
		s->batch->rx[i].msg_hdr.msg_iovlen = 1;
	}
	server_configure(s, cfg);
	uv_check_init(loop, &s->flush);
	s->flush.data = s;
	s->open_handles++;
	uv_check_start(&s->flush, server_udp_flush_check_cb);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		bool proxy = i >= cfg->n_listen;
		const struct addr *a =
		    proxy ? &cfg->proxy_listen[i - cfg->n_listen] : &cfg->listen[i];
		r = server_udp_open(s, a, proxy, err, errlen);
		if (r == 0)
			r = server_tcp_listen(s, a, proxy, SERVER_TCP_PLAIN, err, errlen);
	}
	for (size_t i = 0; i < cfg->n_tls_listen && r == 0; i++)
		r = server_tcp_listen(s, &cfg->tls_listen[i], false, SERVER_TCP_TLS, err, errlen);
	for (size_t i = 0; i < cfg->n_https_listen && r == 0; i++)
		r = server_tcp_listen(s, &cfg->https_listen[i], false, SERVER_TCP_HTTPS, err,
				      errlen);
	if (r < 0) {
		server_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void server_close(struct server *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	s->batch->n_tx = 0; /* replies not yet sent are dropped with their sockets */
	uv_close((uv_handle_t *)&s->flush, server_check_close_cb);
	for (size_t i = 0; i < s->n_udp; i++)
		server_udp_close(&s->udp[i]);
	for (size_t i = 0; i < s->n_tcp; i++)
		server_tcp_listener_close(&s->tcp[i]);
	for (struct server_tcp *t = s->conns; t; t = t->next)
		server_tcp_close(t);
	server_maybe_free(s);
}
