/*
 * host_priv.h: the task host's structures, shared by its modules:
 *   host.c          lifecycle, tasks from an assignment, their stores
 *   host_records.c  records in, processing, markers, exception handlers
 *   host_commit.c   commits, aborts and rewinds, markers out
 *   host_globals.c  global stores
 * (see host_int.h for what the host does).
 */
#ifndef WEIR_HOST_PRIV_H
#define WEIR_HOST_PRIV_H

#include "host_int.h"

/* One input partition of a task. */
typedef struct weir__host_input_s {
    int topic;              /* index into eng->topics */
    const char *topic_name; /* eng->topics[topic].name */
    int32_t partition;
    int queue;                /* the task's queue of this partition */
    int64_t next_offset;      /* after the last record done with; -1 none */
    int64_t committed_offset; /* the group's committed offset; -1 none */
    /* Wall clock of the last record, carried from owner to owner in the
     * commit metadata (commit_meta_int.h): the idle clock. */
    int64_t last_record_ms;
    /* The owner reached the end of the partition and no record arrived
     * since (markers do not count as records). */
    bool at_end;
    bool repartition;
    /* The first offset given back while the task restored, read again
     * once it is active; -1 none. */
    int64_t refetch_from;
    size_t queued; /* records of this input waiting in the task */
} weir__host_input_t;

struct weir__host_task_s {
    weir__host_t *host;
    weir__task_t *task; /* NULL while its stores are restoring */
    int sub;
    int32_t partition;
    char id[32];
    weir__task_stores_t stores;
    bool restoring;        /* the stores are with io->restore */
    int64_t restored_time; /* committed stream time, applied on activation */
    weir__host_input_t *inputs;
    size_t input_cnt;
    weir__wm_tracker_t *wm; /* sub-topologies fed by repartition topics */
    weir__wm_t *pending;    /* markers to apply after the queued records */
    size_t pending_cnt, pending_cap;
    int64_t last_marker_time; /* stream time in the last markers sent */
    bool last_marker_idle;
    int64_t last_marker_ms;        /* when they were sent (host wall clock) */
    int64_t committed_stream_time; /* in the last commit's metadata */
    uint64_t late_seen, dropped_seen; /* task counters already published */
};

/* A global sub-topology: its task, fed by the owner's global records. */
typedef struct weir__host_global_s {
    int sub;
    weir__task_t *task;
} weir__host_global_t;

/* Where a (topic, partition) goes. */
typedef struct weir__host_slot_s {
    weir__host_task_t *task;
    weir__host_input_t *in;
} weir__host_slot_t;

struct weir__host_s {
    weir__engine_t *eng;
    weir__host_io_t io;
    char name[32];

    weir__host_task_t **tasks;
    size_t task_cnt;
    size_t restoring_cnt;
    /* By eng->topics index, then partition: the input reading it. */
    weir__host_slot_t **slots;

    weir__host_global_t *globals;
    size_t global_cnt;
    weir_kv_store_t **global_stores; /* by store spec index */

    weir__task_conf_t task_conf;
    weir__store_provider_t provider;
    weir__record_collector_t collector;
    weir__host_task_t *creating; /* the task whose processors init() */

    bool txn_open;
    bool need_rewind; /* a store failed to commit after the transaction */
    int64_t consecutive_aborts; /* since the last successful commit */
    uint64_t processed_since_commit;
    int64_t wall_ms; /* the owner's wall clock, as of the last run */
};

/* host.c */
weir__host_slot_t *weir__host_slot(weir__host_t *h, int topic,
                                   int32_t partition);
void weir__host_publish_counters(weir__host_t *h);
weir_error_t *weir__host_tasks_create(weir__host_t *h,
                                      const weir__host_tp_t *tps, size_t n);

/* host_commit.c */
weir_error_t *weir__host_begin_txn(weir__host_t *h);
weir_error_t *weir__host_stores_begin(weir__host_t *h);

/* host_records.c */
extern const weir_changelog_sink_t weir__host_changelog_sink;
weir_error_t *weir__host_collect(void *opaque, const weir__sink_record_t *r);

/* host_globals.c */
weir_error_t *weir__host_globals_start(weir__host_t *h);
void weir__host_globals_destroy(weir__host_t *h);

#endif /* WEIR_HOST_PRIV_H */
