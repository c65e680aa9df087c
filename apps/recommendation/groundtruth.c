/*
 * groundtruth.c: the ground-truth file of the data generator (see
 * rec_groundtruth.h): one tab-separated line per record produced, in
 * production order, which the oracle replays.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rec_groundtruth.h"

weir_error_t *rec_gt_write(FILE *f, const char *topic,
                           const rec_gt_record_t *r)
{
    int n;
    if (r->kind == REC_GT_CLICK)
        n = fprintf(f, "%s\t%" PRId64 "\t%s\t%s\t%s\n", topic, r->timestamp,
                    r->key, r->user_id, r->product_id);
    else
        n = fprintf(f, "%s\t%" PRId64 "\t%s\t%s\t%s\t%s\t%s\t%s\n", topic,
                    r->timestamp, r->key, r->user_id, r->product_id,
                    r->invoice_id, r->quantity, r->unit_cost);
    if (n < 0)
        return weir_error_new(WEIR_ERR_IO, "ground truth: %s",
                              strerror(errno));
    return NULL;
}

#define MAX_FIELDS 8

weir_error_t *rec_gt_parse(const char *line, const char *clicks_topic,
                           const char *sales_topic, rec_gt_record_t *r)
{
    const char *f[MAX_FIELDS + 1];
    size_t flen[MAX_FIELDS + 1];
    size_t n = 0;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    const char *p = line, *end = line + len;
    while (n <= MAX_FIELDS) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        f[n] = p;
        flen[n] = (size_t)((tab ? tab : end) - p);
        n++;
        if (!tab)
            break;
        p = tab + 1;
    }
    memset(r, 0, sizeof(*r));
    if (n < 1)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "empty line");
    bool click = flen[0] == strlen(clicks_topic) &&
                 !memcmp(f[0], clicks_topic, flen[0]);
    bool sale = flen[0] == strlen(sales_topic) &&
                !memcmp(f[0], sales_topic, flen[0]);
    if (!click && !sale)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "unknown topic '%.*s'",
                              (int)flen[0], f[0]);
    size_t want = click ? 5 : 8;
    if (n != want)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "%s record with %zu fields, expected %zu",
                              click ? "click" : "sale", n, want);
    char *slots[] = {NULL,          NULL,          r->key,      r->user_id,
                     r->product_id, r->invoice_id, r->quantity, r->unit_cost};
    for (size_t i = 2; i < n; i++) {
        if (flen[i] >= REC_GT_FIELD_MAX)
            return weir_error_new(WEIR_ERR_INVALID_ARG,
                                  "field %zu is too long", i + 1);
        memcpy(slots[i], f[i], flen[i]);
        slots[i][flen[i]] = '\0';
    }
    char ts[32], *tend;
    if (flen[1] == 0 || flen[1] >= sizeof(ts))
        return weir_error_new(WEIR_ERR_INVALID_ARG, "bad timestamp");
    memcpy(ts, f[1], flen[1]);
    ts[flen[1]] = '\0';
    errno = 0;
    long long v = strtoll(ts, &tend, 10);
    if (*tend || errno)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "bad timestamp '%s'", ts);
    r->timestamp = v;
    r->kind = click ? REC_GT_CLICK : REC_GT_SALE;
    return NULL;
}
