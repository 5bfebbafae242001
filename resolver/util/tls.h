/*
 * tls.h -- OpenSSL contexts for megdns's encrypted listeners.
 *
 * A server context is made once per configuration (state.c) from a certificate chain and
 * its private key, and shared by every worker thread: OpenSSL lets threads make connections
 * from one context, and each connection keeps a reference to the context it was made from,
 * so a reload that brings a new certificate leaves the connections open on the old one.
 */
#ifndef MEGDNS_TLS_H
#define MEGDNS_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

/*
 * A TLS 1.2+ server context for cert (a PEM chain, the server's certificate first) and key
 * (its PEM private key), offering the ALPN protocol alpn ("dot") to clients that ask for it.
 * NULL on error, with "PATH: reason" in err.
 */
SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *alpn, char *err,
			size_t errlen);

/* The reason OpenSSL's error queue holds (emptied), or "unknown error". */
const char *tls_error(char *buf, size_t len);

#endif
