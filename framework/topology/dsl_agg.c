/*
 * dsl_agg.c: grouping, windows and aggregations (count, reduce,
 * aggregate), plain and windowed by time (tumbling, hopping). Session and
 * sliding windows have processors of their own (dsl_session.c,
 * dsl_sliding.c) made of the pieces shared here: the fold of a record
 * into an aggregate, the forwarding of a final result, window-store
 * writes deferred past a scan, and the node and store set-up
 * (weir__agg_add()), which sizes each kind of window store.
 *
 * Aggregates live in the store as bytes: the key serialized with the
 * grouped stream's key serde, the aggregate with the aggregate serde,
 * both for the topic name "<store>-changelog" (what Kafka Streams hands
 * its serdes for store contents). Each update reads, folds, writes back
 * and, for a plain aggregation, forwards the new aggregate (a table that
 * emits every update).
 *
 * Windowed aggregations keep one entry per (key, window start) in a window
 * store whose retention is size + grace. A record goes into every window
 * that contains it ([start, start + size), starts aligned to the epoch by
 * the advance, as Kafka Streams' TimeWindows.windowsFor), except windows
 * already closed: end + grace <= stream time. A record that fits no open
 * window is dropped and counted as "late".
 *
 * Final results: windows with start <= stream time - grace - size are
 * closed. Whenever stream time moves, the processor fetches the closed
 * windows, forwards each one's result in window order (start, then key
 * bytes, as Kafka Streams' emit-on-close does) and deletes it from the
 * store, in the same task step (so, under exactly-once, in the same
 * transaction as the output). A window in the store is therefore always one
 * whose final result has not been emitted, and a late record never reopens a
 * closed window, so each (key, window) is emitted exactly once, across
 * restarts too, with no state besides the store. The processor also remembers
 * the largest start it has emitted up to, so that each scan starts there
 * (after a restart it scans from 0 once).
 * This runs before a record updates the store (so a jump of stream time
 * cannot expire unemitted windows: a window expires only once a start
 * size + grace later was written, i.e. once it is closed) and from a
 * stream-time punctuation of 1 ms (so event-time progress that does not
 * come with a record, such as the runtime's watermarks, closes windows
 * too).
 *
 * The price: closed windows cannot be read from the store afterwards (by
 * interactive queries); their results are in the output topic. With
 * WEIR_EMIT_ON_UPDATE nothing is deleted and windows live out their
 * retention, as in Kafka Streams.
 *
 * Restarts: which records are late depends on stream time, so an owner
 * that restarts a task should restore the committed stream time
 * (weir__task_advance_stream_time()) before the first record, as Kafka
 * Streams restores partition time from the committed offset metadata;
 * otherwise a replayed record that was late before the crash may be
 * counted now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "dsl_int.h"

weir_time_windows_t weir_tumbling_windows(int64_t size_ms, int64_t grace_ms)
{
    return weir_hopping_windows(size_ms, size_ms, grace_ms);
}

weir_time_windows_t weir_hopping_windows(int64_t size_ms, int64_t advance_ms,
                                         int64_t grace_ms)
{
    return (weir_time_windows_t){.size_ms = size_ms,
                                 .advance_ms = advance_ms,
                                 .grace_ms = grace_ms,
                                 .emit = WEIR_EMIT_ON_WINDOW_CLOSE};
}

weir_kgrouped_t *weir_kstream_group_by_key(weir_kstream_t *s)
{
    if (!s)
        return NULL;
    weir__dsl_t *h = weir__dsl_new(
        s->h.topo, s->h.node, weir__serde_ref_or_null(s->h.ks),
        weir__serde_ref_or_null(s->h.vs), sizeof(weir_kgrouped_t));
    if (h)
        h->repartition = s->h.repartition;
    return (weir_kgrouped_t *)h;
}

weir_kwindowed_t *weir_kgrouped_windowed_by(weir_kgrouped_t *g,
                                            weir_time_windows_t w)
{
    if (!g || !weir__dsl_windows_reserved_ok(&g->h, "windowed_by", w.reserved,
                                             WEIR__COUNT_OF(w.reserved)))
        return NULL;
    if (w.size_ms <= 0 || w.advance_ms <= 0 || w.advance_ms > w.size_ms ||
        w.grace_ms < 0 ||
        (w.retention_ms != 0 && w.retention_ms < w.size_ms + w.grace_ms) ||
        (w.emit != WEIR_EMIT_ON_WINDOW_CLOSE &&
         w.emit != WEIR_EMIT_ON_UPDATE)) {
        weir__topology_fail(g->h.topo, WEIR_ERR_TOPOLOGY,
                            "windowed_by after '%s': invalid windows (size "
                            "%lld, advance %lld, grace %lld, retention %lld "
                            "ms)",
                            g->h.node, (long long)w.size_ms,
                            (long long)w.advance_ms, (long long)w.grace_ms,
                            (long long)w.retention_ms);
        return NULL;
    }
    weir__dsl_t *h = weir__agg_windowed(&g->h, WEIR__WIN_TIME,
                                        sizeof(weir_kwindowed_t));
    if (h)
        h->win = w;
    return (weir_kwindowed_t *)h;
}

bool weir__dsl_windows_reserved_ok(const weir__dsl_t *g, const char *op,
                                   const int64_t *reserved, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!reserved[i])
            continue;
        weir__topology_fail(g->topo, WEIR_ERR_TOPOLOGY,
                            "%s after '%s': the windows' reserved fields are "
                            "not zero (make them with their constructor or "
                            "an initializer, then set fields by name)",
                            op, g->node);
        return false;
    }
    return true;
}

weir__dsl_t *weir__agg_windowed(const weir__dsl_t *g, weir__win_kind_t kind,
                                size_t size)
{
    weir__dsl_t *h = weir__dsl_new(g->topo, g->node,
                                   weir__serde_ref_or_null(g->ks),
                                   weir__serde_ref_or_null(g->vs), size);
    if (h) {
        h->repartition = g->repartition;
        h->wkind = kind;
    }
    return h;
}

/* ---- the aggregation processor ---- */

typedef weir__agg_cfg_t agg_cfg_t;

typedef struct agg_state_s {
    const agg_cfg_t *cfg;
    weir_kv_store_t *kv;
    weir_window_store_t *ws;
    /* Windows with start <= emitted were emitted (and deleted);
     * INT64_MIN: none yet in this task's life. */
    int64_t emitted;
} agg_state_t;

static void agg_cfg_free(void *p)
{
    agg_cfg_t *cfg = p;
    weir_serde_destroy(cfg->ks);
    weir_serde_destroy(cfg->as);
    weir__free(cfg->store);
    weir__free(cfg->topic);
}

static weir_error_t *agg_init(weir_processor_context_t *pctx, void *opaque,
                              void **statep)
{
    const agg_cfg_t *cfg = opaque;
    agg_state_t *st = weir__calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->cfg = cfg;
    st->emitted = INT64_MIN;
    weir_error_t *err;
    if (cfg->wkind == WEIR__WIN_TIME) {
        err = weir_processor_window_store(pctx, cfg->store, &st->ws);
        /* Retention follows stream time, not the largest window written
         * (the store is declared so, and opened in that mode; this makes
         * sure of it for any owner). */
        if (!err)
            weir_window_store_set_owner_time(st->ws, true);
        if (!err && cfg->win.emit == WEIR_EMIT_ON_WINDOW_CLOSE)
            err = weir_processor_schedule(pctx, WEIR_PUNCTUATE_STREAM_TIME, 1,
                                          0);
    } else {
        err = weir_processor_kv_store(pctx, cfg->store, &st->kv);
    }
    if (err) {
        weir__free(st);
        return err;
    }
    *statep = st;
    return NULL;
}

static void agg_close(void *state, void *opaque)
{
    (void)opaque;
    weir__free(state);
}

weir_error_t *weir__wagg_init(weir_processor_context_t *pctx, void *opaque,
                              void **statep)
{
    weir__wagg_state_t *st = weir__calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->cfg = opaque;
    st->emitted = INT64_MIN;
    weir_error_t *err = weir_processor_window_store(pctx, st->cfg->store,
                                                    &st->ws);
    if (!err) {
        /* Expiry follows stream time, as for time windows. */
        weir_window_store_set_owner_time(st->ws, true);
        err = weir_processor_schedule(pctx, WEIR_PUNCTUATE_STREAM_TIME, 1, 0);
    }
    if (err) {
        weir__free(st);
        return err;
    }
    *statep = st;
    return NULL;
}

void weir__wagg_close(void *state, void *opaque)
{
    agg_close(state, opaque);
}

weir_error_t *weir__wagg_scan_done(weir__wagg_state_t *st,
                                   weir_window_iter_t *it, weir__wwrites_t *w,
                                   weir_error_t *err, int64_t bound,
                                   int64_t now)
{
    if (!err)
        err = weir__agg_iter_error(st->cfg, it);
    weir_window_iter_close(it);
    /* Written after the scan: iterators do not survive writes. */
    err = weir__wwrites_apply(w, st->ws, err);
    if (!err) {
        st->emitted = bound;
        err = weir_window_store_advance_time(st->ws, now);
    }
    return err;
}

weir_error_t *weir__agg_fold_obj(const weir__agg_cfg_t *cfg,
                                 const weir_record_t *rec, const void *cur,
                                 size_t cur_len, void **newp, size_t *new_lenp,
                                 bool *borrowedp)
{
    weir_error_t *err = NULL;
    *borrowedp = false;
    *newp = NULL;
    *new_lenp = 0;
    switch (cfg->kind) {
    case WEIR__AGG_COUNT: {
        int64_t *n = malloc(sizeof(*n)); /* freed by the int64 serde */
        if (!n)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        *n = (cur ? *(const int64_t *)cur : 0) + 1;
        *newp = n;
        *new_lenp = sizeof(*n);
        break;
    }
    case WEIR__AGG_REDUCE:
        if (!cur) {
            *newp = (void *)rec->value;
            *new_lenp = rec->value_len;
            *borrowedp = true;
        } else {
            err = cfg->reduce(cfg->ctx, cur, cur_len, rec, newp, new_lenp);
        }
        break;
    case WEIR__AGG_AGGREGATE: {
        if (cur)
            return cfg->agg(cfg->ctx, rec, cur, cur_len, newp, new_lenp);
        void *first = NULL;
        size_t first_len = 0;
        err = cfg->init(cfg->ctx, &first, &first_len);
        if (!err)
            err = cfg->agg(cfg->ctx, rec, first, first_len, newp, new_lenp);
        weir_serde_free_obj(cfg->as, first, first_len);
        break;
    }
    }
    return err;
}

weir_error_t *weir__agg_fold(const weir__agg_cfg_t *cfg,
                             const weir_record_t *rec, const void *old,
                             size_t old_len, void **newp, size_t *new_lenp,
                             bool *borrowedp)
{
    void *cur = NULL;
    size_t cur_len = 0;
    *borrowedp = false;
    *newp = NULL;
    *new_lenp = 0;
    if (old) {
        weir_error_t *err = weir_serde_deserialize(cfg->as, cfg->topic, old,
                                                   old_len, &cur, &cur_len);
        if (err)
            return err;
    }
    weir_error_t *err = weir__agg_fold_obj(cfg, rec, cur, cur_len, newp,
                                           new_lenp, borrowedp);
    weir_serde_free_obj(cfg->as, cur, cur_len);
    return err;
}

void weir__agg_free(const weir__agg_cfg_t *cfg, void *obj, size_t len,
                    bool borrowed)
{
    if (!borrowed)
        weir_serde_free_obj(cfg->as, obj, len);
}

weir_error_t *weir__agg_forward_final(weir_processor_context_t *pctx,
                                      const weir__agg_cfg_t *cfg,
                                      const void *kbytes, size_t klen,
                                      const void *abytes, size_t alen,
                                      int64_t start, int64_t end, int64_t ts)
{
    weir_windowed_key_t wk = {NULL, 0, start, end};
    void *agg = NULL;
    size_t agg_len = 0;
    /* Zero bytes are still a key or an aggregate, not Kafka's null. */
    weir_error_t *err = weir_serde_deserialize(
        cfg->ks, cfg->topic, klen ? kbytes : "", klen, &wk.key, &wk.key_len);
    if (!err)
        err = weir_serde_deserialize(cfg->as, cfg->topic, alen ? abytes : "",
                                     alen, &agg, &agg_len);
    if (!err) {
        weir_record_t out = {.key = &wk,
                             .key_len = sizeof(wk),
                             .value = agg,
                             .value_len = agg_len,
                             .timestamp = ts};
        err = weir_processor_forward(pctx, &out);
    }
    if (!err)
        weir__processor_results_emitted(pctx);
    weir_serde_free_obj(cfg->ks, wk.key, wk.key_len);
    weir_serde_free_obj(cfg->as, agg, agg_len);
    return err;
}

weir_error_t *weir__agg_iter_error(const weir__agg_cfg_t *cfg,
                                   const weir_window_iter_t *it)
{
    const weir_error_t *ierr = it ? weir_window_iter_error(it) : NULL;
    if (!ierr)
        return NULL;
    return weir_error_new(weir_error_code(ierr), "store '%s': %s", cfg->store,
                          weir_error_string(ierr));
}

struct weir__wwrite_s {
    weir__wwrite_t *next;
    int64_t start;
    size_t klen, vlen;
    bool del;
    unsigned char *val; /* points into data, after the key */
    unsigned char data[];
};

weir_error_t *weir__wwrites_add(weir__wwrites_t *w, const void *key,
                                size_t klen, int64_t start, const void *val,
                                size_t vlen)
{
    size_t vl = val ? vlen : 0;
    weir__wwrite_t *n = weir__malloc(sizeof(*n) + klen + vl);
    if (!n)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    n->next = NULL;
    n->start = start;
    n->klen = klen;
    n->vlen = vl;
    n->del = !val;
    n->val = n->data + klen;
    if (klen)
        memcpy(n->data, key, klen);
    if (vl)
        memcpy(n->val, val, vl);
    if (w->tail)
        w->tail->next = n;
    else
        w->head = n;
    w->tail = n;
    return NULL;
}

weir_error_t *weir__wwrites_apply(weir__wwrites_t *w, weir_window_store_t *ws,
                                  weir_error_t *err)
{
    while (w->head) {
        weir__wwrite_t *n = w->head;
        w->head = n->next;
        /* An empty value is a value: the store needs a non-NULL pointer
         * for it. */
        if (!err)
            err = weir_window_store_put(ws, n->data, n->klen, n->start,
                                        n->del ? NULL : n->val, n->vlen);
        weir__free(n);
    }
    w->tail = NULL;
    return err;
}

static weir_error_t *kv_update(weir_processor_context_t *pctx, agg_state_t *st,
                               const weir_record_t *rec, const weir_buf_t *kb)
{
    const agg_cfg_t *cfg = st->cfg;
    void *old = NULL, *agg = NULL;
    size_t old_len = 0, agg_len = 0;
    bool found, borrowed = false;
    weir_buf_t vb;
    weir_buf_init(&vb, 0);
    weir_error_t *err = weir_kv_store_get(st->kv, kb->data, kb->len, &old,
                                          &old_len, &found);
    if (!err)
        err = weir__agg_fold(cfg, rec, found ? (old ? old : "") : NULL,
                             old_len, &agg, &agg_len, &borrowed);
    if (!err)
        err = weir_serde_serialize(cfg->as, cfg->topic, agg, agg_len, &vb);
    if (!err)
        err = weir_kv_store_put(st->kv, kb->data, kb->len,
                                vb.len ? (void *)vb.data : "", vb.len);
    if (!err) {
        weir_record_t out = *rec;
        out.value = agg;
        out.value_len = agg_len;
        err = weir_processor_forward(pctx, &out);
    }
    weir_free(old);
    weir__agg_free(cfg, agg, agg_len, borrowed);
    weir_buf_free(&vb);
    return err;
}

/* A closed window copied out of the store: its start, then the key and
 * the aggregate's bytes in data. */
typedef struct closed_win_s {
    int64_t start;
    size_t klen, vlen;
    unsigned char *data;
} closed_win_t;

typedef struct closed_wins_s {
    closed_win_t *v;
    size_t n, cap;
} closed_wins_t;

static weir_error_t *closed_add(closed_wins_t *c, int64_t start,
                                const void *key, size_t klen, const void *val,
                                size_t vlen)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        closed_win_t *v = weir__realloc(c->v, cap * sizeof(*v));
        if (!v)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        c->v = v;
        c->cap = cap;
    }
    unsigned char *data = weir__malloc(klen + vlen + 1);
    if (!data)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    if (klen)
        memcpy(data, key, klen);
    if (vlen)
        memcpy(data + klen, val, vlen);
    c->v[c->n++] = (closed_win_t){start, klen, vlen, data};
    return NULL;
}

static void closed_free(closed_wins_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        weir__free(c->v[i].data);
    weir__free(c->v);
}

/* Window order: start, then key bytes (a shorter prefix first). */
static int closed_cmp(const void *va, const void *vb)
{
    const closed_win_t *a = va, *b = vb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c)
        return c;
    return a->klen < b->klen ? -1 : a->klen > b->klen;
}

/* Forwards the final result of every window closed by stream time, in
 * window order, and deletes those windows from the store. */
static weir_error_t *emit_closed(weir_processor_context_t *pctx,
                                 agg_state_t *st)
{
    const agg_cfg_t *cfg = st->cfg;
    int64_t now = weir_processor_stream_time(pctx);
    if (cfg->win.emit != WEIR_EMIT_ON_WINDOW_CLOSE || now == INT64_MIN)
        return NULL;
    int64_t bound = now - cfg->win.grace_ms - cfg->win.size_ms;
    if (bound < 0)
        return NULL;
    /* Starts are multiples of the advance: the set of closed windows only
     * grows when the bound reaches the next one, so scan only then. */
    bound = bound / cfg->win.advance_ms * cfg->win.advance_ms;
    if (st->emitted != INT64_MIN && bound <= st->emitted)
        return NULL;
    weir_window_iter_t *it = NULL;
    closed_wins_t closed = {0};
    /* Window starts are >= 0; INT64_MIN: not known yet, scan all. */
    int64_t from = st->emitted >= 0 ? st->emitted + 1 : 0;
    weir_error_t *err = weir_window_store_fetch_all(st->ws, from, bound, &it);
    for (; !err && weir_window_iter_valid(it); weir_window_iter_next(it)) {
        size_t klen, vlen;
        const void *kbytes = weir_window_iter_key(it, &klen);
        const void *vbytes = weir_window_iter_value(it, &vlen);
        err = closed_add(&closed, weir_window_iter_window_start(it), kbytes,
                         klen, vbytes, vlen);
    }
    if (!err)
        err = weir__agg_iter_error(cfg, it);
    weir_window_iter_close(it);
    /* The store gives them by segment, then key: emit them in window
     * order instead, as Kafka Streams' emit-on-close does (its
     * time-ordered store), so that when stream time jumps over several
     * windows their results come out oldest first. */
    if (!err && closed.n > 1)
        qsort(closed.v, closed.n, sizeof(*closed.v), closed_cmp);
    for (size_t i = 0; !err && i < closed.n; i++) {
        const closed_win_t *c = &closed.v[i];
        int64_t end = c->start + cfg->win.size_ms;
        err = weir__agg_forward_final(pctx, cfg, c->data, c->klen,
                                      c->data + c->klen, c->vlen, c->start,
                                      end, end - 1);
    }
    /* Deleted after the scan (iterators do not survive writes), and only
     * when every result went out. */
    for (size_t i = 0; !err && i < closed.n; i++)
        err = weir_window_store_put(st->ws, closed.v[i].data, closed.v[i].klen,
                                    closed.v[i].start, NULL, 0);
    closed_free(&closed);
    if (!err)
        st->emitted = bound;
    return err;
}

static weir_error_t *window_update(weir_processor_context_t *pctx,
                                   agg_state_t *st, const weir_record_t *rec,
                                   const weir_buf_t *kb)
{
    const agg_cfg_t *cfg = st->cfg;
    const weir_time_windows_t *w = &cfg->win;
    int64_t now = weir_processor_stream_time(pctx);
    int64_t ts = rec->timestamp;
    int64_t first = ts - w->size_ms + w->advance_ms;
    int64_t start = first > 0 ? first / w->advance_ms * w->advance_ms : 0;
    bool accepted = false;
    weir_error_t *err = emit_closed(pctx, st);
    if (!err && now != INT64_MIN)
        err = weir_window_store_advance_time(st->ws, now);
    for (; !err && start <= ts; start += w->advance_ms) {
        int64_t end = start + w->size_ms;
        if (end + w->grace_ms <= now)
            continue; /* closed: its result may be out already */
        accepted = true;
        void *old = NULL, *agg = NULL;
        size_t old_len = 0, agg_len = 0;
        bool found, borrowed = false;
        weir_buf_t vb;
        weir_buf_init(&vb, 0);
        err = weir_window_store_get(st->ws, kb->data, kb->len, start, &old,
                                    &old_len, &found);
        if (!err)
            err = weir__agg_fold(cfg, rec, found ? (old ? old : "") : NULL,
                                 old_len, &agg, &agg_len, &borrowed);
        if (!err)
            err = weir_serde_serialize(cfg->as, cfg->topic, agg, agg_len, &vb);
        if (!err)
            err = weir_window_store_put(st->ws, kb->data, kb->len, start,
                                        vb.len ? (void *)vb.data : "", vb.len);
        if (!err && w->emit == WEIR_EMIT_ON_UPDATE) {
            weir_windowed_key_t wk = {(void *)rec->key, rec->key_len, start,
                                      end};
            weir_record_t out = *rec;
            out.key = &wk;
            out.key_len = sizeof(wk);
            out.value = agg;
            out.value_len = agg_len;
            err = weir_processor_forward(pctx, &out);
        }
        weir_free(old);
        weir__agg_free(cfg, agg, agg_len, borrowed);
        weir_buf_free(&vb);
    }
    if (!err && !accepted)
        weir_processor_count_dropped(pctx, "late");
    return err;
}

weir_error_t *weir__agg_key_bytes(weir_processor_context_t *pctx,
                                  const weir__agg_cfg_t *cfg,
                                  const weir_record_t *rec, weir_buf_t *kb,
                                  bool *skipp)
{
    weir_buf_init(kb, 0);
    *skipp = true;
    if (!rec->key) {
        weir_processor_count_dropped(pctx, "null-key");
        return NULL;
    }
    if (!rec->value) {
        weir_processor_count_dropped(pctx, "null-value");
        return NULL;
    }
    *skipp = false;
    weir_error_t *err = weir_serde_serialize(cfg->ks, cfg->topic, rec->key,
                                             rec->key_len, kb);
    if (!err && !kb->data)
        err = weir_buf_reserve(kb, 1); /* an empty key still needs bytes */
    return err;
}

static weir_error_t *agg_process(weir_processor_context_t *pctx, void *state,
                                 const weir_record_t *rec)
{
    agg_state_t *st = state;
    const agg_cfg_t *cfg = st->cfg;
    weir_buf_t kb;
    bool skip;
    weir_error_t *err = weir__agg_key_bytes(pctx, cfg, rec, &kb, &skip);
    if (!err && !skip)
        err = cfg->wkind == WEIR__WIN_TIME ? window_update(pctx, st, rec, &kb)
                                           : kv_update(pctx, st, rec, &kb);
    weir_buf_free(&kb);
    return err;
}

static weir_error_t *agg_punctuate(weir_processor_context_t *pctx, void *state,
                                   weir_punctuation_type_t type,
                                   int64_t timestamp, int tag)
{
    (void)type;
    (void)timestamp;
    (void)tag;
    agg_state_t *st = state;
    weir_error_t *err = emit_closed(pctx, st);
    int64_t now = weir_processor_stream_time(pctx);
    if (!err && st->ws && now != INT64_MIN)
        err = weir_window_store_advance_time(st->ws, now);
    return err;
}

static const weir_processor_ops_t agg_ops = {
    .init = agg_init,
    .process = agg_process,
    .punctuate = agg_punctuate,
    .close = agg_close,
};

/*
 * The window store of a windowed aggregation: its retention and (for
 * describe()) window size, by kind of windows. Expiry follows stream
 * time (owner time), so retention counts from the time windows close.
 */
static void add_window_store(weir_topology_t *topo, const agg_cfg_t *cfg,
                             const char *node)
{
    int64_t retention = 0, size = 0;
    switch (cfg->wkind) {
    case WEIR__WIN_TIME:
        size = cfg->win.size_ms;
        retention = cfg->win.retention_ms ? cfg->win.retention_ms
                                          : size + cfg->win.grace_ms;
        break;
    case WEIR__WIN_SESSION:
        /* Kept by end: a session is open while end + gap + grace >=
         * stream time. */
        size = cfg->session.gap_ms;
        retention = size + cfg->session.grace_ms + 1;
        break;
    case WEIR__WIN_SLIDING:
        /* New windows are built from windows up to 2 * diff older than
         * the record, which is up to diff + grace behind stream time. */
        size = cfg->sliding.diff_ms;
        retention = 3 * size + cfg->sliding.grace_ms + 1;
        break;
    case WEIR__WIN_NONE:
        return;
    }
    weir_topology_add_window_store(topo, cfg->store, retention, size, node);
    weir_topology_window_store_set_owner_time(topo, cfg->store, true);
}

weir__dsl_t *weir__agg_add(weir__dsl_t *g, weir__agg_cfg_t tmpl,
                           weir_serde_t *as, const char *store)
{
    weir_topology_t *topo = g->topo;
    const char *what = tmpl.kind == WEIR__AGG_REDUCE ? "reduce" : "aggregate";
    bool session = g->wkind == WEIR__WIN_SESSION;
    if (!store || !*store) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "%s after '%s': no store name", what, g->node);
    } else if (!as) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "%s '%s': no aggregate serde", what, store);
    } else if ((tmpl.kind == WEIR__AGG_REDUCE && !tmpl.reduce) ||
               (tmpl.kind == WEIR__AGG_AGGREGATE &&
                (!tmpl.init || !tmpl.agg || (session && !tmpl.merge)))) {
        weir__topology_fail(topo, WEIR_ERR_INVALID_ARG,
                            "%s '%s': NULL function", what, store);
    }
    agg_cfg_t *cfg = weir__dsl_config(topo, sizeof(*cfg), agg_cfg_free);
    if (!cfg) {
        weir_serde_destroy(as);
        return NULL;
    }
    *cfg = tmpl;
    cfg->wkind = g->wkind;
    cfg->win = g->win;
    cfg->session = g->session;
    cfg->sliding = g->sliding;
    cfg->ks = weir__serde_ref_or_null(g->ks);
    cfg->as = as;
    cfg->store = weir__strdup(store);
    size_t tlen = strlen(store) + 16;
    cfg->topic = weir__malloc(tlen);
    if (!cfg->store || !cfg->topic) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    weir__dsl_store_topic(store, cfg->topic, tlen);

    char name[WEIR__DSL_NAME_MAX], parent_buf[WEIR__DSL_NAME_MAX * 2];
    const char *parent = weir__dsl_key_ready(g, store, parent_buf,
                                             sizeof(parent_buf));
    if (!parent)
        return NULL;
    weir__dsl_name(topo,
                   tmpl.kind == WEIR__AGG_REDUCE ? "KSTREAM-REDUCE-"
                                                 : "KSTREAM-AGGREGATE-",
                   name, sizeof(name));
    const weir_processor_ops_t *ops = &agg_ops;
    if (cfg->wkind == WEIR__WIN_SESSION)
        ops = &weir__session_agg_ops;
    else if (cfg->wkind == WEIR__WIN_SLIDING)
        ops = &weir__sliding_agg_ops;
    weir_topology_add_processor(topo, name, ops, cfg, parent, NULL);
    bool windowed = cfg->wkind != WEIR__WIN_NONE;
    if (windowed)
        add_window_store(topo, cfg, name);
    else
        weir_topology_add_kv_store(topo, store, name);

    weir_serde_t *out_ks = weir__serde_ref_or_null(g->ks);
    if (windowed)
        out_ks = weir_serde_windowed(out_ks);
    weir__dsl_t *h = weir__dsl_new(topo, name, out_ks, weir_serde_ref(as),
                                   sizeof(weir_ktable_t));
    if (h && !windowed && !(h->store = weir__strdup(store))) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return h;
}

weir_ktable_t *weir_kgrouped_count(weir_kgrouped_t *g, const char *store)
{
    if (!g)
        return NULL;
    agg_cfg_t t = {.kind = WEIR__AGG_COUNT};
    return (weir_ktable_t *)weir__agg_add(&g->h, t, weir_serde_int64(), store);
}

weir_ktable_t *weir_kgrouped_reduce(weir_kgrouped_t *g, weir_reducer_t *fn,
                                    void *ctx, const char *store)
{
    if (!g)
        return NULL;
    agg_cfg_t t = {.kind = WEIR__AGG_REDUCE, .reduce = fn, .ctx = ctx};
    return (weir_ktable_t *)weir__agg_add(
        &g->h, t, weir__serde_ref_or_null(g->h.vs), store);
}

weir_ktable_t *weir_kgrouped_aggregate(weir_kgrouped_t *g,
                                       weir_initializer_t *init,
                                       weir_aggregator_t *agg, void *ctx,
                                       weir_serde_t *agg_serde,
                                       const char *store)
{
    if (!g) {
        weir_serde_destroy(agg_serde);
        return NULL;
    }
    agg_cfg_t t = {
        .kind = WEIR__AGG_AGGREGATE, .init = init, .agg = agg, .ctx = ctx};
    return (weir_ktable_t *)weir__agg_add(&g->h, t, agg_serde, store);
}

/* The weir_kwindowed_*() functions serve time and sliding windows: the
 * handle says which. */

weir_kstream_t *weir_kwindowed_count(weir_kwindowed_t *w, const char *store)
{
    if (!w)
        return NULL;
    agg_cfg_t t = {.kind = WEIR__AGG_COUNT};
    return (weir_kstream_t *)weir__agg_add(&w->h, t, weir_serde_int64(),
                                           store);
}

weir_kstream_t *weir_kwindowed_reduce(weir_kwindowed_t *w, weir_reducer_t *fn,
                                      void *ctx, const char *store)
{
    if (!w)
        return NULL;
    agg_cfg_t t = {.kind = WEIR__AGG_REDUCE, .reduce = fn, .ctx = ctx};
    return (weir_kstream_t *)weir__agg_add(
        &w->h, t, weir__serde_ref_or_null(w->h.vs), store);
}

weir_kstream_t *weir_kwindowed_aggregate(weir_kwindowed_t *w,
                                         weir_initializer_t *init,
                                         weir_aggregator_t *agg, void *ctx,
                                         weir_serde_t *agg_serde,
                                         const char *store)
{
    if (!w) {
        weir_serde_destroy(agg_serde);
        return NULL;
    }
    agg_cfg_t t = {
        .kind = WEIR__AGG_AGGREGATE, .init = init, .agg = agg, .ctx = ctx};
    return (weir_kstream_t *)weir__agg_add(&w->h, t, agg_serde, store);
}
