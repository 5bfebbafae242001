/*
 * test_negcache.c -- unit tests for negcache.c (RFC 8198): NXDOMAIN from a covering NSEC and
 * the wildcard's denial, NODATA at a name and at an empty non-terminal, and every case that
 * must not be answered (an existing name or type, below or at a delegation, an existing
 * wildcard, DS at an apex, another scope, above the floor, after expiry, unsigned records);
 * the records a DO client gets, TTLs, clearing and the bound.
 *
 * The answers learned are built from text: negcache trusts the validator for signatures, so
 * the RRSIGs here only need the right type, signer and expiry.
 */
#include "check_main.h"
#include "dnssec/negcache.h"

#include <check.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG   "13 2 300 20501231000000 20200101000000 4711 z.test. AAECAwQFBgcICQoLDA0ODw=="
#define WSIG  "13 2 300 20501231000000 20200101000000 4711 w.test. AAECAwQFBgcICQoLDA0ODw=="
#define OLD   "13 2 300 20210101000000 20200101000000 4711 z.test. AAECAwQFBgcICQoLDA0ODw=="
#define NOW   1700000000 /* 2023: before SIG's expiry, after OLD's */
#define START 1000000    /* loop clock (ms) when learned */

/* z.test.: a, c, d (a delegation without DS), x.ent (so ent is empty), m. */
static const char *const zone_z[] = {
    "z.test. 3600 IN SOA ns.z.test. h.z.test. 1 3600 600 86400 300",
    "z.test. 3600 IN RRSIG SOA " SIG,
    "z.test. 300 IN NSEC a.z.test. SOA NS RRSIG NSEC DNSKEY",
    "z.test. 300 IN RRSIG NSEC " SIG,
    "a.z.test. 300 IN NSEC c.z.test. A RRSIG NSEC",
    "a.z.test. 300 IN RRSIG NSEC " SIG,
    "c.z.test. 300 IN NSEC d.z.test. A RRSIG NSEC",
    "c.z.test. 300 IN RRSIG NSEC " SIG,
    "d.z.test. 300 IN NSEC x.ent.z.test. NS RRSIG NSEC",
    "d.z.test. 300 IN RRSIG NSEC " SIG,
    "x.ent.z.test. 300 IN NSEC m.z.test. A RRSIG NSEC",
    "x.ent.z.test. 300 IN RRSIG NSEC " SIG,
    "m.z.test. 200 IN NSEC z.test. A RRSIG NSEC",
    "m.z.test. 200 IN RRSIG NSEC " SIG,
    NULL};

/* w.test.: a wildcard exists, so no name below it can be NXDOMAIN. */
static const char *const zone_w[] = {
    "w.test. 3600 IN SOA ns.w.test. h.w.test. 1 3600 600 86400 300",
    "w.test. 3600 IN RRSIG SOA " WSIG,
    "w.test. 300 IN NSEC *.w.test. SOA NS RRSIG NSEC",
    "w.test. 300 IN RRSIG NSEC " WSIG,
    "*.w.test. 300 IN NSEC c.w.test. A RRSIG NSEC",
    "*.w.test. 300 IN RRSIG NSEC " WSIG,
    "c.w.test. 300 IN NSEC w.test. A RRSIG NSEC",
    "c.w.test. 300 IN RRSIG NSEC " WSIG,
    NULL};

/* A NXDOMAIN body for q.ZONE with records in authority. */
static size_t body_of(const char *const *records, uint8_t *out, size_t cap)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
	for (size_t i = 0; records[i]; i++) {
		ldns_rr *rr = NULL;
		ck_assert_msg(ldns_rr_new_frm_str(&rr, records[i], 300, NULL, NULL) ==
				  LDNS_STATUS_OK,
			      "%s", records[i]);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr);
	}
	uint8_t *wire = NULL;
	size_t n = 0;
	ck_assert_int_eq(ldns_pkt2wire(&wire, pkt, &n), LDNS_STATUS_OK);
	ck_assert_uint_le(n, cap);
	memcpy(out, wire, n);
	free(wire);
	ldns_pkt_free(pkt);
	return n;
}

static void learn(struct negcache *nc, const char *scope, const char *const *records)
{
	uint8_t body[4096];
	size_t n = body_of(records, body, sizeof(body));
	negcache_learn(nc, scope, body, n, NOW, START);
}

static struct negcache *loaded(void)
{
	struct negcache *nc = negcache_new(1000, 3600);
	learn(nc, "", zone_z);
	learn(nc, "", zone_w);
	ck_assert_uint_eq(negcache_count(nc), 11); /* 9 records, 2 zones */
	return nc;
}

/* The answer to name/type (floor: the root unless given) at ms, parsed; NULL: none. */
static ldns_pkt *ask_full(struct negcache *nc, const char *scope, const char *floor,
			  const char *name, ldns_rr_type type, bool dnssec, uint64_t ms)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name), *f = ldns_dname_new_frm_str(floor);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_nonnull(f);
	struct negcache_question q = {scope,
				      ldns_rdf_data(f),
				      ldns_rdf_size(f),
				      ldns_rdf_data(n),
				      ldns_rdf_size(n),
				      (uint16_t)type,
				      LDNS_RR_CLASS_IN,
				      dnssec};
	uint8_t out[4096];
	size_t len = negcache_answer(nc, &q, ms, out, sizeof(out));
	ldns_rdf_deep_free(n);
	ldns_rdf_deep_free(f);
	ldns_pkt *pkt = NULL;
	if (len)
		ck_assert_int_eq(ldns_wire2pkt(&pkt, out, len), LDNS_STATUS_OK);
	return pkt;
}

static ldns_pkt *ask(struct negcache *nc, const char *name, ldns_rr_type type)
{
	return ask_full(nc, "", ".", name, type, true, START + 1000);
}

/* Does the authority section hold an rr of type owned by owner? */
static bool has(const ldns_pkt *pkt, const char *owner, ldns_rr_type type)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	const ldns_rr_list *au = ldns_pkt_authority(pkt);
	bool found = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(au, i);
		found |= ldns_rr_get_type(rr) == type && !ldns_dname_compare(ldns_rr_owner(rr), o);
	}
	ldns_rdf_deep_free(o);
	return found;
}

static void expect_none(struct negcache *nc, const char *name, ldns_rr_type type)
{
	ldns_pkt *p = ask(nc, name, type);
	ck_assert_msg(p == NULL, "%s type %d answered", name, type);
}

START_TEST(test_nxdomain)
{
	struct negcache *nc = loaded();
	ldns_pkt *p = ask(nc, "b.z.test.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert(ldns_pkt_qr(p) && ldns_pkt_ra(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert(has(p, "z.test.", LDNS_RR_TYPE_SOA));
	ck_assert(has(p, "a.z.test.", LDNS_RR_TYPE_NSEC)); /* covers b */
	ck_assert(has(p, "z.test.", LDNS_RR_TYPE_NSEC));   /* covers *.z.test. */
	ck_assert(has(p, "a.z.test.", LDNS_RR_TYPE_RRSIG));
	ck_assert_uint_eq(ldns_pkt_nscount(p), 6); /* SOA, NSEC x2, RRSIG x3 */
	/* TTL: the SOA's MINIMUM (300) counted down by the 1 s since learned */
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), 299);
	ldns_pkt_free(p);
	/* the last NSEC wraps to the apex: n.z.test. is after m */
	p = ask(nc, "n.z.test.", LDNS_RR_TYPE_AAAA);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert(has(p, "m.z.test.", LDNS_RR_TYPE_NSEC));
	/* m's NSEC has TTL 200: the answer lives no longer than its shortest record */
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), 199);
	ldns_pkt_free(p);
	/* a name two labels below a non-existent one: the same proof */
	p = ask(nc, "q.b.z.test.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	negcache_free(nc);
}
END_TEST

START_TEST(test_nodata)
{
	struct negcache *nc = loaded();
	ldns_pkt *p = ask(nc, "a.z.test.", LDNS_RR_TYPE_TXT);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert(has(p, "a.z.test.", LDNS_RR_TYPE_NSEC));
	ck_assert(!has(p, "z.test.", LDNS_RR_TYPE_NSEC));
	ldns_pkt_free(p);
	/* an empty non-terminal: the NSEC before it points below it */
	p = ask(nc, "ent.z.test.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert(has(p, "d.z.test.", LDNS_RR_TYPE_NSEC));
	ldns_pkt_free(p);
	/* DS at a delegation, from the parent's NSEC there */
	p = ask(nc, "d.z.test.", LDNS_RR_TYPE_DS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	negcache_free(nc);
}
END_TEST

START_TEST(test_not_proven)
{
	struct negcache *nc = loaded();
	expect_none(nc, "a.z.test.", LDNS_RR_TYPE_A);     /* the type exists */
	expect_none(nc, "d.z.test.", LDNS_RR_TYPE_A);     /* the child's data, not the parent's */
	expect_none(nc, "www.d.z.test.", LDNS_RR_TYPE_A); /* below a delegation */
	expect_none(nc, "z.test.", LDNS_RR_TYPE_DS);      /* DS is the parent's (test.: unknown) */
	expect_none(nc, "b.w.test.", LDNS_RR_TYPE_A);     /* *.w.test. exists */
	expect_none(nc, "b.other.test.", LDNS_RR_TYPE_A); /* a zone never learned */
	expect_none(nc, "b.z.test.", LDNS_RR_TYPE_ANY);   /* ANY is always resolved */
	ldns_pkt *p = ask(nc, "a.z.test.", LDNS_RR_TYPE_CNAME);
	ck_assert_ptr_nonnull(p); /* (CNAME itself is a type like any other at a) */
	ldns_pkt_free(p);
	/* another scope, a floor below the zone, after expiry */
	ck_assert_ptr_null(ask_full(nc, "wg", ".", "b.z.test.", LDNS_RR_TYPE_A, true, START));
	ck_assert_ptr_null(ask_full(nc, "", "b.z.test.", "b.z.test.", LDNS_RR_TYPE_A, true, START));
	ck_assert_ptr_null(
	    ask_full(nc, "", ".", "b.z.test.", LDNS_RR_TYPE_A, true, START + 300 * 1000));
	p = ask_full(nc, "", "z.test.", "b.z.test.", LDNS_RR_TYPE_A, true, START);
	ck_assert_ptr_nonnull(p); /* a floor at the zone's apex is fine */
	ldns_pkt_free(p);
	negcache_free(nc);
}
END_TEST

START_TEST(test_no_dnssec)
{
	struct negcache *nc = loaded();
	ldns_pkt *p = ask_full(nc, "", ".", "b.z.test.", LDNS_RR_TYPE_A, false, START);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	ck_assert(has(p, "z.test.", LDNS_RR_TYPE_SOA));
	ldns_pkt_free(p);
	negcache_free(nc);
}
END_TEST

START_TEST(test_unsigned_and_expired_sigs)
{
	static const char *const bare[] = {
	    "z.test. 3600 IN SOA ns.z.test. h.z.test. 1 3600 600 86400 300",
	    "z.test. 3600 IN RRSIG SOA " SIG,
	    "a.z.test. 300 IN NSEC c.z.test. A RRSIG NSEC", /* no RRSIG */
	    "c.z.test. 300 IN NSEC d.z.test. A RRSIG NSEC",
	    "c.z.test. 300 IN RRSIG NSEC " OLD,          /* expired */
	    "q.other.test. 300 IN NSEC r.other.test. A", /* outside the SOA's zone */
	    "q.other.test. 300 IN RRSIG NSEC " SIG,
	    NULL};
	struct negcache *nc = negcache_new(1000, 3600);
	learn(nc, "", bare);
	ck_assert_uint_eq(negcache_count(nc), 1); /* the zone, no record */
	static const char *const nosoa[] = {"a.z.test. 300 IN NSEC c.z.test. A RRSIG NSEC",
					    "a.z.test. 300 IN RRSIG NSEC " SIG, NULL};
	learn(nc, "", nosoa);
	ck_assert_uint_eq(negcache_count(nc), 1);
	negcache_free(nc);
}
END_TEST

START_TEST(test_clear_and_bound)
{
	struct negcache *nc = loaded();
	negcache_clear(nc);
	ck_assert_uint_eq(negcache_count(nc), 0);
	expect_none(nc, "b.z.test.", LDNS_RR_TYPE_A);
	negcache_free(nc);
	nc = negcache_new(4, 3600);
	learn(nc, "", zone_z); /* the zone and 3 of its 6 NSEC fit */
	ck_assert_uint_eq(negcache_count(nc), 4);
	learn(nc, "", zone_w); /* full: emptied, then w.test. and its 3 */
	ck_assert_uint_eq(negcache_count(nc), 4);
	expect_none(nc, "b.z.test.", LDNS_RR_TYPE_A);
	negcache_free(nc);
	/* zones without a record count too: a flood of distinct zones stays bounded */
	nc = negcache_new(4, 3600);
	for (int i = 0; i < 20; i++) {
		char soa[128], sig[160];
		snprintf(soa, sizeof(soa),
			 "z%d.test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 300", i);
		snprintf(sig, sizeof(sig),
			 "z%d.test. 300 IN RRSIG NSEC 13 2 300 20501231000000 20200101000000 4711 "
			 "z%d.test. AAECAwQFBgcICQoLDA0ODw==",
			 i, i);
		const char *const rec[] = {soa, sig, NULL};
		learn(nc, "", rec);
		ck_assert_uint_le(negcache_count(nc), 4);
	}
	negcache_free(nc);
}
END_TEST

/* Records the validator did not check are not learned: NSEC3 beside NSEC (it reads NSEC3 only
 * when there is no NSEC), and an SOA whose owner did not sign the denial. */
START_TEST(test_unchecked_records)
{
	static const char *const mixed[] = {
	    "z.test. 3600 IN SOA ns.z.test. h.z.test. 1 3600 600 86400 300",
	    "z.test. 3600 IN RRSIG SOA " SIG,
	    "a.z.test. 300 IN NSEC c.z.test. A RRSIG NSEC",
	    "a.z.test. 300 IN RRSIG NSEC " SIG,
	    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.z.test. 300 IN NSEC3 1 0 0 - "
	    "0p9mhaveqvm6t7vbl5lop2u3t2rp3ton A RRSIG",
	    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.z.test. 300 IN RRSIG NSEC3 " SIG,
	    NULL};
	struct negcache *nc = negcache_new(1000, 3600);
	learn(nc, "", mixed);
	ck_assert_uint_eq(negcache_count(nc), 2); /* the zone and the NSEC, not the NSEC3 */
	negcache_free(nc);
	static const char *const ancestor_soa[] = {
	    "test. 3600 IN SOA ns.test. h.test. 1 3600 600 86400 300",
	    "test. 3600 IN RRSIG SOA 13 1 300 20501231000000 20200101000000 4711 test. AAAA",
	    "a.z.test. 300 IN NSEC c.z.test. A RRSIG NSEC", "a.z.test. 300 IN RRSIG NSEC " SIG,
	    NULL};
	static const char *const test_zone[] = {
	    "test. 3600 IN SOA ns.test. h.test. 7 3600 600 86400 300",
	    "test. 3600 IN RRSIG SOA 13 1 300 20501231000000 20200101000000 4711 test. AAAA",
	    "a.test. 300 IN NSEC c.test. A RRSIG NSEC",
	    "a.test. 300 IN RRSIG NSEC 13 2 300 20501231000000 20200101000000 4711 test. AAAA",
	    "test. 300 IN NSEC a.test. SOA NS RRSIG NSEC",
	    "test. 300 IN RRSIG NSEC 13 1 300 20501231000000 20200101000000 4711 test. AAAA",
	    NULL};
	nc = negcache_new(1000, 3600);
	learn(nc, "", test_zone);
	size_t held = negcache_count(nc);
	learn(nc, "",
	      ancestor_soa); /* an unchecked SOA for test. (serial 1) beside z.test.'s NSEC */
	ck_assert_uint_eq(negcache_count(nc), held);
	ck_assert_ptr_null(ask(nc, "b.z.test.", LDNS_RR_TYPE_A));
	ldns_pkt *p = ask(nc, "b.test.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(p);
	const ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
	ck_assert_uint_eq(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)),
			  7); /* still the checked one */
	ldns_pkt_free(p);
	negcache_free(nc);
}
END_TEST

static Suite *negcache_suite(void)
{
	Suite *s = suite_create("negcache");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_nxdomain);
	tcase_add_test(tc, test_nodata);
	tcase_add_test(tc, test_not_proven);
	tcase_add_test(tc, test_no_dnssec);
	tcase_add_test(tc, test_unsigned_and_expired_sigs);
	tcase_add_test(tc, test_clear_and_bound);
	tcase_add_test(tc, test_unchecked_records);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(negcache_suite());
}
