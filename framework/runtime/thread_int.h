/*
 * thread_int.h: one stream thread: the Kafka side of a task host.
 *
 * A stream thread is a consumer-group member with its own consumer and
 * producer (transactional under exactly_once_v2), a state updater (a
 * thread of its own) that restores its tasks' stores and keeps standbys,
 * and a task host (host_int.h) that runs its tasks. The thread does the
 * Kafka I/O the host asks for; the modules that share this struct:
 *   thread.c     lifecycle, the poll loop, rebalancing, global topics
 *   thread_io.c  the host's I/O on Kafka: producing, transactions and
 *                offsets, pausing, dead letters, restores and standbys
 * All of it runs on the thread itself.
 */
#ifndef WEIR_THREAD_INT_H
#define WEIR_THREAD_INT_H

#include "host_int.h"
#include "runtime_int.h"
#include "state_updater_int.h"

/* The plan's index of a topic the consumer returns, by its handle. */
typedef struct weir__rkt_index_s {
    const rd_kafka_topic_t *rkt;
    int topic;
} weir__rkt_index_t;

struct weir__thread_s {
    weir__kafka_opaque_t kop_consumer; /* first: librdkafka's opaque */
    weir__kafka_opaque_t kop_producer;
    weir__kafka_opaque_t kop_global;
    weir__rt_t *rt;
    int idx;
    char name[32];
    pthread_t tid;
    bool started;

    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    rd_kafka_t *global_consumer; /* the global stores' topics, or NULL */
    weir__updater_t *updater;
    weir__host_t *host;

    rd_kafka_topic_partition_list_t *assignment;
    rd_kafka_topic_partition_list_t *committed; /* the last committed() */
    weir_error_t *production_error;             /* from a delivery report */
    int64_t last_commit_ms;
    int64_t commit_every_ms; /* this interval: see next_commit_interval() */
    bool drained;            /* a poll found no record since the commit */
    uint64_t polled;         /* records polled since the commit */
    int64_t last_purge_ms;
    int64_t last_nudge_ms; /* see nudge_fetcher() */
    int nudge_next;        /* round robin over the assignment */
    weir__rkt_index_t *rkts;
    size_t rkt_cnt;
    rd_kafka_topic_t **warm; /* producer handles of its output topics */
    size_t warm_cnt;

    atomic_int state; /* weir__thread_state_t */
    atomic_bool stop;
    weir_error_t *error; /* why the thread failed */
};

/* thread_io.c */
/* The host's I/O on this thread's clients. */
void weir__thread_io_init(weir__thread_t *th, weir__host_io_t *io);
void weir__thread_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque);
/* Calls @p fn (a librdkafka transactional call) again while its error is
 * retriable, until broker.down.timeout.ms; logs each retry. */
typedef rd_kafka_error_t *(weir__txn_fn_t)(weir__thread_t *th, void *arg);
weir_error_t *weir__thread_txn_call(weir__thread_t *th, const char *what,
                                    weir__txn_fn_t *fn, void *arg);

#endif /* WEIR_THREAD_INT_H */
