/*
 * denial.h -- what NSEC and NSEC3 records prove (RFC 4035 5.4, RFC 5155 8, RFC 9276).
 *
 * The validator first checks the signatures on the NSEC/NSEC3 records of a reply; the
 * functions here then read what those records say: whether a name is a zone cut without DS,
 * whether a name or a type at it does not exist, whether a wildcard expansion was allowed.
 * They take the records of one zone (all NSEC or all NSEC3, never mixed) and do no crypto
 * beyond NSEC3 hashing, and no I/O.
 */
#ifndef MEGDNS_DENIAL_H
#define MEGDNS_DENIAL_H

#include <ldns/ldns.h>
#include <stdbool.h>

#define DENIAL_MAX_ITERATIONS 150 /* RFC 9276 3.2: more NSEC3 iterations is insecure */

/* What the proof in a reply without DS says about name. */
enum denial_ds {
	DENIAL_NO_CUT,       /* name exists without NS, or does not exist: no zone cut here */
	DENIAL_UNSIGNED_CUT, /* a delegation without DS: everything below is insecure */
	DENIAL_OPT_OUT,      /* covered by an opt-out span or too many iterations: insecure */
	DENIAL_CLAIMS_DS,    /* the bitmap lists DS that the reply did not give: bogus */
	DENIAL_NO_PROOF,     /* nothing matches or covers name */
};

/* Read the proof (nsec or nsec3 list of zone; name and zone lower case) of "no DS at name". */
enum denial_ds denial_of_ds(const ldns_rr_list *nsec, const ldns_rr_list *nsec3,
			    const ldns_rdf *name, const ldns_rdf *zone);

/*
 * Does the proof deny name/qtype: NXDOMAIN when nxdomain, else NODATA (also through a
 * wildcard)? *insecure is set instead when NSEC3 uses more than 150 iterations. sigs are the
 * RRSIGs of the section (ldns wants them). Returns true when proven.
 */
bool denial_of_answer(const ldns_rr_list *nsec, const ldns_rr_list *nsec3, ldns_rr_list *sigs,
		      const ldns_rdf *name, ldns_rr_type qtype, bool nxdomain, const ldns_rdf *zone,
		      bool *insecure);

/*
 * Does the proof show that owner itself does not exist, as a wildcard expansion whose RRSIG
 * has sig_labels labels requires (RFC 4035 5.3.4, RFC 5155 8.8)?
 */
bool denial_of_wildcard_owner(const ldns_rr_list *nsec, const ldns_rr_list *nsec3,
			      const ldns_rdf *owner, unsigned sig_labels, const ldns_rdf *zone);

#endif
