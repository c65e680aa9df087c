/*
 * plan.c: what an app reads and writes, decided before any thread starts.
 *
 * The engine's plan (host/engine_plan.c) derives the topics and task
 * counts from the built topology, with the brokers' metadata for the
 * topics users own. This file gives it that metadata and creates:
 * - the internal topics: repartition topics (cleanup delete),
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


/* The partition count of a topic users own (input, output, global),
 * from the brokers; one that does not exist is an error. */
static weir_error_t *describe_topic(void *opaque, const char *name, bool input,
                                    int32_t *partsp)
{
    weir__rt_t *rt = opaque;
    int64_t deadline = weir__engine_deadline(&rt->eng);
    weir_error_t *err;
    do {
        err = weir__admin_partition_count(rt->admin, name, ADMIN_TIMEOUT_MS,
                                          partsp);
    } while (retry_admin(rt, err, deadline));
    if (err)
        return weir_error_prefix(err, "checking the app's topics: ");
    if (*partsp < 0) {
        /* Global store topics are read too, but by no task. */
        const char *role = input ? "input" : "output or global";
        return weir_error_new(WEIR_ERR_CONFIG,
                              "%s topic %s does not exist: weir creates "
                              "only its internal topics; create it first",
                              role, name);
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
        return weir_error_new(WEIR_ERR_NOMEM, "planning topics");
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
        if (!weir__engine_store_has_changelog(&rt->eng, st))
            continue;
        names[n] = weir__engine_changelog_topic(&rt->eng, st->name);
        if (!names[n]) {
            err = weir_error_new(WEIR_ERR_NOMEM, "planning topics");
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
            weir__topic_spec_t dlq = {rt->eng.dlq_topic, 1, replication,
                                      "delete", 0};
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
    weir_error_t *err = weir__engine_plan(
        &rt->eng, describe_topic, rt,
        weir__conf_get_int(rt->conf, "num.partitions"));
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
    weir__engine_plan_free(&rt->eng);
}
