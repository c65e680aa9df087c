/*
 * test_driver.c: the in-process test driver: the task host (host_int.h)
 * over in-memory topics, as Kafka Streams' TopologyTestDriver drives a
 * real StreamTask.
 *
 * Every topic has one partition, so there is one task per sub-topology.
 * The host is the one the Kafka runtime uses, so a topology meets the
 * same things here as on Kafka: its stores opened the same way, global
 * stores loaded with the same bad-row policy, event time behind a
 * repartition from watermark markers (written to the in-memory
 * repartition topics at each commit, idleness judged on the driver's
 * simulated wall clock), the same exception handlers and dead letters
 * (configured through opts->conf).
 *
 * A pipe appends the record to its topic and drains: the host reads every
 * topic it reads up to its end (then that input is caught up), processes,
 * and commits (markers out, offsets, stores checkpointed), until no
 * topic has anything new, so records written to repartition topics (or
 * to a user topic the topology also reads) are processed before the pipe
 * returns, in the order they were written. Records written to other
 * topics are kept for weir_test_driver_read_output*() in write order.
 * Commits are at-least-once ones: there is no transaction to abort here,
 * and a record whose processing fails is abandoned, with what the records
 * still waiting had queued.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/statestore.h>
#include <weir/test_driver.h>

#include "alloc_int.h"
#include "engine_conf_int.h"
#include "host_int.h"

/* A record waiting to be read as output. */
typedef struct out_s {
    struct out_s *next;
    weir_test_record_t *rec;
} out_t;

/* An in-memory topic. */
typedef struct mtopic_s {
    char *name;
    int64_t next_offset;
    /* Records the host reads, by offset (topics a task reads only). */
    weir_test_record_t **log;
    size_t log_cnt, log_cap;
    size_t fed; /* records handed to the host */
    /* Records written as output, not read yet. */
    out_t *out_head, *out_tail;
    size_t out_cnt;
    int64_t committed;
    char committed_meta[64];
    size_t committed_meta_len;
} mtopic_t;

struct weir_test_driver_s {
    weir_topology_t *topo;
    weir_conf_t *own_conf; /* when opts->conf was NULL */
    char *app_id;
    char *state_dir;
    int64_t wall_clock;
    weir__engine_t eng;
    weir__host_t *host;
    mtopic_t *topics;
    size_t topic_cnt;
    uint64_t commit_requests;
};

void weir_test_record_destroy(weir_test_record_t *rec)
{
    if (!rec)
        return;
    weir__free(rec->topic);
    weir__free(rec->key);
    weir__free(rec->value);
    weir_headers_destroy(rec->headers);
    weir__free(rec);
}

static weir_test_record_t *record_make(const char *topic, const void *key,
                                       size_t key_len, const void *value,
                                       size_t value_len, int64_t ts,
                                       const weir_headers_t *headers)
{
    weir_test_record_t *rec = weir__calloc(1, sizeof(*rec));
    if (!rec)
        return NULL;
    rec->topic = weir__strdup(topic);
    rec->key = key ? weir__memdup(key, key_len) : NULL;
    rec->key_len = key ? key_len : 0;
    rec->value = value ? weir__memdup(value, value_len) : NULL;
    rec->value_len = value ? value_len : 0;
    rec->timestamp = ts;
    rec->headers = weir_headers_copy(headers);
    if (!rec->topic || (key && !rec->key) || (value && !rec->value) ||
        !rec->headers) {
        weir_test_record_destroy(rec);
        return NULL;
    }
    return rec;
}

/* ---- in-memory topics ---- */

static mtopic_t *topic_find(weir_test_driver_t *drv, const char *name,
                            bool create)
{
    for (size_t i = 0; i < drv->topic_cnt; i++)
        if (!strcmp(drv->topics[i].name, name))
            return &drv->topics[i];
    if (!create)
        return NULL;
    mtopic_t *n = weir__realloc(drv->topics,
                                (drv->topic_cnt + 1) * sizeof(*n));
    if (!n)
        return NULL;
    drv->topics = n;
    mtopic_t *t = &n[drv->topic_cnt];
    memset(t, 0, sizeof(*t));
    t->committed = -1;
    t->name = weir__strdup(name);
    if (!t->name)
        return NULL;
    drv->topic_cnt++;
    return t;
}

/* True when a task reads @p name. */
static bool is_input(const weir_test_driver_t *drv, const char *name)
{
    const weir__plan_topic_t *t = weir__engine_topic(&drv->eng, name);
    return t && t->reader_sub >= 0;
}

static bool is_global_input(const weir_test_driver_t *drv, const char *name)
{
    const char *topics[64];
    size_t n = weir__host_global_topics(drv->host, topics, 64);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(topics[i], name))
            return true;
    return false;
}

static weir_error_t *out_push(mtopic_t *t, weir_test_record_t *rec)
{
    out_t *o = weir__calloc(1, sizeof(*o));
    if (!o) {
        weir_test_record_destroy(rec);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    o->rec = rec;
    if (t->out_tail)
        t->out_tail->next = o;
    else
        t->out_head = o;
    t->out_tail = o;
    t->out_cnt++;
    return NULL;
}

/* Appends @p rec to @p t (taken): to its log when a task reads it, to
 * its output when @p output (both for a user topic the topology reads
 * and writes). */
static weir_error_t *topic_append(weir_test_driver_t *drv, mtopic_t *t,
                                  weir_test_record_t *rec, bool output)
{
    t->next_offset++;
    if (!is_input(drv, t->name)) {
        if (output)
            return out_push(t, rec);
        weir_test_record_destroy(rec);
        return NULL;
    }
    weir_test_record_t *copy =
        output ? record_make(rec->topic, rec->key, rec->key_len, rec->value,
                             rec->value_len, rec->timestamp, rec->headers)
               : NULL;
    if (t->log_cnt == t->log_cap) {
        size_t cap = t->log_cap ? t->log_cap * 2 : 64;
        weir_test_record_t **l = weir__realloc(t->log, cap * sizeof(*l));
        if (l) {
            t->log = l;
            t->log_cap = cap;
        }
    }
    if (t->log_cnt == t->log_cap || (output && !copy)) {
        weir_test_record_destroy(rec);
        weir_test_record_destroy(copy);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    t->log[t->log_cnt++] = rec;
    return copy ? out_push(t, copy) : NULL;
}

/* ---- the host's I/O ---- */

static weir_error_t *io_produce(void *opaque, const weir__host_msg_t *m)
{
    weir_test_driver_t *drv = opaque;
    if (m->partition > 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "test driver: partition %" PRId32 " of topic "
                              "%s, which has 1",
                              m->partition, m->topic);
    mtopic_t *t = topic_find(drv, m->topic, true);
    if (!t)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    int64_t offset = t->next_offset;
    weir_error_t *err = NULL;
    if (m->store) {
        /* A changelog: nothing reads it here, only its offsets count. */
        t->next_offset++;
    } else {
        weir_test_record_t *rec = record_make(m->topic, m->key, m->key_len,
                                              m->value, m->value_len,
                                              m->timestamp, m->headers);
        err = rec ? topic_append(drv, t, rec, m->output)
                  : weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    if (!err)
        weir__host_store_acked(m->store, offset);
    return err;
}

static weir_error_t *io_flush(void *opaque)
{
    (void)opaque;
    return NULL;
}

static weir_error_t *io_commit(void *opaque, const weir__host_tp_t *offs,
                               size_t n)
{
    weir_test_driver_t *drv = opaque;
    for (size_t i = 0; i < n; i++) {
        mtopic_t *t = topic_find(drv, offs[i].topic, false);
        if (!t)
            continue;
        t->committed = offs[i].offset;
        t->committed_meta_len = offs[i].metadata_len <
                                        sizeof(t->committed_meta)
                                    ? offs[i].metadata_len
                                    : 0;
        memcpy(t->committed_meta, offs[i].metadata, t->committed_meta_len);
    }
    return NULL;
}

static weir_error_t *io_committed(void *opaque, weir__host_tp_t *tps, size_t n)
{
    weir_test_driver_t *drv = opaque;
    for (size_t i = 0; i < n; i++) {
        mtopic_t *t = topic_find(drv, tps[i].topic, false);
        tps[i].offset = t ? t->committed : -1;
        tps[i].metadata = t && t->committed_meta_len ? t->committed_meta
                                                     : NULL;
        tps[i].metadata_len = t ? t->committed_meta_len : 0;
    }
    return NULL;
}

static weir_error_t *header_str(weir_headers_t *h, const char *name,
                                const char *v)
{
    return weir_headers_add(h, name, v, strlen(v));
}

static weir_error_t *io_dead_letter(void *opaque, void *handle,
                                    const char *stage,
                                    const weir_error_t *cause)
{
    weir_test_driver_t *drv = opaque;
    const weir_test_record_t *src = handle;
    weir_test_record_t *rec = record_make(
        drv->eng.dlq_topic, src->key, src->key_len, src->value, src->value_len,
        src->timestamp, src->headers);
    mtopic_t *t = topic_find(drv, drv->eng.dlq_topic, true);
    if (!rec || !t) {
        weir_test_record_destroy(rec);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    const mtopic_t *from = topic_find(drv, src->topic, false);
    int64_t offset = -1;
    for (size_t i = 0; from && i < from->log_cnt; i++)
        if (from->log[i] == src)
            offset = (int64_t)i;
    char off[32], ts[32];
    snprintf(off, sizeof(off), "%" PRId64, offset);
    snprintf(ts, sizeof(ts), "%" PRId64, src->timestamp);
    const char *hdrs[][2] = {{"weir.error.stage", stage},
                             {"weir.error.message", weir_error_string(cause)},
                             {"weir.source.topic", src->topic},
                             {"weir.source.partition", "0"},
                             {"weir.source.offset", off},
                             {"weir.source.timestamp", ts}};
    weir_error_t *err = NULL;
    for (size_t i = 0; !err && i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
        err = header_str(rec->headers, hdrs[i][0], hdrs[i][1]);
    if (err) {
        weir_test_record_destroy(rec);
        return err;
    }
    return topic_append(drv, t, rec, true);
}

static void io_release(void *opaque, void *handle)
{
    /* The records stay in their topic's log. */
    (void)opaque;
    (void)handle;
}

/* ---- running ---- */

static bool is_marker(const weir_test_record_t *rec)
{
    size_t n = weir_headers_count(rec->headers);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *v;
        size_t len;
        if (weir_headers_get(rec->headers, i, &name, &v, &len) &&
            !strcmp(name, WEIR__WM_HEADER))
            return true;
    }
    return false;
}

/* Hands the host what it has not read yet; true when there was some. */
static weir_error_t *feed(weir_test_driver_t *drv, bool *fedp)
{
    *fedp = false;
    weir_error_t *err = NULL;
    for (size_t i = 0; i < drv->topic_cnt && !err; i++) {
        mtopic_t *t = &drv->topics[i];
        if (t->fed == t->log_cnt)
            continue;
        int topic = weir__engine_topic_index(&drv->eng, t->name);
        while (t->fed < t->log_cnt && !err) {
            weir_test_record_t *rec = t->log[t->fed];
            weir__host_in_t in = {
                topic,           t->name,        0,
                (int64_t)t->fed, rec->key,       rec->key_len,
                rec->value,      rec->value_len, rec->timestamp,
                rec->headers,    is_marker(rec), rec};
            t->fed++;
            err = weir__host_route(drv->host, &in);
        }
        *fedp = true;
    }
    /* Every input read to its end: caught up (those never written to
     * as well, so that their tasks can be judged idle). */
    for (size_t i = 0; !err && i < drv->eng.topic_cnt; i++)
        if (drv->eng.topics[i].reader_sub >= 0)
            weir__host_input_end(drv->host, (int)i, NULL, 0);
    return err;
}

/* Processes everything there is to its end (see the file comment). On
 * error the rest is abandoned. */
static weir_error_t *drain(weir_test_driver_t *drv)
{
    weir_error_t *err = NULL;
    for (;;) {
        bool fed = false;
        err = feed(drv, &fed);
        if (!err)
            err = weir__host_run(drv->host, drv->wall_clock);
        if (err)
            break;
        if (weir__host_commit_requested(drv->host))
            drv->commit_requests++;
        err = weir__host_commit(drv->host);
        if (err)
            break;
        bool more = false;
        for (size_t i = 0; i < drv->topic_cnt && !more; i++)
            more = drv->topics[i].fed < drv->topics[i].log_cnt;
        if (!more)
            return NULL;
    }
    /* Abandon the record that failed, and what it had set off. */
    weir__host_drop_queued(drv->host);
    for (size_t i = 0; i < drv->topic_cnt; i++)
        drv->topics[i].fed = drv->topics[i].log_cnt;
    return err;
}

/* ---- the driver ---- */

static weir_error_t *one_partition(void *opaque, const char *name, bool input,
                                   int32_t *partsp)
{
    (void)opaque;
    (void)name;
    (void)input;
    *partsp = 1;
    return NULL;
}

void weir_test_driver_destroy(weir_test_driver_t *drv)
{
    if (!drv)
        return;
    weir__host_destroy(drv->host);
    for (size_t i = 0; i < drv->topic_cnt; i++) {
        mtopic_t *t = &drv->topics[i];
        for (size_t k = 0; k < t->log_cnt; k++)
            weir_test_record_destroy(t->log[k]);
        weir__free(t->log);
        for (out_t *o = t->out_head; o;) {
            out_t *next = o->next;
            weir_test_record_destroy(o->rec);
            weir__free(o);
            o = next;
        }
        weir__free(t->name);
    }
    weir__free(drv->topics);
    weir__engine_plan_free(&drv->eng);
    weir__engine_conf_free(&drv->eng);
    weir_store_env_destroy(drv->eng.env);
    weir_conf_destroy(drv->own_conf);
    weir__free(drv->app_id);
    weir__free(drv->state_dir);
    weir_topology_destroy(drv->topo);
    weir__free(drv);
}

/* The size of the first weir_test_driver_opts_t with a size field: what
 * a caller built against any header since sets at least. */
#define OPTS_V1_SIZE \
    (offsetof(weir_test_driver_opts_t, conf) + sizeof(const weir_conf_t *))

weir_test_driver_t *weir_test_driver_new(weir_topology_t *topo,
                                         const weir_test_driver_opts_t *opts,
                                         weir_error_t **errp)
{
    *errp = NULL;
    if (!topo) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG, "test driver: NULL "
                                                     "topology");
        return NULL;
    }
    /* Fields past the caller's size keep their defaults (see the header);
     * this library knows OPTS_V1_SIZE bytes at least, sizeof at most. */
    weir_test_driver_opts_t copy = WEIR_TEST_DRIVER_OPTS_INIT;
    if (opts) {
        if (opts->size < OPTS_V1_SIZE || opts->size > sizeof(copy)) {
            *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                                   "test driver: opts.size is %zu, not "
                                   "%zu: make the options from "
                                   "WEIR_TEST_DRIVER_OPTS_INIT",
                                   opts->size, sizeof(copy));
            return NULL;
        }
        memcpy(&copy, opts, opts->size);
    }
    opts = &copy;
    *errp = weir_topology_build(topo);
    if (*errp)
        return NULL;
    if (opts->rocksdb_stores && !opts->state_dir) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "test driver: RocksDB stores need a "
                               "state_dir");
        return NULL;
    }
    weir_test_driver_t *drv = weir__calloc(1, sizeof(*drv));
    if (!drv) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* drv->topo stays NULL until success: on failure the caller keeps
     * the topology, and weir_test_driver_destroy() frees the rest. */
    const weir_conf_t *conf = opts->conf;
    if (!conf)
        conf = drv->own_conf = weir_conf_new();
    const char *app_id = opts->application_id ? opts->application_id
                         : conf ? weir_conf_get(conf, "application.id")
                                : NULL;
    drv->app_id = weir__strdup(app_id ? app_id : "weir-test");
    drv->wall_clock = opts->wall_clock_ms;
    if (opts->rocksdb_stores)
        drv->state_dir = weir__strdup(opts->state_dir);
    if (!conf || !drv->app_id || (opts->rocksdb_stores && !drv->state_dir)) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        weir_test_driver_destroy(drv);
        return NULL;
    }
    weir__engine_t *eng = &drv->eng;
    *errp = weir__engine_from_conf(eng, topo, conf, drv->app_id);
    /* No transactions to abort here: records are committed at least once
     * (and never twice, as nothing fails between a record and its
     * commit). */
    eng->eos = false;
    eng->state_dir = drv->state_dir;
    eng->memory_stores = !opts->rocksdb_stores;
    /* Small: test topologies hold little state. */
    if (!*errp && opts->rocksdb_stores)
        eng->env = weir_store_env_new(16u << 20, errp);
    if (!*errp)
        *errp = weir__engine_plan(eng, one_partition, NULL, 0);
    weir__host_io_t io = {
        .opaque = drv,
        .produce = io_produce,
        .flush = io_flush,
        .commit = io_commit,
        .committed = io_committed,
        .dead_letter = io_dead_letter,
        .release = io_release,
    };
    if (!*errp)
        drv->host = weir__host_new(eng, &io, "test-driver", drv->wall_clock,
                                   errp);
    /* Every partition of every topic a task reads: one task each. */
    for (size_t i = 0; !*errp && i < eng->topic_cnt; i++) {
        if (eng->topics[i].reader_sub < 0)
            continue;
        weir__host_tp_t tp = {eng->topics[i].name, 0, -1, NULL, 0};
        *errp = weir__host_assign(drv->host, &tp, 1);
    }
    if (*errp) {
        weir_test_driver_destroy(drv);
        return NULL;
    }
    drv->topo = topo;
    return drv;
}

weir_error_t *weir_test_driver_pipe(weir_test_driver_t *drv, const char *topic,
                                    const void *key, size_t key_len,
                                    const void *value, size_t value_len,
                                    int64_t timestamp,
                                    const weir_headers_t *headers)
{
    if (!topic)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "test driver: NULL topic");
    if (is_global_input(drv, topic)) {
        weir__host_in_t in = {-1,        topic,   0,     0,
                              key,       key_len, value, value_len,
                              timestamp, headers, false, NULL};
        return weir__host_global_record(drv->host, &in);
    }
    if (!is_input(drv, topic))
        return weir_error_new(WEIR_ERR_NOT_FOUND,
                              "test driver: no source reads topic '%s'",
                              topic);
    mtopic_t *t = topic_find(drv, topic, true);
    weir_test_record_t *rec = record_make(topic, key, key_len, value,
                                          value_len, timestamp, headers);
    if (!t || !rec) {
        weir_test_record_destroy(rec);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    weir_error_t *err = topic_append(drv, t, rec, false);
    return err ? err : drain(drv);
}

weir_error_t *weir_test_driver_pipe_str(weir_test_driver_t *drv,
                                        const char *topic, const char *key,
                                        const char *value, int64_t timestamp)
{
    return weir_test_driver_pipe(drv, topic, key, key ? strlen(key) : 0, value,
                                 value ? strlen(value) : 0, timestamp, NULL);
}

weir_error_t *weir_test_driver_advance_wall_clock(weir_test_driver_t *drv,
                                                  int64_t ms)
{
    if (ms < 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "test driver: the wall clock only moves "
                              "forward (%lld ms)",
                              (long long)ms);
    drv->wall_clock += ms;
    return drain(drv);
}

int64_t weir_test_driver_wall_clock(const weir_test_driver_t *drv)
{
    return drv->wall_clock;
}

size_t weir_test_driver_output_size(const weir_test_driver_t *drv,
                                    const char *topic)
{
    mtopic_t *t = topic ? topic_find((weir_test_driver_t *)drv, topic, false)
                        : NULL;
    return t ? t->out_cnt : 0;
}

weir_test_record_t *weir_test_driver_read_output(weir_test_driver_t *drv,
                                                 const char *topic)
{
    mtopic_t *t = topic ? topic_find(drv, topic, false) : NULL;
    out_t *o = t ? t->out_head : NULL;
    if (!o)
        return NULL;
    t->out_head = o->next;
    if (!t->out_head)
        t->out_tail = NULL;
    t->out_cnt--;
    weir_test_record_t *rec = o->rec;
    weir__free(o);
    return rec;
}

static char *strz(const void *p, size_t len)
{
    if (!p)
        return NULL;
    char *s = weir__malloc(len + 1);
    if (s) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

bool weir_test_driver_read_output_str(weir_test_driver_t *drv,
                                      const char *topic, char **keyp,
                                      char **valuep, int64_t *timestampp)
{
    weir_test_record_t *rec = weir_test_driver_read_output(drv, topic);
    if (!rec)
        return false;
    if (keyp)
        *keyp = strz(rec->key, rec->key_len);
    if (valuep)
        *valuep = strz(rec->value, rec->value_len);
    if (timestampp)
        *timestampp = rec->timestamp;
    weir_test_record_destroy(rec);
    return true;
}

weir_error_t *weir_test_driver_read_output_obj(
    weir_test_driver_t *drv, const char *topic, weir_serde_t *key_serde,
    weir_serde_t *value_serde, void **keyp, size_t *key_lenp, void **valuep,
    size_t *value_lenp, int64_t *timestampp, bool *foundp)
{
    *foundp = false;
    weir_test_record_t *rec = weir_test_driver_read_output(drv, topic);
    if (!rec)
        return NULL;
    *foundp = true;
    *keyp = NULL;
    *valuep = NULL;
    weir_error_t *err = weir_serde_deserialize(key_serde, topic, rec->key,
                                               rec->key_len, keyp, key_lenp);
    if (!err)
        err = weir_serde_deserialize(value_serde, topic, rec->value,
                                     rec->value_len, valuep, value_lenp);
    if (err) {
        weir_serde_free_obj(key_serde, *keyp, *key_lenp);
        *keyp = NULL;
    } else if (timestampp) {
        *timestampp = rec->timestamp;
    }
    weir_test_record_destroy(rec);
    return err;
}

weir_error_t *weir_test_driver_kv_store(weir_test_driver_t *drv,
                                        const char *name,
                                        weir_kv_store_t **kvp)
{
    *kvp = weir__host_store(drv->host, name, false);
    return *kvp ? NULL
                : weir_error_new(WEIR_ERR_NOT_FOUND,
                                 "test driver: no key-value store '%s'",
                                 name ? name : "(null)");
}

weir_error_t *weir_test_driver_window_store(weir_test_driver_t *drv,
                                            const char *name,
                                            weir_window_store_t **wsp)
{
    *wsp = weir__host_store(drv->host, name, true);
    return *wsp ? NULL
                : weir_error_new(WEIR_ERR_NOT_FOUND,
                                 "test driver: no window store '%s'",
                                 name ? name : "(null)");
}

uint64_t weir_test_driver_dropped(const weir_test_driver_t *drv,
                                  const char *reason)
{
    return weir__host_dropped(drv->host, reason);
}

uint64_t weir_test_driver_commit_requests(const weir_test_driver_t *drv)
{
    return drv->commit_requests;
}
