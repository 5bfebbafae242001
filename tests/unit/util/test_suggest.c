/*
 * test_suggest.c -- the edit distance behind "did you mean": insertions, deletions,
 * substitutions and swapped neighbours each count one; the nearness threshold grows with the
 * word's length.
 */
#include "check_main.h"
#include "util/suggest.h"

#include <check.h>

START_TEST(distance)
{
	ck_assert_int_eq(suggest_distance("listen", "listen"), 0);
	ck_assert_int_eq(suggest_distance("listne", "listen"), 1);              /* swap */
	ck_assert_int_eq(suggest_distance("match-client", "match-clients"), 1); /* insertion */
	ck_assert_int_eq(suggest_distance("zoness", "zones"), 1);               /* deletion */
	ck_assert_int_eq(suggest_distance("vuews", "views"), 1);                /* substitution */
	ck_assert_int_eq(suggest_distance("", "abc"), 3);
	ck_assert_int_eq(suggest_distance("kitten", "sitting"), 3);
	char long_word[80];
	for (int i = 0; i < 79; i++)
		long_word[i] = 'a';
	long_word[79] = '\0';
	ck_assert_int_eq(suggest_distance(long_word, "a"), 99);
}
END_TEST

START_TEST(near)
{
	ck_assert(suggest_near("listne", "listen"));
	ck_assert(suggest_near("tcp-idle-timout", "tcp-idle-timeout"));
	ck_assert(suggest_near("upstream", "upstreams"));
	/* Short words: one step only, or everything would suggest everything. */
	ck_assert(suggest_near("siz", "size"));
	ck_assert(!suggest_near("foo", "zones"));
	ck_assert(!suggest_near("ab", "cd"));
	/* Two steps from five letters on, three from ten. */
	ck_assert(suggest_near("lsten", "listen") && suggest_near("lisetn", "listen"));
	ck_assert(!suggest_near("user", "users-x"));
	ck_assert(suggest_near("match-clint", "match-clients"));
	ck_assert(!suggest_near("serve-stale", "server"));
}
END_TEST

static Suite *suggest_suite(void)
{
	Suite *s = suite_create("suggest");
	TCase *tc = tcase_create("suggest");
	tcase_add_test(tc, distance);
	tcase_add_test(tc, near);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main_run(suggest_suite());
}
