/*
 * collector.c: everything a stream thread writes to Kafka.
 *
 * Sink output, repartition records, watermark markers, changelog records
 * and dead letters all go through the thread's one producer, so under
 * exactly_once_v2 they commit or abort together with the consumed
 * offsets. Delivery reports come back on the thread (from its flushes and
 * polls): for changelog records they give the offset each store's commit
 * records as its position; a failed delivery is kept as the thread's
 * production error, which the next commit turns into an abort (or, with
 * production.exception.handler=log_and_continue under at_least_once, a
 * logged and counted loss).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "thread_int.h"

/* How long a full producer queue is waited on before giving up. */
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

weir_error_t *weir__thread_produce(weir__thread_t *th, const char *topic,
                                   int32_t partition, const void *key,
                                   size_t key_len, const void *value,
                                   size_t value_len, int64_t timestamp,
                                   rd_kafka_headers_t *hdrs, void *msg_opaque)
{
    int64_t deadline = weir__rt_broker_deadline(th->rt);
    for (;;) {
        rd_kafka_resp_err_t code = rd_kafka_producev(
            th->producer, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key, key ? key_len : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_TIMESTAMP(timestamp > 0 ? timestamp : 0),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(msg_opaque),
            RD_KAFKA_V_END);
        if (!code)
            return NULL; /* the producer owns hdrs now */
        if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
            weir__now_ms() > deadline) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
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

/*
 * A record the producer refuses for its size fails every retry the same
 * way: it goes to production.exception.handler instead of aborting the
 * transaction over and over. The dead-letter topic would refuse it too, so
 * dead_letter logs and counts it like log_and_continue.
 */
static weir_error_t *too_large(weir__thread_t *th,
                               const weir__sink_record_t *rec,
                               weir_error_t *err)
{
    weir_error_set_txn_requires_abort(err, false);
    if (th->rt->prod_handler == WEIR__HANDLER_FAIL)
        return weir_error_set_fatal(
            weir_error_prefix(err,
                              "sink %s (production.exception.handler=fail): ",
                              rec->sink),
            true);
    weir__log(&th->rt->log, WEIR_LOG_ERR, "PRODUCE",
              "%s: record of %zu bytes for %s dropped: %s", th->name,
              rec->key_len + rec->value_len, rec->topic,
              weir_error_string(err));
    weir_error_destroy(err);
    atomic_fetch_add(&th->rt->metrics.dropped_records, 1);
    return NULL;
}

static weir_error_t *collector_send(void *opaque,
                                    const weir__sink_record_t *rec)
{
    weir__thread_t *th = opaque;
    int32_t partition = RD_KAFKA_PARTITION_UA;
    if (rec->partitioner) {
        const weir__rt_topic_t *t = weir__rt_topic(th->rt, rec->topic);
        int32_t cnt = t ? t->partitions : -1;
        if (cnt > 0) {
            partition = rec->partitioner(rec->partitioner_ctx, rec->topic,
                                         rec->key, rec->key_len, rec->value,
                                         rec->value_len, cnt);
            if (partition >= cnt)
                return weir_error_new(WEIR_ERR_PROCESSING,
                                      "sink %s: partitioner chose partition "
                                      "%" PRId32 " of %s, which has %" PRId32,
                                      rec->sink, partition, rec->topic, cnt);
            if (partition < 0)
                partition = RD_KAFKA_PARTITION_UA;
        }
    }
    weir_error_t *err = weir__thread_produce(
        th, rec->topic, partition, rec->key, rec->key_len, rec->value,
        rec->value_len, rec->timestamp, to_rd_headers(rec->headers), NULL);
    if (err && weir_error_origin_code(err) == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        return too_large(th, rec, err);
    if (!err && !rec->internal)
        atomic_fetch_add(&th->rt->metrics.records_out, 1);
    return err;
}

void weir__thread_collector_init(weir__thread_t *th)
{
    th->collector.opaque = th;
    th->collector.send = collector_send;
}

static weir_error_t *changelog_send(void *opaque, const char *store_name,
                                    const void *key, size_t key_len,
                                    const void *val, size_t val_len)
{
    weir__rt_store_t *st = opaque;
    (void)store_name;
    st->dirty = true;
    return weir__thread_produce(st->thread, st->changelog, st->partition, key,
                                key_len, val, val_len, 0, NULL, st);
}

const weir_changelog_sink_t weir__thread_changelog_sink = {changelog_send};

void weir__thread_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque)
{
    (void)rk;
    /* The handle's opaque is the thread's kop_producer member. */
    weir__thread_t *th =
        (weir__thread_t *)((char *)opaque - offsetof(weir__thread_t,
                                                     kop_producer));
    weir__rt_store_t *st = msg->_private;
    if (msg->err) {
        /* Purged by an abort that is already under way: not news. */
        if (msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
            msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
            return;
        if (!th->production_error)
            th->production_error = weir_error_set_txn_requires_abort(
                weir__error_from_resp(msg->err,
                                      "delivering a record to %s [%" PRId32
                                      "]",
                                      rd_kafka_topic_name(msg->rkt),
                                      msg->partition),
                true);
        return;
    }
    if (st && msg->offset > st->acked_offset)
        st->acked_offset = msg->offset;
}

static void header_str(rd_kafka_headers_t *rh, const char *name,
                       const char *value)
{
    rd_kafka_header_add(rh, name, -1, value, -1);
}

weir_error_t *weir__thread_dead_letter(weir__thread_t *th,
                                       const rd_kafka_message_t *msg,
                                       const char *stage,
                                       const weir_error_t *cause)
{
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
    snprintf(num, sizeof(num), "%" PRId64, rd_kafka_message_timestamp(msg,
                                                                     &tstype));
    header_str(rh, "weir.source.timestamp", num);
    weir_error_t *err = weir__thread_produce(
        th, th->rt->dlq_topic, RD_KAFKA_PARTITION_UA, msg->key, msg->key_len,
        msg->payload, msg->len, 0, rh, NULL);
    if (!err)
        atomic_fetch_add(&th->rt->metrics.dead_lettered, 1);
    return err;
}
