/*
 * scrub.h -- keep only the records of an upstream reply that answer the question asked.
 *
 * An upstream is trusted for the question it was sent and only inside its bailiwick: the
 * forward zone it was chosen for, or the root for the global and resolv.conf upstreams (as
 * Unbound's iterator scrubber and Knot Resolver's bailiwick checks do), less the forward
 * zones below it, whose names have upstreams of their own (the global upstream is not asked
 * about corp.example. when corp.example. is forwarded to a private server). Everything else in
 * its reply -- "www.bank.test A 6.6.6.6" added to the answer for a.oob.test, an NS record for
 * bank.test, glue for a server nobody mentioned -- is poison for every cache downstream and is
 * removed before the reply is cached or relayed. What is kept, and why:
 *
 *  answer      the chain that starts at the question name: the CNAME at the current name
 *              (its target becomes the current name), a DNAME at an ancestor of it together
 *              with the CNAME synthesised from it (RFC 6672), and at the chain's last name the
 *              records of the question's type; for ANY every type at every name of the chain.
 *              RRSIGs are kept for the RRsets kept. At most SCRUB_MAX_HOPS links; a link whose
 *              target leaves the bailiwick ends the chain, and scrub_plan reports that target
 *              to be resolved through its own upstreams -- as it does the end of a chain that
 *              the upstream did not follow (no records there and no SOA saying so).
 *  authority   SOA, NS and DS records at or above the chain's last name (the zone's apex, the
 *              negative-caching SOA), and NSEC/NSEC3 records inside a zone the answer comes
 *              from (the owner of a kept SOA, or the signer of a kept answer RRSIG), which is
 *              what a validator needs to prove NXDOMAIN, NODATA and wildcard expansions; with
 *              the RRSIGs over exactly those. A forward zone need not be a zone apex: for a
 *              chain that ends inside the bailiwick, the SOA of a zone above it is kept too
 *              (lab.corp.example.'s NXDOMAIN carries corp.example.'s SOA), never its NS or DS.
 *              A proof's NSEC/NSEC3 owners are its zone's names, wherever they are: above the
 *              bailiwick, or in a forward zone below it.
 *  additional  A and AAAA records (and their RRSIGs) of names that kept records mention: NS,
 *              MX, SRV, KX, SVCB and HTTPS targets.
 * Every kept record has the question's class and, but for those proofs, an owner inside the
 * bailiwick. The rules do not depend on the rcode. The scrubber reads the message once per
 * chain link plus three times, never writes it, and allocates nothing: scrub_plan only
 * decides, so a reply with nothing to drop is used as it came. scrub_apply writes the smaller
 * message (with ldns: the compression pointers of the original may point into what was
 * dropped).
 */
#ifndef MEGDNS_SCRUB_H
#define MEGDNS_SCRUB_H

#include "dns/msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRUB_MAX_HOPS 16                     /* CNAME/DNAME links followed */
#define SCRUB_MAX_RR   (MSG_MAX_UDP / 11 + 1) /* the most records a message can hold */

/*
 * Is name (lower-case wire, inside the bailiwick) served by other upstreams than the ones
 * asked, because a forward zone below the bailiwick holds it? ud is the question's.
 */
typedef bool (*scrub_elsewhere_fn)(const void *ud, const uint8_t *name, size_t len);

/* What was asked, and of whom: the bailiwick the upstream is trusted for. */
struct scrub_question {
	const uint8_t *lname; /* the question name, lower-case wire */
	size_t lname_len;
	uint16_t qtype, qclass;
	const uint8_t *zone; /* bailiwick, lower-case wire ("\0" for the root) */
	size_t zone_len;
	scrub_elsewhere_fn elsewhere; /* the names cut out of the bailiwick; NULL: none */
	const void *elsewhere_ud;
};

/* The decision for one message. */
struct scrub_plan {
	unsigned n_rr;                      /* records in the message */
	unsigned n_drop;                    /* records to drop; 0: use the message as it is */
	uint8_t drop[SCRUB_MAX_RR / 8 + 1]; /* bit i set: drop the i-th record (wire order) */
	/* The chain continues at this name (lower-case wire), which is to be resolved on its
	 * own: it is outside the bailiwick (its records were not kept), or the upstream did not
	 * follow its chain there. target_len 0 when the chain is complete. */
	uint8_t target[MSG_MAX_NAME];
	size_t target_len;
};

/*
 * Decide which records of msg (a reply without OPT record) answer q. Returns 0 with *p
 * filled, or -EBADMSG when msg does not parse.
 */
int scrub_plan(const uint8_t *msg, size_t len, const struct scrub_question *q,
	       struct scrub_plan *p);

/* Is record i (wire order) dropped by p? */
static inline bool scrub_dropped(const struct scrub_plan *p, unsigned i)
{
	return i < SCRUB_MAX_RR && (p->drop[i / 8] >> (i % 8) & 1);
}

/*
 * Write msg without the records p drops, header and question as they were, into a new
 * buffer *out (free() it) of *out_len bytes (at most MSG_MAX_UDP). Names inside kept rdata
 * are written out again, so no pointer into dropped data remains. Returns 0, or -EBADMSG
 * when a kept record does not parse (the message is unusable then).
 */
int scrub_apply(const uint8_t *msg, size_t len, const struct scrub_plan *p, uint8_t **out,
		size_t *out_len);

#endif
