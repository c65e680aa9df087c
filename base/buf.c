/*
 * buf.c: growable byte buffer with a hard cap (see weir/buf.h). Growth
 * doubles, so appending n bytes one at a time costs O(n).
 */
#include <string.h>

#include <weir/buf.h>

#include "alloc_int.h"

void weir_buf_init(weir_buf_t *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max ? max : WEIR_BUF_DEFAULT_MAX;
}

weir_error_t *weir_buf_reserve(weir_buf_t *buf, size_t extra)
{
    if (extra > buf->max || buf->len > buf->max - extra)
        return weir_error_new(WEIR_ERR_TOO_LARGE,
                              "buffer would grow to %zu bytes, over its cap "
                              "of %zu",
                              buf->len + extra, buf->max);
    size_t need = buf->len + extra;
    if (need <= buf->cap)
        return NULL;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > buf->max)
        cap = buf->max;
    unsigned char *data = weir__realloc(buf->data, cap);
    if (!data)
        return weir_error_new(WEIR_ERR_NOMEM, "buffer of %zu bytes", cap);
    buf->data = data;
    buf->cap = cap;
    return NULL;
}

weir_error_t *weir_buf_append(weir_buf_t *buf, const void *data, size_t len)
{
    weir_error_t *err = weir_buf_reserve(buf, len);
    if (err)
        return err;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return NULL;
}

void weir_buf_reset(weir_buf_t *buf)
{
    buf->len = 0;
}

unsigned char *weir_buf_detach(weir_buf_t *buf, size_t *lenp)
{
    unsigned char *data = buf->data;
    if (lenp)
        *lenp = buf->len;
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return data;
}

void weir_buf_free(weir_buf_t *buf)
{
    weir__free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}
