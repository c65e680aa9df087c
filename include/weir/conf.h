/**
 * @file conf.h
 * @brief Application configuration: string properties, validated when set.
 *
 * Properties weir owns (application.id, processing.guarantee, state.dir,
 * ...) are checked against their type, range and allowed values when set;
 * the reference is CONFIGURATION.md, generated from the property table.
 * Every other key is librdkafka's: it is checked by librdkafka itself
 * (an unknown key is rejected) and passed to the consumers, producers and
 * admin clients weir creates. `consumer.<key>` and `producer.<key>` go
 * only to that kind of client.
 *
 * @code
 * weir_conf_t *conf = weir_conf_new();
 * weir_error_t *err = weir_conf_load_file(conf, "app.properties");
 * if (!err)
 *     err = weir_conf_set(conf, "num.stream.threads", "2");
 * @endcode
 *
 * **Callbacks** are registered here, one setter each
 * (weir_conf_set_log_cb(), weir_conf_set_state_cb()), and all of them get
 * the one opaque of weir_conf_set_opaque(). Objects that have no conf
 * (the state stores of weir/statestore.h) take a callback and its opaque
 * together instead.
 *
 * @remark A conf is built on one thread; once handed to an app it is
 *         read-only.
 */
#ifndef WEIR_CONF_H
#define WEIR_CONF_H

#include <weir/app_state.h>
#include <weir/error.h>
#include <weir/log.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_conf_s weir_conf_t;

/** @brief A configuration with every default set. NULL when out of memory. */
WEIR_EXPORT weir_conf_t *weir_conf_new(void);

/** @brief A deep copy (callbacks and opaque included). */
WEIR_EXPORT weir_conf_t *weir_conf_dup(const weir_conf_t *conf);

/** @brief Frees the conf. NULL is fine. */
WEIR_EXPORT void weir_conf_destroy(weir_conf_t *conf);

/**
 * @brief Sets @p name to @p value.
 * @returns NULL, or WEIR_ERR_CONFIG naming the key and what is wrong
 *          (unknown key, not a number, out of range, not one of the
 *          allowed values). The conf is unchanged on error.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_conf_set(weir_conf_t *conf, const char *name,
                                        const char *value);

/**
 * @brief The value of @p name (a default, or what was set), or NULL when
 *        it is unset and has no default.
 * @remark Lives until the property is set again or the conf is destroyed.
 */
WEIR_EXPORT const char *weir_conf_get(const weir_conf_t *conf,
                                      const char *name);

/**
 * @brief Reads a properties file: `key=value` (or `key: value`) lines,
 *        `#` and `!` comments, blank lines; whitespace around keys and
 *        values is trimmed.
 * @returns NULL, or WEIR_ERR_CONFIG / WEIR_ERR_IO naming the file and the
 *          line. Lines before a bad one stay applied.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_conf_load_file(weir_conf_t *conf,
                                              const char *path);

/**
 * @brief Called for each `key=value` of a properties file.
 * @returns NULL to go on, or an error that stops the parse (it is returned
 *          by weir_properties_parse_file(), prefixed with file and line).
 */
typedef weir_error_t *(weir_property_cb_t)(void *opaque, const char *key,
                                           const char *value);

/**
 * @brief Parses a properties file with the syntax of weir_conf_load_file(),
 *        handing each pair to @p cb. Applications use it to read their own
 *        keys from the same file as weir's.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_properties_parse_file(const char *path,
                                                     weir_property_cb_t *cb,
                                                     void *opaque);

/**
 * @brief Applies one `key=value` override (e.g. from a command line).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_conf_set_pair(weir_conf_t *conf,
                                             const char *pair);

/**
 * @brief Checks what only the whole conf can tell: required properties set
 *        (application.id, bootstrap.servers) and combinations.
 * @returns NULL or WEIR_ERR_CONFIG naming the key.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_conf_validate(const weir_conf_t *conf);

/**
 * @brief Sets the log callback (default: weir_log_stderr).
 * @remark It gets the conf's opaque (weir_conf_set_opaque()).
 */
WEIR_EXPORT void weir_conf_set_log_cb(weir_conf_t *conf, weir_log_cb_t *cb);

/**
 * @brief Sets the listener of the app's state changes (default: none).
 * @remark It gets the conf's opaque (weir_conf_set_opaque()); see
 *         weir_app_state_cb_t for the thread it runs on. Read when the
 *         app is made (weir_app_new()).
 */
WEIR_EXPORT void weir_conf_set_state_cb(weir_conf_t *conf,
                                        weir_app_state_cb_t *cb);

/**
 * @brief Sets the one opaque passed to every callback of the conf (log,
 *        state listener).
 */
WEIR_EXPORT void weir_conf_set_opaque(weir_conf_t *conf, void *opaque);

/**
 * @brief Writes the property reference as Markdown (CONFIGURATION.md is
 *        generated with this).
 * @returns a string to free with weir_free(), or NULL when out of memory.
 */
WEIR_EXPORT char *weir_conf_reference_markdown(void);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_CONF_H */
