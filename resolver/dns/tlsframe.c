/*
 * tlsframe.c -- DNS over TLS on memory BIOs, see tlsframe.h.
 */
#include "dns/tlsframe.h"

#include <limits.h>
#include <openssl/err.h>

/* A connection of ctx on a pair of memory BIOs, or NULL. */
static SSL *tlsframe_ssl(SSL_CTX *ctx)
{
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	if (!ssl)
		return NULL;
	BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
	if (!in || !out) {
		BIO_free(in);
		BIO_free(out);
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_bio(ssl, in, out);
	return ssl;
}

SSL *tlsframe_new(SSL_CTX *ctx)
{
	SSL *ssl = tlsframe_ssl(ctx);
	if (ssl)
		SSL_set_accept_state(ssl);
	return ssl;
}

SSL *tlsframe_client(SSL_CTX *ctx, const char *host, SSL_SESSION *session)
{
	static const unsigned char alpn[] = {3, 'd', 'o', 't'};
	SSL *ssl = tlsframe_ssl(ctx);
	if (!ssl)
		return NULL;
	SSL_set_connect_state(ssl);
	/* SSL_set_alpn_protos returns 0 on success, unlike the rest of the API. */
	if (SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1 ||
	    SSL_set_alpn_protos(ssl, alpn, sizeof(alpn)) != 0 ||
	    (session && SSL_set_session(ssl, session) != 1)) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

enum tlsframe_status tlsframe_input(SSL *ssl, bool *handshaken, const uint8_t *data, size_t len,
				    struct framer *in)
{
	/* SSL_get_error reads the thread's error queue: what another connection left there
	 * would make this one's WANT_READ look like a failure. */
	ERR_clear_error();
	if (len > INT_MAX || (len && BIO_write(SSL_get_rbio(ssl), data, (int)len) != (int)len))
		return TLSFRAME_ERROR;
	if (!*handshaken) {
		int r = SSL_do_handshake(ssl);
		if (r != 1)
			return SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ ? TLSFRAME_MORE
									    : TLSFRAME_ERROR;
		*handshaken = true;
	}
	for (;;) {
		uint8_t *space;
		size_t room;
		framer_space(in, &space, &room);
		int r = SSL_read(ssl, space, room > INT_MAX ? INT_MAX : (int)room);
		if (r > 0) {
			framer_commit(in, (size_t)r);
			continue;
		}
		int e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			return TLSFRAME_MORE;
		return e == SSL_ERROR_ZERO_RETURN ? TLSFRAME_EOF : TLSFRAME_ERROR;
	}
}

size_t tlsframe_pending(SSL *ssl)
{
	return BIO_ctrl_pending(SSL_get_wbio(ssl));
}

size_t tlsframe_output(SSL *ssl, uint8_t *out, size_t cap)
{
	int got = BIO_read(SSL_get_wbio(ssl), out, cap > INT_MAX ? INT_MAX : (int)cap);
	return got > 0 ? (size_t)got : 0;
}

bool tlsframe_write(SSL *ssl, const uint8_t *data, size_t len)
{
	ERR_clear_error();
	return len <= INT_MAX && SSL_write(ssl, data, (int)len) == (int)len;
}
