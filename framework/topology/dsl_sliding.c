/*
 * dsl_sliding.c: sliding windows (weir_sliding_windows()), aggregated by
 * the weir_kwindowed_*() functions.
 *
 * Semantics, as Kafka Streams' KStreamSlidingWindowAggregate: windows
 * have the fixed size diff, both ends inclusive, and are made by the
 * records of a key. A record at t
 *
 *   - updates every existing window that contains it;
 *   - makes its "left" window [t - diff, t] unless it exists, holding the
 *     record and the records of the diff before it;
 *   - makes the "right" window of the previous record p (the latest one
 *     before t), [p + 1, p + 1 + diff], unless it exists, when t falls in
 *     it (the window that starts just after p holds t);
 *   - makes its own right window [t + 1, t + 1 + diff] when a record
 *     after t falls in it (out-of-order input) and it does not exist.
 *
 * So every distinct set of records that fit in diff ms is one window,
 * and no window is empty. New windows do not replay records: a left
 * window starts from the aggregate of the window just before it (whose
 * records are those of [t - diff, t) when p is within diff of t), a right
 * window copies the aggregate of the latest window holding t (whose
 * records after t are exactly the new window's). To know p and which
 * windows exist, a record reads its key's windows starting in
 * [t - 2 diff, t + 1]: one fetch, ascending.
 *
 * Store values: a flag byte, the window's largest record time (8 bytes
 * big-endian; it gives p and tells whether a right window would be
 * empty), then the aggregate's bytes. Windows are kept by start.
 *
 * Closing and final results: a window is closed once stream time >
 * end + grace (it holds its end: a record at the end is on time), that
 * is start <= bound = stream time - grace - diff - 1. Whenever the bound
 * moves, the processor forwards the final result of every closed window
 * (key weir_windowed_key_t [start, start + diff], timestamp its end) and,
 * in the same task step (so under exactly-once in the same transaction),
 * rewrites it with the "emitted" flag. Unlike time windows and sessions,
 * an emitted window cannot leave the store at once: a left window made
 * later may need its aggregate (records 100 and 108, diff 10, then 112
 * with 0 grace: [101, 111] has closed, and [102, 112] starts from it).
 * An emitted window is never updated or emitted again, across restarts
 * too, whatever stream time the restarted task has; retention (3 diff +
 * grace + 1, measured from stream time) drops it once no record that is
 * not late can reach back to it: such a record is at or after stream
 * time - grace - diff and reads back at most 2 diff from there.
 *
 * Lateness: a record is late, dropped and counted, when every window
 * that could hold it is closed (t + diff + grace < stream time, Kafka
 * Streams' rule), or when it lands in no open window (its left window is
 * closed and no open window holds it).
 *
 * Kafka Streams folds the windows of records earlier than diff after the
 * epoch into one [0, diff] window, because its window stores cannot hold
 * negative starts; weir's can, and such records get their own windows.
 */
#include <string.h>

#include "alloc_int.h"
#include "dsl_int.h"

#define FLAG_EMITTED 0x01
#define HEADER 9 /* flag byte, largest record time */

/* Bounded so that 3 * diff + grace + 1 cannot overflow. */
#define SPAN_MAX (INT64_MAX / 8)

weir_sliding_windows_t weir_sliding_windows(int64_t diff_ms, int64_t grace_ms)
{
    return (weir_sliding_windows_t){.diff_ms = diff_ms, .grace_ms = grace_ms};
}

weir_kwindowed_t *weir_kgrouped_sliding_windowed_by(weir_kgrouped_t *g,
                                                    weir_sliding_windows_t w)
{
    if (!g ||
        !weir__dsl_windows_reserved_ok(&g->h, "sliding_windowed_by",
                                       w.reserved, WEIR__COUNT_OF(w.reserved)))
        return NULL;
    if (w.diff_ms <= 0 || w.diff_ms > SPAN_MAX || w.grace_ms < 0 ||
        w.grace_ms > SPAN_MAX) {
        weir__topology_fail(g->h.topo, WEIR_ERR_TOPOLOGY,
                            "sliding_windowed_by after '%s': invalid "
                            "sliding windows (diff %lld, grace %lld ms)",
                            g->h.node, (long long)w.diff_ms,
                            (long long)w.grace_ms);
        return NULL;
    }
    weir__dsl_t *h = weir__agg_windowed(&g->h, WEIR__WIN_SLIDING,
                                        sizeof(weir_kwindowed_t));
    if (h)
        h->sliding = w;
    return (weir_kwindowed_t *)h;
}

/* ---- the processor ---- */

typedef weir__wagg_state_t slide_state_t;

/* A window of the record's key, copied out of the store. */
typedef struct win_s {
    struct win_s *next;
    int64_t start;
    int64_t max_ts; /* the largest record time in it */
    bool emitted;
    size_t agg_len;
    unsigned char agg[];
} win_t;

/* The latest end of a closed window at stream time @p now (end + grace <
 * now), or INT64_MIN when none can be. */
static int64_t closed_end(const weir__agg_cfg_t *cfg, int64_t now)
{
    int64_t grace = cfg->sliding.grace_ms + 1;
    if (now < INT64_MIN + grace)
        return INT64_MIN;
    return now - grace;
}

/* Whether a window ending at @p end is open, given closed_end(). */
static bool is_open(int64_t end, int64_t ebound)
{
    return ebound == INT64_MIN || end > ebound;
}

static weir_error_t *check_value(const weir__agg_cfg_t *cfg, size_t len)
{
    if (len >= HEADER)
        return NULL;
    return weir_error_new(WEIR_ERR_STORE_CORRUPT,
                          "store '%s': a sliding-window value of %zu bytes, "
                          "need at least %d",
                          cfg->store, len, HEADER);
}

/* The value header: flags, then the largest record time. */
static void put_header(unsigned char *h, bool emitted, int64_t max_ts)
{
    h[0] = emitted ? FLAG_EMITTED : 0;
    weir__be64_put(h + 1, (uint64_t)max_ts);
}

/* Forwards the final result of every window closed by stream time and
 * flags it as emitted, then lets the store expire by stream time. */
static weir_error_t *emit_closed(weir_processor_context_t *pctx,
                                 slide_state_t *st)
{
    const weir__agg_cfg_t *cfg = st->cfg;
    int64_t diff = cfg->sliding.diff_ms;
    int64_t now = weir_processor_stream_time(pctx);
    int64_t ebound = closed_end(cfg, now);
    if (ebound == INT64_MIN || ebound < INT64_MIN + diff)
        return NULL;
    int64_t bound = ebound - diff; /* the latest closed start */
    if (st->emitted != INT64_MIN && bound <= st->emitted)
        return NULL;
    weir_window_iter_t *it = NULL;
    weir__wwrites_t flagged = {0};
    weir_buf_t vb;
    weir_buf_init(&vb, 0);
    int64_t from = st->emitted == INT64_MIN ? INT64_MIN : st->emitted + 1;
    weir_error_t *err = weir_window_store_fetch_all(st->ws, from, bound, &it);
    for (; !err && weir_window_iter_valid(it); weir_window_iter_next(it)) {
        size_t klen, vlen;
        const void *kbytes = weir_window_iter_key(it, &klen);
        const unsigned char *v = weir_window_iter_value(it, &vlen);
        int64_t start = weir_window_iter_window_start(it);
        err = check_value(cfg, vlen);
        if (err)
            break;
        if (v[0] & FLAG_EMITTED)
            continue; /* emitted before a restart */
        /* The same value, flagged (in a copy: the iterator's bytes are
         * not ours). */
        weir_buf_reset(&vb);
        err = weir_buf_append(&vb, v, vlen);
        if (!err) {
            vb.data[0] |= FLAG_EMITTED;
            err = weir__wwrites_add(&flagged, kbytes, klen, start, vb.data,
                                    vb.len);
        }
        if (!err)
            err = weir__agg_forward_final(pctx, cfg, kbytes, klen, v + HEADER,
                                          vlen - HEADER, start, start + diff,
                                          start + diff);
    }
    weir_buf_free(&vb);
    return weir__wagg_scan_done(st, it, &flagged, err, bound, now);
}

static void wins_free(win_t *w)
{
    while (w) {
        win_t *next = w->next;
        weir__free(w);
        w = next;
    }
}

/* The windows of key @p kb starting in [from, to], ascending. */
static weir_error_t *fetch_windows(slide_state_t *st, const weir_buf_t *kb,
                                   int64_t from, int64_t to, win_t **listp)
{
    const weir__agg_cfg_t *cfg = st->cfg;
    win_t **tail = listp;
    weir_window_iter_t *it = NULL;
    weir_error_t *err = weir_window_store_fetch(st->ws, kb->data, kb->len,
                                                from, to, &it);
    for (; !err && weir_window_iter_valid(it); weir_window_iter_next(it)) {
        size_t vlen;
        const unsigned char *v = weir_window_iter_value(it, &vlen);
        err = check_value(cfg, vlen);
        if (err)
            break;
        win_t *w = weir__malloc(sizeof(*w) + vlen - HEADER);
        if (!w) {
            err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
            break;
        }
        w->next = NULL;
        w->start = weir_window_iter_window_start(it);
        w->emitted = (v[0] & FLAG_EMITTED) != 0;
        w->max_ts = (int64_t)weir__be64_get(v + 1);
        w->agg_len = vlen - HEADER;
        memcpy(w->agg, v + HEADER, vlen - HEADER);
        *tail = w;
        tail = &w->next;
    }
    if (!err)
        err = weir__agg_iter_error(cfg, it);
    weir_window_iter_close(it);
    return err;
}

/* Writes window @p start: @p src's aggregate (NULL: none) with @p rec
 * folded in, and the largest record time @p max_ts. */
static weir_error_t *fold_put(slide_state_t *st, const weir_record_t *rec,
                              const weir_buf_t *kb, int64_t start,
                              const win_t *src, int64_t max_ts)
{
    const weir__agg_cfg_t *cfg = st->cfg;
    void *agg = NULL;
    size_t agg_len = 0;
    bool borrowed = false;
    weir_buf_t vb;
    weir_buf_init(&vb, 0);
    unsigned char h[HEADER];
    put_header(h, false, max_ts);
    weir_error_t *err = weir__agg_fold(
        cfg, rec, src ? (src->agg_len ? (void *)src->agg : "") : NULL,
        src ? src->agg_len : 0, &agg, &agg_len, &borrowed);
    if (!err)
        err = weir_buf_append(&vb, h, sizeof(h));
    if (!err)
        err = weir_serde_serialize(cfg->as, cfg->topic, agg, agg_len, &vb);
    if (!err)
        err = weir_window_store_put(st->ws, kb->data, kb->len, start, vb.data,
                                    vb.len);
    weir__agg_free(cfg, agg, agg_len, borrowed);
    weir_buf_free(&vb);
    return err;
}

/* Writes window @p start as a copy of @p src (the record is not in it). */
static weir_error_t *copy_put(slide_state_t *st, const weir_buf_t *kb,
                              int64_t start, const win_t *src)
{
    weir_buf_t vb;
    weir_buf_init(&vb, 0);
    unsigned char h[HEADER];
    put_header(h, false, src->max_ts);
    weir_error_t *err = weir_buf_append(&vb, h, sizeof(h));
    if (!err)
        err = weir_buf_append(&vb, src->agg, src->agg_len);
    if (!err)
        err = weir_window_store_put(st->ws, kb->data, kb->len, start, vb.data,
                                    vb.len);
    weir_buf_free(&vb);
    return err;
}

/* What the windows of the record's key say about it. */
typedef struct scan_s {
    const win_t *left_src;  /* the latest window ending before t */
    const win_t *right_src; /* the latest window holding t, ending after */
    bool left_exists;       /* [t - diff, t] */
    bool right_exists;      /* [t + 1, t + 1 + diff] */
    bool has_prev;
    int64_t prev; /* the latest record time before t */
} scan_t;

static bool has_start(const win_t *list, int64_t start)
{
    for (; list; list = list->next)
        if (list->start == start)
            return true;
    return false;
}

static weir_error_t *slide_update(weir_processor_context_t *pctx,
                                  slide_state_t *st, const weir_record_t *rec,
                                  const weir_buf_t *kb)
{
    const weir__agg_cfg_t *cfg = st->cfg;
    int64_t diff = cfg->sliding.diff_ms, ts = rec->timestamp;
    int64_t ebound = closed_end(cfg, weir_processor_stream_time(pctx));
    if (!is_open(ts + diff, ebound)) {
        weir_processor_count_dropped(pctx, "late");
        return NULL;
    }
    win_t *list = NULL;
    weir_error_t *err = fetch_windows(st, kb, ts - 2 * diff, ts + 1, &list);
    scan_t sc = {0};
    bool accepted = false;
    /* Existing windows first, as they were before this record. */
    for (const win_t *w = list; w && !err; w = w->next) {
        int64_t end = w->start + diff;
        bool update = false;
        if (end < ts) {
            sc.left_src = w;
            sc.prev = w->max_ts;
            sc.has_prev = true;
        } else if (end == ts) {
            sc.left_exists = true;
            if (w->max_ts < ts) {
                sc.prev = w->max_ts;
                sc.has_prev = true;
            }
            update = true;
        } else if (w->start <= ts) {
            sc.right_src = w;
            update = true;
        } else {
            sc.right_exists = true; /* starts at t + 1 */
        }
        if (update && !w->emitted && is_open(end, ebound)) {
            int64_t max_ts = w->max_ts > ts ? w->max_ts : ts;
            err = fold_put(st, rec, kb, w->start, w, max_ts);
            accepted = true;
        }
    }
    /* The previous record's right window, when it holds t. */
    int64_t p1 = sc.prev + 1;
    if (!err && sc.has_prev && p1 + diff >= ts && !has_start(list, p1) &&
        is_open(p1 + diff, ebound)) {
        err = fold_put(st, rec, kb, p1, NULL, ts);
        accepted = true;
        if (p1 == ts - diff)
            sc.left_exists = true; /* the same window */
    }
    /* The record's left window, from the records of the diff before. */
    if (!err && !sc.left_exists && is_open(ts, ebound)) {
        const win_t *src = sc.has_prev && sc.prev >= ts - diff ? sc.left_src
                                                               : NULL;
        err = fold_put(st, rec, kb, ts - diff, src, ts);
        accepted = true;
    }
    /* The record's right window, when a later record is in it. */
    if (!err && !sc.right_exists && sc.right_src && sc.right_src->max_ts > ts)
        err = copy_put(st, kb, ts + 1, sc.right_src);
    if (!err && !accepted)
        weir_processor_count_dropped(pctx, "late");
    wins_free(list);
    return err;
}

static weir_error_t *slide_process(weir_processor_context_t *pctx, void *state,
                                   const weir_record_t *rec)
{
    slide_state_t *st = state;
    weir_buf_t kb;
    bool skip;
    weir_error_t *err = weir__agg_key_bytes(pctx, st->cfg, rec, &kb, &skip);
    /* Close first, so a window is final before the record could touch
     * it (and a closed one is emitted before the store expires it). */
    if (!err && !skip)
        err = emit_closed(pctx, st);
    if (!err && !skip)
        err = slide_update(pctx, st, rec, &kb);
    weir_buf_free(&kb);
    return err;
}

static weir_error_t *slide_punctuate(weir_processor_context_t *pctx,
                                     void *state, weir_punctuation_type_t type,
                                     int64_t timestamp, int tag)
{
    (void)type;
    (void)timestamp;
    (void)tag;
    return emit_closed(pctx, state);
}

const weir_processor_ops_t weir__sliding_agg_ops = {
    .init = weir__wagg_init,
    .process = slide_process,
    .punctuate = slide_punctuate,
    .close = weir__wagg_close,
};
