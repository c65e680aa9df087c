/*
 * host_commit.c: committing a task host's work, and undoing it.
 *
 * Under exactly_once_v2 a commit is one transaction of the owner's: the
 * tasks' outputs, repartition records, watermark markers and changelog
 * records were produced inside it; the consumed offsets go with it, each
 * with its task's event time as metadata (commit_meta_int.h); then it
 * commits. Only after that do the stores commit their pending batches,
 * each with the changelog offset its records reached, in one atomic
 * write. A crash between the two leaves a store behind its changelog,
 * never ahead: restore replays the tail.
 *
 * When the transaction cannot commit, it is aborted, the stores' batches
 * are discarded, and the tasks start again from committed state: they are
 * closed and made again (reopening and, if needed, restoring their
 * stores), and the owner reads every input again from the committed
 * offsets. Nothing of the aborted work is visible to read_committed
 * readers, and nothing is lost. After max.consecutive.aborts aborts in a
 * row the host gives up: a fault that every retry meets is reported.
 *
 * Under at_least_once a commit flushes the owner's producer, checkpoints
 * the stores and commits the offsets; a failed offset commit is tried
 * again with the next one.
 */
#include <inttypes.h>
#include <string.h>

#include "alloc_int.h"
#include "commit_meta_int.h"
#include "host_priv.h"

#define MARKER_RESEND_MS 1000

weir_error_t *weir__host_begin_txn(weir__host_t *h)
{
    if (!h->eng->eos || h->txn_open || !h->io.begin)
        return NULL;
    weir_error_t *err = h->io.begin(h->io.opaque);
    if (!err)
        h->txn_open = true;
    return err;
}

weir_error_t *weir__host_stores_begin(weir__host_t *h)
{
    for (size_t i = 0; i < h->task_cnt; i++) {
        weir__host_task_t *t = h->tasks[i];
        if (!t->task)
            continue; /* restoring: the owner has its stores */
        for (size_t s = 0; s < t->stores.cnt; s++) {
            weir__rt_store_t *st = t->stores.v[s];
            weir_error_t *err = weir_store_begin(st->store);
            if (err)
                return weir_error_prefix(err, "task %s: ", t->id);
        }
    }
    return NULL;
}

/* ---- markers ---- */

/* True when @p in is caught up and, for a source partition, has had no
 * record for idle.timeout.ms (by the idle clock its previous owners kept
 * too). A repartition input only needs to be caught up: whether its
 * writers are quiet is what their markers say. */
static bool input_is_idle(const weir__engine_t *eng,
                          const weir__host_input_t *in, int64_t wall)
{
    if (!in->at_end || in->queued)
        return false;
    return in->repartition || in->last_record_ms == INT64_MIN ||
           wall - in->last_record_ms >= eng->idle_timeout_ms;
}

/* True when @p t's markers may say idle: every input is idle and, for a
 * task fed by repartition topics, every upstream task said idle too. Its
 * markers then stop holding back downstream time. */
static bool task_is_idle(const weir__host_t *h, const weir__host_task_t *t)
{
    if (h->eng->idle_timeout_ms < 0)
        return false;
    for (size_t i = 0; i < t->input_cnt; i++)
        if (!input_is_idle(h->eng, &t->inputs[i], h->wall_ms))
            return false;
    return !t->wm || weir__wm_tracker_all_idle(t->wm);
}

/* Writes the watermark markers of every task that feeds repartition
 * topics, when its time or idleness changed or once a second. */
static weir_error_t *send_markers(weir__host_t *h)
{
    weir__engine_t *eng = h->eng;
    static const char one = '1';
    weir_headers_t *hdrs = NULL;
    weir_error_t *err = NULL;
    for (size_t i = 0; i < h->task_cnt && !err; i++) {
        weir__host_task_t *t = h->tasks[i];
        const weir__plan_sub_t *sub = &eng->subs[t->sub];
        if (!t->task || !sub->repartition_out_cnt)
            continue;
        weir__wm_t wm = {t->sub, t->partition, weir__task_stream_time(t->task),
                         task_is_idle(h, t)};
        if (wm.time == t->last_marker_time && wm.idle == t->last_marker_idle &&
            h->wall_ms - t->last_marker_ms < MARKER_RESEND_MS)
            continue;
        if (!hdrs) {
            hdrs = weir_headers_new();
            if (!hdrs || weir_headers_add(hdrs, WEIR__WM_HEADER, &one, 1)) {
                weir_headers_destroy(hdrs);
                return weir_error_new(WEIR_ERR_NOMEM, "watermark markers");
            }
        }
        unsigned char value[WEIR__WM_SIZE];
        weir__wm_encode(&wm, value);
        for (size_t o = 0; o < sub->repartition_out_cnt && !err; o++) {
            const weir__plan_topic_t *topic =
                &eng->topics[sub->repartition_out[o]];
            for (int32_t p = 0; p < topic->partitions && !err; p++) {
                weir__host_msg_t m = {topic->name,
                                      p,
                                      NULL,
                                      0,
                                      value,
                                      sizeof(value),
                                      wm.time > 0 ? wm.time : 0,
                                      hdrs,
                                      NULL,
                                      false};
                err = h->io.produce(h->io.opaque, &m);
                if (!err)
                    atomic_fetch_add(&eng->metrics.markers_out, 1);
            }
        }
        t->last_marker_time = wm.time;
        t->last_marker_idle = wm.idle;
        t->last_marker_ms = h->wall_ms;
    }
    weir_headers_destroy(hdrs);
    return err;
}

/* ---- offsets ---- */

/* The offset to commit for @p in: after its last processed record, or
 * the committed one; -1 when neither is known. */
static int64_t offset_to_commit(const weir__host_input_t *in)
{
    return in->next_offset > in->committed_offset ? in->next_offset
                                                  : in->committed_offset;
}

typedef struct offsets_s {
    weir__host_tp_t *v;
    char (*meta)[WEIR__COMMIT_META_MAX];
    size_t cnt;
} offsets_t;

static void offsets_free(offsets_t *o)
{
    weir__free(o->v);
    weir__free(o->meta);
}

/* The offsets to commit: every input that moved since the last commit,
 * and every input of a task whose stream time moved (a marker can move
 * it without a record), each with the task's event-time metadata. */
static weir_error_t *offsets_to_commit(weir__host_t *h, offsets_t *o)
{
    size_t max = 0;
    for (size_t i = 0; i < h->task_cnt; i++)
        max += h->tasks[i]->input_cnt;
    o->cnt = 0;
    o->v = weir__calloc(max ? max : 1, sizeof(*o->v));
    o->meta = weir__calloc(max ? max : 1, sizeof(*o->meta));
    if (!o->v || !o->meta)
        return weir_error_new(WEIR_ERR_NOMEM, "offsets");
    for (size_t i = 0; i < h->task_cnt; i++) {
        weir__host_task_t *t = h->tasks[i];
        if (!t->task)
            continue; /* restoring: nothing processed */
        int64_t stream_time = weir__task_stream_time(t->task);
        bool time_moved = stream_time != t->committed_stream_time;
        for (size_t k = 0; k < t->input_cnt; k++) {
            weir__host_input_t *in = &t->inputs[k];
            int64_t offset = offset_to_commit(in);
            if (offset < 0 || (offset == in->committed_offset && !time_moved))
                continue;
            weir__commit_meta_t meta = {stream_time, in->last_record_ms};
            size_t len = weir__commit_meta_encode(&meta, o->meta[o->cnt]);
            o->v[o->cnt] = (weir__host_tp_t){in->topic_name, in->partition,
                                             offset, o->meta[o->cnt], len};
            o->cnt++;
        }
    }
    return NULL;
}

static void mark_committed(weir__host_t *h)
{
    for (size_t i = 0; i < h->task_cnt; i++) {
        weir__host_task_t *t = h->tasks[i];
        if (!t->task)
            continue;
        t->committed_stream_time = weir__task_stream_time(t->task);
        for (size_t k = 0; k < t->input_cnt; k++) {
            weir__host_input_t *in = &t->inputs[k];
            in->committed_offset = offset_to_commit(in);
        }
    }
}

size_t weir__host_repartition_offsets(const weir__host_t *h,
                                      weir__host_tp_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < h->task_cnt; i++)
        for (size_t k = 0; k < h->tasks[i]->input_cnt && n < max; k++) {
            const weir__host_input_t *in = &h->tasks[i]->inputs[k];
            if (in->repartition && in->committed_offset > 0)
                out[n++] = (weir__host_tp_t){in->topic_name, in->partition,
                                             in->committed_offset, NULL, 0};
        }
    return n;
}

/* ---- stores ---- */

/* Commits every store's pending batch with its changelog position. */
static weir_error_t *commit_stores(weir__host_t *h)
{
    for (size_t i = 0; i < h->task_cnt; i++) {
        weir__host_task_t *t = h->tasks[i];
        if (!t->task)
            continue; /* restoring: the owner has its stores */
        for (size_t s = 0; s < t->stores.cnt; s++) {
            weir__rt_store_t *st = t->stores.v[s];
            int64_t pos = 0;
            bool found = false;
            weir_store_position(st->store, &pos, &found);
            if (st->acked_offset >= 0)
                pos = st->acked_offset + 1;
            weir_error_t *err = weir_store_commit(st->store, pos);
            if (err)
                return weir_error_prefix(err, "task %s: ", t->id);
            st->dirty = false;
        }
    }
    return NULL;
}

/* ---- commits ---- */

static weir_error_t *commit_eos(weir__host_t *h)
{
    offsets_t o = {NULL, NULL, 0};
    weir_error_t *err = weir__host_begin_txn(h);
    if (!err)
        err = send_markers(h);
    if (!err)
        err = h->io.flush(h->io.opaque);
    if (!err)
        err = offsets_to_commit(h, &o);
    if (!err)
        err = h->io.commit(h->io.opaque, o.v, o.cnt);
    offsets_free(&o);
    if (err)
        return err;
    h->txn_open = false;
    mark_committed(h);
    err = commit_stores(h);
    if (err) {
        /* Kafka has the commit; the store does not. Its changelog holds
         * everything, so the tasks restart and restore the tail. */
        weir__log(&h->eng->log, WEIR_LOG_ERR, "COMMIT",
                  "%s: store commit failed after the transaction committed, "
                  "restoring from the changelogs: %s",
                  h->name, weir_error_string(err));
        weir_error_destroy(err);
        h->need_rewind = true;
        return weir__host_begin_txn(h);
    }
    err = weir__host_begin_txn(h);
    if (!err)
        err = weir__host_stores_begin(h);
    return err;
}

static weir_error_t *commit_alos(weir__host_t *h)
{
    weir_error_t *err = send_markers(h);
    if (!err)
        err = h->io.flush(h->io.opaque);
    if (err && h->eng->prod_handler != WEIR__HANDLER_FAIL &&
        weir_error_code(err) != WEIR_ERR_TIMEOUT) {
        weir__log(&h->eng->log, WEIR_LOG_ERR, "COMMIT",
                  "%s: records lost (production.exception.handler): %s",
                  h->name, weir_error_string(err));
        weir_error_destroy(err);
        atomic_fetch_add(&h->eng->metrics.dropped_records, 1);
        err = NULL;
    }
    if (!err)
        err = commit_stores(h);
    if (err)
        return err;
    offsets_t o = {NULL, NULL, 0};
    err = offsets_to_commit(h, &o);
    if (!err && o.cnt)
        err = h->io.commit(h->io.opaque, o.v, o.cnt);
    offsets_free(&o);
    if (err && !weir_error_is_fatal(err) &&
        weir_error_code(err) != WEIR_ERR_NOMEM) {
        /* At least once: the offsets stay uncommitted and go with the
         * next commit; if the partitions move first (a rebalance is the
         * usual reason), their new owner repeats those records. */
        weir__log(&h->eng->log, WEIR_LOG_WARNING, "COMMIT",
                  "%s: committing offsets: %s; trying again next commit",
                  h->name, weir_error_string(err));
        weir_error_destroy(err);
        return NULL;
    }
    if (!err)
        mark_committed(h);
    return err;
}

weir_error_t *weir__host_commit(weir__host_t *h)
{
    weir_error_t *err = h->eng->eos ? commit_eos(h) : commit_alos(h);
    h->processed_since_commit = 0;
    for (size_t i = 0; i < h->task_cnt; i++)
        if (h->tasks[i]->task)
            weir__task_clear_commit_request(h->tasks[i]->task);
    if (!err && h->need_rewind)
        return weir__host_abort_and_rewind(
            h, weir_error_new(WEIR_ERR_STORE, "a store failed to commit"));
    if (err)
        return err;
    atomic_fetch_add(&h->eng->metrics.commits, 1);
    h->consecutive_aborts = 0;
    return NULL;
}

void weir__host_abort_txn(weir__host_t *h)
{
    if (h->txn_open && h->io.abort)
        weir_error_destroy(h->io.abort(h->io.opaque));
    h->txn_open = false;
}

weir_error_t *weir__host_abort_and_rewind(weir__host_t *h, weir_error_t *cause)
{
    weir__engine_t *eng = h->eng;
    if (++h->consecutive_aborts > eng->max_consecutive_aborts)
        return weir_error_prefix(cause,
                                 "gave up after %" PRId64 " aborted "
                                 "transactions in a row "
                                 "(max.consecutive.aborts); the last: ",
                                 h->consecutive_aborts - 1);
    weir__log(&eng->log, WEIR_LOG_WARNING, "EOS",
              "%s: aborting the transaction and restarting the tasks from "
              "committed state: %s",
              h->name, weir_error_string(cause));
    weir_error_destroy(cause);
    weir_error_t *err = NULL;
    if (h->txn_open && h->io.abort) {
        err = h->io.abort(h->io.opaque);
        if (err)
            return err;
    }
    h->txn_open = false;
    h->need_rewind = false;
    atomic_fetch_add(&eng->metrics.aborts, 1);
    /* The tasks again, as their assignment made them. */
    size_t n = 0;
    for (size_t i = 0; i < h->task_cnt; i++)
        n += h->tasks[i]->input_cnt;
    weir__host_tp_t *tps = weir__calloc(n ? n : 1, sizeof(*tps));
    if (!tps)
        return weir_error_new(WEIR_ERR_NOMEM, "rewind");
    n = 0;
    for (size_t i = 0; i < h->task_cnt; i++)
        for (size_t k = 0; k < h->tasks[i]->input_cnt; k++)
            tps[n++] = (weir__host_tp_t){h->tasks[i]->inputs[k].topic_name,
                                         h->tasks[i]->inputs[k].partition, -1,
                                         NULL, 0};
    weir__host_close_tasks(h);
    /* What was fetched past the committed offsets is read again. */
    err = h->io.rewind ? h->io.rewind(h->io.opaque) : NULL;
    if (!err)
        err = weir__host_begin_txn(h);
    if (!err)
        err = weir__host_tasks_create(h, tps, n);
    weir__free(tps);
    return err;
}
