/*
 * engine_int.h: what every task host of an app shares, read-only once the
 * app has started (the topology, its plan of topics and sub-topologies,
 * the settings that decide what happens to a record, the store
 * environment), plus the app's atomic counters and gauges.
 *
 * The Kafka runtime makes one engine per app (its weir__rt_t starts with
 * it) and a host per stream thread; the test driver makes one of each.
 */
#ifndef WEIR_ENGINE_INT_H
#define WEIR_ENGINE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <weir/statestore.h>

#include "log_int.h"
#include "topology_int.h"

/* A topic the app reads or writes, by full name. */
typedef struct weir__plan_topic_s {
    char *name;
    int32_t partitions;
    int reader_sub; /* the sub-topology reading it, or -1 */
    int writer_sub; /* for repartition topics: the one writing it */
    bool repartition;
} weir__plan_topic_t;

/* What the engine knows of one (non-global) sub-topology. */
typedef struct weir__plan_sub_s {
    int id;
    int32_t task_cnt; /* partitions of each of its inputs */
    int *inputs;      /* indexes into eng->topics */
    size_t input_cnt;
    int *repartition_out; /* repartition topics it writes (eng->topics) */
    size_t repartition_out_cnt;
    bool reads_repartition; /* event time from watermark markers */
} weir__plan_sub_t;

/* What an exception handler does with a record it is given. */
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
#define WEIR__GAUGES(X)                               \
    X(restoring_tasks, "restoring-tasks")             \
    X(restore_remaining, "restore-records-remaining") \
    X(standby_tasks, "standby-tasks")                 \
    X(standby_lag, "standby-lag-records")

typedef struct weir__gauges_s {
#define WEIR__GAUGE_FIELD(field, name) atomic_int_fast64_t field;
    WEIR__GAUGES(WEIR__GAUGE_FIELD)
#undef WEIR__GAUGE_FIELD
} weir__gauges_t;

typedef struct weir__engine_s {
    const weir_topology_t *topo;
    weir__logger_t log;
    const char *app_id;
    const char *state_dir;
    weir_store_env_t *env; /* NULL when no store is persistent */
    bool memory_stores;    /* every store in memory (the test driver's
                              default) */
    bool eos;              /* exactly_once_v2 */
    int64_t idle_timeout_ms;
    /* How long to wait for what should come back (brokers, a task
     * directory another process still holds); < 0: forever. */
    int64_t wait_timeout_ms;
    int64_t max_consecutive_aborts;
    weir__handler_t deser_handler, proc_handler, prod_handler;
    char *dlq_topic; /* freed by whoever made the engine */

    weir__plan_topic_t *topics;
    size_t topic_cnt;
    weir__plan_sub_t *subs; /* task sub-topologies, by id */
    size_t sub_cnt;

    weir__metrics_t metrics;
    weir__gauges_t gauges;
} weir__engine_t;

/* The partition count of topic @p name (a topic users own; @p input when
 * a task reads it) into *partsp. */
typedef weir_error_t *(weir__partitions_fn_t)(void *opaque, const char *name,
                                              bool input, int32_t *partsp);

/* Fills eng->topics and eng->subs from eng->topo (built), with
 * @p partitions for the counts of the topics users own and
 * @p num_partitions (0: derived) for repartition-fed sub-topologies. */
weir_error_t *weir__engine_plan(weir__engine_t *eng,
                                weir__partitions_fn_t *partitions,
                                void *opaque, int64_t num_partitions);

/* Frees what weir__engine_plan() made. */
void weir__engine_plan_free(weir__engine_t *eng);

/* The topic @p name of the plan, or NULL. */
const weir__plan_topic_t *weir__engine_topic(const weir__engine_t *eng,
                                             const char *name);

/* The index of topic @p name in eng->topics, or -1. */
int weir__engine_topic_index(const weir__engine_t *eng, const char *name);

/* The changelog topic of a store: "<app>-<store>-changelog" (weir__malloc'd;
 * NULL when out of memory). */
char *weir__engine_changelog_topic(const weir__engine_t *eng,
                                   const char *store);

/* True when store @p st has a changelog topic of weir's: a changelogged
 * store of one of the plan's task sub-topologies (a global store reads
 * its source topic instead). */
bool weir__engine_store_has_changelog(const weir__engine_t *eng,
                                      const weir__store_spec_t *st);

/* A weir_log_cb_t for the stores: routes their lines through eng->log, so
 * log.level applies to them too. @p opaque is the engine. */
void weir__engine_store_log(void *opaque, int level, const char *fac,
                            const char *msg);

/* When waiting must stop: now plus wait_timeout_ms (monotonic; far in
 * the future when it is < 0). */
int64_t weir__engine_deadline(const weir__engine_t *eng);

#endif /* WEIR_ENGINE_INT_H */
