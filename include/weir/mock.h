/**
 * @file mock.h
 * @brief An embedded Kafka cluster (librdkafka's mock cluster) for demos
 *        and smoke tests, with no broker and no Java.
 *
 * An app whose bootstrap.servers are those of a live mock cluster of this
 * process creates its topics through the mock (the mock has no Admin
 * API), skips the checks the mock cannot answer (topic configs), and
 * does not purge repartition topics. The mock does not implement
 * transactions (read_committed sees aborted data), compaction, or
 * retention beyond ~5 MiB per partition: never use it to judge
 * exactly-once or restore behaviour — tests of those run against a real
 * broker.
 *
 * Clients of a mock-hosted group should use session.timeout.ms around
 * 6000 and fetch.wait.max.ms around 10; weir sets both for its own
 * clients when it detects the mock.
 */
#ifndef WEIR_MOCK_H
#define WEIR_MOCK_H

#include <weir/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_mock_cluster_s weir_mock_cluster_t;

/**
 * @brief Starts a mock cluster of @p brokers brokers on 127.0.0.1.
 * @returns the cluster, or NULL with *errp set.
 * @remark Lives in this process: it dies with it.
 */
WEIR_EXPORT weir_mock_cluster_t *weir_mock_cluster_new(int brokers,
                                                       weir_error_t **errp);

/** @brief Its bootstrap servers; lives as long as @p mc. */
WEIR_EXPORT const char *
weir_mock_cluster_bootstraps(const weir_mock_cluster_t *mc);

/** @brief Creates a topic (an existing one is left as it is). */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_mock_cluster_create_topic(weir_mock_cluster_t *mc, const char *topic,
                               int partitions);

/**
 * @brief Stops the cluster. Every client of it must be gone first.
 *        NULL is fine.
 */
WEIR_EXPORT void weir_mock_cluster_destroy(weir_mock_cluster_t *mc);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_MOCK_H */
