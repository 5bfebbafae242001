/*
 * negcache.h -- aggressive use of DNSSEC-validated NSEC records (RFC 8198).
 *
 * A secure NXDOMAIN or NODATA answer carries NSEC records whose signatures the validator
 * checked: each says which names of its zone do not exist (owner to next name) and which
 * types its owner has. The table keeps them per zone, in canonical order (RFC 4034 6.1), with
 * the zone's SOA and every signature, so a later question for a name they cover can be
 * answered without asking anyone: NXDOMAIN when one NSEC covers the name and one covers the
 * wildcard at its closest encloser, NODATA when the NSEC at the name lacks the type (or the
 * name is an empty non-terminal). Zones are told apart by cache scope, as the answer cache
 * tells them (views with their own upstreams see their own data only).
 *
 * The rules that keep this correct: only NSEC from answers validated SECURE go in (the
 * caller's duty); an NSEC owned by a delegation (NS without SOA) or a DNAME proves nothing
 * about names below it; an apex NSEC (SOA) proves nothing about DS, which lives in the parent,
 * so DS questions start at the parent zone; a name that is an ancestor of an NSEC's next name
 * exists. Every entry lives no longer than the smallest of its TTL, the SOA's TTL and
 * MINIMUM, the cap, and its signature's expiry. NSEC3 records (RFC 5155) are kept and used
 * the same way, by hashed owner: NODATA from the one matching the name's hash, NXDOMAIN from
 * the closest encloser proof; opt-out ones (which prove nothing about the names they span)
 * and those with more than DENIAL_MAX_ITERATIONS are not kept. No I/O, one table per worker.
 */
#ifndef MEGDNS_NEGCACHE_H
#define MEGDNS_NEGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct negcache;

/* An empty table of at most max_entries records and zones, each record kept at most max_ttl
 * seconds. */
struct negcache *negcache_new(size_t max_entries, uint32_t max_ttl);

/* Free the table; NULL is a no-op. */
void negcache_free(struct negcache *nc);

/* Forget everything (the trust anchors changed). */
void negcache_clear(struct negcache *nc);

/* NSEC and NSEC3 records held, and the zones they are filed under (the bound counts both). */
size_t negcache_count(const struct negcache *nc);

/*
 * Learn the NSEC records of body (msg.h format: a DNS message without OPT), an NXDOMAIN or
 * NODATA answer the validator found SECURE, for cache scope (""). now: wall clock, for
 * signature expiry; now_ms: the loop clock entries expire by. Whatever does not fit the rules
 * (no SOA, unsigned records, owners outside the SOA's zone) is skipped.
 */
void negcache_learn(struct negcache *nc, const char *scope, const uint8_t *body, size_t len,
		    time_t now, uint64_t now_ms);

/* A question to answer from the table. */
struct negcache_question {
	const char *scope;
	const uint8_t *floor; /* lower-case wire: only zones at or below it may answer (the */
	size_t floor_len;     /* forward zone the name goes to; the root for none) */
	const uint8_t *lname; /* lower-case wire */
	size_t lname_len;
	uint16_t qtype, qclass;
	bool dnssec; /* the client set DO: the NSEC records and RRSIGs go in */
};

/*
 * Answer q from what is held: writes a body (msg.h format, ID 0, QR RA, rcode NXDOMAIN or
 * NOERROR, the SOA in authority and, with dnssec, the NSEC records and every RRSIG) to out
 * and returns its length; 0 when nothing held proves the answer (or it does not fit cap).
 */
size_t negcache_answer(struct negcache *nc, const struct negcache_question *q, uint64_t now_ms,
		       uint8_t *out, size_t cap);

#endif
