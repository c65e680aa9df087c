/**
 * @file rec_inventory.h
 * @brief Products: the inventory CSV row (`product_id,category,stock,
 *        rating`, no header), its parser and canonical writer, the numeric
 *        order of product ids, and an in-memory inventory loaded from a
 *        file (for the oracle and the tests; the topology keeps its copy
 *        in a global store).
 */
#ifndef REC_INVENTORY_H
#define REC_INVENTORY_H

#include <stdio.h>

#include <weir/error.h>

#include "rec_config.h"

/** Longest product id and category accepted. */
#define REC_FIELD_MAX 128

/** @brief One inventory row. */
typedef struct rec_product_s {
    char id[REC_FIELD_MAX];
    char category[REC_FIELD_MAX];
    int64_t stock;
    double rating;
} rec_product_t;

/**
 * @brief Parses one CSV row (RFC 4180 quoting allowed; a trailing CR is
 *        ignored).
 * @returns NULL, or WEIR_ERR_CSV saying what is wrong: not 4 fields, an
 *          empty or over-long id or category, a control character in
 *          them, a stock that is not an integer >= 0, a rating that is not
 *          a finite number.
 */
weir_error_t *rec_product_parse(const char *row, size_t len, rec_product_t *p);

/**
 * @brief Writes @p p as a canonical CSV row (fields quoted when needed),
 *        NUL-terminated, into @p buf of @p size bytes.
 * @returns the row's length, or -1 when it does not fit.
 */
int rec_product_format(const rec_product_t *p, char *buf, size_t size);

/**
 * @brief The order of product ids: ids that are non-negative decimal
 *        integers first, by value ("9" < "10"), then the others bytewise.
 * @returns <0, 0, >0 as strcmp.
 */
int rec_product_id_cmp(const char *a, const char *b);

/** @brief An in-memory inventory (latest row per product id). */
typedef struct rec_inventory_s rec_inventory_t;

/**
 * @brief Loads a CSV file. Bad rows are skipped, counted and logged
 *        through cfg's log callback with the file and line; a later row of
 *        the same id replaces an earlier one.
 * @returns the inventory, or NULL with *errp set (WEIR_ERR_IO).
 */
rec_inventory_t *rec_inventory_load(const char *path, const rec_config_t *cfg,
                                    weir_error_t **errp);

/** @brief An empty inventory (fill with rec_inventory_put()). */
rec_inventory_t *rec_inventory_new(void);

/** @brief Adds or replaces a product. */
weir_error_t *rec_inventory_put(rec_inventory_t *inv, const rec_product_t *p);

void rec_inventory_destroy(rec_inventory_t *inv);

/** @brief The product @p id, or NULL. Lives as long as @p inv. */
const rec_product_t *rec_inventory_get(const rec_inventory_t *inv,
                                       const char *id);

/** @brief Products, in id order (rec_product_id_cmp). */
size_t rec_inventory_count(const rec_inventory_t *inv);
const rec_product_t *rec_inventory_at(const rec_inventory_t *inv, size_t i);

/** @brief Rows skipped by rec_inventory_load(). */
uint64_t rec_inventory_bad_rows(const rec_inventory_t *inv);

#endif /* REC_INVENTORY_H */
