/**
 * @file rec_gen.h
 * @brief The data generator's record sequence: the seed's traffic shape
 *        (users user-0..user-99, products 0..199, one click and 100 sales
 *        per second), deterministic for a given seed and start time, with
 *        no Kafka. Producing it is rec_datagen.h's job.
 *
 * Clicks are spaced 1000 / clicks_per_sec ms apart in event time, sales
 * 1000 / sales_per_sec ms apart, both from start_ms; the two sequences
 * are merged by timestamp (a click first on a tie), so timestamps never
 * decrease. Fields are drawn from a splitmix64 generator in that merged
 * order. The key of every record is its timestamp as a decimal string
 * (the seed's producer uses the current time in ms).
 */
#ifndef REC_GEN_H
#define REC_GEN_H

#include "rec_groundtruth.h"

typedef struct rec_gen_opts_s {
    uint64_t seed;
    int64_t start_ms;      /**< event time of the first records */
    double clicks_per_sec; /**< 0: no clicks */
    double sales_per_sec;  /**< 0: no sales */
    int users;             /**< user-0 .. user-(users-1) */
    int products;          /**< 0 .. products-1 */
    /** Every Nth click has product "unknown-<n>" (0: never), to exercise
     *  the dead-letter path. */
    uint64_t unknown_product_every;
} rec_gen_opts_t;

/** @brief The seed's defaults: seed 1, 1 click/s, 100 sales/s, 100
 *         users, 200 products; start_ms 0 (set it). */
void rec_gen_opts_default(rec_gen_opts_t *opts);

typedef struct rec_gen_s rec_gen_t;

/** @brief WEIR_ERR_INVALID_ARG for negative rates, both rates 0, or no
 *         users or products. */
rec_gen_t *rec_gen_new(const rec_gen_opts_t *opts, weir_error_t **errp);

void rec_gen_destroy(rec_gen_t *gen);

/** @brief The next record, in timestamp order. */
void rec_gen_next(rec_gen_t *gen, rec_gt_record_t *r);

/** @brief The timestamp rec_gen_next() will give next. */
int64_t rec_gen_peek_time(const rec_gen_t *gen);

#endif /* REC_GEN_H */
