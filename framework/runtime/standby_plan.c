/*
 * standby_plan.c: where standby replicas go (see standby_plan_int.h).
 *
 * The range assignor, as librdkafka runs it: per topic, the subscribed
 * members sorted (by group.instance.id when both members have one, else
 * by member id), then member i of m gets partitions [start, start + len)
 * with per = n / m, extra = n % m, start = i * per + min(i, extra),
 * len = per + (i < extra). weir's members all subscribe to the same
 * topics, so one member list serves every topic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "standby_plan_int.h"

#define SUFFIX "-StreamThread-"

static int member_cmp(const void *a, const void *b)
{
    const weir__sb_member_t *x = *(const weir__sb_member_t *const *)a;
    const weir__sb_member_t *y = *(const weir__sb_member_t *const *)b;
    if (x->instance_id && y->instance_id)
        return strcmp(x->instance_id, y->instance_id);
    return strcmp(x->member_id, y->member_id);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The index of the member that range gives partition @p p of @p n to,
 * among @p m members. */
static size_t range_owner(int32_t p, int32_t n, size_t m)
{
    int32_t per = n / (int32_t)m, extra = n % (int32_t)m;
    for (size_t i = 0; i < m; i++) {
        int32_t start = per * (int32_t)i +
                        ((int32_t)i < extra ? (int32_t)i : extra);
        int32_t len = per + ((int32_t)i < extra ? 1 : 0);
        if (p >= start && p < start + len)
            return i;
    }
    return m;
}

static const weir__sb_member_t *owner_of(const weir__sb_member_t *members,
                                         size_t cnt, const char *topic,
                                         int32_t p)
{
    for (size_t i = 0; i < cnt; i++) {
        const rd_kafka_topic_partition_list_t *a = members[i].assigned;
        for (int k = 0; a && k < a->cnt; k++)
            if (a->elems[k].partition == p &&
                !strcmp(a->elems[k].topic, topic))
                return &members[i];
    }
    return NULL;
}

weir_error_t *weir__standby_plan(const weir__sb_member_t *members,
                                 size_t member_cnt, const weir__sb_sub_t *subs,
                                 size_t sub_cnt, const char *me, int replicas,
                                 weir__sb_task_t **tasksp, size_t *cntp)
{
    *tasksp = NULL;
    *cntp = 0;
    if (replicas <= 0 || !member_cnt)
        return NULL;
    const weir__sb_member_t **sorted = weir__malloc(member_cnt *
                                                    sizeof(*sorted));
    const weir__sb_member_t **rest = weir__malloc(member_cnt * sizeof(*rest));
    const char **procs = weir__malloc(member_cnt * sizeof(*procs));
    weir__sb_task_t *tasks = NULL;
    size_t n = 0, cap = 0, proc_cnt = 0;
    weir_error_t *err = NULL;
    if (!sorted || !rest || !procs) {
        err = weir_error_new(WEIR_ERR_NOMEM, "standby plan");
        goto out;
    }
    for (size_t i = 0; i < member_cnt; i++) {
        sorted[i] = &members[i];
        bool seen = false;
        for (size_t k = 0; k < proc_cnt && !seen; k++)
            seen = !strcmp(procs[k], members[i].process);
        if (!seen)
            procs[proc_cnt++] = members[i].process;
    }
    qsort(sorted, member_cnt, sizeof(*sorted), member_cmp);
    qsort(procs, proc_cnt, sizeof(*procs), str_cmp);

    for (size_t s = 0; s < sub_cnt; s++) {
        if (!subs[s].stateful)
            continue;
        for (int32_t p = 0; p < subs[s].task_cnt; p++) {
            const weir__sb_member_t *owner = owner_of(members, member_cnt,
                                                      subs[s].topic, p);
            if (!owner || !strcmp(owner->process, me))
                continue;
            /* Who gets the task when its owner's process is gone. */
            size_t rest_cnt = 0;
            for (size_t i = 0; i < member_cnt; i++)
                if (strcmp(sorted[i]->process, owner->process))
                    rest[rest_cnt++] = sorted[i];
            if (!rest_cnt)
                continue;
            const char *heir =
                rest[range_owner(p, subs[s].task_cnt, rest_cnt)]->process;
            bool mine = !strcmp(heir, me);
            /* Further replicas: the processes after the heir, in order. */
            size_t h = 0;
            while (strcmp(procs[h], heir))
                h++;
            int more = replicas - 1;
            for (size_t k = 1; !mine && more > 0 && k < proc_cnt; k++) {
                const char *next = procs[(h + k) % proc_cnt];
                if (!strcmp(next, owner->process))
                    continue;
                mine = !strcmp(next, me);
                more--;
            }
            if (!mine)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                weir__sb_task_t *t = weir__realloc(tasks, cap * sizeof(*t));
                if (!t) {
                    err = weir_error_new(WEIR_ERR_NOMEM, "standby plan");
                    goto out;
                }
                tasks = t;
            }
            tasks[n++] = (weir__sb_task_t){(int)s, p};
        }
    }
out:
    weir__free(sorted);
    weir__free(rest);
    weir__free(procs);
    if (err) {
        weir__free(tasks);
        return err;
    }
    *tasksp = tasks;
    *cntp = n;
    return NULL;
}

char *weir__standby_process_key(const char *client_id)
{
    const char *s = client_id ? strstr(client_id, SUFFIX) : NULL;
    const char *last = s;
    while (s) {
        last = s;
        s = strstr(s + 1, SUFFIX);
    }
    if (!last || last == client_id)
        return NULL;
    return weir__strndup(client_id, (size_t)(last - client_id));
}

void weir__standby_client_id(const char *base, const char *process_id,
                             int thread, char *out, size_t size)
{
    snprintf(out, size, "%s-%s" SUFFIX "%d-consumer", base, process_id,
             thread);
}
