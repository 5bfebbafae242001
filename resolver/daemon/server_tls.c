/*
 * server_tls.c -- DNS over TLS (RFC 7858) on the TCP connections of server.tls listeners.
 *
 * OpenSSL runs on memory BIOs: the ciphertext libuv reads goes into the connection's read
 * BIO and the plaintext SSL_read makes lands in the connection's framer, where the RFC 7766
 * framing of server_tcp.c takes it up; what SSL_write (and the handshake) leave in the write
 * BIO goes out with uv_write. No socket is ever touched by OpenSSL, so a slow or hostile peer
 * blocks nothing but its own connection. Ciphertext is read into one buffer per server
 * (libuv hands it back before the next read), so an idle connection holds only OpenSSL's
 * state, whose buffers SSL_MODE_RELEASE_BUFFERS gives back.
 */
#include "daemon/server_impl.h"
#include "util/log.h"
#include "util/tls.h"
#include "util/xalloc.h"

#include <openssl/err.h>
#include <string.h>

/* Send what OpenSSL left in the write BIO. False when the connection had to be closed. */
bool server_tls_flush(struct server_tcp *t)
{
	BIO *out = SSL_get_wbio(t->ssl);
	size_t n;
	while (!t->closing && (n = BIO_ctrl_pending(out)) > 0) {
		struct server_write *wr = xmalloc(sizeof(*wr) + n);
		int got = BIO_read(out, wr->data, (int)n);
		if (got <= 0) {
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
	t->ssl = ctx ? SSL_new(ctx) : NULL;
	if (!t->ssl)
		return false;
	BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
	if (!in || !out) {
		BIO_free(in);
		BIO_free(out);
		return false;
	}
	SSL_set_bio(t->ssl, in, out);
	SSL_set_accept_state(t->ssl);
	t->accepted_at = uv_now(t->srv->loop);
	return true;
}

/* Why OpenSSL gave up on the connection, for the debug log. */
static void server_tls_fail(struct server_tcp *t, const char *when)
{
	char why[256];
	log_debug("tls: closing a connection (%s): %s", when, tls_error(why, sizeof(why)));
	server_tcp_close(t);
}

int server_tls_input(struct server_tcp *t, const uint8_t *data, size_t len)
{
	if (BIO_write(SSL_get_rbio(t->ssl), data, (int)len) != (int)len) {
		server_tls_fail(t, "read");
		return -1;
	}
	if (!t->handshaken) {
		int r = SSL_do_handshake(t->ssl);
		if (!server_tls_flush(t))
			return -1;
		if (r != 1) {
			if (SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ)
				return 1;
			server_tls_fail(t, "handshake");
			return -1;
		}
		t->handshaken = true;
	}
	for (;;) {
		uint8_t *space;
		size_t room;
		framer_space(&t->in, &space, &room);
		int r = SSL_read(t->ssl, space, (int)room);
		if (r > 0) {
			framer_commit(&t->in, (size_t)r);
			continue;
		}
		int e = SSL_get_error(t->ssl, r);
		if (!server_tls_flush(t))
			return -1;
		if (e == SSL_ERROR_WANT_READ)
			return 1;
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0; /* close_notify: the client has sent all it will */
		server_tls_fail(t, "read");
		return -1;
	}
}

void server_tls_send(struct server_tcp *t, const uint8_t *frame, size_t len)
{
	if (SSL_write(t->ssl, frame, (int)len) != (int)len) {
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
