/**
 * @file serde.h
 * @brief Serializers/deserializers ("serdes"): how record keys and values
 *        turn from bytes into objects and back.
 *
 * A deserialized object is a pointer and a length, whatever its type:
 * - bytes serde: the bytes themselves;
 * - string serde: a NUL-terminated char array, length without the NUL
 *   (deserializing requires valid UTF-8; serializing with length 0 takes
 *   strlen());
 * - int64 serde: a pointer to one int64_t, length 8 (serializing accepts
 *   length 0 or 8);
 * - Avro serde: an avro_value_t * (length sizeof(avro_value_t));
 * - protobuf serde: a ProtobufCMessage *.
 * A NULL object (pointer NULL) is Kafka's null: a tombstone value or a
 * missing key; serdes map it to and from NULL bytes without calling the
 * type code.
 *
 * Objects that flow through a topology are borrowed by the processors
 * that receive them: the node that created an object frees it (with
 * weir_serde_free_obj() of the serde that made it) after forwarding.
 *
 * Serdes are shared between nodes and stream threads: their operations
 * must be thread-safe. They are reference counted.
 */
#ifndef WEIR_SERDE_H
#define WEIR_SERDE_H

#include <weir/buf.h>
#include <weir/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weir_serde_s weir_serde_t;

/**
 * @brief The operations of a serde. Every callback gets the serde's
 *        @p opaque. All of them may run concurrently on several threads.
 */
typedef struct weir_serde_ops_s {
    /** Short type name for describe() and logs, e.g. "string", "avro". */
    const char *name;
    /**
     * bytes -> object. @p topic is the topic the bytes came from (for
     * subject naming), possibly NULL. On success the object *objp, of
     * length *obj_lenp, belongs to the caller, who frees it with
     * free_obj. Bad bytes return WEIR_ERR_SERDE (or SCHEMA/REGISTRY) and
     * never abort the process.
     */
    weir_error_t *(*deserialize)(void *opaque, const char *topic,
                                 const void *data, size_t len, void **objp,
                                 size_t *obj_lenp);
    /** object -> bytes, appended to @p out. */
    weir_error_t *(*serialize)(void *opaque, const char *topic,
                               const void *obj, size_t obj_len,
                               weir_buf_t *out);
    /** Frees an object made by deserialize. NULL objects never reach it. */
    void (*free_obj)(void *opaque, void *obj, size_t obj_len);
    /** Frees @p opaque when the last reference goes. May be NULL. */
    void (*destroy)(void *opaque);
} weir_serde_ops_t;

/**
 * @brief Wraps @p ops and @p opaque in a serde with one reference.
 * @remark @p ops must outlive the serde (usually a static const table).
 */
WEIR_EXPORT weir_serde_t *weir_serde_new(const weir_serde_ops_t *ops,
                                         void *opaque);

/** @brief Takes another reference; returns @p serde. */
WEIR_EXPORT weir_serde_t *weir_serde_ref(weir_serde_t *serde);

/** @brief Drops a reference. NULL is fine. */
WEIR_EXPORT void weir_serde_destroy(weir_serde_t *serde);

/** @brief The serde's type name. */
WEIR_EXPORT const char *weir_serde_name(const weir_serde_t *serde);

/**
 * @brief Deserializes @p data. @p data NULL gives *objp NULL (Kafka null).
 * @returns NULL on success; the object is freed with weir_serde_free_obj().
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_serde_deserialize(weir_serde_t *serde,
                                                 const char *topic,
                                                 const void *data, size_t len,
                                                 void **objp,
                                                 size_t *obj_lenp);

/**
 * @brief Serializes @p obj, appending to @p out.
 * @returns NULL on success. A NULL @p obj appends nothing and succeeds:
 *          the caller, who knows the object was NULL, sends a Kafka null.
 *          On error nothing is left appended to @p out.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_serde_serialize(weir_serde_t *serde,
                                               const char *topic,
                                               const void *obj, size_t obj_len,
                                               weir_buf_t *out);

/** @brief Frees an object made by this serde. NULL is fine. */
WEIR_EXPORT void weir_serde_free_obj(weir_serde_t *serde, void *obj,
                                     size_t obj_len);

/*
 * Built-in serdes; each call returns a new reference (NULL only when out of
 * memory), to be dropped with weir_serde_destroy(). More in serde_avro.h,
 * serde_csv.h and serde_protobuf.h.
 */

/**
 * @brief Bytes as they are. The object is a weir-allocated copy (an empty
 *        value is a non-NULL object of length 0). Never fails on input.
 */
WEIR_EXPORT weir_serde_t *weir_serde_bytes(void);

/**
 * @brief UTF-8 text. The object is a NUL-terminated copy; bytes that are
 *        not valid UTF-8 are WEIR_ERR_SERDE. Serializing with obj_len 0
 *        writes strlen(obj) bytes (no NUL).
 */
WEIR_EXPORT weir_serde_t *weir_serde_string(void);

/**
 * @brief A signed 64-bit integer as 8 bytes big-endian (Kafka's
 *        LongSerializer). The object is an int64_t *; any other length
 *        is WEIR_ERR_SERDE.
 */
WEIR_EXPORT weir_serde_t *weir_serde_int64(void);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_SERDE_H */
