/*
 * denial.c -- reading NSEC and NSEC3 proofs. See denial.h.
 *
 * NXDOMAIN proofs use ldns's checks; NSEC3 NODATA is checked here because the NODATA branch
 * of ldns_dnssec_verify_denial_nsec3 (ldns 1.8) leaks the hashed name on every call.
 */
#include "dnssec/denial.h"
#include "util/xalloc.h"

#include <stdlib.h>

/* Lower-case copy; the caller frees it. */
static ldns_rdf *denial_lower(const ldns_rdf *name)
{
	ldns_rdf *n = xcheck(ldns_rdf_clone(name));
	ldns_dname2canonical(n);
	return n;
}

/* hash(name).zone with the parameters of nsec3, lower case; NULL on failure. */
static ldns_rdf *denial_hash(const ldns_rr *nsec3, const ldns_rdf *name, const ldns_rdf *zone)
{
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(nsec3, name);
	if (h && ldns_dname_cat(h, zone) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		return NULL;
	}
	if (h)
		ldns_dname2canonical(h);
	return h;
}

/* The record of list whose owner is name (lower case), or NULL. */
static const ldns_rr *denial_at(const ldns_rr_list *list, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *n = ldns_rr_list_rr(list, i);
		ldns_rdf *owner = denial_lower(ldns_rr_owner(n));
		bool match = ldns_dname_compare(owner, name) == 0;
		ldns_rdf_deep_free(owner);
		if (match)
			return n;
	}
	return NULL;
}

/*
 * The record of list whose span strictly covers name (owner < name < next), or NULL.
 * ldns_nsec_covers_name also counts owner == name, which proves existence, not absence.
 */
static const ldns_rr *denial_covering(const ldns_rr_list *list, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *n = ldns_rr_list_rr(list, i);
		ldns_rdf *owner = denial_lower(ldns_rr_owner(n));
		bool strict =
		    ldns_dname_compare(owner, name) != 0 && ldns_nsec_covers_name(n, name);
		ldns_rdf_deep_free(owner);
		if (strict)
			return n;
	}
	return NULL;
}

static bool denial_too_costly(const ldns_rr_list *nsec3)
{
	return ldns_nsec3_iterations(ldns_rr_list_rr(nsec3, 0)) > DENIAL_MAX_ITERATIONS;
}

enum denial_ds denial_of_ds(const ldns_rr_list *nsec, const ldns_rr_list *nsec3,
			    const ldns_rdf *name, const ldns_rdf *zone)
{
	if (!nsec && !nsec3)
		return DENIAL_NO_PROOF;
	if (!nsec && denial_too_costly(nsec3))
		return DENIAL_OPT_OUT;
	ldns_rdf *look =
	    nsec ? denial_lower(name) : denial_hash(ldns_rr_list_rr(nsec3, 0), name, zone);
	const ldns_rr_list *proof = nsec ? nsec : nsec3;
	enum denial_ds r = DENIAL_NO_PROOF;
	const ldns_rr *n = look ? denial_at(proof, look) : NULL;
	if (n) {
		const ldns_rdf *bitmap = nsec ? ldns_nsec_get_bitmap(n) : ldns_nsec3_bitmap(n);
		bool ns = ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_NS);
		bool soa = ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_SOA);
		if (ldns_nsec_bitmap_covers_type(bitmap, LDNS_RR_TYPE_DS))
			r = DENIAL_CLAIMS_DS;
		else
			r = ns && !soa ? DENIAL_UNSIGNED_CUT : DENIAL_NO_CUT;
	} else if (look && (n = denial_covering(proof, look))) {
		/* The name does not exist; an opt-out span may hide unsigned delegations. */
		r = !nsec && ldns_nsec3_optout(n) ? DENIAL_OPT_OUT : DENIAL_NO_CUT;
	}
	ldns_rdf_deep_free(look);
	return r;
}

/* Is there an NSEC3 at hash(name) whose bitmap lacks qtype and CNAME? */
static bool denial_nsec3_nodata_at(const ldns_rr_list *nsec3, const ldns_rdf *name,
				   ldns_rr_type qtype, const ldns_rdf *zone)
{
	ldns_rdf *h = denial_hash(ldns_rr_list_rr(nsec3, 0), name, zone);
	const ldns_rr *n = h ? denial_at(nsec3, h) : NULL;
	ldns_rdf_deep_free(h);
	return n && !ldns_nsec_bitmap_covers_type(ldns_nsec3_bitmap(n), qtype) &&
	       !ldns_nsec_bitmap_covers_type(ldns_nsec3_bitmap(n), LDNS_RR_TYPE_CNAME);
}

/* NSEC3 NODATA (RFC 5155 8.5-8.7): at the name itself, or at the closest encloser's wildcard. */
static bool denial_nsec3_nodata(const ldns_rr_list *nsec3, const ldns_rdf *name, ldns_rr_type qtype,
				const ldns_rdf *zone)
{
	if (denial_nsec3_nodata_at(nsec3, name, qtype, zone))
		return true;
	ldns_rdf *ce = ldns_dnssec_nsec3_closest_encloser(name, qtype, (ldns_rr_list *)nsec3);
	ldns_rdf *wild = ce ? ldns_dname_new_frm_str("*") : NULL;
	bool ok = wild && ldns_dname_cat(wild, ce) == LDNS_STATUS_OK &&
		  denial_nsec3_nodata_at(nsec3, wild, qtype, zone);
	ldns_rdf_deep_free(wild);
	ldns_rdf_deep_free(ce);
	return ok;
}

/*
 * NODATA at an empty non-terminal (RFC 4035 3.1.3.2, RFC 7129 3): name has no records but
 * names below it exist, so the NSEC that covers it points at one of its descendants.
 */
static bool denial_nsec_ent(const ldns_rr_list *nsec, const ldns_rdf *name)
{
	const ldns_rr *n = denial_covering(nsec, name);
	if (!n || ldns_rr_rd_count(n) < 1)
		return false;
	ldns_rdf *next = denial_lower(ldns_rr_rdf(n, 0));
	bool below = ldns_dname_is_subdomain(next, name);
	ldns_rdf_deep_free(next);
	return below;
}

bool denial_of_answer(const ldns_rr_list *nsec, const ldns_rr_list *nsec3, ldns_rr_list *sigs,
		      const ldns_rdf *name, ldns_rr_type qtype, bool nxdomain, const ldns_rdf *zone,
		      bool *insecure)
{
	if (!nsec && !nsec3)
		return false;
	if (!nsec && denial_too_costly(nsec3)) {
		*insecure = true;
		return true;
	}
	if (!nsec && !nxdomain)
		return denial_nsec3_nodata(nsec3, name, qtype, zone);
	if (nsec) {
		ldns_rdf *lname = denial_lower(name);
		const ldns_rr *at = denial_at(nsec, lname);
		bool ent = !at && !nxdomain && denial_nsec_ent(nsec, lname);
		ldns_rdf_deep_free(lname);
		if (at && nxdomain)
			return false; /* an NSEC at the name proves that it exists */
		if (at)
			return !ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(at), qtype) &&
			       !ldns_nsec_bitmap_covers_type(ldns_nsec_get_bitmap(at),
							     LDNS_RR_TYPE_CNAME);
		if (ent)
			return true;
	}
	ldns_rr *q = xcheck(ldns_rr_new());
	ldns_rr_set_owner(q, ldns_rdf_clone(name));
	ldns_rr_set_type(q, qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_status st = nsec ? ldns_dnssec_verify_denial(q, (ldns_rr_list *)nsec, sigs)
			      : ldns_dnssec_verify_denial_nsec3(q, (ldns_rr_list *)nsec3, sigs,
								LDNS_RCODE_NXDOMAIN, qtype, false);
	ldns_rr_free(q);
	return st == LDNS_STATUS_OK;
}

bool denial_of_wildcard_owner(const ldns_rr_list *nsec, const ldns_rr_list *nsec3,
			      const ldns_rdf *owner, unsigned sig_labels, const ldns_rdf *zone)
{
	/* The next closer name: the wildcard's parent plus one label of owner (RFC 5155 8.8);
	 * its absence, strictly covered, is what allows the expansion. */
	size_t labels = ldns_dname_label_count(owner);
	if (!(nsec || nsec3) || sig_labels + 1 > labels)
		return false;
	ldns_rdf *nc = ldns_dname_clone_from(owner, labels - (sig_labels + 1));
	ldns_rdf *look = NULL;
	if (nc && nsec) {
		look = denial_lower(nc);
	} else if (nc) {
		look = denial_hash(ldns_rr_list_rr(nsec3, 0), nc, zone);
	}
	bool covered = look && denial_covering(nsec ? nsec : nsec3, look);
	ldns_rdf_deep_free(look);
	ldns_rdf_deep_free(nc);
	return covered;
}
