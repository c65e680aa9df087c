/*
 * dsl_int.h: what the DSL files share: the handle bodies, generated node
 * names, and the "keep this config until the topology goes" helper.
 *
 * Every handle type is the same body (weir__dsl_t) under a different
 * public name, so that the compiler keeps users from passing a table
 * where a stream is expected while the DSL code stays one set of helpers.
 */
#ifndef WEIR_DSL_INT_H
#define WEIR_DSL_INT_H

#include <weir/dsl.h>

#include "topology_int.h"

typedef struct weir__dsl_s {
    weir_topology_t *topo;
    char *node;        /* the node whose output this handle is */
    weir_serde_t *ks;  /* owned references (may be NULL) */
    weir_serde_t *vs;
    bool repartition;  /* key changed: repartition before key-based ops */
    char *store;       /* tables: their store; global tables too */
    weir_time_windows_t win;
} weir__dsl_t;

struct weir_kstream_s {
    weir__dsl_t h;
};
struct weir_ktable_s {
    weir__dsl_t h;
};
struct weir_kgrouped_s {
    weir__dsl_t h;
};
struct weir_kwindowed_s {
    weir__dsl_t h;
};
struct weir_kglobal_table_s {
    weir__dsl_t h;
};

/*
 * Makes a handle on @p topo for node @p node, taking @p ks and @p vs.
 * The topology owns it. NULL (error recorded, serdes dropped) on failure.
 */
weir__dsl_t *weir__dsl_new(weir_topology_t *topo, const char *node,
                           weir_serde_t *ks, weir_serde_t *vs,
                           size_t size);

/* Writes the next generated name "<prefix><10 digits>" into @p buf. */
void weir__dsl_name(weir_topology_t *topo, const char *prefix, char *buf,
                    size_t len);

/* Allocates a zeroed config of @p size kept until the topology goes;
 * @p free_fn (may be NULL) frees what it points to first. */
void *weir__dsl_config(weir_topology_t *topo, size_t size,
                       void (*free_fn)(void *cfg));

/* A new reference to @p serde, or NULL for NULL. */
weir_serde_t *weir__serde_ref_or_null(weir_serde_t *serde);

/*
 * Before a key-based operation: when @p h is marked for repartition, adds
 * the repartition topic "<name>-repartition" fed by h's node and returns
 * the source's name (copied into @p buf); else h's node. NULL on error.
 */
const char *weir__dsl_key_ready(weir__dsl_t *h, const char *name, char *buf,
                                size_t len);

/* The topic name store contents are serialized for: "<store>-changelog",
 * as Kafka Streams does (it matters to serdes that name subjects after
 * topics). @p buf gets it. */
void weir__dsl_store_topic(const char *store, char *buf, size_t len);

/* Serializes @p obj with @p serde into a new buffer (weir_buf_t). */
weir_error_t *weir__dsl_serialize(weir_serde_t *serde, const char *topic,
                                  const void *obj, size_t len,
                                  weir_buf_t *out);

#define WEIR__DSL_NAME_MAX 128

#endif /* WEIR_DSL_INT_H */
