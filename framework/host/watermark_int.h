/*
 * watermark_int.h: event-time progress across repartition topics.
 *
 * Every task that writes to a repartition topic also writes, at each
 * commit and inside the same transaction, a watermark marker to every
 * partition of that topic: a record with the reserved header "weir.wm"
 * (never shown to processors) carrying the writer's id and its stream
 * time. A downstream task's event-time progress is the minimum of the
 * latest marker of every upstream task it can receive from (their number
 * is known from the topology and the partition counts), so a window
 * closes only when every upstream task has passed it, whatever the
 * timing. An upstream task whose input is caught up and idle for
 * idle.timeout.ms says so in its marker and stops holding the minimum
 * back.
 *
 * Marker value (big-endian): u8 version (1), u8 flags (bit 0: idle),
 * i32 upstream sub-topology, i32 upstream partition, i64 stream time.
 */
#ifndef WEIR_WATERMARK_INT_H
#define WEIR_WATERMARK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weir/error.h>

#define WEIR__WM_HEADER "weir.wm"
#define WEIR__WM_SIZE 18

typedef struct weir__wm_s {
    int32_t sub;       /* upstream sub-topology */
    int32_t partition; /* upstream task's partition */
    int64_t time;      /* its stream time (INT64_MIN: none yet) */
    bool idle;
} weir__wm_t;

void weir__wm_encode(const weir__wm_t *wm, unsigned char out[WEIR__WM_SIZE]);

/* WEIR_ERR_SERDE for a value that is not a marker of this version. */
weir_error_t *weir__wm_decode(const void *data, size_t len, weir__wm_t *wm);

/*
 * What one downstream task knows of its upstream tasks. Upstream tasks are
 * identified by (sub-topology, partition); add_upstream() declares each
 * sub-topology that writes to one of the task's repartition sources, with
 * its task count.
 */
typedef struct weir__wm_tracker_s weir__wm_tracker_t;

weir__wm_tracker_t *weir__wm_tracker_new(void);
void weir__wm_tracker_destroy(weir__wm_tracker_t *t);

/* Declares @p task_cnt upstream tasks of sub-topology @p sub. */
weir_error_t *weir__wm_tracker_add_upstream(weir__wm_tracker_t *t, int32_t sub,
                                            int32_t task_cnt);

/* Records a marker; markers never move an upstream task's time back. A
 * marker from an undeclared upstream task is ignored (returns false). */
bool weir__wm_tracker_update(weir__wm_tracker_t *t, const weir__wm_t *wm);

/* True when every declared upstream task's latest marker said idle. */
bool weir__wm_tracker_all_idle(const weir__wm_tracker_t *t);

/*
 * The event-time progress: the minimum time over the upstream tasks that
 * are not idle; when every one is idle, the maximum over them; INT64_MIN
 * while some non-idle upstream task has sent no marker yet.
 */
int64_t weir__wm_tracker_progress(const weir__wm_tracker_t *t);

#endif /* WEIR_WATERMARK_INT_H */
