/*
 * server_tls.c -- DNS over TLS (RFC 7858) on the TCP connections of server.tls listeners.
 *
 * OpenSSL runs on memory BIOs (dns/tlsframe.c, no I/O): the ciphertext libuv reads goes in
 * and the plaintext lands in the connection's framer, where the RFC 7766 framing of
 * server_tcp.c takes it up; what OpenSSL has to send goes out with uv_write. No socket is ever
 * touched by OpenSSL, so a slow or hostile peer blocks nothing but its own connection. Ciphertext
 * is read into one buffer per server (libuv hands it back before the next read), so an idle
 * connection holds only OpenSSL's state, whose buffers SSL_MODE_RELEASE_BUFFERS gives back.
 */
#include "daemon/server_impl.h"
#include "dns/tlsframe.h"
#include "util/log.h"
#include "util/tls.h"
#include "util/xalloc.h"

#include <stdlib.h>

/* Send what OpenSSL has to send. False when the connection had to be closed. */
bool server_tls_flush(struct server_tcp *t)
{
	size_t n;
	while (!t->closing && (n = tlsframe_pending(t->ssl)) > 0) {
		struct server_write *wr = xmalloc(sizeof(*wr) + n);
		size_t got = tlsframe_output(t->ssl, wr->data, n);
		if (!got) {
			free(wr);
			break;
		}
		uv_buf_t b = uv_buf_init((char *)wr->data, (unsigned)got);
		if (uv_write(&wr->req, (uv_stream_t *)&t->handle, &b, 1, server_tcp_write_cb) < 0) {
			free(wr);
			server_tcp_close(t);
			return false;
		}
	}
	return !t->closing;
}

bool server_tls_start(struct server_tcp *t, SSL_CTX *ctx)
{
	t->ssl = tlsframe_new(ctx);
	t->accepted_at = uv_now(t->srv->loop);
	return t->ssl != NULL;
}

/* Why OpenSSL gave up on the connection, for the debug log; its alert goes out first. */
static void server_tls_fail(struct server_tcp *t, const char *when)
{
	char why[256];
	log_debug("tls: closing a connection (%s): %s", when, tls_error(why, sizeof(why)));
	server_tls_flush(t);
	server_tcp_close(t);
}

int server_tls_input(struct server_tcp *t, const uint8_t *data, size_t len)
{
	enum tlsframe_status st = tlsframe_input(t->ssl, &t->handshaken, data, len, &t->in);
	if (st == TLSFRAME_ERROR) {
		server_tls_fail(t, t->handshaken ? "read" : "handshake");
		return -1;
	}
	if (!t->tls_batch && !server_tls_flush(t))
		return -1;
	return st == TLSFRAME_EOF ? 0 : 1;
}

void server_tls_send(struct server_tcp *t, const uint8_t *frame, size_t len)
{
	if (!tlsframe_write(t->ssl, frame, len)) {
		server_tls_fail(t, "write");
		return;
	}
	if (!t->tls_batch) /* answers made while a read is handled leave together at its end */
		server_tls_flush(t);
}

void server_tls_batch_end(struct server_tcp *t)
{
	t->tls_batch = false;
	if (!t->closing)
		server_tls_flush(t);
}
