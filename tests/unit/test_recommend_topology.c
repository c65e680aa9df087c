/*
 * test_recommend_topology.c: the recommendation topology under the test
 * driver, on hand-made inventories and clicks: the ranking as a whole
 * (ties, fewer than 6, out of stock, the viewed product, purchases,
 * repeats within and after the TTL), windows (latest click wins, grace,
 * late clicks, windows closed together answered oldest first, the
 * persistent guard against answering a window twice, the latest click's
 * store format), bad input (undecodable, unknown product, empty user,
 * bad inventory rows) and the inventory topic.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_history.h"
#include "rec_steps.h"
#include "rec_topology.h"
#include "test_recommend_support.h"

/* toys: 1(3) 2(9) 3(out of stock, 10) 4(9) 9(7) 10(7); garden: 5 6;
 * gaming: 7 alone. */
static const char *const INVENTORY = "1,toys,5,3\n"
                                     "2,toys,5,9\n"
                                     "3,toys,0,10\n"
                                     "4,toys,5,9\n"
                                     "10,toys,5,7\n"
                                     "9,toys,5,7\n"
                                     "5,garden,3,4\n"
                                     "6,garden,2,8\n"
                                     "7,gaming,1,5\n";

static rt_t rt;

static void setup_default(void)
{
    rt_setup(&rt, INVENTORY, NULL);
}

static void teardown(void)
{
    rt_teardown(&rt);
}

static void expect_error(weir_error_t *err, weir_err_t code,
                         const char *needle)
{
    ck_assert_msg(err != NULL, "expected an error with '%s'", needle);
    ck_assert_int_eq(weir_error_code(err), code);
    ck_assert_msg(strstr(weir_error_string(err), needle) != NULL,
                  "'%s' does not mention '%s'", weir_error_string(err),
                  needle);
    weir_error_destroy(err);
}

START_TEST(test_recommend_topology_describe_and_stores)
{
    weir_error_t *err = NULL;
    weir_topology_t *topo = rec_topology_new(&rt.cfg, rt.reg, &err);
    ck_assert_ptr_null(err);
    /* clicks, sales, and the per-user part; the global store apart. */
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 3);
    char *d = weir_topology_describe(topo);
    ck_assert_ptr_nonnull(d);
    if (getenv("REC_PRINT_DESCRIBE"))
        fputs(d, stdout);
    /* The DSL's nodes, the app's processors in the chain, the stores. */
    const char *want[] = {"KSTREAM-KEY-SELECT-",
                          "KSTREAM-MAPVALUES-",
                          "clicks-by-user-repartition",
                          "sales-by-user-repartition",
                          "KSTREAM-FLATMAPVALUES-",
                          "(stores: [recent-recommendations])",
                          "KSTREAM-AGGREGATE-",
                          "(stores: [latest-clicks])",
                          "Processor: record-purchase (stores: [purchases])",
                          "Processor: recommend (stores: [purchases, "
                          "recent-recommendations])",
                          "(topic: flink.recommended.products)",
                          "inventory"};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        ck_assert_msg(strstr(d, want[i]), "describe lacks %s:\n%s", want[i],
                      d);
    weir_free(d);
    weir_topology_destroy(topo);
}
END_TEST

START_TEST(test_recommend_topology_ranks_by_rating_then_numeric_id)
{
    rt_click_ok(&rt, "user-1", "1", 1000);
    rt_tick(&rt, 5999); /* within grace: still open */
    rt_expect_none(&rt);
    rt_tick(&rt, 6000); /* end 5000 + grace 1000 */
    /* 3 is out of stock, 1 is viewed; 2 and 4 tie on 9, 9 and 10 on 7. */
    rt_expect(&rt, "user-1", "user-1,\"2,4,9,10\",\"1970-01-01 00:00:05\"",
              5000);
    rt_expect_none(&rt);
}
END_TEST

START_TEST(test_recommend_topology_window_end_in_utc_as_the_seed)
{
    int64_t end = INT64_C(1719579715000); /* 2024-06-28 13:01:55 UTC */
    rt_click_ok(&rt, "user-27", "2", end - 10);
    rt_tick(&rt, end + 1000);
    rt_expect(&rt, "user-27", "user-27,\"4,9,10,1\",\"2024-06-28 13:01:55\"",
              end);
}
END_TEST

START_TEST(test_recommend_topology_fewer_than_six_and_empty)
{
    rt_click_ok(&rt, "user-1", "5", 100);
    rt_click_ok(&rt, "user-2", "7", 200);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"6\",\"1970-01-01 00:00:05\"", 5000);
    rt_expect(&rt, "user-2", "user-2,\"\",\"1970-01-01 00:00:05\"", 5000);
    rt_expect_none(&rt);
}
END_TEST

START_TEST(test_recommend_topology_latest_click_by_time_wins)
{
    /* Garden clicked last by time, but piped first; toys at 1000 is older. */
    rt_click_ok(&rt, "user-1", "6", 3000);
    rt_click_ok(&rt, "user-1", "2", 1000);
    /* Another user: toys last. */
    rt_click_ok(&rt, "user-2", "5", 1000);
    rt_click_ok(&rt, "user-2", "9", 4999);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"5\",\"1970-01-01 00:00:05\"", 5000);
    rt_expect(&rt, "user-2", "user-2,\"2,4,10,1\",\"1970-01-01 00:00:05\"",
              5000);
    rt_expect_none(&rt);
}
END_TEST

START_TEST(test_recommend_topology_same_millisecond_larger_id_wins)
{
    rt_click_ok(&rt, "user-1", "10", 1000);
    rt_click_ok(&rt, "user-1", "9", 1000);
    rt_tick(&rt, 6000);
    /* 10 > 9 numerically: 10 is the viewed one. */
    rt_expect(&rt, "user-1", "user-1,\"2,4,9,1\",\"1970-01-01 00:00:05\"",
              5000);
}
END_TEST

START_TEST(test_recommend_topology_bought_before_by_event_time)
{
    rt_sale_ok(&rt, "user-1", "1", 500); /* before the end: counts */
    rt_click_ok(&rt, "user-1", "2", 1000);
    rt_sale_ok(&rt, "user-1", "10", 4999); /* counts */
    rt_sale_ok(&rt, "user-1", "9", 5000);  /* at the end: does not */
    rt_sale_ok(&rt, "user-2", "4", 100);   /* another user's */
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"10,1,4,9\",\"1970-01-01 00:00:05\"",
              5000);
}
END_TEST

START_TEST(test_recommend_topology_sale_arriving_late_counts_by_its_time)
{
    rt_click_ok(&rt, "user-1", "2", 1000);
    rt_tick(&rt, 5500);
    /* Arrives after the window's end, stamped before it, within grace. */
    rt_sale_ok(&rt, "user-1", "9", 4000);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"9,4,10,1\",\"1970-01-01 00:00:05\"",
              5000);
}
END_TEST

START_TEST(test_recommend_topology_late_click_dropped_and_counted)
{
    rt_click_ok(&rt, "user-1", "2", 1000);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"4,9,10,1\",\"1970-01-01 00:00:05\"",
              5000);
    /* Window [0, 5000) closed: a click for it is late, for either user. */
    rt_click_ok(&rt, "user-1", "5", 4000);
    rt_click_ok(&rt, "user-3", "5", 4999);
    ck_assert_uint_eq(weir_test_driver_dropped(rt.drv, "late"), 2);
    /* A click within grace of the next window still counts. */
    rt_click_ok(&rt, "user-3", "5", 5000);
    rt_tick(&rt, 11000);
    rt_expect(&rt, "user-3", "user-3,\"6\",\"1970-01-01 00:00:10\"", 10000);
    rt_expect_none(&rt);
    ck_assert_uint_eq(weir_test_driver_dropped(rt.drv, "late"), 2);
}
END_TEST

START_TEST(test_recommend_topology_windows_closed_together_in_order)
{
    /* One jump of event time closes two windows: they are answered
     * oldest first, whatever the users' names. */
    rt_click_ok(&rt, "user-2", "1", 4000); /* [0, 5000) */
    rt_click_ok(&rt, "user-1", "5", 5500); /* [5000, 10000) */
    rt_expect_none(&rt);
    rt_tick(&rt, 20000);
    rt_expect(&rt, "user-2", "user-2,\"2,4,9,10\",\"1970-01-01 00:00:05\"",
              5000);
    rt_expect(&rt, "user-1", "user-1,\"6\",\"1970-01-01 00:00:10\"", 10000);
    rt_expect_none(&rt);
}
END_TEST

START_TEST(test_recommend_topology_answered_window_stays_answered)
{
    /* What a task restarted with a fresh stream time sees: a history
     * saying user-1 was answered up to the window ending 10000, and a
     * stream time of nothing yet. The stored history alone makes clicks
     * of windows ending at or before 10000 late. */
    rec_history_t *h = rec_history_new();
    const char *ids[] = {"2"};
    ck_assert_ptr_null(rec_history_add(h, 10000, ids, 1, 600000));
    char *data;
    size_t len;
    ck_assert_ptr_null(rec_history_encode(h, &data, &len));
    rec_history_destroy(h);
    weir_kv_store_t *recent;
    ck_assert_ptr_null(
        weir_test_driver_kv_store(rt.drv, REC_STORE_RECENT, &recent));
    ck_assert_ptr_null(weir_kv_store_put(recent, "user-1", 6, data, len));
    free(data);

    rt_click_ok(&rt, "user-1", "1", 1000); /* window ending 5000 */
    rt_click_ok(&rt, "user-1", "1", 9999); /* ending 10000 */
    rt_click_ok(&rt, "user-2", "1", 9999); /* another user: counts */
    ck_assert_uint_eq(weir_test_driver_dropped(rt.drv, "late"), 2);
    rt_click_ok(&rt, "user-1", "5", 10000); /* ending 15000: counts */
    rt_tick(&rt, 16000);
    rt_expect(&rt, "user-2", "user-2,\"2,4,9,10\",\"1970-01-01 00:00:10\"",
              10000);
    rt_expect(&rt, "user-1", "user-1,\"6\",\"1970-01-01 00:00:15\"", 15000);
    rt_expect_none(&rt);
}
END_TEST

START_TEST(test_recommend_topology_latest_click_serde)
{
    weir_serde_t *serde = rec_serde_click();
    rec_click_t c = {INT64_C(1719579715000), "140", "electronics"};
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    ck_assert_ptr_null(weir_serde_serialize(serde, "t", &c, sizeof(c), &buf));
    static const unsigned char want[] = {
        1,   0,   0,   0x01, 0x90, 0x5e, 0xf0, 0x25, 0xb8, '1', '4', '0', 0,
        'e', 'l', 'e', 'c',  't',  'r',  'o',  'n',  'i',  'c', 's', 0};
    ck_assert_uint_eq(buf.len, sizeof(want));
    ck_assert_int_eq(memcmp(buf.data, want, sizeof(want)), 0);
    void *obj;
    size_t obj_len;
    ck_assert_ptr_null(
        weir_serde_deserialize(serde, "t", buf.data, buf.len, &obj, &obj_len));
    ck_assert_uint_eq(obj_len, sizeof(rec_click_t));
    const rec_click_t *back = obj;
    ck_assert_int_eq(back->ts, c.ts);
    ck_assert_str_eq(back->product_id, "140");
    ck_assert_str_eq(back->category, "electronics");
    weir_serde_free_obj(serde, obj, obj_len);
    /* Another version, a cut, a missing category, a stray NUL. */
    unsigned char bad[sizeof(want)];
    memcpy(bad, want, sizeof(want));
    bad[0] = 2;
    const struct {
        const void *data;
        size_t len;
    } cases[] = {{bad, sizeof(bad)},
                 {want, sizeof(want) - 1},
                 {want, 13},
                 {"\1\0\0\0\0\0\0\0\0a\0b\0c\0", 16}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        weir_error_t *err = weir_serde_deserialize(
            serde, "t", cases[i].data, cases[i].len, &obj, &obj_len);
        ck_assert_msg(err && weir_error_code(err) == WEIR_ERR_SERDE,
                      "case %zu accepted", i);
        weir_error_destroy(err);
    }
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
}
END_TEST

START_TEST(test_recommend_topology_repeats_within_and_after_ttl)
{
    rt_teardown(&rt);
    const char *o[] = {"recommend.count=2", "recommend.repeat.ttl.ms=10000",
                       NULL};
    rt_setup(&rt, INVENTORY, o);
    rt_click_ok(&rt, "user-1", "1", 1000);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"2,4\",\"1970-01-01 00:00:05\"", 5000);
    /* 5 s later: 2 and 4 were shown within the TTL, so they go last. */
    rt_click_ok(&rt, "user-1", "1", 6000);
    rt_tick(&rt, 11000);
    rt_expect(&rt, "user-1", "user-1,\"9,10\",\"1970-01-01 00:00:10\"", 10000);
    /* Window ending 15000: the one ending 5000 is exactly the TTL before,
     * so 2 and 4 are no longer recent; 9 and 10 are. */
    rt_click_ok(&rt, "user-1", "1", 11000);
    rt_tick(&rt, 16000);
    rt_expect(&rt, "user-1", "user-1,\"2,4\",\"1970-01-01 00:00:15\"", 15000);
    /* Window ending 20000: 2 and 4 are recent again, 9 and 10 no longer. */
    rt_click_ok(&rt, "user-1", "1", 16000);
    rt_tick(&rt, 21000);
    rt_expect(&rt, "user-1", "user-1,\"9,10\",\"1970-01-01 00:00:20\"", 20000);
    /* Another user is not affected by user-1's history. */
    rt_click_ok(&rt, "user-2", "1", 21000);
    rt_tick(&rt, 26000);
    rt_expect(&rt, "user-2", "user-2,\"2,4\",\"1970-01-01 00:00:25\"", 25000);
}
END_TEST

START_TEST(test_recommend_topology_repeat_ttl_zero_turns_it_off)
{
    rt_teardown(&rt);
    const char *o[] = {"recommend.count=2", "recommend.repeat.ttl.ms=0", NULL};
    rt_setup(&rt, INVENTORY, o);
    rt_click_ok(&rt, "user-1", "1", 1000);
    rt_click_ok(&rt, "user-1", "1", 6000);
    rt_tick(&rt, 11000);
    rt_expect(&rt, "user-1", "user-1,\"2,4\",\"1970-01-01 00:00:05\"", 5000);
    rt_expect(&rt, "user-1", "user-1,\"2,4\",\"1970-01-01 00:00:10\"", 10000);
}
END_TEST

START_TEST(test_recommend_topology_unknown_product_dead_lettered_not_counted)
{
    rt_click_ok(&rt, "user-1", "2", 1000);
    weir_error_t *err = rt_click(&rt, "user-1", "999", 2000);
    expect_error(err, WEIR_ERR_PROCESSING, "unknown product_id '999'");
    err = rt_click(&rt, "user-1", "999", 2000);
    expect_error(err, WEIR_ERR_PROCESSING, "flink.click.streams");
    err = rt_sale(&rt, "user-1", "999", 2000);
    expect_error(err, WEIR_ERR_PROCESSING, "sale of user 'user-1'");
    rt_tick(&rt, 6000);
    /* 2 is still the viewed product. */
    rt_expect(&rt, "user-1", "user-1,\"4,9,10,1\",\"1970-01-01 00:00:05\"",
              5000);
    rt_expect_none(&rt);
}
END_TEST

START_TEST(test_recommend_topology_bad_records_do_not_stop_it)
{
    weir_error_t *err = rt_click(&rt, "", "2", 1000);
    expect_error(err, WEIR_ERR_PROCESSING, "without a user_id");
    err = rt_sale(&rt, "", "2", 1000);
    expect_error(err, WEIR_ERR_PROCESSING, "without a user_id");
    err = rt_click(&rt, "user-1", "", 1000);
    expect_error(err, WEIR_ERR_PROCESSING, "without a product_id");
    /* Not Avro in the Confluent framing: the deserialization handler's. */
    err = weir_test_driver_pipe_str(rt.drv, "flink.click.streams", "1",
                                    "garbage", 1000);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    weir_error_destroy(err);
    /* A tombstone. */
    err = weir_test_driver_pipe(rt.drv, "flink.sales.records", "1", 1, NULL, 0,
                                1000, NULL);
    expect_error(err, WEIR_ERR_PROCESSING, "null value");
    /* Good records still flow. */
    rt_click_ok(&rt, "user-1", "5", 1000);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"6\",\"1970-01-01 00:00:05\"", 5000);
}
END_TEST

START_TEST(test_recommend_topology_bad_inventory_rows_counted_and_logged)
{
    rt_teardown(&rt);
    rt_setup(&rt,
             "1,toys,5,3\n"
             "2,toys,five,9\n"
             "only,two\n"
             "\n"
             "4,toys,5,nine\n"
             "9,toys,5,7\n",
             NULL);
    ck_assert_uint_eq(weir_test_driver_dropped(rt.drv, "bad-inventory-row"),
                      3);
    ck_assert_msg(strstr(rt.log, "non-empty row 2 skipped: stock 'five'"),
                  "log: %s", rt.log);
    ck_assert_msg(strstr(rt.log, "non-empty row 4 skipped: rating 'nine'"),
                  "log: %s", rt.log);
    rt_click_ok(&rt, "user-1", "1", 1000);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"9\",\"1970-01-01 00:00:05\"", 5000);
    /* The bad rows' products are unknown. */
    weir_error_t *err = rt_click(&rt, "user-1", "2", 7000);
    expect_error(err, WEIR_ERR_PROCESSING, "unknown product_id '2'");
}
END_TEST

START_TEST(test_recommend_topology_inventory_topic_keeps_it_current)
{
    rt_teardown(&rt);
    const char *o[] = {"inventory.topic=inventory", NULL};
    rt_setup(&rt, INVENTORY, o);
    /* 2 runs out, 11 appears, 4 is deleted, 9 moves to garden. */
    ck_assert_ptr_null(
        weir_test_driver_pipe_str(rt.drv, "inventory", "2", "2,toys,0,9", 0));
    ck_assert_ptr_null(weir_test_driver_pipe_str(rt.drv, "inventory", "11",
                                                 "11,toys,1,8", 0));
    ck_assert_ptr_null(
        weir_test_driver_pipe(rt.drv, "inventory", "4", 1, NULL, 0, 0, NULL));
    ck_assert_ptr_null(weir_test_driver_pipe_str(rt.drv, "inventory", "9",
                                                 "9,garden,1,1", 0));
    /* A bad row is skipped and counted, as on Kafka: the rest of the
     * table is still good. */
    ck_assert_ptr_null(
        weir_test_driver_pipe_str(rt.drv, "inventory", "x", "x,toys", 0));
    ck_assert_uint_eq(weir_test_driver_dropped(rt.drv, "bad-row"), 1);
    weir_error_t *err;
    rt_click_ok(&rt, "user-1", "1", 1000);
    rt_click_ok(&rt, "user-2", "5", 1000);
    rt_tick(&rt, 6000);
    rt_expect(&rt, "user-1", "user-1,\"11,10\",\"1970-01-01 00:00:05\"", 5000);
    rt_expect(&rt, "user-2", "user-2,\"6,9\",\"1970-01-01 00:00:05\"", 5000);
    err = rt_click(&rt, "user-1", "4", 7000);
    expect_error(err, WEIR_ERR_PROCESSING, "unknown product_id '4'");
}
END_TEST

START_TEST(test_recommend_topology_config_window_grace_topics)
{
    rt_teardown(&rt);
    const char *o[] = {"recommend.window.ms=60000",
                       "recommend.grace.ms=0",
                       "topic.clicks=c",
                       "topic.sales=s",
                       "topic.recommendations=out",
                       NULL};
    rt_setup(&rt, INVENTORY, o);
    rt_click_ok(&rt, "user-1", "1", 1000);
    rt_click_ok(&rt, "user-1", "5", 59999);
    rt_tick(&rt, 59999);
    ck_assert_uint_eq(weir_test_driver_output_size(rt.drv, "out"), 0);
    rt_tick(&rt, 60000);
    rt_expect(&rt, "user-1", "user-1,\"6\",\"1970-01-01 00:01:00\"", 60000);
}
END_TEST

START_TEST(test_recommend_topology_shipped_inventory)
{
    rt_teardown(&rt);
    rt_setup(&rt, NULL, NULL);
    /* 62 is clothing with stock 0; clothing in stock by rating then id. */
    rt_click_ok(&rt, "user-27", "62", 1000);
    rt_tick(&rt, 6000);
    char *k = NULL, *v = NULL;
    int64_t ts;
    ck_assert(rt_read(&rt, &k, &v, &ts));
    ck_assert_str_eq(k, "user-27");
    ck_assert(!strncmp(v, "user-27,\"", 9));
    ck_assert_ptr_nonnull(strstr(v, "\",\"1970-01-01 00:00:05\""));
    /* Six ids, none of them 62. */
    size_t commas = 0;
    for (const char *p = v + 9; *p != '"'; p++)
        commas += *p == ',';
    ck_assert_uint_eq(commas, 5);
    ck_assert_ptr_null(strstr(v, "\"62,"));
    ck_assert_ptr_null(strstr(v, ",62,"));
    weir_free(k);
    weir_free(v);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("recommend_topology");
    TCase *tc = tcase_create("ranking");
    tcase_add_checked_fixture(tc, setup_default, teardown);
    tcase_add_test(tc, test_recommend_topology_describe_and_stores);
    tcase_add_test(tc,
                   test_recommend_topology_ranks_by_rating_then_numeric_id);
    tcase_add_test(tc, test_recommend_topology_window_end_in_utc_as_the_seed);
    tcase_add_test(tc, test_recommend_topology_fewer_than_six_and_empty);
    tcase_add_test(tc, test_recommend_topology_bought_before_by_event_time);
    tcase_add_test(
        tc, test_recommend_topology_sale_arriving_late_counts_by_its_time);
    tcase_add_test(tc, test_recommend_topology_repeats_within_and_after_ttl);
    tcase_add_test(tc, test_recommend_topology_repeat_ttl_zero_turns_it_off);
    tcase_add_test(tc, test_recommend_topology_shipped_inventory);
    suite_add_tcase(s, tc);
    tc = tcase_create("windows");
    tcase_add_checked_fixture(tc, setup_default, teardown);
    tcase_add_test(tc, test_recommend_topology_latest_click_by_time_wins);
    tcase_add_test(tc,
                   test_recommend_topology_same_millisecond_larger_id_wins);
    tcase_add_test(tc, test_recommend_topology_late_click_dropped_and_counted);
    tcase_add_test(tc,
                   test_recommend_topology_windows_closed_together_in_order);
    tcase_add_test(tc, test_recommend_topology_answered_window_stays_answered);
    tcase_add_test(tc, test_recommend_topology_latest_click_serde);
    tcase_add_test(tc, test_recommend_topology_config_window_grace_topics);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_checked_fixture(tc, setup_default, teardown);
    tcase_add_test(
        tc, test_recommend_topology_unknown_product_dead_lettered_not_counted);
    tcase_add_test(tc, test_recommend_topology_bad_records_do_not_stop_it);
    tcase_add_test(
        tc, test_recommend_topology_bad_inventory_rows_counted_and_logged);
    tcase_add_test(tc,
                   test_recommend_topology_inventory_topic_keeps_it_current);
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
