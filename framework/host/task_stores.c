/*
 * task_stores.c: opening and closing a task's stores (see
 * task_stores_int.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "task_stores_int.h"

#define LOCK_RETRY_MS 100

bool weir__sub_has_changelogs(const weir__engine_t *eng, int sub)
{
    for (size_t s = 0; s < eng->topo->store_cnt; s++) {
        const weir__store_spec_t *spec = eng->topo->stores[s];
        if (!spec->global && spec->subtopology == sub && spec->changelog)
            return true;
    }
    return false;
}

static void store_close(weir__rt_store_t *st)
{
    if (!st)
        return;
    weir_store_destroy(st->store);
    weir__free(st->changelog);
    weir__free(st);
}

/* Opens the task dir, waiting out a lock that another process (or an
 * instance sharing the state dir) still holds, within the broker bound:
 * a predecessor may be closing the same task. */
static weir_error_t *open_dir(weir__engine_t *eng, weir__task_stores_t *ts,
                              bool wait_for_lock)
{
    int64_t deadline = weir__engine_deadline(eng);
    bool logged = false;
    for (;;) {
        weir_error_t *err = NULL;
        ts->dir = weir_task_dir_open(eng->env, eng->state_dir, eng->app_id,
                                     ts->id, &err);
        if (!err || weir_error_code(err) != WEIR_ERR_STORE_LOCKED ||
            !wait_for_lock || weir__mono_ms() > deadline)
            return err;
        if (!logged)
            weir__log(&eng->log, WEIR_LOG_WARNING, "TASK",
                      "task %s: %s; waiting for it", ts->id,
                      weir_error_string(err));
        logged = true;
        weir_error_destroy(err);
        struct timespec pause = {0, LOCK_RETRY_MS * 1000000L};
        nanosleep(&pause, NULL);
    }
}

static weir_error_t *store_open(weir__engine_t *eng, weir__task_stores_t *ts,
                                const weir__store_spec_t *spec,
                                bool wait_for_lock, weir__rt_store_t **stp)
{
    weir__rt_store_t *st = weir__calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "store %s", spec->name);
    st->spec = spec;
    st->partition = ts->partition;
    st->acked_offset = -1;
    bool window = spec->kind != WEIR__STORE_KV;
    /* Segments never span more than the retention: a short-lived window
     * store would otherwise keep everything in one segment. */
    int64_t segment_ms = spec->segment_ms > spec->retention_ms
                             ? spec->retention_ms
                             : spec->segment_ms;
    weir_error_t *err = NULL;
    if (spec->persistent && !eng->memory_stores) {
        if (!ts->dir)
            err = open_dir(eng, ts, wait_for_lock);
        if (!err && window)
            st->store = weir_window_store_as_store(
                weir_window_store_rocksdb_open(ts->dir, spec->name,
                                               spec->retention_ms, segment_ms,
                                               &err));
        else if (!err)
            st->store = weir_kv_store_as_store(
                weir_kv_store_rocksdb_open(ts->dir, spec->name, &err));
    } else if (window) {
        st->store = weir_window_store_as_store(weir_window_store_memory_new(
            spec->name, spec->retention_ms, segment_ms, &err));
    } else {
        st->store = weir_kv_store_as_store(
            weir_kv_store_memory_new(spec->name, &err));
    }
    /* Before any restore, which must not move owner-driven time. */
    if (!err && window && spec->owner_time)
        weir_window_store_set_owner_time(weir_store_as_window(st->store),
                                         true);
    if (!err && spec->changelog) {
        st->changelog = weir__engine_changelog_topic(eng, spec->name);
        if (!st->changelog)
            err = weir_error_new(WEIR_ERR_NOMEM, "store %s", spec->name);
    }
    if (err) {
        store_close(st);
        return err;
    }
    bool debug = (eng->log.debug & WEIR__DBG_STORE) != 0;
    weir_store_set_log_cb(st->store, weir__engine_store_log, eng, debug);
    *stp = st;
    return NULL;
}

weir_error_t *weir__task_stores_open(weir__engine_t *eng, int sub,
                                     int32_t partition, bool wait_for_lock,
                                     weir__task_stores_t *ts)
{
    ts->sub = sub;
    ts->partition = partition;
    snprintf(ts->id, sizeof(ts->id), "%d_%d", sub, (int)partition);
    const weir_topology_t *topo = eng->topo;
    weir_error_t *err = NULL;
    for (size_t s = 0; !err && s < topo->store_cnt; s++) {
        const weir__store_spec_t *spec = topo->stores[s];
        if (spec->global || spec->subtopology != sub)
            continue;
        weir__rt_store_t **v = weir__realloc(ts->v,
                                             (ts->cnt + 1) * sizeof(*v));
        if (!v) {
            err = weir_error_new(WEIR_ERR_NOMEM, "store %s", spec->name);
            break;
        }
        ts->v = v;
        err = store_open(eng, ts, spec, wait_for_lock, &ts->v[ts->cnt]);
        if (!err)
            ts->cnt++;
        else
            err = weir_error_prefix(err, "task %s: store '%s': ", ts->id,
                                    spec->name);
    }
    if (err)
        weir__task_stores_close(ts);
    return err;
}

weir__rt_store_t *weir__task_stores_find(const weir__task_stores_t *ts,
                                         const weir__store_spec_t *spec)
{
    for (size_t i = 0; i < ts->cnt; i++)
        if (ts->v[i]->spec == spec)
            return ts->v[i];
    return NULL;
}

void weir__task_stores_close(weir__task_stores_t *ts)
{
    for (size_t i = 0; i < ts->cnt; i++)
        store_close(ts->v[i]);
    weir__free(ts->v);
    ts->v = NULL;
    ts->cnt = 0;
    weir_task_dir_destroy(ts->dir);
    ts->dir = NULL;
}
