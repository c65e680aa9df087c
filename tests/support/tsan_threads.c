/*
 * tsan_threads.c: C11 thread creation through pthreads, for
 * ThreadSanitizer builds only (WEIR_SANITIZE=thread).
 *
 * librdkafka starts its threads with thrd_create() and locks with
 * mtx_lock() and cnd_wait(), which glibc 2.36 implements without going
 * through the pthread functions TSan intercepts: its threads crash on
 * their first allocation, and TSan sees none of its locking (every
 * hand-over between its threads looks like a race). Defined in the test
 * executable (and exported), these win over glibc's for librdkafka's
 * calls and go through the intercepted pthread functions. glibc's mtx_t
 * and cnd_t hold a pthread_mutex_t and a pthread_cond_t.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

typedef struct start_s {
    thrd_start_t fn;
    void *arg;
} start_t;

static void *trampoline(void *p)
{
    start_t s = *(start_t *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

EXPORT int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    start_t *s = malloc(sizeof(*s));
    if (!s)
        return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    pthread_t tid;
    if (pthread_create(&tid, NULL, trampoline, s)) {
        free(s);
        return thrd_error;
    }
    *thr = (thrd_t)tid;
    return thrd_success;
}

EXPORT int thrd_join(thrd_t thr, int *res)
{
    void *r = NULL;
    if (pthread_join((pthread_t)thr, &r))
        return thrd_error;
    if (res)
        *res = (int)(intptr_t)r;
    return thrd_success;
}

EXPORT int thrd_detach(thrd_t thr)
{
    return pthread_detach((pthread_t)thr) ? thrd_error : thrd_success;
}

EXPORT int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (type & mtx_recursive)
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    int rc = pthread_mutex_init((pthread_mutex_t *)m, &attr);
    pthread_mutexattr_destroy(&attr);
    return rc ? thrd_error : thrd_success;
}

EXPORT int mtx_lock(mtx_t *m)
{
    return pthread_mutex_lock((pthread_mutex_t *)m) ? thrd_error
                                                    : thrd_success;
}

EXPORT int mtx_trylock(mtx_t *m)
{
    int rc = pthread_mutex_trylock((pthread_mutex_t *)m);
    return !rc ? thrd_success : rc == EBUSY ? thrd_busy : thrd_error;
}

EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict t)
{
    int rc = pthread_mutex_timedlock((pthread_mutex_t *)m, t);
    return !rc ? thrd_success : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}

EXPORT int mtx_unlock(mtx_t *m)
{
    return pthread_mutex_unlock((pthread_mutex_t *)m) ? thrd_error
                                                      : thrd_success;
}

EXPORT void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

EXPORT int cnd_init(cnd_t *c)
{
    return pthread_cond_init((pthread_cond_t *)c, NULL) ? thrd_error
                                                        : thrd_success;
}

EXPORT int cnd_signal(cnd_t *c)
{
    return pthread_cond_signal((pthread_cond_t *)c) ? thrd_error
                                                    : thrd_success;
}

EXPORT int cnd_broadcast(cnd_t *c)
{
    return pthread_cond_broadcast((pthread_cond_t *)c) ? thrd_error
                                                       : thrd_success;
}

EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    return pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m)
               ? thrd_error
               : thrd_success;
}

EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                         const struct timespec *restrict t)
{
    int rc = pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m,
                                    t);
    return !rc ? thrd_success : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}

EXPORT void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}
