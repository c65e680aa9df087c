/*
 * test_store_engines.h: opening a store of each engine for the loop tests.
 */
#ifndef WEIR_TEST_STORE_ENGINES_H
#define WEIR_TEST_STORE_ENGINES_H

#include "test_store_common.h"
#include "tmpdir.h"

enum { ENGINE_MEMORY = 0, ENGINE_COUNT = 1 };

static char *engine_dir;

static void engine_setup(void)
{
    engine_dir = weir_test_tmpdir_new("weir-store");
    ck_assert_ptr_nonnull(engine_dir);
}

static void engine_teardown(void)
{
    weir_test_tmpdir_remove(engine_dir);
    free(engine_dir);
    engine_dir = NULL;
}

static inline weir_kv_store_t *engine_kv_open(int engine, const char *name)
{
    weir_error_t *err = NULL;
    weir_kv_store_t *kv = NULL;
    (void)engine;
    kv = weir_kv_store_new_memory(name, &err);
    ck_assert_msg(kv, "open %s: %s", name, weir_error_string(err));
    return kv;
}

static inline weir_window_store_t *engine_ws_open(int engine,
                                                  const char *name,
                                                  int64_t retention,
                                                  int64_t segment)
{
    weir_error_t *err = NULL;
    weir_window_store_t *ws = NULL;
    (void)engine;
    ws = weir_window_store_new_memory(name, retention, segment, &err);
    ck_assert_msg(ws, "open %s: %s", name, weir_error_string(err));
    return ws;
}

#endif /* WEIR_TEST_STORE_ENGINES_H */
