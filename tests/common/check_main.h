/*
 * check_main.h -- the main() of every Check unit test: run one suite, exit with its verdict.
 *
 * Each tests/unit/test_<file>.c builds its Suite and ends with
 *   int main(void) { return check_main_run(file_suite()); }
 * The runner prints Check's usual report (CK_NORMAL: a summary line, one line per failure),
 * honours Check's environment (CK_FORK, CK_RUN_CASE, CK_VERBOSITY...) and the exit status is
 * what ctest reads: EXIT_SUCCESS when no test failed or erred, EXIT_FAILURE otherwise.
 */
#ifndef MEGDNS_TESTS_CHECK_MAIN_H
#define MEGDNS_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run every test of s (which the runner then owns and frees); the process's exit status. */
static inline int check_main_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
