/**
 * @file buf.h
 * @brief A growable byte buffer with a hard size cap.
 *
 * Serializers write into a weir_buf_t; the cap turns a runaway value into
 * WEIR_ERR_TOO_LARGE instead of an unbounded allocation.
 */
#ifndef WEIR_BUF_H
#define WEIR_BUF_H

#include <weir/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_buf_s {
    unsigned char *data; /**< the bytes; owned by the buffer */
    size_t len;          /**< bytes in use */
    size_t cap;          /**< bytes allocated */
    size_t max;          /**< hard cap on len */
} weir_buf_t;

/** Default cap: the largest message a default broker accepts is ~1 MiB. */
#define WEIR_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

/** @brief Starts an empty buffer capped at @p max bytes (0: default). */
WEIR_EXPORT void weir_buf_init(weir_buf_t *buf, size_t max);

/** @brief Appends @p len bytes; WEIR_ERR_TOO_LARGE past the cap. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_buf_append(weir_buf_t *buf, const void *data,
                                          size_t len);

/** @brief Makes room for @p extra more bytes. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_buf_reserve(weir_buf_t *buf, size_t extra);

/** @brief Empties the buffer, keeping its memory. */
WEIR_EXPORT void weir_buf_reset(weir_buf_t *buf);

/**
 * @brief Hands the bytes to the caller (free with weir_free()) and empties
 *        the buffer.
 */
WEIR_EXPORT unsigned char *weir_buf_detach(weir_buf_t *buf, size_t *lenp);

/** @brief Frees the memory; the buffer can be initialised again. */
WEIR_EXPORT void weir_buf_free(weir_buf_t *buf);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_BUF_H */
