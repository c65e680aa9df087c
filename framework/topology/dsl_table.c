/*
 * dsl_table.c: tables (table, global_table, to_stream) and stream-table
 * and stream-global-table joins.
 *
 * A table is materialized as bytes in a key-value store: its key and value
 * serialized with the table's serdes for the topic "<store>-changelog".
 * The table's source processor writes each update (a null value deletes)
 * and forwards it, so a table is also the stream of its updates.
 *
 * A stream-table join looks the stream record's key up in the table's
 * store: the join processor is attached to that store, which puts it in
 * the table's sub-topology (stream and table must be co-partitioned; the
 * runtime checks partition counts at start). A marked stream is
 * repartitioned first. Joins are not windowed: a stream record sees the
 * table as it is when the record is processed, which under the task's
 * timestamp ordering is the table as of the record's time (as Kafka
 * Streams does).
 *
 * A global table is a global store that every instance fills from its
 * whole topic; a stream-global-table join maps each record to a lookup
 * key and needs no co-partitioning and no repartition.
 */
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "dsl_int.h"

/* ---- table source ---- */

typedef struct table_cfg_s {
    char *store;
    char *topic; /* "<store>-changelog" */
    weir_serde_t *ks;
    weir_serde_t *vs;
} table_cfg_t;

typedef struct table_state_s {
    const table_cfg_t *cfg;
    weir_kv_store_t *kv;
} table_state_t;

static void table_cfg_free(void *p)
{
    table_cfg_t *cfg = p;
    weir__free(cfg->store);
    weir__free(cfg->topic);
    weir_serde_destroy(cfg->ks);
    weir_serde_destroy(cfg->vs);
}

static weir_error_t *table_init(weir_processor_context_t *pctx, void *opaque,
                                void **statep)
{
    const table_cfg_t *cfg = opaque;
    table_state_t *st = weir__calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->cfg = cfg;
    weir_error_t *err = weir_processor_kv_store(pctx, cfg->store, &st->kv);
    if (err) {
        weir__free(st);
        return err;
    }
    *statep = st;
    return NULL;
}

static void state_close(void *state, void *opaque)
{
    (void)opaque;
    weir__free(state);
}

static weir_error_t *table_process(weir_processor_context_t *pctx, void *state,
                                   const weir_record_t *rec)
{
    table_state_t *st = state;
    const table_cfg_t *cfg = st->cfg;
    if (!rec->key) {
        weir_processor_count_dropped(pctx, "null-key");
        return NULL;
    }
    weir_buf_t kb, vb;
    weir_error_t *err = weir__dsl_serialize(cfg->ks, cfg->topic, rec->key,
                                            rec->key_len, &kb);
    weir_buf_init(&vb, 0);
    if (!err && rec->value)
        err = weir_serde_serialize(cfg->vs, cfg->topic, rec->value,
                                   rec->value_len, &vb);
    if (!err && rec->value)
        err = weir_kv_store_put(st->kv, kb.len ? (void *)kb.data : "", kb.len,
                                vb.len ? (void *)vb.data : "", vb.len);
    else if (!err)
        err = weir_kv_store_delete(st->kv, kb.len ? (void *)kb.data : "",
                                   kb.len);
    weir_buf_free(&kb);
    weir_buf_free(&vb);
    if (!err)
        err = weir_processor_forward(pctx, rec);
    return err;
}

static const weir_processor_ops_t table_ops = {
    .init = table_init,
    .process = table_process,
    .close = state_close,
};

static table_cfg_t *table_cfg(weir_topology_t *topo, const char *store,
                              weir_serde_t *ks, weir_serde_t *vs)
{
    table_cfg_t *cfg = weir__dsl_config(topo, sizeof(*cfg), table_cfg_free);
    if (!cfg) {
        weir_serde_destroy(ks);
        weir_serde_destroy(vs);
        return NULL;
    }
    cfg->ks = ks;
    cfg->vs = vs;
    if (!store || !*store) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY, "table: no store name");
        return NULL;
    }
    size_t tlen = strlen(store) + 16;
    cfg->store = weir__strdup(store);
    cfg->topic = weir__malloc(tlen);
    if (!cfg->store || !cfg->topic) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    weir__dsl_store_topic(store, cfg->topic, tlen);
    return cfg;
}

weir_ktable_t *weir_table(weir_topology_t *topo, const char *topic,
                          weir_serde_t *key_serde, weir_serde_t *value_serde,
                          const char *store)
{
    weir_kstream_t *s = weir_stream(topo, topic,
                                    weir__serde_ref_or_null(key_serde),
                                    weir__serde_ref_or_null(value_serde));
    table_cfg_t *cfg = s ? table_cfg(topo, store,
                                     weir__serde_ref_or_null(key_serde),
                                     weir__serde_ref_or_null(value_serde))
                         : NULL;
    if (!cfg) {
        weir_serde_destroy(key_serde);
        weir_serde_destroy(value_serde);
        return NULL;
    }
    char name[WEIR__DSL_NAME_MAX];
    weir__dsl_name(topo, "KTABLE-SOURCE-", name, sizeof(name));
    weir_topology_add_processor(topo, name, &table_ops, cfg,
                                weir_kstream_name(s), NULL);
    weir_topology_add_kv_store(topo, store, name);
    weir__dsl_t *h = weir__dsl_new(topo, name, key_serde, value_serde,
                                   sizeof(weir_ktable_t));
    if (h && !(h->store = weir__strdup(store))) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return (weir_ktable_t *)h;
}

const char *weir_ktable_store_name(const weir_ktable_t *t)
{
    return t ? t->h.store : NULL;
}

static weir_error_t *pass_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    (void)state;
    return weir_processor_forward(pctx, rec);
}

static const weir_processor_ops_t pass_ops = {.process = pass_process};

weir_kstream_t *weir_ktable_to_stream(weir_ktable_t *t)
{
    if (!t)
        return NULL;
    char name[WEIR__DSL_NAME_MAX];
    weir__dsl_name(t->h.topo, "KTABLE-TOSTREAM-", name, sizeof(name));
    weir_topology_add_processor(t->h.topo, name, &pass_ops, NULL, t->h.node,
                                NULL);
    return (weir_kstream_t *)weir__dsl_new(
        t->h.topo, name, weir__serde_ref_or_null(t->h.ks),
        weir__serde_ref_or_null(t->h.vs), sizeof(weir_kstream_t));
}

weir_kglobal_table_t *weir_global_table(weir_topology_t *topo,
                                        const char *topic,
                                        weir_serde_t *key_serde,
                                        weir_serde_t *value_serde,
                                        const char *store)
{
    table_cfg_t *cfg = topo ? table_cfg(topo, store,
                                        weir__serde_ref_or_null(key_serde),
                                        weir__serde_ref_or_null(value_serde))
                            : NULL;
    if (!cfg) {
        weir_serde_destroy(key_serde);
        weir_serde_destroy(value_serde);
        return NULL;
    }
    char src[WEIR__DSL_NAME_MAX], proc[WEIR__DSL_NAME_MAX];
    weir__dsl_name(topo, "KSTREAM-SOURCE-", src, sizeof(src));
    weir__dsl_name(topo, "KTABLE-GLOBAL-", proc, sizeof(proc));
    weir_topology_add_global_store(
        topo, store, src, topic, weir__serde_ref_or_null(key_serde),
        weir__serde_ref_or_null(value_serde), proc, &table_ops, cfg);
    weir__dsl_t *h = weir__dsl_new(topo, proc, key_serde, value_serde,
                                   sizeof(weir_kglobal_table_t));
    if (h && !(h->store = weir__strdup(store))) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return (weir_kglobal_table_t *)h;
}

/* ---- joins ---- */

typedef struct join_cfg_s {
    char *store;
    char *topic;
    weir_serde_t *tks;         /* the table's key serde (lookup keys) */
    weir_serde_t *tvs;         /* the table's value serde */
    weir_serde_t *ovs;         /* frees what the joiner made */
    weir_key_mapper_t *key_fn; /* global joins */
    weir_value_joiner_t *joiner;
    void *ctx;
    bool left;
} join_cfg_t;

typedef struct join_state_s {
    const join_cfg_t *cfg;
    weir_kv_store_t *kv;
} join_state_t;

static void join_cfg_free(void *p)
{
    join_cfg_t *cfg = p;
    weir__free(cfg->store);
    weir__free(cfg->topic);
    weir_serde_destroy(cfg->tks);
    weir_serde_destroy(cfg->tvs);
    weir_serde_destroy(cfg->ovs);
}

static weir_error_t *join_init(weir_processor_context_t *pctx, void *opaque,
                               void **statep)
{
    const join_cfg_t *cfg = opaque;
    join_state_t *st = weir__calloc(1, sizeof(*st));
    if (!st)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    st->cfg = cfg;
    weir_error_t *err = weir_processor_kv_store(pctx, cfg->store, &st->kv);
    if (err) {
        weir__free(st);
        return err;
    }
    *statep = st;
    return NULL;
}

/* Looks @p key up; *tvp is NULL when the table has no value for it. */
static weir_error_t *lookup(join_state_t *st, const void *key, size_t key_len,
                            void **tvp, size_t *tv_lenp)
{
    const join_cfg_t *cfg = st->cfg;
    weir_buf_t kb;
    void *bytes = NULL;
    size_t len = 0;
    bool found = false;
    *tvp = NULL;
    *tv_lenp = 0;
    weir_error_t *err = weir__dsl_serialize(cfg->tks, cfg->topic, key, key_len,
                                            &kb);
    if (!err)
        err = weir_kv_store_get(st->kv, kb.len ? (void *)kb.data : "", kb.len,
                                &bytes, &len, &found);
    if (!err && found)
        err = weir_serde_deserialize(cfg->tvs, cfg->topic, bytes ? bytes : "",
                                     len, tvp, tv_lenp);
    weir_free(bytes);
    weir_buf_free(&kb);
    return err;
}

static weir_error_t *join_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    join_state_t *st = state;
    const join_cfg_t *cfg = st->cfg;
    void *lk = NULL, *tv = NULL, *out = NULL;
    size_t lk_len = 0, tv_len = 0, out_len = 0;
    weir_error_t *err = NULL;
    const void *key = rec->key;
    size_t key_len = rec->key_len;
    if (cfg->key_fn) {
        err = cfg->key_fn(cfg->ctx, rec, &lk, &lk_len);
        key = lk;
        key_len = lk_len;
    }
    if (!err && !key) {
        weir_processor_count_dropped(pctx, "null-key");
        goto out;
    }
    if (!err)
        err = lookup(st, key, key_len, &tv, &tv_len);
    if (err || (!tv && !cfg->left))
        goto out;
    err = cfg->joiner(cfg->ctx, rec, tv, tv_len, &out, &out_len);
    if (!err) {
        weir_record_t o = *rec;
        o.value = out;
        o.value_len = out ? out_len : 0;
        err = weir_processor_forward(pctx, &o);
    }
out:
    weir_serde_free_obj(cfg->tks, lk, lk_len);
    weir_serde_free_obj(cfg->tvs, tv, tv_len);
    weir_serde_free_obj(cfg->ovs, out, out_len);
    return err;
}

static const weir_processor_ops_t join_ops = {
    .init = join_init,
    .process = join_process,
    .close = state_close,
};

static weir_kstream_t *join(weir_kstream_t *s, weir__dsl_t *table,
                            weir_key_mapper_t *key_fn, weir_value_joiner_t *fn,
                            void *ctx, weir_serde_t *value_serde, bool left,
                            bool global)
{
    if (!s || !table) {
        weir_serde_destroy(value_serde);
        return NULL;
    }
    weir_topology_t *topo = s->h.topo;
    if (table->topo != topo || !fn || (global && !key_fn)) {
        weir__topology_fail(
            topo, WEIR_ERR_TOPOLOGY, "join after '%s': %s", s->h.node,
            table->topo != topo ? "the table belongs to another topology"
                                : "NULL joiner or key mapper");
        weir_serde_destroy(value_serde);
        return NULL;
    }
    join_cfg_t *cfg = weir__dsl_config(topo, sizeof(*cfg), join_cfg_free);
    if (!cfg) {
        weir_serde_destroy(value_serde);
        return NULL;
    }
    cfg->tks = weir__serde_ref_or_null(table->ks);
    cfg->tvs = weir__serde_ref_or_null(table->vs);
    cfg->ovs = weir__serde_ref_or_null(value_serde ? value_serde : s->h.vs);
    cfg->key_fn = key_fn;
    cfg->joiner = fn;
    cfg->ctx = ctx;
    cfg->left = left;
    size_t tlen = strlen(table->store) + 16;
    cfg->store = weir__strdup(table->store);
    cfg->topic = weir__malloc(tlen);
    if (!cfg->store || !cfg->topic) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        weir_serde_destroy(value_serde);
        return NULL;
    }
    weir__dsl_store_topic(table->store, cfg->topic, tlen);

    char name[WEIR__DSL_NAME_MAX], pbuf[WEIR__DSL_NAME_MAX * 2];
    weir__dsl_name(topo, left ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-", name,
                   sizeof(name));
    const char *parent = global ? s->h.node
                                : weir__dsl_key_ready(&s->h, name, pbuf,
                                                      sizeof(pbuf));
    if (!parent) {
        weir_serde_destroy(value_serde);
        return NULL;
    }
    weir_topology_add_processor(topo, name, &join_ops, cfg, parent, NULL);
    if (!global)
        weir_topology_connect_store(topo, table->store, name);
    weir__dsl_t *h = weir__dsl_new(
        topo, name, weir__serde_ref_or_null(s->h.ks),
        value_serde ? value_serde : weir__serde_ref_or_null(s->h.vs),
        sizeof(weir_kstream_t));
    /* A global join keeps the stream's key, so its mark stays. */
    if (h)
        h->repartition = global && s->h.repartition;
    return (weir_kstream_t *)h;
}

weir_kstream_t *weir_kstream_join_table(weir_kstream_t *s, weir_ktable_t *t,
                                        weir_value_joiner_t *fn, void *ctx,
                                        weir_serde_t *value_serde)
{
    return join(s, t ? &t->h : NULL, NULL, fn, ctx, value_serde, false, false);
}

weir_kstream_t *weir_kstream_left_join_table(weir_kstream_t *s,
                                             weir_ktable_t *t,
                                             weir_value_joiner_t *fn,
                                             void *ctx,
                                             weir_serde_t *value_serde)
{
    return join(s, t ? &t->h : NULL, NULL, fn, ctx, value_serde, true, false);
}

weir_kstream_t *weir_kstream_join_global(weir_kstream_t *s,
                                         weir_kglobal_table_t *gt,
                                         weir_key_mapper_t *key_fn,
                                         weir_value_joiner_t *fn, void *ctx,
                                         weir_serde_t *value_serde)
{
    return join(s, gt ? &gt->h : NULL, key_fn, fn, ctx, value_serde, false,
                true);
}

weir_kstream_t *weir_kstream_left_join_global(
    weir_kstream_t *s, weir_kglobal_table_t *gt, weir_key_mapper_t *key_fn,
    weir_value_joiner_t *fn, void *ctx, weir_serde_t *value_serde)
{
    return join(s, gt ? &gt->h : NULL, key_fn, fn, ctx, value_serde, true,
                true);
}
