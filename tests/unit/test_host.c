/*
 * test_host.c: the task host's bookkeeping against a fake client: routing
 * and offsets, commit metadata, watermark markers and idleness, rewinds
 * after an abort and the limit on aborts in a row, handles given back.
 *
 * The topology: "in" (2 partitions) -> "up" (forwards) -> repartition
 * "rk" -> "down" (forwards) -> "out". Sub-topology 0 reads "in", 1 reads
 * "app-rk-repartition".
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/weir.h>

#include "host_int.h"

/* ---- the fake client ---- */

typedef struct sent_s {
    char topic[64];
    int32_t partition;
    bool marker;
    weir__wm_t wm;
} sent_t;

typedef struct fake_s {
    sent_t sent[256];
    size_t sent_cnt;
    weir__host_tp_t commits[64];
    char commit_meta[64][64];
    size_t commit_cnt, commit_calls;
    /* What committed() answers for in/0 and in/1. */
    int64_t committed_offset[2];
    const char *committed_meta[2];
    int begins, aborts, rewinds, releases, committed_calls, dead_letters;
    weir_error_t *fail_commit; /* given back once */
} fake_t;

static weir_error_t *f_produce(void *o, const weir__host_msg_t *m)
{
    fake_t *f = o;
    ck_assert_uint_lt(f->sent_cnt, 256);
    sent_t *s = &f->sent[f->sent_cnt++];
    snprintf(s->topic, sizeof(s->topic), "%s", m->topic);
    s->partition = m->partition;
    s->marker = m->headers && weir_headers_count(m->headers) == 1;
    if (s->marker)
        ck_assert_ptr_null(weir__wm_decode(m->value, m->value_len, &s->wm));
    return NULL;
}

static weir_error_t *f_flush(void *o)
{
    (void)o;
    return NULL;
}

static weir_error_t *f_begin(void *o)
{
    ((fake_t *)o)->begins++;
    return NULL;
}

static weir_error_t *f_commit(void *o, const weir__host_tp_t *tps, size_t n)
{
    fake_t *f = o;
    f->commit_calls++;
    if (f->fail_commit) {
        weir_error_t *err = f->fail_commit;
        f->fail_commit = NULL;
        return err;
    }
    f->commit_cnt = n;
    for (size_t i = 0; i < n; i++) {
        f->commits[i] = tps[i];
        snprintf(f->commit_meta[i], sizeof(f->commit_meta[i]), "%.*s",
                 (int)tps[i].metadata_len, tps[i].metadata);
    }
    return NULL;
}

static weir_error_t *f_abort(void *o)
{
    ((fake_t *)o)->aborts++;
    return NULL;
}

static weir_error_t *f_committed(void *o, weir__host_tp_t *tps, size_t n)
{
    fake_t *f = o;
    f->committed_calls++;
    for (size_t i = 0; i < n; i++) {
        tps[i].offset = -1;
        tps[i].metadata = NULL;
        tps[i].metadata_len = 0;
        if (!strcmp(tps[i].topic, "in")) {
            tps[i].offset = f->committed_offset[tps[i].partition];
            tps[i].metadata = f->committed_meta[tps[i].partition];
            tps[i].metadata_len = tps[i].metadata ? strlen(tps[i].metadata)
                                                  : 0;
        }
    }
    return NULL;
}

static weir_error_t *f_rewind(void *o)
{
    ((fake_t *)o)->rewinds++;
    return NULL;
}

static weir_error_t *f_dead_letter(void *o, void *handle, const char *stage,
                                   const weir_error_t *cause)
{
    (void)handle;
    (void)stage;
    (void)cause;
    ((fake_t *)o)->dead_letters++;
    return NULL;
}

static void f_release(void *o, void *handle)
{
    (void)handle;
    ((fake_t *)o)->releases++;
}

/* ---- the engine ---- */

static weir_error_t *forward(weir_processor_context_t *pctx, void *state,
                             const weir_record_t *rec)
{
    (void)state;
    return weir_processor_forward(pctx, rec);
}

static const weir_processor_ops_t forward_ops = {.process = forward};

static weir_error_t *two_partitions(void *opaque, const char *name, bool input,
                                    int32_t *partsp)
{
    (void)opaque;
    (void)name;
    (void)input;
    *partsp = 2;
    return NULL;
}

typedef struct fixture_s {
    weir_topology_t *topo;
    weir__engine_t eng;
    fake_t fake;
    weir__host_t *h;
} fixture_t;

static fixture_t fx;

/* The engine of @p topo (built here), with the test settings. */
static void setup_engine_of(weir_topology_t *topo, bool eos)
{
    ck_assert_ptr_null(weir_topology_build(topo));
    fx.topo = topo;
    weir__engine_t *eng = &fx.eng;
    eng->topo = topo;
    eng->log = weir__logger_default();
    eng->app_id = "app";
    eng->eos = eos;
    eng->idle_timeout_ms = 1000;
    eng->wait_timeout_ms = 1000;
    eng->max_consecutive_aborts = 2;
    eng->memory_stores = true;
    eng->deser_handler = WEIR__HANDLER_LOG;
    eng->proc_handler = WEIR__HANDLER_DEAD_LETTER;
    ck_assert_ptr_null(weir__engine_plan(eng, two_partitions, NULL, 0));
}

static void fixture_reset(void)
{
    memset(&fx, 0, sizeof(fx));
    fx.fake.committed_offset[0] = fx.fake.committed_offset[1] = -1;
}

/* in -> up -> repartition rk -> down -> out. */
static void setup_engine(bool eos)
{
    fixture_reset();
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "up", &forward_ops, NULL, "src", NULL);
    weir_topology_add_repartition(topo, "rk", weir_serde_string(),
                                  weir_serde_string(), "up");
    weir_topology_add_processor(topo, "down", &forward_ops, NULL,
                                "rk-repartition-source", NULL);
    weir_topology_add_sink(topo, "out", "out", weir_serde_string(),
                           weir_serde_string(), "down", NULL);
    setup_engine_of(topo, eos);
}

static weir__host_t *host_new(int64_t wall)
{
    weir__host_io_t io = {
        .opaque = &fx.fake,
        .produce = f_produce,
        .flush = f_flush,
        .begin = fx.eng.eos ? f_begin : NULL,
        .commit = f_commit,
        .abort = fx.eng.eos ? f_abort : NULL,
        .committed = f_committed,
        .rewind = f_rewind,
        .dead_letter = f_dead_letter,
        .release = f_release,
    };
    weir_error_t *err = NULL;
    fx.h = weir__host_new(&fx.eng, &io, "test", wall, &err);
    ck_assert_msg(fx.h != NULL, "%s", weir_error_string(err));
    return fx.h;
}

static void teardown(void)
{
    weir__host_destroy(fx.h);
    weir__engine_plan_free(&fx.eng);
    weir_topology_destroy(fx.topo);
}

static void assign_inputs(void)
{
    weir__host_tp_t tps[] = {{"in", 0, -1, NULL, 0},
                             {"in", 1, -1, NULL, 0},
                             {"app-rk-repartition", 0, -1, NULL, 0},
                             {"app-rk-repartition", 1, -1, NULL, 0}};
    ck_assert_ptr_null(weir__host_assign(fx.h, tps, 4));
    ck_assert_uint_eq(weir__host_task_count(fx.h), 4);
}

static weir_error_t *route(const char *topic, int32_t p, int64_t offset,
                           const char *value, int64_t ts)
{
    weir__host_in_t in = {-1,  topic, p,     offset,
                          "k", 1,     value, strlen(value),
                          ts,  NULL,  false, (void *)(intptr_t)(offset + 1)};
    return weir__host_route(fx.h, &in);
}

static const weir__host_tp_t *committed_of(const char *topic, int32_t p,
                                           const char **metap)
{
    for (size_t i = 0; i < fx.fake.commit_cnt; i++)
        if (!strcmp(fx.fake.commits[i].topic, topic) &&
            fx.fake.commits[i].partition == p) {
            *metap = fx.fake.commit_meta[i];
            return &fx.fake.commits[i];
        }
    return NULL;
}

/* The last marker sent by task (0, @p p) to repartition partition 0. */
static const sent_t *last_marker(int32_t p)
{
    for (size_t i = fx.fake.sent_cnt; i-- > 0;)
        if (fx.fake.sent[i].marker && fx.fake.sent[i].wm.partition == p &&
            fx.fake.sent[i].partition == 0)
            return &fx.fake.sent[i];
    return NULL;
}

/* ---- tests ---- */

START_TEST(test_host_routes_and_commits_offsets_with_event_time)
{
    setup_engine(false);
    host_new(1000);
    assign_inputs();
    ck_assert_ptr_null(route("in", 0, 0, "a", 100));
    ck_assert_ptr_null(route("in", 0, 1, "b", 300));
    ck_assert_ptr_null(route("in", 1, 7, "c", 200));
    ck_assert_ptr_null(weir__host_run(fx.h, 1500));
    ck_assert_uint_eq(weir__host_processed(fx.h), 3);
    ck_assert_int_eq(fx.fake.releases, 3); /* every handle back */
    ck_assert_ptr_null(weir__host_commit(fx.h));
    const char *meta;
    const weir__host_tp_t *c = committed_of("in", 0, &meta);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->offset, 2);
    /* The task's stream time, and its input's last record on the host's
     * wall clock (routed before the run moved the clock). */
    ck_assert_str_eq(meta, "weir:1:300:1000");
    c = committed_of("in", 1, &meta);
    ck_assert_int_eq(c->offset, 8);
    ck_assert_str_eq(meta, "weir:1:200:1000");
    /* Three records went to the repartition topic, and a marker per
     * upstream task to each of its partitions. */
    size_t records = 0, markers = 0;
    for (size_t i = 0; i < fx.fake.sent_cnt; i++)
        fx.fake.sent[i].marker ? markers++ : records++;
    ck_assert_uint_eq(records, 3);
    ck_assert_uint_eq(markers, 4);
    ck_assert_int_eq(last_marker(0)->wm.time, 300);
    ck_assert(!last_marker(0)->wm.idle);
    /* Nothing moved: the next commit has no offsets to send. */
    size_t calls = fx.fake.commit_calls;
    ck_assert_ptr_null(weir__host_commit(fx.h));
    ck_assert_uint_eq(fx.fake.commit_calls, calls);
    teardown();
}
END_TEST

START_TEST(test_host_markers_say_idle_after_the_idle_timeout)
{
    setup_engine(false);
    host_new(0);
    assign_inputs();
    ck_assert_ptr_null(route("in", 0, 0, "a", 100));
    ck_assert_ptr_null(weir__host_run(fx.h, 0));
    ck_assert_ptr_null(weir__host_commit(fx.h));
    ck_assert(!last_marker(0)->wm.idle);
    /* Caught up, but not quiet for long enough. */
    weir__host_input_end(fx.h, -1, "in", 0);
    ck_assert_ptr_null(weir__host_run(fx.h, 999));
    ck_assert_ptr_null(weir__host_commit(fx.h));
    ck_assert(!last_marker(0)->wm.idle);
    ck_assert_ptr_null(weir__host_run(fx.h, 1000));
    ck_assert_ptr_null(weir__host_commit(fx.h));
    ck_assert(last_marker(0)->wm.idle);
    ck_assert_int_eq(last_marker(0)->wm.time, 100);
    /* A record wakes it up. */
    ck_assert_ptr_null(route("in", 0, 1, "b", 150));
    ck_assert_ptr_null(weir__host_run(fx.h, 1001));
    ck_assert_ptr_null(weir__host_commit(fx.h));
    ck_assert(!last_marker(0)->wm.idle);
    ck_assert_int_eq(last_marker(0)->wm.time, 150);
    teardown();
}
END_TEST

START_TEST(test_host_resumes_the_committed_event_time)
{
    /* What a previous owner committed: the stream time and the idle
     * clock (its last record, long ago) of in/0. */
    setup_engine(false);
    fx.fake.committed_offset[0] = 42;
    fx.fake.committed_meta[0] = "weir:1:5000:10";
    host_new(2000);
    assign_inputs();
    ck_assert_int_eq(fx.fake.committed_calls, 4);
    weir__host_input_end(fx.h, -1, "in", 0);
    ck_assert_ptr_null(weir__host_run(fx.h, 2000));
    ck_assert_ptr_null(weir__host_commit(fx.h));
    /* Its marker carries the time it had, and it is idle at once: quiet
     * since 10, for more than the idle timeout. */
    ck_assert_int_eq(last_marker(0)->wm.time, 5000);
    ck_assert(last_marker(0)->wm.idle);
    /* A record behind that time does not move it back. */
    ck_assert_ptr_null(route("in", 0, 42, "a", 4000));
    ck_assert_ptr_null(weir__host_run(fx.h, 2001));
    ck_assert_ptr_null(weir__host_commit(fx.h));
    ck_assert_int_eq(last_marker(0)->wm.time, 5000);
    const char *meta;
    ck_assert_int_eq(committed_of("in", 0, &meta)->offset, 43);
    /* The record came in at the host's clock of the last run. */
    ck_assert_str_eq(meta, "weir:1:5000:2000");
    teardown();
}
END_TEST

START_TEST(test_host_refuses_metadata_of_a_newer_weir)
{
    setup_engine(false);
    fx.fake.committed_offset[1] = 3;
    fx.fake.committed_meta[1] = "weir:9:1:2";
    host_new(0);
    weir__host_tp_t tp = {"in", 1, -1, NULL, 0};
    weir_error_t *err = weir__host_assign(fx.h, &tp, 1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_UNSUPPORTED);
    ck_assert(strstr(weir_error_string(err), "newer weir"));
    weir_error_destroy(err);
    teardown();
}
END_TEST

START_TEST(test_host_rewinds_after_an_abort_and_gives_up_after_the_limit)
{
    setup_engine(true);
    host_new(0);
    assign_inputs();
    ck_assert_ptr_null(route("in", 0, 0, "a", 100));
    ck_assert_ptr_null(weir__host_run(fx.h, 0));
    fx.fake.fail_commit = weir_error_set_txn_requires_abort(
        weir_error_new(WEIR_ERR_KAFKA, "commit failed"), true);
    weir_error_t *err = weir__host_commit(fx.h);
    ck_assert(weir_error_txn_requires_abort(err));
    int calls = fx.fake.committed_calls;
    err = weir__host_abort_and_rewind(fx.h, err);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(fx.fake.aborts, 1);
    ck_assert_int_eq(fx.fake.rewinds, 1);
    /* The tasks again, from committed state. */
    ck_assert_uint_eq(weir__host_task_count(fx.h), 4);
    ck_assert_int_eq(fx.fake.committed_calls, calls + 4);
    /* max.consecutive.aborts = 2: the third abort in a row gives up. */
    err = weir__host_abort_and_rewind(fx.h,
                                      weir_error_new(WEIR_ERR_KAFKA, "again"));
    ck_assert_ptr_null(err);
    err = weir__host_abort_and_rewind(
        fx.h, weir_error_new(WEIR_ERR_KAFKA, "and again"));
    ck_assert_ptr_nonnull(err);
    ck_assert(strstr(weir_error_string(err), "gave up after 2 aborted"));
    weir_error_destroy(err);
    teardown();
}
END_TEST

START_TEST(test_host_handlers_skip_dead_letter_and_give_handles_back)
{
    setup_engine(false);
    host_new(0);
    assign_inputs();
    /* A marker that is not one: deserialization errors are the
     * record's; the handler (log) skips it, its offset is done. */
    weir__host_in_t bad = {
        -1,       "app-rk-repartition", 0, 0, NULL, 0, "x", 1, 5, NULL, true,
        (void *)1};
    weir_error_t *err = weir__host_route(fx.h, &bad);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SERDE);
    weir_error_destroy(err);
    ck_assert_int_eq(fx.fake.releases, 1);
    /* A record of a partition no task has: given back. */
    ck_assert_ptr_null(route("in", 5, 0, "a", 1));
    ck_assert_int_eq(fx.fake.releases, 2);
    teardown();
}
END_TEST

/* Final window results mark the host so that its owner may commit them
 * sooner (thread.c results_due()); the commit clears the mark. */
START_TEST(test_host_marks_final_window_results_until_the_commit)
{
    fixture_reset();
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, "in", weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_t *counts = weir_kwindowed_count(
        weir_kgrouped_windowed_by(weir_kstream_group_by_key(s),
                                  weir_tumbling_windows(1000, 0)),
        "counts");
    weir_kstream_to(counts, "out", NULL, NULL);
    setup_engine_of(topo, true);
    host_new(1000);
    weir__host_tp_t tps[] = {{"in", 0, -1, NULL, 0}};
    ck_assert_ptr_null(weir__host_assign(fx.h, tps, 1));
    ck_assert_ptr_null(route("in", 0, 0, "a", 100));
    ck_assert_ptr_null(weir__host_run(fx.h, 1100));
    /* Counted, nothing closed yet. */
    ck_assert(!weir__host_results_emitted(fx.h));
    ck_assert_ptr_null(route("in", 0, 1, "b", 1500));
    ck_assert_ptr_null(weir__host_run(fx.h, 1200));
    /* Stream time 1500 closed [0, 1000): its count went out. */
    ck_assert(weir__host_results_emitted(fx.h));
    ck_assert_ptr_null(weir__host_commit(fx.h));
    ck_assert(!weir__host_results_emitted(fx.h));
    ck_assert_ptr_null(route("in", 0, 2, "c", 1600));
    ck_assert_ptr_null(weir__host_run(fx.h, 1300));
    ck_assert(!weir__host_results_emitted(fx.h));
    teardown();
}
END_TEST

static Suite *host_suite(void)
{
    Suite *s = suite_create("host");
    TCase *tc = tcase_create("bookkeeping");
    tcase_add_test(tc, test_host_routes_and_commits_offsets_with_event_time);
    tcase_add_test(tc, test_host_marks_final_window_results_until_the_commit);
    tcase_add_test(tc, test_host_markers_say_idle_after_the_idle_timeout);
    tcase_add_test(tc, test_host_resumes_the_committed_event_time);
    tcase_add_test(tc, test_host_refuses_metadata_of_a_newer_weir);
    tcase_add_test(
        tc, test_host_rewinds_after_an_abort_and_gives_up_after_the_limit);
    tcase_add_test(tc,
                   test_host_handlers_skip_dead_letter_and_give_handles_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(host_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
