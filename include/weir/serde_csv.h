/**
 * @file serde_csv.h
 * @brief CSV rows (RFC 4180): a row type, parsing and writing, and a serde
 *        whose objects are rows.
 *
 * A Kafka value holds one CSV record with no line terminator (one trailing
 * CRLF or LF is accepted when parsing). Fields are bytes with a length;
 * each is also NUL-terminated for convenience. Quoted fields may contain
 * the delimiter, quotes (doubled) and line breaks. Unquoted spaces are
 * part of the field (nothing is trimmed). Parsing is strict: a quote inside
 * an unquoted field, text after a closing quote, an unterminated quote, or
 * a second record is an error.
 *
 * Writing quotes a field when it needs it (delimiter, quote, CR or LF,
 * a leading or trailing space, or the only field of a row being empty, so
 * that it differs from a row of no fields), when it was added with
 * weir_csv_row_add_quoted(), or always with WEIR_CSV_QUOTE_ALL. So
 * `user-27,"140,13,137","2024-06-28 13:01:55"` is built by adding the
 * first field plainly and the other two quoted.
 *
 * The serde: deserialize gives a `weir_csv_row_t *` (obj_len is its field
 * count, for information) freed with weir_serde_free_obj(); serialize
 * takes a `weir_csv_row_t *` (obj_len ignored). Bad input is
 * WEIR_ERR_SERDE. The serde serves all threads at once; a row is a plain
 * value that one thread at a time may change (reading it from several
 * threads is fine).
 */
#ifndef WEIR_SERDE_CSV_H
#define WEIR_SERDE_CSV_H

#include <weir/buf.h>
#include <weir/serde.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_csv_row_s weir_csv_row_t;

/** Quote every field when writing. */
#define WEIR_CSV_QUOTE_ALL 0x1

/** @brief An empty row; NULL when out of memory. */
WEIR_EXPORT weir_csv_row_t *weir_csv_row_new(void);

/** @brief Frees a row. NULL is fine. */
WEIR_EXPORT void weir_csv_row_destroy(weir_csv_row_t *row);

/**
 * @brief Appends a copy of @p field (@p len bytes; (size_t)-1 for
 *        strlen()). NULL @p field is an empty field.
 * @returns NULL or WEIR_ERR_NOMEM.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_csv_row_add(weir_csv_row_t *row,
                                           const char *field, size_t len);

/** @brief As weir_csv_row_add(), and the field is always quoted. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_csv_row_add_quoted(weir_csv_row_t *row, const char *field, size_t len);

/** @brief Removes every field (the row can be filled again). */
WEIR_EXPORT void weir_csv_row_clear(weir_csv_row_t *row);

/** @brief The number of fields. */
WEIR_EXPORT size_t weir_csv_row_count(const weir_csv_row_t *row);

/**
 * @brief Field @p i (from 0), NUL-terminated; *lenp (when given) gets its
 *        length. NULL when @p i is past the end.
 * @remark Lives as long as the row is not changed or destroyed.
 */
WEIR_EXPORT const char *weir_csv_row_field(const weir_csv_row_t *row, size_t i,
                                           size_t *lenp);

/**
 * @brief Parses one CSV record from @p data into a new row.
 * @param delim the delimiter, e.g. ','.
 * @returns NULL with *rowp set (free with weir_csv_row_destroy()), or
 *          WEIR_ERR_CSV naming the problem and its byte offset.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_csv_parse(const void *data, size_t len,
                                         char delim, weir_csv_row_t **rowp);

/**
 * @brief Appends @p row as one CSV record (no line terminator) to @p out.
 * @param flags 0 or WEIR_CSV_QUOTE_ALL.
 * @returns NULL, or WEIR_ERR_TOO_LARGE past the buffer's cap (the buffer
 *          is then left as it was).
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_csv_row_write(const weir_csv_row_t *row,
                                             char delim, int flags,
                                             weir_buf_t *out);

/**
 * @brief A CSV serde.
 * @param delim the delimiter, e.g. ','; not a quote, CR or LF.
 * @param flags 0 or WEIR_CSV_QUOTE_ALL.
 * @param n_fields when not 0, deserializing a record with another number
 *        of fields is an error.
 * @returns a serde with one reference, or NULL (bad delimiter, or out of
 *          memory).
 */
WEIR_EXPORT weir_serde_t *weir_serde_csv_new(char delim, int flags,
                                             size_t n_fields);

/** @brief weir_serde_csv_new(',', 0, 0). */
WEIR_EXPORT weir_serde_t *weir_serde_csv(void);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_SERDE_CSV_H */
