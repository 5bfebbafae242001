/*
 * test_keycache.c -- unit tests for keycache.c: put and get with private copies, each state,
 * expiry at the TTL, overwriting a name, the entry bound under many names, and clearing.
 */
#include "check_main.h"
#include "dnssec/keycache.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY64                                                                                      \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P"    \
	"w=="

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* Two DNSKEY records of zone, as a new list. */
static ldns_rr_list *two_keys(const char *zone)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (int flags = 256; flags <= 257; flags++) {
		char text[256];
		ldns_rr *rr = NULL;
		snprintf(text, sizeof(text), "%s 3600 IN DNSKEY %d 3 13 %s", zone, flags, KEY64);
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL), LDNS_STATUS_OK);
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

static const struct keycache_entry *get(struct keycache *kc, const char *name, uint64_t now)
{
	ldns_rdf *n = dname(name);
	const struct keycache_entry *e = keycache_get(kc, n, now);
	ldns_rdf_deep_free(n);
	return e;
}

static void put(struct keycache *kc, const char *name, enum keycache_state st, int ede,
		uint32_t ttl, uint64_t now)
{
	ldns_rdf *n = dname(name);
	keycache_put(kc, n, st, NULL, NULL, ede, ttl, now);
	ldns_rdf_deep_free(n);
}

START_TEST(test_put_get_secure)
{
	struct keycache *kc = keycache_new(100);
	ldns_rdf *name = dname("www.a.test."), *zone = dname("a.test.");
	ldns_rr_list *keys = two_keys("a.test.");
	keycache_put(kc, name, KEYCACHE_SECURE, zone, keys, -1, 60, 1000);
	/* The cache keeps copies: the caller's may go. */
	ldns_rr_list *want = ldns_rr_list_clone(keys);
	ldns_rr_list_deep_free(keys);
	ldns_rdf_deep_free(zone);

	const struct keycache_entry *e = keycache_get(kc, name, 1000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->state, KEYCACHE_SECURE);
	ck_assert_int_eq(e->ede, -1);
	ck_assert_uint_eq(e->expire_ms, 61000);
	char *z = ldns_rdf2str(e->zone);
	ck_assert_str_eq(z, "a.test.");
	free(z);
	ck_assert_uint_eq(ldns_rr_list_rr_count(e->keys), 2);
	ck_assert_int_eq(ldns_rr_list_compare(e->keys, want), 0);
	ldns_rr_list_deep_free(want);
	ldns_rdf_deep_free(name);

	ck_assert_ptr_null(get(kc, "a.test.", 1000));
	ck_assert_ptr_null(get(kc, "ww.a.test.", 1000));
	keycache_free(kc);
	keycache_free(NULL);
}
END_TEST

START_TEST(test_states)
{
	struct keycache *kc = keycache_new(100);
	put(kc, "insec.test.", KEYCACHE_INSECURE, -1, 300, 0);
	put(kc, "bad.test.", KEYCACHE_BOGUS, 9, 60, 0);
	const struct keycache_entry *e = get(kc, "insec.test.", 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->state, KEYCACHE_INSECURE);
	ck_assert_ptr_null(e->zone);
	ck_assert_ptr_null(e->keys);
	e = get(kc, "bad.test.", 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->state, KEYCACHE_BOGUS);
	ck_assert_int_eq(e->ede, 9);
	keycache_free(kc);
}
END_TEST

START_TEST(test_expire)
{
	struct keycache *kc = keycache_new(100);
	put(kc, "a.test.", KEYCACHE_INSECURE, -1, 10, 5000);
	ck_assert_ptr_nonnull(get(kc, "a.test.", 5000));
	ck_assert_ptr_nonnull(get(kc, "a.test.", 14999));
	ck_assert_ptr_null(get(kc, "a.test.", 15000));
	ck_assert_ptr_null(get(kc, "a.test.", 14999)); /* gone, not hidden */
	put(kc, "z.test.", KEYCACHE_INSECURE, -1, 0, 5000);
	ck_assert_ptr_null(get(kc, "z.test.", 5000)); /* TTL 0: never served */
	keycache_free(kc);
}
END_TEST

START_TEST(test_overwrite)
{
	struct keycache *kc = keycache_new(1);
	ldns_rdf *name = dname("a.test."), *zone = dname("a.test.");
	ldns_rr_list *keys = two_keys("a.test.");
	keycache_put(kc, name, KEYCACHE_SECURE, zone, keys, -1, 60, 0);
	keycache_put(kc, name, KEYCACHE_BOGUS, NULL, NULL, 6, 30, 0);
	const struct keycache_entry *e = keycache_get(kc, name, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->state, KEYCACHE_BOGUS);
	ck_assert_int_eq(e->ede, 6);
	ck_assert_ptr_null(e->zone);
	ck_assert_ptr_null(e->keys);
	ck_assert_uint_eq(e->expire_ms, 30000);
	/* And back: the TTL is the new one, not the longer of the two. */
	keycache_put(kc, name, KEYCACHE_SECURE, zone, keys, -1, 5, 0);
	e = keycache_get(kc, name, 0);
	ck_assert_int_eq(e->state, KEYCACHE_SECURE);
	ck_assert_ptr_null(keycache_get(kc, name, 5000));
	ldns_rr_list_deep_free(keys);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(name);
	keycache_free(kc);
}
END_TEST

START_TEST(test_bound)
{
	enum { MAX = 50, NAMES = 5000 };
	struct keycache *kc = keycache_new(MAX);
	char name[64];
	for (unsigned i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "z%u.test.", i);
		put(kc, name, KEYCACHE_INSECURE, -1, 3600, 0);
		ck_assert_ptr_nonnull(get(kc, name, 0)); /* the newest always stays */
	}
	unsigned live = 0;
	for (unsigned i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "z%u.test.", i);
		live += get(kc, name, 0) != NULL;
	}
	ck_assert_uint_le(live, MAX);
	ck_assert_uint_gt(live, 0);
	keycache_free(kc);
}
END_TEST

START_TEST(test_clear)
{
	struct keycache *kc = keycache_new(100);
	put(kc, "a.test.", KEYCACHE_INSECURE, -1, 60, 0);
	put(kc, "b.test.", KEYCACHE_BOGUS, 9, 60, 0);
	keycache_clear(kc);
	ck_assert_ptr_null(get(kc, "a.test.", 0));
	ck_assert_ptr_null(get(kc, "b.test.", 0));
	put(kc, "a.test.", KEYCACHE_INSECURE, -1, 60, 0);
	ck_assert_ptr_nonnull(get(kc, "a.test.", 0));
	keycache_free(kc);
}
END_TEST

static Suite *keycache_suite(void)
{
	Suite *s = suite_create("keycache");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_put_get_secure);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_overwrite);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_clear);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(keycache_suite());
}
