/*
 * standby_int.h: the standby replicas of an app (num.standby.replicas).
 *
 * The app keeps a registry of the standbys its state updaters hold (which
 * task, which updater) and of the tasks its stream threads run. After
 * every assignment (and every 30 s) stream thread 0 describes the group,
 * works out which tasks this instance should keep standbys of
 * (standby_plan_int.h), and adds or drops standbys on the updaters
 * accordingly (spread over the threads by task). A stream thread that is
 * assigned a task whose standby this instance holds takes the standby's
 * open stores (weir__standbys_take) and only replays the changelog tail.
 *
 * Everything here is thread-safe: one lock guards the registry, and it is
 * held across a drop or a take so that a task's directory is never opened
 * by two owners in this process at once. The updaters never take that
 * lock.
 */
#ifndef WEIR_STANDBY_INT_H
#define WEIR_STANDBY_INT_H

#include "runtime_int.h"
#include "state_updater_int.h"

typedef struct weir__standbys_s weir__standbys_t;

weir_error_t *weir__standbys_new(weir__rt_t *rt, int threads,
                                 weir__standbys_t **sbp);

/* The base of the stream threads' consumer client ids:
 * consumer.client.id, client.id or application.id. */
void weir__standbys_client_base(const weir__rt_t *rt, char *out, size_t size);
void weir__standbys_destroy(weir__standbys_t *sb);

/* Stream thread @p idx's updater joins (non-NULL) or leaves (NULL: the
 * standbys it held are forgotten; it closes them itself). */
void weir__standbys_set_updater(weir__standbys_t *sb, int idx,
                                weir__updater_t *u);

/* Task @p id is (or no longer is) run by a stream thread of this
 * instance; a standby of it is dropped first. */
void weir__standbys_task_active(weir__standbys_t *sb, const char *id,
                                bool active);

/* Takes the open stores of this instance's standby of @p id into @p ts
 * (zeroed by the caller): false when there is none. */
bool weir__standbys_take(weir__standbys_t *sb, const char *id,
                         weir__task_stores_t *ts);

/* Asks for a new plan after @p delay_ms (an assignment happened). */
void weir__standbys_replan_soon(weir__standbys_t *sb, int64_t delay_ms);

/* Plans and applies the plan when it is due; called by stream thread 0
 * from its loop. Failures are logged and retried: standbys only make
 * failover faster. */
void weir__standbys_maybe_replan(weir__standbys_t *sb);

#endif /* WEIR_STANDBY_INT_H */
