/*
 * test_admin.c: internal topics against the real broker: creation with
 * the right partitions and cleanup policy, idempotence, clear errors for
 * existing topics that do not match, and DeleteRecords.
 */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/conf.h>

#include "admin_int.h"
#include "harness.h"

static weir_conf_t *conf;
static weir__logger_t log_;
static weir__kafka_opaque_t opaque = {&log_, "test admin"};
static rd_kafka_t *rk;

static void setup(void)
{
    log_ = weir__logger_default();
    conf = weir_conf_new();
    ck_assert_ptr_null(
        weir_conf_set(conf, "bootstrap.servers", weir_test_bootstrap()));
    rd_kafka_conf_t *rkc;
    ck_assert_ptr_null(weir__kafka_conf_new(conf, "admin", &opaque, &rkc));
    ck_assert_ptr_null(weir__kafka_new(RD_KAFKA_PRODUCER, rkc, &rk));
}

static void teardown(void)
{
    rd_kafka_destroy(rk);
    weir_conf_destroy(conf);
}

START_TEST(test_admin_creates_compacted_topic_once)
{
    char *name = weir_test_unique_name("admin-changelog");
    weir__topic_spec_t spec = {name, 3, -1, "compact", 0};
    ck_assert_ptr_null(weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_));
    int32_t parts = 0;
    ck_assert_ptr_null(weir__admin_partition_count(rk, name, 10000, &parts));
    ck_assert_int_eq(parts, 3);
    char *policy = NULL;
    ck_assert_ptr_null(
        weir__admin_topic_config(rk, name, "cleanup.policy", 10000, &policy));
    ck_assert_str_eq(policy, "compact");
    weir_free(policy);
    /* Again: nothing to do, no error. */
    ck_assert_ptr_null(weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_));
    free(name);
}
END_TEST

START_TEST(test_admin_window_changelog_gets_retention)
{
    char *name = weir_test_unique_name("admin-window");
    weir__topic_spec_t spec = {name, 2, -1, "compact,delete", 86400000};
    ck_assert_ptr_null(weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_));
    char *v = NULL;
    ck_assert_ptr_null(
        weir__admin_topic_config(rk, name, "retention.ms", 10000, &v));
    ck_assert_str_eq(v, "86400000");
    weir_free(v);
    /* Order of the policy words does not matter. */
    spec.cleanup_policy = "delete,compact";
    ck_assert_ptr_null(weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_));
    free(name);
}
END_TEST

START_TEST(test_admin_existing_topic_with_wrong_partitions_is_an_error)
{
    char *name = weir_test_unique_name("admin-parts");
    weir__topic_spec_t spec = {name, 2, -1, "delete", 0};
    ck_assert_ptr_null(weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_));
    spec.partitions = 4;
    weir_error_t *err = weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    char want[512];
    snprintf(want, sizeof(want),
             "topic %s exists with 2 partitions, but weir needs 4", name);
    ck_assert_msg(strstr(weir_error_string(err), want), "got: %s",
                  weir_error_string(err));
    weir_error_destroy(err);
    free(name);
}
END_TEST

START_TEST(test_admin_existing_topic_with_wrong_cleanup_policy_is_an_error)
{
    char *name = weir_test_unique_name("admin-policy");
    weir__topic_spec_t spec = {name, 1, -1, "delete", 0};
    ck_assert_ptr_null(weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_));
    spec.cleanup_policy = "compact";
    weir_error_t *err = weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(weir_error_string(err),
                         "exists with cleanup.policy=delete, but weir needs "
                         "cleanup.policy=compact"),
                  "got: %s", weir_error_string(err));
    weir_error_destroy(err);
    free(name);
}
END_TEST

START_TEST(test_admin_delete_records_moves_low_watermark)
{
    char *name = weir_test_unique_name("admin-purge");
    weir__topic_spec_t spec = {name, 1, -1, "delete", 0};
    ck_assert_ptr_null(weir__admin_ensure_topics(rk, &spec, 1, 20000, &log_));
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(name),
                                           RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_VALUE("x", 1),
                                           RD_KAFKA_V_END),
                         0);
    ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_topic_partition_list_t *before =
        rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(before, name, 0)->offset = 5;
    ck_assert_ptr_null(weir__admin_delete_records(rk, before, 10000));
    rd_kafka_topic_partition_list_destroy(before);
    int64_t lo = -1, hi = -1;
    ck_assert_int_eq(
        rd_kafka_query_watermark_offsets(rk, name, 0, &lo, &hi, 10000), 0);
    ck_assert_int_eq(lo, 5);
    ck_assert_int_eq(hi, 10);
    free(name);
}
END_TEST

START_TEST(test_admin_missing_topic_has_no_partitions)
{
    int32_t parts = 0;
    ck_assert_ptr_null(weir__admin_partition_count(rk, "admin-does-not-exist",
                                                   10000, &parts));
    ck_assert_int_eq(parts, -1);
}
END_TEST

static Suite *admin_suite(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = tcase_create("topics");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_admin_creates_compacted_topic_once);
    tcase_add_test(tc, test_admin_window_changelog_gets_retention);
    tcase_add_test(
        tc, test_admin_existing_topic_with_wrong_partitions_is_an_error);
    tcase_add_test(
        tc, test_admin_existing_topic_with_wrong_cleanup_policy_is_an_error);
    tcase_add_test(tc, test_admin_delete_records_moves_low_watermark);
    tcase_add_test(tc, test_admin_missing_topic_has_no_partitions);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(admin_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
