/*
 * pkt.c -- ldns packets read record by record at msg_walk's offsets. See pkt.h.
 */
#include "dns/pkt.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* A packet with msg's header and its questions (ending where msg_walk's do), no records. */
static ldns_pkt *pkt_header(const uint8_t *msg, size_t len, size_t question_end)
{
	ldns_pkt *p = xcheck(ldns_pkt_new());
	uint16_t flags = msg_get16(msg + 2);
	size_t pos = MSG_HDR_LEN;
	ldns_pkt_set_id(p, msg_get16(msg));
	ldns_pkt_set_qr(p, flags & MSG_QR);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)((flags >> 11) & 0xf));
	ldns_pkt_set_aa(p, flags & MSG_AA);
	ldns_pkt_set_tc(p, flags & MSG_TC);
	ldns_pkt_set_rd(p, flags & MSG_RD);
	ldns_pkt_set_ra(p, flags & MSG_RA);
	ldns_pkt_set_ad(p, flags & MSG_AD);
	ldns_pkt_set_cd(p, flags & MSG_CD);
	ldns_pkt_set_rcode(p, (uint8_t)(flags & 0xf));
	for (unsigned i = msg_get16(msg + 4); i > 0; i--) {
		ldns_rr *q = NULL;
		if (ldns_wire2rr(&q, msg, len, &pos, LDNS_SECTION_QUESTION) != LDNS_STATUS_OK) {
			ldns_rr_free(q);
			ldns_pkt_free(p);
			return NULL;
		}
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	}
	if (pos != question_end) {
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

ldns_pkt *pkt_from_wire(const uint8_t *msg, size_t len, pkt_keep_fn keep, void *ud)
{
	static const ldns_pkt_section sections[] = {LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
						    LDNS_SECTION_ADDITIONAL};
	struct msg_walk w;
	struct msg_rr rr;
	ldns_pkt *p;
	int more;
	if (msg_walk_init(&w, msg, len) < 0 || !(p = pkt_header(msg, len, w.pos)))
		return NULL;
	for (unsigned i = 0; (more = msg_walk_next(&w, &rr)) > 0; i++) {
		ldns_rr *x = NULL;
		size_t pos = rr.owner;
		ldns_pkt_section sec = sections[rr.section - 1];
		if (keep && !keep(ud, i, &rr))
			continue;
		/* ldns decompresses the owner and the names in the rdata of the types it knows */
		if (ldns_wire2rr(&x, msg, len, &pos, sec) != LDNS_STATUS_OK || pos != rr.end) {
			ldns_rr_free(x);
			more = -1;
			break;
		}
		ldns_pkt_push_rr(p, sec, x);
	}
	if (more < 0) {
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

size_t pkt_to_wire(const ldns_pkt *p, uint8_t *out, size_t cap)
{
	uint8_t *wire;
	size_t wlen, n = 0;
	if (ldns_pkt2wire(&wire, p, &wlen) != LDNS_STATUS_OK)
		return 0;
	if (wlen <= cap) {
		memcpy(out, wire, wlen);
		n = wlen;
	}
	free(wire);
	return n;
}
