/*
 * test_runtime_metrics.c: the app's HTTP endpoint (metrics.port) on the
 * real broker.
 *
 * - An app copying one topic to another serves /health (503 until it is
 *   RUNNING, then 200) and /metrics, whose weir_records_in_total and
 *   weir_records_out_total reach the number of records produced, with the
 *   state and thread gauges to match.
 * - A second app asking for the same port fails to start with
 *   WEIR_ERR_CONFIG naming metrics.port and the port.
 * - Closing the app releases the port.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"

#define RECORDS 50

/* A port nothing listens on right now (bound to 0, then released). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

typedef struct body_s {
    char *data;
    size_t len;
} body_t;

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    body_t *b = opaque;
    b->data = realloc(b->data, b->len + size * n + 1);
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

/* GET http://127.0.0.1:port@p path: the status (0: no connection) and
 * the body in *bodyp (free()). */
static long http_get(int port, const char *path, char **bodyp)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    body_t b = {calloc(1, 1), 0};
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (bodyp)
        *bodyp = b.data;
    else
        free(b.data);
    return status;
}

/* The value of the sample "<name>{application_id="<app_id>"<extra>}", or
 * -1 when the scrape has no such line. */
static int64_t sample(const char *body, const char *name, const char *app_id,
                      const char *extra)
{
    char prefix[512];
    snprintf(prefix, sizeof(prefix), "%s{application_id=\"%s\"%s} ", name,
             app_id, extra);
    for (const char *p = body; p && *p;) {
        if (!strncmp(p, prefix, strlen(prefix)))
            return strtoll(p + strlen(prefix), NULL, 10);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

static weir_topology_t *copy_topology(const char *in, const char *out)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *s = weir_stream(topo, in, weir_serde_string(),
                                    weir_serde_string());
    weir_kstream_to(s, out, NULL, NULL);
    return topo;
}

static weir_conf_t *conf_for(const char *app_id, const char *state, int port)
{
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", port);
    weir_conf_t *conf = weir_conf_new();
    const char *props[][2] = {
        {"application.id", app_id},
        {"bootstrap.servers", weir_test_bootstrap()},
        {"state.dir", state},
        {"commit.interval.ms", "100"},
        {"consumer.session.timeout.ms", "6000"},
        {"metrics.port", port_s},
        {"log.level", "5"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        ck_assert_ptr_null(weir_conf_set(conf, props[i][0], props[i][1]));
    return conf;
}

START_TEST(test_runtime_metrics_scraped_while_records_flow)
{
    char *in = weir_test_unique_name("metrics-in");
    char *out = weir_test_unique_name("metrics-out");
    char *app_id = weir_test_unique_name("metrics");
    weir_test_create_topic(in, 1);
    weir_test_create_topic(out, 1);
    char *state = weir_test_tmpdir_new("weir-metrics");
    int port = free_port();

    weir_error_t *err = NULL;
    weir_app_t *app = weir_app_new(copy_topology(in, out),
                                   conf_for(app_id, state, port), &err);
    ck_assert_msg(app, "%s", weir_error_string(err));
    /* Nothing is served before start. */
    ck_assert_int_eq(http_get(port, "/health", NULL), 0);
    err = weir_app_start(app);
    ck_assert_msg(!err, "%s", weir_error_string(err));

    /* Served from the end of start: 503 until RUNNING, then 200. */
    char *body = NULL;
    long status = 0;
    for (int i = 0; i < 600 && status != 200; i++) {
        free(body);
        status = http_get(port, "/health", &body);
        ck_assert_msg(status == 200 || status == 503, "/health: %ld", status);
        if (status == 503)
            ck_assert_msg(!strstr(body, "\"RUNNING\""), "503 with %s", body);
        if (status != 200)
            usleep(100 * 1000);
    }
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(body, "{\"state\":\"RUNNING\"}\n");
    free(body);

    rd_kafka_t *rk = weir_test_producer();
    for (int i = 0; i < RECORDS; i++) {
        char key[16], value[32];
        snprintf(key, sizeof(key), "k%d", i % 5);
        int n = snprintf(value, sizeof(value), "v%d", i);
        weir_test_produce(rk, in, 0, key, value, (size_t)n, 0);
    }
    ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);

    /* Scrape until every record is counted in and out. */
    int64_t in_n = -1, out_n = -1;
    body = NULL;
    for (int i = 0; i < 600 && !(in_n == RECORDS && out_n == RECORDS); i++) {
        free(body);
        ck_assert_int_eq(http_get(port, "/metrics", &body), 200);
        in_n = sample(body, "weir_records_in_total", app_id, "");
        out_n = sample(body, "weir_records_out_total", app_id, "");
        ck_assert_msg(in_n >= 0 && in_n <= RECORDS, "%s", body);
        if (!(in_n == RECORDS && out_n == RECORDS))
            usleep(100 * 1000);
    }
    ck_assert_msg(in_n == RECORDS && out_n == RECORDS,
                  "records in %" PRId64 ", out %" PRId64 ":\n%s", in_n, out_n,
                  body);
    ck_assert_int_eq((int64_t)weir_app_metric(app, "records-in"), RECORDS);
    ck_assert_int_eq(
        sample(body, "weir_app_state", app_id, ",state=\"RUNNING\""), 1);
    ck_assert_int_eq(
        sample(body, "weir_app_state", app_id, ",state=\"ERROR\""), 0);
    ck_assert_int_eq(sample(body, "weir_stream_threads", app_id, ""), 1);
    ck_assert_int_ge(sample(body, "weir_rebalances_total", app_id, ""), 1);
    ck_assert_int_eq(sample(body, "weir_dropped_records_total", app_id, ""),
                     0);
    ck_assert_ptr_nonnull(
        strstr(body, "# TYPE weir_records_in_total counter\n"));
    /* No persistent store: no RocksDB memory lines. */
    ck_assert_ptr_null(strstr(body, "weir_store_"));
    free(body);
    /* Commits follow (every 100 ms). */
    int64_t commits = 0;
    for (int i = 0; i < 100 && commits < 1; i++) {
        ck_assert_int_eq(http_get(port, "/metrics", &body), 200);
        commits = sample(body, "weir_commits_total", app_id, "");
        free(body);
        if (commits < 1)
            usleep(100 * 1000);
    }
    ck_assert_int_ge(commits, 1);

    /* A second app on the same port: a clear start-up error. */
    char *other_id = weir_test_unique_name("metrics-other");
    char *other_state = weir_test_tmpdir_new("weir-metrics-other");
    weir_app_t *other = weir_app_new(
        copy_topology(in, out), conf_for(other_id, other_state, port), &err);
    ck_assert_msg(other, "%s", weir_error_string(err));
    err = weir_app_start(other);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CONFIG);
    char want[128];
    snprintf(want, sizeof(want),
             "metrics.port: cannot serve metrics on "
             "127.0.0.1:%d: Address already in use",
             port);
    ck_assert_str_eq(weir_error_string(err), want);
    weir_error_destroy(err);
    weir_app_destroy(other);
    /* The first app still serves. */
    ck_assert_int_eq(http_get(port, "/health", NULL), 200);

    ck_assert_ptr_null(weir_app_close(app, 30000));
    /* Closed: the port is released. */
    ck_assert_int_eq(http_get(port, "/metrics", NULL), 0);
    weir_app_destroy(app);

    weir_test_tmpdir_remove(other_state);
    weir_test_tmpdir_remove(state);
    free(other_id);
    free(other_state);
    free(state);
    free(app_id);
    free(out);
    free(in);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("runtime_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_runtime_metrics_scraped_while_records_flow);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(metrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
