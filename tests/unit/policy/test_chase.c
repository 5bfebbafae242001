/*
 * test_chase.c -- spotting a dangling local CNAME and joining it with the resolved answer.
 */
#include "policy/chase.h"
#include "check_main.h"
#include "check_pkt.h"

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

/* Wire of a response to name/type with the given answer and authority records. */
static size_t make(uint8_t *out, const char *name, ldns_rr_type t, ldns_pkt_rcode rc,
		   const char **an, const char **ns)
{
	ldns_pkt *p = check_pkt_query(name, t);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, rc);
	check_pkt_push(p, LDNS_SECTION_ANSWER, an);
	check_pkt_push(p, LDNS_SECTION_AUTHORITY, ns);
	return check_pkt_wire(p, out);
}

static struct msg_query query(const char *name, uint16_t type)
{
	struct msg_query q = {.qtype = type, .qclass = 1};
	size_t len;
	ck_assert_int_eq(msg_name_from_str(name, q.lname, &len), 0);
	memcpy(q.qname, q.lname, len);
	q.qname_len = (uint8_t)len;
	return q;
}

START_TEST(target_found)
{
	uint8_t body[512], target[255];
	size_t tl;
	const char *an[] = {"git.home.arpa. 300 IN CNAME Code.Example.ORG.", NULL};
	size_t n = make(body, "git.home.arpa.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct msg_query q = query("git.home.arpa.", 1);
	ck_assert(chase_target(body, n, &q, target, &tl));
	ck_assert_uint_eq(tl, 18);
	ck_assert(memcmp(target, "\4code\7example\3org", 18) == 0);
	q.qtype = 5; /* asking for the CNAME itself: nothing to chase */
	ck_assert(!chase_target(body, n, &q, target, &tl));
}
END_TEST

START_TEST(target_not_needed)
{
	uint8_t body[512], target[255];
	size_t tl;
	const char *an[] = {"a.home.arpa. 300 IN CNAME nas.home.arpa.",
			    "nas.home.arpa. 300 IN A 192.168.1.10", NULL};
	size_t n = make(body, "a.home.arpa.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct msg_query q = query("a.home.arpa.", 1);
	ck_assert(!chase_target(body, n, &q, target, &tl)); /* chain complete locally */
	const char *an2[] = {"b.home.arpa. 300 IN CNAME gone.home.arpa.", NULL};
	n = make(body, "b.home.arpa.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, an2, NULL);
	q = query("b.home.arpa.", 1);
	ck_assert(!chase_target(body, n, &q, target, &tl)); /* target missing in our zone */
}
END_TEST

START_TEST(splice_positive)
{
	uint8_t local[512], resolved[512], out[1024];
	const char *lan[] = {"git.home.arpa. 300 IN CNAME code.example.org.", NULL};
	const char *ran[] = {"code.example.org. 60 IN A 192.0.2.7", NULL};
	size_t ln = make(local, "git.home.arpa.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, lan, NULL);
	size_t rn =
	    make(resolved, "code.example.org.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, ran, NULL);
	/* The A record's TTL sits 10 bytes before the end: 4 rdata + 2 rdlen + 4 TTL. */
	uint16_t off = (uint16_t)(rn - 10);
	size_t n = chase_splice(local, ln, resolved, rn, &off, 1, 15, out, sizeof(out));
	ck_assert_uint_gt(n, 0);
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 2);
	ck_assert(!ldns_pkt_aa(p));
	ldns_rr *a = ldns_rr_list_rr(ldns_pkt_answer(p), 1);
	ck_assert_int_eq(ldns_rr_get_type(a), LDNS_RR_TYPE_A);
	ck_assert_uint_eq(ldns_rr_ttl(a), 45);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(splice_negative_keeps_soa)
{
	uint8_t local[512], resolved[512], out[1024];
	const char *lan[] = {"git.home.arpa. 300 IN CNAME nope.example.org.", NULL};
	const char *rns[] = {"example.org. 300 IN SOA ns.example.org. h.example.org. 1 2 3 4 60",
			     NULL};
	size_t ln = make(local, "git.home.arpa.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, lan, NULL);
	size_t rn =
	    make(resolved, "nope.example.org.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, rns);
	size_t n = chase_splice(local, ln, resolved, rn, NULL, 0, 0, out, sizeof(out));
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	ck_assert_uint_eq(chase_splice(local, ln, resolved, 5, NULL, 0, 0, out, sizeof(out)), 0);
	ck_assert_uint_eq(chase_splice(local, ln, resolved, rn, NULL, 0, 0, out, 20), 0);
}
END_TEST

START_TEST(splice_bounded_by_64k)
{
	/* Two parts that fit a message each but not together: the join is refused, whatever room
	 * the caller has (the cache keeps TTL offsets in 16 bits). */
	static uint8_t local[40000], resolved[40000], out[200000];
	size_t ln = check_pkt_big_txt(local, "a.test.", 16, 1, 35000);
	size_t rn = check_pkt_big_txt(resolved, "b.test.", 16, 1, 35000);
	ck_assert_uint_eq(chase_splice(local, ln, resolved, rn, NULL, 0, 0, out, sizeof(out)), 0);
	rn = check_pkt_big_txt(resolved, "b.test.", 16, 1, 30000);
	size_t n = chase_splice(local, ln, resolved, rn, NULL, 0, 0, out, sizeof(out));
	ck_assert_uint_gt(n, 60000);
	ck_assert_uint_le(n, MSG_MAX_UDP);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("chase");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, target_found);
	tcase_add_test(tc, target_not_needed);
	tcase_add_test(tc, splice_positive);
	tcase_add_test(tc, splice_negative_keeps_soa);
	tcase_add_test(tc, splice_bounded_by_64k);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
