/**
 * @file rec_topology.h
 * @brief The recommendation topology, in the DSL.
 *
 * @code
 *  flink.click.streams                      flink.sales.records
 *    │ select_key: user_id (checks it)         │ select_key: user_id
 *    │ map_values: product_id                  │ map_values: product_id
 *    ▼                                         ▼
 *  [clicks-by-user-repartition]             [sales-by-user-repartition]
 *    │ flat_map_values: drop clicks of         │
 *    │   answered windows (reads history)      ▼
 *    │ group_by_key                         process record-purchase
 *    │ windowed_by: tumbling 5 s, grace 1 s   (store purchases)
 *    │ aggregate: the latest click
 *    │   (window store latest-clicks), final results
 *    ▼ closed windows
 *  process recommend (stores purchases, recent-recommendations)
 *    ▼ to
 *  flink.recommended.products
 *
 *  inventory file / inventory.topic ─► inventory-loader ─► global store
 *  "inventory" (read by select_key, the aggregate and recommend)
 * @endcode
 *
 * Both inputs are keyed by user_id through repartition topics, so the
 * click windows, the purchases and the recommendations of one user live
 * in one task (one sub-topology, whose two inputs are co-partitioned).
 *
 * Bad input never stops the application by itself: a record the Avro
 * serde cannot decode goes to the framework's deserialization handler; a
 * click or sale with a missing or empty user_id or an unknown product
 * makes its select_key return a WEIR_ERR_PROCESSING error naming the
 * record's topic, partition and offset, for the processing handler (the
 * CLI sets both handlers to dead_letter). Clicks for a window that has
 * closed, or that was answered already, are dropped and counted as
 * "late". Inventory rows that do not parse are counted as
 * "bad-inventory-row" and logged (file rows), or returned as errors
 * (topic rows, for the dead-letter topic).
 */
#ifndef REC_TOPOLOGY_H
#define REC_TOPOLOGY_H

#include <weir/registry.h>
#include <weir/topology.h>

#include "rec_config.h"

/* Store names. */
#define REC_STORE_INVENTORY "inventory"
#define REC_STORE_WINDOWS "latest-clicks"
#define REC_STORE_PURCHASES "purchases"
#define REC_STORE_RECENT "recent-recommendations"

/* Repartition names (topics "<application.id>-<name>-repartition"). */
#define REC_REPARTITION_CLICKS "clicks-by-user"
#define REC_REPARTITION_SALES "sales-by-user"

/**
 * @brief Builds the topology for @p cfg.
 * @param cfg borrowed: it must outlive the topology (its processors read
 *        it on every task).
 * @param reg the schema registry of the Avro serdes (the serdes take their
 *        own references).
 * @returns the built topology (weir_topology_destroy(), or hand it to
 *          weir_app_new() / weir_test_driver_new()), or NULL with *errp.
 */
weir_topology_t *rec_topology_new(const rec_config_t *cfg,
                                  weir_registry_t *reg, weir_error_t **errp);

/** @brief The Avro schemas of the inputs, as shipped in schemas/. */
extern const char rec_schema_clickstream[];
extern const char rec_schema_sales[];

/**
 * @brief The global store's keys: "p\0<id>" maps a product id to its
 *        canonical row, "c\0<category>\0<id>" indexes products by category
 *        (same value). Written into @p buf; returns the key's length or 0
 *        when it does not fit.
 */
size_t rec_inventory_product_key(const char *id, char *buf, size_t size);
size_t rec_inventory_category_key(const char *category, const char *id,
                                  char *buf, size_t size);

#endif /* REC_TOPOLOGY_H */
