/*
 * log.c: formatting and dispatch of log lines (see log_int.h).
 *
 * A line is formatted into a stack buffer (truncated at 1 KiB) so logging
 * never allocates, and the callback gets a complete line in one call, which
 * keeps concurrent lines from interleaving.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log_int.h"

static const char *level_names[] = {"EMERG", "ALERT",  "CRIT", "ERROR",
                                    "WARN",  "NOTICE", "INFO", "DEBUG"};

void weir_log_stderr(void *opaque, int level, const char *fac, const char *msg)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    const char *lname = (level >= 0 && level <= 7) ? level_names[level] : "?";
    fprintf(stderr, "%s.%03ldZ %-6s %-8s %s\n", when, ts.tv_nsec / 1000000,
            lname, fac, msg);
}

weir__logger_t weir__logger_default(void)
{
    weir__logger_t log = {NULL, NULL, WEIR_LOG_INFO, 0};
    return log;
}

void weir__logf(const weir__logger_t *log, int level, const char *fac,
                const char *fmt, ...)
{
    weir__logger_t def;
    if (!log) {
        def = weir__logger_default();
        log = &def;
    }
    if (level > log->level && level != WEIR_LOG_DEBUG)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    weir_log_cb_t *cb = log->cb ? log->cb : weir_log_stderr;
    cb(log->opaque, level, fac, line);
}

static const struct {
    const char *name;
    uint32_t bit;
} debug_names[] = {
    {"store", WEIR__DBG_STORE},       {"task", WEIR__DBG_TASK},
    {"eos", WEIR__DBG_EOS},           {"serde", WEIR__DBG_SERDE},
    {"registry", WEIR__DBG_REGISTRY}, {"topology", WEIR__DBG_TOPOLOGY},
    {"restore", WEIR__DBG_RESTORE},   {"all", WEIR__DBG_ALL},
};

int weir__debug_parse(const char *s, uint32_t *maskp, const char **badp,
                      size_t *badlenp)
{
    uint32_t mask = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n > 0) {
            size_t i;
            for (i = 0; i < sizeof(debug_names) / sizeof(debug_names[0]);
                 i++) {
                if (strlen(debug_names[i].name) == n &&
                    !strncmp(debug_names[i].name, s, n))
                    break;
            }
            if (i == sizeof(debug_names) / sizeof(debug_names[0])) {
                *badp = s;
                *badlenp = n;
                return -1;
            }
            mask |= debug_names[i].bit;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    *maskp = mask;
    return 0;
}
