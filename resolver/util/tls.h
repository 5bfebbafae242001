/*
 * tls.h -- OpenSSL contexts for megdns's encrypted listeners and upstreams.
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

/*
 * A TLS 1.2+ client context for upstreams: certificates are checked against the system's CA
 * store and ca_file's (PEM, NULL: none). OpenSSL keeps no sessions itself: a connection whose
 * app data (SSL_set_app_data) is a SSL_SESSION ** gets its newest session stored there (the
 * reference is the slot's), so each upstream resumes its own server's session. NULL on error,
 * with "PATH: reason" in err.
 */
SSL_CTX *tls_client_ctx(const char *ca_file, char *err, size_t errlen);

/* The reason OpenSSL's error queue holds (emptied), or "unknown error". */
const char *tls_error(char *buf, size_t len);

#endif
