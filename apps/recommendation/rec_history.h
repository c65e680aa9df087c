/**
 * @file rec_history.h
 * @brief What a user was recently shown: the end of the last window
 *        recommended for, and the products of each window ending within
 *        the repeat TTL. Stored per user in the "recent-recommendations"
 *        store (encoded as text lines) and used by the oracle too.
 *
 * Encoding: the first line is the last closed window end; each further
 * line is a window end followed by its product ids, tab-separated
 * (inventory ids never hold control characters).
 */
#ifndef REC_HISTORY_H
#define REC_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weir/error.h>

typedef struct rec_history_s rec_history_t;

/** @brief An empty history (last end INT64_MIN). NULL when out of memory. */
rec_history_t *rec_history_new(void);

/** @brief Decodes @p data; WEIR_ERR_STORE when it is not a history. */
rec_history_t *rec_history_decode(const void *data, size_t len,
                                  weir_error_t **errp);

void rec_history_destroy(rec_history_t *h);

/** @brief The end of the last window recorded (INT64_MIN: none). */
int64_t rec_history_last_end(const rec_history_t *h);

/**
 * @brief True when @p id was recommended in an earlier window whose end
 *        is less than @p ttl_ms before @p window_end.
 */
bool rec_history_shown(const rec_history_t *h, const char *id,
                       int64_t window_end, int64_t ttl_ms);

/**
 * @brief Records the window ending at @p window_end with its products and
 *        forgets windows that can no longer matter (end <= window_end -
 *        ttl_ms).
 */
weir_error_t *rec_history_add(rec_history_t *h, int64_t window_end,
                              const char *const *ids, size_t n,
                              int64_t ttl_ms);

/** @brief Encodes into a malloc()ed buffer (free()), NUL-terminated
 *         (the NUL is not counted in *lenp). */
weir_error_t *rec_history_encode(const rec_history_t *h, char **datap,
                                 size_t *lenp);

#endif /* REC_HISTORY_H */
