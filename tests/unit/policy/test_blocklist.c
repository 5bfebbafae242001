/*
 * test_blocklist.c -- blocklists: each line format and RPZ, names below an entry, allow
 * entries winning, the longest match, garbage counted and noted with FILE:LINE, files that
 * cannot be read, and the identity check that lets a reload keep a list.
 */
#include "check_main.h"
#include "policy/blocklist.h"

#include <check.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static char *write_file(const char *name, const char *text)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/megdns-test-bl.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(dir));
	}
	char *path = malloc(256);
	snprintf(path, 256, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static enum blocklist_action match(const struct blocklist *bl, const char *name,
				   struct blocklist_match *m)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ldns_dname2canonical(d);
	enum blocklist_action a = blocklist_match(bl, ldns_rdf_data(d), ldns_rdf_size(d), m);
	ldns_rdf_deep_free(d);
	return a;
}

static struct blocklist *load(const char *text, const char *allow_text, struct notes *notes)
{
	char *f = write_file("list", text),
	     *a = allow_text ? write_file("allow", allow_text) : NULL;
	struct blocklist *bl = NULL;
	char err[512];
	int rc = blocklist_load(&bl, "t", &f, 1, &a, a ? 1 : 0, notes, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	free(f);
	free(a);
	return bl;
}

START_TEST(formats)
{
	struct notes n = {0};
	struct blocklist *bl = load("# c\n127.0.0.1 localhost\n0.0.0.0 ads.test\n:: six.test\n"
				    "192.168.1.1 nas.test\nplain.test\n*.wild.test\n"
				    "||adb.test^\n||mod.test^$third-party\nex.test##.ad\n"
				    "this is garbage\n",
				    NULL, &n);
	struct blocklist_match m;
	ck_assert_int_eq(match(bl, "ads.test.", &m), BLOCKLIST_BLOCK);
	uint32_t line;
	ck_assert_ptr_nonnull(strstr(blocklist_where(bl, &m, &line), "/list"));
	ck_assert_uint_eq(line, 3); /* read again: the table keeps no lines */
	ck_assert_int_eq(match(bl, "x.y.ads.test.", &m), BLOCKLIST_BLOCK); /* below */
	ck_assert_int_eq(match(bl, "six.test.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "nas.test.", NULL), BLOCKLIST_NONE);    /* a real address */
	ck_assert_int_eq(match(bl, "localhost.", NULL), BLOCKLIST_NONE);   /* the machine's own */
	ck_assert_int_eq(match(bl, "PLAIN.test.", NULL), BLOCKLIST_BLOCK); /* any case */
	ck_assert_int_eq(match(bl, "wild.test.", NULL), BLOCKLIST_NONE);   /* *.: only below */
	ck_assert_int_eq(match(bl, "a.wild.test.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "adb.test.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "mod.test.", NULL), BLOCKLIST_NONE); /* modifiers: skipped */
	ck_assert_int_eq(match(bl, "test.", NULL), BLOCKLIST_NONE);     /* not above */
	ck_assert_int_eq(match(bl, "ads.test.x.", NULL), BLOCKLIST_NONE);
	const struct blocklist_counts *c = blocklist_counts(bl);
	ck_assert_uint_eq(c->entries, 5);
	ck_assert_uint_eq(c->garbage, 1);
	ck_assert_uint_ge(c->skipped, 3); /* localhost, nas, the modifier rule, the cosmetic one */
	ck_assert_uint_eq(n.n, 1);
	ck_assert_ptr_nonnull(strstr(n.text[0], "/list:11: warning: not a domain"));
	blocklist_unref(bl);
	notes_free(&n);
}
END_TEST

START_TEST(allow_wins)
{
	struct notes n = {0};
	struct blocklist *bl =
	    load("ads.test\n||x.good.test^\n@@||ok.ads.test^\n", "good.test\n", &n);
	struct blocklist_match m;
	ck_assert_int_eq(match(bl, "ads.test.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "ok.ads.test.", &m), BLOCKLIST_ALLOW);
	ck_assert_int_eq(match(bl, "a.ok.ads.test.", NULL), BLOCKLIST_ALLOW);
	ck_assert_int_eq(match(bl, "x.good.test.", &m), BLOCKLIST_ALLOW); /* an allow above */
	uint32_t line;
	ck_assert_ptr_nonnull(strstr(blocklist_where(bl, &m, &line), "/allow"));
	ck_assert_uint_eq(line, 1);
	ck_assert_int_eq(match(bl, "other.ads.test.", NULL), BLOCKLIST_BLOCK);
	blocklist_unref(bl);
	/* one name in both: the allow file decides, and explain names it and its line */
	bl = load("a.test\ndup.test\n", "# header\ndup.test\n", &n);
	ck_assert_int_eq(match(bl, "dup.test.", &m), BLOCKLIST_ALLOW);
	ck_assert_ptr_nonnull(strstr(blocklist_where(bl, &m, &line), "/allow"));
	ck_assert_uint_eq(line, 2);
	/* a file changed since loading: no place rather than a wrong one */
	free(write_file("allow", "# header\n\n\ndup.test\n"));
	ck_assert_ptr_null(blocklist_where(bl, &m, &line));
	blocklist_unref(bl);
	notes_free(&n);
}
END_TEST

START_TEST(rpz)
{
	struct notes n = {0};
	struct blocklist *bl =
	    load("$ORIGIN rpz.local.\n$TTL 60\n"
		 "@ SOA localhost. h.localhost. 1 3600 600 86400 60\n NS localhost.\n"
		 "nx.test CNAME .\n*.nx.test CNAME .\nnd.test CNAME *.\n"
		 "pass.nx.test CNAME rpz-passthru.\ndrop.test CNAME rpz-drop.\n"
		 "g.test A 10.9.9.9\n*.g.test A 10.9.9.8\n1.0.0.10.rpz-ip CNAME .\n",
		 NULL, &n);
	ck_assert_int_eq(match(bl, "nx.test.", NULL), BLOCKLIST_NXDOMAIN);
	ck_assert_int_eq(match(bl, "a.nx.test.", NULL), BLOCKLIST_NXDOMAIN);
	ck_assert_int_eq(match(bl, "pass.nx.test.", NULL), BLOCKLIST_ALLOW);
	ck_assert_int_eq(match(bl, "nd.test.", NULL), BLOCKLIST_NODATA);
	ck_assert_int_eq(match(bl, "a.nd.test.", NULL), BLOCKLIST_NONE); /* exact only */
	ck_assert_int_eq(match(bl, "drop.test.", NULL), BLOCKLIST_DROP);
	ck_assert_int_eq(match(bl, "g.test.", NULL), BLOCKLIST_DATA);
	ck_assert_int_eq(match(bl, "x.g.test.", NULL), BLOCKLIST_DATA);
	ck_assert_int_eq(match(bl, "rpz-ip.", NULL), BLOCKLIST_NONE);
	ck_assert_uint_ge(blocklist_counts(bl)->skipped, 1);
	struct msg_query q = {.qtype = 1, .qclass = 1};
	ldns_rdf *d = ldns_dname_new_frm_str("x.g.test.");
	q.qname_len = (uint8_t)ldns_rdf_size(d);
	memcpy(q.qname, ldns_rdf_data(d), q.qname_len);
	memcpy(q.lname, ldns_rdf_data(d), q.qname_len);
	ldns_rdf_deep_free(d);
	uint8_t out[512];
	size_t len = blocklist_answer(bl, &q, out, sizeof(out));
	ldns_pkt *p = NULL;
	ck_assert_int_eq(ldns_wire2pkt(&p, out, len), LDNS_STATUS_OK);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
	ck_assert_str_eq(s, "10.9.9.8");
	free(s);
	ldns_pkt_free(p);
	blocklist_unref(bl);
	notes_free(&n);
}
END_TEST

START_TEST(files)
{
	struct notes n = {0};
	char *missing = "/nonexistent/list", err[512];
	struct blocklist *bl = NULL;
	ck_assert_int_eq(blocklist_load(&bl, "t", &missing, 1, NULL, 0, &n, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/list: No such file"));
	char *f = write_file("same", "a.test\n");
	ck_assert_int_eq(blocklist_load(&bl, "t", &f, 1, NULL, 0, &n, err, sizeof(err)), 0);
	ck_assert(blocklist_same(bl, &f, 1, NULL, 0));
	ck_assert(!blocklist_same(bl, &f, 1, &f, 1));
	usleep(10000);
	char *g = write_file("same.new", "b.test\n");
	ck_assert_int_eq(rename(g, f), 0);
	ck_assert(!blocklist_same(bl, &f, 1, NULL, 0)); /* renamed over: another file */
	blocklist_unref(bl);
	free(f);
	free(g);
	notes_free(&n);
}
END_TEST

START_TEST(many)
{
	/* enough names to grow the table several times; every one is found */
	char *text = malloc(40 * 20000 + 1), *p = text;
	for (int i = 0; i < 20000; i++)
		p += sprintf(p, "n%d.x%d.test\n", i, i % 97);
	struct notes n = {0};
	struct blocklist *bl = load(text, NULL, &n);
	ck_assert_uint_eq(blocklist_counts(bl)->entries, 20000);
	char name[64];
	for (int i = 0; i < 20000; i += 7) {
		snprintf(name, sizeof(name), "w.n%d.x%d.test.", i, i % 97);
		ck_assert_int_eq(match(bl, name, NULL), BLOCKLIST_BLOCK);
	}
	ck_assert_int_eq(match(bl, "n20000.x0.test.", NULL), BLOCKLIST_NONE);
	blocklist_unref(bl);
	free(text);
	notes_free(&n);
}
END_TEST

START_TEST(label_counts)
{
	/* suffixes are only looked up for label counts some entry has: each count still found */
	struct notes n = {0};
	struct blocklist *bl = load("tld\na.b.c.d.e.test\n", NULL, &n);
	ck_assert_int_eq(match(bl, "tld.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "x.y.tld.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "a.b.c.d.e.test.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "z.a.b.c.d.e.test.", NULL), BLOCKLIST_BLOCK);
	ck_assert_int_eq(match(bl, "b.c.d.e.test.", NULL), BLOCKLIST_NONE);
	ck_assert_int_eq(match(bl, "tld.x.", NULL), BLOCKLIST_NONE);
	blocklist_unref(bl);
	notes_free(&n);
}
END_TEST

START_TEST(linear_load)
{
	/* Regression: a domain line was scanned with strcspn up to the next blank, which in a
	 * one-domain-per-line file is the end of the file: 200,000 names took 22 s of CPU. Linear
	 * work takes well under a second even under ASan; 5 s is no timing, it is the line
	 * between linear and quadratic. */
	enum { N = 200000 };
	char *text = malloc(40 * N + 1), *p = text;
	for (int i = 0; i < N; i++)
		p += sprintf(p, "ads-%d.tracker-%d.com\n", i, i % 1000);
	struct notes n = {0};
	clock_t t0 = clock();
	struct blocklist *bl = load(text, NULL, &n);
	double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ck_assert_uint_eq(blocklist_counts(bl)->entries, N);
	ck_assert_msg(cpu < 5.0, "%d names took %.1f s of CPU: quadratic", N, cpu);
	blocklist_unref(bl);
	free(text);
	notes_free(&n);
}
END_TEST

static Suite *blocklist_suite(void)
{
	Suite *s = suite_create("blocklist");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, formats);
	tcase_add_test(tc, allow_wins);
	tcase_add_test(tc, rpz);
	tcase_add_test(tc, files);
	tcase_add_test(tc, many);
	tcase_add_test(tc, label_counts);
	suite_add_tcase(s, tc);
	TCase *scale = tcase_create("scale");
	tcase_set_timeout(scale, 60);
	tcase_add_test(scale, linear_load);
	suite_add_tcase(s, scale);
	return s;
}

int main(void)
{
	return check_main_run(blocklist_suite());
}
