/*
 * test_serde.c: the serde wrapper and the bytes, string and int64 serdes.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <weir/serde.h>

#include "alloc_int.h"

START_TEST(test_serde_bytes_round_trip_keeps_embedded_zeros)
{
    weir_serde_t *serde = weir_serde_bytes();
    ck_assert_str_eq(weir_serde_name(serde), "bytes");
    const unsigned char in[] = {1, 0, 2, 0, 255};
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    ck_assert_ptr_null(weir_serde_serialize(serde, "t", in, sizeof(in), &buf));
    ck_assert_uint_eq(buf.len, sizeof(in));
    ck_assert_mem_eq(buf.data, in, sizeof(in));
    void *obj;
    size_t len;
    ck_assert_ptr_null(
        weir_serde_deserialize(serde, "t", buf.data, buf.len, &obj, &len));
    ck_assert_uint_eq(len, sizeof(in));
    ck_assert_mem_eq(obj, in, sizeof(in));
    weir_serde_free_obj(serde, obj, len);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_bytes_empty_value_is_not_null)
{
    weir_serde_t *serde = weir_serde_bytes();
    void *obj;
    size_t len = 99;
    ck_assert_ptr_null(weir_serde_deserialize(serde, "t", "", 0, &obj, &len));
    ck_assert_ptr_nonnull(obj);
    ck_assert_uint_eq(len, 0);
    weir_serde_free_obj(serde, obj, len);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_null_bytes_give_null_object_and_back)
{
    weir_serde_t *serdes[] = {weir_serde_bytes(), weir_serde_string(),
                              weir_serde_int64()};
    for (size_t i = 0; i < 3; i++) {
        void *obj = (void *)1;
        size_t len = 7;
        ck_assert_ptr_null(
            weir_serde_deserialize(serdes[i], "t", NULL, 0, &obj, &len));
        ck_assert_ptr_null(obj);
        ck_assert_uint_eq(len, 0);
        weir_buf_t buf;
        weir_buf_init(&buf, 0);
        ck_assert_ptr_null(
            weir_serde_serialize(serdes[i], "t", NULL, 0, &buf));
        ck_assert_uint_eq(buf.len, 0);
        weir_serde_free_obj(serdes[i], NULL, 0);
        weir_serde_destroy(serdes[i]);
    }
}
END_TEST

START_TEST(test_serde_string_round_trip_and_strlen_default)
{
    weir_serde_t *serde = weir_serde_string();
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    const char *s = "gr\xc3\xbc\xc3\x9f"
                    "e, \xe2\x82\xac 5";
    ck_assert_ptr_null(weir_serde_serialize(serde, "t", s, 0, &buf));
    ck_assert_uint_eq(buf.len, strlen(s));
    void *obj;
    size_t len;
    ck_assert_ptr_null(
        weir_serde_deserialize(serde, "t", buf.data, buf.len, &obj, &len));
    ck_assert_uint_eq(len, strlen(s));
    ck_assert_str_eq(obj, s);
    weir_serde_free_obj(serde, obj, len);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_string_rejects_invalid_utf8)
{
    static const char *bad[] = {
        "\xff",             /* never valid */
        "ab\xc3",           /* truncated sequence */
        "\xc0\xaf",         /* overlong '/' */
        "\xed\xa0\x80",     /* surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
    };
    weir_serde_t *serde = weir_serde_string();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        void *obj = (void *)1;
        size_t len;
        weir_error_t *err = weir_serde_deserialize(serde, "clicks", bad[i],
                                                   strlen(bad[i]), &obj, &len);
        ck_assert_ptr_nonnull(err);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
        ck_assert_ptr_null(obj);
        ck_assert_ptr_nonnull(strstr(weir_error_string(err), "topic clicks"));
        weir_error_destroy(err);
    }
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_int64_is_big_endian)
{
    weir_serde_t *serde = weir_serde_int64();
    int64_t v = -2;
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    ck_assert_ptr_null(weir_serde_serialize(serde, "t", &v, sizeof(v), &buf));
    const unsigned char want[] = {0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xfe};
    ck_assert_uint_eq(buf.len, 8);
    ck_assert_mem_eq(buf.data, want, 8);
    weir_buf_reset(&buf);
    v = 0x0102030405060708;
    ck_assert_ptr_null(weir_serde_serialize(serde, "t", &v, 0, &buf));
    const unsigned char want2[] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_mem_eq(buf.data, want2, 8);
    void *obj;
    size_t len;
    ck_assert_ptr_null(
        weir_serde_deserialize(serde, "t", buf.data, buf.len, &obj, &len));
    ck_assert_uint_eq(len, 8);
    ck_assert(*(int64_t *)obj == 0x0102030405060708);
    weir_serde_free_obj(serde, obj, len);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_int64_rejects_wrong_length)
{
    weir_serde_t *serde = weir_serde_int64();
    const unsigned char data[9] = {0};
    size_t lens[] = {0, 7, 9};
    for (size_t i = 0; i < 3; i++) {
        void *obj;
        size_t len;
        weir_error_t *err = weir_serde_deserialize(serde, "t", data, lens[i],
                                                   &obj, &len);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
        weir_error_destroy(err);
    }
    int32_t small = 3;
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    weir_error_t *err = weir_serde_serialize(serde, "t", &small, sizeof(small),
                                             &buf);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    weir_error_destroy(err);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_oversize_value_is_too_large_and_leaves_buffer_intact)
{
    weir_serde_t *serde = weir_serde_string();
    weir_buf_t buf;
    weir_buf_init(&buf, 8);
    ck_assert_ptr_null(weir_serde_serialize(serde, "t", "abc", 3, &buf));
    weir_error_t *err = weir_serde_serialize(serde, "t", "defghi", 6, &buf);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOO_LARGE);
    ck_assert_uint_eq(buf.len, 3);
    weir_error_destroy(err);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

static int destroyed;

static weir_error_t *fail_deser(void *opaque, const char *topic,
                                const void *data, size_t len, void **objp,
                                size_t *obj_lenp)
{
    (void)opaque;
    (void)topic;
    (void)data;
    (void)len;
    (void)obj_lenp;
    *objp = (void *)1; /* garbage the wrapper must not hand out */
    return weir_error_new(WEIR_ERR_SERDE, "always fails");
}

static weir_error_t *half_ser(void *opaque, const char *topic, const void *obj,
                              size_t obj_len, weir_buf_t *out)
{
    (void)opaque;
    (void)topic;
    (void)obj;
    (void)obj_len;
    weir_error_t *err = weir_buf_append(out, "half", 4);
    if (err)
        return err;
    return weir_error_new(WEIR_ERR_SERDE, "failed after writing");
}

static void noop_free(void *opaque, void *obj, size_t obj_len)
{
    (void)opaque;
    (void)obj;
    (void)obj_len;
}

static void count_destroy(void *opaque)
{
    ck_assert_ptr_eq(opaque, &destroyed);
    destroyed++;
}

static const weir_serde_ops_t custom_ops = {
    .name = "custom",
    .deserialize = fail_deser,
    .serialize = half_ser,
    .free_obj = noop_free,
    .destroy = count_destroy,
};

START_TEST(test_serde_custom_refcount_and_failed_calls_leave_nothing)
{
    destroyed = 0;
    weir_serde_t *serde = weir_serde_new(&custom_ops, &destroyed);
    ck_assert_ptr_nonnull(serde);
    ck_assert_ptr_eq(weir_serde_ref(serde), serde);
    void *obj;
    size_t len;
    weir_error_t *err = weir_serde_deserialize(serde, "in", "x", 1, &obj,
                                               &len);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    ck_assert_str_eq(weir_error_string(err), "topic in: always fails");
    ck_assert_ptr_null(obj);
    weir_error_destroy(err);
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    err = weir_serde_serialize(serde, NULL, "x", 1, &buf);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    ck_assert_uint_eq(buf.len, 0);
    weir_error_destroy(err);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
    ck_assert_int_eq(destroyed, 0);
    weir_serde_destroy(serde);
    ck_assert_int_eq(destroyed, 1);
    weir_serde_destroy(NULL);
}
END_TEST

START_TEST(test_serde_out_of_memory_is_an_error)
{
    weir_serde_t *serde = weir_serde_bytes();
    void *obj;
    size_t len;
    weir__alloc_fail_after(0);
    weir_error_t *err = weir_serde_deserialize(serde, NULL, "abc", 3, &obj,
                                               &len);
    weir__alloc_fail_after(-1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOMEM);
    ck_assert_ptr_null(obj);
    weir_error_destroy(err);
    weir_serde_destroy(serde);
    weir__alloc_fail_after(0);
    ck_assert_ptr_null(weir_serde_string());
    weir__alloc_fail_after(-1);
}
END_TEST

static Suite *serde_suite(void)
{
    Suite *s = suite_create("serde");
    TCase *tc = tcase_create("builtin");
    tcase_add_test(tc, test_serde_bytes_round_trip_keeps_embedded_zeros);
    tcase_add_test(tc, test_serde_bytes_empty_value_is_not_null);
    tcase_add_test(tc, test_serde_null_bytes_give_null_object_and_back);
    tcase_add_test(tc, test_serde_string_round_trip_and_strlen_default);
    tcase_add_test(tc, test_serde_string_rejects_invalid_utf8);
    tcase_add_test(tc, test_serde_int64_is_big_endian);
    tcase_add_test(tc, test_serde_int64_rejects_wrong_length);
    tcase_add_test(
        tc, test_serde_oversize_value_is_too_large_and_leaves_buffer_intact);
    suite_add_tcase(s, tc);
    tc = tcase_create("wrapper");
    tcase_add_test(tc,
                   test_serde_custom_refcount_and_failed_calls_leave_nothing);
    tcase_add_test(tc, test_serde_out_of_memory_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(serde_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
