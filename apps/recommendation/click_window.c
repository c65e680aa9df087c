/*
 * click_window.c: what the DSL's windowed aggregation of clicks needs
 * from the app: the guard against answering a (user, window) twice, the
 * latest-click aggregate, and its serde.
 *
 * The window is the DSL's: clicks keyed by user, group_by_key,
 * windowed_by(tumbling recommend.window.ms, grace recommend.grace.ms),
 * aggregate into the window store "latest-clicks", final results only
 * (framework/topology/dsl_agg.c). So a window [start, end), start aligned
 * to the epoch, closes once the task's event-time progress (stream time,
 * which after a repartition is the minimum over the upstream tasks'
 * watermarks) reaches end + grace, and is emitted once, deleted from the
 * store in the same step (under exactly-once, in the same transaction as
 * the output and the history update); windows closed together come out
 * in window order (start, then user), the order the app always had. A
 * click whose window has closed by stream time is dropped and counted as
 * "late" by the DSL.
 *
 * The aggregate of a window is its latest click: its time, its product
 * and the product's category when it was clicked (from the inventory,
 * the global store, read through weir_dsl_context()). "Latest" is by
 * timestamp, and for two clicks of one user at the same millisecond by
 * the larger product id (rec_product_id_cmp), so the result does not
 * depend on the order in which the repartition topic interleaved them. A
 * click whose product has left the inventory since it was keyed is
 * refused with an error, for the processing handler, and does not count.
 *
 * The guard: a click is also late when the user's history (the store
 * "recent-recommendations" that recommend writes) already holds a window
 * ending at or after the end of this click's window. The rule is
 * persistent (the history is changelogged), so a task whose stream time
 * starts afresh after a restart cannot answer a (user, window) twice. It
 * runs before the aggregation, after the repartition, in the user's
 * task; a click it drops never reaches a window. (Under an unbroken
 * stream time it never fires where the DSL would not: a window closed
 * and answered has end + grace <= stream time, and so has any earlier
 * one.)
 *
 * Store format of the aggregate (rec_serde_click): a version byte (1),
 * the click's time as 8 bytes big-endian, the product id and the
 * category, each NUL-terminated (ids and categories never hold control
 * characters: rec_product_parse() refuses them).
 */
#include <stdlib.h>
#include <string.h>

#include "rec_history.h"
#include "rec_steps.h"
#include "rec_topology.h"

/* ---- the guard ---- */

/* The end of the last window answered for @p user (INT64_MIN: none). */
static weir_error_t *last_answered(weir_kv_store_t *recent, const char *user,
                                   size_t ulen, int64_t *endp)
{
    void *val = NULL;
    size_t vlen = 0;
    bool found = false;
    *endp = INT64_MIN;
    weir_error_t *err = weir_kv_store_get(recent, user, ulen, &val, &vlen,
                                          &found);
    if (err || !found)
        return err;
    rec_history_t *h = rec_history_decode(val, vlen, &err);
    weir_free(val);
    if (!h)
        return err;
    *endp = rec_history_last_end(h);
    rec_history_destroy(h);
    return NULL;
}

weir_error_t *rec_unanswered_click(void *ctx, const weir_record_t *rec,
                                   weir_emitter_t *em)
{
    const rec_config_t *cfg = ctx;
    weir_processor_context_t *pctx = weir_dsl_context();
    if (!rec->key || !rec->key_len || !rec->value)
        return rec_record_error(pctx, "click without user or product");
    int64_t ts = rec->timestamp;
    int64_t end = ts - ts % cfg->window_ms + cfg->window_ms;
    weir_kv_store_t *recent;
    int64_t answered = INT64_MIN;
    weir_error_t *err = weir_processor_kv_store(pctx, REC_STORE_RECENT,
                                                &recent);
    if (!err)
        err = last_answered(recent, rec->key, rec->key_len, &answered);
    if (err)
        return err;
    if (end <= answered) {
        weir_processor_count_dropped(pctx, "late");
        return NULL;
    }
    return weir_emit(em, rec->value, rec->value_len);
}

/* ---- the aggregate ---- */

static rec_click_t *click_new(void)
{
    rec_click_t *c = calloc(1, sizeof(*c)); /* freed by rec_serde_click */
    if (c)
        c->ts = INT64_MIN;
    return c;
}

weir_error_t *rec_no_click(void *ctx, void **aggp, size_t *agg_lenp)
{
    (void)ctx;
    rec_click_t *c = click_new();
    if (!c)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    *aggp = c;
    *agg_lenp = sizeof(*c);
    return NULL;
}

weir_error_t *rec_latest_click(void *ctx, const weir_record_t *rec,
                               const void *agg, size_t agg_len, void **newp,
                               size_t *new_lenp)
{
    (void)ctx;
    (void)agg_len;
    const rec_click_t *cur = agg;
    weir_processor_context_t *pctx = weir_dsl_context();
    rec_product_t p;
    weir_error_t *err = rec_record_product(pctx, "click", rec->key, rec->value,
                                           &p);
    if (err)
        return err;
    rec_click_t *c = click_new();
    if (!c)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    bool newer = cur->ts == INT64_MIN || rec->timestamp > cur->ts ||
                 (rec->timestamp == cur->ts &&
                  rec_product_id_cmp(p.id, cur->product_id) > 0);
    if (newer) {
        c->ts = rec->timestamp;
        memcpy(c->product_id, p.id, sizeof(c->product_id));
        memcpy(c->category, p.category, sizeof(c->category));
    } else {
        *c = *cur;
    }
    *newp = c;
    *new_lenp = sizeof(*c);
    return NULL;
}

/* ---- the serde ---- */

#define CLICK_VERSION 1

static weir_error_t *click_serialize(void *opaque, const char *topic,
                                     const void *obj, size_t obj_len,
                                     weir_buf_t *out)
{
    (void)opaque;
    (void)topic;
    const rec_click_t *c = obj;
    if (obj_len != sizeof(*c))
        return weir_error_new(WEIR_ERR_SERDE,
                              "latest click: object of %zu bytes, not %zu",
                              obj_len, sizeof(*c));
    size_t idlen = strnlen(c->product_id, sizeof(c->product_id));
    size_t catlen = strnlen(c->category, sizeof(c->category));
    if (idlen == sizeof(c->product_id) || catlen == sizeof(c->category))
        return weir_error_new(WEIR_ERR_SERDE,
                              "latest click: unterminated id or category");
    unsigned char head[9];
    head[0] = CLICK_VERSION;
    rec_put_be64(head + 1, c->ts);
    weir_error_t *err = weir_buf_append(out, head, sizeof(head));
    if (!err)
        err = weir_buf_append(out, c->product_id, idlen + 1);
    if (!err)
        err = weir_buf_append(out, c->category, catlen + 1);
    return err;
}

static weir_error_t *click_deserialize(void *opaque, const char *topic,
                                       const void *data, size_t len,
                                       void **objp, size_t *obj_lenp)
{
    (void)opaque;
    const unsigned char *b = data;
    /* version, time, then "<id>\0<category>\0" */
    if (len < 9 + 2 || b[0] != CLICK_VERSION || b[len - 1] != '\0')
        return weir_error_new(WEIR_ERR_SERDE,
                              "%s: not a latest click (version %d, %zu "
                              "bytes)",
                              topic ? topic : "latest click", len ? b[0] : -1,
                              len);
    const char *id = (const char *)b + 9;
    size_t idlen = strnlen(id, len - 9);
    const char *cat = id + idlen + 1;
    size_t catlen = len - 9 - idlen - 2;
    if (9 + idlen + 1 >= len || strlen(cat) != catlen ||
        idlen >= REC_FIELD_MAX || catlen >= REC_FIELD_MAX)
        return weir_error_new(WEIR_ERR_SERDE,
                              "%s: bad latest click (%zu bytes)",
                              topic ? topic : "latest click", len);
    rec_click_t *c = click_new();
    if (!c)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    c->ts = rec_get_be64(b + 1);
    memcpy(c->product_id, id, idlen);
    memcpy(c->category, cat, catlen);
    *objp = c;
    *obj_lenp = sizeof(*c);
    return NULL;
}

static void click_free(void *opaque, void *obj, size_t obj_len)
{
    (void)opaque;
    (void)obj_len;
    free(obj);
}

static const weir_serde_ops_t click_ops = {
    .name = "latest-click",
    .serialize = click_serialize,
    .deserialize = click_deserialize,
    .free_obj = click_free,
};

weir_serde_t *rec_serde_click(void)
{
    return weir_serde_new(&click_ops, NULL);
}
