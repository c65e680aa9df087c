/**
 * @file serde_avro.h
 * @brief Avro serde in the Confluent wire format, with a schema registry.
 *
 * Wire format: byte 0 is the magic byte 0, bytes 1-4 the writer schema's
 * registry id (big-endian), then the Avro binary encoding of one datum (no
 * container-file header).
 *
 * Objects are avro-c generic values: deserialize gives an `avro_value_t *`
 * (obj_len `sizeof(avro_value_t)`) of the serde's schema, freed with
 * weir_serde_free_obj() (which decrefs the value); serialize takes an
 * `avro_value_t *` whose schema equals the serde's, e.g. one made with
 * weir_serde_avro_value_new().
 *
 * Deserializing fetches the writer schema by id from the registry (cached)
 * and resolves it into the serde's schema, the reader schema, by Avro's
 * rules: fields the writer lacks take their defaults, writer-only fields
 * are skipped, renamed fields and types match by the reader's aliases,
 * numbers are promoted, enums match by symbol (or take the reader enum's
 * default). Serializing
 * registers the serde's schema under the subject `<topic>-value` (or
 * `<topic>-key`) on first use per topic, or only looks it up with
 * WEIR_SERDE_AVRO_NO_REGISTER, and caches the id.
 *
 * Errors, for the caller's error handler:
 * - WEIR_ERR_SERDE: bytes that are not a datum of the writer schema:
 *   shorter than 5 bytes, magic byte not 0, truncated, trailing bytes, bad
 *   lengths, indexes or counts;
 * - WEIR_ERR_SCHEMA: unknown schema id, writer schema not Avro or not
 *   resolvable into the reader's (a missing field without default,
 *   incompatible types), a value of another schema given to serialize, the
 *   schema refused by the registry or not registered (NO_REGISTER);
 * - WEIR_ERR_REGISTRY, retriable: the registry could not be reached in
 *   schema.registry.retry.max.ms; the record must be retried, never
 *   dropped;
 * - WEIR_ERR_REGISTRY, not retriable: the registry answered something
 *   unexpected (401, a wrong API path): a misconfiguration, to stop on,
 *   not bad data;
 * - WEIR_ERR_CANCELLED: the registry was interrupted (shutdown);
 * - WEIR_ERR_TOO_LARGE: the encoded value exceeds the output buffer's cap.
 *
 * Example: a value serde for the seed's click stream.
 * @code
 * err = weir_conf_set(conf, "schema.registry.url", "http://localhost:8080");
 * weir_registry_t *reg = weir_registry_http_new(conf, &err);
 * weir_serde_t *clicks = weir_serde_avro_new(reg, click_schema_json, 0,
 *                                            &err);
 * weir_registry_destroy(reg);   // the serde keeps its own reference
 *
 * avro_value_t v, f;
 * weir_serde_avro_value_new(clicks, &v);
 * avro_value_get_by_name(&v, "user_id", &f, NULL);
 * avro_value_set_string(&f, "user-27");
 * ...
 * err = weir_serde_serialize(clicks, "flink.click.streams", &v, 0, &buf);
 * avro_value_decref(&v);
 * @endcode
 *
 * Thread safety: a serde may be used from many threads at once.
 * avro-c's own error string (avro_strerror()) is not thread-local; weir
 * only reads it when parsing schemas, never per record.
 */
#ifndef WEIR_SERDE_AVRO_H
#define WEIR_SERDE_AVRO_H

#include <avro.h>

#include <weir/registry.h>
#include <weir/serde.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The serde is for record keys: subject `<topic>-key`. */
#define WEIR_SERDE_AVRO_KEY 0x1
/** Never register the schema; only look it up under the subject. */
#define WEIR_SERDE_AVRO_NO_REGISTER 0x2

/**
 * @brief An Avro serde for @p schema_json, with @p reg as its registry.
 * @param reg the registry; the serde takes its own reference.
 * @param schema_json the application's schema (the reader schema, and the
 *        writer schema when serializing), as JSON: its field defaults are
 *        read from the JSON (avro-c does not keep them). NULL makes a
 *        generic deserializer: values come in each writer's own schema,
 *        and serialize fails with WEIR_ERR_SCHEMA.
 * @param flags WEIR_SERDE_AVRO_KEY, WEIR_SERDE_AVRO_NO_REGISTER, or 0.
 * @returns the serde with one reference, or NULL with *errp set
 *          (WEIR_ERR_SCHEMA for an invalid schema or default,
 *          WEIR_ERR_INVALID_ARG without a registry).
 * @remark Does not contact the registry.
 */
WEIR_EXPORT weir_serde_t *weir_serde_avro_new(weir_registry_t *reg,
                                              const char *schema_json,
                                              int flags, weir_error_t **errp);

/**
 * @brief The serde's schema (borrowed: lives as long as the serde), or
 *        NULL for a generic serde or a serde that is not Avro.
 */
WEIR_EXPORT avro_schema_t weir_serde_avro_schema(const weir_serde_t *serde);

/**
 * @brief Makes a new, empty generic value of the serde's schema, to fill
 *        in and serialize.
 * @returns NULL, or WEIR_ERR_SCHEMA for a generic or non-Avro serde.
 * @remark The caller owns *valuep: avro_value_decref() it.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_serde_avro_value_new(weir_serde_t *serde,
                                                    avro_value_t *valuep);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_SERDE_AVRO_H */
