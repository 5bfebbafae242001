/*
 * test_zonefile.c -- reading zone files: the records and their order, $ORIGIN and $TTL,
 * $INCLUDE with and without an origin, the origin a file without $ORIGIN takes from its first
 * record, syntax and file errors with their exact "FILE:LINE: message", a callback that stops
 * the read, records whose type is missing or not storable, and single records in
 * presentation format.
 */
#include "check_main.h"
#include "dns/zonefile.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONES MEGDNS_TEST_DATA "/zones/"

/* What a read handed to the callback; refuse record `stop_at` (or the end, -1) if set. */
struct got {
	ldns_rr_list *rrs;
	int ends;    /* calls with rr NULL */
	int stop_at; /* index of the record to refuse, -1: the end, -2: none */
	int stop_rc;
};

static int collect_cb(void *arg, ldns_rr *rr, char *why, size_t whylen)
{
	struct got *g = arg;
	int index = rr ? (int)ldns_rr_list_rr_count(g->rrs) : -1;
	if (!rr)
		g->ends++;
	if (index == g->stop_at) {
		snprintf(why, whylen, "refused by the test");
		ldns_rr_free(rr);
		return g->stop_rc;
	}
	if (rr)
		ck_assert(ldns_rr_list_push_rr(g->rrs, rr));
	return 0;
}

static struct got got_new(void)
{
	struct got g = {.rrs = ldns_rr_list_new(), .stop_at = -2};
	ck_assert_ptr_nonnull(g.rrs);
	return g;
}

/* Read path, which must succeed, into g. */
static void read_ok(const char *path, struct got *g)
{
	char err[512] = "";
	int rc = zonefile_read(path, collect_cb, g, err, sizeof(err));
	ck_assert_msg(rc == 0, "reading %s: %d %s", path, rc, err);
	ck_assert_int_eq(g->ends, 1);
}

/* rr i must be exactly `text` (owner case-insensitive, TTL included). */
static void expect_rr(const ldns_rr_list *list, size_t i, const char *text)
{
	ldns_rr *want = NULL;
	ck_assert_int_eq(ldns_rr_new_frm_str(&want, text, 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr *got = ldns_rr_list_rr(list, i);
	ck_assert_ptr_nonnull(got);
	char *gs = ldns_rr2str(got);
	ck_assert_msg(ldns_rr_compare(got, want) == 0 && ldns_rr_ttl(got) == ldns_rr_ttl(want),
		      "record %zu: got %s want %s", i, gs, text);
	free(gs);
	ldns_rr_free(want);
}

static void expect_error(const char *path, int want_rc, const char *want_msg)
{
	char err[512] = "";
	struct got g = got_new();
	int rc = zonefile_read(path, collect_cb, &g, err, sizeof(err));
	ck_assert_int_eq(rc, want_rc);
	ck_assert_msg(strncmp(err, want_msg, strlen(want_msg)) == 0, "got '%s' want '%s...'", err,
		      want_msg);
	ck_assert_int_eq(g.ends, 0);
	ldns_rr_list_deep_free(g.rrs);
}

/* A file with the given text, for the cases no fixture has; unlink it after use. */
static void temp_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(records)
{
	struct got g = got_new();
	read_ok(ZONES "example.test.zone", &g);
	const ldns_rr_list *l = g.rrs;
	ck_assert_uint_eq(ldns_rr_list_rr_count(l), 37);
	expect_rr(l, 0,
		  "example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. "
		  "2024010101 3600 900 604800 60");
	expect_rr(l, 1, "example.test. 300 IN NS ns1.example.test.");
	/* Its own TTL, then a line without an owner that gets $TTL, not the 600 above. */
	expect_rr(l, 3, "www.example.test. 600 IN A 192.0.2.10");
	expect_rr(l, 4, "www.example.test. 300 IN AAAA 2001:db8::10");
	expect_rr(l, 9, "away.example.test. 300 IN CNAME elsewhere.invalid.");
	expect_rr(l, 12, "*.wild.example.test. 300 IN TXT \"wildcard\"");
	/* $INCLUDE at its place: the same origin, then another one, then ours again. */
	expect_rr(l, 13, "extra.example.test. 300 IN A 192.0.2.30");
	expect_rr(l, 14, "host.sub.example.test. 300 IN A 192.0.2.40");
	expect_rr(l, 15, "thing.other.example.test. 300 IN A 192.0.2.50");
	expect_rr(l, 16, "after.example.test. 300 IN A 192.0.2.20");
	expect_rr(l, 36,
		  "big.example.test. 300 IN TXT \"record 19 "
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"");
	ldns_rr_list_deep_free(g.rrs);
}
END_TEST

START_TEST(origin_from_first_record)
{
	char path[] = "/tmp/megdns-test-zonefile-XXXXXX";
	temp_file(path, "; no $ORIGIN, no $TTL\n"
			"EXAMPLE.net. 600 IN SOA ns1.example.net. host.example.net. 1 2 3 4 5\n"
			"www IN A 192.0.2.1\n"
			"    IN CNAME @\n");
	struct got g = got_new();
	read_ok(path, &g);
	unlink(path);
	ck_assert_uint_eq(ldns_rr_list_rr_count(g.rrs), 3);
	/* The default TTL before any $TTL; the SOA owner, lower case, is the origin. */
	expect_rr(g.rrs, 1, "www.example.net. 3600 IN A 192.0.2.1");
	char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(g.rrs, 1)));
	ck_assert_str_eq(owner, "www.example.net.");
	free(owner);
	char *target = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(g.rrs, 2), 0));
	ck_assert_str_eq(target, "example.net.");
	free(target);
	ldns_rr_list_deep_free(g.rrs);
}
END_TEST

START_TEST(callback_stops)
{
	char err[512] = "";
	struct got g = got_new();
	g.stop_at = 2;
	g.stop_rc = -EPERM;
	ck_assert_int_eq(zonefile_read(ZONES "example.test.zone", collect_cb, &g, err, sizeof(err)),
			 -EPERM);
	ck_assert_str_eq(err, ZONES "example.test.zone:11: refused by the test");
	ck_assert_uint_eq(ldns_rr_list_rr_count(g.rrs), 2);
	ck_assert_int_eq(g.ends, 0);
	ldns_rr_list_deep_free(g.rrs);
	/* A record of an $INCLUDEd file is placed in that file. */
	g = got_new();
	g.stop_at = 14;
	g.stop_rc = -EINVAL;
	ck_assert_int_eq(zonefile_read(ZONES "example.test.zone", collect_cb, &g, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, ZONES "inc/sub.inc:2: refused by the test");
	ldns_rr_list_deep_free(g.rrs);
	/* Refusing the end places the error on the file's last line. */
	g = got_new();
	g.stop_at = -1;
	g.stop_rc = -EINVAL;
	ck_assert_int_eq(zonefile_read(ZONES "deep.zone", collect_cb, &g, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, ZONES "deep.zone:4: refused by the test");
	ck_assert_uint_eq(ldns_rr_list_rr_count(g.rrs), 2);
	ck_assert_int_eq(g.ends, 1);
	ldns_rr_list_deep_free(g.rrs);
}
END_TEST

START_TEST(errors)
{
	expect_error(ZONES "err-syntax.zone", -EINVAL,
		     ZONES "err-syntax.zone:4: Syntax error, could not parse the RR's rdata");
	expect_error(ZONES "err-include.zone", -EINVAL, ZONES "inc/bad.inc:3: ");
	expect_error(ZONES "err-missing-include.zone", -ENOENT,
		     ZONES "err-missing-include.zone:4: $INCLUDE " ZONES
			   "does-not-exist.inc: No such file or directory");
	expect_error(ZONES "err-relative.zone", -EINVAL,
		     ZONES "err-relative.zone:2: relative name with no $ORIGIN");
	expect_error(ZONES "err-loop.zone", -EINVAL,
		     ZONES "inc/loop.inc:1: $INCLUDE nested more than 8 deep");
	expect_error(ZONES "no-such.zone", -ENOENT,
		     ZONES "no-such.zone: No such file or directory");
}
END_TEST

/* A record whose type was left out or is not a record type: ldns reads it as type 0. */
static void expect_type_error(const char *line, const char *want)
{
	char path[] = "/tmp/megdns-test-zonefile-XXXXXX", text[512], err[512] = "", want_err[512];
	snprintf(text, sizeof(text),
		 "$ORIGIN home.arpa.\n@ 300 IN SOA ns host 1 2 3 4 5\n%s\nok IN A 10.0.0.9\n",
		 line);
	temp_file(path, text);
	struct got g = got_new();
	int rc = zonefile_read(path, collect_cb, &g, err, sizeof(err));
	snprintf(want_err, sizeof(want_err), "%s:3: %s", path, want);
	unlink(path);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err, want_err);
	ldns_rr_list_deep_free(g.rrs);
}

START_TEST(type_missing)
{
	expect_type_error("router IN 10.100.0.1",
			  "no record type before the address 10.100.0.1 (write A 10.100.0.1)");
	expect_type_error("router 60 IN fd00::1",
			  "no record type before the address fd00::1 (write AAAA fd00::1)");
	expect_type_error("  300 10.0.0.2",
			  "no record type before the address 10.0.0.2 (write A 10.0.0.2)");
	expect_type_error("router IN TYPE0 \\# 0",
			  "type 0 is reserved, it cannot be stored or answered");
	expect_type_error("router IN ANY \\# 0",
			  "ANY is a query type, not a record that can be stored");
	char err[256] = "";
	ldns_rr *rr = NULL;
	ck_assert_int_eq(
	    zonefile_parse_record("nas.home.arpa. 300 IN 10.0.0.1", &rr, err, sizeof(err)),
	    -EINVAL);
	ck_assert_str_eq(err, "no record type before the address 10.0.0.1 (write A 10.0.0.1)");
	ck_assert_ptr_null(rr);
}
END_TEST

START_TEST(parse_record)
{
	char err[256] = "";
	ldns_rr *rr = NULL;
	ck_assert_int_eq(
	    zonefile_parse_record("nas.home.arpa. 300 IN A 10.100.0.20", &rr, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(rr);
	ck_assert_uint_eq(ldns_rr_ttl(rr), 300);
	ck_assert_int_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	ldns_rr_free(rr);
	/* Relative names are refused in the owner and in the data; *rr stays as it was. */
	rr = NULL;
	ck_assert_int_eq(zonefile_parse_record("nas 300 IN A 10.0.0.1", &rr, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "names must be absolute (end in a dot)");
	ck_assert_ptr_null(rr);
	err[0] = '\0';
	ck_assert_int_eq(zonefile_parse_record("a.test. 300 IN CNAME b", &rr, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "names must be absolute (end in a dot)");
	ck_assert_int_eq(zonefile_parse_record("nas.test. 300 IN A 10.0.0", &rr, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, ldns_get_errorstr_by_id(LDNS_STATUS_SYNTAX_RDATA_ERR));
	ck_assert_ptr_null(rr);
	/* Classes are the caller's business. */
	ck_assert_int_eq(zonefile_parse_record("v.test. 0 CH TXT \"x\"", &rr, err, sizeof(err)), 0);
	ck_assert_int_eq(ldns_rr_get_class(rr), LDNS_RR_CLASS_CH);
	ldns_rr_free(rr);
}
END_TEST

static Suite *zonefile_suite(void)
{
	Suite *s = suite_create("zonefile");
	TCase *read = tcase_create("read");
	tcase_add_test(read, records);
	tcase_add_test(read, origin_from_first_record);
	tcase_add_test(read, callback_stops);
	tcase_add_test(read, errors);
	tcase_add_test(read, type_missing);
	suite_add_tcase(s, read);
	TCase *rec = tcase_create("record");
	tcase_add_test(rec, parse_record);
	suite_add_tcase(s, rec);
	return s;
}

int main(void)
{
	return check_main_run(zonefile_suite());
}
