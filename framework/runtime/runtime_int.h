/*
 * runtime_int.h: the Kafka runtime's shared structures.
 *
 * weir__rt_t is what an app's stream threads share, read-only once the
 * app has started: the engine their task hosts share (engine_int.h: the
 * plan of topics and sub-topologies, the settings, the store
 * environment, the counters), and the Kafka parts (the conf, the admin
 * client, the embedded cluster, the standby registry). Each stream thread
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

#include "engine_int.h"
#include "kafka_int.h"
#include "log_int.h"
#include "task_int.h"
#include "topology_int.h"

typedef struct weir__thread_s weir__thread_t;

typedef struct weir__rt_s {
    weir__engine_t eng; /* what the stream threads' hosts share */
    const weir_conf_t *conf;
    const char *bootstrap;
    int64_t commit_interval_ms;
    int64_t commit_interval_max_ms; /* stretched to under a backlog */
    int64_t purge_interval_ms;
    char process_id[40];

    weir_mock_cluster_t *mock; /* the embedded cluster, or NULL */
    rd_kafka_t *admin;
    weir__kafka_opaque_t admin_opaque;

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


#endif /* WEIR_RUNTIME_INT_H */
