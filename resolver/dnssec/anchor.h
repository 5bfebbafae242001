/*
 * anchor.h -- DNSSEC trust anchors and negative trust anchors.
 *
 * A trust anchor is a DS or DNSKEY RRset that megdns believes without proof; validation
 * starts at the closest anchor above a name. Without dnssec.trust-anchor-file the built-in
 * anchor is the root KSK (key tag 20326). Negative trust anchors (RFC 7646) are domains that
 * are never validated: dnssec.insecure-domains plus the names that only exist locally
 * (home.arpa., the private and link-local reverse zones of RFC 6761/6762/8375/4193).
 * An anchor_set is immutable once loaded and part of the serving state.
 */
#ifndef MEGDNS_ANCHOR_H
#define MEGDNS_ANCHOR_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>

struct anchor {
	ldns_rdf *zone;    /* owner of the records, lower case */
	ldns_rr_list *ds;  /* DS records (may be empty) */
	ldns_rr_list *key; /* DNSKEY records (may be empty) */
};

struct anchor_set {
	struct anchor *anchors;
	size_t n_anchors;
	ldns_rdf **insecure; /* negative trust anchors, lower case */
	size_t n_insecure;
};

/*
 * Load anchors from files[0..n_files) (zone-file format, DS or DNSKEY records), or the
 * built-in root anchor when n_files is 0, plus the negative trust anchors: the built-in
 * private names and insecure[0..n) (absolute names). Returns 0, or a negative errno with
 * "FILE:LINE: what is wrong" (or "FILE: reason" for an unreadable file) in err.
 */
int anchor_set_load(struct anchor_set **out, const char *const *files, size_t n_files,
		    char *const *insecure, size_t n, char *err, size_t errlen);

/* Free the set; NULL is a no-op. */
void anchor_set_free(struct anchor_set *s);

/*
 * Would a and b decide every name the same way: the same anchors (records compared) and the
 * same negative trust anchors, in any order? NULL is validation off: equal only to NULL.
 */
bool anchor_set_same(const struct anchor_set *a, const struct anchor_set *b);

/* The deepest anchor at or above name (lower case), or NULL. */
const struct anchor *anchor_find(const struct anchor_set *s, const ldns_rdf *name);

/* Is name at or below a negative trust anchor? */
bool anchor_is_insecure(const struct anchor_set *s, const ldns_rdf *name);

/* Is name (lower case wire) equal to or below zone (lower case wire)? */
bool anchor_name_under(const ldns_rdf *name, const ldns_rdf *zone);

#endif
