/*
 * framer.c -- two-byte length framing over a stream. See framer.h.
 */
#include "dns/framer.h"

#include "util/xalloc.h"

#include <errno.h>
#include <string.h>

#define FRAMER_START 1024
#define FRAMER_LOW   512 /* grow when less than this is free */

void framer_init(struct framer *f)
{
	memset(f, 0, sizeof(*f));
}

void framer_close(struct framer *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

void framer_space(struct framer *f, uint8_t **space, size_t *n)
{
	if (f->off) { /* frames handed out are done with: keep only the unread rest */
		memmove(f->buf, f->buf + f->off, f->len - f->off);
		f->len -= f->off;
		f->off = 0;
	}
	if (f->cap - f->len < FRAMER_LOW && f->cap < FRAMER_MAX) {
		size_t cap = f->cap ? f->cap * 2 : FRAMER_START;
		f->cap = cap > FRAMER_MAX ? FRAMER_MAX : cap;
		f->buf = xrealloc(f->buf, f->cap);
	}
	*space = f->buf + f->len;
	*n = f->cap - f->len;
}

void framer_commit(struct framer *f, size_t n)
{
	f->len += n;
}

int framer_next(struct framer *f, const uint8_t **msg, size_t *len)
{
	size_t have = f->len - f->off;
	if (have < 2)
		return 0;
	const uint8_t *p = f->buf + f->off;
	size_t flen = (size_t)p[0] << 8 | p[1];
	if (flen == 0)
		return -EBADMSG;
	if (have < 2 + flen)
		return 0;
	*msg = p + 2;
	*len = flen;
	f->off += 2 + flen;
	return 1;
}

const uint8_t *framer_peek(const struct framer *f, size_t *len)
{
	*len = f->len - f->off;
	return f->buf + f->off;
}

void framer_skip(struct framer *f, size_t n)
{
	f->off += n < f->len - f->off ? n : f->len - f->off;
}

size_t framer_pending(const struct framer *f)
{
	return f->len - f->off;
}

bool framer_incomplete(const struct framer *f)
{
	size_t have = f->len - f->off;
	if (have == 0)
		return false;
	return have < 2 || have < 2 + ((size_t)f->buf[f->off] << 8 | f->buf[f->off + 1]);
}
