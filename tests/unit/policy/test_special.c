/*
 * test_special.c -- the default local zones: which names they take (and which they leave),
 * and what they answer.
 */
#include "check_main.h"
#include "policy/special.h"

#include <check.h>
#include <ldns/ldns.h>
#include <string.h>

static int find(const struct special *sp, const char *name)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ck_assert_ptr_nonnull(d);
	ldns_dname2canonical(d);
	int i = special_find(sp, ldns_rdf_data(d), ldns_rdf_size(d));
	ldns_rdf_deep_free(d);
	return i;
}

static const char *zone_of(const struct special *sp, const char *name)
{
	int i = find(sp, name);
	return i < 0 ? "" : special_name(sp, (size_t)i);
}

START_TEST(zones)
{
	struct special *sp = special_new();
	ck_assert_uint_gt(special_count(sp), 90);
	ck_assert_str_eq(zone_of(sp, "localhost."), "localhost.");
	ck_assert_str_eq(zone_of(sp, "a.b.LOCALHOST."), "localhost.");
	ck_assert_str_eq(zone_of(sp, "x.invalid."), "invalid.");
	ck_assert_str_eq(zone_of(sp, "duck.onion."), "onion.");
	ck_assert_str_eq(zone_of(sp, "nas.home.arpa."), "home.arpa.");
	ck_assert_str_eq(zone_of(sp, "10.1.168.192.in-addr.arpa."), "168.192.in-addr.arpa.");
	ck_assert_str_eq(zone_of(sp, "1.0.16.172.in-addr.arpa."), "16.172.in-addr.arpa.");
	ck_assert_str_eq(zone_of(sp, "1.0.31.172.in-addr.arpa."), "31.172.in-addr.arpa.");
	ck_assert_str_eq(zone_of(sp, "1.0.64.100.in-addr.arpa."), "64.100.in-addr.arpa.");
	ck_assert_str_eq(zone_of(sp, "9.10.in-addr.arpa."), "10.in-addr.arpa.");
	ck_assert_str_eq(zone_of(sp, "b.e.f.ip6.arpa."), "b.e.f.ip6.arpa.");
	/* what is public stays public */
	ck_assert_str_eq(zone_of(sp, "1.0.32.172.in-addr.arpa."), "");
	ck_assert_str_eq(zone_of(sp, "1.0.15.172.in-addr.arpa."), "");
	ck_assert_str_eq(zone_of(sp, "1.0.128.100.in-addr.arpa."), "");
	ck_assert_str_eq(zone_of(sp, "8.8.8.8.in-addr.arpa."), "");
	ck_assert_str_eq(zone_of(sp, "in-addr.arpa."), "");
	ck_assert_str_eq(zone_of(sp, "arpa."), "");
	ck_assert_str_eq(zone_of(sp, "c.e.f.ip6.arpa."), "");
	ck_assert_str_eq(zone_of(sp, "example.com."), "");
	ck_assert_str_eq(zone_of(sp, "localhost.example."), "");
	ck_assert_str_eq(zone_of(sp, "."), "");
	special_free(sp);
}
END_TEST

static ldns_pkt *ask(const struct special *sp, const char *name, uint16_t qtype)
{
	struct msg_query q;
	memset(&q, 0, sizeof(q));
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	q.qname_len = (uint8_t)ldns_rdf_size(d);
	memcpy(q.qname, ldns_rdf_data(d), q.qname_len);
	memcpy(q.lname, ldns_rdf_data(d), q.qname_len);
	ldns_rdf_deep_free(d);
	q.qtype = qtype;
	q.qclass = LDNS_RR_CLASS_IN;
	uint8_t out[1024];
	size_t n = special_answer(sp, &q, out, sizeof(out));
	ck_assert_uint_gt(n, 0);
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	ck_assert(ldns_pkt_aa(p));
	return p;
}

START_TEST(answers)
{
	struct special *sp = special_new();
	ldns_pkt *p = ask(sp, "www.localhost.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	p = ask(sp, "1.0.0.127.in-addr.arpa.", LDNS_RR_TYPE_PTR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	p = ask(sp, "5.1.168.192.in-addr.arpa.", LDNS_RR_TYPE_PTR);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	special_free(sp);
}
END_TEST

static Suite *special_suite(void)
{
	Suite *s = suite_create("special");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, zones);
	tcase_add_test(tc, answers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(special_suite());
}
