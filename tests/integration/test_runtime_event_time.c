/*
 * test_runtime_event_time.c: event time survives rebalances and restarts,
 * on the real broker, exactly_once_v2.
 *
 * The workload ends unevenly: its last records all go to one partition
 * (as when they share a key), so the other source partitions fall quiet
 * first. Downstream of the repartition, windows past the quiet
 * partitions' time close only once those partitions are judged caught up
 * and idle (idle.timeout.ms), and the last windows only once every
 * partition is. Each test moves the tasks around — a rebalance after the
 * input ended, one while data flows, kill -9s with restarts on the same
 * and on an empty state dir — and then requires every window that the
 * last record's time closes, exactly once, within idle.timeout.ms plus a
 * margin after the input ended.
 */
#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"
#include "word_windows.h"
#include "ww_instance.h"

/* Beyond idle.timeout.ms: a dead member's eviction (session.timeout.ms
 * 6 s in ww_conf), a rebalance, restores, and a slow shared machine. */
#define CLOSE_MARGIN_MS 40000

static const char *const idle_props[] = {"idle.timeout.ms", "3000", NULL};
/* Long enough that the rebalance comes before the quiet partitions are
 * judged idle. */
static const char *const long_idle_props[] = {"idle.timeout.ms", "10000",
                                              NULL};

typedef struct names_s {
    char *in, *out, *app_id;
} names_t;

static names_t names_new(const char *prefix, const ww_t *ww)
{
    char buf[64];
    names_t n;
    snprintf(buf, sizeof(buf), "%s-in", prefix);
    n.in = weir_test_unique_name(buf);
    snprintf(buf, sizeof(buf), "%s-out", prefix);
    n.out = weir_test_unique_name(buf);
    snprintf(buf, sizeof(buf), "%s-app", prefix);
    n.app_id = weir_test_unique_name(buf);
    weir_test_create_topic(n.in, ww->partitions);
    weir_test_create_topic(n.out, 1);
    return n;
}

static void names_free(names_t *n)
{
    free(n->in);
    free(n->out);
    free(n->app_id);
}

static void check_closed_in_time(const ww_t *ww, const char *out,
                                 const char *const *props)
{
    int64_t waited = ww_check_closed_output(ww, out,
                                            atoi(props[1]) + CLOSE_MARGIN_MS);
    fprintf(stderr,
            "every closed window was there %" PRId64
            " ms after the input ended\n",
            waited);
}

START_TEST(test_runtime_rebalance_after_input_ended_closes_every_window)
{
    /* 60 s of event time on 3 partitions, then 15 s on partition 1 only. */
    static const ww_t ww = {3, 6, 1200, 50, 300, 1};
    names_t n = names_new("evt-ended", &ww);
    ww_setup_t setup = {n.app_id, n.in, n.out, 2, long_idle_props};

    ww_produce(&ww, n.in, 0, ww_total(&ww), false, -1);
    ww_instance_t a, b;
    ww_instance_start(&a, "A", &setup);
    /* Every source and repartition record taken in (and committed a
     * moment later); the quiet partitions are not idle yet. */
    ww_instance_wait_records_in(&a, 2 * (uint64_t)ww_total(&ww), 60000);
    usleep(500 * 1000);
    setup.threads = 1;
    ww_instance_start(&b, "B", &setup);
    ww_instance_wait_running(&b, 60000);
    check_closed_in_time(&ww, n.out, long_idle_props);

    /* B leaves again: another move, still nothing twice. */
    uint64_t late = ww_instance_stop(&b).late;
    ww_instance_wait_running(&a, 60000);
    sleep(2);
    ww_check_closed_output(&ww, n.out, 10000);
    late += ww_instance_stop(&a).late;
    ck_assert_int_eq(late, 0);
    names_free(&n);
}
END_TEST

/* A steady producer: the workload in slices of 100 records, one every
 * slice_ms, never quiet for as long as idle.timeout.ms until it ends. */
typedef struct feeder_s {
    const ww_t *ww;
    const char *in;
    int slice_ms;
    atomic_int slices_done;
    pthread_t tid;
} feeder_t;

#define SLICE_RECORDS 100

static void *feed(void *arg)
{
    feeder_t *f = arg;
    for (int from = 0; from < ww_total(f->ww); from += SLICE_RECORDS) {
        ww_produce(f->ww, f->in, from, from + SLICE_RECORDS, false, -1);
        atomic_fetch_add(&f->slices_done, 1);
        usleep((useconds_t)f->slice_ms * 1000);
    }
    return NULL;
}

static void feeder_start(feeder_t *f, const ww_t *ww, const char *in,
                         int slice_ms)
{
    f->ww = ww;
    f->in = in;
    f->slice_ms = slice_ms;
    atomic_init(&f->slices_done, 0);
    ck_assert_int_eq(pthread_create(&f->tid, NULL, feed, f), 0);
}

/* Waits until the feeder is @p slices slices into the tail (the other
 * partitions quiet, partition tail_partition still written). */
static void feeder_wait_tail(feeder_t *f, int slices)
{
    int want = f->ww->records / SLICE_RECORDS + slices;
    while (atomic_load(&f->slices_done) < want)
        usleep(20 * 1000);
}

/* The workload of the two tests below: 60 s of event time on three
 * partitions, then 24 s on partition 1 alone. */
static const ww_t flow_ww = {3, 6, 3000, 20, 1200, 1};

START_TEST(test_runtime_rebalance_while_data_flows_closes_every_window)
{
    names_t n = names_new("evt-flow", &flow_ww);
    ww_setup_t setup = {n.app_id, n.in, n.out, 2, idle_props};

    feeder_t f;
    feeder_start(&f, &flow_ww, n.in, 300);
    ww_instance_t a, b;
    ww_instance_start(&a, "A", &setup);
    /* B joins while partition 1 is still written and partitions 0 and 2
     * have fallen quiet (and may be idle already). */
    feeder_wait_tail(&f, 3);
    setup.threads = 1;
    ww_instance_start(&b, "B", &setup);
    pthread_join(f.tid, NULL);
    check_closed_in_time(&flow_ww, n.out, idle_props);

    uint64_t late = ww_instance_stop(&b).late;
    late += ww_instance_stop(&a).late;
    ck_assert_int_eq(late, 0);
    names_free(&n);
}
END_TEST

START_TEST(test_runtime_kill_upstream_owner_closes_every_window)
{
    names_t n = names_new("evt-kill", &flow_ww);
    ww_setup_t setup_a = {n.app_id, n.in, n.out, 2, idle_props};
    ww_setup_t setup_b = {n.app_id, n.in, n.out, 1, idle_props};

    /* Both instances own source (upstream) tasks; each is killed once
     * and restarted: A mid-stream on its own state dir, B in the tail on
     * an empty one. (The children make their librdkafka handles after
     * the fork and never touch the feeder's.) */
    feeder_t f;
    feeder_start(&f, &flow_ww, n.in, 400);
    ww_instance_t a, b;
    ww_instance_fork(&a, "A", &setup_a, NULL);
    ww_instance_fork(&b, "B", &setup_b, NULL);
    sleep(6);
    char *dir_a = ww_instance_kill(&a);
    ww_instance_fork(&a, "A", &setup_a, dir_a);
    feeder_wait_tail(&f, 2);
    char *dir_b = ww_instance_kill(&b);
    weir_test_tmpdir_remove(dir_b);
    free(dir_b);
    ww_instance_fork(&b, "B", &setup_b, NULL);
    pthread_join(f.tid, NULL);
    check_closed_in_time(&flow_ww, n.out, idle_props);

    uint64_t late = ww_instance_term(&b).late;
    late += ww_instance_term(&a).late;
    ck_assert_int_eq(late, 0);
    names_free(&n);
}
END_TEST

static Suite *event_time_suite(void)
{
    Suite *s = suite_create("runtime_event_time");
    TCase *tc = tcase_create("event_time");
    tcase_set_timeout(tc, 300);
    tcase_add_test(
        tc, test_runtime_rebalance_after_input_ended_closes_every_window);
    tcase_add_test(
        tc, test_runtime_rebalance_while_data_flows_closes_every_window);
    tcase_add_test(tc, test_runtime_kill_upstream_owner_closes_every_window);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(event_time_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
