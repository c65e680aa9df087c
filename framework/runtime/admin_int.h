/*
 * admin_int.h: the topics weir needs, created and checked with the Admin
 * API before processing starts.
 */
#ifndef WEIR_ADMIN_INT_H
#define WEIR_ADMIN_INT_H

#include "kafka_int.h"

typedef struct weir__topic_spec_s {
    const char *name;
    int32_t partitions;         /* > 0 */
    int replication;            /* -1: the broker's default */
    const char *cleanup_policy; /* "delete", "compact", "compact,delete";
                                   NULL: the broker's default, unchecked */
    int64_t retention_ms;       /* 0: the broker's default; -1: forever */
} weir__topic_spec_t;

/*
 * The partition count of @p topic, or -1 in *partsp when it does not
 * exist. Errors are for failing to ask (e.g. brokers down: retriable).
 */
weir_error_t *weir__admin_partition_count(rd_kafka_t *rk, const char *topic,
                                          int timeout_ms, int32_t *partsp);

/* The value of one topic config (DescribeConfigs); *valuep is freed with
 * weir_free(), NULL when the broker reports none. */
weir_error_t *weir__admin_topic_config(rd_kafka_t *rk, const char *topic,
                                       const char *name, int timeout_ms,
                                       char **valuep);

/*
 * Makes every topic of @p specs exist as specified: missing ones are
 * created (a concurrent creation by another instance is fine); existing
 * ones must have the partition count and cleanup policy asked for, else
 * WEIR_ERR_CONFIG says which and how they differ. Returns once every
 * topic is visible in metadata.
 */
weir_error_t *weir__admin_ensure_topics(rd_kafka_t *rk,
                                        const weir__topic_spec_t *specs,
                                        size_t cnt, int timeout_ms,
                                        const weir__logger_t *log);

/* Deletes the records before the given offsets (DeleteRecords), e.g. the
 * consumed and committed part of repartition topics. */
weir_error_t *
weir__admin_delete_records(rd_kafka_t *rk,
                           const rd_kafka_topic_partition_list_t *before,
                           int timeout_ms);

#endif /* WEIR_ADMIN_INT_H */
