/*
 * kafka_util.h: small librdkafka helpers for integration tests: create
 * topics, produce records, read a topic to its end.
 */
#ifndef WEIR_TEST_KAFKA_UTIL_H
#define WEIR_TEST_KAFKA_UTIL_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Creates @p topic with @p partitions and infinite retention on the
 * harness broker (Admin API); aborts the test on failure. */
void weir_test_create_topic(const char *topic, int partitions);

/* The same with topic configs (NULL-terminated name, value pairs). */
void weir_test_create_topic_config(const char *topic, int partitions,
                                   const char *const *configs);

/* A plain producer on the harness broker. */
rd_kafka_t *weir_test_producer(void);

/* Produces one record (NULL key/value allowed) to an explicit partition
 * (-1: by key) with a timestamp (0: now); aborts the test on failure. */
void weir_test_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                       const char *key, const void *value, size_t value_len,
                       int64_t timestamp);

/* One record read back. */
typedef struct weir_test_msg_s {
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
} weir_test_msg_t;

/*
 * Reads @p topic from the beginning with read_committed (or
 * read_uncommitted) until at least @p want records arrived and the end
 * of every partition is reached, or @p timeout_ms passed. Returns the
 * count; *msgsp gets a malloc'd array (free with weir_test_msgs_free).
 */
size_t weir_test_consume_all(const char *topic, size_t want, int timeout_ms,
                             bool read_committed, weir_test_msg_t **msgsp);
void weir_test_msgs_free(weir_test_msg_t *msgs, size_t n);

#endif /* WEIR_TEST_KAFKA_UTIL_H */
