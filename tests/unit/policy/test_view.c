/*
 * test_view.c -- view selection (client prefix, interface, destination, order) and forwarding
 * choice (view upstreams > forward zone > global).
 */
#include "check_main.h"
#include "policy/forward.h"
#include "dns/msg.h"
#include "policy/view.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sockaddr_storage sa(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return ss;
}

static struct prefix pfx(const char *text)
{
	struct prefix p;
	ck_assert_int_eq(prefix_parse(text, &p), 0);
	return p;
}

/* lan: 192.168.1.0/24 + fd00::/8; wg: interface wg0 AND 10.100.0.0/24; dst: to 127.0.0.53 */
static struct prefix lan_clients[2], wg_clients[1], dst_prefix[1];
static char *wg_ifaces[] = {"wg0"};
static struct config_view cviews[4];
static struct view views[4];
static struct view_set vs = {views, 4, true};

static void setup(void)
{
	lan_clients[0] = pfx("192.168.1.0/24");
	lan_clients[1] = pfx("fd00::/8");
	wg_clients[0] = pfx("10.100.0.0/24");
	dst_prefix[0] = pfx("127.0.0.53");
	memset(cviews, 0, sizeof(cviews));
	cviews[0] = (struct config_view){.name = "lan", .clients = lan_clients, .n_clients = 2};
	cviews[1] = (struct config_view){.name = "wg",
					 .clients = wg_clients,
					 .n_clients = 1,
					 .interfaces = wg_ifaces,
					 .n_interfaces = 1};
	cviews[2] =
	    (struct config_view){.name = "dst", .destinations = dst_prefix, .n_destinations = 1};
	cviews[3] = (struct config_view){.name = "other"};
	for (int i = 0; i < 4; i++)
		views[i] = (struct view){.cfg = &cviews[i], .scope = ""};
}

static const char *pick(const char *client, const char *local, const char *ifname)
{
	struct sockaddr_storage c = sa(client), l;
	if (local)
		l = sa(local);
	const struct view *v =
	    view_select(&vs, (struct sockaddr *)&c, local ? (struct sockaddr *)&l : NULL, ifname);
	return v ? v->cfg->name : "(none)";
}

START_TEST(select_by_client)
{
	ck_assert_str_eq(pick("192.168.1.77", "192.168.1.1", "eth0"), "lan");
	ck_assert_str_eq(pick("fd00::5", NULL, NULL), "lan");
	ck_assert_str_eq(pick("192.168.2.1", "192.168.2.1", "eth0"), "other");
	ck_assert_str_eq(pick("::ffff:192.168.1.9", NULL, NULL), "lan"); /* mapped */
}
END_TEST

START_TEST(select_needs_all_criteria)
{
	ck_assert_str_eq(pick("10.100.0.2", "10.100.0.1", "wg0"), "wg");
	/* Right network, wrong interface (spoofed over eth0): not wg. */
	ck_assert_str_eq(pick("10.100.0.2", "10.100.0.1", "eth0"), "other");
	/* Right interface, foreign source: not wg either. */
	ck_assert_str_eq(pick("10.200.0.2", "10.100.0.1", "wg0"), "other");
	ck_assert_str_eq(pick("10.100.0.2", NULL, NULL), "other");
}
END_TEST

START_TEST(select_by_destination)
{
	ck_assert_str_eq(pick("127.0.0.1", "127.0.0.53", "lo"), "dst");
	ck_assert_str_eq(pick("127.0.0.1", "127.0.0.1", "lo"), "other");
}
END_TEST

START_TEST(no_view_matches)
{
	vs.n_views = 3; /* drop the catch-all */
	ck_assert_str_eq(pick("203.0.113.9", "127.0.0.1", "eth0"), "(none)");
	ck_assert_str_eq(pick("192.168.1.77", NULL, NULL), "lan");
	vs.n_views = 4;
}
END_TEST

START_TEST(forward_precedence)
{
	struct addr global[1], corp[1], sub[1], own[1];
	ck_assert_int_eq(addr_parse("192.0.2.1", 53, &global[0]), 0);
	ck_assert_int_eq(addr_parse("192.0.2.2@5300", 53, &corp[0]), 0);
	ck_assert_int_eq(addr_parse("192.0.2.3", 53, &sub[0]), 0);
	ck_assert_int_eq(addr_parse("10.100.0.1@5300", 53, &own[0]), 0);
	struct config_fwd_zone fz[2] = {
	    {.name = "corp.example.", .upstreams = corp, .n_upstreams = 1},
	    {.name = "lab.corp.example.", .upstreams = sub, .n_upstreams = 1}};
	struct config cfg = {.path = "x.yaml",
			     .upstreams = global,
			     .n_upstreams = 1,
			     .fwd_zones = fz,
			     .n_fwd_zones = 2};
	struct forward f;
	char err[256];
	ck_assert_int_eq(forward_init(&f, &cfg, err, sizeof(err)), 0);
	uint8_t n[255];
	size_t nl;
	msg_name_from_str("www.example.org.", n, &nl);
	struct forward_set s = forward_lookup(&f, NULL, n, nl);
	ck_assert(s.n == 1 && addr_equal(&s.addrs[0], &global[0]));
	msg_name_from_str("a.CORP.example.", n, &nl);
	s = forward_lookup(&f, NULL, n, nl);
	ck_assert(s.n == 1 && addr_equal(&s.addrs[0], &corp[0]));
	msg_name_from_str("x.lab.corp.example.", n, &nl);
	s = forward_lookup(&f, NULL, n, nl);
	ck_assert(s.n == 1 && addr_equal(&s.addrs[0], &sub[0]));
	msg_name_from_str("notcorp.example.", n, &nl);
	s = forward_lookup(&f, NULL, n, nl);
	ck_assert(addr_equal(&s.addrs[0], &global[0]));
	struct config_view cv = {.name = "wg", .upstreams = own, .n_upstreams = 1};
	struct view v = {.cfg = &cv, .scope = "wg"};
	msg_name_from_str("a.corp.example.", n, &nl);
	s = forward_lookup(&f, &v, n, nl);
	ck_assert(s.n == 1 && addr_equal(&s.addrs[0], &own[0]));
	forward_close(&f);
}
END_TEST

/* No global upstreams: the rest is resolved from the root; a stub zone's servers iterate. */
START_TEST(no_upstreams_iterates)
{
	struct addr stub[1];
	addr_parse("192.168.1.2", 53, &stub[0]);
	struct config_fwd_zone fz[] = {
	    {.name = "lan.example.", .upstreams = stub, .n_upstreams = 1, .stub = true}};
	struct config cfg = {.path = "x.yaml", .fwd_zones = fz, .n_fwd_zones = 1};
	struct forward f;
	char err[256];
	ck_assert_int_eq(forward_init(&f, &cfg, err, sizeof(err)), 0);
	uint8_t n[255];
	size_t nl;
	msg_name_from_str("www.example.org.", n, &nl);
	struct forward_set s = forward_lookup(&f, NULL, n, nl);
	ck_assert_int_eq(s.rule, FORWARD_ROOT);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(s.zone_len, 1);
	msg_name_from_str("nas.lan.example.", n, &nl);
	s = forward_lookup(&f, NULL, n, nl);
	ck_assert_int_eq(s.rule, FORWARD_STUB);
	ck_assert(s.n == 1 && addr_equal(&s.addrs[0], &stub[0]));
	forward_close(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, select_by_client);
	tcase_add_test(tc, select_needs_all_criteria);
	tcase_add_test(tc, select_by_destination);
	tcase_add_test(tc, no_view_matches);
	tcase_add_test(tc, forward_precedence);
	tcase_add_test(tc, no_upstreams_iterates);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
