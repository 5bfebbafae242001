/*
 * validate_chain.c -- the chain of trust, walked down one zone cut at a time. See
 * validate_impl.h.
 *
 * From the closest trust anchor (or the deepest zone the key cache knows) toward the zone
 * whose keys are needed: each step asks for the child's DS at the parent, which proves the
 * cut secure (DS, then the child's DNSKEY checked against it), insecure (no DS, proven by
 * NSEC/NSEC3; or only unsupported algorithms) or no cut at all; every outcome is put in the
 * key cache, so the next answer from the same zone walks nothing. A step that needs a reply
 * returns VAL_KEYS_NEED with the question; once fed, the same call makes progress.
 */
#include "dnssec/validate_impl.h"

#include "dnssec/denial.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/*
 * DNSSEC signing algorithms we validate (RFC 8624: RSASHA1(-NSEC3), RSASHA256/512, ECDSA
 * P-256/P-384, Ed25519, Ed448) and that this ldns/OpenSSL build supports. ldns would also
 * accept RSAMD5, DSA and the HMAC numbers, which must not count as DNSSEC algorithms.
 */
static bool validate_chain_algorithm_ok(uint8_t alg)
{
	switch (alg) {
	case 5:
	case 7:
	case 8:
	case 10:
	case 13:
	case 14:
	case 15:
	case 16:
		return ldns_key_algo_supported(alg);
	default:
		return false;
	}
}

/* Can any DS of the set be used (algorithm and digest supported by this build)? */
static bool validate_chain_ds_usable(const ldns_rr_list *ds)
{
	for (size_t i = 0; ds && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ds, i);
		if (ldns_rr_rd_count(rr) < 4)
			continue;
		uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		uint8_t digest = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		if (validate_chain_algorithm_ok(alg) && (digest == 1 || digest == 2 || digest == 4))
			return true;
	}
	return false;
}

static void validate_chain_put(struct validation *v, const ldns_rdf *name,
			       enum keycache_state state, const ldns_rdf *zone,
			       const ldns_rr_list *keys, int ede, uint32_t ttl)
{
	if (state == KEYCACHE_BOGUS && validate_overspent(v)) {
		/* Not the zone's fault: no blame on its chain, the KeyTrap reason instead. */
		v->overspent = true;
		v->spent = (struct keycache_entry){KEYCACHE_BOGUS, NULL, NULL, EDE_BOGUS, 0};
		snprintf(v->why, sizeof(v->why),
			 "the answer needs more signature checks or NSEC3 hashing than one answer "
			 "may cost (KeyTrap limits)");
		return;
	}
	keycache_put(v->kc, name, state, zone, keys, ede,
		     state == KEYCACHE_BOGUS ? VAL_BOGUS_TTL : ttl, v->now_ms);
}

/*
 * The reply to (zone, DNSKEY) arrived: keep the key set if a key matching the trusted DS
 * (or equal to a trusted DNSKEY) signs it.
 */
static void validate_chain_take_dnskey(struct validation *v, const ldns_rdf *zone,
				       const ldns_rr_list *ds, const ldns_rr_list *akeys)
{
	ldns_rr_list *keys =
	    v->reply ? validate_rrset(v->reply, zone, LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER)
		     : NULL;
	ldns_rr_list *sigs =
	    v->reply ? ldns_pkt_rr_list_by_type(v->reply, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANSWER)
		     : NULL;
	ldns_rr_list *trusted = xcheck(ldns_rr_list_new());
	for (size_t i = 0; keys && i < ldns_rr_list_rr_count(keys); i++) {
		ldns_rr *k = ldns_rr_list_rr(keys, i);
		bool ok = false;
		for (size_t j = 0; !ok && ds && j < ldns_rr_list_rr_count(ds); j++)
			ok = ldns_rr_compare_ds(k, ldns_rr_list_rr(ds, j));
		for (size_t j = 0; !ok && akeys && j < ldns_rr_list_rr_count(akeys); j++)
			ok = ldns_rr_compare(k, ldns_rr_list_rr(akeys, j)) == 0;
		if (ok)
			ldns_rr_list_push_rr(trusted, k);
	}
	if (ldns_rr_list_rr_count(trusted) == 0) {
		if (ds && ldns_rr_list_rr_count(ds) && !validate_chain_ds_usable(ds))
			validate_chain_put(v, zone, KEYCACHE_INSECURE, NULL, NULL, -1,
					   validate_ttl(ds));
		else
			validate_chain_put(v, zone, KEYCACHE_BOGUS, NULL, NULL, EDE_DNSKEY_MISSING,
					   0);
	} else {
		int e = validate_verify(v, keys, sigs, zone, trusted, NULL);
		if (e == 0)
			validate_chain_put(v, zone, KEYCACHE_SECURE, zone, keys, -1,
					   validate_ttl(keys));
		else
			validate_chain_put(v, zone, KEYCACHE_BOGUS, NULL, NULL, e, 0);
	}
	ldns_rr_list_free(trusted); /* shallow: its records belong to keys */
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
}

/*
 * Is the NSEC/NSEC3 record n signed for its own owner, not as the expansion of a wildcard?
 * Its RRSIG's label count is the owner's, or one less at an owner "*.": otherwise the record
 * is a wildcard's NSEC copied onto another name, which proves nothing there.
 */
static bool validate_chain_not_expanded(const ldns_rr *n, const ldns_rr *sig)
{
	const ldns_rdf *owner = ldns_rr_owner(n);
	unsigned count = ldns_dname_label_count(owner);
	unsigned labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
	if (labels == count)
		return true;
	const uint8_t *d = ldns_rdf_data(owner);
	return labels + 1 == count && ldns_rdf_size(owner) > 2 && d[0] == 1 && d[1] == '*';
}

/* Verify every NSEC/NSEC3 RRset of a section with the zone's keys: 0 or an EDE code. */
int validate_chain_denials(struct validation *v, const ldns_pkt *pkt, const ldns_rr_list *nsecs,
			   const ldns_rdf *zone, const ldns_rr_list *keys)
{
	ldns_rr_list *sigs =
	    ldns_pkt_rr_list_by_type(pkt, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_AUTHORITY);
	int e = 0;
	for (size_t i = 0; e == 0 && i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
		ldns_rr_list *set = validate_rrset(pkt, ldns_rr_owner(n), ldns_rr_get_type(n),
						   LDNS_SECTION_AUTHORITY);
		const ldns_rr *good = NULL;
		e = validate_verify(v, set, sigs, zone, keys, &good);
		if (e == 0 && !validate_chain_not_expanded(n, good))
			e = EDE_NSEC_MISSING;
		ldns_rr_list_deep_free(set);
	}
	ldns_rr_list_deep_free(sigs);
	return e;
}

/*
 * No DS for child in a reply signed by parent (entry e): from the proven NSEC or NSEC3,
 * decide whether child is an unsigned delegation (INSECURE), not a zone cut (SECURE with the
 * parent's keys), or the proof is missing or broken (BOGUS).
 */
static void validate_chain_take_no_ds(struct validation *v, const ldns_rdf *child,
				      const struct keycache_entry *e)
{
	ldns_rr_list *nsec =
	    ldns_pkt_rr_list_by_type(v->reply, LDNS_RR_TYPE_NSEC, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *nsec3 =
	    nsec ? NULL
		 : ldns_pkt_rr_list_by_type(v->reply, LDNS_RR_TYPE_NSEC3, LDNS_SECTION_AUTHORITY);
	ldns_rr_list *proof = nsec ? nsec : nsec3;
	enum keycache_state st = KEYCACHE_BOGUS;
	int ede =
	    proof ? validate_chain_denials(v, v->reply, proof, e->zone, e->keys) : EDE_NSEC_MISSING;
	if (ede == 0 && !validate_nsec3_charge(v, nsec3, child))
		ede = EDE_BOGUS;
	if (ede == 0) {
		switch (denial_of_ds(nsec, nsec3, child, e->zone)) {
		case DENIAL_NO_CUT:
			st = KEYCACHE_SECURE;
			break;
		case DENIAL_UNSIGNED_CUT:
		case DENIAL_OPT_OUT:
			st = KEYCACHE_INSECURE;
			break;
		case DENIAL_CLAIMS_DS:
			ede = EDE_BOGUS;
			break;
		case DENIAL_NO_PROOF:
			ede = EDE_NSEC_MISSING;
			break;
		}
	}
	if (st == KEYCACHE_SECURE)
		validate_chain_put(v, child, st, e->zone, e->keys, -1, validate_ttl(proof));
	else
		validate_chain_put(v, child, st, NULL, NULL, st == KEYCACHE_BOGUS ? ede : -1,
				   validate_ttl(proof));
	ldns_rr_list_deep_free(nsec);
	ldns_rr_list_deep_free(nsec3);
}

/* The reply to (child, DS) arrived; the parent's state is e. */
static void validate_chain_take_ds(struct validation *v, const ldns_rdf *child,
				   const struct keycache_entry *e)
{
	if (!v->reply) {
		validate_chain_put(v, child, KEYCACHE_BOGUS, NULL, NULL, EDE_BOGUS, 0);
		return;
	}
	ldns_rr_list *ds = validate_rrset(v->reply, child, LDNS_RR_TYPE_DS, LDNS_SECTION_ANSWER);
	if (!ds || ldns_pkt_get_rcode(v->reply) != LDNS_RCODE_NOERROR) {
		ldns_rr_list_deep_free(ds);
		validate_chain_take_no_ds(v, child, e);
		return;
	}
	ldns_rr_list *sigs =
	    ldns_pkt_rr_list_by_type(v->reply, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANSWER);
	int err = validate_verify(v, ds, sigs, e->zone, e->keys, NULL);
	ldns_rr_list_deep_free(sigs);
	if (err) {
		validate_chain_put(v, child, KEYCACHE_BOGUS, NULL, NULL, err, 0);
		ldns_rr_list_deep_free(ds);
	} else if (!validate_chain_ds_usable(ds)) {
		validate_chain_put(v, child, KEYCACHE_INSECURE, NULL, NULL, -1, validate_ttl(ds));
		ldns_rr_list_deep_free(ds);
	} else {
		ldns_rr_list_deep_free(v->ds);
		v->ds = ds; /* next: the child's DNSKEY, checked against these */
	}
}

/* Ask for (name, type) unless that reply has already been fed: then return true. */
static bool validate_chain_ask(struct validation *v, const ldns_rdf *name, ldns_rr_type type,
			       struct validate_need *need)
{
	if (v->asked && v->fed && v->asked_type == type && validate_name_eq(v->asked, name))
		return true;
	ldns_rdf_deep_free(v->asked);
	v->asked = validate_name(name);
	v->asked_type = type;
	v->fed = false;
	need->name_len = ldns_rdf_size(v->asked);
	memcpy(need->name, ldns_rdf_data(v->asked), need->name_len);
	need->type = type;
	return false;
}

/* The fed reply has been used: forget it. */
static void validate_chain_consumed(struct validation *v)
{
	ldns_rdf_deep_free(v->asked);
	v->asked = NULL;
	v->fed = false;
	ldns_pkt_free(v->reply);
	v->reply = NULL;
}

/* One step down from known name n (entry e) toward t: fetch or take the child's DS/DNSKEY. */
static enum val_keys validate_chain_descend(struct validation *v, const ldns_rdf *t,
					    const ldns_rdf *n, const struct keycache_entry *e,
					    struct validate_need *need)
{
	size_t tl = ldns_dname_label_count(t), nl = ldns_dname_label_count(n);
	ldns_rdf *c = xcheck(ldns_dname_clone_from(t, tl - nl - 1));
	enum val_keys r = VAL_KEYS_NEED;
	ldns_dname2canonical(c);
	if (v->ds && validate_name_eq(ldns_rr_owner(ldns_rr_list_rr(v->ds, 0)), c)) {
		if (validate_chain_ask(v, c, LDNS_RR_TYPE_DNSKEY, need)) {
			validate_chain_take_dnskey(v, c, v->ds, NULL);
			ldns_rr_list_deep_free(v->ds);
			v->ds = NULL;
			validate_chain_consumed(v);
			r = VAL_KEYS_PROGRESS;
		}
	} else if (validate_chain_ask(v, c, LDNS_RR_TYPE_DS, need)) {
		struct keycache_entry copy = *e;
		copy.zone = xcheck(ldns_rdf_clone(e->zone));
		copy.keys = xcheck(ldns_rr_list_clone(e->keys));
		validate_chain_take_ds(v, c, &copy);
		ldns_rdf_deep_free(copy.zone);
		ldns_rr_list_deep_free(copy.keys);
		validate_chain_consumed(v);
		r = VAL_KEYS_PROGRESS;
	}
	ldns_rdf_deep_free(c);
	return r;
}

/*
 * What is known of the keys for name t (lower case): walk from the deepest known point (or
 * the closest trust anchor) toward t. SECURE and BOGUS set *out.
 */
enum val_keys validate_chain_keys(struct validation *v, const ldns_rdf *t,
				  struct validate_need *need, const struct keycache_entry **out)
{
	if (v->overspent) {
		*out = &v->spent;
		return VAL_KEYS_BOGUS;
	}
	if (anchor_is_insecure(v->anchors, t))
		return VAL_KEYS_INSECURE;
	const struct anchor *a = anchor_find(v->anchors, t);
	if (!a)
		return VAL_KEYS_INSECURE;
	ldns_rdf *n = validate_name(t);
	const struct keycache_entry *e;
	while (!(e = keycache_get(v->kc, n, v->now_ms)) && !validate_name_eq(n, a->zone)) {
		ldns_rdf *p = xcheck(ldns_dname_left_chop(n));
		ldns_rdf_deep_free(n);
		n = p;
	}
	enum val_keys r;
	if (!e) {
		r = VAL_KEYS_NEED;
		if (validate_chain_ask(v, a->zone, LDNS_RR_TYPE_DNSKEY, need)) {
			validate_chain_take_dnskey(v, a->zone, a->ds, a->key);
			validate_chain_consumed(v);
			r = VAL_KEYS_PROGRESS;
		}
	} else if (e->state != KEYCACHE_SECURE) {
		*out = e;
		r = e->state == KEYCACHE_INSECURE ? VAL_KEYS_INSECURE : VAL_KEYS_BOGUS;
		if (r == VAL_KEYS_BOGUS) {
			ldns_rdf_deep_free(v->bogus_keys);
			v->bogus_keys = xcheck(ldns_rdf_clone(n));
		}
	} else if (validate_name_eq(n, t)) {
		*out = e;
		r = VAL_KEYS_SECURE;
	} else {
		r = validate_chain_descend(v, t, n, e, need);
	}
	ldns_rdf_deep_free(n);
	return r;
}
