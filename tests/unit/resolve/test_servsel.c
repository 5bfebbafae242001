/*
 * test_servsel.c -- unit tests for servsel.c: tiers through a server's life, the order of a
 * server list (a server that only ever timed out never ranks ahead of one that answers, also
 * after its hold-down), which server is probed alongside the best one, RTT smoothing and the
 * retransmit timeout.
 */
#include "check_main.h"
#include "resolve/servsel.h"

#include <check.h>
#include <stdlib.h>

START_TEST(tiers_over_a_life)
{
	struct servsel s = {0};
	ck_assert_int_eq(servsel_tier(&s, 1000), SERVSEL_UNTRIED);
	servsel_answered(&s, 2000);
	ck_assert_int_eq(servsel_tier(&s, 1000), SERVSEL_GOOD);
	servsel_failed(&s, 5000);
	ck_assert_int_eq(servsel_tier(&s, 5000), SERVSEL_DOWN);
	ck_assert_int_eq(servsel_tier(&s, 5000 + SERVSEL_HOLD_DOWN - 1), SERVSEL_DOWN);
	ck_assert_int_eq(servsel_tier(&s, 5000 + SERVSEL_HOLD_DOWN), SERVSEL_RETRY);
	servsel_answered(&s, 2000);
	ck_assert_int_eq(servsel_tier(&s, 5000), SERVSEL_GOOD);
	ck_assert_uint_eq(s.fails, 0);
}
END_TEST

/* The defect: a never-answered server ranked as "unknown", ahead of a good one, once its
 * hold-down was over, so the first query after every hold-down waited for it. */
START_TEST(timed_out_server_is_not_untried)
{
	struct servsel hole = {0}, good = {0};
	servsel_failed(&hole, 1000);
	servsel_answered(&good, 300);
	const struct servsel *s[2] = {&hole, &good};
	size_t order[2];
	uint64_t later = 1000 + SERVSEL_HOLD_DOWN + 1;
	ck_assert_int_eq(servsel_tier(&hole, later), SERVSEL_RETRY);
	servsel_order(s, 2, 2000, order);
	ck_assert_uint_eq(order[0], 1);
	servsel_order(s, 2, later, order);
	ck_assert_uint_eq(order[0], 1);
	ck_assert_uint_eq(order[1], 0);
	/* ...and it is the one probed alongside the good server. */
	ck_assert_uint_eq(servsel_probe(s, order, 2, later), 1);
	ck_assert_uint_eq(servsel_probe(s, order, 2, 2000), 2); /* still in hold-down */
}
END_TEST

START_TEST(order_by_tier_then_rtt)
{
	struct servsel slow = {0}, fast = {0}, untried = {0}, down1 = {0}, down2 = {0}, retry = {0};
	servsel_answered(&slow, 90000);
	servsel_answered(&fast, 1000);
	servsel_failed(&down1, 500);
	servsel_failed(&down2, 400);
	servsel_failed(&retry, 0);
	uint64_t now = SERVSEL_HOLD_DOWN + 100;
	const struct servsel *s[6] = {&down1, &untried, &retry, &slow, &down2, &fast};
	size_t order[6];
	servsel_order(s, 6, now, order);
	size_t want[6] = {5, 3, 1,
			  2, 4, 0}; /* fast, slow, untried, retry, down2 (ends first), down1 */
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(order[i], want[i]);
}
END_TEST

START_TEST(equal_servers_keep_config_order)
{
	struct servsel a = {0}, b = {0}, c = {0};
	const struct servsel *s[3] = {&a, &b, &c};
	size_t order[3];
	servsel_order(s, 3, 0, order);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(order[i], i);
	servsel_order(s, 0, 0, order); /* an empty list is fine */
}
END_TEST

START_TEST(probe_choice)
{
	struct servsel good = {0}, untried = {0}, retry = {0}, down = {0};
	servsel_answered(&good, 500);
	servsel_failed(&retry, 0);
	servsel_failed(&down, 5000);
	uint64_t now = SERVSEL_HOLD_DOWN + 1;
	const struct servsel *s[4] = {&good, &down, &retry, &untried};
	size_t order[4];
	servsel_order(s, 4, now, order); /* good, untried, retry, down */
	ck_assert_uint_eq(order[1], 3);
	ck_assert_uint_eq(servsel_probe(s, order, 4, now), 1); /* the untried one */
	untried.probing = true;
	ck_assert_uint_eq(servsel_probe(s, order, 4, now), 2); /* then the retry one */
	retry.probing = true;
	ck_assert_uint_eq(servsel_probe(s, order, 4, now), 4); /* a DOWN server is never probed */
	/* Without a GOOD server first, the attempts themselves reach the others. */
	const struct servsel *t[2] = {&untried, &retry};
	untried.probing = retry.probing = false;
	servsel_order(t, 2, now, order);
	ck_assert_uint_eq(servsel_probe(t, order, 2, now), 2);
	ck_assert_uint_eq(servsel_probe(t, order, 0, now), 0);
}
END_TEST

START_TEST(rtt_smoothing)
{
	struct servsel s = {0};
	servsel_answered(&s, 8000);
	ck_assert_uint_eq(s.srtt_us, 8000);
	ck_assert_uint_eq(s.rttvar_us, 4000);
	servsel_answered(&s, 16000);
	ck_assert_uint_eq(s.srtt_us, 9000);   /* 7/8 * 8000 + 1/8 * 16000 */
	ck_assert_uint_eq(s.rttvar_us, 5000); /* 3/4 * 4000 + 1/4 * 8000 */
	servsel_answered(&s, UINT64_MAX / 2); /* absurd sample: clamped, no overflow */
	ck_assert_uint_gt(s.srtt_us, 9000);
	ck_assert_uint_lt(s.srtt_us, UINT32_MAX / 4);
}
END_TEST

START_TEST(rto)
{
	struct servsel s = {0};
	ck_assert_uint_eq(servsel_rto(&s, 1500), 1500); /* never heard from: the full timeout */
	servsel_answered(&s, 100);                      /* loopback */
	ck_assert_uint_eq(servsel_rto(&s, 1500), SERVSEL_MIN_RTO);
	struct servsel far = {0};
	servsel_answered(&far, 100000); /* 100 ms, var 50 ms: (100 + 200) * 2 + 150 */
	ck_assert_uint_eq(servsel_rto(&far, 1500), 750);
	ck_assert_uint_eq(servsel_rto(&far, 500), 500); /* never above the configured timeout */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("servsel");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, tiers_over_a_life);
	tcase_add_test(tc, timed_out_server_is_not_untried);
	tcase_add_test(tc, order_by_tier_then_rtt);
	tcase_add_test(tc, equal_servers_keep_config_order);
	tcase_add_test(tc, probe_choice);
	tcase_add_test(tc, rtt_smoothing);
	tcase_add_test(tc, rto);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
