/*
 * test_topology_task.c: the per-task executor through its internal
 * interface (task_int.h), as the Kafka runtime will drive it: timestamp
 * order across input partitions, stream time, the store provider and the
 * record collector contracts, internal topic naming, dropped counters.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/dsl.h>
#include <weir/serde.h>
#include <weir/statestore.h>
#include <weir/topology.h>

#include "task_int.h"

static char log_[2048];

static weir_error_t *note_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    (void)state;
    char line[128];
    snprintf(line, sizeof(line), "%s:%s@%lld st=%lld\n",
             weir_processor_record_topic(pctx), (const char *)rec->value,
             (long long)rec->timestamp,
             (long long)weir_processor_stream_time(pctx));
    strncat(log_, line, sizeof(log_) - strlen(log_) - 1);
    return weir_processor_forward(pctx, rec);
}

static const weir_processor_ops_t note_ops = {.process = note_process};

/* Provider: one in-memory kv store per spec; counts opens and releases. */
typedef struct provider_s {
    weir_kv_store_t *kv;
    int opens, releases;
    char last_task[32];
} provider_t;

static weir_error_t *p_open_kv(void *opaque, const char *task_id,
                               const weir__store_spec_t *spec,
                               weir_kv_store_t **kvp)
{
    provider_t *p = opaque;
    weir_error_t *err = NULL;
    p->kv = weir_kv_store_memory_new(spec->name, &err);
    p->opens++;
    snprintf(p->last_task, sizeof(p->last_task), "%s", task_id);
    *kvp = p->kv;
    return err;
}

static weir_error_t *p_open_window(void *opaque, const char *task_id,
                                   const weir__store_spec_t *spec,
                                   weir_window_store_t **wsp)
{
    (void)opaque;
    (void)task_id;
    (void)spec;
    *wsp = NULL;
    return weir_error_new(WEIR_ERR_UNSUPPORTED, "no window stores here");
}

static void p_release(void *opaque, const char *task_id,
                      const weir__store_spec_t *spec, void *store)
{
    (void)task_id;
    (void)spec;
    provider_t *p = opaque;
    ck_assert_ptr_eq(store, p->kv);
    p->releases++;
    weir_store_destroy(weir_kv_store_as_store(store));
}

static char sent[1024];

static weir_error_t *c_send(void *opaque, const weir__sink_record_t *rec)
{
    (void)opaque;
    char line[160];
    snprintf(line, sizeof(line), "%s(%s,%d) %.*s=%.*s@%lld\n", rec->topic,
             rec->topo_topic, rec->internal, (int)rec->key_len,
             (const char *)rec->key, (int)rec->value_len,
             (const char *)rec->value, (long long)rec->timestamp);
    strncat(sent, line, sizeof(sent) - strlen(sent) - 1);
    return NULL;
}

static weir__input_record_t in(const char *topic, int32_t part, int64_t off,
                               const char *value, int64_t ts)
{
    weir__input_record_t r = {topic, part,          off, "k",  1,
                              value, strlen(value), ts,  NULL, NULL};
    return r;
}

START_TEST(test_topology_task_orders_partitions_by_timestamp)
{
    memset(log_, 0, sizeof(log_));
    memset(sent, 0, sizeof(sent));
    const char *topics[] = {"a", "b"};
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source_topics(topo, "src", topics, 2,
                                    weir_serde_string(), weir_serde_string());
    weir_topology_add_processor(topo, "note", &note_ops, NULL, "src", NULL);
    weir_topology_add_kv_store(topo, "st", "note");
    weir_topology_add_repartition(topo, "rp", weir_serde_string(),
                                  weir_serde_string(), "note");
    ck_assert_ptr_null(weir_topology_build(topo));

    provider_t prov = {0};
    weir__store_provider_t sp = {&prov, p_open_kv, p_open_window, p_release};
    weir__record_collector_t rc = {NULL, c_send};
    weir__task_conf_t conf = {.app_id = "app",
                              .stores = &sp,
                              .collector = &rc,
                              .log = weir__logger_default()};
    weir_error_t *err = NULL;
    weir__task_t *task = weir__task_new(topo, 0, 3, &conf, &err);
    ck_assert_msg(task != NULL, "%s", weir_error_string(err));
    ck_assert_str_eq(weir__task_id(task), "0_3");
    ck_assert_int_eq(prov.opens, 1);
    ck_assert_str_eq(prov.last_task, "0_3");
    ck_assert(weir__task_reads_topic(task, "a"));
    ck_assert(!weir__task_reads_topic(task, "app-rp-repartition"));
    ck_assert_int_eq(weir__task_stream_time(task), INT64_MIN);

    weir__input_record_t r;
    r = in("a", 3, 0, "a1", 30);
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    r = in("a", 3, 1, "a2", 10); /* out of order within a partition */
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    r = in("b", 3, 0, "b1", 20);
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    r = in("b", 3, 1, "b2", 5);
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    ck_assert_int_eq(weir__task_buffered(task), 4);
    ck_assert_int_eq(weir__task_queue_size(task, "a", 3), 2);

    bool processed = true;
    while (processed) {
        err = weir__task_process(task, &processed);
        ck_assert_ptr_null(err);
    }
    /* Heads compared by timestamp; a partition keeps offset order. */
    ck_assert_str_eq(log_, "b:b1@20 st=20\n"
                           "b:b2@5 st=20\n"
                           "a:a1@30 st=30\n"
                           "a:a2@10 st=30\n");
    ck_assert_int_eq(weir__task_stream_time(task), 30);
    /* Internal topics get the application id; the collector is told. */
    ck_assert(strstr(sent, "app-rp-repartition(rp-repartition,1) k=b1@20\n") ==
              sent);

    /* Unknown topic: a clear error. Other partitions of a known topic get
     * their own queue. */
    r = in("zzz", 3, 0, "x", 1);
    err = weir__task_add_record(task, &r);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    r = in("a", 4, 0, "x", 1);
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    ck_assert_int_eq(weir__task_queue_size(task, "a", 4), 1);
    weir__task_clear_queues(task);
    ck_assert_int_eq(weir__task_buffered(task), 0);

    ck_assert_ptr_null(weir__task_advance_stream_time(task, 100));
    ck_assert_int_eq(weir__task_stream_time(task), 100);
    ck_assert_ptr_null(weir__task_advance_stream_time(task, 50));
    ck_assert_int_eq(weir__task_stream_time(task), 100);

    weir__task_destroy(task);
    ck_assert_int_eq(prov.releases, 1);
    weir_topology_destroy(topo);
}
END_TEST

static int64_t value_ts(void *ctx, const weir_record_t *rec, int64_t pt)
{
    (void)ctx;
    (void)pt;
    return strtoll(rec->value, NULL, 10);
}

START_TEST(test_topology_task_timestamp_extractor_and_invalid)
{
    memset(log_, 0, sizeof(log_));
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "t", weir_serde_string(),
                             weir_serde_string());
    weir_topology_set_timestamp_extractor(topo, "src", value_ts, NULL);
    weir_topology_add_processor(topo, "note", &note_ops, NULL, "src", NULL);
    ck_assert_ptr_null(weir_topology_build(topo));
    provider_t prov = {0};
    weir__store_provider_t sp = {&prov, p_open_kv, p_open_window, p_release};
    weir__record_collector_t rc = {NULL, c_send};
    weir__task_conf_t conf = {
        .stores = &sp, .collector = &rc, .log = weir__logger_default()};
    weir_error_t *err = NULL;
    weir__task_t *task = weir__task_new(topo, 0, 0, &conf, &err);
    ck_assert_ptr_nonnull(task);
    weir__input_record_t r = in("t", 0, 0, "77", 1);
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    r = in("t", 0, 1, "-5", 1);
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    ck_assert_int_eq(weir__task_buffered(task), 1);
    ck_assert_int_eq(weir__task_dropped(task, "invalid-timestamp"), 1);
    ck_assert_int_eq(weir__task_dropped(task, NULL), 1);
    const char *reason;
    uint64_t n;
    ck_assert(weir__task_dropped_counter(task, 0, &reason, &n));
    ck_assert_str_eq(reason, "invalid-timestamp");
    ck_assert(!weir__task_dropped_counter(task, 1, &reason, &n));
    bool processed;
    ck_assert_ptr_null(weir__task_process(task, &processed));
    ck_assert(processed);
    ck_assert_str_eq(log_, "t:77@77 st=77\n");
    weir__task_destroy(task);
    weir_topology_destroy(topo);
}
END_TEST

START_TEST(test_topology_task_bad_subtopology_rejected)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "t", weir_serde_string(),
                             weir_serde_string());
    ck_assert_ptr_null(weir_topology_build(topo));
    weir__record_collector_t rc = {NULL, c_send};
    weir__store_provider_t sp = {NULL, p_open_kv, p_open_window, p_release};
    weir__task_conf_t conf = {
        .stores = &sp, .collector = &rc, .log = weir__logger_default()};
    weir_error_t *err = NULL;
    ck_assert_ptr_null(weir__task_new(topo, 5, 0, &conf, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
}
END_TEST


/* A provider whose one window store outlives tasks (a persistent store). */
static weir_window_store_t *kept_ws;

static weir_error_t *keep_open_window(void *opaque, const char *task_id,
                                      const weir__store_spec_t *spec,
                                      weir_window_store_t **wsp)
{
    (void)opaque;
    (void)task_id;
    weir_error_t *err = NULL;
    if (!kept_ws)
        kept_ws = weir_window_store_memory_new(spec->name, spec->retention_ms,
                                               spec->retention_ms, &err);
    *wsp = kept_ws;
    return err;
}

static void keep_release(void *opaque, const char *task_id,
                         const weir__store_spec_t *spec, void *store)
{
    (void)opaque;
    (void)task_id;
    (void)spec;
    (void)store;
}

static char finals[256];

/* Logs "<key char><count>" for windowed counts. */
static weir_error_t *final_send(void *opaque, const weir__sink_record_t *rec)
{
    (void)opaque;
    size_t n = strlen(finals);
    snprintf(finals + n, sizeof(finals) - n, "%c[%d]=%d;",
             ((const char *)rec->key)[0],
             ((const unsigned char *)rec->key)[7], /* start / 256 */
             ((const unsigned char *)rec->value)[7]);
    return NULL;
}

static void process_all(weir__task_t *task)
{
    bool processed = true;
    while (processed)
        ck_assert_ptr_null(weir__task_process(task, &processed));
}

START_TEST(test_topology_task_restart_does_not_reemit_final_results)
{
    memset(finals, 0, sizeof(finals));
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_to(
        weir_kwindowed_count(
            weir_kgrouped_windowed_by(weir_kstream_group_by_key(s),
                                      weir_tumbling_windows(1024, 1500)),
            "counts"),
        "out", NULL, NULL);
    ck_assert_ptr_null(weir_topology_build(topo));
    weir__store_provider_t sp = {NULL, p_open_kv, keep_open_window,
                                 keep_release};
    weir__record_collector_t rc = {NULL, final_send};
    weir__task_conf_t conf = {
        .stores = &sp, .collector = &rc, .log = weir__logger_default()};
    weir_error_t *err = NULL;
    weir__task_t *task = weir__task_new(topo, 0, 0, &conf, &err);
    ck_assert_ptr_nonnull(task);
    /* j@2600 closes [0,1024) (grace 1500); the window stays in the store
     * (retention size + grace, from the largest start, 2048). */
    const char *keys[] = {"k", "k", "j"};
    int64_t times[] = {10, 20, 2600};
    for (int i = 0; i < 3; i++) {
        weir__input_record_t r = {"in", 0, i,        keys[i], 1,
                                  "v",  1, times[i], NULL,    NULL};
        ck_assert_ptr_null(weir__task_add_record(task, &r));
    }
    process_all(task);
    ck_assert_str_eq(finals, "k[0]=2;");
    int64_t committed = weir__task_stream_time(task);
    weir__task_destroy(task);

    /* The restarted task, its stream time restored: [0,1024) is not
     * emitted again; open windows close normally. */
    task = weir__task_new(topo, 0, 0, &conf, &err);
    ck_assert_ptr_nonnull(task);
    ck_assert_ptr_null(weir__task_advance_stream_time(task, committed));
    ck_assert_str_eq(finals, "k[0]=2;");
    weir__input_record_t r = {"in", 0, 3, "z", 1, "v", 1, 5000, NULL, NULL};
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    process_all(task);
    ck_assert_str_eq(finals, "k[0]=2;j[8]=1;");
    weir__task_destroy(task);

    /* Restarted again without restoring stream time: still nothing twice
     * (emitted windows left the store), and the open one closes. */
    task = weir__task_new(topo, 0, 0, &conf, &err);
    ck_assert_ptr_nonnull(task);
    r.offset = 4;
    r.timestamp = 9000;
    ck_assert_ptr_null(weir__task_add_record(task, &r));
    process_all(task);
    ck_assert_str_eq(finals, "k[0]=2;j[8]=1;z[16]=1;");
    weir__task_destroy(task);
    weir_store_destroy(weir_window_store_as_store(kept_ws));
    kept_ws = NULL;
    weir_topology_destroy(topo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topology_task");
    TCase *tc = tcase_create("task");
    tcase_add_test(tc, test_topology_task_orders_partitions_by_timestamp);
    tcase_add_test(tc, test_topology_task_timestamp_extractor_and_invalid);
    tcase_add_test(tc, test_topology_task_bad_subtopology_rejected);
    tcase_add_test(tc,
                   test_topology_task_restart_does_not_reemit_final_results);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
