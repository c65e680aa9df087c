/**
 * @file dsl.h
 * @brief The streams DSL: streams, tables, grouping, windows,
 *        aggregations and joins, built on the processor API.
 *
 * @code
 * weir_topology_t *topo = weir_topology_new();
 * weir_kstream_t *words = weir_stream(topo, "words", weir_serde_string(),
 *                                     weir_serde_string());
 * weir_kstream_t *counts = weir_kwindowed_count(
 *     weir_kgrouped_windowed_by(weir_kstream_group_by_key(words),
 *                               weir_tumbling_windows(60000, 5000)),
 *     "counts");
 * weir_kstream_to(counts, "word-counts", NULL, NULL);
 * err = weir_topology_build(topo);
 * @endcode
 *
 * Each DSL call adds nodes to the topology, named as Kafka Streams names
 * them ("KSTREAM-FILTER-0000000001"), and returns a handle that the
 * topology owns (freed by weir_topology_destroy(); never free one
 * yourself). A handle can be used any number of times (branching). A
 * call given a NULL handle returns NULL and does nothing: the problem that
 * made the handle NULL is already recorded and weir_topology_build()
 * reports it.
 *
 * **Objects and serdes.** Records carry objects as weir/serde.h defines
 * them. Every stream knows its key and value serdes; an operation that
 * changes the key or value type takes the new serde (NULL: unchanged).
 * Serdes passed in are taken over, as in weir/topology.h.
 *
 * **Callbacks.** Each takes the @c ctx given with it and the current
 * record, borrowed. An object a callback returns through an out-pointer
 * (a mapped value, a new key, an aggregate) becomes the framework's, which
 * frees it with weir_serde_free_obj() of the serde declared for it: make
 * it the way that serde's deserialize would (for the built-in bytes,
 * string and int64 serdes: memory from malloc()). Returning NULL is
 * Kafka's null. A callback returning an error stops the record (see
 * weir_processor_ops_t). Callbacks run on the stream thread of the task,
 * concurrently across tasks: @c ctx must be safe to share or read-only.
 *
 * **The callback's context.** Inside a callback, weir_dsl_context()
 * returns the processor context of the node that calls it, as a
 * processor gets it: the current record's topic, partition, offset and
 * headers, the task's stream time, drop counters, and stores: every
 * global store (a weir_global_table(), or one added with
 * weir_topology_add_global_store()) and the stores attached to the node,
 * e.g. weir_topology_connect_store(topo, "history",
 * weir_kstream_name(filtered)) for the node of a filter.
 *
 * **Processors in a chain.** weir_kstream_process() puts a processor of
 * the processor API (weir/processor.h) into a DSL chain, with stores of
 * its own; the stream continues from what it forwards, as Kafka Streams'
 * KStream.process().
 *
 * **Repartitioning.** map() and select_key() mark the stream: the next
 * key-dependent operation (an aggregation after group_by_key(), a join)
 * first writes it through a repartition topic "<name>-repartition", so
 * that all records of a key meet in one task. The name is the store's
 * name for aggregations and the join node's name for joins.
 *
 * **Windows.** Time windows (tumbling, hopping) are [start, start +
 * size): a record at a window's end belongs to the next one. Windowed
 * aggregations emit final results by default: one record per (key,
 * window), once stream time reaches the window's end plus grace (Kafka
 * Streams' suppress(untilWindowCloses)); the window then leaves its
 * store. A window stays open to records while end + grace > stream time;
 * a record that fits no open window is dropped and counted as "late"
 * (weir_test_driver_dropped()). Time windows that close at the same
 * moment are emitted in window order: by start, then by serialized key.
 * Results carry a weir_windowed_key_t key
 * (serde: weir_serde_windowed()) and the timestamp end - 1, the window's
 * last millisecond, so they stay inside their window downstream.
 *
 * **Session and sliding windows** are defined by the records, not the
 * epoch, and their ends are inclusive, as in Kafka Streams: a session
 * [start, end] runs from its first record's time to its last one's; a
 * sliding window [start, start + diff] holds the records of those
 * milliseconds, both ends included. Their results carry end itself as
 * the timestamp (again the last millisecond inside), and they are final
 * only: emitted once, when the window closes. See weir_session_windows()
 * and weir_sliding_windows() for when that is and which records are
 * late.
 *
 * **Stores.** Aggregations and tables create stores with the names given;
 * they are ordinary named stores of the topology, so
 * weir_topology_store_set_persistent() and
 * weir_topology_store_set_changelog() apply to them as well.
 *
 * @remark Build topologies on one thread.
 */
#ifndef WEIR_DSL_H
#define WEIR_DSL_H

#include <weir/topology.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_kstream_s weir_kstream_t;
typedef struct weir_ktable_s weir_ktable_t;
typedef struct weir_kgrouped_s weir_kgrouped_t;
typedef struct weir_kwindowed_s weir_kwindowed_t;
typedef struct weir_ksession_windowed_s weir_ksession_windowed_t;
typedef struct weir_kglobal_table_s weir_kglobal_table_t;

/* ---- callbacks ---- */

/** @brief true keeps the record. */
typedef bool(weir_predicate_t)(void *ctx, const weir_record_t *rec);

/** @brief Makes the new value (*valuep, *value_lenp). */
typedef weir_error_t *(weir_value_mapper_t)(void *ctx,
                                            const weir_record_t *rec,
                                            void **valuep, size_t *value_lenp);

/** @brief Makes a new key (select_key; the lookup key of a global join). */
typedef weir_error_t *(weir_key_mapper_t)(void *ctx, const weir_record_t *rec,
                                          void **keyp, size_t *key_lenp);

/** @brief Makes a new key and a new value. */
typedef weir_error_t *(weir_record_mapper_t)(void *ctx,
                                             const weir_record_t *rec,
                                             void **keyp, size_t *key_lenp,
                                             void **valuep,
                                             size_t *value_lenp);

typedef struct weir_emitter_s weir_emitter_t;

/**
 * @brief Emits any number of values with weir_emit() (flat_map_values).
 */
typedef weir_error_t *(weir_flat_value_mapper_t)(void *ctx,
                                                 const weir_record_t *rec,
                                                 weir_emitter_t *em);

/**
 * @brief Forwards one value at once, with the current record's key,
 *        timestamp and headers. @p value is borrowed: the caller frees it
 *        after the call.
 * @returns the first error of the downstream nodes; return it.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_emit(weir_emitter_t *em, const void *value,
                                    size_t value_len);

/**
 * @brief The processor context of the DSL node whose callback is running
 *        on this thread (see "The callback's context" above).
 * @returns the context, borrowed for the duration of the callback; NULL
 *          when no node is running on this thread (outside a task's
 *          callbacks).
 * @remark Use it only from inside the callback that got it; do not keep
 *         it. Store lookups (weir_processor_kv_store()) check attachment
 *         to the calling node: global stores are always there.
 *         weir_processor_forward() and weir_processor_schedule() are the
 *         node's own business: do not call them from a callback.
 */
WEIR_EXPORT weir_processor_context_t *weir_dsl_context(void);

/** @brief Looks at a record (peek, foreach). */
typedef void(weir_foreach_t)(void *ctx, const weir_record_t *rec);

/** @brief The initial aggregate of a new key or window. */
typedef weir_error_t *(weir_initializer_t)(void *ctx, void **aggp,
                                           size_t *agg_lenp);

/**
 * @brief Folds @p rec into @p agg (borrowed) giving *new_aggp. For a
 *        windowed aggregation, rec->key is the plain key.
 */
typedef weir_error_t *(weir_aggregator_t)(void *ctx, const weir_record_t *rec,
                                          const void *agg, size_t agg_len,
                                          void **new_aggp,
                                          size_t *new_agg_lenp);

/**
 * @brief Combines the current value @p agg with rec->value (same type)
 *        giving *outp. The first value of a key is taken as is.
 */
typedef weir_error_t *(weir_reducer_t)(void *ctx, const void *agg,
                                       size_t agg_len,
                                       const weir_record_t *rec, void **outp,
                                       size_t *out_lenp);

/**
 * @brief Merges the aggregates of two sessions of key @p key (borrowed)
 *        that a record has bridged: @p agg1 is the earlier session's,
 *        @p agg2 the later one's (both borrowed), giving *outp.
 */
typedef weir_error_t *(weir_merger_t)(void *ctx, const void *key,
                                      size_t key_len, const void *agg1,
                                      size_t agg1_len, const void *agg2,
                                      size_t agg2_len, void **outp,
                                      size_t *out_lenp);

/**
 * @brief Joins a stream record with the table's value for its key
 *        (@p table_value NULL in a left join without a match).
 */
typedef weir_error_t *(weir_value_joiner_t)(void *ctx,
                                            const weir_record_t *rec,
                                            const void *table_value,
                                            size_t table_value_len,
                                            void **outp, size_t *out_lenp);

/* ---- windowed keys ---- */

/**
 * @brief The key of a windowed aggregation's result: the plain key object
 *        and the window in ms: [start, end) for time windows, [start,
 *        end] (end inclusive) for session and sliding windows.
 *
 * Serialized by weir_serde_windowed() as the inner key's bytes followed
 * by start and end, each 8 bytes big-endian.
 */
typedef struct weir_windowed_key_s {
    void *key;
    size_t key_len;
    int64_t start;
    int64_t end;
} weir_windowed_key_t;

/**
 * @brief The serde of weir_windowed_key_t objects (object length
 *        sizeof(weir_windowed_key_t)) around the key serde @p inner,
 *        which it takes over. NULL when out of memory.
 */
WEIR_EXPORT weir_serde_t *weir_serde_windowed(weir_serde_t *inner);

/* ---- windows ---- */

/*
 * Growing: the window structs are passed by value, so their size is part
 * of every caller. Each has a constructor function (weir_tumbling_windows()
 * and the others below) and reserved space: make them with the
 * constructor (or a designated initializer), then set fields by name. A
 * field added later takes its room from @c reserved and means "as before"
 * when zero, so the size never changes; windowed_by refuses windows whose
 * reserved space is not zero (an uninitialized struct), naming the node.
 */

/** @brief When a windowed aggregation emits. */
typedef enum weir_emit_e {
    WEIR_EMIT_ON_WINDOW_CLOSE = 0, /**< once, final (default) */
    WEIR_EMIT_ON_UPDATE = 1        /**< every update, like an eager KTable */
} weir_emit_t;

/** @brief Time windows, in ms. Windows are aligned to the epoch. */
typedef struct weir_time_windows_s {
    int64_t size_ms;
    int64_t advance_ms; /**< == size_ms: tumbling; < size_ms: hopping */
    int64_t grace_ms;   /**< how long after its end a window accepts data */
    weir_emit_t emit;
    /** How long the window store keeps windows (for queries, and for
     *  WEIR_EMIT_ON_UPDATE); 0: size + grace, the least allowed. Emitted
     *  final results leave the store whatever this is. */
    int64_t retention_ms;
    int64_t reserved[4]; /**< zero; room for fields to come */
} weir_time_windows_t;

/** @brief Tumbling windows of @p size_ms with @p grace_ms of grace. */
WEIR_EXPORT weir_time_windows_t weir_tumbling_windows(int64_t size_ms,
                                                      int64_t grace_ms);

/** @brief Hopping windows of @p size_ms starting every @p advance_ms. */
WEIR_EXPORT weir_time_windows_t weir_hopping_windows(int64_t size_ms,
                                                     int64_t advance_ms,
                                                     int64_t grace_ms);

/**
 * @brief Session windows, in ms (Kafka Streams' SessionWindows).
 *
 * Per key, a session [start, end] spans the times of its first and last
 * records; records at most @p gap_ms apart belong to one session (a
 * record at end + gap still extends [start, end]). A record that falls
 * between two sessions and within the gap of both merges them.
 *
 * A session closes once stream time > end + gap + grace (it can then
 * gain no record that is on time by the grace): its final result is
 * emitted once and it leaves its store. A record is late, dropped and
 * counted, when the session it would make, merged with the open sessions
 * it reaches, has closed already: end + gap + grace < stream time.
 *
 * Emitted sessions are gone from the store, so a record more than grace
 * behind stream time that would have reached one (only possible with
 * disorder beyond the grace) no longer merges with it: it joins the open
 * sessions it reaches or starts its own. Each record is counted in
 * exactly one emitted session; Kafka Streams would re-emit the merged
 * session there, counting the emitted records twice.
 */
typedef struct weir_session_windows_s {
    int64_t gap_ms;   /**< inactivity gap, > 0 */
    int64_t grace_ms; /**< how long after end + gap a session accepts data */
    int64_t reserved[4]; /**< zero; room for fields to come */
} weir_session_windows_t;

/**
 * @brief Session windows of inactivity gap @p gap_ms with @p grace_ms of
 *        grace (Kafka Streams' ofInactivityGapAndGrace).
 * @returns the windows, by value; weir_kgrouped_session_windowed_by()
 *          checks them.
 */
WEIR_EXPORT weir_session_windows_t weir_session_windows(int64_t gap_ms,
                                                        int64_t grace_ms);

/**
 * @brief Sliding windows, in ms (Kafka Streams' SlidingWindows): two
 *        records share a window iff their times differ by at most
 *        @c diff_ms.
 *
 * Windows have a fixed size but follow the records, as Kafka Streams'
 * KStreamSlidingWindowAggregate makes them: a record at t has its window
 * [t - diff, t] and, when a later record falls within diff of it, the
 * window just after it, [t + 1, t + 1 + diff]; every existing window
 * containing t is updated. So each distinct set of records that fit in
 * diff ms is aggregated once, and no empty window is made. (Kafka
 * Streams folds the windows of records earlier than diff after the epoch
 * into one window [0, diff]; weir gives them their own windows, which
 * start before 0.)
 *
 * A window closes once stream time > end + grace: its final result is
 * emitted once. A record is late, dropped and counted, when every window
 * that would hold it has closed (t + diff + grace < stream time), or when
 * no open window holds it (its own [t - diff, t] has closed and no other
 * window with t in it is open). Later
 * windows are built from earlier ones' aggregates, so an emitted window
 * stays in the store, marked as emitted and never updated or emitted
 * again, until retention (3 * diff + grace + 1) drops it. Store values
 * are a flag byte, the window's largest record time (8 bytes big-endian),
 * then the aggregate's bytes.
 */
typedef struct weir_sliding_windows_s {
    int64_t diff_ms;     /**< the largest time difference in a window, > 0 */
    int64_t grace_ms;    /**< how long after its end a window accepts data */
    int64_t reserved[4]; /**< zero; room for fields to come */
} weir_sliding_windows_t;

/**
 * @brief Sliding windows of @p diff_ms with @p grace_ms of grace (Kafka
 *        Streams' ofTimeDifferenceAndGrace).
 * @returns the windows, by value; weir_kgrouped_sliding_windowed_by()
 *          checks them.
 */
WEIR_EXPORT weir_sliding_windows_t weir_sliding_windows(int64_t diff_ms,
                                                        int64_t grace_ms);

/* ---- streams ---- */

/** @brief A stream read from @p topic. */
WEIR_EXPORT weir_kstream_t *weir_stream(weir_topology_t *topo,
                                        const char *topic,
                                        weir_serde_t *key_serde,
                                        weir_serde_t *value_serde);

/** @brief The name of the node that produces the stream (for the
 *         processor API: weir_topology_add_processor() parents,
 *         weir_topology_set_timestamp_extractor() on a source). */
WEIR_EXPORT const char *weir_kstream_name(const weir_kstream_t *s);

/** @brief Records for which @p pred is true. */
WEIR_EXPORT weir_kstream_t *
weir_kstream_filter(weir_kstream_t *s, weir_predicate_t *pred, void *ctx);

/** @brief Records for which @p pred is false. */
WEIR_EXPORT weir_kstream_t *
weir_kstream_filter_not(weir_kstream_t *s, weir_predicate_t *pred, void *ctx);

/** @brief New values; the key stays (no repartition). */
WEIR_EXPORT weir_kstream_t *weir_kstream_map_values(weir_kstream_t *s,
                                                    weir_value_mapper_t *fn,
                                                    void *ctx,
                                                    weir_serde_t *value_serde);

/** @brief Zero or more values per record; the key stays. */
WEIR_EXPORT weir_kstream_t *
weir_kstream_flat_map_values(weir_kstream_t *s, weir_flat_value_mapper_t *fn,
                             void *ctx, weir_serde_t *value_serde);

/** @brief New keys and values; marks the stream for repartition. */
WEIR_EXPORT weir_kstream_t *
weir_kstream_map(weir_kstream_t *s, weir_record_mapper_t *fn, void *ctx,
                 weir_serde_t *key_serde, weir_serde_t *value_serde);

/** @brief New keys; marks the stream for repartition. */
WEIR_EXPORT weir_kstream_t *weir_kstream_select_key(weir_kstream_t *s,
                                                    weir_key_mapper_t *fn,
                                                    void *ctx,
                                                    weir_serde_t *key_serde);

/** @brief Calls @p fn on each record and passes it on. */
WEIR_EXPORT weir_kstream_t *weir_kstream_peek(weir_kstream_t *s,
                                              weir_foreach_t *fn, void *ctx);

/** @brief Calls @p fn on each record (a terminal operation). */
WEIR_EXPORT void weir_kstream_foreach(weir_kstream_t *s, weir_foreach_t *fn,
                                      void *ctx);

/**
 * @brief Writes the stream to @p topic, with the given serdes (NULL: the
 *        stream's).
 */
WEIR_EXPORT void weir_kstream_to(weir_kstream_t *s, const char *topic,
                                 weir_serde_t *key_serde,
                                 weir_serde_t *value_serde);

/**
 * @brief Repartitions now through "<name>-repartition" (whether or not
 *        the stream is marked), with the stream's serdes.
 */
WEIR_EXPORT weir_kstream_t *weir_kstream_repartition(weir_kstream_t *s,
                                                     const char *name);

/**
 * @brief Runs a processor of the processor API on each record of the
 *        stream, as Kafka Streams' KStream.process(): the returned stream
 *        carries what it forwards.
 *
 * @param name   the processor node's name (NULL: "KSTREAM-PROCESSOR-"
 *               and the next index), what weir_processor_name() and
 *               describe() show.
 * @param ops    its operations; must outlive the topology (usually a
 *               static const table). init(), punctuate() and close() work
 *               as for weir_topology_add_processor().
 * @param opaque passed to ops->init in every task; borrowed.
 * @param key_serde,value_serde the serdes of the records it forwards
 *               (NULL: the input stream's), taken over, so that a later
 *               weir_kstream_to(), group_by_key() or repartition can
 *               serialize them.
 * @param ...    names of the stores to attach to the processor,
 *               terminated by NULL. Declare them with
 *               weir_topology_add_kv_store() or
 *               weir_topology_add_window_store() (before or after: names
 *               are resolved by build()). Global stores need no name
 *               here: every processor may read them.
 * @returns the stream of forwarded records, owned by the topology; NULL
 *          when @p s is NULL. A NULL @p ops or process operation, an
 *          unknown store and a duplicate name are reported by
 *          weir_topology_build().
 * @remark The processor may change keys, so the returned stream is marked
 *         for repartition: the next key-based operation repartitions it
 *         first. The input is not repartitioned (again as Kafka Streams
 *         does): when a select_key() or map() comes before a processor
 *         with stores keyed by the new key, call weir_kstream_repartition()
 *         first, so that all records of a key meet in one task. Records
 *         the processor forwards from punctuate() carry the timestamp it
 *         gives them.
 */
WEIR_EXPORT weir_kstream_t *
weir_kstream_process(weir_kstream_t *s, const char *name,
                     const weir_processor_ops_t *ops, void *opaque,
                     weir_serde_t *key_serde, weir_serde_t *value_serde, ...)
#if defined(__GNUC__)
    __attribute__((sentinel))
#endif
    ;

/* ---- grouping and aggregation ---- */

/** @brief Groups by the current key, for an aggregation. */
WEIR_EXPORT weir_kgrouped_t *weir_kstream_group_by_key(weir_kstream_t *s);

/**
 * @brief Counts records per key into the key-value store @p store
 *        (values: int64). Records with a null key or value are dropped
 *        and counted ("null-key", "null-value").
 * @returns the table of counts, which emits each update.
 */
WEIR_EXPORT weir_ktable_t *weir_kgrouped_count(weir_kgrouped_t *g,
                                               const char *store);

/** @brief Reduces the values of each key (same type) into @p store. */
WEIR_EXPORT weir_ktable_t *weir_kgrouped_reduce(weir_kgrouped_t *g,
                                                weir_reducer_t *fn, void *ctx,
                                                const char *store);

/**
 * @brief Aggregates each key into @p store; aggregates are of type
 *        @p agg_serde.
 */
WEIR_EXPORT weir_ktable_t *
weir_kgrouped_aggregate(weir_kgrouped_t *g, weir_initializer_t *init,
                        weir_aggregator_t *agg, void *ctx,
                        weir_serde_t *agg_serde, const char *store);

/**
 * @brief Windows the grouped stream. Invalid windows (size <= 0, advance
 *        <= 0 or > size, grace < 0) are reported by build().
 */
WEIR_EXPORT weir_kwindowed_t *weir_kgrouped_windowed_by(weir_kgrouped_t *g,
                                                        weir_time_windows_t w);

/**
 * @brief Counts per key and window into the window store @p store.
 * @returns the stream of results: key weir_windowed_key_t, value int64.
 */
WEIR_EXPORT weir_kstream_t *weir_kwindowed_count(weir_kwindowed_t *w,
                                                 const char *store);

/** @brief Reduces per key and window. */
WEIR_EXPORT weir_kstream_t *weir_kwindowed_reduce(weir_kwindowed_t *w,
                                                  weir_reducer_t *fn,
                                                  void *ctx,
                                                  const char *store);

/** @brief Aggregates per key and window. */
WEIR_EXPORT weir_kstream_t *
weir_kwindowed_aggregate(weir_kwindowed_t *w, weir_initializer_t *init,
                         weir_aggregator_t *agg, void *ctx,
                         weir_serde_t *agg_serde, const char *store);

/**
 * @brief Windows the grouped stream in sliding windows, for
 *        weir_kwindowed_count(), _reduce() and _aggregate() (the same
 *        calls as time windows, as in Kafka Streams).
 * @returns a handle owned by the topology; NULL when @p g is NULL or the
 *          windows are invalid (diff <= 0, grace < 0, either absurdly
 *          large), which weir_topology_build() then reports.
 * @remark The aggregation's window store keeps one entry per (key,
 *         window start), retention 3 * diff + grace + 1, measured from
 *         stream time; its values are described at
 *         weir_sliding_windows_t. Results: key weir_windowed_key_t
 *         [start, start + diff] (end inclusive), timestamp the end.
 */
WEIR_EXPORT weir_kwindowed_t *
weir_kgrouped_sliding_windowed_by(weir_kgrouped_t *g,
                                  weir_sliding_windows_t w);

/**
 * @brief Windows the grouped stream in session windows.
 * @returns a handle for weir_ksession_windowed_count(), _reduce() and
 *          _aggregate(), owned by the topology; NULL when @p g is NULL or
 *          the windows are invalid (gap <= 0, grace < 0, either absurdly
 *          large), which weir_topology_build() then reports.
 */
WEIR_EXPORT weir_ksession_windowed_t *
weir_kgrouped_session_windowed_by(weir_kgrouped_t *g,
                                  weir_session_windows_t w);

/**
 * @brief Counts per key and session into the window store @p store.
 *        Merging sessions adds their counts. Records with a null key or
 *        value are dropped and counted ("null-key", "null-value").
 * @returns the stream of final results (key weir_windowed_key_t [start,
 *          end], end inclusive; value int64; timestamp end), owned by the
 *          topology; NULL when @p w is NULL.
 * @remark The store keeps sessions by END: one entry per (key, session
 *         end), with that end as the window start of weir/window_store.h
 *         and, as value, the session start (8 bytes big-endian) then the
 *         aggregate's bytes; retention gap + grace + 1, measured from
 *         stream time. Emitted sessions are deleted from it in the same
 *         step.
 */
WEIR_EXPORT weir_kstream_t *
weir_ksession_windowed_count(weir_ksession_windowed_t *w, const char *store);

/**
 * @brief Reduces the values of each key and session (same type) into the
 *        window store @p store (laid out as for
 *        weir_ksession_windowed_count()).
 * @returns the stream of final results, values of the stream's value
 *          serde; NULL when @p w is NULL.
 * @remark When a record bridges two sessions, @p fn also merges them
 *         first: it is called with the earlier session's value as @p agg
 *         and a record whose value is the later session's (its key and
 *         timestamp are the bridging record's). @p fn runs on the task's
 *         stream thread, inside process().
 */
WEIR_EXPORT weir_kstream_t *
weir_ksession_windowed_reduce(weir_ksession_windowed_t *w, weir_reducer_t *fn,
                              void *ctx, const char *store);

/**
 * @brief Aggregates each key and session into the window store @p store
 *        (laid out as for weir_ksession_windowed_count()); aggregates are
 *        of type @p agg_serde, which is taken over (also on failure).
 * @returns the stream of final results; NULL when @p w is NULL. A NULL
 *          function or serde is reported by weir_topology_build().
 * @remark A new session starts from @p init. When a record reaches
 *         several sessions, @p merge combines their aggregates pairwise in
 *         time order (the merged ones so far, then the next), and @p agg
 *         folds the record in last; a record reaching one session only
 *         calls @p agg. Every callback gets @p ctx and runs on the task's
 *         stream thread, inside process(); objects they return become the
 *         framework's (see "Callbacks" above).
 */
WEIR_EXPORT weir_kstream_t *weir_ksession_windowed_aggregate(
    weir_ksession_windowed_t *w, weir_initializer_t *init,
    weir_aggregator_t *agg, weir_merger_t *merge, void *ctx,
    weir_serde_t *agg_serde, const char *store);

/* ---- tables ---- */

/**
 * @brief A table read from @p topic (a changelog: the latest value per
 *        key; a null value deletes), materialized in the key-value store
 *        @p store.
 */
WEIR_EXPORT weir_ktable_t *weir_table(weir_topology_t *topo, const char *topic,
                                      weir_serde_t *key_serde,
                                      weir_serde_t *value_serde,
                                      const char *store);

/** @brief The table's updates as a stream. */
WEIR_EXPORT weir_kstream_t *weir_ktable_to_stream(weir_ktable_t *t);

/** @brief The name of the table's key-value store. */
WEIR_EXPORT const char *weir_ktable_store_name(const weir_ktable_t *t);

/**
 * @brief A table replicated in full on every instance (a global store
 *        @p store fed from @p topic).
 */
WEIR_EXPORT weir_kglobal_table_t *weir_global_table(weir_topology_t *topo,
                                                    const char *topic,
                                                    weir_serde_t *key_serde,
                                                    weir_serde_t *value_serde,
                                                    const char *store);

/* ---- joins ---- */

/**
 * @brief Inner stream-table join: each stream record with the table's
 *        current value for its key; records without a match (or with a
 *        null key) are dropped. Repartitions the stream first if it is
 *        marked. Stream and table must be co-partitioned.
 */
WEIR_EXPORT weir_kstream_t *weir_kstream_join_table(weir_kstream_t *s,
                                                    weir_ktable_t *t,
                                                    weir_value_joiner_t *fn,
                                                    void *ctx,
                                                    weir_serde_t *value_serde);

/** @brief Left stream-table join: unmatched records join NULL. */
WEIR_EXPORT weir_kstream_t *
weir_kstream_left_join_table(weir_kstream_t *s, weir_ktable_t *t,
                             weir_value_joiner_t *fn, void *ctx,
                             weir_serde_t *value_serde);

/**
 * @brief Inner stream-global-table join: @p key_fn maps each record to
 *        the table key to look up (an object of the table's key serde).
 *        No repartition is needed.
 */
WEIR_EXPORT weir_kstream_t *
weir_kstream_join_global(weir_kstream_t *s, weir_kglobal_table_t *gt,
                         weir_key_mapper_t *key_fn, weir_value_joiner_t *fn,
                         void *ctx, weir_serde_t *value_serde);

/** @brief Left stream-global-table join. */
WEIR_EXPORT weir_kstream_t *weir_kstream_left_join_global(
    weir_kstream_t *s, weir_kglobal_table_t *gt, weir_key_mapper_t *key_fn,
    weir_value_joiner_t *fn, void *ctx, weir_serde_t *value_serde);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_DSL_H */
