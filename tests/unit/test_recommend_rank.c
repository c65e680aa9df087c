/*
 * test_recommend_rank.c: the recommendation app's pure parts: ranking,
 * output format, history, inventory rows, product id order, settings,
 * the generator's sequence and the ground-truth lines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec_config.h"
#include "rec_format.h"
#include "rec_gen.h"
#include "rec_groundtruth.h"
#include "rec_history.h"
#include "rec_inventory.h"
#include "rec_rank.h"

static rec_product_t prod(const char *id, const char *cat, int64_t stock,
                          double rating)
{
    rec_product_t p;
    memset(&p, 0, sizeof(p));
    snprintf(p.id, sizeof(p.id), "%s", id);
    snprintf(p.category, sizeof(p.category), "%s", cat);
    p.stock = stock;
    p.rating = rating;
    return p;
}

/* Ranks @p n products for @p viewed and joins the result "a,b,c". */
static void rank_str(const rec_product_t *ps, const bool *shown,
                     const bool *bought, size_t n, const rec_product_t *viewed,
                     size_t max, char *out, size_t size)
{
    rec_rank_item_t items[32];
    ck_assert_uint_le(n, 32);
    for (size_t i = 0; i < n; i++)
        items[i] = (rec_rank_item_t){&ps[i], shown ? shown[i] : false,
                                     bought ? bought[i] : false};
    size_t k = rec_rank(items, n, viewed, max);
    out[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        strncat(out, items[i].product->id, size - strlen(out) - 1);
        if (i + 1 < k)
            strncat(out, ",", size - strlen(out) - 1);
    }
}

START_TEST(test_recommend_rank_rating_desc_then_numeric_id)
{
    rec_product_t ps[] = {
        prod("10", "toys", 5, 7),   prod("9", "toys", 5, 7),
        prod("2", "toys", 5, 9),    prod("4", "toys", 5, 9),
        prod("100", "toys", 5, 10), prod("1", "toys", 5, 3),
        prod("20", "toys", 5, 3),
    };
    rec_product_t viewed = prod("77", "toys", 1, 1);
    char out[256];
    rank_str(ps, NULL, NULL, 7, &viewed, 6, out, sizeof(out));
    /* "100" > "9" as numbers although not as strings; 9 before 10. */
    ck_assert_str_eq(out, "100,2,4,9,10,1");
}
END_TEST

START_TEST(test_recommend_rank_excludes_viewed_out_of_stock_other_category)
{
    rec_product_t ps[] = {
        prod("1", "toys", 5, 3),   prod("2", "toys", 0, 10),
        prod("3", "garden", 5, 9), prod("4", "toys", 1, 1),
        prod("5", "toys", 5, 8),
    };
    char out[256];
    rank_str(ps, NULL, NULL, 5, &ps[4], 6, out, sizeof(out));
    ck_assert_str_eq(out, "1,4"); /* fewer than 6 */
    rank_str(ps, NULL, NULL, 5, &ps[2], 6, out, sizeof(out));
    ck_assert_str_eq(out, ""); /* nothing else in garden */
}
END_TEST

START_TEST(test_recommend_rank_not_shown_first_then_bought)
{
    rec_product_t ps[] = {
        prod("1", "toys", 5, 9), prod("2", "toys", 5, 8),
        prod("3", "toys", 5, 7), prod("4", "toys", 5, 6),
        prod("5", "toys", 5, 5),
    };
    bool shown[] = {true, false, true, false, false};
    bool bought[] = {false, false, true, false, true};
    rec_product_t viewed = prod("9", "toys", 1, 1);
    char out[256];
    rank_str(ps, shown, bought, 5, &viewed, 6, out, sizeof(out));
    /* not shown: 5 (bought), then 2, 4 by rating; shown: 3 (bought), 1 */
    ck_assert_str_eq(out, "5,2,4,3,1");
    rank_str(ps, shown, bought, 5, &viewed, 2, out, sizeof(out));
    ck_assert_str_eq(out, "5,2");
}
END_TEST

START_TEST(test_recommend_rank_same_result_for_any_input_order)
{
    rec_product_t ps[] = {
        prod("3", "a", 5, 7),  prod("1", "a", 5, 7), prod("2", "a", 5, 7),
        prod("03", "a", 5, 7), prod("x", "a", 5, 7),
    };
    rec_product_t rev[] = {ps[4], ps[3], ps[2], ps[1], ps[0]};
    rec_product_t viewed = prod("9", "a", 1, 1);
    char a[256], b[256];
    rank_str(ps, NULL, NULL, 5, &viewed, 6, a, sizeof(a));
    rank_str(rev, NULL, NULL, 5, &viewed, 6, b, sizeof(b));
    ck_assert_str_eq(a, b);
    ck_assert_str_eq(a, "1,2,03,3,x");
}
END_TEST

START_TEST(test_recommend_product_id_cmp_numeric_then_bytes)
{
    ck_assert_int_lt(rec_product_id_cmp("9", "10"), 0);
    ck_assert_int_gt(rec_product_id_cmp("200", "13"), 0);
    ck_assert_int_eq(rec_product_id_cmp("13", "13"), 0);
    ck_assert_int_lt(rec_product_id_cmp("99999999999999999999999", "a"), 0);
    ck_assert_int_lt(
        rec_product_id_cmp("12345678901234567890", "99999999999999999999999"),
        0);
    ck_assert_int_lt(rec_product_id_cmp("a", "b"), 0);
    ck_assert_int_lt(rec_product_id_cmp("-1", "a"), 0); /* bytes: '-' < 'a' */
    ck_assert_int_gt(rec_product_id_cmp("-1", "5"), 0); /* not a number */
}
END_TEST

START_TEST(test_recommend_format_seed_value)
{
    const char *ids[] = {"140", "13", "137", "95", "39", "138"};
    char *v = rec_format_value("user-27", ids, 6, INT64_C(1719579715000));
    ck_assert_str_eq(
        v, "user-27,\"140,13,137,95,39,138\",\"2024-06-28 13:01:55\"");
    free(v);
    v = rec_format_value("user-1", NULL, 0, 5000);
    ck_assert_str_eq(v, "user-1,\"\",\"1970-01-01 00:00:05\"");
    free(v);
    v = rec_format_value("a,\"b", ids, 1, 1999);
    ck_assert_str_eq(v, "\"a,\"\"b\",\"140\",\"1970-01-01 00:00:01\"");
    free(v);
}
END_TEST

START_TEST(test_recommend_format_utc_ignores_local_zone)
{
    setenv("TZ", "Asia/Kolkata", 1);
    char buf[32];
    ck_assert(rec_format_utc(INT64_C(1719579715000), buf, sizeof(buf)));
    ck_assert_str_eq(buf, "2024-06-28 13:01:55");
    ck_assert(rec_format_utc(-1, buf, sizeof(buf)));
    ck_assert_str_eq(buf, "1969-12-31 23:59:59");
}
END_TEST

START_TEST(test_recommend_history_ttl_boundary_and_roundtrip)
{
    rec_history_t *h = rec_history_new();
    const char *a[] = {"1", "2"}, *b[] = {"3"};
    ck_assert_int_eq(rec_history_last_end(h), INT64_MIN);
    ck_assert_ptr_null(rec_history_add(h, 5000, a, 2, 10000));
    ck_assert_ptr_null(rec_history_add(h, 10000, b, 1, 10000));
    ck_assert(rec_history_shown(h, "1", 10000, 10000));
    ck_assert(rec_history_shown(h, "1", 14999, 10000));
    ck_assert(!rec_history_shown(h, "1", 15000, 10000)); /* not < TTL */
    ck_assert(!rec_history_shown(h, "3", 10000, 10000)); /* not earlier */
    ck_assert(rec_history_shown(h, "3", 15000, 10000));
    ck_assert(!rec_history_shown(h, "9", 15000, 10000));

    char *data;
    size_t len;
    ck_assert_ptr_null(rec_history_encode(h, &data, &len));
    weir_error_t *err = NULL;
    rec_history_t *h2 = rec_history_decode(data, len, &err);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(rec_history_last_end(h2), 10000);
    ck_assert(rec_history_shown(h2, "2", 14000, 10000));
    ck_assert(rec_history_shown(h2, "3", 15000, 10000));
    free(data);

    /* Adding a window forgets those at or past the TTL. */
    ck_assert_ptr_null(rec_history_add(h2, 15000, NULL, 0, 10000));
    ck_assert_int_eq(rec_history_last_end(h2), 15000);
    ck_assert_ptr_null(rec_history_encode(h2, &data, &len));
    ck_assert_str_eq(data, "15000\n10000\t3\n");
    free(data);
    rec_history_destroy(h2);
    rec_history_destroy(h);

    h = rec_history_decode("x\n", 2, &err);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE);
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_recommend_inventory_row_parse)
{
    rec_product_t p;
    ck_assert_ptr_null(rec_product_parse("62,clothing,0,1", 15, &p));
    ck_assert_str_eq(p.id, "62");
    ck_assert_str_eq(p.category, "clothing");
    ck_assert_int_eq(p.stock, 0);
    ck_assert(p.rating == 1);
    const char *crlf = "\"7\",\"a, b\",3,4.5\r\n";
    ck_assert_ptr_null(rec_product_parse(crlf, strlen(crlf), &p));
    ck_assert_str_eq(p.category, "a, b");
    ck_assert(p.rating == 4.5);

    const char *bad[] = {
        "",          "1,toys,5",     "1,toys,5,9,extra", ",toys,5,9",
        "1,,5,9",    "1,toys,-1,9",  "1,toys,x,9",       "1,toys,5,nine",
        "1,toys,5,", "1,toys,5,inf", "\"1,toys,5,9",     "1,to\tys,5,9",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        weir_error_t *err = rec_product_parse(bad[i], strlen(bad[i]), &p);
        ck_assert_msg(err != NULL, "row '%s' accepted", bad[i]);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CSV);
        weir_error_destroy(err);
    }

    char row[256];
    rec_product_t q;
    const char *quoted = "\"7\",\"a, \"\"b\"\"\",3,4.5";
    ck_assert_ptr_null(rec_product_parse(quoted, strlen(quoted), &p));
    ck_assert_int_gt(rec_product_format(&p, row, sizeof(row)), 0);
    ck_assert_str_eq(row, "7,\"a, \"\"b\"\"\",3,4.5");
    ck_assert_ptr_null(rec_product_parse(row, strlen(row), &q));
    ck_assert_str_eq(q.category, p.category);
}
END_TEST

static char logged[4096];
static void capture(void *opaque, int level, const char *fac, const char *msg)
{
    (void)opaque;
    (void)level;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof(logged) - n, "%s %s\n", fac, msg);
}

START_TEST(test_recommend_inventory_load_shipped_csv)
{
    rec_config_t cfg;
    ck_assert_ptr_null(rec_config_init(&cfg));
    weir_error_t *err = NULL;
    rec_inventory_t *inv = rec_inventory_load(
        WEIR_SOURCE_DIR "/apps/recommendation/data/productInventory.csv", &cfg,
        &err);
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(rec_inventory_count(inv), 201);
    ck_assert_uint_eq(rec_inventory_bad_rows(inv), 0);
    ck_assert_str_eq(rec_inventory_get(inv, "62")->category, "clothing");
    ck_assert_str_eq(rec_inventory_at(inv, 10)->id, "10");
    rec_inventory_destroy(inv);
    rec_config_free(&cfg);
}
END_TEST

START_TEST(test_recommend_inventory_load_counts_and_logs_bad_rows)
{
    char path[] = "/tmp/weir-rec-inv-XXXXXX";
    int fd = mkstemp(path);
    const char *csv = "1,toys,5,9\nbroken\n\n2,toys,x,1\n1,garden,1,2\n";
    ck_assert_int_eq(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    close(fd);
    rec_config_t cfg;
    ck_assert_ptr_null(rec_config_init(&cfg));
    cfg.log_cb = capture;
    logged[0] = '\0';
    weir_error_t *err = NULL;
    rec_inventory_t *inv = rec_inventory_load(path, &cfg, &err);
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(rec_inventory_count(inv), 1);
    ck_assert_uint_eq(rec_inventory_bad_rows(inv), 2);
    ck_assert_str_eq(rec_inventory_get(inv, "1")->category, "garden");
    ck_assert_ptr_nonnull(strstr(logged, ":2: row skipped"));
    ck_assert_ptr_nonnull(strstr(logged, ":4: row skipped: stock 'x'"));
    rec_inventory_destroy(inv);
    unlink(path);

    inv = rec_inventory_load("/nonexistent/inv.csv", &cfg, &err);
    ck_assert_ptr_null(inv);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_IO);
    weir_error_destroy(err);
    rec_config_free(&cfg);
}
END_TEST

START_TEST(test_recommend_config_keys_defaults_and_errors)
{
    rec_config_t cfg;
    ck_assert_ptr_null(rec_config_init(&cfg));
    ck_assert_str_eq(cfg.topic_clicks, "flink.click.streams");
    ck_assert_str_eq(cfg.topic_sales, "flink.sales.records");
    ck_assert_str_eq(cfg.topic_recommendations, "flink.recommended.products");
    ck_assert_int_eq(cfg.window_ms, 5000);
    ck_assert_int_eq(cfg.grace_ms, 1000);
    ck_assert_int_eq(cfg.count, 6);
    ck_assert_int_eq(cfg.repeat_ttl_ms, 600000);
    ck_assert(rec_config_is_key("recommend.repeat.ttl.ms"));
    ck_assert(!rec_config_is_key("bootstrap.servers"));

    /* No inventory yet. */
    weir_error_t *err = rec_config_validate(&cfg);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    weir_error_destroy(err);
    ck_assert_ptr_null(rec_config_set(&cfg, "inventory.file", "x.csv"));
    ck_assert_ptr_null(rec_config_validate(&cfg));

    ck_assert_ptr_null(rec_config_set(&cfg, "recommend.count", "3"));
    ck_assert_int_eq(cfg.count, 3);
    const char *bad[][2] = {
        {"recommend.count", "0"},     {"recommend.count", "101"},
        {"recommend.window.ms", "0"}, {"recommend.window.ms", "5s"},
        {"recommend.grace.ms", "-1"}, {"recommend.repeat.ttl.ms", ""},
        {"topic.clicks", ""},         {"no.such.key", "1"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        err = rec_config_set(&cfg, bad[i][0], bad[i][1]);
        ck_assert_msg(err != NULL, "%s=%s accepted", bad[i][0], bad[i][1]);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(weir_error_string(err), bad[i][0]));
        weir_error_destroy(err);
    }
    ck_assert_int_eq(cfg.count, 3);
    ck_assert_ptr_null(
        rec_config_set(&cfg, "topic.sales", "flink.click.streams"));
    err = rec_config_validate(&cfg);
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "twice"));
    weir_error_destroy(err);
    rec_config_free(&cfg);
}
END_TEST

START_TEST(test_recommend_gen_is_deterministic_and_seed_shaped)
{
    rec_gen_opts_t opts;
    rec_gen_opts_default(&opts);
    opts.start_ms = 1000000;
    opts.seed = 7;
    weir_error_t *err = NULL;
    rec_gen_t *a = rec_gen_new(&opts, &err), *b = rec_gen_new(&opts, &err);
    opts.seed = 8;
    rec_gen_t *c = rec_gen_new(&opts, &err);
    ck_assert_ptr_null(err);
    size_t clicks = 0, sales = 0, differ = 0;
    int64_t last = 0;
    for (int i = 0; i < 1010; i++) {
        rec_gt_record_t ra, rb, rc;
        rec_gen_next(a, &ra);
        rec_gen_next(b, &rb);
        rec_gen_next(c, &rc);
        ck_assert_mem_eq(&ra, &rb, sizeof(ra));
        differ += strcmp(ra.user_id, rc.user_id) != 0;
        ck_assert_int_ge(ra.timestamp, last);
        last = ra.timestamp;
        char key[32];
        snprintf(key, sizeof(key), "%lld", (long long)ra.timestamp);
        ck_assert_str_eq(ra.key, key);
        ck_assert(!strncmp(ra.user_id, "user-", 5));
        int u = atoi(ra.user_id + 5), p = atoi(ra.product_id);
        ck_assert(u >= 0 && u < 100 && p >= 0 && p < 200);
        if (ra.kind == REC_GT_CLICK) {
            clicks++;
        } else {
            sales++;
            int q = atoi(ra.quantity);
            ck_assert(q >= 1 && q <= 3);
            ck_assert(!strncmp(ra.unit_cost, "\xc2\xa3", 2));
            ck_assert_int_gt(strlen(ra.invoice_id), 0);
        }
    }
    /* 1 click and 100 sales per second: 10 s = 10 clicks, 1000 sales. */
    ck_assert_uint_eq(clicks, 10);
    ck_assert_uint_eq(sales, 1000);
    ck_assert_int_eq(last, 1000000 + 9990);
    ck_assert_uint_gt(differ, 900);
    rec_gen_destroy(a);
    rec_gen_destroy(b);
    rec_gen_destroy(c);

    opts.clicks_per_sec = 0;
    opts.sales_per_sec = 0;
    ck_assert_ptr_null(rec_gen_new(&opts, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_recommend_gen_unknown_product_every)
{
    rec_gen_opts_t opts;
    rec_gen_opts_default(&opts);
    opts.sales_per_sec = 0;
    opts.unknown_product_every = 3;
    weir_error_t *err = NULL;
    rec_gen_t *g = rec_gen_new(&opts, &err);
    for (int i = 1; i <= 9; i++) {
        rec_gt_record_t r;
        rec_gen_next(g, &r);
        ck_assert_int_eq(r.kind, REC_GT_CLICK);
        ck_assert_int_eq(!strncmp(r.product_id, "unknown-", 8), i % 3 == 0);
    }
    rec_gen_destroy(g);
}
END_TEST

START_TEST(test_recommend_groundtruth_roundtrip_and_errors)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rec_gt_record_t r = {REC_GT_SALE,
                         1234,
                         "1234",
                         "user-5",
                         "17",
                         "99",
                         "2",
                         "\xc2\xa3"
                         "7"};
    ck_assert_ptr_null(rec_gt_write(f, "sales", &r));
    r.kind = REC_GT_CLICK;
    ck_assert_ptr_null(rec_gt_write(f, "clicks", &r));
    fclose(f);
    ck_assert_str_eq(buf, "sales\t1234\t1234\tuser-5\t17\t99\t2\t\xc2\xa3"
                          "7\n"
                          "clicks\t1234\t1234\tuser-5\t17\n");
    rec_gt_record_t s;
    char *nl = strchr(buf, '\n');
    *nl = '\0';
    ck_assert_ptr_null(rec_gt_parse(buf, "clicks", "sales", &s));
    ck_assert_int_eq(s.kind, REC_GT_SALE);
    ck_assert_str_eq(s.unit_cost, "\xc2\xa3"
                                  "7");
    ck_assert_ptr_null(rec_gt_parse(nl + 1, "clicks", "sales", &s));
    ck_assert_int_eq(s.kind, REC_GT_CLICK);
    ck_assert_int_eq(s.timestamp, 1234);
    ck_assert_str_eq(s.product_id, "17");
    free(buf);

    const char *bad[] = {"other\t1\tk\tu\tp", "clicks\t1\tk\tu",
                         "clicks\tx\tk\tu\tp", "sales\t1\tk\tu\tp"};
    for (size_t i = 0; i < 4; i++) {
        weir_error_t *err = rec_gt_parse(bad[i], "clicks", "sales", &s);
        ck_assert_msg(err != NULL, "'%s' accepted", bad[i]);
        weir_error_destroy(err);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("recommend_rank");
    TCase *tc = tcase_create("rank");
    tcase_add_test(tc, test_recommend_rank_rating_desc_then_numeric_id);
    tcase_add_test(
        tc, test_recommend_rank_excludes_viewed_out_of_stock_other_category);
    tcase_add_test(tc, test_recommend_rank_not_shown_first_then_bought);
    tcase_add_test(tc, test_recommend_rank_same_result_for_any_input_order);
    tcase_add_test(tc, test_recommend_product_id_cmp_numeric_then_bytes);
    suite_add_tcase(s, tc);
    tc = tcase_create("format");
    tcase_add_test(tc, test_recommend_format_seed_value);
    tcase_add_test(tc, test_recommend_format_utc_ignores_local_zone);
    suite_add_tcase(s, tc);
    tc = tcase_create("history");
    tcase_add_test(tc, test_recommend_history_ttl_boundary_and_roundtrip);
    suite_add_tcase(s, tc);
    tc = tcase_create("inventory");
    tcase_add_test(tc, test_recommend_inventory_row_parse);
    tcase_add_test(tc, test_recommend_inventory_load_shipped_csv);
    tcase_add_test(tc, test_recommend_inventory_load_counts_and_logs_bad_rows);
    suite_add_tcase(s, tc);
    tc = tcase_create("config");
    tcase_add_test(tc, test_recommend_config_keys_defaults_and_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("generator");
    tcase_add_test(tc, test_recommend_gen_is_deterministic_and_seed_shaped);
    tcase_add_test(tc, test_recommend_gen_unknown_product_every);
    tcase_add_test(tc, test_recommend_groundtruth_roundtrip_and_errors);
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
