/*
 * test_runtime_errors.c: global tables, bad records and bad configuration
 * on the real broker.
 *
 * - A global table is loaded on every instance before processing starts
 *   and its updates reach every instance.
 * - A record that does not deserialize goes to the dead-letter topic with
 *   headers naming the error, the source topic, partition, offset and
 *   timestamp, and processing goes on.
 * - Configuration and topic problems are clear start-up errors naming the
 *   key or topic.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"

static weir_error_t *product_key(void *ctx, const weir_record_t *rec,
                                 void **keyp, size_t *key_lenp)
{
    (void)ctx;
    *keyp = strndup(rec->key, rec->key_len);
    *key_lenp = rec->key_len;
    return *keyp ? NULL : weir_error_new(WEIR_ERR_NOMEM, "key");
}

/* "<product>:<quantity>@<price>" */
static weir_error_t *priced(void *ctx, const weir_record_t *rec,
                            const void *price, size_t price_len, void **outp,
                            size_t *out_lenp)
{
    (void)ctx;
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%.*s:%" PRId64 "@%.*s",
                     (int)rec->key_len, (const char *)rec->key,
                     *(const int64_t *)rec->value, (int)price_len,
                     (const char *)price);
    *outp = strndup(buf, (size_t)n);
    *out_lenp = (size_t)n;
    return *outp ? NULL : weir_error_new(WEIR_ERR_NOMEM, "join");
}

static weir_topology_t *pricing_topology(const char *prices,
                                         const char *orders, const char *out)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kglobal_table_t *gt = weir_global_table(
        topo, prices, weir_serde_string(), weir_serde_string(), "prices");
    weir_kstream_t *s = weir_stream(topo, orders, weir_serde_string(),
                                    weir_serde_int64());
    weir_kstream_to(weir_kstream_join_global(s, gt, product_key, priced, NULL,
                                             weir_serde_string()),
                    out, NULL, NULL);
    return topo;
}

static weir_conf_t *conf_for(const char *app_id, const char *state)
{
    weir_conf_t *conf = weir_conf_new();
    const char *props[][2] = {
        {"application.id", app_id},
        {"bootstrap.servers", weir_test_bootstrap()},
        {"state.dir", state},
        {"commit.interval.ms", "100"},
        {"consumer.session.timeout.ms", "6000"},
        {"deserialization.exception.handler", "dead_letter"},
        {"log.level", "5"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        ck_assert_ptr_null(weir_conf_set(conf, props[i][0], props[i][1]));
    return conf;
}

static void produce_order(rd_kafka_t *rk, const char *orders, int partition,
                          const char *product, int64_t qty)
{
    unsigned char be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (unsigned char)((uint64_t)qty >> (56 - 8 * i));
    weir_test_produce(rk, orders, partition, product, be, 8, 0);
}

/* Waits until @p out holds @p value (read_committed). */
static void wait_for_value(const char *out, const char *value, size_t have)
{
    for (int tries = 0; tries < 60; tries++) {
        weir_test_msg_t *msgs;
        size_t n = weir_test_consume_all(out, have + 1, 2000, true, &msgs);
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = msgs[i].value && !strcmp(msgs[i].value, value);
        weir_test_msgs_free(msgs, n);
        if (found)
            return;
    }
    ck_abort_msg("%s never reached %s", value, out);
}

/* The output value for the order of @p product with @p qty, once it is
 * there (read_committed): "<product>:<qty>@<price>". */
static char *order_result(const char *out, const char *product, int64_t qty)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s:%lld@", product, (long long)qty);
    for (int tries = 0; tries < 60; tries++) {
        weir_test_msg_t *msgs;
        size_t n = weir_test_consume_all(out, 1, 2000, true, &msgs);
        char *found = NULL;
        for (size_t i = 0; i < n && !found; i++)
            if (msgs[i].value &&
                !strncmp(msgs[i].value, prefix, strlen(prefix)))
                found = strdup(msgs[i].value);
        weir_test_msgs_free(msgs, n);
        if (found)
            return found;
    }
    ck_abort_msg("no result for %s%lld", product, (long long)qty);
    return NULL;
}

/* Orders @p product (quantities from @p qty up) until an instance prices
 * it at @p price: each instance applies a global update when it reads
 * it, which no order waits for. Returns the next free quantity. */
static int64_t await_price(rd_kafka_t *rk, const char *orders, const char *out,
                           int partition, const char *product,
                           const char *price, int64_t qty)
{
    for (int tries = 0; tries < 50; tries++, qty++) {
        produce_order(rk, orders, partition, product, qty);
        ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
        char *v = order_result(out, product, qty);
        bool done = !strcmp(strchr(v, '@') + 1, price);
        free(v);
        if (done)
            return qty + 1;
        usleep(100 * 1000);
    }
    ck_abort_msg("%s never priced at %s", product, price);
    return qty;
}

static const char *header(rd_kafka_headers_t *hdrs, const char *name,
                          char *buf, size_t size)
{
    const void *v;
    size_t len;
    if (rd_kafka_header_get_last(hdrs, name, &v, &len))
        return "";
    snprintf(buf, size, "%.*s", (int)len, (const char *)v);
    return buf;
}

START_TEST(test_runtime_global_table_updates_and_dead_letters)
{
    char *prices = weir_test_unique_name("prices");
    char *orders = weir_test_unique_name("orders");
    char *out = weir_test_unique_name("priced");
    char *app_id = weir_test_unique_name("pricing");
    weir_test_create_topic(prices, 1);
    weir_test_create_topic(orders, 2);
    weir_test_create_topic(out, 1);
    rd_kafka_t *rk = weir_test_producer();
    weir_test_produce(rk, prices, 0, "p1", "10", 2, 0);
    weir_test_produce(rk, prices, 0, "p2", "20", 2, 0);
    ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);

    char *state_a = weir_test_tmpdir_new("weir-global-a");
    char *state_b = weir_test_tmpdir_new("weir-global-b");
    weir_error_t *err = NULL;
    weir_app_t *a = weir_app_new(pricing_topology(prices, orders, out),
                                 conf_for(app_id, state_a), &err);
    ck_assert_msg(a && !weir_app_start(a), "%s", weir_error_string(err));
    weir_app_t *b = weir_app_new(pricing_topology(prices, orders, out),
                                 conf_for(app_id, state_b), &err);
    ck_assert_msg(b && !weir_app_start(b), "%s", weir_error_string(err));
    for (int i = 0; i < 200 && !(weir_app_state(a) == WEIR_APP_RUNNING &&
                                 weir_app_state(b) == WEIR_APP_RUNNING);
         i++)
        usleep(100 * 1000);
    ck_assert_int_eq(weir_app_state(a), WEIR_APP_RUNNING);
    ck_assert_int_eq(weir_app_state(b), WEIR_APP_RUNNING);

    /* One partition each (range assignor): each instance prices one. */
    produce_order(rk, orders, 0, "p1", 1);
    produce_order(rk, orders, 1, "p2", 1);
    ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
    wait_for_value(out, "p1:1@10", 0);
    wait_for_value(out, "p2:1@20", 1);

    /* An update of the global table reaches both instances. */
    weir_test_produce(rk, prices, 0, "p1", "11", 2, 0);
    weir_test_produce(rk, prices, 0, "p2", "21", 2, 0);
    ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
    await_price(rk, orders, out, 0, "p1", "11", 2);
    await_price(rk, orders, out, 1, "p2", "21", 2);

    /* A poison record (3 bytes for an int64) is dead-lettered; the next
     * order on the same partition is processed. */
    /* Where the poison record lands (after however many orders the
     * price checks took). */
    int64_t lo = 0, poison_offset = 0;
    ck_assert_int_eq(rd_kafka_query_watermark_offsets(rk, orders, 0, &lo,
                                                      &poison_offset, 10000),
                     0);
    char poison_at[32];
    snprintf(poison_at, sizeof(poison_at), "%lld", (long long)poison_offset);
    weir_test_produce(rk, orders, 0, "p1", "bad", 3, 1234567);
    produce_order(rk, orders, 0, "p1", 1000);
    ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
    wait_for_value(out, "p1:1000@11", 4);

    char dlq[512];
    snprintf(dlq, sizeof(dlq), "%s-dlq", app_id);
    weir_test_msg_t *msgs;
    size_t n = weir_test_consume_all(dlq, 1, 30000, true, &msgs);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(msgs[0].value, "bad");
    ck_assert_str_eq(msgs[0].key, "p1");
    weir_test_msgs_free(msgs, n);
    /* The headers, read with librdkafka directly. */
    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    char errstr[256], *group = weir_test_unique_name("dlq-reader");
    rd_kafka_conf_set(cc, "bootstrap.servers", weir_test_bootstrap(), errstr,
                      sizeof(errstr));
    rd_kafka_conf_set(cc, "group.id", group, errstr, sizeof(errstr));
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr,
                                 sizeof(errstr));
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, dlq, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_message_t *m = NULL;
    for (int i = 0; i < 100 && !m; i++) {
        m = rd_kafka_consumer_poll(c, 100);
        if (m && m->err) {
            rd_kafka_message_destroy(m);
            m = NULL;
        }
    }
    ck_assert_ptr_nonnull(m);
    rd_kafka_headers_t *hdrs = NULL;
    ck_assert_int_eq(rd_kafka_message_headers(m, &hdrs), 0);
    char buf[512];
    ck_assert_str_eq(header(hdrs, "weir.error.stage", buf, sizeof(buf)),
                     "deserialization");
    ck_assert_str_eq(header(hdrs, "weir.source.topic", buf, sizeof(buf)),
                     orders);
    ck_assert_str_eq(header(hdrs, "weir.source.partition", buf, sizeof(buf)),
                     "0");
    ck_assert_str_eq(header(hdrs, "weir.source.offset", buf, sizeof(buf)),
                     poison_at);
    ck_assert_str_eq(header(hdrs, "weir.source.timestamp", buf, sizeof(buf)),
                     "1234567");
    ck_assert_msg(
        strstr(header(hdrs, "weir.error.message", buf, sizeof(buf)), "int64"),
        "error message: %s", buf);
    rd_kafka_message_destroy(m);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    free(group);

    ck_assert_uint_eq(weir_app_metric(a, "dead-lettered") +
                          weir_app_metric(b, "dead-lettered"),
                      1);
    ck_assert_ptr_null(weir_app_close(a, 30000));
    ck_assert_ptr_null(weir_app_close(b, 30000));
    weir_app_destroy(a);
    weir_app_destroy(b);
    rd_kafka_destroy(rk);
    weir_test_tmpdir_remove(state_a);
    weir_test_tmpdir_remove(state_b);
    free(state_a);
    free(state_b);
    free(app_id);
    free(out);
    free(orders);
    free(prices);
}
END_TEST

/* Starting an app must fail with a message containing @p want. */
static void assert_start_fails(weir_topology_t *topo, weir_conf_t *conf,
                               const char *want)
{
    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(topo, conf, &err);
    if (app) {
        err = weir_app_start(app);
        ck_assert_msg(err != NULL, "start succeeded, wanted: %s", want);
        weir_app_destroy(app);
    } else {
        weir_topology_destroy(topo);
        weir_conf_destroy(conf);
    }
    ck_assert_msg(strstr(weir_error_string(err), want),
                  "got '%s', wanted '%s'", weir_error_string(err), want);
    weir_error_destroy(err);
}

START_TEST(test_runtime_configuration_errors_are_clear)
{
    char *state = weir_test_tmpdir_new("weir-conf-errors");
    char *a = weir_test_unique_name("cfg-a");
    char *b = weir_test_unique_name("cfg-b");
    char *out = weir_test_unique_name("cfg-out");
    char *app_id = weir_test_unique_name("cfg-app");
    weir_test_create_topic(a, 2);
    weir_test_create_topic(b, 3);
    weir_test_create_topic(out, 1);

    /* No application.id. */
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(
        weir_conf_set(conf, "bootstrap.servers", weir_test_bootstrap()));
    assert_start_fails(pricing_topology("x", a, out), conf,
                       "application.id: required");

    /* A missing input topic. */
    conf = conf_for(app_id, state);
    assert_start_fails(pricing_topology("no-such-prices", a, out), conf,
                       "topic no-such-prices does not exist");

    /* Inputs of one sub-topology that are not co-partitioned. */
    conf = conf_for(app_id, state);
    weir_topology_t *topo = weir_topology_new();
    const char *both[] = {a, b};
    weir_topology_add_source_topics(topo, "in", both, 2, weir_serde_bytes(),
                                    weir_serde_bytes());
    weir_topology_add_sink(topo, "out", out, weir_serde_bytes(),
                           weir_serde_bytes(), "in", NULL);
    assert_start_fails(topo, conf, "are not co-partitioned");

    /* An internal topic that exists with the wrong partition count. */
    char changelog[512];
    snprintf(changelog, sizeof(changelog), "%s-counts-changelog", app_id);
    weir_test_create_topic(changelog, 5);
    conf = conf_for(app_id, state);
    topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, a, weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_to(weir_ktable_to_stream(weir_kgrouped_count(
                        weir_kstream_group_by_key(s), "counts")),
                    out, NULL, weir_serde_int64());
    char want[600];
    snprintf(want, sizeof(want),
             "topic %s exists with 5 partitions, but weir "
             "needs 2",
             changelog);
    assert_start_fails(topo, conf, want);

    /* Brokers that are not there: a bounded wait, then a clear error. */
    conf = conf_for(app_id, state);
    ck_assert_ptr_null(
        weir_conf_set(conf, "bootstrap.servers", "127.0.0.1:1"));
    ck_assert_ptr_null(weir_conf_set(conf, "broker.down.timeout.ms", "2000"));
    assert_start_fails(pricing_topology("x", a, out), conf,
                       "brokers 127.0.0.1:1 unreachable");

    weir_test_tmpdir_remove(state);
    free(state);
    free(app_id);
    free(out);
    free(b);
    free(a);
}
END_TEST

/* Runs stream(in) -> to(out) with a 1000-byte producer limit and the
 * given production handler, feeds a 1500-byte record then a small one. */
static weir_app_t *run_too_large(const char *handler, char **outp)
{
    char *in = weir_test_unique_name("big-in");
    char *out = weir_test_unique_name("big-out");
    char *app_id = weir_test_unique_name("big-app");
    char *state = weir_test_tmpdir_new("weir-big");
    weir_test_create_topic(in, 1);
    weir_test_create_topic(out, 1);
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_to(
        weir_stream(topo, in, weir_serde_bytes(), weir_serde_bytes()), out,
        NULL, NULL);
    weir_conf_t *conf = conf_for(app_id, state);
    ck_assert_ptr_null(
        weir_conf_set(conf, "producer.message.max.bytes", "1000"));
    ck_assert_ptr_null(
        weir_conf_set(conf, "production.exception.handler", handler));
    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(topo, conf, &err);
    ck_assert_msg(app && !weir_app_start(app), "%s", weir_error_string(err));
    rd_kafka_t *rk = weir_test_producer();
    char big[1500];
    memset(big, 'x', sizeof(big));
    weir_test_produce(rk, in, 0, "big", big, sizeof(big), 0);
    weir_test_produce(rk, in, 0, "small", "ok", 2, 0);
    ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
    weir_test_tmpdir_remove(state);
    free(state);
    free(app_id);
    free(in);
    *outp = out;
    return app;
}

START_TEST(test_runtime_too_large_record_goes_to_production_handler)
{
    char *out;
    weir_app_t *app = run_too_large("log_and_continue", &out);
    wait_for_value(out, "ok", 0);
    ck_assert_uint_eq(weir_app_metric(app, "dropped-records"), 1);
    ck_assert_int_ne(weir_app_state(app), WEIR_APP_ERROR);
    ck_assert_ptr_null(weir_app_close(app, 30000));
    weir_app_destroy(app);
    free(out);

    /* With fail the app stops with an error naming the handler, instead
     * of aborting transactions forever. */
    app = run_too_large("fail", &out);
    for (int i = 0; i < 300 && weir_app_state(app) != WEIR_APP_ERROR; i++)
        usleep(100 * 1000);
    ck_assert_int_eq(weir_app_state(app), WEIR_APP_ERROR);
    weir_error_t *err = weir_app_close(app, 30000);
    ck_assert_msg(err && strstr(weir_error_string(err),
                                "production.exception.handler=fail"),
                  "got: %s", weir_error_string(err));
    weir_error_destroy(err);
    weir_app_destroy(app);
    free(out);
}
END_TEST

static Suite *errors_suite(void)
{
    Suite *s = suite_create("runtime_errors");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_runtime_global_table_updates_and_dead_letters);
    tcase_add_test(tc, test_runtime_configuration_errors_are_clear);
    tcase_add_test(tc,
                   test_runtime_too_large_record_goes_to_production_handler);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(errors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
