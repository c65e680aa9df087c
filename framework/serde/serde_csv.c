/*
 * serde_csv.c: CSV rows, parsed with libcsv in strict mode, written by
 * hand with minimal RFC 4180 quoting, and the serde built on them.
 *
 * libcsv is set up so that it changes nothing a field holds: no space is
 * trimmed (its default trims spaces and tabs around unquoted fields), its
 * buffers come from weir's allocator (so allocation-failure tests reach
 * it), and strict mode plus CSV_STRICT_FINI make malformed quoting an
 * error rather than a guess. A Kafka value is one record: the record
 * callback counts records, and a second one fails the parse; a single
 * trailing line break is accepted because it ends the first record.
 *
 * Writing does not use csv_write(), which always quotes: quoting only what
 * needs it keeps the output byte-identical to what common producers write,
 * and weir_csv_row_add_quoted() covers formats that quote more.
 */
#include <string.h>

#include <csv.h>

#include <weir/serde_csv.h>

#include "alloc_int.h"
#include "serde_int.h"

typedef struct field_s {
    char *data; /* NUL-terminated */
    size_t len;
    bool quote;
} field_t;

struct weir_csv_row_s {
    field_t *fields;
    size_t n;
    size_t cap;
};

/* ---- rows ------------------------------------------------------------- */

weir_csv_row_t *weir_csv_row_new(void)
{
    return weir__calloc(1, sizeof(weir_csv_row_t));
}

void weir_csv_row_clear(weir_csv_row_t *row)
{
    for (size_t i = 0; i < row->n; i++)
        weir__free(row->fields[i].data);
    row->n = 0;
}

void weir_csv_row_destroy(weir_csv_row_t *row)
{
    if (!row)
        return;
    weir_csv_row_clear(row);
    weir__free(row->fields);
    weir__free(row);
}

static weir_error_t *row_add(weir_csv_row_t *row, const char *field,
                             size_t len, bool quote)
{
    if (!field)
        len = 0;
    else if (len == (size_t)-1)
        len = strlen(field);
    if (row->n == row->cap) {
        size_t cap = row->cap ? row->cap * 2 : 8;
        field_t *fields = weir__realloc(row->fields, cap * sizeof(*fields));
        if (!fields)
            return weir_error_new(WEIR_ERR_NOMEM, "CSV row");
        row->fields = fields;
        row->cap = cap;
    }
    char *copy = weir__malloc(len + 1);
    if (!copy)
        return weir_error_new(WEIR_ERR_NOMEM, "CSV field of %zu bytes", len);
    if (len)
        memcpy(copy, field, len);
    copy[len] = '\0';
    row->fields[row->n++] = (field_t){copy, len, quote};
    return NULL;
}

weir_error_t *weir_csv_row_add(weir_csv_row_t *row, const char *field,
                               size_t len)
{
    return row_add(row, field, len, false);
}

weir_error_t *weir_csv_row_add_quoted(weir_csv_row_t *row, const char *field,
                                      size_t len)
{
    return row_add(row, field, len, true);
}

size_t weir_csv_row_count(const weir_csv_row_t *row)
{
    return row->n;
}

const char *weir_csv_row_field(const weir_csv_row_t *row, size_t i,
                               size_t *lenp)
{
    if (i >= row->n) {
        if (lenp)
            *lenp = 0;
        return NULL;
    }
    if (lenp)
        *lenp = row->fields[i].len;
    return row->fields[i].data;
}

/* ---- parsing ---------------------------------------------------------- */

typedef struct parse_s {
    weir_csv_row_t *row;
    int records;
    bool nomem;
} parse_t;

static void on_field(void *data, size_t len, void *opaque)
{
    parse_t *ps = opaque;
    if (ps->nomem || ps->records > 0) {
        /* A field of a second record: counted when that record ends. */
        return;
    }
    weir_error_t *err = row_add(ps->row, data, len, false);
    if (err) {
        ps->nomem = true;
        weir_error_destroy(err);
    }
}

static void on_record(int term, void *opaque)
{
    (void)term;
    parse_t *ps = opaque;
    ps->records++;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static int is_term(unsigned char c)
{
    return c == CSV_CR || c == CSV_LF;
}

/* libcsv's allocator hooks take no size for free. */
static void *csv_realloc(void *p, size_t n)
{
    return weir__realloc(p, n);
}

weir_error_t *weir_csv_parse(const void *data, size_t len, char delim,
                             weir_csv_row_t **rowp)
{
    *rowp = NULL;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return weir_error_new(WEIR_ERR_NOMEM, "CSV parser");
    csv_set_realloc_func(&p, csv_realloc);
    csv_set_free_func(&p, weir__free);
    csv_set_delim(&p, (unsigned char)delim);
    csv_set_space_func(&p, no_space);
    csv_set_term_func(&p, is_term);
    parse_t ps = {.row = weir_csv_row_new()};
    if (!ps.row) {
        csv_free(&p);
        return weir_error_new(WEIR_ERR_NOMEM, "CSV row");
    }
    weir_error_t *err = NULL;
    size_t used = csv_parse(&p, data, len, on_field, on_record, &ps);
    if (used != len) {
        int e = csv_error(&p);
        err = e == CSV_EPARSE
                  ? weir_error_new(WEIR_ERR_CSV,
                                   "malformed CSV near byte %zu of %zu "
                                   "(quote inside an unquoted field or "
                                   "text after a closing quote)",
                                   used, len)
                  : weir_error_new(e == CSV_ENOMEM ? WEIR_ERR_NOMEM
                                                   : WEIR_ERR_CSV,
                                   "CSV: %s", csv_strerror(e));
    } else if (csv_fini(&p, on_field, on_record, &ps) != 0) {
        err = weir_error_new(WEIR_ERR_CSV,
                             "malformed CSV: a quoted field is not closed");
    }
    csv_free(&p);
    if (!err && ps.nomem)
        err = weir_error_new(WEIR_ERR_NOMEM, "CSV row");
    if (!err && ps.records > 1)
        err = weir_error_new(WEIR_ERR_CSV,
                             "CSV value holds %d records, not one (an "
                             "unquoted line break?)",
                             ps.records);
    if (err) {
        weir_csv_row_destroy(ps.row);
        return err;
    }
    *rowp = ps.row;
    return NULL;
}

/* ---- writing ---------------------------------------------------------- */

static bool needs_quotes(const field_t *f, char delim, size_t n_fields)
{
    if (f->len == 0)
        return n_fields == 1;
    if (f->data[0] == ' ' || f->data[f->len - 1] == ' ')
        return true;
    for (size_t i = 0; i < f->len; i++) {
        char c = f->data[i];
        if (c == delim || c == '"' || c == '\r' || c == '\n')
            return true;
    }
    return false;
}

weir_error_t *weir_csv_row_write(const weir_csv_row_t *row, char delim,
                                 int flags, weir_buf_t *out)
{
    size_t start = out->len;
    weir_error_t *err = NULL;
    for (size_t i = 0; !err && i < row->n; i++) {
        const field_t *f = &row->fields[i];
        if (i > 0)
            err = weir_buf_append(out, &delim, 1);
        if (err)
            break;
        bool quote = f->quote || (flags & WEIR_CSV_QUOTE_ALL) ||
                     needs_quotes(f, delim, row->n);
        if (!quote) {
            err = weir_buf_append(out, f->data, f->len);
            continue;
        }
        err = weir_buf_append(out, "\"", 1);
        size_t from = 0;
        for (size_t k = 0; !err && k < f->len; k++) {
            if (f->data[k] != '"')
                continue;
            /* Write up to and including the quote, then double it. */
            err = weir_buf_append(out, f->data + from, k - from + 1);
            if (!err)
                err = weir_buf_append(out, "\"", 1);
            from = k + 1;
        }
        if (!err)
            err = weir_buf_append(out, f->data + from, f->len - from);
        if (!err)
            err = weir_buf_append(out, "\"", 1);
    }
    if (err)
        out->len = start;
    return err;
}

/* ---- the serde -------------------------------------------------------- */

typedef struct csv_serde_s {
    char delim;
    int flags;
    size_t n_fields;
} csv_serde_t;

static weir_error_t *csv_deserialize(void *opaque, const char *topic,
                                     const void *data, size_t len, void **objp,
                                     size_t *obj_lenp)
{
    csv_serde_t *cs = opaque;
    (void)topic;
    weir_csv_row_t *row;
    weir_error_t *err = weir_csv_parse(data, len, cs->delim, &row);
    if (err) {
        if (weir_error_code(err) == WEIR_ERR_NOMEM)
            return err;
        weir_error_t *serr = weir_error_new(WEIR_ERR_SERDE, "%s",
                                            weir_error_string(err));
        serr = weir_error_set_origin_code(serr, WEIR_ERR_CSV);
        weir_error_destroy(err);
        return serr;
    }
    if (cs->n_fields && row->n != cs->n_fields) {
        err = weir_error_new(WEIR_ERR_SERDE,
                             "CSV record has %zu fields, expected %zu", row->n,
                             cs->n_fields);
        weir_csv_row_destroy(row);
        return err;
    }
    *objp = row;
    *obj_lenp = row->n;
    return NULL;
}

static weir_error_t *csv_serialize(void *opaque, const char *topic,
                                   const void *obj, size_t obj_len,
                                   weir_buf_t *out)
{
    csv_serde_t *cs = opaque;
    (void)topic;
    (void)obj_len;
    return weir_csv_row_write(obj, cs->delim, cs->flags, out);
}

static void csv_free_obj(void *opaque, void *obj, size_t obj_len)
{
    (void)opaque;
    (void)obj_len;
    weir_csv_row_destroy(obj);
}

static const weir_serde_ops_t csv_ops = {
    .name = "csv",
    .deserialize = csv_deserialize,
    .serialize = csv_serialize,
    .free_obj = csv_free_obj,
    .destroy = weir__free,
};

weir_serde_t *weir_serde_csv_new(char delim, int flags, size_t n_fields)
{
    if (delim == '"' || delim == '\r' || delim == '\n' || delim == '\0')
        return NULL;
    csv_serde_t *cs = weir__calloc(1, sizeof(*cs));
    if (!cs)
        return NULL;
    cs->delim = delim;
    cs->flags = flags;
    cs->n_fields = n_fields;
    weir_serde_t *serde = weir_serde_new(&csv_ops, cs);
    if (!serde)
        weir__free(cs);
    return serde;
}

weir_serde_t *weir_serde_csv(void)
{
    return weir_serde_csv_new(',', 0, 0);
}
