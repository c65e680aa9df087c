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
 * Open-time checks: a format file from a newer version fails with
 * WEIR_ERR_STORE_VERSION; another kind of store, or a window store with
 * another segment width, fails with WEIR_ERR_STORE; a corrupt DB, format
 * file or position is wiped with a warning and the store opens empty with
 * no position, so the framework restores it in full.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc_int.h"
#include "ingest_int.h"
#include "rocks_int.h"

#define NS_META 0x00
#define NS_DATA 0x01
static const char META_POSITION[2] = {NS_META, 'p'};

typedef struct kv_rocks_s {
    weir_kv_store_t base;
    weir_task_dir_t *td;
    char *dir;
    char *db_path;
    rocksdb_t *db;
    rocksdb_readoptions_t *ro;
    rocksdb_writeoptions_t *wo;
    rocksdb_writebatch_wi_t *wb; /* the open transaction */
    const char *kind;            /* "kv" or "window" (static strings) */
    int64_t segment_ms;
    weir__ingest_t *ing;         /* restore buffer (restore_ingest.c) */
    int64_t ing_pos, ing_extra;  /* position the buffer reaches */
    bool ing_dirty;              /* records or position not ingested */
    uint64_t gen;                /* bumped by every transactional write */
    unsigned char *kbuf;         /* scratch for namespaced keys */
    size_t kcap;
} kv_rocks_t;

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

static weir_error_t *rk_get(weir_kv_store_t *kv, const void *key,
                            size_t klen, void **valp, size_t *vlenp,
                            bool *foundp)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    const char *k = data_key(r, key, klen);
    if (!k)
        return nomem(r);
    char *rerr = NULL;
    weir_error_t *err = NULL;
    if (r->wb) {
        size_t vlen = 0;
        char *v = rocksdb_writebatch_wi_get_from_batch_and_db(
            r->wb, r->db, r->ro, k, klen + 1, &vlen, &rerr);
        if (rerr)
            return weir__rocks_error(kv->name, "get", rerr);
        if (v) {
            err = copy_out(r, v, vlen, valp, vlenp);
            *foundp = !err;
            rocksdb_free(v);
        }
        return err;
    }
    rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(r->db, r->ro, k,
                                                     klen + 1, &rerr);
    if (rerr)
        return weir__rocks_error(kv->name, "get", rerr);
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
        return NULL;
    }
    char *rerr = NULL;
    if (val)
        rocksdb_put(r->db, r->wo, k, klen + 1, val, vlen, &rerr);
    else
        rocksdb_delete(r->db, r->wo, k, klen + 1, &rerr);
    return rerr ? weir__rocks_error(kv->name, val ? "put" : "delete", rerr)
                : NULL;
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
        rocksdb_writebatch_wi_put(r->wb, META_POSITION, 2, pos, 16);
        rocksdb_write_writebatch_wi(r->db, r->wo, r->wb, &rerr);
        if (rerr)
            return weir__rocks_error(kv->name, "commit", rerr);
        rocksdb_writebatch_wi_destroy(r->wb);
        r->wb = NULL;
        return NULL;
    }
    rocksdb_put(r->db, r->wo, META_POSITION, 2, pos, 16, &rerr);
    return rerr ? weir__rocks_error(kv->name, "checkpoint", rerr) : NULL;
}

static weir_error_t *rk_abort(weir_kv_store_t *kv)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    if (r->wb) {
        rocksdb_writebatch_wi_destroy(r->wb);
        r->wb = NULL;
        r->gen++;
    }
    return NULL;
}

static weir_error_t *rk_delete_range(weir_kv_store_t *kv, const void *from,
                                     size_t flen, const void *to,
                                     size_t tlen)
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
    weir_error_t *err = weir__ingest_flush(r->ing, r->db, r->td->env->ingest_opts,
                                           r->dir, r->base.name, NS_DATA,
                                           META_POSITION, 2, pos, 16);
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

static weir_error_t *write_format_in(const char *dir, const char *store,
                                     const char *kind, int64_t segment_ms);

/*
 * A checkpoint is a store directory of its own (format file + rocksdb/ of
 * hard links), so it can be moved into another task dir and opened there.
 * The memtable is flushed first; an open transaction is not included.
 */
static weir_error_t *rk_checkpoint(weir_kv_store_t *kv, const char *dir)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    if (mkdir(dir, 0755))
        return weir_error_new(errno == ENOSPC ? WEIR_ERR_NO_SPACE
                              : errno == EEXIST ? WEIR_ERR_EXISTS
                                                : WEIR_ERR_IO,
                              "store %s: cannot create checkpoint %s: %s",
                              kv->name, dir, strerror(errno));
    weir_error_t *err = write_format_in(dir, kv->name, r->kind,
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
    weir__dbg(&kv->log, STORE, "STORE", "%s: checkpoint in %s", kv->name,
              dir);
    return NULL;
}

static void rk_close_db(kv_rocks_t *r)
{
    if (r->wb)
        rocksdb_writebatch_wi_destroy(r->wb);
    r->wb = NULL;
    if (r->db)
        rocksdb_close(r->db);
    r->db = NULL;
}

static void rk_destroy(weir_kv_store_t *kv)
{
    kv_rocks_t *r = (kv_rocks_t *)kv;
    rk_close_db(r);
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

static bool grow_copy(unsigned char **bufp, size_t *capp, const char *src,
                      size_t len)
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
    if (!grow_copy(&it->key, &it->kcap, k + 1, kl - 1) ||
        !grow_copy(&it->val, &it->vcap, v, vl)) {
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
    it->it = it->txn ? rocksdb_writebatch_wi_create_iterator_with_base(r->wb,
                                                                       base)
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
                               size_t tlen, bool to_incl,
                               weir_kv_iter_t **itp)
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
                              size_t tlen, bool to_incl,
                              weir_kv_iter_t **itp)
{
    return iter_open((kv_rocks_t *)kv, false, from, flen, from_incl, to,
                     tlen, to_incl, itp);
}

/*
 * Queries read the DB itself, never the transaction's batch, so they see
 * committed data and are as thread-safe as RocksDB reads are.
 */
static weir_error_t *rk_query_range(weir_kv_store_t *kv, const void *from,
                                    size_t flen, bool from_incl,
                                    const void *to, size_t tlen,
                                    bool to_incl, weir_kv_iter_t **itp)
{
    return iter_open((kv_rocks_t *)kv, true, from, flen, from_incl, to,
                     tlen, to_incl, itp);
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
    rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(r->db, r->ro, k,
                                                     klen + 1, &rerr);
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

static const weir__kv_ops_t rk_ops = {
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
    .destroy = rk_destroy,
};

/* Opening ------------------------------------------------------------------- */

typedef enum { FMT_OK, FMT_NEW, FMT_CORRUPT } fmt_state_t;

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = weir__malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

/* Checks the format file; *statep says whether to create or wipe. */
static weir_error_t *check_format(kv_rocks_t *r, const char *kind,
                                  int64_t segment_ms, fmt_state_t *statep)
{
    const char *name = r->base.name;
    char *fpath = join(r->dir, "format");
    if (!fpath)
        return nomem(r);
    FILE *f = fopen(fpath, "r");
    weir__free(fpath);
    if (!f) {
        if (errno != ENOENT)
            return weir_error_new(WEIR_ERR_IO,
                                  "store %s: cannot read format file: %s",
                                  name, strerror(errno));
        /* A DB without its format file is a damaged directory. */
        struct stat st;
        char *cur = join(r->db_path, "CURRENT");
        if (!cur)
            return nomem(r);
        *statep = stat(cur, &st) ? FMT_NEW : FMT_CORRUPT;
        weir__free(cur);
        return NULL;
    }
    int version = 0;
    char fkind[16] = "";
    long long seg = -1;
    int n = fscanf(f, "weir-store-format %d %15s %lld", &version, fkind,
                   &seg);
    fclose(f);
    if (n >= 1 && version > WEIR__STORE_FORMAT_VERSION)
        return weir_error_new(WEIR_ERR_STORE_VERSION,
                              "store %s: format version %d is newer than "
                              "this weir supports (%d); upgrade weir or "
                              "delete %s",
                              name, version, WEIR__STORE_FORMAT_VERSION,
                              r->dir);
    if (n != 3 || version < 1) {
        *statep = FMT_CORRUPT;
        return NULL;
    }
    if (strcmp(fkind, kind))
        return weir_error_new(WEIR_ERR_STORE,
                              "store %s: directory %s holds a %s store, not "
                              "a %s store",
                              name, r->dir, fkind, kind);
    if (seg != segment_ms)
        return weir_error_new(WEIR_ERR_STORE,
                              "store %s: segment width %lld ms on disk, %"
                              PRId64 " ms requested; delete %s to change it",
                              name, seg, segment_ms, r->dir);
    *statep = FMT_OK;
    return NULL;
}

static weir_error_t *write_format_in(const char *dir, const char *store,
                                     const char *kind, int64_t segment_ms)
{
    char *tmp = join(dir, "format.tmp");
    char *fpath = join(dir, "format");
    weir_error_t *err = NULL;
    if (!tmp || !fpath) {
        err = weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                             store);
        goto out;
    }
    char buf[96];
    int len = snprintf(buf, sizeof(buf), "weir-store-format %d %s %" PRId64
                       "\n", WEIR__STORE_FORMAT_VERSION, kind, segment_ms);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, buf, (size_t)len) != len || fsync(fd) ||
        rename(tmp, fpath)) {
        int e = errno;
        err = weir_error_new(e == ENOSPC ? WEIR_ERR_NO_SPACE : WEIR_ERR_IO,
                             "store %s: cannot write format file in %s: %s",
                             store, dir, strerror(e));
    }
    if (fd >= 0)
        close(fd);
out:
    weir__free(tmp);
    weir__free(fpath);
    return err;
}

static weir_error_t *write_format(kv_rocks_t *r, const char *kind,
                                  int64_t segment_ms)
{
    return write_format_in(r->dir, r->base.name, kind, segment_ms);
}

static weir_error_t *wipe(kv_rocks_t *r, const char *why)
{
    weir__log(&r->base.log, WEIR_LOG_WARNING, "STORE",
              "%s: %s: wiping %s, the store will be restored in full from "
              "its changelog",
              r->base.name, why, r->dir);
    r->base.was_reset = true;
    weir_error_t *err = weir__rmtree(r->dir);
    if (!err && mkdir(r->dir, 0755))
        err = weir_error_new(WEIR_ERR_IO, "cannot create %s: %s", r->dir,
                             strerror(errno));
    return err ? weir_error_prefix(err, "store %s: ", r->base.name) : NULL;
}

/* Opens the DB and reads the position; corruption is reported, not wiped. */
static weir_error_t *open_db(kv_rocks_t *r)
{
    char *rerr = NULL;
    r->db = rocksdb_open(r->td->env->opts, r->db_path, &rerr);
    if (rerr)
        return weir__rocks_error(r->base.name, "open", rerr);
    size_t vlen = 0;
    char *v = rocksdb_get(r->db, r->ro, META_POSITION, 2, &vlen, &rerr);
    if (rerr)
        return weir__rocks_error(r->base.name, "read position", rerr);
    if (!v)
        return NULL;
    weir_error_t *err = NULL;
    if (vlen != 16) {
        err = weir_error_new(WEIR_ERR_STORE_CORRUPT,
                             "store %s: position of %zu bytes", r->base.name,
                             vlen);
    } else {
        /* -1: committed without a changelog position (extra still set). */
        int64_t pos = (int64_t)weir__be64_get((unsigned char *)v);
        if (pos < WEIR_STORE_NO_POSITION)
            err = weir_error_new(WEIR_ERR_STORE_CORRUPT,
                                 "store %s: negative position %" PRId64,
                                 r->base.name, pos);
        r->base.has_position = !err && pos >= 0;
        r->base.position = pos;
        r->base.extra = (int64_t)weir__be64_get((unsigned char *)v + 8);
    }
    rocksdb_free(v);
    return err;
}

static kv_rocks_t *rocks_open(weir_task_dir_t *td, const char *name,
                              const char *kind, int64_t segment_ms,
                              weir_error_t **errp)
{
    *errp = NULL;
    if (!name || !*name || strchr(name, '/') || name[0] == '.') {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "store \"%s\": bad store name",
                               name ? name : "");
        return NULL;
    }
    kv_rocks_t *r = weir__calloc(1, sizeof(*r));
    if (!r) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                               name);
        return NULL;
    }
    *errp = weir__kv_store_init(&r->base, &rk_ops, name, &td->env->log);
    if (*errp) {
        weir__free(r);
        return NULL;
    }
    atomic_fetch_add(&td->refs, 1);
    r->td = td;
    r->kind = kind;
    r->segment_ms = segment_ms;
    r->dir = join(td->path, name);
    r->db_path = r->dir ? join(r->dir, "rocksdb") : NULL;
    if (!r->db_path) {
        *errp = nomem(r);
        goto fail;
    }
    r->ro = rocksdb_readoptions_create();
    r->wo = rocksdb_writeoptions_create();

    if (mkdir(r->dir, 0755) && errno != EEXIST) {
        *errp = weir_error_new(errno == ENOSPC ? WEIR_ERR_NO_SPACE
                                               : WEIR_ERR_IO,
                               "store %s: cannot create %s: %s", name,
                               r->dir, strerror(errno));
        goto fail;
    }
    fmt_state_t st = FMT_NEW;
    *errp = check_format(r, kind, segment_ms, &st);
    if (*errp)
        goto fail;
    if (st == FMT_CORRUPT) {
        *errp = wipe(r, "format file missing or unreadable");
        st = FMT_NEW;
    }
    if (!*errp && st == FMT_NEW)
        *errp = write_format(r, kind, segment_ms);
    if (*errp)
        goto fail;
    *errp = open_db(r);
    if (*errp && weir_error_code(*errp) == WEIR_ERR_STORE_CORRUPT) {
        char why[256];
        snprintf(why, sizeof(why), "%s", weir_error_string(*errp));
        weir_error_destroy(*errp);
        rk_close_db(r);
        r->base.has_position = false;
        *errp = wipe(r, why);
        if (!*errp)
            *errp = write_format(r, kind, segment_ms);
        if (!*errp)
            *errp = open_db(r);
    }
    if (*errp)
        goto fail;
    weir__dbg(&r->base.log, STORE, "STORE",
              "%s: opened %s (%s), position %" PRId64, name, r->dir, kind,
              r->base.has_position ? r->base.position : -1);
    return r;

fail:
    rk_destroy(&r->base);
    return NULL;
}

weir_kv_store_t *weir_kv_store_open_rocksdb(weir_task_dir_t *td,
                                            const char *name,
                                            weir_error_t **errp)
{
    kv_rocks_t *r = rocks_open(td, name, "kv", 0, errp);
    return r ? &r->base : NULL;
}

weir_window_store_t *weir_window_store_open_rocksdb(weir_task_dir_t *td,
                                                    const char *name,
                                                    int64_t retention_ms,
                                                    int64_t segment_ms,
                                                    weir_error_t **errp)
{
    if (segment_ms <= 0 || retention_ms < segment_ms) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "window store %s: need 0 < segment_ms "
                               "(%" PRId64 ") <= retention_ms (%" PRId64 ")",
                               name ? name : "", segment_ms, retention_ms);
        return NULL;
    }
    kv_rocks_t *r = rocks_open(td, name, "window", segment_ms, errp);
    if (!r)
        return NULL;
    return weir__window_store_new(&r->base, retention_ms, segment_ms, errp);
}

bool weir_kv_store_was_reset(const weir_kv_store_t *kv)
{
    return kv->was_reset;
}
