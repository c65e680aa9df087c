/*
 * test_registry.c: the schema-registry client on its in-process backend
 * (ids, caches, one fetch per id, retry and give-up, interrupt), its
 * configuration, and the HTTP backend against a port nobody listens on.
 * The HTTP backend against the real Apicurio is in test_registry_http.c.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <weir/conf.h>
#include <weir/registry.h>

#include "alloc_int.h"
#include "check_ok.h"

static const char *schema_a = "{\"type\":\"string\"}";
static const char *schema_b =
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
    "\"type\":\"int\"}]}";

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

/* A weir_conf_t with the key/value pairs @p kv (NULL-terminated). */
static weir_conf_t *conf_with(const char *const *kv)
{
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_nonnull(conf);
    for (; kv && kv[0]; kv += 2) {
        weir_error_t *err = weir_conf_set(conf, kv[0], kv[1]);
        ck_assert_msg(!err, "%s", weir_error_string(err));
    }
    return conf;
}

static weir_registry_t *memory_registry(const char *const *kv)
{
    weir_error_t *err = NULL;
    weir_conf_t *conf = conf_with(kv);
    weir_registry_t *reg = weir_registry_memory_new(conf, &err);
    weir_conf_destroy(conf); /* only read */
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(reg);
    return reg;
}

START_TEST(test_registry_memory_ids_follow_schema_text)
{
    weir_registry_t *reg = memory_registry(NULL);
    int32_t a1, a2, a3, b;
    ck_assert_ptr_null(
        weir_registry_register(reg, "t-value", NULL, schema_a, &a1));
    ck_assert_int_eq(a1, 1);
    ck_assert_ptr_null(
        weir_registry_register(reg, "t-value", "AVRO", schema_a, &a2));
    ck_assert_int_eq(a2, a1);
    /* Same text under another subject: same id, as in Confluent. */
    ck_assert_ptr_null(
        weir_registry_register(reg, "u-key", NULL, schema_a, &a3));
    ck_assert_int_eq(a3, a1);
    ck_assert_ptr_null(
        weir_registry_register(reg, "t-value", NULL, schema_b, &b));
    ck_assert_int_eq(b, 2);

    const weir_registry_schema_t *s;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, b, &s));
    ck_assert_int_eq(weir_registry_schema_id(s), b);
    ck_assert_str_eq(weir_registry_schema_text(s), schema_b);
    ck_assert_str_eq(weir_registry_schema_type(s), "AVRO");
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_memory_lookup_does_not_register)
{
    weir_registry_t *reg = memory_registry(NULL);
    int32_t id = 7;
    bool found = true;
    ck_assert_ptr_null(
        weir_registry_lookup(reg, "t-value", NULL, schema_a, &id, &found));
    ck_assert(!found);
    ck_assert_int_eq(id, -1);
    ck_assert_ptr_null(
        weir_registry_lookup(reg, "t-value", NULL, schema_a, &id, &found));
    ck_assert(!found);
    int32_t reg_id;
    ck_assert_ptr_null(
        weir_registry_register(reg, "other", NULL, schema_a, &reg_id));
    /* Registered elsewhere is still not under t-value. */
    ck_assert_ptr_null(
        weir_registry_lookup(reg, "t-value", NULL, schema_a, &id, &found));
    ck_assert(!found);
    ck_assert_ptr_null(
        weir_registry_lookup(reg, "other", NULL, schema_a, &id, &found));
    ck_assert(found);
    ck_assert_int_eq(id, reg_id);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_get_by_id_is_cached)
{
    weir_registry_t *reg = memory_registry(NULL);
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_b, &id));
    weir_registry_stats_t st0, st1;
    weir_registry_stats(reg, &st0);
    const weir_registry_schema_t *s1, *s2;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, id, &s1));
    weir_registry_stats(reg, &st1);
    ck_assert_uint_eq(st1.requests, st0.requests + 1);
    for (int i = 0; i < 10; i++)
        ck_assert_ptr_null(weir_registry_get_by_id(reg, id, &s2));
    ck_assert_ptr_eq(s1, s2);
    weir_registry_stats(reg, &st1);
    ck_assert_uint_eq(st1.requests, st0.requests + 1);
    ck_assert_uint_eq(st1.cache_hits, st0.cache_hits + 10);

    /* Register is cached as well. */
    weir_registry_stats(reg, &st0);
    int32_t id2;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_b, &id2));
    weir_registry_stats(reg, &st1);
    ck_assert_int_eq(id2, id);
    ck_assert_uint_eq(st1.requests, st0.requests);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_unknown_id_is_not_found_and_not_cached)
{
    weir_registry_t *reg = memory_registry(NULL);
    const weir_registry_schema_t *s = (void *)1;
    weir_error_t *err = weir_registry_get_by_id(reg, 42, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    ck_assert(!weir_error_is_retriable(err));
    ck_assert_ptr_null(s);
    weir_error_destroy(err);
    /* A negative answer is not cached: the schema may be registered now. */
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_a, &id));
    ck_assert_ptr_null(weir_registry_get_by_id(reg, id, &s));
    ck_assert_str_eq(weir_registry_schema_text(s), schema_a);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_bad_arguments)
{
    weir_registry_t *reg = memory_registry(NULL);
    int32_t id;
    weir_error_t *err = weir_registry_register(reg, "t", "XML", schema_a, &id);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    err = weir_registry_register(reg, "", NULL, schema_a, &id);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    err = weir_registry_memory_set_available(NULL, true);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_unavailable_retries_then_gives_up_retriable)
{
    static const char *const kv[] = {"schema.registry.retry.backoff.ms",
                                     "20",
                                     "schema.registry.retry.backoff.max.ms",
                                     "80",
                                     "schema.registry.retry.max.ms",
                                     "400",
                                     NULL};
    weir_registry_t *reg = memory_registry(kv);
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_a, &id));
    ck_assert_ptr_null(weir_registry_memory_set_available(reg, false));
    int64_t t0 = now_ms();
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, id, &s);
    int64_t spent = now_ms() - t0;
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(weir_error_is_retriable(err));
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "gave up after"));
    ck_assert_int_ge(spent, 400);
    ck_assert_int_lt(spent, 2000);
    weir_error_destroy(err);
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_ge(st.retries, 4);

    /* It comes back: the same call now succeeds. */
    ck_assert_ptr_null(weir_registry_memory_set_available(reg, true));
    ck_assert_ptr_null(weir_registry_get_by_id(reg, id, &s));
    ck_assert_str_eq(weir_registry_schema_text(s), schema_a);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_zero_retry_timeout_makes_one_attempt)
{
    static const char *const kv[] = {"schema.registry.retry.max.ms", "0",
                                     NULL};
    weir_registry_t *reg = memory_registry(kv);
    CHECK_OK(weir_registry_memory_set_available(reg, false));
    int32_t id;
    weir_error_t *err = weir_registry_register(reg, "t", NULL, schema_a, &id);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(weir_error_is_retriable(err));
    weir_error_destroy(err);
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_eq(st.requests, 1);
    ck_assert_uint_eq(st.retries, 0);
    weir_registry_destroy(reg);
}
END_TEST

typedef struct later_s {
    weir_registry_t *reg;
    long after_ms;
    bool interrupt;
} later_t;

static void *later_thread(void *arg)
{
    later_t *l = arg;
    sleep_ms(l->after_ms);
    if (l->interrupt)
        weir_registry_interrupt(l->reg);
    else
        CHECK_OK(weir_registry_memory_set_available(l->reg, true));
    return NULL;
}

START_TEST(test_registry_waits_for_registry_to_come_back)
{
    static const char *const kv[] = {"schema.registry.retry.backoff.ms",
                                     "10",
                                     "schema.registry.retry.backoff.max.ms",
                                     "50",
                                     "schema.registry.retry.max.ms",
                                     "-1",
                                     NULL};
    weir_registry_t *reg = memory_registry(kv);
    CHECK_OK(weir_registry_memory_set_available(reg, false));
    later_t l = {reg, 300, false};
    pthread_t th;
    pthread_create(&th, NULL, later_thread, &l);
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_a, &id));
    pthread_join(th, NULL);
    ck_assert_int_eq(id, 1);
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_ge(st.retries, 2);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_interrupt_ends_an_endless_retry)
{
    static const char *const kv[] = {"schema.registry.retry.backoff.ms",
                                     "5000", "schema.registry.retry.max.ms",
                                     "-1", NULL};
    weir_registry_t *reg = memory_registry(kv);
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_a, &id));
    CHECK_OK(weir_registry_memory_set_available(reg, false));
    later_t l = {reg, 200, true};
    pthread_t th;
    pthread_create(&th, NULL, later_thread, &l);
    int64_t t0 = now_ms();
    int32_t id2;
    weir_error_t *err = weir_registry_register(reg, "t", NULL, schema_b, &id2);
    pthread_join(th, NULL);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CANCELLED);
    ck_assert_int_lt(now_ms() - t0, 3000);
    weir_error_destroy(err);
    /* Cached answers are still served after an interrupt. */
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_a, &id2));
    ck_assert_int_eq(id2, id);
    weir_registry_destroy(reg);
}
END_TEST

#define N_THREADS 8

typedef struct getter_s {
    weir_registry_t *reg;
    int32_t id;
    const weir_registry_schema_t *schema;
    weir_error_t *err;
} getter_t;

static void *getter_thread(void *arg)
{
    getter_t *g = arg;
    g->err = weir_registry_get_by_id(g->reg, g->id, &g->schema);
    return NULL;
}

START_TEST(test_registry_concurrent_misses_share_one_fetch)
{
    static const char *const kv[] = {"schema.registry.retry.backoff.ms",
                                     "20",
                                     "schema.registry.retry.backoff.max.ms",
                                     "20",
                                     "schema.registry.retry.max.ms",
                                     "-1",
                                     NULL};
    weir_registry_t *reg = memory_registry(kv);
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, schema_b, &id));
    /* Unavailable first, so every thread misses while the first fetch is
     * still retrying. */
    CHECK_OK(weir_registry_memory_set_available(reg, false));
    weir_registry_stats_t st0;
    weir_registry_stats(reg, &st0);
    getter_t g[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        g[i] = (getter_t){.reg = reg, .id = id};
        pthread_create(&th[i], NULL, getter_thread, &g[i]);
    }
    sleep_ms(300);
    CHECK_OK(weir_registry_memory_set_available(reg, true));
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_ptr_null(g[i].err);
        ck_assert_ptr_eq(g[i].schema, g[0].schema);
    }
    weir_registry_stats_t st1;
    weir_registry_stats(reg, &st1);
    /* One thread made every attempt: requests = its first try + retries. */
    ck_assert_uint_ge(st1.retries, 3);
    ck_assert_uint_eq(st1.requests - st0.requests,
                      st1.retries - st0.retries + 1);
    ck_assert_uint_eq(st1.cache_misses - st0.cache_misses, N_THREADS);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_concurrent_misses_share_one_failure)
{
    static const char *const kv[] = {"schema.registry.retry.backoff.ms", "20",
                                     "schema.registry.retry.max.ms", "300",
                                     NULL};
    weir_registry_t *reg = memory_registry(kv);
    CHECK_OK(weir_registry_memory_set_available(reg, false));
    getter_t g[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        g[i] = (getter_t){.reg = reg, .id = 5};
        pthread_create(&th[i], NULL, getter_thread, &g[i]);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(weir_error_code(g[i].err), WEIR_ERR_REGISTRY);
        ck_assert(weir_error_is_retriable(g[i].err));
        weir_error_destroy(g[i].err);
    }
    /* The failed entry is gone: the next call fetches again. */
    CHECK_OK(weir_registry_memory_set_available(reg, true));
    weir_registry_stats_t st0, st1;
    weir_registry_stats(reg, &st0);
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, 5, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    weir_error_destroy(err);
    weir_registry_stats(reg, &st1);
    ck_assert_uint_eq(st1.requests, st0.requests + 1);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_out_of_memory_never_crashes)
{
    /* Fail the Nth allocation for every N until a full run succeeds. */
    for (long n = 0; n < 1000; n++) {
        weir_error_t *err = NULL;
        weir__alloc_fail_after(n);
        weir_registry_t *reg = weir_registry_memory_new(NULL, &err);
        int32_t id = -1;
        const weir_registry_schema_t *s = NULL;
        if (reg)
            err = weir_registry_register(reg, "t", NULL, schema_b, &id);
        if (reg && !err)
            err = weir_registry_get_by_id(reg, id, &s);
        weir__alloc_fail_after(-1);
        bool done = reg && !err;
        if (!done)
            ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOMEM);
        else
            ck_assert_str_eq(weir_registry_schema_text(s), schema_b);
        weir_error_destroy(err);
        weir_registry_destroy(reg);
        if (done)
            return;
    }
    ck_abort_msg("never succeeded");
}
END_TEST

static void expect_conf_error(weir_conf_t *conf, const char *key,
                              const char *value)
{
    weir_error_t *err = weir_conf_set(conf, key, value);
    ck_assert_msg(err != NULL, "%s=%s accepted", key, value);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    ck_assert_msg(strstr(weir_error_string(err), key), "%s",
                  weir_error_string(err));
    weir_error_destroy(err);
}

START_TEST(test_registry_conf_rows_are_checked_when_set)
{
    /* The registry's settings are rows of weir's property table: a bad
     * value is refused where it is set, naming the key. */
    weir_conf_t *conf = weir_conf_new();
    expect_conf_error(conf, "schema.registry.retry.max.ms", "soon");
    expect_conf_error(conf, "schema.registry.retry.max.ms", "-2");
    expect_conf_error(conf, "schema.registry.ssl.verify", "maybe");
    expect_conf_error(conf, "schema.registry.retry.backoff.ms", "0");
    expect_conf_error(conf, "schema.registry.retry.backoff.max.ms", "-1");
    expect_conf_error(conf, "schema.registry.connect.timeout.ms", "0");
    expect_conf_error(conf, "schema.registry.max.response.bytes", "100");
    expect_conf_error(conf, "schema.registry.colour", "blue");
    expect_conf_error(conf, "debug", "registry,nonsense");
    /* The defaults, documented in CONFIGURATION.md. */
    ck_assert_str_eq(weir_conf_get(conf, "schema.registry.retry.max.ms"),
                     "300000");
    ck_assert_str_eq(weir_conf_get(conf, "schema.registry.retry.backoff.ms"),
                     "100");
    ck_assert_str_eq(
        weir_conf_get(conf, "schema.registry.retry.backoff.max.ms"), "5000");
    ck_assert_str_eq(weir_conf_get(conf, "schema.registry.connect.timeout.ms"),
                     "3000");
    ck_assert_str_eq(weir_conf_get(conf, "schema.registry.timeout.ms"),
                     "10000");
    ck_assert_str_eq(weir_conf_get(conf, "schema.registry.max.response.bytes"),
                     "16777216");
    ck_assert_ptr_null(weir_conf_get(conf, "schema.registry.url"));
    weir_conf_destroy(conf);
}
END_TEST

/* What the client logged through the conf's callback. */
typedef struct log_seen_s {
    pthread_mutex_t lock;
    int warnings, debugs;
    bool wrong_opaque;
} log_seen_t;

static log_seen_t log_seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0, false};

static void log_cb(void *opaque, int level, const char *fac, const char *msg)
{
    (void)msg;
    pthread_mutex_lock(&log_seen.lock);
    if (opaque != &log_seen)
        log_seen.wrong_opaque = true;
    if (!strcmp(fac, "REGISTRY") && level == WEIR_LOG_WARNING)
        log_seen.warnings++;
    if (!strcmp(fac, "REGISTRY") && level == WEIR_LOG_DEBUG)
        log_seen.debugs++;
    pthread_mutex_unlock(&log_seen.lock);
}

START_TEST(test_registry_conf_settings_and_log_reach_the_client)
{
    /* Retry settings, the log callback with the conf's opaque, and the
     * debug context "registry", all from one weir_conf_t, which the
     * client only reads. */
    static const char *const kv[] = {"schema.registry.retry.backoff.ms",
                                     "20",
                                     "schema.registry.retry.backoff.max.ms",
                                     "20",
                                     "schema.registry.retry.max.ms",
                                     "300",
                                     "debug",
                                     "registry",
                                     NULL};
    weir_conf_t *conf = conf_with(kv);
    weir_conf_set_log_cb(conf, log_cb);
    weir_conf_set_opaque(conf, &log_seen);
    weir_error_t *err = NULL;
    weir_registry_t *reg = weir_registry_memory_new(conf, &err);
    ck_assert_ptr_nonnull(reg);
    weir_conf_destroy(conf);
    ck_assert_ptr_null(weir_registry_memory_set_available(reg, false));
    int64_t t0 = now_ms();
    int32_t id;
    err = weir_registry_register(reg, "t", NULL, schema_a, &id);
    int64_t spent = now_ms() - t0;
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(weir_error_is_retriable(err));
    weir_error_destroy(err);
    ck_assert_int_ge(spent, 300);
    ck_assert_int_lt(spent, 2000);
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    /* 20 ms apart, not the default 100, 200, 400...: many retries. */
    ck_assert_uint_ge(st.retries, 6);
    ck_assert_int_eq(log_seen.warnings, 1); /* the first failure */
    ck_assert_int_ge(log_seen.debugs, 5);   /* each later one */
    ck_assert(!log_seen.wrong_opaque);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_http_needs_an_http_url)
{
    weir_error_t *err = NULL;
    ck_assert_ptr_null(weir_registry_http_new(NULL, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    ck_assert_ptr_nonnull(
        strstr(weir_error_string(err), "schema.registry.url"));
    weir_error_destroy(err);
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(weir_registry_http_new(conf, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    weir_error_destroy(err);
    static const char *const bad[] = {"ftp://h:21", "http://a:1,ftp://b",
                                      " , "};
    for (int i = 0; i < 3; i++) {
        ck_assert_ptr_null(weir_conf_set(conf, "schema.registry.url", bad[i]));
        ck_assert_ptr_null(weir_registry_http_new(conf, &err));
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
        ck_assert_msg(strstr(weir_error_string(err), "schema.registry.url"),
                      "%s", weir_error_string(err));
        weir_error_destroy(err);
    }
    weir_conf_destroy(conf);
}
END_TEST

/* A local port with nothing listening on it. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

START_TEST(test_registry_http_down_retries_then_retriable_error)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
    const char *const kv[] = {"schema.registry.url",
                              url,
                              "schema.registry.retry.backoff.ms",
                              "50",
                              "schema.registry.retry.max.ms",
                              "500",
                              NULL};
    weir_error_t *err = NULL;
    weir_conf_t *conf = conf_with(kv);
    weir_registry_t *reg = weir_registry_http_new(conf, &err);
    weir_conf_destroy(conf);
    ck_assert_ptr_nonnull(reg);
    int64_t t0 = now_ms();
    int32_t id;
    err = weir_registry_register(reg, "t-value", NULL, schema_a, &id);
    ck_assert_int_ge(now_ms() - t0, 500);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(weir_error_is_retriable(err));
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), url));
    weir_error_destroy(err);
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_ge(st.retries, 2);
    ck_assert_uint_eq(st.requests, st.retries + 1);
    weir_registry_destroy(reg);
}
END_TEST

static Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("memory");
    tcase_add_test(tc, test_registry_memory_ids_follow_schema_text);
    tcase_add_test(tc, test_registry_memory_lookup_does_not_register);
    tcase_add_test(tc, test_registry_get_by_id_is_cached);
    tcase_add_test(tc, test_registry_unknown_id_is_not_found_and_not_cached);
    tcase_add_test(tc, test_registry_bad_arguments);
    tcase_add_test(tc, test_registry_out_of_memory_never_crashes);
    suite_add_tcase(s, tc);
    tc = tcase_create("retry");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc,
                   test_registry_unavailable_retries_then_gives_up_retriable);
    tcase_add_test(tc, test_registry_zero_retry_timeout_makes_one_attempt);
    tcase_add_test(tc, test_registry_waits_for_registry_to_come_back);
    tcase_add_test(tc, test_registry_interrupt_ends_an_endless_retry);
    tcase_add_test(tc, test_registry_concurrent_misses_share_one_fetch);
    tcase_add_test(tc, test_registry_concurrent_misses_share_one_failure);
    suite_add_tcase(s, tc);
    tc = tcase_create("conf");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_registry_conf_rows_are_checked_when_set);
    tcase_add_test(tc, test_registry_conf_settings_and_log_reach_the_client);
    tcase_add_test(tc, test_registry_http_needs_an_http_url);
    tcase_add_test(tc, test_registry_http_down_retries_then_retriable_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(registry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
