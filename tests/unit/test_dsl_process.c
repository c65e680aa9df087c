/*
 * test_dsl_process.c: processors inside DSL chains (weir_kstream_process:
 * stores of their own, forwarding into the next DSL operation, their
 * serdes, the repartition mark, punctuations, names, build errors) and
 * the context DSL callbacks get through weir_dsl_context() (global
 * stores, stores connected to the callback's node, record metadata,
 * nesting, NULL outside a task).
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/dsl.h>
#include <weir/serde.h>
#include <weir/test_driver.h>

#include "test_dsl_support.h"

static weir_error_t *ok_or_abort(weir_error_t *err)
{
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    return err;
}

/* ---- a processor in a chain ---- */

/* "visits": counts each key's records in its store and forwards
 * (key, "<key>#<n>"), keyed by the value's first letter; every 1000 ms
 * of stream time it forwards ("tick", "<n records so far>"). */
typedef struct visits_s {
    weir_kv_store_t *kv;
    long seen;
} visits_t;

static weir_error_t *visits_init(weir_processor_context_t *pctx, void *opaque,
                                 void **statep)
{
    ck_assert_str_eq(opaque, "visits-opaque");
    visits_t *st = calloc(1, sizeof(*st));
    *statep = st;
    weir_error_t *err = weir_processor_kv_store(pctx, "visit-counts", &st->kv);
    if (!err)
        err = weir_processor_schedule(pctx, WEIR_PUNCTUATE_STREAM_TIME, 1000,
                                      7);
    return err;
}

static weir_error_t *visits_process(weir_processor_context_t *pctx,
                                    void *state, const weir_record_t *rec)
{
    visits_t *st = state;
    void *old = NULL;
    size_t old_len = 0;
    bool found = false;
    weir_error_t *err = weir_kv_store_get(st->kv, rec->key, rec->key_len, &old,
                                          &old_len, &found);
    if (err)
        return err;
    long n = found ? strtol(old, NULL, 10) + 1 : 1;
    weir_free(old);
    char count[32], out[128], key[2] = {((const char *)rec->value)[0], 0};
    int clen = snprintf(count, sizeof(count), "%ld", n);
    err = weir_kv_store_put(st->kv, rec->key, rec->key_len, count,
                            (size_t)clen);
    st->seen++;
    snprintf(out, sizeof(out), "%s#%ld", (const char *)rec->key, n);
    weir_record_t o = {.key = key,
                       .key_len = 1,
                       .value = out,
                       .value_len = strlen(out),
                       .timestamp = rec->timestamp};
    return err ? err : weir_processor_forward(pctx, &o);
}

static weir_error_t *visits_punctuate(weir_processor_context_t *pctx,
                                      void *state,
                                      weir_punctuation_type_t type,
                                      int64_t timestamp, int tag)
{
    visits_t *st = state;
    ck_assert_int_eq(type, WEIR_PUNCTUATE_STREAM_TIME);
    ck_assert_int_eq(tag, 7);
    char out[32];
    snprintf(out, sizeof(out), "%ld", st->seen);
    weir_record_t o = {.key = "tick",
                       .key_len = 4,
                       .value = out,
                       .value_len = strlen(out),
                       .timestamp = timestamp};
    return weir_processor_forward(pctx, &o);
}

static void visits_close(void *state, void *opaque)
{
    (void)opaque;
    free(state);
}

static const weir_processor_ops_t visits_ops = {
    .init = visits_init,
    .process = visits_process,
    .punctuate = visits_punctuate,
    .close = visits_close,
};

static weir_error_t *shout(void *ctx, const weir_record_t *rec, void **valuep,
                           size_t *lenp)
{
    (void)ctx;
    char *s = dsl_dup_str(rec->value, lenp);
    s[0] = (char)toupper((unsigned char)s[0]);
    *valuep = s;
    return NULL;
}

START_TEST(test_dsl_process_stores_forwarding_and_punctuation)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *p = weir_kstream_process(s, "visits", &visits_ops,
                                             (void *)"visits-opaque", NULL,
                                             NULL, "visit-counts", NULL);
    weir_topology_add_kv_store(topo, "visit-counts", NULL);
    ck_assert_str_eq(weir_kstream_name(p), "visits");
    /* The DSL goes on from what the processor forwards. */
    weir_kstream_to(weir_kstream_map_values(p, shout, NULL, NULL), "out", NULL,
                    NULL);
    ck_assert_ptr_null(ok_or_abort(weir_topology_build(topo)));
    char *d = weir_topology_describe(topo);
    ck_assert_msg(strstr(d, "Processor: visits (stores: [visit-counts])\n"
                            "      --> KSTREAM-MAPVALUES-"),
                  "%s", d);
    weir_free(d);

    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "in", "alice", "apple", 100);
    dsl_pipe_str(drv, "in", "bob", "banana", 200);
    dsl_pipe_str(drv, "in", "alice", "avocado", 1500);
    ck_assert_str_eq(dsl_drain_str(drv, "out", true),
                     "a=Alice#1@100;tick=1@100;b=Bob#1@200;a=Alice#2@1500;"
                     "tick=3@1500;");
    weir_kv_store_t *kv;
    ck_assert_ptr_null(weir_test_driver_kv_store(drv, "visit-counts", &kv));
    void *v;
    size_t vl;
    bool found;
    ck_assert_ptr_null(weir_kv_store_get(kv, "alice", 5, &v, &vl, &found));
    ck_assert(found);
    ck_assert_int_eq(vl, 1);
    ck_assert_int_eq(((char *)v)[0], '2');
    weir_free(v);
    weir_test_driver_destroy(drv);
}
END_TEST

/* Forwards (value, key): the key changes, with new serde types. */
static weir_error_t *swap_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    (void)state;
    int64_t n = (int64_t)strtol(rec->key, NULL, 10);
    weir_record_t o = {.key = rec->value,
                       .key_len = rec->value_len,
                       .value = &n,
                       .value_len = sizeof(n),
                       .timestamp = rec->timestamp};
    return weir_processor_forward(pctx, &o);
}

static const weir_processor_ops_t swap_ops = {.process = swap_process};

START_TEST(test_dsl_process_output_serdes_and_repartition)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *p = weir_kstream_process(s, NULL, &swap_ops, NULL, NULL,
                                             weir_serde_int64(), NULL);
    ck_assert_str_eq(weir_kstream_name(p), "KSTREAM-PROCESSOR-0000000001");
    /* Keyed by the old value now: the count repartitions first. */
    weir_kstream_to(weir_ktable_to_stream(weir_kgrouped_count(
                        weir_kstream_group_by_key(p), "per-word")),
                    "counts", NULL, NULL);
    ck_assert_ptr_null(ok_or_abort(weir_topology_build(topo)));
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    char *d = weir_topology_describe(topo);
    ck_assert_msg(strstr(d, "per-word-repartition"), "%s", d);
    weir_free(d);

    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "in", "1", "x", 10);
    dsl_pipe_str(drv, "in", "2", "y", 20);
    dsl_pipe_str(drv, "in", "3", "x", 30);
    weir_serde_t *ks = weir_serde_string(), *vs = weir_serde_int64();
    const char *want[] = {"x=1", "y=1", "x=2"};
    for (int i = 0; i < 3; i++) {
        void *k, *v;
        size_t kl, vl;
        bool found;
        ck_assert_ptr_null(weir_test_driver_read_output_obj(
            drv, "counts", ks, vs, &k, &kl, &v, &vl, NULL, &found));
        ck_assert(found);
        char got[32];
        snprintf(got, sizeof(got), "%s=%lld", (char *)k,
                 (long long)*(int64_t *)v);
        ck_assert_str_eq(got, want[i]);
        weir_serde_free_obj(ks, k, kl);
        weir_serde_free_obj(vs, v, vl);
    }
    weir_serde_destroy(ks);
    weir_serde_destroy(vs);
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *expect_build_error(weir_topology_t *topo,
                                        const char *needle)
{
    weir_error_t *err = weir_topology_build(topo);
    ck_assert_msg(err != NULL, "expected an error with '%s'", needle);
    ck_assert_msg(strstr(weir_error_string(err), needle), "'%s' lacks '%s'",
                  weir_error_string(err), needle);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
    return NULL;
}

START_TEST(test_dsl_process_errors_reported_by_build)
{
    /* No process operation. */
    static const weir_processor_ops_t no_process = {0};
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    ck_assert_ptr_null(
        weir_kstream_process(s, "p", &no_process, NULL, NULL, NULL, NULL));
    expect_build_error(topo, "processor 'p' has no process operation");

    /* A store nobody declared. */
    topo = weir_topology_new();
    s = weir_stream(topo, "in", weir_serde_string(), weir_serde_string());
    weir_kstream_process(s, "p", &swap_ops, NULL, NULL, NULL, "nope", NULL);
    expect_build_error(topo, "unknown store 'nope'");

    /* A name taken by another node. */
    topo = weir_topology_new();
    s = weir_stream(topo, "in", weir_serde_string(), weir_serde_string());
    weir_kstream_process(s, weir_kstream_name(s), &swap_ops, NULL,
                         weir_serde_string(), NULL, NULL);
    expect_build_error(topo, "duplicate node name");

    /* A NULL stream: nothing happens, the serdes are freed (ASan). */
    ck_assert_ptr_null(weir_kstream_process(NULL, "p", &swap_ops, NULL,
                                            weir_serde_string(),
                                            weir_serde_int64(), NULL));
}
END_TEST

/* ---- the callbacks' context ---- */

/* A filter that keeps records whose value is a product of the global
 * table "catalog", counting the others as "unknown-product". */
static bool in_catalog(void *ctx, const weir_record_t *rec)
{
    int *calls = ctx;
    (*calls)++;
    weir_processor_context_t *pctx = weir_dsl_context();
    ck_assert_ptr_nonnull(pctx);
    ck_assert_str_eq(weir_processor_record_topic(pctx), "views");
    weir_kv_store_t *kv;
    ck_assert_ptr_null(weir_processor_kv_store(pctx, "catalog", &kv));
    void *v = NULL;
    size_t vl;
    bool found;
    ck_assert_ptr_null(
        weir_kv_store_get(kv, rec->value, rec->value_len, &v, &vl, &found));
    weir_free(v);
    if (!found)
        weir_processor_count_dropped(pctx, "unknown-product");
    return found;
}

/* "<value>@<offset>/<stream time>", from the context's metadata. */
static weir_error_t *where(void *ctx, const weir_record_t *rec, void **valuep,
                           size_t *lenp)
{
    (void)ctx;
    weir_processor_context_t *pctx = weir_dsl_context();
    char buf[128];
    snprintf(buf, sizeof(buf), "%s@%lld/%lld", (const char *)rec->value,
             (long long)weir_processor_record_offset(pctx),
             (long long)weir_processor_stream_time(pctx));
    *valuep = dsl_dup_str(buf, lenp);
    return NULL;
}

START_TEST(test_dsl_process_callbacks_read_global_stores)
{
    /* Outside a task there is no context. */
    ck_assert_ptr_null(weir_dsl_context());
    int calls = 0;
    weir_topology_t *topo = weir_topology_new();
    weir_global_table(topo, "products", weir_serde_string(),
                      weir_serde_string(), "catalog");
    weir_kstream_t *s = weir_stream(topo, "views", weir_serde_string(),
                                    weir_serde_string());
    s = weir_kstream_filter(s, in_catalog, &calls);
    weir_kstream_to(weir_kstream_map_values(s, where, NULL, NULL), "out", NULL,
                    NULL);
    ck_assert_ptr_null(ok_or_abort(weir_topology_build(topo)));
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "products", "p1", "Pen", 0);
    dsl_pipe_str(drv, "views", "alice", "p1", 100);
    dsl_pipe_str(drv, "views", "alice", "p9", 200);
    dsl_pipe_str(drv, "products", "p9", "Ink", 0);
    dsl_pipe_str(drv, "views", "bob", "p9", 150);
    ck_assert_int_eq(calls, 3);
    ck_assert_str_eq(dsl_drain_str(drv, "out", true),
                     "alice=p1@0/100@100;bob=p9@2/200@150;");
    ck_assert_uint_eq(weir_test_driver_dropped(drv, "unknown-product"), 1);
    ck_assert_ptr_null(weir_dsl_context());
    weir_test_driver_destroy(drv);
}
END_TEST

/* select_key that remembers, in the store "seen" connected to its node,
 * how many records of each value it saw, and keys by "<value>-<n>". It
 * also checks that a store it is not attached to is refused. */
static weir_error_t *number_key(void *ctx, const weir_record_t *rec,
                                void **keyp, size_t *lenp)
{
    (void)ctx;
    weir_processor_context_t *pctx = weir_dsl_context();
    weir_kv_store_t *kv;
    weir_error_t *err = weir_processor_kv_store(pctx, "other", &kv);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    weir_error_destroy(err);
    err = weir_processor_kv_store(pctx, "seen", &kv);
    if (err)
        return err;
    void *old = NULL;
    size_t old_len;
    bool found;
    err = weir_kv_store_get(kv, rec->value, rec->value_len, &old, &old_len,
                            &found);
    if (err)
        return err;
    char n = found ? (char)(((char *)old)[0] + 1) : '1';
    weir_free(old);
    err = weir_kv_store_put(kv, rec->value, rec->value_len, &n, 1);
    char buf[64];
    snprintf(buf, sizeof(buf), "%s-%c", (const char *)rec->value, n);
    *keyp = dsl_dup_str(buf, lenp);
    return err;
}

/* An aggregator that fails with the record's coordinates when asked to. */
static weir_error_t *init_empty(void *ctx, void **aggp, size_t *lenp)
{
    (void)ctx;
    *aggp = dsl_dup_str("", lenp);
    return NULL;
}

static weir_error_t *append(void *ctx, const weir_record_t *rec,
                            const void *agg, size_t agg_len, void **newp,
                            size_t *new_lenp)
{
    (void)ctx;
    (void)agg_len;
    weir_processor_context_t *pctx = weir_dsl_context();
    if (!strcmp(rec->value, "bad"))
        return weir_error_new(WEIR_ERR_PROCESSING, "bad value at %s[%d]@%lld",
                              weir_processor_record_topic(pctx),
                              (int)weir_processor_record_partition(pctx),
                              (long long)weir_processor_record_offset(pctx));
    char buf[256];
    snprintf(buf, sizeof(buf), "%s%s", (const char *)agg,
             (const char *)rec->value);
    *newp = dsl_dup_str(buf, new_lenp);
    return NULL;
}

START_TEST(test_dsl_process_callbacks_reach_connected_stores)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *keyed = weir_kstream_select_key(s, number_key, NULL, NULL);
    weir_topology_add_kv_store(topo, "seen", weir_kstream_name(keyed));
    weir_topology_add_kv_store(topo, "other", NULL);
    weir_kstream_to(keyed, "keyed", NULL, NULL);
    weir_ktable_t *t = weir_kgrouped_aggregate(weir_kstream_group_by_key(s),
                                               init_empty, append, NULL,
                                               weir_serde_string(), "agg");
    weir_kstream_to(weir_ktable_to_stream(t), "aggs", NULL, NULL);
    ck_assert_ptr_null(ok_or_abort(weir_topology_build(topo)));
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "in", "k", "a", 1);
    dsl_pipe_str(drv, "in", "k", "b", 2);
    dsl_pipe_str(drv, "in", "j", "a", 3);
    ck_assert_str_eq(dsl_drain_str(drv, "keyed", true),
                     "a-1=a@1;b-1=b@2;a-2=a@3;");
    ck_assert_str_eq(dsl_drain_str(drv, "aggs", true), "k=a@1;k=ab@2;j=a@3;");
    weir_error_t *err = weir_test_driver_pipe_str(drv, "in", "k", "bad", 4);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(weir_error_string(err), "bad value at in[0]@3"), "%s",
                  weir_error_string(err));
    weir_error_destroy(err);
    weir_test_driver_destroy(drv);
}
END_TEST

/* flat_map_values emits twice; the downstream callback sees its own
 * node, and the flat mapper its own again after each weir_emit(). */
static weir_error_t *twice(void *ctx, const weir_record_t *rec,
                           weir_emitter_t *em)
{
    (void)ctx;
    weir_processor_context_t *pctx = weir_dsl_context();
    const char *me = weir_processor_name(pctx);
    ck_assert_ptr_nonnull(strstr(me, "KSTREAM-FLATMAPVALUES-"));
    for (int i = 0; i < 2; i++) {
        weir_error_t *err = weir_emit(em, rec->value, rec->value_len);
        if (err)
            return err;
        ck_assert_ptr_eq(weir_dsl_context(), pctx);
        ck_assert_str_eq(weir_processor_name(weir_dsl_context()), me);
    }
    return NULL;
}

static void seen_by(void *ctx, const weir_record_t *rec)
{
    (void)rec;
    char *buf = ctx;
    const char *name = weir_processor_name(weir_dsl_context());
    ck_assert_ptr_nonnull(strstr(name, "KSTREAM-FOREACH-"));
    strcat(buf, "+");
}

START_TEST(test_dsl_process_context_follows_nested_forwarding)
{
    char seen[16] = "";
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_foreach(weir_kstream_flat_map_values(s, twice, NULL, NULL),
                         seen_by, seen);
    ck_assert_ptr_null(ok_or_abort(weir_topology_build(topo)));
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "in", "k", "v", 1);
    ck_assert_str_eq(seen, "++");
    ck_assert_ptr_null(weir_dsl_context());
    weir_test_driver_destroy(drv);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dsl_process");
    TCase *tc = tcase_create("process");
    tcase_add_test(tc, test_dsl_process_stores_forwarding_and_punctuation);
    tcase_add_test(tc, test_dsl_process_output_serdes_and_repartition);
    tcase_add_test(tc, test_dsl_process_errors_reported_by_build);
    suite_add_tcase(s, tc);
    tc = tcase_create("context");
    tcase_add_test(tc, test_dsl_process_callbacks_read_global_stores);
    tcase_add_test(tc, test_dsl_process_callbacks_reach_connected_stores);
    tcase_add_test(tc, test_dsl_process_context_follows_nested_forwarding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
