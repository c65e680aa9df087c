/*
 * conf.c: weir_conf_t, the application's configuration.
 *
 * A conf holds one slot per row of the property table (conf_props.c) and
 * an ordered list of librdkafka properties. Everything is validated when
 * set, so a bad value is reported at its source (the file and line, or the
 * command-line flag) and the runtime's typed getters cannot fail. librdkafka
 * keys are validated by librdkafka itself on a scratch configuration, which
 * rejects unknown keys and bad values with its own message.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include <weir/buf.h>

#include "alloc_int.h"
#include "conf_int.h"

typedef struct rk_prop_s {
    char *key; /* as set, with its consumer./producer./admin. prefix */
    char *value;
} rk_prop_t;

struct weir_conf_s {
    char **values; /* weir__props_cnt slots; NULL: unset */
    rk_prop_t *rk;
    size_t rk_cnt, rk_cap;
    weir_log_cb_t *log_cb;
    weir_app_state_cb_t *state_cb;
    void *opaque;
};

/* librdkafka keys weir sets itself: a user value would break its
 * guarantees, so they are refused with the reason. */
static const struct {
    const char *key;
    const char *why;
} managed_keys[] = {
    {"group.id", "the group id is application.id"},
    {"transactional.id", "weir derives transactional ids from application.id"},
    {"enable.auto.commit", "weir commits offsets itself"},
    {"enable.auto.offset.store", "weir commits offsets itself"},
    {"isolation.level", "weir reads read_committed under exactly_once_v2"},
    {"partition.assignment.strategy",
     "weir needs the range assignor for co-partitioning"},
};

static const char *rk_prefixes[] = {"consumer.", "producer.", "admin."};

weir_conf_t *weir_conf_new(void)
{
    weir_conf_t *conf = weir__calloc(1, sizeof(*conf));
    if (!conf)
        return NULL;
    conf->values = weir__calloc(weir__props_cnt, sizeof(char *));
    if (!conf->values) {
        weir__free(conf);
        return NULL;
    }
    for (size_t i = 0; i < weir__props_cnt; i++) {
        if (!weir__props[i].def)
            continue;
        conf->values[i] = weir__strdup(weir__props[i].def);
        if (!conf->values[i]) {
            weir_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

void weir_conf_destroy(weir_conf_t *conf)
{
    if (!conf)
        return;
    if (conf->values)
        for (size_t i = 0; i < weir__props_cnt; i++)
            weir__free(conf->values[i]);
    weir__free(conf->values);
    for (size_t i = 0; i < conf->rk_cnt; i++) {
        weir__free(conf->rk[i].key);
        weir__free(conf->rk[i].value);
    }
    weir__free(conf->rk);
    weir__free(conf);
}

static weir_error_t *rk_put(weir_conf_t *conf, const char *key,
                            const char *value)
{
    char *v = weir__strdup(value);
    if (!v)
        return weir_error_new(WEIR_ERR_NOMEM, "config %s", key);
    for (size_t i = 0; i < conf->rk_cnt; i++) {
        if (!strcmp(conf->rk[i].key, key)) {
            weir__free(conf->rk[i].value);
            conf->rk[i].value = v;
            return NULL;
        }
    }
    if (conf->rk_cnt == conf->rk_cap) {
        size_t cap = conf->rk_cap ? conf->rk_cap * 2 : 8;
        rk_prop_t *rk = weir__realloc(conf->rk, cap * sizeof(*rk));
        if (!rk) {
            weir__free(v);
            return weir_error_new(WEIR_ERR_NOMEM, "config %s", key);
        }
        conf->rk = rk;
        conf->rk_cap = cap;
    }
    char *k = weir__strdup(key);
    if (!k) {
        weir__free(v);
        return weir_error_new(WEIR_ERR_NOMEM, "config %s", key);
    }
    conf->rk[conf->rk_cnt].key = k;
    conf->rk[conf->rk_cnt].value = v;
    conf->rk_cnt++;
    return NULL;
}

weir_conf_t *weir_conf_dup(const weir_conf_t *conf)
{
    weir_conf_t *dup = weir_conf_new();
    if (!dup)
        return NULL;
    for (size_t i = 0; i < weir__props_cnt; i++) {
        weir__free(dup->values[i]);
        dup->values[i] = NULL;
        if (conf->values[i]) {
            dup->values[i] = weir__strdup(conf->values[i]);
            if (!dup->values[i])
                goto fail;
        }
    }
    for (size_t i = 0; i < conf->rk_cnt; i++) {
        weir_error_t *err = rk_put(dup, conf->rk[i].key, conf->rk[i].value);
        if (err) {
            weir_error_destroy(err);
            goto fail;
        }
    }
    dup->log_cb = conf->log_cb;
    dup->state_cb = conf->state_cb;
    dup->opaque = conf->opaque;
    return dup;
fail:
    weir_conf_destroy(dup);
    return NULL;
}

static bool parse_int(const char *s, int64_t *vp)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *vp = v;
    return true;
}

static bool enum_has(const char *values, const char *v)
{
    size_t n = strlen(v);
    const char *p = values;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, v, n))
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static weir_error_t *check_value(const weir__prop_t *prop, const char *value)
{
    int64_t v;
    switch (prop->type) {
    case WEIR__PROP_STR:
        break;
    case WEIR__PROP_INT:
        if (!parse_int(value, &v))
            return weir_error_new(WEIR_ERR_CONFIG,
                                  "%s: '%s' is not an integer", prop->name,
                                  value);
        if (v < prop->min || v > prop->max)
            return weir_error_new(
                WEIR_ERR_CONFIG, "%s: %s is out of range [%lld, %lld]",
                prop->name, value, (long long)prop->min, (long long)prop->max);
        break;
    case WEIR__PROP_BOOL:
        if (strcmp(value, "true") && strcmp(value, "false"))
            return weir_error_new(WEIR_ERR_CONFIG,
                                  "%s: '%s' is not true or false", prop->name,
                                  value);
        break;
    case WEIR__PROP_ENUM:
        if (!enum_has(prop->values, value))
            return weir_error_new(WEIR_ERR_CONFIG, "%s: '%s' is not one of %s",
                                  prop->name, value, prop->values);
        break;
    }
    if (!strcmp(prop->name, "application.id") ||
        !strcmp(prop->name, "group.instance.id")) {
        /* Kafka's rule for both (the one id goes into topic names, the
         * other is checked by the group coordinator); 200 leaves room
         * for weir's suffixes within Kafka's 249. */
        if (!*value || strlen(value) > 200)
            return weir_error_new(WEIR_ERR_CONFIG,
                                  "%s: must be 1 to 200 characters",
                                  prop->name);
        for (const char *p = value; *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
                return weir_error_new(
                    WEIR_ERR_CONFIG,
                    "%s: '%s' has '%c'; only letters, digits, '.', '_' "
                    "and '-' are allowed",
                    prop->name, value, *p);
    }
    if (!strcmp(prop->name, "debug")) {
        uint32_t mask;
        const char *bad;
        size_t badlen;
        if (weir__debug_parse(value, &mask, &bad, &badlen))
            return weir_error_new(
                WEIR_ERR_CONFIG,
                "debug: unknown context '%.*s' (store, task, eos, serde, "
                "registry, topology, restore, all)",
                (int)badlen, bad);
    }
    return NULL;
}

/* librdkafka judges its own keys, on a scratch conf. */
static weir_error_t *check_rdkafka(const char *name, const char *value)
{
    const char *key = name;
    for (size_t i = 0; i < sizeof(rk_prefixes) / sizeof(rk_prefixes[0]); i++) {
        size_t n = strlen(rk_prefixes[i]);
        if (!strncmp(name, rk_prefixes[i], n)) {
            key = name + n;
            break;
        }
    }
    for (size_t i = 0; i < sizeof(managed_keys) / sizeof(managed_keys[0]); i++)
        if (!strcmp(key, managed_keys[i].key))
            return weir_error_new(WEIR_ERR_CONFIG, "%s: cannot be set: %s",
                                  name, managed_keys[i].why);
    rd_kafka_conf_t *rkc = rd_kafka_conf_new();
    char errstr[512];
    rd_kafka_conf_res_t res = rd_kafka_conf_set(rkc, key, value, errstr,
                                                sizeof(errstr));
    rd_kafka_conf_destroy(rkc);
    /* A prefixed name librdkafka knows is librdkafka's even when weir has
     * a property of that name (consumer.debug is librdkafka's debug). */
    if (weir__prop_find(key) && (key == name || res == RD_KAFKA_CONF_UNKNOWN))
        return weir_error_new(WEIR_ERR_CONFIG,
                              "%s: %s is a weir property; set it without "
                              "the prefix",
                              name, key);
    if (res == RD_KAFKA_CONF_UNKNOWN)
        return weir_error_new(WEIR_ERR_CONFIG,
                              "%s: unknown property (neither weir's nor "
                              "librdkafka's; see CONFIGURATION.md)",
                              name);
    if (res != RD_KAFKA_CONF_OK)
        return weir_error_new(WEIR_ERR_CONFIG, "%s: %s", name, errstr);
    return NULL;
}

weir_error_t *weir_conf_set(weir_conf_t *conf, const char *name,
                            const char *value)
{
    if (!name || !*name)
        return weir_error_new(WEIR_ERR_CONFIG, "empty property name");
    if (!value)
        return weir_error_new(WEIR_ERR_CONFIG, "%s: no value", name);
    const weir__prop_t *prop = weir__prop_find(name);
    weir_error_t *err;
    if (!prop) {
        err = check_rdkafka(name, value);
        return err ? err : rk_put(conf, name, value);
    }
    err = check_value(prop, value);
    if (err)
        return err;
    char *v = weir__strdup(value);
    if (!v)
        return weir_error_new(WEIR_ERR_NOMEM, "config %s", name);
    size_t i = (size_t)(prop - weir__props);
    weir__free(conf->values[i]);
    conf->values[i] = v;
    return NULL;
}

const char *weir_conf_get(const weir_conf_t *conf, const char *name)
{
    const weir__prop_t *prop = weir__prop_find(name);
    if (prop)
        return conf->values[prop - weir__props];
    for (size_t i = 0; i < conf->rk_cnt; i++)
        if (!strcmp(conf->rk[i].key, name))
            return conf->rk[i].value;
    return NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Splits "key=value" / "key: value" in place; false when there is no
 * separator. */
static bool split_pair(char *line, char **keyp, char **valuep)
{
    size_t n = strcspn(line, "=:");
    if (!line[n])
        return false;
    line[n] = '\0';
    *keyp = trim(line);
    *valuep = trim(line + n + 1);
    return true;
}

weir_error_t *weir_properties_parse_file(const char *path,
                                         weir_property_cb_t *cb, void *opaque)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return weir_error_new(WEIR_ERR_IO, "%s: cannot open: %s", path,
                              strerror(errno));
    char line[8192];
    int lineno = 0;
    weir_error_t *err = NULL;
    while (!err && fgets(line, sizeof(line), f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            err = weir_error_new(WEIR_ERR_CONFIG,
                                 "%s:%d: line longer than %zu bytes", path,
                                 lineno, sizeof(line) - 2);
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#' || *s == '!')
            continue;
        char *key, *value;
        if (!split_pair(s, &key, &value) || !*key) {
            err = weir_error_new(WEIR_ERR_CONFIG,
                                 "%s:%d: expected key=value, got '%s'", path,
                                 lineno, s);
            break;
        }
        err = cb(opaque, key, value);
        if (err)
            err = weir_error_prefix(err, "%s:%d: ", path, lineno);
    }
    if (!err && ferror(f))
        err = weir_error_new(WEIR_ERR_IO, "%s: read error", path);
    fclose(f);
    return err;
}

static weir_error_t *set_cb(void *opaque, const char *key, const char *value)
{
    return weir_conf_set(opaque, key, value);
}

weir_error_t *weir_conf_load_file(weir_conf_t *conf, const char *path)
{
    return weir_properties_parse_file(path, set_cb, conf);
}

weir_error_t *weir_conf_set_pair(weir_conf_t *conf, const char *pair)
{
    char *copy = weir__strdup(pair);
    if (!copy)
        return weir_error_new(WEIR_ERR_NOMEM, "config override");
    char *key, *value;
    weir_error_t *err;
    if (!split_pair(copy, &key, &value) || !*key)
        err = weir_error_new(WEIR_ERR_CONFIG, "expected key=value, got '%s'",
                             pair);
    else
        err = weir_conf_set(conf, key, value);
    weir__free(copy);
    return err;
}

weir_error_t *weir_conf_validate(const weir_conf_t *conf)
{
    if (!weir_conf_get(conf, "application.id"))
        return weir_error_new(WEIR_ERR_CONFIG,
                              "application.id: required, not set");
    if (!weir_conf_get(conf, "bootstrap.servers"))
        return weir_error_new(WEIR_ERR_CONFIG,
                              "bootstrap.servers: required, not set");
    return NULL;
}

void weir_conf_set_log_cb(weir_conf_t *conf, weir_log_cb_t *cb)
{
    conf->log_cb = cb;
}

void weir_conf_set_state_cb(weir_conf_t *conf, weir_app_state_cb_t *cb)
{
    conf->state_cb = cb;
}

weir_app_state_cb_t *weir__conf_state_cb(const weir_conf_t *conf)
{
    return conf->state_cb;
}

void weir_conf_set_opaque(weir_conf_t *conf, void *opaque)
{
    conf->opaque = opaque;
}

void *weir__conf_opaque(const weir_conf_t *conf)
{
    return conf->opaque;
}

int64_t weir__conf_get_int(const weir_conf_t *conf, const char *name)
{
    const char *v = weir_conf_get(conf, name);
    int64_t i = 0;
    if (v)
        parse_int(v, &i);
    return i;
}

bool weir__conf_get_bool(const weir_conf_t *conf, const char *name)
{
    const char *v = weir_conf_get(conf, name);
    return v && !strcmp(v, "true");
}

bool weir__conf_is_eos(const weir_conf_t *conf)
{
    return !strcmp(weir_conf_get(conf, "processing.guarantee"),
                   "exactly_once_v2");
}

int64_t weir__conf_commit_interval_ms(const weir_conf_t *conf)
{
    if (weir_conf_get(conf, "commit.interval.ms"))
        return weir__conf_get_int(conf, "commit.interval.ms");
    return weir__conf_is_eos(conf) ? 100 : 30000;
}

int64_t weir__conf_commit_interval_max_ms(const weir_conf_t *conf)
{
    int64_t base = weir__conf_commit_interval_ms(conf);
    int64_t max = weir_conf_get(conf, "commit.interval.max.ms")
                      ? weir__conf_get_int(conf, "commit.interval.max.ms")
                  : weir__conf_is_eos(conf) ? 1000
                                            : base;
    return max > base ? max : base;
}

weir__logger_t weir__conf_logger(const weir_conf_t *conf)
{
    weir__logger_t log = weir__logger_default();
    log.cb = conf->log_cb;
    log.opaque = conf->opaque;
    log.level = (int)weir__conf_get_int(conf, "log.level");
    const char *debug = weir_conf_get(conf, "debug");
    if (debug) {
        const char *bad;
        size_t badlen;
        weir__debug_parse(debug, &log.debug, &bad, &badlen);
    }
    return log;
}

weir_error_t *weir__conf_foreach_rdkafka(const weir_conf_t *conf,
                                         const char *kind,
                                         weir__rdkafka_prop_cb_t *cb,
                                         void *opaque)
{
    weir_error_t *err = NULL;
    for (size_t i = 0; i < weir__props_cnt && !err; i++)
        if (weir__props[i].to_rdkafka && conf->values[i])
            err = cb(opaque, weir__props[i].name, conf->values[i]);
    /* Unprefixed keys first, so a kind-specific value wins. */
    for (size_t i = 0; i < conf->rk_cnt && !err; i++)
        if (!strchr(conf->rk[i].key, '.') ||
            (strncmp(conf->rk[i].key, "consumer.", 9) &&
             strncmp(conf->rk[i].key, "producer.", 9) &&
             strncmp(conf->rk[i].key, "admin.", 6)))
            err = cb(opaque, conf->rk[i].key, conf->rk[i].value);
    size_t klen = strlen(kind);
    for (size_t i = 0; i < conf->rk_cnt && !err; i++)
        if (!strncmp(conf->rk[i].key, kind, klen) &&
            conf->rk[i].key[klen] == '.')
            err = cb(opaque, conf->rk[i].key + klen + 1, conf->rk[i].value);
    return err;
}

static weir_error_t *md(weir_buf_t *buf, const char *s)
{
    return weir_buf_append(buf, s, strlen(s));
}

char *weir_conf_reference_markdown(void)
{
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    weir_error_t *err = md(
        &buf,
        "# weir configuration\n\n"
        "<!-- Generated from framework/runtime/conf_props.c by "
        "`weir-conf-doc`; do not edit. -->\n\n"
        "Properties are set with `weir_conf_set()`, a properties file "
        "(`key=value` lines, `#` comments) or `--set key=value` on the "
        "command line. A property weir does not own is librdkafka's: it is "
        "checked by librdkafka (unknown keys are rejected) and passed to "
        "every client weir creates; prefix it with `consumer.`, "
        "`producer.` or `admin.` to pass it to one kind only. weir manages "
        "`group.id`, `transactional.id`, `enable.auto.commit`, "
        "`enable.auto.offset.store`, `isolation.level` and "
        "`partition.assignment.strategy` itself and refuses them. The "
        "stream threads' consumers are named "
        "`<client.id or application.id>-<process id>-StreamThread-<n>-"
        "consumer` (so the standby planner can tell instances apart).\n\n"
        "weir changes a few librdkafka defaults, each of which a setting "
        "of yours overrides: consumers `auto.offset.reset=earliest` and "
        "`heartbeat.interval.ms=1000` (a member learns within a second, not "
        "three, that the group rebalances, which is most of a clean "
        "failover's time); producers `partitioner=murmur2_random` (where "
        "Java's producers put a key), `transaction.timeout.ms=10000` under "
        "`exactly_once_v2` (how long a killed instance's open transaction "
        "holds back `read_committed` readers) and `enable.idempotence=true` "
        "under `at_least_once`.\n\n"
        "| property | type | default | range / values | description |\n"
        "|---|---|---|---|---|\n");
    static const char *type_names[] = {"string", "integer", "boolean", "enum"};
    for (size_t i = 0; i < weir__props_cnt && !err; i++) {
        const weir__prop_t *p = &weir__props[i];
        char range[128] = "";
        if (p->type == WEIR__PROP_INT && p->max != INT64_MAX)
            snprintf(range, sizeof(range), "%lld .. %lld", (long long)p->min,
                     (long long)p->max);
        else if (p->type == WEIR__PROP_INT)
            snprintf(range, sizeof(range), "≥ %lld", (long long)p->min);
        else if (p->type == WEIR__PROP_ENUM)
            snprintf(range, sizeof(range), "%s", p->values);
        char row[2048];
        snprintf(row, sizeof(row), "| `%s` | %s | %s%s%s | %s | %s |\n",
                 p->name, type_names[p->type], p->def ? "`" : "",
                 p->def ? p->def : "(unset)", p->def ? "`" : "", range,
                 p->doc);
        err = md(&buf, row);
    }
    if (!err)
        err = weir_buf_append(&buf, "", 1);
    if (err) {
        weir_error_destroy(err);
        weir_buf_free(&buf);
        return NULL;
    }
    return (char *)weir_buf_detach(&buf, NULL);
}
