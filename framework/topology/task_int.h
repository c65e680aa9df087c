/*
 * task_int.h: per-task execution, shared by the test driver and the Kafka
 * runtime.
 *
 * A task is one sub-topology instance for one partition, named
 * "<sub>_<partition>" ("0_3"). It owns the per-processor states (made by
 * each processor's init()), the punctuation schedules, the input queues
 * of its partitions and its stream time; it borrows its stores from a
 * store provider and hands every record its sinks write to a record
 * collector. Both are small interfaces so that the same task code runs
 * in-process under the test driver (in-memory or RocksDB stores, output
 * captured in lists) and in the Kafka runtime (RocksDB stores in
 * transactions with changelogs, output produced to Kafka).
 *
 * How an owner drives a task:
 *
 *   task = weir__task_new(topo, sub, partition, &conf, &err);
 *   for each consumed record of one of the task's topics:
 *       err = weir__task_add_record(task, &in);      // deserialize, queue
 *   while (weir__task_buffered(task) > 0)            // or: until the
 *       err = weir__task_process(task, &processed);  //  runtime's budget
 *   err = weir__task_punctuate_wall_clock(task, now_ms);
 *   if (weir__task_commit_requested(task)) ... commit; clear ...
 *   weir__task_destroy(task);                         // close(), release
 *
 * Ordering: weir__task_process() takes the queued record with the
 * smallest timestamp across the task's input partitions (ties: the
 * partition queued first), so records are processed in timestamp order
 * across partitions as far as what is queued allows; a runtime that wants
 * Kafka Streams' max.task.idle.ms behaviour waits with
 * weir__task_queue_size() until every partition has data. Within one
 * partition, offset order is kept.
 *
 * Restarting a task: restore its committed stream time with
 * weir__task_advance_stream_time() before the first record, so records
 * that were late before the crash are late again (windowed aggregations
 * decide lateness by stream time). Emit-once of final results does not
 * depend on it: an emitted window is deleted from its store in the same
 * step (see dsl_agg.c).
 *
 * Stream time is the largest timestamp taken from the queues; it is
 * updated before the record is processed. Stream-time punctuations fire
 * after the record (and from weir__task_advance_stream_time(), which the
 * runtime can use for event-time progress that does not come from a
 * record, e.g. watermark markers on repartition topics).
 *
 * Errors: any callback error stops the current record and is returned,
 * prefixed with the task id and the processor name; the task stays usable
 * (the owner decides: fail, skip, abort the transaction and rewind).
 *
 * Threads: a task is used by one thread at a time. The topology is shared
 * read-only. Store provider and collector calls come from that thread.
 */
#ifndef WEIR_TASK_INT_H
#define WEIR_TASK_INT_H

#include <weir/processor.h>

#include "log_int.h"
#include "topology_int.h"

typedef struct weir__task_s weir__task_t;

/*
 * Where a task's stores come from.
 *
 * open_kv / open_window: return the store for @p spec in task @p task_id,
 * creating, opening or restoring it as the owner sees fit. For a global
 * spec (spec->global) every task of the instance gets the same shared
 * store. The store stays the provider's; the task calls release() once
 * per opened store when it closes (for globals too). Called from
 * weir__task_new() only, in store declaration order.
 */
typedef struct weir__store_provider_s {
    void *opaque;
    weir_error_t *(*open_kv)(void *opaque, const char *task_id,
                             const weir__store_spec_t *spec,
                             weir_kv_store_t **kvp);
    weir_error_t *(*open_window)(void *opaque, const char *task_id,
                                 const weir__store_spec_t *spec,
                                 weir_window_store_t **wsp);
    void (*release)(void *opaque, const char *task_id,
                    const weir__store_spec_t *spec, void *store);
} weir__store_provider_t;

/*
 * One record written by a sink, serialized. Everything is borrowed for
 * the send() call. A NULL key or value is Kafka's null; a non-NULL
 * pointer with length 0 is an empty value.
 */
typedef struct weir__sink_record_s {
    const char *sink;       /* the sink node's name */
    const char *topic;      /* full name: internal topics carry app id */
    const char *topo_topic; /* the topic's name in the topology */
    bool internal;          /* a repartition topic */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t timestamp;
    const weir_headers_t *headers;
    weir_partitioner_t *partitioner; /* NULL: default (murmur2 of the key) */
    void *partitioner_ctx;
} weir__sink_record_t;

/*
 * Where sink output goes. send() is called synchronously from inside
 * process/punctuate; it must not call back into the task (queue the
 * record, as the test driver does for repartition topics). The collector
 * chooses the partition: it calls rec->partitioner when set, with the
 * topic's partition count.
 */
typedef struct weir__record_collector_s {
    void *opaque;
    weir_error_t *(*send)(void *opaque, const weir__sink_record_t *rec);
} weir__record_collector_t;

typedef struct weir__task_conf_s {
    const char *app_id; /* prefix of internal topics; NULL: none */
    const weir__store_provider_t *stores;
    const weir__record_collector_t *collector;
    weir__logger_t log;
    int64_t wall_clock_ms; /* the wall clock at creation */
    /* Stream time moves only through weir__task_advance_stream_time(),
     * never from record timestamps: the task host sets this for
     * sub-topologies that read repartition topics, whose event-time
     * progress comes from watermark markers (see host/watermark_int.h). */
    bool external_stream_time;
    /* Gives back the handle of a queued record that is dropped without
     * being processed (weir__task_clear_queues(), destroy); NULL: handles
     * are not the task's concern. */
    void (*release_handle)(void *opaque, void *handle);
    void *release_opaque;
} weir__task_conf_t;

/* One consumed record, serialized, as the owner hands it in. */
typedef struct weir__input_record_s {
    const char *topic; /* full name (or "file:<path>" for global files) */
    int32_t partition;
    int64_t offset;
    const void *key; /* NULL: null key */
    size_t key_len;
    const void *value; /* NULL: null value */
    size_t value_len;
    int64_t timestamp;             /* the Kafka record timestamp */
    const weir_headers_t *headers; /* copied */
    /* The owner's own record (the consumed message), kept with the queued
     * record and handed back by weir__task_last_handle() once it is
     * processed, or to conf->release_handle when it is dropped. */
    void *handle;
} weir__input_record_t;

/*
 * Makes the task of sub-topology @p sub (global sub-topologies too) for
 * @p partition: opens its stores (and every global store, which all
 * processors may read) and calls every processor's init() in node order.
 * conf->stores and conf->collector must outlive the task.
 */
weir__task_t *weir__task_new(const weir_topology_t *topo, int sub,
                             int32_t partition, const weir__task_conf_t *conf,
                             weir_error_t **errp);

/* Calls close() on every initialized processor and releases the stores.
 * Queued records are dropped. NULL is fine. */
void weir__task_destroy(weir__task_t *task);

const char *weir__task_id(const weir__task_t *task);
int weir__task_subtopology(const weir__task_t *task);

/* True when one of the task's sources reads @p topic (full name). */
bool weir__task_reads_topic(const weir__task_t *task, const char *topic);

/*
 * Deserializes a record with its source's serdes, extracts its timestamp
 * and queues it. A bad record gives WEIR_ERR_SERDE naming topic,
 * partition and offset (nothing is queued); a negative extracted
 * timestamp drops it and counts "invalid-timestamp".
 */
weir_error_t *weir__task_add_record(weir__task_t *task,
                                    const weir__input_record_t *in);

/*
 * The input queue of (@p topic, @p partition), made for a partition of a
 * topic the task reads if it has none yet (global tasks read every
 * partition); -1 when the task does not read @p topic or is out of
 * memory. Owners resolve a partition once and queue by index after.
 */
int weir__task_queue_index(weir__task_t *task, const char *topic,
                           int32_t partition);

/*
 * weir__task_add_record() into queue @p q. *queuedp says whether the
 * record was queued: false when it failed (the error says why) or was
 * dropped for an invalid timestamp; the caller then still owns
 * in->handle.
 */
weir_error_t *weir__task_add_record_to(weir__task_t *task, int q,
                                       const weir__input_record_t *in,
                                       bool *queuedp);

/* Drops every queued record (an owner rewinding after an error), giving
 * their handles to conf->release_handle. */
void weir__task_clear_queues(weir__task_t *task);

/* Records queued over all partitions, and for one of them. */
size_t weir__task_buffered(const weir__task_t *task);
size_t weir__task_queue_size(const weir__task_t *task, const char *topic,
                             int32_t partition);

/*
 * Processes the queued record with the smallest timestamp, then fires due
 * stream-time punctuations. *processedp says whether there was one.
 */
weir_error_t *weir__task_process(weir__task_t *task, bool *processedp);

/* Moves stream time forward to @p t (never back) and fires due
 * stream-time punctuations. */
weir_error_t *weir__task_advance_stream_time(weir__task_t *task, int64_t t);

/* Sets the wall clock to @p now_ms and fires due wall-clock
 * punctuations. */
weir_error_t *weir__task_punctuate_wall_clock(weir__task_t *task,
                                              int64_t now_ms);

int64_t weir__task_stream_time(const weir__task_t *task);

/* The input coordinates of the record the last weir__task_process() call
 * took (topic NULL before the first). The runtime commits offsets from
 * them. */
void weir__task_last_processed(const weir__task_t *task, const char **topicp,
                               int32_t *partitionp, int64_t *offsetp);

/* The queue index and the handle of the record the last
 * weir__task_process() call took; the handle is the caller's again. */
int weir__task_last_queue(const weir__task_t *task);
void *weir__task_last_handle(const weir__task_t *task);

bool weir__task_commit_requested(const weir__task_t *task);
void weir__task_clear_commit_request(weir__task_t *task);

/* True when a windowed operation forwarded final results since the last
 * commit (cleared with the commit request); the owner may commit sooner
 * so that they become readable sooner. */
bool weir__task_results_emitted(const weir__task_t *task);
void weir__task_mark_results_emitted(weir__task_t *task);

/* Counts a record dropped under @p reason (by the task, or by its owner:
 * a bad global row). */
void weir__task_count_dropped(weir__task_t *task, const char *reason);

/* Records dropped under @p reason ("late", "null-key", ...); NULL: all. */
uint64_t weir__task_dropped(const weir__task_t *task, const char *reason);

/* The i-th counter, for metrics; false past the end. */
bool weir__task_dropped_counter(const weir__task_t *task, size_t i,
                                const char **reasonp, uint64_t *countp);

#endif /* WEIR_TASK_INT_H */
