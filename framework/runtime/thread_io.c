/*
 * thread_io.c: a task host's I/O on a stream thread's Kafka clients.
 *
 * Everything the host writes — sink output, repartition records,
 * watermark markers, changelog records, dead letters — goes through the
 * thread's one producer, so under exactly_once_v2 it commits or aborts
 * together with the consumed offsets, which go to the transaction with
 * the consumer's group metadata (a zombie of an older generation is
 * fenced). Delivery reports come back on the thread (from its flushes and
 * polls): for changelog records they give the offset each store's commit
 * records as its position; a failed delivery is kept as the thread's
 * production error, which the next flush hands to the host (an abort, or
 * under at_least_once with production.exception.handler=log_and_continue
 * a logged and counted loss).
 *
 * Transactional calls that fail with a retriable error (a coordinator
 * moving, brokers briefly away) are tried again until
 * broker.down.timeout.ms.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "standby_int.h"
#include "thread_int.h"

/* How long a full producer queue is waited on before polling it again. */
#define QUEUE_FULL_POLL_MS 10

static rd_kafka_headers_t *to_rd_headers(const weir_headers_t *hdrs)
{
    size_t n = hdrs ? weir_headers_count(hdrs) : 0;
    if (!n)
        return NULL;
    rd_kafka_headers_t *rh = rd_kafka_headers_new(n);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *value;
        size_t len;
        if (weir_headers_get(hdrs, i, &name, &value, &len))
            rd_kafka_header_add(rh, name, -1, value, (ssize_t)len);
    }
    return rh;
}

/* Queues one record; takes @p hdrs. */
static weir_error_t *produce_raw(weir__thread_t *th, const char *topic,
                                 int32_t partition, const void *key,
                                 size_t key_len, const void *value,
                                 size_t value_len, int64_t timestamp,
                                 rd_kafka_headers_t *hdrs, void *msg_opaque)
{
    int64_t deadline = weir__engine_deadline(&th->rt->eng);
    for (;;) {
        rd_kafka_resp_err_t code = rd_kafka_producev(
            th->producer, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA
                                               : partition),
            RD_KAFKA_V_KEY(key, key ? key_len : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_TIMESTAMP(timestamp > 0 ? timestamp : 0),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(msg_opaque),
            RD_KAFKA_V_END);
        if (!code)
            return NULL; /* the producer owns hdrs now */
        if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
            weir__mono_ms() > deadline) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            if (code == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
                return weir_error_new(
                    WEIR_ERR_TOO_LARGE, "producing to %s [%" PRId32 "]: %s",
                    topic, partition, rd_kafka_err2str(code));
            weir_error_t *err = weir__error_from_resp(
                code, "producing to %s [%" PRId32 "]", topic, partition);
            /* A record that could not even be queued leaves the
             * transaction incomplete. */
            return weir_error_set_txn_requires_abort(err, true);
        }
        /* Serve delivery reports to make room; the broker may be slow. */
        rd_kafka_poll(th->producer, QUEUE_FULL_POLL_MS);
    }
}

static weir_error_t *io_produce(void *opaque, const weir__host_msg_t *m)
{
    weir__thread_t *th = opaque;
    return produce_raw(th, m->topic, m->partition, m->key, m->key_len,
                       m->value, m->value_len, m->timestamp,
                       to_rd_headers(m->headers), m->store);
}

void weir__thread_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque)
{
    (void)rk;
    /* The handle's opaque is the thread's kop_producer member. */
    weir__thread_t *th = (weir__thread_t *)((char *)opaque -
                                            offsetof(weir__thread_t,
                                                     kop_producer));
    if (msg->err) {
        /* Purged by an abort that is already under way: not news. */
        if (msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
            msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
            return;
        if (!th->production_error)
            th->production_error = weir_error_set_txn_requires_abort(
                weir__error_from_resp(
                    msg->err, "delivering a record to %s [%" PRId32 "]",
                    rd_kafka_topic_name(msg->rkt), msg->partition),
                true);
        return;
    }
    weir__host_store_acked(msg->_private, msg->offset);
}

static weir_error_t *io_flush(void *opaque)
{
    weir__thread_t *th = opaque;
    int64_t deadline = weir__engine_deadline(&th->rt->eng);
    while (rd_kafka_flush(th->producer, 1000) ==
           RD_KAFKA_RESP_ERR__TIMED_OUT) {
        if (weir__mono_ms() > deadline)
            return weir_error_set_txn_requires_abort(
                weir_error_new(WEIR_ERR_TIMEOUT,
                               "%s: producer not flushed in %" PRId64
                               " ms (brokers down?)",
                               th->name, th->rt->eng.wait_timeout_ms),
                true);
        weir__log(&th->rt->eng.log, WEIR_LOG_WARNING, "COMMIT",
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
    int64_t deadline = weir__engine_deadline(&th->rt->eng);
    for (;;) {
        weir_error_t *err = weir__error_from_rdkafka(fn(th, arg), what);
        if (!err || !weir_error_is_retriable(err) ||
            weir__mono_ms() > deadline)
            return err;
        weir__log(&th->rt->eng.log, WEIR_LOG_WARNING, "EOS",
                  "%s: %s; retrying", th->name, weir_error_string(err));
        weir_error_destroy(err);
    }
}

static weir_error_t *io_begin(void *opaque)
{
    weir__thread_t *th = opaque;
    return weir__error_from_rdkafka(rd_kafka_begin_transaction(th->producer),
                                    "beginning a transaction");
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

static rd_kafka_error_t *do_abort(weir__thread_t *th, void *arg)
{
    (void)arg;
    return rd_kafka_abort_transaction(th->producer, 10000);
}

static rd_kafka_topic_partition_list_t *
to_rd_offsets(const weir__host_tp_t *tps, size_t n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
        (int)n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(
            l, tps[i].topic, tps[i].partition);
        tp->offset = tps[i].offset;
        if (tps[i].metadata && tps[i].metadata_len) {
            /* librdkafka frees it with the list (free()). */
            tp->metadata = weir__memdup(tps[i].metadata, tps[i].metadata_len);
            if (tp->metadata)
                tp->metadata_size = tps[i].metadata_len;
        }
    }
    return l;
}

static weir_error_t *io_commit(void *opaque, const weir__host_tp_t *tps,
                               size_t n)
{
    weir__thread_t *th = opaque;
    rd_kafka_topic_partition_list_t *offsets = to_rd_offsets(tps, n);
    weir_error_t *err = NULL;
    for (int i = 0; i < offsets->cnt; i++)
        if (tps[i].metadata_len && !offsets->elems[i].metadata)
            err = weir_error_new(WEIR_ERR_NOMEM, "offset metadata");
    if (!th->rt->eng.eos) {
        rd_kafka_resp_err_t code = !err && n ? rd_kafka_commit(th->consumer,
                                                               offsets, 0)
                                             : 0;
        if (code)
            err = weir_error_set_fatal(
                weir__error_from_resp(code, "%s: committing offsets",
                                      th->name),
                code == RD_KAFKA_RESP_ERR__FATAL);
    } else {
        if (!err && n)
            err = weir__thread_txn_call(th,
                                        "sending offsets to the transaction",
                                        do_send_offsets, offsets);
        if (!err)
            err = weir__thread_txn_call(th, "committing the transaction",
                                        do_commit, NULL);
    }
    rd_kafka_topic_partition_list_destroy(offsets);
    return err;
}

static weir_error_t *io_abort(void *opaque)
{
    weir__thread_t *th = opaque;
    weir_error_t *err = weir__thread_txn_call(th, "aborting the transaction",
                                              do_abort, NULL);
    /* What the abort purged is not a failure of the next commit. */
    weir_error_destroy(th->production_error);
    th->production_error = NULL;
    return err;
}

static weir_error_t *io_committed(void *opaque, weir__host_tp_t *tps, size_t n)
{
    weir__thread_t *th = opaque;
    if (th->committed)
        rd_kafka_topic_partition_list_destroy(th->committed);
    rd_kafka_topic_partition_list_t *parts = to_rd_offsets(tps, n);
    th->committed = parts;
    /* Under read_committed this waits for a transaction that a previous
     * owner left open, until the broker aborts it. */
    int64_t deadline = weir__engine_deadline(&th->rt->eng);
    rd_kafka_resp_err_t code;
    while ((code = rd_kafka_committed(th->consumer, parts, 10000)) &&
           weir__kafka_resp_is_retriable(code) && weir__mono_ms() < deadline)
        weir__log(&th->rt->eng.log, WEIR_LOG_WARNING, "TASK",
                  "%s: reading committed offsets: %s; retrying", th->name,
                  rd_kafka_err2str(code));
    if (code)
        return weir__error_from_resp(code, "reading committed offsets");
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        if (tp->err)
            return weir__error_from_resp(
                tp->err, "committed offset of %s [%" PRId32 "]", tp->topic,
                tp->partition);
        tps[i].offset = tp->offset >= 0 ? tp->offset : -1;
        tps[i].metadata = tp->metadata;
        tps[i].metadata_len = tp->metadata_size;
    }
    return NULL;
}

static weir_error_t *io_pause(void *opaque, const weir__host_tp_t *tps,
                              size_t n, bool pause)
{
    weir__thread_t *th = opaque;
    rd_kafka_topic_partition_list_t *parts = to_rd_offsets(tps, n);
    weir_error_t *err = NULL;
    if (!pause) {
        /* Records fetched while it was paused were given back: read
         * them again. */
        rd_kafka_topic_partition_list_t *seek =
            rd_kafka_topic_partition_list_new((int)n);
        for (size_t i = 0; i < n; i++)
            if (tps[i].offset >= 0)
                rd_kafka_topic_partition_list_add(seek, tps[i].topic,
                                                  tps[i].partition)
                    ->offset = tps[i].offset;
        if (seek->cnt) {
            rd_kafka_error_t *error = rd_kafka_seek_partitions(th->consumer,
                                                               seek, 10000);
            if (error)
                err = weir__error_from_rdkafka(error, "seeking");
            for (int i = 0; !err && i < seek->cnt; i++)
                if (seek->elems[i].err)
                    err = weir__error_from_resp(
                        seek->elems[i].err, "seeking %s [%" PRId32 "]",
                        seek->elems[i].topic, seek->elems[i].partition);
        }
        rd_kafka_topic_partition_list_destroy(seek);
    }
    rd_kafka_resp_err_t code =
        pause ? rd_kafka_pause_partitions(th->consumer, parts)
              : rd_kafka_resume_partitions(th->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (!err && code)
        err = weir__error_from_resp(code, pause ? "pausing" : "resuming");
    return err;
}

static weir_error_t *io_rewind(void *opaque)
{
    weir__thread_t *th = opaque;
    if (!th->assignment)
        return NULL;
    /* Re-assigning makes the consumer fetch the committed offsets again
     * and drop what it had fetched past them. */
    for (int i = 0; i < th->assignment->cnt; i++)
        th->assignment->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_resp_err_t code = rd_kafka_assign(th->consumer, th->assignment);
    return code ? weir__error_from_resp(code, "%s: re-assigning", th->name)
                : NULL;
}

static void header_str(rd_kafka_headers_t *rh, const char *name,
                       const char *value)
{
    rd_kafka_header_add(rh, name, -1, value, -1);
}

static weir_error_t *io_dead_letter(void *opaque, void *handle,
                                    const char *stage,
                                    const weir_error_t *cause)
{
    weir__thread_t *th = opaque;
    const rd_kafka_message_t *msg = handle;
    rd_kafka_headers_t *src = NULL;
    rd_kafka_headers_t *rh;
    if (!rd_kafka_message_headers(msg, &src) && src)
        rh = rd_kafka_headers_copy(src);
    else
        rh = rd_kafka_headers_new(6);
    char num[32];
    header_str(rh, "weir.error.stage", stage);
    header_str(rh, "weir.error.message", weir_error_string(cause));
    header_str(rh, "weir.source.topic", rd_kafka_topic_name(msg->rkt));
    snprintf(num, sizeof(num), "%" PRId32, msg->partition);
    header_str(rh, "weir.source.partition", num);
    snprintf(num, sizeof(num), "%" PRId64, msg->offset);
    header_str(rh, "weir.source.offset", num);
    rd_kafka_timestamp_type_t tstype;
    snprintf(num, sizeof(num), "%" PRId64,
             rd_kafka_message_timestamp(msg, &tstype));
    header_str(rh, "weir.source.timestamp", num);
    return produce_raw(th, th->rt->eng.dlq_topic, -1, msg->key, msg->key_len,
                       msg->payload, msg->len, 0, rh, NULL);
}

static void io_release(void *opaque, void *handle)
{
    (void)opaque;
    rd_kafka_message_destroy(handle);
}

static weir_error_t *io_restore(void *opaque, weir__host_task_t *task,
                                weir__task_stores_t *ts)
{
    weir__thread_t *th = opaque;
    return weir__updater_restore(th->updater, task, ts);
}

static void io_restore_cancel(void *opaque, weir__host_task_t *task)
{
    weir__thread_t *th = opaque;
    weir__updater_cancel(th->updater, task);
}

static bool io_standby_take(void *opaque, const char *task_id,
                            weir__task_stores_t *ts)
{
    weir__thread_t *th = opaque;
    return weir__standbys_take(th->rt->standbys, task_id, ts);
}

static void io_task_active(void *opaque, const char *task_id, bool active)
{
    weir__thread_t *th = opaque;
    weir__standbys_task_active(th->rt->standbys, task_id, active);
}

void weir__thread_io_init(weir__thread_t *th, weir__host_io_t *io)
{
    *io = (weir__host_io_t){
        .opaque = th,
        .produce = io_produce,
        .flush = io_flush,
        .begin = th->rt->eng.eos ? io_begin : NULL,
        .commit = io_commit,
        .abort = th->rt->eng.eos ? io_abort : NULL,
        .committed = io_committed,
        .pause = io_pause,
        .rewind = io_rewind,
        .dead_letter = io_dead_letter,
        .release = io_release,
        .restore = io_restore,
        .restore_cancel = io_restore_cancel,
        .standby_take = io_standby_take,
        .task_active = io_task_active,
    };
}
