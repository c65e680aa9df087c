/**
 * @file error.h
 * @brief weir's one error convention: a function that can fail returns
 *        a weir_error_t *, and NULL means success.
 *
 * An error carries a code (WEIR_ERR_*), a message that names what failed
 * (store, topic, partition, offset), and three flags the exactly-once loop
 * needs: retriable, fatal and txn_requires_abort. A wrapped librdkafka or
 * RocksDB error keeps its original code (weir_error_origin_code()).
 */
#ifndef WEIR_ERROR_H
#define WEIR_ERROR_H

#include <weir/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The error codes. Append only: a code is retired, never renumbered.
 * X(NAME, number, description)
 */
#define WEIR_ERRORS(X)                                                    \
    X(OK, 0, "Success")                                                   \
    X(INVALID_ARG, 1, "Invalid argument")                                 \
    X(NOMEM, 2, "Out of memory")                                          \
    X(IO, 3, "I/O error")                                                 \
    X(CONFIG, 4, "Invalid configuration")                                 \
    X(NOT_FOUND, 5, "Not found")                                          \
    X(EXISTS, 6, "Already exists")                                        \
    X(STATE, 7, "Operation not allowed in the current state")             \
    X(TOPOLOGY, 8, "Invalid topology")                                    \
    X(SERDE, 9, "Serialization or deserialization failed")                \
    X(SCHEMA, 10, "Schema error")                                         \
    X(REGISTRY, 11, "Schema registry error")                              \
    X(STORE, 12, "State store error")                                     \
    X(STORE_CORRUPT, 13, "State store is corrupt")                        \
    X(STORE_LOCKED, 14, "State store is locked by another process")       \
    X(STORE_VERSION, 15, "State store has an unsupported format version") \
    X(KAFKA, 16, "Kafka error")                                           \
    X(TXN_ABORT, 17, "Transaction must be aborted")                       \
    X(FENCED, 18, "Producer fenced by a newer instance")                  \
    X(TIMEOUT, 19, "Timed out")                                           \
    X(TOO_LARGE, 20, "Value exceeds its size limit")                      \
    X(UNSUPPORTED, 21, "Not supported")                                   \
    X(PROCESSING, 22, "Processing error")                                 \
    X(CSV, 23, "CSV parse error")                                         \
    X(HTTP, 24, "HTTP error")                                             \
    X(NO_SPACE, 25, "No space left on device")                            \
    X(CANCELLED, 26, "Cancelled")

typedef enum weir_err_e {
#define WEIR__ERR_ENUM(name, num, desc) WEIR_ERR_##name = num,
    WEIR_ERRORS(WEIR__ERR_ENUM)
#undef WEIR__ERR_ENUM
    WEIR_ERR__END
} weir_err_t;

typedef struct weir_error_s weir_error_t;

/**
 * @brief Creates an error with a printf-style message.
 * @returns a new error, to be freed with weir_error_destroy(); never NULL
 *          (on allocation failure a static out-of-memory error is returned,
 *          which weir_error_destroy() accepts too).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_error_new(weir_err_t code, const char *fmt, ...)
    WEIR_PRINTF(2, 3);

/** @brief Frees an error. NULL is fine. */
WEIR_EXPORT void weir_error_destroy(weir_error_t *err);

/** @brief The error's code. */
WEIR_EXPORT weir_err_t weir_error_code(const weir_error_t *err);

/**
 * @brief The error's message.
 * @remark Lives as long as @p err. Never NULL.
 */
WEIR_EXPORT const char *weir_error_string(const weir_error_t *err);

/**
 * @brief The code of the library error this one wraps (an rd_kafka_resp_err_t
 *        or a RocksDB status), or 0 when it wraps none.
 */
WEIR_EXPORT int weir_error_origin_code(const weir_error_t *err);

/** @brief True when the same operation may succeed if tried again. */
WEIR_EXPORT bool weir_error_is_retriable(const weir_error_t *err);

/** @brief True when the instance cannot go on (e.g. fenced). */
WEIR_EXPORT bool weir_error_is_fatal(const weir_error_t *err);

/** @brief True when the current transaction must be aborted. */
WEIR_EXPORT bool weir_error_txn_requires_abort(const weir_error_t *err);

/** @brief Sets the flags; returns @p err for chaining. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_error_set_retriable(weir_error_t *err, bool v);
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_error_set_fatal(weir_error_t *err, bool v);
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_error_set_txn_requires_abort(weir_error_t *err,
                                                            bool v);
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_error_set_origin_code(weir_error_t *err,
                                                     int code);

/**
 * @brief Prefixes the message with more context ("store views: " + msg).
 * @returns @p err.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_error_prefix(weir_error_t *err, const char *fmt,
                                            ...) WEIR_PRINTF(2, 3);

/** @brief Description of a code, e.g. "Invalid argument". */
WEIR_EXPORT const char *weir_err2str(weir_err_t code);

/** @brief Name of a code, e.g. "INVALID_ARG". */
WEIR_EXPORT const char *weir_err2name(weir_err_t code);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_ERROR_H */
