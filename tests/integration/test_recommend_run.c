/*
 * test_recommend_run.c: see test_recommend_run.h.
 *
 * What is compared: every window the oracle closes (end + grace <= the
 * largest valid event time in the ground truth) must be in the output
 * once, with the same key, value and timestamp; the output may also hold
 * windows that only an idle-timeout release closes (those the oracle
 * gives after rec_oracle_flush()), again exactly as the oracle says, and
 * nothing else. Duplicates fail: one record per (user, window).
 */
#include <check.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <weir/app.h>

#include "harness.h"
#include "rec_datagen.h"
#include "rec_oracle.h"
#include "rec_topology.h"
#include "test_recommend_run.h"
#include "tmpdir.h"

#define START_MS INT64_C(1719579600000) /* 2024-06-28 13:00:00 UTC */

static int output_cmp(const void *va, const void *vb)
{
    const rec_output_t *a = va, *b = vb;
    if (a->timestamp != b->timestamp)
        return a->timestamp < b->timestamp ? -1 : 1;
    int c = strcmp(a->key, b->key);
    return c ? c : strcmp(a->value, b->value);
}

/* Reads @p topic (read_committed) until @p want records or @p timeout_ms,
 * then @p linger_ms more for extras. */
static size_t consume(const char *bootstrap, const char *topic, size_t want,
                      int timeout_ms, int linger_ms, rec_output_t **outp)
{
    char errstr[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    char *group = weir_test_unique_name("rec-e2e-reader");
    const char *props[][2] = {
        {"bootstrap.servers", bootstrap},      {"group.id", group},
        {"auto.offset.reset", "earliest"},     {"enable.auto.commit", "false"},
        {"isolation.level", "read_committed"}, {"session.timeout.ms", "6000"},
        {"fetch.wait.max.ms", "10"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(*props); i++)
        ck_assert_int_eq(rd_kafka_conf_set(kc, props[i][0], props[i][1],
                                           errstr, sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr,
                                  sizeof(errstr));
    ck_assert_msg(rk != NULL, "%s", errstr);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(
        1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    ck_assert_int_eq(rd_kafka_subscribe(rk, sub), 0);
    rd_kafka_topic_partition_list_destroy(sub);

    size_t n = 0, cap = want + 64;
    rec_output_t *outs = calloc(cap, sizeof(*outs));
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long done_at = -1;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long el = (t.tv_sec - t0.tv_sec) * 1000 +
                  (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (n >= want && done_at < 0)
            done_at = el;
        if (el > timeout_ms || (done_at >= 0 && el - done_at > linger_ms))
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err) {
            if (n == cap)
                outs = realloc(outs, (cap *= 2) * sizeof(*outs));
            outs[n].key = strndup(m->key ? m->key : "", m->key_len);
            outs[n].value = strndup(m->payload ? m->payload : "", m->len);
            outs[n].timestamp = rd_kafka_message_timestamp(m, NULL);
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(group);
    *outp = outs;
    return n;
}

static bool contains(const rec_output_t *v, size_t n, const rec_output_t *o)
{
    return bsearch(o, v, n, sizeof(*v), output_cmp) != NULL;
}

static void log_quiet(void *opaque, int level, const char *fac,
                      const char *msg)
{
    (void)opaque;
    if (level <= WEIR_LOG_WARNING)
        fprintf(stderr, "%s: %s\n", fac, msg);
}

typedef struct gen_thread_s {
    rec_datagen_conf_t conf;
    rec_datagen_progress_t progress;
    weir_error_t *err;
    pthread_t tid;
} gen_thread_t;

static void *gen_main(void *arg)
{
    gen_thread_t *g = arg;
    g->err = rec_datagen_run(&g->conf, &g->progress);
    return NULL;
}

/* Starts the app of @p e on @p cfg; fails the test on error. */
static weir_app_t *start_app(const rec_e2e_t *e, const rec_config_t *cfg,
                             const char *app_id, const char *state)
{
    weir_error_t *err = NULL;
    weir_conf_t *conf = weir_conf_new();
    char threads[8];
    snprintf(threads, sizeof(threads), "%d", e->threads);
    const char *props[][2] = {
        {"application.id", app_id},
        {"bootstrap.servers", e->bootstrap},
        {"state.dir", state},
        {"processing.guarantee", e->guarantee},
        {"num.stream.threads", threads},
        {"idle.timeout.ms", "2000"},
        {"consumer.session.timeout.ms", "6000"},
        {"deserialization.exception.handler", "dead_letter"},
        {"processing.exception.handler", "dead_letter"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(*props); i++) {
        err = weir_conf_set(conf, props[i][0], props[i][1]);
        ck_assert_msg(!err, "%s: %s", props[i][0], weir_error_string(err));
    }
    weir_conf_set_log_cb(conf, log_quiet);
    weir_topology_t *topo = rec_topology_new(cfg, e->reg, &err);
    ck_assert_msg(topo != NULL, "%s", weir_error_string(err));
    weir_app_t *app = weir_app_new(topo, conf, &err);
    ck_assert_msg(app != NULL, "%s", weir_error_string(err));
    err = weir_app_start(app);
    ck_assert_msg(!err, "start: %s", weir_error_string(err));
    return app;
}

void rec_e2e_run(const rec_e2e_t *e)
{
    weir_error_t *err = NULL;
    rec_config_t cfg;
    ck_assert_ptr_null(rec_config_init(&cfg));
    char *clicks = weir_test_unique_name("rec-clicks");
    char *sales = weir_test_unique_name("rec-sales");
    char *recs = weir_test_unique_name("rec-out");
    char *app_id = weir_test_unique_name("rec-app");
    ck_assert_ptr_null(rec_config_set(&cfg, "topic.clicks", clicks));
    ck_assert_ptr_null(rec_config_set(&cfg, "topic.sales", sales));
    ck_assert_ptr_null(rec_config_set(&cfg, "topic.recommendations", recs));
    ck_assert_ptr_null(rec_config_set(
        &cfg, "inventory.file",
        WEIR_SOURCE_DIR "/apps/recommendation/data/productInventory.csv"));
    cfg.log_cb = log_quiet;
    rec_stats_t stats;
    memset(&stats, 0, sizeof(stats));
    cfg.stats = &stats;

    /* The topics exist before the app starts (it checks its inputs). */
    const char *topics[] = {clicks, sales, recs};
    err = rec_datagen_create_topics(e->bootstrap, e->mock, topics, 2,
                                    e->partitions, -1, log_quiet, NULL);
    ck_assert_msg(!err, "%s", weir_error_string(err));
    err = rec_datagen_create_topics(e->bootstrap, e->mock, topics + 2, 1, 1,
                                    -1, log_quiet, NULL);
    ck_assert_msg(!err, "%s", weir_error_string(err));
    char gt_path[] = "/tmp/weir-rec-e2e-gt-XXXXXX";
    int fd = mkstemp(gt_path);
    FILE *gt = fdopen(fd, "w");
    gen_thread_t gen;
    memset(&gen, 0, sizeof(gen));
    rec_datagen_conf_t *dg = &gen.conf;
    rec_gen_opts_default(&dg->gen);
    dg->gen.seed = 20240628;
    dg->gen.start_ms = START_MS;
    dg->gen.clicks_per_sec = e->clicks_per_sec;
    dg->gen.unknown_product_every = e->unknown_every;
    dg->bootstrap_servers = e->bootstrap;
    dg->registry = e->reg;
    dg->topic_clicks = clicks;
    dg->topic_sales = sales;
    dg->mock = e->mock;
    dg->duration_ms = e->event_seconds * 1000;
    dg->speedup = 0;
    dg->ground_truth = gt;
    dg->log_cb = log_quiet;
    char *state = weir_test_tmpdir_new("weir-rec-e2e-state");

    if (e->kill_after > 0) {
        /* A first instance in a child process (forked while this process
         * has no other thread), fed at 10x real time so that it is busy
         * when it is killed with SIGKILL, once some recommendations are
         * committed: no close, no commit, an open transaction and its
         * state left as they are. */
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            weir_app_t *first = start_app(e, &cfg, app_id, state);
            (void)first;
            for (;;)
                pause();
        }
        dg->speedup = 10;
        ck_assert_int_eq(pthread_create(&gen.tid, NULL, gen_main, &gen), 0);
        rec_output_t *early = NULL;
        size_t early_n = consume(e->bootstrap, recs, e->kill_after, 120000, 0,
                                 &early);
        kill(pid, SIGKILL);
        int status = 0;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFSIGNALED(status));
        ck_assert_uint_ge(early_n, e->kill_after);
        /* Killed midway: the generator was still producing. */
        ck_assert_int_lt(atomic_load(&gen.progress.last_timestamp),
                         START_MS + e->event_seconds * 1000 - 10000);
        for (size_t i = 0; i < early_n; i++) {
            free(early[i].key);
            free(early[i].value);
        }
        free(early);
        pthread_join(gen.tid, NULL);
        if (e->restart_fresh_state) {
            /* Another machine takes over: restore from the changelogs. */
            weir_test_tmpdir_remove(state);
            free(state);
            state = weir_test_tmpdir_new("weir-rec-e2e-state2");
        }
    } else if (e->python) {
        /* All of it, from the independent Python producer. */
        char cmd[8192];
        snprintf(cmd, sizeof(cmd),
                 "'%s' '%s/tests/python/seed_producer.py' --bootstrap '%s' "
                 "--registry '%s' --clicks-topic '%s' --sales-topic '%s' "
                 "--schemas '%s/apps/recommendation/schemas' "
                 "--ground-truth '%s' --seed 7 --start-ms %lld --seconds %lld "
                 "--clicks-per-sec %d --sales-per-sec 20",
                 e->python, WEIR_SOURCE_DIR, e->bootstrap,
                 e->python_registry_url, clicks, sales, WEIR_SOURCE_DIR,
                 gt_path, (long long)START_MS, (long long)e->event_seconds,
                 (int)e->clicks_per_sec);
        ck_assert_msg(system(cmd) == 0, "the Python producer failed: %s", cmd);
    } else {
        /* All of it before the app starts. */
        gen_main(&gen);
    }
    ck_assert_msg(!gen.err, "datagen: %s", weir_error_string(gen.err));
    fclose(gt);
    if (!e->python)
        ck_assert_uint_eq(
            atomic_load(&gen.progress.clicks),
            (uint64_t)(e->clicks_per_sec * (double)e->event_seconds));

    /* The oracle. */
    rec_inventory_t *inv = rec_inventory_load(cfg.inventory_file, &cfg, &err);
    ck_assert_ptr_null(err);
    rec_oracle_t *o = rec_oracle_new(&cfg, inv, &err);
    ck_assert_ptr_null(err);
    ck_assert_ptr_null(rec_oracle_add_file(o, gt_path));
    rec_oracle_stats_t st;
    rec_oracle_stats(o, &st);
    size_t closed_n, all_n;
    const rec_output_t *tmp = rec_oracle_outputs(o, &closed_n);
    rec_output_t *closed = malloc((closed_n + 1) * sizeof(*closed));
    memcpy(closed, tmp, closed_n * sizeof(*closed));
    qsort(closed, closed_n, sizeof(*closed), output_cmp);
    ck_assert_ptr_null(rec_oracle_flush(o));
    tmp = rec_oracle_outputs(o, &all_n);
    rec_output_t *all = malloc((all_n + 1) * sizeof(*all));
    memcpy(all, tmp, all_n * sizeof(*all));
    qsort(all, all_n, sizeof(*all), output_cmp);
    ck_assert_uint_gt(closed_n, (size_t)e->event_seconds / 2);

    /* The app (the second instance after a kill). */
    weir_app_t *app = start_app(e, &cfg, app_id, state);

    rec_output_t *got = NULL;
    size_t got_n = consume(e->bootstrap, recs, closed_n, 180000, 5000, &got);
    ck_assert_int_ne(weir_app_state(app), WEIR_APP_ERROR);
    uint64_t dead = weir_app_metric(app, "dead-lettered");
    fprintf(stderr,
            "recommend e2e: %zu records out (oracle: %zu closed, %zu with "
            "flush); app: windows closed %" PRIuFAST64 ", late clicks %" PRIu64
            ", dead-lettered %" PRIu64 ", records in %" PRIu64
            "; oracle: late %" PRIu64 ", unknown %" PRIu64 "\n",
            got_n, closed_n, all_n,
            (uint_fast64_t)atomic_load(&stats.windows_closed),
            weir_app_metric(app, "late-records"), dead,
            weir_app_metric(app, "records-in"), st.late, st.unknown_product);
    err = weir_app_close(app, 30000);
    ck_assert_msg(!err, "close: %s", weir_error_string(err));
    weir_app_destroy(app);

    qsort(got, got_n, sizeof(*got), output_cmp);
    const char *dump = getenv("REC_E2E_DUMP"); /* a directory, to debug */
    if (dump) {
        char path[512];
        snprintf(path, sizeof(path), "%s/got.txt", dump);
        FILE *f = fopen(path, "w");
        for (size_t i = 0; f && i < got_n; i++)
            fprintf(f, "%" PRId64 " %s\n", got[i].timestamp, got[i].value);
        if (f)
            fclose(f);
        snprintf(path, sizeof(path), "%s/want.txt", dump);
        f = fopen(path, "w");
        for (size_t i = 0; f && i < all_n; i++)
            fprintf(f, "%" PRId64 " %s%s\n", all[i].timestamp, all[i].value,
                    contains(closed, closed_n, &all[i]) ? "" : " (flush)");
        if (f)
            fclose(f);
    }
    for (size_t i = 0; i + 1 < got_n; i++)
        ck_assert_msg(output_cmp(&got[i], &got[i + 1]) != 0 &&
                          (got[i].timestamp != got[i + 1].timestamp ||
                           strcmp(got[i].key, got[i + 1].key) != 0),
                      "two records for %s @%" PRId64, got[i].key,
                      got[i].timestamp);
    for (size_t i = 0; i < closed_n; i++)
        ck_assert_msg(contains(got, got_n, &closed[i]),
                      "missing or different: %s @%" PRId64 " %s (got %zu "
                      "records, want %zu)",
                      closed[i].key, closed[i].timestamp, closed[i].value,
                      got_n, closed_n);
    for (size_t i = 0; i < got_n; i++)
        ck_assert_msg(contains(all, all_n, &got[i]),
                      "unexpected output: %s @%" PRId64 " %s", got[i].key,
                      got[i].timestamp, got[i].value);
    if (e->kill_after == 0)
        ck_assert_uint_eq(dead, st.unknown_product + st.bad_user);

    for (size_t i = 0; i < got_n; i++) {
        free(got[i].key);
        free(got[i].value);
    }
    free(got);
    free(closed);
    free(all);
    rec_oracle_destroy(o);
    rec_inventory_destroy(inv);
    unlink(gt_path);
    weir_test_tmpdir_remove(state);
    free(state);
    free(clicks);
    free(sales);
    free(recs);
    free(app_id);
    rec_config_free(&cfg);
}
