/*
 * thread_commit.c: committing a stream thread's work, and undoing it.
 *
 * Under exactly_once_v2 a commit is one Kafka transaction: the thread's
 * outputs, repartition records, watermark markers and changelog records
 * were produced inside it; the consumed offsets are added to it with the
 * consumer's group metadata (so a zombie of an older generation is
 * fenced); then it commits. Only after the commit do the stores commit
 * their pending batches, each with the changelog offset its records
 * reached, in one atomic RocksDB write. A crash between the two leaves a
 * store behind its changelog, never ahead: restore replays the tail.
 *
 * When the transaction cannot commit, it is aborted, the stores' batches
 * are discarded, and the tasks start again from committed state: they are
 * closed and re-created (reopening and, if needed, restoring their
 * stores), and the consumer is re-assigned so it resumes from the
 * committed offsets. Nothing of the aborted work is visible to
 * read_committed readers, and nothing is lost.
 *
 * Under at_least_once a commit flushes the producer, checkpoints the
 * stores and commits the offsets synchronously.
 */
#include <inttypes.h>
#include <string.h>

#include "admin_int.h"
#include "alloc_int.h"
#include "commit_meta_int.h"
#include "thread_int.h"

#define MARKER_RESEND_MS 1000

weir_error_t *weir__thread_begin_txn(weir__thread_t *th)
{
    if (!th->rt->eos || th->txn_open)
        return NULL;
    weir_error_t *err = weir__error_from_rdkafka(
        rd_kafka_begin_transaction(th->producer), "beginning a transaction");
    if (!err)
        th->txn_open = true;
    return err;
}

/* True when @p in is caught up and, for a source partition, has had no
 * record for idle.timeout.ms (by the idle clock its previous owners
 * kept too). A repartition input only needs to be caught up: whether
 * its writers are quiet is what their markers say. */
static bool input_is_idle(const weir__rt_t *rt, const weir__rt_input_t *in,
                          int64_t wall)
{
    if (!in->at_end || in->fifo_cnt)
        return false;
    return in->repartition || in->last_record_ms == INT64_MIN ||
           wall - in->last_record_ms >= rt->idle_timeout_ms;
}

/* True when @p t's markers may say idle: every input is idle and, for a
 * task fed by repartition topics, every upstream task said idle too. Its
 * markers then stop holding back downstream time. */
static bool task_is_idle(weir__thread_t *th, const weir__rt_task_t *t,
                         int64_t wall)
{
    if (th->rt->idle_timeout_ms < 0)
        return false;
    for (size_t i = 0; i < t->input_cnt; i++)
        if (!input_is_idle(th->rt, &t->inputs[i], wall))
            return false;
    return !t->wm || weir__wm_tracker_all_idle(t->wm);
}

/* Writes the watermark markers of every task that feeds repartition
 * topics, when its time or idleness changed or once a second. */
static weir_error_t *send_markers(weir__thread_t *th)
{
    int64_t now = weir__now_ms(), wall = weir__wall_now_ms();
    for (size_t i = 0; i < th->task_cnt; i++) {
        weir__rt_task_t *t = th->tasks[i];
        const weir__rt_sub_t *sub = &th->rt->subs[t->sub];
        if (!t->task || !sub->repartition_out_cnt)
            continue;
        weir__wm_t wm = {t->sub, t->partition,
                         weir__task_stream_time(t->task),
                         task_is_idle(th, t, wall)};
        if (wm.time == t->last_marker_time && wm.idle == t->last_marker_idle &&
            now - t->last_marker_ms < MARKER_RESEND_MS)
            continue;
        unsigned char value[WEIR__WM_SIZE];
        weir__wm_encode(&wm, value);
        for (size_t o = 0; o < sub->repartition_out_cnt; o++) {
            const weir__rt_topic_t *topic =
                &th->rt->topics[sub->repartition_out[o]];
            for (int32_t p = 0; p < topic->partitions; p++) {
                rd_kafka_headers_t *hdrs = rd_kafka_headers_new(1);
                rd_kafka_header_add(hdrs, WEIR__WM_HEADER, -1, "1", 1);
                weir_error_t *err = weir__thread_produce(
                    th, topic->name, p, NULL, 0, value, sizeof(value),
                    wm.time > 0 ? wm.time : 0, hdrs, NULL);
                if (err)
                    return err;
                atomic_fetch_add(&th->rt->metrics.markers_out, 1);
            }
        }
        t->last_marker_time = wm.time;
        t->last_marker_idle = wm.idle;
        t->last_marker_ms = now;
    }
    return NULL;
}

/* The offset to commit for @p in: after its last processed record, or
 * the committed one; -1 when neither is known. */
static int64_t offset_to_commit(const weir__rt_input_t *in)
{
    return in->next_offset > in->committed_offset ? in->next_offset
                                                  : in->committed_offset;
}

/* The offsets to commit: every input that moved since the last commit,
 * and every input of a task whose stream time moved (a marker can move
 * it without a record), each with the task's event-time metadata. */
static weir_error_t *offsets_to_commit(weir__thread_t *th,
                                       rd_kafka_topic_partition_list_t **offp)
{
    rd_kafka_topic_partition_list_t *offsets =
        rd_kafka_topic_partition_list_new(8);
    *offp = offsets;
    for (size_t i = 0; i < th->task_cnt; i++) {
        weir__rt_task_t *t = th->tasks[i];
        if (!t->task)
            continue; /* restoring: nothing processed */
        int64_t stream_time = weir__task_stream_time(t->task);
        bool time_moved = stream_time != t->committed_stream_time;
        for (size_t k = 0; k < t->input_cnt; k++) {
            weir__rt_input_t *in = &t->inputs[k];
            int64_t offset = offset_to_commit(in);
            if (offset < 0 ||
                (offset == in->committed_offset && !time_moved))
                continue;
            rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(
                offsets, in->topic, in->partition);
            tp->offset = offset;
            weir__commit_meta_t meta = {stream_time, in->last_record_ms};
            char text[WEIR__COMMIT_META_MAX];
            size_t len = weir__commit_meta_encode(&meta, text);
            /* librdkafka frees it with the list (free()). */
            tp->metadata = weir__memdup(text, len);
            if (!tp->metadata)
                return weir_error_new(WEIR_ERR_NOMEM, "offset metadata");
            tp->metadata_size = len;
        }
    }
    return NULL;
}

static void mark_committed(weir__thread_t *th)
{
    for (size_t i = 0; i < th->task_cnt; i++) {
        weir__rt_task_t *t = th->tasks[i];
        if (!t->task)
            continue;
        t->committed_stream_time = weir__task_stream_time(t->task);
        for (size_t k = 0; k < t->input_cnt; k++) {
            weir__rt_input_t *in = &t->inputs[k];
            in->committed_offset = offset_to_commit(in);
        }
    }
}

/* Commits every store's pending batch with its changelog position. */
static weir_error_t *commit_stores(weir__thread_t *th)
{
    for (size_t i = 0; i < th->task_cnt; i++) {
        weir__rt_task_t *t = th->tasks[i];
        if (!t->task)
            continue; /* restoring: the updater has its stores */
        for (size_t s = 0; s < t->stores.cnt; s++) {
            weir__rt_store_t *st = t->stores.v[s];
            int64_t pos = 0;
            bool found = false;
            if (st->kv)
                weir_kv_store_position(st->kv, &pos, &found);
            else
                weir_window_store_position(st->ws, &pos, &found);
            if (st->acked_offset >= 0)
                pos = st->acked_offset + 1;
            weir_error_t *err = st->kv ? weir_kv_store_commit(st->kv, pos)
                                       : weir_window_store_commit(st->ws, pos);
            if (err)
                return weir_error_prefix(err, "task %s: ", t->id);
            st->dirty = false;
        }
    }
    return NULL;
}

/* Purges what the app consumed and committed from its repartition
 * topics, so they do not grow without bound. */
static void purge_repartition(weir__thread_t *th)
{
    if (th->rt->mock ||
        weir__now_ms() - th->last_purge_ms < th->rt->purge_interval_ms)
        return;
    th->last_purge_ms = weir__now_ms();
    rd_kafka_topic_partition_list_t *before =
        rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < th->task_cnt; i++)
        for (size_t k = 0; k < th->tasks[i]->input_cnt; k++) {
            const weir__rt_input_t *in = &th->tasks[i]->inputs[k];
            if (in->repartition && in->committed_offset > 0)
                rd_kafka_topic_partition_list_add(before, in->topic,
                                                  in->partition)
                    ->offset = in->committed_offset;
        }
    weir_error_t *err = weir__admin_delete_records(th->rt->admin, before,
                                                   10000);
    if (err) {
        /* Only space is at stake: try again next time. */
        weir__log(&th->rt->log, WEIR_LOG_WARNING, "PURGE",
                  "%s: purging repartition topics: %s", th->name,
                  weir_error_string(err));
        weir_error_destroy(err);
    }
    rd_kafka_topic_partition_list_destroy(before);
}

static weir_error_t *flush_producer(weir__thread_t *th)
{
    int64_t deadline = weir__rt_broker_deadline(th->rt);
    while (rd_kafka_flush(th->producer, 1000) ==
           RD_KAFKA_RESP_ERR__TIMED_OUT) {
        if (weir__now_ms() > deadline)
            return weir_error_set_txn_requires_abort(
                weir_error_new(WEIR_ERR_TIMEOUT,
                               "%s: producer not flushed in %" PRId64
                               " ms (brokers down?)",
                               th->name, th->rt->broker_down_timeout_ms),
                true);
        weir__log(&th->rt->log, WEIR_LOG_WARNING, "COMMIT",
                  "%s: waiting for the brokers to take %d records", th->name,
                  rd_kafka_outq_len(th->producer));
    }
    weir_error_t *err = th->production_error;
    th->production_error = NULL;
    return err;
}

weir_error_t *weir__thread_txn_call(weir__thread_t *th, const char *what,
                                    weir__txn_fn_t *fn, void *arg)
{
    int64_t deadline = weir__rt_broker_deadline(th->rt);
    for (;;) {
        weir_error_t *err = weir__error_from_rdkafka(fn(th, arg), what);
        if (!err || !weir_error_is_retriable(err) ||
            weir__now_ms() > deadline)
            return err;
        weir__log(&th->rt->log, WEIR_LOG_WARNING, "EOS", "%s: %s; retrying",
                  th->name, weir_error_string(err));
        weir_error_destroy(err);
    }
}

static rd_kafka_error_t *do_send_offsets(weir__thread_t *th, void *arg)
{
    rd_kafka_consumer_group_metadata_t *cgmd =
        rd_kafka_consumer_group_metadata(th->consumer);
    rd_kafka_error_t *error = rd_kafka_send_offsets_to_transaction(
        th->producer, arg, cgmd, 10000);
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    return error;
}

static rd_kafka_error_t *do_commit(weir__thread_t *th, void *arg)
{
    (void)arg;
    return rd_kafka_commit_transaction(th->producer, 10000);
}

static weir_error_t *commit_eos(weir__thread_t *th)
{
    weir_error_t *err = weir__thread_begin_txn(th);
    if (!err)
        err = send_markers(th);
    if (!err)
        err = flush_producer(th);
    rd_kafka_topic_partition_list_t *offsets = NULL;
    if (!err)
        err = offsets_to_commit(th, &offsets);
    if (!err && offsets->cnt)
        err = weir__thread_txn_call(th, "sending offsets to the transaction",
                                    do_send_offsets, offsets);
    if (offsets)
        rd_kafka_topic_partition_list_destroy(offsets);
    if (!err)
        err = weir__thread_txn_call(th, "committing the transaction",
                                    do_commit, NULL);
    if (err)
        return err;
    th->txn_open = false;
    mark_committed(th);
    err = commit_stores(th);
    if (err) {
        /* Kafka has the commit; the store does not. Its changelog holds
         * everything, so the tasks restart and restore the tail. */
        weir__log(&th->rt->log, WEIR_LOG_ERR, "COMMIT",
                  "%s: store commit failed after the transaction committed, "
                  "restoring from the changelogs: %s",
                  th->name, weir_error_string(err));
        weir_error_destroy(err);
        th->need_rewind = true;
        return weir__thread_begin_txn(th);
    }
    err = weir__thread_begin_txn(th);
    if (!err)
        err = weir__thread_stores_begin(th);
    return err;
}

static weir_error_t *commit_alos(weir__thread_t *th)
{
    weir_error_t *err = send_markers(th);
    if (!err)
        err = flush_producer(th);
    if (err && th->rt->prod_handler != WEIR__HANDLER_FAIL &&
        weir_error_code(err) != WEIR_ERR_TIMEOUT) {
        weir__log(&th->rt->log, WEIR_LOG_ERR, "COMMIT",
                  "%s: records lost (production.exception.handler): %s",
                  th->name, weir_error_string(err));
        weir_error_destroy(err);
        atomic_fetch_add(&th->rt->metrics.dropped_records, 1);
        err = NULL;
    }
    if (!err)
        err = commit_stores(th);
    if (err)
        return err;
    rd_kafka_topic_partition_list_t *offsets = NULL;
    err = offsets_to_commit(th, &offsets);
    rd_kafka_resp_err_t code =
        !err && offsets->cnt ? rd_kafka_commit(th->consumer, offsets, 0) : 0;
    rd_kafka_topic_partition_list_destroy(offsets);
    if (err)
        return err;
    if (code == RD_KAFKA_RESP_ERR__FATAL)
        return weir_error_set_fatal(
            weir__error_from_resp(code, "%s: committing offsets", th->name),
            true);
    if (code) {
        /* At least once: the offsets stay uncommitted and go with the
         * next commit; if the partitions move first (a rebalance is the
         * usual reason), their new owner repeats those records. */
        weir__log(&th->rt->log, WEIR_LOG_WARNING, "COMMIT",
                  "%s: committing offsets: %s; trying again next commit",
                  th->name, rd_kafka_err2str(code));
        return NULL;
    }
    mark_committed(th);
    return NULL;
}

weir_error_t *weir__thread_commit(weir__thread_t *th)
{
    int64_t start = weir__now_ms();
    weir_error_t *err = th->rt->eos ? commit_eos(th) : commit_alos(th);
    th->last_commit_ms = weir__now_ms();
    th->processed_since_commit = 0;
    for (size_t i = 0; i < th->task_cnt; i++)
        if (th->tasks[i]->task)
            weir__task_clear_commit_request(th->tasks[i]->task);
    if (err)
        return err;
    atomic_fetch_add(&th->rt->metrics.commits, 1);
    th->consecutive_aborts = 0;
    weir__dbg(&th->rt->log, EOS, "COMMIT", "%s: committed in %" PRId64 " ms",
              th->name, th->last_commit_ms - start);
    purge_repartition(th);
    return NULL;
}

static rd_kafka_error_t *do_abort(weir__thread_t *th, void *arg)
{
    (void)arg;
    return rd_kafka_abort_transaction(th->producer, 10000);
}

weir_error_t *weir__thread_abort_and_rewind(weir__thread_t *th,
                                            weir_error_t *cause)
{
    if (++th->consecutive_aborts > th->rt->max_consecutive_aborts)
        return weir_error_prefix(cause,
                                 "gave up after %" PRId64 " aborted "
                                 "transactions in a row "
                                 "(max.consecutive.aborts); the last: ",
                                 th->consecutive_aborts - 1);
    weir__log(&th->rt->log, WEIR_LOG_WARNING, "EOS",
              "%s: aborting the transaction and restarting the tasks from "
              "committed state: %s",
              th->name, weir_error_string(cause));
    weir_error_destroy(cause);
    weir_error_t *err = NULL;
    if (th->rt->eos && th->txn_open) {
        err = weir__thread_txn_call(th, "aborting the transaction",
                                    do_abort, NULL);
        if (err)
            return err;
        th->txn_open = false;
    }
    atomic_fetch_add(&th->rt->metrics.aborts, 1);
    weir_error_destroy(th->production_error);
    th->production_error = NULL;
    th->need_rewind = false;
    weir__thread_tasks_destroy(th);
    weir_error_destroy(th->production_error); /* purged deliveries */
    th->production_error = NULL;
    if (th->assignment) {
        /* Re-assigning makes the consumer fetch the committed offsets
         * again and drop what it had fetched past them. */
        for (int i = 0; i < th->assignment->cnt; i++)
            th->assignment->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        rd_kafka_resp_err_t code = rd_kafka_assign(th->consumer,
                                                   th->assignment);
        if (code)
            return weir__error_from_resp(code, "%s: re-assigning", th->name);
    }
    err = weir__thread_begin_txn(th);
    if (!err && th->assignment)
        err = weir__thread_tasks_create(th, th->assignment);
    return err;
}
