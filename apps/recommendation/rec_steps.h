/**
 * @file rec_steps.h
 * @brief The steps of the recommendation topology (internal to the app
 *        library; topology.c wires them): the DSL callbacks that key the
 *        inputs by user and keep each window's latest click, the serde of
 *        that click, and the processors kept where the processor API is
 *        the clearer tool. Callbacks take the app's rec_config_t as their
 *        ctx, processors as their opaque; both run on stream threads and
 *        only read it.
 */
#ifndef REC_STEPS_H
#define REC_STEPS_H

#include <weir/dsl.h>

#include "rec_config.h"
#include "rec_inventory.h"

/** Longest user id accepted (a store key part). */
#define REC_USER_MAX 1024

/* ---- keyed by user (rekey.c), before each repartition ---- */

/**
 * @brief select_key of both inputs: checks a click or sale (an Avro
 *        ClickStream or Sales) and keys it by its user_id (a string).
 * @returns a WEIR_ERR_PROCESSING error naming the record (see
 *          rec_record_error()) for a null value, a missing, empty,
 *          over-long or NUL-holding user_id, a missing or empty
 *          product_id, or a product_id the inventory does not know; the
 *          record then goes no further (the CLI dead-letters it).
 * @remark Reads the global store "inventory" through weir_dsl_context().
 */
weir_error_t *rec_user_of(void *ctx, const weir_record_t *rec, void **keyp,
                          size_t *key_lenp);

/**
 * @brief map_values after rec_user_of(): the record's product_id (a
 *        string), all the rest of the topology needs of it.
 */
weir_error_t *rec_product_of(void *ctx, const weir_record_t *rec,
                             void **valuep, size_t *value_lenp);

/* ---- the click windows (click_window.c), per user ---- */

/** @brief The aggregate of a click window: its latest click. */
typedef struct rec_click_s {
    int64_t ts; /**< the click's time; INT64_MIN: no click yet */
    char product_id[REC_FIELD_MAX]; /**< the product being viewed */
    char category[REC_FIELD_MAX];   /**< its category when clicked */
} rec_click_t;

/**
 * @brief The serde of rec_click_t objects (length sizeof(rec_click_t),
 *        memory from malloc()): a version byte (1), the time as 8 bytes
 *        big-endian, then the product id and the category, each
 *        NUL-terminated. NULL when out of memory.
 */
weir_serde_t *rec_serde_click(void);

/**
 * @brief flat_map_values: passes a click (key user, value product id) on
 *        unless the user's history ("recent-recommendations", connected to
 *        the node) already holds a window ending at or after the end of
 *        the click's window; such a click is dropped and counted as
 *        "late". A filter that can fail: a store error is returned.
 */
weir_error_t *rec_unanswered_click(void *ctx, const weir_record_t *rec,
                                   weir_emitter_t *em);

/** @brief The aggregate's initializer: no click yet. */
weir_error_t *rec_no_click(void *ctx, void **aggp, size_t *agg_lenp);

/**
 * @brief The aggregator: the later of the window's click so far and
 *        @p rec (by time; at the same millisecond, the larger product id,
 *        so the result does not depend on arrival order), with the
 *        product's category from the inventory.
 * @returns a WEIR_ERR_PROCESSING error naming the record when the product
 *          has left the inventory since the click was keyed.
 */
weir_error_t *rec_latest_click(void *ctx, const weir_record_t *rec,
                               const void *agg, size_t agg_len, void **newp,
                               size_t *new_lenp);

/* ---- processors (proc_recommend.c, proc_inventory.c) ---- */

/** record-purchase: the earliest sale time per (user, product). */
extern const weir_processor_ops_t rec_purchase_ops;
/** recommend: for each closed window (key weir_windowed_key_t of the
 *  user, value rec_click_t), ranks, records what was shown, and forwards
 *  the output record (key the user, value the CSV line). */
extern const weir_processor_ops_t rec_recommend_ops;
/** inventory-loader: CSV rows into the global store (and its index). */
extern const weir_processor_ops_t rec_inventory_loader_ops;

/* ---- shared helpers (proc_common.c) ---- */

/**
 * @brief Looks product @p id up in the global inventory store; @p p NULL
 *        only says whether it is there.
 * @returns NULL with *foundp; WEIR_ERR_STORE for a row that does not
 *          parse (the loader only writes canonical rows).
 */
weir_error_t *rec_store_get_product(weir_kv_store_t *inv, const char *id,
                                    rec_product_t *p, bool *foundp);

/**
 * @brief The product @p id of the current record of @p pctx (a DSL
 *        callback's weir_dsl_context()), from the global inventory store
 *        (@p p NULL: only checks that the inventory knows it).
 * @returns NULL with *p set; a WEIR_ERR_PROCESSING error naming the
 *          record, "<kind> of user '<user>': unknown product_id '<id>'",
 *          when the inventory does not know it; a store error.
 */
weir_error_t *rec_record_product(weir_processor_context_t *pctx,
                                 const char *kind, const char *user,
                                 const char *id, rec_product_t *p);

/**
 * @brief A WEIR_ERR_PROCESSING error for the current record, naming its
 *        topic, partition and offset, then the message.
 */
weir_error_t *rec_record_error(weir_processor_context_t *pctx, const char *fmt,
                               ...) WEIR_PRINTF(2, 3);

/** @brief 8-byte big-endian int64 encoding (store values). */
void rec_put_be64(unsigned char *buf, int64_t v);
int64_t rec_get_be64(const unsigned char *buf);

#endif /* REC_STEPS_H */
