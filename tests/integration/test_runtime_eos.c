/*
 * test_runtime_eos.c: a windowed count behind a repartition, run by the
 * Kafka runtime on the real broker under exactly_once_v2 and
 * at_least_once: the output, read read_committed, is exactly the expected
 * counts, one record per (word, window).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"

#define PARTITIONS 3
#define WORDS 7
#define RECORDS 600
#define STEP_MS 100
#define WINDOW_MS 10000
#define GRACE_MS 1000
#define BASE_MS 1700000000000LL /* aligned to the window size */

static weir_error_t *word_as_key(void *ctx, const weir_record_t *rec,
                                 void **keyp, size_t *key_lenp)
{
    (void)ctx;
    *keyp = strndup(rec->value, rec->value_len);
    *key_lenp = rec->value_len;
    return *keyp ? NULL : weir_error_new(WEIR_ERR_NOMEM, "key");
}

static weir_topology_t *windowed_count_topology(const char *in,
                                                const char *out)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *words =
        weir_stream(topo, in, weir_serde_string(), weir_serde_string());
    weir_kstream_t *by_word =
        weir_kstream_select_key(words, word_as_key, NULL, weir_serde_string());
    weir_kstream_t *counts = weir_kwindowed_count(
        weir_kgrouped_windowed_by(weir_kstream_group_by_key(by_word),
                                  weir_tumbling_windows(WINDOW_MS, GRACE_MS)),
        "counts");
    weir_kstream_to(counts, out, NULL, NULL);
    return topo;
}

/* The input: RECORDS words over PARTITIONS partitions, then a record far
 * in the future on every partition so every window closes. */
static void produce_input(const char *in)
{
    rd_kafka_t *rk = weir_test_producer();
    for (int i = 0; i < RECORDS; i++) {
        char word[16];
        snprintf(word, sizeof(word), "w%d", i % WORDS);
        weir_test_produce(rk, in, i % PARTITIONS, "k", word, strlen(word),
                          BASE_MS + (int64_t)i * STEP_MS);
    }
    for (int p = 0; p < PARTITIONS; p++)
        weir_test_produce(rk, in, p, "k", "flush", 5,
                          BASE_MS + 10LL * 60 * 1000);
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);
}

/* Expected count of @p word in the window starting at @p start. */
static int64_t expected_count(int word, int64_t start)
{
    int64_t n = 0;
    for (int i = 0; i < RECORDS; i++) {
        int64_t ts = BASE_MS + (int64_t)i * STEP_MS;
        if (i % WORDS == word && ts >= start && ts < start + WINDOW_MS)
            n++;
    }
    return n;
}

static size_t expected_results(void)
{
    size_t n = 0;
    for (int64_t start = BASE_MS; start < BASE_MS + RECORDS * STEP_MS;
         start += WINDOW_MS)
        for (int w = 0; w < WORDS; w++)
            n += expected_count(w, start) > 0;
    return n;
}

static int64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* Checks the output: each (word, window) once, with the right count. */
static void check_output(const char *out)
{
    size_t want = expected_results();
    weir_test_msg_t *msgs;
    size_t n = weir_test_consume_all(out, want, 90000, true, &msgs);
    ck_assert_msg(n == want, "got %zu results, expected %zu", n, want);
    for (size_t i = 0; i < n; i++) {
        /* key: the word, then window start and end (8 bytes each) */
        ck_assert_uint_ge(msgs[i].key_len, 17);
        size_t wlen = msgs[i].key_len - 16;
        const unsigned char *k = (const unsigned char *)msgs[i].key;
        int64_t start = be64(k + wlen), end = be64(k + wlen + 8);
        ck_assert_int_eq(end - start, WINDOW_MS);
        ck_assert_uint_eq(msgs[i].value_len, 8);
        int64_t count = be64((const unsigned char *)msgs[i].value);
        int word = atoi(msgs[i].key + 1);
        ck_assert_msg(msgs[i].key[0] == 'w', "unexpected key %.*s",
                      (int)wlen, msgs[i].key);
        ck_assert_msg(count == expected_count(word, start),
                      "w%d window %" PRId64 ": count %" PRId64
                      ", expected %" PRId64,
                      word, start, count, expected_count(word, start));
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(msgs[j].key_len != msgs[i].key_len ||
                              memcmp(msgs[j].key, msgs[i].key,
                                     msgs[i].key_len),
                          "duplicate result for w%d window %" PRId64, word,
                          start);
    }
    weir_test_msgs_free(msgs, n);
}

static void run_app(const char *guarantee, int threads)
{
    char *in = weir_test_unique_name("eos-in");
    char *out = weir_test_unique_name("eos-out");
    char *app_id = weir_test_unique_name("eos-app");
    char *state = weir_test_tmpdir_new("weir-eos-state");
    weir_test_create_topic(in, PARTITIONS);
    weir_test_create_topic(out, 1);
    produce_input(in);

    weir_conf_t *conf = weir_conf_new();
    char nthreads[8];
    snprintf(nthreads, sizeof(nthreads), "%d", threads);
    const char *props[][2] = {
        {"application.id", app_id},
        {"bootstrap.servers", weir_test_bootstrap()},
        {"state.dir", state},
        {"processing.guarantee", guarantee},
        {"num.stream.threads", nthreads},
        {"commit.interval.ms", "100"},
        {"consumer.session.timeout.ms", "10000"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        ck_assert_ptr_null(weir_conf_set(conf, props[i][0], props[i][1]));
    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(windowed_count_topology(in, out), conf,
                                   &err);
    ck_assert_msg(app != NULL, "%s", weir_error_string(err));
    err = weir_app_start(app);
    ck_assert_msg(!err, "start: %s", weir_error_string(err));

    check_output(out);
    ck_assert_int_eq(weir_app_metric(app, "records-in"),
                     RECORDS + PARTITIONS + RECORDS + PARTITIONS);
    ck_assert_int_eq(weir_app_metric(app, "late-records"), 0);
    ck_assert_int_ne(weir_app_state(app), WEIR_APP_ERROR);
    err = weir_app_close(app, 30000);
    ck_assert_msg(!err, "close: %s", weir_error_string(err));
    ck_assert_int_eq(weir_app_state(app), WEIR_APP_NOT_RUNNING);
    weir_app_destroy(app);
    weir_test_tmpdir_remove(state);
    free(state);
    free(app_id);
    free(out);
    free(in);
}

START_TEST(test_runtime_windowed_count_exactly_once)
{
    run_app("exactly_once_v2", 1);
}
END_TEST

START_TEST(test_runtime_windowed_count_exactly_once_two_threads)
{
    run_app("exactly_once_v2", 2);
}
END_TEST

START_TEST(test_runtime_windowed_count_at_least_once)
{
    run_app("at_least_once", 1);
}
END_TEST

static Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime_eos");
    TCase *tc = tcase_create("windowed_count");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_runtime_windowed_count_exactly_once);
    tcase_add_test(tc, test_runtime_windowed_count_exactly_once_two_threads);
    tcase_add_test(tc, test_runtime_windowed_count_at_least_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(runtime_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
