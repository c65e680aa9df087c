/*
 * test_recommend_support.c: see test_recommend_support.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weir/serde_avro.h>

#include "rec_topology.h"
#include "test_recommend_support.h"

void rt_write_file(const char *csv, char *path, size_t size)
{
    snprintf(path, size, "/tmp/weir-rec-test-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(csv);
    ck_assert_int_eq(write(fd, csv, len), (ssize_t)len);
    close(fd);
}

static void rt_log(void *opaque, int level, const char *fac, const char *msg)
{
    rt_t *rt = opaque;
    (void)level;
    size_t used = strlen(rt->log);
    snprintf(rt->log + used, sizeof(rt->log) - used, "%s: %s\n", fac, msg);
}

static void ok(weir_error_t *err)
{
    if (err) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", weir_error_string(err));
        weir_error_destroy(err);
        ck_abort_msg("unexpected error: %s", msg);
    }
}

void rt_setup(rt_t *rt, const char *csv, const char *const *overrides)
{
    memset(rt, 0, sizeof(*rt));
    ok(rec_config_init(&rt->cfg));
    rt->cfg.log_cb = rt_log;
    rt->cfg.log_opaque = rt;
    if (csv) {
        rt_write_file(csv, rt->inventory_path, sizeof(rt->inventory_path));
        ok(rec_config_set(&rt->cfg, "inventory.file", rt->inventory_path));
    } else {
        ok(rec_config_set(&rt->cfg, "inventory.file",
                          WEIR_SOURCE_DIR
                          "/apps/recommendation/data/productInventory.csv"));
    }
    for (size_t i = 0; overrides && overrides[i]; i++) {
        char key[128];
        const char *eq = strchr(overrides[i], '=');
        ck_assert_ptr_nonnull(eq);
        snprintf(key, sizeof(key), "%.*s", (int)(eq - overrides[i]),
                 overrides[i]);
        ok(rec_config_set(&rt->cfg, key, eq + 1));
    }
    weir_error_t *err = NULL;
    rt->reg = weir_registry_memory_new(NULL, &err);
    ok(err);
    rt->click_serde = weir_serde_avro_new(rt->reg, rec_schema_clickstream, 0,
                                          &err);
    ok(err);
    rt->sale_serde = weir_serde_avro_new(rt->reg, rec_schema_sales, 0, &err);
    ok(err);
    weir_topology_t *topo = rec_topology_new(&rt->cfg, rt->reg, &err);
    ok(err);
    /* idle.timeout.ms 0: an input that has nothing more is idle at once,
     * so behind the repartitions event time is the newest record's, clicks
     * or sales alike (what these tests reason with; on Kafka the quiet
     * side would hold windows for idle.timeout.ms). */
    rt->conf = weir_conf_new();
    ok(weir_conf_set(rt->conf, "idle.timeout.ms", "0"));
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.application_id = "rec-test";
    opts.conf = rt->conf;
    rt->drv = weir_test_driver_new(topo, &opts, &err);
    if (!rt->drv)
        weir_topology_destroy(topo);
    ok(err);
}

void rt_teardown(rt_t *rt)
{
    weir_test_driver_destroy(rt->drv);
    weir_conf_destroy(rt->conf);
    weir_serde_destroy(rt->click_serde);
    weir_serde_destroy(rt->sale_serde);
    weir_registry_destroy(rt->reg);
    if (rt->inventory_path[0])
        unlink(rt->inventory_path);
    rec_config_free(&rt->cfg);
}

static void set(avro_value_t *v, const char *name, const char *s)
{
    avro_value_t f;
    ck_assert_int_eq(avro_value_get_by_name(v, name, &f, NULL), 0);
    ck_assert_int_eq(avro_value_set_string(&f, s), 0);
}

weir_error_t *rt_pipe_gt(rt_t *rt, const rec_gt_record_t *r)
{
    bool click = r->kind == REC_GT_CLICK;
    weir_serde_t *serde = click ? rt->click_serde : rt->sale_serde;
    const char *topic = click ? rt->cfg.topic_clicks : rt->cfg.topic_sales;
    avro_value_t v;
    ok(weir_serde_avro_value_new(serde, &v));
    set(&v, "user_id", r->user_id);
    set(&v, "product_id", r->product_id);
    if (!click) {
        set(&v, "invoice_id", r->invoice_id);
        set(&v, "quantity", r->quantity);
        set(&v, "unit_cost", r->unit_cost);
    }
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    ok(weir_serde_serialize(serde, topic, &v, sizeof(v), &buf));
    avro_value_decref(&v);
    weir_error_t *err = weir_test_driver_pipe(rt->drv, topic, r->key,
                                              strlen(r->key), buf.data,
                                              buf.len, r->timestamp, NULL);
    weir_buf_free(&buf);
    return err;
}

static weir_error_t *pipe_one(rt_t *rt, rec_gt_kind_t kind, const char *user,
                              const char *product, int64_t ts)
{
    rec_gt_record_t r;
    memset(&r, 0, sizeof(r));
    r.kind = kind;
    r.timestamp = ts;
    snprintf(r.key, sizeof(r.key), "%lld", (long long)ts);
    snprintf(r.user_id, sizeof(r.user_id), "%s", user);
    snprintf(r.product_id, sizeof(r.product_id), "%s", product);
    snprintf(r.invoice_id, sizeof(r.invoice_id), "42");
    snprintf(r.quantity, sizeof(r.quantity), "1");
    snprintf(r.unit_cost, sizeof(r.unit_cost),
             "\xc2\xa3"
             "10");
    return rt_pipe_gt(rt, &r);
}

weir_error_t *rt_click(rt_t *rt, const char *user, const char *product,
                       int64_t ts)
{
    return pipe_one(rt, REC_GT_CLICK, user, product, ts);
}

weir_error_t *rt_sale(rt_t *rt, const char *user, const char *product,
                      int64_t ts)
{
    return pipe_one(rt, REC_GT_SALE, user, product, ts);
}

void rt_click_ok(rt_t *rt, const char *user, const char *product, int64_t ts)
{
    ok(rt_click(rt, user, product, ts));
}

void rt_sale_ok(rt_t *rt, const char *user, const char *product, int64_t ts)
{
    ok(rt_sale(rt, user, product, ts));
}

void rt_tick(rt_t *rt, int64_t ts)
{
    /* Any product of the inventory will do; find one through the
     * config's file is overkill: the tests' inventories all have "1". */
    ok(rt_sale(rt, "user-tick", "1", ts));
}

bool rt_read(rt_t *rt, char **key, char **value, int64_t *ts)
{
    return weir_test_driver_read_output_str(
        rt->drv, rt->cfg.topic_recommendations, key, value, ts);
}

void rt_expect(rt_t *rt, const char *key, const char *value, int64_t ts)
{
    char *k = NULL, *v = NULL;
    int64_t t = 0;
    ck_assert_msg(rt_read(rt, &k, &v, &t), "no output, expected %s", value);
    ck_assert_str_eq(k, key);
    ck_assert_str_eq(v, value);
    ck_assert_int_eq(t, ts);
    weir_free(k);
    weir_free(v);
}

void rt_expect_none(rt_t *rt)
{
    char *k = NULL, *v = NULL;
    int64_t t = 0;
    if (rt_read(rt, &k, &v, &t)) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s -> %s @%lld", k, v ? v : "(null)",
                 (long long)t);
        weir_free(k);
        weir_free(v);
        ck_abort_msg("unexpected output %s", msg);
    }
}
