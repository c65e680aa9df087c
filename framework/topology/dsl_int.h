/*
 * dsl_int.h: what the DSL files share: the handle bodies, generated node
 * names, the "keep this config until the topology goes" helper, and the
 * pieces every aggregation processor is made of (the fold of a record
 * into an aggregate, the final result of a closed window, writes
 * deferred until an iterator is closed).
 *
 * Every handle type is the same body (weir__dsl_t) under a different
 * public name, so that the compiler keeps users from passing a table
 * where a stream is expected while the DSL code stays one set of helpers.
 */
#ifndef WEIR_DSL_INT_H
#define WEIR_DSL_INT_H

#include <weir/dsl.h>

#include "topology_int.h"

/* Which windows a windowed handle carries. */
typedef enum weir__win_kind_e {
    WEIR__WIN_NONE,    /* not windowed */
    WEIR__WIN_TIME,    /* tumbling, hopping: dsl_agg.c */
    WEIR__WIN_SESSION, /* dsl_session.c */
    WEIR__WIN_SLIDING  /* dsl_sliding.c */
} weir__win_kind_t;

typedef struct weir__dsl_s {
    weir_topology_t *topo;
    char *node;       /* the node whose output this handle is */
    weir_serde_t *ks; /* owned references (may be NULL) */
    weir_serde_t *vs;
    bool repartition;       /* key changed: repartition before key-based ops */
    char *store;            /* tables: their store; global tables too */
    weir__win_kind_t wkind; /* windowed handles: which of these is set */
    weir_time_windows_t win;
    weir_session_windows_t session;
    weir_sliding_windows_t sliding;
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
struct weir_ksession_windowed_s {
    weir__dsl_t h;
};

/*
 * Makes a handle on @p topo for node @p node, taking @p ks and @p vs.
 * The topology owns it. NULL (error recorded, serdes dropped) on failure.
 */
weir__dsl_t *weir__dsl_new(weir_topology_t *topo, const char *node,
                           weir_serde_t *ks, weir_serde_t *vs, size_t size);

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

/* Big-endian integers (framework/serde/serde.c). */
void weir__be64_put(unsigned char *p, uint64_t v);
uint64_t weir__be64_get(const unsigned char *p);

/* ---- aggregations (dsl_agg.c) ---- */

typedef enum weir__agg_kind_e {
    WEIR__AGG_COUNT,
    WEIR__AGG_REDUCE,
    WEIR__AGG_AGGREGATE
} weir__agg_kind_t;

/*
 * The configuration of one aggregation node, shared read-only by its
 * tasks: what it folds with, its serdes, its store and its windows.
 */
typedef struct weir__agg_cfg_s {
    weir__agg_kind_t kind;
    weir_initializer_t *init;
    weir_aggregator_t *agg;
    weir_reducer_t *reduce;
    weir_merger_t *merge; /* session aggregate */
    void *ctx;
    weir_serde_t *ks; /* the grouped key */
    weir_serde_t *as; /* the aggregate */
    char *store;
    char *topic; /* "<store>-changelog", for the serdes */
    weir__win_kind_t wkind;
    weir_time_windows_t win;
    weir_session_windows_t session;
    weir_sliding_windows_t sliding;
} weir__agg_cfg_t;

/*
 * The new aggregate from the stored bytes (@p old, NULL when there is no
 * aggregate yet) and @p rec: count adds one, reduce takes the first value
 * as is, aggregate starts from the initializer. *borrowedp is set when
 * *newp is rec->value itself, which must not be freed (free the result
 * with weir__agg_free()).
 */
weir_error_t *weir__agg_fold(const weir__agg_cfg_t *cfg,
                             const weir_record_t *rec, const void *old,
                             size_t old_len, void **newp, size_t *new_lenp,
                             bool *borrowedp);

/* weir__agg_fold() from the aggregate object @p cur (borrowed; NULL when
 * there is none yet). */
weir_error_t *weir__agg_fold_obj(const weir__agg_cfg_t *cfg,
                                 const weir_record_t *rec, const void *cur,
                                 size_t cur_len, void **newp, size_t *new_lenp,
                                 bool *borrowedp);

/* Frees an aggregate object weir__agg_fold() made. */
void weir__agg_free(const weir__agg_cfg_t *cfg, void *obj, size_t len,
                    bool borrowed);

/*
 * The record's key serialized for the store into @p kb (initialized here;
 * free it with weir_buf_free() whatever the result). *skipp is set, and
 * the drop counted, for a null key or value, which aggregations drop.
 */
weir_error_t *weir__agg_key_bytes(weir_processor_context_t *pctx,
                                  const weir__agg_cfg_t *cfg,
                                  const weir_record_t *rec, weir_buf_t *kb,
                                  bool *skipp);

/*
 * Forwards the final result of a closed window: the key and aggregate
 * bytes as stored, deserialized, under a weir_windowed_key_t [start, end]
 * with timestamp @p ts.
 */
weir_error_t *weir__agg_forward_final(weir_processor_context_t *pctx,
                                      const weir__agg_cfg_t *cfg,
                                      const void *kbytes, size_t klen,
                                      const void *abytes, size_t alen,
                                      int64_t start, int64_t end, int64_t ts);

/* The error that ended a window-store iteration, named after the store
 * (NULL when there was none). */
weir_error_t *weir__agg_iter_error(const weir__agg_cfg_t *cfg,
                                   const weir_window_iter_t *it);

/*
 * Window-store writes kept until an iteration is over (iterators do not
 * survive writes), applied in the order they were queued. Each holds a
 * key, a window start and a value (NULL: delete). Zero-initialized: empty.
 */
typedef struct weir__wwrite_s weir__wwrite_t;
typedef struct weir__wwrites_s {
    weir__wwrite_t *head;
    weir__wwrite_t *tail;
} weir__wwrites_t;

/* Queues a write, copying key and value. */
weir_error_t *weir__wwrites_add(weir__wwrites_t *w, const void *key,
                                size_t klen, int64_t start, const void *val,
                                size_t vlen);

/* Applies the queued writes to @p ws and frees them; with @p err set, only
 * frees them. Returns the first error (@p err included). */
weir_error_t *weir__wwrites_apply(weir__wwrites_t *w, weir_window_store_t *ws,
                                  weir_error_t *err);

/* A windowed handle after the grouped handle @p g (its serdes, its
 * repartition mark) for windows of @p kind, which the caller sets; NULL
 * on failure (recorded). @p size: the public handle type's. */
/* The number of elements of an array. */
#define WEIR__COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* True when a windows struct's reserved space is zero; otherwise fails the
 * topology naming @p op and the node, and returns false. */
bool weir__dsl_windows_reserved_ok(const weir__dsl_t *g, const char *op,
                                   const int64_t *reserved, size_t n);

weir__dsl_t *weir__agg_windowed(const weir__dsl_t *g, weir__win_kind_t kind,
                                size_t size);

/*
 * The per-task state of the session and sliding processors, with their
 * init() (the window store, in owner-time mode, and a 1 ms stream-time
 * punctuation for final results) and close().
 */
typedef struct weir__wagg_state_s {
    const weir__agg_cfg_t *cfg;
    weir_window_store_t *ws;
    /* Final results are out up to this window start (sessions: end);
     * INT64_MIN: none yet in this task's life. */
    int64_t emitted;
} weir__wagg_state_t;

weir_error_t *weir__wagg_init(weir_processor_context_t *pctx, void *opaque,
                              void **statep);
void weir__wagg_close(void *state, void *opaque);

/*
 * Ends a scan for final results up to @p bound that forwarded what @p it
 * gave (@p err: the scan's error): closes @p it, applies the writes the
 * scan deferred to @p w, and, when all went well, records @p bound as
 * emitted and lets the store expire by stream time @p now. Returns the
 * first error.
 */
weir_error_t *weir__wagg_scan_done(weir__wagg_state_t *st,
                                   weir_window_iter_t *it, weir__wwrites_t *w,
                                   weir_error_t *err, int64_t bound,
                                   int64_t now);

/*
 * Adds an aggregation node after the grouped or windowed handle @p g,
 * with the store @p store for it (a key-value store, or a window store
 * sized for g's windows), taking @p as. @p tmpl gives what to fold with;
 * the windows come from @p g. Returns the output handle (a table for
 * plain aggregations, a stream of final results for windowed ones).
 */
weir__dsl_t *weir__agg_add(weir__dsl_t *g, weir__agg_cfg_t tmpl,
                           weir_serde_t *as, const char *store);

/* The processors of the other windows (dsl_session.c, dsl_sliding.c). */
extern const weir_processor_ops_t weir__session_agg_ops;
extern const weir_processor_ops_t weir__sliding_agg_ops;

#endif /* WEIR_DSL_INT_H */
