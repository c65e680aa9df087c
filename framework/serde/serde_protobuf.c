/*
 * serde_protobuf.c: the serde of protobuf-c messages of one type.
 *
 * protobuf-c does the work: unpack checks every length and wire type
 * against the input and fails on missing required fields; pack writes into
 * a buffer sized by get_packed_size, so the output cap is checked before
 * anything is written. Messages are allocated through a ProtobufCAllocator
 * on weir's allocator, so out-of-memory paths are testable and a message
 * is freed by the same allocator that made it.
 */
#include <string.h>

#include <weir/serde_protobuf.h>

#include "alloc_int.h"

static void *pb_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return weir__malloc(size);
}

static void pb_free(void *opaque, void *ptr)
{
    (void)opaque;
    weir__free(ptr);
}

static ProtobufCAllocator pb_allocator = {
    .alloc = pb_alloc,
    .free = pb_free,
    .allocator_data = NULL,
};

static weir_error_t *pb_deserialize(void *opaque, const char *topic,
                                    const void *data, size_t len, void **objp,
                                    size_t *obj_lenp)
{
    const ProtobufCMessageDescriptor *desc = opaque;
    (void)topic;
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, &pb_allocator, len,
                                                      data);
    if (!msg)
        /* protobuf-c says no more than NULL: bad bytes or no memory. */
        return weir_error_new(WEIR_ERR_SERDE,
                              "%zu bytes are not a valid protobuf %s "
                              "message (or out of memory)",
                              len, desc->name);
    *objp = msg;
    *obj_lenp = desc->sizeof_message;
    return NULL;
}

static weir_error_t *pb_serialize(void *opaque, const char *topic,
                                  const void *obj, size_t obj_len,
                                  weir_buf_t *out)
{
    const ProtobufCMessageDescriptor *desc = opaque;
    const ProtobufCMessage *msg = obj;
    (void)topic;
    (void)obj_len;
    if (msg->descriptor != desc &&
        (!msg->descriptor || strcmp(msg->descriptor->name, desc->name)))
        return weir_error_new(
            WEIR_ERR_SCHEMA, "protobuf %s message given to the serde of %s",
            msg->descriptor ? msg->descriptor->name : "(untyped)", desc->name);
    if (!protobuf_c_message_check(msg))
        return weir_error_new(WEIR_ERR_SERDE,
                              "protobuf %s message is missing a required "
                              "field",
                              desc->name);
    size_t size = protobuf_c_message_get_packed_size(msg);
    weir_error_t *err = weir_buf_reserve(out, size);
    if (err)
        return err;
    out->len += protobuf_c_message_pack(msg, out->data + out->len);
    return NULL;
}

static void pb_free_obj(void *opaque, void *obj, size_t obj_len)
{
    (void)opaque;
    (void)obj_len;
    protobuf_c_message_free_unpacked(obj, &pb_allocator);
}

static const weir_serde_ops_t pb_ops = {
    .name = "protobuf",
    .deserialize = pb_deserialize,
    .serialize = pb_serialize,
    .free_obj = pb_free_obj,
};

weir_serde_t *weir_serde_protobuf_new(const ProtobufCMessageDescriptor *desc)
{
    if (!desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return NULL;
    return weir_serde_new(&pb_ops, (void *)desc);
}
