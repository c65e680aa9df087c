/*
 * serde.c: the generic serde wrapper of weir/serde.h and the three
 * built-in serdes that need no library: bytes, string and int64.
 *
 * A serde is an ops table, an opaque pointer and an atomic reference count.
 * The wrapper owns the two rules every serde shares, so the type code never
 * sees them: a Kafka null (NULL bytes) deserializes to a NULL object without
 * calling the type code, and a NULL object serializes to nothing. Errors
 * from the type code get the topic prefixed when a topic is known, so the
 * error handler that receives them can say where the bad record came from.
 *
 * The built-in serdes are stateless: each weir_serde_bytes() call returns a
 * new serde around the same static ops table.
 *
 * Objects:
 * - bytes: a weir__malloc'd copy of the bytes (one byte more than the length
 *   is allocated, so an empty value is a non-NULL pointer);
 * - string: a NUL-terminated copy, length without the NUL; the bytes must be
 *   valid UTF-8 (a record that is not is a SERDE error, not a mangled
 *   string). Serializing with obj_len 0 takes strlen(obj);
 * - int64: a pointer to one int64_t, length 8; exactly 8 big-endian bytes.
 */
#include <stdatomic.h>
#include <string.h>

#include <weir/serde.h>

#include "alloc_int.h"
#include "serde_int.h"

struct weir_serde_s {
    const weir_serde_ops_t *ops;
    void *opaque;
    atomic_int refcnt;
};

weir_serde_t *weir_serde_new(const weir_serde_ops_t *ops, void *opaque)
{
    if (!ops || !ops->deserialize || !ops->serialize || !ops->free_obj)
        return NULL;
    weir_serde_t *serde = weir__calloc(1, sizeof(*serde));
    if (!serde)
        return NULL;
    serde->ops = ops;
    serde->opaque = opaque;
    atomic_init(&serde->refcnt, 1);
    return serde;
}

weir_serde_t *weir_serde_ref(weir_serde_t *serde)
{
    if (serde)
        atomic_fetch_add_explicit(&serde->refcnt, 1, memory_order_relaxed);
    return serde;
}

void weir_serde_destroy(weir_serde_t *serde)
{
    if (!serde)
        return;
    /* acq_rel: the thread that frees sees every write of the others. */
    if (atomic_fetch_sub_explicit(&serde->refcnt, 1, memory_order_acq_rel) !=
        1)
        return;
    if (serde->ops->destroy)
        serde->ops->destroy(serde->opaque);
    weir__free(serde);
}

const char *weir_serde_name(const weir_serde_t *serde)
{
    if (!serde || !serde->ops->name)
        return "unnamed";
    return serde->ops->name;
}

void *weir__serde_opaque(const weir_serde_t *serde)
{
    return serde ? serde->opaque : NULL;
}

const weir_serde_ops_t *weir__serde_ops(const weir_serde_t *serde)
{
    return serde ? serde->ops : NULL;
}

weir_error_t *weir_serde_deserialize(weir_serde_t *serde, const char *topic,
                                     const void *data, size_t len, void **objp,
                                     size_t *obj_lenp)
{
    *objp = NULL;
    if (obj_lenp)
        *obj_lenp = 0;
    if (!serde)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "no serde given");
    if (!data)
        return NULL;
    size_t obj_len = 0;
    weir_error_t *err = serde->ops->deserialize(serde->opaque, topic, data,
                                                len, objp, &obj_len);
    if (err) {
        *objp = NULL;
        if (topic)
            err = weir_error_prefix(err, "topic %s: ", topic);
        return err;
    }
    if (obj_lenp)
        *obj_lenp = obj_len;
    return NULL;
}

weir_error_t *weir_serde_serialize(weir_serde_t *serde, const char *topic,
                                   const void *obj, size_t obj_len,
                                   weir_buf_t *out)
{
    if (!serde)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "no serde given");
    if (!obj)
        return NULL;
    size_t start = out->len;
    weir_error_t *err = serde->ops->serialize(serde->opaque, topic, obj,
                                              obj_len, out);
    if (err) {
        /* Leave no half-written value behind for the caller to send. */
        out->len = start;
        if (topic)
            err = weir_error_prefix(err, "topic %s: ", topic);
    }
    return err;
}

void weir_serde_free_obj(weir_serde_t *serde, void *obj, size_t obj_len)
{
    if (!serde || !obj)
        return;
    serde->ops->free_obj(serde->opaque, obj, obj_len);
}

/* ---- bytes ------------------------------------------------------------ */

static weir_error_t *bytes_deserialize(void *opaque, const char *topic,
                                       const void *data, size_t len,
                                       void **objp, size_t *obj_lenp)
{
    (void)opaque;
    (void)topic;
    /* One byte more, so an empty value is still a non-NULL object. */
    unsigned char *copy = weir__malloc(len + 1);
    if (!copy)
        return weir_error_new(WEIR_ERR_NOMEM, "bytes value of %zu bytes", len);
    if (len)
        memcpy(copy, data, len);
    copy[len] = 0;
    *objp = copy;
    *obj_lenp = len;
    return NULL;
}

static weir_error_t *bytes_serialize(void *opaque, const char *topic,
                                     const void *obj, size_t obj_len,
                                     weir_buf_t *out)
{
    (void)opaque;
    (void)topic;
    return weir_buf_append(out, obj, obj_len);
}

static void plain_free_obj(void *opaque, void *obj, size_t obj_len)
{
    (void)opaque;
    (void)obj_len;
    weir__free(obj);
}

static const weir_serde_ops_t bytes_ops = {
    .name = "bytes",
    .deserialize = bytes_deserialize,
    .serialize = bytes_serialize,
    .free_obj = plain_free_obj,
};

weir_serde_t *weir_serde_bytes(void)
{
    return weir_serde_new(&bytes_ops, NULL);
}

/* ---- string ----------------------------------------------------------- */

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF. Returns the offset of the first bad byte, or len when valid.
 */
size_t weir__utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n + 1;
    }
    return len;
}

static weir_error_t *string_deserialize(void *opaque, const char *topic,
                                        const void *data, size_t len,
                                        void **objp, size_t *obj_lenp)
{
    (void)opaque;
    (void)topic;
    size_t bad = weir__utf8_check(data, len);
    if (bad != len)
        return weir_error_new(WEIR_ERR_SERDE,
                              "string value is not valid UTF-8 (byte %zu "
                              "of %zu)",
                              bad, len);
    char *s = weir__malloc(len + 1);
    if (!s)
        return weir_error_new(WEIR_ERR_NOMEM, "string of %zu bytes", len);
    if (len)
        memcpy(s, data, len);
    s[len] = '\0';
    *objp = s;
    *obj_lenp = len;
    return NULL;
}

static weir_error_t *string_serialize(void *opaque, const char *topic,
                                      const void *obj, size_t obj_len,
                                      weir_buf_t *out)
{
    (void)opaque;
    (void)topic;
    if (obj_len == 0)
        obj_len = strlen(obj);
    return weir_buf_append(out, obj, obj_len);
}

static const weir_serde_ops_t string_ops = {
    .name = "string",
    .deserialize = string_deserialize,
    .serialize = string_serialize,
    .free_obj = plain_free_obj,
};

weir_serde_t *weir_serde_string(void)
{
    return weir_serde_new(&string_ops, NULL);
}

/* ---- int64 ------------------------------------------------------------ */

void weir__be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t weir__be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static weir_error_t *int64_deserialize(void *opaque, const char *topic,
                                       const void *data, size_t len,
                                       void **objp, size_t *obj_lenp)
{
    (void)opaque;
    (void)topic;
    if (len != 8)
        return weir_error_new(WEIR_ERR_SERDE,
                              "int64 value must be 8 bytes, got %zu", len);
    int64_t *v = weir__malloc(sizeof(*v));
    if (!v)
        return weir_error_new(WEIR_ERR_NOMEM, "int64 value");
    *v = (int64_t)weir__be64_get(data);
    *objp = v;
    *obj_lenp = sizeof(*v);
    return NULL;
}

static weir_error_t *int64_serialize(void *opaque, const char *topic,
                                     const void *obj, size_t obj_len,
                                     weir_buf_t *out)
{
    (void)opaque;
    (void)topic;
    if (obj_len != 0 && obj_len != sizeof(int64_t))
        return weir_error_new(
            WEIR_ERR_SERDE, "int64 object must be 8 bytes, got %zu", obj_len);
    int64_t v;
    memcpy(&v, obj, sizeof(v));
    unsigned char be[8];
    weir__be64_put(be, (uint64_t)v);
    return weir_buf_append(out, be, sizeof(be));
}

static const weir_serde_ops_t int64_ops = {
    .name = "int64",
    .deserialize = int64_deserialize,
    .serialize = int64_serialize,
    .free_obj = plain_free_obj,
};

weir_serde_t *weir_serde_int64(void)
{
    return weir_serde_new(&int64_ops, NULL);
}
