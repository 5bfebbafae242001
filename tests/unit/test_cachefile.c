/*
 * test_cachefile.c -- reading cache dumps: every field checked, all lines or none.
 */
#include "cachefile.h"

#include "cache.h"
#include "check_main.h"
#include "check_pkt.h"
#include "msg.h"

#include <check.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#define DUMPED 1000000 /* the dump's time; loads happen 10 s later */

/* A reply body for name/type: one A record with this TTL (rcode as given). */
static size_t body_for(uint8_t *out, const char *name, uint16_t type, ldns_pkt_rcode rc,
		       uint32_t ttl)
{
	ldns_pkt *p = check_pkt_query(name, type);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rc);
	char text[300];
	snprintf(text, sizeof(text), "%s %u IN A 192.0.2.1", name, ttl);
	check_pkt_push(p, LDNS_SECTION_ANSWER, (const char *const[]){text, NULL});
	return check_pkt_wire(p, out);
}

static void hex(char *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * len] = 0;
}

/* The dump line of an entry for name A (scope "", no flags) with the given fields. */
static char *entry_line(unsigned left, unsigned rcode, unsigned sec, const char *name, uint32_t ttl)
{
	static char buf[4][4096];
	static int slot;
	uint8_t key[CACHE_KEY_MAX], body[1024], lname[MSG_MAX_NAME];
	size_t nlen;
	char khex[2 * CACHE_KEY_MAX + 1], bhex[2049];
	ck_assert_int_eq(msg_name_from_str(name, lname, &nlen), 0);
	size_t klen = cache_key_make(key, "", lname, nlen, 1, 1, 0);
	size_t blen = body_for(body, name, 1, rcode == 3 ? LDNS_RCODE_NXDOMAIN : 0, ttl);
	hex(khex, key, klen);
	hex(bhex, body, blen);
	slot = (slot + 1) % 4;
	snprintf(buf[slot], sizeof(buf[slot]), "%u %u %u %s %s", left, rcode, sec, khex, bhex);
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
	static char text[32768];
	size_t n = (size_t)snprintf(text, sizeof(text), "megdns-cache 1 %d\n", DUMPED);
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

START_TEST(good_dump_loads)
{
	const char *lines[] = {entry_line(200, 0, 0, "a.test.", 300),
			       entry_line(100, 3, 2, "b.test.", 300),
			       entry_line(5, 0, 0, "old.test.", 300), NULL};
	struct cachefile_list l;
	char err[256] = "";
	ck_assert_int_eq(read_text(dump_of(lines), 1 << 20, &l, err), 0);
	ck_assert_uint_eq(l.count, 2);
	ck_assert_uint_eq(l.expired, 1);    /* 5 s left, 10 s ago */
	ck_assert_uint_eq(l.head->ttl, 90); /* last line first; 100 s left, 10 s ago */
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

START_TEST(first_line_stored_last)
{
	const char *lines[] = {entry_line(200, 0, 0, "first.test.", 300),
			       entry_line(200, 0, 0, "second.test.", 300), NULL};
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

START_TEST(key_claims_255_bytes_of_scope)
{
	char *good = entry_line(200, 0, 0, "a.test.", 300);
	char bad[4096];
	/* "00" (no scope) becomes "ff61": 255 bytes of scope claimed, one ('a') there. */
	char *key = strchr(strchr(strchr(good, ' ') + 1, ' ') + 1, ' ') + 1;
	snprintf(bad, sizeof(bad), "%.*sff61%s", (int)(key - good), good, key + 2);
	const char *lines[] = {bad, NULL};
	expect_error(lines, "t.dump:2: not a cache entry: key claims 255 bytes of scope");
	/* Within the bound but longer than the key: also refused. */
	snprintf(bad, sizeof(bad), "%.*s3f61%s", (int)(key - good), good, key + 2);
	expect_error(lines, "t.dump:2: not a cache entry: key claims 63 bytes of scope but");
}
END_TEST

START_TEST(truncated_hex)
{
	char a[4096], b[4096];
	snprintf(a, sizeof(a), "%s", entry_line(200, 0, 0, "a.test.", 300));
	a[strlen(a) - 1] = 0; /* odd length */
	const char *odd[] = {a, NULL};
	expect_error(odd, "t.dump:2: not a cache entry: BODY-HEX is not hex");
	snprintf(b, sizeof(b), "%s", entry_line(200, 0, 0, "a.test.", 300));
	b[strlen(b) - 8] = 0; /* the last record cut short */
	const char *cut[] = {b, NULL};
	expect_error(cut, "t.dump:2: not a cache entry: body record 1 does not parse");
	snprintf(b, sizeof(b), "%s", entry_line(200, 0, 0, "a.test.", 300));
	b[strlen(b) - 4] = 'g';
	expect_error(cut, "t.dump:2: not a cache entry: BODY-HEX is not hex");
	const char *keyonly[] = {"300 0 0 0001610474657374", NULL};
	expect_error(keyonly, "t.dump:2: not a cache entry: want TTL-LEFT RCODE SEC KEY-HEX");
}
END_TEST

START_TEST(bad_numbers)
{
	const char *rcode16[] = {entry_line(200, 16, 0, "a.test.", 300), NULL};
	expect_error(rcode16, "t.dump:2: not a cache entry: RCODE");
	const char *rcode_other[] = {entry_line(200, 2, 0, "a.test.", 300), NULL};
	expect_error(rcode_other,
		     "t.dump:2: not a cache entry: body has rcode 0, the entry says 2");
	const char *sec[] = {entry_line(200, 0, 2 | 6 << 2, "a.test.", 300), NULL};
	expect_error(sec, "t.dump:2: not a cache entry: SEC");
	const char *bogus[] = {entry_line(200, 0, 3 | 6 << 2, "a.test.", 300), NULL};
	struct cachefile_list l;
	char err[256];
	ck_assert_int_eq(read_text(dump_of(bogus), 1 << 20, &l, err), 0); /* bogus, EDE 6 */
	cachefile_list_free(&l);
	const char *longer[] = {entry_line(301, 0, 0, "a.test.", 300), NULL};
	expect_error(longer, "t.dump:2: not a cache entry: TTL-LEFT 301 is longer than every TTL");
	const char *huge[] = {entry_line(200, 0, 0, "a.test.", 0x80000000u), NULL};
	expect_error(huge, "t.dump:2: not a cache entry: body has a TTL above 2^31-1");
	char neg[4096];
	snprintf(neg, sizeof(neg), "-1%s", strchr(entry_line(200, 0, 0, "a.test.", 300), ' '));
	const char *minus[] = {neg, NULL};
	expect_error(minus, "t.dump:2: not a cache entry: TTL-LEFT");
}
END_TEST

START_TEST(mismatched_question)
{
	char *a = entry_line(200, 0, 0, "a.test.", 300), *b = entry_line(200, 0, 0, "b.test.", 300);
	char line[4096];
	/* a.test.'s key with b.test.'s body */
	snprintf(line, sizeof(line), "%.*s%s", (int)(strrchr(a, ' ') - a), a, strrchr(b, ' '));
	const char *lines[] = {line, NULL};
	expect_error(lines, "t.dump:2: not a cache entry: body answers another question");
}
END_TEST

/* The dump line of a.test. A whose body is made by the given records, rcode and flags. */
static char *crafted_line(const char *const *answer, ldns_pkt_rcode rc, bool tc)
{
	static char buf[8192];
	uint8_t key[CACHE_KEY_MAX], body[2048], lname[MSG_MAX_NAME];
	size_t nlen;
	char khex[2 * CACHE_KEY_MAX + 1], bhex[4097];
	ck_assert_int_eq(msg_name_from_str("a.test.", lname, &nlen), 0);
	size_t klen = cache_key_make(key, "", lname, nlen, 1, 1, 0);
	ldns_pkt *p = check_pkt_query("a.test.", LDNS_RR_TYPE_A);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_tc(p, tc);
	ldns_pkt_set_rcode(p, rc);
	check_pkt_push(p, LDNS_SECTION_ANSWER, answer);
	size_t blen = check_pkt_wire(p, body);
	hex(khex, key, klen);
	hex(bhex, body, blen);
	snprintf(buf, sizeof(buf), "200 %u 0 %s %s", (unsigned)rc, khex, bhex);
	return buf;
}

/* Entries megdns would never have stored: poison the scrubber removes, REFUSED, TC. */
START_TEST(entries_megdns_would_not_store)
{
	const char *const poisoned[] = {"a.test. 300 IN A 192.0.2.1",
					"www.bank.test. 300 IN A 6.6.6.6", NULL};
	const char *const plain[] = {"a.test. 300 IN A 192.0.2.1", NULL};
	const char *l1[] = {crafted_line(poisoned, LDNS_RCODE_NOERROR, false), NULL};
	expect_error(l1, "t.dump:2: not a cache entry: body has 1 record(s) that do not concern");
	const char *l2[] = {crafted_line(plain, LDNS_RCODE_REFUSED, false), NULL};
	expect_error(l2, "t.dump:2: not a cache entry: body has rcode 5");
	const char *l3[] = {crafted_line(plain, LDNS_RCODE_NOERROR, true), NULL};
	expect_error(l3, "t.dump:2: not a cache entry: body has the TC flag set");
}
END_TEST

START_TEST(bad_line_after_good_ones)
{
	const char *lines[] = {entry_line(200, 0, 0, "a.test.", 300),
			       entry_line(200, 0, 0, "b.test.", 300), "200 0 0 00 00",
			       entry_line(200, 0, 0, "c.test.", 300), NULL};
	expect_error(lines, "t.dump:4: not a cache entry: BODY-HEX");
	const char *empty_line[] = {entry_line(200, 0, 0, "a.test.", 300), "", NULL};
	expect_error(empty_line, "t.dump:3: not a cache entry: want");
}
END_TEST

START_TEST(bad_headers)
{
	struct cachefile_list l;
	char err[256];
	const char *texts[] = {"",
			       "hello\n",
			       "megdns-cache 2 1000\n",
			       "megdns-cache 1 x\n",
			       "megdns-cache 1 1000 junk\n",
			       "megdns-cache  1 1000\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(read_text(texts[i], 1 << 20, &l, err), -EINVAL);
		ck_assert_str_eq(err, "t.dump:1: not a megdns cache dump");
	}
	ck_assert_int_eq(read_text("megdns-cache 1 1000\n", 1 << 20, &l, err), 0);
	ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(nul_and_long_lines)
{
	static char text[300000];
	struct cachefile_list l;
	char err[256];
	size_t n = (size_t)snprintf(text, sizeof(text), "megdns-cache 1 %d\n", DUMPED);
	memset(text + n, '0', sizeof(text) - n - 2);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = 0;
	ck_assert_int_eq(read_text(text, 1 << 20, &l, err), -EINVAL);
	ck_assert_str_eq(err, "t.dump:2: not a cache entry: line too long, or not text");
	static const char nul[] = "megdns-cache 1 1000\n300 0\0 0 00 00\n";
	FILE *in = fmemopen((void *)nul, sizeof(nul) - 1, "r");
	ck_assert_int_eq(cachefile_read(in, "t.dump", DUMPED, 1 << 20, &l, err, sizeof(err)),
			 -EINVAL);
	fclose(in);
	ck_assert_str_eq(err, "t.dump:2: not a cache entry: line too long, or not text");
}
END_TEST

START_TEST(bounded_by_bytes)
{
	const char *lines[] = {entry_line(200, 0, 0, "a.test.", 300),
			       entry_line(200, 0, 0, "b.test.", 300), NULL};
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
	tcase_add_test(tc, first_line_stored_last);
	tcase_add_test(tc, key_claims_255_bytes_of_scope);
	tcase_add_test(tc, truncated_hex);
	tcase_add_test(tc, bad_numbers);
	tcase_add_test(tc, mismatched_question);
	tcase_add_test(tc, entries_megdns_would_not_store);
	tcase_add_test(tc, bad_line_after_good_ones);
	tcase_add_test(tc, bad_headers);
	tcase_add_test(tc, nul_and_long_lines);
	tcase_add_test(tc, bounded_by_bytes);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
