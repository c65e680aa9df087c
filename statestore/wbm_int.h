/*
 * wbm_int.h: a WriteBufferManager shared by every RocksDB instance of an
 * environment (wbm_shim.cc, the C++ shim for what RocksDB's C API lacks).
 */
#ifndef WEIR_WBM_INT_H
#define WEIR_WBM_INT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir__wbm_s weir__wbm_t;
struct rocksdb_cache_t;
struct rocksdb_options_t;

/*
 * A manager that caps all memtables at @p bytes, charged against @p cache.
 * NULL when out of memory.
 */
weir__wbm_t *weir__wbm_new(size_t bytes, struct rocksdb_cache_t *cache);
void weir__wbm_destroy(weir__wbm_t *wbm);
/* Makes every DB opened with @p opts share the manager. */
void weir__wbm_apply(weir__wbm_t *wbm, struct rocksdb_options_t *opts);
/* Bytes of memtable memory currently accounted. */
size_t weir__wbm_usage(const weir__wbm_t *wbm);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_WBM_INT_H */
