/*
 * test_forward.c -- which upstreams serve a name, and which names an upstream is not trusted
 * for because a forward zone below its bailiwick has upstreams of its own.
 */
#include "check_main.h"
#include "policy/forward.h"
#include "dns/msg.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct addr global[1], corp[1], ex[1], corpcom[1];
static struct config_fwd_zone zones[3] = {
    {.name = "corp.example.", .upstreams = corp, .n_upstreams = 1},
    {.name = "example.com.", .upstreams = ex, .n_upstreams = 1},
    {.name = "corp.example.com.", .upstreams = corpcom, .n_upstreams = 1},
};
static struct forward fwd;

static void setup(void)
{
	static struct config cfg;
	char err[256];
	ck_assert_int_eq(addr_parse("127.0.0.30", 53, &global[0]), 0);
	ck_assert_int_eq(addr_parse("127.0.0.32", 53, &corp[0]), 0);
	ck_assert_int_eq(addr_parse("127.0.0.33", 53, &ex[0]), 0);
	ck_assert_int_eq(addr_parse("127.0.0.34", 53, &corpcom[0]), 0);
	cfg.path = "test.yaml";
	cfg.upstreams = global;
	cfg.n_upstreams = 1;
	cfg.fwd_zones = zones;
	cfg.n_fwd_zones = 3;
	ck_assert_int_eq(forward_init(&fwd, &cfg, err, sizeof(err)), 0);
}

static void teardown(void)
{
	forward_close(&fwd);
}

/* Is name elsewhere for the upstreams of a question for qname, in view v? */
static bool elsewhere(const struct view *v, const char *qname, const char *name)
{
	uint8_t q[MSG_MAX_NAME], n[MSG_MAX_NAME];
	size_t qlen, nlen;
	ck_assert_int_eq(msg_name_from_str(qname, q, &qlen), 0);
	ck_assert_int_eq(msg_name_from_str(name, n, &nlen), 0);
	struct forward_set asked = forward_lookup(&fwd, v, q, qlen);
	return forward_elsewhere(&fwd, v, &asked, asked.zone, asked.zone_len, n, nlen);
}

START_TEST(global_upstream_and_forward_zones)
{
	/* The global upstream (root bailiwick) is trusted for no forward zone's names. */
	ck_assert(elsewhere(NULL, "a.evil.test.", "secret.corp.example."));
	ck_assert(elsewhere(NULL, "a.evil.test.", "corp.example."));
	ck_assert(elsewhere(NULL, "a.evil.test.", "x.corp.example.com."));
	ck_assert(elsewhere(NULL, "a.evil.test.", "example.com."));
	ck_assert(!elsewhere(NULL, "a.evil.test.", "www.bank.test."));
	ck_assert(!elsewhere(NULL, "a.evil.test.", "example."));
	ck_assert(!elsewhere(NULL, "a.evil.test.", "other.example."));
}
END_TEST

START_TEST(nested_forward_zones)
{
	/* example.com.'s upstream: its own names, not those of corp.example.com. */
	ck_assert(!elsewhere(NULL, "web.example.com.", "www.example.com."));
	ck_assert(!elsewhere(NULL, "web.example.com.", "example.com."));
	ck_assert(elsewhere(NULL, "web.example.com.", "x.corp.example.com."));
	ck_assert(elsewhere(NULL, "web.example.com.", "corp.example.com."));
	/* corp.example.com.'s upstream is trusted for all of its zone. */
	ck_assert(!elsewhere(NULL, "x.corp.example.com.", "y.corp.example.com."));
}
END_TEST

START_TEST(ds_at_a_forward_zone_apex)
{
	/* A DS for corp.example.com. goes to its upstream with the bailiwick of the zone above
	 * (fetch_bailiwick): that zone is not cut out, nor the forward zone asked. */
	uint8_t n[MSG_MAX_NAME], z[MSG_MAX_NAME];
	size_t nlen, zlen;
	ck_assert_int_eq(msg_name_from_str("corp.example.com.", n, &nlen), 0);
	ck_assert_int_eq(msg_name_from_str("example.com.", z, &zlen), 0);
	struct forward_set asked = forward_lookup(&fwd, NULL, n, nlen);
	ck_assert_uint_eq(asked.zone_len, nlen);
	ck_assert(!forward_elsewhere(&fwd, NULL, &asked, z, zlen, n, nlen));
	ck_assert(!forward_elsewhere(&fwd, NULL, &asked, z, zlen, z, zlen));
}
END_TEST

START_TEST(view_with_its_own_upstreams)
{
	/* A view's own upstreams serve every name: nothing is elsewhere for them. */
	static struct config_view vc = {.name = "wg", .upstreams = global, .n_upstreams = 1};
	struct view v = {.cfg = &vc, .scope = "wg"};
	ck_assert(!elsewhere(&v, "a.evil.test.", "secret.corp.example."));
	ck_assert(!elsewhere(&v, "web.example.com.", "x.corp.example.com."));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forward");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, global_upstream_and_forward_zones);
	tcase_add_test(tc, nested_forward_zones);
	tcase_add_test(tc, ds_at_a_forward_zone_apex);
	tcase_add_test(tc, view_with_its_own_upstreams);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
