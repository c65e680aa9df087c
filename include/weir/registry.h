/**
 * @file registry.h
 * @brief Schema-registry client: schema id -> schema text, and
 *        subject -> id (register or look up), with a cache.
 *
 * One weir_registry_t fronts one of two backends:
 * - **http**: a Confluent Schema Registry, or any registry that speaks its
 *   REST API: Apicurio's Confluent-compatible API (`/apis/ccompat/v7`, and
 *   `/apis/ccompat/v6` on Apicurio 2.x), Redpanda, Karapace;
 * - **memory**: an in-process registry with the same id semantics (the
 *   same schema text gets the same id under any subject), for tests and the
 *   embedded demo. It can be marked unavailable to test outage handling.
 *
 * **Configuration** is a weir_conf_t, the same one the application runs
 * with: the `schema.registry.*` properties (reference in
 * CONFIGURATION.md, checked by weir_conf_set() with the key's name), and
 * the conf's log callback and opaque, `log.level` and `debug` (context
 * `registry`) for the client's log lines.
 *
 * @code
 * weir_conf_t *conf = weir_conf_new();
 * err = weir_conf_load_file(conf, "app.properties");
 * // schema.registry.url=http://registry:8080/apis/ccompat/v7
 * // schema.registry.basic.auth.user.info=app:secret
 * weir_registry_t *reg = weir_registry_http_new(conf, &err);
 * weir_serde_t *clicks = weir_serde_avro_new(reg, schema, 0, &err);
 * ...
 * weir_app_t *app = weir_app_new(topo, conf, &err); // the same conf
 * @endcode
 *
 * The client caches what never changes: id -> schema (forever) and
 * (subject, schema) -> id. A cache miss for an id fetches it once, however
 * many threads ask at the same time: the others wait for that fetch and
 * share its result or its error.
 *
 * When the registry cannot be reached (connection refused, timeout, HTTP
 * 5xx/429/408, or a memory registry marked unavailable) a call retries with
 * exponential backoff (`schema.registry.retry.backoff.ms` doubling up to
 * `schema.registry.retry.backoff.max.ms`, with jitter) until
 * `schema.registry.retry.max.ms` has passed, then returns a
 * WEIR_ERR_REGISTRY error flagged retriable (weir_error_is_retriable()).
 * Callers must treat that as "try again later", never as bad data: a
 * record is never skipped because the registry was down. No request
 * outlasts what is left of `schema.registry.retry.max.ms`, so that bounds
 * a whole call (when it is above 0). weir_registry_interrupt() ends the
 * waiting early.
 *
 * Thread safety: every function may be called from any thread at the same
 * time, except weir_registry_destroy(), which must be the last call.
 * Schema references (Avro named types in other subjects) are not
 * supported.
 */
#ifndef WEIR_REGISTRY_H
#define WEIR_REGISTRY_H

#include <weir/conf.h>
#include <weir/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_registry_s weir_registry_t;
typedef struct weir_registry_schema_s weir_registry_schema_t;

/**
 * @brief A client of the HTTP registry at @p conf's `schema.registry.url`.
 *
 * Reads every `schema.registry.*` property of @p conf: the URL (with a
 * path, used as given; without one, the API is found at the first request
 * by probing `/subjects`, then `/apis/ccompat/v7`, then
 * `/apis/ccompat/v6`; several comma-separated registries serving the same
 * data: each attempt starts with the one that answered last), basic
 * auth, TLS (CA file, client certificate and key, verification),
 * timeouts, retries and the response size cap; and the conf's log
 * settings.
 *
 * @param conf only read: the client copies what it needs, so the conf
 *        stays the caller's and may go on to weir_app_new().
 * @returns the registry with one reference, or NULL with *errp set
 *          (WEIR_ERR_CONFIG naming `schema.registry.url` when it is unset
 *          or a URL in it is not http(s); WEIR_ERR_NOMEM).
 * @remark Does not contact the registry: the first call does, so an
 *         application can start while the registry is still coming up.
 *         Any thread; the conf must not change during the call.
 */
WEIR_EXPORT weir_registry_t *weir_registry_http_new(const weir_conf_t *conf,
                                                    weir_error_t **errp);

/**
 * @brief An in-process registry, empty; ids start at 1. For tests and the
 *        embedded demo.
 * @param conf its retry and log settings (`schema.registry.retry.*` and
 *        the conf's log callback, `log.level`, `debug`; the HTTP settings
 *        are ignored), only read; NULL for the defaults.
 * @returns the registry with one reference, or NULL with *errp set
 *          (WEIR_ERR_NOMEM).
 * @remark Any thread; the conf must not change during the call. The
 *         schemas live in the client: they go with its last reference.
 */
WEIR_EXPORT weir_registry_t *weir_registry_memory_new(const weir_conf_t *conf,
                                                      weir_error_t **errp);

/** @brief Takes another reference; returns @p reg. */
WEIR_EXPORT weir_registry_t *weir_registry_ref(weir_registry_t *reg);

/**
 * @brief Drops a reference; the last one frees the client and its cache.
 *        NULL is fine.
 * @remark No call on this registry may be running, and every schema it
 *         returned becomes invalid.
 */
WEIR_EXPORT void weir_registry_destroy(weir_registry_t *reg);

/**
 * @brief The schema with id @p id (cached forever once fetched).
 * @param schemap set to the schema, owned by @p reg and valid until the
 *        registry is destroyed.
 * @returns NULL; WEIR_ERR_NOT_FOUND when the registry says it has no
 *          such id (or the id is negative); WEIR_ERR_REGISTRY (retriable)
 *          when it could not be reached in `schema.registry.retry.max.ms`;
 *          WEIR_ERR_REGISTRY (not retriable) for any other answer, e.g.
 *          401 or a 404 that is not the registry's (wrong API path): a
 *          misconfiguration, never to be taken for bad data;
 *          WEIR_ERR_CANCELLED after weir_registry_interrupt().
 * @remark Blocks while fetching; concurrent misses for one id share one
 *         fetch.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_registry_get_by_id(weir_registry_t *reg, int32_t id,
                        const weir_registry_schema_t **schemap);

/**
 * @brief Registers @p text under @p subject, or finds it there already.
 * @param type "AVRO", "PROTOBUF" or "JSON"; NULL means "AVRO".
 * @param idp set to the schema's id.
 * @returns NULL; WEIR_ERR_SCHEMA when the registry refuses the schema
 *          (invalid: origin code 42201; incompatible: 409); the transport
 *          errors of weir_registry_get_by_id().
 * @remark Results are cached per (subject, type, text).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_registry_register(weir_registry_t *reg, const char *subject,
                       const char *type, const char *text, int32_t *idp);

/**
 * @brief Looks up @p text under @p subject without registering it.
 * @param foundp set to false (and *idp to -1) when the subject does not
 *        exist or does not hold this schema; that is not an error.
 * @returns NULL or a transport error as for weir_registry_get_by_id().
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_registry_lookup(weir_registry_t *reg,
                                               const char *subject,
                                               const char *type,
                                               const char *text, int32_t *idp,
                                               bool *foundp);

/**
 * @brief Makes every call that is waiting for the registry (backing off
 *        between retries, or in an HTTP request, which is aborted within
 *        about a second) return WEIR_ERR_CANCELLED, now and from then on.
 *        Cached answers are still served. For shutdown.
 */
WEIR_EXPORT void weir_registry_interrupt(weir_registry_t *reg);

/** @brief The schema's id. */
WEIR_EXPORT int32_t
weir_registry_schema_id(const weir_registry_schema_t *schema);

/** @brief "AVRO", "PROTOBUF" or "JSON". Lives as long as the schema. */
WEIR_EXPORT const char *
weir_registry_schema_type(const weir_registry_schema_t *schema);

/** @brief The schema text (for Avro, JSON). Lives as long as the schema. */
WEIR_EXPORT const char *
weir_registry_schema_text(const weir_registry_schema_t *schema);

/**
 * @brief Counters, for metrics and tests.
 * @remark Filled by weir_registry_stats() into the caller's struct;
 *         counters added later take their room from @c reserved (the
 *         library zeroes it), so the size does not change.
 */
typedef struct weir_registry_stats_s {
    uint64_t requests;     /**< requests sent to the backend (HTTP
                                requests, probes included) */
    uint64_t cache_hits;   /**< calls answered from the cache */
    uint64_t cache_misses; /**< calls that needed the backend */
    uint64_t retries;      /**< attempts repeated after a transport error */
    uint64_t reserved[4];  /**< zero; room for counters to come */
} weir_registry_stats_t;

/** @brief Copies the counters into @p stats. */
WEIR_EXPORT void weir_registry_stats(weir_registry_t *reg,
                                     weir_registry_stats_t *stats);

/**
 * @brief Marks an in-process registry (weir_registry_memory_new())
 *        unavailable or available again: while unavailable, calls that
 *        need it fail as an unreachable HTTP registry would (retried, then
 *        WEIR_ERR_REGISTRY retriable).
 * @returns NULL, or WEIR_ERR_INVALID_ARG for an HTTP registry.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_registry_memory_set_available(weir_registry_t *reg, bool available);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_REGISTRY_H */
