/*
 * anchor.c -- trust anchors and negative trust anchors. See anchor.h.
 */
#include "dnssec/anchor.h"

#include "dns/msg.h"
#include "dns/zonefile.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The root zone's KSK-2017 (key tag 20326, algorithm 8), as published by IANA. */
static const char *const anchor_root_ds =
    ". 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

/* Names that exist only inside a site: never validated (RFC 6761, 6762, 8375, 4193). */
static const char *const anchor_private[] = {
    "home.arpa.",
    "local.",
    "localhost.",
    "test.invalid.",
    "10.in-addr.arpa.",
    "168.192.in-addr.arpa.",
    "254.169.in-addr.arpa.",
    "d.f.ip6.arpa.",
    "8.e.f.ip6.arpa.",
    "9.e.f.ip6.arpa.",
    "a.e.f.ip6.arpa.",
    "b.e.f.ip6.arpa.",
    "16.172.in-addr.arpa.",
    "17.172.in-addr.arpa.",
    "18.172.in-addr.arpa.",
    "19.172.in-addr.arpa.",
    "20.172.in-addr.arpa.",
    "21.172.in-addr.arpa.",
    "22.172.in-addr.arpa.",
    "23.172.in-addr.arpa.",
    "24.172.in-addr.arpa.",
    "25.172.in-addr.arpa.",
    "26.172.in-addr.arpa.",
    "27.172.in-addr.arpa.",
    "28.172.in-addr.arpa.",
    "29.172.in-addr.arpa.",
    "30.172.in-addr.arpa.",
    "31.172.in-addr.arpa.",
};

bool anchor_name_under(const ldns_rdf *name, const ldns_rdf *zone)
{
	return msg_name_under(ldns_rdf_data(name), ldns_rdf_size(name), ldns_rdf_data(zone),
			      ldns_rdf_size(zone));
}

static struct anchor *anchor_for(struct anchor_set *s, const ldns_rdf *zone)
{
	for (size_t i = 0; i < s->n_anchors; i++)
		if (ldns_dname_compare(s->anchors[i].zone, zone) == 0)
			return &s->anchors[i];
	struct anchor *a = xrealloc(s->anchors, (s->n_anchors + 1) * sizeof(*a));
	s->anchors = a;
	a = &s->anchors[s->n_anchors++];
	a->zone = ldns_rdf_clone(zone);
	ldns_dname2canonical(a->zone);
	a->ds = ldns_rr_list_new();
	a->key = ldns_rr_list_new();
	return a;
}

/* zonefile callback: keep DS and DNSKEY records, refuse anything else. */
static int anchor_add_cb(void *arg, ldns_rr *rr, char *why, size_t whylen)
{
	struct anchor_set *s = arg;
	if (!rr)
		return 0;
	ldns_rr_type t = ldns_rr_get_type(rr);
	if (t != LDNS_RR_TYPE_DS && t != LDNS_RR_TYPE_DNSKEY) {
		snprintf(why, whylen, "a trust anchor must be a DS or DNSKEY record");
		ldns_rr_free(rr);
		return -EINVAL;
	}
	ldns_dname2canonical(ldns_rr_owner(rr));
	struct anchor *a = anchor_for(s, ldns_rr_owner(rr));
	ldns_rr_list_push_rr(t == LDNS_RR_TYPE_DS ? a->ds : a->key, rr);
	return 0;
}

static int anchor_add_insecure(struct anchor_set *s, const char *name, char *err, size_t errlen)
{
	ldns_rdf *d = NULL;
	if (ldns_str2rdf_dname(&d, name) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "'%s' is not a domain name", name);
		return -EINVAL;
	}
	ldns_dname2canonical(d);
	ldns_rdf **n = xrealloc(s->insecure, (s->n_insecure + 1) * sizeof(*n));
	s->insecure = n;
	s->insecure[s->n_insecure++] = d;
	return 0;
}

int anchor_set_load(struct anchor_set **out, const char *const *files, size_t n_files,
		    char *const *insecure, size_t n, char *err, size_t errlen)
{
	struct anchor_set *s = xcalloc(1, sizeof(*s));
	int r = 0;
	for (size_t i = 0; r == 0 && i < n_files; i++) {
		size_t before = s->n_anchors;
		r = zonefile_read(files[i], anchor_add_cb, s, err, errlen);
		if (r == 0 && s->n_anchors == before) {
			snprintf(err, errlen, "%s: no DS or DNSKEY records", files[i]);
			r = -EINVAL;
		}
	}
	if (n_files == 0) {
		ldns_rr *rr = NULL;
		r = zonefile_parse_record(anchor_root_ds, &rr, err, errlen);
		if (r == 0)
			r = anchor_add_cb(s, rr, err, errlen);
	}
	for (size_t i = 0; r == 0 && i < sizeof(anchor_private) / sizeof(anchor_private[0]); i++)
		r = anchor_add_insecure(s, anchor_private[i], err, errlen);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = anchor_add_insecure(s, insecure[i], err, errlen);
	if (r < 0) {
		anchor_set_free(s);
		return r;
	}
	*out = s;
	return 0;
}

/* Do two lists hold the same records, in any order? */
static bool anchor_rrs_same(const ldns_rr_list *a, const ldns_rr_list *b)
{
	size_t na = a ? ldns_rr_list_rr_count(a) : 0, nb = b ? ldns_rr_list_rr_count(b) : 0;
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!ldns_rr_list_contains_rr(b, ldns_rr_list_rr(a, i)))
			return false;
	return true;
}

/* Is every anchor and negative anchor of a also one of b? */
static bool anchor_set_within(const struct anchor_set *a, const struct anchor_set *b)
{
	for (size_t i = 0; i < a->n_anchors; i++) {
		const struct anchor *x = &a->anchors[i];
		size_t j = 0;
		while (j < b->n_anchors && ldns_dname_compare(x->zone, b->anchors[j].zone) != 0)
			j++;
		if (j == b->n_anchors || !anchor_rrs_same(x->ds, b->anchors[j].ds) ||
		    !anchor_rrs_same(x->key, b->anchors[j].key))
			return false;
	}
	for (size_t i = 0; i < a->n_insecure; i++) {
		size_t j = 0;
		while (j < b->n_insecure && ldns_dname_compare(a->insecure[i], b->insecure[j]) != 0)
			j++;
		if (j == b->n_insecure)
			return false;
	}
	return true;
}

bool anchor_set_same(const struct anchor_set *a, const struct anchor_set *b)
{
	if (!a || !b)
		return a == b;
	return a->n_anchors == b->n_anchors && anchor_set_within(a, b) && anchor_set_within(b, a);
}

void anchor_set_free(struct anchor_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_anchors; i++) {
		ldns_rdf_deep_free(s->anchors[i].zone);
		ldns_rr_list_deep_free(s->anchors[i].ds);
		ldns_rr_list_deep_free(s->anchors[i].key);
	}
	for (size_t i = 0; i < s->n_insecure; i++)
		ldns_rdf_deep_free(s->insecure[i]);
	free(s->anchors);
	free(s->insecure);
	free(s);
}

const struct anchor *anchor_find(const struct anchor_set *s, const ldns_rdf *name)
{
	const struct anchor *best = NULL;
	for (size_t i = 0; i < s->n_anchors; i++) {
		const struct anchor *a = &s->anchors[i];
		if (anchor_name_under(name, a->zone) &&
		    (!best || ldns_rdf_size(a->zone) > ldns_rdf_size(best->zone)))
			best = a;
	}
	return best;
}

bool anchor_is_insecure(const struct anchor_set *s, const ldns_rdf *name)
{
	for (size_t i = 0; i < s->n_insecure; i++)
		if (anchor_name_under(name, s->insecure[i]))
			return true;
	return false;
}
