/*
 * bench_failover.c: how long a task is unavailable when its instance
 * goes away, on a real broker.
 *
 * Two instances (forked processes) of a table count share the tasks of a
 * state of --keys keys (the changelog is filled before they start). A
 * probe producer writes a record to every input partition every few ms,
 * stamped with the wall clock. Then instance A is stopped, with SIGTERM
 * (a clean close: it commits and leaves the group) or SIGKILL (the group
 * notices after session.timeout.ms), and the benchmark measures, on the
 * output topic read read_committed, when the first result for a probe
 * written after the signal arrives from one of A's former tasks (now run
 * by B): from the signal, and for SIGKILL also from the group's
 * reassignment (B entering REBALANCING, which follows A's eviction).
 * Each case runs without and with a standby (num.standby.replicas=1);
 * the table also gives the changelog records B replayed to take over.
 *
 *   bench_failover --bootstrap HOST:PORT [--keys N] [--partitions P]
 *                  [--session-timeout-ms MS] [--cases term,kill]
 *
 * Everything else is each side's default (librdkafka's session timeout is
 * 45 s unless --session-timeout-ms says otherwise).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <weir/weir.h>

static const char *bootstrap;
static long keys = 1000000;
static int partitions = 4;
static const char *session_timeout;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_failover: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *const *props)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr,
                      sizeof(errstr));
    for (size_t i = 0; props && props[i]; i += 2)
        if (rd_kafka_conf_set(conf, props[i], props[i + 1], errstr,
                              sizeof(errstr)))
            die("%s: %s", props[i], errstr);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk)
        die("%s", errstr);
    return rk;
}

static void create_topic(const char *name, int parts, bool compact)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
    char errstr[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, parts, 1, errstr,
                                                    sizeof(errstr));
    if (compact)
        rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    size_t n = 0;
    const rd_kafka_topic_result_t **res =
        ev ? rd_kafka_CreateTopics_result_topics(
                 rd_kafka_event_CreateTopics_result(ev), &n)
           : NULL;
    if (!ev || n != 1 || rd_kafka_topic_result_error(res[0]))
        die("creating %s: %s", name,
            n ? rd_kafka_topic_result_error_string(res[0]) : "timeout");
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_destroy(rk);
}

static void produce(rd_kafka_t *rk, const char *topic, int32_t part,
                    const char *key, const void *val, size_t len, int64_t ts)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
            RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_TIMESTAMP(ts),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (err)
                die("producing to %s: %s", topic, rd_kafka_err2str(err));
            return;
        }
        rd_kafka_poll(rk, 10);
    }
}

/* ---- an instance (a forked child) ---- */

typedef struct run_s {
    char app_id[128], in[160], out[160];
    int standby;
} run_t;

static volatile sig_atomic_t term;
static void on_term(int sig)
{
    (void)sig;
    term = 1;
}

typedef struct child_s {
    atomic_int_fast64_t rebalancing_at; /* mono ms of the last entry */
} child_t;

static void on_state(void *opaque, weir_app_state_t old, weir_app_state_t st)
{
    child_t *c = opaque;
    (void)old;
    if (st == WEIR_APP_REBALANCING)
        atomic_store(&c->rebalancing_at, mono_ms());
}

/* "<count>@<instance>": which instance wrote a result. */
static weir_error_t *tag(void *ctx, const weir_record_t *rec, void **valuep,
                         size_t *lenp)
{
    int64_t count = 0;
    if (rec->value && rec->value_len == sizeof(count))
        memcpy(&count, rec->value, sizeof(count));
    char *s = NULL;
    int n = asprintf(&s, "%" PRId64 "@%s", count, (const char *)ctx);
    if (n < 0)
        return weir_error_new(WEIR_ERR_NOMEM, "tag");
    *valuep = s;
    *lenp = (size_t)n;
    return NULL;
}

static weir_topology_t *topology(const run_t *r, const char *name)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, r->in, weir_serde_string(),
                                    weir_serde_string());
    weir_ktable_t *counts = weir_kgrouped_count(weir_kstream_group_by_key(s),
                                                "counts");
    weir_kstream_t *tagged = weir_kstream_map_values(
        weir_ktable_to_stream(counts), tag, (void *)name, weir_serde_string());
    weir_kstream_to(tagged, r->out, NULL, NULL);
    return topo;
}

/* Writes "state restored standby_tasks standby_lag rebalancing_at" to
 * <dir>/status every few ms, until SIGTERM. */
static void child_main(const run_t *r, const char *dir, const char *name)
{
    signal(SIGTERM, on_term);
    if (getenv("WEIR_BENCH_LOG")) {
        char log[4200];
        snprintf(log, sizeof(log), "%s.log", dir);
        if (!freopen(log, "w", stderr))
            die("%s: %s", log, strerror(errno));
        setvbuf(stderr, NULL, _IOLBF, 0);
    }
    weir_conf_t *conf = weir_conf_new();
    char standby[8];
    snprintf(standby, sizeof(standby), "%d", r->standby);
    const char *props[][2] = {
        {"application.id", r->app_id},
        {"bootstrap.servers", bootstrap},
        {"state.dir", dir},
        {"num.standby.replicas", standby},
        {"log.level", getenv("WEIR_BENCH_LOG") ? "7" : "4"}};
    weir_error_t *err = NULL;
    for (size_t i = 0; !err && i < sizeof(props) / sizeof(*props); i++)
        err = weir_conf_set(conf, props[i][0], props[i][1]);
    if (!err && getenv("WEIR_BENCH_LOG"))
        err = weir_conf_set(conf, "debug", "task,restore");
    if (!err && session_timeout)
        err = weir_conf_set(conf, "consumer.session.timeout.ms",
                            session_timeout);
    if (err)
        die("%s", weir_error_string(err));
    child_t c;
    atomic_init(&c.rebalancing_at, 0);
    weir_conf_set_state_cb(conf, on_state);
    weir_conf_set_opaque(conf, &c);
    weir_app_t *app = weir_app_new(topology(r, name), conf, &err);
    if (!app)
        die("%s", weir_error_string(err));
    if ((err = weir_app_start(app)))
        die("%s", weir_error_string(err));
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/status", dir);
    snprintf(tmp, sizeof(tmp), "%s/status.tmp", dir);
    while (!term) {
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 "\n",
                    (int)weir_app_state(app),
                    weir_app_metric(app, "restored-records"),
                    weir_app_metric(app, "standby-tasks"),
                    weir_app_metric(app, "standby-lag-records"),
                    (int64_t)atomic_load(&c.rebalancing_at));
            fclose(f);
            rename(tmp, path);
        }
        if (weir_app_state(app) == WEIR_APP_ERROR)
            _exit(2);
        usleep(5000);
    }
    err = weir_app_close(app, 30000);
    weir_app_destroy(app);
    _exit(err ? 3 : 0);
}

typedef struct inst_s {
    pid_t pid;
    char dir[256];
} inst_t;

typedef struct status_s {
    int state;
    uint64_t restored, standby_tasks, standby_lag;
    int64_t rebalancing_at;
} status_t;

static status_t status_of(const inst_t *in)
{
    status_t s = {-1, 0, 0, 0, 0};
    char path[300];
    snprintf(path, sizeof(path), "%s/status", in->dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%d %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64,
                   &s.state, &s.restored, &s.standby_tasks, &s.standby_lag,
                   &s.rebalancing_at) != 5)
            s.state = -1;
        fclose(f);
    }
    return s;
}

static void fork_instance(inst_t *in, const run_t *r, const char *name)
{
    snprintf(in->dir, sizeof(in->dir), "/tmp/weir-failover-%d-%s-%s",
             (int)getpid(), r->app_id, name);
    if (mkdir(in->dir, 0755) && errno != EEXIST)
        die("mkdir %s: %s", in->dir, strerror(errno));
    fflush(NULL);
    in->pid = fork();
    if (in->pid < 0)
        die("fork: %s", strerror(errno));
    if (!in->pid)
        child_main(r, in->dir, name);
}

/* Waits until @p in is RUNNING and, if @p standbys, keeps caught-up
 * standbys. */
static void wait_ready(const inst_t *in, bool standbys, const char *name)
{
    int64_t t0 = mono_ms();
    for (;;) {
        status_t s = status_of(in);
        if (s.state == WEIR_APP_RUNNING &&
            (!standbys || (s.standby_tasks > 0 && s.standby_lag == 0)))
            return;
        if (mono_ms() - t0 > 600000)
            die("instance %s not ready", name);
        int st;
        if (waitpid(in->pid, &st, WNOHANG) == in->pid)
            die("instance %s exited (status %d)", name, st);
        usleep(20000);
    }
}

static void remove_dir(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_failover: could not remove %s\n", dir);
}

/* ---- probes and the output ---- */

typedef struct probe_s {
    const run_t *r;
    atomic_bool stop;
    pthread_t tid;
} probe_t;

static void *probe_main(void *arg)
{
    probe_t *p = arg;
    static const char *props[] = {"linger.ms", "0", NULL};
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, props);
    while (!atomic_load(&p->stop)) {
        for (int part = 0; part < partitions; part++) {
            char key[32];
            snprintf(key, sizeof(key), "probe-%d", part);
            produce(rk, p->r->in, part, key, "p", 1, wall_ms());
        }
        rd_kafka_poll(rk, 0);
        usleep(5000);
    }
    rd_kafka_flush(rk, 10000);
    rd_kafka_destroy(rk);
    return NULL;
}

/* The input partitions instance @p dir's process runs, from the group's
 * description (members' client ids carry the process id). */
static bool *partitions_of(const run_t *r, const char *dir)
{
    char path[400], pid[64] = "";
    snprintf(path, sizeof(path), "%s/%s/process.id", dir, r->app_id);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(pid, sizeof(pid), f))
        die("no process id in %s", path);
    fclose(f);
    pid[strcspn(pid, "\n")] = '\0';
    bool *mine = calloc((size_t)partitions, sizeof(bool));
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
    for (int attempt = 0; attempt < 100; attempt++) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        const char *groups[] = {r->app_id};
        rd_kafka_DescribeConsumerGroups(rk, groups, 1, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
        size_t n = 0;
        const rd_kafka_ConsumerGroupDescription_t **gs =
            ev && !rd_kafka_event_error(ev)
                ? rd_kafka_DescribeConsumerGroups_result_groups(
                      rd_kafka_event_DescribeConsumerGroups_result(ev), &n)
                : NULL;
        bool found = false;
        for (size_t m = 0;
             n == 1 &&
             m < rd_kafka_ConsumerGroupDescription_member_count(gs[0]);
             m++) {
            const rd_kafka_MemberDescription_t *md =
                rd_kafka_ConsumerGroupDescription_member(gs[0], m);
            if (!strstr(rd_kafka_MemberDescription_client_id(md), pid))
                continue;
            const rd_kafka_topic_partition_list_t *a =
                rd_kafka_MemberAssignment_partitions(
                    rd_kafka_MemberDescription_assignment(md));
            for (int i = 0; a && i < a->cnt; i++)
                if (!strcmp(a->elems[i].topic, r->in)) {
                    mine[a->elems[i].partition] = true;
                    found = true;
                }
        }
        if (ev)
            rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
        if (found)
            break;
        usleep(100000);
    }
    rd_kafka_destroy(rk);
    return mine;
}

/* Reads the output until instance B's result for a probe written at or
 * after @p since (wall ms) on one of @p moved's partitions arrives;
 * returns when (mono ms), or -1 after @p timeout_ms. */
static int64_t first_moved_output(rd_kafka_t *consumer, const bool *moved,
                                  int64_t since, int64_t timeout_ms)
{
    int64_t t0 = mono_ms();
    while (mono_ms() - t0 < timeout_ms) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 50);
        if (!m)
            continue;
        int part = -1;
        if (!m->err && m->key_len > 6 && !memcmp(m->key, "probe-", 6) &&
            m->len > 2 &&
            !memcmp((const char *)m->payload + m->len - 2, "@B", 2))
            part = atoi((const char *)m->key + 6);
        int64_t ts = rd_kafka_message_timestamp(m, NULL);
        int64_t now = mono_ms();
        rd_kafka_message_destroy(m);
        if (part >= 0 && part < partitions && moved[part] && ts >= since)
            return now;
    }
    return -1;
}

/* ---- one case ---- */

static void fill_changelog(const run_t *r)
{
    char changelog[256];
    snprintf(changelog, sizeof(changelog), "%s-counts-changelog", r->app_id);
    create_topic(changelog, partitions, true);
    static const char *props[] = {"linger.ms", "50", "batch.size", "1000000",
                                  NULL};
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, props);
    static const unsigned char one[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    for (long i = 0; i < keys; i++) {
        char key[32];
        snprintf(key, sizeof(key), "k%07ld", i);
        produce(rk, changelog, (int32_t)(i % partitions), key, one,
                sizeof(one), 0);
    }
    if (rd_kafka_flush(rk, 300000))
        die("filling %s: not flushed", changelog);
    rd_kafka_destroy(rk);
}

static void run_case(int n, bool kill_it, int standby)
{
    run_t r = {.standby = standby};
    snprintf(r.app_id, sizeof(r.app_id), "failover-%d-%d", (int)getpid(), n);
    snprintf(r.in, sizeof(r.in), "%s-in", r.app_id);
    snprintf(r.out, sizeof(r.out), "%s-out", r.app_id);
    create_topic(r.in, partitions, false);
    create_topic(r.out, 1, false);
    fill_changelog(&r);

    inst_t a, b;
    fork_instance(&a, &r, "A");
    wait_ready(&a, false, "A");
    fork_instance(&b, &r, "B");
    wait_ready(&b, standby > 0, "B");
    wait_ready(&a, standby > 0, "A");
    bool *moved = partitions_of(&r, a.dir);
    int moved_cnt = 0;
    for (int p = 0; p < partitions; p++)
        moved_cnt += moved[p];

    static const char *cprops[] = {"group.id",
                                   "failover-reader",
                                   "isolation.level",
                                   "read_committed",
                                   "auto.offset.reset",
                                   "latest",
                                   "enable.auto.commit",
                                   "false",
                                   NULL};
    rd_kafka_t *consumer = client(RD_KAFKA_CONSUMER, cprops);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(
        1);
    rd_kafka_topic_partition_list_add(parts, r.out, 0)->offset =
        RD_KAFKA_OFFSET_END;
    rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    probe_t probe = {.r = &r};
    atomic_init(&probe.stop, false);
    pthread_create(&probe.tid, NULL, probe_main, &probe);
    sleep(2); /* probes flow through both instances */

    uint64_t restored_before = status_of(&b).restored;
    int64_t signal_wall = wall_ms(), signal_mono = mono_ms();
    kill(a.pid, kill_it ? SIGKILL : SIGTERM);
    int64_t timeout = (session_timeout ? atol(session_timeout) : 45000) +
                      120000;
    int64_t first = first_moved_output(consumer, moved, signal_wall, timeout);
    usleep(200000); /* B's status file catches up */
    status_t sb = status_of(&b);
    atomic_store(&probe.stop, true);
    pthread_join(probe.tid, NULL);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);

    int st;
    waitpid(a.pid, &st, 0);
    kill(b.pid, SIGTERM);
    waitpid(b.pid, &st, 0);
    remove_dir(a.dir);
    remove_dir(b.dir);
    free(moved);

    char total[32] = "-", after[32] = "-";
    if (first >= 0)
        snprintf(total, sizeof(total), "%.2f s",
                 (double)(first - signal_mono) / 1000.0);
    if (first >= 0 && kill_it && sb.rebalancing_at > signal_mono)
        snprintf(after, sizeof(after), "%.2f s",
                 (double)(first - sb.rebalancing_at) / 1000.0);
    printf("| %-7s | %7d | %11d | %16" PRIu64 " | %19s | %25s |\n",
           kill_it ? "SIGKILL" : "SIGTERM", standby, moved_cnt,
           sb.restored - restored_before, total, after);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"keys", required_argument, NULL, 'k'},
        {"partitions", required_argument, NULL, 'p'},
        {"session-timeout-ms", required_argument, NULL, 's'},
        {"cases", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cases = "term,kill";
    int c;
    while ((c = getopt_long(argc, argv, "b:k:p:s:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 'k':
            keys = atol(optarg);
            break;
        case 'p':
            partitions = atoi(optarg);
            break;
        case 's':
            session_timeout = optarg;
            break;
        case 'c':
            cases = optarg;
            break;
        default:
            printf("usage: bench_failover --bootstrap HOST:PORT [--keys N] "
                   "[--partitions P] [--session-timeout-ms MS] "
                   "[--cases term,kill]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (!bootstrap || keys <= 0 || partitions < 2)
        die("--bootstrap is required; --keys > 0, --partitions >= 2");
    printf("\nFailover: 2 instances, %ld keys of state in %d tasks, "
           "session.timeout.ms %s, exactly_once_v2\n\n",
           keys, partitions,
           session_timeout ? session_timeout : "45000 (librdkafka default)");
    printf("| signal  | standby | moved tasks | records replayed | "
           "signal → first output | reassignment → first output |\n"
           "|---|---|---|---|---|---|\n");
    int n = 0;
    if (strstr(cases, "term")) {
        run_case(n++, false, 0);
        run_case(n++, false, 1);
    }
    if (strstr(cases, "kill")) {
        run_case(n++, true, 0);
        run_case(n++, true, 1);
    }
    return 0;
}
