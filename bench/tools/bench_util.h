/*
 * bench_util.h: what the end-to-end benchmark's C programs share (the
 * limit in bench/limit/ and the tools in bench/tools/): dying with one
 * clear line, clocks, comma lists, and librdkafka clients made from a
 * bootstrap address plus `-X key=value` properties.
 *
 * These programs are benchmark scaffolding, not weir: they use librdkafka
 * directly and nothing of weir's, so what they measure is the same for
 * every contender.
 */
#ifndef WEIR_BENCH_UTIL_H
#define WEIR_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/* The program name in messages; set once from main(). */
extern const char *bu_prog;

/* Prints "<prog>: error: <message>" to stderr and exits 1. */
void bu_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Prints "<prog>: <message>" to stderr. */
void bu_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t bu_mono_us(void);
int64_t bu_wall_ms(void);
int64_t bu_wall_us(void);

/* A growable list of strings; the strings are borrowed from argv. */
typedef struct {
    const char **v;
    size_t n;
    size_t cap;
} bu_list_t;

void bu_list_add(bu_list_t *l, const char *s);
/* Appends the comma-separated items of @p csv (copied; empty items are
 * skipped). */
void bu_list_add_csv(bu_list_t *l, const char *csv);
void bu_list_free(bu_list_t *l);

/* Parses a non-negative integer or dies naming @p what. */
long long bu_parse_int(const char *s, const char *what);
double bu_parse_double(const char *s, const char *what);

/* A new conf with bootstrap.servers and each "key=value" of @p props;
 * dies on an unknown key or bad value. */
rd_kafka_conf_t *bu_conf(const char *bootstrap, const bu_list_t *props);
/* Sets one property or dies. */
void bu_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value);
/* rd_kafka_new() or die; takes @p conf. */
rd_kafka_t *bu_client(rd_kafka_type_t type, rd_kafka_conf_t *conf);

/* The partitions of @p topic, or -1 when the broker does not know it. */
int bu_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms);

/* The names of every topic in the cluster's metadata (malloc'ed, each
 * freed with free()), in *names / *cnt. */
void bu_list_topics(rd_kafka_t *rk, char ***names, size_t *cnt,
                    int timeout_ms);

#endif
