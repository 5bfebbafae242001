/*
 * test_anchor.c -- unit tests for anchor.c: the built-in root anchor, DS and DNSKEY anchors
 * read from files (case folded, merged per zone), the deepest anchor wins at label bounds,
 * negative trust anchors (the built-in private names and configured ones), and load errors
 * with their "FILE:LINE:" position.
 */
#include "dnssec/anchor.h"
#include "check_main.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define KEY64                                                                                      \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P"    \
	"w=="

/* A temporary file holding text; its path goes to path (at least 40 bytes). */
static void temp_file(char *path, size_t cap, const char *text)
{
	snprintf(path, cap, "/tmp/megdns-test-anchor-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Load one anchor file made of text; returns what anchor_set_load returned. */
static int load_text(struct anchor_set **s, const char *text, char *const *insecure, size_t n,
		     char *path, char *err, size_t errlen)
{
	temp_file(path, 64, text);
	int r = anchor_set_load(s, (const char *const[]){path}, 1, insecure, n, err, errlen);
	unlink(path);
	return r;
}

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* The zone of the anchor for name, as text ("-" for none); static buffer. */
static const char *found(const struct anchor_set *s, const char *name)
{
	static char out[256];
	ldns_rdf *n = dname(name);
	const struct anchor *a = anchor_find(s, n);
	ldns_rdf_deep_free(n);
	char *z = a ? ldns_rdf2str(a->zone) : NULL;
	snprintf(out, sizeof(out), "%s", z ? z : "-");
	free(z);
	return out;
}

static bool insecure(const struct anchor_set *s, const char *name)
{
	ldns_rdf *n = dname(name);
	bool r = anchor_is_insecure(s, n);
	ldns_rdf_deep_free(n);
	return r;
}

START_TEST(test_builtin_root)
{
	struct anchor_set *s = NULL;
	char err[256] = "";
	ck_assert_int_eq(anchor_set_load(&s, NULL, 0, NULL, 0, err, sizeof(err)), 0);
	ck_assert_uint_eq(s->n_anchors, 1);
	ck_assert_str_eq(found(s, "www.example.com."), ".");
	ck_assert_str_eq(found(s, "."), ".");
	const struct anchor *a = &s->anchors[0];
	ck_assert_uint_eq(ldns_rr_list_rr_count(a->ds), 1);
	ck_assert_uint_eq(ldns_rr_list_rr_count(a->key), 0);
	const ldns_rr *ds = ldns_rr_list_rr(a->ds, 0);
	ck_assert_uint_eq(ldns_rdf2native_int16(ldns_rr_rdf(ds, 0)), 20326); /* KSK-2017 */
	ck_assert_uint_eq(ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)), 8);
	ck_assert_uint_eq(ldns_rdf2native_int8(ldns_rr_rdf(ds, 2)), 2);
	anchor_set_free(s);
	anchor_set_free(NULL);
}
END_TEST

START_TEST(test_deepest_anchor)
{
	struct anchor_set *s = NULL;
	char path[64], err[256] = "";
	const char *text = "; anchors at three depths\n"
			   ". 3600 IN DS 20326 8 2 " HEX64 "\n"
			   "test. 3600 IN DS 1111 13 2 " HEX64 "\n"
			   "a.test. 3600 IN DNSKEY 257 3 13 " KEY64 "\n"
			   "A.TEST. 3600 IN DS 2222 13 2 " HEX64 "\n";
	ck_assert_int_eq(load_text(&s, text, NULL, 0, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(s->n_anchors, 3); /* A.TEST. is a.test. */
	ck_assert_str_eq(found(s, "www.a.test."), "a.test.");
	ck_assert_str_eq(found(s, "a.test."), "a.test.");
	ck_assert_str_eq(found(s, "xa.test."), "test."); /* label bounds, not string suffixes */
	ck_assert_str_eq(found(s, "b.test."), "test.");
	ck_assert_str_eq(found(s, "test."), "test.");
	ck_assert_str_eq(found(s, "example."), ".");
	ldns_rdf *n = dname("www.a.test.");
	const struct anchor *a = anchor_find(s, n);
	ldns_rdf_deep_free(n);
	ck_assert_uint_eq(ldns_rr_list_rr_count(a->key), 1);
	ck_assert_uint_eq(ldns_rr_list_rr_count(a->ds), 1);
	anchor_set_free(s);
}
END_TEST

/* The order of the file does not matter: the deeper anchor first. */
START_TEST(test_deepest_anchor_any_order)
{
	struct anchor_set *s = NULL;
	char path[64], err[256] = "";
	const char *text = "a.test. 3600 IN DS 2222 13 2 " HEX64 "\n"
			   ". 3600 IN DS 20326 8 2 " HEX64 "\n";
	ck_assert_int_eq(load_text(&s, text, NULL, 0, path, err, sizeof(err)), 0);
	ck_assert_str_eq(found(s, "www.a.test."), "a.test.");
	ck_assert_str_eq(found(s, "www.b.test."), ".");
	anchor_set_free(s);
}
END_TEST

/* Without a root anchor, names outside every anchor have none. */
START_TEST(test_no_anchor_above)
{
	struct anchor_set *s = NULL;
	char path[64], err[256] = "";
	const char *text = "test. 3600 IN DS 1111 13 2 " HEX64 "\n";
	ck_assert_int_eq(load_text(&s, text, NULL, 0, path, err, sizeof(err)), 0);
	ck_assert_str_eq(found(s, "www.test."), "test.");
	ck_assert_str_eq(found(s, "www.example."), "-");
	ck_assert_str_eq(found(s, "."), "-");
	anchor_set_free(s);
}
END_TEST

START_TEST(test_builtin_insecure)
{
	struct anchor_set *s = NULL;
	char err[256] = "";
	ck_assert_int_eq(anchor_set_load(&s, NULL, 0, NULL, 0, err, sizeof(err)), 0);
	ck_assert(insecure(s, "home.arpa."));
	ck_assert(insecure(s, "nas.home.arpa."));
	ck_assert(insecure(s, "10.in-addr.arpa."));
	ck_assert(insecure(s, "4.3.2.10.in-addr.arpa."));
	ck_assert(insecure(s, "1.0.168.192.in-addr.arpa."));
	ck_assert(insecure(s, "16.172.in-addr.arpa."));
	ck_assert(insecure(s, "31.172.in-addr.arpa."));
	ck_assert(insecure(s, "1.0.0.0.d.f.ip6.arpa."));
	ck_assert(insecure(s, "printer.local."));
	ck_assert(!insecure(s, "arpa."));
	ck_assert(!insecure(s, "in-addr.arpa."));
	ck_assert(!insecure(s, "11.in-addr.arpa."));
	ck_assert(!insecure(s, "110.in-addr.arpa."));
	ck_assert(!insecure(s, "15.172.in-addr.arpa."));
	ck_assert(!insecure(s, "32.172.in-addr.arpa."));
	ck_assert(!insecure(s, "xhome.arpa."));
	ck_assert(!insecure(s, "www.example.com."));
	ck_assert(!insecure(s, "."));
	anchor_set_free(s);
}
END_TEST

START_TEST(test_configured_insecure)
{
	struct anchor_set *s = NULL;
	char err[256] = "";
	char *names[] = {"corp.example.", "Lab.Test."};
	ck_assert_int_eq(anchor_set_load(&s, NULL, 0, names, 2, err, sizeof(err)), 0);
	ck_assert(insecure(s, "corp.example."));
	ck_assert(insecure(s, "x.y.corp.example."));
	ck_assert(insecure(s, "lab.test.")); /* stored lower case */
	ck_assert(insecure(s, "pc.lab.test."));
	ck_assert(!insecure(s, "xcorp.example."));
	ck_assert(!insecure(s, "example."));
	ck_assert(!insecure(s, "test."));
	ck_assert(insecure(s, "home.arpa.")); /* the built-in ones stay */
	anchor_set_free(s);
}
END_TEST

START_TEST(test_name_under)
{
	ldns_rdf *root = dname("."), *a = dname("a.test."), *www = dname("www.a.test."),
		 *xa = dname("xa.test.");
	ck_assert(anchor_name_under(www, a));
	ck_assert(anchor_name_under(a, a));
	ck_assert(anchor_name_under(a, root));
	ck_assert(anchor_name_under(root, root));
	ck_assert(!anchor_name_under(a, www));
	ck_assert(!anchor_name_under(xa, a));
	ck_assert(!anchor_name_under(root, a));
	ldns_rdf_deep_free(root);
	ldns_rdf_deep_free(a);
	ldns_rdf_deep_free(www);
	ldns_rdf_deep_free(xa);
}
END_TEST

/* err must begin with "path:line:". */
static void assert_at(const char *err, const char *path, int line)
{
	char want[128];
	snprintf(want, sizeof(want), "%s:%d:", path, line);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "error '%s' does not begin with '%s'",
		      err, want);
}

START_TEST(test_error_not_an_anchor)
{
	struct anchor_set *s = (struct anchor_set *)&s; /* must stay untouched */
	char path[64], err[256] = "";
	const char *text = ". 3600 IN DS 20326 8 2 " HEX64 "\n"
			   "\n"
			   "example. 3600 IN A 192.0.2.1\n";
	ck_assert_int_eq(load_text(&s, text, NULL, 0, path, err, sizeof(err)), -EINVAL);
	assert_at(err, path, 3);
	ck_assert_ptr_nonnull(strstr(err, "DS or DNSKEY"));
	ck_assert_ptr_eq(s, (struct anchor_set *)&s);
}
END_TEST

START_TEST(test_error_syntax)
{
	struct anchor_set *s = NULL;
	char path[64], err[256] = "";
	const char *text = ". 3600 IN DS 20326 8 2 " HEX64 "\n"
			   "test. 3600 IN DS twenty 13 2 " HEX64 "\n";
	ck_assert_int_lt(load_text(&s, text, NULL, 0, path, err, sizeof(err)), 0);
	assert_at(err, path, 2);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_error_unreadable)
{
	struct anchor_set *s = NULL;
	char err[256] = "";
	const char *path = "/nonexistent/megdns/anchors.zone";
	ck_assert_int_eq(anchor_set_load(&s, &path, 1, NULL, 0, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strncmp(err, "/nonexistent/megdns/anchors.zone: ", 34) == 0, "error '%s'",
		      err);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_error_empty)
{
	struct anchor_set *s = NULL;
	char path[64], err[256] = "";
	ck_assert_int_eq(load_text(&s, "; nothing here\n", NULL, 0, path, err, sizeof(err)),
			 -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s: no DS or DNSKEY records", path);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_error_bad_insecure_name)
{
	struct anchor_set *s = NULL;
	char err[256] = "";
	char *names[] = {"ok.example.", "bad..name."};
	ck_assert_int_eq(anchor_set_load(&s, NULL, 0, names, 2, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "bad..name."));
	ck_assert_ptr_null(s);
}
END_TEST

static Suite *anchor_suite(void)
{
	Suite *s = suite_create("anchor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_builtin_root);
	tcase_add_test(tc, test_deepest_anchor);
	tcase_add_test(tc, test_deepest_anchor_any_order);
	tcase_add_test(tc, test_no_anchor_above);
	tcase_add_test(tc, test_builtin_insecure);
	tcase_add_test(tc, test_configured_insecure);
	tcase_add_test(tc, test_name_under);
	tcase_add_test(tc, test_error_not_an_anchor);
	tcase_add_test(tc, test_error_syntax);
	tcase_add_test(tc, test_error_unreadable);
	tcase_add_test(tc, test_error_empty);
	tcase_add_test(tc, test_error_bad_insecure_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(anchor_suite());
}
