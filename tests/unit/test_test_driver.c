/*
 * test_test_driver.c: the processor API and per-task execution, through
 * the test driver: forwarding, record metadata, stores by name,
 * punctuations (stream time and wall clock), commit requests, timestamp
 * order across partitions of a task, repartition feeding, global stores
 * loaded from files, and errors.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/dsl.h>
#include <weir/serde.h>
#include <weir/test_driver.h>
#include <weir/topology.h>

#include "tmpdir.h"

/* ---- a processor that copies records and appends what it saw ---- */

static char seen[4096];

static weir_error_t *meta_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    (void)state;
    char line[256], hbuf[64] = "";
    const void *hv;
    size_t hl;
    if (weir_headers_last(weir_processor_record_headers(pctx), "h", &hv, &hl))
        snprintf(hbuf, sizeof(hbuf), " h=%s", (const char *)hv);
    snprintf(line, sizeof(line), "%s/%d@%lld:%s ts=%lld%s task=%s\n",
             weir_processor_record_topic(pctx),
             (int)weir_processor_record_partition(pctx),
             (long long)weir_processor_record_offset(pctx),
             (const char *)rec->value,
             (long long)weir_processor_record_timestamp(pctx), hbuf,
             weir_processor_task_id(pctx));
    strncat(seen, line, sizeof(seen) - strlen(seen) - 1);
    return weir_processor_forward(pctx, rec);
}

static const weir_processor_ops_t meta_ops = {.process = meta_process};

START_TEST(test_test_driver_forward_and_metadata)
{
    memset(seen, 0, sizeof(seen));
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "meta", &meta_ops, NULL, "src", NULL);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_string(), "meta", NULL);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));

    weir_headers_t *h = weir_headers_new();
    ck_assert_ptr_null(weir_headers_add(h, "h", "v1", 3)); /* with NUL */
    ck_assert_ptr_null(
        weir_test_driver_pipe(drv, "in", "k", 1, "a", 1, 100, h));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k2", "b", 50));
    ck_assert_str_eq(seen, "in/0@0:a ts=100 h=v1 task=0_0\n"
                           "in/0@1:b ts=50 task=0_0\n");

    weir_test_record_t *rec = weir_test_driver_read_output(drv, "out");
    ck_assert_ptr_nonnull(rec);
    ck_assert_int_eq(rec->key_len, 1);
    ck_assert_mem_eq(rec->key, "k", 1);
    ck_assert_mem_eq(rec->value, "a", 1);
    ck_assert_int_eq(rec->timestamp, 100);
    const void *hv;
    size_t hl;
    ck_assert(weir_headers_last(rec->headers, "h", &hv, &hl));
    ck_assert_int_eq(hl, 3);
    weir_test_record_destroy(rec);
    char *k, *v;
    int64_t ts;
    ck_assert(weir_test_driver_read_output_str(drv, "out", &k, &v, &ts));
    ck_assert_str_eq(k, "k2");
    ck_assert_str_eq(v, "b");
    ck_assert_int_eq(ts, 50);
    weir_free(k);
    weir_free(v);
    ck_assert(!weir_test_driver_read_output_str(drv, "out", &k, &v, &ts));
    weir_headers_destroy(h);
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- forward_to: route to a named child ---- */

static weir_error_t *route_process(weir_processor_context_t *pctx, void *state,
                                   const weir_record_t *rec)
{
    (void)state;
    const char *v = rec->value;
    return weir_processor_forward_to(pctx, v[0] == 'e' ? "evens" : "odds",
                                     rec);
}

static const weir_processor_ops_t route_ops = {.process = route_process};

static weir_error_t *bad_route_process(weir_processor_context_t *pctx,
                                       void *state, const weir_record_t *rec)
{
    (void)state;
    return weir_processor_forward_to(pctx, "nobody", rec);
}

static const weir_processor_ops_t bad_route_ops = {
    .process = bad_route_process};

START_TEST(test_test_driver_forward_to_named_child)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "route", &route_ops, NULL, "src", NULL);
    weir_topology_add_sink(topo, "evens", "even-topic", weir_serde_string(),
                           weir_serde_string(), "route", NULL);
    weir_topology_add_sink(topo, "odds", "odd-topic", weir_serde_string(),
                           weir_serde_string(), "route", NULL);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_ptr_nonnull(drv);
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "1", "e1", 1));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "2", "o2", 2));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "3", "e3", 3));
    ck_assert_int_eq(weir_test_driver_output_size(drv, "even-topic"), 2);
    ck_assert_int_eq(weir_test_driver_output_size(drv, "odd-topic"), 1);
    weir_test_driver_destroy(drv);

    topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "route", &bad_route_ops, NULL, "src",
                                NULL);
    drv = weir_test_driver_new(topo, NULL, &err);
    err = weir_test_driver_pipe_str(drv, "in", "1", "x", 1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    /* The processing handler (fail, the default) says why it stopped. */
    ck_assert_str_eq(weir_error_string(err),
                     "processing error (processing.exception.handler=fail): "
                     "task 0_0: processor 'route': processor 'route': "
                     "'nobody' is not one of its children");
    weir_error_destroy(err);
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- stores: attached ones only, counts kept across records ---- */

typedef struct counter_state_s {
    weir_kv_store_t *kv;
} counter_state_t;

static weir_error_t *counter_init(weir_processor_context_t *pctx, void *opaque,
                                  void **statep)
{
    counter_state_t *st = calloc(1, sizeof(*st));
    weir_error_t *err = weir_processor_kv_store(pctx, opaque, &st->kv);
    if (err) {
        free(st);
        return err;
    }
    *statep = st;
    return NULL;
}

static weir_error_t *counter_process(weir_processor_context_t *pctx,
                                     void *state, const weir_record_t *rec)
{
    counter_state_t *st = state;
    void *old;
    size_t len;
    bool found;
    weir_error_t *err = weir_kv_store_get(st->kv, rec->key, rec->key_len, &old,
                                          &len, &found);
    if (err)
        return err;
    int64_t n = found ? *(int64_t *)old + 1 : 1;
    weir_free(old);
    err = weir_kv_store_put(st->kv, rec->key, rec->key_len, &n, sizeof(n));
    if (err)
        return err;
    weir_record_t out = *rec;
    out.value = &n;
    out.value_len = sizeof(n);
    return weir_processor_forward(pctx, &out);
}

static void counter_close(void *state, void *opaque)
{
    (void)opaque;
    free(state);
}

static const weir_processor_ops_t counter_ops = {
    .init = counter_init,
    .process = counter_process,
    .close = counter_close,
};

START_TEST(test_test_driver_store_by_name)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "count", &counter_ops, "counts", "src",
                                NULL);
    weir_topology_add_kv_store(topo, "counts", "count");
    weir_topology_store_set_persistent(topo, "counts", false);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_int64(), "count", NULL);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "a", "x", 1));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "b", "x", 2));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "a", "x", 3));
    weir_kv_store_t *kv;
    ck_assert_ptr_null(weir_test_driver_kv_store(drv, "counts", &kv));
    void *v;
    size_t len;
    bool found;
    ck_assert_ptr_null(weir_kv_store_get(kv, "a", 1, &v, &len, &found));
    ck_assert(found);
    ck_assert_int_eq(*(int64_t *)v, 2);
    weir_free(v);
    /* Output: int64 big-endian 1, 1, 2. */
    weir_test_record_t *rec;
    int64_t want[] = {1, 1, 2};
    for (int i = 0; i < 3; i++) {
        rec = weir_test_driver_read_output(drv, "out");
        ck_assert_int_eq(rec->value_len, 8);
        ck_assert_int_eq(((unsigned char *)rec->value)[7], want[i]);
        weir_test_record_destroy(rec);
    }
    err = weir_test_driver_kv_store(drv, "nope", &kv);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    weir_error_destroy(err);
    weir_window_store_t *ws;
    err = weir_test_driver_window_store(drv, "counts", &ws);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    weir_error_destroy(err);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_test_driver_unattached_store_is_clear_error)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "count", &counter_ops, "other", "src",
                                NULL);
    weir_topology_add_processor(topo, "owner", &meta_ops, NULL, "src", NULL);
    weir_topology_add_kv_store(topo, "other", "owner");
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_ptr_null(drv);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    ck_assert_str_eq(weir_error_string(err),
                     "task 0_0: processor 'count' init: processor 'count': "
                     "store 'other' is not attached to it "
                     "(weir_topology_connect_store)");
    weir_error_destroy(err);
    weir_topology_destroy(topo); /* still ours after a failed _new */
}
END_TEST

/* ---- punctuations ---- */

typedef struct punct_cfg_s {
    weir_punctuation_type_t type;
    int64_t interval;
} punct_cfg_t;

static weir_error_t *punct_init(weir_processor_context_t *pctx, void *opaque,
                                void **statep)
{
    const punct_cfg_t *cfg = opaque;
    *statep = NULL;
    return weir_processor_schedule(pctx, cfg->type, cfg->interval, 7);
}

static weir_error_t *punct_process(weir_processor_context_t *pctx, void *state,
                                   const weir_record_t *rec)
{
    (void)pctx;
    (void)state;
    (void)rec;
    return NULL;
}

static weir_error_t *punct_punctuate(weir_processor_context_t *pctx,
                                     void *state, weir_punctuation_type_t type,
                                     int64_t timestamp, int tag)
{
    (void)state;
    ck_assert_int_eq(tag, 7);
    ck_assert_ptr_null(weir_processor_record_topic(pctx));
    char v[64];
    snprintf(v, sizeof(v), "%c%lld",
             type == WEIR_PUNCTUATE_STREAM_TIME ? 's' : 'w',
             (long long)timestamp);
    weir_record_t out = {.key = "p",
                         .key_len = 1,
                         .value = v,
                         .value_len = strlen(v),
                         .timestamp = timestamp};
    weir_processor_request_commit(pctx);
    return weir_processor_forward(pctx, &out);
}

static const weir_processor_ops_t punct_ops = {
    .init = punct_init,
    .process = punct_process,
    .punctuate = punct_punctuate,
};

static weir_test_driver_t *punct_driver(punct_cfg_t *cfg)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "punct", &punct_ops, cfg, "src", NULL);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_string(), "punct", NULL);
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.wall_clock_ms = 1000;
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    return drv;
}

static void expect_values(weir_test_driver_t *drv, const char *const *want)
{
    char *v;
    for (int i = 0; want[i]; i++) {
        ck_assert_msg(
            weir_test_driver_read_output_str(drv, "out", NULL, &v, NULL),
            "missing %s", want[i]);
        ck_assert_str_eq(v, want[i]);
        weir_free(v);
    }
    ck_assert_int_eq(weir_test_driver_output_size(drv, "out"), 0);
}

START_TEST(test_test_driver_stream_time_punctuation)
{
    punct_cfg_t cfg = {WEIR_PUNCTUATE_STREAM_TIME, 100};
    weir_test_driver_t *drv = punct_driver(&cfg);
    /* Aligned to 0: the first record fires, then each time stream time
     * reaches the next multiple; skipped intervals fire once. */
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 50));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 99));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 100));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 30));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 450));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 499));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 500));
    /* Wall clock does not fire stream-time punctuations. */
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 10000));
    const char *want[] = {"s50", "s100", "s450", "s500", NULL};
    expect_values(drv, want);
    ck_assert_int_eq(weir_test_driver_commit_requests(drv), 4);
    weir_test_driver_destroy(drv);
}
END_TEST

START_TEST(test_test_driver_wall_clock_punctuation)
{
    punct_cfg_t cfg = {WEIR_PUNCTUATE_WALL_CLOCK, 1000};
    weir_test_driver_t *drv = punct_driver(&cfg);
    /* Records do not fire wall-clock punctuations. */
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 5000));
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 999));
    ck_assert_int_eq(weir_test_driver_output_size(drv, "out"), 0);
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 1));
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 3500));
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 500));
    ck_assert_int_eq(weir_test_driver_wall_clock(drv), 6000);
    const char *want[] = {"w2000", "w5500", "w6000", NULL};
    expect_values(drv, want);
    weir_error_t *err = weir_test_driver_advance_wall_clock(drv, -1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *bad_sched_init(weir_processor_context_t *pctx,
                                    void *opaque, void **statep)
{
    (void)opaque;
    *statep = NULL;
    return weir_processor_schedule(pctx, WEIR_PUNCTUATE_WALL_CLOCK, 0, 1);
}

static const weir_processor_ops_t bad_sched_ops = {
    .init = bad_sched_init,
    .process = punct_process,
    .punctuate = punct_punctuate,
};

START_TEST(test_test_driver_bad_schedule_rejected)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "p", &bad_sched_ops, NULL, "src", NULL);
    weir_error_t *err = NULL;
    ck_assert_ptr_null(weir_test_driver_new(topo, NULL, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    ck_assert(strstr(weir_error_string(err), "interval 0 ms") != NULL);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
}
END_TEST

/* ---- repartition topics ---- */

START_TEST(test_test_driver_repartition_fed_in_process)
{
    memset(seen, 0, sizeof(seen));
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "up", &meta_ops, NULL, "src", NULL);
    weir_topology_add_repartition(topo, "rk", weir_serde_string(),
                                  weir_serde_string(), "up");
    weir_topology_add_processor(topo, "down", &meta_ops, NULL,
                                "rk-repartition-source", NULL);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_string(), "down", NULL);
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.application_id = "app";
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v1", 10));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v2", 20));
    /* Offsets count per topic; as on Kafka, the repartition topic also
     * holds the upstream task's watermark marker (offset 1), which no
     * processor sees. */
    ck_assert_str_eq(seen, "in/0@0:v1 ts=10 task=0_0\n"
                           "app-rk-repartition/0@0:v1 ts=10 task=1_0\n"
                           "in/0@1:v2 ts=20 task=0_0\n"
                           "app-rk-repartition/0@2:v2 ts=20 task=1_0\n");
    /* Repartition topics are not outputs. */
    ck_assert_int_eq(weir_test_driver_output_size(drv, "app-rk-repartition"),
                     0);
    ck_assert_int_eq(weir_test_driver_output_size(drv, "out"), 2);
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- event time behind a repartition ---- */

/* Writes the stream time each time it moves (to "times"). */
static weir_error_t *clock_init(weir_processor_context_t *pctx, void *opaque,
                                void **statep)
{
    (void)opaque;
    *statep = NULL;
    return weir_processor_schedule(pctx, WEIR_PUNCTUATE_STREAM_TIME, 1, 0);
}

static weir_error_t *clock_process(weir_processor_context_t *pctx, void *state,
                                   const weir_record_t *rec)
{
    (void)pctx;
    (void)state;
    (void)rec;
    return NULL;
}

static weir_error_t *clock_punctuate(weir_processor_context_t *pctx,
                                     void *state, weir_punctuation_type_t type,
                                     int64_t now, int tag)
{
    (void)state;
    (void)type;
    (void)tag;
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)now);
    weir_record_t out = {.key = "t",
                         .key_len = 1,
                         .value = v,
                         .value_len = strlen(v),
                         .timestamp = now};
    return weir_processor_forward(pctx, &out);
}

static const weir_processor_ops_t clock_ops = {
    .init = clock_init,
    .process = clock_process,
    .punctuate = clock_punctuate,
};

static weir_test_driver_t *two_upstreams(const weir_conf_t *conf)
{
    weir_topology_t *topo = weir_topology_new();
    const char *inputs[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        char src[16], up[16], rk[16];
        snprintf(src, sizeof(src), "src-%s", inputs[i]);
        snprintf(up, sizeof(up), "up-%s", inputs[i]);
        snprintf(rk, sizeof(rk), "rk-%s", inputs[i]);
        weir_topology_add_source(topo, src, inputs[i], weir_serde_string(),
                                 weir_serde_string());
        weir_topology_add_processor(topo, up, &meta_ops, NULL, src, NULL);
        weir_topology_add_repartition(topo, rk, weir_serde_string(),
                                      weir_serde_string(), up);
    }
    weir_topology_add_processor(topo, "clock", &clock_ops, NULL,
                                "rk-a-repartition-source",
                                "rk-b-repartition-source", NULL);
    weir_topology_add_sink(topo, "times", "times", weir_serde_string(),
                           weir_serde_string(), "clock", NULL);
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.application_id = "app";
    opts.conf = conf;
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    return drv;
}

static void expect_times(weir_test_driver_t *drv, const char *want)
{
    char got[256] = "";
    char *v;
    while (weir_test_driver_read_output_str(drv, "times", NULL, &v, NULL)) {
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
                 got[0] ? " " : "", v);
        weir_free(v);
    }
    ck_assert_str_eq(got, want);
}

START_TEST(test_test_driver_event_time_behind_a_repartition)
{
    /* As on Kafka: behind a repartition, event time is the slowest
     * upstream task's (its watermark markers), until an upstream that
     * has nothing more has been quiet for idle.timeout.ms (30 s) of the
     * driver's wall clock. */
    weir_test_driver_t *drv = two_upstreams(NULL);
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "a", "k", "v", 1000));
    expect_times(drv, ""); /* b has said nothing */
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "b", "k", "v", 500));
    expect_times(drv, "500");
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "a", "k", "v", 3000));
    expect_times(drv, ""); /* still b's 500 */
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "b", "k", "v", 2500));
    expect_times(drv, "2500");
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 29999));
    expect_times(drv, "");
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 1));
    expect_times(drv, "3000"); /* both idle: the newest */
    weir_test_driver_destroy(drv);

    /* idle.timeout.ms -1: a quiet upstream holds event time for ever. */
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(weir_conf_set(conf, "idle.timeout.ms", "-1"));
    drv = two_upstreams(conf);
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "a", "k", "v", 1000));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "b", "k", "v", 500));
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 3600000));
    expect_times(drv, "500");
    weir_test_driver_destroy(drv);
    weir_conf_destroy(conf);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_test_driver_unknown_topic_and_bad_bytes)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_int64(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "meta", &meta_ops, NULL, "src", NULL);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    err = weir_test_driver_pipe_str(drv, "nope", "k", "v", 1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    ck_assert(strstr(weir_error_string(err), "'nope'") != NULL);
    weir_error_destroy(err);
    /* A 3-byte int64 key cannot be deserialized. */
    err = weir_test_driver_pipe(drv, "in", "abc", 3, "v", 1, 1, NULL);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    ck_assert(strstr(weir_error_string(err),
                     "topic in partition 0 offset 0") != NULL);
    weir_error_destroy(err);
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- global store from a file ---- */

static weir_error_t *global_init(weir_processor_context_t *pctx, void *opaque,
                                 void **statep)
{
    (void)opaque;
    weir_kv_store_t *kv;
    weir_error_t *err = weir_processor_kv_store(pctx, "inv", &kv);
    *statep = kv;
    return err;
}

/* Lines "id,category": key id, value category. */
static weir_error_t *global_process(weir_processor_context_t *pctx,
                                    void *state, const weir_record_t *rec)
{
    (void)pctx;
    const char *line = rec->value;
    const char *comma = strchr(line, ',');
    if (!comma)
        return weir_error_new(WEIR_ERR_CSV, "bad line '%s'", line);
    return weir_kv_store_put(state, line, (size_t)(comma - line), comma + 1,
                             strlen(comma + 1));
}

static const weir_processor_ops_t global_ops = {
    .init = global_init,
    .process = global_process,
};

/* Reads the global store from a regular processor. */
static weir_error_t *lookup_process(weir_processor_context_t *pctx,
                                    void *state, const weir_record_t *rec)
{
    (void)state;
    weir_kv_store_t *kv;
    weir_error_t *err = weir_processor_kv_store(pctx, "inv", &kv);
    void *v = NULL;
    size_t len = 0;
    bool found = false;
    if (!err)
        err = weir_kv_store_get(kv, rec->value, rec->value_len, &v, &len,
                                &found);
    if (err)
        return err;
    weir_record_t out = *rec;
    out.value = found ? v : "?";
    out.value_len = found ? len : 1;
    err = weir_processor_forward(pctx, &out);
    weir_free(v);
    return err;
}

static const weir_processor_ops_t lookup_ops = {.process = lookup_process};

START_TEST(test_test_driver_global_store_from_file_and_topic)
{
    char *dir = weir_test_tmpdir_new("driver");
    char path[512];
    snprintf(path, sizeof(path), "%s/inv.csv", dir);
    FILE *f = fopen(path, "w");
    fputs("1,books\n2,games\n\n", f);
    fclose(f);

    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_global_store(topo, "inv", "inv-src", "inventory",
                                   weir_serde_bytes(), weir_serde_string(),
                                   "inv-load", &global_ops, NULL);
    weir_topology_global_store_set_file(topo, "inv", path);
    weir_topology_add_source(topo, "clicks", "clicks", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "lookup", &lookup_ops, NULL, "clicks",
                                NULL);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_string(), "lookup", NULL);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "clicks", "u", "2", 1));
    /* The topic keeps the store current. */
    ck_assert_ptr_null(
        weir_test_driver_pipe_str(drv, "inventory", NULL, "3,toys", 2));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "clicks", "u", "3", 3));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "clicks", "u", "9", 4));
    const char *want[] = {"games", "toys", "?"};
    for (int i = 0; i < 3; i++) {
        char *v;
        ck_assert(
            weir_test_driver_read_output_str(drv, "out", NULL, &v, NULL));
        ck_assert_str_eq(v, want[i]);
        weir_free(v);
    }
    weir_kv_store_t *kv;
    ck_assert_ptr_null(weir_test_driver_kv_store(drv, "inv", &kv));
    uint64_t n;
    ck_assert_ptr_null(weir_kv_store_approximate_count(kv, &n));
    ck_assert_int_eq(n, 3);
    weir_test_driver_destroy(drv);

    /* A missing file fails the driver, naming the file. */
    topo = weir_topology_new();
    weir_topology_add_global_store(topo, "inv", "inv-src", NULL,
                                   weir_serde_bytes(), weir_serde_string(),
                                   "inv-load", &global_ops, NULL);
    snprintf(path, sizeof(path), "%s/missing.csv", dir);
    weir_topology_global_store_set_file(topo, "inv", path);
    ck_assert_ptr_null(weir_test_driver_new(topo, NULL, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_IO);
    ck_assert(strstr(weir_error_string(err), "missing.csv") != NULL);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
    weir_test_tmpdir_remove(dir);
    free(dir);
}
END_TEST


/* ---- RocksDB stores ---- */

static weir_topology_t *counter_topology(bool persistent)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "count", &counter_ops, "counts", "src",
                                NULL);
    weir_topology_add_kv_store(topo, "counts", "count");
    weir_topology_store_set_persistent(topo, "counts", persistent);
    return topo;
}

static int64_t stored_count(weir_test_driver_t *drv, const char *key)
{
    weir_kv_store_t *kv;
    void *v;
    size_t len;
    bool found;
    ck_assert_ptr_null(weir_test_driver_kv_store(drv, "counts", &kv));
    ck_assert_ptr_null(
        weir_kv_store_get(kv, key, strlen(key), &v, &len, &found));
    int64_t n = found ? *(int64_t *)v : 0;
    weir_free(v);
    return n;
}

START_TEST(test_test_driver_rocksdb_stores_persist)
{
    char *dir = weir_test_tmpdir_new("driver-rocks");
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.application_id = "wc";
    opts.rocksdb_stores = true;
    opts.state_dir = dir;
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(counter_topology(true),
                                                   &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "a", "x", 1));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "a", "x", 2));
    ck_assert_int_eq(stored_count(drv, "a"), 2);
    weir_test_driver_destroy(drv);

    /* A second driver on the same state dir finds the counts on disk. */
    drv = weir_test_driver_new(counter_topology(true), &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "a", "x", 3));
    ck_assert_int_eq(stored_count(drv, "a"), 3);
    weir_test_driver_destroy(drv);

    /* A store declared in-memory stays in memory even so. */
    drv = weir_test_driver_new(counter_topology(false), &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "a", "x", 4));
    ck_assert_int_eq(stored_count(drv, "a"), 1);
    weir_test_driver_destroy(drv);

    /* No state dir: a clear error, and the topology is still ours. */
    weir_test_driver_opts_t bad = WEIR_TEST_DRIVER_OPTS_INIT;
    bad.rocksdb_stores = true;
    weir_topology_t *topo = counter_topology(true);
    ck_assert_ptr_null(weir_test_driver_new(topo, &bad, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    /* Options not made from WEIR_TEST_DRIVER_OPTS_INIT (no size), or
     * from a struct larger than this library knows: refused. */
    weir_test_driver_opts_t unsized = {.application_id = "app"};
    ck_assert_ptr_null(weir_test_driver_new(topo, &unsized, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    ck_assert(strstr(weir_error_string(err), "WEIR_TEST_DRIVER_OPTS_INIT"));
    weir_error_destroy(err);
    weir_test_driver_opts_t larger = WEIR_TEST_DRIVER_OPTS_INIT;
    larger.size++;
    ck_assert_ptr_null(weir_test_driver_new(topo, &larger, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
    weir_test_tmpdir_remove(dir);
    free(dir);
}
END_TEST

START_TEST(test_test_driver_rocksdb_windowed_count)
{
    char *dir = weir_test_tmpdir_new("driver-rocks-win");
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_to(weir_kwindowed_count(weir_kgrouped_windowed_by(
                                             weir_kstream_group_by_key(s),
                                             weir_tumbling_windows(1000, 0)),
                                         "counts"),
                    "out", NULL, NULL);
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.rocksdb_stores = true;
    opts.state_dir = dir;
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 10));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "v", 20));
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "j", "v", 1500));
    weir_test_record_t *rec = weir_test_driver_read_output(drv, "out");
    ck_assert_ptr_nonnull(rec);
    ck_assert_int_eq(rec->key_len, 17);
    ck_assert_int_eq(((unsigned char *)rec->value)[7], 2);
    ck_assert_int_eq(rec->timestamp, 999);
    weir_test_record_destroy(rec);
    ck_assert_int_eq(weir_test_driver_output_size(drv, "out"), 0);
    weir_test_driver_destroy(drv);
    weir_test_tmpdir_remove(dir);
    free(dir);
}
END_TEST


/* ---- headers ---- */

START_TEST(test_test_driver_headers_api)
{
    weir_headers_t *h = weir_headers_new();
    ck_assert_ptr_null(weir_headers_add(h, "a", "1", 1));
    ck_assert_ptr_null(weir_headers_add(h, "b", NULL, 0));
    ck_assert_ptr_null(weir_headers_add(h, "a", "2", 1));
    weir_error_t *err = weir_headers_add(h, NULL, "x", 1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    ck_assert_int_eq(weir_headers_count(h), 3);
    const char *name;
    const void *v;
    size_t len;
    ck_assert(weir_headers_get(h, 1, &name, &v, &len));
    ck_assert_str_eq(name, "b");
    ck_assert_ptr_null(v);
    ck_assert(!weir_headers_get(h, 3, &name, &v, &len));
    ck_assert(weir_headers_last(h, "a", &v, &len));
    ck_assert_mem_eq(v, "2", 1);
    weir_headers_t *c = weir_headers_copy(h);
    weir_headers_remove(h, "a");
    ck_assert_int_eq(weir_headers_count(h), 1);
    ck_assert(!weir_headers_last(h, "a", &v, &len));
    ck_assert_int_eq(weir_headers_count(c), 3);
    ck_assert_int_eq(weir_headers_count(NULL), 0);
    weir_headers_destroy(c);
    weir_headers_destroy(h);
    weir_headers_destroy(NULL);
}
END_TEST

/* ---- partitioners, loops through user topics, multiple parents ---- */

static int32_t part_fn(void *ctx, const char *topic, const void *key,
                       size_t key_len, const void *value, size_t value_len,
                       int32_t partition_cnt)
{
    (void)topic;
    (void)key;
    (void)key_len;
    (void)value;
    ck_assert_int_eq(partition_cnt, 1);
    (*(int *)ctx)++;
    return value_len > 3 ? 1 : 0; /* long values: a partition that is not */
}

START_TEST(test_test_driver_partitioner_called)
{
    int calls = 0;
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_string(), "src", NULL);
    weir_topology_set_partitioner(topo, "out", part_fn, &calls);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_ptr_nonnull(drv);
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "abc", 1));
    err = weir_test_driver_pipe_str(drv, "in", "k", "abcd", 2);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_PROCESSING);
    ck_assert(strstr(weir_error_string(err), "partition 1 of out"));
    weir_error_destroy(err);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(weir_test_driver_output_size(drv, "out"), 1);
    weir_test_driver_destroy(drv);
}
END_TEST

static weir_error_t *once_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    (void)state;
    /* Forward records from "a" only, so the loop through "b" ends. */
    if (strcmp(weir_processor_record_topic(pctx), "a") != 0)
        return NULL;
    return weir_processor_forward(pctx, rec);
}

static const weir_processor_ops_t once_ops = {.process = once_process};

START_TEST(test_test_driver_user_topic_loop_and_multiple_parents)
{
    memset(seen, 0, sizeof(seen));
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "sa", "a", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_source(topo, "sb", "b", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "once", &once_ops, NULL, "sa", NULL);
    weir_topology_add_sink(topo, "to-b", "b", weir_serde_string(),
                           weir_serde_string(), "once", NULL);
    /* "meta" has two parents, the second one added by connect(). */
    weir_topology_add_processor(topo, "meta", &meta_ops, NULL, "sb", NULL);
    weir_topology_connect(topo, "once", "meta");
    ck_assert_ptr_null(weir_topology_build(topo));
    char *d = weir_topology_describe(topo);
    ck_assert_msg(strstr(d, "    Processor: meta (stores: [])\n"
                            "      --> none\n"
                            "      <-- sb, once\n") != NULL,
                  "%s", d);
    ck_assert_msg(strstr(d, "    Processor: once (stores: [])\n"
                            "      --> to-b, meta\n") != NULL,
                  "%s", d);
    weir_free(d);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_ptr_nonnull(drv);
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "a", "k", "v", 5));
    /* meta saw it from "a" (through once) and again from "b" (fed back);
     * "b" is an output too. */
    ck_assert_str_eq(seen, "a/0@0:v ts=5 task=0_0\n"
                           "b/0@0:v ts=5 task=0_0\n");
    ck_assert_int_eq(weir_test_driver_output_size(drv, "b"), 1);
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- cancel, and errors from process() ---- */

static weir_error_t *cancel_process(weir_processor_context_t *pctx,
                                    void *state, const weir_record_t *rec)
{
    (void)state;
    if (strcmp(rec->value, "cancel") == 0)
        weir_processor_cancel(pctx, 7);
    if (strcmp(rec->value, "fail") == 0)
        return weir_error_new(WEIR_ERR_PROCESSING, "cannot handle %s",
                              (const char *)rec->key);
    return NULL;
}

static const weir_processor_ops_t cancel_ops = {
    .init = punct_init,
    .process = cancel_process,
    .punctuate = punct_punctuate,
};

START_TEST(test_test_driver_cancel_and_processing_error)
{
    punct_cfg_t cfg = {WEIR_PUNCTUATE_WALL_CLOCK, 100};
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "p", &cancel_ops, &cfg, "src", NULL);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_string(), "p", NULL);
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    ck_assert_ptr_nonnull(drv);
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 100));
    ck_assert_int_eq(weir_test_driver_output_size(drv, "out"), 1);
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "cancel", 1));
    ck_assert_ptr_null(weir_test_driver_advance_wall_clock(drv, 1000));
    ck_assert_int_eq(weir_test_driver_output_size(drv, "out"), 1);
    err = weir_test_driver_pipe_str(drv, "in", "k9", "fail", 2);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_PROCESSING);
    ck_assert_str_eq(weir_error_string(err),
                     "processing error (processing.exception.handler=fail): "
                     "task 0_0: processor 'p': cannot handle k9");
    weir_error_destroy(err);
    /* The driver goes on after an error. */
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k", "ok", 3));
    weir_test_driver_destroy(drv);
}
END_TEST

/* ---- exception handlers ---- */

static bool header_is(const weir_test_record_t *rec, const char *name,
                      const char *want)
{
    for (size_t i = 0; i < weir_headers_count(rec->headers); i++) {
        const char *n;
        const void *v;
        size_t len;
        if (weir_headers_get(rec->headers, i, &n, &v, &len) &&
            !strcmp(n, name))
            return len == strlen(want) && !memcmp(v, want, len);
    }
    return false;
}

static weir_error_t *fail_k2(weir_processor_context_t *pctx, void *state,
                             const weir_record_t *rec)
{
    (void)state;
    if (rec->key_len == 2 && !memcmp(rec->key, "k2", 2))
        return weir_error_new(WEIR_ERR_PROCESSING, "cannot handle k2");
    return weir_processor_forward(pctx, rec);
}

static const weir_processor_ops_t fail_k2_ops = {.process = fail_k2};

START_TEST(test_test_driver_handlers_and_dead_letters)
{
    /* The same handlers as on Kafka, from the app's conf: a record that
     * fails in a processor and one that does not deserialize go to the
     * dead-letter topic with headers saying why and where; the others
     * go on. */
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(
        weir_conf_set(conf, "processing.exception.handler", "dead_letter"));
    ck_assert_ptr_null(weir_conf_set(conf, "deserialization.exception.handler",
                                     "log_and_continue"));
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_int64());
    weir_topology_add_processor(topo, "p", &fail_k2_ops, NULL, "src", NULL);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_int64(), "p", NULL);
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.application_id = "app";
    opts.conf = conf;
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    /* Not 8 bytes: not an int64. */
    ck_assert_ptr_null(weir_test_driver_pipe_str(drv, "in", "k1", "bad", 1));
    ck_assert_ptr_null(
        weir_test_driver_pipe(drv, "in", "k2", 2, "fail\0\0\0\0", 8, 2, NULL));
    ck_assert_ptr_null(weir_test_driver_pipe(drv, "in", "k3", 2,
                                             "\0\0\0\0\0\0\0\3", 8, 3, NULL));
    ck_assert_uint_eq(weir_test_driver_output_size(drv, "out"), 1);
    ck_assert_uint_eq(weir_test_driver_output_size(drv, "app-dlq"), 1);
    weir_test_record_t *dlq = weir_test_driver_read_output(drv, "app-dlq");
    ck_assert_uint_eq(dlq->key_len, 2);
    ck_assert(!memcmp(dlq->key, "k2", 2));
    ck_assert(header_is(dlq, "weir.error.stage", "processing"));
    ck_assert(header_is(dlq, "weir.source.topic", "in"));
    ck_assert(header_is(dlq, "weir.source.offset", "1"));
    weir_test_record_destroy(dlq);
    weir_test_driver_destroy(drv);
    weir_conf_destroy(conf);
}
END_TEST

static Suite *driver_suite(void)
{
    Suite *s = suite_create("test_driver");
    TCase *tc = tcase_create("processor_api");
    tcase_add_test(tc, test_test_driver_forward_and_metadata);
    tcase_add_test(tc, test_test_driver_forward_to_named_child);
    tcase_add_test(tc, test_test_driver_store_by_name);
    tcase_add_test(tc, test_test_driver_unattached_store_is_clear_error);
    tcase_add_test(tc, test_test_driver_unknown_topic_and_bad_bytes);
    tcase_add_test(tc, test_test_driver_headers_api);
    tcase_add_test(tc, test_test_driver_partitioner_called);
    tcase_add_test(tc, test_test_driver_user_topic_loop_and_multiple_parents);
    tcase_add_test(tc, test_test_driver_cancel_and_processing_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("punctuation");
    tcase_add_test(tc, test_test_driver_stream_time_punctuation);
    tcase_add_test(tc, test_test_driver_wall_clock_punctuation);
    tcase_add_test(tc, test_test_driver_bad_schedule_rejected);
    suite_add_tcase(s, tc);
    tc = tcase_create("tasks");
    tcase_add_test(tc, test_test_driver_repartition_fed_in_process);
    tcase_add_test(tc, test_test_driver_event_time_behind_a_repartition);
    tcase_add_test(tc, test_test_driver_handlers_and_dead_letters);
    tcase_add_test(tc, test_test_driver_global_store_from_file_and_topic);
    suite_add_tcase(s, tc);
    tc = tcase_create("rocksdb");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_test_driver_rocksdb_stores_persist);
    tcase_add_test(tc, test_test_driver_rocksdb_windowed_count);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(driver_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
