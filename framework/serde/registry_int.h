/*
 * registry_int.h: the backend interface behind weir_registry_t, and the
 * settings both backends read.
 *
 * A backend makes single attempts; registry.c adds the cache, the
 * one-fetch-per-id rule and the retry loop around it. A backend reports
 * "could not reach the registry" as a retriable WEIR_ERR_REGISTRY error
 * (registry.c retries those), "no such id/subject" as WEIR_ERR_NOT_FOUND,
 * and anything else as a non-retriable error.
 */
#ifndef WEIR_REGISTRY_INT_H
#define WEIR_REGISTRY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <weir/registry.h>

#include "log_int.h"
#include "clock_int.h"

/*
 * What a client is set up with. The serde layer has no configuration
 * vocabulary of its own: framework/runtime/registry_conf.c fills this
 * from a weir_conf_t (the schema.registry.* properties, its log callback,
 * log.level and debug), where the names, defaults and ranges live.
 * Strings are weir__malloc'd (NULL: unset).
 */
typedef struct weir__registry_settings_s {
    char *url;      /* comma-separated http[s] URLs */
    char *userinfo; /* "user:password" */
    char *ca_file;
    char *cert_file;
    char *key_file;
    bool verify;
    long request_timeout_ms;
    long connect_timeout_ms;
    long backoff_ms;
    long backoff_max_ms;
    long retry_timeout_ms; /* -1: forever; 0: one attempt */
    size_t max_response;
    weir__logger_t log;
} weir__registry_settings_t;

/* Frees the strings of @p s and @p s itself. NULL is fine. */
void weir__registry_settings_free(weir__registry_settings_t *s);

/*
 * The two clients, from settings they take on success only (the caller
 * frees them on failure). The public constructors, which read a
 * weir_conf_t, are framework/runtime/registry_conf.c's.
 */
weir_registry_t *weir__registry_new_http(weir__registry_settings_t *s,
                                         weir_error_t **errp);
weir_registry_t *weir__registry_new_memory(weir__registry_settings_t *s,
                                           weir_error_t **errp);

/*
 * Each operation gets @p deadline_ms (weir__mono_ms() time, or -1 for
 * none): an attempt must not outlast it, so that retry_timeout_ms bounds
 * a whole call.
 */
typedef struct weir__registry_backend_ops_s {
    const char *name; /* "http", "memory" */
    /* *typep and *textp are weir__malloc'd, for the caller. */
    weir_error_t *(*get_by_id)(void *be, int64_t deadline_ms, int32_t id,
                               char **typep, char **textp);
    weir_error_t *(*register_schema)(void *be, int64_t deadline_ms,
                                     const char *subject, const char *type,
                                     const char *text, int32_t *idp);
    weir_error_t *(*lookup)(void *be, int64_t deadline_ms, const char *subject,
                            const char *type, const char *text, int32_t *idp,
                            bool *foundp);
    void (*destroy)(void *be);
} weir__registry_backend_ops_t;

/* Wraps a backend; takes @p be (always) and @p s (on success). */
weir_registry_t *weir__registry_new(const weir__registry_backend_ops_t *ops,
                                    void *be, weir__registry_settings_t *s,
                                    weir_error_t **errp);

/* The backend of @p reg when its ops are @p ops, else NULL. */
void *weir__registry_backend(weir_registry_t *reg,
                             const weir__registry_backend_ops_t *ops);

/* Counts one request sent to the backend (stats.requests). */
void weir__registry_count_request(weir_registry_t *reg);

/* True once weir_registry_interrupt() was called; cheap, any thread. */
bool weir__registry_interrupted(weir_registry_t *reg);

/* The settings of @p reg (read-only). */
const weir__registry_settings_t *
weir__registry_settings(const weir_registry_t *reg);

/* A copy of @p err: code, message and flags. */
weir_error_t *weir__error_copy(const weir_error_t *err);

#endif /* WEIR_REGISTRY_INT_H */
