/*
 * answer.h -- an upstream reply made into the body the cache stores and clients are sent.
 *
 * The policy between the wire and the cache, with no I/O. answer_prepare takes a reply that
 * upstream.c matched to our query and: removes its OPT record (every client gets its own);
 * removes the records that do not answer the question or lie outside the upstream's
 * bailiwick (scrub.h); clamps every TTL to [cache.min-ttl, cache.max-ttl]; clears AA (we are
 * not the authority) and AD (ours to set per client, after validating) and sets RA; and works
 * out how long the answer may be cached: the smallest TTL of a positive answer; for NXDOMAIN
 * and NODATA the SOA rule of RFC 2308 section 5 (the smaller of the SOA's TTL and its MINIMUM,
 * clamped, which also becomes the SOA's TTL), or 0 -- not cached -- without an SOA; 0 as well
 * when the message has more records than the cache tracks TTLs for. A reply with nothing to
 * scrub costs one copy and two walks over its records.
 */
#ifndef MEGDNS_ANSWER_H
#define MEGDNS_ANSWER_H

#include "dns/msg.h"
#include "resolve/scrub.h"

#include <stddef.h>
#include <stdint.h>

/* The cache's TTL bounds (cache.min-ttl, cache.max-ttl). */
struct answer_policy {
	uint32_t min_ttl, max_ttl;
};

/* A reply ready for the cache: the body (msg.h format), its TTL fields and its lifetime. */
struct answer {
	uint8_t *body; /* inside this allocation */
	size_t len;
	uint16_t ttl_offs[MSG_MAX_TTL_RR];
	size_t n_ttl;
	uint32_t ttl; /* cache lifetime in seconds; 0 = do not cache */
	uint8_t rcode;
	unsigned dropped; /* records the scrubber removed */
	/* The answer's CNAME/DNAME chain continues at this name (lower-case wire), to be resolved
	 * on its own: outside the upstream's bailiwick, or not followed by the upstream (see
	 * scrub.h); target_len 0 when the chain is complete. */
	uint8_t target[MSG_MAX_NAME];
	size_t target_len;
};

/*
 * Prepare reply (len bytes) received for question q. q NULL: the reply is our own
 * (already scrubbed, spliced) and is not scrubbed again. Returns a new answer (free it with
 * answer_free), or NULL when the reply cannot be used: it does not parse, is longer than a
 * message can be (MSG_MAX_UDP), its OPT record is not the last record, or a record that must
 * stay cannot be written again.
 */
struct answer *answer_prepare(const struct answer_policy *pol, const struct scrub_question *q,
			      const uint8_t *reply, size_t len);

/*
 * The answer for clients that did not set DO: ans without the RRSIG, NSEC and NSEC3 records
 * they must not get (unless qtype asks for them), prepared again. NULL when that fails.
 */
struct answer *answer_strip(const struct answer_policy *pol, const struct answer *ans,
			    uint16_t qtype);

/* Free an answer; NULL is a no-op. */
void answer_free(struct answer *a);

#endif
