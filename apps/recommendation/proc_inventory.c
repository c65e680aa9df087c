/*
 * proc_inventory.c: inventory-loader, the processor of the global store
 * "inventory".
 *
 * Its input is CSV rows: the lines of inventory.file (loaded before any
 * task processes, with a null key and the topic "file:<path>") and then,
 * when inventory.topic is set, the records of that compacted topic (value
 * a row; a null value deletes the product named by the key). Each row is
 * written twice, under "p\0<id>" and under the category index
 * "c\0<category>\0<id>"; a product that changes category leaves its old
 * index entry. The rows are stored in canonical form, so every reader
 * parses the same bytes whatever quoting the source used.
 *
 * A row that does not parse is skipped and logged with its file and line
 * or topic coordinates; it never stops the load (a half-loaded inventory
 * is worse than one without a bad row). A file row, which cannot be
 * dead-lettered, is counted here as "bad-inventory-row"; a bad row from
 * the topic is returned as a processing error instead, so the framework
 * counts it and can send it to the dead-letter topic.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rec_steps.h"
#include "rec_topology.h"

typedef struct loader_state_s {
    const rec_config_t *cfg;
    weir_kv_store_t *inventory;
    uint64_t file_line; /* lines of the file seen, for messages */
} loader_state_t;

static weir_error_t *loader_init(weir_processor_context_t *pctx, void *opaque,
                                 void **statep)
{
    loader_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->cfg = opaque;
    *statep = st;
    return weir_processor_kv_store(pctx, REC_STORE_INVENTORY, &st->inventory);
}

static weir_error_t *remove_product(loader_state_t *st, const char *id)
{
    rec_product_t old;
    bool found = false;
    weir_error_t *err = rec_store_get_product(st->inventory, id, &old, &found);
    if (err || !found)
        return err;
    char key[2 * REC_FIELD_MAX + 8];
    size_t klen = rec_inventory_category_key(old.category, old.id, key,
                                             sizeof(key));
    err = weir_kv_store_delete(st->inventory, key, klen);
    if (!err) {
        klen = rec_inventory_product_key(old.id, key, sizeof(key));
        err = weir_kv_store_delete(st->inventory, key, klen);
    }
    return err;
}

static weir_error_t *put_product(loader_state_t *st, const rec_product_t *p)
{
    char row[4 * REC_FIELD_MAX + 64];
    int rlen = rec_product_format(p, row, sizeof(row));
    if (rlen < 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "product '%s': row too long", p->id);
    rec_product_t old;
    bool found = false;
    weir_error_t *err = rec_store_get_product(st->inventory, p->id, &old,
                                              &found);
    char key[2 * REC_FIELD_MAX + 8];
    size_t klen;
    if (!err && found && strcmp(old.category, p->category) != 0) {
        klen = rec_inventory_category_key(old.category, old.id, key,
                                          sizeof(key));
        err = weir_kv_store_delete(st->inventory, key, klen);
    }
    if (!err) {
        klen = rec_inventory_product_key(p->id, key, sizeof(key));
        err = weir_kv_store_put(st->inventory, key, klen, row, (size_t)rlen);
    }
    if (!err) {
        klen = rec_inventory_category_key(p->category, p->id, key,
                                          sizeof(key));
        err = weir_kv_store_put(st->inventory, key, klen, row, (size_t)rlen);
    }
    return err;
}

static weir_error_t *loader_process(weir_processor_context_t *pctx,
                                    void *state, const weir_record_t *rec)
{
    loader_state_t *st = state;
    const char *topic = weir_processor_record_topic(pctx);
    bool from_file = topic && !strncmp(topic, "file:", 5);
    if (from_file)
        st->file_line++;
    if (!rec->value) {
        if (!rec->key || !rec->key_len || rec->key_len >= REC_FIELD_MAX)
            return NULL; /* nothing to delete */
        char id[REC_FIELD_MAX];
        memcpy(id, rec->key, rec->key_len);
        id[rec->key_len] = '\0';
        return remove_product(st, id);
    }
    rec_product_t p;
    weir_error_t *err = rec_product_parse(rec->value, rec->value_len, &p);
    if (!err)
        return put_product(st, &p);
    if (from_file) {
        weir_processor_count_dropped(pctx, "bad-inventory-row");
        if (st->cfg->stats)
            atomic_fetch_add(&st->cfg->stats->bad_inventory_rows, 1);
        /* The file loader skips empty lines, so the count is of non-empty
         * lines; say so rather than print a wrong line number. */
        rec_log(st->cfg, WEIR_LOG_WARNING,
                "inventory %s: non-empty row %" PRIu64 " skipped: %s",
                topic + 5, st->file_line, weir_error_string(err));
        weir_error_destroy(err);
        return NULL;
    }
    rec_log(st->cfg, WEIR_LOG_WARNING,
            "inventory %s [%" PRId32 "] @%" PRId64 ": row skipped: %s",
            topic ? topic : "-", weir_processor_record_partition(pctx),
            weir_processor_record_offset(pctx), weir_error_string(err));
    weir_error_t *out = rec_record_error(pctx, "bad inventory row: %s",
                                         weir_error_string(err));
    weir_error_destroy(err);
    return out;
}

static void loader_close(void *state, void *opaque)
{
    (void)opaque;
    free(state);
}

const weir_processor_ops_t rec_inventory_loader_ops = {
    .init = loader_init,
    .process = loader_process,
    .close = loader_close,
};
