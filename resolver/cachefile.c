/*
 * cachefile.c -- dump and load the answer cache. See cachefile.h.
 */
#include "cachefile.h"

#include "cache.h"
#include "msg.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CACHEFILE_MAGIC "megdns-cache 1"

struct cachefile_dump {
	FILE *out;
	uint64_t now_ms;
	size_t written;
};

static void cachefile_hex(FILE *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", p[i]);
}

static void cachefile_dump_cb(void *ud, const uint8_t *key, size_t key_len,
			      const struct cache_entry *e)
{
	struct cachefile_dump *d = ud;
	if (e->expire_ms <= d->now_ms)
		return;
	uint8_t body[MSG_MAX_UDP];
	uint32_t elapsed = (uint32_t)((d->now_ms - e->stored_ms) / 1000);
	memcpy(body, e->body, e->body_len);
	for (size_t i = 0; i < e->n_ttl; i++) {
		uint32_t t = msg_get32(body + e->ttl_offs[i]);
		msg_put32(body + e->ttl_offs[i], t > elapsed ? t - elapsed : 0);
	}
	fprintf(d->out, "%llu %u %u ", (unsigned long long)((e->expire_ms - d->now_ms) / 1000),
		e->rcode, e->sec);
	cachefile_hex(d->out, key, key_len);
	fputc(' ', d->out);
	cachefile_hex(d->out, body, e->body_len);
	fputc('\n', d->out);
	d->written++;
}

void cachefile_header(FILE *out, time_t now)
{
	fprintf(out, "%s %lld\n", CACHEFILE_MAGIC, (long long)now);
}

size_t cachefile_dump(struct worker *w, FILE *out)
{
	struct cachefile_dump d = {out, worker_now(w), 0};
	cache_walk(w->cache, cachefile_dump_cb, &d);
	return d.written;
}

/* Decode hex text of even length into out (cap bytes); returns the length or -1. */
static long cachefile_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t len = strlen(hex);
	if (len % 2 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(len / 2);
}

/* Store one entry line, counting its TTLs down by elapsed seconds. 1 stored, 0 expired, -1 bad. */
static int cachefile_entry(struct worker *w, char *line, uint64_t elapsed)
{
	static uint8_t body[MSG_MAX_UDP];
	uint8_t key[CACHE_KEY_MAX];
	uint16_t offs[MSG_MAX_TTL_RR];
	unsigned long long left;
	unsigned rcode, sec;
	char keyhex[2 * CACHE_KEY_MAX + 4], *bodyhex = malloc(strlen(line) + 1);
	int r = -1;
	if (!bodyhex)
		abort();
	if (sscanf(line, "%llu %u %u %652s %s", &left, &rcode, &sec, keyhex, bodyhex) != 5)
		goto out;
	long key_len = cachefile_unhex(keyhex, key, sizeof(key));
	long body_len = cachefile_unhex(bodyhex, body, sizeof(body));
	struct msg_walk walk;
	struct msg_rr rr;
	size_t n = 0;
	int more;
	if (key_len <= 0 || body_len < MSG_HDR_LEN || msg_walk_init(&walk, body, (size_t)body_len))
		goto out;
	while ((more = msg_walk_next(&walk, &rr)) > 0 && n < MSG_MAX_TTL_RR) {
		msg_put32(body + rr.ttl_off, rr.ttl > elapsed ? rr.ttl - (uint32_t)elapsed : 0);
		offs[n++] = (uint16_t)rr.ttl_off;
	}
	if (more != 0)
		goto out;
	r = 0;
	if (left > elapsed)
		r = cache_store(w->cache, key, (size_t)key_len, body, (size_t)body_len, offs, n,
				(uint32_t)(left - elapsed), (uint8_t)rcode, (uint8_t)sec,
				worker_now(w)) == 0;
out:
	free(bodyhex);
	return r;
}

int cachefile_load(struct worker *w, const char *path, time_t now, size_t *loaded, size_t *expired,
		   char *err, size_t errlen)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 1;
	long long dumped = 0;
	int r = 0;
	*loaded = *expired = 0;
	if (!in) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (getline(&line, &cap, in) < 0 || sscanf(line, CACHEFILE_MAGIC " %lld", &dumped) != 1) {
		snprintf(err, errlen, "%s:1: not a megdns cache dump", path);
		r = -EINVAL;
	}
	uint64_t elapsed = now > dumped ? (uint64_t)(now - dumped) : 0;
	while (r == 0 && getline(&line, &cap, in) > 0) {
		lineno++;
		int e = cachefile_entry(w, line, elapsed);
		if (e < 0) {
			snprintf(err, errlen, "%s:%zu: not a cache entry", path, lineno);
			r = -EINVAL;
		} else if (e > 0) {
			(*loaded)++;
		} else {
			(*expired)++;
		}
	}
	free(line);
	fclose(in);
	return r;
}
