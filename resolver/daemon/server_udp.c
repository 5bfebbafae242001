/*
 * server_udp.c -- UDP listeners: datagrams in batches, replies from the address asked.
 *
 * Plain sockets driven by uv_poll: recvmmsg reads up to SERVER_UDP_BATCH queries at once, and
 * the replies made while handling them leave with one sendmmsg; replies made later (cache
 * misses) are queued and flushed after the loop iteration (server_udp_flush_check_cb).
 * IP_PKTINFO / IPV6_PKTINFO tell the local address and interface of every datagram, which
 * libuv's UDP API does not, so a wildcard listener can match views by interface and answer
 * from the address the client wrote to.
 */
#include "daemon/server_impl.h"

#include "dns/proxy.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void server_udp_close_cb(uv_handle_t *h)
{
	struct server_udp *u = h->data;
	close(u->fd);
	u->srv->open_handles--;
	server_maybe_free(u->srv);
}

/* Name of interface index, from a small cache refreshed every few seconds. */
static const char *server_udp_ifname(struct server *s, unsigned index)
{
	if (index == 0)
		return "";
	struct server_ifname *e = &s->ifcache[index % SERVER_IFCACHE];
	uint64_t now = uv_now(s->loop);
	if (e->index != index || now - e->at > SERVER_IFCACHE_MS) {
		if (!if_indextoname(index, e->name))
			e->name[0] = '\0';
		e->index = index;
		e->at = now;
	}
	return e->name;
}

/* Read the destination address and interface of a datagram from its control messages. */
static void server_udp_pktinfo(struct msghdr *mh, struct server_client *c)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			struct sockaddr_in *sin = (struct sockaddr_in *)&c->local;
			sin->sin_family = AF_INET;
			sin->sin_addr = pi.ipi_addr;
			c->ifindex = (unsigned)pi.ipi_ifindex;
			c->has_local = true;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&c->local;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = pi.ipi6_addr;
			c->ifindex = pi.ipi6_ifindex;
			c->has_local = true;
		}
	}
}

/*
 * A PROXY listener's datagram: from a sender of proxy-protocol.from, with a v2 header in
 * front. c becomes the client the header names (a LOCAL header: the proxy itself). Returns
 * the header's length, or -1 when the datagram is dropped (counted).
 */
static int server_udp_proxy(struct server_udp *u, struct server_client *c, const uint8_t *pkt,
			    size_t len)
{
	struct server *s = u->srv;
	struct proxy_header h;
	if (!server_proxy_allowed(s, &c->peer)) {
		s->rejected[0]++;
		return -1;
	}
	int hl = proxy_parse(pkt, len, false, &h);
	if (hl <= 0) {
		s->rejected[1]++;
		return -1;
	}
	server_client_proxied(c, &h);
	return hl;
}

/* Turn received datagram i of the batch into a client and hand it to the pipeline. */
static void server_udp_one(struct server_udp *u, struct server_batch *b, unsigned i)
{
	struct server *s = u->srv;
	struct server_client c;
	memset(&c, 0, offsetof(struct server_client, ifname));
	c.ifname[0] = '\0';
	c.proxied = false;
	c.udp = u;
	struct msghdr *mh = &b->rx[i].msg_hdr;
	if (mh->msg_flags & MSG_TRUNC)
		return; /* a query this large is not one megdns can have been sent */
	memcpy(&c.peer, &b->rx_peer[i], sizeof(c.peer));
	server_udp_pktinfo(mh, &c);
	if (!c.has_local) {
		memcpy(&c.local, &u->addr.ss, sizeof(c.local));
		c.has_local = true;
	}
	const char *ifn = server_udp_ifname(s, c.ifindex);
	memcpy(c.ifname, ifn, sizeof(c.ifname));
	const uint8_t *pkt = b->rx_buf[i];
	size_t len = b->rx[i].msg_len;
	int hl = u->proxy ? server_udp_proxy(u, &c, pkt, len) : 0;
	if (hl < 0)
		return;
	s->query_cb(s->query_ud, &c, pkt + hl, len - (size_t)hl);
}

/* Send the queued replies; a full socket buffer drops the rest, as the network would. */
static void server_udp_flush(struct server_batch *b)
{
	unsigned done = 0;
	while (done < b->n_tx) {
		int n = sendmmsg(b->tx_sock->fd, b->tx + done, b->n_tx - done, MSG_DONTWAIT);
		if (n <= 0) {
			log_debug("udp send: %s", strerror(errno));
			break;
		}
		done += (unsigned)n;
	}
	b->n_tx = 0;
	b->tx_sock = NULL;
}

/*
 * After each poll phase of the loop: send what upstream replies (cache misses, answered from
 * other callbacks of this iteration) queued, in one sendmmsg.
 */
void server_udp_flush_check_cb(uv_check_t *check)
{
	struct server *s = check->data;
	if (s->batch->n_tx)
		server_udp_flush(s->batch);
}

static void server_udp_poll_cb(uv_poll_t *poll, int status, int events)
{
	struct server_udp *u = poll->data;
	struct server *s = u->srv;
	struct server_batch *b = s->batch;
	if (status < 0 || !(events & UV_READABLE) || s->closing)
		return;
	for (int round = 0; round < SERVER_UDP_ROUNDS && !s->closing; round++) {
		for (unsigned i = 0; i < SERVER_UDP_BATCH; i++) {
			struct msghdr *mh = &b->rx[i].msg_hdr;
			mh->msg_name = &b->rx_peer[i];
			mh->msg_namelen = sizeof(b->rx_peer[i]);
			mh->msg_control = b->rx_ctl[i].buf;
			mh->msg_controllen = sizeof(b->rx_ctl[i].buf);
			mh->msg_flags = 0;
		}
		int n = recvmmsg(u->fd, b->rx, SERVER_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break; /* EAGAIN: drained; other errors (ICMP reports) are not ours */
		for (int i = 0; i < n && !s->closing; i++)
			server_udp_one(u, b, (unsigned)i);
		if (b->n_tx)
			server_udp_flush(b);
		if (n < SERVER_UDP_BATCH)
			break;
	}
}

/*
 * Fill mh to send pkt to c. On a wildcard socket the reply must leave from the address the
 * client wrote to: say so in IP(V6)_PKTINFO, using ctl.
 */
static void server_udp_msg(const struct server_client *c, struct msghdr *mh, struct iovec *iov,
			   union server_ctl *ctl)
{
	const struct sockaddr_storage *to = c->proxied ? &c->via : &c->peer;
	const struct sockaddr_storage *from = c->proxied ? &c->via_local : &c->local;
	mh->msg_name = (void *)to;
	mh->msg_namelen =
	    to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	mh->msg_control = NULL;
	mh->msg_controllen = 0;
	mh->msg_flags = 0;
	if (!c->udp->wildcard || !c->has_local)
		return;
	memset(ctl, 0, sizeof(*ctl));
	mh->msg_control = ctl->buf;
	struct cmsghdr *cm = (struct cmsghdr *)ctl->buf;
	if (from->ss_family == AF_INET) {
		struct in_pktinfo pi = {0};
		pi.ipi_spec_dst = ((const struct sockaddr_in *)from)->sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = {0};
		pi.ipi6_addr = ((const struct sockaddr_in6 *)from)->sin6_addr;
		pi.ipi6_ifindex = c->ifindex;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

/*
 * Queue the reply; the queue goes out with one sendmmsg at the end of the batch being
 * handled, or after this loop iteration's callbacks (server_udp_flush_check_cb).
 */
void server_udp_send(const struct server_client *c, const uint8_t *pkt, size_t len)
{
	struct server_batch *b = c->udp->srv->batch;
	if (len > SERVER_UDP_TX) {
		struct iovec iov = {(void *)pkt, len};
		union server_ctl ctl;
		struct msghdr mh;
		server_udp_msg(c, &mh, &iov, &ctl);
		if (sendmsg(c->udp->fd, &mh, MSG_DONTWAIT) < 0)
			log_debug("udp send: %s", strerror(errno));
		return;
	}
	if (b->n_tx && (b->n_tx == SERVER_UDP_BATCH || b->tx_sock != c->udp))
		server_udp_flush(b);
	b->tx_sock = c->udp;
	unsigned i = b->n_tx++;
	memcpy(b->tx_buf[i], pkt, len);
	memcpy(&b->tx_peer[i], c->proxied ? &c->via : &c->peer, sizeof(c->peer));
	b->tx_iov[i] = (struct iovec){b->tx_buf[i], len};
	server_udp_msg(c, &b->tx[i].msg_hdr, &b->tx_iov[i], &b->tx_ctl[i]);
	b->tx[i].msg_hdr.msg_name = &b->tx_peer[i];
}

int server_udp_open(struct server *s, const struct addr *a, bool proxy, char *err, size_t errlen)
{
	char buf[ADDR_STRLEN];
	int fd = server_socket(a, SOCK_DGRAM);
	if (fd < 0) {
		snprintf(err, errlen, "listen udp %s: %s%s", addr_format(a, buf, sizeof(buf)),
			 strerror(-fd), addr_bind_hint(a, fd));
		return fd;
	}
	struct server_udp *u = &s->udp[s->n_udp++];
	u->srv = s;
	u->fd = fd;
	u->addr = *a;
	u->wildcard = addr_is_wildcard(a);
	u->proxy = proxy;
	uv_poll_init(s->loop, &u->poll, fd);
	u->poll.data = u;
	s->open_handles++;
	uv_poll_start(&u->poll, UV_READABLE, server_udp_poll_cb);
	return 0;
}

void server_udp_close(struct server_udp *u)
{
	uv_close((uv_handle_t *)&u->poll, server_udp_close_cb);
}
