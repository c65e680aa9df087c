/*
 * test_dsl_sliding.c: sliding windows through the test driver, on the
 * in-memory and the RocksDB stores, against hand-computed results: the
 * windows Kafka Streams' KStreamSlidingWindowAggregate makes for records
 * at 10, 15 and 20 with diff 10 ([0,10]=1 [5,15]=2 [10,20]=3 [11,21]=2
 * [16,26]=1), the same windows when the records come out of order,
 * windows closing one by one with no grace (later windows built from
 * emitted ones), grace, late records dropped and counted, aggregates
 * carried into new windows, final results emitted once across a restart
 * on the same RocksDB stores, invalid windows, and random input (disorder
 * within the grace) against windows computed from scratch.
 *
 * Results read "key[start,end]=count@timestamp;" (ends inclusive).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/dsl.h>
#include <weir/test_driver.h>

#include "test_dsl_windows_support.h"

/* What Kafka Streams gives for records at 10, 15, 20 with diff 10. */
#define KS_EXAMPLE \
    "k[0,10]=1@10;k[5,15]=2@15;k[10,20]=3@20;k[11,21]=2@21;k[16,26]=1@26;"

START_TEST(test_dsl_sliding_kafka_streams_example)
{
    /* Grace 100: nothing closes before the far record. */
    weir_test_driver_t *drv = wt_driver(
        wt_sliding_count(weir_sliding_windows(10, 100)), _i);
    wt_pipe(drv, "k", "v", 10);
    wt_pipe(drv, "k", "v", 15);
    wt_pipe(drv, "k", "v", 20);
    ck_assert_str_eq(wt_results(drv, true), "");
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true), KS_EXAMPLE);
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_sliding_out_of_order_same_windows)
{
    weir_test_driver_t *drv = wt_driver(
        wt_sliding_count(weir_sliding_windows(10, 100)), _i);
    wt_pipe(drv, "k", "v", 10);
    wt_pipe(drv, "k", "v", 20);
    /* 15 updates [10,20] and [11,21], makes its left window [5,15] from
     * [0,10] and its right window [16,26] from [11,21]. */
    wt_pipe(drv, "k", "v", 15);
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true), KS_EXAMPLE);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_sliding_closes_one_by_one)
{
    /* No grace: [s, s + 10] closes once stream time > s + 10. */
    weir_test_driver_t *drv = wt_driver(
        wt_sliding_count(weir_sliding_windows(10, 0)), _i);
    wt_pipe(drv, "k", "v", 10);
    ck_assert_str_eq(wt_results(drv, true), "");
    wt_pipe(drv, "k", "v", 15);
    ck_assert_str_eq(wt_results(drv, true), "k[0,10]=1@10;");
    /* [5,15] closes too, and [10,20] still starts from it. */
    wt_pipe(drv, "k", "v", 20);
    ck_assert_str_eq(wt_results(drv, true), "k[5,15]=2@15;");
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true),
                     "k[10,20]=3@20;k[11,21]=2@21;k[16,26]=1@26;");
    wt_pipe(drv, "z", "v", 2000);
    ck_assert_str_eq(wt_results(drv, true), "z[990,1000]=1@1000;");
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_sliding_emitted_window_feeds_later_one)
{
    weir_test_driver_t *drv = wt_driver(
        wt_sliding_count(weir_sliding_windows(10, 0)), _i);
    wt_pipe(drv, "k", "v", 100);
    wt_pipe(drv, "k", "v", 108);
    ck_assert_str_eq(wt_results(drv, true), "k[90,100]=1@100;");
    /* At 112 [98,108] and [101,111] have closed too; [102,112] holds 108
     * and 112, and starts from [101,111]. */
    wt_pipe(drv, "k", "v", 112);
    ck_assert_str_eq(wt_results(drv, true),
                     "k[98,108]=2@108;k[101,111]=1@111;");
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true),
                     "k[102,112]=2@112;k[109,119]=1@119;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_sliding_late_records_dropped)
{
    weir_test_driver_t *drv = wt_driver(
        wt_sliding_count(weir_sliding_windows(10, 0)), _i);
    wt_pipe(drv, "k", "v", 100);
    /* Every window holding 89 ends by 99 < stream time 100: late. */
    wt_pipe(drv, "k", "v", 89);
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 1);
    /* 90 is in [90,100], still open; its own left window [80,90] has
     * closed, its right window [91,101] holds 100. */
    wt_pipe(drv, "k", "v", 90);
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 1);
    /* j has no window holding 95 but its left window, closed: late. */
    wt_pipe(drv, "j", "v", 95);
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 2);
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true),
                     "k[90,100]=2@100;k[91,101]=1@101;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_sliding_grace)
{
    weir_test_driver_t *drv = wt_driver(
        wt_sliding_count(weir_sliding_windows(10, 5)), _i);
    wt_pipe(drv, "k", "v", 100);
    wt_pipe(drv, "z", "v", 105); /* [90,100] open until stream time 106 */
    wt_pipe(drv, "k", "v", 92);  /* out of order, within grace */
    ck_assert_str_eq(wt_results(drv, true), "");
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
    wt_pipe(drv, "z", "v", 106);
    ck_assert_str_eq(wt_results(drv, true), "k[90,100]=2@100;");
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true),
                     "k[93,103]=1@103;z[95,105]=1@105;z[96,106]=2@106;"
                     "z[106,116]=1@116;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_sliding_aggregate_carries_records)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kwindowed_t *w = weir_kgrouped_sliding_windowed_by(
        weir_kstream_group_by_key(
            weir_stream(topo, "in", weir_serde_string(), weir_serde_string())),
        weir_sliding_windows(10, 100));
    weir_kstream_to(weir_kwindowed_aggregate(w, wt_init_empty, wt_append, NULL,
                                             weir_serde_string(), "strs"),
                    "out", NULL, NULL);
    weir_test_driver_t *drv = wt_driver(topo, _i);
    wt_pipe(drv, "k", "a", 10);
    wt_pipe(drv, "k", "c", 20);
    wt_pipe(drv, "k", "b", 15);
    wt_pipe(drv, "z", "-", 1000);
    /* Each window holds exactly its records, folded in arrival order. */
    ck_assert_str_eq(wt_results(drv, false),
                     "k[0,10]=a@10;k[5,15]=ab@15;k[10,20]=acb@20;"
                     "k[11,21]=cb@21;k[16,26]=c@26;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_sliding_restart_emits_nothing_twice)
{
    weir_test_driver_t *drv = wt_driver(
        wt_sliding_count(weir_sliding_windows(10, 0)), WT_ROCKSDB);
    wt_pipe(drv, "k", "v", 10);
    wt_pipe(drv, "k", "v", 15);
    wt_pipe(drv, "k", "v", 20);
    ck_assert_str_eq(wt_results(drv, true), "k[0,10]=1@10;k[5,15]=2@15;");
    weir_test_driver_destroy(drv);

    /* The same stores: [0,10] and [5,15] are there, flagged as emitted,
     * and stay quiet even though the new task's stream time starts over
     * (at 12, [5,15] is open by time alone; it is not updated). */
    drv = wt_driver(wt_sliding_count(weir_sliding_windows(10, 0)), WT_ROCKSDB);
    wt_pipe(drv, "k", "v", 12);
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true),
                     "k[2,12]=2@12;k[10,20]=4@20;k[11,21]=3@21;"
                     "k[13,23]=2@23;k[16,26]=1@26;");
    weir_test_driver_destroy(drv);
}
END_TEST

/* Whether @p s is already in @p starts[0..n). */
static bool seen(const int64_t *starts, int n, int64_t s)
{
    for (int i = 0; i < n; i++)
        if (starts[i] == s)
            return true;
    return false;
}

/*
 * Sliding windows from scratch: the left window [t - diff, t] of every
 * record time t, and its right window [t + 1, t + 1 + diff] when some
 * record falls in it; each counts the records it holds.
 */
static void oracle(const char *key, const int64_t *t, int m, int64_t diff,
                   char *out)
{
    int64_t *starts = malloc(sizeof(*starts) * 2 * (size_t)(m + 1));
    int ns = 0;
    for (int i = 0; i < m; i++) {
        if (!seen(starts, ns, t[i] - diff))
            starts[ns++] = t[i] - diff;
        bool right = false;
        for (int j = 0; j < m; j++)
            right = right || (t[j] > t[i] && t[j] <= t[i] + 1 + diff);
        if (right && !seen(starts, ns, t[i] + 1))
            starts[ns++] = t[i] + 1;
    }
    for (int i = 0; i < ns; i++) {
        int count = 0;
        for (int j = 0; j < m; j++)
            count += t[j] >= starts[i] && t[j] <= starts[i] + diff;
        sprintf(out + strlen(out), "%s[%lld,%lld]=%d@%lld;", key,
                (long long)starts[i], (long long)(starts[i] + diff), count,
                (long long)(starts[i] + diff));
    }
    free(starts);
}

static weir_topology_t *make_sliding(int64_t diff, int64_t grace)
{
    return wt_sliding_count(weir_sliding_windows(diff, grace));
}

START_TEST(test_dsl_sliding_random_input_matches_oracle)
{
    wt_check_random(make_sliding, oracle, 20, 300, _i);
}
END_TEST

START_TEST(test_dsl_sliding_invalid_windows)
{
    weir_sliding_windows_t bad[] = {
        weir_sliding_windows(0, 0), weir_sliding_windows(-5, 0),
        weir_sliding_windows(10, -1), weir_sliding_windows(10, INT64_MAX)};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        weir_topology_t *topo = wt_sliding_count(bad[i]);
        weir_error_t *err = weir_topology_build(topo);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOPOLOGY);
        ck_assert_ptr_nonnull(
            strstr(weir_error_string(err), "invalid sliding windows"));
        weir_error_destroy(err);
        weir_topology_destroy(topo);
    }
    ck_assert_ptr_null(
        weir_kgrouped_sliding_windowed_by(NULL, weir_sliding_windows(10, 0)));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dsl_sliding");
    TCase *tc = tcase_create("sliding");
    tcase_add_checked_fixture(tc, wt_setup, wt_teardown);
    tcase_add_loop_test(tc, test_dsl_sliding_kafka_streams_example, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_sliding_out_of_order_same_windows, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_sliding_closes_one_by_one, 0, WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_sliding_emitted_window_feeds_later_one, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_sliding_late_records_dropped, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_sliding_grace, 0, WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_sliding_aggregate_carries_records, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_sliding_random_input_matches_oracle, 0,
                        WT_ENGINES);
    tcase_add_test(tc, test_dsl_sliding_restart_emits_nothing_twice);
    tcase_add_test(tc, test_dsl_sliding_invalid_windows);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
