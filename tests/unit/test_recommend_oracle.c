/*
 * test_recommend_oracle.c: the oracle (expected recommendations straight
 * from a ground truth) against hand-made answers, and against the
 * topology under the test driver on generated workloads: both must agree
 * record for record.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec_gen.h"
#include "rec_oracle.h"
#include "test_recommend_support.h"

static const char *const INVENTORY =
    "1,toys,5,3\n2,toys,5,9\n3,toys,0,10\n4,toys,5,9\n10,toys,5,7\n"
    "9,toys,5,7\n5,garden,3,4\n6,garden,2,8\n";

static rec_inventory_t *load_inventory(const rec_config_t *cfg)
{
    weir_error_t *err = NULL;
    rec_inventory_t *inv = rec_inventory_load(cfg->inventory_file, cfg, &err);
    ck_assert_ptr_null(err);
    return inv;
}

START_TEST(test_recommend_oracle_hand_made_ground_truth)
{
    rt_t rt;
    rt_setup(&rt, INVENTORY, NULL);
    char gt_path[256];
    rt_write_file(
        "flink.sales.records\t500\t500\tuser-1\t1\t7\t1\t\xc2\xa3"
        "1\n"
        "flink.click.streams\t1000\t1000\tuser-1\t2\n"
        "flink.click.streams\t1500\t1500\tuser-2\t999\n"
        "flink.click.streams\t1600\t1600\t\t2\n"
        "flink.sales.records\t5000\t5000\tuser-1\t9\t8\t1\t\xc2\xa3"
        "1\n"
        "flink.click.streams\t5200\t5200\tuser-2\t5\n"
        "flink.sales.records\t6000\t6000\tuser-3\t1\t9\t1\t\xc2\xa3"
        "1\n"
        "flink.click.streams\t4000\t4000\tuser-3\t5\n"
        "flink.sales.records\t11000\t11000\tuser-3\t1\t9\t1\t\xc2\xa3"
        "1\n"
        "flink.click.streams\t11500\t11500\tuser-4\t5\n",
        gt_path, sizeof(gt_path));
    rec_inventory_t *inv = load_inventory(&rt.cfg);
    weir_error_t *err = NULL;
    rec_oracle_t *o = rec_oracle_new(&rt.cfg, inv, &err);
    ck_assert_ptr_null(err);
    ck_assert_ptr_null(rec_oracle_add_file(o, gt_path));
    size_t n;
    const rec_output_t *outs = rec_oracle_outputs(o, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(outs[0].key, "user-1");
    ck_assert_str_eq(outs[0].value,
                     "user-1,\"1,4,9,10\",\"1970-01-01 00:00:05\"");
    ck_assert_int_eq(outs[0].timestamp, 5000);
    ck_assert_str_eq(outs[1].value, "user-2,\"6\",\"1970-01-01 00:00:10\"");
    rec_oracle_stats_t st;
    rec_oracle_stats(o, &st);
    ck_assert_uint_eq(st.unknown_product, 1);
    ck_assert_uint_eq(st.bad_user, 1);
    ck_assert_uint_eq(st.late, 1);
    ck_assert_uint_eq(st.windows_closed, 2);
    /* user-4's window has not closed; flushing closes it. */
    ck_assert_ptr_null(rec_oracle_flush(o));
    outs = rec_oracle_outputs(o, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(outs[2].value, "user-4,\"6\",\"1970-01-01 00:00:15\"");
    rec_oracle_destroy(o);

    /* A bad line names the file and line. */
    char bad_path[256];
    rt_write_file("flink.click.streams\t1\t1\tu\t1\nnope\n", bad_path,
                  sizeof(bad_path));
    o = rec_oracle_new(&rt.cfg, inv, &err);
    err = rec_oracle_add_file(o, bad_path);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), ":2: "));
    weir_error_destroy(err);
    rec_oracle_destroy(o);
    unlink(bad_path);
    unlink(gt_path);
    rec_inventory_destroy(inv);
    rt_teardown(&rt);
}
END_TEST

typedef struct workload_s {
    const char *const *overrides; /* app settings */
    const char *inventory;        /* NULL: the shipped CSV */
    rec_gen_opts_t gen;
    int64_t duration_ms;
    /* A third of the records arrive up to this late (0: the generator's
     * order). */
    int64_t delay_up_to_ms;
} workload_t;

typedef struct arrival_s {
    int64_t at;
    size_t idx;
} arrival_t;

static int arrival_cmp(const void *va, const void *vb)
{
    const arrival_t *a = va, *b = vb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int output_cmp(const void *va, const void *vb)
{
    const rec_output_t *a = va, *b = vb;
    if (a->timestamp != b->timestamp)
        return a->timestamp < b->timestamp ? -1 : 1;
    int c = strcmp(a->key, b->key);
    return c ? c : strcmp(a->value, b->value);
}

/* Runs @p w through the topology and the oracle; they must agree. Returns
 * the number of records out, and the oracle's stats. */
static size_t run_both(const workload_t *w, rec_oracle_stats_t *stats)
{
    rt_t rt;
    rt_setup(&rt, w->inventory, w->overrides);
    rec_inventory_t *inv = load_inventory(&rt.cfg);
    weir_error_t *err = NULL;
    rec_oracle_t *o = rec_oracle_new(&rt.cfg, inv, &err);
    ck_assert_ptr_null(err);
    rec_gen_t *gen = rec_gen_new(&w->gen, &err);
    ck_assert_ptr_null(err);

    /* Generate, optionally disorder, then write the ground truth. */
    size_t cap = 1024, n = 0;
    rec_gt_record_t *recs = malloc(cap * sizeof(*recs));
    while (rec_gen_peek_time(gen) < w->gen.start_ms + w->duration_ms) {
        if (n == cap)
            recs = realloc(recs, (cap *= 2) * sizeof(*recs));
        rec_gen_next(gen, &recs[n++]);
    }
    /* Disorder: a third of the records arrive up to delay_up_to_ms late
     * (stable order otherwise). */
    if (w->delay_up_to_ms) {
        arrival_t *arr = malloc(n * sizeof(*arr));
        uint64_t rnd = w->gen.seed * 2654435761u + 1;
        for (size_t i = 0; i < n; i++) {
            rnd = rnd * 6364136223846793005u + 1442695040888963407u;
            uint64_t r = rnd >> 33;
            arr[i].at = recs[i].timestamp +
                        (r % 3 == 0
                             ? (int64_t)((r / 3) % (uint64_t)w->delay_up_to_ms)
                             : 0);
            arr[i].idx = i;
        }
        qsort(arr, n, sizeof(*arr), arrival_cmp);
        rec_gt_record_t *sorted = malloc(n * sizeof(*sorted));
        for (size_t i = 0; i < n; i++)
            sorted[i] = recs[arr[i].idx];
        free(recs);
        free(arr);
        recs = sorted;
    }
    char gt_path[] = "/tmp/weir-rec-gt-XXXXXX";
    int fd = mkstemp(gt_path);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < n; i++)
        ck_assert_ptr_null(rec_gt_write(f,
                                        recs[i].kind == REC_GT_CLICK
                                            ? rt.cfg.topic_clicks
                                            : rt.cfg.topic_sales,
                                        &recs[i]));
    fclose(f);

    /* The topology gets the records in the same order. */
    uint64_t rejected = 0;
    for (size_t i = 0; i < n; i++) {
        err = rt_pipe_gt(&rt, &recs[i]);
        if (err) {
            ck_assert_int_eq(weir_error_code(err), WEIR_ERR_PROCESSING);
            rejected++;
            weir_error_destroy(err);
        }
    }
    ck_assert_ptr_null(rec_oracle_add_file(o, gt_path));
    rec_oracle_stats(o, stats);
    ck_assert_uint_eq(rejected, stats->unknown_product + stats->bad_user);
    ck_assert_uint_eq(weir_test_driver_dropped(rt.drv, "late"), stats->late);

    size_t on;
    const rec_output_t *expected = rec_oracle_outputs(o, &on);
    rec_output_t *want = malloc((on ? on : 1) * sizeof(*want));
    memcpy(want, expected, on * sizeof(*want));
    qsort(want, on, sizeof(*want), output_cmp);

    size_t gcap = on + 16, gn = 0;
    rec_output_t *got = calloc(gcap, sizeof(*got));
    char *k, *v;
    int64_t ts;
    while (rt_read(&rt, &k, &v, &ts)) {
        ck_assert_uint_lt(gn, gcap);
        got[gn++] = (rec_output_t){k, v, ts};
    }
    qsort(got, gn, sizeof(*got), output_cmp);
    ck_assert_uint_eq(gn, on);
    for (size_t i = 0; i < on; i++) {
        ck_assert_int_eq(got[i].timestamp, want[i].timestamp);
        ck_assert_str_eq(got[i].key, want[i].key);
        ck_assert_str_eq(got[i].value, want[i].value);
    }
    for (size_t i = 0; i < gn; i++) {
        weir_free(got[i].key);
        weir_free(got[i].value);
    }
    free(got);
    free(want);
    free(recs);
    unlink(gt_path);
    rec_gen_destroy(gen);
    rec_oracle_destroy(o);
    rec_inventory_destroy(inv);
    rt_teardown(&rt);
    return on;
}

START_TEST(test_recommend_oracle_agrees_with_topology_seed_traffic)
{
    workload_t w = {0};
    rec_gen_opts_default(&w.gen);
    w.gen.seed = 42;
    w.gen.start_ms = INT64_C(1719579600000);
    w.gen.unknown_product_every = 17;
    w.duration_ms = 120000;
    rec_oracle_stats_t st;
    size_t out = run_both(&w, &st);
    ck_assert_uint_gt(out, 90);
    ck_assert_uint_gt(st.unknown_product, 5);
    ck_assert_uint_eq(st.late, 0);
}
END_TEST

START_TEST(test_recommend_oracle_agrees_with_topology_repeats_and_purchases)
{
    /* Few users clicking often, short TTL, 3 per recommendation: repeats,
     * expiries and purchases all matter. */
    const char *o[] = {"recommend.count=3", "recommend.repeat.ttl.ms=20000",
                       NULL};
    workload_t w = {0};
    w.overrides = o;
    rec_gen_opts_default(&w.gen);
    w.gen.seed = 7;
    w.gen.users = 5;
    w.gen.products = 40;
    w.gen.clicks_per_sec = 4;
    w.gen.sales_per_sec = 2;
    w.gen.start_ms = 1000000;
    w.duration_ms = 90000;
    rec_oracle_stats_t st;
    size_t out = run_both(&w, &st);
    ck_assert_uint_gt(out, 80);
}
END_TEST

START_TEST(test_recommend_oracle_agrees_with_topology_disorder_and_late)
{
    /* A third of the records up to 3 s late: within grace mostly, late
     * sometimes; both sides must drop the same clicks. */
    const char *o[] = {"recommend.count=4", NULL};
    workload_t w = {0};
    w.overrides = o;
    w.inventory = INVENTORY;
    rec_gen_opts_default(&w.gen);
    w.gen.seed = 3;
    w.gen.users = 3;
    w.gen.products = 11; /* 0, 7 and 8 are unknown */
    w.gen.clicks_per_sec = 2;
    w.gen.sales_per_sec = 0.5;
    w.gen.start_ms = 0;
    w.duration_ms = 120000;
    w.delay_up_to_ms = 3000;
    rec_oracle_stats_t st;
    size_t out = run_both(&w, &st);
    ck_assert_uint_gt(out, 40);
    ck_assert_uint_gt(st.unknown_product, 0);
    ck_assert_uint_gt(st.late, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("recommend_oracle");
    TCase *tc = tcase_create("oracle");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_recommend_oracle_hand_made_ground_truth);
    tcase_add_test(tc,
                   test_recommend_oracle_agrees_with_topology_seed_traffic);
    tcase_add_test(
        tc, test_recommend_oracle_agrees_with_topology_repeats_and_purchases);
    tcase_add_test(
        tc, test_recommend_oracle_agrees_with_topology_disorder_and_late);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
