/*
 * rocks_int.h: the shared RocksDB environment and task directories
 * (env.c), used by the RocksDB engine (kv_rocksdb.c).
 */
#ifndef WEIR_ROCKS_INT_H
#define WEIR_ROCKS_INT_H

#include <stdatomic.h>

#include <rocksdb/c.h>

#include "store_int.h"
#include "wbm_int.h"

/* On-disk format of a store directory, in its "format" file. */
#define WEIR__STORE_FORMAT_VERSION 1

struct weir_store_env_s {
    atomic_int refs; /* 1 for the owner + 1 per open store */
    uint64_t memory_bytes;
    rocksdb_cache_t *cache;
    weir__wbm_t *wbm;
    rocksdb_block_based_table_options_t *bbto;
    rocksdb_options_t *opts; /* shared by every open (RocksDB copies it) */
    rocksdb_options_t *ingest_opts; /* restore table files: no compression */
    size_t restore_buffer;          /* bytes buffered per restoring store */
    size_t row_cache_bytes;         /* shared by open stores; 0: none */
    atomic_int rocks_open;          /* open RocksDB stores */
    weir__logger_t log;
};

struct weir_task_dir_s {
    weir_store_env_t *env;
    char *path;
    char *task_id;
    int lock_fd;
    atomic_int refs; /* 1 for the owner + 1 per open store */
};

void weir__store_env_unref(weir_store_env_t *env);
void weir__task_dir_unref(weir_task_dir_t *td);

/*
 * Turns a RocksDB error string into a weir error naming the store, and
 * frees the string: "Corruption" -> STORE_CORRUPT, no space -> NO_SPACE,
 * a held lock -> STORE_LOCKED, other I/O -> IO, the rest -> STORE.
 */
weir_error_t *weir__rocks_error(const char *store, const char *what,
                                char *rerr);

/* Removes a directory tree; missing is fine. */
weir_error_t *weir__rmtree(const char *path);

#endif /* WEIR_ROCKS_INT_H */
