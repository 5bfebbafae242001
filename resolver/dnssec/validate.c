/*
 * validate.c -- DNSSEC validation without I/O. See validate.h.
 *
 * validation_step runs two passes over the answer. The first lists the zones whose keys are
 * needed (the signers of its RRSIGs, or for unsigned data the owner names) and walks the chain
 * of trust to each through the keycache, asking for DS/DNSKEY replies as it goes; it does no
 * signature checks on the answer itself, so a walk that has to pause costs nothing to redo.
 * The second pass, once every zone's state is known, verifies each RRset and denial proof.
 * The walk itself, one DS/DNSKEY step at a time, is validate_chain.c.
 */
#include "dnssec/validate_impl.h"

#include "dnssec/sigcheck.h"

#include "dnssec/denial.h"
#include "dns/pkt.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/*
 * Does every record of a type whose fields validation reads (ldns's accessors and ours) have
 * at least the fields its type requires? ldns parses a record's rdata only as far as its
 * rdlength goes, so a CNAME with no rdata or an RRSIG cut after its type field arrives with
 * the missing fields NULL, which ldns's accessors assert on. Such a message is malformed.
 */
static bool val_pkt_complete(const ldns_pkt *pkt)
{
	const ldns_rr_list *secs[] = {ldns_pkt_answer(pkt), ldns_pkt_authority(pkt),
				      ldns_pkt_additional(pkt)};
	for (size_t s = 0; s < sizeof(secs) / sizeof(secs[0]); s++) {
		for (size_t i = 0; secs[s] && i < ldns_rr_list_rr_count(secs[s]); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(secs[s], i);
			switch (ldns_rr_get_type(rr)) {
			case LDNS_RR_TYPE_CNAME:
			case LDNS_RR_TYPE_DNAME:
			case LDNS_RR_TYPE_SOA:
			case LDNS_RR_TYPE_DS:
			case LDNS_RR_TYPE_DNSKEY:
			case LDNS_RR_TYPE_RRSIG:
			case LDNS_RR_TYPE_NSEC:
			case LDNS_RR_TYPE_NSEC3:
			case LDNS_RR_TYPE_NSEC3PARAM:
				break;
			default:
				continue;
			}
			const ldns_rr_descriptor *d = ldns_rr_descript(ldns_rr_get_type(rr));
			if (ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(d))
				return false;
		}
	}
	return true;
}

/* Parse a message for validation: NULL when it is not DNS or has records cut short. */
static ldns_pkt *val_parse(const uint8_t *body, size_t len)
{
	ldns_pkt *pkt = pkt_from_wire(body, len, NULL, NULL);
	if (!pkt)
		return NULL;
	if (!val_pkt_complete(pkt)) {
		ldns_pkt_free(pkt);
		return NULL;
	}
	return pkt;
}

struct validation *validation_new(const struct anchor_set *anchors, struct keycache *kc,
				  const uint8_t *body, size_t len, time_t now, uint64_t now_ms)
{
	struct validation *v = xcheck(calloc(1, sizeof(*v)));
	v->anchors = anchors;
	v->kc = kc;
	v->now = now;
	v->now_ms = now_ms;
	v->pkt = val_parse(body, len);
	if (!v->pkt) {
		v->done = true;
		v->status = VALIDATE_BOGUS;
		v->ede = EDE_BOGUS;
	}
	return v;
}

const char *validation_why(const struct validation *v)
{
	if (v->status != VALIDATE_BOGUS)
		return "";
	return v->why[0] ? v->why : "the answer does not parse as DNS or is malformed";
}

bool validation_broken_above(const struct validation *v, const uint8_t *name, size_t len)
{
	if (v->status != VALIDATE_BOGUS || !v->broken)
		return false;
	ldns_rdf n = {._size = len, ._type = LDNS_RDF_TYPE_DNAME, ._data = (void *)name};
	return anchor_name_under(&n, v->broken);
}

void validation_free(struct validation *v)
{
	if (!v)
		return;
	ldns_pkt_free(v->pkt);
	ldns_pkt_free(v->reply);
	ldns_rdf_deep_free(v->asked);
	ldns_rr_list_deep_free(v->ds);
	ldns_rdf_deep_free(v->bogus_keys);
	ldns_rdf_deep_free(v->broken);
	free(v);
}

enum validate_status validation_result(const struct validation *v, int *ede)
{
	*ede = v->status == VALIDATE_BOGUS ? v->ede : -1;
	return v->status;
}

void validation_feed(struct validation *v, const uint8_t *body, size_t len)
{
	ldns_pkt_free(v->reply);
	v->reply = NULL;
	v->fed = true;
	if (body)
		v->reply = val_parse(body, len);
}

static int val_ede_of(ldns_status st)
{
	switch (st) {
	case LDNS_STATUS_CRYPTO_SIG_EXPIRED:
		return EDE_SIG_EXPIRED;
	case LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED:
		return EDE_SIG_NOT_YET;
	case LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY:
	case LDNS_STATUS_CRYPTO_NO_DNSKEY:
		return EDE_DNSKEY_MISSING;
	default:
		return EDE_BOGUS;
	}
}

/* Lower-case copy of a name, owned by the caller. */
ldns_rdf *validate_name(const ldns_rdf *name)
{
	ldns_rdf *n = xcheck(ldns_rdf_clone(name));
	ldns_dname2canonical(n);
	return n;
}

bool validate_name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

/* The smallest TTL of a list, capped. */
uint32_t validate_ttl(const ldns_rr_list *l)
{
	uint32_t ttl = VAL_MAX_KEY_TTL;
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(l, i)) < ttl)
			ttl = ldns_rr_ttl(ldns_rr_list_rr(l, i));
	return ttl;
}

/* The keys of keys that could have made sig (its tag and algorithm), at most
 * VAL_MAX_KEYS_PER_TAG of them: a list of the same records, to free with ldns_rr_list_free. */
static ldns_rr_list *val_keys_for(const ldns_rr *sig, const ldns_rr_list *keys)
{
	ldns_rr_list *out = xcheck(ldns_rr_list_new());
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		ldns_rr *k = ldns_rr_list_rr(keys, i);
		if (ldns_rr_get_type(k) != LDNS_RR_TYPE_DNSKEY || ldns_calc_keytag(k) != tag ||
		    ldns_rdf2native_int8(ldns_rr_dnskey_algorithm(k)) != alg)
			continue;
		if (ldns_rr_list_rr_count(out) == VAL_MAX_KEYS_PER_TAG)
			break;
		ldns_rr_list_push_rr(out, k);
	}
	return out;
}

/*
 * Check the RRSIGs (from sigs) of rrset made by zone with keys. Returns 0 when one verifies,
 * else the EDE code: 10 when there is no RRSIG by that zone at all. KeyTrap: at most
 * VAL_MAX_SIGS_PER_RRSET RRSIGs are tried, each with at most VAL_MAX_KEYS_PER_TAG keys, and
 * once the answer has cost VAL_MAX_VERIFIES checks every further RRset is bogus.
 */
int validate_verify(struct validation *v, const ldns_rr_list *rrset, const ldns_rr_list *sigs,
		    const ldns_rdf *zone, const ldns_rr_list *keys, const ldns_rr **good)
{
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	ldns_status last = LDNS_STATUS_CRYPTO_NO_RRSIG;
	unsigned tried = 0;
	for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) != ldns_rr_get_type(first) ||
		    !validate_name_eq(ldns_rr_owner(sig), ldns_rr_owner(first)) ||
		    !validate_name_eq(ldns_rr_rrsig_signame(sig), zone))
			continue;
		if (++tried > VAL_MAX_SIGS_PER_RRSET)
			break;
		ldns_rr_list *cand = val_keys_for(sig, keys);
		size_t n = ldns_rr_list_rr_count(cand);
		if (v->verifies + n > VAL_MAX_VERIFIES) {
			ldns_rr_list_free(cand);
			v->verifies = VAL_MAX_VERIFIES + 1;
			return EDE_BOGUS;
		}
		v->verifies += (unsigned)n;
		last = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
		for (size_t k = 0; k < n && last != LDNS_STATUS_OK; k++)
			last = sigcheck_verify(keycache_sigcheck(v->kc), rrset, sig,
					       ldns_rr_list_rr(cand, k), v->now);
		ldns_rr_list_free(cand);
		if (last == LDNS_STATUS_OK) {
			if (good)
				*good = sig;
			return 0;
		}
	}
	return tried ? val_ede_of(last) : EDE_RRSIGS_MISSING;
}

bool validate_nsec3_charge(struct validation *v, const ldns_rr_list *nsec3, const ldns_rdf *name)
{
	if (!nsec3 || !ldns_rr_list_rr_count(nsec3))
		return true;
	unsigned rounds = ldns_nsec3_iterations(ldns_rr_list_rr(nsec3, 0)) + 1u;
	v->nsec3_work += (ldns_dname_label_count(name) + 1u) * rounds;
	return v->nsec3_work <= VAL_MAX_NSEC3_WORK;
}

unsigned validation_cost(const struct validation *v)
{
	return v->verifies;
}

/* RRSIGs and the RRset of (owner, type) in a section of pkt; caller frees both lists. */
ldns_rr_list *validate_rrset(const ldns_pkt *pkt, const ldns_rdf *owner, ldns_rr_type type,
			     ldns_pkt_section sec)
{
	return ldns_pkt_rr_list_by_name_and_type(pkt, owner, type, sec);
}

/* Could zone signer hold name, i.e. is name at or below it (RFC 4035 5.3.1)? */
static bool val_signs_for(const ldns_rdf *signer, const ldns_rdf *name)
{
	ldns_rdf *z = validate_name(signer), *n = validate_name(name);
	bool ok = anchor_name_under(n, z);
	ldns_rdf_deep_free(z);
	ldns_rdf_deep_free(n);
	return ok;
}

/* The signer of the first RRSIG covering (owner, type) in sigs, or NULL. */
static const ldns_rdf *val_signer(const ldns_rr_list *sigs, const ldns_rdf *owner,
				  ldns_rr_type type, const ldns_rr **sig_out)
{
	for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *s = ldns_rr_list_rr(sigs, i);
		if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) == type &&
		    validate_name_eq(ldns_rr_owner(s), owner)) {
			if (sig_out)
				*sig_out = s;
			return ldns_rr_rrsig_signame(s);
		}
	}
	return NULL;
}

/* The name a negative answer denies: the qname, or the end of the answer's CNAME chain. */
static ldns_rdf *val_denied_name(const ldns_pkt *pkt)
{
	ldns_rdf *d = validate_name(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	for (int hops = 0; hops < 16; hops++) {
		size_t i;
		for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    validate_name_eq(ldns_rr_owner(rr), d))
				break;
		}
		if (i == ldns_rr_list_rr_count(an))
			break;
		ldns_rdf_deep_free(d);
		d = validate_name(ldns_rr_rdf(ldns_rr_list_rr(an, i), 0));
	}
	return d;
}

/* Is this a NXDOMAIN/NODATA answer (after any CNAME chain)? */
static bool val_negative(const ldns_pkt *pkt, const ldns_rdf *denied, ldns_rr_type qtype)
{
	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN)
		return true;
	if (qtype == LDNS_RR_TYPE_ANY || qtype == LDNS_RR_TYPE_CNAME)
		return ldns_pkt_ancount(pkt) == 0;
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == qtype && validate_name_eq(ldns_rr_owner(rr), denied))
			return false;
	}
	/* A chain that stops at a name with neither data nor an SOA saying there is none was not
	 * followed by the server (its end is resolved on its own, see scrub.h): what there is to
	 * check here are its CNAMEs, as in Unbound's "CNAME without answer". */
	const ldns_rdf *qname = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0));
	ldns_rr_list *soa = ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_SOA, LDNS_SECTION_AUTHORITY);
	bool unfollowed = !soa && !validate_name_eq(qname, denied);
	ldns_rr_list_deep_free(soa);
	return !unfollowed;
}

/* Fold one RRset's outcome into the answer's. */
static void val_merge(struct validation *v, enum validate_status st, int ede)
{
	if (v->status == VALIDATE_BOGUS)
		return;
	if (st == VALIDATE_BOGUS) {
		v->status = VALIDATE_BOGUS;
		v->ede = ede;
		snprintf(v->why, sizeof(v->why), "the answer does not validate");
	} else if (st == VALIDATE_INSECURE) {
		v->status = VALIDATE_INSECURE;
	}
}

static void val_name_text(const ldns_rdf *name, char *out, size_t cap)
{
	char *t = ldns_rdf2str(name);
	snprintf(out, cap, "%s", t ? t : "?");
	free(t);
}

/* The chain of trust broke at zone (its DS or DNSKEY step, per ede): say so, once. */
static void val_blame_chain(struct validation *v, const ldns_rdf *zone, int ede)
{
	char z[LDNS_MAX_DOMAINLEN * 4 + 1];
	val_name_text(zone, z, sizeof(z));
	const char *what = "its DS or DNSKEY records do not verify";
	if (ede == EDE_DNSKEY_MISSING)
		what = "no DNSKEY that its DS (or the trust anchor) vouches for could be had";
	else if (ede == EDE_NSEC_MISSING)
		what = "no DS, and no signed NSEC/NSEC3 proof from its parent that it has none";
	else if (ede == EDE_RRSIGS_MISSING)
		what = "its DNSKEY or DS records are not signed";
	else if (ede == EDE_SIG_EXPIRED)
		what = "the signatures on its DS or DNSKEY records have expired";
	else if (ede == EDE_SIG_NOT_YET)
		what = "the signatures on its DS or DNSKEY records are not valid yet";
	snprintf(v->why, sizeof(v->why), "chain of trust broken at %s: %s", z, what);
	ldns_rdf_deep_free(v->broken);
	v->broken = xcheck(ldns_rdf_clone(zone));
}

/* An RRset (owner, type) of the answer, signed by zone, failed with ede. */
static void val_blame_rrset(struct validation *v, const ldns_rdf *owner, ldns_rr_type type,
			    const ldns_rdf *zone, int ede)
{
	char o[LDNS_MAX_DOMAINLEN * 4 + 1], z[sizeof(o)];
	val_name_text(owner, o, sizeof(o));
	val_name_text(zone, z, sizeof(z));
	char *t = ldns_rr_type2str(type);
	const char *what = "its signature does not verify";
	if (ede == EDE_RRSIGS_MISSING)
		what = "it has no RRSIG";
	else if (ede == EDE_NSEC_MISSING)
		what = "no signed NSEC/NSEC3 proof came with it";
	else if (ede == EDE_SIG_EXPIRED)
		what = "its signature has expired";
	else if (ede == EDE_SIG_NOT_YET)
		what = "its signature is not valid yet";
	if (validate_overspent(v))
		what =
		    "the answer needs more signature checks or NSEC3 hashing than one answer may "
		    "cost (KeyTrap limits)";
	snprintf(v->why, sizeof(v->why), "%s %s (zone %s, which is signed): %s", o, t ? t : "?", z,
		 what);
	ldns_rdf_deep_free(v->broken);
	v->broken = NULL;
	free(t);
}

/*
 * Fold a zone whose keys are not usable (INSECURE, BOGUS) into the outcome. Returns true
 * when the keys are SECURE and the caller has signatures to check.
 */
static bool val_merge_keys(struct validation *v, enum val_keys k, const struct keycache_entry *e)
{
	bool first = v->status != VALIDATE_BOGUS;
	if (k == VAL_KEYS_INSECURE)
		val_merge(v, VALIDATE_INSECURE, -1);
	else if (k == VAL_KEYS_BOGUS)
		val_merge(v, VALIDATE_BOGUS, e->ede);
	if (k == VAL_KEYS_BOGUS && first && v->bogus_keys)
		val_blame_chain(v, v->bogus_keys, e->ede);
	return k == VAL_KEYS_SECURE;
}

/* An RRset failed its check: fold it in and, if it is the first failure, say which. */
static void val_merge_rrset(struct validation *v, const ldns_rdf *owner, ldns_rr_type type,
			    const ldns_rdf *zone, int ede)
{
	bool first = v->status != VALIDATE_BOGUS;
	val_merge(v, VALIDATE_BOGUS, ede);
	if (first)
		val_blame_rrset(v, owner, type, zone, ede);
}

/* Is the RRSIG a wildcard expansion (fewer labels than its owner)? */
static bool val_is_wildcard(const ldns_rr *sig)
{
	uint8_t labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
	return labels < ldns_dname_label_count(ldns_rr_owner(sig));
}

/* A wildcard answer for owner needs proof that owner itself does not exist (RFC 4035 5.3.4). */
static int val_wildcard_proof(struct validation *v, const ldns_rdf *owner, const ldns_rr *sig,
			      const ldns_rdf *zone, const ldns_rr_list *keys)
{
	ldns_rr_list *nsec =
	    ldns_pkt_rr_list_by_type(v->pkt, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *nsec3 =
	    nsec ? NULL
		 : ldns_pkt_rr_list_by_type(v->pkt, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *proof = nsec ? nsec : nsec3;
	int e = proof ? validate_chain_denials(v, v->pkt, proof, zone, keys) : EDE_NSEC_MISSING;
	unsigned labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
	if (e == 0 && !validate_nsec3_charge(v, nsec3, owner))
		e = EDE_BOGUS;
	if (e == 0 && !denial_of_wildcard_owner(nsec, nsec3, owner, labels, zone))
		e = EDE_NSEC_MISSING;
	ldns_rr_list_deep_free(nsec);
	ldns_rr_list_deep_free(nsec3);
	return e;
}

/*
 * One RRset of the answer section: find its zone's keys and, when verify, check it.
 * Returns NEED/PROGRESS while keys are being learnt, else SECURE.
 */
static enum val_keys val_rrset_check(struct validation *v, const ldns_rr *first, bool verify,
				     struct validate_need *need)
{
	ldns_rr_list *sigs =
	    ldns_pkt_rr_list_by_type(v->pkt, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANSWER);
	const ldns_rr *sig = NULL;
	const ldns_rdf *signer =
	    val_signer(sigs, ldns_rr_owner(first), ldns_rr_get_type(first), &sig);
	if (signer && !val_signs_for(signer, ldns_rr_owner(first)))
		signer = NULL; /* a zone can only sign its own names: as good as unsigned */
	ldns_rdf *zone = validate_name(signer ? signer : ldns_rr_owner(first));
	const struct keycache_entry *e = NULL;
	enum val_keys k = validate_chain_keys(v, zone, need, &e);
	if (verify && val_merge_keys(v, k, e)) {
		ldns_rr_list *set = validate_rrset(v->pkt, ldns_rr_owner(first),
						   ldns_rr_get_type(first), LDNS_SECTION_ANSWER);
		/* The RRSIG that verified says whether this is a wildcard expansion, not the
		 * first one listed: an attacker could put one with any label count ahead. */
		const ldns_rr *good = NULL;
		int err = signer ? validate_verify(v, set, sigs, zone, e->keys, &good)
				 : EDE_RRSIGS_MISSING;
		if (err == 0 && val_is_wildcard(good))
			err = val_wildcard_proof(v, ldns_rr_owner(first), good, zone, e->keys);
		if (err)
			val_merge_rrset(v, ldns_rr_owner(first), ldns_rr_get_type(first), zone,
					err);
		ldns_rr_list_deep_free(set);
	}
	ldns_rdf_deep_free(zone);
	ldns_rr_list_deep_free(sigs);
	return k == VAL_KEYS_NEED || k == VAL_KEYS_PROGRESS ? k : VAL_KEYS_SECURE;
}

/* Check the denial (NSEC or NSEC3) of name/qtype in the authority section. 0 or an EDE. */
static int val_denial(struct validation *v, const ldns_rdf *name, const ldns_rdf *zone,
		      const ldns_rr_list *keys, bool *insecure)
{
	ldns_rr_type qtype = ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(v->pkt), 0));
	ldns_rr_list *nsec =
	    ldns_pkt_rr_list_by_type(v->pkt, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *nsec3 =
	    nsec ? NULL
		 : ldns_pkt_rr_list_by_type(v->pkt, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *sigs =
	    ldns_pkt_rr_list_by_type(v->pkt, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *proof = nsec ? nsec : nsec3;
	bool nxdomain = ldns_pkt_get_rcode(v->pkt) == LDNS_RCODE_NXDOMAIN;
	int e = proof ? validate_chain_denials(v, v->pkt, proof, zone, keys) : EDE_NSEC_MISSING;
	if (e == 0 && !validate_nsec3_charge(v, nsec3, name))
		e = EDE_BOGUS;
	if (e == 0 && !denial_of_answer(nsec, nsec3, sigs, name, qtype, nxdomain, zone, insecure))
		e = EDE_NSEC_MISSING;
	ldns_rr_list_deep_free(nsec);
	ldns_rr_list_deep_free(nsec3);
	ldns_rr_list_deep_free(sigs);
	return e;
}

/* The authority part of a NXDOMAIN/NODATA answer: keys of its zone and, if verify, proofs. */
static enum val_keys val_negative_check(struct validation *v, bool verify,
					struct validate_need *need)
{
	ldns_rdf *denied = val_denied_name(v->pkt);
	ldns_rr_list *sigs =
	    ldns_pkt_rr_list_by_type(v->pkt, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_AUTHORITY);
	const ldns_rdf *signer = NULL;
	for (size_t i = 0; !signer && sigs && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rdf *s = ldns_rr_rrsig_signame(ldns_rr_list_rr(sigs, i));
		if (val_signs_for(s, denied)) /* only the denied name's own zone may deny it */
			signer = s;
	}
	ldns_rdf *zone = validate_name(signer ? signer : denied);
	const struct keycache_entry *e = NULL;
	enum val_keys k = validate_chain_keys(v, zone, need, &e);
	if (verify && val_merge_keys(v, k, e)) {
		/* RRSIGs only from other zones: a proof from the wrong zone proves nothing. */
		int err = signer ? 0 : sigs ? EDE_NSEC_MISSING : EDE_RRSIGS_MISSING;
		ldns_rr_list *soa =
		    validate_rrset(v->pkt, zone, LDNS_RR_TYPE_SOA, LDNS_SECTION_AUTHORITY);
		if (err == 0 && soa)
			err = validate_verify(v, soa, sigs, zone, e->keys, NULL);
		bool insecure = false;
		if (err == 0)
			err = val_denial(v, denied, zone, e->keys, &insecure);
		if (err)
			val_merge_rrset(
			    v, denied,
			    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(v->pkt), 0)), zone,
			    err);
		else if (insecure)
			val_merge(v, VALIDATE_INSECURE, -1);
		ldns_rr_list_deep_free(soa);
	}
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(denied);
	ldns_rr_list_deep_free(sigs);
	return k == VAL_KEYS_NEED || k == VAL_KEYS_PROGRESS ? k : VAL_KEYS_SECURE;
}

/*
 * Is cname the unsigned CNAME a server synthesises from a DNAME in the same answer (RFC 6672
 * 5.3.1)? Its owner is prefix + DNAME owner and its target prefix + DNAME target; the DNAME
 * RRset itself is validated as usual.
 */
static bool val_cname_from_dname(const ldns_pkt *pkt, const ldns_rr *cname)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	ldns_rdf *owner = validate_name(ldns_rr_owner(cname));
	ldns_rdf *target = validate_name(ldns_rr_rdf(cname, 0));
	size_t olen = ldns_rdf_size(owner);
	bool ok = false;
	for (size_t i = 0; !ok && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *d = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(d) != LDNS_RR_TYPE_DNAME)
			continue;
		ldns_rdf *downer = validate_name(ldns_rr_owner(d));
		ldns_rdf *dtarget = validate_name(ldns_rr_rdf(d, 0));
		size_t dlen = ldns_rdf_size(downer), plen = olen - dlen;
		ok = olen > dlen && anchor_name_under(owner, downer) &&
		     ldns_rdf_size(target) == plen + ldns_rdf_size(dtarget) &&
		     !memcmp(ldns_rdf_data(target), ldns_rdf_data(owner), plen) &&
		     !memcmp(ldns_rdf_data(target) + plen, ldns_rdf_data(dtarget),
			     ldns_rdf_size(dtarget));
		ldns_rdf_deep_free(downer);
		ldns_rdf_deep_free(dtarget);
	}
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(target);
	return ok;
}

/* One pass over the answer; NEED/PROGRESS while keys are missing, else SECURE (= finished). */
static enum val_keys val_pass(struct validation *v, bool verify, struct validate_need *need)
{
	const ldns_rr_list *an = ldns_pkt_answer(v->pkt);
	v->status = VALIDATE_SECURE;
	v->ede = -1;
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			continue;
		bool seen = false; /* one check per RRset */
		for (size_t j = 0; j < i && !seen; j++) {
			const ldns_rr *o = ldns_rr_list_rr(an, j);
			seen = ldns_rr_get_type(o) == ldns_rr_get_type(rr) &&
			       validate_name_eq(ldns_rr_owner(o), ldns_rr_owner(rr));
		}
		if (!seen && ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    val_cname_from_dname(v->pkt, rr))
			seen = true; /* stands or falls with its DNAME */
		enum val_keys k = seen ? VAL_KEYS_SECURE : val_rrset_check(v, rr, verify, need);
		if (k != VAL_KEYS_SECURE)
			return k;
	}
	ldns_rdf *denied = val_denied_name(v->pkt);
	ldns_rr_type qtype = ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(v->pkt), 0));
	bool negative = val_negative(v->pkt, denied, qtype);
	ldns_rdf_deep_free(denied);
	return negative ? val_negative_check(v, verify, need) : VAL_KEYS_SECURE;
}

enum validate_step validation_step(struct validation *v, struct validate_need *need)
{
	while (!v->done) {
		if (++v->steps > VAL_MAX_STEPS || !ldns_pkt_question(v->pkt) ||
		    ldns_rr_list_rr_count(ldns_pkt_question(v->pkt)) != 1) {
			v->status = VALIDATE_BOGUS;
			v->ede = EDE_BOGUS;
			snprintf(v->why, sizeof(v->why),
				 "more than %d validation steps, or not one question",
				 VAL_MAX_STEPS);
			v->done = true;
			break;
		}
		enum val_keys k = val_pass(v, false, need);
		if (k == VAL_KEYS_NEED)
			return VALIDATE_NEED;
		if (k == VAL_KEYS_PROGRESS)
			continue;
		/* Every zone's state is known: now the crypto, once. */
		k = val_pass(v, true, need);
		if (k == VAL_KEYS_NEED)
			return VALIDATE_NEED;
		v->done = k == VAL_KEYS_SECURE;
	}
	return VALIDATE_DONE;
}

/* Does a client without DO get this record? Not the DNSSEC ones, unless it asked for them. */
static bool val_strip_keep(void *ud, unsigned index, const struct msg_rr *rr)
{
	uint16_t qtype = *(const uint16_t *)ud;
	bool dnssec = rr->type == LDNS_RR_TYPE_RRSIG || rr->type == LDNS_RR_TYPE_NSEC ||
		      rr->type == LDNS_RR_TYPE_NSEC3;
	(void)index;
	return !dnssec || (rr->section == 1 && rr->type == qtype);
}

size_t validate_strip(const uint8_t *body, size_t len, uint16_t qtype, uint8_t *out, size_t cap)
{
	ldns_pkt *p = pkt_from_wire(body, len, val_strip_keep, &qtype);
	size_t n = p ? pkt_to_wire(p, out, cap) : 0;
	ldns_pkt_free(p);
	return n;
}
