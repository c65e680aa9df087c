/*
 * topology_describe.c: weir_topology_describe(), the topology as text.
 *
 * The layout is Kafka Streams' TopologyDescription.toString(), so people
 * who know Kafka Streams read it at a glance and tools that parse it (for
 * example the topology visualizers) keep working:
 *
 *   Topologies:
 *      Sub-topology: 0
 *       Source: in (topics: [words])
 *         --> split
 *       Processor: split (stores: [])
 *         --> out
 *         <-- in
 *       Sink: out (topic: counts)
 *         <-- split
 *
 * Each sub-topology ends with an empty line; global stores follow as
 * "Sub-topology: N for global store (will not generate tasks)". Nodes are
 * listed in the order they were added, so the output is deterministic.
 * A source loading a file shows "file: <path>" after its topics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "topology_int.h"

static void put(weir_buf_t *b, weir_error_t **errp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends formatted text; the first failure is kept in *errp. */
static void put(weir_buf_t *b, weir_error_t **errp, const char *fmt, ...)
{
    if (*errp)
        return;
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        *errp = weir_buf_append(b, small, (size_t)n);
        return;
    }
    char *big = weir__malloc((size_t)n + 1);
    if (!big) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "describe: out of memory");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *errp = weir_buf_append(b, big, (size_t)n);
    weir__free(big);
}

static void put_names(const weir_topology_t *topo, weir_buf_t *b,
                      weir_error_t **errp, const weir__ints_t *nodes)
{
    if (!nodes->cnt) {
        put(b, errp, "none");
        return;
    }
    for (size_t i = 0; i < nodes->cnt; i++)
        put(b, errp, "%s%s", i ? ", " : "", topo->nodes[nodes->v[i]]->name);
}

static void put_node(const weir_topology_t *topo, weir_buf_t *b,
                     weir_error_t **errp, const weir__node_t *node)
{
    switch (node->kind) {
    case WEIR__NODE_SOURCE:
        put(b, errp, "    Source: %s (topics: [", node->name);
        for (size_t t = 0; t < node->topic_cnt; t++)
            put(b, errp, "%s%s", t ? ", " : "", node->topics[t]);
        put(b, errp, "]");
        if (node->file)
            put(b, errp, ", file: %s", node->file);
        put(b, errp, ")\n      --> ");
        put_names(topo, b, errp, &node->children);
        put(b, errp, "\n");
        break;
    case WEIR__NODE_PROCESSOR:
        put(b, errp, "    Processor: %s (stores: [", node->name);
        for (size_t s = 0; s < node->stores.cnt; s++)
            put(b, errp, "%s%s", s ? ", " : "",
                topo->stores[node->stores.v[s]]->name);
        put(b, errp, "])\n      --> ");
        put_names(topo, b, errp, &node->children);
        put(b, errp, "\n      <-- ");
        put_names(topo, b, errp, &node->parents);
        put(b, errp, "\n");
        break;
    case WEIR__NODE_SINK:
        put(b, errp, "    Sink: %s (topic: %s)\n      <-- ", node->name,
            node->topic);
        put_names(topo, b, errp, &node->parents);
        put(b, errp, "\n");
        break;
    }
}

char *weir_topology_describe(const weir_topology_t *topo)
{
    if (!topo || !topo->built)
        return NULL;
    weir_buf_t b;
    weir_buf_init(&b, 0);
    weir_error_t *err = NULL;
    put(&b, &err, "Topologies:\n ");
    for (size_t i = 0; i < topo->sub_cnt; i++) {
        const weir__subtopology_t *sub = &topo->subs[i];
        put(&b, &err, "  Sub-topology: %d%s\n", sub->id,
            sub->global ? " for global store (will not generate tasks)" : "");
        for (size_t n = 0; n < sub->nodes.cnt; n++)
            put_node(topo, &b, &err, topo->nodes[sub->nodes.v[n]]);
        put(&b, &err, "\n");
    }
    if (!err)
        err = weir_buf_append(&b, "", 1); /* the NUL */
    if (err) {
        weir_error_destroy(err);
        weir_buf_free(&b);
        return NULL;
    }
    size_t len;
    return (char *)weir_buf_detach(&b, &len);
}
