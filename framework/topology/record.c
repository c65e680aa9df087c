/*
 * record.c: header lists of records.
 *
 * A list is a growable array of (name, value) pairs, in the order they
 * were added, with repeated names allowed as in Kafka. Every string and
 * value is copied, so a list owns all its memory and can outlive the
 * record it came from.
 */
#include <string.h>

#include <weir/record.h>

#include "alloc_int.h"

typedef struct header_s {
    char *name;
    void *value; /* NULL: a null value */
    size_t value_len;
} header_t;

struct weir_headers_s {
    header_t *v;
    size_t cnt, cap;
};

weir_headers_t *weir_headers_new(void)
{
    return weir__calloc(1, sizeof(weir_headers_t));
}

void weir_headers_destroy(weir_headers_t *hdrs)
{
    if (!hdrs)
        return;
    for (size_t i = 0; i < hdrs->cnt; i++) {
        weir__free(hdrs->v[i].name);
        weir__free(hdrs->v[i].value);
    }
    weir__free(hdrs->v);
    weir__free(hdrs);
}

weir_error_t *weir_headers_add(weir_headers_t *hdrs, const char *name,
                               const void *value, size_t value_len)
{
    if (!hdrs || !name)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "headers: NULL list or header name");
    if (hdrs->cnt == hdrs->cap) {
        size_t cap = hdrs->cap ? hdrs->cap * 2 : 4;
        header_t *nv = weir__realloc(hdrs->v, cap * sizeof(*nv));
        if (!nv)
            return weir_error_new(WEIR_ERR_NOMEM, "headers: out of memory");
        hdrs->v = nv;
        hdrs->cap = cap;
    }
    header_t *h = &hdrs->v[hdrs->cnt];
    h->name = weir__strdup(name);
    h->value = value ? weir__memdup(value, value_len) : NULL;
    h->value_len = value ? value_len : 0;
    if (!h->name || (value && !h->value)) {
        weir__free(h->name);
        weir__free(h->value);
        return weir_error_new(WEIR_ERR_NOMEM, "headers: out of memory");
    }
    hdrs->cnt++;
    return NULL;
}

weir_headers_t *weir_headers_copy(const weir_headers_t *hdrs)
{
    weir_headers_t *c = weir_headers_new();
    for (size_t i = 0; c && hdrs && i < hdrs->cnt; i++) {
        weir_error_t *err = weir_headers_add(
            c, hdrs->v[i].name, hdrs->v[i].value, hdrs->v[i].value_len);
        if (err) {
            weir_error_destroy(err);
            weir_headers_destroy(c);
            return NULL;
        }
    }
    return c;
}

void weir_headers_remove(weir_headers_t *hdrs, const char *name)
{
    if (!hdrs || !name)
        return;
    size_t out = 0;
    for (size_t i = 0; i < hdrs->cnt; i++) {
        if (strcmp(hdrs->v[i].name, name) == 0) {
            weir__free(hdrs->v[i].name);
            weir__free(hdrs->v[i].value);
        } else {
            hdrs->v[out++] = hdrs->v[i];
        }
    }
    hdrs->cnt = out;
}

size_t weir_headers_count(const weir_headers_t *hdrs)
{
    return hdrs ? hdrs->cnt : 0;
}

bool weir_headers_get(const weir_headers_t *hdrs, size_t idx,
                      const char **namep, const void **valuep,
                      size_t *value_lenp)
{
    if (!hdrs || idx >= hdrs->cnt)
        return false;
    if (namep)
        *namep = hdrs->v[idx].name;
    if (valuep)
        *valuep = hdrs->v[idx].value;
    if (value_lenp)
        *value_lenp = hdrs->v[idx].value_len;
    return true;
}

bool weir_headers_last(const weir_headers_t *hdrs, const char *name,
                       const void **valuep, size_t *value_lenp)
{
    for (size_t i = hdrs && name ? hdrs->cnt : 0; i > 0; i--) {
        if (strcmp(hdrs->v[i - 1].name, name) == 0)
            return weir_headers_get(hdrs, i - 1, NULL, valuep, value_lenp);
    }
    return false;
}
