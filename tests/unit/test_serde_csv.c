/*
 * test_serde_csv.c: CSV rows, parsing (RFC 4180 quoting, strictness, one
 * record per value), writing (minimal and forced quoting) and the serde,
 * including the seed's inventory rows and recommendation output format.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/serde_csv.h>

#include "alloc_int.h"
#include "check_ok.h"

static weir_csv_row_t *parse_ok(const char *s, char delim)
{
    weir_csv_row_t *row = NULL;
    weir_error_t *err = weir_csv_parse(s, strlen(s), delim, &row);
    ck_assert_msg(err == NULL, "%s: %s", s, weir_error_string(err));
    return row;
}

static void assert_fields(const weir_csv_row_t *row, size_t n,
                          const char *const *want)
{
    ck_assert_uint_eq(weir_csv_row_count(row), n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *f = weir_csv_row_field(row, i, &len);
        ck_assert_str_eq(f, want[i]);
        ck_assert_uint_eq(len, strlen(want[i]));
    }
    ck_assert_ptr_null(weir_csv_row_field(row, n, NULL));
}

START_TEST(test_serde_csv_parse_plain_and_quoted)
{
    weir_csv_row_t *row = parse_ok("142,Toys,51,9", ',');
    assert_fields(row, 4, (const char *const[]){"142", "Toys", "51", "9"});
    weir_csv_row_destroy(row);

    row = parse_ok("user-27,\"140,13,137\",\"2024-06-28 13:01:55\"", ',');
    assert_fields(
        row, 3,
        (const char *const[]){"user-27", "140,13,137", "2024-06-28 13:01:55"});
    weir_csv_row_destroy(row);

    /* Doubled quotes, line breaks inside quotes, kept spaces, empties. */
    row = parse_ok("\"say \"\"hi\"\"\",\"two\r\nlines\", padded ,,\"\"", ',');
    assert_fields(row, 5,
                  (const char *const[]){"say \"hi\"", "two\r\nlines",
                                        " padded ", "", ""});
    weir_csv_row_destroy(row);

    /* One trailing line break ends the record. */
    row = parse_ok("a;b\r\n", ';');
    assert_fields(row, 2, (const char *const[]){"a", "b"});
    weir_csv_row_destroy(row);

    row = parse_ok("", ',');
    ck_assert_uint_eq(weir_csv_row_count(row), 0);
    weir_csv_row_destroy(row);
}
END_TEST

START_TEST(test_serde_csv_parse_rejects_malformed)
{
    static const char *const bad[] = {
        "a,b\"c",         /* quote inside an unquoted field */
        "\"ab\"c,d",      /* text after a closing quote */
        "\"unterminated", /* quote never closed */
        "a,b\nc,d",       /* two records */
        "a\rb",           /* two records, CR alone */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        weir_csv_row_t *row = (void *)1;
        weir_error_t *err = weir_csv_parse(bad[i], strlen(bad[i]), ',', &row);
        ck_assert_msg(weir_error_code(err) == WEIR_ERR_CSV, "%s: %s", bad[i],
                      weir_error_string(err));
        ck_assert_ptr_null(row);
        weir_error_destroy(err);
    }
}
END_TEST

static char *write_row(const weir_csv_row_t *row, char delim, int flags)
{
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    ck_assert_ptr_null(weir_csv_row_write(row, delim, flags, &buf));
    ck_assert_ptr_null(weir_buf_append(&buf, "", 1));
    return (char *)weir_buf_detach(&buf, NULL);
}

START_TEST(test_serde_csv_write_quotes_only_what_needs_it)
{
    weir_csv_row_t *row = weir_csv_row_new();
    ck_assert_ptr_null(weir_csv_row_add(row, "user-27", (size_t)-1));
    ck_assert_ptr_null(weir_csv_row_add(row, "140,13,137,95,39,138", 20));
    ck_assert_ptr_null(
        weir_csv_row_add_quoted(row, "2024-06-28 13:01:55", (size_t)-1));
    char *s = write_row(row, ',', 0);
    /* The seed's recommendation output, byte for byte. */
    ck_assert_str_eq(s, "user-27,\"140,13,137,95,39,138\","
                        "\"2024-06-28 13:01:55\"");
    weir__free(s);

    weir_csv_row_clear(row);
    ck_assert_uint_eq(weir_csv_row_count(row), 0);
    CHECK_OK(weir_csv_row_add(row, "say \"hi\"", (size_t)-1));
    CHECK_OK(weir_csv_row_add(row, "a\nb", (size_t)-1));
    CHECK_OK(weir_csv_row_add(row, " x", (size_t)-1));
    CHECK_OK(weir_csv_row_add(row, NULL, 0));
    CHECK_OK(weir_csv_row_add(row, "plain", (size_t)-1));
    s = write_row(row, ',', 0);
    ck_assert_str_eq(s, "\"say \"\"hi\"\"\",\"a\nb\",\" x\",,plain");
    weir__free(s);
    s = write_row(row, ',', WEIR_CSV_QUOTE_ALL);
    ck_assert_str_eq(s, "\"say \"\"hi\"\"\",\"a\nb\",\" x\",\"\",\"plain\"");
    weir__free(s);
    weir_csv_row_destroy(row);
}
END_TEST

START_TEST(test_serde_csv_round_trip_through_serde)
{
    static const char *const rows[][4] = {
        {"1", "two, three", "fo\"ur", "\r\n"},
        {"", "", "", ""},
        {" lead", "trail ", "semi;colon", "tab\there"},
    };
    weir_serde_t *serde = weir_serde_csv_new(';', 0, 4);
    ck_assert_str_eq(weir_serde_name(serde), "csv");
    for (size_t r = 0; r < 3; r++) {
        weir_csv_row_t *row = weir_csv_row_new();
        for (int i = 0; i < 4; i++)
            CHECK_OK(weir_csv_row_add(row, rows[r][i], (size_t)-1));
        weir_buf_t buf;
        weir_buf_init(&buf, 0);
        ck_assert_ptr_null(weir_serde_serialize(serde, "t", row, 0, &buf));
        void *obj;
        size_t n;
        ck_assert_ptr_null(
            weir_serde_deserialize(serde, "t", buf.data, buf.len, &obj, &n));
        ck_assert_uint_eq(n, 4);
        assert_fields(obj, 4, rows[r]);
        weir_serde_free_obj(serde, obj, n);
        weir_buf_free(&buf);
        weir_csv_row_destroy(row);
    }
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_csv_single_empty_field_differs_from_no_field)
{
    weir_serde_t *serde = weir_serde_csv();
    weir_csv_row_t *row = weir_csv_row_new();
    CHECK_OK(weir_csv_row_add(row, "", 0));
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    ck_assert_ptr_null(weir_serde_serialize(serde, "t", row, 0, &buf));
    ck_assert_uint_eq(buf.len, 2); /* "" */
    void *obj;
    size_t n;
    ck_assert_ptr_null(
        weir_serde_deserialize(serde, "t", buf.data, buf.len, &obj, &n));
    ck_assert_uint_eq(weir_csv_row_count(obj), 1);
    weir_serde_free_obj(serde, obj, n);
    ck_assert_ptr_null(weir_serde_deserialize(serde, "t", "", 0, &obj, &n));
    ck_assert_uint_eq(weir_csv_row_count(obj), 0);
    weir_serde_free_obj(serde, obj, n);
    weir_buf_free(&buf);
    weir_csv_row_destroy(row);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_csv_bad_values_are_serde_errors)
{
    weir_serde_t *serde = weir_serde_csv_new(',', 0, 4);
    static const char *const bad[] = {"1,2,3", "1,2,3,4,5", "1,\"2,3,4",
                                      "1,2,3,4\n5,6,7,8"};
    for (size_t i = 0; i < 4; i++) {
        void *obj = (void *)1;
        size_t n;
        weir_error_t *err = weir_serde_deserialize(serde, "inventory", bad[i],
                                                   strlen(bad[i]), &obj, &n);
        ck_assert_msg(weir_error_code(err) == WEIR_ERR_SERDE, "%s: %s", bad[i],
                      weir_error_string(err));
        ck_assert_ptr_null(obj);
        ck_assert_ptr_nonnull(strstr(weir_error_string(err), "inventory"));
        weir_error_destroy(err);
    }
    weir_serde_destroy(serde);
    ck_assert_ptr_null(weir_serde_csv_new('"', 0, 0));
    ck_assert_ptr_null(weir_serde_csv_new('\n', 0, 0));
}
END_TEST

START_TEST(test_serde_csv_oversize_is_too_large_and_buffer_unchanged)
{
    weir_serde_t *serde = weir_serde_csv();
    weir_csv_row_t *row = weir_csv_row_new();
    CHECK_OK(weir_csv_row_add(row, "0123456789", (size_t)-1));
    CHECK_OK(weir_csv_row_add(row, "a \"quoted\" field", (size_t)-1));
    weir_buf_t buf;
    weir_buf_init(&buf, 16);
    ck_assert_ptr_null(weir_buf_append(&buf, "ab", 2));
    weir_error_t *err = weir_serde_serialize(serde, "t", row, 0, &buf);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOO_LARGE);
    ck_assert_uint_eq(buf.len, 2);
    weir_error_destroy(err);
    weir_buf_free(&buf);
    weir_csv_row_destroy(row);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_csv_seed_inventory_file_parses)
{
    FILE *f = fopen(
        WEIR_SOURCE_DIR "/apps/recommendation/data/productInventory.csv", "r");
    ck_assert_ptr_nonnull(f);
    weir_serde_t *serde = weir_serde_csv_new(',', 0, 4);
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof(line), f)) {
        void *obj;
        size_t n;
        weir_error_t *err = weir_serde_deserialize(serde, "inventory", line,
                                                   strlen(line), &obj, &n);
        ck_assert_msg(err == NULL, "%s", weir_error_string(err));
        ck_assert_int_ge(atoi(weir_csv_row_field(obj, 2, NULL)), 0);
        weir_serde_free_obj(serde, obj, n);
        rows++;
    }
    fclose(f);
    ck_assert_int_eq(rows, 201);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_serde_csv_out_of_memory_never_crashes)
{
    const char *s = "\"a,b\",c,\"d\"\"e\",f,g,h,i,j,k,l";
    for (long k = 0; k < 1000; k++) {
        weir_csv_row_t *row = NULL;
        weir__alloc_fail_after(k);
        weir_error_t *err = weir_csv_parse(s, strlen(s), ',', &row);
        weir__alloc_fail_after(-1);
        if (!err) {
            ck_assert_uint_eq(weir_csv_row_count(row), 10);
            weir_csv_row_destroy(row);
            return;
        }
        ck_assert_msg(weir_error_code(err) == WEIR_ERR_NOMEM, "%s",
                      weir_error_string(err));
        ck_assert_ptr_null(row);
        weir_error_destroy(err);
    }
    ck_abort_msg("never succeeded");
}
END_TEST

START_TEST(test_serde_csv_random_bytes_never_crash)
{
    /* Random mixes of the characters CSV cares about (seeded): each value
     * parses or fails with SERDE, and what parses writes back into
     * something that parses to the same fields. */
    static const char alphabet[] = "ab,\"\r\n ;\0";
    weir_serde_t *serde = weir_serde_csv();
    unsigned int seed = 4242;
    char in[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)rand_r(&seed) % sizeof(in);
        for (size_t i = 0; i < n; i++)
            in[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
        void *obj = NULL;
        size_t len;
        weir_error_t *err = weir_serde_deserialize(serde, "t", in, n, &obj,
                                                   &len);
        if (err) {
            ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
            weir_error_destroy(err);
            continue;
        }
        weir_buf_t buf;
        weir_buf_init(&buf, 0);
        ck_assert_ptr_null(weir_serde_serialize(serde, "t", obj, 0, &buf));
        void *again;
        size_t len2;
        err = weir_serde_deserialize(serde, "t", buf.data, buf.len, &again,
                                     &len2);
        ck_assert_msg(err == NULL, "round %d: %s", round,
                      weir_error_string(err));
        ck_assert_uint_eq(len2, len);
        for (size_t i = 0; i < len; i++) {
            size_t a, b;
            const char *fa = weir_csv_row_field(obj, i, &a);
            const char *fb = weir_csv_row_field(again, i, &b);
            ck_assert_uint_eq(a, b);
            ck_assert_mem_eq(fa, fb, a);
        }
        weir_serde_free_obj(serde, again, len2);
        weir_serde_free_obj(serde, obj, len);
        weir_buf_free(&buf);
    }
    weir_serde_destroy(serde);
}
END_TEST

static Suite *serde_csv_suite(void)
{
    Suite *s = suite_create("serde_csv");
    TCase *tc = tcase_create("rows");
    tcase_add_test(tc, test_serde_csv_parse_plain_and_quoted);
    tcase_add_test(tc, test_serde_csv_parse_rejects_malformed);
    tcase_add_test(tc, test_serde_csv_write_quotes_only_what_needs_it);
    tcase_add_test(tc, test_serde_csv_out_of_memory_never_crashes);
    suite_add_tcase(s, tc);
    tc = tcase_create("serde");
    tcase_add_test(tc, test_serde_csv_round_trip_through_serde);
    tcase_add_test(tc,
                   test_serde_csv_single_empty_field_differs_from_no_field);
    tcase_add_test(tc, test_serde_csv_bad_values_are_serde_errors);
    tcase_add_test(tc,
                   test_serde_csv_oversize_is_too_large_and_buffer_unchanged);
    tcase_add_test(tc, test_serde_csv_seed_inventory_file_parses);
    tcase_add_test(tc, test_serde_csv_random_bytes_never_crash);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(serde_csv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
