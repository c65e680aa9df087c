/*
 * thread_int.h: one stream thread and the tasks it owns.
 *
 * A stream thread is a consumer-group member with its own consumer and
 * producer (transactional under exactly_once_v2) and a state updater (a
 * thread of its own) that restores its tasks' stores and keeps standbys. The modules that share this struct:
 *   thread.c          lifecycle, the poll/process loop, rebalancing
 *   thread_tasks.c    tasks from an assignment: their stores, handing
 *                     them to the state updater to restore and taking
 *                     them back; global stores
 *   thread_commit.c   commit, abort and rewind, watermark markers, purge
 *   collector.c       everything the thread produces, and dead letters
 * All of it runs on the thread itself.
 */
#ifndef WEIR_THREAD_INT_H
#define WEIR_THREAD_INT_H

#include "runtime_int.h"
#include "state_updater_int.h"
#include "task_stores_int.h"

/* One input partition of a task. */
typedef struct weir__rt_input_s {
    const char *topic; /* rt->topics name */
    int32_t partition;
    int64_t next_offset;      /* after the last processed record; -1 none */
    int64_t committed_offset; /* the group's committed offset; -1 none */
    /* Wall clock of the last record consumed, carried from owner to owner
     * in the commit metadata (commit_meta_int.h): the idle clock. */
    int64_t last_record_ms;
    /* The consumer reached the end of the partition (its fetch position
     * met the end offset, the last stable offset under read_committed)
     * and no record arrived since; markers do not count as records. */
    bool at_end;
    bool repartition;
    /* The first offset consumed (and dropped) while the task was
     * restoring, read again once it is active; -1 none. */
    int64_t refetch_from;
    /* The consumed messages queued in the task, in offset order: kept so
     * that a record whose processing fails can be dead-lettered as it
     * was read. */
    rd_kafka_message_t **fifo;
    size_t fifo_head, fifo_cnt, fifo_cap;
} weir__rt_input_t;

/* A marker that arrived on a repartition partition; applied once the
 * records queued before it are processed. */
typedef struct weir__pending_wm_s {
    weir__wm_t wm;
} weir__pending_wm_t;

struct weir__rt_task_s {
    weir__task_t *task; /* NULL while its stores are restoring */
    int sub;
    int32_t partition;
    char id[32];
    weir__task_stores_t stores;
    bool restoring;          /* the stores are with the state updater */
    int64_t restored_time;   /* committed stream time, set on activation */
    weir__rt_input_t *inputs;
    size_t input_cnt;
    weir__wm_tracker_t *wm; /* sub-topologies fed by repartition topics */
    weir__pending_wm_t *pending;
    size_t pending_cnt, pending_cap;
    int64_t last_marker_time; /* stream time in the last markers sent */
    bool last_marker_idle;
    int64_t last_marker_ms;   /* wall clock of the last markers sent */
    int64_t committed_stream_time; /* in the last commit's metadata */
    uint64_t late_seen, dropped_seen; /* task counters already published */
};

/* A global store kept by this thread: filled before processing starts
 * (file, then topic to its end) and kept current from the topic. */
typedef struct weir__rt_global_s {
    int sub;
    weir__task_t *task;
    rd_kafka_t *consumer; /* NULL: file only */
} weir__rt_global_t;

struct weir__thread_s {
    weir__kafka_opaque_t kop_consumer; /* first: librdkafka's opaque */
    weir__kafka_opaque_t kop_producer;
    weir__kafka_opaque_t kop_global;
    weir__rt_t *rt;
    int idx;
    char name[32];
    pthread_t tid;
    bool started;

    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    weir__updater_t *updater;
    rd_kafka_queue_t *consumer_queue;

    weir__rt_task_t **tasks;
    size_t task_cnt;
    size_t restoring_cnt; /* tasks whose stores are with the updater */
    weir__rt_global_t *globals;
    size_t global_cnt;
    /* Global stores by spec index (shared by every task of the thread). */
    weir_kv_store_t **global_stores;

    rd_kafka_topic_partition_list_t *assignment;
    bool txn_open;
    bool need_rewind; /* the transaction was aborted: tasks restart */
    weir_error_t *production_error; /* from a delivery report */
    int64_t last_commit_ms;
    int64_t last_purge_ms;
    uint64_t processed_since_commit;
    int64_t consecutive_aborts; /* since the last successful commit */

    weir__task_conf_t task_conf;
    weir__store_provider_t provider;
    weir__record_collector_t collector;
    weir__rt_task_t *creating; /* the task whose stores are being opened */

    atomic_int state;        /* weir__thread_state_t */
    atomic_bool stop;
    weir_error_t *error;     /* why the thread failed */
};

/* thread_tasks.c */
/* Makes the tasks of @p parts that the thread does not have yet: a task
 * with changelogged stores goes to the state updater first, its input
 * partitions paused; the others are active at once. */
weir_error_t *weir__thread_tasks_create(weir__thread_t *th,
                                        const rd_kafka_topic_partition_list_t
                                            *parts);
/* Activates the tasks whose stores the updater finished restoring. */
weir_error_t *weir__thread_tasks_activate_restored(weir__thread_t *th);
void weir__thread_tasks_destroy(weir__thread_t *th);
weir__rt_task_t *weir__thread_task_for(weir__thread_t *th, const char *topic,
                                       int32_t partition,
                                       weir__rt_input_t **inputp);
weir_error_t *weir__thread_globals_start(weir__thread_t *th);
weir_error_t *weir__thread_globals_poll(weir__thread_t *th);
void weir__thread_globals_destroy(weir__thread_t *th);
void weir__thread_provider_init(weir__thread_t *th);
/* Opens every store's transaction (exactly-once) after a commit. */
weir_error_t *weir__thread_stores_begin(weir__thread_t *th);

/* thread_commit.c */
weir_error_t *weir__thread_commit(weir__thread_t *th);
/* Aborts the transaction and restarts the tasks from committed state;
 * takes @p cause (logged). */
weir_error_t *weir__thread_abort_and_rewind(weir__thread_t *th,
                                            weir_error_t *cause);
weir_error_t *weir__thread_begin_txn(weir__thread_t *th);
/* Calls @p fn (a librdkafka transactional call) again while its error is
 * retriable, until broker.down.timeout.ms; logs each retry. */
typedef rd_kafka_error_t *(weir__txn_fn_t)(weir__thread_t *th, void *arg);
weir_error_t *weir__thread_txn_call(weir__thread_t *th, const char *what,
                                    weir__txn_fn_t *fn, void *arg);

/* collector.c */
void weir__thread_collector_init(weir__thread_t *th);
weir_error_t *weir__thread_produce(weir__thread_t *th, const char *topic,
                                   int32_t partition, const void *key,
                                   size_t key_len, const void *value,
                                   size_t value_len, int64_t timestamp,
                                   rd_kafka_headers_t *hdrs, void *msg_opaque);
/* Sends a record a handler gave up on to the dead-letter topic, with
 * headers naming the error and where the record came from. */
weir_error_t *weir__thread_dead_letter(weir__thread_t *th,
                                       const rd_kafka_message_t *msg,
                                       const char *stage,
                                       const weir_error_t *cause);
void weir__thread_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque);
extern const weir_changelog_sink_t weir__thread_changelog_sink;

#endif /* WEIR_THREAD_INT_H */
