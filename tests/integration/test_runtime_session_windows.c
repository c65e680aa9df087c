/*
 * test_runtime_session_windows.c: session and sliding windows run by the
 * Kafka runtime on the real broker under exactly_once_v2.
 *
 * Each case produces records with explicit timestamps to a one-partition
 * input (a bridging record, out-of-order records within the grace, one
 * late record), then a record an hour later that closes every window,
 * runs stream -> group_by_key -> windows -> count -> to(out) (weir_app_t),
 * and reads the output read_committed: it must be exactly the
 * hand-computed final results, each once, with exactly one late record
 * counted.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"
#include "word_windows.h"

#define BASE 1700000000000LL

/* One input record: key and time after BASE. */
typedef struct in_s {
    const char *key;
    int64_t at;
} in_t;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* A result as "key[start,end]=count@ts", times relative to BASE. */
static char *describe(const weir_test_msg_t *m)
{
    ck_assert_uint_ge(m->key_len, 16);
    ck_assert_uint_eq(m->value_len, 8);
    size_t klen = m->key_len - 16;
    const unsigned char *k = (const unsigned char *)m->key;
    char s[256];
    snprintf(
        s, sizeof(s), "%.*s[%" PRId64 ",%" PRId64 "]=%" PRId64 "@%" PRId64,
        (int)klen, m->key, be64(k + klen) - (int64_t)BASE,
        be64(k + klen + 8) - (int64_t)BASE,
        be64((const unsigned char *)m->value), m->timestamp - (int64_t)BASE);
    return strdup(s);
}

/*
 * Produces @p in (then the closing record), runs @p topo to completion
 * under exactly_once_v2 and checks the output is exactly @p want (in any
 * order) and one late record was counted.
 */
static void run_case(weir_topology_t *topo, const char *in_topic,
                     const char *out_topic, const in_t *in, size_t n,
                     const char *const *want, size_t want_n)
{
    char *app_id = weir_test_unique_name("windows-app");
    char *state = weir_test_tmpdir_new("weir-windows-state");
    rd_kafka_t *rk = weir_test_producer();
    for (size_t i = 0; i < n; i++)
        weir_test_produce(rk, in_topic, 0, in[i].key, "v", 1, BASE + in[i].at);
    /* An hour later: stream time passes every window's close. */
    weir_test_produce(rk, in_topic, 0, "flush", "v", 1, BASE + 3600LL * 1000);
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);

    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(
        topo, ww_conf(app_id, state, "exactly_once_v2", 1), &err);
    ck_assert_msg(app != NULL, "%s", weir_error_string(err));
    err = weir_app_start(app);
    ck_assert_msg(!err, "start: %s", weir_error_string(err));

    weir_test_msg_t *msgs;
    size_t got = weir_test_consume_all(out_topic, want_n, 90000, true, &msgs);
    char **seen = calloc(got + 1, sizeof(*seen));
    for (size_t i = 0; i < got; i++)
        seen[i] = describe(&msgs[i]);
    qsort(seen, got, sizeof(*seen), cmp_str);
    char **expect = calloc(want_n + 1, sizeof(*expect));
    memcpy(expect, want, want_n * sizeof(*expect));
    qsort(expect, want_n, sizeof(*expect), cmp_str);
    for (size_t i = 0; i < got; i++)
        fprintf(stderr, "result: %s\n", seen[i]);
    ck_assert_uint_eq(got, want_n);
    for (size_t i = 0; i < got; i++)
        ck_assert_str_eq(seen[i], expect[i]);

    /* Nothing more arrives: a second read finds exactly the same. */
    weir_test_msgs_free(msgs, got);
    size_t again = weir_test_consume_all(out_topic, want_n + 1, 3000, true,
                                         &msgs);
    ck_assert_uint_eq(again, want_n);
    ck_assert_int_eq(weir_app_metric(app, "late-records"), 1);
    ck_assert_int_ne(weir_app_state(app), WEIR_APP_ERROR);
    err = weir_app_close(app, 30000);
    ck_assert_msg(!err, "close: %s", weir_error_string(err));
    weir_app_destroy(app);

    weir_test_msgs_free(msgs, again);
    for (size_t i = 0; i < got; i++)
        free(seen[i]);
    free(seen);
    free(expect);
    weir_test_tmpdir_remove(state);
    free(state);
    free(app_id);
}

/* in → group_by_key → session or sliding windows → count → out. */
static weir_topology_t *count_topology(const char *in, const char *out,
                                       bool sliding)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kgrouped_t *g = weir_kstream_group_by_key(
        weir_stream(topo, in, weir_serde_string(), weir_serde_string()));
    weir_kstream_t *counts =
        sliding ? weir_kwindowed_count(weir_kgrouped_sliding_windowed_by(
                                           g, weir_sliding_windows(1000, 500)),
                                       "sliding-counts")
                : weir_ksession_windowed_count(
                      weir_kgrouped_session_windowed_by(
                          g, weir_session_windows(1000, 1000)),
                      "session-counts");
    weir_kstream_to(counts, out, NULL, NULL);
    return topo;
}

START_TEST(test_runtime_session_windows_count_exactly_once)
{
    char *in = weir_test_unique_name("sessions-in");
    char *out = weir_test_unique_name("sessions-out");
    weir_test_create_topic(in, 1);
    weir_test_create_topic(out, 1);
    /* Gap 1 s, grace 1 s: a session closes once stream time passes its
     * end + 2 s. */
    static const in_t input[] = {
        {"alice", 0},    {"alice", 400},  /* alice [0, 400] */
        {"bob", 100},    {"bob", 1900},   /* two bob sessions */
        {"bob", 1000},                    /* bridges them: [100, 1900] */
        {"alice", 1300},                  /* extends: [0, 1300] */
        {"carol", 3000}, {"alice", 5000}, /* [0, 1300] closes at > 3300 */
        {"alice", 4500},                  /* out of order: [4500, 5000] */
        {"dave", 2000},                   /* would close at 4000 < 5000 */
    };
    static const char *const want[] = {
        "alice[0,1300]=3@1300",
        "alice[4500,5000]=2@5000",
        "bob[100,1900]=3@1900",
        "carol[3000,3000]=1@3000",
    };
    run_case(count_topology(in, out, false), in, out, input,
             sizeof(input) / sizeof(input[0]), want,
             sizeof(want) / sizeof(want[0]));
    free(in);
    free(out);
}
END_TEST

START_TEST(test_runtime_sliding_windows_count_exactly_once)
{
    char *in = weir_test_unique_name("sliding-in");
    char *out = weir_test_unique_name("sliding-out");
    weir_test_create_topic(in, 1);
    weir_test_create_topic(out, 1);
    /* Diff 1 s, grace 0.5 s: Kafka Streams' example at 1, 1.5 and 2 s,
     * in order for k and out of order (within the grace) for j. */
    static const in_t input[] = {
        {"k", 1000}, {"k", 1500}, {"j", 1000}, {"k", 2000},
        {"j", 2000}, {"j", 1500}, /* stream time 2000: 1500 is on time */
        {"m", 100},               /* every window of it has closed */
    };
    static const char *const want[] = {
        "k[0,1000]=1@1000",    "k[500,1500]=2@1500",  "k[1000,2000]=3@2000",
        "k[1001,2001]=2@2001", "k[1501,2501]=1@2501", "j[0,1000]=1@1000",
        "j[500,1500]=2@1500",  "j[1000,2000]=3@2000", "j[1001,2001]=2@2001",
        "j[1501,2501]=1@2501",
    };
    run_case(count_topology(in, out, true), in, out, input,
             sizeof(input) / sizeof(input[0]), want,
             sizeof(want) / sizeof(want[0]));
    free(in);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runtime_session_windows");
    TCase *tc = tcase_create("windows");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_runtime_session_windows_count_exactly_once);
    tcase_add_test(tc, test_runtime_sliding_windows_count_exactly_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
