/*
 * server_tcp.c -- TCP connections of the listeners (RFC 7766).
 *
 * Two-byte length framing (framer.h), pipelined queries answered as they complete (out of
 * order, at most SERVER_TCP_PENDING at a time), one deadline per connection: idle
 * (tcp-idle-timeout) or an incomplete frame, and a connection limit where the longest idle
 * connection makes room for a newcomer. A connection knows its interface from the local
 * address it was accepted on. It is referenced by every query still being answered on it,
 * so it is freed only when it is closed and the last such query has let go.
 */
#include "daemon/server_impl.h"
#include "dns/proxy.h"

#include "dns/msg.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void server_tcp_idle_cb(uv_timer_t *timer);
static void server_tcp_update_reading(struct server_tcp *t);
static void server_tcp_frames(struct server_tcp *t);

static void server_tcp_listener_close_cb(uv_handle_t *h)
{
	struct server_tcp_listener *l = h->data;
	l->srv->open_handles--;
	server_maybe_free(l->srv);
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
	doh_free(t->doh);
	SSL_free(t->ssl);
	free(t);
	server_maybe_free(s);
}

static void server_tcp_close_cb(uv_handle_t *h)
{
	struct server_tcp *t = h->data;
	t->handles--;
	server_tcp_free_maybe(t);
}

void server_tcp_close(struct server_tcp *t)
{
	if (t->closing)
		return;
	t->closing = true;
	t->srv->n_open--;
	uv_close((uv_handle_t *)&t->handle, server_tcp_close_cb);
	uv_close((uv_handle_t *)&t->idle, server_tcp_close_cb);
}

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
	uint32_t hs =
	    t->srv->tcp_idle_ms < SERVER_TLS_HS_MS ? t->srv->tcp_idle_ms : SERVER_TLS_HS_MS;
	if (t->ssl && !t->handshaken)
		due = t->accepted_at + hs; /* a handshake that does not finish costs a slot */
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
	if (t->ssl) { /* ciphertext: decrypted into the framer by server_tls_input */
		*buf = uv_buf_init((char *)t->srv->tls_buf, SERVER_TLS_BUF);
		return;
	}
	framer_space(&t->in, &space, &n);
	*buf = uv_buf_init((char *)space, (unsigned)n);
}

/*
 * A PROXY listener's connection before its header: take the header off the bytes held, and
 * the client it names. False while it is incomplete, or when it is bad (closed, counted).
 */
static bool server_tcp_proxy(struct server_tcp *t)
{
	size_t len;
	const uint8_t *held = framer_peek(&t->in, &len);
	struct proxy_header h;
	int hl = proxy_parse(held, len, true, &h);
	if (hl == 0 && len < SERVER_PROXY_MAX)
		return false; /* more to come; the frame deadline bounds how long */
	if (hl <= 0) {
		t->srv->rejected[1]++;
		server_tcp_close(t);
		return false;
	}
	struct server_client *c = &t->client;
	server_client_proxied(c, &h);
	framer_skip(&t->in, (size_t)hl);
	t->proxy_wait = false;
	return true;
}

static void server_tcp_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct server_tcp *t = stream->data;
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
	if (!t->ssl) {
		framer_commit(&t->in, (size_t)nread);
	} else {
		int r = server_tls_input(t, (const uint8_t *)buf->base, (size_t)nread);
		if (r < 0)
			return;
		if (r == 0) { /* close_notify: as EOF, answer what was asked first */
			t->eof = true;
			t->incomplete = false;
		}
	}
	if (t->proxy_wait && !server_tcp_proxy(t))
		return;
	t->tls_batch = t->ssl != NULL; /* closing frees t only from a later callback */
	if (!t->doh)
		server_tcp_frames(t);
	else if (!server_https_input(t))
		return;
	if (t->ssl)
		server_tls_batch_end(t);
	server_tcp_update_reading(t);
	server_tcp_finish_maybe(t);
}

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
	if (l->proxy && !server_proxy_allowed(s, &c->peer)) {
		s->rejected[0]++;
		server_tcp_close(t);
		return;
	}
	t->proxy_wait = l->proxy;
	if (l->kind != SERVER_TCP_PLAIN &&
	    (!server_tls_start(t, l->kind == SERVER_TCP_TLS ? s->tls_ctx : s->https_ctx) ||
	     (l->kind == SERVER_TCP_HTTPS && !server_https_start(t)))) {
		server_tcp_close(t);
		return;
	}
	len = sizeof(c->local);
	c->has_local = uv_tcp_getsockname(&t->handle, (struct sockaddr *)&c->local, &len) == 0;
	c->tcp = t;
	if (c->has_local)
		server_tcp_ifname(&c->local, c);
	server_tcp_update_reading(t);
}

void server_tcp_write_cb(uv_write_t *req, int status)
{
	(void)status; /* a failed write shows up as a read error and closes the connection */
	free(req);
}

void server_tcp_send(struct server_tcp *t, const uint8_t *pkt, size_t len)
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
	if (t->ssl) {
		server_tls_send(t, wr->data, 2 + len);
		free(wr);
		return;
	}
	uv_buf_t b = uv_buf_init((char *)wr->data, (unsigned)(2 + len));
	if (uv_write(&wr->req, (uv_stream_t *)&t->handle, &b, 1, server_tcp_write_cb) < 0) {
		free(wr);
		server_tcp_close(t);
	}
}

int server_tcp_listen(struct server *s, const struct addr *a, bool proxy, enum server_tcp_kind kind,
		      char *err, size_t errlen)
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
	l->proxy = proxy;
	l->kind = kind;
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

void server_tcp_listener_close(struct server_tcp_listener *l)
{
	uv_close((uv_handle_t *)&l->handle, server_tcp_listener_close_cb);
}

void server_tcp_hold(struct server_tcp *t)
{
	t->pending++;
}

void server_tcp_release(struct server_tcp *t)
{
	t->pending--;
	if (t->closing) {
		server_tcp_free_maybe(t);
		return;
	}
	/* Frames held back by the pipelining limit can go now. */
	if (!t->doh)
		server_tcp_frames(t);
	server_tcp_update_reading(t);
	server_tcp_finish_maybe(t);
}
