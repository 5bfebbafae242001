/*
 * localdata.c -- per-view override zones and transparent records, see localdata.h.
 *
 * Each zone, and the table of transparent records, is an ldns red-black tree of owner names
 * (lower case, in DNSSEC canonical order) whose nodes hold one ldns_rr_list per type.
 * Canonical order puts every name directly before the names below it, so one ordered search
 * tells whether a name exists, is an empty non-terminal, or which wildcard covers it: every
 * lookup is O(log n). Nothing is written after loading, so any number of threads may answer.
 *
 * Zone files and record texts are parsed by zonefile.c; each record is checked against the
 * zone and added here as it comes. Names are taken as data only: NS records below the apex
 * are answered like any other record (no referrals), and nothing is signed or validated.
 */
#include "policy/localdata.h"
#include "dns/zonefile.h"
#include "util/xalloc.h"

#include <ldns/ldns.h>

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LD_MAX_CHAIN 8 /* CNAMEs followed in one answer */

/* One owner name and its RRsets. */
struct ld_node {
	ldns_rbnode_t rb;    /* first member: tree results are cast to the node */
	ldns_rdf *name;      /* lower case; rb.key points to it */
	ldns_rr_list **sets; /* one non-empty list per type */
	size_t n_sets;
	int64_t expire; /* names of leases: the Unix time it ends (0: never) */
};

struct ld_zone {
	ldns_rdf *apex;       /* lower case */
	char *path;           /* the file it came from, for messages */
	const ldns_rr *soa;   /* owned by names */
	ldns_rbtree_t *names; /* struct ld_node */
};

struct localdata {
	ldns_rbtree_t *records; /* transparent records */
	ldns_rbtree_t *names;   /* hosts and leases: authoritative for their names */
	ldns_rbtree_t *ptrs;    /* PTR records made from every A and AAAA (localdata_finish) */
	struct ld_zone *zones;  /* a view has a handful: searched linearly */
	size_t n_zones;
};

/* A name on the stack or inside a query: lookups allocate nothing. */
static ldns_rdf ld_view(const uint8_t *wire, size_t len)
{
	ldns_rdf r = {._size = len, ._type = LDNS_RDF_TYPE_DNAME, ._data = (void *)wire};
	return r;
}

static uint8_t ld_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Is name equal to or below parent? Both lower case wire. */
static bool ld_under(const ldns_rdf *name, const ldns_rdf *parent)
{
	return msg_name_under(ldns_rdf_data(name), ldns_rdf_size(name), ldns_rdf_data(parent),
			      ldns_rdf_size(parent));
}

static void ld_name_str(const ldns_rdf *name, char *out, size_t cap)
{
	char *s = xcheck(ldns_rdf2str(name));
	snprintf(out, cap, "%s", s);
	free(s);
}

/* ---- name trees ---- */

static ldns_rbtree_t *ld_tree_new(void)
{
	return xcheck(ldns_rbtree_create(ldns_dname_compare_v));
}

static void ld_node_free_cb(ldns_rbnode_t *rb, void *arg)
{
	struct ld_node *n = (struct ld_node *)rb;
	(void)arg;
	for (size_t i = 0; i < n->n_sets; i++)
		ldns_rr_list_deep_free(n->sets[i]);
	free(n->sets);
	ldns_rdf_deep_free(n->name);
	free(n);
}

static void ld_tree_free(ldns_rbtree_t *t)
{
	if (!t)
		return;
	ldns_traverse_postorder(t, ld_node_free_cb, NULL);
	ldns_rbtree_free(t);
}

/* The tree is only read here; ldns's search API merely lacks const. */
static const struct ld_node *ld_find(const ldns_rbtree_t *t, const ldns_rdf *name)
{
	ldns_rbnode_t *rb = ldns_rbtree_search((ldns_rbtree_t *)t, name);
	return rb && rb != LDNS_RBTREE_NULL ? (const struct ld_node *)rb : NULL;
}

/* Does name exist in t, holding data or as an empty non-terminal? */
static bool ld_exists(const ldns_rbtree_t *t, const ldns_rdf *name)
{
	ldns_rbnode_t *rb = NULL;
	if (ldns_rbtree_find_less_equal((ldns_rbtree_t *)t, name, &rb))
		return true;
	/* The names below `name` sort right after it, so its successor tells. */
	rb = rb && rb != LDNS_RBTREE_NULL ? ldns_rbtree_next(rb) : ldns_rbtree_first(t);
	return rb != LDNS_RBTREE_NULL && ld_under(((const struct ld_node *)rb)->name, name);
}

static ldns_rr_list *ld_node_set(const struct ld_node *n, uint16_t type)
{
	for (size_t i = 0; i < n->n_sets; i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(n->sets[i], 0)) == type)
			return n->sets[i];
	return NULL;
}

static struct ld_node *ld_node_get(ldns_rbtree_t *t, const ldns_rdf *owner)
{
	ldns_rdf *key = xcheck(ldns_rdf_clone(owner));
	ldns_dname2canonical(key);
	ldns_rbnode_t *rb = ldns_rbtree_search(t, key);
	if (rb && rb != LDNS_RBTREE_NULL) {
		ldns_rdf_deep_free(key);
		return (struct ld_node *)rb;
	}
	struct ld_node *n = xcheck(calloc(1, sizeof(*n)));
	n->name = key;
	n->rb.key = key;
	ldns_rbtree_insert(t, &n->rb);
	return n;
}

/* RRSIG and NSEC may share a name with a CNAME (RFC 4035 section 2.5). */
static bool ld_cname_mate(uint16_t type)
{
	return type == LDNS_RR_TYPE_CNAME || type == LDNS_RR_TYPE_RRSIG ||
	       type == LDNS_RR_TYPE_NSEC;
}

/* Why rr may not join node n (RFC 1034 section 3.6.2), or NULL. */
static const char *ld_conflict(const struct ld_node *n, const ldns_rr *rr)
{
	uint16_t type = ldns_rr_get_type(rr);
	if (type == LDNS_RR_TYPE_CNAME) {
		if (ld_node_set(n, LDNS_RR_TYPE_CNAME))
			return "has a second CNAME";
		for (size_t i = 0; i < n->n_sets; i++)
			if (!ld_cname_mate(ldns_rr_get_type(ldns_rr_list_rr(n->sets[i], 0))))
				return "has a CNAME and other data";
	} else if (!ld_cname_mate(type) && ld_node_set(n, LDNS_RR_TYPE_CNAME)) {
		return "has a CNAME and other data";
	}
	return NULL;
}

/* Add rr to t; t takes it in any case. Returns 0, or -EINVAL with the reason in why. */
static int ld_tree_add(ldns_rbtree_t *t, ldns_rr *rr, char *why, size_t whylen)
{
	struct ld_node *n = ld_node_get(t, ldns_rr_owner(rr));
	ldns_rr_list *set = ld_node_set(n, ldns_rr_get_type(rr));
	/* RFC 2181 section 5: a repeated record is the same record. */
	for (size_t i = 0; set && i < ldns_rr_list_rr_count(set); i++) {
		if (ldns_rr_compare(ldns_rr_list_rr(set, i), rr) == 0) {
			ldns_rr_free(rr);
			return 0;
		}
	}
	const char *conflict = ld_conflict(n, rr);
	if (conflict) {
		char name[LDNS_MAX_DOMAINLEN * 4 + 1];
		ld_name_str(ldns_rr_owner(rr), name, sizeof(name));
		snprintf(why, whylen, "%s %s", name, conflict);
		ldns_rr_free(rr);
		return -EINVAL;
	}
	if (!set) {
		n->sets = xcheck(realloc(n->sets, (n->n_sets + 1) * sizeof(*n->sets)));
		set = n->sets[n->n_sets++] = xcheck(ldns_rr_list_new());
	}
	if (!ldns_rr_list_push_rr(set, rr))
		xcheck(NULL);
	return 0;
}

/* ---- the table ---- */

struct localdata *localdata_new(void)
{
	struct localdata *ld = xcheck(calloc(1, sizeof(*ld)));
	ld->records = ld_tree_new();
	ld->names = ld_tree_new();
	ld->ptrs = ld_tree_new();
	return ld;
}

static void ld_zone_close(struct ld_zone *z)
{
	ldns_rdf_deep_free(z->apex);
	free(z->path);
	ld_tree_free(z->names);
}

void localdata_free(struct localdata *ld)
{
	if (!ld)
		return;
	for (size_t i = 0; i < ld->n_zones; i++)
		ld_zone_close(&ld->zones[i]);
	free(ld->zones);
	ld_tree_free(ld->records);
	ld_tree_free(ld->names);
	ld_tree_free(ld->ptrs);
	free(ld);
}

bool localdata_empty(const struct localdata *ld)
{
	return ld->n_zones == 0 && ld->records->count == 0 && ld->names->count == 0;
}

int localdata_add_host(struct localdata *ld, const uint8_t *name, size_t name_len, int family,
		       const uint8_t *addr, uint32_t ttl, int64_t expire)
{
	ldns_rdf *owner = ldns_dname_new_frm_data((uint16_t)name_len, name);
	ldns_rdf *a =
	    ldns_rdf_new_frm_data(family == AF_INET ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
				  family == AF_INET ? 4 : 16, addr);
	ldns_rr *rr = ldns_rr_new();
	if (!owner || !a || !rr) {
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(a);
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_push_rdf(rr, a);
	struct ld_node *n = ld_node_get(ld->names, owner);
	/* A name with an address that never ends never ends; else the last lease counts. */
	if (n->n_sets == 0 || (n->expire && (expire == 0 || expire > n->expire)))
		n->expire = expire;
	char why[256];
	return ld_tree_add(ld->names, rr, why, sizeof(why));
}

int localdata_add_record(struct localdata *ld, const char *text, char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	int rc = zonefile_parse_record(text, &rr, err, errlen);
	if (rc < 0)
		return rc;
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		snprintf(err, errlen, "class must be IN");
		ldns_rr_free(rr);
		return -EINVAL;
	}
	return ld_tree_add(ld->records, rr, err, errlen);
}

/* ---- zones ---- */

/* A zone being loaded from its file. */
struct ld_load {
	const struct localdata *ld;
	struct ld_zone zone;
};

/* Is rr acceptable as the next record of the zone? Returns 0 or -EINVAL with why. */
static int ld_zone_check(struct ld_load *L, const ldns_rr *rr, char *why, size_t whylen)
{
	bool soa = ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA;
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		snprintf(why, whylen, "class must be IN");
	else if (!L->zone.soa && !soa)
		snprintf(why, whylen, "the first record must be the zone's SOA");
	else if (L->zone.soa && soa)
		snprintf(why, whylen, "a second SOA record");
	else
		return 0;
	return -EINVAL;
}

/* Set the apex from the SOA rr; an apex already in the table is an error. */
static int ld_zone_apex(struct ld_load *L, const ldns_rr *rr, char *why, size_t whylen)
{
	ldns_rdf *apex = xcheck(ldns_rdf_clone(ldns_rr_owner(rr)));
	ldns_dname2canonical(apex);
	for (size_t i = 0; i < L->ld->n_zones; i++) {
		if (ldns_dname_compare(L->ld->zones[i].apex, apex) == 0) {
			char name[LDNS_MAX_DOMAINLEN * 4 + 1];
			ld_name_str(apex, name, sizeof(name));
			snprintf(
			    why, whylen,
			    "zone %s is already loaded from %s: one view takes one file per zone "
			    "(to share records between zone files, $INCLUDE a file without SOA "
			    "from each)",
			    name, L->ld->zones[i].path);
			ldns_rdf_deep_free(apex);
			return -EINVAL;
		}
	}
	L->zone.apex = apex;
	return 0;
}

/* Is rr's owner inside the zone? Returns 0 or -EINVAL with why. */
static int ld_zone_inside(struct ld_load *L, const ldns_rr *rr, char *why, size_t whylen)
{
	ldns_rdf *owner = xcheck(ldns_rdf_clone(ldns_rr_owner(rr)));
	ldns_dname2canonical(owner);
	int rc = 0;
	if (!ld_under(owner, L->zone.apex)) {
		char a[LDNS_MAX_DOMAINLEN * 4 + 1], b[sizeof(a)];
		ld_name_str(owner, a, sizeof(a));
		ld_name_str(L->zone.apex, b, sizeof(b));
		snprintf(why, whylen, "%s is outside the zone %s", a, b);
		rc = -EINVAL;
	}
	ldns_rdf_deep_free(owner);
	return rc;
}

/* zonefile_rr_cb: add the next record of the file to the zone (NULL: the file has ended). */
static int ld_zone_add_cb(void *arg, ldns_rr *rr, char *why, size_t whylen)
{
	struct ld_load *L = arg;
	if (!rr) {
		if (L->zone.soa)
			return 0;
		snprintf(why, whylen, "no SOA record");
		return -EINVAL;
	}
	int rc = ld_zone_check(L, rr, why, whylen);
	if (!rc && !L->zone.soa)
		rc = ld_zone_apex(L, rr, why, whylen);
	if (!rc)
		rc = ld_zone_inside(L, rr, why, whylen);
	if (rc < 0) {
		ldns_rr_free(rr);
		return rc;
	}
	if (!L->zone.soa)
		L->zone.soa = rr;
	return ld_tree_add(L->zone.names, rr, why, whylen);
}

int localdata_add_zone(struct localdata *ld, const char *path, char *err, size_t errlen)
{
	struct ld_load L = {.ld = ld};
	L.zone.names = ld_tree_new();
	int rc = zonefile_read(path, ld_zone_add_cb, &L, err, errlen);
	if (rc < 0) {
		ld_zone_close(&L.zone);
		return rc;
	}
	ld->zones = xcheck(realloc(ld->zones, (ld->n_zones + 1) * sizeof(*ld->zones)));
	L.zone.path = xcheck(strdup(path));
	ld->zones[ld->n_zones++] = L.zone;
	return 0;
}

struct localdata_zone_load {
	struct ld_load L;
	char *name;
};

struct localdata_zone_load *localdata_zone_begin(struct localdata *ld, const char *name)
{
	struct localdata_zone_load *Z = xcheck(calloc(1, sizeof(*Z)));
	Z->L.ld = ld;
	Z->L.zone.names = ld_tree_new();
	Z->name = xcheck(strdup(name));
	return Z;
}

int localdata_zone_add(struct localdata_zone_load *Z, ldns_rr *rr, char *why, size_t whylen)
{
	return ld_zone_add_cb(&Z->L, rr, why, whylen);
}

int localdata_zone_end(struct localdata_zone_load *Z, bool keep, char *err, size_t errlen)
{
	struct localdata *ld = (struct localdata *)Z->L.ld;
	char why[256];
	int rc = keep ? ld_zone_add_cb(&Z->L, NULL, why, sizeof(why)) : -EINVAL;
	if (rc < 0) {
		if (keep)
			snprintf(err, errlen, "%s: %s", Z->name, why);
		ld_zone_close(&Z->L.zone);
	} else {
		ld->zones = xcheck(realloc(ld->zones, (ld->n_zones + 1) * sizeof(*ld->zones)));
		Z->L.zone.path = Z->name;
		Z->name = NULL;
		ld->zones[ld->n_zones++] = Z->L.zone;
	}
	free(Z->name);
	free(Z);
	return rc;
}

int localdata_add_zone_text(struct localdata *ld, const char *const *lines, size_t n,
			    const char *name, char *err, size_t errlen)
{
	struct localdata_zone_load *Z = localdata_zone_begin(ld, name);
	char why[512];
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		ldns_rr *rr = NULL;
		rc = zonefile_parse_record(lines[i], &rr, why, sizeof(why));
		if (rc == 0)
			rc = localdata_zone_add(Z, rr, why, sizeof(why));
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", name, why);
	int end = localdata_zone_end(Z, rc == 0, err, errlen);
	return rc < 0 ? rc : end;
}

/* ---- PTR records from addresses ---- */

/* Add the PTR for one A or AAAA rr of node n (not 0.0.0.0 or ::, which are no host's). */
static void ld_ptr_add(struct localdata *ld, const struct ld_node *n, const ldns_rr *rr)
{
	static const uint8_t zero[16];
	const ldns_rdf *a = ldns_rr_rdf(rr, 0);
	if (!a || !memcmp(ldns_rdf_data(a), zero, ldns_rdf_size(a)))
		return;
	ldns_rdf *rev = xcheck(ldns_rdf_address_reverse((ldns_rdf *)a));
	ldns_rr *ptr = xcheck(ldns_rr_new());
	ldns_rr_set_owner(ptr, rev);
	ldns_rr_set_type(ptr, LDNS_RR_TYPE_PTR);
	ldns_rr_set_class(ptr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(ptr, ldns_rr_ttl(rr));
	ldns_rr_push_rdf(ptr, xcheck(ldns_rdf_clone(ldns_rr_owner(rr))));
	struct ld_node *p = ld_node_get(ld->ptrs, rev);
	if (p->n_sets == 0 || (p->expire && (n->expire == 0 || n->expire > p->expire)))
		p->expire = n->expire;
	char why[256];
	ld_tree_add(ld->ptrs, ptr, why, sizeof(why)); /* PTR sets never conflict */
}

static void ld_ptr_tree(struct localdata *ld, const ldns_rbtree_t *t)
{
	for (ldns_rbnode_t *rb = ldns_rbtree_first(t); rb != LDNS_RBTREE_NULL;
	     rb = ldns_rbtree_next(rb)) {
		const struct ld_node *n = (const struct ld_node *)rb;
		const uint8_t *w = ldns_rdf_data(n->name);
		if (w[0] == 1 && w[1] == '*')
			continue; /* a wildcard's addresses belong to no one name */
		for (size_t i = 0; i < n->n_sets; i++) {
			const ldns_rr_list *set = n->sets[i];
			uint16_t type = ldns_rr_get_type(ldns_rr_list_rr(set, 0));
			for (size_t k = 0; (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) &&
					   k < ldns_rr_list_rr_count(set);
			     k++)
				ld_ptr_add(ld, n, ldns_rr_list_rr(set, k));
		}
	}
}

void localdata_finish(struct localdata *ld)
{
	ld_ptr_tree(ld, ld->records);
	ld_ptr_tree(ld, ld->names);
	for (size_t i = 0; i < ld->n_zones; i++)
		ld_ptr_tree(ld, ld->zones[i].names);
}

/* ---- answers ---- */

enum ld_kind { LD_NONE, LD_ANSWER, LD_CNAME, LD_NODATA, LD_NXDOMAIN };

/* What local data says about one name of the answer (the query name or a CNAME target). */
struct ld_step {
	enum ld_kind kind;
	const struct ld_node *node; /* ANSWER, CNAME: where the data is */
	const ldns_rr_list *set;    /* ANSWER: the RRset (NULL: all, for ANY); CNAME: it */
	bool synth;                 /* node is a wildcard: the owner becomes the name asked */
	const struct ld_zone *zone; /* NODATA, NXDOMAIN: whose SOA goes in the authority */
};

static struct ld_step ld_node_step(const struct ld_node *n, uint16_t qtype)
{
	struct ld_step st = {.kind = LD_ANSWER, .node = n};
	if (qtype == LDNS_RR_TYPE_ANY)
		return st;
	if ((st.set = ld_node_set(n, qtype)))
		return st;
	if ((st.set = ld_node_set(n, LDNS_RR_TYPE_CNAME))) {
		st.kind = LD_CNAME;
		return st;
	}
	st.kind = LD_NODATA;
	return st;
}

/* The wildcard at the closest encloser of name, which does not exist (RFC 4592), or NULL. */
static const struct ld_node *ld_wildcard(const struct ld_zone *z, const ldns_rdf *name)
{
	const uint8_t *w = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), off = 0;
	while (off < len && w[off] != 0) {
		off += w[off] + 1u;
		ldns_rdf ce = ld_view(w + off, len - off);
		if (!ld_exists(z->names, &ce))
			continue;
		uint8_t star[MSG_MAX_NAME + 2] = {1, '*'};
		if (len - off + 2 > MSG_MAX_NAME)
			return NULL;
		memcpy(star + 2, w + off, len - off);
		ldns_rdf wild = ld_view(star, len - off + 2);
		return ld_find(z->names, &wild);
	}
	return NULL;
}

static struct ld_step ld_zone_step(const struct ld_zone *z, const ldns_rdf *name, uint16_t qtype)
{
	struct ld_step st = {.kind = LD_NODATA};
	const struct ld_node *n = ld_find(z->names, name);
	bool synth = false;
	if (!n && !ld_exists(z->names, name)) {
		n = ld_wildcard(z, name);
		synth = true;
		if (!n)
			st.kind = LD_NXDOMAIN;
	}
	if (n) {
		st = ld_node_step(n, qtype);
		st.synth = synth;
	}
	st.zone = z;
	return st;
}

/* The zone of ld that encloses name most closely, or NULL. */
static const struct ld_zone *ld_zone_for(const struct localdata *ld, const ldns_rdf *name)
{
	const struct ld_zone *best = NULL;
	for (size_t i = 0; i < ld->n_zones; i++) {
		const struct ld_zone *z = &ld->zones[i];
		if (ld_under(name, z->apex) &&
		    (!best || ldns_rdf_size(z->apex) > ldns_rdf_size(best->apex)))
			best = z;
	}
	return best;
}

/* The node of name in t, unless it is a lease's that has ended. */
static const struct ld_node *ld_live(const ldns_rbtree_t *t, const ldns_rdf *name)
{
	if (t->count == 0)
		return NULL;
	const struct ld_node *n = ld_find(t, name);
	return n && (n->expire == 0 || n->expire > (int64_t)time(NULL)) ? n : NULL;
}

bool localdata_holds(const struct localdata *ld, const uint8_t *lname, size_t len)
{
	ldns_rdf name = ld_view(lname, len);
	return ld_zone_for(ld, &name) || (ld->records->count && ld_find(ld->records, &name)) ||
	       ld_live(ld->names, &name);
}

/*
 * Records first (only their own name and type); then hosts and leases (every type of their
 * names); then the longest enclosing zone, whose own data wins over a made-up PTR.
 */
static struct ld_step ld_lookup(const struct localdata *ld, const ldns_rdf *name, uint16_t qtype)
{
	const struct ld_node *n = ld_find(ld->records, name);
	if (n) {
		struct ld_step st = ld_node_step(n, qtype);
		if (st.kind != LD_NODATA)
			return st;
	}
	const struct ld_zone *z = ld_zone_for(ld, name);
	n = ld_live(ld->names, name);
	if (!n) {
		struct ld_step st =
		    z ? ld_zone_step(z, name, qtype) : (struct ld_step){.kind = LD_NONE};
		if (st.kind == LD_ANSWER || st.kind == LD_CNAME || !(n = ld_live(ld->ptrs, name)))
			return st;
	}
	struct ld_step st = ld_node_step(n, qtype);
	st.zone = z; /* a negative answer has its SOA, when a zone holds the name */
	return st;
}

/* The reply being written into the caller's buffer. */
struct ld_out {
	uint8_t *buf;
	size_t cap, len;
	uint16_t an, ns;
	bool tc;
	const uint8_t *qname; /* owners equal to it become a pointer to the question */
	size_t qname_len;
	ldns_buffer *rr; /* one record in wire form, before it is copied in */
};

/* Append rr with the given owner (NULL: its own) and TTL, or set TC if it does not fit. */
static void ld_out_rr(struct ld_out *o, bool authority, const ldns_rr *rr, const ldns_rdf *owner,
		      uint32_t ttl)
{
	if (o->tc)
		return;
	ldns_buffer_clear(o->rr);
	if (ldns_rr2buffer_wire(o->rr, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		xcheck(NULL);
	const uint8_t *w = ldns_buffer_begin(o->rr);
	size_t skip = ldns_rdf_size(ldns_rr_owner(rr));
	size_t rest = ldns_buffer_position(o->rr) - skip;
	const uint8_t *name = owner ? ldns_rdf_data(owner) : w;
	size_t nlen = owner ? ldns_rdf_size(owner) : skip;
	bool ptr = nlen == o->qname_len && msg_name_equal(name, o->qname);
	size_t need = (ptr ? 2 : nlen) + rest;
	if (need > o->cap - o->len) {
		o->tc = true;
		return;
	}
	uint8_t *p = o->buf + o->len;
	if (ptr)
		msg_put16(p, 0xC000 | MSG_HDR_LEN);
	else
		memcpy(p, name, nlen);
	p += ptr ? 2 : nlen;
	memcpy(p, w + skip, rest);
	msg_put32(p + 4, ttl); /* after type and class */
	o->len += need;
	if (authority)
		o->ns++;
	else
		o->an++;
}

static void ld_out_set(struct ld_out *o, const ldns_rr_list *set, const ldns_rdf *owner)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(set, i);
		ld_out_rr(o, false, rr, owner, ldns_rr_ttl(rr));
	}
}

static void ld_out_step(struct ld_out *o, const struct ld_step *st, const ldns_rdf *name)
{
	const ldns_rdf *owner = st->synth ? name : NULL;
	if (st->kind == LD_ANSWER && !st->set) {
		for (size_t i = 0; i < st->node->n_sets; i++)
			ld_out_set(o, st->node->sets[i], owner);
	} else if (st->kind == LD_ANSWER || st->kind == LD_CNAME) {
		ld_out_set(o, st->set, owner);
	} else {
		if (!st->zone)
			return; /* a host's name without the type: NODATA, no zone to name */
		/* Negative answers are cached for min(SOA TTL, MINIMUM) (RFC 2308 section 5). */
		const ldns_rr *soa = st->zone->soa;
		uint32_t ttl = ldns_rr_ttl(soa);
		uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
		ld_out_rr(o, true, soa, NULL, ttl < min ? ttl : min);
	}
}

/* The names of a CNAME chain, lower case, [0] being the query name. */
struct ld_chain {
	uint8_t name[LD_MAX_CHAIN + 1][MSG_MAX_NAME];
	size_t len[LD_MAX_CHAIN + 1];
};

/* Put the target of the CNAME in set at [i + 1]; false to stop (too long, or a loop). */
static bool ld_chain_next(struct ld_chain *c, size_t i, const ldns_rr_list *set)
{
	const ldns_rdf *t = ldns_rr_rdf(ldns_rr_list_rr(set, 0), 0);
	if (i + 1 > LD_MAX_CHAIN || !t || ldns_rdf_size(t) > MSG_MAX_NAME)
		return false;
	size_t len = ldns_rdf_size(t);
	const uint8_t *src = ldns_rdf_data(t);
	for (size_t k = 0; k < len; k++)
		c->name[i + 1][k] = ld_lower(src[k]);
	for (size_t j = 0; j <= i; j++)
		if (c->len[j] == len && memcmp(c->name[j], c->name[i + 1], len) == 0)
			return false;
	c->len[i + 1] = len;
	return true;
}

/* Write the answer sections for q; returns the rcode, or -1 when local data has no say. */
static int ld_resolve(const struct localdata *ld, const struct msg_query *q, struct ld_out *o)
{
	struct ld_chain c;
	memcpy(c.name[0], q->lname, q->qname_len);
	c.len[0] = q->qname_len;
	for (size_t i = 0; i <= LD_MAX_CHAIN; i++) {
		ldns_rdf name = ld_view(c.name[i], c.len[i]);
		struct ld_step st = ld_lookup(ld, &name, q->qtype);
		/* A target outside local data ends the chain; the client sees the CNAME. */
		if (st.kind == LD_NONE)
			return i == 0 ? -1 : MSG_NOERROR;
		ld_out_step(o, &st, &name);
		if (st.kind == LD_NXDOMAIN)
			return MSG_NXDOMAIN;
		if (st.kind != LD_CNAME || !ld_chain_next(&c, i, st.set))
			return MSG_NOERROR;
	}
	return MSG_NOERROR;
}

/* Would zone node zn answer type t itself (the type, or a CNAME standing for every type)? */
static bool ld_node_answers(const struct ld_node *zn, uint16_t t)
{
	return ld_node_set(zn, t) || ld_node_set(zn, LDNS_RR_TYPE_CNAME) ||
	       (t == LDNS_RR_TYPE_CNAME && zn->n_sets > 0);
}

size_t localdata_overlaps(const struct localdata *ld, localdata_overlap_cb cb, void *ud)
{
	size_t count = 0;
	for (ldns_rbnode_t *rb = ldns_rbtree_first(ld->records); rb != LDNS_RBTREE_NULL;
	     rb = ldns_rbtree_next(rb)) {
		const struct ld_node *n = (const struct ld_node *)rb;
		const struct ld_zone *z = ld_zone_for(ld, n->name);
		const struct ld_node *zn = z ? ld_find(z->names, n->name) : NULL;
		for (size_t i = 0; zn && i < n->n_sets; i++) {
			uint16_t t = ldns_rr_get_type(ldns_rr_list_rr(n->sets[i], 0));
			if (!ld_node_answers(zn, t))
				continue;
			char name[LDNS_MAX_DOMAINLEN * 4 + 1], apex[sizeof(name)];
			ld_name_str(n->name, name, sizeof(name));
			ld_name_str(z->apex, apex, sizeof(apex));
			char *type = xcheck(ldns_rr_type2str(t));
			cb(ud, name, type, apex);
			free(type);
			count++;
		}
	}
	return count;
}

size_t localdata_answer(const struct localdata *ld, const struct msg_query *q, uint8_t *out,
			size_t cap)
{
	if (q->qclass != LDNS_RR_CLASS_IN && q->qclass != LDNS_RR_CLASS_ANY)
		return 0;
	if (q->qname_len == 0 || cap < MSG_HDR_LEN + q->qname_len + 4u)
		return 0;
	/* Most queries are not local: find that out before allocating anything. */
	ldns_rdf name = ld_view(q->lname, q->qname_len);
	if ((ld->n_zones == 0 && ld->records->count == 0 && ld->names->count == 0 &&
	     ld->ptrs->count == 0) ||
	    ld_lookup(ld, &name, q->qtype).kind == LD_NONE)
		return 0;
	struct ld_out o = {.buf = out, .cap = cap, .qname = q->lname, .qname_len = q->qname_len};
	o.len = MSG_HDR_LEN;
	memcpy(out + o.len, q->qname, q->qname_len);
	o.len += q->qname_len;
	msg_put16(out + o.len, q->qtype);
	msg_put16(out + o.len + 2, q->qclass);
	o.len += 4;
	o.rr = xcheck(ldns_buffer_new(512));
	int rcode = ld_resolve(ld, q, &o);
	ldns_buffer_free(o.rr);
	if (rcode < 0)
		return 0;
	uint16_t flags = MSG_QR | MSG_AA | MSG_RA | (q->flags & MSG_RD) | (uint16_t)rcode;
	msg_put16(out, q->id);
	msg_put16(out + 2, (uint16_t)(flags | (o.tc ? MSG_TC : 0) | ((q->opcode & 0xFu) << 11)));
	msg_put16(out + 4, 1);
	msg_put16(out + 6, o.an);
	msg_put16(out + 8, o.ns);
	msg_put16(out + 10, 0);
	return o.len;
}
