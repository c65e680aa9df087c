/*
 * context_int.h: the bodies of a task and its processor context, shared
 * by task.c (queues, ordering, punctuation, lifecycle) and context.c (the
 * public processor API). Nothing else includes it: owners of tasks use
 * task_int.h.
 */
#ifndef WEIR_CONTEXT_INT_H
#define WEIR_CONTEXT_INT_H

#include "task_int.h"

/* A deserialized record waiting in a partition queue. */
typedef struct weir__queued_s {
    struct weir__queued_s *next;
    void *key;
    size_t key_len;
    void *value;
    size_t value_len;
    int64_t timestamp;
    int64_t offset;
    weir_headers_t *headers;
    void *handle; /* the owner's; see weir__input_record_t */
} weir__queued_t;

typedef struct weir__queue_s {
    char *topic; /* full name */
    int32_t partition;
    const weir__node_t *source;
    weir__queued_t *head, *tail;
    size_t cnt;
    int64_t partition_time;
} weir__queue_t;

typedef struct weir__sched_s {
    int node;
    int tag;
    weir_punctuation_type_t type;
    int64_t interval;
    int64_t next;
    bool active;
} weir__sched_t;

typedef struct weir__counter_s {
    char *reason;
    uint64_t count;
} weir__counter_t;

/* The store a task holds for one spec (NULL when the task does not use
 * it). */
typedef struct weir__task_store_s {
    const weir__store_spec_t *spec;
    void *store; /* weir_kv_store_t * or weir_window_store_t * */
} weir__task_store_t;

struct weir_processor_context_s {
    weir__task_t *task;
    const weir__node_t *node; /* the node being called */
    /* The current input record (topic NULL in punctuate and init). */
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    const weir_headers_t *headers;
    /* The error already prefixed with a processor name, so outer
     * processors that return it do not prefix it again. */
    weir_error_t *tagged;
};

struct weir__task_s {
    const weir_topology_t *topo;
    const weir__subtopology_t *sub;
    int32_t partition;
    char id[32];
    char *app_id;
    weir__store_provider_t stores_if;
    weir__record_collector_t collector;
    weir__logger_t log;

    void **states;      /* per node (indexed by node idx) */
    char **sink_topics; /* per node: a sink's full topic name, else NULL */
    weir_buf_t key_buf, value_buf; /* sinks serialize into these */
    bool *inited;                  /* per node */
    weir__task_store_t *stores;    /* per store spec */

    weir__queue_t *queues;
    size_t queue_cnt;
    size_t buffered;

    weir__sched_t *scheds;
    size_t sched_cnt, sched_cap;

    weir__counter_t *counters;
    size_t counter_cnt;

    int64_t stream_time;
    int64_t wall_clock;
    bool commit_requested;
    bool results_emitted; /* final window results since the last commit */
    bool external_stream_time;

    /* The input coordinates of the last processed record. */
    const char *last_topic;
    int32_t last_partition;
    int64_t last_offset;
    int last_queue;
    void *last_handle;
    void (*release_handle)(void *opaque, void *handle);
    void *release_opaque;

    struct weir_processor_context_s pctx;
};

/* Runs @p node on @p rec (a processor's process(), or a sink's send). */
weir_error_t *weir__node_run(weir_processor_context_t *pctx,
                             const weir__node_t *node,
                             const weir_record_t *rec);


/* Makes @p pctx the current context of this thread (weir_dsl_context())
 * and returns the previous one, to give back to weir__context_leave()
 * when the call into the node returns. */
weir_processor_context_t *weir__context_enter(weir_processor_context_t *pctx);
void weir__context_leave(weir_processor_context_t *prev);

#endif /* WEIR_CONTEXT_INT_H */
