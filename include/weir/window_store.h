/**
 * @file window_store.h
 * @brief Window stores: values per (key, window start), for windowed
 *        aggregations.
 *
 * Time is in milliseconds since the epoch. Windows are identified by their
 * start; the store does not know their size. Entries older than the
 * store's retention (relative to the largest window start written) are
 * dropped with their whole time segment and are no longer returned.
 *
 * Fetches return windows in ascending start order for one key; fetch_all
 * returns entries ordered by segment, then key, then window start.
 *
 * Like weir/store.h, this is what a processor sees: data access, and
 * the owner-time switch an aggregation sets in its init(). Creating a
 * window store and its lifecycle (transactions, changelog, restore) are
 * in the owner's header, weir/statestore.h, which this one does not
 * include.
 */
#ifndef WEIR_WINDOW_STORE_H
#define WEIR_WINDOW_STORE_H

#include <weir/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_window_store_s weir_window_store_t;
typedef struct weir_window_iter_s weir_window_iter_t;

/** @brief The store's name. */
WEIR_EXPORT const char *weir_window_store_name(const weir_window_store_t *ws);

/**
 * @brief Writes the value of @p key's window starting at @p window_start.
 *        A NULL @p val deletes it. Writes to a window that is already past
 *        retention are ignored (and counted).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_window_store_put(weir_window_store_t *ws, const void *key, size_t key_len,
                      int64_t window_start, const void *val, size_t val_len);

/**
 * @brief Reads one window. *valp is freed with weir_free(); *foundp says
 *        whether it exists.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_window_store_get(weir_window_store_t *ws, const void *key, size_t key_len,
                      int64_t window_start, void **valp, size_t *val_lenp,
                      bool *foundp);

/**
 * @brief Iterates @p key's windows with a start in [@p from, @p to],
 *        ascending.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_window_store_fetch(weir_window_store_t *ws,
                                                  const void *key,
                                                  size_t key_len, int64_t from,
                                                  int64_t to,
                                                  weir_window_iter_t **iterp);

/** @brief Iterates every key's windows with a start in [@p from, @p to]. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_window_store_fetch_all(weir_window_store_t *ws, int64_t from, int64_t to,
                            weir_window_iter_t **iterp);

/**
 * @brief Lets the owner drive expiry: puts and restores no longer move the
 *        observed time, weir_window_store_advance_time() does.
 *
 * A windowed aggregation whose event time comes from elsewhere (the
 * runtime's watermarks) writes windows far ahead of its stream time;
 * measured from the largest start written, retention would expire
 * windows that are still open. With owner time, retention is measured
 * from the time the owner gives.
 */
WEIR_EXPORT void weir_window_store_set_owner_time(weir_window_store_t *ws,
                                                  bool on);

/**
 * @brief Moves the observed time forward to @p t (never back); windows
 *        older than @p t - retention + 1 expire.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_window_store_advance_time(weir_window_store_t *ws, int64_t t);

WEIR_EXPORT bool weir_window_iter_valid(const weir_window_iter_t *it);
WEIR_EXPORT void weir_window_iter_next(weir_window_iter_t *it);
WEIR_EXPORT const void *weir_window_iter_key(const weir_window_iter_t *it,
                                             size_t *lenp);
WEIR_EXPORT int64_t
weir_window_iter_window_start(const weir_window_iter_t *it);
WEIR_EXPORT const void *weir_window_iter_value(const weir_window_iter_t *it,
                                               size_t *lenp);
WEIR_EXPORT const weir_error_t *
weir_window_iter_error(const weir_window_iter_t *it);
WEIR_EXPORT void weir_window_iter_close(weir_window_iter_t *it);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_WINDOW_STORE_H */
