/**
 * @file rec_rank.h
 * @brief The ranking: which products to recommend to a user who is
 *        viewing a product, as a pure function of its inputs.
 *
 * Candidates are the products of the viewed product's category with stock
 * > 0, except the viewed product itself. They are ordered by:
 * 1. not shown to this user within the repeat TTL first;
 * 2. bought before by this user first;
 * 3. rating, highest first (as numbers);
 * 4. product id, lowest first (rec_product_id_cmp()).
 * The first @c max are the recommendation.
 */
#ifndef REC_RANK_H
#define REC_RANK_H

#include "rec_inventory.h"

/** @brief One product as the ranking sees it. */
typedef struct rec_rank_item_s {
    const rec_product_t *product;
    bool shown_recently; /**< recommended within the repeat TTL */
    bool bought_before;  /**< bought by the user before the window's end */
} rec_rank_item_t;

/** @brief Whether @p p is a candidate when @p viewed is being viewed. */
bool rec_rank_is_candidate(const rec_product_t *p,
                           const rec_product_t *viewed);

/**
 * @brief Keeps the candidates among @p items (rec_rank_is_candidate()),
 *        sorts them in the order above and moves the best to the front.
 * @returns how many of them make the recommendation: min(candidates,
 *          @p max). items[0..returned) are the recommendation, in order.
 */
size_t rec_rank(rec_rank_item_t *items, size_t n, const rec_product_t *viewed,
                size_t max);

#endif /* REC_RANK_H */
