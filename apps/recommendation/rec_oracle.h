/**
 * @file rec_oracle.h
 * @brief The expected recommendations, computed directly from the
 *        generator's ground truth with the application's semantics, for
 *        end-to-end tests.
 *
 * The oracle replays the records in file order with one event-time clock,
 * as a single task would see them after the repartition: event time is
 * the largest timestamp of the valid records so far (clicks and sales
 * with a user_id and a known product); before a record is applied,
 * every window with end + grace <= event time closes (in window-end order,
 * then user id bytewise) and yields its recommendation; a click whose
 * window has closed is late. Invalid records are counted and skipped. The
 * ranking, history and format code is the application's own (rec_rank,
 * rec_history, rec_format); what the oracle checks independently is the
 * plumbing: re-keying, windows, event time, stores and their encodings.
 *
 * For input whose disorder stays within the grace (the generator's never
 * goes back in time), this is the output of the topology for any number
 * of partitions: compare as multisets, or sort both by (timestamp, key).
 * Windows that have not closed when the input ends are not emitted;
 * rec_oracle_flush() closes them too (an idle timeout at the end).
 */
#ifndef REC_ORACLE_H
#define REC_ORACLE_H

#include "rec_config.h"
#include "rec_groundtruth.h"
#include "rec_inventory.h"

/** @brief One expected output record. */
typedef struct rec_output_s {
    char *key;         /**< the user id */
    char *value;       /**< as rec_format_value() */
    int64_t timestamp; /**< the window end */
} rec_output_t;

typedef struct rec_oracle_stats_s {
    uint64_t clicks, sales;   /**< valid records applied */
    uint64_t late;            /**< clicks for a closed window */
    uint64_t unknown_product; /**< clicks and sales */
    uint64_t bad_user;        /**< missing or empty user_id */
    uint64_t windows_closed;  /**< == outputs */
} rec_oracle_stats_t;

typedef struct rec_oracle_s rec_oracle_t;

/**
 * @brief An oracle for @p cfg (borrowed) and the inventory @p inv
 *        (borrowed; both must outlive the oracle).
 */
rec_oracle_t *rec_oracle_new(const rec_config_t *cfg,
                             const rec_inventory_t *inv, weir_error_t **errp);

void rec_oracle_destroy(rec_oracle_t *o);

/** @brief Applies the next record of the ground truth. */
weir_error_t *rec_oracle_add(rec_oracle_t *o, const rec_gt_record_t *r);

/** @brief Closes every window still open. */
weir_error_t *rec_oracle_flush(rec_oracle_t *o);

/**
 * @brief Reads a ground-truth file and applies every line.
 * @returns NULL, or the first error (WEIR_ERR_IO, or a bad line prefixed
 *          with the file and line number).
 */
weir_error_t *rec_oracle_add_file(rec_oracle_t *o, const char *path);

/** @brief The outputs so far, in emission order; owned by the oracle. */
const rec_output_t *rec_oracle_outputs(const rec_oracle_t *o, size_t *cntp);

void rec_oracle_stats(const rec_oracle_t *o, rec_oracle_stats_t *stats);

/** @brief Sorts outputs by (timestamp, key, value), in place. */
void rec_outputs_sort(rec_output_t *outs, size_t cnt);

#endif /* REC_ORACLE_H */
