/*
 * test_registry_http.c: the registry client's HTTP backend against the real
 * Apicurio Registry of the test harness (CTest fixture "registry"):
 * register, fetch by id, caches (counted in HTTP requests), API probing
 * and explicit ccompat paths, error answers, and the registry stopped
 * mid-test (SIGSTOP): retries then a clear retriable error, recovery when
 * it resumes, and N threads missing one id sending one request.
 *
 * A stopped registry is always resumed: before SIGSTOP a guard process is
 * forked that sends SIGCONT after a few seconds even if the test dies.
 */
#include <avro.h>
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <weir/conf.h>
#include <weir/registry.h>
#include <weir/serde_avro.h>

#include "harness.h"
#include "files.h"

static char *clicks_schema(void)
{
    return weir_test_read_file(
        WEIR_SOURCE_DIR "/apps/recommendation/schemas/clickStream.avsc");
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* A client of the harness registry; @p api_path NULL lets it probe. */
static weir_registry_t *client(const char *api_path, const char *const *kv)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", weir_test_registry(),
             api_path ? api_path : "");
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(weir_conf_set(conf, "schema.registry.url", url));
    for (; kv && kv[0]; kv += 2)
        ck_assert_ptr_null(weir_conf_set(conf, kv[0], kv[1]));
    weir_error_t *err = NULL;
    weir_registry_t *reg = weir_registry_http_new(conf, &err);
    ck_assert_msg(reg != NULL, "%s", weir_error_string(err));
    weir_conf_destroy(conf);
    return reg;
}

/* A schema no other test registers: a record with a unique name. */
static char *unique_schema(void)
{
    char *name = weir_test_unique_name("R");
    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    char *s = malloc(256);
    snprintf(s, 256,
             "{\"type\":\"record\",\"name\":\"%s\",\"fields\":[{\"name\":"
             "\"a\",\"type\":\"long\"}]}",
             name);
    free(name);
    return s;
}

static uint64_t requests(weir_registry_t *reg)
{
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    return st.requests;
}

START_TEST(test_registry_http_register_fetch_and_cache)
{
    char *schema = clicks_schema();
    char *topic = weir_test_unique_name("clicks");
    char subject[256];
    snprintf(subject, sizeof(subject), "%s-value", topic);

    weir_registry_t *reg = client(NULL, NULL); /* probes for the API */
    int32_t id, id2;
    weir_error_t *err = weir_registry_register(reg, subject, NULL, schema,
                                               &id);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_int_gt(id, 0);
    /* root /subjects is a 404 on Apicurio, then ccompat/v7 answers. */
    ck_assert_uint_eq(requests(reg), 3);
    ck_assert_ptr_null(
        weir_registry_register(reg, subject, NULL, schema, &id2));
    ck_assert_int_eq(id2, id);
    ck_assert_uint_eq(requests(reg), 3);

    const weir_registry_schema_t *s;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, id, &s));
    ck_assert_uint_eq(requests(reg), 4);
    ck_assert_str_eq(weir_registry_schema_type(s), "AVRO");
    avro_schema_t want, got;
    ck_assert_int_eq(
        avro_schema_from_json_length(schema, strlen(schema), &want), 0);
    const char *text = weir_registry_schema_text(s);
    ck_assert_int_eq(avro_schema_from_json_length(text, strlen(text), &got),
                     0);
    ck_assert(avro_schema_equal(want, got));
    avro_schema_decref(want);
    avro_schema_decref(got);
    const weir_registry_schema_t *s2;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, id, &s2));
    ck_assert_ptr_eq(s2, s);
    ck_assert_uint_eq(requests(reg), 4);
    weir_registry_destroy(reg);

    /* Explicit ccompat paths (Apicurio 2.6 serves v6 and v7) need no probe
     * and see the same ids. */
    const char *paths[] = {"/apis/ccompat/v7", "/apis/ccompat/v6/"};
    for (int i = 0; i < 2; i++) {
        reg = client(paths[i], NULL);
        ck_assert_ptr_null(
            weir_registry_register(reg, subject, NULL, schema, &id2));
        ck_assert_int_eq(id2, id);
        ck_assert_uint_eq(requests(reg), 1);
        weir_registry_destroy(reg);
    }
    free(topic);
    free(schema);
}
END_TEST

START_TEST(test_registry_http_lookup_finds_only_registered)
{
    char *schema = unique_schema();
    char *subject = weir_test_unique_name("lookup");
    weir_registry_t *reg = client("/apis/ccompat/v7", NULL);
    int32_t id;
    bool found = true;
    ck_assert_ptr_null(
        weir_registry_lookup(reg, subject, NULL, schema, &id, &found));
    ck_assert(!found);
    int32_t reg_id;
    ck_assert_ptr_null(
        weir_registry_register(reg, subject, NULL, schema, &reg_id));
    weir_registry_t *reg2 = client("/apis/ccompat/v7", NULL);
    ck_assert_ptr_null(
        weir_registry_lookup(reg2, subject, NULL, schema, &id, &found));
    ck_assert(found);
    ck_assert_int_eq(id, reg_id);
    weir_registry_destroy(reg2);
    weir_registry_destroy(reg);
    free(subject);
    free(schema);
}
END_TEST

START_TEST(test_registry_http_unknown_id_and_invalid_schema)
{
    weir_registry_t *reg = client("/apis/ccompat/v7", NULL);
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, 2000000000, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    ck_assert(!weir_error_is_retriable(err));
    ck_assert_int_eq(weir_error_origin_code(err), 40403);
    weir_error_destroy(err);

    char *subject = weir_test_unique_name("bad");
    int32_t id;
    err = weir_registry_register(reg, subject, NULL, "{\"type\":\"strin", &id);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SCHEMA);
    ck_assert(!weir_error_is_retriable(err));
    ck_assert_int_eq(weir_error_origin_code(err), 42201);
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), subject));
    weir_error_destroy(err);
    free(subject);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_http_wrong_api_path_is_a_clear_error)
{
    /* A path that is not an API: every request answers 404. */
    weir_registry_t *reg = client("/nothing/here", NULL);
    int32_t id;
    weir_error_t *err = weir_registry_register(reg, "t", NULL, "\"string\"",
                                               &id);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(!weir_error_is_retriable(err));
    ck_assert_int_eq(weir_error_origin_code(err), 404);
    weir_error_destroy(err);
    weir_registry_destroy(reg);
}
END_TEST

/* ---- registry stopped ------------------------------------------------- */

static pid_t registry_pid(void)
{
    long pid = weir_test_registry_pid();
    ck_assert_msg(pid > 0, "these tests stop the harness registry: they need "
                           "its pid (unset WEIR_TEST_REGISTRY)");
    return (pid_t)pid;
}

/* Stops the registry; a guard process resumes it after @p guard_ms. */
static pid_t stop_registry(pid_t pid, long guard_ms)
{
    pid_t guard = fork();
    ck_assert_int_ge(guard, 0);
    if (guard == 0) {
        sleep_ms(guard_ms);
        kill(pid, SIGCONT);
        _exit(0);
    }
    ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    return guard;
}

static void resume_registry(pid_t pid, pid_t guard)
{
    kill(pid, SIGCONT);
    kill(guard, SIGKILL);
    waitpid(guard, NULL, 0);
}

/* Registers a fresh schema with another client, so @p reg has no cache. */
static int32_t fresh_id(void)
{
    weir_registry_t *other = client("/apis/ccompat/v7", NULL);
    char *schema = unique_schema();
    char *subject = weir_test_unique_name("fresh");
    int32_t id;
    weir_error_t *err = weir_registry_register(other, subject, NULL, schema,
                                               &id);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    free(schema);
    free(subject);
    weir_registry_destroy(other);
    return id;
}

START_TEST(test_registry_http_stopped_retries_then_clear_error)
{
    pid_t pid = registry_pid();
    int32_t id = fresh_id();
    static const char *const kv[] = {"schema.registry.timeout.ms",
                                     "300",
                                     "schema.registry.retry.backoff.ms",
                                     "100",
                                     "schema.registry.retry.max.ms",
                                     "1500",
                                     NULL};
    weir_registry_t *reg = client("/apis/ccompat/v7", kv);
    pid_t guard = stop_registry(pid, 10000);
    int64_t t0 = now_ms();
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, id, &s);
    int64_t spent = now_ms() - t0;
    resume_registry(pid, guard);

    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(weir_error_is_retriable(err));
    const char *msg = weir_error_string(err);
    ck_assert_msg(strstr(msg, "gave up after") && strstr(msg, "/schemas/ids/"),
                  "unclear error: %s", msg);
    /* retry.timeout.ms bounds the call: the last request is cut short. */
    ck_assert_int_ge(spent, 1500);
    ck_assert_int_lt(spent, 1700);
    weir_error_destroy(err);
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_ge(st.retries, 2);

    /* Resumed: the same call on the same client now works. */
    err = weir_registry_get_by_id(reg, id, &s);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_int_eq(weir_registry_schema_id(s), id);
    weir_registry_destroy(reg);
}
END_TEST

typedef struct resumer_s {
    pid_t pid;
    long after_ms;
} resumer_t;

static void *resumer(void *arg)
{
    resumer_t *r = arg;
    sleep_ms(r->after_ms);
    kill(r->pid, SIGCONT);
    return NULL;
}

START_TEST(test_registry_http_stopped_then_resumed_succeeds)
{
    pid_t pid = registry_pid();
    int32_t id = fresh_id();
    static const char *const kv[] = {"schema.registry.timeout.ms",
                                     "300",
                                     "schema.registry.retry.backoff.ms",
                                     "100",
                                     "schema.registry.retry.max.ms",
                                     "-1",
                                     NULL};
    weir_registry_t *reg = client("/apis/ccompat/v7", kv);
    pid_t guard = stop_registry(pid, 10000);
    resumer_t r = {pid, 1200};
    pthread_t th;
    pthread_create(&th, NULL, resumer, &r);
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, id, &s);
    pthread_join(th, NULL);
    resume_registry(pid, guard);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_int_eq(weir_registry_schema_id(s), id);
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_ge(st.retries, 1);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_http_avro_record_waits_out_a_stopped_registry)
{
    /* A consumer that meets a new writer id while the registry is stopped
     * gets a retriable error for that record, and the same record decodes
     * once the registry is back: nothing is dropped. */
    pid_t pid = registry_pid();
    char *topic = weir_test_unique_name("avro-stop");
    char *schema = unique_schema();
    weir_registry_t *wreg = client("/apis/ccompat/v7", NULL);
    weir_error_t *err = NULL;
    weir_serde_t *writer = weir_serde_avro_new(wreg, schema, 0, &err);
    ck_assert_ptr_nonnull(writer);
    avro_value_t v, f;
    ck_assert_ptr_null(weir_serde_avro_value_new(writer, &v));
    avro_value_get_by_name(&v, "a", &f, NULL);
    avro_value_set_long(&f, 123456789);
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    err = weir_serde_serialize(writer, topic, &v, 0, &buf);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));

    static const char *const kv[] = {"schema.registry.timeout.ms",
                                     "300",
                                     "schema.registry.retry.backoff.ms",
                                     "100",
                                     "schema.registry.retry.max.ms",
                                     "800",
                                     NULL};
    weir_registry_t *rreg = client("/apis/ccompat/v7", kv);
    weir_serde_t *reader = weir_serde_avro_new(rreg, schema, 0, &err);
    ck_assert_ptr_nonnull(reader);
    pid_t guard = stop_registry(pid, 10000);
    void *obj;
    size_t len;
    err = weir_serde_deserialize(reader, topic, buf.data, buf.len, &obj, &len);
    resume_registry(pid, guard);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(weir_error_is_retriable(err));
    weir_error_destroy(err);

    err = weir_serde_deserialize(reader, topic, buf.data, buf.len, &obj, &len);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert(avro_value_equal(&v, obj));
    weir_serde_free_obj(reader, obj, len);

    weir_serde_destroy(reader);
    weir_registry_destroy(rreg);
    avro_value_decref(&v);
    weir_buf_free(&buf);
    weir_serde_destroy(writer);
    weir_registry_destroy(wreg);
    free(schema);
    free(topic);
}
END_TEST

#define N_THREADS 8

typedef struct getter_s {
    weir_registry_t *reg;
    int32_t id;
    const weir_registry_schema_t *schema;
    weir_error_t *err;
} getter_t;

static void *getter(void *arg)
{
    getter_t *g = arg;
    g->err = weir_registry_get_by_id(g->reg, g->id, &g->schema);
    return NULL;
}

START_TEST(test_registry_http_concurrent_misses_send_one_request)
{
    pid_t pid = registry_pid();
    int32_t id = fresh_id();
    /* Long enough that the one request outlives the stop. */
    static const char *const kv[] = {"schema.registry.timeout.ms", "20000",
                                     NULL};
    weir_registry_t *reg = client("/apis/ccompat/v7", kv);
    pid_t guard = stop_registry(pid, 10000);
    getter_t g[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        g[i] = (getter_t){.reg = reg, .id = id};
        pthread_create(&th[i], NULL, getter, &g[i]);
    }
    sleep_ms(500);
    resume_registry(pid, guard);
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(g[i].err == NULL, "%s", weir_error_string(g[i].err));
        ck_assert_ptr_eq(g[i].schema, g[0].schema);
    }
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_eq(st.requests, 1);
    ck_assert_uint_eq(st.cache_misses, N_THREADS);
    weir_registry_destroy(reg);
}
END_TEST

/* ---- the Avro serde on the real registry ------------------------------ */

START_TEST(test_registry_http_avro_serde_round_trip_and_resolution)
{
    char *schema = clicks_schema();
    char *topic = weir_test_unique_name("avro-clicks");
    weir_registry_t *reg = client(NULL, NULL);
    weir_error_t *err = NULL;
    weir_serde_t *serde = weir_serde_avro_new(reg, schema, 0, &err);
    ck_assert_msg(serde != NULL, "%s", weir_error_string(err));
    avro_value_t v, f;
    ck_assert_ptr_null(weir_serde_avro_value_new(serde, &v));
    avro_value_get_by_name(&v, "user_id", &f, NULL);
    avro_value_set_string(&f, "user-27");
    avro_value_get_by_name(&v, "product_id", &f, NULL);
    avro_value_set_string(&f, "140");
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    err = weir_serde_serialize(serde, topic, &v, 0, &buf);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));

    /* The id in the frame is the registry's for <topic>-value. */
    char subject[256];
    snprintf(subject, sizeof(subject), "%s-value", topic);
    int32_t id;
    bool found;
    ck_assert_ptr_null(
        weir_registry_lookup(reg, subject, NULL, schema, &id, &found));
    ck_assert(found);
    ck_assert_int_eq((buf.data[1] << 24) | (buf.data[2] << 16) |
                         (buf.data[3] << 8) | buf.data[4],
                     id);

    /* Another process's view: a new client fetches the writer schema by
     * id and resolves it into a reader with an added defaulted field. */
    static const char reader[] =
        "{\"type\":\"record\",\"name\":\"ClickStream\",\"namespace\":"
        "\"com.github.streamshub.kafka.data.generator.schema\",\"fields\":["
        "{\"name\":\"user_id\",\"type\":\"string\"},"
        "{\"name\":\"product_id\",\"type\":\"string\"},"
        "{\"name\":\"source\",\"type\":\"string\",\"default\":\"web\"}]}";
    weir_registry_t *reg2 = client("/apis/ccompat/v7", NULL);
    weir_serde_t *rserde = weir_serde_avro_new(reg2, reader, 0, &err);
    ck_assert_msg(rserde != NULL, "%s", weir_error_string(err));
    void *obj;
    size_t len;
    err = weir_serde_deserialize(rserde, topic, buf.data, buf.len, &obj, &len);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    const char *s;
    size_t n;
    avro_value_get_by_name((avro_value_t *)obj, "user_id", &f, NULL);
    avro_value_get_string(&f, &s, &n);
    ck_assert_str_eq(s, "user-27");
    avro_value_get_by_name((avro_value_t *)obj, "source", &f, NULL);
    avro_value_get_string(&f, &s, &n);
    ck_assert_str_eq(s, "web");
    weir_serde_free_obj(rserde, obj, len);
    ck_assert_uint_eq(requests(reg2), 1); /* GET /schemas/ids/{id} */

    /* An id the registry does not have is a schema error, not retriable. */
    unsigned char bad[] = {0, 0x7f, 0xff, 0xff, 0xf0, 2, 'a', 2, 'b'};
    err = weir_serde_deserialize(rserde, topic, bad, sizeof(bad), &obj, &len);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SCHEMA);
    ck_assert(!weir_error_is_retriable(err));
    weir_error_destroy(err);

    weir_serde_destroy(rserde);
    weir_registry_destroy(reg2);
    avro_value_decref(&v);
    weir_buf_free(&buf);
    weir_serde_destroy(serde);
    weir_registry_destroy(reg);
    free(topic);
    free(schema);
}
END_TEST

static Suite *registry_http_suite(void)
{
    Suite *s = suite_create("registry_http");
    TCase *tc = tcase_create("apicurio");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_registry_http_register_fetch_and_cache);
    tcase_add_test(tc, test_registry_http_lookup_finds_only_registered);
    tcase_add_test(tc, test_registry_http_unknown_id_and_invalid_schema);
    tcase_add_test(tc, test_registry_http_wrong_api_path_is_a_clear_error);
    tcase_add_test(tc,
                   test_registry_http_avro_serde_round_trip_and_resolution);
    suite_add_tcase(s, tc);
    tc = tcase_create("stopped");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_registry_http_stopped_retries_then_clear_error);
    tcase_add_test(tc, test_registry_http_stopped_then_resumed_succeeds);
    tcase_add_test(tc, test_registry_http_concurrent_misses_send_one_request);
    tcase_add_test(
        tc, test_registry_http_avro_record_waits_out_a_stopped_registry);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(registry_http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
