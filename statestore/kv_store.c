/*
 * kv_store.c: the public key-value store functions, shared by every engine.
 *
 * Each call checks its arguments, dispatches through the store's ops table
 * (kv_memory.c, kv_rocksdb.c) and, for writes, hands the change to the
 * changelog sink once the engine has accepted it. Keeping that order here
 * means an engine never has to know about changelogs, and a changelog
 * record is never sent for a write the store refused.
 *
 * Transactions are tracked here too (in_txn, open iterators), so every
 * engine reports misuse the same way: a commit with an open iterator is a
 * WEIR_ERR_STATE error, not undefined behaviour. Restore bookkeeping
 * (counts, rate, progress callback at most once a second) lives here as
 * well; engines only write the records.
 */
#include <time.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "store_int.h"

double weir__store_now(void)
{
    return (double)weir__mono_ms() / 1000.0;
}

weir_error_t *weir__kv_store_init(weir_kv_store_t *kv,
                                  const weir__kv_ops_t *ops,
                                  const char *name,
                                  const weir__logger_t *log)
{
    kv->ops = ops;
    kv->name = weir__strdup(name);
    if (!kv->name)
        return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                              name);
    kv->log = log ? *log : weir__logger_default();
    kv->position = WEIR_STORE_NO_POSITION;
    kv->extra = INT64_MIN;
    return NULL;
}

void weir__kv_store_fini(weir_kv_store_t *kv)
{
    weir__free(kv->name);
    kv->name = NULL;
}

const char *weir_kv_store_name(const weir_kv_store_t *kv)
{
    return kv->name;
}

void weir_kv_store_destroy(weir_kv_store_t *kv)
{
    if (!kv)
        return;
    if (kv->in_txn) {
        weir_error_destroy(kv->ops->abort(kv));
        kv->in_txn = false;
    }
    kv->ops->destroy(kv);
}

void weir_kv_store_set_changelog(weir_kv_store_t *kv,
                                 const weir_changelog_sink_t *sink,
                                 void *opaque)
{
    kv->sink = sink;
    kv->sink_opaque = opaque;
}

void weir_kv_store_set_log_cb(weir_kv_store_t *kv, weir_log_cb_t *cb,
                              void *opaque, bool debug)
{
    kv->log.cb = cb;
    kv->log.opaque = opaque;
    kv->log.debug = debug ? (WEIR__DBG_STORE | WEIR__DBG_RESTORE) : 0;
}

static weir_error_t *check_key(const weir_kv_store_t *kv, const void *key,
                               size_t klen)
{
    if (!key && klen)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: NULL key with length %zu", kv->name,
                              klen);
    return NULL;
}

weir_error_t *weir_kv_store_get(weir_kv_store_t *kv, const void *key,
                                size_t key_len, void **valp,
                                size_t *val_lenp, bool *foundp)
{
    *valp = NULL;
    *val_lenp = 0;
    *foundp = false;
    weir_error_t *err = check_key(kv, key, key_len);
    if (err)
        return err;
    return kv->ops->get(kv, key, key_len, valp, val_lenp, foundp);
}

static weir_error_t *send_changelog(weir_kv_store_t *kv, const void *key,
                                    size_t klen, const void *val,
                                    size_t vlen)
{
    if (!kv->sink || kv->restoring)
        return NULL;
    weir_error_t *err = kv->sink->send(kv->sink_opaque, kv->name, key, klen,
                                       val, vlen);
    if (err)
        weir_error_prefix(err, "store %s: changelog: ", kv->name);
    return err;
}

weir_error_t *weir_kv_store_put(weir_kv_store_t *kv, const void *key,
                                size_t key_len, const void *val,
                                size_t val_len)
{
    weir_error_t *err = check_key(kv, key, key_len);
    if (err)
        return err;
    if (!val && val_len)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: NULL value with length %zu",
                              kv->name, val_len);
    /* An empty value is a value, not a delete: give the engine a pointer. */
    if (!val)
        val = "";
    err = kv->ops->write(kv, key, key_len, val, val_len);
    if (err)
        return err;
    return send_changelog(kv, key, key_len, val, val_len);
}

weir_error_t *weir_kv_store_delete(weir_kv_store_t *kv, const void *key,
                                   size_t key_len)
{
    weir_error_t *err = check_key(kv, key, key_len);
    if (err)
        return err;
    err = kv->ops->write(kv, key, key_len, NULL, 0);
    if (err)
        return err;
    return send_changelog(kv, key, key_len, NULL, 0);
}

weir_error_t *weir_kv_store_range(weir_kv_store_t *kv, const void *from,
                                  size_t from_len, bool from_inclusive,
                                  const void *to, size_t to_len,
                                  bool to_inclusive, weir_kv_iter_t **iterp)
{
    *iterp = NULL;
    weir_kv_iter_t *it = NULL;
    weir_error_t *err = kv->ops->range(kv, from, from_len, from_inclusive, to,
                                       to_len, to_inclusive, &it);
    if (err)
        return err;
    it->kv = kv;
    kv->open_iters++;
    *iterp = it;
    return NULL;
}

weir_error_t *weir_kv_store_prefix_scan(weir_kv_store_t *kv,
                                        const void *prefix,
                                        size_t prefix_len,
                                        weir_kv_iter_t **iterp)
{
    *iterp = NULL;
    if (!prefix_len)
        return weir_kv_store_all(kv, iterp);
    if (!prefix)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: NULL prefix", kv->name);
    /*
     * The keys with a prefix are exactly [prefix, successor) where the
     * successor drops trailing 0xff bytes and increments the last other
     * byte; a prefix of only 0xff bytes has no upper bound.
     */
    unsigned char *succ = weir__memdup(prefix, prefix_len);
    if (!succ)
        return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                              kv->name);
    size_t slen = prefix_len;
    while (slen && succ[slen - 1] == 0xff)
        slen--;
    if (slen)
        succ[slen - 1]++;
    weir_error_t *err = weir_kv_store_range(kv, prefix, prefix_len, true,
                                            slen ? succ : NULL, slen, false,
                                            iterp);
    weir__free(succ);
    return err;
}

weir_error_t *weir_kv_store_all(weir_kv_store_t *kv, weir_kv_iter_t **iterp)
{
    return weir_kv_store_range(kv, NULL, 0, true, NULL, 0, false, iterp);
}

weir_error_t *weir_kv_store_approximate_count(weir_kv_store_t *kv,
                                              uint64_t *countp)
{
    *countp = 0;
    return kv->ops->count(kv, countp);
}

bool weir_kv_iter_valid(const weir_kv_iter_t *it)
{
    return !it->err && it->ops->valid(it);
}

void weir_kv_iter_next(weir_kv_iter_t *it)
{
    if (weir_kv_iter_valid(it))
        it->ops->next(it);
}

const void *weir_kv_iter_key(const weir_kv_iter_t *it, size_t *lenp)
{
    return it->ops->key(it, lenp);
}

const void *weir_kv_iter_value(const weir_kv_iter_t *it, size_t *lenp)
{
    return it->ops->value(it, lenp);
}

const weir_error_t *weir_kv_iter_error(const weir_kv_iter_t *it)
{
    return it->err;
}

void weir_kv_iter_close(weir_kv_iter_t *it)
{
    if (!it)
        return;
    if (it->kv)
        it->kv->open_iters--;
    weir_error_destroy(it->err);
    it->ops->close(it);
}

/* Transactions ------------------------------------------------------ */

weir_error_t *weir_kv_store_begin(weir_kv_store_t *kv)
{
    if (kv->in_txn)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: a transaction is already open",
                              kv->name);
    if (kv->restoring)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: cannot begin during restore",
                              kv->name);
    weir_error_t *err = kv->ops->begin(kv);
    if (err)
        return err;
    kv->in_txn = true;
    return NULL;
}

weir_error_t *weir__kv_store_commit_extra(weir_kv_store_t *kv,
                                          int64_t offset, int64_t extra)
{
    if (offset < WEIR_STORE_NO_POSITION)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: negative changelog offset %" PRId64,
                              kv->name, offset);
    /* No new position: keep the one the store has (if any). */
    if (offset == WEIR_STORE_NO_POSITION && kv->has_position)
        offset = kv->position;
    if (kv->open_iters)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: %d iterator(s) still open at commit",
                              kv->name, kv->open_iters);
    if (kv->restoring)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: cannot commit during restore",
                              kv->name);
    weir_error_t *err = kv->ops->commit(kv, offset, extra);
    if (err)
        return err;
    kv->in_txn = false;
    if (offset >= 0) {
        kv->has_position = true;
        kv->position = offset;
    }
    kv->extra = extra;
    weir__dbg(&kv->log, STORE, "STORE", "%s: committed at changelog %" PRId64,
              kv->name, offset);
    return NULL;
}

weir_error_t *weir_kv_store_commit(weir_kv_store_t *kv,
                                   int64_t changelog_offset)
{
    return weir__kv_store_commit_extra(kv, changelog_offset, kv->extra);
}

weir_error_t *weir_kv_store_abort(weir_kv_store_t *kv)
{
    if (!kv->in_txn)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: no transaction to abort", kv->name);
    if (kv->open_iters)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: %d iterator(s) still open at abort",
                              kv->name, kv->open_iters);
    weir_error_t *err = kv->ops->abort(kv);
    kv->in_txn = false;
    return err;
}

bool weir_kv_store_in_transaction(const weir_kv_store_t *kv)
{
    return kv->in_txn;
}

void weir_kv_store_position(const weir_kv_store_t *kv, int64_t *offsetp,
                            bool *foundp)
{
    *foundp = kv->has_position;
    *offsetp = kv->has_position ? kv->position : -1;
}

/* Restore ----------------------------------------------------------- */

weir_error_t *weir_kv_store_restore_begin(weir_kv_store_t *kv, uint64_t total,
                                          weir_restore_progress_cb_t *cb,
                                          void *opaque)
{
    if (kv->in_txn || kv->restoring)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: cannot restore inside a "
                              "transaction or another restore",
                              kv->name);
    kv->restoring = true;
    kv->restore_cb = cb;
    kv->restore_opaque = opaque;
    kv->restore_total = total;
    kv->restore_done = 0;
    kv->restore_start = weir__store_now();
    kv->restore_last_report = kv->restore_start;
    weir__log(&kv->log, WEIR_LOG_INFO, "RESTORE",
              "%s: restoring from changelog offset %" PRId64
              ", %" PRIu64 " record(s) expected",
              kv->name, kv->has_position ? kv->position : 0, total);
    return NULL;
}

static void report_progress(weir_kv_store_t *kv, double now)
{
    double secs = now - kv->restore_start;
    double rate = secs > 0 ? (double)kv->restore_done / secs : 0;
    kv->restore_last_report = now;
    if (kv->restore_cb)
        kv->restore_cb(kv->restore_opaque, kv->name, kv->restore_done,
                       kv->restore_total, rate);
    weir__dbg(&kv->log, RESTORE, "RESTORE",
              "%s: %" PRIu64 "/%" PRIu64 " records, %.0f rec/s", kv->name,
              kv->restore_done, kv->restore_total, rate);
}

/* The engine write plus bookkeeping; counted is what progress reports. */
weir_error_t *weir__kv_store_restore_write(weir_kv_store_t *kv,
                                           const weir_changelog_record_t *recs,
                                           size_t n, int64_t next_offset,
                                           int64_t extra, size_t counted)
{
    if (!kv->restoring)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: restore_apply without restore_begin",
                              kv->name);
    if (next_offset < 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: negative changelog offset %" PRId64,
                              kv->name, next_offset);
    weir_error_t *err = kv->ops->restore_write(kv, recs, n, next_offset,
                                               extra);
    if (err)
        return err;
    kv->has_position = true;
    kv->position = next_offset;
    kv->extra = extra;
    kv->restore_done += counted;
    double now = weir__store_now();
    if (now - kv->restore_last_report >= 1.0)
        report_progress(kv, now);
    return NULL;
}

weir_error_t *weir_kv_store_restore_apply(weir_kv_store_t *kv,
                                          const weir_changelog_record_t *recs,
                                          size_t n, int64_t next_offset)
{
    for (size_t i = 0; i < n; i++) {
        weir_error_t *err = check_key(kv, recs[i].key, recs[i].key_len);
        if (err)
            return err;
    }
    return weir__kv_store_restore_write(kv, recs, n, next_offset, kv->extra,
                                        n);
}

weir_error_t *weir_kv_store_restore_end(weir_kv_store_t *kv)
{
    if (!kv->restoring)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: restore_end without restore_begin",
                              kv->name);
    weir_error_t *err = kv->ops->restore_finish(kv);
    kv->restoring = false;
    double now = weir__store_now();
    report_progress(kv, now);
    double secs = now - kv->restore_start;
    weir__log(&kv->log, WEIR_LOG_INFO, "RESTORE",
              "%s: restored %" PRIu64 " record(s) in %.3f s (%.0f rec/s)%s",
              kv->name, kv->restore_done, secs,
              secs > 0 ? (double)kv->restore_done / secs : 0.0,
              err ? ", flush failed" : "");
    return err;
}

weir_error_t *weir_kv_store_checkpoint(weir_kv_store_t *kv, const char *dir)
{
    if (!kv->ops->checkpoint)
        return weir_error_new(WEIR_ERR_UNSUPPORTED,
                              "store %s: checkpoints need a persistent store",
                              kv->name);
    if (!dir || !*dir)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: empty checkpoint directory",
                              kv->name);
    if (kv->restoring)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: cannot checkpoint during restore",
                              kv->name);
    return kv->ops->checkpoint(kv, dir);
}

/* Interactive queries ------------------------------------------------- */

weir_error_t *weir_kv_store_query_get(weir_kv_store_t *kv, const void *key,
                                      size_t key_len, void **valp,
                                      size_t *val_lenp, bool *foundp)
{
    *valp = NULL;
    *val_lenp = 0;
    *foundp = false;
    weir_error_t *err = check_key(kv, key, key_len);
    if (err)
        return err;
    return kv->ops->query_get(kv, key, key_len, valp, val_lenp, foundp);
}

weir_error_t *weir_kv_store_query_range(weir_kv_store_t *kv,
                                        const void *from, size_t from_len,
                                        bool from_inclusive, const void *to,
                                        size_t to_len, bool to_inclusive,
                                        weir_kv_iter_t **iterp)
{
    *iterp = NULL;
    weir_kv_iter_t *it = NULL;
    weir_error_t *err = kv->ops->query_range(kv, from, from_len,
                                             from_inclusive, to, to_len,
                                             to_inclusive, &it);
    if (err)
        return err;
    it->kv = NULL; /* not part of the owner's transaction */
    *iterp = it;
    return NULL;
}

/* Materialized iterators ------------------------------------------------- */

struct weir__vec_iter_s {
    weir_kv_iter_t base;
    const char *name;
    unsigned char *data; /* klen, key, vlen, value, ... */
    size_t used, cap;
    size_t *offs;        /* entry start offsets */
    size_t n, ncap, pos;
};

static const unsigned char *vec_entry(const weir__vec_iter_t *vi,
                                      size_t *klenp)
{
    const unsigned char *p = vi->data + vi->offs[vi->pos];
    memcpy(klenp, p, sizeof(*klenp));
    return p + sizeof(size_t);
}

static bool vit_valid(const weir_kv_iter_t *base)
{
    const weir__vec_iter_t *vi = (const weir__vec_iter_t *)base;
    return vi->pos < vi->n;
}

static void vit_next(weir_kv_iter_t *base)
{
    ((weir__vec_iter_t *)base)->pos++;
}

static const void *vit_key(const weir_kv_iter_t *base, size_t *lenp)
{
    const weir__vec_iter_t *vi = (const weir__vec_iter_t *)base;
    if (vi->pos >= vi->n) {
        *lenp = 0;
        return NULL;
    }
    return vec_entry(vi, lenp);
}

static const void *vit_value(const weir_kv_iter_t *base, size_t *lenp)
{
    const weir__vec_iter_t *vi = (const weir__vec_iter_t *)base;
    if (vi->pos >= vi->n) {
        *lenp = 0;
        return NULL;
    }
    size_t klen;
    const unsigned char *k = vec_entry(vi, &klen);
    memcpy(lenp, k + klen, sizeof(*lenp));
    return k + klen + sizeof(size_t);
}

void weir__vec_iter_free(weir__vec_iter_t *vi)
{
    if (!vi)
        return;
    weir__free(vi->data);
    weir__free(vi->offs);
    weir__free(vi);
}

static void vit_close(weir_kv_iter_t *base)
{
    weir__vec_iter_free((weir__vec_iter_t *)base);
}

static const weir__kv_iter_ops_t vec_iter_ops = {
    .valid = vit_valid,
    .next = vit_next,
    .key = vit_key,
    .value = vit_value,
    .close = vit_close,
};

weir__vec_iter_t *weir__vec_iter_new(weir_kv_store_t *kv)
{
    weir__vec_iter_t *vi = weir__calloc(1, sizeof(*vi));
    if (vi) {
        vi->base.ops = &vec_iter_ops;
        vi->name = kv->name;
    }
    return vi;
}

bool weir__store_copy_into(unsigned char **bufp, size_t *capp,
                           const void *src, size_t len)
{
    if (len + 1 > *capp) {
        size_t cap = *capp ? *capp : 64;
        while (cap < len + 1)
            cap *= 2;
        unsigned char *nb = weir__realloc(*bufp, cap);
        if (!nb)
            return false;
        *bufp = nb;
        *capp = cap;
    }
    if (len)
        memcpy(*bufp, src, len);
    return true;
}

weir_error_t *weir__vec_iter_add(weir__vec_iter_t *vi, const void *key,
                                 size_t klen, const void *val, size_t vlen)
{
    size_t need = 2 * sizeof(size_t) + klen + vlen;
    if (vi->used + need > vi->cap) {
        size_t cap = vi->cap ? vi->cap : 1024;
        while (cap < vi->used + need)
            cap *= 2;
        unsigned char *nd = weir__realloc(vi->data, cap);
        if (!nd)
            goto nomem;
        vi->data = nd;
        vi->cap = cap;
    }
    if (vi->n == vi->ncap) {
        size_t cap = vi->ncap ? vi->ncap * 2 : 64;
        size_t *no = weir__realloc(vi->offs, cap * sizeof(*no));
        if (!no)
            goto nomem;
        vi->offs = no;
        vi->ncap = cap;
    }
    unsigned char *p = vi->data + vi->used;
    vi->offs[vi->n++] = vi->used;
    memcpy(p, &klen, sizeof(klen));
    if (klen)
        memcpy(p + sizeof(klen), key, klen);
    memcpy(p + sizeof(klen) + klen, &vlen, sizeof(vlen));
    if (vlen)
        memcpy(p + 2 * sizeof(klen) + klen, val, vlen);
    vi->used += need;
    return NULL;
nomem:
    return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                          vi->name);
}

weir_kv_iter_t *weir__vec_iter_done(weir__vec_iter_t *vi)
{
    return &vi->base;
}
