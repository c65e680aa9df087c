/*
 * thread.c: a stream thread: its clients, its loop, and rebalancing.
 *
 * The loop: poll a batch of records from the consumer and queue each in
 * the task that owns its partition (watermark markers go to the task's
 * tracker instead, never to processors); process every queued record, in
 * timestamp order within each task; apply the markers, which moves the
 * event time of repartition-fed tasks; fire wall-clock punctuations; keep
 * the global stores current; commit every commit.interval.ms.
 *
 * Everything queued is processed before a commit, so a commit's offsets
 * never skip a record that is still waiting in a task.
 *
 * Rebalancing is eager (the range assignor keeps co-partitioned
 * partitions together): on revocation the thread commits and closes all
 * its tasks; on assignment it creates the new ones. A task with
 * changelogged stores is restored by the thread's state updater while
 * the loop goes on (its partitions paused), and joins the loop when its
 * stores have caught up; the thread is RUNNING once none is restoring.
 *
 * Errors: a record that does not deserialize or fails in a processor goes
 * to its handler (fail, log_and_continue, dead_letter); an error that
 * dooms the transaction aborts it and restarts the tasks from committed
 * state; an error that cannot be survived (fenced, a broken store, a
 * handler set to fail) stops the thread and puts the app in ERROR.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "conf_int.h"
#include "standby_int.h"
#include "standby_plan_int.h"
#include "thread_int.h"

#define POLL_BATCH 2000
#define POLL_MS 20

int64_t weir__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t weir__rt_broker_deadline(const weir__rt_t *rt)
{
    int64_t t = rt->broker_down_timeout_ms;
    return weir__now_ms() + (t < 0 ? INT64_MAX / 2 : t);
}

int64_t weir__wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_state(weir__thread_t *th, weir__thread_state_t state)
{
    int old = atomic_exchange(&th->state, (int)state);
    if (old != (int)state && th->rt->thread_state_changed)
        th->rt->thread_state_changed(th->rt->app, th);
}

/* Tasks that process (not restoring). */
static size_t active_tasks(const weir__thread_t *th)
{
    return th->task_cnt - th->restoring_cnt;
}

weir__thread_state_t weir__thread_state(const weir__thread_t *th)
{
    return (weir__thread_state_t)atomic_load(&th->state);
}

const weir_error_t *weir__thread_error(const weir__thread_t *th)
{
    return th->error;
}

/* Sets @p key unless the user configured it (plainly or for @p kind). */
static weir_error_t *set_default(weir__thread_t *th, rd_kafka_conf_t *rkc,
                                 const char *kind, const char *key,
                                 const char *value)
{
    char prefixed[256];
    snprintf(prefixed, sizeof(prefixed), "%s.%s", kind, key);
    if (weir_conf_get(th->rt->conf, key) ||
        weir_conf_get(th->rt->conf, prefixed))
        return NULL;
    return weir__kafka_conf_set(rkc, key, value);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque);

static weir_error_t *consumer_new(weir__thread_t *th)
{
    const weir__rt_t *rt = th->rt;
    rd_kafka_conf_t *rkc;
    weir_error_t *err =
        weir__kafka_conf_new(rt->conf, "consumer", &th->kop_consumer, &rkc);
    if (err)
        return err;
    /* The end-of-partition events say when an input is caught up (see
     * weir__rt_input_t.at_end); librdkafka raises one when its fetch
     * position meets the end offset, past transaction markers. */
    const char *const pairs[] = {
        "group.id", rt->app_id, "partition.assignment.strategy", "range",
        "enable.auto.commit", "false", "enable.auto.offset.store", "false",
        "enable.partition.eof", "true", "isolation.level",
        rt->eos ? "read_committed" : "read_uncommitted", NULL};
    err = weir__kafka_conf_set_pairs(rkc, pairs);
    if (!err)
        err = set_default(th, rkc, "consumer", "auto.offset.reset",
                          "earliest");
    /* Members learn of a rebalance at their next heartbeat: librdkafka's
     * 3 s would be most of a clean failover. */
    if (!err)
        err = set_default(th, rkc, "consumer", "heartbeat.interval.ms",
                          "1000");
    if (!err && rt->mock)
        err = set_default(th, rkc, "consumer", "session.timeout.ms", "6000");
    if (!err && rt->mock)
        err = set_default(th, rkc, "consumer", "fetch.wait.max.ms", "10");
    /* The client id names the instance (process) and the thread, so the
     * standby planner can tell the group's instances apart. */
    char base[256], client_id[512];
    weir__standbys_client_base(rt, base, sizeof(base));
    weir__standby_client_id(base, rt->process_id, th->idx, client_id,
                            sizeof(client_id));
    if (!err)
        err = weir__kafka_conf_set(rkc, "client.id", client_id);
    const char *instance = weir_conf_get(rt->conf, "group.instance.id");
    if (!err && instance) {
        char id[512];
        snprintf(id, sizeof(id), "%s-%d", instance, th->idx);
        err = weir__kafka_conf_set(rkc, "group.instance.id", id);
    }
    if (err) {
        rd_kafka_conf_destroy(rkc);
        return err;
    }
    rd_kafka_conf_set_rebalance_cb(rkc, rebalance_cb);
    return weir__kafka_new(RD_KAFKA_CONSUMER, rkc, &th->consumer);
}

static weir_error_t *producer_new(weir__thread_t *th)
{
    const weir__rt_t *rt = th->rt;
    rd_kafka_conf_t *rkc;
    weir_error_t *err =
        weir__kafka_conf_new(rt->conf, "producer", &th->kop_producer, &rkc);
    if (err)
        return err;
    /* Java's default partitioner, so weir and Java producers agree on
     * where a key goes. */
    err = set_default(th, rkc, "producer", "partitioner", "murmur2_random");
    if (!err && rt->eos) {
        /* Stable across restarts of this instance, so a restart fences
         * its predecessor's open transaction at once instead of waiting
         * for it to time out: from group.instance.id when set (so even
         * a restart on an empty state.dir fences), else from the process
         * id kept in state.dir. */
        const char *instance = weir_conf_get(rt->conf, "group.instance.id");
        char txid[512];
        snprintf(txid, sizeof(txid), "%s-%s-%d", rt->app_id,
                 instance ? instance : rt->process_id, th->idx);
        err = weir__kafka_conf_set(rkc, "transactional.id", txid);
        if (!err)
            err = set_default(th, rkc, "producer", "transaction.timeout.ms",
                              "10000");
    } else if (!err) {
        err = set_default(th, rkc, "producer", "enable.idempotence", "true");
    }
    if (err) {
        rd_kafka_conf_destroy(rkc);
        return err;
    }
    rd_kafka_conf_set_dr_msg_cb(rkc, weir__thread_dr_cb);
    return weir__kafka_new(RD_KAFKA_PRODUCER, rkc, &th->producer);
}

static void fail(weir__thread_t *th, weir_error_t *err)
{
    if (!th->error) {
        th->error = weir_error_prefix(err, "%s: ", th->name);
        weir__log(&th->rt->log, WEIR_LOG_ERR, "THREAD", "%s",
                  weir_error_string(th->error));
    } else {
        weir_error_destroy(err);
    }
    atomic_store(&th->stop, true);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    weir__thread_t *th = opaque;
    if (code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        atomic_fetch_add(&th->rt->metrics.rebalances, 1);
        if (th->assignment)
            rd_kafka_topic_partition_list_destroy(th->assignment);
        th->assignment = rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_assign(rk, parts);
        weir__log(&th->rt->log, WEIR_LOG_INFO, "REBALANCE",
                  "%s: assigned %d partitions", th->name, parts->cnt);
        weir_error_t *err = weir__thread_tasks_create(th, parts);
        /* Where standbys should be depends on the new assignment. */
        weir__standbys_replan_soon(th->rt->standbys, 500);
        if (err)
            fail(th, err);
        else if (!th->restoring_cnt)
            set_state(th, WEIR__THREAD_RUNNING);
        /* else RUNNING once the updater has restored every task */
        return;
    }
    set_state(th, WEIR__THREAD_REBALANCING);
    weir__log(&th->rt->log, WEIR_LOG_INFO, "REBALANCE",
              "%s: %d partitions revoked: committing and closing tasks",
              th->name, parts->cnt);
    if (active_tasks(th) && !th->error) {
        weir_error_t *err = weir__thread_commit(th);
        if (err && (weir_error_txn_requires_abort(err) ||
                    weir_error_is_retriable(err))) {
            /* The tasks go anyway; the new owner redoes the work. */
            weir__log(&th->rt->log, WEIR_LOG_WARNING, "REBALANCE",
                      "%s: commit on revocation failed: %s", th->name,
                      weir_error_string(err));
            weir_error_destroy(err);
            if (th->txn_open) {
                weir_error_destroy(weir__error_from_rdkafka(
                    rd_kafka_abort_transaction(th->producer, 10000),
                    "aborting"));
                th->txn_open = false;
            }
            weir_error_destroy(weir__thread_begin_txn(th));
        } else if (err) {
            fail(th, err);
        }
    }
    weir__thread_tasks_destroy(th);
    rd_kafka_assign(rk, NULL);
    if (th->assignment)
        rd_kafka_topic_partition_list_destroy(th->assignment);
    th->assignment = NULL;
}

/* Converts librdkafka headers for a task (which copies them). */
static weir_headers_t *headers_of(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *rh = NULL;
    if (rd_kafka_message_headers(m, &rh) || !rh)
        return NULL;
    weir_headers_t *hdrs = weir_headers_new();
    const char *name;
    const void *value;
    size_t len;
    for (size_t i = 0;
         hdrs && !rd_kafka_header_get_all(rh, i, &name, &value, &len); i++)
        weir_headers_add(hdrs, name, value, len);
    return hdrs;
}

static bool is_marker(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *rh = NULL;
    const void *v;
    size_t len;
    return !rd_kafka_message_headers(m, &rh) && rh &&
           !rd_kafka_header_get_last(rh, WEIR__WM_HEADER, &v, &len);
}

static weir__handler_t handler_for(const weir__rt_t *rt, const char *stage)
{
    return !strcmp(stage, "deserialization") ? rt->deser_handler
                                             : rt->proc_handler;
}

/*
 * True when @p err says something about the record itself (bad bytes, a
 * schema it does not fit, a processor rejecting it), which a handler may
 * skip or dead-letter. Anything else (the registry or the brokers being
 * unreachable, a store failing, memory) is about the environment:
 * skipping the record would lose good data, so the thread stops instead.
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

/* Applies the handler of @p stage to a record that failed; takes @p err.
 * Returns the error when the thread must not go on. */
static weir_error_t *handle_record_error(weir__thread_t *th,
                                         const rd_kafka_message_t *m,
                                         const char *stage,
                                         weir_error_t *err)
{
    if (weir_error_txn_requires_abort(err) || weir_error_is_fatal(err))
        return err;
    if (!is_record_error(err))
        return weir_error_prefix(err, "%s of %s [%" PRId32 "] offset %" PRId64
                                      " (not skipped: not a problem of the "
                                      "record): ",
                                 stage, rd_kafka_topic_name(m->rkt),
                                 m->partition, m->offset);
    weir__handler_t h = handler_for(th->rt, stage);
    if (h == WEIR__HANDLER_FAIL)
        return weir_error_prefix(err, "%s error (%s.exception.handler=fail): ",
                                 stage, stage);
    weir__log(&th->rt->log, WEIR_LOG_WARNING, "RECORD",
              "%s: %s error, record %s [%" PRId32 "] offset %" PRId64 " %s: %s",
              th->name, stage, rd_kafka_topic_name(m->rkt), m->partition,
              m->offset,
              h == WEIR__HANDLER_DEAD_LETTER ? "dead-lettered" : "skipped",
              weir_error_string(err));
    atomic_fetch_add(&th->rt->metrics.dropped_records, 1);
    weir_error_t *dlq_err = NULL;
    if (h == WEIR__HANDLER_DEAD_LETTER)
        dlq_err = weir__thread_dead_letter(th, m, stage, err);
    weir_error_destroy(err);
    return dlq_err;
}

static weir_error_t *fifo_push(weir__rt_input_t *in, rd_kafka_message_t *m)
{
    if (in->fifo_cnt == in->fifo_cap) {
        size_t cap = in->fifo_cap ? in->fifo_cap * 2 : 64;
        rd_kafka_message_t **f = weir__malloc(cap * sizeof(*f));
        if (!f)
            return weir_error_new(WEIR_ERR_NOMEM, "input queue");
        for (size_t i = 0; i < in->fifo_cnt; i++)
            f[i] = in->fifo[(in->fifo_head + i) % in->fifo_cap];
        weir__free(in->fifo);
        in->fifo = f;
        in->fifo_head = 0;
        in->fifo_cap = cap;
    }
    in->fifo[(in->fifo_head + in->fifo_cnt++) % in->fifo_cap] = m;
    return NULL;
}

static rd_kafka_message_t *fifo_pop(weir__rt_input_t *in)
{
    if (!in->fifo_cnt)
        return NULL;
    rd_kafka_message_t *m = in->fifo[in->fifo_head];
    in->fifo_head = (in->fifo_head + 1) % in->fifo_cap;
    in->fifo_cnt--;
    return m;
}

static weir_error_t *pending_push(weir__rt_task_t *t, const weir__wm_t *wm)
{
    if (t->pending_cnt == t->pending_cap) {
        size_t cap = t->pending_cap ? t->pending_cap * 2 : 16;
        weir__pending_wm_t *p =
            weir__realloc(t->pending, cap * sizeof(*p));
        if (!p)
            return weir_error_new(WEIR_ERR_NOMEM, "watermarks");
        t->pending = p;
        t->pending_cap = cap;
    }
    t->pending[t->pending_cnt++].wm = *wm;
    return NULL;
}

/* Queues one consumed message in its task; takes @p m. */
static weir_error_t *route(weir__thread_t *th, rd_kafka_message_t *m)
{
    weir__rt_input_t *in = NULL;
    const char *topic = rd_kafka_topic_name(m->rkt);
    weir__rt_task_t *t = weir__thread_task_for(th, topic, m->partition, &in);
    if (!t) {
        /* Fetched before a revocation: no longer ours. */
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (!t->task) {
        /* Restoring (its partitions are paused, this was fetched before):
         * read again once the task is active. */
        if (in->refetch_from < 0 || m->offset < in->refetch_from)
            in->refetch_from = m->offset;
        rd_kafka_message_destroy(m);
        return NULL;
    }
    weir_error_t *err = NULL;
    if (in->repartition && is_marker(m)) {
        weir__wm_t wm;
        err = weir__wm_decode(m->payload, m->len, &wm);
        if (!err)
            err = pending_push(t, &wm);
        if (!err && m->offset + 1 > in->next_offset && !in->fifo_cnt)
            in->next_offset = m->offset + 1;
        rd_kafka_message_destroy(m);
        return err;
    }
    atomic_fetch_add(&th->rt->metrics.records_in, 1);
    in->last_record_ms = weir__wall_now_ms();
    in->at_end = false;
    rd_kafka_timestamp_type_t tstype;
    weir_headers_t *hdrs = headers_of(m);
    weir__input_record_t rec = {topic,
                                m->partition,
                                m->offset,
                                m->key,
                                m->key_len,
                                m->payload,
                                m->len,
                                rd_kafka_message_timestamp(m, &tstype),
                                hdrs};
    size_t before = weir__task_queue_size(t->task, topic, m->partition);
    err = weir__task_add_record(t->task, &rec);
    weir_headers_destroy(hdrs);
    if (err) {
        err = handle_record_error(th, m, "deserialization", err);
    } else if (weir__task_queue_size(t->task, topic, m->partition) > before) {
        err = fifo_push(in, m);
        if (!err)
            return NULL;
    }
    /* Dropped (bad record handled, or an invalid timestamp): consumed. */
    if (!in->fifo_cnt && m->offset + 1 > in->next_offset)
        in->next_offset = m->offset + 1;
    rd_kafka_message_destroy(m);
    return err;
}

/* Processes everything queued in @p t. */
static weir_error_t *process_task(weir__thread_t *th, weir__rt_task_t *t)
{
    bool processed = true;
    while (t->task && weir__task_buffered(t->task) > 0) {
        weir_error_t *err = weir__task_process(t->task, &processed);
        if (!processed)
            return err;
        const char *topic;
        int32_t partition;
        int64_t offset;
        weir__task_last_processed(t->task, &topic, &partition, &offset);
        weir__rt_input_t *in = NULL;
        weir__thread_task_for(th, topic, partition, &in);
        rd_kafka_message_t *m = in ? fifo_pop(in) : NULL;
        if (in && offset + 1 > in->next_offset)
            in->next_offset = offset + 1;
        th->processed_since_commit++;
        if (err && m)
            err = handle_record_error(th, m, "processing", err);
        if (m)
            rd_kafka_message_destroy(m);
        if (err)
            return err;
    }
    return NULL;
}

/* Applies the markers that arrived; their records were all processed. */
static weir_error_t *apply_markers(weir__rt_task_t *t)
{
    if (!t->task || !t->wm || !t->pending_cnt)
        return NULL;
    for (size_t i = 0; i < t->pending_cnt; i++)
        weir__wm_tracker_update(t->wm, &t->pending[i].wm);
    t->pending_cnt = 0;
    int64_t progress = weir__wm_tracker_progress(t->wm);
    if (progress == INT64_MIN)
        return NULL;
    return weir__task_advance_stream_time(t->task, progress);
}

static void publish_task_counters(weir__thread_t *th)
{
    for (size_t i = 0; i < th->task_cnt; i++) {
        weir__rt_task_t *t = th->tasks[i];
        if (!t->task)
            continue;
        uint64_t late = weir__task_dropped(t->task, "late");
        uint64_t all = weir__task_dropped(t->task, NULL);
        atomic_fetch_add(&th->rt->metrics.late_records, late - t->late_seen);
        atomic_fetch_add(&th->rt->metrics.dropped_records,
                         all - t->dropped_seen);
        t->late_seen = late;
        t->dropped_seen = all;
    }
}

/* Activates what the updater restored; RUNNING once nothing restores. */
static weir_error_t *take_restored(weir__thread_t *th)
{
    if (!th->restoring_cnt)
        return NULL;
    weir_error_t *err = weir__thread_tasks_activate_restored(th);
    if (!err && !th->restoring_cnt && th->assignment &&
        weir__thread_state(th) == WEIR__THREAD_REBALANCING)
        set_state(th, WEIR__THREAD_RUNNING);
    return err;
}

/* One turn of the loop. */
static weir_error_t *run_once(weir__thread_t *th)
{
    weir_error_t *err = take_restored(th);
    for (int n = 0; n < POLL_BATCH && !err && !atomic_load(&th->stop); n++) {
        rd_kafka_message_t *m =
            rd_kafka_consumer_poll(th->consumer, n ? 0 : POLL_MS);
        if (!m)
            break;
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                char reason[512];
                rd_kafka_resp_err_t code = rd_kafka_fatal_error(
                    th->consumer, reason, sizeof(reason));
                err = weir_error_set_fatal(
                    weir__error_from_resp(code, "consumer: %s", reason), true);
            } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                /* Everything before it was polled and routed. */
                weir__rt_input_t *in = NULL;
                weir__rt_task_t *t =
                    m->rkt ? weir__thread_task_for(
                                 th, rd_kafka_topic_name(m->rkt),
                                 m->partition, &in)
                           : NULL;
                if (t && t->task)
                    in->at_end = true;
            } else {
                weir__log(&th->rt->log, WEIR_LOG_WARNING, "CONSUMER",
                          "%s: %s", th->name, rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        err = route(th, m);
    }
    for (size_t i = 0; i < th->task_cnt && !err; i++)
        err = process_task(th, th->tasks[i]);
    for (size_t i = 0; i < th->task_cnt && !err; i++)
        err = apply_markers(th->tasks[i]);
    int64_t wall = weir__wall_now_ms();
    for (size_t i = 0; i < th->task_cnt && !err; i++)
        if (th->tasks[i]->task)
            err = weir__task_punctuate_wall_clock(th->tasks[i]->task, wall);
    if (!err)
        err = weir__thread_globals_poll(th);
    bool requested = false;
    for (size_t i = 0; i < th->task_cnt; i++)
        requested |= th->tasks[i]->task &&
                     weir__task_commit_requested(th->tasks[i]->task);
    if (!err && active_tasks(th) &&
        (requested ||
         weir__now_ms() - th->last_commit_ms >= th->rt->commit_interval_ms))
        err = weir__thread_commit(th);
    if (!err && th->idx == 0)
        weir__standbys_maybe_replan(th->rt->standbys);
    if (!err && th->need_rewind)
        err = weir__thread_abort_and_rewind(
            th, weir_error_new(WEIR_ERR_STORE, "a store failed to commit"));
    publish_task_counters(th);
    return err;
}

static rd_kafka_error_t *do_init_transactions(weir__thread_t *th, void *arg)
{
    (void)arg;
    return rd_kafka_init_transactions(th->producer, 30000);
}

static weir_error_t *subscribe(weir__thread_t *th)
{
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)th->rt->topic_cnt);
    for (size_t i = 0; i < th->rt->topic_cnt; i++)
        if (th->rt->topics[i].reader_sub >= 0)
            rd_kafka_topic_partition_list_add(topics, th->rt->topics[i].name,
                                              RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t code = rd_kafka_subscribe(th->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    return code ? weir__error_from_resp(code, "subscribing") : NULL;
}

static void *thread_main(void *arg)
{
    weir__thread_t *th = arg;
    weir_error_t *err = consumer_new(th);
    if (!err)
        err = producer_new(th);
    if (!err)
        err = weir__updater_start(th->rt, th->name, &th->updater);
    if (!err)
        weir__standbys_set_updater(th->rt->standbys, th->idx, th->updater);
    if (!err && th->rt->eos)
        err = weir__thread_txn_call(th, "initializing transactions",
                                    do_init_transactions, NULL);
    if (!err)
        err = weir__thread_globals_start(th);
    if (!err)
        err = subscribe(th);
    if (!err)
        err = weir__thread_begin_txn(th);
    if (!err && weir__thread_state(th) == WEIR__THREAD_STARTING)
        set_state(th, WEIR__THREAD_REBALANCING);
    th->last_commit_ms = weir__now_ms();
    while (!err && !atomic_load(&th->stop)) {
        err = run_once(th);
        if (err && (weir_error_txn_requires_abort(err) ||
                    (weir_error_is_retriable(err) && th->rt->eos))) {
            err = weir__thread_abort_and_rewind(th, err);
        }
    }
    if (err)
        fail(th, err);
    if (!th->error && active_tasks(th)) {
        /* A clean stop: commit what was processed. */
        err = weir__thread_commit(th);
        if (err)
            fail(th, err);
    }
    if (th->error && th->txn_open && th->producer)
        weir_error_destroy(weir__error_from_rdkafka(
            rd_kafka_abort_transaction(th->producer, 10000), "aborting"));
    if (th->consumer) {
        /* Leaves the group (unless group.instance.id is set); the revoke
         * callback closes the tasks. */
        rd_kafka_consumer_close(th->consumer);
    }
    weir__thread_tasks_destroy(th);
    weir__standbys_set_updater(th->rt->standbys, th->idx, NULL);
    weir__updater_destroy(th->updater);
    th->updater = NULL;
    weir__thread_globals_destroy(th);
    set_state(th, th->error ? WEIR__THREAD_FAILED : WEIR__THREAD_STOPPED);
    return NULL;
}

weir_error_t *weir__thread_start(weir__rt_t *rt, int idx,
                                 weir__thread_t **threadp)
{
    weir__thread_t *th = weir__calloc(1, sizeof(*th));
    if (!th)
        return weir_error_new(WEIR_ERR_NOMEM, "stream thread");
    th->rt = rt;
    th->idx = idx;
    snprintf(th->name, sizeof(th->name), "thread-%d", idx);
    th->kop_consumer = (weir__kafka_opaque_t){&rt->log, th->name};
    th->kop_producer = (weir__kafka_opaque_t){&rt->log, th->name};
    th->kop_global = (weir__kafka_opaque_t){&rt->log, th->name};
    atomic_init(&th->state, WEIR__THREAD_STARTING);
    atomic_init(&th->stop, false);
    th->global_stores =
        weir__calloc(rt->topo->store_cnt ? rt->topo->store_cnt : 1,
                     sizeof(*th->global_stores));
    if (!th->global_stores) {
        weir__free(th);
        return weir_error_new(WEIR_ERR_NOMEM, "stream thread");
    }
    weir__thread_provider_init(th);
    weir__thread_collector_init(th);
    th->task_conf.app_id = rt->app_id;
    th->task_conf.stores = &th->provider;
    th->task_conf.collector = &th->collector;
    th->task_conf.log = rt->log;
    if (pthread_create(&th->tid, NULL, thread_main, th)) {
        weir__free(th->global_stores);
        weir__free(th);
        return weir_error_new(WEIR_ERR_IO, "could not start a stream thread");
    }
    th->started = true;
    *threadp = th;
    return NULL;
}

void weir__thread_request_stop(weir__thread_t *th)
{
    atomic_store(&th->stop, true);
}

bool weir__thread_join(weir__thread_t *th, int64_t deadline_ms)
{
    if (!th->started)
        return true;
    while (weir__thread_state(th) != WEIR__THREAD_STOPPED &&
           weir__thread_state(th) != WEIR__THREAD_FAILED) {
        if (weir__now_ms() > deadline_ms)
            return false;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    pthread_join(th->tid, NULL);
    th->started = false;
    return true;
}

void weir__thread_destroy(weir__thread_t *th)
{
    if (!th)
        return;
    if (th->started)
        return; /* still running: abandoned, never freed under it */
    if (th->producer)
        rd_kafka_destroy(th->producer);
    if (th->consumer)
        rd_kafka_destroy(th->consumer);
    if (th->assignment)
        rd_kafka_topic_partition_list_destroy(th->assignment);
    weir_error_destroy(th->production_error);
    weir_error_destroy(th->error);
    weir__free(th);
}
