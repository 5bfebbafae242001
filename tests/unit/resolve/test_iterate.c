/*
 * test_iterate.c -- classifying authoritative replies (iterate.h), with ldns-built messages.
 *
 * One table of cases: the server's zone, the question, the reply's flags, rcode and
 * sections, and the kind it must be. Referral cases also check the child zone, the NS names
 * and which glue was kept: only addresses of NS names inside the server's zone.
 */
#include "check_main.h"
#include "check_pkt.h"
#include "resolve/iterate.h"

#include <check.h>
#include <string.h>

#define MAXR 8

struct iterate_case {
	const char *name;
	const char *zone; /* the server's */
	const char *qname;
	ldns_rr_type qtype;
	bool aa;
	ldns_pkt_rcode rcode;
	const char *answer[MAXR], *authority[MAXR], *additional[MAXR];
	enum iterate_kind want;
	const char *child; /* REFERRAL: the delegated zone */
	size_t n_ns;       /* ... its NS names */
	size_t glue[4];    /* ... and how many addresses each kept */
	bool has_ds;
};

static const struct iterate_case cases[] = {
    {"answer",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     true,
     LDNS_RCODE_NOERROR,
     {"www.example. 300 IN A 192.0.2.1"},
     {},
     {},
     ITERATE_ANSWER},
    {"answer in another case",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     true,
     LDNS_RCODE_NOERROR,
     {"WWW.Example. 300 IN A 192.0.2.1"},
     {},
     {},
     ITERATE_ANSWER},
    {"cname starts the chain",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     true,
     LDNS_RCODE_NOERROR,
     {"www.example. 300 IN CNAME web.other."},
     {},
     {},
     ITERATE_ANSWER},
    {"dname above the name",
     "example.",
     "a.b.example.",
     LDNS_RR_TYPE_A,
     true,
     LDNS_RCODE_NOERROR,
     {"b.example. 300 IN DNAME c.example."},
     {},
     {},
     ITERATE_ANSWER},
    {"answer without AA is a cache's",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {"www.example. 300 IN A 192.0.2.1"},
     {},
     {},
     ITERATE_LAME},
    {"nxdomain",
     "example.",
     "nx.example.",
     LDNS_RR_TYPE_A,
     true,
     LDNS_RCODE_NXDOMAIN,
     {},
     {"example. 300 IN SOA ns.example. h.example. 1 2 3 4 300"},
     {},
     ITERATE_NXDOMAIN},
    {"nxdomain without AA",
     "example.",
     "nx.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NXDOMAIN,
     {},
     {},
     {},
     ITERATE_LAME},
    {"nodata",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_AAAA,
     true,
     LDNS_RCODE_NOERROR,
     {},
     {"example. 300 IN SOA ns.example. h.example. 1 2 3 4 300"},
     {},
     ITERATE_NODATA},
    {"records for another name are no answer",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     true,
     LDNS_RCODE_NOERROR,
     {"mail.example. 300 IN A 192.0.2.9"},
     {},
     {},
     ITERATE_NODATA},
    {"referral with glue",
     ".",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {"example. 172800 IN NS a.ns.example.", "example. 86400 IN NS b.ns.example.",
      "example. 86400 IN DS 12345 13 2 "
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
     {"a.ns.example. 172800 IN A 127.0.0.20", "a.ns.example. 172800 IN AAAA ::1",
      "b.ns.example. 172800 IN A 127.0.0.21"},
     ITERATE_REFERRAL,
     "example.",
     2,
     {2, 1},
     true},
    {"glue outside the server's zone is dropped",
     "example.",
     "www.sub.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {"sub.example. 3600 IN NS ns.sub.example.", "sub.example. 3600 IN NS ns.other.test."},
     {"ns.sub.example. 3600 IN A 127.0.0.30", "ns.other.test. 3600 IN A 203.0.113.6"},
     ITERATE_REFERRAL,
     "sub.example.",
     2,
     {1, 0}},
    {"glue for a name that is no NS of it is dropped",
     "example.",
     "www.sub.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {"sub.example. 3600 IN NS ns.sub.example."},
     {"www.sub.example. 3600 IN A 203.0.113.7"},
     ITERATE_REFERRAL,
     "sub.example.",
     1,
     {0}},
    {"referral to the zone itself",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {"example. 3600 IN NS ns.example."},
     {},
     ITERATE_LAME},
    {"referral up",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {". 3600 IN NS a.root-servers.net."},
     {},
     ITERATE_LAME},
    {"referral sideways",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {"other. 3600 IN NS ns.other."},
     {},
     ITERATE_LAME},
    {"referral away from the name",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {"sub.example. 3600 IN NS ns.sub.example."},
     {},
     ITERATE_LAME},
    {"no AA, nothing at all",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_NOERROR,
     {},
     {},
     {},
     ITERATE_LAME},
    {"refused",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_REFUSED,
     {},
     {},
     {},
     ITERATE_LAME},
    {"servfail",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     true,
     LDNS_RCODE_SERVFAIL,
     {},
     {},
     {},
     ITERATE_LAME},
    {"formerr",
     "example.",
     "www.example.",
     LDNS_RR_TYPE_A,
     false,
     LDNS_RCODE_FORMERR,
     {},
     {},
     {},
     ITERATE_FORMERR},
};

START_TEST(classify)
{
	const struct iterate_case *c = &cases[_i];
	ldns_pkt *p = check_pkt_query(c->qname, c->qtype);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rd(p, false);
	ldns_pkt_set_aa(p, c->aa);
	ldns_pkt_set_rcode(p, (uint8_t)c->rcode);
	check_pkt_push(p, LDNS_SECTION_ANSWER, c->answer);
	check_pkt_push(p, LDNS_SECTION_AUTHORITY, c->authority);
	check_pkt_push(p, LDNS_SECTION_ADDITIONAL, c->additional);
	uint8_t wire[4096], qname[MSG_MAX_NAME], zone[MSG_MAX_NAME];
	size_t len = check_pkt_wire(p, wire), qlen, zlen;
	ck_assert_int_eq(msg_name_from_str(c->qname, qname, &qlen), 0);
	ck_assert_int_eq(msg_name_from_str(c->zone, zone, &zlen), 0);
	struct iterate_referral ref;
	enum iterate_kind k = iterate_classify(wire, len, qname, qlen, c->qtype, zone, zlen, &ref);
	ck_assert_msg(k == c->want, "%s: %s, want %s", c->name, iterate_kind_name(k),
		      iterate_kind_name(c->want));
	if (k != ITERATE_REFERRAL)
		return;
	char child[MSG_MAX_NAME * 4 + 1];
	ck_assert_str_eq(msg_name_to_str(ref.zone, ref.zone_len, child, sizeof(child)), c->child);
	ck_assert_msg(ref.n_ns == c->n_ns, "%s: %zu NS", c->name, ref.n_ns);
	for (size_t i = 0; i < ref.n_ns; i++)
		ck_assert_msg(ref.ns[i].n_addrs == c->glue[i], "%s: NS %zu has %zu glue", c->name,
			      i, ref.ns[i].n_addrs);
	ck_assert_int_eq(ref.has_ds, c->has_ds);
}
END_TEST

/* Glue is the address given, port 53; the NS TTL the smallest of the set. */
START_TEST(referral_details)
{
	ldns_pkt *p = check_pkt_query("www.example.", LDNS_RR_TYPE_A);
	ldns_pkt_set_qr(p, true);
	static const char *const ns[] = {"example. 172800 IN NS a.ns.example.",
					 "example. 3600 IN NS a.ns.example.", NULL};
	static const char *const glue[] = {"a.ns.example. 172800 IN AAAA 2001:db8::53", NULL};
	check_pkt_push(p, LDNS_SECTION_AUTHORITY, ns);
	check_pkt_push(p, LDNS_SECTION_ADDITIONAL, glue);
	uint8_t wire[1024];
	size_t len = check_pkt_wire(p, wire);
	struct iterate_referral ref;
	ck_assert_int_eq(iterate_classify(wire, len, (const uint8_t *)"\3www\7example", 13, 1,
					  (const uint8_t *)"", 1, &ref),
			 ITERATE_REFERRAL);
	ck_assert_uint_eq(ref.n_ns, 1); /* the same name twice is one NS */
	ck_assert_uint_eq(ref.ttl, 3600);
	char buf[ADDR_STRLEN];
	ck_assert_str_eq(addr_format(&ref.ns[0].addrs[0], buf, sizeof(buf)), "2001:db8::53@53");
}
END_TEST

/*
 * The DS of a signed referral answers (child, DS): the DS records and their RRSIG (signer
 * name written out, the referral's compression undone), nothing else of the referral.
 */
START_TEST(ds_from_referral)
{
	ldns_pkt *p = check_pkt_query("www.example.", LDNS_RR_TYPE_A);
	ldns_pkt_set_qr(p, true);
	static const char *const auth[] = {
	    "example. 172800 IN NS a.ns.example.",
	    "example. 86400 IN DS 12345 13 2 "
	    "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE4B6A7D1A5D7A7F7F7A7D7A7D",
	    "example. 3600 IN RRSIG DS 13 1 86400 20300101000000 20200101000000 4321 . "
	    "ZmFrZXNpZ25hdHVyZQ==",
	    "other. 3600 IN DS 1 13 2 "
	    "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE4B6A7D1A5D7A7F7F7A7D7A7D",
	    NULL};
	static const char *const glue[] = {"a.ns.example. 172800 IN A 192.0.2.53", NULL};
	check_pkt_push(p, LDNS_SECTION_AUTHORITY, auth);
	check_pkt_push(p, LDNS_SECTION_ADDITIONAL, glue);
	uint8_t wire[2048], body[2048];
	size_t len = check_pkt_wire(p, wire), n;
	struct iterate_referral ref;
	ck_assert_int_eq(iterate_classify(wire, len, (const uint8_t *)"\3www\7example", 13, 1,
					  (const uint8_t *)"", 1, &ref),
			 ITERATE_REFERRAL);
	ck_assert(ref.has_ds);
	uint16_t offs[8];
	uint32_t ttl = 0;
	size_t blen = iterate_ds_answer(wire, len, &ref, body, sizeof(body), offs, 8, &n, &ttl);
	ck_assert_uint_gt(blen, 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ttl, 3600);
	ck_assert_uint_eq(msg_get32(body + offs[0]), 86400);
	ldns_pkt *a = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&a, body, blen), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(a), 0)),
			 LDNS_RR_TYPE_DS);
	ck_assert_uint_eq(ldns_pkt_ancount(a), 2);
	ck_assert_uint_eq(ldns_pkt_nscount(a) + ldns_pkt_arcount(a), 0);
	ldns_rr *sig = ldns_rr_list_rr(ldns_pkt_answer(a), 1);
	ck_assert_int_eq(ldns_rr_get_type(sig), LDNS_RR_TYPE_RRSIG);
	char *signer = ldns_rdf2str(ldns_rr_rrsig_signame(sig));
	ck_assert_str_eq(signer, ".");
	free(signer);
	ldns_pkt_free(a);
	/* No DS in the referral: nothing. */
	ref.has_ds = false;
	ck_assert_uint_eq(iterate_ds_answer(wire, len, &ref, body, sizeof(body), offs, 8, &n, &ttl),
			  0);
}
END_TEST

/* Bytes that are no message are lame, whatever they claim. */
START_TEST(garbage)
{
	static const uint8_t short_msg[] = {0x12, 0x34, 0x84, 0x00};
	static const uint8_t cut[] = {0x12, 0x34, 0x80, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 3, 'w'};
	ck_assert_int_eq(iterate_classify(short_msg, sizeof(short_msg), (const uint8_t *)"", 1, 1,
					  (const uint8_t *)"", 1, NULL),
			 ITERATE_LAME);
	struct iterate_referral ref;
	ck_assert_int_eq(iterate_classify(cut, sizeof(cut), (const uint8_t *)"", 1, 1,
					  (const uint8_t *)"", 1, &ref),
			 ITERATE_LAME);
}
END_TEST

static Suite *iterate_suite(void)
{
	Suite *s = suite_create("iterate");
	TCase *tc = tcase_create("classify");
	tcase_add_loop_test(tc, classify, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, referral_details);
	tcase_add_test(tc, ds_from_referral);
	tcase_add_test(tc, garbage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(iterate_suite());
}
