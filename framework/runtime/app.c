/*
 * app.c: weir_app_t, a topology running on Kafka.
 *
 * The app owns the topology, the conf and the runtime's shared state; it
 * plans topics before any thread starts (so a missing input topic or a
 * mismatched internal topic is a start-up error, not a thread dying
 * later), then runs num.stream.threads stream threads. Its state is
 * derived from its threads': RUNNING when every thread has its tasks,
 * REBALANCING while any is between a revocation and an assignment,
 * ERROR (sticky) once one has failed.
 *
 * A stable process id is kept in <state.dir>/<application.id>/process.id:
 * the transactional ids derive from it, so a restarted instance fences its
 * predecessor's transactions at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_int.h"
#include "alloc_int.h"
#include "clock_int.h"
#include "conf_int.h"
#include "engine_conf_int.h"
#include "http_int.h"
#include "mock_int.h"
#include "standby_int.h"
#include "thread_int.h"

struct weir_app_s {
    weir__rt_t rt;
    weir_topology_t *topo;
    weir_conf_t *conf;
    weir__thread_t **threads;
    int thread_cnt;
    pthread_mutex_t lock; /* state changes and the listener */
    atomic_int state;
    weir_app_state_cb_t *state_cb;
    void *state_opaque;
    weir_error_t *error; /* the first thread failure */
    weir__http_t *http;  /* metrics.port > 0: /metrics and /health */
};

const char *weir_app_state_name(weir_app_state_t state)
{
    static const char *names[] = {"CREATED",          "REBALANCING", "RUNNING",
                                  "PENDING_SHUTDOWN", "NOT_RUNNING", "ERROR"};
    return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state]
                                                              : "UNKNOWN";
}

weir_app_state_t weir_app_state(const weir_app_t *app)
{
    return (weir_app_state_t)atomic_load(&app->state);
}

/* Moves to @p state unless the current state forbids it; the caller holds
 * the lock. */
static void transition(weir_app_t *app, weir_app_state_t state)
{
    weir_app_state_t old = weir_app_state(app);
    if (old == state || old == WEIR_APP_NOT_RUNNING)
        return;
    if (old == WEIR_APP_ERROR && state != WEIR_APP_NOT_RUNNING)
        return;
    if (old == WEIR_APP_PENDING_SHUTDOWN && state != WEIR_APP_NOT_RUNNING &&
        state != WEIR_APP_ERROR)
        return;
    atomic_store(&app->state, (int)state);
    weir__log(&app->rt.eng.log, WEIR_LOG_INFO, "APP", "state %s -> %s",
              weir_app_state_name(old), weir_app_state_name(state));
    if (app->state_cb)
        app->state_cb(app->state_opaque, old, state);
}

static void thread_state_changed(void *opaque, weir__thread_t *changed)
{
    weir_app_t *app = opaque;
    pthread_mutex_lock(&app->lock);
    if (weir__thread_state(changed) == WEIR__THREAD_FAILED) {
        if (!app->error && weir__thread_error(changed))
            app->error = weir_error_new(
                weir_error_code(weir__thread_error(changed)), "%s",
                weir_error_string(weir__thread_error(changed)));
        transition(app, WEIR_APP_ERROR);
    } else if (app->threads) {
        bool all_running = true, any_rebalancing = false;
        for (int i = 0; i < app->thread_cnt; i++) {
            if (!app->threads[i])
                continue;
            weir__thread_state_t s = weir__thread_state(app->threads[i]);
            all_running &= s == WEIR__THREAD_RUNNING;
            any_rebalancing |= s == WEIR__THREAD_REBALANCING ||
                               s == WEIR__THREAD_STARTING;
        }
        if (any_rebalancing)
            transition(app, WEIR_APP_REBALANCING);
        else if (all_running)
            transition(app, WEIR_APP_RUNNING);
    }
    pthread_mutex_unlock(&app->lock);
}

weir_app_t *weir_app_new(weir_topology_t *topo, weir_conf_t *conf,
                         weir_error_t **errp)
{
    *errp = weir_conf_validate(conf);
    if (*errp)
        return NULL;
    *errp = weir_topology_build(topo);
    if (*errp)
        return NULL;
    weir_app_t *app = weir__calloc(1, sizeof(*app));
    if (!app) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "app");
        return NULL;
    }
    app->topo = topo;
    app->conf = conf;
    app->state_cb = weir__conf_state_cb(conf);
    app->state_opaque = weir__conf_opaque(conf);
    pthread_mutex_init(&app->lock, NULL);
    atomic_init(&app->state, WEIR_APP_CREATED);
    weir__rt_t *rt = &app->rt;
    rt->conf = conf;
    rt->bootstrap = weir_conf_get(conf, "bootstrap.servers");
    rt->commit_interval_ms = weir__conf_commit_interval_ms(conf);
    rt->commit_interval_max_ms = weir__conf_commit_interval_max_ms(conf);
    rt->purge_interval_ms = weir__conf_get_int(
        conf, "repartition.purge.interval.ms");
    *errp = weir__engine_from_conf(&rt->eng, topo, conf, NULL);
    if (*errp) {
        weir_app_destroy(app);
        return NULL;
    }
    rt->mock = weir__mock_find(rt->bootstrap);
    rt->thread_state_changed = thread_state_changed;
    rt->app = app;
    return app;
}

static weir_error_t *mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST)
            return weir_error_new(WEIR_ERR_IO,
                                  "state.dir: cannot create %s: %s", buf,
                                  strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST)
        return weir_error_new(WEIR_ERR_IO, "state.dir: cannot create %s: %s",
                              buf, strerror(errno));
    return NULL;
}

/* Reads or creates <state.dir>/<app id>/process.id. */
static weir_error_t *load_process_id(weir__rt_t *rt)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof(dir), "%s/%s", rt->eng.state_dir, rt->eng.app_id);
    weir_error_t *err = mkdirs(dir);
    if (err)
        return err;
    snprintf(path, sizeof(path), "%s/process.id", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char id[64] = "";
        bool ok = fgets(id, sizeof(id), f) != NULL;
        fclose(f);
        id[strcspn(id, "\r\n")] = '\0';
        if (ok && strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16) {
            memcpy(rt->process_id, id, 17); /* 16 hex digits and NUL */
            return NULL;
        }
        weir__log(&rt->eng.log, WEIR_LOG_WARNING, "APP",
                  "%s is not a process id; making a new one", path);
    }
    unsigned char rnd[8];
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
        if (fd >= 0)
            close(fd);
        return weir_error_new(WEIR_ERR_IO, "reading /dev/urandom: %s",
                              strerror(errno));
    }
    close(fd);
    for (int i = 0; i < 8; i++)
        snprintf(rt->process_id + 2 * i, 3, "%02x", rnd[i]);
    f = fopen(path, "w");
    if (!f || fprintf(f, "%s\n", rt->process_id) < 0 || fclose(f)) {
        if (f)
            fclose(f);
        return weir_error_new(WEIR_ERR_IO, "state.dir: cannot write %s: %s",
                              path, strerror(errno));
    }
    return NULL;
}

static weir_error_t *admin_new(weir__rt_t *rt)
{
    rt->admin_opaque = (weir__kafka_opaque_t){&rt->eng.log, "admin"};
    rd_kafka_conf_t *rkc;
    weir_error_t *err = weir__kafka_conf_new(rt->conf, "admin",
                                             &rt->admin_opaque, &rkc);
    if (err)
        return err;
    err = weir__kafka_new(RD_KAFKA_PRODUCER, rkc, &rt->admin);
    if (err)
        return err;
    /* Wait for the brokers (bounded), so that "down" is one clear error
     * rather than a timeout deep inside planning. */
    int64_t deadline = weir__engine_deadline(&rt->eng);
    int64_t next_log = 0;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t code = rd_kafka_metadata(rt->admin, 0, NULL, &md,
                                                     5000);
        if (md)
            rd_kafka_metadata_destroy(md);
        if (!code)
            return NULL;
        if (weir__mono_ms() > deadline)
            return weir_error_set_retriable(
                weir__error_from_resp(code,
                                      "brokers %s unreachable for %" PRId64
                                      " ms (broker.down.timeout.ms)",
                                      rt->bootstrap, rt->eng.wait_timeout_ms),
                true);
        if (weir__mono_ms() >= next_log) {
            weir__log(&rt->eng.log, WEIR_LOG_WARNING, "APP",
                      "waiting for brokers %s: %s", rt->bootstrap,
                      rd_kafka_err2str(code));
            next_log = weir__mono_ms() + 10000;
        }
    }
}

static bool has_persistent_stores(const weir_topology_t *topo)
{
    for (size_t i = 0; i < topo->store_cnt; i++)
        if (topo->stores[i]->persistent && !topo->stores[i]->global)
            return true;
    return false;
}

/* The HTTP server's view of the app (http_int.h); runs on its thread,
 * which weir_app_close() stops before it touches the threads. */
static weir_app_state_t http_state(void *opaque)
{
    return weir_app_state(opaque);
}

static int http_alive_threads(void *opaque)
{
    const weir_app_t *app = opaque;
    int n = 0;
    for (int i = 0; i < app->thread_cnt; i++) {
        if (!app->threads[i])
            continue;
        weir__thread_state_t s = weir__thread_state(app->threads[i]);
        n += s != WEIR__THREAD_STOPPED && s != WEIR__THREAD_FAILED;
    }
    return n;
}

weir_error_t *weir_app_start(weir_app_t *app)
{
    if (weir_app_state(app) != WEIR_APP_CREATED)
        return weir_error_new(WEIR_ERR_STATE, "app: start in state %s",
                              weir_app_state_name(weir_app_state(app)));
    weir__rt_t *rt = &app->rt;
    weir_error_t *err = load_process_id(rt);
    if (!err && has_persistent_stores(app->topo)) {
        rt->eng.env = weir_store_env_new(
            (uint64_t)weir__conf_get_int(app->conf, "statestore.memory.bytes"),
            &err);
        if (rt->eng.env) {
            weir_store_env_set_row_cache(
                rt->eng.env, (size_t)weir__conf_get_int(
                                 app->conf, "statestore.row.cache.bytes"));
            const weir__logger_t *log = &rt->eng.log;
            weir_store_env_set_log_cb(rt->eng.env, weir__engine_store_log,
                                      &rt->eng,
                                      (log->debug & WEIR__DBG_STORE) != 0);
        }
    }
    if (!err)
        err = admin_new(rt);
    if (!err)
        err = weir__rt_plan(rt);
    if (err)
        return err;
    int n = (int)weir__conf_get_int(app->conf, "num.stream.threads");
    err = weir__standbys_new(rt, n, &rt->standbys);
    if (err)
        return err;
    app->threads = weir__calloc((size_t)n, sizeof(*app->threads));
    if (!app->threads)
        return weir_error_new(WEIR_ERR_NOMEM, "app threads");
    app->thread_cnt = n;
    pthread_mutex_lock(&app->lock);
    transition(app, WEIR_APP_REBALANCING);
    pthread_mutex_unlock(&app->lock);
    weir__log(&rt->eng.log, WEIR_LOG_INFO, "APP",
              "%s starting %d stream thread%s (%s, commit every %" PRId64
              " ms, process %s)%s",
              rt->eng.app_id, n, n == 1 ? "" : "s",
              rt->eng.eos ? "exactly_once_v2" : "at_least_once",
              rt->commit_interval_ms, rt->process_id,
              rt->mock ? " on the embedded mock cluster" : "");
    for (int i = 0; i < n; i++) {
        /* Started threads read the array (under the lock) when their
         * state changes. */
        weir__thread_t *th = NULL;
        err = weir__thread_start(rt, i, &th);
        if (err)
            return err;
        pthread_mutex_lock(&app->lock);
        app->threads[i] = th;
        pthread_mutex_unlock(&app->lock);
    }
    int port = (int)weir__conf_get_int(app->conf, "metrics.port");
    if (port > 0) {
        weir__http_src_t src = {rt, http_state, http_alive_threads, app};
        err = weir__http_start(&src, weir_conf_get(app->conf, "metrics.host"),
                               port, &app->http);
    }
    return err;
}

weir_error_t *weir_app_close(weir_app_t *app, int timeout_ms)
{
    pthread_mutex_lock(&app->lock);
    if (weir_app_state(app) == WEIR_APP_CREATED)
        atomic_store(&app->state, WEIR_APP_NOT_RUNNING);
    else
        transition(app, WEIR_APP_PENDING_SHUTDOWN);
    pthread_mutex_unlock(&app->lock);
    weir__http_stop(app->http); /* it reads app->threads */
    for (int i = 0; i < app->thread_cnt; i++)
        if (app->threads[i])
            weir__thread_request_stop(app->threads[i]);
    int64_t deadline = weir__mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    bool timed_out = false;
    for (int i = 0; i < app->thread_cnt; i++) {
        if (!app->threads[i])
            continue;
        if (!weir__thread_join(app->threads[i], deadline)) {
            timed_out = true;
            continue;
        }
        /* The threads still running look at the others under the lock. */
        pthread_mutex_lock(&app->lock);
        weir__thread_t *th = app->threads[i];
        app->threads[i] = NULL;
        pthread_mutex_unlock(&app->lock);
        weir__thread_destroy(th);
    }
    pthread_mutex_lock(&app->lock);
    bool failed = weir_app_state(app) == WEIR_APP_ERROR;
    transition(app, WEIR_APP_NOT_RUNNING);
    pthread_mutex_unlock(&app->lock);
    if (timed_out)
        return weir_error_new(WEIR_ERR_TIMEOUT,
                              "app: stream threads did not stop in %d ms",
                              timeout_ms);
    if (failed && app->error)
        return weir_error_new(weir_error_code(app->error), "%s",
                              weir_error_string(app->error));
    return NULL;
}

void weir_app_destroy(weir_app_t *app)
{
    if (!app)
        return;
    weir_app_state_t state = weir_app_state(app);
    if (state != WEIR_APP_NOT_RUNNING && state != WEIR_APP_CREATED)
        weir_error_destroy(weir_app_close(app, 30000));
    bool abandoned = false;
    for (int i = 0; i < app->thread_cnt; i++)
        abandoned |= app->threads[i] != NULL;
    if (abandoned)
        return; /* threads still run on this memory: leak, never free */
    weir__http_destroy(app->http);
    weir__free(app->threads);
    if (app->rt.admin)
        rd_kafka_destroy(app->rt.admin);
    weir__rt_plan_free(&app->rt);
    weir__standbys_destroy(app->rt.standbys);
    weir_store_env_destroy(app->rt.eng.env);
    weir__engine_conf_free(&app->rt.eng);
    weir_error_destroy(app->error);
    pthread_mutex_destroy(&app->lock);
    weir_topology_destroy(app->topo);
    weir_conf_destroy(app->conf);
    weir__free(app);
}

uint64_t weir_app_metric(const weir_app_t *app, const char *name)
{
    const weir__metrics_t *m = &app->rt.eng.metrics;
#define WEIR__METRIC_GET(field, mname) \
    if (!strcmp(name, mname))          \
        return atomic_load(&m->field);
    WEIR__METRICS(WEIR__METRIC_GET)
#undef WEIR__METRIC_GET
    const weir__gauges_t *g = &app->rt.eng.gauges;
#define WEIR__GAUGE_GET(field, gname)            \
    if (!strcmp(name, gname)) {                  \
        int_fast64_t v = atomic_load(&g->field); \
        return v > 0 ? (uint64_t)v : 0;          \
    }
    WEIR__GAUGES(WEIR__GAUGE_GET)
#undef WEIR__GAUGE_GET
    return 0;
}
