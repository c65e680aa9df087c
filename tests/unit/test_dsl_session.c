/*
 * test_dsl_session.c: session windows through the test driver, on the
 * in-memory and the RocksDB stores, against hand-computed results:
 * sessions that extend (up to end + gap), a bridging record that merges
 * two sessions (count, reduce, and aggregate with its merger, in time
 * order), several keys, the exact moment a session closes, grace keeping
 * one open for out-of-order records, late records dropped and counted,
 * final results emitted once and leaving the store, sessions behind a
 * repartition (select_key), a restart on the
 * same RocksDB stores emitting nothing twice, invalid windows, and random
 * input (disorder within the grace) against sessions computed from
 * scratch.
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

START_TEST(test_dsl_session_extends_then_closes_once)
{
    weir_test_driver_t *drv = wt_driver(
        wt_session_count(weir_session_windows(10, 0)), _i);
    wt_pipe(drv, "a", "v", 0);
    wt_pipe(drv, "a", "v", 5);
    wt_pipe(drv, "a", "v", 15); /* at end + gap: still the same session */
    ck_assert_str_eq(wt_results(drv, true), "");
    /* The session [0, 15] closes once stream time > 15 + 10 + 0. */
    wt_pipe(drv, "b", "v", 25);
    ck_assert_str_eq(wt_results(drv, true), "");
    wt_pipe(drv, "b", "v", 26);
    ck_assert_str_eq(wt_results(drv, true), "a[0,15]=3@15;");
    /* Emitted sessions leave the store; open ones are there, kept by
     * end: the start (8 bytes) then the count. */
    weir_window_store_t *ws;
    ck_assert_ptr_null(weir_test_driver_window_store(drv, "counts", &ws));
    void *v = NULL;
    size_t len;
    bool found;
    ck_assert_ptr_null(
        weir_window_store_get(ws, "a", 1, 15, &v, &len, &found));
    ck_assert(!found);
    ck_assert_ptr_null(
        weir_window_store_get(ws, "b", 1, 26, &v, &len, &found));
    ck_assert(found);
    ck_assert_int_eq(len, 16);
    ck_assert_int_eq(((unsigned char *)v)[7], 25); /* start */
    ck_assert_int_eq(((unsigned char *)v)[15], 2); /* count */
    weir_free(v);
    /* Later progress brings no second result for [0, 15]. */
    wt_pipe(drv, "c", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true), "b[25,26]=2@26;");
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_session_bridging_record_merges)
{
    /* Grace 10 keeps [0, 0] open while the record at 20 arrives. */
    weir_test_driver_t *drv = wt_driver(
        wt_session_count(weir_session_windows(10, 10)), _i);
    wt_pipe(drv, "a", "v", 0);
    wt_pipe(drv, "a", "v", 20); /* 20 - 0 > gap: a second session */
    wt_pipe(drv, "a", "v", 10); /* within the gap of both: one session */
    /* One entry left, under the merged end. */
    weir_window_store_t *ws;
    ck_assert_ptr_null(weir_test_driver_window_store(drv, "counts", &ws));
    void *v = NULL;
    size_t len;
    bool found;
    ck_assert_ptr_null(weir_window_store_get(ws, "a", 1, 0, &v, &len, &found));
    ck_assert(!found);
    ck_assert_ptr_null(
        weir_window_store_get(ws, "a", 1, 20, &v, &len, &found));
    ck_assert(found);
    ck_assert_int_eq(((unsigned char *)v)[7], 0);  /* start */
    ck_assert_int_eq(((unsigned char *)v)[15], 3); /* count */
    weir_free(v);
    wt_pipe(drv, "x", "v", 40); /* [0, 20] closes at > 20 + 10 + 10 */
    ck_assert_str_eq(wt_results(drv, true), "");
    wt_pipe(drv, "x", "v", 41);
    ck_assert_str_eq(wt_results(drv, true), "a[0,20]=3@20;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_session_several_keys)
{
    weir_test_driver_t *drv = wt_driver(
        wt_session_count(weir_session_windows(10, 0)), _i);
    wt_pipe(drv, "a", "v", 0);
    wt_pipe(drv, "b", "v", 3);
    wt_pipe(drv, "a", "v", 8);
    wt_pipe(drv, "b", "v", 11);
    wt_pipe(drv, "a", "v", 18); /* a: [0, 18]; b: [3, 11] */
    ck_assert_str_eq(wt_results(drv, true), "");
    /* At 22, [3, 11] has closed (11 + 10 < 22) and [0, 18] has not. */
    wt_pipe(drv, "b", "v", 22);
    ck_assert_str_eq(wt_results(drv, true), "b[3,11]=2@11;");
    wt_pipe(drv, "a", "v", 28); /* extends [0, 18] to [0, 28] */
    wt_pipe(drv, "z", "v", 100);
    /* Closed together: in key order. */
    ck_assert_str_eq(wt_results(drv, true), "a[0,28]=4@28;b[22,22]=1@22;");
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_session_late_records_dropped)
{
    weir_test_driver_t *drv = wt_driver(
        wt_session_count(weir_session_windows(10, 0)), _i);
    wt_pipe(drv, "a", "v", 100);
    /* Stream time 100: a new session must end after 100 - 10 - 0 - 1. */
    wt_pipe(drv, "a", "v", 85); /* reaches nothing, [85, 85] closed */
    wt_pipe(drv, "a", "v", 89); /* likewise */
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 2);
    wt_pipe(drv, "a", "v", 90); /* reaches [100, 100]: [90, 100] */
    wt_pipe(drv, "b", "v", 90); /* a new session still open */
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 2);
    wt_pipe(drv, "x", "v", 111);
    ck_assert_str_eq(wt_results(drv, true), "b[90,90]=1@90;a[90,100]=2@100;");
    /* Only the emitted session was in its reach: late, not reopened. */
    wt_pipe(drv, "a", "v", 95);
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 3);
    wt_pipe(drv, "x", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true), "x[111,111]=1@111;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_session_grace_keeps_open)
{
    weir_test_driver_t *drv = wt_driver(
        wt_session_count(weir_session_windows(10, 20)), _i);
    wt_pipe(drv, "a", "v", 0);
    wt_pipe(drv, "z", "v", 25); /* past 0 + gap, within grace */
    wt_pipe(drv, "a", "v", 9);  /* out of order: extends [0, 0] */
    wt_pipe(drv, "z", "v", 39);
    ck_assert_str_eq(wt_results(drv, true), "");
    wt_pipe(drv, "z", "v", 40); /* > 9 + 10 + 20 */
    ck_assert_str_eq(wt_results(drv, true), "a[0,9]=2@9;");
    wt_pipe(drv, "z", "v", 1000);
    ck_assert_str_eq(wt_results(drv, true), "z[25,25]=1@25;z[39,40]=2@40;");
    wt_pipe(drv, "z", "v", 2000);
    ck_assert_str_eq(wt_results(drv, true), "z[1000,1000]=1@1000;");
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
    weir_test_driver_destroy(drv);
}
END_TEST

/* The aggregate's merger: joins the two with '+', counting its calls. */
static int merges;

static weir_error_t *join_plus(void *ctx, const void *key, size_t key_len,
                               const void *a, size_t a_len, const void *b,
                               size_t b_len, void **outp, size_t *out_lenp)
{
    ck_assert_str_eq(ctx, "ctx");
    ck_assert_int_eq(key_len, 1);
    ck_assert_mem_eq(key, "a", 1);
    merges++;
    char *s = malloc(a_len + b_len + 2);
    memcpy(s, a, a_len);
    s[a_len] = '+';
    memcpy(s + a_len + 1, b, b_len);
    s[a_len + b_len + 1] = '\0';
    *outp = s;
    *out_lenp = a_len + b_len + 1;
    return NULL;
}

/* Reduce: concatenation (also what merges two sessions). */
static weir_error_t *concat(void *ctx, const void *agg, size_t agg_len,
                            const weir_record_t *rec, void **outp,
                            size_t *out_lenp)
{
    (void)ctx;
    return wt_append(NULL, rec, agg, agg_len, outp, out_lenp);
}

static weir_test_driver_t *string_driver(bool reduce, int engine)
{
    weir_topology_t *topo = weir_topology_new();
    weir_ksession_windowed_t *w = weir_kgrouped_session_windowed_by(
        weir_kstream_group_by_key(
            weir_stream(topo, "in", weir_serde_string(), weir_serde_string())),
        weir_session_windows(10, 10));
    weir_kstream_t *out = reduce ? weir_ksession_windowed_reduce(w, concat,
                                                                 NULL, "strs")
                                 : weir_ksession_windowed_aggregate(
                                       w, wt_init_empty, wt_append, join_plus,
                                       "ctx", weir_serde_string(), "strs");
    weir_kstream_to(out, "out", NULL, NULL);
    return wt_driver(topo, engine);
}

START_TEST(test_dsl_session_aggregate_merger_in_time_order)
{
    merges = 0;
    weir_test_driver_t *drv = string_driver(false, _i);
    wt_pipe(drv, "a", "x", 0);
    wt_pipe(drv, "a", "y", 20);
    ck_assert_int_eq(merges, 0); /* extending or starting merges nothing */
    wt_pipe(drv, "a", "z", 10);
    ck_assert_int_eq(merges, 1);
    wt_pipe(drv, "a", "w", 25);
    ck_assert_int_eq(merges, 1);
    wt_pipe(drv, "q", "-", 1000);
    /* The earlier session first, then the later one, then the record. */
    ck_assert_str_eq(wt_results(drv, false), "a[0,25]=x+yzw@25;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_session_reduce_merges_with_reducer)
{
    weir_test_driver_t *drv = string_driver(true, _i);
    wt_pipe(drv, "a", "x", 0);
    wt_pipe(drv, "a", "y", 20);
    wt_pipe(drv, "a", "z", 10);
    wt_pipe(drv, "b", "solo", 10);
    wt_pipe(drv, "q", "-", 1000);
    ck_assert_str_eq(wt_results(drv, false),
                     "a[0,20]=xyz@20;b[10,10]=solo@10;");
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *first_char_key(void *ctx, const weir_record_t *rec,
                                    void **keyp, size_t *lenp)
{
    (void)ctx;
    char *k = malloc(2);
    k[0] = ((const char *)rec->value)[0];
    k[1] = '\0';
    *keyp = k;
    *lenp = 1;
    return NULL;
}

START_TEST(test_dsl_session_count_after_select_key)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *rk = weir_kstream_select_key(s, first_char_key, NULL,
                                                 NULL);
    weir_kstream_to(
        weir_ksession_windowed_count(
            weir_kgrouped_session_windowed_by(weir_kstream_group_by_key(rk),
                                              weir_session_windows(10, 0)),
            "by-letter"),
        "out", NULL, NULL);
    weir_test_driver_t *drv = wt_driver(topo, _i);
    /* Re-keyed through "windows-by-letter-repartition". */
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    char *desc = weir_topology_describe(topo);
    ck_assert_ptr_nonnull(strstr(desc, "(stores: [by-letter])"));
    weir_free(desc);
    wt_pipe(drv, "x", "apple", 0);
    wt_pipe(drv, "y", "avocado", 7);
    wt_pipe(drv, "x", "banana", 9);
    wt_pipe(drv, "z", "apricot", 30);
    ck_assert_str_eq(wt_results(drv, true), "a[0,7]=2@7;b[9,9]=1@9;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_session_restart_emits_nothing_twice)
{
    weir_test_driver_t *drv = wt_driver(
        wt_session_count(weir_session_windows(10, 0)), WT_ROCKSDB);
    wt_pipe(drv, "a", "v", 0);
    wt_pipe(drv, "a", "v", 5);
    wt_pipe(drv, "b", "v", 100);
    ck_assert_str_eq(wt_results(drv, true), "a[0,5]=2@5;");
    weir_test_driver_destroy(drv);

    /* The same stores: [0, 5] is gone, [100, 100] is still open. */
    drv = wt_driver(wt_session_count(weir_session_windows(10, 0)), WT_ROCKSDB);
    wt_pipe(drv, "b", "v", 104);
    ck_assert_str_eq(wt_results(drv, true), "");
    wt_pipe(drv, "c", "v", 200);
    ck_assert_str_eq(wt_results(drv, true), "b[100,104]=2@104;");
    weir_test_driver_destroy(drv);
}
END_TEST

/* Sessions from scratch: the sorted times split where two neighbours
 * are more than @p gap apart. */
static void oracle(const char *key, const int64_t *t, int m, int64_t gap,
                   char *out)
{
    for (int i = 0; i < m;) {
        int j = i;
        while (j + 1 < m && t[j + 1] - t[j] <= gap)
            j++;
        sprintf(out + strlen(out), "%s[%lld,%lld]=%d@%lld;", key,
                (long long)t[i], (long long)t[j], j - i + 1, (long long)t[j]);
        i = j + 1;
    }
}

static weir_topology_t *make_sessions(int64_t gap, int64_t grace)
{
    return wt_session_count(weir_session_windows(gap, grace));
}

START_TEST(test_dsl_session_random_input_matches_oracle)
{
    wt_check_random(make_sessions, oracle, 20, 400, _i);
}
END_TEST

START_TEST(test_dsl_session_invalid_windows)
{
    weir_session_windows_t bad[] = {
        weir_session_windows(0, 0), weir_session_windows(-1, 0),
        weir_session_windows(10, -1), weir_session_windows(INT64_MAX, 0)};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        weir_topology_t *topo = wt_session_count(bad[i]);
        weir_error_t *err = weir_topology_build(topo);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOPOLOGY);
        ck_assert_ptr_nonnull(
            strstr(weir_error_string(err), "invalid session windows"));
        weir_error_destroy(err);
        weir_topology_destroy(topo);
    }
    /* An aggregate needs its merger. */
    weir_topology_t *topo = weir_topology_new();
    weir_ksession_windowed_aggregate(
        weir_kgrouped_session_windowed_by(
            weir_kstream_group_by_key(weir_stream(
                topo, "in", weir_serde_string(), weir_serde_string())),
            weir_session_windows(10, 0)),
        wt_init_empty, wt_append, NULL, NULL, weir_serde_string(), "s");
    weir_error_t *err = weir_topology_build(topo);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
    /* NULL handles pass through. */
    ck_assert_ptr_null(
        weir_kgrouped_session_windowed_by(NULL, weir_session_windows(10, 0)));
    ck_assert_ptr_null(weir_ksession_windowed_count(NULL, "s"));
    ck_assert_ptr_null(weir_ksession_windowed_reduce(NULL, concat, NULL, "s"));
    ck_assert_ptr_null(weir_ksession_windowed_aggregate(
        NULL, wt_init_empty, wt_append, join_plus, NULL, weir_serde_string(),
        "s"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dsl_session");
    TCase *tc = tcase_create("sessions");
    tcase_add_checked_fixture(tc, wt_setup, wt_teardown);
    tcase_add_loop_test(tc, test_dsl_session_extends_then_closes_once, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_bridging_record_merges, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_several_keys, 0, WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_late_records_dropped, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_grace_keeps_open, 0, WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_aggregate_merger_in_time_order, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_reduce_merges_with_reducer, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_random_input_matches_oracle, 0,
                        WT_ENGINES);
    tcase_add_loop_test(tc, test_dsl_session_count_after_select_key, 0,
                        WT_ENGINES);
    tcase_add_test(tc, test_dsl_session_restart_emits_nothing_twice);
    tcase_add_test(tc, test_dsl_session_invalid_windows);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
