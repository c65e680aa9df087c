/*
 * registry_conf.c: the schema-registry client's public constructors,
 * weir_registry_http_new() and weir_registry_memory_new(), which take
 * their settings from a weir_conf_t: the schema.registry.* rows of the
 * property table (conf_props.c, documented in CONFIGURATION.md), and the
 * conf's log callback, opaque, log.level and debug contexts ("registry").
 *
 * One vocabulary. An application sets schema.registry.url and its
 * friends once, in the same properties file and weir_conf_t as every
 * other setting, and they are validated when set, with the key's name.
 * There is no second set of names for the registry, and no second
 * parser.
 *
 * Why the constructors live in the runtime layer, not next to the client
 * in framework/serde: weir_conf_t is the runtime's (checking the keys it
 * does not own takes librdkafka), and the layers go base -> statestore
 * -> serde -> topology -> runtime, each using only the ones before it.
 * So the serde layer's client takes a plain settings struct
 * (weir__registry_settings_t, registry_int.h) and knows no property
 * names; this file, above both, is the one place that maps the conf onto
 * it. The client copies what it needs: the conf is only read, and can go
 * on to weir_app_new() afterwards.
 */
#include <limits.h>
#include <string.h>

#include "alloc_int.h"
#include "conf_int.h"
#include "registry_int.h"

static long get_long(const weir_conf_t *conf, const char *name)
{
    int64_t v = weir__conf_get_int(conf, name);
    return v > LONG_MAX ? LONG_MAX : (long)v;
}

/* A copy of the string property @p name into *fieldp (NULL when unset or
 * empty); false when out of memory. */
static bool get_string(const weir_conf_t *conf, const char *name,
                       char **fieldp)
{
    const char *v = weir_conf_get(conf, name);
    *fieldp = v && *v ? weir__strdup(v) : NULL;
    return !(v && *v) || *fieldp;
}

/* The settings @p conf describes (NULL: every default). */
static weir__registry_settings_t *settings_new(const weir_conf_t *conf,
                                               weir_error_t **errp)
{
    weir_conf_t *defaults = NULL;
    if (!conf) {
        conf = defaults = weir_conf_new();
        if (!defaults) {
            *errp = weir_error_new(WEIR_ERR_NOMEM, "registry settings");
            return NULL;
        }
    }
    weir__registry_settings_t *s = weir__calloc(1, sizeof(*s));
    bool ok = s != NULL;
    if (ok) {
        ok =
            get_string(conf, "schema.registry.url", &s->url) &&
            get_string(conf, "schema.registry.basic.auth.user.info",
                       &s->userinfo) &&
            get_string(conf, "schema.registry.ssl.ca.location", &s->ca_file) &&
            get_string(conf, "schema.registry.ssl.certificate.location",
                       &s->cert_file) &&
            get_string(conf, "schema.registry.ssl.key.location", &s->key_file);
        s->verify = weir__conf_get_bool(conf, "schema.registry.ssl.verify");
        s->request_timeout_ms = get_long(conf, "schema.registry.timeout.ms");
        s->connect_timeout_ms = get_long(conf,
                                         "schema.registry.connect.timeout.ms");
        s->backoff_ms = get_long(conf, "schema.registry.retry.backoff.ms");
        s->backoff_max_ms = get_long(conf,
                                     "schema.registry.retry.backoff.max.ms");
        s->retry_timeout_ms = get_long(conf, "schema.registry.retry.max.ms");
        s->max_response = (size_t)weir__conf_get_int(
            conf, "schema.registry.max.response.bytes");
        s->log = weir__conf_logger(conf);
    }
    weir_conf_destroy(defaults);
    if (!ok) {
        weir__registry_settings_free(s);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "registry settings");
        return NULL;
    }
    return s;
}

/* A client of @p make from the settings of @p conf. */
static weir_registry_t *
new_client(weir_registry_t *(*make)(weir__registry_settings_t *s,
                                    weir_error_t **errp),
           const weir_conf_t *conf, weir_error_t **errp)
{
    *errp = NULL;
    weir__registry_settings_t *s = settings_new(conf, errp);
    weir_registry_t *reg = s ? make(s, errp) : NULL;
    if (!reg) /* the client takes the settings on success only */
        weir__registry_settings_free(s);
    return reg;
}

weir_registry_t *weir_registry_http_new(const weir_conf_t *conf,
                                        weir_error_t **errp)
{
    return new_client(weir__registry_new_http, conf, errp);
}

weir_registry_t *weir_registry_memory_new(const weir_conf_t *conf,
                                          weir_error_t **errp)
{
    return new_client(weir__registry_new_memory, conf, errp);
}
