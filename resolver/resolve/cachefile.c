/*
 * cachefile.c -- dump and load the answer cache. See cachefile.h.
 *
 * Loading is split in two: cachefile_read parses and checks a whole file into a list without
 * touching any cache (pure, so the unit tests and the fuzzer need no worker), and only a file
 * without a bad line is stored. Lines are read with a bound (the longest line a dump can hold),
 * so a huge or binary file costs neither unbounded memory nor a partial load. Records are
 * printed by ldns and parsed back by zonefile.c; an entry's message is rebuilt with ldns and
 * then checked byte by byte exactly as the cache's own bodies would be.
 */
#include "resolve/cachefile.h"

#include "resolve/answer.h"
#include "resolve/deleg.h"
#include "dns/cache.h"
#include "dns/msg.h"
#include "dns/pkt.h"
#include "dns/zonefile.h"
#include "util/xalloc.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CACHEFILE_MAGIC     "megdns-cache 2"
#define CACHEFILE_SCOPE_MAX 64          /* cache.c keeps at most 64 bytes of a view name */
#define CACHEFILE_TTL_MAX   0x7fffffffu /* RFC 2181 section 8 */
/* The longest line: a record of 64 KiB of data as \# hex, or TXT with every byte escaped. */
#define CACHEFILE_LINE_MAX (4 * MSG_MAX_UDP + 1024)
#define CACHEFILE_WHY      160
#define TYPE_OPT           41
#define TYPE_IXFR          251
#define TYPE_AXFR          252
#define CLASS_IN           1

static const char *const cachefile_sec_names[4] = {"unchecked", "insecure", "secure", "bogus"};
static const char *const cachefile_sections[3] = {"", "$AUTHORITY", "$ADDITIONAL"};

struct cachefile_dump {
	FILE *out;
	uint64_t now_ms;
	size_t written;
};

/* The $ENTRY line of an entry: its question, TTL left and what the key and flags say. */
static void cachefile_entry_line(FILE *out, const uint8_t *key, size_t key_len, uint32_t left,
				 const struct cache_entry *e, uint16_t hdr)
{
	size_t slen = key[0], nlen = key_len - 1 - slen - 5;
	const uint8_t *name = key + 1 + slen, *t = name + nlen;
	char text[MSG_MAX_NAME * 4 + 1];
	uint8_t flags = t[4];
	const char *fl = flags & CACHE_KEY_DELEG                            ? "deleg"
			 : (flags & CACHE_KEY_DO) && (flags & CACHE_KEY_CD) ? "do,cd"
			 : flags & CACHE_KEY_DO                             ? "do"
			 : flags & CACHE_KEY_CD                             ? "cd"
									    : "-";
	ldns_lookup_table *rc = ldns_lookup_by_id(ldns_rcodes, e->rcode);
	fprintf(out, "$ENTRY %s %s ttl=%u scope=%s%.*s flags=%s rcode=%s dnssec=%s",
		msg_name_to_str(name, nlen, text, sizeof(text)), msg_type_str(msg_get16(t)), left,
		slen ? "view:" : "shared", (int)slen, (const char *)key + 1, fl,
		rc ? rc->name : "?", cachefile_sec_names[CACHE_SEC_STATUS(e->sec)]);
	if (CACHE_SEC_STATUS(e->sec) == CACHE_BOGUS && CACHE_SEC_EDE(e->sec))
		fprintf(out, ":%u", CACHE_SEC_EDE(e->sec));
	fprintf(out, " hdr=0x%04x\n", hdr);
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
	ldns_pkt *p = pkt_from_wire(body, e->body_len, NULL, NULL);
	if (!p)
		return; /* the cache holds only what parsed; nothing to write otherwise */
	cachefile_entry_line(d->out, key, key_len, (uint32_t)((e->expire_ms - d->now_ms) / 1000), e,
			     msg_get16(body + 2));
	const ldns_rr_list *secs[3] = {ldns_pkt_answer(p), ldns_pkt_authority(p),
				       ldns_pkt_additional(p)};
	for (size_t s = 0; s < 3; s++) {
		if (s && ldns_rr_list_rr_count(secs[s]))
			fprintf(d->out, "%s\n", cachefile_sections[s]);
		for (size_t i = 0; i < ldns_rr_list_rr_count(secs[s]); i++) {
			char *t = ldns_rr2str(ldns_rr_list_rr(secs[s], i));
			fputs(t ? t : "; (record could not be printed)\n", d->out);
			free(t);
		}
	}
	ldns_pkt_free(p);
	d->written++;
}

void cachefile_header(FILE *out, time_t now)
{
	fprintf(out,
		"%s %lld\n"
		"; megdns cache dump: megdns-control load-cache FILE reads it back.\n"
		"; Each entry is a $ENTRY line (question, seconds left, view scope, DO/CD, rcode,\n"
		"; DNSSEC status, header flags), then its answer records in zone-file format with\n"
		"; the TTLs left at the dump, then $AUTHORITY and $ADDITIONAL records.\n",
		CACHEFILE_MAGIC, (long long)now);
}

size_t cachefile_dump(struct cache *c, uint64_t now_ms, FILE *out)
{
	struct cachefile_dump d = {out, now_ms, 0};
	cache_walk(c, cachefile_dump_cb, &d);
	return d.written;
}

/* ---- reading ---- */

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

/* Is the validation byte one a fetch writes: a status, with an EDE only when bogus? */
static bool cachefile_sec_ok(unsigned sec)
{
	unsigned status = CACHE_SEC_STATUS(sec), ede = CACHE_SEC_EDE(sec);
	if (status != CACHE_BOGUS)
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
	if (out->flags & ~(CACHE_KEY_DO | CACHE_KEY_CD | CACHE_KEY_DELEG) ||
	    ((out->flags & CACHE_KEY_DELEG) && (out->flags != CACHE_KEY_DELEG || out->type != 2)))
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
 * A delegation (deleg.h) must be one megdns writes: the cut's NS records and glue for them,
 * nothing else (no glue for other names, no answer). Anything else is an answer, checked as
 * such.
 */
static int cachefile_checked(const uint8_t *b, size_t len, const struct cachefile_key *k, char *why)
{
	if (!(k->flags & CACHE_KEY_DELEG))
		return cachefile_scrubbed(b, len, k, why);
	if (!deleg_only(b, len))
		return cachefile_bad(why, "delegation holds more than NS records and their glue");
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
	struct cachefile_entry *e = xmalloc(sizeof(*e) + n * 2 + key_len + body_len);
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

/* An entry being read: its $ENTRY line's fields and the records that followed. */
struct cachefile_open {
	int line; /* of the $ENTRY line */
	uint8_t lname[MSG_MAX_NAME];
	size_t lname_len;
	uint16_t type;
	uint32_t left;
	char scope[CACHEFILE_SCOPE_MAX + 1];
	uint8_t flags, rcode, sec;
	uint16_t hdr;
	ldns_rr_list *rrs[3]; /* answer, authority, additional */
	int section;
	size_t n_rrs;
};

/* A decimal number of at most max (digits only, no sign). */
static bool cachefile_uint(const char *t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*t || strlen(t) > 20)
		return false;
	for (; *t; t++) {
		unsigned d = (unsigned)(*t - '0');
		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool cachefile_flags(const char *t, uint8_t *out)
{
	*out = !strcmp(t, "do,cd")   ? CACHE_KEY_DO | CACHE_KEY_CD
	       : !strcmp(t, "do")    ? CACHE_KEY_DO
	       : !strcmp(t, "cd")    ? CACHE_KEY_CD
	       : !strcmp(t, "deleg") ? CACHE_KEY_DELEG
				     : 0;
	return *out || !strcmp(t, "-");
}

/* "secure", "bogus" or "bogus:9" into the validation byte (cache.h's CACHE_SEC layout). */
static bool cachefile_dnssec(const char *t, uint8_t *out)
{
	for (unsigned st = 0; st < 4; st++) {
		size_t n = strlen(cachefile_sec_names[st]);
		uint64_t ede = 0;
		if (strncmp(t, cachefile_sec_names[st], n) ||
		    (t[n] && (t[n] != ':' || !cachefile_uint(t + n + 1, 63, &ede))))
			continue;
		*out = (uint8_t)(st | ede << 2);
		return cachefile_sec_ok(*out);
	}
	return false;
}

static bool cachefile_hdr(const char *t, uint16_t *out)
{
	char *end;
	if (strncmp(t, "0x", 2) || strlen(t) != 6)
		return false;
	unsigned long v = strtoul(t + 2, &end, 16);
	*out = (uint16_t)v;
	return *end == 0;
}

/* One key=value field of a $ENTRY line into o; which fields were seen goes into *seen. */
static int cachefile_field(char *f, struct cachefile_open *o, unsigned *seen, char *why)
{
	static const char *const keys[] = {"ttl", "scope", "flags", "rcode", "dnssec", "hdr"};
	char *v = strchr(f, '=');
	unsigned k = 0;
	if (v)
		*v++ = 0;
	while (k < 6 && (!v || strcmp(f, keys[k])))
		k++;
	if (k == 6 || (*seen & 1u << k))
		return cachefile_bad(why,
				     "'%s' is not a field, or is given twice (want ttl= scope= "
				     "flags= rcode= dnssec= hdr=)",
				     f);
	*seen |= 1u << k;
	uint64_t n = 0;
	ldns_lookup_table *rc;
	switch (k) {
	case 0:
		if (!cachefile_uint(v, CACHEFILE_TTL_MAX, &n))
			return cachefile_bad(why, "ttl is not a number up to 2^31-1");
		o->left = (uint32_t)n;
		return 0;
	case 1:
		if (!strcmp(v, "shared"))
			o->scope[0] = 0;
		else if (strncmp(v, "view:", 5) || !v[5] || strlen(v + 5) > CACHEFILE_SCOPE_MAX)
			return cachefile_bad(why,
					     "scope is not 'shared' or 'view:NAME' (at most %d "
					     "bytes)",
					     CACHEFILE_SCOPE_MAX);
		else
			snprintf(o->scope, sizeof(o->scope), "%s", v + 5);
		return 0;
	case 2:
		return cachefile_flags(v, &o->flags)
			   ? 0
			   : cachefile_bad(why, "flags is not '-', 'do', 'cd' or 'do,cd'");
	case 3:
		rc = ldns_lookup_by_name(ldns_rcodes, v);
		if (!rc || rc->id < 0 || rc->id > 15)
			return cachefile_bad(why, "rcode '%s' is not an rcode name", v);
		o->rcode = (uint8_t)rc->id;
		return 0;
	case 4:
		return cachefile_dnssec(v, &o->sec)
			   ? 0
			   : cachefile_bad(why, "dnssec is not unchecked, insecure, secure or "
						"bogus[:EDE 6-12]");
	default:
		return cachefile_hdr(v, &o->hdr)
			   ? 0
			   : cachefile_bad(why, "hdr is not 0x and 4 hex digits");
	}
}

/* "$ENTRY NAME TYPE field=value..." into o. */
static int cachefile_open_entry(char *line, int lineno, struct cachefile_open *o, char *why)
{
	char *save = NULL, *name = strtok_r(line + 6, " \t", &save);
	char *type = name ? strtok_r(NULL, " \t", &save) : NULL;
	memset(o, 0, sizeof(*o));
	o->line = lineno;
	if (!type)
		return cachefile_bad(why, "$ENTRY needs NAME TYPE and its fields");
	if (msg_name_from_str(name, o->lname, &o->lname_len) < 0)
		return cachefile_bad(why, "'%s' is not a domain name", name);
	o->type = ldns_get_rr_type_by_name(type);
	if (o->type == 0)
		return cachefile_bad(why, "'%s' is not a record type", type);
	unsigned seen = 0;
	for (char *f; (f = strtok_r(NULL, " \t", &save));)
		if (cachefile_field(f, o, &seen, why) < 0)
			return -EINVAL;
	if (seen != 0x3f)
		return cachefile_bad(why, "$ENTRY lacks a field (want ttl= scope= flags= rcode= "
					  "dnssec= hdr=)");
	for (int s = 0; s < 3; s++)
		o->rrs[s] = ldns_rr_list_new();
	return 0;
}

static void cachefile_open_free(struct cachefile_open *o)
{
	for (int s = 0; s < 3; s++)
		ldns_rr_list_deep_free(o->rrs[s]);
	memset(o->rrs, 0, sizeof(o->rrs));
}

/* The body of o as the cache holds it: header (ID 0, o's flags), question, its records. */
static int cachefile_wire(const struct cachefile_open *o, struct cachefile_scratch *s, size_t *len,
			  char *why)
{
	ldns_pkt *p = xcheck(ldns_pkt_new());
	ldns_rr *q = xcheck(ldns_rr_new());
	ldns_rr_set_owner(q, ldns_dname_new_frm_data((uint16_t)o->lname_len, o->lname));
	ldns_rr_set_type(q, o->type);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	static const ldns_pkt_section secs[3] = {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
						 LDNS_SECTION_ADDITIONAL};
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < ldns_rr_list_rr_count(o->rrs[i]); j++)
			ldns_pkt_push_rr(p, secs[i], ldns_rr_clone(ldns_rr_list_rr(o->rrs[i], j)));
	uint8_t *wire = NULL;
	size_t n = 0;
	ldns_status st = ldns_pkt2wire(&wire, p, &n);
	ldns_pkt_free(p);
	int r = 0;
	if (st != LDNS_STATUS_OK || n > sizeof(s->body))
		r = cachefile_bad(why, "the entry does not fit a DNS message");
	else
		memcpy(s->body, wire, n);
	free(wire);
	if (r == 0) {
		msg_put16(s->body, 0);
		msg_put16(s->body + 2, o->hdr);
		*len = n;
	}
	return r;
}

/*
 * The entry o is complete: build and check it as strictly as the cache would have made it,
 * and count its TTLs down by elapsed seconds. Returns 0 with *out the new entry, or NULL when
 * it expired since the dump; or -EINVAL with the reason in why.
 */
static int cachefile_close_entry(const struct cachefile_open *o, uint64_t elapsed,
				 struct cachefile_scratch *s, struct cachefile_entry **out,
				 char *why)
{
	struct cachefile_key k = {0};
	uint32_t max_ttl;
	size_t n, body_len = 0;
	*out = NULL;
	size_t key_len =
	    cache_key_make(s->key, o->scope, o->lname, o->lname_len, o->type, CLASS_IN, o->flags);
	if (cachefile_key(s->key, key_len, &k, why) < 0 ||
	    cachefile_wire(o, s, &body_len, why) < 0 ||
	    cachefile_question(s->body, body_len, &k, o->rcode, why) < 0 ||
	    cachefile_records(s->body, body_len, elapsed, s->offs, &n, &max_ttl, why) < 0 ||
	    cachefile_checked(s->body, body_len, &k, why) < 0)
		return -EINVAL;
	if (o->left > max_ttl)
		return cachefile_bad(why, "ttl=%u is longer than every TTL of its records (%u)",
				     o->left, max_ttl);
	if (o->left <= elapsed)
		return 0;
	*out = cachefile_entry_new(s, key_len, body_len, n);
	(*out)->ttl = (uint32_t)(o->left - elapsed);
	(*out)->rcode = o->rcode;
	(*out)->sec = o->sec; /* the dump keeps no rebinding mark: it comes from the records */
	if (msg_answer_private(s->body, body_len))
		(*out)->sec |= CACHE_SEC_PRIVATE;
	return 0;
}

/* The header line: "megdns-cache 2 DUMP-TIME"; the dump time, or -1. */
static long long cachefile_dumped(const char *line)
{
	size_t m = strlen(CACHEFILE_MAGIC);
	uint64_t t;
	if (strncmp(line, CACHEFILE_MAGIC, m) || line[m] != ' ' ||
	    !cachefile_uint(line + m + 1, (uint64_t)1 << 62, &t))
		return -1;
	return (long long)t;
}

/* Reading state: the list so far, the entry being read, the bounds. */
struct cachefile_reader {
	struct cachefile_list *out;
	struct cachefile_scratch *s;
	struct cachefile_open o;
	bool open;
	uint64_t elapsed;
	size_t max_bytes;
	char why[CACHEFILE_WHY];
	int why_line;
};

/* Finish the open entry, if any, into the list. */
static int cachefile_flush(struct cachefile_reader *R)
{
	if (!R->open)
		return 0;
	struct cachefile_entry *e = NULL;
	R->open = false;
	int r = cachefile_close_entry(&R->o, R->elapsed, R->s, &e, R->why);
	R->why_line = R->o.line;
	cachefile_open_free(&R->o);
	if (r < 0)
		return r;
	struct cachefile_list *l = R->out;
	if (!e) {
		l->expired++;
	} else if (l->bytes + e->key_len + e->body_len > R->max_bytes) {
		l->skipped++; /* a cache of max_bytes would not hold it */
		free(e);
	} else {
		l->bytes += e->key_len + e->body_len;
		e->next = l->head;
		l->head = e;
		l->count++;
	}
	return 0;
}

/* One line after the header: a comment, $ENTRY, a section marker or a record. */
static int cachefile_line(struct cachefile_reader *R, char *line, int lineno)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		line[--n] = 0;
	const char *p = line + strspn(line, " \t");
	R->why_line = lineno;
	if (!*p || *p == ';')
		return 0;
	if (!strncmp(p, "$ENTRY", 6) && (p[6] == ' ' || p[6] == '\t')) {
		int r = cachefile_flush(R);
		if (r < 0)
			return r;
		R->why_line = lineno;
		r = cachefile_open_entry(line + (p - line), lineno, &R->o, R->why);
		if (r < 0) {
			cachefile_open_free(&R->o);
			return r;
		}
		R->open = true;
		return 0;
	}
	if (!R->open)
		return cachefile_bad(R->why, "a record or section before the first $ENTRY");
	for (int s = 1; s < 3; s++)
		if (!strcmp(p, cachefile_sections[s])) {
			if (s <= R->o.section)
				return cachefile_bad(R->why, "%s out of order, or twice",
						     cachefile_sections[s]);
			R->o.section = s;
			return 0;
		}
	if (++R->o.n_rrs > MSG_MAX_TTL_RR)
		return cachefile_bad(R->why, "the entry has more than %d records", MSG_MAX_TTL_RR);
	ldns_rr *rr = NULL;
	char e[CACHEFILE_WHY];
	if (zonefile_parse_record(p, &rr, e, sizeof(e)) < 0)
		return cachefile_bad(R->why, "not a record: %s", e);
	ldns_rr_list_push_rr(R->o.rrs[R->o.section], rr);
	return 0;
}

static int cachefile_lines(FILE *in, const char *name, struct cachefile_reader *R, char *buf,
			   char *err, size_t errlen)
{
	long len;
	int r = 0, lineno = 2;
	for (; r == 0 && (len = cachefile_getline(in, buf, CACHEFILE_LINE_MAX)) != -1; lineno++) {
		if (len == -2) {
			R->why_line = lineno;
			r = cachefile_bad(R->why, "line too long, or not text");
		} else {
			r = cachefile_line(R, buf, lineno);
		}
	}
	if (r == 0)
		r = cachefile_flush(R);
	if (R->open)
		cachefile_open_free(&R->o);
	if (r < 0)
		snprintf(err, errlen, "%s:%d: not a cache entry: %s", name, R->why_line, R->why);
	return r;
}

int cachefile_read(FILE *in, const char *name, time_t now, size_t max_bytes,
		   struct cachefile_list *out, char *err, size_t errlen)
{
	char *buf = xmalloc(CACHEFILE_LINE_MAX);
	int r = -EINVAL;
	memset(out, 0, sizeof(*out));
	long long dumped =
	    cachefile_getline(in, buf, CACHEFILE_LINE_MAX) >= 0 ? cachefile_dumped(buf) : -1;
	if (dumped < 0) {
		snprintf(err, errlen, "%s:1: not a megdns cache dump (want '%s TIME')", name,
			 CACHEFILE_MAGIC);
	} else {
		struct cachefile_reader R = {.out = out, .max_bytes = max_bytes};
		R.elapsed = (long long)now > dumped ? (uint64_t)((long long)now - dumped) : 0;
		R.s = xmalloc(sizeof(*R.s));
		r = cachefile_lines(in, name, &R, buf, err, errlen);
		free(R.s);
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

int cachefile_load(struct cache *c, uint64_t now_ms, size_t max_bytes, const char *path, time_t now,
		   size_t *loaded, size_t *expired, char *err, size_t errlen)
{
	struct cachefile_list l;
	FILE *in = fopen(path, "r");
	*loaded = *expired = 0;
	if (!in) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	int r = cachefile_read(in, path, now, max_bytes, &l, err, errlen);
	fclose(in);
	if (r < 0)
		return r;
	*loaded = cachefile_store(c, &l, now_ms);
	*expired = l.expired;
	cachefile_list_free(&l);
	return 0;
}
