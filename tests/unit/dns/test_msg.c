/*
 * test_msg.c -- wire helpers: query intake, record walking, reply finishing.
 */
#include "check_main.h"
#include "check_pkt.h"
#include "dns/msg.h"

#include <check.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Build a query packet with ldns: the reference encoder for these tests. */
static size_t make_query(uint8_t *out, const char *name, ldns_rr_type t, bool edns, bool dnssec)
{
	ldns_pkt *p = check_pkt_query(name, t);
	ldns_pkt_set_id(p, 0x1234);
	if (edns) {
		ldns_pkt_set_edns_udp_size(p, 4096);
		ldns_pkt_set_edns_do(p, dnssec);
	}
	return check_pkt_wire(p, out);
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

/* RFC 8467 padding: a multiple of 128 bytes that still parses, and DO survives it. */
START_TEST(pad_query_to_block)
{
	uint8_t name[255], out[512];
	size_t nl;
	struct msg_query q;
	ck_assert_int_eq(msg_name_from_str("example.org.", name, &nl), 0);
	size_t len = msg_build_query(name, nl, 1, 1, 7, MSG_RD, true, 1232, out, sizeof(out));
	size_t padded = msg_pad_query(out, len, sizeof(out), 128);
	ck_assert_uint_eq(padded, 128);
	ck_assert_int_eq(msg_parse_query(out, padded, &q), MSG_PARSE_OK);
	ck_assert(q.do_bit);
	ck_assert_uint_eq(msg_get16(out + len - 2), 4 + 128 - len - 4); /* OPT rdlength */
	ck_assert_uint_eq(msg_get16(out + len), 12);                    /* option: padding */
	/* no OPT record, or no room: left as it is */
	len = msg_build_query(name, nl, 1, 1, 7, 0, false, 0, out, sizeof(out));
	ck_assert_uint_eq(msg_pad_query(out, len, sizeof(out), 128), len);
	len = msg_build_query(name, nl, 1, 1, 7, 0, false, 1232, out, sizeof(out));
	ck_assert_uint_eq(msg_pad_query(out, len, 100, 128), len);
}
END_TEST

START_TEST(build_query_parses)
{
	uint8_t name[255], out[512];
	size_t nl;
	struct msg_query q;
	ck_assert_int_eq(msg_name_from_str("example.org.", name, &nl), 0);
	size_t len = msg_build_query(name, nl, 16, 1, 77, MSG_RD, true, 1232, out, sizeof(out));
	ck_assert_int_eq(msg_parse_query(out, len, &q), MSG_PARSE_OK);
	ck_assert_uint_eq(q.id, 77);
	ck_assert_uint_eq(q.qtype, 16);
	ck_assert(q.do_bit);
	ck_assert_uint_eq(q.udp_size, 1232);
	ck_assert(q.flags & MSG_RD);
	ck_assert_uint_eq(msg_build_query(name, nl, 16, 1, 77, MSG_RD, true, 1232, out, 20), 0);
	/* To an authoritative server: RD clear; only RD and CD are taken from flags. */
	len = msg_build_query(name, nl, 1, 1, 78, MSG_CD | MSG_AA | MSG_QR, false, 1232, out,
			      sizeof(out));
	ck_assert_uint_eq(msg_get16(out + 2), MSG_CD);
	/* udp_size 0: no OPT at all (the retry to a server that answered FORMERR to EDNS). */
	len = msg_build_query(name, nl, 1, 1, 79, 0, true, 0, out, sizeof(out));
	ck_assert_uint_eq(len, MSG_HDR_LEN + nl + 4);
	ck_assert_uint_eq(msg_get16(out + 10), 0);
	ck_assert_int_eq(msg_parse_query(out, len, &q), MSG_PARSE_OK);
	ck_assert(!q.do_bit);
}
END_TEST

/* The query megdns sends for name/qtype (ID 0x4d2), as msg_build_query writes it. */
static size_t our_query(uint8_t *out, const char *name, uint16_t qtype)
{
	uint8_t lname[255];
	size_t nl;
	ck_assert_int_eq(msg_name_from_str(name, lname, &nl), 0);
	return msg_build_query(lname, nl, qtype, 1, 0x4d2, MSG_RD | MSG_CD, true, 1232, out, 512);
}

/* A reply to it made by ldns: rcode, the question as given, one A record when NOERROR. */
static size_t ldns_reply(uint8_t *out, const char *qname, ldns_rr_type t, uint16_t id,
			 ldns_pkt_rcode rcode)
{
	ldns_pkt *p = check_pkt_query(qname, t);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, rcode);
	if (rcode == LDNS_RCODE_NOERROR && t == LDNS_RR_TYPE_A) {
		char text[300];
		snprintf(text, sizeof(text), "%s 300 IN A 192.0.2.1", qname);
		check_pkt_push(p, LDNS_SECTION_ANSWER, (const char *const[]){text, NULL});
	}
	return check_pkt_wire(p, out);
}

START_TEST(reply_check_accepts_the_reply)
{
	uint8_t q[512], r[512];
	size_t ql = our_query(q, "www.example.org.", 1);
	size_t rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_ACCEPT);
	rl = ldns_reply(r, "WWW.Example.ORG.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_ACCEPT); /* case is free */
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_ACCEPT);
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_SERVFAIL);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_ERROR);
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_REFUSED);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_ERROR);
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	r[2] |= MSG_TC >> 8;
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_TRUNCATED);
}
END_TEST

START_TEST(reply_check_ignores_others)
{
	uint8_t q[512], r[512];
	size_t ql = our_query(q, "www.example.org.", 1), rl;
	/* Another ID, name, type; not a response; another opcode; no question. */
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d3, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	rl = ldns_reply(r, "evil.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	rl = ldns_reply(r, "www.example.or.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_AAAA, 0x4d2, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	r[2] &= 0x7f;
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	r[2] |= 0x80 | (2 << 3); /* opcode STATUS */
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	r[5] = 0; /* QDCOUNT 0 */
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	/* The class differs. */
	rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	r[MSG_HDR_LEN + 17 + 3] = 3;
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
}
END_TEST

START_TEST(reply_check_malformed)
{
	uint8_t q[512], r[512];
	size_t ql = our_query(q, "www.example.org.", 1);
	size_t rl = ldns_reply(r, "www.example.org.", LDNS_RR_TYPE_A, 0x4d2, LDNS_RCODE_NOERROR);
	/* Every strict prefix: a record cut short is never accepted (and never read past). */
	for (size_t n = 0; n < rl; n++)
		ck_assert_int_eq(msg_reply_check(q, ql, r, n), MSG_REPLY_IGNORE);
	/* An ANCOUNT promising more records than there are. */
	r[7] = 2;
	ck_assert_int_eq(msg_reply_check(q, ql, r, rl), MSG_REPLY_IGNORE);
	r[7] = 1;
	/* A compressed question name, even one that reads the same, is refused. */
	uint8_t c[512];
	memcpy(c, r, MSG_HDR_LEN);
	c[MSG_HDR_LEN] = 0xc0;
	c[MSG_HDR_LEN + 1] = 12;
	ck_assert_int_eq(msg_reply_check(q, ql, c, MSG_HDR_LEN + 6), MSG_REPLY_IGNORE);
	/* A broken query (never ours, but the function must not care) matches nothing. */
	ck_assert_int_eq(msg_reply_check(q, 11, r, rl), MSG_REPLY_IGNORE);
	ck_assert_int_eq(msg_reply_check(q, MSG_HDR_LEN + 3, r, rl), MSG_REPLY_IGNORE);
	uint8_t bad[64];
	memcpy(bad, q, sizeof(bad));
	bad[MSG_HDR_LEN] = 0x40; /* an obsolete label type */
	ck_assert_int_eq(msg_reply_check(bad, ql, r, rl), MSG_REPLY_IGNORE);
}
END_TEST

START_TEST(stream_frame)
{
	uint8_t b[2 + 40] = {0, 30};
	size_t len = 0;
	ck_assert_int_eq(msg_stream_frame(b, 0, &len), 0);
	ck_assert_int_eq(msg_stream_frame(b, 1, &len), 0);
	ck_assert_int_eq(msg_stream_frame(b, 2, &len), 0);
	ck_assert_int_eq(msg_stream_frame(b, 31, &len), 0);
	ck_assert_int_eq(msg_stream_frame(b, 32, &len), 1);
	ck_assert_uint_eq(len, 30);
	ck_assert_int_eq(msg_stream_frame(b, sizeof(b), &len), 1); /* more after it: not read */
	ck_assert_uint_eq(len, 30);
	b[1] = 0; /* an empty message, and one shorter than a header, are never replies */
	ck_assert_int_eq(msg_stream_frame(b, sizeof(b), &len), -EBADMSG);
	b[1] = MSG_HDR_LEN - 1;
	ck_assert_int_eq(msg_stream_frame(b, 2, &len), -EBADMSG);
	b[0] = 0xff;
	b[1] = 0xff;
	ck_assert_int_eq(msg_stream_frame(b, sizeof(b), &len), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_plain_query);
	tcase_add_test(tc, pad_query_to_block);
	tcase_add_test(tc, parse_edns_do);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, name_read_rejects_loops);
	tcase_add_test(tc, walk_records);
	tcase_add_test(tc, finish_patches_reply);
	tcase_add_test(tc, finish_adds_ede);
	tcase_add_test(tc, names);
	tcase_add_test(tc, build_query_parses);
	tcase_add_test(tc, reply_check_accepts_the_reply);
	tcase_add_test(tc, reply_check_ignores_others);
	tcase_add_test(tc, reply_check_malformed);
	tcase_add_test(tc, stream_frame);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
