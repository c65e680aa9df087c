/*
 * topology_build.c: weir_topology_build(), which turns the named graph
 * the builder recorded into indexes and sub-topologies.
 *
 * Steps, each stopping at the first problem and naming the node or store:
 * resolve parent names (unknown parents, parents that are sinks, sources
 * with parents, processors and sinks with none, edges across a global
 * store's boundary), resolve store attachments (unknown stores or
 * processors, stores on sources or sinks, a global store written by
 * another processor), look for cycles (depth-first search), then split
 * into sub-topologies with a union-find over parent edges and shared
 * stores. Regular sub-topologies are numbered first, in the order of
 * their first node, then the global ones, so task ids do not depend on
 * whether global stores exist.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "topology_int.h"

static weir_error_t *fail_build(weir_topology_t *topo, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static weir_error_t *fail_build(weir_topology_t *topo, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    weir__topology_fail(topo, WEIR_ERR_TOPOLOGY, "%s", msg);
    return weir_error_new(topo->err_code, "topology: %s",
                          topo->err_msg ? topo->err_msg : msg);
}

static weir_error_t *resolve_edges(weir_topology_t *topo)
{
    for (size_t i = 0; i < topo->node_cnt; i++) {
        weir__node_t *node = topo->nodes[i];
        if (node->kind == WEIR__NODE_SOURCE && node->parent_name_cnt)
            return fail_build(topo, "source '%s' cannot have a parent ('%s')",
                              node->name, node->parent_names[0]);
        if (node->kind != WEIR__NODE_SOURCE && !node->parent_name_cnt)
            return fail_build(topo, "%s '%s' has no parent",
                              weir__node_kind_name(node->kind), node->name);
        for (size_t p = 0; p < node->parent_name_cnt; p++) {
            weir__node_t *parent = weir__topology_node(topo,
                                                       node->parent_names[p]);
            if (!parent)
                return fail_build(topo, "%s '%s': unknown parent '%s'",
                                  weir__node_kind_name(node->kind), node->name,
                                  node->parent_names[p]);
            if (parent->kind == WEIR__NODE_SINK)
                return fail_build(topo,
                                  "%s '%s': parent '%s' is a sink, which "
                                  "has no children",
                                  weir__node_kind_name(node->kind), node->name,
                                  parent->name);
            if (parent == node)
                return fail_build(topo, "%s '%s': cycle through '%s'",
                                  weir__node_kind_name(node->kind), node->name,
                                  node->name);
            if (parent->global != node->global)
                return fail_build(topo,
                                  "%s '%s': cannot connect to '%s' across a "
                                  "global store",
                                  weir__node_kind_name(node->kind), node->name,
                                  parent->name);
            if (weir__ints_has(&node->parents, parent->idx))
                continue;
            if (weir__ints_push(&node->parents, parent->idx) ||
                weir__ints_push(&parent->children, node->idx))
                return fail_build(topo, "out of memory");
        }
    }
    for (size_t i = 0; i < topo->attach_cnt; i++) {
        weir__store_spec_t *spec = weir__topology_store(topo,
                                                        topo->attach_store[i]);
        weir__node_t *proc = weir__topology_node(topo, topo->attach_proc[i]);
        if (!proc)
            return fail_build(topo, "store '%s': unknown processor '%s'",
                              topo->attach_store[i], topo->attach_proc[i]);
        if (!spec)
            return fail_build(topo, "processor '%s': unknown store '%s'",
                              proc->name, topo->attach_store[i]);
        if (proc->kind != WEIR__NODE_PROCESSOR)
            return fail_build(topo,
                              "store '%s': '%s' is a %s; stores attach to "
                              "processors",
                              spec->name, proc->name,
                              weir__node_kind_name(proc->kind));
        if (spec->global && !proc->global)
            return fail_build(topo,
                              "store '%s': a global store is written only by "
                              "its own processor, not '%s'",
                              spec->name, proc->name);
        if (!weir__ints_has(&proc->stores, spec->idx) &&
            weir__ints_push(&proc->stores, spec->idx))
            return fail_build(topo, "out of memory");
    }
    return NULL;
}

/* Depth-first search for a cycle; colour 0 new, 1 on the path, 2 done. */
static int find_cycle(weir_topology_t *topo, int idx, char *colour)
{
    colour[idx] = 1;
    weir__node_t *node = topo->nodes[idx];
    for (size_t c = 0; c < node->children.cnt; c++) {
        int child = node->children.v[c];
        if (colour[child] == 1)
            return child;
        if (colour[child] == 0) {
            int found = find_cycle(topo, child, colour);
            if (found >= 0)
                return found;
        }
    }
    colour[idx] = 2;
    return -1;
}

static int uf_find(int *up, int i)
{
    while (up[i] != i) {
        up[i] = up[up[i]];
        i = up[i];
    }
    return i;
}

static void uf_union(int *up, int a, int b)
{
    a = uf_find(up, a);
    b = uf_find(up, b);
    /* The smaller index is the root, so a part's root is its first node. */
    if (a < b)
        up[b] = a;
    else if (b < a)
        up[a] = b;
}

static weir_error_t *split(weir_topology_t *topo)
{
    size_t n = topo->node_cnt;
    int *up = weir__malloc((n ? n : 1) * sizeof(int));
    int *store_owner = weir__malloc((topo->store_cnt ? topo->store_cnt : 1) *
                                    sizeof(int));
    int *sub_of_root = weir__malloc((n ? n : 1) * sizeof(int));
    topo->subs = weir__calloc(n ? n : 1, sizeof(weir__subtopology_t));
    weir_error_t *err = NULL;
    if (!up || !store_owner || !sub_of_root || !topo->subs) {
        err = fail_build(topo, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        up[i] = (int)i;
        sub_of_root[i] = -1;
    }
    for (size_t s = 0; s < topo->store_cnt; s++)
        store_owner[s] = -1;
    for (size_t i = 0; i < n; i++) {
        weir__node_t *node = topo->nodes[i];
        for (size_t p = 0; p < node->parents.cnt; p++)
            uf_union(up, (int)i, node->parents.v[p]);
        for (size_t s = 0; s < node->stores.cnt; s++) {
            int st = node->stores.v[s];
            if (store_owner[st] < 0)
                store_owner[st] = (int)i;
            else
                uf_union(up, (int)i, store_owner[st]);
        }
    }
    /* Regular parts first (they make tasks), then the global ones. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            weir__node_t *node = topo->nodes[i];
            if (node->global != (pass == 1))
                continue;
            int root = uf_find(up, (int)i);
            if (sub_of_root[root] < 0) {
                sub_of_root[root] = (int)topo->sub_cnt;
                topo->subs[topo->sub_cnt].id = (int)topo->sub_cnt;
                topo->subs[topo->sub_cnt].global = node->global;
                topo->sub_cnt++;
            }
            weir__subtopology_t *sub = &topo->subs[sub_of_root[root]];
            node->subtopology = sub->id;
            if (weir__ints_push(&sub->nodes, (int)i) ||
                (node->kind == WEIR__NODE_SOURCE &&
                 weir__ints_push(&sub->sources, (int)i))) {
                err = fail_build(topo, "out of memory");
                goto out;
            }
        }
        if (pass == 0)
            topo->task_sub_cnt = topo->sub_cnt;
    }
    for (size_t s = 0; s < topo->store_cnt; s++) {
        weir__store_spec_t *spec = topo->stores[s];
        if (store_owner[s] < 0)
            continue; /* declared but unused: no task opens it */
        spec->subtopology = topo->nodes[store_owner[s]]->subtopology;
        if (weir__ints_push(&topo->subs[spec->subtopology].stores, (int)s)) {
            err = fail_build(topo, "out of memory");
            goto out;
        }
    }
out:
    weir__free(up);
    weir__free(store_owner);
    weir__free(sub_of_root);
    return err;
}

weir_error_t *weir_topology_build(weir_topology_t *topo)
{
    if (!topo)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "topology: NULL");
    if (topo->err_code != WEIR_ERR_OK)
        return weir_error_new(topo->err_code, "topology: %s",
                              topo->err_msg ? topo->err_msg : "out of memory");
    if (topo->built)
        return NULL;
    if (topo->node_cnt == 0)
        return fail_build(topo, "no nodes: add a source");
    weir_error_t *err = resolve_edges(topo);
    if (err)
        return err;
    char *colour = weir__calloc(topo->node_cnt, 1);
    if (!colour)
        return fail_build(topo, "out of memory");
    for (size_t i = 0; i < topo->node_cnt; i++) {
        int at = colour[i] ? -1 : find_cycle(topo, (int)i, colour);
        if (at >= 0) {
            weir__free(colour);
            return fail_build(topo, "%s '%s' is part of a cycle",
                              weir__node_kind_name(topo->nodes[at]->kind),
                              topo->nodes[at]->name);
        }
    }
    weir__free(colour);
    err = split(topo);
    if (err)
        return err;
    topo->built = true;
    return NULL;
}

int weir_topology_subtopology_count(const weir_topology_t *topo)
{
    return topo && topo->built ? (int)topo->task_sub_cnt : 0;
}
