/*
 * server_https.c -- DNS over HTTPS (RFC 8484) on the TLS connections of server.https.
 *
 * The TLS layer (server_tls.c) decrypts into the connection's framer as for DoT; here those
 * bytes are HTTP/2 and go to dns/doh.c (nghttp2, no I/O) instead of the DNS framing. Each
 * request's query goes up the same pipeline as a DoT query, with the client's stream in its
 * server_client, and its answer comes back through server_send to that stream. What nghttp2
 * has to send is encrypted and leaves with the answers of the same read in one write. The
 * connection's deadlines, limit and views are those of every TCP connection; it may have
 * SERVER_DOH_STREAMS streams open (while SERVER_TCP_PENDING of them are being answered, the
 * connection is not read).
 */
#include "daemon/server_impl.h"
#include "dns/msg.h"
#include "dns/tlsframe.h"
#include "util/log.h"

/* The query of a request: up the pipeline as the connection's client on that stream. */
static void server_https_query(void *ud, int32_t stream, const uint8_t *msg, size_t len)
{
	struct server_tcp *t = ud;
	struct server_client c = t->client;
	c.stream = stream;
	t->last_active = uv_now(t->srv->loop);
	t->srv->query_cb(t->srv->query_ud, &c, msg, len);
}

bool server_https_start(struct server_tcp *t)
{
	t->doh = doh_new(t->srv->https_path, SERVER_DOH_STREAMS, server_https_query, t);
	return t->doh != NULL;
}

/* Encrypt what nghttp2 has to send; sent now, or at the end of the read being handled. */
static bool server_https_output(struct server_tcp *t)
{
	const uint8_t *p;
	size_t n;
	while (!t->closing && (n = doh_output(t->doh, &p)) > 0)
		if (!tlsframe_write(t->ssl, p, n)) {
			server_tcp_close(t);
			return false;
		}
	if (!t->tls_batch && !server_tls_flush(t))
		return false;
	if (doh_done(t->doh)) { /* GOAWAY both ways, or an error: what is written goes first */
		t->eof = true;
		server_tls_batch_end(t);
		server_tcp_close(t);
		return false;
	}
	return !t->closing;
}

bool server_https_input(struct server_tcp *t)
{
	if (!t->handshaken)
		return true; /* HTTP/2 starts once TLS is up */
	size_t len;
	const uint8_t *held = framer_peek(&t->in, &len);
	if (len) {
		t->doh_in = true; /* nghttp2 may not be asked for output from its callbacks */
		int r = doh_input(t->doh, held, len);
		t->doh_in = false;
		if (t->closing) /* an answer made meanwhile found the connection dead */
			return false;
		framer_skip(&t->in, len);
		if (r < 0) {
			log_debug("https: closing a connection that broke HTTP/2");
			server_https_output(t); /* its GOAWAY */
			server_tls_batch_end(t);
			server_tcp_close(t);
			return false;
		}
	}
	return server_https_output(t);
}

void server_https_send(struct server_tcp *t, int32_t stream, const uint8_t *pkt, size_t len)
{
	if (t->closing)
		return;
	t->last_active = uv_now(t->srv->loop);
	/* The stream may have gone (reset by the client): the answer goes nowhere. */
	if (doh_answer(t->doh, stream, pkt, len, msg_min_ttl(pkt, len)) == 0 && !t->doh_in)
		server_https_output(t);
}
