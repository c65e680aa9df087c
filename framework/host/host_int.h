/*
 * host_int.h: the task host, the one engine under the Kafka runtime and
 * the test driver.
 *
 * A host runs the tasks of one member of the app (a stream thread, or the
 * test driver) and everything around them that does not depend on where
 * records come from or go to:
 *   - tasks from an assignment: their stores opened (or taken over from a
 *     standby), restored by the owner if they have a changelog tail, then
 *     activated with their committed offsets and event time;
 *   - records in: routed by (topic, partition) to their task's queue, the
 *     owner's message kept with them (no copy, no mirror queue);
 *     watermark markers to the task's tracker; end-of-partition events
 *     for idleness;
 *   - processing in timestamp order, event time from markers behind a
 *     repartition, stream-time and wall-clock punctuation;
 *   - the exception handlers (fail, log, dead letter) and the production
 *     handler for records too large;
 *   - commits: markers, a flush, offsets with their event-time metadata,
 *     the transaction, then the stores' batches with their changelog
 *     positions; aborts with a rewind to committed state, and a limit on
 *     aborts in a row;
 *   - global stores from a file and from topic records, one bad-row
 *     policy (skip, log, count).
 * The owner does the I/O through weir__host_io_t: Kafka's clients in the
 * runtime (thread.c), in-memory topics in the test driver.
 *
 * Threads: a host is used by one thread (its owner's), but the owner's
 * restore (a state updater) holds a restoring task's stores until it
 * hands the task back with weir__host_task_restored().
 */
#ifndef WEIR_HOST_INT_H
#define WEIR_HOST_INT_H

#include <weir/record.h>

#include "engine_int.h"
#include "task_int.h"
#include "task_stores_int.h"
#include "watermark_int.h"

typedef struct weir__host_s weir__host_t;
typedef struct weir__host_task_s weir__host_task_t;

/* A record the host writes: sink output, a repartition record, a
 * watermark marker, a changelog record, a dead letter. */
typedef struct weir__host_msg_s {
    const char *topic;
    int32_t partition; /* -1: the owner's partitioner (by key) */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t timestamp; /* <= 0: the owner's clock */
    const weir_headers_t *headers;
    /* A changelog record of this store: acknowledge its offset with
     * weir__host_store_acked() once written. */
    weir__rt_store_t *store;
    bool output; /* counts as records-out (a user topic) */
} weir__host_msg_t;

/* An input partition with an offset (and commit metadata). */
typedef struct weir__host_tp_s {
    const char *topic;
    int32_t partition;
    int64_t offset;       /* -1: none */
    const char *metadata; /* for commits; from committed() */
    size_t metadata_len;
} weir__host_tp_t;

typedef struct weir__host_io_s {
    void *opaque;
    /* Queues @p m for writing; a failure that cannot be retried dooms
     * the transaction (weir_error_txn_requires_abort()). */
    weir_error_t *(*produce)(void *opaque, const weir__host_msg_t *m);
    /* Waits until everything produced is written; returns (and forgets)
     * the first failed write since the last call. */
    weir_error_t *(*flush)(void *opaque);
    /* exactly_once_v2: begins a transaction (NULL under at_least_once). */
    weir_error_t *(*begin)(void *opaque);
    /* Commits @p n offsets: with the transaction under exactly_once_v2. */
    weir_error_t *(*commit)(void *opaque, const weir__host_tp_t *offsets,
                            size_t n);
    /* Aborts the open transaction (NULL under at_least_once). */
    weir_error_t *(*abort)(void *opaque);
    /* Fills offset and metadata (borrowed until the next call) of @p n
     * partitions from what the group committed. */
    weir_error_t *(*committed)(void *opaque, weir__host_tp_t *tps, size_t n);
    /* Stops or resumes reading @p n partitions; with offsets >= 0 on
     * resume, reads again from there. */
    weir_error_t *(*pause)(void *opaque, const weir__host_tp_t *tps, size_t n,
                           bool pause);
    /* Reads every partition again from the committed offsets (after an
     * abort). */
    weir_error_t *(*rewind)(void *opaque);
    /* Sends the owner's message @p handle to the dead-letter topic with
     * headers saying why (@p stage, @p cause) and where it came from. */
    weir_error_t *(*dead_letter)(void *opaque, void *handle, const char *stage,
                                 const weir_error_t *cause);
    /* The host is done with the owner's message @p handle. */
    void (*release)(void *opaque, void *handle);
    /* Restores @p ts (the stores of @p task, borrowed until the owner
     * calls weir__host_task_restored()); NULL: nothing is ever restored
     * (the stores are taken as they are). */
    weir_error_t *(*restore)(void *opaque, weir__host_task_t *task,
                             weir__task_stores_t *ts);
    /* Takes back the stores of a restore that has not finished. */
    void (*restore_cancel)(void *opaque, weir__host_task_t *task);
    /* Takes over the stores of this member's standby of @p task_id, if
     * any (NULL: no standbys). */
    bool (*standby_take)(void *opaque, const char *task_id,
                         weir__task_stores_t *ts);
    /* Task @p task_id runs (or no longer runs) here. */
    void (*task_active)(void *opaque, const char *task_id, bool active);
} weir__host_io_t;

/* One consumed record, as the owner hands it in. */
typedef struct weir__host_in_s {
    int topic; /* index into eng->topics; -1: by name */
    const char *topic_name;
    int32_t partition;
    int64_t offset;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t timestamp;
    const weir_headers_t *headers;
    bool marker;  /* a watermark marker (header weir.wm) */
    void *handle; /* the owner's message, back through io->release */
} weir__host_in_t;

/* Makes a host for @p name ("thread-0") over @p eng (borrowed), with its
 * copies of the global stores (files loaded). @p wall_ms: the owner's
 * wall clock now (the idle clock and wall-clock punctuation follow the
 * owner's clock, simulated in the test driver). */
weir__host_t *weir__host_new(weir__engine_t *eng, const weir__host_io_t *io,
                             const char *name, int64_t wall_ms,
                             weir_error_t **errp);

/* Closes every task and global store. NULL is fine. */
void weir__host_destroy(weir__host_t *h);

const char *weir__host_name(const weir__host_t *h);

/* ---- tasks ---- */

/* Makes the tasks of the assigned partitions that the host does not have
 * yet (a task per sub-topology and partition). A task with changelogged
 * stores goes to io->restore first, its partitions paused. */
weir_error_t *weir__host_assign(weir__host_t *h, const weir__host_tp_t *tps,
                                size_t n);

/* A task whose restore finished: activates it and resumes its inputs. */
weir_error_t *weir__host_task_restored(weir__host_t *h,
                                       weir__host_task_t *task);

/* Closes every task (restores are cancelled first). */
void weir__host_close_tasks(weir__host_t *h);

size_t weir__host_task_count(const weir__host_t *h);
size_t weir__host_restoring_count(const weir__host_t *h);

/* ---- records ---- */

/*
 * Takes one consumed record: queued in its task (deserialized), or for a
 * marker recorded for when the records before it are processed. A record
 * of a partition the host has no task for, or of a task still restoring,
 * is given back (io->release) and, for the latter, read again later. A
 * record that does not deserialize goes to the deserialization handler.
 * The handle is the host's until it gives it back.
 */
weir_error_t *weir__host_route(weir__host_t *h, const weir__host_in_t *in);

/* The owner reached the end of a partition: it is caught up. */
void weir__host_input_end(weir__host_t *h, int topic, const char *topic_name,
                          int32_t partition);

/* Processes everything queued (processing handler), then the markers
 * that arrived, then wall-clock punctuations at @p wall_ms. */
weir_error_t *weir__host_run(weir__host_t *h, int64_t wall_ms);

/* Drops every record queued in the tasks and every marker not applied
 * (the test driver abandoning a record that failed). */
void weir__host_drop_queued(weir__host_t *h);

/* The store @p name (a window store when @p window) of the first task
 * that has it, else the global one; NULL when there is none. For
 * reading by the owner between runs. */
void *weir__host_store(weir__host_t *h, const char *name, bool window);

/* Records dropped under @p reason (NULL: all), over tasks and global
 * stores. */
uint64_t weir__host_dropped(const weir__host_t *h, const char *reason);

/* Records processed since the last commit, and whether a processor asked
 * for a commit. */
uint64_t weir__host_processed(const weir__host_t *h);
bool weir__host_commit_requested(const weir__host_t *h);

/* True when a task forwarded final window results since the last commit
 * (see weir__task_results_emitted()). */
bool weir__host_results_emitted(const weir__host_t *h);

/* ---- commits ---- */

/*
 * Commits what was processed: markers to the repartition topics, the
 * producer flushed, the offsets with the tasks' event time, the
 * transaction, then the stores with their changelog positions. An error
 * that dooms the transaction is for weir__host_abort_and_rewind().
 */
weir_error_t *weir__host_commit(weir__host_t *h);

/* Aborts the open transaction, if any, without restarting the tasks
 * (they are going: a revocation whose commit failed). */
void weir__host_abort_txn(weir__host_t *h);

/* Aborts and restarts every task from committed state (takes @p cause);
 * gives up with it after max.consecutive.aborts in a row. */
weir_error_t *weir__host_abort_and_rewind(weir__host_t *h,
                                          weir_error_t *cause);

/* The committed offsets of the repartition inputs (for purging what was
 * consumed), into @p out (up to @p max); returns how many. */
size_t weir__host_repartition_offsets(const weir__host_t *h,
                                      weir__host_tp_t *out, size_t max);

/* A changelog record of @p st was written at @p offset. */
void weir__host_store_acked(weir__rt_store_t *st, int64_t offset);

/* ---- global stores ---- */

/* A record of a global store's topic. A record that fails is skipped and
 * counted (the rest of the table is still good). */
weir_error_t *weir__host_global_record(weir__host_t *h,
                                       const weir__host_in_t *in);

/* The global sub-topologies' source topics, for the owner to read
 * (names borrowed from the topology). */
size_t weir__host_global_topics(const weir__host_t *h, const char **out,
                                size_t max);

#endif /* WEIR_HOST_INT_H */
