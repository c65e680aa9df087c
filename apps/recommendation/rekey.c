/*
 * rekey.c: the first steps after each Avro source, a select_key and a
 * map_values that key a click or a sale by its user and keep only its
 * product id.
 *
 * The inputs' keys are timestamp strings (the seed's producer uses the
 * current time), useless for grouping; the rest of the topology needs the
 * user as the key and the product id as the value, so the repartition
 * topics carry two short strings per record. These steps run before the
 * repartition, on the task that read the record, so a bad record is
 * reported with its own topic, partition and offset (from the DSL
 * callback's context, weir_dsl_context()): a null value, a missing or
 * empty user_id or product_id, or a product_id that is not in the
 * inventory (the global store, which every node may read). Such a record
 * returns a WEIR_ERR_PROCESSING error for the framework's processing
 * handler (dead_letter in the CLI) and goes no further: it never counts
 * as a click or a purchase. All the checks are in rec_user_of(), which
 * runs first; rec_product_of() only extracts what it has checked.
 *
 * The same callbacks serve both inputs; the record's topic says which it
 * is, for messages.
 */
#include <avro.h>
#include <stdlib.h>
#include <string.h>

#include "rec_steps.h"

/* The string field @p name of an Avro record, or NULL. */
static const char *string_field(const weir_record_t *rec, const char *name,
                                size_t *lenp)
{
    avro_value_t *v = (avro_value_t *)rec->value;
    avro_value_t field;
    const char *s = NULL;
    size_t size = 0;
    if (!v || avro_value_get_by_name(v, name, &field, NULL) != 0)
        return NULL;
    if (avro_value_get_type(&field) != AVRO_STRING ||
        avro_value_get_string(&field, &s, &size) != 0 || !s)
        return NULL;
    *lenp = size ? size - 1 : 0; /* avro-c counts the NUL */
    return s;
}

/* "click" or "sale", for messages. */
static const char *what(const rec_config_t *cfg,
                        weir_processor_context_t *pctx)
{
    const char *topic = weir_processor_record_topic(pctx);
    return topic && !strcmp(topic, cfg->topic_sales) ? "sale" : "click";
}

weir_error_t *rec_user_of(void *ctx, const weir_record_t *rec, void **keyp,
                          size_t *key_lenp)
{
    weir_processor_context_t *pctx = weir_dsl_context();
    const char *kind = what(ctx, pctx);
    if (!rec->value)
        return rec_record_error(pctx, "%s with a null value", kind);
    size_t ulen = 0, plen = 0;
    const char *user = string_field(rec, "user_id", &ulen);
    const char *product = string_field(rec, "product_id", &plen);
    if (!user || ulen == 0)
        return rec_record_error(pctx, "%s without a user_id", kind);
    if (ulen > REC_USER_MAX)
        return rec_record_error(pctx,
                                "%s with a user_id longer than %d "
                                "bytes",
                                kind, REC_USER_MAX);
    if (memchr(user, '\0', ulen))
        return rec_record_error(pctx, "%s with a NUL in its user_id", kind);
    if (!product || plen == 0)
        return rec_record_error(pctx, "%s of user '%s' without a product_id",
                                kind, user);
    weir_error_t *err = rec_record_product(pctx, kind, user, product, NULL);
    if (err)
        return err;
    /* The string serde frees keys with free(). */
    char *key = strndup(user, ulen);
    if (!key)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    *keyp = key;
    *key_lenp = ulen;
    return NULL;
}

weir_error_t *rec_product_of(void *ctx, const weir_record_t *rec,
                             void **valuep, size_t *value_lenp)
{
    weir_processor_context_t *pctx = weir_dsl_context();
    size_t plen = 0;
    const char *product = string_field(rec, "product_id", &plen);
    if (!product || !*product) /* rec_user_of() let it through: a bug */
        return rec_record_error(pctx, "%s without a product_id",
                                what(ctx, pctx));
    /* The id as rec_user_of() looked it up: up to a NUL, if any. */
    char *value = strdup(product);
    if (!value)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    *valuep = value;
    *value_lenp = strlen(value);
    return NULL;
}
