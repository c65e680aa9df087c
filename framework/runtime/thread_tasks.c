/*
 * thread_tasks.c: a stream thread's tasks, their stores, and its global
 * stores.
 *
 * An assignment becomes tasks: partition p of every input topic of
 * sub-topology s is task "s_p". Making a task reads its committed offsets
 * and event time, and opens its stores (task_stores_int.h). A task whose
 * stores have changelogs is then restored off the processing path: its
 * input partitions are paused and its stores go to the thread's state
 * updater, which replays each changelog from the position the store
 * itself committed (so a restart replays only the tail, and a fresh
 * instance everything), read_committed so aborted writes never come
 * back. The thread takes the task back when the updater is done and
 * activates it: changelog sinks, the stores' transactions under
 * exactly_once_v2, the processors' init(), the committed stream time,
 * and its partitions resumed (from the first record it had to drop while
 * restoring, if any). Meanwhile the other tasks process.
 *
 * Global stores are per thread (each thread keeps its own copy, filled
 * before processing starts and kept current from its topic), so they
 * need no locking; global data is small by nature (a product catalogue,
 * reference tables).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "commit_meta_int.h"
#include "standby_int.h"
#include "conf_int.h"
#include "thread_int.h"

/* ---- store provider ---- */

/* Hands weir__task_new() the stores opened (and restored) for the task
 * being activated, and the thread's copies of the global stores. */
static weir_error_t *open_store(weir__thread_t *th, const char *task_id,
                                const weir__store_spec_t *spec, bool window,
                                void **storep)
{
    weir_error_t *err = NULL;
    if (spec->global) {
        /* Every task of the thread shares the thread's copy. */
        if (window)
            return weir_error_new(WEIR_ERR_UNSUPPORTED,
                                  "global store %s: global window stores "
                                  "are not supported",
                                  spec->name);
        if (!th->global_stores[spec->idx]) {
            th->global_stores[spec->idx] =
                weir_kv_store_new_memory(spec->name, &err);
            if (err)
                return err;
        }
        *storep = th->global_stores[spec->idx];
        return NULL;
    }
    weir__rt_task_t *t = th->creating;
    weir__rt_store_t *st = t ? weir__task_stores_find(&t->stores, spec) : NULL;
    if (!st)
        return weir_error_new(WEIR_ERR_STATE,
                              "task %s: store %s was not opened", task_id,
                              spec->name);
    *storep = st->kv ? (void *)st->kv : (void *)st->ws;
    return NULL;
}

static weir_error_t *provider_open_kv(void *opaque, const char *task_id,
                                      const weir__store_spec_t *spec,
                                      weir_kv_store_t **kvp)
{
    return open_store(opaque, task_id, spec, false, (void **)kvp);
}

static weir_error_t *provider_open_window(void *opaque, const char *task_id,
                                          const weir__store_spec_t *spec,
                                          weir_window_store_t **wsp)
{
    return open_store(opaque, task_id, spec, true, (void **)wsp);
}

static void provider_release(void *opaque, const char *task_id,
                             const weir__store_spec_t *spec, void *store)
{
    /* The runtime closes task stores itself, after the task (whose
     * close() callbacks may still use them); globals live with the
     * thread. */
    (void)opaque;
    (void)task_id;
    (void)spec;
    (void)store;
}

void weir__thread_provider_init(weir__thread_t *th)
{
    th->provider.opaque = th;
    th->provider.open_kv = provider_open_kv;
    th->provider.open_window = provider_open_window;
    th->provider.release = provider_release;
}

weir_error_t *weir__thread_stores_begin(weir__thread_t *th)
{
    for (size_t i = 0; i < th->task_cnt; i++) {
        weir__rt_task_t *t = th->tasks[i];
        if (!t->task)
            continue; /* restoring: the updater has its stores */
        for (size_t s = 0; s < t->stores.cnt; s++) {
            weir__rt_store_t *st = t->stores.v[s];
            weir_error_t *err = st->kv ? weir_kv_store_begin(st->kv)
                                       : weir_window_store_begin(st->ws);
            if (err)
                return weir_error_prefix(err, "task %s: ", t->id);
        }
    }
    return NULL;
}

/* ---- tasks ---- */

static void input_drop_fifo(weir__rt_input_t *in)
{
    for (size_t i = 0; i < in->fifo_cnt; i++)
        rd_kafka_message_destroy(
            in->fifo[(in->fifo_head + i) % in->fifo_cap]);
    weir__free(in->fifo);
    in->fifo = NULL;
    in->fifo_head = in->fifo_cnt = in->fifo_cap = 0;
}

static void rt_task_destroy(weir__thread_t *th, weir__rt_task_t *t)
{
    if (!t)
        return;
    if (t->restoring) {
        /* Its stores come back from the updater first. */
        weir__updater_cancel(th->updater, t);
        t->restoring = false;
        th->restoring_cnt--;
    }
    if (t->task) {
        /* Counters of the task join the app's totals before it goes. */
        uint64_t late = weir__task_dropped(t->task, "late");
        uint64_t all = weir__task_dropped(t->task, NULL);
        atomic_fetch_add(&th->rt->metrics.late_records, late - t->late_seen);
        atomic_fetch_add(&th->rt->metrics.dropped_records,
                         all - t->dropped_seen);
        weir__task_destroy(t->task);
    }
    weir__task_stores_close(&t->stores);
    weir__standbys_task_active(th->rt->standbys, t->id, false);
    for (size_t i = 0; i < t->input_cnt; i++)
        input_drop_fifo(&t->inputs[i]);
    weir__free(t->inputs);
    weir__wm_tracker_destroy(t->wm);
    weir__free(t->pending);
    weir__free(t);
}

void weir__thread_tasks_destroy(weir__thread_t *th)
{
    /* Delivery reports of what the tasks wrote must not outlive their
     * stores. */
    if (th->producer)
        rd_kafka_flush(th->producer, 30000);
    for (size_t i = 0; i < th->task_cnt; i++)
        rt_task_destroy(th, th->tasks[i]);
    weir__free(th->tasks);
    th->tasks = NULL;
    th->task_cnt = 0;
}

/* Reads the group's committed offsets of @p t's inputs and the event
 * time that the task's last owner committed with them (see
 * commit_meta_int.h): *stream_timep gets the task's stream time,
 * INT64_MIN when none was committed. */
static weir_error_t *load_committed(weir__thread_t *th, weir__rt_task_t *t,
                                    int64_t *stream_timep)
{
    *stream_timep = INT64_MIN;
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new((int)t->input_cnt);
    for (size_t i = 0; i < t->input_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, t->inputs[i].topic,
                                          t->inputs[i].partition);
    /* Under read_committed this waits for a transaction that a previous
     * owner left open, until the broker aborts it. */
    int64_t deadline = weir__rt_broker_deadline(th->rt);
    rd_kafka_resp_err_t code;
    while ((code = rd_kafka_committed(th->consumer, parts, 10000)) &&
           weir__kafka_resp_is_retriable(code) && weir__now_ms() < deadline)
        weir__log(&th->rt->log, WEIR_LOG_WARNING, "TASK",
                  "%s: task %s: reading committed offsets: %s; retrying",
                  th->name, t->id, rd_kafka_err2str(code));
    weir_error_t *err = NULL;
    if (code)
        err = weir__error_from_resp(code, "task %s: reading committed "
                                          "offsets",
                                    t->id);
    for (int i = 0; !err && i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        weir__rt_input_t *in = &t->inputs[i];
        if (tp->err) {
            err = weir__error_from_resp(tp->err,
                                        "task %s: committed offset of %s "
                                        "[%" PRId32 "]",
                                        t->id, tp->topic, tp->partition);
            break;
        }
        in->committed_offset = tp->offset >= 0 ? tp->offset : -1;
        weir__commit_meta_t meta;
        bool found = false;
        err = weir__commit_meta_decode(tp->metadata, tp->metadata_size,
                                       &meta, &found);
        if (err) {
            err = weir_error_prefix(err, "task %s: %s [%" PRId32 "]: ", t->id,
                                    tp->topic, tp->partition);
            break;
        }
        if (!found)
            continue;
        if (meta.stream_time > *stream_timep)
            *stream_timep = meta.stream_time;
        if (meta.last_record_ms != INT64_MIN)
            in->last_record_ms = meta.last_record_ms;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return err;
}

/* The input partitions of @p t, for pausing and resuming them. */
static rd_kafka_topic_partition_list_t *task_partitions(
    const weir__rt_task_t *t)
{
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new((int)t->input_cnt);
    for (size_t i = 0; i < t->input_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, t->inputs[i].topic,
                                          t->inputs[i].partition);
    return parts;
}

/* Makes @p t process: its stores' changelog sinks and transactions, the
 * task and its processors, its committed stream time, and its input
 * partitions resumed. */
static weir_error_t *task_activate(weir__thread_t *th, weir__rt_task_t *t)
{
    weir__rt_t *rt = th->rt;
    weir_error_t *err = NULL;
    for (size_t i = 0; !err && i < t->stores.cnt; i++) {
        weir__rt_store_t *st = t->stores.v[i];
        st->task = t;
        st->thread = th;
        if (st->changelog && st->kv)
            weir_kv_store_set_changelog(st->kv, &weir__thread_changelog_sink,
                                        st);
        else if (st->changelog)
            weir_window_store_set_changelog(st->ws,
                                            &weir__thread_changelog_sink, st);
        if (rt->eos)
            err = st->kv ? weir_kv_store_begin(st->kv)
                         : weir_window_store_begin(st->ws);
    }
    if (!err) {
        weir__task_conf_t conf = th->task_conf;
        conf.external_stream_time = rt->subs[t->sub].reads_repartition;
        conf.wall_clock_ms = weir__wall_now_ms();
        th->creating = t;
        t->task = weir__task_new(rt->topo, t->sub, t->partition, &conf, &err);
        th->creating = NULL;
    }
    /* The event time the task had reached: records that were late before
     * the move are late again, and windows it had closed stay closed. */
    if (!err && t->restored_time != INT64_MIN)
        err = weir__task_advance_stream_time(t->task, t->restored_time);
    if (!err)
        t->committed_stream_time = weir__task_stream_time(t->task);
    if (err)
        return err;

    /* Records fetched while it restored were dropped: read them again. */
    rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(
        (int)t->input_cnt);
    for (size_t i = 0; i < t->input_cnt; i++) {
        weir__rt_input_t *in = &t->inputs[i];
        if (in->refetch_from >= 0)
            rd_kafka_topic_partition_list_add(seek, in->topic, in->partition)
                ->offset = in->refetch_from;
        in->refetch_from = -1;
    }
    if (seek->cnt) {
        rd_kafka_error_t *error =
            rd_kafka_seek_partitions(th->consumer, seek, 10000);
        for (int i = 0; !error && !err && i < seek->cnt; i++)
            if (seek->elems[i].err)
                err = weir__error_from_resp(
                    seek->elems[i].err, "task %s: seeking %s [%" PRId32 "]",
                    t->id, seek->elems[i].topic, seek->elems[i].partition);
        if (error)
            err = weir__error_from_rdkafka(error, "seeking");
    }
    rd_kafka_topic_partition_list_destroy(seek);
    rd_kafka_topic_partition_list_t *parts = task_partitions(t);
    rd_kafka_resp_err_t code = rd_kafka_resume_partitions(th->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (!err && code)
        err = weir__error_from_resp(code, "task %s: resuming", t->id);
    if (!err)
        weir__log(&rt->log, WEIR_LOG_INFO, "TASK", "%s: task %s ready",
                  th->name, t->id);
    return err;
}

static weir_error_t *task_create(weir__thread_t *th, int sub,
                                 int32_t partition)
{
    weir__rt_t *rt = th->rt;
    const weir__rt_sub_t *rs = &rt->subs[sub];
    weir__rt_task_t *t = weir__calloc(1, sizeof(*t));
    if (!t)
        return weir_error_new(WEIR_ERR_NOMEM, "task %d_%d", sub,
                              (int)partition);
    t->sub = sub;
    t->partition = partition;
    t->last_marker_time = INT64_MIN;
    snprintf(t->id, sizeof(t->id), "%d_%d", sub, (int)partition);
    weir_error_t *err = NULL;
    t->inputs = weir__calloc(rs->input_cnt, sizeof(*t->inputs));
    if (!t->inputs)
        err = weir_error_new(WEIR_ERR_NOMEM, "task %s", t->id);
    int64_t wall = weir__wall_now_ms();
    for (size_t i = 0; !err && i < rs->input_cnt; i++) {
        const weir__rt_topic_t *topic = &rt->topics[rs->inputs[i]];
        weir__rt_input_t *in = &t->inputs[t->input_cnt++];
        in->topic = topic->name;
        in->partition = partition;
        in->next_offset = -1;
        in->committed_offset = -1;
        in->refetch_from = -1;
        in->last_record_ms = wall; /* unless the commit says otherwise */
        in->repartition = topic->repartition;
        if (topic->repartition) {
            if (!t->wm)
                t->wm = weir__wm_tracker_new();
            if (!t->wm)
                err = weir_error_new(WEIR_ERR_NOMEM, "task %s", t->id);
            else
                err = weir__wm_tracker_add_upstream(
                    t->wm, topic->writer_sub,
                    rt->subs[topic->writer_sub].task_cnt);
        }
    }
    if (!err)
        err = load_committed(th, t, &t->restored_time);
    /* A standby of it here: take its stores as they are (only the tail
     * since its last update is then restored); else open them. */
    bool from_standby = !err && weir__standbys_take(rt->standbys, t->id,
                                                     &t->stores);
    if (from_standby)
        weir__log(&rt->log, WEIR_LOG_INFO, "TASK",
                  "%s: task %s takes over its standby", th->name, t->id);
    if (!err)
        weir__standbys_task_active(rt->standbys, t->id, true);
    if (!err && !from_standby)
        err = weir__task_stores_open(rt, sub, partition, true, &t->stores);
    weir__rt_task_t **tasks = NULL;
    if (!err) {
        tasks = weir__realloc(th->tasks, (th->task_cnt + 1) * sizeof(*tasks));
        if (!tasks)
            err = weir_error_new(WEIR_ERR_NOMEM, "task %s", t->id);
    }
    if (err) {
        rt_task_destroy(th, t);
        return err;
    }
    th->tasks = tasks;
    th->tasks[th->task_cnt++] = t;
    if (!weir__sub_has_changelogs(rt, sub))
        return task_activate(th, t);
    /* Restored off the processing path; its partitions wait. */
    rd_kafka_topic_partition_list_t *parts = task_partitions(t);
    rd_kafka_resp_err_t code = rd_kafka_pause_partitions(th->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (code)
        return weir__error_from_resp(code, "task %s: pausing", t->id);
    err = weir__updater_restore(th->updater, t, &t->stores);
    if (err)
        return err;
    t->restoring = true;
    th->restoring_cnt++;
    weir__dbg(&rt->log, TASK, "TASK", "%s: task %s restoring", th->name,
              t->id);
    return NULL;
}

weir_error_t *weir__thread_tasks_create(
    weir__thread_t *th, const rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        const weir__rt_topic_t *topic =
            weir__rt_topic(th->rt, parts->elems[i].topic);
        if (!topic || topic->reader_sub < 0)
            continue;
        int32_t p = parts->elems[i].partition;
        bool exists = false;
        for (size_t k = 0; k < th->task_cnt && !exists; k++)
            exists = th->tasks[k]->sub == topic->reader_sub &&
                     th->tasks[k]->partition == p;
        if (exists)
            continue;
        weir_error_t *err = task_create(th, topic->reader_sub, p);
        if (err)
            return err;
    }
    return NULL;
}

weir_error_t *weir__thread_tasks_activate_restored(weir__thread_t *th)
{
    weir_error_t *err = weir__updater_take_error(th->updater);
    void *done[64];
    size_t n;
    while (!err && (n = weir__updater_take_restored(th->updater, done, 64))) {
        for (size_t i = 0; i < n && !err; i++) {
            weir__rt_task_t *t = done[i];
            t->restoring = false;
            th->restoring_cnt--;
            err = task_activate(th, t);
        }
    }
    return err;
}

weir__rt_task_t *weir__thread_task_for(weir__thread_t *th, const char *topic,
                                       int32_t partition,
                                       weir__rt_input_t **inputp)
{
    for (size_t i = 0; i < th->task_cnt; i++) {
        weir__rt_task_t *t = th->tasks[i];
        if (t->partition != partition)
            continue;
        for (size_t k = 0; k < t->input_cnt; k++) {
            if (!strcmp(t->inputs[k].topic, topic)) {
                *inputp = &t->inputs[k];
                return t;
            }
        }
    }
    return NULL;
}

/* ---- global stores ---- */

static weir_error_t *global_feed(weir__thread_t *th, weir__rt_global_t *g,
                                 const weir__input_record_t *in)
{
    weir_error_t *err = weir__task_add_record(g->task, in);
    bool processed = true;
    while (!err && processed)
        err = weir__task_process(g->task, &processed);
    if (err) {
        /* A bad global record is skipped and counted, never fatal: the
         * rest of the table is still good. */
        weir__log(&th->rt->log, WEIR_LOG_WARNING, "GLOBAL",
                  "%s: skipping %s line/offset %" PRId64 ": %s", th->name,
                  in->topic, in->offset, weir_error_string(err));
        weir_error_destroy(err);
        atomic_fetch_add(&th->rt->metrics.dropped_records, 1);
    }
    return NULL;
}

static weir_error_t *global_load_file(weir__thread_t *th,
                                      weir__rt_global_t *g, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return weir_error_new(WEIR_ERR_IO, "global store file %s: %s", path,
                              strerror(errno));
    char topic[4200];
    snprintf(topic, sizeof(topic), "file:%s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t lineno = 0;
    weir_error_t *err = NULL;
    while (!err && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len)
            continue;
        weir__input_record_t in = {topic, 0, lineno, NULL, 0, line,
                                   (size_t)len, 0, NULL};
        err = global_feed(th, g, &in);
    }
    free(line);
    fclose(f);
    return err;
}

/* Reads @p g's topic to its current end. */
static weir_error_t *global_poll(weir__thread_t *th, weir__rt_global_t *g,
                                 int timeout_ms, bool to_end)
{
    int eofs = 0, parts = 0;
    rd_kafka_topic_partition_list_t *cur = NULL;
    if (!rd_kafka_assignment(g->consumer, &cur) && cur)
        parts = cur->cnt;
    int64_t deadline = weir__now_ms() + timeout_ms;
    weir_error_t *err = NULL;
    while (!err) {
        rd_kafka_message_t *m =
            rd_kafka_consumer_poll(g->consumer, to_end ? 200 : 0);
        if (!m) {
            if (!to_end || weir__now_ms() > deadline)
                break;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (to_end && ++eofs >= parts) {
                rd_kafka_message_destroy(m);
                break;
            }
        } else if (m->err) {
            weir__log(&th->rt->log, WEIR_LOG_WARNING, "GLOBAL",
                      "%s: global topic: %s", th->name,
                      rd_kafka_message_errstr(m));
        } else {
            weir__input_record_t in = {
                rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                m->key, m->key_len, m->payload, m->len,
                rd_kafka_message_timestamp(m, NULL), NULL};
            err = global_feed(th, g, &in);
        }
        rd_kafka_message_destroy(m);
    }
    if (cur)
        rd_kafka_topic_partition_list_destroy(cur);
    if (!err && to_end && eofs < parts)
        err = weir_error_set_retriable(
            weir_error_new(WEIR_ERR_TIMEOUT,
                           "global store topic: not read to its end in %d ms",
                           timeout_ms),
            true);
    return err;
}

static weir_error_t *global_consumer(weir__thread_t *th, weir__rt_global_t *g,
                                     const weir__node_t *src)
{
    rd_kafka_conf_t *rkc;
    weir_error_t *err =
        weir__kafka_conf_new(th->rt->conf, "consumer", &th->kop_global, &rkc);
    const char *const pairs[] = {"enable.partition.eof", "true",
                                 "enable.auto.commit", "false", "group.id",
                                 th->rt->app_id, NULL};
    if (!err)
        err = weir__kafka_conf_set_pairs(rkc, pairs);
    if (err) {
        rd_kafka_conf_destroy(rkc);
        return err;
    }
    err = weir__kafka_new(RD_KAFKA_CONSUMER, rkc, &g->consumer);
    if (err)
        return err;
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(4);
    for (size_t t = 0; t < src->topic_cnt; t++) {
        const weir__rt_topic_t *topic = weir__rt_topic(th->rt, src->topics[t]);
        for (int32_t p = 0; topic && p < topic->partitions; p++)
            rd_kafka_topic_partition_list_add(parts, topic->name, p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t code = rd_kafka_assign(g->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (code)
        return weir__error_from_resp(code, "global store consumer");
    int64_t timeout = th->rt->broker_down_timeout_ms < 0
                          ? 3600 * 1000
                          : th->rt->broker_down_timeout_ms;
    return global_poll(th, g, (int)timeout, true);
}

weir_error_t *weir__thread_globals_start(weir__thread_t *th)
{
    const weir_topology_t *topo = th->rt->topo;
    size_t n = topo->sub_cnt - topo->task_sub_cnt;
    if (!n)
        return NULL;
    th->globals = weir__calloc(n, sizeof(*th->globals));
    if (!th->globals)
        return weir_error_new(WEIR_ERR_NOMEM, "global stores");
    for (size_t i = 0; i < n; i++) {
        weir__rt_global_t *g = &th->globals[th->global_cnt++];
        g->sub = (int)(topo->task_sub_cnt + i);
        weir__task_conf_t conf = th->task_conf;
        conf.wall_clock_ms = weir__wall_now_ms();
        weir_error_t *err = NULL;
        g->task = weir__task_new(topo, g->sub, 0, &conf, &err);
        if (err)
            return err;
        const weir__subtopology_t *sub = &topo->subs[g->sub];
        for (size_t s = 0; s < sub->sources.cnt && !err; s++) {
            const weir__node_t *src = topo->nodes[sub->sources.v[s]];
            if (src->file)
                err = global_load_file(th, g, src->file);
            if (!err && src->topic_cnt && !g->consumer)
                err = global_consumer(th, g, src);
        }
        if (err)
            return err;
    }
    return NULL;
}

weir_error_t *weir__thread_globals_poll(weir__thread_t *th)
{
    for (size_t i = 0; i < th->global_cnt; i++) {
        weir__rt_global_t *g = &th->globals[i];
        if (!g->consumer)
            continue;
        weir_error_t *err = global_poll(th, g, 0, false);
        if (err)
            return err;
    }
    return NULL;
}

void weir__thread_globals_destroy(weir__thread_t *th)
{
    for (size_t i = 0; i < th->global_cnt; i++) {
        weir__task_destroy(th->globals[i].task);
        if (th->globals[i].consumer) {
            rd_kafka_consumer_close(th->globals[i].consumer);
            rd_kafka_destroy(th->globals[i].consumer);
        }
    }
    weir__free(th->globals);
    th->globals = NULL;
    th->global_cnt = 0;
    if (th->global_stores) {
        for (size_t i = 0; i < th->rt->topo->store_cnt; i++)
            weir_kv_store_destroy(th->global_stores[i]);
        weir__free(th->global_stores);
        th->global_stores = NULL;
    }
}
