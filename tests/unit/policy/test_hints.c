/*
 * test_hints.c -- root hints: the built-in IANA set and hints files (good and broken).
 */
#include "check_main.h"
#include "policy/hints.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write text to a new file under /tmp; its path (static buffer). */
static const char *write_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/test_hints.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char *name_of(const struct hints_server *s)
{
	static char buf[MSG_MAX_NAME * 4 + 1];
	return msg_name_to_str(s->name, s->name_len, buf, sizeof(buf));
}

START_TEST(builtin_iana)
{
	struct hints h;
	char buf[ADDR_STRLEN];
	hints_builtin(&h);
	ck_assert_uint_eq(h.n, 13);
	ck_assert_str_eq(name_of(&h.servers[0]), "a.root-servers.net.");
	ck_assert_str_eq(addr_format(&h.servers[0].addrs[0], buf, sizeof(buf)), "198.41.0.4@53");
	ck_assert_str_eq(name_of(&h.servers[12]), "m.root-servers.net.");
	for (size_t i = 0; i < h.n; i++) {
		ck_assert_uint_eq(h.servers[i].n_addrs, 2); /* every entry of the table parsed */
		ck_assert_int_eq(h.servers[i].addrs[0].ss.ss_family, AF_INET);
		ck_assert_int_eq(h.servers[i].addrs[1].ss.ss_family, AF_INET6);
	}
	/* b.root-servers.net's addresses since 2023-11-27 */
	ck_assert_str_eq(addr_format(&h.servers[1].addrs[0], buf, sizeof(buf)), "170.247.170.2@53");
}
END_TEST

START_TEST(file_loads)
{
	const char *path = write_file("; a fake root on loopback\n"
				      ".                 3600000  NS  NS1.ROOT.TEST.\n"
				      ".                 3600000  NS  ns2.root.test.\n"
				      "NS1.ROOT.TEST.    3600000  A     127.0.0.10\n"
				      "ns1.root.test.    3600000  AAAA  ::1\n"
				      "ns2.root.test.    3600000  A     127.0.0.11\n");
	struct hints h;
	char err[256] = "", buf[ADDR_STRLEN];
	ck_assert_msg(hints_load(&h, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	ck_assert_uint_eq(h.n, 2);
	ck_assert_str_eq(name_of(&h.servers[0]), "ns1.root.test."); /* lower case */
	ck_assert_uint_eq(h.servers[0].n_addrs, 2);
	ck_assert_str_eq(addr_format(&h.servers[0].addrs[0], buf, sizeof(buf)), "127.0.0.10@53");
	ck_assert_str_eq(addr_format(&h.servers[1].addrs[0], buf, sizeof(buf)), "127.0.0.11@53");
}
END_TEST

/* Each broken file: where the error is and what it says. */
START_TEST(file_errors)
{
	static const struct {
		const char *text;
		const char *where; /* ":LINE:" expected, or "" when it is the whole file */
		const char *what;
	} cases[] = {
	    {"; nothing\n", "", "no NS records for the root"},
	    {". NS ns1.root.test.\nns1.root.test. A 127.0.0.10\nexample. NS ns.example.\n",
	     ":3:", "must be the root's"},
	    {"ns1.root.test. A 127.0.0.10\n. NS ns1.root.test.\n",
	     ":1:", "is not one of the root's NS names"},
	    {". NS ns1.root.test.\nns1.root.test. A 127.0.0.10\n. MX 10 mail.test.\n",
	     ":3:", "MX records do not belong in root hints"},
	    {". NS ns1.root.test.\n. NS ns2.root.test.\nns1.root.test. A 127.0.0.10\n", "",
	     "ns2.root.test. has no A or AAAA record"},
	    {". NS ns1.root.test.\nns1.root.test. CH A 127.0.0.10\n", ":2:", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = write_file(cases[i].text);
		struct hints h;
		char err[512] = "";
		ck_assert_msg(hints_load(&h, path, err, sizeof(err)) < 0, "case %zu loaded", i);
		unlink(path);
		ck_assert_uint_eq(h.n, 0);
		ck_assert_msg(strstr(err, path) == err, "case %zu: '%s' does not name the file", i,
			      err);
		ck_assert_msg(strstr(err, cases[i].where), "case %zu: '%s' lacks '%s'", i, err,
			      cases[i].where);
		ck_assert_msg(strstr(err, cases[i].what), "case %zu: '%s' lacks '%s'", i, err,
			      cases[i].what);
	}
}
END_TEST

START_TEST(file_missing)
{
	struct hints h;
	char err[256] = "";
	ck_assert_int_lt(hints_load(&h, "/nonexistent/root.hints", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/root.hints"));
}
END_TEST

static Suite *hints_suite(void)
{
	Suite *s = suite_create("hints");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, builtin_iana);
	tcase_add_test(tc, file_loads);
	tcase_add_test(tc, file_errors);
	tcase_add_test(tc, file_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(hints_suite());
}
