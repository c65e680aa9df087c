/*
 * test_serde_protobuf.c: the protobuf-c serde with the messages of
 * tests/unit/proto/test_serde.proto: round trip, bad bytes, truncation,
 * missing required fields, wrong message type, oversize.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <weir/serde_protobuf.h>

#include "alloc_int.h"
#include "test_serde.pb-c.h"

static weir_buf_t packed_click(weir_serde_t *serde, Weirtest__Click *click)
{
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    weir_error_t *err = weir_serde_serialize(serde, "t", click, 0, &buf);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    return buf;
}

static void make_click(Weirtest__Click *click, char **tags)
{
    weirtest__click__init(click);
    click->user_id = "user-27";
    click->product_id = "140";
    click->has_ts = 1;
    click->ts = 1719579715000;
    click->n_tags = 2;
    click->tags = tags;
    click->has_blob = 1;
    click->blob.data = (uint8_t *)"\0\1\2";
    click->blob.len = 3;
}

START_TEST(test_serde_protobuf_round_trip)
{
    weir_serde_t *serde = weir_serde_protobuf_new(
        &weirtest__click__descriptor);
    ck_assert_str_eq(weir_serde_name(serde), "protobuf");
    char *tags[] = {"a", "b"};
    Weirtest__Click click;
    make_click(&click, tags);
    weir_buf_t buf = packed_click(serde, &click);
    ck_assert_uint_eq(buf.len, protobuf_c_message_get_packed_size(
                                   (ProtobufCMessage *)&click));
    void *obj;
    size_t len;
    ck_assert_ptr_null(
        weir_serde_deserialize(serde, "t", buf.data, buf.len, &obj, &len));
    ck_assert_uint_eq(len, sizeof(Weirtest__Click));
    Weirtest__Click *got = obj;
    ck_assert_str_eq(got->user_id, "user-27");
    ck_assert_str_eq(got->product_id, "140");
    ck_assert(got->has_ts && got->ts == 1719579715000);
    ck_assert_uint_eq(got->n_tags, 2);
    ck_assert_str_eq(got->tags[1], "b");
    ck_assert_uint_eq(got->blob.len, 3);
    ck_assert_mem_eq(got->blob.data, "\0\1\2", 3);
    weir_serde_free_obj(serde, obj, len);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

static weir_err_t deser_code(weir_serde_t *serde, const void *data, size_t len)
{
    void *obj = (void *)1;
    size_t n;
    weir_error_t *err = weir_serde_deserialize(serde, "t", data, len, &obj,
                                               &n);
    weir_err_t code = weir_error_code(err);
    if (err)
        ck_assert_ptr_null(obj);
    weir_error_destroy(err);
    weir_serde_free_obj(serde, obj, n);
    return code;
}

START_TEST(test_serde_protobuf_bad_and_truncated_bytes)
{
    weir_serde_t *serde = weir_serde_protobuf_new(
        &weirtest__click__descriptor);
    char *tags[] = {"a", "b"};
    Weirtest__Click click;
    make_click(&click, tags);
    weir_buf_t buf = packed_click(serde, &click);
    /* Fields are packed in number order: user_id (2 + 7 bytes), then
     * product_id (2 + 3). A prefix shorter than both required fields is
     * truncated or lacks one; a cut inside the last field is truncated. */
    for (size_t n = 0; n < 14; n++)
        ck_assert_int_eq(deser_code(serde, buf.data, n), WEIR_ERR_SERDE);
    ck_assert_int_eq(deser_code(serde, buf.data, 14), WEIR_ERR_OK);
    ck_assert_int_eq(deser_code(serde, buf.data, buf.len - 1), WEIR_ERR_SERDE);
    /* A length that runs past the end; an invalid wire type. */
    ck_assert_int_eq(deser_code(serde,
                                "\x0a\x7f"
                                "abc",
                                5),
                     WEIR_ERR_SERDE);
    ck_assert_int_eq(deser_code(serde, "\x0f\x01", 2), WEIR_ERR_SERDE);
    /* Valid protobuf, but not a Click: the required fields are missing. */
    ck_assert_int_eq(deser_code(serde, "\x08\x05", 2), WEIR_ERR_SERDE);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_protobuf_wrong_type_and_missing_required)
{
    weir_serde_t *serde = weir_serde_protobuf_new(
        &weirtest__click__descriptor);
    Weirtest__Other other;
    weirtest__other__init(&other);
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    weir_error_t *err = weir_serde_serialize(serde, "t", &other, 0, &buf);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SCHEMA);
    weir_error_destroy(err);
    Weirtest__Click click;
    weirtest__click__init(&click); /* user_id and product_id unset */
    click.user_id = NULL;
    err = weir_serde_serialize(serde, "t", &click, 0, &buf);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    weir_error_destroy(err);
    ck_assert_uint_eq(buf.len, 0);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
    ck_assert_ptr_null(weir_serde_protobuf_new(NULL));
}
END_TEST

START_TEST(test_serde_protobuf_oversize_is_too_large)
{
    weir_serde_t *serde = weir_serde_protobuf_new(
        &weirtest__click__descriptor);
    char *tags[] = {"a", "b"};
    Weirtest__Click click;
    make_click(&click, tags);
    weir_buf_t buf;
    weir_buf_init(&buf, 16);
    weir_error_t *err = weir_serde_serialize(serde, "t", &click, 0, &buf);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOO_LARGE);
    ck_assert_uint_eq(buf.len, 0);
    weir_error_destroy(err);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_protobuf_out_of_memory_is_an_error)
{
    weir_serde_t *serde = weir_serde_protobuf_new(
        &weirtest__click__descriptor);
    char *tags[] = {"a", "b"};
    Weirtest__Click click;
    make_click(&click, tags);
    weir_buf_t buf = packed_click(serde, &click);
    for (long k = 0; k < 100; k++) {
        void *obj = NULL;
        size_t len = 0;
        weir__alloc_fail_after(k);
        weir_error_t *err = weir_serde_deserialize(serde, "t", buf.data,
                                                   buf.len, &obj, &len);
        weir__alloc_fail_after(-1);
        if (!err) {
            weir_serde_free_obj(serde, obj, len);
            weir_buf_free(&buf);
            weir_serde_destroy(serde);
            return;
        }
        ck_assert_ptr_null(obj);
        weir_error_destroy(err);
    }
    ck_abort_msg("never succeeded");
}
END_TEST

START_TEST(test_serde_protobuf_random_corruption_never_crashes)
{
    weir_serde_t *serde = weir_serde_protobuf_new(
        &weirtest__click__descriptor);
    char *tags[] = {"a", "b"};
    Weirtest__Click click;
    make_click(&click, tags);
    weir_buf_t good = packed_click(serde, &click);
    unsigned int seed = 777;
    unsigned char bad[256];
    for (int round = 0; round < 20000; round++) {
        size_t n = good.len;
        memcpy(bad, good.data, n);
        for (int e = 1 + rand_r(&seed) % 3; e > 0; e--) {
            size_t at = (size_t)rand_r(&seed) % n;
            if (rand_r(&seed) % 4 == 0)
                n = at ? at : 1;
            else
                bad[at] = (unsigned char)rand_r(&seed);
        }
        weir_err_t code = deser_code(serde, bad, n);
        ck_assert(code == WEIR_ERR_OK || code == WEIR_ERR_SERDE);
    }
    weir_buf_free(&good);
    weir_serde_destroy(serde);
}
END_TEST

static Suite *serde_protobuf_suite(void)
{
    Suite *s = suite_create("serde_protobuf");
    TCase *tc = tcase_create("protobuf");
    tcase_add_test(tc, test_serde_protobuf_round_trip);
    tcase_add_test(tc, test_serde_protobuf_bad_and_truncated_bytes);
    tcase_add_test(tc, test_serde_protobuf_wrong_type_and_missing_required);
    tcase_add_test(tc, test_serde_protobuf_oversize_is_too_large);
    tcase_add_test(tc, test_serde_protobuf_out_of_memory_is_an_error);
    tcase_add_test(tc, test_serde_protobuf_random_corruption_never_crashes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(serde_protobuf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
