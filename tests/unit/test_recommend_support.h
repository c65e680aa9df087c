/*
 * test_recommend_support.h: what the recommendation app's tests share: a
 * test driver running the app's topology with an in-process registry,
 * Avro clicks and sales piped in, outputs read back, and temporary
 * inventory files.
 */
#ifndef TEST_RECOMMEND_SUPPORT_H
#define TEST_RECOMMEND_SUPPORT_H

#include <weir/registry.h>
#include <weir/serde.h>
#include <weir/test_driver.h>

#include "rec_config.h"
#include "rec_groundtruth.h"

typedef struct rt_s {
    rec_config_t cfg;
    weir_registry_t *reg;
    weir_serde_t *click_serde, *sale_serde;
    weir_conf_t *conf;
    weir_test_driver_t *drv;
    char inventory_path[256];
    char log[8192]; /* what the app logged, lines joined */
} rt_t;

/** Writes @p csv to a fresh temporary file; its path goes to @p path. */
void rt_write_file(const char *csv, char *path, size_t size);

/**
 * Sets up @p rt: default config with the inventory @p csv (NULL: the
 * shipped CSV), then @p overrides ("key=value" strings, NULL-terminated,
 * may be NULL), the registry, serdes and the driver. Fails the test on
 * error.
 */
void rt_setup(rt_t *rt, const char *csv, const char *const *overrides);

void rt_teardown(rt_t *rt);

/** Avro-encodes and pipes one click / sale; returns the pipe's error. */
weir_error_t *rt_click(rt_t *rt, const char *user, const char *product,
                       int64_t ts);
weir_error_t *rt_sale(rt_t *rt, const char *user, const char *product,
                      int64_t ts);

/** Pipes a ground-truth record. */
weir_error_t *rt_pipe_gt(rt_t *rt, const rec_gt_record_t *r);

/** Like rt_click()/rt_sale() but fails the test on error. */
void rt_click_ok(rt_t *rt, const char *user, const char *product, int64_t ts);
void rt_sale_ok(rt_t *rt, const char *user, const char *product, int64_t ts);

/** Advances stream time with a sale by "user-tick" (a user never asked
 *  about). */
void rt_tick(rt_t *rt, int64_t ts);

/**
 * Takes the next output record: key, value (weir_free() both) and
 * timestamp. Returns false when there is none.
 */
bool rt_read(rt_t *rt, char **key, char **value, int64_t *ts);

/** Asserts the next output is exactly (@p key, @p value, @p ts). */
void rt_expect(rt_t *rt, const char *key, const char *value, int64_t ts);

/** Asserts no output is waiting. */
void rt_expect_none(rt_t *rt);

#endif
