/*
 * ww_instance.h: instances of the word-window app (word_windows.h) for
 * integration tests, in this process or in a forked child that a test
 * can kill -9.
 *
 * A forked child creates its librdkafka handles after the fork; the
 * caller must not fork while another of its threads holds librdkafka
 * handles mid-call (produce between forks, not during them). On SIGTERM
 * the child closes cleanly and writes its counters to
 * <state_dir>/counters.txt, then exits 0.
 */
#ifndef WEIR_TEST_WW_INSTANCE_H
#define WEIR_TEST_WW_INSTANCE_H

#include <stdint.h>
#include <sys/types.h>

#include <weir/weir.h>

typedef struct ww_instance_s {
    const char *name; /* for messages: "A", "B" */
    char *state_dir;  /* owned */
    weir_app_t *app;  /* in this process, or NULL */
    pid_t pid;        /* a forked child, or 0 */
} ww_instance_t;

/* What an instance counted (weir_app_metric names). */
typedef struct ww_counters_s {
    uint64_t records_in, restored, rebalances, late;
} ww_counters_t;

/*
 * The app settings of an instance: the word-window topology from @p in to
 * @p out under @p app_id, exactly_once_v2, @p threads stream threads, and
 * @p props (NULL-terminated key, value pairs; NULL for none) on top.
 */
typedef struct ww_setup_s {
    const char *app_id, *in, *out;
    int threads;
    const char *const *props;
} ww_setup_t;

/* Starts an instance in this process, with a new state dir. */
void ww_instance_start(ww_instance_t *inst, const char *name,
                       const ww_setup_t *setup);

/* Its counters so far. */
ww_counters_t ww_instance_counters(const ww_instance_t *inst);

/* Closes an in-process instance (it must not have failed), removes its
 * state dir and returns its counters. */
ww_counters_t ww_instance_stop(ww_instance_t *inst);

/* Starts an instance in a forked child. @p state_dir: the dir of an
 * earlier instance to restart on (taken), or NULL for a new one. */
void ww_instance_fork(ww_instance_t *inst, const char *name,
                      const ww_setup_t *setup, char *state_dir);

/* SIGKILLs a forked instance and reaps it; its state dir stays (for a
 * restart on it) and is returned (the caller takes it). */
char *ww_instance_kill(ww_instance_t *inst);

/* SIGTERMs a forked instance, waits for a clean exit and returns the
 * counters it wrote; removes its state dir. */
ww_counters_t ww_instance_term(ww_instance_t *inst);

/* Waits (up to @p timeout_ms) until an in-process instance has taken in
 * at least @p n records (source and repartition records both count). */
void ww_instance_wait_records_in(const ww_instance_t *inst, uint64_t n,
                                 int timeout_ms);

/* CLOCK_MONOTONIC in ms: the same clock in forked children. */
int64_t ww_mono_ms(void);

/* Waits (up to @p timeout_ms) until a forked instance reached RUNNING;
 * returns when it did (ww_mono_ms()). */
int64_t ww_instance_wait_forked_running(const ww_instance_t *inst,
                                        int timeout_ms);

/* Waits (up to @p timeout_ms) until an in-process instance is RUNNING. */
void ww_instance_wait_running(const ww_instance_t *inst, int timeout_ms);

#endif /* WEIR_TEST_WW_INSTANCE_H */
