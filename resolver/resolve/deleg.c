/*
 * deleg.c -- delegations kept in the answer cache. See deleg.h.
 */
#include "resolve/deleg.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define TYPE_A    1
#define TYPE_NS   2
#define TYPE_AAAA 28
#define CLASS_IN  1

#define DELEG_MAX_TTLS (ITERATE_MAX_NS * (1 + ITERATE_MAX_GLUE))

size_t deleg_key(uint8_t *out, const char *scope, const uint8_t *zone, size_t zone_len)
{
	return cache_key_make(out, scope, zone, zone_len, TYPE_NS, CLASS_IN, CACHE_KEY_DELEG);
}

/* Append one record (owner already written at *pos); false when out is full. */
static bool deleg_rr(uint8_t *out, size_t cap, size_t *pos, uint16_t type, uint32_t ttl,
		     const void *rdata, size_t rdlen, uint16_t *ttl_offs, size_t max, size_t *n)
{
	if (*pos + 10 + rdlen > cap || *n >= max)
		return false;
	uint8_t *p = out + *pos;
	msg_put16(p, type);
	msg_put16(p + 2, CLASS_IN);
	msg_put32(p + 4, ttl);
	msg_put16(p + 8, (uint16_t)rdlen);
	memcpy(p + 10, rdata, rdlen);
	ttl_offs[(*n)++] = (uint16_t)(*pos + 4);
	*pos += 10 + rdlen;
	return true;
}

/* Append a glue record for ns's address a. */
static bool deleg_glue(uint8_t *out, size_t cap, size_t *pos, const struct iterate_ns *ns,
		       const struct addr *a, uint32_t ttl, uint16_t *ttl_offs, size_t max,
		       size_t *n)
{
	if (*pos + ns->name_len > cap)
		return false;
	memcpy(out + *pos, ns->name, ns->name_len);
	*pos += ns->name_len;
	if (a->ss.ss_family == AF_INET)
		return deleg_rr(out, cap, pos, TYPE_A, ttl,
				&((const struct sockaddr_in *)&a->ss)->sin_addr, 4, ttl_offs, max,
				n);
	return deleg_rr(out, cap, pos, TYPE_AAAA, ttl,
			&((const struct sockaddr_in6 *)&a->ss)->sin6_addr, 16, ttl_offs, max, n);
}

size_t deleg_encode(const struct iterate_referral *ref, uint8_t *out, size_t cap,
		    uint16_t *ttl_offs, size_t max, size_t *n_ttl)
{
	size_t pos = MSG_HDR_LEN, n_glue = 0;
	*n_ttl = 0;
	if (cap < MSG_HDR_LEN + ref->zone_len + 4)
		return 0;
	memset(out, 0, MSG_HDR_LEN);
	msg_put16(out + 2, MSG_QR);
	msg_put16(out + 4, 1);
	msg_put16(out + 8, (uint16_t)ref->n_ns);
	memcpy(out + pos, ref->zone, ref->zone_len);
	pos += ref->zone_len;
	msg_put16(out + pos, TYPE_NS);
	msg_put16(out + pos + 2, CLASS_IN);
	pos += 4;
	for (size_t i = 0; i < ref->n_ns; i++) {
		if (pos + 2 > cap)
			return 0;
		msg_put16(out + pos, 0xc000 | MSG_HDR_LEN); /* the question's name */
		pos += 2;
		if (!deleg_rr(out, cap, &pos, TYPE_NS, ref->ttl, ref->ns[i].name,
			      ref->ns[i].name_len, ttl_offs, max, n_ttl))
			return 0;
	}
	for (size_t i = 0; i < ref->n_ns; i++)
		for (size_t j = 0; j < ref->ns[i].n_addrs; j++, n_glue++)
			if (!deleg_glue(out, cap, &pos, &ref->ns[i], &ref->ns[i].addrs[j], ref->ttl,
					ttl_offs, max, n_ttl))
				return 0;
	msg_put16(out + 10, (uint16_t)n_glue);
	return pos;
}

/* Attach an address record of the additional section to the NS name it belongs to. */
static void deleg_decode_glue(const uint8_t *body, size_t len, const struct msg_rr *rr,
			      struct iterate_referral *ref)
{
	uint8_t owner[MSG_MAX_NAME];
	size_t owner_len, pos = rr->owner;
	struct addr a;
	if (msg_name_read(body, len, &pos, owner, &owner_len) < 0 || !iterate_rr_addr(body, rr, &a))
		return;
	for (size_t i = 0; i < ref->n_ns; i++) {
		struct iterate_ns *ns = &ref->ns[i];
		if (ns->name_len == owner_len && !memcmp(ns->name, owner, owner_len) &&
		    ns->n_addrs < ITERATE_MAX_GLUE)
			ns->addrs[ns->n_addrs++] = a;
	}
}

bool deleg_decode(const uint8_t *body, size_t len, struct iterate_referral *ref)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t target[MSG_MAX_NAME];
	size_t pos = MSG_HDR_LEN, target_len;
	memset(ref, 0, offsetof(struct iterate_referral, ns));
	if (msg_walk_init(&w, body, len) < 0 ||
	    msg_name_read(body, len, &pos, ref->zone, &ref->zone_len) < 0)
		return false;
	while (msg_walk_next(&w, &rr) > 0) {
		pos = rr.rdata;
		if (rr.section == 3) {
			deleg_decode_glue(body, len, &rr, ref);
		} else if (rr.section == 2 && rr.type == TYPE_NS &&
			   msg_name_read(body, len, &pos, target, &target_len) == 0) {
			iterate_add_ns(ref, target, target_len);
			if (ref->n_ns == 1 || rr.ttl < ref->ttl)
				ref->ttl = rr.ttl;
		}
	}
	return ref->n_ns > 0;
}

/* Is the record at rr an A/AAAA of one of ref's NS names? */
static bool deleg_is_glue(const uint8_t *body, size_t len, const struct msg_rr *rr,
			  const struct iterate_referral *ref)
{
	uint8_t owner[MSG_MAX_NAME];
	size_t owner_len, pos = rr->owner;
	struct addr a;
	if (msg_name_read(body, len, &pos, owner, &owner_len) < 0 || !iterate_rr_addr(body, rr, &a))
		return false;
	for (size_t i = 0; i < ref->n_ns; i++)
		if (ref->ns[i].name_len == owner_len && !memcmp(ref->ns[i].name, owner, owner_len))
			return true;
	return false;
}

bool deleg_only(const uint8_t *body, size_t len)
{
	struct iterate_referral ref;
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t owner[MSG_MAX_NAME];
	size_t owner_len, pos;
	if (!deleg_decode(body, len, &ref) || msg_get16(body + 4) != 1 ||
	    msg_walk_init(&w, body, len) < 0)
		return false;
	int r;
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		pos = rr.owner;
		if (rr.section == 1)
			return false;
		if (rr.section == 2 &&
		    (rr.type != TYPE_NS || msg_name_read(body, len, &pos, owner, &owner_len) < 0 ||
		     owner_len != ref.zone_len || memcmp(owner, ref.zone, owner_len)))
			return false;
		if (rr.section == 3 && !deleg_is_glue(body, len, &rr, &ref))
			return false;
	}
	return r == 0;
}

int deleg_store(struct cache *c, const char *scope, const struct iterate_referral *ref,
		uint64_t now_ms)
{
	uint8_t key[CACHE_KEY_MAX], body[MSG_MAX_UDP];
	uint16_t ttl_offs[DELEG_MAX_TTLS];
	size_t n_ttl, key_len = deleg_key(key, scope, ref->zone, ref->zone_len);
	size_t len = deleg_encode(ref, body, sizeof(body), ttl_offs, DELEG_MAX_TTLS, &n_ttl);
	if (!len || !ref->ttl)
		return -EINVAL;
	return cache_store(c, key, key_len, body, len, ttl_offs, n_ttl, ref->ttl, MSG_NOERROR, 0,
			   now_ms);
}

bool deleg_closest(struct cache *c, const char *scope, const uint8_t *name, size_t name_len,
		   unsigned from, uint64_t now_ms, struct iterate_referral *ref)
{
	uint8_t key[CACHE_KEY_MAX];
	struct cache_entry e;
	size_t off = 0;
	for (unsigned skip = 0; skip < from && off < name_len && name[off]; skip++)
		off += 1u + name[off];
	for (;;) {
		size_t key_len = deleg_key(key, scope, name + off, name_len - off);
		if (cache_lookup(c, key, key_len, now_ms, &e) &&
		    deleg_decode(e.body, e.body_len, ref)) {
			uint64_t left = (e.expire_ms - now_ms) / 1000;
			ref->ttl = left < ref->ttl ? (uint32_t)left : ref->ttl;
			return true;
		}
		if (off >= name_len || !name[off])
			return false;
		off += 1u + name[off];
	}
}
