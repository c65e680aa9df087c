/*
 * state_updater_int.h: restoring and standby stores off the processing
 * path.
 *
 * Each stream thread has a state updater: a thread of its own with its
 * own consumer of changelog topics (read_committed). It does two jobs:
 *
 *   Restore. When an assignment (or a rewind) gives the stream thread a
 *   task with changelogged stores, the thread opens the stores, pauses
 *   the task's input partitions and hands the stores to the updater,
 *   which replays each changelog from the store's own position to its
 *   end. The stream thread meanwhile keeps polling (so a long restore
 *   never exceeds max.poll.interval.ms) and processing the tasks that are
 *   ready; it takes a task back once all of its stores are caught up
 *   (weir__updater_take_restored) and only then creates the task,
 *   resumes its partitions and processes it.
 *
 *   Standbys. With num.standby.replicas > 0 the updater keeps warm copies
 *   of the stores of tasks that another instance runs: it opens them in
 *   this instance's state dir and applies their changelogs as they grow.
 *   When such a task moves here, its stores are taken over open
 *   (weir__updater_standby_take) and only the tail written since the
 *   standby's last update is replayed.
 *
 * A store is touched by one thread at a time: while the updater holds a
 * task's stores the stream thread does not touch them, and the hand-overs
 * go through the updater's lock. Calls marked "waits" return once the
 * updater has let go, within one of its poll rounds (tens of ms).
 * Restored data is durable with its position (restore ingests table
 * files that carry it), so a crash during a restore or on a standby
 * resumes from the last ingested prefix.
 */
#ifndef WEIR_STATE_UPDATER_INT_H
#define WEIR_STATE_UPDATER_INT_H

#include "runtime_int.h"
#include "task_stores_int.h"

typedef struct weir__updater_s weir__updater_t;

/* Starts the updater of stream thread @p thread_name (its consumer is
 * created here). */
weir_error_t *weir__updater_start(weir__rt_t *rt, const char *thread_name,
                                  weir__updater_t **up);

/* Stops the thread and frees everything, closing standby stores. Active
 * restores must have been cancelled. NULL is fine. */
void weir__updater_destroy(weir__updater_t *u);

/* Restores the changelogged stores in @p ts (borrowed until the task
 * comes back) for the task @p owner. */
weir_error_t *weir__updater_restore(weir__updater_t *u, void *owner,
                                    weir__task_stores_t *ts);

/* Takes back @p owner's stores before its restore finished (revocation,
 * rewind); what was restored stays, with its position. Waits. */
void weir__updater_cancel(weir__updater_t *u, void *owner);

/* Up to @p max tasks whose restore finished, as their owners; 0 when
 * none. Does not wait. */
size_t weir__updater_take_restored(weir__updater_t *u, void **owners,
                                   size_t max);

/* The first error of a restore (the stream thread then fails), or NULL;
 * the caller takes it. */
weir_error_t *weir__updater_take_error(weir__updater_t *u);

/* Keeps a standby of task (@p sub, @p partition). A standby that cannot
 * be opened is logged and left out (it is an optimisation). */
weir_error_t *weir__updater_standby_add(weir__updater_t *u, int sub,
                                        int32_t partition);

/* Drops the standby of @p task_id (closing its stores). Waits. */
void weir__updater_standby_drop(weir__updater_t *u, const char *task_id);

/* Takes the open stores of the standby of @p task_id into @p ts (zeroed
 * by the caller); false when this updater has none. Waits. */
bool weir__updater_standby_take(weir__updater_t *u, const char *task_id,
                                weir__task_stores_t *ts);

#endif /* WEIR_STATE_UPDATER_INT_H */
