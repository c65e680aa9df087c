/*
 * topology_int.h: the body of weir_topology_t, shared by the builder,
 * describe(), the DSL, the task and the test driver (and later the Kafka
 * runtime, which reads sub-topologies, topics and store specs from here).
 *
 * Before build() nodes refer to each other by name; build() resolves the
 * names into indexes (parents, children, stores) and fills in the
 * sub-topologies. After a successful build everything here is read-only.
 */
#ifndef WEIR_TOPOLOGY_INT_H
#define WEIR_TOPOLOGY_INT_H

#include <weir/topology.h>

typedef enum weir__node_kind_e {
    WEIR__NODE_SOURCE,
    WEIR__NODE_PROCESSOR,
    WEIR__NODE_SINK
} weir__node_kind_t;

typedef enum weir__store_kind_e {
    WEIR__STORE_KV,
    WEIR__STORE_WINDOW
} weir__store_kind_t;

/* A growable array of ints (node or store indexes). */
typedef struct weir__ints_s {
    int *v;
    size_t cnt, cap;
} weir__ints_t;

typedef struct weir__node_s {
    char *name;
    weir__node_kind_t kind;
    int idx;         /* position in topo->nodes */
    int subtopology; /* after build */
    bool global;     /* part of a global store's sub-topology */

    /* Sources and sinks. */
    weir_serde_t *key_serde;
    weir_serde_t *value_serde;

    /* Sources. Internal topics (repartition) are named without the
     * application id; see weir__topic_name(). */
    char **topics;
    size_t topic_cnt;
    bool internal;
    char *file; /* global store loaded from a file */
    weir_timestamp_extractor_t *ts_fn;
    void *ts_ctx;

    /* Processors. */
    const weir_processor_ops_t *ops;
    void *opaque;

    /* Sinks. */
    char *topic;
    weir_partitioner_t *part_fn;
    void *part_ctx;

    /* Edges: names until build, indexes after. */
    char **parent_names;
    size_t parent_name_cnt;
    weir__ints_t parents;
    weir__ints_t children;
    weir__ints_t stores;
} weir__node_t;

typedef struct weir__store_spec_s {
    char *name;
    int idx;
    weir__store_kind_t kind;
    bool persistent;
    bool changelog;
    bool global;
    int64_t retention_ms;   /* window stores */
    int64_t window_size_ms; /* window stores, informative */
    int64_t segment_ms;     /* window stores */
    bool owner_time;        /* window stores: expiry follows the owner */
    int subtopology;        /* after build */
} weir__store_spec_t;

typedef struct weir__subtopology_s {
    int id;
    bool global;
    weir__ints_t nodes;   /* in creation order */
    weir__ints_t stores;  /* in creation order */
    weir__ints_t sources; /* source nodes */
} weir__subtopology_t;

/* A DSL handle freed with the topology. */
typedef struct weir__dsl_obj_s {
    struct weir__dsl_obj_s *next;
    void (*free_fn)(void *obj);
    void *obj;
} weir__dsl_obj_t;

struct weir_topology_s {
    weir__node_t **nodes;
    size_t node_cnt, node_cap;
    weir__store_spec_t **stores;
    size_t store_cnt, store_cap;
    /* (store name, processor name) pairs, resolved by build(). */
    char **attach_store, **attach_proc;
    size_t attach_cnt, attach_cap;

    weir_err_t err_code; /* first recorded problem */
    char *err_msg;
    bool built;

    weir__subtopology_t *subs;
    size_t sub_cnt;      /* regular + global */
    size_t task_sub_cnt; /* regular ones: ids 0..task_sub_cnt-1 */

    unsigned dsl_index; /* next index for generated DSL names */
    weir__dsl_obj_t *dsl_objs;
};

/* Records the first problem (later ones are ignored). */
void weir__topology_fail(weir_topology_t *topo, weir_err_t code,
                         const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when builder calls should do nothing (built, or already failed). */
bool weir__topology_closed(weir_topology_t *topo);

weir__node_t *weir__topology_node(const weir_topology_t *topo,
                                  const char *name);
weir__store_spec_t *weir__topology_store(const weir_topology_t *topo,
                                         const char *name);

/* The full topic name: internal topics get "<app_id>-" in front when
 * app_id is not NULL. Free with weir__free(). */
char *weir__topic_name(const char *app_id, const char *topic, bool internal);

/* Notes that the current node forwarded final window results, so the
 * task's owner may commit sooner to make them readable (context.c). */
void weir__processor_results_emitted(weir_processor_context_t *pctx);

/* Keeps @p obj until the topology is destroyed; false when out of memory
 * (then @p obj is freed at once). */
bool weir__topology_keep(weir_topology_t *topo, void *obj,
                         void (*free_fn)(void *obj));

/* "source", "processor" or "sink", for messages. */
const char *weir__node_kind_name(weir__node_kind_t kind);

int weir__ints_push(weir__ints_t *a, int v);
bool weir__ints_has(const weir__ints_t *a, int v);

#endif /* WEIR_TOPOLOGY_INT_H */
