/*
 * window_store.c: window stores on top of any key-value engine.
 *
 * A window entry (key, window start) is stored under one engine key:
 *
 *     segment id (8 bytes BE, sign bit flipped)
 *     user key, escaped (0x00 -> 0x00 0xff), then 0x00 0x00
 *     window start (8 bytes BE, sign bit flipped)
 *
 * so the engine's bytewise order is segment, then user key (bytewise, a
 * shorter key first: the 0x00 0x00 terminator sorts below any escaped
 * continuation), then window start. A per-key time range inside a segment
 * is one seek and a contiguous scan; a fetch visits only segments that
 * hold entries (one probe seek finds the next non-empty one), and
 * fetch_all is one scan over its segments, in the order window_store.h
 * promises.
 *
 * Segments: segment id = floor(window start / segment_ms). Retention is
 * measured from the largest window start written ("observed time"), as in
 * Kafka Streams: windows older than observed - retention + 1 are expired.
 * Expired windows are never returned (fetches clamp their lower bound) and
 * a put into one is ignored and counted. A whole segment below the oldest
 * live one is dropped with one engine delete_range — RocksDB's DeleteRange,
 * a single tombstone that compaction turns into dropped files — never with
 * per-key deletes. Inside a transaction the drop is deferred to the commit
 * (RocksDB cannot index a range deletion in a WriteBatchWithIndex); since
 * reads already filter expired windows, a crash before the drop only
 * delays it to the next commit or open.
 *
 * The observed time is persisted next to the changelog position (the
 * engine's "extra" value), in the same atomic commit, and reverts on abort.
 * By default puts move it; with owner time (weir_window_store_set_owner_time)
 * only weir_window_store_advance_time() does, for aggregations whose event
 * time comes from watermarks and that write windows ahead of it.
 *
 * Queries (query_fetch, query_fetch_all) may come from other threads: they
 * use the engine's committed-data queries and the committed observed time
 * (atomics), and share no other state with the owner's calls.
 *
 * The window store is a weir_store_t whose core is the engine store:
 * store.c's lifecycle works on it, and the steps below (commit, abort,
 * restore) add what is the window store's own. The changelog sink is kept
 * in the engine store's header too; the window store's writes bypass
 * kv_store.c, so only send_changelog() here ever uses it.
 *
 * Changelog records use the key of weir_window_changelog_key_encode() —
 * the user key then the window start — so a restore can rebuild segments
 * from any engine and the changelog topic compacts per (key, window).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc_int.h"
#include "store_int.h"

struct weir_window_store_s {
    weir_store_t base; /* first: see weir_window_store_as_store() */
    /* The engine store: the base's core, so it keeps the name, logger,
     * changelog sink, position and transaction flag. */
    weir_kv_store_t *inner;
    int64_t retention;
    int64_t segment;
    /* Atomic: queries read committed_observed from other threads. */
    _Atomic int64_t observed;           /* INT64_MIN: nothing written */
    _Atomic int64_t committed_observed; /* what abort returns to */
    int64_t live_seg;                   /* segments below this are dropped */
    bool owner_time; /* observed time moves by advance_time() only */
    uint64_t expired_puts;
};

struct weir_window_iter_s {
    weir_window_store_t *ws;
    weir_kv_iter_t *inner;
    bool all;           /* fetch_all: filter by time, decode keys */
    bool query;         /* committed data, any thread (query_range) */
    unsigned char *key; /* fetch: the user key; fetch_all: current key */
    size_t klen, kcap;
    int64_t from, to; /* window start bounds, inclusive */
    int64_t seg, last_seg;
    bool done;
    int64_t ts;
    bool valid;
    weir_error_t *err;
};

static const weir__store_ops_t window_store_ops;

/* Encoding ------------------------------------------------------------ */

static uint64_t flip(int64_t v)
{
    return (uint64_t)v ^ (UINT64_C(1) << 63);
}

static int64_t unflip(uint64_t v)
{
    return (int64_t)(v ^ (UINT64_C(1) << 63));
}

static int64_t seg_of(const weir_window_store_t *ws, int64_t t)
{
    int64_t q = t / ws->segment;
    if (t % ws->segment < 0)
        q--;
    return q;
}

static int64_t live_from(const weir_window_store_t *ws, int64_t observed)
{
    if (observed == INT64_MIN || observed < INT64_MIN + ws->retention)
        return INT64_MIN;
    return observed - ws->retention + 1;
}

static int64_t min_live(const weir_window_store_t *ws)
{
    return live_from(ws, ws->observed);
}

static size_t enc_max(size_t klen)
{
    return 8 + 2 * klen + 2 + 8;
}

/* Writes seg | escaped key | 00 00 | ts into out (enc_max bytes). */
static size_t encode(unsigned char *out, int64_t seg, const void *key,
                     size_t klen, int64_t ts)
{
    const unsigned char *k = key;
    size_t n = 8;
    weir__be64_put(out, flip(seg));
    for (size_t i = 0; i < klen; i++) {
        out[n++] = k[i];
        if (!k[i])
            out[n++] = 0xff;
    }
    out[n++] = 0;
    out[n++] = 0;
    weir__be64_put(out + n, flip(ts));
    return n + 8;
}

/* Decodes an engine key into the user key (into *bufp) and window start. */
static bool decode(const unsigned char *ek, size_t elen, unsigned char **bufp,
                   size_t *capp, size_t *klenp, int64_t *tsp)
{
    if (elen < 18)
        return false;
    size_t need = elen; /* the user key is never longer than its encoding */
    if (need > *capp) {
        unsigned char *nb = weir__realloc(*bufp, need);
        if (!nb)
            return false;
        *bufp = nb;
        *capp = need;
    }
    size_t i = 8, k = 0;
    size_t end = elen - 8;
    while (i < end) {
        if (ek[i]) {
            (*bufp)[k++] = ek[i++];
            continue;
        }
        if (i + 1 >= end)
            return false;
        if (ek[i + 1] == 0) {
            if (i + 2 != end)
                return false;
            *klenp = k;
            *tsp = unflip(weir__be64_get(ek + end));
            return true;
        }
        if (ek[i + 1] != 0xff)
            return false;
        (*bufp)[k++] = 0;
        i += 2;
    }
    return false;
}

void *weir_window_changelog_key_encode(const void *key, size_t key_len,
                                       int64_t window_start, size_t *lenp)
{
    unsigned char *out = weir__malloc(key_len + 8);
    if (!out)
        return NULL;
    if (key_len)
        memcpy(out, key, key_len);
    weir__be64_put(out + key_len, (uint64_t)window_start);
    *lenp = key_len + 8;
    return out;
}

bool weir_window_changelog_key_decode(const void *ckey, size_t clen,
                                      const void **keyp, size_t *key_lenp,
                                      int64_t *window_startp)
{
    if (!ckey || clen < 8)
        return false;
    const unsigned char *p = ckey;
    *keyp = p;
    *key_lenp = clen - 8;
    *window_startp = (int64_t)weir__be64_get(p + clen - 8);
    return true;
}

/* Lifecycle ------------------------------------------------------------- */

weir_window_store_t *weir__window_store_new(weir_kv_store_t *inner,
                                            int64_t retention_ms,
                                            int64_t segment_ms,
                                            weir_error_t **errp)
{
    *errp = NULL;
    if (retention_ms <= 0 || segment_ms <= 0 || segment_ms > retention_ms) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "window store %s: need 0 < segment_ms "
                               "(%" PRId64 ") <= retention_ms (%" PRId64 ")",
                               inner->name, segment_ms, retention_ms);
        weir__kv_store_destroy(inner);
        return NULL;
    }
    weir_window_store_t *ws = weir__calloc(1, sizeof(*ws));
    if (!ws) {
        *errp = weir_error_new(WEIR_ERR_NOMEM,
                               "window store %s: out of memory", inner->name);
        weir__kv_store_destroy(inner);
        return NULL;
    }
    ws->base.ops = &window_store_ops;
    ws->base.core = inner;
    ws->inner = inner;
    ws->retention = retention_ms;
    ws->segment = segment_ms;
    /* Persisted by the engine next to the position (INT64_MIN: none). */
    ws->observed = inner->extra;
    ws->committed_observed = ws->observed;
    ws->live_seg = INT64_MIN;
    return ws;
}

weir_window_store_t *weir_window_store_memory_new(const char *name,
                                                  int64_t retention_ms,
                                                  int64_t segment_ms,
                                                  weir_error_t **errp)
{
    weir_kv_store_t *inner = weir__kv_memory_new(name, NULL, errp);
    if (!inner)
        return NULL;
    return weir__window_store_new(inner, retention_ms, segment_ms, errp);
}

weir_store_t *weir_window_store_as_store(weir_window_store_t *ws)
{
    return ws ? &ws->base : NULL;
}

weir_window_store_t *weir_store_as_window(weir_store_t *store)
{
    if (!store || store->ops->kind != WEIR__STORE_KIND_WINDOW)
        return NULL;
    /* The base is the first member of a window store. */
    return (weir_window_store_t *)store;
}

const char *weir_window_store_name(const weir_window_store_t *ws)
{
    return ws->inner->name;
}

int64_t weir_window_store_observed_time(const weir_window_store_t *ws)
{
    return ws->observed;
}

uint64_t weir_window_store_expired_puts(const weir_window_store_t *ws)
{
    return ws->expired_puts;
}

/*
 * Drops the segments that are wholly older than the oldest live window.
 * Only committed data is touched, so it runs outside transactions.
 */
static weir_error_t *drop_expired(weir_window_store_t *ws)
{
    int64_t ml = min_live(ws);
    if (ml == INT64_MIN)
        return NULL;
    int64_t live = seg_of(ws, ml);
    if (live <= ws->live_seg)
        return NULL;
    unsigned char to[8];
    weir__be64_put(to, flip(live));
    weir_error_t *err = ws->inner->ops->delete_range(ws->inner, "", 0, to, 8);
    if (err)
        return err;
    weir__dbg(&ws->inner->log, STORE, "STORE",
              "%s: dropped segments below %" PRId64 " (observed %" PRId64 ")",
              ws->inner->name, live, ws->observed);
    ws->live_seg = live;
    return NULL;
}

/* Access ---------------------------------------------------------------- */

static weir_error_t *nomem(const weir_window_store_t *ws)
{
    return weir_error_new(WEIR_ERR_NOMEM, "window store %s: out of memory",
                          ws->inner->name);
}

/* Encodes into stack when small, else the heap (*heapp to free). */
static unsigned char *enc_buf(unsigned char *stack, size_t stack_len,
                              size_t need, unsigned char **heapp)
{
    *heapp = NULL;
    if (need <= stack_len)
        return stack;
    *heapp = weir__malloc(need);
    return *heapp;
}

static weir_error_t *send_changelog(weir_window_store_t *ws, const void *key,
                                    size_t klen, int64_t ts, const void *val,
                                    size_t vlen)
{
    const weir_changelog_sink_t *sink = ws->inner->sink;
    if (!sink)
        return NULL;
    unsigned char stack[256];
    unsigned char *heap;
    unsigned char *ck = enc_buf(stack, sizeof(stack), klen + 8, &heap);
    if (!ck)
        return nomem(ws);
    if (klen)
        memcpy(ck, key, klen);
    weir__be64_put(ck + klen, (uint64_t)ts);
    weir_error_t *err = sink->send(ws->inner->sink_opaque, ws->inner->name, ck,
                                   klen + 8, val, vlen);
    weir__free(heap);
    if (err)
        err = weir_error_prefix(
            err, "window store %s: changelog: ", ws->inner->name);
    return err;
}

/* Moves observed time forward; outside a transaction it is committed at
 * once and expired segments go. */
static weir_error_t *move_observed(weir_window_store_t *ws, int64_t t)
{
    ws->observed = t;
    if (ws->inner->in_txn)
        return NULL;
    ws->committed_observed = ws->observed;
    ws->inner->extra = ws->observed;
    return drop_expired(ws);
}

weir_error_t *weir_window_store_put(weir_window_store_t *ws, const void *key,
                                    size_t key_len, int64_t window_start,
                                    const void *val, size_t val_len)
{
    if ((!key && key_len) || (!val && val_len))
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "window store %s: NULL key or value with a "
                              "length",
                              ws->inner->name);
    if (window_start < min_live(ws)) {
        ws->expired_puts++;
        weir__dbg(&ws->inner->log, STORE, "STORE",
                  "%s: put into expired window %" PRId64 " ignored",
                  ws->inner->name, window_start);
        return NULL;
    }
    unsigned char stack[256];
    unsigned char *heap;
    unsigned char *ek = enc_buf(stack, sizeof(stack), enc_max(key_len), &heap);
    if (!ek)
        return nomem(ws);
    size_t elen = encode(ek, seg_of(ws, window_start), key, key_len,
                         window_start);
    weir_error_t *err = ws->inner->ops->write(ws->inner, ek, elen, val,
                                              val_len);
    weir__free(heap);
    if (err)
        return err;
    if (!ws->owner_time && window_start > ws->observed) {
        err = move_observed(ws, window_start);
        if (err)
            return err;
    }
    return send_changelog(ws, key, key_len, window_start, val, val_len);
}

void weir_window_store_set_owner_time(weir_window_store_t *ws, bool on)
{
    ws->owner_time = on;
}

weir_error_t *weir_window_store_advance_time(weir_window_store_t *ws,
                                             int64_t t)
{
    if (t <= ws->observed)
        return NULL;
    return move_observed(ws, t);
}

weir_error_t *weir_window_store_get(weir_window_store_t *ws, const void *key,
                                    size_t key_len, int64_t window_start,
                                    void **valp, size_t *val_lenp,
                                    bool *foundp)
{
    *valp = NULL;
    *val_lenp = 0;
    *foundp = false;
    if (!key && key_len)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "window store %s: NULL key with a length",
                              ws->inner->name);
    if (window_start < min_live(ws))
        return NULL;
    unsigned char stack[256];
    unsigned char *heap;
    unsigned char *ek = enc_buf(stack, sizeof(stack), enc_max(key_len), &heap);
    if (!ek)
        return nomem(ws);
    size_t elen = encode(ek, seg_of(ws, window_start), key, key_len,
                         window_start);
    weir_error_t *err = ws->inner->ops->get(ws->inner, ek, elen, valp,
                                            val_lenp, foundp);
    weir__free(heap);
    return err;
}

/* Iterators --------------------------------------------------------------- */

static weir_error_t *open_range(weir_window_iter_t *it, const void *from,
                                size_t flen, bool from_incl, const void *to,
                                size_t tlen, bool to_incl,
                                weir_kv_iter_t **itp)
{
    if (it->query)
        return weir_kv_store_query_range(it->ws->inner, from, flen, from_incl,
                                         to, tlen, to_incl, itp);
    return weir_kv_store_range(it->ws->inner, from, flen, from_incl, to, tlen,
                               to_incl, itp);
}

/*
 * fetch_all: one inner scan over every segment in [seg, last_seg] (keys
 * are ordered by segment first), filtered by window start.
 */
static weir_error_t *open_all(weir_window_iter_t *it)
{
    unsigned char from[8], to[8];
    weir__be64_put(from, flip(it->seg));
    bool bounded = it->last_seg < INT64_MAX;
    if (bounded)
        weir__be64_put(to, flip(it->last_seg + 1));
    return open_range(it, from, 8, true, bounded ? to : NULL, 8, false,
                      &it->inner);
}

/* fetch: the key's windows inside segment it->seg: one seek. */
static weir_error_t *open_key_segment(weir_window_iter_t *it)
{
    size_t max = enc_max(it->klen);
    unsigned char *buf = weir__malloc(2 * max);
    if (!buf)
        return nomem(it->ws);
    size_t flen = encode(buf, it->seg, it->key, it->klen, it->from);
    size_t tlen = encode(buf + max, it->seg, it->key, it->klen, it->to);
    weir_error_t *err = open_range(it, buf, flen, true, buf + max, tlen, true,
                                   &it->inner);
    weir__free(buf);
    return err;
}

/*
 * Moves it->seg to the next segment after it that holds any entry (one
 * seek), so a fetch over a wide time range never walks empty segments.
 * Returns false when there is none up to last_seg.
 */
static bool next_segment(weir_window_iter_t *it)
{
    if (it->seg >= it->last_seg)
        return false;
    unsigned char from[8], to[8];
    weir__be64_put(from, flip(it->seg + 1));
    bool bounded = it->last_seg < INT64_MAX;
    if (bounded)
        weir__be64_put(to, flip(it->last_seg + 1));
    weir_kv_iter_t *probe = NULL;
    it->err = open_range(it, from, 8, true, bounded ? to : NULL, 8, false,
                         &probe);
    if (it->err)
        return false;
    bool found = false;
    if (weir_kv_iter_valid(probe)) {
        size_t elen;
        const unsigned char *ek = weir_kv_iter_key(probe, &elen);
        if (elen >= 8) {
            it->seg = unflip(weir__be64_get(ek));
            found = true;
        }
    }
    weir_kv_iter_close(probe);
    return found;
}

/*
 * Moves to the first acceptable entry at or after the inner iterator's
 * position, crossing segments as needed.
 */
static void settle(weir_window_iter_t *it)
{
    it->valid = false;
    for (;;) {
        if (it->done)
            return;
        if (!it->inner) {
            it->err = it->all ? open_all(it) : open_key_segment(it);
            if (it->err)
                return;
        }
        while (weir_kv_iter_valid(it->inner)) {
            size_t elen;
            const unsigned char *ek = weir_kv_iter_key(it->inner, &elen);
            size_t klen = 0;
            int64_t ts;
            if (!decode(ek, elen, &it->key, &it->kcap, &klen, &ts)) {
                it->err = weir_error_new(WEIR_ERR_STORE_CORRUPT,
                                         "window store %s: undecodable key "
                                         "of %zu bytes",
                                         it->ws->inner->name, elen);
                return;
            }
            if (ts >= it->from && ts <= it->to) {
                if (it->all)
                    it->klen = klen;
                it->ts = ts;
                it->valid = true;
                return;
            }
            weir_kv_iter_next(it->inner);
        }
        if (weir_kv_iter_error(it->inner)) {
            it->err = weir_error_new(
                WEIR_ERR_STORE, "window store %s: %s", it->ws->inner->name,
                weir_error_string(weir_kv_iter_error(it->inner)));
            return;
        }
        weir_kv_iter_close(it->inner);
        it->inner = NULL;
        if (it->all || !next_segment(it))
            it->done = true;
    }
}

static weir_error_t *iter_new(weir_window_store_t *ws, bool all, bool query,
                              const void *key, size_t klen, int64_t from,
                              int64_t to, weir_window_iter_t **iterp)
{
    *iterp = NULL;
    if (!all && !key && klen)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "window store %s: NULL key with a length",
                              ws->inner->name);
    weir_window_iter_t *it = weir__calloc(1, sizeof(*it));
    if (!it)
        return nomem(ws);
    it->ws = ws;
    it->all = all;
    it->query = query;
    int64_t ml = live_from(ws, query ? ws->committed_observed : ws->observed);
    it->from = from > ml ? from : ml;
    it->to = to;
    if (!all) {
        /*
         * Decoding writes each entry's key into it->key; for a fetch that
         * is the same key (the range holds nothing else), so the search
         * key stays intact. Room for the longest encoding.
         */
        it->kcap = 2 * klen + 18;
        it->key = weir__malloc(it->kcap);
        if (!it->key) {
            weir__free(it);
            return nomem(ws);
        }
        if (klen)
            memcpy(it->key, key, klen);
        it->klen = klen;
    }
    /*
     * Segments are not bounded by the observed time: with owner time,
     * windows may lie ahead of it. Empty segments are skipped by seeking.
     */
    it->done = it->from > it->to;
    if (!it->done) {
        it->seg = seg_of(ws, it->from);
        it->last_seg = seg_of(ws, it->to);
    }
    settle(it);
    if (it->err) {
        weir_error_t *err = it->err;
        it->err = NULL;
        weir_window_iter_close(it);
        return err;
    }
    *iterp = it;
    return NULL;
}

weir_error_t *weir_window_store_fetch(weir_window_store_t *ws, const void *key,
                                      size_t key_len, int64_t from, int64_t to,
                                      weir_window_iter_t **iterp)
{
    return iter_new(ws, false, false, key, key_len, from, to, iterp);
}

weir_error_t *weir_window_store_fetch_all(weir_window_store_t *ws,
                                          int64_t from, int64_t to,
                                          weir_window_iter_t **iterp)
{
    return iter_new(ws, true, false, NULL, 0, from, to, iterp);
}

weir_error_t *weir_window_store_query_fetch(weir_window_store_t *ws,
                                            const void *key, size_t key_len,
                                            int64_t from, int64_t to,
                                            weir_window_iter_t **iterp)
{
    return iter_new(ws, false, true, key, key_len, from, to, iterp);
}

weir_error_t *weir_window_store_query_fetch_all(weir_window_store_t *ws,
                                                int64_t from, int64_t to,
                                                weir_window_iter_t **iterp)
{
    return iter_new(ws, true, true, NULL, 0, from, to, iterp);
}

bool weir_window_iter_valid(const weir_window_iter_t *it)
{
    return !it->err && it->valid;
}

void weir_window_iter_next(weir_window_iter_t *it)
{
    if (!weir_window_iter_valid(it))
        return;
    weir_kv_iter_next(it->inner);
    settle(it);
}

const void *weir_window_iter_key(const weir_window_iter_t *it, size_t *lenp)
{
    bool v = weir_window_iter_valid(it);
    *lenp = v ? it->klen : 0;
    return v ? it->key : NULL;
}

int64_t weir_window_iter_window_start(const weir_window_iter_t *it)
{
    return weir_window_iter_valid(it) ? it->ts : INT64_MIN;
}

const void *weir_window_iter_value(const weir_window_iter_t *it, size_t *lenp)
{
    if (!weir_window_iter_valid(it)) {
        *lenp = 0;
        return NULL;
    }
    return weir_kv_iter_value(it->inner, lenp);
}

const weir_error_t *weir_window_iter_error(const weir_window_iter_t *it)
{
    return it->err;
}

void weir_window_iter_close(weir_window_iter_t *it)
{
    if (!it)
        return;
    weir_kv_iter_close(it->inner);
    weir__free(it->key);
    weir_error_destroy(it->err);
    weir__free(it);
}

/* The window store's own lifecycle steps (store.c) ------------------ */

static weir_error_t *window_commit(weir_store_t *store, int64_t offset)
{
    weir_window_store_t *ws = (weir_window_store_t *)store;
    weir_error_t *err = weir__kv_store_commit_extra(ws->inner, offset,
                                                    ws->observed);
    if (err)
        return err;
    ws->committed_observed = ws->observed;
    return drop_expired(ws);
}

static weir_error_t *window_abort(weir_store_t *store)
{
    weir_window_store_t *ws = (weir_window_store_t *)store;
    weir_error_t *err = weir__kv_store_abort(ws->inner);
    if (!ws->inner->in_txn)
        ws->observed = ws->committed_observed;
    return err;
}

static weir_error_t *window_restore_apply(weir_store_t *store,
                                          const weir_changelog_record_t *recs,
                                          size_t n, int64_t next_offset)
{
    weir_window_store_t *ws = (weir_window_store_t *)store;
    /*
     * One arena for the batch's engine keys: the records are translated,
     * then written by the engine in one bulk write.
     */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].key || recs[i].key_len < 8)
            return weir_error_new(WEIR_ERR_STORE_CORRUPT,
                                  "window store %s: changelog key of %zu "
                                  "bytes is not a window key",
                                  ws->inner->name, recs[i].key_len);
        total += enc_max(recs[i].key_len - 8);
    }
    unsigned char *arena = weir__malloc(total + 1);
    weir_changelog_record_t *out = weir__malloc((n + 1) * sizeof(*out));
    if (!arena || !out) {
        weir__free(arena);
        weir__free(out);
        return nomem(ws);
    }
    size_t m = 0, used = 0;
    for (size_t i = 0; i < n; i++) {
        const void *key;
        size_t klen;
        int64_t ts;
        weir_window_changelog_key_decode(recs[i].key, recs[i].key_len, &key,
                                         &klen, &ts);
        if (!ws->owner_time && ts > ws->observed)
            ws->observed = ts;
        if (ts < min_live(ws))
            continue;
        out[m] = (weir_changelog_record_t){
            .key = arena + used,
            .key_len = encode(arena + used, seg_of(ws, ts), key, klen, ts),
            .val = recs[i].val,
            .val_len = recs[i].val_len,
        };
        used += out[m].key_len;
        m++;
    }
    weir_error_t *err = weir__kv_store_restore_write(
        ws->inner, out, m, next_offset, ws->observed, n);
    weir__free(arena);
    weir__free(out);
    if (!err)
        ws->committed_observed = ws->observed;
    return err;
}

static weir_error_t *window_restore_end(weir_store_t *store)
{
    weir_window_store_t *ws = (weir_window_store_t *)store;
    weir_error_t *err = weir__kv_store_restore_end(ws->inner);
    if (err)
        return err;
    return drop_expired(ws);
}

static void window_destroy(weir_store_t *store)
{
    weir_window_store_t *ws = (weir_window_store_t *)store;
    weir__kv_store_destroy(ws->inner);
    weir__free(ws);
}

static const weir__store_ops_t window_store_ops = {
    .kind = WEIR__STORE_KIND_WINDOW,
    .commit = window_commit,
    .abort = window_abort,
    .restore_apply = window_restore_apply,
    .restore_end = window_restore_end,
    .destroy = window_destroy,
};
