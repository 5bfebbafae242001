/*
 * special.c -- the default local zones, see special.h.
 *
 * The zones are built from text at start (a hundred small zones: a millisecond) into one
 * localdata table that answers them. Finding the zone of a name is a binary search over the
 * apexes in DNSSEC canonical order: no default zone lies inside another, so the only one
 * that can enclose a name is the greatest apex not after it.
 */
#include "policy/special.h"
#include "policy/localdata.h"
#include "util/xalloc.h"

#include <ldns/ldns.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPECIAL_SOA "10800 IN SOA localhost. nobody.invalid. 1 3600 1200 604800 10800"
#define SPECIAL_NS  "10800 IN NS localhost."
#define SPECIAL_MAX 128
#define IP6_ZERO16  "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
#define IP6_ZERO15  "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."

struct special {
	struct localdata *ld;
	size_t n;
	char *names[SPECIAL_MAX];      /* text, sorted in canonical order */
	ldns_rdf *apexes[SPECIAL_MAX]; /* the same, lower-case wire */
};

/* Records a zone holds beyond its SOA and NS. */
struct special_extra {
	const char *apex;
	const char *rrs[5];
};

static const struct special_extra special_extras[] = {
    {"localhost.",
     {"localhost. 10800 IN A 127.0.0.1", "localhost. 10800 IN AAAA ::1",
      "*.localhost. 10800 IN A 127.0.0.1", "*.localhost. 10800 IN AAAA ::1", NULL}},
    {"127.in-addr.arpa.", {"1.0.0.127.in-addr.arpa. 10800 IN PTR localhost.", NULL}},
    {"1." IP6_ZERO15 IP6_ZERO16 "ip6.arpa.",
     {"1." IP6_ZERO15 IP6_ZERO16 "ip6.arpa. 10800 IN PTR localhost.", NULL}},
};

/* Every default zone but the ranges, which special_names adds. */
static const char *const special_fixed[] = {
    "localhost.", "invalid.", "onion.", "home.arpa.", "resolver.arpa.", /* RFC 9462 */
    /* RFC 6303 4.1; 0/8, 127/8, 169.254/16, TEST-NET-1..3, broadcast */
    "0.in-addr.arpa.", "10.in-addr.arpa.", "127.in-addr.arpa.", "254.169.in-addr.arpa.",
    "168.192.in-addr.arpa.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
    "113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
    /* RFC 6303 4.2-4.5: ::, ::1, fd00::/8, fe80::/10, 2001:db8::/32 */
    IP6_ZERO16 IP6_ZERO16 "ip6.arpa.", "1." IP6_ZERO15 IP6_ZERO16 "ip6.arpa.", "d.f.ip6.arpa.",
    "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
    "8.b.d.0.1.0.0.2.ip6.arpa."};

static void special_add(struct special *sp, const char *apex)
{
	const char *lines[2 + 5];
	char soa[300], ns[300];
	size_t n = 0;
	snprintf(soa, sizeof(soa), "%s " SPECIAL_SOA, apex);
	snprintf(ns, sizeof(ns), "%s " SPECIAL_NS, apex);
	lines[n++] = soa;
	lines[n++] = ns;
	for (size_t i = 0; i < sizeof(special_extras) / sizeof(special_extras[0]); i++)
		for (size_t k = 0;
		     !strcmp(special_extras[i].apex, apex) && special_extras[i].rrs[k]; k++)
			lines[n++] = special_extras[i].rrs[k];
	char err[512];
	if (localdata_add_zone_text(sp->ld, lines, n, apex, err, sizeof(err)) < 0 ||
	    sp->n >= SPECIAL_MAX)
		abort(); /* the table above is wrong: a bug, not an input */
	sp->names[sp->n] = xstrdup(apex);
	sp->apexes[sp->n] = xcheck(ldns_dname_new_frm_str(apex));
	ldns_dname2canonical(sp->apexes[sp->n]);
	sp->n++;
}

static int special_cmp(const void *a, const void *b)
{
	return ldns_dname_compare(*(ldns_rdf *const *)a, *(ldns_rdf *const *)b);
}

struct special *special_new(void)
{
	struct special *sp = xcalloc(1, sizeof(*sp));
	sp->ld = localdata_new();
	for (size_t i = 0; i < sizeof(special_fixed) / sizeof(special_fixed[0]); i++)
		special_add(sp, special_fixed[i]);
	char name[64];
	for (int i = 16; i <= 31; i++) { /* 172.16.0.0/12 */
		snprintf(name, sizeof(name), "%d.172.in-addr.arpa.", i);
		special_add(sp, name);
	}
	for (int i = 64; i <= 127; i++) { /* 100.64.0.0/10, shared address space */
		snprintf(name, sizeof(name), "%d.100.in-addr.arpa.", i);
		special_add(sp, name);
	}
	/* names and apexes sorted together: sort an index, then permute */
	size_t idx[SPECIAL_MAX];
	ldns_rdf *sorted[SPECIAL_MAX];
	memcpy(sorted, sp->apexes, sp->n * sizeof(sorted[0]));
	qsort(sorted, sp->n, sizeof(sorted[0]), special_cmp);
	char *names[SPECIAL_MAX];
	for (size_t i = 0; i < sp->n; i++) {
		for (idx[i] = 0; sp->apexes[idx[i]] != sorted[i]; idx[i]++)
			;
		names[i] = sp->names[idx[i]];
	}
	memcpy(sp->apexes, sorted, sp->n * sizeof(sorted[0]));
	memcpy(sp->names, names, sp->n * sizeof(names[0]));
	return sp;
}

void special_free(struct special *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->n; i++) {
		free(sp->names[i]);
		ldns_rdf_deep_free(sp->apexes[i]);
	}
	localdata_free(sp->ld);
	free(sp);
}

size_t special_count(const struct special *sp)
{
	return sp->n;
}

const char *special_name(const struct special *sp, size_t i)
{
	return sp->names[i];
}

const uint8_t *special_apex(const struct special *sp, size_t i, size_t *len)
{
	*len = ldns_rdf_size(sp->apexes[i]);
	return ldns_rdf_data(sp->apexes[i]);
}

/* Does the top-level label of lname make it a candidate at all? */
static bool special_tld(const uint8_t *lname, size_t len)
{
	size_t off = 0, last = 0;
	while (off < len && lname[off]) {
		last = off;
		off += lname[off] + 1u;
	}
	if (off >= len)
		return false;
	const uint8_t *t = lname + last;
	size_t tl = off - last + 1; /* the label and the root */
	static const struct {
		const char *wire;
		size_t len;
	} tlds[] = {{"\4arpa", 6}, {"\11localhost", 11}, {"\7invalid", 9}, {"\5onion", 7}};
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		if (tl == tlds[i].len && !memcmp(t, tlds[i].wire, tl))
			return true;
	return false;
}

int special_find(const struct special *sp, const uint8_t *lname, size_t lname_len)
{
	if (!special_tld(lname, lname_len))
		return -1;
	ldns_rdf name = {._size = lname_len, ._type = LDNS_RDF_TYPE_DNAME, ._data = (void *)lname};
	size_t lo = 0, hi = sp->n; /* the first apex after name is at hi */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ldns_dname_compare(sp->apexes[mid], &name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	const ldns_rdf *a = sp->apexes[lo - 1];
	return msg_name_under(lname, lname_len, ldns_rdf_data(a), ldns_rdf_size(a)) ? (int)lo - 1
										    : -1;
}

size_t special_answer(const struct special *sp, const struct msg_query *q, uint8_t *out, size_t cap)
{
	return localdata_answer(sp->ld, q, out, cap);
}
