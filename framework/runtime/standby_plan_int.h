/*
 * standby_plan_int.h: where standby replicas go.
 *
 * A standby of a task is useful only on the instance that will run the
 * task if its current instance goes away. weir cannot choose that
 * instance (librdkafka's eager range assignor assigns partitions, and it
 * takes no plug-in), but it can predict it: the range assignor is a pure
 * function of the sorted members and the partition counts. So, with
 * num.standby.replicas = N, a task's first standby goes to the instance
 * that the range assignor would give it to if its owner's members all
 * left the group; further ones go to the next instances in order. Every
 * instance computes the same plan from the same group description (the
 * members, their instance or member ids, their assignments), and keeps
 * the standbys that fall to it.
 *
 * Members are grouped into instances (processes) by a process key taken
 * from their client id (a stream thread's consumer is named
 * "<base>-<process id>-StreamThread-<n>-consumer").
 */
#ifndef WEIR_STANDBY_PLAN_INT_H
#define WEIR_STANDBY_PLAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include <weir/error.h>

/* One member of the group, as DescribeConsumerGroups tells it. */
typedef struct weir__sb_member_s {
    const char *member_id;
    const char *instance_id; /* group.instance.id, NULL: dynamic */
    const char *process;     /* process key (see above) */
    const rd_kafka_topic_partition_list_t *assigned;
} weir__sb_member_t;

/* A sub-topology as the plan needs it: one of its input topics (all have
 * the same partition count, one per task) and whether its tasks have
 * changelogged stores. */
typedef struct weir__sb_sub_s {
    const char *topic;
    int32_t task_cnt;
    bool stateful;
} weir__sb_sub_t;

typedef struct weir__sb_task_s {
    int sub;
    int32_t partition;
} weir__sb_task_t;

/*
 * The tasks for which process @p me keeps a standby, with @p replicas
 * standbys per task, into a weir__malloc'd *tasksp (count *cntp; free
 * with weir__free). Tasks that nobody runs, or that @p me runs, get none
 * here. Returns WEIR_ERR_NOMEM only.
 */
weir_error_t *weir__standby_plan(const weir__sb_member_t *members,
                                 size_t member_cnt, const weir__sb_sub_t *subs,
                                 size_t sub_cnt, const char *me, int replicas,
                                 weir__sb_task_t **tasksp, size_t *cntp);

/* The process key of a stream thread's consumer client id (a malloc'd
 * copy), or NULL when the id is not of that form. */
char *weir__standby_process_key(const char *client_id);

/* "<base>-<process id>-StreamThread-<n>-consumer" into @p out. */
void weir__standby_client_id(const char *base, const char *process_id,
                             int thread, char *out, size_t size);

#endif /* WEIR_STANDBY_PLAN_INT_H */
