/*
 * http_int.h: the runtime's small HTTP server (metrics.host:metrics.port):
 * GET /metrics in the Prometheus text format, GET /health with the app's
 * state.
 *
 * The server knows the app only through weir__http_src_t: the shared
 * runtime state (counters, application id, store environment, logger) and
 * two callbacks for what only the app knows. It serves from one internal
 * thread of libmicrohttpd, which reads counters with atomic loads and
 * calls the callbacks; the app keeps everything they touch alive until
 * weir__http_stop() returns.
 */
#ifndef WEIR_HTTP_INT_H
#define WEIR_HTTP_INT_H

#include <weir/app.h>

#include "runtime_int.h"

typedef struct weir__http_s weir__http_t;

/* What the server reports on. Every member must stay valid until the
 * server is stopped; the callbacks run on the server's thread and must be
 * thread-safe. */
typedef struct weir__http_src_s {
    weir__rt_t *rt; /* app_id, metrics, env (may be NULL), log */
    /* The app's current state. */
    weir_app_state_t (*state)(void *opaque);
    /* Stream threads alive (started, neither stopped nor failed); NULL:
     * the gauge is left out. */
    int (*alive_threads)(void *opaque);
    void *opaque;
} weir__http_src_t;

/*
 * Binds @p host:@p port and starts serving. @p port 0 binds a free port
 * (tests; see weir__http_port()). @p src is copied.
 * Returns NULL with *httpp set, or WEIR_ERR_CONFIG naming metrics.host /
 * metrics.port when the address does not resolve or cannot be bound (a
 * port in use), WEIR_ERR_NOMEM.
 */
weir_error_t *weir__http_start(const weir__http_src_t *src, const char *host,
                               int port, weir__http_t **httpp);

/* The port the server listens on. */
int weir__http_port(const weir__http_t *http);

/* Stops serving: waits for a request being answered, closes the socket.
 * Idempotent; NULL is fine. After it returns, @p src is no longer read. */
void weir__http_stop(weir__http_t *http);

/* Stops (if needed) and frees. NULL is fine. */
void weir__http_destroy(weir__http_t *http);

#endif /* WEIR_HTTP_INT_H */
