/*
 * tlsframe.h -- DNS over TLS without I/O: an OpenSSL connection (server or client) on memory
 * BIOs between the ciphertext a stream delivers and the DNS frames (framer.h) it carries.
 *
 * The caller feeds what it read with tlsframe_input, which runs the handshake and decrypts
 * into the framer; it takes what OpenSSL has to send (handshake records, alerts, encrypted
 * answers) with tlsframe_output after each call and writes it itself. Nothing here touches a
 * socket or a loop, so the whole of it can be fuzzed (fuzz_tls).
 */
#ifndef MEGDNS_TLSFRAME_H
#define MEGDNS_TLSFRAME_H

#include "dns/framer.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tlsframe_status {
	TLSFRAME_ERROR = -1, /* bad TLS, a failed handshake: send the output (an alert), close */
	TLSFRAME_EOF = 0,    /* the client sent close_notify: it will send no more */
	TLSFRAME_MORE = 1,   /* go on reading */
};

/* A server connection of ctx on memory BIOs, or NULL. SSL_free it. */
SSL *tlsframe_new(SSL_CTX *ctx);

/*
 * A client connection of ctx on memory BIOs to a server whose certificate must be valid for
 * host (also sent as SNI), offering ALPN "dot", resuming session if not NULL; or NULL.
 * Start the handshake with tlsframe_input(ssl, &handshaken, NULL, 0, in) and send the output.
 */
SSL *tlsframe_client(SSL_CTX *ctx, const char *host, SSL_SESSION *session);

/*
 * Ciphertext read: run the handshake while *handshaken is false (it becomes true when done),
 * then decrypt every whole record into in.
 */
enum tlsframe_status tlsframe_input(SSL *ssl, bool *handshaken, const uint8_t *data, size_t len,
				    struct framer *in);

/* Bytes OpenSSL has to send, and taking up to cap of them into out (returns how many). */
size_t tlsframe_pending(SSL *ssl);
size_t tlsframe_output(SSL *ssl, uint8_t *out, size_t cap);

/* Encrypt len bytes (a whole frame); false when the connection cannot take them. */
bool tlsframe_write(SSL *ssl, const uint8_t *data, size_t len);

#endif
