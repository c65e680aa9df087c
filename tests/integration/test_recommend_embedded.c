/*
 * test_recommend_embedded.c: the recommendation app end to end on the
 * embedded mock cluster with the in-process registry (what the demo
 * runs): 3 partitions, output equal to the oracle's. The mock has no
 * real transactions, so this proves the plumbing, not exactly-once (the
 * real-broker test, test_recommend_e2e, does that).
 */
#include <check.h>
#include <stdlib.h>

#include "test_recommend_run.h"

START_TEST(test_recommend_embedded_matches_oracle)
{
    weir_error_t *err = NULL;
    weir_mock_cluster_t *mc = weir_mock_cluster_new(1, &err);
    ck_assert_msg(mc != NULL, "%s", weir_error_string(err));
    weir_registry_t *reg = weir_registry_memory_new(NULL, &err);
    ck_assert_ptr_nonnull(reg);
    rec_e2e_t e = {
        .bootstrap = weir_mock_cluster_bootstraps(mc),
        .mock = mc,
        .reg = reg,
        .guarantee = "exactly_once_v2",
        .partitions = 3,
        .threads = 1,
        .event_seconds = 60,
        .clicks_per_sec = 5,
        .unknown_every = 13,
    };
    rec_e2e_run(&e);
    weir_registry_destroy(reg);
    weir_mock_cluster_destroy(mc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recommend_embedded");
    TCase *tc = tcase_create("embedded");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_recommend_embedded_matches_oracle);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
