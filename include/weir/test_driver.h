/**
 * @file test_driver.h
 * @brief Runs a topology in one thread with no Kafka: the C counterpart of
 *        Kafka Streams' TopologyTestDriver.
 *
 * @code
 * weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
 * err = weir_test_driver_pipe_str(drv, "words", "k", "hello", 1000);
 * char *key, *value;
 * int64_t ts;
 * while (weir_test_driver_read_output_str(drv, "counts", &key, &value, &ts))
 *     ...; weir_free(key); weir_free(value);
 * weir_test_driver_destroy(drv);
 * @endcode
 *
 * Every topic has one partition, so there is one task per sub-topology
 * ("0_0", "1_0", ...). A pipe call processes the record to completion
 * before it returns: through every sub-topology, with records written to
 * repartition topics (and to any other topic the topology reads) fed back
 * in, in the order they were written. Records written to other topics are
 * kept for weir_test_driver_read_output*() in write order.
 *
 * Global stores are loaded (their files read) when the driver is made;
 * piping to a global store's topic updates it.
 *
 * @remark One thread at a time. Processor callbacks run inside the pipe
 *         and advance calls, on the caller's thread; they must not call
 *         the driver.
 */
#ifndef WEIR_TEST_DRIVER_H
#define WEIR_TEST_DRIVER_H

#include <weir/conf.h>
#include <weir/record.h>
#include <weir/serde.h>
#include <weir/store.h>
#include <weir/topology.h>
#include <weir/window_store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_test_driver_s weir_test_driver_t;

/**
 * @brief Driver options.
 *
 * **Growing: a size field.** Start from WEIR_TEST_DRIVER_OPTS_INIT, which
 * zeroes every field (zero is each field's default) and sets @c size,
 * then set what you need by name:
 * @code
 * weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
 * opts.application_id = "app";
 * @endcode
 * The driver reads only the first @c size bytes, so a program built with
 * this header keeps working with a later library whose struct has more
 * fields (they keep their defaults). A @c size of 0 (the struct was not
 * made from WEIR_TEST_DRIVER_OPTS_INIT) or larger than the library knows
 * is WEIR_ERR_INVALID_ARG.
 */
typedef struct weir_test_driver_opts_s {
    /** sizeof(weir_test_driver_opts_t), as the caller was built with. */
    size_t size;
    /** Prefix of internal topic names ("<id>-<name>-repartition");
     *  NULL: "weir-test". */
    const char *application_id;
    /** The simulated wall clock at start, ms since the epoch. */
    int64_t wall_clock_ms;
    /** true: stores declared persistent are RocksDB stores in
     *  "<state_dir>/<application_id>/<task id>/<store>/" (global stores
     *  under the task id "global"), kept after the driver is destroyed,
     *  so a new driver on the same directory finds them; false: every
     *  store in memory. */
    bool rocksdb_stores;
    /** Directory for RocksDB stores (used when rocksdb_stores). */
    const char *state_dir;
    /** The app's settings, as weir_app_new() would get them (borrowed;
     *  it must outlive the driver); NULL: the defaults. The driver reads
     *  application.id (unless application_id is set), idle.timeout.ms,
     *  the exception handlers, dead.letter.topic and log.level. */
    const weir_conf_t *conf;
} weir_test_driver_opts_t;

/** @brief The start of every weir_test_driver_opts_t: defaults, and the
 *         size of the struct this program was built with. */
#define WEIR_TEST_DRIVER_OPTS_INIT              \
    {                                           \
        .size = sizeof(weir_test_driver_opts_t) \
    }

/** @brief A record read from an output topic: bytes as the sink wrote
 *         them. Free with weir_test_record_destroy(). Made by the driver
 *         and only read by callers, so fields to come are added at the
 *         end. */
typedef struct weir_test_record_s {
    char *topic;       /**< full topic name */
    int32_t partition; /**< always 0 */
    void *key;         /**< serialized key, NULL for a null key */
    size_t key_len;
    void *value; /**< serialized value, NULL for a null value */
    size_t value_len;
    int64_t timestamp;
    weir_headers_t *headers; /**< never NULL (possibly empty) */
} weir_test_record_t;

/**
 * @brief Makes a driver for @p topo (built here if it is not yet), opens
 *        the stores, runs every processor's init() and loads global
 *        stores.
 * @param opts  NULL for the defaults, or made from
 *              WEIR_TEST_DRIVER_OPTS_INIT (a bad @c size is
 *              WEIR_ERR_INVALID_ARG); copied.
 * @returns the driver, which owns @p topo from then on (destroyed with
 *          it); or NULL with *errp set, and @p topo still the caller's.
 */
WEIR_EXPORT weir_test_driver_t *
weir_test_driver_new(weir_topology_t *topo,
                     const weir_test_driver_opts_t *opts, weir_error_t **errp);

/** @brief Closes every processor, frees stores, outputs and @p topo.
 *         NULL is fine. */
WEIR_EXPORT void weir_test_driver_destroy(weir_test_driver_t *drv);

/**
 * @brief Pipes one record into @p topic and processes it to completion.
 * @param key,value  serialized bytes (copied); NULL is Kafka's null.
 * @param headers    copied; NULL for none.
 * @returns NULL, WEIR_ERR_NOT_FOUND when no source reads @p topic, a
 *          deserialization error, or the first error a processor returned
 *          (prefixed with task and processor names). After an error the
 *          driver can go on with the next record.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_test_driver_pipe(weir_test_driver_t *drv, const char *topic,
                      const void *key, size_t key_len, const void *value,
                      size_t value_len, int64_t timestamp,
                      const weir_headers_t *headers);

/** @brief weir_test_driver_pipe() with NUL-terminated strings as bytes
 *         (NULL: null). */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_test_driver_pipe_str(weir_test_driver_t *drv,
                                                    const char *topic,
                                                    const char *key,
                                                    const char *value,
                                                    int64_t timestamp);

/**
 * @brief Moves the simulated wall clock forward by @p ms and fires the
 *        wall-clock punctuations that fall due (then processes what they
 *        wrote to repartition topics).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_test_driver_advance_wall_clock(weir_test_driver_t *drv, int64_t ms);

/** @brief The simulated wall clock. */
WEIR_EXPORT int64_t weir_test_driver_wall_clock(const weir_test_driver_t *drv);

/** @brief Records waiting in output topic @p topic. */
WEIR_EXPORT size_t weir_test_driver_output_size(const weir_test_driver_t *drv,
                                                const char *topic);

/** @brief Takes the oldest record of output topic @p topic, or NULL. */
WEIR_EXPORT weir_test_record_t *
weir_test_driver_read_output(weir_test_driver_t *drv, const char *topic);

/**
 * @brief Takes the oldest record of @p topic as strings (the bytes plus a
 *        NUL).
 * @param keyp,valuep  receive strings to free with weir_free() (NULL for
 *                     Kafka's null). Either may be NULL if not wanted.
 * @returns false when the topic has no record.
 */
WEIR_EXPORT bool weir_test_driver_read_output_str(weir_test_driver_t *drv,
                                                  const char *topic,
                                                  char **keyp, char **valuep,
                                                  int64_t *timestampp);

/**
 * @brief Takes the oldest record of @p topic and deserializes it with
 *        @p key_serde and @p value_serde (borrowed). Objects are freed
 *        with weir_serde_free_obj() of the same serdes.
 * @param foundp  false when the topic has no record (then nothing else is
 *                set).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_test_driver_read_output_obj(
    weir_test_driver_t *drv, const char *topic, weir_serde_t *key_serde,
    weir_serde_t *value_serde, void **keyp, size_t *key_lenp, void **valuep,
    size_t *value_lenp, int64_t *timestampp, bool *foundp);

/** @brief Frees an output record. NULL is fine. */
WEIR_EXPORT void weir_test_record_destroy(weir_test_record_t *rec);

/**
 * @brief The key-value store @p name (of task "<sub>_0", or the global
 *        store) for reading. The driver keeps ownership.
 * @returns WEIR_ERR_NOT_FOUND when there is no such key-value store.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_test_driver_kv_store(weir_test_driver_t *drv,
                                                    const char *name,
                                                    weir_kv_store_t **kvp);

/** @brief Like weir_test_driver_kv_store(), for a window store. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_test_driver_window_store(weir_test_driver_t *drv, const char *name,
                              weir_window_store_t **wsp);

/**
 * @brief Records dropped so far under @p reason, summed over tasks:
 *        "late" (windowed aggregations), "null-key", "null-value",
 *        "invalid-timestamp", or what processors passed to
 *        weir_processor_count_dropped(). NULL: all reasons.
 */
WEIR_EXPORT uint64_t weir_test_driver_dropped(const weir_test_driver_t *drv,
                                              const char *reason);

/** @brief How many times processors asked for a commit. */
WEIR_EXPORT uint64_t
weir_test_driver_commit_requests(const weir_test_driver_t *drv);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_TEST_DRIVER_H */
