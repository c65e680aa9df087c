/*
 * test_runtime_standby.c: standby replicas (num.standby.replicas=1) on the
 * real broker, exactly_once_v2.
 *
 * Two instances of a table count share the tasks; each keeps warm copies
 * of the other's stores. When one instance closes, the other takes its
 * tasks over from its standbys and restores only the changelog tail its
 * standbys had not applied (here nothing, or a few records), not the whole
 * changelog. B runs two stream threads, so a standby kept by one thread's
 * state updater is also taken over by the other thread. The output stays
 * exactly once: one update per input record, each with the right count.
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

#define KEYS 20000
#define PARTITIONS 4

typedef struct inst_s {
    const char *name;
    char *state_dir;
    weir_app_t *app;
} inst_t;

static weir_topology_t *count_topology(const char *in, const char *out)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, in, weir_serde_string(),
                                    weir_serde_string());
    weir_ktable_t *counts = weir_kgrouped_count(weir_kstream_group_by_key(s),
                                                "counts");
    weir_kstream_to(weir_ktable_to_stream(counts), out, NULL, NULL);
    return topo;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void inst_start(inst_t *i, const char *name, const char *app_id,
                       const char *in, const char *out, int threads)
{
    i->name = name;
    i->state_dir = weir_test_tmpdir_new("weir-standby-state");
    weir_conf_t *conf = ww_conf(app_id, i->state_dir, "exactly_once_v2",
                                threads);
    weir_error_t *err = weir_conf_set(conf, "num.standby.replicas", "1");
    ck_assert_msg(!err, "%s", weir_error_string(err));
    i->app = weir_app_new(count_topology(in, out), conf, &err);
    ck_assert_msg(i->app != NULL, "%s", weir_error_string(err));
    err = weir_app_start(i->app);
    ck_assert_msg(!err, "start %s: %s", name, weir_error_string(err));
}

static uint64_t metric(const inst_t *i, const char *name)
{
    ck_assert_msg(weir_app_state(i->app) != WEIR_APP_ERROR, "%s failed",
                  i->name);
    return weir_app_metric(i->app, name);
}

static void inst_stop(inst_t *i)
{
    ck_assert(weir_app_state(i->app) != WEIR_APP_ERROR);
    weir_error_t *err = weir_app_close(i->app, 60000);
    ck_assert_msg(!err, "close %s: %s", i->name, weir_error_string(err));
    weir_app_destroy(i->app);
    weir_test_tmpdir_remove(i->state_dir);
    free(i->state_dir);
}

/* Waits until both instances are RUNNING and, between them, keep a
 * standby of every task, with nothing left to apply. */
static void wait_warm(const inst_t *a, const inst_t *b)
{
    int64_t t0 = mono_ms();
    while (weir_app_state(a->app) != WEIR_APP_RUNNING ||
           weir_app_state(b->app) != WEIR_APP_RUNNING ||
           metric(a, "standby-tasks") + metric(b, "standby-tasks") !=
               PARTITIONS ||
           metric(a, "standby-lag-records") +
               metric(b, "standby-lag-records")) {
        ck_assert_msg(
            mono_ms() - t0 < 60000,
            "standbys: A %" PRIu64 " (lag %" PRIu64 "), B %" PRIu64
            " (lag %" PRIu64 ")",
            metric(a, "standby-tasks"), metric(a, "standby-lag-records"),
            metric(b, "standby-tasks"), metric(b, "standby-lag-records"));
        usleep(20 * 1000);
    }
}

/* Key k%d gets one record per round; rounds [from, to). */
static void produce_rounds(const char *in, int from, int to)
{
    rd_kafka_t *rk = weir_test_producer();
    for (int r = from; r < to; r++)
        for (int k = 0; k < KEYS; k++) {
            char key[16];
            snprintf(key, sizeof(key), "k%d", k);
            weir_test_produce(rk, in, -1, key, "v", 1, 0);
        }
    ck_assert_int_eq(rd_kafka_flush(rk, 60000), 0);
    rd_kafka_destroy(rk);
}

START_TEST(test_runtime_standby_takes_over_with_only_the_tail)
{
    char *in = weir_test_unique_name("sb-in");
    char *out = weir_test_unique_name("sb-out");
    char *app_id = weir_test_unique_name("sb-app");
    weir_test_create_topic(in, PARTITIONS);
    weir_test_create_topic(out, 1);

    produce_rounds(in, 0, 2);
    inst_t a, b;
    inst_start(&a, "A", app_id, in, out, 1);
    inst_start(&b, "B", app_id, in, out, 2);
    /* Each instance runs some of the four tasks and keeps standbys of the
     * others. */
    wait_warm(&a, &b);
    produce_rounds(in, 2, 3);
    int64_t t0 = mono_ms();
    while (metric(&a, "records-in") + metric(&b, "records-in") <
           3 * (uint64_t)KEYS)
        ck_assert_msg(mono_ms() - t0 < 60000, "round 3 not processed"),
            usleep(20 * 1000);
    wait_warm(&a, &b);
    ck_assert_uint_gt(metric(&b, "standby-records"), 0);

    uint64_t restored_before = metric(&b, "restored-records");
    int64_t closing = mono_ms();
    inst_stop(&a);
    t0 = mono_ms();
    while (weir_app_state(b.app) != WEIR_APP_RUNNING ||
           metric(&b, "standby-tasks") != 0)
        ck_assert_msg(mono_ms() - t0 < 60000, "B did not take over"),
            usleep(10 * 1000);
    uint64_t restored = metric(&b, "restored-records") - restored_before;
    fprintf(stderr,
            "B took over %" PRId64 " ms after A's close began, "
            "restoring %" PRIu64 " records (the changelogs of A's "
            "tasks hold thousands)\n",
            mono_ms() - closing, restored);
    /* Without its standbys B would restore A's half of the keys. */
    ck_assert_msg(restored < KEYS / 20, "restored %" PRIu64, restored);

    /* Exactly once through all of it: one update per record, the last
     * update of each key its full count. */
    produce_rounds(in, 3, 4);
    weir_test_msg_t *msgs;
    size_t n = weir_test_consume_all(out, 4 * (size_t)KEYS, 120000, true,
                                     &msgs);
    ck_assert_uint_eq(n, 4 * (size_t)KEYS);
    int *last = calloc(KEYS, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        int k = atoi(msgs[i].key + 1);
        ck_assert(k >= 0 && k < KEYS && msgs[i].value_len == 8);
        int count = (unsigned char)msgs[i].value[7];
        ck_assert_int_eq(count, last[k] + 1);
        last[k] = count;
    }
    for (int k = 0; k < KEYS; k++)
        ck_assert_int_eq(last[k], 4);
    free(last);
    weir_test_msgs_free(msgs, n);
    inst_stop(&b);
    free(app_id);
    free(out);
    free(in);
}
END_TEST

static Suite *standby_suite(void)
{
    Suite *s = suite_create("runtime_standby");
    TCase *tc = tcase_create("standby");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_runtime_standby_takes_over_with_only_the_tail);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(standby_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
