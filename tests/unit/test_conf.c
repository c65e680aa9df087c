/*
 * test_conf.c: configuration: defaults, validation of weir's properties
 * and of librdkafka's, properties files, and the per-client views.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/conf.h>

#include "conf_int.h"
#include "tmpdir.h"

static weir_conf_t *conf;

static void setup(void)
{
    conf = weir_conf_new();
    ck_assert_ptr_nonnull(conf);
}

static void teardown(void)
{
    weir_conf_destroy(conf);
}

/* Asserts that setting name=value fails with a message containing want. */
static void assert_rejected(const char *name, const char *value,
                            const char *want)
{
    weir_error_t *err = weir_conf_set(conf, name, value);
    ck_assert_msg(err != NULL, "%s=%s was accepted", name, value);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    ck_assert_msg(strstr(weir_error_string(err), want),
                  "message '%s' lacks '%s'", weir_error_string(err), want);
    weir_error_destroy(err);
}

START_TEST(test_conf_defaults)
{
    ck_assert_str_eq(weir_conf_get(conf, "processing.guarantee"),
                     "exactly_once_v2");
    ck_assert_str_eq(weir_conf_get(conf, "num.stream.threads"), "1");
    ck_assert_ptr_null(weir_conf_get(conf, "application.id"));
    ck_assert_int_eq(weir__conf_commit_interval_ms(conf), 100);
    ck_assert_ptr_null(
        weir_conf_set(conf, "processing.guarantee", "at_least_once"));
    ck_assert_int_eq(weir__conf_commit_interval_ms(conf), 30000);
    ck_assert_ptr_null(weir_conf_set(conf, "commit.interval.ms", "250"));
    ck_assert_int_eq(weir__conf_commit_interval_ms(conf), 250);
}
END_TEST

START_TEST(test_conf_rejects_bad_values_naming_the_key)
{
    assert_rejected("num.stream.threads", "two",
                    "num.stream.threads: 'two' is not an integer");
    assert_rejected("num.stream.threads", "0",
                    "num.stream.threads: 0 is out of range");
    assert_rejected("processing.guarantee", "exactly_once",
                    "processing.guarantee: 'exactly_once' is not one of");
    assert_rejected("schema.registry.ssl.verify", "yes",
                    "schema.registry.ssl.verify: 'yes' is not true or false");
    assert_rejected("application.id", "my app", "application.id: 'my app'");
    assert_rejected("application.id", "", "must be 1 to 200 characters");
    assert_rejected("group.instance.id", "pod 0",
                    "group.instance.id: 'pod 0' has ' '");
    ck_assert_ptr_null(
        weir_conf_set(conf, "group.instance.id", "weir-recommend-0.east_1"));
    assert_rejected("debug", "store,nonsense",
                    "debug: unknown context 'nonsense'");
    /* The failed sets left the old values. */
    ck_assert_str_eq(weir_conf_get(conf, "num.stream.threads"), "1");
}
END_TEST

START_TEST(test_conf_passes_librdkafka_keys_and_rejects_unknown)
{
    ck_assert_ptr_null(weir_conf_set(conf, "socket.timeout.ms", "5000"));
    ck_assert_ptr_null(
        weir_conf_set(conf, "consumer.fetch.wait.max.ms", "10"));
    ck_assert_str_eq(weir_conf_get(conf, "socket.timeout.ms"), "5000");
    assert_rejected("no.such.property", "1",
                    "no.such.property: unknown property");
    assert_rejected("socket.timeout.ms", "-5", "socket.timeout.ms:");
    assert_rejected("group.id", "x", "group.id: cannot be set");
    assert_rejected("producer.transactional.id", "x",
                    "producer.transactional.id: cannot be set");
    assert_rejected("consumer.num.stream.threads", "2", "is a weir property");
    /* ... but librdkafka's namesake of a weir property goes to librdkafka,
     * which judges its value. */
    ck_assert_ptr_null(weir_conf_set(conf, "consumer.debug", "fetch"));
    ck_assert_str_eq(weir_conf_get(conf, "consumer.debug"), "fetch");
    assert_rejected("producer.debug", "nonsense", "producer.debug");
}
END_TEST

typedef struct {
    char seen[1024];
} collect_t;

static weir_error_t *collect(void *opaque, const char *key, const char *val)
{
    collect_t *c = opaque;
    size_t n = strlen(c->seen);
    snprintf(c->seen + n, sizeof(c->seen) - n, "%s=%s;", key, val);
    return NULL;
}

START_TEST(test_conf_rdkafka_view_per_client_kind)
{
    ck_assert_ptr_null(weir_conf_set(conf, "bootstrap.servers", "b:9092"));
    ck_assert_ptr_null(weir_conf_set(conf, "fetch.wait.max.ms", "100"));
    ck_assert_ptr_null(
        weir_conf_set(conf, "consumer.fetch.wait.max.ms", "10"));
    ck_assert_ptr_null(weir_conf_set(conf, "producer.linger.ms", "5"));
    collect_t c = {""};
    ck_assert_ptr_null(
        weir__conf_foreach_rdkafka(conf, "consumer", collect, &c));
    ck_assert_str_eq(c.seen, "bootstrap.servers=b:9092;"
                             "fetch.wait.max.ms=100;fetch.wait.max.ms=10;");
    collect_t p = {""};
    ck_assert_ptr_null(
        weir__conf_foreach_rdkafka(conf, "producer", collect, &p));
    ck_assert_str_eq(p.seen, "bootstrap.servers=b:9092;"
                             "fetch.wait.max.ms=100;linger.ms=5;");
}
END_TEST

static char *write_file(const char *dir, const char *text)
{
    char *path = malloc(strlen(dir) + 32);
    sprintf(path, "%s/app.properties", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(test_conf_load_file)
{
    char *dir = weir_test_tmpdir_new("weir-conf");
    char *path = write_file(dir, "# a comment\n"
                                 "! another\n"
                                 "\n"
                                 "application.id = recs\n"
                                 "bootstrap.servers: 127.0.0.1:9092\n"
                                 "  num.stream.threads=3  \n");
    ck_assert_ptr_null(weir_conf_load_file(conf, path));
    ck_assert_str_eq(weir_conf_get(conf, "application.id"), "recs");
    ck_assert_str_eq(weir_conf_get(conf, "bootstrap.servers"),
                     "127.0.0.1:9092");
    ck_assert_str_eq(weir_conf_get(conf, "num.stream.threads"), "3");
    ck_assert_ptr_null(weir_conf_validate(conf));
    free(path);
    weir_test_tmpdir_remove(dir);
    free(dir);
}
END_TEST

START_TEST(test_conf_load_file_errors_name_file_and_line)
{
    char *dir = weir_test_tmpdir_new("weir-conf");
    char *path = write_file(dir, "application.id=a\n"
                                 "num.stream.threads=lots\n");
    weir_error_t *err = weir_conf_load_file(conf, path);
    ck_assert_ptr_nonnull(err);
    char want[4200];
    snprintf(want, sizeof(want), "%s:2: num.stream.threads: 'lots'", path);
    ck_assert_msg(strstr(weir_error_string(err), want), "got '%s'",
                  weir_error_string(err));
    weir_error_destroy(err);
    free(path);

    path = write_file(dir, "just a line\n");
    err = weir_conf_load_file(conf, path);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(weir_error_string(err), ":1: expected key=value"),
                  "got '%s'", weir_error_string(err));
    weir_error_destroy(err);
    free(path);

    err = weir_conf_load_file(conf, "/nonexistent/weir.properties");
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_IO);
    ck_assert(strstr(weir_error_string(err), "/nonexistent/weir.properties"));
    weir_error_destroy(err);
    weir_test_tmpdir_remove(dir);
    free(dir);
}
END_TEST

START_TEST(test_conf_validate_requires_id_and_servers)
{
    weir_error_t *err = weir_conf_validate(conf);
    ck_assert(strstr(weir_error_string(err), "application.id: required"));
    weir_error_destroy(err);
    ck_assert_ptr_null(weir_conf_set_pair(conf, "application.id=x"));
    err = weir_conf_validate(conf);
    ck_assert(strstr(weir_error_string(err), "bootstrap.servers: required"));
    weir_error_destroy(err);
    err = weir_conf_set_pair(conf, "no-equals-sign");
    ck_assert(strstr(weir_error_string(err), "expected key=value"));
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_conf_dup_is_deep)
{
    ck_assert_ptr_null(weir_conf_set(conf, "application.id", "a"));
    ck_assert_ptr_null(weir_conf_set(conf, "linger.ms", "7"));
    weir_conf_t *dup = weir_conf_dup(conf);
    ck_assert_ptr_null(weir_conf_set(conf, "application.id", "b"));
    ck_assert_str_eq(weir_conf_get(dup, "application.id"), "a");
    ck_assert_str_eq(weir_conf_get(dup, "linger.ms"), "7");
    weir_conf_destroy(dup);
}
END_TEST

START_TEST(test_conf_reference_lists_every_property)
{
    char *md = weir_conf_reference_markdown();
    ck_assert_ptr_nonnull(md);
    for (size_t i = 0; i < weir__props_cnt; i++) {
        char name[128];
        snprintf(name, sizeof(name), "| `%s` |", weir__props[i].name);
        ck_assert_msg(strstr(md, name), "%s missing", weir__props[i].name);
    }
    weir_free(md);
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("conf");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_conf_defaults);
    tcase_add_test(tc, test_conf_rejects_bad_values_naming_the_key);
    tcase_add_test(tc, test_conf_passes_librdkafka_keys_and_rejects_unknown);
    tcase_add_test(tc, test_conf_rdkafka_view_per_client_kind);
    tcase_add_test(tc, test_conf_load_file);
    tcase_add_test(tc, test_conf_load_file_errors_name_file_and_line);
    tcase_add_test(tc, test_conf_validate_requires_id_and_servers);
    tcase_add_test(tc, test_conf_dup_is_deep);
    tcase_add_test(tc, test_conf_reference_lists_every_property);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(conf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
