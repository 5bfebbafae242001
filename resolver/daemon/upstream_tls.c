/*
 * upstream_tls.c -- DNS over TLS to upstreams (RFC 7858): one kept connection per server.
 *
 * The attempts of every query to a TLS server go down the server's connection: written as
 * soon as the handshake is done, several at once (RFC 7766 pipelining), and their replies
 * matched by ID in whatever order they come, so each try on the connection has an ID no
 * other one there has. OpenSSL runs on memory BIOs (dns/tlsframe.c), libuv does the I/O. The
 * certificate must chain to the system's or tls.ca-file's CAs and be valid for the server's
 * name; there is no plain fallback. What the server hands out as sessions is kept (tls.h) and
 * offered by the next connection, so a reconnect costs one round trip less.
 *
 * A connection closes with close_notify when nothing has waited on it for the idle time. When
 * it fails (refused, the handshake, the certificate, a reset) its tries fail with it and the
 * server is marked failed once, as a timeout would; its queries go on to other servers. A
 * server may close a connection it thinks idle while a query is on its way: tries sent on a
 * connection that had answered before are sent once more on a new one when it ends so.
 */
#include "daemon/upstream_impl.h"

#include "dns/framer.h"
#include "dns/tlsframe.h"
#include "util/log.h"
#include "util/tls.h"
#include "util/xalloc.h"

#include <errno.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPSTREAM_TLS_PAD 128 /* RFC 8467: queries padded to a multiple of this */

struct upstream_conn {
	struct upstream_pool *pool;
	struct upstream_conn *next; /* in the pool's list of open connections */
	size_t srv;
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_shutdown_t shutdown;
	uv_timer_t timer; /* the handshake's deadline, then the idle time */
	SSL *ssl;
	struct framer in;
	struct upstream_try *tries; /* waiting on it: sent, or queued until the handshake */
	unsigned open;              /* handles not yet closed */
	bool handshaken, closing;
	bool ending;   /* close_notify sent: closes when it is written */
	bool retired;  /* its server moved on (another name): closes when nothing waits on it */
	bool answered; /* a reply came on it: a later EOF may be the server's idle close */
};

struct upstream_tls_write {
	uv_write_t req;
	uint8_t data[];
};

static void upstream_conn_close(struct upstream_conn *c);
static void upstream_conn_fail(struct upstream_conn *c, int err, const char *why);

static struct upstream_tls *upstream_conn_tls(const struct upstream_conn *c)
{
	return c->pool->servers[c->srv].tls;
}

/* "ADDR#NAME" for the log. */
static const char *upstream_conn_name(const struct upstream_conn *c, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	const struct upstream_tls *tls = upstream_conn_tls(c);
	snprintf(buf, len, "%s#%s", addr_format(&c->pool->servers[c->srv].addr, a, sizeof(a)),
		 tls ? tls->name : "?");
	return buf;
}

static void upstream_conn_link(struct upstream_conn *c, struct upstream_try *t)
{
	t->tconn = c;
	t->cprev = NULL;
	t->cnext = c->tries;
	if (c->tries)
		c->tries->cprev = t;
	c->tries = t;
}

static void upstream_conn_unlink(struct upstream_try *t)
{
	struct upstream_conn *c = t->tconn;
	if (t->cprev)
		t->cprev->cnext = t->cnext;
	else
		c->tries = t->cnext;
	if (t->cnext)
		t->cnext->cprev = t->cprev;
	t->tconn = NULL;
}

static void upstream_conn_write_cb(uv_write_t *req, int status)
{
	struct upstream_conn *c = req->handle->data;
	free(req);
	if (status < 0 && !c->closing)
		upstream_conn_fail(c, status, "cannot send");
}

/* Send what OpenSSL has to send; false when the connection failed. */
static bool upstream_conn_flush(struct upstream_conn *c)
{
	size_t n;
	while (!c->closing && (n = tlsframe_pending(c->ssl)) > 0) {
		struct upstream_tls_write *w = xmalloc(sizeof(*w) + n);
		size_t got = tlsframe_output(c->ssl, w->data, n);
		uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)got);
		int r =
		    got ? uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, upstream_conn_write_cb)
			: -EIO;
		if (r < 0) {
			free(w);
			upstream_conn_fail(c, r, "cannot send");
			return false;
		}
	}
	return !c->closing;
}

/* Nothing waits on c: it stays open for the idle time (or closes now, retired). */
static void upstream_conn_idle(struct upstream_conn *c);

/* Encrypt t's query onto c (flushed by the caller). */
static bool upstream_conn_send(struct upstream_conn *c, struct upstream_try *t)
{
	t->tls_sent = true;
	t->sent_ns = uv_hrtime();
	if (tlsframe_write(c->ssl, t->qbuf, t->qlen + 2))
		return true;
	upstream_conn_fail(c, -EIO, "cannot encrypt a query");
	return false;
}

static void upstream_conn_close_cb(uv_handle_t *h)
{
	struct upstream_conn *c = h->data;
	if (--c->open)
		return;
	SSL_free(c->ssl);
	framer_close(&c->in);
	free(c);
}

/* c no longer takes new tries (its server's next attempts open another connection). */
static void upstream_conn_detach(struct upstream_conn *c)
{
	struct upstream_tls *tls = upstream_conn_tls(c);
	if (tls && tls->conn == c)
		tls->conn = NULL;
}

static void upstream_conn_close(struct upstream_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	upstream_conn_detach(c);
	for (struct upstream_conn **pp = &c->pool->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	SSL_set_app_data(c->ssl, NULL); /* its server's session slot may go before c does */
	uv_close((uv_handle_t *)&c->timer, upstream_conn_close_cb);
	uv_close((uv_handle_t *)&c->tcp, upstream_conn_close_cb);
}

static void upstream_conn_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)status;
	upstream_conn_close(req->data);
}

/* Done with c while it is healthy: close_notify, then close once it has been written. */
static void upstream_conn_end(struct upstream_conn *c)
{
	if (c->ending)
		return;
	c->ending = true;
	upstream_conn_detach(c);
	uv_read_stop((uv_stream_t *)&c->tcp);
	SSL_shutdown(c->ssl);
	if (!upstream_conn_flush(c))
		return;
	c->shutdown.data = c;
	if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, upstream_conn_shutdown_cb) < 0)
		upstream_conn_close(c);
}

static void upstream_conn_timer_cb(uv_timer_t *timer)
{
	struct upstream_conn *c = timer->data;
	char what[64];
	if (!c->handshaken) {
		snprintf(what, sizeof(what), "no TLS handshake within %u ms",
			 upstream_pool_deadline_ms(c->pool));
		upstream_conn_fail(c, -ETIMEDOUT, what);
	} else if (!c->tries) {
		upstream_conn_end(c);
	}
}

static void upstream_conn_idle(struct upstream_conn *c)
{
	if (c->closing || !c->handshaken || c->tries)
		return;
	if (c->retired)
		upstream_conn_end(c);
	else
		uv_timer_start(&c->timer, upstream_conn_timer_cb, c->pool->idle_ms, 0);
}

static struct upstream_conn *upstream_conn_open(struct upstream_pool *p, size_t srv);

/*
 * The server closed c while tries waited on it. If c had answered before, that can be its
 * idle close racing our queries: each try is sent once more on a new connection.
 */
static bool upstream_conn_resend(struct upstream_conn *c)
{
	bool again = c->answered && c->tries;
	for (struct upstream_try *t = c->tries; t && again; t = t->cnext)
		again = !t->tls_again && !t->closing;
	if (!again)
		return false;
	struct upstream_conn *n = upstream_conn_open(c->pool, c->srv);
	if (!n)
		return false;
	while (c->tries) {
		struct upstream_try *t = c->tries;
		upstream_conn_unlink(t);
		t->tls_again = true;
		t->tls_sent = false;
		upstream_conn_link(n, t);
	}
	return true;
}

static void upstream_conn_fail(struct upstream_conn *c, int err, const char *why)
{
	struct upstream_pool *p = c->pool;
	struct upstream_server *s = &p->servers[c->srv];
	char name[ADDR_STRLEN + 260];
	upstream_conn_detach(c);
	if (err == -ECONNRESET && upstream_conn_resend(c)) {
		upstream_conn_close(c);
		return;
	}
	if (c->tries || !c->handshaken) {
		log_warn("upstream %s: %s", upstream_conn_name(c, name, sizeof(name)), why);
		if (s->tls)
			snprintf(s->tls->why, sizeof(s->tls->why), "%s", why);
		upstream_server_failed(p, s, err);
	}
	upstream_conn_close(c);
	/* Head first: a try's failure may end its query, which forgets its other tries. */
	while (c->tries) {
		struct upstream_try *t = c->tries;
		upstream_conn_unlink(t);
		upstream_try_failed(t, err, false);
	}
}

/* Why the handshake failed: the certificate (checked by OpenSSL) or the TLS itself. */
static void upstream_conn_refused(struct upstream_conn *c)
{
	char why[300], err[200];
	struct upstream_tls *tls = upstream_conn_tls(c);
	if (tls && tls->conn == c && tls->session) { /* the next one starts afresh */
		SSL_SESSION_free(tls->session);
		tls->session = NULL;
	}
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK) {
		snprintf(why, sizeof(why), "TLS certificate refused: %s",
			 X509_verify_cert_error_string(v));
		upstream_conn_fail(c, -EKEYREJECTED, why);
		return;
	}
	snprintf(why, sizeof(why), "TLS handshake failed: %s", tls_error(err, sizeof(err)));
	upstream_conn_fail(c, -EPROTO, why);
}

static void upstream_conn_handshaken(struct upstream_conn *c)
{
	struct upstream_tls *tls = upstream_conn_tls(c);
	uv_timer_stop(&c->timer);
	if (tls) {
		tls->handshakes++;
		tls->resumed += SSL_session_reused(c->ssl) == 1;
		tls->why[0] = '\0';
	}
	for (struct upstream_try *t = c->tries; t; t = t->cnext)
		if (!t->tls_sent && !upstream_conn_send(c, t))
			return;
	upstream_conn_idle(c);
}

/* One reply frame: to the try that sent its ID (a late one, to nobody, is dropped). */
static void upstream_conn_reply(struct upstream_conn *c, const uint8_t *msg, size_t len)
{
	if (len < MSG_HDR_LEN) {
		upstream_conn_fail(c, -EBADMSG, "a reply too short for a DNS header");
		return;
	}
	uint16_t id = msg_get16(msg);
	for (struct upstream_try *t = c->tries; t; t = t->cnext)
		if (t->tls_sent && t->id == id) {
			c->answered = true;
			upstream_on_reply(t, msg, len, true);
			return;
		}
}

static void upstream_conn_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct upstream_conn *c = h->data;
	(void)size;
	*buf = uv_buf_init((char *)c->pool->rxbuf, sizeof(c->pool->rxbuf));
}

static void upstream_conn_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct upstream_conn *c = st->data;
	if (c->closing || nread == 0)
		return;
	if (nread < 0) {
		upstream_conn_fail(c, -ECONNRESET,
				   nread == UV_EOF ? "closed the connection"
						   : uv_strerror((int)nread));
		return;
	}
	bool was = c->handshaken;
	enum tlsframe_status st2 = tlsframe_input(
	    c->ssl, &c->handshaken, (const uint8_t *)buf->base, (size_t)nread, &c->in);
	if (st2 == TLSFRAME_ERROR) {
		if (!c->handshaken) {
			upstream_conn_refused(c);
		} else {
			char why[240], err[200];
			snprintf(why, sizeof(why), "TLS error: %s", tls_error(err, sizeof(err)));
			upstream_conn_fail(c, -EPROTO, why);
		}
		return;
	}
	if (!was && c->handshaken)
		upstream_conn_handshaken(c);
	const uint8_t *msg;
	size_t len;
	int r;
	while (!c->closing && (r = framer_next(&c->in, &msg, &len)) != 0) {
		if (r < 0) {
			upstream_conn_fail(c, -EBADMSG, "an empty frame");
			return;
		}
		upstream_conn_reply(c, msg, len);
	}
	if (c->closing || !upstream_conn_flush(c))
		return;
	if (st2 == TLSFRAME_EOF)
		upstream_conn_fail(c, -ECONNRESET, "closed the connection");
	else
		upstream_conn_idle(c);
}

static void upstream_conn_connect_cb(uv_connect_t *req, int status)
{
	struct upstream_conn *c = req->data;
	char why[120];
	if (c->closing)
		return;
	if (status < 0) {
		snprintf(why, sizeof(why), "cannot connect: %s", uv_strerror(status));
		upstream_conn_fail(c, status, why);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	int r =
	    uv_read_start((uv_stream_t *)&c->tcp, upstream_conn_alloc_cb, upstream_conn_read_cb);
	if (r < 0 || tlsframe_input(c->ssl, &c->handshaken, NULL, 0, &c->in) == TLSFRAME_ERROR) {
		upstream_conn_fail(c, r < 0 ? r : -EPROTO, "cannot start TLS");
		return;
	}
	upstream_conn_flush(c); /* the ClientHello */
}

/* Start connecting c; 0 or a negative errno. */
static int upstream_conn_start(struct upstream_conn *c)
{
	struct upstream_pool *p = c->pool;
	struct sockaddr_storage ss;
	upstream_sockaddr(&p->servers[c->srv].addr, &ss);
	const struct addr *src = upstream_source(p, ss.ss_family);
	int r = src ? uv_tcp_bind(&c->tcp, (const struct sockaddr *)&src->ss, 0) : 0;
	c->connect.data = c;
	if (r == 0)
		r = uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&ss,
				   upstream_conn_connect_cb);
	uv_timer_start(&c->timer, upstream_conn_timer_cb, upstream_pool_deadline_ms(p), 0);
	return r;
}

/* A new connection to TLS server srv, the one its next tries use; NULL on failure. */
static struct upstream_conn *upstream_conn_open(struct upstream_pool *p, size_t srv)
{
	struct upstream_tls *tls = p->servers[srv].tls;
	SSL *ssl = tlsframe_client(p->tls_ctx, tls->name, tls->session);
	if (!ssl)
		return NULL;
	struct upstream_conn *c = xcalloc(1, sizeof(*c));
	c->pool = p;
	c->srv = srv;
	c->ssl = ssl;
	SSL_set_app_data(ssl, &tls->session);
	framer_init(&c->in);
	uv_tcp_init(p->loop, &c->tcp);
	uv_timer_init(p->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open = 2;
	c->next = p->conns;
	p->conns = c;
	tls->conn = c;
	int r = upstream_conn_start(c);
	if (r < 0) {
		char a[ADDR_STRLEN];
		log_debug("upstream %s: %s", addr_format(&p->servers[srv].addr, a, sizeof(a)),
			  uv_strerror(r));
		upstream_conn_close(c);
		return NULL;
	}
	return c;
}

static bool upstream_conn_has_id(const struct upstream_conn *c, uint16_t id)
{
	for (const struct upstream_try *t = c->tries; t; t = t->cnext)
		if (t->id == id)
			return true;
	return false;
}

int upstream_tls_send(struct upstream_try *t)
{
	struct upstream_pool *p = t->pool;
	struct upstream_server *s = &p->servers[t->srv];
	if (!p->tls_ctx)
		return -ENOPROTOOPT;
	struct upstream_conn *c = s->tls->conn ? s->tls->conn : upstream_conn_open(p, t->srv);
	if (!c)
		return -ECONNREFUSED;
	if (!t->plain) { /* RFC 8467: query sizes tell an observer little */
		t->qlen =
		    msg_pad_query(t->qbuf + 2, t->qlen, sizeof(t->qbuf) - 2, UPSTREAM_TLS_PAD);
		msg_put16(t->qbuf, (uint16_t)t->qlen);
	}
	while (upstream_conn_has_id(c, t->id)) { /* replies are told apart by ID alone */
		t->id = upstream_random_id(p);
		msg_put16(t->qbuf + 2, t->id);
	}
	s->queries++;
	upstream_conn_link(c, t);
	if (!c->handshaken)
		return 0; /* sent when the handshake is done */
	uv_timer_stop(&c->timer);
	if (upstream_conn_send(c, t))
		upstream_conn_flush(c);
	return 0;
}

void upstream_tls_forget(struct upstream_try *t)
{
	struct upstream_conn *c = t->tconn;
	upstream_conn_unlink(t);
	upstream_conn_idle(c);
}

/* c is done taking tries: it closes when the ones on it are done. */
static void upstream_conn_retire(struct upstream_conn *c)
{
	upstream_conn_detach(c);
	c->retired = true;
	upstream_conn_idle(c);
}

void upstream_tls_set(struct upstream_pool *p, size_t i, const char *name)
{
	struct upstream_server *s = &p->servers[i];
	if (s->tls && name && !strcmp(s->tls->name, name))
		return;
	if (s->tls) {
		struct upstream_conn *c = s->tls->conn;
		if (c) {
			SSL_set_app_data(c->ssl, NULL); /* the session slot goes below */
			upstream_conn_retire(c);
		}
		SSL_SESSION_free(s->tls->session);
		free(s->tls->name);
		free(s->tls);
		s->tls = NULL;
	}
	if (name) {
		s->tls = xcalloc(1, sizeof(*s->tls));
		s->tls->name = xstrdup(name);
	}
}

void upstream_tls_retire_all(struct upstream_pool *p)
{
	for (struct upstream_conn *c = p->conns, *next; c; c = next) {
		next = c->next; /* c may leave the list */
		if (!c->closing)
			upstream_conn_retire(c);
	}
}

void upstream_tls_close_all(struct upstream_pool *p)
{
	while (p->conns) {
		struct upstream_conn *c = p->conns;
		while (c->tries) /* their queries were cancelled: nobody waits for them */
			upstream_conn_unlink(c->tries);
		upstream_conn_close(c);
	}
}

void upstream_tls_free(struct upstream_pool *p)
{
	for (size_t i = 0; i < p->n_servers; i++)
		upstream_tls_set(p, i, NULL);
}
