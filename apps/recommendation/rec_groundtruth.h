/**
 * @file rec_groundtruth.h
 * @brief The records the data generator produces, and the ground-truth
 *        file it writes of them: one line per record, tab-separated,
 *
 *     <topic> <timestamp> <key> <user_id> <product_id> (click) <topic>
 * <timestamp> <key> <user_id> <product_id> <invoice_id> <quantity> <unit_cost>
 * (sale)
 *
 * in the order they were produced. Fields never contain tabs or newlines.
 */
#ifndef REC_GROUNDTRUTH_H
#define REC_GROUNDTRUTH_H

#include <stdio.h>

#include <weir/error.h>

#define REC_GT_FIELD_MAX 64

typedef enum rec_gt_kind_e {
    REC_GT_CLICK = 0,
    REC_GT_SALE = 1
} rec_gt_kind_t;

typedef struct rec_gt_record_s {
    rec_gt_kind_t kind;
    int64_t timestamp; /**< the Kafka record timestamp, ms */
    char key[REC_GT_FIELD_MAX];
    char user_id[REC_GT_FIELD_MAX];
    char product_id[REC_GT_FIELD_MAX];
    char invoice_id[REC_GT_FIELD_MAX]; /**< sales only */
    char quantity[REC_GT_FIELD_MAX];
    char unit_cost[REC_GT_FIELD_MAX];
} rec_gt_record_t;

/** @brief Writes one line for @p r sent to @p topic. */
weir_error_t *rec_gt_write(FILE *f, const char *topic,
                           const rec_gt_record_t *r);

/**
 * @brief Parses one line (without or with its newline).
 * @param clicks_topic,sales_topic tell the kinds apart.
 * @returns NULL, or WEIR_ERR_INVALID_ARG naming what is wrong (unknown
 *          topic, wrong field count, bad timestamp, over-long field).
 */
weir_error_t *rec_gt_parse(const char *line, const char *clicks_topic,
                           const char *sales_topic, rec_gt_record_t *r);

#endif /* REC_GROUNDTRUTH_H */
