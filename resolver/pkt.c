/*
 * pkt.c -- ldns packets read record by record at msg_walk's offsets. See pkt.h.
 */
#include "pkt.h"

#include <stdlib.h>
#include <string.h>

/* A packet with msg's header and question and no records. */
static ldns_pkt *pkt_header(const uint8_t *msg, size_t question_end)
{
	uint8_t *head = malloc(question_end);
	ldns_pkt *p = NULL;
	if (!head)
		abort();
	memcpy(head, msg, question_end);
	memset(head + 6, 0, 6); /* the records are added one by one */
	if (ldns_wire2pkt(&p, head, question_end) != LDNS_STATUS_OK)
		p = NULL;
	free(head);
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
	if (msg_walk_init(&w, msg, len) < 0 || !(p = pkt_header(msg, w.pos)))
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
