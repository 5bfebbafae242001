/*
 * test_msg.c -- wire helpers: query intake, record walking, reply finishing.
 */
#include "msg.h"

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

/* Build a query packet with ldns: the reference encoder for these tests. */
static size_t make_query(uint8_t *out, const char *name, ldns_rr_type t, bool edns, bool dnssec)
{
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, t, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0x1234);
	if (edns) {
		ldns_pkt_set_edns_udp_size(p, 4096);
		ldns_pkt_set_edns_do(p, dnssec);
	}
	uint8_t *wire;
	size_t len;
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

START_TEST(parse_plain_query)
{
	uint8_t pkt[512];
	struct msg_query q;
	size_t n = make_query(pkt, "NaS.Home.ARPA.", LDNS_RR_TYPE_AAAA, false, false);
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_OK);
	ck_assert_uint_eq(q.id, 0x1234);
	ck_assert_uint_eq(q.qtype, 28);
	ck_assert_uint_eq(q.qclass, 1);
	ck_assert_uint_eq(q.qname_len, 15);
	ck_assert(memcmp(q.qname, "\3NaS\4Home\4ARPA", 15) == 0);
	ck_assert(memcmp(q.lname, "\3nas\4home\4arpa", 15) == 0);
	ck_assert(!q.edns);
	ck_assert_uint_eq(q.udp_size, 512);
}
END_TEST

START_TEST(parse_edns_do)
{
	uint8_t pkt[512];
	struct msg_query q;
	size_t n = make_query(pkt, "example.org.", LDNS_RR_TYPE_A, true, true);
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_OK);
	ck_assert(q.edns);
	ck_assert(q.do_bit);
	ck_assert_uint_eq(q.udp_size, 4096);
}
END_TEST

START_TEST(parse_rejects)
{
	uint8_t pkt[512];
	struct msg_query q;
	size_t n = make_query(pkt, "example.org.", LDNS_RR_TYPE_A, true, false);
	ck_assert_int_eq(msg_parse_query(pkt, 5, &q), MSG_PARSE_DROP);
	ck_assert_int_eq(msg_parse_query(pkt, n - 1, &q), MSG_PARSE_FORMERR); /* cut OPT */
	pkt[2] |= 0x80;                                                       /* a response */
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_DROP);
	pkt[2] &= 0x7f;
	pkt[2] |= 5 << 3; /* opcode UPDATE */
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_NOTIMP);
	pkt[2] &= (uint8_t) ~(0xf << 3);
	pkt[5] = 2; /* QDCOUNT 2 */
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_FORMERR);
	pkt[5] = 1;
	pkt[n - 11 + 6] = 1; /* EDNS version 1: OPT TTL byte 2 */
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_BADVERS);
}
END_TEST

START_TEST(name_read_rejects_loops)
{
	/* A pointer to itself and a forward pointer must both fail. */
	uint8_t self[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 12};
	uint8_t fwd[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0};
	size_t pos = 12;
	ck_assert_int_lt(msg_name_read(self, sizeof(self), &pos, NULL, NULL), 0);
	pos = 12;
	ck_assert_int_lt(msg_name_read(fwd, sizeof(fwd), &pos, NULL, NULL), 0);
	/* Into the header (here the ID, which differs for every client): not a name. */
	uint8_t hdr[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 1};
	uint8_t out[MSG_MAX_NAME];
	size_t len;
	pos = 14;
	ck_assert_int_lt(msg_name_read(hdr, sizeof(hdr), &pos, out, &len), 0);
	/* To a name that runs on past the pointer itself: not a prior name. */
	uint8_t on[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0xc0, 13, 0};
	pos = 14;
	ck_assert_int_lt(msg_name_read(on, sizeof(on), &pos, out, &len), 0);
	/* To a name before it: fine. */
	uint8_t ok[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 1, 'b', 0xc0, 12};
	pos = 15;
	ck_assert_int_eq(msg_name_read(ok, sizeof(ok), &pos, out, &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(out, "\1b\1a", 5) == 0);
	ck_assert_uint_eq(pos, sizeof(ok));
}
END_TEST

START_TEST(walk_records)
{
	ldns_pkt *p = NULL;
	ldns_rr *rr;
	ck_assert_int_eq(
	    ldns_pkt_query_new_frm_str(&p, "a.example.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0),
	    LDNS_STATUS_OK);
	ldns_rr_new_frm_str(&rr, "a.example. 300 IN CNAME b.example.", 0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	ldns_rr_new_frm_str(&rr, "b.example. 60 IN A 192.0.2.1", 0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	uint8_t *wire;
	size_t len;
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	struct msg_walk w;
	struct msg_rr r;
	ck_assert_int_eq(msg_walk_init(&w, wire, len), 0);
	ck_assert_int_eq(msg_walk_next(&w, &r), 1);
	ck_assert_uint_eq(r.type, 5);
	ck_assert_uint_eq(r.ttl, 300);
	ck_assert_int_eq(msg_walk_next(&w, &r), 1);
	ck_assert_uint_eq(r.type, 1);
	ck_assert_uint_eq(r.ttl, 60);
	ck_assert_uint_eq(msg_get32(wire + r.ttl_off), 60);
	ck_assert_int_eq(msg_walk_next(&w, &r), 0);
	ck_assert_int_lt(msg_walk_init(&w, wire, 20), 0);
	free(wire);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(finish_patches_reply)
{
	uint8_t pkt[512], body[512], out[1024];
	struct msg_query q;
	size_t n = make_query(pkt, "WWW.example.", LDNS_RR_TYPE_A, true, true);
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_OK);
	size_t bl = msg_error_body(&q, MSG_NOERROR, body, sizeof(body));
	/* Append one A record with TTL 100, owner compressed to the question. */
	uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 100, 0, 4, 192, 0, 2, 1};
	memcpy(body + bl, rr, sizeof(rr));
	uint16_t ttl_off = (uint16_t)(bl + 6);
	bl += sizeof(rr);
	msg_put16(body + 6, 1);
	body[MSG_HDR_LEN + 1] = 'w'; /* stored lower case */
	struct msg_finish_args a = {.q = &q,
				    .ttl_offs = &ttl_off,
				    .n_ttl = 1,
				    .elapsed = 30,
				    .ede = -1,
				    .max_size = 4096,
				    .server_udp = 1232};
	size_t len = msg_finish(body, bl, &a, out, sizeof(out));
	ck_assert_uint_eq(len, bl + 11);
	ck_assert_uint_eq(msg_get16(out), 0x1234);
	ck_assert_uint_eq(msg_get32(out + ttl_off), 70);
	ck_assert(memcmp(out + MSG_HDR_LEN, "\3WWW", 4) == 0);
	ck_assert_uint_eq(msg_get16(out + 10), 1); /* OPT added */
	ck_assert_uint_eq(msg_get16(out + len - 11 + 3), 1232);
	/* Too big for the client: TC, no records, OPT kept. */
	a.max_size = (uint16_t)(bl + 5);
	len = msg_finish(body, bl, &a, out, sizeof(out));
	ck_assert(msg_get16(out + 2) & MSG_TC);
	ck_assert_uint_eq(msg_get16(out + 6), 0);
	ck_assert_uint_eq(len, MSG_HDR_LEN + q.qname_len + 4u + 11u);
}
END_TEST

START_TEST(finish_adds_ede)
{
	uint8_t pkt[512], body[512], out[1024];
	struct msg_query q;
	size_t n = make_query(pkt, "x.example.", LDNS_RR_TYPE_A, true, false);
	ck_assert_int_eq(msg_parse_query(pkt, n, &q), MSG_PARSE_OK);
	size_t bl = msg_error_body(&q, MSG_REFUSED, body, sizeof(body));
	struct msg_finish_args a = {
	    .q = &q, .ede = 18, .ede_text = "no view", .max_size = 512, .server_udp = 1232};
	size_t len = msg_finish(body, bl, &a, out, sizeof(out));
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, len), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_rdf *opt = ldns_pkt_edns_data(p);
	ck_assert_ptr_nonnull(opt);
	const uint8_t *d = ldns_rdf_data(opt);
	ck_assert_uint_eq(msg_get16(d), 15);
	ck_assert_uint_eq(msg_get16(d + 2), 2 + 7);
	ck_assert_uint_eq(msg_get16(d + 4), 18);
	ck_assert(memcmp(d + 6, "no view", 7) == 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(names)
{
	uint8_t n[255], z[255];
	size_t nl, zl;
	ck_assert_int_eq(msg_name_from_str("A.Corp.Example.", n, &nl), 0);
	ck_assert_int_eq(msg_name_from_str("corp.example", z, &zl), 0);
	ck_assert(msg_name_under(n, nl, z, zl));
	ck_assert(!msg_name_under(z, zl, n, nl));
	ck_assert_int_eq(msg_name_from_str("xcorp.example.", n, &nl), 0);
	ck_assert(!msg_name_under(n, nl, z, zl));
	ck_assert_int_eq(msg_name_from_str(".", z, &zl), 0);
	ck_assert(msg_name_under(n, nl, z, zl));
	ck_assert_int_lt(msg_name_from_str("a..b", n, &nl), 0);
}
END_TEST

START_TEST(build_query_parses)
{
	uint8_t name[255], out[512];
	size_t nl;
	struct msg_query q;
	ck_assert_int_eq(msg_name_from_str("example.org.", name, &nl), 0);
	size_t len = msg_build_query(name, nl, 16, 1, 77, true, false, 1232, out, sizeof(out));
	ck_assert_int_eq(msg_parse_query(out, len, &q), MSG_PARSE_OK);
	ck_assert_uint_eq(q.id, 77);
	ck_assert_uint_eq(q.qtype, 16);
	ck_assert(q.do_bit);
	ck_assert_uint_eq(q.udp_size, 1232);
	ck_assert_uint_eq(msg_build_query(name, nl, 16, 1, 77, true, false, 1232, out, 20), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_plain_query);
	tcase_add_test(tc, parse_edns_do);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, name_read_rejects_loops);
	tcase_add_test(tc, walk_records);
	tcase_add_test(tc, finish_patches_reply);
	tcase_add_test(tc, finish_adds_ede);
	tcase_add_test(tc, names);
	tcase_add_test(tc, build_query_parses);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
