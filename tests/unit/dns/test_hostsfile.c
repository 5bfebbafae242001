/*
 * test_hostsfile.c -- /etc/hosts lines (addresses, names, comments, what makes a line bad)
 * and the names of text files (case, final dot, labels and lengths).
 */
#include "check_main.h"
#include "dns/hostsfile.h"

#include <check.h>
#include <string.h>
#include <sys/socket.h>

static enum hostsfile_kind parse(const char *text, struct hostsfile_line *l)
{
	return hostsfile_parse_line(text, strlen(text), l);
}

START_TEST(lines)
{
	struct hostsfile_line l;
	ck_assert_int_eq(parse("", &l), HOSTSFILE_BLANK);
	ck_assert_int_eq(parse("   \t\r", &l), HOSTSFILE_BLANK);
	ck_assert_int_eq(parse("# 1.2.3.4 x", &l), HOSTSFILE_BLANK);
	ck_assert_int_eq(parse("192.168.1.20 printer.home.arpa Printer # x\r", &l),
			 HOSTSFILE_ENTRY);
	ck_assert_int_eq(l.family, AF_INET);
	ck_assert_mem_eq(l.addr, "\xc0\xa8\x01\x14", 4);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.name_len[0], 19);
	ck_assert_mem_eq(l.name[0], "\7printer\4home\4arpa", 19);
	ck_assert_mem_eq(l.name[1], "\7printer", 9); /* lower case, absolute */
	ck_assert_int_eq(parse("fd00::20\tx.", &l), HOSTSFILE_ENTRY);
	ck_assert_int_eq(l.family, AF_INET6);
	ck_assert_uint_eq(l.addr[0], 0xfd);
	ck_assert_int_eq(parse("192.168.1.21", &l), HOSTSFILE_BAD);      /* no name */
	ck_assert_int_eq(parse("nas 192.168.1.21", &l), HOSTSFILE_BAD);  /* no address */
	ck_assert_int_eq(parse("1.2.3.4 bad..name", &l), HOSTSFILE_BAD); /* empty label */
	ck_assert_int_eq(parse("1.2.3.4 a/b", &l), HOSTSFILE_BAD);       /* not a host name */
	ck_assert_int_eq(parse("fe80::1%eth0 x", &l), HOSTSFILE_BAD);    /* a scope is no address */
	ck_assert_int_eq(parse("1.2.3.4 a#comment", &l), HOSTSFILE_ENTRY); /* comment right after */
	ck_assert_uint_eq(l.n, 1);
}
END_TEST

START_TEST(many_names)
{
	char text[4096] = "10.0.0.1";
	struct hostsfile_line l;
	for (int i = 0; i < HOSTSFILE_MAX_NAMES; i++)
		strcat(text, " n");
	ck_assert_int_eq(parse(text, &l), HOSTSFILE_ENTRY);
	ck_assert_uint_eq(l.n, HOSTSFILE_MAX_NAMES);
	strcat(text, " n");
	ck_assert_int_eq(parse(text, &l), HOSTSFILE_BAD);
}
END_TEST

START_TEST(names)
{
	uint8_t w[255];
	ck_assert_uint_eq(hostsfile_name("Ads.Example.COM.", 16, w), 17);
	ck_assert_mem_eq(w, "\3ads\7example\3com", 17);
	ck_assert_uint_eq(hostsfile_name("a_b-c", 5, w), 7);
	ck_assert_uint_eq(hostsfile_name("", 0, w), 0);
	ck_assert_uint_eq(hostsfile_name(".", 1, w), 0);
	ck_assert_uint_eq(hostsfile_name(".a", 2, w), 0);
	ck_assert_uint_eq(hostsfile_name("a*b", 3, w), 0);
	char label[70];
	memset(label, 'x', 64);
	ck_assert_uint_eq(hostsfile_name(label, 63, w), 65);
	ck_assert_uint_eq(hostsfile_name(label, 64, w), 0); /* a label of 64 */
	char longname[300];
	for (int i = 0; i < 127; i++)
		memcpy(longname + 2 * i, "a.", 2);
	ck_assert_uint_eq(hostsfile_name(longname, 253, w), 255); /* 127 labels: 255 bytes */
	ck_assert_uint_eq(hostsfile_name(longname, 254, w), 255); /* ... with the final dot */
	longname[254] = 'b';
	ck_assert_uint_eq(hostsfile_name(longname, 255, w), 0); /* one more: too long */
}
END_TEST

static Suite *hostsfile_suite(void)
{
	Suite *s = suite_create("hostsfile");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, lines);
	tcase_add_test(tc, many_names);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(hostsfile_suite());
}
