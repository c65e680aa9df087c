/*
 * standby.c: the standby replicas of an app (see standby_int.h).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "conf_int.h"
#include "standby_int.h"
#include "standby_plan_int.h"

#define REPLAN_MS 30000
#define RETRY_MS 1000
#define DESCRIBE_TIMEOUT_MS 5000

typedef struct held_s {
    char id[32];
    int sub;
    int32_t partition;
    weir__updater_t *u;
} held_t;

struct weir__standbys_s {
    weir__rt_t *rt;
    int replicas;
    pthread_mutex_t lock;
    weir__updater_t **updaters; /* by stream thread */
    int thread_cnt;
    held_t *held;
    size_t held_cnt, held_cap;
    char **active; /* task ids run here */
    size_t active_cnt, active_cap;
    atomic_int_fast64_t replan_at; /* monotonic ms; INT64_MAX: none */
    char *me;                      /* this instance's process key */
};

weir_error_t *weir__standbys_new(weir__rt_t *rt, int threads,
                                 weir__standbys_t **sbp)
{
    weir__standbys_t *sb = weir__calloc(1, sizeof(*sb));
    if (!sb)
        return weir_error_new(WEIR_ERR_NOMEM, "standbys");
    sb->rt = rt;
    sb->replicas = (int)weir__conf_get_int(rt->conf, "num.standby.replicas");
    sb->thread_cnt = threads;
    sb->updaters = weir__calloc((size_t)threads, sizeof(*sb->updaters));
    char base[256], id[512];
    weir__standbys_client_base(rt, base, sizeof(base));
    weir__standby_client_id(base, rt->process_id, 0, id, sizeof(id));
    sb->me = weir__standby_process_key(id);
    if (!sb->updaters || !sb->me) {
        weir__free(sb->updaters);
        weir__free(sb->me);
        weir__free(sb);
        return weir_error_new(WEIR_ERR_NOMEM, "standbys");
    }
    pthread_mutex_init(&sb->lock, NULL);
    atomic_init(&sb->replan_at, INT64_MAX);
    *sbp = sb;
    return NULL;
}

void weir__standbys_destroy(weir__standbys_t *sb)
{
    if (!sb)
        return;
    for (size_t i = 0; i < sb->active_cnt; i++)
        weir__free(sb->active[i]);
    weir__free(sb->active);
    weir__free(sb->held);
    weir__free(sb->updaters);
    weir__free(sb->me);
    pthread_mutex_destroy(&sb->lock);
    weir__free(sb);
}

void weir__standbys_client_base(const weir__rt_t *rt, char *out, size_t size)
{
    const char *base = weir_conf_get(rt->conf, "consumer.client.id");
    if (!base)
        base = weir_conf_get(rt->conf, "client.id");
    snprintf(out, size, "%s", base ? base : rt->eng.app_id);
}

/* ---- the registry (lock held) ---- */

static held_t *find_held(weir__standbys_t *sb, const char *id)
{
    for (size_t i = 0; i < sb->held_cnt; i++)
        if (!strcmp(sb->held[i].id, id))
            return &sb->held[i];
    return NULL;
}

static void forget_held(weir__standbys_t *sb, held_t *h)
{
    *h = sb->held[--sb->held_cnt];
}

static bool is_active(const weir__standbys_t *sb, const char *id)
{
    for (size_t i = 0; i < sb->active_cnt; i++)
        if (!strcmp(sb->active[i], id))
            return true;
    return false;
}

/* Drops the standby of @p id, if any: it waits until its updater closed
 * it, so the directory is free when this returns. */
static void drop_held(weir__standbys_t *sb, const char *id)
{
    held_t *h = find_held(sb, id);
    if (!h)
        return;
    weir__updater_standby_drop(h->u, h->id);
    forget_held(sb, h);
}

void weir__standbys_set_updater(weir__standbys_t *sb, int idx,
                                weir__updater_t *u)
{
    if (!sb || idx < 0 || idx >= sb->thread_cnt)
        return;
    pthread_mutex_lock(&sb->lock);
    weir__updater_t *old = sb->updaters[idx];
    sb->updaters[idx] = u;
    for (size_t i = 0; !u && i < sb->held_cnt;) {
        if (sb->held[i].u == old)
            forget_held(sb, &sb->held[i]);
        else
            i++;
    }
    pthread_mutex_unlock(&sb->lock);
}

void weir__standbys_task_active(weir__standbys_t *sb, const char *id,
                                bool active)
{
    if (!sb)
        return;
    pthread_mutex_lock(&sb->lock);
    if (active && !is_active(sb, id)) {
        drop_held(sb, id);
        if (sb->active_cnt == sb->active_cap) {
            size_t cap = sb->active_cap ? sb->active_cap * 2 : 16;
            char **v = weir__realloc(sb->active, cap * sizeof(*v));
            if (v) {
                sb->active = v;
                sb->active_cap = cap;
            }
        }
        char *copy = weir__strdup(id);
        /* Out of memory: the planner may then plan a standby of a task
         * that runs here; its directory lock refuses it, and it is
         * logged and skipped. */
        if (copy && sb->active_cnt < sb->active_cap)
            sb->active[sb->active_cnt++] = copy;
        else
            weir__free(copy);
    } else if (!active) {
        for (size_t i = 0; i < sb->active_cnt; i++) {
            if (!strcmp(sb->active[i], id)) {
                weir__free(sb->active[i]);
                sb->active[i] = sb->active[--sb->active_cnt];
                break;
            }
        }
    }
    pthread_mutex_unlock(&sb->lock);
}

bool weir__standbys_take(weir__standbys_t *sb, const char *id,
                         weir__task_stores_t *ts)
{
    if (!sb)
        return false;
    pthread_mutex_lock(&sb->lock);
    held_t *h = find_held(sb, id);
    bool taken = false;
    if (h) {
        taken = weir__updater_standby_take(h->u, id, ts);
        forget_held(sb, h);
    }
    pthread_mutex_unlock(&sb->lock);
    return taken;
}

void weir__standbys_replan_soon(weir__standbys_t *sb, int64_t delay_ms)
{
    if (!sb || sb->replicas <= 0)
        return;
    int64_t at = weir__mono_ms() + delay_ms;
    int_fast64_t cur = atomic_load(&sb->replan_at);
    while (at < cur && !atomic_compare_exchange_weak(&sb->replan_at, &cur, at))
        ;
}

/* ---- planning ---- */

/* The group's members and their assignments, when the group is stable. */
static weir_error_t *describe(weir__standbys_t *sb, rd_kafka_event_t **evp,
                              const rd_kafka_ConsumerGroupDescription_t **gp)
{
    weir__rt_t *rt = sb->rt;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rt->admin);
    const char *groups[] = {rt->eng.app_id};
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(
        rt->admin, RD_KAFKA_ADMIN_OP_ANY);
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(opts, DESCRIBE_TIMEOUT_MS,
                                              errstr, sizeof(errstr));
    rd_kafka_DescribeConsumerGroups(rt->admin, groups, 1, opts, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, DESCRIBE_TIMEOUT_MS + 1000);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    if (!ev)
        return weir_error_new(WEIR_ERR_TIMEOUT, "describing group %s",
                              rt->eng.app_id);
    weir_error_t *err = NULL;
    const rd_kafka_DescribeConsumerGroups_result_t *res =
        rd_kafka_event_DescribeConsumerGroups_result(ev);
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **gs =
        res ? rd_kafka_DescribeConsumerGroups_result_groups(res, &n) : NULL;
    if (rd_kafka_event_error(ev))
        err = weir__error_from_resp(rd_kafka_event_error(ev),
                                    "describing group %s: %s", rt->eng.app_id,
                                    rd_kafka_event_error_string(ev));
    else if (n != 1)
        err = weir_error_new(WEIR_ERR_STATE,
                             "describing group %s: %zu "
                             "groups",
                             rt->eng.app_id, n);
    else if (rd_kafka_ConsumerGroupDescription_error(gs[0]))
        err = weir__error_from_resp(
            rd_kafka_error_code(
                rd_kafka_ConsumerGroupDescription_error(gs[0])),
            "describing group %s: %s", rt->eng.app_id,
            rd_kafka_error_string(
                rd_kafka_ConsumerGroupDescription_error(gs[0])));
    else if (rd_kafka_ConsumerGroupDescription_state(gs[0]) !=
             RD_KAFKA_CONSUMER_GROUP_STATE_STABLE)
        err = weir_error_set_retriable(
            weir_error_new(WEIR_ERR_STATE, "group %s is rebalancing",
                           rt->eng.app_id),
            true);
    if (err) {
        rd_kafka_event_destroy(ev);
        return err;
    }
    *evp = ev;
    *gp = gs[0];
    return NULL;
}

static weir_error_t *plan(weir__standbys_t *sb,
                          const rd_kafka_ConsumerGroupDescription_t *g,
                          weir__sb_task_t **tasksp, size_t *cntp)
{
    weir__rt_t *rt = sb->rt;
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(g);
    weir__sb_member_t *members = weir__calloc(n ? n : 1, sizeof(*members));
    weir__sb_sub_t *subs = weir__calloc(rt->eng.sub_cnt ? rt->eng.sub_cnt : 1,
                                        sizeof(*subs));
    size_t m = 0;
    weir_error_t *err = NULL;
    if (!members || !subs)
        err = weir_error_new(WEIR_ERR_NOMEM, "standby plan");
    for (size_t i = 0; !err && i < n; i++) {
        const rd_kafka_MemberDescription_t *md =
            rd_kafka_ConsumerGroupDescription_member(g, i);
        char *key = weir__standby_process_key(
            rd_kafka_MemberDescription_client_id(md));
        if (!key)
            continue; /* not a weir stream thread */
        const rd_kafka_MemberAssignment_t *a =
            rd_kafka_MemberDescription_assignment(md);
        members[m++] = (weir__sb_member_t){
            rd_kafka_MemberDescription_consumer_id(md),
            rd_kafka_MemberDescription_group_instance_id(md), key,
            a ? rd_kafka_MemberAssignment_partitions(a) : NULL};
    }
    for (size_t s = 0; !err && s < rt->eng.sub_cnt; s++)
        subs[s] = (weir__sb_sub_t){
            rt->eng.topics[rt->eng.subs[s].inputs[0]].name,
            rt->eng.subs[s].task_cnt,
            weir__sub_has_changelogs(&rt->eng, (int)s)};
    if (!err)
        err = weir__standby_plan(members, m, subs, rt->eng.sub_cnt, sb->me,
                                 sb->replicas, tasksp, cntp);
    for (size_t i = 0; i < m; i++)
        weir__free((char *)members[i].process);
    weir__free(members);
    weir__free(subs);
    return err;
}

/* Makes the registry match @p want. */
static void apply(weir__standbys_t *sb, const weir__sb_task_t *want,
                  size_t cnt)
{
    pthread_mutex_lock(&sb->lock);
    for (size_t i = 0; i < sb->held_cnt;) {
        bool keep = false;
        for (size_t k = 0; k < cnt && !keep; k++)
            keep = want[k].sub == sb->held[i].sub &&
                   want[k].partition == sb->held[i].partition;
        if (keep) {
            i++;
            continue;
        }
        weir__updater_standby_drop(sb->held[i].u, sb->held[i].id);
        forget_held(sb, &sb->held[i]);
    }
    for (size_t k = 0; k < cnt; k++) {
        char id[32];
        snprintf(id, sizeof(id), "%d_%d", want[k].sub, (int)want[k].partition);
        if (find_held(sb, id) || is_active(sb, id))
            continue;
        /* Spread over the threads by task. */
        size_t slot = (size_t)(want[k].sub * 7919 + want[k].partition);
        weir__updater_t *u = NULL;
        for (int t = 0; t < sb->thread_cnt && !u; t++)
            u = sb->updaters[(slot + (size_t)t) % (size_t)sb->thread_cnt];
        if (!u)
            break;
        if (sb->held_cnt == sb->held_cap) {
            size_t cap = sb->held_cap ? sb->held_cap * 2 : 16;
            held_t *v = weir__realloc(sb->held, cap * sizeof(*v));
            if (!v)
                break;
            sb->held = v;
            sb->held_cap = cap;
        }
        weir_error_t *err = weir__updater_standby_add(u, want[k].sub,
                                                      want[k].partition);
        if (err) {
            weir_error_destroy(err);
            break;
        }
        held_t *h = &sb->held[sb->held_cnt++];
        snprintf(h->id, sizeof(h->id), "%s", id);
        h->sub = want[k].sub;
        h->partition = want[k].partition;
        h->u = u;
    }
    pthread_mutex_unlock(&sb->lock);
}

void weir__standbys_maybe_replan(weir__standbys_t *sb)
{
    if (!sb || sb->replicas <= 0 || !sb->rt->admin ||
        weir__mono_ms() < atomic_load(&sb->replan_at))
        return;
    atomic_store(&sb->replan_at, weir__mono_ms() + REPLAN_MS);
    rd_kafka_event_t *ev = NULL;
    const rd_kafka_ConsumerGroupDescription_t *g = NULL;
    weir__sb_task_t *want = NULL;
    size_t cnt = 0;
    weir_error_t *err = describe(sb, &ev, &g);
    if (!err)
        err = plan(sb, g, &want, &cnt);
    if (ev)
        rd_kafka_event_destroy(ev);
    if (err) {
        weir__dbg(&sb->rt->eng.log, TASK, "STANDBY", "no standby plan yet: %s",
                  weir_error_string(err));
        weir_error_destroy(err);
        weir__standbys_replan_soon(sb, RETRY_MS);
        return;
    }
    apply(sb, want, cnt);
    weir__free(want);
}
