/*
 * test_leasefile.c -- dnsmasq and Kea lease files: leases with names that have not ended,
 * "*" and empty hostnames, expiry 0, DHCPv6 after dnsmasq's duid line, only a hostname's
 * first label, Kea's last line per address (renewed, released with valid_lifetime 0,
 * declined), and bad lines reported with their numbers.
 */
#include "check_main.h"
#include "dns/leasefile.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define NOW 1800000000

struct got {
	size_t n, bad;
	char text[16][96]; /* "label address expire" */
	size_t bad_line[16];
};

static void on_lease(void *ud, const struct leasefile_lease *l)
{
	struct got *g = ud;
	char a[64];
	inet_ntop(l->family, l->addr, a, sizeof(a));
	if (g->n < 16)
		snprintf(g->text[g->n], sizeof(g->text[0]), "%.*s %s %lld", l->label[0],
			 (const char *)l->label + 1, a, (long long)l->expire);
	g->n++;
}

static void on_bad(void *ud, size_t line, const char *why)
{
	struct got *g = ud;
	(void)why;
	if (g->bad < 16)
		g->bad_line[g->bad] = line;
	g->bad++;
}

static struct got parse(const char *text)
{
	struct got g = {0};
	struct leasefile_cbs cbs = {on_lease, on_bad, &g};
	ck_assert_int_eq(leasefile_parse(text, strlen(text), NOW, &cbs), 0);
	return g;
}

START_TEST(dnsmasq)
{
	struct got g = parse("1800003600 aa:bb:cc:dd:ee:01 192.168.1.10 NAS 01:aa:bb:cc:dd:ee:01\n"
			     "1700000000 aa:bb:cc:dd:ee:02 192.168.1.11 oldphone *\n"
			     "0 aa:bb:cc:dd:ee:03 192.168.1.12 printer.lan *\n"
			     "1800003600 aa:bb:cc:dd:ee:04 192.168.1.13 * *\n"
			     "garbage\n"
			     "1800003600 aa:bb:cc:dd:ee:05 192.168.1.14 bad_name! *\n"
			     "duid 00:01:00:01:2c:5f:aa:bb:cc:dd:ee:ff\n"
			     "1800007200 1234 fd00::10 laptop 00:01:00:01\r\n");
	ck_assert_uint_eq(g.n, 3);
	ck_assert_str_eq(g.text[0], "nas 192.168.1.10 1800003600"); /* lower case */
	ck_assert_str_eq(g.text[1], "printer 192.168.1.12 0");      /* first label, never ends */
	ck_assert_str_eq(g.text[2], "laptop fd00::10 1800007200");  /* DHCPv6 */
	ck_assert_uint_eq(g.bad, 2);
	ck_assert_uint_eq(g.bad_line[0], 5);
	ck_assert_uint_eq(g.bad_line[1], 6);
}
END_TEST

START_TEST(kea)
{
	struct got g = parse(
	    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,"
	    "state,user_context,pool_id\n"
	    "192.168.1.20,aa:01,,3600,1800000100,1,0,0,tv,0,,0\n"
	    "192.168.1.21,aa:02,,3600,1800003600,1,0,0,desk.example.org.,0,,0\n"
	    "192.168.1.20,aa:01,,3600,1800003700,1,0,0,tv,0,,0\n" /* renewed: the last wins */
	    "192.168.1.22,aa:03,,3600,1800003600,1,0,0,gone,0,,0\n"
	    "192.168.1.22,aa:03,,0,1800003600,1,0,0,gone,0,,0\n" /* released */
	    "192.168.1.23,aa:04,,3600,1800003600,1,0,0,declined,1,,0\n"
	    "192.168.1.24,aa:05,,3600,1700000000,1,0,0,expired,0,,0\n"
	    "192.168.1.25,aa:06,,3600,1800003600,1,0,0,,0,,0\n"
	    "not,a,lease\n");
	ck_assert_uint_eq(g.n, 2);
	ck_assert_str_eq(g.text[0], "tv 192.168.1.20 1800003700");
	ck_assert_str_eq(g.text[1], "desk 192.168.1.21 1800003600");
	ck_assert_uint_eq(g.bad, 1);
	ck_assert_uint_eq(g.bad_line[0], 10);
}
END_TEST

START_TEST(kea_header)
{
	struct got g = parse("address,hwaddr,client_id\n192.168.1.20,aa:01,\n");
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(g.bad, 1);
	ck_assert_uint_eq(g.bad_line[0], 1);
	g = parse("");
	ck_assert_uint_eq(g.n + g.bad, 0);
}
END_TEST

static Suite *leasefile_suite(void)
{
	Suite *s = suite_create("leasefile");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, dnsmasq);
	tcase_add_test(tc, kea);
	tcase_add_test(tc, kea_header);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(leasefile_suite());
}
