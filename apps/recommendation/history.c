/*
 * history.c: what a user was recently recommended (see rec_history.h).
 *
 * The history answers "was product X recommended to this user in an
 * earlier window whose end is less than the TTL before this window's
 * end?" and remembers the last window it recorded, which the click window
 * uses to refuse clicks for a window of this user that has already been
 * answered (so a restart, whose stream time starts afresh, cannot emit a
 * (user, window) twice).
 *
 * It is small by construction: windows at or before end - TTL are
 * forgotten whenever one is added, so it holds at most TTL / window size
 * windows of at most recommend.count ids. Text lines keep it readable in
 * a changelog dump.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_history.h"

typedef struct entry_s {
    int64_t end;
    char **ids;
    size_t n;
} entry_t;

struct rec_history_s {
    int64_t last_end;
    entry_t *v;
    size_t cnt, cap;
};

rec_history_t *rec_history_new(void)
{
    rec_history_t *h = calloc(1, sizeof(*h));
    if (h)
        h->last_end = INT64_MIN;
    return h;
}

static void entry_free(entry_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->ids[i]);
    free(e->ids);
}

void rec_history_destroy(rec_history_t *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->cnt; i++)
        entry_free(&h->v[i]);
    free(h->v);
    free(h);
}

int64_t rec_history_last_end(const rec_history_t *h)
{
    return h->last_end;
}

bool rec_history_shown(const rec_history_t *h, const char *id,
                       int64_t window_end, int64_t ttl_ms)
{
    for (size_t i = 0; i < h->cnt; i++) {
        const entry_t *e = &h->v[i];
        if (e->end >= window_end || window_end - e->end >= ttl_ms)
            continue;
        for (size_t j = 0; j < e->n; j++)
            if (!strcmp(e->ids[j], id))
                return true;
    }
    return false;
}

static weir_error_t *push(rec_history_t *h, int64_t end, char **ids, size_t n)
{
    if (h->cnt == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        entry_t *v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        h->v = v;
        h->cap = cap;
    }
    h->v[h->cnt++] = (entry_t){end, ids, n};
    return NULL;
}

weir_error_t *rec_history_add(rec_history_t *h, int64_t window_end,
                              const char *const *ids, size_t n, int64_t ttl_ms)
{
    size_t kept = 0;
    for (size_t i = 0; i < h->cnt; i++) {
        if (window_end - h->v[i].end >= ttl_ms)
            entry_free(&h->v[i]);
        else
            h->v[kept++] = h->v[i];
    }
    h->cnt = kept;
    if (window_end > h->last_end)
        h->last_end = window_end;
    if (n == 0 || ttl_ms == 0)
        return NULL;
    char **copy = calloc(n, sizeof(*copy));
    if (!copy)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        copy[i] = strdup(ids[i]);
        if (!copy[i]) {
            entry_t e = {0, copy, i};
            entry_free(&e);
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        }
    }
    weir_error_t *err = push(h, window_end, copy, n);
    if (err) {
        entry_t e = {0, copy, n};
        entry_free(&e);
    }
    return err;
}

weir_error_t *rec_history_encode(const rec_history_t *h, char **datap,
                                 size_t *lenp)
{
    size_t size = 32;
    for (size_t i = 0; i < h->cnt; i++) {
        size += 32;
        for (size_t j = 0; j < h->v[i].n; j++)
            size += strlen(h->v[i].ids[j]) + 1;
    }
    char *out = malloc(size);
    if (!out)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    size_t pos = (size_t)snprintf(out, size, "%" PRId64 "\n", h->last_end);
    for (size_t i = 0; i < h->cnt; i++) {
        pos += (size_t)snprintf(out + pos, size - pos, "%" PRId64,
                                h->v[i].end);
        for (size_t j = 0; j < h->v[i].n; j++)
            pos += (size_t)snprintf(out + pos, size - pos, "\t%s",
                                    h->v[i].ids[j]);
        out[pos++] = '\n';
    }
    out[pos] = '\0'; /* not counted: a convenience for readers */
    *datap = out;
    *lenp = pos;
    return NULL;
}

static bool parse_i64(const char *s, size_t len, int64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end)
        return false;
    *out = v;
    return true;
}

rec_history_t *rec_history_decode(const void *data, size_t len,
                                  weir_error_t **errp)
{
    *errp = NULL;
    rec_history_t *h = rec_history_new();
    if (!h) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    const char *p = data, *end = p + len;
    bool first = true;
    while (p < end && !*errp) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            *errp = weir_error_new(WEIR_ERR_STORE,
                                   "recent-recommendations: unterminated "
                                   "line");
            break;
        }
        const char *tab = memchr(p, '\t', (size_t)(nl - p));
        const char *num_end = tab ? tab : nl;
        int64_t v;
        if (!parse_i64(p, (size_t)(num_end - p), &v)) {
            *errp = weir_error_new(WEIR_ERR_STORE,
                                   "recent-recommendations: bad window end");
            break;
        }
        if (first) {
            h->last_end = v;
            first = false;
        } else {
            size_t n = 0;
            for (const char *q = num_end; q < nl; q++)
                n += *q == '\t';
            char **ids = calloc(n ? n : 1, sizeof(*ids));
            if (!ids) {
                *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
                break;
            }
            const char *q = num_end;
            for (size_t i = 0; i < n; i++) {
                const char *s = q + 1;
                const char *e = memchr(s, '\t', (size_t)(nl - s));
                if (!e)
                    e = nl;
                ids[i] = strndup(s, (size_t)(e - s));
                if (!ids[i]) {
                    entry_t tmp = {0, ids, i};
                    entry_free(&tmp);
                    ids = NULL;
                    *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
                    break;
                }
                q = e;
            }
            if (ids)
                *errp = push(h, v, ids, n);
            if (ids && *errp) {
                entry_t tmp = {0, ids, n};
                entry_free(&tmp);
            }
        }
        p = nl + 1;
    }
    if (!*errp && first)
        *errp = weir_error_new(WEIR_ERR_STORE,
                               "recent-recommendations: empty value");
    if (*errp) {
        rec_history_destroy(h);
        return NULL;
    }
    return h;
}
