/*
 * log_int.h: the logger every weir module logs through.
 *
 * A weir__logger_t is a small value (callback, opaque, level, debug mask)
 * that owners copy into the objects they create, so statestore and the
 * framework log the same way without depending on each other.
 */
#ifndef WEIR_LOG_INT_H
#define WEIR_LOG_INT_H

#include <stdint.h>

#include <weir/log.h>

/* Debug contexts, enabled with the "debug" property (debug=store,eos). */
#define WEIR__DBG_STORE (1u << 0)
#define WEIR__DBG_TASK (1u << 1)
#define WEIR__DBG_EOS (1u << 2)
#define WEIR__DBG_SERDE (1u << 3)
#define WEIR__DBG_REGISTRY (1u << 4)
#define WEIR__DBG_TOPOLOGY (1u << 5)
#define WEIR__DBG_RESTORE (1u << 6)
#define WEIR__DBG_ALL 0xffffffffu

typedef struct weir__logger_s {
    weir_log_cb_t *cb; /* NULL: weir_log_stderr */
    void *opaque;
    int level;      /* lines above this level are dropped (default INFO) */
    uint32_t debug; /* WEIR__DBG_* mask */
} weir__logger_t;

/* A logger with the defaults: stderr, INFO, no debug contexts. */
weir__logger_t weir__logger_default(void);

void weir__logf(const weir__logger_t *log, int level, const char *fac,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parses "store,eos,all" into a mask; returns -1 and names nothing on error
 * (the caller reports the bad word). */
int weir__debug_parse(const char *s, uint32_t *maskp, const char **badp,
                      size_t *badlenp);

#define weir__log(log, level, fac, ...) \
    weir__logf((log), (level), (fac), __VA_ARGS__)

/* Checks the mask before formatting anything. */
#define weir__dbg(log, ctx, fac, ...)                                 \
    do {                                                              \
        const weir__logger_t *weir__l_ = (log);                       \
        if (weir__l_ && (weir__l_->debug & WEIR__DBG_##ctx))          \
            weir__logf(weir__l_, WEIR_LOG_DEBUG, (fac), __VA_ARGS__); \
    } while (0)

#endif /* WEIR_LOG_INT_H */
