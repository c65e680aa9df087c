/*
 * dsl_stream.c: the DSL's shared helpers and its stream operations
 * (stream, filter, map_values, flat_map_values, map, select_key, peek,
 * foreach, to, repartition) and process(), a processor of the processor
 * API inside a chain.
 *
 * Each operation is one processor node whose opaque is a small config
 * (the user's callback, its ctx and the serdes that free what the
 * callback made), allocated here and kept until the topology is
 * destroyed. None of these processors has per-task state, so they run
 * unchanged in any number of tasks at once.
 *
 * Ownership inside a record's trip: a processor frees the objects it made
 * right after weir_processor_forward() returns (forwarding is
 * synchronous), with the serde declared for them.
 *
 * process() adds the user's processor as it is (its ops and opaque, no
 * wrapper), attaches the stores named, and returns a stream handle on
 * it with the serdes of what it forwards: the DSL only ever needs a
 * node's name and serdes to go on from it. Callbacks reach their
 * node's context through weir_dsl_context() (context.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "dsl_int.h"

/* ---- shared helpers ---- */

weir_serde_t *weir__serde_ref_or_null(weir_serde_t *serde)
{
    return serde ? weir_serde_ref(serde) : NULL;
}

static void dsl_free(void *obj)
{
    weir__dsl_t *h = obj;
    weir__free(h->node);
    weir__free(h->store);
    weir_serde_destroy(h->ks);
    weir_serde_destroy(h->vs);
    weir__free(h);
}

weir__dsl_t *weir__dsl_new(weir_topology_t *topo, const char *node,
                           weir_serde_t *ks, weir_serde_t *vs, size_t size)
{
    if (!topo || weir__topology_closed(topo) || !node)
        goto fail;
    weir__dsl_t *h = weir__calloc(1, size);
    if (!h)
        goto oom;
    h->topo = topo;
    h->ks = ks;
    h->vs = vs;
    h->node = weir__strdup(node);
    if (!h->node) {
        h->ks = h->vs = NULL;
        dsl_free(h);
        goto oom;
    }
    if (!weir__topology_keep(topo, h, dsl_free))
        return NULL;
    return h;
oom:
    weir__topology_fail(topo, WEIR_ERR_NOMEM, "DSL: out of memory");
fail:
    weir_serde_destroy(ks);
    weir_serde_destroy(vs);
    return NULL;
}

void weir__dsl_name(weir_topology_t *topo, const char *prefix, char *buf,
                    size_t len)
{
    snprintf(buf, len, "%s%010u", prefix, topo->dsl_index++);
}

typedef struct cfg_hdr_s {
    void (*free_fn)(void *cfg);
} cfg_hdr_t;

/* Configs are allocated with a header holding their free function. */
static void cfg_free(void *obj)
{
    cfg_hdr_t *hdr = obj;
    if (hdr->free_fn)
        hdr->free_fn((char *)obj + sizeof(max_align_t));
    weir__free(obj);
}

void *weir__dsl_config(weir_topology_t *topo, size_t size,
                       void (*free_fn)(void *cfg))
{
    if (weir__topology_closed(topo))
        return NULL;
    char *mem = weir__calloc(1, sizeof(max_align_t) + size);
    if (!mem) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "DSL: out of memory");
        return NULL;
    }
    ((cfg_hdr_t *)mem)->free_fn = free_fn;
    if (!weir__topology_keep(topo, mem, cfg_free))
        return NULL;
    return mem + sizeof(max_align_t);
}

const char *weir__dsl_key_ready(weir__dsl_t *h, const char *name, char *buf,
                                size_t len)
{
    if (!h->repartition) {
        snprintf(buf, len, "%s", h->node);
        return buf;
    }
    weir_topology_add_repartition(h->topo, name,
                                  weir__serde_ref_or_null(h->ks),
                                  weir__serde_ref_or_null(h->vs), h->node);
    if (weir__topology_closed(h->topo))
        return NULL;
    snprintf(buf, len, "%s-repartition-source", name);
    return buf;
}

void weir__dsl_store_topic(const char *store, char *buf, size_t len)
{
    snprintf(buf, len, "%s-changelog", store);
}

weir_error_t *weir__dsl_serialize(weir_serde_t *serde, const char *topic,
                                  const void *obj, size_t len, weir_buf_t *out)
{
    weir_buf_init(out, 0);
    return weir_serde_serialize(serde, topic, obj, len, out);
}

/* A stream handle for the new node @p node after @p from, with the
 * serdes given (NULL: from's) and the repartition mark. */
static weir_kstream_t *derive(weir__dsl_t *from, const char *node,
                              weir_serde_t *ks, weir_serde_t *vs,
                              bool repartition)
{
    weir__dsl_t *h = weir__dsl_new(
        from->topo, node, ks ? ks : weir__serde_ref_or_null(from->ks),
        vs ? vs : weir__serde_ref_or_null(from->vs), sizeof(weir_kstream_t));
    if (h)
        h->repartition = repartition;
    return (weir_kstream_t *)h;
}

/* ---- stream ---- */

weir_kstream_t *weir_stream(weir_topology_t *topo, const char *topic,
                            weir_serde_t *key_serde, weir_serde_t *value_serde)
{
    char name[WEIR__DSL_NAME_MAX];
    if (!topo) {
        weir_serde_destroy(key_serde);
        weir_serde_destroy(value_serde);
        return NULL;
    }
    weir__dsl_name(topo, "KSTREAM-SOURCE-", name, sizeof(name));
    weir_topology_add_source(topo, name, topic,
                             weir__serde_ref_or_null(key_serde),
                             weir__serde_ref_or_null(value_serde));
    return (weir_kstream_t *)weir__dsl_new(topo, name, key_serde, value_serde,
                                           sizeof(weir_kstream_t));
}

const char *weir_kstream_name(const weir_kstream_t *s)
{
    return s ? s->h.node : NULL;
}

/* ---- filter ---- */

typedef struct filter_cfg_s {
    weir_predicate_t *pred;
    void *ctx;
    bool negate;
} filter_cfg_t;

static weir_error_t *filter_process(weir_processor_context_t *pctx,
                                    void *state, const weir_record_t *rec)
{
    const filter_cfg_t *cfg = state;
    if (cfg->pred(cfg->ctx, rec) == cfg->negate)
        return NULL;
    return weir_processor_forward(pctx, rec);
}

/* Stateless processors use their config as their state. */
static weir_error_t *config_as_state(weir_processor_context_t *pctx,
                                     void *opaque, void **statep)
{
    (void)pctx;
    *statep = opaque;
    return NULL;
}

static const weir_processor_ops_t filter_ops = {
    .init = config_as_state,
    .process = filter_process,
};

static weir_kstream_t *filter(weir_kstream_t *s, weir_predicate_t *pred,
                              void *ctx, bool negate)
{
    if (!s)
        return NULL;
    char name[WEIR__DSL_NAME_MAX];
    weir_topology_t *topo = s->h.topo;
    filter_cfg_t *cfg = weir__dsl_config(topo, sizeof(*cfg), NULL);
    if (!cfg)
        return NULL;
    if (!pred) {
        weir__topology_fail(topo, WEIR_ERR_INVALID_ARG,
                            "filter after '%s': NULL predicate", s->h.node);
        return NULL;
    }
    cfg->pred = pred;
    cfg->ctx = ctx;
    cfg->negate = negate;
    weir__dsl_name(topo, "KSTREAM-FILTER-", name, sizeof(name));
    weir_topology_add_processor(topo, name, &filter_ops, cfg, s->h.node, NULL);
    return derive(&s->h, name, NULL, NULL, s->h.repartition);
}

weir_kstream_t *weir_kstream_filter(weir_kstream_t *s, weir_predicate_t *pred,
                                    void *ctx)
{
    return filter(s, pred, ctx, false);
}

weir_kstream_t *weir_kstream_filter_not(weir_kstream_t *s,
                                        weir_predicate_t *pred, void *ctx)
{
    return filter(s, pred, ctx, true);
}

/* ---- map_values, flat_map_values, map, select_key ---- */

typedef struct map_cfg_s {
    weir_value_mapper_t *value_fn;
    weir_flat_value_mapper_t *flat_fn;
    weir_record_mapper_t *record_fn;
    weir_key_mapper_t *key_fn;
    void *ctx;
    weir_serde_t *ks; /* frees keys the callback made */
    weir_serde_t *vs; /* frees values the callback made */
} map_cfg_t;

static void map_cfg_free(void *p)
{
    map_cfg_t *cfg = p;
    weir_serde_destroy(cfg->ks);
    weir_serde_destroy(cfg->vs);
}

struct weir_emitter_s {
    weir_processor_context_t *pctx;
    const weir_record_t *rec;
};

weir_error_t *weir_emit(weir_emitter_t *em, const void *value,
                        size_t value_len)
{
    weir_record_t out = *em->rec;
    out.value = value;
    out.value_len = value ? value_len : 0;
    return weir_processor_forward(em->pctx, &out);
}

static weir_error_t *map_process(weir_processor_context_t *pctx, void *state,
                                 const weir_record_t *rec)
{
    const map_cfg_t *cfg = state;
    weir_record_t out = *rec;
    void *key = NULL, *value = NULL;
    size_t key_len = 0, value_len = 0;
    weir_error_t *err;
    if (cfg->flat_fn) {
        weir_emitter_t em = {pctx, rec};
        return cfg->flat_fn(cfg->ctx, rec, &em);
    }
    if (cfg->value_fn) {
        err = cfg->value_fn(cfg->ctx, rec, &value, &value_len);
        out.value = value;
        out.value_len = value ? value_len : 0;
    } else if (cfg->key_fn) {
        err = cfg->key_fn(cfg->ctx, rec, &key, &key_len);
        out.key = key;
        out.key_len = key ? key_len : 0;
    } else {
        err = cfg->record_fn(cfg->ctx, rec, &key, &key_len, &value,
                             &value_len);
        out.key = key;
        out.key_len = key ? key_len : 0;
        out.value = value;
        out.value_len = value ? value_len : 0;
    }
    if (!err)
        err = weir_processor_forward(pctx, &out);
    weir_serde_free_obj(cfg->ks, key, key_len);
    weir_serde_free_obj(cfg->vs, value, value_len);
    return err;
}

static const weir_processor_ops_t map_ops = {
    .init = config_as_state,
    .process = map_process,
};

/* Adds a map-like node. @p ks / @p vs are the new serdes (taken; NULL:
 * unchanged). */
static weir_kstream_t *add_map(weir_kstream_t *s, const char *prefix,
                               map_cfg_t tmpl, weir_serde_t *ks,
                               weir_serde_t *vs, bool repartition)
{
    if (!s) {
        weir_serde_destroy(ks);
        weir_serde_destroy(vs);
        return NULL;
    }
    weir_topology_t *topo = s->h.topo;
    if (!tmpl.value_fn && !tmpl.flat_fn && !tmpl.record_fn && !tmpl.key_fn) {
        weir__topology_fail(topo, WEIR_ERR_INVALID_ARG,
                            "%s after '%s': NULL function", prefix, s->h.node);
    }
    map_cfg_t *cfg = weir__dsl_config(topo, sizeof(*cfg), map_cfg_free);
    if (!cfg) {
        weir_serde_destroy(ks);
        weir_serde_destroy(vs);
        return NULL;
    }
    *cfg = tmpl;
    cfg->ks = weir__serde_ref_or_null(ks ? ks : s->h.ks);
    cfg->vs = weir__serde_ref_or_null(vs ? vs : s->h.vs);
    char name[WEIR__DSL_NAME_MAX];
    weir__dsl_name(topo, prefix, name, sizeof(name));
    weir_topology_add_processor(topo, name, &map_ops, cfg, s->h.node, NULL);
    return derive(&s->h, name, ks, vs, repartition);
}

weir_kstream_t *weir_kstream_map_values(weir_kstream_t *s,
                                        weir_value_mapper_t *fn, void *ctx,
                                        weir_serde_t *value_serde)
{
    map_cfg_t t = {.value_fn = fn, .ctx = ctx};
    return add_map(s, "KSTREAM-MAPVALUES-", t, NULL, value_serde,
                   s && s->h.repartition);
}

weir_kstream_t *weir_kstream_flat_map_values(weir_kstream_t *s,
                                             weir_flat_value_mapper_t *fn,
                                             void *ctx,
                                             weir_serde_t *value_serde)
{
    map_cfg_t t = {.flat_fn = fn, .ctx = ctx};
    return add_map(s, "KSTREAM-FLATMAPVALUES-", t, NULL, value_serde,
                   s && s->h.repartition);
}

weir_kstream_t *weir_kstream_map(weir_kstream_t *s, weir_record_mapper_t *fn,
                                 void *ctx, weir_serde_t *key_serde,
                                 weir_serde_t *value_serde)
{
    map_cfg_t t = {.record_fn = fn, .ctx = ctx};
    return add_map(s, "KSTREAM-MAP-", t, key_serde, value_serde, true);
}

weir_kstream_t *weir_kstream_select_key(weir_kstream_t *s,
                                        weir_key_mapper_t *fn, void *ctx,
                                        weir_serde_t *key_serde)
{
    map_cfg_t t = {.key_fn = fn, .ctx = ctx};
    return add_map(s, "KSTREAM-KEY-SELECT-", t, key_serde, NULL, true);
}

/* ---- peek, foreach ---- */

typedef struct peek_cfg_s {
    weir_foreach_t *fn;
    void *ctx;
    bool forward;
} peek_cfg_t;

static weir_error_t *peek_process(weir_processor_context_t *pctx, void *state,
                                  const weir_record_t *rec)
{
    const peek_cfg_t *cfg = state;
    cfg->fn(cfg->ctx, rec);
    return cfg->forward ? weir_processor_forward(pctx, rec) : NULL;
}

static const weir_processor_ops_t peek_ops = {
    .init = config_as_state,
    .process = peek_process,
};

static weir_kstream_t *peek(weir_kstream_t *s, weir_foreach_t *fn, void *ctx,
                            bool forward)
{
    if (!s)
        return NULL;
    weir_topology_t *topo = s->h.topo;
    if (!fn) {
        weir__topology_fail(topo, WEIR_ERR_INVALID_ARG,
                            "peek/foreach after '%s': NULL function",
                            s->h.node);
        return NULL;
    }
    peek_cfg_t *cfg = weir__dsl_config(topo, sizeof(*cfg), NULL);
    if (!cfg)
        return NULL;
    cfg->fn = fn;
    cfg->ctx = ctx;
    cfg->forward = forward;
    char name[WEIR__DSL_NAME_MAX];
    weir__dsl_name(topo, forward ? "KSTREAM-PEEK-" : "KSTREAM-FOREACH-", name,
                   sizeof(name));
    weir_topology_add_processor(topo, name, &peek_ops, cfg, s->h.node, NULL);
    return forward ? derive(&s->h, name, NULL, NULL, s->h.repartition) : NULL;
}

weir_kstream_t *weir_kstream_peek(weir_kstream_t *s, weir_foreach_t *fn,
                                  void *ctx)
{
    return peek(s, fn, ctx, true);
}

void weir_kstream_foreach(weir_kstream_t *s, weir_foreach_t *fn, void *ctx)
{
    peek(s, fn, ctx, false);
}

/* ---- to, repartition ---- */

void weir_kstream_to(weir_kstream_t *s, const char *topic,
                     weir_serde_t *key_serde, weir_serde_t *value_serde)
{
    if (!s) {
        weir_serde_destroy(key_serde);
        weir_serde_destroy(value_serde);
        return;
    }
    char name[WEIR__DSL_NAME_MAX];
    weir__dsl_name(s->h.topo, "KSTREAM-SINK-", name, sizeof(name));
    weir_topology_add_sink(
        s->h.topo, name, topic,
        key_serde ? key_serde : weir__serde_ref_or_null(s->h.ks),
        value_serde ? value_serde : weir__serde_ref_or_null(s->h.vs),
        s->h.node, NULL);
}

weir_kstream_t *weir_kstream_repartition(weir_kstream_t *s, const char *name)
{
    if (!s)
        return NULL;
    char buf[WEIR__DSL_NAME_MAX + 32];
    bool saved = s->h.repartition;
    s->h.repartition = true;
    const char *src = weir__dsl_key_ready(&s->h, name ? name : "", buf,
                                          sizeof(buf));
    s->h.repartition = saved;
    if (!src)
        return NULL;
    return derive(&s->h, src, NULL, NULL, false);
}

/* ---- process ---- */

weir_kstream_t *weir_kstream_process(weir_kstream_t *s, const char *name,
                                     const weir_processor_ops_t *ops,
                                     void *opaque, weir_serde_t *key_serde,
                                     weir_serde_t *value_serde, ...)
{
    if (!s || weir__topology_closed(s->h.topo)) {
        weir_serde_destroy(key_serde);
        weir_serde_destroy(value_serde);
        return NULL;
    }
    weir_topology_t *topo = s->h.topo;
    char gen[WEIR__DSL_NAME_MAX];
    if (!name) {
        weir__dsl_name(topo, "KSTREAM-PROCESSOR-", gen, sizeof(gen));
        name = gen;
    }
    /* Reports a NULL ops or process operation, and a duplicate name. */
    weir_topology_add_processor(topo, name, ops, opaque, s->h.node, NULL);
    va_list ap;
    va_start(ap, value_serde);
    for (const char *store = va_arg(ap, const char *); store;
         store = va_arg(ap, const char *))
        weir_topology_connect_store(topo, store, name);
    va_end(ap);
    /* The processor may change keys: a key-based operation after it
     * repartitions first, as after map(). */
    return derive(&s->h, name, key_serde, value_serde, true);
}
