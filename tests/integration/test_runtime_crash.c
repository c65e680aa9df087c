/*
 * test_runtime_crash.c: an instance killed with SIGKILL mid-stream, more
 * than once, and restarted on the same state dir: under exactly_once_v2
 * the final output has no duplicate and no missing result, and the last
 * restart restores only the changelog tail its stores had not committed
 * (not the whole changelog, as Kafka Streams' wipe-on-crash would).
 *
 * Each instance runs in a forked child (librdkafka handles are created
 * after the fork; the parent holds none while forking). The input arrives
 * in three parts, so that every kill lands after real progress.
 */
#include <check.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"

#define PARTITIONS 3
#define WORDS 10
#define PART_RECORDS 1000
#define STEP_MS 50
#define WINDOW_MS 10000
#define GRACE_MS 1000
#define BASE_MS 1700000000000LL

static char *in_topic, *out_topic, *app_id, *state_dir;

static weir_error_t *word_as_key(void *ctx, const weir_record_t *rec,
                                 void **keyp, size_t *key_lenp)
{
    (void)ctx;
    *keyp = strndup(rec->value, rec->value_len);
    *key_lenp = rec->value_len;
    return *keyp ? NULL : weir_error_new(WEIR_ERR_NOMEM, "key");
}

static weir_topology_t *topology(void)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *words = weir_stream(topo, in_topic, weir_serde_string(),
                                        weir_serde_string());
    weir_kgrouped_t *g = weir_kstream_group_by_key(
        weir_kstream_select_key(words, word_as_key, NULL,
                                weir_serde_string()));
    weir_kstream_to(
        weir_kwindowed_count(
            weir_kgrouped_windowed_by(
                g, weir_tumbling_windows(WINDOW_MS, GRACE_MS)),
            "counts"),
        out_topic, NULL, NULL);
    return topo;
}

static void produce_part(int part, bool flush)
{
    rd_kafka_t *rk = weir_test_producer();
    for (int i = part * PART_RECORDS; i < (part + 1) * PART_RECORDS; i++) {
        char word[16];
        snprintf(word, sizeof(word), "w%d", i % WORDS);
        weir_test_produce(rk, in_topic, i % PARTITIONS, "k", word,
                          strlen(word), BASE_MS + (int64_t)i * STEP_MS);
    }
    for (int p = 0; flush && p < PARTITIONS; p++)
        weir_test_produce(rk, in_topic, p, "k", "flush", 5,
                          BASE_MS + 100LL * 60 * 1000);
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);
}

static volatile sig_atomic_t term;

static void on_term(int sig)
{
    (void)sig;
    term = 1;
}

/* The instance: runs until SIGTERM (then closes cleanly and writes its
 * restore count) or SIGKILL. Never returns. */
static void run_instance(void)
{
    signal(SIGTERM, on_term);
    weir_conf_t *conf = weir_conf_new();
    const char *props[][2] = {
        {"application.id", app_id},
        {"bootstrap.servers", weir_test_bootstrap()},
        {"state.dir", state_dir},
        {"commit.interval.ms", "100"},
        {"consumer.session.timeout.ms", "6000"},
        {"log.level", "4"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        if (weir_conf_set(conf, props[i][0], props[i][1]))
            _exit(10);
    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(topology(), conf, &err);
    if (!app || weir_app_start(app))
        _exit(11);
    while (!term) {
        if (weir_app_state(app) == WEIR_APP_ERROR)
            _exit(12);
        usleep(50 * 1000);
    }
    uint64_t restored = weir_app_metric(app, "restored-records");
    err = weir_app_close(app, 30000);
    char path[4200];
    snprintf(path, sizeof(path), "%s/restored.txt", state_dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%" PRIu64 "\n", restored);
        fclose(f);
    }
    weir_app_destroy(app);
    _exit(err ? 13 : 0);
}

static pid_t start_instance(void)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        run_instance();
    return pid;
}

/* Records in the changelog topic of the window store (all partitions). */
static int64_t changelog_records(void)
{
    char topic[512];
    snprintf(topic, sizeof(topic), "%s-counts-changelog", app_id);
    weir_test_msg_t *msgs;
    size_t n = weir_test_consume_all(topic, 0, 10000, true, &msgs);
    weir_test_msgs_free(msgs, n);
    return (int64_t)n;
}

/* Waits until the changelog holds at least @p n records (the instance has
 * committed real work), up to 60 s. */
static void wait_for_changelog(int64_t n)
{
    for (int i = 0; i < 120; i++) {
        if (changelog_records() >= n)
            return;
        usleep(500 * 1000);
    }
    ck_abort_msg("the instance did not commit %" PRId64 " changelog records",
                 n);
}

static void kill_instance(pid_t pid)
{
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFSIGNALED(status));
}

static int64_t expected_count(int word, int64_t start)
{
    int64_t n = 0;
    for (int i = 0; i < 3 * PART_RECORDS; i++) {
        int64_t ts = BASE_MS + (int64_t)i * STEP_MS;
        if (i % WORDS == word && ts >= start && ts < start + WINDOW_MS)
            n++;
    }
    return n;
}

static int64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

START_TEST(test_runtime_sigkill_twice_then_exact_output_and_tail_restore)
{
    in_topic = weir_test_unique_name("crash-in");
    out_topic = weir_test_unique_name("crash-out");
    app_id = weir_test_unique_name("crash-app");
    state_dir = weir_test_tmpdir_new("weir-crash-state");
    weir_test_create_topic(in_topic, PARTITIONS);
    weir_test_create_topic(out_topic, 1);

    produce_part(0, false);
    pid_t pid = start_instance();
    wait_for_changelog(PART_RECORDS / 2);
    kill_instance(pid);

    produce_part(1, false);
    pid = start_instance();
    wait_for_changelog(PART_RECORDS + PART_RECORDS / 2);
    kill_instance(pid);

    int64_t before = changelog_records();
    produce_part(2, true);
    pid = start_instance();

    size_t want = 0;
    int64_t last_start = BASE_MS + 3LL * PART_RECORDS * STEP_MS;
    for (int64_t s = BASE_MS; s < last_start; s += WINDOW_MS)
        for (int w = 0; w < WORDS; w++)
            want += expected_count(w, s) > 0;
    weir_test_msg_t *msgs;
    size_t n = weir_test_consume_all(out_topic, want, 120000, true, &msgs);

    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the last instance exited with status %d", status);

    ck_assert_msg(n == want, "got %zu results, expected %zu", n, want);
    for (size_t i = 0; i < n; i++) {
        size_t wlen = msgs[i].key_len - 16;
        int64_t start = be64((const unsigned char *)msgs[i].key + wlen);
        int word = atoi(msgs[i].key + 1);
        int64_t count = be64((const unsigned char *)msgs[i].value);
        ck_assert_msg(count == expected_count(word, start),
                      "w%d window %" PRId64 ": %" PRId64 ", expected %" PRId64,
                      word, start, count, expected_count(word, start));
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(msgs[j].key_len != msgs[i].key_len ||
                              memcmp(msgs[j].key, msgs[i].key,
                                     msgs[i].key_len),
                          "duplicate result w%d window %" PRId64, word,
                          start);
    }
    weir_test_msgs_free(msgs, n);

    char path[4200];
    snprintf(path, sizeof(path), "%s/restored.txt", state_dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    long long restored = -1;
    ck_assert_int_eq(fscanf(f, "%lld", &restored), 1);
    fclose(f);
    fprintf(stderr,
            "crash test: changelog had %" PRId64 " records before the last "
            "restart; it restored %lld\n",
            before, restored);
    /* Only the tail: at most what one commit interval wrote. A wipe and
     * full restore would read all of it. */
    ck_assert_msg(restored < before / 2,
                  "restored %lld of %" PRId64 " changelog records", restored,
                  before);

    weir_test_tmpdir_remove(state_dir);
    free(state_dir);
    free(app_id);
    free(out_topic);
    free(in_topic);
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("runtime_crash");
    TCase *tc = tcase_create("sigkill");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc,
                   test_runtime_sigkill_twice_then_exact_output_and_tail_restore);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(crash_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
