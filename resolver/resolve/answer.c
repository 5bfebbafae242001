/*
 * answer.c -- upstream replies made ready for the cache. See answer.h.
 *
 * The body is worked on in one allocation behind struct answer: copied from the reply, cut
 * before its OPT record, its TTLs clamped and located and its flags set (one walk), and only
 * then scrubbed -- a name may point into a TTL field, so the scrubber must see the bytes that will
 * be stored. Only when the scrubber drops something is the body replaced by the message
 * scrub_apply writes, whose TTLs are then located again.
 */
#include "resolve/answer.h"

#include "dnssec/validate.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define TYPE_NS    2
#define TYPE_CNAME 5
#define TYPE_SOA   6
#define TYPE_PTR   12
#define TYPE_MX    15
#define TYPE_DNAME 39
#define TYPE_OPT   41

static struct answer *answer_alloc(const uint8_t *body, size_t len)
{
	struct answer *a = xmalloc(sizeof(*a) + (len ? len : 1));
	a->body = (uint8_t *)(a + 1);
	a->len = len;
	memcpy(a->body, body, len);
	a->n_ttl = 0;
	a->ttl = 0;
	a->rcode = 0;
	a->dropped = 0;
	a->target_len = 0;
	return a;
}

void answer_free(struct answer *a)
{
	free(a);
}

/* Drop what does not answer q; *ap may be replaced by a new answer. False: unusable. */
static bool answer_scrub(struct answer **ap, const struct scrub_question *q)
{
	struct answer *a = *ap;
	struct scrub_plan plan;
	uint8_t *wire;
	size_t wlen;
	if (scrub_plan(a->body, a->len, q, &plan) < 0)
		return false;
	if (plan.n_drop == 0 && plan.target_len == 0)
		return true;
	struct answer *b = a;
	if (plan.n_drop) {
		if (scrub_apply(a->body, a->len, &plan, &wire, &wlen) < 0)
			return false;
		b = answer_alloc(wire, wlen);
		free(wire);
		answer_free(a);
		*ap = b;
	}
	b->dropped = plan.n_drop;
	memcpy(b->target, plan.target, plan.target_len);
	b->target_len = plan.target_len;
	return true;
}

static uint32_t answer_clamp(const struct answer_policy *pol, uint32_t ttl)
{
	if (ttl > pol->max_ttl)
		ttl = pol->max_ttl;
	return ttl < pol->min_ttl ? pol->min_ttl : ttl;
}

/*
 * Remove the OPT record and any bytes after the last record; the OPT record must be the last
 * one (elsewhere, cutting it out would break the compression pointers after it). Then rr is
 * the OPT record, and w's next call returns 0.
 */
static bool answer_cut_opt(struct answer *a, struct msg_walk *w, const struct msg_rr *rr)
{
	struct msg_rr next;
	if (msg_walk_next(w, &next) != 0)
		return false;
	a->len = rr->owner;
	msg_put16(a->body + 10, (uint16_t)(msg_get16(a->body + 10) - 1));
	return true;
}

/*
 * Is the rdata of a record whose fields are names whole: the names, and the fixed fields
 * around them, fill it exactly? A CNAME cut short once reached ldns and aborted megdns; and
 * a client must never get a record it cannot parse. Other types are opaque bytes here (the
 * validator checks the DNSSEC ones before it uses them).
 */
static bool answer_rdata_ok(const uint8_t *b, const struct msg_rr *rr)
{
	size_t before = 0, names = 1, after = 0, pos = rr->rdata;
	switch (rr->type) {
	case TYPE_CNAME:
	case TYPE_DNAME:
	case TYPE_NS:
	case TYPE_PTR:
		break;
	case TYPE_MX:
		before = 2;
		break;
	case TYPE_SOA:
		names = 2, after = 20;
		break;
	default:
		return true;
	}
	if (rr->rdlen < before + names + after)
		return false;
	pos += before;
	for (size_t i = 0; i < names; i++)
		if (msg_name_read(b, rr->end, &pos, NULL, NULL) < 0)
			return false;
	return pos + after == rr->end;
}

/*
 * In one walk: cut the OPT record out, clamp every TTL, note where they are, and work out the
 * cache lifetime (RFC 2308). False when the body is longer than a message, does not parse, a
 * record is cut short or its OPT is misplaced.
 */
static bool answer_ttls(const struct answer_policy *pol, struct answer *a)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t *b = a->body;
	uint32_t min_ttl = UINT32_MAX, neg_ttl = 0;
	size_t soa_off = 0;
	bool overflow = false;
	int r;
	a->n_ttl = 0;
	if (a->len > MSG_MAX_UDP || msg_walk_init(&w, b, a->len) < 0)
		return false; /* no message is longer, and the TTL offsets are 16 bits */
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		if (rr.type == TYPE_OPT) {
			if (!answer_cut_opt(a, &w, &rr))
				return false;
			break;
		}
		if (!answer_rdata_ok(b, &rr))
			return false;
		uint32_t ttl = answer_clamp(pol, rr.ttl);
		msg_put32(b + rr.ttl_off, ttl);
		if (ttl < min_ttl)
			min_ttl = ttl;
		if (rr.type == TYPE_SOA && rr.section == 2 && rr.rdlen >= 22 && !soa_off) {
			uint32_t minimum = msg_get32(b + rr.end - 4);
			neg_ttl = answer_clamp(pol, ttl < minimum ? ttl : minimum);
			soa_off = rr.ttl_off;
		}
		if (a->n_ttl < MSG_MAX_TTL_RR)
			a->ttl_offs[a->n_ttl++] = (uint16_t)rr.ttl_off;
		else
			overflow = true;
	}
	if (r < 0)
		return false;
	if (r == 0)
		a->len = w.pos; /* bytes after the last record are no part of the answer */
	uint16_t flags = msg_get16(b + 2);
	a->rcode = flags & 0xf;
	msg_put16(b + 2, (uint16_t)((flags & ~(MSG_AA | MSG_AD)) | MSG_RA));
	bool negative = a->rcode == MSG_NXDOMAIN || msg_get16(b + 6) == 0;
	if (negative && soa_off)
		msg_put32(b + soa_off, neg_ttl);
	a->ttl = overflow ? 0 : negative ? neg_ttl : min_ttl == UINT32_MAX ? 0 : min_ttl;
	return true;
}

struct answer *answer_prepare(const struct answer_policy *pol, const struct scrub_question *q,
			      const uint8_t *reply, size_t len)
{
	struct answer *a = answer_alloc(reply, len);
	/* TTLs and flags first: the scrubber decides on the bytes that are stored. */
	bool ok = answer_ttls(pol, a);
	if (ok && q) {
		struct answer *before = a;
		ok = answer_scrub(&a, q) && (a == before || answer_ttls(pol, a));
	}
	if (!ok) {
		answer_free(a);
		return NULL;
	}
	return a;
}

struct answer *answer_strip(const struct answer_policy *pol, const struct answer *ans,
			    uint16_t qtype)
{
	uint8_t *tmp = xmalloc(ans->len ? ans->len : 1);
	size_t n = validate_strip(ans->body, ans->len, qtype, tmp, ans->len);
	struct answer *out = n ? answer_prepare(pol, NULL, tmp, n) : NULL;
	free(tmp);
	if (out) {
		out->dropped = ans->dropped;
		memcpy(out->target, ans->target, ans->target_len);
		out->target_len = ans->target_len;
	}
	return out;
}
