/*
 * validate.h -- DNSSEC validation of forwarded answers (RFC 4033-4035, 5155, 6840, 9276).
 *
 * A validation is a state machine over one upstream answer that does no I/O: whenever it needs
 * a DS or DNSKEY RRset it says so (VALIDATE_NEED) and the pipeline fetches it -- from the
 * cache or the upstreams, exactly like a client query -- and feeds the reply back. So the same
 * validator serves forwarding today and iteration later. The chain of trust is walked down
 * from the closest trust anchor, one label at a time, with DS lookups proving each zone cut
 * secure (DS + DNSKEY), insecure (no DS, proven by NSEC/NSEC3; or only unsupported
 * algorithms) or not a cut at all; every step's outcome is kept in the keycache. Signatures
 * are checked with ldns's verification primitives and denial of existence with ldns's NSEC and
 * NSEC3 checks. Outcomes map to Extended DNS Errors: 6 bogus, 7 signature expired, 8 not yet
 * valid, 9 DNSKEY missing, 10 RRSIGs missing, 12 NSEC missing.
 */
#ifndef MEGDNS_VALIDATE_H
#define MEGDNS_VALIDATE_H

#include "dns/cache.h"
#include "dnssec/anchor.h"
#include "dnssec/keycache.h"
#include "dns/msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The outcomes, valued as the cache stores them (dns/cache.h). */
enum validate_status {
	VALIDATE_UNCHECKED = CACHE_UNCHECKED, /* not validated (validation off, CD, local data) */
	VALIDATE_INSECURE = CACHE_INSECURE,   /* provably unsigned, or under a negative anchor */
	VALIDATE_SECURE = CACHE_SECURE,       /* every RRset checked up to a trust anchor */
	VALIDATE_BOGUS = CACHE_BOGUS,         /* should be signed and is not, or signatures fail */
};

enum validate_step { VALIDATE_NEED, VALIDATE_DONE };

/* A DS or DNSKEY RRset the validator needs before it can go on. */
struct validate_need {
	uint8_t name[MSG_MAX_NAME]; /* lower-case wire */
	size_t name_len;
	uint16_t type;
};

struct validation;

/*
 * Start validating the reply body (msg.h format, no OPT) to qname/qtype. anchors and kc must
 * outlive the validation; now is the wall-clock time for signature windows, now_ms the loop
 * clock for keycache expiry. Never NULL (aborts on OOM); an unparsable body, or one with a
 * record of a type validation reads (CNAME, DNAME, SOA, DS, DNSKEY, RRSIG, NSEC, NSEC3,
 * NSEC3PARAM) missing fields its type requires, validates BOGUS (EDE 6).
 */
struct validation *validation_new(const struct anchor_set *anchors, struct keycache *kc,
				  const uint8_t *body, size_t len, time_t now, uint64_t now_ms);

/*
 * Advance as far as possible. Returns VALIDATE_NEED with *need filled when a DS or DNSKEY
 * reply is required (give it with validation_feed, then step again), or VALIDATE_DONE.
 */
enum validate_step validation_step(struct validation *v, struct validate_need *need);

/*
 * The reply to the last need (a body, msg.h format), or NULL/0 when it could not be had. A
 * reply that does not parse, or is malformed as above, counts as one that could not be had.
 */
void validation_feed(struct validation *v, const uint8_t *body, size_t len);

/* The outcome after VALIDATE_DONE; *ede gets the RFC 8914 code for BOGUS (else -1). */
enum validate_status validation_result(const struct validation *v, int *ede);

/*
 * For BOGUS, what broke, for a log line or explain: "chain of trust broken at ZONE: ..." (the
 * DS or DNSKEY step of ZONE failed) or "OWNER TYPE (zone ZONE, which is signed): ..." (one
 * RRset of the answer failed); "" otherwise. Valid until validation_free.
 */
const char *validation_why(const struct validation *v);

/*
 * The signature checks v has made so far. KeyTrap (CVE-2023-50387): never more than 128 per
 * answer, its chain of trust included: at most 8 RRSIGs per RRset, 4 keys per RRSIG. The NSEC3
 * hashing of its proofs is bounded the same way (labels x iterations); an answer that would
 * cost more is bogus (EDE 6).
 */
unsigned validation_cost(const struct validation *v);

/*
 * For BOGUS: did the chain of trust break at name (lower-case wire) or above it -- at a DS or
 * DNSKEY step of a zone that encloses it? That is what a private zone forwarded to its own
 * server looks like: its parents cannot prove it unsigned.
 */
bool validation_broken_above(const struct validation *v, const uint8_t *name, size_t len);

/* Free the validation; NULL is a no-op. */
void validation_free(struct validation *v);

/*
 * Copy body without the DNSSEC records a client that did not set DO must not get (RRSIG,
 * NSEC, NSEC3, unless asked for by qtype) into out. Returns the new length, or 0 when the body
 * does not parse or fit.
 */
size_t validate_strip(const uint8_t *body, size_t len, uint16_t qtype, uint8_t *out, size_t cap);

#endif
