/*
 * engine_plan.c: what an app reads and writes, from its built topology.
 *
 * The plan derives:
 * - the topics: every task sub-topology's inputs and its repartition
 *   outputs (internal ones named "<application.id>-<name>-repartition"),
 *   and the global stores' topics;
 * - each sub-topology's task count: the partition count of its input
 *   topics, which must agree (co-partitioning), or for sub-topologies fed
 *   by repartition topics, num.partitions or else the largest task count
 *   of the sub-topologies writing them (a sub-topology that also reads
 *   external topics takes their count); repartition topics get the task
 *   count of their reader.
 * The partition counts of the topics users own come from the owner (the
 * brokers' metadata in the runtime, one partition each in the test
 * driver). Mismatches are start-up errors naming the topic.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "engine_int.h"

/* Adds (or finds) a topic; returns its index or -1 when out of memory. */
static int topic_add(weir__engine_t *eng, const char *name)
{
    int idx = weir__engine_topic_index(eng, name);
    if (idx >= 0)
        return idx;
    weir__plan_topic_t *topics = weir__realloc(
        eng->topics, (eng->topic_cnt + 1) * sizeof(*topics));
    if (!topics)
        return -1;
    eng->topics = topics;
    weir__plan_topic_t *t = &eng->topics[eng->topic_cnt];
    memset(t, 0, sizeof(*t));
    t->name = weir__strdup(name);
    if (!t->name)
        return -1;
    t->reader_sub = -1;
    t->writer_sub = -1;
    t->partitions = -1;
    return (int)eng->topic_cnt++;
}

static int push_int(int **arr, size_t *cnt, int v)
{
    for (size_t i = 0; i < *cnt; i++)
        if ((*arr)[i] == v)
            return 0;
    int *a = weir__realloc(*arr, (*cnt + 1) * sizeof(int));
    if (!a)
        return -1;
    a[(*cnt)++] = v;
    *arr = a;
    return 0;
}

static weir_error_t *oom(void)
{
    return weir_error_new(WEIR_ERR_NOMEM, "planning topics");
}

/* Registers the topics of every task sub-topology. */
static weir_error_t *collect_topics(weir__engine_t *eng)
{
    const weir_topology_t *topo = eng->topo;
    eng->subs = weir__calloc(topo->task_sub_cnt ? topo->task_sub_cnt : 1,
                             sizeof(*eng->subs));
    if (!eng->subs)
        return oom();
    eng->sub_cnt = topo->task_sub_cnt;
    for (size_t s = 0; s < eng->sub_cnt; s++) {
        weir__plan_sub_t *sub = &eng->subs[s];
        const weir__subtopology_t *ts = &topo->subs[s];
        sub->id = (int)s;
        sub->task_cnt = -1;
        for (size_t n = 0; n < ts->nodes.cnt; n++) {
            const weir__node_t *node = topo->nodes[ts->nodes.v[n]];
            if (node->kind == WEIR__NODE_SOURCE) {
                for (size_t t = 0; t < node->topic_cnt; t++) {
                    char *name = weir__topic_name(eng->app_id, node->topics[t],
                                                  node->internal);
                    int ti = name ? topic_add(eng, name) : -1;
                    weir__free(name);
                    if (ti < 0 || push_int(&sub->inputs, &sub->input_cnt, ti))
                        return oom();
                    eng->topics[ti].reader_sub = (int)s;
                    eng->topics[ti].repartition = node->internal;
                    if (node->internal)
                        sub->reads_repartition = true;
                }
            } else if (node->kind == WEIR__NODE_SINK) {
                char *name = weir__topic_name(eng->app_id, node->topic,
                                              node->internal);
                int ti = name ? topic_add(eng, name) : -1;
                weir__free(name);
                if (ti < 0)
                    return oom();
                if (node->internal) {
                    eng->topics[ti].repartition = true;
                    eng->topics[ti].writer_sub = (int)s;
                    if (push_int(&sub->repartition_out,
                                 &sub->repartition_out_cnt, ti))
                        return oom();
                }
            }
        }
    }
    /* Global stores read their topics on every instance. */
    for (size_t s = eng->sub_cnt; s < topo->sub_cnt; s++) {
        const weir__subtopology_t *ts = &topo->subs[s];
        for (size_t n = 0; n < ts->sources.cnt; n++) {
            const weir__node_t *node = topo->nodes[ts->sources.v[n]];
            for (size_t t = 0; t < node->topic_cnt; t++)
                if (topic_add(eng, node->topics[t]) < 0)
                    return oom();
        }
    }
    return NULL;
}

/* Task counts and repartition partition counts (see the file comment). */
static weir_error_t *size_subtopologies(weir__engine_t *eng,
                                        int64_t num_partitions)
{
    for (size_t s = 0; s < eng->sub_cnt; s++) {
        weir__plan_sub_t *sub = &eng->subs[s];
        const weir__plan_topic_t *first = NULL;
        for (size_t i = 0; i < sub->input_cnt; i++) {
            const weir__plan_topic_t *t = &eng->topics[sub->inputs[i]];
            if (t->repartition)
                continue;
            if (first && t->partitions != first->partitions)
                return weir_error_new(
                    WEIR_ERR_CONFIG,
                    "input topics of sub-topology %zu are not co-partitioned: "
                    "%s has %" PRId32 " partitions, %s has %" PRId32,
                    s, first->name, first->partitions, t->name, t->partitions);
            first = first ? first : t;
        }
        if (first)
            sub->task_cnt = first->partitions;
    }
    /* Repartition-fed sub-topologies take their writers' size; iterate to
     * a fixpoint, as writers may be sized late in a chain. */
    for (size_t round = 0; round <= eng->sub_cnt; round++) {
        bool changed = false;
        for (size_t s = 0; s < eng->sub_cnt; s++) {
            weir__plan_sub_t *sub = &eng->subs[s];
            if (!sub->reads_repartition || sub->task_cnt > 0)
                continue;
            int32_t n = (int32_t)num_partitions;
            bool known = true;
            if (n <= 0) {
                n = 0;
                for (size_t i = 0; i < sub->input_cnt; i++) {
                    const weir__plan_topic_t *t = &eng->topics[sub->inputs[i]];
                    if (!t->repartition)
                        continue;
                    const weir__plan_sub_t *w = t->writer_sub >= 0
                                                    ? &eng->subs[t->writer_sub]
                                                    : NULL;
                    if (!w || w->task_cnt <= 0) {
                        known = false;
                        break;
                    }
                    if (w->task_cnt > n)
                        n = w->task_cnt;
                }
            }
            if (!known)
                continue;
            sub->task_cnt = n;
            changed = true;
        }
        if (!changed)
            break;
    }
    for (size_t s = 0; s < eng->sub_cnt; s++) {
        weir__plan_sub_t *sub = &eng->subs[s];
        if (sub->task_cnt <= 0)
            return weir_error_new(WEIR_ERR_TOPOLOGY,
                                  "sub-topology %zu: cannot size its tasks "
                                  "(its repartition topics form a cycle or "
                                  "have no writer)",
                                  s);
        for (size_t i = 0; i < sub->input_cnt; i++) {
            weir__plan_topic_t *t = &eng->topics[sub->inputs[i]];
            if (t->repartition)
                t->partitions = sub->task_cnt;
        }
    }
    return NULL;
}

weir_error_t *weir__engine_plan(weir__engine_t *eng,
                                weir__partitions_fn_t *partitions,
                                void *opaque, int64_t num_partitions)
{
    weir_error_t *err = collect_topics(eng);
    for (size_t i = 0; !err && i < eng->topic_cnt; i++) {
        weir__plan_topic_t *t = &eng->topics[i];
        if (!t->repartition)
            err = partitions(opaque, t->name, t->reader_sub >= 0,
                             &t->partitions);
    }
    return err ? err : size_subtopologies(eng, num_partitions);
}

void weir__engine_plan_free(weir__engine_t *eng)
{
    for (size_t i = 0; i < eng->topic_cnt; i++)
        weir__free(eng->topics[i].name);
    weir__free(eng->topics);
    eng->topics = NULL;
    eng->topic_cnt = 0;
    for (size_t s = 0; s < eng->sub_cnt; s++) {
        weir__free(eng->subs[s].inputs);
        weir__free(eng->subs[s].repartition_out);
    }
    weir__free(eng->subs);
    eng->subs = NULL;
    eng->sub_cnt = 0;
}
