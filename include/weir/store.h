/**
 * @file store.h
 * @brief Key-value state stores: what a processor reads and writes.
 *
 * Keys and values are bytes. Keys are ordered bytewise (memcmp order, a
 * shorter key first when one is a prefix of the other), in every store
 * implementation, so range and prefix scans return the same sequence from
 * RocksDB and from memory.
 *
 * A store handed to a processor belongs to the framework: processors never
 * open, close or destroy it. Inside a transaction (exactly-once), writes go
 * to the task's pending batch and reads and iterators see them.
 *
 * Lifecycle (open, transactions, changelogs, restore) is the owner's
 * business, in weir/statestore.h, which this header and the other
 * processor-facing ones (weir/processor.h, weir/window_store.h,
 * weir/dsl.h) do not include.
 */
#ifndef WEIR_STORE_H
#define WEIR_STORE_H

#include <weir/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_kv_store_s weir_kv_store_t;
typedef struct weir_kv_iter_s weir_kv_iter_t;

/** @brief The store's name, as given when it was declared. */
WEIR_EXPORT const char *weir_kv_store_name(const weir_kv_store_t *kv);

/**
 * @brief Reads a key.
 * @param valp     receives a copy of the value (free with weir_free()), or
 *                 NULL when not found.
 * @param foundp   receives whether the key exists. Not found is a result,
 *                 not an error.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_kv_store_get(weir_kv_store_t *kv,
                                            const void *key, size_t key_len,
                                            void **valp, size_t *val_lenp,
                                            bool *foundp);

/** @brief Writes a key (overwrites). */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_kv_store_put(weir_kv_store_t *kv,
                                            const void *key, size_t key_len,
                                            const void *val, size_t val_len);

/** @brief Deletes a key; deleting a missing key is not an error. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_kv_store_delete(weir_kv_store_t *kv, const void *key, size_t key_len);

/**
 * @brief Iterates keys between two bounds in key order.
 * @param from  lower bound, or NULL for unbounded.
 * @param to    upper bound, or NULL for unbounded.
 * @remark The iterator must be closed with weir_kv_iter_close() before the
 *         store's transaction commits or aborts.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_kv_store_range(weir_kv_store_t *kv, const void *from, size_t from_len,
                    bool from_inclusive, const void *to, size_t to_len,
                    bool to_inclusive, weir_kv_iter_t **iterp);

/** @brief Iterates the keys that start with @p prefix, in key order. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_kv_store_prefix_scan(weir_kv_store_t *kv,
                                                    const void *prefix,
                                                    size_t prefix_len,
                                                    weir_kv_iter_t **iterp);

/** @brief Iterates every key, in key order. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_kv_store_all(weir_kv_store_t *kv,
                                            weir_kv_iter_t **iterp);

/** @brief An estimate of the number of keys (exact for in-memory). */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_kv_store_approximate_count(weir_kv_store_t *kv,
                                                          uint64_t *countp);

/** @brief True while the iterator points at an entry. */
WEIR_EXPORT bool weir_kv_iter_valid(const weir_kv_iter_t *it);

/** @brief Moves to the next entry. */
WEIR_EXPORT void weir_kv_iter_next(weir_kv_iter_t *it);

/** @brief The current key; valid until the next call on the iterator. */
WEIR_EXPORT const void *weir_kv_iter_key(const weir_kv_iter_t *it,
                                         size_t *lenp);

/** @brief The current value; valid until the next call on the iterator. */
WEIR_EXPORT const void *weir_kv_iter_value(const weir_kv_iter_t *it,
                                           size_t *lenp);

/**
 * @brief The error that ended the iteration early, or NULL. The iterator
 *        keeps ownership.
 */
WEIR_EXPORT const weir_error_t *weir_kv_iter_error(const weir_kv_iter_t *it);

/** @brief Closes the iterator. NULL is fine. */
WEIR_EXPORT void weir_kv_iter_close(weir_kv_iter_t *it);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_STORE_H */
