/**
 * @file rec_datagen.h
 * @brief Producing the generator's records to Kafka: Avro values in the
 *        Confluent wire format (schemas registered under
 *        `<topic>-value`), timestamp-string keys, at a real-time pace or
 *        faster, optionally writing the ground-truth file. Used by
 *        weir-datagen and by weir-recommend's embedded demo (in a thread).
 */
#ifndef REC_DATAGEN_H
#define REC_DATAGEN_H

#include <stdatomic.h>
#include <stdio.h>

#include <weir/log.h>
#include <weir/mock.h>
#include <weir/registry.h>

#include "rec_gen.h"

typedef struct rec_datagen_conf_s {
    rec_gen_opts_t gen; /**< the sequence (seed, rates, start) */
    const char *bootstrap_servers;
    weir_registry_t *registry; /**< borrowed */
    const char *topic_clicks;
    const char *topic_sales;
    /** Partitions of the topics it creates; 0 creates none. Existing
     *  topics are left as they are. */
    int partitions;
    int replication_factor; /**< for created topics; -1: broker default */
    /** Create the topics through this mock cluster (which has no Admin
     *  API) instead; NULL for a real cluster. */
    weir_mock_cluster_t *mock;
    uint64_t max_records; /**< stop after this many; 0: no limit */
    int64_t duration_ms;  /**< stop at start + this event time; 0: no limit */
    /** Event time runs this many times faster than wall time (1: real
     *  time); 0: as fast as possible. */
    double speedup;
    FILE *ground_truth;               /**< NULL: none */
    const char *const *rdkafka_props; /**< "key=value" for the producer */
    size_t rdkafka_prop_cnt;
    atomic_bool *stop;     /**< set it to stop early; may be NULL */
    weir_log_cb_t *log_cb; /**< NULL: no log */
    void *log_opaque;
} rec_datagen_conf_t;

/** @brief Live counters of a run (read from any thread). */
typedef struct rec_datagen_progress_s {
    atomic_uint_fast64_t clicks;
    atomic_uint_fast64_t sales;
    atomic_int_fast64_t last_timestamp;
} rec_datagen_progress_t;

/**
 * @brief Creates @p topics with @p partitions partitions (and
 *        @p replication_factor, -1: the broker's default) through the
 *        Admin API at @p bootstrap_servers, or through @p mock when not
 *        NULL. Existing topics are left as they are.
 */
weir_error_t *rec_datagen_create_topics(
    const char *bootstrap_servers, weir_mock_cluster_t *mock,
    const char *const *topics, size_t topic_cnt, int partitions,
    int replication_factor, weir_log_cb_t *log_cb, void *log_opaque);

/**
 * @brief Creates the topics (if asked), then produces until a limit is
 *        reached or *stop is set, then flushes.
 * @param progress may be NULL.
 * @returns NULL once every record was acknowledged; WEIR_ERR_KAFKA for a
 *          client or delivery error, WEIR_ERR_REGISTRY / SCHEMA from the
 *          Avro serde, WEIR_ERR_IO for the ground-truth file.
 * @remark Blocking; runs on the calling thread.
 */
weir_error_t *rec_datagen_run(const rec_datagen_conf_t *conf,
                              rec_datagen_progress_t *progress);

#endif /* REC_DATAGEN_H */
