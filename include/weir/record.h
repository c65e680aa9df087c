/**
 * @file record.h
 * @brief Records as processors see them, and their headers.
 *
 * A weir_record_t carries deserialized objects (see weir/serde.h for what
 * an object is for each serde): a key, a value, a timestamp in
 * milliseconds since the epoch, and the Kafka headers. Records handed to a
 * processor are BORROWED for the duration of the call: copy what you keep.
 * A record a processor forwards is borrowed by the children in turn; the
 * processor frees what it made after weir_processor_forward() returns.
 *
 * Headers are an ordered list of (name, bytes) pairs; names may repeat, as
 * in Kafka.
 */
#ifndef WEIR_RECORD_H
#define WEIR_RECORD_H

#include <weir/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_headers_s weir_headers_t;

/**
 * @brief One record: objects, not bytes. A NULL key or value is Kafka's
 *        null (a missing key, a tombstone).
 *
 * **Growing: reserved space.** Records are built on the stack for every
 * forward, so there is no constructor to call: build one with a
 * designated initializer (`weir_record_t out = {.key = k, .key_len = n,
 * .value = v, ...}`) or as a copy of a record you were given, and set
 * fields by name; never fill an uninitialized one field by field. That
 * keeps @c reserved zero (or as the framework made it). A field added
 * later takes its room from @c reserved and means "as before" when zero,
 * so the size and layout of weir_record_t do not change and code built
 * against this header keeps working with later libraries.
 */
typedef struct weir_record_s {
    const void *key;               /**< key object, or NULL */
    size_t key_len;                /**< length as the key serde defines it */
    const void *value;             /**< value object, or NULL */
    size_t value_len;              /**< length as the value serde defines it */
    int64_t timestamp;             /**< event time, ms since the epoch */
    const weir_headers_t *headers; /**< NULL means no headers */
    void *reserved[4];             /**< zero; room for fields to come */
} weir_record_t;

/** @brief A new empty header list, or NULL when out of memory. */
WEIR_EXPORT weir_headers_t *weir_headers_new(void);

/** @brief Frees a header list. NULL is fine. */
WEIR_EXPORT void weir_headers_destroy(weir_headers_t *hdrs);

/** @brief A deep copy of @p hdrs (NULL gives an empty list). */
WEIR_EXPORT weir_headers_t *weir_headers_copy(const weir_headers_t *hdrs);

/**
 * @brief Appends a header; @p name and @p value are copied. A NULL
 *        @p value is a header with a null value.
 * @returns NULL, or WEIR_ERR_NOMEM / WEIR_ERR_INVALID_ARG (NULL name).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_headers_add(weir_headers_t *hdrs,
                                           const char *name, const void *value,
                                           size_t value_len);

/** @brief Removes every header called @p name. */
WEIR_EXPORT void weir_headers_remove(weir_headers_t *hdrs, const char *name);

/** @brief The number of headers. NULL counts as empty. */
WEIR_EXPORT size_t weir_headers_count(const weir_headers_t *hdrs);

/**
 * @brief The @p idx-th header. Returned pointers live as long as the list
 *        is not modified.
 * @returns false when @p idx is out of range.
 */
WEIR_EXPORT bool weir_headers_get(const weir_headers_t *hdrs, size_t idx,
                                  const char **namep, const void **valuep,
                                  size_t *value_lenp);

/**
 * @brief The last header called @p name (Kafka's lastHeader()).
 * @returns false when there is none.
 */
WEIR_EXPORT bool weir_headers_last(const weir_headers_t *hdrs,
                                   const char *name, const void **valuep,
                                   size_t *value_lenp);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_RECORD_H */
