/**
 * @file rec_config.h
 * @brief The recommendation application's own settings: topic names,
 *        window, grace, how many products to recommend, the repeat TTL and
 *        where the inventory comes from.
 *
 * | key | default | meaning |
 * |---|---|---|
 * | `topic.clicks` | `flink.click.streams` | Avro ClickStream input |
 * | `topic.sales` | `flink.sales.records` | Avro Sales input |
 * | `topic.recommendations` | `flink.recommended.products` | output |
 * | `inventory.file` | (the shipped `productInventory.csv`) | CSV
 * `product_id,category,stock,rating`, no header | | `inventory.topic` | (none)
 * | compacted topic of CSV rows that keeps the inventory current | |
 * `recommend.window.ms` | 5000 | tumbling window size | | `recommend.grace.ms`
 * | 1000 | how long after its end a window accepts clicks | |
 * `recommend.count` | 6 | products per recommendation | |
 * `recommend.repeat.ttl.ms` | 600000 | products shown to a user in an earlier
 * window ending less than this before the current window's end go last; 0
 * turns it off |
 *
 * These keys live in the same properties file as weir's own; the CLI
 * hands each key to rec_config_set() when rec_config_is_key() says so and
 * to weir_conf_set() otherwise.
 */
#ifndef REC_CONFIG_H
#define REC_CONFIG_H

#include <stdatomic.h>

#include <weir/error.h>
#include <weir/log.h>

/** @brief Counters the app's processors keep when given one (for a
 *         progress line). Updated on stream threads when a processor's
 *         step succeeds, so a step redone after an aborted transaction
 *         counts again: a display, not an audit. Late clicks are the
 *         framework's count: the "late-records" metric of
 *         weir_app_metric(), or weir_test_driver_dropped(drv, "late"). */
typedef struct rec_stats_s {
    atomic_uint_fast64_t windows_closed; /**< == recommendations emitted */
    atomic_uint_fast64_t bad_inventory_rows;
} rec_stats_t;

/**
 * @brief Called with every recommendation as the recommend processor
 *        emits it (before the transaction that carries it commits).
 * @remark Runs on a stream thread; must be quick and thread-safe.
 *         Strings are borrowed for the call.
 */
typedef void(rec_output_cb_t)(void *opaque, const char *user,
                              const char *value, int64_t window_end);

typedef struct rec_config_s {
    char *topic_clicks;
    char *topic_sales;
    char *topic_recommendations;
    char *inventory_file;  /**< NULL: none (the CLI fills in the default) */
    char *inventory_topic; /**< NULL: no topic */
    int64_t window_ms;
    int64_t grace_ms;
    int count;
    int64_t repeat_ttl_ms;
    /** Where the app's processors log bad inventory rows (NULL: nowhere).
     *  Called on stream threads; must be thread-safe. */
    weir_log_cb_t *log_cb;
    void *log_opaque;
    /** Optional: counters (NULL: none), and a callback per recommendation
     *  (NULL: none) with its opaque. Not settings: the CLI sets them. */
    rec_stats_t *stats;
    rec_output_cb_t *on_output;
    void *output_opaque;
} rec_config_t;

/** @brief Fills @p cfg with the defaults. Returns NULL or WEIR_ERR_NOMEM. */
weir_error_t *rec_config_init(rec_config_t *cfg);

/** @brief Frees the strings of @p cfg. NULL is fine. */
void rec_config_free(rec_config_t *cfg);

/** @brief True when @p key is one of the application's keys above. */
bool rec_config_is_key(const char *key);

/**
 * @brief Sets one key.
 * @returns NULL, or WEIR_ERR_CONFIG naming the key (unknown key, not a
 *          number, out of range, empty topic).
 */
weir_error_t *rec_config_set(rec_config_t *cfg, const char *key,
                             const char *value);

/**
 * @brief Checks the combination (grace below the TTL is not required;
 *        window > 0, grace >= 0, 1 <= count <= 100, TTL >= 0, distinct
 *        topics, an inventory file or topic).
 */
weir_error_t *rec_config_validate(const rec_config_t *cfg);

/** @brief Logs through cfg->log_cb, if any. */
void rec_log(const rec_config_t *cfg, int level, const char *fmt, ...)
    WEIR_PRINTF(3, 4);

#endif /* REC_CONFIG_H */
