/*
 * http.c: the runtime's HTTP endpoint, on libmicrohttpd.
 *
 * When metrics.port is set, weir_app_start() starts this server on
 * metrics.host:metrics.port and weir_app_close() stops it. It answers
 *
 *   GET /metrics  the app's counters and gauges in the Prometheus text
 *                 exposition format 0.0.4: counters weir_<name>_total, one
 *                 per entry of WEIR__METRICS (runtime_int.h), gauges
 *                 weir_<name>, one per entry of WEIR__GAUGES (restores,
 *                 standbys), and gauges for the app state, live stream
 *                 threads and RocksDB memory, every sample labelled
 *                 application_id="...";
 *   GET /health   200 {"state":"RUNNING"} when the app is RUNNING, else
 *                 503 with the state, for liveness/readiness probes;
 *
 * 404 for any other path and 405 (with Allow) for any other method. HEAD
 * is answered as GET without the body, as HTTP requires.
 *
 * Design. libmicrohttpd runs one internal polling thread
 * (MHD_USE_INTERNAL_POLLING_THREAD); each answer is rendered from scratch
 * on it: counters are atomic loads of rt->eng.metrics, the state comes from
 * the app's callback, memory from weir_store_env_memory() (thread-safe).
 * Nothing is cached, so a scrape always sees current figures, and the
 * server holds no lock that a stream thread could wait on. The server
 * never touches the app's struct: what it needs comes through
 * weir__http_src_t, whose contents the app keeps alive until
 * weir__http_stop() (which joins the server thread) returns.
 *
 * Start-up errors are clear: an unresolvable metrics.host or a port that
 * cannot be bound (in use, privileged) is WEIR_ERR_CONFIG naming the key
 * and the address, with the system's reason. libmicrohttpd binds the
 * socket itself (so it owns and closes it); when it fails, a probe bind
 * of the same address recovers the errno it does not return.
 * libmicrohttpd's own messages go to the app's logger, never to stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include <weir/buf.h>

#include "alloc_int.h"
#include "http_int.h"

/* A scrape is a few KiB; the cap only guards against a runaway. */
#define BODY_MAX ((size_t)1024 * 1024)

struct weir__http_s {
    weir__http_src_t src;
    struct MHD_Daemon *daemon;
    int port;
    atomic_bool started; /* libmicrohttpd's messages are logged once set */
    char start_msg[256]; /* its last message while starting */
};

/* --- rendering ---------------------------------------------------------- */

/* Text being built; the first error sticks and later appends do nothing. */
typedef struct out_s {
    weir_buf_t buf;
    weir_error_t *err;
} out_t;

static void out_printf(out_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void out_printf(out_t *out, const char *fmt, ...)
{
    if (out->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        out->err = weir_error_new(WEIR_ERR_INVALID_ARG, "metrics: bad format");
        return;
    }
    /* One byte more for vsnprintf's NUL, which the length then drops. */
    out->err = weir_buf_reserve(&out->buf, (size_t)n + 1);
    if (out->err)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)out->buf.data + out->buf.len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->buf.len += (size_t)n;
}

/* @p v with backslash and line feed escaped as \\ and \n, and double
 * quote as \" too when @p quote (label values; HELP text keeps it). */
static void out_escaped(out_t *out, const char *v, bool quote)
{
    for (const char *p = v; *p && !out->err; p++) {
        const char *esc = *p == '\\'           ? "\\\\"
                          : *p == '\n'         ? "\\n"
                          : *p == '"' && quote ? "\\\""
                                               : NULL;
        out->err = esc ? weir_buf_append(&out->buf, esc, 2)
                       : weir_buf_append(&out->buf, p, 1);
    }
}

/* "# HELP" and "# TYPE" of a family. */
static void out_family(out_t *out, const char *name, const char *type,
                       const char *help)
{
    out_printf(out, "# HELP %s ", name);
    out_escaped(out, help, false);
    out_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* One sample: name{application_id="..."[,label="value"]} value */
static void out_sample(out_t *out, const weir__rt_t *rt, const char *name,
                       const char *label, const char *label_value,
                       uint64_t value)
{
    out_printf(out, "%s{application_id=\"", name);
    out_escaped(out, rt->eng.app_id ? rt->eng.app_id : "", true);
    if (label) {
        out_printf(out, "\",%s=\"", label);
        out_escaped(out, label_value, true);
    }
    out_printf(out, "\"} %" PRIu64 "\n", value);
}

/* What each counter counts, by its weir_app_metric() name. */
static const struct {
    const char *name;
    const char *help;
} counter_help[] = {
    {"records-in", "Records consumed from the input topics and processed "
                   "(watermark markers excluded)."},
    {"records-out", "Records written to the output topics (repartition and "
                    "changelog records excluded)."},
    {"commits", "Commits of the stream threads (transactions under "
                "exactly_once_v2)."},
    {"aborts", "Transactions aborted, after which the tasks restarted from "
               "their last commit."},
    {"late-records", "Records dropped because their window had already "
                     "closed."},
    {"dropped-records", "Records dropped for any reason: late, skipped or "
                        "dead-lettered by an exception handler, or not "
                        "written by the producer."},
    {"dead-lettered", "Records sent to the dead-letter topic."},
    {"restored-records", "Changelog records replayed into state stores "
                         "while restoring."},
    {"standby-records", "Changelog records applied to standby replicas."},
    {"rebalances", "Partition assignments received by the stream threads."},
    {"restoring-tasks", "Active tasks whose stores are being restored; they "
                        "process once restored."},
    {"restore-records-remaining", "Changelog records still to replay before "
                                  "the restoring tasks can process."},
    {"standby-tasks", "Standby replicas kept by this instance "
                      "(num.standby.replicas)."},
    {"standby-lag-records", "Changelog records the standby replicas have not "
                            "applied yet, summed."},
    {"watermark-markers-out", "Watermark markers written to repartition "
                              "topics."},
};

static const char *help_of(const char *name)
{
    for (size_t i = 0; i < sizeof(counter_help) / sizeof(counter_help[0]); i++)
        if (!strcmp(counter_help[i].name, name))
            return counter_help[i].help;
    return "A metric of the application (see weir_app_metric()).";
}

/* "weir_<name with - as _>_total" */
static void counter_name(const char *name, char *buf, size_t size)
{
    int n = snprintf(buf, size, "weir_%s_total", name);
    for (int i = 0; i < n && (size_t)i < size; i++)
        if (buf[i] == '-')
            buf[i] = '_';
}

/* "weir_<name with - as _>" */
static void gauge_name(const char *name, char *buf, size_t size)
{
    int n = snprintf(buf, size, "weir_%s", name);
    for (int i = 0; i < n && (size_t)i < size; i++)
        if (buf[i] == '-')
            buf[i] = '_';
}

static void render_metrics(const weir__http_src_t *src, out_t *out)
{
    const weir__rt_t *rt = src->rt;
    char name[128];

#define WEIR__METRIC_RENDER(field, mname)             \
    counter_name(mname, name, sizeof(name));          \
    out_family(out, name, "counter", help_of(mname)); \
    out_sample(out, rt, name, NULL, NULL, atomic_load(&rt->eng.metrics.field));
    WEIR__METRICS(WEIR__METRIC_RENDER)
#undef WEIR__METRIC_RENDER

#define WEIR__GAUGE_RENDER(field, gname)                                \
    gauge_name(gname, name, sizeof(name));                              \
    out_family(out, name, "gauge", help_of(gname));                     \
    {                                                                   \
        int_fast64_t v = atomic_load(&rt->eng.gauges.field);            \
        out_sample(out, rt, name, NULL, NULL, v > 0 ? (uint64_t)v : 0); \
    }
    WEIR__GAUGES(WEIR__GAUGE_RENDER)
#undef WEIR__GAUGE_RENDER

    weir_app_state_t state = src->state(src->opaque);
    out_family(out, "weir_app_state", "gauge",
               "State of the application: 1 for the current state, 0 for "
               "the others.");
    for (int s = WEIR_APP_CREATED; s <= WEIR_APP_ERROR; s++)
        out_sample(out, rt, "weir_app_state", "state",
                   weir_app_state_name((weir_app_state_t)s),
                   s == (int)state ? 1 : 0);

    if (src->alive_threads) {
        int n = src->alive_threads(src->opaque);
        out_family(out, "weir_stream_threads", "gauge",
                   "Stream threads alive (started, neither stopped nor "
                   "failed).");
        out_sample(out, rt, "weir_stream_threads", NULL, NULL,
                   n > 0 ? (uint64_t)n : 0);
    }

    if (rt->eng.env) {
        weir_store_memory_t mem;
        weir_store_env_memory(rt->eng.env, &mem);
        out_family(out, "weir_store_memory_budget_bytes", "gauge",
                   "Memory budget of the RocksDB stores "
                   "(statestore.memory.bytes).");
        out_sample(out, rt, "weir_store_memory_budget_bytes", NULL, NULL,
                   mem.budget);
        out_family(out, "weir_store_block_cache_usage_bytes", "gauge",
                   "RocksDB block cache in use, memtable charges included.");
        out_sample(out, rt, "weir_store_block_cache_usage_bytes", NULL, NULL,
                   mem.cache_usage);
        out_family(out, "weir_store_block_cache_pinned_bytes", "gauge",
                   "Pinned part of the RocksDB block cache.");
        out_sample(out, rt, "weir_store_block_cache_pinned_bytes", NULL, NULL,
                   mem.cache_pinned);
        out_family(out, "weir_store_memtable_usage_bytes", "gauge",
                   "Memtables (write buffers) of every RocksDB store.");
        out_sample(out, rt, "weir_store_memtable_usage_bytes", NULL, NULL,
                   mem.memtable_usage);
    }
}

/* --- answering ---------------------------------------------------------- */

static void free_body(void *p)
{
    weir__free(p);
}

/* Queues @p len bytes of @p body (weir__malloc'd, taken in every case). */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *content_type, void *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, body,
                                                           free_body);
    if (!resp) {
        weir__free(body);
        return MHD_NO; /* libmicrohttpd closes the connection */
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status,
                                  const char *text)
{
    char *body = weir__strdup(text);
    if (!body)
        return MHD_NO;
    return reply(conn, status, "text/plain; charset=utf-8", body,
                 strlen(body));
}

static enum MHD_Result serve_metrics(weir__http_t *http,
                                     struct MHD_Connection *conn)
{
    out_t out = {.err = NULL};
    weir_buf_init(&out.buf, BODY_MAX);
    render_metrics(&http->src, &out);
    if (out.err) {
        weir__log(&http->src.rt->eng.log, WEIR_LOG_WARNING, "HTTP",
                  "/metrics: %s", weir_error_string(out.err));
        weir_error_destroy(out.err);
        weir_buf_free(&out.buf);
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                          "cannot render metrics\n");
    }
    size_t len;
    unsigned char *body = weir_buf_detach(&out.buf, &len);
    return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                 body, len);
}

static enum MHD_Result serve_health(weir__http_t *http,
                                    struct MHD_Connection *conn)
{
    weir_app_state_t state = http->src.state(http->src.opaque);
    json_t *j = json_pack("{s:s}", "state", weir_app_state_name(state));
    /* A state name is short: the fixed buffer always fits. */
    char text[128];
    size_t n = j ? json_dumpb(j, text, sizeof(text) - 1, JSON_COMPACT) : 0;
    json_decref(j);
    if (!n || n >= sizeof(text) - 1)
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                          "cannot render health\n");
    text[n++] = '\n';
    void *body = weir__memdup(text, n);
    if (!body)
        return MHD_NO;
    return reply(conn,
                 state == WEIR_APP_RUNNING ? MHD_HTTP_OK
                                           : MHD_HTTP_SERVICE_UNAVAILABLE,
                 "application/json", body, n);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    weir__http_t *http = cls;
    bool get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
               !strcmp(method, MHD_HTTP_METHOD_HEAD);
    bool metrics = !strcmp(url, "/metrics");
    bool health = !strcmp(url, "/health");
    if (!metrics && !health)
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    /* Answered before any request body is read: libmicrohttpd then closes
     * the connection instead of reading the rest. */
    if (!get)
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "method not allowed\n");
    return metrics ? serve_metrics(http, conn) : serve_health(http, conn);
}

/* libmicrohttpd's messages: kept for the start-up error while starting,
 * then logged. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    weir__http_t *http = cls;
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    if (!atomic_load(&http->started)) {
        snprintf(http->start_msg, sizeof(http->start_msg), "%s", msg);
        return;
    }
    weir__log(&http->src.rt->eng.log, WEIR_LOG_WARNING, "HTTP", "%s", msg);
}

/* --- lifecycle ---------------------------------------------------------- */

/* Why binding @p ai fails, by trying it the way libmicrohttpd does (with
 * SO_REUSEADDR, so a port in TIME_WAIT is not reported); 0: it binds. */
static int probe_bind(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    int rc = 0;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 1))
        rc = errno;
    close(fd);
    return rc;
}

weir_error_t *weir__http_start(const weir__http_src_t *src, const char *host,
                               int port, weir__http_t **httpp)
{
    *httpp = NULL;
    const char *open = strchr(host, ':') ? "[" : "";
    const char *close_ = *open ? "]" : "";
    if (port < 0 || port > 65535)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "metrics.port: %d is not a port", port);
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, service, &hints, &ai);
    if (gai || !ai) {
        weir_error_t *err = weir_error_new(
            WEIR_ERR_CONFIG, "metrics.host: cannot resolve \"%s\": %s", host,
            gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
        if (ai)
            freeaddrinfo(ai);
        return err;
    }
    /* The first address, as a client connecting to the name would try it
     * first. */
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) {
        freeaddrinfo(ai);
        return weir_error_new(WEIR_ERR_CONFIG,
                              "metrics.host: \"%s\" is not an IP address",
                              host);
    }

    weir__http_t *http = weir__calloc(1, sizeof(*http));
    if (!http) {
        freeaddrinfo(ai);
        return weir_error_new(WEIR_ERR_NOMEM, "http server");
    }
    http->src = *src;
    atomic_init(&http->started, false);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    http->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle,
                                    http, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                                    http, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                    MHD_OPTION_CONNECTION_TIMEOUT,
                                    (unsigned)10, MHD_OPTION_END);
    if (!http->daemon) {
        int code = probe_bind(ai);
        weir_error_t *err = weir_error_new(
            WEIR_ERR_CONFIG,
            "metrics.port: cannot serve metrics on %s%s%s:%d: %s", open, host,
            close_, port,
            code ? strerror(code)
                 : (http->start_msg[0] ? http->start_msg
                                       : "the HTTP server did not start"));
        freeaddrinfo(ai);
        weir__free(http);
        return err;
    }
    freeaddrinfo(ai);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(
        http->daemon, MHD_DAEMON_INFO_BIND_PORT);
    http->port = info && info->port ? info->port : port;
    atomic_store(&http->started, true);
    weir__log(&src->rt->eng.log, WEIR_LOG_INFO, "HTTP",
              "serving /metrics and /health on http://%s%s%s:%d/", open, host,
              close_, http->port);
    *httpp = http;
    return NULL;
}

int weir__http_port(const weir__http_t *http)
{
    return http->port;
}

void weir__http_stop(weir__http_t *http)
{
    if (!http || !http->daemon)
        return;
    MHD_stop_daemon(http->daemon);
    http->daemon = NULL;
}

void weir__http_destroy(weir__http_t *http)
{
    if (!http)
        return;
    weir__http_stop(http);
    weir__free(http);
}
