/**
 * @file processor.h
 * @brief The processor API: what a processor implements, and the context
 *        it uses to forward records, read record metadata, reach its state
 *        stores and schedule punctuations.
 *
 * A processor is a const table of operations (weir_processor_ops_t) and an
 * opaque pointer given when the processor is added to the topology (its
 * configuration, shared by every task). Each task (one sub-topology for
 * one partition) calls init() once to make its own per-task state, then
 * process() for each record, punctuate() when a scheduled punctuation is
 * due, and close() once when the task closes.
 *
 * @remark Threads: all callbacks of one task run on the stream thread
 *         that owns the task, one at a time; different tasks run
 *         concurrently on different threads, so the shared opaque must
 *         only be read. A callback must not destroy the application or
 *         the test driver that runs it.
 */
#ifndef WEIR_PROCESSOR_H
#define WEIR_PROCESSOR_H

#include <weir/record.h>
#include <weir/store.h>
#include <weir/window_store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_processor_context_s weir_processor_context_t;

/** @brief What time a punctuation follows. */
typedef enum weir_punctuation_type_e {
    /** Stream time: the largest record timestamp the task has seen. Fires
     *  at multiples of the interval, once per advance however many
     *  intervals were skipped (as Kafka Streams does). */
    WEIR_PUNCTUATE_STREAM_TIME = 0,
    /** Wall-clock time: fires every interval of real (or, under the test
     *  driver, simulated) time, first one interval after scheduling. */
    WEIR_PUNCTUATE_WALL_CLOCK = 1
} weir_punctuation_type_t;

/**
 * @brief The operations of a processor. Only process is required.
 *
 * Every callback returns NULL on success or an error, which stops the task
 * (the runtime's processing-error handler decides what happens next; the
 * test driver returns it to the caller of the pipe call).
 */
typedef struct weir_processor_ops_s {
    /**
     * Makes the per-task state: *statep (initially NULL) is what the other
     * callbacks get as @p state. Look stores up and schedule punctuations
     * here. @p opaque is the pointer given to weir_topology_add_processor().
     */
    weir_error_t *(*init)(weir_processor_context_t *pctx, void *opaque,
                          void **statep);
    /**
     * One record in, zero or more forwarded. @p rec and everything it
     * points to are borrowed for the call.
     */
    weir_error_t *(*process)(weir_processor_context_t *pctx, void *state,
                             const weir_record_t *rec);
    /**
     * A punctuation scheduled with weir_processor_schedule() is due.
     * @p timestamp is the current stream time or wall-clock time; @p tag is
     * the one given to weir_processor_schedule(). There is no current
     * record: forwarded records carry the timestamp you give them.
     */
    weir_error_t *(*punctuate)(weir_processor_context_t *pctx, void *state,
                               weir_punctuation_type_t type, int64_t timestamp,
                               int tag);
    /**
     * Frees the per-task state. Stores belong to the framework: do not
     * close them. Must not forward.
     */
    void (*close)(void *state, void *opaque);
} weir_processor_ops_t;

/**
 * @brief Forwards @p rec to every child of the current processor,
 *        synchronously and depth first.
 * @remark @p rec stays the caller's: children borrow it. Returns the first
 *         error a child returned.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_processor_forward(weir_processor_context_t *pctx,
                       const weir_record_t *rec);

/**
 * @brief Forwards @p rec to the child called @p child only.
 * @returns WEIR_ERR_NOT_FOUND naming @p child when it is not a child of
 *          the current processor.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_processor_forward_to(weir_processor_context_t *pctx, const char *child,
                          const weir_record_t *rec);

/** @brief The name of the processor being called. */
WEIR_EXPORT const char *
weir_processor_name(const weir_processor_context_t *pctx);

/** @brief The task's id, e.g. "0_3" (sub-topology 0, partition 3). */
WEIR_EXPORT const char *
weir_processor_task_id(const weir_processor_context_t *pctx);

/**
 * @brief The topic of the current record (the topic's name in the
 *        topology), or NULL inside punctuate() and init().
 */
WEIR_EXPORT const char *
weir_processor_record_topic(const weir_processor_context_t *pctx);

/** @brief The partition of the current record, or -1 when there is none. */
WEIR_EXPORT int32_t
weir_processor_record_partition(const weir_processor_context_t *pctx);

/** @brief The offset of the current record, or -1 when there is none. */
WEIR_EXPORT int64_t
weir_processor_record_offset(const weir_processor_context_t *pctx);

/**
 * @brief The timestamp of the current input record (as the source's
 *        timestamp extractor gave it), or the punctuation time inside
 *        punctuate().
 */
WEIR_EXPORT int64_t
weir_processor_record_timestamp(const weir_processor_context_t *pctx);

/** @brief The headers of the current input record (may be NULL). */
WEIR_EXPORT const weir_headers_t *
weir_processor_record_headers(const weir_processor_context_t *pctx);

/**
 * @brief The task's event-time progress: the largest timestamp it has
 *        taken from its inputs so far, or INT64_MIN before the first.
 */
WEIR_EXPORT int64_t
weir_processor_stream_time(const weir_processor_context_t *pctx);

/** @brief The current wall-clock time in ms (simulated by the test driver). */
WEIR_EXPORT int64_t
weir_processor_wall_clock(const weir_processor_context_t *pctx);

/**
 * @brief The key-value store @p name, attached to the current processor
 *        (or a global store, read-only by convention).
 * @returns WEIR_ERR_NOT_FOUND naming the store and the processor when the
 *          store is not attached to it, WEIR_ERR_INVALID_ARG when it is a
 *          window store. The store belongs to the framework.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_processor_kv_store(weir_processor_context_t *pctx, const char *name,
                        weir_kv_store_t **kvp);

/** @brief Like weir_processor_kv_store(), for a window store. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_processor_window_store(weir_processor_context_t *pctx, const char *name,
                            weir_window_store_t **wsp);

/**
 * @brief Schedules a periodic punctuation of the current processor; its
 *        punctuate() is called with @p tag. Scheduling a @p tag again
 *        replaces the earlier schedule.
 * @returns WEIR_ERR_INVALID_ARG for an interval below 1 ms or a processor
 *          without punctuate().
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_processor_schedule(weir_processor_context_t *pctx,
                        weir_punctuation_type_t type, int64_t interval_ms,
                        int tag);

/** @brief Cancels the current processor's punctuation @p tag, if any. */
WEIR_EXPORT void weir_processor_cancel(weir_processor_context_t *pctx,
                                       int tag);

/**
 * @brief Asks for a commit as soon as the current record is done (the
 *        runtime commits at the next opportunity; the test driver counts
 *        requests).
 */
WEIR_EXPORT void weir_processor_request_commit(weir_processor_context_t *pctx);

/**
 * @brief Counts a record the processor chose to drop, under @p reason
 *        (e.g. "late", "null-key"). Counters are per task and read by the
 *        runtime's metrics and by weir_test_driver_dropped().
 */
WEIR_EXPORT void weir_processor_count_dropped(weir_processor_context_t *pctx,
                                              const char *reason);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_PROCESSOR_H */
