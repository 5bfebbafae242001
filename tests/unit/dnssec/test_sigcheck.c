/*
 * test_sigcheck.c -- one RRSIG checked with one DNSKEY (sigcheck.h), against ldns.
 *
 * Every case is checked twice: by sigcheck_verify and by ldns_verify_rrsig_time, and the two
 * must give the same status. For ECDSA P-256 and P-384 sigcheck verifies itself with the
 * key's EVP_PKEY kept; Ed25519 goes through ldns. Cases: a good signature, the same
 * key again (the kept EVP_PKEY), altered data, expired, not yet valid, a mixed-case owner
 * (canonical form), a wildcard expansion (the RRSIG's label count), and another zone's key
 * (no key with the RRSIG's tag).
 */
#include "check_main.h"
#include "dnssec/sigcheck.h"
#include "world.h"

#include <check.h>

struct fixture {
	struct world_zone z;
	ldns_rr *key; /* the zone's DNSKEY (a CSK) */
};

static void fixture_init(struct fixture *f, const char *origin, ldns_signing_algorithm alg)
{
	world_zone_init(&f->z, origin, alg, true, NULL);
	world_zone_add(&f->z, "www.%s 3600 IN A 192.0.2.1", origin);
	world_zone_add(&f->z, "www.%s 3600 IN A 192.0.2.2", origin);
	world_zone_add(&f->z, "*.w.%s 3600 IN A 192.0.2.3", origin);
	world_zone_sign(&f->z);
	f->key = ldns_key2rr(ldns_key_list_key(f->z.zsk, 0));
	ck_assert_ptr_nonnull(f->key);
}

/* Split a list of records and RRSIGs: the records into *set, the first RRSIG returned. */
static ldns_rr *split(ldns_rr_list *l, ldns_rr_list **set)
{
	ldns_rr *sig = NULL;
	*set = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(l, i));
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && !sig)
			sig = rr;
		else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			ldns_rr_free(rr);
		else
			ldns_rr_list_push_rr(*set, rr);
	}
	ldns_rr_list_deep_free(l);
	ck_assert_ptr_nonnull(sig);
	return sig;
}

/* Both checkers on (set, sig, key): they agree, and the status is want. */
static void expect(struct sigcheck *sc, const ldns_rr_list *set, const ldns_rr *sig,
		   const ldns_rr *key, ldns_status want)
{
	ldns_rr_list *copy = ldns_rr_list_clone(set);
	ldns_rr *sig_copy = ldns_rr_clone(sig), *key_copy = ldns_rr_clone(key);
	ldns_status ours = sigcheck_verify(sc, set, sig, key, WORLD_NOW);
	ldns_status theirs = ldns_verify_rrsig_time(copy, sig_copy, key_copy, WORLD_NOW);
	ck_assert_msg(ours == theirs, "sigcheck: %s, ldns: %s", ldns_get_errorstr_by_id(ours),
		      ldns_get_errorstr_by_id(theirs));
	ck_assert_msg(ours == want, "got %s, want %s", ldns_get_errorstr_by_id(ours),
		      ldns_get_errorstr_by_id(want));
	ldns_rr_list_deep_free(copy);
	ldns_rr_free(sig_copy);
	ldns_rr_free(key_copy);
}

static void check_algorithm(ldns_signing_algorithm alg)
{
	struct sigcheck *sc = sigcheck_new();
	struct fixture f, g;
	fixture_init(&f, "s.test.", alg);
	fixture_init(&g, "other.test.", alg);
	ldns_rr_list *set;
	ldns_rr *sig = split(world_pick(&f.z, "www.s.test.", LDNS_RR_TYPE_A), &set);
	expect(sc, set, sig, f.key, LDNS_STATUS_OK);
	expect(sc, set, sig, f.key, LDNS_STATUS_OK); /* the kept key */
	expect(sc, set, sig, g.key, LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY);

	/* Altered data. */
	ldns_rr_list *altered = ldns_rr_list_clone(set);
	ldns_rdf *addr = NULL;
	ck_assert_int_eq(ldns_str2rdf_a(&addr, "192.0.2.66"), LDNS_STATUS_OK);
	world_rr_set(ldns_rr_list_rr(altered, 0), 0, addr);
	expect(sc, altered, sig, f.key, LDNS_STATUS_CRYPTO_BOGUS);
	ldns_rr_list_deep_free(altered);

	/* The owner in another case: the signed data is canonical (lower case). */
	ldns_rr_list *mixed = ldns_rr_list_clone(set);
	world_rename_all(mixed, "WwW.S.tEsT.");
	expect(sc, mixed, sig, f.key, LDNS_STATUS_OK);
	ldns_rr_list_deep_free(mixed);

	/* Outside the validity window. */
	ldns_rr_list *old =
	    world_sign_set(set, f.z.zsk, WORLD_NOW - 20 * WORLD_DAY, WORLD_NOW - WORLD_DAY);
	expect(sc, set, ldns_rr_list_rr(old, 0), f.key, LDNS_STATUS_CRYPTO_SIG_EXPIRED);
	ldns_rr_list *later =
	    world_sign_set(set, f.z.zsk, WORLD_NOW + WORLD_DAY, WORLD_NOW + 20 * WORLD_DAY);
	expect(sc, set, ldns_rr_list_rr(later, 0), f.key, LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED);
	ldns_rr_list_deep_free(old);
	ldns_rr_list_deep_free(later);

	/* A wildcard expansion is checked as its wildcard. */
	ldns_rr_list *wset;
	ldns_rr *wsig = split(world_expanded(&f.z, "*.w.s.test.", "a.b.w.s.test."), &wset);
	expect(sc, wset, wsig, f.key, LDNS_STATUS_OK);

	ldns_rr_list_deep_free(wset);
	ldns_rr_free(wsig);
	ldns_rr_list_deep_free(set);
	ldns_rr_free(sig);
	ldns_rr_free(f.key);
	ldns_rr_free(g.key);
	world_zone_free(&f.z);
	world_zone_free(&g.z);
	sigcheck_free(sc);
}

START_TEST(ecdsa_p256)
{
	check_algorithm(LDNS_SIGN_ECDSAP256SHA256);
}
END_TEST

START_TEST(ecdsa_p384)
{
	check_algorithm(LDNS_SIGN_ECDSAP384SHA384);
}
END_TEST

/* (RSA, the other algorithm through ldns, is in test_validate and t_dnssec.) */
START_TEST(ed25519_through_ldns)
{
	check_algorithm(LDNS_SIGN_ED25519);
}
END_TEST

static Suite *sigcheck_suite(void)
{
	Suite *s = suite_create("sigcheck");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ecdsa_p256);
	tcase_add_test(tc, ecdsa_p384);
	tcase_add_test(tc, ed25519_through_ldns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(sigcheck_suite());
}
