/*
 * thread.c: a stream thread: its clients, its loop, and rebalancing.
 *
 * The loop: poll a batch of records from the consumer and hand each to
 * the thread's task host (host_int.h), which queues it in the task that
 * owns its partition (a watermark marker goes to the task's tracker, an
 * end-of-partition event marks the input caught up); let the host
 * process everything queued, apply the markers and fire wall-clock
 * punctuations; keep the global stores current; commit every
 * commit.interval.ms (or when a processor asks). The host decides what a
 * commit is; the thread does its Kafka side (thread_io.c).
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
#include "clock_int.h"
#include "conf_int.h"
#include "standby_int.h"
#include "standby_plan_int.h"
#include "admin_int.h"
#include "thread_int.h"

#define POLL_BATCH 2000
#define POLL_MS 20
#define NUDGE_MS 50
#define NUDGE_TIMEOUT_MS 1000
#define WARM_TIMEOUT_MS 5000

static void set_state(weir__thread_t *th, weir__thread_state_t state)
{
    int old = atomic_exchange(&th->state, (int)state);
    if (old != (int)state && th->rt->thread_state_changed)
        th->rt->thread_state_changed(th->rt->app, th);
}

/* Tasks that process (not restoring). */
static size_t active_tasks(const weir__thread_t *th)
{
    return th->host ? weir__host_task_count(th->host) -
                          weir__host_restoring_count(th->host)
                    : 0;
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
                         rd_kafka_topic_partition_list_t *parts, void *opaque);

static weir_error_t *consumer_new(weir__thread_t *th)
{
    const weir__rt_t *rt = th->rt;
    rd_kafka_conf_t *rkc;
    weir_error_t *err = weir__kafka_conf_new(rt->conf, "consumer",
                                             &th->kop_consumer, &rkc);
    if (err)
        return err;
    /* The end-of-partition events say when an input is caught up (see
     * weir__rt_input_t.at_end); librdkafka raises one when its fetch
     * position meets the end offset, past transaction markers. */
    const weir__kafka_setting_t settings[] = {
        {"group.id", rt->eng.app_id},
        {"partition.assignment.strategy", "range"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"isolation.level",
         rt->eng.eos ? "read_committed" : "read_uncommitted"},
        {NULL, NULL}};
    err = weir__kafka_conf_set_all(rkc, settings);
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
    weir_error_t *err = weir__kafka_conf_new(rt->conf, "producer",
                                             &th->kop_producer, &rkc);
    if (err)
        return err;
    /* Java's default partitioner, so weir and Java producers agree on
     * where a key goes. */
    err = set_default(th, rkc, "producer", "partitioner", "murmur2_random");
    if (!err && rt->eng.eos) {
        /* Stable across restarts of this instance, so a restart fences
         * its predecessor's open transaction at once instead of waiting
         * for it to time out: from group.instance.id when set (so even
         * a restart on an empty state.dir fences), else from the process
         * id kept in state.dir. */
        const char *instance = weir_conf_get(rt->conf, "group.instance.id");
        char txid[512];
        snprintf(txid, sizeof(txid), "%s-%s-%d", rt->eng.app_id,
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
        weir__log(&th->rt->eng.log, WEIR_LOG_ERR, "THREAD", "%s",
                  weir_error_string(th->error));
    } else {
        weir_error_destroy(err);
    }
    atomic_store(&th->stop, true);
}

/* The assignment as the host takes it. */
static weir__host_tp_t *host_tps(const rd_kafka_topic_partition_list_t *l)
{
    weir__host_tp_t *tps = weir__calloc(l->cnt ? (size_t)l->cnt : 1,
                                        sizeof(*tps));
    for (int i = 0; tps && i < l->cnt; i++)
        tps[i] = (weir__host_tp_t){l->elems[i].topic, l->elems[i].partition,
                                   -1, NULL, 0};
    return tps;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    weir__thread_t *th = opaque;
    if (code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        atomic_fetch_add(&th->rt->eng.metrics.rebalances, 1);
        if (th->assignment)
            rd_kafka_topic_partition_list_destroy(th->assignment);
        th->assignment = rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_assign(rk, parts);
        weir__log(&th->rt->eng.log, WEIR_LOG_INFO, "REBALANCE",
                  "%s: assigned %d partitions", th->name, parts->cnt);
        weir__host_tp_t *tps = host_tps(parts);
        weir_error_t *err = tps ? weir__host_assign(th->host, tps,
                                                    (size_t)parts->cnt)
                                : weir_error_new(WEIR_ERR_NOMEM, "assignment");
        weir__free(tps);
        /* Where standbys should be depends on the new assignment. */
        weir__standbys_replan_soon(th->rt->standbys, 500);
        if (err)
            fail(th, err);
        else if (!weir__host_restoring_count(th->host))
            set_state(th, WEIR__THREAD_RUNNING);
        /* else RUNNING once the updater has restored every task */
        return;
    }
    set_state(th, WEIR__THREAD_REBALANCING);
    weir__log(&th->rt->eng.log, WEIR_LOG_INFO, "REBALANCE",
              "%s: %d partitions revoked: committing and closing tasks",
              th->name, parts->cnt);
    if (active_tasks(th) && !th->error) {
        weir_error_t *err = weir__host_commit(th->host);
        if (err && (weir_error_txn_requires_abort(err) ||
                    weir_error_is_retriable(err))) {
            /* The tasks go anyway; the new owner redoes the work. */
            weir__log(&th->rt->eng.log, WEIR_LOG_WARNING, "REBALANCE",
                      "%s: commit on revocation failed: %s", th->name,
                      weir_error_string(err));
            weir_error_destroy(err);
            weir__host_abort_txn(th->host);
        } else if (err) {
            fail(th, err);
        }
    }
    weir__host_close_tasks(th->host);
    rd_kafka_assign(rk, NULL);
    if (th->assignment)
        rd_kafka_topic_partition_list_destroy(th->assignment);
    th->assignment = NULL;
}

/* Converts librdkafka headers @p rh for the host (which copies them). */
static weir_error_t *headers_of(rd_kafka_headers_t *rh, weir_headers_t **hdrsp)
{
    weir_headers_t *hdrs = weir_headers_new();
    if (!hdrs)
        return weir_error_new(WEIR_ERR_NOMEM, "record headers");
    const char *name;
    const void *value;
    size_t len;
    weir_error_t *err = NULL;
    for (size_t i = 0;
         !err && !rd_kafka_header_get_all(rh, i, &name, &value, &len); i++)
        err = weir_headers_add(hdrs, name, value, len);
    if (err)
        weir_headers_destroy(hdrs);
    else
        *hdrsp = hdrs;
    return err;
}

/* The plan's index of the topic of @p m, remembered by its handle. */
static int topic_index(weir__thread_t *th, const rd_kafka_message_t *m)
{
    for (size_t i = 0; i < th->rkt_cnt; i++)
        if (th->rkts[i].rkt == m->rkt)
            return th->rkts[i].topic;
    int idx = weir__engine_topic_index(&th->rt->eng,
                                       rd_kafka_topic_name(m->rkt));
    weir__rkt_index_t *v = weir__realloc(th->rkts,
                                         (th->rkt_cnt + 1) * sizeof(*v));
    if (v) {
        th->rkts = v;
        th->rkts[th->rkt_cnt++] = (weir__rkt_index_t){m->rkt, idx};
    }
    return idx;
}

/* The host's view of consumed message @p m (handle not set). */
static weir__host_in_t host_in(const rd_kafka_message_t *m, int topic,
                               const weir_headers_t *hdrs, bool marker)
{
    return (weir__host_in_t){.topic = topic,
                             .topic_name = rd_kafka_topic_name(m->rkt),
                             .partition = m->partition,
                             .offset = m->offset,
                             .key = m->key,
                             .key_len = m->key_len,
                             .value = m->payload,
                             .value_len = m->len,
                             .timestamp = rd_kafka_message_timestamp(m, NULL),
                             .headers = hdrs,
                             .marker = marker};
}

/* Hands one consumed message to the host; takes @p m. */
static weir_error_t *route(weir__thread_t *th, rd_kafka_message_t *m)
{
    /* One look at the headers: librdkafka parses them on each call. */
    rd_kafka_headers_t *rh = NULL;
    if (rd_kafka_message_headers(m, &rh))
        rh = NULL;
    const void *v;
    size_t len;
    bool marker = rh &&
                  !rd_kafka_header_get_last(rh, WEIR__WM_HEADER, &v, &len);
    weir_headers_t *hdrs = NULL;
    weir_error_t *err = marker || !rh ? NULL : headers_of(rh, &hdrs);
    if (err) {
        /* The host never had it: the message is still ours. */
        rd_kafka_message_destroy(m);
        return err;
    }
    weir__host_in_t in = host_in(m, topic_index(th, m), hdrs, marker);
    in.handle = m;
    err = weir__host_route(th->host, &in);
    weir_headers_destroy(hdrs);
    return err;
}

/* Activates what the updater restored; RUNNING once nothing restores. */
static weir_error_t *take_restored(weir__thread_t *th)
{
    if (!weir__host_restoring_count(th->host))
        return NULL;
    weir_error_t *err = weir__updater_take_error(th->updater);
    void *done[64];
    size_t n;
    while (!err && (n = weir__updater_take_restored(th->updater, done, 64))) {
        for (size_t i = 0; i < n && !err; i++)
            err = weir__host_task_restored(th->host, done[i]);
    }
    if (!err && !weir__host_restoring_count(th->host) && th->assignment &&
        weir__thread_state(th) == WEIR__THREAD_REBALANCING)
        set_state(th, WEIR__THREAD_RUNNING);
    return err;
}

/* ---- global stores ---- */

/* Reads the global stores' topics: to their end when @p to_end (before
 * processing starts), else what has arrived. */
static weir_error_t *globals_poll(weir__thread_t *th, bool to_end)
{
    if (!th->global_consumer)
        return NULL;
    int eofs = 0, parts = 0;
    rd_kafka_topic_partition_list_t *cur = NULL;
    if (!rd_kafka_assignment(th->global_consumer, &cur) && cur)
        parts = cur->cnt;
    if (cur)
        rd_kafka_topic_partition_list_destroy(cur);
    int64_t timeout = th->rt->eng.wait_timeout_ms < 0
                          ? 3600 * 1000
                          : th->rt->eng.wait_timeout_ms;
    int64_t deadline = weir__mono_ms() + timeout;
    weir_error_t *err = NULL;
    while (!err) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(th->global_consumer,
                                                       to_end ? 200 : 0);
        if (!m) {
            if (!to_end || weir__mono_ms() > deadline)
                break;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (to_end && ++eofs >= parts) {
                rd_kafka_message_destroy(m);
                break;
            }
        } else if (m->err) {
            weir__log(&th->rt->eng.log, WEIR_LOG_WARNING, "GLOBAL",
                      "%s: global topic: %s", th->name,
                      rd_kafka_message_errstr(m));
        } else {
            weir__host_in_t in = host_in(m, -1, NULL, false);
            err = weir__host_global_record(th->host, &in);
        }
        rd_kafka_message_destroy(m);
    }
    if (!err && to_end && eofs < parts)
        err = weir_error_set_retriable(
            weir_error_new(
                WEIR_ERR_TIMEOUT,
                "global store topics: not read to their end in %" PRId64 " ms",
                timeout),
            true);
    return err;
}

/* A consumer of every partition of the global stores' topics, read to
 * their end. */
static weir_error_t *globals_start(weir__thread_t *th)
{
    const char *topics[64];
    size_t n = weir__host_global_topics(th->host, topics, 64);
    if (!n)
        return NULL;
    rd_kafka_conf_t *rkc;
    weir_error_t *err = weir__kafka_conf_new(th->rt->conf, "consumer",
                                             &th->kop_global, &rkc);
    const weir__kafka_setting_t settings[] = {{"enable.partition.eof", "true"},
                                              {"enable.auto.commit", "false"},
                                              {"group.id", th->rt->eng.app_id},
                                              {NULL, NULL}};
    if (!err)
        err = weir__kafka_conf_set_all(rkc, settings);
    if (err) {
        rd_kafka_conf_destroy(rkc);
        return err;
    }
    err = weir__kafka_new(RD_KAFKA_CONSUMER, rkc, &th->global_consumer);
    if (err)
        return err;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(
        4);
    for (size_t t = 0; t < n; t++) {
        const weir__plan_topic_t *topic = weir__engine_topic(&th->rt->eng,
                                                             topics[t]);
        for (int32_t p = 0; topic && p < topic->partitions; p++)
            rd_kafka_topic_partition_list_add(parts, topic->name, p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t code = rd_kafka_assign(th->global_consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (code)
        return weir__error_from_resp(code, "global store consumer");
    return globals_poll(th, true);
}

/* ---- the loop ---- */

/* Deletes what the app consumed and committed from its repartition
 * topics, so they do not grow without bound. */
static void purge_repartition(weir__thread_t *th)
{
    if (th->rt->mock ||
        weir__mono_ms() - th->last_purge_ms < th->rt->purge_interval_ms)
        return;
    th->last_purge_ms = weir__mono_ms();
    weir__host_tp_t tps[256];
    size_t n = weir__host_repartition_offsets(th->host, tps, 256);
    if (!n)
        return;
    rd_kafka_topic_partition_list_t *before =
        rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(before, tps[i].topic,
                                          tps[i].partition)
            ->offset = tps[i].offset;
    weir_error_t *err = weir__admin_delete_records(th->rt->admin, before,
                                                   10000);
    if (err) {
        /* Only space is at stake: try again next time. */
        weir__log(&th->rt->eng.log, WEIR_LOG_WARNING, "PURGE",
                  "%s: purging repartition topics: %s", th->name,
                  weir_error_string(err));
        weir_error_destroy(err);
    }
    rd_kafka_topic_partition_list_destroy(before);
}

/* The assignment with each partition's offset replaced by its lag: the
 * records waiting, from the consumer's position and the high watermark
 * of its last fetch (no request); 0 when unknown. NULL when there is
 * none. */
static rd_kafka_topic_partition_list_t *lags(weir__thread_t *th)
{
    if (!th->assignment || !th->assignment->cnt)
        return NULL;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(
        th->assignment);
    bool known = !rd_kafka_position(th->consumer, l);
    for (int i = 0; i < l->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &l->elems[i];
        int64_t lo = -1, hi = -1;
        bool waiting = known && tp->offset >= 0 &&
                       !rd_kafka_get_watermark_offsets(
                           th->consumer, tp->topic, tp->partition, &lo, &hi) &&
                       hi > tp->offset;
        tp->offset = waiting ? hi - tp->offset : 0;
    }
    return l;
}

static int64_t consumer_lag(weir__thread_t *th)
{
    rd_kafka_topic_partition_list_t *l = lags(th);
    int64_t lag = 0;
    for (int i = 0; l && i < l->cnt; i++)
        lag += l->elems[i].offset;
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    return lag;
}

/*
 * librdkafka before 2.1 stops fetching every partition of a consumer once
 * its queue holds queued.min.messages (they share one queue), and looks
 * again only when its broker thread wakes: on network activity, or after
 * a second. A thread that drains the queue faster than that starves for
 * the rest of the second with records waiting on the broker (measured: a
 * backlog read at about queued.min.messages records per second). A
 * request on that broker's connection wakes its thread: when a poll found
 * nothing although the last fetches saw records waiting, ask the broker
 * for the watermarks of one partition with the most waiting, at most
 * every NUDGE_MS, rotating so that every leader is reached.
 */
static void nudge_fetcher(weir__thread_t *th)
{
    int64_t now = weir__mono_ms();
    if (now - th->last_nudge_ms < NUDGE_MS)
        return;
    th->last_nudge_ms = now;
    rd_kafka_topic_partition_list_t *l = lags(th);
    for (int k = 0; l && k < l->cnt; k++) {
        int i = (th->nudge_next + k) % l->cnt;
        const rd_kafka_topic_partition_t *tp = &l->elems[i];
        if (!tp->offset)
            continue;
        th->nudge_next = i + 1;
        /* The answer is not needed: the request is the point. */
        int64_t lo, hi;
        rd_kafka_query_watermark_offsets(th->consumer, tp->topic,
                                         tp->partition, &lo, &hi,
                                         NUDGE_TIMEOUT_MS);
        break;
    }
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
}

/*
 * The interval until the next commit. Caught up, it is commit.interval.ms,
 * which bounds how late a result becomes readable. Behind — every poll
 * since the last commit found records waiting, and more wait than the
 * thread takes in one commit.interval.ms at the rate it took them since
 * the last commit (so a stretched interval does not by itself end the
 * stretching) — the wait for each commit (flush, offsets,
 * the transaction's end) is overhead that delays the whole backlog:
 * commits are then spaced to about ten times their own duration, so they
 * take about a tenth of the thread's time, up to commit.interval.max.ms.
 */
static int64_t next_commit_interval(weir__thread_t *th, int64_t took_ms,
                                    int64_t since_ms)
{
    const weir__rt_t *rt = th->rt;
    int64_t every = rt->commit_interval_ms;
    if (rt->commit_interval_max_ms > every && !th->drained &&
        consumer_lag(th) * (since_ms > 0 ? since_ms : 1) >
            (int64_t)th->polled * every) {
        int64_t stretched = 9 * took_ms;
        every = stretched < every ? every
                : stretched > rt->commit_interval_max_ms
                    ? rt->commit_interval_max_ms
                    : stretched;
    }
    return every;
}

static weir_error_t *commit(weir__thread_t *th)
{
    int64_t start = weir__mono_ms();
    int64_t since = start - th->last_commit_ms;
    weir_error_t *err = weir__host_commit(th->host);
    th->last_commit_ms = weir__mono_ms();
    if (err)
        return err;
    int64_t took = th->last_commit_ms - start;
    th->commit_every_ms = next_commit_interval(th, took, since);
    th->drained = false;
    th->polled = 0;
    weir__dbg(&th->rt->eng.log, EOS, "COMMIT",
              "%s: committed in %" PRId64 " ms; next in %" PRId64 " ms",
              th->name, took, th->commit_every_ms);
    purge_repartition(th);
    return NULL;
}

/*
 * Final window results wait for the commit that makes them readable under
 * exactly_once_v2. When the thread is caught up (this turn's poll found
 * nothing more), it commits them once a quarter of commit.interval.ms has
 * passed instead of the whole interval: at a tumbling window's boundary
 * that is one commit more, and the results are readable up to three
 * quarters of an interval sooner. Behind, the thread keeps its commit
 * cadence; under at_least_once output is readable at once anyway.
 */
static bool results_due(weir__thread_t *th, bool caught_up)
{
    return caught_up && th->rt->eng.eos &&
           weir__mono_ms() - th->last_commit_ms >=
               th->rt->commit_interval_ms / 4 &&
           weir__host_results_emitted(th->host);
}

/* One turn of the loop. */
static weir_error_t *run_once(weir__thread_t *th)
{
    weir_error_t *err = take_restored(th);
    bool caught_up = false;
    for (int n = 0; n < POLL_BATCH && !err && !atomic_load(&th->stop); n++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(th->consumer, 0);
        if (!m && !n) {
            /* Nothing queued: wake a stalled fetcher, then wait a bit. */
            nudge_fetcher(th);
            m = rd_kafka_consumer_poll(th->consumer, POLL_MS);
        }
        if (!m) {
            th->drained = true;
            caught_up = true;
            break;
        }
        th->polled++;
        if (!m->err) {
            err = route(th, m); /* takes m */
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            char reason[512];
            rd_kafka_resp_err_t code = rd_kafka_fatal_error(
                th->consumer, reason, sizeof(reason));
            err = weir_error_set_fatal(
                weir__error_from_resp(code, "consumer: %s", reason), true);
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            /* Everything before it was polled and routed. */
            if (m->rkt)
                weir__host_input_end(th->host, topic_index(th, m), NULL,
                                     m->partition);
        } else {
            weir__log(&th->rt->eng.log, WEIR_LOG_WARNING, "CONSUMER", "%s: %s",
                      th->name, rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    if (!err)
        err = weir__host_run(th->host, weir__wall_ms());
    if (!err)
        err = globals_poll(th, false);
    if (!err && active_tasks(th) &&
        (weir__host_commit_requested(th->host) ||
         weir__mono_ms() - th->last_commit_ms >= th->commit_every_ms ||
         results_due(th, caught_up)))
        err = commit(th);
    if (!err && th->idx == 0)
        weir__standbys_maybe_replan(th->rt->standbys);
    return err;
}

static rd_kafka_error_t *do_init_transactions(weir__thread_t *th, void *arg)
{
    (void)arg;
    return rd_kafka_init_transactions(th->producer, 30000);
}

/* Handle for @p name on the producer, kept in th->warm (NULL on OOM). */
static void warm_topic(weir__thread_t *th, const char *name)
{
    rd_kafka_topic_t **v = weir__realloc(th->warm,
                                         (th->warm_cnt + 1) * sizeof(*v));
    if (!v)
        return;
    th->warm = v;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(th->producer, name, NULL);
    if (rkt)
        th->warm[th->warm_cnt++] = rkt;
}

/*
 * Asks the broker once, before the first transaction, for the partitions
 * and leaders of every topic the producer may write. Left to itself,
 * librdkafka learns a topic it has not produced to before at its next
 * periodic metadata refresh, up to a second later, and the first
 * commit's flush waited for that (measured: 840 ms, a sixth of a 1.2 M
 * record backlog). Best effort: an error here only means the wait comes
 * back.
 */
static void warm_producer(weir__thread_t *th)
{
    const weir__engine_t *eng = &th->rt->eng;
    for (size_t i = 0; i < eng->topic_cnt; i++)
        warm_topic(th, eng->topics[i].name);
    const weir_topology_t *topo = eng->topo;
    for (size_t i = 0; i < topo->store_cnt; i++) {
        const weir__store_spec_t *st = topo->stores[i];
        if (!weir__engine_store_has_changelog(eng, st))
            continue;
        char *name = weir__engine_changelog_topic(eng, st->name);
        if (name)
            warm_topic(th, name);
        weir__free(name);
    }
    if (eng->dlq_topic)
        warm_topic(th, eng->dlq_topic);
    const struct rd_kafka_metadata *md = NULL;
    /* all_topics 0: the topics this handle knows, i.e. those above. */
    if (!rd_kafka_metadata(th->producer, 0, NULL, &md, WARM_TIMEOUT_MS))
        rd_kafka_metadata_destroy(md);
}

static weir_error_t *subscribe(weir__thread_t *th)
{
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)th->rt->eng.topic_cnt);
    for (size_t i = 0; i < th->rt->eng.topic_cnt; i++)
        if (th->rt->eng.topics[i].reader_sub >= 0)
            rd_kafka_topic_partition_list_add(
                topics, th->rt->eng.topics[i].name, RD_KAFKA_PARTITION_UA);
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
    if (!err && th->rt->eng.eos)
        err = weir__thread_txn_call(th, "initializing transactions",
                                    do_init_transactions, NULL);
    if (!err && !th->rt->mock)
        warm_producer(th);
    weir__host_io_t io;
    weir__thread_io_init(th, &io);
    if (!err)
        th->host = weir__host_new(&th->rt->eng, &io, th->name, weir__wall_ms(),
                                  &err);
    if (!err)
        err = globals_start(th);
    if (!err)
        err = subscribe(th);
    if (!err && weir__thread_state(th) == WEIR__THREAD_STARTING)
        set_state(th, WEIR__THREAD_REBALANCING);
    th->last_commit_ms = weir__mono_ms();
    th->commit_every_ms = th->rt->commit_interval_ms;
    while (!err && !atomic_load(&th->stop)) {
        err = run_once(th);
        if (err && (weir_error_txn_requires_abort(err) ||
                    (weir_error_is_retriable(err) && th->rt->eng.eos)))
            err = weir__host_abort_and_rewind(th->host, err);
    }
    if (err)
        fail(th, err);
    if (!th->error && active_tasks(th)) {
        /* A clean stop: commit what was processed. */
        err = weir__host_commit(th->host);
        if (err)
            fail(th, err);
    }
    if (th->error && th->producer && th->rt->eng.eos)
        weir_error_destroy(weir__error_from_rdkafka(
            rd_kafka_abort_transaction(th->producer, 10000), "aborting"));
    if (th->consumer) {
        /* Leaves the group (unless group.instance.id is set); the revoke
         * callback closes the tasks. */
        rd_kafka_consumer_close(th->consumer);
    }
    weir__host_destroy(th->host);
    th->host = NULL;
    weir__standbys_set_updater(th->rt->standbys, th->idx, NULL);
    weir__updater_destroy(th->updater);
    th->updater = NULL;
    if (th->global_consumer) {
        rd_kafka_consumer_close(th->global_consumer);
        rd_kafka_destroy(th->global_consumer);
        th->global_consumer = NULL;
    }
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
    th->kop_consumer = (weir__kafka_opaque_t){&rt->eng.log, th->name};
    th->kop_producer = (weir__kafka_opaque_t){&rt->eng.log, th->name};
    th->kop_global = (weir__kafka_opaque_t){&rt->eng.log, th->name};
    atomic_init(&th->state, WEIR__THREAD_STARTING);
    atomic_init(&th->stop, false);
    if (pthread_create(&th->tid, NULL, thread_main, th)) {
        weir__free(th);
        return weir_error_new(WEIR_ERR_IO, "could not start a stream thread");
    }
    th->started = true;
    /* Named for top -H, perf and gdb (at most 15 characters). */
    char tname[16];
    snprintf(tname, sizeof(tname), "weir-stream-%d", idx);
    pthread_setname_np(th->tid, tname);
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
        if (weir__mono_ms() > deadline_ms)
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
    for (size_t i = 0; i < th->warm_cnt; i++)
        rd_kafka_topic_destroy(th->warm[i]);
    weir__free(th->warm);
    if (th->producer)
        rd_kafka_destroy(th->producer);
    if (th->consumer)
        rd_kafka_destroy(th->consumer);
    if (th->assignment)
        rd_kafka_topic_partition_list_destroy(th->assignment);
    if (th->committed)
        rd_kafka_topic_partition_list_destroy(th->committed);
    weir__free(th->rkts);
    weir_error_destroy(th->production_error);
    weir_error_destroy(th->error);
    weir__free(th);
}
