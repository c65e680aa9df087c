/*
 * store_int.h: the inside of a weir_store_t, a weir_kv_store_t and a
 * weir_window_store_t.
 *
 * One public type, several engines. A weir_kv_store_t is a small header
 * (name, logger, changelog sink, transaction flag) plus an ops table that
 * the engine fills in: kv_memory.c (a skip list) and kv_rocksdb.c (RocksDB
 * with a WriteBatchWithIndex per transaction). kv_store.c holds the public
 * data functions: it checks arguments, dispatches to the engine, and hands
 * each write to the changelog sink once the engine has accepted it.
 *
 * A window store (window_store.c) is built on top of an engine-level
 * key-value store that has no changelog sink of its own: it maps
 * (segment, key, window start) to one ordered byte key, so every engine
 * gets window semantics, segment expiry and transactions for free.
 *
 * Both kinds are a weir_store_t: their first member is the base, so the
 * public weir_kv_store_as_store() and weir_window_store_as_store() are
 * free. The base names the key-value store that keeps the lifecycle state
 * (the store itself, or the window store's engine store: its "core") and
 * the few lifecycle steps a kind does its own way (weir__store_ops_t).
 * store.c holds the one set of lifecycle functions over that.
 */
#ifndef WEIR_STORE_INT_H
#define WEIR_STORE_INT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <weir/statestore.h>

#include "log_int.h"

/*
 * The lifecycle steps that differ between kinds; everything else in
 * store.c works on the core's state alone. A window store adds its
 * observed time (committed with the position, reverted on abort), the
 * translation of changelog keys at restore, and segment drops after a
 * commit or a restore.
 */
typedef enum weir__store_kind_e {
    WEIR__STORE_KIND_KV,
    WEIR__STORE_KIND_WINDOW
} weir__store_kind_t;

typedef struct weir__store_ops_s {
    weir__store_kind_t kind;
    weir_error_t *(*commit)(weir_store_t *store, int64_t offset);
    weir_error_t *(*abort)(weir_store_t *store);
    weir_error_t *(*restore_apply)(weir_store_t *store,
                                   const weir_changelog_record_t *recs,
                                   size_t n, int64_t next_offset);
    weir_error_t *(*restore_end)(weir_store_t *store);
    void (*destroy)(weir_store_t *store);
} weir__store_ops_t;

struct weir_store_s {
    const weir__store_ops_t *ops;
    /*
     * The key-value store that keeps the name, the logger, the changelog
     * sink, the transaction flag, the position and restore progress: the
     * store itself for a key-value store, the engine store underneath for
     * a window store (its writes never reach kv_store.c's changelog
     * hand-off, so the sink kept there is the window store's own).
     */
    weir_kv_store_t *core;
};

typedef struct weir__kv_ops_s {
    weir_error_t *(*get)(weir_kv_store_t *kv, const void *key, size_t klen,
                         void **valp, size_t *vlenp, bool *foundp);
    /* val NULL: delete. */
    weir_error_t *(*write)(weir_kv_store_t *kv, const void *key, size_t klen,
                           const void *val, size_t vlen);
    /*
     * An iterator positioned at the first key >= from (or > from when
     * !from_incl; from NULL: the first key), bounded by to (NULL:
     * unbounded). The engine allocates it with base.ops set.
     */
    weir_error_t *(*range)(weir_kv_store_t *kv, const void *from, size_t flen,
                           bool from_incl, const void *to, size_t tlen,
                           bool to_incl, weir_kv_iter_t **itp);
    weir_error_t *(*count)(weir_kv_store_t *kv, uint64_t *countp);
    weir_error_t *(*begin)(weir_kv_store_t *kv);
    /* Makes the open transaction (if any) durable with the position. */
    weir_error_t *(*commit)(weir_kv_store_t *kv, int64_t offset,
                            int64_t extra);
    weir_error_t *(*abort)(weir_kv_store_t *kv);
    /*
     * Deletes committed keys in [from, to) outside any transaction (used
     * to drop expired window segments; idempotent).
     */
    weir_error_t *(*delete_range)(weir_kv_store_t *kv, const void *from,
                                  size_t flen, const void *to, size_t tlen);
    /* Restore: bulk writes that skip the transaction and the WAL. */
    weir_error_t *(*restore_write)(weir_kv_store_t *kv,
                                   const weir_changelog_record_t *recs,
                                   size_t n, int64_t next_offset,
                                   int64_t extra);
    weir_error_t *(*restore_finish)(weir_kv_store_t *kv);
    /*
     * Interactive queries: committed data only, callable from any thread
     * while the owning thread uses the store. The iterator is independent
     * of the store's transaction (not counted as open at commit).
     */
    weir_error_t *(*query_get)(weir_kv_store_t *kv, const void *key,
                               size_t klen, void **valp, size_t *vlenp,
                               bool *foundp);
    weir_error_t *(*query_range)(weir_kv_store_t *kv, const void *from,
                                 size_t flen, bool from_incl, const void *to,
                                 size_t tlen, bool to_incl,
                                 weir_kv_iter_t **itp);
    /* A hard-linked copy of the committed state; NULL: unsupported. */
    weir_error_t *(*checkpoint)(weir_kv_store_t *kv, const char *dir);
    void (*destroy)(weir_kv_store_t *kv);
} weir__kv_ops_t;

struct weir_kv_store_s {
    weir_store_t base; /* first: see weir_kv_store_as_store() */
    const weir__kv_ops_t *ops;
    char *name;
    weir__logger_t log;
    const weir_changelog_sink_t *sink; /* NULL: no changelog */
    void *sink_opaque;
    bool in_txn;
    bool was_reset;    /* found corrupt at open and wiped */
    int open_iters;    /* iterators not closed yet (checked at commit) */
    bool has_position; /* a committed changelog position exists */
    int64_t position;  /* next changelog offset to restore from */
    int64_t extra;     /* engine-persisted companion value (window time) */
    /* Restore progress. */
    bool restoring;
    weir_restore_progress_cb_t *restore_cb;
    void *restore_opaque;
    uint64_t restore_total;
    uint64_t restore_done;
    double restore_start;
    double restore_last_report;
};

typedef struct weir__kv_iter_ops_s {
    bool (*valid)(const weir_kv_iter_t *it);
    void (*next)(weir_kv_iter_t *it);
    const void *(*key)(const weir_kv_iter_t *it, size_t *lenp);
    const void *(*value)(const weir_kv_iter_t *it, size_t *lenp);
    void (*close)(weir_kv_iter_t *it);
} weir__kv_iter_ops_t;

struct weir_kv_iter_s {
    const weir__kv_iter_ops_t *ops;
    weir_kv_store_t *kv;
    weir_error_t *err;
};

/* Fills in the common header; the engine has allocated the whole struct. */
weir_error_t *weir__kv_store_init(weir_kv_store_t *kv,
                                  const weir__kv_ops_t *ops, const char *name,
                                  const weir__logger_t *log);
/* Frees the header's own fields (not kv itself). */
void weir__kv_store_fini(weir_kv_store_t *kv);

/* The key-value store's lifecycle steps (store.c). */
extern const weir__store_ops_t weir__kv_store_ops;

/* The lifecycle steps of a key-value store, also the window store's
 * building blocks (store.c). */
weir_error_t *weir__kv_store_abort(weir_kv_store_t *kv);
weir_error_t *weir__kv_store_restore_end(weir_kv_store_t *kv);
void weir__kv_store_destroy(weir_kv_store_t *kv);

/* Reports an argument error for a NULL key with a length. */
weir_error_t *weir__kv_store_check_key(const weir_kv_store_t *kv,
                                       const void *key, size_t klen);

/* Bytewise order: memcmp, the shorter key first when one prefixes the other.
 */
static inline int weir__key_cmp(const void *a, size_t alen, const void *b,
                                size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* True when key is past the upper bound (to NULL: never). */
static inline bool weir__key_past(const void *key, size_t klen, const void *to,
                                  size_t tlen, bool to_incl)
{
    if (!to)
        return false;
    int c = weir__key_cmp(key, klen, to, tlen);
    return to_incl ? c > 0 : c >= 0;
}

/* Big-endian helpers for on-disk keys and values. */
static inline void weir__be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static inline uint64_t weir__be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* weir_store_commit() with the engine's companion value. */
weir_error_t *weir__kv_store_commit_extra(weir_kv_store_t *kv, int64_t offset,
                                          int64_t extra);

/*
 * The engine's restore write plus bookkeeping; counted is how many records
 * progress reports (the window store may skip expired ones).
 */
weir_error_t *weir__kv_store_restore_write(weir_kv_store_t *kv,
                                           const weir_changelog_record_t *recs,
                                           size_t n, int64_t next_offset,
                                           int64_t extra, size_t counted);

/*
 * A window store over an engine-level key-value store (no sink), which it
 * takes over (destroyed with the window store, also on failure).
 */
weir_window_store_t *weir__window_store_new(weir_kv_store_t *inner,
                                            int64_t retention_ms,
                                            int64_t segment_ms,
                                            weir_error_t **errp);

/*
 * A materialized iterator (copies of keys and values, in order), for query
 * results collected under a lock.
 */
typedef struct weir__vec_iter_s weir__vec_iter_t;
weir__vec_iter_t *weir__vec_iter_new(weir_kv_store_t *kv);
weir_error_t *weir__vec_iter_add(weir__vec_iter_t *vi, const void *key,
                                 size_t klen, const void *val, size_t vlen);
weir_kv_iter_t *weir__vec_iter_done(weir__vec_iter_t *vi);
void weir__vec_iter_free(weir__vec_iter_t *vi);

/*
 * Copies @p len bytes into *bufp, growing it (by doubling, one spare byte
 * kept) when needed: the iterators' current key and value buffers.
 * Returns false when out of memory (the buffer is unchanged).
 */
bool weir__store_copy_into(unsigned char **bufp, size_t *capp, const void *src,
                           size_t len);

/* Monotonic seconds, for restore rates. */
double weir__store_now(void);

/* The in-memory engine (kv_memory.c). */
weir_kv_store_t *weir__kv_memory_new(const char *name,
                                     const weir__logger_t *log,
                                     weir_error_t **errp);

#endif /* WEIR_STORE_INT_H */
