/*
 * test_localdata.c -- zone loading (what a zone's records must satisfy, errors with positions)
 * and the answers local data gives: exact, NODATA, NXDOMAIN, empty non-terminals, wildcards,
 * CNAME chains, transparent records, nested zones, truncation. Replies are decoded with ldns
 * and checked field by field. Reading the files themselves ($ORIGIN, $TTL, $INCLUDE, syntax
 * and file errors) is test_zonefile.c's.
 */
#include "check_main.h"
#include "policy/localdata.h"

#include <check.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define ZONES    MEGDNS_TEST_DATA "/zones/"
#define EXAMPLES MEGDNS_TEST_DATA "/../../../zones/"

static struct msg_query make_query(const char *name, uint16_t qtype, uint16_t qclass)
{
	struct msg_query q;
	memset(&q, 0, sizeof(q));
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ck_assert_ptr_nonnull(d);
	q.qname_len = (uint8_t)ldns_rdf_size(d);
	memcpy(q.qname, ldns_rdf_data(d), q.qname_len);
	for (size_t i = 0; i < q.qname_len; i++)
		q.lname[i] =
		    (q.qname[i] >= 'A' && q.qname[i] <= 'Z') ? q.qname[i] + 32 : q.qname[i];
	ldns_rdf_deep_free(d);
	q.id = 0x1234;
	q.flags = MSG_RD;
	q.qtype = qtype;
	q.qclass = qclass;
	q.udp_size = 512;
	return q;
}

static struct localdata *load(const char *path)
{
	char err[512] = "";
	struct localdata *ld = localdata_new();
	int rc = localdata_add_zone(ld, path, err, sizeof(err));
	ck_assert_msg(rc == 0, "loading %s: %d %s", path, rc, err);
	return ld;
}

/* Ask and decode; the reply must exist and be well-formed with the fixed header bits. */
static ldns_pkt *ask(const struct localdata *ld, const char *name, uint16_t qtype)
{
	struct msg_query q = make_query(name, qtype, LDNS_RR_CLASS_IN);
	uint8_t out[4096];
	size_t n = localdata_answer(ld, &q, out, sizeof(out));
	ck_assert_msg(n > 0, "%s/%u not answered", name, qtype);
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_id(p), 0x1234);
	ck_assert(ldns_pkt_qr(p));
	ck_assert(ldns_pkt_aa(p));
	ck_assert(ldns_pkt_ra(p));
	ck_assert(ldns_pkt_rd(p));
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_int_eq(ldns_pkt_qdcount(p), 1);
	ck_assert_int_eq(ldns_pkt_arcount(p), 0);
	return p;
}

static void not_covered(const struct localdata *ld, const char *name, uint16_t qtype)
{
	struct msg_query q = make_query(name, qtype, LDNS_RR_CLASS_IN);
	uint8_t out[512];
	ck_assert_msg(localdata_answer(ld, &q, out, sizeof(out)) == 0, "%s/%u answered", name,
		      qtype);
}

/* rr i of the section must be exactly `text` (owner case-insensitive, TTL included). */
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

static void expect_soa(const ldns_pkt *p, const char *apex, uint32_t ttl)
{
	ck_assert_int_eq(ldns_pkt_nscount(p), 1);
	ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
	ck_assert_int_eq(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	ck_assert_uint_eq(ldns_rr_ttl(soa), ttl);
	char *owner = ldns_rdf2str(ldns_rr_owner(soa));
	ck_assert_str_eq(owner, apex);
	free(owner);
}

static void expect_error(const char *path, int want_rc, const char *want_msg)
{
	char err[512] = "";
	struct localdata *ld = localdata_new();
	int rc = localdata_add_zone(ld, path, err, sizeof(err));
	ck_assert_int_eq(rc, want_rc);
	ck_assert_msg(strncmp(err, want_msg, strlen(want_msg)) == 0, "got '%s' want '%s...'", err,
		      want_msg);
	ck_assert(localdata_empty(ld));
	localdata_free(ld);
}

START_TEST(load_ok)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	ck_assert(!localdata_empty(ld));
	localdata_free(ld);
	ld = localdata_new();
	ck_assert(localdata_empty(ld));
	localdata_free(ld);
	localdata_free(NULL);
}
END_TEST

START_TEST(answer_a)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	ldns_pkt *p = ask(ld, "www.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	ck_assert_int_eq(ldns_pkt_nscount(p), 0);
	expect_rr(ldns_pkt_answer(p), 0, "www.example.test. 600 IN A 192.0.2.10");
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(answer_aaaa)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	/* The AAAA line has no TTL of its own: $TTL applies, not the A record's 600. */
	ldns_pkt *p = ask(ld, "www.example.test.", LDNS_RR_TYPE_AAAA);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	expect_rr(ldns_pkt_answer(p), 0, "www.example.test. 300 IN AAAA 2001:db8::10");
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(answer_any)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	ldns_pkt *p = ask(ld, "www.example.test.", LDNS_RR_TYPE_ANY);
	ck_assert_int_eq(ldns_pkt_ancount(p), 2);
	expect_rr(ldns_pkt_answer(p), 0, "www.example.test. 600 IN A 192.0.2.10");
	expect_rr(ldns_pkt_answer(p), 1, "www.example.test. 300 IN AAAA 2001:db8::10");
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(nodata)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	ldns_pkt *p = ask(ld, "www.example.test.", LDNS_RR_TYPE_MX);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 0);
	expect_soa(p, "example.test.", 60); /* min(SOA TTL 300, minimum 60) */
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(nxdomain)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	ldns_pkt *p = ask(ld, "nope.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(ldns_pkt_ancount(p), 0);
	expect_soa(p, "example.test.", 60);
	ldns_pkt_free(p);
	/* Below an existing name that has no wildcard: still NXDOMAIN. */
	p = ask(ld, "x.www.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(empty_non_terminal)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	const char *names[] = {"b.ent.example.test.", "ent.example.test."};
	for (size_t i = 0; i < 2; i++) {
		ldns_pkt *p = ask(ld, names[i], LDNS_RR_TYPE_A);
		ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		ck_assert_int_eq(ldns_pkt_ancount(p), 0);
		expect_soa(p, "example.test.", 60);
		ldns_pkt_free(p);
	}
	ldns_pkt *p = ask(ld, "a.b.ent.example.test.", LDNS_RR_TYPE_TXT);
	expect_rr(ldns_pkt_answer(p), 0, "a.b.ent.example.test. 300 IN TXT \"deep\"");
	ldns_pkt_free(p);
	p = ask(ld, "c.b.ent.example.test.", LDNS_RR_TYPE_TXT);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(wildcard)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	ldns_pkt *p = ask(ld, "foo.wild.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	expect_rr(ldns_pkt_answer(p), 0, "foo.wild.example.test. 300 IN A 192.0.2.99");
	ldns_pkt_free(p);
	/* Several labels below the closest encloser match too (RFC 4592). */
	p = ask(ld, "a.b.wild.example.test.", LDNS_RR_TYPE_TXT);
	expect_rr(ldns_pkt_answer(p), 0, "a.b.wild.example.test. 300 IN TXT \"wildcard\"");
	ldns_pkt_free(p);
	p = ask(ld, "foo.wild.example.test.", LDNS_RR_TYPE_MX);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 0);
	expect_soa(p, "example.test.", 60);
	ldns_pkt_free(p);
	/* The wildcard's parent exists as an empty non-terminal, it is not covered by it. */
	p = ask(ld, "wild.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(cname_chain)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	ldns_pkt *p = ask(ld, "alias.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 3);
	expect_rr(ldns_pkt_answer(p), 0, "alias.example.test. 300 IN CNAME c2.example.test.");
	expect_rr(ldns_pkt_answer(p), 1, "c2.example.test. 300 IN CNAME www.example.test.");
	expect_rr(ldns_pkt_answer(p), 2, "www.example.test. 600 IN A 192.0.2.10");
	ldns_pkt_free(p);
	/* Asking for the CNAME itself does not follow it. */
	p = ask(ld, "alias.example.test.", LDNS_RR_TYPE_CNAME);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* The end of the chain has no MX: NODATA with the chain kept. */
	p = ask(ld, "alias.example.test.", LDNS_RR_TYPE_MX);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 2);
	expect_soa(p, "example.test.", 60);
	ldns_pkt_free(p);
	/* A loop stops when a name comes back. */
	p = ask(ld, "loop1.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);
	/* A target outside local data ends the answer with the CNAME. */
	p = ask(ld, "away.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	ck_assert_int_eq(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(question_case_kept)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	struct msg_query q = make_query("wWw.ExAmPlE.tEsT.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	q.flags = 0;
	q.id = 0xBEEF;
	uint8_t out[512];
	size_t n = localdata_answer(ld, &q, out, sizeof(out));
	ck_assert_uint_gt(n, MSG_HDR_LEN + q.qname_len);
	ck_assert(memcmp(out + MSG_HDR_LEN, q.qname, q.qname_len) == 0);
	ck_assert(memcmp(out + MSG_HDR_LEN + 1, "wWw", 3) == 0);
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_id(p), 0xBEEF);
	ck_assert(!ldns_pkt_rd(p));
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	expect_rr(ldns_pkt_answer(p), 0, "www.example.test. 600 IN A 192.0.2.10");
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(include)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	struct {
		const char *name, *rr;
	} want[] = {
	    {"extra.example.test.", "extra.example.test. 300 IN A 192.0.2.30"},
	    {"host.sub.example.test.", "host.sub.example.test. 300 IN A 192.0.2.40"},
	    {"thing.other.example.test.", "thing.other.example.test. 300 IN A 192.0.2.50"},
	    {"after.example.test.", "after.example.test. 300 IN A 192.0.2.20"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ldns_pkt *p = ask(ld, want[i].name, LDNS_RR_TYPE_A);
		ck_assert_int_eq(ldns_pkt_ancount(p), 1);
		expect_rr(ldns_pkt_answer(p), 0, want[i].rr);
		ldns_pkt_free(p);
	}
	/* The include's origin did not leak: "after" is not under sub or other. */
	ldns_pkt *p = ask(ld, "after.other.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(records_transparent)
{
	char err[256];
	struct localdata *ld = localdata_new();
	ck_assert_int_eq(
	    localdata_add_record(ld, "nas.home.arpa. 300 IN A 10.100.0.20", err, sizeof(err)), 0);
	ck_assert_int_eq(localdata_add_record(ld, "files.home.arpa. 60 IN CNAME nas.home.arpa.",
					      err, sizeof(err)),
			 0);
	ck_assert(!localdata_empty(ld));
	ldns_pkt *p = ask(ld, "NAS.home.arpa.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	expect_rr(ldns_pkt_answer(p), 0, "nas.home.arpa. 300 IN A 10.100.0.20");
	ldns_pkt_free(p);
	not_covered(ld, "nas.home.arpa.", LDNS_RR_TYPE_AAAA);
	not_covered(ld, "x.nas.home.arpa.", LDNS_RR_TYPE_A);
	not_covered(ld, "home.arpa.", LDNS_RR_TYPE_A);
	/* A CNAME record answers every type, and is followed through local data. */
	p = ask(ld, "files.home.arpa.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_ancount(p), 2);
	expect_rr(ldns_pkt_answer(p), 0, "files.home.arpa. 60 IN CNAME nas.home.arpa.");
	expect_rr(ldns_pkt_answer(p), 1, "nas.home.arpa. 300 IN A 10.100.0.20");
	ldns_pkt_free(p);
	p = ask(ld, "files.home.arpa.", LDNS_RR_TYPE_TXT);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	ck_assert_int_eq(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(records_errors)
{
	char err[256] = "";
	struct localdata *ld = localdata_new();
	ck_assert_int_eq(localdata_add_record(ld, "nas 300 IN A 10.0.0.1", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "names must be absolute (end in a dot)");
	ck_assert_int_eq(localdata_add_record(ld, "a.test. 300 IN CNAME b", err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(localdata_add_record(ld, "nas.test. 300 IN A 10.0.0", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, ldns_get_errorstr_by_id(LDNS_STATUS_SYNTAX_RDATA_ERR));
	ck_assert_int_eq(localdata_add_record(ld, "v.test. 0 CH TXT \"x\"", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "class must be IN");
	ck_assert_int_eq(localdata_add_record(ld, "c.test. IN CNAME d.test.", err, sizeof(err)), 0);
	ck_assert_int_eq(localdata_add_record(ld, "c.test. IN A 10.0.0.1", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "c.test. has a CNAME and other data");
	ck_assert(!localdata_empty(ld));
	localdata_free(ld);
}
END_TEST

START_TEST(records_before_zone)
{
	char err[256];
	struct localdata *ld = load(ZONES "example.test.zone");
	ck_assert_int_eq(
	    localdata_add_record(ld, "www.example.test. 30 IN A 203.0.113.5", err, sizeof(err)), 0);
	ldns_pkt *p = ask(ld, "www.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_ancount(p), 1);
	expect_rr(ldns_pkt_answer(p), 0, "www.example.test. 30 IN A 203.0.113.5");
	ldns_pkt_free(p);
	p = ask(ld, "www.example.test.", LDNS_RR_TYPE_AAAA);
	expect_rr(ldns_pkt_answer(p), 0, "www.example.test. 300 IN AAAA 2001:db8::10");
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

struct overlaps {
	char seen[4][300];
	size_t n;
};

static void overlap_cb(void *ud, const char *name, const char *type, const char *apex)
{
	struct overlaps *o = ud;
	ck_assert_uint_lt(o->n, 4);
	snprintf(o->seen[o->n++], sizeof(o->seen[0]), "%s %s in %s", name, type, apex);
}

START_TEST(records_overlap_zone)
{
	char err[256];
	struct localdata *ld = load(ZONES "example.test.zone");
	struct overlaps o = {0};
	ck_assert_uint_eq(localdata_overlaps(ld, overlap_cb, &o), 0);
	/* Same name and type as the zone; the same name with a type the zone lacks; a name the
	 * zone does not have; a CNAME record at a name where the zone has data. */
	ck_assert_int_eq(
	    localdata_add_record(ld, "www.example.test. 30 IN A 203.0.113.5", err, sizeof(err)), 0);
	ck_assert_int_eq(
	    localdata_add_record(ld, "www.example.test. 30 IN TXT \"x\"", err, sizeof(err)), 0);
	ck_assert_int_eq(
	    localdata_add_record(ld, "new.example.test. 30 IN A 203.0.113.6", err, sizeof(err)), 0);
	ck_assert_int_eq(localdata_add_record(ld, "ns1.example.test. 30 IN CNAME www.example.test.",
					      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(localdata_overlaps(ld, overlap_cb, &o), 2);
	ck_assert_str_eq(o.seen[0], "ns1.example.test. CNAME in example.test.");
	ck_assert_str_eq(o.seen[1], "www.example.test. A in example.test.");
	localdata_free(ld);
}
END_TEST

START_TEST(longest_apex)
{
	char err[1024] = ""; /* two zone paths in the message, however deep the checkout */
	struct localdata *ld = load(ZONES "example.test.zone");
	ck_assert_int_eq(localdata_add_zone(ld, ZONES "deep.zone", err, sizeof(err)), 0);
	ldns_pkt *p = ask(ld, "www.deep.example.test.", LDNS_RR_TYPE_A);
	expect_rr(ldns_pkt_answer(p), 0, "www.deep.example.test. 3600 IN A 198.51.100.1");
	ldns_pkt_free(p);
	p = ask(ld, "nope.deep.example.test.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	expect_soa(p, "deep.example.test.", 120);
	ldns_pkt_free(p);
	p = ask(ld, "www.example.test.", LDNS_RR_TYPE_A);
	expect_rr(ldns_pkt_answer(p), 0, "www.example.test. 600 IN A 192.0.2.10");
	ldns_pkt_free(p);
	not_covered(ld, "example.org.", LDNS_RR_TYPE_A);
	not_covered(ld, "test.", LDNS_RR_TYPE_SOA);
	/* The same apex twice is refused. */
	ck_assert_int_eq(localdata_add_zone(ld, ZONES "deep.zone", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err,
			 ZONES "deep.zone:3: zone deep.example.test. is already loaded from " ZONES
			       "deep.zone: one view takes one file per zone (to share records "
			       "between zone files, $INCLUDE a file without SOA from each)");
	localdata_free(ld);
}
END_TEST

START_TEST(class_not_in)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	uint8_t out[512];
	struct msg_query q = make_query("www.example.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH);
	ck_assert_uint_eq(localdata_answer(ld, &q, out, sizeof(out)), 0);
	q.qclass = LDNS_RR_CLASS_ANY;
	ck_assert_uint_gt(localdata_answer(ld, &q, out, sizeof(out)), 0);
	localdata_free(ld);
}
END_TEST

START_TEST(truncation)
{
	struct localdata *ld = load(ZONES "example.test.zone");
	struct msg_query q = make_query("big.example.test.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN);
	uint8_t out[4096];
	size_t n = localdata_answer(ld, &q, out, sizeof(out));
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt_ancount(p), 20);
	ck_assert(!ldns_pkt_tc(p));
	ldns_pkt_free(p);
	n = localdata_answer(ld, &q, out, 512);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, 512);
	ck_assert_int_eq(ldns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	ck_assert(ldns_pkt_tc(p));
	/* A record is 2 (owner pointer) + 10 + 61 bytes; header and question take 34. */
	ck_assert_int_eq(ldns_pkt_ancount(p), 6);
	ck_assert_uint_eq(n, 12 + 22 + 6 * 73);
	expect_rr(ldns_pkt_answer(p), 5,
		  "big.example.test. 300 IN TXT \"record 05 "
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"");
	ldns_pkt_free(p);
	localdata_free(ld);
}
END_TEST

START_TEST(errors)
{
	/* A file error (all of them: test_zonefile.c) reaches the caller as the reader put it. */
	expect_error(ZONES "err-syntax.zone", -EINVAL,
		     ZONES "err-syntax.zone:4: Syntax error, could not parse the RR's rdata");
	expect_error(ZONES "err-nosoa.zone", -EINVAL,
		     ZONES "err-nosoa.zone:3: the first record must be the zone's SOA");
	expect_error(ZONES "err-outside.zone", -EINVAL,
		     ZONES
		     "err-outside.zone:5: www.example.org. is outside the zone example.test.");
	expect_error(ZONES "err-cname.zone", -EINVAL,
		     ZONES "err-cname.zone:4: www.example.test. has a CNAME and other data");
	expect_error(ZONES "err-second-soa.zone", -EINVAL,
		     ZONES "err-second-soa.zone:3: a second SOA record");
	expect_error(ZONES "err-class.zone", -EINVAL, ZONES "err-class.zone:3: class must be IN");
	expect_error(ZONES "err-empty.zone", -EINVAL, ZONES "err-empty.zone:1: no SOA record");
}
END_TEST

START_TEST(example_zones)
{
	struct localdata *lan = load(EXAMPLES "lan/home.arpa.zone");
	struct localdata *wg = load(EXAMPLES "wg/home.arpa.zone");
	ldns_pkt *p = ask(lan, "nas.home.arpa.", LDNS_RR_TYPE_A);
	expect_rr(ldns_pkt_answer(p), 0, "nas.home.arpa. 300 IN A 192.168.1.10");
	ldns_pkt_free(p);
	p = ask(lan, "nas.home.arpa.", LDNS_RR_TYPE_AAAA);
	expect_rr(ldns_pkt_answer(p), 0, "nas.home.arpa. 300 IN AAAA fd00::10");
	ldns_pkt_free(p);
	p = ask(lan, "printer.home.arpa.", LDNS_RR_TYPE_A); /* from lan-extra.inc */
	expect_rr(ldns_pkt_answer(p), 0, "printer.home.arpa. 300 IN A 192.168.1.20");
	ldns_pkt_free(p);
	p = ask(wg, "nas.home.arpa.", LDNS_RR_TYPE_A);
	expect_rr(ldns_pkt_answer(p), 0, "nas.home.arpa. 300 IN A 10.100.0.10");
	ldns_pkt_free(p);
	p = ask(wg, "files.home.arpa.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_ancount(p), 2);
	expect_rr(ldns_pkt_answer(p), 1, "nas.home.arpa. 300 IN A 10.100.0.10");
	ldns_pkt_free(p);
	p = ask(wg, "printer.home.arpa.", LDNS_RR_TYPE_A);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	localdata_free(lan);
	localdata_free(wg);
}
END_TEST

static Suite *localdata_suite(void)
{
	Suite *s = suite_create("localdata");
	TCase *load_tc = tcase_create("load");
	tcase_add_test(load_tc, load_ok);
	tcase_add_test(load_tc, include);
	tcase_add_test(load_tc, errors);
	tcase_add_test(load_tc, example_zones);
	suite_add_tcase(s, load_tc);
	TCase *zone = tcase_create("zone");
	tcase_add_test(zone, answer_a);
	tcase_add_test(zone, answer_aaaa);
	tcase_add_test(zone, answer_any);
	tcase_add_test(zone, nodata);
	tcase_add_test(zone, nxdomain);
	tcase_add_test(zone, empty_non_terminal);
	tcase_add_test(zone, wildcard);
	tcase_add_test(zone, cname_chain);
	tcase_add_test(zone, question_case_kept);
	tcase_add_test(zone, longest_apex);
	tcase_add_test(zone, class_not_in);
	tcase_add_test(zone, truncation);
	suite_add_tcase(s, zone);
	TCase *rec = tcase_create("records");
	tcase_add_test(rec, records_transparent);
	tcase_add_test(rec, records_errors);
	tcase_add_test(rec, records_before_zone);
	tcase_add_test(rec, records_overlap_zone);
	suite_add_tcase(s, rec);
	return s;
}

int main(void)
{
	return check_main_run(localdata_suite());
}
