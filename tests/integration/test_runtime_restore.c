/*
 * test_runtime_restore.c: restore off the processing path, on the real
 * broker, exactly_once_v2.
 *
 * A table count with two tasks. Before the app starts, the changelog of
 * task 0_1's store is filled with a large state (what an instance finds
 * when it takes over a big task). The state updater restores it while the
 * stream thread goes on: task 0_0, which has nothing to restore,
 * processes its input while 0_1 is still restoring; 0_1 processes once
 * its store has caught up. Closing the app in the middle of a restore
 * cancels it instead of waiting for it, keeps what was restored (with its
 * position), and the next start restores exactly the rest.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"
#include "word_windows.h"

typedef struct setup_s {
    char *in, *out, *app_id, *state_dir;
    int64_t state_records; /* in the changelog of task 0_1 */
} setup_t;

static weir_topology_t *count_topology(const setup_t *s)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *in = weir_stream(topo, s->in, weir_serde_string(),
                                     weir_serde_string());
    weir_ktable_t *counts = weir_kgrouped_count(weir_kstream_group_by_key(in),
                                                "counts");
    weir_kstream_to(weir_ktable_to_stream(counts), s->out, NULL, NULL);
    return topo;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Topics, and @p n records of state in partition 1 of the changelog. */
static void setup_new(setup_t *s, const char *prefix, int64_t n)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s-in", prefix);
    s->in = weir_test_unique_name(buf);
    snprintf(buf, sizeof(buf), "%s-out", prefix);
    s->out = weir_test_unique_name(buf);
    snprintf(buf, sizeof(buf), "%s-app", prefix);
    s->app_id = weir_test_unique_name(buf);
    s->state_dir = weir_test_tmpdir_new("weir-restore-state");
    s->state_records = n;
    weir_test_create_topic(s->in, 2);
    weir_test_create_topic(s->out, 1);
    char changelog[512];
    snprintf(changelog, sizeof(changelog), "%s-counts-changelog", s->app_id);
    const char *const compact[] = {"cleanup.policy", "compact", NULL};
    weir_test_create_topic_config(changelog, 2, compact);
    rd_kafka_t *rk = weir_test_producer();
    static const unsigned char one[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    int64_t t0 = mono_ms();
    for (int64_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "x%07" PRId64, i);
        weir_test_produce(rk, changelog, 1, key, one, sizeof(one), 0);
    }
    ck_assert_int_eq(rd_kafka_flush(rk, 120000), 0);
    rd_kafka_destroy(rk);
    fprintf(stderr,
            "%" PRId64 " changelog records written in %" PRId64 " ms\n", n,
            mono_ms() - t0);
}

static void setup_free(setup_t *s)
{
    weir_test_tmpdir_remove(s->state_dir);
    free(s->state_dir);
    free(s->in);
    free(s->out);
    free(s->app_id);
}

static weir_app_t *app_start(const setup_t *s)
{
    weir_conf_t *conf = ww_conf(s->app_id, s->state_dir, "exactly_once_v2", 1);
    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(count_topology(s), conf, &err);
    ck_assert_msg(app != NULL, "%s", weir_error_string(err));
    err = weir_app_start(app);
    ck_assert_msg(!err, "start: %s", weir_error_string(err));
    return app;
}

static void app_close(weir_app_t *app)
{
    ck_assert(weir_app_state(app) != WEIR_APP_ERROR);
    weir_error_t *err = weir_app_close(app, 60000);
    ck_assert_msg(!err, "close: %s", weir_error_string(err));
    weir_app_destroy(app);
}

START_TEST(test_runtime_ready_task_processes_while_another_restores)
{
    setup_t s;
    setup_new(&s, "rst-ready", 1500000);
    rd_kafka_t *rk = weir_test_producer();
    weir_test_produce(rk, s.in, 0, "a", "v", 1, 0);
    weir_test_produce(rk, s.in, 1, "b", "v", 1, 0);
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);

    weir_app_t *app = app_start(&s);
    int64_t restoring_at_first = -1, t0 = mono_ms();
    while (weir_app_metric(app, "records-in") < 2) {
        ck_assert_msg(mono_ms() - t0 < 120000, "input not processed");
        ck_assert(weir_app_state(app) != WEIR_APP_ERROR);
        /* The gauge goes down before the restored task processes. */
        int64_t restoring = (int64_t)weir_app_metric(app, "restoring-tasks");
        if (restoring_at_first < 0 && weir_app_metric(app, "records-in") >= 1)
            restoring_at_first = restoring;
        usleep(1000);
    }
    fprintf(stderr,
            "first record processed with %" PRId64
            " task(s) restoring; both after %" PRId64 " ms\n",
            restoring_at_first, mono_ms() - t0);
    ck_assert_msg(restoring_at_first == 1,
                  "task 0_0 did not process while 0_1 restored");
    ck_assert_uint_eq(weir_app_metric(app, "restored-records"),
                      (uint64_t)s.state_records);
    ck_assert_uint_eq(weir_app_metric(app, "restoring-tasks"), 0);
    ck_assert_uint_eq(weir_app_metric(app, "restore-records-remaining"), 0);

    weir_test_msg_t *msgs;
    size_t n = weir_test_consume_all(s.out, 2, 30000, true, &msgs);
    ck_assert_uint_eq(n, 2);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(msgs[i].key_len, 1);
        ck_assert_uint_eq(msgs[i].value_len, 8);
        ck_assert_int_eq(msgs[i].value[7], 1); /* counted once */
    }
    weir_test_msgs_free(msgs, n);
    app_close(app);
    setup_free(&s);
}
END_TEST

START_TEST(test_runtime_close_during_restore_cancels_it_and_resumes)
{
    setup_t s;
    setup_new(&s, "rst-cancel", 3000000);
    weir_app_t *app = app_start(&s);
    int64_t t0 = mono_ms();
    while (weir_app_metric(app, "restored-records") <
           (uint64_t)s.state_records / 10) {
        ck_assert_msg(mono_ms() - t0 < 120000, "the restore did not start");
        ck_assert(weir_app_state(app) != WEIR_APP_ERROR);
        usleep(1000);
    }
    int64_t closing = mono_ms();
    weir_error_t *err = weir_app_close(app, 60000);
    ck_assert_msg(!err, "close: %s", weir_error_string(err));
    uint64_t first = weir_app_metric(app, "restored-records");
    weir_app_destroy(app);
    fprintf(stderr,
            "closed %" PRId64 " ms into the restore, in %" PRId64
            " ms, after %" PRIu64 " of %" PRId64 " records\n",
            closing - t0, mono_ms() - closing, first, s.state_records);
    ck_assert_msg(first < (uint64_t)s.state_records,
                  "close waited for the whole restore");

    /* Again on the same state dir: exactly the rest. */
    app = app_start(&s);
    t0 = mono_ms();
    while (weir_app_state(app) != WEIR_APP_RUNNING) {
        ck_assert_msg(mono_ms() - t0 < 120000, "not RUNNING");
        ck_assert(weir_app_state(app) != WEIR_APP_ERROR);
        usleep(10000);
    }
    uint64_t second = weir_app_metric(app, "restored-records");
    fprintf(stderr, "the restart restored %" PRIu64 " records\n", second);
    ck_assert_uint_eq(first + second, (uint64_t)s.state_records);
    app_close(app);
    setup_free(&s);
}
END_TEST

static Suite *restore_suite(void)
{
    Suite *s = suite_create("runtime_restore");
    TCase *tc = tcase_create("restore");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc,
                   test_runtime_ready_task_processes_while_another_restores);
    tcase_add_test(tc,
                   test_runtime_close_during_restore_cancels_it_and_resumes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(restore_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
