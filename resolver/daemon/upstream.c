/*
 * upstream.c -- queries to upstream servers over UDP with TCP fallback, or over TLS
 * (upstream_tls.c). See upstream.h.
 *
 * An upstream_query walks an attempt plan over its servers (ordered by servsel.c); each
 * attempt is an upstream_try owning its libuv handles. As in Unbound, a new attempt starts
 * when the newest one's retransmit timeout fires or it fails, and earlier attempts keep
 * listening until the query's deadline: the first acceptable reply from any of them wins, the
 * rest are cancelled. A server in hold-down whose time is up is probed alongside the best one;
 * when the query ends first, the probe lives on detached (in the pool's list) until its reply
 * or its own timeout says how that server is doing. A try is detached from its query the
 * moment either ends and frees itself when libuv has closed its handles, so a late datagram or
 * timer never reaches a finished query.
 */
#include "daemon/upstream_impl.h"

#include "util/log.h"
#include "dns/msg.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define UPSTREAM_MAX_SERVERS 16
#define UPSTREAM_LISTENING   3 /* attempts of one query open at once (each holds a socket) */

struct upstream_query {
	struct upstream_pool *pool;
	size_t srv[UPSTREAM_MAX_SERVERS]; /* pool indices, in the order to try */
	size_t n_srv;
	size_t pos; /* next plan position */
	unsigned attempt, max_attempts;
	uint64_t deadline;
	struct upstream_try *tries; /* live attempts and probe, newest first */
	uint8_t lname[MSG_MAX_NAME];
	struct upstream_question qn;
	upstream_cb cb;
	void *ud;
	int last_err;
};

/*
 * An unpredictable query ID. glibc's arc4random makes a getrandom system call each time;
 * taking the kernel's CSPRNG output a kilobyte at a time costs one call per 512 queries.
 */
uint16_t upstream_random_id(struct upstream_pool *p)
{
	if (p->rnd_used + 2 > sizeof(p->rnd)) {
		size_t got = 0;
		while (got < sizeof(p->rnd)) {
			ssize_t n = getrandom(p->rnd + got, sizeof(p->rnd) - got, 0);
			if (n > 0)
				got += (size_t)n;
			else if (errno != EINTR)
				abort(); /* no entropy source at all: refuse to send guessable IDs
					  */
		}
		p->rnd_used = 0;
	}
	uint16_t id = (uint16_t)(p->rnd[p->rnd_used] << 8 | p->rnd[p->rnd_used + 1]);
	p->rnd_used += 2;
	return id;
}

/*
 * draft-vixie-dnsext-dns0x20: flip the case of each letter of the wire name at random, one
 * bit of entropy per letter on top of the ID and port.
 */
static void upstream_0x20(struct upstream_pool *p, uint8_t *name, size_t len)
{
	uint16_t bits = 0;
	unsigned left = 0;
	for (size_t i = 0; i < len && name[i]; i += 1u + name[i])
		for (size_t j = i + 1; j <= i + name[i] && j < len; j++) {
			uint8_t c = name[j];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
				continue;
			if (!left) {
				bits = upstream_random_id(p);
				left = 16;
			}
			name[j] = (bits & 1) ? (uint8_t)(c ^ 0x20) : c;
			bits >>= 1;
			left--;
		}
}

struct upstream_pool *upstream_pool_new(uv_loop_t *loop, uint32_t timeout_ms, uint16_t edns_size)
{
	struct upstream_pool *p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->rnd_used = sizeof(p->rnd); /* empty: filled on first use */
	p->timeout_ms = timeout_ms;
	p->edns_size = edns_size;
	for (size_t i = 0; i < UPSTREAM_BUCKETS; i++)
		p->buckets[i] = UPSTREAM_NONE;
	return p;
}

void upstream_pool_set_outgoing(struct upstream_pool *p, const struct addr *a, size_t n)
{
	p->has_out4 = p->has_out6 = false;
	for (size_t i = n; i-- > 0;) { /* the first of each family wins */
		if (a[i].ss.ss_family == AF_INET) {
			p->out4 = a[i];
			p->has_out4 = true;
		} else {
			p->out6 = a[i];
			p->has_out6 = true;
		}
	}
}

uv_loop_t *upstream_pool_loop(const struct upstream_pool *p)
{
	return p->loop;
}

static void upstream_try_close(struct upstream_try *t);

void upstream_pool_stop(struct upstream_pool *p)
{
	p->stopping = true;
	upstream_tls_close_all(p);
	while (p->probes) {
		struct upstream_try *t = p->probes;
		p->probes = t->next;
		upstream_try_close(t);
	}
}

void upstream_pool_free(struct upstream_pool *p)
{
	if (!p)
		return;
	upstream_pool_stop(p); /* normally done already, with the loop run since */
	upstream_tls_free(p);
	SSL_CTX_free(p->tls_ctx);
	free(p->servers);
	free(p);
}

void upstream_pool_set_timeout(struct upstream_pool *p, uint32_t timeout_ms)
{
	p->timeout_ms = timeout_ms;
}

size_t upstream_pool_active(const struct upstream_pool *p)
{
	return p->active;
}

uint32_t upstream_pool_deadline_ms(const struct upstream_pool *p)
{
	return p->timeout_ms > UPSTREAM_DEADLINE_MS ? p->timeout_ms : UPSTREAM_DEADLINE_MS;
}

/* The query's servers, best first (servsel_order), its attempt budget and deadline. */
static void upstream_plan(struct upstream_query *q, const struct addr *servers, size_t n)
{
	struct upstream_pool *p = q->pool;
	const struct servsel *sel[UPSTREAM_MAX_SERVERS];
	size_t idx[UPSTREAM_MAX_SERVERS], order[UPSTREAM_MAX_SERVERS];
	q->n_srv = n < UPSTREAM_MAX_SERVERS ? n : UPSTREAM_MAX_SERVERS;
	for (size_t i = 0; i < q->n_srv; i++) {
		idx[i] = upstream_server_index(p, &servers[i]);
		p->servers[idx[i]].refs++; /* not evicted while q may ask it */
		p->servers[idx[i]].used_ms = uv_now(p->loop);
	}
	/* Pointers only after every index exists: adding a server may move the array. */
	for (size_t i = 0; i < q->n_srv; i++)
		sel[i] = &p->servers[idx[i]].sel;
	servsel_order(sel, q->n_srv, uv_now(p->loop), order);
	for (size_t i = 0; i < q->n_srv; i++)
		q->srv[i] = idx[order[i]];
	q->max_attempts = (unsigned)(q->n_srv * 2 < 3 ? 3 : q->n_srv * 2);
	q->deadline = uv_now(p->loop) + upstream_pool_deadline_ms(p);
}

/* Plan position of the server to probe alongside the first attempt, or n_srv for none. */
static size_t upstream_probe_pick(const struct upstream_query *q)
{
	const struct servsel *sel[UPSTREAM_MAX_SERVERS];
	size_t order[UPSTREAM_MAX_SERVERS];
	for (size_t i = 0; i < q->n_srv; i++) {
		sel[i] = &q->pool->servers[q->srv[i]].sel;
		order[i] = i; /* q->srv is in plan order already */
	}
	return servsel_probe(sel, order, q->n_srv, uv_now(q->pool->loop));
}

static void upstream_try_close_cb(uv_handle_t *h)
{
	struct upstream_try *t = h->data;
	if (--t->open == 0) {
		free(t->rbuf);
		free(t);
	}
}

/* The query no longer plans its servers: they may be forgotten. */
static void upstream_unplan(struct upstream_query *q)
{
	for (size_t i = 0; i < q->n_srv; i++)
		q->pool->servers[q->srv[i]].refs--;
}

/* Release t's handles; it must be unlinked already. */
static void upstream_try_close(struct upstream_try *t)
{
	if (!t->closing)
		t->pool->servers[t->srv].refs--;
	t->q = NULL;
	t->closing = true;
	if (t->probe)
		t->pool->servers[t->srv].sel.probing = false;
	if (t->tconn)
		upstream_tls_forget(t);
	uv_close((uv_handle_t *)&t->timer, upstream_try_close_cb);
	if (t->has_udp)
		uv_close((uv_handle_t *)&t->udp, upstream_try_close_cb);
	if (t->has_tcp)
		uv_close((uv_handle_t *)&t->tcp, upstream_try_close_cb);
}

static void upstream_unlink(struct upstream_try **head, struct upstream_try *t)
{
	for (; *head; head = &(*head)->next)
		if (*head == t) {
			*head = t->next;
			return;
		}
}

/* Detach t from its query (or the pool's background probes) and release its handles. */
static void upstream_try_end(struct upstream_try *t)
{
	upstream_unlink(t->q ? &t->q->tries : &t->pool->probes, t);
	upstream_try_close(t);
}

/*
 * Finish the query: cancel its tries, except that a probe still waiting for its first reply
 * carries on in the background (its outcome is what the probe was for); report; free.
 */
static void upstream_done(struct upstream_query *q, int status, const uint8_t *reply, size_t len,
			  const struct addr *from)
{
	struct upstream_pool *p = q->pool;
	while (q->tries) {
		struct upstream_try *t = q->tries;
		q->tries = t->next;
		t->q = NULL;
		if (t->probe && !t->stale && !p->stopping) {
			t->next = p->probes;
			p->probes = t;
		} else {
			upstream_try_close(t);
		}
	}
	p->active--;
	upstream_unplan(q);
	q->cb(q->ud, status, reply, len, from);
	free(q);
}

void upstream_cancel(struct upstream_query *q)
{
	while (q->tries) {
		struct upstream_try *t = q->tries;
		q->tries = t->next;
		upstream_try_close(t);
	}
	q->pool->active--;
	upstream_unplan(q);
	free(q);
}

static void upstream_set_err(struct upstream_query *q, int err)
{
	/* A timeout says more than an error rcode from another server (EDE 22, not 23). */
	if (q->last_err != -ETIMEDOUT || err != -EREMOTEIO)
		q->last_err = err;
}

/* Does q wait on an attempt to srv (or, srv SIZE_MAX, on any attempt) whose timeout is ahead? */
static bool upstream_fresh(const struct upstream_query *q, size_t srv, bool probes)
{
	for (const struct upstream_try *t = q->tries; t; t = t->next)
		if (!t->stale && (probes || !t->probe) && (srv == SIZE_MAX || t->srv == srv))
			return true;
	return false;
}

static void upstream_try_start(struct upstream_query *q, size_t srv, bool probe, bool plain);

/* May q send one more query? (upstream_try_start spends it.) */
static bool upstream_may_send(const struct upstream_query *q)
{
	return !q->qn.budget || *q->qn.budget > 0;
}

/* Start the next attempt: the next server in plan order that has no attempt still fresh. */
static void upstream_attempt(struct upstream_query *q)
{
	size_t pick = q->pos % q->n_srv;
	for (size_t i = 0; i < q->n_srv; i++) {
		size_t j = (q->pos + i) % q->n_srv;
		if (!upstream_fresh(q, q->srv[j], true)) {
			pick = j;
			break;
		}
	}
	q->pos = pick + 1;
	q->attempt++;
	upstream_try_start(q, q->srv[pick], false, false);
}

/*
 * Something ended or went stale in q: finish at the deadline; else when no attempt is fresh,
 * start the next one; with none left, finish once nothing listens any more.
 */
/*
 * Before a new attempt: a query keeps at most UPSTREAM_LISTENING attempts open, so that an
 * outage costs a bounded number of sockets per query; the oldest stale one gives way.
 */
static void upstream_make_room(struct upstream_query *q)
{
	struct upstream_try *oldest = NULL;
	unsigned n = 0;
	for (struct upstream_try *t = q->tries; t; t = t->next) {
		n++;
		if (t->stale)
			oldest = t; /* the list is newest first */
	}
	if (n >= UPSTREAM_LISTENING && oldest)
		upstream_try_end(oldest);
}

static void upstream_advance(struct upstream_query *q)
{
	if (uv_now(q->pool->loop) >= q->deadline) {
		upstream_done(q, q->last_err ? q->last_err : -ETIMEDOUT, NULL, 0, NULL);
		return;
	}
	if (upstream_fresh(q, SIZE_MAX, false))
		return;
	if (q->attempt < q->max_attempts && upstream_may_send(q)) {
		upstream_make_room(q);
		upstream_attempt(q);
	} else if (!q->tries)
		upstream_done(q, q->last_err ? q->last_err : -ETIMEDOUT, NULL, 0, NULL);
	/* else the stale attempts (and the probe) listen on until the deadline */
}

/* Try t failed with err (a server's fault or not): end it and let its query go on. */
void upstream_try_failed(struct upstream_try *t, int err, bool server_fault)
{
	struct upstream_pool *p = t->pool;
	struct upstream_server *s = &p->servers[t->srv];
	struct upstream_query *q = t->q;
	if (err == -ETIMEDOUT) /* a TCP connection that timed out */
		s->timeouts++;
	else
		s->errors++;
	if (server_fault)
		upstream_server_failed(p, s, err);
	else if (err == -EREMOTEIO)
		upstream_server_note(p, s, err);
	upstream_try_end(t);
	if (q) {
		upstream_set_err(q, err);
		upstream_advance(q);
	}
}

/* A candidate reply arrived on t (over UDP or TCP). */
void upstream_on_reply(struct upstream_try *t, const uint8_t *pkt, size_t len, bool tcp)
{
	struct upstream_pool *p = t->pool;
	enum msg_reply v = msg_reply_check(t->qbuf + 2, t->qlen, pkt, len);
	/* The question is the first name of both messages: never compressed. */
	if (v != MSG_REPLY_IGNORE && t->exact &&
	    memcmp(pkt + MSG_HDR_LEN, t->qbuf + 2 + MSG_HDR_LEN, t->exact) != 0)
		v = MSG_REPLY_IGNORE; /* not the case we sent: a guess, not the server */
	if (v == MSG_REPLY_IGNORE || (v == MSG_REPLY_TRUNCATED && tcp)) {
		if (tcp) /* a stream cannot resynchronise: give up on this server */
			upstream_try_failed(t, -EBADMSG, true);
		return;
	}
	/* The server answered; a truncated reply too: whoever asked decides to ask again over
	 * TCP (resolve.h), and a detached probe asks no more. */
	servsel_answered(&p->servers[t->srv].sel, (uv_hrtime() - t->sent_ns) / 1000);
	if (v == MSG_REPLY_ERROR && (msg_get16(pkt + 2) & 0xf) == MSG_FORMERR && !t->plain &&
	    t->q && !tcp && upstream_may_send(t->q)) {
		/* RFC 6891 section 7: a server that does not know EDNS; once more without it. */
		struct upstream_query *q = t->q;
		size_t srv = t->srv;
		upstream_try_end(t);
		upstream_try_start(q, srv, false, true);
		return;
	}
	if (v == MSG_REPLY_ERROR) {
		upstream_try_failed(t, -EREMOTEIO, false);
		return;
	}
	struct upstream_query *q = t->q;
	struct addr from = p->servers[t->srv].addr; /* the pool's array may grow in the callback */
	upstream_try_end(t);
	if (q)
		upstream_done(q, 0, pkt, len, &from);
}

/*
 * First expiry: the retransmit timeout. The attempt counts as timed out and its server is held
 * down, but it keeps listening until the query's deadline (a slow server's reply still wins)
 * while the query moves on. Second expiry: the deadline.
 */
/* An error of this host (no fds, no buffers), not of the server. */
static bool upstream_local_error(int err)
{
	return err == UV_EMFILE || err == UV_ENFILE || err == UV_ENOBUFS || err == UV_ENOMEM ||
	       err == UV_EAGAIN;
}

static void upstream_timer_cb(uv_timer_t *timer)
{
	struct upstream_try *t = timer->data;
	struct upstream_pool *p = t->pool;
	if (t->err) { /* out of sockets or buffers: not the server's fault */
		upstream_try_failed(t, t->err, !upstream_local_error(t->err));
		return;
	}
	struct upstream_query *q = t->q;
	if (!t->stale) {
		struct upstream_server *s = &p->servers[t->srv];
		uint64_t now = uv_now(p->loop);
		t->stale = true;
		s->timeouts++;
		upstream_server_failed(p, s, -ETIMEDOUT);
		if (!q) { /* a background probe: that is its answer */
			upstream_try_end(t);
			return;
		}
		upstream_set_err(q, -ETIMEDOUT);
		if (q->deadline > now)
			uv_timer_start(&t->timer, upstream_timer_cb, q->deadline - now, 0);
	}
	if (q)
		upstream_advance(q);
}

static void upstream_udp_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct upstream_try *t = h->data;
	(void)size;
	/* One buffer per pool: a datagram is fully handled (and copied if kept) in its
	 * callback before the loop reads the next, so attempts need no buffer of their own. */
	*buf = uv_buf_init((char *)t->pool->rxbuf, sizeof(t->pool->rxbuf));
}

static void upstream_udp_recv_cb(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
				 const struct sockaddr *from, unsigned flags)
{
	struct upstream_try *t = udp->data;
	(void)from; /* the socket is connected: the kernel only passes the server's datagrams */
	if (t->closing || (nread == 0 && !from))
		return;
	if (nread < 0) { /* ICMP unreachable or similar, reported on the connected socket */
		upstream_try_failed(t, (int)nread, true);
		return;
	}
	if (flags & UV_UDP_PARTIAL) { /* bigger than we advertised: to be asked over TCP */
		struct upstream_query *q = t->q;
		upstream_try_end(t);
		if (q)
			upstream_done(q, -EMSGSIZE, NULL, 0, NULL);
		return;
	}
	upstream_on_reply(t, (const uint8_t *)buf->base, (size_t)nread, false);
}

static void upstream_tcp_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct upstream_try *t = h->data;
	(void)size;
	*buf = uv_buf_init((char *)t->rbuf + t->rlen, (unsigned)(2 + 65535 - t->rlen));
}

static void upstream_tcp_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct upstream_try *t = s->data;
	size_t len;
	(void)buf;
	if (t->closing || nread == 0)
		return;
	if (nread < 0) {
		upstream_try_failed(t, nread == UV_EOF ? -ECONNRESET : (int)nread, true);
		return;
	}
	t->rlen += (size_t)nread;
	int r = msg_stream_frame(t->rbuf, t->rlen, &len);
	if (r == 0)
		return;
	uv_read_stop(s);
	if (r < 0)
		upstream_try_failed(t, r, true);
	else
		upstream_on_reply(t, t->rbuf + 2, len, true);
}

static void upstream_tcp_write_cb(uv_write_t *w, int status)
{
	struct upstream_try *t = w->data;
	if (!t->closing && status < 0)
		upstream_try_failed(t, status, true);
}

static void upstream_tcp_connect_cb(uv_connect_t *c, int status)
{
	struct upstream_try *t = c->data;
	if (t->closing)
		return;
	if (status < 0) {
		upstream_try_failed(t, status, true);
		return;
	}
	/* Length prefix and query go in one write: qbuf keeps two spare bytes in front. */
	uv_buf_t b = uv_buf_init((char *)t->qbuf, (unsigned)(t->qlen + 2));
	t->write.data = t;
	int r = uv_write(&t->write, (uv_stream_t *)&t->tcp, &b, 1, upstream_tcp_write_cb);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&t->tcp, upstream_tcp_alloc_cb,
				  upstream_tcp_read_cb);
	if (r < 0)
		upstream_try_failed(t, r, true);
}

/* The server's sockaddr, with the scope index looked up now (wg0 may have appeared later). */
void upstream_sockaddr(const struct addr *a, struct sockaddr_storage *ss)
{
	memcpy(ss, &a->ss, sizeof(*ss));
	if (ss->ss_family == AF_INET6 && a->ifname[0]) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_scope_id = if_nametoindex(a->ifname);
	}
}

/* Ms until t's query's deadline, capped at cap (cap alone for a detached try). */
static uint64_t upstream_until_deadline(const struct upstream_try *t, uint64_t cap)
{
	if (!t->q)
		return cap;
	uint64_t now = uv_now(t->pool->loop);
	uint64_t left = t->q->deadline > now ? t->q->deadline - now : 0;
	return cap < left ? cap : left;
}

/* The source address for a query to a server of family, or NULL for the kernel's choice. */
const struct addr *upstream_source(const struct upstream_pool *p, int family)
{
	if (family == AF_INET)
		return p->has_out4 ? &p->out4 : NULL;
	return p->has_out6 ? &p->out6 : NULL;
}

/* Ask t's server over TCP (the question said so); 0 or a negative errno. */
static int upstream_start_tcp(struct upstream_try *t)
{
	struct upstream_pool *p = t->pool;
	struct sockaddr_storage ss;
	t->rbuf = xmalloc(2 + 65535);
	t->rlen = 0;
	uv_tcp_init(p->loop, &t->tcp);
	t->tcp.data = t;
	t->has_tcp = true;
	t->open++;
	upstream_sockaddr(&p->servers[t->srv].addr, &ss);
	t->connect.data = t;
	const struct addr *src = upstream_source(p, ss.ss_family);
	int r = src ? uv_tcp_bind(&t->tcp, (const struct sockaddr *)&src->ss, 0) : 0;
	if (r < 0)
		return r;
	uv_timer_start(&t->timer, upstream_timer_cb, upstream_until_deadline(t, p->timeout_ms), 0);
	return uv_tcp_connect(&t->connect, &t->tcp, (struct sockaddr *)&ss,
			      upstream_tcp_connect_cb);
}

/* Open a UDP socket to the try's server and send the query; 0 or a negative errno. */
static int upstream_send_udp(struct upstream_try *t)
{
	struct upstream_pool *p = t->pool;
	struct sockaddr_storage ss;
	upstream_sockaddr(&p->servers[t->srv].addr, &ss);
	int r = uv_udp_init_ex(p->loop, &t->udp, ss.ss_family);
	if (r < 0)
		return r;
	t->udp.data = t;
	t->has_udp = true;
	t->open++;
	const struct addr *src = upstream_source(p, ss.ss_family);
	if (src && (r = uv_udp_bind(&t->udp, (const struct sockaddr *)&src->ss, 0)) < 0)
		return r;
	/* connect() binds a kernel-chosen random port and filters foreign sources for us. */
	r = uv_udp_connect(&t->udp, (struct sockaddr *)&ss);
	if (r < 0)
		return r;
	r = uv_udp_recv_start(&t->udp, upstream_udp_alloc_cb, upstream_udp_recv_cb);
	if (r < 0)
		return r;
	uv_buf_t b = uv_buf_init((char *)t->qbuf + 2, (unsigned)t->qlen);
	t->sent_ns = uv_hrtime();
	p->servers[t->srv].queries++;
	r = uv_udp_try_send(&t->udp, &b, 1, NULL);
	return r < 0 ? r : 0;
}

/* Send q's question to server srv on a new socket with a new ID: an attempt or the probe. */
static void upstream_try_start(struct upstream_query *q, size_t srv, bool probe, bool plain)
{
	struct upstream_pool *p = q->pool;
	struct upstream_try *t = xcalloc(1, sizeof(*t));
	if (q->qn.budget)
		(*q->qn.budget)--;
	t->q = q;
	t->pool = p;
	t->srv = srv;
	p->servers[srv].refs++;
	t->probe = probe;
	if (probe)
		p->servers[srv].sel.probing = true;
	t->next = q->tries;
	q->tries = t;
	t->id = upstream_random_id(p);
	t->qlen = msg_build_query(q->qn.lname, q->qn.lname_len, q->qn.qtype, q->qn.qclass, t->id,
				  (q->qn.rd ? MSG_RD : 0) | (q->qn.cd ? MSG_CD : 0), q->qn.do_bit,
				  plain ? 0 : p->edns_size, t->qbuf + 2, UPSTREAM_QUERY_MAX);
	t->plain = plain;
	msg_put16(t->qbuf, (uint16_t)t->qlen);
	if (q->qn.use_0x20 && t->qlen) {
		upstream_0x20(p, t->qbuf + 2 + MSG_HDR_LEN, q->qn.lname_len);
		t->exact = (uint8_t)q->qn.lname_len;
	}
	uv_timer_init(p->loop, &t->timer);
	t->timer.data = t;
	t->open = 1;
	uint32_t rto = servsel_rto(&p->servers[srv].sel, p->timeout_ms);
	uv_timer_start(&t->timer, upstream_timer_cb, upstream_until_deadline(t, rto), 0);
	int r;
	if (p->servers[srv].tls) {
		r = upstream_tls_send(t); /* never plain DNS to a TLS server */
	} else if (q->qn.tcp) {
		t->sent_ns = uv_hrtime();
		p->servers[srv].queries++;
		r = upstream_start_tcp(t);
	} else {
		r = upstream_send_udp(t);
	}
	if (r < 0) {
		char buf[ADDR_STRLEN];
		log_debug("upstream %s: %s", addr_format(&p->servers[srv].addr, buf, sizeof(buf)),
			  uv_strerror(r));
		/* Report through the loop: upstream_resolve must not call back synchronously. */
		t->err = r;
		uv_timer_start(&t->timer, upstream_timer_cb, 0, 0);
	}
}

int upstream_resolve(struct upstream_pool *p, const struct addr *servers, size_t n,
		     const struct upstream_question *qn, upstream_cb cb, void *ud,
		     struct upstream_query **out)
{
	if (n == 0)
		return -ENOENT;
	if (qn->budget && *qn->budget == 0)
		return -EDQUOT;
	if (qn->lname_len > MSG_MAX_NAME)
		return -EINVAL;
	struct upstream_query *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->pool = p;
	q->qn = *qn;
	memcpy(q->lname, qn->lname, qn->lname_len);
	q->qn.lname = q->lname;
	q->cb = cb;
	q->ud = ud;
	upstream_plan(q, servers, n);
	p->active++;
	*out = q;
	size_t probe = upstream_probe_pick(q);
	upstream_attempt(q);
	if (probe < q->n_srv && !p->stopping && upstream_may_send(q))
		upstream_try_start(q, q->srv[probe], true, false);
	return 0;
}
