/*
 * bench_util.c: dying, clocks, lists and librdkafka clients for the
 * end-to-end benchmark's programs (see bench_util.h).
 */
#include "bench_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *bu_prog = "bench";

void bu_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", bu_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void bu_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", bu_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t bu_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

int64_t bu_wall_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

int64_t bu_wall_ms(void)
{
    return clock_us(CLOCK_REALTIME) / 1000;
}

void bu_list_add(bu_list_t *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (!l->v)
            bu_die("out of memory");
    }
    l->v[l->n++] = s;
}

void bu_list_add_csv(bu_list_t *l, const char *csv)
{
    const char *p = csv;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len) {
            char *item = strndup(p, len);
            if (!item)
                bu_die("out of memory");
            bu_list_add(l, item); /* leaked on purpose: lives until exit */
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

void bu_list_free(bu_list_t *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

long long bu_parse_int(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        bu_die("%s must be a non-negative integer, not '%s'", what, s);
    return v;
}

double bu_parse_double(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0)
        bu_die("%s must be a non-negative number, not '%s'", what, s);
    return v;
}

void bu_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK)
        bu_die("%s=%s: %s", key, value, errstr);
}

rd_kafka_conf_t *bu_conf(const char *bootstrap, const bu_list_t *props)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bu_conf_set(conf, "bootstrap.servers", bootstrap);
    for (size_t i = 0; props && i < props->n; i++) {
        const char *eq = strchr(props->v[i], '=');
        if (!eq || eq == props->v[i])
            bu_die("-X takes key=value, not '%s'", props->v[i]);
        char key[256];
        size_t klen = (size_t)(eq - props->v[i]);
        if (klen >= sizeof(key))
            bu_die("property name too long: %s", props->v[i]);
        memcpy(key, props->v[i], klen);
        key[klen] = '\0';
        bu_conf_set(conf, key, eq + 1);
    }
    return conf;
}

rd_kafka_t *bu_client(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk)
        bu_die("creating a librdkafka client: %s", errstr);
    return rk;
}

int bu_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err)
        bu_die("metadata of %s: %s", topic, rd_kafka_err2str(err));
    int n = -1;
    if (md->topic_cnt == 1 && !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

void bu_list_topics(rd_kafka_t *rk, char ***names, size_t *cnt, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (err)
        bu_die("cluster metadata: %s", rd_kafka_err2str(err));
    *names = calloc((size_t)md->topic_cnt + 1, sizeof(**names));
    if (!*names)
        bu_die("out of memory");
    *cnt = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        if (md->topics[i].err)
            continue;
        (*names)[*cnt] = strdup(md->topics[i].topic);
        if (!(*names)[*cnt])
            bu_die("out of memory");
        (*cnt)++;
    }
    rd_kafka_metadata_destroy(md);
}
