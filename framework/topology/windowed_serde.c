/*
 * windowed_serde.c: the serde of windowed keys (weir_windowed_key_t).
 *
 * Wire format: the inner key's bytes, then the window start and end as
 * 8-byte big-endian two's-complement integers. Carrying the end (Kafka
 * Streams' TimeWindowedSerde carries only the start) makes a record
 * self-describing: a reader needs no window size to know the window.
 */
#include <string.h>

#include <weir/dsl.h>

#include "alloc_int.h"

static void be64_put(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
}

static int64_t be64_get(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

static weir_error_t *wk_deserialize(void *opaque, const char *topic,
                                    const void *data, size_t len, void **objp,
                                    size_t *obj_lenp)
{
    weir_serde_t *inner = opaque;
    if (len < 16)
        return weir_error_new(
            WEIR_ERR_SERDE, "windowed key: %zu bytes, need at least 16", len);
    weir_windowed_key_t *wk = weir__calloc(1, sizeof(*wk));
    if (!wk)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    const unsigned char *p = data;
    /* An inner key of zero bytes is still a key, not Kafka's null. */
    weir_error_t *err = weir_serde_deserialize(
        inner, topic, len > 16 ? data : "", len - 16, &wk->key, &wk->key_len);
    if (err) {
        weir__free(wk);
        return err;
    }
    wk->start = be64_get(p + len - 16);
    wk->end = be64_get(p + len - 8);
    *objp = wk;
    *obj_lenp = sizeof(*wk);
    return NULL;
}

static weir_error_t *wk_serialize(void *opaque, const char *topic,
                                  const void *obj, size_t obj_len,
                                  weir_buf_t *out)
{
    weir_serde_t *inner = opaque;
    const weir_windowed_key_t *wk = obj;
    if (obj_len != sizeof(*wk))
        return weir_error_new(WEIR_ERR_SERDE,
                              "windowed key: object length %zu is not "
                              "sizeof(weir_windowed_key_t)",
                              obj_len);
    weir_error_t *err = weir_serde_serialize(inner, topic, wk->key,
                                             wk->key_len, out);
    if (err)
        return err;
    unsigned char tail[16];
    be64_put(tail, wk->start);
    be64_put(tail + 8, wk->end);
    return weir_buf_append(out, tail, sizeof(tail));
}

static void wk_free_obj(void *opaque, void *obj, size_t obj_len)
{
    (void)obj_len;
    weir_windowed_key_t *wk = obj;
    weir_serde_free_obj(opaque, wk->key, wk->key_len);
    weir__free(wk);
}

static void wk_destroy(void *opaque)
{
    weir_serde_destroy(opaque);
}

static const weir_serde_ops_t windowed_ops = {
    .name = "windowed",
    .deserialize = wk_deserialize,
    .serialize = wk_serialize,
    .free_obj = wk_free_obj,
    .destroy = wk_destroy,
};

weir_serde_t *weir_serde_windowed(weir_serde_t *inner)
{
    if (!inner)
        return NULL;
    weir_serde_t *serde = weir_serde_new(&windowed_ops, inner);
    if (!serde)
        weir_serde_destroy(inner);
    return serde;
}
