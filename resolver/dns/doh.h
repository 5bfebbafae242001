/*
 * doh.h -- DNS over HTTPS (RFC 8484) without I/O: the server side of one HTTP/2 connection.
 *
 * nghttp2 does HTTP/2; this file turns its requests into DNS queries and DNS answers into
 * responses. The caller feeds the plaintext the TLS layer decrypted with doh_input and sends
 * what doh_output gives after each call. A request is GET PATH?dns=BASE64URL or POST PATH with
 * an application/dns-message body; the query goes up through the callback with the stream it
 * came on, and doh_answer sends the answer there (200, application/dns-message, cache-control
 * max-age from the answer's TTLs). Requests are refused here without a query: 404 another path,
 * 405 another method, 400 no or bad dns parameter, a message shorter than a DNS header,
 * 413 a message over 65535 bytes, 415 a POST whose content-type is not
 * application/dns-message, 503 when the connection's streams hold DOH_MAX_HELD bytes already.
 * Streams per connection are limited (SETTINGS_MAX_CONCURRENT_STREAMS), and so are header lists.
 */
#ifndef MEGDNS_DOH_H
#define MEGDNS_DOH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct doh;

/* A query arrived on stream (msg valid during the call only). */
typedef void (*doh_query_cb)(void *ud, int32_t stream, const uint8_t *msg, size_t len);

#define DOH_MAX_MSG  65535
#define DOH_MAX_HELD (256u << 10) /* message bytes the streams of a connection may hold */

/* A connection serving path ("/dns-query"), or NULL (no memory). doh_free frees it. */
struct doh *doh_new(const char *path, uint32_t max_streams, doh_query_cb cb, void *ud);
void doh_free(struct doh *d);

/* Plaintext from the client: 0, or -EPROTO when HTTP/2 cannot go on (send the output, close). */
int doh_input(struct doh *d, const uint8_t *data, size_t len);

/*
 * The answer to the query of stream, with max-age seconds of caching; 0, or -ENOENT when the
 * stream has gone (the client reset it), -ENOMEM.
 */
int doh_answer(struct doh *d, int32_t stream, const uint8_t *msg, size_t len, uint32_t max_age);

/* The next bytes to send (*out valid until the next call into d), 0 when there are none. */
size_t doh_output(struct doh *d, const uint8_t **out);

/* Has the connection ended (GOAWAY sent and received, or an error)? Then close it. */
bool doh_done(const struct doh *d);

#endif
