/*
 * proc_common.c: helpers the recommendation steps share: inventory
 * lookups in the global store (from a processor's store handle, or from
 * a DSL callback's context), the global store's key layout, errors that
 * name the record they are about, and the big-endian time encoding of
 * store values.
 *
 * Global store layout: "p\0<id>" -> canonical CSV row of product <id>;
 * "c\0<category>\0<id>" -> the same row, so that the products of one
 * category are one prefix scan. The NUL separators cannot occur in ids or
 * categories (rec_product_parse() refuses control characters).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_steps.h"
#include "rec_topology.h"

size_t rec_inventory_product_key(const char *id, char *buf, size_t size)
{
    size_t n = strlen(id);
    if (n + 2 > size)
        return 0;
    buf[0] = 'p';
    buf[1] = '\0';
    memcpy(buf + 2, id, n);
    return n + 2;
}

size_t rec_inventory_category_key(const char *category, const char *id,
                                  char *buf, size_t size)
{
    size_t c = strlen(category), n = id ? strlen(id) : 0;
    if (c + n + 3 > size)
        return 0;
    buf[0] = 'c';
    buf[1] = '\0';
    memcpy(buf + 2, category, c);
    buf[2 + c] = '\0';
    if (id)
        memcpy(buf + 3 + c, id, n);
    return c + n + 3;
}

weir_error_t *rec_store_get_product(weir_kv_store_t *inv, const char *id,
                                    rec_product_t *p, bool *foundp)
{
    char key[REC_FIELD_MAX + 8];
    size_t klen = rec_inventory_product_key(id, key, sizeof(key));
    *foundp = false;
    if (!klen)
        return NULL; /* longer than any id the loader accepts */
    void *val = NULL;
    size_t vlen = 0;
    bool found = false;
    weir_error_t *err = weir_kv_store_get(inv, key, klen, &val, &vlen, &found);
    if (err || !found)
        return err;
    /* Parsing costs more than the lookup: only when asked. */
    err = p ? rec_product_parse(val, vlen, p) : NULL;
    weir_free(val);
    if (err)
        return weir_error_prefix(
            err, "store %s, product '%s': ", REC_STORE_INVENTORY, id);
    *foundp = true;
    return NULL;
}

weir_error_t *rec_record_product(weir_processor_context_t *pctx,
                                 const char *kind, const char *user,
                                 const char *id, rec_product_t *p)
{
    weir_kv_store_t *inv;
    bool found = false;
    weir_error_t *err = weir_processor_kv_store(pctx, REC_STORE_INVENTORY,
                                                &inv);
    if (!err)
        err = rec_store_get_product(inv, id, p, &found);
    if (!err && !found)
        err = rec_record_error(pctx,
                               "%s of user '%s': unknown product_id "
                               "'%s'",
                               kind, user, id);
    return err;
}

weir_error_t *rec_record_error(weir_processor_context_t *pctx, const char *fmt,
                               ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *topic = weir_processor_record_topic(pctx);
    return weir_error_new(
        WEIR_ERR_PROCESSING, "record %s [%" PRId32 "] @%" PRId64 ": %s",
        topic ? topic : "-", weir_processor_record_partition(pctx),
        weir_processor_record_offset(pctx), msg);
}

void rec_put_be64(unsigned char *buf, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--) {
        buf[i] = (unsigned char)(u & 0xff);
        u >>= 8;
    }
}

int64_t rec_get_be64(const unsigned char *buf)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | buf[i];
    return (int64_t)u;
}
