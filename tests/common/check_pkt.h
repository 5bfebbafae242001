/*
 * check_pkt.h -- DNS messages for the Check unit tests, built with ldns.
 *
 * ldns is the reference encoder the unit tests check megdns's wire code against: a test
 * starts a message with check_pkt_query (the question, RD set, nothing else), sets the
 * header flags and rcode it wants with ldns's setters, adds records given in presentation
 * form with check_pkt_push, and takes the wire form with check_pkt_wire. A record that does
 * not parse, or a message ldns cannot encode, fails the test (one Check assertion each).
 */
#ifndef MEGDNS_TESTS_CHECK_PKT_H
#define MEGDNS_TESTS_CHECK_PKT_H

#include <check.h>
#include <ldns/ldns.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A new message whose question is qname/qtype/IN, with RD set; the caller's. */
static inline ldns_pkt *check_pkt_query(const char *qname, ldns_rr_type qtype)
{
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, qname, qtype, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	return p;
}

/* Add to section s of p the records of the NULL-terminated list (NULL: none), in order. */
static inline void check_pkt_push(ldns_pkt *p, ldns_pkt_section s, const char *const *records)
{
	for (; records && *records; records++) {
		ldns_rr *rr = NULL;
		ck_assert_msg(ldns_rr_new_frm_str(&rr, *records, 0, NULL, NULL) == LDNS_STATUS_OK,
			      "bad test record %s", *records);
		ldns_pkt_push_rr(p, s, rr);
	}
}

/* The wire form of p copied into out (large enough: the caller knows the message); p is
 * freed. Returns the length. */
static inline size_t check_pkt_wire(ldns_pkt *p, uint8_t *out)
{
	uint8_t *wire;
	size_t len;
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

/*
 * Write into out a reply to qname/qtype whose answer section holds n TXT records at qname,
 * each of rdlen bytes (character strings of up to 255), built by hand: messages that big (past
 * 64 KiB when n * rdlen is) are what they test. out must hold n * (rdlen + 12) + 300 bytes.
 * Returns the length.
 */
static inline size_t check_pkt_big_txt(uint8_t *out, const char *qname, uint16_t qtype, unsigned n,
				       size_t rdlen)
{
	ldns_rdf *name = NULL;
	ck_assert_int_eq(ldns_str2rdf_dname(&name, qname), LDNS_STATUS_OK);
	static const uint8_t hdr[12] = {0, 0, 0x81, 0x80, 0, 1};
	size_t len = sizeof(hdr);
	memcpy(out, hdr, len);
	out[6] = (uint8_t)(n >> 8), out[7] = (uint8_t)n;
	memcpy(out + len, ldns_rdf_data(name), ldns_rdf_size(name));
	len += ldns_rdf_size(name);
	ldns_rdf_deep_free(name);
	const uint8_t tail[4] = {(uint8_t)(qtype >> 8), (uint8_t)qtype, 0, 1};
	memcpy(out + len, tail, 4);
	len += 4;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t rr[12] = {
		    0xc0, 12, 0, 16, 0, 1, 0, 0, 1, 44, (uint8_t)(rdlen >> 8), (uint8_t)rdlen};
		memcpy(out + len, rr, sizeof(rr));
		len += sizeof(rr);
		for (size_t left = rdlen; left > 0;) {
			size_t k = left - 1 < 255 ? left - 1 : 255;
			out[len++] = (uint8_t)k;
			memset(out + len, 'x', k);
			len += k;
			left -= k + 1;
		}
	}
	return len;
}

#endif
