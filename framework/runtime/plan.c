/*
 * plan.c: what an app reads and writes, decided before any thread starts.
 *
 * From the built topology and the brokers' metadata the plan derives:
 * - each sub-topology's task count: the partition count of its input
 *   topics, which must agree (co-partitioning), or for sub-topologies fed
 *   by repartition topics, num.partitions or else the largest task count
 *   of the sub-topologies writing them (a sub-topology that also reads
 *   external topics takes their count);
 * - the internal topics to create: repartition topics (cleanup delete),
 *   changelog topics (one partition per task; compacted, and for window
 *   stores compact,delete with the store's retention plus a day of slack,
 *   as Kafka Streams does), the dead-letter topic when a handler uses it;
 * - the output and global-store topics, which must exist: weir creates
 *   internal topics only, never a user's.
 * Mismatches are start-up errors naming the topic, not silent surprises
 * later.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin_int.h"
#include "alloc_int.h"
#include "clock_int.h"
#include "conf_int.h"
#include "mock_int.h"
#include "runtime_int.h"

#define ADMIN_TIMEOUT_MS 30000
#define WINDOW_CHANGELOG_SLACK_MS (24LL * 3600 * 1000)


/* Adds (or finds) a topic; returns its index or -1 when out of memory. */
static int topic_add(weir__rt_t *rt, const char *name)
{
    int idx = weir__engine_topic_index(&rt->eng, name);
    if (idx >= 0)
        return idx;
    weir__plan_topic_t *topics = weir__realloc(
        rt->eng.topics, (rt->eng.topic_cnt + 1) * sizeof(*topics));
    if (!topics)
        return -1;
    rt->eng.topics = topics;
    weir__plan_topic_t *t = &rt->eng.topics[rt->eng.topic_cnt];
    memset(t, 0, sizeof(*t));
    t->name = weir__strdup(name);
    if (!t->name)
        return -1;
    t->reader_sub = -1;
    t->writer_sub = -1;
    t->partitions = -1;
    return (int)rt->eng.topic_cnt++;
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

/* Whether to try an admin call again after @p err (which it takes when it
 * says yes): brokers that just started, a leader being elected, a
 * controller moving are passing states, waited out within
 * broker.down.timeout.ms. */
static bool retry_admin(const weir__rt_t *rt, weir_error_t *err,
                        int64_t deadline)
{
    if (!err || !weir_error_is_retriable(err) || weir__mono_ms() > deadline)
        return false;
    weir__log(&rt->eng.log, WEIR_LOG_WARNING, "PLAN", "%s; retrying",
              weir_error_string(err));
    weir_error_destroy(err);
    struct timespec pause = {0, 500 * 1000000};
    nanosleep(&pause, NULL);
    return true;
}


/* Registers the topics of every task sub-topology. */
static weir_error_t *collect_topics(weir__rt_t *rt)
{
    const weir_topology_t *topo = rt->eng.topo;
    rt->eng.sub_cnt = topo->task_sub_cnt;
    rt->eng.subs = weir__calloc(rt->eng.sub_cnt ? rt->eng.sub_cnt : 1, sizeof(*rt->eng.subs));
    if (!rt->eng.subs)
        return oom();
    for (size_t s = 0; s < rt->eng.sub_cnt; s++) {
        weir__plan_sub_t *sub = &rt->eng.subs[s];
        const weir__subtopology_t *ts = &topo->subs[s];
        sub->id = (int)s;
        sub->task_cnt = -1;
        for (size_t n = 0; n < ts->nodes.cnt; n++) {
            const weir__node_t *node = topo->nodes[ts->nodes.v[n]];
            if (node->kind == WEIR__NODE_SOURCE) {
                for (size_t t = 0; t < node->topic_cnt; t++) {
                    char *name = weir__topic_name(rt->eng.app_id, node->topics[t],
                                                  node->internal);
                    int ti = name ? topic_add(rt, name) : -1;
                    weir__free(name);
                    if (ti < 0 || push_int(&sub->inputs, &sub->input_cnt, ti))
                        return oom();
                    rt->eng.topics[ti].reader_sub = (int)s;
                    rt->eng.topics[ti].repartition = node->internal;
                    if (node->internal)
                        sub->reads_repartition = true;
                }
            } else if (node->kind == WEIR__NODE_SINK) {
                char *name = weir__topic_name(rt->eng.app_id, node->topic,
                                              node->internal);
                int ti = name ? topic_add(rt, name) : -1;
                weir__free(name);
                if (ti < 0)
                    return oom();
                if (node->internal) {
                    rt->eng.topics[ti].repartition = true;
                    rt->eng.topics[ti].writer_sub = (int)s;
                    if (push_int(&sub->repartition_out,
                                 &sub->repartition_out_cnt, ti))
                        return oom();
                }
            }
        }
    }
    /* Global stores read their topics on every instance. */
    for (size_t s = rt->eng.sub_cnt; s < topo->sub_cnt; s++) {
        const weir__subtopology_t *ts = &topo->subs[s];
        for (size_t n = 0; n < ts->sources.cnt; n++) {
            const weir__node_t *node = topo->nodes[ts->sources.v[n]];
            for (size_t t = 0; t < node->topic_cnt; t++)
                if (topic_add(rt, node->topics[t]) < 0)
                    return oom();
        }
    }
    return NULL;
}

/* Partition counts of the topics users own: inputs, outputs, globals. */
static weir_error_t *describe_user_topics(weir__rt_t *rt)
{
    for (size_t i = 0; i < rt->eng.topic_cnt; i++) {
        weir__plan_topic_t *t = &rt->eng.topics[i];
        if (t->repartition)
            continue;
        int64_t deadline = weir__engine_deadline(&rt->eng);
        weir_error_t *err;
        do {
            err = weir__admin_partition_count(rt->admin, t->name,
                                              ADMIN_TIMEOUT_MS,
                                              &t->partitions);
        } while (retry_admin(rt, err, deadline));
        if (err)
            return weir_error_prefix(err, "checking the app's topics: ");
        if (t->partitions < 0) {
            /* Global store topics are read too, but by no task. */
            const char *role = t->reader_sub >= 0 ? "input" : "output or "
                                                              "global";
            return weir_error_new(WEIR_ERR_CONFIG,
                                  "%s topic %s does not exist: weir creates "
                                  "only its internal topics; create it first",
                                  role, t->name);
        }
    }
    return NULL;
}

/* Task counts and repartition partition counts (see the file comment). */
static weir_error_t *size_subtopologies(weir__rt_t *rt)
{
    int64_t num_partitions = weir__conf_get_int(rt->conf, "num.partitions");
    for (size_t s = 0; s < rt->eng.sub_cnt; s++) {
        weir__plan_sub_t *sub = &rt->eng.subs[s];
        const weir__plan_topic_t *first = NULL;
        for (size_t i = 0; i < sub->input_cnt; i++) {
            const weir__plan_topic_t *t = &rt->eng.topics[sub->inputs[i]];
            if (t->repartition)
                continue;
            if (first && t->partitions != first->partitions)
                return weir_error_new(
                    WEIR_ERR_CONFIG,
                    "input topics of sub-topology %zu are not co-partitioned: "
                    "%s has %" PRId32 " partitions, %s has %" PRId32,
                    s, first->name, first->partitions, t->name,
                    t->partitions);
            first = first ? first : t;
        }
        if (first)
            sub->task_cnt = first->partitions;
    }
    /* Repartition-fed sub-topologies take their writers' size; iterate to
     * a fixpoint, as writers may be sized late in a chain. */
    for (size_t round = 0; round <= rt->eng.sub_cnt; round++) {
        bool changed = false;
        for (size_t s = 0; s < rt->eng.sub_cnt; s++) {
            weir__plan_sub_t *sub = &rt->eng.subs[s];
            if (!sub->reads_repartition || sub->task_cnt > 0)
                continue;
            int32_t n = (int32_t)num_partitions;
            bool known = true;
            if (n <= 0) {
                n = 0;
                for (size_t i = 0; i < sub->input_cnt; i++) {
                    const weir__plan_topic_t *t = &rt->eng.topics[sub->inputs[i]];
                    if (!t->repartition)
                        continue;
                    const weir__plan_sub_t *w =
                        t->writer_sub >= 0 ? &rt->eng.subs[t->writer_sub] : NULL;
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
    for (size_t s = 0; s < rt->eng.sub_cnt; s++) {
        weir__plan_sub_t *sub = &rt->eng.subs[s];
        if (sub->task_cnt <= 0)
            return weir_error_new(WEIR_ERR_TOPOLOGY,
                                  "sub-topology %zu: cannot size its tasks "
                                  "(its repartition topics form a cycle or "
                                  "have no writer)",
                                  s);
        for (size_t i = 0; i < sub->input_cnt; i++) {
            weir__plan_topic_t *t = &rt->eng.topics[sub->inputs[i]];
            if (t->repartition)
                t->partitions = sub->task_cnt;
        }
    }
    return NULL;
}

static weir_error_t *ensure(weir__rt_t *rt, const weir__topic_spec_t *specs,
                            size_t cnt)
{
    if (!rt->mock)
        return weir__admin_ensure_topics(rt->admin, specs, cnt,
                                         ADMIN_TIMEOUT_MS, &rt->eng.log);
    /* The mock has no Admin API and no topic configs. */
    for (size_t i = 0; i < cnt; i++) {
        weir_error_t *err = weir_mock_cluster_create_topic(
            rt->mock, specs[i].name, specs[i].partitions);
        if (err)
            return err;
    }
    return NULL;
}

static weir_error_t *create_internal_topics(weir__rt_t *rt)
{
    const weir_topology_t *topo = rt->eng.topo;
    size_t max = rt->eng.topic_cnt + topo->store_cnt + 1;
    weir__topic_spec_t *specs = weir__calloc(max, sizeof(*specs));
    char **names = weir__calloc(max, sizeof(char *));
    if (!specs || !names) {
        weir__free(specs);
        weir__free(names);
        return oom();
    }
    int replication = (int)weir__conf_get_int(rt->conf, "replication.factor");
    size_t n = 0;
    weir_error_t *err = NULL;
    for (size_t i = 0; i < rt->eng.topic_cnt; i++) {
        const weir__plan_topic_t *t = &rt->eng.topics[i];
        if (!t->repartition)
            continue;
        specs[n++] = (weir__topic_spec_t){t->name, t->partitions, replication,
                                          "delete", -1};
    }
    for (size_t i = 0; i < topo->store_cnt && !err; i++) {
        const weir__store_spec_t *st = topo->stores[i];
        if (!st->changelog || st->global || st->subtopology < 0 ||
            (size_t)st->subtopology >= rt->eng.sub_cnt)
            continue;
        names[n] = weir__engine_changelog_topic(&rt->eng, st->name);
        if (!names[n]) {
            err = oom();
            break;
        }
        bool window = st->kind == WEIR__STORE_WINDOW;
        specs[n] = (weir__topic_spec_t){
            names[n], rt->eng.subs[st->subtopology].task_cnt, replication,
            window ? "compact,delete" : "compact",
            window ? st->retention_ms + WINDOW_CHANGELOG_SLACK_MS : 0};
        n++;
    }
    int64_t deadline = weir__engine_deadline(&rt->eng);
    if (!err) {
        do {
            err = ensure(rt, specs, n);
        } while (retry_admin(rt, err, deadline));
    }
    if (!err && rt->eng.dlq_topic) {
        int32_t parts = -1;
        if (!rt->mock)
            err = weir__admin_partition_count(rt->admin, rt->eng.dlq_topic,
                                              ADMIN_TIMEOUT_MS, &parts);
        if (!err && parts < 0) {
            weir__topic_spec_t dlq = {rt->eng.dlq_topic, 1, replication, "delete",
                                      0};
            err = ensure(rt, &dlq, 1);
        }
    }
    for (size_t i = 0; i < max; i++)
        weir__free(names[i]);
    weir__free(names);
    weir__free(specs);
    return err;
}

weir_error_t *weir__rt_plan(weir__rt_t *rt)
{
    weir_error_t *err = collect_topics(rt);
    if (!err)
        err = describe_user_topics(rt);
    if (!err)
        err = size_subtopologies(rt);
    if (!err)
        err = create_internal_topics(rt);
    if (err)
        return err;
    for (size_t s = 0; s < rt->eng.sub_cnt; s++)
        weir__log(&rt->eng.log, WEIR_LOG_INFO, "PLAN",
                  "sub-topology %zu: %" PRId32 " tasks%s", s,
                  rt->eng.subs[s].task_cnt,
                  rt->eng.subs[s].reads_repartition
                      ? ", event time from watermark markers"
                      : "");
    return NULL;
}

void weir__rt_plan_free(weir__rt_t *rt)
{
    for (size_t i = 0; i < rt->eng.topic_cnt; i++)
        weir__free(rt->eng.topics[i].name);
    weir__free(rt->eng.topics);
    rt->eng.topics = NULL;
    rt->eng.topic_cnt = 0;
    for (size_t s = 0; s < rt->eng.sub_cnt; s++) {
        weir__free(rt->eng.subs[s].inputs);
        weir__free(rt->eng.subs[s].repartition_out);
    }
    weir__free(rt->eng.subs);
    rt->eng.subs = NULL;
    rt->eng.sub_cnt = 0;
}
