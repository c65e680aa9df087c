/*
 * test_dsl_window.c: windowed aggregations through the test driver:
 * window boundaries (a record at a window's end opens the next one),
 * hopping overlaps, grace, late records dropped and counted, final
 * results emitted exactly once, eager emission, windowed keys and their
 * serde, and a windowed count after a repartition.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/dsl.h>
#include <weir/serde.h>
#include <weir/test_driver.h>

static weir_test_driver_t *driver(weir_topology_t *topo)
{
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    return drv;
}

static void pipe_str(weir_test_driver_t *drv, const char *k, int64_t ts)
{
    weir_error_t *err = weir_test_driver_pipe_str(drv, "in", k, "v", ts);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
}

/* Everything on "out" as "key[start,end)=count@ts;". */
static char *results(weir_test_driver_t *drv)
{
    static char buf[4096];
    buf[0] = '\0';
    weir_serde_t *ks = weir_serde_windowed(weir_serde_string());
    weir_serde_t *vs = weir_serde_int64();
    for (;;) {
        void *k, *v;
        size_t kl, vl;
        int64_t ts;
        bool found;
        weir_error_t *err = weir_test_driver_read_output_obj(
            drv, "out", ks, vs, &k, &kl, &v, &vl, &ts, &found);
        ck_assert_msg(err == NULL, "%s", weir_error_string(err));
        if (!found)
            break;
        const weir_windowed_key_t *wk = k;
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof(buf) - n, "%s[%lld,%lld)=%lld@%lld;",
                 (const char *)wk->key, (long long)wk->start,
                 (long long)wk->end, (long long)*(int64_t *)v, (long long)ts);
        weir_serde_free_obj(ks, k, kl);
        weir_serde_free_obj(vs, v, vl);
    }
    weir_serde_destroy(ks);
    weir_serde_destroy(vs);
    return buf;
}

static weir_test_driver_t *count_driver(weir_time_windows_t w)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *counts = weir_kwindowed_count(
        weir_kgrouped_windowed_by(weir_kstream_group_by_key(s), w), "counts");
    weir_kstream_to(counts, "out", NULL, NULL);
    return driver(topo);
}

START_TEST(test_dsl_window_tumbling_boundary_opens_next_window)
{
    weir_test_driver_t *drv = count_driver(weir_tumbling_windows(1000, 0));
    pipe_str(drv, "k", 0);
    pipe_str(drv, "k", 999);
    ck_assert_str_eq(results(drv), "");
    /* 1000 is the end of [0,1000): it belongs to [1000,2000) and, with no
     * grace, closes [0,1000). */
    pipe_str(drv, "k", 1000);
    ck_assert_str_eq(results(drv), "k[0,1000)=2@999;");
    pipe_str(drv, "k", 1999);
    pipe_str(drv, "k", 2000);
    ck_assert_str_eq(results(drv), "k[1000,2000)=2@1999;");
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_window_grace_accepts_then_drops_late)
{
    weir_test_driver_t *drv = count_driver(weir_tumbling_windows(1000, 500));
    pipe_str(drv, "k", 100);
    pipe_str(drv, "k", 1200); /* stream time 1200 < 1000 + 500 */
    pipe_str(drv, "k", 900);  /* out of order, within grace: counted */
    ck_assert_str_eq(results(drv), "");
    pipe_str(drv, "x", 1499);
    ck_assert_str_eq(results(drv), "");
    pipe_str(drv, "x", 1500); /* end + grace: [0,1000) closes */
    ck_assert_str_eq(results(drv), "k[0,1000)=2@999;");
    pipe_str(drv, "k", 999); /* too late: dropped and counted */
    pipe_str(drv, "k", 0);
    ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 2);
    /* Emitted once: later progress brings no second result for it. */
    pipe_str(drv, "x", 5000);
    ck_assert_str_eq(results(drv), "k[1000,2000)=1@1999;"
                                   "x[1000,2000)=2@1999;");
    pipe_str(drv, "x", 9000);
    ck_assert_str_eq(results(drv), "x[5000,6000)=1@5999;");
    /* Emitted windows leave the store; open ones are there. */
    weir_window_store_t *ws;
    ck_assert_ptr_null(weir_test_driver_window_store(drv, "counts", &ws));
    void *v;
    size_t len;
    bool found;
    ck_assert_ptr_null(weir_window_store_get(ws, "k", 1, 0, &v, &len, &found));
    ck_assert(!found);
    ck_assert_ptr_null(
        weir_window_store_get(ws, "x", 1, 9000, &v, &len, &found));
    ck_assert(found);
    weir_free(v);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_window_closed_together_come_out_in_window_order)
{
    /* One jump of stream time closes five windows of three keys: they
     * come out by start, then key, whatever order the store keeps. */
    weir_test_driver_t *drv = count_driver(weir_tumbling_windows(1000, 3000));
    pipe_str(drv, "c", 100);
    pipe_str(drv, "b", 1100);
    pipe_str(drv, "a", 1200);
    pipe_str(drv, "c", 1300);
    pipe_str(drv, "a", 2100);
    ck_assert_str_eq(results(drv), "");
    pipe_str(drv, "z", 9000);
    ck_assert_str_eq(results(drv), "c[0,1000)=1@999;"
                                   "a[1000,2000)=1@1999;"
                                   "b[1000,2000)=1@1999;"
                                   "c[1000,2000)=1@1999;"
                                   "a[2000,3000)=1@2999;");
    /* Hopping windows of one record overlap: the same order. */
    weir_test_driver_destroy(drv);
    drv = count_driver(weir_hopping_windows(1000, 500, 0));
    pipe_str(drv, "b", 600);
    pipe_str(drv, "a", 700);
    pipe_str(drv, "z", 5000);
    ck_assert_str_eq(results(drv), "a[0,1000)=1@999;b[0,1000)=1@999;"
                                   "a[500,1500)=1@1499;"
                                   "b[500,1500)=1@1499;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_window_hopping_overlaps)
{
    weir_test_driver_t *drv = count_driver(weir_hopping_windows(1000, 500, 0));
    pipe_str(drv, "k", 700);  /* [0,1000) and [500,1500) */
    pipe_str(drv, "k", 1200); /* [500,1500) and [1000,2000) */
    pipe_str(drv, "k", 1499); /* [500,1500) and [1000,2000) */
    ck_assert_str_eq(results(drv), "k[0,1000)=1@999;");
    pipe_str(drv, "z", 3000);
    ck_assert_str_eq(results(drv), "k[500,1500)=3@1499;"
                                   "k[1000,2000)=2@1999;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_window_store_holds_windows)
{
    weir_test_driver_t *drv = count_driver(weir_tumbling_windows(1000, 0));
    pipe_str(drv, "k", 10);
    pipe_str(drv, "k", 20);
    weir_window_store_t *ws;
    ck_assert_ptr_null(weir_test_driver_window_store(drv, "counts", &ws));
    void *v;
    size_t len;
    bool found;
    ck_assert_ptr_null(weir_window_store_get(ws, "k", 1, 0, &v, &len, &found));
    ck_assert(found);
    ck_assert_int_eq(len, 8);
    ck_assert_int_eq(((unsigned char *)v)[7], 2);
    weir_free(v);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_window_emit_on_update)
{
    weir_time_windows_t w = weir_tumbling_windows(1000, 0);
    w.emit = WEIR_EMIT_ON_UPDATE;
    weir_test_driver_t *drv = count_driver(w);
    pipe_str(drv, "k", 5);
    pipe_str(drv, "k", 6);
    pipe_str(drv, "k", 1005);
    ck_assert_str_eq(results(drv), "k[0,1000)=1@5;k[0,1000)=2@6;"
                                   "k[1000,2000)=1@1005;");
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *longest(void *ctx, const void *agg, size_t agg_len,
                             const weir_record_t *rec, void **outp,
                             size_t *out_lenp)
{
    (void)ctx;
    const char *pick = rec->value_len > agg_len ? rec->value : agg;
    *out_lenp = strlen(pick);
    *outp = strdup(pick);
    return NULL;
}

START_TEST(test_dsl_window_reduce)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_to(weir_kwindowed_reduce(weir_kgrouped_windowed_by(
                                              weir_kstream_group_by_key(s),
                                              weir_tumbling_windows(100, 0)),
                                          longest, NULL, "longest"),
                    "out", weir_serde_windowed(weir_serde_string()), NULL);
    weir_test_driver_t *drv = driver(topo);
    const char *words[] = {"ab", "abcd", "abc"};
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_null(
            weir_test_driver_pipe_str(drv, "in", "k", words[i], i));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "z", 100));
    weir_test_record_t *rec = weir_test_driver_read_output(drv, "out");
    ck_assert_ptr_nonnull(rec);
    /* Windowed key bytes: "k", start 0, end 100 (8 bytes big-endian
     * each). */
    ck_assert_int_eq(rec->key_len, 17);
    ck_assert_int_eq(((unsigned char *)rec->key)[0], 'k');
    ck_assert_int_eq(((unsigned char *)rec->key)[16], 100);
    ck_assert_int_eq(rec->value_len, 4);
    ck_assert_mem_eq(rec->value, "abcd", 4);
    weir_test_record_destroy(rec);
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

START_TEST(test_dsl_window_count_after_select_key)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *rk = weir_kstream_select_key(s, first_char_key, NULL,
                                                 NULL);
    weir_kstream_to(weir_kwindowed_count(weir_kgrouped_windowed_by(
                                             weir_kstream_group_by_key(rk),
                                             weir_tumbling_windows(1000, 100)),
                                         "by-letter"),
                    "out", NULL, NULL);
    weir_test_driver_t *drv = driver(topo);
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    const char *vals[] = {"apple", "avocado", "banana", "apricot"};
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_null(
            weir_test_driver_pipe_str(drv, "in", "x", vals[i], 100 * i));
    ck_assert_ptr_null(
        weir_test_driver_pipe_str(drv, "in", "x", "cherry", 1100));
    ck_assert_str_eq(results(drv), "a[0,1000)=3@999;b[0,1000)=1@999;");
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_window_serde_rejects_short_bytes)
{
    weir_serde_t *ks = weir_serde_windowed(weir_serde_string());
    void *obj;
    size_t len;
    weir_error_t *err = weir_serde_deserialize(ks, "t", "short", 5, &obj,
                                               &len);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    weir_error_destroy(err);
    /* Round trip, with an empty inner key. */
    weir_windowed_key_t wk = {"", 0, -5, 1LL << 40};
    weir_buf_t b;
    weir_buf_init(&b, 0);
    ck_assert_ptr_null(weir_serde_serialize(ks, "t", &wk, sizeof(wk), &b));
    ck_assert_int_eq(b.len, 16);
    ck_assert_ptr_null(
        weir_serde_deserialize(ks, "t", b.data, b.len, &obj, &len));
    const weir_windowed_key_t *back = obj;
    ck_assert_int_eq(back->start, -5);
    ck_assert_int_eq(back->end, 1LL << 40);
    ck_assert_int_eq(back->key_len, 0);
    weir_serde_free_obj(ks, obj, len);
    weir_buf_free(&b);
    weir_serde_destroy(ks);
}
END_TEST


START_TEST(test_dsl_window_retention_keeps_windows_for_queries)
{
    for (int longer = 0; longer < 2; longer++) {
        weir_time_windows_t w = weir_tumbling_windows(1000, 0);
        w.emit = WEIR_EMIT_ON_UPDATE;
        w.retention_ms = longer ? 10000 : 0;
        weir_test_driver_t *drv = count_driver(w);
        pipe_str(drv, "k", 5);
        pipe_str(drv, "k", 5000);
        weir_window_store_t *ws;
        ck_assert_ptr_null(weir_test_driver_window_store(drv, "counts", &ws));
        void *v = NULL;
        size_t len;
        bool found;
        ck_assert_ptr_null(
            weir_window_store_get(ws, "k", 1, 0, &v, &len, &found));
        ck_assert_int_eq(found, longer); /* default: size + grace only */
        weir_free(v);
        weir_test_driver_destroy(drv);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dsl_window");
    TCase *tc = tcase_create("windows");
    tcase_add_test(tc, test_dsl_window_tumbling_boundary_opens_next_window);
    tcase_add_test(tc, test_dsl_window_grace_accepts_then_drops_late);
    tcase_add_test(tc, test_dsl_window_hopping_overlaps);
    tcase_add_test(tc,
                   test_dsl_window_closed_together_come_out_in_window_order);
    tcase_add_test(tc, test_dsl_window_store_holds_windows);
    tcase_add_test(tc, test_dsl_window_emit_on_update);
    tcase_add_test(tc, test_dsl_window_retention_keeps_windows_for_queries);
    tcase_add_test(tc, test_dsl_window_reduce);
    tcase_add_test(tc, test_dsl_window_count_after_select_key);
    tcase_add_test(tc, test_dsl_window_serde_rejects_short_bytes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
