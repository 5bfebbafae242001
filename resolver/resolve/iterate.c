/*
 * iterate.c -- classify an authoritative server's reply. See iterate.h.
 */
#include "resolve/iterate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#define TYPE_A     1
#define TYPE_NS    2
#define TYPE_CNAME 5
#define TYPE_AAAA  28
#define TYPE_DNAME 39
#define TYPE_DS    43
#define TYPE_RRSIG 46
#define TYPE_ANY   255

const char *iterate_kind_name(enum iterate_kind k)
{
	static const char *const names[] = {"answer",   "nxdomain", "nodata",
					    "referral", "formerr",  "lame"};
	return k <= ITERATE_LAME ? names[k] : "?";
}

/* The owner of rr, lower-case wire, into out (MSG_MAX_NAME); false when it does not parse. */
static bool iterate_owner(const uint8_t *reply, size_t len, const struct msg_rr *rr, uint8_t *out,
			  size_t *out_len)
{
	size_t pos = rr->owner;
	return msg_name_read(reply, len, &pos, out, out_len) == 0;
}

/* Does the answer section answer qname/qtype, or begin its CNAME/DNAME chain? */
static bool iterate_answers(const uint8_t *reply, size_t len, const uint8_t *qname,
			    size_t qname_len, uint16_t qtype)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t owner[MSG_MAX_NAME];
	size_t owner_len;
	if (msg_walk_init(&w, reply, len) < 0)
		return false;
	while (msg_walk_next(&w, &rr) > 0 && rr.section == 1) {
		if (!iterate_owner(reply, len, &rr, owner, &owner_len))
			return false;
		bool same = owner_len == qname_len && !memcmp(owner, qname, qname_len);
		if (same && (rr.type == qtype || rr.type == TYPE_CNAME || qtype == TYPE_ANY))
			return true;
		if (rr.type == TYPE_DNAME && !same &&
		    msg_name_under(qname, qname_len, owner, owner_len))
			return true;
	}
	return false;
}

/* One more NS name for the delegation (duplicates once). */
void iterate_add_ns(struct iterate_referral *ref, const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < ref->n_ns; i++)
		if (ref->ns[i].name_len == len && !memcmp(ref->ns[i].name, name, len))
			return;
	if (ref->n_ns == ITERATE_MAX_NS)
		return;
	struct iterate_ns *ns = &ref->ns[ref->n_ns++];
	memcpy(ns->name, name, len);
	ns->name_len = len;
	ns->n_addrs = 0;
}

/*
 * The NS set of the authority section: a child of zone on the way to qname. False when
 * there is none, or it is no referral down (the zone itself, above it, beside it).
 */
static bool iterate_ns_set(const uint8_t *reply, size_t len, const uint8_t *qname, size_t qname_len,
			   const uint8_t *zone, size_t zone_len, struct iterate_referral *ref)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t owner[MSG_MAX_NAME], target[MSG_MAX_NAME];
	size_t owner_len, target_len;
	if (msg_walk_init(&w, reply, len) < 0)
		return false;
	while (msg_walk_next(&w, &rr) > 0 && rr.section <= 2) {
		if (rr.section != 2 || (rr.type != TYPE_NS && rr.type != TYPE_DS))
			continue;
		if (!iterate_owner(reply, len, &rr, owner, &owner_len))
			return false;
		if (ref->zone_len == 0) {
			if (owner_len == zone_len ||
			    !msg_name_under(owner, owner_len, zone, zone_len) ||
			    !msg_name_under(qname, qname_len, owner, owner_len))
				return false; /* up, sideways or the zone itself: lame */
			memcpy(ref->zone, owner, owner_len);
			ref->zone_len = owner_len;
		}
		if (owner_len != ref->zone_len || memcmp(owner, ref->zone, owner_len))
			continue; /* a second delegation in one referral: only the first counts */
		if (rr.type == TYPE_DS) {
			ref->has_ds = true;
			continue;
		}
		size_t pos = rr.rdata;
		if (msg_name_read(reply, len, &pos, target, &target_len) < 0 || pos != rr.end)
			return false;
		iterate_add_ns(ref, target, target_len);
		if (ref->n_ns == 1 || rr.ttl < ref->ttl)
			ref->ttl = rr.ttl;
	}
	return ref->n_ns > 0;
}

/* rdata of an A or AAAA record as an address, port 53. */
static void iterate_addr(const uint8_t *rdata, uint16_t type, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (type == TYPE_A) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		memcpy(&sin->sin_addr, rdata, 4);
		a->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(53);
		memcpy(&sin6->sin6_addr, rdata, 16);
		a->len = sizeof(*sin6);
	}
}

/* The glue of the additional section for NS names inside the server's zone. */
static void iterate_glue(const uint8_t *reply, size_t len, const uint8_t *zone, size_t zone_len,
			 struct iterate_referral *ref)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t owner[MSG_MAX_NAME];
	size_t owner_len;
	if (msg_walk_init(&w, reply, len) < 0)
		return;
	while (msg_walk_next(&w, &rr) > 0) {
		if (rr.section != 3 || !((rr.type == TYPE_A && rr.rdlen == 4) ||
					 (rr.type == TYPE_AAAA && rr.rdlen == 16)))
			continue;
		if (!iterate_owner(reply, len, &rr, owner, &owner_len) ||
		    !msg_name_under(owner, owner_len, zone, zone_len))
			continue; /* out of the server's bailiwick: never taken from it */
		for (size_t i = 0; i < ref->n_ns; i++) {
			struct iterate_ns *ns = &ref->ns[i];
			if (ns->name_len == owner_len && !memcmp(ns->name, owner, owner_len) &&
			    ns->n_addrs < ITERATE_MAX_GLUE)
				iterate_addr(reply + rr.rdata, rr.type, &ns->addrs[ns->n_addrs++]);
		}
	}
}

bool iterate_rr_addr(const uint8_t *pkt, const struct msg_rr *rr, struct addr *out)
{
	if (!((rr->type == TYPE_A && rr->rdlen == 4) || (rr->type == TYPE_AAAA && rr->rdlen == 16)))
		return false;
	iterate_addr(pkt + rr->rdata, rr->type, out);
	return true;
}

size_t iterate_answer_addrs(const uint8_t *body, size_t len, struct addr *out, size_t max)
{
	struct msg_walk w;
	struct msg_rr rr;
	size_t n = 0;
	if (msg_walk_init(&w, body, len) < 0)
		return 0;
	while (n < max && msg_walk_next(&w, &rr) > 0 && rr.section == 1)
		if (iterate_rr_addr(body, &rr, &out[n]))
			n++;
	return n;
}

bool iterate_ns_answer(const uint8_t *reply, size_t len, const uint8_t *zone, size_t zone_len,
		       struct iterate_referral *ref)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t owner[MSG_MAX_NAME], target[MSG_MAX_NAME];
	size_t owner_len, target_len;
	memset(ref, 0, offsetof(struct iterate_referral, ns));
	memcpy(ref->zone, zone, zone_len);
	ref->zone_len = zone_len;
	if (len < MSG_HDR_LEN || !(msg_get16(reply + 2) & MSG_AA) ||
	    msg_walk_init(&w, reply, len) < 0)
		return false;
	while (msg_walk_next(&w, &rr) > 0 && rr.section == 1) {
		size_t pos = rr.rdata;
		if (rr.type != TYPE_NS || !iterate_owner(reply, len, &rr, owner, &owner_len) ||
		    owner_len != zone_len || memcmp(owner, zone, zone_len) ||
		    msg_name_read(reply, len, &pos, target, &target_len) < 0 || pos != rr.end)
			continue;
		iterate_add_ns(ref, target, target_len);
		if (ref->n_ns == 1 || rr.ttl < ref->ttl)
			ref->ttl = rr.ttl;
	}
	if (ref->n_ns)
		iterate_glue(reply, len, zone, zone_len, ref);
	return ref->n_ns > 0;
}

/* Append rr (owner name, the record's fields, rdata; an RRSIG's signer name written out in
 * full) to out at *pos; false when it does not fit or does not parse. */
static bool iterate_copy_rr(const uint8_t *reply, size_t len, const struct msg_rr *rr,
			    const uint8_t *owner, size_t owner_len, uint8_t *out, size_t cap,
			    size_t *pos, uint16_t *ttl_off)
{
	uint8_t signer[MSG_MAX_NAME];
	size_t signer_len = 0, at = rr->rdata + 18, head = rr->rdlen;
	if (rr->type == TYPE_RRSIG) {
		if (rr->rdlen < 18 || msg_name_read(reply, len, &at, signer, &signer_len) < 0 ||
		    at > rr->end)
			return false;
		head = 18;
	}
	size_t rdlen = head + signer_len + (rr->type == TYPE_RRSIG ? rr->end - at : 0);
	if (*pos + owner_len + 10 + rdlen > cap || rdlen > UINT16_MAX)
		return false;
	uint8_t *p = out + *pos;
	memcpy(p, owner, owner_len);
	p += owner_len;
	msg_put16(p, rr->type);
	msg_put16(p + 2, rr->rclass);
	msg_put32(p + 4, rr->ttl);
	msg_put16(p + 8, (uint16_t)rdlen);
	*ttl_off = (uint16_t)(p + 4 - out);
	memcpy(p + 10, reply + rr->rdata, head);
	memcpy(p + 10 + head, signer, signer_len);
	if (rr->type == TYPE_RRSIG)
		memcpy(p + 10 + head + signer_len, reply + at, rr->end - at);
	*pos += owner_len + 10 + rdlen;
	return true;
}

size_t iterate_ds_answer(const uint8_t *reply, size_t len, const struct iterate_referral *ref,
			 uint8_t *out, size_t cap, uint16_t *ttl_offs, size_t max, size_t *n,
			 uint32_t *ttl)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t owner[MSG_MAX_NAME];
	size_t owner_len, pos = MSG_HDR_LEN + ref->zone_len + 4;
	*n = 0;
	if (!ref->has_ds || pos > cap || msg_walk_init(&w, reply, len) < 0)
		return 0;
	memset(out, 0, MSG_HDR_LEN);
	msg_put16(out + 2, MSG_QR);
	msg_put16(out + 4, 1);
	memcpy(out + MSG_HDR_LEN, ref->zone, ref->zone_len);
	msg_put16(out + MSG_HDR_LEN + ref->zone_len, TYPE_DS);
	msg_put16(out + MSG_HDR_LEN + ref->zone_len + 2, 1);
	while (msg_walk_next(&w, &rr) > 0 && rr.section <= 2) {
		bool sig = rr.type == TYPE_RRSIG && rr.rdlen >= 2 &&
			   msg_get16(reply + rr.rdata) == TYPE_DS;
		if (rr.section != 2 || (rr.type != TYPE_DS && !sig) ||
		    !iterate_owner(reply, len, &rr, owner, &owner_len) ||
		    owner_len != ref->zone_len || memcmp(owner, ref->zone, owner_len))
			continue;
		if (*n == max || !iterate_copy_rr(reply, len, &rr, owner, owner_len, out, cap, &pos,
						  &ttl_offs[*n]))
			return 0;
		if (!*n || rr.ttl < *ttl)
			*ttl = rr.ttl;
		(*n)++;
	}
	msg_put16(out + 6, (uint16_t)*n);
	return *n ? pos : 0;
}

enum iterate_kind iterate_classify(const uint8_t *reply, size_t len, const uint8_t *qname,
				   size_t qname_len, uint16_t qtype, const uint8_t *zone,
				   size_t zone_len, struct iterate_referral *ref)
{
	if (len < MSG_HDR_LEN)
		return ITERATE_LAME;
	uint16_t flags = msg_get16(reply + 2);
	unsigned rcode = flags & 0xf;
	bool aa = (flags & MSG_AA) != 0;
	if (rcode == MSG_FORMERR)
		return ITERATE_FORMERR;
	if (rcode != MSG_NOERROR && rcode != MSG_NXDOMAIN)
		return ITERATE_LAME;
	if (iterate_answers(reply, len, qname, qname_len, qtype))
		return aa ? ITERATE_ANSWER : ITERATE_LAME;
	if (aa)
		return rcode == MSG_NXDOMAIN ? ITERATE_NXDOMAIN : ITERATE_NODATA;
	if (rcode != MSG_NOERROR || !ref)
		return ITERATE_LAME;
	memset(ref, 0, offsetof(struct iterate_referral, ns)); /* ns[] is filled as it is used */
	if (!iterate_ns_set(reply, len, qname, qname_len, zone, zone_len, ref))
		return ITERATE_LAME;
	iterate_glue(reply, len, zone, zone_len, ref);
	return ITERATE_REFERRAL;
}
