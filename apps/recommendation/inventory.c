/*
 * inventory.c: inventory rows and the in-memory inventory.
 *
 * A row is `product_id,category,stock,rating` with no header, parsed with
 * libcsv so that quoted fields work as RFC 4180 says. A row is accepted
 * only whole: four fields, an id and a category of 1..127 bytes without
 * control characters (they become store keys and history lines), a stock
 * that is an integer >= 0 and a rating that is a finite number (ratings
 * are compared as numbers, not as the seed's strings). Anything else is
 * an error that says which field is wrong, so the caller can count and
 * log the row and go on.
 *
 * The in-memory inventory is a sorted array (a couple of hundred
 * products): the oracle and the tests use it; the topology keeps its
 * own copy in a global store.
 */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec_inventory.h"

#define FIELDS 4

typedef struct row_parse_s {
    char field[FIELDS][REC_FIELD_MAX];
    size_t len[FIELDS];
    size_t cnt;  /* fields seen */
    size_t rows; /* row ends seen */
    bool too_long;
} row_parse_t;

static void on_field(void *data, size_t len, void *opaque)
{
    row_parse_t *rp = opaque;
    if (rp->rows == 0 && rp->cnt < FIELDS) {
        if (len >= REC_FIELD_MAX) {
            rp->too_long = true;
            len = REC_FIELD_MAX - 1;
        }
        memcpy(rp->field[rp->cnt], data, len);
        rp->field[rp->cnt][len] = '\0';
        rp->len[rp->cnt] = len;
    }
    if (rp->rows == 0)
        rp->cnt++;
}

static void on_row(int c, void *opaque)
{
    (void)c;
    ((row_parse_t *)opaque)->rows++;
}

static bool clean_text(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (iscntrl((unsigned char)s[i]))
            return false;
    return true;
}

weir_error_t *rec_product_parse(const char *row, size_t len, rec_product_t *p)
{
    while (len > 0 && (row[len - 1] == '\n' || row[len - 1] == '\r'))
        len--;
    struct csv_parser parser;
    row_parse_t rp;
    memset(&rp, 0, sizeof(rp));
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    size_t done = csv_parse(&parser, row, len, on_field, on_row, &rp);
    int rc = done == len ? csv_fini(&parser, on_field, on_row, &rp) : -1;
    int perr = csv_error(&parser);
    csv_free(&parser);
    if (rc != 0 || done != len)
        return weir_error_new(WEIR_ERR_CSV, "malformed CSV (%s)",
                              csv_strerror(perr));
    if (rp.rows != 1 || rp.cnt != FIELDS)
        return weir_error_new(WEIR_ERR_CSV,
                              "expected 4 fields (product_id,category,"
                              "stock,rating) in one row, got %zu field(s) "
                              "in %zu row(s)",
                              rp.cnt, rp.rows);
    if (rp.too_long)
        return weir_error_new(WEIR_ERR_CSV, "a field is longer than %d bytes",
                              REC_FIELD_MAX - 1);
    if (!clean_text(rp.field[0], rp.len[0]))
        return weir_error_new(WEIR_ERR_CSV,
                              "product_id is empty or has control "
                              "characters");
    if (!clean_text(rp.field[1], rp.len[1]))
        return weir_error_new(WEIR_ERR_CSV,
                              "category is empty or has control characters");
    char *end = NULL;
    errno = 0;
    long long stock = strtoll(rp.field[2], &end, 10);
    if (!rp.len[2] || *end || errno || stock < 0)
        return weir_error_new(
            WEIR_ERR_CSV, "stock '%s' is not an integer >= 0", rp.field[2]);
    errno = 0;
    double rating = strtod(rp.field[3], &end);
    if (!rp.len[3] || *end || errno || !isfinite(rating) ||
        isspace((unsigned char)rp.field[3][0]))
        return weir_error_new(WEIR_ERR_CSV, "rating '%s' is not a number",
                              rp.field[3]);
    memset(p, 0, sizeof(*p));
    memcpy(p->id, rp.field[0], rp.len[0] + 1);
    memcpy(p->category, rp.field[1], rp.len[1] + 1);
    p->stock = stock;
    p->rating = rating;
    return NULL;
}

/* Appends @p s as one CSV field, quoted when it needs to be. */
static bool put_field(char *buf, size_t size, size_t *pos, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL || isspace((unsigned char)*s);
    if (*s && isspace((unsigned char)s[strlen(s) - 1]))
        quote = true;
    if (quote && *pos < size)
        buf[(*pos)++] = '"';
    for (; *s; s++) {
        if (quote && *s == '"' && *pos < size)
            buf[(*pos)++] = '"';
        if (*pos < size)
            buf[(*pos)++] = *s;
    }
    if (quote && *pos < size)
        buf[(*pos)++] = '"';
    return *pos < size;
}

int rec_product_format(const rec_product_t *p, char *buf, size_t size)
{
    size_t pos = 0;
    if (!put_field(buf, size, &pos, p->id))
        return -1;
    buf[pos++] = ',';
    if (!put_field(buf, size, &pos, p->category))
        return -1;
    /* %.17g round-trips every double; integers print without a point. */
    int n = snprintf(buf + pos, size - pos, ",%lld,%.17g", (long long)p->stock,
                     p->rating);
    if (n < 0 || (size_t)n >= size - pos)
        return -1;
    return (int)(pos + (size_t)n);
}

/* A non-negative decimal integer without sign or spaces. */
static bool is_number(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int rec_product_id_cmp(const char *a, const char *b)
{
    bool na = is_number(a), nb = is_number(b);
    if (na != nb)
        return na ? -1 : 1;
    if (!na)
        return strcmp(a, b);
    /* Compare digit strings as numbers without overflow: skip leading
     * zeros, then the longer is larger, then bytewise. Equal numbers
     * written differently ("3", "03") are ordered bytewise, so the order
     * stays total and the ranking never depends on input order. */
    const char *da = a, *db = b;
    while (*da == '0' && da[1])
        da++;
    while (*db == '0' && db[1])
        db++;
    size_t la = strlen(da), lb = strlen(db);
    if (la != lb)
        return la < lb ? -1 : 1;
    int c = strcmp(da, db);
    return c ? c : strcmp(a, b);
}

struct rec_inventory_s {
    rec_product_t *v;
    size_t cnt, cap;
    uint64_t bad_rows;
};

rec_inventory_t *rec_inventory_new(void)
{
    return calloc(1, sizeof(rec_inventory_t));
}

void rec_inventory_destroy(rec_inventory_t *inv)
{
    if (!inv)
        return;
    free(inv->v);
    free(inv);
}

/* Index of @p id, or of where it would go (*foundp false). */
static size_t find(const rec_inventory_t *inv, const char *id, bool *foundp)
{
    size_t lo = 0, hi = inv->cnt;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = rec_product_id_cmp(inv->v[mid].id, id);
        if (c == 0) {
            *foundp = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *foundp = false;
    return lo;
}

weir_error_t *rec_inventory_put(rec_inventory_t *inv, const rec_product_t *p)
{
    bool found;
    size_t at = find(inv, p->id, &found);
    if (found) {
        inv->v[at] = *p;
        return NULL;
    }
    if (inv->cnt == inv->cap) {
        size_t cap = inv->cap ? inv->cap * 2 : 256;
        rec_product_t *v = realloc(inv->v, cap * sizeof(*v));
        if (!v)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        inv->v = v;
        inv->cap = cap;
    }
    memmove(inv->v + at + 1, inv->v + at, (inv->cnt - at) * sizeof(*inv->v));
    inv->v[at] = *p;
    inv->cnt++;
    return NULL;
}

rec_inventory_t *rec_inventory_load(const char *path, const rec_config_t *cfg,
                                    weir_error_t **errp)
{
    *errp = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        *errp = weir_error_new(WEIR_ERR_IO, "inventory file %s: %s", path,
                               strerror(errno));
        return NULL;
    }
    rec_inventory_t *inv = rec_inventory_new();
    if (!inv) {
        fclose(f);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    while (!*errp && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue; /* as the framework's file loader does */
        rec_product_t p;
        weir_error_t *perr = rec_product_parse(line, (size_t)n, &p);
        if (perr) {
            inv->bad_rows++;
            rec_log(cfg, WEIR_LOG_WARNING, "inventory %s:%zu: row skipped: %s",
                    path, lineno, weir_error_string(perr));
            weir_error_destroy(perr);
            continue;
        }
        *errp = rec_inventory_put(inv, &p);
    }
    if (!*errp && ferror(f))
        *errp = weir_error_new(WEIR_ERR_IO, "inventory file %s: read error",
                               path);
    free(line);
    fclose(f);
    if (*errp) {
        rec_inventory_destroy(inv);
        return NULL;
    }
    return inv;
}

const rec_product_t *rec_inventory_get(const rec_inventory_t *inv,
                                       const char *id)
{
    bool found;
    size_t at = find(inv, id, &found);
    return found ? &inv->v[at] : NULL;
}

size_t rec_inventory_count(const rec_inventory_t *inv)
{
    return inv->cnt;
}

const rec_product_t *rec_inventory_at(const rec_inventory_t *inv, size_t i)
{
    return i < inv->cnt ? &inv->v[i] : NULL;
}

uint64_t rec_inventory_bad_rows(const rec_inventory_t *inv)
{
    return inv->bad_rows;
}
