/*
 * test_driver.c: the in-process test driver.
 *
 * It is a small owner of tasks, the same role the Kafka runtime plays:
 * one task per sub-topology for partition 0 (and one per global store),
 * a store provider that makes in-memory (or RocksDB) stores, and a record
 * collector that captures what sinks write.
 *
 * Records written to a topic some task reads (repartition topics, or a
 * user topic the topology also consumes) go to a FIFO of pending inputs
 * instead of being processed inside the collector call: tasks are not
 * re-entrant, and the FIFO keeps the order in which they were written.
 * pipe() then loops: drain every task's queue, move one pending record in,
 * repeat until both are empty. With one partition per topic this matches
 * what the Kafka runtime does with a single instance, minus concurrency.
 * Everything else is captured per topic, in write order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weir/statestore.h>
#include <weir/test_driver.h>

#include "alloc_int.h"
#include "task_int.h"

typedef struct out_s {
    struct out_s *next;
    weir_test_record_t *rec;
    bool pending; /* an input for a task, not an output */
} out_t;

typedef struct out_list_s {
    out_t *head, *tail;
    size_t cnt;
} out_list_t;

typedef struct drv_store_s {
    const weir__store_spec_t *spec;
    char task_id[32];
    void *store;
} drv_store_t;

/* A locked task directory for RocksDB stores. */
typedef struct drv_dir_s {
    char task_id[32];
    weir_task_dir_t *td;
} drv_dir_t;

typedef struct topic_out_s {
    char *topic;
    out_list_t list;
    int64_t next_offset;
} topic_out_t;

struct weir_test_driver_s {
    weir_topology_t *topo;
    char *app_id;
    int64_t wall_clock;
    bool rocksdb;
    char *state_dir;
    weir__logger_t log;

    weir__task_t **tasks;
    size_t task_cnt;

    drv_store_t *stores;
    size_t store_cnt;
    weir_store_env_t *env; /* RocksDB stores only */
    drv_dir_t *dirs;
    size_t dir_cnt;

    topic_out_t *topics; /* outputs, per topic */
    size_t topic_cnt;
    out_list_t pending; /* records for tasks, in write order */
    uint64_t commit_requests;

    weir__store_provider_t provider;
    weir__record_collector_t collector;
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

static void list_push(out_list_t *l, out_t *o)
{
    o->next = NULL;
    if (l->tail)
        l->tail->next = o;
    else
        l->head = o;
    l->tail = o;
    l->cnt++;
}

static out_t *list_pop(out_list_t *l)
{
    out_t *o = l->head;
    if (!o)
        return NULL;
    l->head = o->next;
    if (!l->head)
        l->tail = NULL;
    l->cnt--;
    return o;
}

static void list_free(out_list_t *l)
{
    out_t *o;
    while ((o = list_pop(l))) {
        weir_test_record_destroy(o->rec);
        weir__free(o);
    }
}

/* ---- store provider ---- */

static int64_t segment_of(const weir__store_spec_t *spec)
{
    return spec->segment_ms < spec->retention_ms ? spec->segment_ms
                                                 : spec->retention_ms;
}

static void store_keep(weir_test_driver_t *drv,
                       const weir__store_spec_t *spec, const char *task_id,
                       void *store)
{
    drv_store_t *s = &drv->stores[drv->store_cnt++];
    s->spec = spec;
    snprintf(s->task_id, sizeof(s->task_id), "%s", task_id);
    s->store = store;
}

/* Opens @p spec as a RocksDB store in the task's locked directory under
 * state_dir/application_id/task_id (drv->stores has room for one more). */
static weir_error_t *rocksdb_open(weir_test_driver_t *drv,
                                  const char *task_id,
                                  const weir__store_spec_t *spec,
                                  void **storep)
{
    weir_error_t *err = NULL;
    weir_task_dir_t *td = NULL;
    for (size_t i = 0; i < drv->dir_cnt && !td; i++)
        if (strcmp(drv->dirs[i].task_id, task_id) == 0)
            td = drv->dirs[i].td;
    if (!td) {
        drv_dir_t *n = weir__realloc(drv->dirs,
                                     (drv->dir_cnt + 1) * sizeof(*n));
        if (!n)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        drv->dirs = n;
        td = weir_task_dir_open(drv->env, drv->state_dir, drv->app_id,
                                task_id, &err);
        if (!td)
            return err;
        snprintf(n[drv->dir_cnt].task_id, sizeof(n[0].task_id), "%s",
                 task_id);
        n[drv->dir_cnt++].td = td;
    }
    void *store;
    if (spec->kind == WEIR__STORE_KV)
        store = weir_kv_store_open_rocksdb(td, spec->name, &err);
    else
        store = weir_window_store_open_rocksdb(td, spec->name,
                                               spec->retention_ms,
                                               segment_of(spec), &err);
    if (!store)
        return err;
    store_keep(drv, spec, task_id, store);
    *storep = store;
    return NULL;
}

static weir_error_t *store_open(void *opaque, const char *task_id,
                                const weir__store_spec_t *spec, void **storep)
{
    weir_test_driver_t *drv = opaque;
    for (size_t i = 0; i < drv->store_cnt; i++) {
        drv_store_t *s = &drv->stores[i];
        if (s->spec == spec && (spec->global || !strcmp(s->task_id, task_id))) {
            *storep = s->store;
            return NULL;
        }
    }
    drv_store_t *n = weir__realloc(drv->stores,
                                   (drv->store_cnt + 1) * sizeof(*n));
    if (!n)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    drv->stores = n;
    weir_error_t *err = NULL;
    void *store;
    if (drv->rocksdb && spec->persistent)
        return rocksdb_open(drv, spec->global ? "global" : task_id, spec,
                            storep);
    if (spec->kind == WEIR__STORE_KV)
        store = weir_kv_store_new_memory(spec->name, &err);
    else
        store = weir_window_store_new_memory(spec->name, spec->retention_ms,
                                             segment_of(spec), &err);
    if (!store)
        return err;
    store_keep(drv, spec, task_id, store);
    *storep = store;
    return NULL;
}

static weir_error_t *open_kv(void *opaque, const char *task_id,
                             const weir__store_spec_t *spec,
                             weir_kv_store_t **kvp)
{
    void *s = NULL;
    weir_error_t *err = store_open(opaque, task_id, spec, &s);
    *kvp = s;
    return err;
}

static weir_error_t *open_window(void *opaque, const char *task_id,
                                 const weir__store_spec_t *spec,
                                 weir_window_store_t **wsp)
{
    void *s = NULL;
    weir_error_t *err = store_open(opaque, task_id, spec, &s);
    *wsp = s;
    return err;
}

/* The driver frees stores itself, after every task is closed. */
static void release(void *opaque, const char *task_id,
                    const weir__store_spec_t *spec, void *store)
{
    (void)opaque;
    (void)task_id;
    (void)spec;
    (void)store;
}

/* ---- record collector ---- */

static topic_out_t *topic_out(weir_test_driver_t *drv, const char *topic,
                              bool create)
{
    for (size_t i = 0; i < drv->topic_cnt; i++)
        if (strcmp(drv->topics[i].topic, topic) == 0)
            return &drv->topics[i];
    if (!create)
        return NULL;
    topic_out_t *n = weir__realloc(drv->topics,
                                   (drv->topic_cnt + 1) * sizeof(*n));
    if (!n)
        return NULL;
    drv->topics = n;
    topic_out_t *t = &n[drv->topic_cnt];
    memset(t, 0, sizeof(*t));
    t->topic = weir__strdup(topic);
    if (!t->topic)
        return NULL;
    drv->topic_cnt++;
    return t;
}

static bool topic_is_input(const weir_test_driver_t *drv, const char *topic)
{
    for (size_t i = 0; i < drv->task_cnt; i++)
        if (weir__task_reads_topic(drv->tasks[i], topic))
            return true;
    return false;
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

static weir_error_t *collect(void *opaque, const weir__sink_record_t *sr)
{
    weir_test_driver_t *drv = opaque;
    if (sr->partitioner) {
        int32_t p = sr->partitioner(sr->partitioner_ctx, sr->topic, sr->key,
                                    sr->key_len, sr->value, sr->value_len, 1);
        if (p != 0 && p != -1)
            return weir_error_new(WEIR_ERR_INVALID_ARG,
                                  "sink '%s': partitioner chose partition "
                                  "%d of topic %s, which has 1",
                                  sr->sink, (int)p, sr->topic);
    }
    weir_test_record_t *rec = record_make(sr->topic, sr->key, sr->key_len,
                                          sr->value, sr->value_len,
                                          sr->timestamp, sr->headers);
    out_t *o = weir__calloc(1, sizeof(*o));
    topic_out_t *t = topic_out(drv, sr->topic, true);
    if (!rec || !o || !t) {
        weir_test_record_destroy(rec);
        weir__free(o);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    o->rec = rec;
    if (topic_is_input(drv, sr->topic)) {
        list_push(&drv->pending, o);
        if (sr->internal)
            return NULL;
        /* A user topic the topology also reads: keep a copy as output. */
        o = weir__calloc(1, sizeof(*o));
        rec = record_make(sr->topic, sr->key, sr->key_len, sr->value,
                          sr->value_len, sr->timestamp, sr->headers);
        if (!o || !rec) {
            weir__free(o);
            weir_test_record_destroy(rec);
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        }
        o->rec = rec;
    }
    list_push(&t->list, o);
    return NULL;
}

/* ---- running ---- */

static void note_commits(weir_test_driver_t *drv)
{
    for (size_t i = 0; i < drv->task_cnt; i++) {
        if (weir__task_commit_requested(drv->tasks[i])) {
            drv->commit_requests++;
            weir__task_clear_commit_request(drv->tasks[i]);
        }
    }
}

static weir_error_t *feed(weir_test_driver_t *drv, const char *topic,
                          const void *key, size_t key_len, const void *value,
                          size_t value_len, int64_t ts,
                          const weir_headers_t *headers)
{
    if (!topic_is_input(drv, topic))
        return weir_error_new(WEIR_ERR_NOT_FOUND,
                              "test driver: no source reads topic '%s'",
                              topic);
    topic_out_t *t = topic_out(drv, topic, true);
    if (!t)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    weir__input_record_t in = {
        .topic = topic,
        .partition = 0,
        .offset = t->next_offset++,
        .key = key,
        .key_len = key_len,
        .value = value,
        .value_len = value_len,
        .timestamp = ts,
        .headers = headers,
    };
    for (size_t i = 0; i < drv->task_cnt; i++) {
        if (!weir__task_reads_topic(drv->tasks[i], topic))
            continue;
        weir_error_t *err = weir__task_add_record(drv->tasks[i], &in);
        if (err)
            return err;
    }
    return NULL;
}

/* Processes everything queued, and everything that produces, to the
 * end. On error the rest of the pending records are dropped: the record
 * that failed is abandoned as a whole. */
static weir_error_t *drain(weir_test_driver_t *drv)
{
    weir_error_t *err = NULL;
    for (;;) {
        for (size_t i = 0; !err && i < drv->task_cnt; i++) {
            while (!err && weir__task_buffered(drv->tasks[i]) > 0) {
                bool processed;
                err = weir__task_process(drv->tasks[i], &processed);
            }
        }
        note_commits(drv);
        if (err)
            break;
        out_t *o = list_pop(&drv->pending);
        if (!o)
            return NULL;
        weir_test_record_t *r = o->rec;
        err = feed(drv, r->topic, r->key, r->key_len, r->value, r->value_len,
                   r->timestamp, r->headers);
        weir_test_record_destroy(r);
        weir__free(o);
    }
    list_free(&drv->pending);
    /* Drop what the failed record left queued. */
    for (size_t i = 0; i < drv->task_cnt; i++)
        weir__task_clear_queues(drv->tasks[i]);
    return err;
}

static weir_error_t *load_file(weir_test_driver_t *drv, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return weir_error_new(WEIR_ERR_IO, "global store file %s: %s", path,
                              strerror(errno));
    size_t tlen = strlen(path) + 6;
    char *topic = weir__malloc(tlen);
    if (!topic) {
        fclose(f);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    snprintf(topic, tlen, "file:%s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    weir_error_t *err = NULL;
    while (!err && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        err = feed(drv, topic, NULL, 0, line, (size_t)n, 0, NULL);
        if (!err)
            err = drain(drv);
    }
    free(line); /* getline() allocates with malloc */
    fclose(f);
    weir__free(topic);
    return err;
}

void weir_test_driver_destroy(weir_test_driver_t *drv)
{
    if (!drv)
        return;
    for (size_t i = 0; i < drv->task_cnt; i++)
        weir__task_destroy(drv->tasks[i]);
    weir__free(drv->tasks);
    for (size_t i = 0; i < drv->store_cnt; i++) {
        if (drv->stores[i].spec->kind == WEIR__STORE_KV)
            weir_kv_store_destroy(drv->stores[i].store);
        else
            weir_window_store_destroy(drv->stores[i].store);
    }
    weir__free(drv->stores);
    for (size_t i = 0; i < drv->dir_cnt; i++)
        weir_task_dir_close(drv->dirs[i].td);
    weir__free(drv->dirs);
    weir_store_env_destroy(drv->env);
    for (size_t i = 0; i < drv->topic_cnt; i++) {
        list_free(&drv->topics[i].list);
        weir__free(drv->topics[i].topic);
    }
    weir__free(drv->topics);
    list_free(&drv->pending);
    weir__free(drv->app_id);
    weir__free(drv->state_dir);
    weir_topology_destroy(drv->topo);
    weir__free(drv);
}

weir_test_driver_t *weir_test_driver_new(weir_topology_t *topo,
                                         const weir_test_driver_opts_t *opts,
                                         weir_error_t **errp)
{
    weir_test_driver_opts_t defaults = {0};
    *errp = NULL;
    if (!topo) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG, "test driver: NULL "
                               "topology");
        return NULL;
    }
    if (!opts)
        opts = &defaults;
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
    drv->app_id = weir__strdup(opts->application_id ? opts->application_id
                                                    : "weir-test");
    drv->wall_clock = opts->wall_clock_ms;
    drv->log = weir__logger_default();
    drv->rocksdb = opts->rocksdb_stores;
    drv->tasks = weir__calloc(topo->sub_cnt ? topo->sub_cnt : 1,
                              sizeof(weir__task_t *));
    if (drv->rocksdb)
        drv->state_dir = weir__strdup(opts->state_dir);
    if (!drv->app_id || !drv->tasks || (drv->rocksdb && !drv->state_dir)) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        weir_test_driver_destroy(drv);
        return NULL;
    }
    /* Small: test topologies hold little state. */
    if (drv->rocksdb && !(drv->env = weir_store_env_new(16u << 20, errp))) {
        weir_test_driver_destroy(drv);
        return NULL;
    }
    drv->provider = (weir__store_provider_t){drv, open_kv, open_window,
                                             release};
    drv->collector = (weir__record_collector_t){drv, collect};
    weir__task_conf_t conf = {
        .app_id = drv->app_id,
        .stores = &drv->provider,
        .collector = &drv->collector,
        .log = drv->log,
        .wall_clock_ms = drv->wall_clock,
    };
    /* Global sub-topologies come last in topo->subs; make their tasks
     * first so the global stores are loaded before anything reads them. */
    for (size_t k = 0; k < topo->sub_cnt; k++) {
        size_t s = (k + topo->task_sub_cnt) % topo->sub_cnt;
        drv->tasks[k] = weir__task_new(topo, (int)s, 0, &conf, errp);
        if (!drv->tasks[k])
            break;
        drv->task_cnt++;
    }
    for (size_t s = topo->task_sub_cnt; !*errp && s < topo->sub_cnt; s++) {
        const weir__subtopology_t *sub = &topo->subs[s];
        for (size_t i = 0; !*errp && i < sub->sources.cnt; i++) {
            const weir__node_t *src = topo->nodes[sub->sources.v[i]];
            if (src->file)
                *errp = load_file(drv, src->file);
        }
    }
    if (*errp) {
        weir_test_driver_destroy(drv);
        return NULL;
    }
    drv->topo = topo;
    return drv;
}

weir_error_t *weir_test_driver_pipe(weir_test_driver_t *drv,
                                    const char *topic, const void *key,
                                    size_t key_len, const void *value,
                                    size_t value_len, int64_t timestamp,
                                    const weir_headers_t *headers)
{
    if (!topic)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "test driver: NULL topic");
    weir_error_t *err = feed(drv, topic, key, key_len, value, value_len,
                             timestamp, headers);
    if (err)
        return err;
    return drain(drv);
}

weir_error_t *weir_test_driver_pipe_str(weir_test_driver_t *drv,
                                        const char *topic, const char *key,
                                        const char *value, int64_t timestamp)
{
    return weir_test_driver_pipe(drv, topic, key, key ? strlen(key) : 0,
                                 value, value ? strlen(value) : 0, timestamp,
                                 NULL);
}

weir_error_t *weir_test_driver_advance_wall_clock(weir_test_driver_t *drv,
                                                  int64_t ms)
{
    if (ms < 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "test driver: the wall clock only moves "
                              "forward (%lld ms)", (long long)ms);
    drv->wall_clock += ms;
    for (size_t i = 0; i < drv->task_cnt; i++) {
        weir_error_t *err = weir__task_punctuate_wall_clock(drv->tasks[i],
                                                            drv->wall_clock);
        if (!err)
            err = drain(drv);
        if (err)
            return err;
    }
    return NULL;
}

int64_t weir_test_driver_wall_clock(const weir_test_driver_t *drv)
{
    return drv->wall_clock;
}

size_t weir_test_driver_output_size(const weir_test_driver_t *drv,
                                    const char *topic)
{
    topic_out_t *t = topic ? topic_out((weir_test_driver_t *)drv, topic,
                                       false)
                           : NULL;
    return t ? t->list.cnt : 0;
}

weir_test_record_t *weir_test_driver_read_output(weir_test_driver_t *drv,
                                                 const char *topic)
{
    topic_out_t *t = topic ? topic_out(drv, topic, false) : NULL;
    out_t *o = t ? list_pop(&t->list) : NULL;
    if (!o)
        return NULL;
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

static weir_error_t *find_store(weir_test_driver_t *drv, const char *name,
                                int kind, void **storep)
{
    *storep = NULL;
    for (size_t i = 0; name && i < drv->store_cnt; i++) {
        if (strcmp(drv->stores[i].spec->name, name) == 0 &&
            (int)drv->stores[i].spec->kind == kind) {
            *storep = drv->stores[i].store;
            return NULL;
        }
    }
    return weir_error_new(WEIR_ERR_NOT_FOUND,
                          "test driver: no %s store '%s'",
                          kind == WEIR__STORE_KV ? "key-value" : "window",
                          name ? name : "(null)");
}

weir_error_t *weir_test_driver_kv_store(weir_test_driver_t *drv,
                                        const char *name,
                                        weir_kv_store_t **kvp)
{
    void *s;
    weir_error_t *err = find_store(drv, name, WEIR__STORE_KV, &s);
    *kvp = s;
    return err;
}

weir_error_t *weir_test_driver_window_store(weir_test_driver_t *drv,
                                            const char *name,
                                            weir_window_store_t **wsp)
{
    void *s;
    weir_error_t *err = find_store(drv, name, WEIR__STORE_WINDOW, &s);
    *wsp = s;
    return err;
}

uint64_t weir_test_driver_dropped(const weir_test_driver_t *drv,
                                  const char *reason)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < drv->task_cnt; i++)
        sum += weir__task_dropped(drv->tasks[i], reason);
    return sum;
}

uint64_t weir_test_driver_commit_requests(const weir_test_driver_t *drv)
{
    return drv->commit_requests;
}
