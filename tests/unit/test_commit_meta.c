/*
 * test_commit_meta.c: the event-time metadata committed with offsets.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commit_meta_int.h"

static weir__commit_meta_t round_trip(weir__commit_meta_t in)
{
    char buf[WEIR__COMMIT_META_MAX];
    size_t n = weir__commit_meta_encode(&in, buf);
    ck_assert_uint_eq(n, strlen(buf));
    weir__commit_meta_t out = {0, 0};
    bool found = false;
    ck_assert_ptr_null(weir__commit_meta_decode(buf, n, &out, &found));
    ck_assert(found);
    return out;
}

START_TEST(test_commit_meta_round_trip_extremes)
{
    weir__commit_meta_t out = round_trip(
        (weir__commit_meta_t){1700000012345LL, 1764600000000LL});
    ck_assert_int_eq(out.stream_time, 1700000012345LL);
    ck_assert_int_eq(out.last_record_ms, 1764600000000LL);
    out = round_trip((weir__commit_meta_t){INT64_MIN, INT64_MIN});
    ck_assert_int_eq(out.stream_time, INT64_MIN);
    ck_assert_int_eq(out.last_record_ms, INT64_MIN);
    out = round_trip((weir__commit_meta_t){INT64_MAX, -5});
    ck_assert_int_eq(out.stream_time, INT64_MAX);
    ck_assert_int_eq(out.last_record_ms, -5);
}
END_TEST

START_TEST(test_commit_meta_reads_the_version_1_text)
{
    /* The bytes today's encoder writes, spelled out: a later format must
     * keep reading them. */
    const char *v1 = "weir:1:1700000000000:1764600000123";
    weir__commit_meta_t m;
    bool found;
    ck_assert_ptr_null(weir__commit_meta_decode(v1, strlen(v1), &m, &found));
    ck_assert(found);
    ck_assert_int_eq(m.stream_time, 1700000000000LL);
    ck_assert_int_eq(m.last_record_ms, 1764600000123LL);
}
END_TEST

START_TEST(test_commit_meta_ignores_metadata_that_is_not_weirs)
{
    weir__commit_meta_t m;
    bool found = true;
    ck_assert_ptr_null(weir__commit_meta_decode(NULL, 0, &m, &found));
    ck_assert(!found);
    ck_assert_ptr_null(weir__commit_meta_decode("", 0, &m, &found));
    ck_assert(!found);
    /* Kafka Streams' base64 partition time, a tool's note. */
    ck_assert_ptr_null(weir__commit_meta_decode("AQAAAZDl", 8, &m, &found));
    ck_assert(!found);
    ck_assert_ptr_null(weir__commit_meta_decode("wei", 3, &m, &found));
    ck_assert(!found);
}
END_TEST

static void expect_error(const char *text, weir_err_t code)
{
    weir__commit_meta_t m;
    bool found = true;
    weir_error_t *err = weir__commit_meta_decode(text, strlen(text), &m,
                                                 &found);
    ck_assert_msg(err != NULL, "'%s' accepted", text);
    ck_assert_int_eq(weir_error_code(err), code);
    ck_assert(!found);
    weir_error_destroy(err);
}

START_TEST(test_commit_meta_refuses_newer_versions_and_bad_text)
{
    expect_error("weir:2:1:2", WEIR_ERR_UNSUPPORTED);
    expect_error("weir:17", WEIR_ERR_UNSUPPORTED);
    expect_error("weir:", WEIR_ERR_SERDE);
    expect_error("weir:x:1:2", WEIR_ERR_SERDE);
    expect_error("weir:1:1", WEIR_ERR_SERDE);
    expect_error("weir:1:1:2:3", WEIR_ERR_SERDE);
    expect_error("weir:1:1:2x", WEIR_ERR_SERDE);
    expect_error("weir:1::2", WEIR_ERR_SERDE);
    expect_error("weir:1:99999999999999999999:2", WEIR_ERR_SERDE);
}
END_TEST

static Suite *commit_meta_suite(void)
{
    Suite *s = suite_create("commit_meta");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, test_commit_meta_round_trip_extremes);
    tcase_add_test(tc, test_commit_meta_reads_the_version_1_text);
    tcase_add_test(tc, test_commit_meta_ignores_metadata_that_is_not_weirs);
    tcase_add_test(tc, test_commit_meta_refuses_newer_versions_and_bad_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(commit_meta_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
