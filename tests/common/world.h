/*
 * world.h -- a fake DNSSEC-signed world for the validator's tests and fuzzer.
 *
 * A world is a handful of zones (a root, a TLD, leaves) that a test builds in memory with
 * ldns and signs at start-up: every RRset of a zone is signed, DNSKEY by its KSK and the rest
 * by its ZSK (one key for a CSK), with signatures valid from WORLD_NOW - 1 day to WORLD_NOW +
 * 30 days, WORLD_NOW being the time every validation is given. Keys are new and random, or
 * derived from a fixed string (SHA-256 of "SEED ORIGIN ROLE") so that a signature made in one
 * run verifies in every other, as the fuzzer's seed corpus needs. A zone's records are added
 * as presentation text; NSEC records are written by the test, an NSEC3 chain is made from a
 * list of names with its zone's iterations and salt. From a signed zone come RRsets with
 * their RRSIGs (world_pick), DS records for the parent, NSEC3 proofs for names, wildcard
 * expansions, and whole replies (a question and sections) as ldns packets or wire, such as
 * the DS and DNSKEY answers an upstream would give; a trust-anchor set is loaded from text as
 * a configured file would be. The tables that play the upstream, and what each world holds,
 * stay with their users (tests/unit/test_validate.c, tests/fuzz/fuzz_validate.c).
 * A world that cannot be built (bad record text, a signing failure) aborts the process with
 * the reason: no case run on a half-made world would mean anything. Nothing is freed: a
 * world lives as long as its process.
 */
#ifndef MEGDNS_TESTS_WORLD_H
#define MEGDNS_TESTS_WORLD_H

#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WORLD_NOW    ((time_t)1700000000) /* the validation time, in seconds */
#define WORLD_NOW_MS ((uint64_t)5000000)  /* the monotonic clock given with it */
#define WORLD_DAY    86400
#define WORLD_TTL    3600 /* of every record the world makes */
#define WORLD_N3_MAX 8    /* names in one NSEC3 chain */

/* Abort the process, saying where, unless x holds: the world could not be built. */
#define WORLD_REQUIRE(x)                                                                           \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "%s:%d: world: %s\n", __FILE__, __LINE__, #x);             \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct anchor_set;

struct world_zone {
	const char *origin;
	ldns_key_list *ksk, *zsk;       /* one key each; the same list for a CSK */
	ldns_rr_list *rrs;              /* every record, unsigned */
	ldns_rr_list *sigs;             /* the RRSIGs over each RRset of rrs (world_zone_sign) */
	uint16_t n3_iter;               /* NSEC3 zones: set before world_zone_nsec3 */
	const char *n3_salt;            /* hex, "" for none */
	char n3_hash[WORLD_N3_MAX][40]; /* the NSEC3 owner labels, sorted */
	size_t n3_count;
};

/* ---- names and records ---- */

/* The name s (presentation form); never NULL. */
ldns_rdf *world_dname(const char *s);

/* The record printf(fmt, ...) in presentation form, TTL WORLD_TTL unless it gives one. */
__attribute__((format(printf, 1, 2))) ldns_rr *world_rr_new(const char *fmt, ...);
__attribute__((format(printf, 1, 0))) ldns_rr *world_rr_vnew(const char *fmt, va_list ap);

/* Replace field i of rr (its owner when i < 0) by value, which rr then owns. */
void world_rr_set(ldns_rr *rr, int i, ldns_rdf *value);

/* Give every record of l the owner name. */
void world_rename_all(ldns_rr_list *l, const char *name);

/* The presentation form of rr, with its newline, in out. */
void world_rr_text(const ldns_rr *rr, char *out, size_t cap);

/* ---- zones ---- */

/*
 * A key of owner in a list of its own, valid for a month around WORLD_NOW; *dnskey gets its
 * DNSKEY record (the caller's). seed NULL: a new random key; otherwise the key whose private
 * key is SHA-256 of seed, the same in every run (alg an ECDSA or EdDSA algorithm).
 */
ldns_key_list *world_key_new(const char *owner, ldns_signing_algorithm alg, uint16_t flags,
			     const char *seed, ldns_rr **dnskey);

/*
 * z as the zone origin with its DNSKEYs and SOA and nothing else yet: a KSK (flags 257) and
 * a ZSK (256) of alg, or one CSK. key_seed NULL: random keys; otherwise each key is derived
 * from "KEY_SEED ORIGIN ROLE", ROLE "ksk", "zsk" or "csk" (see world_key_new).
 */
void world_zone_init(struct world_zone *z, const char *origin, ldns_signing_algorithm alg, bool csk,
		     const char *key_seed);

/* Add the record printf(fmt, ...) to z. */
/* Free what z holds (its records, signatures and keys). */
void world_zone_free(struct world_zone *z);

__attribute__((format(printf, 2, 3))) void world_zone_add(struct world_zone *z, const char *fmt,
							  ...);

/* A new DS (SHA-256) of z's KSK, for its parent. */
ldns_rr *world_zone_ds(const struct world_zone *z);

/*
 * Add to z the NSEC3 chain (no opt-out) over names[0..n) with the types types[i] each,
 * hashed with z->n3_iter and z->n3_salt. n <= WORLD_N3_MAX.
 */
void world_zone_nsec3(struct world_zone *z, const char *const *names, const char *const *types,
		      size_t n);

/* Sign every RRset of z (once all its records are in). */
void world_zone_sign(struct world_zone *z);

/* The RRSIGs over a copy of set by the first key of keys, for [inception, expiration]. */
ldns_rr_list *world_sign_set(const ldns_rr_list *set, ldns_key_list *keys, time_t inception,
			     time_t expiration);

/* ---- what a signed zone gives (new lists, the caller's) ---- */

/* The records of (owner, type) in z, without signatures; there must be some. */
ldns_rr_list *world_zone_set(const struct world_zone *z, const char *owner, ldns_rr_type type);

/* The RRset (owner, type) of z and the RRSIGs over it. */
ldns_rr_list *world_pick(const struct world_zone *z, const char *owner, ldns_rr_type type);

/* The index in z->n3_hash of the NSEC3 that matches or covers the hash of name. */
size_t world_n3_index(const struct world_zone *z, const char *name);

/* The NSEC3 of z that matches or covers the hash of name, with its RRSIG. */
ldns_rr_list *world_n3_pick(const struct world_zone *z, const char *name);

/* The NSEC3s of z that match or cover names[0..n), each once, with their RRSIGs. */
ldns_rr_list *world_n3_proof(const struct world_zone *z, const char *const *names, size_t n);

/* The RRset (wild, A) of z as synthesised for name, signatures and all. */
ldns_rr_list *world_expanded(const struct world_zone *z, const char *wild, const char *name);

/* ---- replies ---- */

/* A response (id 4711, QR, RD, RA) to qname/qtype with rcode and no records yet. */
ldns_pkt *world_pkt_new(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode);

/* Append the records of l to section s of p; l is consumed. */
void world_put(ldns_pkt *p, ldns_pkt_section s, ldns_rr_list *l);

/* The wire form of p, which is freed; malloc'ed, its length in *len. */
uint8_t *world_wire(ldns_pkt *p, size_t *len);

/* The answer to (owner, type) with z's RRset and its RRSIGs. */
ldns_pkt *world_reply(const struct world_zone *z, const char *owner, ldns_rr_type type);

/*
 * z's NODATA answer to (qname, DS): its SOA, then proof (the denial's records, consumed), as
 * a parent says that a child zone is unsigned or that a name is no zone cut.
 */
ldns_pkt *world_no_ds(const struct world_zone *z, const char *qname, ldns_rr_list *proof);

/* ---- trust anchors ---- */

/*
 * The anchor set loaded from text (the contents of a trust-anchor file: DS or DNSKEY
 * records) with the negative trust anchors insecure[0..n). Never NULL.
 */
struct anchor_set *world_anchors_from(const char *text, char *const *insecure, size_t n);

#endif
