/**
 * @file topology.h
 * @brief The topology builder: sources, processors, state stores, sinks,
 *        repartition topics and global stores, wired by name.
 *
 * @code
 * weir_topology_t *topo = weir_topology_new();
 * weir_topology_add_source(topo, "clicks", "click-stream",
 *                          weir_serde_string(), weir_serde_string());
 * weir_topology_add_processor(topo, "count-views", &count_views_ops, NULL,
 *                             "clicks", NULL);
 * weir_topology_add_kv_store(topo, "views-by-product", "count-views");
 * weir_topology_add_sink(topo, "recs", "recommendations",
 *                        weir_serde_string(), weir_serde_int64(),
 *                        "count-views", NULL);
 * err = weir_topology_build(topo);
 * @endcode
 *
 * Builder calls return nothing: each records the first problem it finds
 * (duplicate or empty names, a topic read by two sources, a sink with no
 * topic, ...) and later calls are ignored; weir_topology_build() then
 * checks the references (unknown parents or stores, cycles) and returns
 * that first problem, naming the node. Names may refer to nodes added
 * later: they are resolved by build().
 *
 * build() splits the graph into sub-topologies: the connected parts of the
 * graph, where processors that share a store are connected too. A
 * repartition topic (weir_topology_add_repartition()) is written by a sink
 * in one sub-topology and read by a source in another. Sub-topologies are
 * numbered from 0 in the order of their first node. Global stores form
 * sub-topologies of their own that produce no tasks.
 *
 * Serde ownership: every function that takes a weir_serde_t * takes over
 * the caller's reference, even when it records an error, so that
 * weir_serde_string() can be passed inline.
 *
 * @remark A topology is built on one thread. Once built it is read-only
 *         and may be shared by every stream thread.
 */
#ifndef WEIR_TOPOLOGY_H
#define WEIR_TOPOLOGY_H

#include <weir/processor.h>
#include <weir/serde.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_topology_s weir_topology_t;

/**
 * @brief Extracts the event time of a record that a source read.
 * @param rec            the deserialized record; rec->timestamp is the
 *                       Kafka record timestamp.
 * @param partition_time the largest timestamp seen on this partition, or
 *                       INT64_MIN.
 * @returns the record's time in ms; a negative time drops the record
 *          (counted as "invalid-timestamp").
 * @remark Runs on the stream thread that owns the task; must be
 *         thread-safe across tasks.
 */
typedef int64_t(weir_timestamp_extractor_t)(void *ctx,
                                            const weir_record_t *rec,
                                            int64_t partition_time);

/**
 * @brief Chooses the partition of a record written by a sink.
 * @param key,key_len     the serialized key (NULL for a null key).
 * @param value,value_len the serialized value.
 * @returns a partition in [0, partition_cnt), or -1 for the default
 *          (murmur2 of the key, as Kafka's default partitioner).
 * @remark Runs on the stream thread; must be thread-safe.
 */
typedef int32_t(weir_partitioner_t)(void *ctx, const char *topic,
                                    const void *key, size_t key_len,
                                    const void *value, size_t value_len,
                                    int32_t partition_cnt);

/** @brief A new, empty topology. NULL only when out of memory. */
WEIR_EXPORT weir_topology_t *weir_topology_new(void);

/** @brief Frees the topology and every DSL handle made on it. NULL is fine. */
WEIR_EXPORT void weir_topology_destroy(weir_topology_t *topo);

/**
 * @brief Adds a source node @p name reading @p topic.
 * @param key_serde,value_serde taken over (see the file comment).
 */
WEIR_EXPORT void weir_topology_add_source(weir_topology_t *topo,
                                          const char *name, const char *topic,
                                          weir_serde_t *key_serde,
                                          weir_serde_t *value_serde);

/** @brief Adds a source node reading @p topic_cnt topics. */
WEIR_EXPORT void weir_topology_add_source_topics(
    weir_topology_t *topo, const char *name, const char *const *topics,
    size_t topic_cnt, weir_serde_t *key_serde, weir_serde_t *value_serde);

/**
 * @brief Sets the timestamp extractor of source @p source (default: the
 *        Kafka record timestamp). @p ctx is borrowed for the topology's
 *        life.
 */
WEIR_EXPORT void weir_topology_set_timestamp_extractor(
    weir_topology_t *topo, const char *source, weir_timestamp_extractor_t *fn,
    void *ctx);

/**
 * @brief Adds a processor @p name with the parents named after @p ops and
 *        @p opaque, terminated by NULL.
 * @param ops     must outlive the topology (usually a static const table).
 * @param opaque  passed to ops->init in every task; borrowed.
 */
WEIR_EXPORT void
weir_topology_add_processor(weir_topology_t *topo, const char *name,
                            const weir_processor_ops_t *ops, void *opaque, ...)
#if defined(__GNUC__)
    __attribute__((sentinel))
#endif
    ;

/** @brief Adds @p parent as a parent of @p child (both named). */
WEIR_EXPORT void weir_topology_connect(weir_topology_t *topo,
                                       const char *parent, const char *child);

/**
 * @brief Adds a sink @p name writing to @p topic, with the parents named
 *        after @p value_serde, terminated by NULL. A NULL or empty topic
 *        is an error reported by build().
 */
WEIR_EXPORT void weir_topology_add_sink(weir_topology_t *topo,
                                        const char *name, const char *topic,
                                        weir_serde_t *key_serde,
                                        weir_serde_t *value_serde, ...)
#if defined(__GNUC__)
    __attribute__((sentinel))
#endif
    ;

/** @brief Sets the partitioner of sink @p sink; @p ctx is borrowed. */
WEIR_EXPORT void weir_topology_set_partitioner(weir_topology_t *topo,
                                               const char *sink,
                                               weir_partitioner_t *fn,
                                               void *ctx);

/**
 * @brief Adds a repartition topic fed by @p parent: a sink node
 *        "<name>-repartition-sink" writing to the internal topic
 *        "<name>-repartition" and a source node "<name>-repartition-source"
 *        reading it, which later nodes use as their parent. The runtime
 *        names the Kafka topic "<application.id>-<name>-repartition".
 */
WEIR_EXPORT void weir_topology_add_repartition(weir_topology_t *topo,
                                               const char *name,
                                               weir_serde_t *key_serde,
                                               weir_serde_t *value_serde,
                                               const char *parent);

/**
 * @brief Declares a key-value store @p name and attaches it to the
 *        processor @p processor (NULL: attach later with
 *        weir_topology_connect_store()). Defaults: persistent (RocksDB),
 *        changelog on.
 */
WEIR_EXPORT void weir_topology_add_kv_store(weir_topology_t *topo,
                                            const char *name,
                                            const char *processor);

/**
 * @brief Declares a window store keeping windows of @p retention_ms (past
 *        the largest window start written); @p window_size_ms is
 *        informative (describe, changelog retention). Attached to
 *        @p processor when not NULL.
 */
WEIR_EXPORT void weir_topology_add_window_store(weir_topology_t *topo,
                                                const char *name,
                                                int64_t retention_ms,
                                                int64_t window_size_ms,
                                                const char *processor);

/** @brief Attaches the store @p store to one more processor. */
WEIR_EXPORT void weir_topology_connect_store(weir_topology_t *topo,
                                             const char *store,
                                             const char *processor);

/** @brief false: an in-memory store instead of RocksDB. */
WEIR_EXPORT void weir_topology_store_set_persistent(weir_topology_t *topo,
                                                    const char *store,
                                                    bool persistent);

/** @brief false: no changelog topic (state is lost with the instance). */
WEIR_EXPORT void weir_topology_store_set_changelog(weir_topology_t *topo,
                                                   const char *store,
                                                   bool changelog);

/**
 * @brief Declares that window store @p store's retention follows the time
 *        its processor gives (weir_window_store_advance_time()), not the
 *        largest window written; the store is then opened (and restored)
 *        in that mode. Windowed aggregations of the DSL use it: under the
 *        runtime's watermarks, windows far ahead of event time arrive
 *        while earlier ones are still open.
 */
WEIR_EXPORT void
weir_topology_window_store_set_owner_time(weir_topology_t *topo,
                                          const char *store, bool on);

/**
 * @brief Adds a global key-value store @p store: every instance keeps a
 *        full copy, filled by the processor @p processor (ops, opaque)
 *        from the source @p source reading @p topic (NULL: no topic, use
 *        weir_topology_global_store_set_file()). The processor is attached
 *        to the store and is the only writer; every other processor may
 *        read the store by name. No changelog: the topic is the log.
 */
WEIR_EXPORT void weir_topology_add_global_store(
    weir_topology_t *topo, const char *store, const char *source,
    const char *topic, weir_serde_t *key_serde, weir_serde_t *value_serde,
    const char *processor, const weir_processor_ops_t *ops, void *opaque);

/**
 * @brief Loads global store @p store from the file @p path before
 *        processing starts: each line (without its newline) goes to the
 *        store's processor as a record with a null key, the line
 *        deserialized by the source's value serde as its value, timestamp
 *        0 and the topic name "file:<path>". Empty lines are skipped.
 *        With a topic as well, the file is loaded first and the topic then
 *        keeps the store current.
 */
WEIR_EXPORT void weir_topology_global_store_set_file(weir_topology_t *topo,
                                                     const char *store,
                                                     const char *path);

/**
 * @brief Resolves names, checks the graph and numbers sub-topologies.
 * @returns NULL, or the first problem recorded by a builder call or found
 *          here (WEIR_ERR_TOPOLOGY, naming the node or store). Calling it
 *          again returns the same result. After success the topology is
 *          read-only: a later builder call is recorded as a
 *          WEIR_ERR_STATE error that the next build() returns.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_topology_build(weir_topology_t *topo);

/**
 * @brief The topology as text, the way Kafka Streams' describe() prints
 *        it: "Sub-topology: N", then each node with its topics or stores
 *        and its "-->" children and "<--" parents; global stores after.
 * @returns a string to free with weir_free(), or NULL when the topology
 *          is not built (or out of memory).
 */
WEIR_EXPORT char *weir_topology_describe(const weir_topology_t *topo);

/** @brief The number of sub-topologies (0 before a successful build). */
WEIR_EXPORT int weir_topology_subtopology_count(const weir_topology_t *topo);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_TOPOLOGY_H */
