/*
 * proc_click_window.c: the 5-second tumbling event-time window of clicks
 * per user, with 1 second of grace (recommend.window.ms,
 * recommend.grace.ms).
 *
 * The window [start, end) of a click at ts has start = ts - ts % size,
 * aligned to the epoch. The store "click-windows" keeps, per (start,
 * user), only the latest click: its time and product and the product's
 * category when it was clicked. It is a key-value store with the key
 * "<start as 8 bytes big-endian><user>", not a window store: a window
 * store drops segments by retention relative to the newest window
 * written, and after a repartition the task's event time (the upstream
 * watermark) can lag the clicks it has read by any amount while it
 * catches up, so open windows would vanish before they close. Keys in
 * (start, user) order make closing one range scan, in a deterministic
 * order; closed windows are deleted, so the store holds only open ones.
 * (A window store whose time its owner advances with the watermark would
 * do too; a key-value store needs no such care.) "Latest" is by
 * timestamp, and for two clicks of one user at the same millisecond by
 * the larger product id
 * (rec_product_id_cmp), so the result does not depend on the order in
 * which the repartition topic interleaved them.
 *
 * A window closes once the task's event-time progress (stream time,
 * which after a repartition is the minimum over the upstream tasks'
 * watermarks) reaches end + grace. Closing runs before each click is
 * applied and from a 1 ms stream-time punctuation (so sales and
 * watermarks close windows too); closed windows are forwarded to
 * "recommend" in (start, user) order and deleted from the store in the
 * same transaction as the output and the history update, so after a
 * crash a window is either still open or gone with its answer written.
 *
 * Lateness: a click is dropped and counted as "late" when its window
 * has closed by stream time (end + grace <= stream time) or when the
 * user's history already holds a window ending at or after this one's
 * end. The second rule is persistent (the history is changelogged), so a
 * restarted task, whose stream time starts afresh, cannot answer a
 * (user, window) twice.
 */
#include <stdlib.h>
#include <string.h>

#include "rec_history.h"
#include "rec_processors.h"
#include "rec_topology.h"

typedef struct window_state_s {
    const rec_config_t *cfg;
    weir_kv_store_t *windows;
    weir_kv_store_t *recent;
    weir_kv_store_t *inventory;
    int64_t emitted; /* window starts <= this have been closed */
} window_state_t;

/* One open window, copied out of the store while closing. */
typedef struct pending_s {
    char *user;
    int64_t start;
    unsigned char *val;
    size_t val_len;
} pending_t;

static weir_error_t *window_init(weir_processor_context_t *pctx,
                                 void *opaque, void **statep)
{
    window_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->cfg = opaque;
    st->emitted = -1; /* event times are >= 0 */
    *statep = st;
    weir_error_t *err = weir_processor_kv_store(pctx, REC_STORE_WINDOWS,
                                                &st->windows);
    if (!err)
        err = weir_processor_kv_store(pctx, REC_STORE_RECENT, &st->recent);
    if (!err)
        err = weir_processor_kv_store(pctx, REC_STORE_INVENTORY,
                                      &st->inventory);
    if (!err)
        err = weir_processor_schedule(pctx, WEIR_PUNCTUATE_STREAM_TIME, 1, 0);
    return err;
}

static void pending_free(pending_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].user);
        free(v[i].val);
    }
    free(v);
}

/* Decodes a stored window value: be64 ts, id, NUL, category. */
static bool decode_value(const unsigned char *val, size_t len,
                         int64_t *tsp, const char **idp,
                         const char **catp)
{
    if (len < 8 + 1 + 1 || val[len - 1] != '\0')
        return false;
    const char *id = (const char *)val + 8;
    size_t idlen = strnlen(id, len - 8);
    if (8 + idlen + 1 >= len)
        return false;
    *tsp = rec_get_be64(val);
    *idp = id;
    *catp = id + idlen + 1;
    return true;
}

/* "<start be64><user>" into @p key (8 + REC_USER_MAX bytes). */
static size_t window_key(int64_t start, const char *user, size_t ulen,
                         unsigned char *key)
{
    rec_put_be64(key, start);
    memcpy(key + 8, user, ulen);
    return 8 + ulen;
}

static weir_error_t *forward_closed(weir_processor_context_t *pctx,
                                    window_state_t *st, const pending_t *pw)
{
    int64_t ts;
    const char *id, *cat;
    if (!decode_value(pw->val, pw->val_len, &ts, &id, &cat))
        return weir_error_new(WEIR_ERR_STORE,
                              "store %s: bad value for user '%s' window %lld",
                              REC_STORE_WINDOWS, pw->user,
                              (long long)pw->start);
    rec_closed_window_t cw = {pw->start, pw->start + st->cfg->window_ms, ts,
                              id, cat};
    weir_record_t out = {pw->user, strlen(pw->user), &cw, sizeof(cw), cw.end,
                         NULL};
    weir_error_t *err = weir_processor_forward(pctx, &out);
    if (!err) {
        unsigned char key[8 + REC_USER_MAX];
        size_t klen = window_key(pw->start, pw->user, strlen(pw->user), key);
        err = weir_kv_store_delete(st->windows, key, klen);
    }
    return err;
}

/* Closes every window whose end + grace the stream time has reached. */
static weir_error_t *close_due(weir_processor_context_t *pctx,
                               window_state_t *st)
{
    const rec_config_t *cfg = st->cfg;
    int64_t now = weir_processor_stream_time(pctx);
    if (now == INT64_MIN)
        return NULL;
    int64_t bound = now - cfg->grace_ms - cfg->window_ms;
    if (bound <= st->emitted)
        return NULL;
    /* Starts are >= 0, so big-endian keys sort by start: the closed
     * windows are the keys in [from, bound + 1). */
    unsigned char from[8], to[8];
    rec_put_be64(from, st->emitted + 1);
    rec_put_be64(to, bound + 1);
    weir_kv_iter_t *it = NULL;
    weir_error_t *err = weir_kv_store_range(st->windows, from, 8, true, to,
                                            8, false, &it);
    pending_t *v = NULL;
    size_t n = 0, cap = 0;
    for (; !err && weir_kv_iter_valid(it); weir_kv_iter_next(it)) {
        size_t klen, vlen;
        const unsigned char *k = weir_kv_iter_key(it, &klen);
        const void *val = weir_kv_iter_value(it, &vlen);
        if (klen <= 8) {
            err = weir_error_new(WEIR_ERR_STORE, "store %s: bad key",
                                 REC_STORE_WINDOWS);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            pending_t *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        pending_t *pw = &v[n];
        pw->user = strndup((const char *)k + 8, klen - 8);
        pw->val = malloc(vlen ? vlen : 1);
        pw->val_len = vlen;
        pw->start = rec_get_be64(k);
        n++;
        if (!pw->user || !pw->val) {
            err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(pw->val, val, vlen);
    }
    if (!err && it && weir_kv_iter_error(it))
        err = weir_error_new(weir_error_code(weir_kv_iter_error(it)),
                             "store %s: %s", REC_STORE_WINDOWS,
                             weir_error_string(weir_kv_iter_error(it)));
    weir_kv_iter_close(it);
    for (size_t i = 0; !err && i < n; i++)
        err = forward_closed(pctx, st, &v[i]);
    pending_free(v, n);
    if (!err)
        st->emitted = bound;
    return err;
}

/* The end of the last window answered for @p user (INT64_MIN: none). */
static weir_error_t *last_answered(window_state_t *st, const char *user,
                                   size_t ulen, int64_t *endp)
{
    void *val = NULL;
    size_t vlen = 0;
    bool found = false;
    *endp = INT64_MIN;
    weir_error_t *err = weir_kv_store_get(st->recent, user, ulen, &val,
                                          &vlen, &found);
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

static weir_error_t *window_process(weir_processor_context_t *pctx,
                                    void *state, const weir_record_t *rec)
{
    window_state_t *st = state;
    const rec_config_t *cfg = st->cfg;
    weir_error_t *err = close_due(pctx, st);
    if (err)
        return err;
    if (!rec->key || !rec->value || !rec->key_len)
        return rec_record_error(pctx, "click without user or product");
    const char *user = rec->key, *product = rec->value;
    rec_product_t p;
    bool found = false;
    err = rec_store_get_product(st->inventory, product, &p, &found);
    if (err)
        return err;
    if (!found)
        return rec_record_error(pctx,
                                "click of user '%s': unknown product_id '%s'",
                                user, product);
    int64_t ts = rec->timestamp;
    int64_t start = ts - ts % cfg->window_ms;
    int64_t end = start + cfg->window_ms;
    int64_t now = weir_processor_stream_time(pctx);
    int64_t answered;
    err = last_answered(st, user, rec->key_len, &answered);
    if (err)
        return err;
    if (end + cfg->grace_ms <= now || end <= answered) {
        weir_processor_record_dropped(pctx, "late");
        if (cfg->stats)
            atomic_fetch_add(&cfg->stats->late_clicks, 1);
        return NULL;
    }
    if (rec->key_len > REC_USER_MAX)
        return rec_record_error(pctx, "user_id longer than %d bytes",
                                REC_USER_MAX);
    unsigned char key[8 + REC_USER_MAX];
    size_t klen = window_key(start, user, rec->key_len, key);
    void *old = NULL;
    size_t old_len = 0;
    err = weir_kv_store_get(st->windows, key, klen, &old, &old_len, &found);
    if (err)
        return err;
    if (found) {
        int64_t ots;
        const char *oid, *ocat;
        bool newer = !decode_value(old, old_len, &ots, &oid, &ocat) ||
                     ts > ots ||
                     (ts == ots && rec_product_id_cmp(p.id, oid) > 0);
        weir_free(old);
        if (!newer)
            return NULL;
    }
    size_t idlen = strlen(p.id), catlen = strlen(p.category);
    unsigned char val[8 + 2 * REC_FIELD_MAX + 2];
    rec_put_be64(val, ts);
    memcpy(val + 8, p.id, idlen + 1);
    memcpy(val + 8 + idlen + 1, p.category, catlen + 1);
    return weir_kv_store_put(st->windows, key, klen, val,
                             8 + idlen + 1 + catlen + 1);
}

static weir_error_t *window_punctuate(weir_processor_context_t *pctx,
                                      void *state,
                                      weir_punctuation_type_t type,
                                      int64_t timestamp, int tag)
{
    (void)type;
    (void)timestamp;
    (void)tag;
    return close_due(pctx, state);
}

static void window_close(void *state, void *opaque)
{
    (void)opaque;
    free(state);
}

const weir_processor_ops_t rec_click_window_ops = {
    .init = window_init,
    .process = window_process,
    .punctuate = window_punctuate,
    .close = window_close,
};
