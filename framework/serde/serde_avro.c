/*
 * serde_avro.c: the Avro serde in the Confluent wire format (magic 0,
 * big-endian schema id, Avro binary), on avro-c values and weir's schema
 * registry client.
 *
 * Deserialize: check the 5-byte header, find the writer schema for the id
 * (a per-serde cache of parsed schemas in front of the registry's cache of
 * texts), then decode with resolution into a fresh generic value of the
 * reader schema (avro_decode.c, which explains why avro-c's own reader is
 * not used). A writer schema that fails to parse or is not Avro is cached
 * as a failure, so a topic full of such records costs one registry fetch,
 * not one per record. A registry that cannot be reached is not cached: the
 * caller gets a retriable error and tries the record again later.
 *
 * Serialize: the subject is <topic>-value (or -key); its id is registered
 * (or looked up) once per topic and cached. The value must have the
 * serde's schema (pointer-equal for values made by
 * weir_serde_avro_value_new(), else compared with avro_schema_equal).
 * The encoding is sized first, so the output buffer's cap is checked
 * before anything is written and a too-large value leaves the buffer as it
 * was.
 *
 * Locking: one mutex per serde guards its two small caches; registry calls
 * and decoding run outside it. Two threads missing the same writer id may
 * both parse it; the registry still fetches it once, and the first parsed
 * entry is kept.
 */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <weir/serde_avro.h>

#include "alloc_int.h"
#include "avro_int.h"
#include "serde_int.h"

#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) weir__malloc(sz)
#define uthash_free(ptr, sz) weir__free(ptr)
#define uthash_nonfatal_oom(obj) (hash_oom = 1)
#include <uthash.h>

typedef struct writer_s {
    int32_t id;
    avro_schema_t schema;      /* NULL when unusable */
    avro_value_iface_t *iface; /* generic serde: class of schema */
    char *error;               /* why unusable */
    UT_hash_handle hh;
} writer_t;

typedef struct topic_id_s {
    char *topic;
    int32_t id;
    UT_hash_handle hh;
} topic_id_t;

typedef struct avro_serde_s {
    weir_registry_t *reg;
    avro_schema_t schema; /* NULL: generic */
    weir__avro_defaults_t *defaults;
    avro_value_iface_t *iface;
    char *schema_json;
    int flags;
    pthread_mutex_t lock;
    writer_t *writers;
    topic_id_t *topic_ids;
} avro_serde_t;

static const weir_serde_ops_t avro_ops;

/* ---- writer schemas --------------------------------------------------- */

static void writer_free(writer_t *w)
{
    if (w->iface)
        avro_value_iface_decref(w->iface);
    if (w->schema)
        avro_schema_decref(w->schema);
    weir__free(w->error);
    weir__free(w);
}

/* Builds the cache entry for a fetched schema; never NULL unless OOM. */
static writer_t *writer_new(avro_serde_t *as, int32_t id,
                            const weir_registry_schema_t *rs)
{
    writer_t *w = weir__calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->id = id;
    const char *type = weir_registry_schema_type(rs);
    char msg[512];
    if (strcmp(type, "AVRO")) {
        snprintf(msg, sizeof(msg), "schema id %" PRId32 " is %s, not Avro", id,
                 type);
        w->error = weir__strdup(msg);
    } else {
        const char *text = weir_registry_schema_text(rs);
        weir__avro_defaults_t *defaults = NULL;
        weir_error_t *err = weir__avro_schema_parse(text, strlen(text),
                                                    &w->schema, &defaults);
        /* Writer defaults play no part in reading. */
        weir__avro_defaults_destroy(defaults);
        if (err) {
            snprintf(msg, sizeof(msg), "schema id %" PRId32 ": %s", id,
                     weir_error_string(err));
            w->error = weir__strdup(msg);
            weir_error_destroy(err);
        } else if (!as->schema) {
            w->iface = avro_generic_class_from_schema(w->schema);
            if (!w->iface) {
                snprintf(msg, sizeof(msg),
                         "schema id %" PRId32 ": no avro-c class", id);
                w->error = weir__strdup(msg);
            }
        }
    }
    bool usable = w->schema && (as->schema || w->iface);
    if (!usable && !w->error) {
        /* Out of memory for the message itself. */
        writer_free(w);
        return NULL;
    }
    return w;
}

static weir_error_t *get_writer(avro_serde_t *as, int32_t id, writer_t **wp)
{
    writer_t *w;
    pthread_mutex_lock(&as->lock);
    HASH_FIND_INT(as->writers, &id, w);
    pthread_mutex_unlock(&as->lock);
    if (!w) {
        const weir_registry_schema_t *rs;
        weir_error_t *err = weir_registry_get_by_id(as->reg, id, &rs);
        if (err) {
            if (weir_error_code(err) != WEIR_ERR_NOT_FOUND)
                return err;
            weir_error_t *serr = weir_error_new(
                WEIR_ERR_SCHEMA, "unknown schema id %" PRId32 ": %s", id,
                weir_error_string(err));
            weir_error_destroy(err);
            return serr;
        }
        writer_t *fresh = writer_new(as, id, rs);
        if (!fresh)
            return weir_error_new(WEIR_ERR_NOMEM, "schema id %" PRId32, id);
        int hash_oom = 0;
        pthread_mutex_lock(&as->lock);
        HASH_FIND_INT(as->writers, &id, w);
        if (!w) {
            HASH_ADD_INT(as->writers, id, fresh);
            if (!hash_oom) {
                w = fresh;
                fresh = NULL;
            }
        }
        pthread_mutex_unlock(&as->lock);
        if (fresh && !w) {
            writer_free(fresh);
            return weir_error_new(WEIR_ERR_NOMEM, "schema id %" PRId32, id);
        }
        if (fresh)
            writer_free(fresh);
    }
    if (w->error)
        return weir_error_new(WEIR_ERR_SCHEMA, "%s", w->error);
    *wp = w;
    return NULL;
}

/* ---- deserialize ------------------------------------------------------ */

static weir_error_t *avro_deserialize(void *opaque, const char *topic,
                                      const void *data, size_t len,
                                      void **objp, size_t *obj_lenp)
{
    avro_serde_t *as = opaque;
    (void)topic;
    const unsigned char *b = data;
    if (len < 5)
        return weir_error_new(WEIR_ERR_SERDE,
                              "Avro value of %zu bytes is shorter than the "
                              "5-byte Confluent header",
                              len);
    if (b[0] != 0)
        return weir_error_new(WEIR_ERR_SERDE,
                              "Avro value starts with magic byte 0x%02x, "
                              "not 0x00 (not in the Confluent wire format)",
                              b[0]);
    int32_t id = (int32_t)((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
                           (uint32_t)b[3] << 8 | (uint32_t)b[4]);
    writer_t *w = NULL;
    weir_error_t *err = get_writer(as, id, &w);
    if (err)
        return err;

    avro_value_t *value = weir__malloc(sizeof(*value));
    if (!value)
        return weir_error_new(WEIR_ERR_NOMEM, "Avro value");
    avro_value_iface_t *iface = as->schema ? as->iface : w->iface;
    if (avro_generic_value_new(iface, value)) {
        weir__free(value);
        return weir_error_new(WEIR_ERR_NOMEM, "Avro value");
    }
    avro_schema_t reader = as->schema ? as->schema : w->schema;
    err = weir__avro_decode(w->schema, reader, as->defaults, b + 5, len - 5,
                            value);
    if (err) {
        avro_value_decref(value);
        weir__free(value);
        return weir_error_prefix(err, "schema id %" PRId32 ": ", id);
    }
    *objp = value;
    *obj_lenp = sizeof(*value);
    return NULL;
}

static void avro_free_obj(void *opaque, void *obj, size_t obj_len)
{
    (void)opaque;
    (void)obj_len;
    avro_value_decref(obj);
    weir__free(obj);
}

/* ---- serialize -------------------------------------------------------- */

static weir_error_t *subject_id(avro_serde_t *as, const char *topic,
                                int32_t *idp)
{
    topic_id_t *t;
    pthread_mutex_lock(&as->lock);
    HASH_FIND_STR(as->topic_ids, topic, t);
    if (t)
        *idp = t->id;
    pthread_mutex_unlock(&as->lock);
    if (t)
        return NULL;

    size_t n = strlen(topic) + sizeof("-value");
    char *subject = weir__malloc(n);
    if (!subject)
        return weir_error_new(WEIR_ERR_NOMEM, "subject");
    snprintf(subject, n, "%s-%s", topic,
             as->flags & WEIR_SERDE_AVRO_KEY ? "key" : "value");
    weir_error_t *err;
    if (as->flags & WEIR_SERDE_AVRO_NO_REGISTER) {
        bool found;
        err = weir_registry_lookup(as->reg, subject, "AVRO", as->schema_json,
                                   idp, &found);
        if (!err && !found)
            err = weir_error_new(WEIR_ERR_SCHEMA,
                                 "the schema is not registered under "
                                 "subject %s (and registering is off)",
                                 subject);
    } else {
        err = weir_registry_register(as->reg, subject, "AVRO", as->schema_json,
                                     idp);
    }
    weir__free(subject);
    if (err)
        return err;

    /* Cache it; failing to is not an error. */
    int hash_oom = 0;
    t = weir__calloc(1, sizeof(*t));
    char *key = weir__strdup(topic);
    pthread_mutex_lock(&as->lock);
    topic_id_t *old;
    HASH_FIND_STR(as->topic_ids, topic, old);
    if (t && key && !old) {
        t->topic = key;
        t->id = *idp;
        HASH_ADD_KEYPTR(hh, as->topic_ids, t->topic, strlen(t->topic), t);
        if (!hash_oom)
            t = NULL, key = NULL;
    }
    pthread_mutex_unlock(&as->lock);
    weir__free(t);
    weir__free(key);
    return NULL;
}

static weir_error_t *avro_serialize(void *opaque, const char *topic,
                                    const void *obj, size_t obj_len,
                                    weir_buf_t *out)
{
    avro_serde_t *as = opaque;
    (void)obj_len;
    avro_value_t *value = (avro_value_t *)obj;
    if (!as->schema)
        return weir_error_new(WEIR_ERR_SCHEMA,
                              "a generic Avro serde (no schema) cannot "
                              "serialize");
    if (!topic)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "Avro serialization needs a topic to name "
                              "the subject");
    avro_schema_t vs = avro_value_get_schema(value);
    if (vs != as->schema && (!vs || !avro_schema_equal(vs, as->schema)))
        return weir_error_new(WEIR_ERR_SCHEMA,
                              "value of schema %s given to the Avro serde "
                              "of schema %s",
                              weir__avro_schema_label(vs),
                              weir__avro_schema_label(as->schema));
    size_t size;
    if (avro_value_sizeof(value, &size))
        return weir_error_new(WEIR_ERR_SERDE,
                              "cannot size the Avro value (incomplete?)");
    weir_error_t *err = weir_buf_reserve(out, 5 + size);
    if (err)
        return err;
    int32_t id;
    err = subject_id(as, topic, &id);
    if (err)
        return err;
    unsigned char *p = out->data + out->len;
    p[0] = 0;
    p[1] = (unsigned char)((uint32_t)id >> 24);
    p[2] = (unsigned char)((uint32_t)id >> 16);
    p[3] = (unsigned char)((uint32_t)id >> 8);
    p[4] = (unsigned char)id;
    avro_writer_t writer = avro_writer_memory((char *)p + 5, (int64_t)size);
    if (!writer)
        return weir_error_new(WEIR_ERR_NOMEM, "Avro writer");
    int rc = avro_value_write(writer, value);
    avro_writer_free(writer);
    if (rc)
        return weir_error_new(WEIR_ERR_SERDE, "cannot encode the Avro value");
    out->len += 5 + size;
    return NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

static void avro_serde_free(void *opaque)
{
    avro_serde_t *as = opaque;
    writer_t *w, *wtmp;
    HASH_ITER(hh, as->writers, w, wtmp)
    {
        HASH_DEL(as->writers, w);
        writer_free(w);
    }
    topic_id_t *t, *ttmp;
    HASH_ITER(hh, as->topic_ids, t, ttmp)
    {
        HASH_DEL(as->topic_ids, t);
        weir__free(t->topic);
        weir__free(t);
    }
    if (as->iface)
        avro_value_iface_decref(as->iface);
    if (as->schema)
        avro_schema_decref(as->schema);
    weir__avro_defaults_destroy(as->defaults);
    weir__free(as->schema_json);
    weir_registry_destroy(as->reg);
    pthread_mutex_destroy(&as->lock);
    weir__free(as);
}

static const weir_serde_ops_t avro_ops = {
    .name = "avro",
    .deserialize = avro_deserialize,
    .serialize = avro_serialize,
    .free_obj = avro_free_obj,
    .destroy = avro_serde_free,
};

weir_serde_t *weir_serde_avro_new(weir_registry_t *reg,
                                  const char *schema_json, int flags,
                                  weir_error_t **errp)
{
    *errp = NULL;
    if (!reg) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "the Avro serde needs a schema registry");
        return NULL;
    }
    avro_serde_t *as = weir__calloc(1, sizeof(*as));
    if (!as) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "Avro serde");
        return NULL;
    }
    pthread_mutex_init(&as->lock, NULL);
    as->reg = weir_registry_ref(reg);
    as->flags = flags;
    if (schema_json) {
        *errp = weir__avro_schema_parse(schema_json, strlen(schema_json),
                                        &as->schema, &as->defaults);
        if (!*errp) {
            as->schema_json = weir__strdup(schema_json);
            as->iface = avro_generic_class_from_schema(as->schema);
            if (!as->schema_json || !as->iface)
                *errp = weir_error_new(WEIR_ERR_NOMEM, "Avro serde");
        }
        if (*errp) {
            avro_serde_free(as);
            return NULL;
        }
    }
    weir_serde_t *serde = weir_serde_new(&avro_ops, as);
    if (!serde) {
        avro_serde_free(as);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "Avro serde");
    }
    return serde;
}

avro_schema_t weir_serde_avro_schema(const weir_serde_t *serde)
{
    if (weir__serde_ops(serde) != &avro_ops)
        return NULL;
    avro_serde_t *as = weir__serde_opaque(serde);
    return as->schema;
}

weir_error_t *weir_serde_avro_value_new(weir_serde_t *serde,
                                        avro_value_t *valuep)
{
    if (!weir_serde_avro_schema(serde))
        return weir_error_new(WEIR_ERR_SCHEMA,
                              "not an Avro serde with a schema");
    avro_serde_t *as = weir__serde_opaque(serde);
    if (avro_generic_value_new(as->iface, valuep))
        return weir_error_new(WEIR_ERR_NOMEM, "Avro value");
    return NULL;
}
