/*
 * test_store_engines.h: opening a store of each engine for the loop tests.
 *
 * The checked fixture gives every test (each in its own process) a fresh
 * temporary state dir, an environment with a 64 MiB budget and the locked
 * task dir "app/0_0"; RocksDB stores are opened in it.
 */
#ifndef WEIR_TEST_STORE_ENGINES_H
#define WEIR_TEST_STORE_ENGINES_H

#include "test_store_common.h"
#include "tmpdir.h"

enum {
    ENGINE_MEMORY = 0,
    ENGINE_ROCKSDB = 1,
    ENGINE_COUNT = 2
};

static char *engine_dir;
static weir_store_env_t *engine_env;
static weir_task_dir_t *engine_td;

static void engine_setup(void)
{
    engine_dir = weir_test_tmpdir_new("weir-store");
    ck_assert_ptr_nonnull(engine_dir);
    weir_error_t *err = NULL;
    engine_env = weir_store_env_new(64u << 20, &err);
    ck_assert_msg(engine_env, "env: %s", weir_error_string(err));
    engine_td = weir_task_dir_open(engine_env, engine_dir, "app", "0_0", &err);
    ck_assert_msg(engine_td, "task dir: %s", weir_error_string(err));
}

static void engine_teardown(void)
{
    weir_task_dir_destroy(engine_td);
    engine_td = NULL;
    weir_store_env_destroy(engine_env);
    engine_env = NULL;
    weir_test_tmpdir_remove(engine_dir);
    free(engine_dir);
    engine_dir = NULL;
}

static inline weir_kv_store_t *engine_kv_open(int engine, const char *name)
{
    weir_error_t *err = NULL;
    weir_kv_store_t *kv = NULL;
    if (engine == ENGINE_MEMORY)
        kv = weir_kv_store_memory_new(name, &err);
    else
        kv = weir_kv_store_rocksdb_open(engine_td, name, &err);
    ck_assert_msg(kv, "open %s: %s", name, weir_error_string(err));
    return kv;
}

static inline weir_window_store_t *engine_ws_open(int engine, const char *name,
                                                  int64_t retention,
                                                  int64_t segment)
{
    weir_error_t *err = NULL;
    weir_window_store_t *ws = NULL;
    if (engine == ENGINE_MEMORY)
        ws = weir_window_store_memory_new(name, retention, segment, &err);
    else
        ws = weir_window_store_rocksdb_open(engine_td, name, retention,
                                            segment, &err);
    ck_assert_msg(ws, "open %s: %s", name, weir_error_string(err));
    return ws;
}

#endif /* WEIR_TEST_STORE_ENGINES_H */
