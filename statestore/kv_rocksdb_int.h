/*
 * kv_rocksdb_int.h: the RocksDB engine's store struct, shared by
 * kv_rocksdb.c (operations, iterators, checkpoints) and rocks_open.c
 * (directory checks, format file, open, wipe on corruption).
 */
#ifndef WEIR_KV_ROCKSDB_INT_H
#define WEIR_KV_ROCKSDB_INT_H

#include "ingest_int.h"
#include "rocks_int.h"
#include "row_cache_int.h"

/* Key namespaces inside a store's DB (see kv_rocksdb.c). */
#define NS_META 0x00
#define NS_DATA 0x01
/* The position key: NS_META 'p' (2 bytes). */
#define META_POSITION "\x00p"
#define META_POSITION_LEN 2

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
    weir__ingest_t *ing;        /* restore buffer (restore_ingest.c) */
    int64_t ing_pos, ing_extra; /* position the buffer reaches */
    bool ing_dirty;             /* records or position not ingested */
    uint64_t gen;               /* bumped by every transactional write */
    weir__row_cache_t *cache;   /* recent rows, NULL when off */
    bool counted;               /* in the env's rocks_open */
    unsigned char *kbuf;        /* scratch for namespaced keys */
    size_t kcap;
} kv_rocks_t;

/* The engine's ops table (kv_rocksdb.c). */
extern const weir__kv_ops_t weir__rocks_ops;

/* Frees a store of this engine, open or half-opened. */
void weir__rocks_destroy(weir_kv_store_t *kv);

/* Closes the DB (dropping an open transaction's batch). */
void weir__rocks_close_db(kv_rocks_t *r);

/* Writes "<dir>/format" atomically (temp file, fsync, rename). */
weir_error_t *weir__rocks_write_format(const char *dir, const char *store,
                                       const char *kind, int64_t segment_ms);

#endif /* WEIR_KV_ROCKSDB_INT_H */
