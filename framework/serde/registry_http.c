/*
 * registry_http.c: the HTTP backend of weir_registry_t, speaking the
 * Confluent Schema Registry REST API on libcurl and jansson.
 *
 * Three calls are all a serde needs (see notes on the ccompat surface):
 *   GET  <base>/schemas/ids/{id}          -> {"schema": "...", "schemaType"?}
 *   POST <base>/subjects/{s}/versions     -> {"id": N}        (register)
 *   POST <base>/subjects/{s}              -> {"id": N, ...}   (look up)
 * with Content-Type application/vnd.schemaregistry.v1+json. Confluent
 * serves them at the root, Apicurio 3 under /apis/ccompat/v7, Apicurio 2
 * under /apis/ccompat/v6 and v7. When the configured URL has a path, it is
 * the base; when it has none, the first request probes GET /subjects at the
 * root, then under v7, then v6, and keeps the first that answers 200 with
 * a JSON array. The
 * probe runs once per client under a mutex and only when a request needs
 * it, so constructing a client never blocks on the network.
 *
 * Every call here is one attempt; registry.c retries. What counts as
 * "unreachable" and so retriable: connect/resolve failures, timeouts, a
 * connection dropped mid-response, and HTTP 5xx, 408 and 429. Everything
 * else is an answer: 404 with the registry's error_code 40401/40403 is
 * "not found", 409 and 422 are schema errors, and other statuses
 * (including a 404 that is not the registry's) are non-retriable registry
 * errors carrying the registry's error_code, or the status, as the origin
 * code.
 *
 * The URL may be a comma-separated list of registries serving the same
 * data (as Confluent's clients allow): an attempt starts with the one that
 * answered last and moves on to the next while they cannot be reached.
 *
 * Each request uses its own curl easy handle, so threads never share one;
 * requests are rare behind the cache, so the lost connection reuse does not
 * matter. Responses are read into a weir_buf_t capped at
 * max.response.bytes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include <weir/buf.h>

#include "alloc_int.h"
#include "registry_int.h"

#define CT_SR "application/vnd.schemaregistry.v1+json"

typedef struct endpoint_s {
    char *url;  /* as configured, without a trailing '/' */
    char *base; /* the API base; NULL until probed (under probe_lock) */
} endpoint_t;

typedef struct http_backend_s {
    weir_registry_t *reg; /* back pointer: settings, request counter */
    endpoint_t *eps;      /* the comma-separated URLs of the settings */
    size_t n_eps;
    atomic_size_t current; /* the endpoint that answered last */
    pthread_mutex_t probe_lock;
} http_backend_t;

typedef struct http_resp_s {
    long status;
    weir_buf_t body;
    bool too_large;
} http_resp_t;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *opaque)
{
    http_resp_t *resp = opaque;
    size_t n = size * nmemb;
    weir_error_t *err = weir_buf_append(&resp->body, data, n);
    if (err) {
        resp->too_large = weir_error_code(err) == WEIR_ERR_TOO_LARGE;
        weir_error_destroy(err);
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Aborts a transfer in flight once the registry is interrupted (curl
 * calls this at least once a second, connecting included). */
static int on_progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return weir__registry_interrupted(opaque) ? 1 : 0;
}

static bool curl_retriable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/*
 * One request to @p url. On success (any HTTP status) resp->status and
 * resp->body are set; transport failures are errors (retriable when the
 * registry may come back).
 */
static weir_error_t *http_do(http_backend_t *hb, int64_t deadline_ms,
                             const char *method, const char *url,
                             const char *body, http_resp_t *resp)
{
    const weir__registry_settings_t *rs = weir__registry_settings(hb->reg);
    /* Never past the caller's deadline, so retry_timeout_ms bounds the
     * whole call, not only the time between requests. */
    long timeout_ms = rs->request_timeout_ms;
    if (deadline_ms >= 0) {
        int64_t left = deadline_ms - weir__mono_ms();
        if (left < timeout_ms)
            timeout_ms = left > 1 ? (long)left : 1;
    }
    resp->status = 0;
    resp->too_large = false;
    weir_buf_init(&resp->body, rs->max_response);
    CURL *curl = curl_easy_init();
    if (!curl)
        return weir_error_new(WEIR_ERR_NOMEM, "curl handle");
    struct curl_slist *headers = NULL, *h;
    h = curl_slist_append(headers, "Accept: " CT_SR
                                   ", application/vnd.schemaregistry+json"
                                   ", application/json");
    if (h)
        headers = h;
    if (h && body) {
        h = curl_slist_append(headers, "Content-Type: " CT_SR);
        if (h)
            headers = h;
    }
    if (!h) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        return weir_error_new(WEIR_ERR_NOMEM, "HTTP headers");
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     rs->connect_timeout_ms < timeout_ms
                         ? rs->connect_timeout_ms
                         : timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "weir/" WEIR_VERSION_STR);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, hb->reg);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    }
    if (rs->userinfo) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERPWD, rs->userinfo);
    }
    if (rs->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, rs->ca_file);
    if (rs->cert_file)
        curl_easy_setopt(curl, CURLOPT_SSLCERT, rs->cert_file);
    if (rs->key_file)
        curl_easy_setopt(curl, CURLOPT_SSLKEY, rs->key_file);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, rs->verify ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, rs->verify ? 2L : 0L);

    weir__registry_count_request(hb->reg);
    int64_t t0 = weir__mono_ms();
    CURLcode rc = curl_easy_perform(curl);
    weir_error_t *err = NULL;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
        weir__dbg(&rs->log, REGISTRY, "REGISTRY",
                  "%s %s -> %ld (%zu bytes, %" PRId64 " ms)", method, url,
                  resp->status, resp->body.len, weir__mono_ms() - t0);
    } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
        err = weir_error_new(WEIR_ERR_CANCELLED, "%s %s: interrupted", method,
                             url);
    } else if (resp->too_large) {
        err = weir_error_new(WEIR_ERR_REGISTRY,
                             "%s %s: response larger than "
                             "schema.registry.max.response.bytes (%zu)",
                             method, url, rs->max_response);
    } else {
        err = weir_error_new(WEIR_ERR_REGISTRY, "%s %s: %s", method, url,
                             *errbuf ? errbuf : curl_easy_strerror(rc));
        err = weir_error_set_origin_code(err, (int)rc);
        err = weir_error_set_retriable(err, curl_retriable(rc));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (err)
        weir_buf_free(&resp->body);
    return err;
}

/*
 * Turns a non-2xx answer into an error: retriable for 5xx/408/429, with
 * the registry's error_code and message when the body has them.
 */
static weir_error_t *status_error(weir_err_t code, const char *method,
                                  const char *url, const http_resp_t *resp)
{
    json_t *j = json_loadb((const char *)resp->body.data, resp->body.len, 0,
                           NULL);
    json_int_t ec = json_integer_value(json_object_get(j, "error_code"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    weir_error_t *err;
    if (msg)
        err = weir_error_new(
            code, "%s %s: HTTP %ld, error_code %" JSON_INTEGER_FORMAT ": %s",
            method, url, resp->status, ec, msg);
    else
        /* The body is not NUL-terminated: print at most its length. */
        err = weir_error_new(
            code, "%s %s: HTTP %ld: %.*s", method, url, resp->status,
            (int)(resp->body.len < 200 ? resp->body.len : 200),
            resp->body.len ? (const char *)resp->body.data : "");
    json_decref(j);
    err = weir_error_set_origin_code(err, ec ? (int)ec : (int)resp->status);
    if (resp->status >= 500 || resp->status == 408 || resp->status == 429)
        err = weir_error_set_retriable(err, true);
    return err;
}

static weir_error_t *probe(http_backend_t *hb, int64_t deadline_ms,
                           endpoint_t *ep)
{
    static const char *const paths[] = {"", "/apis/ccompat/v7",
                                        "/apis/ccompat/v6"};
    weir_error_t *err = NULL;
    pthread_mutex_lock(&hb->probe_lock);
    for (size_t i = 0; !ep->base && i < sizeof(paths) / sizeof(paths[0]);
         i++) {
        size_t n = strlen(ep->url) + strlen(paths[i]) + sizeof("/subjects");
        char *url = weir__malloc(n);
        char *base = weir__malloc(n);
        if (!url || !base) {
            weir__free(url);
            weir__free(base);
            err = weir_error_new(WEIR_ERR_NOMEM, "registry probe");
            break;
        }
        snprintf(base, n, "%s%s", ep->url, paths[i]);
        snprintf(url, n, "%s/subjects", base);
        http_resp_t resp;
        err = http_do(hb, deadline_ms, "GET", url, NULL, &resp);
        weir__free(url);
        if (err) {
            weir__free(base);
            break;
        }
        /* A registry lists its subjects as a JSON array; a web page or a
         * proxy's answer at the same path is not the API. */
        json_t *list = resp.status == 200
                           ? json_loadb((const char *)resp.body.data,
                                        resp.body.len, 0, NULL)
                           : NULL;
        bool is_api = json_is_array(list);
        json_decref(list);
        weir_buf_free(&resp.body);
        if (is_api) {
            const weir__registry_settings_t *rs = weir__registry_settings(
                hb->reg);
            weir__log(&rs->log, WEIR_LOG_INFO, "REGISTRY",
                      "schema registry API found at %s", base);
            ep->base = base;
        } else {
            weir__free(base);
        }
    }
    if (!err && !ep->base)
        err = weir_error_new(WEIR_ERR_REGISTRY,
                             "no Confluent-compatible registry API at %s "
                             "(tried /subjects, /apis/ccompat/v7, "
                             "/apis/ccompat/v6); give the API path in url",
                             ep->url);
    pthread_mutex_unlock(&hb->probe_lock);
    return err;
}

/*
 * One API call to one endpoint: @p path is appended to its base (probing
 * for it first when needed). On a 2xx answer, *jsonp is the parsed body;
 * otherwise *statusp tells which status, and the error is the one that
 * status maps to by default.
 */
static weir_error_t *endpoint_call(http_backend_t *hb, int64_t deadline_ms,
                                   endpoint_t *ep, const char *method,
                                   const char *path, const char *body,
                                   long *statusp, json_t **jsonp)
{
    *jsonp = NULL;
    *statusp = 0;
    pthread_mutex_lock(&hb->probe_lock);
    const char *base = ep->base;
    pthread_mutex_unlock(&hb->probe_lock);
    weir_error_t *err = NULL;
    if (!base) {
        err = probe(hb, deadline_ms, ep);
        if (err)
            return err;
        pthread_mutex_lock(&hb->probe_lock);
        base = ep->base;
        pthread_mutex_unlock(&hb->probe_lock);
    }
    size_t n = strlen(base) + strlen(path) + 1;
    char *url = weir__malloc(n);
    if (!url)
        return weir_error_new(WEIR_ERR_NOMEM, "registry URL");
    snprintf(url, n, "%s%s", base, path);
    http_resp_t resp;
    err = http_do(hb, deadline_ms, method, url, body, &resp);
    if (err) {
        weir__free(url);
        return err;
    }
    *statusp = resp.status;
    if (resp.status / 100 != 2) {
        err = status_error(WEIR_ERR_REGISTRY, method, url, &resp);
    } else {
        json_error_t jerr;
        *jsonp = json_loadb((const char *)resp.body.data, resp.body.len, 0,
                            &jerr);
        if (!*jsonp || !json_is_object(*jsonp)) {
            json_decref(*jsonp);
            *jsonp = NULL;
            err = weir_error_new(WEIR_ERR_REGISTRY,
                                 "%s %s: the answer is not a JSON object "
                                 "(%s)",
                                 method, url, jerr.text);
        }
    }
    weir__free(url);
    weir_buf_free(&resp.body);
    return err;
}

/*
 * One attempt of an API call: the endpoint that answered last first, then
 * the others in order, each once, while they cannot be reached. The
 * error of the last one tried is returned.
 */
static weir_error_t *api_call(http_backend_t *hb, int64_t deadline_ms,
                              const char *method, const char *path,
                              const char *body, long *statusp, json_t **jsonp)
{
    size_t start = atomic_load(&hb->current);
    weir_error_t *err = NULL;
    for (size_t k = 0; k < hb->n_eps; k++) {
        size_t i = (start + k) % hb->n_eps;
        weir_error_destroy(err);
        err = endpoint_call(hb, deadline_ms, &hb->eps[i], method, path, body,
                            statusp, jsonp);
        bool unreachable = err && weir_error_is_retriable(err) &&
                           weir_error_code(err) == WEIR_ERR_REGISTRY;
        if (!unreachable) {
            if (k > 0)
                atomic_store(&hb->current, i);
            return err;
        }
        if (k + 1 < hb->n_eps)
            weir__log(&weir__registry_settings(hb->reg)->log, WEIR_LOG_WARNING,
                      "REGISTRY", "%s; trying %s", weir_error_string(err),
                      hb->eps[(i + 1) % hb->n_eps].url);
    }
    return err;
}

static char *escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    if (!e)
        return NULL;
    char *copy = weir__strdup(e);
    curl_free(e);
    return copy;
}

static weir_error_t *http_get_by_id(void *be, int64_t deadline_ms, int32_t id,
                                    char **typep, char **textp)
{
    http_backend_t *hb = be;
    char path[64];
    snprintf(path, sizeof(path), "/schemas/ids/%" PRId32, id);
    long status;
    json_t *j;
    weir_error_t *err = api_call(hb, deadline_ms, "GET", path, NULL, &status,
                                 &j);
    if (err) {
        /* Only the registry's own "schema not found" means the id is
         * unknown. A 404 without it (a wrong API path, a proxy) must not
         * turn every record into bad data: it stays a registry error. */
        if (status == 404 && weir_error_origin_code(err) == 40403) {
            weir_error_t *nf = weir_error_new(
                WEIR_ERR_NOT_FOUND,
                "schema id %" PRId32 " not found in the registry (%s)", id,
                weir_error_string(err));
            nf = weir_error_set_origin_code(nf, weir_error_origin_code(err));
            weir_error_destroy(err);
            err = nf;
        }
        return err;
    }
    const char *text = json_string_value(json_object_get(j, "schema"));
    const char *type = json_string_value(json_object_get(j, "schemaType"));
    if (!text) {
        json_decref(j);
        return weir_error_new(WEIR_ERR_REGISTRY,
                              "schema id %" PRId32 ": the registry's answer "
                              "has no \"schema\"",
                              id);
    }
    *textp = weir__strdup(text);
    *typep = weir__strdup(type ? type : "AVRO");
    json_decref(j);
    if (!*textp || !*typep) {
        weir__free(*textp);
        weir__free(*typep);
        *textp = *typep = NULL;
        return weir_error_new(WEIR_ERR_NOMEM, "schema id %" PRId32, id);
    }
    return NULL;
}

static char *schema_body(const char *type, const char *text)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    int rc = json_object_set_new(j, "schema", json_string(text));
    if (!rc && strcmp(type, "AVRO"))
        rc = json_object_set_new(j, "schemaType", json_string(type));
    char *dumped = rc ? NULL : json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!dumped)
        return NULL;
    char *copy = weir__strdup(dumped);
    free(dumped); /* jansson allocates with malloc */
    return copy;
}

/* POST of @p text to /subjects/{subject}[suffix]; *idp on 2xx. */
static weir_error_t *subject_post(http_backend_t *hb, int64_t deadline_ms,
                                  const char *subject, const char *suffix,
                                  const char *type, const char *text,
                                  int32_t *idp, long *statusp)
{
    char *esc = escape(subject);
    char *body = schema_body(type, text);
    size_t n = esc ? strlen(esc) + strlen(suffix) + sizeof("/subjects/") : 0;
    char *path = esc ? weir__malloc(n) : NULL;
    if (!esc || !body || !path) {
        weir__free(esc);
        weir__free(body);
        weir__free(path);
        return weir_error_new(WEIR_ERR_NOMEM, "registry request");
    }
    snprintf(path, n, "/subjects/%s%s", esc, suffix);
    json_t *j;
    weir_error_t *err = api_call(hb, deadline_ms, "POST", path, body, statusp,
                                 &j);
    weir__free(esc);
    weir__free(body);
    weir__free(path);
    if (err)
        return err;
    json_t *jid = json_object_get(j, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
        json_integer_value(jid) > INT32_MAX) {
        json_decref(j);
        return weir_error_new(WEIR_ERR_REGISTRY,
                              "subject %s: the registry's answer has no "
                              "valid \"id\"",
                              subject);
    }
    *idp = (int32_t)json_integer_value(jid);
    json_decref(j);
    return NULL;
}

static weir_error_t *http_register(void *be, int64_t deadline_ms,
                                   const char *subject, const char *type,
                                   const char *text, int32_t *idp)
{
    long status;
    weir_error_t *err = subject_post(be, deadline_ms, subject, "/versions",
                                     type, text, idp, &status);
    if (err && (status == 409 || status == 422)) {
        /* The registry understood and refused the schema: that is the
         * schema's fault, not the registry's. */
        weir_error_t *serr = weir_error_new(
            WEIR_ERR_SCHEMA, "subject %s: schema %s: %s", subject,
            status == 409 ? "incompatible" : "rejected",
            weir_error_string(err));
        serr = weir_error_set_origin_code(serr, weir_error_origin_code(err));
        weir_error_destroy(err);
        err = serr;
    }
    return err;
}

static weir_error_t *http_lookup(void *be, int64_t deadline_ms,
                                 const char *subject, const char *type,
                                 const char *text, int32_t *idp, bool *foundp)
{
    long status;
    *foundp = false;
    weir_error_t *err = subject_post(be, deadline_ms, subject, "", type, text,
                                     idp, &status);
    int origin = weir_error_origin_code(err);
    if (err && status == 404 && (origin == 40401 || origin == 40403)) {
        /* No such subject, or the schema is not under it: both "not
         * found". Any other 404 is not the registry speaking. */
        weir_error_destroy(err);
        *idp = -1;
        return NULL;
    }
    if (!err)
        *foundp = true;
    return err;
}

static void http_destroy(void *be)
{
    http_backend_t *hb = be;
    for (size_t i = 0; i < hb->n_eps; i++) {
        weir__free(hb->eps[i].url);
        weir__free(hb->eps[i].base);
    }
    weir__free(hb->eps);
    pthread_mutex_destroy(&hb->probe_lock);
    weir__free(hb);
}

static const weir__registry_backend_ops_t http_ops = {
    .name = "http",
    .get_by_id = http_get_by_id,
    .register_schema = http_register,
    .lookup = http_lookup,
    .destroy = http_destroy,
};

/* True when @p url has a path after scheme://authority. */
static bool url_has_path(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return false;
    p = strchr(p + 3, '/');
    return p && p[1];
}

/*
 * Splits the comma-separated URL list into endpoints. Returns NULL, or a
 * CONFIG error naming the bad URL.
 */
static weir_error_t *parse_urls(http_backend_t *hb, const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", ");
        char *url = weir__strndup(p, len);
        if (!url)
            return weir_error_new(WEIR_ERR_NOMEM, "registry URL");
        p += len;
        if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
            weir_error_t *err = weir_error_new(
                WEIR_ERR_CONFIG,
                "schema.registry.url: \"%s\" is not http[s]://host:port"
                "[/path]",
                url);
            weir__free(url);
            return err;
        }
        bool has_path = url_has_path(url);
        while (len > 0 && url[len - 1] == '/')
            url[--len] = '\0';
        endpoint_t *eps = weir__realloc(hb->eps,
                                        (hb->n_eps + 1) * sizeof(*eps));
        char *base = has_path ? weir__strdup(url) : NULL;
        if (!eps || (has_path && !base)) {
            if (eps)
                hb->eps = eps;
            weir__free(url);
            weir__free(base);
            return weir_error_new(WEIR_ERR_NOMEM, "registry URL");
        }
        hb->eps = eps;
        hb->eps[hb->n_eps++] = (endpoint_t){url, base};
    }
    if (!hb->n_eps)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "schema.registry.url: must be set to "
                              "http[s]://host:port[/path][,...]");
    return NULL;
}

weir_registry_t *weir__registry_new_http(weir__registry_settings_t *s,
                                         weir_error_t **errp)
{
    *errp = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        *errp = weir_error_new(WEIR_ERR_REGISTRY, "curl_global_init: %s",
                               curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    http_backend_t *hb = weir__calloc(1, sizeof(*hb));
    if (!hb) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "schema registry client");
        return NULL;
    }
    pthread_mutex_init(&hb->probe_lock, NULL);
    atomic_init(&hb->current, 0);
    *errp = parse_urls(hb, s->url ? s->url : "");
    if (*errp) {
        http_destroy(hb);
        return NULL;
    }
    weir_registry_t *reg = weir__registry_new(&http_ops, hb, s, errp);
    if (!reg)
        return NULL;
    hb->reg = reg;
    return reg;
}
