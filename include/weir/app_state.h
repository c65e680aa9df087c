/**
 * @file app_state.h
 * @brief The states of an application and the listener of their changes
 *        (declared apart from weir/app.h so that weir/conf.h, where the
 *        listener is registered, can name them).
 *
 * States: CREATED → (start) REBALANCING ⇄ RUNNING → (close)
 * PENDING_SHUTDOWN → NOT_RUNNING; any thread failing for good moves the
 * app to ERROR (close is still required).
 */
#ifndef WEIR_APP_STATE_H
#define WEIR_APP_STATE_H

#include <weir/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum weir_app_state_e {
    WEIR_APP_CREATED,
    WEIR_APP_REBALANCING,
    WEIR_APP_RUNNING,
    WEIR_APP_PENDING_SHUTDOWN,
    WEIR_APP_NOT_RUNNING,
    WEIR_APP_ERROR
} weir_app_state_t;

/** @brief "CREATED", "REBALANCING", ... */
WEIR_EXPORT const char *weir_app_state_name(weir_app_state_t state);

/**
 * @brief Called on every state change; registered with
 *        weir_conf_set_state_cb(), @p opaque is the conf's
 *        (weir_conf_set_opaque()).
 * @remark Runs on the thread that caused the change (a stream thread or
 *         the caller of start/close); must be quick and thread-safe, and
 *         must not call weir_app_* functions.
 */
typedef void(weir_app_state_cb_t)(void *opaque, weir_app_state_t old_state,
                                  weir_app_state_t new_state);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_APP_STATE_H */
