/*
 * test_scrub.c -- what the scrubber keeps of an upstream reply, and the message it writes.
 *
 * Replies are built from presentation-format records with ldns (which compresses owner names
 * and the names in RFC 1035 rdata, so a dropped record is often what a kept one points into),
 * or byte by byte (wb_*) where every name, SRV and DNAME targets included, is compressed.
 */
#include "check_main.h"
#include "check_pkt.h"
#include "resolve/scrub.h"

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_A   1
#define TYPE_NS  2
#define TYPE_MX  15
#define TYPE_TXT 16
#define TYPE_ANY 255

/* Wire of a reply to qname/qtype with these answer, authority and additional records. */
static size_t make(uint8_t *out, const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rc,
		   const char **an, const char **ns, const char **ar)
{
	ldns_pkt *p = check_pkt_query(qname, qtype);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rc);
	check_pkt_push(p, LDNS_SECTION_ANSWER, an);
	check_pkt_push(p, LDNS_SECTION_AUTHORITY, ns);
	check_pkt_push(p, LDNS_SECTION_ADDITIONAL, ar);
	return check_pkt_wire(p, out);
}

/* A question for name/type asked of upstreams with bailiwick zone (strings must live on). */
static struct scrub_question question(const char *name, uint16_t type, const char *zone)
{
	static uint8_t lname[4][MSG_MAX_NAME], lzone[4][MSG_MAX_NAME];
	static int slot;
	struct scrub_question q = {.qtype = type, .qclass = 1};
	slot = (slot + 1) % 4;
	ck_assert_int_eq(msg_name_from_str(name, lname[slot], &q.lname_len), 0);
	ck_assert_int_eq(msg_name_from_str(zone, lzone[slot], &q.zone_len), 0);
	q.lname = lname[slot];
	q.zone = lzone[slot];
	return q;
}

/* Scrub msg for q and parse what comes out; *plan gets the decision. */
static ldns_pkt *scrubbed(const uint8_t *msg, size_t len, const struct scrub_question *q,
			  struct scrub_plan *plan)
{
	ldns_pkt *p = NULL;
	ck_assert_int_eq(scrub_plan(msg, len, q, plan), 0);
	if (plan->n_drop == 0) {
		ck_assert_int_eq(ldns_wire2pkt(&p, msg, len), LDNS_STATUS_OK);
		return p;
	}
	uint8_t *out;
	size_t out_len;
	ck_assert_int_eq(scrub_apply(msg, len, plan, &out, &out_len), 0);
	ck_assert_uint_le(out_len, MSG_MAX_UDP);
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	ck_assert_int_eq(msg_walk_init(&w, out, out_len), 0);
	while ((r = msg_walk_next(&w, &rr)) > 0)
		;
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(w.pos, out_len);
	ck_assert_int_eq(ldns_wire2pkt(&p, out, out_len), LDNS_STATUS_OK);
	free(out);
	return p;
}

/* The section holds exactly these records, in this order. */
static void expect_section(const ldns_pkt *p, ldns_pkt_section sec, const char **want)
{
	ldns_rr_list *got = ldns_pkt_get_section_clone(p, sec);
	size_t n = 0;
	for (const char **w = want; w && *w; w++, n++) {
		ldns_rr *rr = NULL;
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, *w, 0, NULL, NULL), LDNS_STATUS_OK);
		ck_assert_msg(n < ldns_rr_list_rr_count(got), "missing in section %d: %s", sec, *w);
		char *s = ldns_rr2str(ldns_rr_list_rr(got, n));
		ck_assert_msg(ldns_rr_compare(rr, ldns_rr_list_rr(got, n)) == 0,
			      "section %d record %zu: want %s, got %s", sec, n, *w, s);
		free(s);
		ldns_rr_free(rr);
	}
	ck_assert_msg(ldns_rr_list_rr_count(got) == n, "section %d: %zu records, want %zu", sec,
		      ldns_rr_list_rr_count(got), n);
	ldns_rr_list_deep_free(got);
}

#define NONE ((const char *[]){NULL})

START_TEST(bank_test_example)
{
	uint8_t msg[2048];
	const char *an[] = {"a.oob.test. 300 IN A 192.0.2.53", "www.bank.test. 300 IN A 6.6.6.6",
			    NULL};
	const char *ns[] = {"oob.test. 300 IN NS ns.oob.test.",
			    "bank.test. 300 IN NS ns.evil.test.", NULL};
	const char *ar[] = {"ns.oob.test. 300 IN A 192.0.2.54", "ns.evil.test. 300 IN A 6.6.6.6",
			    NULL};
	size_t n = make(msg, "a.oob.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, ar);
	struct scrub_question q = question("a.oob.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	ck_assert_uint_eq(plan.n_rr, 6);
	ck_assert_uint_eq(plan.n_drop, 3);
	ck_assert_uint_eq(plan.target_len, 0);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an[0], NULL});
	expect_section(p, LDNS_SECTION_AUTHORITY, (const char *[]){ns[0], NULL});
	expect_section(p, LDNS_SECTION_ADDITIONAL, (const char *[]){ar[0], NULL});
	ck_assert(ldns_pkt_qr(p) && ldns_pkt_rd(p) && ldns_pkt_ra(p));
	ck_assert(!ldns_pkt_edns(p));
	ldns_pkt_free(p);
}
END_TEST

START_TEST(clean_reply_untouched)
{
	uint8_t msg[2048];
	const char *an[] = {"www.example.test. 300 IN A 192.0.2.1",
			    "www.example.test. 300 IN A 192.0.2.2", NULL};
	const char *ns[] = {"example.test. 300 IN NS ns1.example.test.", NULL};
	const char *ar[] = {"ns1.example.test. 300 IN AAAA 2001:db8::1", NULL};
	size_t n = make(msg, "www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, ar);
	struct scrub_question q = question("www.example.test.", TYPE_A, "example.test.");
	struct scrub_plan plan;
	ck_assert_int_eq(scrub_plan(msg, n, &q, &plan), 0);
	ck_assert_uint_eq(plan.n_rr, 4);
	ck_assert_uint_eq(plan.n_drop, 0); /* the fast path: the message is used as it came */
	ck_assert_uint_eq(plan.target_len, 0);
	ck_assert_int_eq(scrub_plan(msg, 11, &q, &plan), -EBADMSG);
	ck_assert_int_eq(scrub_plan(msg, n - 1, &q, &plan), -EBADMSG);
}
END_TEST

START_TEST(cname_chain)
{
	uint8_t msg[4096];
	const char *an[] = {
	    "a.test. 300 IN CNAME b.test.",
	    "a.test. 300 IN RRSIG CNAME 8 2 300 20300101000000 20200101000000 1 test. AAAA",
	    "a.test. 300 IN RRSIG A 8 2 300 20300101000000 20200101000000 1 test. AAAA",
	    "c.test. 300 IN A 192.0.2.3", /* out of order: still the chain's end */
	    "b.test. 300 IN CNAME c.test.",
	    "b.test. 300 IN A 6.6.6.6",     /* data beside a CNAME: not the answer */
	    "a.test. 300 IN CNAME x.test.", /* a second CNAME at a.test. */
	    "c.test. 300 IN AAAA 2001:db8::6",
	    "c.test. 300 IN RRSIG A 8 2 300 20300101000000 20200101000000 1 test. AAAA",
	    "c.test. 300 IN RRSIG AAAA 8 2 300 20300101000000 20200101000000 1 test. AAAA",
	    "d.test. 300 IN A 6.6.6.6",
	    NULL};
	size_t n = make(msg, "a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	struct scrub_question q = question("a.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	ck_assert_uint_eq(plan.n_drop, 6);
	expect_section(p, LDNS_SECTION_ANSWER,
		       (const char *[]){an[0], an[1], an[3], an[4], an[8], NULL});
	ldns_pkt_free(p);

	/* ANY: every type at every name of the chain, but still one CNAME per name. */
	n = make(msg, "a.test.", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR, an, NULL, NULL);
	q = question("a.test.", TYPE_ANY, ".");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(
	    p, LDNS_SECTION_ANSWER,
	    (const char *[]){an[0], an[1], an[2], an[3], an[4], an[5], an[7], an[8], an[9], NULL});
	ldns_pkt_free(p);

	/* Asking for the CNAME itself: it is the data, and not followed. */
	n = make(msg, "a.test.", LDNS_RR_TYPE_CNAME, LDNS_RCODE_NOERROR, an, NULL, NULL);
	q = question("a.test.", 5, ".");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an[0], an[1], an[6], NULL});
	ldns_pkt_free(p);
}
END_TEST

START_TEST(cname_loop_and_long_chain)
{
	uint8_t msg[8192];
	const char *an[] = {"a.test. 300 IN CNAME b.test.", "b.test. 300 IN CNAME a.test.",
			    "a.test. 300 IN A 6.6.6.6", NULL};
	size_t n = make(msg, "a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	struct scrub_question q = question("a.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an[0], an[1], NULL});
	ck_assert_uint_eq(plan.target_len, 0); /* a loop is not resolved further */
	ldns_pkt_free(p);

	/* 20 links: the first SCRUB_MAX_HOPS are kept, the rest (and the data) are not. */
	char text[21][64];
	const char *chain[22];
	for (int i = 0; i < 20; i++) {
		snprintf(text[i], sizeof(text[i]), "n%d.test. 300 IN CNAME n%d.test.", i, i + 1);
		chain[i] = text[i];
	}
	snprintf(text[20], sizeof(text[20]), "n20.test. 300 IN A 192.0.2.20");
	chain[20] = text[20];
	chain[21] = NULL;
	n = make(msg, "n0.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, chain, NULL, NULL);
	q = question("n0.test.", TYPE_A, ".");
	p = scrubbed(msg, n, &q, &plan);
	ck_assert_uint_eq(ldns_pkt_ancount(p), SCRUB_MAX_HOPS);
	ck_assert_uint_eq(plan.n_drop, 21 - SCRUB_MAX_HOPS);
	ck_assert_uint_eq(plan.target_len, 0); /* nor one longer than SCRUB_MAX_HOPS */
	ldns_pkt_free(p);
}
END_TEST

START_TEST(unfollowed_chain)
{
	uint8_t msg[2048];
	const char *an[] = {"a.test. 300 IN CNAME b.other.test.", NULL};
	const char *soa[] = {"other.test. 300 IN SOA ns.other.test. h.other.test. 1 2 3 4 300",
			     NULL};
	struct scrub_question q = question("a.test.", TYPE_A, ".");
	struct scrub_plan plan;
	size_t n = make(msg, "a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	ck_assert_int_eq(scrub_plan(msg, n, &q, &plan), 0);
	ck_assert_uint_eq(plan.n_drop, 0);
	ck_assert_uint_eq(plan.target_len, 14); /* the server did not follow it: resolve b.other */
	ck_assert(memcmp(plan.target, "\1b\5other\4test", 14) == 0);
	/* An SOA says b.other.test. has no A record: nothing to resolve. */
	n = make(msg, "a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, soa, NULL);
	ck_assert_int_eq(scrub_plan(msg, n, &q, &plan), 0);
	ck_assert_uint_eq(plan.target_len, 0);
	n = make(msg, "a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, an, NULL, NULL);
	ck_assert_int_eq(scrub_plan(msg, n, &q, &plan), 0);
	ck_assert_uint_eq(plan.target_len, 0);
	/* Asking for the CNAME, or ANY: the CNAME is the answer. */
	n = make(msg, "a.test.", LDNS_RR_TYPE_CNAME, LDNS_RCODE_NOERROR, an, NULL, NULL);
	q = question("a.test.", 5, ".");
	ck_assert_int_eq(scrub_plan(msg, n, &q, &plan), 0);
	ck_assert_uint_eq(plan.target_len, 0);
	n = make(msg, "a.test.", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR, an, NULL, NULL);
	q = question("a.test.", TYPE_ANY, ".");
	ck_assert_int_eq(scrub_plan(msg, n, &q, &plan), 0);
	ck_assert_uint_eq(plan.target_len, 0);
}
END_TEST

START_TEST(dname_chain)
{
	uint8_t msg[4096];
	const char *an[] = {
	    "dname.test. 300 IN DNAME target.test.",
	    "dname.test. 300 IN RRSIG DNAME 8 2 300 20300101000000 20200101000000 1 test. AAAA",
	    "www.dname.test. 300 IN CNAME evil.test.", /* not what the DNAME makes */
	    "www.dname.test. 300 IN CNAME www.target.test.",
	    "www.target.test. 300 IN A 192.0.2.1",
	    "www.target.test. 300 IN AAAA 2001:db8::1",
	    "evil.test. 300 IN A 6.6.6.6",
	    NULL};
	size_t n = make(msg, "www.dname.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	struct scrub_question q = question("www.dname.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an[0], an[1], an[3], an[4], NULL});
	ck_assert_uint_eq(plan.n_drop, 3);
	ldns_pkt_free(p);

	/* Without the synthesised CNAME (an old upstream): the DNAME still leads the way. */
	const char *an2[] = {"dname.test. 300 IN DNAME target.test.",
			     "www.target.test. 300 IN A 192.0.2.1", NULL};
	n = make(msg, "www.dname.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an2, NULL, NULL);
	p = scrubbed(msg, n, &q, &plan);
	ck_assert_uint_eq(plan.n_drop, 0);
	ldns_pkt_free(p);

	/* A DNAME at the question name itself does not apply to it. */
	const char *an3[] = {"dname.test. 300 IN DNAME target.test.",
			     "dname.test. 300 IN A 192.0.2.9", NULL};
	n = make(msg, "dname.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an3, NULL, NULL);
	q = question("dname.test.", TYPE_A, ".");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an3[1], NULL});
	ldns_pkt_free(p);
}
END_TEST

START_TEST(out_of_bailiwick)
{
	uint8_t msg[4096];
	const char *an[] = {"alias.fz.test. 300 IN CNAME www.bank.test.",
			    "www.bank.test. 300 IN A 6.6.6.6", NULL};
	const char *ns[] = {"test. 300 IN NS ns.evil.test.", "fz.test. 300 IN NS ns.fz.test.",
			    NULL};
	const char *ar[] = {"ns.fz.test. 300 IN A 192.0.2.54", "ns.evil.test. 300 IN A 6.6.6.6",
			    NULL};
	size_t n = make(msg, "alias.fz.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, ar);
	struct scrub_question q = question("alias.fz.test.", TYPE_A, "fz.test.");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	/* The CNAME is the fz.test. upstream's to say; what www.bank.test. is, is not. */
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an[0], NULL});
	expect_section(p, LDNS_SECTION_AUTHORITY, NONE);
	expect_section(p, LDNS_SECTION_ADDITIONAL, NONE);
	ck_assert_uint_eq(plan.target_len, 15);
	ck_assert(memcmp(plan.target, "\3www\4bank\4test", 15) == 0);
	ldns_pkt_free(p);

	/* The same reply from the global upstreams: the whole chain answers the question. */
	q = question("alias.fz.test.", TYPE_A, ".");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an);
	ck_assert_uint_eq(plan.target_len, 0);
	ldns_pkt_free(p);

	/* In the bailiwick, the zone's own NS and glue stay. */
	const char *an2[] = {"www.fz.test. 300 IN A 192.0.2.99", NULL};
	n = make(msg, "www.fz.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an2, ns, ar);
	q = question("www.fz.test.", TYPE_A, "fz.test.");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an2);
	expect_section(p, LDNS_SECTION_AUTHORITY, (const char *[]){ns[1], NULL});
	expect_section(p, LDNS_SECTION_ADDITIONAL, (const char *[]){ar[0], NULL});
	ldns_pkt_free(p);
}
END_TEST

/* The forward zones of the test below the bailiwick (what forward_elsewhere answers). */
static const char *const *holes;

static bool in_hole(const void *ud, const uint8_t *name, size_t len)
{
	(void)ud;
	for (const char *const *h = holes; h && *h; h++) {
		uint8_t z[MSG_MAX_NAME];
		size_t zlen;
		ck_assert_int_eq(msg_name_from_str(*h, z, &zlen), 0);
		if (msg_name_under(name, len, z, zlen))
			return true;
	}
	return false;
}

START_TEST(forward_zone_below_bailiwick)
{
	uint8_t msg[4096];
	const char *an[] = {"a.evil.test. 300 IN CNAME secret.corp.example.",
			    "secret.corp.example. 300 IN A 6.6.6.6", NULL};
	const char *ns[] = {"corp.example. 300 IN NS ns.evil.test.", NULL};
	size_t n = make(msg, "a.evil.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL);
	struct scrub_question q = question("a.evil.test.", TYPE_A, ".");
	struct scrub_plan plan;
	/* The premise: for the global upstream, without forward zones, all of it is in. */
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an);
	ck_assert_uint_eq(plan.target_len, 0);
	ldns_pkt_free(p);

	/* corp.example. is forwarded elsewhere: the chain leaves the bailiwick at its name. */
	holes = (const char *[]){"corp.example.", NULL};
	q.elsewhere = in_hole;
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an[0], NULL});
	expect_section(p, LDNS_SECTION_AUTHORITY, NONE);
	ck_assert_uint_eq(plan.n_drop, 2);
	ck_assert_uint_eq(plan.target_len, 21);
	ck_assert(memcmp(plan.target, "\6secret\4corp\7example", 21) == 0);
	ldns_pkt_free(p);

	/* A forward zone inside another: example.com.'s upstream on corp.example.com. names. */
	const char *an2[] = {"web.example.com. 300 IN CNAME x.corp.example.com.",
			     "x.corp.example.com. 300 IN A 6.6.6.6", NULL};
	const char *ns2[] = {"example.com. 300 IN NS ns.example.com.",
			     "example.com. 300 IN NS ns.corp.example.com.", NULL};
	const char *ar2[] = {"ns.example.com. 300 IN A 192.0.2.54",
			     "ns.corp.example.com. 300 IN A 6.6.6.6", NULL};
	n = make(msg, "web.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an2, ns2, ar2);
	q = question("web.example.com.", TYPE_A, "example.com.");
	holes = (const char *[]){"corp.example.com.", NULL};
	q.elsewhere = in_hole;
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an2[0], NULL});
	ck_assert_uint_eq(plan.target_len, 20);
	ck_assert(memcmp(plan.target, "\1x\4corp\7example\3com", 20) == 0);
	ldns_pkt_free(p);

	/* A name of the hole is not glue either, even for an NS record that is kept. */
	const char *an3[] = {"www.example.com. 300 IN A 192.0.2.1", NULL};
	n = make(msg, "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an3, ns2, ar2);
	q = question("www.example.com.", TYPE_A, "example.com.");
	q.elsewhere = in_hole;
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an3);
	expect_section(p, LDNS_SECTION_AUTHORITY, ns2);
	expect_section(p, LDNS_SECTION_ADDITIONAL, (const char *[]){ar2[0], NULL});
	ck_assert_uint_eq(plan.target_len, 0);
	ldns_pkt_free(p);

	/* A denial's NSEC may be owned by a name of the hole: it is its zone's neighbour. */
	const char *ns4[] = {
	    "secure.test. 300 IN SOA ns.test. h.secure.test. 1 2 3 4 300",
	    "www.lab.secure.test. 300 IN NSEC to-bogus.secure.test. A RRSIG NSEC",
	    "www.lab.secure.test. 300 IN RRSIG NSEC 13 4 300 20300101000000 20200101000000 1 "
	    "secure.test. AAAA",
	    "lab.secure.test. 300 IN NS ns.evil.test.", NULL};
	n = make(msg, "nx.secure.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns4, NULL);
	q = question("nx.secure.test.", TYPE_A, ".");
	holes = (const char *[]){"lab.secure.test.", NULL};
	q.elsewhere = in_hole;
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_AUTHORITY, (const char *[]){ns4[0], ns4[1], ns4[2], NULL});
	ldns_pkt_free(p);
	holes = NULL;
}
END_TEST

START_TEST(nxdomain_soa_nsec)
{
	uint8_t msg[4096];
	const char *ns[] = {
	    "example.test. 300 IN SOA ns.example.test. h.example.test. 1 2 3 4 300",
	    "example.test. 300 IN RRSIG SOA 13 2 300 20300101000000 20200101000000 1 "
	    "example.test. AAAA",
	    "bank.test. 300 IN SOA ns.evil.test. h.evil.test. 1 2 3 4 86400",
	    "mm.example.test. 300 IN NSEC x.example.test. A RRSIG NSEC",
	    "mm.example.test. 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 1 "
	    "example.test. AAAA",
	    "example.test. 300 IN NSEC a.example.test. SOA NS RRSIG NSEC DNSKEY",
	    "example.test. 300 IN RRSIG NSEC 13 2 300 20300101000000 20200101000000 1 "
	    "example.test. AAAA",
	    "www.bank.test. 300 IN NSEC zz.bank.test. A",
	    "www.bank.test. 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 1 "
	    "bank.test. AAAA",
	    "bank.test. 300 IN NS ns.evil.test.",
	    "example.test. 300 IN A 6.6.6.6",
	    NULL};
	size_t n =
	    make(msg, "nx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns, NULL);
	struct scrub_question q = question("nx.example.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	/* Everything the NXDOMAIN proof needs stays; what is about bank.test goes. */
	expect_section(p, LDNS_SECTION_AUTHORITY,
		       (const char *[]){ns[0], ns[1], ns[3], ns[4], ns[5], ns[6], NULL});
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);

	/* NSECs without an SOA or a signed answer naming their zone concern nothing. */
	const char *ns2[] = {ns[3], ns[4], NULL};
	n = make(msg, "nx.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns2, NULL);
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_AUTHORITY, NONE);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(negative_below_the_apex)
{
	uint8_t msg[4096];
	const char *ns[] = {
	    "corp.example. 300 IN SOA ns.corp.example. h.corp.example. 1 2 3 4 300",
	    "corp.example. 300 IN RRSIG SOA 13 2 300 20300101000000 20200101000000 1 "
	    "corp.example. AAAA",
	    "kab.corp.example. 300 IN NSEC mab.corp.example. A RRSIG NSEC",
	    "kab.corp.example. 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 1 "
	    "corp.example. AAAA",
	    "corp.example. 300 IN NSEC a.corp.example. SOA NS RRSIG NSEC DNSKEY",
	    "corp.example. 300 IN RRSIG NSEC 13 2 300 20300101000000 20200101000000 1 "
	    "corp.example. AAAA",
	    "lab.corp.example. 300 IN NSEC m.lab.corp.example. A RRSIG NSEC",
	    "corp.example. 300 IN NS ns.evil.test.", /* above the bailiwick: not its to say */
	    "corp.example. 300 IN DS 1 13 2 "
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "example. 300 IN NS ns.evil.test.",
	    "other.example. 300 IN SOA ns.evil.test. h.evil.test. 1 2 3 4 86400",
	    "zz.other.example. 300 IN NSEC zzz.other.example. A",
	    NULL};
	size_t n =
	    make(msg, "nx.lab.corp.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns, NULL);
	struct scrub_question q = question("nx.lab.corp.example.", TYPE_A, "lab.corp.example.");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	/* The forward zone lab.corp.example. is inside the zone corp.example.: its SOA, NSEC
	 * records and their RRSIGs are the negative answer. */
	expect_section(p, LDNS_SECTION_AUTHORITY,
		       (const char *[]){ns[0], ns[1], ns[2], ns[3], ns[4], ns[5], ns[6], NULL});
	ck_assert_uint_eq(plan.n_drop, 5);
	ck_assert_uint_eq(plan.target_len, 0);
	ldns_pkt_free(p);

	/* The same for NSEC3 (owners directly below the apex above the bailiwick). */
	const char *ns3[] = {
	    ns[0],
	    ns[1],
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.corp.example. 300 IN NSEC3 1 0 0 - "
	    "k8udemvp1j2f7eg6jebps17vp3n8i58i A RRSIG",
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.corp.example. 300 IN RRSIG NSEC3 13 3 300 "
	    "20300101000000 20200101000000 1 corp.example. AAAA",
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.example. 300 IN NSEC3 1 0 0 - "
	    "k8udemvp1j2f7eg6jebps17vp3n8i58i A RRSIG",
	    NULL};
	n = make(msg, "nx.lab.corp.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns3, NULL);
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_AUTHORITY,
		       (const char *[]){ns3[0], ns3[1], ns3[2], ns3[3], NULL});
	ldns_pkt_free(p);

	/* A chain that leaves the bailiwick brings no SOA from above it. */
	const char *an[] = {"a.lab.corp.example. 300 IN CNAME www.bank.test.", NULL};
	n = make(msg, "a.lab.corp.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, an, ns, NULL);
	q = question("a.lab.corp.example.", TYPE_A, "lab.corp.example.");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an);
	expect_section(p, LDNS_SECTION_AUTHORITY, NONE);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(wildcard_below_the_apex)
{
	/* A wildcard of corp.example. expanded inside the forward zone lab.corp.example.: the
	 * proof that no closer name exists is corp.example.'s, like the RRSIG's signer. */
	uint8_t msg[4096];
	const char *an[] = {"a.lab.corp.example. 300 IN A 192.0.2.5",
			    "a.lab.corp.example. 300 IN RRSIG A 13 3 300 20300101000000 "
			    "20200101000000 1 corp.example. AAAA",
			    NULL};
	const char *ns[] = {
	    "*.lab.corp.example. 300 IN NSEC z.lab.corp.example. A RRSIG NSEC",
	    "*.lab.corp.example. 300 IN RRSIG NSEC 13 4 300 20300101000000 20200101000000 1 "
	    "corp.example. AAAA",
	    "kab.corp.example. 300 IN NSEC mab.corp.example. A RRSIG NSEC", NULL};
	size_t n =
	    make(msg, "a.lab.corp.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL);
	struct scrub_question q = question("a.lab.corp.example.", TYPE_A, "lab.corp.example.");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an);
	expect_section(p, LDNS_SECTION_AUTHORITY, ns);
	ck_assert_uint_eq(plan.n_drop, 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(nsec3_nodata)
{
	uint8_t msg[4096];
	const char *ns[] = {
	    "n3.test. 300 IN SOA ns.n3.test. h.n3.test. 1 2 3 4 300",
	    "n3.test. 300 IN RRSIG SOA 8 2 300 20300101000000 20200101000000 1 n3.test. AAAA",
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.n3.test. 300 IN NSEC3 1 0 0 - "
	    "k8udemvp1j2f7eg6jebps17vp3n8i58i A RRSIG",
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.n3.test. 300 IN RRSIG NSEC3 8 3 300 "
	    "20300101000000 20200101000000 1 n3.test. AAAA",
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.sub.n3.test. 300 IN NSEC3 1 0 0 - "
	    "k8udemvp1j2f7eg6jebps17vp3n8i58i A RRSIG",
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.other.test. 300 IN NSEC3 1 0 0 - "
	    "k8udemvp1j2f7eg6jebps17vp3n8i58i A RRSIG",
	    "k8udemvp1j2f7eg6jebps17vp3n8i58h.other.test. 300 IN RRSIG NSEC3 8 3 300 "
	    "20300101000000 20200101000000 1 other.test. AAAA",
	    NULL};
	size_t n = make(msg, "www.n3.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, NULL, ns, NULL);
	struct scrub_question q = question("www.n3.test.", TYPE_TXT, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_AUTHORITY,
		       (const char *[]){ns[0], ns[1], ns[2], ns[3], NULL});
	ck_assert_uint_eq(plan.n_drop, 3);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(wildcard_answer_keeps_its_proof)
{
	uint8_t msg[4096];
	const char *an[] = {
	    "a.wild.test. 300 IN A 192.0.2.5",
	    "a.wild.test. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 wild.test. AAAA",
	    NULL};
	const char *ns[] = {
	    "wild.test. 300 IN NSEC z.wild.test. A NS SOA RRSIG NSEC",
	    "wild.test. 300 IN RRSIG NSEC 13 2 300 20300101000000 20200101000000 1 wild.test. AAAA",
	    "b.other.test. 300 IN NSEC c.other.test. A", NULL};
	size_t n = make(msg, "a.wild.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL);
	struct scrub_question q = question("a.wild.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an);
	expect_section(p, LDNS_SECTION_AUTHORITY, (const char *[]){ns[0], ns[1], NULL});
	ldns_pkt_free(p);
}
END_TEST

START_TEST(referral_looking_reply)
{
	uint8_t msg[4096];
	const char *ns[] = {"oob.test. 300 IN NS ns1.oob.test.",
			    "oob.test. 300 IN NS ns2.elsewhere.test.",
			    "sub.a.oob.test. 300 IN NS ns.sub.a.oob.test.",
			    "bank.test. 300 IN NS ns1.oob.test.", NULL};
	const char *ar[] = {
	    "ns1.oob.test. 300 IN A 192.0.2.1", "ns2.elsewhere.test. 300 IN AAAA 2001:db8::2",
	    "ns.sub.a.oob.test. 300 IN A 6.6.6.6", "www.bank.test. 300 IN A 6.6.6.6", NULL};
	size_t n = make(msg, "a.oob.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, ns, ar);
	struct scrub_question q = question("a.oob.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, NONE);
	expect_section(p, LDNS_SECTION_AUTHORITY, (const char *[]){ns[0], ns[1], NULL});
	expect_section(p, LDNS_SECTION_ADDITIONAL, (const char *[]){ar[0], ar[1], NULL});
	ldns_pkt_free(p);

	/* From a forward zone's upstream, the NS of a zone above its own is not its to give. */
	q = question("a.oob.test.", TYPE_A, "a.oob.test.");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_AUTHORITY, NONE);
	expect_section(p, LDNS_SECTION_ADDITIONAL, NONE);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(glue_only_for_mentioned_names)
{
	uint8_t msg[4096];
	const char *an[] = {"example.test. 300 IN MX 10 mail.example.test.",
			    "example.test. 300 IN MX 20 mx.other.test.", NULL};
	const char *ar[] = {
	    "mail.example.test. 300 IN A 192.0.2.25",
	    "mail.example.test. 300 IN RRSIG A 13 3 300 20300101000000 20200101000000 1 "
	    "example.test. AAAA",
	    "mx.other.test. 300 IN AAAA 2001:db8::25",
	    "www.example.test. 300 IN A 6.6.6.6",
	    "mail.example.test. 300 IN TXT \"not an address\"",
	    "mail.example.test. 3 CH A 6.6.6.6",
	    NULL};
	size_t n = make(msg, "example.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, an, NULL, ar);
	struct scrub_question q = question("example.test.", TYPE_MX, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, an);
	expect_section(p, LDNS_SECTION_ADDITIONAL, (const char *[]){ar[0], ar[1], ar[2], NULL});
	ldns_pkt_free(p);

	/* Glue for an NS record the scrubber dropped is dropped with it. */
	const char *an2[] = {"www.example.test. 300 IN A 192.0.2.80", NULL};
	const char *ns2[] = {"elsewhere.test. 300 IN NS mail.example.test.", NULL};
	n = make(msg, "www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an2, ns2, ar);
	q = question("www.example.test.", TYPE_A, ".");
	p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_AUTHORITY, NONE);
	expect_section(p, LDNS_SECTION_ADDITIONAL, NONE);
	ldns_pkt_free(p);
}
END_TEST

/* ---- a message written byte by byte, every name compressed ---- */

struct wb {
	uint8_t buf[2048];
	size_t len;
	char names[64][256];
	uint16_t offs[64];
	int n;
};

static void wb_u16(struct wb *w, uint16_t v)
{
	msg_put16(w->buf + w->len, v);
	w->len += 2;
}

static void wb_name(struct wb *w, const char *name)
{
	while (*name) {
		for (int i = 0; i < w->n; i++) {
			if (!strcmp(w->names[i], name)) {
				wb_u16(w, (uint16_t)(0xc000 | w->offs[i]));
				return;
			}
		}
		snprintf(w->names[w->n], sizeof(w->names[0]), "%s", name);
		w->offs[w->n++] = (uint16_t)w->len;
		const char *dot = strchr(name, '.');
		w->buf[w->len++] = (uint8_t)(dot - name);
		memcpy(w->buf + w->len, name, (size_t)(dot - name));
		w->len += (size_t)(dot - name);
		name = dot + 1;
	}
	w->buf[w->len++] = 0;
}

/* Start a record; returns where its RDLENGTH goes (give it to wb_end). */
static size_t wb_rr(struct wb *w, const char *owner, uint16_t type)
{
	wb_name(w, owner);
	wb_u16(w, type);
	wb_u16(w, 1);
	msg_put32(w->buf + w->len, 300);
	w->len += 4;
	wb_u16(w, 0);
	return w->len - 2;
}

static void wb_end(struct wb *w, size_t at)
{
	msg_put16(w->buf + at, (uint16_t)(w->len - at - 2));
}

/* A record whose rdata is `pre` bytes of zeros, a name, then `post` bytes of zeros. */
static void wb_named(struct wb *w, const char *owner, uint16_t type, size_t pre, const char *name,
		     size_t post)
{
	size_t at = wb_rr(w, owner, type);
	memset(w->buf + w->len, 0, pre);
	w->len += pre;
	if (name)
		wb_name(w, name);
	memset(w->buf + w->len, 0, post);
	w->len += post;
	wb_end(w, at);
}

static char *rdf_str(const ldns_rr *rr, size_t i)
{
	return ldns_rdf2str(ldns_rr_rdf(rr, i));
}

START_TEST(compression_intact_after_drop)
{
	struct wb w = {.len = 12};
	msg_put16(w.buf, 0x1234);
	msg_put16(w.buf + 2, 0x8180);
	msg_put16(w.buf + 4, 1);
	wb_name(&w, "a.oob.test.");
	wb_u16(&w, TYPE_ANY);
	wb_u16(&w, 1);
	/* The first record is dropped; every later name points into it. */
	size_t at = wb_rr(&w, "www.bank.test.", TYPE_A);
	memcpy(w.buf + w.len, "\6\6\6\6", 4);
	w.len += 4;
	wb_end(&w, at);
	wb_named(&w, "a.oob.test.", TYPE_NS, 0, "ns.bank.test.", 0);
	wb_named(&w, "a.oob.test.", TYPE_MX, 2, "mx.bank.test.", 0);
	at = wb_rr(&w, "a.oob.test.", 6); /* SOA */
	wb_name(&w, "m.bank.test.");
	wb_name(&w, "h.bank.test.");
	memset(w.buf + w.len, 0, 20);
	w.len += 20;
	wb_end(&w, at);
	wb_named(&w, "a.oob.test.", 12, 0, "p.bank.test.", 0); /* PTR */
	wb_named(&w, "a.oob.test.", 33, 6, "s.bank.test.", 0); /* SRV */
	wb_named(&w, "a.oob.test.", 39, 0, "d.bank.test.", 0); /* DNAME */
	wb_named(&w, "a.oob.test.", 5, 0, "c.bank.test.", 0);  /* CNAME */
	at = wb_rr(&w, "c.bank.test.", TYPE_A);
	memcpy(w.buf + w.len, "\300\0\2\7", 4);
	w.len += 4;
	wb_end(&w, at);
	msg_put16(w.buf + 6, 9);

	struct scrub_question q = question("a.oob.test.", TYPE_ANY, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(w.buf, w.len, &q, &plan);
	ck_assert_uint_eq(plan.n_drop, 1);
	ck_assert_uint_eq(ldns_pkt_id(p), 0x1234);
	ldns_rr_list *an = ldns_pkt_answer(p);
	ck_assert_uint_eq(ldns_rr_list_rr_count(an), 8);
	const char *want[][2] = {
	    {"ns.bank.test.", NULL}, {"mx.bank.test.", NULL}, {"m.bank.test.", "h.bank.test."},
	    {"p.bank.test.", NULL},  {"s.bank.test.", NULL},  {"d.bank.test.", NULL},
	    {"c.bank.test.", NULL}};
	size_t field[] = {0, 1, 0, 0, 3, 0, 0};
	for (size_t i = 0; i < 7; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr));
		ck_assert_str_eq(owner, "a.oob.test.");
		free(owner);
		for (size_t k = 0; k < 2 && want[i][k]; k++) {
			char *s = rdf_str(rr, field[i] + k);
			ck_assert_str_eq(s, want[i][k]);
			free(s);
		}
	}
	char *owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(an, 7)));
	ck_assert_str_eq(owner, "c.bank.test.");
	free(owner);
	char *addr = rdf_str(ldns_rr_list_rr(an, 7), 0);
	ck_assert_str_eq(addr, "192.0.2.7");
	free(addr);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(other_class_and_bad_rdata)
{
	uint8_t msg[2048];
	const char *an[] = {"a.test. 300 IN A 192.0.2.1", "a.test. 300 CH A 6.6.6.6", NULL};
	size_t n = make(msg, "a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	struct scrub_question q = question("a.test.", TYPE_A, ".");
	struct scrub_plan plan;
	ldns_pkt *p = scrubbed(msg, n, &q, &plan);
	expect_section(p, LDNS_SECTION_ANSWER, (const char *[]){an[0], NULL});
	ldns_pkt_free(p);

	/* A kept record ldns cannot read (an A record of 3 bytes): the message is unusable. */
	const char *an2[] = {"b.test. 300 IN A 6.6.6.6", "a.test. 300 IN A 192.0.2.1", NULL};
	n = make(msg, "a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an2, NULL, NULL);
	msg[n - 5] = 3; /* rdlength of the last record */
	n--;
	ck_assert_int_eq(scrub_plan(msg, n, &q, &plan), 0);
	ck_assert_uint_eq(plan.n_drop, 1);
	uint8_t *out = (uint8_t *)"x";
	size_t out_len = 7;
	ck_assert_int_eq(scrub_apply(msg, n, &plan, &out, &out_len), -EBADMSG);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(out_len, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scrub");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, bank_test_example);
	tcase_add_test(tc, clean_reply_untouched);
	tcase_add_test(tc, cname_chain);
	tcase_add_test(tc, cname_loop_and_long_chain);
	tcase_add_test(tc, unfollowed_chain);
	tcase_add_test(tc, dname_chain);
	tcase_add_test(tc, out_of_bailiwick);
	tcase_add_test(tc, forward_zone_below_bailiwick);
	tcase_add_test(tc, nxdomain_soa_nsec);
	tcase_add_test(tc, negative_below_the_apex);
	tcase_add_test(tc, wildcard_below_the_apex);
	tcase_add_test(tc, nsec3_nodata);
	tcase_add_test(tc, wildcard_answer_keeps_its_proof);
	tcase_add_test(tc, referral_looking_reply);
	tcase_add_test(tc, glue_only_for_mentioned_names);
	tcase_add_test(tc, compression_intact_after_drop);
	tcase_add_test(tc, other_class_and_bad_rdata);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
