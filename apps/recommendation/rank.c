/*
 * rank.c: the ranking of candidate products (see rec_rank.h).
 *
 * A pure function: the caller looks up what it needs (the category's
 * products, whether each was shown recently, whether the user bought it
 * before the window's end) and this file only filters and orders. The
 * order is total (the product id breaks every tie, and ids are unique),
 * so the result does not depend on the order of the input, which is what
 * makes the output a function of the input records.
 */
#include <stdlib.h>
#include <string.h>

#include "rec_rank.h"

bool rec_rank_is_candidate(const rec_product_t *p, const rec_product_t *viewed)
{
    return p->stock > 0 && !strcmp(p->category, viewed->category) &&
           strcmp(p->id, viewed->id) != 0;
}

static int item_cmp(const void *va, const void *vb)
{
    const rec_rank_item_t *a = va, *b = vb;
    if (a->shown_recently != b->shown_recently)
        return a->shown_recently ? 1 : -1; /* not shown first */
    if (a->bought_before != b->bought_before)
        return a->bought_before ? -1 : 1; /* bought first */
    if (a->product->rating != b->product->rating)
        return a->product->rating > b->product->rating ? -1 : 1;
    return rec_product_id_cmp(a->product->id, b->product->id);
}

size_t rec_rank(rec_rank_item_t *items, size_t n, const rec_product_t *viewed,
                size_t max)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (rec_rank_is_candidate(items[i].product, viewed))
            items[kept++] = items[i];
    if (kept > 1)
        qsort(items, kept, sizeof(*items), item_cmp);
    return kept < max ? kept : max;
}
