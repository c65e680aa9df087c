/*
 * store.c: the lifecycle of every store, whatever its kind: transactions,
 * the changelog position, restore, checkpoints, destroy.
 *
 * A key-value store and a window store are both a weir_store_t (their
 * first member), and the owner drives both through the functions here:
 * one weir_store_commit(), not one per kind. The state these functions
 * keep lives in the store's core key-value store (store_int.h): the
 * transaction flag, open iterators, the committed position and the
 * engine's companion value ("extra", a window store's observed time),
 * and restore progress. Where a kind has steps of its own (a window
 * store commits its observed time with the position and drops expired
 * segments afterwards) the base's ops table says so; the key-value
 * store's table is at the end of this file.
 *
 * Guarantees kept here, for every engine and kind alike: a commit with an
 * open iterator, a begin inside a transaction or a restore, and a commit
 * during a restore are WEIR_ERR_STATE errors that change nothing; the
 * position moves only when the engine has made the data durable with it;
 * an abort always leaves the transaction closed. Restore progress is
 * reported at most once a second and once at the end.
 */
#include <inttypes.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "store_int.h"

double weir__store_now(void)
{
    return (double)weir__mono_ms() / 1000.0;
}

/* Kinds --------------------------------------------------------------- */

weir_store_t *weir_kv_store_as_store(weir_kv_store_t *kv)
{
    return kv ? &kv->base : NULL;
}

weir_kv_store_t *weir_store_as_kv(weir_store_t *store)
{
    if (!store || store->ops->kind != WEIR__STORE_KIND_KV)
        return NULL;
    /* The base is the first member of a key-value store. */
    return (weir_kv_store_t *)store;
}

const char *weir_store_name(const weir_store_t *store)
{
    return store->core->name;
}

void weir_store_destroy(weir_store_t *store)
{
    if (store)
        store->ops->destroy(store);
}

void weir_store_set_changelog(weir_store_t *store,
                              const weir_changelog_sink_t *sink, void *opaque)
{
    store->core->sink = sink;
    store->core->sink_opaque = opaque;
}

void weir_store_set_log_cb(weir_store_t *store, weir_log_cb_t *cb,
                           void *opaque, bool debug)
{
    weir_kv_store_t *core = store->core;
    core->log.cb = cb;
    core->log.opaque = opaque;
    core->log.debug = debug ? (WEIR__DBG_STORE | WEIR__DBG_RESTORE) : 0;
}

bool weir_store_was_reset(const weir_store_t *store)
{
    return store->core->was_reset;
}

/* Transactions ------------------------------------------------------ */

weir_error_t *weir_store_begin(weir_store_t *store)
{
    weir_kv_store_t *kv = store->core;
    if (kv->in_txn)
        return weir_error_new(WEIR_ERR_STATE,
                              "store %s: a transaction is already open",
                              kv->name);
    if (kv->restoring)
        return weir_error_new(
            WEIR_ERR_STATE, "store %s: cannot begin during restore", kv->name);
    weir_error_t *err = kv->ops->begin(kv);
    if (err)
        return err;
    kv->in_txn = true;
    return NULL;
}

weir_error_t *weir__kv_store_commit_extra(weir_kv_store_t *kv, int64_t offset,
                                          int64_t extra)
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

weir_error_t *weir_store_commit(weir_store_t *store, int64_t changelog_offset)
{
    return store->ops->commit(store, changelog_offset);
}

weir_error_t *weir__kv_store_abort(weir_kv_store_t *kv)
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

weir_error_t *weir_store_abort(weir_store_t *store)
{
    return store->ops->abort(store);
}

bool weir_store_in_transaction(const weir_store_t *store)
{
    return store->core->in_txn;
}

void weir_store_position(const weir_store_t *store, int64_t *offsetp,
                         bool *foundp)
{
    const weir_kv_store_t *kv = store->core;
    *foundp = kv->has_position;
    *offsetp = kv->has_position ? kv->position : -1;
}

/* Restore ----------------------------------------------------------- */

weir_error_t *weir_store_restore_begin(weir_store_t *store, uint64_t total,
                                       weir_restore_progress_cb_t *cb,
                                       void *opaque)
{
    weir_kv_store_t *kv = store->core;
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
              "%s: restoring from changelog offset %" PRId64 ", %" PRIu64
              " record(s) expected",
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

weir_error_t *weir_store_restore_apply(weir_store_t *store,
                                       const weir_changelog_record_t *recs,
                                       size_t n, int64_t next_offset)
{
    return store->ops->restore_apply(store, recs, n, next_offset);
}

weir_error_t *weir__kv_store_restore_end(weir_kv_store_t *kv)
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

weir_error_t *weir_store_restore_end(weir_store_t *store)
{
    return store->ops->restore_end(store);
}

/* Checkpoints ------------------------------------------------------- */

weir_error_t *weir_store_checkpoint(weir_store_t *store, const char *dir)
{
    weir_kv_store_t *kv = store->core;
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

/* The key-value store's own steps ------------------------------------ */

void weir__kv_store_destroy(weir_kv_store_t *kv)
{
    if (kv->in_txn) {
        weir_error_destroy(kv->ops->abort(kv));
        kv->in_txn = false;
    }
    kv->ops->destroy(kv);
}

static weir_error_t *kv_commit(weir_store_t *store, int64_t offset)
{
    weir_kv_store_t *kv = store->core;
    return weir__kv_store_commit_extra(kv, offset, kv->extra);
}

static weir_error_t *kv_abort(weir_store_t *store)
{
    return weir__kv_store_abort(store->core);
}

static weir_error_t *kv_restore_apply(weir_store_t *store,
                                      const weir_changelog_record_t *recs,
                                      size_t n, int64_t next_offset)
{
    weir_kv_store_t *kv = store->core;
    for (size_t i = 0; i < n; i++) {
        weir_error_t *err = weir__kv_store_check_key(kv, recs[i].key,
                                                     recs[i].key_len);
        if (err)
            return err;
    }
    return weir__kv_store_restore_write(kv, recs, n, next_offset, kv->extra,
                                        n);
}

static weir_error_t *kv_restore_end(weir_store_t *store)
{
    return weir__kv_store_restore_end(store->core);
}

static void kv_destroy(weir_store_t *store)
{
    weir__kv_store_destroy(store->core);
}

const weir__store_ops_t weir__kv_store_ops = {
    .kind = WEIR__STORE_KIND_KV,
    .commit = kv_commit,
    .abort = kv_abort,
    .restore_apply = kv_restore_apply,
    .restore_end = kv_restore_end,
    .destroy = kv_destroy,
};
