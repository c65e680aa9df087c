/*
 * avro_decode.c: decoding Avro binary with writer-to-reader schema
 * resolution, for the Avro serde.
 *
 * Why not avro-c's own reader? Two reasons, both found by testing
 * avro-c 1.11:
 * - its resolved writer (avro_resolved_writer_new) refuses a reader field
 *   that the writer lacks even when the field has a default ("Reader field
 *   n doesn't appear in writer"): avro-c parses defaults and throws them
 *   away, so the most common schema evolution, adding a field with a
 *   default, cannot be read;
 * - avro_value_read allocates a string or bytes value from the length
 *   prefix before checking that the data holds that many bytes, and an
 *   array of nulls costs nothing per item in the data but memory per item
 *   in the value, so ten hostile bytes can ask for gigabytes.
 * So this file walks the writer schema over the bytes itself, checks every
 * length, index and count against what is left, and writes each datum
 * into the reader's avro_value_t (avro-c's generic values are still what
 * applications get). The walk is the same with no destination, which is
 * how writer-only fields are skipped.
 *
 * Resolution follows the Avro specification: named types match by
 * unqualified name or by the reader's aliases; records match fields by
 * name or by the reader field's aliases; fields only the writer has are
 * skipped, fields only the reader has take their default or fail with
 * WEIR_ERR_SCHEMA; numbers are promoted int -> long -> float -> double;
 * string and bytes convert both ways; enums resolve by symbol, and a
 * symbol the reader lacks takes the reader enum's default; a writer union
 * resolves the branch it wrote, a reader union takes the first branch
 * that matches the writer exactly, else the first it can be promoted to.
 *
 * Defaults and aliases. avro-c keeps neither, so weir__avro_schema_parse()
 * walks the schema's JSON (jansson) in step with the avro_schema_t it
 * parsed and records, per (record schema, field index) or per named type,
 * the JSON of field defaults, field and type aliases and enum defaults.
 * Setting a default converts that JSON to a value as the specification
 * says (bytes and fixed are strings of code points 0-255; a union's
 * default is for its first branch).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "avro_int.h"

#define MAX_DEPTH 256
/* Array and map items a datum may have beyond one per byte of data (items
 * of null or empty records take no bytes). */
#define FREE_ITEMS 65536

/* What avro-c drops from a schema's JSON and resolution needs. */
enum {
    EXTRA_FIELD_DEFAULT, /* (record, field): "default" */
    EXTRA_FIELD_ALIASES, /* (record, field): "aliases" */
    EXTRA_NAME_ALIASES,  /* (named type, -1): "aliases" */
    EXTRA_ENUM_DEFAULT,  /* (enum, -1): "default" */
};

typedef struct default_s {
    int kind;
    avro_schema_t record; /* or the named type */
    int field;            /* -1 for a type's own */
    json_t *value;        /* borrowed from root */
} default_t;

struct weir__avro_defaults_s {
    json_t *root;
    default_t *items;
    size_t n;
    size_t cap;
};

typedef struct dec_s {
    const unsigned char *p;
    const unsigned char *end;
    size_t items_left;
    const weir__avro_defaults_t *defaults;
    weir_err_t code; /* SERDE or SCHEMA once failed */
    char msg[256];
} dec_t;

/* ---- schema helpers --------------------------------------------------- */

static avro_schema_t unlink_schema(avro_schema_t s)
{
    while (s && is_avro_link(s))
        s = avro_schema_link_target(s);
    return s;
}

const char *weir__avro_schema_label(avro_schema_t schema)
{
    schema = unlink_schema(schema);
    if (!schema)
        return "(none)";
    if (is_avro_named_type(schema))
        return avro_schema_name(schema);
    return avro_schema_type_name(schema);
}

static const json_t *find_extra(const weir__avro_defaults_t *x, int kind,
                                avro_schema_t schema, int field)
{
    if (!x)
        return NULL;
    for (size_t i = 0; i < x->n; i++) {
        if (x->items[i].kind == kind && x->items[i].record == schema &&
            x->items[i].field == field)
            return x->items[i].value;
    }
    return NULL;
}

/* Whether the JSON array of aliases @p aliases names @p name (full or
 * unqualified). */
static bool has_alias(const json_t *aliases, const char *name)
{
    for (size_t i = 0; i < json_array_size(aliases); i++) {
        const char *a = json_string_value(json_array_get(aliases, i));
        if (!a)
            continue;
        const char *dot = strrchr(a, '.');
        if (!strcmp(a, name) || (dot && !strcmp(dot + 1, name)))
            return true;
    }
    return false;
}

/* The unqualified names match, or the reader's type lists the writer's
 * name among its aliases. */
static bool same_name(const weir__avro_defaults_t *x, avro_schema_t w,
                      avro_schema_t r)
{
    const char *nw = avro_schema_name(w), *nr = avro_schema_name(r);
    if (!nw || !nr)
        return false;
    return !strcmp(nw, nr) ||
           has_alias(find_extra(x, EXTRA_NAME_ALIASES, r, -1), nw);
}

/* Whether a writer of type @p w is read exactly as @p r. */
static bool exact_match(const weir__avro_defaults_t *x, avro_schema_t w,
                        avro_schema_t r)
{
    if (avro_typeof(w) != avro_typeof(r))
        return false;
    if (is_avro_named_type(w))
        return same_name(x, w, r);
    return true;
}

/* Whether a writer of type @p w can be promoted to @p r. */
static bool promotes(avro_schema_t w, avro_schema_t r)
{
    switch (avro_typeof(w)) {
    case AVRO_INT32:
        return is_avro_int64(r) || is_avro_float(r) || is_avro_double(r);
    case AVRO_INT64:
        return is_avro_float(r) || is_avro_double(r);
    case AVRO_FLOAT:
        return is_avro_double(r);
    case AVRO_STRING:
        return is_avro_bytes(r);
    case AVRO_BYTES:
        return is_avro_string(r);
    default:
        return false;
    }
}

static bool resolvable(const weir__avro_defaults_t *x, avro_schema_t w,
                       avro_schema_t r)
{
    return exact_match(x, w, r) || promotes(w, r);
}

/* ---- errors ----------------------------------------------------------- */

static int fail(dec_t *dec, weir_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(dec_t *dec, weir_err_t code, const char *fmt, ...)
{
    if (dec->code != WEIR_ERR_OK)
        return -1; /* keep the first, innermost message */
    dec->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dec->msg, sizeof(dec->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static int truncated(dec_t *dec, const char *what)
{
    return fail(dec, WEIR_ERR_SERDE, "Avro data truncated in %s", what);
}

static int avro_failed(dec_t *dec, const char *what)
{
    return fail(dec, WEIR_ERR_SCHEMA, "cannot set %s in the reader value",
                what);
}

/* ---- primitive reads -------------------------------------------------- */

static int read_long(dec_t *dec, int64_t *vp, int max_bytes)
{
    uint64_t u = 0;
    *vp = 0;
    for (int shift = 0, i = 0;; shift += 7, i++) {
        if (dec->p >= dec->end)
            return truncated(dec, "a varint");
        if (i >= max_bytes)
            return fail(dec, WEIR_ERR_SERDE, "Avro varint too long");
        unsigned char b = *dec->p++;
        u |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *vp = (int64_t)((u >> 1) ^ (~(u & 1) + 1)); /* zig-zag */
    return 0;
}

static int read_fixed(dec_t *dec, size_t n, const unsigned char **pp,
                      const char *what)
{
    *pp = dec->p;
    if ((size_t)(dec->end - dec->p) < n)
        return truncated(dec, what);
    *pp = dec->p;
    dec->p += n;
    return 0;
}

static int read_len(dec_t *dec, size_t *np, const char *what)
{
    int64_t n;
    *np = 0;
    if (read_long(dec, &n, 10) < 0)
        return -1;
    if (n < 0)
        return fail(dec, WEIR_ERR_SERDE, "negative Avro %s length", what);
    if ((uint64_t)n > (uint64_t)(dec->end - dec->p))
        return fail(dec, WEIR_ERR_SERDE,
                    "Avro %s of %lld bytes, only %zu left", what, (long long)n,
                    (size_t)(dec->end - dec->p));
    *np = (size_t)n;
    return 0;
}

/* Sets a string value from bytes that are not NUL-terminated. */
static int set_string(avro_value_t *dest, const unsigned char *p, size_t n)
{
    char small[256];
    char *s = n < sizeof(small) ? small : weir__malloc(n + 1);
    if (!s)
        return -1;
    memcpy(s, p, n);
    s[n] = '\0';
    int rc = avro_value_set_string_len(dest, s, n + 1);
    if (s != small)
        weir__free(s);
    return rc;
}

/* ---- defaults --------------------------------------------------------- */

static const json_t *find_default(const weir__avro_defaults_t *defaults,
                                  avro_schema_t record, int field)
{
    return find_extra(defaults, EXTRA_FIELD_DEFAULT, record, field);
}

/* JSON string of code points 0-255 -> bytes (the spec's bytes default). */
static unsigned char *json_bytes(const json_t *j, size_t *np)
{
    const unsigned char *s = (const unsigned char *)json_string_value(j);
    size_t len = json_string_length(j);
    unsigned char *out = weir__malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) {
            out[n++] = s[i];
        } else if ((s[i] & 0xe0) == 0xc0 && i + 1 < len && s[i] <= 0xc3) {
            out[n++] = (unsigned char)(((s[i] & 0x1f) << 6) |
                                       (s[i + 1] & 0x3f));
            i++;
        } else {
            weir__free(out);
            return NULL;
        }
    }
    *np = n;
    return out;
}

static int set_json(dec_t *dec, avro_schema_t r, const json_t *j,
                    avro_value_t *dest, int depth);

static int set_json_record(dec_t *dec, avro_schema_t r, const json_t *j,
                           avro_value_t *dest, int depth)
{
    if (!json_is_object(j))
        return fail(dec, WEIR_ERR_SCHEMA,
                    "default for record %s is not "
                    "an object",
                    avro_schema_name(r));
    size_t n = avro_schema_record_size(r);
    for (size_t i = 0; i < n; i++) {
        const char *name = avro_schema_record_field_name(r, (int)i);
        const json_t *fj = json_object_get(j, name);
        if (!fj)
            fj = find_default(dec->defaults, r, (int)i);
        if (!fj)
            return fail(dec, WEIR_ERR_SCHEMA,
                        "default for record %s lacks field %s",
                        avro_schema_name(r), name);
        avro_value_t child;
        if (avro_value_get_by_index(dest, i, &child, NULL))
            return avro_failed(dec, name);
        if (set_json(dec, avro_schema_record_field_get_by_index(r, (int)i), fj,
                     &child, depth + 1) < 0)
            return -1;
    }
    return 0;
}

static int set_json(dec_t *dec, avro_schema_t r, const json_t *j,
                    avro_value_t *dest, int depth)
{
    r = unlink_schema(r);
    if (depth > MAX_DEPTH)
        return fail(dec, WEIR_ERR_SCHEMA, "default nested too deeply");
    int rc = 0;
    const char *bad = NULL;
    switch (avro_typeof(r)) {
    case AVRO_NULL:
        if (!json_is_null(j))
            bad = "null";
        else
            rc = avro_value_set_null(dest);
        break;
    case AVRO_BOOLEAN:
        if (!json_is_boolean(j))
            bad = "boolean";
        else
            rc = avro_value_set_boolean(dest, json_is_true(j));
        break;
    case AVRO_INT32:
        if (!json_is_integer(j))
            bad = "int";
        else
            rc = avro_value_set_int(dest, (int32_t)json_integer_value(j));
        break;
    case AVRO_INT64:
        if (!json_is_integer(j))
            bad = "long";
        else
            rc = avro_value_set_long(dest, json_integer_value(j));
        break;
    case AVRO_FLOAT:
        if (!json_is_number(j))
            bad = "float";
        else
            rc = avro_value_set_float(dest, (float)json_number_value(j));
        break;
    case AVRO_DOUBLE:
        if (!json_is_number(j))
            bad = "double";
        else
            rc = avro_value_set_double(dest, json_number_value(j));
        break;
    case AVRO_STRING:
        if (!json_is_string(j))
            bad = "string";
        else
            rc = set_string(dest, (const unsigned char *)json_string_value(j),
                            json_string_length(j));
        break;
    case AVRO_BYTES:
    case AVRO_FIXED: {
        size_t n = 0;
        unsigned char *b = json_is_string(j) ? json_bytes(j, &n) : NULL;
        if (!b) {
            bad = "bytes";
            break;
        }
        if (is_avro_fixed(r) && (int64_t)n != avro_schema_fixed_size(r)) {
            weir__free(b);
            bad = "fixed of the right size";
            break;
        }
        rc = is_avro_fixed(r) ? avro_value_set_fixed(dest, b, n)
                              : avro_value_set_bytes(dest, b, n);
        weir__free(b);
        break;
    }
    case AVRO_ENUM: {
        int idx = json_is_string(j)
                      ? avro_schema_enum_get_by_name(r, json_string_value(j))
                      : -1;
        if (idx < 0)
            bad = "enum symbol";
        else
            rc = avro_value_set_enum(dest, idx);
        break;
    }
    case AVRO_ARRAY: {
        if (!json_is_array(j)) {
            bad = "array";
            break;
        }
        avro_schema_t items = avro_schema_array_items(r);
        for (size_t i = 0; i < json_array_size(j); i++) {
            avro_value_t child;
            if (avro_value_append(dest, &child, NULL))
                return avro_failed(dec, "array item");
            if (set_json(dec, items, json_array_get(j, i), &child, depth + 1) <
                0)
                return -1;
        }
        break;
    }
    case AVRO_MAP: {
        if (!json_is_object(j)) {
            bad = "map";
            break;
        }
        avro_schema_t values = avro_schema_map_values(r);
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v)
        {
            avro_value_t child;
            if (avro_value_add(dest, key, &child, NULL, NULL))
                return avro_failed(dec, "map entry");
            if (set_json(dec, values, v, &child, depth + 1) < 0)
                return -1;
        }
        break;
    }
    case AVRO_UNION: {
        avro_value_t branch;
        if (avro_value_set_branch(dest, 0, &branch))
            return avro_failed(dec, "union branch");
        return set_json(dec, avro_schema_union_branch(r, 0), j, &branch,
                        depth + 1);
    }
    case AVRO_RECORD:
        return set_json_record(dec, r, j, dest, depth);
    default:
        bad = "supported type";
    }
    if (bad)
        return fail(dec, WEIR_ERR_SCHEMA, "default value is not a %s", bad);
    if (rc)
        return avro_failed(dec, "default");
    return 0;
}

/* ---- the resolving walk ----------------------------------------------- */

static int decode(dec_t *dec, avro_schema_t w, avro_schema_t r,
                  avro_value_t *dest, int depth);

/* Reads a number written as @p w and stores it as @p r. */
static int decode_number(dec_t *dec, avro_schema_t w, avro_schema_t r,
                         avro_value_t *dest)
{
    double d = 0;
    int64_t l = 0;
    const unsigned char *p;
    switch (avro_typeof(w)) {
    case AVRO_INT32:
        if (read_long(dec, &l, 5) < 0)
            return -1;
        if (l < INT32_MIN || l > INT32_MAX)
            return fail(dec, WEIR_ERR_SERDE, "Avro int out of range");
        d = (double)l;
        break;
    case AVRO_INT64:
        if (read_long(dec, &l, 10) < 0)
            return -1;
        d = (double)l;
        break;
    case AVRO_FLOAT: {
        if (read_fixed(dec, 4, &p, "a float") < 0)
            return -1;
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        float f;
        memcpy(&f, &u, sizeof(f));
        d = f;
        break;
    }
    default: { /* AVRO_DOUBLE */
        if (read_fixed(dec, 8, &p, "a double") < 0)
            return -1;
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--)
            u = (u << 8) | p[i];
        memcpy(&d, &u, sizeof(d));
        break;
    }
    }
    if (!dest)
        return 0;
    int rc;
    switch (avro_typeof(r)) {
    case AVRO_INT32:
        rc = avro_value_set_int(dest, (int32_t)l);
        break;
    case AVRO_INT64:
        rc = avro_value_set_long(dest, l);
        break;
    case AVRO_FLOAT:
        rc = avro_value_set_float(dest, (float)d);
        break;
    default:
        rc = avro_value_set_double(dest, d);
        break;
    }
    return rc ? avro_failed(dec, "number") : 0;
}

static int decode_record(dec_t *dec, avro_schema_t w, avro_schema_t r,
                         avro_value_t *dest, int depth)
{
    size_t nw = avro_schema_record_size(w);
    size_t nr = r ? avro_schema_record_size(r) : 0;
    bool small_seen[64] = {false};
    bool *seen = small_seen;
    if (nr > 64) {
        seen = weir__calloc(nr, sizeof(bool));
        if (!seen)
            return fail(dec, WEIR_ERR_NOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nw; i++) {
        const char *name = avro_schema_record_field_name(w, (int)i);
        avro_schema_t wf = avro_schema_record_field_get_by_index(w, (int)i);
        int ri = r ? avro_schema_record_field_get_index(r, name) : -1;
        for (size_t j = 0; ri < 0 && j < nr; j++) {
            /* A reader field that names this one among its aliases (a
             * renamed field). */
            if (!seen[j] &&
                has_alias(
                    find_extra(dec->defaults, EXTRA_FIELD_ALIASES, r, (int)j),
                    name))
                ri = (int)j;
        }
        if (ri < 0) {
            rc = decode(dec, wf, NULL, NULL, depth + 1);
            continue;
        }
        seen[ri] = true;
        avro_value_t child;
        if (avro_value_get_by_index(dest, (size_t)ri, &child, NULL)) {
            rc = avro_failed(dec, name);
            break;
        }
        rc = decode(dec, wf, avro_schema_record_field_get_by_index(r, ri),
                    &child, depth + 1);
    }
    for (size_t i = 0; rc == 0 && i < nr; i++) {
        if (seen[i])
            continue;
        const char *name = avro_schema_record_field_name(r, (int)i);
        const json_t *dj = find_default(dec->defaults, r, (int)i);
        if (!dj) {
            rc = fail(dec, WEIR_ERR_SCHEMA,
                      "reader field %s.%s is not in the writer schema and "
                      "has no default",
                      avro_schema_name(r), name);
            break;
        }
        avro_value_t child;
        if (avro_value_get_by_index(dest, i, &child, NULL))
            rc = avro_failed(dec, name);
        else
            rc = set_json(dec,
                          avro_schema_record_field_get_by_index(r, (int)i), dj,
                          &child, depth + 1);
    }
    if (seen != small_seen)
        weir__free(seen);
    return rc;
}

/* Arrays and maps: blocks of items until a block of 0. */
static int decode_blocks(dec_t *dec, avro_schema_t w, avro_schema_t r,
                         avro_value_t *dest, int depth)
{
    bool is_map = is_avro_map(w);
    avro_schema_t wi = is_map ? avro_schema_map_values(w)
                              : avro_schema_array_items(w);
    avro_schema_t ri = NULL;
    if (r)
        ri = is_map ? avro_schema_map_values(r) : avro_schema_array_items(r);
    for (;;) {
        int64_t count;
        if (read_long(dec, &count, 10) < 0)
            return -1;
        if (count == 0)
            return 0;
        if (count < 0) {
            /* A negative count is followed by the block's size in bytes. */
            int64_t size;
            if (count == INT64_MIN || read_long(dec, &size, 10) < 0)
                return fail(dec, WEIR_ERR_SERDE, "bad Avro block count");
            count = -count;
        }
        if ((uint64_t)count > dec->items_left)
            return fail(dec, WEIR_ERR_SERDE,
                        "Avro %s of %lld items is more than %zu bytes can "
                        "hold",
                        is_map ? "map" : "array", (long long)count,
                        (size_t)(dec->end - dec->p));
        dec->items_left -= (size_t)count;
        for (int64_t i = 0; i < count; i++) {
            avro_value_t child, *cp = NULL;
            if (is_map) {
                size_t n;
                const unsigned char *k;
                if (read_len(dec, &n, "map key") < 0 ||
                    read_fixed(dec, n, &k, "map key") < 0)
                    return -1;
                if (dest) {
                    char small[128];
                    char *key = n < sizeof(small) ? small
                                                  : weir__malloc(n + 1);
                    if (!key)
                        return fail(dec, WEIR_ERR_NOMEM, "out of memory");
                    memcpy(key, k, n);
                    key[n] = '\0';
                    int rc = avro_value_add(dest, key, &child, NULL, NULL);
                    if (key != small)
                        weir__free(key);
                    if (rc)
                        return avro_failed(dec, "map entry");
                    cp = &child;
                }
            } else if (dest) {
                if (avro_value_append(dest, &child, NULL))
                    return avro_failed(dec, "array item");
                cp = &child;
            }
            if (decode(dec, wi, ri, cp, depth + 1) < 0)
                return -1;
        }
    }
}

static int decode_union(dec_t *dec, avro_schema_t w, avro_schema_t r,
                        avro_value_t *dest, int depth)
{
    int64_t idx;
    if (read_long(dec, &idx, 10) < 0)
        return -1;
    if (idx < 0 || (uint64_t)idx >= avro_schema_union_size(w))
        return fail(dec, WEIR_ERR_SERDE, "Avro union branch %lld of %zu",
                    (long long)idx, avro_schema_union_size(w));
    avro_schema_t branch = avro_schema_union_branch(w, (int)idx);
    return decode(dec, branch, r, dest, depth + 1);
}

static int decode(dec_t *dec, avro_schema_t w, avro_schema_t r,
                  avro_value_t *dest, int depth)
{
    w = unlink_schema(w);
    r = unlink_schema(r);
    if (depth > MAX_DEPTH)
        return fail(dec, WEIR_ERR_SERDE, "Avro data nested too deeply");
    if (is_avro_union(w))
        return decode_union(dec, w, r, dest, depth);
    if (r && is_avro_union(r)) {
        /* A reader union: the first exact branch, else the first that
         * the writer promotes to. */
        int pick = -1;
        size_t n = avro_schema_union_size(r);
        for (int pass = 0; pick < 0 && pass < 2; pass++) {
            for (size_t i = 0; i < n; i++) {
                avro_schema_t b = unlink_schema(
                    avro_schema_union_branch(r, (int)i));
                if (pass == 0 ? exact_match(dec->defaults, w, b)
                              : promotes(w, b)) {
                    pick = (int)i;
                    break;
                }
            }
        }
        if (pick < 0)
            return fail(dec, WEIR_ERR_SCHEMA,
                        "writer type %s matches no branch of the reader's "
                        "union",
                        weir__avro_schema_label(w));
        avro_value_t branch;
        if (avro_value_set_branch(dest, pick, &branch))
            return avro_failed(dec, "union branch");
        return decode(dec, w, avro_schema_union_branch(r, pick), &branch,
                      depth + 1);
    }
    if (r && !resolvable(dec->defaults, w, r))
        return fail(dec, WEIR_ERR_SCHEMA,
                    "writer type %s cannot be read as reader type %s",
                    weir__avro_schema_label(w), weir__avro_schema_label(r));
    if (!r)
        dest = NULL;

    const unsigned char *p;
    size_t n;
    int rc = 0;
    switch (avro_typeof(w)) {
    case AVRO_NULL:
        if (dest)
            rc = avro_value_set_null(dest);
        break;
    case AVRO_BOOLEAN:
        if (read_fixed(dec, 1, &p, "a boolean") < 0)
            return -1;
        if (*p > 1)
            return fail(dec, WEIR_ERR_SERDE, "Avro boolean byte 0x%02x", *p);
        if (dest)
            rc = avro_value_set_boolean(dest, *p);
        break;
    case AVRO_INT32:
    case AVRO_INT64:
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        return decode_number(dec, w, r, dest);
    case AVRO_STRING:
    case AVRO_BYTES:
        if (read_len(dec, &n, "string") < 0 ||
            read_fixed(dec, n, &p, "string") < 0)
            return -1;
        if (dest)
            rc = is_avro_string(r) ? set_string(dest, p, n)
                                   : avro_value_set_bytes(dest, (void *)p, n);
        break;
    case AVRO_FIXED:
        if (r && avro_schema_fixed_size(w) != avro_schema_fixed_size(r))
            return fail(dec, WEIR_ERR_SCHEMA, "fixed %s sizes differ",
                        avro_schema_name(w));
        if (read_fixed(dec, (size_t)avro_schema_fixed_size(w), &p, "a fixed") <
            0)
            return -1;
        if (dest)
            rc = avro_value_set_fixed(dest, (void *)p,
                                      (size_t)avro_schema_fixed_size(w));
        break;
    case AVRO_ENUM: {
        int64_t idx;
        if (read_long(dec, &idx, 10) < 0)
            return -1;
        if (idx < 0 || idx >= avro_schema_enum_number_of_symbols(w))
            return fail(dec, WEIR_ERR_SERDE, "Avro enum %s index %lld",
                        avro_schema_name(w), (long long)idx);
        if (!dest)
            break;
        const char *sym = avro_schema_enum_get(w, (int)idx);
        int ridx = avro_schema_enum_get_by_name(r, sym);
        if (ridx < 0) {
            /* The reader's enum default stands for symbols it lacks. */
            const json_t *dflt = find_extra(dec->defaults, EXTRA_ENUM_DEFAULT,
                                            r, -1);
            if (json_is_string(dflt))
                ridx = avro_schema_enum_get_by_name(r,
                                                    json_string_value(dflt));
        }
        if (ridx < 0)
            return fail(dec, WEIR_ERR_SCHEMA,
                        "enum symbol %s is not in the reader's %s", sym,
                        avro_schema_name(r));
        rc = avro_value_set_enum(dest, ridx);
        break;
    }
    case AVRO_ARRAY:
    case AVRO_MAP:
        return decode_blocks(dec, w, r, dest, depth);
    case AVRO_RECORD:
        return decode_record(dec, w, r, dest, depth);
    default:
        return fail(dec, WEIR_ERR_SCHEMA, "unsupported Avro type %s",
                    weir__avro_schema_label(w));
    }
    return rc ? avro_failed(dec, weir__avro_schema_label(w)) : 0;
}

weir_error_t *weir__avro_decode(avro_schema_t writer, avro_schema_t reader,
                                const weir__avro_defaults_t *defaults,
                                const void *data, size_t len,
                                avro_value_t *dest)
{
    dec_t dec = {
        .p = data,
        .end = (const unsigned char *)data + len,
        .items_left = len + FREE_ITEMS,
        .defaults = defaults,
        .code = WEIR_ERR_OK,
    };
    if (decode(&dec, writer, reader, dest, 0) < 0)
        return weir_error_new(dec.code, "%s", dec.msg);
    if (dec.p != dec.end)
        return weir_error_new(WEIR_ERR_SERDE,
                              "%zu bytes left over after the Avro datum "
                              "(%zu bytes): not written with this schema",
                              (size_t)(dec.end - dec.p), len);
    return NULL;
}

/* ---- schema parsing with defaults ------------------------------------- */

static int add_default(weir__avro_defaults_t *d, int kind,
                       avro_schema_t record, int field, json_t *value)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        default_t *items = weir__realloc(d->items, cap * sizeof(*items));
        if (!items)
            return -1;
        d->items = items;
        d->cap = cap;
    }
    d->items[d->n++] = (default_t){kind, record, field, value};
    return 0;
}

/* Walks the JSON of a type in step with its parsed schema. */
static int collect(weir__avro_defaults_t *d, json_t *j, avro_schema_t s,
                   int depth)
{
    if (!s || depth > MAX_DEPTH || is_avro_link(s))
        return 0; /* a link refers to a type whose JSON came earlier */
    if (json_is_array(j)) {
        if (!is_avro_union(s))
            return 0;
        for (size_t i = 0;
             i < json_array_size(j) && i < avro_schema_union_size(s); i++) {
            if (collect(d, json_array_get(j, i),
                        avro_schema_union_branch(s, (int)i), depth + 1) < 0)
                return -1;
        }
        return 0;
    }
    if (!json_is_object(j))
        return 0; /* a name: primitive or a type defined earlier */
    json_t *type = json_object_get(j, "type");
    if (!json_is_string(type))
        return collect(d, type, s, depth + 1); /* {"type": {...}} */
    if (is_avro_array(s))
        return collect(d, json_object_get(j, "items"),
                       avro_schema_array_items(s), depth + 1);
    if (is_avro_map(s))
        return collect(d, json_object_get(j, "values"),
                       avro_schema_map_values(s), depth + 1);
    json_t *aliases = json_object_get(j, "aliases");
    if (is_avro_named_type(s) && json_is_array(aliases) &&
        add_default(d, EXTRA_NAME_ALIASES, s, -1, aliases) < 0)
        return -1;
    json_t *enum_dflt = json_object_get(j, "default");
    if (is_avro_enum(s) && enum_dflt &&
        add_default(d, EXTRA_ENUM_DEFAULT, s, -1, enum_dflt) < 0)
        return -1;
    if (!is_avro_record(s))
        return 0;
    json_t *fields = json_object_get(j, "fields");
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        int idx = name ? avro_schema_record_field_get_index(s, name) : -1;
        if (idx < 0)
            continue;
        json_t *dflt = json_object_get(f, "default");
        if (dflt && add_default(d, EXTRA_FIELD_DEFAULT, s, idx, dflt) < 0)
            return -1;
        json_t *faliases = json_object_get(f, "aliases");
        if (json_is_array(faliases) &&
            add_default(d, EXTRA_FIELD_ALIASES, s, idx, faliases) < 0)
            return -1;
        if (collect(d, json_object_get(f, "type"),
                    avro_schema_record_field_get_by_index(s, idx),
                    depth + 1) < 0)
            return -1;
    }
    return 0;
}

void weir__avro_defaults_destroy(weir__avro_defaults_t *defaults)
{
    if (!defaults)
        return;
    json_decref(defaults->root);
    weir__free(defaults->items);
    weir__free(defaults);
}

weir_error_t *weir__avro_schema_parse(const char *json, size_t len,
                                      avro_schema_t *schemap,
                                      weir__avro_defaults_t **defaultsp)
{
    *schemap = NULL;
    *defaultsp = NULL;
    avro_schema_t schema;
    if (avro_schema_from_json_length(json, len, &schema))
        return weir_error_new(WEIR_ERR_SCHEMA, "invalid Avro schema: %s",
                              avro_strerror());
    weir__avro_defaults_t *d = weir__calloc(1, sizeof(*d));
    json_error_t jerr;
    if (d)
        d->root = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
    if (!d || !d->root || collect(d, d->root, schema, 0) < 0) {
        bool nomem = !d || d->root;
        weir__avro_defaults_destroy(d);
        avro_schema_decref(schema);
        return nomem
                   ? weir_error_new(WEIR_ERR_NOMEM, "Avro schema defaults")
                   : weir_error_new(WEIR_ERR_SCHEMA,
                                    "invalid Avro schema JSON: %s", jerr.text);
    }
    /* Check every default against its type once, so a bad default is a
     * schema error now rather than a failed record later. */
    for (size_t i = 0; i < d->n; i++) {
        if (d->items[i].kind == EXTRA_ENUM_DEFAULT) {
            const char *sym = json_string_value(d->items[i].value);
            if (!sym ||
                avro_schema_enum_get_by_name(d->items[i].record, sym) < 0) {
                weir_error_t *err = weir_error_new(
                    WEIR_ERR_SCHEMA,
                    "Avro schema: enum %s: default is not one of its "
                    "symbols",
                    avro_schema_name(d->items[i].record));
                weir__avro_defaults_destroy(d);
                avro_schema_decref(schema);
                return err;
            }
            continue;
        }
        if (d->items[i].kind != EXTRA_FIELD_DEFAULT)
            continue;
        avro_schema_t ft = avro_schema_record_field_get_by_index(
            d->items[i].record, d->items[i].field);
        avro_value_iface_t *iface = avro_generic_class_from_schema(ft);
        avro_value_t v;
        if (!iface || avro_generic_value_new(iface, &v)) {
            avro_value_iface_decref(iface);
            continue; /* avro-c will refuse the type itself later */
        }
        dec_t dec = {.defaults = d, .code = WEIR_ERR_OK};
        int rc = set_json(&dec, ft, d->items[i].value, &v, 0);
        avro_value_decref(&v);
        avro_value_iface_decref(iface);
        if (rc < 0) {
            weir_error_t *err = weir_error_new(
                WEIR_ERR_SCHEMA, "Avro schema: field %s.%s: %s",
                avro_schema_name(d->items[i].record),
                avro_schema_record_field_name(d->items[i].record,
                                              d->items[i].field),
                dec.msg);
            weir__avro_defaults_destroy(d);
            avro_schema_decref(schema);
            return err;
        }
    }
    *schemap = schema;
    *defaultsp = d;
    return NULL;
}
