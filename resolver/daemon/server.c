/*
 * server.c -- UDP and TCP listeners. See server.h.
 *
 * Ownership: the worker owns the server; the server owns its listeners and connections. A TCP
 * connection is also referenced by every query still being answered on it, so it is freed
 * only when it is closed and the last such query has let go.
 */
#include "daemon/server.h"

#include "dns/framer.h"
#include "dns/msg.h"
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

#define SERVER_UDP_BATCH   32   /* datagrams per recvmmsg/sendmmsg */
#define SERVER_UDP_ROUNDS  4    /* recvmmsg calls per readable event, then others get a turn */
#define SERVER_UDP_RX      4096 /* larger queries arrive cut (MSG_TRUNC) and are dropped */
#define SERVER_UDP_TX      4096 /* larger replies are sent on their own */
#define SERVER_UDP_RCVBUF  (4 << 20)
#define SERVER_TCP_PENDING 64         /* pipelined queries in progress per connection */
#define SERVER_TCP_WQ_MAX  (1u << 20) /* bytes queued to a slow reader before we give up */
#define SERVER_IFCACHE     32
#define SERVER_IFCACHE_MS  2000

struct server_udp {
	struct server *srv;
	uv_poll_t poll;
	int fd;
	bool wildcard;
	struct addr addr;
};

struct server_tcp_listener {
	struct server *srv;
	uv_tcp_t handle;
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
	bool incomplete; /* an incomplete frame is held */
	bool eof;        /* the client has sent all it will (half-close) */
	bool shutting;   /* answers written, FIN on its way */
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
	uv_check_t flush; /* sends replies queued during a loop iteration */
};

/* Name of interface index, from a small cache refreshed every few seconds. */
static const char *server_ifname(struct server *s, unsigned index)
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

static void server_maybe_free(struct server *s)
{
	if (s->closing && s->open_handles == 0 && s->n_conns == 0) {
		free(s->udp);
		free(s->tcp);
		free(s->batch);
		free(s);
	}
}

static void server_udp_close_cb(uv_handle_t *h)
{
	struct server_udp *u = h->data;
	close(u->fd);
	u->srv->open_handles--;
	server_maybe_free(u->srv);
}

static void server_check_close_cb(uv_handle_t *h)
{
	struct server *s = h->data;
	s->open_handles--;
	server_maybe_free(s);
}

static void server_listener_close_cb(uv_handle_t *h)
{
	struct server_tcp_listener *l = h->data;
	l->srv->open_handles--;
	server_maybe_free(l->srv);
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

/* Turn received datagram i of the batch into a client and hand it to the pipeline. */
static void server_udp_one(struct server_udp *u, struct server_batch *b, unsigned i)
{
	struct server *s = u->srv;
	struct server_client c;
	memset(&c, 0, offsetof(struct server_client, ifname));
	c.ifname[0] = '\0';
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
	const char *ifn = server_ifname(s, c.ifindex);
	memcpy(c.ifname, ifn, sizeof(c.ifname));
	s->query_cb(s->query_ud, &c, b->rx_buf[i], b->rx[i].msg_len);
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
static void server_flush_check_cb(uv_check_t *check)
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
	mh->msg_name = (void *)&c->peer;
	mh->msg_namelen = c->peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							: sizeof(struct sockaddr_in);
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
	if (c->local.ss_family == AF_INET) {
		struct in_pktinfo pi = {0};
		pi.ipi_spec_dst = ((const struct sockaddr_in *)&c->local)->sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = {0};
		pi.ipi6_addr = ((const struct sockaddr_in6 *)&c->local)->sin6_addr;
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
 * handled, or after this loop iteration's callbacks (server_flush_check_cb).
 */
static void server_udp_send(const struct server_client *c, const uint8_t *pkt, size_t len)
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
	memcpy(&b->tx_peer[i], &c->peer, sizeof(c->peer));
	b->tx_iov[i] = (struct iovec){b->tx_buf[i], len};
	server_udp_msg(c, &b->tx[i].msg_hdr, &b->tx_iov[i], &b->tx_ctl[i]);
	b->tx[i].msg_hdr.msg_name = &b->tx_peer[i];
}

/* A bound, non-blocking socket for a listen address (UDP or TCP); fd or a negative errno. */
static int server_socket(const struct addr *a, int type)
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

static void server_tcp_free_maybe(struct server_tcp *t)
{
	if (!t->closing || t->handles > 0 || t->pending > 0)
		return;
	struct server *s = t->srv;
	if (t->prev)
		t->prev->next = t->next;
	else
		s->conns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	s->n_conns--;
	framer_close(&t->in);
	free(t);
	server_maybe_free(s);
}

static void server_tcp_close_cb(uv_handle_t *h)
{
	struct server_tcp *t = h->data;
	t->handles--;
	server_tcp_free_maybe(t);
}

static void server_tcp_close(struct server_tcp *t)
{
	if (t->closing)
		return;
	t->closing = true;
	t->srv->n_open--;
	uv_close((uv_handle_t *)&t->handle, server_tcp_close_cb);
	uv_close((uv_handle_t *)&t->idle, server_tcp_close_cb);
}

static void server_tcp_idle_cb(uv_timer_t *timer);

/*
 * Set the connection's one deadline. An incomplete frame must be whole within the idle
 * timeout of its first byte, however slowly it trickles in, so a client cannot hold a slot by
 * sending a byte now and then. Between frames, the connection may stay idle that long after
 * its last query or answer.
 */
static void server_tcp_arm(struct server_tcp *t)
{
	if (t->closing)
		return;
	uint64_t now = uv_now(t->srv->loop);
	bool frame = t->incomplete && t->reading;
	uint64_t due = (frame ? t->frame_start : t->last_active) + t->srv->tcp_idle_ms;
	uv_timer_start(&t->idle, server_tcp_idle_cb, due > now ? due - now : 0, 0);
}

static void server_tcp_idle_cb(uv_timer_t *timer)
{
	struct server_tcp *t = timer->data;
	if (t->incomplete && t->reading) {
		log_debug("tcp: closing a connection whose query did not arrive in time");
	} else if (t->pending > 0) {
		/* Answers still being worked on; upstream deadlines bound how long. */
		t->last_active = uv_now(t->srv->loop);
		server_tcp_arm(t);
		return;
	}
	server_tcp_close(t);
}

static void server_tcp_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)status;
	server_tcp_close(req->data);
}

/*
 * After a half-close (RFC 7766 6.2.4): once every query the client sent is answered and
 * written, send FIN and close. uv_shutdown waits for the queued writes.
 */
static void server_tcp_finish_maybe(struct server_tcp *t)
{
	if (!t->eof || t->closing || t->shutting || t->pending > 0)
		return;
	t->shutting = true;
	t->shutdown.data = t;
	if (uv_shutdown(&t->shutdown, (uv_stream_t *)&t->handle, server_tcp_shutdown_cb) < 0)
		server_tcp_close(t);
}

static void server_tcp_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct server_tcp *t = h->data;
	uint8_t *space;
	size_t n;
	(void)size;
	framer_space(&t->in, &space, &n);
	*buf = uv_buf_init((char *)space, (unsigned)n);
}

static void server_tcp_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/*
 * Read while the pipelining limit allows. While megdns does not read, the client cannot
 * finish a frame, so the frame deadline restarts when reading resumes.
 */
static void server_tcp_update_reading(struct server_tcp *t)
{
	bool want = !t->closing && !t->eof && t->pending < SERVER_TCP_PENDING;
	if (want && !t->reading) {
		uv_read_start((uv_stream_t *)&t->handle, server_tcp_alloc_cb, server_tcp_read_cb);
		t->frame_start = uv_now(t->srv->loop);
	} else if (!want && t->reading && !t->closing) {
		uv_read_stop((uv_stream_t *)&t->handle);
	}
	t->reading = want;
	server_tcp_arm(t);
}

/* Hand every complete frame held to the pipeline, up to the pipelining limit. */
static void server_tcp_frames(struct server_tcp *t)
{
	const uint8_t *msg;
	size_t len;
	bool took = false;
	int r = 0;
	while (!t->closing && t->pending < SERVER_TCP_PENDING &&
	       (r = framer_next(&t->in, &msg, &len)) > 0) {
		took = true;
		t->srv->query_cb(t->srv->query_ud, &t->client, msg, len);
	}
	if (r < 0) { /* a zero-length frame: nothing to answer, no way to stay in step */
		server_tcp_close(t);
		return;
	}
	uint64_t now = uv_now(t->srv->loop);
	bool incomplete = framer_incomplete(&t->in);
	if (incomplete && (!t->incomplete || took))
		t->frame_start = now; /* a new frame has begun */
	t->incomplete = incomplete;
	if (took)
		t->last_active = now;
	server_tcp_arm(t);
}

static void server_tcp_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct server_tcp *t = stream->data;
	(void)buf;
	if (nread == UV_EOF && !t->closing) {
		t->eof = true;         /* answer what was asked first, then close */
		t->incomplete = false; /* a frame cut short by EOF is dropped */
		server_tcp_update_reading(t);
		server_tcp_finish_maybe(t);
		return;
	}
	if (nread < 0) {
		server_tcp_close(t);
		return;
	}
	if (nread == 0)
		return;
	framer_commit(&t->in, (size_t)nread);
	server_tcp_frames(t);
	server_tcp_update_reading(t);
}

/* The interface that owns local address sa, for match-interfaces on TCP. */
static void server_tcp_ifname(const struct sockaddr_storage *sa, struct server_client *c)
{
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != sa->ss_family)
			continue;
		bool same = sa->ss_family == AF_INET
				? !memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
					  &((const struct sockaddr_in *)sa)->sin_addr, 4)
				: !memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
					  &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		if (same) {
			snprintf(c->ifname, sizeof(c->ifname), "%s", i->ifa_name);
			c->ifindex = if_nametoindex(i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifa);
}

/*
 * The table is full: make room by closing the connection idle the longest (nothing being
 * answered; as Unbound and Knot Resolver do), so that clients holding slots without using
 * them cannot lock others out. False when every connection has queries in progress.
 */
static bool server_tcp_make_room(struct server *s, const struct server_tcp *newcomer)
{
	struct server_tcp *victim = NULL;
	for (struct server_tcp *t = s->conns; t; t = t->next)
		if (t != newcomer && !t->closing && t->pending == 0 &&
		    (!victim || t->last_active < victim->last_active))
			victim = t;
	if (!victim)
		return false;
	log_debug("tcp: %u connections open, closing the longest idle one", s->n_open);
	server_tcp_close(victim);
	return true;
}

static void server_tcp_accept_cb(uv_stream_t *listener, int status)
{
	struct server_tcp_listener *l = listener->data;
	struct server *s = l->srv;
	if (status < 0 || s->closing)
		return;
	struct server_tcp *t = xcalloc(1, sizeof(*t));
	t->srv = s;
	uv_tcp_init(s->loop, &t->handle);
	uv_timer_init(s->loop, &t->idle);
	t->handle.data = t->idle.data = t;
	t->handles = 2;
	framer_init(&t->in);
	t->last_active = uv_now(s->loop);
	t->next = s->conns;
	if (s->conns)
		s->conns->prev = t;
	s->conns = t;
	s->n_conns++;
	s->n_open++;
	/* Accept first: a handle closed before it holds the fd would never close that fd. */
	if (uv_accept(listener, (uv_stream_t *)&t->handle) < 0) {
		server_tcp_close(t);
		return;
	}
	/* A loop, not one step: a reload may have lowered tcp-max-connections. */
	while (s->n_open > s->tcp_max) {
		if (!server_tcp_make_room(s, t)) {
			log_debug("tcp: connection limit %u reached, closing new one", s->tcp_max);
			server_tcp_close(t);
			return;
		}
	}
	struct server_client *c = &t->client;
	int len = sizeof(c->peer);
	uv_tcp_getpeername(&t->handle, (struct sockaddr *)&c->peer, &len);
	len = sizeof(c->local);
	c->has_local = uv_tcp_getsockname(&t->handle, (struct sockaddr *)&c->local, &len) == 0;
	c->tcp = t;
	if (c->has_local)
		server_tcp_ifname(&c->local, c);
	server_tcp_update_reading(t);
}

struct server_write {
	uv_write_t req;
	uint8_t data[];
};

static void server_tcp_write_cb(uv_write_t *req, int status)
{
	(void)status; /* a failed write shows up as a read error and closes the connection */
	free(req);
}

static void server_tcp_send(struct server_tcp *t, const uint8_t *pkt, size_t len)
{
	if (t->closing)
		return;
	if (uv_stream_get_write_queue_size((uv_stream_t *)&t->handle) > SERVER_TCP_WQ_MAX) {
		server_tcp_close(t); /* the client does not read its answers */
		return;
	}
	struct server_write *wr = xmalloc(sizeof(*wr) + 2 + len);
	t->last_active = uv_now(t->srv->loop);
	msg_put16(wr->data, (uint16_t)len);
	memcpy(wr->data + 2, pkt, len);
	uv_buf_t b = uv_buf_init((char *)wr->data, (unsigned)(2 + len));
	if (uv_write(&wr->req, (uv_stream_t *)&t->handle, &b, 1, server_tcp_write_cb) < 0) {
		free(wr);
		server_tcp_close(t);
	}
}

void server_send(const struct server_client *c, const uint8_t *pkt, size_t len)
{
	if (c->tcp)
		server_tcp_send(c->tcp, pkt, len);
	else if (c->udp && !c->udp->srv->closing)
		server_udp_send(c, pkt, len);
}

uint16_t server_max_reply(const struct server_client *c, uint16_t client_udp_size)
{
	return c->tcp ? 65535 : client_udp_size;
}

void server_client_hold(const struct server_client *c)
{
	if (c->tcp)
		c->tcp->pending++;
}

void server_client_release(const struct server_client *c)
{
	struct server_tcp *t = c->tcp;
	if (!t)
		return;
	t->pending--;
	if (t->closing) {
		server_tcp_free_maybe(t);
		return;
	}
	/* Frames held back by the pipelining limit can go now. */
	server_tcp_frames(t);
	server_tcp_update_reading(t);
	server_tcp_finish_maybe(t);
}

static int server_open_udp(struct server *s, const struct addr *a, char *err, size_t errlen)
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
	uv_poll_init(s->loop, &u->poll, fd);
	u->poll.data = u;
	s->open_handles++;
	uv_poll_start(&u->poll, UV_READABLE, server_udp_poll_cb);
	return 0;
}

static int server_open_tcp(struct server *s, const struct addr *a, char *err, size_t errlen)
{
	char buf[ADDR_STRLEN];
	int fd = server_socket(a, SOCK_STREAM), r = fd;
	if (fd >= 0 && listen(fd, 128) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "listen tcp %s: %s%s", addr_format(a, buf, sizeof(buf)),
			 strerror(-r), addr_bind_hint(a, r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	struct server_tcp_listener *l = &s->tcp[s->n_tcp++];
	l->srv = s;
	uv_tcp_init(s->loop, &l->handle);
	l->handle.data = l;
	s->open_handles++;
	r = uv_tcp_open(&l->handle, fd);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&l->handle, 128, server_tcp_accept_cb);
	if (r < 0) {
		snprintf(err, errlen, "listen tcp %s: %s", addr_format(a, buf, sizeof(buf)),
			 uv_strerror(r));
		return r;
	}
	return 0;
}

void server_configure(struct server *s, const struct config *cfg)
{
	s->tcp_idle_ms = cfg->tcp_idle_timeout_ms;
	s->tcp_max = cfg->tcp_max_connections;
}

int server_probe(const struct config *cfg, char *err, size_t errlen)
{
	/* Listeners use SO_REUSEPORT so the workers can share a port, which would also let a
	 * second megdns join silently and take part of the traffic. A socket without the
	 * option cannot bind where anyone listens: try one per address first. */
	for (size_t i = 0; i < cfg->n_listen; i++) {
		static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
		for (size_t k = 0; k < 2; k++) {
			const struct addr *a = &cfg->listen[i];
			int type = types[k];
			int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0), one = 1, r = 0;
			if (fd < 0)
				continue;
			if (a->ss.ss_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
			setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
			if (type == SOCK_STREAM)
				setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 &&
			    errno == EADDRINUSE)
				r = -EADDRINUSE;
			close(fd);
			if (r < 0) {
				char buf[ADDR_STRLEN];
				snprintf(err, errlen,
					 "listen %s %s: address already in use "
					 "(another megdns or DNS server?)",
					 type == SOCK_DGRAM ? "udp" : "tcp",
					 addr_format(a, buf, sizeof(buf)));
				return r;
			}
		}
	}
	return 0;
}

int server_open(uv_loop_t *loop, const struct config *cfg, server_query_cb query_cb, void *ud,
		struct server **out, char *err, size_t errlen)
{
	struct server *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->query_cb = query_cb;
	s->query_ud = ud;
	s->batch = xcalloc(1, sizeof(*s->batch));
	s->udp = xcalloc(cfg->n_listen + 1, sizeof(*s->udp));
	s->tcp = xcalloc(cfg->n_listen + 1, sizeof(*s->tcp));
	for (unsigned i = 0; i < SERVER_UDP_BATCH; i++) {
		s->batch->rx_iov[i] = (struct iovec){s->batch->rx_buf[i], SERVER_UDP_RX};
		s->batch->rx[i].msg_hdr.msg_iov = &s->batch->rx_iov[i];
		s->batch->rx[i].msg_hdr.msg_iovlen = 1;
	}
	server_configure(s, cfg);
	uv_check_init(loop, &s->flush);
	s->flush.data = s;
	s->open_handles++;
	uv_check_start(&s->flush, server_flush_check_cb);
	int r = 0;
	for (size_t i = 0; i < cfg->n_listen && r == 0; i++) {
		r = server_open_udp(s, &cfg->listen[i], err, errlen);
		if (r == 0)
			r = server_open_tcp(s, &cfg->listen[i], err, errlen);
	}
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
		uv_close((uv_handle_t *)&s->udp[i].poll, server_udp_close_cb);
	for (size_t i = 0; i < s->n_tcp; i++)
		uv_close((uv_handle_t *)&s->tcp[i].handle, server_listener_close_cb);
	for (struct server_tcp *t = s->conns; t; t = t->next)
		server_tcp_close(t);
	server_maybe_free(s);
}
