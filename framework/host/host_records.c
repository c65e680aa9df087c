/*
 * host_records.c: records through a task host: in, processed, out.
 *
 * In: a consumed record is queued in its task (deserialized at once, so
 * a bad record is reported with its coordinates and never blocks the
 * queue), the owner's message kept with it; a watermark marker waits
 * until the records that came before it are processed, then moves the
 * task's tracker. Processing takes every task's queue to empty, in
 * timestamp order within a task, then applies the markers, then fires
 * wall-clock punctuations. Everything queued is processed before a
 * commit, so a commit's offsets never skip a record still waiting.
 *
 * Errors: a record that does not deserialize or fails in a processor goes
 * to its handler (fail, log_and_continue, dead_letter); only errors that
 * are about the record can be skipped. An error that is about the
 * environment (the registry or the brokers unreachable, a failing store,
 * memory) is returned: skipping the record would lose good data. A
 * record too large for the producer goes to the production handler.
 *
 * Out: sink records, repartition records and changelog records go to the
 * owner (io->produce); changelog records carry their store, whose
 * position at commit is the last offset the owner acknowledged.
 */
#include <inttypes.h>
#include <string.h>

#include "alloc_int.h"
#include "host_priv.h"

/* ---- the exception handlers ---- */

static weir__handler_t handler_for(const weir__engine_t *eng,
                                   const char *stage)
{
    return !strcmp(stage, "deserialization") ? eng->deser_handler
                                             : eng->proc_handler;
}

/*
 * True when @p err says something about the record itself (bad bytes, a
 * schema it does not fit, a processor rejecting it), which a handler may
 * skip or dead-letter.
 */
static bool is_record_error(const weir_error_t *err)
{
    switch (weir_error_code(err)) {
    case WEIR_ERR_SERDE:
    case WEIR_ERR_SCHEMA:
    case WEIR_ERR_CSV:
    case WEIR_ERR_TOO_LARGE:
    case WEIR_ERR_PROCESSING:
    case WEIR_ERR_INVALID_ARG:
    case WEIR_ERR_NOT_FOUND:
        return true;
    default:
        return false;
    }
}

/* Applies the handler of @p stage to the record of @p handle (at
 * @p topic, @p partition, @p offset) that failed; takes @p err. Returns
 * the error when the owner must not go on. */
static weir_error_t *handle_record_error(weir__host_t *h, void *handle,
                                         const char *topic, int32_t partition,
                                         int64_t offset, const char *stage,
                                         weir_error_t *err)
{
    weir__engine_t *eng = h->eng;
    if (weir_error_txn_requires_abort(err) || weir_error_is_fatal(err))
        return err;
    if (!is_record_error(err))
        return weir_error_prefix(err,
                                 "%s of %s [%" PRId32 "] offset %" PRId64
                                 " (not skipped: not a problem of the "
                                 "record): ",
                                 stage, topic, partition, offset);
    weir__handler_t hd = handler_for(eng, stage);
    if (hd == WEIR__HANDLER_FAIL)
        return weir_error_prefix(
            err, "%s error (%s.exception.handler=fail): ", stage, stage);
    weir__log(&eng->log, WEIR_LOG_WARNING, "RECORD",
              "%s: %s error, record %s [%" PRId32 "] offset %" PRId64
              " %s: %s",
              h->name, stage, topic, partition, offset,
              hd == WEIR__HANDLER_DEAD_LETTER ? "dead-lettered" : "skipped",
              weir_error_string(err));
    atomic_fetch_add(&eng->metrics.dropped_records, 1);
    weir_error_t *dlq_err = NULL;
    if (hd == WEIR__HANDLER_DEAD_LETTER) {
        dlq_err = h->io.dead_letter(h->io.opaque, handle, stage, err);
        if (!dlq_err)
            atomic_fetch_add(&eng->metrics.dead_lettered, 1);
    }
    weir_error_destroy(err);
    return dlq_err;
}

/* ---- records in ---- */

static weir_error_t *pending_push(weir__host_task_t *t, const weir__wm_t *wm)
{
    if (t->pending_cnt == t->pending_cap) {
        size_t cap = t->pending_cap ? t->pending_cap * 2 : 16;
        weir__wm_t *p = weir__realloc(t->pending, cap * sizeof(*p));
        if (!p)
            return weir_error_new(WEIR_ERR_NOMEM, "watermarks");
        t->pending = p;
        t->pending_cap = cap;
    }
    t->pending[t->pending_cnt++] = *wm;
    return NULL;
}

/* Done with a record of @p in at @p offset without processing it: the
 * offset moves past it unless records before it still wait. */
static void skip_offset(weir__host_input_t *in, int64_t offset)
{
    if (!in->queued && offset + 1 > in->next_offset)
        in->next_offset = offset + 1;
}

weir_error_t *weir__host_route(weir__host_t *h, const weir__host_in_t *in)
{
    int topic = in->topic >= 0
                    ? in->topic
                    : weir__engine_topic_index(h->eng, in->topic_name);
    weir__host_slot_t *s = weir__host_slot(h, topic, in->partition);
    if (!s) {
        /* Fetched before a revocation: no longer ours. */
        h->io.release(h->io.opaque, in->handle);
        return NULL;
    }
    weir__host_task_t *t = s->task;
    weir__host_input_t *hin = s->in;
    if (!t->task) {
        /* Restoring (its partitions are paused, this was fetched before):
         * read again once the task is active. */
        if (hin->refetch_from < 0 || in->offset < hin->refetch_from)
            hin->refetch_from = in->offset;
        h->io.release(h->io.opaque, in->handle);
        return NULL;
    }
    weir_error_t *err = NULL;
    if (in->marker) {
        if (hin->repartition) {
            weir__wm_t wm;
            err = weir__wm_decode(in->value, in->value_len, &wm);
            if (!err)
                err = pending_push(t, &wm);
        }
        skip_offset(hin, in->offset);
        h->io.release(h->io.opaque, in->handle);
        return err;
    }
    atomic_fetch_add(&h->eng->metrics.records_in, 1);
    hin->last_record_ms = h->wall_ms;
    hin->at_end = false;
    weir__input_record_t rec = {hin->topic_name, in->partition, in->offset,
                                in->key,         in->key_len,   in->value,
                                in->value_len,   in->timestamp, in->headers,
                                in->handle};
    bool queued = false;
    err = weir__task_add_record_to(t->task, hin->queue, &rec, &queued);
    if (queued) {
        hin->queued++;
        return NULL;
    }
    /* Dropped (a bad record handled, or an invalid timestamp): done. */
    if (err)
        err = handle_record_error(h, in->handle, hin->topic_name,
                                  in->partition, in->offset, "deserialization",
                                  err);
    skip_offset(hin, in->offset);
    h->io.release(h->io.opaque, in->handle);
    return err;
}

void weir__host_input_end(weir__host_t *h, int topic, const char *topic_name,
                          int32_t partition)
{
    if (topic < 0)
        topic = weir__engine_topic_index(h->eng, topic_name);
    weir__host_slot_t *s = weir__host_slot(h, topic, partition);
    /* Everything before it was routed. */
    if (s && s->task->task)
        s->in->at_end = true;
}

/* ---- processing ---- */

/* Processes everything queued in @p t. */
static weir_error_t *process_task(weir__host_t *h, weir__host_task_t *t)
{
    bool processed = true;
    while (t->task && weir__task_buffered(t->task) > 0) {
        weir_error_t *err = weir__task_process(t->task, &processed);
        if (!processed)
            return err;
        int q = weir__task_last_queue(t->task);
        void *handle = weir__task_last_handle(t->task);
        const char *topic;
        int32_t partition;
        int64_t offset;
        weir__task_last_processed(t->task, &topic, &partition, &offset);
        weir__host_input_t *in = NULL;
        for (size_t i = 0; i < t->input_cnt && !in; i++)
            if (t->inputs[i].queue == q)
                in = &t->inputs[i];
        if (in) {
            in->queued--;
            if (offset + 1 > in->next_offset)
                in->next_offset = offset + 1;
        }
        h->processed_since_commit++;
        if (err)
            err = handle_record_error(h, handle, topic, partition, offset,
                                      "processing", err);
        h->io.release(h->io.opaque, handle);
        if (err)
            return err;
    }
    return NULL;
}

/* Applies the markers that arrived; their records were all processed. */
static weir_error_t *apply_markers(weir__host_task_t *t)
{
    if (!t->task || !t->wm || !t->pending_cnt)
        return NULL;
    for (size_t i = 0; i < t->pending_cnt; i++)
        weir__wm_tracker_update(t->wm, &t->pending[i]);
    t->pending_cnt = 0;
    int64_t progress = weir__wm_tracker_progress(t->wm);
    if (progress == INT64_MIN)
        return NULL;
    return weir__task_advance_stream_time(t->task, progress);
}

weir_error_t *weir__host_run(weir__host_t *h, int64_t wall_ms)
{
    if (wall_ms > h->wall_ms)
        h->wall_ms = wall_ms;
    weir_error_t *err = weir__host_begin_txn(h);
    for (size_t i = 0; i < h->task_cnt && !err; i++)
        err = process_task(h, h->tasks[i]);
    for (size_t i = 0; i < h->task_cnt && !err; i++)
        err = apply_markers(h->tasks[i]);
    for (size_t i = 0; i < h->task_cnt && !err; i++)
        if (h->tasks[i]->task)
            err = weir__task_punctuate_wall_clock(h->tasks[i]->task,
                                                  h->wall_ms);
    weir__host_publish_counters(h);
    return err;
}

uint64_t weir__host_processed(const weir__host_t *h)
{
    return h->processed_since_commit;
}

bool weir__host_commit_requested(const weir__host_t *h)
{
    for (size_t i = 0; i < h->task_cnt; i++)
        if (h->tasks[i]->task &&
            weir__task_commit_requested(h->tasks[i]->task))
            return true;
    return false;
}

bool weir__host_results_emitted(const weir__host_t *h)
{
    for (size_t i = 0; i < h->task_cnt; i++)
        if (h->tasks[i]->task && weir__task_results_emitted(h->tasks[i]->task))
            return true;
    return false;
}

/* ---- records out ---- */

/*
 * A record the owner refuses for its size fails every retry the same way:
 * it goes to production.exception.handler instead of aborting the
 * transaction over and over. The dead-letter topic would refuse it too,
 * so dead_letter logs and counts it like log_and_continue.
 */
static weir_error_t *too_large(weir__host_t *h, const weir__sink_record_t *r,
                               weir_error_t *err)
{
    err = weir_error_set_txn_requires_abort(err, false);
    if (h->eng->prod_handler == WEIR__HANDLER_FAIL)
        return weir_error_set_fatal(
            weir_error_prefix(
                err, "sink %s (production.exception.handler=fail): ", r->sink),
            true);
    weir__log(&h->eng->log, WEIR_LOG_ERR, "PRODUCE",
              "%s: record of %zu bytes for %s dropped: %s", h->name,
              r->key_len + r->value_len, r->topic, weir_error_string(err));
    weir_error_destroy(err);
    atomic_fetch_add(&h->eng->metrics.dropped_records, 1);
    return NULL;
}

weir_error_t *weir__host_collect(void *opaque, const weir__sink_record_t *r)
{
    weir__host_t *h = opaque;
    int32_t partition = -1;
    if (r->partitioner) {
        const weir__plan_topic_t *t = weir__engine_topic(h->eng, r->topic);
        int32_t cnt = t ? t->partitions : -1;
        if (cnt > 0) {
            partition = r->partitioner(r->partitioner_ctx, r->topic, r->key,
                                       r->key_len, r->value, r->value_len,
                                       cnt);
            if (partition >= cnt)
                return weir_error_new(WEIR_ERR_PROCESSING,
                                      "sink %s: partitioner chose partition "
                                      "%" PRId32 " of %s, which has %" PRId32,
                                      r->sink, partition, r->topic, cnt);
            if (partition < 0)
                partition = -1;
        }
    }
    weir__host_msg_t m = {r->topic, partition,    r->key,       r->key_len,
                          r->value, r->value_len, r->timestamp, r->headers,
                          NULL,     !r->internal};
    weir_error_t *err = h->io.produce(h->io.opaque, &m);
    if (err && weir_error_code(err) == WEIR_ERR_TOO_LARGE)
        return too_large(h, r, err);
    if (!err && !r->internal)
        atomic_fetch_add(&h->eng->metrics.records_out, 1);
    return err;
}

static weir_error_t *changelog_send(void *opaque, const char *store_name,
                                    const void *key, size_t key_len,
                                    const void *val, size_t val_len)
{
    weir__rt_store_t *st = opaque;
    (void)store_name;
    st->dirty = true;
    weir__host_msg_t m = {
        st->changelog, st->partition, key, key_len, val, val_len, 0, NULL, st,
        false};
    weir__host_t *h = st->task->host;
    return h->io.produce(h->io.opaque, &m);
}

const weir_changelog_sink_t weir__host_changelog_sink = {changelog_send};

void weir__host_store_acked(weir__rt_store_t *st, int64_t offset)
{
    if (st && offset > st->acked_offset)
        st->acked_offset = offset;
}
