/*
 * conf_int.h: the property table and typed access to a conf, for the
 * runtime. Public API in weir/conf.h.
 */
#ifndef WEIR_CONF_INT_H
#define WEIR_CONF_INT_H

#include <weir/conf.h>

#include "log_int.h"

typedef enum weir__prop_type_e {
    WEIR__PROP_STR,
    WEIR__PROP_INT,
    WEIR__PROP_BOOL,
    WEIR__PROP_ENUM,
} weir__prop_type_t;

/* One row of the property table (conf_props.c). */
typedef struct weir__prop_s {
    const char *name;
    weir__prop_type_t type;
    const char *def;    /* default, or NULL: unset (doc says what then) */
    int64_t min, max;   /* INT */
    const char *values; /* ENUM: "a,b,c" */
    bool to_rdkafka;    /* also passed to librdkafka clients */
    const char *doc;
} weir__prop_t;

extern const weir__prop_t weir__props[];
extern const size_t weir__props_cnt;

const weir__prop_t *weir__prop_find(const char *name);

/* Typed getters; the value was validated when set, so they cannot fail. */
int64_t weir__conf_get_int(const weir_conf_t *conf, const char *name);
bool weir__conf_get_bool(const weir_conf_t *conf, const char *name);

/* The commit interval in effect: the property, or 100 ms under
 * exactly_once_v2 and 30 s under at_least_once. */
int64_t weir__conf_commit_interval_ms(const weir_conf_t *conf);

/* commit.interval.max.ms, or its default; never below the interval. */
int64_t weir__conf_commit_interval_max_ms(const weir_conf_t *conf);

bool weir__conf_is_eos(const weir_conf_t *conf);

/* The logger this conf describes (callback, opaque, log.level, debug). */
weir__logger_t weir__conf_logger(const weir_conf_t *conf);

void *weir__conf_opaque(const weir_conf_t *conf);

/* The state listener set with weir_conf_set_state_cb(), or NULL. */
weir_app_state_cb_t *weir__conf_state_cb(const weir_conf_t *conf);

/*
 * The librdkafka properties for a client of @p kind ("consumer",
 * "producer" or "admin"): unprefixed librdkafka keys, then those with the
 * kind's prefix. Calls @p cb for each, in the order they were set.
 */
typedef weir_error_t *(weir__rdkafka_prop_cb_t)(void *opaque, const char *key,
                                                const char *value);
weir_error_t *weir__conf_foreach_rdkafka(const weir_conf_t *conf,
                                         const char *kind,
                                         weir__rdkafka_prop_cb_t *cb,
                                         void *opaque);

#endif /* WEIR_CONF_INT_H */
