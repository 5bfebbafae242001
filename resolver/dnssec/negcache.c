/*
 * negcache.c -- validated NSEC ranges, and the answers they prove (RFC 8198). See negcache.h.
 *
 * Two levels of ldns red-black trees: zones keyed by (scope, apex), and in each zone its NSEC
 * records keyed by owner in canonical order, so the NSEC that covers a name is the one at or
 * before it (ldns_rbtree_find_less_equal). Records are ldns objects cloned from the answer;
 * a synthesised answer is built as an ldns_pkt and written to wire once. When the table is
 * full it is emptied: it only ever saves upstream queries, and a flood of distinct zones
 * must not grow it.
 */
#include "dnssec/negcache.h"

#include "dnssec/denial.h"

#include "util/xalloc.h"

#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_ANY        255
#define NEGCACHE_PROOFS 3  /* records one answer needs: NSEC3's closest encloser proof */
#define NEGCACHE_HASHES 16 /* encloser candidates one question may hash (plus its wildcard) */

struct negcache_nsec {
	ldns_rbnode_t node; /* in its zone's nsecs or nsec3s; key: the record's owner */
	ldns_rr *nsec;      /* an NSEC or NSEC3 record */
	ldns_rdf *next3;    /* NSEC3: the next hashed owner as a name in the zone */
	ldns_rr_list *sigs;
	uint64_t expire_ms;
};

struct negcache_zone {
	ldns_rbnode_t node; /* in nc->zones; key: the zone itself */
	char *scope;
	ldns_rdf *apex;
	ldns_rr *soa; /* NULL until an SOA was learned */
	ldns_rr_list *soa_sigs;
	uint64_t soa_expire_ms;
	ldns_rbtree_t *nsecs;
	ldns_rbtree_t *nsec3s; /* hashed owners, in hash order (canonical order is that) */
	ldns_rr *param3;       /* an NSEC3 of nsec3s: the hash parameters all of them share */
};

struct negcache {
	ldns_rbtree_t *zones;
	size_t count, max;
	uint32_t max_ttl;
};

static int negcache_zone_cmp(const void *a, const void *b)
{
	const struct negcache_zone *x = a, *y = b;
	int c = strcmp(x->scope, y->scope);
	return c ? c : ldns_dname_compare(x->apex, y->apex);
}

static int negcache_name_cmp(const void *a, const void *b)
{
	return ldns_dname_compare(a, b);
}

struct negcache *negcache_new(size_t max_entries, uint32_t max_ttl)
{
	struct negcache *nc = xcalloc(1, sizeof(*nc));
	nc->zones = ldns_rbtree_create(negcache_zone_cmp);
	if (!nc->zones)
		abort();
	nc->max = max_entries;
	nc->max_ttl = max_ttl;
	return nc;
}

static void negcache_nsec_free(ldns_rbnode_t *node, void *arg)
{
	struct negcache_nsec *e = (struct negcache_nsec *)node;
	(void)arg;
	ldns_rr_free(e->nsec);
	ldns_rdf_deep_free(e->next3);
	ldns_rr_list_deep_free(e->sigs);
	free(e);
}

static void negcache_zone_free(ldns_rbnode_t *node, void *arg)
{
	struct negcache_zone *z = (struct negcache_zone *)node;
	(void)arg;
	ldns_traverse_postorder(z->nsecs, negcache_nsec_free, NULL);
	ldns_rbtree_free(z->nsecs);
	ldns_traverse_postorder(z->nsec3s, negcache_nsec_free, NULL);
	ldns_rbtree_free(z->nsec3s);
	ldns_rr_free(z->param3);
	ldns_rr_free(z->soa);
	ldns_rr_list_deep_free(z->soa_sigs);
	ldns_rdf_deep_free(z->apex);
	free(z->scope);
	free(z);
}

void negcache_clear(struct negcache *nc)
{
	ldns_traverse_postorder(nc->zones, negcache_zone_free, NULL);
	ldns_rbtree_init(nc->zones, negcache_zone_cmp);
	nc->count = 0;
}

void negcache_free(struct negcache *nc)
{
	if (!nc)
		return;
	negcache_clear(nc);
	ldns_rbtree_free(nc->zones);
	free(nc);
}

size_t negcache_count(const struct negcache *nc)
{
	return nc->count;
}

/* The zone (scope, apex), or NULL; created when create. */
static struct negcache_zone *negcache_zone_get(struct negcache *nc, const char *scope,
					       const ldns_rdf *apex, bool create)
{
	struct negcache_zone key = {.scope = (char *)scope, .apex = (ldns_rdf *)apex};
	struct negcache_zone *z = (struct negcache_zone *)ldns_rbtree_search(nc->zones, &key);
	if (z || !create)
		return z;
	z = xcalloc(1, sizeof(*z));
	z->scope = xstrdup(scope);
	z->apex = ldns_rdf_clone(apex);
	z->nsecs = ldns_rbtree_create(negcache_name_cmp);
	z->nsec3s = ldns_rbtree_create(negcache_name_cmp);
	if (!z->apex || !z->nsecs || !z->nsec3s)
		abort();
	z->node.key = z;
	ldns_rbtree_insert(nc->zones, &z->node);
	return z;
}

/* --- learning ----------------------------------------------------------------------------- */

/* Seconds until the earliest of sigs' expirations (0 when one has passed). */
static uint32_t negcache_sig_life(const ldns_rr_list *sigs, time_t now)
{
	uint32_t life = UINT32_MAX;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rdf *x = ldns_rr_rrsig_expiration(ldns_rr_list_rr(sigs, i));
		int32_t left = x ? (int32_t)(ldns_rdf2native_int32(x) - (uint32_t)now) : 0;
		if (left <= 0)
			return 0;
		if ((uint32_t)left < life)
			life = (uint32_t)left;
	}
	return life;
}

/* Clones of the RRSIGs in au over (owner, type) made by zone. */
static ldns_rr_list *negcache_sigs(const ldns_rr_list *au, const ldns_rdf *owner, ldns_rr_type type,
				   const ldns_rdf *zone)
{
	ldns_rr_list *out = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
		const ldns_rr *s = ldns_rr_list_rr(au, i);
		if (ldns_rr_get_type(s) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(s) < 9 ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) != type ||
		    ldns_dname_compare(ldns_rr_owner(s), owner) ||
		    ldns_dname_compare(ldns_rr_rrsig_signame(s), zone))
			continue;
		ldns_rr_list_push_rr(out, ldns_rr_clone(s));
	}
	return out;
}

/* The smaller of a and b, in seconds, as a loop-clock expiry from now_ms. */
static uint64_t negcache_expiry(uint32_t a, uint32_t b, uint64_t now_ms)
{
	return now_ms + (uint64_t)(a < b ? a : b) * 1000;
}

/* Keep nsec (with its sigs, for at most ttl seconds; next3 taken over) in tree, in place of
 * one at its owner. */
static void negcache_put(struct negcache *nc, ldns_rbtree_t *tree, const ldns_rr *nsec,
			 ldns_rdf *next3, ldns_rr_list *sigs, uint32_t ttl, uint64_t now_ms)
{
	struct negcache_nsec *e =
	    (struct negcache_nsec *)ldns_rbtree_search(tree, ldns_rr_owner(nsec));
	bool fresh = !e;
	if (fresh) {
		e = xcalloc(1, sizeof(*e));
		nc->count++;
	}
	ldns_rr_free(e->nsec); /* the same owner: the tree's order holds with the new key */
	ldns_rdf_deep_free(e->next3);
	ldns_rr_list_deep_free(e->sigs);
	e->next3 = next3;
	e->nsec = ldns_rr_clone(nsec);
	ldns_dname2canonical(ldns_rr_owner(e->nsec));
	e->node.key = ldns_rr_owner(e->nsec);
	e->sigs = sigs;
	e->expire_ms = now_ms + (uint64_t)ttl * 1000;
	if (fresh)
		ldns_rbtree_insert(tree, &e->node);
}

/* The zone's SOA from au (soa, its owner the zone): kept with its sigs; its TTL rule. */
static uint32_t negcache_take_soa(struct negcache *nc, struct negcache_zone *z,
				  const ldns_rr_list *au, const ldns_rr *soa, time_t now,
				  uint64_t now_ms)
{
	uint32_t ttl = ldns_rr_ttl(soa), min = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
	if (min < ttl)
		ttl = min;
	if (nc->max_ttl < ttl)
		ttl = nc->max_ttl;
	ldns_rr_list *sigs = negcache_sigs(au, z->apex, LDNS_RR_TYPE_SOA, z->apex);
	uint32_t life = negcache_sig_life(sigs, now);
	ldns_rr_free(z->soa);
	ldns_rr_list_deep_free(z->soa_sigs);
	z->soa = ldns_rr_clone(soa);
	z->soa_sigs = sigs;
	z->soa_expire_ms = ldns_rr_list_rr_count(sigs) ? negcache_expiry(ttl, life, now_ms) : 0;
	return ttl;
}

/* The one SOA of au, or NULL. */
static const ldns_rr *negcache_find_soa(const ldns_rr_list *au)
{
	const ldns_rr *soa = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(au, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
			continue;
		if (soa || ldns_rr_rd_count(rr) < 7)
			return NULL;
		soa = rr;
	}
	return soa;
}

/* Do NSEC3 records a and b hash names the same way (algorithm, iterations, salt)? */
static bool negcache_same_hash(const ldns_rr *a, const ldns_rr *b)
{
	return !ldns_rdf_compare(ldns_rr_rdf(a, 0), ldns_rr_rdf(b, 0)) &&
	       !ldns_rdf_compare(ldns_rr_rdf(a, 2), ldns_rr_rdf(b, 2)) &&
	       !ldns_rdf_compare(ldns_rr_rdf(a, 3), ldns_rr_rdf(b, 3));
}

/*
 * May rr, an NSEC3 of z, be kept: SHA-1, no opt-out (an opt-out span proves nothing about
 * the names in it), at most DENIAL_MAX_ITERATIONS, owned by a hash right below the apex?
 * The zone keeps one hash at a time: another one (a re-signed zone) replaces what it held.
 * Returns the next hashed owner as a name of z (the caller's), or NULL.
 */
static ldns_rdf *negcache_nsec3_ok(struct negcache *nc, struct negcache_zone *z, const ldns_rr *rr)
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *next = ldns_rr_rdf(rr, 4);
	/* RFC 5155 8.2: flags other than 0 or 1 (opt-out) mean an NSEC3 to ignore */
	if (ldns_rr_rd_count(rr) < 6 || ldns_nsec3_algorithm(rr) != 1 ||
	    ldns_nsec3_flags(rr) != 0 || ldns_nsec3_iterations(rr) > DENIAL_MAX_ITERATIONS ||
	    ldns_dname_label_count(owner) != ldns_dname_label_count(z->apex) + 1 ||
	    !ldns_dname_is_subdomain(owner, z->apex) || ldns_rdf_size(next) < 2)
		return NULL;
	char text[256];
	if (ldns_b32_ntop_extended_hex(ldns_rdf_data(next) + 1, ldns_rdf_size(next) - 1, text,
				       sizeof(text)) <= 0)
		return NULL;
	ldns_rdf *name = ldns_dname_new_frm_str(text);
	if (!name || ldns_dname_cat(name, z->apex) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(name);
		return NULL;
	}
	ldns_dname2canonical(name);
	if (z->param3 && !negcache_same_hash(z->param3, rr)) {
		nc->count -= z->nsec3s->count;
		ldns_traverse_postorder(z->nsec3s, negcache_nsec_free, NULL);
		ldns_rbtree_init(z->nsec3s, negcache_name_cmp);
		ldns_rr_free(z->param3);
		z->param3 = NULL;
	}
	if (!z->param3)
		z->param3 = ldns_rr_clone(rr);
	return name;
}

/*
 * Is zone the signer of au's denial: does an RRSIG over an NSEC or NSEC3 name it? The
 * validator checked the denial records with the keys of the zone that signed them, and the
 * SOA only when it is that zone's: an SOA of any other owner (an ancestor the scrubber let
 * through) is unchecked and must not become a zone here.
 */
static bool negcache_signer_is(const ldns_rr_list *au, const ldns_rdf *zone)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
		const ldns_rr *s = ldns_rr_list_rr(au, i);
		if (ldns_rr_get_type(s) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(s) < 9)
			continue;
		ldns_rr_type t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s));
		if ((t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3) &&
		    !ldns_dname_compare(ldns_rr_rrsig_signame(s), zone))
			return true;
	}
	return false;
}

/* Does au hold an NSEC record? Then the validator checked the NSEC records only (it reads
 * NSEC3 only when there is no NSEC): NSEC3 records beside them are unchecked. */
static bool negcache_has_nsec(const ldns_rr_list *au)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(au, i)) == LDNS_RR_TYPE_NSEC)
			return true;
	return false;
}

/* Learn au's NSEC and NSEC3 records of z, each for at most ttl seconds. */
static void negcache_take_nsecs(struct negcache *nc, struct negcache_zone *z,
				const ldns_rr_list *au, uint32_t ttl, time_t now, uint64_t now_ms)
{
	bool nsec_only = negcache_has_nsec(au);
	for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(au, i);
		const ldns_rdf *owner = ldns_rr_owner(rr);
		ldns_rr_type type = ldns_rr_get_type(rr);
		if ((type != LDNS_RR_TYPE_NSEC && (type != LDNS_RR_TYPE_NSEC3 || nsec_only)) ||
		    ldns_rr_rd_count(rr) < 2 ||
		    (ldns_dname_compare(owner, z->apex) &&
		     !ldns_dname_is_subdomain(owner, z->apex)))
			continue;
		ldns_rbtree_t *tree = type == LDNS_RR_TYPE_NSEC ? z->nsecs : z->nsec3s;
		ldns_rr_list *sigs = negcache_sigs(au, owner, type, z->apex);
		uint32_t life = negcache_sig_life(sigs, now), t = ldns_rr_ttl(rr);
		bool full = nc->count >= nc->max && !ldns_rbtree_search(tree, owner);
		ldns_rdf *next3 = NULL;
		if (!ldns_rr_list_rr_count(sigs) || life == 0 || full ||
		    (type == LDNS_RR_TYPE_NSEC3 && !(next3 = negcache_nsec3_ok(nc, z, rr)))) {
			ldns_rr_list_deep_free(sigs);
			if (full)
				return; /* emptied by negcache_learn before the next answer */
			continue;
		}
		if (ttl < t)
			t = ttl;
		negcache_put(nc, tree, rr, next3, sigs, t < life ? t : life, now_ms);
	}
}

void negcache_learn(struct negcache *nc, const char *scope, const uint8_t *body, size_t len,
		    time_t now, uint64_t now_ms)
{
	ldns_pkt *pkt = NULL;
	if (ldns_wire2pkt(&pkt, body, len) != LDNS_STATUS_OK)
		return;
	const ldns_rr_list *au = ldns_pkt_authority(pkt);
	const ldns_rr *soa = negcache_find_soa(au);
	if (soa && negcache_signer_is(au, ldns_rr_owner(soa))) {
		if (nc->count >= nc->max)
			negcache_clear(nc);
		ldns_rdf *apex = ldns_rdf_clone(ldns_rr_owner(soa));
		ldns_dname2canonical(apex);
		if (!negcache_zone_get(nc, scope, apex, false))
			nc->count++; /* zones count against the bound too */
		struct negcache_zone *z = negcache_zone_get(nc, scope, apex, true);
		uint32_t ttl = negcache_take_soa(nc, z, au, soa, now, now_ms);
		if (z->soa_expire_ms)
			negcache_take_nsecs(nc, z, au, ttl, now, now_ms);
		ldns_rdf_deep_free(apex);
	}
	ldns_pkt_free(pkt);
}

/* --- answering ---------------------------------------------------------------------------- */

/* The closest zone enclosing name (for DS: its parent), at or below floor_labels labels,
 * with a live SOA, or NULL. */
static struct negcache_zone *negcache_zone_for(struct negcache *nc, const char *scope,
					       const ldns_rdf *name, unsigned floor_labels, bool ds,
					       uint64_t now_ms)
{
	ldns_rdf *at = ldns_rdf_clone(name);
	if (ds && ldns_dname_label_count(at) > 0) {
		ldns_rdf *up = ldns_dname_left_chop(at);
		ldns_rdf_deep_free(at);
		at = up;
	}
	struct negcache_zone *z = NULL;
	while (at && ldns_dname_label_count(at) >= floor_labels) {
		z = negcache_zone_get(nc, scope, at, false);
		if ((z && z->soa_expire_ms > now_ms) || ldns_dname_label_count(at) == 0)
			break;
		z = NULL;
		ldns_rdf *up = ldns_dname_left_chop(at);
		ldns_rdf_deep_free(at);
		at = up;
	}
	ldns_rdf_deep_free(at);
	return z && z->soa_expire_ms > now_ms ? z : NULL;
}

/* The live NSEC of z at or before name in canonical order, or NULL. */
static struct negcache_nsec *negcache_prev(struct negcache_zone *z, const ldns_rdf *name,
					   uint64_t now_ms)
{
	ldns_rbnode_t *n = NULL;
	ldns_rbtree_find_less_equal(z->nsecs, name, &n);
	struct negcache_nsec *e = (struct negcache_nsec *)n;
	return e && e != (struct negcache_nsec *)LDNS_RBTREE_NULL && e->expire_ms > now_ms ? e
											   : NULL;
}

static bool negcache_has(const ldns_rr *nsec, ldns_rr_type type)
{
	ldns_rdf *bitmap = ldns_nsec_get_bitmap(nsec);
	return bitmap && ldns_nsec_bitmap_covers_type(bitmap, type);
}

/* Does e (owner before name) cover name: is name between owner and next, and not below a
 * delegation or DNAME at owner? */
static bool negcache_covers(const struct negcache_zone *z, const struct negcache_nsec *e,
			    const ldns_rdf *name)
{
	const ldns_rdf *owner = ldns_rr_owner(e->nsec), *next = ldns_rr_rdf(e->nsec, 0);
	if (ldns_dname_compare(owner, name) >= 0)
		return false;
	if (ldns_dname_is_subdomain(name, owner) &&
	    ((negcache_has(e->nsec, LDNS_RR_TYPE_NS) && !negcache_has(e->nsec, LDNS_RR_TYPE_SOA)) ||
	     negcache_has(e->nsec, LDNS_RR_TYPE_DNAME)))
		return false;
	return ldns_dname_compare(next, z->apex) == 0 || ldns_dname_compare(name, next) < 0;
}

/* Does the NSEC at the question's name deny qtype there? */
static bool negcache_nodata(const ldns_rr *nsec, uint16_t qtype)
{
	if (negcache_has(nsec, qtype) || negcache_has(nsec, LDNS_RR_TYPE_CNAME))
		return false;
	bool apex = negcache_has(nsec, LDNS_RR_TYPE_SOA);
	if (qtype == LDNS_RR_TYPE_DS)
		return !apex; /* an apex NSEC is the child's: DS is the parent's to deny */
	return apex || !negcache_has(nsec, LDNS_RR_TYPE_NS); /* parent side of a cut: no */
}

/* The common ancestor of a and b (a new name). */
static ldns_rdf *negcache_common(const ldns_rdf *a, const ldns_rdf *b)
{
	uint8_t la = ldns_dname_label_count(a), lb = ldns_dname_label_count(b);
	ldns_rdf *x = ldns_dname_clone_from(a, la > lb ? la - lb : 0);
	ldns_rdf *y = ldns_dname_clone_from(b, lb > la ? lb - la : 0);
	while (x && y && ldns_dname_compare(x, y) != 0) {
		ldns_rdf *ux = ldns_dname_left_chop(x), *uy = ldns_dname_left_chop(y);
		ldns_rdf_deep_free(x);
		ldns_rdf_deep_free(y);
		x = ux;
		y = uy;
	}
	ldns_rdf_deep_free(y);
	return x;
}

/* The wildcard at the closest encloser of name, which e covers: *.(the deeper of name's
 * common ancestors with e's owner and next). */
static ldns_rdf *negcache_wildcard(const ldns_rr *nsec, const ldns_rdf *name)
{
	ldns_rdf *a = negcache_common(name, ldns_rr_owner(nsec));
	ldns_rdf *b = negcache_common(name, ldns_rr_rdf(nsec, 0));
	if (!a || !b) {
		ldns_rdf_deep_free(a);
		ldns_rdf_deep_free(b);
		return NULL;
	}
	bool deeper = ldns_dname_label_count(b) > ldns_dname_label_count(a);
	ldns_rdf *ce = deeper ? b : a;
	ldns_rdf_deep_free(deeper ? a : b);
	ldns_rdf *w = ldns_dname_new_frm_str("*");
	if (!w || ldns_dname_cat(w, ce) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(w);
		w = NULL;
	}
	ldns_rdf_deep_free(ce);
	return w;
}

/* The wildcard denial of an NXDOMAIN at name (covered by p): the NSEC to add (NULL: p
 * itself); *ok false when the wildcard may exist. */
static struct negcache_nsec *negcache_no_wildcard(struct negcache_zone *z, struct negcache_nsec *p,
						  const ldns_rdf *name, uint64_t now_ms, bool *ok)
{
	ldns_rdf *w = negcache_wildcard(p->nsec, name);
	struct negcache_nsec *q = w ? negcache_prev(z, w, now_ms) : NULL;
	*ok = q && negcache_covers(z, q, w) && !ldns_dname_is_subdomain(ldns_rr_rdf(q->nsec, 0), w);
	ldns_rdf_deep_free(w);
	return *ok && q != p ? q : NULL;
}

/* Push a clone of rr with ttl into section s of pkt. */
static void negcache_push(ldns_pkt *pkt, ldns_pkt_section s, const ldns_rr *rr, uint32_t ttl)
{
	ldns_rr *c = ldns_rr_clone(rr);
	ldns_rr_set_ttl(c, ttl);
	ldns_pkt_push_rr(pkt, s, c);
}

static void negcache_push_list(ldns_pkt *pkt, const ldns_rr_list *l, uint32_t ttl)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		negcache_push(pkt, LDNS_SECTION_AUTHORITY, ldns_rr_list_rr(l, i), ttl);
}

/* Seconds left of the SOA and the proofs (0: one has expired). */
static uint32_t negcache_ttl(const struct negcache_zone *z, struct negcache_nsec *const *proof,
			     uint64_t now_ms)
{
	uint64_t exp = z->soa_expire_ms;
	for (int i = 0; i < NEGCACHE_PROOFS; i++)
		if (proof[i] && proof[i]->expire_ms < exp)
			exp = proof[i]->expire_ms;
	return exp > now_ms ? (uint32_t)((exp - now_ms) / 1000) : 0;
}

/* Write the answer: question, SOA and (dnssec) the proofs with every signature. */
static size_t negcache_build(const struct negcache_zone *z, const ldns_rdf *name, uint16_t qtype,
			     uint16_t qclass, ldns_pkt_rcode rcode,
			     struct negcache_nsec *const *proof, bool dnssec, uint64_t now_ms,
			     uint8_t *out, size_t cap)
{
	uint32_t ttl = negcache_ttl(z, proof, now_ms);
	if (ttl == 0)
		return 0;
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	ldns_rr *q = ldns_rr_new();
	ldns_rr_set_owner(q, ldns_rdf_clone(name));
	ldns_rr_set_type(q, qtype);
	ldns_rr_set_class(q, qclass);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	negcache_push(pkt, LDNS_SECTION_AUTHORITY, z->soa, ttl);
	if (dnssec) {
		negcache_push_list(pkt, z->soa_sigs, ttl);
		for (int i = 0; i < NEGCACHE_PROOFS; i++)
			if (proof[i]) {
				negcache_push(pkt, LDNS_SECTION_AUTHORITY, proof[i]->nsec, ttl);
				negcache_push_list(pkt, proof[i]->sigs, ttl);
			}
	}
	uint8_t *wire = NULL;
	size_t n = 0;
	if (ldns_pkt2wire(&wire, pkt, &n) != LDNS_STATUS_OK || n > cap)
		n = 0;
	if (n)
		memcpy(out, wire, n);
	free(wire);
	ldns_pkt_free(pkt);
	return n;
}

/* What z proves about name/qtype: the answer's length, or 0. */
static size_t negcache_prove(struct negcache_zone *z, const ldns_rdf *name, uint16_t qtype,
			     uint16_t qclass, bool dnssec, uint64_t now_ms, uint8_t *out,
			     size_t cap)
{
	struct negcache_nsec *proof[NEGCACHE_PROOFS] = {negcache_prev(z, name, now_ms), NULL};
	if (!proof[0])
		return 0;
	const ldns_rr *nsec = proof[0]->nsec;
	ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
	if (ldns_dname_compare(ldns_rr_owner(nsec), name) == 0) {
		if (!negcache_nodata(nsec, qtype))
			return 0;
	} else if (!negcache_covers(z, proof[0], name)) {
		return 0;
	} else if (!ldns_dname_is_subdomain(ldns_rr_rdf(nsec, 0), name)) {
		/* name does not exist (an ancestor of the next name would: empty non-terminal,
		 * NODATA, which the covering NSEC proves alone) */
		bool ok;
		proof[1] = negcache_no_wildcard(z, proof[0], name, now_ms, &ok);
		if (!ok)
			return 0;
		rcode = LDNS_RCODE_NXDOMAIN;
	}
	return negcache_build(z, name, qtype, qclass, rcode, proof, dnssec, now_ms, out, cap);
}

/* Labels of a wire name (without the root label); 0 for the root or a malformed one. */
static unsigned negcache_labels(const uint8_t *name, size_t len)
{
	unsigned n = 0;
	for (size_t i = 0; i < len && name[i]; i += 1u + name[i])
		n++;
	return n;
}

/* The NSEC3 of z at hash(name) (*match) or covering it; NULL when none live does. */
static struct negcache_nsec *negcache_nsec3_find(struct negcache_zone *z, const ldns_rdf *name,
						 uint64_t now_ms, bool *match)
{
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(z->param3, name);
	if (!h || ldns_dname_cat(h, z->apex) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		return NULL;
	}
	ldns_dname2canonical(h);
	ldns_rbnode_t *n = NULL;
	*match = ldns_rbtree_find_less_equal(z->nsec3s, h, &n) == 1;
	if (!n || n == LDNS_RBTREE_NULL) /* before the first hash: the last one wraps to it */
		n = ldns_rbtree_last(z->nsec3s);
	struct negcache_nsec *e = n && n != LDNS_RBTREE_NULL ? (struct negcache_nsec *)n : NULL;
	if (e && !*match) {
		const ldns_rdf *owner = ldns_rr_owner(e->nsec);
		bool wraps = ldns_dname_compare(e->next3, owner) <= 0;
		bool after = ldns_dname_compare(h, owner) > 0,
		     before = ldns_dname_compare(h, e->next3) < 0;
		if (!(wraps ? after || before : after && before))
			e = NULL;
	}
	ldns_rdf_deep_free(h);
	return e && e->expire_ms > now_ms ? e : NULL;
}

/* Does an NSEC3 matching a closest encloser leave names below it to this zone? */
static bool negcache_encloses(const ldns_rr *nsec3)
{
	return !negcache_has(nsec3, LDNS_RR_TYPE_DNAME) &&
	       (negcache_has(nsec3, LDNS_RR_TYPE_SOA) || !negcache_has(nsec3, LDNS_RR_TYPE_NS));
}

/*
 * NXDOMAIN for name from z's NSEC3 (RFC 5155 8.4): the closest encloser matched, the next
 * closer name and the wildcard at the encloser covered. Fills proof; false when not proven.
 */
static bool negcache_nsec3_nx(struct negcache_zone *z, const ldns_rdf *name,
			      struct negcache_nsec *name_cover, uint64_t now_ms,
			      struct negcache_nsec **proof)
{
	struct negcache_nsec *cover = name_cover, *ce = NULL;
	ldns_rdf *at = ldns_dname_left_chop(name);
	bool match = false;
	for (int n = 1; at && n < NEGCACHE_HASHES &&
			ldns_dname_label_count(at) >= ldns_dname_label_count(z->apex);
	     n++) {
		struct negcache_nsec *e = negcache_nsec3_find(z, at, now_ms, &match);
		if (!e || match) {
			ce = e;
			break;
		}
		cover = e; /* at is not the encloser: it is the next closer name of one above */
		ldns_rdf *up = ldns_dname_left_chop(at);
		ldns_rdf_deep_free(at);
		at = up;
	}
	bool ok = ce && match && negcache_encloses(ce->nsec);
	if (ok) {
		ldns_rdf *w = ldns_dname_new_frm_str("*");
		ok = w && ldns_dname_cat(w, at) == LDNS_STATUS_OK;
		struct negcache_nsec *wc = ok ? negcache_nsec3_find(z, w, now_ms, &match) : NULL;
		ok = wc && !match;
		ldns_rdf_deep_free(w);
		proof[0] = ce;
		proof[1] = cover != ce ? cover : NULL; /* one NSEC3 may match and cover */
		proof[2] = wc != ce && wc != cover ? wc : NULL;
	}
	ldns_rdf_deep_free(at);
	return ok;
}

/* What z's NSEC3 records prove about name/qtype: the answer's length, or 0. */
static size_t negcache_prove3(struct negcache_zone *z, const ldns_rdf *name, uint16_t qtype,
			      uint16_t qclass, bool dnssec, uint64_t now_ms, uint8_t *out,
			      size_t cap)
{
	if (!z->param3 || !z->nsec3s->count)
		return 0;
	bool match;
	struct negcache_nsec *proof[NEGCACHE_PROOFS] = {
	    negcache_nsec3_find(z, name, now_ms, &match), NULL, NULL};
	if (!proof[0])
		return 0;
	ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
	if (match) {
		if (!negcache_nodata(proof[0]->nsec, qtype))
			return 0;
	} else if (negcache_nsec3_nx(z, name, proof[0], now_ms, proof)) {
		rcode = LDNS_RCODE_NXDOMAIN;
	} else {
		return 0;
	}
	return negcache_build(z, name, qtype, qclass, rcode, proof, dnssec, now_ms, out, cap);
}

size_t negcache_answer(struct negcache *nc, const struct negcache_question *q, uint64_t now_ms,
		       uint8_t *out, size_t cap)
{
	if (nc->count == 0 || q->qtype == TYPE_ANY || q->lname_len == 0 || q->lname_len > 255)
		return 0;
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)q->lname_len, q->lname);
	if (!name)
		return 0;
	unsigned floor = negcache_labels(q->floor, q->floor_len);
	struct negcache_zone *z =
	    negcache_zone_for(nc, q->scope, name, floor, q->qtype == LDNS_RR_TYPE_DS, now_ms);
	size_t n = 0;
	if (z)
		n = negcache_prove(z, name, q->qtype, q->qclass, q->dnssec, now_ms, out, cap);
	if (z && !n)
		n = negcache_prove3(z, name, q->qtype, q->qclass, q->dnssec, now_ms, out, cap);
	ldns_rdf_deep_free(name);
	return n;
}
