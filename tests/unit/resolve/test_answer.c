/*
 * test_answer.c -- upstream replies made ready for the cache: OPT removed, TTLs clamped, the
 * cache lifetime (RFC 2308 for negative answers), flags, scrubbing and DNSSEC stripping.
 */
#include "resolve/answer.h"
#include "check_main.h"
#include "check_pkt.h"

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

static const struct answer_policy plain = {0, 86400};

/* Wire of a reply (flags AA and AD set, as an upstream may) with an OPT record when edns. */
static size_t make(uint8_t *out, const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rc,
		   const char **an, const char **ns, const char **ar, bool edns)
{
	ldns_pkt *p = check_pkt_query(qname, qtype);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_ad(p, true);
	ldns_pkt_set_rcode(p, rc);
	check_pkt_push(p, LDNS_SECTION_ANSWER, an);
	check_pkt_push(p, LDNS_SECTION_AUTHORITY, ns);
	check_pkt_push(p, LDNS_SECTION_ADDITIONAL, ar);
	if (edns)
		ldns_pkt_set_edns_udp_size(p, 1232);
	return check_pkt_wire(p, out);
}

static struct scrub_question question(const char *name, uint16_t type)
{
	static uint8_t lname[MSG_MAX_NAME];
	struct scrub_question q = {
	    .qtype = type, .qclass = 1, .zone = (const uint8_t *)"", .zone_len = 1};
	ck_assert_int_eq(msg_name_from_str(name, lname, &q.lname_len), 0);
	q.lname = lname;
	return q;
}

/* Every TTL offset of a is the TTL field of a record, in order, and the body walks cleanly. */
static void expect_offsets(const struct answer *a)
{
	struct msg_walk w;
	struct msg_rr rr;
	size_t i = 0;
	int r;
	ck_assert_int_eq(msg_walk_init(&w, a->body, a->len), 0);
	while ((r = msg_walk_next(&w, &rr)) > 0) {
		ck_assert_uint_lt(i, a->n_ttl);
		ck_assert_uint_eq(a->ttl_offs[i++], rr.ttl_off);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(w.pos, a->len);
	ck_assert_uint_eq(i, a->n_ttl);
}

static uint32_t ttl_at(const struct answer *a, size_t i)
{
	return msg_get32(a->body + a->ttl_offs[i]);
}

START_TEST(positive_lifetime_and_flags)
{
	uint8_t msg[2048];
	const char *an[] = {"www.example.test. 300 IN A 192.0.2.1",
			    "www.example.test. 100 IN A 192.0.2.2", NULL};
	size_t n = make(msg, "www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL,
			NULL, false);
	struct scrub_question q = question("www.example.test.", 1);
	struct answer *a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->len, n); /* nothing to scrub: the same bytes */
	ck_assert_uint_eq(a->ttl, 100);
	ck_assert_uint_eq(a->rcode, 0);
	ck_assert_uint_eq(a->dropped, 0);
	ck_assert_uint_eq(a->n_ttl, 2);
	expect_offsets(a);
	uint16_t flags = msg_get16(a->body + 2);
	ck_assert(!(flags & MSG_AA));
	ck_assert(!(flags & MSG_AD));
	ck_assert(flags & MSG_RA);
	ck_assert(flags & MSG_RD);
	ck_assert(memcmp(a->body + 12, msg + 12, n - 12) == 0);
	answer_free(a);
}
END_TEST

START_TEST(ttl_clamps)
{
	uint8_t msg[2048];
	const struct answer_policy pol = {10, 3600};
	const char *an[] = {"x.test. 1 IN A 192.0.2.1", "x.test. 86400 IN A 192.0.2.2", NULL};
	size_t n = make(msg, "x.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL, false);
	struct scrub_question q = question("x.test.", 1);
	struct answer *a = answer_prepare(&pol, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ttl_at(a, 0), 10);
	ck_assert_uint_eq(ttl_at(a, 1), 3600);
	ck_assert_uint_eq(a->ttl, 10);
	answer_free(a);
}
END_TEST

START_TEST(negative_rfc2308)
{
	uint8_t msg[2048];
	const char *soa600[] = {
	    "example.test. 600 IN SOA ns.example.test. h.example.test. 1 2 3 4 300", NULL};
	size_t n = make(msg, "nx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa600,
			NULL, false);
	struct scrub_question q = question("nx.example.test.", 1);
	struct answer *a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->rcode, MSG_NXDOMAIN);
	ck_assert_uint_eq(a->ttl, 300);       /* MINIMUM is smaller than the SOA's TTL */
	ck_assert_uint_eq(ttl_at(a, 0), 300); /* and becomes the SOA's TTL */
	answer_free(a);

	const char *soa120[] = {
	    "example.test. 120 IN SOA ns.example.test. h.example.test. 1 2 3 4 300", NULL};
	n = make(msg, "nx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, soa120, NULL,
		 false); /* NODATA */
	a = answer_prepare(&plain, &q, msg, n);
	ck_assert_uint_eq(a->rcode, MSG_NOERROR);
	ck_assert_uint_eq(a->ttl, 120);
	answer_free(a);

	const struct answer_policy pol = {200, 3600};
	a = answer_prepare(&pol, &q, msg, n);
	ck_assert_uint_eq(a->ttl, 200); /* clamped like any TTL */
	answer_free(a);

	n = make(msg, "nx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, NULL, NULL,
		 false);
	a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->ttl, 0); /* no SOA: not cached */
	answer_free(a);
}
END_TEST

START_TEST(negative_below_the_apex)
{
	/* The forward zone lab.corp.example. sits inside the zone corp.example.: the negative
	 * answer's SOA is corp.example.'s, and gives it its lifetime. */
	uint8_t msg[2048];
	const char *ns[] = {"corp.example. 600 IN SOA ns.corp.example. h.corp.example. 1 2 3 4 240",
			    "corp.example. 600 IN NS ns.corp.example.", NULL};
	size_t n = make(msg, "nx.lab.corp.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns,
			NULL, false);
	static uint8_t zone[MSG_MAX_NAME];
	struct scrub_question q = question("nx.lab.corp.example.", 1);
	ck_assert_int_eq(msg_name_from_str("lab.corp.example.", zone, &q.zone_len), 0);
	q.zone = zone;
	struct answer *a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->rcode, MSG_NXDOMAIN);
	ck_assert_uint_eq(a->dropped, 1); /* the NS of corp.example. */
	ck_assert_uint_eq(a->n_ttl, 1);
	ck_assert_uint_eq(ttl_at(a, 0), 240);
	ck_assert_uint_eq(a->ttl, 240); /* cached as RFC 2308 says */
	answer_free(a);
}
END_TEST

START_TEST(bounded_by_64k)
{
	/* A body past 64 KiB (only a join could make one) has TTL fields the cache cannot
	 * locate in 16 bits: unusable. Just under it is fine. */
	static uint8_t msg[80000];
	size_t n = check_pkt_big_txt(msg, "big.test.", 16, 2, 35000);
	ck_assert_uint_gt(n, MSG_MAX_UDP);
	ck_assert_ptr_null(answer_prepare(&plain, NULL, msg, n));
	n = check_pkt_big_txt(msg, "big.test.", 16, 2, 32000);
	ck_assert_uint_le(n, MSG_MAX_UDP);
	struct answer *a = answer_prepare(&plain, NULL, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->n_ttl, 2);
	expect_offsets(a);
	answer_free(a);
}
END_TEST

START_TEST(opt_removed)
{
	uint8_t msg[2048];
	const char *an[] = {"x.test. 300 IN A 192.0.2.1", NULL};
	size_t n = make(msg, "x.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL, true);
	ck_assert_uint_eq(msg_get16(msg + 10), 1);
	struct scrub_question q = question("x.test.", 1);
	struct answer *a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->len, n - 11);
	ck_assert_uint_eq(msg_get16(a->body + 10), 0);
	ck_assert_uint_eq(a->n_ttl, 1);
	expect_offsets(a);
	answer_free(a);

	/* Bytes after the last record are not kept. */
	n = make(msg, "x.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL, false);
	memcpy(msg + n, "junk", 4);
	a = answer_prepare(&plain, &q, msg, n + 4);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->len, n);
	answer_free(a);

	/* An OPT record followed by another one cannot be cut out: unusable. */
	n = make(msg, "x.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL, true);
	static const uint8_t tail[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 9};
	memcpy(msg + n, tail, sizeof(tail));
	msg_put16(msg + 10, 2);
	ck_assert_ptr_null(answer_prepare(&plain, &q, msg, n + sizeof(tail)));
	ck_assert_ptr_null(answer_prepare(&plain, &q, msg, 11));
	ck_assert_ptr_null(answer_prepare(&plain, &q, msg, n - 1));
}
END_TEST

START_TEST(too_many_records_not_cached)
{
	static uint8_t msg[65535];
	static char text[600][64];
	static const char *an[601];
	for (int i = 0; i < 600; i++) {
		snprintf(text[i], sizeof(text[i]), "x.test. 300 IN A 10.0.%d.%d", i / 256, i % 256);
		an[i] = text[i];
	}
	an[600] = NULL;
	size_t n = make(msg, "x.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL, false);
	struct scrub_question q = question("x.test.", 1);
	struct answer *a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->n_ttl, MSG_MAX_TTL_RR);
	ck_assert_uint_eq(a->ttl, 0);
	answer_free(a);
}
END_TEST

START_TEST(scrubbed_answer)
{
	uint8_t msg[2048];
	const char *an[] = {"www.bank.test. 300 IN A 6.6.6.6", "a.oob.test. 30 IN A 192.0.2.53",
			    NULL};
	const char *ns[] = {"bank.test. 5 IN NS ns.evil.test.", "oob.test. 300 IN NS ns.oob.test.",
			    NULL};
	const char *ar[] = {"ns.evil.test. 300 IN A 6.6.6.6", "ns.oob.test. 300 IN A 192.0.2.54",
			    NULL};
	size_t n = make(msg, "a.oob.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, ar, true);
	struct scrub_question q = question("a.oob.test.", 1);
	struct answer *a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->dropped, 3);
	ck_assert_uint_lt(a->len, n);
	ck_assert_uint_eq(msg_get16(a->body + 6), 1);
	ck_assert_uint_eq(msg_get16(a->body + 8), 1);
	ck_assert_uint_eq(msg_get16(a->body + 10), 1);
	ck_assert_uint_eq(a->n_ttl, 3);
	expect_offsets(a);
	ck_assert_uint_eq(a->ttl, 30); /* the dropped NS's TTL of 5 does not count */
	ck_assert(!(msg_get16(a->body + 2) & MSG_AA));
	ck_assert(memmem(a->body, a->len, "\4bank", 5) == NULL);
	ck_assert(memmem(a->body, a->len, "\6\6\6\6", 4) == NULL);
	answer_free(a);

	a = answer_prepare(&plain, NULL, msg, n); /* no question: ours, not scrubbed */
	ck_assert_uint_eq(a->dropped, 0);
	ck_assert_uint_eq(a->len, n - 11);
	ck_assert_uint_eq(a->ttl, 5);
	answer_free(a);
}
END_TEST

START_TEST(chain_out_of_bailiwick)
{
	uint8_t msg[2048];
	const char *an[] = {"alias.fz.test. 300 IN CNAME www.bank.test.",
			    "www.bank.test. 300 IN A 6.6.6.6", NULL};
	size_t n =
	    make(msg, "alias.fz.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL, false);
	struct scrub_question q = question("alias.fz.test.", 1);
	uint8_t zone[MSG_MAX_NAME];
	ck_assert_int_eq(msg_name_from_str("fz.test.", zone, &q.zone_len), 0);
	q.zone = zone;
	struct answer *a = answer_prepare(&plain, &q, msg, n);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->dropped, 1);
	ck_assert_uint_eq(msg_get16(a->body + 6), 1);
	ck_assert_uint_eq(a->target_len, 15);
	ck_assert(memcmp(a->target, "\3www\4bank\4test", 15) == 0);
	answer_free(a);
}
END_TEST

/*
 * A record whose rdata should hold names but is cut short (a CNAME with rdlength 0 aborted
 * megdns in ldns) or runs past them makes the whole reply unusable; whole ones pass.
 */
START_TEST(records_cut_short)
{
	static const struct {
		const char *rr;
		uint16_t rdlen; /* forced; 0: keep */
		bool ok;
	} cases[] = {
	    {"www.example.org. 60 IN CNAME a.example.org.", 0, true},
	    {"www.example.org. 60 IN CNAME a.example.org.", 1, false},
	    {"www.example.org. 60 IN MX 10 mx.example.org.", 2, false},
	    {"www.example.org. 60 IN NS ns.example.org.", 0, true},
	    {"www.example.org. 60 IN SOA ns.example.org. h.example.org. 1 2 3 4 5", 0, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[512];
		const char *an[] = {cases[i].rr, NULL};
		size_t n = make(buf, "www.example.org.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an,
				NULL, NULL, false);
		if (cases[i].rdlen) {
			/* The one record is last: shorten its rdata by cutting the message. */
			struct msg_walk w;
			struct msg_rr rr;
			ck_assert_int_eq(msg_walk_init(&w, buf, n), 0);
			ck_assert_int_eq(msg_walk_next(&w, &rr), 1);
			msg_put16(buf + rr.rdata - 2, cases[i].rdlen);
			n = rr.rdata + cases[i].rdlen;
		}
		struct scrub_question q = question("www.example.org.", 1);
		struct answer *a = answer_prepare(&plain, &q, buf, n);
		ck_assert_msg((a != NULL) == cases[i].ok, "case %zu", i);
		answer_free(a);
	}
}
END_TEST

START_TEST(strip_dnssec)
{
	uint8_t msg[2048];
	const char *an[] = {
	    "x.test. 300 IN A 192.0.2.1",
	    "x.test. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 test. AAAA", NULL};
	const char *ns[] = {"test. 300 IN NSEC z.test. A", NULL};
	size_t n = make(msg, "x.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL, false);
	struct answer *a = answer_prepare(&plain, NULL, msg, n);
	ck_assert_ptr_nonnull(a);
	struct answer *s = answer_strip(&plain, a, 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(msg_get16(s->body + 6), 1);
	ck_assert_uint_eq(msg_get16(s->body + 8), 0);
	ck_assert_uint_eq(s->n_ttl, 1);
	expect_offsets(s);
	answer_free(s);
	s = answer_strip(&plain, a, 46); /* asked for RRSIG: it stays */
	ck_assert_uint_eq(msg_get16(s->body + 6), 2);
	answer_free(s);
	answer_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, positive_lifetime_and_flags);
	tcase_add_test(tc, ttl_clamps);
	tcase_add_test(tc, negative_rfc2308);
	tcase_add_test(tc, negative_below_the_apex);
	tcase_add_test(tc, bounded_by_64k);
	tcase_add_test(tc, opt_removed);
	tcase_add_test(tc, too_many_records_not_cached);
	tcase_add_test(tc, scrubbed_answer);
	tcase_add_test(tc, chain_out_of_bailiwick);
	tcase_add_test(tc, strip_dnssec);
	tcase_add_test(tc, records_cut_short);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
