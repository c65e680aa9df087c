/*
 * test_base.c: errors, buffers, allocation fault injection and logging.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/buf.h>
#include <weir/error.h>

#include "alloc_int.h"
#include "log_int.h"

START_TEST(test_error_new_formats_message_and_code)
{
    weir_error_t *err = weir_error_new(WEIR_ERR_STORE, "store %s: %d", "views",
                                       42);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE);
    ck_assert_str_eq(weir_error_string(err), "store views: 42");
    ck_assert(!weir_error_is_retriable(err));
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_error_flags_and_prefix)
{
    weir_error_t *err = weir_error_new(WEIR_ERR_KAFKA, "commit failed");
    err = weir_error_set_retriable(err, true);
    err = weir_error_set_txn_requires_abort(err, true);
    err = weir_error_set_origin_code(err, -185);
    err = weir_error_prefix(err, "task %s: ", "0_3");
    ck_assert(weir_error_is_retriable(err));
    ck_assert(weir_error_txn_requires_abort(err));
    ck_assert(!weir_error_is_fatal(err));
    ck_assert_int_eq(weir_error_origin_code(err), -185);
    ck_assert_str_eq(weir_error_string(err), "task 0_3: commit failed");
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_error_null_is_success)
{
    ck_assert_int_eq(weir_error_code(NULL), WEIR_ERR_OK);
    ck_assert_str_eq(weir_error_string(NULL), "Success");
    weir_error_destroy(NULL);
}
END_TEST

START_TEST(test_error_names_and_descriptions)
{
    ck_assert_str_eq(weir_err2name(WEIR_ERR_INVALID_ARG), "INVALID_ARG");
    ck_assert_str_eq(weir_err2str(WEIR_ERR_INVALID_ARG), "Invalid argument");
    ck_assert_str_eq(weir_err2name((weir_err_t)9999), "UNKNOWN");
}
END_TEST

START_TEST(test_error_out_of_memory_gives_static_error)
{
    weir__alloc_fail_after(0);
    weir_error_t *err = weir_error_new(WEIR_ERR_IO, "disk");
    weir__alloc_fail_after(-1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOMEM);
    weir_error_destroy(err); /* must not free the static error */
}
END_TEST

START_TEST(test_buf_append_grows_and_caps)
{
    weir_buf_t buf;
    weir_buf_init(&buf, 100);
    for (int i = 0; i < 10; i++)
        ck_assert_ptr_null(weir_buf_append(&buf, "0123456789", 10));
    ck_assert_uint_eq(buf.len, 100);
    weir_error_t *err = weir_buf_append(&buf, "x", 1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOO_LARGE);
    weir_error_destroy(err);
    ck_assert_uint_eq(buf.len, 100);
    size_t len;
    unsigned char *data = weir_buf_detach(&buf, &len);
    ck_assert_uint_eq(len, 100);
    ck_assert(!memcmp(data + 90, "0123456789", 10));
    weir_free(data);
    weir_buf_free(&buf);
}
END_TEST

START_TEST(test_buf_append_fails_cleanly_without_memory)
{
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    weir__alloc_fail_after(0);
    weir_error_t *err = weir_buf_append(&buf, "abc", 3);
    weir__alloc_fail_after(-1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOMEM);
    ck_assert_uint_eq(buf.len, 0);
    weir_error_destroy(err);
    weir_buf_free(&buf);
}
END_TEST

static int captured_level;
static char captured[256];

static void capture(void *opaque, int level, const char *fac, const char *msg)
{
    (void)opaque;
    captured_level = level;
    snprintf(captured, sizeof(captured), "%s|%s", fac, msg);
}

START_TEST(test_log_respects_level_and_debug_mask)
{
    weir__logger_t log = weir__logger_default();
    log.cb = capture;
    log.level = WEIR_LOG_WARNING;
    weir__log(&log, WEIR_LOG_INFO, "TEST", "dropped %d", 1);
    ck_assert_str_eq(captured, "");
    weir__log(&log, WEIR_LOG_ERR, "TEST", "kept %d", 2);
    ck_assert_str_eq(captured, "TEST|kept 2");
    weir__dbg(&log, STORE, "STORE", "not enabled");
    ck_assert_str_eq(captured, "TEST|kept 2");
    log.debug = WEIR__DBG_STORE;
    weir__dbg(&log, STORE, "STORE", "enabled");
    ck_assert_str_eq(captured, "STORE|enabled");
    ck_assert_int_eq(captured_level, WEIR_LOG_DEBUG);
}
END_TEST

START_TEST(test_log_debug_parse)
{
    uint32_t mask = 0;
    const char *bad = NULL;
    size_t badlen = 0;
    ck_assert_int_eq(weir__debug_parse("store,eos", &mask, &bad, &badlen), 0);
    ck_assert_uint_eq(mask, WEIR__DBG_STORE | WEIR__DBG_EOS);
    ck_assert_int_eq(weir__debug_parse("store,bogus", &mask, &bad, &badlen),
                     -1);
    ck_assert_uint_eq(badlen, 5);
    ck_assert(!strncmp(bad, "bogus", badlen));
}
END_TEST

static Suite *base_suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("error");
    tcase_add_test(tc, test_error_new_formats_message_and_code);
    tcase_add_test(tc, test_error_flags_and_prefix);
    tcase_add_test(tc, test_error_null_is_success);
    tcase_add_test(tc, test_error_names_and_descriptions);
    tcase_add_test(tc, test_error_out_of_memory_gives_static_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("buf");
    tcase_add_test(tc, test_buf_append_grows_and_caps);
    tcase_add_test(tc, test_buf_append_fails_cleanly_without_memory);
    suite_add_tcase(s, tc);
    tc = tcase_create("log");
    tcase_add_test(tc, test_log_respects_level_and_debug_mask);
    tcase_add_test(tc, test_log_debug_parse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(base_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
