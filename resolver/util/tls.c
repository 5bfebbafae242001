/*
 * tls.c -- OpenSSL contexts, see tls.h.
 */
#include "util/tls.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

const char *tls_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	if (!e)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* ALPN: the client's list must name ours; a client that names none is served anyway. */
static int tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	const char *alpn = arg;
	unsigned char want[32];
	size_t n = strlen(alpn);
	(void)ssl;
	want[0] = (unsigned char)n;
	memcpy(want + 1, alpn, n);
	unsigned char *sel;
	if (SSL_select_next_proto(&sel, outlen, want, (unsigned)n + 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL; /* RFC 7301: no protocol in common */
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *alpn, char *err,
			size_t errlen)
{
	char why[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "TLS: %s", tls_error(why, sizeof(why)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Idle connections keep no read or write buffers (RFC 7858 clients keep them open). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "%s: cannot use it as a PEM certificate chain: %s", cert,
			 tls_error(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: not the PEM private key of %s: %s", key, cert,
			 tls_error(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_cb, (void *)alpn);
	return ctx;
}

/* A new session (TLS 1.3 sends them after the handshake): into the connection's slot. */
static int tls_new_session(SSL *ssl, SSL_SESSION *session)
{
	SSL_SESSION **slot = SSL_get_app_data(ssl);
	if (!slot)
		return 0; /* OpenSSL frees it */
	SSL_SESSION_free(*slot);
	*slot = session;
	return 1;
}

SSL_CTX *tls_client_ctx(const char *ca_file, char *err, size_t errlen)
{
	char why[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, errlen, "TLS: %s", tls_error(why, sizeof(why)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* A missing system store is no error here: the handshakes will say what they miss. */
	SSL_CTX_set_default_verify_paths(ctx);
	ERR_clear_error();
	if (ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		snprintf(err, errlen, "%s: cannot read it as PEM CA certificates: %s", ca_file,
			 tls_error(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_session_cache_mode(ctx,
				       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, tls_new_session);
	return ctx;
}
