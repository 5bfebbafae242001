/*
 * test_inflight.c -- who gives way when the bound on misses in flight is reached: the oldest
 * low-priority entry, else the oldest entry of the client holding the most; counts per
 * client follow every add, remove and demotion; IPv4-mapped IPv6 is the IPv4 client.
 */
#include "check_main.h"
#include "util/inflight.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static struct sockaddr_storage sa_of(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

START_TEST(heaviest_gives_way)
{
	struct inflight *t = inflight_new();
	struct inflight_slot a[3], b[5], c[1];
	struct sockaddr_storage pa = sa_of("192.168.1.10"), pb = sa_of("192.168.1.66"),
				pc = sa_of("2001:db8::1");
	ck_assert_ptr_null(inflight_victim(t));
	for (int i = 0; i < 3; i++)
		inflight_add(t, &a[i], SA(pa));
	for (int i = 0; i < 5; i++)
		inflight_add(t, &b[i], SA(pb));
	inflight_add(t, &c[0], SA(pc));
	ck_assert_uint_eq(inflight_count(t), 9);
	ck_assert_uint_eq(inflight_count_of(t, SA(pb)), 5);
	/* b holds the most: its oldest goes first, then the next oldest */
	ck_assert_ptr_eq(inflight_victim(t), &b[0]);
	inflight_remove(t, &b[0]);
	ck_assert_ptr_eq(inflight_victim(t), &b[1]);
	inflight_remove(t, &b[1]);
	/* b and a hold 3 each: one of them; then a, holding 3 against b's 2 */
	struct inflight_slot *v = inflight_victim(t);
	ck_assert(v == &a[0] || v == &b[2]);
	inflight_remove(t, &b[2]);
	ck_assert_ptr_eq(inflight_victim(t), &a[0]);
	/* an entry leaving from the middle keeps the order of the rest */
	inflight_remove(t, &a[0]);
	inflight_remove(t, &b[3]);
	inflight_remove(t, &b[4]);
	ck_assert_ptr_eq(inflight_victim(t), &a[1]);
	inflight_remove(t, &a[1]);
	inflight_remove(t, &a[2]);
	ck_assert_uint_eq(inflight_count_of(t, SA(pa)), 0);
	ck_assert_ptr_eq(inflight_victim(t), &c[0]);
	inflight_remove(t, &c[0]);
	ck_assert_uint_eq(inflight_count(t), 0);
	ck_assert_ptr_null(inflight_victim(t));
	inflight_free(t);
}
END_TEST

START_TEST(low_priority_first)
{
	struct inflight *t = inflight_new();
	struct inflight_slot flood[4], pre[2];
	struct sockaddr_storage p = sa_of("10.0.0.9");
	for (int i = 0; i < 4; i++)
		inflight_add(t, &flood[i], SA(p));
	inflight_add(t, &pre[0], NULL);
	ck_assert_ptr_eq(inflight_victim(t), &pre[0]);
	/* an answered (stale) request becomes low priority behind the prefetch */
	inflight_demote(t, &flood[2]);
	ck_assert_uint_eq(inflight_count_of(t, SA(p)), 3);
	ck_assert_uint_eq(inflight_count_of(t, NULL), 2);
	ck_assert_uint_eq(inflight_count(t), 5);
	inflight_remove(t, &pre[0]);
	ck_assert_ptr_eq(inflight_victim(t), &flood[2]);
	inflight_remove(t, &flood[2]);
	ck_assert_ptr_eq(inflight_victim(t), &flood[0]);
	inflight_add(t, &pre[1], NULL);
	ck_assert_ptr_eq(inflight_victim(t), &pre[1]);
	inflight_remove(t, &pre[1]);
	inflight_remove(t, &flood[0]);
	inflight_remove(t, &flood[1]);
	inflight_remove(t, &flood[3]);
	ck_assert_uint_eq(inflight_count(t), 0);
	inflight_free(t);
}
END_TEST

START_TEST(mapped_is_ipv4)
{
	struct inflight *t = inflight_new();
	struct inflight_slot s[2];
	struct sockaddr_storage v4 = sa_of("192.0.2.7"), mapped = sa_of("::ffff:192.0.2.7"),
				other = sa_of("2001:db8::7");
	inflight_add(t, &s[0], SA(v4));
	inflight_add(t, &s[1], SA(mapped));
	ck_assert_uint_eq(inflight_count_of(t, SA(v4)), 2);
	ck_assert_uint_eq(inflight_count_of(t, SA(other)), 0);
	inflight_remove(t, &s[0]);
	inflight_remove(t, &s[1]);
	inflight_free(t);
}
END_TEST

/* Many clients, one flooding: the flood gives way every time, the others are never chosen. */
START_TEST(flood_never_pushes_others)
{
	enum { CLIENTS = 300, BOUND = 1000, FLOOD = 20000 };
	static struct inflight_slot others[CLIENTS], flood[FLOOD];
	struct inflight *t = inflight_new();
	for (int i = 0; i < CLIENTS; i++) {
		char text[32];
		snprintf(text, sizeof(text), "fd00::%x", i + 1);
		struct sockaddr_storage p = sa_of(text);
		inflight_add(t, &others[i], SA(p));
	}
	struct sockaddr_storage fp = sa_of("192.168.1.99");
	for (int i = 0; i < FLOOD; i++) {
		if (inflight_count(t) >= BOUND) {
			struct inflight_slot *v = inflight_victim(t);
			ck_assert(v >= flood && v < flood + FLOOD);
			inflight_remove(t, v);
		}
		inflight_add(t, &flood[i], SA(fp));
	}
	ck_assert_uint_eq(inflight_count_of(t, SA(fp)), BOUND - CLIENTS);
	ck_assert_ptr_eq(inflight_victim(t), &flood[FLOOD - (BOUND - CLIENTS)]);
	while (inflight_victim(t))
		inflight_remove(t, inflight_victim(t));
	ck_assert_uint_eq(inflight_count(t), 0);
	inflight_free(t);
}
END_TEST

static Suite *inflight_suite(void)
{
	Suite *s = suite_create("inflight");
	TCase *tc = tcase_create("inflight");
	tcase_add_test(tc, heaviest_gives_way);
	tcase_add_test(tc, low_priority_first);
	tcase_add_test(tc, mapped_is_ipv4);
	tcase_add_test(tc, flood_never_pushes_others);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(inflight_suite());
}
