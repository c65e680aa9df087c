/*
 * proc_rekey.c: clicks-rekey and sales-rekey, the first processor after
 * each Avro source.
 *
 * The inputs' keys are timestamp strings (the seed's producer uses the
 * current time), useless for grouping; these processors key each record
 * by its user_id and keep only the product_id as the value, which is all
 * the rest of the topology needs, so the repartition topics carry two
 * short strings per record. They run before the repartition, on the task
 * that read the record, so a bad record is reported with its own topic,
 * partition and offset: a null value, a missing or empty user_id or
 * product_id, or a product_id that is not in the inventory. Such a record
 * returns a WEIR_ERR_PROCESSING error for the framework's processing
 * handler (dead_letter in the CLI) and goes no further: it never counts
 * as a click or a purchase.
 *
 * One ops table serves both inputs; the processor's name says which.
 */
#include <avro.h>
#include <stdlib.h>
#include <string.h>

#include <weir/serde_avro.h>

#include "rec_processors.h"
#include "rec_topology.h"

typedef struct rekey_state_s {
    weir_kv_store_t *inventory;
    const char *what; /* "click" or "sale", for messages */
} rekey_state_t;

static weir_error_t *rekey_init(weir_processor_context_t *pctx, void *opaque,
                                void **statep)
{
    (void)opaque;
    rekey_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->what = strstr(weir_processor_name(pctx), "sales") ? "sale" : "click";
    weir_error_t *err = weir_processor_kv_store(pctx, REC_STORE_INVENTORY,
                                                &st->inventory);
    if (err) {
        free(st);
        return err;
    }
    *statep = st;
    return NULL;
}

/* The string field @p name of an Avro record, or NULL. */
static const char *string_field(avro_value_t *rec, const char *name,
                               size_t *lenp)
{
    avro_value_t field;
    const char *s = NULL;
    size_t size = 0;
    if (avro_value_get_by_name(rec, name, &field, NULL) != 0)
        return NULL;
    if (avro_value_get_type(&field) != AVRO_STRING ||
        avro_value_get_string(&field, &s, &size) != 0 || !s)
        return NULL;
    *lenp = size ? size - 1 : 0; /* avro-c counts the NUL */
    return s;
}

static weir_error_t *rekey_process(weir_processor_context_t *pctx,
                                   void *state, const weir_record_t *rec)
{
    rekey_state_t *st = state;
    if (!rec->value)
        return rec_record_error(pctx, "%s with a null value", st->what);
    avro_value_t *v = (avro_value_t *)rec->value;
    size_t ulen = 0, plen = 0;
    const char *user = string_field(v, "user_id", &ulen);
    const char *product = string_field(v, "product_id", &plen);
    if (!user || ulen == 0)
        return rec_record_error(pctx, "%s without a user_id", st->what);
    if (ulen > REC_USER_MAX)
        return rec_record_error(pctx, "%s with a user_id longer than %d "
                                "bytes", st->what, REC_USER_MAX);
    if (memchr(user, '\0', ulen))
        return rec_record_error(pctx, "%s with a NUL in its user_id",
                                st->what);
    if (!product || plen == 0)
        return rec_record_error(pctx, "%s of user '%s' without a product_id",
                                st->what, user);
    rec_product_t p;
    bool found = false;
    weir_error_t *err = rec_store_get_product(st->inventory, product, &p,
                                              &found);
    if (err)
        return err;
    if (!found)
        return rec_record_error(pctx,
                                "%s of user '%s': unknown product_id '%s'",
                                st->what, user, product);
    weir_record_t out = {user, ulen, p.id, strlen(p.id), rec->timestamp,
                         rec->headers};
    return weir_processor_forward(pctx, &out);
}

static void rekey_close(void *state, void *opaque)
{
    (void)opaque;
    free(state);
}

const weir_processor_ops_t rec_rekey_ops = {
    .init = rekey_init,
    .process = rekey_process,
    .close = rekey_close,
};
