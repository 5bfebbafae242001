/*
 * test_addr.c -- addresses and prefixes: parse, format, compare, match, cover.
 */
#include "util/addr.h"
#include "check_main.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *fmt(const struct addr *a)
{
	static char buf[ADDR_STRLEN];
	return addr_format(a, buf, sizeof(buf));
}

static const char *pfmt(const struct prefix *p)
{
	static char buf[ADDR_STRLEN];
	return prefix_format(p, buf, sizeof(buf));
}

static struct sockaddr_storage sa_of(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return ss;
}

static bool match(const char *prefix, const char *ip, const char *ifname)
{
	struct prefix p;
	ck_assert_int_eq(prefix_parse(prefix, &p), 0);
	struct sockaddr_storage ss = sa_of(ip, 53);
	return prefix_match(&p, (struct sockaddr *)&ss, ifname);
}

static bool covers(const char *outer, const char *inner)
{
	struct prefix o, i;
	ck_assert_int_eq(prefix_parse(outer, &o), 0);
	ck_assert_int_eq(prefix_parse(inner, &i), 0);
	return prefix_covers(&o, &i);
}

START_TEST(parse_ipv4)
{
	struct addr a;
	ck_assert_int_eq(addr_parse("192.0.2.1", 53, &a), 0);
	ck_assert_int_eq(a.ss.ss_family, AF_INET);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(addr_port(&a), 53);
	ck_assert_str_eq(a.ifname, "");
	ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&a.ss)->sin_addr.s_addr), 0xc0000201);
	ck_assert_str_eq(fmt(&a), "192.0.2.1@53");

	ck_assert_int_eq(addr_parse("192.0.2.1@5353", 53, &a), 0);
	ck_assert_uint_eq(addr_port(&a), 5353);
	ck_assert_str_eq(fmt(&a), "192.0.2.1@5353");
	ck_assert_int_eq(addr_parse("10.0.0.1@65535", 53, &a), 0);
	ck_assert_uint_eq(addr_port(&a), 65535);
	ck_assert_int_eq(addr_parse("10.0.0.1@1", 53, &a), 0);
	ck_assert_uint_eq(addr_port(&a), 1);
	ck_assert_int_eq(addr_parse("10.0.0.1", 853, &a), 0);
	ck_assert_uint_eq(addr_port(&a), 853);
}
END_TEST

START_TEST(parse_ipv6)
{
	struct addr a;
	ck_assert_int_eq(addr_parse("::1", 53, &a), 0);
	ck_assert_int_eq(a.ss.ss_family, AF_INET6);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in6));
	ck_assert_str_eq(fmt(&a), "::1@53");
	ck_assert(addr_is_loopback(&a));

	ck_assert_int_eq(addr_parse("::1@5353", 53, &a), 0);
	ck_assert_uint_eq(addr_port(&a), 5353);
	ck_assert_int_eq(addr_parse("2620:fe::fe", 53, &a), 0);
	ck_assert_str_eq(fmt(&a), "2620:fe::fe@53");
	ck_assert_uint_eq(((struct sockaddr_in6 *)&a.ss)->sin6_addr.s6_addr[1], 0x20);
	ck_assert_uint_eq(((struct sockaddr_in6 *)&a.ss)->sin6_addr.s6_addr[15], 0xfe);
	ck_assert_int_eq(addr_parse("2001:DB8::1@853", 53, &a), 0);
	ck_assert_str_eq(fmt(&a), "2001:db8::1@853");
}
END_TEST

START_TEST(parse_scope)
{
	struct addr a;
	ck_assert_int_eq(addr_parse("fe80::1%wg0", 53, &a), 0);
	ck_assert_int_eq(a.ss.ss_family, AF_INET6);
	ck_assert_str_eq(a.ifname, "wg0");
	ck_assert_uint_eq(addr_port(&a), 53);
	ck_assert_str_eq(fmt(&a), "fe80::1%wg0@53");

	ck_assert_int_eq(addr_parse("fe80::1%wg0@5300", 53, &a), 0);
	ck_assert_str_eq(a.ifname, "wg0");
	ck_assert_uint_eq(addr_port(&a), 5300);
	ck_assert_str_eq(fmt(&a), "fe80::1%wg0@5300");

	/* An interface that does not exist (yet) keeps scope id 0; lo exists everywhere. */
	ck_assert_int_eq(addr_parse("fe80::1%nosuchif0", 53, &a), 0);
	ck_assert_uint_eq(((struct sockaddr_in6 *)&a.ss)->sin6_scope_id, 0);
	ck_assert_int_eq(addr_parse("fe80::1%lo@53", 53, &a), 0);
	ck_assert_uint_eq(((struct sockaddr_in6 *)&a.ss)->sin6_scope_id, if_nametoindex("lo"));
	ck_assert_uint_ne(((struct sockaddr_in6 *)&a.ss)->sin6_scope_id, 0);
}
END_TEST

START_TEST(parse_rejects)
{
	static const char *const bad[] = {
	    "",
	    "abc",
	    "192.0.2.1@0",
	    "192.0.2.1@65536",
	    "192.0.2.1@",
	    "192.0.2.1@53x",
	    "192.0.2.1@-1",
	    "192.0.2.1%eth0",
	    "192.0.2.256",
	    "1.2.3",
	    "::1@53@54",
	    "fe80::1%",
	    "%wg0",
	    "fe80::1%@53",
	    "fe80::1%a/b",
	    " 192.0.2.1",
	    "192.0.2.1 ",
	    "[::1]:53",
	    "::1@999999",
	    "fe80::1%0123456789abcdef",
	    "gggg::1",
	    "192.0.2.1/24",
	};
	struct addr a;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0x55, sizeof(a));
		ck_assert_msg(addr_parse(bad[i], 53, &a) == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_uint_eq(a.len, 0);
	}
}
END_TEST

START_TEST(equal_wildcard_loopback)
{
	struct addr a, b;
	ck_assert_int_eq(addr_parse("192.0.2.1@53", 0, &a), 0);
	ck_assert_int_eq(addr_parse("192.0.2.1", 53, &b), 0);
	ck_assert(addr_equal(&a, &b));
	ck_assert_int_eq(addr_parse("192.0.2.1@54", 53, &b), 0);
	ck_assert(!addr_equal(&a, &b));
	ck_assert_int_eq(addr_parse("::ffff:192.0.2.1", 53, &b), 0);
	ck_assert(!addr_equal(&a, &b)); /* different families as configured */
	ck_assert_int_eq(addr_parse("fe80::1%wg0", 53, &a), 0);
	ck_assert_int_eq(addr_parse("fe80::1%wg1", 53, &b), 0);
	ck_assert(!addr_equal(&a, &b));
	ck_assert_int_eq(addr_parse("fe80::1", 53, &b), 0);
	ck_assert(addr_equal(&a, &b)); /* one side unscoped: compared without scope */

	ck_assert_int_eq(addr_parse("0.0.0.0", 53, &a), 0);
	ck_assert(addr_is_wildcard(&a));
	ck_assert(!addr_is_loopback(&a));
	ck_assert_int_eq(addr_parse("::", 53, &a), 0);
	ck_assert(addr_is_wildcard(&a));
	ck_assert_int_eq(addr_parse("127.3.4.5", 53, &a), 0);
	ck_assert(addr_is_loopback(&a));
	ck_assert(!addr_is_wildcard(&a));
	ck_assert_int_eq(addr_parse("128.0.0.1", 53, &a), 0);
	ck_assert(!addr_is_loopback(&a));
	ck_assert_int_eq(addr_parse("::2", 53, &a), 0);
	ck_assert(!addr_is_loopback(&a));
}
END_TEST

START_TEST(from_sockaddr)
{
	struct addr a;
	struct sockaddr_storage ss = sa_of("::ffff:198.51.100.7", 4242);
	addr_from_sockaddr(&a, (struct sockaddr *)&ss, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(a.ss.ss_family, AF_INET);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in));
	ck_assert_str_eq(fmt(&a), "198.51.100.7@4242");

	ss = sa_of("2001:db8::5", 53);
	((struct sockaddr_in6 *)&ss)->sin6_scope_id = 7;
	addr_from_sockaddr(&a, (struct sockaddr *)&ss, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(a.ss.ss_family, AF_INET6);
	ck_assert_str_eq(fmt(&a), "2001:db8::5%7@53");

	ss = sa_of("203.0.113.9", 1);
	addr_from_sockaddr(&a, (struct sockaddr *)&ss, sizeof(struct sockaddr_in));
	ck_assert_str_eq(fmt(&a), "203.0.113.9@1");
	/* Too short for its family: not an address. */
	addr_from_sockaddr(&a, (struct sockaddr *)&ss, 4);
	ck_assert_uint_eq(a.len, 0);
}
END_TEST

START_TEST(format_truncates)
{
	struct addr a;
	char small[8];
	ck_assert_int_eq(addr_parse("192.0.2.100@5353", 53, &a), 0);
	ck_assert_str_eq(addr_format(&a, small, sizeof(small)), "192.0.2");
}
END_TEST

START_TEST(prefix_parse_ok)
{
	struct prefix p;
	ck_assert_int_eq(prefix_parse("192.168.1.0/24", &p), 0);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_uint_eq(p.len, 24);
	ck_assert_uint_eq(p.bytes[0], 192);
	ck_assert_uint_eq(p.bytes[2], 1);
	ck_assert_str_eq(pfmt(&p), "192.168.1.0/24");

	ck_assert_int_eq(prefix_parse("10.0.0.5", &p), 0);
	ck_assert_uint_eq(p.len, 32);
	ck_assert_str_eq(pfmt(&p), "10.0.0.5/32");
	ck_assert_int_eq(prefix_parse("0.0.0.0/0", &p), 0);
	ck_assert_uint_eq(p.len, 0);

	ck_assert_int_eq(prefix_parse("fd00::/8", &p), 0);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_uint_eq(p.len, 8);
	ck_assert_uint_eq(p.bytes[0], 0xfd);
	ck_assert_str_eq(pfmt(&p), "fd00::/8");
	ck_assert_int_eq(prefix_parse("::1", &p), 0);
	ck_assert_uint_eq(p.len, 128);

	ck_assert_int_eq(prefix_parse("fe80::/10%wg0", &p), 0);
	ck_assert_uint_eq(p.len, 10);
	ck_assert_str_eq(p.ifname, "wg0");
	ck_assert_str_eq(pfmt(&p), "fe80::/10%wg0");
	ck_assert_int_eq(prefix_parse("fe80::%wg0/10", &p), 0);
	ck_assert_str_eq(pfmt(&p), "fe80::/10%wg0");
	ck_assert_int_eq(prefix_parse("fe80::1%wg0", &p), 0);
	ck_assert_uint_eq(p.len, 128);
	ck_assert_str_eq(p.ifname, "wg0");

	/* IPv4-mapped prefixes become IPv4: mapped clients are matched as IPv4. */
	ck_assert_int_eq(prefix_parse("::ffff:10.0.0.0/104", &p), 0);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_uint_eq(p.len, 8);
	ck_assert_str_eq(pfmt(&p), "10.0.0.0/8");
}
END_TEST

START_TEST(prefix_parse_rejects)
{
	static const char *const bad[] = {
	    "",
	    "192.168.1.1/24",
	    "192.168.1.0/33",
	    "192.168.1.0/",
	    "192.168.1.0/-1",
	    "10.0.0.0/8%eth0",
	    "10.0.0.0%eth0/8",
	    "fd00::1/8",
	    "fd00::/129",
	    "fd00::/1a",
	    "fe80::/10%",
	    "junk",
	    "10.0.0.0/8/8",
	    "/8",
	    "10.0.0.0 /8",
	    "fe80::/10%wg0%wg1",
	};
	struct prefix p;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(prefix_parse(bad[i], &p) == -EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(match_v4_v6)
{
	ck_assert(match("192.168.1.0/24", "192.168.1.77", NULL));
	ck_assert(match("192.168.1.0/24", "192.168.1.0", NULL));
	ck_assert(!match("192.168.1.0/24", "192.168.2.1", NULL));
	ck_assert(match("192.168.1.128/25", "192.168.1.200", NULL));
	ck_assert(!match("192.168.1.128/25", "192.168.1.127", NULL));
	ck_assert(match("10.0.0.5", "10.0.0.5", NULL));
	ck_assert(!match("10.0.0.5", "10.0.0.4", NULL));
	ck_assert(match("0.0.0.0/0", "203.0.113.1", NULL));
	ck_assert(!match("0.0.0.0/0", "2001:db8::1", NULL));

	ck_assert(match("fd00::/8", "fd12:3456::1", NULL));
	ck_assert(!match("fd00::/8", "fe80::1", NULL));
	ck_assert(match("2001:db8::/33", "2001:db8:7fff::1", NULL));
	ck_assert(!match("2001:db8::/33", "2001:db8:8000::1", NULL));
	ck_assert(!match("fd00::/8", "10.0.0.1", NULL));
}
END_TEST

START_TEST(match_mapped)
{
	/* A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d. */
	ck_assert(match("192.168.1.0/24", "::ffff:192.168.1.9", NULL));
	ck_assert(!match("192.168.1.0/24", "::ffff:192.168.2.9", NULL));
	ck_assert(match("::ffff:192.168.1.0/120", "192.168.1.9", NULL));
	ck_assert(!match("::/0", "::ffff:192.168.1.9", NULL));
	ck_assert(match("::/0", "2001:db8::1", NULL));
}
END_TEST

START_TEST(match_scope)
{
	ck_assert(match("fe80::/10%wg0", "fe80::1234", "wg0"));
	ck_assert(!match("fe80::/10%wg0", "fe80::1234", "wg1"));
	ck_assert(!match("fe80::/10%wg0", "fe80::1234", NULL));
	ck_assert(match("fe80::/10", "fe80::1234", "wg1"));
	ck_assert(match("fe80::/10", "fe80::1234", NULL));
	ck_assert(match("fe80::7%wg0", "fe80::7", "wg0"));
	ck_assert(!match("fe80::7%wg0", "fe80::8", "wg0"));
}
END_TEST

START_TEST(covers_prefixes)
{
	ck_assert(covers("192.168.0.0/16", "192.168.1.0/24"));
	ck_assert(covers("192.168.1.0/24", "192.168.1.0/24"));
	ck_assert(covers("192.168.0.0/16", "192.168.3.4"));
	ck_assert(!covers("192.168.1.0/24", "192.168.0.0/16"));
	ck_assert(!covers("192.168.1.0/24", "192.168.2.0/24"));
	ck_assert(covers("0.0.0.0/0", "10.0.0.0/8"));
	ck_assert(!covers("0.0.0.0/0", "fd00::/8"));
	ck_assert(!covers("::/0", "10.0.0.0/8"));
	ck_assert(covers("fd00::/8", "fd00:1::/64"));
	ck_assert(!covers("fd00:1::/64", "fd00::/8"));
	/* Scopes: a scoped outer only covers the same scope; an unscoped outer covers all. */
	ck_assert(covers("fe80::/10%wg0", "fe80::1%wg0"));
	ck_assert(!covers("fe80::/10%wg0", "fe80::1%wg1"));
	ck_assert(!covers("fe80::/10%wg0", "fe80::1"));
	ck_assert(covers("fe80::/10", "fe80::1%wg1"));
}
END_TEST

START_TEST(ifname_valid)
{
	ck_assert(addr_ifname_valid("wg0", 3));
	ck_assert(addr_ifname_valid("enp0s31f6", 9));
	ck_assert(addr_ifname_valid("br-lan.10", 9));
	ck_assert(addr_ifname_valid("0123456789abcde", 15));
	ck_assert(!addr_ifname_valid("0123456789abcdef", 16));
	ck_assert(!addr_ifname_valid("", 0));
	ck_assert(!addr_ifname_valid("a b", 3));
	ck_assert(!addr_ifname_valid("a/b", 3));
	ck_assert(!addr_ifname_valid("eth0:1", 6));
	ck_assert(!addr_ifname_valid(".", 1));
	ck_assert(!addr_ifname_valid("..", 2));
}
END_TEST

static bool priv(const char *text)
{
	uint8_t a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(family, text, a), 1);
	return addr_private(family, a);
}

START_TEST(private_addresses)
{
	const char *yes[] = {"10.0.0.1",  "172.16.0.1",     "172.31.255.255", "192.168.1.1",
			     "127.0.0.1", "0.0.0.0",        "169.254.1.1",    "::",
			     "::1",       "fd00::1",        "fc00::1",        "fe80::1",
			     "febf::1",   "::ffff:10.1.2.3"};
	const char *no[] = {"192.0.2.1",   "172.15.0.1", "172.32.0.1", "100.64.0.1",    "8.8.8.8",
			    "2001:db8::1", "fec0::1",    "::2",        "::ffff:8.8.8.8"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(priv(yes[i]), "%s is private", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!priv(no[i]), "%s is not private", no[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_ipv4);
	tcase_add_test(tc, private_addresses);
	tcase_add_test(tc, parse_ipv6);
	tcase_add_test(tc, parse_scope);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, equal_wildcard_loopback);
	tcase_add_test(tc, from_sockaddr);
	tcase_add_test(tc, format_truncates);
	tcase_add_test(tc, prefix_parse_ok);
	tcase_add_test(tc, prefix_parse_rejects);
	tcase_add_test(tc, match_v4_v6);
	tcase_add_test(tc, match_mapped);
	tcase_add_test(tc, match_scope);
	tcase_add_test(tc, covers_prefixes);
	tcase_add_test(tc, ifname_valid);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
