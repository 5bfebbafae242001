/*
 * cachefile.c -- dump and load the answer cache. See cachefile.h.
 *
 * Loading is split in two: cachefile_read parses and checks a whole file into a list without
 * touching any cache (pure, so the unit tests and the fuzzer need no worker), and only a file
 * without a bad line is stored. Lines are read with a bound (the longest line a dump can hold),
 * so a huge or binary file costs neither unbounded memory nor a partial load.
 */
#include "cachefile.h"

#include "answer.h"
#include "cache.h"
#include "msg.h"
#include "validate.h"
#include "worker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CACHEFILE_MAGIC     "megdns-cache 1"
#define CACHEFILE_SCOPE_MAX 64          /* cache.c keeps at most 64 bytes of a view name */
#define CACHEFILE_TTL_MAX   0x7fffffffu /* RFC 2181 section 8 */
#define CACHEFILE_LINE_MAX  (64 + 2 * CACHE_KEY_MAX + 2 * MSG_MAX_UDP)
#define CACHEFILE_WHY       160
#define TYPE_OPT            41
#define TYPE_IXFR           251
#define TYPE_AXFR           252
#define CLASS_IN            1

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

/* ---- reading ---- */

/* A field of an entry line. */
struct cachefile_field {
	const char *s;
	size_t len;
};

/* What a key says (cache_key_make's layout: scope length, scope, name, type, class, flags). */
struct cachefile_key {
	const uint8_t *name;
	size_t name_len;
	uint16_t type, qclass;
	uint8_t flags;
};

/*
 * One line without its newline into buf (cap bytes, NUL-terminated): its length, -1 at the end
 * of the file, -2 when it is longer than cap - 1 bytes or holds a NUL byte.
 */
static long cachefile_getline(FILE *in, char *buf, size_t cap)
{
	size_t n = 0;
	int c;
	while ((c = getc(in)) != EOF && c != '\n') {
		if (n + 1 >= cap || c == 0)
			return -2;
		buf[n++] = (char)c;
	}
	buf[n] = 0;
	return c == EOF && n == 0 ? -1 : (long)n;
}

/* Write the reason a line is bad into why; returns -EINVAL. */
__attribute__((format(printf, 2, 3))) static int cachefile_bad(char *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, CACHEFILE_WHY, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A decimal number of at most max (digits only, no sign, no spaces). */
static bool cachefile_uint(const struct cachefile_field *f, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (f->len == 0 || f->len > 20)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		unsigned d = (unsigned)(f->s[i] - '0');
		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int cachefile_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex of even length into out (cap bytes); the byte count, or -1. */
static long cachefile_unhex(const struct cachefile_field *f, uint8_t *out, size_t cap)
{
	if (f->len % 2 || f->len / 2 > cap)
		return -1;
	for (size_t i = 0; i < f->len / 2; i++) {
		int hi = cachefile_nibble(f->s[2 * i]), lo = cachefile_nibble(f->s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(f->len / 2);
}

/* Split line into exactly n fields separated by single spaces. */
static bool cachefile_split(const char *line, struct cachefile_field *f, size_t n)
{
	const char *p = line;
	for (size_t i = 0; i < n; i++) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == 0 || (i + 1 < n) != (sp != NULL))
			return false;
		f[i].s = p;
		f[i].len = len;
		p += len + 1;
	}
	return true;
}

/* Is the validation byte one a fetch writes: a status, with an EDE only when bogus? */
static bool cachefile_sec_ok(unsigned sec)
{
	unsigned status = sec & 3, ede = sec >> 2; /* fetch.h FETCH_SEC */
	if (status != VALIDATE_BOGUS)
		return ede == 0;
	return ede == 0 || (ede >= 6 && ede <= 12); /* RFC 8914: the DNSSEC codes */
}

static bool cachefile_scope_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* Check the structure of a key; 0, or -EINVAL with the reason in why. */
static int cachefile_key(const uint8_t *k, size_t len, struct cachefile_key *out, char *why)
{
	size_t slen = len ? k[0] : 0;
	if (len == 0)
		return cachefile_bad(why, "key is empty");
	if (slen > CACHEFILE_SCOPE_MAX)
		return cachefile_bad(why,
				     "key claims %zu bytes of scope (a view name has at most %d)",
				     slen, CACHEFILE_SCOPE_MAX);
	if (1 + slen + 1 + 5 > len)
		return cachefile_bad(why,
				     "key claims %zu bytes of scope but %zu bytes follow (scope, "
				     "name, type, class and flags need %zu)",
				     slen, len - 1, slen + 6);
	for (size_t i = 0; i < slen; i++)
		if (!cachefile_scope_char(k[1 + i]))
			return cachefile_bad(why, "key scope is not a view name");
	out->name = k + 1 + slen;
	out->name_len = len - 1 - slen - 5;
	if (msg_name_len(out->name, out->name_len) != out->name_len)
		return cachefile_bad(why, "key name is not a wire name");
	for (size_t i = 0; i < out->name_len; i++)
		if (out->name[i] >= 'A' && out->name[i] <= 'Z')
			return cachefile_bad(why, "key name is not lower-case");
	const uint8_t *t = out->name + out->name_len;
	out->type = msg_get16(t);
	out->qclass = msg_get16(t + 2);
	out->flags = t[4];
	if (out->type == 0 || out->type == TYPE_OPT || out->type == TYPE_IXFR ||
	    out->type == TYPE_AXFR)
		return cachefile_bad(why, "key type %u is never cached", out->type);
	if (out->qclass != CLASS_IN)
		return cachefile_bad(why, "key class %u (only IN is cached)", out->qclass);
	if (out->flags & ~(CACHE_KEY_DO | CACHE_KEY_CD))
		return cachefile_bad(why, "key flags 0x%02x", out->flags);
	return 0;
}

/* The body's header and question: a reply to the key's question with this rcode. */
static int cachefile_question(const uint8_t *b, size_t len, const struct cachefile_key *k,
			      unsigned rcode, char *why)
{
	uint8_t name[MSG_MAX_NAME];
	size_t nlen, pos = MSG_HDR_LEN;
	uint16_t flags = msg_get16(b + 2);
	if (!(flags & MSG_QR) || (flags >> 11 & 0xf) != 0)
		return cachefile_bad(why, "body is not a reply to a query");
	if ((flags & 0xf) != rcode)
		return cachefile_bad(why, "body has rcode %u, the entry says %u", flags & 0xf,
				     rcode);
	if (msg_get16(b + 4) != 1 || msg_name_read(b, len, &pos, name, &nlen) < 0 || pos + 4 > len)
		return cachefile_bad(why, "body has no question");
	if (nlen != k->name_len || memcmp(name, k->name, nlen) || msg_get16(b + pos) != k->type ||
	    msg_get16(b + pos + 2) != k->qclass)
		return cachefile_bad(why, "body answers another question than the key");
	return 0;
}

/*
 * An entry must be one megdns could have stored: a NOERROR or NXDOMAIN reply without TC or AA,
 * whose every record concerns its question (the scrubber, with the root as bailiwick, keeps
 * them all) and none of them cut short. Otherwise a hand-made dump could plant records in
 * the cache that no upstream answer would leave there.
 */
static int cachefile_scrubbed(const uint8_t *b, size_t len, const struct cachefile_key *k,
			      char *why)
{
	static const struct answer_policy pol = {0, CACHEFILE_TTL_MAX};
	uint16_t flags = msg_get16(b + 2);
	if ((flags & 0xf) != MSG_NOERROR && (flags & 0xf) != MSG_NXDOMAIN)
		return cachefile_bad(
		    why, "body has rcode %u (only NOERROR and NXDOMAIN are cached)", flags & 0xf);
	if (flags & (MSG_TC | MSG_AA))
		return cachefile_bad(why, "body has the %s flag set", flags & MSG_TC ? "TC" : "AA");
	struct scrub_question q = {k->name,   k->name_len,         k->type,
				   k->qclass, (const uint8_t *)"", 1};
	struct answer *a = answer_prepare(&pol, &q, b, len);
	if (!a)
		return cachefile_bad(why, "body has a record that does not parse");
	unsigned dropped = a->dropped;
	answer_free(a);
	if (dropped)
		return cachefile_bad(why, "body has %u record(s) that do not concern its question",
				     dropped);
	return 0;
}

/*
 * Check the records of body, note their TTL offsets (offs, *n) and the longest TTL, and count
 * the TTLs down by elapsed seconds.
 */
static int cachefile_records(uint8_t *b, size_t len, uint64_t elapsed, uint16_t *offs, size_t *n,
			     uint32_t *max_ttl, char *why)
{
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	*n = 0;
	*max_ttl = 0;
	if (msg_walk_init(&w, b, len) < 0)
		return cachefile_bad(why, "body has no question");
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		if (rr.type == TYPE_OPT)
			return cachefile_bad(why, "body has an OPT record");
		if (rr.ttl > CACHEFILE_TTL_MAX)
			return cachefile_bad(why, "body has a TTL above 2^31-1");
		if (*n == MSG_MAX_TTL_RR)
			return cachefile_bad(why, "body has more than %d records", MSG_MAX_TTL_RR);
		if (rr.ttl > *max_ttl)
			*max_ttl = rr.ttl;
		msg_put32(b + rr.ttl_off, rr.ttl > elapsed ? rr.ttl - (uint32_t)elapsed : 0);
		offs[(*n)++] = (uint16_t)rr.ttl_off;
	}
	if (r < 0)
		return cachefile_bad(why, "body record %zu does not parse", *n + 1);
	if (w.pos != len)
		return cachefile_bad(why, "body has %zu bytes after its last record", len - w.pos);
	if (*n == 0)
		return cachefile_bad(why, "body has no records (never cached)");
	return 0;
}

/* Scratch space for one entry line. */
struct cachefile_scratch {
	uint8_t key[CACHE_KEY_MAX];
	uint8_t body[MSG_MAX_UDP];
	uint16_t offs[MSG_MAX_TTL_RR];
};

static struct cachefile_entry *cachefile_entry_new(const struct cachefile_scratch *s,
						   size_t key_len, size_t body_len, size_t n)
{
	struct cachefile_entry *e = malloc(sizeof(*e) + n * 2 + key_len + body_len);
	if (!e)
		abort();
	e->ttl_offs = (uint16_t *)(e + 1);
	e->key = (uint8_t *)(e->ttl_offs + n);
	e->body = e->key + key_len;
	memcpy(e->ttl_offs, s->offs, n * 2);
	memcpy(e->key, s->key, key_len);
	memcpy(e->body, s->body, body_len);
	e->key_len = (uint16_t)key_len;
	e->body_len = (uint16_t)body_len;
	e->n_ttl = (uint16_t)n;
	e->next = NULL;
	return e;
}

/*
 * Check one entry line and count its TTLs down by elapsed seconds. Returns 0 with *out the new
 * entry, or NULL when it expired since the dump; or -EINVAL with the reason in why.
 */
static int cachefile_entry(const char *line, uint64_t elapsed, struct cachefile_scratch *s,
			   struct cachefile_entry **out, char *why)
{
	struct cachefile_field f[5];
	struct cachefile_key k = {0};
	uint64_t left, rcode, sec;
	uint32_t max_ttl;
	size_t n;
	*out = NULL;
	if (!cachefile_split(line, f, 5))
		return cachefile_bad(why, "want TTL-LEFT RCODE SEC KEY-HEX BODY-HEX");
	if (!cachefile_uint(&f[0], CACHEFILE_TTL_MAX, &left))
		return cachefile_bad(why, "TTL-LEFT is not a number up to 2^31-1");
	if (!cachefile_uint(&f[1], 15, &rcode))
		return cachefile_bad(why, "RCODE is not a number from 0 to 15");
	if (!cachefile_uint(&f[2], 255, &sec) || !cachefile_sec_ok((unsigned)sec))
		return cachefile_bad(why, "SEC is not a validation status");
	long key_len = cachefile_unhex(&f[3], s->key, sizeof(s->key));
	if (key_len < 0)
		return cachefile_bad(why, "KEY-HEX is not hex of at most %d bytes", CACHE_KEY_MAX);
	long body_len = cachefile_unhex(&f[4], s->body, sizeof(s->body));
	if (body_len < MSG_HDR_LEN)
		return cachefile_bad(why, "BODY-HEX is not hex of 12 to 65535 bytes");
	if (cachefile_key(s->key, (size_t)key_len, &k, why) < 0 ||
	    cachefile_question(s->body, (size_t)body_len, &k, (unsigned)rcode, why) < 0 ||
	    cachefile_records(s->body, (size_t)body_len, elapsed, s->offs, &n, &max_ttl, why) < 0 ||
	    cachefile_scrubbed(s->body, (size_t)body_len, &k, why) < 0)
		return -EINVAL;
	if (left > max_ttl)
		return cachefile_bad(why, "TTL-LEFT %llu is longer than every TTL in the body (%u)",
				     (unsigned long long)left, max_ttl);
	if (left <= elapsed)
		return 0;
	*out = cachefile_entry_new(s, (size_t)key_len, (size_t)body_len, n);
	(*out)->ttl = (uint32_t)(left - elapsed);
	(*out)->rcode = (uint8_t)rcode;
	(*out)->sec = (uint8_t)sec;
	return 0;
}

/* The header line: "megdns-cache 1 DUMP-TIME"; the dump time, or -1. */
static long long cachefile_dumped(const char *line)
{
	struct cachefile_field f[3];
	uint64_t t;
	if (!cachefile_split(line, f, 3) || f[0].len + 1 + f[1].len != strlen(CACHEFILE_MAGIC) ||
	    strncmp(line, CACHEFILE_MAGIC, strlen(CACHEFILE_MAGIC)) ||
	    !cachefile_uint(&f[2], (uint64_t)1 << 62, &t))
		return -1;
	return (long long)t;
}

static int cachefile_lines(FILE *in, const char *name, uint64_t elapsed, size_t max_bytes,
			   char *buf, struct cachefile_list *out, char *err, size_t errlen)
{
	struct cachefile_scratch *s = malloc(sizeof(*s));
	char why[CACHEFILE_WHY];
	long len;
	int r = 0;
	if (!s)
		abort();
	for (size_t lineno = 2;
	     r == 0 && (len = cachefile_getline(in, buf, CACHEFILE_LINE_MAX)) != -1; lineno++) {
		struct cachefile_entry *e = NULL;
		if (len == -2)
			snprintf(why, sizeof(why), "line too long, or not text");
		if (len == -2 || cachefile_entry(buf, elapsed, s, &e, why) < 0) {
			snprintf(err, errlen, "%s:%zu: not a cache entry: %s", name, lineno, why);
			r = -EINVAL;
		} else if (!e) {
			out->expired++;
		} else if (out->bytes + e->key_len + e->body_len > max_bytes) {
			out->skipped++; /* a cache of max_bytes would not hold it */
			free(e);
		} else {
			out->bytes += e->key_len + e->body_len;
			e->next = out->head;
			out->head = e;
			out->count++;
		}
	}
	free(s);
	return r;
}

int cachefile_read(FILE *in, const char *name, time_t now, size_t max_bytes,
		   struct cachefile_list *out, char *err, size_t errlen)
{
	char *buf = malloc(CACHEFILE_LINE_MAX);
	int r = -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!buf)
		abort();
	long long dumped =
	    cachefile_getline(in, buf, CACHEFILE_LINE_MAX) >= 0 ? cachefile_dumped(buf) : -1;
	if (dumped < 0) {
		snprintf(err, errlen, "%s:1: not a megdns cache dump", name);
	} else {
		uint64_t elapsed =
		    (long long)now > dumped ? (uint64_t)((long long)now - dumped) : 0;
		r = cachefile_lines(in, name, elapsed, max_bytes, buf, out, err, errlen);
	}
	if (r == 0 && ferror(in)) {
		snprintf(err, errlen, "%s: read error", name);
		r = -EIO;
	}
	free(buf);
	if (r < 0)
		cachefile_list_free(out);
	return r;
}

size_t cachefile_store(struct cache *c, const struct cachefile_list *l, uint64_t now_ms)
{
	size_t stored = 0;
	for (const struct cachefile_entry *e = l->head; e; e = e->next)
		stored += cache_store(c, e->key, e->key_len, e->body, e->body_len, e->ttl_offs,
				      e->n_ttl, e->ttl, e->rcode, e->sec, now_ms) == 0;
	return stored;
}

void cachefile_list_free(struct cachefile_list *l)
{
	for (struct cachefile_entry *e = l->head, *next; e; e = next) {
		next = e->next;
		free(e);
	}
	memset(l, 0, sizeof(*l));
}

int cachefile_load(struct worker *w, const char *path, time_t now, size_t *loaded, size_t *expired,
		   char *err, size_t errlen)
{
	struct cachefile_list l;
	FILE *in = fopen(path, "r");
	*loaded = *expired = 0;
	if (!in) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	int r = cachefile_read(in, path, now, w->state->cfg->cache_size, &l, err, errlen);
	fclose(in);
	if (r < 0)
		return r;
	*loaded = cachefile_store(w->cache, &l, worker_now(w));
	*expired = l.expired;
	cachefile_list_free(&l);
	return 0;
}
