/*
 * host.c: a task host's lifecycle, and its tasks from an assignment (see
 * host_int.h).
 *
 * An assignment becomes tasks: partition p of every input topic of
 * sub-topology s is task "s_p". Making a task reads its committed offsets
 * and the event time its last owner committed with them
 * (commit_meta_int.h), then gets its stores: those of this member's
 * standby of the task when there is one (only the changelog tail since
 * the standby's last update is then replayed), else opened in the task's
 * directory. A task with changelogged stores is restored by the owner
 * (io->restore) while its input partitions are paused; the others are
 * activated at once. Activating a task attaches the changelog sinks,
 * begins the stores' transactions under exactly_once_v2, runs every
 * processor's init(), restores the committed stream time (records late
 * before the move stay late, closed windows stay closed), and resumes its
 * partitions, from the first record given back while it restored, if
 * any.
 *
 * Routing is by index: each (topic, partition) an assignment names maps
 * to its task's input through a table indexed by the plan's topic index
 * and the partition, so a record costs no string comparison.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "commit_meta_int.h"
#include "host_priv.h"

/* ---- the store provider ---- */

/* Hands weir__task_new() the stores of the task being activated, and
 * this host's copies of the global stores. */
static weir_error_t *open_store(weir__host_t *h, const char *task_id,
                                const weir__store_spec_t *spec, bool window,
                                weir_store_t **storep)
{
    weir_error_t *err = NULL;
    if (spec->global) {
        /* Every task of the host shares the host's copy. */
        if (window)
            return weir_error_new(WEIR_ERR_UNSUPPORTED,
                                  "global store %s: global window stores "
                                  "are not supported",
                                  spec->name);
        if (!h->global_stores[spec->idx]) {
            h->global_stores[spec->idx] = weir_kv_store_memory_new(spec->name,
                                                                   &err);
            if (err)
                return err;
        }
        *storep = weir_kv_store_as_store(h->global_stores[spec->idx]);
        return NULL;
    }
    weir__host_task_t *t = h->creating;
    weir__rt_store_t *st = t ? weir__task_stores_find(&t->stores, spec) : NULL;
    if (!st)
        return weir_error_new(WEIR_ERR_STATE,
                              "task %s: store %s was not opened", task_id,
                              spec->name);
    *storep = st->store;
    return NULL;
}

static weir_error_t *wrong_kind(const char *task_id,
                                const weir__store_spec_t *spec,
                                const char *kind)
{
    return weir_error_new(WEIR_ERR_STATE, "task %s: store %s is not a %s",
                          task_id, spec->name, kind);
}

static weir_error_t *provider_open_kv(void *opaque, const char *task_id,
                                      const weir__store_spec_t *spec,
                                      weir_kv_store_t **kvp)
{
    weir_store_t *store = NULL;
    weir_error_t *err = open_store(opaque, task_id, spec, false, &store);
    *kvp = weir_store_as_kv(store);
    if (!err && !*kvp)
        err = wrong_kind(task_id, spec, "key-value store");
    return err;
}

static weir_error_t *provider_open_window(void *opaque, const char *task_id,
                                          const weir__store_spec_t *spec,
                                          weir_window_store_t **wsp)
{
    weir_store_t *store = NULL;
    weir_error_t *err = open_store(opaque, task_id, spec, true, &store);
    *wsp = weir_store_as_window(store);
    if (!err && !*wsp)
        err = wrong_kind(task_id, spec, "window store");
    return err;
}

static void provider_release(void *opaque, const char *task_id,
                             const weir__store_spec_t *spec, void *store)
{
    /* The host closes task stores itself, after the task (whose close()
     * callbacks may still use them); globals live with the host. */
    (void)opaque;
    (void)task_id;
    (void)spec;
    (void)store;
}

static void release_handle(void *opaque, void *handle)
{
    weir__host_t *h = opaque;
    h->io.release(h->io.opaque, handle);
}

/* ---- lifecycle ---- */

weir__host_t *weir__host_new(weir__engine_t *eng, const weir__host_io_t *io,
                             const char *name, int64_t wall_ms,
                             weir_error_t **errp)
{
    *errp = NULL;
    weir__host_t *h = weir__calloc(1, sizeof(*h));
    if (!h) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "task host");
        return NULL;
    }
    h->eng = eng;
    h->io = *io;
    snprintf(h->name, sizeof(h->name), "%s", name);
    h->wall_ms = wall_ms;
    const weir_topology_t *topo = eng->topo;
    h->global_stores = weir__calloc(topo->store_cnt ? topo->store_cnt : 1,
                                    sizeof(*h->global_stores));
    h->slots = weir__calloc(eng->topic_cnt ? eng->topic_cnt : 1,
                            sizeof(*h->slots));
    bool slots_ok = h->slots != NULL;
    for (size_t i = 0; slots_ok && i < eng->topic_cnt; i++) {
        if (eng->topics[i].reader_sub < 0)
            continue;
        h->slots[i] = weir__calloc((size_t)eng->topics[i].partitions,
                                   sizeof(**h->slots));
        slots_ok = h->slots[i] != NULL;
    }
    if (!h->global_stores || !slots_ok) {
        weir__host_destroy(h);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "task host");
        return NULL;
    }
    h->provider = (weir__store_provider_t){
        h, provider_open_kv, provider_open_window, provider_release};
    h->collector = (weir__record_collector_t){h, weir__host_collect};
    h->task_conf = (weir__task_conf_t){
        .app_id = eng->app_id,
        .stores = &h->provider,
        .collector = &h->collector,
        .log = eng->log,
        .release_handle = release_handle,
        .release_opaque = h,
    };
    *errp = weir__host_globals_start(h);
    if (*errp) {
        weir__host_destroy(h);
        return NULL;
    }
    return h;
}

void weir__host_destroy(weir__host_t *h)
{
    if (!h)
        return;
    weir__host_close_tasks(h);
    weir__host_globals_destroy(h);
    for (size_t i = 0; h->slots && i < h->eng->topic_cnt; i++)
        weir__free(h->slots[i]);
    weir__free(h->slots);
    weir__free(h);
}

const char *weir__host_name(const weir__host_t *h)
{
    return h->name;
}

void weir__host_drop_queued(weir__host_t *h)
{
    for (size_t i = 0; i < h->task_cnt; i++) {
        weir__host_task_t *t = h->tasks[i];
        if (t->task)
            weir__task_clear_queues(t->task);
        for (size_t k = 0; k < t->input_cnt; k++)
            t->inputs[k].queued = 0;
        t->pending_cnt = 0;
    }
}

void *weir__host_store(weir__host_t *h, const char *name, bool window)
{
    for (size_t i = 0; name && i < h->task_cnt; i++) {
        const weir__task_stores_t *ts = &h->tasks[i]->stores;
        for (size_t s = 0; s < ts->cnt; s++) {
            const weir__rt_store_t *st = ts->v[s];
            void *typed = window ? (void *)weir_store_as_window(st->store)
                                 : (void *)weir_store_as_kv(st->store);
            if (typed && !strcmp(st->spec->name, name))
                return typed;
        }
    }
    const weir_topology_t *topo = h->eng->topo;
    for (size_t s = 0; name && !window && s < topo->store_cnt; s++)
        if (h->global_stores[s] && !strcmp(topo->stores[s]->name, name))
            return h->global_stores[s];
    return NULL;
}

uint64_t weir__host_dropped(const weir__host_t *h, const char *reason)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < h->task_cnt; i++)
        if (h->tasks[i]->task)
            sum += weir__task_dropped(h->tasks[i]->task, reason);
    for (size_t i = 0; i < h->global_cnt; i++)
        sum += weir__task_dropped(h->globals[i].task, reason);
    return sum;
}

size_t weir__host_task_count(const weir__host_t *h)
{
    return h->task_cnt;
}

size_t weir__host_restoring_count(const weir__host_t *h)
{
    return h->restoring_cnt;
}

weir__host_slot_t *weir__host_slot(weir__host_t *h, int topic,
                                   int32_t partition)
{
    if (topic < 0 || (size_t)topic >= h->eng->topic_cnt || !h->slots[topic] ||
        partition < 0 || partition >= h->eng->topics[topic].partitions)
        return NULL;
    weir__host_slot_t *s = &h->slots[topic][partition];
    return s->task ? s : NULL;
}

/* Task counters join the app's totals. */
static void publish_task(weir__host_t *h, weir__host_task_t *t)
{
    if (!t->task)
        return;
    uint64_t late = weir__task_dropped(t->task, "late");
    uint64_t all = weir__task_dropped(t->task, NULL);
    atomic_fetch_add(&h->eng->metrics.late_records, late - t->late_seen);
    atomic_fetch_add(&h->eng->metrics.dropped_records, all - t->dropped_seen);
    t->late_seen = late;
    t->dropped_seen = all;
}

void weir__host_publish_counters(weir__host_t *h)
{
    for (size_t i = 0; i < h->task_cnt; i++)
        publish_task(h, h->tasks[i]);
}

/* ---- tasks ---- */

static void task_destroy(weir__host_t *h, weir__host_task_t *t)
{
    if (!t)
        return;
    if (t->restoring) {
        /* Its stores come back from the restore first. */
        h->io.restore_cancel(h->io.opaque, t);
        t->restoring = false;
        h->restoring_cnt--;
    }
    publish_task(h, t);
    weir__task_destroy(t->task); /* gives queued handles back */
    weir__task_stores_close(&t->stores);
    if (h->io.task_active)
        h->io.task_active(h->io.opaque, t->id, false);
    for (size_t i = 0; i < t->input_cnt; i++) {
        weir__host_slot_t *s = weir__host_slot(h, t->inputs[i].topic,
                                               t->inputs[i].partition);
        if (s && s->task == t)
            *s = (weir__host_slot_t){NULL, NULL};
    }
    weir__free(t->inputs);
    weir__wm_tracker_destroy(t->wm);
    weir__free(t->pending);
    weir__free(t);
}

void weir__host_close_tasks(weir__host_t *h)
{
    /* What the tasks wrote is written before their stores go. */
    if (h->task_cnt && h->io.flush)
        weir_error_destroy(h->io.flush(h->io.opaque));
    for (size_t i = 0; i < h->task_cnt; i++)
        task_destroy(h, h->tasks[i]);
    weir__free(h->tasks);
    h->tasks = NULL;
    h->task_cnt = 0;
}

/* Reads the group's committed offsets of @p t's inputs and the event
 * time that the task's last owner committed with them: *stream_timep
 * gets the task's stream time, INT64_MIN when none was committed. */
static weir_error_t *load_committed(weir__host_t *h, weir__host_task_t *t,
                                    int64_t *stream_timep)
{
    *stream_timep = INT64_MIN;
    weir__host_tp_t *tps = weir__calloc(t->input_cnt, sizeof(*tps));
    if (!tps)
        return weir_error_new(WEIR_ERR_NOMEM, "task %s", t->id);
    for (size_t i = 0; i < t->input_cnt; i++)
        tps[i] = (weir__host_tp_t){t->inputs[i].topic_name,
                                   t->inputs[i].partition, -1, NULL, 0};
    weir_error_t *err = h->io.committed(h->io.opaque, tps, t->input_cnt);
    for (size_t i = 0; !err && i < t->input_cnt; i++) {
        weir__host_input_t *in = &t->inputs[i];
        in->committed_offset = tps[i].offset >= 0 ? tps[i].offset : -1;
        weir__commit_meta_t meta;
        bool found = false;
        err = weir__commit_meta_decode(tps[i].metadata, tps[i].metadata_len,
                                       &meta, &found);
        if (err) {
            err = weir_error_prefix(err, "task %s: %s [%" PRId32 "]: ", t->id,
                                    in->topic_name, in->partition);
            break;
        }
        if (!found)
            continue;
        if (meta.stream_time > *stream_timep)
            *stream_timep = meta.stream_time;
        if (meta.last_record_ms != INT64_MIN)
            in->last_record_ms = meta.last_record_ms;
    }
    weir__free(tps);
    return err ? weir_error_prefix(err,
                                   "task %s: reading committed "
                                   "offsets: ",
                                   t->id)
               : NULL;
}

/* Pauses (or resumes) @p t's inputs; on resume, from refetch_from. */
static weir_error_t *pause_task(weir__host_t *h, weir__host_task_t *t,
                                bool pause)
{
    if (!h->io.pause)
        return NULL;
    weir__host_tp_t *tps = weir__calloc(t->input_cnt, sizeof(*tps));
    if (!tps)
        return weir_error_new(WEIR_ERR_NOMEM, "task %s", t->id);
    for (size_t i = 0; i < t->input_cnt; i++) {
        weir__host_input_t *in = &t->inputs[i];
        tps[i] = (weir__host_tp_t){in->topic_name, in->partition,
                                   pause ? -1 : in->refetch_from, NULL, 0};
        if (!pause)
            in->refetch_from = -1;
    }
    weir_error_t *err = h->io.pause(h->io.opaque, tps, t->input_cnt, pause);
    weir__free(tps);
    return err ? weir_error_prefix(err, "task %s: ", t->id) : NULL;
}

/* Makes @p t process (see the file comment). */
static weir_error_t *task_activate(weir__host_t *h, weir__host_task_t *t)
{
    weir__engine_t *eng = h->eng;
    /* init() and the restored stream time's punctuations may write. */
    weir_error_t *err = weir__host_begin_txn(h);
    for (size_t i = 0; !err && i < t->stores.cnt; i++) {
        weir__rt_store_t *st = t->stores.v[i];
        st->task = t;
        if (st->changelog)
            weir_store_set_changelog(st->store, &weir__host_changelog_sink,
                                     st);
        if (eng->eos)
            err = weir_store_begin(st->store);
    }
    if (!err) {
        weir__task_conf_t conf = h->task_conf;
        conf.external_stream_time = eng->subs[t->sub].reads_repartition;
        conf.wall_clock_ms = h->wall_ms;
        h->creating = t;
        t->task = weir__task_new(eng->topo, t->sub, t->partition, &conf, &err);
        h->creating = NULL;
    }
    for (size_t i = 0; !err && i < t->input_cnt; i++) {
        weir__host_input_t *in = &t->inputs[i];
        in->queue = weir__task_queue_index(t->task, in->topic_name,
                                           in->partition);
        if (in->queue < 0)
            err = weir_error_new(WEIR_ERR_STATE, "task %s does not read %s",
                                 t->id, in->topic_name);
    }
    /* The event time the task had reached: records that were late before
     * the move are late again, and windows it had closed stay closed. */
    if (!err && t->restored_time != INT64_MIN)
        err = weir__task_advance_stream_time(t->task, t->restored_time);
    if (!err)
        t->committed_stream_time = weir__task_stream_time(t->task);
    if (!err)
        err = pause_task(h, t, false);
    if (!err)
        weir__log(&eng->log, WEIR_LOG_INFO, "TASK", "%s: task %s ready",
                  h->name, t->id);
    return err;
}

static weir_error_t *task_inputs(weir__host_t *h, weir__host_task_t *t)
{
    weir__engine_t *eng = h->eng;
    const weir__plan_sub_t *rs = &eng->subs[t->sub];
    t->inputs = weir__calloc(rs->input_cnt ? rs->input_cnt : 1,
                             sizeof(*t->inputs));
    if (!t->inputs)
        return weir_error_new(WEIR_ERR_NOMEM, "task %s", t->id);
    for (size_t i = 0; i < rs->input_cnt; i++) {
        const weir__plan_topic_t *topic = &eng->topics[rs->inputs[i]];
        weir__host_input_t *in = &t->inputs[t->input_cnt++];
        in->topic = rs->inputs[i];
        in->topic_name = topic->name;
        in->partition = t->partition;
        in->queue = -1;
        in->next_offset = -1;
        in->committed_offset = -1;
        in->refetch_from = -1;
        in->last_record_ms = h->wall_ms; /* unless the commit says */
        in->repartition = topic->repartition;
        if (!topic->repartition)
            continue;
        if (!t->wm && !(t->wm = weir__wm_tracker_new()))
            return weir_error_new(WEIR_ERR_NOMEM, "task %s", t->id);
        weir_error_t *err = weir__wm_tracker_add_upstream(
            t->wm, topic->writer_sub, eng->subs[topic->writer_sub].task_cnt);
        if (err)
            return err;
    }
    return NULL;
}

static weir_error_t *task_create(weir__host_t *h, int sub, int32_t partition)
{
    weir__engine_t *eng = h->eng;
    weir__host_task_t *t = weir__calloc(1, sizeof(*t));
    weir__host_task_t **tasks =
        t ? weir__realloc(h->tasks, (h->task_cnt + 1) * sizeof(*tasks)) : NULL;
    if (!tasks) {
        weir__free(t);
        return weir_error_new(WEIR_ERR_NOMEM, "task %d_%d", sub,
                              (int)partition);
    }
    h->tasks = tasks;
    h->tasks[h->task_cnt++] = t;
    t->host = h;
    t->sub = sub;
    t->partition = partition;
    t->last_marker_time = INT64_MIN;
    snprintf(t->id, sizeof(t->id), "%d_%d", sub, (int)partition);
    weir_error_t *err = task_inputs(h, t);
    for (size_t i = 0; !err && i < t->input_cnt; i++)
        h->slots[t->inputs[i].topic][partition] = (weir__host_slot_t){
            t, &t->inputs[i]};
    if (!err)
        err = load_committed(h, t, &t->restored_time);
    /* A standby of it here: take its stores as they are (only the tail
     * since its last update is then restored); else open them. */
    bool from_standby = !err && h->io.standby_take &&
                        h->io.standby_take(h->io.opaque, t->id, &t->stores);
    if (from_standby)
        weir__log(&eng->log, WEIR_LOG_INFO, "TASK",
                  "%s: task %s takes over its standby", h->name, t->id);
    if (!err && h->io.task_active)
        h->io.task_active(h->io.opaque, t->id, true);
    if (!err && !from_standby)
        err = weir__task_stores_open(eng, sub, partition, true, &t->stores);
    if (err)
        return err; /* the task goes with the others */
    if (!h->io.restore || !weir__sub_has_changelogs(eng, sub))
        return task_activate(h, t);
    /* Restored off the processing path; its partitions wait. */
    err = pause_task(h, t, true);
    if (!err)
        err = h->io.restore(h->io.opaque, t, &t->stores);
    if (err)
        return err;
    t->restoring = true;
    h->restoring_cnt++;
    weir__dbg(&eng->log, TASK, "TASK", "%s: task %s restoring", h->name,
              t->id);
    return NULL;
}

weir_error_t *weir__host_tasks_create(weir__host_t *h,
                                      const weir__host_tp_t *tps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int topic = weir__engine_topic_index(h->eng, tps[i].topic);
        if (topic < 0 || h->eng->topics[topic].reader_sub < 0)
            continue;
        int32_t p = tps[i].partition;
        if (p < 0 || p >= h->eng->topics[topic].partitions ||
            weir__host_slot(h, topic, p))
            continue; /* unknown, or its task exists */
        weir_error_t *err = task_create(h, h->eng->topics[topic].reader_sub,
                                        p);
        if (err)
            return err;
    }
    return NULL;
}

weir_error_t *weir__host_assign(weir__host_t *h, const weir__host_tp_t *tps,
                                size_t n)
{
    weir_error_t *err = weir__host_begin_txn(h);
    return err ? err : weir__host_tasks_create(h, tps, n);
}

weir_error_t *weir__host_task_restored(weir__host_t *h, weir__host_task_t *t)
{
    if (!t->restoring)
        return NULL;
    t->restoring = false;
    h->restoring_cnt--;
    return task_activate(h, t);
}
