// wbm_shim.cc: the one C++ file of weir. RocksDB 7.8's C API cannot share
// a WriteBufferManager between DB instances, which is what bounds the
// memtables of every store of a process by one number. This shim creates
// one (charged to the shared block cache, so cache + memtables stay within
// statestore.memory.bytes) and sets it on a rocksdb_options_t.
//
// It relies on the C API's wrapper structs being { Options rep; } and
// { std::shared_ptr<Cache> rep; } (rocksdb/db/c.cc, unchanged since 5.x);
// if a future RocksDB changes that, this file is the only thing to adapt.
#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/write_buffer_manager.h>

#include <memory>
#include <new>

struct rocksdb_options_t {
    rocksdb::Options rep;
};
struct rocksdb_cache_t {
    std::shared_ptr<rocksdb::Cache> rep;
};

#include "wbm_int.h"

struct weir__wbm_s {
    std::shared_ptr<rocksdb::WriteBufferManager> rep;
};

extern "C" weir__wbm_t *weir__wbm_new(size_t bytes, rocksdb_cache_t *cache)
{
    try {
        weir__wbm_t *wbm = new weir__wbm_t;
        // allow_stall: writers wait for flushes instead of overshooting
        // the budget when flushes fall behind.
        wbm->rep = std::make_shared<rocksdb::WriteBufferManager>(
            bytes, cache ? cache->rep : nullptr, true);
        return wbm;
    } catch (...) {
        return nullptr;
    }
}

extern "C" void weir__wbm_destroy(weir__wbm_t *wbm)
{
    delete wbm;
}

extern "C" void weir__wbm_apply(weir__wbm_t *wbm, rocksdb_options_t *opts)
{
    opts->rep.write_buffer_manager = wbm->rep;
}

extern "C" size_t weir__wbm_usage(const weir__wbm_t *wbm)
{
    return wbm->rep->memory_usage();
}
