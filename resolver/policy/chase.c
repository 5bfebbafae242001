/*
 * chase.c -- complete local CNAME chains with resolved data. See chase.h.
 *
 * Splicing two messages with independent name compression is done with ldns: it parses both
 * and writes one new message. This runs only for the (rare) local alias to an outside name.
 */
#include "policy/chase.h"

#include "dns/pkt.h"
#include "util/xalloc.h"

#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_CNAME 5
#define TYPE_ANY   255

bool chase_target(const uint8_t *body, size_t len, const struct msg_query *q, uint8_t *target,
		  size_t *target_len)
{
	if (q->qtype == TYPE_CNAME || q->qtype == TYPE_ANY || len < MSG_HDR_LEN ||
	    (msg_get16(body + 2) & 0xf) != MSG_NOERROR || msg_get16(body + 6) == 0)
		return false;
	struct msg_walk w;
	struct msg_rr rr;
	bool last_cname = false;
	if (msg_walk_init(&w, body, len) < 0)
		return false;
	while (msg_walk_next(&w, &rr) > 0 && rr.section == 1) {
		if (rr.type == q->qtype)
			return false;
		last_cname = rr.type == TYPE_CNAME;
		if (last_cname) {
			size_t pos = rr.rdata;
			if (msg_name_read(body, len, &pos, target, target_len) < 0)
				return false;
		}
	}
	return last_cname;
}

/* Copy every record of one section of src to the same section of dst. */
static void chase_copy(ldns_pkt *dst, const ldns_pkt *src, ldns_pkt_section sec)
{
	ldns_rr_list *list = ldns_pkt_get_section_clone(src, sec);
	for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++)
		ldns_pkt_push_rr(dst, sec, ldns_rr_list_rr(list, i));
	ldns_rr_list_free(list); /* the records now belong to dst */
}

size_t chase_splice(const uint8_t *local, size_t local_len, const uint8_t *resolved,
		    size_t resolved_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t elapsed,
		    uint8_t *out, size_t cap)
{
	uint8_t *copy = xmalloc(resolved_len);
	ldns_pkt *lp = NULL, *rp = NULL;
	size_t n = 0;
	memcpy(copy, resolved, resolved_len);
	for (size_t i = 0; i < n_ttl; i++) {
		uint32_t t = msg_get32(copy + ttl_offs[i]);
		msg_put32(copy + ttl_offs[i], t > elapsed ? t - elapsed : 0);
	}
	if (!(lp = pkt_from_wire(local, local_len, NULL, NULL)) ||
	    !(rp = pkt_from_wire(copy, resolved_len, NULL, NULL)))
		goto out;
	ldns_rr_list_deep_free(ldns_pkt_authority(lp));
	ldns_pkt_set_authority(lp, ldns_rr_list_new());
	ldns_pkt_set_nscount(lp, 0);
	chase_copy(lp, rp, LDNS_SECTION_ANSWER);
	if (ldns_pkt_ancount(rp) == 0)
		chase_copy(lp, rp, LDNS_SECTION_AUTHORITY);
	ldns_pkt_set_rcode(lp, ldns_pkt_get_rcode(rp));
	ldns_pkt_set_aa(lp, false);
	uint8_t *wire;
	size_t wlen;
	if (ldns_pkt2wire(&wire, lp, &wlen) == LDNS_STATUS_OK) {
		if (wlen <= cap && wlen <= MSG_MAX_UDP) { /* a message, TTL offsets in 16 bits */
			memcpy(out, wire, wlen);
			n = wlen;
		}
		free(wire);
	}
out:
	ldns_pkt_free(lp);
	ldns_pkt_free(rp);
	free(copy);
	return n;
}
