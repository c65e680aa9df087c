/*
 * test_runtime_eos.c: a windowed count behind a repartition, run by the
 * Kafka runtime on the real broker under exactly_once_v2 (one and two
 * threads) and at_least_once: the output, read read_committed, is exactly
 * the expected counts, one record per (word, window), and nothing is
 * late.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"
#include "word_windows.h"

static const ww_t ww = {3, 7, 600, 100, 0, 0};

/* The consumed part of the repartition topic is deleted (DeleteRecords
 * every repartition.purge.interval.ms, 1 s here). */
static void assert_repartition_purged(const char *app_id)
{
    char topic[512];
    snprintf(topic, sizeof(topic), "%s-counts-repartition", app_id);
    rd_kafka_t *rk = weir_test_producer();
    int64_t purged = 0;
    for (int tries = 0; tries < 100 && !purged; tries++) {
        for (int p = 0; p < ww.partitions; p++) {
            int64_t lo = 0, hi = 0;
            ck_assert_int_eq(rd_kafka_query_watermark_offsets(rk, topic, p,
                                                              &lo, &hi, 10000),
                             0);
            purged += lo;
        }
        if (!purged)
            usleep(100 * 1000);
    }
    rd_kafka_destroy(rk);
    ck_assert_msg(purged > 0, "nothing purged from %s", topic);
}

/* The state changes an app reported, through the conf's opaque. */
typedef struct states_s {
    int n;
    weir_app_state_t seen[64];
} states_t;

static void on_state(void *opaque, weir_app_state_t old_state,
                     weir_app_state_t new_state)
{
    states_t *st = opaque;
    (void)old_state;
    if (st->n < 64)
        st->seen[st->n++] = new_state;
}

static void run_app(const char *guarantee, int threads)
{
    char *in = weir_test_unique_name("eos-in");
    char *out = weir_test_unique_name("eos-out");
    char *app_id = weir_test_unique_name("eos-app");
    char *state = weir_test_tmpdir_new("weir-eos-state");
    weir_test_create_topic(in, ww.partitions);
    weir_test_create_topic(out, 1);
    ww_produce(&ww, in, 0, ww.records, true, -1);

    weir_error_t *err = NULL;
    weir_conf_t *conf = ww_conf(app_id, state, guarantee, threads);
    states_t states = {0};
    weir_conf_set_state_cb(conf, on_state);
    weir_conf_set_opaque(conf, &states);
    weir_app_t *app = weir_app_new(ww_topology(in, out), conf, &err);
    ck_assert_msg(app != NULL, "%s", weir_error_string(err));
    err = weir_app_start(app);
    ck_assert_msg(!err, "start: %s", weir_error_string(err));

    ww_check_output(&ww, out, 90000);
    /* Every record is read twice: from the input, then repartitioned. */
    ck_assert_int_eq(weir_app_metric(app, "records-in"),
                     2 * (ww.records + ww.partitions));
    ck_assert_int_eq(weir_app_metric(app, "late-records"), 0);
    ck_assert_int_ne(weir_app_state(app), WEIR_APP_ERROR);
    assert_repartition_purged(app_id);
    err = weir_app_close(app, 30000);
    ck_assert_msg(!err, "close: %s", weir_error_string(err));
    ck_assert_int_eq(weir_app_state(app), WEIR_APP_NOT_RUNNING);
    /* The listener registered on the conf saw the app run and stop. */
    ck_assert_int_ge(states.n, 3);
    bool ran = false;
    for (int i = 0; i < states.n; i++)
        ran = ran || states.seen[i] == WEIR_APP_RUNNING;
    ck_assert(ran);
    ck_assert_int_eq(states.seen[states.n - 1], WEIR_APP_NOT_RUNNING);
    weir_app_destroy(app);
    weir_test_tmpdir_remove(state);
    free(state);
    free(app_id);
    free(out);
    free(in);
}

START_TEST(test_runtime_windowed_count_exactly_once)
{
    run_app("exactly_once_v2", 1);
}
END_TEST

START_TEST(test_runtime_windowed_count_exactly_once_two_threads)
{
    run_app("exactly_once_v2", 2);
}
END_TEST

START_TEST(test_runtime_windowed_count_at_least_once)
{
    run_app("at_least_once", 1);
}
END_TEST

static Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime_eos");
    TCase *tc = tcase_create("windowed_count");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_runtime_windowed_count_exactly_once);
    tcase_add_test(tc, test_runtime_windowed_count_exactly_once_two_threads);
    tcase_add_test(tc, test_runtime_windowed_count_at_least_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(runtime_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
