/*
 * test_cachefile.c -- cache dumps in zone-file presentation format: written and read back the
 * same (records, TTLs counted down, scope, flags, DNSSEC status), every field checked, all
 * entries or none, and nothing megdns would not have cached.
 */
#include "resolve/cachefile.h"
#include "resolve/deleg.h"

#include "dns/cache.h"
#include "check_main.h"
#include "check_pkt.h"
#include "dns/msg.h"

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define DUMPED       1000000 /* the dump's time; loads happen 10 s later */
#define ENTRY_FIELDS "scope=shared flags=- hdr=0x8180"

/* An entry for name A with one A record of this TTL; left, rcode and dnssec as given. */
static char *entry(unsigned left, const char *rcode, const char *dnssec, const char *name,
		   unsigned long long ttl)
{
	static char buf[8][512];
	static int slot;
	slot = (slot + 1) % 8;
	unsigned hdr = !strcmp(rcode, "NXDOMAIN") ? 0x8183 : 0x8180;
	snprintf(buf[slot], sizeof(buf[slot]),
		 "$ENTRY %s A ttl=%u scope=shared flags=- rcode=%s dnssec=%s hdr=0x%04x\n"
		 "%s\t%llu\tIN\tA\t192.0.2.1",
		 name, left, rcode, dnssec, hdr, name, ttl);
	return buf[slot];
}

/* Read text as a dump named "t.dump" loaded at DUMPED + 10. */
static int read_text(const char *text, size_t max_bytes, struct cachefile_list *l, char *err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	ck_assert_ptr_nonnull(in);
	int r = cachefile_read(in, "t.dump", DUMPED + 10, max_bytes, l, err, 256);
	fclose(in);
	return r;
}

/* A dump with the header and these lines. */
static char *dump_of(const char **lines)
{
	static char text[65536];
	size_t n = (size_t)snprintf(text, sizeof(text), "megdns-cache 2 %d\n", DUMPED);
	for (; *lines; lines++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", *lines);
	return text;
}

/* The load fails with an error that starts with want. */
static void expect_error(const char **lines, const char *want)
{
	struct cachefile_list l;
	char err[256] = "";
	ck_assert_int_eq(read_text(dump_of(lines), 1 << 20, &l, err), -EINVAL);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "error '%s', want '%s...'", err, want);
	ck_assert_ptr_null(l.head);
	ck_assert_uint_eq(l.count, 0);
}

static void expect_ok(const char **lines, size_t count)
{
	struct cachefile_list l;
	char err[256] = "";
	ck_assert_msg(read_text(dump_of(lines), 1 << 20, &l, err) == 0, "%s", err);
	ck_assert_uint_eq(l.count, count);
	cachefile_list_free(&l);
}

START_TEST(good_dump_loads)
{
	const char *lines[] = {"; a comment, and a blank line",
			       "",
			       entry(200, "NOERROR", "unchecked", "a.test.", 300),
			       entry(100, "NXDOMAIN", "secure", "b.test.", 300),
			       entry(5, "NOERROR", "unchecked", "old.test.", 300),
			       NULL};
	struct cachefile_list l;
	char err[256] = "";
	ck_assert_int_eq(read_text(dump_of(lines), 1 << 20, &l, err), 0);
	ck_assert_uint_eq(l.count, 2);
	ck_assert_uint_eq(l.expired, 1);    /* 5 s left, 10 s ago */
	ck_assert_uint_eq(l.head->ttl, 90); /* last entry first; 100 s left, 10 s ago */
	ck_assert_uint_eq(l.head->rcode, 3);
	ck_assert_uint_eq(l.head->sec, 2);
	ck_assert_uint_eq(msg_get32(l.head->body + l.head->ttl_offs[0]), 290);
	struct cache *c = cache_new(1 << 20);
	ck_assert_uint_eq(cachefile_store(c, &l, 5000), 2);
	uint8_t key[CACHE_KEY_MAX];
	size_t klen = cache_key_make(key, "", (const uint8_t *)"\1a\4test", 8, 1, 1, 0);
	struct cache_entry e;
	ck_assert(cache_lookup(c, key, klen, 5000 + 189 * 1000, &e));
	ck_assert(!cache_lookup(c, key, klen, 5000 + 191 * 1000, &e));
	cachefile_list_free(&l);
	ck_assert_ptr_null(l.head);
	cache_free(c);
}
END_TEST

/* Dump c at now_ms into a string (static). */
static char *dump_cache(struct cache *c, uint64_t now_ms, size_t *written)
{
	static char text[65536];
	FILE *out = fmemopen(text, sizeof(text), "w");
	ck_assert_ptr_nonnull(out);
	cachefile_header(out, DUMPED);
	*written = cachefile_dump(c, now_ms, out);
	fclose(out);
	return text;
}

/* A secure answer with its RRSIG, in a view's scope for a DO client, survives dump and load. */
START_TEST(dump_and_load_again)
{
	ldns_pkt *p = check_pkt_query("www.example.org.", LDNS_RR_TYPE_A);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_ad(p, true);
	check_pkt_push(
	    p, LDNS_SECTION_ANSWER,
	    (const char *const[]){"www.example.org. 300 IN A 192.0.2.7",
				  "www.example.org. 300 IN RRSIG A 13 3 300 20300101000000 "
				  "20200101000000 12345 example.org. "
				  "ZmFrZXNpZ25hdHVyZWZha2VzaWduYXR1cmVmYWtlc2lnbmF0dXJlZmFrZQ==",
				  NULL});
	check_pkt_push(p, LDNS_SECTION_AUTHORITY,
		       (const char *const[]){"example.org. 300 IN NS ns.example.org.", NULL});
	uint8_t body[2048], lname[MSG_MAX_NAME], key[CACHE_KEY_MAX];
	size_t blen = check_pkt_wire(p, body), nlen;
	ck_assert_int_eq(msg_name_from_str("www.example.org.", lname, &nlen), 0);
	size_t klen = cache_key_make(key, "wg", lname, nlen, 1, 1, CACHE_KEY_DO);
	struct msg_walk w;
	struct msg_rr rr;
	uint16_t offs[8];
	size_t n = 0;
	ck_assert_int_eq(msg_walk_init(&w, body, blen), 0);
	while (msg_walk_next(&w, &rr) > 0)
		offs[n++] = (uint16_t)rr.ttl_off;
	struct cache *c = cache_new(1 << 20);
	ck_assert_int_eq(cache_store(c, key, klen, body, blen, offs, n, 300, 0, 2, 0), 0);
	size_t written;
	/* Dumped 20 s after it was stored: 280 s left, the TTLs counted down. */
	char *text = dump_cache(c, 20000, &written);
	ck_assert_uint_eq(written, 1);
	ck_assert_msg(strstr(text, "\n$ENTRY www.example.org. A ttl=280 scope=view:wg flags=do "
				   "rcode=NOERROR dnssec=secure hdr=0x81a0\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "\nwww.example.org.\t280\tIN\tA\t192.0.2.7\n"), "%s", text);
	ck_assert_msg(strstr(text, "\nwww.example.org.\t280\tIN\tRRSIG\tA 13 3 300 "), "%s", text);
	ck_assert_msg(strstr(text, "\n$AUTHORITY\nexample.org.\t280\tIN\tNS\tns.example.org.\n"),
		      "%s", text);
	/* Read back 10 s after the dump: the same key, body and status, 10 s less. */
	struct cachefile_list l;
	char err[256] = "";
	ck_assert_msg(read_text(text, 1 << 20, &l, err) == 0, "%s", err);
	ck_assert_uint_eq(l.count, 1);
	ck_assert_uint_eq(l.head->ttl, 270);
	ck_assert_uint_eq(l.head->sec, 2);
	ck_assert_uint_eq(l.head->key_len, klen);
	ck_assert_mem_eq(l.head->key, key, klen);
	ck_assert_uint_eq(l.head->n_ttl, 3);
	ck_assert_uint_eq(msg_get32(l.head->body + l.head->ttl_offs[2]), 270);
	ldns_pkt *back = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&back, l.head->body, l.head->body_len), LDNS_STATUS_OK);
	ck_assert(ldns_pkt_ad(back) && ldns_pkt_qr(back) && ldns_pkt_ra(back));
	ck_assert_uint_eq(ldns_pkt_ancount(back), 2);
	ck_assert_uint_eq(ldns_pkt_nscount(back), 1);
	ldns_pkt_free(back);
	cachefile_list_free(&l);
	cache_free(c);
}
END_TEST

/* A delegation (deleg.h) is dumped with flags=deleg and loads back; one with more in it than
 * its NS records and their glue does not. */
START_TEST(delegation_dump_and_load)
{
	struct iterate_referral ref;
	memset(&ref, 0, sizeof(ref));
	ck_assert_int_eq(msg_name_from_str("example.org.", ref.zone, &ref.zone_len), 0);
	ref.ttl = 3600;
	ref.n_ns = 2;
	ck_assert_int_eq(msg_name_from_str("ns1.example.org.", ref.ns[0].name, &ref.ns[0].name_len),
			 0);
	ck_assert_int_eq(addr_parse("192.0.2.1", 53, &ref.ns[0].addrs[0]), 0);
	ref.ns[0].n_addrs = 1;
	ck_assert_int_eq(msg_name_from_str("ns.other.net.", ref.ns[1].name, &ref.ns[1].name_len),
			 0);
	struct cache *c = cache_new(1 << 20);
	ck_assert_int_eq(deleg_store(c, "", &ref, 0), 0);
	size_t written;
	char *text = dump_cache(c, 10000, &written);
	ck_assert_uint_eq(written, 1);
	ck_assert_msg(strstr(text, "$ENTRY example.org. NS ttl=3590 scope=shared flags=deleg "),
		      "%s", text);
	ck_assert_msg(strstr(text, "\nns1.example.org.\t3590\tIN\tA\t192.0.2.1\n"), "%s", text);
	struct cachefile_list l;
	char err[256] = "";
	ck_assert_msg(read_text(text, 1 << 20, &l, err) == 0, "%s", err);
	ck_assert_uint_eq(l.count, 1);
	ck_assert_uint_eq(l.head->key[l.head->key_len - 1], CACHE_KEY_DELEG);
	struct iterate_referral back;
	ck_assert(deleg_decode(l.head->body, l.head->body_len, &back));
	ck_assert_uint_eq(back.n_ns, 2);
	ck_assert_uint_eq(back.ns[0].n_addrs, 1);
	ck_assert_uint_eq(back.ns[1].n_addrs, 0);
	cachefile_list_free(&l);
	/* Glue for a name that is no NS of the delegation: refused. */
	char bad[65536];
	snprintf(bad, sizeof(bad), "%swww.example.org.\t3590\tIN\tA\t6.6.6.6\n", text);
	ck_assert_int_lt(read_text(bad, 1 << 20, &l, err), 0);
	ck_assert_msg(strstr(err, "delegation holds more than NS records and their glue"), "%s",
		      err);
	cache_free(c);
}
END_TEST

struct walk_seen {
	int n;
	uint8_t first; /* first letter of the first name walked */
};

static void walk_first(void *ud, const uint8_t *key, size_t key_len, const struct cache_entry *e)
{
	struct walk_seen *s = ud;
	(void)key_len;
	(void)e;
	if (s->n++ == 0)
		s->first = key[2]; /* scope length 0, then the first label's length */
}

START_TEST(first_entry_stored_last)
{
	const char *lines[] = {entry(200, "NOERROR", "unchecked", "first.test.", 300),
			       entry(200, "NOERROR", "unchecked", "second.test.", 300), NULL};
	struct cachefile_list l;
	char err[256];
	ck_assert_int_eq(read_text(dump_of(lines), 1 << 20, &l, err), 0);
	struct cache *c = cache_new(1 << 20);
	cachefile_store(c, &l, 0);
	cachefile_list_free(&l);
	/* A dump lists the most recently used first: after the load it is again. */
	struct walk_seen seen = {0, 0};
	cache_walk(c, walk_first, &seen);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_int_eq(seen.first, 'f');
	cache_free(c);
}
END_TEST

START_TEST(bad_entry_lines)
{
	const char *rec = "a.test. 300 IN A 192.0.2.1";
	struct {
		const char *line, *want;
	} cases[] = {
	    {"$ENTRY a.test.", "$ENTRY needs NAME TYPE"},
	    {"$ENTRY a..test. A ttl=1 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure",
	     "'a..test.' is not a domain name"},
	    {"$ENTRY a.test. BOGUSTYPE ttl=1 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure",
	     "'BOGUSTYPE' is not a record type"},
	    {"$ENTRY a.test. A ttl=-1 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure", "ttl is not"},
	    {"$ENTRY a.test. A ttl=2147483648 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure",
	     "ttl is not"},
	    {"$ENTRY a.test. A ttl=1 ttl=1 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure",
	     "'ttl' is not a field, or is given twice"},
	    {"$ENTRY a.test. A ttl=1 " ENTRY_FIELDS " rcode=NOERROR", "$ENTRY lacks a field"},
	    {"$ENTRY a.test. A ttl=1 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure color=red",
	     "'color' is not a field"},
	    {"$ENTRY a.test. A ttl=1 scope=nobody flags=- hdr=0x8180 rcode=NOERROR dnssec=secure",
	     "scope is not 'shared' or 'view:NAME'"},
	    {"$ENTRY a.test. A ttl=1 scope=view:a/b flags=- hdr=0x8180 rcode=NOERROR "
	     "dnssec=secure",
	     "key scope is not a view name"},
	    {"$ENTRY a.test. A ttl=1 scope=shared flags=ad hdr=0x8180 rcode=NOERROR dnssec=secure",
	     "flags is not"},
	    {"$ENTRY a.test. A ttl=1 scope=shared flags=- hdr=8180 rcode=NOERROR dnssec=secure",
	     "hdr is not"},
	    {"$ENTRY a.test. A ttl=1 " ENTRY_FIELDS " rcode=WHATEVER dnssec=secure",
	     "rcode 'WHATEVER' is not an rcode name"},
	    {"$ENTRY a.test. A ttl=1 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure:6",
	     "dnssec is not"}, /* an EDE only for bogus */
	    {"$ENTRY a.test. A ttl=1 " ENTRY_FIELDS " rcode=NOERROR dnssec=bogus:15",
	     "dnssec is not"},
	    {"$ENTRY a.test. AXFR ttl=1 " ENTRY_FIELDS " rcode=NOERROR dnssec=secure",
	     "key type 252 is never cached"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *lines[] = {cases[i].line, rec, NULL};
		char want[256];
		snprintf(want, sizeof(want), "t.dump:2: not a cache entry: %s", cases[i].want);
		expect_error(lines, want);
	}
	/* bogus with a DNSSEC EDE, and a view scope, are fine. */
	const char *bogus[] = {"$ENTRY a.test. A ttl=100 scope=view:lan flags=do,cd hdr=0x8180 "
			       "rcode=NOERROR dnssec=bogus:9",
			       rec, NULL};
	expect_ok(bogus, 1);
}
END_TEST

START_TEST(bad_records)
{
	const char *head =
	    "$ENTRY a.test. A ttl=200 " ENTRY_FIELDS " rcode=NOERROR dnssec=unchecked";
	const char *bad_addr[] = {head, "a.test. 300 IN A 192.0.2.300", NULL};
	expect_error(bad_addr, "t.dump:3: not a cache entry: not a record: ");
	const char *relative[] = {head, "a 300 IN A 192.0.2.1", NULL};
	expect_error(relative, "t.dump:3: not a cache entry: not a record: names must be absolute");
	const char *no_type[] = {head, "a.test. 300 IN 192.0.2.1", NULL};
	expect_error(no_type, "t.dump:3: not a cache entry: not a record: no record type");
	const char *before[] = {"a.test. 300 IN A 192.0.2.1", NULL};
	expect_error(before, "t.dump:2: not a cache entry: a record or section before the first");
	const char *twice[] = {head, "a.test. 300 IN A 192.0.2.1", "$ADDITIONAL", "$AUTHORITY",
			       NULL};
	expect_error(twice, "t.dump:5: not a cache entry: $AUTHORITY out of order, or twice");
	const char *none[] = {head, NULL};
	expect_error(none, "t.dump:2: not a cache entry: body has no records");
	const char *opt[] = {head, "a.test. 300 IN A 192.0.2.1", "$ADDITIONAL",
			     ". 0 CLASS1232 OPT \\# 0", NULL};
	expect_error(opt, "t.dump:5: not a cache entry: not a record: OPT is a query type");
	const char *longer[] = {entry(301, "NOERROR", "unchecked", "a.test.", 300), NULL};
	expect_error(longer, "t.dump:2: not a cache entry: ttl=301 is longer than every TTL");
	const char *huge[] = {entry(200, "NOERROR", "unchecked", "a.test.", 0x80000000u), NULL};
	expect_error(huge, "t.dump:2: not a cache entry: body has a TTL above 2^31-1");
}
END_TEST

/* Entries megdns would never have stored: poison the scrubber removes, REFUSED, TC, AA. */
START_TEST(entries_megdns_would_not_store)
{
	const char *poison[] = {entry(200, "NOERROR", "unchecked", "a.test.", 300),
				"www.bank.test. 300 IN A 6.6.6.6", NULL};
	expect_error(poison,
		     "t.dump:2: not a cache entry: body has 1 record(s) that do not concern");
	const char *other[] = {"$ENTRY a.test. A ttl=200 " ENTRY_FIELDS
			       " rcode=NOERROR dnssec=unchecked",
			       "b.test. 300 IN A 192.0.2.1", NULL};
	expect_error(other,
		     "t.dump:2: not a cache entry: body has 1 record(s) that do not concern");
	const char *refused[] = {"$ENTRY a.test. A ttl=200 scope=shared flags=- hdr=0x8185 "
				 "rcode=REFUSED dnssec=unchecked",
				 "a.test. 300 IN A 192.0.2.1", NULL};
	expect_error(refused, "t.dump:2: not a cache entry: body has rcode 5");
	const char *tc[] = {"$ENTRY a.test. A ttl=200 scope=shared flags=- hdr=0x8380 "
			    "rcode=NOERROR dnssec=unchecked",
			    "a.test. 300 IN A 192.0.2.1", NULL};
	expect_error(tc, "t.dump:2: not a cache entry: body has the TC flag set");
	const char *rcode_other[] = {"$ENTRY a.test. A ttl=200 scope=shared flags=- hdr=0x8180 "
				     "rcode=NXDOMAIN dnssec=unchecked",
				     "a.test. 300 IN A 192.0.2.1", NULL};
	expect_error(rcode_other,
		     "t.dump:2: not a cache entry: body has rcode 0, the entry says 3");
	const char *query[] = {"$ENTRY a.test. A ttl=200 scope=shared flags=- hdr=0x0100 "
			       "rcode=NOERROR dnssec=unchecked",
			       "a.test. 300 IN A 192.0.2.1", NULL};
	expect_error(query, "t.dump:2: not a cache entry: body is not a reply to a query");
}
END_TEST

START_TEST(bad_entry_after_good_ones)
{
	const char *lines[] = {entry(200, "NOERROR", "unchecked", "a.test.", 300),
			       entry(200, "NOERROR", "unchecked", "b.test.", 300),
			       "$ENTRY c.test. A ttl=x",
			       entry(200, "NOERROR", "unchecked", "d.test.", 300), NULL};
	/* a (2, 3), b (4, 5), then the bad $ENTRY on line 6. */
	expect_error(lines, "t.dump:6: not a cache entry: ttl is not");
}
END_TEST

START_TEST(bad_headers)
{
	struct cachefile_list l;
	char err[256];
	const char *texts[] = {"",
			       "hello\n",
			       "megdns-cache 1 1000\n",
			       "megdns-cache 2 x\n",
			       "megdns-cache 2 1000 junk\n",
			       "megdns-cache  2 1000\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(read_text(texts[i], 1 << 20, &l, err), -EINVAL);
		ck_assert_str_eq(err,
				 "t.dump:1: not a megdns cache dump (want 'megdns-cache 2 TIME')");
	}
	ck_assert_int_eq(read_text("megdns-cache 2 1000\n", 1 << 20, &l, err), 0);
	ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(nul_and_long_lines)
{
	static char text[600000];
	struct cachefile_list l;
	char err[256];
	size_t n = (size_t)snprintf(text, sizeof(text), "megdns-cache 2 %d\n", DUMPED);
	memset(text + n, '0', sizeof(text) - n - 2);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = 0;
	ck_assert_int_eq(read_text(text, 1 << 20, &l, err), -EINVAL);
	ck_assert_str_eq(err, "t.dump:2: not a cache entry: line too long, or not text");
	static const char nul[] = "megdns-cache 2 1000\n; a\0comment\n";
	FILE *in = fmemopen((void *)nul, sizeof(nul) - 1, "r");
	ck_assert_int_eq(cachefile_read(in, "t.dump", DUMPED, 1 << 20, &l, err, sizeof(err)),
			 -EINVAL);
	fclose(in);
	ck_assert_str_eq(err, "t.dump:2: not a cache entry: line too long, or not text");
}
END_TEST

START_TEST(bounded_by_bytes)
{
	const char *lines[] = {entry(200, "NOERROR", "unchecked", "a.test.", 300),
			       entry(200, "NOERROR", "unchecked", "b.test.", 300), NULL};
	struct cachefile_list l;
	char err[256];
	ck_assert_int_eq(read_text(dump_of(lines), 60, &l, err), 0);
	ck_assert_uint_eq(l.count, 1);
	ck_assert_uint_eq(l.skipped, 1);
	ck_assert_uint_le(l.bytes, 60);
	cachefile_list_free(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cachefile");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, good_dump_loads);
	tcase_add_test(tc, dump_and_load_again);
	tcase_add_test(tc, delegation_dump_and_load);
	tcase_add_test(tc, first_entry_stored_last);
	tcase_add_test(tc, bad_entry_lines);
	tcase_add_test(tc, bad_records);
	tcase_add_test(tc, entries_megdns_would_not_store);
	tcase_add_test(tc, bad_entry_after_good_ones);
	tcase_add_test(tc, bad_headers);
	tcase_add_test(tc, nul_and_long_lines);
	tcase_add_test(tc, bounded_by_bytes);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
