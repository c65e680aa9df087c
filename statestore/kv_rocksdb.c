/*
 * kv_rocksdb.c: the RocksDB engine.
 *
 * One RocksDB instance per store, in `<task dir>/<store>/rocksdb/`, next
 * to a `format` file ("weir-store-format <version> <kind> <segment_ms>").
 * Inside the DB, user keys are stored under a one-byte namespace, 0x01, and
 * the store's metadata under 0x00: the key 0x00 'p' holds the committed
 * changelog position and the engine's companion value (a window store's
 * observed time), 8 bytes big-endian each. Keeping both in the default
 * column family is deliberate: with the write-ahead log off (restore),
 * RocksDB flushes a column family's memtables in write order, so whatever
 * survives a crash is a prefix of the writes with a position that matches
 * it. A separate metadata column family would need atomic flush for that.
 *
 * Transactions: begin() creates a WriteBatchWithIndex; writes go into it,
 * gets read through it (rocksdb_writebatch_wi_get_from_batch_and_db) and
 * iterators merge it over the DB (create_iterator_with_base). commit()
 * adds the position to the same batch and writes it in one atomic write
 * with the WAL on, so after a crash at any point the store is a committed
 * prefix of its changelog. abort() drops the batch. Outside a transaction
 * writes go straight to the DB (WAL on, not fsynced: a process crash loses
 * nothing; a power loss can lose a tail, still leaving a prefix).
 *
 * Restore bypasses the memtable and the WAL: records are buffered, sorted
 * and ingested as SST files that carry the position too
 * (restore_ingest.c), so a crash mid-restore leaves the last ingested
 * prefix with its matching position.
 *
 * Interactive queries (query_get, query_range) read the DB without the
 * batch: committed data, from any thread, with no state shared with the
 * owner's calls.
 *
 * Iterators copy the current key and value (so they stay valid while the
 * processor writes), and a transaction's iterator re-seeks when the batch
 * changed under it, since a WriteBatchWithIndex iterator is not stable
 * across batch writes. Outside transactions an iterator reads the snapshot
 * taken when it was created.
 *
 * Open-time checks (format version, store kind, corruption wipe) are in
 * rocks_open.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc_int.h"
#include "kv_rocksdb_int.h"


static weir_error_t *nomem(const kv_rocks_t *r)
{
    return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                          r->base.name);
}

/* NS_DATA + key in the scratch buffer. */
static const char *data_key(kv_rocks_t *r, const void *key, size_t klen)
{
    if (klen + 1 > r->kcap) {
        size_t cap = r->kcap ? r->kcap : 64;
        while (cap < klen + 1)
            cap *= 2;
        unsigned char *nb = weir__realloc(r->kbuf, cap);
        if (!nb)
            return NULL;
        r->kbuf = nb;
        r->kcap = cap;
    }
    r->kbuf[0] = NS_DATA;
    if (klen)
        memcpy(r->kbuf + 1, key, klen);
    return (const char *)r->kbuf;
}

static weir_error_t *copy_out(kv_rocks_t *r, const char *v, size_t vlen,
                              void **valp, size_t *vlenp)
{
    void *copy = weir__malloc(vlen + 1);
    if (!copy)
        return nomem(r);
    memcpy(copy, v, vlen);
    *valp = copy;
    *vlenp = vlen;
    return NULL;
}

/* Remembers a row in the cache (if the store has one), within the
 * store's share of the environment's row-cache memory. */
static void cache_put(kv_rocks_t *r, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    if (!r->cache)
        return;
    const weir_store_env_t *env = r->td->env;
    int open = atomic_load(&env->rocks_open);
    weir__row_cache_set_max(r->cache, env->row_cache_bytes /
                                          (size_t)(open > 0 ? open : 1));
    weir__row_cache_put(r->cache, key, klen, val, vlen);
}

/* Reads through the open transaction, or the DB. */
static weir_error_t *db_get(kv_rocks_t *r, const char *k, size_t klen,
                            void **valp, size_t *vlenp, bool *foundp)
{
    char *rerr = NULL;
    weir_error_t *err = NULL;
    if (r->wb) {
        size_t vlen = 0;
        char *v = rocksdb_writebatch_wi_get_from_batch_and_db(
            r->wb, r->db, r->ro, k, klen, &vlen, &rerr);
        if (rerr)
            return weir__rocks_error(r->base.name, "get", rerr);
        if (v) {
            err = copy_out(r, v, vlen, valp, vlenp);
            *foundp = !err;
            rocksdb_free(v);
        }
        return err;
    }
    rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(r->db, r->ro, k, klen,
                                                     &rerr);
    if (rerr)
        return weir__rocks_error(r->base.name, "get", rerr);
    if (ps) {
        size_t vlen = 0;
        const char *v = rocksdb_pinnableslice_value(ps, &vlen);
        if (v) {
            err = copy_out(r, v, vlen, valp, vlenp);
            *foundp = !err;
        }
        rocksdb_pinnableslice_destroy(ps);
    }
    return err;
}

static weir_error_t *rk_get(weir_kv_store_t *kv, const void *key, size_t klen,
                            void **valp, size_t *vlenp, bool *foundp)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    if (r->cache) {
        const void *v;
        size_t vlen;
        bool found;
        if (weir__row_cache_get(r->cache, key, klen, &v, &vlen, &found)) {
            if (!found)
                return NULL;
            weir_error_t *err = copy_out(r, v, vlen, valp, vlenp);
            *foundp = !err;
            return err;
        }
    }
    const char *k = data_key(r, key, klen);
    if (!k)
        return nomem(r);
    weir_error_t *err = db_get(r, k, klen + 1, valp, vlenp, foundp);
    if (!err)
        cache_put(r, key, klen, *foundp ? *valp : NULL, *foundp ? *vlenp : 0);
    return err;
}

static weir_error_t *rk_write(weir_kv_store_t *kv, const void *key,
                              size_t klen, const void *val, size_t vlen)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    const char *k = data_key(r, key, klen);
    if (!k)
        return nomem(r);
    if (r->wb) {
        if (val)
            rocksdb_writebatch_wi_put(r->wb, k, klen + 1, val, vlen);
        else
            rocksdb_writebatch_wi_delete(r->wb, k, klen + 1);
        r->gen++;
        cache_put(r, key, klen, val, vlen);
        return NULL;
    }
    char *rerr = NULL;
    if (val)
        rocksdb_put(r->db, r->wo, k, klen + 1, val, vlen, &rerr);
    else
        rocksdb_delete(r->db, r->wo, k, klen + 1, &rerr);
    if (rerr) {
        /* The DB may or may not hold it now: ask it next time. */
        weir__row_cache_clear(r->cache);
        return weir__rocks_error(kv->name, val ? "put" : "delete", rerr);
    }
    cache_put(r, key, klen, val, vlen);
    return NULL;
}

static weir_error_t *rk_count(weir_kv_store_t *kv, uint64_t *countp)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    uint64_t n = 0;
    if (rocksdb_property_int(r->db, "rocksdb.estimate-num-keys", &n))
        return weir_error_new(WEIR_ERR_STORE,
                              "store %s: cannot read estimate-num-keys",
                              kv->name);
    /* The position key is not user data. */
    if (n && kv->has_position)
        n--;
    *countp = n;
    return NULL;
}

static weir_error_t *rk_begin(weir_kv_store_t *kv)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    r->wb = rocksdb_writebatch_wi_create(0, 1 /* overwrite_key */);
    return NULL;
}

static void position_value(char out[16], int64_t offset, int64_t extra)
{
    weir__be64_put((unsigned char *)out, (uint64_t)offset);
    weir__be64_put((unsigned char *)out + 8, (uint64_t)extra);
}

static weir_error_t *rk_commit(weir_kv_store_t *kv, int64_t offset,
                               int64_t extra)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    char pos[16];
    position_value(pos, offset, extra);
    char *rerr = NULL;
    if (r->wb) {
        /* Data and position: one atomic write. */
        rocksdb_writebatch_wi_put(r->wb, META_POSITION, META_POSITION_LEN, pos,
                                  16);
        rocksdb_write_writebatch_wi(r->db, r->wo, r->wb, &rerr);
        if (rerr)
            return weir__rocks_error(kv->name, "commit", rerr);
        rocksdb_writebatch_wi_destroy(r->wb);
        r->wb = NULL;
        return NULL;
    }
    rocksdb_put(r->db, r->wo, META_POSITION, META_POSITION_LEN, pos, 16,
                &rerr);
    return rerr ? weir__rocks_error(kv->name, "checkpoint", rerr) : NULL;
}

static weir_error_t *rk_abort(weir_kv_store_t *kv)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    if (r->wb) {
        rocksdb_writebatch_wi_destroy(r->wb);
        r->wb = NULL;
        r->gen++;
        /* The cache holds the batch's writes. */
        weir__row_cache_clear(r->cache);
    }
    return NULL;
}

static weir_error_t *rk_delete_range(weir_kv_store_t *kv, const void *from,
                                     size_t flen, const void *to, size_t tlen)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    unsigned char *b = weir__malloc(flen + tlen + 2);
    if (!b)
        return nomem(r);
    b[0] = NS_DATA;
    if (flen)
        memcpy(b + 1, from, flen);
    b[flen + 1] = NS_DATA;
    if (tlen)
        memcpy(b + flen + 2, to, tlen);
    weir__row_cache_clear(r->cache);
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_writebatch_delete_range(wb, (const char *)b, flen + 1,
                                    (const char *)b + flen + 1, tlen + 1);
    char *rerr = NULL;
    rocksdb_write(r->db, r->wo, wb, &rerr);
    rocksdb_writebatch_destroy(wb);
    weir__free(b);
    return rerr ? weir__rocks_error(kv->name, "delete range", rerr) : NULL;
}

static weir_error_t *ingest(kv_rocks_t *r)
{
    char pos[16];
    position_value(pos, r->ing_pos, r->ing_extra);
    weir_error_t *err = weir__ingest_flush(
        r->ing, r->db, r->td->env->ingest_opts, r->dir, r->base.name, NS_DATA,
        META_POSITION, META_POSITION_LEN, pos, 16);
    if (!err)
        r->ing_dirty = false;
    return err;
}

static weir_error_t *rk_restore_write(weir_kv_store_t *kv,
                                      const weir_changelog_record_t *recs,
                                      size_t n, int64_t next_offset,
                                      int64_t extra)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    weir__row_cache_clear(r->cache);
    if (!r->ing) {
        r->ing = weir__ingest_new(r->td->env->restore_buffer);
        if (!r->ing)
            return nomem(r);
    }
    weir_error_t *err = weir__ingest_add(r->ing, kv->name, recs, n);
    if (err)
        return err;
    r->ing_pos = next_offset;
    r->ing_extra = extra;
    r->ing_dirty = true;
    return weir__ingest_full(r->ing) ? ingest(r) : NULL;
}

static weir_error_t *rk_restore_finish(weir_kv_store_t *kv)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    weir_error_t *err = r->ing_dirty ? ingest(r) : NULL;
    weir__ingest_destroy(r->ing);
    r->ing = NULL;
    r->ing_dirty = false;
    return err;
}

/*
 * A checkpoint is a store directory of its own (format file + rocksdb/ of
 * hard links), so it can be moved into another task dir and opened there.
 * The memtable is flushed first; an open transaction is not included.
 */
static weir_error_t *rk_checkpoint(weir_kv_store_t *kv, const char *dir)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    if (mkdir(dir, 0755))
        return weir_error_new(errno == ENOSPC   ? WEIR_ERR_NO_SPACE
                              : errno == EEXIST ? WEIR_ERR_EXISTS
                                                : WEIR_ERR_IO,
                              "store %s: cannot create checkpoint %s: %s",
                              kv->name, dir, strerror(errno));
    weir_error_t *err = weir__rocks_write_format(dir, kv->name, r->kind,
                                                 r->segment_ms);
    if (err)
        return err;
    size_t len = strlen(dir);
    char *db_dir = weir__malloc(len + sizeof("/rocksdb"));
    if (!db_dir)
        return nomem(r);
    memcpy(db_dir, dir, len);
    memcpy(db_dir + len, "/rocksdb", sizeof("/rocksdb"));
    char *rerr = NULL;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(r->db, &rerr);
    if (!rerr) {
        rocksdb_checkpoint_create(cp, db_dir, 0, &rerr);
        rocksdb_checkpoint_object_destroy(cp);
    }
    weir__free(db_dir);
    if (rerr)
        return weir__rocks_error(kv->name, "checkpoint", rerr);
    weir__dbg(&kv->log, STORE, "STORE", "%s: checkpoint in %s", kv->name, dir);
    return NULL;
}

void weir__rocks_close_db(kv_rocks_t *r)
{
    if (r->wb)
        rocksdb_writebatch_wi_destroy(r->wb);
    r->wb = NULL;
    if (r->db)
        rocksdb_close(r->db);
    r->db = NULL;
}

void weir__rocks_destroy(weir_kv_store_t *kv)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    weir__rocks_close_db(r);
    if (r->counted)
        atomic_fetch_sub(&r->td->env->rocks_open, 1);
    weir__row_cache_destroy(r->cache);
    weir__ingest_destroy(r->ing);
    if (r->ro)
        rocksdb_readoptions_destroy(r->ro);
    if (r->wo)
        rocksdb_writeoptions_destroy(r->wo);
    weir__free(r->kbuf);
    weir__free(r->dir);
    weir__free(r->db_path);
    if (r->td)
        weir__task_dir_unref(r->td);
    weir__kv_store_fini(kv);
    weir__free(r);
}

/* Iterators -------------------------------------------------------------- */

typedef struct rk_iter_s {
    weir_kv_iter_t base;
    kv_rocks_t *r;
    rocksdb_iterator_t *it;
    rocksdb_readoptions_t *ro;
    bool query; /* committed data only, any thread: never the batch */
    bool txn;
    uint64_t gen;
    char ub[1]; /* the namespace's upper bound, NS_DATA + 1 */
    unsigned char *to;
    size_t tlen;
    bool to_incl;
    bool valid;
    unsigned char *key;
    size_t klen, kcap;
    unsigned char *val;
    size_t vlen, vcap;
} rk_iter_t;

static void rit_land(rk_iter_t *it)
{
    it->valid = false;
    it->gen = it->r->gen;
    if (!rocksdb_iter_valid(it->it)) {
        char *rerr = NULL;
        rocksdb_iter_get_error(it->it, &rerr);
        if (rerr)
            it->base.err = weir__rocks_error(it->r->base.name, "iterate",
                                             rerr);
        return;
    }
    size_t kl, vl;
    const char *k = rocksdb_iter_key(it->it, &kl);
    if (!kl || k[0] != NS_DATA)
        return;
    if (weir__key_past(k + 1, kl - 1, it->to, it->tlen, it->to_incl))
        return;
    const char *v = rocksdb_iter_value(it->it, &vl);
    if (!weir__store_copy_into(&it->key, &it->kcap, k + 1, kl - 1) ||
        !weir__store_copy_into(&it->val, &it->vcap, v, vl)) {
        it->base.err = nomem(it->r);
        return;
    }
    it->klen = kl - 1;
    it->vlen = vl;
    it->valid = true;
}

static void rit_make(rk_iter_t *it)
{
    kv_rocks_t *r = it->r;
    if (it->it)
        rocksdb_iter_destroy(it->it);
    rocksdb_iterator_t *base = rocksdb_create_iterator(r->db, it->ro);
    it->txn = !it->query && r->wb != NULL;
    it->it = it->txn
                 ? rocksdb_writebatch_wi_create_iterator_with_base(r->wb, base)
                 : base;
}

/*
 * Positions at the first key >= (or >) key. The namespaced key is built
 * here, not in the store's scratch buffer: query iterators run on other
 * threads.
 */
static void rit_seek(rk_iter_t *it, const void *key, size_t klen, bool incl)
{
    char stack[256];
    char *k = klen + 1 <= sizeof(stack) ? stack : weir__malloc(klen + 1);
    if (!k) {
        it->base.err = nomem(it->r);
        return;
    }
    k[0] = NS_DATA;
    if (klen)
        memcpy(k + 1, key, klen);
    rocksdb_iter_seek(it->it, k, klen + 1);
    if (!incl && rocksdb_iter_valid(it->it)) {
        size_t kl;
        const char *ik = rocksdb_iter_key(it->it, &kl);
        if (!weir__key_cmp(ik, kl, k, klen + 1))
            rocksdb_iter_next(it->it);
    }
    if (k != stack)
        weir__free(k);
    rit_land(it);
}

static bool rit_valid(const weir_kv_iter_t *base)
{
    return ((const rk_iter_t *)base)->valid;
}

static void rit_next(weir_kv_iter_t *base)
{
    rk_iter_t *it = (rk_iter_t *)base;
    if (it->txn && it->gen != it->r->gen) {
        /* The batch changed: a fresh merged iterator, past the copy. */
        rit_make(it);
        rit_seek(it, it->key, it->klen, false);
        return;
    }
    rocksdb_iter_next(it->it);
    rit_land(it);
}

static const void *rit_key(const weir_kv_iter_t *base, size_t *lenp)
{
    const rk_iter_t *it = (const rk_iter_t *)base;
    *lenp = it->valid ? it->klen : 0;
    return it->valid ? it->key : NULL;
}

static const void *rit_value(const weir_kv_iter_t *base, size_t *lenp)
{
    const rk_iter_t *it = (const rk_iter_t *)base;
    *lenp = it->valid ? it->vlen : 0;
    return it->valid ? it->val : NULL;
}

static void rit_close(weir_kv_iter_t *base)
{
    rk_iter_t *it = (rk_iter_t *)base;
    if (it->it)
        rocksdb_iter_destroy(it->it);
    rocksdb_readoptions_destroy(it->ro);
    weir__free(it->to);
    weir__free(it->key);
    weir__free(it->val);
    weir__free(it);
}

static const weir__kv_iter_ops_t rk_iter_ops = {
    .valid = rit_valid,
    .next = rit_next,
    .key = rit_key,
    .value = rit_value,
    .close = rit_close,
};

static weir_error_t *iter_open(kv_rocks_t *r, bool query, const void *from,
                               size_t flen, bool from_incl, const void *to,
                               size_t tlen, bool to_incl, weir_kv_iter_t **itp)
{
    rk_iter_t *it = weir__calloc(1, sizeof(*it));
    if (!it)
        return nomem(r);
    it->base.ops = &rk_iter_ops;
    it->r = r;
    it->query = query;
    if (to) {
        it->to = weir__malloc(tlen + 1);
        if (!it->to) {
            weir__free(it);
            return nomem(r);
        }
        if (tlen)
            memcpy(it->to, to, tlen);
        it->tlen = tlen;
        it->to_incl = to_incl;
    }
    it->ro = rocksdb_readoptions_create();
    /*
     * Outside a transaction, bound the DB iterator to the data namespace so
     * that it never walks the metadata; bounds inside the namespace are
     * checked on landing (merged transaction iterators get no RocksDB
     * bound, as the batch part would not honour it).
     */
    it->ub[0] = NS_DATA + 1;
    if (query || !r->wb)
        rocksdb_readoptions_set_iterate_upper_bound(it->ro, it->ub, 1);
    rit_make(it);
    if (from)
        rit_seek(it, from, flen, from_incl);
    else
        rit_seek(it, "", 0, true);
    if (it->base.err) {
        weir_error_t *err = it->base.err;
        it->base.err = NULL;
        rit_close(&it->base);
        return err;
    }
    *itp = &it->base;
    return NULL;
}

static weir_error_t *rk_range(weir_kv_store_t *kv, const void *from,
                              size_t flen, bool from_incl, const void *to,
                              size_t tlen, bool to_incl, weir_kv_iter_t **itp)
{
    return iter_open((kv_rocks_t *)kv, false, from, flen, from_incl, to, tlen,
                     to_incl, itp);
}

/*
 * Queries read the DB itself, never the transaction's batch, so they see
 * committed data and are as thread-safe as RocksDB reads are.
 */
static weir_error_t *rk_query_range(weir_kv_store_t *kv, const void *from,
                                    size_t flen, bool from_incl,
                                    const void *to, size_t tlen, bool to_incl,
                                    weir_kv_iter_t **itp)
{
    return iter_open((kv_rocks_t *)kv, true, from, flen, from_incl, to, tlen,
                     to_incl, itp);
}

static weir_error_t *rk_query_get(weir_kv_store_t *kv, const void *key,
                                  size_t klen, void **valp, size_t *vlenp,
                                  bool *foundp)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    char stack[256];
    char *k = klen + 1 <= sizeof(stack) ? stack : weir__malloc(klen + 1);
    if (!k)
        return nomem(r);
    k[0] = NS_DATA;
    if (klen)
        memcpy(k + 1, key, klen);
    char *rerr = NULL;
    weir_error_t *err = NULL;
    rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(r->db, r->ro, k, klen + 1,
                                                     &rerr);
    if (k != stack)
        weir__free(k);
    if (rerr)
        return weir__rocks_error(kv->name, "query", rerr);
    if (ps) {
        size_t vlen = 0;
        const char *v = rocksdb_pinnableslice_value(ps, &vlen);
        if (v) {
            err = copy_out(r, v, vlen, valp, vlenp);
            *foundp = !err;
        }
        rocksdb_pinnableslice_destroy(ps);
    }
    return err;
}

const weir__kv_ops_t weir__rocks_ops = {
    .get = rk_get,
    .write = rk_write,
    .range = rk_range,
    .count = rk_count,
    .begin = rk_begin,
    .commit = rk_commit,
    .abort = rk_abort,
    .delete_range = rk_delete_range,
    .restore_write = rk_restore_write,
    .restore_finish = rk_restore_finish,
    .checkpoint = rk_checkpoint,
    .query_get = rk_query_get,
    .query_range = rk_query_range,
    .destroy = weir__rocks_destroy,
};
