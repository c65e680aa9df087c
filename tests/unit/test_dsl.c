/*
 * test_dsl.c: every stateless and keyed DSL operation through the test
 * driver (filter, map_values, flat_map_values, map, select_key, peek,
 * foreach, to, repartition, group_by_key, count, reduce, aggregate,
 * table, global_table, joins), a complete word count, and the
 * describe() of a DSL topology with an automatic repartition.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/dsl.h>
#include <weir/serde.h>
#include <weir/test_driver.h>

#include "alloc_int.h"
#include "test_dsl_support.h"

/* Reads all of @p topic as "k=n;" with int64 values. */
static char *drain_counts(weir_test_driver_t *drv, const char *topic)
{
    static char buf[2048];
    buf[0] = '\0';
    weir_serde_t *ks = weir_serde_string(), *vs = weir_serde_int64();
    for (;;) {
        void *k, *v;
        size_t kl, vl;
        bool found;
        weir_error_t *err = weir_test_driver_read_output_obj(
            drv, topic, ks, vs, &k, &kl, &v, &vl, NULL, &found);
        ck_assert_ptr_null(err);
        if (!found)
            break;
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof(buf) - n, "%s=%lld;", (char *)k,
                 (long long)*(int64_t *)v);
        weir_serde_free_obj(ks, k, kl);
        weir_serde_free_obj(vs, v, vl);
    }
    weir_serde_destroy(ks);
    weir_serde_destroy(vs);
    return buf;
}

/* ---- stateless operations ---- */

static bool starts_with_a(void *ctx, const weir_record_t *rec)
{
    (void)ctx;
    return ((const char *)rec->value)[0] == 'a';
}

static weir_error_t *upper(void *ctx, const weir_record_t *rec, void **valuep,
                           size_t *lenp)
{
    int *calls = ctx;
    (*calls)++;
    char *s = dsl_dup_str(rec->value, lenp);
    for (char *p = s; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    *valuep = s;
    return NULL;
}

static weir_error_t *length(void *ctx, const weir_record_t *rec, void **valuep,
                            size_t *lenp)
{
    (void)ctx;
    int64_t *n = malloc(sizeof(*n));
    *n = (int64_t)rec->value_len;
    *valuep = n;
    *lenp = sizeof(*n);
    return NULL;
}

static void collect(void *ctx, const weir_record_t *rec)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 256 - n, "%s@%lld;", (const char *)rec->value,
             (long long)rec->timestamp);
}

START_TEST(test_dsl_filter_map_values_peek_foreach_to)
{
    int calls = 0;
    char peeked[256] = "", each[256] = "";
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *a = weir_kstream_filter(s, starts_with_a, NULL);
    weir_kstream_t *up = weir_kstream_map_values(a, upper, &calls, NULL);
    weir_kstream_to(weir_kstream_peek(up, collect, peeked), "upper", NULL,
                    NULL);
    weir_kstream_foreach(weir_kstream_filter_not(s, starts_with_a, NULL),
                         collect, each);
    weir_kstream_to(
        weir_kstream_map_values(s, length, NULL, weir_serde_int64()),
        "lengths", NULL, NULL);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "in", "1", "apple", 10);
    dsl_pipe_str(drv, "in", "2", "banana", 20);
    dsl_pipe_str(drv, "in", "3", "avocado", 30);
    ck_assert_str_eq(dsl_drain_str(drv, "upper", false), "1=APPLE;3=AVOCADO;");
    ck_assert_int_eq(calls, 2);
    ck_assert_str_eq(peeked, "APPLE@10;AVOCADO@30;");
    ck_assert_str_eq(each, "banana@20;");
    ck_assert_str_eq(drain_counts(drv, "lengths"), "1=5;2=6;3=7;");
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *split_words(void *ctx, const weir_record_t *rec,
                                 weir_emitter_t *em)
{
    (void)ctx;
    char *copy = strdup(rec->value);
    weir_error_t *err = NULL;
    char *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w && !err;
         w = strtok_r(NULL, " ", &save)) {
        for (char *p = w; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        err = weir_emit(em, w, strlen(w));
    }
    free(copy);
    return err;
}

static weir_error_t *value_as_key(void *ctx, const weir_record_t *rec,
                                  void **keyp, size_t *lenp)
{
    (void)ctx;
    *keyp = dsl_dup_str(rec->value, lenp);
    return NULL;
}

START_TEST(test_dsl_word_count)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *lines = weir_stream(topo, "lines", weir_serde_string(),
                                        weir_serde_string());
    weir_kstream_t *words = weir_kstream_flat_map_values(lines, split_words,
                                                         NULL, NULL);
    weir_kstream_t *by_word = weir_kstream_select_key(words, value_as_key,
                                                      NULL, NULL);
    weir_ktable_t *counts = weir_kgrouped_count(
        weir_kstream_group_by_key(by_word), "counts");
    weir_kstream_to(weir_ktable_to_stream(counts), "word-counts", NULL, NULL);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "lines", NULL, "the quick brown fox", 1);
    dsl_pipe_str(drv, "lines", NULL, "The lazy dog", 2);
    dsl_pipe_str(drv, "lines", NULL, "the END", 3);
    ck_assert_str_eq(drain_counts(drv, "word-counts"),
                     "the=1;quick=1;brown=1;fox=1;the=2;lazy=1;dog=1;"
                     "the=3;end=1;");
    weir_kv_store_t *kv;
    ck_assert_ptr_null(weir_test_driver_kv_store(drv, "counts", &kv));
    uint64_t n;
    ck_assert_ptr_null(weir_kv_store_approximate_count(kv, &n));
    ck_assert_int_eq(n, 7);
    void *v;
    size_t len;
    bool found;
    ck_assert_ptr_null(weir_kv_store_get(kv, "the", 3, &v, &len, &found));
    ck_assert(found);
    ck_assert_int_eq(len, 8);
    ck_assert_int_eq(((unsigned char *)v)[7], 3); /* int64 big-endian */
    weir_free(v);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_select_key_count_repartitions)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "clicks", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *by_user = weir_kstream_select_key(s, value_as_key, NULL,
                                                      NULL);
    weir_ktable_t *t = weir_kgrouped_count(weir_kstream_group_by_key(by_user),
                                           "per-user");
    weir_kstream_to(weir_ktable_to_stream(t), "out", NULL, NULL);
    ck_assert_ptr_null(weir_topology_build(topo));
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    char *d = weir_topology_describe(topo);
    const char *want =
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [clicks])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> per-user-repartition-sink\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Sink: per-user-repartition-sink (topic: per-user-repartition)\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: per-user-repartition-source (topics: "
        "[per-user-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [per-user])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- per-user-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n";
    ck_assert_str_eq(d, want);
    weir_free(d);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "clicks", "t1", "u1", 1);
    dsl_pipe_str(drv, "clicks", "t2", "u2", 2);
    dsl_pipe_str(drv, "clicks", "t3", "u1", 3);
    ck_assert_str_eq(drain_counts(drv, "out"), "u1=1;u2=1;u1=2;");
    /* The repartition topic is internal: fed back, not an output. */
    ck_assert_int_eq(
        weir_test_driver_output_size(drv, "app-per-user-repartition"), 0);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_group_without_key_change_does_not_repartition)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    int calls = 0;
    weir_kstream_t *m = weir_kstream_map_values(s, upper, &calls, NULL);
    weir_kgrouped_count(weir_kstream_group_by_key(m), "c");
    ck_assert_ptr_null(weir_topology_build(topo));
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 1);
    weir_topology_destroy(topo);
}
END_TEST

static weir_error_t *swap(void *ctx, const weir_record_t *rec, void **keyp,
                          size_t *klp, void **valuep, size_t *vlp)
{
    (void)ctx;
    *keyp = dsl_dup_str(rec->value, klp);
    *valuep = dsl_dup_str(rec->key, vlp);
    return NULL;
}

static weir_error_t *concat(void *ctx, const void *agg, size_t agg_len,
                            const weir_record_t *rec, void **outp,
                            size_t *out_lenp)
{
    (void)ctx;
    size_t n = agg_len + 1 + rec->value_len;
    char *s = malloc(n + 1);
    snprintf(s, n + 1, "%s+%s", (const char *)agg, (const char *)rec->value);
    *outp = s;
    *out_lenp = n;
    return NULL;
}

START_TEST(test_dsl_map_then_reduce)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *m = weir_kstream_map(s, swap, NULL, NULL, NULL);
    weir_ktable_t *t = weir_kgrouped_reduce(weir_kstream_group_by_key(m),
                                            concat, NULL, "joined");
    weir_kstream_to(weir_ktable_to_stream(t), "out", NULL, NULL);
    weir_test_driver_t *drv = dsl_driver(topo);
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    dsl_pipe_str(drv, "in", "a", "x", 1);
    dsl_pipe_str(drv, "in", "b", "x", 2);
    dsl_pipe_str(drv, "in", "c", "y", 3);
    dsl_pipe_str(drv, "in", "d", "x", 4);
    ck_assert_str_eq(dsl_drain_str(drv, "out", false),
                     "x=a;x=a+b;y=c;x=a+b+d;");
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *sum_init(void *ctx, void **aggp, size_t *lenp)
{
    (void)ctx;
    int64_t *n = malloc(sizeof(*n));
    *n = 100;
    *aggp = n;
    *lenp = sizeof(*n);
    return NULL;
}

static weir_error_t *sum_add(void *ctx, const weir_record_t *rec,
                             const void *agg, size_t agg_len, void **newp,
                             size_t *new_lenp)
{
    (void)ctx;
    (void)agg_len;
    int64_t *n = malloc(sizeof(*n));
    *n = *(const int64_t *)agg + atoi(rec->value);
    *newp = n;
    *new_lenp = sizeof(*n);
    return NULL;
}

START_TEST(test_dsl_aggregate_and_null_drops)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_ktable_t *t = weir_kgrouped_aggregate(weir_kstream_group_by_key(s),
                                               sum_init, sum_add, NULL,
                                               weir_serde_int64(), "sums");
    ck_assert_str_eq(weir_ktable_store_name(t), "sums");
    weir_kstream_to(weir_ktable_to_stream(t), "out", NULL, NULL);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "in", "a", "5", 1);
    dsl_pipe_str(drv, "in", "a", "7", 2);
    dsl_pipe_str(drv, "in", "b", "1", 3);
    dsl_pipe_str(drv, "in", NULL, "1", 4);
    dsl_pipe_str(drv, "in", "a", NULL, 5);
    ck_assert_str_eq(drain_counts(drv, "out"), "a=105;a=112;b=101;");
    ck_assert_int_eq(weir_test_driver_dropped(drv, "null-key"), 1);
    ck_assert_int_eq(weir_test_driver_dropped(drv, "null-value"), 1);
    ck_assert_int_eq(weir_test_driver_dropped(drv, NULL), 2);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_explicit_repartition)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_to(weir_kstream_repartition(s, "spread"), "out", NULL, NULL);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "in", "k", "v", 1);
    ck_assert_str_eq(dsl_drain_str(drv, "out", false), "k=v;");
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- tables and joins ---- */

static weir_error_t *join_values(void *ctx, const weir_record_t *rec,
                                 const void *tv, size_t tv_len, void **outp,
                                 size_t *out_lenp)
{
    (void)ctx;
    (void)tv_len;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s/%s", (const char *)rec->value,
             tv ? (const char *)tv : "none");
    *outp = dsl_dup_str(buf, out_lenp);
    return NULL;
}

START_TEST(test_dsl_table_and_stream_table_joins)
{
    weir_topology_t *topo = weir_topology_new();
    weir_ktable_t *users = weir_table(topo, "users", weir_serde_string(),
                                      weir_serde_string(), "users-store");
    weir_kstream_t *clicks = weir_stream(topo, "clicks", weir_serde_string(),
                                         weir_serde_string());
    weir_kstream_to(
        weir_kstream_join_table(clicks, users, join_values, NULL, NULL),
        "inner", NULL, NULL);
    weir_kstream_to(
        weir_kstream_left_join_table(clicks, users, join_values, NULL, NULL),
        "left", NULL, NULL);
    weir_kstream_to(weir_ktable_to_stream(users), "user-updates", NULL, NULL);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "clicks", "u1", "c0", 1); /* before the table has u1 */
    dsl_pipe_str(drv, "users", "u1", "alice", 2);
    dsl_pipe_str(drv, "users", "u2", "bob", 3);
    dsl_pipe_str(drv, "clicks", "u1", "c1", 4);
    dsl_pipe_str(drv, "clicks", "u2", "c2", 5);
    dsl_pipe_str(drv, "users", "u1", NULL, 6); /* tombstone */
    dsl_pipe_str(drv, "clicks", "u1", "c3", 7);
    ck_assert_str_eq(dsl_drain_str(drv, "inner", false),
                     "u1=c1/alice;u2=c2/bob;");
    ck_assert_str_eq(dsl_drain_str(drv, "left", false),
                     "u1=c0/none;u1=c1/alice;u2=c2/bob;u1=c3/none;");
    ck_assert_str_eq(dsl_drain_str(drv, "user-updates", false),
                     "u1=alice;u2=bob;u1=null;");
    weir_kv_store_t *kv;
    ck_assert_ptr_null(weir_test_driver_kv_store(drv, "users-store", &kv));
    uint64_t n;
    ck_assert_ptr_null(weir_kv_store_approximate_count(kv, &n));
    ck_assert_int_eq(n, 1);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_dsl_join_after_select_key_repartitions)
{
    weir_topology_t *topo = weir_topology_new();
    weir_ktable_t *users = weir_table(topo, "users", weir_serde_string(),
                                      weir_serde_string(), "users-store");
    weir_kstream_t *clicks = weir_stream(topo, "clicks", weir_serde_string(),
                                         weir_serde_string());
    weir_kstream_t *by_user = weir_kstream_select_key(clicks, value_as_key,
                                                      NULL, NULL);
    weir_kstream_to(
        weir_kstream_join_table(by_user, users, join_values, NULL, NULL),
        "out", NULL, NULL);
    ck_assert_ptr_null(weir_topology_build(topo));
    /* {users table + join + repartition source} and {clicks + select}. */
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    char *d = weir_topology_describe(topo);
    ck_assert_msg(strstr(d, "Sink: KSTREAM-JOIN-0000000004-repartition-sink "
                            "(topic: KSTREAM-JOIN-0000000004-repartition)") !=
                      NULL,
                  "%s", d);
    weir_free(d);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "users", "u7", "gina", 1);
    dsl_pipe_str(drv, "clicks", "t", "u7", 2);
    ck_assert_str_eq(dsl_drain_str(drv, "out", false), "u7=u7/gina;");
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *product_of(void *ctx, const weir_record_t *rec,
                                void **keyp, size_t *lenp)
{
    (void)ctx;
    const char *v = rec->value; /* "user:product" */
    const char *colon = strchr(v, ':');
    *keyp = dsl_dup_str(colon ? colon + 1 : v, lenp);
    return NULL;
}

START_TEST(test_dsl_global_table_join)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kglobal_table_t *products = weir_global_table(
        topo, "products", weir_serde_string(), weir_serde_string(), "prod");
    weir_kstream_t *clicks = weir_stream(topo, "clicks", weir_serde_string(),
                                         weir_serde_string());
    weir_kstream_t *by_user = weir_kstream_select_key(clicks, value_as_key,
                                                      NULL, NULL);
    weir_kstream_to(weir_kstream_join_global(by_user, products, product_of,
                                             join_values, NULL, NULL),
                    "inner", NULL, NULL);
    weir_kstream_to(weir_kstream_left_join_global(clicks, products, product_of,
                                                  join_values, NULL, NULL),
                    "left", NULL, NULL);
    ck_assert_ptr_null(weir_topology_build(topo));
    /* Global joins need no repartition: one task sub-topology. */
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 1);
    weir_test_driver_t *drv = dsl_driver(topo);
    dsl_pipe_str(drv, "products", "p1", "books", 1);
    dsl_pipe_str(drv, "clicks", "t1", "u1:p1", 2);
    dsl_pipe_str(drv, "clicks", "t2", "u2:p9", 3);
    ck_assert_str_eq(dsl_drain_str(drv, "inner", false), "u1:p1=u1:p1/books;");
    ck_assert_str_eq(dsl_drain_str(drv, "left", false),
                     "t1=u1:p1/books;t2=u2:p9/none;");
    weir_kv_store_t *kv;
    ck_assert_ptr_null(weir_test_driver_kv_store(drv, "prod", &kv));
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- errors recorded by DSL calls ---- */

START_TEST(test_dsl_errors_reported_by_build)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kgrouped_t *g = weir_kstream_group_by_key(s);
    ck_assert_ptr_null(
        weir_kgrouped_windowed_by(g, weir_hopping_windows(100, 200, 0)));
    weir_error_t *err = weir_topology_build(topo);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOPOLOGY);
    ck_assert(strstr(weir_error_string(err), "invalid windows (size 100, "
                                             "advance 200, grace 0, "
                                             "retention 0 ms)"));
    weir_error_destroy(err);
    /* NULL handles flow through without crashing. */
    ck_assert_ptr_null(weir_kwindowed_count(NULL, "x"));
    ck_assert_ptr_null(weir_kstream_filter(NULL, starts_with_a, NULL));
    weir_kstream_to(NULL, "t", weir_serde_string(), NULL);
    weir_topology_destroy(topo);

    topo = weir_topology_new();
    s = weir_stream(topo, "in", weir_serde_string(), weir_serde_string());
    weir_kgrouped_count(weir_kstream_group_by_key(s), NULL);
    err = weir_topology_build(topo);
    ck_assert(strstr(weir_error_string(err), "no store name"));
    weir_error_destroy(err);
    weir_topology_destroy(topo);

    topo = weir_topology_new();
    s = weir_stream(topo, "in", weir_serde_string(), weir_serde_string());
    weir_kgrouped_count(weir_kstream_group_by_key(s), "dup");
    weir_kgrouped_count(weir_kstream_group_by_key(s), "dup");
    err = weir_topology_build(topo);
    ck_assert(strstr(weir_error_string(err), "store 'dup': duplicate"));
    weir_error_destroy(err);
    weir_topology_destroy(topo);
}
END_TEST

/* Windows whose reserved space is not zero (an uninitialized struct) are
 * refused, naming the operation; made by a constructor, they are not. */
START_TEST(test_dsl_windows_with_reserved_set_are_refused)
{
    weir_time_windows_t tw = weir_tumbling_windows(1000, 0);
    weir_session_windows_t sw = weir_session_windows(1000, 0);
    weir_sliding_windows_t lw = weir_sliding_windows(1000, 0);
    for (size_t i = 0; i < 4; i++)
        ck_assert(!tw.reserved[i] && !sw.reserved[i] && !lw.reserved[i]);
    const char *expect[] = {"windowed_by after", "session_windowed_by after",
                            "sliding_windowed_by after"};
    for (int kind = 0; kind < 3; kind++) {
        weir_topology_t *topo = weir_topology_new();
        weir_kgrouped_t *g = weir_kstream_group_by_key(
            weir_stream(topo, "in", weir_serde_string(), weir_serde_string()));
        tw.reserved[3] = sw.reserved[3] = lw.reserved[3] = 7;
        if (kind == 0)
            ck_assert_ptr_null(weir_kgrouped_windowed_by(g, tw));
        else if (kind == 1)
            ck_assert_ptr_null(weir_kgrouped_session_windowed_by(g, sw));
        else
            ck_assert_ptr_null(weir_kgrouped_sliding_windowed_by(g, lw));
        weir_error_t *err = weir_topology_build(topo);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOPOLOGY);
        ck_assert_msg(strstr(weir_error_string(err), expect[kind]) &&
                          strstr(weir_error_string(err), "reserved"),
                      "%s", weir_error_string(err));
        weir_error_destroy(err);
        weir_topology_destroy(topo);
    }
}
END_TEST

/* ---- allocation failures: every path cleans up ---- */

/* Builds a word count with a repartition and a global table, runs a few
 * records, and returns 0, or the error code of the first failure. */
static weir_err_t word_count_run(void)
{
    weir_topology_t *topo = weir_topology_new();
    if (!topo)
        return WEIR_ERR_NOMEM;
    weir_kstream_t *lines = weir_stream(topo, "lines", weir_serde_string(),
                                        weir_serde_string());
    weir_kstream_t *words = weir_kstream_flat_map_values(lines, split_words,
                                                         NULL, NULL);
    weir_kstream_t *by_word = weir_kstream_select_key(words, value_as_key,
                                                      NULL, NULL);
    weir_kglobal_table_t *g = weir_global_table(
        topo, "dict", weir_serde_string(), weir_serde_string(), "dict");
    weir_kstream_t *joined = weir_kstream_left_join_global(
        by_word, g, value_as_key, join_values, NULL, NULL);
    weir_ktable_t *counts = weir_kgrouped_count(
        weir_kstream_group_by_key(joined), "counts");
    weir_kstream_to(weir_ktable_to_stream(counts), "out", NULL, NULL);
    weir_error_t *err = weir_topology_build(topo);
    char *d = err ? NULL : weir_topology_describe(topo);
    weir_free(d);
    weir_test_driver_t *drv = err ? NULL
                                  : weir_test_driver_new(topo, NULL, &err);
    if (!drv)
        weir_topology_destroy(topo);
    if (!err)
        err = weir_test_driver_pipe_str(drv, "dict", "a", "x", 1);
    if (!err)
        err = weir_test_driver_pipe_str(drv, "lines", NULL, "a b a", 2);
    weir_test_driver_destroy(drv);
    weir_err_t code = weir_error_code(err);
    weir_error_destroy(err);
    return code;
}

START_TEST(test_dsl_allocation_failures_are_clean)
{
    int ok = 0;
    for (long n = 0; n < 1500; n++) {
        weir__alloc_fail_after(n);
        weir_err_t code = word_count_run();
        weir__alloc_fail_after(-1);
        if (code == WEIR_ERR_OK) {
            ok++;
            break;
        }
        /* Allocation failures surface as NOMEM (or, inside a serde, as
         * whatever error it makes of it), never as a crash or a leak. */
        ck_assert_msg(code == WEIR_ERR_NOMEM || code == WEIR_ERR_SERDE ||
                          code == WEIR_ERR_STORE,
                      "failure %ld gave %s", n, weir_err2name(code));
    }
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(word_count_run(), WEIR_ERR_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dsl");
    TCase *tc = tcase_create("stateless");
    tcase_add_test(tc, test_dsl_filter_map_values_peek_foreach_to);
    tcase_add_test(tc, test_dsl_explicit_repartition);
    tcase_add_test(tc, test_dsl_errors_reported_by_build);
    tcase_add_test(tc, test_dsl_windows_with_reserved_set_are_refused);
    tcase_add_test(tc, test_dsl_allocation_failures_are_clean);
    suite_add_tcase(s, tc);
    tc = tcase_create("aggregation");
    tcase_add_test(tc, test_dsl_word_count);
    tcase_add_test(tc, test_dsl_select_key_count_repartitions);
    tcase_add_test(tc, test_dsl_group_without_key_change_does_not_repartition);
    tcase_add_test(tc, test_dsl_map_then_reduce);
    tcase_add_test(tc, test_dsl_aggregate_and_null_drops);
    suite_add_tcase(s, tc);
    tc = tcase_create("tables");
    tcase_add_test(tc, test_dsl_table_and_stream_table_joins);
    tcase_add_test(tc, test_dsl_join_after_select_key_repartitions);
    tcase_add_test(tc, test_dsl_global_table_join);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
