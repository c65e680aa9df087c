/*
 * test_topology.c: the topology builder's validation (each error names
 * the node or store), sub-topology numbering and describe().
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <weir/serde.h>
#include <weir/topology.h>

static weir_error_t *noop_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    (void)state;
    return weir_processor_forward(pctx, rec);
}

static const weir_processor_ops_t noop_ops = {.process = noop_process};

/* Builds @p topo and checks the error contains @p needle. */
static void expect_error(weir_topology_t *topo, const char *needle)
{
    weir_error_t *err = weir_topology_build(topo);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_TOPOLOGY);
    if (!strstr(weir_error_string(err), needle))
        ck_abort_msg("error '%s' does not contain '%s'",
                     weir_error_string(err), needle);
    weir_error_destroy(err);
    /* The same error again: build() is repeatable. */
    err = weir_topology_build(topo);
    ck_assert_ptr_nonnull(err);
    ck_assert(strstr(weir_error_string(err), needle) != NULL);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
}

static weir_topology_t *src_proc(void)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "proc", &noop_ops, NULL, "src", NULL);
    return topo;
}

START_TEST(test_topology_valid_builds)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_kv_store(topo, "st", "proc");
    weir_topology_add_sink(topo, "sink", "out", weir_serde_string(),
                           weir_serde_string(), "proc", NULL);
    weir_error_t *err = weir_topology_build(topo);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 1);
    ck_assert_ptr_null(weir_topology_build(topo)); /* repeatable */
    /* Built topologies are read-only: a later change is an error. */
    weir_topology_add_processor(topo, "late", &noop_ops, NULL, "src", NULL);
    err = weir_topology_build(topo);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STATE);
    weir_error_destroy(err);
    weir_topology_destroy(topo);
}
END_TEST

START_TEST(test_topology_unknown_parent_named)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_processor(topo, "p2", &noop_ops, NULL, "nope", NULL);
    expect_error(topo, "processor 'p2': unknown parent 'nope'");
}
END_TEST

START_TEST(test_topology_unknown_store_named)
{
    weir_topology_t *topo = src_proc();
    weir_topology_connect_store(topo, "missing", "proc");
    expect_error(topo, "processor 'proc': unknown store 'missing'");
}
END_TEST

START_TEST(test_topology_store_on_unknown_processor_named)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_kv_store(topo, "st", "ghost");
    expect_error(topo, "store 'st': unknown processor 'ghost'");
}
END_TEST

START_TEST(test_topology_cycle_detected)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_processor(topo, "a", &noop_ops, NULL, "proc", "b", NULL);
    weir_topology_add_processor(topo, "b", &noop_ops, NULL, "a", NULL);
    expect_error(topo, "is part of a cycle");
}
END_TEST

START_TEST(test_topology_self_loop_detected)
{
    weir_topology_t *topo = src_proc();
    weir_topology_connect(topo, "proc", "proc");
    expect_error(topo, "processor 'proc': cycle through 'proc'");
}
END_TEST

START_TEST(test_topology_sink_without_topic)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_sink(topo, "sink", NULL, weir_serde_string(),
                           weir_serde_string(), "proc", NULL);
    expect_error(topo, "sink 'sink' has no topic");
}
END_TEST

START_TEST(test_topology_topic_used_twice)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_source(topo, "src2", "in", weir_serde_string(),
                             weir_serde_string());
    expect_error(topo,
                 "source 'src2': topic 'in' is already read by source 'src'");
}
END_TEST

START_TEST(test_topology_duplicate_node_name)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_processor(topo, "proc", &noop_ops, NULL, "src", NULL);
    expect_error(topo, "processor 'proc': duplicate node name");
}
END_TEST

START_TEST(test_topology_duplicate_store_name)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_kv_store(topo, "st", "proc");
    weir_topology_add_window_store(topo, "st", 1000, 100, "proc");
    expect_error(topo, "store 'st': duplicate store name");
}
END_TEST

START_TEST(test_topology_first_error_wins)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_sink(topo, "s1", "", weir_serde_string(),
                           weir_serde_string(), "proc", NULL);
    weir_topology_add_processor(topo, "proc", &noop_ops, NULL, "src", NULL);
    expect_error(topo, "sink 's1' has no topic");
}
END_TEST

START_TEST(test_topology_parent_is_sink)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_sink(topo, "sink", "out", weir_serde_string(),
                           weir_serde_string(), "proc", NULL);
    weir_topology_add_processor(topo, "after", &noop_ops, NULL, "sink", NULL);
    expect_error(topo, "processor 'after': parent 'sink' is a sink");
}
END_TEST

START_TEST(test_topology_store_on_source_rejected)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_kv_store(topo, "st", "src");
    expect_error(topo, "store 'st': 'src' is a source");
}
END_TEST

START_TEST(test_topology_processor_without_parent)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_processor(topo, "orphan", &noop_ops, NULL, NULL);
    expect_error(topo, "processor 'orphan' has no parent");
}
END_TEST

START_TEST(test_topology_forward_reference_resolves)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_processor(topo, "proc", &noop_ops, NULL, "src", NULL);
    weir_topology_add_source(topo, "src", "in", weir_serde_string(),
                             weir_serde_string());
    weir_error_t *err = weir_topology_build(topo);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    weir_topology_destroy(topo);
}
END_TEST

START_TEST(test_topology_shared_store_joins_subtopologies)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "a", "ta", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_source(topo, "b", "tb", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "pa", &noop_ops, NULL, "a", NULL);
    weir_topology_add_processor(topo, "pb", &noop_ops, NULL, "b", NULL);
    weir_topology_add_source(topo, "c", "tc", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_kv_store(topo, "shared", "pa");
    weir_topology_connect_store(topo, "shared", "pb");
    ck_assert_ptr_null(weir_topology_build(topo));
    /* {a, b, pa, pb} share a store; {c} is alone. */
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    weir_topology_destroy(topo);
}
END_TEST

START_TEST(test_topology_describe_with_repartition)
{
    weir_topology_t *topo = weir_topology_new();
    weir_topology_add_source(topo, "src", "words", weir_serde_string(),
                             weir_serde_string());
    weir_topology_add_processor(topo, "rekey", &noop_ops, NULL, "src", NULL);
    weir_topology_add_repartition(topo, "by-word", weir_serde_string(),
                                  weir_serde_string(), "rekey");
    weir_topology_add_processor(topo, "count", &noop_ops, NULL,
                                "by-word-repartition-source", NULL);
    weir_topology_add_kv_store(topo, "counts", "count");
    weir_topology_add_sink(topo, "out", "word-counts", weir_serde_string(),
                           weir_serde_int64(), "count", NULL);
    weir_topology_add_global_store(topo, "inventory", "inv-src", "inv",
                                   weir_serde_string(), weir_serde_string(),
                                   "inv-proc", &noop_ops, NULL);
    weir_topology_global_store_set_file(topo, "inventory", "/tmp/inv.csv");
    ck_assert_ptr_null(weir_topology_describe(topo)); /* not built */
    weir_error_t *err = weir_topology_build(topo);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_int_eq(weir_topology_subtopology_count(topo), 2);
    char *d = weir_topology_describe(topo);
    const char *want =
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: src (topics: [words])\n"
        "      --> rekey\n"
        "    Processor: rekey (stores: [])\n"
        "      --> by-word-repartition-sink\n"
        "      <-- src\n"
        "    Sink: by-word-repartition-sink (topic: by-word-repartition)\n"
        "      <-- rekey\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: by-word-repartition-source (topics: "
        "[by-word-repartition])\n"
        "      --> count\n"
        "    Processor: count (stores: [counts])\n"
        "      --> out\n"
        "      <-- by-word-repartition-source\n"
        "    Sink: out (topic: word-counts)\n"
        "      <-- count\n"
        "\n"
        "  Sub-topology: 2 for global store (will not generate tasks)\n"
        "    Source: inv-src (topics: [inv], file: /tmp/inv.csv)\n"
        "      --> inv-proc\n"
        "    Processor: inv-proc (stores: [inventory])\n"
        "      --> none\n"
        "      <-- inv-src\n"
        "\n";
    ck_assert_str_eq(d, want);
    weir_free(d);
    weir_topology_destroy(topo);
}
END_TEST

START_TEST(test_topology_global_store_not_writable_by_others)
{
    weir_topology_t *topo = src_proc();
    weir_topology_add_global_store(topo, "g", "gsrc", "gt",
                                   weir_serde_string(), weir_serde_string(),
                                   "gproc", &noop_ops, NULL);
    weir_topology_connect_store(topo, "g", "proc");
    expect_error(topo, "store 'g': a global store is written only by its "
                       "own processor, not 'proc'");
}
END_TEST

START_TEST(test_topology_null_destroy_is_fine)
{
    weir_topology_destroy(NULL);
    weir_error_t *err = weir_topology_build(NULL);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
}
END_TEST

static Suite *topology_suite(void)
{
    Suite *s = suite_create("topology");
    TCase *tc = tcase_create("validation");
    tcase_add_test(tc, test_topology_valid_builds);
    tcase_add_test(tc, test_topology_unknown_parent_named);
    tcase_add_test(tc, test_topology_unknown_store_named);
    tcase_add_test(tc, test_topology_store_on_unknown_processor_named);
    tcase_add_test(tc, test_topology_cycle_detected);
    tcase_add_test(tc, test_topology_self_loop_detected);
    tcase_add_test(tc, test_topology_sink_without_topic);
    tcase_add_test(tc, test_topology_topic_used_twice);
    tcase_add_test(tc, test_topology_duplicate_node_name);
    tcase_add_test(tc, test_topology_duplicate_store_name);
    tcase_add_test(tc, test_topology_first_error_wins);
    tcase_add_test(tc, test_topology_parent_is_sink);
    tcase_add_test(tc, test_topology_store_on_source_rejected);
    tcase_add_test(tc, test_topology_processor_without_parent);
    tcase_add_test(tc, test_topology_forward_reference_resolves);
    tcase_add_test(tc, test_topology_global_store_not_writable_by_others);
    tcase_add_test(tc, test_topology_null_destroy_is_fine);
    suite_add_tcase(s, tc);
    tc = tcase_create("describe");
    tcase_add_test(tc, test_topology_shared_store_joins_subtopologies);
    tcase_add_test(tc, test_topology_describe_with_repartition);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(topology_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
