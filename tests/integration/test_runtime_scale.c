/*
 * test_runtime_scale.c: the runtime under rebalances and skew, on the
 * real broker, exactly_once_v2.
 *
 * Scale-out: while data flows, a second and a third instance join and
 * then leave again; tasks and their stores move between them through the
 * changelogs. The union of outputs is exactly the single-instance result.
 *
 * Skew: three of four input partitions are read far ahead before the
 * fourth gets any data (an upstream task held back, then catching up).
 * With watermark alignment nothing is late and the output is exactly the
 * unskewed result; Kafka Streams would drop the slow partition's records
 * as late.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"
#include "word_windows.h"

typedef struct instance_s {
    char *state_dir;
    weir_app_t *app;
} instance_t;

static void instance_start(instance_t *inst, const char *app_id,
                           const char *in, const char *out)
{
    inst->state_dir = weir_test_tmpdir_new("weir-scale-state");
    weir_error_t *err = NULL;
    inst->app = weir_app_new(
        ww_topology(in, out),
        ww_conf(app_id, inst->state_dir, "exactly_once_v2", 1), &err);
    ck_assert_msg(inst->app != NULL, "%s", weir_error_string(err));
    err = weir_app_start(inst->app);
    ck_assert_msg(!err, "start: %s", weir_error_string(err));
}

/* Closes the instance; returns its late-record count. */
static uint64_t instance_stop(instance_t *inst, const char *name)
{
    ck_assert_msg(weir_app_state(inst->app) != WEIR_APP_ERROR,
                  "instance %s failed", name);
    uint64_t late = weir_app_metric(inst->app, "late-records");
    fprintf(stderr,
            "instance %s: %llu records in, %llu restored, %llu "
            "rebalances\n",
            name, (unsigned long long)weir_app_metric(inst->app, "records-in"),
            (unsigned long long)weir_app_metric(inst->app, "restored-records"),
            (unsigned long long)weir_app_metric(inst->app, "rebalances"));
    weir_error_t *err = weir_app_close(inst->app, 60000);
    ck_assert_msg(!err, "close %s: %s", name, weir_error_string(err));
    weir_app_destroy(inst->app);
    weir_test_tmpdir_remove(inst->state_dir);
    free(inst->state_dir);
    return late;
}

typedef struct feeder_s {
    const ww_t *ww;
    const char *in;
} feeder_t;

/* Produces the workload in slices over about 12 s of wall time. */
static void *feed(void *arg)
{
    feeder_t *f = arg;
    int slices = 40, per = f->ww->records / slices;
    for (int s = 0; s < slices; s++) {
        ww_produce(f->ww, f->in, s * per, (s + 1) * per, s == slices - 1, -1);
        usleep(300 * 1000);
    }
    return NULL;
}

START_TEST(test_runtime_instances_join_and_leave_while_data_flows)
{
    static const ww_t ww = {4, 8, 4000, 20, 0, 0};
    char *in = weir_test_unique_name("scale-in");
    char *out = weir_test_unique_name("scale-out");
    char *app_id = weir_test_unique_name("scale-app");
    weir_test_create_topic(in, ww.partitions);
    weir_test_create_topic(out, 1);

    feeder_t f = {&ww, in};
    pthread_t feeder;
    ck_assert_int_eq(pthread_create(&feeder, NULL, feed, &f), 0);
    instance_t a, b, c;
    instance_start(&a, app_id, in, out);
    sleep(2);
    instance_start(&b, app_id, in, out);
    sleep(3);
    instance_start(&c, app_id, in, out);
    sleep(3);
    uint64_t late = instance_stop(&b, "B");
    sleep(2);
    late += instance_stop(&c, "C");
    pthread_join(feeder, NULL);

    ww_check_output(&ww, out, 120000);
    late += instance_stop(&a, "A");
    ck_assert_int_eq(late, 0);
    free(app_id);
    free(out);
    free(in);
}
END_TEST

START_TEST(test_runtime_held_back_partition_drops_nothing)
{
    static const ww_t ww = {4, 6, 2000, 20, 0, 0};
    char *in = weir_test_unique_name("skew-in");
    char *out = weir_test_unique_name("skew-out");
    char *app_id = weir_test_unique_name("skew-app");
    weir_test_create_topic(in, ww.partitions);
    weir_test_create_topic(out, 1);

    /* Partitions 0-2 all the way to the end of time... */
    for (int p = 0; p < 3; p++)
        ww_produce(&ww, in, 0, ww.records, true, p);
    instance_t a;
    instance_start(&a, app_id, in, out);
    sleep(4);
    /* ...then the held-back partition catches up. */
    ww_produce(&ww, in, 0, ww.records, true, 3);

    ww_check_output(&ww, out, 90000);
    ck_assert_int_eq(instance_stop(&a, "A"), 0);
    free(app_id);
    free(out);
    free(in);
}
END_TEST

static Suite *scale_suite(void)
{
    Suite *s = suite_create("runtime_scale");
    TCase *tc = tcase_create("scale");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_runtime_instances_join_and_leave_while_data_flows);
    tcase_add_test(tc, test_runtime_held_back_partition_drops_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scale_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
