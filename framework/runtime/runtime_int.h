/*
 * runtime_int.h: the Kafka runtime's shared structures.
 *
 * weir__rt_t is what an app's stream threads share, read-only once the
 * app has started (the plan of topics and sub-topologies, the conf, the
 * store environment), plus atomic counters. Each stream thread
 * (weir__thread_t) owns its consumer, producer, tasks and stores; nothing
 * of a thread is touched by another thread except through atomics.
 */
#ifndef WEIR_RUNTIME_INT_H
#define WEIR_RUNTIME_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <librdkafka/rdkafka.h>

#include <weir/app.h>
#include <weir/mock.h>
#include <weir/statestore.h>

#include "kafka_int.h"
#include "log_int.h"
#include "task_int.h"
#include "topology_int.h"
#include "watermark_int.h"

/* A topic the app reads or writes, by full name. */
typedef struct weir__rt_topic_s {
    char *name;
    int32_t partitions;
    int reader_sub; /* the sub-topology reading it, or -1 */
    int writer_sub; /* for repartition topics: the one writing it */
    bool repartition;
} weir__rt_topic_t;

/* What the runtime knows of one (non-global) sub-topology. */
typedef struct weir__rt_sub_s {
    int id;
    int32_t task_cnt;      /* partitions of each of its inputs */
    int *inputs;           /* indexes into rt->topics */
    size_t input_cnt;
    int *repartition_out;  /* repartition topics it writes (rt->topics) */
    size_t repartition_out_cnt;
    bool reads_repartition; /* event time from watermark markers */
} weir__rt_sub_t;

typedef enum weir__handler_e {
    WEIR__HANDLER_FAIL,
    WEIR__HANDLER_LOG,
    WEIR__HANDLER_DEAD_LETTER
} weir__handler_t;

/* Counters of the app, summed by weir_app_metric(). */
#define WEIR__METRICS(X)                    \
    X(records_in, "records-in")             \
    X(records_out, "records-out")           \
    X(commits, "commits")                   \
    X(aborts, "aborts")                     \
    X(late_records, "late-records")         \
    X(dropped_records, "dropped-records")   \
    X(dead_lettered, "dead-lettered")       \
    X(restored_records, "restored-records") \
    X(standby_records, "standby-records")   \
    X(rebalances, "rebalances")             \
    X(markers_out, "watermark-markers-out")

typedef struct weir__metrics_s {
#define WEIR__METRIC_FIELD(field, name) atomic_uint_fast64_t field;
    WEIR__METRICS(WEIR__METRIC_FIELD)
#undef WEIR__METRIC_FIELD
} weir__metrics_t;

/* Gauges of the app: each state updater adds its part. */
#define WEIR__GAUGES(X)                                  \
    X(restoring_tasks, "restoring-tasks")                \
    X(restore_remaining, "restore-records-remaining")    \
    X(standby_tasks, "standby-tasks")                    \
    X(standby_lag, "standby-lag-records")

typedef struct weir__gauges_s {
#define WEIR__GAUGE_FIELD(field, name) atomic_int_fast64_t field;
    WEIR__GAUGES(WEIR__GAUGE_FIELD)
#undef WEIR__GAUGE_FIELD
} weir__gauges_t;

typedef struct weir__thread_s weir__thread_t;

typedef struct weir__rt_s {
    const weir_topology_t *topo;
    const weir_conf_t *conf;
    weir__logger_t log;
    const char *app_id;
    const char *bootstrap;
    const char *state_dir;
    bool eos;
    int64_t commit_interval_ms;
    int64_t idle_timeout_ms;
    int64_t broker_down_timeout_ms;
    int64_t purge_interval_ms;
    int64_t max_consecutive_aborts;
    weir__handler_t deser_handler, proc_handler, prod_handler;
    char *dlq_topic;
    char process_id[40];

    weir_mock_cluster_t *mock; /* the embedded cluster, or NULL */
    weir_store_env_t *env;     /* NULL until a persistent store is needed */
    rd_kafka_t *admin;
    weir__kafka_opaque_t admin_opaque;

    weir__rt_topic_t *topics;
    size_t topic_cnt;
    weir__rt_sub_t *subs; /* task sub-topologies, by id */
    size_t sub_cnt;

    weir__metrics_t metrics;
    weir__gauges_t gauges;
    struct weir__standbys_s *standbys; /* standby_int.h */

    /* Threads report state changes here; the app derives its state. */
    void (*thread_state_changed)(void *app, weir__thread_t *thread);
    void *app;
} weir__rt_t;

/* Plans topics and sub-topologies: input partition counts (the inputs of
 * one sub-topology must agree), repartition and changelog topics. Creates
 * the internal topics. (plan.c) */
weir_error_t *weir__rt_plan(weir__rt_t *rt);
void weir__rt_plan_free(weir__rt_t *rt);

weir__rt_topic_t *weir__rt_topic(const weir__rt_t *rt, const char *name);

/* The changelog topic of a store: "<app>-<store>-changelog". */
char *weir__rt_changelog_topic(const weir__rt_t *rt, const char *store);

/* --- stream threads (thread.c) --- */

typedef enum weir__thread_state_e {
    WEIR__THREAD_STARTING,
    WEIR__THREAD_REBALANCING,
    WEIR__THREAD_RUNNING,
    WEIR__THREAD_STOPPED,
    WEIR__THREAD_FAILED
} weir__thread_state_t;

weir_error_t *weir__thread_start(weir__rt_t *rt, int idx,
                                 weir__thread_t **threadp);
void weir__thread_request_stop(weir__thread_t *thread);
/* Waits for the thread to end (or until @p deadline_ms, monotonic);
 * false on timeout. */
bool weir__thread_join(weir__thread_t *thread, int64_t deadline_ms);
void weir__thread_destroy(weir__thread_t *thread);
weir__thread_state_t weir__thread_state(const weir__thread_t *thread);
/* The error that failed the thread (owned by it), or NULL. */
const weir_error_t *weir__thread_error(const weir__thread_t *thread);

/* A weir_log_cb_t for the stores: routes their lines through rt->log, so
 * log.level applies to them too. @p opaque is the weir__rt_t. */
void weir__rt_store_log(void *opaque, int level, const char *fac,
                        const char *msg);

int64_t weir__now_ms(void);      /* monotonic */

/* When waiting on the brokers must stop: now plus broker.down.timeout.ms
 * (monotonic; far in the future when the timeout is -1, forever). */
int64_t weir__rt_broker_deadline(const weir__rt_t *rt);
int64_t weir__wall_now_ms(void); /* wall clock */

#endif /* WEIR_RUNTIME_INT_H */
