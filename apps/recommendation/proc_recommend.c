/*
 * proc_recommend.c: record-purchase and recommend, the two processors
 * that share the per-user purchases store. They stay processors (in the
 * DSL chain through weir_kstream_process()) because they are steps over
 * several stores with no DSL shape: a keyed minimum under a composite
 * key, and a ranking that reads the inventory's category index, the
 * purchases and the history and writes the history back.
 *
 * record-purchase keeps, for each (user, product), the earliest time the
 * user bought it ("purchases": key "<user>\0<product>", value the time as
 * 8 bytes big-endian). Keeping the minimum makes the store independent of
 * the order in which sales arrive; recommend then asks "bought before the
 * window's end?" by event time, not by arrival, so a sale that arrives
 * after a click but carries an earlier timestamp counts, and one that
 * arrives first but is stamped after the window's end does not.
 *
 * recommend receives each closed window from the DSL's windowed
 * aggregation (key: the user's weir_windowed_key_t; value: the window's
 * latest click, rec_click_t): the product being viewed and its category
 * when it was clicked. It scans the category's products in the
 * inventory (one prefix scan of the global store's category index),
 * marks each as shown recently (the user's
 * history in "recent-recommendations", within recommend.repeat.ttl.ms)
 * and bought before, ranks them (rec_rank), writes the output record
 * (key the user, value as rec_format_value(), timestamp the window end)
 * and records the window in the history. Every window that closes gets
 * exactly one record, with an empty list when the category has nothing
 * else in stock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_format.h"
#include "rec_history.h"
#include "rec_rank.h"
#include "rec_steps.h"
#include "rec_topology.h"

/* ---- record-purchase ---- */

typedef struct purchase_state_s {
    weir_kv_store_t *purchases;
} purchase_state_t;

static weir_error_t *purchase_init(weir_processor_context_t *pctx,
                                   void *opaque, void **statep)
{
    (void)opaque;
    purchase_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    *statep = st;
    return weir_processor_kv_store(pctx, REC_STORE_PURCHASES, &st->purchases);
}

/* "<user>\0<product>" into a malloc()ed buffer. */
static char *purchase_key(const char *user, size_t ulen, const char *product,
                          size_t *lenp)
{
    size_t plen = strlen(product);
    char *k = malloc(ulen + 1 + plen);
    if (!k)
        return NULL;
    memcpy(k, user, ulen);
    k[ulen] = '\0';
    memcpy(k + ulen + 1, product, plen);
    *lenp = ulen + 1 + plen;
    return k;
}

static weir_error_t *purchase_process(weir_processor_context_t *pctx,
                                      void *state, const weir_record_t *rec)
{
    purchase_state_t *st = state;
    if (!rec->key || !rec->value || !rec->key_len)
        return rec_record_error(pctx, "sale without user or product");
    size_t klen;
    char *key = purchase_key(rec->key, rec->key_len, rec->value, &klen);
    if (!key)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    void *old = NULL;
    size_t old_len = 0;
    bool found = false;
    weir_error_t *err = weir_kv_store_get(st->purchases, key, klen, &old,
                                          &old_len, &found);
    bool earlier = !err && (!found || old_len != 8 ||
                            rec->timestamp < rec_get_be64(old));
    if (earlier) {
        unsigned char ts[8];
        rec_put_be64(ts, rec->timestamp);
        err = weir_kv_store_put(st->purchases, key, klen, ts, sizeof(ts));
    }
    weir_free(old);
    free(key);
    return err;
}

static void free_state(void *state, void *opaque)
{
    (void)opaque;
    free(state);
}

const weir_processor_ops_t rec_purchase_ops = {
    .init = purchase_init,
    .process = purchase_process,
    .close = free_state,
};

/* ---- recommend ---- */

typedef struct recommend_state_s {
    const rec_config_t *cfg;
    weir_kv_store_t *purchases;
    weir_kv_store_t *recent;
    weir_kv_store_t *inventory;
} recommend_state_t;

static weir_error_t *recommend_init(weir_processor_context_t *pctx,
                                    void *opaque, void **statep)
{
    recommend_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->cfg = opaque;
    *statep = st;
    weir_error_t *err = weir_processor_kv_store(pctx, REC_STORE_PURCHASES,
                                                &st->purchases);
    if (!err)
        err = weir_processor_kv_store(pctx, REC_STORE_RECENT, &st->recent);
    if (!err)
        err = weir_processor_kv_store(pctx, REC_STORE_INVENTORY,
                                      &st->inventory);
    return err;
}

/* The products of @p category, from the global store's index. */
static weir_error_t *category_products(recommend_state_t *st,
                                       const char *category,
                                       rec_product_t **vp, size_t *np)
{
    char prefix[REC_FIELD_MAX + 8];
    size_t plen = rec_inventory_category_key(category, NULL, prefix,
                                             sizeof(prefix));
    *vp = NULL;
    *np = 0;
    if (!plen)
        return NULL;
    weir_kv_iter_t *it = NULL;
    weir_error_t *err = weir_kv_store_prefix_scan(st->inventory, prefix, plen,
                                                  &it);
    rec_product_t *v = NULL;
    size_t n = 0, cap = 0;
    for (; !err && weir_kv_iter_valid(it); weir_kv_iter_next(it)) {
        size_t vlen;
        const void *val = weir_kv_iter_value(it, &vlen);
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            rec_product_t *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        err = rec_product_parse(val, vlen, &v[n]);
        if (err)
            err = weir_error_prefix(err, "store %s: ", REC_STORE_INVENTORY);
        else
            n++;
    }
    if (!err && it && weir_kv_iter_error(it))
        err = weir_error_new(weir_error_code(weir_kv_iter_error(it)),
                             "store %s: %s", REC_STORE_INVENTORY,
                             weir_error_string(weir_kv_iter_error(it)));
    weir_kv_iter_close(it);
    if (err) {
        free(v);
        return err;
    }
    *vp = v;
    *np = n;
    return NULL;
}

static weir_error_t *bought_before(recommend_state_t *st, const char *user,
                                   size_t ulen, const char *product,
                                   int64_t window_end, bool *boughtp)
{
    size_t klen;
    char *key = purchase_key(user, ulen, product, &klen);
    if (!key)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    void *val = NULL;
    size_t vlen = 0;
    bool found = false;
    weir_error_t *err = weir_kv_store_get(st->purchases, key, klen, &val,
                                          &vlen, &found);
    *boughtp = !err && found && vlen == 8 && rec_get_be64(val) < window_end;
    weir_free(val);
    free(key);
    return err;
}

static weir_error_t *load_history(recommend_state_t *st, const char *user,
                                  size_t ulen, rec_history_t **hp)
{
    void *val = NULL;
    size_t vlen = 0;
    bool found = false;
    weir_error_t *err = weir_kv_store_get(st->recent, user, ulen, &val, &vlen,
                                          &found);
    if (err)
        return err;
    if (found) {
        *hp = rec_history_decode(val, vlen, &err);
        weir_free(val);
        return err;
    }
    *hp = rec_history_new();
    return *hp ? NULL : weir_error_new(WEIR_ERR_NOMEM, "out of memory");
}

static weir_error_t *recommend_process(weir_processor_context_t *pctx,
                                       void *state, const weir_record_t *rec)
{
    recommend_state_t *st = state;
    const rec_config_t *cfg = st->cfg;
    const weir_windowed_key_t *wk = rec->key;
    const rec_click_t *click = rec->value;
    if (!wk || !wk->key || !click)
        return rec_record_error(pctx, "closed window without user or click");
    const char *user = wk->key;
    size_t ulen = wk->key_len;
    int64_t end = wk->end;
    rec_product_t viewed = {0};
    snprintf(viewed.id, sizeof(viewed.id), "%s", click->product_id);
    snprintf(viewed.category, sizeof(viewed.category), "%s", click->category);

    rec_product_t *products = NULL;
    size_t n = 0;
    rec_history_t *h = NULL;
    rec_rank_item_t *items = NULL;
    const char **ids = NULL;
    char *value = NULL, *hist = NULL;
    size_t hist_len = 0;
    weir_error_t *err = category_products(st, viewed.category, &products, &n);
    if (!err)
        err = load_history(st, user, ulen, &h);
    if (!err && n) {
        items = calloc(n, sizeof(*items));
        ids = calloc(n, sizeof(*ids));
        if (!items || !ids)
            err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; !err && i < n; i++) {
        items[i].product = &products[i];
        /* Only candidates need the lookups. */
        if (!rec_rank_is_candidate(&products[i], &viewed))
            continue;
        items[i].shown_recently = rec_history_shown(h, products[i].id, end,
                                                    cfg->repeat_ttl_ms);
        err = bought_before(st, user, ulen, products[i].id, end,
                            &items[i].bought_before);
    }
    size_t k = 0;
    if (!err) {
        k = rec_rank(items, n, &viewed, (size_t)cfg->count);
        for (size_t i = 0; i < k; i++)
            ids[i] = items[i].product->id;
        value = rec_format_value(user, ids, k, end);
        if (!value)
            err = weir_error_new(WEIR_ERR_NOMEM,
                                 "recommendation for '%s': out of memory",
                                 user);
    }
    if (!err)
        err = rec_history_add(h, end, ids, k, cfg->repeat_ttl_ms);
    if (!err)
        err = rec_history_encode(h, &hist, &hist_len);
    if (!err)
        err = weir_kv_store_put(st->recent, user, ulen, hist, hist_len);
    if (!err) {
        weir_record_t out = {.key = user,
                             .key_len = ulen,
                             .value = value,
                             .value_len = strlen(value),
                             .timestamp = end};
        err = weir_processor_forward(pctx, &out);
    }
    if (!err && cfg->stats)
        atomic_fetch_add(&cfg->stats->windows_closed, 1);
    if (!err && cfg->on_output)
        cfg->on_output(cfg->output_opaque, user, value, end);
    free(hist);
    free(value);
    free(ids);
    free(items);
    rec_history_destroy(h);
    free(products);
    return err;
}

const weir_processor_ops_t rec_recommend_ops = {
    .init = recommend_init,
    .process = recommend_process,
    .close = free_state,
};
