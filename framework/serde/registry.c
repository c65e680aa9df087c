/*
 * registry.c: the backend-independent half of the schema-registry client:
 * the caches, one fetch per missing id, and the retry loop. Its settings
 * come from a weir_conf_t through framework/runtime/registry_conf.c; this
 * layer only holds them (weir__registry_settings_t).
 *
 * Caches. Schema ids are immutable in every Confluent-compatible registry,
 * so id -> schema is cached forever, as Confluent's own clients do; the
 * schema objects handed out live in the cache and stay valid until the
 * registry is destroyed. (subject, type, text) -> id is cached too, from
 * both register and found lookups: a schema registered under a subject
 * stays there unless someone deletes it, and a client that cached the id
 * then still writes a valid id.
 *
 * One fetch per id. A miss inserts a PENDING entry and fetches outside the
 * lock; a second thread missing the same id finds the PENDING entry and
 * waits on the condition variable instead of sending its own request. When
 * the fetch succeeds the entry turns READY; when it fails, the entry turns
 * FAILED and keeps a copy of the error for the threads that waited on it
 * (the last of them removes it), so an unknown id from a corrupt record
 * does not stay in the table. A caller arriving at a FAILED entry starts a
 * new fetch.
 *
 * Retries. A backend makes one attempt. When the attempt fails with a
 * retriable error (the registry could not be reached or answered 5xx), the
 * loop here sleeps (schema.registry.retry.backoff.ms doubling up to
 * schema.registry.retry.backoff.max.ms, +-20% jitter so that restarted
 * instances do not retry in lock step) and tries again, until
 * schema.registry.retry.max.ms has passed; then the last error goes
 * back to the caller, still flagged retriable, with the number of attempts
 * and the time spent. Sleeps wait on the same condition variable, so
 * weir_registry_interrupt() ends them at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_int.h"
#include "registry_int.h"

/* uthash allocates through weir's allocator and reports OOM to the caller
 * through a local flag instead of exiting. */
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) weir__malloc(sz)
#define uthash_free(ptr, sz) weir__free(ptr)
#define uthash_nonfatal_oom(obj) (hash_oom = 1)
#include <uthash.h>

struct weir_registry_schema_s {
    int32_t id;
    char *type;
    char *text;
};

enum {
    ENTRY_PENDING,
    ENTRY_READY,
    ENTRY_FAILED
};

typedef struct id_entry_s {
    int32_t id;
    int state;
    int waiters;
    weir_error_t *err; /* FAILED: the fetch's error, copied to waiters */
    weir_registry_schema_t schema;
    UT_hash_handle hh;
} id_entry_t;

typedef struct subject_entry_s {
    char *key; /* subject \0 type \0 text */
    size_t key_len;
    int32_t id;
    UT_hash_handle hh;
} subject_entry_t;

struct weir_registry_s {
    const weir__registry_backend_ops_t *ops;
    void *be;
    weir__registry_settings_t *settings;
    atomic_int refcnt;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* entry state changes, interrupt */
    id_entry_t *ids;
    subject_entry_t *subjects;
    atomic_bool interrupted; /* written under lock, read anywhere */
    atomic_uint_fast64_t requests;
    atomic_uint_fast64_t cache_hits;
    atomic_uint_fast64_t cache_misses;
    atomic_uint_fast64_t retries;
};

/* ---- helpers ---------------------------------------------------------- */

weir_error_t *weir__error_copy(const weir_error_t *err)
{
    weir_error_t *copy = weir_error_new(weir_error_code(err), "%s",
                                        weir_error_string(err));
    copy = weir_error_set_retriable(copy, weir_error_is_retriable(err));
    copy = weir_error_set_fatal(copy, weir_error_is_fatal(err));
    copy = weir_error_set_txn_requires_abort(
        copy, weir_error_txn_requires_abort(err));
    copy = weir_error_set_origin_code(copy, weir_error_origin_code(err));
    return copy;
}

/* ---- settings --------------------------------------------------------- */

void weir__registry_settings_free(weir__registry_settings_t *s)
{
    if (!s)
        return;
    weir__free(s->url);
    weir__free(s->userinfo);
    weir__free(s->ca_file);
    weir__free(s->cert_file);
    weir__free(s->key_file);
    weir__free(s);
}

/* ---- construction ----------------------------------------------------- */

weir_registry_t *weir__registry_new(const weir__registry_backend_ops_t *ops,
                                    void *be, weir__registry_settings_t *s,
                                    weir_error_t **errp)
{
    weir_registry_t *reg = weir__calloc(1, sizeof(*reg));
    if (!reg) {
        ops->destroy(be);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "schema registry client");
        return NULL;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&reg->cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&reg->lock, NULL);
    reg->ops = ops;
    reg->be = be;
    reg->settings = s;
    atomic_init(&reg->interrupted, false);
    atomic_init(&reg->refcnt, 1);
    atomic_init(&reg->requests, 0);
    atomic_init(&reg->cache_hits, 0);
    atomic_init(&reg->cache_misses, 0);
    atomic_init(&reg->retries, 0);
    return reg;
}

void *weir__registry_backend(weir_registry_t *reg,
                             const weir__registry_backend_ops_t *ops)
{
    return reg && reg->ops == ops ? reg->be : NULL;
}

void weir__registry_count_request(weir_registry_t *reg)
{
    atomic_fetch_add(&reg->requests, 1);
}

const weir__registry_settings_t *
weir__registry_settings(const weir_registry_t *reg)
{
    return reg->settings;
}

weir_registry_t *weir_registry_ref(weir_registry_t *reg)
{
    if (reg)
        atomic_fetch_add_explicit(&reg->refcnt, 1, memory_order_relaxed);
    return reg;
}

void weir_registry_destroy(weir_registry_t *reg)
{
    if (!reg)
        return;
    if (atomic_fetch_sub_explicit(&reg->refcnt, 1, memory_order_acq_rel) != 1)
        return;
    reg->ops->destroy(reg->be);
    id_entry_t *e, *etmp;
    HASH_ITER(hh, reg->ids, e, etmp)
    {
        HASH_DEL(reg->ids, e);
        weir__free(e->schema.type);
        weir__free(e->schema.text);
        weir_error_destroy(e->err);
        weir__free(e);
    }
    subject_entry_t *s, *stmp;
    HASH_ITER(hh, reg->subjects, s, stmp)
    {
        HASH_DEL(reg->subjects, s);
        weir__free(s->key);
        weir__free(s);
    }
    pthread_cond_destroy(&reg->cond);
    pthread_mutex_destroy(&reg->lock);
    weir__registry_settings_free(reg->settings);
    weir__free(reg);
}

void weir_registry_interrupt(weir_registry_t *reg)
{
    pthread_mutex_lock(&reg->lock);
    atomic_store(&reg->interrupted, true);
    pthread_cond_broadcast(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
}

void weir_registry_stats(weir_registry_t *reg, weir_registry_stats_t *stats)
{
    *stats = (weir_registry_stats_t){
        .requests = atomic_load(&reg->requests),
        .cache_hits = atomic_load(&reg->cache_hits),
        .cache_misses = atomic_load(&reg->cache_misses),
        .retries = atomic_load(&reg->retries),
    };
}

int32_t weir_registry_schema_id(const weir_registry_schema_t *schema)
{
    return schema->id;
}

const char *weir_registry_schema_type(const weir_registry_schema_t *schema)
{
    return schema->type;
}

const char *weir_registry_schema_text(const weir_registry_schema_t *schema)
{
    return schema->text;
}

/* ---- retry loop ------------------------------------------------------- */

/* One attempt of an operation, to end by @p deadline_ms (-1: none);
 * @p arg carries its inputs and outputs. */
typedef weir_error_t *(attempt_fn_t)(weir_registry_t *reg, int64_t deadline_ms,
                                     void *arg);

static weir_error_t *cancelled(const char *what)
{
    return weir_error_new(WEIR_ERR_CANCELLED,
                          "schema registry: %s interrupted", what);
}

/*
 * Sleeps @p ms unless interrupted first; returns false when interrupted.
 */
static bool backoff_sleep(weir_registry_t *reg, long ms)
{
    int64_t until = weir__mono_ms() + ms;
    struct timespec ts = {.tv_sec = (time_t)(until / 1000),
                          .tv_nsec = (long)(until % 1000) * 1000000};
    pthread_mutex_lock(&reg->lock);
    while (!atomic_load(&reg->interrupted) && weir__mono_ms() < until) {
        if (pthread_cond_timedwait(&reg->cond, &reg->lock, &ts) == ETIMEDOUT)
            break;
    }
    bool ok = !atomic_load(&reg->interrupted);
    pthread_mutex_unlock(&reg->lock);
    return ok;
}

bool weir__registry_interrupted(weir_registry_t *reg)
{
    return atomic_load(&reg->interrupted);
}

static long jitter(long ms)
{
    /* +-20%; the seed only needs to differ between processes and threads. */
    static _Thread_local unsigned int seed;
    if (!seed)
        seed = (unsigned int)weir__mono_ms() ^ (unsigned int)(uintptr_t)&seed;
    long span = ms / 5;
    if (span <= 0)
        return ms;
    return ms - span + (long)(rand_r(&seed) % (unsigned int)(2 * span + 1));
}

static weir_error_t *with_retry(weir_registry_t *reg, const char *what,
                                attempt_fn_t *fn, void *arg)
{
    const weir__registry_settings_t *rs = reg->settings;
    int64_t start = weir__mono_ms();
    int64_t deadline = rs->retry_timeout_ms > 0
                           ? start + rs->retry_timeout_ms
                           : -1; /* 0: one attempt of its own length */
    long backoff = rs->backoff_ms;
    int attempts = 0;
    for (;;) {
        if (weir__registry_interrupted(reg))
            return cancelled(what);
        weir_error_t *err = fn(reg, deadline, arg);
        attempts++;
        /* Only transport errors are retried here; a retriable NOMEM, say,
         * goes back to the caller at once. */
        if (!err || !weir_error_is_retriable(err) ||
            weir_error_code(err) != WEIR_ERR_REGISTRY)
            return err;
        int64_t spent = weir__mono_ms() - start;
        if (rs->retry_timeout_ms >= 0 && spent >= rs->retry_timeout_ms) {
            const char *noun = attempts == 1 ? "attempt" : "attempts";
            weir__log(&rs->log, WEIR_LOG_ERR, "REGISTRY",
                      "%s: giving up after %d %s in %" PRId64 " ms: %s", what,
                      attempts, noun, spent, weir_error_string(err));
            return weir_error_prefix(err,
                                     "%s: registry unreachable, gave up "
                                     "after %d %s in %" PRId64 " ms: ",
                                     what, attempts, noun, spent);
        }
        long sleep_ms = jitter(backoff);
        if (rs->retry_timeout_ms >= 0 &&
            sleep_ms > rs->retry_timeout_ms - spent)
            sleep_ms = (long)(rs->retry_timeout_ms - spent);
        if (attempts == 1)
            weir__log(&rs->log, WEIR_LOG_WARNING, "REGISTRY",
                      "%s: %s; retrying", what, weir_error_string(err));
        else
            weir__dbg(&rs->log, REGISTRY, "REGISTRY",
                      "%s: attempt %d failed: %s; retrying in %ld ms", what,
                      attempts, weir_error_string(err), sleep_ms);
        weir_error_destroy(err);
        if (!backoff_sleep(reg, sleep_ms))
            return cancelled(what);
        atomic_fetch_add(&reg->retries, 1);
        backoff = backoff > rs->backoff_max_ms / 2 ? rs->backoff_max_ms
                                                   : backoff * 2;
    }
}

/* ---- get by id -------------------------------------------------------- */

typedef struct get_arg_s {
    int32_t id;
    char *type;
    char *text;
} get_arg_t;

static weir_error_t *get_attempt(weir_registry_t *reg, int64_t deadline_ms,
                                 void *varg)
{
    get_arg_t *arg = varg;
    return reg->ops->get_by_id(reg->be, deadline_ms, arg->id, &arg->type,
                               &arg->text);
}

/* Removes a FAILED entry once nobody waits on it. Lock held. */
static void entry_release_failed(weir_registry_t *reg, id_entry_t *e)
{
    if (e->state != ENTRY_FAILED || e->waiters > 0)
        return;
    HASH_DEL(reg->ids, e);
    weir_error_destroy(e->err);
    weir__free(e);
}

weir_error_t *weir_registry_get_by_id(weir_registry_t *reg, int32_t id,
                                      const weir_registry_schema_t **schemap)
{
    *schemap = NULL;
    if (id < 0)
        /* Registry ids are never negative: garbage costs no request. */
        return weir_error_new(WEIR_ERR_NOT_FOUND,
                              "schema id %" PRId32 " cannot exist", id);
    int hash_oom = 0;
    pthread_mutex_lock(&reg->lock);
    id_entry_t *e;
    HASH_FIND_INT(reg->ids, &id, e);
    if (e && e->state == ENTRY_READY) {
        pthread_mutex_unlock(&reg->lock);
        atomic_fetch_add(&reg->cache_hits, 1);
        *schemap = &e->schema;
        return NULL;
    }
    atomic_fetch_add(&reg->cache_misses, 1);
    if (e && e->state == ENTRY_PENDING) {
        /* Someone is fetching it: wait for their result. */
        e->waiters++;
        while (e->state == ENTRY_PENDING)
            pthread_cond_wait(&reg->cond, &reg->lock);
        e->waiters--;
        weir_error_t *err = NULL;
        if (e->state == ENTRY_READY) {
            *schemap = &e->schema;
        } else {
            err = weir__error_copy(e->err);
            entry_release_failed(reg, e);
        }
        pthread_mutex_unlock(&reg->lock);
        return err;
    }
    if (e) {
        /* FAILED, with waiters still to collect the error: fetch again. */
        weir_error_destroy(e->err);
        e->err = NULL;
        e->state = ENTRY_PENDING;
    } else {
        e = weir__calloc(1, sizeof(*e));
        if (e) {
            e->id = id;
            e->state = ENTRY_PENDING;
            HASH_ADD_INT(reg->ids, id, e);
            if (hash_oom) {
                weir__free(e);
                e = NULL;
            }
        }
        if (!e) {
            pthread_mutex_unlock(&reg->lock);
            return weir_error_new(WEIR_ERR_NOMEM, "schema id cache");
        }
    }
    pthread_mutex_unlock(&reg->lock);

    char what[64];
    snprintf(what, sizeof(what), "get schema id %" PRId32, id);
    get_arg_t arg = {.id = id};
    weir_error_t *err = with_retry(reg, what, get_attempt, &arg);

    pthread_mutex_lock(&reg->lock);
    if (!err) {
        e->schema.id = id;
        e->schema.type = arg.type;
        e->schema.text = arg.text;
        e->state = ENTRY_READY;
        *schemap = &e->schema;
        weir__dbg(&reg->settings->log, REGISTRY, "REGISTRY",
                  "cached schema id %" PRId32 " (%s)", id, arg.type);
    } else {
        e->state = ENTRY_FAILED;
        e->err = e->waiters > 0 ? weir__error_copy(err) : NULL;
        entry_release_failed(reg, e);
    }
    pthread_cond_broadcast(&reg->cond);
    pthread_mutex_unlock(&reg->lock);
    return err;
}

/* ---- register and lookup ---------------------------------------------- */

static char *subject_key(const char *subject, const char *type,
                         const char *text, size_t *lenp)
{
    size_t ls = strlen(subject), lt = strlen(type), lx = strlen(text);
    size_t len = ls + 1 + lt + 1 + lx;
    char *key = weir__malloc(len);
    if (!key)
        return NULL;
    memcpy(key, subject, ls + 1);
    memcpy(key + ls + 1, type, lt + 1);
    memcpy(key + ls + 1 + lt + 1, text, lx);
    *lenp = len;
    return key;
}

/* Looks the key up in the subject cache; true and *idp on a hit. */
static bool subject_cache_get(weir_registry_t *reg, const char *key,
                              size_t key_len, int32_t *idp)
{
    subject_entry_t *s;
    pthread_mutex_lock(&reg->lock);
    HASH_FIND(hh, reg->subjects, key, key_len, s);
    if (s)
        *idp = s->id;
    pthread_mutex_unlock(&reg->lock);
    atomic_fetch_add(s ? &reg->cache_hits : &reg->cache_misses, 1);
    return s != NULL;
}

/* Caches key -> id; takes @p key. A failure to cache is not an error. */
static void subject_cache_put(weir_registry_t *reg, char *key, size_t key_len,
                              int32_t id)
{
    int hash_oom = 0;
    pthread_mutex_lock(&reg->lock);
    subject_entry_t *s;
    HASH_FIND(hh, reg->subjects, key, key_len, s);
    if (!s) {
        s = weir__calloc(1, sizeof(*s));
        if (s) {
            s->key = key;
            s->key_len = key_len;
            s->id = id;
            HASH_ADD_KEYPTR(hh, reg->subjects, s->key, s->key_len, s);
            if (hash_oom) {
                weir__free(s);
                s = NULL;
            } else {
                key = NULL;
            }
        }
    }
    pthread_mutex_unlock(&reg->lock);
    weir__free(key);
}

static weir_error_t *check_schema_args(const char *subject, const char **typep,
                                       const char *text)
{
    if (!subject || !*subject || !text)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "schema registry: subject and schema text are "
                              "required");
    if (!*typep)
        *typep = "AVRO";
    if (strcmp(*typep, "AVRO") && strcmp(*typep, "PROTOBUF") &&
        strcmp(*typep, "JSON"))
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "schema registry: unknown schema type \"%s\"",
                              *typep);
    return NULL;
}

typedef struct subject_arg_s {
    const char *subject;
    const char *type;
    const char *text;
    int32_t id;
    bool found;
} subject_arg_t;

static weir_error_t *register_attempt(weir_registry_t *reg,
                                      int64_t deadline_ms, void *varg)
{
    subject_arg_t *arg = varg;
    return reg->ops->register_schema(reg->be, deadline_ms, arg->subject,
                                     arg->type, arg->text, &arg->id);
}

static weir_error_t *lookup_attempt(weir_registry_t *reg, int64_t deadline_ms,
                                    void *varg)
{
    subject_arg_t *arg = varg;
    return reg->ops->lookup(reg->be, deadline_ms, arg->subject, arg->type,
                            arg->text, &arg->id, &arg->found);
}

static weir_error_t *subject_call(weir_registry_t *reg, bool do_register,
                                  const char *subject, const char *type,
                                  const char *text, int32_t *idp, bool *foundp)
{
    *idp = -1;
    if (foundp)
        *foundp = false;
    weir_error_t *err = check_schema_args(subject, &type, text);
    if (err)
        return err;
    size_t key_len;
    char *key = subject_key(subject, type, text, &key_len);
    if (!key)
        return weir_error_new(WEIR_ERR_NOMEM, "schema registry key");
    if (subject_cache_get(reg, key, key_len, idp)) {
        weir__free(key);
        if (foundp)
            *foundp = true;
        return NULL;
    }
    char what[300];
    snprintf(what, sizeof(what), "%s schema under subject %.200s",
             do_register ? "register" : "look up", subject);
    subject_arg_t arg = {
        .subject = subject, .type = type, .text = text, .id = -1};
    err = with_retry(reg, what,
                     do_register ? register_attempt : lookup_attempt, &arg);
    if (err) {
        weir__free(key);
        return err;
    }
    if (!do_register && !arg.found) {
        weir__free(key);
        return NULL;
    }
    *idp = arg.id;
    if (foundp)
        *foundp = true;
    weir__dbg(&reg->settings->log, REGISTRY, "REGISTRY",
              "subject %s: schema id %" PRId32, subject, arg.id);
    subject_cache_put(reg, key, key_len, arg.id);
    return NULL;
}

weir_error_t *weir_registry_register(weir_registry_t *reg, const char *subject,
                                     const char *type, const char *text,
                                     int32_t *idp)
{
    return subject_call(reg, true, subject, type, text, idp, NULL);
}

weir_error_t *weir_registry_lookup(weir_registry_t *reg, const char *subject,
                                   const char *type, const char *text,
                                   int32_t *idp, bool *foundp)
{
    return subject_call(reg, false, subject, type, text, idp, foundp);
}
