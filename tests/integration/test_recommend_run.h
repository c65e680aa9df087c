/*
 * test_recommend_run.h: the recommendation app end to end on a Kafka
 * cluster (the embedded mock or the harness's real broker): the data
 * generator produces a fixed-seed workload faster than real time with a
 * ground truth, weir-recommend's topology runs on the runtime, and what it
 * wrote to the output topic must be exactly what the oracle computes from
 * the ground truth.
 */
#ifndef TEST_RECOMMEND_RUN_H
#define TEST_RECOMMEND_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weir/mock.h>
#include <weir/registry.h>

typedef struct rec_e2e_s {
    const char *bootstrap;     /* the cluster */
    weir_mock_cluster_t *mock; /* when it is the mock (else NULL) */
    weir_registry_t *reg;      /* borrowed */
    const char *guarantee;     /* processing.guarantee */
    int partitions;            /* of the input topics */
    int threads;               /* num.stream.threads */
    int64_t event_seconds;     /* of generated traffic */
    double clicks_per_sec;
    unsigned unknown_every; /* every Nth click an unknown product */
    /* > 0: a first instance runs in a child process and is killed with
     * SIGKILL once this many recommendations are visible; a second one
     * then finishes the job. */
    size_t kill_after;
    bool restart_fresh_state; /* the second one on an empty state.dir */
    /* Not NULL: the workload comes from this Python interpreter running
     * tests/python/seed_producer.py (an independent client: kafka-python
     * and the Apache Avro library) instead of weir's generator, with this
     * registry base URL (API path included). */
    const char *python;
    const char *python_registry_url;
} rec_e2e_t;

/* Runs the whole thing; fails the test on any difference. */
void rec_e2e_run(const rec_e2e_t *e);

#endif
