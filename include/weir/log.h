/**
 * @file log.h
 * @brief Log callbacks. Library code never prints: it logs through a
 *        weir_log_cb_t with a syslog level and a short upper-case facility.
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <weir/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* syslog levels, so that <syslog.h> is not required */
#define WEIR_LOG_EMERG 0
#define WEIR_LOG_ALERT 1
#define WEIR_LOG_CRIT 2
#define WEIR_LOG_ERR 3
#define WEIR_LOG_WARNING 4
#define WEIR_LOG_NOTICE 5
#define WEIR_LOG_INFO 6
#define WEIR_LOG_DEBUG 7

/**
 * @brief A log line. @p fac is a short upper-case tag ("RESTORE", "EOS",
 *        "KAFKA" for librdkafka's own lines); @p msg has no trailing newline.
 * @remark Called from any weir thread, possibly concurrently: it must be
 *         thread-safe. Strings are borrowed for the call.
 */
typedef void(weir_log_cb_t)(void *opaque, int level, const char *fac,
                            const char *msg);

/** @brief The default log callback: one line to stderr with a timestamp. */
WEIR_EXPORT void weir_log_stderr(void *opaque, int level, const char *fac,
                                 const char *msg);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_LOG_H */
