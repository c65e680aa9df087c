/*
 * test_registry_protocol.c: the HTTP backend's side of the protocol,
 * against a scripted server (libmicrohttpd) that records what it receives
 * and answers what each test needs: Confluent's API at the root, basic
 * auth, content type and body, subject escaping, 5xx then success, 401,
 * 409, a response over max.response.bytes, a body that is not JSON, and a
 * server slower than request.timeout.ms. What a real registry answers is
 * tested against Apicurio in test_registry_http.c.
 */
#include <arpa/inet.h>
#include <check.h>
#include <microhttpd.h>
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

typedef struct server_s {
    struct MHD_Daemon *daemon;
    int port;
    pthread_mutex_t lock;
    int requests;
    int fail_first;  /* answer 503 to this many requests first */
    bool ui_at_root; /* a web page at the root, the API under ccompat/v7 */
    char last_url[512];
    char last_raw[512]; /* the path as sent, before unescaping */
    char last_method[16];
    char last_auth[256];
    char last_type[128];
    char last_body[1024];
} server_t;

static server_t srv;

typedef struct body_s {
    char data[1024];
    size_t len;
} body_t;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
                             const char *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type",
                            "application/vnd.schemaregistry.v1+json");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void copy_header(struct MHD_Connection *conn, const char *name,
                        char *out, size_t cap)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    snprintf(out, cap, "%s", v ? v : "");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    body_t *body = *con_cls;
    if (!body) {
        body = calloc(1, sizeof(*body));
        *con_cls = body;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (n > sizeof(body->data) - 1 - body->len)
            n = sizeof(body->data) - 1 - body->len;
        memcpy(body->data + body->len, upload, n);
        body->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&srv.lock);
    srv.requests++;
    bool fail = srv.fail_first > 0;
    if (fail)
        srv.fail_first--;
    snprintf(srv.last_url, sizeof(srv.last_url), "%s", url);
    snprintf(srv.last_method, sizeof(srv.last_method), "%s", method);
    copy_header(conn, "Authorization", srv.last_auth, sizeof(srv.last_auth));
    copy_header(conn, "Content-Type", srv.last_type, sizeof(srv.last_type));
    snprintf(srv.last_body, sizeof(srv.last_body), "%.*s", (int)body->len,
             body->data);
    pthread_mutex_unlock(&srv.lock);

    if (fail)
        return reply(conn, 503, "{\"error_code\":50301,\"message\":\"busy\"}");
    if (srv.ui_at_root) {
        if (!strcmp(url, "/subjects"))
            return reply(conn, 200, "<html>registry UI</html>");
        if (!strncmp(url, "/apis/ccompat/v7/", 17))
            url += 16;
        else
            return reply(conn, 404, "{}");
    }
    if (!strcmp(url, "/subjects"))
        return reply(conn, 200, "[]");
    if (!strcmp(url, "/schemas/ids/1"))
        return reply(conn, 200, "{\"schema\":\"\\\"string\\\"\"}");
    if (!strcmp(url, "/schemas/ids/2")) {
        static char big[4096];
        memset(big, ' ', sizeof(big) - 1);
        memcpy(big, "{\"schema\":\"x\"}", 14);
        return reply(conn, 200, big);
    }
    if (!strcmp(url, "/schemas/ids/3"))
        return reply(conn, 200, "<html>not json</html>");
    if (!strcmp(url, "/schemas/ids/4"))
        return reply(conn, 401,
                     "{\"error_code\":401,\"message\":\"Unauthorized\"}");
    if (!strcmp(url, "/schemas/ids/5")) {
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
        return reply(conn, 200, "{\"schema\":\"\\\"long\\\"\"}");
    }
    if (!strcmp(url, "/schemas/ids/6"))
        return reply(conn, 404,
                     "{\"error_code\":40403,\"message\":\"no schema\"}");
    if (!strcmp(url, "/subjects/missing"))
        return reply(conn, 404,
                     "{\"error_code\":40401,\"message\":\"no subject\"}");
    if (!strcmp(url, "/subjects/nowhere"))
        return reply(conn, 404, "<html>Not Found</html>");
    if (!strcmp(url, "/subjects/incompat/versions"))
        return reply(conn, 409,
                     "{\"error_code\":409,\"message\":\"incompatible\"}");
    if (!strncmp(url, "/subjects/", 10) && !strcmp(method, "POST"))
        return reply(conn, 200, "{\"id\":7}");
    return reply(conn, 404, "{\"error_code\":404,\"message\":\"nope\"}");
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

/* Sees the path before MHD unescapes it. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    if (s[0] == '/')
        snprintf(srv.last_raw, sizeof(srv.last_raw), "%s", s);
    return MHD_http_unescape(s);
}

static void server_start(void)
{
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.lock, NULL);
    srv.daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
        NULL, NULL, handle, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
    ck_assert_ptr_nonnull(srv.daemon);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(
        srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = info->port;
}

static void server_stop(void)
{
    MHD_stop_daemon(srv.daemon);
}

static weir_registry_t *client(const char *const *kv)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(weir_conf_set(conf, "schema.registry.url", url));
    ck_assert_ptr_null(
        weir_conf_set(conf, "schema.registry.retry.backoff.ms", "10"));
    for (; kv && kv[0]; kv += 2)
        ck_assert_ptr_null(weir_conf_set(conf, kv[0], kv[1]));
    weir_error_t *err = NULL;
    weir_registry_t *reg = weir_registry_http_new(conf, &err);
    weir_conf_destroy(conf);
    ck_assert_ptr_nonnull(reg);
    return reg;
}

START_TEST(test_registry_protocol_confluent_root_auth_and_body)
{
    static const char *const kv[] = {"schema.registry.basic.auth.user.info",
                                     "alice:s3cret", NULL};
    weir_registry_t *reg = client(kv);
    int32_t id;
    ck_assert_ptr_null(
        weir_registry_register(reg, "t-value", NULL, "\"string\"", &id));
    ck_assert_int_eq(id, 7);
    ck_assert_int_eq(srv.requests, 2); /* probe GET /subjects, then POST */
    ck_assert_str_eq(srv.last_method, "POST");
    ck_assert_str_eq(srv.last_url, "/subjects/t-value/versions");
    ck_assert_str_eq(srv.last_auth, "Basic YWxpY2U6czNjcmV0");
    ck_assert_str_eq(srv.last_type, "application/vnd.schemaregistry.v1+json");
    ck_assert_str_eq(srv.last_body, "{\"schema\":\"\\\"string\\\"\"}");

    ck_assert_ptr_null(weir_registry_register(reg, "p", "PROTOBUF",
                                              "syntax = \"proto3\";", &id));
    ck_assert_ptr_nonnull(
        strstr(srv.last_body, "\"schemaType\":\"PROTOBUF\""));

    const weir_registry_schema_t *s;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, 1, &s));
    ck_assert_str_eq(srv.last_method, "GET");
    ck_assert_str_eq(weir_registry_schema_text(s), "\"string\"");
    ck_assert_str_eq(weir_registry_schema_type(s), "AVRO");
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_probe_skips_a_page_that_is_not_the_api)
{
    srv.ui_at_root = true;
    weir_registry_t *reg = client(NULL);
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, 1, &s);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_str_eq(srv.last_url, "/apis/ccompat/v7/schemas/ids/1");
    ck_assert_int_eq(srv.requests, 3);
    weir_registry_destroy(reg);
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

START_TEST(test_registry_protocol_fails_over_to_the_next_url)
{
    char urls[128];
    snprintf(urls, sizeof(urls), "http://127.0.0.1:%d/, http://127.0.0.1:%d",
             closed_port(), srv.port);
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(weir_conf_set(conf, "schema.registry.url", urls));
    weir_error_t *err = NULL;
    weir_registry_t *reg = weir_registry_http_new(conf, &err);
    weir_conf_destroy(conf);
    ck_assert_ptr_nonnull(reg);
    const weir_registry_schema_t *s;
    err = weir_registry_get_by_id(reg, 1, &s);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_eq(st.retries, 0);  /* within one attempt */
    ck_assert_uint_eq(st.requests, 3); /* refused, probe, GET */
    /* The registry that answered is tried first from now on. */
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, "\"x\"", &id));
    weir_registry_stats(reg, &st);
    ck_assert_uint_eq(st.requests, 4);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_only_the_registrys_404_is_not_found)
{
    weir_registry_t *reg = client(NULL);
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, 6, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    ck_assert_int_eq(weir_error_origin_code(err), 40403);
    weir_error_destroy(err);
    /* A 404 that is not the registry's (the scripted server's generic
     * 404 has error_code 404): a registry error, not "unknown id". */
    err = weir_registry_get_by_id(reg, 77, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(!weir_error_is_retriable(err));
    weir_error_destroy(err);

    int32_t id;
    bool found = true;
    ck_assert_ptr_null(
        weir_registry_lookup(reg, "missing", NULL, "\"x\"", &id, &found));
    ck_assert(!found);
    err = weir_registry_lookup(reg, "nowhere", NULL, "\"x\"", &id, &found);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert_int_eq(weir_error_origin_code(err), 404);
    weir_error_destroy(err);

    /* A negative id costs no request. */
    weir_registry_stats_t st0, st1;
    weir_registry_stats(reg, &st0);
    err = weir_registry_get_by_id(reg, -3, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOT_FOUND);
    weir_error_destroy(err);
    weir_registry_stats(reg, &st1);
    ck_assert_uint_eq(st1.requests, st0.requests);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_subject_is_escaped)
{
    weir_registry_t *reg = client(NULL);
    int32_t id;
    bool found;
    ck_assert_ptr_null(
        weir_registry_lookup(reg, "a/b c?d", NULL, "\"int\"", &id, &found));
    ck_assert(found);
    ck_assert_str_eq(srv.last_raw, "/subjects/a%2Fb%20c%3Fd");
    ck_assert_str_eq(srv.last_url, "/subjects/a/b c?d");
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_5xx_is_retried)
{
    weir_registry_t *reg = client(NULL);
    const weir_registry_schema_t *s;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, 1, &s)); /* probes */
    srv.fail_first = 2;
    int32_t id;
    ck_assert_ptr_null(weir_registry_register(reg, "t", NULL, "\"x\"", &id));
    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_eq(st.retries, 2);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_error_answers_are_not_retried)
{
    weir_registry_t *reg = client(NULL);
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, 4, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(!weir_error_is_retriable(err));
    ck_assert_int_eq(weir_error_origin_code(err), 401);
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "Unauthorized"));
    weir_error_destroy(err);

    err = weir_registry_get_by_id(reg, 3, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(!weir_error_is_retriable(err));
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "not a JSON"));
    weir_error_destroy(err);

    int32_t id;
    err = weir_registry_register(reg, "incompat", NULL, "\"x\"", &id);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_SCHEMA);
    ck_assert_int_eq(weir_error_origin_code(err), 409);
    weir_error_destroy(err);

    weir_registry_stats_t st;
    weir_registry_stats(reg, &st);
    ck_assert_uint_eq(st.retries, 0);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_response_over_cap_is_an_error)
{
    static const char *const kv[] = {"schema.registry.max.response.bytes",
                                     "1024", NULL};
    weir_registry_t *reg = client(kv);
    const weir_registry_schema_t *s;
    weir_error_t *err = weir_registry_get_by_id(reg, 2, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "max.response"));
    weir_error_destroy(err);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_slow_answer_times_out_retriable)
{
    static const char *const kv[] = {"schema.registry.timeout.ms", "200",
                                     "schema.registry.retry.max.ms", "0",
                                     NULL};
    weir_registry_t *reg = client(kv);
    const weir_registry_schema_t *s;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, 1, &s)); /* probes */
    weir_error_t *err = weir_registry_get_by_id(reg, 5, &s);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert(weir_error_is_retriable(err));
    ck_assert_ptr_nonnull(strstr(weir_error_string(err), "timed out"));
    weir_error_destroy(err);
    weir_registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_protocol_tls_failure_is_not_retried)
{
    /* https to the plain-HTTP server: the handshake fails, which no retry
     * fixes. With a CA file that does not exist, likewise. */
    const char *const cas[] = {NULL, "/nonexistent/ca.pem"};
    for (int i = 0; i < 2; i++) {
        char url[64];
        snprintf(url, sizeof(url), "https://127.0.0.1:%d/api", srv.port);
        weir_conf_t *conf = weir_conf_new();
        ck_assert_ptr_null(weir_conf_set(conf, "schema.registry.url", url));
        ck_assert_ptr_null(
            weir_conf_set(conf, "schema.registry.retry.max.ms", "5000"));
        ck_assert_ptr_null(
            weir_conf_set(conf, "schema.registry.ssl.verify", "false"));
        if (cas[i])
            ck_assert_ptr_null(weir_conf_set(
                conf, "schema.registry.ssl.ca.location", cas[i]));
        weir_error_t *err = NULL;
        weir_registry_t *reg = weir_registry_http_new(conf, &err);
        weir_conf_destroy(conf);
        ck_assert_ptr_nonnull(reg);
        const weir_registry_schema_t *s;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        err = weir_registry_get_by_id(reg, 1, &s);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
        ck_assert_msg(!weir_error_is_retriable(err), "%s",
                      weir_error_string(err));
        ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 3);
        weir_error_destroy(err);
        weir_registry_destroy(reg);
    }
}
END_TEST

static void *interrupter(void *arg)
{
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL);
    weir_registry_interrupt(arg);
    return NULL;
}

START_TEST(test_registry_protocol_interrupt_aborts_request_in_flight)
{
    static const char *const kv[] = {"schema.registry.timeout.ms", "10000",
                                     NULL};
    weir_registry_t *reg = client(kv);
    const weir_registry_schema_t *s;
    ck_assert_ptr_null(weir_registry_get_by_id(reg, 1, &s)); /* probes */
    pthread_t th;
    pthread_create(&th, NULL, interrupter, reg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    weir_error_t *err = weir_registry_get_by_id(reg, 5, &s); /* 2 s */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(th, NULL);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_CANCELLED);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 +
              (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_lt(ms, 1900);
    weir_error_destroy(err);
    /* The cache still answers. */
    ck_assert_ptr_null(weir_registry_get_by_id(reg, 1, &s));
    weir_registry_destroy(reg);
}
END_TEST

static Suite *registry_protocol_suite(void)
{
    Suite *s = suite_create("registry_protocol");
    TCase *tc = tcase_create("scripted_server");
    tcase_add_checked_fixture(tc, server_start, server_stop);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_registry_protocol_confluent_root_auth_and_body);
    tcase_add_test(tc, test_registry_protocol_subject_is_escaped);
    tcase_add_test(tc, test_registry_protocol_fails_over_to_the_next_url);
    tcase_add_test(tc,
                   test_registry_protocol_only_the_registrys_404_is_not_found);
    tcase_add_test(
        tc, test_registry_protocol_probe_skips_a_page_that_is_not_the_api);
    tcase_add_test(tc, test_registry_protocol_5xx_is_retried);
    tcase_add_test(tc, test_registry_protocol_error_answers_are_not_retried);
    tcase_add_test(tc, test_registry_protocol_response_over_cap_is_an_error);
    tcase_add_test(tc, test_registry_protocol_slow_answer_times_out_retriable);
    tcase_add_test(tc,
                   test_registry_protocol_interrupt_aborts_request_in_flight);
    tcase_add_test(tc, test_registry_protocol_tls_failure_is_not_retried);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(registry_protocol_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
