/*
 * test_recommend_e2e.c: the recommendation app end to end on the real
 * broker and registry of the harness (issue 7's end-to-end test): a
 * fixed-seed workload of 90 s of event time produced faster than real
 * time into 3 partitions through the real registry (Confluent framing),
 * the app under exactly_once_v2 (one and two threads) and at_least_once,
 * and its output read read_committed equal to the oracle's, record for
 * record; and under exactly_once_v2 with the first instance killed
 * (SIGKILL) midway and a second one finishing, on the same state.dir or
 * on an empty one: still every record exactly once.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "test_recommend_run.h"

static void run_killed(const char *guarantee, int threads, size_t kill_after,
                       bool fresh_state)
{
    weir_error_t *err = NULL;
    weir_conf_t *rconf = weir_conf_new();
    ck_assert_ptr_null(
        weir_conf_set(rconf, "schema.registry.url", weir_test_registry()));
    weir_registry_t *reg = weir_registry_http_new(rconf, &err);
    weir_conf_destroy(rconf);
    ck_assert_msg(reg != NULL, "%s", weir_error_string(err));
    rec_e2e_t e = {
        .bootstrap = weir_test_bootstrap(),
        .reg = reg,
        .guarantee = guarantee,
        .partitions = 3,
        .threads = threads,
        .event_seconds = 90,
        .clicks_per_sec = 5,
        .unknown_every = 13,
        .kill_after = kill_after,
        .restart_fresh_state = fresh_state,
    };
    rec_e2e_run(&e);
    weir_registry_destroy(reg);
}

static void run(const char *guarantee, int threads)
{
    run_killed(guarantee, threads, 0, false);
}

START_TEST(test_recommend_e2e_exactly_once)
{
    run("exactly_once_v2", 1);
}
END_TEST

START_TEST(test_recommend_e2e_exactly_once_two_threads)
{
    run("exactly_once_v2", 2);
}
END_TEST

START_TEST(test_recommend_e2e_at_least_once)
{
    run("at_least_once", 1);
}
END_TEST

START_TEST(test_recommend_e2e_exactly_once_across_sigkill)
{
    /* Killed after 30 of ~450 recommendations; the restart on the same
     * state.dir must add exactly the missing ones. */
    run_killed("exactly_once_v2", 1, 30, false);
}
END_TEST

START_TEST(test_recommend_e2e_exactly_once_across_sigkill_new_machine)
{
    run_killed("exactly_once_v2", 2, 30, true);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recommend_e2e");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_recommend_e2e_exactly_once);
    tcase_add_test(tc, test_recommend_e2e_exactly_once_two_threads);
    tcase_add_test(tc, test_recommend_e2e_at_least_once);
    tcase_add_test(tc, test_recommend_e2e_exactly_once_across_sigkill);
    tcase_add_test(tc,
                   test_recommend_e2e_exactly_once_across_sigkill_new_machine);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
