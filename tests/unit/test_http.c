/*
 * test_http.c: the runtime's HTTP endpoint (framework/runtime/http.c),
 * served from a hand-made weir__rt_t and read back with libcurl: the exact
 * Prometheus exposition lines of every counter and gauge, label escaping,
 * RocksDB memory when there is a store environment and none when there
 * is not, /health answering 200 only when RUNNING, 404 and 405, a port in
 * use as a clear start-up error, and stop releasing the port.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "http_int.h"

static weir__rt_t rt;
static atomic_int app_state;
static atomic_int alive;

static weir_app_state_t get_state(void *opaque)
{
    ck_assert_ptr_eq(opaque, &rt);
    return (weir_app_state_t)atomic_load(&app_state);
}

static int get_alive(void *opaque)
{
    (void)opaque;
    return atomic_load(&alive);
}

/* A server on a free port for a zeroed rt named @p app_id. */
static weir__http_t *start(const char *app_id)
{
    memset(&rt, 0, sizeof(rt));
    rt.eng.app_id = app_id;
    atomic_store(&app_state, WEIR_APP_RUNNING);
    atomic_store(&alive, 2);
    weir__http_src_t src = {&rt, get_state, get_alive, &rt};
    weir__http_t *http = NULL;
    weir_error_t *err = weir__http_start(&src, "127.0.0.1", 0, &http);
    ck_assert_msg(!err, "%s", weir_error_string(err));
    ck_assert_ptr_nonnull(http);
    ck_assert_int_gt(weir__http_port(http), 0);
    return http;
}

typedef struct resp_s {
    CURLcode code;
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char content_type[128];
    char allow[64];
} resp_t;

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    resp_t *r = opaque;
    r->body = realloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, p, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *opaque)
{
    resp_t *r = opaque;
    if (!strncasecmp(p, "Allow:", 6))
        snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(size * n - 6),
                 p + 6);
    r->allow[strcspn(r->allow, "\r\n")] = '\0';
    return size * n;
}

/* @p method on http://127.0.0.1:port@p path; @p data: a request body. */
static resp_t request(int port, const char *method, const char *path,
                      const char *data)
{
    resp_t r = {.body = calloc(1, 1)};
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (data)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    r.code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r.content_type, sizeof(r.content_type), "%s", ct ? ct : "");
    curl_easy_cleanup(c);
    return r;
}

static resp_t get(weir__http_t *http, const char *path)
{
    resp_t r = request(weir__http_port(http), "GET", path, NULL);
    ck_assert_msg(r.code == CURLE_OK, "GET %s: %s", path,
                  curl_easy_strerror(r.code));
    return r;
}

/* Asserts that @p body has @p line as a whole line. */
#define ck_assert_line(body, line)                               \
    do {                                                         \
        const char *b_ = (body), *l_ = (line);                   \
        size_t n_ = strlen(l_);                                  \
        bool found_ = false;                                     \
        for (const char *p_ = b_; p_ && *p_ && !found_;) {       \
            const char *e_ = strchr(p_, '\n');                   \
            size_t len_ = e_ ? (size_t)(e_ - p_) : strlen(p_);   \
            found_ = len_ == n_ && !memcmp(p_, l_, n_);          \
            p_ = e_ ? e_ + 1 : NULL;                             \
        }                                                        \
        ck_assert_msg(found_, "no line \"%s\" in:\n%s", l_, b_); \
    } while (0)

START_TEST(test_http_metrics_exposition_lines)
{
    weir__http_t *http = start("shop-app");
    atomic_store(&rt.eng.metrics.records_in, 42);
    atomic_store(&rt.eng.metrics.records_out, 7);
    atomic_store(&rt.eng.metrics.commits, 5);
    atomic_store(&rt.eng.metrics.dead_lettered, 1);
    atomic_store(&rt.eng.metrics.markers_out, 3);
    atomic_store(&rt.eng.metrics.rebalances, 2);
    resp_t r = get(http, "/metrics");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type,
                     "text/plain; version=0.0.4; charset=utf-8");
    const char *b = r.body;
    const char *id = "{application_id=\"shop-app\"}";
    char line[256];
#define COUNTER(name, value)                                             \
    snprintf(line, sizeof(line), "# TYPE weir_%s_total counter", name);  \
    ck_assert_line(b, line);                                             \
    snprintf(line, sizeof(line), "weir_%s_total%s %d", name, id, value); \
    ck_assert_line(b, line);
    COUNTER("records_in", 42);
    COUNTER("records_out", 7);
    COUNTER("commits", 5);
    COUNTER("aborts", 0);
    COUNTER("late_records", 0);
    COUNTER("dropped_records", 0);
    COUNTER("dead_lettered", 1);
    COUNTER("restored_records", 0);
    COUNTER("rebalances", 2);
    COUNTER("watermark_markers_out", 3);
#undef COUNTER
    ck_assert_line(b, "# HELP weir_records_in_total Records consumed from "
                      "the input topics and processed (watermark markers "
                      "excluded).");
    ck_assert_line(b, "# TYPE weir_app_state gauge");
    ck_assert_line(b, "weir_app_state{application_id=\"shop-app\","
                      "state=\"CREATED\"} 0");
    ck_assert_line(b, "weir_app_state{application_id=\"shop-app\","
                      "state=\"REBALANCING\"} 0");
    ck_assert_line(b, "weir_app_state{application_id=\"shop-app\","
                      "state=\"RUNNING\"} 1");
    ck_assert_line(b, "weir_app_state{application_id=\"shop-app\","
                      "state=\"PENDING_SHUTDOWN\"} 0");
    ck_assert_line(b, "weir_app_state{application_id=\"shop-app\","
                      "state=\"NOT_RUNNING\"} 0");
    ck_assert_line(b, "weir_app_state{application_id=\"shop-app\","
                      "state=\"ERROR\"} 0");
    ck_assert_line(b, "# TYPE weir_stream_threads gauge");
    ck_assert_line(b, "weir_stream_threads{application_id=\"shop-app\"} 2");
    /* No store environment: no RocksDB lines. */
    ck_assert_ptr_null(strstr(b, "weir_store_"));

    /* Every line is a HELP, a TYPE or a sample; every family has its
     * HELP then its TYPE before its samples; the body ends with a line
     * feed. */
    ck_assert_int_eq(b[r.len - 1], '\n');
    char family[128] = "";
    int samples = 0, families = 0;
    for (const char *p = b; *p;) {
        const char *e = strchr(p, '\n');
        ck_assert_ptr_nonnull(e);
        char l[512];
        snprintf(l, sizeof(l), "%.*s", (int)(e - p), p);
        if (!strncmp(l, "# HELP ", 7)) {
            snprintf(family, sizeof(family), "%.*s", (int)strcspn(l + 7, " "),
                     l + 7);
            families++;
            const char *next = e + 1;
            char type[160];
            snprintf(type, sizeof(type), "# TYPE %s ", family);
            ck_assert_msg(!strncmp(next, type, strlen(type)),
                          "no TYPE after %s", l);
        } else if (strncmp(l, "# TYPE ", 7)) {
            ck_assert_msg(!strncmp(l, family, strlen(family)) &&
                              l[strlen(family)] == '{',
                          "sample %s outside family %s", l, family);
            samples++;
        }
        p = e + 1;
    }
    /* One family per counter of WEIR__METRICS and per gauge of
     * WEIR__GAUGES, each with its own HELP (http.c's counter_help has a
     * row for it), then the state (one sample per state) and thread
     * gauges. */
#define ONE(field, name) +1
    enum {
        COUNTERS = 0 WEIR__METRICS(ONE)
    };
    enum {
        GAUGES = 0 WEIR__GAUGES(ONE)
    };
#undef ONE
    ck_assert_int_eq(families, COUNTERS + GAUGES + 2);
    ck_assert_int_eq(samples, COUNTERS + GAUGES + 6 + 1);
    ck_assert_msg(!strstr(b, "see weir_app_metric()"),
                  "a metric without its HELP text:\n%s", b);
    free(r.body);

    /* Figures are read at each scrape. */
    atomic_fetch_add(&rt.eng.metrics.records_in, 1);
    atomic_store(&app_state, WEIR_APP_REBALANCING);
    atomic_store(&alive, 1);
    r = get(http, "/metrics");
    ck_assert_line(r.body,
                   "weir_records_in_total{application_id=\"shop-app\"} 43");
    ck_assert_line(r.body, "weir_app_state{application_id=\"shop-app\","
                           "state=\"RUNNING\"} 0");
    ck_assert_line(r.body, "weir_app_state{application_id=\"shop-app\","
                           "state=\"REBALANCING\"} 1");
    ck_assert_line(r.body,
                   "weir_stream_threads{application_id=\"shop-app\"} 1");
    free(r.body);
    weir__http_destroy(http);
}
END_TEST

START_TEST(test_http_metrics_label_values_escaped)
{
    weir__http_t *http = start("a\"b\\c\nd");
    resp_t r = get(http, "/metrics");
    ck_assert_int_eq(r.status, 200);
    ck_assert_line(r.body,
                   "weir_commits_total{application_id=\"a\\\"b\\\\c\\nd\"} 0");
    free(r.body);
    weir__http_destroy(http);
}
END_TEST

START_TEST(test_http_metrics_store_memory_when_env)
{
    weir__http_t *http = start("mem");
    weir_error_t *err = NULL;
    rt.eng.env = weir_store_env_new(16 * 1024 * 1024, &err);
    ck_assert_msg(rt.eng.env, "%s", weir_error_string(err));
    resp_t r = get(http, "/metrics");
    ck_assert_line(r.body, "# TYPE weir_store_memory_budget_bytes gauge");
    ck_assert_line(r.body, "weir_store_memory_budget_bytes"
                           "{application_id=\"mem\"} 16777216");
    ck_assert_line(r.body, "# TYPE weir_store_block_cache_usage_bytes gauge");
    ck_assert_line(r.body, "# TYPE weir_store_block_cache_pinned_bytes gauge");
    ck_assert_line(r.body, "# TYPE weir_store_memtable_usage_bytes gauge");
    weir_store_memory_t mem;
    weir_store_env_memory(rt.eng.env, &mem);
    char line[256];
    snprintf(line, sizeof(line),
             "weir_store_memtable_usage_bytes{application_id=\"mem\"} %llu",
             (unsigned long long)mem.memtable_usage);
    ck_assert_line(r.body, line);
    ck_assert_ptr_nonnull(strstr(r.body, "weir_store_block_cache_usage_bytes"
                                         "{application_id=\"mem\"} "));
    free(r.body);
    weir__http_destroy(http);
    weir_store_env_destroy(rt.eng.env);
}
END_TEST

START_TEST(test_http_health_200_only_when_running)
{
    weir__http_t *http = start("h");
    resp_t r = get(http, "/health");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_str_eq(r.body, "{\"state\":\"RUNNING\"}\n");
    free(r.body);
    const weir_app_state_t others[] = {WEIR_APP_CREATED, WEIR_APP_REBALANCING,
                                       WEIR_APP_PENDING_SHUTDOWN,
                                       WEIR_APP_NOT_RUNNING, WEIR_APP_ERROR};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        atomic_store(&app_state, others[i]);
        r = get(http, "/health");
        ck_assert_int_eq(r.status, 503);
        char want[64];
        snprintf(want, sizeof(want), "{\"state\":\"%s\"}\n",
                 weir_app_state_name(others[i]));
        ck_assert_str_eq(r.body, want);
        free(r.body);
    }
    weir__http_destroy(http);
}
END_TEST

START_TEST(test_http_other_paths_404_other_methods_405)
{
    weir__http_t *http = start("m");
    int port = weir__http_port(http);
    const char *paths[] = {"/", "/metric", "/metrics/x", "/healthz"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        resp_t r = request(port, "GET", paths[i], NULL);
        ck_assert_int_eq(r.code, CURLE_OK);
        ck_assert_msg(r.status == 404, "%s: %ld", paths[i], r.status);
        free(r.body);
    }
    const char *methods[] = {"POST", "PUT", "DELETE"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        resp_t r = request(port, methods[i], "/metrics", "x=1");
        ck_assert_int_eq(r.code, CURLE_OK);
        ck_assert_msg(r.status == 405, "%s: %ld", methods[i], r.status);
        ck_assert_str_eq(r.allow, " GET, HEAD");
        free(r.body);
        r = request(port, methods[i], "/health", NULL);
        ck_assert_int_eq(r.status, 405);
        free(r.body);
    }
    /* HEAD is GET without the body; a query string is ignored. */
    resp_t r = request(port, "HEAD", "/metrics", NULL);
    ck_assert_int_eq(r.code, CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
    free(r.body);
    r = request(port, "GET", "/health?verbose=1", NULL);
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    /* The server still answers after all that. */
    r = get(http, "/metrics");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    weir__http_destroy(http);
}
END_TEST

START_TEST(test_http_port_in_use_is_a_config_error)
{
    weir__http_t *http = start("a");
    int port = weir__http_port(http);
    weir__http_src_t src = {&rt, get_state, get_alive, &rt};
    weir__http_t *second = (weir__http_t *)&src; /* must be reset */
    weir_error_t *err = weir__http_start(&src, "127.0.0.1", port, &second);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_null(second);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    char want[128];
    snprintf(want, sizeof(want),
             "metrics.port: cannot serve metrics on "
             "127.0.0.1:%d: Address already in use",
             port);
    ck_assert_str_eq(weir_error_string(err), want);
    weir_error_destroy(err);
    /* The first server is unharmed. */
    resp_t r = get(http, "/health");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    weir__http_destroy(http);
}
END_TEST

START_TEST(test_http_stop_releases_the_port)
{
    weir__http_t *http = start("s");
    int port = weir__http_port(http);
    weir__http_stop(http);
    weir__http_stop(http); /* idempotent */
    resp_t r = request(port, "GET", "/metrics", NULL);
    ck_assert_int_eq(r.code, CURLE_COULDNT_CONNECT);
    free(r.body);
    weir__http_destroy(http);
    weir__http_destroy(NULL);
    /* The same port can be served again at once. */
    weir__http_src_t src = {&rt, get_state, get_alive, &rt};
    weir_error_t *err = weir__http_start(&src, "127.0.0.1", port, &http);
    ck_assert_msg(!err, "%s", weir_error_string(err));
    ck_assert_int_eq(weir__http_port(http), port);
    r = get(http, "/health");
    ck_assert_int_eq(r.status, 200);
    free(r.body);
    weir__http_destroy(http);
}
END_TEST

START_TEST(test_http_ipv6_and_bad_address)
{
    memset(&rt, 0, sizeof(rt));
    rt.eng.app_id = "v6";
    atomic_store(&app_state, WEIR_APP_RUNNING);
    weir__http_src_t src = {&rt, get_state, NULL, &rt};
    weir__http_t *http = NULL;
    weir_error_t *err = weir__http_start(&src, "::1", 0, &http);
    if (err && weir_error_code(err) == WEIR_ERR_CONFIG &&
        strstr(weir_error_string(err), "Cannot assign requested address")) {
        /* No IPv6 loopback in this sandbox: nothing more to check. */
        weir_error_destroy(err);
    } else {
        ck_assert_msg(!err, "%s", weir_error_string(err));
        char url[128];
        snprintf(url, sizeof(url), "http://[::1]:%d/metrics",
                 weir__http_port(http));
        CURL *c = curl_easy_init();
        resp_t r = {.body = calloc(1, 1)};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
        ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
        curl_easy_cleanup(c);
        ck_assert_int_eq(r.status, 200);
        /* No thread callback: no thread gauge. */
        ck_assert_ptr_null(strstr(r.body, "weir_stream_threads"));
        ck_assert_ptr_nonnull(strstr(r.body, "weir_commits_total"));
        free(r.body);
        weir__http_destroy(http);
    }
    err = weir__http_start(&src, "127.0.0.1", 70000, &http);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "metrics.port"));
    weir_error_destroy(err);
    err = weir__http_start(&src, "1.2.3.4.5", 8080, &http);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "metrics."));
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_http_start_out_of_memory)
{
    memset(&rt, 0, sizeof(rt));
    weir__http_src_t src = {&rt, get_state, get_alive, &rt};
    weir__http_t *http = NULL;
    weir__alloc_fail_after(0);
    weir_error_t *err = weir__http_start(&src, "127.0.0.1", 0, &http);
    weir__alloc_fail_after(-1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOMEM);
    ck_assert_ptr_null(http);
    weir_error_destroy(err);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_http_metrics_exposition_lines);
    tcase_add_test(tc, test_http_metrics_label_values_escaped);
    tcase_add_test(tc, test_http_metrics_store_memory_when_env);
    suite_add_tcase(s, tc);
    tc = tcase_create("routes");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_http_health_200_only_when_running);
    tcase_add_test(tc, test_http_other_paths_404_other_methods_405);
    suite_add_tcase(s, tc);
    tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_http_port_in_use_is_a_config_error);
    tcase_add_test(tc, test_http_stop_releases_the_port);
    tcase_add_test(tc, test_http_ipv6_and_bad_address);
    tcase_add_test(tc, test_http_start_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
