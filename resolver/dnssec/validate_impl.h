/*
 * validate_impl.h -- what the two files of the validator share (not for other modules).
 *
 * validate.c holds the machine (struct validation, the two passes of validation_step) and
 * the checks of the answer's own RRsets and denials; validate_chain.c walks the chain of
 * trust down to a zone, one DS/DNSKEY step at a time through the key cache. Both use the
 * signature primitives at the end of this file (validate.c defines them).
 */
#ifndef MEGDNS_VALIDATE_IMPL_H
#define MEGDNS_VALIDATE_IMPL_H

#include "dnssec/validate.h"

#include <ldns/ldns.h>

#define VAL_BOGUS_TTL   60    /* seconds a broken chain is remembered (Unbound's default) */
#define VAL_MAX_KEY_TTL 86400 /* cap on how long a keycache entry lives */
#define VAL_MAX_STEPS   64    /* walk steps per answer, against pathological trees */
/* KeyTrap (CVE-2023-50387, -50868): what one answer may cost to validate. */
#define VAL_MAX_SIGS_PER_RRSET 8    /* RRSIGs tried per RRset */
#define VAL_MAX_KEYS_PER_TAG   4    /* keys tried per RRSIG (keys sharing its tag) */
#define VAL_MAX_VERIFIES       128  /* signature checks per answer, its chain included */
#define VAL_MAX_NSEC3_WORK     8192 /* NSEC3 hash rounds per answer (labels x iterations) */
#define EDE_BOGUS              6
#define EDE_SIG_EXPIRED        7
#define EDE_SIG_NOT_YET        8
#define EDE_DNSKEY_MISSING     9
#define EDE_RRSIGS_MISSING     10
#define EDE_NSEC_MISSING       12
#define VAL_WHY_MAX            (LDNS_MAX_DOMAINLEN * 8 + 160)
enum val_keys {
	VAL_KEYS_SECURE,
	VAL_KEYS_INSECURE,
	VAL_KEYS_BOGUS,
	VAL_KEYS_NEED,
	VAL_KEYS_PROGRESS
};
struct validation {
	const struct anchor_set *anchors;
	struct keycache *kc;
	time_t now;
	uint64_t now_ms;
	ldns_pkt *pkt;   /* the answer */
	ldns_rdf *asked; /* the outstanding need */
	ldns_rr_type asked_type;
	bool fed;         /* a reply (or failure) for the need arrived */
	ldns_pkt *reply;  /* that reply, NULL on failure */
	ldns_rr_list *ds; /* validated DS set of `asked` while its DNSKEY is fetched */
	unsigned steps;
	unsigned verifies;   /* signature checks made (VAL_MAX_VERIFIES) */
	unsigned nsec3_work; /* NSEC3 hash rounds the proofs may have cost (VAL_MAX_NSEC3_WORK) */
	/* A chain step failed because this answer's budget was spent, not because of the
	 * zone: the keys are bogus for this answer only, never in the key cache (else one
	 * costly answer would break a victim zone for VAL_BOGUS_TTL). */
	bool overspent;
	struct keycache_entry spent; /* BOGUS, EDE 6: what the walk then reports */
	bool done;
	enum validate_status status;
	int ede;
	ldns_rdf *bogus_keys;  /* the last name val_keys found BOGUS in the key cache */
	char why[VAL_WHY_MAX]; /* BOGUS: what broke, for people */
	ldns_rdf *broken;      /* BOGUS: the zone whose DS or DNSKEY step failed, if that was it */
};

/* Has the answer cost more than the KeyTrap limits allow? */
static inline bool validate_overspent(const struct validation *v)
{
	return v->verifies > VAL_MAX_VERIFIES || v->nsec3_work > VAL_MAX_NSEC3_WORK;
}

/* validate.c: names, TTLs, signatures */
/* name in lower case (a new rdf). */
ldns_rdf *validate_name(const ldns_rdf *name);
/* Are a and b the same name, ignoring case? */
bool validate_name_eq(const ldns_rdf *a, const ldns_rdf *b);
/* The smallest TTL of l, capped at VAL_MAX_KEY_TTL. */
uint32_t validate_ttl(const ldns_rr_list *l);
/* Check rrset's signatures sigs by zone's keys: 0 (and the RRSIG that verified in *good, if
 * good is not NULL), or the RFC 8914 code of the failure. */
int validate_verify(struct validation *v, const ldns_rr_list *rrset, const ldns_rr_list *sigs,
		    const ldns_rdf *zone, const ldns_rr_list *keys, const ldns_rr **good);
/*
 * Charge the NSEC3 hashing that a proof about name with the records nsec3 may cost (NULL or
 * empty: none); false when the answer's budget is spent (bogus: EDE 6).
 */
bool validate_nsec3_charge(struct validation *v, const ldns_rr_list *nsec3, const ldns_rdf *name);
/* The records of (owner, type) in section sec of pkt (a new list), or NULL when none. */
ldns_rr_list *validate_rrset(const ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			     ldns_pkt_section sec);

/* validate_chain.c */
/*
 * What is known of the keys for name t (lower case): walk from the deepest known point (or
 * the closest trust anchor) toward t. SECURE and BOGUS set *out; NEED fills need.
 */
enum val_keys validate_chain_keys(struct validation *v, const ldns_rdf *t,
				  struct validate_need *need, const struct keycache_entry **out);
/* Check the NSEC/NSEC3 records nsecs of pkt and their signatures by zone's keys: 0 or EDE. */
int validate_chain_denials(struct validation *v, const ldns_pkt *pkt, const ldns_rr_list *nsecs,
			   const ldns_rdf *zone, const ldns_rr_list *keys);

#endif
