/*
 * task.c: one sub-topology instance for one partition (see task_int.h for
 * the contract with its owner: the test driver or the Kafka runtime).
 *
 * Records are deserialized when they are queued, so a bad record is
 * reported at once with its topic, partition and offset and never blocks
 * the queue; the timestamp extractor runs then too, since ordering needs
 * the timestamp. Each (topic, partition) has a FIFO queue; processing
 * takes the head with the smallest timestamp, ties going to the queue
 * made first, so the order is deterministic for a given sequence of
 * add_record calls.
 *
 * Punctuation follows Kafka Streams: a stream-time schedule is aligned to
 * 0 and fires at most once per advance of stream time (skipped intervals
 * are not replayed); a wall-clock schedule fires one interval after it was
 * made, then likewise. Schedules are kept in an array scanned in the order
 * they were made, which is also the order punctuations of one instant run.
 */
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "context_int.h"

const char *weir__task_id(const weir__task_t *task)
{
    return task->id;
}

int weir__task_subtopology(const weir__task_t *task)
{
    return task->sub->id;
}

int64_t weir__task_stream_time(const weir__task_t *task)
{
    return task->stream_time;
}

bool weir__task_commit_requested(const weir__task_t *task)
{
    return task->commit_requested;
}

bool weir__task_results_emitted(const weir__task_t *task)
{
    return task->results_emitted;
}

void weir__task_mark_results_emitted(weir__task_t *task)
{
    task->results_emitted = true;
}

void weir__task_clear_commit_request(weir__task_t *task)
{
    task->commit_requested = false;
    task->results_emitted = false;
}

size_t weir__task_buffered(const weir__task_t *task)
{
    return task->buffered;
}

void weir__task_count_dropped(weir__task_t *task, const char *reason)
{
    for (size_t i = 0; i < task->counter_cnt; i++) {
        if (strcmp(task->counters[i].reason, reason) == 0) {
            task->counters[i].count++;
            return;
        }
    }
    weir__counter_t *n = weir__realloc(task->counters,
                                       (task->counter_cnt + 1) * sizeof(*n));
    if (!n)
        return; /* a counter is not worth failing a record over */
    task->counters = n;
    n[task->counter_cnt].reason = weir__strdup(reason);
    if (!n[task->counter_cnt].reason)
        return;
    n[task->counter_cnt].count = 1;
    task->counter_cnt++;
    weir__dbg(&task->log, TASK, "DROP", "task %s: record dropped (%s)",
              task->id, reason);
}

uint64_t weir__task_dropped(const weir__task_t *task, const char *reason)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < task->counter_cnt; i++)
        if (!reason || strcmp(task->counters[i].reason, reason) == 0)
            sum += task->counters[i].count;
    return sum;
}

bool weir__task_dropped_counter(const weir__task_t *task, size_t i,
                                const char **reasonp, uint64_t *countp)
{
    if (i >= task->counter_cnt)
        return false;
    *reasonp = task->counters[i].reason;
    *countp = task->counters[i].count;
    return true;
}

/* The record a processor sees for a queued entry, at @p timestamp. */
static weir_record_t queued_record(const weir__queued_t *e, int64_t timestamp)
{
    return (weir_record_t){.key = e->key,
                           .key_len = e->key_len,
                           .value = e->value,
                           .value_len = e->value_len,
                           .timestamp = timestamp,
                           .headers = e->headers};
}

static void queued_free(const weir__node_t *source, weir__queued_t *q)
{
    weir_serde_free_obj(source->key_serde, q->key, q->key_len);
    weir_serde_free_obj(source->value_serde, q->value, q->value_len);
    weir_headers_destroy(q->headers);
    weir__free(q);
}

static weir__queue_t *queue_add(weir__task_t *task, const char *topic,
                                int32_t partition, const weir__node_t *source)
{
    weir__queue_t *n = weir__realloc(task->queues,
                                     (task->queue_cnt + 1) * sizeof(*n));
    if (!n)
        return NULL;
    task->queues = n;
    weir__queue_t *q = &n[task->queue_cnt];
    memset(q, 0, sizeof(*q));
    q->topic = weir__strdup(topic);
    if (!q->topic)
        return NULL;
    q->partition = partition;
    q->source = source;
    q->partition_time = INT64_MIN;
    task->queue_cnt++;
    return q;
}

void weir__task_clear_queues(weir__task_t *task)
{
    for (size_t i = 0; i < task->queue_cnt; i++) {
        weir__queue_t *q = &task->queues[i];
        while (q->head) {
            weir__queued_t *e = q->head;
            q->head = e->next;
            if (e->handle && task->release_handle)
                task->release_handle(task->release_opaque, e->handle);
            queued_free(q->source, e);
        }
        q->tail = NULL;
        q->cnt = 0;
    }
    task->buffered = 0;
}

void weir__task_destroy(weir__task_t *task)
{
    if (!task)
        return;
    const weir_topology_t *topo = task->topo;
    for (size_t n = 0; task->inited && n < task->sub->nodes.cnt; n++) {
        const weir__node_t *node = topo->nodes[task->sub->nodes.v[n]];
        if (task->inited[node->idx] && node->ops->close)
            node->ops->close(task->states[node->idx], node->opaque);
    }
    for (size_t s = 0; task->stores && s < topo->store_cnt; s++)
        if (task->stores[s].store && task->stores_if.release)
            task->stores_if.release(task->stores_if.opaque, task->id,
                                    task->stores[s].spec,
                                    task->stores[s].store);
    weir__task_clear_queues(task);
    for (size_t i = 0; i < task->queue_cnt; i++)
        weir__free(task->queues[i].topic);
    for (size_t i = 0; i < task->counter_cnt; i++)
        weir__free(task->counters[i].reason);
    weir__free(task->counters);
    weir__free(task->queues);
    weir__free(task->scheds);
    for (size_t n = 0; task->sink_topics && n < topo->node_cnt; n++)
        weir__free(task->sink_topics[n]);
    weir__free(task->sink_topics);
    weir_buf_free(&task->key_buf);
    weir_buf_free(&task->value_buf);
    weir__free(task->states);
    weir__free(task->inited);
    weir__free(task->stores);
    weir__free(task->app_id);
    weir__free(task);
}

/* The full topic names of the sub-topology's sinks, once. */
static weir_error_t *resolve_sinks(weir__task_t *task)
{
    const weir_topology_t *topo = task->topo;
    for (size_t n = 0; n < task->sub->nodes.cnt; n++) {
        const weir__node_t *node = topo->nodes[task->sub->nodes.v[n]];
        if (node->kind != WEIR__NODE_SINK)
            continue;
        task->sink_topics[node->idx] = weir__topic_name(
            task->app_id, node->topic, node->internal);
        if (!task->sink_topics[node->idx])
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    return NULL;
}

static weir_error_t *open_stores(weir__task_t *task)
{
    const weir_topology_t *topo = task->topo;
    for (size_t s = 0; s < topo->store_cnt; s++) {
        const weir__store_spec_t *spec = topo->stores[s];
        task->stores[s].spec = spec;
        if (!spec->global && spec->subtopology != task->sub->id)
            continue;
        weir_error_t *err;
        if (spec->kind == WEIR__STORE_KV) {
            weir_kv_store_t *kv = NULL;
            err = task->stores_if.open_kv(task->stores_if.opaque, task->id,
                                          spec, &kv);
            task->stores[s].store = kv;
        } else {
            weir_window_store_t *ws = NULL;
            err = task->stores_if.open_window(task->stores_if.opaque, task->id,
                                              spec, &ws);
            task->stores[s].store = ws;
        }
        if (err)
            return weir_error_prefix(err, "store '%s': ", spec->name);
    }
    return NULL;
}

static weir_error_t *make_queues(weir__task_t *task)
{
    const weir_topology_t *topo = task->topo;
    for (size_t i = 0; i < task->sub->sources.cnt; i++) {
        const weir__node_t *src = topo->nodes[task->sub->sources.v[i]];
        for (size_t t = 0; t < src->topic_cnt; t++) {
            char *name = weir__topic_name(task->app_id, src->topics[t],
                                          src->internal);
            weir__queue_t *q = name ? queue_add(task, name, task->partition,
                                                src)
                                    : NULL;
            weir__free(name);
            if (!q)
                return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        }
        if (src->file) {
            size_t len = strlen(src->file) + 6;
            char *name = weir__malloc(len);
            if (name)
                snprintf(name, len, "file:%s", src->file);
            weir__queue_t *q = name ? queue_add(task, name, 0, src) : NULL;
            weir__free(name);
            if (!q)
                return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        }
    }
    return NULL;
}

weir__task_t *weir__task_new(const weir_topology_t *topo, int sub,
                             int32_t partition, const weir__task_conf_t *conf,
                             weir_error_t **errp)
{
    *errp = NULL;
    if (!topo || !topo->built || sub < 0 || (size_t)sub >= topo->sub_cnt ||
        !conf || !conf->stores || !conf->collector) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "task %d_%d: needs a built topology with that "
                               "sub-topology, a store provider and a "
                               "collector",
                               sub, (int)partition);
        return NULL;
    }
    weir__task_t *task = weir__calloc(1, sizeof(*task));
    if (!task) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    task->topo = topo;
    task->sub = &topo->subs[sub];
    task->partition = partition;
    snprintf(task->id, sizeof(task->id), "%d_%d", sub, (int)partition);
    task->stores_if = *conf->stores;
    task->collector = *conf->collector;
    task->log = conf->log;
    task->wall_clock = conf->wall_clock_ms;
    task->stream_time = INT64_MIN;
    task->external_stream_time = conf->external_stream_time;
    task->last_partition = -1;
    task->last_offset = -1;
    task->last_queue = -1;
    task->release_handle = conf->release_handle;
    task->release_opaque = conf->release_opaque;
    task->pctx.task = task;
    task->pctx.partition = -1;
    task->pctx.offset = -1;
    task->app_id = conf->app_id ? weir__strdup(conf->app_id) : NULL;
    task->states = weir__calloc(topo->node_cnt, sizeof(void *));
    task->inited = weir__calloc(topo->node_cnt, sizeof(bool));
    task->sink_topics = weir__calloc(topo->node_cnt, sizeof(char *));
    task->stores = weir__calloc(topo->store_cnt ? topo->store_cnt : 1,
                                sizeof(*task->stores));
    weir_buf_init(&task->key_buf, 0);
    weir_buf_init(&task->value_buf, 0);
    if ((conf->app_id && !task->app_id) || !task->states || !task->inited ||
        !task->sink_topics || !task->stores) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        goto fail;
    }
    *errp = resolve_sinks(task);
    if (!*errp)
        *errp = open_stores(task);
    if (!*errp)
        *errp = make_queues(task);
    for (size_t n = 0; !*errp && n < task->sub->nodes.cnt; n++) {
        const weir__node_t *node = topo->nodes[task->sub->nodes.v[n]];
        if (node->kind != WEIR__NODE_PROCESSOR || !node->ops->init) {
            task->inited[node->idx] = node->kind == WEIR__NODE_PROCESSOR;
            continue;
        }
        task->pctx.node = node;
        weir_processor_context_t *prev = weir__context_enter(&task->pctx);
        weir_error_t *err = node->ops->init(&task->pctx, node->opaque,
                                            &task->states[node->idx]);
        weir__context_leave(prev);
        task->pctx.node = NULL;
        if (err) {
            *errp = weir_error_prefix(err,
                                      "processor '%s' init: ", node->name);
            break;
        }
        task->inited[node->idx] = true;
    }
    if (!*errp) {
        weir__dbg(&task->log, TASK, "TASK",
                  "task %s created (%zu input "
                  "queues)",
                  task->id, task->queue_cnt);
        return task;
    }
fail:
    *errp = weir_error_prefix(*errp, "task %s: ", task->id);
    weir__task_destroy(task);
    return NULL;
}

static weir__queue_t *find_queue(const weir__task_t *task, const char *topic,
                                 int32_t partition, bool any_partition)
{
    for (size_t i = 0; i < task->queue_cnt; i++) {
        weir__queue_t *q = &task->queues[i];
        if (strcmp(q->topic, topic) == 0 &&
            (any_partition || q->partition == partition))
            return q;
    }
    return NULL;
}

bool weir__task_reads_topic(const weir__task_t *task, const char *topic)
{
    return topic && find_queue(task, topic, 0, true) != NULL;
}

size_t weir__task_queue_size(const weir__task_t *task, const char *topic,
                             int32_t partition)
{
    weir__queue_t *q = find_queue(task, topic, partition, false);
    return q ? q->cnt : 0;
}

static int64_t default_extractor(void *ctx, const weir_record_t *rec,
                                 int64_t partition_time)
{
    (void)ctx;
    (void)partition_time;
    return rec->timestamp;
}

int weir__task_queue_index(weir__task_t *task, const char *topic,
                           int32_t partition)
{
    weir__queue_t *q = find_queue(task, topic, partition, false);
    if (!q) {
        /* A known topic, another partition: global tasks read them all. */
        weir__queue_t *any = find_queue(task, topic, 0, true);
        if (!any)
            return -1;
        q = queue_add(task, topic, partition, any->source);
        if (!q)
            return -1;
    }
    return (int)(q - task->queues);
}

weir_error_t *weir__task_add_record(weir__task_t *task,
                                    const weir__input_record_t *in)
{
    int q = weir__task_queue_index(task, in->topic, in->partition);
    if (q < 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "task %s does not read topic '%s' (or is out "
                              "of memory)",
                              task->id, in->topic);
    bool queued;
    return weir__task_add_record_to(task, q, in, &queued);
}

weir_error_t *weir__task_add_record_to(weir__task_t *task, int qi,
                                       const weir__input_record_t *in,
                                       bool *queuedp)
{
    *queuedp = false;
    weir__queue_t *q = &task->queues[qi];
    const weir__node_t *src = q->source;
    weir__queued_t *e = weir__calloc(1, sizeof(*e));
    if (!e)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    weir_error_t *err = weir_serde_deserialize(
        src->key_serde, in->topic, in->key, in->key_len, &e->key, &e->key_len);
    if (!err)
        err = weir_serde_deserialize(src->value_serde, in->topic, in->value,
                                     in->value_len, &e->value, &e->value_len);
    if (!err && in->headers) {
        e->headers = weir_headers_copy(in->headers);
        if (!e->headers)
            err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    if (err) {
        queued_free(src, e);
        return weir_error_prefix(err,
                                 "task %s: topic %s partition %d "
                                 "offset %lld: ",
                                 task->id, in->topic, (int)in->partition,
                                 (long long)in->offset);
    }
    weir_record_t rec = queued_record(e, in->timestamp);
    weir_timestamp_extractor_t *fn = src->ts_fn ? src->ts_fn
                                                : default_extractor;
    e->timestamp = fn(src->ts_ctx, &rec, q->partition_time);
    e->offset = in->offset;
    e->handle = in->handle;
    if (e->timestamp < 0) {
        queued_free(src, e);
        weir__task_count_dropped(task, "invalid-timestamp");
        return NULL;
    }
    if (e->timestamp > q->partition_time)
        q->partition_time = e->timestamp;
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    q->cnt++;
    task->buffered++;
    *queuedp = true;
    return NULL;
}

static void set_no_record(weir__task_t *task, int64_t t)
{
    task->pctx.topic = NULL;
    task->pctx.partition = -1;
    task->pctx.offset = -1;
    task->pctx.timestamp = t;
    task->pctx.headers = NULL;
}

/* Fires the due punctuations of @p type at time @p now. */
static weir_error_t *fire(weir__task_t *task, weir_punctuation_type_t type,
                          int64_t now)
{
    /* Index-based: punctuate() may schedule more (the array may move). */
    for (size_t i = 0; i < task->sched_cnt; i++) {
        weir__sched_t *s = &task->scheds[i];
        if (!s->active || s->type != type || s->next > now)
            continue;
        int64_t due = s->next, interval = s->interval;
        int node_idx = s->node, tag_ = s->tag;
        /* Next time first, so a reschedule inside punctuate() wins. */
        int64_t next = due + interval;
        if (now >= next)
            next = due + ((now - due) / interval + 1) * interval;
        s->next = next;
        const weir__node_t *node = task->topo->nodes[node_idx];
        set_no_record(task, now);
        task->pctx.node = node;
        task->pctx.tagged = NULL;
        weir_processor_context_t *prev = weir__context_enter(&task->pctx);
        weir_error_t *err = node->ops->punctuate(
            &task->pctx, task->states[node_idx], type, now, tag_);
        weir__context_leave(prev);
        if (err && err != task->pctx.tagged)
            err = weir_error_prefix(err,
                                    "processor '%s' punctuate: ", node->name);
        task->pctx.node = NULL;
        if (err)
            return weir_error_prefix(err, "task %s: ", task->id);
    }
    return NULL;
}

weir_error_t *weir__task_process(weir__task_t *task, bool *processedp)
{
    weir__queue_t *best = NULL;
    *processedp = false;
    for (size_t i = 0; i < task->queue_cnt; i++) {
        weir__queue_t *q = &task->queues[i];
        if (q->head && (!best || q->head->timestamp < best->head->timestamp))
            best = q;
    }
    if (!best)
        return NULL;
    weir__queued_t *e = best->head;
    best->head = e->next;
    if (!best->head)
        best->tail = NULL;
    best->cnt--;
    task->buffered--;
    *processedp = true;
    if (!task->external_stream_time && e->timestamp > task->stream_time)
        task->stream_time = e->timestamp;
    task->last_topic = best->topic;
    task->last_partition = best->partition;
    task->last_offset = e->offset;
    task->last_queue = (int)(best - task->queues);
    task->last_handle = e->handle;

    weir_record_t rec = queued_record(e, e->timestamp);
    task->pctx.topic = best->topic;
    task->pctx.partition = best->partition;
    task->pctx.offset = e->offset;
    task->pctx.timestamp = e->timestamp;
    task->pctx.headers = e->headers;
    task->pctx.node = NULL;
    task->pctx.tagged = NULL;
    weir_error_t *err = weir__node_run(&task->pctx, best->source, &rec);
    set_no_record(task, -1);
    queued_free(best->source, e);
    if (err)
        return weir_error_prefix(err, "task %s: ", task->id);
    return fire(task, WEIR_PUNCTUATE_STREAM_TIME, task->stream_time);
}

int weir__task_last_queue(const weir__task_t *task)
{
    return task->last_queue;
}

void *weir__task_last_handle(const weir__task_t *task)
{
    return task->last_handle;
}

void weir__task_last_processed(const weir__task_t *task, const char **topicp,
                               int32_t *partitionp, int64_t *offsetp)
{
    *topicp = task->last_topic;
    *partitionp = task->last_partition;
    *offsetp = task->last_offset;
}

weir_error_t *weir__task_advance_stream_time(weir__task_t *task, int64_t t)
{
    if (t > task->stream_time)
        task->stream_time = t;
    if (task->stream_time == INT64_MIN)
        return NULL;
    return fire(task, WEIR_PUNCTUATE_STREAM_TIME, task->stream_time);
}

weir_error_t *weir__task_punctuate_wall_clock(weir__task_t *task,
                                              int64_t now_ms)
{
    if (now_ms > task->wall_clock)
        task->wall_clock = now_ms;
    return fire(task, WEIR_PUNCTUATE_WALL_CLOCK, task->wall_clock);
}
