/*
 * host_globals.c: a task host's global stores.
 *
 * Each host keeps its own copy of every global store (stream threads then
 * need no lock to read them; global data is small by nature: a product
 * catalogue, reference tables). A global sub-topology gets a task of its
 * own, which the host feeds: the lines of its source file when the host
 * is made, then whatever records of its topics the owner hands over (it
 * reads them to their end before its tasks process, then as they come).
 * One bad-row policy for files and topics alike: a row that fails is
 * skipped, logged and counted, never fatal, because the rest of the table
 * is still good.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "host_priv.h"

static weir__host_global_t *global_of(weir__host_t *h, const char *topic)
{
    for (size_t i = 0; i < h->global_cnt; i++)
        if (weir__task_reads_topic(h->globals[i].task, topic))
            return &h->globals[i];
    return NULL;
}

/* Feeds one row to @p g's task; a row that fails is skipped. */
static void feed(weir__host_t *h, weir__host_global_t *g,
                 const weir__input_record_t *in)
{
    weir_error_t *err = weir__task_add_record(g->task, in);
    bool processed = true;
    while (!err && processed)
        err = weir__task_process(g->task, &processed);
    if (!err)
        return;
    weir__log(&h->eng->log, WEIR_LOG_WARNING, "GLOBAL",
              "%s: skipping %s line/offset %" PRId64 ": %s", h->name,
              in->topic, in->offset, weir_error_string(err));
    weir_error_destroy(err);
    weir__task_count_dropped(g->task, "bad-row");
    atomic_fetch_add(&h->eng->metrics.dropped_records, 1);
}

static weir_error_t *load_file(weir__host_t *h, weir__host_global_t *g,
                               const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return weir_error_new(WEIR_ERR_IO, "global store file %s: %s", path,
                              strerror(errno));
    size_t tlen = strlen(path) + 6;
    char *topic = weir__malloc(tlen);
    if (!topic) {
        fclose(f);
        return weir_error_new(WEIR_ERR_NOMEM, "global store file %s", path);
    }
    snprintf(topic, tlen, "file:%s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len)
            continue;
        weir__input_record_t in = {topic, 0,           lineno, NULL, 0,
                                   line,  (size_t)len, 0,      NULL, NULL};
        feed(h, g, &in);
    }
    free(line); /* getline() allocates with malloc */
    fclose(f);
    weir__free(topic);
    return NULL;
}

weir_error_t *weir__host_globals_start(weir__host_t *h)
{
    const weir_topology_t *topo = h->eng->topo;
    size_t n = topo->sub_cnt - topo->task_sub_cnt;
    if (!n)
        return NULL;
    h->globals = weir__calloc(n, sizeof(*h->globals));
    if (!h->globals)
        return weir_error_new(WEIR_ERR_NOMEM, "global stores");
    for (size_t i = 0; i < n; i++) {
        weir__host_global_t *g = &h->globals[h->global_cnt++];
        g->sub = (int)(topo->task_sub_cnt + i);
        weir__task_conf_t conf = h->task_conf;
        conf.wall_clock_ms = h->wall_ms;
        weir_error_t *err = NULL;
        g->task = weir__task_new(topo, g->sub, 0, &conf, &err);
        if (err)
            return err;
        const weir__subtopology_t *sub = &topo->subs[g->sub];
        for (size_t s = 0; s < sub->sources.cnt && !err; s++) {
            const weir__node_t *src = topo->nodes[sub->sources.v[s]];
            if (src->file)
                err = load_file(h, g, src->file);
        }
        if (err)
            return err;
    }
    return NULL;
}

weir_error_t *weir__host_global_record(weir__host_t *h,
                                       const weir__host_in_t *in)
{
    weir__host_global_t *g = global_of(h, in->topic_name);
    if (!g)
        return weir_error_new(WEIR_ERR_NOT_FOUND,
                              "%s: no global store reads topic %s", h->name,
                              in->topic_name);
    weir__input_record_t rec = {
        in->topic_name, in->partition, in->offset,    in->key,     in->key_len,
        in->value,      in->value_len, in->timestamp, in->headers, NULL};
    feed(h, g, &rec);
    return NULL;
}

size_t weir__host_global_topics(const weir__host_t *h, const char **out,
                                size_t max)
{
    const weir_topology_t *topo = h->eng->topo;
    size_t n = 0;
    for (size_t i = 0; i < h->global_cnt; i++) {
        const weir__subtopology_t *sub = &topo->subs[h->globals[i].sub];
        for (size_t s = 0; s < sub->sources.cnt; s++) {
            const weir__node_t *src = topo->nodes[sub->sources.v[s]];
            for (size_t t = 0; t < src->topic_cnt && n < max; t++)
                out[n++] = src->topics[t];
        }
    }
    return n;
}

void weir__host_globals_destroy(weir__host_t *h)
{
    for (size_t i = 0; i < h->global_cnt; i++)
        weir__task_destroy(h->globals[i].task);
    weir__free(h->globals);
    h->globals = NULL;
    h->global_cnt = 0;
    if (h->global_stores) {
        for (size_t i = 0; i < h->eng->topo->store_cnt; i++)
            weir_store_destroy(weir_kv_store_as_store(h->global_stores[i]));
        weir__free(h->global_stores);
        h->global_stores = NULL;
    }
}
