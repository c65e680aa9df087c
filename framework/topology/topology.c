/*
 * topology.c: the topology builder and its validation.
 *
 * Builder calls never fail loudly: the first problem (a duplicate name, a
 * topic read twice, a sink with no topic, an allocation failure) is kept
 * in the topology and every later call does nothing, so that an
 * application's topology reads top to bottom like a diagram with a single
 * check at the end. Names may be used before the node they name exists;
 * weir_topology_build() resolves them, checks the graph (unknown parents
 * and stores, nodes in the wrong role, cycles) and splits it into
 * sub-topologies.
 *
 * Sub-topologies are the connected parts of the graph when parent/child
 * edges and shared stores both connect nodes: processors that share a
 * store must run in the same task. A repartition topic is just a sink in
 * one part and a source in another, so it is where the graph splits. Parts
 * are numbered in the order of their first node, which makes the numbers
 * (and so the task ids "<sub>_<partition>") stable for a given program.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "topology_int.h"

int weir__ints_push(weir__ints_t *a, int v)
{
    if (a->cnt == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        int *nv = weir__realloc(a->v, cap * sizeof(*nv));
        if (!nv)
            return -1;
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->cnt++] = v;
    return 0;
}

bool weir__ints_has(const weir__ints_t *a, int v)
{
    for (size_t i = 0; i < a->cnt; i++)
        if (a->v[i] == v)
            return true;
    return false;
}

static void ints_free(weir__ints_t *a)
{
    weir__free(a->v);
    memset(a, 0, sizeof(*a));
}

/* Grows an array of pointers by one slot. */
static int grow(void ***arr, size_t *cap, size_t cnt)
{
    if (cnt < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void **n = weir__realloc(*arr, ncap * sizeof(void *));
    if (!n)
        return -1;
    *arr = n;
    *cap = ncap;
    return 0;
}

void weir__topology_fail(weir_topology_t *topo, weir_err_t code,
                         const char *fmt, ...)
{
    if (topo->err_code != WEIR_ERR_OK)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    topo->err_code = code;
    topo->err_msg = weir__strdup(msg); /* NULL is handled by build() */
}

bool weir__topology_closed(weir_topology_t *topo)
{
    if (topo->built) {
        weir__topology_fail(topo, WEIR_ERR_STATE,
                            "topology is already built and is read-only");
        return true;
    }
    return topo->err_code != WEIR_ERR_OK;
}

weir_topology_t *weir_topology_new(void)
{
    return weir__calloc(1, sizeof(weir_topology_t));
}

static void node_free(weir__node_t *node)
{
    if (!node)
        return;
    weir__free(node->name);
    weir_serde_destroy(node->key_serde);
    weir_serde_destroy(node->value_serde);
    for (size_t i = 0; i < node->topic_cnt; i++)
        weir__free(node->topics[i]);
    weir__free(node->topics);
    weir__free(node->file);
    weir__free(node->topic);
    for (size_t i = 0; i < node->parent_name_cnt; i++)
        weir__free(node->parent_names[i]);
    weir__free(node->parent_names);
    ints_free(&node->parents);
    ints_free(&node->children);
    ints_free(&node->stores);
    weir__free(node);
}

void weir_topology_destroy(weir_topology_t *topo)
{
    if (!topo)
        return;
    while (topo->dsl_objs) {
        weir__dsl_obj_t *o = topo->dsl_objs;
        topo->dsl_objs = o->next;
        o->free_fn(o->obj);
        weir__free(o);
    }
    for (size_t i = 0; i < topo->node_cnt; i++)
        node_free(topo->nodes[i]);
    weir__free(topo->nodes);
    for (size_t i = 0; i < topo->store_cnt; i++) {
        weir__free(topo->stores[i]->name);
        weir__free(topo->stores[i]);
    }
    weir__free(topo->stores);
    for (size_t i = 0; i < topo->attach_cnt; i++) {
        weir__free(topo->attach_store[i]);
        weir__free(topo->attach_proc[i]);
    }
    weir__free(topo->attach_store);
    weir__free(topo->attach_proc);
    for (size_t i = 0; i < topo->sub_cnt; i++) {
        ints_free(&topo->subs[i].nodes);
        ints_free(&topo->subs[i].stores);
        ints_free(&topo->subs[i].sources);
    }
    weir__free(topo->subs);
    weir__free(topo->err_msg);
    weir__free(topo);
}

bool weir__topology_keep(weir_topology_t *topo, void *obj,
                         void (*free_fn)(void *obj))
{
    weir__dsl_obj_t *o = weir__malloc(sizeof(*o));
    if (!o) {
        free_fn(obj);
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return false;
    }
    o->obj = obj;
    o->free_fn = free_fn;
    o->next = topo->dsl_objs;
    topo->dsl_objs = o;
    return true;
}

weir__node_t *weir__topology_node(const weir_topology_t *topo,
                                  const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < topo->node_cnt; i++)
        if (strcmp(topo->nodes[i]->name, name) == 0)
            return topo->nodes[i];
    return NULL;
}

weir__store_spec_t *weir__topology_store(const weir_topology_t *topo,
                                         const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < topo->store_cnt; i++)
        if (strcmp(topo->stores[i]->name, name) == 0)
            return topo->stores[i];
    return NULL;
}

char *weir__topic_name(const char *app_id, const char *topic, bool internal)
{
    if (!internal || !app_id)
        return weir__strdup(topic);
    size_t len = strlen(app_id) + 1 + strlen(topic) + 1;
    char *s = weir__malloc(len);
    if (s)
        snprintf(s, len, "%s-%s", app_id, topic);
    return s;
}

const char *weir__node_kind_name(weir__node_kind_t kind)
{
    switch (kind) {
    case WEIR__NODE_SOURCE:
        return "source";
    case WEIR__NODE_SINK:
        return "sink";
    default:
        return "processor";
    }
}

/* Makes a node after the checks every kind shares. Takes the serdes. */
static weir__node_t *node_add(weir_topology_t *topo, const char *name,
                              weir__node_kind_t kind, weir_serde_t *ks,
                              weir_serde_t *vs)
{
    if (weir__topology_closed(topo))
        goto fail;
    if (!name || !*name) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY, "a %s has no name",
                            weir__node_kind_name(kind));
        goto fail;
    }
    if (weir__topology_node(topo, name)) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "%s '%s': duplicate node name",
                            weir__node_kind_name(kind), name);
        goto fail;
    }
    weir__node_t *node = weir__calloc(1, sizeof(*node));
    if (!node ||
        grow((void ***)&topo->nodes, &topo->node_cap, topo->node_cnt) != 0) {
        weir__free(node);
        goto oom;
    }
    node->name = weir__strdup(name);
    if (!node->name) {
        weir__free(node);
        goto oom;
    }
    node->kind = kind;
    node->idx = (int)topo->node_cnt;
    node->subtopology = -1;
    node->key_serde = ks;
    node->value_serde = vs;
    topo->nodes[topo->node_cnt++] = node;
    return node;
oom:
    weir__topology_fail(topo, WEIR_ERR_NOMEM, "%s '%s': out of memory",
                        weir__node_kind_name(kind), name);
fail:
    weir_serde_destroy(ks);
    weir_serde_destroy(vs);
    return NULL;
}

static void add_parent_name(weir_topology_t *topo, weir__node_t *node,
                            const char *parent)
{
    if (!parent || !*parent) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "%s '%s': empty parent name",
                            weir__node_kind_name(node->kind), node->name);
        return;
    }
    size_t cap = node->parent_name_cnt; /* grow exactly: few parents */
    char **n = weir__realloc(node->parent_names, (cap + 1) * sizeof(char *));
    char *dup = weir__strdup(parent);
    if (!n || !dup) {
        if (n)
            node->parent_names = n;
        weir__free(dup);
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return;
    }
    node->parent_names = n;
    node->parent_names[node->parent_name_cnt++] = dup;
}

/* The source node that already reads @p topic, or NULL. */
static weir__node_t *topic_reader(weir_topology_t *topo, const char *topic)
{
    for (size_t i = 0; i < topo->node_cnt; i++) {
        weir__node_t *n = topo->nodes[i];
        for (size_t t = 0; n->kind == WEIR__NODE_SOURCE && t < n->topic_cnt;
             t++)
            if (strcmp(n->topics[t], topic) == 0)
                return n;
    }
    return NULL;
}

static void source_add(weir_topology_t *topo, const char *name,
                       const char *const *topics, size_t topic_cnt,
                       weir_serde_t *ks, weir_serde_t *vs, bool internal,
                       bool allow_no_topic)
{
    if (!weir__topology_closed(topo) && topic_cnt == 0 && !allow_no_topic) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "source '%s' has no topic", name ? name : "");
    }
    for (size_t i = 0; i < topic_cnt && !weir__topology_closed(topo); i++) {
        if (!topics[i] || !*topics[i]) {
            weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                                "source '%s': empty topic name",
                                name ? name : "");
            break;
        }
        weir__node_t *other = topic_reader(topo, topics[i]);
        if (other)
            weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                                "source '%s': topic '%s' is already read by "
                                "source '%s'",
                                name ? name : "", topics[i], other->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(topics[i], topics[j]) == 0)
                weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                                    "source '%s': topic '%s' listed twice",
                                    name ? name : "", topics[i]);
    }
    if (!weir__topology_closed(topo) && (!ks || !vs))
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "source '%s' needs a key and a value serde",
                            name ? name : "");
    weir__node_t *node = node_add(topo, name, WEIR__NODE_SOURCE, ks, vs);
    if (!node)
        return;
    node->internal = internal;
    if (topic_cnt) {
        node->topics = weir__calloc(topic_cnt, sizeof(char *));
        if (!node->topics) {
            weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
            return;
        }
    }
    for (size_t i = 0; i < topic_cnt; i++) {
        node->topics[i] = weir__strdup(topics[i]);
        if (!node->topics[i]) {
            weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
            return;
        }
        node->topic_cnt++;
    }
}

void weir_topology_add_source(weir_topology_t *topo, const char *name,
                              const char *topic, weir_serde_t *key_serde,
                              weir_serde_t *value_serde)
{
    const char *topics[1] = {topic};
    source_add(topo, name, topics, topic ? 1 : 0, key_serde, value_serde,
               false, false);
}

void weir_topology_add_source_topics(weir_topology_t *topo, const char *name,
                                     const char *const *topics,
                                     size_t topic_cnt, weir_serde_t *key_serde,
                                     weir_serde_t *value_serde)
{
    source_add(topo, name, topics, topics ? topic_cnt : 0, key_serde,
               value_serde, false, false);
}

/* The node @p name of kind @p kind, or NULL with an error recorded. */
static weir__node_t *need_node(weir_topology_t *topo, const char *name,
                               weir__node_kind_t kind, const char *what)
{
    if (weir__topology_closed(topo))
        return NULL;
    weir__node_t *node = weir__topology_node(topo, name);
    if (!node || node->kind != kind) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY, "%s: unknown %s '%s'",
                            what, weir__node_kind_name(kind),
                            name ? name : "");
        return NULL;
    }
    return node;
}

void weir_topology_set_timestamp_extractor(weir_topology_t *topo,
                                           const char *source,
                                           weir_timestamp_extractor_t *fn,
                                           void *ctx)
{
    weir__node_t *node = need_node(topo, source, WEIR__NODE_SOURCE,
                                   "timestamp extractor");
    if (!node)
        return;
    node->ts_fn = fn;
    node->ts_ctx = ctx;
}

void weir_topology_add_processor(weir_topology_t *topo, const char *name,
                                 const weir_processor_ops_t *ops, void *opaque,
                                 ...)
{
    if (!weir__topology_closed(topo) && (!ops || !ops->process)) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "processor '%s' has no process operation",
                            name ? name : "");
    }
    weir__node_t *node = node_add(topo, name, WEIR__NODE_PROCESSOR, NULL,
                                  NULL);
    if (!node)
        return;
    node->ops = ops;
    node->opaque = opaque;
    va_list ap;
    va_start(ap, opaque);
    for (const char *p = va_arg(ap, const char *); p;
         p = va_arg(ap, const char *))
        add_parent_name(topo, node, p);
    va_end(ap);
}

void weir_topology_connect(weir_topology_t *topo, const char *parent,
                           const char *child)
{
    if (weir__topology_closed(topo))
        return;
    weir__node_t *node = weir__topology_node(topo, child);
    if (!node) {
        weir__topology_fail(
            topo, WEIR_ERR_TOPOLOGY, "connect '%s' -> '%s': unknown node '%s'",
            parent ? parent : "", child ? child : "", child ? child : "");
        return;
    }
    add_parent_name(topo, node, parent);
}

void weir_topology_add_sink(weir_topology_t *topo, const char *name,
                            const char *topic, weir_serde_t *key_serde,
                            weir_serde_t *value_serde, ...)
{
    if (!weir__topology_closed(topo) && (!topic || !*topic)) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY, "sink '%s' has no topic",
                            name ? name : "");
    }
    if (!weir__topology_closed(topo) && (!key_serde || !value_serde))
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "sink '%s' needs a key and a value serde",
                            name ? name : "");
    weir__node_t *node = node_add(topo, name, WEIR__NODE_SINK, key_serde,
                                  value_serde);
    if (!node)
        return;
    node->topic = weir__strdup(topic);
    if (!node->topic) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return;
    }
    va_list ap;
    va_start(ap, value_serde);
    for (const char *p = va_arg(ap, const char *); p;
         p = va_arg(ap, const char *))
        add_parent_name(topo, node, p);
    va_end(ap);
}

void weir_topology_set_partitioner(weir_topology_t *topo, const char *sink,
                                   weir_partitioner_t *fn, void *ctx)
{
    weir__node_t *node = need_node(topo, sink, WEIR__NODE_SINK, "partitioner");
    if (!node)
        return;
    node->part_fn = fn;
    node->part_ctx = ctx;
}

void weir_topology_add_repartition(weir_topology_t *topo, const char *name,
                                   weir_serde_t *key_serde,
                                   weir_serde_t *value_serde,
                                   const char *parent)
{
    char topic[256], sink[300], source[300];
    if (!weir__topology_closed(topo) && (!name || !*name)) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "a repartition topic has no name");
    }
    if (weir__topology_closed(topo)) {
        weir_serde_destroy(key_serde);
        weir_serde_destroy(value_serde);
        return;
    }
    snprintf(topic, sizeof(topic), "%s-repartition", name);
    snprintf(sink, sizeof(sink), "%s-sink", topic);
    snprintf(source, sizeof(source), "%s-source", topic);
    weir_serde_t *ks2 = key_serde ? weir_serde_ref(key_serde) : NULL;
    weir_serde_t *vs2 = value_serde ? weir_serde_ref(value_serde) : NULL;
    weir_topology_add_sink(topo, sink, topic, key_serde, value_serde, parent,
                           NULL);
    weir__node_t *snode = weir__topology_node(topo, sink);
    if (snode && !weir__topology_closed(topo))
        snode->internal = true;
    const char *topics[1] = {topic};
    source_add(topo, source, topics, 1, ks2, vs2, true, false);
}

static weir__store_spec_t *store_add(weir_topology_t *topo, const char *name,
                                     weir__store_kind_t kind)
{
    if (weir__topology_closed(topo))
        return NULL;
    if (!name || !*name) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY, "a store has no name");
        return NULL;
    }
    if (weir__topology_store(topo, name)) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "store '%s': duplicate store name", name);
        return NULL;
    }
    weir__store_spec_t *spec = weir__calloc(1, sizeof(*spec));
    if (!spec ||
        grow((void ***)&topo->stores, &topo->store_cap, topo->store_cnt) !=
            0 ||
        !(spec->name = weir__strdup(name))) {
        weir__free(spec);
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "store '%s': out of memory",
                            name);
        return NULL;
    }
    spec->kind = kind;
    spec->idx = (int)topo->store_cnt;
    spec->persistent = true;
    spec->changelog = true;
    spec->subtopology = -1;
    topo->stores[topo->store_cnt++] = spec;
    return spec;
}

void weir_topology_connect_store(weir_topology_t *topo, const char *store,
                                 const char *processor)
{
    if (weir__topology_closed(topo))
        return;
    if (!store || !processor) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "connect store '%s' to processor '%s': missing "
                            "name",
                            store ? store : "", processor ? processor : "");
        return;
    }
    if (grow((void ***)&topo->attach_store, &topo->attach_cap,
             topo->attach_cnt) != 0) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return;
    }
    /* attach_proc shares attach_cap: grow it to the same size. */
    char **np = weir__realloc(topo->attach_proc,
                              topo->attach_cap * sizeof(char *));
    if (!np) {
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return;
    }
    topo->attach_proc = np;
    char *s = weir__strdup(store);
    char *p = weir__strdup(processor);
    if (!s || !p) {
        weir__free(s);
        weir__free(p);
        weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
        return;
    }
    topo->attach_store[topo->attach_cnt] = s;
    topo->attach_proc[topo->attach_cnt] = p;
    topo->attach_cnt++;
}

void weir_topology_add_kv_store(weir_topology_t *topo, const char *name,
                                const char *processor)
{
    if (store_add(topo, name, WEIR__STORE_KV) && processor)
        weir_topology_connect_store(topo, name, processor);
}

void weir_topology_add_window_store(weir_topology_t *topo, const char *name,
                                    int64_t retention_ms,
                                    int64_t window_size_ms,
                                    const char *processor)
{
    if (!weir__topology_closed(topo) &&
        (retention_ms <= 0 || window_size_ms <= 0 ||
         retention_ms < window_size_ms)) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "store '%s': retention (%lld ms) must be at "
                            "least the window size (%lld ms), both > 0",
                            name ? name : "", (long long)retention_ms,
                            (long long)window_size_ms);
    }
    weir__store_spec_t *spec = store_add(topo, name, WEIR__STORE_WINDOW);
    if (!spec)
        return;
    spec->retention_ms = retention_ms;
    spec->window_size_ms = window_size_ms;
    /* As Kafka Streams: segments of half the retention, at least a
     * minute, so expiry drops whole segments without scanning. */
    spec->segment_ms = retention_ms / 2 > 60000 ? retention_ms / 2 : 60000;
    if (processor)
        weir_topology_connect_store(topo, name, processor);
}

static weir__store_spec_t *need_store(weir_topology_t *topo, const char *store,
                                      const char *what)
{
    if (weir__topology_closed(topo))
        return NULL;
    weir__store_spec_t *spec = weir__topology_store(topo, store);
    if (!spec)
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY, "%s: unknown store '%s'",
                            what, store ? store : "");
    return spec;
}

void weir_topology_store_set_persistent(weir_topology_t *topo,
                                        const char *store, bool persistent)
{
    weir__store_spec_t *spec = need_store(topo, store, "set persistent");
    if (spec)
        spec->persistent = persistent;
}

void weir_topology_store_set_changelog(weir_topology_t *topo,
                                       const char *store, bool changelog)
{
    weir__store_spec_t *spec = need_store(topo, store, "set changelog");
    if (spec)
        spec->changelog = changelog && !spec->global;
}

void weir_topology_window_store_set_owner_time(weir_topology_t *topo,
                                               const char *store, bool on)
{
    weir__store_spec_t *spec = need_store(topo, store, "set owner time");
    if (spec && spec->kind != WEIR__STORE_WINDOW)
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "store '%s': owner time is for window stores",
                            store);
    else if (spec)
        spec->owner_time = on;
}

void weir_topology_add_global_store(
    weir_topology_t *topo, const char *store, const char *source,
    const char *topic, weir_serde_t *key_serde, weir_serde_t *value_serde,
    const char *processor, const weir_processor_ops_t *ops, void *opaque)
{
    const char *topics[1] = {topic};
    source_add(topo, source, topics, topic ? 1 : 0, key_serde, value_serde,
               false, true);
    weir_topology_add_processor(topo, processor, ops, opaque, source, NULL);
    weir__store_spec_t *spec = store_add(topo, store, WEIR__STORE_KV);
    if (!spec)
        return;
    spec->global = true;
    spec->changelog = false;
    weir__topology_node(topo, source)->global = true;
    weir__topology_node(topo, processor)->global = true;
    weir_topology_connect_store(topo, store, processor);
}

void weir_topology_global_store_set_file(weir_topology_t *topo,
                                         const char *store, const char *path)
{
    weir__store_spec_t *spec = need_store(topo, store, "global store file");
    if (!spec)
        return;
    if (!spec->global || !path || !*path) {
        weir__topology_fail(topo, WEIR_ERR_TOPOLOGY,
                            "store '%s': a file needs a global store and a "
                            "path",
                            store);
        return;
    }
    /* The global store's source is the parent of its only processor. */
    for (size_t i = 0; i < topo->attach_cnt; i++) {
        if (strcmp(topo->attach_store[i], store) != 0)
            continue;
        weir__node_t *proc = weir__topology_node(topo, topo->attach_proc[i]);
        weir__node_t *src = proc && proc->parent_name_cnt
                                ? weir__topology_node(topo,
                                                      proc->parent_names[0])
                                : NULL;
        if (src && src->kind == WEIR__NODE_SOURCE) {
            weir__free(src->file);
            src->file = weir__strdup(path);
            if (!src->file)
                weir__topology_fail(topo, WEIR_ERR_NOMEM, "out of memory");
            return;
        }
    }
}
