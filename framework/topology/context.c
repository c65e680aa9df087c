/*
 * context.c: the processor context, the API a processor uses while its
 * task calls it.
 *
 * Forwarding is synchronous and depth first: weir_processor_forward()
 * runs each child (and, through it, its descendants) before returning, so
 * a processor can free what it forwarded as soon as forward returns and
 * the order of outputs is the order of forwards. The context keeps the
 * node being called; forward swaps it for each child and puts it back.
 *
 * Sinks are nodes too: running a sink serializes the record with the
 * sink's serdes and hands the bytes to the task's record collector.
 *
 * Store lookups check attachment: a processor gets only the stores the
 * topology attached to it, plus global stores, so a typo or a missing
 * weir_topology_connect_store() is a clear error naming both, never
 * another processor's state.
 *
 * The current context. DSL callbacks have no context parameter (their
 * signatures predate it, and most need none); weir_dsl_context() gives
 * them the one of the node that calls them. Every way into a node (a
 * record's trip from its source, init(), punctuate()) goes through
 * weir__context_enter(), which sets a thread-local pointer and returns
 * the previous one for weir__context_leave(): a task runs on one thread
 * at a time and forwarding is synchronous, so the pointer is exactly the
 * context of the node running on this thread, nested trips included,
 * and NULL outside any task. The context's node field already follows
 * forwarding, so store lookups from a callback check attachment to the
 * DSL node that runs it.
 */
#include <string.h>

#include <weir/dsl.h>
#include <weir/serde.h>

#include "alloc_int.h"
#include "context_int.h"

/* Prefixes @p err with the node's name once. */
static weir_error_t *tag(weir_processor_context_t *pctx,
                         const weir__node_t *node, weir_error_t *err)
{
    if (!err || err == pctx->tagged || node->kind == WEIR__NODE_SOURCE)
        return err;
    const char *kind = node->kind == WEIR__NODE_SINK ? "sink" : "processor";
    err = weir_error_prefix(err, "%s '%s': ", kind, node->name);
    pctx->tagged = err;
    return err;
}

static const char empty_bytes[1] = {0};

/* The context of the node running on this thread (see the essay). */
static _Thread_local weir_processor_context_t *current_pctx;

weir_processor_context_t *weir__context_enter(weir_processor_context_t *pctx)
{
    weir_processor_context_t *prev = current_pctx;
    current_pctx = pctx;
    return prev;
}

void weir__context_leave(weir_processor_context_t *prev)
{
    current_pctx = prev;
}

weir_processor_context_t *weir_dsl_context(void)
{
    return current_pctx;
}

static weir_error_t *run_sink(weir_processor_context_t *pctx,
                              const weir__node_t *node,
                              const weir_record_t *rec)
{
    weir__task_t *task = pctx->task;
    /* The topic was resolved when the task was made, and the buffers are
     * reused: once they have grown, a record costs no allocation here. */
    const char *topic = task->sink_topics[node->idx];
    weir_buf_t *kb = &task->key_buf, *vb = &task->value_buf;
    weir_buf_reset(kb);
    weir_buf_reset(vb);
    weir_error_t *err = NULL;
    if (rec->key)
        err = weir_serde_serialize(node->key_serde, topic, rec->key,
                                   rec->key_len, kb);
    if (!err && rec->value)
        err = weir_serde_serialize(node->value_serde, topic, rec->value,
                                   rec->value_len, vb);
    if (err)
        return err;
    weir__sink_record_t out = {
        .sink = node->name,
        .topic = topic,
        .topo_topic = node->topic,
        .internal = node->internal,
        .key = rec->key ? (kb->len ? (const void *)kb->data : empty_bytes)
                        : NULL,
        .key_len = rec->key ? kb->len : 0,
        .value = rec->value ? (vb->len ? (const void *)vb->data : empty_bytes)
                            : NULL,
        .value_len = rec->value ? vb->len : 0,
        .timestamp = rec->timestamp,
        .headers = rec->headers,
        .partitioner = node->part_fn,
        .partitioner_ctx = node->part_ctx,
    };
    return task->collector.send(task->collector.opaque, &out);
}

weir_error_t *weir__node_run(weir_processor_context_t *pctx,
                             const weir__node_t *node,
                             const weir_record_t *rec)
{
    const weir__node_t *saved = pctx->node;
    weir_processor_context_t *prev = weir__context_enter(pctx);
    weir_error_t *err;
    pctx->node = node;
    if (node->kind == WEIR__NODE_SINK)
        err = run_sink(pctx, node, rec);
    else if (node->kind == WEIR__NODE_PROCESSOR)
        err = node->ops->process(pctx, pctx->task->states[node->idx], rec);
    else
        err = weir_processor_forward(pctx, rec);
    pctx->node = saved;
    weir__context_leave(prev);
    return tag(pctx, node, err);
}

weir_error_t *weir_processor_forward(weir_processor_context_t *pctx,
                                     const weir_record_t *rec)
{
    const weir__node_t *node = pctx->node;
    const weir_topology_t *topo = pctx->task->topo;
    for (size_t i = 0; i < node->children.cnt; i++) {
        weir_error_t *err = weir__node_run(
            pctx, topo->nodes[node->children.v[i]], rec);
        if (err)
            return err;
    }
    return NULL;
}

weir_error_t *weir_processor_forward_to(weir_processor_context_t *pctx,
                                        const char *child,
                                        const weir_record_t *rec)
{
    const weir__node_t *node = pctx->node;
    const weir_topology_t *topo = pctx->task->topo;
    for (size_t i = 0; child && i < node->children.cnt; i++) {
        const weir__node_t *c = topo->nodes[node->children.v[i]];
        if (strcmp(c->name, child) == 0)
            return weir__node_run(pctx, c, rec);
    }
    return weir_error_new(WEIR_ERR_NOT_FOUND,
                          "processor '%s': '%s' is not one of its children",
                          node->name, child ? child : "(null)");
}

const char *weir_processor_name(const weir_processor_context_t *pctx)
{
    return pctx->node ? pctx->node->name : NULL;
}

const char *weir_processor_task_id(const weir_processor_context_t *pctx)
{
    return pctx->task->id;
}

const char *weir_processor_record_topic(const weir_processor_context_t *pctx)
{
    return pctx->topic;
}

int32_t weir_processor_record_partition(const weir_processor_context_t *pctx)
{
    return pctx->partition;
}

int64_t weir_processor_record_offset(const weir_processor_context_t *pctx)
{
    return pctx->offset;
}

int64_t weir_processor_record_timestamp(const weir_processor_context_t *pctx)
{
    return pctx->timestamp;
}

const weir_headers_t *
weir_processor_record_headers(const weir_processor_context_t *pctx)
{
    return pctx->headers;
}

int64_t weir_processor_stream_time(const weir_processor_context_t *pctx)
{
    return pctx->task->stream_time;
}

int64_t weir_processor_wall_clock(const weir_processor_context_t *pctx)
{
    return pctx->task->wall_clock;
}

/* The task's store @p name if the current processor may use it. */
static weir_error_t *find_store(weir_processor_context_t *pctx,
                                const char *name, weir__store_kind_t kind,
                                void **storep)
{
    weir__task_t *task = pctx->task;
    const weir__node_t *node = pctx->node;
    const char *pname = node ? node->name : "(none)";
    *storep = NULL;
    const weir__store_spec_t *spec = weir__topology_store(task->topo, name);
    bool allowed = spec &&
                   (spec->global ||
                    (node && weir__ints_has(&node->stores, spec->idx)));
    if (!allowed)
        return weir_error_new(WEIR_ERR_NOT_FOUND,
                              "processor '%s': store '%s' is not attached to "
                              "it (weir_topology_connect_store)",
                              pname, name ? name : "(null)");
    if (spec->kind != kind)
        return weir_error_new(
            WEIR_ERR_INVALID_ARG, "processor '%s': store '%s' is a %s store",
            pname, name,
            spec->kind == WEIR__STORE_KV ? "key-value" : "window");
    *storep = task->stores[spec->idx].store;
    if (!*storep)
        return weir_error_new(WEIR_ERR_STATE,
                              "processor '%s': store '%s' is not open", pname,
                              name);
    return NULL;
}

weir_error_t *weir_processor_kv_store(weir_processor_context_t *pctx,
                                      const char *name, weir_kv_store_t **kvp)
{
    void *s;
    weir_error_t *err = find_store(pctx, name, WEIR__STORE_KV, &s);
    *kvp = s;
    return err;
}

weir_error_t *weir_processor_window_store(weir_processor_context_t *pctx,
                                          const char *name,
                                          weir_window_store_t **wsp)
{
    void *s;
    weir_error_t *err = find_store(pctx, name, WEIR__STORE_WINDOW, &s);
    *wsp = s;
    return err;
}

weir_error_t *weir_processor_schedule(weir_processor_context_t *pctx,
                                      weir_punctuation_type_t type,
                                      int64_t interval_ms, int tag_)
{
    weir__task_t *task = pctx->task;
    const weir__node_t *node = pctx->node;
    if (!node || node->kind != WEIR__NODE_PROCESSOR || !node->ops->punctuate)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "processor '%s': schedule needs a punctuate "
                              "operation",
                              node ? node->name : "(none)");
    if (interval_ms < 1 || (type != WEIR_PUNCTUATE_STREAM_TIME &&
                            type != WEIR_PUNCTUATE_WALL_CLOCK))
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "processor '%s': bad punctuation (type %d, "
                              "interval %lld ms)",
                              node->name, (int)type, (long long)interval_ms);
    weir__sched_t *s = NULL;
    for (size_t i = 0; i < task->sched_cnt && !s; i++)
        if (task->scheds[i].node == node->idx && task->scheds[i].tag == tag_)
            s = &task->scheds[i];
    if (!s) {
        if (task->sched_cnt == task->sched_cap) {
            size_t cap = task->sched_cap ? task->sched_cap * 2 : 4;
            weir__sched_t *n = weir__realloc(task->scheds, cap * sizeof(*n));
            if (!n)
                return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
            task->scheds = n;
            task->sched_cap = cap;
        }
        s = &task->scheds[task->sched_cnt++];
    }
    s->node = node->idx;
    s->tag = tag_;
    s->type = type;
    s->interval = interval_ms;
    s->active = true;
    /* As Kafka Streams: stream-time punctuations are aligned to 0 and
     * fire with the first record; wall-clock ones one interval from now. */
    if (type == WEIR_PUNCTUATE_STREAM_TIME)
        s->next = 0;
    else
        s->next = task->wall_clock + interval_ms;
    return NULL;
}

void weir_processor_cancel(weir_processor_context_t *pctx, int tag_)
{
    weir__task_t *task = pctx->task;
    for (size_t i = 0; pctx->node && i < task->sched_cnt; i++)
        if (task->scheds[i].node == pctx->node->idx &&
            task->scheds[i].tag == tag_)
            task->scheds[i].active = false;
}

void weir_processor_request_commit(weir_processor_context_t *pctx)
{
    pctx->task->commit_requested = true;
}

void weir__processor_results_emitted(weir_processor_context_t *pctx)
{
    weir__task_mark_results_emitted(pctx->task);
}

void weir_processor_count_dropped(weir_processor_context_t *pctx,
                                  const char *reason)
{
    weir__task_count_dropped(pctx->task, reason ? reason : "unspecified");
}
