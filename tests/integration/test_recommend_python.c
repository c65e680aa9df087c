/*
 * test_recommend_python.c: wire compatibility with the tutorial's
 * producers. The workload comes from an independent Python client
 * (tests/python/seed_producer.py: kafka-python, the Apache Avro library,
 * the registry's Confluent-compatible API through urllib), not from weir's
 * generator; the app must decode every record and its output, read
 * read_committed, must equal the oracle's computed from the Python side's
 * ground truth, record for record.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "test_recommend_run.h"

START_TEST(test_recommend_python_producer_is_decoded_identically)
{
    weir_error_t *err = NULL;
    weir_conf_t *rconf = weir_conf_new();
    ck_assert_ptr_null(
        weir_conf_set(rconf, "schema.registry.url", weir_test_registry()));
    weir_registry_t *reg = weir_registry_http_new(rconf, &err);
    weir_conf_destroy(rconf);
    ck_assert_msg(reg != NULL, "%s", weir_error_string(err));
    char url[1024];
    snprintf(url, sizeof(url), "%s/apis/ccompat/v7", weir_test_registry());
    rec_e2e_t e = {
        .bootstrap = weir_test_bootstrap(),
        .reg = reg,
        .guarantee = "exactly_once_v2",
        .partitions = 3,
        .threads = 1,
        .event_seconds = 60,
        .clicks_per_sec = 5,
        .python = WEIR_PYTHON,
        .python_registry_url = url,
    };
    rec_e2e_run(&e);
    weir_registry_destroy(reg);
}
END_TEST

static Suite *python_suite(void)
{
    Suite *s = suite_create("recommend_python");
    TCase *tc = tcase_create("wire");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_recommend_python_producer_is_decoded_identically);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(python_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
