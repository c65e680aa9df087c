/*
 * commit_meta.c: the offset-commit metadata of a task (see
 * commit_meta_int.h for what it holds and why).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit_meta_int.h"

#define PREFIX "weir:"
#define VERSION 1

size_t weir__commit_meta_encode(const weir__commit_meta_t *meta,
                                char out[WEIR__COMMIT_META_MAX])
{
    int n = snprintf(out, WEIR__COMMIT_META_MAX,
                     PREFIX "%d:%" PRId64 ":%" PRId64, VERSION,
                     meta->stream_time, meta->last_record_ms);
    return (size_t)n;
}

/* Parses a decimal int64 that ends at @p end or at ':'; advances *pp. */
static bool parse_i64(const char **pp, const char *end, int64_t *v)
{
    char buf[24];
    const char *p = *pp, *stop = memchr(p, ':', (size_t)(end - p));
    if (!stop)
        stop = end;
    size_t n = (size_t)(stop - p);
    if (!n || n >= sizeof(buf))
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *tail;
    errno = 0;
    long long x = strtoll(buf, &tail, 10);
    if (errno || *tail)
        return false;
    *v = x;
    *pp = stop < end ? stop + 1 : end;
    return true;
}

weir_error_t *weir__commit_meta_decode(const void *data, size_t len,
                                       weir__commit_meta_t *meta, bool *foundp)
{
    *foundp = false;
    const char *p = data, *end = p + len;
    size_t plen = strlen(PREFIX);
    if (!data || len < plen || memcmp(p, PREFIX, plen))
        return NULL;
    p += plen;
    int64_t version, st, last;
    if (!parse_i64(&p, end, &version) || version < 1)
        return weir_error_new(WEIR_ERR_SERDE,
                              "offset metadata '%.*s': no version", (int)len,
                              (const char *)data);
    if (version > VERSION)
        return weir_error_new(WEIR_ERR_UNSUPPORTED,
                              "offset metadata '%.*s' was written by a newer "
                              "weir (version %" PRId64 "; this one reads %d)",
                              (int)len, (const char *)data, version, VERSION);
    if (!parse_i64(&p, end, &st) || !parse_i64(&p, end, &last) || p != end)
        return weir_error_new(WEIR_ERR_SERDE,
                              "offset metadata '%.*s' is "
                              "malformed",
                              (int)len, (const char *)data);
    meta->stream_time = st;
    meta->last_record_ms = last;
    *foundp = true;
    return NULL;
}
