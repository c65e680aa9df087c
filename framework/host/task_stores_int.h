/*
 * task_stores_int.h: opening and closing the state stores of one task,
 * for an active task (a stream thread) and for a standby (a state
 * updater) alike.
 *
 * A task's stores are the non-global stores of its sub-topology:
 * persistent ones (RocksDB) in the task's locked directory
 * <state.dir>/<application.id>/<task id>/, the others in memory. Opening
 * neither restores nor attaches a changelog sink nor begins a
 * transaction: restoring is the state updater's (state_updater_int.h),
 * the sink and the transactions are the stream thread's, once the task
 * is active. The set moves between threads whole (store objects are
 * used by one thread at a time): from a stream thread to its updater to
 * restore and back, or from an updater's standby to an active task.
 */
#ifndef WEIR_TASK_STORES_INT_H
#define WEIR_TASK_STORES_INT_H

#include "engine_int.h"

typedef struct weir__host_task_s weir__host_task_t;

/* A store opened for a task: where its changelog records go and the last
 * offset the producer acknowledged for them in the current commit. */
typedef struct weir__rt_store_s {
    const weir__store_spec_t *spec;
    weir_store_t *store; /* a key-value or a window store, as spec says */
    char *changelog;     /* topic, or NULL: no changelog */
    int32_t partition;
    int64_t acked_offset;    /* highest offset acknowledged, -1: none */
    bool dirty;              /* written since the last commit */
    weir__host_task_t *task; /* the active task, NULL in a standby */
} weir__rt_store_t;

typedef struct weir__task_stores_s {
    char id[32];
    int sub;
    int32_t partition;
    weir_task_dir_t *dir; /* persistent stores only */
    weir__rt_store_t **v;
    size_t cnt;
} weir__task_stores_t;

/* True when sub-topology @p sub has a store with a changelog (a task of
 * it is worth restoring or keeping as a standby). */
bool weir__sub_has_changelogs(const weir__engine_t *eng, int sub);

/* Opens the stores of task (@p sub, @p partition) into @p ts (zeroed by
 * the caller). On error everything opened is closed again. With
 * @p wait_for_lock, a directory locked by another process is retried
 * until broker.down.timeout.ms (a predecessor there may still be closing
 * the task); without, it is WEIR_ERR_STORE_LOCKED at once. */
weir_error_t *weir__task_stores_open(weir__engine_t *eng, int sub,
                                     int32_t partition, bool wait_for_lock,
                                     weir__task_stores_t *ts);

/* The store of @p spec in @p ts, or NULL. */
weir__rt_store_t *weir__task_stores_find(const weir__task_stores_t *ts,
                                         const weir__store_spec_t *spec);

/* Closes every store and the directory; @p ts is then empty. */
void weir__task_stores_close(weir__task_stores_t *ts);

#endif /* WEIR_TASK_STORES_INT_H */
