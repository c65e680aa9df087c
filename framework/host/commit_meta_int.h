/*
 * commit_meta_int.h: what a task stores with its committed offsets.
 *
 * Event time is state: a task's stream time and, for each source
 * partition, when it last received a record are committed with the
 * partition's offset (in the offset commit's metadata, as Kafka Streams
 * keeps partition time there), in the same transaction as the outputs
 * under exactly_once_v2. Whoever owns the task next — after a rebalance,
 * a restart, a kill — starts from that event time instead of from
 * nothing, and continues the idle clock where the last owner left it, so
 * windows downstream of a quiet partition close as if the task had never
 * moved.
 *
 * The metadata is text (Kafka keeps it as a string): "weir:1:<stream
 * time ms>:<last record wall-clock ms>", INT64_MIN for "none". A reader
 * ignores metadata that is not weir's (a tool committed the offset) and
 * refuses a newer version.
 */
#ifndef WEIR_COMMIT_META_INT_H
#define WEIR_COMMIT_META_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weir/error.h>

#define WEIR__COMMIT_META_MAX 64

typedef struct weir__commit_meta_s {
    int64_t stream_time;    /* the task's; INT64_MIN: none yet */
    int64_t last_record_ms; /* wall clock; INT64_MIN: none */
} weir__commit_meta_t;

/* Writes @p meta as a NUL-terminated string; returns its length. */
size_t weir__commit_meta_encode(const weir__commit_meta_t *meta,
                                char out[WEIR__COMMIT_META_MAX]);

/*
 * Reads @p len bytes of offset metadata. *foundp is false (and *meta
 * unset) when they are not weir's; a newer version than this code knows
 * is WEIR_ERR_UNSUPPORTED, anything else malformed WEIR_ERR_SERDE.
 */
weir_error_t *weir__commit_meta_decode(const void *data, size_t len,
                                       weir__commit_meta_t *meta,
                                       bool *foundp);

#endif /* WEIR_COMMIT_META_INT_H */
