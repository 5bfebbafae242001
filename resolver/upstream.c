/*
 * upstream.c -- queries to upstream servers over UDP with TCP fallback. See upstream.h.
 *
 * An upstream_query walks an attempt plan over its servers; each attempt is an upstream_try
 * owning its libuv handles. A try is detached from its query the moment it ends (reply,
 * timeout, error) and frees itself when libuv has closed its handles, so a late datagram or
 * timer can never reach a finished query.
 */
#include "upstream.h"

#include "log.h"
#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define UPSTREAM_MAX_SERVERS 16
#define UPSTREAM_HOLD_DOWN   10000 /* ms a failing server is tried last */
#define UPSTREAM_MIN_RTO     150   /* ms */
#define UPSTREAM_UDP_BUF     4096
#define UPSTREAM_DEADLINE    5000 /* ms for a whole query, all attempts */

struct upstream_server {
	struct addr addr;
	bool known;       /* has answered at least once */
	uint32_t srtt_us; /* smoothed RTT */
	uint32_t rttvar_us;
	uint64_t down_until; /* loop ms; 0 = healthy */
	unsigned fails;      /* consecutive timeouts/errors */
	uint64_t queries, timeouts, errors;
};

struct upstream_pool {
	uv_loop_t *loop;
	uint8_t rnd[1024];               /* getrandom output, consumed two bytes per query ID */
	uint8_t rxbuf[UPSTREAM_UDP_BUF]; /* every attempt's UDP replies land here */
	size_t rnd_used;
	struct upstream_server *servers;
	size_t n_servers, cap;
	uint32_t timeout_ms;
	uint16_t edns_size;
	size_t active;
};

struct upstream_try;

struct upstream_query {
	struct upstream_pool *pool;
	size_t srv[UPSTREAM_MAX_SERVERS]; /* pool indices, in the order to try */
	size_t n_srv;
	unsigned attempt, max_attempts;
	uint64_t deadline;
	struct upstream_try *cur;
	uint8_t lname[MSG_MAX_NAME];
	struct upstream_question qn;
	upstream_cb cb;
	void *ud;
	int last_err;
};

struct upstream_try {
	struct upstream_query *q; /* NULL once detached */
	struct upstream_pool *pool;
	size_t srv; /* pool index */
	uv_timer_t timer;
	uv_udp_t udp;
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	unsigned open; /* handles not yet closed */
	bool has_udp, has_tcp;
	uint16_t id;
	int err; /* a send error reported through the timer */
	uint64_t sent_ns;
	size_t qlen;
	uint8_t qbuf[MSG_HDR_LEN + MSG_MAX_NAME + 4 + 11 + 2];
	uint8_t *rbuf; /* TCP only: malloc'd 2 + 65535 */
	size_t rlen;
};

static void upstream_attempt(struct upstream_query *q);

/*
 * An unpredictable query ID. glibc's arc4random makes a getrandom system call each time;
 * taking the kernel's CSPRNG output a kilobyte at a time costs one call per 512 queries.
 */
static uint16_t upstream_random_id(struct upstream_pool *p)
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

struct upstream_pool *upstream_pool_new(uv_loop_t *loop, uint32_t timeout_ms, uint16_t edns_size)
{
	struct upstream_pool *p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->loop = loop;
	p->rnd_used = sizeof(p->rnd); /* empty: filled on first use */
	p->timeout_ms = timeout_ms;
	p->edns_size = edns_size;
	return p;
}

void upstream_pool_free(struct upstream_pool *p)
{
	if (!p)
		return;
	free(p->servers);
	free(p);
}

void upstream_pool_set_timeout(struct upstream_pool *p, uint32_t timeout_ms)
{
	p->timeout_ms = timeout_ms;
}

size_t upstream_pool_stats(const struct upstream_pool *p, struct upstream_stats *out, size_t max)
{
	uint64_t now = uv_now(p->loop);
	for (size_t i = 0; i < p->n_servers && i < max; i++) {
		const struct upstream_server *s = &p->servers[i];
		out[i] = (struct upstream_stats){s->addr,    s->known,   s->down_until > now,
						 s->srtt_us, s->queries, s->timeouts,
						 s->errors};
	}
	return p->n_servers;
}

size_t upstream_pool_active(const struct upstream_pool *p)
{
	return p->active;
}

/* Index of a's record in the pool, adding it when new. */
static size_t upstream_server_index(struct upstream_pool *p, const struct addr *a)
{
	for (size_t i = 0; i < p->n_servers; i++)
		if (addr_equal(&p->servers[i].addr, a) &&
		    !strcmp(p->servers[i].addr.ifname, a->ifname))
			return i;
	if (p->n_servers == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->servers = realloc(p->servers, p->cap * sizeof(*p->servers));
		if (!p->servers)
			abort();
	}
	struct upstream_server *s = &p->servers[p->n_servers];
	memset(s, 0, sizeof(*s));
	s->addr = *a;
	return p->n_servers++;
}

void upstream_pool_know(struct upstream_pool *p, const struct addr *a)
{
	upstream_server_index(p, a);
}

/* Sort key: healthy servers by RTT (unknown ones first, to learn theirs), failing ones last. */
static uint64_t upstream_rank(const struct upstream_pool *p, size_t i, uint64_t now)
{
	const struct upstream_server *s = &p->servers[i];
	if (s->down_until > now)
		return (1ull << 40) + s->down_until;
	return s->known ? s->srtt_us : 0;
}

static void upstream_plan(struct upstream_query *q, const struct addr *servers, size_t n)
{
	struct upstream_pool *p = q->pool;
	uint64_t now = uv_now(p->loop);
	q->n_srv = n < UPSTREAM_MAX_SERVERS ? n : UPSTREAM_MAX_SERVERS;
	for (size_t i = 0; i < q->n_srv; i++)
		q->srv[i] = upstream_server_index(p, &servers[i]);
	/* Insertion sort: lists are a handful of servers. */
	for (size_t i = 1; i < q->n_srv; i++) {
		size_t v = q->srv[i], j = i;
		uint64_t rv = upstream_rank(p, v, now);
		while (j > 0 && upstream_rank(p, q->srv[j - 1], now) > rv) {
			q->srv[j] = q->srv[j - 1];
			j--;
		}
		q->srv[j] = v;
	}
	q->max_attempts = (unsigned)(q->n_srv * 2 < 3 ? 3 : q->n_srv * 2);
	q->deadline = now + UPSTREAM_DEADLINE;
}

static void upstream_note_rtt(struct upstream_pool *p, size_t i, uint64_t rtt_ns)
{
	struct upstream_server *s = &p->servers[i];
	uint32_t rtt = (uint32_t)(rtt_ns / 1000);
	if (!s->known) {
		s->srtt_us = rtt;
		s->rttvar_us = rtt / 2;
		s->known = true;
	} else {
		uint32_t diff = rtt > s->srtt_us ? rtt - s->srtt_us : s->srtt_us - rtt;
		s->rttvar_us = (3 * s->rttvar_us + diff) / 4;
		s->srtt_us = (7 * s->srtt_us + rtt) / 8;
	}
	s->fails = 0;
	s->down_until = 0;
}

static void upstream_note_failure(struct upstream_pool *p, size_t i)
{
	struct upstream_server *s = &p->servers[i];
	s->fails++;
	s->down_until = uv_now(p->loop) + UPSTREAM_HOLD_DOWN;
}

/* Timeout of one attempt to server i, in ms. */
static uint64_t upstream_rto(const struct upstream_pool *p, size_t i)
{
	const struct upstream_server *s = &p->servers[i];
	if (!s->known)
		return p->timeout_ms;
	uint64_t rto = (s->srtt_us + 4ull * s->rttvar_us) / 1000 * 2 + UPSTREAM_MIN_RTO;
	return rto < p->timeout_ms ? rto : p->timeout_ms;
}

static void upstream_try_close_cb(uv_handle_t *h)
{
	struct upstream_try *t = h->data;
	if (--t->open == 0) {
		free(t->rbuf);
		free(t);
	}
}

/* Detach t from its query and release its handles. */
static void upstream_try_end(struct upstream_try *t)
{
	if (t->q) {
		t->q->cur = NULL;
		t->q = NULL;
	}
	uv_close((uv_handle_t *)&t->timer, upstream_try_close_cb);
	if (t->has_udp)
		uv_close((uv_handle_t *)&t->udp, upstream_try_close_cb);
	if (t->has_tcp)
		uv_close((uv_handle_t *)&t->tcp, upstream_try_close_cb);
}

/* Finish the query: end the current try, report, free. */
static void upstream_done(struct upstream_query *q, int status, const uint8_t *reply, size_t len)
{
	if (q->cur)
		upstream_try_end(q->cur);
	q->pool->active--;
	q->cb(q->ud, status, reply, len);
	free(q);
}

/* The current try failed with err: move on to the next attempt or give up. */
static void upstream_try_failed(struct upstream_try *t, int err, bool server_fault)
{
	struct upstream_query *q = t->q;
	struct upstream_server *s = &q->pool->servers[t->srv];
	if (err == -ETIMEDOUT)
		s->timeouts++;
	else
		s->errors++;
	if (server_fault)
		upstream_note_failure(q->pool, t->srv);
	if (q->last_err != -ETIMEDOUT || err != -EREMOTEIO)
		q->last_err = err;
	upstream_try_end(t);
	upstream_attempt(q);
}

void upstream_cancel(struct upstream_query *q)
{
	if (q->cur)
		upstream_try_end(q->cur);
	q->pool->active--;
	free(q);
}

enum upstream_verdict { UPSTREAM_IGNORE, UPSTREAM_ACCEPT, UPSTREAM_TRUNCATED, UPSTREAM_BAD_RCODE };

/* Is pkt the reply to t's question, and what kind of reply? */
static enum upstream_verdict upstream_check(const struct upstream_try *t, const uint8_t *pkt,
					    size_t len)
{
	const struct upstream_question *qn = &t->q->qn;
	if (len < MSG_HDR_LEN || msg_get16(pkt) != t->id)
		return UPSTREAM_IGNORE;
	uint16_t flags = msg_get16(pkt + 2);
	if (!(flags & MSG_QR) || ((flags >> 11) & 0xf) != 0 || msg_get16(pkt + 4) != 1)
		return UPSTREAM_IGNORE;
	size_t qend = MSG_HDR_LEN + qn->lname_len;
	if (qend + 4 > len || msg_name_len(pkt + MSG_HDR_LEN, len - MSG_HDR_LEN) != qn->lname_len ||
	    !msg_name_equal(pkt + MSG_HDR_LEN, qn->lname) || msg_get16(pkt + qend) != qn->qtype ||
	    msg_get16(pkt + qend + 2) != qn->qclass)
		return UPSTREAM_IGNORE;
	if (flags & MSG_TC)
		return UPSTREAM_TRUNCATED;
	/* The whole message must parse before anything downstream trusts its offsets. */
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	if (msg_walk_init(&w, pkt, len) < 0)
		return UPSTREAM_IGNORE;
	while ((r = msg_walk_next(&w, &rr)) > 0)
		;
	if (r < 0)
		return UPSTREAM_IGNORE;
	unsigned rcode = flags & 0xf;
	if (rcode != MSG_NOERROR && rcode != MSG_NXDOMAIN)
		return UPSTREAM_BAD_RCODE;
	return UPSTREAM_ACCEPT;
}

static void upstream_start_tcp(struct upstream_try *t);

/* A candidate reply arrived on t (over UDP or TCP). */
static void upstream_on_reply(struct upstream_try *t, const uint8_t *pkt, size_t len, bool tcp)
{
	struct upstream_query *q = t->q;
	switch (upstream_check(t, pkt, len)) {
	case UPSTREAM_IGNORE:
		if (tcp) /* a stream cannot resynchronise: give up on this server */
			upstream_try_failed(t, -EBADMSG, true);
		return;
	case UPSTREAM_TRUNCATED:
		if (tcp)
			upstream_try_failed(t, -EBADMSG, true);
		else
			upstream_start_tcp(t);
		return;
	case UPSTREAM_BAD_RCODE:
		upstream_note_rtt(q->pool, t->srv, uv_hrtime() - t->sent_ns);
		upstream_try_failed(t, -EREMOTEIO, false);
		return;
	case UPSTREAM_ACCEPT:
		upstream_note_rtt(q->pool, t->srv, uv_hrtime() - t->sent_ns);
		upstream_done(q, 0, pkt, len);
		return;
	}
}

static void upstream_timer_cb(uv_timer_t *timer)
{
	struct upstream_try *t = timer->data;
	if (t->q)
		upstream_try_failed(t, t->err ? t->err : -ETIMEDOUT, true);
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
	if (!t->q || (nread == 0 && !from))
		return;
	if (nread < 0) { /* ICMP unreachable or similar, reported on the connected socket */
		upstream_try_failed(t, (int)nread, true);
		return;
	}
	if (flags & UV_UDP_PARTIAL) { /* bigger than we advertised: fetch it whole over TCP */
		upstream_start_tcp(t);
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
	(void)buf;
	if (!t->q || nread == 0)
		return;
	if (nread < 0) {
		upstream_try_failed(t, nread == UV_EOF ? -ECONNRESET : (int)nread, true);
		return;
	}
	t->rlen += (size_t)nread;
	if (t->rlen < 2)
		return;
	size_t want = msg_get16(t->rbuf);
	if (t->rlen < 2 + want)
		return;
	uv_read_stop(s);
	upstream_on_reply(t, t->rbuf + 2, want, true);
}

static void upstream_tcp_write_cb(uv_write_t *w, int status)
{
	struct upstream_try *t = w->data;
	if (t->q && status < 0)
		upstream_try_failed(t, status, true);
}

static void upstream_tcp_connect_cb(uv_connect_t *c, int status)
{
	struct upstream_try *t = c->data;
	if (!t->q)
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
static void upstream_sockaddr(const struct addr *a, struct sockaddr_storage *ss)
{
	memcpy(ss, &a->ss, sizeof(*ss));
	if (ss->ss_family == AF_INET6 && a->ifname[0]) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_scope_id = if_nametoindex(a->ifname);
	}
}

static void upstream_start_tcp(struct upstream_try *t)
{
	struct upstream_pool *p = t->q->pool;
	struct sockaddr_storage ss;
	if (t->has_udp) {
		uv_close((uv_handle_t *)&t->udp, upstream_try_close_cb);
		t->has_udp = false;
	}
	t->rbuf = malloc(2 + 65535);
	if (!t->rbuf)
		abort();
	t->rlen = 0;
	uv_tcp_init(p->loop, &t->tcp);
	t->tcp.data = t;
	t->has_tcp = true;
	t->open++;
	upstream_sockaddr(&p->servers[t->srv].addr, &ss);
	t->connect.data = t;
	uv_timer_start(&t->timer, upstream_timer_cb, p->timeout_ms, 0);
	int r =
	    uv_tcp_connect(&t->connect, &t->tcp, (struct sockaddr *)&ss, upstream_tcp_connect_cb);
	if (r < 0)
		upstream_try_failed(t, r, true);
}

/* Open a UDP socket to the try's server and send the query; 0 or a negative errno. */
static int upstream_send_udp(struct upstream_try *t)
{
	struct upstream_pool *p = t->q->pool;
	struct sockaddr_storage ss;
	upstream_sockaddr(&p->servers[t->srv].addr, &ss);
	int r = uv_udp_init_ex(p->loop, &t->udp, ss.ss_family);
	if (r < 0)
		return r;
	t->udp.data = t;
	t->has_udp = true;
	t->open++;
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

/* Start attempt number q->attempt, or finish the query when the plan is used up. */
static void upstream_attempt(struct upstream_query *q)
{
	struct upstream_pool *p = q->pool;
	if (q->attempt >= q->max_attempts || uv_now(p->loop) >= q->deadline) {
		upstream_done(q, q->last_err ? q->last_err : -ETIMEDOUT, NULL, 0);
		return;
	}
	struct upstream_try *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	t->q = q;
	t->pool = p;
	t->srv = q->srv[q->attempt % q->n_srv];
	q->attempt++;
	q->cur = t;
	t->id = upstream_random_id(p);
	t->qlen =
	    msg_build_query(q->qn.lname, q->qn.lname_len, q->qn.qtype, q->qn.qclass, t->id,
			    q->qn.do_bit, q->qn.cd, p->edns_size, t->qbuf + 2, sizeof(t->qbuf) - 2);
	msg_put16(t->qbuf, (uint16_t)t->qlen);
	uv_timer_init(p->loop, &t->timer);
	t->timer.data = t;
	t->open = 1;
	uint64_t rto = upstream_rto(p, t->srv);
	uint64_t left = q->deadline - uv_now(p->loop);
	uv_timer_start(&t->timer, upstream_timer_cb, rto < left ? rto : left, 0);
	int r = upstream_send_udp(t);
	if (r < 0) {
		char buf[ADDR_STRLEN];
		log_debug("upstream %s: %s",
			  addr_format(&p->servers[t->srv].addr, buf, sizeof(buf)), uv_strerror(r));
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
	upstream_attempt(q);
	return 0;
}
