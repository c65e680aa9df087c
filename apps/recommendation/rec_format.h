/**
 * @file rec_format.h
 * @brief The output record's value, as the seed's Flink job writes it:
 *        `user-27,"140,13,137,95,39,138","2024-06-28 13:01:55"`.
 */
#ifndef REC_FORMAT_H
#define REC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @brief Writes `YYYY-MM-DD HH:MM:SS` of @p ms (ms since the epoch, in
 *        UTC; milliseconds are cut) into @p buf (at least 20 bytes).
 * @returns false when the time cannot be represented.
 */
bool rec_format_utc(int64_t ms, char *buf, size_t size);

/**
 * @brief The output value: the user (CSV-quoted only if it needs it), the
 *        product ids joined by commas in one quoted field, and the window
 *        end in UTC in another.
 * @returns a string to free(), or NULL when out of memory or the time is
 *          out of range.
 */
char *rec_format_value(const char *user, const char *const *ids, size_t n,
                       int64_t window_end_ms);

#endif /* REC_FORMAT_H */
