/*
 * dsl_session.c: session windows (weir_session_windows()) and their
 * aggregations (count, reduce, aggregate with a merger).
 *
 * Semantics, as Kafka Streams' KStreamSessionWindowAggregate: per key, a
 * session [start, end] (both inclusive) spans its first and last record
 * times. A record at t reaches every session of its key with end >= t -
 * gap and start <= t + gap; those sessions and the record become one
 * session, whose aggregate is the reached sessions' aggregates merged in
 * time order (count: a sum; reduce: the reducer; aggregate: the merger),
 * with the record folded in last. A record that reaches no session
 * starts one at [t, t] from the initializer (reduce: its value).
 *
 * Store: the window store of the aggregation, used with the session END
 * in the place of the window start: one entry per (key, end), whose value
 * is the session start (8 bytes big-endian) then the aggregate's bytes.
 * Keyed by end, the store answers both questions sessions ask with one
 * range each: "the sessions of this key ending at or after t - gap"
 * (a fetch, ascending; sessions of a key are disjoint, so ascending ends
 * are ascending starts and the scan stops at the first start past
 * t + gap) and "every session that ends before the close bound", across
 * keys, for final results (a fetch_all over the oldest segments). A
 * key-value layout (key, end, start) answers the first but needs a second
 * index for the second; the window store also expires what is left past
 * retention by whole segments and has a compact,delete changelog.
 *
 * Closing and final results: a session is closed once stream time >
 * end + gap + grace, that is end <= bound = stream time - gap - grace - 1
 * (no record on time by the grace can reach it any more). Whenever the
 * bound moves, the processor forwards the final result of every session
 * ending at or before it (key weir_windowed_key_t [start, end],
 * timestamp end) and deletes it from the store in the same task step, so
 * under exactly-once in the same transaction as the output: a session in
 * the store is always one whose result has not been emitted, and each
 * session is emitted exactly once, across restarts too. As in dsl_agg.c
 * this runs before a record touches the store and from a 1 ms stream-time
 * punctuation (event-time progress without records), and the processor
 * remembers the bound it emitted up to so each scan starts there. The
 * store's retention (gap + grace + 1, measured from stream time) keeps
 * every open session.
 *
 * Lateness: a record is late, dropped and counted, when the session it
 * would make is closed already: merged end <= bound. Since emitted
 * sessions left the store, the sessions a record reaches are all open;
 * a record that is more than grace behind stream time may have reached
 * an emitted one, and then starts or joins another session instead (see
 * weir_session_windows_t). With disorder within the grace this cannot
 * happen: a closed session ends before stream time - gap - grace, beyond
 * the reach of any record at stream time - grace or later.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "dsl_int.h"

/* Gaps and graces are bounded so that time arithmetic cannot overflow. */
#define SPAN_MAX (INT64_MAX / 8)

weir_session_windows_t weir_session_windows(int64_t gap_ms, int64_t grace_ms)
{
    return (weir_session_windows_t){.gap_ms = gap_ms, .grace_ms = grace_ms};
}

weir_ksession_windowed_t *
weir_kgrouped_session_windowed_by(weir_kgrouped_t *g, weir_session_windows_t w)
{
    if (!g ||
        !weir__dsl_windows_reserved_ok(&g->h, "session_windowed_by",
                                       w.reserved, WEIR__COUNT_OF(w.reserved)))
        return NULL;
    if (w.gap_ms <= 0 || w.gap_ms > SPAN_MAX || w.grace_ms < 0 ||
        w.grace_ms > SPAN_MAX) {
        weir__topology_fail(g->h.topo, WEIR_ERR_TOPOLOGY,
                            "session_windowed_by after '%s': invalid "
                            "session windows (gap %lld, grace %lld ms)",
                            g->h.node, (long long)w.gap_ms,
                            (long long)w.grace_ms);
        return NULL;
    }
    weir__dsl_t *h = weir__agg_windowed(&g->h, WEIR__WIN_SESSION,
                                        sizeof(weir_ksession_windowed_t));
    if (h)
        h->session = w;
    return (weir_ksession_windowed_t *)h;
}

weir_kstream_t *weir_ksession_windowed_count(weir_ksession_windowed_t *w,
                                             const char *store)
{
    if (!w)
        return NULL;
    weir__agg_cfg_t t = {.kind = WEIR__AGG_COUNT};
    return (weir_kstream_t *)weir__agg_add(&w->h, t, weir_serde_int64(),
                                           store);
}

weir_kstream_t *weir_ksession_windowed_reduce(weir_ksession_windowed_t *w,
                                              weir_reducer_t *fn, void *ctx,
                                              const char *store)
{
    if (!w)
        return NULL;
    weir__agg_cfg_t t = {.kind = WEIR__AGG_REDUCE, .reduce = fn, .ctx = ctx};
    return (weir_kstream_t *)weir__agg_add(
        &w->h, t, weir__serde_ref_or_null(w->h.vs), store);
}

weir_kstream_t *weir_ksession_windowed_aggregate(
    weir_ksession_windowed_t *w, weir_initializer_t *init,
    weir_aggregator_t *agg, weir_merger_t *merge, void *ctx,
    weir_serde_t *agg_serde, const char *store)
{
    if (!w) {
        weir_serde_destroy(agg_serde);
        return NULL;
    }
    weir__agg_cfg_t t = {.kind = WEIR__AGG_AGGREGATE,
                         .init = init,
                         .agg = agg,
                         .merge = merge,
                         .ctx = ctx};
    return (weir_kstream_t *)weir__agg_add(&w->h, t, agg_serde, store);
}

/* ---- the processor ---- */

typedef weir__wagg_state_t sess_state_t;

/* A session a record reaches, copied out of the store. */
typedef struct reached_s {
    struct reached_s *next;
    int64_t start, end;
    size_t agg_len;
    unsigned char agg[]; /* the aggregate's bytes */
} reached_t;

/* The end of the latest session closed at stream time @p now (end + gap +
 * grace < now), or INT64_MIN when none can be. */
static int64_t closed_until(const weir__agg_cfg_t *cfg, int64_t now)
{
    int64_t span = cfg->session.gap_ms + cfg->session.grace_ms + 1;
    if (now < INT64_MIN + span)
        return INT64_MIN;
    return now - span;
}

/* A stored value: the session start, then the aggregate. */
static weir_error_t *decode_value(const weir__agg_cfg_t *cfg, const void *val,
                                  size_t len, int64_t *startp)
{
    if (len < 8)
        return weir_error_new(WEIR_ERR_STORE_CORRUPT,
                              "store '%s': a session value of %zu bytes, "
                              "need at least 8",
                              cfg->store, len);
    *startp = (int64_t)weir__be64_get(val);
    return NULL;
}

/* Forwards the final result of every session closed by stream time and
 * deletes those sessions, then lets the store expire by stream time. */
static weir_error_t *emit_closed(weir_processor_context_t *pctx,
                                 sess_state_t *st)
{
    const weir__agg_cfg_t *cfg = st->cfg;
    int64_t now = weir_processor_stream_time(pctx);
    int64_t bound = closed_until(cfg, now);
    if (bound == INT64_MIN ||
        (st->emitted != INT64_MIN && bound <= st->emitted))
        return NULL;
    weir_window_iter_t *it = NULL;
    weir__wwrites_t closed = {0};
    int64_t from = st->emitted == INT64_MIN ? INT64_MIN : st->emitted + 1;
    weir_error_t *err = weir_window_store_fetch_all(st->ws, from, bound, &it);
    for (; !err && weir_window_iter_valid(it); weir_window_iter_next(it)) {
        size_t klen, vlen;
        const void *kbytes = weir_window_iter_key(it, &klen);
        const unsigned char *vbytes = weir_window_iter_value(it, &vlen);
        int64_t end = weir_window_iter_window_start(it), start = 0;
        err = decode_value(cfg, vbytes, vlen, &start);
        if (!err)
            err = weir__wwrites_add(&closed, kbytes, klen, end, NULL, 0);
        if (!err)
            err = weir__agg_forward_final(pctx, cfg, kbytes, klen, vbytes + 8,
                                          vlen - 8, start, end, end);
    }
    return weir__wagg_scan_done(st, it, &closed, err, bound, now);
}

static void reached_free(reached_t *r)
{
    while (r) {
        reached_t *next = r->next;
        weir__free(r);
        r = next;
    }
}

/*
 * The sessions of the key @p kb that a record at @p ts reaches, ascending
 * (*listp; free with reached_free()), widening [*startp, *endp] to cover
 * them.
 */
static weir_error_t *find_reached(sess_state_t *st, const weir_buf_t *kb,
                                  int64_t ts, reached_t **listp,
                                  int64_t *startp, int64_t *endp)
{
    const weir__agg_cfg_t *cfg = st->cfg;
    int64_t gap = cfg->session.gap_ms;
    reached_t **tail = listp;
    weir_window_iter_t *it = NULL;
    weir_error_t *err = weir_window_store_fetch(st->ws, kb->data, kb->len,
                                                ts - gap, INT64_MAX, &it);
    for (; !err && weir_window_iter_valid(it); weir_window_iter_next(it)) {
        size_t vlen;
        const unsigned char *v = weir_window_iter_value(it, &vlen);
        int64_t start = 0;
        err = decode_value(cfg, v, vlen, &start);
        if (err || start > ts + gap)
            break; /* sessions of a key are disjoint: the rest are later */
        reached_t *r = weir__malloc(sizeof(*r) + vlen - 8);
        if (!r) {
            err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
            break;
        }
        r->next = NULL;
        r->start = start;
        r->end = weir_window_iter_window_start(it);
        r->agg_len = vlen - 8;
        memcpy(r->agg, v + 8, vlen - 8);
        *tail = r;
        tail = &r->next;
        if (start < *startp)
            *startp = start;
        if (r->end > *endp)
            *endp = r->end;
    }
    if (!err)
        err = weir__agg_iter_error(cfg, it);
    weir_window_iter_close(it);
    return err;
}

/*
 * Merges the aggregate objects @p a and @p b (the earlier and the later
 * session's) into *outp: count adds, reduce reduces, aggregate calls the
 * merger.
 */
static weir_error_t *merge(const weir__agg_cfg_t *cfg,
                           const weir_record_t *rec, const void *a,
                           size_t a_len, const void *b, size_t b_len,
                           void **outp, size_t *out_lenp)
{
    switch (cfg->kind) {
    case WEIR__AGG_COUNT: {
        int64_t *n = malloc(sizeof(*n)); /* freed by the int64 serde */
        if (!n)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        *n = *(const int64_t *)a + *(const int64_t *)b;
        *outp = n;
        *out_lenp = sizeof(*n);
        return NULL;
    }
    case WEIR__AGG_REDUCE: {
        weir_record_t r = *rec;
        r.value = b;
        r.value_len = b_len;
        return cfg->reduce(cfg->ctx, a, a_len, &r, outp, out_lenp);
    }
    case WEIR__AGG_AGGREGATE:
        return cfg->merge(cfg->ctx, rec->key, rec->key_len, a, a_len, b, b_len,
                          outp, out_lenp);
    }
    return weir_error_new(WEIR_ERR_STATE, "unknown aggregation");
}

/* The reached sessions' aggregates merged in time order (*curp NULL when
 * there is none). */
static weir_error_t *merge_reached(const weir__agg_cfg_t *cfg,
                                   const weir_record_t *rec,
                                   const reached_t *list, void **curp,
                                   size_t *cur_lenp)
{
    void *cur = NULL;
    size_t cur_len = 0;
    weir_error_t *err = NULL;
    for (const reached_t *r = list; r && !err; r = r->next) {
        void *obj = NULL;
        size_t obj_len = 0;
        err = weir_serde_deserialize(cfg->as, cfg->topic,
                                     r->agg_len ? (void *)r->agg : "",
                                     r->agg_len, &obj, &obj_len);
        if (err)
            break;
        if (!cur) {
            cur = obj;
            cur_len = obj_len;
            continue;
        }
        void *merged = NULL;
        size_t merged_len = 0;
        err = merge(cfg, rec, cur, cur_len, obj, obj_len, &merged,
                    &merged_len);
        weir_serde_free_obj(cfg->as, cur, cur_len);
        weir_serde_free_obj(cfg->as, obj, obj_len);
        cur = merged;
        cur_len = merged_len;
    }
    if (err) {
        weir_serde_free_obj(cfg->as, cur, cur_len);
        cur = NULL;
        cur_len = 0;
    }
    *curp = cur;
    *cur_lenp = cur_len;
    return err;
}

/* Folds @p rec into its session: reached sessions leave the store, the
 * merged one is written under its new end. */
static weir_error_t *session_update(weir_processor_context_t *pctx,
                                    sess_state_t *st, const weir_record_t *rec,
                                    const weir_buf_t *kb)
{
    const weir__agg_cfg_t *cfg = st->cfg;
    int64_t ts = rec->timestamp, start = ts, end = ts;
    reached_t *list = NULL;
    weir_error_t *err = find_reached(st, kb, ts, &list, &start, &end);
    int64_t bound = closed_until(cfg, weir_processor_stream_time(pctx));
    if (!err && bound != INT64_MIN && end <= bound) {
        weir_processor_count_dropped(pctx, "late");
        reached_free(list);
        return NULL;
    }
    void *cur = NULL, *agg = NULL;
    size_t cur_len = 0, agg_len = 0;
    bool borrowed = false;
    if (!err)
        err = merge_reached(cfg, rec, list, &cur, &cur_len);
    if (!err)
        err = weir__agg_fold_obj(cfg, rec, cur, cur_len, &agg, &agg_len,
                                 &borrowed);
    weir_buf_t vb;
    weir_buf_init(&vb, 0);
    unsigned char be[8];
    weir__be64_put(be, (uint64_t)start);
    if (!err)
        err = weir_buf_append(&vb, be, sizeof(be));
    if (!err)
        err = weir_serde_serialize(cfg->as, cfg->topic, agg, agg_len, &vb);
    /* Reached sessions go, except the one the new value replaces. */
    for (reached_t *r = list; r && !err; r = r->next)
        if (r->end != end)
            err = weir_window_store_put(st->ws, kb->data, kb->len, r->end,
                                        NULL, 0);
    if (!err)
        err = weir_window_store_put(st->ws, kb->data, kb->len, end, vb.data,
                                    vb.len);
    weir_buf_free(&vb);
    weir_serde_free_obj(cfg->as, cur, cur_len);
    weir__agg_free(cfg, agg, agg_len, borrowed);
    reached_free(list);
    return err;
}

static weir_error_t *sess_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    sess_state_t *st = state;
    weir_buf_t kb;
    bool skip;
    weir_error_t *err = weir__agg_key_bytes(pctx, st->cfg, rec, &kb, &skip);
    /* Close first: a session that stream time has closed must be out
     * before the record looks for the sessions it reaches. */
    if (!err && !skip)
        err = emit_closed(pctx, st);
    if (!err && !skip)
        err = session_update(pctx, st, rec, &kb);
    weir_buf_free(&kb);
    return err;
}

static weir_error_t *sess_punctuate(weir_processor_context_t *pctx,
                                    void *state, weir_punctuation_type_t type,
                                    int64_t timestamp, int tag)
{
    (void)type;
    (void)timestamp;
    (void)tag;
    return emit_closed(pctx, state);
}

const weir_processor_ops_t weir__session_agg_ops = {
    .init = weir__wagg_init,
    .process = sess_process,
    .punctuate = sess_punctuate,
    .close = weir__wagg_close,
};
