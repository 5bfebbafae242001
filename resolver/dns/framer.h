/*
 * framer.h -- DNS messages over a byte stream (RFC 1035 4.2.2, RFC 7766 8): a two-byte length,
 * then that many bytes, repeated.
 *
 * A stream delivers bytes in pieces of any size, so a connection keeps what it has read in a
 * framer: the reader writes into framer_space, commits what arrived, then takes whole frames
 * with framer_next until it says "need more". The buffer starts small (most connections carry
 * one or two queries) and grows only up to one largest frame (2 + 65535 bytes), so a client
 * can make megdns hold at most that much per connection. A zero-length frame is an error: it
 * carries nothing to answer and leaves no way to stay in step. Pure: no I/O, no libuv.
 */
#ifndef MEGDNS_FRAMER_H
#define MEGDNS_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAMER_MAX (2 + 65535)

struct framer {
	uint8_t *buf;
	size_t len; /* bytes held, the first `off` of them already taken as frames */
	size_t off;
	size_t cap;
};

/* An empty framer; framer_close frees its buffer. */
void framer_init(struct framer *f);
void framer_close(struct framer *f);

/*
 * Room for the next read: *space points at free bytes, *n how many (never 0). Takes back the
 * space of frames already handed out and grows the buffer when little is left.
 */
void framer_space(struct framer *f, uint8_t **space, size_t *n);

/* n bytes were written at the space framer_space gave. */
void framer_commit(struct framer *f, size_t n);

/*
 * The next whole frame: returns 1 with *msg and *len set (valid until the next framer_space
 * or framer_close), 0 when the bytes held do not make a whole frame yet, -EBADMSG for a
 * zero-length frame (the stream cannot be read on).
 */
int framer_next(struct framer *f, const uint8_t **msg, size_t *len);

/*
 * The bytes held that framer_next has not handed out yet, without taking them; and dropping
 * n of them from the front (a PROXY header before the first frame).
 */
const uint8_t *framer_peek(const struct framer *f, size_t *len);
void framer_skip(struct framer *f, size_t n);

/* Bytes held that framer_next has not handed out yet. */
size_t framer_pending(const struct framer *f);

/* True when what is held next is the start of a frame that has not fully arrived. */
bool framer_incomplete(const struct framer *f);

#endif
