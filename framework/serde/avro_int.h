/*
 * avro_int.h: weir's Avro binary decoder with writer-to-reader schema
 * resolution (avro_decode.c), used by the Avro serde.
 */
#ifndef WEIR_AVRO_INT_H
#define WEIR_AVRO_INT_H

#include <stddef.h>

#include <avro.h>
#include <jansson.h>

#include <weir/error.h>

/*
 * What resolution needs from a reader schema's JSON that avro-c parses but
 * does not keep: field defaults, field and type aliases, enum defaults.
 * Read from the JSON alongside the parsed schema, keyed by the parsed
 * schema nodes.
 */
typedef struct weir__avro_defaults_s weir__avro_defaults_t;

/*
 * Parses @p json into *schemap and collects its defaults into *defaultsp.
 * Returns NULL or a WEIR_ERR_SCHEMA error naming what is wrong.
 */
weir_error_t *weir__avro_schema_parse(const char *json, size_t len,
                                      avro_schema_t *schemap,
                                      weir__avro_defaults_t **defaultsp);

void weir__avro_defaults_destroy(weir__avro_defaults_t *defaults);

/*
 * Decodes one Avro binary datum of @p writer from @p data (all @p len bytes
 * must be used) into @p dest, a value of @p reader, resolving between the
 * two by Avro's rules: fields matched by name, writer-only fields skipped,
 * reader-only fields set from their defaults, numeric promotions
 * (int -> long/float/double, long -> float/double, float -> double),
 * string <-> bytes, enums by symbol (or the reader enum's default),
 * aliases of reader fields and types, unions by branch. @p reader may be
 * @p writer. @p defaults may be NULL (no defaults).
 *
 * Returns NULL, WEIR_ERR_SERDE for bytes that are not a valid datum of
 * @p writer (truncated, trailing bytes, bad lengths or indexes, more items
 * than the data can hold), or WEIR_ERR_SCHEMA when the datum cannot be
 * resolved into @p reader. Never allocates more than the data justifies.
 */
weir_error_t *weir__avro_decode(avro_schema_t writer, avro_schema_t reader,
                                const weir__avro_defaults_t *defaults,
                                const void *data, size_t len,
                                avro_value_t *dest);

/* "name" or "namespace.name" of a named schema, else its type name. */
const char *weir__avro_schema_label(avro_schema_t schema);

#endif /* WEIR_AVRO_INT_H */
