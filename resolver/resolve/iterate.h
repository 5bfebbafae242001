/*
 * iterate.h -- what an authoritative server's reply means for iteration; no I/O.
 *
 * Iterating, megdns asks a server it believes authoritative for a zone (the root, a TLD, a
 * zone cut it was referred to) a question with RD clear. iterate_classify sorts the reply
 * into what the next step needs to know (the shape follows the RFC 1034 section 5.3.3
 * algorithm, with the lame checks every recursor has grown since):
 *
 *   ANSWER    AA set and the answer section answers the question, or starts the CNAME/DNAME
 *             chain of it (the chain is the caller's to follow; scrub.h keeps its records);
 *   NXDOMAIN  AA set, rcode NXDOMAIN;
 *   NODATA    AA set, NOERROR, nothing for the question in the answer section;
 *   REFERRAL  AA clear, no answer, NS records in the authority section for a zone strictly
 *             below the server's zone and at or above the question's name: the delegation,
 *             with the glue addresses that are in the server's bailiwick;
 *   FORMERR   the server did not understand the query (retry it without EDNS);
 *   LAME      everything else: REFUSED, SERVFAIL and other error rcodes; an answer without
 *             AA (a cache, not the authority); a referral up, sideways or to the zone itself;
 *             an unparsable message. The caller tries another server.
 *
 * Bailiwick: a server asked as the authority for zone Z speaks only for names at or below Z.
 * A referral's NS owner must be below Z; glue is taken only for NS names at or below Z (an NS
 * name outside Z is glueless: its address must be resolved on its own, never taken from this
 * server), and only as the address of that NS name for this delegation.
 */
#ifndef MEGDNS_ITERATE_H
#define MEGDNS_ITERATE_H

#include "dns/msg.h"
#include "util/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ITERATE_MAX_NS         13 /* NS names kept from one referral (the root has 13) */
#define ITERATE_MAX_GLUE       4  /* addresses kept per NS name */
#define ITERATE_REFERRAL_DEPTH 30 /* referrals one resolution may follow */

enum iterate_kind {
	ITERATE_ANSWER,
	ITERATE_NXDOMAIN,
	ITERATE_NODATA,
	ITERATE_REFERRAL,
	ITERATE_FORMERR,
	ITERATE_LAME,
};

/* One name server of a delegation and the glue this reply gave for it. */
struct iterate_ns {
	uint8_t name[MSG_MAX_NAME]; /* lower-case wire */
	size_t name_len;
	struct addr addrs[ITERATE_MAX_GLUE]; /* port 53 */
	size_t n_addrs;
};

/* The delegation a REFERRAL carries. */
struct iterate_referral {
	uint8_t zone[MSG_MAX_NAME]; /* the child zone, lower-case wire */
	size_t zone_len;
	uint32_t ttl; /* the smallest TTL of its NS records */
	bool has_ds;  /* the authority section holds a DS for the child (DNSSEC) */
	size_t n_ns;
	struct iterate_ns ns[ITERATE_MAX_NS];
};

/*
 * Classify reply (len bytes; upstream.c matched its ID and question) to qname/qtype (lower-case
 * wire), sent to a server authoritative for zone (lower-case wire). For REFERRAL, *ref (may
 * be NULL otherwise) is filled.
 */
enum iterate_kind iterate_classify(const uint8_t *reply, size_t len, const uint8_t *qname,
				   size_t qname_len, uint16_t qtype, const uint8_t *zone,
				   size_t zone_len, struct iterate_referral *ref);

/*
 * The NS set of zone in the answer section of an authoritative reply (a priming reply to
 * ". NS", RFC 8109) with its in-bailiwick glue, into *ref; false when there is none.
 */
bool iterate_ns_answer(const uint8_t *reply, size_t len, const uint8_t *zone, size_t zone_len,
		       struct iterate_referral *ref);

/* The addresses (A, AAAA, port 53) in the answer section of body, at most max; the count. */
size_t iterate_answer_addrs(const uint8_t *body, size_t len, struct addr *out, size_t max);

/* Add an NS name to ref (once; at most ITERATE_MAX_NS). */
void iterate_add_ns(struct iterate_referral *ref, const uint8_t *name, size_t len);

/* rr as an address (port 53) when it is a well-formed A or AAAA record of pkt. */
bool iterate_rr_addr(const uint8_t *pkt, const struct msg_rr *rr, struct addr *out);

/*
 * A referral with a DS for the child (ref->has_ds, ref from this reply) also answers the
 * question (child, DS): write that answer (the DS records and their RRSIGs, as a msg.h body)
 * into out (cap bytes), their TTL offsets into ttl_offs (room for max), the count into *n and
 * the smallest TTL into *ttl. Returns the body's length, or 0 when there is none. The parent
 * is the authority for the DS, so this is what asking it would give.
 */
size_t iterate_ds_answer(const uint8_t *reply, size_t len, const struct iterate_referral *ref,
			 uint8_t *out, size_t cap, uint16_t *ttl_offs, size_t max, size_t *n,
			 uint32_t *ttl);

/* The kind's name, for logs and explain ("referral"). */
const char *iterate_kind_name(enum iterate_kind k);

#endif
