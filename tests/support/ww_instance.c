/*
 * ww_instance.c: word-window app instances for integration tests (see
 * ww_instance.h).
 */
#include "ww_instance.h"

#include <check.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmpdir.h"
#include "word_windows.h"

static weir_app_t *app_new(const ww_setup_t *setup, const char *state_dir,
                           weir_error_t **errp)
{
    weir_conf_t *conf = ww_conf(setup->app_id, state_dir, "exactly_once_v2",
                                setup->threads);
    for (size_t i = 0; setup->props && setup->props[i]; i += 2) {
        weir_error_t *err = weir_conf_set(conf, setup->props[i],
                                          setup->props[i + 1]);
        if (err) {
            weir_conf_destroy(conf);
            *errp = err;
            return NULL;
        }
    }
    return weir_app_new(ww_topology(setup->in, setup->out), conf, errp);
}

static ww_counters_t counters_of(weir_app_t *app)
{
    return (ww_counters_t){weir_app_metric(app, "records-in"),
                           weir_app_metric(app, "restored-records"),
                           weir_app_metric(app, "rebalances"),
                           weir_app_metric(app, "late-records")};
}

void ww_instance_start(ww_instance_t *inst, const char *name,
                       const ww_setup_t *setup)
{
    *inst = (ww_instance_t){name, weir_test_tmpdir_new("weir-ww-state"), NULL,
                            0};
    weir_error_t *err = NULL;
    inst->app = app_new(setup, inst->state_dir, &err);
    ck_assert_msg(inst->app != NULL, "instance %s: %s", name,
                  weir_error_string(err));
    err = weir_app_start(inst->app);
    ck_assert_msg(!err, "instance %s: start: %s", name,
                  weir_error_string(err));
}

ww_counters_t ww_instance_counters(const ww_instance_t *inst)
{
    return counters_of(inst->app);
}

static void print_counters(const ww_instance_t *inst, ww_counters_t c)
{
    fprintf(stderr,
            "instance %s: %" PRIu64 " records in, %" PRIu64
            " restored, %" PRIu64 " rebalances, %" PRIu64 " late\n",
            inst->name, c.records_in, c.restored, c.rebalances, c.late);
}

ww_counters_t ww_instance_stop(ww_instance_t *inst)
{
    ck_assert_msg(weir_app_state(inst->app) != WEIR_APP_ERROR,
                  "instance %s failed", inst->name);
    ww_counters_t c = counters_of(inst->app);
    print_counters(inst, c);
    weir_error_t *err = weir_app_close(inst->app, 60000);
    ck_assert_msg(!err, "close %s: %s", inst->name, weir_error_string(err));
    weir_app_destroy(inst->app);
    inst->app = NULL;
    weir_test_tmpdir_remove(inst->state_dir);
    free(inst->state_dir);
    inst->state_dir = NULL;
    return c;
}

static volatile sig_atomic_t term;

static void on_term(int sig)
{
    (void)sig;
    term = 1;
}

/* The child: runs until SIGTERM (then closes cleanly and writes its
 * counters) or SIGKILL. Never returns. */
static void run_child(const ww_setup_t *setup, const char *state_dir)
{
    signal(SIGTERM, on_term);
    weir_error_t *err = NULL;
    weir_app_t *app = app_new(setup, state_dir, &err);
    if (!app || weir_app_start(app))
        _exit(11);
    bool was_running = false;
    while (!term) {
        if (weir_app_state(app) == WEIR_APP_ERROR)
            _exit(12);
        if (!was_running && weir_app_state(app) == WEIR_APP_RUNNING) {
            was_running = true;
            char path[4200];
            snprintf(path, sizeof(path), "%s/running.txt", state_dir);
            FILE *f = fopen(path, "w");
            if (f) {
                fprintf(f, "%" PRId64 "\n", ww_mono_ms());
                fclose(f);
            }
        }
        usleep(5 * 1000);
    }
    ww_counters_t c = counters_of(app);
    err = weir_app_close(app, 30000);
    char path[4200];
    snprintf(path, sizeof(path), "%s/counters.txt", state_dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
                c.records_in, c.restored, c.rebalances, c.late);
        fclose(f);
    }
    weir_app_destroy(app);
    _exit(err ? 13 : 0);
}

void ww_instance_fork(ww_instance_t *inst, const char *name,
                      const ww_setup_t *setup, char *state_dir)
{
    *inst = (ww_instance_t){
        name, state_dir ? state_dir : weir_test_tmpdir_new("weir-ww-state"),
        NULL, 0};
    char path[4200];
    snprintf(path, sizeof(path), "%s/running.txt", inst->state_dir);
    remove(path);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        run_child(setup, inst->state_dir);
    inst->pid = pid;
}

char *ww_instance_kill(ww_instance_t *inst)
{
    kill(inst->pid, SIGKILL);
    int status;
    waitpid(inst->pid, &status, 0);
    ck_assert_msg(WIFSIGNALED(status),
                  "instance %s ended before it was killed (status %d)",
                  inst->name, status);
    inst->pid = 0;
    char *dir = inst->state_dir;
    inst->state_dir = NULL;
    return dir;
}

ww_counters_t ww_instance_term(ww_instance_t *inst)
{
    kill(inst->pid, SIGTERM);
    int status;
    waitpid(inst->pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "instance %s exited with status %d", inst->name, status);
    inst->pid = 0;
    char path[4200];
    snprintf(path, sizeof(path), "%s/counters.txt", inst->state_dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "instance %s wrote no counters", inst->name);
    ww_counters_t c = {0};
    ck_assert_int_eq(fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                            &c.records_in, &c.restored, &c.rebalances,
                            &c.late),
                     4);
    fclose(f);
    print_counters(inst, c);
    weir_test_tmpdir_remove(inst->state_dir);
    free(inst->state_dir);
    inst->state_dir = NULL;
    return c;
}

int64_t ww_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ww_instance_wait_forked_running(const ww_instance_t *inst,
                                        int timeout_ms)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/running.txt", inst->state_dir);
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        FILE *f = fopen(path, "r");
        long long t = -1;
        if (f) {
            int got = fscanf(f, "%lld", &t);
            fclose(f);
            if (got == 1)
                return t;
        }
        usleep(10 * 1000);
    }
    ck_abort_msg("instance %s not RUNNING after %d ms", inst->name,
                 timeout_ms);
    return -1;
}

void ww_instance_wait_records_in(const ww_instance_t *inst, uint64_t n,
                                 int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        if (weir_app_metric(inst->app, "records-in") >= n)
            return;
        ck_assert_msg(weir_app_state(inst->app) != WEIR_APP_ERROR,
                      "instance %s failed", inst->name);
        usleep(50 * 1000);
    }
    ck_abort_msg(
        "instance %s took in %" PRIu64 " of %" PRIu64 " records in %d ms",
        inst->name, weir_app_metric(inst->app, "records-in"), n, timeout_ms);
}

void ww_instance_wait_running(const ww_instance_t *inst, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        if (weir_app_state(inst->app) == WEIR_APP_RUNNING)
            return;
        ck_assert_msg(weir_app_state(inst->app) != WEIR_APP_ERROR,
                      "instance %s failed", inst->name);
        usleep(50 * 1000);
    }
    ck_abort_msg("instance %s not RUNNING after %d ms", inst->name,
                 timeout_ms);
}
