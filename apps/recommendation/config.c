/*
 * config.c: the application's own settings (see rec_config.h).
 *
 * The keys sit in the same properties file as weir's; this module knows
 * only its own, checks each value when it is set (a bad one is rejected
 * with the key's name, as weir_conf_set() does) and checks the whole
 * once before the topology is built. Numbers are strict: no trailing
 * garbage, no overflow.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_config.h"

#define DEFAULT_CLICKS "flink.click.streams"
#define DEFAULT_SALES "flink.sales.records"
#define DEFAULT_RECS "flink.recommended.products"

static const char *const string_keys[] = {
    "topic.clicks",   "topic.sales",     "topic.recommendations",
    "inventory.file", "inventory.topic",
};

static const char *const number_keys[] = {
    "recommend.window.ms",
    "recommend.grace.ms",
    "recommend.count",
    "recommend.repeat.ttl.ms",
};

weir_error_t *rec_config_init(rec_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->topic_clicks = strdup(DEFAULT_CLICKS);
    cfg->topic_sales = strdup(DEFAULT_SALES);
    cfg->topic_recommendations = strdup(DEFAULT_RECS);
    cfg->window_ms = 5000;
    cfg->grace_ms = 1000;
    cfg->count = 6;
    cfg->repeat_ttl_ms = 600000;
    if (!cfg->topic_clicks || !cfg->topic_sales ||
        !cfg->topic_recommendations) {
        rec_config_free(cfg);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    return NULL;
}

void rec_config_free(rec_config_t *cfg)
{
    if (!cfg)
        return;
    free(cfg->topic_clicks);
    free(cfg->topic_sales);
    free(cfg->topic_recommendations);
    free(cfg->inventory_file);
    free(cfg->inventory_topic);
    cfg->topic_clicks = cfg->topic_sales = cfg->topic_recommendations = NULL;
    cfg->inventory_file = cfg->inventory_topic = NULL;
}

bool rec_config_is_key(const char *key)
{
    for (size_t i = 0; i < sizeof(string_keys) / sizeof(*string_keys); i++)
        if (!strcmp(key, string_keys[i]))
            return true;
    for (size_t i = 0; i < sizeof(number_keys) / sizeof(*number_keys); i++)
        if (!strcmp(key, number_keys[i]))
            return true;
    return false;
}

static weir_error_t *parse_int(const char *key, const char *value, int64_t min,
                               int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (!*value || *end || errno)
        return weir_error_new(WEIR_ERR_CONFIG, "%s: '%s' is not an integer",
                              key, value);
    if (v < min || v > max)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "%s: %lld is out of range [%" PRId64 ", %" PRId64
                              "]",
                              key, v, min, max);
    *out = v;
    return NULL;
}

static weir_error_t *set_string(char **slot, const char *key,
                                const char *value, bool allow_empty)
{
    if (!*value && !allow_empty)
        return weir_error_new(WEIR_ERR_CONFIG, "%s: must not be empty", key);
    char *copy = NULL;
    if (*value) {
        copy = strdup(value);
        if (!copy)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    free(*slot);
    *slot = copy; /* empty clears an optional setting */
    return NULL;
}

weir_error_t *rec_config_set(rec_config_t *cfg, const char *key,
                             const char *value)
{
    int64_t v;
    weir_error_t *err;
    if (!key || !value)
        return weir_error_new(WEIR_ERR_CONFIG, "NULL key or value");
    if (!strcmp(key, "topic.clicks"))
        return set_string(&cfg->topic_clicks, key, value, false);
    if (!strcmp(key, "topic.sales"))
        return set_string(&cfg->topic_sales, key, value, false);
    if (!strcmp(key, "topic.recommendations"))
        return set_string(&cfg->topic_recommendations, key, value, false);
    if (!strcmp(key, "inventory.file"))
        return set_string(&cfg->inventory_file, key, value, true);
    if (!strcmp(key, "inventory.topic"))
        return set_string(&cfg->inventory_topic, key, value, true);
    if (!strcmp(key, "recommend.window.ms")) {
        err = parse_int(key, value, 1, INT64_C(86400000) * 365, &v);
        if (!err)
            cfg->window_ms = v;
        return err;
    }
    if (!strcmp(key, "recommend.grace.ms")) {
        err = parse_int(key, value, 0, INT64_C(86400000) * 365, &v);
        if (!err)
            cfg->grace_ms = v;
        return err;
    }
    if (!strcmp(key, "recommend.count")) {
        err = parse_int(key, value, 1, 100, &v);
        if (!err)
            cfg->count = (int)v;
        return err;
    }
    if (!strcmp(key, "recommend.repeat.ttl.ms")) {
        err = parse_int(key, value, 0, INT64_C(86400000) * 365, &v);
        if (!err)
            cfg->repeat_ttl_ms = v;
        return err;
    }
    return weir_error_new(WEIR_ERR_CONFIG,
                          "%s: not a setting of the recommendation app", key);
}

weir_error_t *rec_config_validate(const rec_config_t *cfg)
{
    if (cfg->window_ms <= 0)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "recommend.window.ms: must be > 0");
    if (cfg->grace_ms < 0)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "recommend.grace.ms: must be >= 0");
    if (cfg->count < 1 || cfg->count > 100)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "recommend.count: must be in [1, 100]");
    if (cfg->repeat_ttl_ms < 0)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "recommend.repeat.ttl.ms: must be >= 0");
    if (!cfg->topic_clicks || !cfg->topic_sales || !cfg->topic_recommendations)
        return weir_error_new(WEIR_ERR_CONFIG, "topic.*: missing topic");
    const char *topics[] = {cfg->topic_clicks, cfg->topic_sales,
                            cfg->topic_recommendations, cfg->inventory_topic};
    for (size_t i = 0; i < 4; i++)
        for (size_t j = i + 1; j < 4; j++)
            if (topics[i] && topics[j] && !strcmp(topics[i], topics[j]))
                return weir_error_new(WEIR_ERR_CONFIG,
                                      "topic '%s' is configured twice "
                                      "(topic.* and inventory.topic must "
                                      "differ)",
                                      topics[i]);
    if (!cfg->inventory_file && !cfg->inventory_topic)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "inventory.file and inventory.topic: set at "
                              "least one");
    return NULL;
}

void rec_log(const rec_config_t *cfg, int level, const char *fmt, ...)
{
    if (!cfg || !cfg->log_cb)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg->log_cb(cfg->log_opaque, level, "RECOMMEND", msg);
}
