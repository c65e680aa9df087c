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
#include "word_windows.h"

#define PART_RECORDS 1000

static const ww_t ww = {3, 10, 3 * PART_RECORDS, 50, 0, 0};
static char *in_topic, *out_topic, *app_id, *state_dir;

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
    weir_conf_t *conf = ww_conf(app_id, state_dir, "exactly_once_v2", 1);
    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(ww_topology(in_topic, out_topic), conf,
                                   &err);
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

START_TEST(test_runtime_sigkill_twice_then_exact_output_and_tail_restore)
{
    in_topic = weir_test_unique_name("crash-in");
    out_topic = weir_test_unique_name("crash-out");
    app_id = weir_test_unique_name("crash-app");
    state_dir = weir_test_tmpdir_new("weir-crash-state");
    weir_test_create_topic(in_topic, ww.partitions);
    weir_test_create_topic(out_topic, 1);

    ww_produce(&ww, in_topic, 0, PART_RECORDS, false, -1);
    pid_t pid = start_instance();
    wait_for_changelog(PART_RECORDS / 2);
    kill_instance(pid);

    ww_produce(&ww, in_topic, PART_RECORDS, 2 * PART_RECORDS, false, -1);
    pid = start_instance();
    wait_for_changelog(PART_RECORDS + PART_RECORDS / 2);
    kill_instance(pid);

    int64_t before = changelog_records();
    ww_produce(&ww, in_topic, 2 * PART_RECORDS, 3 * PART_RECORDS, true, -1);
    pid = start_instance();

    /* Read (and check) the output first; the instance keeps running. */
    ww_check_output(&ww, out_topic, 120000);

    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the last instance exited with status %d", status);

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
    tcase_add_test(
        tc, test_runtime_sigkill_twice_then_exact_output_and_tail_restore);
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
