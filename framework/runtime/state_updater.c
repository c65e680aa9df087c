/*
 * state_updater.c: a stream thread's restores and standbys, on a thread
 * of their own (see state_updater_int.h for the contract).
 *
 * The loop: take the commands the stream thread queued (restore, cancel,
 * standby add/drop/take) and carry them out; poll the changelog consumer
 * and apply what arrives to its store in runs of consecutive records,
 * each run with the offset after its last record as the store's new
 * position; finish the restores that reached the end (librdkafka's
 * end-of-partition event: the fetch position met the last stable offset)
 * and hand their tasks back; every few seconds ingest what standbys have
 * buffered, log restore progress and publish the gauges. With nothing to
 * do it sleeps on its condition variable; a queued command wakes it, even
 * in the middle of a poll.
 *
 * The changelog partitions are read with librdkafka's per-partition
 * consumer (consume_start / consume_stop into one queue), not with a
 * whole assignment set again at each change: librdkafka 2.0 can trip an
 * assertion when an assignment is replaced while partitions of the last
 * one are still stopping. A partition starts at its store's next offset
 * when its restore or standby begins and stops (synchronously) when it
 * ends; a record below a store's next offset (left in the queue from an
 * earlier start) is skipped, so nothing is applied twice.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "clock_int.h"
#include "state_updater_int.h"

#define POLL_MS 50
#define BATCH 4096
#define PROGRESS_LOG_MS 5000
#define STANDBY_FLUSH_MS 2000
#define GAUGE_MS 500

typedef enum cmd_kind_e {
    CMD_RESTORE,
    CMD_CANCEL,
    CMD_STANDBY_ADD,
    CMD_STANDBY_DROP,
    CMD_STANDBY_TAKE
} cmd_kind_t;

typedef struct cmd_s {
    struct cmd_s *next;
    cmd_kind_t kind;
    void *owner;
    weir__task_stores_t *ts; /* CMD_RESTORE */
    int sub;                 /* CMD_STANDBY_ADD */
    int32_t partition;
    char id[32]; /* CMD_STANDBY_DROP, _TAKE */
    bool sync, done, found;
    weir__task_stores_t taken; /* CMD_STANDBY_TAKE */
} cmd_t;

/* One changelogged store being restored or kept as a standby. */
typedef struct ustore_s {
    weir__rt_store_t *st;
    rd_kafka_topic_t *rkt; /* while its partition is read */
    int64_t next;          /* the next changelog offset to apply */
    int64_t end;           /* restore: the end when it began */
    bool done;             /* restore: caught up */
    bool begun;            /* in a restore session */
    bool dirty;            /* standby: applied since the last ingest */
    uint64_t applied;
} ustore_t;

typedef struct entry_s {
    struct entry_s *next;
    bool standby;
    void *owner;             /* restore: the stream thread's task */
    weir__task_stores_t *ts; /* restore: the owner's; standby: &own */
    weir__task_stores_t own;
    ustore_t *us;
    size_t us_cnt;
    int64_t started_ms, progress_ms; /* progress: last record or end */
    uint64_t total;
} entry_t;

struct weir__updater_s {
    weir__kafka_opaque_t kop; /* first: librdkafka's opaque */
    weir__rt_t *rt;
    char name[48];
    rd_kafka_t *consumer;
    rd_kafka_queue_t *queue;
    pthread_t tid;
    bool started;

    pthread_mutex_t lock;
    pthread_cond_t wake, done_cond;
    cmd_t *cmds, **cmds_tail;
    bool stop;
    void **restored;
    size_t restored_cnt, restored_cap;
    weir_error_t *error;

    /* The updater thread's own. */
    entry_t *entries;
    bool changed; /* entries came or went: publish the gauges now */
    int64_t last_flush_ms, last_log_ms, last_gauge_ms;
    int64_t g_restoring, g_remaining, g_standbys, g_lag; /* published */
};

/* ---- stores ---- */

static weir_error_t *store_begin(ustore_t *us, uint64_t total)
{
    if (us->begun)
        return NULL;
    weir_error_t *err = weir_store_restore_begin(us->st->store, total, NULL,
                                                 NULL);
    us->begun = !err;
    return err;
}

/* Ingests what is buffered; the store is readable and durable up to
 * its position. */
static weir_error_t *store_end(ustore_t *us)
{
    if (!us->begun)
        return NULL;
    us->begun = false;
    us->dirty = false;
    return weir_store_restore_end(us->st->store);
}

static weir_error_t *store_apply(ustore_t *us,
                                 const weir_changelog_record_t *recs, size_t n,
                                 int64_t next)
{
    weir_error_t *err = weir_store_restore_apply(us->st->store, recs, n, next);
    if (!err) {
        us->next = next;
        us->applied += n;
        us->dirty = true;
    }
    return err;
}

/* The changelog's low and high watermarks, waiting out brokers that are
 * briefly unavailable (a changelog created moments ago may have no
 * leader yet). */
static weir_error_t *watermarks(weir__updater_t *u, const weir__rt_store_t *st,
                                int64_t *lo, int64_t *hi)
{
    int64_t deadline = weir__engine_deadline(&u->rt->eng);
    rd_kafka_resp_err_t code;
    while ((code = rd_kafka_query_watermark_offsets(
                u->consumer, st->changelog, st->partition, lo, hi, 10000)) &&
           weir__kafka_resp_is_retriable(code) && weir__mono_ms() < deadline &&
           !u->stop) {
        weir__dbg(&u->rt->eng.log, RESTORE, "RESTORE",
                  "%s: watermarks of %s [%" PRId32 "]: %s; retrying", u->name,
                  st->changelog, st->partition, rd_kafka_err2str(code));
        struct timespec pause = {0, 100 * 1000000};
        nanosleep(&pause, NULL);
    }
    if (code)
        return weir__error_from_resp(
            code, "%s: watermarks of %s [%" PRId32 "]", st->spec->name,
            st->changelog, st->partition);
    return NULL;
}

/* Starts reading @p us's changelog partition at its next offset. */
static weir_error_t *read_start(weir__updater_t *u, ustore_t *us)
{
    us->rkt = rd_kafka_topic_new(u->consumer, us->st->changelog, NULL);
    if (!us->rkt)
        return weir__error_from_resp(rd_kafka_last_error(), "%s: topic %s",
                                     u->name, us->st->changelog);
    if (rd_kafka_consume_start_queue(us->rkt, us->st->partition, us->next,
                                     u->queue)) {
        rd_kafka_resp_err_t code = rd_kafka_last_error();
        rd_kafka_topic_destroy(us->rkt);
        us->rkt = NULL;
        return weir__error_from_resp(code, "%s: reading %s [%" PRId32 "]",
                                     u->name, us->st->changelog,
                                     us->st->partition);
    }
    return NULL;
}

/* Stops reading it (waits until librdkafka has stopped the fetcher). */
static void read_stop(ustore_t *us)
{
    if (!us->rkt)
        return;
    rd_kafka_consume_stop(us->rkt, us->st->partition);
    rd_kafka_topic_destroy(us->rkt);
    us->rkt = NULL;
}

/* ---- entries ---- */

static void entry_free(entry_t *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->us_cnt; i++)
        read_stop(&e->us[i]);
    if (e->standby)
        weir__task_stores_close(&e->own);
    weir__free(e->us);
    weir__free(e);
}

/* Ends the restore sessions of @p e's stores (ingesting what they
 * buffered); the first error is returned. */
static weir_error_t *entry_end_stores(entry_t *e)
{
    weir_error_t *first = NULL;
    for (size_t i = 0; i < e->us_cnt; i++) {
        weir_error_t *err = store_end(&e->us[i]);
        if (err && !first)
            first = weir_error_prefix(err, "task %s: ", e->ts->id);
        else
            weir_error_destroy(err);
    }
    return first;
}

static void set_error(weir__updater_t *u, weir_error_t *err)
{
    pthread_mutex_lock(&u->lock);
    if (!u->error)
        u->error = err;
    else
        weir_error_destroy(err);
    pthread_mutex_unlock(&u->lock);
}

static void unlink_entry(weir__updater_t *u, entry_t *e)
{
    for (entry_t **pp = &u->entries; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    u->changed = true;
}

/* Makes the ustores of @p e's changelogged stores, each from where its
 * store stands (or the changelog's start), and for a restore with the
 * changelog's current end. */
static weir_error_t *entry_setup(weir__updater_t *u, entry_t *e)
{
    e->us = weir__calloc(e->ts->cnt ? e->ts->cnt : 1, sizeof(*e->us));
    if (!e->us)
        return weir_error_new(WEIR_ERR_NOMEM, "task %s", e->ts->id);
    e->started_ms = e->progress_ms = weir__mono_ms();
    for (size_t i = 0; i < e->ts->cnt; i++) {
        weir__rt_store_t *st = e->ts->v[i];
        if (!st->changelog)
            continue;
        ustore_t *us = &e->us[e->us_cnt++];
        us->st = st;
        int64_t pos = 0, lo = 0, hi = 0;
        bool found = false;
        weir_store_position(st->store, &pos, &found);
        weir_error_t *err = watermarks(u, st, &lo, &hi);
        if (err)
            return err;
        us->next = found && pos > lo ? pos : lo;
        us->end = hi;
        us->done = !e->standby && us->next >= hi;
        if (us->done)
            continue;
        if (!e->standby) {
            e->total += (uint64_t)(hi - us->next);
            weir__log(&u->rt->eng.log, WEIR_LOG_INFO, "RESTORE",
                      "%s task %s store %s: restoring %s [%" PRId32
                      "] from offset %" PRId64 " to %" PRId64 "%s",
                      u->name, e->ts->id, st->spec->name, st->changelog,
                      st->partition, us->next, hi,
                      found ? "" : " (no local position: full restore)");
        }
        err = store_begin(us, e->standby ? 0 : (uint64_t)(hi - us->next));
        if (!err)
            err = read_start(u, us);
        if (err)
            return err;
    }
    u->changed = true;
    return NULL;
}

static bool entry_caught_up(const entry_t *e)
{
    for (size_t i = 0; i < e->us_cnt; i++)
        if (!e->us[i].done)
            return false;
    return true;
}

static void publish(weir__updater_t *u, bool log_progress);

/* Hands a finished restore back to the stream thread. */
static void entry_finish(weir__updater_t *u, entry_t *e)
{
    weir_error_t *err = entry_end_stores(e);
    uint64_t applied = 0;
    for (size_t i = 0; i < e->us_cnt; i++)
        applied += e->us[i].applied;
    if (e->total)
        weir__log(&u->rt->eng.log, WEIR_LOG_INFO, "RESTORE",
                  "%s task %s: restored %" PRIu64 " records in %" PRId64 " ms",
                  u->name, e->ts->id, applied,
                  weir__mono_ms() - e->started_ms);
    unlink_entry(u, e);
    if (err) {
        set_error(u, err);
        entry_free(e);
        return;
    }
    publish(u, false); /* the gauges say it before the task processes */
    pthread_mutex_lock(&u->lock);
    if (u->restored_cnt == u->restored_cap) {
        size_t cap = u->restored_cap ? u->restored_cap * 2 : 16;
        void **v = weir__realloc(u->restored, cap * sizeof(*v));
        if (v) {
            u->restored = v;
            u->restored_cap = cap;
        }
    }
    if (u->restored_cnt < u->restored_cap)
        u->restored[u->restored_cnt++] = e->owner;
    else if (!u->error)
        u->error = weir_error_new(WEIR_ERR_NOMEM, "restored tasks");
    pthread_mutex_unlock(&u->lock);
    entry_free(e);
}

static entry_t *find_entry(weir__updater_t *u, void *owner, const char *id)
{
    for (entry_t *e = u->entries; e; e = e->next)
        if ((owner && e->owner == owner) ||
            (id && e->standby && !strcmp(e->ts->id, id)))
            return e;
    return NULL;
}

/* ---- commands ---- */

static void cmd_restore(weir__updater_t *u, cmd_t *c)
{
    entry_t *e = weir__calloc(1, sizeof(*e));
    weir_error_t *err = e ? NULL
                          : weir_error_new(WEIR_ERR_NOMEM, "task %s",
                                           c->ts->id);
    if (e) {
        e->owner = c->owner;
        e->ts = c->ts;
        e->next = u->entries;
        u->entries = e;
        err = entry_setup(u, e);
    }
    if (err) {
        if (e) {
            weir_error_destroy(entry_end_stores(e));
            unlink_entry(u, e);
            entry_free(e);
        }
        set_error(u, weir_error_prefix(err, "restoring task %s: ", c->ts->id));
        return;
    }
    if (entry_caught_up(e))
        entry_finish(u, e);
}

static void cmd_cancel(weir__updater_t *u, cmd_t *c)
{
    entry_t *e = find_entry(u, c->owner, NULL);
    if (e) {
        weir_error_t *err = entry_end_stores(e);
        if (err) {
            /* The stores go back to their owner, which closes them; what
             * was not ingested is read again next time. */
            weir__log(&u->rt->eng.log, WEIR_LOG_WARNING, "RESTORE",
                      "%s: cancelling a restore: %s", u->name,
                      weir_error_string(err));
            weir_error_destroy(err);
        }
        unlink_entry(u, e);
        entry_free(e);
    }
    /* Finished but not yet taken: no longer wanted. */
    pthread_mutex_lock(&u->lock);
    for (size_t i = 0; i < u->restored_cnt; i++) {
        if (u->restored[i] == c->owner) {
            memmove(&u->restored[i], &u->restored[i + 1],
                    (u->restored_cnt - i - 1) * sizeof(*u->restored));
            u->restored_cnt--;
            break;
        }
    }
    pthread_mutex_unlock(&u->lock);
}

static void cmd_standby_add(weir__updater_t *u, cmd_t *c)
{
    char id[32];
    snprintf(id, sizeof(id), "%d_%d", c->sub, (int)c->partition);
    if (find_entry(u, NULL, id))
        return;
    entry_t *e = weir__calloc(1, sizeof(*e));
    weir_error_t *err = e ? weir__task_stores_open(&u->rt->eng, c->sub,
                                                   c->partition, false,
                                                   &e->own)
                          : weir_error_new(WEIR_ERR_NOMEM, "standby %s", id);
    if (!err) {
        e->standby = true;
        e->ts = &e->own;
        e->next = u->entries;
        u->entries = e;
        err = entry_setup(u, e);
        if (err) {
            weir_error_destroy(entry_end_stores(e));
            unlink_entry(u, e);
        }
    }
    if (err) {
        weir__log(&u->rt->eng.log, WEIR_LOG_WARNING, "STANDBY",
                  "%s: no standby of task %s: %s", u->name, id,
                  weir_error_string(err));
        weir_error_destroy(err);
        entry_free(e);
        return;
    }
    weir__log(&u->rt->eng.log, WEIR_LOG_INFO, "STANDBY",
              "%s: keeping a standby of task %s", u->name, id);
}

static void cmd_standby_drop_or_take(weir__updater_t *u, cmd_t *c)
{
    entry_t *e = find_entry(u, NULL, c->id);
    if (!e)
        return;
    weir_error_t *err = entry_end_stores(e);
    if (err) {
        weir__log(&u->rt->eng.log, WEIR_LOG_WARNING, "STANDBY",
                  "%s: standby of task %s: %s", u->name, c->id,
                  weir_error_string(err));
        weir_error_destroy(err);
    }
    unlink_entry(u, e);
    if (c->kind == CMD_STANDBY_TAKE) {
        c->taken = e->own;
        memset(&e->own, 0, sizeof(e->own));
        c->found = true;
    }
    weir__log(&u->rt->eng.log, WEIR_LOG_INFO, "STANDBY",
              "%s: standby of task %s %s", u->name, c->id,
              c->kind == CMD_STANDBY_TAKE ? "taken over by its active task"
                                          : "dropped");
    entry_free(e);
}

static void run_commands(weir__updater_t *u)
{
    pthread_mutex_lock(&u->lock);
    cmd_t *c = u->cmds;
    u->cmds = NULL;
    u->cmds_tail = &u->cmds;
    pthread_mutex_unlock(&u->lock);
    while (c) {
        cmd_t *next = c->next;
        switch (c->kind) {
        case CMD_RESTORE:
            cmd_restore(u, c);
            break;
        case CMD_CANCEL:
            cmd_cancel(u, c);
            break;
        case CMD_STANDBY_ADD:
            cmd_standby_add(u, c);
            break;
        case CMD_STANDBY_DROP:
        case CMD_STANDBY_TAKE:
            cmd_standby_drop_or_take(u, c);
            break;
        }
        if (c->sync) {
            pthread_mutex_lock(&u->lock);
            c->done = true;
            pthread_cond_broadcast(&u->done_cond);
            pthread_mutex_unlock(&u->lock);
        } else {
            weir__free(c);
        }
        c = next;
    }
}

/* ---- reading changelogs ---- */

static ustore_t *ustore_for(weir__updater_t *u, const char *topic,
                            int32_t partition, entry_t **ep)
{
    for (entry_t *e = u->entries; e; e = e->next)
        for (size_t i = 0; i < e->us_cnt; i++) {
            ustore_t *us = &e->us[i];
            if (us->st->partition == partition &&
                !strcmp(us->st->changelog, topic)) {
                *ep = e;
                return us->done ? NULL : us;
            }
        }
    return NULL;
}

/* Applies @p msgs[from, to) (one store's consecutive records). */
static void apply_run(weir__updater_t *u, entry_t *e, ustore_t *us,
                      rd_kafka_message_t **msgs, size_t n)
{
    weir_changelog_record_t recs[BATCH];
    for (size_t i = 0; i < n; i++)
        recs[i] = (weir_changelog_record_t){.key = msgs[i]->key,
                                            .key_len = msgs[i]->key_len,
                                            .val = msgs[i]->payload,
                                            .val_len = msgs[i]->len};
    weir_error_t *err = store_apply(us, recs, n, msgs[n - 1]->offset + 1);
    if (err) {
        set_error(u, weir_error_prefix(err, "task %s: ", e->ts->id));
        return;
    }
    e->progress_ms = weir__mono_ms();
    atomic_fetch_add(e->standby ? &u->rt->eng.metrics.standby_records
                                : &u->rt->eng.metrics.restored_records,
                     n);
}

static void poll_changelogs(weir__updater_t *u)
{
    rd_kafka_message_t *msgs[BATCH];
    ssize_t got = rd_kafka_consume_batch_queue(u->queue, POLL_MS, msgs, BATCH);
    size_t n = got > 0 ? (size_t)got : 0;
    /* Runs of consecutive records of one store; events in between. */
    size_t run = 0;
    entry_t *run_e = NULL;
    ustore_t *run_us = NULL;
    for (size_t i = 0; i <= n; i++) {
        rd_kafka_message_t *m = i < n ? msgs[i] : NULL;
        entry_t *e = NULL;
        ustore_t *us = NULL;
        if (m && m->rkt)
            us = ustore_for(u, rd_kafka_topic_name(m->rkt), m->partition, &e);
        /* Left from an earlier read of the partition: already applied. */
        bool record = m && !m->err && us && m->offset >= us->next;
        if (run && (!record || us != run_us)) {
            apply_run(u, run_e, run_us, &msgs[i - run], run);
            run = 0;
        }
        if (record) {
            run_e = e;
            run_us = us;
            run++;
            continue;
        }
        if (!m || !us || !m->err)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->offset < us->next)
                continue;         /* from an earlier read */
            us->next = m->offset; /* past transaction markers */
            e->progress_ms = weir__mono_ms();
            if (!e->standby) {
                us->done = true;
                read_stop(us);
            }
        } else if (!weir__kafka_resp_is_retriable(m->err)) {
            set_error(u, weir__error_from_resp(
                             m->err, "task %s: reading %s [%" PRId32 "]",
                             e->ts->id, us->st->changelog, m->partition));
        } else {
            weir__log(&u->rt->eng.log, WEIR_LOG_WARNING, "RESTORE", "%s: %s",
                      u->name, rd_kafka_message_errstr(m));
        }
    }
    for (size_t i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
}

/* Finishes the restores that caught up; fails one that made no progress
 * for broker.down.timeout.ms. */
static void check_restores(weir__updater_t *u, int64_t now)
{
    entry_t *e = u->entries;
    while (e) {
        entry_t *next = e->next;
        if (!e->standby && entry_caught_up(e)) {
            entry_finish(u, e);
        } else if (!e->standby && u->rt->eng.wait_timeout_ms >= 0 &&
                   now - e->progress_ms > u->rt->eng.wait_timeout_ms) {
            set_error(u,
                      weir_error_new(WEIR_ERR_TIMEOUT,
                                     "restoring task %s: no progress for "
                                     "%" PRId64 " ms",
                                     e->ts->id, u->rt->eng.wait_timeout_ms));
            e->progress_ms = now; /* reported once */
        }
        e = next;
    }
}

/* Ingests what standbys buffered, so it is durable and readable. */
static void flush_standbys(weir__updater_t *u)
{
    for (entry_t *e = u->entries; e; e = e->next) {
        if (!e->standby)
            continue;
        for (size_t i = 0; i < e->us_cnt; i++) {
            ustore_t *us = &e->us[i];
            if (!us->dirty)
                continue;
            weir_error_t *err = store_end(us);
            if (!err)
                err = store_begin(us, 0);
            if (err)
                set_error(u,
                          weir_error_prefix(err, "standby %s: ", e->ts->id));
        }
    }
}

static void gauge_publish(atomic_int_fast64_t *g, int64_t *published,
                          int64_t value)
{
    atomic_fetch_add(g, value - *published);
    *published = value;
}

static void publish(weir__updater_t *u, bool log_progress)
{
    int64_t restoring = 0, remaining = 0, standbys = 0, lag = 0;
    for (entry_t *e = u->entries; e; e = e->next) {
        uint64_t applied = 0;
        for (size_t i = 0; i < e->us_cnt; i++) {
            ustore_t *us = &e->us[i];
            applied += us->applied;
            int64_t lo = 0, hi = 0;
            if (e->standby) {
                if (!rd_kafka_get_watermark_offsets(
                        u->consumer, us->st->changelog, us->st->partition, &lo,
                        &hi) &&
                    hi > us->next)
                    lag += hi - us->next;
            } else if (!us->done && us->end > us->next) {
                remaining += us->end - us->next;
            }
        }
        standbys += e->standby;
        restoring += !e->standby;
        if (log_progress && !e->standby && e->total) {
            double secs = (double)(weir__mono_ms() - e->started_ms) / 1000.0;
            weir__log(&u->rt->eng.log, WEIR_LOG_INFO, "RESTORE",
                      "%s task %s: %" PRIu64 "/%" PRIu64 " records (%.0f/s)",
                      u->name, e->ts->id, applied, e->total,
                      secs > 0 ? (double)applied / secs : 0.0);
        }
    }
    weir__gauges_t *g = &u->rt->eng.gauges;
    gauge_publish(&g->restoring_tasks, &u->g_restoring, restoring);
    gauge_publish(&g->restore_remaining, &u->g_remaining, remaining);
    gauge_publish(&g->standby_tasks, &u->g_standbys, standbys);
    gauge_publish(&g->standby_lag, &u->g_lag, lag);
}

static void *updater_main(void *arg)
{
    weir__updater_t *u = arg;
    for (;;) {
        pthread_mutex_lock(&u->lock);
        while (!u->stop && !u->cmds && !u->entries)
            pthread_cond_wait(&u->wake, &u->lock);
        bool stop = u->stop;
        pthread_mutex_unlock(&u->lock);
        if (stop)
            break;
        run_commands(u);
        if (u->entries)
            poll_changelogs(u);
        int64_t now = weir__mono_ms();
        check_restores(u, now);
        if (now - u->last_flush_ms >= STANDBY_FLUSH_MS) {
            flush_standbys(u);
            u->last_flush_ms = now;
        }
        if (now - u->last_gauge_ms >= GAUGE_MS || u->changed) {
            u->changed = false;
            bool log = now - u->last_log_ms >= PROGRESS_LOG_MS;
            publish(u, log);
            u->last_gauge_ms = now;
            if (log)
                u->last_log_ms = now;
        }
    }
    return NULL;
}

/* ---- the stream thread's side ---- */

static weir_error_t *consumer_new(weir__updater_t *u)
{
    rd_kafka_conf_t *rkc;
    weir_error_t *err = weir__kafka_conf_new(u->rt->conf, "consumer", &u->kop,
                                             &rkc);
    if (err)
        return err;
    /* Partitions read one by one from explicit offsets: no group, no
     * offsets stored. A restore reads to the end and stops: a fetch that
     * waits for more data only delays the end of it. */
    static const weir__kafka_setting_t settings[] = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"isolation.level", "read_committed"},
        {"fetch.wait.max.ms", "10"},
        {NULL, NULL}};
    err = weir__kafka_conf_set_all(rkc, settings);
    if (err) {
        rd_kafka_conf_destroy(rkc);
        return err;
    }
    err = weir__kafka_new(RD_KAFKA_CONSUMER, rkc, &u->consumer);
    if (!err)
        u->queue = rd_kafka_queue_new(u->consumer);
    return err;
}

weir_error_t *weir__updater_start(weir__rt_t *rt, const char *thread_name,
                                  weir__updater_t **up)
{
    weir__updater_t *u = weir__calloc(1, sizeof(*u));
    if (!u)
        return weir_error_new(WEIR_ERR_NOMEM, "state updater");
    u->rt = rt;
    snprintf(u->name, sizeof(u->name), "%s", thread_name);
    u->kop = (weir__kafka_opaque_t){&rt->eng.log, u->name};
    u->cmds_tail = &u->cmds;
    pthread_mutex_init(&u->lock, NULL);
    pthread_cond_init(&u->wake, NULL);
    pthread_cond_init(&u->done_cond, NULL);
    weir_error_t *err = consumer_new(u);
    if (!err && pthread_create(&u->tid, NULL, updater_main, u))
        err = weir_error_new(WEIR_ERR_IO, "could not start a state updater");
    else if (!err) {
        /* "weir-restore-<n>" for thread-<n>, for top -H and perf. */
        char tname[16];
        const char *dash = strrchr(thread_name, '-');
        snprintf(tname, sizeof(tname), "weir-restore%s", dash ? dash : "");
        pthread_setname_np(u->tid, tname);
    }
    if (err) {
        weir__updater_destroy(u);
        return err;
    }
    u->started = true;
    *up = u;
    return NULL;
}

void weir__updater_destroy(weir__updater_t *u)
{
    if (!u)
        return;
    if (u->started) {
        pthread_mutex_lock(&u->lock);
        u->stop = true;
        pthread_cond_broadcast(&u->wake);
        pthread_mutex_unlock(&u->lock);
        if (u->queue)
            rd_kafka_queue_yield(u->queue);
        pthread_join(u->tid, NULL);
    }
    while (u->entries) {
        entry_t *e = u->entries;
        u->entries = e->next;
        weir_error_destroy(entry_end_stores(e));
        entry_free(e);
    }
    /* The gauges lose this updater's part. */
    publish(u, false);
    for (cmd_t *c = u->cmds; c;) {
        cmd_t *next = c->next;
        if (!c->sync)
            weir__free(c);
        c = next;
    }
    if (u->queue)
        rd_kafka_queue_destroy(u->queue);
    if (u->consumer)
        rd_kafka_destroy(u->consumer);
    weir__free(u->restored);
    weir_error_destroy(u->error);
    pthread_cond_destroy(&u->done_cond);
    pthread_cond_destroy(&u->wake);
    pthread_mutex_destroy(&u->lock);
    weir__free(u);
}

/* Queues @p c; with c->sync, waits until the updater carried it out. */
static void submit(weir__updater_t *u, cmd_t *c)
{
    bool sync = c->sync; /* an async command is the updater's once queued */
    pthread_mutex_lock(&u->lock);
    c->next = NULL;
    *u->cmds_tail = c;
    u->cmds_tail = &c->next;
    pthread_cond_broadcast(&u->wake);
    pthread_mutex_unlock(&u->lock);
    rd_kafka_queue_yield(u->queue);
    if (!sync)
        return;
    pthread_mutex_lock(&u->lock);
    while (!c->done)
        pthread_cond_wait(&u->done_cond, &u->lock);
    pthread_mutex_unlock(&u->lock);
}

weir_error_t *weir__updater_restore(weir__updater_t *u, void *owner,
                                    weir__task_stores_t *ts)
{
    cmd_t *c = weir__calloc(1, sizeof(*c));
    if (!c)
        return weir_error_new(WEIR_ERR_NOMEM, "restoring task %s", ts->id);
    c->kind = CMD_RESTORE;
    c->owner = owner;
    c->ts = ts;
    submit(u, c);
    return NULL;
}

void weir__updater_cancel(weir__updater_t *u, void *owner)
{
    cmd_t c = {.kind = CMD_CANCEL, .owner = owner, .sync = true};
    submit(u, &c);
}

size_t weir__updater_take_restored(weir__updater_t *u, void **owners,
                                   size_t max)
{
    pthread_mutex_lock(&u->lock);
    size_t n = u->restored_cnt < max ? u->restored_cnt : max;
    if (n) {
        memcpy(owners, u->restored, n * sizeof(*owners));
        memmove(u->restored, u->restored + n,
                (u->restored_cnt - n) * sizeof(*u->restored));
        u->restored_cnt -= n;
    }
    pthread_mutex_unlock(&u->lock);
    return n;
}

weir_error_t *weir__updater_take_error(weir__updater_t *u)
{
    pthread_mutex_lock(&u->lock);
    weir_error_t *err = u->error;
    u->error = NULL;
    pthread_mutex_unlock(&u->lock);
    return err;
}

weir_error_t *weir__updater_standby_add(weir__updater_t *u, int sub,
                                        int32_t partition)
{
    cmd_t *c = weir__calloc(1, sizeof(*c));
    if (!c)
        return weir_error_new(WEIR_ERR_NOMEM, "standby");
    c->kind = CMD_STANDBY_ADD;
    c->sub = sub;
    c->partition = partition;
    submit(u, c);
    return NULL;
}

void weir__updater_standby_drop(weir__updater_t *u, const char *task_id)
{
    cmd_t c = {.kind = CMD_STANDBY_DROP, .sync = true};
    snprintf(c.id, sizeof(c.id), "%s", task_id);
    submit(u, &c);
}

bool weir__updater_standby_take(weir__updater_t *u, const char *task_id,
                                weir__task_stores_t *ts)
{
    cmd_t c = {.kind = CMD_STANDBY_TAKE, .sync = true};
    snprintf(c.id, sizeof(c.id), "%s", task_id);
    submit(u, &c);
    if (c.found)
        *ts = c.taken;
    return c.found;
}
