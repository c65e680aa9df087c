/**
 * @file rec_processors.h
 * @brief The processors of the recommendation topology (internal to the
 *        app library; rec_topology.c wires them). Each takes the app's
 *        rec_config_t as its opaque.
 */
#ifndef REC_PROCESSORS_H
#define REC_PROCESSORS_H

#include <weir/processor.h>

#include "rec_config.h"
#include "rec_inventory.h"

/** clicks-rekey and sales-rekey: Avro in, (user_id, product_id) out. */
extern const weir_processor_ops_t rec_rekey_ops;
/** click-window: latest click per user and window; forwards closed ones. */
extern const weir_processor_ops_t rec_click_window_ops;
/** record-purchase: the earliest sale time per (user, product). */
extern const weir_processor_ops_t rec_purchase_ops;
/** recommend: ranks, records what was shown, emits the output record. */
extern const weir_processor_ops_t rec_recommend_ops;
/** inventory-loader: CSV rows into the global store (and its index). */
extern const weir_processor_ops_t rec_inventory_loader_ops;

/** Longest user id accepted (a store key part). */
#define REC_USER_MAX 1024

/** @brief What click-window forwards to recommend for a closed window:
 *         the record's key is the user id (a C string). */
typedef struct rec_closed_window_s {
    int64_t start, end;      /**< the window [start, end) */
    int64_t click_ts;        /**< the latest click's time */
    const char *product_id;  /**< the product being viewed */
    const char *category;    /**< its category when it was clicked */
} rec_closed_window_t;

/**
 * @brief Looks product @p id up in the global inventory store.
 * @returns NULL with *foundp; WEIR_ERR_STORE for a row that does not
 *          parse (the loader only writes canonical rows).
 */
weir_error_t *rec_store_get_product(weir_kv_store_t *inv, const char *id,
                                    rec_product_t *p, bool *foundp);

/**
 * @brief A WEIR_ERR_PROCESSING error for the current record, naming its
 *        topic, partition and offset, then the message.
 */
weir_error_t *rec_record_error(weir_processor_context_t *pctx,
                               const char *fmt, ...) WEIR_PRINTF(2, 3);

/** @brief 8-byte big-endian int64 encoding (store values). */
void rec_put_be64(unsigned char *buf, int64_t v);
int64_t rec_get_be64(const unsigned char *buf);

#endif /* REC_PROCESSORS_H */
