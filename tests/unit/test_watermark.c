/*
 * test_watermark.c: marker encoding and the downstream progress rule.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "watermark_int.h"

START_TEST(test_watermark_marker_round_trip)
{
    weir__wm_t in = {3, 17, -1234567890123LL, true}, out;
    unsigned char buf[WEIR__WM_SIZE];
    weir__wm_encode(&in, buf);
    ck_assert_ptr_null(weir__wm_decode(buf, sizeof(buf), &out));
    ck_assert_int_eq(out.sub, 3);
    ck_assert_int_eq(out.partition, 17);
    ck_assert_int_eq(out.time, -1234567890123LL);
    ck_assert(out.idle);
    in.time = INT64_MIN;
    in.idle = false;
    weir__wm_encode(&in, buf);
    ck_assert_ptr_null(weir__wm_decode(buf, sizeof(buf), &out));
    ck_assert_int_eq(out.time, INT64_MIN);
    ck_assert(!out.idle);
}
END_TEST

START_TEST(test_watermark_rejects_other_bytes)
{
    weir__wm_t wm;
    unsigned char buf[WEIR__WM_SIZE] = {2};
    weir_error_t *err = weir__wm_decode(buf, sizeof(buf), &wm);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    weir_error_destroy(err);
    err = weir__wm_decode(buf, 5, &wm);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    weir_error_destroy(err);
    err = weir__wm_decode(NULL, 0, &wm);
    ck_assert_ptr_nonnull(err);
    weir_error_destroy(err);
}
END_TEST

static void mark(weir__wm_tracker_t *t, int sub, int part, int64_t time,
                 bool idle)
{
    weir__wm_t wm = {sub, part, time, idle};
    ck_assert(weir__wm_tracker_update(t, &wm));
}

START_TEST(test_watermark_progress_is_min_over_all_upstream_tasks)
{
    weir__wm_tracker_t *t = weir__wm_tracker_new();
    ck_assert_ptr_null(weir__wm_tracker_add_upstream(t, 0, 3));
    ck_assert_ptr_null(weir__wm_tracker_add_upstream(t, 1, 2));
    ck_assert_ptr_null(weir__wm_tracker_add_upstream(t, 1, 2)); /* again */
    ck_assert_int_eq(weir__wm_tracker_progress(t), INT64_MIN);
    mark(t, 0, 0, 100, false);
    mark(t, 0, 1, 200, false);
    mark(t, 0, 2, 300, false);
    mark(t, 1, 0, 150, false);
    /* sub 1 partition 1 has said nothing: progress waits for it. */
    ck_assert_int_eq(weir__wm_tracker_progress(t), INT64_MIN);
    mark(t, 1, 1, 400, false);
    ck_assert_int_eq(weir__wm_tracker_progress(t), 100);
    /* A stale marker never moves a task back. */
    mark(t, 0, 0, 50, false);
    ck_assert_int_eq(weir__wm_tracker_progress(t), 100);
    mark(t, 0, 0, 500, false);
    ck_assert_int_eq(weir__wm_tracker_progress(t), 150);
    weir__wm_tracker_destroy(t);
}
END_TEST

START_TEST(test_watermark_idle_upstream_stops_holding_back)
{
    weir__wm_tracker_t *t = weir__wm_tracker_new();
    ck_assert_ptr_null(weir__wm_tracker_add_upstream(t, 0, 2));
    mark(t, 0, 0, 1000, false);
    ck_assert(!weir__wm_tracker_all_idle(t));
    mark(t, 0, 1, 10, true); /* quiet partition */
    ck_assert_int_eq(weir__wm_tracker_progress(t), 1000);
    ck_assert(!weir__wm_tracker_all_idle(t));
    mark(t, 0, 0, 2000, true); /* everyone idle: the max */
    ck_assert_int_eq(weir__wm_tracker_progress(t), 2000);
    ck_assert(weir__wm_tracker_all_idle(t));
    mark(t, 0, 1, 20, false); /* wakes up: holds back again */
    ck_assert_int_eq(weir__wm_tracker_progress(t), 20);
    ck_assert(!weir__wm_tracker_all_idle(t));
    weir__wm_tracker_destroy(t);
}
END_TEST

START_TEST(test_watermark_all_idle_needs_a_marker_from_every_upstream)
{
    weir__wm_tracker_t *t = weir__wm_tracker_new();
    ck_assert(!weir__wm_tracker_all_idle(t)); /* nobody declared */
    ck_assert_ptr_null(weir__wm_tracker_add_upstream(t, 0, 2));
    ck_assert_ptr_null(weir__wm_tracker_add_upstream(t, 1, 1));
    mark(t, 0, 0, INT64_MIN, true); /* an empty partition, idle */
    mark(t, 0, 1, 50, true);
    ck_assert(!weir__wm_tracker_all_idle(t)); /* 1_0 has said nothing */
    mark(t, 1, 0, 40, true);
    ck_assert(weir__wm_tracker_all_idle(t));
    ck_assert_int_eq(weir__wm_tracker_progress(t), 50);
    weir__wm_tracker_destroy(t);
}
END_TEST

START_TEST(test_watermark_unknown_upstream_is_ignored)
{
    weir__wm_tracker_t *t = weir__wm_tracker_new();
    ck_assert_ptr_null(weir__wm_tracker_add_upstream(t, 0, 2));
    weir__wm_t wm = {5, 0, 10, false};
    ck_assert(!weir__wm_tracker_update(t, &wm));
    wm.sub = 0;
    wm.partition = 2;
    ck_assert(!weir__wm_tracker_update(t, &wm));
    weir_error_t *err = weir__wm_tracker_add_upstream(t, 1, 0);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    weir__wm_tracker_destroy(t);
}
END_TEST

static Suite *watermark_suite(void)
{
    Suite *s = suite_create("watermark");
    TCase *tc = tcase_create("watermark");
    tcase_add_test(tc, test_watermark_marker_round_trip);
    tcase_add_test(tc, test_watermark_rejects_other_bytes);
    tcase_add_test(tc, test_watermark_progress_is_min_over_all_upstream_tasks);
    tcase_add_test(tc, test_watermark_idle_upstream_stops_holding_back);
    tcase_add_test(tc,
                   test_watermark_all_idle_needs_a_marker_from_every_upstream);
    tcase_add_test(tc, test_watermark_unknown_upstream_is_ignored);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(watermark_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
