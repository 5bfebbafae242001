/*
 * chase.h -- completing a local CNAME whose target lives upstream.
 *
 * A view's override data may alias a local name to an outside one
 * ("git.home.arpa. CNAME code.example.org."). Stub resolvers do not follow CNAMEs, so, like
 * Unbound and Knot Resolver, megdns resolves the target and answers with the local chain
 * followed by the target's records. chase_target spots such a dangling chain in a local
 * answer; chase_splice joins the local part and the resolved part into one reply body.
 */
#ifndef MEGDNS_CHASE_H
#define MEGDNS_CHASE_H

#include "dns/msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Does the local answer body (for q) end in a CNAME whose target it does not answer? Then
 * write the target (lower-case wire) into target (MSG_MAX_NAME bytes), set *target_len and
 * return true. Only NOERROR answers to types other than CNAME and ANY are chased.
 */
bool chase_target(const uint8_t *body, size_t len, const struct msg_query *q, uint8_t *target,
		  size_t *target_len);

/*
 * Build the body of the complete answer: the local chain's header, question and answer
 * records, then the answer records of the resolved body (its TTLs lowered by elapsed seconds
 * at ttl_offs), with the resolved rcode; a negative resolved answer also brings its authority
 * section (the SOA that lets clients cache it). AA is cleared: part of it is not ours.
 * Returns the length written to out (cap bytes), or 0 when the bodies do not parse or the
 * result does not fit cap or a message (MSG_MAX_UDP: longer, its TTL offsets would not fit
 * the cache's 16 bits).
 */
size_t chase_splice(const uint8_t *local, size_t local_len, const uint8_t *resolved,
		    size_t resolved_len, const uint16_t *ttl_offs, size_t n_ttl, uint32_t elapsed,
		    uint8_t *out, size_t cap);

#endif
