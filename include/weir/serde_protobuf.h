/**
 * @file serde_protobuf.h
 * @brief A serde for protobuf-c messages of one message type.
 *
 * The bytes are the plain protobuf encoding of the message (no Confluent
 * framing: protobuf-c descriptors do not carry the .proto text a registry
 * needs). Deserialize gives a `ProtobufCMessage *` of the serde's type
 * (obj_len is its descriptor's sizeof_message), freed with
 * weir_serde_free_obj(); serialize takes a `ProtobufCMessage *` of the
 * same type (obj_len ignored), e.g. a stack message set up with the
 * generated `..._init()`.
 *
 * Errors: bytes that are not a valid message of the type (truncated, bad
 * wire types or lengths, a required field missing) are WEIR_ERR_SERDE; a
 * message of another type given to serialize is WEIR_ERR_SCHEMA; a message
 * missing a required field cannot be serialized (WEIR_ERR_SERDE); an
 * encoding past the output buffer's cap is WEIR_ERR_TOO_LARGE.
 *
 * Thread safety: one serde serves all threads.
 */
#ifndef WEIR_SERDE_PROTOBUF_H
#define WEIR_SERDE_PROTOBUF_H

#include <protobuf-c/protobuf-c.h>

#include <weir/serde.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief A serde for messages described by @p desc (the generated
 *        `<package>__<message>__descriptor`).
 * @returns a serde with one reference, or NULL (no descriptor, or out of
 *          memory).
 * @remark @p desc must outlive the serde (generated descriptors are
 *         static).
 */
WEIR_EXPORT weir_serde_t *
weir_serde_protobuf_new(const ProtobufCMessageDescriptor *desc);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_SERDE_PROTOBUF_H */
