/**
 * @file app.h
 * @brief Running a topology on Kafka: the application lifecycle.
 *
 * @code
 * weir_app_t *app = weir_app_new(topo, conf, &err);   // takes topo, conf
 * if (!app) { ... weir_error_string(err) ... }
 * err = weir_app_start(app);           // returns once threads run
 * ... until SIGTERM ...
 * err = weir_app_close(app, 30000);    // commit, flush stores, leave group
 * weir_app_destroy(app);
 * @endcode
 *
 * States (weir/app_state.h): CREATED → (start) REBALANCING ⇄ RUNNING →
 * (close) PENDING_SHUTDOWN → NOT_RUNNING; any thread failing for good
 * moves the app to ERROR (close is still required). The listener of state
 * changes is registered on the conf, with the conf's one opaque, like
 * every other callback (weir_conf_set_state_cb()).
 *
 * @remark The app is driven from one thread (the one that created it);
 *         its stream threads are its own. No function here may be called
 *         from a processor callback or a state listener.
 */
#ifndef WEIR_APP_H
#define WEIR_APP_H

#include <weir/app_state.h>
#include <weir/conf.h>
#include <weir/error.h>
#include <weir/topology.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_app_s weir_app_t;

/**
 * @brief Creates an application from a built topology and a conf.
 * @returns the app, which then owns @p topo and @p conf; or NULL with
 *          *errp set (WEIR_ERR_CONFIG naming the key, WEIR_ERR_TOPOLOGY),
 *          in which case the caller keeps both.
 * @remark The topology is built here if it was not.
 */
WEIR_EXPORT weir_app_t *weir_app_new(weir_topology_t *topo, weir_conf_t *conf,
                                     weir_error_t **errp);

/**
 * @brief Checks the input topics (they must exist; the inputs of one
 *        sub-topology must have equal partition counts), creates the
 *        internal topics, loads the global stores and starts the stream
 *        threads.
 * @returns NULL once the threads run, or the first problem: WEIR_ERR_CONFIG
 *          (a missing input topic, co-partitioning, an internal topic that
 *          exists with the wrong partitions or cleanup policy, a
 *          metrics.port that cannot be bound), WEIR_ERR_TIMEOUT (brokers
 *          unreachable for broker.down.timeout.ms), WEIR_ERR_IO
 *          (state.dir).
 * @remark Blocking. Call once. After an error the app may have started
 *         some threads: weir_app_close() / weir_app_destroy() it as
 *         usual.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_app_start(weir_app_t *app);

/**
 * @brief Stops processing: every thread commits, closes its tasks (stores
 *        flushed) and leaves the group (unless group.instance.id is set).
 * @param timeout_ms  how long to wait for the threads; past it they are
 *                    abandoned with WEIR_ERR_TIMEOUT (their uncommitted
 *                    work is then redone by whoever takes the tasks over).
 * @returns NULL, WEIR_ERR_TIMEOUT, or the error that moved the app to
 *          ERROR.
 * @remark Blocking; safe to call in any state, more than once.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_app_close(weir_app_t *app, int timeout_ms);

/** @brief Closes (if needed, 30 s timeout) and frees. NULL is fine. */
WEIR_EXPORT void weir_app_destroy(weir_app_t *app);

/** @brief The current state. Thread-safe. */
WEIR_EXPORT weir_app_state_t weir_app_state(const weir_app_t *app);

/**
 * @brief A metric of the app, summed over its threads, by name: the
 *        counters "records-in", "records-out", "commits", "aborts",
 *        "late-records", "dropped-records", "dead-lettered",
 *        "restored-records", "standby-records", "rebalances",
 *        "watermark-markers-out", and the gauges "restoring-tasks",
 *        "restore-records-remaining", "standby-tasks",
 *        "standby-lag-records"; 0 for an unknown name.
 *        Thread-safe. The same figures are served to Prometheus when
 *        metrics.port is set.
 */
WEIR_EXPORT uint64_t weir_app_metric(const weir_app_t *app, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_APP_H */
